/* test_glove.c - GloVe (src/glove/): vocabulary order, co-occurrence counts
 * against hand-computed values and a brute-force count, spilling under a
 * tiny memory limit, shuffle, the AdaGrad step, file formats read back by the
 * shared vector reader, and the CLI's errors on bad input. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "glove.h"
#include "glove_internal.h"
#include "w2v_vectors.h"
#include "xl_io.h"
#include "xl_rng.h"
#include "xl_test.h"

typedef struct {
    int32_t i, j;
    double x;
} rec;

/* All records of a co-occurrence file (at most cap). */
static size_t read_all(const char *path, rec *out, size_t cap)
{
    xl_glove_rec_reader r;
    xl_error err;
    assert_int_equal(xl_glove_rec_reader_open(&r, path, &err), 0);
    size_t n = 0;
    int rc;
    while ((rc = xl_glove_rec_reader_next(&r, &out[n].i, &out[n].j, &out[n].x, &err)) > 0) {
        n++;
        assert_true(n <= cap);
    }
    assert_int_equal(rc, 0);
    xl_glove_rec_reader_close(&r);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    char *data;
    xl_error err;
    assert_int_equal(xl_read_file(path, 0, &data, len, &err), 0);
    return data;
}

/* ---- vocabulary ------------------------------------------------------------ */
static void test_vocab_order(void **state)
{
    (void)state;
    /* "\r" is dropped inside a token ("a\rb" is "ab"); ties sort by bytes as
     * signed char, so the UTF-8 word comes before ASCII (the reference on x86) */
    const char corpus[] = "b b\r\na a\rb \xc3\xa9\n\n\tab  c c c\n";
    const char *path = xl_test_write_tmp("vocab.txt", corpus, sizeof corpus - 1);
    xl_glove_vocab v;
    xl_glove_vocab_stats st;
    xl_error err;
    assert_int_equal(xl_glove_vocab_count(path, 1, 0, &v, &st, &err), 0);
    assert_int_equal(st.tokens, 9);
    assert_int_equal(st.unique_words, 5);
    const char *words[] = {"c", "ab", "b", "\xc3\xa9", "a"};
    const uint64_t counts[] = {3, 2, 2, 1, 1};
    assert_int_equal(v.words.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(xl_w2v_words_get(&v.words, i), words[i]);
        assert_int_equal(v.count[i], counts[i]);
    }
    const char *out = xl_test_tmp_path("vocab_out.txt");
    assert_int_equal(xl_glove_vocab_write(out, &v, &err), 0);
    size_t len;
    char *text = slurp(out, &len);
    assert_string_equal(text, "c 3\nab 2\nb 2\n\xc3\xa9 1\na 1\n");
    free(text);
    xl_glove_vocab back;
    assert_int_equal(xl_glove_vocab_read(out, &back, &err), 0);
    assert_int_equal(back.words.n, 5);
    assert_string_equal(xl_w2v_words_get(&back.words, 3), "\xc3\xa9");
    xl_glove_vocab_free(&back);
    xl_glove_vocab_free(&v);

    /* min count and max vocab */
    assert_int_equal(xl_glove_vocab_count(path, 2, 0, &v, NULL, &err), 0);
    assert_int_equal(v.words.n, 3);
    xl_glove_vocab_free(&v);
    assert_int_equal(xl_glove_vocab_count(path, 1, 1, &v, NULL, &err), 0);
    assert_int_equal(v.words.n, 1);
    assert_string_equal(xl_w2v_words_get(&v.words, 0), "c");
    xl_glove_vocab_free(&v);

    /* <unk> is reserved; an empty corpus is an error */
    const char *unk = xl_test_write_tmp("unk.txt", "a b\nc <unk> d\n", 14);
    assert_int_equal(xl_glove_vocab_count(unk, 1, 0, &v, NULL, &err), -1);
    assert_non_null(strstr(err.msg, ":2: the token <unk> is reserved"));
    const char *empty = xl_test_write_tmp("empty.txt", " \n\t\n", 4);
    assert_int_equal(xl_glove_vocab_count(empty, 1, 0, &v, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no tokens"));
    remove(unk);
    remove(empty);
    remove(out);
    remove(path);
}

static void test_long_token_cut(void **state)
{
    (void)state;
    /* 998 ASCII bytes then a 2-byte UTF-8 character: the 999-byte cut would
     * split it, so the lead byte is dropped too (998 bytes kept) */
    size_t n = 998 + 2 + 1;
    char *text = malloc(n);
    memset(text, 'x', 998);
    text[998] = (char)0xC3;
    text[999] = (char)0xA9;
    text[1000] = '\n';
    const char *path = xl_test_write_tmp("long.txt", text, n);
    xl_glove_tokens t;
    xl_error err;
    assert_int_equal(xl_glove_tokens_open(&t, path, &err), 0);
    assert_int_equal(xl_glove_tokens_next(&t, &err), 1);
    assert_int_equal(t.word_len, 998);
    assert_int_equal(xl_glove_tokens_next(&t, &err), 0);
    assert_int_equal(xl_glove_tokens_next(&t, &err), -1);
    xl_glove_tokens_close(&t);
    free(text);
    remove(path);
}

/* ---- co-occurrence ------------------------------------------------------------ */
static const char *hand_vocab(void)
{
    return xl_test_write_tmp("hand_vocab.txt", "a 3\nb 2\nc 1\n", 12);
}

static void check_records(const char *path, const rec *want, size_t n_want)
{
    rec got[64];
    size_t n = read_all(path, got, 64);
    assert_int_equal(n, n_want);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(got[k].i, want[k].i);
        assert_int_equal(got[k].j, want[k].j);
        assert_close(got[k].x, want[k].x, 1e-15);
    }
}

static void test_cooccur_hand_computed(void **state)
{
    (void)state;
    /* ranks a=1 b=2 c=3; window 2.  Line 1 "a b a c": (a,b) d1, (b,a) d1,
     * (a,a) d2, (a,c) d1, (b,c) d2; line 2 "b a": (b,a) d1 (lines never share
     * a window; "z" is not in the vocabulary and takes no position) */
    const char corpus[] = "a b z a c\nb a\n";
    const char *path = xl_test_write_tmp("hand.txt", corpus, sizeof corpus - 1);
    const char *vpath = hand_vocab();
    xl_glove_vocab v;
    xl_error err;
    assert_int_equal(xl_glove_vocab_read(vpath, &v, &err), 0);
    xl_glove_cooccur_opts o;
    xl_glove_cooccur_defaults(&o);
    o.window = 2;
    o.temp_prefix = xl_test_tmp_path("hand_overflow");
    const char *out = xl_test_tmp_path("hand.bin");
    xl_glove_cooccur_stats st;
    assert_int_equal(xl_glove_cooccur(path, &v, &o, out, &st, &err), 0);
    assert_int_equal(st.tokens, 7);
    /* symmetric: X[i][j] += 1/d and X[j][i] += 1/d (X[a][a] gets 1/2 twice) */
    const rec sym[] = {{1, 1, 1.0}, {1, 2, 3.0}, {1, 3, 1.0}, {2, 1, 3.0}, {2, 3, 0.5}, {3, 1, 1.0}, {3, 2, 0.5}};
    check_records(out, sym, 7);
    /* every byte is as documented: 16-byte little-endian records */
    size_t len;
    char *bytes = slurp(out, &len);
    assert_int_equal(len, 7 * 16);
    const unsigned char second[16] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x40}; /* (1, 2, 3.0) */
    assert_memory_equal(bytes + 16, second, 16);
    free(bytes);
    /* left context only: X[context][word] */
    o.symmetric = false;
    assert_int_equal(xl_glove_cooccur(path, &v, &o, out, &st, &err), 0);
    const rec left[] = {{1, 1, 0.5}, {1, 2, 1.0}, {1, 3, 1.0}, {2, 1, 2.0}, {2, 3, 0.5}};
    check_records(out, left, 5);
    /* without distance weighting every pair adds 1 */
    o.symmetric = true;
    o.distance_weighting = false;
    assert_int_equal(xl_glove_cooccur(path, &v, &o, out, &st, &err), 0);
    const rec flat[] = {{1, 1, 2.0}, {1, 2, 3.0}, {1, 3, 1.0}, {2, 1, 3.0}, {2, 3, 1.0}, {3, 1, 1.0}, {3, 2, 1.0}};
    check_records(out, flat, 7);
    xl_glove_vocab_free(&v);
    remove(out);
    remove(path);
    remove(vpath);
}

