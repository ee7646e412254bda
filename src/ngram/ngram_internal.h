/* ngram_internal.h - structures shared by the files of src/ngram/ (not part
 * of the public API; see ngram.h for the contract). */
#ifndef XL_NGRAM_INTERNAL_H
#define XL_NGRAM_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "ngram.h"
#include "xl_platform.h"

struct xl_ngram_vocab {
    xl_buf arena;      /* every word followed by a NUL byte; < 4 GiB in all */
    uint32_t *offset;  /* [size+1] start of word id in arena; its length is
                          offset[id+1] - offset[id] - 1 (offset[size] = arena.len) */
    size_t size, cap;  /* cap: words the offset array has room for */
    uint32_t *table;   /* [mask+1] open addressing: id+1, 0 = empty */
    size_t mask;
    bool borrowed;     /* arena.data, offset, table point into a binary
                          model file: read-only, not freed, no intern */
};

/* Vocabulary with no words at all (the ARPA reader adds <unk> first). */
xl_ngram_vocab *xl_ngram_vocab_new_empty(xl_error *err);
uint64_t xl_ngram_hash_bytes(const char *s, size_t len);

/* Probing tables (orders >= 2), KenLM's "probing" layout: `buckets` slots,
 * an n-gram's home slot is bucket_of(key), linear probing, key 0 = empty.
 * The 64-bit key is kept as two 32-bit words so that a table is an array of
 * 32-bit words (little-endian on disk; a big-endian host swaps word by word).
 * Orders below the highest: 16-byte slots with the backoff; the highest
 * order has no backoffs: 12-byte slots (as KenLM's probing model). */
typedef struct xl_ngram_slot {
    uint32_t key_lo, key_hi;
    float prob;
    float backoff;
} xl_ngram_slot;

typedef struct xl_ngram_slot_top {
    uint32_t key_lo, key_hi;
    float prob;
} xl_ngram_slot_top;

/* buckets = count * 3/2 + 1 (KenLM's default probing multiplier 1.5): at
 * least one slot stays empty, so every probe sequence ends. */
static inline uint64_t xl_ngram_buckets_for(uint64_t count)
{
    return count + count / 2 + 1;
}

/* Home slot of a key in a table of `buckets` < 2^32 slots: the high 32 bits
 * of the key scaled to [0, buckets) (Lemire's multiply-shift range reduction;
 * the keys are splitmix outputs, so their high bits are uniform). */
static inline uint64_t xl_ngram_bucket_of(uint64_t key, uint64_t buckets)
{
    return ((key >> 32) * buckets) >> 32;
}

/* A unigram's two values side by side: one cache line per scored word. */
typedef struct xl_ngram_unigram {
    float prob;
    float backoff;
} xl_ngram_unigram;

typedef struct xl_ngram_level {
    uint64_t count;
    uint32_t *ids;     /* [count*order] in text order (unigrams: NULL, id = index);
                          NULL for a model read from a binary file */
    void *table;       /* [buckets] xl_ngram_slot, or xl_ngram_slot_top for the highest order */
    uint64_t buckets;
    bool top;          /* highest order: 12-byte slots without backoff */
    /* Quantised (binary files written with prob/backoff bits; never a trained
     * or ARPA model): 12-byte slots {key, q} at every order, q = prob bin |
     * backoff bin << pbits, the values are the bins' centres (KenLM's
     * SeparatelyQuantize: lm/quantize.cc). */
    bool quant;
    uint32_t pbits, pmask, bmask;
    const float *qprob; /* [pmask + 1] */
    const float *qback; /* [bmask + 1]; NULL for the highest order */
} xl_ngram_level;

/* A quantised slot: the same 12 bytes as xl_ngram_slot_top, q instead of the probability. */
typedef struct xl_ngram_slot_q {
    uint32_t key_lo, key_hi;
    uint32_t q;
} xl_ngram_slot_q;

/* 12-byte slots (highest order or quantised) rather than 16-byte ones. */
static inline bool xl_ngram_level_narrow(const xl_ngram_level *lv)
{
    return lv->top || lv->quant;
}

/* Find `key` (already passed through xl_ngram_key_fix) in level lv; true and
 * *prob / *backoff (0 for the highest order) when present.  The probe stops
 * after `buckets` slots even in a table without an empty slot (a damaged
 * binary file), so it always ends. */
