/* xl_kernels_impl.h - internal to the kernels (nn/xl_kernels*.c): the per-path dispatch table.
 *
 * Each code path file (xl_kernels_scalar.c, _avx2.c, _avx512.c, _neon.c) defines one read-only
 * table.  A SIMD file compiled without its instruction set (other architecture, or a compiler
 * that did not get the -m flags) defines the table with ukr == NULL, meaning "not in this
 * build"; xl_kernels.c checks the CPU/OS before using a non-NULL one.  Only data is touched
 * before the CPU check, never code compiled with -mavx*.
 *
 * Micro-kernel contract (BLIS terms): a packed A micro-panel `a` holds kc steps of MR floats
 * (a[p*MR + i] = A[i, p]); a packed B micro-panel `b` holds kc steps of NR floats
 * (b[p*NR + j] = op(B)[p, j]).  ukr computes the full MR x NR tile
 *     C[i, j] = alpha * sum_p a[p*MR+i] * b[p*NR+j] + beta * C[i, j]     (beta == 0: C not read)
 * with row stride ldc.  kc may be 0.  Edge tiles are handled by the caller (xl_kernels.c).
 * ukr_rows (optional, NULL: not provided) is the same with A read in place from MR row-major rows
 * (A[i, p] = a[i*lda + p]): no A packing, same FMAs in the same order as ukr.
 */
#ifndef XL_KERNELS_IMPL_H
#define XL_KERNELS_IMPL_H

#include <stddef.h>

#include "xl_kernels.h"

typedef struct xl_kernel_table {
    xl_simd_path path;
    size_t mr, nr;     /* register block of the micro-kernel */
    size_t mc, kc, nc; /* cache blocks: A block mc x kc (L2), B micro-panel kc x nr (L1), B block kc x nc */
    void (*ukr)(size_t kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta);
    void (*ukr_rows)(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc, float alpha,
                     float beta);
    /* x[j] = gelu(x[j] + bias[j]) (bias may be NULL) */
    void (*bias_gelu)(float *x, const float *bias, size_t n);
    /* GELU backward: dx = dy (Phi(x) + x phi(x)), Phi = y / x from the forward's y = gelu(x)
     * (series near 0); dx may alias dy */
    void (*gelu_grad)(const float *x, const float *y, const float *dy, float *dx, size_t n);
    /* y = LayerNorm(x + r) * g + b over n (r may be NULL; y may alias x or r) */
    void (*add_layernorm)(const float *x, const float *r, const float *g, const float *b, float eps, size_t n,
                          float *y);
    /* x = softmax(scale * x + mask) (mask may be NULL) */
    void (*softmax)(float *x, size_t n, float scale, const float *mask);
    float (*dot)(const float *a, const float *b, size_t n);
    void (*axpy)(size_t n, float alpha, const float *x, float *y);
    void (*scal)(size_t n, float alpha, float *x);
    /* int8 dot products (NULL: the scalar one): c[i*ldc + j] = sum_{p < kp} a[i*lda + p] * b[j*ldb + p]
     * for i < m, j < n; kp a multiple of 64, a and b 64-byte aligned rows of int8 in [-127, 127]
     * (exact int32, xl_kernels.h: int8 linear layers); bsum[j] = sum_p b[j*ldb + p] (used by VNNI). */
    void (*qdot)(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b, size_t ldb,
                 const int *bsum, int *c, size_t ldc);
    /* the same with the path's int8 dot-product instruction: AVX512_VNNI vpdpbusd (AVX-512 table) or
     * AVX-VNNI (AVX2 table), used when xl_kernels.has_vnni; Arm sdot (NEON table; has_dotprod) */
    void (*qdot_vnni)(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b,
                      size_t ldb, const int *bsum, int *c, size_t ldc);
    /* u8 x s8 panel kernel (NULL: none; AVX2 and AVX-512 tables): for m (a multiple of 4) rows of
     * a (u8 = qx + 128, rows of stride lda, kp bytes each) and one 16-column panel of
     * xl_qmatrix.panel: c[i*ldc + j] = sum_p a[i, p] * panel(j, p) + pcorr[j] for j < 16, in
     * wrapping int32 (= sum_p qx[i, p] main[j, p], exact). */
    void (*qpanel)(size_t m, size_t kp, const unsigned char *a, size_t lda, const signed char *panel,
                   const int *pcorr, int *c, size_t ldc);
    /* int8 tile epilogue (NULL: the loop in xl_kernels.c): y[c] = (float)acc[c] * (s * scale[c])
     * (+ bias[c] when bias != NULL) for c < n, each product and sum rounded on its own (no FMA). */
    void (*qepilogue)(const int *acc, size_t n, float s, const float *scale, const float *bias, float *y);
    /* dynamic per-row activation quantisation (NULL: the scalar one, xl_quantize_row_scalar):
     * q[0..kp) = round(x / s) (half away from zero, clamped to +-127; zero-padded past k), returns
     * s = max|x| / 127, 1 for a zero row, NaN (and q all zero) for a row holding Inf or NaN.  Every
     * path gives the same bits: one IEEE division per element, the same rounding rule. */
    float (*quantize_row)(const float *x, size_t k, size_t kp, signed char *q);
    /* NR-column panels of op(B) = B^T from B stored [nc, kc] (row stride ldb), as xl_kernels.c's
     * pack_b does for a transposed source: dst[jp*kc*NR + p*NR + j] = B[jp*NR + j, p], zero past nc
     * (NULL: that elementwise pack).  Copies only, so the panels are the same floats either way. */
    void (*pack_bt)(const float *B, size_t ldb, size_t kc, size_t nc, size_t nr, float *dst);
    /* bf16 dot-product micro-kernel (NULL: none).  AVX-512 table: AVX512_BF16 vdpbf16ps, used when
     * xl_kernels.has_bf16_dot; scalar table: its exact emulation (the reference; tests switch it on).
     * a: A rounded to bf16 pairs, kq steps of MR words, a[q*MR + i] = bf16(A[i, 2q]) | bf16(A[i, 2q+1]) << 16;
     * b: kq pair rows of a 16-bit panel (xl_packed_matrix.data16 layout, NR columns).  Per (i, j):
     * acc = 0; for each q: acc += A[i,2q+1] B[2q+1,j]; acc += A[i,2q] B[2q,j] (vdpbf16ps's order; each
     * product of two bf16 is exact in float32); then C = alpha * acc, + beta * C when beta != 0, the
     * multiply and the add rounded separately. */
    void (*ukr_bf16)(size_t kq, const unsigned int *a, const unsigned short *b, float *c, size_t ldc, float alpha,
                     float beta);
    /* 16-bit packed weights to float32 (NULL: the scalar one, xl_widen16_scalar): kpairs pair rows of
     * a 16-bit panel (xl_packed_matrix.data16 layout, nr columns) into 2*kpairs rows of nr floats,
     * dst[(2q+e)*nr + j] = value of src[q*2*nr + 2*j + e]; exact, so every path gives the same bits. */
    void (*widen16)(const unsigned short *src, size_t kpairs, size_t nr, int elem, float *dst);
    /* Peak probe: `iters` steps of 12 independent FMA chains on full vectors (nothing else);
     * returns the flops done.  `sink` receives a value so the loop is not optimised away. */
    double (*fma_probe)(size_t iters, float *sink);
    /* int8 peak probe (NULL: none): 12 independent chains of the path's int8 multiply-accumulate
     * instructions, no loads; returns the int8 operations done (2 per multiply-add).  The _vnni one
     * (AVX-512 table) is used when xl_kernels.has_vnni. */
    double (*qpeak_probe)(size_t iters, float *sink);
    double (*qpeak_probe_vnni)(size_t iters, float *sink);
} xl_kernel_table;

