/* test_model_format.c - the xlrec model file (weights/xl_model.h): writer ->
 * reader round trip (memory and mmap), and hostile files - truncated at every
 * length, wrong magic, future version, byte-swapped sanity block, offsets past
 * the end, overlapping tensors, absurd shapes (2^40), wrong dtypes, absurd
 * counts, random byte flips - each refused with a message naming the field;
 * architecture mismatches refused by xl_bert_from_model naming the tensor.
 * With XLREC_WRITE_FUZZ_SEED=PATH the tiny valid model is also written there
 * (the seed of tests/fuzz/corpus/model/). */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bert.h"
#include "xl_kernels.h"
#include "xl_bytes.h"
#include "xl_model.h"
#include "xl_rng.h"
#include "xl_safetensors.h"

enum { V = 12, H = 8, NH = 2, I = 12, P = 10, TV = 2 };

static float *rand_block(xl_rng *r, size_t n)
{
    float *f = malloc(n * sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) f[i] = (float)(xl_rng_float(r) - 0.5f);
    return f;
}

static void add(xl_model_writer *w, xl_rng *r, const char *name, uint64_t d0, uint64_t d1)
{
    uint64_t shape[2] = {d0, d1};
    xl_error err;
    xl_error_clear(&err);
    float *data = rand_block(r, (size_t)(d0 * (d1 ? d1 : 1)));
    if (xl_model_writer_add_tensor(w, name, d1 ? 2 : 1, shape, data, free, &err) < 0) fail_msg("%s", err.msg);
}

/* A complete one-layer BERT (H=8) with a vocabulary, as a file image; the
 * tensors of rank >= 2 stored as `reduced` (xl_dtype_for_tensor). */
static unsigned char *tiny_model_as(size_t *len, xl_dtype reduced)
{
    xl_error err;
    xl_error_clear(&err);
    xl_model_writer *w = xl_model_writer_new(&err);
    xl_rng r;
    xl_rng_seed(&r, 42, 0);
    assert_int_equal(xl_model_writer_set_string(w, "arch", "bert", &err), 0);
    xl_model_writer_set_int(w, "vocab_size", V, &err);
    xl_model_writer_set_int(w, "hidden_size", H, &err);
    xl_model_writer_set_int(w, "num_layers", 1, &err);
    xl_model_writer_set_int(w, "num_heads", NH, &err);
    xl_model_writer_set_int(w, "intermediate_size", I, &err);
    xl_model_writer_set_int(w, "max_position", P, &err);
    xl_model_writer_set_int(w, "type_vocab_size", TV, &err);
    xl_model_writer_set_double(w, "layer_norm_eps", 1e-12, &err);
    xl_model_writer_set_string(w, "hidden_act", "gelu", &err);
    xl_model_writer_set_bool(w, "has_pooler", true, &err);
    xl_model_writer_set_string(w, "pooling", "cls", &err);
    xl_model_writer_set_bool(w, "normalize", false, &err);
    xl_model_writer_set_int(w, "max_seq_len", P, &err);
    xl_model_writer_set_int(w, "dense.count", 0, &err);
    static const char *const toks[V] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "##d", "é", "日", "x"};
    for (int i = 0; i < V; i++) assert_int_equal(xl_model_writer_add_token(w, toks[i], strlen(toks[i]), &err), 0);
    add(w, &r, "embeddings.word_embeddings.weight", V, H);
    add(w, &r, "embeddings.position_embeddings.weight", P, H);
    add(w, &r, "embeddings.token_type_embeddings.weight", TV, H);
    add(w, &r, "embeddings.LayerNorm.weight", H, 0);
    add(w, &r, "embeddings.LayerNorm.bias", H, 0);
    const char *hh[] = {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"};
    char nm[128];
    for (int k = 0; k < 4; k++) {
        snprintf(nm, sizeof nm, "encoder.layer.0.%s.weight", hh[k]);
        add(w, &r, nm, H, H);
        snprintf(nm, sizeof nm, "encoder.layer.0.%s.bias", hh[k]);
        add(w, &r, nm, H, 0);
    }
    add(w, &r, "encoder.layer.0.attention.output.LayerNorm.weight", H, 0);
    add(w, &r, "encoder.layer.0.attention.output.LayerNorm.bias", H, 0);
    add(w, &r, "encoder.layer.0.intermediate.dense.weight", I, H);
    add(w, &r, "encoder.layer.0.intermediate.dense.bias", I, 0);
    add(w, &r, "encoder.layer.0.output.dense.weight", H, I);
    add(w, &r, "encoder.layer.0.output.dense.bias", H, 0);
    add(w, &r, "encoder.layer.0.output.LayerNorm.weight", H, 0);
    add(w, &r, "encoder.layer.0.output.LayerNorm.bias", H, 0);
    add(w, &r, "pooler.dense.weight", H, H);
    add(w, &r, "pooler.dense.bias", H, 0);
    if (xl_model_writer_set_reduced_dtype(w, reduced, &err) < 0) fail_msg("%s", err.msg);
    unsigned char *img;
    assert_int_equal(xl_model_writer_to_memory(w, &img, len, &err), 0);
    xl_model_writer_free(w);
    return img;
}

