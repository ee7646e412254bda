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
 * item-kNN scores one user at a time; the hybrid scores its content part for a block of
 * users (hybrid_block) and its CF part one user at a time.
 *
 * This file holds what every model shares: parameters, names, the fit / fold-in
 * / scoring dispatch, top-K, similar items and the helpers declared in
 * xl_rec_internal.h.  Each model family has its own file (issue 18):
 * xl_rec_baseline.c (popularity, mean, baseline), xl_rec_mf.c, xl_rec_bpr.c,
 * xl_rec_als.c, xl_rec_itemknn.c, xl_rec_content.c (content, cosbias,
 * explanations), xl_rec_hybrid.c.
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
    p->factors = 0; /* per model: xl_rec_default_factors */
    p->epochs = 20;
    p->lr = 0.005;
    p->reg = 0.02;
    p->init_std = 0.1;
    p->bpr_lr = 0.1;
    p->bpr_reg = 0.01;
    p->bpr_epochs = 300; /* measured, docs/recommender.md "Third round": 100 -> 300 gains on all three sets */
    p->als_alpha = 10.0;
    p->als_reg = 100.0; /* measured, docs/recommender.md "ALS and BPR defaults": best geometric mean of the
                         * validation NDCG ratios to popularity over ml, kmrd and bx (alpha 10 kept) */
    p->als_iters = 15;
    p->knn_neighbors = 100;
    p->knn_shrink = 100.0; /* measured, docs/recommender.md "Measured defaults": best on ml, kmrd and bx */
    p->pop_prior = -1.0;   /* per model: xl_rec_default_pop_prior */
    p->bias_reg_user = 15.0;
    p->bias_reg_item = 10.0;
    p->bias_epochs = 10;
    p->profile_weight = XL_PROFILE_RATING;
    p->cos_reg_user = 5.0;
    p->cos_reg_item = 5.0;
    p->cos_epochs = 20;
    p->hybrid_alpha = 0.5;
    p->hybrid_cf = XL_REC_ITEMKNN; /* as `xlrec run`'s "cf"; measured, docs/recommender.md "The hybrid's CF part":
                                    * item-kNN's validation NDCG beats ALS's on KMRD and Book-Crossing and in the
                                    * geometric mean over ml, kmrd and bx */
    p->rating_min = 0.0;
    p->rating_max = 0.0;
}

double xl_rec_default_pop_prior(xl_rec_kind kind)
{
    switch (kind) {
    case XL_REC_ITEMKNN: return 1.0; /* validation grids, docs/recommender.md "Fourth round": the best */
    case XL_REC_ALS: return 1.0;     /* geometric mean of the ratios to popularity on ml, kmrd and bx
                                      * (with 64 factors, "Sixth round"; 3 at 32 factors) */
    default: return 0.0;
    }
}

