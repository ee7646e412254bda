/* test_align.c - one-sided Jacobi SVD against known decompositions,
 * orthogonal Procrustes recovering a known rotation, the alignment pipeline
 * (dictionary loading/splitting, NN/CSLS retrieval, refinement) on synthetic
 * vectors, SIF/mean sentence embeddings and dictionary translation. */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "align_linalg.h"
#include "dict_translate.h"
#include "sentvec.h"
#include "w2v_vectors.h"
#include "xl_rng.h"

/* ||A - U S V^T||, U^T U = I, V^T V = I */
static void check_svd(const double *A, size_t m, size_t n, const double *expected_s)
{
    size_t r = m < n ? m : n;
    double *U = malloc(m * r * sizeof *U), *S = malloc(r * sizeof *S), *V = malloc(n * r * sizeof *V);
    xl_error err;
    assert_int_equal(xl_align_svd(A, m, n, U, S, V, &err), 0);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < r; k++) s += U[i * r + k] * S[k] * V[j * r + k];
            assert_close(s, A[i * n + j], 1e-10);
        }
    for (size_t a = 0; a < r; a++)
        for (size_t b = 0; b < r; b++) {
            double u = 0, v = 0;
            for (size_t i = 0; i < m; i++) u += U[i * r + a] * U[i * r + b];
            for (size_t j = 0; j < n; j++) v += V[j * r + a] * V[j * r + b];
            assert_close(u, a == b ? 1.0 : 0.0, 1e-10);
            assert_close(v, a == b ? 1.0 : 0.0, 1e-10);
        }
    for (size_t k = 0; k + 1 < r; k++) assert_true(S[k] >= S[k + 1]);
    if (expected_s) assert_allclose_f64(S, expected_s, r, 1e-10, 1e-12);
    free(U), free(S), free(V);
}

static void test_svd_known(void **state)
{
    (void)state;
    /* [[3,2,2],[2,3,-2]]: singular values 5 and 3 (a classic textbook example) */
    const double A[6] = {3, 2, 2, 2, 3, -2};
    const double sA[2] = {5, 3};
    check_svd(A, 2, 3, sA);
    /* its transpose (tall) */
    const double At[6] = {3, 2, 2, 3, 2, -2};
    check_svd(At, 3, 2, sA);
    /* diagonal with unsorted entries and a sign */
    const double D[9] = {1, 0, 0, 0, -4, 0, 0, 0, 2};
    const double sD[3] = {4, 2, 1};
    check_svd(D, 3, 3, sD);
    /* rank one: u v^T with |u| = 3, |v| = 5 -> singular values 15, 0, 0 */
    const double R[9] = {1 * 3, 1 * 4, 0, 2 * 3, 2 * 4, 0, 2 * 3, 2 * 4, 0};
    const double sR[3] = {15, 0, 0};
    check_svd(R, 3, 3, sR);
    /* zero matrix: orthonormal factors still */
    const double Z[4] = {0, 0, 0, 0};
    const double sZ[2] = {0, 0};
    check_svd(Z, 2, 2, sZ);
    /* random 9 x 6 and 6 x 9 */
    xl_rng rng;
    xl_rng_seed(&rng, 11, 0);
    double M[54];
    for (int i = 0; i < 54; i++) M[i] = xl_rng_double(&rng) * 2 - 1;
    check_svd(M, 9, 6, NULL);
    check_svd(M, 6, 9, NULL);
    xl_error err;
    double U[4], S[2], V[4];
    const double bad[4] = {1, NAN, 0, 1};
    assert_int_equal(xl_align_svd(bad, 2, 2, U, S, V, &err), -1);
}

/* a random orthogonal matrix (d x d) by Gram-Schmidt */
static void random_rotation(double *Q, size_t d, xl_rng *rng)
{
    for (size_t i = 0; i < d; i++) {
        double *q = Q + i * d;
        for (size_t j = 0; j < d; j++) q[j] = xl_rng_double(rng) * 2 - 1;
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < i; k++) {
                double dot = 0;
                for (size_t j = 0; j < d; j++) dot += q[j] * Q[k * d + j];
                for (size_t j = 0; j < d; j++) q[j] -= dot * Q[k * d + j];
            }
        double n = 0;
        for (size_t j = 0; j < d; j++) n += q[j] * q[j];
        for (size_t j = 0; j < d; j++) q[j] /= sqrt(n);
    }
}

