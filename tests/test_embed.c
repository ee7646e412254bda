/* test_embed.c - src/embed: the one sentence-embedder interface.
 *
 * Before/after: xl_embedder must give the same bits as the code it replaced
 *   - word vectors: the former xl_sentvec_embed_lines loop (copied below as
 *     reference_sentvec: lookup with lower-case retry, weighted mean, SIF
 *     component removal, L2) on SIF and mean pooling;
 *   - BERT: the former `xlrec embed` / pipeline path (xl_wordpiece_encode with
 *     max_length, xl_bert_forward, xl_bert_pool), with and without
 *     truncation, on the tiny DistilBERT fixture converted on the fly.
 * Threads: word-vector rows pooled on 1, 2 and 3 threads are identical (also
 * through `xlrec embed-words --threads`).  Coverage: tokenize counts tokens
 * and known tokens as the pipeline's routing needs them. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "align_linalg.h"
#include "bert.h"
#include "wordpiece.h"
#include "xl_convert.h"
#include "xl_whiten.h"
#include "xl_embedder.h"
#include "xl_kernels.h"
#include "xl_model.h"
#include "xl_model_tokenizer.h"

/* 7 words, dim 3; "The" only through the lower-case retry */
static const char VECTORS[] = "7 3\nthe 0.5 0.5 0.1\ncat 1 0 0\ndog 0 1 0\nchat 1 0.1 0\nchien 0 1 0.1\n"
                              "house 0 0 1\nmaison 0.1 0 1\n";
static const char *const TEXTS[] = {"the cat", "The DOG zzz", "zzz", "chat chien maison", "", "house the house"};
enum { N_TEXTS = 6 };

/* The former xl_sentvec_embed_lines body (before src/embed): the reference. */
static void reference_sentvec(const xl_w2v_vectors *v, const float *weights, const char *const *lines, size_t n,
                              const xl_sentvec_options *opt, float *out)
{
    size_t dim = v->dim;
    bool sif = opt->pooling == SENTVEC_SIF;
    bool nonempty[N_TEXTS] = {0};
    char low[64];
    for (size_t i = 0; i < n; i++) {
        float *o = out + i * dim;
        memset(o, 0, dim * sizeof *o);
        size_t count = 0;
        const char *s = lines[i];
        size_t len = strlen(s), p = 0;
        while (p < len) {
            while (p < len && s[p] == ' ') p++;
            size_t b = p;
            while (p < len && s[p] != ' ') p++;
            if (p == b) continue;
            int64_t id = xl_w2v_words_find(&v->words, s + b, p - b);
            if (id < 0 && opt->lowercase_fallback) {
                for (size_t k = 0; k < p - b; k++)
                    low[k] = (s[b + k] >= 'A' && s[b + k] <= 'Z') ? (char)(s[b + k] - 'A' + 'a') : s[b + k];
                id = xl_w2v_words_find(&v->words, low, p - b);
            }
            if (id < 0) continue;
            xl_w2v_axpy(sif ? weights[id] : 1.0f, xl_w2v_row(v, (size_t)id), o, dim);
            count++;
        }
        if (count == 0) continue;
        nonempty[i] = true;
        float inv = 1.0f / (float)count;
        for (size_t j = 0; j < dim; j++) o[j] *= inv;
    }
    if (sif && opt->remove_pc) {
        double u[3];
        xl_error err;
        assert_int_equal(xl_align_top_singular_vector(out, n, dim, u, &err), 0);
        for (size_t i = 0; i < n; i++) {
            if (!nonempty[i]) continue;
            float *o = out + i * dim;
            double d = 0;
            for (size_t j = 0; j < dim; j++) d += u[j] * o[j];
            for (size_t j = 0; j < dim; j++) o[j] = (float)(o[j] - d * u[j]);
        }
    }
    if (opt->normalize)
        for (size_t i = 0; i < n; i++) {
            float *o = out + i * dim;
            double s = 0;
            for (size_t j = 0; j < dim; j++) s += (double)o[j] * o[j];
            if (s > 0)
                for (size_t j = 0; j < dim; j++) o[j] = (float)(o[j] / sqrt(s));
        }
}

