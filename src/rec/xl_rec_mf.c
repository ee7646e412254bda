/* xl_rec_mf.c - biased matrix factorisation for ratings (Koren 2009; Surprise's
 * SVD): r = mu + b_u + b_i + p_u . q_i, fitted by SGD over a shuffled order each epoch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

int xl_rec_fit_mf(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    size_t f = (size_t)m->p.factors;
    m->f = f;
    m->P = xl_rec_alloc_factors(m->n_users, f, err);
    m->Q = xl_rec_alloc_factors(m->n_items, f, err);
    m->bu = xl_rec_vec_d(m->n_users, err);
    m->bi = xl_rec_vec_d(m->n_items, err);
    uint32_t *order = xl_malloc((R->nnz ? R->nnz : 1) * sizeof *order, err);
    uint32_t *row = xl_malloc((R->nnz ? R->nnz : 1) * sizeof *row, err);
    if (!m->P || !m->Q || !m->bu || !m->bi || !order || !row) {
        free(order);
        free(row);
        return -1;
    }
    if (R->nnz >= UINT32_MAX) {
        free(order);
        free(row);
        return xl_fail(err, XL_ERR_LIMIT, "mf: more than 2^32-1 ratings");
    }
    xl_rng rng;
    xl_rng_seed(&rng, m->p.seed, 1);
    xl_rec_init_normal(m->P, (size_t)m->n_users * f, m->p.init_std, &rng);
    xl_rec_init_normal(m->Q, (size_t)m->n_items * f, m->p.init_std, &rng);
    m->mu = xl_rec_global_mean(R);
    for (uint32_t u = 0; u < m->n_users; u++)
        for (size_t k = R->ptr[u]; k < R->ptr[u + 1]; k++) row[k] = u;
    for (size_t k = 0; k < R->nnz; k++) order[k] = (uint32_t)k;
    const double lr = m->p.lr, reg = m->p.reg;
    for (int ep = 0; ep < m->p.epochs; ep++) {
        xl_rng_shuffle_u32(&rng, order, (uint32_t)R->nnz);
        for (size_t t = 0; t < R->nnz; t++) {
            size_t k = order[t];
            uint32_t u = row[k], i = R->idx[k];
            float *pu = m->P + (size_t)u * f, *qi = m->Q + (size_t)i * f;
            double e = R->val[k] - (m->mu + m->bu[u] + m->bi[i] + xl_rec_dot_d(pu, qi, f));
            m->bu[u] += lr * (e - reg * m->bu[u]);
            m->bi[i] += lr * (e - reg * m->bi[i]);
            const float fe = (float)e, flr = (float)lr, freg = (float)reg;
            for (size_t d = 0; d < f; d++) {
                float p = pu[d], q = qi[d];
                pu[d] += flr * (fe * q - freg * p);
                qi[d] += flr * (fe * p - freg * q);
            }
        }
    }
    free(order);
    free(row);
    return 0;
}
