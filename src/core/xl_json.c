/* xl_json.c - see xl_json.h.
 *
 * An iterative (explicit-stack) recursive-descent parser over the grammar of
 * RFC 8259, so a hostile nesting depth can never overflow the C stack even
 * when the caller raises max_depth.  Nodes, strings, member/item arrays and
 * hash indexes live in one arena of a few large chunks.  Children of an open
 * container are collected on a scratch stack and copied into the arena as a
 * contiguous array when the container closes (count known by then).
 */
#include "xl_json.h"

#include <locale.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_utf8.h"

#define DEFAULT_MAX_DEPTH 512
#define DEFAULT_MAX_INPUT ((size_t)1 << 30)
/* Objects with more members than this cannot be indexed by uint32_t. */
#define MAX_OBJECT_MEMBERS ((size_t)1 << 30)

/* ---------------------------------------------------------------- arena -- */

typedef struct arena_chunk {
    struct arena_chunk *prev;
    size_t cap;  /* bytes in data */
    size_t used; /* bytes handed out */
    max_align_t data[];
} arena_chunk;

struct xl_json_doc {
    arena_chunk *chunks; /* newest first */
    size_t next_chunk;   /* size of the next chunk to allocate */
    xl_json *root;
};

#define ARENA_ALIGN (alignof(xl_json))

static void *arena_alloc(xl_json_doc *doc, size_t size, xl_error *err)
{
    arena_chunk *c = doc->chunks;
    size_t start = c ? (c->used + (ARENA_ALIGN - 1)) & ~(ARENA_ALIGN - 1) : 0;
    if (c == NULL || start > c->cap || c->cap - start < size) {
        size_t cap = doc->next_chunk;
        if (cap < size) cap = size;
        size_t total;
        if (!xl_add_size(cap, sizeof(arena_chunk), &total)) {
            xl_fail(err, XL_ERR_NOMEM, "JSON document too large");
            return NULL;
        }
        arena_chunk *n = xl_malloc(total, err);
        if (n == NULL) return NULL;
        n->prev = c;
        n->cap = cap;
        n->used = 0;
        doc->chunks = c = n;
        if (doc->next_chunk < ((size_t)1 << 28)) doc->next_chunk *= 2;
        start = 0;
    }
    c->used = start + size;
    return (unsigned char *)c->data + start;
}

/* Give back the unused tail of the most recent allocation p (old_size bytes). */
static void arena_shrink_last(xl_json_doc *doc, void *p, size_t old_size, size_t new_size)
{
    arena_chunk *c = doc->chunks;
    if (c && (unsigned char *)p + old_size == (unsigned char *)c->data + c->used) c->used -= old_size - new_size;
}

void xl_json_free(xl_json_doc *doc)
{
    if (doc == NULL) return;
    arena_chunk *c = doc->chunks;
    while (c) {
        arena_chunk *prev = c->prev;
        free(c);
        c = prev;
    }
    free(doc);
}

const xl_json *xl_json_root(const xl_json_doc *doc)
{
    return doc ? doc->root : NULL;
}

/* --------------------------------------------------------------- parser -- */

typedef struct {
    const char *key; /* NULL for array items */
    size_t key_len;
    size_t key_off; /* byte offset of the key's opening quote */
    xl_json *value;
} entry;

typedef struct {
    xl_json *node;
    size_t first;             /* index in entries of the first child */
    const char *parent_key;   /* key under which node goes into its parent */
    size_t parent_key_len, parent_key_off;
} frame;

typedef struct {
    const unsigned char *s;
    size_t len;
    size_t pos;
    xl_json_doc *doc;
    xl_error *err;
    xl_json_dup_policy dup;
    entry *entries;
    size_t n_entries, cap_entries;
    frame *frames;
    size_t n_frames, cap_frames;
    xl_buf scratch; /* long numbers */
} parser;

