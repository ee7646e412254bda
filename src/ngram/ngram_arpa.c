/* ngram_arpa.c - ARPA back-off model files (Doug Paul's format as written by
 * SRILM's ngram-count and KenLM's lmplz), read strictly and written as lmplz
 * writes them.
 *
 *   \data\
 *   ngram 1=C1            one line per order, orders 1..N consecutive
 *   ...
 *   \1-grams:
 *   log10p<TAB>w1[<TAB>log10backoff]      exactly C1 lines
 *   ...
 *   \N-grams:             highest order: no backoff field
 *   \end\
 *
 * Reader rules (each violation is an error "FILE:LINE: what"): lines before
 * \data\ are ignored (SRILM may put a comment there); counts must be decimal;
 * a section must have exactly its declared number of lines; fields are
 * separated by TABs or spaces; probabilities must be numbers <= 0 (-inf
 * allowed), backoffs finite numbers or -inf; values <= -99 mean log10(0);
 * words must be UTF-8 and, above order 1, be unigrams; an n-gram may not repeat;
 * <s> and </s> must be unigrams; a missing <unk> is added with log10 p = -100
 * (KenLM does the same).  Nothing after \end\ is read.
 */
#include "ngram_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_io.h"
#include "xl_parse.h"
#include "xl_platform.h"
#include "xl_utf8.h"

#if defined(__GNUC__) || defined(__clang__)
#define XL_PREFETCH(p) __builtin_prefetch(p)
#else
#define XL_PREFETCH(p) ((void)(p))
#endif

typedef struct {
    const char *data, *end, *pos;
    const char *name;
    uint64_t lineno;
    const char *line;
    size_t len;
} reader_t;

/* Next line (without "\n" and a trailing "\r"); false at end of data. */
static bool next_line(reader_t *r)
{
    if (r->pos >= r->end) return false;
    const char *nl = memchr(r->pos, '\n', (size_t)(r->end - r->pos));
    const char *stop = nl ? nl : r->end;
    r->line = r->pos;
    r->len = (size_t)(stop - r->pos);
    if (r->len > 0 && r->line[r->len - 1] == '\r') r->len--;
    r->pos = nl ? nl + 1 : r->end;
    r->lineno++;
    return true;
}

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t') return false;
    return true;
}

/* The line without trailing spaces/TABs equals `want`. */
static bool line_is(const reader_t *r, const char *want)
{
    size_t len = r->len;
    while (len > 0 && (r->line[len - 1] == ' ' || r->line[len - 1] == '\t')) len--;
    return len == strlen(want) && memcmp(r->line, want, len) == 0;
}

/* A short printable excerpt of the current line for messages. */
static const char *excerpt(const reader_t *r, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->len && n + 5 < cap; i++) {
        unsigned char c = (unsigned char)r->line[i];
        if (c >= 0x20 && c < 0x7f) buf[n++] = (char)c;
        else n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", c);
    }
    if (r->len > 0 && n + 5 >= cap) n = (size_t)snprintf(buf + n, cap - n, "...") + n;
    buf[n < cap ? n : cap - 1] = '\0';
    return buf;
}

/* The common ARPA number, [-]digits[.digits][e[-]digits] with at most 19
 * digits and a decimal exponent within +-22, read exactly: the digits as an
 * integer m < 2^53 and one multiplication or division by 10^|e| (exact as a
 * double), so one IEEE rounding gives the correctly rounded double, what
 * strtod gives (Clinger 1990, "How to read floating point numbers
 * accurately", the fast path).  False: anything else (strtod decides). */
