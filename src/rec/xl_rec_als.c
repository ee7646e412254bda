/* xl_rec_als.c - implicit-feedback matrix factorisation (Hu, Koren & Volinsky,
 * ICDM 2008): min sum c_ui (p_ui - x_u . y_i)^2 + lambda (|X|^2 + |Y|^2), p = 1 on observed
 * pairs, c = 1 + alpha r; alternating ridge solves by Cholesky, threaded over rows; and the
 * least-squares fold-in of new users against the fitted item factors.
 *
 * Popularity-weighted missing data (als_neg_exp = e != 0; He, Zhang, Kan & Chua, SIGIR 2016,
 * "Fast Matrix Factorization for Online Recommendation with Implicit Feedback", eq. 6): an
 * unobserved pair (u, i) weighs w_i = n_items (1 + |U_i|)^e / sum_j (1 + |U_j|)^e instead of 1
 * (|U_i| = training users of item i; the weights average 1, so the total weight of the missing
 * data is that of the uniform case), an observed pair c_ui as before.  The closed forms become
 *   user u:  (sum_i w_i y_i y_i' + sum_{i in I_u} (c_ui - w_i) y_i y_i' + lambda I) x_u
 *              = sum_{i in I_u} c_ui y_i              (the weighted Gram once per sweep)
 *   item i:  (w_i X'X + sum_{u in U_i} (c_ui - w_i) x_u x_u' + lambda I) y_i = sum_{u in U_i} c_ui x_u
 * e = 0 is the uniform case, computed by exactly the code (and bits) of before.
 *
 * Frequency-weighted regularisation (als_reg_exp = v != 0; "weighted-lambda", Zhou, Wilkinson,
 * Schreiber & Pan, AAIM 2008, with v = 1): the penalty of row r (a user, or an item in the item
 * solve) is lambda n_r^v, n_r = its observed pairs, in place of lambda.
 *
 * Separate user penalty (als_reg_user > 0): lambda_U in the user solves (and fold-in), als_reg
 * (lambda_V) in the item solves, the two Gaussian priors of probabilistic MF (Salakhutdinov &
 * Mnih, NIPS 2007).
 *
 * Item bias (als_item_bias): the score is x_u . y_i + b_i, stored as one more factor column with
 * x_u's entry fixed at 1 and b_i in y_i's (so scoring, files and similar-items see f + 1
 * columns).  The item solve is the plain one over [x_u, 1] (b_i penalised like y_i); the user solve
 * keeps the last entry at 1: with A, b the (f + 1)-square system of the plain solve, the first f
 * unknowns solve A[:f, :f] x = b[:f] - A[:f, f] (the stationarity condition with x_f = 1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

/* Cholesky factorisation A = L L' in place (A: f x f SPD, row-major; L in the lower triangle). */
static int cholesky_factor(double *A, size_t f)
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
    return 0;
}

/* b <- (L L')^-1 b by forward and back substitution (L from cholesky_factor). */
static void cholesky_subst(const double *L, double *b, size_t f)
{
    for (size_t i = 0; i < f; i++) {
        double t = b[i];
        for (size_t k = 0; k < i; k++) t -= L[i * f + k] * b[k];
        b[i] = t / L[i * f + i];
    }
    for (size_t i = f; i-- > 0;) {
        double t = b[i];
        for (size_t k = i + 1; k < f; k++) t -= L[k * f + i] * b[k];
        b[i] = t / L[i * f + i];
    }
}

/* Cholesky solve of A x = b in place (A: f x f SPD, row-major, overwritten). */
static int cholesky_solve(double *A, double *b, size_t f)
{
    if (cholesky_factor(A, f) < 0) return -1;
    cholesky_subst(A, b, f);
    return 0;
}