/* "line L, column C (byte B): <msg>" for the byte offset `at`.  Columns count
 * code points (bytes that are not UTF-8 continuation bytes). */
static int fail_at(parser *p, size_t at, xl_error_code code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int fail_at(parser *p, size_t at, xl_error_code code, const char *fmt, ...)
{
    if (at > p->len) at = p->len;
    unsigned long long line = 1, col = 1;
    for (size_t i = 0; i < at; i++) {
        unsigned char c = p->s[i];
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xC0) != 0x80) {
            col++;
        }
    }
    char what[XL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return xl_fail(p->err, code, "line %llu, column %llu (byte %zu): %s", line, col, at, what);
}

/* A printable description of the byte at pos (or end of input). */
static const char *describe(const parser *p, size_t pos, char buf[16])
{
    if (pos >= p->len) return "end of input";
    unsigned char c = p->s[pos];
    if (c >= 0x20 && c < 0x7F) snprintf(buf, 16, "'%c'", c);
    else snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

static int unexpected(parser *p, const char *expected)
{
    char buf[16];
    return fail_at(p, p->pos, XL_ERR_FORMAT, "expected %s, found %s", expected, describe(p, p->pos, buf));
}

static inline void skip_ws(parser *p)
{
    const unsigned char *s = p->s;
    size_t i = p->pos, n = p->len;
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++;
    p->pos = i;
}

static xl_json *new_node(parser *p, xl_json_type type, size_t offset)
{
    xl_json *v = arena_alloc(p->doc, sizeof *v, p->err);
    if (v == NULL) return NULL;
    memset(v, 0, sizeof *v);
    v->type = type;
    v->offset = offset;
    return v;
}

/* 1 for bytes the string scanner must look at: '"', '\\', controls, non-ASCII. */
static const unsigned char special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static int hex4(parser *p, size_t at, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t k = 0; k < 4; k++) {
        if (at + k >= p->len) return fail_at(p, p->len, XL_ERR_FORMAT, "unexpected end of input in \\u escape");
        unsigned char c = p->s[at + k];
        uint32_t d;
        if (c >= '0' && c <= '9') d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (uint32_t)(c - 'A' + 10);
        else {
            char buf[16];
            return fail_at(p, at + k, XL_ERR_FORMAT, "invalid \\u escape: expected a hex digit, found %s",
                           describe(p, at + k, buf));
        }
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

/* Parse the string whose opening quote is at p->pos; the decoded text goes to
 * the arena (NUL-terminated).  Two passes: find the closing quote (an upper
 * bound on the decoded size), then validate and decode. */
static int parse_string(parser *p, const char **out, size_t *out_len)
{
    const unsigned char *s = p->s;
    size_t n = p->len, start = p->pos + 1, i = start;
    /* pass 1: the closing quote */
    bool simple = true;
    for (;;) {
        while (i < n && !special[s[i]]) i++;
        if (i >= n) return fail_at(p, p->pos, XL_ERR_FORMAT, "unterminated string");
        if (s[i] == '"') break;
        simple = false;
        i += (s[i] == '\\') ? 2 : 1;
    }
    size_t end = i, raw = end - start;
    char *dst = arena_alloc(p->doc, raw + 1, p->err);
    if (dst == NULL) return -1;
    if (simple) {
        memcpy(dst, s + start, raw);
        dst[raw] = '\0';
        *out = dst;
        *out_len = raw;
        p->pos = end + 1;
        return 0;
    }
    /* pass 2: validate and decode */
    size_t o = 0;
    i = start;
    while (i < end) {
        size_t run = i;
        while (i < end && !special[s[i]]) i++;
        memcpy(dst + o, s + run, i - run);
        o += i - run;
        if (i >= end) break;
        unsigned char c = s[i];
        if (c >= 0x80) {
            uint32_t cp;
            xl_utf8_status why;
            int k = xl_utf8_decode(s + i, n - i, &cp, &why);
            if (k < 0) return fail_at(p, i, XL_ERR_FORMAT, "invalid UTF-8 in string (%s)", xl_utf8_status_name(why));
            memcpy(dst + o, s + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
            continue;
        }
        if (c < 0x20)
            return fail_at(p, i, XL_ERR_FORMAT, "control character U+%04X in string must be escaped", (unsigned)c);
        /* c == '\\' (a '"' inside [start, end) is always escaped) */
        size_t esc = i;
        unsigned char e = s[i + 1];
        i += 2;
        switch (e) {
        case '"': dst[o++] = '"'; break;
        case '\\': dst[o++] = '\\'; break;
        case '/': dst[o++] = '/'; break;
        case 'b': dst[o++] = '\b'; break;
        case 'f': dst[o++] = '\f'; break;
        case 'n': dst[o++] = '\n'; break;
        case 'r': dst[o++] = '\r'; break;
        case 't': dst[o++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (hex4(p, i, &cp) < 0) return -1;
            i += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail_at(p, esc, XL_ERR_FORMAT, "lone low surrogate \\u%04X in string", (unsigned)cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (i + 1 >= end || s[i] != '\\' || s[i + 1] != 'u')
                    return fail_at(p, esc, XL_ERR_FORMAT,
                                   "lone high surrogate \\u%04X in string (not followed by a low surrogate)",
                                   (unsigned)cp);
                if (hex4(p, i + 2, &lo) < 0) return -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail_at(p, esc, XL_ERR_FORMAT,
                                   "lone high surrogate \\u%04X in string (followed by \\u%04X)", (unsigned)cp,
                                   (unsigned)lo);
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += xl_utf8_encode(cp, (unsigned char *)dst + o);
            break;
        }
        default: {
            char buf[16];
            return fail_at(p, esc, XL_ERR_FORMAT, "invalid escape '\\' followed by %s", describe(p, esc + 1, buf));
        }
        }
    }
    dst[o] = '\0';
    arena_shrink_last(p->doc, dst, raw + 1, o + 1);
    *out = dst;
    *out_len = o;
    p->pos = end + 1;
    return 0;
}

static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* strtod on a NUL-terminated copy, honouring a locale whose decimal point is
 * not '.' (the JSON text always uses '.'). */
static int slow_double(parser *p, size_t start, size_t len, double *out)
{
    xl_buf_clear(&p->scratch);
    if (xl_buf_append(&p->scratch, p->s + start, len, p->err) < 0) return -1;
    char *buf = p->scratch.data, *end;
    double v = strtod(buf, &end);
    if (end != buf + len) {
        const char *dp = localeconv()->decimal_point;
        char *dot = strchr(buf, '.');
        if (dot && dp && strlen(dp) == 1) *dot = dp[0];
        v = strtod(buf, &end);
        if (end != buf + len) return fail_at(p, start, XL_ERR_FORMAT, "cannot convert number");
    }
    *out = v;
    return 0;
}

static int parse_number(parser *p, xl_json **out)
{
    const unsigned char *s = p->s;
    size_t n = p->len, start = p->pos, i = start;
    bool neg = false;
    if (s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n || s[i] < '0' || s[i] > '9') {
        char buf[16];
        return fail_at(p, i, XL_ERR_FORMAT, "expected a digit after '-', found %s", describe(p, i, buf));
    }
    uint64_t mant = 0; /* decimal digits of integer and fraction, while they fit */
    int digits = 0;    /* significant digits accumulated into mant */
    bool mant_exact = true;
    int64_t exp10 = 0; /* value = mant * 10^exp10 when mant_exact */
    if (s[i] == '0') {
        i++;
        if (i < n && s[i] >= '0' && s[i] <= '9')
            return fail_at(p, start, XL_ERR_FORMAT, "leading zeros are not allowed in numbers");
    } else {
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (digits < 19) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                digits++;
            } else {
                mant_exact = false;
            }
            i++;
        }
    }
    bool integral = true;
    if (i < n && s[i] == '.') {
        integral = false;
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') {
            char buf[16];
            return fail_at(p, i, XL_ERR_FORMAT, "expected a digit after '.', found %s", describe(p, i, buf));
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (digits < 19 && mant_exact) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                if (mant) digits++;
                exp10--;
            } else if (s[i] != '0') {
                mant_exact = false;
            }
            i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        integral = false;
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9') {
            char buf[16];
            return fail_at(p, i, XL_ERR_FORMAT, "expected a digit in the exponent, found %s", describe(p, i, buf));
        }
        int64_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (e < 100000) e = e * 10 + (s[i] - '0');
            i++;
        }
        exp10 += eneg ? -e : e;
    }
    size_t len = i - start;
    xl_json *v = new_node(p, XL_JSON_NUMBER, start);
    if (v == NULL) return -1;
    if (integral && mant_exact) {
        /* exact int64 when it fits: mant has all the digits (<= 19) */
        if (!neg && mant <= (uint64_t)INT64_MAX) {
            v->u.number.is_int = true;
            v->u.number.int_value = (int64_t)mant;
        } else if (neg && mant <= (uint64_t)INT64_MAX + 1u) {
            v->u.number.is_int = true;
            v->u.number.int_value = (mant == (uint64_t)INT64_MAX + 1u) ? INT64_MIN : -(int64_t)mant;
        }
    }
    double d = 0.0;
    if (v->u.number.is_int) {
        d = (double)v->u.number.int_value;
        if (neg && mant == 0) d = -0.0;
    } else if (mant_exact && mant <= ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
        /* Clinger's fast path: both factors exact, one correctly rounded op */
        d = (double)mant;
        d = exp10 < 0 ? d / exact_pow10[-exp10] : d * exact_pow10[exp10];
        if (neg) d = -d;
    } else {
        if (slow_double(p, start, len, &d) < 0) return -1;
        if (!isfinite(d))
            return fail_at(p, start, XL_ERR_FORMAT, "number '%.*s%s' out of range", len > 40 ? 40 : (int)len,
                           (const char *)s + start, len > 40 ? "..." : "");
    }
    v->u.number.value = d;
    p->pos = i;
    *out = v;
    return 0;
}

