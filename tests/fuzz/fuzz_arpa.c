/* fuzz_arpa.c - libFuzzer target for the ARPA reader (src/ngram/ngram_arpa.c).
 * Any input must either be rejected with a message or give a model that can
 * be scored and written back out; the sanitizers catch everything else. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ngram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xl_error err;
    xl_ngram_model *m = xl_ngram_model_parse_arpa((const char *)data, size, "fuzz.arpa", &err);
    if (m == NULL) {
        if (err.msg[0] == '\0') __builtin_trap(); /* every failure must say why */
        return 0;
    }
    static const char *const lines[] = {"a b c", "", "<s> </s> <unk>", "x"};
    xl_ngram_corpus_stats acc;
    memset(&acc, 0, sizeof acc);
    xl_buf out;
    xl_buf_init(&out);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        xl_ngram_query_line(m, lines[i], strlen(lines[i]), true, &out, NULL, &acc, &err);
        xl_ngram_query_line(m, lines[i], strlen(lines[i]), false, &out, NULL, &acc, &err);
    }
    xl_buf_clear(&out);
    if (xl_ngram_model_format_arpa(m, &out, &err) == 0) {
        /* what we write must read back */
        xl_ngram_model *m2 = xl_ngram_model_parse_arpa(out.data, out.len, "roundtrip.arpa", &err);
        if (m2 == NULL) __builtin_trap();
        xl_ngram_model_free(m2);
    }
    xl_buf_free(&out);
    xl_ngram_model_free(m);
    return 0;
}
