/* xl_rec_baseline.c - the count and bias models: popularity (score = number of
 * training users), mean (r = mu) and the baseline r = mu + b_u + b_i (Koren 2010 section 2.1,
 * Surprise BaselineOnly's alternating closed form).  See xl_rec_model.h; the scoring is
 * the shared linear form of xl_rec_model.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

int xl_rec_fit_popularity(xl_rec_model *m, const xl_csr *train, xl_error *err)
{
    m->g_j = xl_rec_vec_f(m->n_items, err);
    if (!m->g_j) return -1;
    for (size_t k = 0; k < train->nnz; k++) m->g_j[train->idx[k]] += 1.0f;
    return 0;
}

int xl_rec_fit_mean(xl_rec_model *m, const xl_csr *train, xl_error *err)
{
    m->mu = xl_rec_global_mean(train);
    m->d_u = xl_rec_vec_f(m->n_users, err);
    if (!m->d_u) return -1;
    for (uint32_t u = 0; u < m->n_users; u++) m->d_u[u] = (float)m->mu;
    return 0;
}

int xl_rec_fit_baseline(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    xl_csr T;
    if (xl_csr_transpose(R, &T, err) < 0) return -1;
    m->bu = xl_rec_vec_d(m->n_users, err);
    m->bi = xl_rec_vec_d(m->n_items, err);
    if (!m->bu || !m->bi) {
        xl_csr_free(&T);
        return -1;
    }
    m->mu = xl_rec_global_mean(R);
    for (int ep = 0; ep < m->p.bias_epochs; ep++) {
        /* Surprise baseline_als: items first, then users. */
        for (uint32_t i = 0; i < m->n_items; i++) {
            double dev = 0;
            for (size_t k = T.ptr[i]; k < T.ptr[i + 1]; k++) dev += T.val[k] - m->mu - m->bu[T.idx[k]];
            m->bi[i] = dev / (m->p.bias_reg_item + (double)(T.ptr[i + 1] - T.ptr[i]));
        }
        for (uint32_t u = 0; u < m->n_users; u++) {
            double dev = 0;
            for (size_t k = R->ptr[u]; k < R->ptr[u + 1]; k++) dev += R->val[k] - m->mu - m->bi[R->idx[k]];
            m->bu[u] = dev / (m->p.bias_reg_user + (double)(R->ptr[u + 1] - R->ptr[u]));
        }
        double obj = 0;
        for (uint32_t u = 0; u < m->n_users; u++)
            for (size_t k = R->ptr[u]; k < R->ptr[u + 1]; k++) {
                double e = R->val[k] - m->mu - m->bu[u] - m->bi[R->idx[k]];
                obj += e * e;
            }
        for (uint32_t u = 0; u < m->n_users; u++) obj += m->p.bias_reg_user * m->bu[u] * m->bu[u];
        for (uint32_t i = 0; i < m->n_items; i++) obj += m->p.bias_reg_item * m->bi[i] * m->bi[i];
        if (m->n_trace < MAX_TRACE) m->trace[m->n_trace++] = obj;
    }
    xl_csr_free(&T);
    return 0;
}

/* The fitted mu, b_u, b_i as the linear form's g_j = b_i, d_u = mu + b_u (baseline and mf). */
int xl_rec_biases_to_linear(xl_rec_model *m, xl_error *err)
{
    m->g_j = xl_rec_vec_f(m->n_items, err);
    m->d_u = xl_rec_vec_f(m->n_users, err);
    if (!m->g_j || !m->d_u) return -1;
    for (uint32_t i = 0; i < m->n_items; i++) m->g_j[i] = (float)m->bi[i];
    for (uint32_t u = 0; u < m->n_users; u++) m->d_u[u] = (float)(m->mu + m->bu[u]);
    return 0;
}
