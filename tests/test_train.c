/* test_train.c - the training side of `xlrec train-encoder` (src/train/): the LaBSE ranking loss
 * and the tied MLM head against centred finite differences in double and hand-computed values,
 * BERT masking, AdamW against torch.optim.AdamW (fixture), clipping and schedules, the data
 * readers' validation, checkpoints, and the command through $XLREC_BIN (bad input, resume). */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"
#include "xl_test_train.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bert_train.h"
#include "train_ckpt.h"
#include "train_data.h"
#include "train_loss.h"
#include "train_optim.h"
#include "xl_io.h"
#include "xl_kernels.h"
#include "xl_model.h"
#include "xl_npy.h"
#include "xl_rng.h"

static void fill_uniform(float *x, size_t n, xl_rng *r, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * xl_rng_float(r);
}

static void l2_rows(float *x, size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t t = 0; t < d; t++) s += (double)x[i * d + t] * x[i * d + t];
        for (size_t t = 0; t < d; t++) x[i * d + t] = (float)(x[i * d + t] / sqrt(s));
    }
}

/* ------------------------------------------------------------- ranking loss */

static double rank_value(const float *src, const float *tgt, size_t n, size_t d, double m, double s)
{
    xl_rank_result r;
    assert_int_equal(xl_rank_loss(NULL, 1, src, tgt, n, d, m, s, NULL, NULL, &r, NULL), 0);
    return r.loss;
}

/* Hand value: src = tgt = I (N = D = 2): S = I, Z = s(1 - m) on the diagonal and 0 elsewhere, so
 * each row and column gives log(1 + exp(-s(1 - m))); with s = 2, m = 0.5 that is log(1 + e^-1). */
static void test_rank_hand(void **state)
{
    (void)state;
    const float eye[4] = {1, 0, 0, 1};
    xl_rank_result r;
    float ds[4], dt[4];
    assert_int_equal(xl_rank_loss(NULL, 1, eye, eye, 2, 2, 0.5, 2.0, ds, dt, &r, NULL), 0);
    assert_close(r.loss, log1p(exp(-1.0)), 1e-12);
    assert_close(r.loss_st, r.loss_ts, 1e-15);
    assert_int_equal(r.correct_st, 2);
    assert_int_equal(r.correct_ts, 2);
    /* G = s/(2N) (P + Q - 2I) with P = Q: diag 2(sigma - 1), off-diag 2(1 - sigma), sigma = 1/(1+e^-1).
     * d src = G tgt = G (tgt = I). */
    double sig = 1.0 / (1.0 + exp(-1.0)), c = 2.0 / 4.0;
    const float want[4] = {(float)(c * 2 * (sig - 1)), (float)(c * 2 * (1 - sig)), (float)(c * 2 * (1 - sig)),
                           (float)(c * 2 * (sig - 1))};
    assert_allclose(ds, want, 4, 1e-7, 1e-6);
    assert_allclose(dt, want, 4, 1e-7, 1e-6);
}

/* d loss / d src and d tgt against centred differences (the loss is evaluated in double from the
 * float inputs; the step actually taken, (x+h) - (x-h) after rounding to float, is the divisor). */
static void check_rank_fd(size_t n, size_t d, double margin, double scale, uint64_t seed)
{
    xl_rng r;
    xl_rng_seed(&r, seed, 0);
    float *src = malloc(n * d * sizeof *src), *tgt = malloc(n * d * sizeof *tgt);
    float *ds = malloc(n * d * sizeof *ds), *dt = malloc(n * d * sizeof *dt);
    double *fd = malloc(2 * n * d * sizeof *fd), *an = malloc(2 * n * d * sizeof *an);
    assert_true(src && tgt && ds && dt && fd && an);
    fill_uniform(src, n * d, &r, -1, 1);
    fill_uniform(tgt, n * d, &r, -1, 1);
    l2_rows(src, n, d);
    l2_rows(tgt, n, d);
    xl_rank_result res;
    assert_int_equal(xl_rank_loss(NULL, 1, src, tgt, n, d, margin, scale, ds, dt, &res, NULL), 0);
    const double h = 1e-4 / scale;
    for (int side = 0; side < 2; side++) {
        float *x = side ? tgt : src;
        for (size_t i = 0; i < n * d; i++) {
            float keep = x[i];
            x[i] = (float)(keep + h);
            float hi = x[i];
            double lp = rank_value(src, tgt, n, d, margin, scale);
            x[i] = (float)(keep - h);
            float lo = x[i];
            double lm = rank_value(src, tgt, n, d, margin, scale);
            x[i] = keep;
            fd[side * n * d + i] = (lp - lm) / ((double)hi - (double)lo);
            an[side * n * d + i] = side ? dt[i] : ds[i];
        }
    }
    double max_abs = 0, max_rel = 0;
    for (size_t i = 0; i < 2 * n * d; i++) {
        double e = fabs(an[i] - fd[i]);
        max_abs = e > max_abs ? e : max_abs;
        double rel = e / (fabs(fd[i]) + 1e-6);
        max_rel = rel > max_rel ? rel : max_rel;
    }
    print_message("rank loss N=%zu D=%zu m=%g s=%g: loss %.6f, gradient vs finite differences: max abs %.2e, max rel "
                  "%.2e\n",
                  n, d, margin, scale, res.loss, max_abs, max_rel);
    assert_allclose_f64(an, fd, 2 * n * d, 1e-6, 1e-4);
    free(src);
    free(tgt);
    free(ds);
    free(dt);
    free(fd);
    free(an);
}

static void test_rank_fd(void **state)
{
    (void)state;
    check_rank_fd(5, 7, 0.3, 20.0, 1);
    check_rank_fd(3, 4, 0.0, 1.0, 2);
    check_rank_fd(1, 3, 0.3, 20.0, 3); /* one pair: the loss is 0 and so is the gradient */
}

/* An empty batch is an error, not a NaN. */
static void test_rank_zero_batch(void **state)
{
    (void)state;
    xl_error err;
    xl_rank_result r;
    assert_int_equal(xl_rank_loss(NULL, 1, NULL, NULL, 0, 4, 0.3, 20, NULL, NULL, &r, &err), -1);
    assert_non_null(strstr(err.msg, "empty batch"));
}

/* The SGEMM path (k != NULL, what training uses) against the double reference, N = 37, D = 24:
 * loss within 1e-6 relative, gradients within float rounding. */
static void test_rank_gemm_path(void **state)
{
    (void)state;
    enum { N = 37, D = 24 };
    xl_kernels k;
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_AUTO, 2, NULL), 0);
    xl_rng r;
    xl_rng_seed(&r, 77, 0);
    static float src[N * D], tgt[N * D], ds0[N * D], dt0[N * D], ds1[N * D], dt1[N * D];
    fill_uniform(src, N * D, &r, -1, 1);
    fill_uniform(tgt, N * D, &r, -1, 1);
    for (size_t i = 0; i < N * D; i++) tgt[i] = 0.7f * src[i] + 0.3f * tgt[i]; /* partly aligned */
    l2_rows(src, N, D);
    l2_rows(tgt, N, D);
    xl_rank_result a, b;
    assert_int_equal(xl_rank_loss(NULL, 1, src, tgt, N, D, 0.3, 20, ds0, dt0, &a, NULL), 0);
    assert_int_equal(xl_rank_loss(&k, 2, src, tgt, N, D, 0.3, 20, ds1, dt1, &b, NULL), 0);
    print_message("rank loss, double reference %.9f, SGEMM path %.9f\n", a.loss, b.loss);
    assert_close(b.loss, a.loss, 1e-6 * a.loss);
    assert_int_equal(a.correct_st, b.correct_st);
    assert_allclose(ds1, ds0, N * D, 1e-6, 1e-4);
    assert_allclose(dt1, dt0, N * D, 1e-6, 1e-4);
    xl_kernels_free(&k);
}

/* ------------------------------------------------------------- masking */

