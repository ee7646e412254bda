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
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bert.h"
#include "w2v_vectors.h"
#include "wordpiece.h"
#include "xl_io.h"
#include "xl_kernels.h"
#include "xl_model.h"
#include "xl_platform.h"
#include "xl_safetensors.h"
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

/* A copy of model src at dst with one change: an int metadata key set (meta_key), one weight
 * replaced (bad_tensor[bad_index] = bad_value), a vocabulary token renamed (token_from ->
 * token_to), or the position table grown to pos_rows rows of zeros. */
typedef struct {
    const char *meta_key;
    int64_t meta_value;
    const char *bad_tensor;
    size_t bad_index;
    float bad_value;
    const char *token_from, *token_to;
    size_t pos_rows;
} model_tweak;

static void rewrite_model(const char *src, const char *dst, const model_tweak *t)
{
    xl_error err;
    xl_model *m = NULL;
    assert_int_equal(xl_model_open(&m, src, &err), 0);
    xl_model_writer *w = xl_model_writer_new(&err);
    assert_non_null(w);
    for (size_t i = 0; i < xl_model_meta_count(m); i++) {
        const xl_meta *e = xl_model_meta_at(m, i);
        int rc = 0;
        if (t->meta_key && strcmp(e->key, t->meta_key) == 0)
            rc = xl_model_writer_set_int(w, e->key, t->meta_value, &err);
        else if (e->type == XL_META_INT)
            rc = xl_model_writer_set_int(w, e->key, e->i, &err);
        else if (e->type == XL_META_DOUBLE)
            rc = xl_model_writer_set_double(w, e->key, e->d, &err);
        else if (e->type == XL_META_BOOL)
            rc = xl_model_writer_set_bool(w, e->key, e->i != 0, &err);
        else
            rc = xl_model_writer_set_string(w, e->key, e->s, &err);
        assert_int_equal(rc, 0);
    }
    for (size_t i = 0; i < xl_model_vocab_count(m); i++) {
        size_t len;
        const char *tok = xl_model_vocab_token(m, i, &len);
        if (t->token_from && strcmp(tok, t->token_from) == 0) tok = t->token_to, len = strlen(tok);
        assert_int_equal(xl_model_writer_add_token(w, tok, len, &err), 0);
    }
    for (size_t i = 0; i < xl_model_tensor_count(m); i++) {
        const xl_tensor *x = xl_model_tensor_at(m, i);
        uint64_t shape[XL_MODEL_MAX_RANK];
        memcpy(shape, x->shape, sizeof shape);
        size_t count = x->count;
        bool grow = t->pos_rows && strcmp(x->name, "embeddings.position_embeddings.weight") == 0;
        if (grow) {
            shape[0] = t->pos_rows;
            count = t->pos_rows * (size_t)shape[1];
        }
        float *data = calloc(count ? count : 1, sizeof *data);
        assert_non_null(data);
        if (!grow) memcpy(data, x->data, x->count * sizeof *data);
        if (t->bad_tensor && strcmp(x->name, t->bad_tensor) == 0) data[t->bad_index] = t->bad_value;
        assert_int_equal(xl_model_writer_add_tensor(w, x->name, x->rank, shape, data, free, &err), 0);
    }
    assert_int_equal(xl_model_writer_write(w, dst, &err), 0);
    xl_model_writer_free(w);
    xl_model_close(m);
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
    /* align's outputs, run --out DIR's files */
    write_text(p("dict.txt"), "hello world\n");
    assert_int_equal(shf("$X align --src-vectors '%s' --tgt-vectors '%s' --dict '%s' --output-src '%s'", p("vec.txt"),
                         p("vec.txt"), p("dict.txt"), p("dict.txt")),
                     2);
    assert_int_equal(shf("$X align --src-vectors '%s' --tgt-vectors '%s' --dict '%s' --output-matrix '%s'",
                         p("vec.txt"), p("vec.txt"), p("dict.txt"), p("vec.txt")),
                     2);
    write_text(p("recommendations.tsv"), "user\titem\nu1\ti1\n");
    assert_int_equal(shf("$X run --items '%s' --interactions '%s' --word-vectors '%s' --out '%s'", p("r.csv"),
                         p("recommendations.tsv"), p("vec.txt"), g_dir),
                     2);
    expect_err("recommendations.tsv is the same file as the input");
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

/* ---- activations: overflow-checked, capped -------------------------------------------- */

/* A 6 MB model claiming 65,536 positions, and one 65,536-token sequence: nh*n*n wrapped a 32-bit
 * size_t (heap overflow on armhf) and asked for 4-16 GB on 64-bit.  Now refused before any
 * activation is allocated, with the limit named. */
static void test_bert_huge_sequence_refused(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    tiny_model();
    model_tweak t = {0};
    t.pos_rows = 65536;
    rewrite_model(p("m.xlm"), p("big.xlm"), &t);
    model_tweak t2 = {0};
    t2.meta_key = "max_position";
    t2.meta_value = 65536;
    rewrite_model(p("big.xlm"), p("big2.xlm"), &t2);
    model_tweak t3 = {0};
    t3.meta_key = "max_seq_len";
    t3.meta_value = 65536;
    rewrite_model(p("big2.xlm"), p("big3.xlm"), &t3);
    xl_error err;
    xl_model *m = NULL;
    assert_int_equal(xl_model_open(&m, p("big3.xlm"), &err), 0);
    xl_kernels k;
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_SCALAR, 1, &err), 0);
    xl_bert *b = NULL;
    assert_int_equal(xl_bert_from_model(&b, m, &k, &err), 0);
    assert_int_equal(b->cfg.max_position, 65536);
    const size_t n = 65536;
    int32_t *ids = calloc(n, sizeof *ids);
    assert_non_null(ids);
    const int32_t *idp[1] = {ids};
    size_t lens[1] = {n};
    xl_bert_input in = {1, idp, NULL, NULL, lens};
    xl_bert_acts acts;
    xl_bert_acts_init(&acts, false);
    assert_int_equal(xl_bert_forward(b, &k, 1, &in, &acts, &err), -1);
    print_message("    %s\n", err.msg);
    assert_true(strstr(err.msg, "XL_BERT_MAX_ACT_BYTES") != NULL || strstr(err.msg, "overflows") != NULL);
    /* 32-bit: 3 * 65536^2 does not fit size_t, so it must be the overflow check that refuses */
    if (sizeof(size_t) < 8) assert_non_null(strstr(err.msg, "overflows"));
    xl_bert_acts_free(&acts);
    free(ids);
    xl_bert_free(b);
    xl_kernels_free(&k);
    xl_model_close(m);
    /* the CLI: a long line is cut at the model's max_seq_len (65,536) while it is tokenised, then
     * the forward pass refuses the batch (exit 1, the limit named) */
    FILE *f = fopen(p("long.txt"), "wb");
    assert_non_null(f);
    for (size_t i = 0; i < 70000; i++) fputs("the ", f);
    fputs("\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(shf("$X embed -m '%s' '%s' >/dev/null", p("big3.xlm"), p("long.txt")), 1);
    expect_err("activation");
}

