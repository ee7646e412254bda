/* test_csv.c - the CSV/TSV reader (src/core/xl_csv.h): RFC 4180 quoting,
 * CRLF, header rows, limits, error positions, hostile input, file/stdin
 * streaming across block boundaries, and a randomized write/read round trip. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_csv.h"
#include "xl_rng.h"

/* Parse all records of `text` and render them as "f1|f2|...\n" lines with
 * their start line: "L: f1|f2\n".  Returns a malloc'd string. */
static char *render(xl_csv *r, int *rc_out, xl_error *err)
{
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    const xl_csv_field *f;
    size_t n;
    int rc;
    while ((rc = xl_csv_next(r, &f, &n, err)) > 0) {
        size_t need = 32;
        for (size_t i = 0; i < n; i++) need += f[i].len + 1;
        while (len + need >= cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        len += (size_t)snprintf(out + len, cap - len, "%llu: ", (unsigned long long)xl_csv_line(r));
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(f[i].data[f[i].len], '\0');
            memcpy(out + len, f[i].data, f[i].len);
            len += f[i].len;
            out[len++] = (i + 1 < n) ? '|' : '\n';
        }
        out[len] = '\0';
    }
    *rc_out = rc;
    return out;
}

static void expect_records(const char *text, size_t len, const xl_csv_options *o, const char *want)
{
    xl_csv *r;
    xl_error err = {0};
    int rc = xl_csv_open_memory(&r, text, len, "mem.csv", o, &err);
    if (rc != 0) print_error("open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    char *got = render(r, &rc, &err);
    if (rc != 0) print_error("next: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(got, want);
    free(got);
    xl_csv_close(r);
}
#define EXPECT(text, opts, want) expect_records((text), strlen(text), (opts), (want))

static void expect_error(const char *text, size_t len, const xl_csv_options *o, xl_error_code code, const char *msg)
{
    xl_csv *r;
    xl_error err = {0};
    int rc = xl_csv_open_memory(&r, text, len, "bad.csv", o, &err);
    if (rc == 0) {
        char *got = render(r, &rc, &err);
        free(got);
        xl_csv_close(r);
    }
    assert_int_equal(rc, -1);
    if (strcmp(err.msg, msg) != 0) print_error("message '%s', expected '%s'\n", err.msg, msg);
    assert_string_equal(err.msg, msg);
    assert_int_equal(err.code, code);
}

static void test_basic(void **state)
{
    (void)state;
    EXPECT("a,b,c\n1,2,3\n", NULL, "1: a|b|c\n2: 1|2|3\n");
    EXPECT("a,b\n1,2", NULL, "1: a|b\n2: 1|2\n"); /* no final newline */
    EXPECT(",,\n", NULL, "1: ||\n");
    EXPECT("a,\n,b\n", NULL, "1: a|\n2: |b\n");
    EXPECT("a,", NULL, "1: a|\n");
    EXPECT("x", NULL, "1: x\n");
    EXPECT("", NULL, "");
    EXPECT("\n\n\r\n", NULL, ""); /* only empty lines */
    EXPECT("a\n\n\nb\n\n", NULL, "1: a\n4: b\n");
    EXPECT("a b , c \n", NULL, "1: a b | c \n"); /* spaces are data */
    EXPECT("a\"b,c\"\"d\n", NULL, "1: a\"b|c\"\"d\n"); /* quotes inside unquoted fields are data */
    xl_csv_options o = {';', 0, false, 0, 0};
    EXPECT("a;b,c;\"d;e\"\n", &o, "1: a|b,c|d;e\n");
    xl_csv_options tsv = {'\t', 0, false, 0, 0};
    EXPECT("a\tb\t\"c\td\"\n", &tsv, "1: a|b|c\td\n");
    xl_csv_options sq = {',', '\'', false, 0, 0};
    EXPECT("'a,b','it''s'\n", &sq, "1: a,b|it's\n");
}

static void test_quoted(void **state)
{
    (void)state;
    EXPECT("\"x,y\",\"line1\nline2\",\"say \"\"hi\"\"\"\nnext,row\n", NULL,
           "1: x,y|line1\nline2|say \"hi\"\n3: next|row\n");
    EXPECT("\"\"\n", NULL, "1: \n"); /* a quoted empty field is a record, not a blank line */
    EXPECT("\"\",\"\"\n", NULL, "1: |\n");
    EXPECT("\"\"\"\"\n", NULL, "1: \"\n");
    EXPECT("\"a\"", NULL, "1: a\n"); /* closed at end of input */
    EXPECT("\"a\",", NULL, "1: a|\n");
    EXPECT("\"multi\n\nline\"\n\"x\"\n", NULL, "1: multi\n\nline\n4: x\n");
}

static void test_crlf(void **state)
{
    (void)state;
    EXPECT("a,b\r\n1,2\r\n", NULL, "1: a|b\n2: 1|2\n");
    EXPECT("a,b\r\n1,2", NULL, "1: a|b\n2: 1|2\n");
    EXPECT("a,b\r\n1,2\r", NULL, "1: a|b\n2: 1|2\n");
    EXPECT("\"q\"\r\n\"r\"\r\n", NULL, "1: q\n2: r\n");
    EXPECT("\"in\r\nside\"\r\n", NULL, "1: in\r\nside\n"); /* CRLF inside quotes is data */
    EXPECT("a\rb,c\r\r\n", NULL, "1: a\rb|c\r\n");       /* only the CR before LF goes */
    EXPECT("\r\na\r\n\r\n", NULL, "2: a\n");
}

static void test_nul_and_bytes(void **state)
{
    (void)state;
    const char text[] = "a\0b,\"c\0d\"\n\xFF\xFE,\xC3\xA9\n";
    xl_csv *r;
    xl_error err;
    assert_int_equal(xl_csv_open_memory(&r, text, sizeof text - 1, NULL, NULL, &err), 0);
    assert_string_equal(xl_csv_path(r), "<memory>");
    const xl_csv_field *f;
    size_t n;
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 1);
    assert_int_equal(n, 2);
    assert_int_equal(f[0].len, 3);
    assert_memory_equal(f[0].data, "a\0b", 4);
    assert_int_equal(f[1].len, 3);
    assert_memory_equal(f[1].data, "c\0d", 4);
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 1);
    assert_int_equal(f[0].len, 2);
    assert_memory_equal(f[0].data, "\xFF\xFE", 2); /* the reader does not judge encodings */
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 0);
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 0); /* stays at end */
    xl_csv_close(r);
    xl_csv_close(NULL);
}

