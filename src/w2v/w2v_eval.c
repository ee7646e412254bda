/* w2v_eval.c - see w2v_eval.h */
#include "w2v_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_thread.h"
#include "xl_topk.h"

#define CA_MAX_W 50 /* compute-accuracy's max_w */
#define QBLOCK 16

size_t xl_w2v_nearest(const xl_w2v_vectors *unit, const float *query, size_t k, const int64_t *exclude, size_t n_exclude,
                   int64_t *ids, float *scores)
{
    if (k == 0) return 0;
    double qn = 0;
    for (size_t j = 0; j < unit->dim; j++) qn += (double)query[j] * query[j];
    float inv = qn > 0 ? (float)(1.0 / sqrt(qn)) : 0.0f;
    size_t n = 0;
    for (size_t i = 0; i < unit->n_words; i++) {
        bool skip = false;
        for (size_t e = 0; e < n_exclude; e++)
            if (exclude[e] == (int64_t)i) skip = true;
        if (skip) continue;
        float s = xl_w2v_dot(query, xl_w2v_row(unit, i), unit->dim) * inv;
        xl_topk_insert(scores, ids, &n, k, s, (int64_t)i);
    }
    return n;
}

void xl_w2v_analogy_result_free(xl_w2v_analogy_result *r)
{
    if (!r) return;
    free(r->sections);
    memset(r, 0, sizeof *r);
}

typedef struct {
    uint32_t w[4];  /* candidate rows (first match of the key) */
    uint32_t section;
    int correct;
} question;

typedef struct {
    const float *unit; /* [n][dim] */
    const uint32_t *key_of; /* row -> canonical row with the same key */
    size_t n, dim;
    question *q;
    size_t nq;
} analogy_ctx;

static void analogy_range(void *vctx, size_t begin, size_t end, int tid)
{
    (void)tid;
    analogy_ctx *c = vctx;
    size_t dim = c->dim;
    float vec[QBLOCK][512];
    float *heap = NULL;
    float *vecs = &vec[0][0];
    size_t stride = 512;
    if (dim > 512) {
        heap = xl_malloc(QBLOCK * dim * sizeof(float), NULL);
        if (!heap) return; /* questions stay incorrect; caller checks nothing else */
        vecs = heap;
        stride = dim;
    }
    for (size_t b0 = begin; b0 < end; b0 += QBLOCK) {
        size_t nb = end - b0 < QBLOCK ? end - b0 : QBLOCK;
        float best[QBLOCK];
        int64_t besti[QBLOCK];
        for (size_t qi = 0; qi < nb; qi++) {
            const question *q = &c->q[b0 + qi];
            const float *a = c->unit + (size_t)q->w[0] * dim, *b = c->unit + (size_t)q->w[1] * dim,
                        *cc = c->unit + (size_t)q->w[2] * dim;
            float *v = vecs + qi * stride;
            for (size_t j = 0; j < dim; j++) v[j] = b[j] - a[j] + cc[j];
            best[qi] = 0;
            besti[qi] = -1;
        }
        for (size_t r = 0; r < c->n; r++) {
            const float *row = c->unit + r * dim;
            for (size_t qi = 0; qi < nb; qi++) {
                float d = xl_w2v_dot(vecs + qi * stride, row, dim);
                if (d > best[qi]) {
                    const question *q = &c->q[b0 + qi];
                    if (r == q->w[0] || r == q->w[1] || r == q->w[2]) continue;
                    best[qi] = d;
                    besti[qi] = (int64_t)r;
                }
            }
        }
        for (size_t qi = 0; qi < nb; qi++) {
            question *q = &c->q[b0 + qi];
            q->correct = besti[qi] >= 0 && c->key_of[besti[qi]] == c->key_of[q->w[3]];
        }
    }
    free(heap);
}

/* compute-accuracy's key: upper-case ASCII, at most 50 bytes */
static size_t make_key(const char *w, size_t len, bool exact, char *out)
{
    if (exact) {
        memcpy(out, w, len);
        return len;
    }
    if (len > CA_MAX_W) len = CA_MAX_W;
    for (size_t i = 0; i < len; i++) out[i] = (w[i] >= 'a' && w[i] <= 'z') ? (char)(w[i] - 'a' + 'A') : w[i];
    return len;
}

