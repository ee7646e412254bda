/* xl_kernels_avx2.c - the AVX2 + FMA path (x86-64; compiled with -mavx2 -mfma -mf16c).
 *
 * Micro-kernel 6 x 16 (the classic Haswell shape, as in BLIS/OpenBLAS): per k step two 8-float
 * loads of B, six broadcasts of A, 12 FMAs into 12 ymm accumulators (+2 B +1 A = 15 of 16 ymm).
 *
 * Compiled without AVX2/FMA the file only defines an empty table (ukr == NULL).
 */
#include "xl_kernels_impl.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define MR 6
#define NR 16
#define ROWS(F) F(0) F(1) F(2) F(3) F(4) F(5)

/* C[6,16] = alpha * A[6,kc] B[kc,16] + beta * C, with A[i,p] = a[i*rs_a + p*cs_a] (packed A
 * micro-panel: rs_a = 1, cs_a = MR; A read in place from row-major rows: rs_a = lda, cs_a = 1)
 * and B[p,0..16) = b + p*ldb.  Same FMAs in the same order either way (bit-identical). */
static inline void ukr_body(size_t kc, const float *a, size_t rs_a, size_t cs_a, const float *b, size_t ldb, float *c,
                            size_t ldc, float alpha, float beta)
{
#define DECL(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
    ROWS(DECL)
#undef DECL
    /* fetch the C tile early (it may have left the caches since the previous K block) */
#define PREFETCH_C(i) _mm_prefetch((const char *)(c + (size_t)(i) * ldc), _MM_HINT_T0);
    ROWS(PREFETCH_C)
#undef PREFETCH_C
    for (size_t p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        _mm_prefetch((const char *)(b + 64 * ldb), _MM_HINT_T0); /* B 4 KiB ahead (weights streamed for few rows) */
#define STEP(i)                                                         \
    {                                                                   \
        const __m256 ai = _mm256_broadcast_ss(a + (size_t)(i) * rs_a);  \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                     \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                     \
    }
        ROWS(STEP)
#undef STEP
        a += cs_a;
        b += ldb;
    }
    const __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
#define STORE0(i)                                                           \
    _mm256_storeu_ps(c + (size_t)(i) * ldc, _mm256_mul_ps(va, c##i##0));    \
    _mm256_storeu_ps(c + (size_t)(i) * ldc + 8, _mm256_mul_ps(va, c##i##1));
        ROWS(STORE0)
#undef STORE0
    } else {
        const __m256 vb = _mm256_set1_ps(beta);
#define STOREB(i)                                                                                            \
    {                                                                                                        \
        float *ci = c + (size_t)(i) * ldc;                                                                   \
        _mm256_storeu_ps(ci, _mm256_fmadd_ps(va, c##i##0, _mm256_mul_ps(vb, _mm256_loadu_ps(ci))));         \
        _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(va, c##i##1, _mm256_mul_ps(vb, _mm256_loadu_ps(ci + 8)))); \
    }
        ROWS(STOREB)
#undef STOREB
    }
}

/* packed A and B micro-panels (xl_kernels_impl.h) */
static void ukr_avx2(size_t kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta)
{
    ukr_body(kc, a, 1, MR, b, NR, c, ldc, alpha, beta);
}

/* A read in place (6 rows of stride lda), B a packed micro-panel */
static void ukr_rows_avx2(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc, float alpha,
                          float beta)
{
    ukr_body(kc, a, lda, 1, b, NR, c, ldc, alpha, beta);
}

/* Panels of nr (a multiple of 8) columns of op(B) = B^T, B stored [nc, kc] in rows of stride ldb:
 * dst[jp*kc*nr + p*nr + j] = B[jp*nr + j, p] for p < kc, j < nc, zero past nc (xl_kernels_impl.h:
 * pack_bt).  Blocks of 8 rows x 8 columns are transposed in registers (unpack / shuffle / 128-bit
 * permute) and stored as 8 runs of 8 contiguous floats; the remainders go element by element.
 * The elementwise pack in xl_kernels.c read one float from each of 8 rows per step and wrote it
 * with a stride of nr: attention packs K_h^T this way for every (sequence, head), where for 16-32
 * tokens the pack took as long as the products.  Copies only: the same floats as that pack. */
void xl_pack_bt_avx2(const float *B, size_t ldb, size_t kc, size_t nc, size_t nr, float *dst)
{
    for (size_t j0 = 0; j0 < nc; j0 += nr) {
        float *panel = dst + (j0 / nr) * kc * nr;
        const size_t width = nc - j0 < nr ? nc - j0 : nr;
        size_t j = 0;
        for (; j + 8 <= width; j += 8) {
            const float *r = B + (j0 + j) * ldb;
            size_t p = 0;
            for (; p + 8 <= kc; p += 8) {
                const __m256 v0 = _mm256_loadu_ps(r + p), v1 = _mm256_loadu_ps(r + ldb + p);
                const __m256 v2 = _mm256_loadu_ps(r + 2 * ldb + p), v3 = _mm256_loadu_ps(r + 3 * ldb + p);
                const __m256 v4 = _mm256_loadu_ps(r + 4 * ldb + p), v5 = _mm256_loadu_ps(r + 5 * ldb + p);
                const __m256 v6 = _mm256_loadu_ps(r + 6 * ldb + p), v7 = _mm256_loadu_ps(r + 7 * ldb + p);
                const __m256 t0 = _mm256_unpacklo_ps(v0, v1), t1 = _mm256_unpackhi_ps(v0, v1);
                const __m256 t2 = _mm256_unpacklo_ps(v2, v3), t3 = _mm256_unpackhi_ps(v2, v3);
                const __m256 t4 = _mm256_unpacklo_ps(v4, v5), t5 = _mm256_unpackhi_ps(v4, v5);
                const __m256 t6 = _mm256_unpacklo_ps(v6, v7), t7 = _mm256_unpackhi_ps(v6, v7);
                const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xee);
                const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xee);
                const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xee);
                const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xee);
                float *d = panel + p * nr + j;
                _mm256_storeu_ps(d, _mm256_permute2f128_ps(s0, s4, 0x20));
                _mm256_storeu_ps(d + nr, _mm256_permute2f128_ps(s1, s5, 0x20));
                _mm256_storeu_ps(d + 2 * nr, _mm256_permute2f128_ps(s2, s6, 0x20));
                _mm256_storeu_ps(d + 3 * nr, _mm256_permute2f128_ps(s3, s7, 0x20));
                _mm256_storeu_ps(d + 4 * nr, _mm256_permute2f128_ps(s0, s4, 0x31));
                _mm256_storeu_ps(d + 5 * nr, _mm256_permute2f128_ps(s1, s5, 0x31));
                _mm256_storeu_ps(d + 6 * nr, _mm256_permute2f128_ps(s2, s6, 0x31));
                _mm256_storeu_ps(d + 7 * nr, _mm256_permute2f128_ps(s3, s7, 0x31));
            }
            for (; p < kc; p++)
                for (size_t i = 0; i < 8; i++) panel[p * nr + j + i] = r[i * ldb + p];
        }
        for (; j < width; j++) {
            const float *row = B + (j0 + j) * ldb;
            for (size_t p = 0; p < kc; p++) panel[p * nr + j] = row[p];
        }
        if (width < nr)
            for (size_t p = 0; p < kc; p++)
                for (size_t jj = width; jj < nr; jj++) panel[p * nr + jj] = 0.0f;
    }
}

static inline float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float hmax256(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static double fma_probe(size_t iters, float *sink)
{
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
#define P(i) __m256 a##i = _mm256_set1_ps(sink[0] + (float)(i));
    P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11)
#undef P
    for (size_t it = 0; it < iters; it++) {
#define P(i) a##i = _mm256_fmadd_ps(a##i, m, c);
        P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11)
#undef P
    }
    a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)), _mm256_add_ps(a4, a5));
    a6 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a6, a7), _mm256_add_ps(a8, a9)), _mm256_add_ps(a10, a11));
    _mm256_storeu_ps(sink, _mm256_add_ps(a0, a6));
    return (double)iters * 12.0 * 8.0 * 2.0;
}

