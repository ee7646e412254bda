/* xl_backprop.h - the backward pass of each op of the encoder forward pass, one function per op,
 * for the training code (nn/bert_train.c) and the per-op finite-difference tests
 * (tests/test_backprop.c).  Formulas with each function and in docs/training.md ("Backward pass").
 *
 * Contract
 *   - Shapes are given in the comments; all buffers row-major float32, dense (row stride = cols)
 *     unless an ld is given.  "+=" marks an output that is accumulated into (parameter gradients),
 *     "=" one that is overwritten.
 *   - Parameter-gradient reductions over rows (LayerNorm gamma/beta, biases, pooling) run rows in
 *     order 0..rows-1 for every column (split over columns only when threaded), and the GEMMs split
 *     over output tiles only: results do not depend on n_threads.
 *   - Nothing allocates except where a scratch argument says so; nothing can fail.
 */
#ifndef XL_BACKPROP_H
#define XL_BACKPROP_H

#include <stddef.h>
#include <stdint.h>

#include "xl_kernels.h"
#include "xl_rng.h"

/* ---- linear layer y = x W^T + b (nn.Linear, W [out, in]) -------------------------------------- */

/* dX [M, in] = dY [M, out] W  (beta_dx 0: overwrite, 1: add; dX may be NULL)
 * dW [out, in] += dY^T X [M, in]   (xl_sgemm_ex with transposed A)
 * db [out] += sum_m dY[m, :]  (db may be NULL: layer without bias)
 * Wp: NULL, or W pre-packed as op(B) = W (xl_pack_b(XL_NO_TRANS, K = out, N = in)): dX then runs on
 * the packed path instead of packing W on every call (same result up to the GEMM's rounding order,
 * which is the same: both accumulate over `out` in KC blocks). */
void xl_linear_backward(xl_kernels *k, int n_threads, size_t M, size_t in, size_t out, const float *X, const float *W,
                        const xl_packed_matrix *Wp, const float *dY, float *dX, float beta_dx, float *dW, float *db);

/* db[c] += sum_r dY[r, c] over rows [rows, cols] (row stride ld). */
void xl_bias_backward(const float *dY, size_t rows, size_t cols, size_t ld, float *db);

/* The same for dY [rows, cols] (ld = cols) with the columns split over the threads in blocks of 64
 * (every column sums its rows in order: bit-identical for any thread count).  xl_linear_backward's
 * db step; the training backward calls its three steps separately to time them. */
void xl_bias_backward_threads(xl_kernels *k, int n_threads, const float *dY, size_t rows, size_t cols, float *db);

/* ---- LayerNorm y = (x - mu) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps) over n ---------- */

/* x [rows, n] (the LayerNorm input, residual already added), dy [rows, n]:
 *   xhat = (x - mu) rstd;  g = dy * gamma
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))                (=)
 *   dgamma += sum_rows dy * xhat;  dbeta += sum_rows dy                (+=)
 * stats: scratch [2 * rows] (mu, rstd per row).  dx may alias dy. */
void xl_layernorm_backward(xl_kernels *k, int n_threads, const float *x, const float *gamma, float eps, size_t rows,
                           size_t n, const float *dy, float *dx, float *dgamma, float *dbeta, float *stats);

/* ---- GELU (exact erf): y = x Phi(x) ------------------------------------------------------------ */

/* dx = dy * (Phi(x) + x phi(x)), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi(x) = exp(-x^2/2) / sqrt(2 pi)
 * over n floats; x the GELU input, y = GELU(x) its output as the forward computed it (Phi is taken
 * as y / x, no second erf; 1/2 + x phi(0) for |x| < 1e-3, error < 1e-10).  dx may alias dy.  (=) */
void xl_gelu_backward(xl_kernels *k, int n_threads, const float *x, const float *y, const float *dy, float *dx,
                      size_t n);

/* ---- tanh: y = tanh(x) --------------------------------------------------------------------- */