static void test_mlm_mask(void **state)
{
    (void)state;
    enum { N = 200000, V = 1000 };
    const int32_t special[] = {0, 1, 2, 3}; /* [PAD] [CLS] [SEP] [MASK] */
    xl_mlm_masking mm;
    xl_mlm_masking_default(&mm, 3, V, special, 4);
    int32_t *ids = malloc(N * sizeof *ids), *orig = malloc(N * sizeof *orig), *lab = malloc(N * sizeof *lab);
    int32_t *ids2 = malloc(N * sizeof *ids2), *lab2 = malloc(N * sizeof *lab2);
    assert_true(ids && orig && lab && ids2 && lab2);
    for (size_t i = 0; i < N; i++) /* [CLS] 48 tokens [SEP], repeated */
        orig[i] = ids[i] = ids2[i] = (i % 50 == 0) ? 1 : (i % 50 == 49) ? 2 : (int32_t)(4 + i % 996);
    xl_rng r, r2;
    xl_rng_seed(&r, 42, 7);
    xl_rng_seed(&r2, 42, 7);
    size_t sel = xl_mlm_mask(&mm, &r, ids, N, lab);
    assert_int_equal(xl_mlm_mask(&mm, &r2, ids2, N, lab2), sel); /* same seed, same masking */
    assert_memory_equal(ids, ids2, N * sizeof *ids);
    assert_memory_equal(lab, lab2, N * sizeof *lab);
    size_t maskable = 0, n_mask = 0, n_rand = 0, n_keep = 0;
    for (size_t i = 0; i < N; i++) {
        bool sp = orig[i] < 4;
        maskable += !sp;
        if (sp) {
            assert_int_equal(lab[i], -1); /* never special tokens */
            assert_int_equal(ids[i], orig[i]);
            continue;
        }
        if (lab[i] < 0) {
            assert_int_equal(ids[i], orig[i]);
            continue;
        }
        assert_int_equal(lab[i], orig[i]);
        if (ids[i] == 3) n_mask++;
        else if (ids[i] == orig[i]) n_keep++;
        else {
            n_rand++;
            assert_true(ids[i] >= 4 && ids[i] < V); /* random tokens are never special */
        }
    }
    double f_sel = (double)sel / (double)maskable;
    print_message("masking: %zu of %zu selected (%.4f); [MASK] %.4f random %.4f kept %.4f\n", sel, maskable, f_sel,
                  (double)n_mask / sel, (double)n_rand / sel, (double)n_keep / sel);
    /* 196000 Bernoulli(0.15) draws: sd 0.0008; a random token equal to the original (1/996) counts as kept */
    assert_true(fabs(f_sel - 0.15) < 0.005);
    assert_true(fabs((double)n_mask / sel - 0.8) < 0.01);
    assert_true(fabs((double)n_rand / sel - 0.1) < 0.01);
    assert_true(fabs((double)n_keep / sel - 0.1) < 0.01);
    free(ids);
    free(orig);
    free(lab);
    free(ids2);
    free(lab2);
}

/* ------------------------------------------------------------- MLM head */

/* Reference in double: mean CE of h W^T + b at the labels. */
static double mlm_ref(const double *h, const int32_t *lab, size_t m, const double *w, const double *b, size_t v,
                      size_t hd)
{
    double total = 0;
    for (size_t i = 0; i < m; i++) {
        double mx = -INFINITY, z[64];
        for (size_t j = 0; j < v; j++) {
            z[j] = b[j];
            for (size_t t = 0; t < hd; t++) z[j] += h[i * hd + t] * w[j * hd + t];
            mx = z[j] > mx ? z[j] : mx;
        }
        double s = 0;
        for (size_t j = 0; j < v; j++) s += exp(z[j] - mx);
        total += mx + log(s) - z[lab[i]];
    }
    return total / (double)m;
}

static void test_mlm_head_hand(void **state)
{
    (void)state;
    xl_kernels k;
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_AUTO, 1, NULL), 0);
    /* h = [1], W = [[1], [0]], b = 0, label 0: logits (1, 0), CE = log(1 + e^-1);
     * d logits = (sigma - 1, 1 - sigma), d h = (sigma - 1) * 1, dW = d logits^T h, db = d logits. */
    const float h[1] = {1}, w[2] = {1, 0}, b[2] = {0, 0};
    const int32_t lab[1] = {0};
    float dh[1], dw[2] = {0, 0}, db[2] = {0, 0};
    xl_mlm_head_ws ws = {0};
    xl_mlm_result res;
    assert_int_equal(xl_mlm_head_loss(&k, 1, h, lab, 1, w, b, 2, 1, 1.0, dh, dw, db, &ws, &res, NULL), 0);
    double sig = 1.0 / (1.0 + exp(-1.0));
    assert_close(res.loss, log1p(exp(-1.0)), 1e-6);
    assert_int_equal(res.correct, 1);
    const float want_d[2] = {(float)(sig - 1), (float)(1 - sig)};
    assert_allclose(dh, want_d, 1, 1e-7, 1e-6);
    assert_allclose(dw, want_d, 2, 1e-7, 1e-6);
    assert_allclose(db, want_d, 2, 1e-7, 1e-6);
    xl_mlm_head_free(&ws);
    xl_kernels_free(&k);
}

static void test_mlm_head_fd(void **state)
{
    (void)state;
    enum { M = 5, V = 11, H = 6 };
    xl_kernels k;
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_AUTO, 2, NULL), 0);
    xl_rng r;
    xl_rng_seed(&r, 9, 0);
    float h[M * H], w[V * H], b[V], dh[M * H], dw[V * H], db[V];
    fill_uniform(h, M * H, &r, -1, 1);
    fill_uniform(w, V * H, &r, -1, 1);
    fill_uniform(b, V, &r, -0.5f, 0.5f);
    const int32_t lab[M] = {0, 3, 10, 3, 7};
    for (size_t i = 0; i < V * H; i++) dw[i] = 0.25f; /* accumulated into: starts non-zero */
    for (size_t i = 0; i < V; i++) db[i] = -0.5f;
    xl_mlm_head_ws ws = {0};
    xl_mlm_result res;
    const double weight = 0.7;
    assert_int_equal(xl_mlm_head_loss(&k, 2, h, lab, M, w, b, V, H, weight, dh, dw, db, &ws, &res, NULL), 0);
    double hd[M * H], wd[V * H], bd[V];
    for (size_t i = 0; i < M * H; i++) hd[i] = h[i];
    for (size_t i = 0; i < V * H; i++) wd[i] = w[i];
    for (size_t i = 0; i < V; i++) bd[i] = b[i];
    assert_close(res.mean_ce, mlm_ref(hd, lab, M, wd, bd, V, H), 1e-5);
    assert_close(res.loss, weight * res.mean_ce, 1e-12);
    /* centred differences of weight * reference loss, in double */
    const double eps = 1e-6;
    double an[M * H + V * H + V], fd[M * H + V * H + V];
    size_t q = 0;
    double *vars[3] = {hd, wd, bd};
    size_t counts[3] = {M * H, V * H, V};
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < counts[s]; i++, q++) {
            double keep = vars[s][i];
            vars[s][i] = keep + eps;
            double lp = mlm_ref(hd, lab, M, wd, bd, V, H);
            vars[s][i] = keep - eps;
            double lm = mlm_ref(hd, lab, M, wd, bd, V, H);
            vars[s][i] = keep;
            fd[q] = weight * (lp - lm) / (2 * eps);
            an[q] = s == 0 ? dh[i] : s == 1 ? dw[i] - 0.25 : db[i] + 0.5;
        }
    double max_abs = 0;
    for (size_t i = 0; i < q; i++) max_abs = fmax(max_abs, fabs(an[i] - fd[i]));
    print_message("MLM head M=%d V=%d H=%d: gradient vs finite differences: max abs %.2e\n", M, V, H, max_abs);
    assert_allclose_f64(an, fd, q, 1e-6, 1e-4);
    xl_mlm_head_free(&ws);
    xl_kernels_free(&k);
}

/* ------------------------------------------------------------- optimiser */

/* One AdamW step by hand: p = 1, g = 0.5, lr 0.1, wd 0.1, t = 1: m = 0.05, v = 0.00025,
 * m_hat = 0.5, sqrt(v_hat) = 0.5: p = 1 (1 - 0.01) - 0.1 * 0.5 / (0.5 + eps). */
static void test_adamw_hand(void **state)
{
    (void)state;
    xl_adamw_hparams h;
    xl_adamw_hparams_default(&h);
    h.weight_decay = 0.1;
    h.eps = 1e-8;
    float p[2] = {1, 1}, g[2] = {0.5f, 0.5f}, m[2] = {0, 0}, v[2] = {0, 0};
    xl_adamw_update(&h, 0.1, 1, true, p, g, m, v, 1);
    xl_adamw_update(&h, 0.1, 1, false, p + 1, g + 1, m + 1, v + 1, 1);
    assert_close(p[0], 0.99 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-7);
    assert_close(p[1], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-7); /* no decay on this block */
    assert_close(m[0], 0.05, 1e-9);
    assert_close(v[0], 0.00025, 1e-10);
}

/* AdamW on a pool of 2 threads (dense blocks in chunks, lazy rows one item each) gives the serial
 * update's bits: a block of 3 chunks + 5 floats and every other row of a [40, 2,000] table, three
 * steps. */