/* Tokenising stops storing tokens at the truncation length: a line of 300,000 words keeps
 * 64 tokens (n_truncated still counts every dropped one). */
static void test_long_line_tokenised_within_max_length(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    FILE *f = fopen(p("long.txt"), "wb");
    assert_non_null(f);
    for (size_t i = 0; i < 300000; i++) fputs(i % 7 ? "the " : "movie, ", f);
    fputs("\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(shf("$X tokenize --vocab tests/fixtures/distilbert_tiny/vocab.txt --max-len 64 '%s' > '%s'",
                         p("long.txt"), p("ids.txt")),
                     0);
    char *t = read_text(p("ids.txt"), NULL);
    assert_non_null(t);
    size_t fields = 1;
    for (char *q = t; *q && *q != '\n'; q++) fields += *q == ' ';
    assert_int_equal(fields, 64);
    free(t);
}

/* Normalising a long line in 64 KiB chunks must not change a single token: a line made of n copies
 * of a sentence that ends at a word boundary tokenises to n copies of the sentence's tokens, with
 * offsets shifted by the sentence length.  The sentences hold accents, combining marks, Greek,
 * CJK (split points without ASCII), full-width punctuation and a run without any split point;
 * both lowercase settings (strip_accents reorders and drops marks). */
static void check_repeated(const xl_wordpiece *wp, const char *sentence)
{
    const size_t sl = strlen(sentence), copies = 200000 / sl + 2;
    char *line = malloc(sl * copies + 1);
    assert_non_null(line);
    for (size_t i = 0; i < copies; i++) memcpy(line + i * sl, sentence, sl);
    line[sl * copies] = '\0';
    xl_wordpiece_encode_options o;
    xl_wordpiece_encode_options_default(&o);
    o.add_special_tokens = false;
    xl_wordpiece_encoding one, all;
    xl_wordpiece_encoding_init(&one);
    xl_wordpiece_encoding_init(&all);
    xl_error err;
    assert_int_equal(xl_wordpiece_encode(wp, sentence, sl, NULL, 0, &o, &one, &err), 0);
    assert_int_equal(xl_wordpiece_encode(wp, line, sl * copies, NULL, 0, &o, &all, &err), 0);
    assert_true(one.len > 0);
    assert_int_equal(all.len, one.len * copies);
    for (size_t c = 0; c < copies; c++)
        for (size_t k = 0; k < one.len; k++) {
            size_t at = c * one.len + k;
            if (all.ids[at] != one.ids[k] || all.offsets[2 * at] != one.offsets[2 * k] + c * sl ||
                all.offsets[2 * at + 1] != one.offsets[2 * k + 1] + c * sl) {
                print_message("copy %zu token %zu: id %d vs %d, offset %zu vs %zu\n", c, k, (int)all.ids[at],
                              (int)one.ids[k], all.offsets[2 * at], one.offsets[2 * k] + c * sl);
                fail();
            }
        }
    xl_wordpiece_encoding_free(&one);
    xl_wordpiece_encoding_free(&all);
    free(line);
}