#define NW 400
#define DIM 12

/* source: random unit vectors "s0".."s399"; target "t<i>" = R s_i + noise */
static void make_spaces(xl_w2v_vectors *src, xl_w2v_vectors *tgt, double *R, double noise)
{
    xl_rng rng;
    xl_rng_seed(&rng, 21, 0);
    random_rotation(R, DIM, &rng);
    xl_error err;
    assert_int_equal(xl_w2v_vectors_alloc(src, NW, DIM, &err), 0);
    assert_int_equal(xl_w2v_vectors_alloc(tgt, NW, DIM, &err), 0);
    char w[16];
    for (size_t i = 0; i < NW; i++) {
        float *x = xl_w2v_row(src, i), *y = xl_w2v_row(tgt, i);
        for (size_t j = 0; j < DIM; j++) x[j] = (float)(xl_rng_double(&rng) * 2 - 1);
        for (size_t a = 0; a < DIM; a++) {
            double s = 0;
            for (size_t b = 0; b < DIM; b++) s += R[a * DIM + b] * x[b];
            y[a] = (float)(s + noise * (xl_rng_double(&rng) * 2 - 1));
        }
        snprintf(w, sizeof w, "s%zu", i);
        assert_true(xl_w2v_words_add(&src->words, w, strlen(w), &err) >= 0);
        snprintf(w, sizeof w, "t%zu", i);
        assert_true(xl_w2v_words_add(&tgt->words, w, strlen(w), &err) >= 0);
    }
}

static void test_procrustes_recovers_rotation(void **state)
{
    (void)state;
    xl_w2v_vectors src, tgt;
    double R[DIM * DIM];
    make_spaces(&src, &tgt, R, 0.0);
    xl_align_dict d = {0};
    xl_error err;
    d.src = malloc(50 * sizeof *d.src);
    d.tgt = malloc(50 * sizeof *d.tgt);
    for (uint32_t i = 0; i < 50; i++) d.src[i] = d.tgt[i] = i * 7;
    d.n = d.cap = 50;
    float W[DIM * DIM];
    assert_int_equal(xl_align_procrustes(&src, &tgt, &d, W, &err), 0);
    for (size_t i = 0; i < DIM * DIM; i++) assert_close(W[i], R[i], 1e-5);
    xl_align_dict_free(&d);
    xl_align_dict empty = {0};
    assert_int_equal(xl_align_procrustes(&src, &tgt, &empty, W, &err), -1);
    xl_w2v_vectors_free(&src);
    xl_w2v_vectors_free(&tgt);
}

