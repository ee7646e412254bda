/* ngram_binary.c - the binary n-gram model file: the query structure of
 * ngram_model.c written out as it is in memory, so that loading is a mapping
 * (no parsing) and the tables are used in place.  Byte-by-byte specification:
 * docs/model-format.md ("The n-gram model file").
 *
 *   +------------------------------+ 0
 *   | header (320 B): magic, version, sanity block, file size, order, <s>/</s>,
 *   |   vocabulary and unigram sections, per order {count, buckets, offset}
 *   +------------------------------+ every section at a multiple of 64
 *   | words: each word's bytes + NUL, in id order
 *   | word offsets u32[n_words + 1] (word i = [off[i], off[i+1] - 1), then NUL)
 *   | vocabulary hash table u32[slots] (id + 1, 0 = empty; slots a power of 2)
 *   | unigrams {f32 log10 p, f32 log10 backoff}[n_words]
 *   | order 2..N-1 probing tables {u32 key_lo, u32 key_hi, f32 p, f32 b}[buckets]
 *   | order N probing table {u32 key_lo, u32 key_hi, f32 p}[buckets]
 *   +------------------------------+ file_size
 *
 * Everything is little-endian.  The loader checks the magic, version and
 * sanity values (a byte-swapped or non-IEEE writer is named as such), that
 * the recorded file size is the real one, that every section lies inside the
 * file, after the header and after the previous section, 64-byte aligned,
 * with sizes computed without overflow (also with a 32-bit size_t); the
 * vocabulary completely (offsets, lengths, NUL terminators, UTF-8, table
 * entries, an empty table slot, <unk>/<s>/</s> where the header says) and
 * the unigram values.  The probing tables are not scanned (they are most of
 * the file and the reason it loads fast): a damaged table can give wrong
 * scores but never a read outside the table nor an endless probe
 * (xl_ngram_probe stops after `buckets` slots).  Little-endian hosts use the
 * mapping in place; big-endian hosts read a byte-swapped heap copy. */
#include "ngram_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_bytes.h"
#include "xl_io.h"
/* The sanity block's values: the same as the encoder's model file (weights/xl_model.h), written
 * here because src/ngram sits below weights/ in the layering (docs/tools/check_layering.sh). */
#define XL_NGRAM_SANITY_U32 0x01020304u
#define XL_NGRAM_SANITY_F32 1.5f
#define XL_NGRAM_SANITY_F64 (-1234.5625)
#define XL_NGRAM_SANITY_U64 0x0102030405060708ull
#include "xl_utf8.h"

#define NG_MAGIC "XLNGRAMB"
#define NG_VERSION 1u       /* full floats */
#define NG_VERSION_QUANT 2u /* quantised values (xl_ngram_model_write_binary_quant) */
#define NG_QUANT_MAX_BITS 16
#define NG_HEADER_SIZE 320u
#define NG_ALIGN 64u
#define NG_LEVEL_BASE 128u /* per-order entries {count, buckets, offset} for k = 1..8 */

/* The bit patterns of the header's sanity float and double as this host stores them (the file
 * holds them little-endian: a host that reads them back differently would misread every value). */
static void sanity_bits(uint32_t *f_bits, uint64_t *d_bits)
{
    const float sf = XL_NGRAM_SANITY_F32;
    const double sd = XL_NGRAM_SANITY_F64;
    memcpy(f_bits, &sf, 4);
    memcpy(d_bits, &sd, 8);
}

bool xl_ngram_is_binary(const void *data, size_t len)
{
    return len >= 8 && memcmp(data, NG_MAGIC, 8) == 0;
}

/* ------------------------------------------------------------------ writer */

typedef struct {
    FILE *f;         /* NULL: append to buf */
    xl_buf *buf;
    const char *path;
    uint64_t pos;
    bool swap;       /* big-endian host: swap words of `width` bytes while writing */
} sink_t;

static int sink_raw(sink_t *s, const void *data, size_t n, xl_error *err)
{
    if (n == 0) return 0;
    int rc = s->f ? xl_fwrite_exact(data, n, s->f, s->path, err) : xl_buf_append(s->buf, data, n, err);
    if (rc == 0) s->pos += n;
    return rc;
}

/* count elements of `width` bytes (1 or 4) from host order to little-endian */
static int sink_array(sink_t *s, const void *data, size_t count, size_t width, xl_error *err)
{
    if (!s->swap || width == 1) return sink_raw(s, data, count * width, err);
    unsigned char tmp[4096];
    const unsigned char *p = data;
    const size_t per = sizeof tmp / width;
    while (count > 0) {
        size_t n = count < per ? count : per;
        memcpy(tmp, p, n * width);
        xl_bswap32_array(tmp, n);
        if (sink_raw(s, tmp, n * width, err) < 0) return -1;
        p += n * width;
        count -= n;
    }
    return 0;
}

static int sink_pad(sink_t *s, xl_error *err)
{
    static const unsigned char zeros[NG_ALIGN];
    size_t n = (size_t)((NG_ALIGN - s->pos % NG_ALIGN) % NG_ALIGN);
    return sink_raw(s, zeros, n, err);
}

static uint64_t align_up(uint64_t x)
{
    return (x + NG_ALIGN - 1) / NG_ALIGN * NG_ALIGN;
}

