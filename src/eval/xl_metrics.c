/* xl_metrics.c - ranking/rating metrics and seeded splits (see xl_eval.h). */
#include "xl_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_rng.h"

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Gain of item in R (index into relevant) or -1. */
static long find_rel(const uint32_t *relevant, size_t n, uint32_t item)
{
    for (size_t r = 0; r < n; r++)
        if (relevant[r] == item) return (long)r;
    return -1;
}

int xl_metrics_user(const uint32_t *ranked, size_t n_ranked, size_t k, const uint32_t *relevant, const double *gains,
                    size_t n_relevant, xl_rank_metrics *out)
{
    memset(out, 0, sizeof *out);
    if (n_relevant == 0 || k == 0) return -1;
    size_t depth = n_ranked < k ? n_ranked : k;
    size_t hits = 0;
    double dcg = 0, dcg_g = 0, ap = 0, rr = 0;
    for (size_t pos = 0; pos < depth; pos++) {
        uint32_t item = ranked[pos];
        if (item == XL_REC_NONE) continue;
        bool repeat = false;
        for (size_t q = 0; q < pos; q++)
            if (ranked[q] == item) repeat = true;
        if (repeat) continue;
        long r = find_rel(relevant, n_relevant, item);
        if (r < 0) continue;
        hits++;
        double disc = 1.0 / log2((double)pos + 2.0);
        dcg += disc;
        dcg_g += (gains ? gains[r] : 1.0) * disc;
        ap += (double)hits / (double)(pos + 1);
        if (rr == 0) rr = 1.0 / (double)(pos + 1);
    }
    size_t ideal_n = n_relevant < k ? n_relevant : k;
    double idcg = 0, idcg_g = 0;
    double *g = malloc(n_relevant * sizeof *g);
    if (g) {
        for (size_t r = 0; r < n_relevant; r++) g[r] = gains ? gains[r] : 1.0;
        qsort(g, n_relevant, sizeof *g, cmp_desc);
    }
    for (size_t pos = 0; pos < ideal_n; pos++) {
        double disc = 1.0 / log2((double)pos + 2.0);
        idcg += disc;
        idcg_g += (g ? g[pos] : 1.0) * disc;
    }
    free(g);
    out->precision = (double)hits / (double)k;
    out->recall = (double)hits / (double)n_relevant;
    out->f1 = (out->precision + out->recall) > 0
                  ? 2 * out->precision * out->recall / (out->precision + out->recall)
                  : 0.0;
    out->ndcg = idcg > 0 ? dcg / idcg : 0.0;
    out->ndcg_graded = idcg_g > 0 ? dcg_g / idcg_g : 0.0;
    out->map = ap / (double)ideal_n;
    out->mrr = rr;
    out->hit = hits > 0 ? 1.0 : 0.0;
    return 0;
}

void xl_rank_accum_init(xl_rank_accum *a)
{
    memset(a, 0, sizeof *a);
}

void xl_rank_accum_add(xl_rank_accum *a, const xl_rank_metrics *m)
{
    a->sum.precision += m->precision;
    a->sum.recall += m->recall;
    a->sum.f1 += m->f1;
    a->sum.ndcg += m->ndcg;
    a->sum.ndcg_graded += m->ndcg_graded;
    a->sum.map += m->map;
    a->sum.mrr += m->mrr;
    a->sum.hit += m->hit;
    a->n_users++;
}

void xl_rank_accum_mean(const xl_rank_accum *a, xl_rank_metrics *out)
{
    double n = a->n_users ? (double)a->n_users : 1.0;
    out->precision = a->sum.precision / n;
    out->recall = a->sum.recall / n;
    out->f1 = a->sum.f1 / n;
    out->ndcg = a->sum.ndcg / n;
    out->ndcg_graded = a->sum.ndcg_graded / n;
    out->map = a->sum.map / n;
    out->mrr = a->sum.mrr / n;
    out->hit = a->sum.hit / n;
}

