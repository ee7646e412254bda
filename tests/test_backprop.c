/* test_backprop.c - the backward pass of the encoder (nn/xl_backprop.h, nn/bert_train.h):
 *   - every op's backward against centred finite differences of a double-precision forward of the
 *     same op (small shapes, masks / padding), one test per op, printing max abs / rel error;
 *   - the whole training forward/backward: dropout 0 forward == xl_bert_forward bit for bit,
 *     finite differences of the float model on sampled parameters, thread-count invariance,
 *     repeatable dropout, sparse word rows, save -> load round trip;
 *   - against PyTorch autograd (tests/fixtures/train_tiny, made by tests/tools/make_train_fixture.py):
 *     loss and every parameter gradient for the LaBSE ranking loss and for MLM (skipped when the
 *     fixture is absent).
 * The loss of each op check is L = sum_i w_i y_i with fixed random w, so dL/dy = w. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"
#include "xl_test_train.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bert_train.h"
#include "xl_backprop.h"
#include "xl_kernels.h"
#include "xl_npy.h"
#include "xl_rng.h"

/* ---- helpers ---------------------------------------------------------------------------------- */

static unsigned long long lcg = 0x2545F4914F6CDD1Dull;
static double urand(void) /* [-1, 1) */
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 40) / (double)(1ull << 24) * 2.0 - 1.0;
}
static float *rvec(size_t n, double scale)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) v[i] = (float)(scale * urand());
    return v;
}
static float *zvec(size_t n)
{
    float *v = calloc(n ? n : 1, sizeof *v);
    assert_non_null(v);
    return v;
}

static xl_kernels kern(int threads)
{
    xl_kernels k;
    xl_error err;
    if (xl_kernels_init(&k, XL_SIMD_AUTO, threads, &err) != 0) fail_msg("kernels: %s", err.msg);
    return k;
}

/* A double-precision forward: L(x) for the op with all other inputs fixed. */
typedef double (*loss_fn)(const double *x, void *ctx);

/* Compare the analytic gradient g (float, n) of L at x with centred differences
 * (L(x + h e_i) - L(x - h e_i)) / 2h in double; |g - fd| <= atol + rtol |fd| everywhere. */
static void check_grad(const char *what, loss_fn L, void *ctx, const float *x, size_t n, const float *g, double atol,
                       double rtol)
{
    double *xd = malloc(n * sizeof *xd);
    assert_non_null(xd);
    for (size_t i = 0; i < n; i++) xd[i] = x[i];
    double max_abs = 0.0, max_rel = 0.0;
    size_t worst = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const double h = 1e-5 * (fabs(xd[i]) > 1.0 ? fabs(xd[i]) : 1.0), x0 = xd[i];
        xd[i] = x0 + h;
        double lp = L(xd, ctx);
        xd[i] = x0 - h;
        double lm = L(xd, ctx);
        xd[i] = x0;
        double fd = (lp - lm) / (2.0 * h), d = fabs((double)g[i] - fd);
        double rel = d / (fabs(fd) > 1e-6 ? fabs(fd) : 1e-6);
        if (d > max_abs) max_abs = d, worst = i;
        if (rel > max_rel && fabs(fd) > 1e-6) max_rel = rel;
        if (!(d <= atol + rtol * fabs(fd)) && !bad) {
            bad = 1;
            print_error("%s: d/dx[%zu] analytic %.9g, finite difference %.9g\n", what, i, (double)g[i], fd);
        }
    }
    print_message("[ INFO     ] %-28s n=%-4zu max abs err %.2e (at %zu), max rel err %.2e\n", what, n, max_abs, worst,
                  max_rel);
    free(xd);
    if (bad) fail_msg("%s: gradient differs from finite differences", what);
}

#define ATOL 2e-6
#define RTOL 1e-4

/* ---- linear ------------------------------------------------------------------------------------- */

typedef struct {
    size_t M, in, out, which; /* which: 0 = x, 1 = W, 2 = b */
    const float *x, *W, *b, *w;
} lin_ctx;

static double lin_loss(const double *v, void *p)
{
    const lin_ctx *c = p;
    double L = 0.0;
    for (size_t m = 0; m < c->M; m++)
        for (size_t o = 0; o < c->out; o++) {
            double y = c->which == 2 ? v[o] : c->b[o];
            for (size_t i = 0; i < c->in; i++) {
                double xv = c->which == 0 ? v[m * c->in + i] : c->x[m * c->in + i];
                double wv = c->which == 1 ? v[o * c->in + i] : c->W[o * c->in + i];
                y += xv * wv;
            }
            L += c->w[m * c->out + o] * y;
        }
    return L;
}

static void test_linear_backward(void **state)
{
    (void)state;
    const size_t M = 7, in = 5, out = 6;
    xl_kernels k = kern(2);
    float *x = rvec(M * in, 1), *W = rvec(out * in, 1), *b = rvec(out, 1), *w = rvec(M * out, 1);
    float *dx = zvec(M * in), *dW = zvec(out * in), *db = zvec(out);
    xl_linear_backward(&k, 1, M, in, out, x, W, NULL, w, dx, 0.0f, dW, db);
    lin_ctx c = {M, in, out, 0, x, W, b, w};
    check_grad("linear dX", lin_loss, &c, x, M * in, dx, ATOL, RTOL);
    c.which = 1;
    check_grad("linear dW", lin_loss, &c, W, out * in, dW, ATOL, RTOL);
    c.which = 2;
    check_grad("linear db", lin_loss, &c, b, out, db, ATOL, RTOL);
    /* accumulation: a second call adds the same again */
    float *dW2 = malloc(out * in * sizeof *dW2);
    assert_non_null(dW2);
    memcpy(dW2, dW, out * in * sizeof *dW2);
    /* with W pre-packed for dX: dX accumulates (beta 1) to twice the first call's */
    float *dx2 = malloc(M * in * sizeof *dx2);
    assert_non_null(dx2);
    memcpy(dx2, dx, M * in * sizeof *dx2);
    xl_packed_matrix Wp;
    xl_error err;
    assert_int_equal(xl_pack_b(&k, XL_NO_TRANS, out, in, W, in, &Wp, &err), 0);
    xl_linear_backward(&k, 2, M, in, out, x, W, &Wp, w, dx2, 1.0f, dW2, db);
    for (size_t i = 0; i < out * in; i++) assert_true(fabsf(dW2[i] - 2.0f * dW[i]) <= 1e-5f * (1.0f + fabsf(dW[i])));
    for (size_t i = 0; i < M * in; i++) assert_true(fabsf(dx2[i] - 2.0f * dx[i]) <= 1e-5f * (1.0f + fabsf(dx[i])));
    xl_packed_free(&Wp);
    free(dx2);
    free(x), free(W), free(b), free(w), free(dx), free(dW), free(db), free(dW2);
    xl_kernels_free(&k);
}

/* ---- LayerNorm ----------------------------------------------------------------------------------- */

typedef struct {
    size_t rows, n, which; /* 0 x, 1 gamma, 2 beta */
    const float *x, *g, *b, *w;
    double eps;
} ln_ctx;