static size_t slot_bytes(const xl_ngram_level *lv)
{
    return xl_ngram_level_narrow(lv) ? sizeof(xl_ngram_slot_top) : sizeof(xl_ngram_slot);
}

/* --------------------------------------------------------- quantisation */

/* The bins of a quantised file: per order k >= 2, centres[k-1][0] the
 * 2^pbits probability centres, centres[k-1][1] the 2^bbits backoff centres
 * (k < order; [0] = 0 exactly). */
typedef struct {
    int pbits, bbits;
    float *centres[XL_NGRAM_MAX_ORDER][2];
} quant_t;

static void quant_free(quant_t *q)
{
    for (int i = 0; i < XL_NGRAM_MAX_ORDER; i++) free(q->centres[i][0]), free(q->centres[i][1]);
}

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* KenLM's MakeBins (lm/quantize.cc): sort, cut into `bins` runs of equal
 * length (the i-th ends at n*(i+1)/bins), centre = the run's mean (summed in
 * double, divided by the float count); an empty run repeats the previous
 * centre (-inf for the first). */
static void make_bins(float *values, size_t n, float *centres, uint32_t bins)
{
    qsort(values, n, sizeof *values, cmp_float);
    size_t start = 0;
    for (uint32_t i = 0; i < bins; i++) {
        const size_t finish = (size_t)(((uint64_t)n * (i + 1)) / bins);
        if (finish == start) {
            centres[i] = i ? centres[i - 1] : -INFINITY;
        } else {
            double sum = 0.0;
            for (size_t j = start; j < finish; j++) sum += values[j];
            centres[i] = (float)(sum / (double)(float)(finish - start));
        }
        start = finish;
    }
}