static void test_word_vectors_unchanged(void **state)
{
    (void)state;
    const char *path = xl_test_write_tmp("ev.txt", VECTORS, sizeof VECTORS - 1);
    xl_error err;
    for (int sif = 0; sif <= 1; sif++)
        for (int norm = 0; norm <= 1; norm++) {
            xl_embedder_options o;
            xl_embedder_options_default(&o);
            o.pooling = sif ? SENTVEC_SIF : SENTVEC_MEAN;
            o.normalize = norm;
            o.raw = true;
            xl_embedder *e;
            if (xl_embedder_open(&e, path, &o, &err) < 0) fail_msg("%s", err.msg);
            assert_int_equal(xl_embedder_kind_of(e), XL_EMBEDDER_WORD_VECTORS); /* sniffed: not a model file */
            assert_int_equal(xl_embedder_reads(e), XL_EMBEDDER_READS_WORDS);
            assert_int_equal(xl_embedder_dim(e), 3);
            float got[N_TEXTS * 3], want[N_TEXTS * 3];
            xl_embedder_stats st;
            if (xl_embedder_embed(e, TEXTS, NULL, N_TEXTS, got, &st, &err) < 0) fail_msg("%s", err.msg);
            assert_int_equal(st.n_empty, 2); /* "zzz" and "" */
            xl_w2v_vectors v;
            float *w = NULL;
            assert_int_equal(xl_w2v_vectors_read(path, W2V_FORMAT_AUTO, 0, &v, &err), 0);
            if (sif) assert_int_equal(xl_sentvec_sif_weights(&v, NULL, 1e-3, &w, &err), 0);
            xl_sentvec_options so = {o.pooling, sif != 0, norm != 0, true, NULL, 1, NULL};
            reference_sentvec(&v, w, TEXTS, N_TEXTS, &so, want);
            assert_memory_equal(got, want, sizeof got); /* bit for bit */
            free(w);
            xl_w2v_vectors_free(&v);
            xl_embedder_free(e);
        }
    remove(path);
}

static void test_word_vector_threads(void **state)
{
    (void)state;
    const char *path = xl_test_write_tmp("et.txt", VECTORS, sizeof VECTORS - 1);
    xl_error err;
    float rows[3][N_TEXTS * 3];
    const int threads[3] = {1, 2, 3};
    for (int t = 0; t < 3; t++) {
        xl_embedder_options o;
        xl_embedder_options_default(&o);
        o.threads = threads[t];
        o.raw = true;
        xl_embedder *e;
        assert_int_equal(xl_embedder_open(&e, path, &o, &err), 0);
        assert_int_equal(xl_embedder_threads(e), threads[t]);
        assert_int_equal(xl_embedder_embed(e, TEXTS, NULL, N_TEXTS, rows[t], NULL, &err), 0);
        xl_embedder_free(e);
    }
    assert_memory_equal(rows[0], rows[1], sizeof rows[0]);
    assert_memory_equal(rows[0], rows[2], sizeof rows[0]);
    /* the same through the command's --threads */
    const char *bin = xl_test_bin_or_skip();
    const char *text = xl_test_write_tmp("et_lines.txt", "the cat\nchat chien maison\nhouse\n", 31);
    char a[512], b[512], cmd[8192];
    snprintf(a, sizeof a, "%s", xl_test_tmp_path("t1.txt"));
    snprintf(b, sizeof b, "%s", xl_test_tmp_path("t2.txt"));
    snprintf(cmd, sizeof cmd, "%s embed-words -w %s -f txt -t 1 -o %s %s 2>/dev/null && "
                              "%s embed-words -w %s -f txt -t 2 -o %s %s 2>/dev/null && cmp -s %s %s",
             bin, path, a, text, bin, path, b, text, a, b);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    remove(a), remove(b), remove(text), remove(path);
}

static void test_word_vector_coverage(void **state)
{
    (void)state;
    const char *path = xl_test_write_tmp("ec.txt", VECTORS, sizeof VECTORS - 1);
    xl_error err;
    xl_embedder *e;
    assert_int_equal(xl_embedder_open(&e, path, NULL, &err), 0); /* defaults: preprocess (casefold...) */
    xl_embedder_tokens t;
    xl_embedder_tokens_init(&t);
    const char *s = "The Cat, the DOG and 42 unicorns!";
    assert_int_equal(xl_embedder_tokenize(e, s, strlen(s), &t, &err), 0);
    assert_int_equal(t.n_tokens, 6); /* "the cat the dog and unicorns": case folded, digits and punctuation dropped */
    assert_int_equal(t.n_known, 4);
    assert_int_equal(t.len, 6);
    assert_int_equal(t.ids[5], -1);
    /* word vectors have no token states */
    assert_int_equal(xl_embedder_token_states(e, &t, 1, NULL, NULL, NULL, &err), -1);
    xl_embedder_tokens_free(&t);
    xl_embedder_free(e);
    remove(path);
}

