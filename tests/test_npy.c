/* test_npy.c - .npy writer and reader (src/core/xl_npy.h): exact header bytes
 * (as numpy.save writes them), little-endian data bytes, round trips,
 * versions 1.0/2.0/3.0, '>f4', and hostile headers. */
#include "xl_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_io.h"
#include "xl_npy.h"

static unsigned char *slurp(const char *path, size_t *len)
{
    char *d;
    xl_error err;
    assert_int_equal(xl_read_file(path, 0, &d, len, &err), 0);
    return (unsigned char *)d;
}

/* The header numpy >= 1.23 writes for a C-order '<f4' array (numpy/lib/
 * format.py _write_array_header + _wrap_header, computed by hand in Python
 * without numpy): the dict, 21 - len(str(shape[0])) spare spaces, padding to
 * 64 bytes, '\n'.  For all shapes below the whole header is 128 bytes. */
static void expect_header(const unsigned char *got, size_t got_len, const char *dict)
{
    unsigned char want[128];
    memcpy(want, "\x93NUMPY\x01\x00\x76\x00", 10); /* v1.0, header_len 118 */
    size_t n = strlen(dict);
    memcpy(want + 10, dict, n);
    memset(want + 10 + n, ' ', 128 - 10 - n - 1);
    want[127] = '\n';
    assert_true(got_len >= 128);
    assert_memory_equal(got, want, 128);
}

