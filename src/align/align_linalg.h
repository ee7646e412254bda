/* align_linalg.h - the small dense linear algebra the alignment and
 * sentence-embedding code needs, in double precision.
 *
 * Contract
 *   - xl_align_svd: thin SVD A = U diag(S) V^T of a row-major m x n matrix by
 *     one-sided Jacobi rotations (Hestenes 1958; Demmel & Veselic 1992,
 *     "Jacobi's method is more accurate than QR").  Any m, n >= 1.  With
 *     r = min(m, n): U is m x r, S has r values sorted descending (>= 0), V is
 *     n x r; U and V have orthonormal columns even when A is rank-deficient
 *     (columns for zero singular values are completed by Gram-Schmidt).
 *     Converges when every column pair is orthogonal to 1e-15 relative, or
 *     after 60 sweeps.
 *   - xl_align_orthogonal_procrustes: W = U V^T from the SVD of M (d x d), the
 *     orthogonal W maximising trace(W^T M) (Schonemann 1966).
 *   - xl_align_top_singular_vector: the first right singular vector of a
 *     row-major matrix (first principal direction without centring): the top
 *     eigenvector of A^T A, by the Jacobi SVD above.
 */
#ifndef ALIGN_LINALG_H
#define ALIGN_LINALG_H

#include <stddef.h>

#include "xl_error.h"

int xl_align_svd(const double *A, size_t m, size_t n, double *U, double *S, double *V, xl_error *err);
/* M: d x d row-major; W: d x d row-major output. */
int xl_align_orthogonal_procrustes(const double *M, size_t d, double *W, xl_error *err);
/* A: rows x cols float32 row-major; u: cols output, unit norm (zero when A = 0). */
int xl_align_top_singular_vector(const float *A, size_t rows, size_t cols, double *u, xl_error *err);

#endif /* ALIGN_LINALG_H */
