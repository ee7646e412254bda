/* w2v_vectors.c - see w2v_vectors.h */
#include "w2v_vectors.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_io.h"
#include "xl_parse.h"
#include "xl_platform.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define W2V_SSE2 1
#endif
#if defined(__AVX__) && defined(__FMA__)
#include <immintrin.h>
#define W2V_AVX_FMA 1
#endif

/* ---- dense helpers ------------------------------------------------------- */
float xl_w2v_dot(const float *a, const float *b, size_t n)
{
    size_t i = 0;
#if defined(W2V_AVX_FMA)
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    s0 = _mm256_add_ps(s0, s1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
    for (; i + 4 <= n; i += 4) s = _mm_add_ps(s, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    float r = _mm_cvtss_f32(s);
#elif defined(W2V_SSE2)
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps(), s2 = _mm_setzero_ps(), s3 = _mm_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
        s1 = _mm_add_ps(s1, _mm_mul_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4)));
        s2 = _mm_add_ps(s2, _mm_mul_ps(_mm_loadu_ps(a + i + 8), _mm_loadu_ps(b + i + 8)));
        s3 = _mm_add_ps(s3, _mm_mul_ps(_mm_loadu_ps(a + i + 12), _mm_loadu_ps(b + i + 12)));
    }
    for (; i + 4 <= n; i += 4) s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
    __m128 s = _mm_add_ps(_mm_add_ps(s0, s1), _mm_add_ps(s2, s3));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    float r = _mm_cvtss_f32(s);
#else
    float p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    for (; i + 4 <= n; i += 4) {
        p0 += a[i] * b[i];
        p1 += a[i + 1] * b[i + 1];
        p2 += a[i + 2] * b[i + 2];
        p3 += a[i + 3] * b[i + 3];
    }
    float r = (p0 + p1) + (p2 + p3);
#endif
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

void xl_w2v_axpy(float alpha, const float *x, float *y, size_t n)
{
    size_t i = 0;
#if defined(W2V_AVX_FMA)
    __m256 a8 = _mm256_set1_ps(alpha);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a8, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
#endif
#if defined(W2V_SSE2)
    __m128 a4 = _mm_set1_ps(alpha);
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_add_ps(_mm_loadu_ps(y + i), _mm_mul_ps(a4, _mm_loadu_ps(x + i))));
#endif
    for (; i < n; i++) y[i] += alpha * x[i];
}

/* ---- word table ---------------------------------------------------------- */
void xl_w2v_words_init(xl_w2v_words *w) { memset(w, 0, sizeof *w); }

void xl_w2v_words_free(xl_w2v_words *w)
{
    free(w->arena);
    free(w->offset);
    free(w->word_len);
    free(w->slots);
    memset(w, 0, sizeof *w);
}

int64_t xl_w2v_words_find(const xl_w2v_words *w, const char *s, size_t len)
{
    if (w->n_slots == 0) return -1;
    size_t mask = w->n_slots - 1;
    for (size_t i = (size_t)xl_fnv1a64(s, len) & mask;; i = (i + 1) & mask) {
        int64_t id = w->slots[i];
        if (id < 0) return -1;
        if (w->word_len[id] == len && memcmp(w->arena + w->offset[id], s, len) == 0) return id;
    }
}

static int rehash(xl_w2v_words *w, size_t n_slots, xl_error *err)
{
    int64_t *slots = xl_malloc(n_slots * sizeof *slots, err);
    if (!slots) return -1;
    for (size_t i = 0; i < n_slots; i++) slots[i] = -1;
    size_t mask = n_slots - 1;
    for (size_t id = 0; id < w->n; id++) {
        size_t i = (size_t)xl_fnv1a64(w->arena + w->offset[id], w->word_len[id]) & mask;
        while (slots[i] >= 0) i = (i + 1) & mask;
        slots[i] = (int64_t)id;
    }
    free(w->slots);
    w->slots = slots;
    w->n_slots = n_slots;
    return 0;
}