static void test_chunked_normalisation_keeps_tokens(void **state)
{
    (void)state;
    static const char *const sentences[] = {
        "Hello, wo\xcc\x88rld! Caf\xc3\xa9 na\xc3\xafve the movie. ",
        "\xe6\x9d\xb1\xe4\xba\xac\xe3\x82\xbf\xe3\x83\xaf\xe3\x83\xbc\xe6\x97\xa5\xe6\x9c\xac"
        "\xe3\x80\x82", /* Tokyo tower, Japan + ideographic full stop: no ASCII at all */
        "e\xcc\x81\xcc\xa3 \xce\xa3\xce\xaf\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x82\xef\xbc\x8c",
        "abcdefghijklmnopqrstuvwxyz\xc3\xa9\xcc\x81-",
    };
    for (int lower = 0; lower <= 1; lower++) {
        xl_error err;
        xl_wordpiece *wp = xl_wordpiece_load("tests/fixtures/distilbert_tiny/vocab.txt", lower, &err);
        assert_non_null(wp);
        for (size_t i = 0; i < sizeof sentences / sizeof sentences[0]; i++) check_repeated(wp, sentences[i]);
        xl_wordpiece_free(wp);
    }
}

/* A "word" longer than a chunk (a 150 KB run of letters, e.g. a hex dump) is one [UNK] spanning
 * its first to its last kept character, without being normalised whole; around it the tokens
 * are those of the short text.  With strip_accents a leading combining mark is dropped, so the
 * span starts after it; control characters (clean_text) are dropped in both settings. */