static int parse_literal(parser *p, xl_json **out)
{
    static const char *const words[3] = {"true", "false", "null"};
    const unsigned char c = p->s[p->pos];
    int w = c == 't' ? 0 : c == 'f' ? 1 : 2;
    size_t wl = strlen(words[w]);
    if (p->len - p->pos < wl || memcmp(p->s + p->pos, words[w], wl) != 0) {
        /* find where it goes wrong, for the message */
        size_t k = 0;
        while (k < wl && p->pos + k < p->len && p->s[p->pos + k] == (unsigned char)words[w][k]) k++;
        char buf[16];
        return fail_at(p, p->pos + k, XL_ERR_FORMAT, "invalid literal (expected '%s'), found %s", words[w],
                       describe(p, p->pos + k, buf));
    }
    xl_json *v = new_node(p, w == 2 ? XL_JSON_NULL : XL_JSON_BOOL, p->pos);
    if (v == NULL) return -1;
    v->u.boolean = (w == 0);
    p->pos += wl;
    *out = v;
    return 0;
}

static int push_entry(parser *p, const char *key, size_t key_len, size_t key_off, xl_json *value)
{
    if (p->n_entries == p->cap_entries) {
        size_t cap = p->cap_entries ? p->cap_entries * 2 : 256;
        entry *e = xl_realloc(p->entries, cap, sizeof *e, p->err);
        if (e == NULL) return -1;
        p->entries = e;
        p->cap_entries = cap;
    }
    p->entries[p->n_entries++] = (entry){key, key_len, key_off, value};
    return 0;
}

