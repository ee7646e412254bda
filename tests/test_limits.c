/* test_limits.c - input-driven sizes far beyond what the input holds must fail
 * cleanly: a message naming the file, no crash, no huge allocation (under
 * `make check` ASan aborts on an allocation above its limit, so an attempt
 * would fail the suite), no leak (LeakSanitizer), and identically on 32-bit
 * (armhf: size_t is 32 bits, so 2^40 does not even fit) and big-endian hosts
 * (s390x), where `make cross-test` runs this suite.
 *
 * Claims tested: 2^32-1 tensors and a 100M-entry vocabulary in a model header,
 * a 2^40-byte safetensors header and a 2^40-element tensor, .npy shapes of
 * 2^40 and 2^40 x 2^40 (product overflows 64 bits), a word2vec header of 100M
 * words and of 2^40 x 2^40, and a "10 GB line" (the line reader's max_line
 * scaled down: the same code path refuses a line one byte over the limit).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "w2v_vectors.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_model.h"
#include "xl_npy.h"
#include "xl_safetensors.h"
#include "xl_test.h"

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A valid model image: 3 tokens, one [2, 2] tensor. */
static unsigned char *tiny_model(size_t *len)
{
    xl_error err;
    xl_model_writer *w = xl_model_writer_new(&err);
    assert_non_null(w);
    static const char *toks[] = {"[UNK]", "hallo", "hello"};
    for (size_t i = 0; i < 3; i++) assert_int_equal(xl_model_writer_add_token(w, toks[i], strlen(toks[i]), &err), 0);
    static const float data[4] = {1, 2, 3, 4};
    const uint64_t shape[2] = {2, 2};
    assert_int_equal(xl_model_writer_add_tensor(w, "w", 2, shape, data, NULL, &err), 0);
    unsigned char *img = NULL;
    assert_int_equal(xl_model_writer_to_memory(w, &img, len, &err), 0);
    xl_model_writer_free(w);
    xl_model *m = NULL;
    assert_int_equal(xl_model_open_memory(&m, img, *len, "tiny.xlm", &err), 0); /* the unpatched image is fine */
    xl_model_close(m);
    return img;
}