static double ln_loss(const double *v, void *p)
{
    const ln_ctx *c = p;
    double L = 0.0;
    for (size_t r = 0; r < c->rows; r++) {
        double mu = 0.0, var = 0.0;
        for (size_t i = 0; i < c->n; i++) mu += c->which == 0 ? v[r * c->n + i] : c->x[r * c->n + i];
        mu /= (double)c->n;
        for (size_t i = 0; i < c->n; i++) {
            double d = (c->which == 0 ? v[r * c->n + i] : c->x[r * c->n + i]) - mu;
            var += d * d;
        }
        var /= (double)c->n;
        for (size_t i = 0; i < c->n; i++) {
            double xv = c->which == 0 ? v[r * c->n + i] : c->x[r * c->n + i];
            double g = c->which == 1 ? v[i] : c->g[i], b = c->which == 2 ? v[i] : c->b[i];
            L += c->w[r * c->n + i] * ((xv - mu) / sqrt(var + c->eps) * g + b);
        }
    }
    return L;
}

static void test_layernorm_backward(void **state)
{
    (void)state;
    const size_t rows = 4, n = 9;
    xl_kernels k = kern(2);
    float *x = rvec(rows * n, 2), *g = rvec(n, 1), *b = rvec(n, 1), *w = rvec(rows * n, 1);
    float *dx = zvec(rows * n), *dg = zvec(n), *db = zvec(n), *stats = zvec(2 * rows);
    xl_layernorm_backward(&k, 1, x, g, 1e-5f, rows, n, w, dx, dg, db, stats);
    ln_ctx c = {rows, n, 0, x, g, b, w, 1e-5};
    check_grad("layernorm dx", ln_loss, &c, x, rows * n, dx, ATOL, RTOL);
    c.which = 1;
    check_grad("layernorm dgamma", ln_loss, &c, g, n, dg, ATOL, RTOL);
    c.which = 2;
    check_grad("layernorm dbeta", ln_loss, &c, b, n, db, ATOL, RTOL);
    /* in place (dx aliasing dy) gives the same dx */
    float *dy = malloc(rows * n * sizeof *dy);
    assert_non_null(dy);
    memcpy(dy, w, rows * n * sizeof *dy);
    xl_layernorm_backward(&k, 2, x, g, 1e-5f, rows, n, dy, dy, dg, db, stats);
    assert_memory_equal(dy, dx, rows * n * sizeof *dy);
    free(x), free(g), free(b), free(w), free(dx), free(dg), free(db), free(stats), free(dy);
    xl_kernels_free(&k);
}

/* The column reductions of the backward (db += sum_rows dY; LayerNorm's dgamma / dbeta) split their
 * columns over the threads above 65,536 elements, each block summing its rows in local accumulators.
 * 290 x 230 (just above the threshold; 230 = 3 x 64 + 38 columns: a partial block): every column is
 * its rows summed in order, as a plain serial loop gives, bit for bit, at 1 and 2 threads. */
static void test_column_reductions_threads(void **state)
{
    (void)state;
    const size_t rows = 290, cols = 230;
    xl_kernels k = kern(2);
    float *dY = rvec(rows * cols, 1), *db0 = rvec(cols, 1), *ref = malloc(cols * sizeof *ref);
    float *db1 = malloc(cols * sizeof *db1), *db2 = malloc(cols * sizeof *db2);
    assert_true(ref && db1 && db2);
    memcpy(ref, db0, cols * sizeof *ref);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) ref[c] += dY[r * cols + c];
    memcpy(db1, db0, cols * sizeof *db1), memcpy(db2, db0, cols * sizeof *db2);
    xl_bias_backward_threads(&k, 1, dY, rows, cols, db1);
    xl_bias_backward_threads(&k, 2, dY, rows, cols, db2);
    assert_memory_equal(db1, ref, cols * sizeof *ref);
    assert_memory_equal(db2, ref, cols * sizeof *ref);
    /* LayerNorm over the same shape: dgamma, dbeta (accumulated onto non-zero values) and dx */
    float *x = rvec(rows * cols, 2), *g = rvec(cols, 1), *dg1 = rvec(cols, 1), *dg2 = malloc(cols * sizeof *dg2);
    float *dx1 = zvec(rows * cols), *dx2 = zvec(rows * cols), *st = zvec(2 * rows);
    assert_non_null(dg2);
    memcpy(dg2, dg1, cols * sizeof *dg2), memcpy(db1, db0, cols * sizeof *db1), memcpy(db2, db0, cols * sizeof *db2);
    xl_layernorm_backward(&k, 1, x, g, 1e-5f, rows, cols, dY, dx1, dg1, db1, st);
    xl_layernorm_backward(&k, 2, x, g, 1e-5f, rows, cols, dY, dx2, dg2, db2, st);
    assert_memory_equal(dg1, dg2, cols * sizeof *dg1);
    assert_memory_equal(db1, ref, cols * sizeof *ref); /* dbeta += sum_rows dy: the same sums as db above */
    assert_memory_equal(db2, ref, cols * sizeof *ref);
    assert_memory_equal(dx1, dx2, rows * cols * sizeof *dx1);
    free(dY), free(db0), free(ref), free(db1), free(db2), free(x), free(g), free(dg1), free(dg2), free(dx1), free(dx2);
    free(st);
    xl_kernels_free(&k);
}

/* ---- GELU and tanh -------------------------------------------------------------------------------- */

typedef struct {
    size_t n;
    const float *w;
    int tanh_act;
} act_ctx;

static double act_loss(const double *v, void *p)
{
    const act_ctx *c = p;
    double L = 0.0;
    for (size_t i = 0; i < c->n; i++)
        L += c->w[i] * (c->tanh_act ? tanh(v[i]) : 0.5 * v[i] * (1.0 + erf(v[i] / sqrt(2.0))));
    return L;
}

static void test_gelu_backward(void **state)
{
    (void)state;
    const size_t n = 43; /* not a multiple of any vector width: the tail goes through the same code */
    float *x = rvec(n, 4), *w = rvec(n, 1), *dx = zvec(n), *y = zvec(n);
    x[0] = 0.0f, x[1] = 4e-4f, x[2] = -7e-4f, x[3] = -9.0f; /* the series branch, and a far tail */
    x[41] = 2e-4f, x[42] = -11.0f;                         /* the same in the tail */
    /* every available path: the scalar reference (libm expf) and the SIMD ones (vector exp) */
    for (int path = XL_SIMD_SCALAR; path < XL_SIMD_PATH_COUNT; path++) {
        if (!xl_simd_path_available((xl_simd_path)path)) continue;
        xl_kernels k;
        xl_error err;
        if (xl_kernels_init(&k, (xl_simd_path)path, 1, &err) != 0) fail_msg("kernels: %s", err.msg);
        memcpy(y, x, n * sizeof *y);
        xl_gelu(&k, y, n); /* the forward's output, as the training forward keeps it */
        xl_gelu_backward(&k, 1, x, y, w, dx, n);
        act_ctx c = {n, w, 0};
        char label[64];
        snprintf(label, sizeof label, "gelu (erf) dx [%s]", xl_simd_path_name((xl_simd_path)path));
        check_grad(label, act_loss, &c, x, n, dx, ATOL, RTOL);
        xl_kernels_free(&k);
    }
    free(x), free(w), free(dx), free(y);
}

static void test_tanh_backward(void **state)
{
    (void)state;
    const size_t n = 30;
    float *x = rvec(n, 3), *w = rvec(n, 1), *dx = zvec(n), *y = zvec(n);
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
    xl_tanh_backward(y, w, dx, n);
    act_ctx c = {n, w, 1};
    check_grad("tanh dx", act_loss, &c, x, n, dx, ATOL, RTOL);
    free(x), free(w), free(dx), free(y);
}