static void test_pipeline(void **state)
{
    (void)state;
    xl_w2v_vectors src, tgt;
    double R[DIM * DIM];
    make_spaces(&src, &tgt, R, 0.05);
    assert_int_equal(xl_align_normalize(&src, "center", NULL), 0);
    assert_int_equal(xl_align_normalize(&tgt, "center", NULL), 0);
    /* dictionary file: MUSE (space) and tab forms, an OOV pair, a duplicate, blank line */
    xl_buf b;
    xl_buf_init(&b);
    for (int i = 0; i < NW; i++) xl_buf_printf(&b, NULL, i % 2 ? "s%d t%d\n" : "s%d\tt%d\n", i, i);
    xl_buf_printf(&b, NULL, "s1 t1\n\nunknown t3\n");
    const char *path = xl_test_write_tmp("dict.txt", b.data, b.len);
    char dpath[4096];
    snprintf(dpath, sizeof dpath, "%s", path);
    xl_buf_free(&b);
    xl_align_dict all, train, test;
    xl_align_dict_stats st;
    xl_error err;
    assert_int_equal(xl_align_dict_load(dpath, &src, &tgt, &all, &st, &err), 0);
    assert_int_equal(all.n, NW);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.oov_pairs, 1);
    assert_int_equal(xl_align_dict_split(&all, 100, 1, &train, &test, &err), 0);
    assert_int_equal(xl_align_dict_distinct_src(&test), 100);
    assert_int_equal(train.n, NW - 100);
    /* disjoint source words */
    for (size_t i = 0; i < test.n; i++)
        for (size_t j = 0; j < train.n; j++) assert_int_not_equal(test.src[i], train.src[j]);
    float W[DIM * DIM];
    assert_int_equal(xl_align_procrustes(&src, &tgt, &train, W, &err), 0);
    xl_w2v_vectors mapped;
    assert_int_equal(xl_align_apply(&src, W, &mapped, &err), 0);
    xl_align_options o = {0, 10, false, 200, 2};
    xl_align_eval_result r;
    assert_int_equal(xl_align_eval(&mapped, &tgt, &test, &o, &r, &err), 0);
    assert_int_equal(r.queries, 100);
    assert_true(r.hits1 >= 95);
    assert_true(r.hits10 >= r.hits5 && r.hits5 >= r.hits1);
    o.csls = true;
    assert_int_equal(xl_align_eval(&mapped, &tgt, &test, &o, &r, &err), 0);
    assert_true(r.hits1 >= 95);
    /* refinement from mutual NN keeps (or improves) the mapping */
    size_t n;
    assert_int_equal(xl_align_refine_step(&src, &tgt, &o, W, &n, &err), 0);
    assert_true(n > 150);
    xl_w2v_vectors_free(&mapped);
    assert_int_equal(xl_align_apply(&src, W, &mapped, &err), 0);
    assert_int_equal(xl_align_eval(&mapped, &tgt, &test, &o, &r, &err), 0);
    assert_true(r.hits1 >= 95);
    xl_w2v_vectors_free(&mapped);
    /* errors: bad dictionary line, no overlap */
    const char bad[] = "a b c\n";
    const char *bp = xl_test_write_tmp("bad.dict", bad, sizeof bad - 1);
    xl_align_dict_free(&all);
    assert_int_equal(xl_align_dict_load(bp, &src, &tgt, &all, &st, &err), -1);
    assert_non_null(strstr(err.msg, ":1:"));
    xl_align_dict none = {0};
    assert_int_equal(xl_align_eval(&mapped, &tgt, &none, &o, &r, &err), -1);
    xl_align_dict_free(&all), xl_align_dict_free(&train), xl_align_dict_free(&test);
    remove(dpath);
    xl_w2v_vectors_free(&src);
    xl_w2v_vectors_free(&tgt);
}

static void test_sentvec(void **state)
{
    (void)state;
    const char vec[] = "4 2\nthe 1 1\ncat 1 0\ndog 0 1\nrare -1 0\n";
    xl_w2v_vectors v;
    xl_error err;
    assert_int_equal(xl_w2v_vectors_read_memory(vec, sizeof vec - 1, "v", W2V_FORMAT_TEXT, 0, &v, &err), 0);
    const char *lines[3] = {"the cat", "The DOG zzz", "zzz"};
    size_t lens[3] = {7, 11, 3};
    float out[6];
    xl_sentvec_options o = {SENTVEC_MEAN, false, false, true, NULL, 1, NULL};
    size_t empty;
    assert_int_equal(xl_sentvec_embed_lines(&v, NULL, lines, lens, 3, &o, out, NULL, &empty, &err), 0);
    const float mean[6] = {1, 0.5f, 0.5f, 1, 0, 0};
    assert_allclose(out, mean, 6, 1e-6, 0);
    assert_int_equal(empty, 1);
    /* SIF weights from counts: a/(a+p) */
    const char counts[] = "the 90\ncat 5\ndog 5\nother 0\n";
    const char *cp = xl_test_write_tmp("counts.txt", counts, sizeof counts - 1);
    float *w;
    assert_int_equal(xl_sentvec_sif_weights(&v, cp, 0.01, &w, &err), 0);
    assert_close(w[0], 0.01 / (0.01 + 0.9), 1e-6);
    assert_close(w[1], 0.01 / (0.01 + 0.05), 1e-6);
    assert_close(w[3], 1.0, 1e-6);
    o.pooling = SENTVEC_SIF;
    o.remove_pc = true;
    double pc[2];
    assert_int_equal(xl_sentvec_embed_lines(&v, w, lines, lens, 3, &o, out, pc, &empty, &err), 0);
    /* after removal every row is orthogonal to the component; the empty row stays 0 */
    for (int i = 0; i < 3; i++) assert_close(out[2 * i] * pc[0] + out[2 * i + 1] * pc[1], 0, 1e-6);
    assert_close(out[4], 0, 0);
    assert_close(pc[0] * pc[0] + pc[1] * pc[1], 1, 1e-9);
    free(w);
    /* Zipf weights are increasing with rank */
    assert_int_equal(xl_sentvec_sif_weights(&v, NULL, 1e-3, &w, &err), 0);
    assert_true(w[0] < w[1] && w[1] < w[3]);
    free(w);
    xl_w2v_vectors_free(&v);
}

