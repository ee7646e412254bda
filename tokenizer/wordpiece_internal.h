/* wordpiece_internal.h - what the four parts of the WordPiece tokenizer share (not installed).
 *
 *   wordpiece_vocab.c      the vocabulary: construction, vocab.txt, the hash index and the byte trie,
 *                          id <-> token lookups
 *   wordpiece_json.c       HF tokenizer.json, tokenizer_config.json and the directory loader; the
 *                          tokenizer.json writer
 *   wordpiece_normalize.c  BertNormalizer (step 2 of wordpiece.c), xl_wordpiece_normalize and
 *                          xl_wordpiece_pre_tokenize (steps 2 and 3 on their own), and the
 *                          per-encoding scratch memory they fill
 *   wordpiece.c            an encode: added tokens, pre-tokenisation, WordPiece matching,
 *                          [CLS]/[SEP] post-processing, truncation, padding
 *
 * Contract
 *   - struct xl_wordpiece is complete once xl_wp_finish has returned 0; after that nothing writes it
 *     (encode from any number of threads, wordpiece.h).
 *   - xl_wp_new, xl_wp_alloc_vocab, xl_wp_add_added_token and xl_wp_finish are the construction steps
 *     every loader takes, in that order: options, vocabulary, added tokens, index + trie + specials.
 *   - The scratch memory belongs to one xl_wordpiece_encoding (its `scratch` pointer): one thread at a time.
 */
#ifndef WORDPIECE_INTERNAL_H
#define WORDPIECE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wordpiece.h"
#include "xl_error.h"
#include "xl_unicode.h"

#define NO_TOKEN UINT32_MAX

typedef struct added_token {
    char *text;
    size_t len;
    int32_t id;
} added_token;

struct xl_wordpiece {
    xl_wordpiece_options opts;
    bool strip_accents; /* resolved */
    bool has_post_processor;
    char *strings[6]; /* owned copies of unk, cls, sep, pad, mask, prefix */
    size_t prefix_len;
    /* vocabulary: token of id i = arena[tok_off[i] .. + tok_len[i]] */
    size_t n_ids;
    char *arena;
    uint32_t *tok_off, *tok_len;
    int32_t *slots; /* open addressing, -1 = empty */
    size_t slot_mask;
    size_t max_token_bytes;
    int32_t special_ids[5];
    /* added tokens, longest first */
    added_token *added;
    size_t n_added;
    uint8_t added_first[256];
    /* classes of ASCII characters */
    uint8_t ascii_class[128];
    /* byte trie over every token, for the greedy longest match: edges in an
     * open-addressing table keyed by (node << 8 | byte); node_id[node] is the
     * token ending there or -1.  Node 0 is the root; prefix_node is the node
     * reached by the continuing-subword prefix ("##"), -1 when absent. */
    uint64_t *edge_key; /* (node << 8 | byte) + 1, so that 0 marks an empty slot */
    uint32_t *edge_child;
    size_t edge_mask;
    int32_t *node_id;
    size_t n_nodes;
    int64_t prefix_node;
};

/* ------------------------------------------------------------------------ */
/* the byte trie: edges in an open-addressing table keyed by (node << 8 | byte) */

static inline size_t edge_slot(uint64_t key, size_t mask)
{
    key *= 0x9E3779B97F4A7C15ull;
    return (size_t)(key >> 29) & mask;
}

/* child of node by byte, or -1 */
static inline int64_t trie_step(const xl_wordpiece *wp, uint64_t node, unsigned char byte)
{
    uint64_t key = ((node << 8) | byte) + 1;
    size_t i = edge_slot(key, wp->edge_mask);
    for (;;) {
        uint64_t k = wp->edge_key[i];
        if (k == key) return wp->edge_child[i];
        if (k == 0) return -1;
        i = (i + 1) & wp->edge_mask;
    }
}

/* ------------------------------------------------------------------------ */
/* construction steps (wordpiece_vocab.c) */

/* A tokenizer with the options copied and nothing else (opts NULL: the defaults); NULL on failure. */
xl_wordpiece *xl_wp_new(const xl_wordpiece_options *opts, xl_error *err);
/* Id arrays and the arena for n_ids tokens of total_bytes bytes; every id starts absent (NO_TOKEN). */
int xl_wp_alloc_vocab(xl_wordpiece *wp, size_t n_ids, size_t total_bytes, xl_error *err);
/* An added token matched literally in text (a later one with the same text replaces the id). */
int xl_wp_add_added_token(xl_wordpiece *wp, const char *text, size_t len, int32_t id, xl_error *err);
/* After the vocabulary and options are in place: index, trie, special ids, added tokens (when none
 * were given by a tokenizer.json: add_specials_as_added), ASCII classes. */
int xl_wp_finish(xl_wordpiece *wp, bool add_specials_as_added, xl_error *err);

/* ------------------------------------------------------------------------ */
/* scratch memory, owned by the encoding (wordpiece_normalize.c) */

typedef struct tok {
    int32_t id;
    uint32_t pad_;
    size_t start, end;
} tok;

typedef struct scratch {
    /* normalised code points with their source byte span */
    uint32_t *cp;
    size_t *src0, *src1;
    size_t n_cp, cap_cp;
    /* current word: UTF-8 bytes after a prefix gap, char boundaries */
    char *word;
    size_t word_cap;
    size_t *bound; /* byte offset of char k in the word; bound[n] = length */
    size_t bound_cap;
    /* token lists of text A and B: n_toks counts every token, only the first keep[] are stored
     * (truncation keeps at most max_length tokens, so a 96 MB line costs its kept tokens) */
    tok *toks[2];
    size_t n_toks[2], cap_toks[2], keep[2];
} scratch;

void xl_wp_scratch_free(scratch *s);
/* *p grown to hold at least need elements of elem bytes (xl_array_reserve: doubling from 64); *cap
 * updated; on failure -1 with *p and *cap untouched. */
int xl_wp_grow(void **p, size_t *cap, size_t need, size_t elem, xl_error *err);
/* room for need normalised code points with their source spans */
int xl_wp_reserve_cp(scratch *s, size_t need, xl_error *err);

static inline int push_tok(scratch *s, int which, int32_t id, size_t start, size_t end, xl_error *err)
{
    if (s->n_toks[which] >= s->keep[which]) { /* counted, not stored: truncation drops it */
        s->n_toks[which]++;
        return 0;
    }
    if (s->n_toks[which] == s->cap_toks[which] &&
        xl_wp_grow((void **)&s->toks[which], &s->cap_toks[which], s->n_toks[which] + 1, sizeof(tok), err) < 0)
        return -1;
    tok *t = &s->toks[which][s->n_toks[which]++];
    t->id = id;
    t->pad_ = 0;
    t->start = start;
    t->end = end;
    return 0;
}

/* BertNormalizer over text[a, b) -> s->cp (code points) with their source byte spans s->src0/src1. */
int xl_wp_normalize_segment(const xl_wordpiece *wp, const char *text, size_t a, size_t b, scratch *s, xl_error *err);

static inline unsigned char_class(const xl_wordpiece *wp, uint32_t cp)
{
    return cp < 128 ? wp->ascii_class[cp] : xl_uc_bert_class(cp);
}

#endif /* WORDPIECE_INTERNAL_H */
