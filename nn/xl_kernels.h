/* xl_kernels.h - float32 tensor kernels for the transformer encoder: a blocked, packed SGEMM
 * (BLIS/GotoBLAS style) and fused elementwise ops, with AVX-512F, AVX2+FMA, NEON and portable
 * scalar code paths chosen at run time.
 *
 * Contract
 *   - All matrices are row-major float32.  "A[M,K]" means M rows of K floats, row i starting at
 *     A + i*lda (lda >= K).  Sizes of 0 are allowed and do nothing (beta is still applied to C
 *     when K == 0, as BLAS does).
 *   - A kernel context (xl_kernels) is set up once by xl_kernels_init: it holds the chosen code
 *     path, per-thread packing workspaces and a persistent thread pool (max_threads - 1 workers,
 *     sleeping between calls).  The GEMM calls write into that workspace and every threaded call
 *     uses the pool, so one context must not be used by two caller threads at the same time
 *     (give each its own; a clash falls back to starting threads, it never deadlocks).
 *   - Threads are explicit: every call that can run in parallel takes `n_threads` (>= 1; values
 *     above the context's max_threads are clamped to it).  Work is split with the context's pool
 *     (xl_pool_run, src/core/xl_thread.h) over output tiles/rows (attention: (sequence, head)
 *     pairs) only, so results are bit-identical for any thread count.
 *   - Apart from xl_kernels_init / xl_pack_b (which allocate and may fail), kernels cannot fail
 *     and return nothing; invalid sizes (ld < columns, NULL with non-zero size) are caller bugs.
 *   - Path selection: XL_SIMD_AUTO picks $XLREC_SIMD when set (scalar|avx2|avx512|neon, read once
 *     in xl_kernels_init), else the best path this binary was built with and this CPU/OS
 *     supports (x86-64: CPUID + XGETBV so the OS saves the AVX/AVX-512 state).  Requesting a
 *     path that is not available is an error naming the path.  There is no hidden mutable
 *     global state: each path's dispatch table is a read-only constant.
 *   - Accuracy: GEMMs accumulate in float with FMA (blocked along K, so results differ from a
 *     naive loop by normal rounding, about K * 2^-24 relative in the worst case).  GELU, softmax,
 *     LayerNorm and L2 normalisation stay within about 1e-6 relative (plus ~1e-7 absolute near
 *     zeros / cancellations) of a double-precision reference on every path.
 *
 * Design, blocking parameters and measured speed: docs/kernels.md.
 */
#ifndef XL_KERNELS_H
#define XL_KERNELS_H

#include <stddef.h>

#include "xl_error.h"

/* ---- code paths and the kernel context ------------------------------------------------------ */

typedef enum xl_simd_path {
    XL_SIMD_AUTO = 0, /* only as a request to xl_kernels_init */
    XL_SIMD_SCALAR,   /* portable C11, any CPU */
    XL_SIMD_AVX2,     /* x86-64 AVX2 + FMA (6x16 micro-kernel) */
    XL_SIMD_AVX512,   /* x86-64 AVX-512F (register-blocked 32-wide micro-kernel) */
    XL_SIMD_NEON      /* AArch64 / ARMv7 NEON (with FMA where __ARM_FEATURE_FMA) */
} xl_simd_path;

#define XL_SIMD_PATH_COUNT 5

struct xl_kernel_table; /* per-path function table, internal (nn/xl_kernels_impl.h) */

typedef struct xl_kernels {
    xl_simd_path path;                  /* the path in use (never XL_SIMD_AUTO after init) */
    const struct xl_kernel_table *impl; /* read-only dispatch table of that path */
    int max_threads;                    /* workspaces allocated for this many threads */
    float *workspace;                   /* per-thread packing buffers (GEMM only), 64-byte aligned */
    size_t workspace_per_thread;        /* floats per thread in `workspace` */
    struct xl_pool *pool;               /* persistent workers (max_threads > 1), or NULL */
    int has_vnni;                       /* path avx512 on a CPU with AVX512_VNNI, or path avx2 on one with AVX-VNNI:
                                         * xl_qlinear uses vpdpbusd (may be cleared to force the maddubs kernel) */
    int has_dotprod;                    /* path neon on a CPU with the Arm dot-product extension (FEAT_DotProd):
                                         * xl_qlinear uses sdot; 0 = plain NEON int8 (may be cleared to force it) */
    int has_bf16_dot;                   /* path avx512 on a CPU with AVX512_BF16: linear layers with weights packed
                                         * BF16 (xl_pack_b16) run vdpbf16ps on activations rounded to bf16
                                         * (xl_sgemm_packed).  Tests set it on the scalar path, whose kernel is
                                         * the exact emulation; clear it to widen BF16 weights to float32 */
} xl_kernels;

