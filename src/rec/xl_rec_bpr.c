/* xl_rec_bpr.c - Bayesian personalised ranking (Rendle et al., UAI 2009):
 * max sum ln sigma(x_ui - x_uj) - lambda |Theta|^2 with x_ui = p_u . q_i + b_i, by SGD on
 * sampled (u, i, j) triples, one thread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

int xl_rec_fit_bpr(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    size_t f = (size_t)m->p.factors;
    m->f = f;
    m->P = xl_rec_alloc_factors(m->n_users, f, err);
    m->Q = xl_rec_alloc_factors(m->n_items, f, err);
    m->g_j = xl_rec_vec_f(m->n_items, err);
    uint32_t *row = xl_malloc((R->nnz ? R->nnz : 1) * sizeof *row, err);
    float *step = xl_rec_vec_f(f, err);
    if (!m->P || !m->Q || !m->g_j || !row || !step) {
        free(row);
        free(step);
        return -1;
    }
    xl_rng rng;
    xl_rng_seed(&rng, m->p.seed, 2);
    xl_rec_init_normal(m->P, (size_t)m->n_users * f, m->p.init_std, &rng);
    xl_rec_init_normal(m->Q, (size_t)m->n_items * f, m->p.init_std, &rng);
    for (uint32_t u = 0; u < m->n_users; u++)
        for (size_t k = R->ptr[u]; k < R->ptr[u + 1]; k++) row[k] = u;
    const float lr = (float)m->p.bpr_lr, reg = (float)m->p.bpr_reg;
    if (R->nnz == 0 || m->n_items < 2 || R->nnz > UINT32_MAX) goto done;
    for (int ep = 0; ep < m->p.bpr_epochs; ep++) {
        for (size_t t = 0; t < R->nnz; t++) {
            size_t k = xl_rng_below(&rng, (uint32_t)R->nnz);
            uint32_t u = row[k], i = R->idx[k];
            if (R->ptr[u + 1] - R->ptr[u] >= m->n_items) continue; /* no negative exists */
            uint32_t j;
            do j = xl_rng_below(&rng, m->n_items);
            while (xl_csr_has(R, u, j));
            float *pu = m->P + (size_t)u * f, *qi = m->Q + (size_t)i * f, *qj = m->Q + (size_t)j * f;
            float x = m->g_j[i] - m->g_j[j];
            for (size_t d = 0; d < f; d++) x += pu[d] * (qi[d] - qj[d]);
            float s = (float)(1.0 / (1.0 + exp((double)x))); /* d ln sigma(x) / dx */
            for (size_t d = 0; d < f; d++) {
                float p = pu[d];
                step[d] = s * (qi[d] - qj[d]) - reg * p;
                qi[d] += lr * (s * p - reg * qi[d]);
                qj[d] += lr * (-s * p - reg * qj[d]);
            }
            for (size_t d = 0; d < f; d++) pu[d] += lr * step[d];
            m->g_j[i] += lr * (s - reg * m->g_j[i]);
            m->g_j[j] += lr * (-s - reg * m->g_j[j]);
        }
    }
done:
    free(row);
    free(step);
    return 0;
}
