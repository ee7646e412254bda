/* test_w2v.c - word2vec: word table, vector file formats (byte-for-byte
 * round trip against word2vec.c's files in ../shared/fixtures/word2vec/small,
 * strict reader errors), training (vocabulary, determinism, learning on a
 * synthetic corpus, all four model variants) and the analogy evaluation
 * (compute-accuracy's numbers on the fixture). */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "w2v.h"
#include "w2v_eval.h"
#include "w2v_vectors.h"
#include "xl_bytes.h"
#include "xl_io.h"
#include "xl_rng.h"

/* ---- word table ---------------------------------------------------------- */
static void test_words_table(void **state)
{
    (void)state;
    xl_w2v_words w;
    xl_w2v_words_init(&w);
    xl_error err;
    char buf[32];
    for (int i = 0; i < 50000; i++) {
        int n = snprintf(buf, sizeof buf, "w%d", i);
        assert_int_equal(xl_w2v_words_add(&w, buf, (size_t)n, &err), i);
    }
    for (int i = 0; i < 50000; i += 997) {
        int n = snprintf(buf, sizeof buf, "w%d", i);
        assert_int_equal(xl_w2v_words_find(&w, buf, (size_t)n), i);
        assert_string_equal(xl_w2v_words_get(&w, (size_t)i), buf);
    }
    assert_int_equal(xl_w2v_words_find(&w, "nope", 4), -1);
    /* no length limit: a 1 MiB word */
    size_t big = 1u << 20;
    char *long_word = malloc(big);
    assert_non_null(long_word);
    memset(long_word, 'x', big);
    int64_t id = xl_w2v_words_add(&w, long_word, big, &err);
    assert_true(id >= 0);
    assert_int_equal(xl_w2v_words_find(&w, long_word, big), id);
    assert_int_equal(xl_w2v_words_find(&w, long_word, big - 1), -1);
    bool added;
    assert_int_equal(xl_w2v_words_intern(&w, "w7", 2, &added, &err), 7);
    assert_false(added);
    free(long_word);
    xl_w2v_words_free(&w);
}

/* ---- formats --------------------------------------------------------------- */
static int read_mem(const char *text, size_t len, xl_w2v_format f, xl_w2v_vectors *v, xl_error *err)
{
    return xl_w2v_vectors_read_memory(text, len, "mem", f, 0, v, err);
}

static void expect_error(const char *data, size_t len, xl_w2v_format f, const char *needle)
{
    xl_w2v_vectors v;
    xl_error err;
    xl_error_clear(&err);
    int rc = read_mem(data, len, f, &v, &err);
    if (rc == 0) {
        xl_w2v_vectors_free(&v);
        fail_msg("accepted malformed input, expected an error containing '%s'", needle);
    }
    if (!strstr(err.msg, needle)) fail_msg("error '%s' does not contain '%s'", err.msg, needle);
}

static void test_text_reader_errors(void **state)
{
    (void)state;
#define E(s, needle) expect_error(s, sizeof s - 1, W2V_FORMAT_TEXT, needle)
    E("", "no header");
    E("2 x\n", "header");
    E("2\n", "header");
    E("1 0\n", "dimension 0");
    E("-1 2\n", "header");
    E("2 2\na 1 2\n", "header says 2 rows, file has 1");
    E("1 2\na 1 2\nb 3 4\n", "data after");
    E("1 3\na 1 2\n", "2 values, header says 3");
    E("1 2\na 1 2 3\n", "more than 2 values");
    E("1 2\na 1 nan\n", "not finite");
    E("1 2\na inf 1\n", "not finite");
    E("1 2\na 1e39 1\n", "not finite");
    E("1 2\na 1 x\n", "malformed");
    E("2 2\na 1 2\na 3 4\n", "duplicate word 'a'");
    E("1 2\n 1 2\n", "empty word");
    E("1000000000 100\na 1\n", "header claims");
#undef E
    /* accepted variants: no trailing space, CRLF, no final newline, gensim-style */
    const char ok[] = "2 2\r\nfoo 0.5 -1\r\nbar 1e-3 2 \r\n";
    xl_w2v_vectors v;
    xl_error err;
    assert_int_equal(read_mem(ok, sizeof ok - 1, W2V_FORMAT_AUTO, &v, &err), 0);
    assert_int_equal(v.n_words, 2);
    assert_int_equal(v.dim, 2);
    assert_int_equal(xl_w2v_vectors_find(&v, "bar"), 1);
    assert_close(xl_w2v_row(&v, 1)[0], 1e-3, 1e-9);
    xl_w2v_vectors_free(&v);
    const char nofinal[] = "1 2\nfoo 0.5 -1";
    assert_int_equal(read_mem(nofinal, sizeof nofinal - 1, W2V_FORMAT_TEXT, &v, &err), 0);
    xl_w2v_vectors_free(&v);
    const char empty[] = "0 5\n";
    assert_int_equal(read_mem(empty, sizeof empty - 1, W2V_FORMAT_AUTO, &v, &err), 0);
    assert_int_equal(v.n_words, 0);
    xl_w2v_vectors_free(&v);
}

