/* xl_kernels_scalar.c - the portable C11 path: reference micro-kernel and elementwise ops.
 *
 * Micro-kernel 4 x 8 (plain loops the compiler may vectorise with the baseline ISA).
 * Elementwise maths is done in double (libm erf/exp/tanh), so this path is also the accuracy
 * reference the SIMD paths are tested against.
 */
#include <math.h>

#include "xl_bytes.h"
#include "xl_kernels_impl.h"

#define SC_MR 4
#define SC_NR 8

/* C[4,8] = alpha * A~[4,kc] B~[kc,8] + beta * C  (packed panels, see xl_kernels_impl.h) */
static void ukr_scalar(size_t kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta)
{
    float acc[SC_MR][SC_NR] = {{0}};
    for (size_t p = 0; p < kc; p++) {
        for (int i = 0; i < SC_MR; i++) {
            float ai = a[p * SC_MR + (size_t)i];
            for (int j = 0; j < SC_NR; j++) acc[i][j] += ai * b[p * SC_NR + (size_t)j];
        }
    }
    for (int i = 0; i < SC_MR; i++) {
        float *ci = c + (size_t)i * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < SC_NR; j++) ci[j] = alpha * acc[i][j];
        else
            for (int j = 0; j < SC_NR; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
}

/* GELU(x) = 0.5 x (1 + erf(x / sqrt 2)) = 0.5 x erfc(-x / sqrt 2)  (Hendrycks & Gimpel 2016);
 * the erfc form keeps full relative accuracy for negative x. */
float xl_gelu_ref1(float x)
{
    double xd = (double)x;
    return (float)(0.5 * xd * erfc(-xd * 0.70710678118654752440));
}

float xl_tanh_ref1(float x)
{
    return (float)tanh((double)x);
}

static void bias_gelu_scalar(float *x, const float *bias, size_t n)
{
    for (size_t j = 0; j < n; j++) x[j] = xl_gelu_ref1(bias ? x[j] + bias[j] : x[j]);
}

/* GELU backward, reference: libm expf for phi; Phi = y / x (series 1/2 + x phi(0) near 0) */
static void gelu_grad_scalar(const float *x, const float *y, const float *dy, float *dx, size_t n)
{
    const float inv_sqrt_2pi = 0.39894228040143267794f;
    for (size_t i = 0; i < n; i++) {
        const float xi = x[i];
        const float cdf = fabsf(xi) < 1e-3f ? 0.5f + inv_sqrt_2pi * xi : y[i] / xi;
        const float pdf = inv_sqrt_2pi * expf(-0.5f * xi * xi);
        dx[i] = dy[i] * (cdf + xi * pdf);
    }
}

/* LayerNorm (Ba et al. 2016): y = (t - mean) / sqrt(var + eps) * g + b, t = x + r, biased var.
 * Two passes; the sums are accumulated in double here (reference path). */
static void add_layernorm_scalar(const float *x, const float *r, const float *g, const float *b, float eps, size_t n,
                                 float *y)
{
    if (n == 0) return;
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) {
        float t = r ? x[j] + r[j] : x[j];
        y[j] = t;
        sum += t;
    }
    float mean = (float)(sum / (double)n);
    double ss = 0.0;
    for (size_t j = 0; j < n; j++) {
        double d = (double)(y[j] - mean);
        ss += d * d;
    }
    float rstd = (float)(1.0 / sqrt(ss / (double)n + (double)eps));
    for (size_t j = 0; j < n; j++) y[j] = (y[j] - mean) * rstd * g[j] + b[j];
}

static void softmax_scalar(float *x, size_t n, float scale, const float *mask)
{
    if (n == 0) return;
    float mx = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        float t = mask ? scale * x[j] + mask[j] : scale * x[j];
        x[j] = t;
        if (t > mx) mx = t;
    }
    if (mx == -INFINITY) {
        for (size_t j = 0; j < n; j++) x[j] = 0.0f;
        return;
    }
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) {
        float e = (float)exp((double)(x[j] - mx));
        x[j] = e;
        sum += e;
    }
    float inv = (float)(1.0 / sum);
    for (size_t j = 0; j < n; j++) x[j] *= inv;
}

static float dot_scalar(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++) s += (double)a[j] * (double)b[j];
    return (float)s;
}

static void axpy_scalar(size_t n, float alpha, const float *x, float *y)
{
    for (size_t j = 0; j < n; j++) y[j] += alpha * x[j];
}

