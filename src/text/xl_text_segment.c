/* xl_text_segment.c - script runs (UAX #24), word segmentation and the
 * maximum-matching dictionary of xl_text.h.
 *
 * Forward maximum matching (Wong & Chan 1996, "Chinese word segmentation
 * based on maximum matching and word binding force"): at each position of an
 * unspaced run take the longest dictionary word starting there, else one
 * character. */
#include <stdlib.h>
#include <string.h>

#include "xl_io.h"
#include "xl_text.h"
#include "xl_utf8.h"

bool xl_text_script_unspaced(xl_uc_script sc)
{
    switch (sc) {
    case XL_SC_HAN:
    case XL_SC_HIRAGANA:
    case XL_SC_KATAKANA:
    case XL_SC_BOPOMOFO:
    case XL_SC_THAI:
    case XL_SC_LAO:
    case XL_SC_KHMER:
    case XL_SC_MYANMAR:
    case XL_SC_TIBETAN:
        return true;
    default:
        return false;
    }
}

static bool is_real_script(xl_uc_script sc)
{
    return sc != XL_SC_COMMON && sc != XL_SC_INHERITED && sc != XL_SC_UNKNOWN;
}

int xl_text_script_runs(const char *s, size_t len, xl_script_run **runs, size_t *n_runs, xl_error *err)
{
    *runs = NULL;
    *n_runs = 0;
    if (len == 0) return 0;
    const unsigned char *p = (const unsigned char *)s;
    /* script of the first real-script character decides a leading Common run */
    xl_uc_script first = XL_SC_COMMON;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int k = xl_utf8_decode(p + i, len - i, &cp, NULL);
        xl_uc_script sc = xl_uc_script_of(cp);
        if (is_real_script(sc)) {
            first = sc;
            break;
        }
        i += (size_t)(k < 0 ? -k : k);
    }
    size_t cap = 8, n = 0;
    xl_script_run *r = xl_malloc(cap * sizeof *r, err);
    if (!r) return -1;
    r[0].begin = 0;
    r[0].script = first;
    n = 1;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int k = xl_utf8_decode(p + i, len - i, &cp, NULL);
        size_t adv = (size_t)(k < 0 ? -k : k);
        xl_uc_script sc = xl_uc_script_of(cp);
        if (is_real_script(sc) && sc != r[n - 1].script) {
            if (n == cap) {
                xl_script_run *q = xl_realloc(r, cap * 2, sizeof *r, err);
                if (!q) {
                    free(r);
                    return -1;
                }
                r = q;
                cap *= 2;
            }
            r[n - 1].end = i;
            r[n].begin = i;
            r[n].script = sc;
            n++;
        }
        i += adv;
    }
    r[n - 1].end = len;
    *runs = r;
    *n_runs = n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Dictionary: open-addressing hash set of code-point strings in one arena. */
struct xl_text_dict {
    uint32_t *arena; /* all words, concatenated */
    size_t arena_len, arena_cap;
    uint64_t *slots; /* (offset << 8 | length) + 1, 0 = empty; length <= 255 */
    size_t n_slots;  /* power of two */
    size_t n_words;
    size_t max_len;
};

#define DICT_MAX_WORD 255