int64_t xl_w2v_words_add(xl_w2v_words *w, const char *s, size_t len, xl_error *err)
{
    if (len > UINT32_MAX) return xl_fail(err, XL_ERR_LIMIT, "word of %zu bytes is longer than 4 GiB", len);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        size_t *off = xl_realloc(w->offset, cap, sizeof *off, err);
        if (!off) return -1;
        w->offset = off;
        uint32_t *wl = xl_realloc(w->word_len, cap, sizeof *wl, err);
        if (!wl) return -1;
        w->word_len = wl;
        w->cap = cap;
    }
    size_t need;
    if (!xl_add_size(w->arena_len, len + 1, &need)) return xl_fail(err, XL_ERR_NOMEM, "word table too large");
    if (need > w->arena_cap) {
        size_t cap = w->arena_cap ? w->arena_cap : 4096;
        while (cap < need) cap *= 2;
        char *a = xl_realloc(w->arena, cap, 1, err);
        if (!a) return -1;
        w->arena = a;
        w->arena_cap = cap;
    }
    if ((w->n + 1) * 2 > w->n_slots && rehash(w, w->n_slots ? w->n_slots * 2 : 2048, err) < 0) return -1;
    memcpy(w->arena + w->arena_len, s, len);
    w->arena[w->arena_len + len] = '\0';
    w->offset[w->n] = w->arena_len;
    w->word_len[w->n] = (uint32_t)len;
    w->arena_len = need;
    size_t mask = w->n_slots - 1;
    size_t i = (size_t)xl_fnv1a64(s, len) & mask;
    while (w->slots[i] >= 0) i = (i + 1) & mask;
    w->slots[i] = (int64_t)w->n;
    return (int64_t)w->n++;
}

int64_t xl_w2v_words_intern(xl_w2v_words *w, const char *s, size_t len, bool *added, xl_error *err)
{
    int64_t id = xl_w2v_words_find(w, s, len);
    if (added) *added = id < 0;
    if (id >= 0) return id;
    return xl_w2v_words_add(w, s, len, err);
}

/* ---- vectors ------------------------------------------------------------- */
int xl_w2v_vectors_alloc(xl_w2v_vectors *v, size_t n_words, size_t dim, xl_error *err)
{
    memset(v, 0, sizeof *v);
    xl_w2v_words_init(&v->words);
    size_t count, bytes;
    if (!xl_mul_size(n_words, dim, &count) || !xl_mul_size(count, sizeof(float), &bytes))
        return xl_fail(err, XL_ERR_NOMEM, "%zu x %zu vectors: size overflows", n_words, dim);
    v->data = xl_aligned_alloc(bytes ? bytes : 64, err);
    if (!v->data) return -1;
    memset(v->data, 0, bytes);
    v->n_words = n_words;
    v->dim = dim;
    return 0;
}

void xl_w2v_vectors_free(xl_w2v_vectors *v)
{
    if (!v) return;
    xl_aligned_free(v->data);
    xl_w2v_words_free(&v->words);
    memset(v, 0, sizeof *v);
}

int64_t xl_w2v_vectors_find(const xl_w2v_vectors *v, const char *word)
{
    return xl_w2v_words_find(&v->words, word, strlen(word));
}

void xl_w2v_vectors_normalize(xl_w2v_vectors *v)
{
    for (size_t i = 0; i < v->n_words; i++) {
        float *r = xl_w2v_row(v, i);
        double s = 0;
        for (size_t j = 0; j < v->dim; j++) s += (double)r[j] * r[j];
        if (s <= 0) continue;
        float inv = (float)(1.0 / sqrt(s));
        for (size_t j = 0; j < v->dim; j++) r[j] *= inv;
    }
}

/* Reader state over a byte buffer. */
typedef struct {
    const unsigned char *p, *end;
    const char *name;
} cursor;

