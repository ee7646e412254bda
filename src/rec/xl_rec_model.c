/* xl_rec_model.c - see xl_rec_model.h.
 *
 * All "linear" models share one scoring form so that one blocked kernel
 * serves them (and the benchmark):
 *     score(u, j) = a_u * (P_u . Q_j) * b_j + g_j + d_u
 *   als      P = user factors, Q = item factors
 *   bpr      ... + g_j = item bias
 *   mf       ... + g_j = b_i, d_u = mu + b_u
 *   mean     d_u = mu (no factors)
 *   baseline g_j = b_i, d_u = mu + b_u
 *   popularity g_j = number of training users
 *   content  P = unit user profiles, Q = unit item vectors
 *   cosbias  content's P, Q with a_u = b_u, b_j = b_i, d_u = c
 * item-kNN and hybrid score one user at a time.
 */
#include "xl_rec_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

#include "xl_rec_internal.h"

void xl_rec_params_default(xl_rec_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 42;
    p->threads = XL_THREADS_DEFAULT;
    p->factors = 100;
    p->epochs = 20;
    p->lr = 0.005;
    p->reg = 0.02;
    p->init_std = 0.1;
    p->bpr_lr = 0.1;
    p->bpr_reg = 0.01;
    p->bpr_epochs = 100;
    p->als_alpha = 10.0;
    p->als_reg = 100.0; /* measured, docs/recommender.md "ALS and BPR defaults": best geometric mean of the
                         * validation NDCG ratios to popularity over ml, kmrd and bx (alpha 10 kept) */
    p->als_iters = 15;
    p->knn_neighbors = 100;
    p->knn_shrink = 100.0; /* measured, docs/recommender.md "Measured defaults": best on ml, kmrd and bx */
    p->bias_reg_user = 15.0;
    p->bias_reg_item = 10.0;
    p->bias_epochs = 10;
    p->profile_weight = XL_PROFILE_RATING;
    p->cos_reg_user = 5.0;
    p->cos_reg_item = 5.0;
    p->cos_epochs = 20;
    p->hybrid_alpha = 0.5;
    p->hybrid_cf = XL_REC_ALS;
    p->rating_min = 0.0;
    p->rating_max = 0.0;
}

static const char *const kind_names[XL_REC_N_KINDS] = {"popularity", "itemknn", "als",     "bpr",     "mf",
                                                       "mean",       "baseline", "content", "cosbias", "hybrid"};

const char *xl_rec_kind_name(xl_rec_kind k)
{
    return (unsigned)k < XL_REC_N_KINDS ? kind_names[k] : "?";
}

int xl_rec_kind_parse(const char *name)
{
    for (int k = 0; k < XL_REC_N_KINDS; k++)
        if (strcmp(name, kind_names[k]) == 0) return k;
    return -1;
}

bool xl_rec_needs_vectors(xl_rec_kind k)
{
    return k == XL_REC_CONTENT || k == XL_REC_COSBIAS || k == XL_REC_HYBRID;
}

bool xl_rec_predicts_ratings(xl_rec_kind k)
{
    return k == XL_REC_MF || k == XL_REC_MEAN || k == XL_REC_BASELINE || k == XL_REC_COSBIAS;
}

const xl_csr *xl_rec_train_matrix(const xl_rec_model *m)
{
    return &m->train;
}

void xl_rec_set_threads(xl_rec_model *m, int threads)
{
    m->p.threads = xl_resolve_threads(threads);
    if (m->cf) xl_rec_set_threads(m->cf, threads);
    if (m->content) xl_rec_set_threads(m->content, threads);
}

xl_rec_kind xl_rec_model_kind(const xl_rec_model *m)
{
    return m->kind;
}

uint32_t xl_rec_n_items(const xl_rec_model *m)
{
    return m->n_items;
}

double xl_rec_fit_seconds(const xl_rec_model *m)
{
    return m->fit_seconds;
}

void xl_rec_set_hybrid_alpha(xl_rec_model *m, double alpha)
{
    if (m->kind == XL_REC_HYBRID) m->alpha = alpha;
}

const double *xl_rec_objective_trace(const xl_rec_model *m, int *n)
{
    *n = m->n_trace;
    return m->trace;
}

int xl_rec_get_biases(const xl_rec_model *m, xl_rec_biases *out)
{
    if (!m->bu && !m->bi && m->kind != XL_REC_MEAN) return -1;
    out->mu = m->mu;
    out->b_user = m->bu;
    out->b_item = m->bi;
    return 0;
}

