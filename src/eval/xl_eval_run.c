/* xl_eval_run.c - the experiment runner, external-list scoring and the
 * JSON/table reports (see xl_eval.h). */
#include "xl_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_json.h"
#include "xl_platform.h"
#include "xl_thread.h"

void xl_eval_config_default(xl_eval_config *c)
{
    memset(c, 0, sizeof *c);
    c->protocol = XL_SPLIT_USER_RATIO;
    c->test_ratio = 0.25;
    c->folds = 5;
    c->k = 10;
    c->relevance_threshold = 0;
    c->val_ratio = 0.2;
    c->seed = 42;
    c->threads = XL_THREADS_DEFAULT;
    c->last_n = 1;
}

void xl_eval_split_spec(const xl_eval_config *c, xl_split_spec *out)
{
    xl_split_spec_default(out);
    out->kind = c->protocol;
    out->ratio = c->test_ratio;
    out->folds = c->folds;
    out->seed = c->seed;
    out->last_n = c->last_n;
    out->has_time_cut = c->has_time_cut;
    out->time_cut = c->time_cut;
}

/* Metrics of top-K lists (one row per entry of `users`) against the test CSR,
 * keeping only relevant items for which mask[item] is set (mask NULL = all). */
typedef struct {
    const xl_eval_config *c;
    size_t model_index;
    int fold;
} per_user_sink;

static void score_lists(const uint32_t *lists, const uint32_t *users, size_t n_users, size_t k, const xl_csr *test,
                        double threshold, const unsigned char *mask, xl_rank_accum *acc, uint32_t *rel, double *gains,
                        const per_user_sink *sink)
{
    for (size_t j = 0; j < n_users; j++) {
        uint32_t u = users ? users[j] : (uint32_t)j;
        size_t nr = 0;
        if (u < test->n_rows)
            for (size_t q = test->ptr[u]; q < test->ptr[u + 1]; q++) {
                if (test->val[q] < threshold) continue;
                if (mask && !mask[test->idx[q]]) continue;
                rel[nr] = test->idx[q];
                gains[nr++] = test->val[q];
            }
        xl_rank_metrics m;
        if (xl_metrics_user(lists + j * k, k, k, rel, gains, nr, &m) < 0) {
            acc->n_skipped++;
            continue;
        }
        xl_rank_accum_add(acc, &m);
        if (sink && sink->c->per_user) sink->c->per_user(sink->c->per_user_ctx, sink->model_index, sink->fold, u, &m, nr);
    }
}

/* Relevant-item scratch for one user: as long as the longest truth row. */
static int row_scratch(const xl_csr *truth, uint32_t **rel, double **gains, xl_error *err)
{
    size_t mx = 1;
    for (uint32_t u = 0; u < truth->n_rows; u++)
        if (truth->ptr[u + 1] - truth->ptr[u] > mx) mx = truth->ptr[u + 1] - truth->ptr[u];
    *rel = xl_malloc(mx * sizeof **rel, err);
    *gains = xl_malloc(mx * sizeof **gains, err);
    if (*rel && *gains) return 0;
    free(*rel);
    free(*gains);
    return -1;
}

int xl_eval_lists_groups(const uint32_t *lists, size_t n_users, size_t k, const xl_csr *truth,
                         char *const *user_group, const char *ug, char *const *item_group, const char *ig,
                         xl_eval_row *row, xl_error *err)
{
    uint32_t *rel;
    double *gains;
    if (row_scratch(truth, &rel, &gains, err) < 0) return -1;
    xl_rank_accum acc;
    xl_rank_accum_init(&acc);
    for (size_t u = 0; u < n_users && u < truth->n_rows; u++) {
        if (strcmp(user_group[u], ug) != 0) continue;
        size_t nr = 0;
        for (size_t q = truth->ptr[u]; q < truth->ptr[u + 1]; q++)
            if (strcmp(item_group[truth->idx[q]], ig) == 0) {
                rel[nr] = truth->idx[q];
                gains[nr++] = truth->val[q];
            }
        if (!nr) continue;
        xl_rank_metrics mt;
        if (xl_metrics_user(lists + u * k, k, k, rel, gains, nr, &mt) == 0) xl_rank_accum_add(&acc, &mt);
    }
    memset(row, 0, sizeof *row);
    xl_rank_accum_mean(&acc, &row->rank);
    row->has_rank = true;
    row->n_users = acc.n_users;
    row->hybrid_alpha = -1;
    row->coverage = -1;
    free(rel);
    free(gains);
    return 0;
}

int xl_eval_lists(const uint32_t *lists, size_t n_users, size_t k, const xl_csr *truth, double relevance_threshold,
                  uint32_t n_items, xl_eval_row *row, xl_error *err)
{
    memset(row, 0, sizeof *row);
    snprintf(row->model, sizeof row->model, "external");
    snprintf(row->subset, sizeof row->subset, "all");
    row->hybrid_alpha = -1;
    uint32_t *rel;
    double *gains;
    if (row_scratch(truth, &rel, &gains, err) < 0) return -1;
    xl_rank_accum acc;
    xl_rank_accum_init(&acc);
    score_lists(lists, NULL, n_users, k, truth, relevance_threshold, NULL, &acc, rel, gains, NULL);
    xl_rank_accum_mean(&acc, &row->rank);
    row->has_rank = true;
    row->n_users = acc.n_users;
    row->n_skipped = acc.n_skipped;
    row->coverage = xl_metric_coverage(lists, n_users, k, n_items);
    free(rel);
    free(gains);
    return 0;
}

/* Per (model, subset) accumulation over folds. */
typedef struct {
    xl_eval_row row;
    double ndcg_sq, rmse_sq;
    int n_rank_folds, n_rating_folds;
    size_t users_total, skipped_total;
} row_acc;