/* ---- softmax with a mask ---------------------------------------------------------------------- */

typedef struct {
    size_t rows, cols;
    const float *mask, *w; /* mask: one additive row (0 / -inf) */
} sm_ctx;

static double sm_loss(const double *v, void *p)
{
    const sm_ctx *c = p;
    double L = 0.0;
    for (size_t r = 0; r < c->rows; r++) {
        double mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < c->cols; j++)
            if (c->mask[j] == 0.0f && v[r * c->cols + j] > mx) mx = v[r * c->cols + j];
        for (size_t j = 0; j < c->cols; j++) s += c->mask[j] == 0.0f ? exp(v[r * c->cols + j] - mx) : 0.0;
        for (size_t j = 0; j < c->cols; j++)
            if (c->mask[j] == 0.0f) L += c->w[r * c->cols + j] * exp(v[r * c->cols + j] - mx) / s;
    }
    return L;
}

static void test_softmax_backward(void **state)
{
    (void)state;
    const size_t rows = 3, cols = 7;
    xl_kernels k = kern(1);
    float mask[7] = {0, 0, -INFINITY, 0, 0, 0, -INFINITY}; /* two padded keys */
    float *s = rvec(rows * cols, 3), *w = rvec(rows * cols, 1), *P = zvec(rows * cols), *d = zvec(rows * cols);
    memcpy(P, s, rows * cols * sizeof *P);
    xl_softmax_rows(&k, 1, P, rows, cols, cols, 1.0f, mask);
    memcpy(d, w, rows * cols * sizeof *d);
    xl_softmax_backward_rows(P, d, rows, cols, cols);
    sm_ctx c = {rows, cols, mask, w};
    check_grad("softmax (masked) dS", sm_loss, &c, s, rows * cols, d, ATOL, RTOL);
    for (size_t r = 0; r < rows; r++) assert_true(d[r * cols + 2] == 0.0f && d[r * cols + 6] == 0.0f);
    free(s), free(w), free(P), free(d);
    xl_kernels_free(&k);
}

/* ---- dropout ------------------------------------------------------------------------------------- */

typedef struct {
    size_t n;
    const uint8_t *m;
    const float *w;
    double p;
} do_ctx;

static double do_loss(const double *v, void *p)
{
    const do_ctx *c = p;
    double L = 0.0;
    for (size_t i = 0; i < c->n; i++) L += c->w[i] * (c->m[i] ? v[i] / (1.0 - c->p) : 0.0);
    return L;
}

static void test_dropout_backward(void **state)
{
    (void)state;
    const size_t n = 200;
    const float p = 0.25f;
    float *x = rvec(n, 1), *y = zvec(n), *y2 = zvec(n), *w = rvec(n, 1), *dx = zvec(n);
    uint8_t *m = malloc(n), *m2 = malloc(n);
    assert_true(m && m2);
    xl_rng r;
    xl_rng_seed(&r, 7, 0);
    xl_dropout_forward(&r, p, x, y, m, n);
    xl_rng_seed(&r, 7, 0);
    xl_dropout_forward(&r, p, x, y2, m2, n);
    assert_memory_equal(m, m2, n); /* same seed, same mask */
    /* the mask is "keep when xl_rng_float >= p", one draw per element in order (the integer
     * threshold of xl_dropout_forward must give exactly these bits), also for p whose 2^24 multiple
     * is not an integer and after a partial block of draws (n > 256, not a multiple) */
    {
        const float ps[3] = {p, 0.1f, 0.7f};
        const size_t nb = 700;
        float *xb = rvec(nb, 2), *yb = zvec(nb);
        uint8_t *mb = malloc(nb);
        assert_non_null(mb);
        for (int t = 0; t < 3; t++) {
            xl_rng_seed(&r, 11, 3);
            xl_dropout_forward(&r, ps[t], xb, yb, mb, nb);
            xl_dropout_forward(&r, ps[t], xb, yb, mb, 5); /* the generator continues after nb draws */
            xl_rng ref;
            xl_rng_seed(&ref, 11, 3);
            for (size_t i = 0; i < nb; i++) (void)(xl_rng_float(&ref) >= ps[t]);
            for (size_t i = 0; i < 5; i++) assert_int_equal(mb[i], xl_rng_float(&ref) >= ps[t]);
            xl_rng_seed(&ref, 11, 3);
            xl_rng_seed(&r, 11, 3);
            xl_dropout_forward(&r, ps[t], xb, yb, mb, nb);
            for (size_t i = 0; i < nb; i++) assert_int_equal(mb[i], xl_rng_float(&ref) >= ps[t]);
        }
        free(xb), free(yb), free(mb);
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        kept += m[i];
        assert_true(y[i] == (m[i] ? x[i] / (1.0f - p) : 0.0f) || fabsf(y[i] - x[i] / (1.0f - p)) < 1e-6f);
    }
    assert_in_range(kept, 120, 180); /* Binomial(200, 0.75): mean 150, sd 6.1 */
    xl_dropout_backward(p, m, w, dx, n);
    do_ctx c = {n, m, w, p};
    check_grad("dropout dx", do_loss, &c, x, n, dx, ATOL, RTOL);
    free(x), free(y), free(y2), free(w), free(dx), free(m), free(m2);
}

/* ---- attention ------------------------------------------------------------------------------------ */

typedef struct {
    size_t n, nh, dh;
    double scale, p;
    const float *mask; /* additive [n] */
    const uint8_t *m;  /* dropout mask [nh n n] */
    const float *w;    /* [n, nh*dh] */
} att_ctx;

/* ctx = dropout(softmax(scale Q K^T + mask)) V per head, in double; v = qkv [n, 3H] */
static double att_forward(const double *v, const att_ctx *c, double *P, double *ctx)
{
    const size_t n = c->n, H = c->nh * c->dh, ld = 3 * H;
    double L = 0.0;
    for (size_t h = 0; h < c->nh; h++)
        for (size_t i = 0; i < n; i++) {
            double *pr = P + (h * n + i) * n, mx = -INFINITY, s = 0.0;
            for (size_t j = 0; j < n; j++) {
                double sc = 0.0;
                for (size_t d = 0; d < c->dh; d++) sc += v[i * ld + h * c->dh + d] * v[j * ld + H + h * c->dh + d];
                pr[j] = c->mask[j] == 0.0f ? c->scale * sc : -INFINITY;
                if (pr[j] > mx) mx = pr[j];
            }
            for (size_t j = 0; j < n; j++) s += (pr[j] = pr[j] == -INFINITY ? 0.0 : exp(pr[j] - mx));
            for (size_t j = 0; j < n; j++) pr[j] /= s;
            for (size_t d = 0; d < c->dh; d++) {
                double acc = 0.0;
                for (size_t j = 0; j < n; j++) {
                    double pd = c->m ? (c->m[(h * n + i) * n + j] ? pr[j] / (1.0 - c->p) : 0.0) : pr[j];
                    acc += pd * v[j * ld + 2 * H + h * c->dh + d];
                }
                if (ctx) ctx[i * H + h * c->dh + d] = acc;
                L += c->w[i * H + h * c->dh + d] * acc;
            }
        }
    return L;
}

