/* xl_kernels_avx512.c - the AVX-512F path (x86-64; compiled with -mavx512f/bw/dq/vl -mfma).
 *
 * Micro-kernel MR x 32 (MR = 8 by default): per k step two 16-float loads of the B micro-panel
 * and MR broadcasts of A, 2*MR FMAs into 2*MR zmm accumulators.  16 accumulators cover 2 FMA
 * pipes x 4-cycle latency twice over; MR = 8 divides the usual token counts (16, 128, 512 ...),
 * so no work is wasted on edge tiles; 12 and 14 are selectable with -DXL_AVX512_MR for tuning.
 * KC = 256: the B micro-panel (256 x 32 floats = 32 KiB) plus the A micro-panel (8 KiB) fit a
 * 48 KiB L1D.  See docs/kernels.md.
 *
 * Compiled without AVX-512 (another architecture, or a compiler without the flags) the file only
 * defines an empty table (ukr == NULL): "not in this build".
 */
#include "xl_kernels_impl.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>
#include <math.h>

#ifndef XL_AVX512_MR
#define XL_AVX512_MR 8
#endif
#define NR 32
/* B prefetch distance in k steps (32 x 128 B = 4 KiB ahead).  With few rows (16 tokens) each B
 * micro-panel is used by one or two micro-kernel calls, so the GEMM streams the weights from
 * memory; without this the kernel waited on the loads (MiniLM weights, M = 16: 4.6 -> 2.5 ms). */
#ifndef XL_AVX512_BPF
#define XL_AVX512_BPF 32
#endif
#ifndef XL_AVX512_KC
#define XL_AVX512_KC 256
#endif

#if XL_AVX512_MR == 8
#define ROWS(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7)
#elif XL_AVX512_MR == 12
#define ROWS(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)
#elif XL_AVX512_MR == 14
#define ROWS(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13)
#else
#error "XL_AVX512_MR must be 8, 12 or 14"
#endif

/* C[MR,32] = alpha * A[MR,kc] B[kc,32] + beta * C, with A[i,p] = a[i*rs_a + p*cs_a] (packed A
 * micro-panel: rs_a = 1, cs_a = MR; A read in place from row-major rows: rs_a = lda, cs_a = 1)
 * and B[p,0..32) = b + p*ldb (packed micro-panel: ldb = 32).  Both forms do the same FMAs in the
 * same order, so they give bit-identical results. */
static inline void ukr_body(size_t kc, const float *a, size_t rs_a, size_t cs_a, const float *b, size_t ldb, float *c,
                            size_t ldc, float alpha, float beta)
{
#define DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
    ROWS(DECL)
#undef DECL
    /* start fetching the C tile now: with large outputs (8 x 128 tokens x FFN 3072) it has left the
     * caches by the time the next K block updates it, and the load at the end would stall */
#define PREFETCH_C(i) _mm_prefetch((const char *)(c + (size_t)(i) * ldc), _MM_HINT_T0), \
                      _mm_prefetch((const char *)(c + (size_t)(i) * ldc + 16), _MM_HINT_T0);
    ROWS(PREFETCH_C)
#undef PREFETCH_C
    for (size_t p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        _mm_prefetch((const char *)(b + XL_AVX512_BPF * ldb), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + XL_AVX512_BPF * ldb + 16), _MM_HINT_T0);
#define STEP(i)                                                 \
    {                                                           \
        const __m512 ai = _mm512_set1_ps(a[(size_t)(i) * rs_a]); \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);             \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);             \
    }
        ROWS(STEP)
#undef STEP
        a += cs_a;
        b += ldb;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
