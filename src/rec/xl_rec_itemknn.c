/* xl_rec_itemknn.c - item-based k-nearest neighbours on binary interactions:
 * s_ij = |U_i & U_j| / (sqrt|U_i| sqrt|U_j| + shrink), the top `knn_neighbors` per item kept
 * (threaded over items, exact); score_j = sum over the user's items i of s_ij. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

typedef struct {
    const xl_csr *T; /* items x users */
    const xl_csr *R; /* users x items */
    xl_rec_model *m;
    float *acc;      /* per thread n_items */
    uint32_t *touched; /* per thread n_items */
} knn_ctx;

static void knn_items(void *vctx, size_t begin, size_t end, int tid)
{
    knn_ctx *c = vctx;
    xl_rec_model *m = c->m;
    size_t n_items = m->n_items, K = m->nb_k;
    float *acc = c->acc + (size_t)tid * n_items;
    uint32_t *touched = c->touched + (size_t)tid * n_items;
    float hs[1024];
    uint32_t hi[1024];
    for (size_t i = begin; i < end; i++) {
        size_t nt = 0;
        for (size_t k = c->T->ptr[i]; k < c->T->ptr[i + 1]; k++) {
            uint32_t u = c->T->idx[k];
            for (size_t q = c->R->ptr[u]; q < c->R->ptr[u + 1]; q++) {
                uint32_t j = c->R->idx[q];
                if (j == i) continue;
                if (acc[j] == 0.0f) touched[nt++] = j;
                acc[j] += 1.0f;
            }
        }
        double ni = (double)(c->T->ptr[i + 1] - c->T->ptr[i]);
        size_t hn = 0;
        for (size_t t = 0; t < nt; t++) {
            uint32_t j = touched[t];
            double nj = (double)(c->T->ptr[j + 1] - c->T->ptr[j]);
            float s = (float)(acc[j] / (sqrt(ni) * sqrt(nj) + m->p.knn_shrink));
            acc[j] = 0.0f;
            xl_rec_heap_push(hs, hi, &hn, K, s, j);
        }
        uint32_t *oi = m->nb_idx + i * K;
        float *os = m->nb_sim + i * K;
        for (size_t t = 0; t < K; t++) {
            oi[t] = XL_REC_NONE;
            os[t] = 0;
        }
        xl_rec_heap_drain(hs, hi, hn, os, oi);
    }
}

int xl_rec_fit_itemknn(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    int threads = m->p.threads;
    size_t K = (size_t)(m->p.knn_neighbors < 1 ? 1 : m->p.knn_neighbors > 1024 ? 1024 : m->p.knn_neighbors);
    m->nb_k = K;
    xl_csr T;
    if (xl_csr_transpose(R, &T, err) < 0) return -1;
    size_t cells;
    int rc = -1;
    float *acc = NULL;
    uint32_t *touched = NULL;
    if (!xl_mul_size(m->n_items ? m->n_items : 1, K, &cells)) {
        xl_fail(err, XL_ERR_LIMIT, "itemknn: neighbour table overflows");
        goto out;
    }
    m->nb_idx = xl_malloc(cells * sizeof *m->nb_idx, err);
    m->nb_sim = xl_malloc(cells * sizeof *m->nb_sim, err);
    acc = xl_calloc((size_t)threads * (m->n_items ? m->n_items : 1), sizeof *acc, err);
    touched = xl_malloc((size_t)threads * (m->n_items ? m->n_items : 1) * sizeof *touched, err);
    if (!m->nb_idx || !m->nb_sim || !acc || !touched) goto out;
    knn_ctx c = {&T, R, m, acc, touched};
    xl_parallel_for(threads, m->n_items, knn_items, &c);
    rc = 0;
out:
    free(acc);
    free(touched);
    xl_csr_free(&T);
    return rc;
}

/* score_j = sum over the user's training items i of s_ij (0 for a user outside the model). */
void xl_rec_itemknn_score(const xl_rec_model *m, uint32_t user, float *scores)
{
    memset(scores, 0, m->n_items * sizeof *scores);
    if (user >= m->n_users) return;
    const xl_csr *R = &m->train;
    for (size_t k = R->ptr[user]; k < R->ptr[user + 1]; k++) {
        const uint32_t *ni = m->nb_idx + (size_t)R->idx[k] * m->nb_k;
        const float *ns = m->nb_sim + (size_t)R->idx[k] * m->nb_k;
        for (size_t t = 0; t < m->nb_k && ni[t] != XL_REC_NONE; t++) scores[ni[t]] += ns[t];
    }
}
