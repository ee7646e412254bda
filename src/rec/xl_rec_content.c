/* xl_rec_content.c - the content models: unit user profiles p_u = sum w_ui v_i /
 * |sum w_ui v_i| scored by cosine (content), the described rating formula
 * r = cos(p_u, v_i) b_u b_i + c fitted by regularised least squares (cosbias,
 * docs/recommender.md), and the explanations (the history items' contributions). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

/* Weights of user u's history (length of the train row) into w; returns sum
 * of |w|.  Falls back to binary weights when every weight is 0. */
static double profile_weights(const xl_rec_model *m, uint32_t u, double *w)
{
    const xl_csr *R = &m->train;
    size_t b = R->ptr[u], e = R->ptr[u + 1], n = e - b;
    if (!n) return 0;
    double mean = 0;
    int64_t tmax = R->time[b];
    for (size_t k = b; k < e; k++) {
        mean += R->val[k];
        if (R->time[k] > tmax) tmax = R->time[k];
    }
    mean /= (double)n;
    double sum = 0;
    for (size_t k = b; k < e; k++) {
        double x = m->p.profile_weight == XL_PROFILE_BINARY     ? 1.0
                   : m->p.profile_weight == XL_PROFILE_CENTERED ? R->val[k] - mean
                                                                : R->val[k];
        if (m->p.recency_half_life > 0)
            x *= exp2(-(double)(tmax - R->time[k]) / m->p.recency_half_life);
        w[k - b] = x;
        sum += fabs(x);
    }
    if (sum == 0) {
        for (size_t k = 0; k < n; k++) {
            w[k] = m->p.recency_half_life > 0 ? exp2(-(double)(tmax - R->time[b + k]) / m->p.recency_half_life) : 1.0;
            sum += w[k];
        }
    }
    return sum;
}

typedef struct {
    xl_rec_model *m;
    double *w; /* per thread, max row length */
    size_t wlen;
} prof_ctx;

static void profile_rows(void *vctx, size_t begin, size_t end, int tid)
{
    prof_ctx *c = vctx;
    xl_rec_model *m = c->m;
    const xl_csr *R = &m->train;
    size_t dim = m->f;
    double *w = c->w + (size_t)tid * c->wlen;
    double *acc = w + c->wlen - dim; /* tail of the per-thread block */
    for (size_t u = begin; u < end; u++) {
        float *pu = m->P + u * dim;
        double sum = profile_weights(m, (uint32_t)u, w);
        memset(acc, 0, dim * sizeof *acc);
        for (size_t k = R->ptr[u]; k < R->ptr[u + 1]; k++) {
            const float *v = m->iv->v + (size_t)R->idx[k] * dim;
            double wk = w[k - R->ptr[u]];
            for (size_t d = 0; d < dim; d++) acc[d] += wk * v[d];
        }
        double ss = 0;
        for (size_t d = 0; d < dim; d++) ss += acc[d] * acc[d];
        double inv = (sum > 0 && ss > 0) ? 1.0 / sqrt(ss) : 0.0;
        for (size_t d = 0; d < dim; d++) pu[d] = (float)(acc[d] * inv);
    }
}

static size_t max_row(const xl_csr *R)
{
    size_t mx = 0;
    for (uint32_t r = 0; r < R->n_rows; r++)
        if (R->ptr[r + 1] - R->ptr[r] > mx) mx = R->ptr[r + 1] - R->ptr[r];
    return mx;
}

int xl_rec_fit_content(xl_rec_model *m, xl_error *err)
{
    size_t dim = m->iv->dim;
    m->f = dim;
    m->Qv = m->iv->v;
    m->P = xl_rec_alloc_factors(m->n_users, dim, err);
    if (!m->P) return -1;
    int threads = m->p.threads;
    size_t wlen = max_row(&m->train) + dim;
    prof_ctx c = {m, xl_rec_vec_d((size_t)threads * wlen, err), wlen};
    if (!c.w) return -1;
    xl_parallel_for(threads, m->n_users, profile_rows, &c);
    free(c.w);
    return 0;
}

