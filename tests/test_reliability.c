/* test_reliability.c - issue 16, "nothing lost, nothing exhausted" (docs/reliability.md).
 *
 * Unit tests of the core policies (xl_output: temporary file + fsync + rename, abort removes
 * only the temporary file, links followed, devices written in place; xl_same_file by device and
 * inode; read caps and head checks) and CLI regression tests through $XLREC_BIN for each defect
 * the issue lists: outputs that named an input, the failure paths of convert, stdout errors,
 * readers of /dev/zero, absurd headers, non-finite numbers, ratings out of range, inspect.
 * Device-dependent cases (/dev/full, /dev/zero) skip when the device is absent.  Everything is
 * tiny (the distilbert_tiny fixture, a few lines of text) so it runs under qemu too.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "xl_io.h"
#include "xl_platform.h"
#include "xl_test.h"

/* ---- helpers -------------------------------------------------------------------------- */

static char g_dir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s", xl_test_tmp_path("rel"));
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_dir, g_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* DIR/name (a ring of buffers, valid for the next few calls) */
static const char *p(const char *name)
{
    static char ring[8][700];
    static unsigned next;
    char *b = ring[next++ % 8];
    snprintf(b, sizeof ring[0], "%s/%s", g_dir, name);
    return b;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path, size_t *len)
{
    char *data = NULL;
    size_t n = 0;
    xl_error err;
    if (xl_read_file(path, 0, &data, &n, &err) < 0) return NULL;
    if (len) *len = n;
    return data;
}

static bool exists(const char *path) { return xl_path_kind_of(path) != XL_PATH_MISSING; }

/* Number of directory entries whose name contains "xlrec-tmp" (left-over temporary files). */
static int temp_files_left(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c xlrec-tmp > '%s/count.txt'", g_dir, g_dir);
    (void)system(cmd);
    char *t = read_text(p("count.txt"), NULL);
    int n = t ? atoi(t) : -1;
    free(t);
    return n;
}

/* Run a shell command line (printf-formatted; $XLREC_BIN is the binary, exported as $X) with
 * stdout to DIR/out.txt unless the line redirects it, stderr to DIR/err.txt; the exit status. */
static int shf(const char *fmt, ...)
{
    char line[4096], cmd[5000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "X=\"$XLREC_BIN\"; %s 2>'%s/err.txt'", line, g_dir);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *err_text(void)
{
    char *t = read_text(p("err.txt"), NULL);
    assert_non_null(t);
    print_message("    stderr: %s", t);
    return t;
}

static void expect_err(const char *want)
{
    char *t = err_text();
    if (strstr(t, want) == NULL) {
        print_message("    expected to find \"%s\"\n", want);
        free(t);
        fail();
    }
    free(t);
}

/* Convert the in-repo DistilBERT fixture into DIR/m.xlm. */
static void tiny_model(void)
{
    assert_int_equal(shf("$X convert -q tests/fixtures/distilbert_tiny -o '%s' >/dev/null", p("m.xlm")), 0);
}

/* ---- core: xl_output, xl_same_file, read caps ------------------------------------------- */

static void test_output_commit_replaces_atomically(void **state)
{
    (void)state;
    write_text(p("t.txt"), "old contents\n");
    xl_error err;
    xl_output o;
    assert_int_equal(xl_output_open(&o, p("t.txt"), &err), 0);
    assert_non_null(o.tmp);
    fputs("new\n", o.f);
    char *t = read_text(p("t.txt"), NULL); /* not yet replaced: a reader sees the old file */
    assert_string_equal(t, "old contents\n");
    free(t);
    assert_int_equal(temp_files_left(), 1);
    assert_int_equal(xl_output_commit(&o, &err), 0);
    t = read_text(p("t.txt"), NULL);
    assert_string_equal(t, "new\n");
    free(t);
    assert_int_equal(temp_files_left(), 0);
}

static void test_output_abort_keeps_target(void **state)
{
    (void)state;
    write_text(p("t.txt"), "previous result\n");
    xl_error err;
    xl_output o;
    assert_int_equal(xl_output_open(&o, p("t.txt"), &err), 0);
    fputs("partial", o.f);
    xl_output_abort(&o);
    char *t = read_text(p("t.txt"), NULL);
    assert_string_equal(t, "previous result\n");
    free(t);
    assert_int_equal(temp_files_left(), 0);
    /* a new file that is aborted does not appear at all */
    assert_int_equal(xl_output_open(&o, p("new.txt"), &err), 0);
    xl_output_abort(&o);
    assert_false(exists(p("new.txt")));
    assert_int_equal(temp_files_left(), 0);
}

static void test_output_follows_links_and_devices(void **state)
{
    (void)state;
    write_text(p("real.txt"), "x\n");
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "ln -s real.txt '%s'", p("link.txt"));
    if (system(cmd) != 0) skip();
    xl_error err;
    xl_output o;
    assert_int_equal(xl_output_open(&o, p("link.txt"), &err), 0);
    fputs("through the link\n", o.f);
    assert_int_equal(xl_output_commit(&o, &err), 0);
    char *t = read_text(p("real.txt"), NULL);
    assert_string_equal(t, "through the link\n");
    free(t);
    snprintf(cmd, sizeof cmd, "test -L '%s'", p("link.txt"));
    assert_int_equal(system(cmd), 0); /* still a link */
    /* a directory is refused */
    assert_int_equal(xl_output_open(&o, g_dir, &err), -1);
    assert_non_null(strstr(err.msg, "is a directory"));
    /* a device is written in place, never renamed or removed */
    if (exists("/dev/null")) {
        assert_int_equal(xl_output_open(&o, "/dev/null", &err), 0);
        assert_null(o.tmp);
        fputs("gone\n", o.f);
        assert_int_equal(xl_output_commit(&o, &err), 0);
        assert_int_equal(xl_path_kind_of("/dev/null"), XL_PATH_OTHER);
    }
    if (exists("/dev/full")) {
        assert_int_equal(xl_output_open(&o, "/dev/full", &err), 0);
        fputs("no room\n", o.f);
        assert_int_equal(xl_output_commit(&o, &err), -1);
        print_message("    %s\n", err.msg);
        assert_non_null(strstr(err.msg, "/dev/full"));
        assert_int_equal(xl_path_kind_of("/dev/full"), XL_PATH_OTHER);
    }
}