/* int8 peak probe: 12 independent chains of the AVX2 int8 multiply-accumulate, vpmaddubsw (32 u8 x s8
 * products, pairs summed to int16) + vpmaddwd with ones (to int32) + vpaddd, no loads; returns the
 * int8 operations done (2 per multiply-add).  The GEMM's kernel adds a vpsignb per step (the sign
 * transfer that keeps the pair sums exact), so it cannot reach this figure. */
double xl_qpeak_probe_avx2(size_t iters, float *sink)
{
    const __m256i b = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    const __m256i a = _mm256_set1_epi8((char)(1 + (int)(sink[0] != 0.0f)));
#define P(i) __m256i c##i = _mm256_set1_epi32(i);
    P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11)
#undef P
    for (size_t it = 0; it < iters; it++) {
#define P(i) c##i = _mm256_add_epi32(c##i, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
        P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11)
#undef P
    }
    c0 = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3)), _mm256_add_epi32(c4, c5));
    c6 = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c6, c7), _mm256_add_epi32(c8, c9)), _mm256_add_epi32(c10, c11));
    sink[1] = (float)_mm256_extract_epi32(_mm256_add_epi32(c0, c6), 0);
    return (double)iters * 12.0 * 32.0 * 2.0;
}

/* ---- int8 dot products ------------------------------------------------------------------------
 * 2 rows of A x 4 rows of B per block, 32 int8 per step: |a| (unsigned) times b with a's sign
 * (vpsignb) through vpmaddubsw gives int16 pair sums <= 2*127*127 = 32258 (no saturation: both
 * operands lie in [-127, 127]); vpmaddwd with ones widens them to int32 lanes, summed into 8
 * accumulators (+2 |a| +1 b +1 temp +1 ones = 13 of 16 ymm).  Exact, so equal to the scalar path. */