/* A pseudo-random corpus of n_lines lines over n_words words. */
static const char *random_corpus(const char *tag, int n_lines, int n_words, uint64_t seed)
{
    xl_rng r;
    xl_rng_seed(&r, seed, 0);
    char *text = malloc((size_t)n_lines * 200);
    size_t len = 0;
    for (int l = 0; l < n_lines; l++) {
        int n = 1 + (int)xl_rng_below(&r, 25);
        for (int k = 0; k < n; k++) {
            /* Zipf-like: small ids far more frequent */
            uint32_t a = xl_rng_below(&r, (uint32_t)n_words), b = xl_rng_below(&r, (uint32_t)n_words);
            len += (size_t)sprintf(text + len, "%sw%u", k ? " " : "", a < b ? a : b);
        }
        text[len++] = '\n';
    }
    const char *path = xl_test_write_tmp(tag, text, len);
    free(text);
    return path;
}

/* Brute force: X[i][j] over a V x V matrix, straight from the definition. */
static double *brute_force(const char *corpus, const xl_glove_vocab *v, int window, bool symmetric)
{
    size_t V = v->words.n;
    double *X = calloc(V * V, sizeof *X);
    size_t len;
    char *text = slurp(corpus, &len);
    int32_t line_ids[64];
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        n = 0;
        char *s2 = NULL;
        for (char *tok = strtok_r(line, " ", &s2); tok; tok = strtok_r(NULL, " ", &s2)) {
            int64_t id = xl_w2v_words_find(&v->words, tok, strlen(tok));
            if (id >= 0) line_ids[n++] = (int32_t)id;
        }
        for (int j = 0; j < n; j++)
            for (int k = j - 1; k >= 0 && j - k <= window; k--) {
                X[(size_t)line_ids[k] * V + (size_t)line_ids[j]] += 1.0 / (j - k);
                if (symmetric) X[(size_t)line_ids[j] * V + (size_t)line_ids[k]] += 1.0 / (j - k);
            }
    }
    free(text);
    return X;
}

