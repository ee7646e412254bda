/* xl_kernels_neon.c - the NEON path (AArch64: NEON and FMA are part of the base ISA).
 *
 * Micro-kernel 8 x 8: per k step two 4-float loads of B and two of A, 16 lane-indexed FMAs
 * (vfmaq_laneq_f32) into 16 q-register accumulators.  32-bit ARM uses the scalar path.
 *
 * Elsewhere the file only defines an empty table (ukr == NULL).
 */
#include "xl_kernels_impl.h"

#if defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>

/* The sdot kernel needs a compiler that can target the dot-product extension per function (GCC >= 10,
 * target("arch=armv8.2-a+dotprod"); left out with clang for now).  -DXL_NEON_DOTPROD=0 leaves it out. */
#ifndef XL_NEON_DOTPROD
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#define XL_NEON_DOTPROD 1
#else
#define XL_NEON_DOTPROD 0
#endif
#endif

#define MR 8
#define NR 8

/* C[8,8] = alpha * A~[8,kc] B~[kc,8] + beta * C (packed panels, see xl_kernels_impl.h) */
static void ukr_neon(size_t kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta)
{
    float32x4_t acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
    for (size_t p = 0; p < kc; p++) {
        const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
        const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
#define ROW(i, av, lane)                                       \
    acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, av, lane);      \
    acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, av, lane);
        ROW(0, a0, 0) ROW(1, a0, 1) ROW(2, a0, 2) ROW(3, a0, 3)
        ROW(4, a1, 0) ROW(5, a1, 1) ROW(6, a1, 2) ROW(7, a1, 3)
#undef ROW
        a += MR;
        b += NR;
    }
    for (int i = 0; i < MR; i++) {
        float *ci = c + (size_t)i * ldc;
        float32x4_t r0 = vmulq_n_f32(acc[i][0], alpha), r1 = vmulq_n_f32(acc[i][1], alpha);
        if (beta != 0.0f) {
            r0 = vfmaq_n_f32(r0, vld1q_f32(ci), beta);
            r1 = vfmaq_n_f32(r1, vld1q_f32(ci + 4), beta);
        }
        vst1q_f32(ci, r0);
        vst1q_f32(ci + 4, r1);
    }
}

static double fma_probe(size_t iters, float *sink)
{
    float32x4_t a[12];
    for (int i = 0; i < 12; i++) a[i] = vdupq_n_f32(sink[0] + (float)i);
    const float32x4_t m = vdupq_n_f32(0.999999f), c = vdupq_n_f32(1e-7f);
    for (size_t it = 0; it < iters; it++)
        for (int i = 0; i < 12; i++) a[i] = vfmaq_f32(c, a[i], m);
    for (int i = 1; i < 12; i++) a[0] = vaddq_f32(a[0], a[i]);
    vst1q_f32(sink, a[0]);
    return (double)iters * 12.0 * 4.0 * 2.0;
}

/* vector vocabulary for xl_kernels_simd.inc */
#define VW 4
#define VF float32x4_t
#define VM uint32x4_t
#define VLOAD(p) vld1q_f32(p)
#define VSTORE(p, v) vst1q_f32((p), (v))
#define VSET1(x) vdupq_n_f32(x)
#define VADD vaddq_f32
#define VSUB vsubq_f32
#define VMUL vmulq_f32
#define VDIV vdivq_f32
#define VMIN vminq_f32
#define VMAX vmaxq_f32
#define VABS vabsq_f32
#define VFMA(a, b, c) vfmaq_f32((c), (a), (b))
#define VLT(a, b) vcltq_f32((a), (b))
#define VSEL(m, t, f) vbslq_f32((m), (t), (f))
#define VALL(m) (vminvq_u32(m) != 0)
#define VNONE(m) (vmaxvq_u32(m) == 0)
#define VROUND(x) vrndnq_f32(x)
#define VPOW2N(n) vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23))
#define VHSUM vaddvq_f32
#define VHMAX vmaxvq_f32
#include "xl_kernels_simd.inc"

/* ---- int8 dot products (xl_kernels_impl.h: qdot) ---------------------------------------------
 * 2 rows of A x 4 rows of B per block, 16 bytes per step, 8 int32x4 accumulators; exact int32 sums,
 * so every variant equals the scalar reference bit for bit.
 *   plain NEON (ARMv8.0): vmull_s8 on the low 8 bytes, vmlal_s8 adds the high 8 into the same int16
 *     lanes (two products of [-127, 127] values: |sum| <= 2 * 127 * 127 = 32258, no overflow, the
 *     reason -128 is excluded), vpadalq_s16 widens pairwise into the int32 accumulator;
 *   sdot (ARMv8.2 dot product, FEAT_DotProd; AT_HWCAP ASIMDDP): vdotq_s32 adds four int8 x int8
 *     products per int32 lane, 16 multiply-adds per instruction. */
static inline int32x4_t qstep_neon(int32x4_t acc, int8x16_t a, int8x16_t b)
{
    int16x8_t t = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    t = vmlal_s8(t, vget_high_s8(a), vget_high_s8(b));
    return vpadalq_s16(acc, t);
}