static void test_adamw_pool_bit_identical(void **state)
{
    (void)state;
    xl_error err;
    xl_pool *pool = xl_pool_new(2, &err);
    assert_non_null(pool);
    enum { N = 3 * 16384 + 5, W = 2000, R = 40 };
    const size_t n = N > W * R ? N : W * R;
    float *p1 = malloc(n * sizeof(float)), *p2 = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float));
    float *m1 = calloc(n, sizeof(float)), *v1 = calloc(n, sizeof(float));
    float *m2 = calloc(n, sizeof(float)), *v2 = calloc(n, sizeof(float));
    assert_true(p1 && p2 && g && m1 && v1 && m2 && v2);
    xl_rng r;
    xl_rng_seed(&r, 3, 0);
    for (size_t i = 0; i < n; i++) p1[i] = p2[i] = xl_rng_float(&r) - 0.5f, g[i] = xl_rng_float(&r) - 0.5f;
    const float p_first = p1[0], p_last_row = p1[(R - 1) * W];
    uint32_t rows[R / 2];
    for (uint32_t i = 0; i < R / 2; i++) rows[i] = 2 * i + 1;
    xl_adamw_hparams h;
    xl_adamw_hparams_default(&h);
    for (uint64_t t = 1; t <= 3; t++) {
        xl_adamw_update(&h, 1e-3, t, true, p1, g, m1, v1, N);
        xl_adamw_update_pool(pool, 2, &h, 1e-3, t, true, p2, g, m2, v2, N);
        for (size_t i = 0; i < R / 2; i++) {
            const size_t o = (size_t)rows[i] * W;
            xl_adamw_update(&h, 1e-3, t, false, p1 + o, g + o, m1 + o, v1 + o, W);
        }
        xl_adamw_update_rows_pool(pool, 2, &h, 1e-3, t, false, p2, g, m2, v2, rows, R / 2, W);
    }
    assert_memory_equal(p1, p2, n * sizeof(float));
    assert_memory_equal(m1, m2, n * sizeof(float));
    assert_memory_equal(v1, v2, n * sizeof(float));
    assert_true(p1[0] != p_first && p1[(R - 1) * W] != p_last_row); /* the updates did move them */
    free(p1), free(p2), free(g), free(m1), free(v1), free(m2), free(v2);
    xl_pool_free(pool);
}

static void test_schedule_clip(void **state)
{
    (void)state;
    /* warm-up 4, total 12 */
    assert_close(xl_schedule_lr(XL_SCHED_LINEAR, 1.0, 4, 12, 1), 0.25, 1e-15);
    assert_close(xl_schedule_lr(XL_SCHED_LINEAR, 1.0, 4, 12, 4), 1.0, 1e-15);
    assert_close(xl_schedule_lr(XL_SCHED_LINEAR, 1.0, 4, 12, 8), 0.5, 1e-15);
    assert_close(xl_schedule_lr(XL_SCHED_LINEAR, 1.0, 4, 12, 12), 0.0, 1e-15);
    assert_close(xl_schedule_lr(XL_SCHED_COSINE, 1.0, 4, 12, 8), 0.5, 1e-15);
    assert_close(xl_schedule_lr(XL_SCHED_COSINE, 1.0, 4, 12, 6), 0.5 * (1 + cos(3.14159265358979323846 / 4)), 1e-15);
    assert_close(xl_schedule_lr(XL_SCHED_CONSTANT, 2.0, 0, 12, 12), 2.0, 1e-15);
    /* clipping: norm 5 with max 1 -> 1 / (5 + 1e-6); under the max -> 1 */
    float g[2] = {3, 4};
    double norm = sqrt(xl_grad_sumsq(g, 2));
    assert_close(norm, 5.0, 1e-15);
    assert_close(xl_clip_factor(norm, 1.0), 1.0 / (5.0 + 1e-6), 1e-15);
    assert_close(xl_clip_factor(norm, 10.0), 1.0, 0);
    assert_close(xl_clip_factor(norm, 0.0), 1.0, 0);
}


/* ------------------------------------------------------------- against PyTorch (tests/fixtures/train_tiny) */

#define FIX_DIR XL_TRAIN_FIXTURE_DIR

static bool load_fixture(const char *name, xl_npy_array *a)
{
    char path[256];
    snprintf(path, sizeof path, FIX_DIR "/%s", name);
    xl_error err;
    if (xl_npy_read(path, a, &err) == 0) return true;
    print_message("[  SKIP    ] %s\n", err.msg);
    return false;
}

/* Ten steps of xl_adamw_update against torch.optim.AdamW (two param groups: decay 0.01 and 0),
 * parameters after every step within 1e-5. */
static void test_adamw_vs_torch(void **state)
{
    (void)state;
    xl_npy_array p0, grads, want, decay, hp;
    if (!load_fixture("adamw_p0.npy", &p0)) skip();
    assert_true(load_fixture("adamw_grads.npy", &grads) && load_fixture("adamw_params.npy", &want) &&
                load_fixture("adamw_decay.npy", &decay) && load_fixture("adamw_hparams.npy", &hp));
    const size_t n = p0.count;
    assert_int_equal(grads.count, 10 * n);
    assert_int_equal(want.count, 10 * n);
    assert_int_equal(hp.count, 5);
    xl_adamw_hparams h = {hp.data[1], hp.data[2], hp.data[3], hp.data[4]};
    const double lr = hp.data[0];
    float *m = calloc(n, sizeof *m), *v = calloc(n, sizeof *v);
    assert_true(m && v);
    double max_diff = 0;
    for (uint64_t t = 1; t <= 10; t++) {
        const float *g = grads.data + (t - 1) * n;
        for (size_t i = 0; i < n; i++) /* one element at a time: the decay flag is per element here */
            xl_adamw_update(&h, lr, t, decay.data[i] != 0.0f, p0.data + i, g + i, m + i, v + i, 1);
        const float *w = want.data + (t - 1) * n;
        for (size_t i = 0; i < n; i++) max_diff = fmax(max_diff, fabs((double)p0.data[i] - w[i]));
        assert_allclose(p0.data, w, n, 1e-5, 0);
    }
    print_message("AdamW vs torch.optim.AdamW, 10 steps x %zu parameters: max abs difference %.2e\n", n, max_diff);
    free(m);
    free(v);
    xl_npy_free(&p0);
    xl_npy_free(&grads);
    xl_npy_free(&want);
    xl_npy_free(&decay);
    xl_npy_free(&hp);
}

/* The ranking loss of the fixture's sentence embeddings (4 pairs) equals PyTorch's. */
static void test_rank_vs_torch(void **state)
{
    (void)state;
    xl_npy_array emb, loss;
    if (!load_fixture("rank_emb.npy", &emb)) skip();
    assert_true(load_fixture("rank_loss.npy", &loss));
    assert_int_equal(emb.rank, 2);
    const size_t n = emb.shape[0] / 2, d = emb.shape[1];
    xl_rank_result r;
    assert_int_equal(xl_rank_loss(NULL, 1, emb.data, emb.data + n * d, n, d, 0.3, 20.0, NULL, NULL, &r, NULL), 0);
    print_message("rank loss %.7f, PyTorch %.7f\n", r.loss, (double)loss.data[0]);
    assert_close(r.loss, loss.data[0], 1e-5 * fabs(loss.data[0]));
    xl_npy_free(&emb);
    xl_npy_free(&loss);
}

/* The whole model through OUR losses (what train-encoder runs): the train_tiny parameters, the
 * training forward (dropout 0), pooling, xl_rank_loss on the SGEMM path / xl_mlm_head_loss, and the
 * encoder's backward, against PyTorch autograd: loss and every parameter gradient within
 * 1e-6 + 1e-4 |ref|. */
static xl_bert_config fixture_config(void)
{
    xl_bert_config c;
    memset(&c, 0, sizeof c);
    c.arch = XL_ARCH_BERT;
    c.vocab_size = 50, c.hidden = 24, c.n_layers = 2, c.n_heads = 3, c.intermediate = 40, c.max_position = 16;
    c.type_vocab_size = 2, c.layer_norm_eps = 1e-12f, c.pooling = XL_POOL_MEAN, c.normalize = true;
    c.max_seq_len = 16, c.n_dense = 1, c.dense_in[0] = 24, c.dense_out[0] = 16, c.dense_act[0] = XL_ACT_TANH;
    return c;
}

typedef struct {
    int32_t ids[16][16], types[16][16];
    const int32_t *pid[16], *ptype[16];
    size_t len[16], n;
    xl_bert_input in;
} fixture_batch;