#define STORE0(i)                                                              \
    _mm512_storeu_ps(c + (size_t)(i) * ldc, _mm512_mul_ps(va, c##i##0));       \
    _mm512_storeu_ps(c + (size_t)(i) * ldc + 16, _mm512_mul_ps(va, c##i##1));
        ROWS(STORE0)
#undef STORE0
    } else {
        const __m512 vb = _mm512_set1_ps(beta);
#define STOREB(i)                                                                                              \
    {                                                                                                          \
        float *ci = c + (size_t)(i) * ldc;                                                                     \
        _mm512_storeu_ps(ci, _mm512_fmadd_ps(va, c##i##0, _mm512_mul_ps(vb, _mm512_loadu_ps(ci))));           \
        _mm512_storeu_ps(ci + 16, _mm512_fmadd_ps(va, c##i##1, _mm512_mul_ps(vb, _mm512_loadu_ps(ci + 16)))); \
    }
        ROWS(STOREB)
#undef STOREB
    }
}

/* packed A and B micro-panels (xl_kernels_impl.h) */
static void ukr_avx512(size_t kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta)
{
    ukr_body(kc, a, 1, XL_AVX512_MR, b, NR, c, ldc, alpha, beta);
}

/* A read in place (MR rows of stride lda), B a packed micro-panel */
static void ukr_rows_avx512(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc, float alpha,
                            float beta)
{
    ukr_body(kc, a, lda, 1, b, NR, c, ldc, alpha, beta);
}

static double fma_probe(size_t iters, float *sink)
{
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
#define P(i) __m512 a##i = _mm512_set1_ps(sink[0] + (float)(i));
    P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11)
#undef P
    for (size_t it = 0; it < iters; it++) {
#define P(i) a##i = _mm512_fmadd_ps(a##i, m, c);
        P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11)
#undef P
    }
    a0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), _mm512_add_ps(a4, a5));
    a6 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a6, a7), _mm512_add_ps(a8, a9)), _mm512_add_ps(a10, a11));
    _mm512_storeu_ps(sink, _mm512_add_ps(a0, a6));
    return (double)iters * 12.0 * 16.0 * 2.0;
}

/* vector vocabulary for xl_kernels_simd.inc */
#define VW 16
#define VF __m512
#define VM __mmask16
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSET1(x) _mm512_set1_ps(x)
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VMUL _mm512_mul_ps
#define VDIV _mm512_div_ps
#define VMIN _mm512_min_ps
#define VMAX _mm512_max_ps
#define VABS _mm512_abs_ps
#define VFMA _mm512_fmadd_ps
#define VLT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define VSEL(m, t, f) _mm512_mask_blend_ps((m), (f), (t))
#define VALL(m) ((m) == (__mmask16)0xffff)
#define VNONE(m) ((m) == 0)
#define VROUND(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VPOW2N(n) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
#define VHSUM _mm512_reduce_add_ps
#define VHMAX _mm512_reduce_max_ps
#include "xl_kernels_simd.inc"

/* ---- int8 dot products with AVX512_VNNI ----------------------------------------------------------
 * vpdpbusd multiplies 4 unsigned x 4 signed bytes and adds the 4 products to an int32 lane (no
 * intermediate saturation).  qx is made unsigned as qx + 128 (xor 0x80), so each lane sums
 * (qx + 128) * qw; sum_p (qx + 128) qw = sum_p qx qw + 128 * rowsum(qw), corrected per output.
 * Lanes may wrap for very long rows, the true result fits int32 (K <= XL_QMATRIX_MAX_K), and the
 * arithmetic is done modulo 2^32 (unsigned), so the result is exact: equal to the scalar path.
 * 2 rows of A x 4 rows of B, 64 bytes per step: 8 accumulators.  Compiled for the VNNI target
 * only in this function; called only when CPUID reports AVX512_VNNI (xl_kernels_init). */
#if defined(__GNUC__) || defined(__clang__)
#define QDOT_ATTR __attribute__((target("avx512vnni,avx512bw,avx512f")))
#else
#define QDOT_ATTR
#endif
#define QDOT_NAME xl_qdot_avx512vnni
#define QDOT_VEC __m512i
#define QDOT_STEP 64
#define QDOT_ZERO _mm512_setzero_si512
#define QDOT_SET1_8 _mm512_set1_epi8
#define QDOT_LOAD(p) _mm512_load_si512((const void *)(p))
#define QDOT_XOR _mm512_xor_si512
#define QDOT_DPBUSD _mm512_dpbusd_epi32
#define QDOT_HSUM _mm512_reduce_add_epi32
#include "xl_qdot_vnni.inc"

