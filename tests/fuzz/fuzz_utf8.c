/* fuzz_utf8.c - libFuzzer target for the UTF-8 module (src/core/xl_utf8.h).
 * Cross-checks the functions against each other: validate agrees with a
 * decode loop; repair yields valid UTF-8 with one U+FFFD per ill-formed
 * maximal subpart and leaves valid input untouched; every decoded scalar value
 * re-encodes to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xl_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *s = malloc(size ? size : 1);
    if (s == NULL) return 0;
    memcpy(s, data, size);
    size_t bad_off = 0, i = 0, subparts = 0, first_bad = SIZE_MAX, cps = 0;
    xl_utf8_status why = XL_UTF8_OK, first_why = XL_UTF8_OK;
    while (i < size) {
        uint32_t cp;
        xl_utf8_status st;
        int n = xl_utf8_decode(s + i, size - i, &cp, &st);
        if (n == 0 || n > 4 || n < -3) abort();
        if (n > 0) {
            unsigned char enc[4];
            if (st != XL_UTF8_OK || xl_utf8_encode(cp, enc) != (size_t)n || memcmp(enc, s + i, (size_t)n) != 0)
                abort();
            i += (size_t)n;
        } else {
            if (st == XL_UTF8_OK || cp != XL_UTF8_REPLACEMENT) abort();
            if (first_bad == SIZE_MAX) {
                first_bad = i;
                first_why = st;
            }
            subparts++;
            i += (size_t)(-n);
        }
        cps++;
    }
    bool ok = xl_utf8_validate((const char *)s, size, &bad_off, &why);
    if (ok != (first_bad == SIZE_MAX)) abort();
    if (!ok && (bad_off != first_bad || why != first_why)) abort();
    if (xl_utf8_count((const char *)s, size) != cps) abort();
    xl_buf out;
    xl_buf_init(&out);
    size_t replaced = 0;
    if (xl_utf8_repair((const char *)s, size, &out, &replaced, NULL) == 0) {
        if (replaced != subparts) abort();
        if (!xl_utf8_validate(out.data, out.len, NULL, NULL)) abort();
        if (xl_utf8_count(out.data, out.len) != cps) abort();
        if (ok && (out.len != size || (size && memcmp(out.data, s, size) != 0))) abort();
    }
    xl_buf_free(&out);
    free(s);
    return 0;
}
