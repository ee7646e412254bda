/* xl_rec_als.c - implicit-feedback matrix factorisation (Hu, Koren & Volinsky,
 * ICDM 2008): min sum c_ui (p_ui - x_u . y_i)^2 + lambda (|X|^2 + |Y|^2), p = 1 on observed
 * pairs, c = 1 + alpha r; alternating ridge solves by Cholesky, threaded over rows; and the
 * least-squares fold-in of new users against the fitted item factors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

/* Cholesky solve of A x = b in place (A: f x f SPD, row-major, overwritten). */
static int cholesky_solve(double *A, double *b, size_t f)
{
    for (size_t j = 0; j < f; j++) {
        double s = A[j * f + j];
        for (size_t k = 0; k < j; k++) s -= A[j * f + k] * A[j * f + k];
        if (s <= 0) return -1;
        double l = sqrt(s);
        A[j * f + j] = l;
        for (size_t i = j + 1; i < f; i++) {
            double t = A[i * f + j];
            for (size_t k = 0; k < j; k++) t -= A[i * f + k] * A[j * f + k];
            A[i * f + j] = t / l;
        }
    }
    for (size_t i = 0; i < f; i++) {
        double t = b[i];
        for (size_t k = 0; k < i; k++) t -= A[i * f + k] * b[k];
        b[i] = t / A[i * f + i];
    }
    for (size_t i = f; i-- > 0;) {
        double t = b[i];
        for (size_t k = i + 1; k < f; k++) t -= A[k * f + i] * b[k];
        b[i] = t / A[i * f + i];
    }
    return 0;
}

typedef struct {
    const xl_csr *R; /* rows to solve for */
    const float *Y;  /* the fixed side, n_cols x f */
    float *X;        /* solved side, n_rows x f */
    const double *YtY;
    size_t f;
    double alpha, reg;
    bool use_rating;
    double *work; /* per thread: f*f + f */
    int failed;
} als_ctx;

static void als_rows(void *vctx, size_t begin, size_t end, int tid)
{
    als_ctx *c = vctx;
    size_t f = c->f;
    double *A = c->work + (size_t)tid * (f * f + f), *b = A + f * f;
    for (size_t r = begin; r < end; r++) {
        float *x = c->X + r * f;
        if (c->R->ptr[r] == c->R->ptr[r + 1]) {
            memset(x, 0, f * sizeof *x);
            continue;
        }
        memcpy(A, c->YtY, f * f * sizeof *A);
        for (size_t d = 0; d < f; d++) A[d * f + d] += c->reg;
        memset(b, 0, f * sizeof *b);
        for (size_t k = c->R->ptr[r]; k < c->R->ptr[r + 1]; k++) {
            const float *y = c->Y + (size_t)c->R->idx[k] * f;
            double conf = 1.0 + c->alpha * (c->use_rating ? c->R->val[k] : 1.0);
            for (size_t a = 0; a < f; a++) {
                double ya = (conf - 1.0) * y[a];
                for (size_t bb = 0; bb <= a; bb++) A[a * f + bb] += ya * y[bb];
                b[a] += conf * y[a];
            }
        }
        for (size_t a = 0; a < f; a++)
            for (size_t bb = 0; bb < a; bb++) A[bb * f + a] = A[a * f + bb];
        if (cholesky_solve(A, b, f) < 0) {
            c->failed = 1;
            continue;
        }
        for (size_t d = 0; d < f; d++) x[d] = (float)b[d];
    }
}

static void gram(const float *Y, size_t n, size_t f, double *G)
{
    memset(G, 0, f * f * sizeof *G);
    for (size_t r = 0; r < n; r++) {
        const float *y = Y + r * f;
        for (size_t a = 0; a < f; a++)
            for (size_t b = 0; b <= a; b++) G[a * f + b] += (double)y[a] * y[b];
    }
    for (size_t a = 0; a < f; a++)
        for (size_t b = 0; b < a; b++) G[b * f + a] = G[a * f + b];
}