static void fixture_batch_load(fixture_batch *b, const char *prefix)
{
    char nm[64];
    xl_npy_array ids, types, len;
    snprintf(nm, sizeof nm, "%s_ids.npy", prefix);
    assert_true(load_fixture(nm, &ids));
    snprintf(nm, sizeof nm, "%s_types.npy", prefix);
    assert_true(load_fixture(nm, &types));
    snprintf(nm, sizeof nm, "%s_len.npy", prefix);
    assert_true(load_fixture(nm, &len));
    b->n = ids.shape[0];
    const size_t T = ids.shape[1];
    assert_true(b->n <= 16 && T <= 16);
    for (size_t s = 0; s < b->n; s++) {
        for (size_t i = 0; i < T; i++) {
            b->ids[s][i] = (int32_t)ids.data[s * T + i];
            b->types[s][i] = (int32_t)types.data[s * T + i];
        }
        b->pid[s] = b->ids[s];
        b->ptype[s] = b->types[s];
        b->len[s] = (size_t)len.data[s];
    }
    b->in = (xl_bert_input){b->n, b->pid, b->ptype, NULL, b->len};
    xl_npy_free(&ids);
    xl_npy_free(&types);
    xl_npy_free(&len);
}

static void compare_layout(const char *what, const xl_bert_params *p, const float *got, const float *want_fixture)
{
    float *want = calloc(p->count, sizeof *want);
    assert_non_null(want);
    xl_test_fixture_to_layout(p, want_fixture, want);
    double worst = 0;
    for (size_t i = 0; i < p->count; i++) worst = fmax(worst, fabs(got[i] - want[i]) / (1e-6 + 1e-4 * fabs(want[i])));
    print_message("%s: every gradient vs PyTorch: max |err| / (1e-6 + 1e-4 |ref|) = %.3f\n", what, worst);
    assert_allclose(got, want, p->count, 1e-6, 1e-4);
    free(want);
}

static void test_whole_model_vs_torch(void **state)
{
    (void)state;
    xl_npy_array params;
    if (!load_fixture("params.npy", &params)) skip();
    xl_kernels k;
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_AUTO, 2, NULL), 0);
    xl_bert_config cfg = fixture_config();
    xl_bert_params p;
    xl_bert_grads g;
    xl_error err;
    assert_int_equal(xl_bert_params_init_random(&p, &cfg, NULL, 1, &k, &err), 0);
    xl_test_fixture_to_layout(&p, params.data, p.data);
    xl_bert_params_refresh(&p, &k);
    assert_int_equal(xl_bert_grads_init(&g, &p, &err), 0);
    xl_bert_train_ctx ctx;
    xl_bert_train_ctx_init(&ctx, &k, 2);
    const xl_bert_dropout no_drop = {0, 0};

    /* ranking: sequences 0..3 sources, 4..7 targets */
    static fixture_batch rb, mb;
    fixture_batch_load(&rb, "rank");
    assert_non_null(xl_bert_train_forward(&ctx, &p, &rb.in, no_drop, NULL, &err));
    const float *sent = xl_bert_train_pool(&ctx, &p, XL_POOL_MEAN, true, &err);
    assert_non_null(sent);
    const size_t D = xl_bert_train_output_dim(&p), N = rb.n / 2;
    float *dsent = calloc(2 * N * D, sizeof *dsent);
    assert_non_null(dsent);
    xl_rank_result rr;
    assert_int_equal(xl_rank_loss(&k, 2, sent, sent + N * D, N, D, 0.3, 20.0, dsent, dsent + N * D, &rr, &err), 0);
    xl_npy_array want_loss, want_grads;
    assert_true(load_fixture("rank_loss.npy", &want_loss) && load_fixture("rank_grads.npy", &want_grads));
    print_message("whole model, ranking loss %.7f, PyTorch %.7f\n", rr.loss, (double)want_loss.data[0]);
    assert_close(rr.loss, want_loss.data[0], 1e-6 + 1e-4 * fabs(want_loss.data[0]));
    xl_bert_grads_zero(&g, &p);
    assert_int_equal(xl_bert_train_backward(&ctx, &p, &g, dsent, NULL, &err), 0);
    compare_layout("ranking loss", &p, g.data, want_grads.data);
    xl_npy_free(&want_loss);
    xl_npy_free(&want_grads);

    /* MLM: the tied head over the selected positions (mlm_labels >= 0), then the encoder backward */
    fixture_batch_load(&mb, "mlm");
    xl_npy_array labels, bias, bias_grad;
    assert_true(load_fixture("mlm_labels.npy", &labels) && load_fixture("mlm_bias.npy", &bias) &&
                load_fixture("mlm_bias_grad.npy", &bias_grad) && load_fixture("mlm_loss.npy", &want_loss) &&
                load_fixture("mlm_grads.npy", &want_grads));
    const float *h = xl_bert_train_forward(&ctx, &p, &mb.in, no_drop, NULL, &err);
    assert_non_null(h);
    const size_t H = cfg.hidden, V = cfg.vocab_size, T = ctx.a.T, W = labels.shape[1];
    float *hsel = calloc(T * H, sizeof *hsel), *dhsel = calloc(T * H, sizeof *dhsel);
    float *dhidden = calloc(T * H, sizeof *dhidden), *db = calloc(V, sizeof *db);
    int32_t lab[256];
    size_t row[256], m = 0;
    assert_true(hsel && dhsel && dhidden && db);
    for (size_t s = 0; s < mb.n; s++)
        for (size_t i = 0; i < mb.len[s]; i++) {
            int32_t l = (int32_t)labels.data[s * W + i];
            if (l < 0) continue;
            row[m] = ctx.a.off[s] + i;
            lab[m] = l;
            memcpy(hsel + m * H, h + row[m] * H, H * sizeof(float));
            m++;
        }
    xl_bert_grads_zero(&g, &p);
    xl_mlm_head_ws ws = {0};
    xl_mlm_result mr;
    assert_int_equal(xl_mlm_head_loss(&k, 2, hsel, lab, m, p.data + p.off.word_emb, bias.data, V, H, 1.0, dhsel,
                                      g.data + p.off.word_emb, db, &ws, &mr, &err),
                     0);
    xl_bert_grads_touch_all_words(&g);
    for (size_t i = 0; i < m; i++) memcpy(dhidden + row[i] * H, dhsel + i * H, H * sizeof(float));
    assert_int_equal(xl_bert_train_backward(&ctx, &p, &g, NULL, dhidden, &err), 0);
    print_message("whole model, MLM loss %.7f over %zu positions, PyTorch %.7f\n", mr.loss, m,
                  (double)want_loss.data[0]);
    assert_close(mr.loss, want_loss.data[0], 1e-6 + 1e-4 * fabs(want_loss.data[0]));
    assert_allclose(db, bias_grad.data, V, 1e-6, 1e-4);
    compare_layout("MLM (tied decoder)", &p, g.data, want_grads.data);

    xl_mlm_head_free(&ws);
    free(hsel);
    free(dhsel);
    free(dhidden);
    free(db);
    free(dsent);
    xl_npy_free(&labels);
    xl_npy_free(&bias);
    xl_npy_free(&bias_grad);
    xl_npy_free(&want_loss);
    xl_npy_free(&want_grads);
    xl_npy_free(&params);
    xl_bert_train_ctx_free(&ctx);
    xl_bert_grads_free(&g);
    xl_bert_params_free(&p);
    xl_kernels_free(&k);
}

/* ------------------------------------------------------------- corpora */

static char *tmp_copy(const char *tag, const void *data, size_t len)
{
    const char *p = xl_test_write_tmp(tag, data, len);
    char *s = malloc(strlen(p) + 1);
    assert_non_null(s);
    strcpy(s, p);
    return s;
}

/* Open a corpus from `text`; returns the error message ("" when it opened) in msg. */
static int corpus_try(const char *text, size_t len, xl_corpus_kind kind, char *msg, size_t cap)
{
    char *path = tmp_copy("corpus.tsv", text, len);
    xl_corpus c;
    xl_error err;
    xl_error_clear(&err);
    int rc = xl_corpus_open(&c, path, kind, 64, 7, &err);
    if (rc == 0) xl_corpus_close(&c);
    /* the message names the file: keep what follows its name */
    const char *m = strstr(err.msg, "corpus.tsv");
    snprintf(msg, cap, "%s", rc == 0 ? "" : m ? m + strlen("corpus.tsv") : err.msg);
    remove(path);
    free(path);
    return rc;
}