static bool fast_decimal(const char *s, size_t len, double *out)
{
    static const double pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    const bool neg = len > 0 && s[0] == '-';
    i += neg;
    uint64_t m = 0;
    int digits = 0, frac = 0;
    bool any = false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, any = true) {
        if (m == 0 && s[i] == '0') continue; /* leading zeros carry no digit */
        if (++digits > 19) return false;
        m = m * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, any = true) {
            frac++;
            if (m == 0 && s[i] == '0') continue;
            if (++digits > 19) return false;
            m = m * 10 + (uint64_t)(s[i] - '0');
        }
    }
    if (!any) return false;
    int e = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        const bool eneg = i < len && s[i] == '-';
        if (i < len && (s[i] == '-' || s[i] == '+')) i++;
        if (i >= len) return false;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            e = e * 10 + (s[i] - '0');
            if (e > 100) return false;
        }
        if (eneg) e = -e;
    }
    if (i != len || m > ((uint64_t)1 << 53)) return false;
    e -= frac;
    if (e < -22 || e > 22) return false;
    double v = (double)m;
    v = e < 0 ? v / pow10[-e] : v * pow10[e];
    *out = neg ? -v : v;
    return true;
}

/* Table inserts wait INSERT_AHEAD entries after their slot was requested
 * (each is a cache miss in a large table); they happen in file order all the
 * same, so the tables are those of inserting at once. */
enum { INSERT_AHEAD = 8 };
typedef struct {
    uint64_t key;
    float prob, backoff;
    reader_t at; /* the line, for the duplicate's message */
} pending_insert_t;

static int insert_pending(xl_ngram_model *m, int k, const pending_insert_t *p, xl_error *err)
{
    if (xl_ngram_model_insert(m, k, p->key, p->prob, p->backoff)) return 0;
    char ex[128];
    return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: duplicate %d-gram '%s'", p->at.name, (unsigned long long)p->at.lineno,
                   k, excerpt(&p->at, ex, sizeof ex));
}

static int parse_value(reader_t *r, const char *s, size_t len, const char *what, bool is_prob, float *out,
                       xl_error *err)
{
    double v;
    xl_error perr;
    if (!fast_decimal(s, len, &v) && (xl_parse_double(s, len, true, &v, &perr) < 0 || isnan(v) || (isinf(v) && v > 0)))
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: %s '%.*s' is not a number", r->name,
                       (unsigned long long)r->lineno, what, (int)(len > 40 ? 40 : len), s);
    if (is_prob && v > 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: positive log10 probability %.*s", r->name,
                       (unsigned long long)r->lineno, (int)(len > 40 ? 40 : len), s);
    if (v <= XL_NGRAM_LOG_ZERO_ARPA) {
        *out = -INFINITY;
        return 0;
    }
    if (isinf((float)v))
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: %s '%.*s' is out of the float range", r->name,
                       (unsigned long long)r->lineno, what, (int)(len > 40 ? 40 : len), s);
    *out = (float)v;
    return 0;
}

/* keep_ids: keep each order's n-gram list (needed to write ARPA again; a
 * model only scored does without it: 4k bytes per k-gram).  mapped: the text
 * is this mapped file; its pages are released as the parse passes them, so the
 * text is never resident all at once. */
