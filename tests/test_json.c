/* test_json.c - the strict JSON reader (src/core/xl_json.h): values, escapes,
 * numbers, limits, duplicate-key policies, error positions, hostile input,
 * and the real HuggingFace files in ../shared when present. */
#include "xl_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_eval.h"
#include "xl_io.h"
#include "xl_json.h"
#include "xl_platform.h"

/* Parse s (NUL-terminated, or with explicit length) expecting success. */
static xl_json_doc *parse_ok_n(const char *s, size_t n, const xl_json_limits *lim)
{
    xl_json_doc *doc = NULL;
    xl_error err = {0};
    int rc = xl_json_parse(s, n, lim, &doc, &err);
    if (rc != 0) print_error("unexpected parse failure: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(doc);
    assert_non_null(xl_json_root(doc));
    return doc;
}
static xl_json_doc *parse_ok(const char *s)
{
    return parse_ok_n(s, strlen(s), NULL);
}

/* Parse expecting failure; the message must contain `needle`. */
static void parse_bad_n(const char *s, size_t n, const xl_json_limits *lim, xl_error_code code, const char *needle)
{
    xl_json_doc *doc = (xl_json_doc *)1;
    xl_error err = {0};
    int rc = xl_json_parse(s, n, lim, &doc, &err);
    if (rc == 0) print_error("parse of '%.*s' unexpectedly succeeded\n", (int)(n > 60 ? 60 : n), s);
    assert_int_equal(rc, -1);
    assert_null(doc);
    if (strstr(err.msg, needle) == NULL) print_error("message '%s' lacks '%s'\n", err.msg, needle);
    assert_non_null(strstr(err.msg, needle));
    assert_int_equal(err.code, code);
}
static void parse_bad(const char *s, const char *needle)
{
    parse_bad_n(s, strlen(s), NULL, XL_ERR_FORMAT, needle);
}

static void test_scalars(void **state)
{
    (void)state;
    xl_json_doc *d = parse_ok("null");
    assert_int_equal(xl_json_root(d)->type, XL_JSON_NULL);
    xl_json_free(d);
    d = parse_ok(" \t\r\n true \n");
    assert_int_equal(xl_json_root(d)->type, XL_JSON_BOOL);
    assert_true(xl_json_root(d)->u.boolean);
    assert_int_equal(xl_json_root(d)->offset, 5);
    xl_json_free(d);
    d = parse_ok("false");
    assert_false(xl_json_root(d)->u.boolean);
    xl_json_free(d);
    d = parse_ok("\"\"");
    assert_string_equal(xl_json_string(xl_json_root(d)), "");
    assert_int_equal(xl_json_root(d)->u.string.len, 0);
    xl_json_free(d);
    xl_json_free(NULL);
    assert_null(xl_json_root(NULL));
}

typedef struct {
    const char *text;
    bool is_int;
    int64_t i;
    double d;
} num_case;

static void test_numbers(void **state)
{
    (void)state;
    const num_case cases[] = {
        {"0", true, 0, 0.0},
        {"-0", true, 0, -0.0},
        {"7", true, 7, 7.0},
        {"-42", true, -42, -42.0},
        {"9223372036854775807", true, INT64_MAX, 9223372036854775807.0},
        {"-9223372036854775808", true, INT64_MIN, -9223372036854775808.0},
        {"9223372036854775808", false, 0, 9223372036854775808.0},
        {"-9223372036854775809", false, 0, -9223372036854775808.0},
        {"99999999999999999999999", false, 0, 1e23},
        {"18446744073709551616", false, 0, 18446744073709551616.0},
        {"9007199254740993", true, 9007199254740993LL, 9007199254740992.0}, /* int exact, double rounds */
        {"1.5", false, 0, 1.5},
        {"-0.25", false, 0, -0.25},
        {"1e2", false, 0, 100.0},
        {"1E+2", false, 0, 100.0},
        {"2.5e-3", false, 0, 0.0025},
        {"0.1", false, 0, 0.1},
        {"1e-12", false, 0, 1e-12},
        {"0.02", false, 0, 0.02},
        {"123456789.123456789", false, 0, 123456789.123456789},
        {"0.1000000000000000055511151231257827021181583404541015625", false, 0, 0.1},
        {"1.7976931348623157e308", false, 0, 1.7976931348623157e308},
        {"2.2250738585072014e-308", false, 0, 2.2250738585072014e-308},
        {"4.9e-324", false, 0, 4.9e-324},
        {"1e-400", false, 0, 0.0}, /* underflow: the nearest double */
        {"0e99999999999", false, 0, 0.0},
        {"1.0", false, 0, 1.0},
        {"3.14159265358979323846264338327950288", false, 0, 3.14159265358979323846},
        {"1234567890123456789012345678901234567890e-20", false, 0, 12345678901234567890.123456789},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        xl_json_doc *d = parse_ok(cases[k].text);
        const xl_json *v = xl_json_root(d);
        assert_int_equal(v->type, XL_JSON_NUMBER);
        if (v->u.number.is_int != cases[k].is_int) print_error("case %s: is_int\n", cases[k].text);
        assert_int_equal(v->u.number.is_int, cases[k].is_int);
        if (cases[k].is_int) assert_true(v->u.number.int_value == cases[k].i);
        if (v->u.number.value != cases[k].d)
            print_error("case %s: got %.17g want %.17g\n", cases[k].text, v->u.number.value, cases[k].d);
        assert_true(v->u.number.value == cases[k].d);
        assert_int_equal(signbit(v->u.number.value) != 0, signbit(cases[k].d) != 0);
        xl_json_free(d);
    }
    /* a number with thousands of digits goes through the slow path intact */
    char *big = malloc(5003);
    assert_non_null(big);
    big[0] = '0';
    big[1] = '.';
    memset(big + 2, '0', 5000);
    big[5002] = '\0';
    big[5001] = '5';
    xl_json_doc *d = parse_ok(big);
    assert_true(xl_json_root(d)->u.number.value == 0.0);
    xl_json_free(d);
    free(big);
}

static void test_bad_numbers(void **state)
{
    (void)state;
    parse_bad("1e999", "out of range");
    parse_bad("-1e999", "out of range");
    parse_bad("[1e309]", "out of range");
    parse_bad("01", "leading zeros");
    parse_bad("-01", "leading zeros");
    parse_bad("00", "leading zeros");
    parse_bad("1.", "expected a digit after '.'");
    parse_bad("1.e5", "expected a digit after '.'");
    parse_bad(".5", "expected a value, found '.'");
    parse_bad("+1", "expected a value, found '+'");
    parse_bad("-", "expected a digit after '-', found end of input");
    parse_bad("--1", "expected a digit after '-'");
    parse_bad("1e", "expected a digit in the exponent");
    parse_bad("1e+", "expected a digit in the exponent");
    parse_bad("NaN", "expected a value, found 'N'");
    parse_bad("Infinity", "expected a value, found 'I'");
    parse_bad("-Infinity", "expected a digit after '-'");
    parse_bad("0x10", "unexpected 'x' after the JSON value");
    parse_bad("1 2", "unexpected '2' after the JSON value");
}

static void test_strings_and_escapes(void **state)
{
    (void)state;
    xl_json_doc *d = parse_ok("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"");
    assert_string_equal(xl_json_string(xl_json_root(d)), "a\"b\\c/d\be\ff\ng\rh\ti");
    xl_json_free(d);
    d = parse_ok("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\uD834\\uDD1E\"");
    /* A, e-acute, euro sign, U+1F600, U+1D11E */
    assert_string_equal(xl_json_string(xl_json_root(d)), "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF0\x9D\x84\x9E");
    xl_json_free(d);
    /* \u0000 decodes to a NUL byte: the length counts it */
    d = parse_ok("\"a\\u0000b\"");
    const xl_json *v = xl_json_root(d);
    assert_int_equal(v->u.string.len, 3);
    assert_memory_equal(v->u.string.data, "a\0b", 4);
    xl_json_free(d);
    /* raw UTF-8 passes through: 2-, 3- and 4-byte forms, and the boundaries */
    const char *raw = "\"\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 "
                      "\xF4\x8F\xBF\xBF \xE4\xB8\xAD\xE6\x96\x87\"";
    d = parse_ok(raw);
    assert_int_equal(xl_json_root(d)->u.string.len, strlen(raw) - 2);
    assert_memory_equal(xl_json_root(d)->u.string.data, raw + 1, strlen(raw) - 2);
    xl_json_free(d);
    /* DEL (0x7F) is not a control character in JSON's sense */
    d = parse_ok("\"\x7F\"");
    xl_json_free(d);
}

static void test_bad_strings(void **state)
{
    (void)state;
    parse_bad("\"abc", "unterminated string");
    parse_bad("\"abc\\\"", "unterminated string");
    parse_bad("\"\\", "unterminated string");
    parse_bad("\"\\x\"", "invalid escape '\\' followed by 'x'");
    parse_bad("\"\\'\"", "invalid escape");
    parse_bad("\"\\U0041\"", "invalid escape");
    parse_bad("\"\\u12G4\"", "expected a hex digit, found 'G'");
    parse_bad("\"\\u12\"", "expected a hex digit, found '\"'");
    parse_bad("\"\\u", "unterminated string");
    /* lone surrogates */
    parse_bad("\"\\ud800\"", "lone high surrogate \\uD800");
    parse_bad("\"\\ud800x\"", "lone high surrogate");
    parse_bad("\"\\ud800\\u0041\"", "lone high surrogate \\uD800 in string (followed by \\u0041)");
    parse_bad("\"\\ud800\\ud800\"", "followed by \\uD800");
    parse_bad("\"\\udc00\"", "lone low surrogate \\uDC00");
    parse_bad("\"\\udfff\\ud800\"", "lone low surrogate");
    parse_bad("\"\\ud800\\n\"", "lone high surrogate");
    /* raw control characters and NUL bytes */
    parse_bad("\"a\tb\"", "control character U+0009 in string must be escaped");
    parse_bad("\"a\nb\"", "control character U+000A");
    parse_bad_n("\"a\0b\"", 5, NULL, XL_ERR_FORMAT, "control character U+0000");
    parse_bad_n("[1,\0]", 5, NULL, XL_ERR_FORMAT, "found byte 0x00");
    parse_bad_n("\0", 1, NULL, XL_ERR_FORMAT, "expected a value, found byte 0x00");
    parse_bad_n("1\0", 2, NULL, XL_ERR_FORMAT, "unexpected byte 0x00 after the JSON value");
    /* ill-formed UTF-8, every class of Table 3-7 */
    parse_bad("\"\xC0\x80\"", "invalid UTF-8 in string (invalid lead byte)");
    parse_bad("\"\xC1\xBF\"", "invalid lead byte");
    parse_bad("\"\xE0\x80\x80\"", "overlong encoding");
    parse_bad("\"\xF0\x80\x80\x80\"", "overlong encoding");
    parse_bad("\"\xED\xA0\x80\"", "encoded surrogate");
    parse_bad("\"\xF4\x90\x80\x80\"", "above U+10FFFF");
    parse_bad("\"\xF5\x80\x80\x80\"", "invalid lead byte");
    parse_bad("\"\xFF\"", "invalid lead byte");
    parse_bad("\"\x80\"", "unexpected continuation byte");
    parse_bad("\"\xE2\x82\"", "truncated sequence");
    parse_bad("\"ok \xE2\x82", "unterminated string");
    parse_bad("\xC3\xA9", "expected a value, found byte 0xC3");
    /* the error points at the bad byte: column counts code points */
    xl_error err;
    xl_json_doc *doc;
    assert_int_equal(xl_json_parse("[\"\xC3\xA9\xC3\xA9\xFF\"]", 8, NULL, &doc, &err), -1);
    assert_string_equal(err.msg, "line 1, column 5 (byte 6): invalid UTF-8 in string (invalid lead byte)");
}

static void test_containers(void **state)
{
    (void)state;
    xl_json_doc *d = parse_ok("{\"a\": [1, 2.5, \"x\", null, true, {}, []], \"b\": {\"c\": {\"d\": false}}, \"\": 0}");
    const xl_json *root = xl_json_root(d);
    assert_true(xl_json_is(root, XL_JSON_OBJECT));
    assert_int_equal(xl_json_count(root), 3);
    assert_string_equal(root->u.object.members[0].key, "a");
    assert_string_equal(root->u.object.members[1].key, "b");
    assert_string_equal(root->u.object.members[2].key, "");
    const xl_json *a = xl_json_get(root, "a");
    assert_int_equal(xl_json_count(a), 7);
    assert_int_equal(xl_json_at(a, 0)->u.number.int_value, 1);
    assert_true(xl_json_at(a, 1)->u.number.value == 2.5);
    assert_string_equal(xl_json_string(xl_json_at(a, 2)), "x");
    assert_true(xl_json_is(xl_json_at(a, 3), XL_JSON_NULL));
    assert_true(xl_json_at(a, 4)->u.boolean);
    assert_true(xl_json_is(xl_json_at(a, 5), XL_JSON_OBJECT));
    assert_int_equal(xl_json_count(xl_json_at(a, 5)), 0);
    assert_true(xl_json_is(xl_json_at(a, 6), XL_JSON_ARRAY));
    assert_int_equal(xl_json_count(xl_json_at(a, 6)), 0);
    assert_null(xl_json_at(a, 7));
    assert_int_equal(xl_json_at(a, 2)->offset, 15);
    bool b = true;
    assert_true(xl_json_get_bool(xl_json_get(xl_json_get(root, "b"), "c"), "d", &b));
    assert_false(b);
    int64_t i = -1;
    assert_true(xl_json_get_int(root, "", &i));
    assert_int_equal(i, 0);
    /* chained lookups through missing keys and wrong types are NULL-safe */
    assert_null(xl_json_get(xl_json_get(root, "zzz"), "c"));
    assert_null(xl_json_get(a, "a"));
    assert_null(xl_json_at(root, 0));
    assert_null(xl_json_get(root, NULL));
    assert_int_equal(xl_json_count(NULL), 0);
    assert_int_equal(xl_json_count(xl_json_at(a, 0)), 0);
    assert_false(xl_json_is(NULL, XL_JSON_NULL));
    assert_null(xl_json_string(a));
    assert_null(xl_json_get_string(root, "a"));
    xl_json_free(d);
}

static void test_typed_getters(void **state)
{
    (void)state;
    xl_json_doc *d = parse_ok("{\"i\": 768, \"f\": 768.0, \"e\": 1e3, \"h\": 0.5, \"big\": 1e300, \"s\": \"gelu\","
                              " \"t\": true, \"n\": null, \"eps\": 1e-12, \"neg\": -3}");
    const xl_json *r = xl_json_root(d);
    int64_t i = 0;
    double x = 0;
    bool b = false;
    assert_true(xl_json_get_int(r, "i", &i));
    assert_int_equal(i, 768);
    assert_true(xl_json_get_int(r, "f", &i));
    assert_int_equal(i, 768);
    assert_true(xl_json_get_int(r, "e", &i));
    assert_int_equal(i, 1000);
    assert_true(xl_json_get_int(r, "neg", &i));
    assert_int_equal(i, -3);
    i = 99;
    assert_false(xl_json_get_int(r, "h", &i));
    assert_false(xl_json_get_int(r, "big", &i));
    assert_false(xl_json_get_int(r, "s", &i));
    assert_false(xl_json_get_int(r, "missing", &i));
    assert_int_equal(i, 99);
    assert_true(xl_json_get_double(r, "eps", &x));
    assert_true(x == 1e-12);
    assert_true(xl_json_get_double(r, "i", &x));
    assert_true(x == 768.0);
    assert_false(xl_json_get_double(r, "t", &x));
    assert_true(xl_json_get_bool(r, "t", &b));
    assert_true(b);
    assert_false(xl_json_get_bool(r, "n", &b));
    assert_string_equal(xl_json_get_string(r, "s"), "gelu");
    assert_null(xl_json_get_string(r, "i"));
    assert_string_equal(xl_json_type_name(XL_JSON_NULL), "null");
    assert_string_equal(xl_json_type_name(XL_JSON_BOOL), "boolean");
    assert_string_equal(xl_json_type_name(XL_JSON_NUMBER), "number");
    assert_string_equal(xl_json_type_name(XL_JSON_STRING), "string");
    assert_string_equal(xl_json_type_name(XL_JSON_ARRAY), "array");
    assert_string_equal(xl_json_type_name(XL_JSON_OBJECT), "object");
    xl_json_free(d);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    parse_bad("", "line 1, column 1 (byte 0): unexpected end of input (expected a value)");
    parse_bad("   \n  ", "line 2, column 3 (byte 6): unexpected end of input");
    parse_bad("[", "unexpected end of input (expected a value)");
    parse_bad("[1", "expected ',' or ']' after an array element, found end of input");
    parse_bad("[1,", "unexpected end of input");
    parse_bad("[1,]", "trailing comma");
    parse_bad("{\"a\":1,}", "trailing comma");
    parse_bad("[1 2]", "expected ',' or ']' after an array element, found '2'");
    parse_bad("{\"a\" 1}", "expected ':' after an object key, found '1'");
    parse_bad("{\"a\":1 \"b\":2}", "expected ',' or '}' after an object member, found '\"'");
    parse_bad("{\"a\"}", "expected ':'");
    parse_bad("{\"a\":}", "expected a value, found '}'");
    parse_bad("{1:2}", "expected a string key, found '1'");
    parse_bad("{'a':1}", "expected a string key, found '''");
    parse_bad("{a:1}", "expected a string key, found 'a'");
    parse_bad("[1]]", "unexpected ']' after the JSON value");
    parse_bad("[1}", "expected ',' or ']'");
    parse_bad("{\"a\":1]", "expected ',' or '}'");
    parse_bad("]", "expected a value, found ']'");
    parse_bad("tru", "invalid literal (expected 'true'), found end of input");
    parse_bad("trUe", "invalid literal (expected 'true'), found 'U'");
    parse_bad("nul", "expected 'null'");
    parse_bad("fals", "expected 'false'");
    parse_bad("nulll", "unexpected 'l' after the JSON value");
    parse_bad("truefalse", "unexpected 'f' after the JSON value");
    parse_bad("{} x", "unexpected 'x' after the JSON value");
    parse_bad("[1] // comment", "unexpected '/'");
    parse_bad("/* c */ 1", "expected a value, found '/'");
    parse_bad("[1,\f2]", "byte 0x0C");  /* form feed is not JSON white space */
    parse_bad("\xEF\xBB\xBF{}", "byte order mark");
    /* exact message and position */
    xl_error err;
    xl_json_doc *doc;
    const char *t = "{\n  \"a\" 1\n}";
    assert_int_equal(xl_json_parse(t, strlen(t), NULL, &doc, &err), -1);
    assert_string_equal(err.msg, "line 2, column 7 (byte 8): expected ':' after an object key, found '1'");
    assert_int_equal(err.code, XL_ERR_FORMAT);
    t = "{\"k\": [1, 2,\n\n    3, }";
    assert_int_equal(xl_json_parse(t, strlen(t), NULL, &doc, &err), -1);
    assert_string_equal(err.msg, "line 3, column 8 (byte 21): expected a value after ',' (trailing comma?), found '}'");
    /* NULL text with length 0 is empty input, not a crash */
    assert_int_equal(xl_json_parse(NULL, 0, NULL, &doc, &err), -1);
    /* err may be NULL */
    assert_int_equal(xl_json_parse("[", 1, NULL, &doc, NULL), -1);
    assert_null(doc);
}

/* Every proper prefix of a valid document is invalid and must fail cleanly
 * (never read past the given length: ASan checks that, since each prefix is
 * copied into an exact-size heap block). */
static void test_truncation(void **state)
{
    (void)state;
    const char *full = "{\"a\": [1, -2.5e+3, \"x\\u00e9\\ud83d\\ude00\\n\", null, true, false],"
                       " \"b\": {\"c\": {}}, \"\xE4\xB8\xAD\": \"\xF0\x9F\x98\x80\"}";
    size_t n = strlen(full);
    xl_json_doc *d = parse_ok(full);
    xl_json_free(d);
    for (size_t k = 0; k < n; k++) {
        char *copy = malloc(k ? k : 1);
        assert_non_null(copy);
        memcpy(copy, full, k);
        xl_json_doc *doc = NULL;
        xl_error err;
        assert_int_equal(xl_json_parse(copy, k, NULL, &doc, &err), -1);
        assert_null(doc);
        free(copy);
    }
}

static char *nested(size_t depth, const char *open, const char *close, const char *inner)
{
    size_t lo = strlen(open), lc = strlen(close), li = strlen(inner);
    char *s = malloc(depth * (lo + lc) + li + 1);
    assert_non_null(s);
    char *o = s;
    for (size_t i = 0; i < depth; i++, o += lo) memcpy(o, open, lo);
    memcpy(o, inner, li);
    o += li;
    for (size_t i = 0; i < depth; i++, o += lc) memcpy(o, close, lc);
    *o = '\0';
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    /* 10,000 unclosed '[': refused at the limit, no recursion */
    char *s = malloc(10001);
    assert_non_null(s);
    memset(s, '[', 10000);
    s[10000] = '\0';
    parse_bad_n(s, 10000, NULL, XL_ERR_LIMIT, "line 1, column 513 (byte 512): nesting deeper than 512 levels");
    free(s);
    /* exactly 512 levels pass, 513 fail */
    s = nested(512, "[", "]", "1");
    xl_json_doc *d = parse_ok(s);
    const xl_json *v = xl_json_root(d);
    for (int i = 0; i < 512; i++) v = xl_json_at(v, 0);
    assert_int_equal(v->u.number.int_value, 1);
    xl_json_free(d);
    free(s);
    s = nested(513, "{\"k\":", "}", "1");
    parse_bad_n(s, strlen(s), NULL, XL_ERR_LIMIT, "nesting deeper than 512 levels");
    free(s);
    /* a raised limit allows 100,000 levels: the parser uses its own stack */
    xl_json_limits lim = {200000, 0, XL_JSON_DUP_ERROR};
    s = nested(100000, "{\"k\":[", "]}", "\"deep\"");
    d = parse_ok_n(s, strlen(s), &lim);
    v = xl_json_root(d);
    for (int i = 0; i < 100000; i++) v = xl_json_at(xl_json_get(v, "k"), 0);
    assert_string_equal(xl_json_string(v), "deep");
    xl_json_free(d);
    free(s);
    lim.max_depth = 3;
    parse_bad_n("[[[[]]]]", 8, &lim, XL_ERR_LIMIT, "nesting deeper than 3 levels");
    d = parse_ok_n("[[[]]]", 6, &lim);
    xl_json_free(d);
}

static void test_input_limit(void **state)
{
    (void)state;
    xl_json_limits lim = {0, 5, XL_JSON_DUP_ERROR};
    parse_bad_n("[1, 2]", 6, &lim, XL_ERR_LIMIT, "JSON input of 6 bytes exceeds the limit of 5 bytes");
    xl_json_doc *d = parse_ok_n("[1,2]", 5, &lim);
    xl_json_free(d);
    lim.max_input = 0;
    lim.duplicates = (xl_json_dup_policy)7;
    parse_bad_n("1", 1, &lim, XL_ERR_USAGE, "duplicate-key policy");
}

static void test_duplicates_small(void **state)
{
    (void)state;
    const char *t = "{\"a\": 1, \"b\": 2, \"a\": 3, \"c\": 4, \"b\": 5}";
    xl_json_limits lim = {0, 0, XL_JSON_DUP_ERROR};
    parse_bad_n(t, strlen(t), &lim, XL_ERR_FORMAT, "line 1, column 18 (byte 17): duplicate key \"a\"");
    parse_bad_n(t, strlen(t), NULL, XL_ERR_FORMAT, "duplicate key \"a\"");
    /* keys compare by bytes after unescaping: "\u0061" is "a" */
    parse_bad("{\"a\": 1, \"\\u0061\": 2}", "duplicate key \"a\"");
    /* keys with NUL differ by length */
    xl_json_doc *d = parse_ok("{\"a\": 1, \"a\\u0000\": 2}");
    assert_int_equal(xl_json_count(xl_json_root(d)), 2);
    assert_int_equal(xl_json_root(d)->u.object.members[1].key_len, 2);
    xl_json_free(d);
    parse_bad("{\"\\u0000\": 1, \"\\u0000\": 2}", "duplicate key \"\\x00\"");

    lim.duplicates = XL_JSON_DUP_LAST_WINS;
    d = parse_ok_n(t, strlen(t), &lim);
    const xl_json *r = xl_json_root(d);
    assert_int_equal(xl_json_count(r), 3);
    assert_string_equal(r->u.object.members[0].key, "a");
    assert_string_equal(r->u.object.members[1].key, "b");
    assert_string_equal(r->u.object.members[2].key, "c");
    int64_t v;
    assert_true(xl_json_get_int(r, "a", &v));
    assert_int_equal(v, 3);
    assert_true(xl_json_get_int(r, "b", &v));
    assert_int_equal(v, 5);
    assert_true(xl_json_get_int(r, "c", &v));
    assert_int_equal(v, 4);
    xl_json_free(d);

    lim.duplicates = XL_JSON_DUP_FIRST_WINS;
    d = parse_ok_n(t, strlen(t), &lim);
    r = xl_json_root(d);
    assert_int_equal(xl_json_count(r), 3);
    assert_true(xl_json_get_int(r, "a", &v));
    assert_int_equal(v, 1);
    assert_true(xl_json_get_int(r, "b", &v));
    assert_int_equal(v, 2);
    xl_json_free(d);
}

/* Objects of >= XL_JSON_INDEX_MIN members use the hash index: duplicates and
 * lookups must behave exactly as in small objects. */
static void test_duplicates_large(void **state)
{
    (void)state;
    xl_buf b;
    xl_buf_init(&b);
    xl_error err;
    assert_int_equal(xl_buf_putc(&b, '{', &err), 0);
    for (int i = 0; i < 40; i++) assert_int_equal(xl_buf_printf(&b, &err, "\"k%d\": %d, ", i % 25, i), 0);
    assert_int_equal(xl_buf_printf(&b, &err, "\"end\": -1}"), 0);
    parse_bad_n(b.data, b.len, NULL, XL_ERR_FORMAT, "duplicate key \"k0\"");
    xl_json_limits lim = {0, 0, XL_JSON_DUP_LAST_WINS};
    for (int pass = 0; pass < 2; pass++) {
        xl_json_doc *d = parse_ok_n(b.data, b.len, &lim);
        const xl_json *r = xl_json_root(d);
        assert_int_equal(xl_json_count(r), 26);
        assert_non_null(r->u.object.index);
        for (int k = 0; k < 25; k++) {
            char key[16];
            snprintf(key, sizeof key, "k%d", k);
            assert_string_equal(r->u.object.members[k].key, key);
            int64_t v;
            assert_true(xl_json_get_int(r, key, &v));
            /* k0..k14 appear twice (i and i+25) */
            int64_t want = (lim.duplicates == XL_JSON_DUP_LAST_WINS && k < 15) ? k + 25 : k;
            assert_int_equal(v, want);
        }
        assert_null(xl_json_get(r, "k25"));
        assert_null(xl_json_get(r, "k"));
        assert_null(xl_json_get(r, ""));
        int64_t v;
        assert_true(xl_json_get_int(r, "end", &v));
        assert_int_equal(v, -1);
        xl_json_free(d);
        lim.duplicates = XL_JSON_DUP_FIRST_WINS;
    }
    /* 15 unique keys after removing duplicates: below the index threshold */
    xl_buf_clear(&b);
    assert_int_equal(xl_buf_putc(&b, '{', &err), 0);
    for (int i = 0; i < 20; i++) assert_int_equal(xl_buf_printf(&b, &err, "%s\"d%d\": %d", i ? ", " : "", i % 15, i), 0);
    assert_int_equal(xl_buf_putc(&b, '}', &err), 0);
    xl_json_doc *d = parse_ok_n(b.data, b.len, &lim);
    assert_int_equal(xl_json_count(xl_json_root(d)), 15);
    assert_null(xl_json_root(d)->u.object.index);
    int64_t v;
    assert_true(xl_json_get_int(xl_json_root(d), "d3", &v));
    assert_int_equal(v, 3);
    xl_json_free(d);
    xl_buf_free(&b);
}

static void test_large_object_lookup(void **state)
{
    (void)state;
    xl_buf b;
    xl_buf_init(&b);
    xl_error err;
    const int n = 50000;
    assert_int_equal(xl_buf_putc(&b, '{', &err), 0);
    for (int i = 0; i < n; i++) assert_int_equal(xl_buf_printf(&b, &err, "%s\"##tok%d\":%d", i ? "," : "", i, i), 0);
    assert_int_equal(xl_buf_putc(&b, '}', &err), 0);
    xl_json_doc *d = parse_ok_n(b.data, b.len, NULL);
    const xl_json *r = xl_json_root(d);
    assert_int_equal(xl_json_count(r), (size_t)n);
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "##tok%d", i);
        int64_t v = -1;
        assert_true(xl_json_get_int(r, key, &v));
        assert_int_equal(v, i);
        assert_int_equal(r->u.object.members[i].value->u.number.int_value, i);
    }
    assert_null(xl_json_get(r, "##tok50000"));
    assert_null(xl_json_get(r, "tok1"));
    xl_json_free(d);
    xl_buf_free(&b);
}