static void test_translate(void **state)
{
    (void)state;
    const char dict[] = "new york\tnueva york\nnew\tnuevo\nnew\tnueva\nyork\tyork\ncity\tciudad\ncity\turbe\n"
                        "the\tel\nthe\tla\n";
    xl_dt_dict *d;
    xl_error err;
    assert_int_equal(xl_dt_dict_load_memory(dict, sizeof dict - 1, "d", true, &d, &err), 0);
    assert_int_equal(xl_dt_dict_entries(d), 5);
    xl_buf out;
    xl_buf_init(&out);
    xl_dt_stats st = {0, 0, 0, 0};
    const char line[] = "The new York city is new";
    assert_int_equal(xl_dt_translate_line(d, line, sizeof line - 1, false, &out, &st, &err), 0);
    /* no counts: first candidate; phrase matched longest-first */
    assert_string_equal(out.data, "el nueva york ciudad is nuevo");
    assert_int_equal(st.unknown_tokens, 1);
    assert_int_equal(st.phrases, 1);
    const char counts[] = "la 100\nel 10\nnueva 50\nnuevo 5\nurbe 3\nciudad 1\n";
    const char *cp = xl_test_write_tmp("pivot.txt", counts, sizeof counts - 1);
    assert_int_equal(xl_dt_dict_set_counts(d, cp, &err), 0);
    xl_buf_clear(&out);
    assert_int_equal(xl_dt_translate_line(d, line, sizeof line - 1, true, &out, NULL, &err), 0);
    assert_string_equal(out.data, "la nueva york urbe nueva");
    xl_buf_free(&out);
    xl_dt_dict_free(d);
    const char bad[] = "lonely\n";
    assert_int_equal(xl_dt_dict_load_memory(bad, sizeof bad - 1, "bad", false, &d, &err), -1);
    assert_non_null(strstr(err.msg, "bad:1:"));
}

/* ---- code-switching (dict_translate.h, "Code-switching") ---- */

static const char CS_DICT[] = "new york\tNueva York\nnew\tnuevo\ncity\tciudad\n\xC3\xBC" "ber\tsobre\ndog\tperro\n"
                              "box\tcaja\nbig\tgrande\nice-cream\thelado\nit's\tes\nStra\xC3\x9F" "e\tcalle\n"
                              "acute (\xC2\xB4)\tagudo\nsign\tZeichen \xC2\xB4\nlong\tun dos tres cuatro\n";

static xl_dt_dict *cs_load(const char *text, size_t *skipped)
{
    xl_dt_dict *d = NULL;
    xl_error err;
    assert_int_equal(xl_dt_dict_load_codeswitch_memory(text, strlen(text), "cs", &d, skipped, &err), 0);
    return d;
}

static void cs_line(const xl_dt_dict *d, const xl_dt_cs_options *o, uint64_t lineno, const char *line, xl_buf *out,
                    xl_dt_cs_stats *st)
{
    xl_error err;
    xl_buf_clear(out);
    assert_int_equal(xl_dt_codeswitch_line(d, o, lineno, line, strlen(line), out, st, &err), 0);
}

/* P = 1 replaces every known unit; the line keeps its case, punctuation and spacing; phrases
 * need exactly one space; keys are fully case-folded; hygiene skips 3 entries */