/* "scalar", "avx2", "avx512", "neon" ("auto" for XL_SIMD_AUTO). */
const char *xl_simd_path_name(xl_simd_path path);
/* Parse one of the names above; returns 0, or -1 with a message listing the valid names. */
int xl_simd_path_parse(const char *name, xl_simd_path *out, xl_error *err);
/* 1 when the path is compiled into this binary and supported by this CPU and OS. */
int xl_simd_path_available(xl_simd_path path);
/* The fastest available path (what XL_SIMD_AUTO picks when $XLREC_SIMD is unset). */
xl_simd_path xl_simd_path_best(void);

/* Set up a context for `requested` (XL_SIMD_AUTO: $XLREC_SIMD if set, else the best path) with
 * workspaces for up to `max_threads` threads (0: xl_cpu_count()).  Returns 0, or -1 when the
 * path is unknown/unavailable or memory runs out.  Release with xl_kernels_free. */
int xl_kernels_init(xl_kernels *k, xl_simd_path requested, int max_threads, xl_error *err);
void xl_kernels_free(xl_kernels *k);
/* A one-thread view of k for thread `tid` (0 <= tid < k->max_threads) of a pool job: calls made
 * through it run on the calling thread, use only that thread's workspace slot and never the pool,
 * so the threads of one xl_pool_run may each run their own kernels (many small GEMMs, one per
 * sequence) concurrently.  Nothing to free; valid while k is. */
xl_kernels xl_kernels_thread_view(const xl_kernels *k, int tid);

/* ---- SGEMM ---------------------------------------------------------------------------------- */

typedef enum xl_trans {
    XL_NO_TRANS = 0, /* op(B) = B, stored [K,N] with row stride ldb */
    XL_TRANS = 1     /* op(B) = B^T, B stored [N,K] with row stride ldb (nn.Linear weight [out,in]) */
} xl_trans;

/* Activation applied by the GEMM epilogue to each finished output tile (while it is in cache). */
typedef enum xl_act {
    XL_ACT_NONE = 0,
    XL_ACT_GELU, /* exact erf GELU: 0.5 x (1 + erf(x / sqrt 2))  (HF "gelu") */
    XL_ACT_TANH  /* tanh (BERT pooler, distiluse Dense) */
} xl_act;

/* C[M,N] = alpha * A[M,K] * op(B) + beta * C[M,N].
 * B is packed on the fly (cost ~K*N per call, amortised over M); for constant weights use
 * xl_pack_b + xl_sgemm_packed.  beta == 0 means C is write-only (NaNs in C are not read).
 * Parallel over output tiles. */
void xl_sgemm(xl_kernels *k, int n_threads, xl_trans trans_b, size_t M, size_t N, size_t K, float alpha,
              const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc);

/* C[M,N] = alpha * op(A) * op(B) + beta * C[M,N], op(A) = A[M,K] (XL_NO_TRANS) or A^T with A
 * stored [K,M] (XL_TRANS, row stride lda >= M): the weight gradient of a linear layer,
 * dW[out,in] += dY[T,out]^T X[T,in], is xl_sgemm_ex(XL_TRANS, XL_NO_TRANS, out, in, T, ...).
 * A transposed A is packed into the micro-kernel's row panels (each step copies MR contiguous
 * floats), so every path's micro-kernel runs it; same splitting as xl_sgemm (thread-count
 * independent results).  xl_sgemm is xl_sgemm_ex with XL_NO_TRANS for A. */
void xl_sgemm_ex(xl_kernels *k, int n_threads, xl_trans trans_a, xl_trans trans_b, size_t M, size_t N, size_t K,
                 float alpha, const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc);

/* `batch` independent GEMMs of the same shape, matrix b using A + b*stride_a, B + b*stride_b,
 * C + b*stride_c (attention: per (sequence, head), Q K^T with XL_TRANS and P V with
 * XL_NO_TRANS, the heads being column slices of the QKV buffer via lda/ldb and the strides).
 * Parallel over the batch (each GEMM on one thread), so it suits many small GEMMs. */
void xl_sgemm_batched(xl_kernels *k, int n_threads, xl_trans trans_b, size_t batch, size_t M, size_t N, size_t K,
                      float alpha, const float *A, size_t lda, size_t stride_a, const float *B, size_t ldb,
                      size_t stride_b, float beta, float *C, size_t ldc, size_t stride_c);