/* The validation split of the fold's training data (xl_eval_validation_split) and what scoring
 * on it needs; built once per fold, on first use. */
typedef struct {
    bool ready;
    xl_csr vtrain, vtest;
    uint32_t *vusers, *lists;
    float *scores;
    size_t nu;
} val_state;

static void val_free(val_state *v)
{
    xl_csr_free(&v->vtrain);
    xl_csr_free(&v->vtest);
    free(v->vusers);
    free(v->lists);
    free(v->scores);
    memset(v, 0, sizeof *v);
}

typedef struct {
    const xl_rec_dataset *d;
    const xl_item_vectors *iv;
    const xl_eval_config *c;
    xl_rec_params p;
    xl_csr train, test;
    uint32_t *users; /* users with at least one test interaction */
    size_t n_users;
    uint32_t *lists;
    float *scores;
    uint32_t *rel;
    double *gains;
    int fold, n_folds; /* for progress messages */
    size_t model_index;
    val_state val; /* --tune: the fold's validation split */
} fold_state;

static row_acc *get_row(row_acc *rows, size_t *n, const char *model, const char *subset)
{
    for (size_t r = 0; r < *n; r++)
        if (strcmp(rows[r].row.model, model) == 0 && strcmp(rows[r].row.subset, subset) == 0) return &rows[r];
    if (*n >= XL_EVAL_MAX_ROWS) return NULL;
    row_acc *a = &rows[(*n)++];
    memset(a, 0, sizeof *a);
    snprintf(a->row.model, sizeof a->row.model, "%s", model);
    snprintf(a->row.subset, sizeof a->row.subset, "%s", subset);
    a->row.hybrid_alpha = -1;
    return a;
}

/* coverage < 0: undefined for this row (a subset of the relevant items) */
static void add_rank(row_acc *a, const xl_rank_accum *acc, double coverage)
{
    if (!a) return;
    xl_rank_metrics m;
    xl_rank_accum_mean(acc, &m);
    xl_rank_metrics *s = &a->row.rank;
    s->precision += m.precision;
    s->recall += m.recall;
    s->f1 += m.f1;
    s->ndcg += m.ndcg;
    s->ndcg_graded += m.ndcg_graded;
    s->map += m.map;
    s->mrr += m.mrr;
    s->hit += m.hit;
    a->ndcg_sq += m.ndcg * m.ndcg;
    if (coverage < 0 || a->row.coverage < 0) a->row.coverage = -1;
    else a->row.coverage += coverage;
    a->users_total += acc->n_users;
    a->skipped_total += acc->n_skipped;
    a->n_rank_folds++;
    a->row.has_rank = true;
}

int xl_eval_validation_split(const xl_csr *train, double val_ratio, uint64_t seed, xl_interactions *tr, uint8_t *fold,
                             xl_error *err)
{
    xl_interactions_init(tr);
    for (uint32_t u = 0; u < train->n_rows; u++)
        for (size_t q = train->ptr[u]; q < train->ptr[u + 1]; q++)
            if (xl_interactions_push(tr, u, train->idx[q], train->val[q], train->time[q], err) < 0) return -1;
    return xl_split_assign(tr, NULL, tr->n, train->n_rows, XL_SPLIT_USER_RATIO, val_ratio, 0, seed + 1000, fold, err);
}

int xl_eval_validation_csr(const xl_csr *train, double val_ratio, uint64_t seed, uint32_t n_users, uint32_t n_items,
                           xl_csr *vtrain, xl_csr *vtest, xl_error *err)
{
    size_t n = train->nnz;
    xl_interactions tr;
    xl_interactions_init(&tr);
    uint8_t *fold = xl_malloc(n ? n : 1, err);
    size_t *a = xl_malloc((n ? n : 1) * sizeof *a, err), *b = xl_malloc((n ? n : 1) * sizeof *b, err);
    int rc = -1;
    if (!fold || !a || !b) goto out;
    if (xl_eval_validation_split(train, val_ratio, seed, &tr, fold, err) < 0) goto out;
    size_t na = 0, nb = 0;
    for (size_t e = 0; e < n; e++) {
        if (fold[e]) b[nb++] = e;
        else a[na++] = e;
    }
    if (xl_csr_build(vtrain, &tr, a, na, n_users, n_items, false, err) < 0 ||
        xl_csr_build(vtest, &tr, b, nb, n_users, n_items, false, err) < 0)
        goto out;
    rc = 0;
out:
    xl_interactions_free(&tr);
    free(fold);
    free(a);
    free(b);
    return rc;
}

/* The hybrid's CF weight on the validation split (xl_eval.h); the one search behind `xlrec eval`
 * and `xlrec run`.  Only users with a validation item are ranked (a user's list does not depend
 * on the others), scored by score_lists as every eval row is. */
