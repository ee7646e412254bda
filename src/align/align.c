/* align.c - see align.h */
#include "align.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "align_linalg.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_rng.h"
#include "xl_thread.h"
#include "xl_topk.h"

#define QBLOCK 8

void xl_align_dict_free(xl_align_dict *d)
{
    if (!d) return;
    free(d->src);
    free(d->tgt);
    memset(d, 0, sizeof *d);
}

static int dict_push(xl_align_dict *d, uint32_t s, uint32_t t, xl_error *err)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        uint32_t *a = xl_realloc(d->src, cap, sizeof *a, err);
        if (!a) return -1;
        d->src = a;
        uint32_t *b = xl_realloc(d->tgt, cap, sizeof *b, err);
        if (!b) return -1;
        d->tgt = b;
        d->cap = cap;
    }
    d->src[d->n] = s;
    d->tgt[d->n] = t;
    d->n++;
    return 0;
}

/* open-addressing set of 64-bit keys (pairs) */
typedef struct {
    uint64_t *k;
    size_t n, cap;
} u64set;

static int u64set_insert(u64set *s, uint64_t key, bool *added, xl_error *err)
{
    key += 1; /* 0 marks an empty slot */
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint64_t *k = xl_calloc(cap, sizeof *k, err);
        if (!k) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->k[i]) {
                size_t j = (size_t)(s->k[i] * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
                while (k[j]) j = (j + 1) & (cap - 1);
                k[j] = s->k[i];
            }
        free(s->k);
        s->k = k;
        s->cap = cap;
    }
    size_t j = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & (s->cap - 1);
    while (s->k[j]) {
        if (s->k[j] == key) {
            *added = false;
            return 0;
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->k[j] = key;
    s->n++;
    *added = true;
    return 0;
}

static size_t trim(const char *s, size_t b, size_t e, size_t *out_b)
{
    while (b < e && (s[b] == ' ' || s[b] == '\t')) b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
    *out_b = b;
    return e - b;
}

int xl_align_dict_load(const char *path, const xl_w2v_vectors *src, const xl_w2v_vectors *tgt, xl_align_dict *out,
                    xl_align_dict_stats *stats, xl_error *err)
{
    memset(out, 0, sizeof *out);
    xl_align_dict_stats st = {0, 0, 0, 0};
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    u64set seen = {NULL, 0, 0};
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        size_t b0;
        if (trim(line, 0, len, &b0) == 0) continue;
        st.lines++;
        size_t sb, sl, tb, tl;
        const char *tab = memchr(line, '\t', len);
        if (tab) {
            size_t cut = (size_t)(tab - line);
            sl = trim(line, 0, cut, &sb);
            tl = trim(line, cut + 1, len, &tb);
        } else {
            size_t p = b0;
            while (p < len && line[p] != ' ') p++;
            sb = b0;
            sl = p - b0;
            tl = trim(line, p, len, &tb);
            for (size_t q = tb; q < tb + tl; q++)
                if (line[q] == ' ') tl = 0;
        }
        if (sl == 0 || tl == 0) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected \"source<TAB>target\" or two words", path,
                         (unsigned long long)r.lineno);
            break;
        }
        st.pairs++;
        int64_t s = xl_w2v_words_find(&src->words, line + sb, sl), t = xl_w2v_words_find(&tgt->words, line + tb, tl);
        if (s < 0 || t < 0) {
            st.oov_pairs++;
            continue;
        }
        bool added;
        if (u64set_insert(&seen, (uint64_t)s << 32 | (uint64_t)t, &added, err) < 0) {
            rc = -1;
            break;
        }
        if (!added) {
            st.duplicates++;
            continue;
        }
        if (dict_push(out, (uint32_t)s, (uint32_t)t, err) < 0) {
            rc = -1;
            break;
        }
    }
    xl_lines_close(&r);
    free(seen.k);
    if (stats) *stats = st;
    if (rc < 0) {
        xl_align_dict_free(out);
        return -1;
    }
    return 0;
}

