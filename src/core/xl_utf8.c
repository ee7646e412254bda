/* xl_utf8.c - see xl_utf8.h.  The decoder follows Table 3-7 of the Unicode
 * Standard literally: the lead byte fixes the length and the allowed range of
 * the first continuation byte; later continuations are always 80..BF. */
#include "xl_utf8.h"

#include <string.h>

int xl_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp, xl_utf8_status *why)
{
    unsigned char b0 = s[0];
    xl_utf8_status st = XL_UTF8_OK;
    if (b0 < 0x80) {
        *cp = b0;
        if (why) *why = XL_UTF8_OK;
        return 1;
    }
    int need;            /* continuation bytes after the lead */
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
    uint32_t v;
    if (b0 < 0xC2) {
        st = (b0 < 0xC0) ? XL_UTF8_UNEXPECTED_CONTINUATION : XL_UTF8_INVALID_LEAD;
        goto bad1;
    } else if (b0 < 0xE0) {
        need = 1;
        v = b0 & 0x1Fu;
    } else if (b0 < 0xF0) {
        need = 2;
        v = b0 & 0x0Fu;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 < 0xF5) {
        need = 3;
        v = b0 & 0x07u;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        st = XL_UTF8_INVALID_LEAD;
        goto bad1;
    }
    for (int i = 1; i <= need; i++) {
        if ((size_t)i >= len) {
            st = XL_UTF8_TRUNCATED;
            *cp = XL_UTF8_REPLACEMENT;
            if (why) *why = st;
            return -i;
        }
        unsigned char b = s[i];
        unsigned char l = (i == 1) ? lo : 0x80, h = (i == 1) ? hi : 0xBF;
        if (b < l || b > h) {
            if (i == 1 && b >= 0x80 && b <= 0xBF) {
                /* a continuation byte, but outside the lead's range */
                st = (b0 == 0xED) ? XL_UTF8_SURROGATE : (b0 == 0xF4) ? XL_UTF8_TOO_LARGE : XL_UTF8_OVERLONG;
            } else {
                st = XL_UTF8_TRUNCATED;
            }
            *cp = XL_UTF8_REPLACEMENT;
            if (why) *why = st;
            return -i;
        }
        v = (v << 6) | (b & 0x3Fu);
    }
    *cp = v;
    if (why) *why = XL_UTF8_OK;
    return need + 1;
bad1:
    *cp = XL_UTF8_REPLACEMENT;
    if (why) *why = st;
    return -1;
}

size_t xl_utf8_encode(uint32_t cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = (unsigned char)(0xF0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

const char *xl_utf8_status_name(xl_utf8_status st)
{
    switch (st) {
    case XL_UTF8_OK: return "valid";
    case XL_UTF8_UNEXPECTED_CONTINUATION: return "unexpected continuation byte";
    case XL_UTF8_INVALID_LEAD: return "invalid lead byte";
    case XL_UTF8_OVERLONG: return "overlong encoding";
    case XL_UTF8_SURROGATE: return "encoded surrogate";
    case XL_UTF8_TOO_LARGE: return "code point above U+10FFFF";
    case XL_UTF8_TRUNCATED: return "truncated sequence";
    }
    return "invalid UTF-8";
}

bool xl_utf8_validate(const char *s, size_t len, size_t *bad_offset, xl_utf8_status *why)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* fast path over ASCII, 8 bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= len) break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        xl_utf8_status st;
        int n = xl_utf8_decode(p + i, len - i, &cp, &st);
        if (n < 0) {
            if (bad_offset) *bad_offset = i;
            if (why) *why = st;
            return false;
        }
        i += (size_t)n;
    }
    if (why) *why = XL_UTF8_OK;
    return true;
}

int xl_utf8_repair(const char *s, size_t len, xl_buf *out, size_t *n_replaced, xl_error *err)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t replaced = 0, i = 0, run = 0; /* run: start of the pending valid span */
    static const unsigned char fffd[3] = {0xEF, 0xBF, 0xBD};
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        int n = xl_utf8_decode(p + i, len - i, &cp, NULL);
        if (n > 0) {
            i += (size_t)n;
            continue;
        }
        if (xl_buf_append(out, s + run, i - run, err) < 0) return -1;
        if (xl_buf_append(out, fffd, 3, err) < 0) return -1;
        replaced++;
        i += (size_t)(-n);
        run = i;
    }
    if (xl_buf_append(out, s + run, len - run, err) < 0) return -1;
    if (n_replaced) *n_replaced = replaced;
    return 0;
}

size_t xl_utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        int n = (p[i] < 0x80) ? 1 : xl_utf8_decode(p + i, len - i, &cp, NULL);
        i += (size_t)(n > 0 ? n : -n);
        count++;
    }
    return count;
}

int xl_utf8_escape_controls(const char *s, size_t len, xl_buf *out, xl_error *err)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = u[i];
        if (c < 0x20 || c == 0x7f) {
            if (xl_buf_printf(out, err, "\\x%02x", c) < 0) return -1;
            i++;
        } else if (c < 0x80) {
            if (xl_buf_putc(out, (char)c, err) < 0) return -1;
            i++;
        } else {
            uint32_t cp;
            int r = xl_utf8_decode(u + i, len - i, &cp, NULL);
            if (r <= 0) {
                for (int k = 0; k < -r; k++)
                    if (xl_buf_printf(out, err, "\\x%02x", u[i + (size_t)k]) < 0) return -1;
                i += (size_t)-r;
            } else if (cp >= 0x80 && cp <= 0x9f) {
                if (xl_buf_printf(out, err, "\\u%04x", (unsigned)cp) < 0) return -1;
                i += (size_t)r;
            } else {
                if (xl_buf_append(out, u + i, (size_t)r, err) < 0) return -1;
                i += (size_t)r;
            }
        }
    }
    return 0;
}
