/* wordpiece_normalize.c - steps 2 and 3 of wordpiece.c (see wordpiece.h): HF BertNormalizer
 * (clean_text, handle_chinese_chars, strip_accents = NFD + drop Mn, lowercase) and BertPreTokenizer
 * (split on whitespace, isolate punctuation), with the per-encoding scratch memory they fill. */
#include <stdlib.h>
#include <string.h>

#include "wordpiece_internal.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_platform.h"
#include "xl_unicode.h"
#include "xl_utf8.h"

/* ------------------------------------------------------------------------ */
/* scratch memory, owned by the encoding */

void xl_wp_scratch_free(scratch *s)
{
    if (!s) return;
    free(s->cp);
    free(s->src0);
    free(s->src1);
    free(s->word);
    free(s->bound);
    free(s->toks[0]);
    free(s->toks[1]);
    free(s);
}

int xl_wp_grow(void **p, size_t *cap, size_t need, size_t elem, xl_error *err)
{
    if (need <= *cap) return 0;
    void *q = xl_array_reserve_at(*p, cap, need, elem, 64, err, __FILE__, __LINE__);
    if (!q) return -1;
    *p = q;
    return 0;
}

int xl_wp_reserve_cp(scratch *s, size_t need, xl_error *err)
{
    if (need <= s->cap_cp) return 0;
    size_t c0 = s->cap_cp, c1 = s->cap_cp, c2 = s->cap_cp;
    if (xl_wp_grow((void **)&s->cp, &c0, need, sizeof *s->cp, err) < 0) return -1;
    if (xl_wp_grow((void **)&s->src0, &c1, need, sizeof *s->src0, err) < 0) return -1;
    if (xl_wp_grow((void **)&s->src1, &c2, need, sizeof *s->src1, err) < 0) return -1;
    s->cap_cp = c0;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* step 2: BertNormalizer over text[a, b) -> s->cp with source spans */

int xl_wp_normalize_segment(const xl_wordpiece *wp, const char *text, size_t a, size_t b, scratch *s, xl_error *err)
{
    const bool clean = wp->opts.clean_text, cjk = wp->opts.tokenize_chinese_chars, strip = wp->strip_accents,
               lower = wp->opts.lowercase;
    s->n_cp = 0;
    /* worst case per input byte: 3 code points (CJK: ' ' c ' '); NFD and
     * lowercase may expand more, checked as we go */
    size_t need;
    if (!xl_mul_size(b - a, 3, &need) || !xl_add_size(need, 16, &need))
        return xl_fail(err, XL_ERR_NOMEM, "wordpiece: text too long");
    if (xl_wp_reserve_cp(s, need, err) < 0) return -1;
    bool reorder = false;
    size_t i = a;
    while (i < b) {
        uint32_t cp;
        size_t start = i;
        unsigned char c0 = (unsigned char)text[i];
        if (c0 < 0x80) {
            cp = c0;
            i++;
        } else {
            int r = xl_utf8_decode((const unsigned char *)text + i, b - i, &cp, NULL);
            i += (size_t)(r > 0 ? r : -r);
        }
        unsigned cls = char_class(wp, cp);
        if (clean) {
            if (cls & XL_BERT_CONTROL) continue;
            if (cls & XL_BERT_WHITESPACE) {
                cp = ' ';
                cls = wp->ascii_class[' '];
            }
        }
        if (s->n_cp + XL_UC_DECOMP_MAX * XL_UC_CASE_MAX + 3 > s->cap_cp &&
            xl_wp_reserve_cp(s, s->n_cp + XL_UC_DECOMP_MAX * XL_UC_CASE_MAX + 3 + (b - i) * 3, err) < 0)
            return -1;
        size_t k = s->n_cp;
        bool spaced = cjk && (cls & XL_BERT_CJK);
        if (spaced) {
            /* ' ' c ' '; c itself then goes through NFD below (U+F900.. decompose) */
            s->cp[k] = ' ', s->src0[k] = start, s->src1[k] = i;
            s->n_cp = ++k;
            if (!strip) {
                s->cp[k] = cp, s->src0[k] = start, s->src1[k] = i;
                s->cp[k + 1] = ' ', s->src0[k + 1] = start, s->src1[k + 1] = i;
                s->n_cp = k + 2;
                continue;
            }
        }
        if (strip && cp >= 0x80) {
            /* NFD (the library's Unicode 9.0 data); marks are reordered and
             * removed after the whole segment is decomposed */
            uint32_t d[XL_UC_DECOMP_MAX];
            size_t nd = (cls & XL_BERT_NFD_CHANGES) ? xl_uc_bert_decompose(cp, d) : (d[0] = cp, 1);
            for (size_t j = 0; j < nd; j++) {
                s->cp[k] = d[j], s->src0[k] = start, s->src1[k] = i;
                if (xl_uc_bert_ccc(d[j])) reorder = true;
                k++;
            }
            if (spaced) s->cp[k] = ' ', s->src0[k] = start, s->src1[k] = i, k++;
            s->n_cp = k;
            continue;
        }
        if (lower && !strip && (cls & XL_BERT_LOWER_CHANGES)) {
            uint32_t m[XL_UC_CASE_MAX];
            size_t nm = xl_uc_bert_lower(cp, m);
            for (size_t j = 0; j < nm; j++) s->cp[k] = m[j], s->src0[k] = start, s->src1[k] = i, k++;
            s->n_cp = k;
            continue;
        }
        s->cp[k] = cp, s->src0[k] = start, s->src1[k] = i;
        s->n_cp = k + 1;
    }
    if (!strip) return 0;
    if (reorder) {
        /* canonical ordering (D109) with the library's combining classes;
         * the spans travel with their code points */
        for (size_t x = 1; x < s->n_cp; x++) {
            uint8_t c = xl_uc_bert_ccc(s->cp[x]);
            if (c == 0) continue;
            uint32_t v = s->cp[x];
            size_t v0 = s->src0[x], v1 = s->src1[x];
            size_t y = x;
            while (y > 0) {
                uint8_t p = xl_uc_bert_ccc(s->cp[y - 1]);
                if (p == 0 || p <= c) break;
                s->cp[y] = s->cp[y - 1], s->src0[y] = s->src0[y - 1], s->src1[y] = s->src1[y - 1];
                y--;
            }
            s->cp[y] = v, s->src0[y] = v0, s->src1[y] = v1;
        }
    }
    /* drop non-spacing marks, then lowercase (BertNormalizer order) */
    size_t out = 0;
    size_t n = s->n_cp;
    for (size_t x = 0; x < n; x++) {
        uint32_t cp = s->cp[x];
        unsigned cls = char_class(wp, cp);
        if (cls & XL_BERT_NONSPACING) continue;
        if (lower && (cls & XL_BERT_LOWER_CHANGES)) {
            uint32_t m[XL_UC_CASE_MAX];
            size_t nm = xl_uc_bert_lower(cp, m);
            if (nm > 1 && out + nm > x + 1) {
                /* expansion would overwrite unread input: shift the rest right */
                size_t extra = nm - 1;
                if (xl_wp_reserve_cp(s, n + extra + 1, err) < 0) return -1;
                memmove(s->cp + x + 1 + extra, s->cp + x + 1, (n - x - 1) * sizeof *s->cp);
                memmove(s->src0 + x + 1 + extra, s->src0 + x + 1, (n - x - 1) * sizeof *s->src0);
                memmove(s->src1 + x + 1 + extra, s->src1 + x + 1, (n - x - 1) * sizeof *s->src1);
                size_t a0 = s->src0[x], a1 = s->src1[x];
                for (size_t j = 0; j < nm; j++) s->cp[out] = m[j], s->src0[out] = a0, s->src1[out] = a1, out++;
                x += extra;
                n += extra;
                continue;
            }
            size_t a0 = s->src0[x], a1 = s->src1[x];
            for (size_t j = 0; j < nm; j++) s->cp[out] = m[j], s->src0[out] = a0, s->src1[out] = a1, out++;
            continue;
        }
        s->cp[out] = cp, s->src0[out] = s->src0[x], s->src1[out] = s->src1[x];
        out++;
    }
    s->n_cp = out;
    return 0;
}

int xl_wordpiece_normalize(const xl_wordpiece *wp, const char *text, size_t len, char **out, size_t *out_len,
                        xl_error *err)
{
    scratch *s = xl_calloc(1, sizeof *s, err);
    if (!s) return -1;
    int rc = xl_wp_normalize_segment(wp, text, 0, len, s, err);
    xl_buf b;
    xl_buf_init(&b);
    for (size_t k = 0; rc == 0 && k < s->n_cp; k++) {
        unsigned char u[4];
        size_t m = xl_utf8_encode(s->cp[k], u);
        rc = xl_buf_append(&b, u, m, err);
    }
    xl_wp_scratch_free(s);
    if (rc == 0 && !b.data) rc = xl_buf_reserve(&b, 1, err);
    if (rc < 0) {
        xl_buf_free(&b);
        return -1;
    }
    *out = b.data;
    *out_len = b.len;
    return 0;
}

int xl_wordpiece_pre_tokenize(const xl_wordpiece *wp, const char *text, size_t len, xl_wordpiece_encoding *e,
                           xl_wordpiece_word_fn fn, void *ctx, xl_error *err)
{
    if (!e->scratch) {
        e->scratch = xl_calloc(1, sizeof(scratch), err);
        if (!e->scratch) return -1;
    }
    scratch *s = e->scratch;
    if (xl_wp_normalize_segment(wp, text ? text : "", 0, text ? len : 0, s, err) < 0) return -1;
    size_t n = s->n_cp;
    if (xl_wp_grow((void **)&s->word, &s->word_cap, n * 4 + 1, 1, err) < 0) return -1;
    size_t w0 = 0;
    /* the word cp[a, b) as UTF-8, handed to fn */
#define EMIT_WORD(a, b)                                                                                      \
    do {                                                                                                     \
        size_t wl = 0;                                                                                       \
        for (size_t k_ = (a); k_ < (b); k_++) {                                                              \
            uint32_t c_ = s->cp[k_];                                                                         \
            if (c_ < 0x80) s->word[wl++] = (char)c_;                                                         \
            else wl += xl_utf8_encode(c_, (unsigned char *)s->word + wl);                                    \
        }                                                                                                    \
        int r_ = fn(ctx, s->word, wl);                                                                       \
        if (r_) return r_;                                                                                   \
    } while (0)
    for (size_t x = 0; x < n; x++) {
        unsigned cls = char_class(wp, s->cp[x]);
        if (cls & XL_BERT_WHITESPACE) {
            if (x > w0) EMIT_WORD(w0, x);
            w0 = x + 1;
        } else if (cls & XL_BERT_PUNCT) {
            if (x > w0) EMIT_WORD(w0, x);
            EMIT_WORD(x, x + 1);
            w0 = x + 1;
        }
    }
    if (n > w0) EMIT_WORD(w0, n);
#undef EMIT_WORD
    return 0;
}