/* QKEEP(v): an empty asm statement that takes the accumulator v in a vector register and hands it
 * back, so the compiler can neither reassociate the adds into v across it nor keep v on the stack
 * between two of them.  Without it gcc 12 summed the two 4-k steps of xl_qpanel_avx2 first and then
 * added them to each accumulator, which needs more live registers than the 16 ymm: 4 of the 8
 * accumulators lived on the stack (a load and a store each per iteration) plus 5 register copies;
 * xl_qdot_avx2 likewise kept 2 on the stack.  It changes no arithmetic (the same integer adds in
 * the same order per lane), only register allocation.  Not GNU C: nothing. */
#if defined(__GNUC__)
#define QKEEP(v) __asm__("" : "+x"(v))
#else
#define QKEEP(v) ((void)0)
#endif

static inline __m256i qdot_step(__m256i abs_a, __m256i sign_a, __m256i b, __m256i ones)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(abs_a, _mm256_sign_epi8(b, sign_a)), ones);
}

/* Dynamic per-row quantisation (xl_kernels_impl.h: quantize_row), 8 floats per step, the same
 * bits as xl_quantize_row_scalar: max|x| with vmaxps (NaN tracked apart: vmaxps does not propagate
 * it the way fmaxf drops it), s = amax / 127 in float, x / s with vdivps (IEEE, as the scalar
 * division), rounding half away from zero as roundf: t = trunc(v), plus sign(v) where |v - t| >= 0.5
 * (v - t is exact for |v| < 2^23; here |v| <= 127.5), clamped to +-127, packed to int8. */