/* xl_sgemm_batched with op(A) as in xl_sgemm_ex (attention backward: dV_h = P^T dctx_h). */
void xl_sgemm_batched_ex(xl_kernels *k, int n_threads, xl_trans trans_a, xl_trans trans_b, size_t batch, size_t M,
                         size_t N, size_t K, float alpha, const float *A, size_t lda, size_t stride_a, const float *B,
                         size_t ldb, size_t stride_b, float beta, float *C, size_t ldc, size_t stride_c);

/* Multi-head scaled dot-product attention (Vaswani et al. 2017; HF BertSelfAttention) over a batch
 * of sequences packed back to back.  Sequence s has rows off[s] .. off[s]+len[s] of Q, K, V (row
 * stride ld_qkv; head h = columns h*head_dim .. +head_dim of each), and for every head h:
 *   P = softmax(scale * Q_h K_h^T + mask[s])   stored at att + att_off[s] + h*len[s]^2, [len, len]
 *   ctx[rows of s, h*head_dim ..] = P V_h      (ctx row stride ld_ctx)
 * att may be NULL when the probabilities are not needed (inference): each block of query rows then
 * goes through a per-thread scratch of the workspace that stays in L2, instead of through a
 * sum_s heads*len[s]^2 buffer (100 MB for 8 x 512 tokens x 12 heads) that leaves the caches; ctx
 * is bit-identical either way.  With att == NULL every len[s] must be at most
 * XL_ATTENTION_SCRATCH_MAX_LEN (a larger one is a caller bug and aborts).  ctx may be NULL when att
 * is not: the probabilities only (training with attention dropout computes dropout(P) V itself).
 * mask is NULL or one additive row of len[s] floats per sequence (an entry may be NULL).  One
 * parallel region over all (sequence, head) pairs, each pair computed whole by one thread (its
 * scores stay in cache between the three steps), so results do not depend on n_threads; the
 * arithmetic is that of xl_sgemm_batched + xl_softmax_rows + xl_sgemm_batched, bit for bit. */
#define XL_ATTENTION_SCRATCH_MAX_LEN 32768
void xl_attention(xl_kernels *k, int n_threads, size_t n_seq, const size_t *off, const size_t *len,
                  const size_t *att_off, const float *const *mask, size_t n_heads, size_t head_dim, float scale,
                  const float *q, const float *kk, const float *v, size_t ld_qkv, float *att, float *ctx,
                  size_t ld_ctx);

/* A constant right-hand operand op(B)[K,N] pre-packed into the micro-kernel's panel layout:
 * ceil(N/nr) column panels, panel p holding op(B)[0..K, p*nr .. p*nr+nr) as K rows of nr
 * contiguous floats (zero-padded past N).  Build it once per weight at model load. */
/* Element type of a packed matrix: float32, or 16-bit weights kept as stored in a model file and
 * converted to float32 in the GEMM's packing step (one KC x NR micro-panel at a time, exactly:
 * IEEE binary16 and bfloat16 are subsets of binary32), so the product equals the one on a widened
 * float32 copy bit for bit and the weights take half the memory. */
typedef enum xl_elem {
    XL_ELEM_F32 = 0,
    XL_ELEM_F16 = 1, /* IEEE binary16 bit patterns */
    XL_ELEM_BF16 = 2 /* bfloat16 (upper half of a binary32) bit patterns */
} xl_elem;

typedef struct xl_packed_matrix {
    size_t k, n;       /* op(B) is [K,N] */
    size_t nr;         /* panel width (the micro-kernel's NR of `path`) */
    xl_simd_path path; /* path it was packed for; another path still works (slower fallback) */
    xl_elem elem;      /* XL_ELEM_F32: `data`; F16 / BF16: `data16` */
    float *data;       /* ceil(n/nr) * k * nr floats, 64-byte aligned (2 MiB for large ones) */
    /* 16-bit form (xl_pack_b16): ceil(n/nr) panels of kp = round_up(k, 2) rows; rows 2q and 2q+1 of
     * a panel are interleaved as pairs (the operand order of AVX512_BF16's vdpbf16ps):
     * data16[jp*kp*nr + q*2*nr + 2*j + e] = op(B)[2q + e, jp*nr + j], zero past k and n */
    unsigned short *data16;
    void *block;       /* the allocation holding data (owned; xl_packed_free releases it) */
} xl_packed_matrix;

/* Pack op(B): trans == XL_TRANS for an nn.Linear weight W[N=out, K=in] (row stride ldb >= K);
 * XL_NO_TRANS for B[K,N] (ldb >= N).  Returns 0 or -1 (out of memory / size overflow). */
int xl_pack_b(const xl_kernels *k, xl_trans trans, size_t K, size_t N, const float *B, size_t ldb,
              xl_packed_matrix *out, xl_error *err);
