/* fuzz_model.c - libFuzzer target for the model file loader (weights/xl_model.c)
 * and the encoder's architecture checks (nn/bert.c).  Any input must either be
 * refused with a message or load into a model whose every tensor lies inside
 * the data section; an accepted F16 / BF16 / I8 tensor must keep the loader's
 * promises (stored bytes readable, every I8 scale finite and > 0, every int8 in
 * [-127, 127], the float32 copy readable); an accepted BERT must run a 2-token
 * forward pass.  The same bytes are then opened again as the embedder opens
 * them (XL_MODEL_OPEN_KEEP_I8 | XL_MODEL_OPEN_KEEP_REDUCED: no float32 copy of
 * F16 / BF16 / I8 tensors): accepted exactly when the first open was, `data`
 * NULL exactly for those dtypes, and, for a model without I8 tensors, the
 * encoder over the kept 16-bit weights (xl_pack_b16, 16-bit embedding rows)
 * must give the last hidden state of the widened model bit for bit.  Seeds:
 * tests/fuzz/corpus/fuzz_model/tiny.xlm (written by test_model_format with
 * XLREC_WRITE_FUZZ_SEED), its reduced-precision versions tiny_{f16,bf16,int8}.xlm
 * (`xlrec quantize tiny.xlm -o tiny_int8.xlm --dtype int8`, format version 2)
 * and tiny_mixed.xlm (Q F16, K BF16, FFN in BF16, word embeddings F16, pooler
 * I8: a fused QKV of mixed 16-bit types, written with
 * xl_model_writer_set_tensor_dtype). */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bert.h"
#include "xl_kernels.h"
#include "xl_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scalar encoder's last hidden state of 2 tokens (ids 0) into out[0..n), *n = 0 if it does not
 * load or run (the failure must say why). */
static void forward(const xl_model *m, float *out, size_t cap, size_t *n)
{
    xl_error err;
    xl_error_clear(&err);
    *n = 0;
    xl_kernels k;
    if (xl_kernels_init(&k, XL_SIMD_SCALAR, 1, &err) != 0) return;
    xl_bert *b;
    if (xl_bert_from_model(&b, m, &k, &err) == 0) {
        int32_t ids[2] = {0, 0};
        const int32_t *rows[1] = {ids};
        size_t len = b->cfg.max_position >= 2 ? 2 : 1;
        xl_bert_input in = {1, rows, NULL, NULL, &len};
        xl_bert_acts a;
        xl_bert_acts_init(&a, false);
        if (xl_bert_forward(b, &k, 1, &in, &a, &err) == 0) {
            size_t cnt = len * b->cfg.hidden;
            *n = cnt < cap ? cnt : cap;
            memcpy(out, xl_bert_last_hidden(b, &a), *n * sizeof *out);
        }
        xl_bert_acts_free(&a);
        xl_bert_free(b);
    } else if (err.msg[0] == '\0') {
        __builtin_trap();
    }
    xl_kernels_free(&k);
}

static float hidden_wide[4096], hidden_kept[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xl_error err;
    xl_error_clear(&err);
    xl_model *m, *kept;
    int rc_kept = xl_model_open_memory_ex(&kept, data, size, "fuzz.xlm",
                                          XL_MODEL_OPEN_KEEP_I8 | XL_MODEL_OPEN_KEEP_REDUCED, &err);
    if (xl_model_open_memory(&m, data, size, "fuzz.xlm", &err) < 0) {
        if (err.msg[0] == '\0') __builtin_trap(); /* every failure must say why */
        if (rc_kept == 0) __builtin_trap();       /* the flags change no check */
        return 0;
    }
    if (rc_kept != 0) __builtin_trap();
    bool any_i8 = false;
    for (size_t i = 0; i < xl_model_tensor_count(kept); i++) {
        const xl_tensor *t = xl_model_tensor_at(kept, i);
        if ((t->data == NULL) != (t->dtype != XL_DTYPE_F32)) __builtin_trap();
        any_i8 |= t->dtype == XL_DTYPE_I8;
    }
    size_t n_wide, n_kept;
    forward(m, hidden_wide, 4096, &n_wide);
    forward(kept, hidden_kept, 4096, &n_kept);
    if (!any_i8 && (n_wide != n_kept || memcmp(hidden_wide, hidden_kept, n_wide * sizeof(float)) != 0))
        __builtin_trap(); /* 16-bit weights kept as stored: the widened model's bits */
    xl_model_close(kept);
    volatile float sink = 0;
    for (size_t i = 0; i < xl_model_tensor_count(m); i++) {
        const xl_tensor *t = xl_model_tensor_at(m, i);
        sink += t->data[0] + t->data[t->count - 1]; /* ASan: both ends readable */
        if (t->dtype == XL_DTYPE_F16 || t->dtype == XL_DTYPE_BF16) {
            const uint16_t *u = t->stored;
            sink += (float)(u[0] + u[t->count - 1]);
        } else if (t->dtype == XL_DTYPE_I8) {
            const int8_t *q = t->stored;
            for (size_t j = 0; j < t->count; j++)
                if (q[j] < -127) __builtin_trap();
            for (uint64_t r = 0; r < t->shape[0]; r++)
                if (!(t->scales[r] > 0.0f) || !isfinite(t->scales[r])) __builtin_trap();
        }
    }
    for (size_t i = 0; i < xl_model_vocab_count(m); i++) (void)xl_model_vocab_token(m, i, NULL);
    if (n_wide) sink += hidden_wide[0];
    (void)sink;
    xl_model_close(m);
    return 0;
}