static unsigned char *tiny_model(size_t *len) { return tiny_model_as(len, XL_DTYPE_F32); }

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint32_t rd32(const unsigned char *p) { return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24); }

static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Byte position of directory entry `index`'s fields. */
typedef struct {
    size_t dtype, rank, dims, offset, nbytes;
} entry_pos;

static entry_pos dir_entry(const unsigned char *img, size_t index)
{
    size_t p = (size_t)rd64(img + 96);
    for (size_t i = 0;; i++) {
        uint32_t nl = rd32(img + p);
        entry_pos e;
        e.dtype = p + 4 + nl;
        e.rank = e.dtype + 4;
        e.dims = e.rank + 4;
        uint32_t rank = rd32(img + e.rank);
        e.offset = e.dims + 8 * rank;
        e.nbytes = e.offset + 8;
        if (i == index) return e;
        p = e.nbytes + 8;
    }
}

/* Expect the image to be refused with `needle` in the message. */
static void expect_reject(const unsigned char *img, size_t len, const char *needle)
{
    xl_model *m = NULL;
    xl_error err;
    xl_error_clear(&err);
    int rc = xl_model_open_memory(&m, img, len, "hostile.xlm", &err);
    if (rc == 0) {
        xl_model_close(m);
        fail_msg("accepted a hostile model (expected '%s')", needle);
    }
    assert_null(m);
    if (strstr(err.msg, needle) == NULL) fail_msg("expected '%s' in: %s", needle, err.msg);
    print_message("[  INFO    ] rejected: %s\n", err.msg);
}

static void test_roundtrip(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = tiny_model(&len);
    const char *seed = getenv("XLREC_WRITE_FUZZ_SEED");
    if (seed != NULL && seed[0] != '\0') {
        FILE *f = fopen(seed, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(img, 1, len, f), len);
        fclose(f);
    }
    assert_memory_equal(img, XL_MODEL_MAGIC, 8);
    const char *path = xl_test_write_tmp("tiny.xlm", img, len);
    xl_error err;
    xl_error_clear(&err);
    xl_model *a, *b;
    assert_int_equal(xl_model_open_memory(&a, img, len, "tiny", &err), 0);
    if (xl_model_open(&b, path, &err) < 0) fail_msg("%s", err.msg);
    assert_true(xl_model_is_mapped(b));
    assert_int_equal(xl_model_version(b), XL_MODEL_VERSION_F32); /* all F32: written as version 1 */
    int64_t h;
    double eps;
    bool pool;
    assert_true(xl_model_meta_int(b, "hidden_size", &h));
    assert_int_equal(h, H);
    assert_true(xl_model_meta_double(b, "layer_norm_eps", &eps));
    assert_true(eps == 1e-12);
    assert_true(xl_model_meta_bool(b, "has_pooler", &pool) && pool);
    assert_string_equal(xl_model_meta_string(b, "arch"), "bert");
    assert_false(xl_model_meta_int(b, "arch", &h)); /* wrong type */
    assert_int_equal(xl_model_vocab_count(b), V);
    size_t tl;
    assert_string_equal(xl_model_vocab_token(b, 10, &tl), "日");
    assert_int_equal(tl, 3);
    assert_int_equal(xl_model_tensor_count(a), xl_model_tensor_count(b));
    for (size_t i = 0; i < xl_model_tensor_count(a); i++) {
        const xl_tensor *ta = xl_model_tensor_at(a, i), *tb = xl_model_tensor_at(b, i);
        assert_string_equal(ta->name, tb->name);
        assert_int_equal(((uintptr_t)tb->data) % 64, 0); /* usable in place by SIMD kernels */
        assert_memory_equal(ta->data, tb->data, ta->count * 4);
    }
    /* the encoder accepts it */
    xl_kernels k;
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_SCALAR, 1, &err), 0);
    xl_bert *bert;
    if (xl_bert_from_model(&bert, b, &k, &err) < 0) fail_msg("%s", err.msg);
    xl_bert_free(bert);
    xl_kernels_free(&k);
    xl_model_close(a);
    xl_model_close(b);
    remove(path);
    free(img);
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = tiny_model(&len);
    for (size_t n = 0; n < len; n++) {
        xl_model *m = NULL;
        xl_error err;
        xl_error_clear(&err);
        assert_int_equal(xl_model_open_memory(&m, img, n, "t.xlm", &err), -1);
        assert_true(strlen(err.msg) > 0);
    }
    expect_reject(img, len - 1, "file_size field says");
    expect_reject(img, 100, "truncated header");
    free(img);
}