/* ---------------------------------------------------- real files (shared) -- */

static char *read_all(const char *path, size_t *len)
{
    char *data = NULL;
    xl_error err;
    if (xl_read_file(path, 0, &data, len, &err) < 0) print_error("%s\n", err.msg);
    assert_non_null(data);
    return data;
}

static void check_tokenizer(const char *dir)
{
    char rel[256];
    snprintf(rel, sizeof rel, "vocab/%s/tokenizer.json", dir);
    const char *path = xl_test_shared_path(rel);
    if (path == NULL) {
        print_message("[  SKIP    ] ../shared/%s not found\n", rel);
        return;
    }
    size_t len;
    char *text = read_all(path, &len);
    double t0 = xl_time_now();
    xl_json_doc *d = parse_ok_n(text, len, NULL);
    double ms = (xl_time_now() - t0) * 1e3;
    print_message("  %s: %zu bytes parsed in %.1f ms\n", rel, len, ms);
    const xl_json *model = xl_json_get(xl_json_root(d), "model");
    assert_string_equal(xl_json_get_string(model, "type"), "WordPiece");
    assert_string_equal(xl_json_get_string(model, "unk_token"), "[UNK]");
    const xl_json *vocab = xl_json_get(model, "vocab");
    assert_true(xl_json_is(vocab, XL_JSON_OBJECT));
    /* every line of vocab.txt maps to its 0-based line number */
    snprintf(rel, sizeof rel, "vocab/%s/vocab.txt", dir);
    const char *vpath = xl_test_shared_path(rel);
    if (vpath != NULL) {
        xl_lines r;
        xl_error err;
        assert_int_equal(xl_lines_open(&r, vpath, &err), 0);
        const char *line;
        size_t n;
        int rc;
        int64_t want = 0;
        while ((rc = xl_lines_next(&r, &line, &n, &err)) > 0) {
            int64_t id = -1;
            if (!xl_json_get_int(vocab, line, &id) || id != want)
                print_error("%s: token '%s' -> %lld, expected %lld\n", rel, line, (long long)id, (long long)want);
            assert_int_equal(id, want);
            want++;
        }
        assert_int_equal(rc, 0);
        xl_lines_close(&r);
        assert_int_equal(xl_json_count(vocab), (size_t)want);
    }
    const xl_json *added = xl_json_get(xl_json_root(d), "added_tokens");
    assert_true(xl_json_count(added) >= 5);
    for (size_t i = 0; i < xl_json_count(added); i++) {
        const xl_json *tok = xl_json_at(added, i);
        int64_t id;
        assert_true(xl_json_get_int(tok, "id", &id));
        int64_t vid = -2;
        assert_true(xl_json_get_int(vocab, xl_json_get_string(tok, "content"), &vid));
        assert_int_equal(id, vid);
    }
    xl_json_free(d);
    free(text);
}

