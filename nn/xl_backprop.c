/* xl_backprop.c - backward of each encoder op (see xl_backprop.h; docs/training.md).  Each function
 * reads what its forward kept (input, output, mask) and writes / accumulates the gradients.
 * References: Ba et al. 2016 (LayerNorm), Hendrycks & Gimpel 2016 (GELU), Vaswani et al. 2017
 * (attention), Srivastava et al. 2014 (dropout); llm.c (Karpathy 2024) for the layout of a
 * hand-written backward pass. */
#include "xl_backprop.h"

#include <math.h>
#include <string.h>

#include "xl_kernels_impl.h"
#include "xl_thread.h"

/* ---- threading helper: split [0, n_items) when there is enough work (~64k elements) ---------- */

static int threads_for(const xl_kernels *k, int n_threads, double work)
{
    int nt = n_threads < 1 ? 1 : n_threads;
    if (nt > k->max_threads) nt = k->max_threads;
    if (work < 65536.0) nt = 1;
    return nt;
}

static void run(xl_kernels *k, int nt, size_t n_items, xl_range_fn fn, void *ctx)
{
    if (nt <= 1 || n_items <= 1) fn(ctx, 0, n_items, 0);
    else xl_pool_run(k->pool, nt, n_items, fn, ctx);
}

/* ---- linear --------------------------------------------------------------------------------- */

void xl_bias_backward(const float *dY, size_t rows, size_t cols, size_t ld, float *db)
{
    for (size_t r = 0; r < rows; r++) {
        const float *row = dY + r * ld;
        for (size_t c = 0; c < cols; c++) db[c] += row[c];
    }
}

#define BIAS_COLS 64

typedef struct {
    const float *dY;
    size_t rows, cols;
    float *db;
} bias_job;

#define BIAS_CHUNK_BLOCKS 16 /* 1,024 columns of accumulators (4 KiB, in L1) */

/* 64-column blocks [b, e): the blocks' columns, up to 1,024 at a time, sum the rows in order into a
 * local accumulator row that is added to db once.  Each row is read front to back (contiguous);
 * the fixed 64-float inner loop is vectorised.  Storing into db after every row (the previous
 * loop) made each row a load-add-store through memory, and a column block at a time over all rows
 * (tried first) read the rows in strided 256-byte pieces.  The sums are the same as one thread's:
 * db[c] + dY[0, c] + dY[1, c] + ... in row order. */
static void bias_cols(void *ctx, size_t b, size_t e, int tid)
{
    const bias_job *j = ctx;
    (void)tid;
    float acc[BIAS_CHUNK_BLOCKS * BIAS_COLS];
    for (size_t k0 = b; k0 < e; k0 += BIAS_CHUNK_BLOCKS) {
        const size_t k1 = e - k0 < BIAS_CHUNK_BLOCKS ? e : k0 + BIAS_CHUNK_BLOCKS;
        const size_t c0 = k0 * BIAS_COLS, c1 = k1 * BIAS_COLS < j->cols ? k1 * BIAS_COLS : j->cols;
        const size_t w = c1 - c0, full = w / BIAS_COLS * BIAS_COLS;
        memcpy(acc, j->db + c0, w * sizeof *acc);
        for (size_t r = 0; r < j->rows; r++) {
            const float *row = j->dY + r * j->cols + c0;
            for (size_t q = 0; q < full; q += BIAS_COLS) {
                float *a = acc + q;
                const float *x = row + q;
                for (size_t c = 0; c < BIAS_COLS; c++) a[c] += x[c];
            }
            for (size_t c = full; c < w; c++) acc[c] += row[c];
        }
        memcpy(j->db + c0, acc, w * sizeof *acc);
    }
}

void xl_linear_backward(xl_kernels *k, int n_threads, size_t M, size_t in, size_t out, const float *X, const float *W,
                        const xl_packed_matrix *Wp, const float *dY, float *dX, float beta_dx, float *dW, float *db)
{
    /* dX [M, in] = dY [M, out] . W [out, in]  (op(B) = W, not transposed) */
    if (dX != NULL && Wp != NULL) xl_sgemm_packed(k, n_threads, M, 1.0f, dY, out, Wp, beta_dx, dX, in, NULL, XL_ACT_NONE);
    else if (dX != NULL) xl_sgemm(k, n_threads, XL_NO_TRANS, M, in, out, 1.0f, dY, out, W, in, beta_dx, dX, in);
    /* dW [out, in] += dY^T [out, M] . X [M, in]  (transposed A) */
    xl_sgemm_ex(k, n_threads, XL_TRANS, XL_NO_TRANS, out, in, M, 1.0f, dY, out, X, in, 1.0f, dW, in);
    if (db != NULL) xl_bias_backward_threads(k, n_threads, dY, M, out, db);
}