int xl_rec_fit_als(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    size_t f = (size_t)m->p.factors;
    m->f = f;
    int threads = m->p.threads;
    xl_csr T;
    if (xl_csr_transpose(R, &T, err) < 0) return -1;
    m->P = xl_rec_alloc_factors(m->n_users, f, err);
    m->Q = xl_rec_alloc_factors(m->n_items, f, err);
    double *G = xl_rec_vec_d(f * f, err);
    double *work = xl_rec_vec_d((size_t)threads * (f * f + f), err);
    int rc = -1;
    if (!m->P || !m->Q || !G || !work) goto out;
    xl_rng rng;
    xl_rng_seed(&rng, m->p.seed, 3);
    xl_rec_init_normal(m->P, (size_t)m->n_users * f, m->p.init_std, &rng);
    xl_rec_init_normal(m->Q, (size_t)m->n_items * f, m->p.init_std, &rng);
    for (int it = 0; it < m->p.als_iters; it++) {
        als_ctx c = {R, m->Q, m->P, G, f, m->p.als_alpha, m->p.als_reg, m->p.als_use_rating, work, 0};
        gram(m->Q, m->n_items, f, G);
        xl_parallel_for(threads, m->n_users, als_rows, &c);
        als_ctx d = {&T, m->P, m->Q, G, f, m->p.als_alpha, m->p.als_reg, m->p.als_use_rating, work, 0};
        gram(m->P, m->n_users, f, G);
        xl_parallel_for(threads, m->n_items, als_rows, &d);
        if (c.failed || d.failed) {
            xl_fail(err, XL_ERR_GENERIC, "als: system not positive definite (use als_reg > 0)");
            goto out;
        }
    }
    if (m->p.als_iters > 0) {
        /* a last user half-step: every P_u is then the least-squares solution for the final Q,
         * exactly what fold-in (xl_rec_fold_in) computes for a new user with the same history */
        als_ctx c = {R, m->Q, m->P, G, f, m->p.als_alpha, m->p.als_reg, m->p.als_use_rating, work, 0};
        gram(m->Q, m->n_items, f, G);
        xl_parallel_for(threads, m->n_users, als_rows, &c);
        if (c.failed) {
            xl_fail(err, XL_ERR_GENERIC, "als: system not positive definite (use als_reg > 0)");
            goto out;
        }
    }
    rc = 0;
out:
    xl_csr_free(&T);
    free(G);
    free(work);
    return rc;
}

/* n (a fold-in model with n->train = the new histories): x_u = (Y'Y + Y'(C_u - I)Y + reg I)^-1 Y'C_u p_u
 * with m's item factors Y (Hu et al. 2008, the user update). */
int xl_rec_als_fold_in(xl_rec_model *n, const xl_rec_model *m, xl_error *err)
{
    size_t I = m->n_items;
    size_t f = m->f;
    int threads = n->p.threads;
    n->f = f;
    n->P = xl_rec_alloc_factors(n->n_users, f, err);
    n->Q = xl_rec_alloc_factors(I, f, err);
    double *G = xl_rec_vec_d(f * f, err), *work = xl_rec_vec_d((size_t)threads * (f * f + f), err);
    if (!n->P || !n->Q || !G || !work) {
        free(G);
        free(work);
        return -1;
    }
    memcpy(n->Q, m->Q, I * f * sizeof *n->Q);
    gram(n->Q, I, f, G);
    als_ctx c = {&n->train, n->Q, n->P, G, f, n->p.als_alpha, n->p.als_reg, n->p.als_use_rating, work, 0};
    xl_parallel_for(threads, n->n_users, als_rows, &c);
    free(G);
    free(work);
    if (c.failed) return xl_fail(err, XL_ERR_GENERIC, "fold-in: als system not positive definite");
    return 0;
}