/* dx = dy * (1 - y^2) with y the tanh output.  (=; dx may alias dy) */
void xl_tanh_backward(const float *y, const float *dy, float *dx, size_t n);

/* ---- softmax rows P = softmax(S) ---------------------------------------------------------------- */

/* dS = P * (dP - sum_j P_j dP_j) per row of `cols`, in place on dP (rows of stride ld).
 * Masked entries (P = 0) get 0. */
void xl_softmax_backward_rows(const float *P, float *dP, size_t rows, size_t cols, size_t ld);

/* ---- dropout y = x * m / (1 - p), m ~ Bernoulli(1 - p) ----------------------------------------- */

/* Draw n mask bytes (1 = keep, probability 1 - p) from r serially (deterministic), and apply:
 * y = x * m / (1 - p) (y may alias x).  p == 0: mask all 1, y = x.  */
void xl_dropout_forward(xl_rng *r, float p, const float *x, float *y, uint8_t *mask, size_t n);
/* The same masks and outputs, bit for bit, drawn on up to n_threads threads of k's pool: element i
 * still takes draw i of r's stream (each chunk starts from a copy of r advanced to its first
 * element with xl_rng_advance), and r ends where n serial draws leave it.  So the masks depend on
 * neither the thread count nor the chunking.  Below min_split elements, one thread (the encoder
 * uses 65,536). */
void xl_dropout_forward_threads(xl_kernels *k, int n_threads, size_t min_split, xl_rng *r, float p, const float *x,
                                float *y, uint8_t *mask, size_t n);
/* dx = dy * m / (1 - p)  (=; dx may alias dy) */
void xl_dropout_backward(float p, const uint8_t *mask, const float *dy, float *dx, size_t n);

/* ---- multi-head attention (per sequence) -------------------------------------------------------- */

/* One sequence of n rows: Q, K, V [n, nh*dh] column slices of qkv (row stride ld_qkv), P [nh, n, n]
 * the softmax probabilities, Pd [nh, n, n] the probabilities after dropout (== P without dropout),
 * mask_att [nh*n*n] the dropout mask or NULL (p_att = 0), dctx [n, nh*dh] (stride ld_ctx).
 *   dPd_h = dctx_h V_h^T;  dV_h = Pd_h^T dctx_h;  dP = dropout_backward(dPd)
 *   dS_h = P_h * (dP_h - rowsum(P_h dP_h));  dQ_h = scale dS_h K_h;  dK_h = scale dS_h^T Q_h
 * dq, dk, dv: column slices of dqkv (stride ld_qkv), overwritten (=).  scratch [nh*n*n]. */
void xl_attention_backward(xl_kernels *k, int n_threads, size_t n, size_t n_heads, size_t head_dim, float scale,
                           const float *q, const float *kk, const float *v, size_t ld_qkv, const float *P,
                           const float *Pd, const uint8_t *mask_att, float p_att, const float *dctx, size_t ld_ctx,
                           float *dq, float *dk, float *dv, float *scratch);

/* ---- pooling ----------------------------------------------------------------------------------- */

/* Mean pooling backward: dh[p, :] += dy / max(count, 1e-9) for each position p with mask[p] != 0
 * (mask NULL: all), h rows [len, H].  CLS: dh[0, :] += dy. */
void xl_mean_pool_backward(const float *dy, size_t len, size_t H, const uint8_t *mask, float *dh);
void xl_cls_pool_backward(const float *dy, size_t H, float *dh);

/* ---- L2 normalisation y = x / max(||x||, 1e-12) -------------------------------------------------- */

/* With y the output and norm = ||x||: dx = (dy - y (y . dy)) / norm when norm > 1e-12, else
 * dy / 1e-12 (the clamp is constant).  Rows of n.  (=; dx may alias dy) */
void xl_l2_normalize_backward(const float *y, const float *norm, const float *dy, float *dx, size_t rows, size_t n);

#endif /* XL_BACKPROP_H */
