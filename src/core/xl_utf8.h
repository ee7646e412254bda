/* xl_utf8.h - UTF-8 decoding, encoding and validation (RFC 3629, Unicode
 * 15.0 section 3.9, Table 3-7 "Well-Formed UTF-8 Byte Sequences").
 *
 * Rejected as ill-formed: overlong forms (C0, C1, E0 80..9F, F0 80..8F),
 * surrogates (ED A0..BF = U+D800..DFFF), code points above U+10FFFF
 * (F4 90.., F5..FF), stray continuation bytes, truncated sequences.
 *
 * On ill-formed input the caller chooses: treat it as an error
 * (xl_utf8_validate gives the offset and the reason), or replace it with
 * U+FFFD using the W3C/Unicode "maximal subpart" practice (xl_utf8_repair),
 * which is also what Python's bytes.decode(errors="replace") and browsers do.
 */
#ifndef XL_UTF8_H
#define XL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_alloc.h"
#include "xl_error.h"

#define XL_UTF8_REPLACEMENT 0xFFFDu

typedef enum {
    XL_UTF8_OK = 0,
    XL_UTF8_UNEXPECTED_CONTINUATION, /* 80..BF where a sequence should start */
    XL_UTF8_INVALID_LEAD,            /* C0, C1, F5..FF */
    XL_UTF8_OVERLONG,                /* E0 80..9F, F0 80..8F */
    XL_UTF8_SURROGATE,               /* ED A0..BF */
    XL_UTF8_TOO_LARGE,               /* F4 90..BF: above U+10FFFF */
    XL_UTF8_TRUNCATED,               /* a lead byte not followed by enough continuations */
} xl_utf8_status;

/* Decode one code point from s[0..len), len >= 1.
 * Returns the number of bytes consumed (1..4) and sets *cp on success.
 * On ill-formed input returns the negated length of the maximal subpart
 * (-1..-3) to skip, sets *cp to U+FFFD and *why (if non-NULL) to the reason. */
int xl_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp, xl_utf8_status *why);

/* Encode a scalar value; returns 1..4, or 0 for surrogates and values above
 * U+10FFFF (nothing is written). */
size_t xl_utf8_encode(uint32_t cp, unsigned char out[4]);

/* Human-readable reason, e.g. "overlong encoding". */
const char *xl_utf8_status_name(xl_utf8_status st);

/* True when s[0..len) is well-formed.  On false, *bad_offset (if non-NULL)
 * is the byte offset of the first ill-formed sequence and *why its reason. */
bool xl_utf8_validate(const char *s, size_t len, size_t *bad_offset, xl_utf8_status *why);

/* Append s[0..len) to out with every ill-formed maximal subpart replaced by
 * U+FFFD.  *n_replaced (if non-NULL) receives the number of replacements. */
int xl_utf8_repair(const char *s, size_t len, xl_buf *out, size_t *n_replaced, xl_error *err);

/* Number of code points in well-formed or repaired text (each ill-formed
 * maximal subpart counts as one). */
size_t xl_utf8_count(const char *s, size_t len);

/* Append s[0..len) to out so that it is safe to print on a terminal: C0 controls, DEL and
 * ill-formed bytes as \xNN, C1 controls (U+0080..U+009F, e.g. the 8-bit CSI) as \u00NN;
 * everything else (valid UTF-8, backslashes included) unchanged.  Used for names and strings read from
 * files (inspect, error messages), so escape sequences in a model cannot drive the terminal. */
int xl_utf8_escape_controls(const char *s, size_t len, xl_buf *out, xl_error *err);

#endif /* XL_UTF8_H */