static uint64_t hash_key(const char *k, size_t n)
{
    /* FNV-1a, then a final avalanche (keys are short; this is not a hot loop) */
    uint64_t h = xl_fnv1a64(k, n);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static size_t index_size(size_t count)
{
    size_t cap = 32;
    while (cap < 2 * count) cap *= 2;
    return cap;
}

static bool same_key(const xl_json_member *m, const char *key, size_t len)
{
    return m->key_len == len && memcmp(m->key, key, len) == 0;
}

/* Look a key up among members[0..count) (index may be NULL). */
static const xl_json_member *find_member(const xl_json_member *members, size_t count, const uint32_t *index,
                                         size_t cap, const char *key, size_t len)
{
    if (index) {
        size_t mask = cap - 1;
        for (size_t h = (size_t)hash_key(key, len) & mask;; h = (h + 1) & mask) {
            uint32_t slot = index[h];
            if (slot == 0) return NULL;
            if (same_key(&members[slot - 1], key, len)) return &members[slot - 1];
        }
    }
    for (size_t i = 0; i < count; i++)
        if (same_key(&members[i], key, len)) return &members[i];
    return NULL;
}

static void index_insert(uint32_t *index, size_t cap, const char *key, size_t len, uint32_t slot)
{
    size_t mask = cap - 1;
    size_t h = (size_t)hash_key(key, len) & mask;
    while (index[h] != 0) h = (h + 1) & mask;
    index[h] = slot;
}

static void print_key(char *buf, size_t size, const char *key, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < size; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c >= 0x20 && c != 0x7F) buf[o++] = (char)c;
        else o += (size_t)snprintf(buf + o, size - o, "\\x%02X", c);
    }
    if (o + 5 >= size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

/* Move the children of the top frame from the scratch stack into the arena. */
static int close_container(parser *p, frame *f)
{
    xl_json *node = f->node;
    size_t count = p->n_entries - f->first;
    entry *ents = p->entries + f->first;
    if (count == 0) return 0;
    if (node->type == XL_JSON_ARRAY) {
        size_t bytes;
        if (!xl_mul_size(count, sizeof(xl_json *), &bytes))
            return fail_at(p, node->offset, XL_ERR_NOMEM, "array too large");
        xl_json **items = arena_alloc(p->doc, bytes, p->err);
        if (items == NULL) return -1;
        for (size_t i = 0; i < count; i++) items[i] = ents[i].value;
        node->u.array.items = items;
        node->u.array.count = count;
        return 0;
    }
    if (count > MAX_OBJECT_MEMBERS)
        return fail_at(p, node->offset, XL_ERR_LIMIT, "object with more than %zu members", MAX_OBJECT_MEMBERS);
    /* count <= 2^30 and cap <= 2^31: no overflow on 64-bit hosts; checked for 32-bit */
    size_t bytes;
    if (!xl_mul_size(count, sizeof(xl_json_member), &bytes))
        return fail_at(p, node->offset, XL_ERR_NOMEM, "object too large");
    xl_json_member *members = arena_alloc(p->doc, bytes, p->err);
    if (members == NULL) return -1;
    uint32_t *index = NULL;
    size_t cap = 0;
    if (count >= XL_JSON_INDEX_MIN) {
        cap = index_size(count);
        if (!xl_mul_size(cap, sizeof *index, &bytes)) return fail_at(p, node->offset, XL_ERR_NOMEM, "object too large");
        index = arena_alloc(p->doc, bytes, p->err);
        if (index == NULL) return -1;
        memset(index, 0, cap * sizeof *index);
    }
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const entry *e = &ents[i];
        xl_json_member *prev = (xl_json_member *)find_member(members, n, index, cap, e->key, e->key_len);
        if (prev) {
            if (p->dup == XL_JSON_DUP_ERROR) {
                char shown[80];
                print_key(shown, sizeof shown, e->key, e->key_len);
                return fail_at(p, e->key_off, XL_ERR_FORMAT, "duplicate key \"%s\"", shown);
            }
            if (p->dup == XL_JSON_DUP_LAST_WINS) prev->value = e->value;
            continue;
        }
        members[n] = (xl_json_member){e->key, e->key_len, e->value};
        if (index) index_insert(index, cap, e->key, e->key_len, (uint32_t)(n + 1));
        n++;
    }
    node->u.object.members = members;
    node->u.object.count = n;
    if (index && n >= XL_JSON_INDEX_MIN && index_size(n) == cap) {
        node->u.object.index = index;
    } else if (index && n >= XL_JSON_INDEX_MIN) {
        /* duplicates shrank the object so the table size no longer follows
         * from count: rebuild at the right size */
        size_t cap2 = index_size(n);
        uint32_t *index2 = arena_alloc(p->doc, cap2 * sizeof *index2, p->err);
        if (index2 == NULL) return -1;
        memset(index2, 0, cap2 * sizeof *index2);
        for (size_t i = 0; i < n; i++) index_insert(index2, cap2, members[i].key, members[i].key_len, (uint32_t)(i + 1));
        node->u.object.index = index2;
    }
    return 0;
}