static void test_same_file(void **state)
{
    (void)state;
    write_text(p("a.txt"), "a\n");
    write_text(p("b.txt"), "a\n");
    assert_true(xl_same_file(p("a.txt"), p("a.txt")));
    assert_false(xl_same_file(p("a.txt"), p("b.txt")));
    assert_false(xl_same_file(p("a.txt"), p("missing.txt")));
    char dotted[800];
    snprintf(dotted, sizeof dotted, "%s/./a.txt", g_dir);
    assert_true(xl_same_file(p("a.txt"), dotted));
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "ln '%s' '%s' && ln -s a.txt '%s'", p("a.txt"), p("hard.txt"), p("soft.txt"));
    if (system(cmd) != 0) skip();
    assert_true(xl_same_file(p("a.txt"), p("hard.txt")));
    assert_true(xl_same_file(p("soft.txt"), p("a.txt")));
}

static int head_must_be_abc(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    if (n < 3 || memcmp(head, "abc", 3) != 0) return xl_fail(err, XL_ERR_FORMAT, "%s: bad magic", path);
    return 0;
}

static void test_read_caps_and_head_check(void **state)
{
    (void)state;
    write_text(p("f.txt"), "abcdefgh");
    char *data;
    size_t len;
    xl_error err;
    assert_int_equal(xl_read_file_ex(p("f.txt"), 8, "TEST_CAP", 3, head_must_be_abc, &data, &len, &err), 0);
    assert_int_equal(len, 8);
    free(data);
    assert_int_equal(xl_read_file_ex(p("f.txt"), 7, "TEST_CAP", 0, NULL, &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "limit of 7 bytes (TEST_CAP)"));
    write_text(p("g.txt"), "xbcdefgh");
    assert_int_equal(xl_read_file_ex(p("g.txt"), 0, NULL, 3, head_must_be_abc, &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "bad magic"));
    write_text(p("short.txt"), "ab");
    assert_int_equal(xl_read_file_ex(p("short.txt"), 0, NULL, 3, head_must_be_abc, &data, &len, &err), -1);
    /* /dev/zero: the head check stops the read at once, without a cap */
    if (exists("/dev/zero")) {
        assert_int_equal(xl_read_file_ex("/dev/zero", 0, NULL, 3, head_must_be_abc, &data, &len, &err), -1);
        assert_int_equal(xl_read_file_ex("/dev/zero", 1 << 20, "TEST_CAP", 0, NULL, &data, &len, &err), -1);
        assert_non_null(strstr(err.msg, "TEST_CAP"));
    }
    /* a directory says so */
    assert_int_equal(xl_read_file(g_dir, 0, &data, &len, &err), -1);
    print_message("    %s\n", err.msg);
    assert_non_null(strstr(err.msg, "is a directory"));
}

/* ---- CLI: outputs --------------------------------------------------------------------- */

