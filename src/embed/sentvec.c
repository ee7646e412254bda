/* sentvec.c - see sentvec.h */
#include "sentvec.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "align_linalg.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_parse.h"
#include "xl_text.h"
#include "xl_thread.h"

int xl_sentvec_sif_weights(const xl_w2v_vectors *v, const char *counts_path, double a, float **weights, xl_error *err)
{
    if (!(a > 0)) return xl_fail(err, XL_ERR_USAGE, "SIF: the parameter a must be > 0");
    size_t n = v->n_words;
    float *w = xl_malloc((n ? n : 1) * sizeof *w, err);
    if (!w) return -1;
    if (!counts_path) {
        double h = 0;
        for (size_t r = 0; r < n; r++) h += 1.0 / (double)(r + 1);
        for (size_t r = 0; r < n; r++) {
            double p = 1.0 / ((double)(r + 1) * h);
            w[r] = (float)(a / (a + p));
        }
        *weights = w;
        return 0;
    }
    double *cnt = xl_calloc(n ? n : 1, sizeof *cnt, err);
    if (!cnt) {
        free(w);
        return -1;
    }
    xl_lines r;
    if (xl_lines_open(&r, counts_path, err) < 0) {
        free(w), free(cnt);
        return -1;
    }
    const char *line;
    size_t len;
    int rc;
    double total = 0;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (len == 0) continue;
        const char *sp = NULL;
        for (size_t i = len; i > 0; i--)
            if (line[i - 1] == ' ' || line[i - 1] == '\t') {
                sp = line + i - 1;
                break;
            }
        uint64_t c;
        xl_error e2;
        if (!sp || xl_parse_u64(sp + 1, (size_t)(line + len - sp - 1), &c, &e2) < 0) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected \"word count\"", counts_path,
                         (unsigned long long)r.lineno);
            break;
        }
        total += (double)c;
        int64_t id = xl_w2v_words_find(&v->words, line, (size_t)(sp - line));
        if (id >= 0) cnt[id] += (double)c;
    }
    xl_lines_close(&r);
    if (rc < 0) {
        free(w), free(cnt);
        return -1;
    }
    if (total <= 0) {
        free(w), free(cnt);
        return xl_fail(err, XL_ERR_FORMAT, "%s: no counts", counts_path);
    }
    for (size_t i = 0; i < n; i++) w[i] = (float)(a / (a + cnt[i] / total));
    free(cnt);
    *weights = w;
    return 0;
}