/* The binary format stores little-endian float32: write the bytes explicitly,
 * not the host's (a host-order memcpy gives byte-swapped floats on s390x). */
static void put_f32_le(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(u >> (8 * i));
}

static void test_binary_reader_errors(void **state)
{
    (void)state;
    unsigned char buf[64];
    float one = 1.0f, nan_v = NAN;
    size_t n = (size_t)snprintf((char *)buf, sizeof buf, "1 2\nab ");
    put_f32_le(buf + n, one);
    put_f32_le(buf + n + 4, one);
    buf[n + 8] = '\n';
    xl_w2v_vectors v;
    xl_error err;
    assert_int_equal(read_mem((char *)buf, n + 9, W2V_FORMAT_BINARY, &v, &err), 0);
    assert_int_equal(v.n_words, 1);
    xl_w2v_vectors_free(&v);
    /* auto-detection picks binary */
    assert_int_equal(read_mem((char *)buf, n + 9, W2V_FORMAT_AUTO, &v, &err), 0);
    assert_close(xl_w2v_row(&v, 0)[1], 1.0, 0);
    xl_w2v_vectors_free(&v);
    /* gensim: no newline after the row */
    assert_int_equal(read_mem((char *)buf, n + 8, W2V_FORMAT_BINARY, &v, &err), 0);
    xl_w2v_vectors_free(&v);
    expect_error((char *)buf, n + 5, W2V_FORMAT_BINARY, "header claims"); /* size check before allocating */
    put_f32_le(buf + n + 4, nan_v);
    expect_error((char *)buf, n + 9, W2V_FORMAT_BINARY, "not finite");
    put_f32_le(buf + n + 4, one);
    buf[0] = '2';
    memcpy(buf + n + 9, "cdefghij ", 9);
    put_f32_le(buf + n + 18, one); /* second row: 1 of 2 floats */
    expect_error((char *)buf, n + 22, W2V_FORMAT_BINARY, "file ends inside");
}

static void test_write_read_roundtrip(void **state)
{
    (void)state;
    xl_w2v_vectors v, r;
    xl_error err;
    assert_int_equal(xl_w2v_vectors_alloc(&v, 3, 5, &err), 0);
    const char *words[3] = {"</s>", "caf\xc3\xa9", "x\ty"};
    xl_rng rng;
    xl_rng_seed(&rng, 3, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(xl_w2v_words_add(&v.words, words[i], strlen(words[i]), &err) >= 0);
        for (int j = 0; j < 5; j++) xl_w2v_row(&v, (size_t)i)[j] = (float)(xl_rng_double(&rng) * 4 - 2);
    }
    const char *bin = xl_test_tmp_path("w2v_rt.bin"), *txt = xl_test_tmp_path("w2v_rt.txt");
    assert_int_equal(xl_w2v_vectors_write(bin, &v, W2V_FORMAT_BINARY, &err), 0);
    assert_int_equal(xl_w2v_vectors_read(bin, W2V_FORMAT_AUTO, 0, &r, &err), 0);
    assert_int_equal(r.n_words, 3);
    assert_memory_equal(r.data, v.data, 15 * sizeof(float));
    assert_int_equal(xl_w2v_vectors_find(&r, "x\ty"), 2);
    xl_w2v_vectors_free(&r);
    assert_int_equal(xl_w2v_vectors_write(txt, &v, W2V_FORMAT_TEXT, &err), 0);
    assert_int_equal(xl_w2v_vectors_read(txt, W2V_FORMAT_AUTO, 0, &r, &err), 0);
    assert_allclose(r.data, v.data, 15, 5e-7, 0);
    xl_w2v_vectors_free(&r);
    /* max_words keeps the first rows */
    assert_int_equal(xl_w2v_vectors_read(txt, W2V_FORMAT_AUTO, 2, &r, &err), 0);
    assert_int_equal(r.n_words, 2);
    xl_w2v_vectors_free(&r);
    remove(bin);
    remove(txt);
    xl_w2v_vectors_free(&v);
}