double xl_metric_rmse(const double *pred, const double *truth, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (pred[i] - truth[i]) * (pred[i] - truth[i]);
    return n ? sqrt(s / (double)n) : 0.0;
}

double xl_metric_mae(const double *pred, const double *truth, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += fabs(pred[i] - truth[i]);
    return n ? s / (double)n : 0.0;
}

double xl_metric_coverage(const uint32_t *lists, size_t n_lists, size_t k, uint32_t n_items)
{
    if (!n_items) return 0.0;
    unsigned char *seen = calloc(n_items, 1);
    if (!seen) return 0.0;
    size_t distinct = 0;
    for (size_t t = 0; t < n_lists * k; t++) {
        uint32_t i = lists[t];
        if (i < n_items && !seen[i]) {
            seen[i] = 1;
            distinct++;
        }
    }
    free(seen);
    return (double)distinct / (double)n_items;
}

/* ---------------------------------------------------------------- splits */

int xl_split_parse(const char *name)
{
    static const char *const names[] = {"random", "ratio", "last", "kfold", "time"};
    for (int k = 0; k < 5; k++)
        if (strcmp(name, names[k]) == 0) return k;
    return -1;
}

void xl_split_spec_default(xl_split_spec *s)
{
    memset(s, 0, sizeof *s);
    s->kind = XL_SPLIT_USER_RATIO;
    s->ratio = 0.25;
    s->folds = 5;
    s->seed = 42;
    s->last_n = 1;
}

int xl_split_assign(const xl_interactions *x, const size_t *subset, size_t n, uint32_t n_users, xl_split_kind kind,
                    double ratio, int folds, uint64_t seed, uint8_t *fold, xl_error *err)
{
    xl_split_spec s;
    xl_split_spec_default(&s);
    s.kind = kind;
    s.ratio = ratio;
    s.folds = folds;
    s.seed = seed;
    return xl_split_assign_spec(x, subset, n, n_users, &s, fold, err);
}

/* Order positions t by (time, t): the earlier interaction first, file order on equal times.
 * Bottom-up merge sort of the positions (stable, O(n log n)); tmp holds n entries. */
static void sort_by_time(uint32_t *pos, uint32_t *tmp, size_t n, const xl_interactions *x, const size_t *subset)
{
#define TM(t) x->time[subset ? subset[t] : (t)]
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) tmp[o++] = TM(pos[b]) < TM(pos[a]) ? pos[b++] : pos[a++];
            while (a < mid) tmp[o++] = pos[a++];
            while (b < hi) tmp[o++] = pos[b++];
        }
        memcpy(pos, tmp, n * sizeof *pos);
    }
#undef TM
}