float xl_quantize_row_avx2(const float *x, size_t k, size_t kp, signed char *q)
{
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 vmax = _mm256_setzero_ps(), vnan = _mm256_setzero_ps();
    size_t p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 v = _mm256_loadu_ps(x + p);
        vmax = _mm256_max_ps(vmax, _mm256_and_ps(v, absmask));
        vnan = _mm256_or_ps(vnan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, vmax);
    float amax = 0.0f;
    int nan = _mm256_movemask_ps(vnan) != 0;
    for (int l = 0; l < 8; l++) amax = lanes[l] > amax ? lanes[l] : amax;
    for (; p < k; p++) {
        float a = fabsf(x[p]);
        nan |= a != a;
        amax = a > amax ? a : amax;
    }
    memset(q, 0, kp);
    if (nan || !isfinite(amax)) return NAN;
    const float s = amax / 127.0f;
    if (!(s > 0.0f)) return 1.0f;
    const __m256 vs = _mm256_set1_ps(s), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 lim = _mm256_set1_ps(127.0f), nlim = _mm256_set1_ps(-127.0f);
    const __m256 signmask = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
    p = 0;
    for (; p + 32 <= k; p += 32) {
        __m256i iv[4];
        for (int u = 0; u < 4; u++) {
            __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + p + 8 * (size_t)u), vs);
            __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            __m256 up = _mm256_cmp_ps(_mm256_and_ps(_mm256_sub_ps(v, t), absmask), half, _CMP_GE_OQ);
            t = _mm256_add_ps(t, _mm256_and_ps(up, _mm256_or_ps(one, _mm256_and_ps(v, signmask))));
            t = _mm256_max_ps(_mm256_min_ps(t, lim), nlim);
            iv[u] = _mm256_cvtps_epi32(t);
        }
        /* packs work per 128-bit lane: int32 -> int16 -> int8, then one permute restores the order */
        __m256i w01 = _mm256_packs_epi32(iv[0], iv[1]), w23 = _mm256_packs_epi32(iv[2], iv[3]);
        __m256i b = _mm256_packs_epi16(w01, w23);
        b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(void *)(q + p), b);
    }
    for (; p < k; p++) {
        float v = x[p] / s;
        float t = truncf(v);
        if (fabsf(v - t) >= 0.5f) t += v < 0.0f ? -1.0f : 1.0f;
        q[p] = (signed char)(int)(t > 127.0f ? 127.0f : t < -127.0f ? -127.0f : t);
    }
    return s;
}

static inline int hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

void xl_qdot_avx2(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b, size_t ldb,
                  const int *bsum, int *c, size_t ldc)
{
    (void)bsum;
    const __m256i ones = _mm256_set1_epi16(1);
    size_t i = 0;
    for (; i + 2 <= m; i += 2) {
        const signed char *a0 = a + i * lda, *a1 = a0 + lda;
        size_t j = 0;
        for (; j + 4 <= n; j += 4) {
            const signed char *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
            __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            for (size_t p = 0; p < kp; p += 32) {
                const __m256i x0 = _mm256_load_si256((const __m256i *)(const void *)(a0 + p));
                const __m256i x1 = _mm256_load_si256((const __m256i *)(const void *)(a1 + p));
                const __m256i ax0 = _mm256_abs_epi8(x0), ax1 = _mm256_abs_epi8(x1);
                __m256i w = _mm256_load_si256((const __m256i *)(const void *)(b0 + p));
                c00 = _mm256_add_epi32(c00, qdot_step(ax0, x0, w, ones));
                c10 = _mm256_add_epi32(c10, qdot_step(ax1, x1, w, ones));
                w = _mm256_load_si256((const __m256i *)(const void *)(b1 + p));
                c01 = _mm256_add_epi32(c01, qdot_step(ax0, x0, w, ones));
                c11 = _mm256_add_epi32(c11, qdot_step(ax1, x1, w, ones));
                w = _mm256_load_si256((const __m256i *)(const void *)(b2 + p));
                c02 = _mm256_add_epi32(c02, qdot_step(ax0, x0, w, ones));
                c12 = _mm256_add_epi32(c12, qdot_step(ax1, x1, w, ones));
                w = _mm256_load_si256((const __m256i *)(const void *)(b3 + p));
                c03 = _mm256_add_epi32(c03, qdot_step(ax0, x0, w, ones));
                c13 = _mm256_add_epi32(c13, qdot_step(ax1, x1, w, ones));
                QKEEP(c00); QKEEP(c01); QKEEP(c02); QKEEP(c03);
                QKEEP(c10); QKEEP(c11); QKEEP(c12); QKEEP(c13);
            }
            int *r0 = c + i * ldc + j, *r1 = r0 + ldc;
            r0[0] = hsum_epi32(c00), r0[1] = hsum_epi32(c01), r0[2] = hsum_epi32(c02), r0[3] = hsum_epi32(c03);
            r1[0] = hsum_epi32(c10), r1[1] = hsum_epi32(c11), r1[2] = hsum_epi32(c12), r1[3] = hsum_epi32(c13);
        }
        for (; j < n; j++) {
            const signed char *bj = b + j * ldb;
            __m256i c0 = _mm256_setzero_si256(), c1 = c0;
            for (size_t p = 0; p < kp; p += 32) {
                const __m256i x0 = _mm256_load_si256((const __m256i *)(const void *)(a0 + p));
                const __m256i x1 = _mm256_load_si256((const __m256i *)(const void *)(a1 + p));
                const __m256i w = _mm256_load_si256((const __m256i *)(const void *)(bj + p));
                c0 = _mm256_add_epi32(c0, qdot_step(_mm256_abs_epi8(x0), x0, w, ones));
                c1 = _mm256_add_epi32(c1, qdot_step(_mm256_abs_epi8(x1), x1, w, ones));
            }
            c[i * ldc + j] = hsum_epi32(c0);
            c[(i + 1) * ldc + j] = hsum_epi32(c1);
        }
    }
    for (; i < m; i++) {
        const signed char *a0 = a + i * lda;
        for (size_t j = 0; j < n; j++) {
            const signed char *bj = b + j * ldb;
            __m256i c0 = _mm256_setzero_si256();
            for (size_t p = 0; p < kp; p += 32) {
                const __m256i x0 = _mm256_load_si256((const __m256i *)(const void *)(a0 + p));
                const __m256i w = _mm256_load_si256((const __m256i *)(const void *)(bj + p));
                c0 = _mm256_add_epi32(c0, qdot_step(_mm256_abs_epi8(x0), x0, w, ones));
            }
            c[i * ldc + j] = hsum_epi32(c0);
        }
    }
}

