/* test_core.c - the shared core: UTF-8 (Unicode Table 3-7 and maximal-subpart
 * replacement, checked against Python's bytes.decode(errors="replace")),
 * strict number parsing, the PCG32 generator (pinned outputs re-derived by an
 * independent Python implementation), file and line I/O, buffers, checked
 * allocation, parallel-for, file mapping, error helpers. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_error.h"
#include "xl_io.h"
#include "xl_parse.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"
#include "xl_utf8.h"

/* ------------------------------------------------------------------ UTF-8 -- */

typedef struct {
    const char *bytes;
    size_t len;
    int consumed; /* xl_utf8_decode's return */
    uint32_t cp;
    xl_utf8_status why;
} decode_case;

static void test_utf8_decode_table_3_7(void **state)
{
    (void)state;
    const decode_case cases[] = {
        {"A", 1, 1, 0x41, XL_UTF8_OK},
        {"\x7F", 1, 1, 0x7F, XL_UTF8_OK},
        {"\xC2\x80", 2, 2, 0x80, XL_UTF8_OK},
        {"\xDF\xBF", 2, 2, 0x7FF, XL_UTF8_OK},
        {"\xE0\xA0\x80", 3, 3, 0x800, XL_UTF8_OK},
        {"\xED\x9F\xBF", 3, 3, 0xD7FF, XL_UTF8_OK},
        {"\xEE\x80\x80", 3, 3, 0xE000, XL_UTF8_OK},
        {"\xEF\xBF\xBF", 3, 3, 0xFFFF, XL_UTF8_OK},
        {"\xF0\x90\x80\x80", 4, 4, 0x10000, XL_UTF8_OK},
        {"\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF, XL_UTF8_OK},
        /* ill-formed: the negated maximal subpart, and the reason */
        {"\xC0\x80", 2, -1, 0xFFFD, XL_UTF8_INVALID_LEAD},
        {"\xC1\xBF", 2, -1, 0xFFFD, XL_UTF8_INVALID_LEAD},
        {"\xE0\x80\x80", 3, -1, 0xFFFD, XL_UTF8_OVERLONG},
        {"\xE0\x9F\xBF", 3, -1, 0xFFFD, XL_UTF8_OVERLONG},
        {"\xF0\x80\x80\x80", 4, -1, 0xFFFD, XL_UTF8_OVERLONG},
        {"\xF0\x8F\xBF\xBF", 4, -1, 0xFFFD, XL_UTF8_OVERLONG},
        {"\xED\xA0\x80", 3, -1, 0xFFFD, XL_UTF8_SURROGATE},
        {"\xED\xBF\xBF", 3, -1, 0xFFFD, XL_UTF8_SURROGATE},
        {"\xF4\x90\x80\x80", 4, -1, 0xFFFD, XL_UTF8_TOO_LARGE},
        {"\xF5\x80\x80\x80", 4, -1, 0xFFFD, XL_UTF8_INVALID_LEAD},
        {"\xF8\x88\x80\x80\x80", 5, -1, 0xFFFD, XL_UTF8_INVALID_LEAD},
        {"\xFF", 1, -1, 0xFFFD, XL_UTF8_INVALID_LEAD},
        {"\x80", 1, -1, 0xFFFD, XL_UTF8_UNEXPECTED_CONTINUATION},
        {"\xBF", 1, -1, 0xFFFD, XL_UTF8_UNEXPECTED_CONTINUATION},
        {"\xE2\x82", 2, -2, 0xFFFD, XL_UTF8_TRUNCATED},     /* end of input */
        {"\xE2\x82\x41", 3, -2, 0xFFFD, XL_UTF8_TRUNCATED}, /* not a continuation */
        {"\xC3", 1, -1, 0xFFFD, XL_UTF8_TRUNCATED},
        {"\xC3\x41", 2, -1, 0xFFFD, XL_UTF8_TRUNCATED},
        {"\xF1\x80\x80", 3, -3, 0xFFFD, XL_UTF8_TRUNCATED},
        {"\xF1\x80\x80\xE1", 4, -3, 0xFFFD, XL_UTF8_TRUNCATED},
        {"\xF0\x90\x80", 3, -3, 0xFFFD, XL_UTF8_TRUNCATED},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint32_t cp = 0;
        xl_utf8_status why = (xl_utf8_status)99;
        int n = xl_utf8_decode((const unsigned char *)cases[k].bytes, cases[k].len, &cp, &why);
        if (n != cases[k].consumed || cp != cases[k].cp || why != cases[k].why)
            print_error("case %zu: got n=%d cp=%04X why=%d\n", k, n, (unsigned)cp, (int)why);
        assert_int_equal(n, cases[k].consumed);
        assert_int_equal(cp, cases[k].cp);
        assert_int_equal(why, cases[k].why);
        /* why may be NULL */
        assert_int_equal(xl_utf8_decode((const unsigned char *)cases[k].bytes, cases[k].len, &cp, NULL),
                         cases[k].consumed);
    }
    assert_string_equal(xl_utf8_status_name(XL_UTF8_OK), "valid");
    assert_string_equal(xl_utf8_status_name(XL_UTF8_OVERLONG), "overlong encoding");
    assert_string_equal(xl_utf8_status_name(XL_UTF8_SURROGATE), "encoded surrogate");
    assert_string_equal(xl_utf8_status_name(XL_UTF8_TOO_LARGE), "code point above U+10FFFF");
    assert_string_equal(xl_utf8_status_name(XL_UTF8_TRUNCATED), "truncated sequence");
    assert_string_equal(xl_utf8_status_name(XL_UTF8_INVALID_LEAD), "invalid lead byte");
    assert_string_equal(xl_utf8_status_name(XL_UTF8_UNEXPECTED_CONTINUATION), "unexpected continuation byte");
}

static void test_utf8_encode_round_trip(void **state)
{
    (void)state;
    unsigned char buf[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t n = xl_utf8_encode(cp, buf);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            assert_int_equal(n, 0);
            continue;
        }
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        assert_int_equal(n, want);
        uint32_t back;
        xl_utf8_status why;
        assert_int_equal(xl_utf8_decode(buf, n, &back, &why), (int)n);
        if (back != cp) print_error("U+%04X came back as U+%04X\n", (unsigned)cp, (unsigned)back);
        assert_int_equal(back, cp);
        assert_true(xl_utf8_validate((const char *)buf, n, NULL, NULL));
    }
    assert_int_equal(xl_utf8_encode(0x110000, buf), 0);
    assert_int_equal(xl_utf8_encode(0xFFFFFFFFu, buf), 0);
    assert_int_equal(xl_utf8_encode(0x20AC, buf), 3);
    assert_memory_equal(buf, "\xE2\x82\xAC", 3);
}