static void test_header_fields(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = tiny_model(&len), *bad = malloc(len);
    memcpy(bad, img, len);
    bad[0] = 'G';
    expect_reject(bad, len, "not an xlrec model file");
    memcpy(bad, img, len);
    wr32(bad + 8, XL_MODEL_VERSION + 1);
    expect_reject(bad, len, "format version 3 is not supported");
    memcpy(bad, img, len);
    wr32(bad + 16, 0x04030201u); /* a big-endian writer's sanity word */
    expect_reject(bad, len, "sanity u32");
    memcpy(bad, img, len);
    bad[23] ^= 0x80; /* 1.5f -> -1.5f */
    expect_reject(bad, len, "sanity f32");
    memcpy(bad, img, len);
    bad[31] ^= 0x01;
    expect_reject(bad, len, "sanity f64");
    memcpy(bad, img, len);
    wr32(bad + 56, 0x7fffffffu);
    expect_reject(bad, len, "n_tensors");
    memcpy(bad, img, len);
    wr32(bad + 52, 5000000u);
    expect_reject(bad, len, "n_vocab 5000000 cannot fit");
    memcpy(bad, img, len);
    wr64(bad + 120, rd64(img + 120) + 64); /* data section past the end */
    expect_reject(bad, len, "data section");
    memcpy(bad, img, len);
    wr64(bad + 80, 64); /* vocabulary section inside the header */
    expect_reject(bad, len, "vocabulary section offset 64 overlaps the metadata");
    free(bad);
    free(img);
}

static void test_tensor_fields(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = tiny_model(&len), *bad = malloc(len);
    entry_pos e0 = dir_entry(img, 0), e1 = dir_entry(img, 1);
    /* offset past the end of the data section */
    memcpy(bad, img, len);
    wr64(bad + e1.offset, (rd64(img + 120) + 63) / 64 * 64 + 64 * 100);
    expect_reject(bad, len, "runs past the end of the data section");
    /* two tensors sharing bytes */
    memcpy(bad, img, len);
    wr64(bad + e1.offset, rd64(img + e0.offset));
    expect_reject(bad, len, "overlap");
    /* absurd shape: 2^40 rows */
    memcpy(bad, img, len);
    wr64(bad + e0.dims, (uint64_t)1 << 40);
    expect_reject(bad, len, "dimension 0 is 1099511627776");
    /* shape product overflowing size_t */
    memcpy(bad, img, len);
    wr64(bad + e0.dims, (uint64_t)1 << 32);
    wr64(bad + e0.dims + 8, (uint64_t)1 << 32);
    expect_reject(bad, len, "overflows");
    /* shape that does not match the byte size */
    memcpy(bad, img, len);
    wr64(bad + e0.dims, rd64(img + e0.dims) + 1);
    expect_reject(bad, len, "does not match shape");
    /* dtypes */
    memcpy(bad, img, len);
    wr32(bad + e0.dtype, XL_DTYPE_F16);
    expect_reject(bad, len, "dtype F16 is not stored by format version 1");
    memcpy(bad, img, len);
    wr32(bad + e0.dtype, 77);
    expect_reject(bad, len, "unknown dtype 77");
    /* rank 0 and rank 9 */
    memcpy(bad, img, len);
    wr32(bad + e0.rank, 0);
    expect_reject(bad, len, "rank 0");
    /* misaligned offset */
    memcpy(bad, img, len);
    wr64(bad + e1.offset, rd64(img + e1.offset) + 4);
    expect_reject(bad, len, "not a multiple of 64");
    /* duplicate tensor names: rename entry 1 to entry 0's name when lengths agree */
    free(bad);
    free(img);
}

static void test_metadata_fields(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = tiny_model(&len), *bad = malloc(len);
    size_t meta = (size_t)rd64(img + 64);
    uint32_t klen = rd32(img + meta);
    memcpy(bad, img, len);
    wr32(bad + meta + 4 + klen, 9); /* type of the first entry */
    expect_reject(bad, len, "unknown type 9");
    memcpy(bad, img, len);
    wr32(bad + meta, 0xffffffffu);
    expect_reject(bad, len, "key length 4294967295");
    memcpy(bad, img, len);
    bad[meta + 4] = ' ';
    expect_reject(bad, len, "printable ASCII");
    /* first string value's length runs past the section */
    memcpy(bad, img, len);
    wr32(bad + meta + 4 + klen + 4, 1000000);
    expect_reject(bad, len, "string value needs 1000000 bytes");
    /* a vocabulary token that is not UTF-8 */
    size_t voc = (size_t)rd64(img + 80);
    memcpy(bad, img, len);
    bad[voc + 4] = 0xff;
    expect_reject(bad, len, "vocabulary entry 0: token is not UTF-8");
    free(bad);
    free(img);
}