int xl_eval_hybrid_alpha(const xl_csr *train, uint32_t n_users, uint32_t n_items, const xl_rec_params *params,
                         const xl_item_vectors *vectors, const xl_eval_hybrid_config *hc, xl_eval_hybrid_choice *out,
                         xl_error *err)
{
    xl_csr vtrain = {0}, vtest = {0};
    xl_rec_model *m = NULL;
    uint32_t *vusers = NULL, *lists = NULL, *rel = NULL;
    float *scores = NULL;
    double *gains = NULL;
    int rc = -1;
    size_t k = hc->k, cells;
    out->alpha = 0.5;
    out->ndcg = out->ndcg_cf = out->ndcg_content = -1;
    out->n_users = 0;
    if (k == 0) return xl_fail(err, XL_ERR_USAGE, "hybrid weight: k must be positive");
    if (xl_eval_validation_csr(train, hc->val_ratio, hc->seed, n_users, n_items, &vtrain, &vtest, err) < 0) goto out;
    size_t nu = 0;
    vusers = xl_malloc((size_t)(n_users ? n_users : 1) * sizeof *vusers, err);
    if (!vusers) goto out;
    for (uint32_t u = 0; u < n_users; u++)
        if (vtest.ptr[u + 1] > vtest.ptr[u]) vusers[nu++] = u;
    /* the 11 weights' lists at once: both parts are scored once per user (xl_rec_hybrid_topk_alphas) */
    double alphas[11];
    for (int step = 0; step <= 10; step++) alphas[step] = step / 10.0;
    if (!xl_mul_size(nu ? nu : 1, k, &cells) || !xl_mul_size(cells, 11, &cells)) {
        xl_fail(err, XL_ERR_NOMEM, "hybrid weight: %zu users x k %zu", nu, k);
        goto out;
    }
    lists = xl_malloc(cells * sizeof *lists, err);
    scores = xl_malloc(cells * sizeof *scores, err);
    if (!lists || !scores || row_scratch(&vtest, &rel, &gains, err) < 0) goto out;
    xl_rec_params hp = *params;
    hp.hybrid_alpha = 0.5; /* replaced for each candidate below */
    m = xl_rec_fit(XL_REC_HYBRID, &hp, &vtrain, vectors, err);
    if (!m) goto out;
    double best = -1;
    if (xl_rec_hybrid_topk_alphas(m, &vtrain, vusers, nu, k, alphas, 11, hc->threads, lists, scores, err) < 0) goto out;
    for (int step = 0; step <= 10; step++) {
        double alpha = alphas[step];
        xl_rank_accum acc;
        xl_rank_accum_init(&acc);
        score_lists(lists + (size_t)step * nu * k, vusers, nu, k, &vtest, hc->relevance_threshold, NULL, &acc, rel,
                    gains, NULL);
        if (!acc.n_users) break; /* no user with a relevant validation item: alpha stays 0.5 */
        xl_rank_metrics mm;
        xl_rank_accum_mean(&acc, &mm);
        out->n_users = acc.n_users;
        if (step == 10) out->ndcg_cf = mm.ndcg;     /* alpha 1: the CF part alone (z-scoring keeps its order) */
        if (step == 0) out->ndcg_content = mm.ndcg; /* alpha 0: the content part alone */
        if (mm.ndcg > best + 1e-12) {             /* ties: the smaller alpha */
            best = mm.ndcg;
            out->alpha = alpha;
        }
    }
    out->ndcg = best;
    rc = 0;
out:
    xl_rec_free(m);
    xl_csr_free(&vtrain);
    xl_csr_free(&vtest);
    free(vusers);
    free(lists);
    free(scores);
    free(rel);
    free(gains);
    return rc;
}

static int hybrid_alpha_search(fold_state *fs, double *best_alpha, double val_ndcg[3], xl_error *err)
{
    xl_eval_hybrid_config hc = {fs->c->val_ratio, fs->c->seed, fs->c->k, fs->c->relevance_threshold, fs->c->threads};
    xl_eval_hybrid_choice ch;
    if (xl_eval_hybrid_alpha(&fs->train, fs->d->n_users, fs->d->n_items, &fs->p, fs->iv, &hc, &ch, err) < 0) return -1;
    *best_alpha = ch.alpha;
    val_ndcg[0] = ch.ndcg;
    val_ndcg[1] = ch.ndcg_cf;
    val_ndcg[2] = ch.ndcg_content;
    return 0;
}

bool xl_eval_rating_only(xl_rec_kind kind)
{
    return kind == XL_REC_MEAN || kind == XL_REC_BASELINE || kind == XL_REC_MF;
}

/* One line per fitted model (m NULL: before the fit). */
static void progress(const fold_state *fs, xl_rec_kind kind, const xl_rec_model *m, double score_seconds)
{
    const xl_eval_config *c = fs->c;
    if (!c->progress) return;
    char msg[160];
    if (!m)
        snprintf(msg, sizeof msg, "fold %d/%d: fitting %s on %zu interactions", fs->fold + 1, fs->n_folds,
                 xl_rec_kind_name(kind), fs->train.nnz);
    else if (score_seconds < 0)
        snprintf(msg, sizeof msg, "fold %d/%d: %s fitted in %.1f s (rating predictions only)", fs->fold + 1,
                 fs->n_folds, xl_rec_kind_name(kind), xl_rec_fit_seconds(m));
    else
        snprintf(msg, sizeof msg, "fold %d/%d: %s fitted in %.1f s, scored %zu users in %.1f s", fs->fold + 1,
                 fs->n_folds, xl_rec_kind_name(kind), xl_rec_fit_seconds(m), fs->n_users, score_seconds);
    c->progress(c->progress_ctx, msg);
}

/* ---------------------------------------------------------------- --tune */

static int val_prepare(fold_state *fs, val_state *v, xl_error *err)
{
    if (v->ready) return 0;
    const xl_rec_dataset *d = fs->d;
    int rc = -1;
    if (xl_eval_validation_csr(&fs->train, fs->c->val_ratio, fs->c->seed, d->n_users, d->n_items, &v->vtrain,
                               &v->vtest, err) < 0)
        goto out;
    v->vusers = xl_malloc((size_t)(d->n_users ? d->n_users : 1) * sizeof *v->vusers, err);
    if (!v->vusers) goto out;
    for (uint32_t u = 0; u < d->n_users; u++)
        if (v->vtest.ptr[u + 1] > v->vtest.ptr[u]) v->vusers[v->nu++] = u;
    v->lists = xl_malloc((v->nu ? v->nu : 1) * fs->c->k * sizeof *v->lists, err);
    v->scores = xl_malloc((v->nu ? v->nu : 1) * fs->c->k * sizeof *v->scores, err);
    if (!v->lists || !v->scores) goto out;
    v->ready = true;
    rc = 0;
out:
    return rc;
}