static void test_corpus_validation(void **state)
{
    (void)state;
    char msg[1200];
    static const char ok[] = "en\tthe cat\tfr\tle chat\r\nen\tdog\tde\tHund\n";
    assert_int_equal(corpus_try(ok, sizeof ok - 1, XL_CORPUS_PAIRS, msg, sizeof msg), 0);
    static const char missing[] = "en\tthe cat\tfr\tle chat\nen\tdog\tde\n";
    assert_int_equal(corpus_try(missing, sizeof missing - 1, XL_CORPUS_PAIRS, msg, sizeof msg), -1);
    assert_string_equal(msg, ":2: 3 tab-separated columns, expected 4 (lang1<TAB>text1<TAB>lang2<TAB>text2)");
    static const char bad_utf8[] = "en\tthe cat\tfr\tle ch\xc3t\n";
    assert_int_equal(corpus_try(bad_utf8, sizeof bad_utf8 - 1, XL_CORPUS_PAIRS, msg, sizeof msg), -1);
    assert_string_equal(msg, ":1: invalid UTF-8 (truncated sequence) at byte 20");
    static const char empty_side[] = "en\tthe cat\tfr\t  \n";
    assert_int_equal(corpus_try(empty_side, sizeof empty_side - 1, XL_CORPUS_PAIRS, msg, sizeof msg), -1);
    assert_string_equal(msg, ":1: empty text in column 4 (side 2 of the pair)");
    assert_int_equal(corpus_try("", 0, XL_CORPUS_PAIRS, msg, sizeof msg), -1);
    assert_string_equal(msg, ": empty file (no pairs)");
    static const char blank_line[] = "en\ta\tfr\tb\n\nen\ta\tfr\tb\n";
    assert_int_equal(corpus_try(blank_line, sizeof blank_line - 1, XL_CORPUS_PAIRS, msg, sizeof msg), -1);
    assert_string_equal(msg, ":2: empty line (expected lang1<TAB>text1<TAB>lang2<TAB>text2)");
    char longl[200];
    memset(longl, 'x', sizeof longl);
    memcpy(longl, "en\t", 3);
    longl[sizeof longl - 1] = '\n';
    assert_int_equal(corpus_try(longl, sizeof longl, XL_CORPUS_MONO, msg, sizeof msg), -1); /* limit 64 bytes */
    assert_string_equal(msg, ":1: line longer than 64 bytes");
    static const char mono[] = "en\tthe cat\nfr\t\n";
    assert_int_equal(corpus_try(mono, sizeof mono - 1, XL_CORPUS_MONO, msg, sizeof msg), -1);
    assert_string_equal(msg, ":2: empty text in column 2 (side 1 of the line)");
}

/* Seeded order: every line once per epoch, the same order for the same seed, and seek()
 * reproduces the rest of an epoch. */
static void test_corpus_order(void **state)
{
    (void)state;
    char text[400] = "";
    for (int i = 0; i < 20; i++) snprintf(text + strlen(text), sizeof text - strlen(text), "en\tline %d\n", i);
    char *path = tmp_copy("order.tsv", text, strlen(text));
    xl_corpus a, b;
    assert_int_equal(xl_corpus_open(&a, path, XL_CORPUS_MONO, 0, 5, NULL), 0);
    assert_int_equal(xl_corpus_open(&b, path, XL_CORPUS_MONO, 0, 5, NULL), 0);
    assert_int_equal(a.n, 20);
    int seen[20] = {0};
    xl_corpus_record r;
    uint64_t first[30];
    for (int i = 0; i < 30; i++) {
        assert_int_equal(xl_corpus_next(&a, &r, NULL), 0);
        first[i] = r.lineno;
        if (i < 20) seen[r.lineno - 1]++;
        int k;
        assert_int_equal(sscanf(r.text[0], "line %d", &k), 1);
        assert_int_equal((uint64_t)k + 1, r.lineno); /* the text read back is that line's */
    }
    for (int i = 0; i < 20; i++) assert_int_equal(seen[i], 1);
    assert_int_equal(a.epoch, 1);
    /* b jumps to epoch 1, cursor 3: continues exactly as a did */
    assert_int_equal(xl_corpus_seek(&b, 1, 3, NULL), 0);
    for (int i = 23; i < 30; i++) {
        assert_int_equal(xl_corpus_next(&b, &r, NULL), 0);
        assert_int_equal(r.lineno, first[i]);
    }
    xl_error err;
    assert_int_equal(xl_corpus_seek(&b, 0, 21, &err), -1);
    xl_corpus_close(&a);
    xl_corpus_close(&b);
    remove(path);
    free(path);
}

/* The default order is the one of every release before --batch-order (recorded from the
 * train_data.c of commit b71baf9 with these 20 lines and seed 5: two epochs), and blocks of k
 * lines (--batch-order grouped): every k records taken from cursor 0 are one block [b k, b k + k)
 * of the file in file order, each of the floor(n / k) blocks once per epoch, the n mod k lines
 * after the last block never; seek() continues the same sequence; fewer lines than a block fail. */
static void test_corpus_blocks(void **state)
{
    (void)state;
    char text[400] = "";
    for (int i = 0; i < 20; i++) snprintf(text + strlen(text), sizeof text - strlen(text), "en\tline %d\n", i);
    char *path = tmp_copy("blocks.tsv", text, strlen(text));
    static const uint64_t golden[40] = {5,  18, 20, 17, 3,  4,  9,  1, 16, 12, 7,  10, 15, 11, 19, 2, 6, 14, 8,  13,
                                        10, 14, 11, 6,  18, 7,  1,  9, 12, 19, 4,  13, 15, 20, 3,  8, 2, 5,  16, 17};
    xl_corpus a, b;
    xl_corpus_record r;
    assert_int_equal(xl_corpus_open(&a, path, XL_CORPUS_MONO, 0, 5, NULL), 0);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(xl_corpus_next(&a, &r, NULL), 0);
        assert_int_equal(r.lineno, golden[i]);
    }
    xl_corpus_close(&a);
    const size_t k = 3, nb = 20 / 3; /* 6 blocks, lines 19 and 20 left out */
    assert_int_equal(xl_corpus_open(&a, path, XL_CORPUS_MONO, 0, 5, NULL), 0);
    assert_int_equal(xl_corpus_set_blocks(&a, k, NULL), 0);
    assert_int_equal(a.n_order, 18);
    uint64_t seq[3 * 18];
    size_t first_block[3][6];
    for (size_t e = 0; e < 3; e++) {
        int seen[6] = {0};
        for (size_t m = 0; m < nb; m++) { /* one micro-batch of k records */
            assert_int_equal(a.cursor % k, 0);
            for (size_t j = 0; j < k; j++) {
                assert_int_equal(xl_corpus_next(&a, &r, NULL), 0);
                seq[e * 18 + m * k + j] = r.lineno;
                int line;
                assert_int_equal(sscanf(r.text[0], "line %d", &line), 1);
                assert_int_equal((uint64_t)line + 1, r.lineno);
            }
            const uint64_t l0 = seq[e * 18 + m * k];
            assert_int_equal((l0 - 1) % k, 0); /* starts a block */
            for (size_t j = 1; j < k; j++) assert_int_equal(seq[e * 18 + m * k + j], l0 + j);
            assert_true(l0 + k - 1 <= 18);     /* never the tail */
            seen[(l0 - 1) / k]++;
            first_block[e][m] = (size_t)(l0 - 1) / k;
        }
        for (size_t bl = 0; bl < nb; bl++) assert_int_equal(seen[bl], 1);
        assert_int_equal(a.epoch, e); /* the epoch turns on the next read */
    }
    assert_true(memcmp(first_block[0], first_block[1], sizeof first_block[0]) != 0); /* reshuffled per epoch */
    assert_int_equal(xl_corpus_open(&b, path, XL_CORPUS_MONO, 0, 5, NULL), 0);
    assert_int_equal(xl_corpus_set_blocks(&b, k, NULL), 0);
    assert_int_equal(xl_corpus_seek(&b, 1, 6, NULL), 0);
    for (size_t i = 18 + 6; i < 3 * 18; i++) {
        assert_int_equal(xl_corpus_next(&b, &r, NULL), 0);
        assert_int_equal(r.lineno, seq[i]);
    }
    xl_error err;
    assert_int_equal(xl_corpus_seek(&b, 0, 19, &err), -1); /* beyond the 18 lines an epoch visits */
    xl_corpus_close(&b);
    xl_corpus_close(&a);
    assert_int_equal(xl_corpus_open(&a, path, XL_CORPUS_MONO, 0, 5, NULL), 0);
    assert_int_equal(xl_corpus_set_blocks(&a, 21, &err), -1);
    char want[1200];
    snprintf(want, sizeof want, "%s: 20 lines, fewer than one block of 21 (--batch-order grouped)", path);
    assert_string_equal(err.msg, want);
    xl_corpus_close(&a);
    remove(path);
    free(path);
}

/* ------------------------------------------------------------- checkpoints */