void xl_packed_free(xl_packed_matrix *p);
/* Pack an nn.Linear weight W[N=out, K=in] (row stride ldb >= K) stored as 16-bit elements (elem
 * XL_ELEM_F16 or XL_ELEM_BF16, host-order bit patterns) without widening it: the packed matrix
 * keeps 16 bits per weight and xl_sgemm_packed / xl_linear convert each micro-panel to float32
 * when they use it.  Results equal those on xl_pack_b of the widened weight, bit for bit. */
int xl_pack_b16(const xl_kernels *k, size_t K, size_t N, const unsigned short *W, size_t ldb, xl_elem elem,
                xl_packed_matrix *out, xl_error *err);
/* Exact conversions of one 16-bit element (the scalar reference of every path's conversion). */
float xl_elem16_to_float(unsigned short v, xl_elem elem);
/* Repack op(B) into p (already packed by xl_pack_b with the same K, N, trans and context) after the
 * weights changed (an optimiser step): no allocation, O(K*N). */
void xl_pack_b_refresh(const xl_kernels *k, xl_trans trans, const float *B, size_t ldb, xl_packed_matrix *p);

/* C[M,N] = act(alpha * A[M,K] * op(B) + beta * C + bias[N]); bias may be NULL.
 * Parallel over output tiles.  This is the fast path for all projection and FFN layers. */
void xl_sgemm_packed(xl_kernels *k, int n_threads, size_t M, float alpha, const float *A, size_t lda,
                     const xl_packed_matrix *B, float beta, float *C, size_t ldc, const float *bias, xl_act act);

/* nn.Linear: Y[M,out] = act(X[M,in] * W^T + bias), W packed from [out,in]; X, Y dense rows. */
void xl_linear(xl_kernels *k, int n_threads, const float *X, size_t M, const xl_packed_matrix *W, const float *bias,
               xl_act act, float *Y);

/* The FMA peak of this path, measured: n_threads threads each run a pure FMA loop (12
 * independent chains of full vectors) for about `seconds`; returns GFLOP/s of all threads together.
 * Used by the benchmark to report the % of peak the GEMM reaches. */
double xl_kernels_fma_peak_gflops(xl_kernels *k, int n_threads, double seconds);
/* The int8 multiply-accumulate peak of this path, measured the same way (AVX2: vpmaddubsw + vpmaddwd
 * + vpaddd chains; AVX-512 with VNNI: vpdpbusd chains): GOP/s (2 per multiply-add) of all threads,
 * or 0 where the path has no int8 probe (scalar, NEON). */
double xl_kernels_int8_peak_gops(xl_kernels *k, int n_threads, double seconds);

/* ---- int8 linear layers (dynamic quantisation; issue 19) ------------------------------------
 * Weights: symmetric int8 with one float scale per output channel (the model file's I8 layout,
 * docs/model-format.md); activations: quantised per row at run time the same way
 * (s_x = max|x| / 127, q = round(x / s_x), half away from zero; a zero row gets s_x = 1).  The
 * integer dot products are exact in int32 (K <= XL_QMATRIX_MAX_K) and the float epilogue
 *     Y[m, n] = act((float)sum_k qx[m,k] qw[n,k] * (s_x[m] * s_w[n]) + bias[n])
 * is computed by the same code on every path, so every path and thread count gives the same
 * bits (GELU: the path's own, as xl_bias_gelu).  A row of X holding Inf/NaN gives a NaN row.
 * Paths: scalar reference; AVX2 (and AVX-512 without VNNI): vpsignb + vpmaddubsw + vpmaddwd
 * with |qx| as the unsigned operand (pair sums <= 2*127*127 cannot saturate int16: why -128 is
 * excluded), or, for weights whose pairs have |w| + |w'| <= 128 (7-bit files: `xlrec quantize
 * --weight-bits 7`), the u8 x s8 panel kernel (xl_qmatrix.panel; exact too); AVX-512 with AVX512_VNNI (CPUID, checked at xl_kernels_init): vpdpbusd on qx + 128
 * (unsigned) and qw, minus 128 * rowsum(qw), in wrapping int32 (exact); NEON: the scalar code. */
#define XL_QMATRIX_MAX_K 131072u /* K * 127 * 127 < 2^31 */