/* cosbias: r_ui = s_ui b_u b_i + c, minimise
 *   sum (r - s b_u b_i - c)^2 + lu sum (b_u - 1)^2 + li sum (b_i - 1)^2
 * by exact coordinate blocks (c; all b_u; all b_i), each a closed form, so the
 * objective never increases.  s_ui on training pairs is the leave-one-out
 * cosine (the profile without item i), matching what a held-out item sees. */
int xl_rec_fit_cosbias(xl_rec_model *m, xl_error *err)
{
    const xl_csr *R = &m->train;
    size_t dim = m->iv->dim, nnz = R->nnz;
    int rc = -1;
    double *s = xl_rec_vec_d(nnz, err), *w = xl_rec_vec_d(max_row(R) + 1, err), *S = xl_rec_vec_d(dim, err);
    size_t *col_ptr = NULL, *col_pos = NULL;
    m->bu = xl_rec_vec_d(m->n_users, err);
    m->bi = xl_rec_vec_d(m->n_items, err);
    if (!s || !w || !S || !m->bu || !m->bi) goto out;
    if (xl_rec_fit_content(m, err) < 0) goto out;
    /* leave-one-out cosines */
    for (uint32_t u = 0; u < m->n_users; u++) {
        size_t b = R->ptr[u], e = R->ptr[u + 1];
        if (b == e) continue;
        double wsum = profile_weights(m, u, w);
        (void)wsum;
        memset(S, 0, dim * sizeof *S);
        for (size_t k = b; k < e; k++) {
            const float *v = m->iv->v + (size_t)R->idx[k] * dim;
            for (size_t d = 0; d < dim; d++) S[d] += w[k - b] * v[d];
        }
        double SS = 0;
        for (size_t d = 0; d < dim; d++) SS += S[d] * S[d];
        for (size_t k = b; k < e; k++) {
            const float *v = m->iv->v + (size_t)R->idx[k] * dim;
            double Sv = 0, vv = 0;
            for (size_t d = 0; d < dim; d++) {
                Sv += S[d] * v[d];
                vv += (double)v[d] * v[d];
            }
            double wk = w[k - b];
            double num = Sv - wk * vv, n2 = SS - 2 * wk * Sv + wk * wk * vv;
            s[k] = (n2 > 1e-12 && vv > 0) ? num / (sqrt(n2) * sqrt(vv)) : 0.0;
        }
    }
    /* column access for the b_i step */
    col_ptr = xl_calloc((size_t)m->n_items + 1, sizeof *col_ptr, err);
    col_pos = xl_malloc((nnz ? nnz : 1) * sizeof *col_pos, err);
    if (!col_ptr || !col_pos) goto out;
    for (size_t k = 0; k < nnz; k++) col_ptr[R->idx[k] + 1]++;
    for (uint32_t i = 0; i < m->n_items; i++) col_ptr[i + 1] += col_ptr[i];
    {
        size_t *fill = xl_malloc(((size_t)m->n_items + 1) * sizeof *fill, err);
        if (!fill) goto out;
        memcpy(fill, col_ptr, ((size_t)m->n_items + 1) * sizeof *fill);
        for (size_t k = 0; k < nnz; k++) col_pos[fill[R->idx[k]]++] = k;
        free(fill);
    }
    uint32_t *row_of = xl_malloc((nnz ? nnz : 1) * sizeof *row_of, err);
    if (!row_of) goto out;
    for (uint32_t u = 0; u < m->n_users; u++)
        for (size_t k = R->ptr[u]; k < R->ptr[u + 1]; k++) row_of[k] = u;
    for (uint32_t u = 0; u < m->n_users; u++) m->bu[u] = 1.0;
    for (uint32_t i = 0; i < m->n_items; i++) m->bi[i] = 1.0;
    const double lu = m->p.cos_reg_user, li = m->p.cos_reg_item;
    m->mu = 0;
    for (int ep = 0; ep < m->p.cos_epochs; ep++) {
        double c = 0;
        for (size_t k = 0; k < nnz; k++) c += R->val[k] - s[k] * m->bu[row_of[k]] * m->bi[R->idx[k]];
        m->mu = nnz ? c / (double)nnz : 0.0;
        for (uint32_t u = 0; u < m->n_users; u++) {
            double num = lu, den = lu;
            for (size_t k = R->ptr[u]; k < R->ptr[u + 1]; k++) {
                double a = s[k] * m->bi[R->idx[k]];
                num += a * (R->val[k] - m->mu);
                den += a * a;
            }
            m->bu[u] = num / den;
        }
        for (uint32_t i = 0; i < m->n_items; i++) {
            double num = li, den = li;
            for (size_t q = col_ptr[i]; q < col_ptr[i + 1]; q++) {
                size_t k = col_pos[q];
                double a = s[k] * m->bu[row_of[k]];
                num += a * (R->val[k] - m->mu);
                den += a * a;
            }
            m->bi[i] = num / den;
        }
        double obj = 0;
        for (size_t k = 0; k < nnz; k++) {
            double e = R->val[k] - s[k] * m->bu[row_of[k]] * m->bi[R->idx[k]] - m->mu;
            obj += e * e;
        }
        for (uint32_t u = 0; u < m->n_users; u++) obj += lu * (m->bu[u] - 1) * (m->bu[u] - 1);
        for (uint32_t i = 0; i < m->n_items; i++) obj += li * (m->bi[i] - 1) * (m->bi[i] - 1);
        if (m->n_trace < MAX_TRACE) m->trace[m->n_trace++] = obj;
    }
    free(row_of);
    m->a_u = xl_rec_vec_f(m->n_users, err);
    m->b_j = xl_rec_vec_f(m->n_items, err);
    m->d_u = xl_rec_vec_f(m->n_users, err);
    if (!m->a_u || !m->b_j || !m->d_u) goto out;
    for (uint32_t u = 0; u < m->n_users; u++) {
        m->a_u[u] = (float)m->bu[u];
        m->d_u[u] = (float)m->mu;
    }
    for (uint32_t i = 0; i < m->n_items; i++) m->b_j[i] = (float)m->bi[i];
    rc = 0;
out:
    free(s);
    free(w);
    free(S);
    free(col_ptr);
    free(col_pos);
    return rc;
}

