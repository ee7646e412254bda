/* xl_whiten.h - whitening of a catalogue's item embeddings before content-based scoring
 * (BERT-whitening: Su, Cao, Liu & Ou 2021, "Whitening Sentence Representations for Better
 * Semantics and Faster Retrieval", arXiv:2103.15316, Algorithm 1).
 *
 * Why: a mean-pooled sentence encoder puts every text in a narrow, anisotropic cone (all
 * cosines high, a few directions carry most of the variance), so the cosine between a user
 * profile and an item mostly measures those shared directions.  Whitening maps the catalogue
 * to zero mean and identity covariance, so every direction the catalogue varies in counts
 * equally.  docs/recommender.md ("Item-vector post-processing") has the measurements.
 *
 * Contract
 *   - xl_item_vectors_whiten(iv, k): fitted on iv's own rows, unsupervised (the catalogue's
 *     item vectors only, never ratings).  Over the m non-zero rows:
 *         mu = (1/m) sum_i v_i                                   (dim)
 *         C  = (1/m) sum_i (v_i - mu)(v_i - mu)^T = U diag(lambda) U^T   (dim x dim, eigen-
 *              decomposition by the Jacobi SVD of align_linalg.h, lambda descending)
 *     and every non-zero row becomes
 *         v_i <- (v_i - mu)^T U_k diag(1 / sqrt(lambda_k + eps)),  then L2-normalised,
 *     keeping the first k components (k = 0 or k >= dim: all dim).  Zero rows (items without
 *     a vector) stay zero; iv is replaced by the n x k result.
 *   - eps = 1e-6 * lambda_1 (relative) keeps directions of (near-)zero variance finite, as when
 *     m <= dim and C is singular; with k below the rank they are dropped anyway.
 *   - Cost O(m dim^2) for C plus O(dim^3) per Jacobi sweep: a 256-d encoder over 18k items takes
 *     seconds; dim > XL_WHITEN_MAX_DIM is refused (use k-dimensional vectors, or centring).
 *   - Deterministic: double accumulation in row order, no threads, no randomness.  Returns the
 *     number of non-zero rows m (0: nothing to fit, iv unchanged), -1 on error.
 */
#ifndef XL_WHITEN_H
#define XL_WHITEN_H

#include <stddef.h>

#include "xl_error.h"
#include "xl_rec_data.h"

#define XL_WHITEN_MAX_DIM 2048u

int xl_item_vectors_whiten(xl_item_vectors *iv, size_t k, xl_error *err);

#endif /* XL_WHITEN_H */