static void test_shared_tokenizers(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(path, "vocab/bert-base-multilingual-cased/tokenizer.json");
    (void)path;
    check_tokenizer("bert-base-multilingual-cased");
    check_tokenizer("bert-base-cased");
    check_tokenizer("bert-base-uncased");
    check_tokenizer("bert-base-chinese");
}

static void test_shared_mbert_speed(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(path, "vocab/bert-base-multilingual-cased/tokenizer.json");
    size_t len;
    char *text = read_all(path, &len);
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = xl_time_now();
        xl_json_doc *d = parse_ok_n(text, len, NULL);
        double t = xl_time_now() - t0;
        if (t < best) best = t;
        int64_t id = -1;
        assert_true(xl_json_get_int(xl_json_get(xl_json_get(xl_json_root(d), "model"), "vocab"), "[CLS]", &id));
        assert_int_equal(id, 101);
        xl_json_free(d);
    }
    print_message("  mBERT tokenizer.json (%zu bytes): best of 5 parses %.1f ms\n", len, best * 1e3);
    /* generous: the target is well under 50 ms at -O2; sanitizer builds are slower */
    assert_true(best < 2.0);
    free(text);
}

static void test_shared_configs(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(path, "fixtures/bert/synthetic_bert_tiny/config.json");
    static const struct {
        const char *dir;
        int64_t vocab, hidden, layers, heads, inter;
    } want[] = {{"synthetic_bert_tiny", 1000, 32, 2, 4, 64},
                {"synthetic_bert_h64_l3", 1500, 64, 3, 4, 128},
                {"synthetic_bert_h64_l3_ckpt_names", -1, 64, 3, 4, 128}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        char rel[256];
        snprintf(rel, sizeof rel, "fixtures/bert/%s/config.json", want[k].dir);
        const char *p = xl_test_shared_path(rel);
        if (p == NULL) continue;
        size_t len;
        char *text = read_all(p, &len);
        xl_json_doc *d = parse_ok_n(text, len, NULL);
        const xl_json *c = xl_json_root(d);
        int64_t v;
        double eps;
        assert_string_equal(xl_json_get_string(c, "model_type"), "bert");
        assert_true(xl_json_get_int(c, "vocab_size", &v));
        if (want[k].vocab > 0) assert_int_equal(v, want[k].vocab);
        assert_true(xl_json_get_int(c, "hidden_size", &v));
        assert_int_equal(v, want[k].hidden);
        assert_true(xl_json_get_int(c, "num_hidden_layers", &v));
        assert_int_equal(v, want[k].layers);
        assert_true(xl_json_get_int(c, "num_attention_heads", &v));
        assert_int_equal(v, want[k].heads);
        assert_true(xl_json_get_int(c, "intermediate_size", &v));
        assert_int_equal(v, want[k].inter);
        assert_true(xl_json_get_double(c, "layer_norm_eps", &eps));
        assert_true(eps == 1e-12);
        assert_string_equal(xl_json_get_string(c, "hidden_act"), "gelu");
        xl_json_free(d);
        free(text);
        /* the expected-output file next to it (hundreds of KB of floats) */
        snprintf(rel, sizeof rel, "fixtures/bert/%s/expected.json", want[k].dir);
        p = xl_test_shared_path(rel);
        if (p == NULL) continue;
        text = read_all(p, &len);
        d = parse_ok_n(text, len, NULL);
        const xl_json *ids = xl_json_get(xl_json_root(d), "input_ids");
        assert_true(xl_json_count(ids) >= 1);
        assert_true(xl_json_is(xl_json_at(xl_json_at(ids, 0), 0), XL_JSON_NUMBER));
        xl_json_free(d);
        free(text);
    }
}

