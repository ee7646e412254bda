/* glove_cooccur.c - word-word co-occurrence counts with a memory bound (the
 * reference's cooccur), comparison and dump of co-occurrence files; see
 * glove.h. */
#include "glove.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glove_internal.h"
#include "xl_alloc.h"
#include "xl_io.h"

/* ---- records on disk: {int32 w1, int32 w2, float64 x}, little-endian -------- */
void xl_glove_put_record(unsigned char *p, uint32_t w1, uint32_t w2, double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(w1 >> (8 * i));
    for (int i = 0; i < 4; i++) p[4 + i] = (unsigned char)(w2 >> (8 * i));
    for (int i = 0; i < 8; i++) p[8 + i] = (unsigned char)(u >> (8 * i));
}

void xl_glove_get_record(const unsigned char *p, int32_t *w1, int32_t *w2, double *x)
{
    uint32_t a = 0, b = 0;
    uint64_t u = 0;
    for (int i = 0; i < 4; i++) a |= (uint32_t)p[i] << (8 * i);
    for (int i = 0; i < 4; i++) b |= (uint32_t)p[4 + i] << (8 * i);
    for (int i = 0; i < 8; i++) u |= (uint64_t)p[8 + i] << (8 * i);
    memcpy(x, &u, 8);
    *w1 = (int32_t)a;
    *w2 = (int32_t)b;
}

/* Buffered record reader over a file. */
int xl_glove_rec_reader_open(xl_glove_rec_reader *r, const char *path, xl_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->f = xl_fopen(path, "rb", err);
    if (!r->f) return -1;
    r->owns = strcmp(path, "-") != 0;
    r->cap = 4096;
    r->buf = xl_malloc(r->cap * GLOVE_RECORD_BYTES, err);
    if (!r->buf) {
        xl_glove_rec_reader_close(r);
        return -1;
    }
    return 0;
}

/* 1: a record; 0: end; -1: error (a partial record at the end included). */
int xl_glove_rec_reader_next(xl_glove_rec_reader *r, int32_t *w1, int32_t *w2, double *x, xl_error *err)
{
    if (r->pos == r->len) {
        size_t got = fread(r->buf, 1, r->cap * GLOVE_RECORD_BYTES, r->f);
        if (ferror(r->f)) return xl_fail(err, XL_ERR_IO, "%s: read error", r->path);
        if (got % GLOVE_RECORD_BYTES != 0)
            return xl_fail(err, XL_ERR_FORMAT, "%s: record %llu: file ends inside a 16-byte record (cut short?)",
                           r->path, (unsigned long long)(r->index + got / GLOVE_RECORD_BYTES + 1));
        r->len = got / GLOVE_RECORD_BYTES;
        r->pos = 0;
        if (r->len == 0) return 0;
    }
    xl_glove_get_record(r->buf + r->pos * GLOVE_RECORD_BYTES, w1, w2, x);
    r->pos++;
    r->index++;
    return 1;
}

