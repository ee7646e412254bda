/* test_cli.c - the option parser shared by every command (src/cli/xl_cli.h)
 * and the exit-code contract of the xlrec binary (0 ok, 1 runtime, 2 usage). */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "glove.h"
#include "pipeline.h"
#include "train.h"
#include "train_augment.h"
#include "w2v.h"
#include "xl_cli.h"
#include "xl_embedder.h"
#include "xl_model.h"
#include "xl_eval.h"
#include "xl_rec_model.h"
#include "xl_thread.h"

typedef struct {
    bool flag;
    const char *name;
    int64_t k;
    double lr;
    const char *pooling;
    const char *vectors; /* XL_OPT_OPTIONAL_STRING */
} parsed;

static int parse(parsed *p, xl_args *args, int argc, const char **argv)
{
    p->flag = false;
    p->name = "default";
    p->k = 10;
    p->lr = 0.5;
    p->pooling = "mean";
    p->vectors = NULL;
    const xl_option opts[] = {
        {"vectors", 'w', XL_OPT_OPTIONAL_STRING, &p->vectors, "FILE", "an optional value", 0, 0, NULL},
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

/* --word-vectors [FILE]: the value is attached (=, -wF) or the next argument when that is "-" or
 * not an option; without a value the target is "" (the shipped file). */
static void test_optional_value(void **state)
{
    (void)state;
    parsed p;
    xl_args a;
    const char *none[] = {"unit"};
    assert_int_equal(parse(&p, &a, 1, none), XL_CLI_CONTINUE);
    assert_null(p.vectors);
    const char *bare[] = {"unit", "--vectors"};
    assert_int_equal(parse(&p, &a, 2, bare), XL_CLI_CONTINUE);
    assert_string_equal(p.vectors, "");
    const char *before_opt[] = {"unit", "--vectors", "-k", "3", "in.txt"};
    assert_int_equal(parse(&p, &a, 5, before_opt), XL_CLI_CONTINUE);
    assert_string_equal(p.vectors, "");
    assert_int_equal(p.k, 3);
    assert_int_equal(a.n_positional, 1);
    assert_string_equal(a.positional[0], "in.txt");
    const char *next[] = {"unit", "--vectors", "v.f16", "in.txt"};
    assert_int_equal(parse(&p, &a, 4, next), XL_CLI_CONTINUE);
    assert_string_equal(p.vectors, "v.f16");
    assert_int_equal(a.n_positional, 1);
    const char *dash[] = {"unit", "-w", "-"};
    assert_int_equal(parse(&p, &a, 3, dash), XL_CLI_CONTINUE);
    assert_string_equal(p.vectors, "-");
    assert_int_equal(a.n_positional, 0);
    const char *eq[] = {"unit", "in.txt", "--vectors=v.txt"};
    assert_int_equal(parse(&p, &a, 3, eq), XL_CLI_CONTINUE);
    assert_string_equal(p.vectors, "v.txt");
    assert_string_equal(a.positional[0], "in.txt");
    const char *attached[] = {"unit", "-wv.bin", "--flag"};
    assert_int_equal(parse(&p, &a, 3, attached), XL_CLI_CONTINUE);
    assert_string_equal(p.vectors, "v.bin");
    assert_true(p.flag);
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

/* xl_cli_dispatch: the subcommand argv[1] names runs on argv + 1; none, --help and an unknown one
 * give the usage with exit 2, 0 and 2; the binary's w2v, vocab, glove and ngram go through it. */
static int sub_a(int argc, char **argv) { return strcmp(argv[0], "alpha") == 0 ? 10 + argc : 99; }
static int sub_b(int argc, char **argv) { return strcmp(argv[0], "beta") == 0 ? 20 + argc : 99; }

static void test_subcommands(void **state)
{
    (void)state;
    static const xl_subcommand subs[] = {{"alpha", sub_a, "the first"}, {"beta", sub_b, "the second"}, {NULL, NULL, NULL}};
    char *a1[] = {"unit", "alpha", "x", "y", NULL}, *b1[] = {"unit", "beta", NULL}, *none[] = {"unit", NULL},
         *help[] = {"unit", "--help", NULL}, *bad[] = {"unit", "gamma", NULL};
    assert_int_equal(xl_cli_dispatch("unit", "usage: unit alpha|beta\n", subs, 4, a1), 13);
    assert_int_equal(xl_cli_dispatch("unit", "usage: unit alpha|beta\n", subs, 2, b1), 21);
    assert_int_equal(xl_cli_dispatch("unit", "usage: unit alpha|beta\n", subs, 1, none), XL_EXIT_USAGE);
    assert_int_equal(xl_cli_dispatch("unit", "usage: unit alpha|beta\n", subs, 2, help), XL_EXIT_OK);
    assert_int_equal(xl_cli_dispatch("unit", "usage: unit alpha|beta\n", subs, 2, bad), XL_EXIT_USAGE);
    (void)xl_test_bin_or_skip();
    static const char *const cmds[] = {"w2v", "vocab", "glove", "ngram"};
    for (size_t c = 0; c < 4; c++) {
        char args[64];
        assert_int_equal(run_xlrec(cmds[c]), XL_EXIT_USAGE);
        snprintf(args, sizeof args, "%s --help", cmds[c]);
        assert_int_equal(run_xlrec(args), XL_EXIT_OK);
        snprintf(args, sizeof args, "%s no-such-job", cmds[c]);
        assert_int_equal(run_xlrec(args), XL_EXIT_USAGE);
        snprintf(args, sizeof args, "%s train --help", cmds[c]);
        assert_int_equal(run_xlrec(args), XL_EXIT_OK);
    }
}

/* `xlrec quantize`: usage errors exit 2, runtime errors 1, and the int8 file it writes is
 * smaller and loads (tests/fuzz/corpus/fuzz_model/tiny.xlm is a complete tiny BERT). */
static void test_quantize_cli(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    const char *in = "tests/fuzz/corpus/fuzz_model/tiny.xlm";
    FILE *f = fopen(in, "rb");
    if (f == NULL) skip();
    fclose(f);
    char out[512], args[1200];
    snprintf(out, sizeof out, "%s", xl_test_tmp_path("q8.xlm"));
    snprintf(args, sizeof args, "quantize %s -o %s", in, out);
    assert_int_equal(run_xlrec(args), 2); /* no --dtype */
    snprintf(args, sizeof args, "quantize %s -o %s --dtype int4", in, out);
    assert_int_equal(run_xlrec(args), 2);
    snprintf(args, sizeof args, "quantize %s -o %s --dtype int8", in, in);
    assert_int_equal(run_xlrec(args), 2); /* never overwrites its input */
    snprintf(args, sizeof args, "quantize /nonexistent.xlm -o %s --dtype int8", out);
    assert_int_equal(run_xlrec(args), 1);
    snprintf(args, sizeof args, "quantize tests/test_cli.c -o %s --dtype int8", out);
    assert_int_equal(run_xlrec(args), 1); /* not a model file */
    snprintf(args, sizeof args, "quantize %s -o %s --dtype int8", in, out);
    assert_int_equal(run_xlrec(args), 0);
    snprintf(args, sizeof args, "inspect --check-weights %s", out);
    assert_int_equal(run_xlrec(args), 0);
    xl_error err;
    xl_error_clear(&err);
    xl_model *a = NULL, *b = NULL;
    if (xl_model_open(&a, in, &err) < 0 || xl_model_open(&b, out, &err) < 0) fail_msg("%s", err.msg);
    assert_true(xl_model_file_size(b) < xl_model_file_size(a));
    assert_int_equal(xl_model_tensor_count(b), xl_model_tensor_count(a));
    assert_int_equal(xl_model_vocab_count(b), xl_model_vocab_count(a));
    assert_int_equal(xl_model_meta_count(b), xl_model_meta_count(a));
    assert_int_equal(xl_model_tensor_find(b, "encoder.layer.0.attention.self.query.weight")->dtype, XL_DTYPE_I8);
    assert_int_equal(xl_model_tensor_find(b, "encoder.layer.0.attention.self.query.bias")->dtype, XL_DTYPE_F32);
    xl_model_close(a);
    xl_model_close(b);
    /* --weight-bits 7: every stored I8 value in -63..63, the largest of each row at +-63 or less */
    snprintf(args, sizeof args, "quantize %s -o %s --dtype bf16 --weight-bits 7", in, out);
    assert_int_equal(run_xlrec(args), 2); /* int8 only */
    snprintf(args, sizeof args, "quantize %s -o %s --dtype int8 --weight-bits 7", in, out);
    assert_int_equal(run_xlrec(args), 0);
    if (xl_model_open_ex(&b, out, XL_MODEL_OPEN_KEEP_I8, &err) < 0) fail_msg("%s", err.msg);
    const xl_tensor *t = xl_model_tensor_find(b, "encoder.layer.0.attention.self.query.weight");
    assert_int_equal(t->dtype, XL_DTYPE_I8);
    int qmax = 0;
    for (size_t i = 0; i < t->count; i++) {
        const int v = ((const signed char *)t->stored)[i];
        qmax = v > qmax ? v : -v > qmax ? -v : qmax;
    }
    assert_int_equal(qmax, 63); /* some row reaches its max (random weights: every row) */
    xl_model_close(b);
    remove(out);
}

/* `xlrec CMD --help` into buf (NUL-terminated). */
static void help_of(const char *cmd, char *buf, size_t cap)
{
    char line[512];
    snprintf(line, sizeof line, "%s %s --help 2>&1", xl_test_bin_or_skip(), cmd);
    FILE *p = popen(line, "r");
    assert_non_null(p);
    size_t n = fread(buf, 1, cap - 1, p);
    buf[n] = 0;
    assert_int_equal(pclose(p), 0);
}

/* The "(default X)" the parser printed on the option line of --name, or NULL. */
static const char *shown_default(const char *help, const char *name, char *out, size_t cap)
{
    char key[96];
    snprintf(key, sizeof key, "--%s ", name);
    for (const char *l = strstr(help, key); l; l = strstr(l + 1, key)) {
        const char *bol = l;
        while (bol > help && bol[-1] != '\n') bol--;
        while (*bol == ' ') bol++;
        if (*bol != '-') continue; /* the synopsis, not the option table */
        const char *eol = strchr(l, '\n');
        const char *d = strstr(l, "(default ");
        if (!d || (eol && d > eol)) return NULL;
        d += 9;
        const char *e = strchr(d, ')');
        if (!e || (eol && e > eol)) return NULL;
        snprintf(out, cap, "%.*s", (int)(e - d), d);
        return out;
    }
    return NULL;
}

/* Every command's --help shows a default at most once per option, and the
 * defaults shown are the library's (*_default() is their one source). */
static void test_help_defaults(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    static const char *const cmds[] = {"align", "check-utf8", "convert", "data-path", "embed", "embed-words", "eval",
                                       "eval-retrieval", "export", "inspect", "langid", "langid-train", "ngram train",
                                       "ngram query", "ngram ppl", "normalize", "recommend", "run", "tokenize",
                                       "translate", "w2v train", "w2v similar", "w2v analogy", "w2v eval",
                                       "w2v convert", "glove vocab", "glove cooccur", "glove shuffle", "glove train",
                                       "glove text", "glove compare", "glove dump", "train-encoder", "vocab train",
                                       "vocab prune", "vocab stats", "quantize", "mo-dump", "augment"};
    static char help[32768];
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        help_of(cmds[c], help, sizeof help);
        for (const char *l = help; *l;) {
            const char *eol = strchr(l, '\n');
            size_t len = eol ? (size_t)(eol - l) : strlen(l);
            const char *d = strstr(l, "(default");
            if (d && d < l + len) {
                const char *d2 = strstr(d + 1, "(default");
                if (d2 && d2 < l + len) fail_msg("%s --help: a default shown twice: %.*s", cmds[c], (int)len, l);
                /* nor spelled out again by the help text before it: "... (30000) (default 30000)" */
                const char *v = d + strlen("(default "), *v_end = memchr(v, ')', (size_t)(l + len - v));
                if (v_end && v_end > v) {
                    char paren[128], quoted[128];
                    snprintf(paren, sizeof paren, "(%.*s)", (int)(v_end - v), v);
                    snprintf(quoted, sizeof quoted, "\"%.*s\"", (int)(v_end - v), v);
                    char text[1024];
                    snprintf(text, sizeof text, "%.*s", (int)(d - l), l);
                    if (strstr(text, paren) || strstr(text, quoted))
                        fail_msg("%s --help: a default written in the help text too: %.*s", cmds[c], (int)len, l);
                }
            }
            l += len + (eol ? 1 : 0);
        }
    }
    /* the values shown are the library defaults */
    char want[64], got[64];
    xl_pipeline_options po;
    xl_pipeline_options_default(&po);
    xl_embedder_options eo;
    xl_embedder_options_default(&eo);
    xl_rec_params rp;
    xl_rec_params_default(&rp);
    xl_eval_config ec;
    xl_eval_config_default(&ec);
    xl_w2v_options wo;
    xl_w2v_options_default(&wo);
    xl_glove_train_opts go;
    xl_glove_train_defaults(&go);
    xl_train_opts to;
    xl_train_opts_default(&to);
    xl_augment_opts ao;
    xl_augment_opts_default(&ao);
    struct {
        const char *cmd, *option;
        double value;
    } expect[] = {
        {"run", "k", (double)po.k},           {"run", "explain", (double)po.explain},
        {"run", "seed", (double)po.seed},     {"run", "threads", po.threads},
        {"run", "min-coverage", po.min_coverage},
        {"embed", "batch", (double)eo.batch}, {"embed", "threads", eo.threads},
        {"embed-words", "sif-a", eo.sif_a},   {"embed-words", "threads", eo.threads},
        {"eval-retrieval", "threads", eo.threads},
        {"eval", "k", (double)ec.k},          {"eval", "folds", (double)ec.folds},
        {"eval", "test-ratio", ec.test_ratio}, {"eval", "val-ratio", ec.val_ratio},
        {"eval", "factors", rp.factors},      {"eval", "lr", rp.lr},
        {"eval", "reg", rp.reg},              {"eval", "epochs", rp.epochs},
        {"eval", "seed", (double)rp.seed},    {"eval", "threads", rp.threads},
        {"recommend", "factors", rp.factors}, {"recommend", "bias-reg-user", rp.bias_reg_user},
        {"w2v train", "size", wo.size},       {"w2v train", "window", wo.window},
        {"w2v train", "threads", wo.threads}, {"w2v train", "sample", wo.sample},
        {"align", "threads", XL_THREADS_DEFAULT}, {"w2v eval", "threads", XL_THREADS_DEFAULT},
        {"glove train", "vector-size", go.vector_size}, {"glove train", "iter", go.iterations},
        {"glove train", "eta", go.eta},       {"glove train", "alpha", go.alpha},
        {"glove train", "x-max", go.x_max},   {"glove train", "grad-clip", go.grad_clip},
        {"glove train", "threads", go.threads}, {"glove train", "seed", (double)go.seed},
        {"train-encoder", "batch", (double)to.batch}, {"train-encoder", "max-len", (double)to.max_len},
        {"train-encoder", "lr", to.lr},       {"train-encoder", "epochs", to.epochs},
        {"train-encoder", "weight-decay", to.adamw.weight_decay}, {"train-encoder", "adam-eps", to.adamw.eps},
        {"train-encoder", "clip", to.clip},   {"train-encoder", "dropout", to.dropout},
        {"train-encoder", "threads", to.threads}, {"train-encoder", "eval-every", (double)to.eval_every},
        {"augment", "seed", (double)ao.seed}, {"augment", "min-words", (double)ao.min_units},
        {"augment", "max-len", (double)ao.max_chars}, {"augment", "side", ao.side},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        help_of(expect[i].cmd, help, sizeof help);
        snprintf(want, sizeof want, "%g", expect[i].value);
        if (!shown_default(help, expect[i].option, got, sizeof got))
            fail_msg("%s --help: no default shown for --%s", expect[i].cmd, expect[i].option);
        if (strcmp(got, want) != 0)
            fail_msg("%s --help: --%s shows default %s, the library's is %s", expect[i].cmd, expect[i].option, got,
                     want);
    }
    /* one thread default everywhere */
    assert_int_equal(po.threads, XL_THREADS_DEFAULT);
    assert_int_equal(eo.threads, XL_THREADS_DEFAULT);
    assert_int_equal(rp.threads, XL_THREADS_DEFAULT);
    assert_int_equal(ec.threads, XL_THREADS_DEFAULT);
    assert_int_equal(wo.threads, XL_THREADS_DEFAULT);
    assert_int_equal(go.threads, XL_THREADS_DEFAULT);
    assert_int_equal(to.threads, XL_THREADS_DEFAULT);
}

/* The library's folders form layers (docs/tools/check_layering.sh): no include
 * points upward, in particular no library folder includes a src/cli header. */
static void test_layering(void **state)
{
    (void)state;
    int st = system("sh docs/tools/check_layering.sh >/dev/null 2>&1");
    assert_true(st != -1 && WIFEXITED(st));
    if (WEXITSTATUS(st) != 0) {
        int r = system("sh docs/tools/check_layering.sh 1>&2");
        (void)r;
        fail_msg("an include points to a higher layer (above)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layering),
        cmocka_unit_test(test_help_defaults),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_optional_value),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_binary_exit_codes), cmocka_unit_test(test_subcommands), cmocka_unit_test(test_quantize_cli),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