static void test_cooccur_spill_and_brute_force(void **state)
{
    (void)state;
    const char *corpus = random_corpus("spill.txt", 300, 40, 7);
    xl_glove_vocab v;
    xl_error err;
    assert_int_equal(xl_glove_vocab_count(corpus, 2, 0, &v, NULL, &err), 0);
    size_t V = v.words.n;
    assert_true(V > 20);
    xl_glove_cooccur_opts o;
    xl_glove_cooccur_defaults(&o);
    o.window = 5;
    o.temp_prefix = xl_test_tmp_path("spill_overflow");
    const char *in_memory = xl_test_tmp_path("spill_mem.bin"), *spilled = xl_test_tmp_path("spill_disk.bin");
    xl_glove_cooccur_stats st;
    assert_int_equal(xl_glove_cooccur(corpus, &v, &o, in_memory, &st, &err), 0);
    assert_int_equal(st.runs_spilled, 0);
    /* a tiny limit: no dense table, a buffer of 101 records: about 400 runs,
     * so GLOVE_MAX_RUNS of them are merged into one on the way */
    o.max_product = 1;
    o.overflow_length = 101;
    xl_glove_cooccur_stats st2;
    assert_int_equal(xl_glove_cooccur(corpus, &v, &o, spilled, &st2, &err), 0);
    assert_true(st2.runs_spilled > GLOVE_MAX_RUNS);
    assert_int_equal(st2.records, st.records);
    /* same pairs, values equal up to the order of the additions */
    xl_glove_cooccur_diff d;
    assert_int_equal(xl_glove_cooccur_compare(in_memory, spilled, &d, &err), 0);
    assert_int_equal(d.only_a, 0);
    assert_int_equal(d.only_b, 0);
    assert_int_equal(d.common, st.records);
    assert_true(d.max_rel_diff < 1e-14);
    /* and both equal the definition */
    double *X = brute_force(corpus, &v, o.window, true);
    rec *got = malloc(V * V * sizeof *got);
    size_t n = read_all(spilled, got, V * V);
    size_t nonzero = 0;
    for (size_t k = 0; k < V * V; k++) nonzero += X[k] != 0;
    assert_int_equal(n, nonzero);
    for (size_t k = 0; k < n; k++) {
        double want = X[(size_t)(got[k].i - 1) * V + (size_t)(got[k].j - 1)];
        assert_close(got[k].x, want, 1e-12 * want);
    }
    /* the temporary runs are gone */
    char run[600];
    snprintf(run, sizeof run, "%s_0001.bin", o.temp_prefix);
    FILE *f = fopen(run, "rb");
    assert_null(f);
    free(got);
    free(X);
    xl_glove_vocab_free(&v);
    remove(in_memory);
    remove(spilled);
    remove(corpus);
}