static int push_frame(parser *p, xl_json *node, const char *key, size_t key_len, size_t key_off)
{
    if (p->n_frames == p->cap_frames) {
        size_t cap = p->cap_frames ? p->cap_frames * 2 : 64;
        frame *f = xl_realloc(p->frames, cap, sizeof *f, p->err);
        if (f == NULL) return -1;
        p->frames = f;
        p->cap_frames = cap;
    }
    p->frames[p->n_frames++] = (frame){node, p->n_entries, key, key_len, key_off};
    return 0;
}

static int run(parser *p, size_t max_depth)
{
    const char *key = NULL; /* pending key of the value about to be parsed */
    size_t key_len = 0, key_off = 0;
    xl_json *value = NULL;
    const unsigned char *s = p->s;

next_value:
    skip_ws(p);
    if (p->pos >= p->len) return fail_at(p, p->pos, XL_ERR_FORMAT, "unexpected end of input (expected a value)");
    switch (s[p->pos]) {
    case '{':
    case '[': {
        bool is_obj = s[p->pos] == '{';
        if (p->n_frames >= max_depth)
            return fail_at(p, p->pos, XL_ERR_LIMIT, "nesting deeper than %zu levels", max_depth);
        xl_json *node = new_node(p, is_obj ? XL_JSON_OBJECT : XL_JSON_ARRAY, p->pos);
        if (node == NULL || push_frame(p, node, key, key_len, key_off) < 0) return -1;
        p->pos++;
        skip_ws(p);
        if (p->pos < p->len && s[p->pos] == (is_obj ? '}' : ']')) {
            p->pos++;
            p->n_frames--;
            value = node;
            goto have_value;
        }
        if (is_obj) goto object_key;
        key = NULL;
        goto next_value;
    }
    case '"': {
        size_t at = p->pos;
        const char *str;
        size_t n;
        if (parse_string(p, &str, &n) < 0) return -1;
        value = new_node(p, XL_JSON_STRING, at);
        if (value == NULL) return -1;
        value->u.string.data = str;
        value->u.string.len = n;
        break;
    }
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        if (parse_number(p, &value) < 0) return -1;
        break;
    case 't':
    case 'f':
    case 'n':
        if (parse_literal(p, &value) < 0) return -1;
        break;
    case 0xEF:
        if (p->pos == 0 && p->len >= 3 && s[1] == 0xBB && s[2] == 0xBF)
            return fail_at(p, 0, XL_ERR_FORMAT, "UTF-8 byte order mark is not allowed");
        return unexpected(p, "a value");
    case ']':
    case '}':
        if (p->n_frames > 0 && p->frames[p->n_frames - 1].first < p->n_entries)
            return unexpected(p, "a value after ',' (trailing comma?)");
        return unexpected(p, "a value");
    default:
        return unexpected(p, "a value");
    }

have_value:
    if (p->n_frames == 0) {
        p->doc->root = value;
        skip_ws(p);
        if (p->pos < p->len) {
            char buf[16];
            return fail_at(p, p->pos, XL_ERR_FORMAT, "unexpected %s after the JSON value",
                           describe(p, p->pos, buf));
        }
        return 0;
    }
    {
        frame *f = &p->frames[p->n_frames - 1];
        bool is_obj = f->node->type == XL_JSON_OBJECT;
        if (push_entry(p, is_obj ? key : NULL, key_len, key_off, value) < 0) return -1;
        skip_ws(p);
        if (p->pos < p->len && s[p->pos] == ',') {
            p->pos++;
            if (is_obj) goto object_key;
            key = NULL;
            goto next_value;
        }
        if (p->pos < p->len && s[p->pos] == (is_obj ? '}' : ']')) {
            p->pos++;
            if (close_container(p, f) < 0) return -1;
            p->n_entries = f->first;
            value = f->node;
            key = f->parent_key;
            key_len = f->parent_key_len;
            key_off = f->parent_key_off;
            p->n_frames--;
            goto have_value;
        }
        return unexpected(p, is_obj ? "',' or '}' after an object member" : "',' or ']' after an array element");
    }

object_key:
    skip_ws(p);
    if (p->pos >= p->len || s[p->pos] != '"') {
        if (p->pos < p->len && s[p->pos] == '}' && p->frames[p->n_frames - 1].first < p->n_entries)
            return unexpected(p, "a string key after ',' (trailing comma?)");
        return unexpected(p, "a string key");
    }
    key_off = p->pos;
    if (parse_string(p, &key, &key_len) < 0) return -1;
    skip_ws(p);
    if (p->pos >= p->len || s[p->pos] != ':') return unexpected(p, "':' after an object key");
    p->pos++;
    goto next_value;
}