static xl_ngram_model *parse_arpa(const char *data, size_t len, const char *name, bool keep_ids,
                                  const xl_mapped_file *mapped, xl_error *err)
{
    size_t released = 0;
    uint32_t one[XL_NGRAM_MAX_ORDER];
    reader_t r = {data, data + len, data, name, 0, NULL, 0};
    char ex[96];
    uint64_t counts[XL_NGRAM_MAX_ORDER] = {0};
    int order = 0;
    xl_ngram_model *m = NULL;
    xl_ngram_vocab *vocab = NULL;
    uint32_t *ids = NULL;

    bool found = false;
    while (next_line(&r)) {
        if (line_is(&r, "\\data\\")) {
            found = true;
            break;
        }
    }
    if (!found) {
        xl_fail(err, XL_ERR_FORMAT, "%s: not an ARPA file: no \\data\\ line", name);
        return NULL;
    }
    /* ngram K=C lines */
    bool have_line = false;
    while ((have_line = next_line(&r))) {
        if (is_blank(r.line, r.len)) {
            if (order > 0) break;
            continue;
        }
        if (r.len < 6 || memcmp(r.line, "ngram ", 6) != 0) break;
        const char *eq = memchr(r.line, '=', r.len);
        int64_t k;
        uint64_t c;
        xl_error perr;
        if (eq == NULL || xl_parse_i64(r.line + 6, (size_t)(eq - r.line - 6), &k, &perr) < 0 ||
            xl_parse_u64(eq + 1, r.len - (size_t)(eq + 1 - r.line), &c, &perr) < 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: malformed count line '%s' (want 'ngram N=COUNT')", name,
                    (unsigned long long)r.lineno, excerpt(&r, ex, sizeof ex));
            return NULL;
        }
        if (k != order + 1) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected 'ngram %d=...', got order %lld", name,
                    (unsigned long long)r.lineno, order + 1, (long long)k);
            return NULL;
        }
        if (k > XL_NGRAM_MAX_ORDER) {
            xl_fail(err, XL_ERR_LIMIT, "%s:%llu: order %lld above the supported maximum %d", name,
                    (unsigned long long)r.lineno, (long long)k, XL_NGRAM_MAX_ORDER);
            return NULL;
        }
        /* every entry needs at least 4 bytes ("0\tw\n"): bound counts by the file size */
        if (c > (uint64_t)len / 4 + 1) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: count %llu is larger than the file could hold", name,
                    (unsigned long long)r.lineno, (unsigned long long)c);
            return NULL;
        }
        if (c == 0 && k == 1) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: no unigrams", name, (unsigned long long)r.lineno);
            return NULL;
        }
        counts[order++] = c;
    }
    if (order == 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s:%llu: no 'ngram N=COUNT' lines after \\data\\", name,
                (unsigned long long)r.lineno);
        return NULL;
    }
    uint64_t alloc_counts[XL_NGRAM_MAX_ORDER];
    for (int i = 0; i < order; i++) alloc_counts[i] = counts[i] + (i == 0); /* room for a missing <unk> */
    m = xl_ngram_model_alloc(order, alloc_counts, err);
    vocab = xl_ngram_vocab_new_empty(err);
    if (m == NULL || vocab == NULL) goto fail;
    uint32_t unk;
    if (xl_ngram_vocab_intern(vocab, "<unk>", 5, &unk, err) < 0) goto fail;
    bool unk_seen = false;
    for (uint64_t i = 0; i < alloc_counts[0]; i++) m->uni[i].prob = NAN; /* marks unigrams not yet read */

    for (int k = 1; k <= order; k++) {
        /* section header; the blank line after the counts was consumed already for k == 1 */
        if (k > 1 || !have_line || is_blank(r.line, r.len)) {
            have_line = false;
            while (next_line(&r)) {
                if (!is_blank(r.line, r.len)) {
                    have_line = true;
                    break;
                }
            }
        }
        char header[32];
        snprintf(header, sizeof header, "\\%d-grams:", k);
        if (!have_line) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: missing section %s (end of file)", name,
                    (unsigned long long)r.lineno, header);
            goto fail;
        }
        if (!line_is(&r, header)) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected section header %s, got '%s'", name,
                    (unsigned long long)r.lineno, header, excerpt(&r, ex, sizeof ex));
            goto fail;
        }
        if (k > 1 && keep_ids) {
            size_t bytes;
            if (!xl_mul_size((size_t)counts[k - 1], (size_t)k * sizeof(uint32_t), &bytes)) {
                xl_fail(err, XL_ERR_NOMEM, "%s: %d-gram count overflows", name, k);
                goto fail;
            }
            ids = xl_malloc(bytes, err);
            if (ids == NULL) goto fail;
        }
        pending_insert_t pending[INSERT_AHEAD];
        const char *prev_word[XL_NGRAM_MAX_ORDER];
        size_t prev_len[XL_NGRAM_MAX_ORDER];
        uint32_t prev_id[XL_NGRAM_MAX_ORDER];
        for (uint64_t e = 0; e < counts[k - 1]; e++) {
            if (mapped != NULL && (size_t)(r.pos - data) - released >= ((size_t)16 << 20)) {
                const size_t upto = (size_t)(r.pos - data) & ~(((size_t)1 << 20) - 1);
                xl_mapped_file_release(mapped, data + released, upto - released);
                released = upto;
            }
            if (!next_line(&r) || is_blank(r.line, r.len) || r.line[0] == '\\') {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: section \\%d-grams: has %llu entries, the header says %llu",
                        name, (unsigned long long)r.lineno, k, (unsigned long long)e,
                        (unsigned long long)counts[k - 1]);
                goto fail;
            }
            size_t bad;
            xl_utf8_status why;
            if (!xl_utf8_validate(r.line, r.len, &bad, &why)) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: invalid UTF-8 at byte %zu (%s)", name,
                        (unsigned long long)r.lineno, bad + 1, xl_utf8_status_name(why));
                goto fail;
            }
            /* fields: prob, k words, optional backoff */
            const char *fs[XL_NGRAM_MAX_ORDER + 3];
            size_t fl[XL_NGRAM_MAX_ORDER + 3];
            int nf = 0;
            size_t i = 0;
            while (i < r.len) {
                while (i < r.len && (r.line[i] == ' ' || r.line[i] == '\t')) i++;
                if (i >= r.len) break;
                size_t s = i;
                while (i < r.len && r.line[i] != ' ' && r.line[i] != '\t') i++;
                if (nf == k + 2) {
                    nf++;
                    break;
                }
                fs[nf] = r.line + s;
                fl[nf] = i - s;
                nf++;
            }
            if (nf < k + 1 || nf > k + 2) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: a %d-gram line needs %d or %d fields, got %s'%s'", name,
                        (unsigned long long)r.lineno, k, k + 1, k + 2, nf > k + 2 ? "more: " : "", excerpt(&r, ex, sizeof ex));
                goto fail;
            }
            if (nf == k + 2 && k == order) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: backoff on a highest-order (%d-gram) entry", name,
                        (unsigned long long)r.lineno, k);
                goto fail;
            }
            float prob, backoff = 0.0f;
            if (parse_value(&r, fs[0], fl[0], "log10 probability", true, &prob, err) < 0) goto fail;
            if (nf == k + 2 && parse_value(&r, fs[k + 1], fl[k + 1], "log10 backoff", false, &backoff, err) < 0)
                goto fail;
            if (k == 1) {
                uint32_t id;
                size_t before = xl_ngram_vocab_size(vocab);
                if (xl_ngram_vocab_intern(vocab, fs[1], fl[1], &id, err) < 0) goto fail;
                bool is_new = xl_ngram_vocab_size(vocab) > before || (id == unk && !unk_seen);
                if (!is_new) {
                    xl_fail(err, XL_ERR_FORMAT, "%s:%llu: duplicate unigram '%.*s'", name,
                            (unsigned long long)r.lineno, (int)(fl[1] > 60 ? 60 : fl[1]), fs[1]);
                    goto fail;
                }
                if (id == unk) unk_seen = true;
                m->uni[id].prob = prob;
                m->uni[id].backoff = backoff;
            } else {
                uint32_t *g = keep_ids ? ids + e * (uint64_t)k : one;
                for (int j = 0; j < k; j++) {
                    /* lmplz writes each order in suffix order: the last words mostly repeat the
                     * previous line's, so that line's words (same position) are compared first */
                    if (e > 0 && fl[1 + j] == prev_len[j] && memcmp(fs[1 + j], prev_word[j], prev_len[j]) == 0) {
                        g[j] = prev_id[j];
                        continue;
                    }
                    uint32_t id = xl_ngram_vocab_find(vocab, fs[1 + j], fl[1 + j]);
                    if (id == unk && !(fl[1 + j] == 5 && memcmp(fs[1 + j], "<unk>", 5) == 0)) {
                        xl_fail(err, XL_ERR_FORMAT, "%s:%llu: word '%.*s' is not in the unigram section", name,
                                (unsigned long long)r.lineno, (int)(fl[1 + j] > 60 ? 60 : fl[1 + j]), fs[1 + j]);
                        goto fail;
                    }
                    g[j] = id;
                }
                for (int j = 0; j < k; j++) { /* the text stays readable for the whole parse */
                    prev_word[j] = fs[1 + j];
                    prev_len[j] = fl[1 + j];
                    prev_id[j] = g[j];
                }
                pending_insert_t *slot = &pending[e % INSERT_AHEAD];
                if (e >= INSERT_AHEAD && insert_pending(m, k, slot, err) < 0) goto fail; /* entry e - AHEAD */
                slot->key = xl_ngram_key_of(g, k);
                slot->prob = prob;
                slot->backoff = backoff;
                slot->at = r;
                const xl_ngram_level *tl = &m->level[k - 1];
                const uint64_t home = xl_ngram_bucket_of(slot->key, tl->buckets);
                XL_PREFETCH(xl_ngram_level_narrow(tl) ? (const void *)((const xl_ngram_slot_top *)tl->table + home)
                                                      : (const void *)((const xl_ngram_slot *)tl->table + home));
            }
        }
        if (k > 1) {
            const uint64_t n = counts[k - 1], from = n > INSERT_AHEAD ? n - INSERT_AHEAD : 0;
            for (uint64_t e = from; e < n; e++)
                if (insert_pending(m, k, &pending[e % INSERT_AHEAD], err) < 0) goto fail;
            m->level[k - 1].ids = ids;
            ids = NULL;
        }
        /* the next line must not be another entry of this section */
        have_line = false;
        while (next_line(&r)) {
            if (!is_blank(r.line, r.len)) {
                have_line = true;
                break;
            }
        }
        if (have_line && r.line[0] != '\\') {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: section \\%d-grams: has more entries than the header's %llu", name,
                    (unsigned long long)r.lineno, k, (unsigned long long)counts[k - 1]);
            goto fail;
        }
        if (k < order && have_line) {
            /* put the header line back for the next iteration */
            r.pos = r.line;
            r.lineno--;
        }
    }
    if (!have_line || !line_is(&r, "\\end\\")) {
        if (have_line)
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected \\end\\, got '%s'", name, (unsigned long long)r.lineno,
                    excerpt(&r, ex, sizeof ex));
        else
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: missing \\end\\", name, (unsigned long long)r.lineno);
        goto fail;
    }
    if (!unk_seen) {
        /* KenLM: "The ARPA file is missing <unk>.  Substituting log10 probability -100.0." */
        m->uni[unk].prob = -100.0f;
        m->uni[unk].backoff = 0.0f;
    }
    m->level[0].count = xl_ngram_vocab_size(vocab);
    m->bos = xl_ngram_vocab_find(vocab, "<s>", 3);
    m->eos = xl_ngram_vocab_find(vocab, "</s>", 4);
    if (m->bos == unk || m->eos == unk) {
        xl_fail(err, XL_ERR_FORMAT, "%s: the unigram section has no %s", name, m->bos == unk ? "<s>" : "</s>");
        goto fail;
    }
    m->vocab = vocab;
    return m;
