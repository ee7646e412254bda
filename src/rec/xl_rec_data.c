/* xl_rec_data.c - see xl_rec_data.h (in-memory parts; file loaders are in
 * xl_rec_load.c). */
#include "xl_rec_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"

void xl_interactions_init(xl_interactions *x)
{
    memset(x, 0, sizeof *x);
}

void xl_interactions_free(xl_interactions *x)
{
    free(x->user);
    free(x->item);
    free(x->rating);
    free(x->time);
    memset(x, 0, sizeof *x);
}

int xl_interactions_push(xl_interactions *x, uint32_t user, uint32_t item, float rating, int64_t time, xl_error *err)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 1024;
        uint32_t *u = xl_realloc(x->user, cap, sizeof *u, err);
        if (!u) return -1;
        x->user = u;
        uint32_t *i = xl_realloc(x->item, cap, sizeof *i, err);
        if (!i) return -1;
        x->item = i;
        float *r = xl_realloc(x->rating, cap, sizeof *r, err);
        if (!r) return -1;
        x->rating = r;
        int64_t *t = xl_realloc(x->time, cap, sizeof *t, err);
        if (!t) return -1;
        x->time = t;
        x->cap = cap;
    }
    x->user[x->n] = user;
    x->item[x->n] = item;
    x->rating[x->n] = rating;
    x->time[x->n] = time;
    x->n++;
    return 0;
}

/* ---------------------------------------------------------------- CSR */

void xl_csr_free(xl_csr *m)
{
    free(m->ptr);
    free(m->idx);
    free(m->val);
    free(m->time);
    memset(m, 0, sizeof *m);
}

static int csr_alloc(xl_csr *m, uint32_t rows, uint32_t cols, size_t nnz, xl_error *err)
{
    memset(m, 0, sizeof *m);
    m->n_rows = rows;
    m->n_cols = cols;
    m->nnz = nnz;
    m->ptr = xl_calloc((size_t)rows + 1, sizeof *m->ptr, err);
    m->idx = xl_malloc(nnz ? nnz * sizeof *m->idx : 1, err);
    m->val = xl_malloc(nnz ? nnz * sizeof *m->val : 1, err);
    m->time = xl_malloc(nnz ? nnz * sizeof *m->time : 1, err);
    if (!m->ptr || !m->idx || !m->val || !m->time) {
        xl_csr_free(m);
        return -1;
    }
    return 0;
}

/* Two stable counting sorts (by column, then by row) give rows whose columns
 * are ascending, in O(nnz + rows + cols). */
int xl_csr_build(xl_csr *m, const xl_interactions *x, const size_t *subset, size_t n_subset, uint32_t n_users,
                 uint32_t n_items, bool by_item, xl_error *err)
{
    size_t n = subset ? n_subset : x->n;
    uint32_t rows = by_item ? n_items : n_users, cols = by_item ? n_users : n_items;
    const uint32_t *row_of = by_item ? x->item : x->user, *col_of = by_item ? x->user : x->item;
    for (size_t k = 0; k < n; k++) {
        size_t e = subset ? subset[k] : k;
        if (e >= x->n || row_of[e] >= rows || col_of[e] >= cols)
            return xl_fail(err, XL_ERR_USAGE, "csr: interaction %zu out of range", e);
    }
    if (csr_alloc(m, rows, cols, n, err) < 0) return -1;
    size_t *col_ptr = xl_calloc((size_t)cols + 1, sizeof *col_ptr, err);
    size_t *by_col = xl_malloc(n ? n * sizeof *by_col : 1, err);
    if (!col_ptr || !by_col) {
        free(col_ptr);
        free(by_col);
        xl_csr_free(m);
        return -1;
    }
    for (size_t k = 0; k < n; k++) col_ptr[col_of[subset ? subset[k] : k] + 1]++;
    for (uint32_t c = 0; c < cols; c++) col_ptr[c + 1] += col_ptr[c];
    for (size_t k = 0; k < n; k++) {
        size_t e = subset ? subset[k] : k;
        by_col[col_ptr[col_of[e]]++] = e;
    }
    for (size_t k = 0; k < n; k++) m->ptr[row_of[by_col[k]] + 1]++;
    for (uint32_t r = 0; r < rows; r++) m->ptr[r + 1] += m->ptr[r];
    size_t *fill = col_ptr; /* reuse: rows+1 may exceed cols+1, so reallocate */
    free(fill);
    fill = xl_malloc(((size_t)rows + 1) * sizeof *fill, err);
    if (!fill) {
        free(by_col);
        xl_csr_free(m);
        return -1;
    }
    memcpy(fill, m->ptr, ((size_t)rows + 1) * sizeof *fill);
    for (size_t k = 0; k < n; k++) {
        size_t e = by_col[k];
        size_t pos = fill[row_of[e]]++;
        m->idx[pos] = col_of[e];
        m->val[pos] = x->rating[e];
        m->time[pos] = x->time[e];
    }
    free(fill);
    free(by_col);
    return 0;
}