static double att_loss(const double *v, void *p)
{
    const att_ctx *c = p;
    double *P = malloc(c->nh * c->n * c->n * sizeof *P);
    assert_non_null(P);
    double L = att_forward(v, c, P, NULL);
    free(P);
    return L;
}

static void run_attention_case(int with_dropout)
{
    const size_t n = 6, nh = 2, dh = 3, H = nh * dh, A = nh * n * n;
    xl_kernels k = kern(2);
    float mask[6] = {0, 0, 0, -FLT_MAX, 0, 0}; /* key 3 padded (interior zero of attention_mask) */
    float *qkv = rvec(n * 3 * H, 1), *w = rvec(n * H, 1), *P = zvec(A), *Pd = zvec(A), *dqkv = zvec(n * 3 * H),
          *scratch = zvec(A);
    uint8_t *m = malloc(A);
    assert_non_null(m);
    xl_rng r;
    xl_rng_seed(&r, 3, 0);
    const float p = 0.2f;
    for (size_t i = 0; i < A; i++) m[i] = with_dropout ? xl_rng_float(&r) >= p : 1;
    att_ctx c = {n, nh, dh, 1.0 / sqrt((double)dh), p, mask, with_dropout ? m : NULL, w};
    /* P (and Pd) from the double forward, rounded to float as the float forward would keep them */
    double *xd = malloc(n * 3 * H * sizeof *xd), *Pdbl = malloc(A * sizeof *Pdbl);
    assert_true(xd && Pdbl);
    for (size_t i = 0; i < n * 3 * H; i++) xd[i] = qkv[i];
    (void)att_forward(xd, &c, Pdbl, NULL);
    for (size_t i = 0; i < A; i++) {
        P[i] = (float)Pdbl[i];
        Pd[i] = with_dropout ? (m[i] ? P[i] / (1.0f - p) : 0.0f) : P[i];
    }
    xl_attention_backward(&k, 2, n, nh, dh, (float)c.scale, qkv, qkv + H, qkv + 2 * H, 3 * H, P, Pd,
                          with_dropout ? m : NULL, p, w, H, dqkv, dqkv + H, dqkv + 2 * H, scratch);
    check_grad(with_dropout ? "attention+dropout dQ dK dV" : "attention (masked) dQ dK dV", att_loss, &c, qkv, n * 3 * H,
               dqkv, ATOL, RTOL);
    /* the padded key gets no gradient through K (its probability is exactly 0) */
    for (size_t d = 0; d < H; d++) assert_true(dqkv[3 * 3 * H + H + d] == 0.0f);
    free(qkv), free(w), free(P), free(Pd), free(dqkv), free(scratch), free(m), free(xd), free(Pdbl);
    xl_kernels_free(&k);
}

static void test_attention_backward(void **state)
{
    (void)state;
    run_attention_case(0);
    run_attention_case(1);
}

/* ---- pooling -------------------------------------------------------------------------------------- */

typedef struct {
    size_t len, H;
    const uint8_t *mask;
    const float *w;
    int cls;
} pool_ctx;

static double pool_loss(const double *v, void *p)
{
    const pool_ctx *c = p;
    double L = 0.0;
    size_t count = 0;
    for (size_t q = 0; q < c->len; q++) count += !c->mask || c->mask[q];
    for (size_t j = 0; j < c->H; j++) {
        double y = 0.0;
        if (c->cls) y = v[j];
        else {
            for (size_t q = 0; q < c->len; q++)
                if (!c->mask || c->mask[q]) y += v[q * c->H + j];
            y /= (double)count;
        }
        L += c->w[j] * y;
    }
    return L;
}

static void test_pool_backward(void **state)
{
    (void)state;
    const size_t len = 5, H = 4;
    uint8_t mask[5] = {1, 1, 0, 1, 0};
    float *h = rvec(len * H, 1), *w = rvec(H, 1), *dh = zvec(len * H);
    xl_mean_pool_backward(w, len, H, mask, dh);
    pool_ctx c = {len, H, mask, w, 0};
    check_grad("mean pooling (masked) dh", pool_loss, &c, h, len * H, dh, ATOL, RTOL);
    memset(dh, 0, len * H * sizeof *dh);
    xl_cls_pool_backward(w, H, dh);
    c.cls = 1;
    check_grad("cls pooling dh", pool_loss, &c, h, len * H, dh, ATOL, RTOL);
    free(h), free(w), free(dh);
}

/* ---- L2 normalisation ----------------------------------------------------------------------------- */

typedef struct {
    size_t rows, n;
    const float *w;
} l2_ctx;

static double l2_loss(const double *v, void *p)
{
    const l2_ctx *c = p;
    double L = 0.0;
    for (size_t r = 0; r < c->rows; r++) {
        double s = 0.0;
        for (size_t j = 0; j < c->n; j++) s += v[r * c->n + j] * v[r * c->n + j];
        s = sqrt(s);
        if (s < 1e-12) s = 1e-12;
        for (size_t j = 0; j < c->n; j++) L += c->w[r * c->n + j] * v[r * c->n + j] / s;
    }
    return L;
}

static void test_l2_normalize_backward(void **state)
{
    (void)state;
    const size_t rows = 3, n = 5;
    float *x = rvec(rows * n, 1), *w = rvec(rows * n, 1), *y = zvec(rows * n), *nrm = zvec(rows), *dx = zvec(rows * n);
    for (size_t r = 0; r < rows; r++) {
        double s = 0.0;
        for (size_t j = 0; j < n; j++) s += (double)x[r * n + j] * x[r * n + j];
        nrm[r] = (float)sqrt(s);
        for (size_t j = 0; j < n; j++) y[r * n + j] = (float)(x[r * n + j] / sqrt(s));
    }
    xl_l2_normalize_backward(y, nrm, w, dx, rows, n);
    l2_ctx c = {rows, n, w};
    check_grad("l2 normalise dx", l2_loss, &c, x, rows * n, dx, ATOL, RTOL);
    free(x), free(w), free(y), free(nrm), free(dx);
}

/* ---- the whole model ------------------------------------------------------------------------------ */

static xl_bert_config tiny_config(void)
{
    xl_bert_config c;
    memset(&c, 0, sizeof c);
    c.arch = XL_ARCH_BERT;
    c.vocab_size = 13;
    c.hidden = 8;
    c.n_layers = 2;
    c.n_heads = 2;
    c.intermediate = 12;
    c.max_position = 9;
    c.type_vocab_size = 2;
    c.layer_norm_eps = 1e-12f;
    c.pooling = XL_POOL_MEAN;
    c.normalize = true;
    c.max_seq_len = 9;
    c.n_dense = 1;
    c.dense_in[0] = 8;
    c.dense_out[0] = 6;
    c.dense_act[0] = XL_ACT_TANH;
    return c;
}

/* three sequences (lengths 5, 3, 7) with token types and one interior attention-mask zero */
static const int32_t ids0[] = {1, 5, 7, 2, 9}, ids1[] = {1, 3, 2}, ids2[] = {1, 4, 4, 11, 6, 12, 2};
static const int32_t tt0[] = {0, 0, 0, 1, 1}, tt2[] = {0, 0, 1, 1, 1, 1, 1};
static const uint8_t m2[] = {1, 1, 1, 1, 0, 1, 1};
static const int32_t *const ids_all[] = {ids0, ids1, ids2};
static const int32_t *const tts_all[] = {tt0, NULL, tt2};
static const uint8_t *const masks_all[] = {NULL, NULL, m2};
static const size_t lens_all[] = {5, 3, 7};