static void test_checkpoint_roundtrip(void **state)
{
    (void)state;
    float p[5] = {1, -2, 3.5f, 1e-30f, -0.0f}, m[3] = {0.25f, 0.5f, 0.75f};
    xl_ckpt w;
    memset(&w, 0, sizeof w);
    w.config = "hidden=16\nlayers=2\n";
    for (int i = 0; i < XL_CKPT_N_COUNTERS; i++) w.counters[i] = 0x0102030405060708ull * (uint64_t)(i + 1);
    w.n_blocks = 2;
    w.blocks[0] = (xl_ckpt_block){"params", p, 5};
    w.blocks[1] = (xl_ckpt_block){"m", m, 3};
    const char *path0 = xl_test_tmp_path("ck.bin");
    char path[1100];
    snprintf(path, sizeof path, "%s", path0);
    assert_int_equal(xl_ckpt_write(path, &w, NULL), 0);
    float p2[5], m2[3];
    xl_ckpt r;
    memset(&r, 0, sizeof r);
    r.config = "layers=2\nhidden=16\n"; /* key order does not matter */
    r.n_blocks = 2;
    r.blocks[0] = (xl_ckpt_block){"params", p2, 5};
    r.blocks[1] = (xl_ckpt_block){"m", m2, 3};
    xl_error err;
    assert_int_equal(xl_ckpt_read(path, &r, &err), 0);
    assert_memory_equal(p, p2, sizeof p);
    assert_memory_equal(m, m2, sizeof m);
    assert_memory_equal(w.counters, r.counters, sizeof w.counters);
    /* another configuration: the differing key is named */
    r.config = "layers=2\nhidden=32\n";
    assert_int_equal(xl_ckpt_read(path, &r, &err), -1);
    assert_non_null(
        strstr(err.msg, "checkpoint of another configuration: hidden is '16' in the checkpoint, '32' here"));
    r.config = "layers=2\nhidden=16\nheads=4\n";
    assert_int_equal(xl_ckpt_read(path, &r, &err), -1);
    assert_non_null(strstr(err.msg, "heads is absent in the checkpoint, '4' here"));
    r.config = "layers=2\nhidden=16\n";
    r.blocks[1].count = 4;
    assert_int_equal(xl_ckpt_read(path, &r, &err), -1);
    assert_non_null(strstr(err.msg, "block 'm' holds 3 floats, expected 4"));
    r.blocks[1].count = 3;
    /* every truncation is refused; so is a flipped byte anywhere */
    char *data;
    size_t len;
    assert_int_equal(xl_read_file(path, 0, &data, &len, NULL), 0);
    for (size_t cut = 0; cut < len; cut += 7) {
        assert_int_equal(xl_write_file(path, data, cut, NULL), 0);
        assert_int_equal(xl_ckpt_read(path, &r, &err), -1);
    }
    assert_int_equal(xl_write_file(path, data, len - 3, NULL), 0);
    assert_int_equal(xl_ckpt_read(path, &r, &err), -1);
    assert_non_null(strstr(err.msg, "truncated"));
    for (size_t at = 0; at < len; at++) {
        data[at] ^= 0x10;
        assert_int_equal(xl_write_file(path, data, len, NULL), 0);
        assert_int_equal(xl_ckpt_read(path, &r, &err), -1);
        data[at] ^= 0x10;
    }
    data[len - 20] ^= 1; /* inside the float data: only the checksum can tell */
    assert_int_equal(xl_write_file(path, data, len, NULL), 0);
    assert_int_equal(xl_ckpt_read(path, &r, &err), -1);
    assert_non_null(strstr(err.msg, "checksum mismatch"));
    free(data);
    remove(path);
}

/* ------------------------------------------------------------- the command ($XLREC_BIN) */

static const char VOCAB[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\ndog\nle\nchat\nchien\na\nhouse\nmaison\n"
                            "red\nrouge\nblue\nbleu\nbig\ngrand\n";
static const char PAIRS[] = "en\tthe cat\tfr\tle chat\nen\tthe dog\tfr\tle chien\nen\ta house\tfr\ta maison\n"
                            "en\tred cat\tfr\tchat rouge\nen\tblue dog\tfr\tchien bleu\n"
                            "en\tbig house\tfr\tgrand maison\n"
                            "en\tthe red house\tfr\tle maison rouge\nen\ta blue cat\tfr\ta chat bleu\n";
#define TINY "--config layers=2,hidden=16,heads=2,ffn=32,max-position=32 --max-len 16 --batch 3 --lr 0.01"

/* Run `$XLREC_BIN args`; stdout and stderr both go to out (NUL-terminated).  Returns the exit status. */
static int run(const char *args, char *out, size_t cap)
{
    const char *bin = xl_test_bin_or_skip();
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s </dev/null 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = 0, got;
    char sink[4096];
    while ((got = fread(out && n < cap - 1 ? out + n : sink, 1, out && n < cap - 1 ? cap - 1 - n : sizeof sink, p)) > 0)
        if (out && n < cap - 1) n += got;
    if (out) out[n] = '\0';
    int st = pclose(p);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static bool same_bytes(const char *a, const char *b)
{
    char *da, *db;
    size_t la, lb;
    if (xl_read_file(a, 0, &da, &la, NULL) < 0) return false;
    if (xl_read_file(b, 0, &db, &lb, NULL) < 0) {
        free(da);
        return false;
    }
    bool same = la == lb && memcmp(da, db, la) == 0;
    free(da);
    free(db);
    return same;
}

/* A bad input: exit 1, the expected message, and the pre-existing output untouched. */
static void expect_bad(const char *args, const char *out_path, const char *want)
{
    char buf[8192];
    assert_int_equal(xl_write_file(out_path, "KEEP", 4, NULL), 0);
    int rc = run(args, buf, sizeof buf);
    if (rc != 1 || strstr(buf, want) == NULL) print_message("exit %d, output: %s(wanted: %s)\n", rc, buf, want);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(buf, want));
    char *d;
    size_t n;
    assert_int_equal(xl_read_file(out_path, 0, &d, &n, NULL), 0);
    assert_int_equal(n, 4); /* nothing overwritten */
    assert_memory_equal(d, "KEEP", 4);
    free(d);
}

static void test_cli_bad_input(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    char *vocab = tmp_copy("vocab.txt", VOCAB, sizeof VOCAB - 1);
    char *out = tmp_copy("out.xlm", "", 0);
    char args[4096];
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"en\tthe cat\tfr\tle chat\nen\tthe dog\tfr\n", ":2: 3 tab-separated columns, expected 4"},
        {"en\tthe cat\tfr\tle ch\xff\n", ":1: invalid UTF-8 (invalid lead byte) at byte 20"},
        {"en\tthe cat\tfr\tle chat\nen\t\tfr\tle chien\n", ":2: empty text in column 2 (side 1 of the pair)"},
        {"", ": empty file (no pairs)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *pairs = tmp_copy("pairs.tsv", cases[i].text, strlen(cases[i].text));
        snprintf(args, sizeof args, "train-encoder " TINY " --vocab %s --pairs %s --steps 2 -o %s", vocab, pairs, out);
        char want[256];
        snprintf(want, sizeof want, "xlrec: %s%s", pairs, cases[i].want);
        expect_bad(args, out, want);
        remove(pairs);
        free(pairs);
    }
    /* the output may not be an input */
    char *pairs = tmp_copy("pairs.tsv", PAIRS, sizeof PAIRS - 1);
    snprintf(args, sizeof args, "train-encoder " TINY " --vocab %s --pairs %s --steps 2 -o %s", vocab, pairs, pairs);
    char buf[4096];
    assert_int_equal(run(args, buf, sizeof buf), 2); /* the CLI's output policy: a usage error */
    assert_non_null(strstr(buf, "is the same file as the input"));
    assert_non_null(strstr(buf, "refusing to overwrite it"));
    assert_true(same_bytes(pairs, pairs)); /* still there */
    char *d;
    size_t n;
    assert_int_equal(xl_read_file(pairs, 0, &d, &n, NULL), 0);
    assert_int_equal(n, sizeof PAIRS - 1);
    free(d);
    /* --epochs 1 over 8 pairs with batch 3: ceil(8 / 3) = 3 steps; mlm on --mono */
    snprintf(args, sizeof args, "train-encoder " TINY " --vocab %s --pairs %s --epochs 1 -o %s", vocab, pairs, out);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "step 3/3  loss"));
    static const char MONO[] = "en\tthe red cat\nfr\tle chien bleu\nen\ta big house\n";
    char *mono = tmp_copy("mono.tsv", MONO, sizeof MONO - 1);
    snprintf(args, sizeof args, "train-encoder " TINY " --vocab %s --mono %s --objective mlm --steps 2 -o %s", vocab,
             mono, out);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "step 2/2  loss"));
    assert_non_null(strstr(buf, "  mlm "));
    static const char BAD_MONO[] = "en\tthe red cat\nfr le chien bleu\n";
    char *bad_mono = tmp_copy("badmono.tsv", BAD_MONO, sizeof BAD_MONO - 1);
    snprintf(args, sizeof args, "train-encoder " TINY " --vocab %s --mono %s --objective mlm --steps 2 -o %s", vocab,
             bad_mono, out);
    char want[1200];
    snprintf(want, sizeof want, "xlrec: %s:2: 1 tab-separated column, expected 2 (lang<TAB>text)", bad_mono);
    expect_bad(args, out, want);
    remove(mono);
    remove(bad_mono);
    free(mono);
    free(bad_mono);
    /* usage errors: exit 2 */
    snprintf(args, sizeof args, "train-encoder " TINY " --vocab %s --pairs %s --objective rank:1,foo -o %s", vocab,
             pairs, out);
    assert_int_equal(run(args, buf, sizeof buf), 2);
    assert_non_null(strstr(buf, "unknown objective 'foo'"));
    remove(pairs);
    free(pairs);
    remove(vocab);
    free(vocab);
    remove(out);
    free(out);
}