int xl_split_assign_spec(const xl_interactions *x, const size_t *subset, size_t n, uint32_t n_users,
                         const xl_split_spec *spec, uint8_t *fold, xl_error *err)
{
    xl_split_kind kind = spec->kind;
    double ratio = spec->ratio;
    int folds = spec->folds;
    if (!subset) n = x->n;
    if (n >= UINT32_MAX) return xl_fail(err, XL_ERR_LIMIT, "split: more than 2^32-1 interactions");
    if ((unsigned)kind > XL_SPLIT_TIME) return xl_fail(err, XL_ERR_USAGE, "split: unknown protocol %d", (int)kind);
    if (kind == XL_SPLIT_KFOLD && (folds < 2 || folds > 255)) return xl_fail(err, XL_ERR_USAGE, "split: folds must be in [2, 255]");
    if ((kind == XL_SPLIT_RANDOM || kind == XL_SPLIT_USER_RATIO || (kind == XL_SPLIT_TIME && !spec->has_time_cut)) &&
        !(ratio > 0 && ratio < 1))
        return xl_fail(err, XL_ERR_USAGE, "split: test ratio must be in (0, 1)");
    if (kind == XL_SPLIT_LAST && spec->last_n < 1) return xl_fail(err, XL_ERR_USAGE, "split: last-n must be >= 1");
    memset(fold, 0, n ? n : 1);
    xl_rng rng;
    xl_rng_seed(&rng, spec->seed, 11);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return xl_fail(err, XL_ERR_NOMEM, "split: out of memory");
    for (size_t t = 0; t < n; t++) order[t] = (uint32_t)t;
#define EL(t) (subset ? subset[t] : (t))
    if (kind == XL_SPLIT_TIME) {
        if (spec->has_time_cut) {
            for (size_t t = 0; t < n; t++) fold[t] = x->time[EL(t)] >= spec->time_cut;
        } else {
            uint32_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
            if (!tmp) {
                free(order);
                return xl_fail(err, XL_ERR_NOMEM, "split: out of memory");
            }
            sort_by_time(order, tmp, n, x, subset);
            free(tmp);
            size_t n_test = (size_t)floor(ratio * (double)n + 0.5);
            for (size_t t = n - n_test; t < n; t++) fold[order[t]] = 1;
        }
        free(order);
        return 0;
    }
    if (kind == XL_SPLIT_RANDOM || kind == XL_SPLIT_KFOLD) {
        xl_rng_shuffle_u32(&rng, order, (uint32_t)n);
        size_t n_test = (size_t)floor(ratio * (double)n + 0.5);
        for (size_t t = 0; t < n; t++) {
            if (kind == XL_SPLIT_RANDOM) fold[order[t]] = t < n_test ? 1 : 0;
            else fold[order[t]] = (uint8_t)(((uint64_t)t * (uint64_t)folds) / n);
        }
        free(order);
        return 0;
    }
    /* per user: group positions by user (counting sort keeps input order) */
    size_t *ptr = calloc((size_t)n_users + 1, sizeof *ptr);
    uint32_t *by_user = malloc((n ? n : 1) * sizeof *by_user);
    if (!ptr || !by_user) {
        free(order);
        free(ptr);
        free(by_user);
        return xl_fail(err, XL_ERR_NOMEM, "split: out of memory");
    }
    for (size_t t = 0; t < n; t++) {
        uint32_t u = x->user[EL(t)];
        if (u >= n_users) {
            free(order);
            free(ptr);
            free(by_user);
            return xl_fail(err, XL_ERR_USAGE, "split: user %u out of range", u);
        }
        ptr[u + 1]++;
    }
    for (uint32_t u = 0; u < n_users; u++) ptr[u + 1] += ptr[u];
    for (size_t t = 0; t < n; t++) by_user[ptr[x->user[EL(t)]]++] = (uint32_t)t;
    for (uint32_t u = n_users; u > 0; u--) ptr[u] = ptr[u - 1];
    ptr[0] = 0;
    for (uint32_t u = 0; u < n_users; u++) {
        uint32_t *g = by_user + ptr[u];
        size_t nu = ptr[u + 1] - ptr[u];
        if (nu < 2) continue; /* a single interaction stays in train */
        if (kind == XL_SPLIT_LAST) {
            /* g holds the user's positions in input order: order them by time (stable), the
             * last min(last_n, nu - 1) go to test */
            size_t n_test = (size_t)spec->last_n < nu - 1 ? (size_t)spec->last_n : nu - 1;
            sort_by_time(g, order, nu, x, subset);
            for (size_t q = nu - n_test; q < nu; q++) fold[g[q]] = 1;
        } else {
            xl_rng_shuffle_u32(&rng, g, (uint32_t)nu);
            size_t n_test = (size_t)floor(ratio * (double)nu + 0.5);
            if (n_test > nu - 1) n_test = nu - 1;
            for (size_t q = 0; q < n_test; q++) fold[g[q]] = 1;
        }
    }
#undef EL
    free(order);
    free(ptr);
    free(by_user);
    return 0;
}