static void test_no_quote(void **state)
{
    (void)state;
    xl_csv_options o = {'\t', XL_CSV_NO_QUOTE, false, 0, 0};
    EXPECT("1\t\"Toy Story\" (1995)\t\"\n2\t\"\"\t\"a\"b\n", &o, "1: 1|\"Toy Story\" (1995)|\"\n2: 2|\"\"|\"a\"b\n");
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("a,\"bc\n\nd", 9, NULL, XL_ERR_FORMAT, "bad.csv:1: unterminated quoted field (opened at line 1)");
    expect_error("a\nb\n\"x", 6, NULL, XL_ERR_FORMAT, "bad.csv:3: unterminated quoted field (opened at line 3)");
    expect_error("\"", 1, NULL, XL_ERR_FORMAT, "bad.csv:1: unterminated quoted field (opened at line 1)");
    expect_error("ok\n\"a\"b,c\n", 10, NULL, XL_ERR_FORMAT, "bad.csv:2: text after the closing quote of a field");
    expect_error("\"a\" ,c\n", 7, NULL, XL_ERR_FORMAT, "bad.csv:1: text after the closing quote of a field");
    expect_error("\"a\nb\"x\n", 7, NULL, XL_ERR_FORMAT, "bad.csv:2: text after the closing quote of a field");
    expect_error("\"a\"\rb\n", 6, NULL, XL_ERR_FORMAT, "bad.csv:1: text after the closing quote of a field");
    /* limits: record bytes (content plus one terminator per field) and field count */
    xl_csv_options o = {0, 0, false, 10, 3};
    expect_error("a,b\n0123456789abcdef\n", 21, &o, XL_ERR_LIMIT, "bad.csv:2: record longer than 10 bytes");
    expect_error("a,b\n\"01234\n56789abcdef\"\n", 25, &o, XL_ERR_LIMIT, "bad.csv:2: record longer than 10 bytes");
    expect_error("a,b,c,d\n", 8, &o, XL_ERR_LIMIT, "bad.csv:1: record with more than 3 fields");
    EXPECT("a,b,c\n01234567\n", &o, "1: a|b|c\n2: 01234567\n");
    /* invalid dialects */
    xl_csv_options bad = {'\n', 0, false, 0, 0};
    expect_error("a", 1, &bad, XL_ERR_USAGE, "bad.csv: invalid CSV separator 0x0A");
    bad.separator = '"';
    expect_error("a", 1, &bad, XL_ERR_USAGE, "bad.csv: invalid CSV separator 0x22");
    bad.separator = ',';
    bad.quote = '\r';
    expect_error("a", 1, &bad, XL_ERR_USAGE, "bad.csv: invalid CSV quote character 0x0D");
    /* header required but the input is empty */
    xl_csv_options h = {0, 0, true, 0, 0};
    expect_error("", 0, &h, XL_ERR_FORMAT, "bad.csv: empty file (expected a header row)");
    expect_error("\n\n", 2, &h, XL_ERR_FORMAT, "bad.csv: empty file (expected a header row)");
    /* after an error the reader refuses to go on */
    xl_csv *r;
    xl_error err;
    assert_int_equal(xl_csv_open_memory(&r, "\"x", 2, "e.csv", NULL, &err), 0);
    const xl_csv_field *f;
    size_t n;
    assert_int_equal(xl_csv_next(r, &f, &n, &err), -1);
    assert_int_equal(xl_csv_next(r, &f, &n, &err), -1);
    assert_null(f);
    assert_int_equal(n, 0);
    xl_csv_close(r);
}