int xl_rec_default_factors(xl_rec_kind kind)
{
    switch (kind) {
    case XL_REC_MF: return 100;  /* Surprise's SVD default */
    case XL_REC_ALS: return 64;  /* validation grids of docs/recommender.md ("Sixth round": 64 beats 32 on all three sets) */
    case XL_REC_BPR: return 100; /* with 300 epochs, the grid's best on ml and kmrd */
    default: return 0;
    }
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

int xl_rec_get_factors(const xl_rec_model *m, xl_rec_factors *out)
{
    if ((m->kind != XL_REC_ALS && m->kind != XL_REC_BPR && m->kind != XL_REC_MF) || !m->f || !m->P || !m->Qv)
        return -1;
    out->f = m->f;
    out->P = m->P;
    out->Q = m->Qv;
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
    free(m->item_users);
    xl_rec_free(m->cf);
    xl_rec_free(m->content);
    xl_item_vectors_free(&m->own_iv);
    free(m);
}

/* ---------------------------------------------------------------- shared helpers */

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

double xl_rec_dot_d(const float *a, const float *b, size_t n)
{
    return (double)xl_rec_dot(a, b, n);
}

float *xl_rec_alloc_factors(size_t rows, size_t f, xl_error *err)
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

void xl_rec_init_normal(float *m, size_t n, double std, xl_rng *rng)
{
    for (size_t k = 0; k < n; k++) m[k] = (float)(xl_rng_normal(rng) * std);
}

float *xl_rec_vec_f(size_t n, xl_error *err)
{
    return xl_calloc(n ? n : 1, sizeof(float), err);
}

double *xl_rec_vec_d(size_t n, xl_error *err)
{
    return xl_calloc(n ? n : 1, sizeof(double), err);
}

double xl_rec_global_mean(const xl_csr *t)
{
    double s = 0;
    for (size_t k = 0; k < t->nnz; k++) s += t->val[k];
    return t->nnz ? s / (double)t->nnz : 0.0;
}

int xl_rec_count_item_users(xl_rec_model *m, xl_error *err)
{
    free(m->item_users);
    m->item_users = xl_rec_vec_f(m->n_items, err);
    if (!m->item_users) return -1;
    for (size_t k = 0; k < m->train.nnz; k++)
        if (m->train.idx[k] < m->n_items) m->item_users[m->train.idx[k]] += 1.0f;
    return 0;
}

/* Issue 17: a user with no training history (e.g. every interaction after a global time cut)
 * gets all-zero scores from the collaborative and content models (BPR: its untrained random
 * factors), i.e. a list in item-index order; such a user is ranked by popularity (the number of
 * training users of each item, ties by the lower index: exactly the popularity model's list).
 * Rating models keep their predictions (mu + b_i ranks by item quality). */
static bool ranks_by_popularity(const xl_rec_model *m, uint32_t user)
{
    if (!m->item_users) return false;
    switch (m->kind) {
    case XL_REC_ITEMKNN:
    case XL_REC_ALS:
    case XL_REC_BPR:
    case XL_REC_CONTENT:
    case XL_REC_COSBIAS:
    case XL_REC_HYBRID:
        return user >= m->n_users || m->train.ptr[user] == m->train.ptr[user + 1];
    default:
        return false;
    }
}

/* "a is better than b": higher score, then lower index. */
static inline bool better(float sa, uint32_t ia, float sb, uint32_t ib)
{
    return sa > sb || (sa == sb && ia < ib);
}

/* Min-heap (worst on top) of capacity k. */
void xl_rec_heap_push(float *hs, uint32_t *hi, size_t *n, size_t k, float s, uint32_t item)
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
void xl_rec_heap_drain(float *hs, uint32_t *hi, size_t n, float *out_s, uint32_t *out_i)
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

/* ---------------------------------------------------------------- fit */

static int xl_rec_copy_csr(xl_csr *dst, const xl_csr *src, xl_error *err)
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
    xl_rec_params resolved = *p; /* factors 0: this model's default */
    if (resolved.factors == 0) resolved.factors = xl_rec_default_factors(kind);
    /* the popularity prior, negative: the model's own; a hybrid passes it on for its CF part to resolve */
    if (resolved.pop_prior < 0 && kind != XL_REC_HYBRID) resolved.pop_prior = xl_rec_default_pop_prior(kind);
    p = &resolved;
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
    if (m->p.pop_prior < 0) m->p.pop_prior = 0; /* a hybrid's own (its CF part holds the resolved one) */
    m->n_users = train->n_rows;
    m->n_items = train->n_cols;
    m->iv = vectors;
    m->alpha = p->hybrid_alpha;
    if (xl_rec_copy_csr(&m->train, train, err) < 0) goto fail;
    int rc = 0;
    switch (kind) {
    case XL_REC_POPULARITY: rc = xl_rec_fit_popularity(m, train, err); break;
    case XL_REC_MEAN: rc = xl_rec_fit_mean(m, train, err); break;
    case XL_REC_BASELINE: rc = xl_rec_fit_baseline(m, train, err) < 0 ? -1 : xl_rec_biases_to_linear(m, err); break;
    case XL_REC_MF: rc = xl_rec_fit_mf(m, train, err) < 0 ? -1 : xl_rec_biases_to_linear(m, err); break;
    case XL_REC_ALS: rc = xl_rec_fit_als(m, train, err); break;
    case XL_REC_BPR: rc = xl_rec_fit_bpr(m, train, err); break;
    case XL_REC_ITEMKNN: rc = xl_rec_fit_itemknn(m, train, err); break;
    case XL_REC_CONTENT: rc = xl_rec_fit_content(m, err); break;
    case XL_REC_COSBIAS: rc = xl_rec_fit_cosbias(m, err); break;
    case XL_REC_HYBRID: rc = xl_rec_fit_hybrid(m, p, train, vectors, err); break;
    default: break;
    }
    if (rc < 0) goto fail;
    if (!m->Qv) m->Qv = m->Q;
    if (xl_rec_count_item_users(m, err) < 0) goto fail;
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
    if (xl_rec_copy_csr(&n->train, history, err) < 0) goto fail;
    if (m->item_users) { /* a history-less user of the fold-in ranks by the fitted popularity */
        if (!(n->item_users = xl_rec_vec_f(I, err))) goto fail;
        memcpy(n->item_users, m->item_users, I * sizeof *n->item_users);
    }
    switch (m->kind) {
    case XL_REC_POPULARITY:
        if (!(n->g_j = xl_rec_vec_f(I, err))) goto fail;
        memcpy(n->g_j, m->g_j, I * sizeof *n->g_j);
        break;
    case XL_REC_MEAN:
        if (!(n->d_u = xl_rec_vec_f(n->n_users, err))) goto fail;
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
    case XL_REC_ALS:
        if (xl_rec_als_fold_in(n, m, err) < 0) goto fail;
        break;
    case XL_REC_CONTENT:
        if (xl_rec_fit_content(n, err) < 0) goto fail;
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

bool xl_rec_is_linear(const xl_rec_model *m)
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

/* The popularity prior (xl_rec_params.pop_prior): s = (1 - w_u) z(s) + w_u z(pop) over all items,
 * w_u = C / (C + n_u) with n_u the user's training items, pop the training users per item.  A
 * Bayesian-style shrinkage toward the popularity ranking, strongest for short histories (KMRD's
 * median user has 3 training items); z as the hybrid's (xl_rec_zscore), so w = 0 keeps the
 * model's order and w = 1 gives popularity's. */
static bool has_pop_prior(const xl_rec_model *m)
{
    return m->p.pop_prior > 0 && m->item_users &&
           (m->kind == XL_REC_ITEMKNN || m->kind == XL_REC_ALS || m->kind == XL_REC_BPR);
}

static void apply_pop_prior(const xl_rec_model *m, uint32_t user, float *s)
{
    size_t n = m->n_items;
    double nu = user < m->n_users ? (double)(m->train.ptr[user + 1] - m->train.ptr[user]) : 0.0;
    double w = m->p.pop_prior / (m->p.pop_prior + nu);
    double mean = 0, var = 0;
    for (size_t j = 0; j < n; j++) mean += m->item_users[j];
    mean /= (double)(n ? n : 1);
    for (size_t j = 0; j < n; j++) var += (m->item_users[j] - mean) * (m->item_users[j] - mean);
    double sd = n ? sqrt(var / (double)n) : 0.0;
    double pinv = sd > 0 ? 1.0 / sd : 0.0;
    xl_rec_zscore(s, n);
    for (size_t j = 0; j < n; j++)
        s[j] = (float)((1.0 - w) * s[j] + w * ((m->item_users[j] - mean) * pinv));
}

size_t xl_rec_scratch_floats(const xl_rec_model *m)
{
    return m->kind == XL_REC_HYBRID ? m->n_items : 0;
}

void xl_rec_score(const xl_rec_model *m, uint32_t user, float *scores, float *scratch)
{
    if (xl_rec_is_linear(m)) {
        score_linear_block(m, &user, 1, scores);
        if (has_pop_prior(m)) apply_pop_prior(m, user, scores);
        return;
    }
    if (m->kind == XL_REC_ITEMKNN) {
        xl_rec_itemknn_score(m, user, scores);
        if (has_pop_prior(m)) apply_pop_prior(m, user, scores);
        return;
    }
    xl_rec_hybrid_score(m, user, scores, scratch);
}

double xl_rec_predict(const xl_rec_model *m, uint32_t user, uint32_t item)
{
    double r;
    if (!xl_rec_is_linear(m) || item >= m->n_items) {
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
    double na = sqrt(xl_rec_dot_d(qa, qa, f));
    for (size_t j = 0; j < n; j++) {
        const float *qj = M + j * f;
        double nj = sqrt(xl_rec_dot_d(qj, qj, f));
        out[j] = na > 0 && nj > 0 ? (float)(xl_rec_dot_d(qa, qj, f) / (na * nj)) : 0.0f;
    }
}

/* Similarities with non-neighbours at `absent` (NaN standalone, 0 inside a hybrid). */
int xl_rec_similar_raw(const xl_rec_model *m, uint32_t item, float *sims, float absent, xl_error *err)
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
        if (xl_rec_similar_raw(m, item, sims, NAN, err) < 0) return -1;
        sims[item] = NAN;
        return 0;
    }
    return xl_rec_hybrid_similar(m, item, sims, scratch, err);
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
            if (sims[j] == sims[j]) xl_rec_heap_push(hs, hi, &hn, k, sims[j], (uint32_t)j);
        for (size_t t = 0; t < k; t++) {
            out_items[r * k + t] = XL_REC_NONE;
            out_scores[r * k + t] = 0;
        }
        xl_rec_heap_drain(hs, hi, hn, out_scores + r * k, out_items + r * k);
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
    /* hybrid: the CF weights to list for (n_alpha lists per user, list a of user row r at
     * (a * n_users + r) * k); a plain top-K lists for the model's own alpha */
    const double *alphas;
    size_t n_alpha, n_users;
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
        xl_rec_heap_push(hs, hi, &hn, k, s, (uint32_t)j);
    }
    for (size_t t = 0; t < k; t++) {
        oi[t] = XL_REC_NONE;
        os[t] = 0;
    }
    xl_rec_heap_drain(hs, hi, hn, os, oi);
}