int xl_csr_transpose(const xl_csr *m, xl_csr *t, xl_error *err)
{
    if (csr_alloc(t, m->n_cols, m->n_rows, m->nnz, err) < 0) return -1;
    for (size_t k = 0; k < m->nnz; k++) t->ptr[m->idx[k] + 1]++;
    for (uint32_t r = 0; r < t->n_rows; r++) t->ptr[r + 1] += t->ptr[r];
    size_t *fill = xl_malloc(((size_t)t->n_rows + 1) * sizeof *fill, err);
    if (!fill) {
        xl_csr_free(t);
        return -1;
    }
    memcpy(fill, t->ptr, ((size_t)t->n_rows + 1) * sizeof *fill);
    for (uint32_t r = 0; r < m->n_rows; r++)
        for (size_t k = m->ptr[r]; k < m->ptr[r + 1]; k++) {
            size_t pos = fill[m->idx[k]]++;
            t->idx[pos] = r;
            t->val[pos] = m->val[k];
            t->time[pos] = m->time[k];
        }
    free(fill);
    return 0;
}

bool xl_csr_has(const xl_csr *m, uint32_t r, uint32_t c)
{
    if (r >= m->n_rows) return false;
    size_t lo = m->ptr[r], hi = m->ptr[r + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->idx[mid] < c) lo = mid + 1;
        else if (m->idx[mid] > c) hi = mid;
        else return true;
    }
    return false;
}

/* ---------------------------------------------------------------- dataset */

void xl_rec_load_options_default(xl_rec_load_options *o)
{
    memset(o, 0, sizeof *o);
    o->separator = XL_REC_SEP_AUTO;
    o->user_col = "0";
    o->item_col = "1";
    o->rating_min = -XL_RATING_ABS_MAX;
    o->rating_max = XL_RATING_ABS_MAX;
    o->range_policy = XL_RATING_REJECT;
    o->item_separator = XL_REC_SEP_AUTO;
    o->item_id_col = "0";
}

void xl_rec_dataset_init(xl_rec_dataset *d)
{
    memset(d, 0, sizeof *d);
    xl_interactions_init(&d->x);
    xl_idmap_init(&d->users);
    xl_idmap_init(&d->items);
}

void xl_rec_dataset_free(xl_rec_dataset *d)
{
    xl_interactions_free(&d->x);
    if (d->item_text)
        for (uint32_t i = 0; i < d->n_items; i++) free(d->item_text[i]);
    if (d->item_lang)
        for (uint32_t i = 0; i < d->n_items; i++) free(d->item_lang[i]);
    free(d->item_text);
    free(d->item_lang);
    xl_idmap_free(&d->users);
    xl_idmap_free(&d->items);
    memset(d, 0, sizeof *d);
}

/* Sort order for dedupe: (user, item, time, position). */
static int cmp_pair(const void *a, const void *b, const xl_interactions *x)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (x->user[i] != x->user[j]) return x->user[i] < x->user[j] ? -1 : 1;
    if (x->item[i] != x->item[j]) return x->item[i] < x->item[j] ? -1 : 1;
    if (x->time[i] != x->time[j]) return x->time[i] < x->time[j] ? -1 : 1;
    return i < j ? -1 : (i > j);
}