/* xlrec's float16 variant: binary16 conversion (exact values, round to nearest
 * even, subnormals, overflow), file round trip, header tag checks. */
static void test_f16_format(void **state)
{
    (void)state;
    /* exact conversions (values from IEEE 754 binary16 tables) */
    assert_int_equal(xl_float_to_half(1.0f), 0x3c00);
    assert_int_equal(xl_float_to_half(-2.0f), 0xc000);
    assert_int_equal(xl_float_to_half(65504.0f), 0x7bff);
    assert_int_equal(xl_float_to_half(65520.0f), 0x7c00);          /* rounds up to Inf */
    assert_int_equal(xl_float_to_half(0x1p-14f), 0x0400);         /* smallest normal */
    assert_int_equal(xl_float_to_half(0x1p-24f), 0x0001);         /* smallest subnormal */
    assert_int_equal(xl_float_to_half(0x1p-25f), 0x0000);         /* tie to even: 0 */
    assert_int_equal(xl_float_to_half(0x1.8p-25f), 0x0001);       /* above the tie */
    assert_int_equal(xl_float_to_half(1.0f + 0x1p-11f), 0x3c00);  /* tie to even: down */
    assert_int_equal(xl_float_to_half(1.0f + 0x3p-11f), 0x3c02);  /* tie to even: up */
    assert_int_equal(xl_float_to_half(0.1f), 0x2e66);
    assert_true(isnan(xl_half_to_float(xl_float_to_half(NAN))));
    /* every finite half converts to float and back unchanged */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00) continue;
        assert_int_equal(xl_float_to_half(xl_half_to_float((uint16_t)h)), h);
    }
    assert_true(xl_half_to_float(0x0001) == 0x1p-24f);
    assert_true(xl_half_to_float(0x3555) == 0x1.554p-2f);

    /* file round trip: values equal to their half rounding, max error 2^-11 relative */
    xl_w2v_vectors v, r;
    xl_error err;
    assert_int_equal(xl_w2v_vectors_alloc(&v, 3, 5, &err), 0);
    const char *words[3] = {"</s>", "caf\xc3\xa9", "\xe6\x96\x87"};
    xl_rng rng;
    xl_rng_seed(&rng, 5, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(xl_w2v_words_add(&v.words, words[i], strlen(words[i]), &err) >= 0);
        for (int j = 0; j < 5; j++) xl_w2v_row(&v, (size_t)i)[j] = (float)(xl_rng_double(&rng) * 4 - 2);
    }
    const char *f16 = xl_test_tmp_path("w2v_rt.f16");
    assert_int_equal(xl_w2v_vectors_write(f16, &v, W2V_FORMAT_F16, &err), 0);
    char *bytes;
    size_t len;
    assert_int_equal(xl_read_file(f16, 0, &bytes, &len, &err), 0);
    assert_int_equal(len, strlen("3 5 f16\n") + 3 * (5 * 2 + 2) + 4 + 5 + 3); /* rows: word ' ' 10 bytes '\n' */
    assert_memory_equal(bytes, "3 5 f16\n", 8);
    assert_int_equal(xl_w2v_vectors_read(f16, W2V_FORMAT_AUTO, 0, &r, &err), 0);
    assert_int_equal(r.n_words, 3);
    assert_int_equal(r.dim, 5);
    for (size_t k = 0; k < 15; k++) {
        assert_true(r.data[k] == xl_half_to_float(xl_float_to_half(v.data[k])));
        assert_true(fabsf(r.data[k] - v.data[k]) <= fabsf(v.data[k]) * 0x1p-11f);
    }
    assert_int_equal(xl_w2v_vectors_find(&r, "\xe6\x96\x87"), 2);
    xl_w2v_vectors_free(&r);
    assert_int_equal(xl_w2v_vectors_read(f16, W2V_FORMAT_F16, 2, &r, &err), 0); /* max_words */
    assert_int_equal(r.n_words, 2);
    xl_w2v_vectors_free(&r);
    /* errors: tag vs requested format, truncation, NaN, overflow on write */
    assert_int_equal(xl_w2v_vectors_read(f16, W2V_FORMAT_BINARY, 0, &r, &err), -1);
    assert_non_null(strstr(err.msg, "header says f16"));
    expect_error(bytes, len - 3, W2V_FORMAT_F16, "file ends inside");
    expect_error("1 2 f16\nab \x00\x3c\x00\x7e\n", 16, W2V_FORMAT_AUTO, "not finite");
    expect_error("1 2\nab \x00\x3c\x00\x3c\n", 12, W2V_FORMAT_F16, "no \"f16\" tag");
    assert_int_equal(read_mem("1 2 f16\nab \x00\x3c\x00\xbc\n", 16, W2V_FORMAT_AUTO, &r, &err), 0);
    assert_true(xl_w2v_row(&r, 0)[0] == 1.0f && xl_w2v_row(&r, 0)[1] == -1.0f);
    xl_w2v_vectors_free(&r);
    xl_w2v_row(&v, 1)[2] = 70000.0f;
    assert_int_equal(xl_w2v_vectors_write(f16, &v, W2V_FORMAT_F16, &err), -1);
    assert_non_null(strstr(err.msg, "does not fit float16"));
    free(bytes);
    remove(f16);
    xl_w2v_vectors_free(&v);
}