size_t xl_align_dict_distinct_src(const xl_align_dict *d)
{
    u64set s = {NULL, 0, 0};
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        bool added;
        if (u64set_insert(&s, d->src[i], &added, NULL) < 0) break;
        n += added;
    }
    free(s.k);
    return n;
}

int xl_align_dict_split(const xl_align_dict *all, size_t test_words, uint64_t seed, xl_align_dict *train, xl_align_dict *test,
                     xl_error *err)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    /* distinct source words in first-appearance order */
    uint32_t *words = xl_malloc((all->n ? all->n : 1) * sizeof *words, err);
    if (!words) return -1;
    u64set s = {NULL, 0, 0};
    size_t nw = 0;
    for (size_t i = 0; i < all->n; i++) {
        bool added;
        if (u64set_insert(&s, all->src[i], &added, err) < 0) {
            free(words);
            free(s.k);
            return -1;
        }
        if (added) words[nw++] = all->src[i];
    }
    free(s.k);
    xl_rng rng;
    xl_rng_seed(&rng, seed, 7);
    xl_rng_shuffle_u32(&rng, words, (uint32_t)nw);
    if (test_words > nw) test_words = nw;
    u64set in_test = {NULL, 0, 0};
    int rc = 0;
    for (size_t i = 0; i < test_words && rc == 0; i++) {
        bool added;
        rc = u64set_insert(&in_test, words[i], &added, err);
    }
    for (size_t i = 0; i < all->n && rc == 0; i++) {
        bool added;
        /* probe: insert into a copy is costly; look up instead */
        uint64_t key = (uint64_t)all->src[i] + 1;
        size_t j = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & (in_test.cap ? in_test.cap - 1 : 0);
        added = false;
        if (in_test.cap)
            while (in_test.k[j]) {
                if (in_test.k[j] == key) {
                    added = true;
                    break;
                }
                j = (j + 1) & (in_test.cap - 1);
            }
        rc = dict_push(added ? test : train, all->src[i], all->tgt[i], err);
    }
    free(in_test.k);
    free(words);
    if (rc < 0) {
        xl_align_dict_free(train);
        xl_align_dict_free(test);
    }
    return rc;
}

int xl_align_normalize(xl_w2v_vectors *v, const char *how, xl_error *err)
{
    if (!how || strcmp(how, "none") == 0) return 0;
    if (strcmp(how, "unit") != 0 && strcmp(how, "center") != 0)
        return xl_fail(err, XL_ERR_USAGE, "normalize: unknown mode '%s' (none|unit|center)", how);
    xl_w2v_vectors_normalize(v);
    if (strcmp(how, "center") == 0 && v->n_words > 0) {
        double *mean = xl_calloc(v->dim, sizeof *mean, err);
        if (!mean) return -1;
        for (size_t i = 0; i < v->n_words; i++)
            for (size_t j = 0; j < v->dim; j++) mean[j] += xl_w2v_row(v, i)[j];
        for (size_t j = 0; j < v->dim; j++) mean[j] /= (double)v->n_words;
        for (size_t i = 0; i < v->n_words; i++)
            for (size_t j = 0; j < v->dim; j++) xl_w2v_row(v, i)[j] = (float)(xl_w2v_row(v, i)[j] - mean[j]);
        free(mean);
        xl_w2v_vectors_normalize(v);
    }
    return 0;
}