/* The hybrid's two parts for a block of users (nb <= USER_BLOCK), each z-scored per user: the
 * content part, a linear model, for the whole block in one pass over the item vectors
 * (score_linear_block reads each item row once per block instead of once per user: the
 * Book-Crossing hybrid, 18k items x 1024 dims, was memory-bound one user at a time) into content
 * (nb x n_items), the CF part one user at a time into cf (nb x n_items).  hybrid_blend then gives
 * exactly xl_rec_hybrid_score's alpha z(CF) + (1 - alpha) z(content), the same operations in the
 * same order, so the lists are bit for bit those of the per-user path. */
static void hybrid_block(const xl_rec_model *m, const uint32_t *users, size_t nb, float *content, float *cf)
{
    size_t n = m->n_items;
    score_linear_block(m->content, users, nb, content);
    for (size_t b = 0; b < nb; b++) {
        xl_rec_score(m->cf, users[b], cf + b * n, NULL);
        xl_rec_zscore(cf + b * n, n);
        xl_rec_zscore(content + b * n, n);
    }
}

static void hybrid_blend(double alpha, const float *cf, const float *content, float *out, size_t n)
{
    float a = (float)alpha, w = (float)(1.0 - alpha);
    for (size_t j = 0; j < n; j++) out[j] = a * cf[j] + w * content[j];
}