/* Replacement counts and output from Python 3:
 *   b.decode("utf-8", "replace").encode()  (W3C/Unicode maximal subparts) */
static void test_utf8_repair(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        size_t replaced;
        const char *out;
    } cases[] = {
        {"\xF1\x80\x80\xE1\x80\xC2", 6, 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xC0\x80", 2, 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xE0\x80\x80", 3, 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xF0\x80\x80\x80", 4, 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xED\xA0\x80", 3, 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xF4\x90\x80\x80", 4, 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xF5", 1, 1, "\xEF\xBF\xBD"},
        {"\x80", 1, 1, "\xEF\xBF\xBD"},
        {"\xE2\x82", 2, 1, "\xEF\xBF\xBD"},
        {"a\xE2\x82" "b", 4, 1, "a\xEF\xBF\xBD" "b"},
        {"a\xF1\x80\x80\xE1\x80\xC2" "b\x80" "c\x80\xBF" "d", 13, 6,
         "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d"},
        {"\xF4\x8F\xBF\xBF\xF4\x90", 6, 2, "\xF4\x8F\xBF\xBF\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xE0\xA0", 2, 1, "\xEF\xBF\xBD"},
        {"\xF0\x90\x80", 3, 1, "\xEF\xBF\xBD"},
        {"ok \xC3\xA9\0x", 7, 0, "ok \xC3\xA9\0x"},
        {"", 0, 0, ""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        xl_buf out;
        xl_buf_init(&out);
        xl_error err;
        size_t replaced = 99;
        assert_int_equal(xl_utf8_repair(cases[k].in, cases[k].len, &out, &replaced, &err), 0);
        assert_int_equal(replaced, cases[k].replaced);
        size_t want_len = cases[k].len == 7 ? 7 : strlen(cases[k].out);
        assert_int_equal(out.len, want_len);
        if (want_len) assert_memory_equal(out.data, cases[k].out, want_len);
        /* repaired text is valid, and counts one code point per replacement */
        assert_true(xl_utf8_validate(out.data, out.len, NULL, NULL));
        assert_int_equal(xl_utf8_count(cases[k].in, cases[k].len), xl_utf8_count(out.data, out.len));
        xl_buf_free(&out);
    }
    /* n_replaced may be NULL, and repair appends */
    xl_buf out;
    xl_buf_init(&out);
    assert_int_equal(xl_buf_append(&out, "x", 1, NULL), 0);
    assert_int_equal(xl_utf8_repair("\xFF", 1, &out, NULL, NULL), 0);
    assert_string_equal(out.data, "x\xEF\xBF\xBD");
    xl_buf_free(&out);
    assert_int_equal(xl_utf8_count("\xF1\x80\x80\xE1\x80\xC2", 6), 3);
    assert_int_equal(xl_utf8_count("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", 10), 4);
}

static void test_utf8_validate(void **state)
{
    (void)state;
    size_t off = 99;
    xl_utf8_status why = XL_UTF8_TRUNCATED;
    assert_true(xl_utf8_validate("", 0, &off, &why));
    assert_int_equal(why, XL_UTF8_OK);
    assert_true(xl_utf8_validate("plain ascii text that is longer than eight bytes", 48, &off, &why));
    /* the bad byte is found after the 8-byte ASCII fast path */
    const char *s = "0123456789abcdef\xED\xA0\x80tail";
    assert_false(xl_utf8_validate(s, strlen(s), &off, &why));
    assert_int_equal(off, 16);
    assert_int_equal(why, XL_UTF8_SURROGATE);
    s = "0123456\xC3";
    assert_false(xl_utf8_validate(s, 8, &off, &why));
    assert_int_equal(off, 7);
    assert_int_equal(why, XL_UTF8_TRUNCATED);
    assert_false(xl_utf8_validate("\xC3\xA9\x80", 3, &off, NULL));
    assert_int_equal(off, 2);
    assert_false(xl_utf8_validate("\xC3\xA9\x80", 3, NULL, NULL));
    /* NUL is valid UTF-8 */
    assert_true(xl_utf8_validate("a\0b", 3, NULL, NULL));
}

/* ------------------------------------------------------------------ parse -- */