/* safetensors: 8-byte little-endian header length, then a JSON object of
 * tensors {dtype, shape, data_offsets} (and optional __metadata__). */
static void test_shared_safetensors_header(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(path, "fixtures/bert/synthetic_bert_tiny/model.safetensors");
    size_t len;
    char *file = read_all(path, &len);
    assert_true(len >= 8);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | (unsigned char)file[i];
    assert_true(hlen <= len - 8);
    xl_json_doc *d = parse_ok_n(file + 8, (size_t)hlen, NULL);
    const xl_json *h = xl_json_root(d);
    assert_true(xl_json_is(h, XL_JSON_OBJECT));
    size_t data_len = len - 8 - (size_t)hlen, covered = 0, tensors = 0;
    for (size_t i = 0; i < xl_json_count(h); i++) {
        const xl_json_member *m = &h->u.object.members[i];
        if (strcmp(m->key, "__metadata__") == 0) continue;
        tensors++;
        assert_string_equal(xl_json_get_string(m->value, "dtype"), "F32");
        const xl_json *shape = xl_json_get(m->value, "shape");
        const xl_json *off = xl_json_get(m->value, "data_offsets");
        assert_int_equal(xl_json_count(off), 2);
        int64_t b = xl_json_at(off, 0)->u.number.int_value, e = xl_json_at(off, 1)->u.number.int_value;
        assert_true(xl_json_at(off, 0)->u.number.is_int && xl_json_at(off, 1)->u.number.is_int);
        assert_true(0 <= b && b <= e && (uint64_t)e <= data_len);
        int64_t elems = 1;
        for (size_t k = 0; k < xl_json_count(shape); k++) elems *= xl_json_at(shape, k)->u.number.int_value;
        assert_int_equal(e - b, elems * 4);
        covered += (size_t)(e - b);
    }
    assert_true(tensors > 10);
    assert_int_equal(covered, data_len); /* tensors tile the data section */
    const xl_json *word = xl_json_get(h, "embeddings.word_embeddings.weight");
    assert_int_equal(xl_json_at(xl_json_get(word, "shape"), 0)->u.number.int_value, 1000);
    assert_int_equal(xl_json_at(xl_json_get(word, "shape"), 1)->u.number.int_value, 32);
    xl_json_free(d);
    free(file);
}

