/* fuzz_rec_model.c - libFuzzer target for the recommender model file reader
 * (xl_rec_load_model_memory, src/rec/xl_rec_file.c).  An accepted model must be
 * usable: its id maps match its sizes, and scoring and top-K of every user run
 * (AddressSanitizer catches any array shorter than its declared size); a refused
 * input leaves no model and a message naming the input.  The checksum would
 * stop almost every mutation at the header, so byte 0 = 1 asks the target to
 * rewrite the checksum of the rest first and reach the structure checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xl_bytes.h"
#include "xl_rec_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    bool fix_checksum = data[0] == 1;
    data++;
    size--;
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    if (fix_checksum && size >= 40) {
        uint64_t h = xl_fnv1a64(copy + 40, size - 40), n = size - 40;
        for (int i = 0; i < 8; i++) {
            copy[24 + i] = (uint8_t)(n >> (8 * i));
            copy[32 + i] = (uint8_t)(h >> (8 * i));
        }
    }
    xl_rec_model *m = NULL;
    xl_idmap users, items;
    xl_idmap_init(&users);
    xl_idmap_init(&items);
    xl_error err;
    if (xl_rec_load_model_memory(copy, size, "fuzz.xlrec", &m, &users, &items, &err) == 0) {
        if (!m || users.n == 0 || items.n != xl_rec_n_items(m)) abort();
        uint32_t nu = users.n < 4 ? (uint32_t)users.n : 4;
        uint32_t it[4 * 3];
        float sc[4 * 3];
        xl_rec_set_threads(m, 1);
        if (xl_rec_topk(m, xl_rec_train_matrix(m), NULL, nu, 3, 1, it, sc, &err) < 0) abort();
        for (size_t q = 0; q < (size_t)nu * 3; q++)
            if (it[q] != XL_REC_NONE && it[q] >= items.n) abort();
        xl_rec_free(m);
    } else {
        if (m != NULL) abort();
        if (strncmp(err.msg, "fuzz.xlrec: ", 12) != 0) abort();
    }
    xl_idmap_free(&users);
    xl_idmap_free(&items);
    free(copy);
    return 0;
}