static void test_header_bytes(void **state)
{
    (void)state;
    static const struct {
        int rank;
        size_t shape[8];
        const char *dict;
    } cases[] = {
        {2, {2, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"},
        {1, {5}, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"},
        {0, {0}, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"},
        {2, {119547, 768}, "{'descr': '<f4', 'fortran_order': False, 'shape': (119547, 768), }"},
        {8, {1, 2, 3, 4, 5, 6, 7, 8}, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4, 5, 6, 7, 8), }"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *path = xl_test_tmp_path("hdr.npy");
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        xl_error err;
        assert_int_equal(xl_npy_write_header(f, path, cases[k].rank, cases[k].shape, &err), 0);
        fclose(f);
        size_t len;
        unsigned char *b = slurp(path, &len);
        assert_int_equal(len, 128); /* data starts at a multiple of 64 */
        expect_header(b, len, cases[k].dict);
        free(b);
        remove(path);
    }
    /* the exact bytes of a small file: header + 1.0f, -2.5f, 0.1f, -0.0f,
     * +inf, smallest subnormal, little-endian */
    const float v[6] = {1.0f, -2.5f, 0.1f, -0.0f, INFINITY, 1.40129846e-45f};
    const size_t shape[2] = {2, 3};
    const char *path = xl_test_tmp_path("data.npy");
    xl_error err;
    assert_int_equal(xl_npy_write(path, v, 2, shape, &err), 0);
    size_t len;
    unsigned char *b = slurp(path, &len);
    assert_int_equal(len, 128 + 24);
    expect_header(b, len, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    static const unsigned char data[24] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0xCD, 0xCC, 0xCC, 0x3D,
                                           0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x80, 0x7F, 0x01, 0x00, 0x00, 0x00};
    assert_memory_equal(b + 128, data, 24);
    free(b);
    remove(path);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{0, 0, 0}, {7, 0, 0}, {3, 4, 0}, {2, 3, 5}, {0, 5, 0}, {1, 1, 1}};
    static const int ranks[] = {0, 1, 2, 3, 2, 3};
    for (size_t k = 0; k < sizeof ranks / sizeof ranks[0]; k++) {
        size_t count = 1;
        for (int i = 0; i < ranks[k]; i++) count *= shapes[k][i];
        float *v = malloc((count ? count : 1) * sizeof *v);
        for (size_t i = 0; i < count; i++) v[i] = (float)((double)i * 0.37 - 3.0) * (i % 2 ? -1.0f : 1.0f);
        if (count > 2) {
            v[1] = NAN;
            v[2] = -INFINITY;
        }
        const char *path = xl_test_tmp_path("rt.npy");
        xl_error err;
        assert_int_equal(xl_npy_write(path, v, ranks[k], shapes[k], &err), 0);
        xl_npy_array a;
        assert_int_equal(xl_npy_read(path, &a, &err), 0);
        assert_int_equal(a.rank, ranks[k]);
        for (int i = 0; i < ranks[k]; i++) assert_int_equal(a.shape[i], shapes[k][i]);
        assert_int_equal(a.count, count);
        assert_non_null(a.data);
        assert_int_equal((uintptr_t)a.data % 64, 0);
        if (count) assert_memory_equal(a.data, v, count * sizeof *v); /* bit-exact, NaN included */
        xl_npy_free(&a);
        assert_null(a.data);
        free(v);
        remove(path);
    }
    xl_npy_free(NULL);
}

static void test_streaming_writer(void **state)
{
    (void)state;
    /* 10,000 rows of 3, written in batches of 777 rows (crosses the writer's
     * internal 4096-float block) */
    const size_t rows = 10000, dim = 3;
    float *all = malloc(rows * dim * sizeof *all);
    for (size_t i = 0; i < rows * dim; i++) all[i] = (float)i / 7.0f;
    const char *path = xl_test_tmp_path("stream.npy");
    xl_error err;
    FILE *f = xl_fopen(path, "wb", &err);
    assert_non_null(f);
    const size_t shape[2] = {rows, dim};
    assert_int_equal(xl_npy_write_header(f, path, 2, shape, &err), 0);
    for (size_t r = 0; r < rows; r += 777) {
        size_t n = rows - r < 777 ? rows - r : 777;
        assert_int_equal(xl_npy_write_f32(f, path, all + r * dim, n * dim, &err), 0);
    }
    assert_int_equal(xl_fclose(f, path, &err), 0);
    xl_npy_array a;
    assert_int_equal(xl_npy_read(path, &a, &err), 0);
    assert_int_equal(a.shape[0], rows);
    assert_int_equal(a.shape[1], dim);
    assert_memory_equal(a.data, all, rows * dim * sizeof *all);
    xl_npy_free(&a);
    free(all);
    remove(path);
}

/* Build a .npy image in memory: version, header text (padded to `pad` spaces
 * plus '\n' unless raw), then `data` bytes. */
static size_t build(unsigned char *out, int major, const char *header, const void *data, size_t data_len)
{
    size_t h = strlen(header), p = 0;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    if (major == 1) {
        out[8] = (unsigned char)(h & 0xFF);
        out[9] = (unsigned char)(h >> 8);
        p = 10;
    } else {
        out[8] = (unsigned char)(h & 0xFF);
        out[9] = (unsigned char)((h >> 8) & 0xFF);
        out[10] = (unsigned char)((h >> 16) & 0xFF);
        out[11] = (unsigned char)(h >> 24);
        p = 12;
    }
    memcpy(out + p, header, h);
    memcpy(out + p + h, data, data_len);
    return p + h + data_len;
}

static void test_reader_variants(void **state)
{
    (void)state;
    unsigned char buf[1024];
    xl_npy_array a;
    xl_error err;
    /* version 2.0, big-endian data, keys in another order, double quotes */
    static const unsigned char be[8] = {0x3F, 0x80, 0x00, 0x00, 0xC0, 0x20, 0x00, 0x00}; /* 1.0, -2.5 */
    size_t n = build(buf, 2, "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \">f4\"}   \n", be, 8);
    assert_int_equal(xl_npy_read_memory(buf, n, "be.npy", &a, &err), 0);
    assert_int_equal(a.rank, 1);
    assert_int_equal(a.count, 2);
    assert_true(a.data[0] == 1.0f && a.data[1] == -2.5f);
    xl_npy_free(&a);
    /* version 3.0 and Python 2's long suffix, no trailing comma, no padding */
    static const unsigned char le[8] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0};
    n = build(buf, 3, "{'descr':'<f4','fortran_order':False,'shape':(1L, 2L)}", le, 8);
    assert_int_equal(xl_npy_read_memory(buf, n, NULL, &a, &err), 0);
    assert_int_equal(a.rank, 2);
    assert_int_equal(a.shape[0], 1);
    assert_int_equal(a.shape[1], 2);
    assert_true(a.data[0] == 1.0f && a.data[1] == -2.5f);
    xl_npy_free(&a);
    /* scalar */
    n = build(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", le, 4);
    assert_int_equal(xl_npy_read_memory(buf, n, "s.npy", &a, &err), 0);
    assert_int_equal(a.rank, 0);
    assert_int_equal(a.count, 1);
    assert_true(a.data[0] == 1.0f);
    xl_npy_free(&a);
}

static void expect_bad(const unsigned char *b, size_t n, const char *needle)
{
    xl_npy_array a;
    xl_error err = {0};
    a.data = (float *)1;
    int rc = xl_npy_read_memory(b, n, "bad.npy", &a, &err);
    assert_int_equal(rc, -1);
    assert_null(a.data);
    if (strstr(err.msg, needle) == NULL) print_error("message '%s' lacks '%s'\n", err.msg, needle);
    assert_non_null(strstr(err.msg, needle));
    assert_int_equal(strncmp(err.msg, "bad.npy: ", 9), 0);
}

static void test_hostile(void **state)
{
    (void)state;
    unsigned char buf[1024];
    static const unsigned char le[8] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0};
    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
    size_t n = build(buf, 1, ok, le, 8);
    /* every truncation of a valid file fails */
    for (size_t k = 0; k < n; k++) {
        unsigned char *copy = malloc(k ? k : 1);
        memcpy(copy, buf, k);
        xl_npy_array a;
        xl_error err;
        assert_int_equal(xl_npy_read_memory(copy, k, "t.npy", &a, &err), -1);
        free(copy);
    }
    expect_bad(buf, 0, "not a .npy file");
    expect_bad((const unsigned char *)"\x93NUMPX\x01\x00", 8, "not a .npy file");
    expect_bad(buf, n - 1, "needs 8 bytes of data but the file holds 7 (truncated?)");
    unsigned char tmp[1024];
    memcpy(tmp, buf, n);
    tmp[n] = 0;
    expect_bad(tmp, n + 1, "1 unexpected bytes after the .npy data");
    tmp[6] = 4;
    expect_bad(tmp, n, "unsupported .npy format version 4.0");
    tmp[6] = 1;
    tmp[7] = 1;
    expect_bad(tmp, n, "unsupported .npy format version 1.1");
    /* header length beyond the file */
    memcpy(tmp, buf, n);
    tmp[8] = 0xFF;
    tmp[9] = 0xFF;
    expect_bad(tmp, n, "header of 65535 bytes runs past the end");
    n = build(tmp, 2, ok, le, 8);
    tmp[11] = 0xFF;
    expect_bad(tmp, n, "runs past the end");
    /* dtypes and order */
    n = build(tmp, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", le, 8);
    expect_bad(tmp, n, "unsupported .npy dtype '<f8' (only float32");
    n = build(tmp, 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n", le, 8);
    expect_bad(tmp, n, "dtype '<i4'");
    n = build(tmp, 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", le, 8);
    expect_bad(tmp, n, "expected a string");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", le, 8);
    expect_bad(tmp, n, "Fortran order is not supported");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }\n", le, 8);
    expect_bad(tmp, n, "expected True or False");
    /* shapes claiming far more than the file: never allocated */
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1152921504606846976,), }\n", le, 8);
    /* with a 32-bit size_t (armhf) a dimension of 2^60 or 2^62 is already refused by the header parser */
    const char *too_wide = "dimension too large";
    expect_bad(tmp, n, sizeof(size_t) >= 8 ? "needs 4611686018427387904 bytes of data but the file holds 8" : too_wide);
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1073741824, 1073741824, 1073741824), }\n",
              le, 8);
    expect_bad(tmp, n, "element count overflows");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,), }\n", le, 8);
    expect_bad(tmp, n, sizeof(size_t) >= 8 ? "element count overflows" : too_wide);
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }\n", le, 8);
    expect_bad(tmp, n, "dimension too large");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,2), }\n", le, 8);
    expect_bad(tmp, n, "more than 8 dimensions");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }\n", le, 8);
    expect_bad(tmp, n, "a 1-tuple needs a trailing comma");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", le, 8);
    expect_bad(tmp, n, "expected a dimension");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }\n", le, 8);
    expect_bad(tmp, n, "expected '(' for the shape");
    /* dictionary syntax */
    n = build(tmp, 1, "{'descr': '<f4', 'shape': (2,), }\n", le, 8);
    expect_bad(tmp, n, "header lacks 'fortran_order'");
    n = build(tmp, 1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", le, 8);
    expect_bad(tmp, n, "duplicate key 'descr'");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}\n", le, 8);
    expect_bad(tmp, n, "unknown key");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x\n", le, 8);
    expect_bad(tmp, n, "unexpected text after the dictionary");
    n = build(tmp, 1, "{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}\n", le, 8);
    expect_bad(tmp, n, "expected ',' or '}'");
    n = build(tmp, 1, "{'descr: '<f4'}", le, 8);
    expect_bad(tmp, n, "expected ':'");
    n = build(tmp, 1, "{'descr", le, 8);
    expect_bad(tmp, n, "unterminated string");
    n = build(tmp, 1, "", le, 8);
    expect_bad(tmp, n, "expected '{'");
    n = build(tmp, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)\n", le, 8);
    expect_bad(tmp, n, "expected ',' or '}'");
    static const char nul_header[] = "{'de\0cr': '<f4'}";
    build(tmp, 1, "", le, 0);
    memcpy(tmp + 10, nul_header, sizeof nul_header - 1);
    tmp[8] = (unsigned char)(sizeof nul_header - 1);
    expect_bad(tmp, 10 + sizeof nul_header - 1, "unsupported character in string");
}