static int parse_header(cursor *c, size_t *rows, size_t *dim, bool *f16, xl_error *err)
{
    const unsigned char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (!nl) return xl_fail(err, XL_ERR_FORMAT, "%s:1: no header line \"ROWS DIM\"", c->name);
    const unsigned char *q = c->p, *e = nl;
    if (e > q && e[-1] == '\r') e--;
    while (e > q && e[-1] == ' ') e--; /* some writers leave a trailing space */
    *f16 = (size_t)(e - q) > 4 && memcmp(e - 4, " f16", 4) == 0;
    if (*f16) e -= 4;
    const unsigned char *sp = memchr(q, ' ', (size_t)(e - q));
    if (!sp) return xl_fail(err, XL_ERR_FORMAT, "%s:1: header must be \"ROWS DIM\"", c->name);
    uint64_t r, d;
    xl_error e2;
    if (xl_parse_u64((const char *)q, (size_t)(sp - q), &r, &e2) < 0 ||
        xl_parse_u64((const char *)sp + 1, (size_t)(e - sp - 1), &d, &e2) < 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s:1: header must be two counts \"ROWS DIM\": %s", c->name, e2.msg);
    if (d == 0) return xl_fail(err, XL_ERR_FORMAT, "%s:1: dimension 0 in header", c->name);
    if (d > W2V_MAX_DIM)
        return xl_fail(err, XL_ERR_LIMIT, "%s:1: dimension %llu in header above the limit of %zu (W2V_MAX_DIM)", c->name,
                       (unsigned long long)d, W2V_MAX_DIM);
    if (r > SIZE_MAX || d > SIZE_MAX / 4) return xl_fail(err, XL_ERR_LIMIT, "%s:1: header counts too large", c->name);
    *rows = (size_t)r;
    *dim = (size_t)d;
    c->p = nl + 1;
    return 0;
}

/* A word: bytes up to ' '; must be non-empty and hold no '\n' or NUL. */
static int parse_word(cursor *c, size_t row, const char **w, size_t *len, xl_error *err)
{
    const unsigned char *sp = memchr(c->p, ' ', (size_t)(c->end - c->p));
    if (!sp) return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: missing word or values (file cut short?)", c->name, row);
    if (sp == c->p) return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: empty word", c->name, row);
    for (const unsigned char *q = c->p; q < sp; q++)
        if (*q == '\n' || *q == '\0')
            return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: word contains a %s byte (short row before it?)", c->name,
                           row, *q ? "newline" : "NUL");
    *w = (const char *)c->p;
    *len = (size_t)(sp - c->p);
    c->p = sp + 1;
    return 0;
}

static int parse_text_values(cursor *c, size_t row, size_t dim, float *out, xl_error *err)
{
    const unsigned char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    const unsigned char *e = nl ? nl : c->end;
    const unsigned char *q = c->p;
    if (e > q && e[-1] == '\r') e--;
    size_t k = 0;
    for (;;) {
        while (q < e && (*q == ' ' || *q == '\t')) q++;
        if (q == e) break;
        const unsigned char *t = q;
        while (t < e && *t != ' ' && *t != '\t') t++;
        if (k == dim)
            return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: more than %zu values (header dimension)", c->name, row,
                           dim);
        double v;
        xl_error e2;
        if (xl_parse_double((const char *)q, (size_t)(t - q), true, &v, &e2) < 0)
            return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: value %zu: %s", c->name, row, k + 1, e2.msg);
        float f = (float)v;
        if (!isfinite(f))
            return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: value %zu is not finite (NaN/Inf or beyond float range)",
                           c->name, row, k + 1);
        out[k++] = f;
        q = t;
    }
    if (k < dim) return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: %zu values, header says %zu", c->name, row, k, dim);
    c->p = nl ? nl + 1 : c->end;
    return 0;
}

static int parse_f16_values(cursor *c, size_t row, size_t dim, float *out, xl_error *err)
{
    size_t bytes = dim * 2;
    if ((size_t)(c->end - c->p) < bytes)
        return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: file ends inside the %zu float16 values", c->name, row, dim);
    for (size_t j = 0; j < dim; j++) {
        const unsigned char *b = c->p + 2 * j;
        float f = xl_half_to_float((uint16_t)(b[0] | b[1] << 8));
        if (!isfinite(f))
            return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: value %zu is not finite (NaN/Inf)", c->name, row, j + 1);
        out[j] = f;
    }
    c->p += bytes;
    if (c->p < c->end && *c->p == '\n') c->p++;
    return 0;
}