/* u8 x s8 panel kernel (xl_kernels_impl.h: qpanel), the layout of ONNX Runtime's MLAS U8S8 AVX2
 * kernel: 4 rows x 16 columns in 8 ymm accumulators; per step of 4 k, two loads of the panel (16
 * columns x 4 bytes) and per row one broadcast of 4 activation bytes, then vpmaddubsw (u8 x s8 ->
 * int16 pair sums), vpmaddwd with ones (-> int32, the 4 k of each column) and vpaddd: 3 vector ops
 * per 32 multiply-adds, against 4 (+ a vpabsb per row) with the vpsignb kernel above, and no
 * horizontal sums.  No saturation: a = qx + 128 <= 255 and the panel's pairs have
 * |w| + |w'| <= 128, so a pair sum is at most 255 * 128 = 32640 < 32767.  The int32 lanes wrap
 * (sum a * w may pass 2^31 for huge K); with pcorr = -128 * sum w added the result is
 * sum qx * w, in range, exact. */
void xl_qpanel_avx2(size_t m, size_t kp, const unsigned char *a, size_t lda, const signed char *panel,
                    const int *pcorr, int *c, size_t ldc)
{
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t i = 0; i + 4 <= m; i += 4) {
        const unsigned char *ar = a + i * lda;
        __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;
        __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        const signed char *b = panel;
        /* two steps of 4 k per iteration (kp is a multiple of 64): gcc 12 ends each iteration with
         * register copies of the accumulators, now paid once per 8 k */
        for (size_t p = 0; p < kp; p += 8, b += 128) {
#define QROW(r, x0, x1, o)                                                                       \
    {                                                                                            \
        int v;                                                                                   \
        memcpy(&v, ar + (r) * lda + p + (o), sizeof v);                                          \
        const __m256i av = _mm256_set1_epi32(v);                                                 \
        x0 = _mm256_add_epi32(x0, _mm256_madd_epi16(_mm256_maddubs_epi16(av, b0), ones));        \
        x1 = _mm256_add_epi32(x1, _mm256_madd_epi16(_mm256_maddubs_epi16(av, b1), ones));        \
        QKEEP(x0); QKEEP(x1);                                                                    \
    }
#define QSTEP(o)                                                                                 \
    {                                                                                            \
        const __m256i b0 = _mm256_load_si256((const __m256i *)(const void *)(b + 16 * (o)));     \
        const __m256i b1 = _mm256_load_si256((const __m256i *)(const void *)(b + 16 * (o) + 32)); \
        QROW(0, c00, c01, o)                                                                     \
        QROW(1, c10, c11, o)                                                                     \
        QROW(2, c20, c21, o)                                                                     \
        QROW(3, c30, c31, o)                                                                     \
    }
            QSTEP(0)
            QSTEP(4)
#undef QSTEP
#undef QROW
        }
        /* loaded here, not before the loop: 8 accumulators + ones + 2 panel rows + 2 temporaries
         * leave no register for them (gcc spilled an accumulator) */
        const __m256i k0 = _mm256_loadu_si256((const __m256i *)(const void *)pcorr);
        const __m256i k1 = _mm256_loadu_si256((const __m256i *)(const void *)(pcorr + 8));
        int *r = c + i * ldc;
        _mm256_storeu_si256((__m256i *)(void *)r, _mm256_add_epi32(c00, k0));
        _mm256_storeu_si256((__m256i *)(void *)(r + 8), _mm256_add_epi32(c01, k1));
        r += ldc;
        _mm256_storeu_si256((__m256i *)(void *)r, _mm256_add_epi32(c10, k0));
        _mm256_storeu_si256((__m256i *)(void *)(r + 8), _mm256_add_epi32(c11, k1));
        r += ldc;
        _mm256_storeu_si256((__m256i *)(void *)r, _mm256_add_epi32(c20, k0));
        _mm256_storeu_si256((__m256i *)(void *)(r + 8), _mm256_add_epi32(c21, k1));
        r += ldc;
        _mm256_storeu_si256((__m256i *)(void *)r, _mm256_add_epi32(c30, k0));
        _mm256_storeu_si256((__m256i *)(void *)(r + 8), _mm256_add_epi32(c31, k1));
    }
}