size_t xl_rec_explain(const xl_rec_model *m, uint32_t user, uint32_t item, size_t n, uint32_t *out_items,
                      float *out_contrib)
{
    if (m->kind == XL_REC_HYBRID) return xl_rec_explain(m->content, user, item, n, out_items, out_contrib);
    if ((m->kind != XL_REC_CONTENT && m->kind != XL_REC_COSBIAS) || user >= m->n_users || item >= m->n_items || !n)
        return 0;
    const xl_csr *R = &m->train;
    size_t len = R->ptr[user + 1] - R->ptr[user];
    if (!len) return 0;
    double *w = malloc(len * sizeof *w);
    float *hs = malloc(n * sizeof *hs);
    uint32_t *hi = malloc(n * sizeof *hi);
    size_t hn = 0;
    if (w && hs && hi) {
        double sum = profile_weights(m, user, w);
        const float *v = m->iv->v + (size_t)item * m->iv->dim;
        for (size_t k = 0; k < len; k++) {
            uint32_t i = R->idx[R->ptr[user] + k];
            const float *vi = m->iv->v + (size_t)i * m->iv->dim;
            /* a never-embedded item (zero vector) or one orthogonal to the target contributes
             * nothing: it is no reason, so it is not listed (issue 17) */
            float c = (float)(w[k] * xl_rec_dot(vi, v, m->iv->dim) / sum);
            if (c == 0.0f || isnan(c)) continue;
            xl_rec_heap_push(hs, hi, &hn, n, c, i);
        }
        size_t cnt = hn;
        xl_rec_heap_drain(hs, hi, hn, out_contrib, out_items);
        hn = cnt;
    }
    free(w);
    free(hs);
    free(hi);
    return hn;
}
