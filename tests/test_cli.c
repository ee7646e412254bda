/* test_cli.c - the option parser shared by every command (src/cli/xl_cli.h)
 * and the exit-code contract of the xlrec binary (0 ok, 1 runtime, 2 usage). */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "xl_cli.h"

typedef struct {
    bool flag;
    const char *name;
    int64_t k;
    double lr;
    const char *pooling;
} parsed;

static int parse(parsed *p, xl_args *args, int argc, const char **argv)
{
    p->flag = false;
    p->name = "default";
    p->k = 10;
    p->lr = 0.5;
    p->pooling = "mean";
    const xl_option opts[] = {
        {"flag", 'f', XL_OPT_FLAG, &p->flag, NULL, "a flag", 0, 0, NULL},
        {"name", 'n', XL_OPT_STRING, &p->name, "NAME", "a string", 0, 0, NULL},
        {"k", 'k', XL_OPT_INT, &p->k, "N", "an int in [1,100]", 1, 100, NULL},
        {"lr", 0, XL_OPT_DOUBLE, &p->lr, "X", "a double in [0,1]", 0.0, 1.0, NULL},
        {"pooling", 0, XL_OPT_CHOICE, &p->pooling, NULL, "a choice", 0, 0, "cls|mean|max"},
        {0}};
    const xl_command_spec spec = {"unit", "xlrec unit [options] [FILE...]", "Unit-test command.", opts, 0, 2};
    /* stderr chatter from usage errors is expected; silence it */
    FILE *saved = stderr;
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull) stderr = devnull;
    int rc = xl_cli_parse(&spec, argc, (char **)argv, args);
    if (devnull) {
        stderr = saved;
        fclose(devnull);
    }
    return rc;
}

static void test_forms(void **state)
{
    (void)state;
    parsed p;
    xl_args a;
    const char *argv1[] = {"unit", "--flag", "--name", "x", "-k", "7", "--lr=0.25", "--pooling", "max", "in.txt", "-"};
    assert_int_equal(parse(&p, &a, 11, argv1), XL_CLI_CONTINUE);
    assert_true(p.flag);
    assert_string_equal(p.name, "x");
    assert_int_equal(p.k, 7);
    assert_close(p.lr, 0.25, 0);
    assert_string_equal(p.pooling, "max");
    assert_int_equal(a.n_positional, 2);
    assert_string_equal(a.positional[0], "in.txt");
    assert_string_equal(a.positional[1], "-"); /* "-" is stdin, a positional */

    const char *argv2[] = {"unit", "-k3", "--", "--flag"};
    assert_int_equal(parse(&p, &a, 4, argv2), XL_CLI_CONTINUE);
    assert_int_equal(p.k, 3);
    assert_false(p.flag);
    assert_int_equal(a.n_positional, 1);
    assert_string_equal(a.positional[0], "--flag");

    const char *argv3[] = {"unit"};
    assert_int_equal(parse(&p, &a, 1, argv3), XL_CLI_CONTINUE);
    assert_int_equal(p.k, 10); /* defaults untouched */
}

static void test_usage_errors(void **state)
{
    (void)state;
    parsed p;
    xl_args a;
    const char *unknown[] = {"unit", "--nope"};
    assert_int_equal(parse(&p, &a, 2, unknown), XL_EXIT_USAGE);
    const char *missing[] = {"unit", "--name"};
    assert_int_equal(parse(&p, &a, 2, missing), XL_EXIT_USAGE);
    const char *malformed[] = {"unit", "-k", "7x"};
    assert_int_equal(parse(&p, &a, 3, malformed), XL_EXIT_USAGE);
    const char *range[] = {"unit", "-k", "101"};
    assert_int_equal(parse(&p, &a, 3, range), XL_EXIT_USAGE);
    const char *neg[] = {"unit", "--lr", "-0.1"};
    assert_int_equal(parse(&p, &a, 3, neg), XL_EXIT_USAGE);
    const char *nan[] = {"unit", "--lr", "nan"};
    assert_int_equal(parse(&p, &a, 3, nan), XL_EXIT_USAGE);
    const char *choice[] = {"unit", "--pooling", "sum"};
    assert_int_equal(parse(&p, &a, 3, choice), XL_EXIT_USAGE);
    const char *flagval[] = {"unit", "--flag=1"};
    assert_int_equal(parse(&p, &a, 2, flagval), XL_EXIT_USAGE);
    const char *too_many[] = {"unit", "a", "b", "c"};
    assert_int_equal(parse(&p, &a, 4, too_many), XL_EXIT_USAGE);
}

/* Run the real binary (path in $XLREC_BIN, set by `make test`) and return its
 * exit status; stdout/stderr go to /dev/null. */
static int run_xlrec(const char *args)
{
    const char *bin = getenv("XLREC_BIN");
    if (bin == NULL) bin = "build/xlrec";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", bin, args);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_binary_exit_codes(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    assert_int_equal(run_xlrec("--help"), 0);
    assert_int_equal(run_xlrec("--version"), 0);
    assert_int_equal(run_xlrec(""), 2);
    assert_int_equal(run_xlrec("no-such-command"), 2);
    assert_int_equal(run_xlrec("check-utf8 --help"), 0);
    assert_int_equal(run_xlrec("check-utf8 --no-such-option"), 2);
    assert_int_equal(run_xlrec("check-utf8 /nonexistent/file"), 1);
    const char *bad = xl_test_write_tmp("bad.txt", "ok\n\xC0\xAF\n", 6);
    char args[512];
    snprintf(args, sizeof args, "check-utf8 %s", bad);
    assert_int_equal(run_xlrec(args), 1);
    const char *good = xl_test_write_tmp("good.txt", "caf\xC3\xA9\n", 6);
    snprintf(args, sizeof args, "check-utf8 %s", good);
    assert_int_equal(run_xlrec(args), 0);
    remove(bad);
    remove(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_binary_exit_codes),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
