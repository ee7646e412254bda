/* xl_parse.c - see xl_parse.h */
#include "xl_parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Numbers longer than this are refused outright (no real number needs it). */
#define NUMBER_MAX_CHARS 400

static int copy_token(const char *s, size_t len, char *buf, xl_error *err)
{
    if (len == 0) return xl_fail(err, XL_ERR_FORMAT, "empty number");
    if (len >= NUMBER_MAX_CHARS) return xl_fail(err, XL_ERR_FORMAT, "malformed number (%zu characters)", len);
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (memchr(s, '\0', len) != NULL) return xl_fail(err, XL_ERR_FORMAT, "malformed number (contains NUL)");
    return 0;
}

int xl_parse_u64(const char *s, size_t len, uint64_t *out, xl_error *err)
{
    char buf[NUMBER_MAX_CHARS];
    if (copy_token(s, len, buf, err) < 0) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] < '0' || buf[i] > '9') return xl_fail(err, XL_ERR_FORMAT, "malformed number '%s'", buf);
        unsigned d = (unsigned)(buf[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return xl_fail(err, XL_ERR_FORMAT, "number '%s' out of range", buf);
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int xl_parse_i64(const char *s, size_t len, int64_t *out, xl_error *err)
{
    char buf[NUMBER_MAX_CHARS];
    if (copy_token(s, len, buf, err) < 0) return -1;
    bool neg = false;
    size_t i = 0;
    if (buf[0] == '-' || buf[0] == '+') {
        neg = buf[0] == '-';
        i = 1;
    }
    if (i == len) return xl_fail(err, XL_ERR_FORMAT, "malformed number '%s'", buf);
    uint64_t mag;
    xl_error inner;
    if (xl_parse_u64(buf + i, len - i, &mag, &inner) < 0) {
        if (strstr(inner.msg, "out of range")) return xl_fail(err, XL_ERR_FORMAT, "number '%s' out of range", buf);
        return xl_fail(err, XL_ERR_FORMAT, "malformed number '%s'", buf);
    }
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1u) return xl_fail(err, XL_ERR_FORMAT, "number '%s' out of range", buf);
        *out = (mag == (uint64_t)INT64_MAX + 1u) ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX) return xl_fail(err, XL_ERR_FORMAT, "number '%s' out of range", buf);
        *out = (int64_t)mag;
    }
    return 0;
}

int xl_parse_i64_range(const char *s, size_t len, int64_t lo, int64_t hi, int64_t *out, xl_error *err)
{
    int64_t v;
    if (xl_parse_i64(s, len, &v, err) < 0) return -1;
    if (v < lo || v > hi)
        return xl_fail(err, XL_ERR_FORMAT, "%lld is outside [%lld, %lld]", (long long)v, (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

int xl_parse_double(const char *s, size_t len, bool allow_nonfinite, double *out, xl_error *err)
{
    char buf[NUMBER_MAX_CHARS];
    if (copy_token(s, len, buf, err) < 0) return -1;
    /* strtod skips leading white space and accepts hex floats; refuse both. */
    unsigned char c0 = (unsigned char)buf[0];
    if (!(c0 == '-' || c0 == '+' || c0 == '.' || (c0 >= '0' && c0 <= '9') || c0 == 'i' || c0 == 'I' ||
          c0 == 'n' || c0 == 'N'))
        return xl_fail(err, XL_ERR_FORMAT, "malformed number '%s'", buf);
    if (strchr(buf, 'x') || strchr(buf, 'X')) return xl_fail(err, XL_ERR_FORMAT, "malformed number '%s'", buf);
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len || end == buf) return xl_fail(err, XL_ERR_FORMAT, "malformed number '%s'", buf);
    if (!isfinite(v)) {
        bool spelled = strpbrk(buf, "iInN") != NULL;
        if (!spelled) return xl_fail(err, XL_ERR_FORMAT, "number '%s' out of range", buf);
        if (!allow_nonfinite) return xl_fail(err, XL_ERR_FORMAT, "non-finite number '%s'", buf);
    }
    /* underflow to 0 or a subnormal is accepted: the value is the nearest double */
    *out = v;
    return 0;
}

size_t xl_first_nonfinite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return i;
    return n;
}