typedef struct {
    const xl_csr *R; /* rows to solve for */
    const float *Y;  /* the fixed side, n_cols x f */
    float *X;        /* solved side, n_rows x f */
    const double *YtY;  /* sum_j w_j y_j y_j' over the fixed side (w_j = 1 when col_w is NULL) */
    const double *col_w; /* missing-data weight of each column (user solve), NULL = uniform 1 */
    const double *row_w; /* missing-data weight of each row (item solve), NULL = uniform 1 */
    size_t f;
    double alpha, reg;
    double reg_exp; /* penalty of row r: reg * n_r^reg_exp (0: reg) */
    bool use_rating;
    bool fixed_last; /* the last entry of every solved row is 1 (item bias, user solve) */
    double *work; /* per thread: f*f + f */
    int failed;
    /* (YtY + reg I)^-1, f x f, when every row of this solve shares it (uniform missing data, no
     * reg_exp, no fixed entry; als_shared_inverse), else NULL: rows with few observations are then
     * solved by the Woodbury identity (als_rows) */
    const double *A0inv;
} als_ctx;

/* Rows with at most f / ALS_WOODBURY_DIV observations take the Woodbury solve: n f^2 + O(n^2 f)
 * multiply-adds against the f^3 / 3 of a Cholesky of the full system. */
#define ALS_WOODBURY_DIV 4

/* Woodbury solve of row r (the system of als_rows with A = A0 + sum_k d_k y_k y_k', d_k = c_k - 1,
 * b = sum_k c_k y_k; A0 = YtY + reg I, A0inv its inverse):
 *   Z = A0^-1 Y_r (f x n), x0 = A0^-1 b = Z c, S = I + D^1/2 Y_r' Z D^1/2 (n x n, SPD),
 *   x = x0 - Z D^1/2 S^-1 D^1/2 Y_r' x0
 * (Sherman-Morrison-Woodbury; Golub & Van Loan, Matrix Computations, 4th ed., 2.1.4).  The same x as
 * the Cholesky solve of A up to rounding.  Returns 1 when done, 0 when the row must take the full solve
 * (a negative d_k), -1 when S is not positive definite.  ws: n f + n^2 + 2n doubles; x0: f doubles. */
static int als_row_woodbury(const als_ctx *c, size_t r, double *ws, double *x0, float *x)
{
    size_t f = c->f, n = c->R->ptr[r + 1] - c->R->ptr[r];
    const uint32_t *idx = c->R->idx + c->R->ptr[r];
    double *Z = ws, *S = Z + n * f, *dsq = S + n * n, *t = dsq + n;
    for (size_t k = 0; k < n; k++) {
        double d = c->alpha * (c->use_rating ? c->R->val[c->R->ptr[r] + k] : 1.0);
        if (!(d >= 0)) return 0;
        dsq[k] = sqrt(d);
    }
    memset(x0, 0, f * sizeof *x0);
    for (size_t k = 0; k < n; k++) {
        const float *y = c->Y + (size_t)idx[k] * f;
        double *z = Z + k * f, conf = 1.0 + dsq[k] * dsq[k];
        for (size_t a = 0; a < f; a++) {
            const double *row = c->A0inv + a * f;
            double v = 0;
            for (size_t bb = 0; bb < f; bb++) v += row[bb] * y[bb];
            z[a] = v;
            x0[a] += conf * v;
        }
    }
    for (size_t k = 0; k < n; k++) {
        const float *y = c->Y + (size_t)idx[k] * f;
        for (size_t l = 0; l <= k; l++) {
            const double *z = Z + l * f;
            double v = 0;
            for (size_t a = 0; a < f; a++) v += y[a] * z[a];
            S[k * n + l] = S[l * n + k] = (k == l ? 1.0 : 0.0) + dsq[k] * dsq[l] * v;
        }
        double v = 0;
        for (size_t a = 0; a < f; a++) v += y[a] * x0[a];
        t[k] = dsq[k] * v;
    }
    if (cholesky_solve(S, t, n) < 0) return -1;
    for (size_t k = 0; k < n; k++) {
        const double *z = Z + k * f;
        double g = dsq[k] * t[k];
        for (size_t a = 0; a < f; a++) x0[a] -= g * z[a];
    }
    for (size_t a = 0; a < f; a++) x[a] = (float)x0[a];
    return 1;
}