static xl_bert_input tiny_input(void)
{
    xl_bert_input in = {3, ids_all, tts_all, masks_all, lens_all};
    return in;
}

/* L = sum w_s . sent + sum wh . hidden (both paths of the backward at once) */
static double model_loss(xl_bert_train_ctx *c, const xl_bert_params *p, const xl_bert_input *in, const float *ws,
                         const float *wh)
{
    xl_error err;
    const float *hid = xl_bert_train_forward(c, p, in, (xl_bert_dropout){0, 0}, NULL, &err);
    if (hid == NULL) fail_msg("forward: %s", err.msg);
    const float *sent = xl_bert_train_pool(c, p, XL_POOL_MEAN, true, &err);
    if (sent == NULL) fail_msg("pool: %s", err.msg);
    double L = 0.0;
    for (size_t i = 0; i < c->a.n_seq * c->a.D; i++) L += (double)ws[i] * sent[i];
    for (size_t i = 0; i < c->a.T * p->cfg.hidden; i++) L += (double)wh[i] * hid[i];
    return L;
}

static void test_model_matches_inference_forward(void **state)
{
    (void)state;
    xl_kernels k = kern(2);
    xl_bert_config cfg = tiny_config();
    xl_bert_params p;
    xl_error err;
    assert_int_equal(xl_bert_params_init_random(&p, &cfg, NULL, 42, &k, &err), 0);
    assert_int_equal(xl_bert_params_count(&cfg, &err), p.count);
    /* every tensor's name is the model file's, offsets 64-byte aligned except inside the fused QKV blocks */
    assert_int_equal(xl_bert_params_find(&p, "encoder.layer.1.attention.self.value.weight") >= 0, 1);
    assert_int_equal(xl_bert_params_find(&p, "nonsense"), -1);
    xl_bert_input in = tiny_input();
    xl_bert_train_ctx c;
    xl_bert_train_ctx_init(&c, &k, 2);
    const float *h = xl_bert_train_forward(&c, &p, &in, (xl_bert_dropout){0, 0}, NULL, &err);
    assert_non_null(h);
    xl_bert_acts a;
    xl_bert_acts_init(&a, false);
    assert_int_equal(xl_bert_forward(&p.view, &k, 1, &in, &a, &err), 0);
    assert_memory_equal(h, xl_bert_last_hidden(&p.view, &a), c.a.T * cfg.hidden * sizeof(float));
    /* and the pooled, Dense, normalised sentence embeddings equal xl_bert_pool's */
    const float *s = xl_bert_train_pool(&c, &p, XL_POOL_MEAN, true, &err);
    assert_non_null(s);
    float ref[3 * 6];
    assert_int_equal(xl_bert_pool(&p.view, &k, 1, &in, &a, XL_POOL_MEAN, true, ref, &err), 0);
    assert_allclose(s, ref, 3 * 6, 1e-6, 1e-6);
    xl_bert_acts_free(&a);
    xl_bert_train_ctx_free(&c);
    xl_bert_params_free(&p);
    xl_kernels_free(&k);
}

static void test_model_finite_differences(void **state)
{
    (void)state;
    xl_kernels k = kern(1);
    xl_bert_config cfg = tiny_config();
    xl_bert_params p;
    xl_bert_grads g;
    xl_error err;
    assert_int_equal(xl_bert_params_init_random(&p, &cfg, NULL, 5, &k, &err), 0);
    /* larger weights than BERT's 0.02 so every path carries a visible gradient */
    for (size_t t = 0; t < p.n_tensors; t++)
        for (size_t i = 0; i < p.info[t].count; i++) p.data[p.info[t].offset + i] += (float)(0.3 * urand());
    xl_bert_params_refresh(&p, &k);
    assert_int_equal(xl_bert_grads_init(&g, &p, &err), 0);
    xl_bert_input in = tiny_input();
    xl_bert_train_ctx c;
    xl_bert_train_ctx_init(&c, &k, 1);
    float *ws = rvec(3 * 6, 1), *wh = rvec(15 * 8, 0.3);
    (void)model_loss(&c, &p, &in, ws, wh);
    assert_int_equal(xl_bert_train_backward(&c, &p, &g, ws, wh, &err), 0);
    /* sampled parameters of every tensor: float forward differences with h = 1e-2 (float rounding
     * of the loss ~1e-7 / h, curvature ~h^2) */
    double max_abs = 0.0;
    size_t n_checked = 0;
    for (size_t t = 0; t < p.n_tensors; t++) {
        const xl_bert_param_info *ti = &p.info[t];
        for (size_t s = 0; s < 3; s++) {
            size_t i = ti->offset + (size_t)((urand() + 1.0) * 0.5 * (double)ti->count) % ti->count;
            if (strstr(ti->name, "word_embeddings")) i = ti->offset + (s == 0 ? 4 * 8 + 3 : s == 1 ? 2 * 8 : 0);
            const float x0 = p.data[i], hstep = 1e-2f;
            p.data[i] = x0 + hstep;
            xl_bert_params_refresh(&p, &k);
            double lp = model_loss(&c, &p, &in, ws, wh);
            p.data[i] = x0 - hstep;
            xl_bert_params_refresh(&p, &k);
            double lm = model_loss(&c, &p, &in, ws, wh);
            p.data[i] = x0;
            double fd = (lp - lm) / (2.0 * (double)hstep), d = fabs(fd - (double)g.data[i]);
            if (d > max_abs) max_abs = d;
            n_checked++;
            if (!(d <= 2e-3 + 2e-2 * fabs(fd)))
                fail_msg("%s[%zu]: analytic %.7g, finite difference %.7g", ti->name, i - ti->offset, (double)g.data[i], fd);
        }
    }
    xl_bert_params_refresh(&p, &k);
    print_message("[ INFO     ] whole model (float, h=1e-2): %zu parameters, max abs err %.2e\n", n_checked, max_abs);
    /* word rows: exactly the ids of the batch are touched, and only they have gradient */
    int used[13] = {0};
    for (size_t s = 0; s < 3; s++)
        for (size_t q = 0; q < lens_all[s]; q++) used[ids_all[s][q]] = 1;
    size_t n_used = 0;
    for (size_t v = 0; v < 13; v++) {
        n_used += (size_t)used[v];
        assert_int_equal(g.word_touched[v] != 0, used[v]);
        if (!used[v])
            for (size_t j = 0; j < 8; j++) assert_true(g.data[p.off.word_emb + v * 8 + j] == 0.0f);
    }
    assert_int_equal(g.n_word_rows, n_used);
    xl_bert_grads_zero(&g, &p);
    for (size_t i = 0; i < g.count; i++) assert_true(g.data[i] == 0.0f);
    assert_int_equal(g.n_word_rows, 0);
    free(ws), free(wh);
    xl_bert_train_ctx_free(&c);
    xl_bert_grads_free(&g);
    xl_bert_params_free(&p);
    xl_kernels_free(&k);
}

/* grads with dropout, for one thread count */
/* grads with dropout, for one thread count.  many == 0: tiny_input; many == 1: 24 sequences of 20-43
 * tokens (~5 MFLOP of attention backward per layer, above the threshold where the sequences are split
 * over the threads: that path is compared with one thread too). */