static uint64_t hash_cps(const uint32_t *c, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, 64 bit */
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static bool slot_equals(const xl_text_dict *d, uint64_t slot, const uint32_t *c, size_t n)
{
    uint64_t v = slot - 1;
    size_t len = (size_t)(v & 0xFF), off = (size_t)(v >> 8);
    return len == n && memcmp(d->arena + off, c, n * sizeof *c) == 0;
}

bool xl_text_dict_contains(const xl_text_dict *d, const uint32_t *c, size_t n)
{
    if (!d || n == 0 || n > d->max_len || d->n_slots == 0) return false;
    size_t mask = d->n_slots - 1;
    for (size_t i = (size_t)hash_cps(c, n) & mask;; i = (i + 1) & mask) {
        uint64_t s = d->slots[i];
        if (s == 0) return false;
        if (slot_equals(d, s, c, n)) return true;
    }
}

static int dict_grow(xl_text_dict *d, xl_error *err)
{
    size_t n = d->n_slots ? d->n_slots * 2 : 1024;
    uint64_t *slots = xl_calloc(n, sizeof *slots, err);
    if (!slots) return -1;
    for (size_t i = 0; i < d->n_slots; i++) {
        uint64_t s = d->slots[i];
        if (!s) continue;
        uint64_t v = s - 1;
        size_t j = (size_t)hash_cps(d->arena + (v >> 8), (size_t)(v & 0xFF)) & (n - 1);
        while (slots[j]) j = (j + 1) & (n - 1);
        slots[j] = s;
    }
    free(d->slots);
    d->slots = slots;
    d->n_slots = n;
    return 0;
}

static int dict_add(xl_text_dict *d, const uint32_t *c, size_t n, xl_error *err)
{
    if (n == 0 || n > DICT_MAX_WORD) return 0; /* longer "words" cannot be matched usefully */
    if ((d->n_words + 1) * 2 > d->n_slots && dict_grow(d, err) < 0) return -1;
    size_t mask = d->n_slots - 1, i = (size_t)hash_cps(c, n) & mask;
    for (; d->slots[i]; i = (i + 1) & mask)
        if (slot_equals(d, d->slots[i], c, n)) return 0; /* duplicate */
    uint32_t *a = xl_array_reserve(d->arena, &d->arena_cap, d->arena_len + n, 4096, err);
    if (!a) return -1;
    d->arena = a;
#if SIZE_MAX > UINT32_MAX /* a 32-bit size_t cannot reach 2^55 (and -Wtype-limits says so) */
    if ((uint64_t)d->arena_len >= ((uint64_t)1 << 55)) return xl_fail(err, XL_ERR_LIMIT, "dictionary too large");
#endif
    memcpy(d->arena + d->arena_len, c, n * sizeof *c);
    d->slots[i] = (((uint64_t)d->arena_len << 8) | (uint64_t)n) + 1;
    d->arena_len += n;
    d->n_words++;
    if (n > d->max_len) d->max_len = n;
    return 0;
}

static int dict_add_line(xl_text_dict *d, const char *line, size_t len, xl_u32buf *a, xl_u32buf *b, xl_error *err)
{
    const char *tab = memchr(line, '\t', len);
    if (tab) len = (size_t)(tab - line);
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\r')) len--;
    while (len && *line == ' ') {
        line++;
        len--;
    }
    if (len == 0 || line[0] == '#') return 0;
    a->len = b->len = 0;
    if (xl_text_decode(line, len, a, err) < 0) return -1;
    if (xl_text_normalize_cps(a->data, a->len, XL_NORM_NFC, b, err) < 0) return -1;
    return dict_add(d, b->data, b->len, err);
}

int xl_text_dict_from_memory(const char *data, size_t len, xl_text_dict **out, xl_error *err)
{
    *out = NULL;
    xl_text_dict *d = xl_calloc(1, sizeof *d, err);
    if (!d) return -1;
    xl_u32buf a, b;
    xl_u32buf_init(&a);
    xl_u32buf_init(&b);
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - data) : len;
        if (dict_add_line(d, data + i, e - i, &a, &b, err) < 0) {
            xl_u32buf_free(&a);
            xl_u32buf_free(&b);
            xl_text_dict_free(d);
            return -1;
        }
        i = e + 1;
    }
    xl_u32buf_free(&a);
    xl_u32buf_free(&b);
    *out = d;
    return 0;
}

int xl_text_dict_load(const char *path, xl_text_dict **out, xl_error *err)
{
    *out = NULL;
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    xl_text_dict *d = xl_calloc(1, sizeof *d, err);
    if (!d) {
        xl_lines_close(&r);
        return -1;
    }
    xl_u32buf a, b;
    xl_u32buf_init(&a);
    xl_u32buf_init(&b);
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0)
        if (dict_add_line(d, line, len, &a, &b, err) < 0) {
            xl_error_prefix(err, "%s:%llu", path, (unsigned long long)r.lineno);
            rc = -1;
            break;
        }
    xl_lines_close(&r);
    xl_u32buf_free(&a);
    xl_u32buf_free(&b);
    if (rc < 0) {
        xl_text_dict_free(d);
        return -1;
    }
    *out = d;
    return 0;
}

size_t xl_text_dict_size(const xl_text_dict *d) { return d ? d->n_words : 0; }
size_t xl_text_dict_max_len(const xl_text_dict *d) { return d ? d->max_len : 0; }

void xl_text_dict_free(xl_text_dict *d)
{
    if (!d) return;
    free(d->arena);
    free(d->slots);
    free(d);
}

/* ------------------------------------------------------------------------ */
/* Segmentation. */

static bool is_break_space(uint32_t cp) { return cp == ' ' || xl_uc_has(cp, XL_UCP_WHITE_SPACE); }

static bool is_punct(uint32_t cp)
{
    xl_uc_gc gc = xl_uc_category(cp);
    return XL_GC_IN(gc, XL_GC_MASK_P) || XL_GC_IN(gc, XL_GC_MASK_S);
}