/* c->A0inv = (YtY + reg I)^-1 in Ainv (f x f + f, the last f scratch; tmp: f x f scratch) when every
 * row of the solve shares that matrix (the uniform case: no missing-data weights, no reg_exp, no
 * fixed entry); NULL otherwise. */
static int als_shared_inverse(als_ctx *c, double *Ainv, double *tmp)
{
    size_t f = c->f;
    c->A0inv = NULL;
    if (c->col_w || c->row_w || c->reg_exp != 0 || c->fixed_last || f < ALS_WOODBURY_DIV) return 0;
    memcpy(tmp, c->YtY, f * f * sizeof *tmp);
    for (size_t d = 0; d < f; d++) tmp[d * f + d] += c->reg;
    if (cholesky_factor(tmp, f) < 0) return -1;
    double *e = Ainv + f * f;
    for (size_t j = 0; j < f; j++) {
        memset(e, 0, f * sizeof *e);
        e[j] = 1;
        cholesky_subst(tmp, e, f);
        memcpy(Ainv + j * f, e, f * sizeof *e); /* column j of a symmetric inverse = row j */
    }
    c->A0inv = Ainv;
    return 0;
}

static void als_rows(void *vctx, size_t begin, size_t end, int tid)
{
    als_ctx *c = vctx;
    size_t f = c->f;
    double *A = c->work + (size_t)tid * (f * f + f), *b = A + f * f;
    for (size_t r = begin; r < end; r++) {
        float *x = c->X + r * f;
        if (c->R->ptr[r] == c->R->ptr[r + 1]) {
            memset(x, 0, f * sizeof *x);
            if (c->fixed_last) x[f - 1] = 1;
            continue;
        }
        if (c->A0inv && (c->R->ptr[r + 1] - c->R->ptr[r]) * ALS_WOODBURY_DIV <= f) {
            int wd = als_row_woodbury(c, r, A, b, x);
            if (wd < 0) {
                c->failed = 1;
                continue;
            }
            if (wd > 0) continue;
        }
        double wr = c->row_w ? c->row_w[r] : 1.0; /* this row's missing-data weight (item solve) */
        if (c->row_w)
            for (size_t d = 0; d < f * f; d++) A[d] = wr * c->YtY[d];
        else
            memcpy(A, c->YtY, f * f * sizeof *A);
        double reg = c->reg;
        if (c->reg_exp != 0) reg *= pow((double)(c->R->ptr[r + 1] - c->R->ptr[r]), c->reg_exp);
        for (size_t d = 0; d < f; d++) A[d * f + d] += reg;
        memset(b, 0, f * sizeof *b);
        for (size_t k = c->R->ptr[r]; k < c->R->ptr[r + 1]; k++) {
            const float *y = c->Y + (size_t)c->R->idx[k] * f;
            double conf = 1.0 + c->alpha * (c->use_rating ? c->R->val[k] : 1.0);
            /* observed: weight conf in place of the missing-data weight already in A */
            double w_miss = c->row_w ? wr : c->col_w ? c->col_w[c->R->idx[k]] : 1.0;
            for (size_t a = 0; a < f; a++) {
                double ya = (conf - w_miss) * y[a];
                for (size_t bb = 0; bb <= a; bb++) A[a * f + bb] += ya * y[bb];
                b[a] += conf * y[a];
            }
        }
        for (size_t a = 0; a < f; a++)
            for (size_t bb = 0; bb < a; bb++) A[bb * f + a] = A[a * f + bb];
        size_t n = f;
        if (c->fixed_last) { /* x_f = 1: b[:g] -= A[:g, g], then A[:g, :g] packed to stride g in place */
            n = f - 1;
            for (size_t a = 0; a < n; a++) b[a] -= A[a * f + n];
            for (size_t a = 0; a < n; a++)
                for (size_t bb = 0; bb < n; bb++) A[a * n + bb] = A[a * f + bb];
            x[n] = 1;
        }
        if (cholesky_solve(A, b, n) < 0) {
            c->failed = 1;
            continue;
        }
        for (size_t d = 0; d < n; d++) x[d] = (float)b[d];
    }
}

