/* align_linalg.c - see align_linalg.h */
#include "align_linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"

/* Gram-Schmidt: make column j of the column-major m x r matrix Q (columns
 * contiguous) orthonormal to columns [0, j) starting from unit vectors e_i. */
static void complete_column(double *Q, size_t m, size_t j)
{
    double *q = Q + j * m;
    for (size_t e = 0; e < m; e++) {
        memset(q, 0, m * sizeof *q);
        q[e] = 1;
        for (int pass = 0; pass < 2; pass++)
            for (size_t c = 0; c < j; c++) {
                const double *p = Q + c * m;
                double d = 0;
                for (size_t i = 0; i < m; i++) d += p[i] * q[i];
                for (size_t i = 0; i < m; i++) q[i] -= d * p[i];
            }
        double nrm = 0;
        for (size_t i = 0; i < m; i++) nrm += q[i] * q[i];
        nrm = sqrt(nrm);
        if (nrm > 1e-8) {
            for (size_t i = 0; i < m; i++) q[i] /= nrm;
            return;
        }
    }
}

/* One-sided Jacobi on the columns of B (column-major, m x n, m >= n). */
static int svd_tall(const double *A, size_t m, size_t n, double *U, double *S, double *V, xl_error *err)
{
    double *B = xl_malloc(m * n * sizeof *B, err);  /* column-major copy of A, becomes U*S */
    double *Vc = xl_malloc(n * n * sizeof *Vc, err); /* column-major V */
    size_t *order = xl_malloc(n * sizeof *order, err);
    double *norms = xl_malloc(n * sizeof *norms, err);
    if (!B || !Vc || !order || !norms) {
        free(B), free(Vc), free(order), free(norms);
        return -1;
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) B[j * m + i] = A[i * n + j];
    memset(Vc, 0, n * n * sizeof *Vc);
    for (size_t j = 0; j < n; j++) Vc[j * n + j] = 1;
    for (int sweep = 0; sweep < 60; sweep++) {
        int rotated = 0;
        for (size_t p = 0; p + 1 < n; p++) {
            for (size_t q = p + 1; q < n; q++) {
                double *bp = B + p * m, *bq = B + q * m;
                double alpha = 0, beta = 0, gamma = 0;
                for (size_t i = 0; i < m; i++) {
                    alpha += bp[i] * bp[i];
                    beta += bq[i] * bq[i];
                    gamma += bp[i] * bq[i];
                }
                if (gamma == 0 || fabs(gamma) <= 1e-15 * sqrt(alpha * beta)) continue;
                rotated = 1;
                double zeta = (beta - alpha) / (2 * gamma);
                double t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                double c = 1 / sqrt(1 + t * t), s = c * t;
                for (size_t i = 0; i < m; i++) {
                    double x = bp[i], y = bq[i];
                    bp[i] = c * x - s * y;
                    bq[i] = s * x + c * y;
                }
                double *vp = Vc + p * n, *vq = Vc + q * n;
                for (size_t i = 0; i < n; i++) {
                    double x = vp[i], y = vq[i];
                    vp[i] = c * x - s * y;
                    vq[i] = s * x + c * y;
                }
            }
        }
        if (!rotated) break;
    }
    double maxn = 0;
    for (size_t j = 0; j < n; j++) {
        double s = 0;
        for (size_t i = 0; i < m; i++) s += B[j * m + i] * B[j * m + i];
        norms[j] = sqrt(s);
        if (norms[j] > maxn) maxn = norms[j];
        order[j] = j;
    }
    /* sort descending (insertion sort: n is small) */
    for (size_t a = 1; a < n; a++) {
        size_t o = order[a], b = a;
        while (b > 0 && norms[order[b - 1]] < norms[o]) {
            order[b] = order[b - 1];
            b--;
        }
        order[b] = o;
    }
    /* U columns (column-major in B order), normalised; tiny ones completed */
    double *Uc = xl_malloc(m * n * sizeof *Uc, err);
    if (!Uc) {
        free(B), free(Vc), free(order), free(norms);
        return -1;
    }
    double tol = maxn * 1e-13 * (double)(m > n ? m : n);
    for (size_t j = 0; j < n; j++) {
        size_t o = order[j];
        S[j] = norms[o];
        if (norms[o] > tol && norms[o] > 0) {
            for (size_t i = 0; i < m; i++) Uc[j * m + i] = B[o * m + i] / norms[o];
        } else {
            S[j] = norms[o] > 0 ? norms[o] : 0;
            complete_column(Uc, m, j);
        }
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) U[i * n + j] = Uc[j * m + i];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) V[i * n + j] = Vc[order[j] * n + i];
    free(B), free(Vc), free(order), free(norms), free(Uc);
    return 0;
}