int xl_sentvec_lookup(const xl_w2v_vectors *v, const char *s, size_t len, bool lowercase_fallback, int32_t **ids,
                   size_t *n, size_t *cap, xl_error *err)
{
    char small[256], *low = small;
    size_t low_cap = sizeof small, p = 0;
    *n = 0;
    int rc = 0;
    while (p < len && rc == 0) {
        while (p < len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) p++;
        size_t b = p;
        while (p < len && !(s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) p++;
        if (p == b) continue;
        int64_t id = xl_w2v_words_find(&v->words, s + b, p - b);
        if (id < 0 && lowercase_fallback) {
            if (p - b > low_cap) {
                char *nl = xl_realloc(low == small ? NULL : low, p - b, 1, err);
                if (!nl) {
                    rc = -1;
                    break;
                }
                low = nl;
                low_cap = p - b;
            }
            for (size_t k = 0; k < p - b; k++)
                low[k] = (s[b + k] >= 'A' && s[b + k] <= 'Z') ? (char)(s[b + k] - 'A' + 'a') : s[b + k];
            id = xl_w2v_words_find(&v->words, low, p - b);
        }
        int32_t *grown = xl_array_reserve(*ids, cap, *n + 1, 16, err);
        if (!grown) {
            rc = -1;
            break;
        }
        *ids = grown;
        grown[(*n)++] = id < 0 || id > INT32_MAX ? -1 : (int32_t)id;
    }
    if (low != small) free(low);
    return rc;
}

typedef struct {
    const xl_w2v_vectors *v;
    const float *weights;
    const int32_t *const *ids;
    const size_t *lens;
    float *out;
    bool *nonempty;
} pool_ctx;

/* Rows [begin, end): each row depends only on its own ids, so any split of
 * the rows over threads gives the same bits. */
static void pool_rows(void *arg, size_t begin, size_t end, int tid)
{
    (void)tid;
    const pool_ctx *c = arg;
    size_t dim = c->v->dim;
    for (size_t i = begin; i < end; i++) {
        float *o = c->out + i * dim;
        memset(o, 0, dim * sizeof *o);
        size_t count = 0;
        for (size_t t = 0; t < c->lens[i]; t++) {
            int32_t id = c->ids[i][t];
            if (id < 0) continue;
            xl_w2v_axpy(c->weights ? c->weights[id] : 1.0f, xl_w2v_row(c->v, (size_t)id), o, dim);
            count++;
        }
        c->nonempty[i] = count > 0;
        if (count == 0) continue;
        float inv = 1.0f / (float)count;
        for (size_t j = 0; j < dim; j++) o[j] *= inv;
    }
}

int xl_sentvec_embed_ids(const xl_w2v_vectors *v, const float *weights, const int32_t *const *ids, const size_t *lens,
                      size_t n, const xl_sentvec_options *opt, float *out, double *pc_out, size_t *n_empty, xl_error *err)
{
    size_t dim = v->dim, empty = 0;
    bool sif = opt->pooling == SENTVEC_SIF;
    if (sif && !weights) return xl_fail(err, XL_ERR_USAGE, "SIF pooling needs weights (xl_sentvec_sif_weights)");
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < lens[i]; t++)
            if (ids[i][t] >= 0 && (size_t)ids[i][t] >= v->n_words)
                return xl_fail(err, XL_ERR_USAGE, "sentvec: row %zu: word id %ld out of range (%zu words)", i,
                               (long)ids[i][t], v->n_words);
    bool *nonempty = xl_calloc(n ? n : 1, sizeof *nonempty, err);
    if (!nonempty) return -1;
    pool_ctx c = {v, sif ? weights : NULL, ids, lens, out, nonempty};
    xl_pool_run(opt->pool, xl_resolve_threads(opt->threads), n, pool_rows, &c);
    for (size_t i = 0; i < n; i++) empty += !nonempty[i];
    int rc = 0;
    if (sif && opt->remove_pc) {
        double *u = xl_malloc(dim * sizeof *u, err);
        if (!u) {
            free(nonempty);
            return -1;
        }
        if (opt->pc) {
            memcpy(u, opt->pc, dim * sizeof *u);
        } else {
            rc = xl_align_top_singular_vector(out, n, dim, u, err); /* empty rows are zero: no effect */
        }
        if (rc == 0) {
            for (size_t i = 0; i < n; i++) {
                if (!nonempty[i]) continue;
                float *o = out + i * dim;
                double d = 0;
                for (size_t j = 0; j < dim; j++) d += u[j] * o[j];
                for (size_t j = 0; j < dim; j++) o[j] = (float)(o[j] - d * u[j]);
            }
            if (pc_out) memcpy(pc_out, u, dim * sizeof *u);
        }
        free(u);
    } else if (pc_out) {
        memset(pc_out, 0, dim * sizeof *pc_out);
    }
    if (rc == 0 && opt->normalize)
        for (size_t i = 0; i < n; i++) {
            float *o = out + i * dim;
            double s = 0;
            for (size_t j = 0; j < dim; j++) s += (double)o[j] * o[j];
            if (s > 0)
                for (size_t j = 0; j < dim; j++) o[j] = (float)(o[j] / sqrt(s));
        }
    free(nonempty);
    if (n_empty) *n_empty = empty;
    return rc;
}

int xl_sentvec_embed_lines(const xl_w2v_vectors *v, const float *weights, const char *const *lines, const size_t *lens,
                        size_t n, const xl_sentvec_options *opt, float *out, double *pc_out, size_t *n_empty,
                        xl_error *err)
{
    int32_t **ids = xl_calloc(n ? n : 1, sizeof *ids, err);
    size_t *n_ids = xl_calloc(n ? n : 1, sizeof *n_ids, err);
    int rc = ids && n_ids ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t cap = 0;
        rc = xl_sentvec_lookup(v, lines[i], lens[i], opt->lowercase_fallback, &ids[i], &n_ids[i], &cap, err);
    }
    if (rc == 0) rc = xl_sentvec_embed_ids(v, weights, (const int32_t *const *)ids, n_ids, n, opt, out, pc_out, n_empty, err);
    for (size_t i = 0; ids && i < n; i++) free(ids[i]);
    free(ids);
    free(n_ids);
    return rc;
}

int xl_sentvec_preprocess(const char *s, size_t len, xl_buf *out, xl_error *err)
{
    xl_text_options o;
    memset(&o, 0, sizeof o);
    o.form = XL_NORM_NFKC;
    o.casefold = true;
    o.strip_punct = true;
    o.strip_digits = true;
    xl_buf tmp;
    xl_buf_init(&tmp);
    int rc = xl_text_preprocess(s, len, &o, &tmp, err);
    if (rc == 0) rc = xl_text_segment(tmp.data ? tmp.data : "", tmp.len, XL_SEG_CHAR, NULL, out, err);
    xl_buf_free(&tmp);
    return rc;
}