static void test_cli_output_is_input_refused(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    tiny_model();
    write_text(p("in.txt"), "hello world\nthe movie\n");
    size_t model_len = 0;
    free(read_text(p("m.xlm"), &model_len));
    /* embed -m m.xlm -o m.xlm: was SIGBUS and a 0-byte model */
    assert_int_equal(shf("$X embed -m '%s' -o '%s' '%s'", p("m.xlm"), p("m.xlm"), p("in.txt")), 2);
    expect_err("same file as the input");
    size_t after = 0;
    free(read_text(p("m.xlm"), &after));
    assert_int_equal(after, model_len);
    /* embed -o in.txt in.txt (spelled ./in.txt), and through a hard link */
    assert_int_equal(shf("$X embed -m '%s' -o '%s/./in.txt' '%s'", p("m.xlm"), g_dir, p("in.txt")), 2);
    assert_int_equal(shf("ln '%s' '%s'", p("in.txt"), p("hard.txt")), 0);
    assert_int_equal(shf("$X embed -m '%s' -o '%s' '%s'", p("m.xlm"), p("hard.txt"), p("in.txt")), 2);
    char *t = read_text(p("in.txt"), NULL);
    assert_string_equal(t, "hello world\nthe movie\n");
    free(t);
    /* the other writers */
    write_text(p("corpus.txt"), "a b c\nb c d\n");
    assert_int_equal(shf("$X ngram train -q -O '%s' '%s'", p("corpus.txt"), p("corpus.txt")), 2);
    assert_int_equal(shf("$X w2v train -q --train '%s' --output '%s'", p("corpus.txt"), p("corpus.txt")), 2);
    assert_int_equal(shf("$X w2v train -q --train '%s' --output '%s' --save-vocab '%s'", p("corpus.txt"),
                         p("v.txt"), p("corpus.txt")),
                     2);
    write_text(p("lang.txt"), "en\thello there\nde\thallo da\n");
    assert_int_equal(shf("$X langid-train -q --out '%s' '%s'", p("lang.txt"), p("lang.txt")), 2);
    write_text(p("vec.txt"), "2 2\nhello 1 0\nworld 0 1\n");
    assert_int_equal(shf("$X embed-words -w '%s' -o '%s' '%s'", p("vec.txt"), p("in.txt"), p("in.txt")), 2);
    assert_int_equal(shf("$X embed-words -w '%s' -o '%s' '%s'", p("vec.txt"), p("vec.txt"), p("in.txt")), 2);
    assert_int_equal(shf("$X w2v convert -i '%s' -o '%s'", p("vec.txt"), p("vec.txt")), 2);
    write_text(p("r.csv"), "user,item,rating\nu1,i1,5\nu1,i2,3\nu2,i1,4\nu2,i3,2\nu3,i2,1\nu3,i3,5\n");
    assert_int_equal(shf("$X eval -q --ratings '%s' --models popularity --json '%s'", p("r.csv"), p("r.csv")), 2);
    assert_int_equal(shf("$X eval -q --ratings '%s' --models popularity --svg '%s'", p("r.csv"), p("r.csv")), 2);
    t = read_text(p("corpus.txt"), NULL);
    assert_string_equal(t, "a b c\nb c d\n");
    free(t);
    t = read_text(p("r.csv"), NULL);
    assert_non_null(strstr(t, "u3,i3,5"));
    free(t);
    /* convert -o into the checkpoint it reads */
    assert_int_equal(shf("cp -r tests/fixtures/distilbert_tiny '%s'", p("ckpt")), 0);
    assert_int_equal(shf("$X convert -q '%s' -o '%s/model.safetensors'", p("ckpt"), p("ckpt")), 2);
    expect_err("same file as the input");
}