/* Architecture checks on top of a structurally valid file. */
static void test_architecture(void **state)
{
    (void)state;
    xl_error err;
    xl_error_clear(&err);
    xl_kernels k;
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_SCALAR, 1, &err), 0);
    xl_model_writer *w = xl_model_writer_new(&err);
    xl_rng r;
    xl_rng_seed(&r, 1, 0);
    xl_model_writer_set_string(w, "arch", "bert", &err);
    xl_model_writer_set_int(w, "vocab_size", V, &err);
    xl_model_writer_set_int(w, "hidden_size", H, &err);
    xl_model_writer_set_int(w, "num_layers", 1, &err);
    xl_model_writer_set_int(w, "num_heads", 3, &err); /* 8 % 3 != 0 */
    unsigned char *img;
    size_t len;
    assert_int_equal(xl_model_writer_to_memory(w, &img, &len, &err), 0);
    xl_model *m;
    assert_int_equal(xl_model_open_memory(&m, img, len, "arch.xlm", &err), 0);
    xl_bert *b;
    assert_int_equal(xl_bert_from_model(&b, m, &k, &err), -1);
    print_message("[  INFO    ] rejected: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "intermediate_size")); /* first missing key */
    xl_model_close(m);
    free(img);
    xl_model_writer_free(w);

    /* full model but one tensor with the wrong shape: metadata hidden_size says 8 */
    size_t n;
    unsigned char *good = tiny_model(&n);
    entry_pos e0 = dir_entry(good, 0);
    /* word embeddings [12, 8] relabelled [24, 4]: same bytes, wrong shape */
    wr64(good + e0.dims, 24);
    wr64(good + e0.dims + 8, 4);
    assert_int_equal(xl_model_open_memory(&m, good, n, "shape.xlm", &err), 0);
    assert_int_equal(xl_bert_from_model(&b, m, &k, &err), -1);
    print_message("[  INFO    ] rejected: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "tensor 'embeddings.word_embeddings.weight' has shape [24, 4], expected [12, 8]"));
    xl_model_close(m);
    free(good);
    xl_kernels_free(&k);
}

/* Random single-byte corruption never crashes and never loads garbage sizes. */
static void test_byte_flips(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = tiny_model(&len), *bad = malloc(len);
    size_t head_end = (size_t)rd64(img + 112); /* everything before the data */
    xl_rng r;
    xl_rng_seed(&r, 7, 0);
    int accepted = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(bad, img, len);
        size_t pos = xl_rng_below(&r, (uint32_t)head_end);
        bad[pos] ^= (unsigned char)(1u << xl_rng_below(&r, 8));
        xl_model *m = NULL;
        xl_error err;
        xl_error_clear(&err);
        if (xl_model_open_memory(&m, bad, len, "flip.xlm", &err) == 0) {
            accepted++;
            for (size_t i = 0; i < xl_model_tensor_count(m); i++) {
                const xl_tensor *t = xl_model_tensor_at(m, i);
                assert_true(t->offset + t->nbytes <= rd64(bad + 120));
            }
            xl_model_close(m);
        }
    }
    print_message("[  INFO    ] 3000 single-bit flips: %d still valid (value bytes), the rest refused\n", accepted);
    free(bad);
    free(img);
}

/* safetensors reader: hostile headers. */
static void st_reject(const char *header, size_t data_len, const char *needle)
{
    size_t hl = strlen(header), len = 8 + hl + data_len;
    unsigned char *img = calloc(1, len);
    for (int i = 0; i < 8; i++) img[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(img + 8, header, hl);
    xl_safetensors *st = NULL;
    xl_error err;
    xl_error_clear(&err);
    int rc = xl_safetensors_open_memory(&st, img, len, "h.safetensors", &err);
    free(img);
    if (rc == 0) {
        xl_safetensors_close(st);
        fail_msg("accepted (expected '%s')", needle);
    }
    if (strstr(err.msg, needle) == NULL) fail_msg("expected '%s' in: %s", needle, err.msg);
    print_message("[  INFO    ] rejected: %s\n", err.msg);
}

static void test_safetensors_hostile(void **state)
{
    (void)state;
    st_reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12, "do not match its shape");
    st_reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "outside the 4-byte data buffer");
    st_reject("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype");
    st_reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
              12, "overlap");
    st_reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8,
              "overflows");
    st_reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8, "non-negative");
    st_reject("[1,2]", 0, "not a JSON object");
    st_reject("{\"a\":", 0, "safetensors header");
    /* header length beyond the file */
    unsigned char img[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0};
    xl_safetensors *st;
    xl_error err;
    xl_error_clear(&err);
    assert_int_equal(xl_safetensors_open_memory(&st, img, sizeof img, "h", &err), -1);
    assert_non_null(strstr(err.msg, "runs past the end"));
    /* widening */
    assert_true(xl_f16_to_f32(0x3c00) == 1.0f);
    assert_true(xl_f16_to_f32(0xc000) == -2.0f);
    assert_true(xl_f16_to_f32(0x0001) == 5.9604644775390625e-8f);
    assert_true(xl_bf16_to_f32(0x3fc0) == 1.5f);
}

/* ---- reduced-precision storage (format version 2) --------------------------- */