static inline bool xl_ngram_probe(const xl_ngram_level *lv, uint64_t key, float *prob, float *backoff)
{
    const uint32_t lo = (uint32_t)key, hi = (uint32_t)(key >> 32);
    const uint64_t n = lv->buckets;
    uint64_t i = xl_ngram_bucket_of(key, n);
    if (lv->quant) {
        const xl_ngram_slot_q *t = (const xl_ngram_slot_q *)lv->table;
        for (uint64_t step = 0; step < n; step++) {
            const xl_ngram_slot_q *s = &t[i];
            if (s->key_lo == lo && s->key_hi == hi) {
                *prob = lv->qprob[s->q & lv->pmask];
                *backoff = lv->qback != NULL ? lv->qback[(s->q >> lv->pbits) & lv->bmask] : 0.0f;
                return true;
            }
            if ((s->key_lo | s->key_hi) == 0) return false;
            if (++i == n) i = 0;
        }
        return false;
    }
    if (lv->top) {
        const xl_ngram_slot_top *t = (const xl_ngram_slot_top *)lv->table;
        for (uint64_t step = 0; step < n; step++) {
            const xl_ngram_slot_top *s = &t[i];
            if (s->key_lo == lo && s->key_hi == hi) {
                *prob = s->prob;
                *backoff = 0.0f;
                return true;
            }
            if ((s->key_lo | s->key_hi) == 0) return false;
            if (++i == n) i = 0;
        }
        return false;
    }
    const xl_ngram_slot *t = (const xl_ngram_slot *)lv->table;
    for (uint64_t step = 0; step < n; step++) {
        const xl_ngram_slot *s = &t[i];
        if (s->key_lo == lo && s->key_hi == hi) {
            *prob = s->prob;
            *backoff = s->backoff;
            return true;
        }
        if ((s->key_lo | s->key_hi) == 0) return false;
        if (++i == n) i = 0;
    }
    return false;
}

struct xl_ngram_model {
    int order;
    xl_ngram_vocab *vocab;
    uint32_t bos, eos;
    xl_ngram_unigram *uni; /* [vocab size] */
    xl_ngram_level level[XL_NGRAM_MAX_ORDER]; /* level[k-1] holds order k */
    /* A model read from a binary file: uni, the tables and the vocabulary's
     * arrays point into `file` (little-endian hosts) or into `heap` (a
     * byte-swapped copy); nothing of them is freed one by one. */
    bool from_binary;
    xl_mapped_file file;
    void *heap;
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

/* Allocate an empty model of `order` with level tables sized for counts[]
 * (orders >= 2).  The vocabulary is attached by the caller. */
xl_ngram_model *xl_ngram_model_alloc(int order, const uint64_t *counts, xl_error *err);
/* Insert into level k-1 (k >= 2); returns 1 when inserted, 0 when the key was already there. */
int xl_ngram_model_insert(xl_ngram_model *m, int k, uint64_t key, float prob, float backoff);

/* A model read from a pipe or device must show what it is within its first
 * XL_NGRAM_HEAD_MAX bytes: the binary magic, or a \\data\\ line (ARPA);
 * xl_ngram_check_model_head is that check (an xl_head_check). */
#define XL_NGRAM_HEAD_MAX ((size_t)1 << 20)
int xl_ngram_check_model_head(const unsigned char *head, size_t n, const char *path, xl_error *err);

/* ARPA text of a mapped file, optionally without the n-gram lists (a model
 * that is only scored); the file's pages are released as the parse passes them. */
xl_ngram_model *xl_ngram_model_parse_arpa_mapped(const xl_mapped_file *f, const char *name, bool keep_ids,
                                                 xl_error *err);

/* ARPA text in pieces (ngram_arpa.c), for the model writer and for the
 * trainer's writer that needs no model (xl_ngram_trainer_write_arpa): the
 * \\data\\ header, one order's section (ids: n*k in list order; logb
 * ignored without backoffs), the \\end\\ line.  Text goes to `out`, and to
 * f (then `out` is emptied whenever it passes 1 MiB, and by the end) when f
 * is non-NULL. */
int xl_ngram_arpa_header(int order, const uint64_t *counts, xl_buf *out, xl_error *err);
int xl_ngram_arpa_section(const xl_ngram_vocab *v, int k, bool with_backoff, uint64_t n, const uint32_t *ids,
                          const float *logp, const float *logb, xl_buf *out, FILE *f, const char *path, xl_error *err);
int xl_ngram_arpa_end(xl_buf *out, FILE *f, const char *path, xl_error *err);

/* The shortest round-trip decimal found by searching the digit count with
 * snprintf("%.*e") / strtof (strtod when !single), in KenLM's layout: the
 * slow reference the fast float formatter (ngram_float.c) is checked against,
 * and the double formatter (a few calls per run). */
size_t xl_ngram_format_shortest_reference(double v, bool single, char *buf);

#endif /* XL_NGRAM_INTERNAL_H */