void xl_bias_backward_threads(xl_kernels *k, int n_threads, const float *dY, size_t rows, size_t cols, float *db)
{
    /* db in blocks of 64 columns on the pool: every column still sums its rows in order */
    bias_job j = {dY, rows, cols, db};
    run(k, threads_for(k, n_threads, (double)rows * (double)cols), (cols + BIAS_COLS - 1) / BIAS_COLS, bias_cols, &j);
}

/* ---- LayerNorm ------------------------------------------------------------------------------ */

typedef struct {
    const float *x, *gamma, *dy;
    float *dx, *dgamma, *dbeta, *stats;
    float eps;
    size_t rows, n;
} ln_job;

/* rows [b, e): mu and rstd as the forward computes them (two passes: float mean from a double sum,
 * double sum of squares) */
static void ln_stats(void *ctx, size_t b, size_t e, int tid)
{
    const ln_job *j = ctx;
    (void)tid;
    const size_t n = j->n;
    for (size_t r = b; r < e; r++) {
        const float *x = j->x + r * n;
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) sum += x[i];
        const float mu = (float)(sum / (double)n);
        double ss = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = (double)(x[i] - mu);
            ss += d * d;
        }
        j->stats[2 * r] = mu;
        j->stats[2 * r + 1] = (float)(1.0 / sqrt(ss / (double)n + (double)j->eps));
    }
}

/* rows [b, e): dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma */
static void ln_rows(void *ctx, size_t b, size_t e, int tid)
{
    const ln_job *j = ctx;
    (void)tid;
    const size_t n = j->n;
    for (size_t r = b; r < e; r++) {
        const float *x = j->x + r * n, *dy = j->dy + r * n;
        float *dx = j->dx + r * n;
        const float mu = j->stats[2 * r], rstd = j->stats[2 * r + 1];
        double sg = 0.0, sgx = 0.0;
        for (size_t i = 0; i < n; i++) {
            double g = (double)dy[i] * (double)j->gamma[i], xh = (double)((x[i] - mu) * rstd);
            sg += g;
            sgx += g * xh;
        }
        const float mg = (float)(sg / (double)n), mgx = (float)(sgx / (double)n);
        for (size_t i = 0; i < n; i++) {
            float xh = (x[i] - mu) * rstd, g = dy[i] * j->gamma[i];
            dx[i] = rstd * (g - mg - xh * mgx);
        }
    }
}

#define LN_CHUNK 512 /* columns of accumulators per pass (2 x 2 KiB) */
#define LN_BLOCK 32

/* columns [b, e) of dgamma / dbeta, rows in order (thread-count independent): up to 512 columns at
 * a time summed row by row into local accumulators and added to dgamma / dbeta once (as bias_cols:
 * the same sums, without a store per row and column) */
static void ln_cols(void *ctx, size_t b, size_t e, int tid)
{
    const ln_job *j = ctx;
    (void)tid;
    const size_t n = j->n;
    float ag[LN_CHUNK], ab[LN_CHUNK];
    for (size_t c0 = b; c0 < e; c0 += LN_CHUNK) {
        const size_t w = e - c0 < LN_CHUNK ? e - c0 : LN_CHUNK, full = w / LN_BLOCK * LN_BLOCK;
        memcpy(ag, j->dgamma + c0, w * sizeof *ag);
        memcpy(ab, j->dbeta + c0, w * sizeof *ab);
        for (size_t r = 0; r < j->rows; r++) {
            const float *x = j->x + r * n + c0, *dy = j->dy + r * n + c0;
            const float mu = j->stats[2 * r], rstd = j->stats[2 * r + 1];
            for (size_t q = 0; q < full; q += LN_BLOCK) {
                float *g = ag + q, *bb = ab + q;
                const float *xq = x + q, *dq = dy + q;
                for (size_t i = 0; i < LN_BLOCK; i++) {
                    g[i] += dq[i] * ((xq[i] - mu) * rstd);
                    bb[i] += dq[i];
                }
            }
            for (size_t i = full; i < w; i++) {
                ag[i] += dy[i] * ((x[i] - mu) * rstd);
                ab[i] += dy[i];
            }
        }
        memcpy(j->dgamma + c0, ag, w * sizeof *ag);
        memcpy(j->dbeta + c0, ab, w * sizeof *ab);
    }
}