/* The writers: xl_json_put_string escapes '"' '\\' and the C0 controls (\n \r \t short, the rest
 * \u00XX, RFC 8259 section 7), and the evaluation report (xl_eval_json) writes its strings with it,
 * so a dataset name or model with such bytes stays valid JSON and reads back as it was. */
static void test_writer_escapes(void **state)
{
    (void)state;
    xl_error err;
    xl_buf b;
    xl_buf_init(&b);
    const char raw[] = "a\"b\\c\nd\re\tf\x01g\x1fh\xc3\xa9";
    assert_int_equal(xl_json_put_cstr(&b, raw, &err), 0);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\xc3\xa9\"");
    xl_buf_clear(&b);
    xl_eval_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->external = true;
    r->n_rows = 1;
    snprintf(r->rows[0].model, sizeof r->rows[0].model, "pop\"ular");
    snprintf(r->rows[0].subset, sizeof r->rows[0].subset, "lang=\t");
    assert_int_equal(xl_eval_json(r, raw, &b, &err), 0);
    assert_non_null(strstr(b.data, "\"dataset\": \"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\xc3\xa9\""));
    xl_json_doc *d = parse_ok_n(b.data, b.len, NULL);
    assert_string_equal(xl_json_get_string(xl_json_root(d), "dataset"), raw);
    const xl_json *row = xl_json_at(xl_json_get(xl_json_root(d), "results"), 0);
    assert_string_equal(xl_json_get_string(row, "model"), "pop\"ular");
    assert_string_equal(xl_json_get_string(row, "subset"), "lang=\t");
    xl_json_free(d);
    free(r);
    xl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_strings_and_escapes),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_typed_getters),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_input_limit),
        cmocka_unit_test(test_duplicates_small),
        cmocka_unit_test(test_duplicates_large),
        cmocka_unit_test(test_large_object_lookup),
        cmocka_unit_test(test_writer_escapes),
        cmocka_unit_test(test_shared_tokenizers),
        cmocka_unit_test(test_shared_mbert_speed),
        cmocka_unit_test(test_shared_configs),
        cmocka_unit_test(test_shared_safetensors_header),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