static void topk_range(void *vctx, size_t begin, size_t end, int tid)
{
    topk_ctx *c = vctx;
    const xl_rec_model *m = c->m;
    size_t n = m->n_items;
    float *buf = c->buf + (size_t)tid * c->buf_len;
    float *hs = c->heap_s + (size_t)tid * c->k;
    uint32_t *hi = c->heap_i + (size_t)tid * c->k;
    bool lin = xl_rec_is_linear(m), hyb = m->kind == XL_REC_HYBRID;
    for (size_t r = begin; r < end;) {
        size_t nb = (lin || hyb) ? (end - r < USER_BLOCK ? end - r : USER_BLOCK) : 1;
        uint32_t users[USER_BLOCK];
        for (size_t b = 0; b < nb; b++) users[b] = c->users ? c->users[r + b] : (uint32_t)(r + b);
        if (hyb) { /* content z in buf, CF z after it, one blended row after both */
            const float *cf = buf + USER_BLOCK * n;
            float *row = buf + 2 * USER_BLOCK * n;
            hybrid_block(m, users, nb, buf, buf + USER_BLOCK * n);
            for (size_t b = 0; b < nb; b++)
                for (size_t a = 0; a < c->n_alpha; a++) {
                    if (ranks_by_popularity(m, users[b])) memcpy(row, m->item_users, n * sizeof *row);
                    else hybrid_blend(c->alphas[a], cf + b * n, buf + b * n, row, n);
                    size_t o = (a * c->n_users + r + b) * c->k;
                    select_topk(c, users[b], row, hs, hi, c->out_items + o, c->out_scores + o);
                }
            r += nb;
            continue;
        }
        if (lin) score_linear_block(m, users, nb, buf);
        else xl_rec_score(m, users[0], buf, buf + n);
        if (lin && has_pop_prior(m))
            for (size_t b = 0; b < nb; b++) apply_pop_prior(m, users[b], buf + b * n);
        for (size_t b = 0; b < nb; b++)
            if (ranks_by_popularity(m, users[b])) memcpy(buf + b * n, m->item_users, n * sizeof *buf);
        for (size_t b = 0; b < nb; b++)
            select_topk(c, users[b], buf + b * n, hs, hi, c->out_items + (r + b) * c->k,
                        c->out_scores + (r + b) * c->k);
        r += nb;
    }
}