static int parse_binary_values(cursor *c, size_t row, size_t dim, float *out, xl_error *err)
{
    size_t bytes = dim * 4;
    if ((size_t)(c->end - c->p) < bytes)
        return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: file ends inside the %zu float32 values", c->name, row, dim);
    for (size_t j = 0; j < dim; j++) {
        const unsigned char *b = c->p + 4 * j;
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        float f;
        memcpy(&f, &u, 4);
        if (!isfinite(f))
            return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: value %zu is not finite (NaN/Inf)", c->name, row, j + 1);
        out[j] = f;
    }
    c->p += bytes;
    if (c->p < c->end && *c->p == '\n') c->p++; /* word2vec.c writes it; gensim does not */
    return 0;
}

/* GloVe's text file (Pennington et al. 2014, glove.c save_params): no header,
 * "word v1 ... vD" per line; D is taken from the first row. */
static int read_glove_text(cursor c, const char *name, size_t max_words, xl_w2v_vectors *out, xl_error *err)
{
    const unsigned char *nl = memchr(c.p, '\n', (size_t)(c.end - c.p));
    const unsigned char *e = nl ? nl : c.end;
    const unsigned char *sp = memchr(c.p, ' ', (size_t)(e - c.p));
    if (!sp || sp == c.p)
        return xl_fail(err, XL_ERR_FORMAT,
                       "%s:1: neither a word2vec header \"ROWS DIM\" nor a GloVe text row \"word v1 v2 ...\"", name);
    size_t dim = 0;
    for (const unsigned char *q = sp; q < e;) {
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        if (q == e) break;
        dim++;
        while (q < e && *q != ' ' && *q != '\t' && *q != '\r') q++;
    }
    if (dim == 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s:1: no values after the word (not a GloVe text row)", name);
    size_t rows = 0;
    for (const unsigned char *q = c.p; q < c.end;) {
        const unsigned char *n2 = memchr(q, '\n', (size_t)(c.end - q));
        const unsigned char *le = n2 ? n2 : c.end;
        bool blank = true;
        for (const unsigned char *t = q; t < le && blank; t++) blank = (*t == ' ' || *t == '\r');
        if (blank) {
            /* only blank space may follow the last row */
            for (const unsigned char *t = le; t < c.end; t++)
                if (*t != '\n' && *t != '\r' && *t != ' ')
                    return xl_fail(err, XL_ERR_FORMAT, "%s:%zu: empty line inside GloVe text vectors", name, rows + 1);
            break;
        }
        rows++;
        q = n2 ? n2 + 1 : c.end;
    }
    size_t keep = (max_words > 0 && max_words < rows) ? max_words : rows;
    if (xl_w2v_vectors_alloc(out, keep, dim, err) < 0) return -1;
    for (size_t i = 0; i < keep; i++) {
        const char *w;
        size_t wl;
        if (parse_word(&c, i + 1, &w, &wl, err) < 0 || parse_text_values(&c, i + 1, dim, xl_w2v_row(out, i), err) < 0)
            goto fail;
        if (xl_w2v_words_find(&out->words, w, wl) >= 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: duplicate word '%.*s'", name, i + 1, (int)(wl > 200 ? 200 : wl),
                    w);
            goto fail;
        }
        if (xl_w2v_words_add(&out->words, w, wl, err) < 0) goto fail;
    }
    return 0;
fail:
    xl_w2v_vectors_free(out);
    return -1;
}

/* "ROWS DIM[ f16]" as the first line? */
static bool has_w2v_header(const unsigned char *p, const unsigned char *end, const char *name)
{
    cursor probe = {p, end, name};
    size_t rows, dim;
    bool f16;
    xl_error why;
    /* a header of the right shape whose counts are over a limit is still a word2vec header (the
     * reader then refuses it by name), not the first line of a header-less GloVe file */
    return parse_header(&probe, &rows, &dim, &f16, &why) == 0 || why.code == XL_ERR_LIMIT;
}