static float *grads_with_dropout(int threads, uint64_t seed, int many, size_t min_split)
{
    xl_kernels k = kern(2);
    xl_bert_config cfg = tiny_config();
    cfg.hidden = 32, cfg.dense_in[0] = 32, cfg.intermediate = 64, cfg.n_heads = 4;
    if (many) cfg.max_position = cfg.max_seq_len = 48;
    xl_bert_params p;
    xl_bert_grads g;
    xl_error err;
    assert_int_equal(xl_bert_params_init_random(&p, &cfg, NULL, 9, &k, &err), 0);
    assert_int_equal(xl_bert_grads_init(&g, &p, &err), 0);
    xl_bert_input in = tiny_input();
    enum { NS = 24 };
    int32_t ids[NS][43];
    const int32_t *idp[NS];
    size_t lens[NS];
    if (many) {
        xl_rng ri;
        xl_rng_seed(&ri, 5, 0);
        for (size_t s = 0; s < NS; s++) {
            lens[s] = 20 + xl_rng_below(&ri, 24);
            for (size_t q = 0; q < lens[s]; q++) ids[s][q] = (int32_t)xl_rng_below(&ri, (uint32_t)cfg.vocab_size);
            idp[s] = ids[s];
        }
        in = (xl_bert_input){NS, idp, NULL, NULL, lens};
    }
    xl_bert_train_ctx c;
    xl_bert_train_ctx_init(&c, &k, threads);
    if (min_split) c.min_split = min_split;
    xl_rng r;
    xl_rng_seed(&r, seed, 0);
    assert_non_null(xl_bert_train_forward(&c, &p, &in, (xl_bert_dropout){0.1f, 0.1f}, &r, &err));
    assert_non_null(xl_bert_train_pool(&c, &p, XL_POOL_MEAN, true, &err));
    float ds[NS * 6] = {0};
    for (size_t i = 0; i < in.n_seq * 6; i++) ds[i] = (float)(i % 18) / 18.0f - 0.4f;
    assert_int_equal(xl_bert_train_backward(&c, &p, &g, ds, NULL, &err), 0);
    float *out = malloc(g.count * sizeof *out);
    assert_non_null(out);
    memcpy(out, g.data, g.count * sizeof *out);
    xl_bert_train_ctx_free(&c);
    xl_bert_grads_free(&g);
    xl_bert_params_free(&p);
    xl_kernels_free(&k);
    return out;
}

/* xl_dropout_forward_threads draws exactly xl_dropout_forward's masks and outputs, and leaves the
 * generator where the serial draw does, whatever the thread count and chunking (n of a few
 * chunks, odd sizes; the split forced with min_split 1). */
static void test_dropout_threads_same_masks(void **state)
{
    (void)state;
    xl_kernels k = kern(2);
    static const size_t sizes[] = {1, 7, 1000, 3 * 16384 + 77};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t n = sizes[si];
        float *x = malloc(n * sizeof *x), *y1 = malloc(n * sizeof *y1), *y2 = malloc(n * sizeof *y2);
        uint8_t *m1 = malloc(n), *m2 = malloc(n);
        assert_true(x && y1 && y2 && m1 && m2);
        for (size_t i = 0; i < n; i++) x[i] = (float)(i % 13) - 6.0f;
        for (int threads = 1; threads <= 2; threads++) {
            xl_rng r1, r2;
            xl_rng_seed(&r1, 31, 2);
            xl_rng_seed(&r2, 31, 2);
            xl_dropout_forward(&r1, 0.25f, x, y1, m1, n);
            xl_dropout_forward_threads(&k, threads, 1, &r2, 0.25f, x, y2, m2, n);
            assert_memory_equal(m1, m2, n);
            assert_memory_equal(y1, y2, n * sizeof *y1);
            assert_true(r1.state == r2.state && r1.inc == r2.inc);
        }
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) kept += m1[i];
        if (n > 1000) assert_true(kept > n * 7 / 10 && kept < n * 8 / 10); /* ~75% kept */
        free(x), free(y1), free(y2), free(m1), free(m2);
    }
    xl_kernels_free(&k);
}

static void test_model_threads_and_dropout_repeatable(void **state)
{
    (void)state;
    xl_error err;
    xl_bert_config cfg = tiny_config();
    cfg.hidden = 32, cfg.dense_in[0] = 32, cfg.intermediate = 64, cfg.n_heads = 4;
    for (int many = 0; many < 2; many++) {
        if (many) cfg.max_position = cfg.max_seq_len = 48;
        size_t n = xl_bert_params_count(&cfg, &err);
        float *a = grads_with_dropout(1, 77, many, 0), *b = grads_with_dropout(1, 77, many, 0),
              *c = grads_with_dropout(2, 77, many, 0), *d = grads_with_dropout(1, 78, many, 0);
        /* every split forced (min_split 1): dropout draws in chunks of an advanced generator, the
         * embedding gather and column-split scatter-add, pooling and its backward on 2 threads */
        float *e = grads_with_dropout(2, 77, many, 1);
        assert_memory_equal(a, b, n * sizeof *a);      /* repeatable at 1 thread */
        assert_memory_equal(a, c, n * sizeof *a);      /* and independent of the thread count */
        assert_memory_equal(a, e, n * sizeof *a);      /* and of the split of the serial-before steps */
        assert_true(memcmp(a, d, n * sizeof *a) != 0); /* another seed, other dropout masks */
        free(a), free(b), free(c), free(d), free(e);
    }
}