typedef struct xl_qmatrix {
    size_t n, k;        /* W is [n = out, k = in] */
    size_t kp;          /* row stride of q: k rounded up to 64, zero-padded */
    signed char *q;     /* [n][kp] int8 in [-127, 127], 64-byte aligned */
    float *scale;       /* [n] per-output-channel scales, > 0 */
    int *rowsum;        /* [n] sum of each row of q (the VNNI kernel's offset correction) */
    void *block;        /* the allocation holding q, scale and rowsum */
    /* x86-64 builds only (NULL elsewhere): q again in the AVX2 u8 x s8 kernel's layout, built at
     * creation (xl_kernels.c: qmatrix_panels; docs/kernels.md).  16-column panels, 4 k per column
     * together: panel[g][p/4][j][p%4] = main(q[16g + j, p]) where main = q except that in each pair
     * (p = 2t, 2t+1) with |q| + |q'| > 128 the larger is pulled towards 0 until the pair sums to
     * 128 (so vpmaddubsw on an unsigned 0..255 operand cannot saturate); the differences q - main
     * are kept as a sparse list per column (fix_*), pcorr[j] = -128 * sum_p main[j, p] (mod 2^32).
     * A panel with more than kp/16 differences is not used (panel_ok 0: q and the exact
     * vpsignb kernel). */
    signed char *panel;      /* [ceil(n/16)][kp/4][16][4], 64-byte aligned, zero past n */
    int *pcorr;              /* [ceil(n/16) * 16] */
    unsigned char *panel_ok; /* [ceil(n/16)] */
    size_t *fix_start;       /* [n + 1]: column j's differences are fix_k/fix_w[fix_start[j] .. fix_start[j+1]) */
    unsigned *fix_k;         /* in-dimension index of each difference */
    signed char *fix_w;      /* q - main there */
} xl_qmatrix;

/* From a stored I8 tensor (xl_tensor.stored / .scales of a [n, k] weight): copies into the
 * padded layout.  Returns 0 or -1 (memory, k above XL_QMATRIX_MAX_K). */
int xl_qmatrix_from_i8(size_t n, size_t k, const signed char *q, const float *scale, xl_qmatrix *out, xl_error *err);
/* Quantise a float32 weight W[n, k] (row stride ldw) per output channel, as `xlrec quantize`
 * does (scale = max|row| / 127, 1 for a zero row).  Non-finite weights are an error. */
int xl_qmatrix_quantize(size_t n, size_t k, const float *w, size_t ldw, xl_qmatrix *out, xl_error *err);
void xl_qmatrix_free(xl_qmatrix *m);

/* nn.Linear in int8: Y[M, W->n] = act(dequant(quant(X[M, W->k]) Wq^T) + bias); X, Y dense rows.
 * Parallel over (row block, column block) tiles; uses the context's workspace. */
void xl_qlinear(xl_kernels *k, int n_threads, const float *X, size_t M, const xl_qmatrix *W, const float *bias,
                xl_act act, float *Y);

/* ---- fused elementwise ops (rows of a row-major matrix; parallel over rows) ------------------- */

/* x[r, c] = gelu(x[r, c] + bias[c]) for r < rows, c < cols; exact erf GELU; bias may be NULL. */
void xl_bias_gelu(const xl_kernels *k, int n_threads, float *x, size_t rows, size_t cols, size_t ldx,
                  const float *bias);

/* y[r] = LayerNorm(x[r] + residual[r]) * gamma + beta over `cols` (two-pass mean/variance in
 * float, biased variance, 1/sqrt(var + eps)); residual may be NULL; y may alias x or residual.
 * All four matrices are dense (row stride = cols). */
void xl_add_layernorm(const xl_kernels *k, int n_threads, const float *x, const float *residual, const float *gamma,
                      const float *beta, float eps, size_t rows, size_t cols, float *y);

/* x[r] = softmax(scale * x[r] + mask) over `cols`, in place; mask is one additive row of `cols`
 * floats shared by all rows (HF extended attention mask: 0 keep, large negative drop), or NULL.
 * A row whose entries are all -inf gives zeros, not NaN. */
void xl_softmax_rows(const xl_kernels *k, int n_threads, float *x, size_t rows, size_t cols, size_t ldx, float scale,
                     const float *mask);

/* Elementwise activations over n contiguous floats, in place. */
void xl_gelu(const xl_kernels *k, float *x, size_t n);
void xl_tanh(const xl_kernels *k, float *x, size_t n);

/* x[r] /= max(||x[r]||_2, 1e-12) for each row (torch.nn.functional.normalize). */
void xl_l2_normalize(const xl_kernels *k, float *x, size_t rows, size_t cols);

/* Top-K scoring helpers. */
float xl_dot(const xl_kernels *k, const float *a, const float *b, size_t n);
void xl_axpy(const xl_kernels *k, size_t n, float alpha, const float *x, float *y); /* y += alpha*x */

#endif /* XL_KERNELS_H */