/* What the writer must have stored for element x of a row with max |x| = amax. */
static float expect_reduced(xl_dtype dt, float x, float amax)
{
    if (dt == XL_DTYPE_F16) return xl_half_to_float(xl_float_to_half(x));
    if (dt == XL_DTYPE_BF16) return xl_bf16_to_float(xl_float_to_bf16(x));
    float sc = amax / 127.0f;
    if (!(sc > 0.0f)) sc = 1.0f;
    return sc * roundf(x / sc);
}

static void test_dtype_roundtrip(void **state)
{
    (void)state;
    size_t len32;
    unsigned char *img32 = tiny_model(&len32);
    xl_error err;
    xl_error_clear(&err);
    xl_model *ref;
    assert_int_equal(xl_model_open_memory(&ref, img32, len32, "f32", &err), 0);
    const xl_dtype dts[3] = {XL_DTYPE_F16, XL_DTYPE_BF16, XL_DTYPE_I8};
    for (int d = 0; d < 3; d++) {
        const xl_dtype dt = dts[d];
        size_t len;
        unsigned char *img = tiny_model_as(&len, dt);
        assert_true(len < len32);
        const char *path = xl_test_write_tmp("tiny_reduced.xlm", img, len);
        xl_model *a, *b;
        if (xl_model_open_memory(&a, img, len, "reduced", &err) < 0) fail_msg("%s", err.msg);
        if (xl_model_open(&b, path, &err) < 0) fail_msg("%s", err.msg);
        assert_int_equal(xl_model_version(a), 2);
        size_t n_reduced = 0;
        double max_err = 0;
        for (size_t i = 0; i < xl_model_tensor_count(ref); i++) {
            const xl_tensor *t0 = xl_model_tensor_at(ref, i), *ta = xl_model_tensor_at(a, i), *tb = xl_model_tensor_at(b, i);
            assert_string_equal(t0->name, ta->name);
            assert_int_equal(ta->dtype, t0->rank >= 2 ? dt : XL_DTYPE_F32); /* LayerNorm and biases stay F32 */
            assert_int_equal(tb->dtype, ta->dtype);
            assert_int_equal(((uintptr_t)ta->data) % 64, 0);
            assert_int_equal(((uintptr_t)ta->stored) % 64, 0);
            assert_int_equal(((uintptr_t)tb->data) % 64, 0);
            assert_memory_equal(ta->data, tb->data, ta->count * 4); /* memory and mapped file agree */
            if (ta->dtype == XL_DTYPE_F32) {
                assert_memory_equal(ta->data, t0->data, t0->count * 4);
                assert_null(ta->scales);
                continue;
            }
            n_reduced++;
            const size_t rows = (size_t)t0->shape[0], cols = t0->count / rows;
            float *want = malloc(t0->count * sizeof *want);
            for (size_t r = 0; r < rows; r++) {
                float amax = 0;
                for (size_t c = 0; c < cols; c++) amax = fmaxf(amax, fabsf(t0->data[r * cols + c]));
                for (size_t c = 0; c < cols; c++) want[r * cols + c] = expect_reduced(dt, t0->data[r * cols + c], amax);
                if (dt == XL_DTYPE_I8) {
                    assert_non_null(ta->scales);
                    const float want_scale = amax / 127.0f; /* assigned: rounded to float where FLT_EVAL_METHOD != 0 (s390x) */
                    assert_true(ta->scales[r] == want_scale);
                    const int8_t *q = ta->stored;
                    for (size_t c = 0; c < cols; c++) {
                        assert_true(q[r * cols + c] >= -127 && q[r * cols + c] <= 127);
                        /* symmetric rounding error: at most half a step */
                        assert_true(fabsf(ta->data[r * cols + c] - t0->data[r * cols + c]) <= 0.5001f * ta->scales[r]);
                    }
                }
            }
            assert_allclose(ta->data, want, t0->count, 0.0, 0.0); /* exactly the documented rounding */
            for (size_t k = 0; k < t0->count; k++) max_err = fmax(max_err, fabs((double)ta->data[k] - t0->data[k]));
            free(want);
        }
        assert_int_equal(n_reduced, 10); /* 3 embedding tables, the layer's 6 linear weights, the pooler */
        print_message("[  INFO    ] %s: %zu bytes (f32 %zu), max |w - w_f32| %.3g\n", xl_dtype_name(dt), len, len32, max_err);
        /* the encoder accepts it */
        xl_kernels k;
        assert_int_equal(xl_kernels_init(&k, XL_SIMD_SCALAR, 1, &err), 0);
        xl_bert *bert;
        if (xl_bert_from_model(&bert, b, &k, &err) < 0) fail_msg("%s", err.msg);
        xl_bert_free(bert);
        xl_kernels_free(&k);
        /* F16 / BF16 are idempotent: re-storing the widened values gives the same bytes */
        if (dt != XL_DTYPE_I8) {
            xl_model_writer *w = xl_model_writer_new(&err);
            assert_int_equal(xl_model_writer_copy_model(w, a, &err), 0);
            assert_int_equal(xl_model_writer_set_reduced_dtype(w, dt, &err), 0);
            unsigned char *again;
            size_t len2;
            assert_int_equal(xl_model_writer_to_memory(w, &again, &len2, &err), 0);
            assert_int_equal(len2, len);
            assert_memory_equal(again, img, len);
            free(again);
            xl_model_writer_free(w);
        }
        xl_model_close(a);
        xl_model_close(b);
        remove(path);
        free(img);
    }
    xl_model_close(ref);
    free(img32);
}