/* The centre nearest v among c[reserved..n) (ascending; ties to the lower), as KenLM's Bins::Encode. */
static uint32_t quant_encode(const float *c, uint32_t n, uint32_t reserved, float v)
{
    uint32_t lo = reserved, hi = n;
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (c[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    if (lo == reserved) return reserved;
    if (lo == n) return n - 1;
    return lo - (uint32_t)(v - c[lo - 1] < c[lo] - v);
}

static uint32_t quant_slot(const quant_t *q, int k, int order, float prob, float backoff)
{
    uint32_t v = quant_encode(q->centres[k - 1][0], 1u << q->pbits, 0, prob);
    if (k < order) {
        const uint32_t b = backoff == 0.0f ? 0 : quant_encode(q->centres[k - 1][1], 1u << q->bbits, 1, backoff);
        v |= b << q->pbits;
    }
    return v;
}

static double quant_error(float v, float c)
{
    return v == c ? 0.0 : fabs((double)v - (double)c);
}

/* Train the bins of every order >= 2 from the model's tables and measure what they cost. */
static int quant_train(const xl_ngram_model *m, int pbits, int bbits, quant_t *q, xl_ngram_quant_report *rep,
                       xl_error *err)
{
    memset(q, 0, sizeof *q);
    memset(rep, 0, sizeof *rep);
    if (pbits < 1 || pbits > NG_QUANT_MAX_BITS || bbits < 1 || bbits > NG_QUANT_MAX_BITS)
        return xl_fail(err, XL_ERR_USAGE, "quantisation bits %d / %d outside 1..%d", pbits, bbits, NG_QUANT_MAX_BITS);
    for (int k = 2; k <= m->order; k++)
        if (m->level[k - 1].quant)
            return xl_fail(err, XL_ERR_USAGE, "the model is quantised already (read from a quantised binary file)");
    q->pbits = rep->prob_bits = pbits;
    q->bbits = rep->backoff_bits = bbits;
    for (int k = 2; k <= m->order; k++) {
        const xl_ngram_level *lv = &m->level[k - 1];
        const bool bo = k < m->order;
        float *probs = xl_malloc((size_t)lv->count * sizeof(float) + 1, err);
        float *backs = bo ? xl_malloc((size_t)lv->count * sizeof(float) + 1, err) : NULL;
        q->centres[k - 1][0] = xl_malloc(sizeof(float) << pbits, err);
        if (bo) q->centres[k - 1][1] = xl_malloc(sizeof(float) << bbits, err);
        if (probs == NULL || (bo && (backs == NULL || q->centres[k - 1][1] == NULL)) || q->centres[k - 1][0] == NULL) {
            free(probs), free(backs);
            quant_free(q);
            return -1;
        }
        size_t np = 0, nb = 0;
        for (uint64_t i = 0; i < lv->buckets; i++) {
            const xl_ngram_slot *full = (const xl_ngram_slot *)lv->table + i;
            const xl_ngram_slot_top *top = (const xl_ngram_slot_top *)lv->table + i;
            if (lv->top ? (top->key_lo | top->key_hi) == 0 : (full->key_lo | full->key_hi) == 0) continue;
            if (np == lv->count) break; /* more keys than the count: a damaged model; the rest is ignored */
            const float p = lv->top ? top->prob : full->prob, b = bo ? full->backoff : 0.0f;
            if (isnan(p) || p > 0 || isnan(b) || (isinf(b) && b > 0)) { /* a damaged binary model's table */
                free(probs), free(backs);
                quant_free(q);
                return xl_fail(err, XL_ERR_FORMAT, "%d-gram table slot %llu: log10 p %g / backoff %g are not a log "
                               "probability and a backoff", k, (unsigned long long)i, (double)p, (double)b);
            }
            probs[np++] = p;
            if (b != 0.0f) backs[nb++] = b;
        }
        make_bins(probs, np, q->centres[k - 1][0], 1u << pbits);
        if (bo) {
            q->centres[k - 1][1][0] = 0.0f;
            make_bins(backs, nb, q->centres[k - 1][1] + 1, (1u << bbits) - 1);
        }
        free(probs), free(backs);
        /* the cost, over the n-grams in table order */
        double pmax = 0, psum = 0, bmax = 0, bsum = 0;
        size_t seen = 0;
        for (uint64_t i = 0; i < lv->buckets && seen < np; i++) {
            const xl_ngram_slot *full = (const xl_ngram_slot *)lv->table + i;
            const xl_ngram_slot_top *top = (const xl_ngram_slot_top *)lv->table + i;
            if (lv->top ? (top->key_lo | top->key_hi) == 0 : (full->key_lo | full->key_hi) == 0) continue;
            seen++;
            const float p = lv->top ? top->prob : full->prob, b = bo ? full->backoff : 0.0f;
            const uint32_t v = quant_slot(q, k, m->order, p, b);
            const double ep = quant_error(p, q->centres[k - 1][0][v & ((1u << pbits) - 1)]);
            psum += ep;
            if (ep > pmax) pmax = ep;
            if (bo) {
                const double eb = quant_error(b, q->centres[k - 1][1][v >> pbits]);
                bsum += eb;
                if (eb > bmax) bmax = eb;
            }
        }
        rep->prob_max[k - 1] = pmax;
        rep->prob_mean[k - 1] = seen ? psum / (double)seen : 0.0;
        rep->backoff_max[k - 1] = bmax;
        rep->backoff_mean[k - 1] = seen ? bsum / (double)seen : 0.0;
    }
    return 0;
}

/* A level's table as quantised 12-byte slots, converted a chunk at a time. */
static int sink_quant_table(sink_t *s, const xl_ngram_model *m, int k, const quant_t *q, xl_error *err)
{
    const xl_ngram_level *lv = &m->level[k - 1];
    uint32_t tmp[3 * 1024];
    size_t n = 0;
    for (uint64_t i = 0; i < lv->buckets; i++) {
        uint32_t lo, hi, v = 0;
        if (lv->top) {
            const xl_ngram_slot_top *t = (const xl_ngram_slot_top *)lv->table + i;
            lo = t->key_lo, hi = t->key_hi;
            if (lo | hi) v = quant_slot(q, k, m->order, t->prob, 0.0f);
        } else {
            const xl_ngram_slot *t = (const xl_ngram_slot *)lv->table + i;
            lo = t->key_lo, hi = t->key_hi;
            if (lo | hi) v = quant_slot(q, k, m->order, t->prob, t->backoff);
        }
        tmp[n++] = lo, tmp[n++] = hi, tmp[n++] = v;
        if (n == sizeof tmp / sizeof tmp[0]) {
            if (sink_array(s, tmp, n, 4, err) < 0) return -1;
            n = 0;
        }
    }
    return sink_array(s, tmp, n, 4, err);
}

static int emit_binary_with(const xl_ngram_model *m, const uint32_t *vtable, uint64_t slots, const quant_t *q,
                            sink_t *s, xl_error *err);

/* The vocabulary's id table for the file: the in-memory one is kept at most
 * half full (it grows while training); the file's is the smallest power of
 * two with 1.5 slots per word (load 1/3..2/3, as KenLM's vocabulary), rebuilt
 * with the same hash and probing, so a reader finds the same ids. */
static uint32_t *file_vocab_table(const xl_ngram_vocab *v, uint64_t *slots_out, xl_error *err)
{
    uint64_t slots = 2;
    while (slots < (uint64_t)v->size + (uint64_t)v->size / 2 + 1) slots *= 2;
    uint32_t *t = xl_calloc((size_t)slots, sizeof *t, err);
    if (t == NULL) return NULL;
    const size_t mask = (size_t)(slots - 1);
    for (size_t id = 0; id < v->size; id++) {
        const uint32_t off = v->offset[id], len = v->offset[id + 1] - off - 1;
        size_t i = (size_t)xl_ngram_hash_bytes(v->arena.data + off, len) & mask;
        while (t[i] != 0) i = (i + 1) & mask;
        t[i] = (uint32_t)id + 1;
    }
    *slots_out = slots;
    return t;
}

static int emit_binary(const xl_ngram_model *m, const quant_t *q, sink_t *s, xl_error *err)
{
    const xl_ngram_vocab *v = m->vocab;
    for (int k = 2; k <= m->order; k++)
        if (q == NULL && m->level[k - 1].quant)
            return xl_fail(err, XL_ERR_USAGE, "a quantised model cannot be written with full floats");
    uint64_t slots;
    uint32_t *vtable = file_vocab_table(v, &slots, err);
    if (vtable == NULL) return -1;
    int rc = emit_binary_with(m, vtable, slots, q, s, err);
    free(vtable);
    return rc;
}

static int emit_binary_with(const xl_ngram_model *m, const uint32_t *vtable, uint64_t slots, const quant_t *q,
                            sink_t *s, xl_error *err)
{
    const xl_ngram_vocab *v = m->vocab;
    const uint64_t n = v->size;
    /* section layout */
    uint64_t at = NG_HEADER_SIZE;
    const uint64_t words_off = at, words_size = v->arena.len;
    at = align_up(at + words_size);
    const uint64_t offs_off = at;
    at = align_up(at + (n + 1) * 4);
    const uint64_t table_off = at;
    at = align_up(at + slots * 4);
    const uint64_t uni_off = at;
    at = align_up(at + n * 8);
    uint64_t centres_off = 0, centres_count = 0;
    if (q != NULL) {
        centres_off = at;
        centres_count = ((uint64_t)(m->order - 1) << q->pbits) + ((uint64_t)(m->order - 2) << q->bbits);
        at = align_up(at + centres_count * 4);
    }
    uint64_t level_off[XL_NGRAM_MAX_ORDER] = {0};
    for (int k = 2; k <= m->order; k++) {
        level_off[k - 1] = at;
        at = align_up(at + m->level[k - 1].buckets *
                               (q != NULL ? sizeof(xl_ngram_slot_q) : slot_bytes(&m->level[k - 1])));
    }
    const uint64_t file_size = at;

    unsigned char h[NG_HEADER_SIZE];
    memset(h, 0, sizeof h);
    memcpy(h, NG_MAGIC, 8);
    xl_le_put_u32(h + 8, q != NULL ? NG_VERSION_QUANT : NG_VERSION);
    xl_le_put_u32(h + 12, NG_HEADER_SIZE);
    xl_le_put_u32(h + 16, XL_NGRAM_SANITY_U32);
    uint32_t sf_bits;
    uint64_t sd_bits;
    sanity_bits(&sf_bits, &sd_bits);
    xl_le_put_u32(h + 20, sf_bits);
    xl_le_put_u64(h + 24, sd_bits);
    xl_le_put_u64(h + 32, XL_NGRAM_SANITY_U64);
    xl_le_put_u64(h + 40, file_size);
    xl_le_put_u32(h + 48, (uint32_t)m->order);
    xl_le_put_u32(h + 52, m->bos);
    xl_le_put_u32(h + 56, m->eos);
    xl_le_put_u32(h + 60, (uint32_t)n);
    xl_le_put_u64(h + 64, words_off);
    xl_le_put_u64(h + 72, words_size);
    xl_le_put_u64(h + 80, offs_off);
    xl_le_put_u64(h + 96, table_off);
    xl_le_put_u64(h + 104, slots);
    xl_le_put_u64(h + 112, uni_off);
    if (q != NULL) {
        xl_le_put_u64(h + 88, centres_off);
        xl_le_put_u32(h + 120, (uint32_t)q->pbits);
        xl_le_put_u32(h + 124, (uint32_t)q->bbits);
    }
    for (int k = 1; k <= m->order; k++) {
        unsigned char *e = h + NG_LEVEL_BASE + 24 * (k - 1);
        xl_le_put_u64(e, k == 1 ? n : m->level[k - 1].count);
        xl_le_put_u64(e + 8, k == 1 ? 0 : m->level[k - 1].buckets);
        xl_le_put_u64(e + 16, level_off[k - 1]);
    }
    if (sink_raw(s, h, sizeof h, err) < 0) return -1;
    if (sink_raw(s, v->arena.data, (size_t)words_size, err) < 0 || sink_pad(s, err) < 0) return -1;
    if (sink_array(s, v->offset, (size_t)n + 1, 4, err) < 0 || sink_pad(s, err) < 0) return -1;
    if (sink_array(s, vtable, (size_t)slots, 4, err) < 0 || sink_pad(s, err) < 0) return -1;
    if (sink_array(s, m->uni, (size_t)n * 2, 4, err) < 0 || sink_pad(s, err) < 0) return -1;
    if (q != NULL) {
        for (int k = 2; k <= m->order; k++) {
            if (sink_array(s, q->centres[k - 1][0], (size_t)1 << q->pbits, 4, err) < 0) return -1;
            if (k < m->order && sink_array(s, q->centres[k - 1][1], (size_t)1 << q->bbits, 4, err) < 0) return -1;
        }
        if (sink_pad(s, err) < 0) return -1;
    }
    for (int k = 2; k <= m->order; k++) {
        const xl_ngram_level *lv = &m->level[k - 1];
        if (q != NULL) {
            if (sink_quant_table(s, m, k, q, err) < 0 || sink_pad(s, err) < 0) return -1;
        } else if (sink_array(s, lv->table, (size_t)lv->buckets * (slot_bytes(lv) / 4), 4, err) < 0 ||
                   sink_pad(s, err) < 0) {
            return -1;
        }
    }
    if (s->pos != file_size) return xl_fail(err, XL_ERR_GENERIC, "internal error: binary model size mismatch");
    return 0;
}

/* Quantise?  Only orders >= 2 are quantised: a unigram model is written with full floats (version 1). */
static bool quantised(const xl_ngram_model *m, int prob_bits, int backoff_bits)
{
    (void)backoff_bits;
    return prob_bits != 0 && m->order >= 2;
}

/* The quantiser of a write (both writers below): *quant says whether the model is quantised; when it
 * is, q holds the trained bins (quant_free after use) and rep their errors (zeroed first; rep may be
 * NULL).  Bits outside 1..NG_QUANT_MAX_BITS are a usage error even where nothing is quantised. */
static int quant_prepare(const xl_ngram_model *m, int prob_bits, int backoff_bits, xl_ngram_quant_report *rep,
                         quant_t *q, bool *quant, xl_error *err)
{
    xl_ngram_quant_report local;
    if (rep == NULL) rep = &local;
    memset(rep, 0, sizeof *rep);
    *quant = quantised(m, prob_bits, backoff_bits);
    if (*quant) return quant_train(m, prob_bits, backoff_bits, q, rep, err);
    if (prob_bits != 0 && (prob_bits < 1 || prob_bits > NG_QUANT_MAX_BITS || backoff_bits < 1 ||
                           backoff_bits > NG_QUANT_MAX_BITS))
        return xl_fail(err, XL_ERR_USAGE, "quantisation bits %d / %d outside 1..%d", prob_bits, backoff_bits,
                       NG_QUANT_MAX_BITS);
    return 0;
}

int xl_ngram_model_format_binary_quant(const xl_ngram_model *m, xl_buf *out, int prob_bits, int backoff_bits,
                                       xl_ngram_quant_report *rep, xl_error *err)
{
    quant_t q;
    bool quant = false;
    if (quant_prepare(m, prob_bits, backoff_bits, rep, &q, &quant, err) < 0) return -1;
    sink_t s = {NULL, out, "memory", 0, !xl_host_is_little_endian()};
    int rc = emit_binary(m, quant ? &q : NULL, &s, err);
    if (quant) quant_free(&q);
    return rc;
}

int xl_ngram_model_format_binary(const xl_ngram_model *m, xl_buf *out, xl_error *err)
{
    return xl_ngram_model_format_binary_quant(m, out, 0, 0, NULL, err);
}

int xl_ngram_model_write_binary_quant(const xl_ngram_model *m, const char *path, int prob_bits, int backoff_bits,
                                      xl_ngram_quant_report *rep, xl_error *err)
{
    quant_t q;
    bool quant = false;
    if (quant_prepare(m, prob_bits, backoff_bits, rep, &q, &quant, err) < 0) return -1;
    xl_output out; /* a temporary file renamed over the target when complete (xl_io.h) */
    int rc = xl_output_open(&out, path, err);
    if (rc == 0) {
        sink_t s = {out.f, NULL, path, 0, !xl_host_is_little_endian()};
        rc = emit_binary(m, quant ? &q : NULL, &s, err);
        if (rc < 0) xl_output_abort(&out);
        else rc = xl_output_commit(&out, err);
    }
    if (quant) quant_free(&q);
    return rc;
}

int xl_ngram_model_write_binary(const xl_ngram_model *m, const char *path, xl_error *err)
{
    return xl_ngram_model_write_binary_quant(m, path, 0, 0, NULL, err);
}

/* ------------------------------------------------------------------ reader */

typedef struct {
    const char *name;
    uint64_t file_size;
    uint64_t end; /* end of the previous section */
} layout_t;

/* Section [off, off + count*width) inside the file, after the previous one, aligned. */
static int check_section(layout_t *l, const char *what, uint64_t off, uint64_t count, uint64_t width,
                         uint64_t *bytes, xl_error *err)
{
    if (count > UINT64_MAX / width) return xl_fail(err, XL_ERR_FORMAT, "%s: %s: size overflows", l->name, what);
    const uint64_t size = count * width;
    if (off % NG_ALIGN != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: %s: offset %llu is not a multiple of %u", l->name, what,
                       (unsigned long long)off, NG_ALIGN);
    if (off < l->end)
        return xl_fail(err, XL_ERR_FORMAT, "%s: %s: offset %llu overlaps the previous section (ends at %llu)", l->name,
                       what, (unsigned long long)off, (unsigned long long)l->end);
    if (off > l->file_size || size > l->file_size - off)
        return xl_fail(err, XL_ERR_FORMAT, "%s: %s: [%llu, +%llu) runs past the end of the file (%llu bytes)",
                       l->name, what, (unsigned long long)off, (unsigned long long)size,
                       (unsigned long long)l->file_size);
    l->end = off + size;
    *bytes = size;
    return 0;
}

/* Validate the image (data, len) and build the model on it: `data` must stay
 * valid and 64-byte aligned as long as the model lives; on a big-endian host
 * it is swapped in place, so it must be writable there. */
static xl_ngram_model *load_image(unsigned char *data, size_t len, const char *name, xl_error *err)
{
    if (len < NG_HEADER_SIZE) {
        xl_fail(err, XL_ERR_FORMAT, "%s: %zu bytes is shorter than the %u-byte header of a binary n-gram model", name,
                len, NG_HEADER_SIZE);
        return NULL;
    }
    const unsigned char *h = data;
    if (memcmp(h, NG_MAGIC, 8) != 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: not a binary n-gram model (magic is not %s)", name, NG_MAGIC);
        return NULL;
    }
    const uint32_t version = xl_le_u32(h + 8);
    if (version != NG_VERSION && version != NG_VERSION_QUANT) {
        xl_fail(err, XL_ERR_FORMAT, "%s: format version %u is not supported (this build reads versions %u and %u)",
                name, version, NG_VERSION, NG_VERSION_QUANT);
        return NULL;
    }
    const bool quant = version == NG_VERSION_QUANT;
    if (xl_le_u32(h + 12) != NG_HEADER_SIZE) {
        xl_fail(err, XL_ERR_FORMAT, "%s: header size %u, expected %u", name, xl_le_u32(h + 12), NG_HEADER_SIZE);
        return NULL;
    }
    uint32_t sf_bits;
    uint64_t sd_bits;
    sanity_bits(&sf_bits, &sd_bits);
    if (xl_le_u32(h + 16) != XL_NGRAM_SANITY_U32 || xl_le_u64(h + 32) != XL_NGRAM_SANITY_U64) {
        xl_fail(err, XL_ERR_FORMAT, "%s: sanity block: integers read 0x%08x / 0x%016llx (byte order mismatch?)", name,
                xl_le_u32(h + 16), (unsigned long long)xl_le_u64(h + 32));
        return NULL;
    }
    if (xl_le_u32(h + 20) != sf_bits || xl_le_u64(h + 24) != sd_bits) {
        xl_fail(err, XL_ERR_FORMAT, "%s: sanity block: floats are not IEEE-754 binary32/binary64 as written", name);
        return NULL;
    }
    const uint64_t file_size = xl_le_u64(h + 40);
    if (file_size != (uint64_t)len) {
        xl_fail(err, XL_ERR_FORMAT, "%s: file_size field says %llu bytes but the file has %zu (truncated?)", name,
                (unsigned long long)file_size, len);
        return NULL;
    }
    const uint32_t order = xl_le_u32(h + 48), bos = xl_le_u32(h + 52), eos = xl_le_u32(h + 56), n = xl_le_u32(h + 60);
    if (order < 1 || order > XL_NGRAM_MAX_ORDER) {
        xl_fail(err, XL_ERR_FORMAT, "%s: order %u outside 1..%d", name, order, XL_NGRAM_MAX_ORDER);
        return NULL;
    }
    if (n < 3 || n == UINT32_MAX) {
        xl_fail(err, XL_ERR_FORMAT, "%s: %u words: a model has at least <unk>, <s> and </s>", name, n);
        return NULL;
    }
    if (bos >= n || eos >= n || bos == eos || bos == 0 || eos == 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: <s> id %u / </s> id %u are not distinct words other than <unk> of %u", name,
                bos, eos, n);
        return NULL;
    }
    const uint64_t slots = xl_le_u64(h + 104);
    if (slots < 2 || slots > ((uint64_t)1 << 33) || (slots & (slots - 1)) != 0 || slots <= n) {
        xl_fail(err, XL_ERR_FORMAT, "%s: vocabulary table of %llu slots (must be a power of 2 above the %u words)", name,
                (unsigned long long)slots, n);
        return NULL;
    }
    layout_t l = {name, file_size, NG_HEADER_SIZE};
    uint64_t words_bytes, offs_bytes, table_bytes, uni_bytes;
    const uint64_t words_off = xl_le_u64(h + 64), offs_off = xl_le_u64(h + 80), table_off = xl_le_u64(h + 96),
                   uni_off = xl_le_u64(h + 112);
    const uint64_t centres_off = xl_le_u64(h + 88);
    const uint32_t pbits = xl_le_u32(h + 120), bbits = xl_le_u32(h + 124);
    if (!quant && (centres_off != 0 || pbits != 0 || bbits != 0)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: reserved header fields are not zero", name);
        return NULL;
    }
    if (quant && (pbits < 1 || pbits > NG_QUANT_MAX_BITS || bbits < 1 || bbits > NG_QUANT_MAX_BITS || order < 2)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: quantised with %u / %u bits (each must be 1..%d) in an order-%u model", name,
                pbits, bbits, NG_QUANT_MAX_BITS, order);
        return NULL;
    }
    if (xl_le_u64(h + 72) >= UINT32_MAX) {
        xl_fail(err, XL_ERR_FORMAT, "%s: %llu bytes of words (at most 2^32-2)", name,
                (unsigned long long)xl_le_u64(h + 72));
        return NULL;
    }
    if (check_section(&l, "words", words_off, xl_le_u64(h + 72), 1, &words_bytes, err) < 0 ||
        check_section(&l, "word offsets", offs_off, (uint64_t)n + 1, 4, &offs_bytes, err) < 0 ||
        check_section(&l, "vocabulary table", table_off, slots, 4, &table_bytes, err) < 0 ||
        check_section(&l, "unigrams", uni_off, n, 8, &uni_bytes, err) < 0)
        return NULL;
    uint64_t centres_count = 0, centres_bytes = 0;
    if (quant) {
        centres_count = ((uint64_t)(order - 1) << pbits) + ((uint64_t)(order - 2) << bbits);
        if (check_section(&l, "quantisation centres", centres_off, centres_count, 4, &centres_bytes, err) < 0)
            return NULL;
    }
    if (xl_le_u64(h + NG_LEVEL_BASE) != n) {
        xl_fail(err, XL_ERR_FORMAT, "%s: unigram count %llu differs from the %u words", name,
                (unsigned long long)xl_le_u64(h + NG_LEVEL_BASE), n);
        return NULL;
    }
    uint64_t level_count[XL_NGRAM_MAX_ORDER], level_buckets[XL_NGRAM_MAX_ORDER], level_off[XL_NGRAM_MAX_ORDER];
    for (uint32_t k = 2; k <= XL_NGRAM_MAX_ORDER; k++) {
        const unsigned char *e = h + NG_LEVEL_BASE + 24 * (k - 1);
        level_count[k - 1] = xl_le_u64(e);
        level_buckets[k - 1] = xl_le_u64(e + 8);
        level_off[k - 1] = xl_le_u64(e + 16);
        if (k > order) {
            if (level_count[k - 1] || level_buckets[k - 1] || level_off[k - 1]) {
                xl_fail(err, XL_ERR_FORMAT, "%s: entry of order %u is not zero in an order-%u model", name, k, order);
                return NULL;
            }
            continue;
        }
        char what[32];
        snprintf(what, sizeof what, "%u-gram table", k);
        if (level_buckets[k - 1] <= level_count[k - 1] || level_buckets[k - 1] > UINT32_MAX) {
            xl_fail(err, XL_ERR_FORMAT, "%s: %s: %llu buckets for %llu entries (needs more buckets than entries, "
                    "at most 2^32-1)", name, what, (unsigned long long)level_buckets[k - 1],
                    (unsigned long long)level_count[k - 1]);
            return NULL;
        }
        uint64_t bytes;
        if (check_section(&l, what, level_off[k - 1], level_buckets[k - 1],
                          k == order || quant ? sizeof(xl_ngram_slot_top) : sizeof(xl_ngram_slot), &bytes, err) < 0)
            return NULL;
    }
    /* every section is inside the file, whose size fits in size_t: casts below are exact */
    if (!xl_host_is_little_endian()) {
        xl_bswap32_array(data + offs_off, (size_t)n + 1);
        xl_bswap32_array(data + table_off, (size_t)slots);
        xl_bswap32_array(data + uni_off, (size_t)n * 2);
        if (quant) xl_bswap32_array(data + centres_off, (size_t)centres_count);
        for (uint32_t k = 2; k <= order; k++)
            xl_bswap32_array(data + level_off[k - 1], (size_t)level_buckets[k - 1] * (k == order || quant ? 3 : 4));
    }
    /* the centres: probabilities are log10 values <= 0 (-inf allowed), backoffs not NaN or +inf, bin 0 of
     * the backoffs is the exact 0 of n-grams that are no context */
    const float *centres = quant ? (const float *)(const void *)(data + centres_off) : NULL;
    for (uint32_t k = 2, at = 0; quant && k <= order; k++) {
        for (uint32_t j = 0; j < (1u << pbits); j++, at++)
            if (isnan(centres[at]) || centres[at] > 0) {
                xl_fail(err, XL_ERR_FORMAT, "%s: %u-gram probability centre %u is %g, not a log10 probability", name,
                        k, j, (double)centres[at]);
                return NULL;
            }
        for (uint32_t j = 0; k < order && j < (1u << bbits); j++, at++)
            if (isnan(centres[at]) || (isinf(centres[at]) && centres[at] > 0) || (j == 0 && centres[at] != 0.0f)) {
                xl_fail(err, XL_ERR_FORMAT, "%s: %u-gram backoff centre %u is %g, not a log10 backoff%s", name, k, j,
                        (double)centres[at], j == 0 ? " (bin 0 must be 0)" : "");
                return NULL;
            }
    }
    const char *words = (const char *)data + words_off;
    const uint32_t *offs = (const uint32_t *)(const void *)(data + offs_off);
    const uint32_t *table = (const uint32_t *)(const void *)(data + table_off);
    const xl_ngram_unigram *uni = (const xl_ngram_unigram *)(const void *)(data + uni_off);
    if (offs[0] != 0 || offs[n] != words_bytes) {
        xl_fail(err, XL_ERR_FORMAT, "%s: word offsets run from %u to %u, not over the %llu bytes of words", name, offs[0],
                offs[n], (unsigned long long)words_bytes);
        return NULL;
    }
    for (uint32_t id = 0; id < n; id++) {
        if (offs[id + 1] <= offs[id] || offs[id + 1] > words_bytes || words[offs[id + 1] - 1] != '\0') {
            xl_fail(err, XL_ERR_FORMAT, "%s: word %u: [%u, %u) is not a NUL-terminated string", name, id, offs[id],
                    offs[id + 1]);
            return NULL;
        }
        const float p = uni[id].prob, b = uni[id].backoff;
        if (isnan(p) || p > 0 || isnan(b) || (isinf(b) && b > 0)) {
            xl_fail(err, XL_ERR_FORMAT, "%s: unigram %u: log10 p %g / backoff %g are not a log probability and a "
                    "backoff", name, id, (double)p, (double)b);
            return NULL;
        }
    }
    /* UTF-8: the words section is the words and their NULs back to back (the offsets above), and no
     * UTF-8 sequence holds or straddles a NUL, so the whole section is well-formed exactly when every
     * word is: one pass (a call per word was half of the load time); the word is found for the message. */
    {
        size_t bad;
        xl_utf8_status why;
        if (!xl_utf8_validate(words, (size_t)words_bytes, &bad, &why)) {
            uint32_t id = 0;
            while (id + 1 < n && offs[id + 1] <= bad) id++;
            xl_fail(err, XL_ERR_FORMAT, "%s: word %u: invalid UTF-8 at byte %zu (%s)", name, id,
                    bad - offs[id] + 1, xl_utf8_status_name(why));
            return NULL;
        }
    }
    static const char *const special[3] = {"<unk>", "<s>", "</s>"};
    const uint32_t special_id[3] = {0, bos, eos};
    for (int i = 0; i < 3; i++) {
        const uint32_t id = special_id[i];
        if (offs[id + 1] - offs[id] - 1 != strlen(special[i]) || memcmp(words + offs[id], special[i], strlen(special[i])) != 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: word %u should be %s", name, id, special[i]);
            return NULL;
        }
    }
    uint64_t used = 0;
    for (uint64_t i = 0; i < slots; i++) {
        if (table[i] > n) {
            xl_fail(err, XL_ERR_FORMAT, "%s: vocabulary table slot %llu holds id %u of %u words", name,
                    (unsigned long long)i, table[i] - 1, n);
            return NULL;
        }
        used += table[i] != 0;
    }
    if (used != n) {
        xl_fail(err, XL_ERR_FORMAT, "%s: vocabulary table holds %llu ids for %u words", name,
                (unsigned long long)used, n);
        return NULL;
    }

    xl_ngram_model *m = xl_calloc(1, sizeof *m, err);
    if (m == NULL) return NULL;
    m->from_binary = true;
    m->vocab = xl_calloc(1, sizeof *m->vocab, err);
    if (m->vocab == NULL) {
        free(m);
        return NULL;
    }
    xl_ngram_vocab *v = m->vocab;
    v->borrowed = true;
    v->arena.data = (char *)(data + words_off);
    v->arena.len = (size_t)words_bytes;
    v->offset = (uint32_t *)(void *)(data + offs_off);
    v->table = (uint32_t *)(void *)(data + table_off);
    v->size = v->cap = n;
    v->mask = (size_t)(slots - 1);
    m->order = (int)order;
    m->bos = bos;
    m->eos = eos;
    m->uni = (xl_ngram_unigram *)(void *)(data + uni_off);
    m->level[0].count = n;
    for (uint32_t k = 2; k <= order; k++) {
        xl_ngram_level *lv = &m->level[k - 1];
        lv->count = level_count[k - 1];
        lv->buckets = level_buckets[k - 1];
        lv->top = k == order;
        lv->table = data + level_off[k - 1];
        if (quant) { /* any q decodes inside the centres: the bins are read through masks */
            const size_t at = (size_t)(k - 2) * (((size_t)1 << pbits) + ((size_t)1 << bbits));
            lv->quant = true;
            lv->pbits = pbits;
            lv->pmask = (1u << pbits) - 1;
            lv->bmask = k < order ? (1u << bbits) - 1 : 0;
            lv->qprob = centres + at;
            lv->qback = k < order ? centres + at + ((size_t)1 << pbits) : NULL;
        }
    }
    return m;
}