fail:
    free(ids);
    xl_ngram_vocab_free(vocab);
    xl_ngram_model_free(m);
    return NULL;
}

xl_ngram_model *xl_ngram_model_parse_arpa(const char *data, size_t len, const char *name, xl_error *err)
{
    return parse_arpa(data, len, name, true, NULL, err);
}

xl_ngram_model *xl_ngram_model_parse_arpa_mapped(const xl_mapped_file *f, const char *name, bool keep_ids,
                                                 xl_error *err)
{
    return parse_arpa((const char *)f->data, f->size, name, keep_ids, f, err);
}

static int check_arpa_head(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    static const char tag[] = "\\data\\";
    const size_t tl = sizeof tag - 1;
    for (size_t i = 0; i + tl <= n; i++)
        if (head[i] == '\\' && memcmp(head + i, tag, tl) == 0) return 0;
    return xl_fail(err, XL_ERR_FORMAT, "%s: not an ARPA file: no \\data\\ line in the first %zu bytes", path, n);
}

int xl_ngram_check_model_head(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    if (xl_ngram_is_binary(head, n)) return 0;
    return check_arpa_head(head, n, path, err);
}

xl_ngram_model *xl_ngram_model_read_arpa(const char *path, xl_error *err)
{
    /* Parsed in place from a mapping (no copy of the text).  A regular file is mapped whatever its
     * size; a pipe or device is read up to XL_READ_MAX_STREAM and must show a \\data\\ line within
     * its first XL_NGRAM_HEAD_MAX bytes (so /dev/zero fails at once). */
    xl_mapped_file f;
    if (xl_map_file_ex(&f, path, XL_READ_MAX_STREAM, "XL_READ_MAX_STREAM", XL_NGRAM_HEAD_MAX, check_arpa_head, err) <
        0)
        return NULL;
    xl_ngram_model *m = parse_arpa((const char *)f.data, f.size, path, true, &f, err);
    xl_unmap_file(&f);
    return m;
}