void xl_glove_rec_reader_close(xl_glove_rec_reader *r)
{
    if (r->f && r->owns) fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* ---- memory plan -------------------------------------------------------------- */
int xl_glove_memory_plan(double bytes, int window, int64_t *max_product, int64_t *overflow_length, xl_error *err)
{
    if (!(bytes > 0)) return xl_fail(err, XL_ERR_USAGE, "memory limit must be positive");
    double rlimit = 0.85 * bytes / GLOVE_RECORD_BYTES;
    /* n (ln n + 0.1544313298) = rlimit, by the reference's fixed point (n >= 1) */
    double n = 1e5;
    if (rlimit < 2) {
        n = 1;
    } else {
        for (int it = 0; it < 1000 && fabs(rlimit - n * (log(n) + 0.1544313298)) > 1e-3; it++)
            n = rlimit / (log(n) + 0.1544313298);
        if (n < 1) n = 1;
    }
    *max_product = (int64_t)n;
    *overflow_length = (int64_t)(rlimit / 6);
    int64_t need = 2 * (int64_t)window + 1;
    if (*overflow_length < need)
        return xl_fail(err, XL_ERR_LIMIT,
                       "memory limit of %.0f bytes is too small: its overflow buffer holds %lld records, one window "
                       "of %d words on both sides needs %lld (raise --memory)",
                       bytes, (long long)*overflow_length, window, (long long)need);
    return 0;
}

void xl_glove_cooccur_defaults(xl_glove_cooccur_opts *o)
{
    memset(o, 0, sizeof *o);
    o->window = 15;
    o->symmetric = true;
    o->distance_weighting = true;
    xl_glove_memory_plan(3.0 * 1073741824.0, o->window, &o->max_product, &o->overflow_length, NULL);
    o->temp_prefix = NULL;
}

/* ---- sparse buffer: key = w1 << 32 | w2 --------------------------------------- */
typedef struct {
    uint64_t key;
    double x;
} sparse_rec;

/* LSD radix sort by key (stable: equal keys keep their order, so sums run in
 * corpus order as the reference's stable merge sort).  Only the bytes that
 * can be non-zero are sorted: ids < 2^id_bits. */
static void radix_sort(sparse_rec *a, sparse_rec *tmp, size_t n, int id_bits)
{
    int bytes_per_id = (id_bits + 7) / 8;
    sparse_rec *src = a, *dst = tmp;
    size_t count[256];
    for (int half = 0; half < 2; half++) {
        for (int byte = 0; byte < bytes_per_id; byte++) {
            int shift = half * 32 + byte * 8;
            memset(count, 0, sizeof count);
            for (size_t i = 0; i < n; i++) count[(src[i].key >> shift) & 0xff]++;
            if (count[(src[0].key >> shift) & 0xff] == n) continue; /* one digit: nothing to do */
            size_t sum = 0;
            for (int d = 0; d < 256; d++) {
                size_t c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (size_t i = 0; i < n; i++) dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
            sparse_rec *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* Sort and add up equal keys; returns the new length. */
static size_t sort_and_combine(sparse_rec *a, sparse_rec *tmp, size_t n, int id_bits)
{
    if (n == 0) return 0;
    radix_sort(a, tmp, n, id_bits);
    size_t m = 0;
    for (size_t i = 1; i < n; i++) {
        if (a[i].key == a[m].key)
            a[m].x += a[i].x;
        else
            a[++m] = a[i];
    }
    return m + 1;
}

typedef struct {
    /* dense triangle: row a (1-based) holds columns 1..row_len(a) at
     * offset lookup[a-1] - 1 (the reference's layout) */
    int64_t *lookup; /* [V + 1] */
    double *dense;
    /* sparse */
    sparse_rec *buf, *tmp;
    size_t len, cap, cap_max; /* the buffer grows by doubling up to cap_max */
    int id_bits;
    /* runs */
    const char *prefix;
    unsigned runs;       /* on disk now */
    unsigned runs_total; /* written in all (a cascade merges runs into one) */
    char *run_name;
    size_t run_name_cap;
} counter;

static const char *run_path(counter *c, unsigned i)
{
    snprintf(c->run_name, c->run_name_cap, "%s_%04u.bin", c->prefix, i);
    return c->run_name;
}

static void remove_runs(counter *c)
{
    for (unsigned i = 1; i <= c->runs; i++) remove(run_path(c, i));
}

static int cascade(counter *c, xl_error *err);

/* Runs are xlrec's own temporary files: native sparse_rec arrays. */
static int spill(counter *c, xl_error *err)
{
    unsigned id = c->runs + 1;
    const char *path = run_path(c, id);
    FILE *f = xl_fopen(path, "wb", err);
    if (!f) return -1;
    c->runs = id;
    c->runs_total++;
    if (fwrite(c->buf, sizeof *c->buf, c->len, f) != c->len) {
        fclose(f);
        return xl_fail(err, XL_ERR_IO, "%s: write failed (disk full?)", path);
    }
    if (xl_fclose(f, path, err) < 0) return -1;
    c->len = 0;
    if (c->runs >= GLOVE_MAX_RUNS) return cascade(c, err);
    return 0;
}

/* The buffer is full: grow it while below the limit; at the limit compact
 * it, and write a sorted run when compaction leaves more than half of it. */
static int make_room(counter *c, size_t need, xl_error *err)
{
    if (c->cap < c->cap_max) {
        size_t cap = c->cap * 2 < c->cap_max ? c->cap * 2 : c->cap_max;
        sparse_rec *b = xl_realloc(c->buf, cap, sizeof *b, err);
        if (!b) return -1;
        c->buf = b;
        free(c->tmp);
        c->tmp = xl_malloc(cap * sizeof *c->tmp, err);
        if (!c->tmp) return -1;
        c->cap = cap;
        return 0;
    }
    c->len = sort_and_combine(c->buf, c->tmp, c->len, c->id_bits);
    if (c->len * 2 > c->cap || c->len + need > c->cap) return spill(c, err);
    return 0;
}

static inline void add_pair(counter *c, uint32_t a, uint32_t b, double x)
{
    int64_t row = c->lookup[a - 1];
    if ((int64_t)b <= c->lookup[a] - row) {
        c->dense[row + b - 2] += x;
    } else {
        c->buf[c->len].key = (uint64_t)a << 32 | b;
        c->buf[c->len].x = x;
        c->len++;
    }
}

/* ---- k-way merge of the dense table, the buffer and the runs ------------------ */
typedef struct {
    FILE *f;
    sparse_rec *buf;
    size_t pos, len, cap;
    sparse_rec cur;
} run_reader;

static int run_advance(run_reader *r, const char *path, xl_error *err)
{
    if (r->pos == r->len) {
        r->len = fread(r->buf, sizeof *r->buf, r->cap, r->f);
        r->pos = 0;
        if (r->len == 0) {
            if (ferror(r->f)) return xl_fail(err, XL_ERR_IO, "%s: read error", path);
            return 0;
        }
    }
    r->cur = r->buf[r->pos++];
    return 1;
}

typedef struct {
    unsigned char *buf;
    size_t len, cap;
    FILE *f;
    const char *path;
    uint64_t records;
    bool native; /* a temporary run (sparse_rec as in memory), not the output */
} rec_writer;

static int writer_flush(rec_writer *w, xl_error *err)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
        return xl_fail(err, XL_ERR_IO, "%s: write failed (disk full?)", w->path);
    w->len = 0;
    return 0;
}

static int writer_put(rec_writer *w, uint64_t key, double x, xl_error *err)
{
    if (w->len + GLOVE_RECORD_BYTES > w->cap && writer_flush(w, err) < 0) return -1;
    if (w->native) {
        sparse_rec r = {key, x};
        memcpy(w->buf + w->len, &r, sizeof r);
    } else {
        xl_glove_put_record(w->buf + w->len, (uint32_t)(key >> 32), (uint32_t)key, x);
    }
    w->len += GLOVE_RECORD_BYTES;
    w->records++;
    return 0;
}

/* Sources: 0 = dense table, 1 = buffer, 2.. = runs.  A small binary heap of
 * source indices ordered by their current key. */
typedef struct {
    uint64_t key;
    double x;
    int src;
} head;

static void heap_down(head *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && h[l].key < h[m].key) m = l;
        if (l + 1 < n && h[l + 1].key < h[m].key) m = l + 1;
        if (m == i) return;
        head t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

typedef struct {
    counter *c;
    size_t vocab;
    uint64_t dense_row, dense_col; /* next cell to look at (1-based) */
    size_t buf_pos;
    run_reader *runs;
} sources;

/* Next value of source s into *out; 1, 0 at its end, -1 on error. */
static int source_next(sources *s, int src, head *out, xl_error *err)
{
    counter *c = s->c;
    out->src = src;
    if (src == 0) {
        while (s->dense_row <= s->vocab) {
            int64_t base = c->lookup[s->dense_row - 1];
            uint64_t len = (uint64_t)(c->lookup[s->dense_row] - base);
            while (s->dense_col <= len) {
                double v = c->dense[base + (int64_t)s->dense_col - 2];
                uint64_t col = s->dense_col++;
                if (v != 0) {
                    out->key = s->dense_row << 32 | col;
                    out->x = v;
                    return 1;
                }
            }
            s->dense_row++;
            s->dense_col = 1;
        }
        return 0;
    }
    if (src == 1) {
        if (s->buf_pos == c->len) return 0;
        out->key = c->buf[s->buf_pos].key;
        out->x = c->buf[s->buf_pos].x;
        s->buf_pos++;
        return 1;
    }
    run_reader *r = &s->runs[src - 2];
    int rc = run_advance(r, run_path(c, (unsigned)(src - 1)), err);
    if (rc <= 0) return rc;
    out->key = r->cur.key;
    out->x = r->cur.x;
    return 1;
}

/* only_runs: merge the runs alone (into a new run), leaving out the dense
 * table and the buffer. */
static int merge_all(counter *c, size_t vocab, rec_writer *w, bool only_runs, xl_error *err)
{
    int rc = -1;
    size_t n_src = 2 + c->runs;
    run_reader *runs = xl_calloc(c->runs ? c->runs : 1, sizeof *runs, err);
    head *heap = xl_malloc(n_src * sizeof *heap, err);
    sparse_rec *extra = NULL;
    if (!runs || !heap) goto done;
    /* each run reader gets a share of the (now free) sort buffer; with a tiny
     * buffer and many runs, 16 records each of their own */
    size_t share = c->runs ? c->cap / c->runs : 0;
    sparse_rec *pool = c->tmp;
    if (c->runs && share < 16) {
        share = 16;
        pool = extra = xl_malloc((size_t)c->runs * share * sizeof *extra, err);
        if (!extra) goto done;
    }
    for (unsigned i = 0; i < c->runs; i++) {
        runs[i].f = xl_fopen(run_path(c, i + 1), "rb", err);
        if (!runs[i].f) goto done;
        runs[i].buf = pool + (size_t)i * share;
        runs[i].cap = share;
    }
    sources s = {c, vocab, only_runs ? vocab + 1 : 1, 1, only_runs ? c->len : 0, runs};
    size_t n = 0;
    for (size_t i = 0; i < n_src; i++) {
        int r = source_next(&s, (int)i, &heap[n], err);
        if (r < 0) goto done;
        if (r > 0) n++;
    }
    for (size_t i = n; i-- > 0;) heap_down(heap, n, i);
    bool have = false;
    uint64_t key = 0;
    double sum = 0;
    while (n > 0) {
        if (have && heap[0].key == key) {
            sum += heap[0].x;
        } else {
            if (have && writer_put(w, key, sum, err) < 0) goto done;
            key = heap[0].key;
            sum = heap[0].x;
            have = true;
        }
        int r = source_next(&s, heap[0].src, &heap[0], err);
        if (r < 0) goto done;
        if (r == 0) heap[0] = heap[--n];
        heap_down(heap, n, 0);
    }
    if (have && writer_put(w, key, sum, err) < 0) goto done;
    rc = writer_flush(w, err);
done:
    if (runs)
        for (unsigned i = 0; i < c->runs; i++)
            if (runs[i].f) fclose(runs[i].f);
    free(runs);
    free(heap);
    free(extra);
    return rc;
}

/* GLOVE_MAX_RUNS runs on disk: merge them into one run (PREFIX_0001.bin)
 * so that no more files than that are ever open at once. */
static int cascade(counter *c, xl_error *err)
{
    size_t n = strlen(c->prefix) + 32;
    char *merged = xl_malloc(n, err);
    if (!merged) return -1;
    snprintf(merged, n, "%s_merged.bin", c->prefix);
    int rc = -1;
    unsigned char *wbuf = xl_malloc(1 << 16, err);
    FILE *f = wbuf ? xl_fopen(merged, "wb", err) : NULL;
    if (f) {
        rec_writer w = {wbuf, 0, 1 << 16, f, merged, 0, true};
        size_t keep_len = c->len;
        c->len = 0; /* the buffer is empty after a spill */
        rc = merge_all(c, 0, &w, true, err);
        c->len = keep_len;
        if (xl_fclose(f, merged, rc == 0 ? err : NULL) < 0) rc = -1;
    }
    if (rc == 0) {
        remove_runs(c);
        c->runs = 1;
        if (rename(merged, run_path(c, 1)) != 0) {
            c->runs = 0;
            rc = xl_fail(err, XL_ERR_IO, "%s: cannot rename %s", run_path(c, 1), merged);
        }
    }
    if (rc < 0) remove(merged);
    free(merged);
    free(wbuf);
    return rc;
}

int xl_glove_cooccur(const char *corpus, const xl_glove_vocab *vocab, const xl_glove_cooccur_opts *o, const char *out_path,
                  xl_glove_cooccur_stats *stats, xl_error *err)
{
    size_t V = vocab->words.n;
    if (o->window < 1) return xl_fail(err, XL_ERR_USAGE, "window size must be at least 1");
    if (V <= (size_t)o->window)
        return xl_fail(err, XL_ERR_USAGE,
                       "the vocabulary has %zu words, not more than the window of %d: every word would be in "
                       "almost every context (use a smaller --window-size or a larger corpus)",
                       V, o->window);
    if (o->overflow_length < 2 * (int64_t)o->window + 1)
        return xl_fail(err, XL_ERR_LIMIT,
                       "overflow buffer of %lld records is too small: one window of %d words on both sides needs %lld",
                       (long long)o->overflow_length, o->window, 2 * (long long)o->window + 1);
    if (o->max_product < 1) return xl_fail(err, XL_ERR_USAGE, "max product must be at least 1");
    if (xl_glove_check_not_input(out_path, corpus, err) < 0) return -1;

    counter c;
    memset(&c, 0, sizeof c);
    xl_glove_tokens t;
    memset(&t, 0, sizeof t);
    xl_glove_out out;
    memset(&out, 0, sizeof out);
    uint32_t *history = NULL;
    unsigned char *wbuf = NULL;
    int rc = -1;
    bool tokens_open = false;

    c.id_bits = 1;
    while (c.id_bits < 32 && ((uint64_t)1 << c.id_bits) <= V) c.id_bits++;
    c.lookup = xl_malloc((V + 1) * sizeof *c.lookup, err);
    if (!c.lookup) goto done;
    c.lookup[0] = 1;
    for (size_t a = 1; a <= V; a++) {
        int64_t row = o->max_product / (int64_t)a;
        c.lookup[a] = c.lookup[a - 1] + (row < (int64_t)V ? row : (int64_t)V);
    }
    size_t cells = (size_t)(c.lookup[V] - 1);
    c.dense = xl_calloc(cells ? cells : 1, sizeof *c.dense, err);
    if (!c.dense) goto done;
    if ((uint64_t)o->overflow_length > SIZE_MAX / (2 * sizeof(sparse_rec))) {
        xl_fail(err, XL_ERR_LIMIT, "overflow length %lld too large for this machine", (long long)o->overflow_length);
        goto done;
    }
    c.cap_max = (size_t)o->overflow_length;
    c.cap = c.cap_max < 65536 ? c.cap_max : 65536;
    c.buf = xl_malloc(c.cap * sizeof *c.buf, err);
    c.tmp = xl_malloc(c.cap * sizeof *c.tmp, err);
    history = xl_malloc((size_t)o->window * sizeof *history, err);
    if (!c.buf || !c.tmp || !history) goto done;
    c.prefix = o->temp_prefix ? o->temp_prefix : "overflow";
    c.run_name_cap = strlen(c.prefix) + 32;
    c.run_name = xl_malloc(c.run_name_cap, err);
    if (!c.run_name) goto done;

    /* 1/d as the reference computes it */
    double inv_dist[1024];
    int n_inv = o->window < 1024 ? o->window : 1023;
    for (int d = 1; d <= n_inv; d++) inv_dist[d] = o->distance_weighting ? 1.0 / (double)d : 1.0;

    if (xl_glove_tokens_open(&t, corpus, err) < 0) goto done;
    tokens_open = true;
    uint64_t tokens = 0;
    size_t need = o->symmetric ? 2 * (size_t)o->window : (size_t)o->window;
    uint64_t j = 0; /* position in the line among in-vocabulary tokens */
    int r;
    while ((r = xl_glove_tokens_next(&t, err)) >= 0) {
        if (r == 0) {
            j = 0;
            continue;
        }
        tokens++;
        int64_t id = xl_w2v_words_find(&vocab->words, t.word, t.word_len);
        if (id < 0) continue;
        uint32_t w2 = (uint32_t)id + 1;
        while (c.len + need > c.cap)
            if (make_room(&c, need, err) < 0) goto done;
        uint64_t lo = j > (uint64_t)o->window ? j - (uint64_t)o->window : 0;
        for (uint64_t k = j; k-- > lo;) {
            uint32_t w1 = history[k % (uint64_t)o->window];
            uint64_t d = j - k;
            double x = d <= (uint64_t)n_inv ? inv_dist[d] : (o->distance_weighting ? 1.0 / (double)d : 1.0);
            add_pair(&c, w1, w2, x);
            if (o->symmetric) add_pair(&c, w2, w1, x);
        }
        history[j % (uint64_t)o->window] = w2;
        j++;
    }
    if (r == -2) goto done;
    if (tokens == 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s:%llu: the corpus has no tokens", corpus, (unsigned long long)t.line);
        goto done;
    }
    c.len = sort_and_combine(c.buf, c.tmp, c.len, c.id_bits);

    if (xl_glove_out_open(&out, out_path, true, err) < 0) goto done;
    size_t wcap = 1 << 16;
    wbuf = xl_malloc(wcap, err);
    if (!wbuf) goto done;
    rec_writer w = {wbuf, 0, wcap, out.f, out_path, 0, false};
    if (merge_all(&c, V, &w, false, err) < 0) goto done;
    if (xl_glove_out_commit(&out, err) < 0) goto done;
    if (stats) {
        stats->tokens = tokens;
        stats->records = w.records;
        stats->runs_spilled = c.runs_total;
        stats->dense_cells = cells;
    }
    rc = 0;
done:
    if (rc < 0 && out.f) xl_glove_out_abort(&out);
    if (tokens_open) xl_glove_tokens_close(&t);
    if (c.run_name) remove_runs(&c);
    free(c.run_name);
    free(c.lookup);
    free(c.dense);
    free(c.buf);
    free(c.tmp);
    free(history);
    free(wbuf);
    return rc;
}

/* ---- compare and dump ------------------------------------------------------------ */
static int next_sorted(xl_glove_rec_reader *r, int64_t *key, double *x, int64_t prev, xl_error *err)
{
    int32_t a, b;
    int rc = xl_glove_rec_reader_next(r, &a, &b, x, err);
    if (rc <= 0) return rc;
    if (a < 1 || b < 1)
        return xl_fail(err, XL_ERR_FORMAT, "%s: record %llu: word id %d not positive", r->path,
                       (unsigned long long)r->index, a < 1 ? a : b);
    *key = (int64_t)a << 32 | (int64_t)b;
    if (*key <= prev)
        return xl_fail(err, XL_ERR_FORMAT,
                       "%s: record %llu: (%d, %d) out of order: compare sorted cooccur output, not a shuffled file",
                       r->path, (unsigned long long)r->index, a, b);
    return 1;
}

int xl_glove_cooccur_compare(const char *path_a, const char *path_b, xl_glove_cooccur_diff *d, xl_error *err)
{
    memset(d, 0, sizeof *d);
    xl_glove_rec_reader ra, rb;
    if (xl_glove_rec_reader_open(&ra, path_a, err) < 0) return -1;
    if (xl_glove_rec_reader_open(&rb, path_b, err) < 0) {
        xl_glove_rec_reader_close(&ra);
        return -1;
    }
    int rc = -1;
    int64_t ka = -1, kb = -1, pa = 0, pb = 0;
    double xa = 0, xb = 0;
    int ha = next_sorted(&ra, &ka, &xa, pa, err), hb = ha < 0 ? 0 : next_sorted(&rb, &kb, &xb, pb, err);
    while (ha > 0 || hb > 0) {
        if (ha < 0 || hb < 0) goto done;
        if (ha > 0 && (hb == 0 || ka < kb)) {
            d->only_a++;
            d->records_a++;
            pa = ka;
            ha = next_sorted(&ra, &ka, &xa, pa, err);
        } else if (hb > 0 && (ha == 0 || kb < ka)) {
            d->only_b++;
            d->records_b++;
            pb = kb;
            hb = next_sorted(&rb, &kb, &xb, pb, err);
        } else {
            d->common++;
            d->records_a++;
            d->records_b++;
            double diff = fabs(xa - xb), rel = diff / (fabs(xb) > 0 ? fabs(xb) : 1);
            if (diff > d->max_abs_diff) d->max_abs_diff = diff;
            if (rel > d->max_rel_diff) {
                d->max_rel_diff = rel;
                d->worst_i = (int32_t)(ka >> 32);
                d->worst_j = (int32_t)(ka & 0xffffffff);
            }
            pa = ka;
            pb = kb;
            ha = next_sorted(&ra, &ka, &xa, pa, err);
            hb = ha < 0 ? 0 : next_sorted(&rb, &kb, &xb, pb, err);
        }
    }
    if (ha < 0 || hb < 0) goto done;
    rc = 0;
done:
    xl_glove_rec_reader_close(&ra);
    xl_glove_rec_reader_close(&rb);
    return rc;
}

int xl_glove_cooccur_dump(const char *path, const xl_glove_vocab *vocab, FILE *out, xl_error *err)
{
    xl_glove_rec_reader r;
    if (xl_glove_rec_reader_open(&r, path, err) < 0) return -1;
    int32_t a, b;
    double x;
    int rc;
    while ((rc = xl_glove_rec_reader_next(&r, &a, &b, &x, err)) > 0) {
        if (vocab) {
            if (a < 1 || b < 1 || (size_t)a > vocab->words.n || (size_t)b > vocab->words.n) {
                rc = xl_fail(err, XL_ERR_FORMAT, "%s: record %llu: word id (%d, %d) outside the vocabulary of %zu",
                             path, (unsigned long long)r.index, a, b, vocab->words.n);
                break;
            }
            if (fprintf(out, "%s %s %.17g\n", xl_w2v_words_get(&vocab->words, (size_t)a - 1),
                        xl_w2v_words_get(&vocab->words, (size_t)b - 1), x) < 0)
                rc = -1;
        } else if (fprintf(out, "%d %d %.17g\n", a, b, x) < 0) {
            rc = -1;
        }
        if (rc < 0) {
            xl_fail(err, XL_ERR_IO, "write failed");
            break;
        }
    }
    xl_glove_rec_reader_close(&r);
    return rc < 0 ? -1 : 0;
}