extern const xl_kernel_table xl_kernel_table_scalar;
extern const xl_kernel_table xl_kernel_table_avx2;
extern const xl_kernel_table xl_kernel_table_avx512;
extern const xl_kernel_table xl_kernel_table_neon;

/* Scalar helpers shared by every path (xl_kernels_scalar.c): exact in double. */
float xl_gelu_ref1(float x);
float xl_tanh_ref1(float x);
/* The int8 reference (scalar path), the AVX2 one (x86-64 builds; the AVX-512 table uses it) and
 * the AVX512_VNNI one (AVX-512 builds; used only when the CPU has VNNI: xl_kernels.has_vnni). */
void xl_qdot_scalar(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b, size_t ldb,
                    const int *bsum, int *c, size_t ldc);
void xl_qdot_avx2(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b, size_t ldb,
                  const int *bsum, int *c, size_t ldc);
void xl_qpanel_avx2(size_t m, size_t kp, const unsigned char *a, size_t lda, const signed char *panel,
                    const int *pcorr, int *c, size_t ldc);
void xl_qepilogue_avx2(const int *acc, size_t n, float s, const float *scale, const float *bias, float *y);
float xl_quantize_row_scalar(const float *x, size_t k, size_t kp, signed char *q);
float xl_quantize_row_avx2(const float *x, size_t k, size_t kp, signed char *q);
void xl_pack_bt_avx2(const float *B, size_t ldb, size_t kc, size_t nc, size_t nr, float *dst);
void xl_qdot_avx512vnni(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b,
                        size_t ldb, const int *bsum, int *c, size_t ldc);

double xl_qpeak_probe_avx2(size_t iters, float *sink);
/* AVX-VNNI (VEX vpdpbusd on 32 bytes; AVX2 table's qdot_vnni where the compiler supports the target) */
void xl_qdot_avxvnni(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b, size_t ldb,
                     const int *bsum, int *c, size_t ldc);
void xl_widen16_scalar(const unsigned short *src, size_t kpairs, size_t nr, int elem, float *dst);
/* AVX2 + F16C (x86-64 builds; the AVX-512 table uses it too): nr a multiple of 8 */
void xl_widen16_avx2(const unsigned short *src, size_t kpairs, size_t nr, int elem, float *dst);

#endif /* XL_KERNELS_IMPL_H */