static void scal_scalar(size_t n, float alpha, float *x)
{
    for (size_t j = 0; j < n; j++) x[j] *= alpha;
}

/* 12 independent scalar multiply-add chains (a*m + c: fused only where the compiler contracts) */
static double fma_probe_scalar(size_t iters, float *sink)
{
    float a[12];
    for (int i = 0; i < 12; i++) a[i] = sink[0] + (float)i;
    for (size_t it = 0; it < iters; it++)
        for (int i = 0; i < 12; i++) a[i] = a[i] * 0.999999f + 1e-7f;
    float s = 0.0f;
    for (int i = 0; i < 12; i++) s += a[i];
    sink[0] = s;
    return (double)iters * 12.0 * 2.0;
}

/* The int8 reference: plain int32 sums (exact; the order does not matter for integers). */
void xl_qdot_scalar(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b, size_t ldb,
                    const int *bsum, int *c, size_t ldc)
{
    (void)bsum;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            const signed char *ai = a + i * lda, *bj = b + j * ldb;
            int acc = 0;
            for (size_t p = 0; p < kp; p++) acc += (int)ai[p] * (int)bj[p];
            c[i * ldc + j] = acc;
        }
}

float xl_elem16_to_float(unsigned short v, xl_elem elem)
{
    return elem == XL_ELEM_F16 ? xl_half_to_float(v) : xl_bf16_to_float(v);
}

/* 16-bit packed pair rows to float32 rows (xl_kernels_impl.h: widen16), the reference. */
void xl_widen16_scalar(const unsigned short *src, size_t kpairs, size_t nr, int elem, float *dst)
{
    for (size_t q = 0; q < kpairs; q++, src += 2 * nr, dst += 2 * nr)
        for (size_t j = 0; j < nr; j++) {
            dst[j] = xl_elem16_to_float(src[2 * j], (xl_elem)elem);
            dst[nr + j] = xl_elem16_to_float(src[2 * j + 1], (xl_elem)elem);
        }
}

/* The AVX512_BF16 vdpbf16ps micro-kernel's arithmetic in plain C (xl_kernels_impl.h: ukr_bf16): the
 * same pair order and roundings, so the AVX-512 kernel must give these bits (inputs without
 * subnormals: vdpbf16ps flushes them to zero, this code does not).  -std=c11 keeps the compiler from
 * contracting the multiply and the add into an FMA (the products are exact anyway). */
static void ukr_bf16_scalar(size_t kq, const unsigned int *a, const unsigned short *b, float *c, size_t ldc,
                            float alpha, float beta)
{
    float acc[SC_MR][SC_NR] = {{0}};
    for (size_t q = 0; q < kq; q++, a += SC_MR, b += 2 * SC_NR)
        for (int i = 0; i < SC_MR; i++) {
            const float a0 = xl_bf16_to_float((uint16_t)(a[i] & 0xFFFFu)), a1 = xl_bf16_to_float((uint16_t)(a[i] >> 16));
            for (int j = 0; j < SC_NR; j++) {
                const float p1 = a1 * xl_bf16_to_float(b[2 * j + 1]);
                acc[i][j] = acc[i][j] + p1;
                const float p0 = a0 * xl_bf16_to_float(b[2 * j]);
                acc[i][j] = acc[i][j] + p0;
            }
        }
    for (int i = 0; i < SC_MR; i++)
        for (int j = 0; j < SC_NR; j++) {
            float v = alpha * acc[i][j];
            if (beta != 0.0f) v = v + beta * c[(size_t)i * ldc + (size_t)j];
            c[(size_t)i * ldc + (size_t)j] = v;
        }
}

const xl_kernel_table xl_kernel_table_scalar = {
    .path = XL_SIMD_SCALAR,
    .mr = SC_MR,
    .nr = SC_NR,
    .mc = 64,
    .kc = 256,
    .nc = 512,
    .ukr = ukr_scalar,
    .bias_gelu = bias_gelu_scalar,
    .gelu_grad = gelu_grad_scalar,
    .add_layernorm = add_layernorm_scalar,
    .softmax = softmax_scalar,
    .dot = dot_scalar,
    .axpy = axpy_scalar,
    .scal = scal_scalar,
    .fma_probe = fma_probe_scalar,
    .qdot = xl_qdot_scalar,
    .widen16 = xl_widen16_scalar,
    .ukr_bf16 = ukr_bf16_scalar,
};