int xl_w2v_vectors_read_memory(const void *data, size_t len, const char *name, xl_w2v_format format, size_t max_words,
                            xl_w2v_vectors *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    cursor c = {data, (const unsigned char *)data + len, name};
    size_t rows = 0, dim = 0;
    bool f16 = false;
    if (format == W2V_FORMAT_GLOVE_TEXT || (format == W2V_FORMAT_AUTO && !has_w2v_header(c.p, c.end, name)))
        return read_glove_text(c, name, max_words, out, err);
    if (format == W2V_FORMAT_GLOVE_BINARY)
        return xl_fail(err, XL_ERR_USAGE, "%s: GloVe binary vectors need the vocabulary: use xl_w2v_vectors_read", name);
    if (parse_header(&c, &rows, &dim, &f16, err) < 0) return -1;
    if (f16 && format == W2V_FORMAT_AUTO) format = W2V_FORMAT_F16;
    if (f16 != (format == W2V_FORMAT_F16))
        return xl_fail(err, XL_ERR_FORMAT, "%s:1: %s", name,
                       f16 ? "header says f16, but another format was requested"
                           : "f16 format requested, but the header has no \"f16\" tag");
    /* every row needs at least 2 bytes of word+space and, per value, 1 byte
     * (text; a lower bound), 4 (binary) or 2 (f16) */
    size_t remaining = (size_t)(c.end - c.p);
    size_t min_row = format == W2V_FORMAT_BINARY ? 2 + dim * 4 : format == W2V_FORMAT_F16 ? 2 + dim * 2 : 1 + dim;
    if (rows > 0 && rows > remaining / min_row)
        return xl_fail(err, XL_ERR_FORMAT, "%s:1: header claims %zu rows of dimension %zu, but only %zu bytes follow",
                       name, rows, dim, remaining);
    if (format == W2V_FORMAT_AUTO) {
        format = W2V_FORMAT_BINARY;
        if (rows > 0) {
            cursor probe = c;
            const char *w;
            size_t wl;
            float *tmp = xl_malloc(dim * sizeof(float), err);
            if (!tmp) return -1;
            xl_error ignore;
            if (parse_word(&probe, 1, &w, &wl, &ignore) == 0 && parse_text_values(&probe, 1, dim, tmp, &ignore) == 0)
                format = W2V_FORMAT_TEXT;
            free(tmp);
        }
    }
    size_t keep = (max_words > 0 && max_words < rows) ? max_words : rows;
    if (xl_w2v_vectors_alloc(out, keep, dim, err) < 0) return -1;
    for (size_t i = 0; i < keep; i++) {
        const char *w;
        size_t wl;
        if (c.p >= c.end) {
            xl_fail(err, XL_ERR_FORMAT, "%s: header says %zu rows, file has %zu", name, rows, i);
            goto fail;
        }
        if (parse_word(&c, i + 1, &w, &wl, err) < 0) goto fail;
        int rc = format == W2V_FORMAT_TEXT  ? parse_text_values(&c, i + 1, dim, xl_w2v_row(out, i), err)
                 : format == W2V_FORMAT_F16 ? parse_f16_values(&c, i + 1, dim, xl_w2v_row(out, i), err)
                                            : parse_binary_values(&c, i + 1, dim, xl_w2v_row(out, i), err);
        if (rc < 0) goto fail;
        if (xl_w2v_words_find(&out->words, w, wl) >= 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: duplicate word '%.*s'", name, i + 1, (int)(wl > 200 ? 200 : wl),
                    w);
            goto fail;
        }
        if (xl_w2v_words_add(&out->words, w, wl, err) < 0) goto fail;
    }
    if (keep == rows) {
        /* only blank space may follow (a final newline, \r\n) */
        while (c.p < c.end && (*c.p == '\n' || *c.p == '\r' || *c.p == ' ')) c.p++;
        if (c.p < c.end) {
            xl_fail(err, XL_ERR_FORMAT, "%s: data after the %zu rows the header announces", name, rows);
            goto fail;
        }
    }
    return 0;
fail:
    xl_w2v_vectors_free(out);
    return -1;
}

/* While vectors are read from a pipe or device: the header line "ROWS DIM" must end within the
 * first W2V_HEADER_MAX bytes, so /dev/zero fails at once. */
#define W2V_HEADER_MAX 256
static int check_header_line(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    if (memchr(head, '\n', n) == NULL)
        return xl_fail(err, XL_ERR_FORMAT, "%s:1: no header line \"ROWS DIM\" in the first %zu bytes", path, n);
    return 0;
}

/* The same for a format to be sniffed: GloVe text has no header and its first line can be longer
 * than W2V_HEADER_MAX, so only a head without a line end that holds a NUL byte (not text: /dev/zero)
 * is refused. */