static void expect_model_refused(const unsigned char *img, size_t len, const char *want)
{
    xl_model *m = NULL;
    xl_error err;
    xl_error_clear(&err);
    assert_int_equal(xl_model_open_memory(&m, img, len, "big.xlm", &err), -1);
    assert_null(m);
    print_message("    refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "big.xlm"));
    if (want != NULL) assert_non_null(strstr(err.msg, want));
}

static void test_model_header_claims(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = tiny_model(&len);
    unsigned char *bad = malloc(len);
    assert_non_null(bad);
    /* n_tensors (u32 at offset 56) = 2^32 - 1: the most the field can claim */
    memcpy(bad, img, len);
    put_le32(bad + 56, UINT32_MAX);
    expect_model_refused(bad, len, "tensor");
    /* n_vocab (u32 at offset 52) = 100,000,000 (limit 10M, and 4 bytes each would not fit) */
    memcpy(bad, img, len);
    put_le32(bad + 52, 100000000u);
    expect_model_refused(bad, len, "vocab");
    /* n_vocab just under the limit: still refused, by the section size */
    memcpy(bad, img, len);
    put_le32(bad + 52, XL_MODEL_MAX_VOCAB);
    expect_model_refused(bad, len, NULL);
    /* section sizes of 2^40 and 2^64-1 (offset + size would wrap) */
    memcpy(bad, img, len);
    put_le64(bad + 104, (uint64_t)1 << 40);
    expect_model_refused(bad, len, NULL);
    memcpy(bad, img, len);
    put_le64(bad + 120, UINT64_MAX);
    expect_model_refused(bad, len, NULL);
    free(bad);
    free(img);
}

static void expect_st_refused(const char *json, uint64_t claimed_len, size_t data_bytes)
{
    size_t jl = strlen(json);
    size_t len = 8 + jl + data_bytes;
    unsigned char *buf = calloc(1, len);
    assert_non_null(buf);
    put_le64(buf, claimed_len ? claimed_len : jl);
    memcpy(buf + 8, json, jl);
    xl_safetensors *st = NULL;
    xl_error err;
    xl_error_clear(&err);
    assert_int_equal(xl_safetensors_open_memory(&st, buf, len, "big.safetensors", &err), -1);
    assert_null(st);
    print_message("    refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "big.safetensors"));
    free(buf);
}

static void test_safetensors_claims(void **state)
{
    (void)state;
    /* header length 2^40 in a 30-byte file */
    expect_st_refused("{}", (uint64_t)1 << 40, 20);
    /* header length 2^64 - 1 */
    expect_st_refused("{}", UINT64_MAX, 20);
    /* a tensor of 2^40 elements backed by 16 bytes */
    expect_st_refused("{\"t\":{\"dtype\":\"F32\",\"shape\":[1099511627776],\"data_offsets\":[0,16]}}", 0, 16);
    /* 2^40 x 2^40 elements: the product overflows 64 bits */
    expect_st_refused("{\"t\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,16]}}", 0,
                      16);
    /* data_offsets that wrap around */
    expect_st_refused("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[18446744073709551615,15]}}", 0, 16);
}

/* A .npy v1.0 image with the given shape string and data_bytes of data. */
static void expect_npy_refused(const char *shape, size_t data_bytes)
{
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
    assert_true(n > 0 && (size_t)n < 100);
    size_t hl = 118; /* 10 + 118 = 128: a multiple of 64, as numpy pads */
    memset(hdr + n, ' ', hl - 1 - (size_t)n);
    hdr[hl - 1] = '\n';
    size_t len = 10 + hl + data_bytes;
    unsigned char *buf = calloc(1, len);
    assert_non_null(buf);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hl & 0xff);
    buf[9] = (unsigned char)(hl >> 8);
    memcpy(buf + 10, hdr, hl);
    xl_npy_array a;
    xl_error err;
    xl_error_clear(&err);
    assert_int_equal(xl_npy_read_memory(buf, len, "big.npy", &a, &err), -1);
    print_message("    refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "big.npy"));
    free(buf);
}

static void test_npy_claims(void **state)
{
    (void)state;
    expect_npy_refused("(1099511627776,)", 16);
    expect_npy_refused("(1099511627776, 1099511627776)", 16);
    expect_npy_refused("(100000000, 768)", 16);
    expect_npy_refused("(18446744073709551615,)", 16);
}

static void expect_w2v_refused(const char *text, size_t len, xl_w2v_format format)
{
    xl_w2v_vectors v;
    xl_error err;
    xl_error_clear(&err);
    assert_int_equal(xl_w2v_vectors_read_memory(text, len, "big.vec", format, 0, &v, &err), -1);
    print_message("    refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "big.vec"));
}

static void test_w2v_claims(void **state)
{
    (void)state;
    static const char text[] = "100000000 300\nhallo 0.5 0.25\n";
    expect_w2v_refused(text, sizeof text - 1, W2V_FORMAT_TEXT);
    expect_w2v_refused(text, sizeof text - 1, W2V_FORMAT_AUTO);
    static const char huge[] = "1099511627776 1099511627776\nhallo 0.5\n";
    expect_w2v_refused(huge, sizeof huge - 1, W2V_FORMAT_TEXT);
    /* binary: 100M words of dim 300 claimed, one 3-float row present */
    unsigned char bin[64];
    size_t n = (size_t)snprintf((char *)bin, sizeof bin, "100000000 3\nhallo ");
    memset(bin + n, 0, 12);
    bin[n + 12] = '\n';
    expect_w2v_refused((const char *)bin, n + 13, W2V_FORMAT_BINARY);
}

/* "A 10 GB line": the reader grows its buffer up to max_line and refuses the
 * first byte beyond it, naming file and line; the limit is scaled down to 64 KiB
 * here (the code path does not depend on the value). */
static void test_line_limit(void **state)
{
    (void)state;
    const size_t max = 64 * 1024;
    size_t len = 3 * max + 10;
    char *data = malloc(len);
    assert_non_null(data);
    memcpy(data, "short\n", 6);
    memset(data + 6, 'x', len - 7);
    data[len - 1] = '\n';
    const char *path = xl_test_write_tmp("long_line.txt", data, len);
    free(data);
    xl_lines r;
    xl_error err;
    xl_error_clear(&err);
    assert_int_equal(xl_lines_open(&r, path, &err), 0);
    assert_int_equal(r.max_line, XL_LINE_MAX_DEFAULT);
    r.max_line = max;
    const char *line;
    size_t n;
    assert_int_equal(xl_lines_next(&r, &line, &n, &err), 1);
    assert_int_equal(n, 5);
    assert_int_equal(xl_lines_next(&r, &line, &n, &err), -1);
    print_message("    refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, ":2: line longer than"));
    xl_lines_close(&r);
    remove(path);
    /* exactly max bytes is accepted */
    data = malloc(max + 1);
    assert_non_null(data);
    memset(data, 'y', max);
    data[max] = '\n';
    path = xl_test_write_tmp("max_line.txt", data, max + 1);
    free(data);
    assert_int_equal(xl_lines_open(&r, path, &err), 0);
    r.max_line = max;
    assert_int_equal(xl_lines_next(&r, &line, &n, &err), 1);
    assert_int_equal(n, max);
    assert_int_equal(xl_lines_next(&r, &line, &n, &err), 0);
    xl_lines_close(&r);
    remove(path);
}

/* The size helpers every input-driven size goes through refuse to wrap on
 * this host's size_t (32 bits on armhf). */
static void test_size_arithmetic(void **state)
{
    (void)state;
    size_t out = 1;
    assert_false(xl_mul_size(SIZE_MAX / 2 + 1, 2, &out));
    assert_false(xl_add_size(SIZE_MAX, 1, &out));
    assert_true(xl_mul_size(SIZE_MAX / 3, 3, &out));
    assert_true(out == SIZE_MAX / 3 * 3);
    /* 100M x 768 floats x 4 bytes = 307 GB: representable only with a 64-bit size_t */
    bool ok = xl_mul_size((size_t)100000000u, 768u * 4u, &out);
    assert_true(ok == (sizeof(size_t) >= 8));
    /* (no xl_malloc(SIZE_MAX) here: under `make check` ASan aborts on such a request by design) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_header_claims), cmocka_unit_test(test_safetensors_claims),
        cmocka_unit_test(test_npy_claims),          cmocka_unit_test(test_w2v_claims),
        cmocka_unit_test(test_line_limit),          cmocka_unit_test(test_size_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