/* NDCG@K on the validation split of `kind` fitted with p on the rest of the training data. */
static int val_ndcg(fold_state *fs, val_state *v, xl_rec_kind kind, const xl_rec_params *p, double *ndcg,
                    xl_error *err)
{
    xl_rec_model *m = xl_rec_fit(kind, p, &v->vtrain, fs->iv, err);
    if (!m) return -1;
    int rc = xl_rec_topk(m, &v->vtrain, v->vusers, v->nu, fs->c->k, fs->c->threads, v->lists, v->scores, err);
    xl_rec_free(m);
    if (rc < 0) return -1;
    xl_rank_accum acc;
    xl_rank_accum_init(&acc);
    score_lists(v->lists, v->vusers, v->nu, fs->c->k, &v->vtest, fs->c->relevance_threshold, NULL, &acc, fs->rel,
                fs->gains, NULL);
    xl_rank_metrics mm;
    xl_rank_accum_mean(&acc, &mm);
    *ndcg = mm.ndcg;
    return 0;
}

/* The documented grid (docs/recommender.md): per model, each parameter's candidate values. */
typedef struct {
    const char *name;
    double values[6];
    int n;
} grid_dim;

static int grid_of(xl_rec_kind kind, const grid_dim **dims)
{
    /* als: factors up to 128 and the missing-data exponent (He et al. 2016) joined in issue 17's
     * sixth round: more factors were the one change that lifted KMRD, E 0.25 lifted MovieLens */
    static const grid_dim als[] = {{"factors", {16, 32, 64, 128}, 4},
                                   {"als-reg", {1, 10, 100, 300}, 4},
                                   {"als-alpha", {1, 10, 40}, 3},
                                   {"pop-prior", {0, 0.3, 1, 3, 10}, 5},
                                   {"als-neg-exp", {0, 0.25, 0.5}, 3}};
    static const grid_dim bpr[] = {{"factors", {16, 32, 64}, 3}, {"bpr-lr", {0.01, 0.05, 0.1}, 3},
                                   {"bpr-reg", {0.001, 0.01, 0.1}, 3}};
    static const grid_dim knn[] = {{"neighbors", {20, 50, 100, 200, 400}, 5},
                                   {"shrink", {0, 10, 50, 100}, 4},
                                   {"pop-prior", {0, 0.3, 1, 3, 10}, 5}};
    switch (kind) {
    case XL_REC_ALS: *dims = als; return 5;
    case XL_REC_BPR: *dims = bpr; return 3;
    case XL_REC_ITEMKNN: *dims = knn; return 3;
    default: return 0;
    }
}

static double *param_slot(xl_rec_params *p, const char *name, int *as_int)
{
    static int tmp_i;
    *as_int = 0;
    if (strcmp(name, "als-reg") == 0) return &p->als_reg;
    if (strcmp(name, "als-alpha") == 0) return &p->als_alpha;
    if (strcmp(name, "bpr-lr") == 0) return &p->bpr_lr;
    if (strcmp(name, "bpr-reg") == 0) return &p->bpr_reg;
    if (strcmp(name, "shrink") == 0) return &p->knn_shrink;
    if (strcmp(name, "pop-prior") == 0) return &p->pop_prior;
    if (strcmp(name, "als-neg-exp") == 0) return &p->als_neg_exp;
    (void)tmp_i;
    *as_int = 1;
    return NULL;
}

static void set_param(xl_rec_params *p, const char *name, double v)
{
    int as_int;
    double *d = param_slot(p, name, &as_int);
    if (d) *d = v;
    else if (strcmp(name, "factors") == 0) p->factors = (int)v;
    else if (strcmp(name, "neighbors") == 0) p->knn_neighbors = (int)v;
}

static double get_param(const xl_rec_params *p, const char *name)
{
    int as_int;
    double *d = param_slot((xl_rec_params *)p, name, &as_int);
    if (d) return *d;
    return strcmp(name, "factors") == 0 ? p->factors : p->knn_neighbors;
}

/* Coordinate search: starting from the given parameters, each grid dimension in turn takes the
 * value with the best validation NDCG@K (ties keep the earlier value), the others fixed.
 * p is updated; `chosen` receives "name=value ..." and the validation NDCG. */
static int tune_model(fold_state *fs, val_state *v, xl_rec_kind kind, xl_rec_params *p, char *chosen, size_t cap,
                      xl_error *err)
{
    const grid_dim *dims;
    int nd = grid_of(kind, &dims);
    if (!nd) return 0;
    if (val_prepare(fs, v, err) < 0) return -1;
    if (p->factors == 0) p->factors = xl_rec_default_factors(kind); /* the search starts from the value used */
    if (p->pop_prior < 0) p->pop_prior = xl_rec_default_pop_prior(kind);
    double best;
    if (val_ndcg(fs, v, kind, p, &best, err) < 0) return -1;
    for (int di = 0; di < nd; di++) {
        double keep = get_param(p, dims[di].name);
        for (int q = 0; q < dims[di].n; q++) {
            if (dims[di].values[q] == keep) continue;
            xl_rec_params t = *p;
            set_param(&t, dims[di].name, dims[di].values[q]);
            double nd_q;
            if (val_ndcg(fs, v, kind, &t, &nd_q, err) < 0) return -1;
            if (fs->c->progress) {
                char msg[160];
                snprintf(msg, sizeof msg, "fold %d/%d: tune %s: %s=%g: validation NDCG %.4f (best so far %.4f)",
                         fs->fold + 1, fs->n_folds, xl_rec_kind_name(kind), dims[di].name, dims[di].values[q], nd_q,
                         best);
                fs->c->progress(fs->c->progress_ctx, msg);
            }
            if (nd_q > best + 1e-12) {
                best = nd_q;
                set_param(p, dims[di].name, dims[di].values[q]);
            }
        }
    }
    size_t len = 0;
    for (int di = 0; di < nd && len < cap; di++)
        len += (size_t)snprintf(chosen + len, cap - len, "%s%s=%g", di ? " " : "", dims[di].name,
                                get_param(p, dims[di].name));
    if (len < cap) snprintf(chosen + len, cap - len, " (validation NDCG %.4f)", best);
    return 0;
}

