/* fuzz_safetensors.c - libFuzzer target for the safetensors reader
 * (weights/xl_safetensors.c): any input is refused with a message, or every
 * tensor it lists lies inside the data buffer and float tensors widen to
 * float32.  Seed: tests/fuzz/corpus/fuzz_safetensors/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "xl_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xl_error err;
    xl_error_clear(&err);
    xl_safetensors *st;
    if (xl_safetensors_open_memory(&st, data, size, "fuzz.safetensors", &err) < 0) {
        if (err.msg[0] == '\0') __builtin_trap();
        return 0;
    }
    for (size_t i = 0; i < xl_safetensors_count(st); i++) {
        const xl_st_tensor *t = xl_safetensors_at(st, i);
        if (t->data < data || t->data + t->nbytes > data + size) __builtin_trap();
        if (!xl_st_dtype_is_float(t->dtype) || t->count == 0 || t->count > (1u << 20)) continue;
        float *out = malloc(t->count * sizeof *out);
        if (out != NULL && xl_safetensors_to_f32(st, t, out, &err) != 0) __builtin_trap();
        free(out);
    }
    xl_safetensors_close(st);
    return 0;
}