/* XL_MODEL_OPEN_KEEP_I8: the I8 tensors get no float32 copy (data NULL) but the same stored form,
 * the F32 ones are untouched, the checks still run, and the encoder built over it (int8 linear
 * layers, int8 embedding rows read directly) gives bit for bit the hidden states and pooled output
 * of the encoder over the widened model (whose linear layers also run in int8, its embeddings from
 * the widened copy: scale * q either way). */
/* The same for F16 / BF16 with XL_MODEL_OPEN_KEEP_REDUCED (dt): no float32 copy, linear layers
 * packed 16-bit (xl_pack_b16) and widened per micro-panel, embedding rows widened per token; the
 * encoder's results equal those over the widened model bit for bit. */
static void check_keep(xl_dtype dt)
{
    size_t len;
    unsigned char *img = tiny_model_as(&len, dt);
    xl_error err;
    xl_error_clear(&err);
    xl_model *wide, *kept;
    const unsigned flags = dt == XL_DTYPE_I8 ? XL_MODEL_OPEN_KEEP_I8 : XL_MODEL_OPEN_KEEP_REDUCED;
    const size_t elem = dt == XL_DTYPE_I8 ? 1 : 2;
    assert_int_equal(xl_model_open_memory(&wide, img, len, "t.xlm", &err), 0);
    assert_int_equal(xl_model_open_memory_ex(&kept, img, len, "t.xlm", flags, &err), 0);
    size_t n_i8 = 0;
    for (size_t i = 0; i < xl_model_tensor_count(kept); i++) {
        const xl_tensor *a = xl_model_tensor_at(wide, i), *b = xl_model_tensor_at(kept, i);
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->dtype, b->dtype);
        assert_non_null(a->data);
        if (b->dtype == dt) {
            n_i8++;
            assert_null(b->data);
            assert_memory_equal(a->stored, b->stored, b->count * elem);
            if (dt == XL_DTYPE_I8) assert_memory_equal(a->scales, b->scales, (size_t)b->shape[0] * sizeof(float));
        } else {
            assert_memory_equal(a->data, b->data, b->count * sizeof(float));
        }
    }
    assert_int_equal(n_i8, 3 + 6 + 1); /* 3 embedding tables, Q K V O FFN-in FFN-out, pooler */
    xl_kernels k;
    assert_int_equal(xl_kernels_init(&k, XL_SIMD_SCALAR, 1, &err), 0);
    xl_bert *bw, *bk;
    if (xl_bert_from_model(&bw, wide, &k, &err) < 0) fail_msg("%s", err.msg);
    if (xl_bert_from_model(&bk, kept, &k, &err) < 0) fail_msg("%s", err.msg);
    /* fused QKV, O, FFN in, FFN out, pooler */
    assert_int_equal(bw->n_int8_linear, dt == XL_DTYPE_I8 ? 5 : 0);
    assert_int_equal(bk->n_int8_linear, dt == XL_DTYPE_I8 ? 5 : 0);
    assert_int_equal(bw->n_16bit_linear, 0);
    assert_int_equal(bk->n_16bit_linear, dt == XL_DTYPE_I8 ? 0 : 5);
    assert_null(bk->word_emb);
    if (dt == XL_DTYPE_I8) assert_non_null(bk->word_emb_q.q);
    else assert_non_null(bk->word_emb_q.h);
    static const int32_t ids0[5] = {2, 5, 9, 11, 3}, tt0[5] = {0, 0, 1, 1, 1}, ids1[3] = {2, 7, 3};
    const int32_t *ids[2] = {ids0, ids1}, *tts[2] = {tt0, NULL};
    const size_t lens[2] = {5, 3};
    xl_bert_input in = {2, ids, tts, NULL, lens};
    xl_bert_acts aw, ak;
    xl_bert_acts_init(&aw, false);
    xl_bert_acts_init(&ak, false);
    assert_int_equal(xl_bert_forward(bw, &k, 1, &in, &aw, &err), 0);
    assert_int_equal(xl_bert_forward(bk, &k, 1, &in, &ak, &err), 0);
    assert_memory_equal(xl_bert_last_hidden(bw, &aw), xl_bert_last_hidden(bk, &ak), 8 * H * sizeof(float));
    float pw[2 * H], pk[2 * H];
    assert_int_equal(xl_bert_pool(bw, &k, 1, &in, &aw, XL_POOL_POOLER, false, pw, &err), 0);
    assert_int_equal(xl_bert_pool(bk, &k, 1, &in, &ak, XL_POOL_POOLER, false, pk, &err), 0);
    assert_memory_equal(pw, pk, sizeof pw);
    for (size_t i = 0; i < 2 * H; i++) assert_true(isfinite(pk[i]) && pk[i] != 0.0f);
    xl_bert_acts_free(&aw);
    xl_bert_acts_free(&ak);
    xl_bert_free(bw);
    xl_bert_free(bk);
    xl_kernels_free(&k);
    xl_model_close(wide);
    xl_model_close(kept);
    if (dt != XL_DTYPE_I8) {
        free(img);
        return;
    }
    /* the stored form is still checked */
    const size_t t0 = (size_t)(rd64(img + 112) + rd64(img + dir_entry(img, 0).offset));
    img[t0 + 64 + 17] = 0x80;
    xl_model *m = NULL;
    assert_int_equal(xl_model_open_memory_ex(&m, img, len, "t.xlm", XL_MODEL_OPEN_KEEP_I8, &err), -1);
    assert_non_null(strstr(err.msg, "int8 element 17 is -128"));
    free(img);
}