static void test_cooccur_limits(void **state)
{
    (void)state;
    int64_t mp, ol;
    xl_error err;
    /* the reference's sizes for -memory 4.0: r = 0.85 * 4 GiB / 16 */
    assert_int_equal(xl_glove_memory_plan(4.0 * 1073741824.0, 15, &mp, &ol, &err), 0);
    assert_int_equal(ol, 38028356);
    assert_true(mp >= 13752508 && mp <= 13752510);
    /* too small for one window */
    assert_int_equal(xl_glove_memory_plan(1000, 15, &mp, &ol, &err), -1);
    assert_non_null(strstr(err.msg, "too small"));
    /* vocabulary not larger than the window */
    const char *vpath = hand_vocab();
    const char *corpus = xl_test_write_tmp("small.txt", "a b c\n", 6);
    xl_glove_vocab v;
    assert_int_equal(xl_glove_vocab_read(vpath, &v, &err), 0);
    xl_glove_cooccur_opts o;
    xl_glove_cooccur_defaults(&o);
    o.window = 3;
    const char *out = xl_test_tmp_path("small.bin");
    assert_int_equal(xl_glove_cooccur(corpus, &v, &o, out, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "not more than the window"));
    /* the output is never an input */
    o.window = 2;
    assert_int_equal(xl_glove_cooccur(corpus, &v, &o, corpus, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "overwrite an input"));
    size_t len;
    char *kept = slurp(corpus, &len);
    assert_string_equal(kept, "a b c\n");
    free(kept);
    xl_glove_vocab_free(&v);
    remove(corpus);
    remove(vpath);
}

/* ---- shuffle ------------------------------------------------------------------ */
static int by_key(const void *pa, const void *pb)
{
    const rec *a = pa, *b = pb;
    if (a->i != b->i) return a->i < b->i ? -1 : 1;
    return a->j < b->j ? -1 : a->j > b->j;
}

static void test_shuffle(void **state)
{
    (void)state;
    enum { N = 500 };
    unsigned char buf[N * 16];
    for (int k = 0; k < N; k++) xl_glove_put_record(buf + 16 * k, (uint32_t)(k / 25 + 1), (uint32_t)(k % 25 + 1), k + 0.5);
    const char *in = xl_test_write_tmp("shuf_in.bin", buf, sizeof buf);
    const char *a = xl_test_tmp_path("shuf_a.bin"), *b = xl_test_tmp_path("shuf_b.bin");
    xl_error err;
    unsigned chunks;
    rec ra[N], rb[N];
    /* in memory, and in chunks of 64 records through temporary files */
    for (int chunked = 0; chunked < 2; chunked++) {
        uint64_t chunk = chunked ? 64 : 0;
        assert_int_equal(xl_glove_shuffle(in, a, chunk, 5, xl_test_tmp_path("shuf_tmp"), &chunks, &err), 0);
        if (chunked) assert_true(chunks > 5); else assert_int_equal(chunks, 1);
        assert_int_equal(xl_glove_shuffle(in, b, chunk, 5, xl_test_tmp_path("shuf_tmp"), &chunks, &err), 0);
        size_t la, lb;
        char *da = slurp(a, &la), *db = slurp(b, &lb);
        assert_int_equal(la, sizeof buf);
        assert_memory_equal(da, db, la); /* same seed, same order */
        assert_true(memcmp(da, buf, la) != 0);
        free(da);
        free(db);
        /* a permutation of the input */
        assert_int_equal(read_all(a, ra, N), N);
        qsort(ra, N, sizeof *ra, by_key);
        for (int k = 0; k < N; k++) {
            assert_int_equal(ra[k].i, k / 25 + 1);
            assert_int_equal(ra[k].j, k % 25 + 1);
            assert_true(ra[k].x == k + 0.5);
        }
    }
    assert_int_equal(xl_glove_shuffle(in, b, 0, 6, NULL, &chunks, &err), 0);
    assert_int_equal(read_all(b, rb, N), N);
    assert_int_equal(read_all(a, ra, N), N);
    assert_true(memcmp(ra, rb, sizeof ra) != 0); /* another seed, another order */
    /* a file cut inside a record */
    const char *cut = xl_test_write_tmp("shuf_cut.bin", buf, 16 * 3 + 5);
    assert_int_equal(xl_glove_shuffle(cut, a, 0, 1, NULL, &chunks, &err), -1);
    assert_non_null(strstr(err.msg, "record 4: file ends inside a 16-byte record"));
    assert_int_equal(xl_glove_shuffle(cut, a, 2, 1, NULL, &chunks, &err), -1);
    remove(cut);
    remove(in);
    remove(a);
    remove(b);
}