/* The former path: encode with truncation, forward, pool (normalise as the model says). */
static void reference_bert(const char *model_path, size_t max_len, float *out, size_t *dim)
{
    xl_error err;
    xl_model *m;
    xl_kernels k;
    xl_bert *b;
    assert_int_equal(xl_model_open(&m, model_path, &err), 0);
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_AUTO, 1, &err), 0);
    assert_int_equal(xl_bert_from_model(&b, m, &k, &err), 0);
    xl_wordpiece *wp = xl_model_tokenizer(m, &err);
    assert_non_null(wp);
    xl_wordpiece_encoding enc[N_TEXTS];
    const int32_t *ids[N_TEXTS];
    size_t lens[N_TEXTS];
    xl_wordpiece_encode_options eo;
    xl_wordpiece_encode_options_default(&eo);
    eo.max_length = max_len ? max_len : b->cfg.max_seq_len;
    for (int i = 0; i < N_TEXTS; i++) {
        xl_wordpiece_encoding_init(&enc[i]);
        assert_int_equal(xl_wordpiece_encode(wp, TEXTS[i], strlen(TEXTS[i]), NULL, 0, &eo, &enc[i], &err), 0);
        ids[i] = enc[i].ids;
        lens[i] = enc[i].len;
    }
    xl_bert_input in = {N_TEXTS, ids, NULL, NULL, lens};
    xl_bert_acts acts;
    xl_bert_acts_init(&acts, false);
    assert_int_equal(xl_bert_forward(b, &k, 1, &in, &acts, &err), 0);
    *dim = xl_bert_output_dim(b, b->cfg.pooling);
    assert_int_equal(xl_bert_pool(b, &k, 1, &in, &acts, b->cfg.pooling, b->cfg.normalize, out, &err), 0);
    for (int i = 0; i < N_TEXTS; i++) xl_wordpiece_encoding_free(&enc[i]);
    xl_bert_acts_free(&acts);
    xl_wordpiece_free(wp);
    xl_bert_free(b);
    xl_kernels_free(&k);
    xl_model_close(m);
}

static void test_bert_unchanged(void **state)
{
    (void)state;
    char model[512];
    snprintf(model, sizeof model, "%s", xl_test_tmp_path("emb_tiny.xlm"));
    xl_error err;
    if (xl_convert_hf("tests/fixtures/distilbert_tiny", model, NULL, NULL, &err) < 0) fail_msg("convert: %s", err.msg);
    const size_t max_lens[2] = {0, 4}; /* the model's, and a cut that truncates most texts */
    for (int c = 0; c < 2; c++) {
        xl_embedder_options o;
        xl_embedder_options_default(&o);
        o.max_len = max_lens[c];
        xl_embedder *e;
        if (xl_embedder_open(&e, model, &o, &err) < 0) fail_msg("%s", err.msg);
        assert_int_equal(xl_embedder_kind_of(e), XL_EMBEDDER_BERT); /* sniffed from the magic */
        assert_int_equal(xl_embedder_reads(e), XL_EMBEDDER_READS_TEXT);
        float got[N_TEXTS * 64], want[N_TEXTS * 64];
        size_t dim;
        reference_bert(model, max_lens[c], want, &dim);
        assert_int_equal(xl_embedder_dim(e), dim);
        assert_true(dim <= 64);
        xl_embedder_stats st;
        if (xl_embedder_embed(e, TEXTS, NULL, N_TEXTS, got, &st, &err) < 0) fail_msg("%s", err.msg);
        assert_memory_equal(got, want, N_TEXTS * dim * sizeof(float)); /* bit for bit */
        if (c == 1) assert_true(st.n_truncated >= 3);
        else assert_int_equal(st.n_truncated, 0);
        xl_embedder_free(e);
    }
    /* coverage: pieces of the text (not [CLS]/[SEP]); the fixture has no 'z', so "zzz" is [UNK] */
    xl_embedder *e;
    assert_int_equal(xl_embedder_open(&e, model, NULL, &err), 0);
    xl_embedder_tokens t;
    xl_embedder_tokens_init(&t);
    assert_int_equal(xl_embedder_tokenize(e, "zzz", 3, &t, &err), 0);
    assert_true(t.specials);
    assert_int_equal(t.len, t.n_tokens + 2);
    assert_int_equal(t.n_known, 0);
    assert_int_equal(xl_embedder_tokenize(e, "hello world", 11, &t, &err), 0);
    assert_true(t.n_tokens >= 2);
    assert_int_equal(t.n_known, t.n_tokens);
    xl_embedder_tokens_free(&t);
    assert_non_null(xl_embedder_name(e));
    assert_non_null(strstr(xl_embedder_name(e), "BERT model"));
    xl_embedder_free(e);
    remove(model);
}

