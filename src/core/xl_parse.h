/* xl_parse.h - strict number parsing for options and text formats.
 *
 * The C library's strtol/strtod accept leading spaces, trailing junk and
 * silently saturate; these wrappers accept exactly one complete number:
 *   - xl_parse_i64 / xl_parse_u64: optional sign (not for u64), decimal
 *     digits only, range-checked;
 *   - xl_parse_double: what strtod accepts (decimal or exponent form,
 *     "inf"/"nan" only when allow_nonfinite), nothing before or after.
 * They return 0 on success, -1 with a message such as
 *   "malformed number 'abc'" or "number '1e999' out of range".
 * `s` need not be NUL-terminated: the length is given.
 */
#ifndef XL_PARSE_H
#define XL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

int xl_parse_i64(const char *s, size_t len, int64_t *out, xl_error *err);
int xl_parse_u64(const char *s, size_t len, uint64_t *out, xl_error *err);
int xl_parse_double(const char *s, size_t len, bool allow_nonfinite, double *out, xl_error *err);
/* int64 within [lo, hi] - the usual case for options such as --threads. */
int xl_parse_i64_range(const char *s, size_t len, int64_t lo, int64_t hi, int64_t *out, xl_error *err);

/* Index of the first NaN or infinity in v[0..n), or n when every value is finite (weights
 * checked by convert/inspect, embeddings checked before they are written). */
size_t xl_first_nonfinite(const float *v, size_t n);

#endif /* XL_PARSE_H */