int xl_align_procrustes(const xl_w2v_vectors *src, const xl_w2v_vectors *tgt, const xl_align_dict *pairs, float *W, xl_error *err)
{
    size_t d = src->dim;
    if (tgt->dim != d)
        return xl_fail(err, XL_ERR_USAGE, "procrustes: source dimension %zu != target dimension %zu", d, tgt->dim);
    if (pairs->n == 0) return xl_fail(err, XL_ERR_USAGE, "procrustes: no dictionary pair is in both vocabularies");
    double *M = xl_calloc(d * d, sizeof *M, err), *Wd = xl_malloc(d * d * sizeof *Wd, err);
    if (!M || !Wd) {
        free(M), free(Wd);
        return -1;
    }
    /* M = Y^T X = sum_i y_i x_i^T */
    for (size_t i = 0; i < pairs->n; i++) {
        const float *x = xl_w2v_row(src, pairs->src[i]), *y = xl_w2v_row(tgt, pairs->tgt[i]);
        for (size_t a = 0; a < d; a++) {
            double ya = y[a];
            double *m = M + a * d;
            for (size_t b = 0; b < d; b++) m[b] += ya * x[b];
        }
    }
    int rc = xl_align_orthogonal_procrustes(M, d, Wd, err);
    if (rc == 0)
        for (size_t i = 0; i < d * d; i++) W[i] = (float)Wd[i];
    free(M), free(Wd);
    return rc;
}

int xl_align_apply(const xl_w2v_vectors *src, const float *W, xl_w2v_vectors *out, xl_error *err)
{
    size_t d = src->dim;
    if (xl_w2v_vectors_alloc(out, src->n_words, d, err) < 0) return -1;
    for (size_t i = 0; i < src->n_words; i++) {
        const float *x = xl_w2v_row(src, i);
        float *y = xl_w2v_row(out, i);
        for (size_t a = 0; a < d; a++) y[a] = xl_w2v_dot(W + a * d, x, d);
        if (xl_w2v_words_add(&out->words, xl_w2v_words_get(&src->words, i), src->words.word_len[i], err) < 0) {
            xl_w2v_vectors_free(out);
            return -1;
        }
    }
    return 0;
}

/* ---- top-k search --------------------------------------------------------- */
typedef struct {
    const float *Q, *T, *penalty;
    size_t nq, nt, dim, k;
    int64_t *ids;
    float *scores;
} topk_ctx;

static void topk_range(void *vctx, size_t begin, size_t end, int tid)
{
    (void)tid;
    topk_ctx *c = vctx;
    size_t k = c->k;
    for (size_t b0 = begin; b0 < end; b0 += QBLOCK) {
        size_t nb = end - b0 < QBLOCK ? end - b0 : QBLOCK;
        size_t filled[QBLOCK] = {0};
        for (size_t t = 0; t < c->nt; t++) {
            const float *row = c->T + t * c->dim;
            float pen = c->penalty ? c->penalty[t] : 0.0f;
            for (size_t qi = 0; qi < nb; qi++) {
                size_t q = b0 + qi;
                float s = xl_w2v_dot(c->Q + q * c->dim, row, c->dim) - pen;
                xl_topk_insert(c->scores + q * k, c->ids + q * k, &filled[qi], k, s, (int64_t)t);
            }
        }
        for (size_t qi = 0; qi < nb; qi++)
            for (size_t j = filled[qi]; j < k; j++) {
                c->ids[(b0 + qi) * k + j] = -1;
                c->scores[(b0 + qi) * k + j] = -INFINITY;
            }
    }
}

int xl_align_topk(const float *Q, size_t nq, const float *T, size_t nt, size_t dim, const float *penalty, size_t k,
               int threads, int64_t *ids, float *scores, xl_error *err)
{
    if (k == 0) return xl_fail(err, XL_ERR_USAGE, "top-k: k must be >= 1");
    topk_ctx c = {Q, T, penalty, nq, nt, dim, k, ids, scores};
    xl_parallel_for(xl_resolve_threads(threads), nq, topk_range, &c);
    return 0;
}

int xl_align_mean_topk(const float *Q, size_t nq, const float *T, size_t nt, size_t dim, size_t k, int threads, float *r,
                    xl_error *err)
{
    if (k > nt) k = nt;
    if (k == 0 || nq == 0) {
        for (size_t i = 0; i < nq; i++) r[i] = 0;
        return 0;
    }
    size_t cells;
    if (!xl_mul_size(nq, k, &cells)) return xl_fail(err, XL_ERR_NOMEM, "top-k: too large");
    int64_t *ids = xl_malloc(cells * sizeof *ids, err);
    float *sc = xl_malloc(cells * sizeof *sc, err);
    if (!ids || !sc) {
        free(ids), free(sc);
        return -1;
    }
    xl_align_topk(Q, nq, T, nt, dim, NULL, k, threads, ids, sc, err);
    for (size_t i = 0; i < nq; i++) {
        double s = 0;
        for (size_t j = 0; j < k; j++) s += sc[i * k + j];
        r[i] = (float)(s / (double)k);
    }
    free(ids), free(sc);
    return 0;
}