/* int8 tile epilogue (xl_kernels_impl.h: qepilogue), 8 columns per step, the scalar code's
 * arithmetic: ss = s * scale (vmulps), v = (float)acc * ss (vcvtdq2ps, vmulps), y = v + bias
 * (vaddps), each rounded separately (no FMA), so the same bits. */
void xl_qepilogue_avx2(const int *acc, size_t n, float s, const float *scale, const float *bias, float *y)
{
    const __m256 vs = _mm256_set1_ps(s);
    size_t c = 0;
    for (; c + 8 <= n; c += 8) {
        const __m256 ss = _mm256_mul_ps(vs, _mm256_loadu_ps(scale + c));
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(const void *)(acc + c))), ss);
        if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + c));
        _mm256_storeu_ps(y + c, v);
    }
    for (; c < n; c++) {
        const float ss = s * scale[c];
        const float v = (float)acc[c] * ss;
        y[c] = bias ? v + bias[c] : v;
    }
}

/* vector vocabulary for xl_kernels_simd.inc */
#define VW 8
#define VF __m256
#define VM __m256
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VSET1(x) _mm256_set1_ps(x)
#define VADD _mm256_add_ps
#define VSUB _mm256_sub_ps
#define VMUL _mm256_mul_ps
#define VDIV _mm256_div_ps
#define VMIN _mm256_min_ps
#define VMAX _mm256_max_ps
#define VABS(x) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (x))
#define VFMA _mm256_fmadd_ps
#define VLT(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define VSEL(m, t, f) _mm256_blendv_ps((f), (t), (m))
#define VALL(m) (_mm256_movemask_ps(m) == 0xff)
#define VNONE(m) (_mm256_movemask_ps(m) == 0)
#define VROUND(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VPOW2N(n) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
#define VHSUM hsum256
#define VHMAX hmax256
#include "xl_kernels_simd.inc"

/* AVX-VNNI (the VEX-encoded vpdpbusd of Alder Lake / Zen 5 class CPUs without AVX-512; CPUID.(7,1):EAX
 * bit 4): xl_qdot_avx512vnni's arithmetic on 32-byte vectors.  qx + 128 (xor 0x80) is unsigned, so
 * each lane sums (qx + 128) qw in int32 with no intermediate saturation; 128 rowsum(qw) is taken off
 * per output modulo 2^32, which is exact.  Compiled for that target only in this function (gcc >= 11,
 * clang >= 12), called only when the CPU reports it (xl_kernels.has_vnni on the avx2 path).  Never
 * run here: this host has no AVX-VNNI; test_qlinear checks it bit for bit where it runs. */
#if (defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11) || (defined(__clang__) && __clang_major__ >= 12)
#define XL_HAVE_AVXVNNI 1
#define QDOT_NAME xl_qdot_avxvnni
#define QDOT_ATTR __attribute__((target("avxvnni,avx2")))
#define QDOT_VEC __m256i
#define QDOT_STEP 32
#define QDOT_ZERO _mm256_setzero_si256
#define QDOT_SET1_8 _mm256_set1_epi8
#define QDOT_LOAD(p) _mm256_load_si256((const __m256i *)(const void *)(p))
#define QDOT_XOR _mm256_xor_si256
#define QDOT_DPBUSD _mm256_dpbusd_avx_epi32
#define QDOT_HSUM hsum_epi32
#include "xl_qdot_vnni.inc"
#endif

