/* test_datapath.c - where the shipped defaults are found (src/core/xl_datapath.h) and the
 * commands that use them: the encoder is the default of embed, eval-retrieval and run, the
 * word vectors are the baseline behind --word-vectors without FILE, langid finds its model
 * from any working directory, and the order is option > $XLREC_DATA > installed > source tree.
 *
 * The data directory used here is built in a temporary folder: the in-repo DistilBERT fixture
 * converted as default/xlrec-encoder.xlm, a two-language identifier trained on four lines
 * (labels qa/qb, which the shipped identifier does not have) as langid/langid.xlid, and four
 * two-dimensional word vectors as default/xlrec-default-xl12.f16.  Nothing here reads /work or
 * the shipped encoder. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xl_datapath.h"
#include "xl_embedder.h"
#include "xl_test.h"

static char root[512];      /* the temporary folder */
static char data[600];      /* root/data: laid out like share/xlrec */
static char empty[600];     /* root/empty: a data directory without files */
static char elsewhere[600]; /* root/elsewhere: the working directory of the commands */
static char bin[2048];       /* $XLREC_BIN with every relative path made absolute */
static char repo[512];      /* the working directory of the suite (the repository root) */

static int sh(const char *cmd)
{
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* Whole file into out[cap] (NUL-terminated); "" when it cannot be read. */
static void read_file(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* Run `cd elsewhere && [XLREC_DATA=env] xlrec args`; stdout and stderr into out/err[cap].
 * env NULL: XLREC_DATA unset.  Returns the exit status. */
static int xlrec(const char *env, const char *args, char *out, char *err, size_t cap)
{
    char cmd[32768], out_path[1200], err_path[1200];
    snprintf(out_path, sizeof out_path, "%s/out.txt", root);
    snprintf(err_path, sizeof err_path, "%s/err.txt", root);
    /* the caller's overrides would hide what is checked */
    const char *unset = "unset XLREC_DATA XLREC_LANGID_MODEL XLREC_WORD_VECTORS";
    if (env)
        snprintf(cmd, sizeof cmd, "cd '%s' && %s; XLREC_DATA='%s' %s %s <%s/in.txt >%s 2>%s", elsewhere, unset, env, bin,
                 args, root, out_path, err_path);
    else
        snprintf(cmd, sizeof cmd, "cd '%s' && %s; %s %s <%s/in.txt >%s 2>%s", elsewhere, unset, bin, args, root,
                 out_path, err_path);
    int rc = sh(cmd);
    if (out) read_file(out_path, out, cap);
    if (err) read_file(err_path, err, cap);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("XLREC_BIN");
    if (!b) return 0; /* the CLI tests skip */
    if (!getcwd(repo, sizeof repo)) return -1;
    /* "qemu-aarch64 build/cross-aarch64/xlrec": make each word with a '/' absolute */
    bin[0] = '\0';
    for (const char *p = b; *p;) {
        while (*p == ' ') p++;
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0) break;
        bool rel = memchr(p, '/', len) && p[0] != '/';
        size_t at = strlen(bin);
        snprintf(bin + at, sizeof bin - at, "%s%s%s%.*s", at ? " " : "", rel ? repo : "", rel ? "/" : "", (int)len, p);
        p += len;
    }
    snprintf(root, sizeof root, "%s", xl_test_tmp_path("datapath"));
    snprintf(data, sizeof data, "%s/data", root);
    snprintf(empty, sizeof empty, "%s/empty", root);
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", root);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/default' '%s/langid' '%s' '%s'", data, data, empty, elsewhere);
    if (sh(cmd) != 0) return -1;
    char path[1300];
    snprintf(path, sizeof path, "%s/in.txt", root);
    write_file(path, "the cat and the dog\nle chat et le chien\n");
    snprintf(path, sizeof path, "%s/lid.tsv", root);
    write_file(path, "qa\tthe cat and the dog in the house\nqb\tle chat et le chien dans la maison\n"
                     "qa\ta small house with a garden\nqb\tune petite maison avec un jardin\n");
    snprintf(path, sizeof path, "%s/default/xlrec-default-xl12.f16", data); /* text vectors: read by content */
    write_file(path, "4 2\ncat 1 0\nchat 1 0\ndog 0 1\nchien 0 1\n");
    snprintf(path, sizeof path, "%s/en.txt", root);
    write_file(path, "the cat\nthe dog\n");
    snprintf(path, sizeof path, "%s/fr.txt", root);
    write_file(path, "le chat\nle chien\n");
    snprintf(cmd, sizeof cmd, "%s convert -q tests/fixtures/distilbert_tiny -o '%s/default/xlrec-encoder.xlm' >/dev/null 2>&1",
             bin, data);
    if (sh(cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd, "%s langid-train --out '%s/langid/langid.xlid' '%s/lid.tsv' >/dev/null 2>&1", bin, data,
             root);
    if (sh(cmd) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (root[0]) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        (void)sh(cmd);
    }
    return 0;
}

/* ------------------------------------------------------------------ the library */

static void test_search_order(void **state)
{
    (void)state;
    const char *base = xl_test_tmp_path("search");
    char a[1024], b[1024], cmd[4096], file[1200], out[XL_DATAPATH_MAX];
    snprintf(a, sizeof a, "%s/a", base);
    snprintf(b, sizeof b, "%s/b", base);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/default' '%s/default' '%s/langid'", a, b, b);
    assert_int_equal(sh(cmd), 0);
    snprintf(file, sizeof file, "%s/default/m.xlm", a);
    write_file(file, "a");
    snprintf(file, sizeof file, "%s/default/m.xlm", b);
    write_file(file, "b");
    snprintf(file, sizeof file, "%s/langid/l.xlid", b);
    write_file(file, "b");
    const char *labels[] = {"$XLREC_DATA", "installed", "source tree"};
    xl_error err;
    xl_error_clear(&err);

    /* the first directory holding the file wins; an unset one is skipped */
    const char *ab[] = {a, b, "/nonexistent"};
    assert_int_equal(xl_datapath_search("default/m.xlm", ab, labels, 3, out, sizeof out, &err), 0);
    snprintf(file, sizeof file, "%s/default/m.xlm", a);
    assert_string_equal(out, file);
    const char *unset_b[] = {NULL, b, a};
    assert_int_equal(xl_datapath_search("default/m.xlm", unset_b, labels, 3, out, sizeof out, &err), 0);
    snprintf(file, sizeof file, "%s/default/m.xlm", b);
    assert_string_equal(out, file);
    /* a directory without the file is passed over (a has no langid/) */
    assert_int_equal(xl_datapath_search("langid/l.xlid", ab, labels, 3, out, sizeof out, &err), 0);
    snprintf(file, sizeof file, "%s/langid/l.xlid", b);
    assert_string_equal(out, file);
    /* a trailing '/' on a directory is not doubled */
    char a_slash[1100];
    snprintf(a_slash, sizeof a_slash, "%s/", a);
    const char *slash[] = {a_slash};
    assert_int_equal(xl_datapath_search("default/m.xlm", slash, labels, 1, out, sizeof out, &err), 0);
    snprintf(file, sizeof file, "%s/default/m.xlm", a);
    assert_string_equal(out, file);

    /* not found: every place searched, in order, with its label; an unset one says so */
    const char *none[] = {NULL, a, "/nonexistent/share/xlrec"};
    assert_int_equal(xl_datapath_search("default/x.xlm", none, labels, 3, out, sizeof out, &err), -1);
    assert_int_equal(err.code, XL_ERR_IO);
    char want[8192];
    snprintf(want, sizeof want,
             "the shipped data file default/x.xlm was not found; searched: $XLREC_DATA (not set), "
             "%s/default/x.xlm (installed), /nonexistent/share/xlrec/default/x.xlm (source tree)",
             a);
    assert_string_equal(err.msg, want);

    /* names are relative to the data directory, without ".." */
    assert_int_equal(xl_datapath_search("/etc/passwd", ab, labels, 3, out, sizeof out, &err), -1);
    assert_int_equal(err.code, XL_ERR_USAGE);
    assert_int_equal(xl_datapath_search("../a/default/m.xlm", ab, labels, 3, out, sizeof out, &err), -1);
    assert_int_equal(xl_datapath_search("default/../default/m.xlm", ab, labels, 3, out, sizeof out, &err), -1);
    assert_int_equal(xl_datapath_search("", ab, labels, 3, out, sizeof out, &err), -1);
    /* "..x" is a name, not a parent */
    assert_int_equal(xl_datapath_search("default/..x", ab, labels, 3, out, sizeof out, &err), -1);
    assert_int_equal(err.code, XL_ERR_IO);
    /* the output buffer is checked */
    char tiny[4];
    assert_int_equal(xl_datapath_search("default/m.xlm", ab, labels, 3, tiny, sizeof tiny, &err), -1);
    assert_int_equal(err.code, XL_ERR_LIMIT);

    /* the option is used as is, even when it does not exist; without it the search runs */
    assert_string_equal(xl_datapath_resolve("/nonexistent/m.xlm", XL_DATA_ENCODER, out, sizeof out, &err),
                        "/nonexistent/m.xlm");
    assert_null(xl_datapath_resolve(NULL, "default/never-shipped.xlm", out, sizeof out, &err));
    assert_non_null(strstr(err.msg, "default/never-shipped.xlm"));
    assert_non_null(strstr(err.msg, "(installed)"));
    assert_non_null(strstr(err.msg, "weights/default/never-shipped.xlm (source tree)"));

    /* the compiled-in order: $XLREC_DATA, installed, source tree, working directory */
    const char *dirs[XL_DATAPATH_MAX_DIRS], *lab[XL_DATAPATH_MAX_DIRS];
    assert_int_equal(xl_datapath_dirs(dirs, lab), XL_DATAPATH_MAX_DIRS);
    assert_string_equal(lab[0], "$XLREC_DATA");
    assert_string_equal(lab[1], "installed");
    assert_string_equal(lab[2], "source tree");
    assert_string_equal(dirs[3], "weights");

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    assert_int_equal(sh(cmd), 0);
}

/* xl_embedder_default, the one default of every command: the encoder where it is found (kind BERT,
 * by place: even a file that is no model is opened as the encoder and fails, it is never read as word
 * vectors), else the word vectors (kind WORD_VECTORS, $XLREC_WORD_VECTORS first).  The "else"
 * expectation follows the state of this machine: once an encoder is shipped in the source tree (or
 * installed) the search after $XLREC_DATA finds it, and the test expects that one. */
static void test_default_embedder(void **state)
{
    (void)state;
    const char *base = xl_test_tmp_path("default");
    char enc_dir[1024], wv_dir[1024], cmd[4096], file[1200], want[XL_DATAPATH_MAX], path[XL_DATAPATH_MAX];
    snprintf(enc_dir, sizeof enc_dir, "%s/enc", base);
    snprintf(wv_dir, sizeof wv_dir, "%s/wv", base);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/default' '%s/default'", enc_dir, wv_dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(file, sizeof file, "%s/" XL_DATA_WORD_VECTORS, wv_dir);
    write_file(file, "4 2\ncat 1 0\nchat 1 0\ndog 0 1\nchien 0 1\n"); /* text vectors: read by content */
    snprintf(file, sizeof file, "%s/" XL_DATA_WORD_VECTORS, enc_dir);
    write_file(file, "4 2\ncat 1 0\nchat 1 0\ndog 0 1\nchien 0 1\n");
    snprintf(file, sizeof file, "%s/" XL_DATA_ENCODER, enc_dir);
    write_file(file, "4 2\ncat 1 0\nchat 1 0\ndog 0 1\nchien 0 1\n"); /* no model: must not pass for one */
    const char *saved = getenv("XLREC_WORD_VECTORS");
    char saved_wv[4096] = "";
    if (saved) snprintf(saved_wv, sizeof saved_wv, "%s", saved);
    unsetenv("XLREC_WORD_VECTORS");
    xl_error e;
    xl_error_clear(&e);
    xl_embedder_kind kind = XL_EMBEDDER_AUTO;

    /* an encoder in $XLREC_DATA: found first, kind BERT; the strict search and AUTO agree */
    setenv(XL_DATA_ENV, enc_dir, 1);
    assert_int_equal(xl_embedder_default(&kind, path, sizeof path, &e), 0);
    assert_int_equal(kind, XL_EMBEDDER_BERT);
    assert_string_equal(path, file);
    assert_int_equal(xl_embedder_default_path(XL_EMBEDDER_AUTO, path, sizeof path, &e), 0);
    assert_string_equal(path, file);
    assert_int_equal(xl_embedder_default_path(XL_EMBEDDER_BERT, path, sizeof path, &e), 0);
    assert_string_equal(path, file);
    /* opened by default: as the encoder, so the text file fails as a model, naming the file */
    xl_embedder *emb = NULL;
    assert_int_equal(xl_embedder_open(&emb, NULL, NULL, &e), -1);
    assert_null(emb);
    assert_non_null(strstr(e.msg, file));
    /* the word-vector kind never takes the encoder */
    assert_int_equal(xl_embedder_default_path(XL_EMBEDDER_WORD_VECTORS, path, sizeof path, &e), 0);
    snprintf(want, sizeof want, "%s/" XL_DATA_WORD_VECTORS, enc_dir);
    assert_string_equal(path, want);

    /* no encoder in $XLREC_DATA: the one found after it, if any (installed, source tree), else the
     * word vectors of $XLREC_DATA */
    setenv(XL_DATA_ENV, wv_dir, 1);
    char shipped[XL_DATAPATH_MAX];
    xl_error se;
    xl_error_clear(&se);
    bool encoder_shipped = xl_datapath_find(XL_DATA_ENCODER, shipped, sizeof shipped, &se) == 0;
    kind = XL_EMBEDDER_AUTO;
    assert_int_equal(xl_embedder_default(&kind, path, sizeof path, &e), 0);
    if (encoder_shipped) {
        print_message("[  INFO    ] an encoder is shipped: %s\n", shipped);
        assert_int_equal(kind, XL_EMBEDDER_BERT);
        assert_string_equal(path, shipped);
    } else {
        assert_int_equal(kind, XL_EMBEDDER_WORD_VECTORS);
        snprintf(want, sizeof want, "%s/" XL_DATA_WORD_VECTORS, wv_dir);
        assert_string_equal(path, want);
        /* opened by default: the word vectors (4 words x 2 dims) */
        assert_int_equal(xl_embedder_open(&emb, NULL, NULL, &e), 0);
        assert_int_equal(xl_embedder_kind_of(emb), XL_EMBEDDER_WORD_VECTORS);
        assert_int_equal(xl_embedder_dim(emb), 2);
        xl_embedder_free(emb);
        /* $XLREC_WORD_VECTORS names the baseline, used as is */
        setenv("XLREC_WORD_VECTORS", "/nonexistent/vectors.txt", 1);
        assert_int_equal(xl_embedder_default(&kind, path, sizeof path, &e), 0);
        assert_int_equal(kind, XL_EMBEDDER_WORD_VECTORS);
        assert_string_equal(path, "/nonexistent/vectors.txt");
        unsetenv("XLREC_WORD_VECTORS");
        /* the strict search fails and names the encoder's places and the way to the baseline */
        assert_int_equal(xl_embedder_default_path(XL_EMBEDDER_BERT, path, sizeof path, &e), -1);
        snprintf(want, sizeof want, "%s/" XL_DATA_ENCODER " ($XLREC_DATA)", wv_dir);
        assert_non_null(strstr(e.msg, want));
        assert_non_null(strstr(e.msg, "--word-vectors"));
    }
    /* the output buffer is checked */
    char tiny[4];
    setenv(XL_DATA_ENV, enc_dir, 1);
    assert_int_equal(xl_embedder_default(&kind, tiny, sizeof tiny, &e), -1);

    unsetenv(XL_DATA_ENV);
    if (saved) setenv("XLREC_WORD_VECTORS", saved_wv, 1);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    assert_int_equal(sh(cmd), 0);
}

/* ------------------------------------------------------------------ through the binary */

static char out[65536], out2[65536], err[65536];

/* langid outside the repository root: found without help; $XLREC_DATA first; the option first of all */
static void test_langid(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    assert_int_equal(xlrec(NULL, "langid", out, err, sizeof out), 0);
    assert_true(strncmp(out, "en\t", 3) == 0); /* the shipped identifier (source tree or installed) */
    assert_non_null(strstr(out, "\nfr\t"));
    assert_int_equal(xlrec(data, "langid", out, err, sizeof out), 0);
    assert_true(strncmp(out, "qa\t", 3) == 0); /* $XLREC_DATA's two-language identifier */
    assert_non_null(strstr(out, "\nqb\t"));
    char args[8192];
    snprintf(args, sizeof args, "langid --model '%s/weights/langid/langid.xlid'", repo);
    assert_int_equal(xlrec(data, args, out, err, sizeof out), 0);
    assert_true(strncmp(out, "en\t", 3) == 0);
    assert_non_null(strstr(out, "\nfr\t"));
    /* an explicit path is used as is: not searched */
    assert_int_equal(xlrec(data, "langid --model langid/langid.xlid", out, err, sizeof out), 1);
    assert_non_null(strstr(err, "langid/langid.xlid"));
    /* data-path says where each one is */
    assert_int_equal(xlrec(data, "data-path langid/langid.xlid default/xlrec-encoder.xlm", out, err, sizeof out), 0);
    char want[8192];
    snprintf(want, sizeof want, "%s/langid/langid.xlid\n%s/default/xlrec-encoder.xlm\n", data, data);
    assert_string_equal(out, want);
    assert_int_equal(xlrec(empty, "data-path default/never-shipped.xlm", out, err, sizeof out), 1);
    snprintf(want, sizeof want, "xlrec: the shipped data file default/never-shipped.xlm was not found; searched: "
                                "%s/default/never-shipped.xlm ($XLREC_DATA), ", empty);
    assert_true(strncmp(err, want, strlen(want)) == 0);
    snprintf(want, sizeof want, "%s/weights/default/never-shipped.xlm (source tree)", repo);
    assert_non_null(strstr(err, want));
    assert_int_equal(xlrec(data, "data-path", out, err, sizeof out), 0);
    assert_non_null(strstr(out, data));
}

/* embed without --model = the shipped encoder: the same rows as --model naming it */
static void test_embed_default(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    char args[8192];
    assert_int_equal(xlrec(data, "embed", out, err, sizeof out), 0);
    snprintf(args, sizeof args, "embed --model '%s/default/xlrec-encoder.xlm'", data);
    assert_int_equal(xlrec(NULL, args, out2, err, sizeof out2), 0);
    assert_string_equal(out, out2);
    size_t lines = 0;
    for (const char *p = out; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 2);
    /* the option beats $XLREC_DATA, and is not searched for */
    assert_int_equal(xlrec(data, "embed --model /nonexistent/m.xlm", out, err, sizeof out), 1);
    assert_non_null(strstr(err, "/nonexistent/m.xlm"));
    /* --word-vectors without FILE: $XLREC_DATA's word vectors, the same as naming them */
    assert_int_equal(xlrec(data, "embed --word-vectors --pooling mean -", out, err, sizeof out), 0);
    assert_string_equal(out, "0.5\t0.5\n0.5\t0.5\n"); /* (cat + dog) / 2, (chat + chien) / 2 */
    snprintf(args, sizeof args, "embed -w '%s/default/xlrec-default-xl12.f16' -p mean", data);
    assert_int_equal(xlrec(NULL, args, out2, err, sizeof out2), 0);
    assert_string_equal(out, out2);
    /* embed-words: the word vectors are its default (absent or no FILE) */
    assert_int_equal(xlrec(data, "embed-words -p mean -f txt", out, err, sizeof out), 0);
    assert_string_equal(out, "0.5 0.5\n0.5 0.5\n");
    assert_int_equal(xlrec(data, "embed-words -w -p mean -f txt", out2, err, sizeof out2), 0);
    assert_string_equal(out, out2);
    /* word vectors have no ids input and no cls pooling; --model and --word-vectors exclude each other */
    assert_int_equal(xlrec(data, "embed --word-vectors --input ids", out, err, sizeof out), 2);
    assert_int_equal(xlrec(data, "embed --word-vectors --pooling cls", out, err, sizeof out), 2);
    assert_int_equal(xlrec(data, "embed --model x.xlm --word-vectors", out, err, sizeof out), 2);
}

/* eval-retrieval without an embedder option = the shipped encoder (it used to exit 2) */
static void test_eval_retrieval_default(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    char args[8192];
    snprintf(args, sizeof args, "eval-retrieval --src '%s/fr.txt' --tgt '%s/en.txt'", root, root);
    assert_int_equal(xlrec(data, args, out, err, sizeof out), 0);
    assert_true(strncmp(out, "pairs 2  pooling ", 17) == 0);
    snprintf(args, sizeof args, "eval-retrieval --src '%s/fr.txt' --tgt '%s/en.txt' -m '%s/default/xlrec-encoder.xlm'",
             root, root, data);
    assert_int_equal(xlrec(NULL, args, out2, err, sizeof out2), 0);
    assert_string_equal(out, out2);
    /* the baseline: --word-vectors without FILE */
    snprintf(args, sizeof args, "eval-retrieval --src '%s/fr.txt' --tgt '%s/en.txt' --word-vectors -p mean", root,
             root);
    assert_int_equal(xlrec(data, args, out, err, sizeof out), 0);
    assert_string_equal(out, "pairs 2  pooling mean  scoring cosine  src->tgt P@1 100.00  tgt->src P@1 100.00  "
                             "(lines without known words: src 0, tgt 0)\n");
    /* word-vector options with an encoder are usage errors */
    snprintf(args, sizeof args, "eval-retrieval --src '%s/fr.txt' --tgt '%s/en.txt' --raw", root, root);
    assert_int_equal(xlrec(data, args, out, err, sizeof out), 2);
}

/* run from another directory: the encoder, the word vectors with --word-vectors, the identifier */
static void test_run_default(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    char args[8192];
    snprintf(args, sizeof args, "run --items '%s/docs/demo/items.tsv' --interactions '%s/docs/demo/interactions.tsv' -k 3",
             repo, repo);
    assert_int_equal(xlrec(data, args, out, err, sizeof out), 0);
    char want[8192];
    snprintf(want, sizeof want, "BERT model %s/default/xlrec-encoder.xlm", data);
    assert_non_null(strstr(err, want)); /* the summary names the embedder */
    char args2[16384];
    snprintf(args2, sizeof args2, "%s --model '%s/default/xlrec-encoder.xlm'", args, data);
    assert_int_equal(xlrec(NULL, args2, out2, err, sizeof out2), 0);
    assert_string_equal(out, out2);
    snprintf(args2, sizeof args2, "%s --word-vectors", args);
    assert_int_equal(xlrec(data, args2, out, err, sizeof out), 0);
    snprintf(want, sizeof want, "word vectors %s/default/xlrec-default-xl12.f16", data);
    assert_non_null(strstr(err, want));
}

/* The defaults when $XLREC_DATA holds no model: what the search finds after it.  Either an encoder
 * is shipped in the source tree (or installed), and embed, eval-retrieval and run use it, the same
 * as naming it with --model; or none is, and the word-vector baseline stands in, the same as
 * --word-vectors, and the strict encoder search (XL_EMBEDDER_BERT) fails naming every place
 * searched.  The test asserts the state it finds (it says which), so it holds before and after the
 * encoder is committed. */
static void test_default_found(void **state)
{
    (void)state;
    (void)xl_test_bin_or_skip();
    char base[65536], args[8192], args2[16384], shipped[XL_DATAPATH_MAX], want[8192];
    bool have_encoder = xlrec(empty, "data-path " XL_DATA_ENCODER, out, err, sizeof out) == 0;
    snprintf(shipped, sizeof shipped, "%.4000s", out); /* the path data-path printed */
    shipped[strcspn(shipped, "\n")] = '\0';
    print_message("[  INFO    ] %s\n", have_encoder ? shipped : "no encoder shipped: the word vectors stand in");
    /* under an emulator each load of the shipped encoder costs ~10 s of CPU (qemu, s390x): embed is
     * checked there (test_default_encoder checks the file itself), eval-retrieval and run natively */
    const char *runner = getenv("XLREC_TEST_RUNNER");
    bool emulated = runner && *runner;
    if (have_encoder) {
        assert_true(strlen(shipped) > strlen(XL_DATA_ENCODER));
        snprintf(args, sizeof args, "embed --model '%s' -", shipped);
        assert_int_equal(xlrec(empty, args, base, err, sizeof base), 0);
        assert_int_equal(xlrec(empty, "embed -", out, err, sizeof out), 0);
        assert_string_equal(out, base);
        if (emulated) {
            print_message("[  INFO    ] eval-retrieval and run with the shipped encoder: checked natively only\n");
            return;
        }
    } else {
        assert_int_equal(xlrec(empty, "embed --word-vectors --pooling mean -", base, err, sizeof base), 0);
        assert_int_equal(xlrec(empty, "embed --pooling mean -", out, err, sizeof out), 0);
        assert_string_equal(out, base);
        /* a model-only option without a model: usage error that says why */
        assert_int_equal(xlrec(empty, "embed --input ids", out, err, sizeof out), 2);
        assert_non_null(strstr(err, "no encoder is shipped"));
    }
    snprintf(args, sizeof args, "eval-retrieval --src '%s/fr.txt' --tgt '%s/en.txt'", root, root);
    assert_int_equal(xlrec(empty, args, out, err, sizeof out), 0);
    if (have_encoder) {
        assert_non_null(strstr(out, "pooling mean"));      /* the shipped encoder's own pooling */
        assert_non_null(strstr(out, "(lines cut at ")); /* printed for an encoder only */
        snprintf(args2, sizeof args2, "%s --model '%s'", args, shipped);
        assert_int_equal(xlrec(empty, args2, out2, err, sizeof out2), 0);
        assert_string_equal(out, out2);
    } else {
        assert_non_null(strstr(out, "lines without known words")); /* printed for word vectors only */
    }
    snprintf(args, sizeof args, "run --items '%s/docs/demo/items.tsv' --interactions '%s/docs/demo/interactions.tsv'",
             repo, repo);
    assert_int_equal(xlrec(empty, args, out, err, sizeof out), 0);
    if (have_encoder) snprintf(want, sizeof want, "BERT model %s", shipped);
    else snprintf(want, sizeof want, "word vectors ");
    assert_non_null(strstr(err, want)); /* the summary names the embedder */
    /* the strict search (the encoder itself): finds the shipped one, or names every place searched */
    char path[XL_DATAPATH_MAX];
    xl_error e;
    xl_error_clear(&e);
    setenv(XL_DATA_ENV, empty, 1);
    int rc = xl_embedder_default_path(XL_EMBEDDER_BERT, path, sizeof path, &e);
    unsetenv(XL_DATA_ENV);
    if (have_encoder) {
        assert_int_equal(rc, 0);
        assert_string_equal(path, shipped);
    } else {
        assert_int_equal(rc, -1);
        snprintf(want, sizeof want, "%s/" XL_DATA_ENCODER " ($XLREC_DATA)", empty);
        assert_non_null(strstr(e.msg, want));
        assert_non_null(strstr(e.msg, "--word-vectors"));
    }
}

/* make demo with the encoder found through $XLREC_DATA: its recommendations, then the evaluation
 * table with the word-vector baseline beside it.  (Not under an emulator: the script takes the
 * binary as one path.) */
static void test_demo(void **state)
{
    (void)state;
    const char *b = xl_test_bin_or_skip();
    const char *runner = getenv("XLREC_TEST_RUNNER");
    if ((runner && *runner) || strchr(b, ' ')) {
        print_message("[  SKIP    ] the demo script runs a native binary only\n");
        skip();
    }
    char cmd[16384], path[1200];
    snprintf(path, sizeof path, "%s/demo.txt", root);
    snprintf(cmd, sizeof cmd, "unset XLREC_WORD_VECTORS; XLREC_DATA='%s' XLREC_DEMO_OUT='%s/demo' sh docs/demo/demo.sh %s >%s 2>&1",
             data, root, bin, path);
    int rc = sh(cmd);
    read_file(path, out, sizeof out);
    if (rc != 0) fail_msg("demo.sh exited %d:\n%s", rc, out);
    char want[8192];
    snprintf(want, sizeof want, "default model: %s/default/xlrec-encoder.xlm", data);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "top 3 recommendations per user from the encoder"));
    assert_non_null(strstr(out, "\nu01 reads en: "));
    assert_non_null(strstr(out, "\nmodel    embedder       users    P@10"));
    assert_non_null(strstr(out, "\ncontent  encoder          24  "));
    assert_non_null(strstr(out, "\ncontent  word vectors     24  "));
    assert_non_null(strstr(out, "\ncf       (no text)        24  "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_order),    cmocka_unit_test(test_default_embedder), cmocka_unit_test(test_langid),
        cmocka_unit_test(test_embed_default),   cmocka_unit_test(test_eval_retrieval_default),
        cmocka_unit_test(test_run_default),     cmocka_unit_test(test_default_found),
        cmocka_unit_test(test_demo),
    };
    return cmocka_run_group_tests_name("datapath", tests, setup, teardown);
}