static void test_keep_i8(void **state)
{
    (void)state;
    check_keep(XL_DTYPE_I8);
}

static void test_keep_reduced(void **state)
{
    (void)state;
    check_keep(XL_DTYPE_F16);
    check_keep(XL_DTYPE_BF16);
}

static void test_dtype_hostile(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = tiny_model_as(&len, XL_DTYPE_I8), *bad = malloc(len);
    /* entry 0 is embeddings.word_embeddings.weight [12, 8]: 48 bytes of scales, 16 of padding */
    entry_pos e0 = dir_entry(img, 0), e3 = dir_entry(img, 3);
    assert_int_equal(rd32(img + e0.dtype), XL_DTYPE_I8);
    assert_int_equal(rd32(img + e3.dtype), XL_DTYPE_F32); /* embeddings.LayerNorm.weight */
    const size_t t0 = (size_t)(rd64(img + 112) + rd64(img + e0.offset));
    assert_int_equal(rd64(img + e0.nbytes), 64 + V * H);
    for (size_t n = 0; n < len; n++) {
        xl_model *m = NULL;
        xl_error err;
        xl_error_clear(&err);
        assert_int_equal(xl_model_open_memory(&m, img, n, "t.xlm", &err), -1);
    }
    static const uint32_t bad_scales[4] = {0x00000000u /* 0 */, 0xbf800000u /* -1 */, 0x7fc00000u /* NaN */,
                                           0x7f800000u /* +Inf */};
    for (int i = 0; i < 4; i++) {
        memcpy(bad, img, len);
        wr32(bad + t0 + 4 * 5, bad_scales[i]);
        expect_reject(bad, len, "scale of row 5");
    }
    memcpy(bad, img, len);
    bad[t0 + 48 + 3] = 1;
    expect_reject(bad, len, "padding byte 51");
    memcpy(bad, img, len);
    bad[t0 + 64 + 17] = 0x80;
    expect_reject(bad, len, "int8 element 17 is -128");
    memcpy(bad, img, len);
    wr32(bad + 8, 1);
    expect_reject(bad, len, "dtype I8 is not stored by format version 1");
    memcpy(bad, img, len);
    wr32(bad + e3.dtype, XL_DTYPE_I8);
    expect_reject(bad, len, "needs rank >= 2");
    memcpy(bad, img, len);
    wr32(bad + e0.dtype, XL_DTYPE_BF16);
    expect_reject(bad, len, "does not match shape");
    memcpy(bad, img, len);
    wr32(bad + e0.dtype, XL_DTYPE_COUNT);
    expect_reject(bad, len, "unknown dtype 4");
    /* random bit flips: refused or accepted, never a crash or an out-of-bounds read (ASan) */
    xl_rng r;
    xl_rng_seed(&r, 19, 0);
    for (int trial = 0; trial < 400; trial++) {
        memcpy(bad, img, len);
        for (int f = 0; f < 3; f++) bad[xl_rng_below(&r, (uint32_t)len)] ^= (unsigned char)(1u << xl_rng_below(&r, 8));
        xl_model *m = NULL;
        xl_error err;
        xl_error_clear(&err);
        if (xl_model_open_memory(&m, bad, len, "flip.xlm", &err) == 0) {
            for (size_t i = 0; i < xl_model_tensor_count(m); i++) {
                const xl_tensor *t = xl_model_tensor_at(m, i);
                volatile float sink = t->data[t->count - 1];
                (void)sink;
            }
            xl_model_close(m);
        }
    }
    free(bad);
    free(img);
}