/* BERT-whitening (xl_whiten.h) on unit 2-d rows A = (1, 0), B = -A, C = (.6, .8), D = -C and an
 * item E without a vector.  mu = 0; C = (1/4) sum v v^T = [[.68, .24], [.24, .32]], eigenvalues
 * .8 and .2 (trace 1, det .16), eigenvectors (2, 1)/sqrt5 and (1, -2)/sqrt5.  Whitened (before
 * L2): A -> (2/sqrt5/sqrt.8, 1/sqrt5/sqrt.2) = (1, 1), C -> (2/sqrt5/sqrt.8, -1/sqrt5/sqrt.2)
 * = (1, -1), up to the eigenvectors' signs.  So cos(A', C') = 0 where cos(A, C) = .6 (the covariance
 * became the identity), A' = -B', C' = -D', E stays zero.  Keeping k = 1 component: A' = C' = +-1. */
static void test_whiten(void **state)
{
    (void)state;
    const float vec[] = {1, 0, -1, 0, 0.6f, 0.8f, -0.6f, -0.8f, 0, 0};
    xl_item_vectors iv;
    xl_error err;
    assert_int_equal(xl_item_vectors_from(&iv, vec, 5, 2, "v", &err), 0);
    assert_int_equal(xl_item_vectors_whiten(&iv, 0, &err), 4);
    assert_int_equal(iv.dim, 2);
    const float *a = iv.v, *b = iv.v + 2, *c = iv.v + 4, *d = iv.v + 6, *e = iv.v + 8;
    /* |a1| = |a2| = 1/sqrt2; the eps = 1e-6 lambda_1 = 8e-7 regulariser scales the components by
     * 1/sqrt(1 + 1e-6) and 1/sqrt(1 + 4e-6), which moves cos(A', C') to about 1.5e-6 */
    assert_close(fabs(a[0]), sqrt(0.5), 2e-6);
    assert_close(fabs(a[1]), sqrt(0.5), 2e-6);
    assert_close(a[0] * c[0] + a[1] * c[1], 0, 3e-6);
    assert_close(a[0] * b[0] + a[1] * b[1], -1, 1e-6);
    assert_close(c[0] * d[0] + c[1] * d[1], -1, 1e-6);
    assert_close(a[0] * a[0] + a[1] * a[1], 1, 1e-6);
    assert_close(e[0], 0, 0);
    assert_close(e[1], 0, 0);
    xl_item_vectors_free(&iv);
    /* k = 1: the first component only, unit -> +-1; A and C share it */
    assert_int_equal(xl_item_vectors_from(&iv, vec, 5, 2, "v", &err), 0);
    assert_int_equal(xl_item_vectors_whiten(&iv, 1, &err), 4);
    assert_int_equal(iv.dim, 1);
    assert_close(fabs(iv.v[0]), 1, 1e-6);
    assert_close(iv.v[0] * iv.v[2], 1, 1e-6); /* A, C */
    assert_close(iv.v[0] * iv.v[1], -1, 1e-6); /* A, B */
    assert_close(iv.v[4], 0, 0);
    xl_item_vectors_free(&iv);
    /* every row equal: nothing varies, the rows become zero; all rows zero: unchanged, 0 fitted */
    const float same[] = {0.6f, 0.8f, 0.6f, 0.8f};
    assert_int_equal(xl_item_vectors_from(&iv, same, 2, 2, "s", &err), 0);
    assert_int_equal(xl_item_vectors_whiten(&iv, 0, &err), 2);
    for (int j = 0; j < 4; j++) assert_close(iv.v[j], 0, 0);
    xl_item_vectors_free(&iv);
    const float zeros[4] = {0};
    assert_int_equal(xl_item_vectors_from(&iv, zeros, 2, 2, "z", &err), 0);
    assert_int_equal(xl_item_vectors_whiten(&iv, 0, &err), 0);
    assert_int_equal(iv.dim, 2);
    xl_item_vectors_free(&iv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_vectors_unchanged),
        cmocka_unit_test(test_word_vector_threads),
        cmocka_unit_test(test_word_vector_coverage),
        cmocka_unit_test(test_bert_unchanged),
        cmocka_unit_test(test_whiten),
    };
    return cmocka_run_group_tests_name("embed", tests, NULL, NULL);
}