static int run_model(fold_state *fs, xl_rec_kind kind, row_acc *rows, size_t *n_rows, const unsigned char *cold,
                     xl_error *err)
{
    progress(fs, kind, NULL, 0);
    const xl_rec_dataset *d = fs->d;
    const xl_eval_config *c = fs->c;
    const char *name = xl_rec_kind_name(kind);
    double alpha = -1, hval[3] = {-1, -1, -1};
    xl_rec_params saved = fs->p; /* tuning changes fs->p for this model only */
    char tuned[XL_EVAL_TUNED_MAX] = "";
    /* a hybrid is tuned through its CF part (the parameters it passes on to it) */
    xl_rec_kind tune_kind = kind == XL_REC_HYBRID ? fs->p.hybrid_cf : kind;
    if (c->tune && tune_model(fs, &fs->val, tune_kind, &fs->p, tuned, sizeof tuned, err) < 0) {
        fs->p = saved;
        return xl_error_prefix(err, "tune %s", name);
    }
    if (kind == XL_REC_HYBRID) {
        if (hybrid_alpha_search(fs, &alpha, hval, err) < 0) return -1;
        fs->p.hybrid_alpha = alpha;
        if (c->progress) {
            char msg[200];
            snprintf(msg, sizeof msg, "fold %d/%d: hybrid alpha %.1f chosen on validation: NDCG %.4f (%s alone %.4f, "
                     "content alone %.4f)", fs->fold + 1, fs->n_folds, alpha, hval[0], xl_rec_kind_name(fs->p.hybrid_cf),
                     hval[1], hval[2]);
            c->progress(c->progress_ctx, msg);
        }
    }
    xl_rec_model *m = xl_rec_fit(kind, &fs->p, &fs->train, fs->iv, err);
    fs->p = saved;
    if (!m) return xl_error_prefix(err, "model %s", name);
    row_acc *all = get_row(rows, n_rows, name, "all");
    if (!all) {
        xl_rec_free(m);
        return xl_fail(err, XL_ERR_LIMIT, "eval: more than %d result rows", XL_EVAL_MAX_ROWS);
    }
    all->row.fit_seconds += xl_rec_fit_seconds(m);
    if (alpha >= 0) { /* last fold's choice */
        all->row.hybrid_alpha = alpha;
        memcpy(all->row.hybrid_val_ndcg, hval, sizeof hval);
    }
    if (tuned[0]) snprintf(all->row.tuned, sizeof all->row.tuned, "%s", tuned); /* last fold's choice */
    /* rating prediction */
    if (d->has_rating && xl_rec_predicts_ratings(kind) && fs->test.nnz) {
        double se = 0, ae = 0;
        for (uint32_t u = 0; u < fs->test.n_rows; u++)
            for (size_t q = fs->test.ptr[u]; q < fs->test.ptr[u + 1]; q++) {
                double e = xl_rec_predict(m, u, fs->test.idx[q]) - fs->test.val[q];
                se += e * e;
                ae += fabs(e);
            }
        double rmse = sqrt(se / (double)fs->test.nnz);
        all->row.rmse += rmse;
        all->rmse_sq += rmse * rmse;
        all->row.mae += ae / (double)fs->test.nnz;
        all->row.n_pred += fs->test.nnz;
        all->n_rating_folds++;
        all->row.has_rating = true;
    }
    /* ranking (not for rating-only models) */
    if (xl_eval_rating_only(kind)) {
        progress(fs, kind, m, -1);
        xl_rec_free(m);
        return 0;
    }
    double t_score = xl_time_now();
    if (xl_rec_topk(m, &fs->train, fs->users, fs->n_users, c->k, c->threads, fs->lists, fs->scores, err) < 0) {
        xl_rec_free(m);
        return -1;
    }
    xl_rank_accum acc;
    xl_rank_accum_init(&acc);
    per_user_sink sink = {c, fs->model_index, fs->fold};
    score_lists(fs->lists, fs->users, fs->n_users, c->k, &fs->test, c->relevance_threshold, NULL, &acc, fs->rel,
                fs->gains, &sink);
    add_rank(all, &acc, xl_metric_coverage(fs->lists, fs->n_users, c->k, d->n_items));
    if (c->cold_start && cold) {
        xl_rank_accum_init(&acc);
        score_lists(fs->lists, fs->users, fs->n_users, c->k, &fs->test, c->relevance_threshold, cold, &acc, fs->rel,
                    fs->gains, NULL);
        add_rank(get_row(rows, n_rows, name, "cold-start items"), &acc, -1);
    }
    if (c->by_language && d->item_lang) {
        unsigned char *mask = xl_malloc(d->n_items ? d->n_items : 1, err);
        if (!mask) {
            xl_rec_free(m);
            return -1;
        }
        /* languages in order of first appearance among items */
        for (uint32_t i = 0; i < d->n_items; i++) {
            const char *lang = d->item_lang[i];
            bool first = true;
            for (uint32_t j = 0; j < i && first; j++)
                if (strcmp(d->item_lang[j], lang) == 0) first = false;
            if (!first) continue;
            for (uint32_t j = 0; j < d->n_items; j++) mask[j] = strcmp(d->item_lang[j], lang) == 0;
            xl_rank_accum_init(&acc);
            score_lists(fs->lists, fs->users, fs->n_users, c->k, &fs->test, c->relevance_threshold, mask, &acc,
                        fs->rel, fs->gains, NULL);
            char subset[48];
            snprintf(subset, sizeof subset, "lang=%.40s", lang[0] ? lang : "?");
            if (acc.n_users) add_rank(get_row(rows, n_rows, name, subset), &acc, -1);
        }
        free(mask);
    }
    progress(fs, kind, m, xl_time_now() - t_score);
    xl_rec_free(m);
    return 0;
}