static void test_long_word_is_one_unk(void **state)
{
    (void)state;
    const size_t n_e = 75000; /* "\xc3\xa9" (e acute) x 75,000 = 150 KB */
    const char *head = "the \x01\xcc\x81", *tail = "\x02 movie";
    size_t hl = strlen(head), tl = strlen(tail), len = hl + 2 * n_e + tl;
    char *line = malloc(len + 1);
    assert_non_null(line);
    memcpy(line, head, hl);
    for (size_t i = 0; i < n_e; i++) memcpy(line + hl + 2 * i, "\xc3\xa9", 2);
    memcpy(line + hl + 2 * n_e, tail, tl + 1);
    for (int lower = 0; lower <= 1; lower++) {
        xl_error err;
        xl_wordpiece *wp = xl_wordpiece_load("tests/fixtures/distilbert_tiny/vocab.txt", lower, &err);
        assert_non_null(wp);
        xl_wordpiece_encode_options o;
        xl_wordpiece_encode_options_default(&o);
        o.add_special_tokens = false;
        xl_wordpiece_encoding e, ref;
        xl_wordpiece_encoding_init(&e);
        xl_wordpiece_encoding_init(&ref);
        assert_int_equal(xl_wordpiece_encode(wp, line, len, NULL, 0, &o, &e, &err), 0);
        assert_int_equal(xl_wordpiece_encode(wp, "the movie", 9, NULL, 0, &o, &ref, &err), 0);
        assert_int_equal(e.len, ref.len + 1);
        assert_int_equal(e.ids[0], ref.ids[0]);
        assert_int_equal(e.ids[e.len - 1], ref.ids[ref.len - 1]);
        size_t n = 0;
        const char *tok = xl_wordpiece_id_to_token(wp, e.ids[1], &n);
        assert_non_null(tok);
        assert_memory_equal(tok, "[UNK]", 5);
        /* the word: \x01 (control: dropped), U+0301 (kept unless strip_accents), e acute..., \x02 */
        size_t first = lower ? hl : hl - 2, last_end = hl + 2 * n_e;
        assert_int_equal(e.offsets[2], first);
        assert_int_equal(e.offsets[3], last_end);
        xl_wordpiece_encoding_free(&e);
        xl_wordpiece_encoding_free(&ref);
        xl_wordpiece_free(wp);
    }
    free(line);
}

/* A word2vec header "0 4611686018427387903" asked for 2^64 bytes (ASan aborted): refused at the
 * header, with the limit named. */
static void test_w2v_absurd_dimension_refused(void **state)
{
    (void)state;
    static const char hdr[] = "0 4611686018427387903\n";
    xl_w2v_vectors v;
    xl_error err;
    assert_int_equal(xl_w2v_vectors_read_memory(hdr, sizeof hdr - 1, "v.txt", W2V_FORMAT_AUTO, 0, &v, &err), -1);
    assert_non_null(strstr(err.msg, "W2V_MAX_DIM"));
    static const char ok[] = "1 3\nhello 1 2 3\n";
    assert_int_equal(xl_w2v_vectors_read_memory(ok, sizeof ok - 1, "v.txt", W2V_FORMAT_AUTO, 0, &v, &err), 0);
    xl_w2v_vectors_free(&v);
    (void)xl_test_bin_or_skip();
    write_text(p("v.txt"), hdr);
    assert_int_equal(shf("$X w2v similar -v '%s' hello", p("v.txt")), 1);
    expect_err("W2V_MAX_DIM");
}

/* ---- ratings -------------------------------------------------------------------------- */

static const char ratings_1e300[] = "user,item,rating\nu1,i1,5\nu1,i2,3\nu2,i1,4\nu2,i3,2\nu3,i2,1\nu3,i3,1e300\n"
                                    "u4,i1,3\nu4,i2,4\n";