static void test_dtype_writer(void **state)
{
    (void)state;
    xl_error err;
    xl_error_clear(&err);
    /* bfloat16 rounding: to nearest, ties to even; overflow to Inf; NaN stays NaN */
    assert_int_equal(xl_float_to_bf16(1.0f + 0x1p-8f), 0x3f80);        /* tie, 1.0 is even */
    assert_int_equal(xl_float_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);    /* tie, rounds up to even */
    assert_int_equal(xl_float_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81); /* above the tie */
    assert_int_equal(xl_float_to_bf16(-2.5f), 0xc020);
    assert_int_equal(xl_float_to_bf16(3.4028235e38f), 0x7f80);
    assert_true(isnan(xl_bf16_to_float(xl_float_to_bf16(NAN))));
    assert_true(xl_dtype_for_tensor(1, XL_DTYPE_I8) == XL_DTYPE_F32);
    assert_true(xl_dtype_for_tensor(2, XL_DTYPE_I8) == XL_DTYPE_I8);
    xl_dtype dt;
    assert_true(xl_dtype_parse("bf16", &dt) && dt == XL_DTYPE_BF16);
    assert_true(xl_dtype_parse("int8", &dt) && dt == XL_DTYPE_I8);
    assert_false(xl_dtype_parse("i4", &dt));
    /* values a dtype cannot hold fail the write, naming tensor and element */
    static const struct {
        xl_dtype dt;
        float v;
        const char *msg; /* NULL: accepted */
    } cases[] = {{XL_DTYPE_F16, NAN, "tensor 'w': element 3 is nan, which F16 cannot store"},
                 {XL_DTYPE_F16, 1e6f, "element 3 is 1e+06, which F16 cannot store"},
                 {XL_DTYPE_F16, 65504.0f, NULL},
                 {XL_DTYPE_BF16, 1e30f, NULL},
                 {XL_DTYPE_BF16, INFINITY, "which BF16 cannot store"},
                 {XL_DTYPE_I8, INFINITY, "which I8 cannot store"},
                 {XL_DTYPE_I8, 0.0f, NULL}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float data[8] = {0.5f, -0.25f, 0.0f, 0.0f, 1.0f, 2.1f, 3.0f, -4.0f};
        data[3] = cases[c].v;
        if (cases[c].dt == XL_DTYPE_I8 && cases[c].v == 0.0f) memset(data, 0, 4 * sizeof data[0]); /* an all-zero row */
        uint64_t shape[2] = {2, 4};
        xl_model_writer *w = xl_model_writer_new(&err);
        assert_int_equal(xl_model_writer_add_tensor(w, "w", 2, shape, data, NULL, &err), 0);
        assert_int_equal(xl_model_writer_set_tensor_dtype(w, "w", cases[c].dt, &err), 0);
        unsigned char *img = NULL;
        size_t len = 0;
        int rc = xl_model_writer_to_memory(w, &img, &len, &err);
        if (cases[c].msg != NULL) {
            assert_int_equal(rc, -1);
            if (strstr(err.msg, cases[c].msg) == NULL) fail_msg("expected '%s' in: %s", cases[c].msg, err.msg);
        } else {
            assert_int_equal(rc, 0);
            xl_model *m;
            if (xl_model_open_memory(&m, img, len, "w.xlm", &err) < 0) fail_msg("%s", err.msg);
            const xl_tensor *t = xl_model_tensor_find(m, "w");
            if (cases[c].dt == XL_DTYPE_I8) {
                const float sc = 4.0f / 127.0f; /* q = round(x / sc): 31.75 -> 32, 66.7 -> 67, 95.25 -> 95 */
                assert_true(t->scales[0] == 1.0f); /* all-zero row: scale 1, q 0 */
                assert_true(t->scales[1] == sc);
                const float want[8] = {0, 0, 0, 0, sc * 32.0f, sc * 67.0f, sc * 95.0f, sc * -127.0f};
                assert_allclose(t->data, want, 8, 0.0, 0.0);
            } else {
                assert_true(t->data[3] == cases[c].v || cases[c].dt == XL_DTYPE_BF16);
            }
            xl_model_close(m);
        }
        free(img);
        xl_model_writer_free(w);
    }
    uint64_t shape1[1] = {4};
    float v4[4] = {0};
    xl_model_writer *w = xl_model_writer_new(&err);
    assert_int_equal(xl_model_writer_add_tensor(w, "b", 1, shape1, v4, NULL, &err), 0);
    assert_int_equal(xl_model_writer_set_tensor_dtype(w, "b", XL_DTYPE_I8, &err), -1);
    assert_non_null(strstr(err.msg, "I8 needs rank >= 2"));
    assert_int_equal(xl_model_writer_set_tensor_dtype(w, "nope", XL_DTYPE_F16, &err), -1);
    assert_non_null(strstr(err.msg, "no tensor 'nope'"));
    assert_int_equal(xl_model_writer_set_reduced_dtype(w, XL_DTYPE_I8, &err), 0); /* rank 1 stays F32 */
    xl_model_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),       cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_header_fields),   cmocka_unit_test(test_tensor_fields),
        cmocka_unit_test(test_metadata_fields), cmocka_unit_test(test_architecture),
        cmocka_unit_test(test_byte_flips),      cmocka_unit_test(test_safetensors_hostile),
        cmocka_unit_test(test_dtype_roundtrip), cmocka_unit_test(test_dtype_hostile),
        cmocka_unit_test(test_dtype_writer),    cmocka_unit_test(test_keep_i8), cmocka_unit_test(test_keep_reduced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