xl_ngram_model *xl_ngram_model_parse_binary(const void *data, size_t len, const char *name, xl_error *err)
{
    unsigned char *copy = xl_aligned_alloc(len ? len : 1, err);
    if (copy == NULL) return NULL;
    if (len) memcpy(copy, data, len);
    xl_ngram_model *m = load_image(copy, len, name, err);
    if (m == NULL) {
        xl_aligned_free(copy);
        return NULL;
    }
    m->heap = copy;
    return m;
}

/* A mapped file: used in place on little-endian hosts, copied (to be swapped) elsewhere. */
static xl_ngram_model *load_mapped(xl_mapped_file *f, const char *path, xl_error *err)
{
    if (!xl_host_is_little_endian() || (uintptr_t)f->data % NG_ALIGN != 0) {
        xl_ngram_model *m = xl_ngram_model_parse_binary(f->data, f->size, path, err);
        xl_unmap_file(f);
        return m;
    }
    xl_ngram_model *m = load_image((unsigned char *)(uintptr_t)f->data, f->size, path, err);
    if (m == NULL) {
        xl_unmap_file(f);
        return NULL;
    }
    m->file = *f;
    return m;
}

static int check_binary_head(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    if (xl_ngram_is_binary(head, n)) return 0;
    return xl_fail(err, XL_ERR_FORMAT, "%s: not a binary n-gram model (magic is not %s)", path, NG_MAGIC);
}