/* Best target for each query row (CSLS when r_src/r_tgt given). */
static int best_match(const float *Q, size_t nq, const float *T, size_t nt, size_t dim, const float *r_t_of_t,
                      int threads, int64_t *best, xl_error *err)
{
    float *pen = NULL;
    if (r_t_of_t) {
        pen = xl_malloc((nt ? nt : 1) * sizeof *pen, err);
        if (!pen) return -1;
        for (size_t i = 0; i < nt; i++) pen[i] = r_t_of_t[i] * 0.5f;
    }
    float *sc = xl_malloc((nq ? nq : 1) * sizeof *sc, err);
    int rc = sc ? xl_align_topk(Q, nq, T, nt, dim, pen, 1, threads, best, sc, err) : -1;
    free(pen), free(sc);
    return rc;
}

int xl_align_refine_step(const xl_w2v_vectors *src, const xl_w2v_vectors *tgt, const xl_align_options *opt, float *W,
                      size_t *dict_size, xl_error *err)
{
    size_t d = src->dim;
    size_t ns = src->n_words < opt->refine_rank ? src->n_words : opt->refine_rank;
    size_t nt = tgt->n_words < opt->refine_rank ? tgt->n_words : opt->refine_rank;
    size_t k = opt->csls_k ? opt->csls_k : 10;
    int rc = -1;
    float *mapped = xl_malloc(ns * d * sizeof *mapped + 64, err);
    float *r_s = xl_malloc((ns + 1) * sizeof *r_s, err), *r_t = xl_malloc((nt + 1) * sizeof *r_t, err);
    int64_t *s2t = xl_malloc((ns + 1) * sizeof *s2t, err), *t2s = xl_malloc((nt + 1) * sizeof *t2s, err);
    xl_align_dict dict = {NULL, NULL, 0, 0};
    if (!mapped || !r_s || !r_t || !s2t || !t2s) goto done;
    for (size_t i = 0; i < ns; i++) {
        const float *x = xl_w2v_row(src, i);
        float *y = mapped + i * d;
        double nrm = 0;
        for (size_t a = 0; a < d; a++) {
            y[a] = xl_w2v_dot(W + a * d, x, d);
            nrm += (double)y[a] * y[a];
        }
        if (nrm > 0)
            for (size_t a = 0; a < d; a++) y[a] = (float)(y[a] / sqrt(nrm));
    }
    /* r_s[i]: density of mapped source i among targets; r_t[j]: of target j among mapped sources */
    if (xl_align_mean_topk(mapped, ns, tgt->data, nt, d, k, opt->threads, r_s, err) < 0) goto done;
    if (xl_align_mean_topk(tgt->data, nt, mapped, ns, d, k, opt->threads, r_t, err) < 0) goto done;
    if (best_match(mapped, ns, tgt->data, nt, d, r_t, opt->threads, s2t, err) < 0) goto done;
    if (best_match(tgt->data, nt, mapped, ns, d, r_s, opt->threads, t2s, err) < 0) goto done;
    for (size_t i = 0; i < ns; i++)
        if (s2t[i] >= 0 && t2s[s2t[i]] == (int64_t)i && dict_push(&dict, (uint32_t)i, (uint32_t)s2t[i], err) < 0)
            goto done;
    *dict_size = dict.n;
    if (dict.n == 0) {
        xl_fail(err, XL_ERR_GENERIC, "refinement: no mutual nearest neighbours");
        goto done;
    }
    rc = xl_align_procrustes(src, tgt, &dict, W, err);
done:
    free(mapped), free(r_s), free(r_t), free(s2t), free(t2s);
    xl_align_dict_free(&dict);
    return rc;
}