static void test_file_errors(void **state)
{
    (void)state;
    xl_npy_array a;
    xl_error err;
    assert_int_equal(xl_npy_read("/nonexistent/x.npy", &a, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/x.npy"));
    assert_null(a.data);
    const float v[1] = {0};
    size_t shape[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(xl_npy_write(xl_test_tmp_path("r9.npy"), v, 9, shape, &err), -1);
    assert_non_null(strstr(err.msg, "rank 9 outside 0..8"));
    assert_int_equal(xl_npy_write("/nonexistent/dir/y.npy", v, 1, shape, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/y.npy"));
    /* a file shorter than the magic */
    const char *p = xl_test_write_tmp("short.npy", "\x93NUM", 4);
    assert_int_equal(xl_npy_read(p, &a, &err), -1);
    assert_non_null(strstr(err.msg, "not a .npy file"));
    remove(p);
    p = xl_test_write_tmp("empty.npy", "", 0);
    assert_int_equal(xl_npy_read(p, &a, &err), -1);
    assert_non_null(strstr(err.msg, "not a .npy file"));
    remove(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_bytes),    cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_streaming_writer), cmocka_unit_test(test_reader_variants),
        cmocka_unit_test(test_hostile),          cmocka_unit_test(test_file_errors),
    };
    return cmocka_run_group_tests_name("npy", tests, NULL, NULL);
}