static void test_codeswitch_all_units(void **state)
{
    (void)state;
    size_t skipped = 0;
    xl_dt_dict *d = cs_load(CS_DICT, &skipped);
    assert_int_equal(skipped, 3); /* "acute (´)", "Zeichen ´", 4-word target */
    assert_int_equal(xl_dt_dict_entries(d), 10);
    xl_buf out;
    xl_buf_init(&out);
    xl_dt_cs_options o = {1.0, 5, false, 0.0};
    xl_dt_cs_stats st;
    memset(&st, 0, sizeof st);
    const char line[] = "The new York city, and NEW  york! \xC3\x9C" "ber dogs, boxes; ice-cream it's big-city STRASSE sign long";
    cs_line(d, &o, 1, line, &out, &st);
    assert_string_equal(out.data, "The Nueva York ciudad, and nuevo  york! sobre dogs, boxes; helado es big-city calle sign long");
    assert_int_equal(st.lines, 1);
    assert_int_equal(st.words, 16);
    assert_int_equal(st.units, 7);
    assert_int_equal(st.units_switched, 7);
    assert_int_equal(st.words_switched, 8);
    /* --morph en: dogs -> dog (noun s->""), boxes -> box (noun xes->x) */
    o.morph_en = true;
    cs_line(d, &o, 1, line, &out, &st);
    assert_string_equal(out.data, "The Nueva York ciudad, and nuevo  york! sobre perro, caja; helado es big-city calle sign long");
    assert_int_equal(st.morph_hits, 2);
    xl_buf_free(&out);
    xl_dt_dict_free(d);
}

/* the documented random stream: PCG32 seeded (seed, line number); per unit one double (< p
 * switches), then xl_rng_below(k) for a switched unit with k > 1 targets */
#define CS_SEEDED_LINE1 "a B C X3 a b c x" /* seed 7, line 1 */
static void test_codeswitch_seeded(void **state)
{
    (void)state;
    xl_dt_dict *d = cs_load("a\tA\nb\tB\nc\tC\nx\tX1\nx\tX2\nx\tX3\n", NULL);
    xl_buf out, expect;
    xl_buf_init(&out);
    xl_buf_init(&expect);
    xl_error err;
    const char line[] = "a b c x a b c x";
    for (uint64_t lineno = 1; lineno <= 20; lineno++) {
        xl_dt_cs_options o = {0.5, 7, false, 0.0};
        cs_line(d, &o, lineno, line, &out, NULL);
        xl_rng r;
        xl_buf_clear(&expect);
        const char *words[] = {"a", "b", "c", "x", "a", "b", "c", "x"};
        /* replay of the contract */
        xl_rng_seed(&r, 7, lineno);
        for (size_t i = 0; i < 8; i++) {
            const char *w = words[i];
            if (i && xl_buf_putc(&expect, ' ', &err) < 0) fail();
            if (xl_rng_double(&r) < 0.5) {
                if (w[0] == 'x') assert_int_equal(xl_buf_printf(&expect, &err, "X%u", (unsigned)(1 + xl_rng_below(&r, 3))), 0);
                else assert_int_equal(xl_buf_putc(&expect, (char)(w[0] - 'a' + 'A'), &err), 0);
            } else {
                assert_int_equal(xl_buf_append(&expect, w, 1, &err), 0);
            }
        }
        assert_string_equal(out.data, expect.data);
        if (lineno == 1) assert_string_equal(out.data, CS_SEEDED_LINE1);
    }
    /* a line's output depends on its number, not on the lines before it */
    xl_dt_cs_options o = {0.5, 7, false, 0.0};
    xl_dt_cs_stats st;
    memset(&st, 0, sizeof st);
    cs_line(d, &o, 3, line, &expect, &st);
    for (int k = 0; k < 5; k++) cs_line(d, &o, 9, line, &out, &st);
    cs_line(d, &o, 3, line, &out, &st);
    assert_string_equal(out.data, expect.data);
    /* targets are drawn uniformly: 3000 lines of "x" at P = 1 */
    o.p = 1.0;
    unsigned seen[3] = {0, 0, 0};
    for (uint64_t lineno = 1; lineno <= 3000; lineno++) {
        cs_line(d, &o, lineno, "x", &out, NULL);
        assert_int_equal(out.len, 2);
        seen[out.data[1] - '1']++;
    }
    for (int t = 0; t < 3; t++) assert_true(seen[t] > 900 && seen[t] < 1100);
    xl_buf_free(&out);
    xl_buf_free(&expect);
    xl_dt_dict_free(d);
}