/* G = sum_r w_r y_r y_r' (w = NULL: every w_r = 1), f x f. */
static void gram(const float *Y, size_t n, size_t f, const double *w, double *G)
{
    memset(G, 0, f * f * sizeof *G);
    for (size_t r = 0; r < n; r++) {
        const float *y = Y + r * f;
        if (w) {
            for (size_t a = 0; a < f; a++) {
                double ya = w[r] * y[a];
                for (size_t b = 0; b <= a; b++) G[a * f + b] += ya * y[b];
            }
            continue;
        }
        for (size_t a = 0; a < f; a++)
            for (size_t b = 0; b <= a; b++) G[a * f + b] += (double)y[a] * y[b];
    }
    for (size_t a = 0; a < f; a++)
        for (size_t b = 0; b < a; b++) G[b * f + a] = G[a * f + b];
}

/* The penalty of the user solve: als_reg_user when set (> 0), else als_reg. */
static double user_reg(const xl_rec_params *p)
{
    return p->als_reg_user > 0 ? p->als_reg_user : p->als_reg;
}

/* w[i] = n (1 + users[i])^e / sum_j (1 + users[j])^e, the missing-data weights of the file comment
 * (users[i]: training users of item i); NULL (uniform, w = 1) when e == 0 or on allocation failure
 * (then err is set and *failed = 1). */
