/* fuzz_vocab_train.c - libFuzzer target over the WordPiece vocabulary trainer
 * (tokenizer/wordpiece_train.h): the input's lines are counted (any bytes:
 * ill-formed UTF-8, NUL, controls, marks, CJK), byte 0 picks cased/uncased, a
 * small vocabulary size, the alphabet limit and min_frequency.  Checks: training
 * succeeds when there is a word and fails cleanly when there is none; the
 * special tokens come first; no token twice; every token valid UTF-8 and
 * non-empty; the size is the target unless the merges ran out or the base
 * (specials + alphabet + ##characters) is larger; a second run is identical. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wordpiece_train.h"
#include "xl_utf8.h"

static int train(const uint8_t *data, size_t size, const xl_wordpiece_train_options *o, xl_wordpiece_vocab *v)
{
    xl_wordpiece_counter *c = xl_wordpiece_counter_create(o, NULL);
    if (!c) abort();
    size_t start = 1;
    for (size_t i = 1; i <= size; i++)
        if (i == size || data[i] == '\n') {
            if (xl_wordpiece_counter_add_text(c, (const char *)data + start, i - start, NULL) < 0) abort();
            start = i + 1;
        }
    int rc = xl_wordpiece_train(c, o, v, NULL);
    if (rc < 0 && xl_wordpiece_counter_distinct(c) > 0) abort();
    xl_wordpiece_counter_free(c);
    return rc;
}

static int one_input(const uint8_t *data, size_t size)
{
    xl_wordpiece_train_options o;
    xl_wordpiece_train_options_default(&o);
    uint8_t b = data[0];
    o.lowercase = b & 1;
    o.vocab_size = 5 + (size_t)((b >> 1) & 31) * 3;
    o.limit_alphabet = (b & 64) ? (size_t)((b >> 1) & 7) : WORDPIECE_TRAIN_NO_LIMIT;
    o.min_frequency = (b & 128) ? 2 : 0;
    xl_wordpiece_vocab v, w;
    if (train(data, size, &o, &v) < 0) return 0;
    if (v.n < o.n_special_tokens) abort();
    for (size_t i = 0; i < o.n_special_tokens; i++)
        if (strcmp(v.arena + v.off[i], o.special_tokens[i])) abort();
    size_t base = v.n_special + v.n_alphabet + v.n_continuation;
    if (v.n > (base > o.vocab_size ? base : o.vocab_size)) abort();
    for (size_t i = 0; i < v.n; i++) {
        if (v.len[i] == 0 || !xl_utf8_validate(v.arena + v.off[i], v.len[i], NULL, NULL)) abort();
        for (size_t j = 0; j < i; j++)
            if (v.len[i] == v.len[j] && !memcmp(v.arena + v.off[i], v.arena + v.off[j], v.len[i])) abort();
    }
    if (train(data, size, &o, &w) < 0 || w.n != v.n || memcmp(w.arena, v.arena, v.off[v.n - 1] + v.len[v.n - 1]))
        abort();
    xl_wordpiece_vocab_free(&v);
    xl_wordpiece_vocab_free(&w);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    uint8_t *copy = malloc(size); /* exact size: a read past the end is an ASan report */
    if (!copy) abort();
    memcpy(copy, data, size);
    one_input(copy, size);
    free(copy);
    return 0;
}