static void test_header(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBFuserId,movieId,rating,\"time stamp\"\n1,31,2.5,1260759144\n";
    xl_csv_options o = {0, 0, true, 0, 0};
    xl_csv *r;
    xl_error err;
    assert_int_equal(xl_csv_open_memory(&r, text, strlen(text), "ratings.csv", &o, &err), 0);
    assert_int_equal(xl_csv_header_count(r), 4);
    assert_int_equal(xl_csv_column(r, "userId"), 0); /* the BOM is not part of the name */
    assert_int_equal(xl_csv_column(r, "rating"), 2);
    assert_int_equal(xl_csv_column(r, "time stamp"), 3);
    assert_int_equal(xl_csv_column(r, "missing"), -1);
    assert_int_equal(xl_csv_column(r, "rat"), -1);
    assert_string_equal(xl_csv_header_name(r, 1), "movieId");
    assert_null(xl_csv_header_name(r, 4));
    const xl_csv_field *f;
    size_t n;
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 1);
    assert_int_equal(xl_csv_line(r), 2);
    assert_int_equal(n, 4);
    assert_string_equal(f[xl_csv_column(r, "rating")].data, "2.5");
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 0);
    /* the header survives record buffers being reused */
    assert_string_equal(xl_csv_header_name(r, 3), "time stamp");
    xl_csv_close(r);
    /* without a header */
    assert_int_equal(xl_csv_open_memory(&r, "a,b\n", 4, "x", NULL, &err), 0);
    assert_int_equal(xl_csv_column(r, "a"), -1);
    assert_int_equal(xl_csv_header_count(r), 0);
    xl_csv_close(r);
    assert_int_equal(xl_csv_column(NULL, "a"), -1);
}

/* ---- file mode: blocks of 64 KiB, stdin, and a randomized round trip ---- */

typedef struct {
    char **fields;
    size_t *lens;
    size_t n;
} record;

/* Write records as RFC 4180 CSV, quoting a field when it needs it (or at
 * random), with LF or CRLF line ends chosen at random. */