/* ---- training ------------------------------------------------------------------ */
static void test_train_one_step(void **state)
{
    (void)state;
    /* one record (1, 2, X = 3) in a 2-word vocabulary: 0 iterations give the
     * initial parameters, 1 iteration must be exactly the documented step */
    unsigned char r16[16];
    xl_glove_put_record(r16, 1, 2, 3.0);
    const char *path = xl_test_write_tmp("one.bin", r16, 16);
    xl_glove_train_opts o;
    xl_glove_train_defaults(&o);
    o.vector_size = 4;
    o.threads = 1;
    o.x_max = 10;
    o.iterations = 0;
    xl_glove_model m0, m1;
    xl_error err;
    assert_int_equal(xl_glove_train(path, 2, &o, &m0, NULL, &err), 0);
    o.iterations = 1;
    double cost;
    assert_int_equal(xl_glove_train(path, 2, &o, &m1, &cost, &err), 0);
    const size_t D = 5, d = 4;
    const double *w = m0.params + 0 * D, *c = m0.params + 3 * D; /* word 1, context of word 2 */
    for (size_t k = 0; k < 2 * 2 * D; k++) assert_true(fabs(m0.params[k]) <= 0.5 / 4);
    double diff = w[d] + c[d] - log(3.0);
    for (size_t k = 0; k < d; k++) diff += w[k] * c[k];
    double f = pow(3.0 / 10, 0.75), g = f * diff;
    assert_close(cost, 0.5 * g * diff, 1e-13);
    double want[20];
    memcpy(want, m0.params, sizeof want);
    for (size_t k = 0; k < d; k++) {
        want[0 * D + k] -= g * c[k] * 0.05; /* G = 1 before the step */
        want[3 * D + k] -= g * w[k] * 0.05;
    }
    want[0 * D + d] -= g;
    want[3 * D + d] -= g;
    assert_allclose_f64(m1.params, want, 20, 1e-14, 1e-12);
    /* rows not in the record keep their initial values exactly */
    assert_memory_equal(m1.params + D, m0.params + D, D * sizeof(double));
    xl_glove_model_free(&m0);
    xl_glove_model_free(&m1);
    remove(path);
}

typedef struct {
    double cost[16];
    int n;
} cost_log;

static void log_cost(void *ctx, int it, double cost)
{
    cost_log *l = ctx;
    assert_int_equal(it, l->n + 1);
    l->cost[l->n++] = cost;
}

static void test_train_repeatable_and_learning(void **state)
{
    (void)state;
    const char *corpus = random_corpus("train.txt", 200, 30, 3);
    xl_glove_vocab v;
    xl_error err;
    assert_int_equal(xl_glove_vocab_count(corpus, 1, 0, &v, NULL, &err), 0);
    xl_glove_cooccur_opts co;
    xl_glove_cooccur_defaults(&co);
    co.window = 4;
    co.temp_prefix = xl_test_tmp_path("train_overflow");
    const char *cooc = xl_test_tmp_path("train.bin"), *shuf = xl_test_tmp_path("train_shuf.bin");
    assert_int_equal(xl_glove_cooccur(corpus, &v, &co, cooc, NULL, &err), 0);
    assert_int_equal(xl_glove_shuffle(cooc, shuf, 0, 1, NULL, NULL, &err), 0);
    xl_glove_train_opts o;
    xl_glove_train_defaults(&o);
    o.vector_size = 8;
    o.iterations = 10;
    o.threads = 1;
    cost_log l1 = {{0}, 0}, l2 = {{0}, 0};
    o.on_iteration = log_cost;
    o.ctx = &l1;
    xl_glove_model a, b;
    assert_int_equal(xl_glove_train(shuf, v.words.n, &o, &a, NULL, &err), 0);
    o.ctx = &l2;
    assert_int_equal(xl_glove_train(shuf, v.words.n, &o, &b, NULL, &err), 0);
    size_t n = 2 * v.words.n * 9;
    assert_memory_equal(a.params, b.params, n * sizeof(double)); /* one thread: bit for bit */
    assert_int_equal(l1.n, 10);
    for (int k = 1; k < 10; k++) assert_true(l1.cost[k] < l1.cost[k - 1]); /* AdaGrad lowers the cost */
    assert_true(l1.cost[9] < 0.5 * l1.cost[0]);
    /* two threads still learn */
    o.threads = 2;
    o.ctx = &l2;
    l2.n = 0;
    xl_glove_model t2;
    assert_int_equal(xl_glove_train(shuf, v.words.n, &o, &t2, NULL, &err), 0);
    assert_true(l2.cost[9] < 0.5 * l2.cost[0]);
    /* an id beyond the vocabulary is an error naming the record */
    o.threads = 1;
    o.on_iteration = NULL;
    xl_glove_model bad;
    assert_int_equal(xl_glove_train(shuf, 3, &o, &bad, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "beyond the vocabulary of 3 words"));
    xl_glove_model_free(&a);
    xl_glove_model_free(&b);
    xl_glove_model_free(&t2);
    xl_glove_vocab_free(&v);
    remove(corpus);
    remove(cooc);
    remove(shuf);
}