int xl_json_parse(const char *text, size_t len, const xl_json_limits *limits, xl_json_doc **doc, xl_error *err)
{
    *doc = NULL;
    size_t max_depth = (limits && limits->max_depth) ? limits->max_depth : DEFAULT_MAX_DEPTH;
    size_t max_input = (limits && limits->max_input) ? limits->max_input : DEFAULT_MAX_INPUT;
    if (len > max_input)
        return xl_fail(err, XL_ERR_LIMIT, "JSON input of %zu bytes exceeds the limit of %zu bytes", len, max_input);
    if (text == NULL && len > 0) return xl_fail(err, XL_ERR_USAGE, "JSON input is NULL");
    xl_json_doc *d = xl_calloc(1, sizeof *d, err);
    if (d == NULL) return -1;
    /* first chunk ~ 3 bytes of tree per byte of text (tokenizer.json: 2.5 MB
     * of text -> ~8 MB of nodes), capped; later chunks double */
    size_t guess = len < ((size_t)1 << 24) ? 3 * len : ((size_t)1 << 26);
    d->next_chunk = guess < 4096 ? 4096 : guess;
    parser p = {(const unsigned char *)text, len, 0, d, err, limits ? limits->duplicates : XL_JSON_DUP_ERROR,
                NULL, 0, 0, NULL, 0, 0, {NULL, 0, 0}};
    if (p.dup != XL_JSON_DUP_ERROR && p.dup != XL_JSON_DUP_LAST_WINS && p.dup != XL_JSON_DUP_FIRST_WINS) {
        xl_json_free(d);
        return xl_fail(err, XL_ERR_USAGE, "invalid duplicate-key policy %d", (int)p.dup);
    }
    int rc = run(&p, max_depth);
    free(p.entries);
    free(p.frames);
    xl_buf_free(&p.scratch);
    if (rc < 0) {
        xl_json_free(d);
        return -1;
    }
    *doc = d;
    return 0;
}