int xl_align_svd(const double *A, size_t m, size_t n, double *U, double *S, double *V, xl_error *err)
{
    if (m == 0 || n == 0) return xl_fail(err, XL_ERR_USAGE, "svd: empty matrix");
    size_t mn;
    if (!xl_mul_size(m, n, &mn)) return xl_fail(err, XL_ERR_NOMEM, "svd: matrix too large");
    for (size_t i = 0; i < mn; i++)
        if (!isfinite(A[i])) return xl_fail(err, XL_ERR_FORMAT, "svd: matrix has a non-finite entry");
    if (m >= n) return svd_tall(A, m, n, U, S, V, err);
    /* A^T = V S U^T: decompose the transpose and swap roles */
    double *At = xl_malloc(mn * sizeof *At, err);
    if (!At) return -1;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) At[j * m + i] = A[i * n + j];
    int rc = svd_tall(At, n, m, V, S, U, err);
    free(At);
    return rc;
}

int xl_align_orthogonal_procrustes(const double *M, size_t d, double *W, xl_error *err)
{
    double *U = xl_malloc(d * d * sizeof *U, err), *V = xl_malloc(d * d * sizeof *V, err),
           *S = xl_malloc(d * sizeof *S, err);
    int rc = -1;
    if (U && V && S && xl_align_svd(M, d, d, U, S, V, err) == 0) {
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double s = 0;
                for (size_t k = 0; k < d; k++) s += U[i * d + k] * V[j * d + k];
                W[i * d + j] = s;
            }
        rc = 0;
    }
    free(U), free(V), free(S);
    return rc;
}

int xl_align_top_singular_vector(const float *A, size_t rows, size_t cols, double *u, xl_error *err)
{
    double *C = xl_calloc(cols * cols, sizeof *C, err), *tmp = xl_malloc(cols * sizeof *tmp, err);
    if (!C || !tmp) {
        free(C), free(tmp);
        return -1;
    }
    /* C = A^T A (cols x cols) */
    for (size_t r = 0; r < rows; r++) {
        const float *a = A + r * cols;
        for (size_t i = 0; i < cols; i++) {
            double ai = a[i];
            if (ai == 0) continue;
            double *c = C + i * cols;
            for (size_t j = 0; j < cols; j++) c[j] += ai * a[j];
        }
    }
    /* the top eigenvector of the PSD matrix C: first right singular vector */
    double *U = xl_malloc(cols * cols * sizeof *U, err), *V = xl_malloc(cols * cols * sizeof *V, err);
    if (!U || !V || xl_align_svd(C, cols, cols, U, tmp, V, err) < 0) {
        free(U), free(V), free(C), free(tmp);
        return -1;
    }
    for (size_t i = 0; i < cols; i++) u[i] = tmp[0] > 0 ? V[i * cols] : 0.0;
    free(U), free(V);
    /* sign convention: largest |component| positive */
    size_t arg = 0;
    for (size_t i = 1; i < cols; i++)
        if (fabs(u[i]) > fabs(u[arg])) arg = i;
    if (u[arg] < 0)
        for (size_t i = 0; i < cols; i++) u[i] = -u[i];
    free(C), free(tmp);
    return 0;
}
