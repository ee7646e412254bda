/* fuzz_ngram_binary.c - libFuzzer target for the binary n-gram model loader
 * (src/ngram/ngram_binary.c).  Any input must either be rejected with a
 * message or give a model that can be scored (every lookup bounded, every
 * probe ending) and written out again as a binary image that loads, full or
 * quantised (seeds o2q/o3q are quantised files); the
 * sanitizers catch everything else.  Seeds: tests/fuzz/corpus/fuzz_ngram_binary/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ngram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xl_error err;
    err.msg[0] = '\0';
    xl_ngram_model *m = xl_ngram_model_parse_binary(data, size, "fuzz.xlb", &err);
    if (m == NULL) {
        if (err.msg[0] == '\0') __builtin_trap(); /* every failure must say why */
        return 0;
    }
    static const char *const lines[] = {"a b c", "", "<s> </s> <unk>", "the cat sat on the mat", "x y x y x y"};
    xl_ngram_corpus_stats acc;
    memset(&acc, 0, sizeof acc);
    xl_buf out;
    xl_buf_init(&out);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        xl_ngram_query_line(m, lines[i], strlen(lines[i]), true, &out, NULL, &acc, &err);
        xl_ngram_query_line(m, lines[i], strlen(lines[i]), false, &out, NULL, &acc, &err);
    }
    /* every vocabulary word scores, and looks itself up */
    const xl_ngram_vocab *v = xl_ngram_model_vocab(m);
    for (uint32_t id = 0; id < xl_ngram_vocab_size(v) && id < 64; id++) {
        size_t len;
        const char *w = xl_ngram_vocab_word(v, id, &len);
        if (w == NULL) __builtin_trap();
        (void)xl_ngram_model_index(m, w, len);
        uint32_t g[2] = {id, id};
        (void)xl_ngram_model_lookup(m, g, 2, NULL, NULL);
    }
    xl_buf_clear(&out);
    if (xl_ngram_model_format_binary(m, &out, &err) == 0) {
        xl_ngram_model *m2 = xl_ngram_model_parse_binary(out.data, out.len, "roundtrip.xlb", &err);
        if (m2 == NULL) __builtin_trap(); /* what we write must read back */
        xl_ngram_model_free(m2);
    }
    xl_buf_clear(&out);
    if (xl_ngram_model_format_binary_quant(m, &out, 3, 2, NULL, &err) == 0) { /* quantised: the same promise */
        xl_ngram_model *m2 = xl_ngram_model_parse_binary(out.data, out.len, "quantised.xlb", &err);
        if (m2 == NULL) __builtin_trap();
        xl_ngram_model_free(m2);
    }
    xl_buf_free(&out);
    xl_ngram_model_free(m);
    return 0;
}