/* ------------------------------------------------------------ accessors -- */

const xl_json *xl_json_get(const xl_json *object, const char *key)
{
    if (object == NULL || key == NULL || object->type != XL_JSON_OBJECT) return NULL;
    const xl_json_member *m = find_member(object->u.object.members, object->u.object.count, object->u.object.index,
                                          object->u.object.index ? index_size(object->u.object.count) : 0, key,
                                          strlen(key));
    return m ? m->value : NULL;
}

const xl_json *xl_json_at(const xl_json *array, size_t index)
{
    if (array == NULL || array->type != XL_JSON_ARRAY || index >= array->u.array.count) return NULL;
    return array->u.array.items[index];
}

size_t xl_json_count(const xl_json *v)
{
    if (v == NULL) return 0;
    if (v->type == XL_JSON_ARRAY) return v->u.array.count;
    if (v->type == XL_JSON_OBJECT) return v->u.object.count;
    return 0;
}

bool xl_json_is(const xl_json *v, xl_json_type type)
{
    return v != NULL && v->type == type;
}

const char *xl_json_string(const xl_json *v)
{
    return (v && v->type == XL_JSON_STRING) ? v->u.string.data : NULL;
}

bool xl_json_get_int(const xl_json *object, const char *key, int64_t *out)
{
    const xl_json *v = xl_json_get(object, key);
    if (v == NULL || v->type != XL_JSON_NUMBER) return false;
    if (v->u.number.is_int) {
        *out = v->u.number.int_value;
        return true;
    }
    /* 768.0 or 1e3: integral and exactly representable */
    double d = v->u.number.value;
    if (d == floor(d) && fabs(d) <= 9007199254740992.0) {
        *out = (int64_t)d;
        return true;
    }
    return false;
}