static int topk_run(const xl_rec_model *m, const xl_csr *exclude, const uint32_t *users, size_t n_users, size_t k,
                    const double *alphas, size_t n_alpha, int threads, uint32_t *out_items, float *out_scores,
                    xl_error *err)
{
    if (k == 0) return xl_fail(err, XL_ERR_USAGE, "top-k: k must be positive");
    threads = xl_resolve_threads(threads);
    size_t n = m->n_items ? m->n_items : 1;
    size_t buf_len = xl_rec_is_linear(m)            ? USER_BLOCK * n
                     : m->kind == XL_REC_HYBRID ? 2 * USER_BLOCK * n + n /* content z, CF z, one blended row */
                                                : n + xl_rec_scratch_floats(m);
    size_t total;
    if (!xl_mul_size(buf_len, (size_t)threads, &total)) return xl_fail(err, XL_ERR_LIMIT, "top-k: buffer overflows");
    topk_ctx c = {m, exclude, users, k, out_items, out_scores, NULL, NULL, NULL, buf_len, alphas, n_alpha, n_users};
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

int xl_rec_topk(const xl_rec_model *m, const xl_csr *exclude, const uint32_t *users, size_t n_users, size_t k,
                int threads, uint32_t *out_items, float *out_scores, xl_error *err)
{
    return topk_run(m, exclude, users, n_users, k, &m->alpha, 1, threads, out_items, out_scores, err);
}

int xl_rec_hybrid_topk_alphas(const xl_rec_model *m, const xl_csr *exclude, const uint32_t *users, size_t n_users,
                              size_t k, const double *alphas, size_t n_alpha, int threads, uint32_t *out_items,
                              float *out_scores, xl_error *err)
{
    if (m->kind != XL_REC_HYBRID) return xl_fail(err, XL_ERR_USAGE, "top-k for several weights: not a hybrid");
    if (n_alpha == 0) return 0;
    return topk_run(m, exclude, users, n_users, k, alphas, n_alpha, threads, out_items, out_scores, err);
}