/* ---- files read back by the shared vector reader -------------------------------------- */
static void test_vector_files(void **state)
{
    (void)state;
    xl_glove_vocab v;
    xl_error err;
    const char *vpath = hand_vocab();
    assert_int_equal(xl_glove_vocab_read(vpath, &v, &err), 0);
    xl_glove_model m = {3, 2, malloc(2 * 3 * 3 * sizeof(double))};
    for (size_t k = 0; k < 18; k++) m.params[k] = 0.25 * (double)k - 1; /* exact in float */
    xl_w2v_vectors vec;
    assert_int_equal(xl_glove_model_to_vectors(&m, &v, GLOVE_SAVE_WORD_CTX, true, &vec, &err), 0);
    assert_int_equal(vec.n_words, 4);
    /* w + w~ of word 1 = params[0..1] + params[9..10] */
    const float first[2] = {-1.0f + 1.25f, -0.75f + 1.5f};
    assert_allclose(xl_w2v_row(&vec, 0), first, 2, 0, 0);
    /* <unk> = mean over the (here 3) words */
    float unk0 = (float)(((-1.0 + 1.25) + (-0.25 + 2.0) + (0.5 + 2.75)) / 3);
    assert_allclose(xl_w2v_row(&vec, 3), &unk0, 1, 1e-6, 0);
    const char *txt = xl_test_tmp_path("vec.txt");
    assert_int_equal(xl_glove_write_text(txt, &m, &v, GLOVE_SAVE_WORD_CTX, true, false, &err), 0);
    size_t len;
    char *text = slurp(txt, &len);
    assert_non_null(strstr(text, "a 0.250000 0.750000\n"));
    free(text);
    xl_w2v_vectors back;
    assert_int_equal(xl_w2v_vectors_read(txt, W2V_FORMAT_AUTO, 0, &back, &err), 0);
    assert_int_equal(back.n_words, 4);
    assert_int_equal(back.dim, 2);
    assert_string_equal(xl_w2v_words_get(&back.words, 3), "<unk>");
    assert_allclose(back.data, vec.data, 8, 1e-6, 0);
    xl_w2v_vectors_free(&back);
    /* with the header line it is word2vec text */
    assert_int_equal(xl_glove_write_text(txt, &m, &v, GLOVE_SAVE_WORD_CTX, true, true, &err), 0);
    assert_int_equal(xl_w2v_vectors_read(txt, W2V_FORMAT_TEXT, 0, &back, &err), 0);
    assert_int_equal(back.n_words, 4);
    xl_w2v_vectors_free(&back);

    /* binary + companion vocabulary PATH.vocab */
    char bin[512], companion[520];
    snprintf(bin, sizeof bin, "%s", xl_test_tmp_path("vec.bin"));
    snprintf(companion, sizeof companion, "%s.vocab", bin);
    assert_int_equal(xl_glove_write_binary(bin, &m, &err), 0);
    char *raw = slurp(bin, &len);
    assert_int_equal(len, 18 * 8);
    const unsigned char minus_one_le[8] = {0, 0, 0, 0, 0, 0, 0xF0, 0xBF};
    assert_memory_equal(raw, minus_one_le, 8);
    xl_glove_model m2;
    assert_int_equal(xl_glove_read_binary(bin, 3, &m2, &err), 0);
    assert_int_equal(m2.dim, 2);
    assert_memory_equal(m2.params, m.params, 18 * sizeof(double));
    xl_glove_model_free(&m2);
    assert_int_equal(xl_glove_read_binary(bin, 4, &m2, &err), -1); /* 144 bytes are not 64 (D + 1) */
    assert_non_null(strstr(err.msg, "144 bytes are not 2 x 4 words"));
    char *vocab_text = slurp(vpath, &len);
    FILE *f = fopen(companion, "wb");
    fwrite(vocab_text, 1, len, f);
    fclose(f);
    free(vocab_text);
    assert_int_equal(xl_w2v_vectors_read(bin, W2V_FORMAT_AUTO, 0, &back, &err), 0);
    assert_int_equal(back.n_words, 3);
    assert_int_equal(back.dim, 2);
    assert_allclose(back.data, vec.data, 6, 0, 0);
    xl_w2v_vectors_free(&back);
    /* cut short: the size no longer matches the vocabulary */
    f = fopen(bin, "wb");
    fwrite(raw, 1, 18 * 8 - 8, f);
    fclose(f);
    assert_int_equal(xl_w2v_vectors_read(bin, W2V_FORMAT_AUTO, 0, &back, &err), -1);
    assert_non_null(strstr(err.msg, "cut short"));
    free(raw);
    /* GloVe text with a short row */
    const char *bad = xl_test_write_tmp("bad_vec.txt", "a 1 2\nb 3\n", 10);
    assert_int_equal(xl_w2v_vectors_read(bad, W2V_FORMAT_AUTO, 0, &back, &err), -1);
    assert_non_null(strstr(err.msg, "row 2: 1 values, header says 2"));
    remove(bad);
    remove(bin);
    remove(companion);
    remove(txt);
    xl_w2v_vectors_free(&vec);
    free(m.params);
    xl_glove_vocab_free(&v);
    remove(vpath);
}