/* N steps == N/2 steps, stop, --resume for the rest: the model files are identical byte for byte
 * (--threads 1); --threads 2 gives the same bytes too.  A checkpoint of another configuration and
 * truncated / corrupted checkpoints are refused with exit 1 and nothing overwritten.  The trained
 * model runs with `xlrec embed`. */
static void test_cli_resume(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    char *vocab = tmp_copy("vocab.txt", VOCAB, sizeof VOCAB - 1);
    char *pairs = tmp_copy("pairs.tsv", PAIRS, sizeof PAIRS - 1);
    char full[1100], half[1100], resumed[1100], ckpt[1100], two[1100], args[8192], buf[8192];
    snprintf(full, sizeof full, "%s", xl_test_tmp_path("full.xlm"));
    snprintf(half, sizeof half, "%s", xl_test_tmp_path("half.xlm"));
    snprintf(resumed, sizeof resumed, "%s", xl_test_tmp_path("resumed.xlm"));
    snprintf(two, sizeof two, "%s", xl_test_tmp_path("two.xlm"));
    snprintf(ckpt, sizeof ckpt, "%s", xl_test_tmp_path("half.ckpt"));
    char common[4096];
    snprintf(common, sizeof common,
             "train-encoder " TINY " --vocab %s --pairs %s --objective rank:1,mlm:0.5,tlm:0.5 --steps 6 --warmup 2 "
             "--seed 3",
             vocab, pairs);
    snprintf(args, sizeof args, "%s --threads 1 -o %s", common, full);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "step 6/6  loss"));
    snprintf(args, sizeof args, "%s --threads 2 -o %s", common, two);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_true(same_bytes(full, two));
    snprintf(args, sizeof args, "%s --threads 1 --stop-after 3 --checkpoint %s -o %s", common, ckpt, half);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "step 3/6"));
    assert_non_null(strstr(buf, "[checkpoint]"));
    assert_false(same_bytes(full, half));
    snprintf(args, sizeof args, "%s --threads 1 --resume %s --checkpoint %s -o %s", common, ckpt, ckpt, resumed);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_null(strstr(buf, "step 3/6"));
    assert_non_null(strstr(buf, "step 6/6"));
    assert_true(same_bytes(full, resumed));

    /* --save-every writes checkpoints while training (here: after every step, the last one at
     * step 6); resuming the finished run writes the same model again */
    snprintf(args, sizeof args, "%s --threads 1 --save-every 0.000001 --checkpoint %s -o %s", common, ckpt, half);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "step 6/6"));
    assert_non_null(strstr(buf, "[checkpoint]"));
    remove(half);
    snprintf(args, sizeof args, "%s --threads 1 --resume %s --checkpoint %s -o %s", common, ckpt, ckpt, half);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_true(same_bytes(full, half));
    snprintf(args, sizeof args, "%s --threads 1 --stop-after 3 --checkpoint %s -o %s", common, ckpt, half);
    assert_int_equal(run(args, buf, sizeof buf), 0); /* back to the step-3 checkpoint for the tests below */

    /* the model runs with embed */
    char *text = tmp_copy("text.txt", "the cat\nle chat\n", 16);
    snprintf(args, sizeof args, "embed -m %s %s", full, text);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    size_t lines = 0;
    for (const char *c = buf; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 2);

    /* --init continues from a model file (its vocabulary and tokenizer travel with it) */
    snprintf(args, sizeof args, "train-encoder --init %s --pairs %s --objective mlm,rank --batch 3 --steps 2 "
             "--max-len 16 -o %s", full, pairs, two);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    snprintf(args, sizeof args, "embed -m %s %s", two, text);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_false(same_bytes(full, two));

    /* checkpoint of another configuration (batch 3 -> 4, hidden 16 -> 8): exit 1, output kept */
    snprintf(args, sizeof args, "%s --batch 4 --resume %s -o %s", common, ckpt, resumed);
    expect_bad(args, resumed, "checkpoint of another configuration: batch is '3' in the checkpoint, '4' here");
    snprintf(args, sizeof args,
             "train-encoder --config layers=2,hidden=8,heads=2,ffn=32,max-position=32 --max-len 16 --batch 3 --lr 0.01 "
             "--vocab %s --pairs %s --objective rank:1,mlm:0.5,tlm:0.5 --steps 6 --warmup 2 --seed 3 --resume %s -o %s",
             vocab, pairs, ckpt, resumed);
    expect_bad(args, resumed, "checkpoint of another configuration: hidden is '16' in the checkpoint, '8' here");
    /* truncated checkpoint */
    char *data;
    size_t len;
    assert_int_equal(xl_read_file(ckpt, 0, &data, &len, NULL), 0);
    char *cut = tmp_copy("cut.ckpt", data, len / 2);
    snprintf(args, sizeof args, "%s --resume %s --checkpoint %s -o %s", common, cut, cut, resumed);
    expect_bad(args, resumed, "truncated or extended checkpoint");
    /* the truncated checkpoint itself is not replaced either */
    char *d2;
    size_t l2;
    assert_int_equal(xl_read_file(cut, 0, &d2, &l2, NULL), 0);
    assert_int_equal(l2, len / 2);
    free(d2);
    /* a flipped bit in the parameters */
    data[len / 4] ^= 4; /* inside the parameters block */
    char *flip = tmp_copy("flip.ckpt", data, len);
    snprintf(args, sizeof args, "%s --resume %s -o %s", common, flip, resumed);
    expect_bad(args, resumed, "checksum mismatch: the checkpoint is corrupted");
    free(data);
    const char *rm[] = {full, half, resumed, ckpt, two, text, cut, flip, pairs, vocab};
    for (size_t i = 0; i < sizeof rm / sizeof *rm; i++) remove(rm[i]);
    char half_ckpt[1200];
    snprintf(half_ckpt, sizeof half_ckpt, "%s.ckpt", half);
    remove(half_ckpt);
    free(text);
    free(cut);
    free(flip);
    free(pairs);
    free(vocab);
}

/* --lazy-embeddings: a word row that no batch touches keeps its initial value exactly (its
 * moments and weight decay are skipped); dense AdamW shrinks it by the decoupled weight decay
 * prod_t (1 - lr_t wd) (its gradient, hence m, is 0, so only the decay moves it). */
static const float *word_row(xl_model *m, size_t row, size_t h)
{
    const xl_tensor *t = xl_model_tensor_find(m, "embeddings.word_embeddings.weight");
    assert_non_null(t);
    assert_int_equal(t->shape[1], h);
    return t->data + row * h;
}