int xl_w2v_analogy_eval(const xl_w2v_vectors *v, const char *questions_path, const xl_w2v_analogy_options *opt,
                     xl_w2v_analogy_result *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = v->n_words;
    if (opt->restrict_vocab > 0 && opt->restrict_vocab < n) n = opt->restrict_vocab;
    size_t dim = v->dim;
    size_t n_sem = opt->n_semantic ? opt->n_semantic : 5;
    int rc = -1;
    float *unit = NULL;
    uint32_t *key_of = NULL, *row_of_key = NULL;
    question *qs = NULL;
    size_t nq = 0, qcap = 0;
    xl_w2v_words keys;
    xl_w2v_words_init(&keys);
    xl_buf kb;
    xl_buf_init(&kb);
    xl_lines lines;
    bool lines_open = false;
    size_t bytes;
    if (!xl_mul_size(n, dim, &bytes) || !xl_mul_size(bytes, sizeof(float), &bytes)) {
        xl_fail(err, XL_ERR_NOMEM, "analogy: vectors too large");
        goto done;
    }
    unit = xl_aligned_alloc(bytes ? bytes : 64, err);
    key_of = xl_malloc((n ? n : 1) * sizeof *key_of, err);
    if (!unit || !key_of) goto done;
    memcpy(unit, v->data, bytes);
    row_of_key = xl_malloc((n ? n : 1) * sizeof *row_of_key, err);
    if (!row_of_key) goto done;
    for (size_t i = 0; i < n; i++) {
        float *r = unit + i * dim;
        double s = 0;
        for (size_t j = 0; j < dim; j++) s += (double)r[j] * r[j];
        if (s > 0)
            for (size_t j = 0; j < dim; j++) r[j] = (float)(r[j] / sqrt(s));
        size_t wl = v->words.word_len[i];
        if (xl_buf_reserve(&kb, wl, err) < 0) goto done;
        size_t kl = make_key(xl_w2v_words_get(&v->words, i), wl, opt->exact_case, kb.data);
        bool added;
        int64_t id = xl_w2v_words_intern(&keys, kb.data, kl, &added, err);
        if (id < 0) goto done;
        if (added) row_of_key[id] = (uint32_t)i; /* first row with this key wins */
        key_of[i] = row_of_key[id];
    }
    if (xl_lines_open(&lines, questions_path, err) < 0) goto done;
    lines_open = true;
    const char *line;
    size_t len;
    int lrc;
    while ((lrc = xl_lines_next(&lines, &line, &len, err)) > 0) {
        size_t p = 0;
        while (p < len && (line[p] == ' ' || line[p] == '\t')) p++;
        if (p == len) continue;
        if (line[p] == ':') {
            xl_w2v_analogy_section *s = xl_realloc(out->sections, out->n_sections + 1, sizeof *s, err);
            if (!s) goto done;
            out->sections = s;
            xl_w2v_analogy_section *sec = &out->sections[out->n_sections++];
            memset(sec, 0, sizeof *sec);
            p++;
            while (p < len && line[p] == ' ') p++;
            size_t nl = len - p < sizeof sec->name - 1 ? len - p : sizeof sec->name - 1;
            memcpy(sec->name, line + p, nl);
            continue;
        }
        if (out->n_sections == 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: question before the first ': section' line", questions_path,
                    (unsigned long long)lines.lineno);
            goto done;
        }
        int64_t w[4];
        int nw = 0;
        while (p < len) {
            size_t e = p;
            while (e < len && line[e] != ' ' && line[e] != '\t') e++;
            if (nw == 4) {
                nw = 5;
                break;
            }
            if (xl_buf_reserve(&kb, e - p, err) < 0) goto done;
            size_t kl = make_key(line + p, e - p, opt->exact_case, kb.data);
            int64_t id = xl_w2v_words_find(&keys, kb.data, kl);
            w[nw++] = id;
            p = e;
            while (p < len && (line[p] == ' ' || line[p] == '\t')) p++;
        }
        if (nw != 4) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected 4 words per question", questions_path,
                    (unsigned long long)lines.lineno);
            goto done;
        }
        xl_w2v_analogy_section *sec = &out->sections[out->n_sections - 1];
        sec->questions++;
        out->questions++;
        if (w[0] < 0 || w[1] < 0 || w[2] < 0 || w[3] < 0) continue;
        question *nqs = xl_array_reserve(qs, &qcap, nq + 1, 1024, err);
        if (!nqs) goto done;
        qs = nqs;
        question *q = &qs[nq++];
        q->section = (uint32_t)(out->n_sections - 1);
        q->correct = 0;
        for (int k = 0; k < 4; k++) q->w[k] = row_of_key[w[k]];
    }
    if (lrc < 0) goto done;
    analogy_ctx ctx = {unit, key_of, n, dim, qs, nq};
    xl_parallel_for(xl_resolve_threads(opt->threads), nq, analogy_range, &ctx);
    for (size_t i = 0; i < nq; i++) {
        xl_w2v_analogy_section *sec = &out->sections[qs[i].section];
        bool sem = qs[i].section < n_sem;
        sec->seen++;
        out->seen++;
        if (sem) out->semantic_seen++;
        else out->syntactic_seen++;
        if (qs[i].correct) {
            sec->correct++;
            out->correct++;
            if (sem) out->semantic_correct++;
            else out->syntactic_correct++;
        }
    }
    rc = 0;
done:
    if (lines_open) xl_lines_close(&lines);
    xl_buf_free(&kb);
    xl_w2v_words_free(&keys);
    xl_aligned_free(unit);
    free(key_of);
    free(row_of_key);
    free(qs);
    if (rc < 0) xl_w2v_analogy_result_free(out);
    return rc;
}