/* ARPA value: "-99" for log10(0), else the shortest float form (lmplz). */
static size_t arpa_value(float v, char *buf)
{
    if (isinf(v) && v < 0) return (size_t)sprintf(buf, "-99");
    return xl_ngram_format_float(v, buf);
}

/* One ARPA line written straight into the buffer (no call per field: this
 * is most of the time of writing a large model). */
static int put_ngram(const xl_ngram_vocab *v, xl_buf *out, const uint32_t *g, int k, float prob, float backoff,
                     bool with_backoff, xl_error *err)
{
    size_t need = 2 * 40 + 3 + (size_t)k;
    for (int j = 0; j < k; j++) need += (size_t)(v->offset[g[j] + 1] - v->offset[g[j]]);
    if (xl_buf_reserve(out, need, err) < 0) return -1;
    char *o = out->data + out->len;
    o += arpa_value(prob, o);
    *o++ = '\t';
    for (int j = 0; j < k; j++) {
        const size_t wl = (size_t)(v->offset[g[j] + 1] - v->offset[g[j]] - 1);
        if (j > 0) *o++ = ' ';
        memcpy(o, v->arena.data + v->offset[g[j]], wl);
        o += wl;
    }
    if (with_backoff) {
        *o++ = '\t';
        o += arpa_value(backoff, o);
    }
    *o++ = '\n';
    *o = '\0';
    out->len = (size_t)(o - out->data);
    return 0;
}