/* ---- the command line: bad input gives "xlrec: FILE...: what" and exit 1 --------------- */
static int run_glove(const char *args, char *errbuf, size_t cap)
{
    const char *bin = xl_test_bin_or_skip();
    const char *errpath = xl_test_tmp_path("cli_err.txt");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s glove %s >/dev/null 2>%s", bin, args, errpath);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    FILE *f = fopen(errpath, "rb");
    size_t n = f ? fread(errbuf, 1, cap - 1, f) : 0;
    errbuf[n] = '\0';
    if (f) fclose(f);
    remove(errpath);
    return WEXITSTATUS(st);
}

/* a private copy of a temporary path (the helpers return ring buffers) */
static char *keep(const char *p)
{
    char *c = malloc(strlen(p) + 1);
    strcpy(c, p);
    return c;
}

static void test_cli_errors(void **state)
{
    (void)state;
    char e[2048], args[1500];
    (void)xl_test_bin_or_skip();
    const char *helps[] = {"--help", "vocab --help", "cooccur --help", "shuffle --help", "train --help", "text --help",
                           "compare --help", "dump --help"};
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) assert_int_equal(run_glove(helps[i], e, sizeof e), 0);
    assert_int_equal(run_glove("no-such-step", e, sizeof e), 2);
    assert_int_equal(run_glove("cooccur --window-size 0", e, sizeof e), 2);
    char *empty = keep(xl_test_write_tmp("cli_empty.txt", "\n\n", 2));
    char *vocab_out = keep(xl_test_tmp_path("cli_vocab.txt"));
    snprintf(args, sizeof args, "vocab -corpus %s -output %s", empty, vocab_out);
    assert_int_equal(run_glove(args, e, sizeof e), 1);
    assert_non_null(strstr(e, "xlrec: "));
    assert_non_null(strstr(e, "cli_empty.txt:3: the corpus has no tokens"));
    FILE *f = fopen(vocab_out, "rb");
    assert_null(f); /* nothing written on failure */

    char *corpus = keep(xl_test_write_tmp("cli_corpus.txt", "a b a c\nb a\n", 12));
    char *vocab = keep(hand_vocab());
    char *cooc = keep(xl_test_tmp_path("cli_cooc.bin"));
    snprintf(args, sizeof args, "cooccur -corpus %s -vocab-file %s -output %s", corpus, vocab, cooc);
    assert_int_equal(run_glove(args, e, sizeof e), 1); /* window 15 > 3 words */
    assert_non_null(strstr(e, "xlrec: "));
    assert_non_null(strstr(e, "hand_vocab.txt:3: the vocabulary has 3 words, not more than the window of 15"));
    snprintf(args, sizeof args, "cooccur -corpus %s -vocab-file %s -output %s -window-size 2 -memory 1e-7", corpus,
             vocab, cooc);
    assert_int_equal(run_glove(args, e, sizeof e), 1);
    assert_non_null(strstr(e, "xlrec: memory limit of 107 bytes is too small"));
    snprintf(args, sizeof args, "cooccur -corpus %s -vocab-file %s -output %s -window-size 2", corpus, vocab, corpus);
    assert_int_equal(run_glove(args, e, sizeof e), 1);
    assert_non_null(strstr(e, "overwrite an input"));
    snprintf(args, sizeof args, "cooccur -corpus %s -vocab-file %s -output %s -window-size 2", corpus, vocab, cooc);
    assert_int_equal(run_glove(args, e, sizeof e), 0);

    /* a truncated co-occurrence file and a truncated binary vector file */
    size_t len;
    char *raw = slurp(cooc, &len);
    char *cut = keep(xl_test_write_tmp("cli_cut.bin", raw, len - 3));
    free(raw);
    snprintf(args, sizeof args, "train -input-file %s -vocab-file %s -save-file %s -iter 1", cut, vocab,
             xl_test_tmp_path("cli_vec"));
    assert_int_equal(run_glove(args, e, sizeof e), 1);
    assert_non_null(strstr(e, "cli_cut.bin: record 7: file ends inside a 16-byte record"));
    char prefix[512], vec_bin[600], companion[620], cmd[2048];
    snprintf(prefix, sizeof prefix, "%s", xl_test_tmp_path("cli_vec"));
    snprintf(args, sizeof args, "train -input-file %s -vocab-file %s -save-file %s -iter 2 -vector-size 3 -binary 1",
             cooc, vocab, prefix);
    int rc = run_glove(args, e, sizeof e);
    if (rc != 0) print_message("%s\n", e);
    assert_int_equal(rc, 0);
    snprintf(vec_bin, sizeof vec_bin, "%s.bin", prefix);
    snprintf(companion, sizeof companion, "%s.bin.vocab", prefix);
    /* the companion is written with the binary: the file reads as vectors at once */
    snprintf(cmd, sizeof cmd, "%s w2v similar -v %s a >/dev/null 2>&1", xl_test_bin_or_skip(), vec_bin);
    int st0 = system(cmd);
    assert_true(WIFEXITED(st0) && WEXITSTATUS(st0) == 0);
    raw = slurp(vec_bin, &len);
    assert_int_equal(len, 2 * 3 * 4 * 8);
    f = fopen(vec_bin, "wb");
    fwrite(raw, 1, len - 8, f);
    fclose(f);
    free(raw);
    raw = slurp(vocab, &len);
    f = fopen(companion, "wb");
    fwrite(raw, 1, len, f);
    fclose(f);
    free(raw);
    const char *bin = xl_test_bin_or_skip();
    char *errpath = keep(xl_test_tmp_path("cli_err2.txt"));
    snprintf(cmd, sizeof cmd, "%s w2v similar -v %s a >/dev/null 2>%s", bin, vec_bin, errpath);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    char *msg = slurp(errpath, &len);
    assert_non_null(strstr(msg, "xlrec: "));
    assert_non_null(strstr(msg, "cli_vec.bin: 184 bytes are not 2 x 3 words x (dim + 1) float64 values"));
    free(msg);
    remove(errpath);
    remove(vec_bin);
    remove(companion);
    remove(cut);
    remove(cooc);
    remove(corpus);
    remove(vocab);
    remove(empty);
    free(empty);
    free(vocab_out);
    free(corpus);
    free(vocab);
    free(cooc);
    free(cut);
    free(errpath);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_order),
        cmocka_unit_test(test_long_token_cut),
        cmocka_unit_test(test_cooccur_hand_computed),
        cmocka_unit_test(test_cooccur_spill_and_brute_force),
        cmocka_unit_test(test_cooccur_limits),
        cmocka_unit_test(test_shuffle),
        cmocka_unit_test(test_train_one_step),
        cmocka_unit_test(test_train_repeatable_and_learning),
        cmocka_unit_test(test_vector_files),
        cmocka_unit_test(test_cli_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