static void test_cli_lazy_embeddings(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    static const char vocab_text[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\ndog\nle\nchat\nchien\na\nhouse\n"
                                     "maison\nred\nrouge\nblue\nbleu\nbig\ngrand\nunused\n";
    char *vocab = tmp_copy("vocab.txt", vocab_text, sizeof vocab_text - 1);
    char *pairs = tmp_copy("pairs.tsv", PAIRS, sizeof PAIRS - 1);
    char init[1100], lazy[1100], dense[1100], args[8192], buf[8192];
    snprintf(init, sizeof init, "%s", xl_test_tmp_path("init.xlm"));
    snprintf(lazy, sizeof lazy, "%s", xl_test_tmp_path("lazy.xlm"));
    snprintf(dense, sizeof dense, "%s", xl_test_tmp_path("dense.xlm"));
    const char *common = "train-encoder " TINY " --objective rank --steps 4 --weight-decay 0.1 --seed 9";
    snprintf(args, sizeof args, "%s --vocab %s --pairs %s --lr 0 -o %s", common, vocab, pairs, init);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    snprintf(args, sizeof args, "%s --vocab %s --pairs %s --lazy-embeddings -o %s", common, vocab, pairs, lazy);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    snprintf(args, sizeof args, "%s --vocab %s --pairs %s -o %s", common, vocab, pairs, dense);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    xl_model *mi, *ml, *md;
    assert_int_equal(xl_model_open(&mi, init, NULL), 0);
    assert_int_equal(xl_model_open(&ml, lazy, NULL), 0);
    assert_int_equal(xl_model_open(&md, dense, NULL), 0);
    const size_t unused = 20, cat = 6, H = 16;
    /* lr 0 leaves the seeded init; the untouched row: lazy == init exactly, dense == init * decay */
    assert_memory_equal(word_row(ml, unused, H), word_row(mi, unused, H), H * sizeof(float));
    double shrink = 1.0;
    for (int t = 1; t <= 4; t++) shrink *= 1.0 - (0.01 * (4.0 - t) / 4.0) * 0.1; /* linear decay, no warm-up */
    float want[16];
    for (size_t i = 0; i < H; i++) want[i] = (float)(word_row(mi, unused, H)[i] * shrink);
    assert_allclose(word_row(md, unused, H), want, H, 1e-9, 1e-6);
    /* a row the batches touch moves in both */
    assert_true(memcmp(word_row(ml, cat, H), word_row(mi, cat, H), H * sizeof(float)) != 0);
    xl_model_close(mi);
    xl_model_close(ml);
    xl_model_close(md);
    remove(init);
    remove(lazy);
    remove(dense);
    remove(pairs);
    remove(vocab);
    free(pairs);
    free(vocab);
}

/* --batch-order grouped: stopped at step 3 and resumed equals the uninterrupted 6 steps (and 2
 * threads equal 1), the model differs from the default order's, a checkpoint of the other order
 * is refused, and the lines after the last full block are never read: with --lazy-embeddings and
 * the ranking loss the word row of "unused", which only the last (8th) line of 8 has (blocks of 3:
 * lines 1-6), keeps its initial value exactly, while the default order reads that line. */
static void test_cli_grouped(void **state)
{
    (void)state;
    xl_test_bin_or_skip();
    static const char vocab_text[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\ndog\nle\nchat\nchien\na\nhouse\n"
                                     "maison\nred\nrouge\nblue\nbleu\nbig\ngrand\nunused\n";
    static const char pairs_text[] = "en\tthe cat\tfr\tle chat\nen\tthe dog\tfr\tle chien\nen\ta house\tfr\ta maison\n"
                                     "en\tred cat\tfr\tchat rouge\nen\tblue dog\tfr\tchien bleu\n"
                                     "en\tbig house\tfr\tgrand maison\nen\tthe red house\tfr\tle maison rouge\n"
                                     "en\tunused\tfr\tunused\n";
    char *vocab = tmp_copy("vocab.txt", vocab_text, sizeof vocab_text - 1);
    char *pairs = tmp_copy("pairs.tsv", pairs_text, sizeof pairs_text - 1);
    char full[1100], half[1100], resumed[1100], ckpt[1100], two[1100], shuf[1100], init[1100], args[8192], buf[8192];
    snprintf(full, sizeof full, "%s", xl_test_tmp_path("g_full.xlm"));
    snprintf(half, sizeof half, "%s", xl_test_tmp_path("g_half.xlm"));
    snprintf(resumed, sizeof resumed, "%s", xl_test_tmp_path("g_resumed.xlm"));
    snprintf(two, sizeof two, "%s", xl_test_tmp_path("g_two.xlm"));
    snprintf(shuf, sizeof shuf, "%s", xl_test_tmp_path("g_shuf.xlm"));
    snprintf(init, sizeof init, "%s", xl_test_tmp_path("g_init.xlm"));
    snprintf(ckpt, sizeof ckpt, "%s", xl_test_tmp_path("g_half.ckpt"));
    char common[4096];
    snprintf(common, sizeof common,
             "train-encoder " TINY " --vocab %s --pairs %s --objective rank:1,mlm:0.5,tlm:0.5 --steps 6 --warmup 2 "
             "--seed 3 --lazy-embeddings",
             vocab, pairs);
    snprintf(args, sizeof args, "%s --batch-order grouped --threads 1 -o %s", common, full);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    snprintf(args, sizeof args, "%s --batch-order grouped --threads 2 -o %s", common, two);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_true(same_bytes(full, two));
    snprintf(args, sizeof args, "%s --batch-order grouped --stop-after 3 --checkpoint %s -o %s", common, ckpt, half);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "[checkpoint]"));
    snprintf(args, sizeof args, "%s --batch-order grouped --resume %s --checkpoint %s -o %s", common, ckpt, ckpt,
             resumed);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_true(same_bytes(full, resumed));
    /* the default order: another model; a grouped checkpoint is refused by it */
    snprintf(args, sizeof args, "%s -o %s", common, shuf);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    assert_false(same_bytes(full, shuf));
    snprintf(args, sizeof args, "%s --stop-after 3 --checkpoint %s -o %s", common, ckpt, half);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    snprintf(args, sizeof args, "%s --batch-order grouped --resume %s -o %s", common, ckpt, resumed);
    assert_int_equal(run(args, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "checkpoint of another configuration: batch_order is"));
    /* the tail line (8 = 2 x 3 + 2) is never read in grouped order (the ranking loss alone: the MLM
     * head's tied decoder and its random replacement tokens reach every word row) */
    snprintf(common, sizeof common,
             "train-encoder " TINY " --vocab %s --pairs %s --objective rank --steps 6 --seed 3 --lazy-embeddings",
             vocab, pairs);
    snprintf(args, sizeof args, "%s --lr 0 -o %s", common, init);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    snprintf(args, sizeof args, "%s --batch-order grouped -o %s", common, full);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    snprintf(args, sizeof args, "%s -o %s", common, shuf);
    assert_int_equal(run(args, buf, sizeof buf), 0);
    xl_model *mi, *mg, *ms;
    assert_int_equal(xl_model_open(&mi, init, NULL), 0);
    assert_int_equal(xl_model_open(&mg, full, NULL), 0);
    assert_int_equal(xl_model_open(&ms, shuf, NULL), 0);
    const size_t unused = 20, cat = 6, H = 16;
    assert_memory_equal(word_row(mg, unused, H), word_row(mi, unused, H), H * sizeof(float));
    assert_true(memcmp(word_row(ms, unused, H), word_row(mi, unused, H), H * sizeof(float)) != 0);
    assert_true(memcmp(word_row(mg, cat, H), word_row(mi, cat, H), H * sizeof(float)) != 0);
    xl_model_close(mi);
    xl_model_close(mg);
    xl_model_close(ms);
    /* usage: grouped needs --pairs; a file shorter than one block fails with the file named */
    snprintf(args, sizeof args, "train-encoder " TINY " --vocab %s --mono %s --objective mlm --batch-order grouped "
             "-o %s", vocab, pairs, two);
    assert_int_equal(run(args, buf, sizeof buf), 2);
    assert_non_null(strstr(buf, "--batch-order grouped needs --pairs FILE"));
    snprintf(args, sizeof args, "%s --batch 9 --batch-order grouped -o %s", common, two);
    assert_int_equal(run(args, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "8 lines, fewer than one block of 9 (--batch-order grouped)"));
    const char *rm[] = {full, half, resumed, ckpt, two, shuf, init, pairs, vocab};
    for (size_t i = 0; i < sizeof rm / sizeof *rm; i++) remove(rm[i]);
    free(pairs);
    free(vocab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_hand),     cmocka_unit_test(test_rank_fd),
        cmocka_unit_test(test_rank_zero_batch), cmocka_unit_test(test_rank_gemm_path),
        cmocka_unit_test(test_mlm_mask),
        cmocka_unit_test(test_mlm_head_hand), cmocka_unit_test(test_mlm_head_fd),
        cmocka_unit_test(test_adamw_hand),    cmocka_unit_test(test_adamw_pool_bit_identical),    cmocka_unit_test(test_schedule_clip),
        cmocka_unit_test(test_adamw_vs_torch), cmocka_unit_test(test_rank_vs_torch),
        cmocka_unit_test(test_whole_model_vs_torch),
        cmocka_unit_test(test_corpus_validation), cmocka_unit_test(test_corpus_order),
        cmocka_unit_test(test_corpus_blocks),
        cmocka_unit_test(test_checkpoint_roundtrip), cmocka_unit_test(test_cli_bad_input),
        cmocka_unit_test(test_cli_resume), cmocka_unit_test(test_cli_lazy_embeddings),
        cmocka_unit_test(test_cli_grouped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