int xl_eval_run(const xl_rec_dataset *d, const xl_item_vectors *vectors, const xl_rec_kind *kinds, size_t n_kinds,
                const xl_rec_params *params, const xl_eval_config *config, xl_eval_result *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    out->config = *config;
    out->given_split = config->given_fold != NULL;
    const xl_interactions *x = &d->x;
    if (x->n == 0) return xl_fail(err, XL_ERR_USAGE, "eval: no interactions");
    if (config->k == 0) return xl_fail(err, XL_ERR_USAGE, "eval: k must be positive");
    for (size_t t = 0; t < n_kinds; t++)
        if (xl_rec_needs_vectors(kinds[t]) && !vectors)
            return xl_fail(err, XL_ERR_USAGE, "eval: model %s needs item vectors (--vectors or --text-vectors)",
                           xl_rec_kind_name(kinds[t]));
    uint8_t *fold = xl_malloc(x->n, err);
    size_t *tr = xl_malloc(x->n * sizeof *tr, err), *te = xl_malloc(x->n * sizeof *te, err);
    row_acc *rows = xl_calloc(XL_EVAL_MAX_ROWS, sizeof *rows, err);
    unsigned char *cold = xl_malloc(d->n_items ? d->n_items : 1, err);
    fold_state fs;
    memset(&fs, 0, sizeof fs);
    fs.d = d;
    fs.iv = vectors;
    fs.c = config;
    fs.p = *params;
    fs.p.seed = config->seed;
    fs.p.threads = config->threads;
    size_t n_rows = 0;
    int rc = -1;
    if (!fold || !tr || !te || !rows || !cold) goto out;
    if (config->given_fold) {
        memcpy(fold, config->given_fold, x->n);
    } else {
        if ((config->protocol == XL_SPLIT_LAST || config->protocol == XL_SPLIT_TIME) && !d->has_time) {
            xl_fail(err, XL_ERR_USAGE, "protocol %s splits by time, but the ratings have no timestamps (--time-col)",
                    config->protocol == XL_SPLIT_LAST ? "last" : "time");
            goto out;
        }
        xl_split_spec spec;
        xl_eval_split_spec(config, &spec);
        if (xl_split_assign_spec(x, NULL, x->n, d->n_users, &spec, fold, err) < 0) goto out;
    }
    int n_folds = config->protocol == XL_SPLIT_KFOLD && !config->given_fold ? config->folds : 1;
    fs.users = xl_malloc((size_t)(d->n_users ? d->n_users : 1) * sizeof *fs.users, err);
    fs.lists = xl_malloc((size_t)(d->n_users ? d->n_users : 1) * config->k * sizeof *fs.lists, err);
    fs.scores = xl_malloc((size_t)(d->n_users ? d->n_users : 1) * config->k * sizeof *fs.scores, err);
    fs.rel = xl_malloc(x->n * sizeof *fs.rel, err);
    fs.gains = xl_malloc(x->n * sizeof *fs.gains, err);
    if (!fs.users || !fs.lists || !fs.scores || !fs.rel || !fs.gains) goto out;
    fs.n_folds = n_folds;
    for (int f = 0; f < n_folds; f++) {
        fs.fold = f;
        uint8_t test_fold = n_folds > 1 ? (uint8_t)f : 1;
        size_t ntr = 0, nte = 0;
        for (size_t e = 0; e < x->n; e++) {
            if (fold[e] == test_fold) te[nte++] = e;
            else tr[ntr++] = e;
        }
        xl_csr_free(&fs.train);
        xl_csr_free(&fs.test);
        val_free(&fs.val);
        if (xl_csr_build(&fs.train, x, tr, ntr, d->n_users, d->n_items, false, err) < 0) goto out;
        if (xl_csr_build(&fs.test, x, te, nte, d->n_users, d->n_items, false, err) < 0) goto out;
        fs.n_users = 0;
        for (uint32_t u = 0; u < d->n_users; u++)
            if (fs.test.ptr[u + 1] > fs.test.ptr[u]) fs.users[fs.n_users++] = u;
        memset(cold, 1, d->n_items ? d->n_items : 1);
        for (size_t q = 0; q < fs.train.nnz; q++) cold[fs.train.idx[q]] = 0;
        for (size_t t = 0; t < n_kinds; t++) {
            fs.model_index = t;
            if (run_model(&fs, kinds[t], rows, &n_rows, cold, err) < 0) goto out;
        }
        out->n_folds_run++;
    }
    for (size_t r = 0; r < n_rows; r++) {
        row_acc *a = &rows[r];
        xl_eval_row *o = &out->rows[r];
        *o = a->row;
        double nf = a->n_rank_folds ? a->n_rank_folds : 1;
        o->rank.precision /= nf;
        o->rank.recall /= nf;
        o->rank.f1 /= nf;
        o->rank.ndcg /= nf;
        o->rank.ndcg_graded /= nf;
        o->rank.map /= nf;
        o->rank.mrr /= nf;
        o->rank.hit /= nf;
        if (o->coverage >= 0) o->coverage /= nf;
        o->n_users = (size_t)(a->users_total / nf);
        o->n_skipped = (size_t)(a->skipped_total / nf);
        double v = a->ndcg_sq / nf - o->rank.ndcg * o->rank.ndcg;
        o->ndcg_sd = v > 0 && a->n_rank_folds > 1 ? sqrt(v) : 0.0;
        double nr = a->n_rating_folds ? a->n_rating_folds : 1;
        o->rmse /= nr;
        o->mae /= nr;
        double vr = a->rmse_sq / nr - o->rmse * o->rmse;
        o->rmse_sd = vr > 0 && a->n_rating_folds > 1 ? sqrt(vr) : 0.0;
        o->fit_seconds /= n_folds;
    }
    out->n_rows = n_rows;
    rc = 0;
out:
    xl_csr_free(&fs.train);
    xl_csr_free(&fs.test);
    val_free(&fs.val);
    free(fs.users);
    free(fs.lists);
    free(fs.scores);
    free(fs.rel);
    free(fs.gains);
    free(fold);
    free(tr);
    free(te);
    free(rows);
    free(cold);
    return rc;
}