bool xl_json_get_double(const xl_json *object, const char *key, double *out)
{
    const xl_json *v = xl_json_get(object, key);
    if (v == NULL || v->type != XL_JSON_NUMBER) return false;
    *out = v->u.number.value;
    return true;
}

bool xl_json_get_bool(const xl_json *object, const char *key, bool *out)
{
    const xl_json *v = xl_json_get(object, key);
    if (v == NULL || v->type != XL_JSON_BOOL) return false;
    *out = v->u.boolean;
    return true;
}

const char *xl_json_get_string(const xl_json *object, const char *key)
{
    return xl_json_string(xl_json_get(object, key));
}

const char *xl_json_type_name(xl_json_type type)
{
    switch (type) {
    case XL_JSON_NULL: return "null";
    case XL_JSON_BOOL: return "boolean";
    case XL_JSON_NUMBER: return "number";
    case XL_JSON_STRING: return "string";
    case XL_JSON_ARRAY: return "array";
    case XL_JSON_OBJECT: return "object";
    }
    return "unknown";
}

int xl_json_put_string(xl_buf *b, const char *s, size_t n, xl_error *err)
{
    if (xl_buf_putc(b, '"', err) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '"') rc = xl_buf_append(b, "\\\"", 2, err);
        else if (c == '\\') rc = xl_buf_append(b, "\\\\", 2, err);
        else if (c == '\n') rc = xl_buf_append(b, "\\n", 2, err);
        else if (c == '\r') rc = xl_buf_append(b, "\\r", 2, err);
        else if (c == '\t') rc = xl_buf_append(b, "\\t", 2, err);
        else if (c < 0x20) rc = xl_buf_printf(b, err, "\\u%04x", c);
        else rc = xl_buf_putc(b, (char)c, err);
        if (rc < 0) return -1;
    }
    return xl_buf_putc(b, '"', err);
}

int xl_json_put_cstr(xl_buf *b, const char *s, xl_error *err)
{
    return xl_json_put_string(b, s, strlen(s), err);
}