/* 16-bit packed pair rows to float32 (xl_kernels_impl.h: widen16), 8 columns per step: a pair (rows
 * 2q, 2q+1 of one column) is one 32-bit lane.  bf16: row 2q = lane << 16, row 2q+1 = lane with its
 * low half cleared.  f16: the low and high halves are gathered into 8 x u16 each (vpackusdw, then
 * vpermq to undo its lane interleave) and converted with F16C (vcvtph2ps, exact).  nr % 8 == 0. */
void xl_widen16_avx2(const unsigned short *src, size_t kpairs, size_t nr, int elem, float *dst)
{
    const __m256i lo16 = _mm256_set1_epi32(0xFFFF), hi16 = _mm256_set1_epi32((int)0xFFFF0000u);
    for (size_t q = 0; q < kpairs; q++, src += 2 * nr, dst += 2 * nr) {
        size_t j = 0;
        if (elem == XL_ELEM_BF16) {
            for (; j < nr; j += 8) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * j));
                _mm256_storeu_ps(dst + j, _mm256_castsi256_ps(_mm256_slli_epi32(x, 16)));
                _mm256_storeu_ps(dst + nr + j, _mm256_castsi256_ps(_mm256_and_si256(x, hi16)));
            }
        } else {
            for (; j + 16 <= nr; j += 16) {
                __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * j));
                __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * j + 16));
                __m256i ev = _mm256_permute4x64_epi64(
                    _mm256_packus_epi32(_mm256_and_si256(x0, lo16), _mm256_and_si256(x1, lo16)), 0xD8);
                __m256i od = _mm256_permute4x64_epi64(
                    _mm256_packus_epi32(_mm256_srli_epi32(x0, 16), _mm256_srli_epi32(x1, 16)), 0xD8);
                _mm256_storeu_ps(dst + j, _mm256_cvtph_ps(_mm256_castsi256_si128(ev)));
                _mm256_storeu_ps(dst + j + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(ev, 1)));
                _mm256_storeu_ps(dst + nr + j, _mm256_cvtph_ps(_mm256_castsi256_si128(od)));
                _mm256_storeu_ps(dst + nr + j + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(od, 1)));
            }
            for (; j < nr; j += 8) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * j));
                __m256i ev = _mm256_permute4x64_epi64(_mm256_packus_epi32(_mm256_and_si256(x, lo16), x), 0xD8);
                __m256i od = _mm256_permute4x64_epi64(_mm256_packus_epi32(_mm256_srli_epi32(x, 16), x), 0xD8);
                _mm256_storeu_ps(dst + j, _mm256_cvtph_ps(_mm256_castsi256_si128(ev)));
                _mm256_storeu_ps(dst + nr + j, _mm256_cvtph_ps(_mm256_castsi256_si128(od)));
            }
        }
    }
}

const xl_kernel_table xl_kernel_table_avx2 = {
    .path = XL_SIMD_AVX2,
    .mr = MR,
    .nr = NR,
    .mc = 192,
    .kc = 256,
    .nc = 1024,
    .ukr = ukr_avx2,
    .ukr_rows = ukr_rows_avx2,
    .bias_gelu = simd_bias_gelu,
    .gelu_grad = simd_gelu_grad,
    .add_layernorm = simd_add_layernorm,
    .softmax = simd_softmax,
    .dot = simd_dot,
    .axpy = simd_axpy,
    .scal = simd_scal,
    .fma_probe = fma_probe,
    .qdot = xl_qdot_avx2,
    .qpanel = xl_qpanel_avx2,
    .qepilogue = xl_qepilogue_avx2,
    .quantize_row = xl_quantize_row_avx2,
    .pack_bt = xl_pack_bt_avx2,
    .widen16 = xl_widen16_avx2,
    .qpeak_probe = xl_qpeak_probe_avx2,
#ifdef XL_HAVE_AVXVNNI
    .qdot_vnni = xl_qdot_avxvnni,
#endif
};

#else
const xl_kernel_table xl_kernel_table_avx2 = {.path = XL_SIMD_AVX2}; /* not in this build */
#endif