/* ---------------------------------------------------------------- reports */

static const char *protocol_name(xl_split_kind k)
{
    static const char *const n[] = {"random", "ratio", "last", "kfold", "time"};
    return (unsigned)k < 5 ? n[k] : "?";
}

/* The time protocols' own parameters as JSON members (", \"last_n\": 2"), else "". */
static void protocol_extra(const xl_eval_config *c, char *out, size_t size)
{
    out[0] = 0;
    if (c->protocol == XL_SPLIT_LAST) snprintf(out, size, ", \"last_n\": %d", c->last_n);
    if (c->protocol == XL_SPLIT_TIME && c->has_time_cut)
        snprintf(out, size, ", \"time_cut\": %lld", (long long)c->time_cut);
}

int xl_eval_json(const xl_eval_result *r, const char *dataset_name, xl_buf *b, xl_error *err)
{
    const xl_eval_config *c = &r->config;
    char extra[64];
    if (xl_buf_printf(b, err, "{\n  \"dataset\": ") < 0 || xl_json_put_cstr(b, dataset_name ? dataset_name : "", err) < 0)
        return -1;
    if (r->external) { /* lists from files: no split was made, so no protocol, ratio, folds or seed */
        if (xl_buf_printf(b, err,
                          ",\n  \"protocol\": \"external\", \"k\": %zu, \"relevance_threshold\": %.6g,\n"
                          "  \"results\": [",
                          c->k, c->relevance_threshold) < 0)
            return -1;
    } else if (r->given_split) {
        if (xl_buf_printf(b, err,
                          ",\n  \"protocol\": \"given\", \"k\": %zu, \"relevance_threshold\": %.6g, \"seed\": %llu,\n"
                          "  \"results\": [",
                          c->k, c->relevance_threshold, (unsigned long long)c->seed) < 0)
            return -1;
    } else if (protocol_extra(c, extra, sizeof extra),
               xl_buf_printf(b, err,
                             ",\n  \"protocol\": \"%s\"%s, \"test_ratio\": %.6g, \"folds\": %d, \"k\": %zu,"
                             " \"relevance_threshold\": %.6g, \"seed\": %llu, \"folds_run\": %d,\n  \"results\": [",
                             protocol_name(c->protocol), extra, c->test_ratio,
                             c->protocol == XL_SPLIT_KFOLD ? c->folds : 1,
                             c->k, c->relevance_threshold, (unsigned long long)c->seed, r->n_folds_run) < 0) {
        return -1;
    }
    for (size_t i = 0; i < r->n_rows; i++) {
        const xl_eval_row *o = &r->rows[i];
        if (xl_buf_printf(b, err, "%s\n    {\"model\": ", i ? "," : "") < 0 || xl_json_put_cstr(b, o->model, err) < 0 ||
            xl_buf_printf(b, err, ", \"subset\": ") < 0 || xl_json_put_cstr(b, o->subset, err) < 0 ||
            xl_buf_printf(b, err, ", \"fit_seconds\": %.4f", o->fit_seconds) < 0)
            return -1;
        if (o->hybrid_alpha >= 0 &&
            xl_buf_printf(b, err,
                          ", \"hybrid_alpha\": %.2f, \"validation_ndcg\": %.6f, \"validation_ndcg_cf\": %.6f,"
                          " \"validation_ndcg_content\": %.6f",
                          o->hybrid_alpha, o->hybrid_val_ndcg[0], o->hybrid_val_ndcg[1], o->hybrid_val_ndcg[2]) < 0)
            return -1;
        if (o->tuned[0] && (xl_buf_printf(b, err, ", \"tuned\": ") < 0 || xl_json_put_cstr(b, o->tuned, err) < 0)) return -1;
        if (o->has_rank &&
            xl_buf_printf(b, err,
                          ", \"users\": %zu, \"users_without_relevant\": %zu, \"precision\": %.6f, \"recall\": %.6f,"
                          " \"f1\": %.6f, \"ndcg\": %.6f, \"ndcg_sd\": %.6f, \"ndcg_graded\": %.6f, \"map\": %.6f,"
                          " \"mrr\": %.6f, \"hit_rate\": %.6f",
                          o->n_users, o->n_skipped, o->rank.precision, o->rank.recall, o->rank.f1, o->rank.ndcg,
                          o->ndcg_sd, o->rank.ndcg_graded, o->rank.map, o->rank.mrr, o->rank.hit) < 0)
            return -1;
        if (o->has_rank && (o->coverage >= 0 ? xl_buf_printf(b, err, ", \"coverage\": %.6f", o->coverage)
                                             : xl_buf_printf(b, err, ", \"coverage\": null")) < 0)
            return -1;
        if (o->has_rating && xl_buf_printf(b, err, ", \"rmse\": %.6f, \"rmse_sd\": %.6f, \"mae\": %.6f, \"predictions\": %zu",
                                           o->rmse, o->rmse_sd, o->mae, o->n_pred) < 0)
            return -1;
        if (xl_buf_putc(b, '}', err) < 0) return -1;
    }
    if (xl_buf_printf(b, err, "\n  ]") < 0) return -1;
    if (r->n_tests) {
        if (xl_buf_printf(b, err, ",\n  \"paired_tests_ndcg\": [") < 0) return -1;
        for (size_t i = 0; i < r->n_tests; i++) {
            const xl_paired_test *t = &r->tests[i].r;
            if (xl_buf_printf(b, err, "%s\n    {\"a\": ", i ? "," : "") < 0 || xl_json_put_cstr(b, r->tests[i].model_a, err) < 0 ||
                xl_buf_printf(b, err, ", \"b\": ") < 0 || xl_json_put_cstr(b, r->tests[i].model_b, err) < 0 ||
                xl_buf_printf(b, err,
                              ", \"pairs\": %zu, \"mean_a\": %.6f, \"mean_b\": %.6f, \"t\": %.6g, \"t_p\": %.6g,"
                              " \"wilcoxon_nonzero\": %zu, \"wilcoxon_w\": %.6g, \"wilcoxon_p\": %.6g, \"wilcoxon_exact\": %s}",
                              t->n, t->mean_a, t->mean_b, isfinite(t->t) ? t->t : (t->t > 0 ? 1e308 : -1e308), t->t_p,
                              t->n_nonzero, t->w, t->w_p, t->w_exact ? "true" : "false") < 0)
                return -1;
        }
        if (xl_buf_printf(b, err, "\n  ]") < 0) return -1;
    }
    return xl_buf_printf(b, err, "\n}\n");
}