#define QDOT_BODY(STEP)                                                                                     \
    (void)bsum;                                                                                             \
    size_t i = 0;                                                                                           \
    for (; i + 2 <= m; i += 2) {                                                                            \
        const signed char *a0 = a + i * lda, *a1 = a0 + lda;                                                \
        size_t j = 0;                                                                                       \
        for (; j + 4 <= n; j += 4) {                                                                        \
            const signed char *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;            \
            int32x4_t c00 = vdupq_n_s32(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, \
                      c13 = c00;                                                                            \
            for (size_t p = 0; p < kp; p += 16) {                                                           \
                const int8x16_t x0 = vld1q_s8(a0 + p), x1 = vld1q_s8(a1 + p);                               \
                int8x16_t w = vld1q_s8(b0 + p);                                                             \
                c00 = STEP(c00, x0, w), c10 = STEP(c10, x1, w);                                             \
                w = vld1q_s8(b1 + p);                                                                       \
                c01 = STEP(c01, x0, w), c11 = STEP(c11, x1, w);                                             \
                w = vld1q_s8(b2 + p);                                                                       \
                c02 = STEP(c02, x0, w), c12 = STEP(c12, x1, w);                                             \
                w = vld1q_s8(b3 + p);                                                                       \
                c03 = STEP(c03, x0, w), c13 = STEP(c13, x1, w);                                             \
            }                                                                                               \
            int *r0 = c + i * ldc + j, *r1 = r0 + ldc;                                                      \
            r0[0] = vaddvq_s32(c00), r0[1] = vaddvq_s32(c01), r0[2] = vaddvq_s32(c02), r0[3] = vaddvq_s32(c03); \
            r1[0] = vaddvq_s32(c10), r1[1] = vaddvq_s32(c11), r1[2] = vaddvq_s32(c12), r1[3] = vaddvq_s32(c13); \
        }                                                                                                   \
        for (; j < n; j++) {                                                                                \
            int32x4_t c0 = vdupq_n_s32(0), c1 = c0;                                                         \
            for (size_t p = 0; p < kp; p += 16) {                                                           \
                const int8x16_t w = vld1q_s8(b + j * ldb + p);                                              \
                c0 = STEP(c0, vld1q_s8(a0 + p), w), c1 = STEP(c1, vld1q_s8(a1 + p), w);                     \
            }                                                                                               \
            c[i * ldc + j] = vaddvq_s32(c0), c[(i + 1) * ldc + j] = vaddvq_s32(c1);                         \
        }                                                                                                   \
    }                                                                                                       \
    for (; i < m; i++)                                                                                      \
        for (size_t j = 0; j < n; j++) {                                                                    \
            int32x4_t c0 = vdupq_n_s32(0);                                                                  \
            for (size_t p = 0; p < kp; p += 16) c0 = STEP(c0, vld1q_s8(a + i * lda + p), vld1q_s8(b + j * ldb + p)); \
            c[i * ldc + j] = vaddvq_s32(c0);                                                                \
        }

static void qdot_neon(size_t m, size_t n, size_t kp, const signed char *a, size_t lda, const signed char *b, size_t ldb,
                      const int *bsum, int *c, size_t ldc)
{
    QDOT_BODY(qstep_neon)
}

#if XL_NEON_DOTPROD
/* Compiled for the dot-product extension whatever -march the build uses; called only when the CPU
 * reports it (xl_kernels.has_dotprod). */
#define QSTEP_SDOT(acc, a, b) vdotq_s32((acc), (a), (b))
__attribute__((target("arch=armv8.2-a+dotprod"))) static void qdot_neon_sdot(size_t m, size_t n, size_t kp, const signed char *a,
                                                               size_t lda, const signed char *b, size_t ldb,
                                                               const int *bsum, int *c, size_t ldc)
{
    QDOT_BODY(QSTEP_SDOT)
}
#endif

/* 16-bit packed pair rows to float32 (xl_kernels_impl.h: widen16): vld2q_u16 splits 8 pairs into
 * the even and odd rows; bf16 is a 16-bit left shift, f16 an exact vcvt_f32_f16.  nr % 8 == 0. */
static void widen16_neon(const unsigned short *src, size_t kpairs, size_t nr, int elem, float *dst)
{
    for (size_t q = 0; q < kpairs; q++, src += 2 * nr, dst += 2 * nr)
        for (size_t j = 0; j < nr; j += 8) {
            uint16x8x2_t v = vld2q_u16(src + 2 * j);
            for (int e = 0; e < 2; e++) {
                float *d = dst + (size_t)e * nr + j;
                if (elem == XL_ELEM_BF16) {
                    vst1q_f32(d, vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(v.val[e]), 16)));
                    vst1q_f32(d + 4, vreinterpretq_f32_u32(vshll_n_u16(vget_high_u16(v.val[e]), 16)));
                } else {
                    vst1q_f32(d, vcvt_f32_f16(vreinterpret_f16_u16(vget_low_u16(v.val[e]))));
                    vst1q_f32(d + 4, vcvt_f32_f16(vreinterpret_f16_u16(vget_high_u16(v.val[e]))));
                }
            }
        }
}

const xl_kernel_table xl_kernel_table_neon = {
    .path = XL_SIMD_NEON,
    .mr = MR,
    .nr = NR,
    .mc = 128,
    .kc = 256,
    .nc = 1024,
    .ukr = ukr_neon,
    .bias_gelu = simd_bias_gelu,
    .gelu_grad = simd_gelu_grad,
    .add_layernorm = simd_add_layernorm,
    .softmax = simd_softmax,
    .dot = simd_dot,
    .axpy = simd_axpy,
    .scal = simd_scal,
    .fma_probe = fma_probe,
    .widen16 = widen16_neon,
    .qdot = qdot_neon,
#if XL_NEON_DOTPROD
    .qdot_vnni = qdot_neon_sdot,
#endif
};

#else
const xl_kernel_table xl_kernel_table_neon = {.path = XL_SIMD_NEON}; /* not in this build */
#endif