static int check_header_or_text(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    if (memchr(head, '\n', n) == NULL && memchr(head, '\0', n) != NULL)
        return xl_fail(err, XL_ERR_FORMAT, "%s:1: no header line \"ROWS DIM\" and no text in the first %zu bytes",
                       path, n);
    return 0;
}

/* GloVe's binary file (glove.c save_params, -binary 1): 2 V (D + 1) float64,
 * rows 0..V-1 word vectors w and bias, rows V..2V-1 context vectors w~ and
 * bias; no words: they come from the companion vocabulary PATH.vocab ("word
 * count" lines, the vocab_count file).  Read as w + w~, the reference's text
 * default (-model 2).  Values are little-endian (the reference writes native
 * order, the same on x86). */
static int read_glove_binary(const xl_mapped_file *m, const char *path, const char *vocab_path, size_t max_words,
                             xl_w2v_vectors *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    xl_w2v_words words;
    xl_w2v_words_init(&words);
    xl_lines r;
    if (xl_lines_open(&r, vocab_path, err) < 0) return -1;
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        size_t a = 0, b;
        while (a < len && (line[a] == ' ' || line[a] == '\t')) a++;
        for (b = a; b < len && line[b] != ' ' && line[b] != '\t';) b++;
        if (a == b) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty line in the vocabulary", vocab_path,
                         (unsigned long long)r.lineno);
            break;
        }
        if (xl_w2v_words_find(&words, line + a, b - a) >= 0) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: duplicate word '%.*s'", vocab_path,
                         (unsigned long long)r.lineno, (int)(b - a > 200 ? 200 : b - a), line + a);
            break;
        }
        if (xl_w2v_words_add(&words, line + a, b - a, err) < 0) {
            rc = -1;
            break;
        }
    }
    xl_lines_close(&r);
    size_t V = words.n;
    if (rc == 0 && V == 0) rc = xl_fail(err, XL_ERR_FORMAT, "%s:1: empty vocabulary", vocab_path);
    size_t per_dim = 2 * 8 * V; /* bytes per unit of (D + 1) */
    if (rc == 0 && (V > SIZE_MAX / 16 || m->size % per_dim != 0 || m->size / per_dim < 2))
        rc = xl_fail(err, XL_ERR_FORMAT,
                     "%s: %zu bytes are not 2 x %zu words x (dim + 1) float64 values of the vocabulary %s "
                     "(file cut short, or not its vocabulary?)",
                     path, m->size, V, vocab_path);
    if (rc < 0) {
        xl_w2v_words_free(&words);
        return -1;
    }
    size_t D1 = m->size / per_dim, dim = D1 - 1;
    size_t keep = (max_words > 0 && max_words < V) ? max_words : V;
    if (xl_w2v_vectors_alloc(out, keep, dim, err) < 0) {
        xl_w2v_words_free(&words);
        return -1;
    }
    const unsigned char *base = m->data;
    for (size_t i = 0; i < keep; i++) {
        for (size_t k = 0; k < dim; k++) {
            double v[2];
            for (int h = 0; h < 2; h++) {
                const unsigned char *q = base + (((size_t)h * V + i) * D1 + k) * 8;
                uint64_t u = 0;
                for (int t = 0; t < 8; t++) u |= (uint64_t)q[t] << (8 * t);
                memcpy(&v[h], &u, 8);
            }
            float f = (float)(v[0] + v[1]);
            if (!isfinite(f)) {
                xl_w2v_words_free(&words);
                xl_w2v_vectors_free(out);
                return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: value %zu is not finite", path, i + 1, k + 1);
            }
            xl_w2v_row(out, i)[k] = f;
        }
        if (xl_w2v_words_add(&out->words, xl_w2v_words_get(&words, i), words.word_len[i], err) < 0) {
            xl_w2v_words_free(&words);
            xl_w2v_vectors_free(out);
            return -1;
        }
    }
    xl_w2v_words_free(&words);
    return 0;
}

