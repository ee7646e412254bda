/* ngram_vocab.c - word <-> id for the n-gram models (see ngram.h).
 * Strings are appended to one arena (an xl_buf, so growth is amortised and
 * nothing is allocated per word); the index is an open-addressing table of
 * ids with linear probing, kept at most half full. */
#include "ngram_internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t xl_ngram_hash_bytes(const char *s, size_t len)
{
    /* 8 bytes at a time, mixed by the splitmix finaliser; the length seeds
     * the state so "a" and "a\0" differ. */
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)len * 0xFF51AFD7ED558CCDULL);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = xl_ngram_mix64(h ^ w) + 0x632BE59BD9B4E019ULL;
    }
    uint64_t tail = 0;
    for (size_t j = 0; i + j < len; j++) tail |= (uint64_t)(unsigned char)s[i + j] << (8 * j);
    return xl_ngram_mix64(h ^ tail);
}

xl_ngram_vocab *xl_ngram_vocab_new_empty(xl_error *err)
{
    xl_ngram_vocab *v = xl_calloc(1, sizeof *v, err);
    if (v == NULL) return NULL;
    xl_buf_init(&v->arena);
    v->cap = 64;
    v->offset = xl_malloc((v->cap + 1) * sizeof *v->offset, err);
    v->mask = 127;
    v->table = xl_calloc(v->mask + 1, sizeof *v->table, err);
    if (v->offset == NULL || v->table == NULL) {
        xl_ngram_vocab_free(v);
        return NULL;
    }
    v->offset[0] = 0;
    return v;
}

xl_ngram_vocab *xl_ngram_vocab_new(xl_error *err)
{
    xl_ngram_vocab *v = xl_ngram_vocab_new_empty(err);
    if (v == NULL) return NULL;
    static const char *const specials[3] = {"<unk>", "<s>", "</s>"};
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t id;
        if (xl_ngram_vocab_intern(v, specials[i], strlen(specials[i]), &id, err) < 0) {
            xl_ngram_vocab_free(v);
            return NULL;
        }
    }
    return v;
}

void xl_ngram_vocab_free(xl_ngram_vocab *v)
{
    if (v == NULL) return;
    if (!v->borrowed) {
        xl_buf_free(&v->arena);
        free(v->offset);
        free(v->table);
    }
    free(v);
}

static inline size_t word_len(const xl_ngram_vocab *v, uint32_t id)
{
    return (size_t)(v->offset[id + 1] - v->offset[id] - 1);
}

static bool same_word(const xl_ngram_vocab *v, uint32_t id, const char *s, size_t len)
{
    return word_len(v, id) == len && memcmp(v->arena.data + v->offset[id], s, len) == 0;
}

uint32_t xl_ngram_vocab_find(const xl_ngram_vocab *v, const char *s, size_t len)
{
    size_t i = (size_t)xl_ngram_hash_bytes(s, len) & v->mask;
    for (;;) {
        uint32_t slot = v->table[i];
        if (slot == 0) return XL_NGRAM_UNK;
        if (same_word(v, slot - 1, s, len)) return slot - 1;
        i = (i + 1) & v->mask;
    }
}

#if defined(__GNUC__) || defined(__clang__)
#define XL_PREFETCH(p) __builtin_prefetch(p)
#else
#define XL_PREFETCH(p) ((void)(p))
#endif

/* The same answers as n calls of xl_ngram_vocab_find, with the memory
 * accesses of the n lookups overlapped: the table slots of all words are
 * requested first, then the word offsets they point to, then the words'
 * bytes, and only then compared.  A lookup costs three dependent cache
 * misses (slot, offset, bytes) in a large vocabulary; done one word after
 * the other the core waits for each in turn. */