void xl_rec_free(xl_rec_model *m)
{
    if (!m) return;
    xl_csr_free(&m->train);
    xl_aligned_free(m->P);
    xl_aligned_free(m->Q);
    free(m->a_u);
    free(m->b_j);
    free(m->g_j);
    free(m->d_u);
    free(m->bu);
    free(m->bi);
    free(m->nb_idx);
    free(m->nb_sim);
    xl_rec_free(m->cf);
    xl_rec_free(m->content);
    xl_item_vectors_free(&m->own_iv);
    free(m);
}

/* ---------------------------------------------------------------- kernels */

/* Eight independent partial sums: the compiler maps them to SIMD lanes
 * without -ffast-math, and the summation order is fixed (bit-exact runs). */
float xl_rec_dot(const float *a, const float *b, size_t n)
{
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t d = 0;
    for (; d + 8 <= n; d += 8)
        for (int k = 0; k < 8; k++) acc[k] += a[d + k] * b[d + k];
    for (; d < n; d++) acc[d & 7] += a[d] * b[d];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static double dot_d(const float *a, const float *b, size_t n)
{
    return (double)xl_rec_dot(a, b, n);
}

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

static float *alloc_factors(size_t rows, size_t f, xl_error *err)
{
    size_t n, bytes;
    if (!xl_mul_size(rows, f ? f : 1, &n) || !xl_mul_size(n, sizeof(float), &bytes)) {
        xl_fail(err, XL_ERR_LIMIT, "factor matrix %zu x %zu overflows", rows, f);
        return NULL;
    }
    float *m = xl_aligned_alloc(bytes ? bytes : 64, err);
    if (m) memset(m, 0, bytes);
    return m;
}

static void init_normal(float *m, size_t n, double std, xl_rng *rng)
{
    for (size_t k = 0; k < n; k++) m[k] = (float)(xl_rng_normal(rng) * std);
}

static float *vec_f(size_t n, xl_error *err)
{
    return xl_calloc(n ? n : 1, sizeof(float), err);
}

static double *vec_d(size_t n, xl_error *err)
{
    return xl_calloc(n ? n : 1, sizeof(double), err);
}

static double global_mean(const xl_csr *t)
{
    double s = 0;
    for (size_t k = 0; k < t->nnz; k++) s += t->val[k];
    return t->nnz ? s / (double)t->nnz : 0.0;
}

/* ---------------------------------------------------------------- baselines */

static int fit_baseline(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    xl_csr T;
    if (xl_csr_transpose(R, &T, err) < 0) return -1;
    m->bu = vec_d(m->n_users, err);
    m->bi = vec_d(m->n_items, err);
    if (!m->bu || !m->bi) {
        xl_csr_free(&T);
        return -1;
    }
    m->mu = global_mean(R);
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

/* ---------------------------------------------------------------- SGD MF */

static int fit_mf(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    size_t f = (size_t)m->p.factors;
    m->f = f;
    m->P = alloc_factors(m->n_users, f, err);
    m->Q = alloc_factors(m->n_items, f, err);
    m->bu = vec_d(m->n_users, err);
    m->bi = vec_d(m->n_items, err);
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
    init_normal(m->P, (size_t)m->n_users * f, m->p.init_std, &rng);
    init_normal(m->Q, (size_t)m->n_items * f, m->p.init_std, &rng);
    m->mu = global_mean(R);
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
            double e = R->val[k] - (m->mu + m->bu[u] + m->bi[i] + dot_d(pu, qi, f));
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

/* ---------------------------------------------------------------- BPR */

static int fit_bpr(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    size_t f = (size_t)m->p.factors;
    m->f = f;
    m->P = alloc_factors(m->n_users, f, err);
    m->Q = alloc_factors(m->n_items, f, err);
    m->g_j = vec_f(m->n_items, err);
    uint32_t *row = xl_malloc((R->nnz ? R->nnz : 1) * sizeof *row, err);
    float *step = vec_f(f, err);
    if (!m->P || !m->Q || !m->g_j || !row || !step) {
        free(row);
        free(step);
        return -1;
    }
    xl_rng rng;
    xl_rng_seed(&rng, m->p.seed, 2);
    init_normal(m->P, (size_t)m->n_users * f, m->p.init_std, &rng);
    init_normal(m->Q, (size_t)m->n_items * f, m->p.init_std, &rng);
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

/* ---------------------------------------------------------------- ALS */

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

static int fit_als(xl_rec_model *m, const xl_csr *R, xl_error *err)
{
    size_t f = (size_t)m->p.factors;
    m->f = f;
    int threads = m->p.threads;
    xl_csr T;
    if (xl_csr_transpose(R, &T, err) < 0) return -1;
    m->P = alloc_factors(m->n_users, f, err);
    m->Q = alloc_factors(m->n_items, f, err);
    double *G = vec_d(f * f, err);
    double *work = vec_d((size_t)threads * (f * f + f), err);
    int rc = -1;
    if (!m->P || !m->Q || !G || !work) goto out;
    xl_rng rng;
    xl_rng_seed(&rng, m->p.seed, 3);
    init_normal(m->P, (size_t)m->n_users * f, m->p.init_std, &rng);
    init_normal(m->Q, (size_t)m->n_items * f, m->p.init_std, &rng);
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

/* ---------------------------------------------------------------- item-kNN */

typedef struct {
    const xl_csr *T; /* items x users */
    const xl_csr *R; /* users x items */
    xl_rec_model *m;
    float *acc;      /* per thread n_items */
    uint32_t *touched; /* per thread n_items */
} knn_ctx;

/* "a is better than b": higher score, then lower index. */
static inline bool better(float sa, uint32_t ia, float sb, uint32_t ib)
{
    return sa > sb || (sa == sb && ia < ib);
}

/* Min-heap (worst on top) of capacity k. */
static void heap_push(float *hs, uint32_t *hi, size_t *n, size_t k, float s, uint32_t item)
{
    if (*n < k) {
        size_t c = (*n)++;
        while (c > 0) {
            size_t p = (c - 1) / 2;
            if (!better(hs[p], hi[p], s, item)) break;
            hs[c] = hs[p];
            hi[c] = hi[p];
            c = p;
        }
        hs[c] = s;
        hi[c] = item;
        return;
    }
    if (!better(s, item, hs[0], hi[0])) return;
    size_t c = 0;
    for (;;) {
        size_t l = 2 * c + 1, r = l + 1, w = c;
        float ws = s;
        uint32_t wi = item;
        if (l < k && better(ws, wi, hs[l], hi[l])) {
            w = l;
            ws = hs[l];
            wi = hi[l];
        }
        if (r < k && better(ws, wi, hs[r], hi[r])) w = r;
        if (w == c) break;
        hs[c] = hs[w];
        hi[c] = hi[w];
        c = w;
    }
    hs[c] = s;
    hi[c] = item;
}

/* Pop everything, best first, into out (n entries). */
static void heap_drain(float *hs, uint32_t *hi, size_t n, float *out_s, uint32_t *out_i)
{
    /* the heap has the worst on top: repeatedly remove the top into the back */
    while (n > 0) {
        out_s[n - 1] = hs[0];
        out_i[n - 1] = hi[0];
        float s = hs[n - 1];
        uint32_t it = hi[n - 1];
        n--;
        size_t c = 0;
        for (;;) {
            size_t l = 2 * c + 1, r = l + 1, w = c;
            float ws = s;
            uint32_t wi = it;
            if (l < n && better(ws, wi, hs[l], hi[l])) {
                w = l;
                ws = hs[l];
                wi = hi[l];
            }
            if (r < n && better(ws, wi, hs[r], hi[r])) w = r;
            if (w == c) break;
            hs[c] = hs[w];
            hi[c] = hi[w];
            c = w;
        }
        if (n > 0) {
            hs[c] = s;
            hi[c] = it;
        }
    }
}

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
            heap_push(hs, hi, &hn, K, s, j);
        }
        uint32_t *oi = m->nb_idx + i * K;
        float *os = m->nb_sim + i * K;
        for (size_t t = 0; t < K; t++) {
            oi[t] = XL_REC_NONE;
            os[t] = 0;
        }
        heap_drain(hs, hi, hn, os, oi);
    }
}

static int fit_itemknn(xl_rec_model *m, const xl_csr *R, xl_error *err)
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

/* ---------------------------------------------------------------- content */

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

static int fit_content(xl_rec_model *m, xl_error *err)
{
    size_t dim = m->iv->dim;
    m->f = dim;
    m->Qv = m->iv->v;
    m->P = alloc_factors(m->n_users, dim, err);
    if (!m->P) return -1;
    int threads = m->p.threads;
    size_t wlen = max_row(&m->train) + dim;
    prof_ctx c = {m, vec_d((size_t)threads * wlen, err), wlen};
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
static int fit_cosbias(xl_rec_model *m, xl_error *err)
{
    const xl_csr *R = &m->train;
    size_t dim = m->iv->dim, nnz = R->nnz;
    int rc = -1;
    double *s = vec_d(nnz, err), *w = vec_d(max_row(R) + 1, err), *S = vec_d(dim, err);
    size_t *col_ptr = NULL, *col_pos = NULL;
    m->bu = vec_d(m->n_users, err);
    m->bi = vec_d(m->n_items, err);
    if (!s || !w || !S || !m->bu || !m->bi) goto out;
    if (fit_content(m, err) < 0) goto out;
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
    m->a_u = vec_f(m->n_users, err);
    m->b_j = vec_f(m->n_items, err);
    m->d_u = vec_f(m->n_users, err);
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

/* ---------------------------------------------------------------- fit */

static int copy_csr(xl_csr *dst, const xl_csr *src, xl_error *err)
{
    xl_csr t;
    if (xl_csr_transpose(src, &t, err) < 0) return -1;
    int rc = xl_csr_transpose(&t, dst, err);
    xl_csr_free(&t);
    return rc;
}

static bool finite_f(const float *v, size_t n)
{
    if (v != NULL)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(v[i])) return false;
    return true;
}

static bool finite_d(const double *v, size_t n)
{
    if (v != NULL)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(v[i])) return false;
    return true;
}

/* Every parameter a model learned is finite (a hybrid's parts were checked by their own fit). */
static bool params_finite(const xl_rec_model *m)
{
    size_t U = m->n_users, I = m->n_items;
    return isfinite(m->mu) && finite_f(m->P, U * m->f) && (m->Q == NULL || finite_f(m->Q, I * m->f)) &&
           finite_f(m->a_u, U) && finite_f(m->d_u, U) && finite_f(m->b_j, I) && finite_f(m->g_j, I) &&
           finite_d(m->bu, U) && finite_d(m->bi, I) && finite_f(m->nb_sim, I * m->nb_k);
}

static double max_abs_rating(const xl_csr *train)
{
    double mx = 0;
    for (size_t k = 0; k < train->nnz; k++)
        if (fabs((double)train->val[k]) > mx) mx = fabs((double)train->val[k]);
    return mx;
}

xl_rec_model *xl_rec_fit(xl_rec_kind kind, const xl_rec_params *p, const xl_csr *train, const xl_item_vectors *vectors,
                         xl_error *err)
{
    if ((unsigned)kind >= XL_REC_N_KINDS) {
        xl_fail(err, XL_ERR_USAGE, "unknown model kind %d", (int)kind);
        return NULL;
    }
    if (xl_rec_needs_vectors(kind)) {
        if (!vectors || !vectors->v) {
            xl_fail(err, XL_ERR_USAGE, "model %s needs item vectors", kind_names[kind]);
            return NULL;
        }
        if (vectors->n != train->n_cols) {
            xl_fail(err, XL_ERR_USAGE, "model %s: %zu item vectors for %u items", kind_names[kind], vectors->n,
                    train->n_cols);
            return NULL;
        }
    }
    if ((kind == XL_REC_ALS || kind == XL_REC_BPR || kind == XL_REC_MF) && (p->factors < 1 || p->factors > 4096)) {
        xl_fail(err, XL_ERR_USAGE, "model %s: factors must be in [1, 4096]", kind_names[kind]);
        return NULL;
    }
    double t0 = xl_time_now();
    xl_rec_model *m = xl_calloc(1, sizeof *m, err);
    if (!m) return NULL;
    m->kind = kind;
    m->p = *p;
    m->p.threads = xl_resolve_threads(p->threads); /* resolved once; the fitters use it as is */
    m->n_users = train->n_rows;
    m->n_items = train->n_cols;
    m->iv = vectors;
    m->alpha = p->hybrid_alpha;
    if (copy_csr(&m->train, train, err) < 0) goto fail;
    int rc = 0;
    switch (kind) {
    case XL_REC_POPULARITY:
        m->g_j = vec_f(m->n_items, err);
        if (!m->g_j) goto fail;
        for (size_t k = 0; k < train->nnz; k++) m->g_j[train->idx[k]] += 1.0f;
        break;
    case XL_REC_MEAN:
        m->mu = global_mean(train);
        m->d_u = vec_f(m->n_users, err);
        if (!m->d_u) goto fail;
        for (uint32_t u = 0; u < m->n_users; u++) m->d_u[u] = (float)m->mu;
        break;
    case XL_REC_BASELINE:
    case XL_REC_MF:
        rc = kind == XL_REC_BASELINE ? fit_baseline(m, train, err) : fit_mf(m, train, err);
        if (rc < 0) goto fail;
        m->g_j = vec_f(m->n_items, err);
        m->d_u = vec_f(m->n_users, err);
        if (!m->g_j || !m->d_u) goto fail;
        for (uint32_t i = 0; i < m->n_items; i++) m->g_j[i] = (float)m->bi[i];
        for (uint32_t u = 0; u < m->n_users; u++) m->d_u[u] = (float)(m->mu + m->bu[u]);
        break;
    case XL_REC_ALS:
        if (fit_als(m, train, err) < 0) goto fail;
        break;
    case XL_REC_BPR:
        if (fit_bpr(m, train, err) < 0) goto fail;
        break;
    case XL_REC_ITEMKNN:
        if (fit_itemknn(m, train, err) < 0) goto fail;
        break;
    case XL_REC_CONTENT:
        if (fit_content(m, err) < 0) goto fail;
        break;
    case XL_REC_COSBIAS:
        if (fit_cosbias(m, err) < 0) goto fail;
        break;
    case XL_REC_HYBRID: {
        xl_rec_kind cfk = p->hybrid_cf;
        if (cfk == XL_REC_HYBRID || xl_rec_needs_vectors(cfk)) {
            xl_fail(err, XL_ERR_USAGE, "hybrid: the CF part must be a collaborative model");
            goto fail;
        }
        m->cf = xl_rec_fit(cfk, p, train, vectors, err);
        if (!m->cf) goto fail;
        m->content = xl_rec_fit(XL_REC_CONTENT, p, train, vectors, err);
        if (!m->content) goto fail;
        break;
    }
    default:
        break;
    }
    if (!m->Qv) m->Qv = m->Q;
    if (!params_finite(m)) { /* diverged: NaN scores would silently empty every list and make RMSE nan */
        xl_fail(err, XL_ERR_GENERIC, "model %s diverged: a learned parameter is not finite (ratings up to %g; "
                "lower --lr, raise --reg, or rescale the ratings)", kind_names[kind], max_abs_rating(train));
        goto fail;
    }
    m->fit_seconds = xl_time_now() - t0;
    return m;
fail:
    xl_rec_free(m);
    return NULL;
}

/* ---------------------------------------------------------------- fold-in */

static bool can_fold_in(xl_rec_kind k)
{
    return k == XL_REC_POPULARITY || k == XL_REC_MEAN || k == XL_REC_ITEMKNN || k == XL_REC_ALS ||
           k == XL_REC_CONTENT || k == XL_REC_HYBRID;
}

xl_rec_model *xl_rec_fold_in(const xl_rec_model *m, const xl_csr *history, xl_error *err)
{
    if (!can_fold_in(m->kind) || (m->kind == XL_REC_HYBRID && !can_fold_in(m->cf->kind))) {
        xl_fail(err, XL_ERR_USAGE, "fold-in: not available for %s%s (popularity, mean, itemknn, als, content, hybrid "
                "of those)", xl_rec_kind_name(m->kind), m->kind == XL_REC_HYBRID ? " with this CF part" : "");
        return NULL;
    }
    if (history->n_cols != m->n_items) {
        xl_fail(err, XL_ERR_USAGE, "fold-in: history has %u item columns, the model %u items", history->n_cols,
                m->n_items);
        return NULL;
    }
    double t0 = xl_time_now();
    xl_rec_model *n = xl_calloc(1, sizeof *n, err);
    if (!n) return NULL;
    n->kind = m->kind;
    n->p = m->p;
    n->n_users = history->n_rows;
    n->n_items = m->n_items;
    n->iv = m->iv;
    n->alpha = m->alpha;
    n->mu = m->mu;
    size_t I = m->n_items;
    if (copy_csr(&n->train, history, err) < 0) goto fail;
    switch (m->kind) {
    case XL_REC_POPULARITY:
        if (!(n->g_j = vec_f(I, err))) goto fail;
        memcpy(n->g_j, m->g_j, I * sizeof *n->g_j);
        break;
    case XL_REC_MEAN:
        if (!(n->d_u = vec_f(n->n_users, err))) goto fail;
        for (uint32_t u = 0; u < n->n_users; u++) n->d_u[u] = (float)m->mu;
        break;
    case XL_REC_ITEMKNN:
        n->nb_k = m->nb_k;
        n->nb_idx = xl_malloc(I * m->nb_k * sizeof *n->nb_idx, err);
        n->nb_sim = xl_malloc(I * m->nb_k * sizeof *n->nb_sim, err);
        if (!n->nb_idx || !n->nb_sim) goto fail;
        memcpy(n->nb_idx, m->nb_idx, I * m->nb_k * sizeof *n->nb_idx);
        memcpy(n->nb_sim, m->nb_sim, I * m->nb_k * sizeof *n->nb_sim);
        break;
    case XL_REC_ALS: { /* x_u = (Y'Y + Y'(C_u - I)Y + reg I)^-1 Y'C_u p_u with the model's Y (Hu et al. 2008) */
        size_t f = m->f;
        int threads = n->p.threads;
        n->f = f;
        n->P = alloc_factors(n->n_users, f, err);
        n->Q = alloc_factors(I, f, err);
        double *G = vec_d(f * f, err), *work = vec_d((size_t)threads * (f * f + f), err);
        if (!n->P || !n->Q || !G || !work) {
            free(G);
            free(work);
            goto fail;
        }
        memcpy(n->Q, m->Q, I * f * sizeof *n->Q);
        gram(n->Q, I, f, G);
        als_ctx c = {&n->train, n->Q, n->P, G, f, n->p.als_alpha, n->p.als_reg, n->p.als_use_rating, work, 0};
        xl_parallel_for(threads, n->n_users, als_rows, &c);
        free(G);
        free(work);
        if (c.failed) {
            xl_fail(err, XL_ERR_GENERIC, "fold-in: als system not positive definite");
            goto fail;
        }
        break;
    }
    case XL_REC_CONTENT:
        if (fit_content(n, err) < 0) goto fail;
        break;
    case XL_REC_HYBRID:
        if (!(n->cf = xl_rec_fold_in(m->cf, history, err)) || !(n->content = xl_rec_fold_in(m->content, history, err)))
            goto fail;
        break;
    default:
        break;
    }
    if (!n->Qv) n->Qv = n->Q;
    n->fit_seconds = xl_time_now() - t0;
    return n;
fail:
    xl_rec_free(n);
    return NULL;
}

/* ---------------------------------------------------------------- scoring */

static bool is_linear(const xl_rec_model *m)
{
    return m->kind != XL_REC_ITEMKNN && m->kind != XL_REC_HYBRID;
}

/* scores[b * n_items + j] for users[0..nb) (nb <= USER_BLOCK): each item row
 * Q_j is read once per block and reused from L1 for every user. */
static void score_linear_block(const xl_rec_model *m, const uint32_t *users, size_t nb, float *scores)
{
    size_t f = m->f, n = m->n_items;
    const float *pu[USER_BLOCK];
    float au[USER_BLOCK], du[USER_BLOCK];
    for (size_t b = 0; b < nb; b++) {
        uint32_t u = users[b];
        bool known = u < m->n_users;
        pu[b] = (known && f) ? m->P + (size_t)u * f : NULL;
        au[b] = (known && m->a_u) ? m->a_u[u] : 1.0f;
        du[b] = (known && m->d_u) ? m->d_u[u] : (m->d_u ? (float)m->mu : 0.0f);
    }
    for (size_t j = 0; j < n; j++) {
        const float *q = f ? m->Qv + j * f : NULL;
        float bj = m->b_j ? m->b_j[j] : 1.0f, gj = m->g_j ? m->g_j[j] : 0.0f;
        for (size_t b = 0; b < nb; b++) {
            float dot = pu[b] ? xl_rec_dot(pu[b], q, f) : 0.0f;
            scores[b * n + j] = au[b] * dot * bj + gj + du[b];
        }
    }
}

size_t xl_rec_scratch_floats(const xl_rec_model *m)
{
    return m->kind == XL_REC_HYBRID ? m->n_items : 0;
}

static void zscore(float *s, size_t n)
{
    double mean = 0, var = 0;
    for (size_t j = 0; j < n; j++) mean += s[j];
    mean /= (double)(n ? n : 1);
    for (size_t j = 0; j < n; j++) var += (s[j] - mean) * (s[j] - mean);
    double sd = n ? sqrt(var / (double)n) : 0.0;
    double inv = sd > 0 ? 1.0 / sd : 0.0;
    for (size_t j = 0; j < n; j++) s[j] = (float)((s[j] - mean) * inv);
}

void xl_rec_score(const xl_rec_model *m, uint32_t user, float *scores, float *scratch)
{
    size_t n = m->n_items;
    if (is_linear(m)) {
        score_linear_block(m, &user, 1, scores);
        return;
    }
    if (m->kind == XL_REC_ITEMKNN) {
        memset(scores, 0, n * sizeof *scores);
        if (user >= m->n_users) return;
        const xl_csr *R = &m->train;
        for (size_t k = R->ptr[user]; k < R->ptr[user + 1]; k++) {
            const uint32_t *ni = m->nb_idx + (size_t)R->idx[k] * m->nb_k;
            const float *ns = m->nb_sim + (size_t)R->idx[k] * m->nb_k;
            for (size_t t = 0; t < m->nb_k && ni[t] != XL_REC_NONE; t++) scores[ni[t]] += ns[t];
        }
        return;
    }
    /* hybrid */
    xl_rec_score(m->cf, user, scores, NULL);
    xl_rec_score(m->content, user, scratch, NULL);
    zscore(scores, n);
    zscore(scratch, n);
    float a = (float)m->alpha, b = (float)(1.0 - m->alpha);
    for (size_t j = 0; j < n; j++) scores[j] = a * scores[j] + b * scratch[j];
}

double xl_rec_predict(const xl_rec_model *m, uint32_t user, uint32_t item)
{
    double r;
    if (!is_linear(m) || item >= m->n_items) {
        r = m->mu;
    } else {
        bool known = user < m->n_users;
        double dot = (known && m->f) ? (double)xl_rec_dot(m->P + (size_t)user * m->f, m->Qv + (size_t)item * m->f, m->f)
                                     : 0.0;
        double au = (known && m->a_u) ? m->a_u[user] : 1.0, bj = m->b_j ? m->b_j[item] : 1.0;
        double gj = m->g_j ? m->g_j[item] : 0.0;
        double du = (known && m->d_u) ? m->d_u[user] : (m->d_u ? m->mu : 0.0);
        if (m->bu && known && m->kind != XL_REC_COSBIAS) du = m->mu + m->bu[user];
        if (m->bi && m->kind != XL_REC_COSBIAS) gj = m->bi[item];
        if (m->kind == XL_REC_COSBIAS) {
            au = known ? m->bu[user] : 1.0;
            bj = m->bi[item];
            du = m->mu;
        }
        r = au * dot * bj + gj + du;
    }
    if (m->p.rating_min < m->p.rating_max) {
        if (r < m->p.rating_min) r = m->p.rating_min;
        if (r > m->p.rating_max) r = m->p.rating_max;
    }
    return r;
}

/* ---------------------------------------------------------------- similar items */

/* Cosine of row a with every row of M (n x f) into out; 0 where a row has norm 0. */
static void cosine_rows(const float *M, size_t n, size_t f, uint32_t a, float *out)
{
    const float *qa = M + (size_t)a * f;
    double na = sqrt(dot_d(qa, qa, f));
    for (size_t j = 0; j < n; j++) {
        const float *qj = M + j * f;
        double nj = sqrt(dot_d(qj, qj, f));
        out[j] = na > 0 && nj > 0 ? (float)(dot_d(qa, qj, f) / (na * nj)) : 0.0f;
    }
}

/* Similarities with non-neighbours at `absent` (NaN standalone, 0 inside a hybrid). */
static int similar_raw(const xl_rec_model *m, uint32_t item, float *sims, float absent, xl_error *err)
{
    size_t n = m->n_items;
    switch (m->kind) {
    case XL_REC_ITEMKNN: {
        for (size_t j = 0; j < n; j++) sims[j] = absent;
        const uint32_t *ni = m->nb_idx + (size_t)item * m->nb_k;
        const float *ns = m->nb_sim + (size_t)item * m->nb_k;
        for (size_t t = 0; t < m->nb_k && ni[t] != XL_REC_NONE; t++) sims[ni[t]] = ns[t];
        return 0;
    }
    case XL_REC_CONTENT:
    case XL_REC_COSBIAS:
        if (!m->iv || !m->iv->v) break;
        cosine_rows(m->iv->v, n, m->iv->dim, item, sims);
        return 0;
    case XL_REC_ALS:
    case XL_REC_BPR:
    case XL_REC_MF:
        if (!m->f || !m->Qv) break;
        cosine_rows(m->Qv, n, m->f, item, sims);
        return 0;
    default:
        break;
    }
    return xl_fail(err, XL_ERR_USAGE, "similar items: model %s has no item representation (use itemknn, als, bpr, mf, "
                   "content, cosbias or hybrid)", xl_rec_kind_name(m->kind));
}

int xl_rec_similar(const xl_rec_model *m, uint32_t item, float *sims, float *scratch, xl_error *err)
{
    size_t n = m->n_items;
    if (item >= n) return xl_fail(err, XL_ERR_USAGE, "similar items: item %u out of range", item);
    if (m->kind != XL_REC_HYBRID) {
        if (similar_raw(m, item, sims, NAN, err) < 0) return -1;
        sims[item] = NAN;
        return 0;
    }
    if (similar_raw(m->cf, item, sims, 0.0f, err) < 0 || similar_raw(m->content, item, scratch, 0.0f, err) < 0)
        return -1;
    /* z over every item but X: X's slot takes the last item's value, the first n - 1 entries are
     * standardised, and the last item's standardised value goes back to its place */
    if (n > 1) {
        sims[item] = sims[n - 1];
        scratch[item] = scratch[n - 1];
        zscore(sims, n - 1);
        zscore(scratch, n - 1);
        sims[n - 1] = sims[item];
        scratch[n - 1] = scratch[item];
    }
    float a = (float)m->alpha, b = (float)(1.0 - m->alpha);
    for (size_t j = 0; j < n; j++) sims[j] = a * sims[j] + b * scratch[j];
    sims[item] = NAN;
    return 0;
}

int xl_rec_similar_topk(const xl_rec_model *m, const uint32_t *items, size_t n, size_t k, uint32_t *out_items,
                        float *out_scores, xl_error *err)
{
    size_t ni = m->n_items;
    float *sims = xl_malloc((ni ? ni : 1) * 2 * sizeof *sims, err);
    float *hs = xl_malloc((k ? k : 1) * sizeof *hs, err);
    uint32_t *hi = xl_malloc((k ? k : 1) * sizeof *hi, err);
    int rc = -1;
    if (!sims || !hs || !hi) goto out;
    for (size_t r = 0; r < n; r++) {
        if (xl_rec_similar(m, items[r], sims, sims + ni, err) < 0) goto out;
        size_t hn = 0;
        for (size_t j = 0; j < ni; j++)
            if (sims[j] == sims[j]) heap_push(hs, hi, &hn, k, sims[j], (uint32_t)j);
        for (size_t t = 0; t < k; t++) {
            out_items[r * k + t] = XL_REC_NONE;
            out_scores[r * k + t] = 0;
        }
        heap_drain(hs, hi, hn, out_scores + r * k, out_items + r * k);
    }
    rc = 0;
out:
    free(sims);
    free(hs);
    free(hi);
    return rc;
}

/* ---------------------------------------------------------------- top-K */

typedef struct {
    const xl_rec_model *m;
    const xl_csr *exclude;
    const uint32_t *users;
    size_t k;
    uint32_t *out_items;
    float *out_scores;
    float *buf;      /* per thread: USER_BLOCK * n_items + scratch */
    float *heap_s;   /* per thread k */
    uint32_t *heap_i;
    size_t buf_len;
} topk_ctx;

static void select_topk(const topk_ctx *c, uint32_t user, const float *scores, float *hs, uint32_t *hi,
                        uint32_t *oi, float *os)
{
    size_t n = c->m->n_items, hn = 0, k = c->k;
    const uint32_t *ex = NULL;
    size_t ex_n = 0, ep = 0;
    if (c->exclude && user < c->exclude->n_rows) {
        ex = c->exclude->idx + c->exclude->ptr[user];
        ex_n = c->exclude->ptr[user + 1] - c->exclude->ptr[user];
    }
    for (size_t j = 0; j < n; j++) {
        while (ep < ex_n && ex[ep] < j) ep++;
        if (ep < ex_n && ex[ep] == j) continue;
        float s = scores[j];
        if (s != s) continue; /* NaN never ranks */
        heap_push(hs, hi, &hn, k, s, (uint32_t)j);
    }
    for (size_t t = 0; t < k; t++) {
        oi[t] = XL_REC_NONE;
        os[t] = 0;
    }
    heap_drain(hs, hi, hn, os, oi);
}

static void topk_range(void *vctx, size_t begin, size_t end, int tid)
{
    topk_ctx *c = vctx;
    const xl_rec_model *m = c->m;
    size_t n = m->n_items;
    float *buf = c->buf + (size_t)tid * c->buf_len;
    float *hs = c->heap_s + (size_t)tid * c->k;
    uint32_t *hi = c->heap_i + (size_t)tid * c->k;
    bool lin = is_linear(m);
    for (size_t r = begin; r < end;) {
        size_t nb = lin ? (end - r < USER_BLOCK ? end - r : USER_BLOCK) : 1;
        uint32_t users[USER_BLOCK];
        for (size_t b = 0; b < nb; b++) users[b] = c->users ? c->users[r + b] : (uint32_t)(r + b);
        if (lin) score_linear_block(m, users, nb, buf);
        else xl_rec_score(m, users[0], buf, buf + n);
        for (size_t b = 0; b < nb; b++)
            select_topk(c, users[b], buf + b * n, hs, hi, c->out_items + (r + b) * c->k,
                        c->out_scores + (r + b) * c->k);
        r += nb;
    }
}

int xl_rec_topk(const xl_rec_model *m, const xl_csr *exclude, const uint32_t *users, size_t n_users, size_t k,
                int threads, uint32_t *out_items, float *out_scores, xl_error *err)
{
    if (k == 0) return xl_fail(err, XL_ERR_USAGE, "top-k: k must be positive");
    threads = xl_resolve_threads(threads);
    size_t n = m->n_items ? m->n_items : 1;
    size_t buf_len = is_linear(m) ? USER_BLOCK * n : n + xl_rec_scratch_floats(m);
    size_t total;
    if (!xl_mul_size(buf_len, (size_t)threads, &total)) return xl_fail(err, XL_ERR_LIMIT, "top-k: buffer overflows");
    topk_ctx c = {m, exclude, users, k, out_items, out_scores, NULL, NULL, NULL, buf_len};
    c.buf = xl_malloc(total * sizeof(float), err);
    c.heap_s = xl_malloc((size_t)threads * k * sizeof(float), err);
    c.heap_i = xl_malloc((size_t)threads * k * sizeof(uint32_t), err);
    int rc = -1;
    if (c.buf && c.heap_s && c.heap_i) {
        xl_parallel_for(threads, n_users, topk_range, &c);
        rc = 0;
    }
    free(c.buf);
    free(c.heap_s);
    free(c.heap_i);
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
            heap_push(hs, hi, &hn, n, c, i);
        }
        size_t cnt = hn;
        heap_drain(hs, hi, hn, out_contrib, out_items);
        hn = cnt;
    }
    free(w);
    free(hs);
    free(hi);
    return hn;
}