static bool is_letter(uint32_t cp) { return XL_GC_IN(xl_uc_category(cp), XL_GC_MASK_L | XL_GC_MASK_M); }

/* An apostrophe or hyphen between two letters stays inside the word
 * ("don't", "aujourd'hui", "well-known"). */
static bool is_word_joiner(const uint32_t *c, size_t n, size_t j)
{
    uint32_t cp = c[j];
    bool joiner = cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010;
    return joiner && j > 0 && j + 1 < n && is_letter(c[j - 1]) && is_letter(c[j + 1]);
}

/* Characters that belong to an unspaced-script token run: letters of those
 * scripts plus their combining marks (Thai vowels and tone marks are Mn). */
static bool is_unspaced_char(uint32_t cp)
{
    return xl_text_script_unspaced(xl_uc_script_of(cp)) && !is_punct(cp) && !is_break_space(cp);
}

static int emit(xl_u32buf *out, const uint32_t *c, size_t n, xl_error *err)
{
    if (n == 0) return 0;
    if (out->len && xl_u32buf_push(out, ' ', err) < 0) return -1;
    if (xl_u32buf_reserve(out, n, err) < 0) return -1;
    memcpy(out->data + out->len, c, n * sizeof *c);
    out->len += n;
    return 0;
}

/* One unspaced run c[0..n): per character (combining marks stay with their
 * base) or by forward maximum matching. */
static int segment_unspaced(const uint32_t *c, size_t n, xl_segment_mode mode, const xl_text_dict *dict,
                            xl_u32buf *out, xl_error *err)
{
    size_t i = 0;
    while (i < n) {
        size_t take = 1;
        if (mode == XL_SEG_MAXMATCH && dict) {
            size_t max = xl_text_dict_max_len(dict);
            if (max > n - i) max = n - i;
            for (size_t k = max; k >= 2; k--)
                if (xl_text_dict_contains(dict, c + i, k)) {
                    take = k;
                    break;
                }
        }
        /* never split a base from its following combining marks */
        while (i + take < n && XL_GC_IN(xl_uc_category(c[i + take]), XL_GC_MASK_M)) take++;
        if (emit(out, c + i, take, err) < 0) return -1;
        i += take;
    }
    return 0;
}

int xl_text_segment(const char *s, size_t len, xl_segment_mode mode, const xl_text_dict *dict, xl_buf *out,
                    xl_error *err)
{
    if (mode == XL_SEG_NONE) return xl_buf_append(out, s, len, err);
    if (mode == XL_SEG_MAXMATCH && !dict)
        return xl_fail(err, XL_ERR_USAGE, "maximum-matching segmentation needs a dictionary");
    xl_u32buf in, nfc, res;
    xl_u32buf_init(&in);
    xl_u32buf_init(&nfc);
    xl_u32buf_init(&res);
    int rc = -1;
    if (xl_text_decode(s, len, &in, err) < 0) goto done;
    /* dictionary words are NFC: match against NFC text */
    if (mode == XL_SEG_MAXMATCH) {
        if (xl_text_normalize_cps(in.data, in.len, XL_NORM_NFC, &nfc, err) < 0) goto done;
    } else {
        xl_u32buf t = in;
        in = nfc;
        nfc = t;
    }
    const uint32_t *c = nfc.data;
    size_t n = nfc.len;
    for (size_t i = 0; i < n;) {
        uint32_t cp = c[i];
        if (is_break_space(cp)) {
            i++;
        } else if (is_unspaced_char(cp)) {
            size_t j = i + 1;
            while (j < n && (is_unspaced_char(c[j]) || (XL_GC_IN(xl_uc_category(c[j]), XL_GC_MASK_M) &&
                                                        !is_break_space(c[j]))))
                j++;
            if (segment_unspaced(c + i, j - i, mode, dict, &res, err) < 0) goto done;
            i = j;
        } else if (is_punct(cp)) {
            if (emit(&res, c + i, 1, err) < 0) goto done;
            i++;
        } else {
            size_t j = i + 1;
            while (j < n && !is_break_space(c[j]) && !is_unspaced_char(c[j]) &&
                   (!is_punct(c[j]) || is_word_joiner(c, n, j)))
                j++;
            if (emit(&res, c + i, j - i, err) < 0) goto done;
            i = j;
        }
    }
    rc = xl_text_encode(res.data, res.len, out, err);
done:
    xl_u32buf_free(&in);
    xl_u32buf_free(&nfc);
    xl_u32buf_free(&res);
    return rc;
}
