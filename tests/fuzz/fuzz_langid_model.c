/* fuzz_langid_model.c - libFuzzer target for the langid model loader
 * (src/langid/langid.c, format in docs/langid.md).  Any input must be
 * rejected with a message or give a model that classifies text; the
 * sanitizers catch out-of-bounds reads.  The checksum is the first thing a
 * mutated file fails, so half of the inputs get their checksum repaired to
 * reach the structural checks behind it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "langid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t fnv1a32(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    if (size >= 8 && (data[size - 1] & 1)) {
        uint32_t h = fnv1a32(copy, size - 4);
        for (int i = 0; i < 4; i++) copy[size - 4 + (size_t)i] = (uint8_t)(h >> (8 * i));
    }
    xl_error err;
    xl_langid *m = NULL;
    if (xl_langid_load_memory(copy, size, "fuzz.xlid", &m, &err) < 0) {
        if (err.msg[0] == '\0') __builtin_trap(); /* every failure must say why */
        free(copy);
        return 0;
    }
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    if (ws) {
        static const char *const texts[] = {"the right to life", "", "\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbe",
                                            "\xe4\xba\xba\xe4\xba\xba \xff abc"};
        xl_langid_result r[3];
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            size_t n = xl_langid_classify(m, ws, texts[i], strlen(texts[i]), 0.5, r, 3, &err);
            if (n == 0) __builtin_trap();
            for (size_t k = 0; k < n; k++)
                if (!(r[k].prob >= 0 && r[k].prob <= 1)) __builtin_trap();
        }
        xl_langid_ws_free(ws);
    }
    xl_langid_free(m);
    free(copy);
    return 0;
}
