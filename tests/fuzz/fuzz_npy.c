/* fuzz_npy.c - libFuzzer target for the .npy reader (src/core/xl_npy.h).
 * Accepted arrays must be consistent (count = product of shape, data present
 * and exactly as large as the bytes after the header); a refused input must
 * leave no array behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xl_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    xl_npy_array a;
    xl_error err;
    if (xl_npy_read_memory(copy, size, "fuzz.npy", &a, &err) == 0) {
        if (a.data == NULL || a.rank < 0 || a.rank > XL_NPY_MAX_RANK) abort();
        size_t count = 1;
        for (int i = 0; i < a.rank; i++) count *= a.shape[i];
        if (count != a.count || count * 4 > size) abort();
        volatile float sink = 0;
        for (size_t i = 0; i < a.count; i++) sink += a.data[i];
        (void)sink;
        xl_npy_free(&a);
    } else {
        if (a.data != NULL) abort();
        if (strncmp(err.msg, "fuzz.npy: ", 10) != 0) abort();
    }
    free(copy);
    return 0;
}