static void roundtrip_file(const char *path, xl_w2v_format f, const char *tag)
{
    char *orig, *again;
    size_t olen, alen;
    xl_error err;
    assert_int_equal(xl_read_file(path, 0, &orig, &olen, &err), 0);
    xl_w2v_vectors v;
    if (xl_w2v_vectors_read(path, W2V_FORMAT_AUTO, 0, &v, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(v.n_words, 2134);
    assert_int_equal(v.dim, 50);
    assert_string_equal(xl_w2v_words_get(&v.words, 0), "</s>");
    assert_string_equal(xl_w2v_words_get(&v.words, 1), "the");
    const char *out = xl_test_tmp_path(tag);
    assert_int_equal(xl_w2v_vectors_write(out, &v, f, &err), 0);
    assert_int_equal(xl_read_file(out, 0, &again, &alen, &err), 0);
    assert_int_equal(alen, olen);
    assert_memory_equal(again, orig, olen);
    remove(out);
    free(orig), free(again);
    xl_w2v_vectors_free(&v);
}

static void test_fixture_roundtrip(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(bin, "fixtures/word2vec/small/vectors_small.bin");
    char binp[4096];
    snprintf(binp, sizeof binp, "%s", bin);
    roundtrip_file(binp, W2V_FORMAT_BINARY, "fx.bin");
    XL_SKIP_IF_NO_SHARED(txt, "fixtures/word2vec/small/vectors_small.txt");
    char txtp[4096];
    snprintf(txtp, sizeof txtp, "%s", txt);
    roundtrip_file(txtp, W2V_FORMAT_TEXT, "fx.txt");
    /* text values are printf("%f") of the binary floats */
    xl_w2v_vectors a, b;
    xl_error err;
    assert_int_equal(xl_w2v_vectors_read(binp, W2V_FORMAT_AUTO, 0, &a, &err), 0);
    assert_int_equal(xl_w2v_vectors_read(txtp, W2V_FORMAT_AUTO, 0, &b, &err), 0);
    assert_allclose(b.data, a.data, a.n_words * a.dim, 6e-7, 0); /* 5e-7 plus float rounding */
    xl_w2v_vectors_free(&a);
    xl_w2v_vectors_free(&b);
}

static void test_fixture_analogy(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(bin, "fixtures/word2vec/small/vectors_small.bin");
    char binp[4096];
    snprintf(binp, sizeof binp, "%s", bin);
    XL_SKIP_IF_NO_SHARED(q, "fixtures/word2vec/questions-words.txt");
    xl_w2v_vectors v;
    xl_error err;
    assert_int_equal(xl_w2v_vectors_read(binp, W2V_FORMAT_AUTO, 0, &v, &err), 0);
    xl_w2v_analogy_options o = {30000, false, 5, 2};
    xl_w2v_analogy_result r;
    if (xl_w2v_analogy_eval(&v, q, &o, &r, &err) != 0) fail_msg("%s", err.msg);
    /* compute-accuracy vectors_small.bin 30000: 29 / 482, semantic 8/32, syntactic 21/450 */
    assert_int_equal(r.questions, 19544);
    assert_int_equal(r.seen, 482);
    assert_int_equal(r.correct, 29);
    assert_int_equal(r.semantic_seen, 32);
    assert_int_equal(r.semantic_correct, 8);
    assert_int_equal(r.syntactic_correct, 21);
    assert_int_equal(r.n_sections, 14);
    xl_w2v_analogy_result_free(&r);
    /* neighbours: 'monday' is close to other weekdays */
    xl_w2v_vectors_normalize(&v);
    int64_t q0 = xl_w2v_vectors_find(&v, "monday");
    assert_true(q0 > 0);
    int64_t ids[5];
    float sc[5];
    assert_int_equal(xl_w2v_nearest(&v, xl_w2v_row(&v, (size_t)q0), 5, &q0, 1, ids, sc), 5);
    assert_true(sc[0] >= sc[4]);
    const char *top = xl_w2v_words_get(&v.words, (size_t)ids[0]);
    assert_true(strstr(top, "day") != NULL);
    xl_w2v_vectors_free(&v);
}

static void test_analogy_synthetic(void **state)
{
    (void)state;
    /* vectors where b - a + c lands exactly on d */
    const char vec[] = "6 3\n"
                       "man 1 0 0\nwoman 1 1 0\nking 1 0 1\nqueen 1 1 1\napple -1 0 0\npear -1 -0.1 0\n";
    const char *vp = xl_test_write_tmp("syn.vec", vec, sizeof vec - 1);
    char vpath[4096];
    snprintf(vpath, sizeof vpath, "%s", vp);
    const char q[] = ": family\nman woman king queen\nman woman apple zzz\n: gram\nking queen man woman\n";
    const char *qp = xl_test_write_tmp("syn.q", q, sizeof q - 1);
    xl_w2v_vectors v;
    xl_error err;
    assert_int_equal(xl_w2v_vectors_read(vpath, W2V_FORMAT_AUTO, 0, &v, &err), 0);
    xl_w2v_analogy_options o = {0, false, 1, 1};
    xl_w2v_analogy_result r;
    assert_int_equal(xl_w2v_analogy_eval(&v, qp, &o, &r, &err), 0);
    assert_int_equal(r.questions, 3);
    assert_int_equal(r.seen, 2);
    assert_int_equal(r.correct, 2);
    assert_int_equal(r.semantic_seen, 1);
    assert_int_equal(r.syntactic_correct, 1);
    xl_w2v_analogy_result_free(&r);
    /* restricted to the first 3 rows, 'queen' is no candidate: nothing seen */
    o.restrict_vocab = 3;
    assert_int_equal(xl_w2v_analogy_eval(&v, qp, &o, &r, &err), 0);
    assert_int_equal(r.seen, 0);
    xl_w2v_analogy_result_free(&r);
    const char bad[] = "man woman king queen\n";
    const char *bp = xl_test_write_tmp("bad.q", bad, sizeof bad - 1);
    assert_int_equal(xl_w2v_analogy_eval(&v, bp, &o, &r, &err), -1);
    assert_non_null(strstr(err.msg, "section"));
    xl_w2v_vectors_free(&v);
    remove(vpath);
}

/* ---- training ------------------------------------------------------------ */
/* Two topics, each with its own 10 words; sentences mix words of one topic. */
static char *synthetic_corpus(size_t n_sentences, size_t *len)
{
    xl_buf b;
    xl_buf_init(&b);
    xl_rng rng;
    xl_rng_seed(&rng, 42, 0);
    for (size_t s = 0; s < n_sentences; s++) {
        int topic = (int)xl_rng_below(&rng, 2);
        for (int w = 0; w < 12; w++)
            xl_buf_printf(&b, NULL, "%c%u ", topic ? 'a' : 'b', (unsigned)xl_rng_below(&rng, 10));
        xl_buf_printf(&b, NULL, "rare%u\n", (unsigned)s); /* count 1: below min-count */
    }
    *len = b.len;
    return b.data;
}

static xl_w2v_options small_opts(void)
{
    xl_w2v_options o;
    xl_w2v_options_default(&o);
    o.size = 16;
    o.window = 3;
    o.threads = 1;
    o.iter = 3;
    o.min_count = 2;
    o.sample = 0;
    o.seed = 5;
    return o;
}

static double topic_margin(const xl_w2v_vectors *v)
{
    /* mean cosine within topic minus across topics */
    xl_w2v_vectors u = *v;
    size_t bytes = v->n_words * v->dim * sizeof(float);
    u.data = malloc(bytes);
    memcpy(u.data, v->data, bytes);
    xl_w2v_vectors_normalize(&u);
    double within = 0, across = 0;
    int nw = 0, na = 0;
    char w1[8], w2[8];
    for (int i = 0; i < 20; i++)
        for (int j = i + 1; j < 20; j++) {
            snprintf(w1, sizeof w1, "%c%d", i < 10 ? 'a' : 'b', i % 10);
            snprintf(w2, sizeof w2, "%c%d", j < 10 ? 'a' : 'b', j % 10);
            int64_t a = xl_w2v_vectors_find(v, w1), b = xl_w2v_vectors_find(v, w2);
            assert_true(a >= 0 && b >= 0);
            double c = xl_w2v_dot(xl_w2v_row(&u, (size_t)a), xl_w2v_row(&u, (size_t)b), v->dim);
            if ((i < 10) == (j < 10)) within += c, nw++;
            else across += c, na++;
        }
    free(u.data);
    return within / nw - across / na;
}

static void test_train_vocab_and_learning(void **state)
{
    (void)state;
    size_t len;
    char *text = synthetic_corpus(400, &len);
    const int variants[4][2] = {{1, 0}, {0, 0}, {1, 1}, {0, 1}}; /* {cbow, hs} */
    for (int k = 0; k < 4; k++) {
        xl_w2v_options o = small_opts();
        o.cbow = variants[k][0];
        o.hs = variants[k][1];
        o.negative = o.hs ? 0 : 5;
        xl_w2v_model m;
        xl_error err;
        if (xl_w2v_train_text(text, len, &o, &m, &err) != 0) fail_msg("%s", err.msg);
        assert_int_equal(m.vectors.n_words, 21); /* </s> + 20 words; rare* dropped */
        assert_string_equal(xl_w2v_words_get(&m.vectors.words, 0), "</s>");
        assert_int_equal(m.vocab[0].count, 400);
        assert_int_equal(m.train_words, 400 * 13);
        for (size_t i = 2; i < m.vectors.n_words; i++) assert_true(m.vocab[i - 1].count >= m.vocab[i].count);
        assert_int_equal(m.words_done, (uint64_t)o.iter * 400 * 13);
        double margin = topic_margin(&m.vectors);
        if (margin < 0.3) fail_msg("variant cbow=%d hs=%d: topic margin %.3f too small", o.cbow, o.hs, margin);
        /* "</s>" is never trained: it keeps its initial values in [-0.5/size, 0.5/size) */
        for (size_t j = 0; j < m.vectors.dim; j++) assert_true(fabsf(m.vectors.data[j]) <= 0.5f / 16);
        xl_w2v_model_free(&m);
    }
    free(text);
}

static void test_train_deterministic(void **state)
{
    (void)state;
    size_t len;
    char *text = synthetic_corpus(200, &len);
    xl_w2v_options o = small_opts();
    o.sample = 1e-2;
    o.hs = 1; /* both output layers at once */
    xl_w2v_model a, b, c;
    xl_error err;
    assert_int_equal(xl_w2v_train_text(text, len, &o, &a, &err), 0);
    assert_int_equal(xl_w2v_train_text(text, len, &o, &b, &err), 0);
    assert_memory_equal(a.vectors.data, b.vectors.data, a.vectors.n_words * a.vectors.dim * sizeof(float));
    o.seed = 6;
    assert_int_equal(xl_w2v_train_text(text, len, &o, &c, &err), 0);
    assert_true(memcmp(a.vectors.data, c.vectors.data, a.vectors.n_words * a.vectors.dim * sizeof(float)) != 0);
    xl_w2v_model_free(&a), xl_w2v_model_free(&b), xl_w2v_model_free(&c);
    /* several threads (Hogwild): trains all words, counts every epoch */
    o.threads = 3;
    o.iter = 2;
    assert_int_equal(xl_w2v_train_text(text, len, &o, &a, &err), 0);
    assert_int_equal(a.words_done, 2u * 200 * 13);
    xl_w2v_model_free(&a);
    free(text);
}

static void test_train_errors_and_files(void **state)
{
    (void)state;
    xl_w2v_options o = small_opts();
    xl_w2v_model m;
    xl_error err;
    assert_int_equal(xl_w2v_train_text("", 0, &o, &m, &err), -1);
    assert_non_null(strstr(err.msg, "empty vocabulary"));
    assert_int_equal(xl_w2v_train_text("a b c\n", 6, &o, &m, &err), -1); /* all below min-count 2 */
    o.negative = 0;
    o.hs = 0;
    assert_int_equal(xl_w2v_train_text("a a b b\n", 8, &o, &m, &err), -1);
    assert_non_null(strstr(err.msg, "output layer"));
    const char *empty = xl_test_write_tmp("empty.txt", "", 0);
    o = small_opts();
    assert_int_equal(xl_w2v_train_file(empty, &o, &m, &err), -1);
    assert_non_null(strstr(err.msg, "empty corpus"));
    /* file input: words split across the 1 MiB read chunks and long words */
    size_t len;
    char *text = synthetic_corpus(30000, &len); /* > 1 MiB */
    const char *path = xl_test_write_tmp("corpus.txt", text, len);
    char p2[4096];
    snprintf(p2, sizeof p2, "%s", path);
    o.iter = 1;
    o.size = 8;
    assert_int_equal(xl_w2v_train_file(p2, &o, &m, &err), 0);
    assert_int_equal(m.vectors.n_words, 21);
    assert_int_equal(m.train_words, 30000 * 13);
    const char *vocab = xl_test_tmp_path("vocab.txt");
    assert_int_equal(xl_w2v_save_vocab(vocab, &m, &err), 0);
    char *vt;
    size_t vl;
    assert_int_equal(xl_read_file(vocab, 0, &vt, &vl, &err), 0);
    assert_true(strncmp(vt, "</s> 30000\n", 11) == 0);
    free(vt);
    remove(vocab);
    xl_w2v_model_free(&m);
    remove(p2);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_table),
        cmocka_unit_test(test_text_reader_errors),
        cmocka_unit_test(test_binary_reader_errors),
        cmocka_unit_test(test_write_read_roundtrip),
        cmocka_unit_test(test_f16_format),
        cmocka_unit_test(test_fixture_roundtrip),
        cmocka_unit_test(test_fixture_analogy),
        cmocka_unit_test(test_analogy_synthetic),
        cmocka_unit_test(test_train_vocab_and_learning),
        cmocka_unit_test(test_train_deterministic),
        cmocka_unit_test(test_train_errors_and_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