static void test_params_save_and_init_model(void **state)
{
    (void)state;
    xl_kernels k = kern(1);
    xl_bert_config cfg = tiny_config();
    xl_bert_params p, q;
    xl_error err;
    assert_int_equal(xl_bert_params_init_random(&p, &cfg, NULL, 11, &k, &err), 0);
    /* truncated normal: every weight within 2 sigma, LayerNorm gamma 1, biases 0 */
    for (size_t t = 0; t < p.n_tensors; t++) {
        const xl_bert_param_info *ti = &p.info[t];
        for (size_t i = 0; i < ti->count; i++) {
            float v = p.data[ti->offset + i];
            if (ti->rank == 2) assert_true(fabsf(v) <= 0.04f);
            else if (strstr(ti->name, "LayerNorm.weight")) assert_true(v == 1.0f);
            else assert_true(v == 0.0f);
        }
    }
    const char *path = xl_test_tmp_path("params.xlm");
    assert_int_equal(xl_bert_params_save(&p, NULL, path, &err), 0);
    xl_model *m;
    if (xl_model_open(&m, path, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(xl_bert_params_init_model(&q, m, &k, &err), 0);
    xl_model_close(m);
    assert_int_equal(q.count, p.count);
    assert_memory_equal(q.data, p.data, p.count * sizeof(float));
    remove(path);
    xl_bert_params_free(&p);
    xl_bert_params_free(&q);
    /* a bad config is refused, naming the field */
    cfg.hidden = 9, cfg.dense_in[0] = 9;
    assert_int_equal(xl_bert_params_init_random(&p, &cfg, NULL, 1, &k, &err), -1);
    assert_non_null(strstr(err.msg, "multiple of heads"));
    xl_kernels_free(&k);
}

/* ---- against PyTorch autograd (tests/fixtures/train_tiny) ---------------------------------------- */

#define FIX_DIR XL_TRAIN_FIXTURE_DIR

/* the config of tests/tools/make_train_fixture.py */
static xl_bert_config fixture_config(void)
{
    xl_bert_config c = tiny_config();
    c.vocab_size = 50, c.hidden = 24, c.n_layers = 2, c.n_heads = 3, c.intermediate = 40, c.max_position = 16;
    c.max_seq_len = 16, c.dense_in[0] = 24, c.dense_out[0] = 16;
    return c;
}

static int load_npy(const char *name, xl_npy_array *a)
{
    char path[256];
    snprintf(path, sizeof path, FIX_DIR "/%s", name);
    xl_error err;
    if (xl_npy_read(path, a, &err) != 0) fail_msg("%s", err.msg);
    return 0;
}

/* Fixture present?  Else skip (the fixtures are committed; absent only in a trimmed tree). */
static int fixture_or_skip(void)
{
    FILE *f = fopen(FIX_DIR "/tensors.txt", "r");
    if (f == NULL) {
        print_message("[  SKIP    ] " FIX_DIR " not found (python3 tests/tools/make_train_fixture.py makes it)\n");
        return 0;
    }
    fclose(f);
    return 1;
}

/* Packed per-sequence ids from a padded [B, T] float array. */
typedef struct {
    size_t B, Tmax;
    int32_t *ids, *types;
    const int32_t **idp, **typ;
    size_t *len;
    xl_bert_input in;
} fix_batch;

static void fix_batch_load(fix_batch *b, const char *prefix)
{
    char nm[64];
    xl_npy_array ids, types, len;
    snprintf(nm, sizeof nm, "%s_ids.npy", prefix), load_npy(nm, &ids);
    snprintf(nm, sizeof nm, "%s_types.npy", prefix), load_npy(nm, &types);
    snprintf(nm, sizeof nm, "%s_len.npy", prefix), load_npy(nm, &len);
    b->B = ids.shape[0], b->Tmax = ids.shape[1];
    b->ids = malloc(ids.count * sizeof *b->ids), b->types = malloc(ids.count * sizeof *b->types);
    b->idp = malloc(b->B * sizeof *b->idp), b->typ = malloc(b->B * sizeof *b->typ), b->len = malloc(b->B * sizeof *b->len);
    assert_true(b->ids && b->types && b->idp && b->typ && b->len);
    for (size_t i = 0; i < ids.count; i++) b->ids[i] = (int32_t)ids.data[i], b->types[i] = (int32_t)types.data[i];
    for (size_t s = 0; s < b->B; s++) {
        b->idp[s] = b->ids + s * b->Tmax, b->typ[s] = b->types + s * b->Tmax, b->len[s] = (size_t)len.data[s];
    }
    b->in = (xl_bert_input){b->B, b->idp, b->typ, NULL, b->len};
    xl_npy_free(&ids), xl_npy_free(&types), xl_npy_free(&len);
}

static void fix_batch_free(fix_batch *b)
{
    free(b->ids), free(b->types), free(b->idp), free(b->typ), free(b->len);
}

/* Compare every tensor's gradient: |got - want| <= 1e-6 + 1e-4 |want|; print per-tensor errors. */
static void compare_grads(const char *what, const xl_bert_params *p, const float *got, const float *want)
{
    double worst_abs = 0.0, worst_rel = 0.0, worst_ratio = 0.0, max_ref = 0.0;
    for (size_t t = 0; t < p->n_tensors; t++) {
        const xl_bert_param_info *ti = &p->info[t];
        double ma = 0.0, mr = 0.0;
        for (size_t i = 0; i < ti->count; i++) {
            double g = got[ti->offset + i], w = want[ti->offset + i], d = fabs(g - w);
            if (d > ma) ma = d;
            if (fabs(w) > 1e-6 && d / fabs(w) > mr) mr = d / fabs(w);
            if (d / (1e-6 + 1e-4 * fabs(w)) > worst_ratio) worst_ratio = d / (1e-6 + 1e-4 * fabs(w));
            if (fabs(w) > max_ref) max_ref = fabs(w);
            if (!(d <= 1e-6 + 1e-4 * fabs(w)))
                fail_msg("%s: %s[%zu] = %.9g, PyTorch %.9g", what, ti->name, i, g, w);
        }
        if (ma > worst_abs) worst_abs = ma;
        if (mr > worst_rel) worst_rel = mr;
        if (t < 5 || strstr(ti->name, "layer.1.") == NULL)
            print_message("[ INFO     ]   %-50s max abs %.2e  max rel %.2e\n", ti->name, ma, mr);
    }
    print_message("[ INFO     ] %s: all %zu tensors, max |ref| %.2e, max abs err %.2e, max rel err (|ref| > 1e-6) "
                  "%.2e, max err / (1e-6 + 1e-4 |ref|) = %.3f\n", what, p->n_tensors, max_ref, worst_abs, worst_rel,
                  worst_ratio);
}

static void setup_fixture_params(xl_kernels *k, xl_bert_params *p, xl_bert_grads *g, float **want_layout)
{
    xl_bert_config cfg = fixture_config();
    xl_error err;
    assert_int_equal(xl_bert_params_init_random(p, &cfg, NULL, 1, k, &err), 0);
    xl_npy_array params;
    load_npy("params.npy", &params);
    xl_test_fixture_to_layout(p, params.data, p->data);
    xl_npy_free(&params);
    xl_bert_params_refresh(p, k);
    assert_int_equal(xl_bert_grads_init(g, p, &err), 0);
    *want_layout = zvec(p->count);
}

/* LaBSE ranking loss (in double, here in the test): sources 0..N-1, targets N..2N-1 of e [2N, D]. */
static double rank_loss_ref(const float *e, size_t N, size_t D, double m, double s, float *de)
{
    double *Z = malloc(N * N * sizeof *Z), *Pr = malloc(N * N * sizeof *Pr), *Qc = malloc(N * N * sizeof *Qc);
    assert_true(Z && Pr && Qc);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double dot = 0.0;
            for (size_t d = 0; d < D; d++) dot += (double)e[i * D + d] * e[(N + j) * D + d];
            Z[i * N + j] = s * (dot - (i == j ? m : 0.0));
        }
    double L = 0.0;
    for (size_t i = 0; i < N; i++) { /* rows: source -> target; columns: target -> source */
        double mr = -INFINITY, mc = -INFINITY, sr = 0.0, sc = 0.0;
        for (size_t j = 0; j < N; j++) mr = fmax(mr, Z[i * N + j]), mc = fmax(mc, Z[j * N + i]);
        for (size_t j = 0; j < N; j++) sr += exp(Z[i * N + j] - mr), sc += exp(Z[j * N + i] - mc);
        L += (mr + log(sr) - Z[i * N + i]) + (mc + log(sc) - Z[i * N + i]);
        for (size_t j = 0; j < N; j++) Pr[i * N + j] = exp(Z[i * N + j] - mr) / sr, Qc[j * N + i] = exp(Z[j * N + i] - mc) / sc;
    }
    L /= 2.0 * (double)N;
    /* G = dL/dS = s / (2N) (P + Q - 2I); d src_i = sum_j G_ij tgt_j; d tgt_j = sum_i G_ij src_i */
    memset(de, 0, 2 * N * D * sizeof *de);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double G = s / (2.0 * (double)N) * (Pr[i * N + j] + Qc[i * N + j] - (i == j ? 2.0 : 0.0));
            for (size_t d = 0; d < D; d++) {
                de[i * D + d] += (float)(G * e[(N + j) * D + d]);
                de[(N + j) * D + d] += (float)(G * e[i * D + d]);
            }
        }
    free(Z), free(Pr), free(Qc);
    return L;
}