static double *missing_weights(const double *users, size_t n, double e, int *failed, xl_error *err)
{
    *failed = 0;
    if (e == 0 || n == 0) return NULL;
    double *w = xl_rec_vec_d(n, err);
    if (!w) {
        *failed = 1;
        return NULL;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += (w[i] = pow(1.0 + users[i], e));
    for (size_t i = 0; i < n; i++) w[i] *= (double)n / sum;
    return w;
}

int xl_rec_fit_als(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    bool bias = m->p.als_item_bias;
    size_t f = (size_t)m->p.factors + (bias ? 1 : 0); /* the item bias: one more column */
    m->f = f;
    int threads = m->p.threads;
    xl_csr T;
    if (xl_csr_transpose(R, &T, err) < 0) return -1;
    m->P = xl_rec_alloc_factors(m->n_users, f, err);
    m->Q = xl_rec_alloc_factors(m->n_items, f, err);
    double *G = xl_rec_vec_d(f * f, err);
    double *work = xl_rec_vec_d((size_t)threads * (f * f + f), err);
    double *users = xl_rec_vec_d(m->n_items + 1, err); /* training users per item */
    double *inv = xl_rec_vec_d(2 * f * f + f, err);     /* als_shared_inverse: the inverse, then scratch */
    double *w = NULL;
    int rc = -1, wfail = 0;
    if (!m->P || !m->Q || !G || !work || !users || !inv) goto out;
    for (size_t i = 0; i < m->n_items; i++) users[i] = (double)(T.ptr[i + 1] - T.ptr[i]);
    w = missing_weights(users, m->n_items, m->p.als_neg_exp, &wfail, err);
    if (wfail) goto out;
    xl_rng rng;
    xl_rng_seed(&rng, m->p.seed, 3);
    xl_rec_init_normal(m->P, (size_t)m->n_users * f, m->p.init_std, &rng);
    xl_rec_init_normal(m->Q, (size_t)m->n_items * f, m->p.init_std, &rng);
    for (size_t u = 0; bias && u < m->n_users; u++) m->P[u * f + f - 1] = 1; /* the bias's fixed 1 */
    for (size_t i = 0; bias && i < m->n_items; i++) m->Q[i * f + f - 1] = 0; /* b_i starts at 0 */
    for (int it = 0; it < m->p.als_iters; it++) {
        /* users: columns (items) weighted; items: each row (item) scales the plain user Gram */
        als_ctx c = {R, m->Q, m->P, G, w, NULL, f, m->p.als_alpha, user_reg(&m->p), m->p.als_reg_exp, m->p.als_use_rating, bias, work, 0, NULL};
        gram(m->Q, m->n_items, f, w, G);
        if (als_shared_inverse(&c, inv, inv + f * f + f) < 0) c.failed = 1;
        else xl_parallel_for(threads, m->n_users, als_rows, &c);
        als_ctx d = {&T, m->P, m->Q, G, NULL, w, f, m->p.als_alpha, m->p.als_reg, m->p.als_reg_exp, m->p.als_use_rating, false, work, 0, NULL};
        gram(m->P, m->n_users, f, NULL, G);
        if (als_shared_inverse(&d, inv, inv + f * f + f) < 0) d.failed = 1;
        else xl_parallel_for(threads, m->n_items, als_rows, &d);
        if (c.failed || d.failed) {
            xl_fail(err, XL_ERR_GENERIC, "als: system not positive definite (use als_reg > 0)");
            goto out;
        }
    }
    if (m->p.als_iters > 0) {
        /* a last user half-step: every P_u is then the least-squares solution for the final Q,
         * exactly what fold-in (xl_rec_fold_in) computes for a new user with the same history */
        als_ctx c = {R, m->Q, m->P, G, w, NULL, f, m->p.als_alpha, user_reg(&m->p), m->p.als_reg_exp, m->p.als_use_rating, bias, work, 0, NULL};
        gram(m->Q, m->n_items, f, w, G);
        if (als_shared_inverse(&c, inv, inv + f * f + f) < 0) c.failed = 1;
        else xl_parallel_for(threads, m->n_users, als_rows, &c);
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
    free(users);
    free(inv);
    free(w);
    return rc;
}

/* n (a fold-in model with n->train = the new histories): x_u = (Y'WY + Y'(C_u - W)Y + reg I)^-1 Y'C_u p_u
 * with m's item factors Y (Hu et al. 2008, the user update; W = I unless als_neg_exp, whose weights
 * come from m's training users per item, the counts the fit used). */
int xl_rec_als_fold_in(xl_rec_model *n, const xl_rec_model *m, xl_error *err)
{
    size_t I = m->n_items;
    size_t f = m->f;
    int threads = n->p.threads;
    n->f = f;
    n->P = xl_rec_alloc_factors(n->n_users, f, err);
    n->Q = xl_rec_alloc_factors(I, f, err);
    double *G = xl_rec_vec_d(f * f, err), *work = xl_rec_vec_d((size_t)threads * (f * f + f), err);
    double *users = xl_rec_vec_d(I + 1, err), *w = NULL;
    double *inv = xl_rec_vec_d(2 * f * f + f, err); /* als_shared_inverse, as in the fit */
    int rc = -1, wfail = 0;
    if (!n->P || !n->Q || !G || !work || !users || !inv) goto out;
    if (n->p.als_neg_exp != 0 && !m->item_users) {
        xl_fail(err, XL_ERR_GENERIC, "fold-in: als with --als-neg-exp needs the training counts per item");
        goto out;
    }
    for (size_t i = 0; i < I && m->item_users; i++) users[i] = (double)m->item_users[i];
    w = missing_weights(users, I, n->p.als_neg_exp, &wfail, err);
    if (wfail) goto out;
    memcpy(n->Q, m->Q, I * f * sizeof *n->Q);
    gram(n->Q, I, f, w, G);
    als_ctx c = {&n->train, n->Q, n->P, G, w, NULL, f, n->p.als_alpha, user_reg(&n->p), n->p.als_reg_exp, n->p.als_use_rating, n->p.als_item_bias, work, 0, NULL};
    if (als_shared_inverse(&c, inv, inv + f * f + f) < 0) c.failed = 1;
    else xl_parallel_for(threads, n->n_users, als_rows, &c);
    if (c.failed) {
        xl_fail(err, XL_ERR_GENERIC, "fold-in: als system not positive definite");
        goto out;
    }
    rc = 0;
out:
    free(G);
    free(work);
    free(users);
    free(inv);
    free(w);
    return rc;
}