int xl_w2v_vectors_read(const char *path, xl_w2v_format format, size_t max_words, xl_w2v_vectors *out, xl_error *err)
{
    xl_mapped_file m;
    /* GloVe files have no "ROWS DIM" header line: only the size cap applies to them */
    bool glove_fmt = format == W2V_FORMAT_GLOVE_TEXT || format == W2V_FORMAT_GLOVE_BINARY;
    if (xl_map_file_ex(&m, path, XL_READ_MAX_STREAM, "XL_READ_MAX_STREAM", W2V_HEADER_MAX,
                       glove_fmt                       ? NULL
                       : format == W2V_FORMAT_AUTO ? check_header_or_text
                                                   : check_header_line,
                       err) < 0)
        return -1;
    if (format == W2V_FORMAT_GLOVE_BINARY ||
        (format == W2V_FORMAT_AUTO && !has_w2v_header(m.data, (const unsigned char *)m.data + m.size, path))) {
        size_t n = strlen(path) + 8;
        char *companion = xl_malloc(n, err);
        if (!companion) {
            xl_unmap_file(&m);
            return -1;
        }
        snprintf(companion, n, "%s.vocab", path);
        int rc = 1;
        if (format == W2V_FORMAT_GLOVE_BINARY || xl_file_readable(companion))
            rc = read_glove_binary(&m, path, companion, max_words, out, err);
        free(companion);
        if (rc <= 0) {
            xl_unmap_file(&m);
            return rc;
        }
    }
    int rc = xl_w2v_vectors_read_memory(m.data, m.size, path, format, max_words, out, err);
    xl_unmap_file(&m);
    return rc;
}

int xl_w2v_vectors_write(const char *path, const xl_w2v_vectors *v, xl_w2v_format format, xl_error *err)
{
    xl_output out;
    if (xl_output_open(&out, path, err) < 0) return -1;
    FILE *f = out.f;
    char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    if (fprintf(f, "%lld %lld%s\n", (long long)v->n_words, (long long)v->dim, format == W2V_FORMAT_F16 ? " f16" : "") < 0)
        rc = -1;
    for (size_t i = 0; i < v->n_words && rc == 0; i++) {
        const float *r = xl_w2v_row(v, i);
        const char *w = xl_w2v_words_get(&v->words, i);
        if (fwrite(w, 1, v->words.word_len[i], f) != v->words.word_len[i] || fputc(' ', f) == EOF) {
            rc = -1;
            break;
        }
        if (format == W2V_FORMAT_TEXT) {
            for (size_t j = 0; j < v->dim; j++)
                if (fprintf(f, "%lf ", (double)r[j]) < 0) rc = -1;
        } else if (format == W2V_FORMAT_F16) {
            for (size_t j = 0; j < v->dim && rc == 0; j++) {
                uint16_t h = xl_float_to_half(r[j]);
                if ((h & 0x7c00) == 0x7c00) {
                    free(buf);
                    xl_output_abort(&out);
                    return xl_fail(err, XL_ERR_FORMAT, "%s: row %zu: value %zu (%g) does not fit float16", path, i + 1,
                                   j + 1, (double)r[j]);
                }
                if (fputc(h & 0xff, f) == EOF || fputc(h >> 8, f) == EOF) rc = -1;
            }
        } else {
            if (cap < v->dim * 4) {
                free(buf);
                cap = v->dim * 4;
                buf = xl_malloc(cap, err);
                if (!buf) {
                    xl_output_abort(&out);
                    return -1;
                }
            }
            for (size_t j = 0; j < v->dim; j++) {
                uint32_t u;
                memcpy(&u, &r[j], 4);
                buf[4 * j] = (char)(u & 0xff);
                buf[4 * j + 1] = (char)(u >> 8 & 0xff);
                buf[4 * j + 2] = (char)(u >> 16 & 0xff);
                buf[4 * j + 3] = (char)(u >> 24 & 0xff);
            }
            if (fwrite(buf, 1, v->dim * 4, f) != v->dim * 4) rc = -1;
        }
        if (fputc('\n', f) == EOF) rc = -1;
    }
    free(buf);
    if (rc < 0) {
        int e = errno;
        xl_output_abort(&out);
        return xl_fail(err, XL_ERR_IO, "%s: write failed: %s", path, e ? strerror(e) : "I/O error");
    }
    return xl_output_commit(&out, err);
}