static void test_ratings_out_of_range(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    write_text(p("r.csv"), ratings_1e300);
    /* 1e300 emptied every list (mf, baseline), printed inf (mean), made RMSE -nan: now an error naming the line */
    static const char *const models[] = {"mf", "baseline", "mean"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(shf("$X recommend -q --ratings '%s' --rating-col rating -m %s >/dev/null", p("r.csv"), models[i]),
                         1);
        expect_err("r.csv:7: rating 1e+300 outside");
    }
    assert_int_equal(shf("$X eval -q --ratings '%s' --rating-col rating --models mf,mean,baseline -k 2 >/dev/null",
                         p("r.csv")),
                     1);
    expect_err("r.csv:7: rating 1e+300 outside");
    /* --rating-min 1 alone is honoured (it was ignored without --rating-max) */
    write_text(p("z.csv"), "user,item,rating\nu1,i1,5\nu1,i2,0\nu2,i1,4\n");
    assert_int_equal(shf("$X recommend -q --ratings '%s' --rating-col rating --rating-min 1 >/dev/null", p("z.csv")), 1);
    expect_err("z.csv:3: rating 0 outside [1, 1e+09]");
    assert_int_equal(shf("$X recommend -q --ratings '%s' --rating-col rating --rating-min 1 --rating-max 0", p("z.csv")),
                     1);
    expect_err("--rating-min 1 is above --rating-max 0");
    /* clamp and skip: counted in the load report, finite results for everyone */
    assert_int_equal(shf("$X recommend --ratings '%s' --rating-col rating -m baseline --rating-max 5 "
                         "--rating-policy clamp -k 1 > '%s'",
                         p("r.csv"), p("out.tsv")),
                     0);
    expect_err("1 rating clamped into range, line 7");
    char *t = read_text(p("out.tsv"), NULL);
    assert_non_null(t);
    size_t lines = 0;
    for (char *q = t; *q; q++) lines += *q == '\n';
    assert_int_equal(lines, 4); /* one recommendation per user */
    assert_null(strstr(t, "inf"));
    assert_null(strstr(t, "nan"));
    free(t);
    assert_int_equal(shf("$X recommend --ratings '%s' --rating-col rating -m mean --rating-policy skip -k 1 > '%s'",
                         p("r.csv"), p("out.tsv")),
                     0);
    expect_err("1 rating out of range (line 7)");
    assert_int_equal(shf("$X eval -q --ratings '%s' --rating-col rating --models mean,baseline --rating-policy skip "
                         "-k 2 > '%s'",
                         p("r.csv"), p("out.tsv")),
                     0);
    t = read_text(p("out.tsv"), NULL);
    assert_non_null(t);
    assert_null(strstr(t, "nan"));
    assert_null(strstr(t, "inf"));
    free(t);
    /* the help no longer claims a default the code does not apply */
    assert_int_equal(shf("$X recommend --help > '%s'", p("help.txt")), 0);
    t = read_text(p("help.txt"), NULL);
    assert_non_null(t);
    assert_null(strstr(t, "ratings below are dropped"));
    assert_non_null(strstr(t, "--rating-policy"));
    free(t);
}

/* A model whose training diverges (mf on ratings up to 1e9) is an error, not NaN scores that
 * silently empty the lists or print "-nan" as RMSE. */
static void test_diverged_model_refused(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    write_text(p("r.csv"), "user,item,rating\nu1,i1,5\nu1,i2,3\nu2,i1,4\nu2,i3,2\nu3,i2,1\nu3,i3,1e9\n"
                           "u4,i1,3\nu4,i2,4\n");
    int rc = shf("$X eval -q --ratings '%s' --rating-col rating --models mf -k 2 > '%s'", p("r.csv"), p("out.txt"));
    if (rc == 0) { /* did not diverge on this host: then the numbers must be finite */
        char *t = read_text(p("out.txt"), NULL);
        assert_null(strstr(t, "nan"));
        free(t);
        return;
    }
    assert_int_equal(rc, 1);
    expect_err("diverged");
}

/* A bad token id in a batch of 4 said "lines 1..4: sequence 2, position 1: ..."; now the line. */
static void test_embed_names_the_bad_line(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    tiny_model();
    write_text(p("ids.txt"), "2 3\n2 3\n2 500\n2 3\n");
    assert_int_equal(shf("$X embed -m '%s' --input ids '%s' >/dev/null", p("m.xlm"), p("ids.txt")), 1);
    expect_err("ids.txt:3: position 1: token id 500 outside 0..119");
    write_text(p("types.txt"), "2 3\n2 3\t0 7\n");
    assert_int_equal(shf("$X embed -m '%s' --input ids '%s' >/dev/null", p("m.xlm"), p("types.txt")), 1);
    expect_err("types.txt:2: position 1: token type id 7");
}

static void test_column_beyond_fields_named(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    write_text(p("r.csv"), "user,item,rating\nu1,i1,5\nu2,i1,4\n");
    assert_int_equal(shf("$X recommend -q --ratings '%s' --user-col 99", p("r.csv")), 1);
    expect_err("the user column (99) is field 99");
}

/* convert looked every checkpoint tensor up among the expected names one by one (200k tensors:
 * 15 s); now by binary search.  Functional check of that path: 3,000 tensors that are not part of
 * the encoder are skipped and the result is the same model as without them. */