static void test_parse_numbers(void **state)
{
    (void)state;
    xl_error err;
    int64_t i;
    uint64_t u;
    double d;
#define OK_I(s, v)                                                   \
    do {                                                             \
        assert_int_equal(xl_parse_i64((s), strlen(s), &i, &err), 0); \
        assert_true(i == (v));                                       \
    } while (0)
#define BAD_I(s, expected_msg)                                                 \
    do {                                                              \
        assert_int_equal(xl_parse_i64((s), strlen(s), &i, &err), -1); \
        assert_string_equal(err.msg, (expected_msg));                          \
    } while (0)
    OK_I("0", 0);
    OK_I("42", 42);
    OK_I("-42", -42);
    OK_I("+7", 7);
    OK_I("007", 7);
    OK_I("9223372036854775807", INT64_MAX);
    OK_I("-9223372036854775808", INT64_MIN);
    BAD_I("9223372036854775808", "number '9223372036854775808' out of range");
    BAD_I("-9223372036854775809", "number '-9223372036854775809' out of range");
    BAD_I("99999999999999999999999", "number '99999999999999999999999' out of range");
    BAD_I("", "empty number");
    BAD_I("-", "malformed number '-'");
    BAD_I(" 1", "malformed number ' 1'");
    BAD_I("1 ", "malformed number '1 '");
    BAD_I("1x", "malformed number '1x'");
    BAD_I("0x10", "malformed number '0x10'");
    BAD_I("1e3", "malformed number '1e3'");
    BAD_I("1.0", "malformed number '1.0'");
    BAD_I("--1", "malformed number '--1'");
    assert_int_equal(xl_parse_i64("1\0", 2, &i, &err), -1);
    assert_string_equal(err.msg, "malformed number (contains NUL)");
    /* the length is honoured: "12" out of "123" */
    assert_int_equal(xl_parse_i64("123", 2, &i, &err), 0);
    assert_int_equal(i, 12);

    assert_int_equal(xl_parse_u64("18446744073709551615", 20, &u, &err), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(xl_parse_u64("18446744073709551616", 20, &u, &err), -1);
    assert_string_equal(err.msg, "number '18446744073709551616' out of range");
    assert_int_equal(xl_parse_u64("-1", 2, &u, &err), -1);
    assert_string_equal(err.msg, "malformed number '-1'");
    assert_int_equal(xl_parse_u64("+1", 2, &u, &err), -1);

    assert_int_equal(xl_parse_i64_range("8", 1, 1, 256, &i, &err), 0);
    assert_int_equal(i, 8);
    assert_int_equal(xl_parse_i64_range("0", 1, 1, 256, &i, &err), -1);
    assert_string_equal(err.msg, "0 is outside [1, 256]");
    assert_int_equal(xl_parse_i64_range("257", 3, 1, 256, &i, &err), -1);
    assert_string_equal(err.msg, "257 is outside [1, 256]");
    assert_int_equal(xl_parse_i64_range("x", 1, 1, 256, &i, &err), -1);
    assert_string_equal(err.msg, "malformed number 'x'");

#define OK_D(s, v)                                                           \
    do {                                                                     \
        assert_int_equal(xl_parse_double((s), strlen(s), false, &d, &err), 0); \
        assert_true(d == (v));                                               \
    } while (0)
#define BAD_D(s, allow, expected_msg)                                                     \
    do {                                                                         \
        assert_int_equal(xl_parse_double((s), strlen(s), (allow), &d, &err), -1); \
        assert_string_equal(err.msg, (expected_msg));                                     \
    } while (0)
    OK_D("0.5", 0.5);
    OK_D("-2", -2.0);
    OK_D("1e-3", 1e-3);
    OK_D(".5", 0.5);
    OK_D("5.", 5.0);
    OK_D("+1.25E2", 125.0);
    OK_D("1e-400", 0.0); /* underflow: nearest double */
    OK_D("0.1", 0.1);
    BAD_D("1e999", false, "number '1e999' out of range");
    BAD_D("-1e999", true, "number '-1e999' out of range");
    BAD_D("inf", false, "non-finite number 'inf'");
    BAD_D("nan", false, "non-finite number 'nan'");
    BAD_D("0x1p3", false, "malformed number '0x1p3'");
    BAD_D("0X10", false, "malformed number '0X10'");
    BAD_D(" 1.5", false, "malformed number ' 1.5'");
    BAD_D("1.5 ", false, "malformed number '1.5 '");
    BAD_D("1.5x", false, "malformed number '1.5x'");
    BAD_D("abc", false, "malformed number 'abc'");
    BAD_D("", false, "empty number");
    BAD_D(".", false, "malformed number '.'");
    BAD_D("1e", false, "malformed number '1e'");
    BAD_D("e5", false, "malformed number 'e5'");
    assert_int_equal(xl_parse_double("inf", 3, true, &d, &err), 0);
    assert_true(isinf(d) && d > 0);
    assert_int_equal(xl_parse_double("-Infinity", 9, true, &d, &err), 0);
    assert_true(isinf(d) && d < 0);
    assert_int_equal(xl_parse_double("NaN", 3, true, &d, &err), 0);
    assert_true(isnan(d));
    /* absurdly long tokens are refused, not overflowed */
    char longnum[1000];
    memset(longnum, '1', sizeof longnum);
    assert_int_equal(xl_parse_double(longnum, sizeof longnum, false, &d, &err), -1);
    assert_int_equal(xl_parse_i64(longnum, sizeof longnum, &i, &err), -1);
    /* err may be NULL */
    assert_int_equal(xl_parse_i64("x", 1, &i, NULL), -1);
#undef OK_I
#undef BAD_I
#undef OK_D
#undef BAD_D
}

/* -------------------------------------------------------------------- rng -- */

/* Pinned outputs.  Derived once from xl_rng.c and re-derived independently by
 * this Python 3 reimplementation (PCG32 XSH-RR 64/32, SplitMix64 seeding):
 *   M = 2**64 - 1
 *   def splitmix(x):
 *       x = (x + 0x9E3779B97F4A7C15) & M; z = x
 *       z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
 *       z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
 *       return z ^ (z >> 31)
 *   class P:
 *       def __init__(s, seed, stream):
 *           s.state = 0; s.inc = ((stream << 1) | 1) & M
 *           s.next(); s.state = (s.state + splitmix(seed)) & M; s.next()
 *       def next(s):
 *           old = s.state; s.state = (old * 6364136223846793005 + s.inc) & M
 *           xs = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF; rot = old >> 59
 *           return ((xs >> rot) | (xs << ((32 - rot) & 31))) & 0xFFFFFFFF
 * and Lemire's rejection for below(n). */
static void test_rng_pinned(void **state)
{
    (void)state;
    static const uint32_t seed42_s0[8] = {0xccfe45fcu, 0x61157d5eu, 0x68e11cdbu, 0xab48faa0u,
                                          0xeceaea31u, 0xbee452b7u, 0xb20858abu, 0x2a73278du};
    static const uint32_t seed42_s1[4] = {0xf8e92385u, 0xeb749281u, 0x82f52917u, 0x41cb9f39u};
    static const uint32_t seed0_s0[4] = {0xc0c7e2c5u, 0x750c892au, 0x575c7ac6u, 0xe20b9cecu};
    xl_rng r;
    xl_rng_seed(&r, 42, 0);
    for (int i = 0; i < 8; i++) assert_int_equal(xl_rng_u32(&r), seed42_s0[i]);
    xl_rng_seed(&r, 42, 1);
    for (int i = 0; i < 4; i++) assert_int_equal(xl_rng_u32(&r), seed42_s1[i]);
    xl_rng_seed(&r, 0, 0);
    for (int i = 0; i < 4; i++) assert_int_equal(xl_rng_u32(&r), seed0_s0[i]);
    xl_rng_seed(&r, 42, 0);
    assert_true(xl_rng_u64(&r) == 0xccfe45fc61157d5eull);
    xl_rng_seed(&r, 42, 0);
    assert_true(xl_rng_float(&r) == 0.8007548451423645f);
    xl_rng_seed(&r, 42, 0);
    assert_true(xl_rng_double(&r) == 0.80075490390398396);
    /* the bulk fill is the same stream: the pinned values, then the generator where 8 draws leave it */
    uint32_t fill[8];
    xl_rng_seed(&r, 42, 0);
    xl_rng_fill_u32(&r, fill, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(fill[i], seed42_s0[i]);
    xl_rng r8;
    xl_rng_seed(&r8, 42, 0);
    for (int i = 0; i < 8; i++) (void)xl_rng_u32(&r8);
    assert_true(r.state == r8.state && r.inc == r8.inc);
    static const uint32_t below6[12] = {4, 2, 2, 4, 5, 4, 4, 0, 1, 3, 1, 0};
    xl_rng_seed(&r, 42, 0);
    for (int i = 0; i < 12; i++) assert_int_equal(xl_rng_below(&r, 6), below6[i]);
}

/* xl_rng_advance(d) leaves the generator where d draws leave it (the parallel dropout masks rely
 * on it): against the pinned stream, against serial draws for strides around powers of two, and
 * 0 is a no-op. */
static void test_rng_advance(void **state)
{
    (void)state;
    static const uint32_t seed42_s0[8] = {0xccfe45fcu, 0x61157d5eu, 0x68e11cdbu, 0xab48faa0u,
                                          0xeceaea31u, 0xbee452b7u, 0xb20858abu, 0x2a73278du};
    for (uint64_t d = 0; d < 8; d++) {
        xl_rng r;
        xl_rng_seed(&r, 42, 0);
        xl_rng_advance(&r, d);
        assert_int_equal(xl_rng_u32(&r), seed42_s0[d]);
    }
    static const uint64_t strides[] = {0, 1, 2, 3, 255, 256, 257, 1000, 16383, 16384, 65537};
    for (size_t i = 0; i < sizeof strides / sizeof *strides; i++) {
        xl_rng a, b;
        xl_rng_seed(&a, 7, 5);
        xl_rng_seed(&b, 7, 5);
        for (uint64_t n = 0; n < strides[i]; n++) (void)xl_rng_u32(&a);
        xl_rng_advance(&b, strides[i]);
        assert_true(a.state == b.state && a.inc == b.inc);
    }
}

static void test_rng_properties(void **state)
{
    (void)state;
    xl_rng r;
    xl_rng_seed(&r, 7, 3);
    /* below(n): uniform over [0, n) - chi-square with 2 degrees of freedom for
     * n = 3 (2^32 is not a multiple of 3, so a biased reduction would show) */
    enum { DRAWS = 300000 };
    size_t counts[3] = {0};
    for (int i = 0; i < DRAWS; i++) {
        uint32_t v = xl_rng_below(&r, 3);
        assert_true(v < 3);
        counts[v]++;
    }
    double chi2 = 0;
    for (int k = 0; k < 3; k++) {
        double e = DRAWS / 3.0, dlt = (double)counts[k] - e;
        chi2 += dlt * dlt / e;
    }
    assert_true(chi2 < 13.8); /* p = 0.001 */
    /* a bound just above 2^31: rejection is frequent, results stay in range
     * and both halves are hit about equally */
    uint32_t n = 0x80000001u;
    size_t low = 0;
    for (int i = 0; i < 20000; i++) {
        uint32_t v = xl_rng_below(&r, n);
        assert_true(v < n);
        low += v < 0x40000000u;
    }
    assert_true(low > 9500 && low < 10500); /* v < 2^30 has probability 2^30 / (2^31 + 1) ~ 1/2 */
    for (int i = 0; i < 100; i++) assert_int_equal(xl_rng_below(&r, 1), 0);
    /* floats in [0, 1), mean near 1/2 */
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        float f = xl_rng_float(&r);
        double g = xl_rng_double(&r);
        assert_true(f >= 0.0f && f < 1.0f);
        assert_true(g >= 0.0 && g < 1.0);
        sum += g;
    }
    assert_true(fabs(sum / 100000 - 0.5) < 0.01);
    /* normal deviates: mean ~0, variance ~1 */
    double s1 = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double z = xl_rng_normal(&r);
        assert_true(isfinite(z));
        s1 += z;
        s2 += z * z;
    }
    assert_true(fabs(s1 / 100000) < 0.02);
    assert_true(fabs(s2 / 100000 - 1.0) < 0.03);
    /* shuffle is a permutation, not the identity, and reproducible */
    enum { N = 1000 };
    uint32_t a[N], b[N];
    for (uint32_t i = 0; i < N; i++) a[i] = b[i] = i;
    xl_rng r1, r2;
    xl_rng_seed(&r1, 99, 0);
    xl_rng_seed(&r2, 99, 0);
    xl_rng_shuffle_u32(&r1, a, N);
    xl_rng_shuffle_u32(&r2, b, N);
    assert_memory_equal(a, b, sizeof a);
    bool seen[N] = {false};
    size_t fixed = 0;
    for (uint32_t i = 0; i < N; i++) {
        assert_true(a[i] < N);
        assert_false(seen[a[i]]);
        seen[a[i]] = true;
        fixed += a[i] == i;
    }
    assert_true(fixed < 10);
    xl_rng_shuffle_u32(&r1, a, 0);
    xl_rng_shuffle_u32(&r1, a, 1);
}