/* A regular file is mapped whatever its size; a pipe or device is read up to
 * XL_READ_MAX_STREAM bytes and must start as a model (so /dev/zero fails at once). */
xl_ngram_model *xl_ngram_model_read_binary(const char *path, xl_error *err)
{
    xl_mapped_file f;
    if (xl_map_file_ex(&f, path, XL_READ_MAX_STREAM, "XL_READ_MAX_STREAM", 8, check_binary_head, err) < 0)
        return NULL;
    return load_mapped(&f, path, err);
}

xl_ngram_model *xl_ngram_model_read(const char *path, xl_error *err)
{
    xl_mapped_file f;
    if (xl_map_file_ex(&f, path, XL_READ_MAX_STREAM, "XL_READ_MAX_STREAM", XL_NGRAM_HEAD_MAX,
                       xl_ngram_check_model_head, err) < 0)
        return NULL;
    if (xl_ngram_is_binary(f.data, f.size)) return load_mapped(&f, path, err);
    xl_ngram_model *m = xl_ngram_model_parse_arpa_mapped(&f, path, false, err); /* scoring only: no n-gram lists */
    xl_unmap_file(&f);
    return m;
}

bool xl_ngram_model_is_binary(const xl_ngram_model *m)
{
    return m->from_binary;
}