static void test_pytorch_ranking_loss(void **state)
{
    (void)state;
    if (!fixture_or_skip()) skip();
    for (int threads = 1; threads <= 2; threads++) {
        xl_kernels k = kern(2);
        xl_bert_params p;
        xl_bert_grads g;
        float *want;
        setup_fixture_params(&k, &p, &g, &want);
        fix_batch b;
        fix_batch_load(&b, "rank");
        xl_bert_train_ctx c;
        xl_bert_train_ctx_init(&c, &k, threads);
        xl_error err;
        assert_non_null(xl_bert_train_forward(&c, &p, &b.in, (xl_bert_dropout){0, 0}, NULL, &err));
        const float *e = xl_bert_train_pool(&c, &p, XL_POOL_MEAN, true, &err);
        assert_non_null(e);
        xl_npy_array emb, loss, grads;
        load_npy("rank_emb.npy", &emb), load_npy("rank_loss.npy", &loss), load_npy("rank_grads.npy", &grads);
        assert_allclose(e, emb.data, emb.count, 1e-6, 1e-5);
        const size_t N = b.B / 2, D = 16;
        float *de = zvec(2 * N * D);
        double L = rank_loss_ref(e, N, D, 0.3, 20.0, de);
        print_message("[ INFO     ] ranking loss %.9g, PyTorch %.9g (rel err %.2e)\n", L, (double)loss.data[0],
                      fabs(L - loss.data[0]) / fabs(loss.data[0]));
        assert_true(fabs(L - loss.data[0]) <= 1e-4 * fabs(loss.data[0]));
        assert_int_equal(xl_bert_train_backward(&c, &p, &g, de, NULL, &err), 0);
        xl_test_fixture_to_layout(&p, grads.data, want);
        compare_grads(threads == 1 ? "ranking loss vs PyTorch (1 thread)" : "ranking loss vs PyTorch (2 threads)", &p,
                      g.data, want);
        xl_npy_free(&emb), xl_npy_free(&loss), xl_npy_free(&grads);
        free(de), free(want);
        fix_batch_free(&b);
        xl_bert_train_ctx_free(&c);
        xl_bert_grads_free(&g);
        xl_bert_params_free(&p);
        xl_kernels_free(&k);
    }
}

static void test_pytorch_mlm_loss(void **state)
{
    (void)state;
    if (!fixture_or_skip()) skip();
    xl_kernels k = kern(2);
    xl_bert_params p;
    xl_bert_grads g;
    float *want;
    setup_fixture_params(&k, &p, &g, &want);
    fix_batch b;
    fix_batch_load(&b, "mlm");
    xl_npy_array labels, bias, loss, grads, bias_grad;
    load_npy("mlm_labels.npy", &labels), load_npy("mlm_bias.npy", &bias), load_npy("mlm_loss.npy", &loss);
    load_npy("mlm_grads.npy", &grads), load_npy("mlm_bias_grad.npy", &bias_grad);
    xl_bert_train_ctx c;
    xl_bert_train_ctx_init(&c, &k, 2);
    xl_error err;
    const float *h = xl_bert_train_forward(&c, &p, &b.in, (xl_bert_dropout){0, 0}, NULL, &err);
    assert_non_null(h);
    const size_t V = 50, H = 24;
    const float *W = p.data + p.off.word_emb;
    /* plain tied decoder: logits = h W^T + b at the selected positions; loss = mean CE */
    size_t M = 0;
    for (size_t s = 0; s < b.B; s++)
        for (size_t q = 0; q < b.len[s]; q++) M += labels.data[s * b.Tmax + q] >= 0.0f;
    float *dh = zvec(c.a.T * H), *db = zvec(V);
    float *dW = zvec(V * H);
    double L = 0.0;
    for (size_t s = 0; s < b.B; s++)
        for (size_t q = 0; q < b.len[s]; q++) {
            int lab = (int)labels.data[s * b.Tmax + q];
            if (lab < 0) continue;
            const float *hr = h + (c.a.off[s] + q) * H;
            double lg[50], mx = -INFINITY, sum = 0.0;
            for (size_t v = 0; v < V; v++) {
                double z = bias.data[v];
                for (size_t j = 0; j < H; j++) z += (double)hr[j] * W[v * H + j];
                lg[v] = z, mx = fmax(mx, z);
            }
            for (size_t v = 0; v < V; v++) sum += exp(lg[v] - mx);
            L += mx + log(sum) - lg[lab];
            float *dr = dh + (c.a.off[s] + q) * H;
            for (size_t v = 0; v < V; v++) {
                double dl = (exp(lg[v] - mx) / sum - (v == (size_t)lab ? 1.0 : 0.0)) / (double)M;
                db[v] += (float)dl;
                for (size_t j = 0; j < H; j++) {
                    dr[j] += (float)(dl * W[v * H + j]);
                    dW[v * H + j] += (float)(dl * hr[j]);
                }
            }
        }
    L /= (double)M;
    print_message("[ INFO     ] MLM loss %.9g over %zu positions, PyTorch %.9g (rel err %.2e)\n", L, M,
                  (double)loss.data[0], fabs(L - loss.data[0]) / fabs(loss.data[0]));
    assert_true(fabs(L - loss.data[0]) <= 1e-4 * fabs(loss.data[0]));
    assert_allclose(db, bias_grad.data, V, 1e-6, 1e-4);
    /* the decoder's part of the word-embedding gradient, then the encoder's */
    memcpy(g.data + p.off.word_emb, dW, V * H * sizeof(float));
    xl_bert_grads_touch_all_words(&g);
    assert_int_equal(xl_bert_train_backward(&c, &p, &g, NULL, dh, &err), 0);
    xl_test_fixture_to_layout(&p, grads.data, want);
    compare_grads("MLM (tied decoder) vs PyTorch", &p, g.data, want);
    xl_npy_free(&labels), xl_npy_free(&bias), xl_npy_free(&loss), xl_npy_free(&grads), xl_npy_free(&bias_grad);
    free(dh), free(db), free(dW), free(want);
    fix_batch_free(&b);
    xl_bert_train_ctx_free(&c);
    xl_bert_grads_free(&g);
    xl_bert_params_free(&p);
    xl_kernels_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_backward),
        cmocka_unit_test(test_layernorm_backward),
        cmocka_unit_test(test_column_reductions_threads),
        cmocka_unit_test(test_gelu_backward),
        cmocka_unit_test(test_tanh_backward),
        cmocka_unit_test(test_softmax_backward),
        cmocka_unit_test(test_dropout_backward),
        cmocka_unit_test(test_attention_backward),
        cmocka_unit_test(test_pool_backward),
        cmocka_unit_test(test_l2_normalize_backward),
        cmocka_unit_test(test_model_matches_inference_forward),
        cmocka_unit_test(test_model_finite_differences),
        cmocka_unit_test(test_dropout_threads_same_masks),
        cmocka_unit_test(test_model_threads_and_dropout_repeatable),
        cmocka_unit_test(test_params_save_and_init_model),
        cmocka_unit_test(test_pytorch_ranking_loss),
        cmocka_unit_test(test_pytorch_mlm_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