void xl_ngram_vocab_find_many(const xl_ngram_vocab *v, const char *const *s, const size_t *len, size_t n,
                              uint32_t *ids)
{
    enum { STEP = 64 };
    size_t home[STEP];
    for (size_t base = 0; base < n; base += STEP) {
        const size_t m = n - base < STEP ? n - base : STEP;
        for (size_t j = 0; j < m; j++) {
            home[j] = (size_t)xl_ngram_hash_bytes(s[base + j], len[base + j]) & v->mask;
            XL_PREFETCH(&v->table[home[j]]);
        }
        for (size_t j = 0; j < m; j++) {
            const uint32_t slot = v->table[home[j]];
            ids[base + j] = slot;
            if (slot != 0) XL_PREFETCH(&v->offset[slot - 1]);
        }
        for (size_t j = 0; j < m; j++)
            if (ids[base + j] != 0) XL_PREFETCH(v->arena.data + v->offset[ids[base + j] - 1]);
        for (size_t j = 0; j < m; j++) {
            const uint32_t slot = ids[base + j];
            if (slot == 0) ids[base + j] = XL_NGRAM_UNK;
            else if (same_word(v, slot - 1, s[base + j], len[base + j])) ids[base + j] = slot - 1;
            else ids[base + j] = xl_ngram_vocab_find(v, s[base + j], len[base + j]); /* probe on */
        }
    }
}

static int grow_table(xl_ngram_vocab *v, xl_error *err)
{
    size_t new_mask = v->mask * 2 + 1;
    uint32_t *t = xl_calloc(new_mask + 1, sizeof *t, err);
    if (t == NULL) return -1;
    for (size_t id = 0; id < v->size; id++) {
        size_t i = (size_t)xl_ngram_hash_bytes(v->arena.data + v->offset[id], word_len(v, (uint32_t)id)) & new_mask;
        while (t[i] != 0) i = (i + 1) & new_mask;
        t[i] = (uint32_t)id + 1;
    }
    free(v->table);
    v->table = t;
    v->mask = new_mask;
    return 0;
}

int xl_ngram_vocab_intern(xl_ngram_vocab *v, const char *s, size_t len, uint32_t *id, xl_error *err)
{
    if (v->borrowed) return xl_fail(err, XL_ERR_USAGE, "the vocabulary of a binary model file is read-only");
    if (len > UINT32_MAX) return xl_fail(err, XL_ERR_LIMIT, "word of %zu bytes is too long", len);
    size_t i = (size_t)xl_ngram_hash_bytes(s, len) & v->mask;
    for (;;) {
        uint32_t slot = v->table[i];
        if (slot == 0) break;
        if (same_word(v, slot - 1, s, len)) {
            *id = slot - 1;
            return 0;
        }
        i = (i + 1) & v->mask;
    }
    if (v->size >= UINT32_MAX - 1) return xl_fail(err, XL_ERR_LIMIT, "vocabulary larger than 2^32-2 words");
    if (len >= UINT32_MAX - v->arena.len)
        return xl_fail(err, XL_ERR_LIMIT, "vocabulary strings above 4 GiB in all");
    if (v->size == v->cap) {
        size_t cap = v->cap * 2;
        uint32_t *o = xl_realloc(v->offset, cap + 1, sizeof *o, err);
        if (o == NULL) return -1;
        v->offset = o;
        v->cap = cap;
    }
    uint32_t new_id = (uint32_t)v->size;
    if (xl_buf_append(&v->arena, s, len, err) < 0 || xl_buf_putc(&v->arena, '\0', err) < 0) return -1;
    v->offset[new_id + 1] = (uint32_t)v->arena.len;
    v->table[i] = new_id + 1;
    v->size++;
    if (v->size * 2 > v->mask + 1 && grow_table(v, err) < 0) return -1;
    *id = new_id;
    return 0;
}

size_t xl_ngram_vocab_size(const xl_ngram_vocab *v)
{
    return v->size;
}

const char *xl_ngram_vocab_word(const xl_ngram_vocab *v, uint32_t id, size_t *len)
{
    if (id >= v->size) return NULL;
    if (len) *len = word_len(v, id);
    return v->arena.data + v->offset[id];
}