/* AVX512_BF16 micro-kernel (xl_kernels_impl.h: ukr_bf16), MR x 32: per pair step two 64-byte loads of
 * the B pair row (columns 0-15, 16-31: one bf16 pair per 32-bit lane) and MR broadcasts of an A pair,
 * 2 MR vdpbf16ps (32 bf16 multiply-adds each, 2x the float32 FMA's 16).  Its arithmetic is that of
 * the scalar table's ukr_bf16 (tested there bit for bit); compiled for AVX512_BF16 whatever the
 * build flags, called only when the CPU has it (xl_kernels.has_bf16_dot).  Not run on any machine of
 * this project yet (none has AVX512_BF16). */
__attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl")))
static void ukr_bf16_avx512(size_t kq, const unsigned int *a, const unsigned short *b, float *c, size_t ldc,
                            float alpha, float beta)
{
    __m512 acc[XL_AVX512_MR][2];
    for (int i = 0; i < XL_AVX512_MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (size_t q = 0; q < kq; q++, a += XL_AVX512_MR, b += 2 * NR) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)b);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(b + 32));
        for (int i = 0; i < XL_AVX512_MR; i++) {
            const __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < XL_AVX512_MR; i++)
        for (int h = 0; h < 2; h++) {
            float *ci = c + (size_t)i * ldc + 16 * (size_t)h;
            __m512 v = _mm512_mul_ps(va, acc[i][h]);
            if (beta != 0.0f) v = _mm512_add_ps(v, _mm512_mul_ps(vb, _mm512_loadu_ps(ci)));
            _mm512_storeu_ps(ci, v);
        }
}

/* AVX512_VNNI int8 peak probe: 12 independent vpdpbusd chains (64 u8 x s8 multiply-adds into int32
 * each), no loads; returns the int8 operations done.  Used only when the CPU has VNNI. */
__attribute__((target("avx512vnni,avx512bw,avx512f")))
static double qpeak_probe_vnni(size_t iters, float *sink)
{
    const __m512i b = _mm512_set1_epi8(3);
    const __m512i a = _mm512_set1_epi8((char)(1 + (int)(sink[0] != 0.0f)));
#define P(i) __m512i c##i = _mm512_set1_epi32(i);
    P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11)
#undef P
    for (size_t it = 0; it < iters; it++) {
#define P(i) c##i = _mm512_dpbusd_epi32(c##i, a, b);
        P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9) P(10) P(11)
#undef P
    }
    c0 = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)), _mm512_add_epi32(c4, c5));
    c6 = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c6, c7), _mm512_add_epi32(c8, c9)), _mm512_add_epi32(c10, c11));
    sink[1] = (float)_mm512_reduce_add_epi32(_mm512_add_epi32(c0, c6));
    return (double)iters * 12.0 * 64.0 * 2.0;
}

const xl_kernel_table xl_kernel_table_avx512 = {
    .path = XL_SIMD_AVX512,
    .mr = XL_AVX512_MR,
    .nr = NR,
    .mc = 192 / XL_AVX512_MR * XL_AVX512_MR,
    .kc = XL_AVX512_KC,
    .nc = 1024,
    .ukr = ukr_avx512,
    .ukr_rows = ukr_rows_avx512,
    .bias_gelu = simd_bias_gelu,
    .gelu_grad = simd_gelu_grad,
    .add_layernorm = simd_add_layernorm,
    .softmax = simd_softmax,
    .dot = simd_dot,
    .axpy = simd_axpy,
    .scal = simd_scal,
    .fma_probe = fma_probe,
    .qdot = xl_qdot_avx2, /* AVX-512 CPUs have AVX2 */
    .qpanel = xl_qpanel_avx2,
    .qepilogue = xl_qepilogue_avx2,
    .pack_bt = xl_pack_bt_avx2, /* NR = 32: four 8-float runs per panel row */
    .quantize_row = xl_quantize_row_avx2,
    .qdot_vnni = xl_qdot_avx512vnni,
    .widen16 = xl_widen16_avx2,
    .qpeak_probe = xl_qpeak_probe_avx2,
    .qpeak_probe_vnni = qpeak_probe_vnni,
    .ukr_bf16 = ukr_bf16_avx512,
};

#else
const xl_kernel_table xl_kernel_table_avx512 = {.path = XL_SIMD_AVX512}; /* not in this build */
#endif
