/* fuzz_wordpiece.c - libFuzzer target over the WordPiece encoder: any bytes
 * (ill-formed UTF-8, NUL, controls, marks, CJK, literal special tokens) are
 * encoded as a single text and, split at the first TAB, as a pair with
 * truncation, through a cased and an uncased (NFD + lowercase) tokenizer with
 * a small vocabulary.  Checks the invariants: ids in range, [CLS]/[SEP]
 * framing, offsets inside their text, and the normaliser never fails. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wordpiece.h"

static const char *const VOCAB[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##a", "b", "##b", "ab",
                                    "##ab", "\xC3\xA9", "##\xC3\xA9", "\xE4\xB8\xAD", "i", "##\xCC\x87", ",", "!",
                                    "\xCF\x83", "##\xCF\x83", "\xE1\x84\x92", "##\xE1\x85\xA1"};

static void check(const xl_wordpiece *wp, const xl_wordpiece_encoding *e, size_t alen, size_t blen)
{
    size_t v = xl_wordpiece_vocab_size(wp);
    for (size_t k = 0; k < e->len; k++) {
        if (e->ids[k] < 0 || (size_t)e->ids[k] >= v) abort();
        size_t lim = e->sequence[k] == 1 ? blen : alen;
        if (e->offsets[2 * k] > e->offsets[2 * k + 1] || e->offsets[2 * k + 1] > lim) abort();
    }
    if (e->len < 2 || e->ids[0] != 2 || e->ids[e->len - 1] != 3) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static xl_wordpiece *wps[2];
    if (!wps[0]) {
        xl_wordpiece_options o;
        xl_wordpiece_options_default(&o);
        for (int i = 0; i < 2; i++) {
            o.lowercase = i == 1;
            o.max_input_chars_per_word = 8;
            wps[i] = xl_wordpiece_create(VOCAB, NULL, sizeof VOCAB / sizeof VOCAB[0], &o, NULL);
            if (!wps[i]) abort();
        }
    }
    const char *text = (const char *)data;
    const char *tab = memchr(text, '\t', size);
    for (int i = 0; i < 2; i++) {
        xl_wordpiece_encoding e;
        xl_wordpiece_encoding_init(&e);
        if (xl_wordpiece_encode(wps[i], text, size, NULL, 0, NULL, &e, NULL) < 0) abort();
        check(wps[i], &e, size, 0);
        if (tab) {
            size_t alen = (size_t)(tab - text), blen = size - alen - 1;
            xl_wordpiece_encode_options eo;
            xl_wordpiece_encode_options_default(&eo);
            eo.max_length = 3 + (size % 7);
            if (xl_wordpiece_encode(wps[i], text, alen, tab + 1, blen, &eo, &e, NULL) < 0) abort();
            if (e.len > eo.max_length) abort();
            check(wps[i], &e, alen, blen);
        }
        char *norm;
        size_t nlen;
        if (xl_wordpiece_normalize(wps[i], text, size, &norm, &nlen, NULL) < 0) abort();
        free(norm);
        xl_wordpiece_encoding_free(&e);
    }
    return 0;
}