void xl_layernorm_backward(xl_kernels *k, int n_threads, const float *x, const float *gamma, float eps, size_t rows,
                           size_t n, const float *dy, float *dx, float *dgamma, float *dbeta, float *stats)
{
    if (rows == 0 || n == 0) return;
    ln_job j = {x, gamma, dy, dx, dgamma, dbeta, stats, eps, rows, n};
    int nt = threads_for(k, n_threads, (double)rows * (double)n);
    run(k, nt, rows, ln_stats, &j);
    /* parameter gradients before dx (dx may alias dy); split over the columns */
    if (dgamma != NULL) {
        ln_job c = j;
        run(k, nt, n, ln_cols, &c);
    }
    run(k, nt, rows, ln_rows, &j);
}

/* ---- GELU ----------------------------------------------------------------------------------- */

typedef struct {
    const xl_kernel_table *t;
    const float *x, *y, *dy;
    float *dx;
    size_t n;
} gelu_job;

#define GELU_CHUNK 4096 /* a multiple of every path's vector width: the split does not change a lane */

/* chunks [b, e): the path's gelu_grad (SIMD exp on the vector paths, libm expf on the scalar one;
 * every element goes through the same code whatever the thread split) */
static void gelu_range(void *ctx, size_t b, size_t e, int tid)
{
    const gelu_job *j = ctx;
    (void)tid;
    const size_t lo = b * GELU_CHUNK, hi = e * GELU_CHUNK < j->n ? e * GELU_CHUNK : j->n;
    j->t->gelu_grad(j->x + lo, j->y + lo, j->dy + lo, j->dx + lo, hi - lo);
}

void xl_gelu_backward(xl_kernels *k, int n_threads, const float *x, const float *y, const float *dy, float *dx,
                      size_t n)
{
    gelu_job j = {k->impl, x, y, dy, dx, n};
    int nt = threads_for(k, n_threads, (double)n * 8.0);
    run(k, nt, (n + GELU_CHUNK - 1) / GELU_CHUNK, gelu_range, &j);
}