/* qsort has no context argument in C11: a merge sort with one. */
static void merge_sort_idx(size_t *a, size_t *tmp, size_t n, const xl_interactions *x)
{
    if (n < 2) return;
    size_t h = n / 2;
    merge_sort_idx(a, tmp, h, x);
    merge_sort_idx(a + h, tmp, n - h, x);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp_pair(&a[j], &a[i], x) < 0 ? a[j++] : a[i++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

size_t xl_rec_dedupe(xl_interactions *x, uint32_t n_users, xl_error *err)
{
    (void)n_users;
    if (x->n < 2) return 0;
    size_t *order = xl_malloc(x->n * sizeof *order, err);
    size_t *tmp = xl_malloc(x->n * sizeof *tmp, err);
    unsigned char *drop = xl_calloc(x->n, 1, err);
    if (!order || !tmp || !drop) {
        free(order);
        free(tmp);
        free(drop);
        return (size_t)-1;
    }
    for (size_t i = 0; i < x->n; i++) order[i] = i;
    merge_sort_idx(order, tmp, x->n, x);
    size_t removed = 0;
    for (size_t k = 0; k + 1 < x->n; k++) {
        size_t a = order[k], b = order[k + 1];
        if (x->user[a] == x->user[b] && x->item[a] == x->item[b]) {
            drop[a] = 1; /* the later one (b) sorts after a and wins */
            removed++;
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < x->n; i++) {
        if (drop[i]) continue;
        x->user[w] = x->user[i];
        x->item[w] = x->item[i];
        x->rating[w] = x->rating[i];
        x->time[w] = x->time[i];
        w++;
    }
    x->n = w;
    free(order);
    free(tmp);
    free(drop);
    return removed;
}

int xl_rec_report_text(const xl_rec_load_report *r, char *buf, size_t cap)
{
    return snprintf(buf, cap,
                    "%llu rows read, %llu kept (%llu rating clamped into range, line %llu); dropped: %llu unknown "
                    "item (first line %llu), %llu bad number "
                    "(line %llu), %llu rating out of range (line %llu), %llu duplicate (user,item) replaced by a "
                    "later row (line %llu), %llu empty id (line %llu), %llu short row (line %llu); items file: %llu "
                    "rows, %llu duplicate ids ignored, %llu without text",
                    (unsigned long long)r->rows, (unsigned long long)r->kept, (unsigned long long)r->clamped,
                    (unsigned long long)r->first_clamped, (unsigned long long)r->unknown_item,
                    (unsigned long long)r->first_line[0], (unsigned long long)r->bad_rating,
                    (unsigned long long)r->first_line[1], (unsigned long long)r->out_of_range,
                    (unsigned long long)r->first_line[2], (unsigned long long)r->duplicates,
                    (unsigned long long)r->first_line[3], (unsigned long long)r->empty_id,
                    (unsigned long long)r->first_line[4], (unsigned long long)r->short_rows,
                    (unsigned long long)r->first_line[5], (unsigned long long)r->item_rows,
                    (unsigned long long)r->item_duplicates, (unsigned long long)r->items_without_text);
}

/* ---------------------------------------------------------------- vectors */

void xl_item_vectors_free(xl_item_vectors *iv)
{
    xl_aligned_free(iv->v);
    memset(iv, 0, sizeof *iv);
}

int xl_item_vectors_from(xl_item_vectors *iv, const float *data, size_t n, size_t dim, const char *name,
                         xl_error *err)
{
    memset(iv, 0, sizeof *iv);
    size_t count, bytes;
    if (dim == 0) return xl_fail(err, XL_ERR_FORMAT, "%s: vectors have dimension 0", name);
    if (!xl_mul_size(n, dim, &count) || !xl_mul_size(count, sizeof(float), &bytes))
        return xl_fail(err, XL_ERR_LIMIT, "%s: %zu x %zu vectors overflow", name, n, dim);
    iv->v = xl_aligned_alloc(bytes ? bytes : 64, err);
    if (!iv->v) return -1;
    iv->n = n;
    iv->dim = dim;
    for (size_t r = 0; r < n; r++) {
        const float *src = data + r * dim;
        float *dst = iv->v + r * dim;
        double ss = 0;
        for (size_t j = 0; j < dim; j++) {
            if (!isfinite(src[j])) {
                xl_item_vectors_free(iv);
                return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu (item %zu) column %zu is %s", name, r, r, j,
                               isnan(src[j]) ? "NaN" : "infinite");
            }
            ss += (double)src[j] * src[j];
        }
        float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
        for (size_t j = 0; j < dim; j++) dst[j] = src[j] * inv;
    }
    return 0;
}

int xl_item_vectors_center(xl_item_vectors *iv, xl_error *err)
{
    size_t n = iv->n, dim = iv->dim;
    if (!iv->v || !n || !dim) return 0;
    double *mu = xl_calloc(dim, sizeof *mu, err);
    unsigned char *nonzero = xl_calloc(n, 1, err);
    if (!mu || !nonzero) {
        free(mu);
        free(nonzero);
        return -1;
    }
    size_t used = 0;
    for (size_t r = 0; r < n; r++) { /* mu = mean of the non-zero rows, rows in order */
        const float *row = iv->v + r * dim;
        for (size_t j = 0; j < dim && !nonzero[r]; j++) nonzero[r] = row[j] != 0.0f;
        if (!nonzero[r]) continue;
        used++;
        for (size_t j = 0; j < dim; j++) mu[j] += row[j];
    }
    for (size_t j = 0; j < dim && used; j++) mu[j] /= (double)used;
    for (size_t r = 0; r < n && used; r++) {
        if (!nonzero[r]) continue;
        float *row = iv->v + r * dim;
        double ss = 0;
        for (size_t j = 0; j < dim; j++) {
            double x = row[j] - mu[j];
            ss += x * x;
        }
        double inv = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
        for (size_t j = 0; j < dim; j++) row[j] = (float)((row[j] - mu[j]) * inv);
    }
    free(mu);
    free(nonzero);
    return (int)(used > INT32_MAX ? INT32_MAX : used);
}

static int is_word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

int xl_item_vectors_hashed_tfidf(xl_item_vectors *iv, char *const *texts, size_t n, size_t dim, xl_error *err)
{
    memset(iv, 0, sizeof *iv);
    size_t count, bytes;
    if (dim == 0) return xl_fail(err, XL_ERR_USAGE, "hashed tf-idf: dimension 0");
    if (!xl_mul_size(n, dim, &count) || !xl_mul_size(count, sizeof(float), &bytes))
        return xl_fail(err, XL_ERR_LIMIT, "hashed tf-idf: %zu x %zu overflow", n, dim);
    float *tf = xl_aligned_alloc(bytes ? bytes : 64, err);
    uint32_t *df = xl_calloc(dim, sizeof *df, err);
    if (!tf || !df) {
        xl_aligned_free(tf);
        free(df);
        return -1;
    }
    memset(tf, 0, bytes);
    char token[256];
    for (size_t r = 0; r < n; r++) {
        const char *s = texts && texts[r] ? texts[r] : "";
        float *row = tf + r * dim;
        size_t i = 0, len = strlen(s);
        while (i < len) {
            while (i < len && !is_word_byte((unsigned char)s[i])) i++;
            size_t t = 0;
            while (i < len && is_word_byte((unsigned char)s[i])) {
                char c = s[i++];
                if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
                if (t < sizeof token) token[t++] = c;
            }
            if (!t) continue;
            uint64_t h = xl_fnv1a64(token, t);
            size_t f = (size_t)((h >> 1) % dim);
            row[f] += (h & 1) ? -1.0f : 1.0f;
        }
        for (size_t f = 0; f < dim; f++)
            if (row[f] != 0.0f) df[f]++;
    }
    for (size_t r = 0; r < n; r++) {
        float *row = tf + r * dim;
        double ss = 0;
        for (size_t f = 0; f < dim; f++) {
            if (row[f] == 0.0f) continue;
            row[f] *= (float)(log((1.0 + (double)n) / (1.0 + df[f])) + 1.0);
            ss += (double)row[f] * row[f];
        }
        float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
        for (size_t f = 0; f < dim; f++) row[f] *= inv;
    }
    free(df);
    iv->v = tf;
    iv->n = n;
    iv->dim = dim;
    return 0;
}