static void test_convert_many_unknown_tensors(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    assert_int_equal(shf("cp -r tests/fixtures/distilbert_tiny '%s'", p("ckpt")), 0);
    char st_path[800];
    snprintf(st_path, sizeof st_path, "%s/model.safetensors", p("ckpt"));
    char *st = NULL;
    size_t st_len = 0;
    xl_error err;
    assert_int_equal(xl_read_file(st_path, 0, &st, &st_len, &err), 0);
    uint64_t hdr = 0;
    for (int i = 7; i >= 0; i--) hdr = hdr << 8 | (unsigned char)st[i];
    assert_true(hdr >= 2 && 8 + hdr <= st_len && st[8] == '{');
    const size_t data_len = st_len - 8 - (size_t)hdr, n_extra = 3000;
    xl_buf h;
    xl_buf_init(&h);
    assert_int_equal(xl_buf_putc(&h, '{', &err), 0);
    for (size_t i = 0; i < n_extra; i++)
        assert_int_equal(xl_buf_printf(&h, &err, "\"extra.head.%zu\":{\"dtype\":\"F32\",\"shape\":[1],"
                                       "\"data_offsets\":[%zu,%zu]},", i, data_len + 4 * i, data_len + 4 * i + 4),
                         0);
    assert_int_equal(xl_buf_append(&h, st + 9, (size_t)hdr - 1, &err), 0);
    FILE *f = fopen(st_path, "wb");
    assert_non_null(f);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
    assert_int_equal(fwrite(len8, 1, 8, f), 8);
    assert_int_equal(fwrite(h.data, 1, h.len, f), h.len);
    assert_int_equal(fwrite(st + 8 + hdr, 1, data_len, f), data_len);
    static const float zero = 0.0f;
    for (size_t i = 0; i < n_extra; i++) assert_int_equal(fwrite(&zero, 1, 4, f), 4); /* any 4 bytes */
    assert_int_equal(fclose(f), 0);
    xl_buf_free(&h);
    free(st);
    assert_int_equal(shf("$X convert -q '%s' -o '%s'", p("ckpt"), p("many.xlm")), 0);
    tiny_model();
    assert_int_equal(shf("$X inspect '%s' | tail -n 1 > '%s'", p("many.xlm"), p("a.txt")), 0);
    assert_int_equal(shf("$X inspect '%s' | tail -n 1 > '%s'", p("m.xlm"), p("b.txt")), 0);
    char *a = read_text(p("a.txt"), NULL), *b = read_text(p("b.txt"), NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b); /* "parameters N": the same encoder */
    free(a);
    free(b);
}

/* ---- numbers and inspect ------------------------------------------------------------- */

static void test_nonfinite_weights(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    tiny_model();
    write_text(p("in.txt"), "hello world\n");
    model_tweak t = {0};
    t.bad_tensor = "embeddings.LayerNorm.weight";
    t.bad_index = 5;
    t.bad_value = NAN;
    rewrite_model(p("m.xlm"), p("nan.xlm"), &t);
    /* embed printed nan vectors with exit 0; now exit 1 naming the line */
    assert_int_equal(shf("$X embed -m '%s' '%s' > '%s'", p("nan.xlm"), p("in.txt"), p("out.tsv")), 1);
    expect_err("in.txt:1: the model produced a non-finite value");
    assert_int_equal(shf("$X embed -m '%s' -o '%s' '%s'", p("nan.xlm"), p("o.tsv"), p("in.txt")), 1);
    assert_false(exists(p("o.tsv")));
    assert_int_equal(shf("$X embed -m '%s' --pooling none '%s' >/dev/null", p("nan.xlm"), p("in.txt")), 1);
    expect_err("in.txt:1: the model produced a non-finite value (nan) at token 0, dimension 0");
    /* inspect --check-weights names the tensor and the index */
    assert_int_equal(shf("$X inspect --check-weights '%s' >/dev/null", p("nan.xlm")), 1);
    expect_err("tensor 'embeddings.LayerNorm.weight' holds a non-finite value (nan) at flat index 5");
    t.bad_value = INFINITY;
    rewrite_model(p("m.xlm"), p("inf.xlm"), &t);
    assert_int_equal(shf("$X inspect --check-weights '%s' >/dev/null", p("inf.xlm")), 1);
    expect_err("(inf) at flat index 5");
    assert_int_equal(shf("$X inspect --check-weights '%s' >/dev/null", p("m.xlm")), 0);
    /* convert refuses a checkpoint with a NaN weight (all-ones bits: NaN in F32, F16 and BF16) */
    assert_int_equal(shf("cp -r tests/fixtures/distilbert_tiny '%s'", p("ckpt")), 0);
    char *st = NULL;
    size_t st_len = 0;
    xl_error err;
    char st_path[800];
    snprintf(st_path, sizeof st_path, "%s/model.safetensors", p("ckpt"));
    assert_int_equal(xl_read_file(st_path, 0, &st, &st_len, &err), 0);
    uint64_t hdr = 0;
    for (int i = 7; i >= 0; i--) hdr = hdr << 8 | (unsigned char)st[i];
    xl_safetensors *sf = NULL;
    assert_int_equal(xl_safetensors_open(&sf, st_path, &err), 0);
    const xl_st_tensor *pos = xl_safetensors_find(sf, "distilbert.embeddings.position_embeddings.weight");
    assert_non_null(pos);
    size_t at = 8 + (size_t)hdr + pos->data_begin + 3 * 4; /* flat index 3 (4 bytes: F32) */
    assert_int_equal(pos->dtype, XL_ST_F32);
    xl_safetensors_close(sf);
    assert_true(at + 4 <= st_len);
    memset(st + at, 0xff, 4); /* all-ones bits: a NaN */
    FILE *f = fopen(st_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(st, 1, st_len, f), st_len);
    assert_int_equal(fclose(f), 0);
    free(st);
    assert_int_equal(shf("$X convert -q '%s' -o '%s'", p("ckpt"), p("c.xlm")), 1);
    expect_err("tensor 'distilbert.embeddings.position_embeddings.weight' holds a non-finite value (nan) at flat index 3");
    assert_false(exists(p("c.xlm")));
}