void xl_tanh_backward(const float *y, const float *dy, float *dx, size_t n)
{
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

/* ---- softmax ---------------------------------------------------------------------------------- */

void xl_softmax_backward_rows(const float *P, float *dP, size_t rows, size_t cols, size_t ld)
{
    for (size_t r = 0; r < rows; r++) {
        const float *p = P + r * ld;
        float *d = dP + r * ld;
        double dot = 0.0;
        for (size_t c = 0; c < cols; c++) dot += (double)p[c] * (double)d[c];
        const float s = (float)dot;
        for (size_t c = 0; c < cols; c++) d[c] = p[c] * (d[c] - s);
    }
}

/* ---- dropout ---------------------------------------------------------------------------------- */

void xl_dropout_forward(xl_rng *r, float p, const float *x, float *y, uint8_t *mask, size_t n)
{
    if (p <= 0.0f) {
        memset(mask, 1, n);
        if (y != x) memcpy(y, x, n * sizeof *y);
        return;
    }
    const float scale = 1.0f / (1.0f - p);
    /* keep when xl_rng_float(r) >= p, i.e. (u >> 8) 2^-24 >= p with u = xl_rng_u32(r): both sides
     * are exact (24-bit integer; p 2^24 is p with its exponent moved), so keep <=> (u >> 8) >=
     * ceil(p 2^24).  Drawn in blocks with xl_rng_fill_u32: the same stream, the same masks as one
     * xl_rng_float per element, without a call and an int->float conversion per element. */
    const float thr_f = ceilf(p * 16777216.0f);
    const uint32_t thr = thr_f >= 16777216.0f ? 16777216u : (uint32_t)thr_f;
    uint32_t u[256];
    for (size_t i0 = 0; i0 < n; i0 += 256) {
        const size_t m = n - i0 < 256 ? n - i0 : 256;
        xl_rng_fill_u32(r, u, m);
        for (size_t i = 0; i < m; i++) {
            const uint8_t keep = (u[i] >> 8) >= thr;
            mask[i0 + i] = keep;
            y[i0 + i] = keep ? x[i0 + i] * scale : 0.0f;
        }
    }
}

typedef struct {
    xl_rng start; /* the generator before element 0 */
    float p;
    const float *x;
    float *y;
    uint8_t *mask;
    size_t n, chunk;
} dropout_job;

static void dropout_range(void *ctx, size_t b, size_t e, int tid)
{
    const dropout_job *j = ctx;
    (void)tid;
    const size_t lo = b * j->chunk, hi = e * j->chunk < j->n ? e * j->chunk : j->n;
    xl_rng r = j->start;
    xl_rng_advance(&r, (uint64_t)lo); /* draw lo of the stream is element lo's */
    xl_dropout_forward(&r, j->p, j->x + lo, j->y + lo, j->mask + lo, hi - lo);
}

void xl_dropout_forward_threads(xl_kernels *k, int n_threads, size_t min_split, xl_rng *r, float p, const float *x,
                                float *y, uint8_t *mask, size_t n)
{
    if (n_threads > k->max_threads) n_threads = k->max_threads;
    if (p <= 0.0f || n_threads <= 1 || n < 2 || n < min_split) {
        xl_dropout_forward(r, p, x, y, mask, n);
        return;
    }
    /* chunks of 16,384 (fewer, smaller ones when n is small: the chunking does not change a draw) */
    size_t chunk = 16384;
    if (n / chunk < 4 * (size_t)n_threads) chunk = (n + 4 * (size_t)n_threads - 1) / (4 * (size_t)n_threads);
    dropout_job j = {*r, p, x, y, mask, n, chunk};
    xl_pool_run(k->pool, n_threads, (n + chunk - 1) / chunk, dropout_range, &j);
    xl_rng_advance(r, (uint64_t)n); /* where n serial draws leave it */
}

void xl_dropout_backward(float p, const uint8_t *mask, const float *dy, float *dx, size_t n)
{
    if (p <= 0.0f) {
        if (dx != dy) memcpy(dx, dy, n * sizeof *dx);
        return;
    }
    const float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}

/* ---- attention ---------------------------------------------------------------------------------- */

void xl_attention_backward(xl_kernels *k, int n_threads, size_t n, size_t nh, size_t dh, float scale, const float *q,
                           const float *kk, const float *v, size_t ld_qkv, const float *P, const float *Pd,
                           const uint8_t *mask_att, float p_att, const float *dctx, size_t ld_ctx, float *dq, float *dk,
                           float *dv, float *scratch)
{
    const size_t nn = n * n;
    float *dP = scratch; /* [nh, n, n] */
    /* dPd_h [n, n] = dctx_h [n, dh] V_h^T */
    xl_sgemm_batched(k, n_threads, XL_TRANS, nh, n, n, dh, 1.0f, dctx, ld_ctx, dh, v, ld_qkv, dh, 0.0f, dP, n, nn);
    /* dV_h [n, dh] = Pd_h^T [n, n] dctx_h [n, dh] */
    xl_sgemm_batched_ex(k, n_threads, XL_TRANS, XL_NO_TRANS, nh, n, dh, n, 1.0f, Pd, n, nn, dctx, ld_ctx, dh, 0.0f, dv,
                        ld_qkv, dh);
    if (mask_att != NULL) xl_dropout_backward(p_att, mask_att, dP, dP, nh * nn);
    /* dS = P (dP - rowsum(P dP)) */
    xl_softmax_backward_rows(P, dP, nh * n, n, n);
    /* dQ_h = scale dS_h K_h;  dK_h = scale dS_h^T Q_h */
    xl_sgemm_batched(k, n_threads, XL_NO_TRANS, nh, n, dh, n, scale, dP, n, nn, kk, ld_qkv, dh, 0.0f, dq, ld_qkv, dh);
    xl_sgemm_batched_ex(k, n_threads, XL_TRANS, XL_NO_TRANS, nh, n, dh, n, scale, dP, n, nn, q, ld_qkv, dh, 0.0f, dk,
                        ld_qkv, dh);
}

/* ---- pooling ---------------------------------------------------------------------------------- */

void xl_mean_pool_backward(const float *dy, size_t len, size_t H, const uint8_t *mask, float *dh)
{
    size_t count = 0;
    for (size_t p = 0; p < len; p++) count += !mask || mask[p];
    float denom = (float)count;
    if (denom < 1e-9f) denom = 1e-9f;
    for (size_t p = 0; p < len; p++) {
        if (mask && !mask[p]) continue;
        float *row = dh + p * H;
        for (size_t j = 0; j < H; j++) row[j] += dy[j] / denom;
    }
}

void xl_cls_pool_backward(const float *dy, size_t H, float *dh)
{
    for (size_t j = 0; j < H; j++) dh[j] += dy[j];
}

/* ---- L2 normalisation -------------------------------------------------------------------------- */

void xl_l2_normalize_backward(const float *y, const float *norm, const float *dy, float *dx, size_t rows, size_t n)
{
    for (size_t r = 0; r < rows; r++) {
        const float *yr = y + r * n, *dyr = dy + r * n;
        float *dxr = dx + r * n;
        if (norm[r] > 1e-12f) {
            double dot = 0.0;
            for (size_t j = 0; j < n; j++) dot += (double)yr[j] * (double)dyr[j];
            const float s = (float)dot, inv = 1.0f / norm[r];
            for (size_t j = 0; j < n; j++) dxr[j] = (dyr[j] - yr[j] * s) * inv;
        } else {
            for (size_t j = 0; j < n; j++) dxr[j] = dyr[j] / 1e-12f;
        }
    }
}