static void test_cli_failed_write_keeps_previous(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    /* convert -o PATH that fails to write (file size limit: EFBIG) leaves the previous PATH */
    write_text(p("prev.xlm"), "the previous model\n");
    int rc = shf("trap '' XFSZ; ulimit -f 20 && $X convert -q tests/fixtures/distilbert_tiny -o '%s'", p("prev.xlm"));
    if (rc == 0) skip(); /* no file size limit here */
    assert_int_equal(rc, 1);
    expect_err("File too large");
    char *t = read_text(p("prev.xlm"), NULL);
    assert_string_equal(t, "the previous model\n");
    free(t);
    assert_int_equal(temp_files_left(), 0);
    /* a symlink to a device given as -o: the write fails, the link is not unlinked */
    if (exists("/dev/full")) {
        assert_int_equal(shf("ln -s /dev/full '%s'", p("full.xlm")), 0);
        assert_int_equal(shf("$X convert -q tests/fixtures/distilbert_tiny -o '%s'", p("full.xlm")), 1);
        expect_err("No space left on device");
        assert_int_equal(shf("test -L '%s'", p("full.xlm")), 0);
        assert_int_equal(xl_path_kind_of("/dev/full"), XL_PATH_OTHER);
        assert_int_equal(shf("$X convert -q tests/fixtures/distilbert_tiny -o /dev/full"), 1);
        assert_int_equal(xl_path_kind_of("/dev/full"), XL_PATH_OTHER);
    }
    /* a failure half-way (line 3 is bad) leaves the previous embeddings, not a partial file */
    tiny_model();
    write_text(p("ids.txt"), "2 3\n2 4\n2 x\n");
    write_text(p("out.tsv"), "previous result\n");
    assert_int_equal(shf("$X embed -m '%s' --input ids -b 1 -o '%s' '%s'", p("m.xlm"), p("out.tsv"), p("ids.txt")), 1);
    t = read_text(p("out.tsv"), NULL);
    assert_string_equal(t, "previous result\n");
    free(t);
    assert_int_equal(temp_files_left(), 0);
}

static void test_cli_stdout_full_exits_1(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    if (!exists("/dev/full")) skip();
    write_text(p("vec.txt"), "4 2\nhello 1 0\nworld 0 1\nthere 1 1\nagain 1 2\n");
    assert_int_equal(shf("$X w2v similar -v '%s' hello >/dev/full", p("vec.txt")), 1);
    expect_err("stdout");
    assert_int_equal(shf("$X w2v analogy -v '%s' hello world there -k 1 >/dev/full", p("vec.txt")), 1);
    write_text(p("src.txt"), "hello world\nthere\n");
    write_text(p("tgt.txt"), "hello world\nthere\n");
    assert_int_equal(shf("$X eval-retrieval --src-vectors '%s' --tgt-vectors '%s' --src '%s' --tgt '%s' >/dev/full",
                         p("vec.txt"), p("vec.txt"), p("src.txt"), p("tgt.txt")),
                     1);
    assert_int_equal(shf("$X --help >/dev/full"), 1);
}

/* ---- CLI: readers of non-regular files ------------------------------------------------- */

static void test_cli_dev_zero_inputs_refused(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    if (!exists("/dev/zero")) skip();
    tiny_model();
    write_text(p("in.txt"), "hello\n");
    /* each used to read /dev/zero until the OOM killer; now the format's head check stops it */
    struct {
        const char *args, *want;
    } cases[] = {
        {"inspect /dev/zero", "not an xlrec model file"},
        {"embed -m /dev/zero '%s'", "not an xlrec model file"},
        {"tokenize --vocab /dev/zero '%s'", "not a text file"},
        {"w2v similar -v /dev/zero hello", "no header line"},
        {"ngram query -m /dev/zero '%s'", "no \\data\\ line"},
        {"translate --dict /dev/zero '%s'", "not a text file"},
        {"embed-words -w /dev/zero '%s'", "no header line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[600];
        snprintf(args, sizeof args, cases[i].args, p("in.txt"));
        print_message("    xlrec %s\n", args);
        assert_int_equal(shf("$X %s >/dev/null", args), 1);
        expect_err(cases[i].want);
    }
    /* a checkpoint whose model.safetensors links to /dev/zero */
    assert_int_equal(shf("cp -r tests/fixtures/distilbert_tiny '%s' && rm '%s/model.safetensors' && "
                         "ln -s /dev/zero '%s/model.safetensors'",
                         p("ckpt"), p("ckpt"), p("ckpt")),
                     0);
    assert_int_equal(shf("$X convert -q '%s' -o '%s'", p("ckpt"), p("out.xlm")), 1);
    expect_err("safetensors header length 0");
    assert_false(exists(p("out.xlm")));
    /* a directory given as a file says so */
    assert_int_equal(shf("$X inspect '%s'", g_dir), 1);
    expect_err("is a directory");
    assert_int_equal(shf("$X embed -m '%s' '%s'", p("m.xlm"), g_dir), 1);
    expect_err("is a directory");
    assert_int_equal(shf("$X ngram query -m '%s' '%s'", g_dir, p("in.txt")), 1);
    expect_err("is a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output_commit_replaces_atomically, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_output_abort_keeps_target, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_output_follows_links_and_devices, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_same_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_read_caps_and_head_check, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_cli_output_is_input_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_cli_failed_write_keeps_previous, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_cli_stdout_full_exits_1, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_cli_dev_zero_inputs_refused, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests_name("reliability", tests, NULL, NULL);
}