static void write_csv(FILE *f, const record *recs, size_t n_recs, xl_rng *rng)
{
    for (size_t i = 0; i < n_recs; i++) {
        for (size_t j = 0; j < recs[i].n; j++) {
            const char *s = recs[i].fields[j];
            size_t len = recs[i].lens[j];
            bool special = len == 0 && recs[i].n == 1; /* a lone empty field would be a blank line */
            for (size_t k = 0; k < len; k++)
                if (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r') special = true;
            if (len > 0 && s[0] == '"') special = true;
            bool quoted = special || xl_rng_below(rng, 4) == 0;
            if (j) fputc(',', f);
            if (quoted) fputc('"', f);
            for (size_t k = 0; k < len; k++) {
                if (quoted && s[k] == '"') fputc('"', f);
                fputc(s[k], f);
            }
            if (quoted) fputc('"', f);
        }
        fputs(xl_rng_below(rng, 2) ? "\r\n" : "\n", f);
    }
}

static void make_records(record *recs, size_t n_recs, xl_rng *rng)
{
    static const char alphabet[] = "ab,\"\n\r x\0\xC3\xA9;\t";
    for (size_t i = 0; i < n_recs; i++) {
        recs[i].n = 1 + xl_rng_below(rng, 6);
        recs[i].fields = calloc(recs[i].n, sizeof(char *));
        recs[i].lens = calloc(recs[i].n, sizeof(size_t));
        for (size_t j = 0; j < recs[i].n; j++) {
            /* mostly short fields, a few of 100 KB to cross block boundaries */
            size_t len = xl_rng_below(rng, 50) == 0 ? 100000 + xl_rng_below(rng, 5000) : xl_rng_below(rng, 12);
            char *s = malloc(len + 1);
            for (size_t k = 0; k < len; k++) s[k] = alphabet[xl_rng_below(rng, sizeof alphabet - 1)];
            s[len] = '\0';
            /* a trailing '\r' in the last unquoted field would be taken as CRLF:
             * the writer quotes fields containing '\r', so any content works */
            recs[i].fields[j] = s;
            recs[i].lens[j] = len;
        }
    }
}

static void check_reader(xl_csv *r, const record *recs, size_t n_recs)
{
    const xl_csv_field *f;
    size_t n;
    xl_error err;
    for (size_t i = 0; i < n_recs; i++) {
        int rc = xl_csv_next(r, &f, &n, &err);
        if (rc != 1) print_error("record %zu: rc %d: %s\n", i, rc, err.msg);
        assert_int_equal(rc, 1);
        assert_int_equal(n, recs[i].n);
        for (size_t j = 0; j < n; j++) {
            assert_int_equal(f[j].len, recs[i].lens[j]);
            assert_memory_equal(f[j].data, recs[i].fields[j], f[j].len);
        }
    }
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 0);
}

static void test_round_trip_file(void **state)
{
    (void)state;
    xl_rng rng;
    xl_rng_seed(&rng, 2024, 0);
    enum { N = 600 };
    record *recs = calloc(N, sizeof *recs);
    make_records(recs, N, &rng);
    const char *path = xl_test_tmp_path("roundtrip.csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    write_csv(f, recs, N, &rng);
    fclose(f);
    xl_csv *r;
    xl_error err;
    /* from the file, block by block */
    assert_int_equal(xl_csv_open(&r, path, NULL, &err), 0);
    assert_string_equal(xl_csv_path(r), path);
    check_reader(r, recs, N);
    xl_csv_close(r);
    /* from memory */
    FILE *g = fopen(path, "rb");
    assert_non_null(g);
    fseek(g, 0, SEEK_END);
    long size = ftell(g);
    fseek(g, 0, SEEK_SET);
    char *data = malloc((size_t)size);
    assert_int_equal(fread(data, 1, (size_t)size, g), (size_t)size);
    fclose(g);
    assert_true(size > 3 * 65536);
    assert_int_equal(xl_csv_open_memory(&r, data, (size_t)size, "m", NULL, &err), 0);
    check_reader(r, recs, N);
    xl_csv_close(r);
    /* from stdin ("-") */
    assert_non_null(freopen(path, "rb", stdin));
    assert_int_equal(xl_csv_open(&r, "-", NULL, &err), 0);
    check_reader(r, recs, N);
    xl_csv_close(r); /* must not close stdin */
    assert_int_equal(ferror(stdin), 0);
    free(data);
    remove(path);
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < recs[i].n; j++) free(recs[i].fields[j]);
        free(recs[i].fields);
        free(recs[i].lens);
    }
    free(recs);
}

static void test_file_errors(void **state)
{
    (void)state;
    xl_csv *r = (xl_csv *)1;
    xl_error err;
    assert_int_equal(xl_csv_open(&r, "/nonexistent/dir/x.csv", NULL, &err), -1);
    assert_null(r);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.csv: "));
    assert_int_equal(err.code, XL_ERR_IO);
    /* a long record in a file: the limit error names the file and line */
    size_t big = 200000;
    char *text = malloc(big + 16);
    memcpy(text, "h\n\"", 3);
    memset(text + 3, 'x', big);
    memcpy(text + 3 + big, "\"\n", 2);
    const char *path = xl_test_write_tmp("long.csv", text, big + 5);
    xl_csv_options o = {0, 0, true, 100000, 0};
    assert_int_equal(xl_csv_open(&r, path, &o, &err), 0);
    const xl_csv_field *f;
    size_t n;
    assert_int_equal(xl_csv_next(r, &f, &n, &err), -1);
    char want[512];
    snprintf(want, sizeof want, "%s:2: record longer than 100000 bytes", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(err.code, XL_ERR_LIMIT);
    xl_csv_close(r);
    /* the same record is fine under the default limit */
    assert_int_equal(xl_csv_open(&r, path, NULL, &err), 0);
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 1);
    assert_int_equal(xl_csv_next(r, &f, &n, &err), 1);
    assert_int_equal(f[0].len, big);
    assert_int_equal(xl_csv_line(r), 2);
    xl_csv_close(r);
    remove(path);
    free(text);
}