static void test_inspect_validates_like_the_loader(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    tiny_model();
    /* heads not dividing hidden (24 / 5): embed refused it, inspect printed it */
    model_tweak t = {0};
    t.meta_key = "num_heads";
    t.meta_value = 5;
    rewrite_model(p("m.xlm"), p("heads.xlm"), &t);
    assert_int_equal(shf("$X inspect '%s' >/dev/null", p("heads.xlm")), 1);
    expect_err("not a multiple of num_heads");
    /* a vocabulary without its [UNK] */
    model_tweak u = {0};
    u.token_from = "[UNK]";
    u.token_to = "[NOT-UNK]";
    rewrite_model(p("m.xlm"), p("unk.xlm"), &u);
    write_text(p("in.txt"), "hello\n");
    int embed_rc = shf("$X embed -m '%s' '%s' >/dev/null", p("unk.xlm"), p("in.txt"));
    assert_int_equal(embed_rc, 1);
    assert_int_equal(shf("$X inspect '%s' >/dev/null", p("unk.xlm")), 1);
    expect_err("[UNK]");
    /* max_seq_len above max_position */
    model_tweak q = {0};
    q.meta_key = "max_seq_len";
    q.meta_value = 41;
    rewrite_model(p("m.xlm"), p("seq.xlm"), &q);
    assert_int_equal(shf("$X inspect '%s' >/dev/null", p("seq.xlm")), 1);
    expect_err("exceeds max_position");
    /* terminal escape sequences in a token are printed escaped */
    model_tweak e = {0};
    e.token_from = "[MASK]";
    e.token_to = "\x1b]0;pwned\x07\x1b[2J";
    rewrite_model(p("m.xlm"), p("esc.xlm"), &e);
    assert_int_equal(shf("$X inspect --tokens 200 '%s' > '%s'", p("esc.xlm"), p("out.txt")), 0);
    char *out = read_text(p("out.txt"), NULL);
    assert_non_null(out);
    assert_null(strchr(out, 0x1b));
    assert_null(strchr(out, 0x07));
    assert_non_null(strstr(out, "\\x1b]0;pwned\\x07\\x1b[2J"));
    free(out);
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
        cmocka_unit_test_setup_teardown(test_bert_huge_sequence_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_long_line_tokenised_within_max_length, setup_dir, teardown_dir),
        cmocka_unit_test(test_chunked_normalisation_keeps_tokens),
        cmocka_unit_test(test_long_word_is_one_unk),
        cmocka_unit_test_setup_teardown(test_w2v_absurd_dimension_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_ratings_out_of_range, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_diverged_model_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_column_beyond_fields_named, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_embed_names_the_bad_line, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_convert_many_unknown_tensors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_nonfinite_weights, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_inspect_validates_like_the_loader, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests_name("reliability", tests, NULL, NULL);
}
