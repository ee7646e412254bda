/* xl_whiten.c - see xl_whiten.h. */
#include "xl_whiten.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "align_linalg.h"
#include "xl_alloc.h"

static bool row_nonzero(const float *row, size_t dim)
{
    for (size_t j = 0; j < dim; j++)
        if (row[j] != 0.0f) return true;
    return false;
}

int xl_item_vectors_whiten(xl_item_vectors *iv, size_t k, xl_error *err)
{
    size_t n = iv->n, dim = iv->dim;
    if (!iv->v || !n || !dim) return 0;
    if (dim > XL_WHITEN_MAX_DIM)
        return xl_fail(err, XL_ERR_LIMIT, "whitening: %zu-d vectors (at most %u; centring has no limit)", dim,
                       XL_WHITEN_MAX_DIM);
    if (k == 0 || k > dim) k = dim;
    int rc = -1;
    size_t m = 0, out_bytes;
    if (!xl_mul_size(n, k * sizeof(float), &out_bytes))
        return xl_fail(err, XL_ERR_LIMIT, "whitening: %zu x %zu overflow", n, k);
    double *mu = xl_calloc(dim, sizeof *mu, err);
    double *C = xl_calloc(dim * dim, sizeof *C, err); /* dim x dim, row-major */
    double *U = xl_malloc(dim * dim * sizeof *U, err);
    double *V = xl_malloc(dim * dim * sizeof *V, err);
    double *S = xl_malloc(dim * sizeof *S, err);
    double *x = xl_malloc(dim * sizeof *x, err);
    float *out = xl_aligned_alloc(out_bytes ? out_bytes : 64, err);
    if (!mu || !C || !U || !V || !S || !x || !out) goto done;
    /* mu over the non-zero rows */
    for (size_t r = 0; r < n; r++) {
        const float *row = iv->v + r * dim;
        if (!row_nonzero(row, dim)) continue;
        m++;
        for (size_t j = 0; j < dim; j++) mu[j] += row[j];
    }
    if (m == 0) {
        rc = 0;
        goto done;
    }
    for (size_t j = 0; j < dim; j++) mu[j] /= (double)m;
    /* C = (1/m) sum (v - mu)(v - mu)^T, upper triangle then mirrored */
    for (size_t r = 0; r < n; r++) {
        const float *row = iv->v + r * dim;
        if (!row_nonzero(row, dim)) continue;
        for (size_t j = 0; j < dim; j++) x[j] = row[j] - mu[j];
        for (size_t a = 0; a < dim; a++) {
            double xa = x[a];
            double *Ca = C + a * dim;
            for (size_t b = a; b < dim; b++) Ca[b] += xa * x[b];
        }
    }
    for (size_t a = 0; a < dim; a++)
        for (size_t b = a; b < dim; b++) C[b * dim + a] = C[a * dim + b] = C[a * dim + b] / (double)m;
    /* C symmetric PSD: its SVD is its eigendecomposition, U = V = eigenvectors, S = eigenvalues */
    if (xl_align_svd(C, dim, dim, U, S, V, err) < 0) goto done;
    /* lambda_1 = 0: every non-zero row equals mu, nothing varies: those rows become zero */
    bool degenerate = !(S[0] > 0);
    double eps = 1e-6 * S[0];
    for (size_t c = 0; c < k; c++) S[c] = degenerate ? 0.0 : 1.0 / sqrt(S[c] + eps);
    for (size_t r = 0; r < n; r++) {
        const float *row = iv->v + r * dim;
        float *o = out + r * k;
        if (!row_nonzero(row, dim)) {
            memset(o, 0, k * sizeof *o);
            continue;
        }
        for (size_t j = 0; j < dim; j++) x[j] = row[j] - mu[j];
        double ss = 0;
        double *y = C; /* reuse C's first k entries as the output row in double */
        for (size_t c = 0; c < k; c++) {
            double acc = 0;
            for (size_t j = 0; j < dim; j++) acc += x[j] * V[j * dim + c];
            y[c] = acc * S[c];
            ss += y[c] * y[c];
        }
        double inv = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
        for (size_t c = 0; c < k; c++) o[c] = (float)(y[c] * inv);
    }
    xl_aligned_free(iv->v);
    iv->v = out;
    iv->dim = k;
    out = NULL;
    rc = m > (size_t)INT32_MAX ? INT32_MAX : (int)m;
done:
    free(mu);
    free(C);
    free(U);
    free(V);
    free(S);
    free(x);
    xl_aligned_free(out);
    return rc;
}