/* --------------------------------------------------------------------- io -- */

static void test_read_file(void **state)
{
    (void)state;
    const char content[] = "line1\n\0binary\xFF\n";
    const char *path = xl_test_write_tmp("rf.bin", content, sizeof content - 1);
    char *data;
    size_t len;
    xl_error err;
    assert_int_equal(xl_read_file(path, 0, &data, &len, &err), 0);
    assert_int_equal(len, sizeof content - 1);
    assert_memory_equal(data, content, len);
    assert_int_equal(data[len], '\0');
    free(data);
    /* size limit */
    assert_int_equal(xl_read_file(path, 5, &data, &len, &err), -1);
    assert_null(data);
    char want[512];
    snprintf(want, sizeof want, "%s: file larger than the limit of 5 bytes", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(err.code, XL_ERR_LIMIT);
    assert_int_equal(xl_read_file(path, sizeof content - 1, &data, &len, &err), 0);
    free(data);
    remove(path);
    /* empty file: a valid empty string */
    path = xl_test_write_tmp("empty", "", 0);
    assert_int_equal(xl_read_file(path, 0, &data, &len, &err), 0);
    assert_int_equal(len, 0);
    assert_non_null(data);
    assert_string_equal(data, "");
    free(data);
    remove(path);
    /* missing file: "PATH: strerror" */
    assert_int_equal(xl_read_file("/nonexistent/file.txt", 0, &data, &len, &err), -1);
    assert_string_equal(err.msg, "/nonexistent/file.txt: No such file or directory");
    assert_int_equal(err.code, XL_ERR_IO);
    assert_int_equal(xl_read_file("", 0, &data, &len, &err), -1);
    assert_string_equal(err.msg, "empty file name");
    /* a file bigger than the 64 KiB read block */
    size_t big = 300001;
    char *blob = malloc(big);
    for (size_t i = 0; i < big; i++) blob[i] = (char)(i * 31 + 7);
    path = xl_test_write_tmp("big", blob, big);
    assert_int_equal(xl_read_file(path, 0, &data, &len, &err), 0);
    assert_int_equal(len, big);
    assert_memory_equal(data, blob, big);
    free(data);
    /* write_file round trip */
    const char *out = xl_test_tmp_path("wf");
    assert_int_equal(xl_write_file(out, blob, big, &err), 0);
    assert_int_equal(xl_read_file(out, 0, &data, &len, &err), 0);
    assert_int_equal(len, big);
    assert_memory_equal(data, blob, big);
    free(data);
    assert_int_equal(xl_write_file("/nonexistent/dir/x", blob, 1, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x: "));
    remove(out);
    remove(path);
    free(blob);
}

static void test_fread_exact(void **state)
{
    (void)state;
    const char *path = xl_test_write_tmp("fx", "abc", 3);
    xl_error err;
    FILE *f = xl_fopen(path, "rb", &err);
    assert_non_null(f);
    char buf[10];
    assert_int_equal(xl_fread_exact(buf, 2, f, path, &err), 0);
    assert_memory_equal(buf, "ab", 2);
    assert_int_equal(xl_fread_exact(buf, 0, f, path, &err), 0);
    assert_int_equal(xl_fread_exact(buf, 5, f, path, &err), -1);
    char want[512];
    snprintf(want, sizeof want, "%s: unexpected end of file (wanted 5 bytes, got 1)", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(xl_fclose(f, path, &err), 0);
    assert_int_equal(xl_fclose(NULL, path, &err), 0);
    assert_true(xl_fopen("-", "rb", &err) == stdin);
    assert_true(xl_fopen("-", "wb", &err) == stdout);
    assert_null(xl_fopen(NULL, "rb", &err));
    assert_string_equal(err.msg, "empty file name");
    remove(path);
}

typedef struct {
    const char *text;
    size_t len;
} line_want;

static void read_lines(const char *path, size_t max_line, const line_want *want, size_t n_want, const char *err_want)
{
    xl_lines r;
    xl_error err;
    assert_int_equal(xl_lines_open(&r, path, &err), 0);
    if (max_line) r.max_line = max_line;
    const char *line;
    size_t len;
    int rc;
    size_t k = 0;
    while ((rc = xl_lines_next(&r, &line, &len, &err)) > 0) {
        assert_true(k < n_want);
        assert_int_equal(len, want[k].len);
        assert_memory_equal(line, want[k].text, len);
        assert_int_equal(line[len], '\0');
        k++;
        assert_int_equal(r.lineno, k);
    }
    if (err_want) {
        assert_int_equal(rc, -1);
        assert_string_equal(err.msg, err_want);
        assert_int_equal(err.code, XL_ERR_LIMIT);
    } else {
        assert_int_equal(rc, 0);
        assert_int_equal(xl_lines_next(&r, &line, &len, &err), 0); /* stays at the end */
    }
    assert_int_equal(k, n_want);
    xl_lines_close(&r);
}

static void test_lines(void **state)
{
    (void)state;
    /* CRLF, NUL inside a line, empty lines, no final newline */
    const char text[] = "one\r\ntw\0o\n\n\r\nlast";
    const char *path = xl_test_write_tmp("lines", text, sizeof text - 1);
    const line_want w1[] = {{"one", 3}, {"tw\0o", 4}, {"", 0}, {"", 0}, {"last", 4}};
    read_lines(path, 0, w1, 5, NULL);
    remove(path);
    /* empty file: no lines; a lone newline: one empty line */
    path = xl_test_write_tmp("lines0", "", 0);
    read_lines(path, 0, NULL, 0, NULL);
    remove(path);
    path = xl_test_write_tmp("lines1", "\n", 1);
    const line_want w2[] = {{"", 0}};
    read_lines(path, 0, w2, 1, NULL);
    remove(path);
    /* strip_cr off keeps the '\r' */
    path = xl_test_write_tmp("lines2", "a\r\n", 3);
    xl_lines r;
    xl_error err;
    assert_int_equal(xl_lines_open(&r, path, &err), 0);
    r.strip_cr = false;
    const char *line;
    size_t len;
    assert_int_equal(xl_lines_next(&r, &line, &len, &err), 1);
    assert_int_equal(len, 2);
    assert_string_equal(line, "a\r");
    xl_lines_close(&r);
    remove(path);
    /* lines much longer than the 64 KiB block, and one exactly at the block size */
    size_t n1 = 200000, n2 = XL_LINES_CHUNK, n3 = 5;
    char *big = malloc(n1 + n2 + n3 + 3);
    memset(big, 'x', n1);
    big[1000] = '\0';
    big[n1] = '\n';
    memset(big + n1 + 1, 'y', n2);
    big[n1 + 1 + n2] = '\n';
    memcpy(big + n1 + n2 + 2, "zzzzz", n3);
    path = xl_test_write_tmp("long", big, n1 + n2 + n3 + 2);
    const line_want w3[] = {{big, n1}, {big + n1 + 1, n2}, {"zzzzz", 5}};
    read_lines(path, 0, w3, 3, NULL);
    /* max_line: the message names file and line */
    char want[512];
    snprintf(want, sizeof want, "%s:1: line longer than 100000 bytes", path);
    read_lines(path, 100000, NULL, 0, want);
    remove(path);
    free(big);
    /* the limit is on the line without its CRLF */
    path = xl_test_write_tmp("lim", "1234\r\n12345\n", 12);
    const line_want w4[] = {{"1234", 4}};
    snprintf(want, sizeof want, "%s:2: line longer than 4 bytes", path);
    read_lines(path, 4, w4, 1, want);
    remove(path);
    /* missing file */
    assert_int_equal(xl_lines_open(&r, "/nonexistent/l.txt", &err), -1);
    assert_string_equal(err.msg, "/nonexistent/l.txt: No such file or directory");
    xl_lines_close(&r);
    /* from a stream (stdin-like) */
    FILE *f = tmpfile();
    assert_non_null(f);
    fputs("s1\ns2\n", f);
    rewind(f);
    xl_lines_from_stream(&r, f, "<stream>");
    assert_int_equal(xl_lines_next(&r, &line, &len, &err), 1);
    assert_string_equal(line, "s1");
    assert_int_equal(xl_lines_next(&r, &line, &len, &err), 1);
    assert_string_equal(line, "s2");
    assert_int_equal(xl_lines_next(&r, &line, &len, &err), 0);
    xl_lines_close(&r);
    fclose(f); /* not closed by the reader */
}

/* -------------------------------------------------------- buffers & alloc -- */

static void test_buf(void **state)
{
    (void)state;
    xl_buf b;
    xl_buf_init(&b);
    assert_null(b.data);
    xl_error err;
    assert_int_equal(xl_buf_append(&b, "ab", 2, &err), 0);
    assert_int_equal(xl_buf_putc(&b, '\0', &err), 0);
    assert_int_equal(xl_buf_putc(&b, 'c', &err), 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "ab\0c", 5);
    assert_int_equal(xl_buf_printf(&b, &err, "[%d-%s]", 42, "x"), 0);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "ab\0c[42-x]", 11);
    for (int i = 0; i < 10000; i++) assert_int_equal(xl_buf_printf(&b, &err, "%04d", i % 10000), 0);
    assert_int_equal(b.len, 10 + 40000);
    assert_memory_equal(b.data + 10 + 4 * 9999, "9999", 5);
    assert_true(b.cap > b.len);
    xl_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(xl_buf_reserve(&b, 1 << 20, &err), 0);
    assert_true(b.cap >= (1u << 20) + 1);
    assert_int_equal(xl_buf_reserve(&b, SIZE_MAX, &err), -1);
    assert_string_equal(err.msg, "buffer size overflow");
    assert_int_equal(xl_buf_append(&b, "z", 1, &err), 0); /* still usable */
    assert_string_equal(b.data, "z");
    xl_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    xl_buf_clear(&b); /* on an empty buffer */
}

/* xl_array_reserve: doubling from `first`, exact reuse, overflow refused without damage */
static void test_array_reserve(void **state)
{
    (void)state;
    xl_error err;
    size_t cap = 0;
    int *a = xl_array_reserve((int *)NULL, &cap, 1, 4, &err);
    assert_non_null(a);
    assert_int_equal(cap, 4);
    for (int i = 0; i < 4; i++) a[i] = i;
    int *same = xl_array_reserve(a, &cap, 4, 4, &err); /* enough room: same block, same cap */
    assert_ptr_equal(same, a);
    assert_int_equal(cap, 4);
    a = xl_array_reserve(a, &cap, 5, 4, &err);
    assert_non_null(a);
    assert_int_equal(cap, 8);
    a = xl_array_reserve(a, &cap, 33, 4, &err); /* 8 -> 16 -> 32 -> 64 */
    assert_non_null(a);
    assert_int_equal(cap, 64);
    for (int i = 0; i < 4; i++) assert_int_equal(a[i], i); /* contents kept */
    size_t cap_before = cap;
    xl_error_clear(&err);
    assert_null(xl_array_reserve(a, &cap, SIZE_MAX / 2, 4, &err)); /* bytes overflow size_t */
    assert_int_equal(cap, cap_before);
    assert_int_equal(err.code, XL_ERR_NOMEM);
    for (int i = 0; i < 4; i++) assert_int_equal(a[i], i);
    free(a);
}

static void test_alloc(void **state)
{
    (void)state;
    size_t out = 123;
    assert_true(xl_mul_size(0, SIZE_MAX, &out) && out == 0);
    assert_true(xl_mul_size(SIZE_MAX, 1, &out) && out == SIZE_MAX);
    out = 123;
    assert_false(xl_mul_size(SIZE_MAX, 2, &out));
    assert_int_equal(out, 123);
    assert_false(xl_mul_size((size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4), &out));
    assert_true(xl_add_size(SIZE_MAX - 1, 1, &out) && out == SIZE_MAX);
    assert_false(xl_add_size(SIZE_MAX, 1, &out));
    xl_error err;
    xl_error_clear(&err);
    assert_null(xl_calloc(SIZE_MAX, 2, &err));
    assert_int_equal(err.code, XL_ERR_NOMEM);
    assert_non_null(strstr(err.msg, "size overflow"));
    assert_non_null(strstr(err.msg, "test_core.c:"));
    char *p = xl_malloc(16, &err);
    assert_non_null(p);
    memcpy(p, "0123456789abcde", 16);
    assert_null(xl_realloc(p, SIZE_MAX / 2, 4, &err)); /* p stays valid */
    assert_non_null(strstr(err.msg, "size overflow"));
    assert_string_equal(p, "0123456789abcde");
    p = xl_realloc(p, 1000, 2, &err);
    assert_non_null(p);
    assert_string_equal(p, "0123456789abcde");
    free(p);
    assert_null(xl_aligned_alloc(SIZE_MAX - 8, &err));
    assert_non_null(strstr(err.msg, "size overflow"));
    assert_null(xl_strndup("x", SIZE_MAX, &err));
    assert_non_null(strstr(err.msg, "out of memory"));
    for (size_t n = 1; n < 200; n += 37) {
        void *a = xl_aligned_alloc(n, &err);
        assert_non_null(a);
        assert_int_equal((uintptr_t)a % 64, 0);
        memset(a, 0xAB, n);
        xl_aligned_free(a);
    }
    xl_aligned_free(NULL);
    char *s = xl_strndup("hello world", 5, &err);
    assert_string_equal(s, "hello");
    free(s);
    void *z = xl_calloc(0, 8, &err); /* zero-size requests return a pointer */
    assert_non_null(z);
    free(z);
    assert_null(xl_calloc(SIZE_MAX, 2, NULL)); /* err may be NULL */
}

static void test_error(void **state)
{
    (void)state;
    xl_error err;
    assert_int_equal(xl_fail(&err, XL_ERR_FORMAT, "%s:%d: bad '%s'", "f.txt", 3, "x"), -1);
    assert_string_equal(err.msg, "f.txt:3: bad 'x'");
    assert_int_equal(err.code, XL_ERR_FORMAT);
    assert_int_equal(xl_error_prefix(&err, "loading %s", "model"), -1);
    assert_string_equal(err.msg, "loading model: f.txt:3: bad 'x'");
    assert_int_equal(err.code, XL_ERR_FORMAT);
    xl_error_clear(&err);
    assert_int_equal(err.code, XL_OK);
    assert_string_equal(err.msg, "");
    assert_int_equal(xl_error_prefix(&err, "ctx"), -1);
    assert_int_equal(err.code, XL_ERR_GENERIC);
    /* long messages are truncated, never overflowed */
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    xl_fail(&err, XL_ERR_GENERIC, "%s", big);
    assert_int_equal(strlen(err.msg), XL_ERROR_MSG_MAX - 1);
    xl_error_prefix(&err, "%s", big);
    assert_int_equal(strlen(err.msg), XL_ERROR_MSG_MAX - 1);
    assert_int_equal(xl_fail(NULL, XL_ERR_IO, "x"), -1);
    assert_int_equal(xl_error_prefix(NULL, "x"), -1);
    xl_error_clear(NULL);
}

/* ---------------------------------------------------------------- threads -- */

typedef struct {
    unsigned char *hits; /* per item */
    size_t n_items;
    int n_threads;
    size_t begin[XL_MAX_THREADS], end[XL_MAX_THREADS];
    unsigned char called[XL_MAX_THREADS];
} cover_ctx;

static void cover_range(void *vctx, size_t begin, size_t end, int tid)
{
    cover_ctx *c = vctx;
    /* each thread writes only its own slots: no data race */
    assert_true(tid >= 0 && tid < XL_MAX_THREADS);
    c->called[tid]++;
    c->begin[tid] = begin;
    c->end[tid] = end;
    for (size_t i = begin; i < end; i++) c->hits[i]++;
}

static void test_parallel_for(void **state)
{
    (void)state;
    static const int threads[] = {1, 2, 3, 4, 7, 16, 64, 300};
    static const size_t items[] = {0, 1, 2, 5, 63, 1000, 100003};
    for (size_t a = 0; a < sizeof threads / sizeof threads[0]; a++) {
        for (size_t b = 0; b < sizeof items / sizeof items[0]; b++) {
            cover_ctx *c = calloc(1, sizeof *c);
            size_t n = items[b];
            c->hits = calloc(n ? n : 1, 1);
            assert_int_equal(xl_parallel_for(threads[a], n, cover_range, c), 0);
            for (size_t i = 0; i < n; i++) {
                if (c->hits[i] != 1) print_error("threads %d items %zu: item %zu hit %d times\n", threads[a], n, i,
                                                 c->hits[i]);
                assert_int_equal(c->hits[i], 1);
            }
            /* the documented split: thread t gets [n*t/T, n*(t+1)/T) with
             * T = min(threads, max(n, 1), XL_MAX_THREADS) */
            size_t T = (size_t)(threads[a] > XL_MAX_THREADS ? XL_MAX_THREADS : threads[a]);
            if (T > n) T = n ? n : 1;
            for (size_t t = 0; t < T; t++) {
                size_t lo = n * t / T, hi = n * (t + 1) / T;
                if (lo < hi) {
                    assert_int_equal(c->called[t], 1);
                    assert_int_equal(c->begin[t], lo);
                    assert_int_equal(c->end[t], hi);
                }
            }
            for (size_t t = T; t < XL_MAX_THREADS; t++) assert_int_equal(c->called[t], 0);
            free(c->hits);
            free(c);
        }
    }
    assert_int_equal(xl_resolve_threads(5), 5);
    assert_int_equal(xl_resolve_threads(100000), XL_MAX_THREADS);
    assert_true(xl_resolve_threads(0) >= 1);
    assert_true(xl_resolve_threads(-3) >= 1);
    assert_true(xl_cpu_count() >= 1);
    assert_true(xl_threads_available() == 0 || xl_threads_available() == 1);
}

/* A nested call from inside a pool run must not deadlock (it falls back to xl_parallel_for). */
typedef struct {
    xl_pool *pool;
    size_t inner_hits[64];
} nested_ctx;

static void nested_inner(void *vctx, size_t begin, size_t end, int tid)
{
    (void)tid;
    size_t *hits = vctx;
    for (size_t i = begin; i < end; i++) hits[i]++;
}

static void nested_outer(void *vctx, size_t begin, size_t end, int tid)
{
    nested_ctx *c = vctx;
    if (tid == 0 && begin < end) assert_int_equal(xl_pool_run(c->pool, 2, 64, nested_inner, c->inner_hits), 0);
    (void)end;
}

static void test_pool(void **state)
{
    (void)state;
    xl_error err;
    static const int sizes[] = {1, 2, 4};
    static const int threads[] = {1, 2, 3, 5};
    static const size_t items[] = {0, 1, 2, 7, 1000};
    for (size_t ps = 0; ps < sizeof sizes / sizeof sizes[0]; ps++) {
        xl_pool *pool = xl_pool_new(sizes[ps], &err);
        assert_non_null(pool);
        assert_int_equal(xl_pool_size(pool), sizes[ps]);
        /* many short runs in a row: workers must wake for each and never miss or repeat one */
        for (int rep = 0; rep < 50; rep++)
            for (size_t a = 0; a < sizeof threads / sizeof threads[0]; a++)
                for (size_t b = 0; b < sizeof items / sizeof items[0]; b++) {
                    cover_ctx *c = calloc(1, sizeof *c);
                    size_t n = items[b];
                    c->hits = calloc(n ? n : 1, 1);
                    assert_int_equal(xl_pool_run(pool, threads[a], n, cover_range, c), 0);
                    for (size_t i = 0; i < n; i++) assert_int_equal(c->hits[i], 1);
                    /* xl_parallel_for's split with T = min(threads, pool size, max(n, 1)) */
                    size_t T = (size_t)(threads[a] < sizes[ps] ? threads[a] : sizes[ps]);
                    if (T > n) T = n ? n : 1;
                    for (size_t t = 0; t < T; t++)
                        if (n * t / T < n * (t + 1) / T) {
                            assert_int_equal(c->called[t], 1);
                            assert_int_equal(c->begin[t], n * t / T);
                            assert_int_equal(c->end[t], n * (t + 1) / T);
                        }
                    for (size_t t = T; t < XL_MAX_THREADS; t++) assert_int_equal(c->called[t], 0);
                    free(c->hits);
                    free(c);
                }
        nested_ctx nc = {pool, {0}};
        assert_int_equal(xl_pool_run(pool, 2, 4, nested_outer, &nc), 0);
        for (size_t i = 0; i < 64; i++) assert_int_equal(nc.inner_hits[i], 1);
        xl_pool_free(pool);
    }
    xl_pool_free(NULL);
    assert_int_equal(xl_pool_size(NULL), 1);
    cover_ctx *c = calloc(1, sizeof *c); /* NULL pool: plain xl_parallel_for */
    c->hits = calloc(10, 1);
    assert_int_equal(xl_pool_run(NULL, 2, 10, cover_range, c), 0);
    for (size_t i = 0; i < 10; i++) assert_int_equal(c->hits[i], 1);
    free(c->hits);
    free(c);
}

/* --------------------------------------------------------------- platform -- */

static void test_map_file(void **state)
{
    (void)state;
    size_t n = 100000;
    char *blob = malloc(n);
    for (size_t i = 0; i < n; i++) blob[i] = (char)(i ^ (i >> 8));
    const char *path = xl_test_write_tmp("map", blob, n);
    xl_mapped_file m;
    xl_error err;
    assert_int_equal(xl_map_file(&m, path, &err), 0);
    assert_int_equal(m.size, n);
    assert_memory_equal(m.data, blob, n);
    assert_int_equal((uintptr_t)m.data % 64, 0);
    /* releasing pages keeps the contents: touched again, they are read from the file anew;
     * ranges outside the map, empty or NULL are ignored */
    (void)m.data[n / 2];
    xl_mapped_file_release(&m, m.data + 5000, n - 10000);
    xl_mapped_file_release(&m, m.data, n);
    xl_mapped_file_release(&m, m.data + n - 1, 2); /* one past the end: ignored */
    xl_mapped_file_release(&m, blob, n);           /* not in the map: ignored */
    xl_mapped_file_release(&m, NULL, 0);
    assert_memory_equal(m.data, blob, n);
    xl_unmap_file(&m);
    assert_null(m.data);
    /* "-" reads stdin into an aligned heap block */
    assert_non_null(freopen(path, "rb", stdin));
    assert_int_equal(xl_map_file(&m, "-", &err), 0);
    assert_int_equal(m.size, n);
    assert_false(m.is_mapped);
    xl_mapped_file_release(&m, m.data, n); /* a heap copy: nothing to release, contents kept */
    assert_memory_equal(m.data, blob, n);
    assert_int_equal((uintptr_t)m.data % 64, 0);
    xl_unmap_file(&m);
    remove(path);
    /* empty file */
    path = xl_test_write_tmp("map0", "", 0);
    assert_int_equal(xl_map_file(&m, path, &err), 0);
    assert_int_equal(m.size, 0);
    xl_unmap_file(&m);
    remove(path);
    assert_int_equal(xl_map_file(&m, "/nonexistent/m.bin", &err), -1);
    assert_string_equal(err.msg, "/nonexistent/m.bin: No such file or directory");
    free(blob);
    /* the timer is monotonic and advances */
    double t0 = xl_time_now(), t1 = t0;
    for (int i = 0; i < 1000000 && t1 == t0; i++) t1 = xl_time_now();
    assert_true(t1 > t0);
    assert_true(xl_peak_rss_bytes() == 0 || xl_peak_rss_bytes() > 100000);
}

/* xl_bytes.h: FNV-1a 64 on the published test vectors (Fowler, Noll, Vo: "", "a", "foobar"), the
 * streamed form equal to the one-shot one, and the little-endian writers' exact bytes read back. */
static void test_bytes_hash_and_le(void **state)
{
    (void)state;
    assert_true(xl_fnv1a64("", 0) == 0xcbf29ce484222325ull);
    assert_true(xl_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(xl_fnv1a64("foobar", 6) == 0x85944171f73967e8ull);
    assert_true(xl_fnv1a64_more(xl_fnv1a64("foo", 3), "bar", 3) == xl_fnv1a64("foobar", 6));
    assert_true(xl_fnv1a64_more(XL_FNV1A64_BASIS, "foobar", 6) == xl_fnv1a64("foobar", 6));
    unsigned char b[12];
    memset(b, 0xee, sizeof b);
    xl_le_put_u32(b, 0x01020304u);
    xl_le_put_u64(b + 4, 0x0102030405060708ull);
    static const unsigned char want[12] = {4, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1};
    assert_memory_equal(b, want, sizeof want);
    assert_int_equal(xl_le_u32(b), 0x01020304u);
    assert_true(xl_le_u64(b + 4) == 0x0102030405060708ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_hash_and_le),
        cmocka_unit_test(test_utf8_decode_table_3_7),
        cmocka_unit_test(test_utf8_encode_round_trip),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_utf8_validate),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_rng_pinned),
        cmocka_unit_test(test_rng_properties),
        cmocka_unit_test(test_rng_advance),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_fread_exact),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_alloc), cmocka_unit_test(test_array_reserve),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_parallel_for),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_map_file),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