int xl_align_eval(const xl_w2v_vectors *mapped, const xl_w2v_vectors *tgt, const xl_align_dict *test, const xl_align_options *opt,
               xl_align_eval_result *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    size_t d = mapped->dim;
    size_t nt = opt->max_vocab && opt->max_vocab < tgt->n_words ? opt->max_vocab : tgt->n_words;
    size_t ns = opt->max_vocab && opt->max_vocab < mapped->n_words ? opt->max_vocab : mapped->n_words;
    size_t k = opt->csls_k ? opt->csls_k : 10;
    /* distinct test sources, first-appearance order */
    uint32_t *q = xl_malloc((test->n + 1) * sizeof *q, err);
    float *Q = NULL, *r_t = NULL, *pen = NULL, *sc = NULL;
    int64_t *ids = NULL;
    int rc = -1;
    if (!q) return -1;
    u64set s = {NULL, 0, 0};
    size_t nq = 0;
    for (size_t i = 0; i < test->n; i++) {
        bool added;
        if (u64set_insert(&s, test->src[i], &added, err) < 0) goto done;
        if (added) q[nq++] = test->src[i];
    }
    if (nq == 0) {
        xl_fail(err, XL_ERR_USAGE, "evaluation: the test dictionary has no pair in both vocabularies");
        goto done;
    }
    Q = xl_malloc(nq * d * sizeof *Q, err);
    ids = xl_malloc(nq * 10 * sizeof *ids, err);
    sc = xl_malloc(nq * 10 * sizeof *sc, err);
    if (!Q || !ids || !sc) goto done;
    for (size_t i = 0; i < nq; i++) {
        const float *x = xl_w2v_row(mapped, q[i]);
        double nrm = 0;
        for (size_t a = 0; a < d; a++) nrm += (double)x[a] * x[a];
        for (size_t a = 0; a < d; a++) Q[i * d + a] = nrm > 0 ? (float)(x[a] / sqrt(nrm)) : 0.0f;
    }
    if (opt->csls) {
        r_t = xl_malloc((nt + 1) * sizeof *r_t, err);
        pen = xl_malloc((nt + 1) * sizeof *pen, err);
        if (!r_t || !pen) goto done;
        if (xl_align_mean_topk(tgt->data, nt, mapped->data, ns, d, k, opt->threads, r_t, err) < 0) goto done;
        for (size_t i = 0; i < nt; i++) pen[i] = 0.5f * r_t[i];
    }
    if (xl_align_topk(Q, nq, tgt->data, nt, d, pen, 10, opt->threads, ids, sc, err) < 0) goto done;
    /* gold sets: scan the test pairs per query (sorted lookup via the set of (src,tgt)) */
    u64set gold = {NULL, 0, 0};
    for (size_t i = 0; i < test->n; i++) {
        bool added;
        if (u64set_insert(&gold, (uint64_t)test->src[i] << 32 | test->tgt[i], &added, err) < 0) {
            free(gold.k);
            goto done;
        }
    }
    for (size_t i = 0; i < nq; i++) {
        size_t first_hit = 11;
        for (size_t j = 0; j < 10 && first_hit == 11; j++) {
            if (ids[i * 10 + j] < 0) break;
            uint64_t key = ((uint64_t)q[i] << 32 | (uint64_t)ids[i * 10 + j]) + 1;
            size_t h = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & (gold.cap - 1);
            while (gold.k[h]) {
                if (gold.k[h] == key) {
                    first_hit = j + 1;
                    break;
                }
                h = (h + 1) & (gold.cap - 1);
            }
        }
        out->hits1 += first_hit <= 1;
        out->hits5 += first_hit <= 5;
        out->hits10 += first_hit <= 10;
    }
    free(gold.k);
    out->queries = nq;
    rc = 0;
done:
    free(s.k);
    free(q), free(Q), free(r_t), free(pen), free(sc), free(ids);
    return rc;
}