/* Flush `out` to f once it passes 1 MiB (always when `all`), so that a big
 * model is never all in memory as text; nothing when f is NULL. */
static int arpa_flush(xl_buf *out, FILE *f, const char *path, bool all, xl_error *err)
{
    if (f == NULL || (!all && out->len < ((size_t)1 << 20))) return 0;
    if (xl_fwrite_exact(out->data, out->len, f, path, err) < 0) return -1;
    xl_buf_clear(out);
    return 0;
}

int xl_ngram_arpa_header(int order, const uint64_t *counts, xl_buf *out, xl_error *err)
{
    if (xl_buf_printf(out, err, "\\data\\\n") < 0) return -1;
    for (int k = 1; k <= order; k++)
        if (xl_buf_printf(out, err, "ngram %d=%llu\n", k, (unsigned long long)counts[k - 1]) < 0) return -1;
    return 0;
}

int xl_ngram_arpa_section(const xl_ngram_vocab *v, int k, bool with_backoff, uint64_t n, const uint32_t *ids,
                          const float *logp, const float *logb, xl_buf *out, FILE *f, const char *path, xl_error *err)
{
    if (xl_buf_printf(out, err, "\n\\%d-grams:\n", k) < 0) return -1;
    for (uint64_t e = 0; e < n; e++) {
        if (put_ngram(v, out, ids + e * (uint64_t)k, k, logp[e], with_backoff ? logb[e] : 0.0f, with_backoff, err) < 0)
            return -1;
        if (arpa_flush(out, f, path, false, err) < 0) return -1;
    }
    return 0;
}