/* WordNet morphy detachment rules (nouns, then verbs, then adjectives; first base in the dictionary) */
static void test_codeswitch_morph(void **state)
{
    (void)state;
    xl_dt_dict *d = cs_load("glass\tG\nchurch\tC\ndish\tD\nwoman\tW\npony\tP\ncat\tK\nwalk\tL\nbake\tB\nmake\tM\n"
                            "sing\tS\nlarge\tR\nsmall\tA\ngo\tO\ndie\tI\ndy\tY\nquiz\tQ\nfox\tF\n",
                            NULL);
    xl_buf out;
    xl_buf_init(&out);
    xl_dt_cs_options o = {1.0, 1, true, 0.0};
    cs_line(d, &o, 1, "glasses churches dishes women ponies cats walked baked making singing larger smallest goes dies quizes foxes",
            &out, NULL);
    /* dies: noun s->"" gives "die" before noun ies->y gives "dy" */
    assert_string_equal(out.data, "G C D W P K L B M S R A O I Q F");
    cs_line(d, &o, 1, "walks walking glassy", &out, NULL);
    assert_string_equal(out.data, "L L glassy");
    o.morph_en = false;
    cs_line(d, &o, 1, "cats walked", &out, NULL);
    assert_string_equal(out.data, "cats walked");
    xl_buf_free(&out);
    xl_dt_dict_free(d);
}

/* --min-switched, invalid UTF-8, dictionary errors */
static void test_codeswitch_filters_errors(void **state)
{
    (void)state;
    xl_dt_dict *d = cs_load("a\tA\nb\tB\n", NULL);
    xl_buf out;
    xl_buf_init(&out);
    xl_dt_cs_options o = {1.0, 1, false, 0.5};
    xl_dt_cs_stats st;
    memset(&st, 0, sizeof st);
    cs_line(d, &o, 1, "a b zz zz", &out, &st); /* 2 of 4 switched: kept */
    assert_string_equal(out.data, "A B zz zz");
    cs_line(d, &o, 2, "a zz zz zz", &out, &st); /* 1 of 4: emptied */
    assert_string_equal(out.data, "");
    cs_line(d, &o, 3, "... !", &out, &st); /* no words: emptied */
    assert_string_equal(out.data, "");
    assert_int_equal(st.lines_emptied, 2);
    xl_error err;
    const char bad[] = "a \xC0\xAF b";
    assert_int_equal(xl_dt_codeswitch_line(d, &o, 1, bad, sizeof bad - 1, &out, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "invalid UTF-8"));
    assert_non_null(strstr(err.msg, "byte 3"));
    xl_dt_dict_free(d);
    xl_dt_dict *e = NULL;
    const char bad_dict[] = "a\tA\nb\t\xFF\n";
    assert_int_equal(xl_dt_dict_load_codeswitch_memory(bad_dict, sizeof bad_dict - 1, "bd", &e, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "bd:2: invalid UTF-8"));
    const char empty_target[] = "a\tA\nb\t  \n";
    assert_int_equal(xl_dt_dict_load_codeswitch_memory(empty_target, sizeof empty_target - 1, "et", &e, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "et:2:"));
    /* a dictionary for plain translation cannot code-switch */
    assert_int_equal(xl_dt_dict_load_memory("a\tA\n", 4, "plain", true, &e, &err), 0);
    assert_int_equal(xl_dt_codeswitch_line(e, &o, 1, "a", 1, &out, NULL, &err), -1);
    xl_dt_dict_free(e);
    xl_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svd_known),
        cmocka_unit_test(test_procrustes_recovers_rotation),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_sentvec),
        cmocka_unit_test(test_translate),
        cmocka_unit_test(test_codeswitch_all_units),
        cmocka_unit_test(test_codeswitch_seeded),
        cmocka_unit_test(test_codeswitch_morph),
        cmocka_unit_test(test_codeswitch_filters_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