/* Real exports in ../shared/data/rec, checked against Python's csv module:
 * record count and an FNV-1a 64 hash over every field (fields joined by 0x1F,
 * records ended by 0x1E), computed once with
 *   csv.reader(open(f, newline='', encoding='utf-8', errors='surrogateescape'),
 *              delimiter=sep, quoting=QUOTE_MINIMAL or QUOTE_NONE, strict=True)
 * skipping the header row. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void test_shared_csv(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(dir, "data/rec");
    (void)dir;
    static const struct {
        const char *file;
        char sep;
        size_t records;
        uint64_t hash;
    } want[] = {
        {"data/rec/ml_latest_small/movies.csv", ',', 9742, 0x8d66ebc99e896a95ull},
        {"data/rec/bookcrossing_subset/BX-Users.csv", ',', 48299, 0xedac3f61ec997d52ull},
        {"data/rec/bookcrossing_subset/BX-Books.csv", ',', 18185, 0x4b13e9402b295c03ull},
        {"data/rec/kmrd_small/movies.txt", '\t', 999, 0x2e03a82e99eabc36ull},
        {"data/rec/ml_latest_small/tags.csv", ',', 3683, 0x8a8c1842204c0b4cull},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const char *p = xl_test_shared_path(want[k].file);
        if (p == NULL) {
            print_message("[  SKIP    ] ../shared/%s not found\n", want[k].file);
            continue;
        }
        xl_csv_options o = {want[k].sep, want[k].sep == '\t' ? XL_CSV_NO_QUOTE : 0, true, 0, 0};
        xl_csv *r;
        xl_error err;
        assert_int_equal(xl_csv_open(&r, p, &o, &err), 0);
        const xl_csv_field *f;
        size_t n, records = 0;
        uint64_t h = 0xcbf29ce484222325ull;
        int rc;
        while ((rc = xl_csv_next(r, &f, &n, &err)) > 0) {
            assert_int_equal(n, xl_csv_header_count(r));
            for (size_t i = 0; i < n; i++) {
                if (i) h = fnv1a(h, "\x1f", 1);
                h = fnv1a(h, f[i].data, f[i].len);
            }
            h = fnv1a(h, "\x1e", 1);
            records++;
        }
        if (rc < 0) print_error("%s\n", err.msg);
        assert_int_equal(rc, 0);
        assert_int_equal(records, want[k].records);
        if (h != want[k].hash) print_error("%s: hash %016llx\n", want[k].file, (unsigned long long)h);
        assert_true(h == want[k].hash);
        xl_csv_close(r);
    }
}

/* XL_CSV_SNIFF: TAB when the header line has one (a later line's TAB does not count), else ','. */
static void test_sniff_separator(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        char sep;
        size_t fields;
    } cases[] = {{"a\tb,c\n1\t2,3\n", '\t', 2}, {"a,b\n1\t2,3\n", ',', 2}, {"\xEF\xBB\xBF" "a\tb\n1\t2\n", '\t', 2},
                 {"a,b,c\n1,2,3\n", ',', 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xl_csv_options o = {0};
        o.separator = XL_CSV_SNIFF;
        o.has_header = true;
        xl_csv *r;
        xl_error err;
        assert_int_equal(xl_csv_open_memory(&r, cases[i].text, strlen(cases[i].text), "s", &o, &err), 0);
        assert_int_equal(xl_csv_separator(r), cases[i].sep);
        assert_int_equal(xl_csv_header_count(r), cases[i].fields);
        const xl_csv_field *f;
        size_t nf;
        assert_int_equal(xl_csv_next(r, &f, &nf, &err), 1);
        assert_int_equal(nf, cases[i].fields);
        xl_csv_close(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),          cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_crlf),           cmocka_unit_test(test_nul_and_bytes),
        cmocka_unit_test(test_no_quote),       cmocka_unit_test(test_errors),
        cmocka_unit_test(test_header),         cmocka_unit_test(test_round_trip_file),
        cmocka_unit_test(test_file_errors),    cmocka_unit_test(test_shared_csv),
        cmocka_unit_test(test_sniff_separator),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