int xl_ngram_arpa_end(xl_buf *out, FILE *f, const char *path, xl_error *err)
{
    if (xl_buf_printf(out, err, "\n\\end\\\n") < 0) return -1;
    return arpa_flush(out, f, path, true, err);
}

/* Append the ARPA text of a model to `out` (flushed to f as it grows when f
 * is non-NULL). */
static int emit_arpa(const xl_ngram_model *m, xl_buf *out, FILE *f, const char *path, xl_error *err)
{
    if (m->order > 1 && m->level[1].ids == NULL)
        return xl_fail(err, XL_ERR_USAGE,
                       "this model keeps no n-gram list to write as ARPA (it was read from a binary file, whose "
                       "probing tables hold only hashes, as KenLM's, or read for scoring only)");
    uint64_t counts[XL_NGRAM_MAX_ORDER];
    for (int k = 1; k <= m->order; k++) counts[k - 1] = m->level[k - 1].count;
    if (xl_ngram_arpa_header(m->order, counts, out, err) < 0) return -1;
    for (int k = 1; k <= m->order; k++) {
        if (xl_buf_printf(out, err, "\n\\%d-grams:\n", k) < 0) return -1;
        const bool bo = k < m->order;
        const xl_ngram_level *lv = &m->level[k - 1];
        for (uint64_t e = 0; e < lv->count; e++) {
            if (k == 1) {
                uint32_t id = (uint32_t)e;
                if (put_ngram(m->vocab, out, &id, 1, m->uni[id].prob, m->uni[id].backoff, bo, err) < 0) return -1;
            } else {
                const uint32_t *g = lv->ids + e * (uint64_t)k;
                if (e + 8 < lv->count) { /* the table is probed in list order: request slots early */
                    const uint64_t b = xl_ngram_bucket_of(xl_ngram_key_of(g + 8 * (uint64_t)k, k), lv->buckets);
                    XL_PREFETCH(xl_ngram_level_narrow(lv) ? (const void *)((const xl_ngram_slot_top *)lv->table + b)
                                        : (const void *)((const xl_ngram_slot *)lv->table + b));
                }
                float prob, backoff;
                if (!xl_ngram_probe(lv, xl_ngram_key_of(g, k), &prob, &backoff))
                    return xl_fail(err, XL_ERR_GENERIC, "internal error: %d-gram %llu not in its table", k,
                                   (unsigned long long)e);
                if (put_ngram(m->vocab, out, g, k, prob, backoff, bo, err) < 0) return -1;
            }
            if (arpa_flush(out, f, path, false, err) < 0) return -1;
        }
    }
    return xl_ngram_arpa_end(out, f, path, err);
}

int xl_ngram_model_format_arpa(const xl_ngram_model *m, xl_buf *out, xl_error *err)
{
    return emit_arpa(m, out, NULL, NULL, err);
}

int xl_ngram_model_write_arpa(const xl_ngram_model *m, const char *path, xl_error *err)
{
    xl_output out;
    if (xl_output_open(&out, path, err) < 0) return -1;
    xl_buf b;
    xl_buf_init(&b);
    int rc = emit_arpa(m, &b, out.f, path, err);
    xl_buf_free(&b);
    if (rc < 0) {
        xl_output_abort(&out);
        return -1;
    }
    return xl_output_commit(&out, err);
}