int xl_eval_table(const xl_eval_result *r, xl_buf *b, xl_error *err)
{
    const xl_eval_config *c = &r->config;
    if (r->given_split ? xl_buf_printf(b, err, "given train/test split, k=%zu, seed %llu\n", c->k,
                                       (unsigned long long)c->seed) < 0
        : r->external  ? xl_buf_printf(b, err, "external lists, k=%zu\n", c->k) < 0
                    : xl_buf_printf(b, err, "protocol %s, k=%zu, folds run %d, seed %llu\n", protocol_name(c->protocol),
                                    c->k, r->n_folds_run, (unsigned long long)c->seed) < 0)
        return -1;
    if (xl_buf_printf(b, err,
                      "%-11s %-16s %6s %7s %7s %7s %7s %7s %7s %7s %7s %6s %7s %7s %8s\n",
                      "model", "subset",
                      "users", "P@K", "R@K", "F1@K", "NDCG", "NDCGg", "MAP", "MRR", "Hit", "cov", "RMSE", "MAE",
                      "fit_s") < 0)
        return -1;
    for (size_t i = 0; i < r->n_rows; i++) {
        const xl_eval_row *o = &r->rows[i];
        char rank[128] = "", rating[48] = "";
        char cov[16] = "-";
        if (o->coverage >= 0) snprintf(cov, sizeof cov, "%.3f", o->coverage);
        if (o->has_rank)
            snprintf(rank, sizeof rank, "%6zu %7.4f %7.4f %7.4f %7.4f %7.4f %7.4f %7.4f %7.4f %6s", o->n_users,
                     o->rank.precision, o->rank.recall, o->rank.f1, o->rank.ndcg, o->rank.ndcg_graded, o->rank.map,
                     o->rank.mrr, o->rank.hit, cov);
        else
            snprintf(rank, sizeof rank, "%6s %7s %7s %7s %7s %7s %7s %7s %7s %6s", "-", "-", "-", "-", "-", "-", "-",
                     "-", "-", "-");
        if (o->has_rating) snprintf(rating, sizeof rating, "%7.4f %7.4f", o->rmse, o->mae);
        else snprintf(rating, sizeof rating, "%7s %7s", "-", "-");
        if (xl_buf_printf(b, err, "%-11s %-16s %s %s %8.2f", o->model, o->subset, rank, rating, o->fit_seconds) < 0)
            return -1;
        if (o->hybrid_alpha >= 0 &&
            xl_buf_printf(b, err, "  alpha=%.1f (validation NDCG %.4f; CF alone %.4f, content alone %.4f)",
                          o->hybrid_alpha, o->hybrid_val_ndcg[0], o->hybrid_val_ndcg[1], o->hybrid_val_ndcg[2]) < 0)
            return -1;
        if (o->tuned[0] && xl_buf_printf(b, err, "  tuned: %s", o->tuned) < 0) return -1;
        if (xl_buf_putc(b, '\n', err) < 0) return -1;
    }
    if (r->n_tests &&
        xl_buf_printf(b, err, "\npaired tests on per-user NDCG@%zu (two-sided)\n%-11s %-11s %7s %8s %8s %9s %10s %8s %10s\n",
                      c->k, "model A", "model B", "pairs", "NDCG A", "NDCG B", "t", "p(t)", "W", "p(W)") < 0)
        return -1;
    for (size_t i = 0; i < r->n_tests; i++) {
        const xl_paired_test *t = &r->tests[i].r;
        if (xl_buf_printf(b, err, "%-11s %-11s %7zu %8.4f %8.4f %9.3f %10.3g %8.0f %10.3g%s\n", r->tests[i].model_a,
                          r->tests[i].model_b, t->n, t->mean_a, t->mean_b, t->t, t->t_p, t->w, t->w_p,
                          t->w_exact ? " exact" : "") < 0)
            return -1;
    }
    return 0;
}
