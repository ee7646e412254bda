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
};

#else
const xl_kernel_table xl_kernel_table_neon = {.path = XL_SIMD_NEON}; /* not in this build */
#endif
