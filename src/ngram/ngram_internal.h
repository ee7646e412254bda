/* ngram_internal.h - structures shared by the files of src/ngram/ (not part
 * of the public API; see ngram.h for the contract). */
#ifndef XL_NGRAM_INTERNAL_H
#define XL_NGRAM_INTERNAL_H

#include <stdint.h>

#include "ngram.h"

struct xl_ngram_vocab {
    xl_buf arena;      /* every word followed by a NUL byte */
    uint64_t *offset;  /* [size] start of word id in arena */
    uint32_t *length;  /* [size] its length in bytes */
    size_t size, cap;
    uint32_t *table;   /* [mask+1] open addressing: id+1, 0 = empty */
    size_t mask;
};

/* Vocabulary with no words at all (the ARPA reader adds <unk> first). */
xl_ngram_vocab *xl_ngram_vocab_new_empty(xl_error *err);
uint64_t xl_ngram_hash_bytes(const char *s, size_t len);

/* One slot of the probing table of an order >= 2: key 0 = empty. */
typedef struct xl_ngram_slot {
    uint64_t key;
    float prob;
    float backoff;
} xl_ngram_slot;

/* A unigram's two values side by side: one cache line per scored word. */
typedef struct xl_ngram_unigram {
    float prob;
    float backoff;
} xl_ngram_unigram;

typedef struct xl_ngram_level {
    uint64_t count;
    uint32_t *ids;         /* [count*order] in text order (unigrams: NULL, id = index) */
    xl_ngram_slot *table;  /* [mask+1], orders >= 2 */
    uint64_t mask;
} xl_ngram_level;

struct xl_ngram_model {
    int order;
    xl_ngram_vocab *vocab;
    uint32_t bos, eos;
    xl_ngram_unigram *uni; /* [vocab size] */
    xl_ngram_level level[XL_NGRAM_MAX_ORDER]; /* level[k-1] holds order k */
};

/* splitmix64's finaliser (Steele, Lea & Flood 2014): a bijection on 64 bits. */
static inline uint64_t xl_ngram_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
}

/* Key of an n-gram, built from its last word leftwards (as a query extends
 * the context): key(w) then key(v w) = extend(key(w), v), ... */
static inline uint64_t xl_ngram_key1(uint32_t w)
{
    return xl_ngram_mix64((uint64_t)w + 0x9E3779B97F4A7C15ULL);
}
static inline uint64_t xl_ngram_key_extend(uint64_t key, uint32_t w)
{
    return xl_ngram_mix64(key ^ (((uint64_t)w + 1) * 0xC2B2AE3D27D4EB4FULL));
}
static inline uint64_t xl_ngram_key_fix(uint64_t key)
{
    return key + (key == 0);
}
/* Key of ids[0..n) (text order). */
static inline uint64_t xl_ngram_key_of(const uint32_t *ids, int n)
{
    uint64_t k = xl_ngram_key1(ids[n - 1]);
    for (int j = n - 2; j >= 0; j--) k = xl_ngram_key_extend(k, ids[j]);
    return xl_ngram_key_fix(k);
}

static inline const xl_ngram_slot *xl_ngram_find_slot(const xl_ngram_level *lv, uint64_t key)
{
    uint64_t i = key & lv->mask;
    for (;;) {
        const xl_ngram_slot *s = &lv->table[i];
        if (s->key == key) return s;
        if (s->key == 0) return NULL;
        i = (i + 1) & lv->mask;
    }
}

/* Allocate an empty model of `order` with level tables sized for counts[]
 * (orders >= 2).  The vocabulary is attached by the caller. */
xl_ngram_model *xl_ngram_model_alloc(int order, const uint64_t *counts, xl_error *err);
/* Insert into level k-1 (k >= 2); returns 1 when inserted, 0 when the key was already there. */
int xl_ngram_model_insert(xl_ngram_model *m, int k, uint64_t key, float prob, float backoff);

/* The shortest round-trip decimal found by searching the digit count with
 * snprintf("%.*e") / strtof (strtod when !single), in KenLM's layout: the
 * slow reference the fast float formatter (ngram_float.c) is checked against,
 * and the double formatter (a few calls per run). */
size_t xl_ngram_format_shortest_reference(double v, bool single, char *buf);

#endif /* XL_NGRAM_INTERNAL_H */
