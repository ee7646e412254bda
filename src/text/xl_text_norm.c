/* xl_text_norm.c - code-point buffers, UTF-8 <-> UTF-32, and the Unicode
 * normalisation forms (UAX #15; Unicode 15.0 section 3.11):
 *   NFD  = full canonical decomposition (D68) + canonical ordering (D109);
 *   NFKD = full compatibility decomposition (D65) + canonical ordering;
 *   NFC / NFKC = NFD / NFKD followed by canonical composition (D117).
 * The per-code-point data (decompositions, ccc, primary composites with
 * Full_Composition_Exclusion, Hangul arithmetic) comes from xl_unicode.h. */
#include <stdlib.h>
#include <string.h>

#include "xl_text.h"
#include "xl_utf8.h"

void xl_u32buf_init(xl_u32buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void xl_u32buf_free(xl_u32buf *b)
{
    free(b->data);
    xl_u32buf_init(b);
}

int xl_u32buf_reserve(xl_u32buf *b, size_t extra, xl_error *err)
{
    size_t need;
    if (!xl_add_size(b->len, extra, &need)) return xl_fail(err, XL_ERR_NOMEM, "code point buffer: size overflow");
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    uint32_t *p = xl_realloc(b->data, cap, sizeof *p, err);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int xl_u32buf_push(xl_u32buf *b, uint32_t cp, xl_error *err)
{
    if (b->len == b->cap && xl_u32buf_reserve(b, 1, err) < 0) return -1;
    b->data[b->len++] = cp;
    return 0;
}

int xl_text_decode(const char *s, size_t len, xl_u32buf *out, xl_error *err)
{
    /* at most one code point per byte */
    if (xl_u32buf_reserve(out, len, err) < 0) return -1;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int k = xl_utf8_decode(p + i, len - i, &cp, NULL);
        out->data[out->len++] = cp; /* U+FFFD on ill-formed input */
        i += (size_t)(k < 0 ? -k : k);
    }
    return 0;
}

int xl_text_encode(const uint32_t *cps, size_t n, xl_buf *out, xl_error *err)
{
    size_t need;
    if (!xl_mul_size(n, 4, &need)) return xl_fail(err, XL_ERR_NOMEM, "UTF-8 encoding: size overflow");
    if (xl_buf_reserve(out, need, err) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char u[4];
        size_t k = xl_utf8_encode(cps[i], u);
        if (k == 0) k = xl_utf8_encode(XL_UTF8_REPLACEMENT, u);
        memcpy(out->data + out->len, u, k);
        out->len += k;
    }
    out->data[out->len] = '\0';
    return 0;
}

const char *xl_norm_form_name(xl_norm_form form)
{
    switch (form) {
    case XL_NORM_NONE: return "none";
    case XL_NORM_NFC: return "NFC";
    case XL_NORM_NFD: return "NFD";
    case XL_NORM_NFKC: return "NFKC";
    case XL_NORM_NFKD: return "NFKD";
    }
    return NULL;
}

int xl_norm_form_from_name(const char *name)
{
    static const char *const names[] = {"none", "nfc", "nfd", "nfkc", "nfkd"};
    if (!name) return -1;
    for (int f = 0; f < 5; f++) {
        const char *a = name, *b = names[f];
        while (*a && *b) {
            char c = *a;
            if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            if (c != *b) break;
            a++;
            b++;
        }
        if (!*a && !*b) return f;
    }
    return -1;
}

/* Canonical composition (D117) of an NFD/NFKD string, in place; returns the
 * new length.  A character C is combined with the last starter L when
 * L + C has a primary composite and C is not blocked from L (D115: no
 * character between them has ccc 0 or ccc >= ccc(C)). */
static size_t compose_in_place(uint32_t *s, size_t n)
{
    if (n == 0) return 0;
    size_t starter_pos = 0;
    uint32_t starter = s[0];
    bool have_starter = xl_uc_ccc(starter) == 0;
    int last_class = have_starter ? 0 : 256; /* 256: a leading non-starter blocks everything */
    size_t out = 1;
    for (size_t i = 1; i < n; i++) {
        uint32_t ch = s[i];
        int cls = xl_uc_ccc(ch);
        uint32_t composite = have_starter ? xl_uc_compose(starter, ch) : 0;
        if (composite != 0 && (last_class < cls || last_class == 0)) {
            s[starter_pos] = composite;
            starter = composite;
            continue;
        }
        if (cls == 0) {
            starter_pos = out;
            starter = ch;
            have_starter = true;
        }
        last_class = cls;
        s[out++] = ch;
    }
    return out;
}

int xl_text_normalize_cps(const uint32_t *in, size_t n, xl_norm_form form, xl_u32buf *out, xl_error *err)
{
    if (n == 0) return 0; /* nothing to append (out->data may still be NULL) */
    if (form == XL_NORM_NONE) {
        if (xl_u32buf_reserve(out, n, err) < 0) return -1;
        if (n) memcpy(out->data + out->len, in, n * sizeof *in);
        out->len += n;
        return 0;
    }
    bool compat = form == XL_NORM_NFKC || form == XL_NORM_NFKD;
    bool compose = form == XL_NORM_NFC || form == XL_NORM_NFKC;
    size_t start = out->len;
    /* Reserve for the common case (no expansion); grow when a decomposition expands. */
    if (xl_u32buf_reserve(out, n, err) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t d[XL_UC_DECOMP_MAX];
        size_t k = xl_uc_decompose(in[i], compat, d);
        if (out->cap - out->len < k && xl_u32buf_reserve(out, k + (n - i), err) < 0) return -1;
        memcpy(out->data + out->len, d, k * sizeof *d);
        out->len += k;
    }
    xl_uc_canonical_order(out->data + start, out->len - start);
    if (compose) out->len = start + compose_in_place(out->data + start, out->len - start);
    return 0;
}

int xl_text_normalize(const char *s, size_t len, xl_norm_form form, xl_buf *out, xl_error *err)
{
    xl_u32buf a, b;
    xl_u32buf_init(&a);
    xl_u32buf_init(&b);
    int rc = -1;
    if (xl_text_decode(s, len, &a, err) < 0) goto done;
    if (xl_text_normalize_cps(a.data, a.len, form, &b, err) < 0) goto done;
    rc = xl_text_encode(b.data, b.len, out, err);
done:
    xl_u32buf_free(&a);
    xl_u32buf_free(&b);
    return rc;
}
