/* fuzz_model.c - libFuzzer target for the model file loader (weights/xl_model.c)
 * and the encoder's architecture checks (nn/bert.c).  Any input must either be
 * refused with a message or load into a model whose every tensor lies inside
 * the data section; an accepted F16 / BF16 / I8 tensor must keep the loader's
 * promises (stored bytes readable, every I8 scale finite and > 0, every int8 in
 * [-127, 127], the float32 copy readable); an accepted BERT must run a 2-token
 * forward pass.  Seeds: tests/fuzz/corpus/fuzz_model/tiny.xlm (written by
 * test_model_format with XLREC_WRITE_FUZZ_SEED) and its reduced-precision
 * versions tiny_{f16,bf16,int8}.xlm (`xlrec quantize tiny.xlm -o tiny_int8.xlm
 * --dtype int8`, format version 2). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "bert.h"
#include "xl_kernels.h"
#include "xl_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xl_error err;
    xl_error_clear(&err);
    xl_model *m;
    if (xl_model_open_memory(&m, data, size, "fuzz.xlm", &err) < 0) {
        if (err.msg[0] == '\0') __builtin_trap(); /* every failure must say why */
        return 0;
    }
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
    xl_kernels k;
    if (xl_kernels_init(&k, XL_SIMD_SCALAR, 1, &err) == 0) {
        xl_bert *b;
        if (xl_bert_from_model(&b, m, &k, &err) == 0) {
            int32_t ids[2] = {0, 0};
            const int32_t *rows[1] = {ids};
            size_t len = b->cfg.max_position >= 2 ? 2 : 1;
            xl_bert_input in = {1, rows, NULL, NULL, &len};
            xl_bert_acts a;
            xl_bert_acts_init(&a, false);
            if (xl_bert_forward(b, &k, 1, &in, &a, &err) == 0) sink += xl_bert_last_hidden(b, &a)[0];
            xl_bert_acts_free(&a);
            xl_bert_free(b);
        } else if (err.msg[0] == '\0') {
            __builtin_trap();
        }
        xl_kernels_free(&k);
    }
    (void)sink;
    xl_model_close(m);
    return 0;
}
