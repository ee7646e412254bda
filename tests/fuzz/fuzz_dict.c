/* fuzz_dict.c - libFuzzer target over the bilingual dictionary reader of
 * dictionary translation (src/align/dict_translate.h): any bytes are read as
 * a dictionary ("source<TAB>target" or "source target" lines), with and
 * without lower-casing.  It must either fail with a message or load, and a
 * loaded dictionary must translate its own lines (the input, line by line,
 * with and without dropping unknown tokens) without failing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dict_translate.h"
#include "xl_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy: a read past the end is an ASan report */
    char *text = malloc(size ? size : 1);
    if (text == NULL) return 0;
    if (size) memcpy(text, data, size);
    for (int lower = 0; lower < 2; lower++) {
        xl_dt_dict *d = NULL;
        xl_error err;
        xl_error_clear(&err);
        if (xl_dt_dict_load_memory(text, size, "fuzz.dict", lower != 0, &d, &err) < 0) {
            if (d != NULL || err.msg[0] == '\0') abort(); /* failures explain themselves, leave nothing */
            continue;
        }
        (void)xl_dt_dict_entries(d);
        xl_buf out;
        xl_buf_init(&out);
        size_t lines = 0;
        for (size_t b = 0; b < size && lines < 64; lines++) {
            const char *nl = memchr(text + b, '\n', size - b);
            size_t e = nl ? (size_t)(nl - text) : size;
            xl_dt_stats st = {0};
            out.len = 0;
            if (xl_dt_translate_line(d, text + b, e - b, lines % 2 == 1, &out, &st, &err) < 0) abort();
            if (st.translated_tokens + st.unknown_tokens > st.tokens) abort();
            b = e + 1;
        }
        xl_buf_free(&out);
        xl_dt_dict_free(d);
    }
    free(text);
    return 0;
}
