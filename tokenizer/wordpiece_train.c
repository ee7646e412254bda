/* wordpiece_train.c - see wordpiece_train.h and docs/vocabulary.md.
 * HF reference: tokenizers/src/models/bpe/trainer.rs (BpeTrainer::do_train),
 * bpe/word.rs (Word::merge), wordpiece/trainer.rs (WordPieceTrainer = the BPE
 * trainer with continuing_subword_prefix "##", WordPiece::from_bpe keeps the
 * vocabulary). */
#include "wordpiece_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordpiece.h"
#include "xl_alloc.h"
#include "xl_json.h"
#include "xl_io.h"
#include "xl_utf8.h"

static const char *const default_specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

void xl_wordpiece_train_options_default(xl_wordpiece_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->vocab_size = 30000;
    o->min_frequency = 0;
    o->limit_alphabet = WORDPIECE_TRAIN_NO_LIMIT;
    o->special_tokens = default_specials;
    o->n_special_tokens = sizeof default_specials / sizeof default_specials[0];
    o->continuing_subword_prefix = "##";
    o->lowercase = false;
    o->strip_accents = -1;
    o->tokenize_chinese_chars = true;
}

static uint64_t hash_bytes(const void *data, size_t n)
{
    /* FNV-1a over bytes, then a 64-bit finaliser (splitmix) */
    const unsigned char *p = data;
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 31;
    return h;
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/* ------------------------------------------------------------------------ */
/* word counts: open addressing, count 0 = empty slot */

typedef struct word_entry {
    uint64_t hash;
    uint64_t count;
    size_t off; /* into arena */
    size_t len;
} word_entry;

struct xl_wordpiece_counter {
    xl_wordpiece *wp; /* normaliser + pre-tokenizer (vocabulary: just [UNK]) */
    xl_wordpiece_encoding enc;
    xl_buf arena;
    word_entry *slots;
    size_t mask, n;
    uint64_t total;
    xl_error *cb_err; /* for the pre-tokenizer callback */
};

xl_wordpiece_counter *xl_wordpiece_counter_create(const xl_wordpiece_train_options *o, xl_error *err)
{
    xl_wordpiece_counter *c = xl_calloc(1, sizeof *c, err);
    if (!c) return NULL;
    xl_wordpiece_options wo;
    xl_wordpiece_options_default(&wo);
    wo.lowercase = o->lowercase;
    wo.strip_accents = o->strip_accents;
    wo.tokenize_chinese_chars = o->tokenize_chinese_chars;
    wo.clean_text = true;
    const char *unk = "[UNK]";
    c->wp = xl_wordpiece_create(&unk, NULL, 1, &wo, err);
    xl_wordpiece_encoding_init(&c->enc);
    xl_buf_init(&c->arena);
    c->mask = 1023;
    c->slots = xl_calloc(c->mask + 1, sizeof *c->slots, err);
    if (!c->wp || !c->slots) {
        xl_wordpiece_counter_free(c);
        return NULL;
    }
    return c;
}

void xl_wordpiece_counter_free(xl_wordpiece_counter *c)
{
    if (!c) return;
    xl_wordpiece_free(c->wp);
    xl_wordpiece_encoding_free(&c->enc);
    xl_buf_free(&c->arena);
    free(c->slots);
    free(c);
}

size_t xl_wordpiece_counter_distinct(const xl_wordpiece_counter *c) { return c->n; }
uint64_t xl_wordpiece_counter_total(const xl_wordpiece_counter *c) { return c->total; }

static int counter_grow(xl_wordpiece_counter *c, xl_error *err)
{
    size_t cap = (c->mask + 1) * 2;
    word_entry *s = xl_calloc(cap, sizeof *s, err);
    if (!s) return -1;
    for (size_t i = 0; i <= c->mask; i++) {
        if (!c->slots[i].count) continue;
        size_t j = (size_t)c->slots[i].hash & (cap - 1);
        while (s[j].count) j = (j + 1) & (cap - 1);
        s[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = s;
    c->mask = cap - 1;
    return 0;
}

static int counter_add_hashed(xl_wordpiece_counter *c, const char *word, size_t len, uint64_t h, uint64_t count,
                              xl_error *err)
{
    if (count == 0 || len == 0) return 0;
    size_t i = (size_t)h & c->mask;
    for (;;) {
        word_entry *e = &c->slots[i];
        if (!e->count) break;
        if (e->hash == h && e->len == len && !memcmp(c->arena.data + e->off, word, len)) {
            e->count += count;
            c->total += count;
            return 0;
        }
        i = (i + 1) & c->mask;
    }
    size_t off = c->arena.len;
    if (xl_buf_append(&c->arena, word, len, err) < 0) return -1;
    c->slots[i] = (word_entry){h, count, off, len};
    c->n++;
    c->total += count;
    if (c->n * 2 > c->mask + 1 && counter_grow(c, err) < 0) return -1;
    return 0;
}

int xl_wordpiece_counter_add_word(xl_wordpiece_counter *c, const char *word, size_t len, uint64_t count, xl_error *err)
{
    return counter_add_hashed(c, word, len, hash_bytes(word, len), count, err);
}

static int count_word_cb(void *ctx, const char *word, size_t len)
{
    xl_wordpiece_counter *c = ctx;
    return xl_wordpiece_counter_add_word(c, word, len, 1, c->cb_err) < 0 ? -1 : 0;
}

int xl_wordpiece_counter_add_text(xl_wordpiece_counter *c, const char *text, size_t len, xl_error *err)
{
    c->cb_err = err;
    return xl_wordpiece_pre_tokenize(c->wp, text, len, &c->enc, count_word_cb, c, err) < 0 ? -1 : 0;
}

int xl_wordpiece_counter_merge(xl_wordpiece_counter *into, const xl_wordpiece_counter *from, xl_error *err)
{
    for (size_t i = 0; i <= from->mask; i++) {
        const word_entry *e = &from->slots[i];
        if (e->count && counter_add_hashed(into, from->arena.data + e->off, e->len, e->hash, e->count, err) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the vocabulary being built: tokens in id order + a string -> id table */

typedef struct vocab_builder {
    xl_buf arena;
    size_t *off, *len;
    size_t n, cap;
    int64_t *slots; /* -1 empty */
    size_t mask;
} vocab_builder;

static void vb_free(vocab_builder *v)
{
    xl_buf_free(&v->arena);
    free(v->off);
    free(v->len);
    free(v->slots);
}

static int64_t vb_find(const vocab_builder *v, const char *s, size_t len)
{
    size_t i = (size_t)hash_bytes(s, len) & v->mask;
    for (;;) {
        int64_t id = v->slots[i];
        if (id < 0) return -1;
        if (v->len[id] == len && !memcmp(v->arena.data + v->off[id], s, len)) return id;
        i = (i + 1) & v->mask;
    }
}

static int vb_rehash(vocab_builder *v, size_t cap, xl_error *err)
{
    int64_t *s = xl_malloc(cap * sizeof *s, err);
    if (!s) return -1;
    for (size_t i = 0; i < cap; i++) s[i] = -1;
    for (size_t id = 0; id < v->n; id++) {
        size_t i = (size_t)hash_bytes(v->arena.data + v->off[id], v->len[id]) & (cap - 1);
        while (s[i] >= 0) i = (i + 1) & (cap - 1);
        s[i] = (int64_t)id;
    }
    free(v->slots);
    v->slots = s;
    v->mask = cap - 1;
    return 0;
}

/* id of s, added at the end when absent */
static int64_t vb_add(vocab_builder *v, const char *s, size_t len, xl_error *err)
{
    int64_t id = vb_find(v, s, len);
    if (id >= 0) return id;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        size_t *o = xl_realloc(v->off, cap, sizeof *o, err);
        if (!o) return -1;
        v->off = o;
        size_t *l = xl_realloc(v->len, cap, sizeof *l, err);
        if (!l) return -1;
        v->len = l;
        v->cap = cap;
    }
    if (v->n >= (size_t)UINT32_MAX - 1) return xl_fail(err, XL_ERR_NOMEM, "vocab train: too many tokens");
    v->off[v->n] = v->arena.len;
    v->len[v->n] = len;
    if (xl_buf_append(&v->arena, s, len, err) < 0 || xl_buf_putc(&v->arena, '\0', err) < 0) return -1;
    v->n++;
    if (v->n * 2 > v->mask + 1 && vb_rehash(v, (v->mask + 1) * 2, err) < 0) return -1;
    size_t i = (size_t)hash_bytes(s, len) & v->mask;
    while (v->slots[i] >= 0) i = (i + 1) & v->mask;
    v->slots[i] = (int64_t)(v->n - 1);
    return (int64_t)(v->n - 1);
}

/* ------------------------------------------------------------------------ */
/* pair index: pair -> dense slot; used for the pair counts (never cleared)
 * and for the per-merge "where to update" lists (cleared every merge) */

#define NO_PAIR UINT64_MAX

typedef struct pos_list {
    uint32_t *w; /* ascending word indices */
    uint32_t n, cap;
} pos_list;

typedef struct pair_map {
    uint64_t *keys; /* NO_PAIR = empty */
    uint32_t *val;  /* dense index */
    size_t mask;
    size_t n;
    uint64_t *dense_key; /* dense index -> pair, in insertion order */
    size_t *dense_slot;  /* dense index -> slot (to clear quickly) */
    size_t dense_cap;
} pair_map;

static int pm_init(pair_map *m, size_t cap, xl_error *err)
{
    memset(m, 0, sizeof *m);
    size_t c = 64;
    while (c < cap * 2) c *= 2;
    m->keys = xl_malloc(c * sizeof *m->keys, err);
    m->val = xl_malloc(c * sizeof *m->val, err);
    if (!m->keys || !m->val) return -1;
    for (size_t i = 0; i < c; i++) m->keys[i] = NO_PAIR;
    m->mask = c - 1;
    return 0;
}

static void pm_free(pair_map *m)
{
    free(m->keys);
    free(m->val);
    free(m->dense_key);
    free(m->dense_slot);
}

static int pm_rehash(pair_map *m, xl_error *err)
{
    size_t c = (m->mask + 1) * 2;
    uint64_t *k = xl_malloc(c * sizeof *k, err);
    uint32_t *v = xl_malloc(c * sizeof *v, err);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < c; i++) k[i] = NO_PAIR;
    for (size_t d = 0; d < m->n; d++) {
        size_t i = (size_t)hash_u64(m->dense_key[d]) & (c - 1);
        while (k[i] != NO_PAIR) i = (i + 1) & (c - 1);
        k[i] = m->dense_key[d];
        v[i] = (uint32_t)d;
        m->dense_slot[d] = i;
    }
    free(m->keys);
    free(m->val);
    m->keys = k;
    m->val = v;
    m->mask = c - 1;
    return 0;
}

/* dense index of key; *added = true when it was inserted now; -1 on error */
static int64_t pm_get(pair_map *m, uint64_t key, bool *added, xl_error *err)
{
    size_t i = (size_t)hash_u64(key) & m->mask;
    for (;;) {
        uint64_t k = m->keys[i];
        if (k == key) {
            *added = false;
            return m->val[i];
        }
        if (k == NO_PAIR) break;
        i = (i + 1) & m->mask;
    }
    if (m->n >= UINT32_MAX) return xl_fail(err, XL_ERR_NOMEM, "vocab train: too many pairs");
    if (m->n == m->dense_cap) {
        size_t c = m->dense_cap ? m->dense_cap * 2 : 256;
        uint64_t *dk = xl_realloc(m->dense_key, c, sizeof *dk, err);
        if (!dk) return -1;
        m->dense_key = dk;
        size_t *ds = xl_realloc(m->dense_slot, c, sizeof *ds, err);
        if (!ds) return -1;
        m->dense_slot = ds;
        m->dense_cap = c;
    }
    m->keys[i] = key;
    m->val[i] = (uint32_t)m->n;
    m->dense_key[m->n] = key;
    m->dense_slot[m->n] = i;
    *added = true;
    m->n++;
    if (m->n * 2 > m->mask + 1 && pm_rehash(m, err) < 0) return -1;
    return (int64_t)(m->n - 1);
}

static int64_t pm_find(const pair_map *m, uint64_t key)
{
    size_t i = (size_t)hash_u64(key) & m->mask;
    for (;;) {
        uint64_t k = m->keys[i];
        if (k == key) return m->val[i];
        if (k == NO_PAIR) return -1;
        i = (i + 1) & m->mask;
    }
}

/* forget every key (keeps the table size): O(keys) */
static void pm_clear(pair_map *m)
{
    for (size_t d = 0; d < m->n; d++) m->keys[m->dense_slot[d]] = NO_PAIR;
    m->n = 0;
}

static int pos_push(pos_list *p, uint32_t w, xl_error *err)
{
    if (p->n && p->w[p->n - 1] == w) return 0; /* a set: words come in ascending order */
    if (p->n == p->cap) {
        uint32_t c = p->cap ? p->cap * 2 : 4;
        if (c < p->cap) return xl_fail(err, XL_ERR_NOMEM, "vocab train: position list too long");
        uint32_t *q = xl_realloc(p->w, c, sizeof *q, err);
        if (!q) return -1;
        p->w = q;
        p->cap = c;
    }
    p->w[p->n++] = w;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the merge queue: a binary max-heap of (count, pair) as HF's BinaryHeap<Merge>
 * (larger count first; equal counts: smaller pair first), then older first */

typedef struct merge_entry {
    uint64_t count;
    uint64_t pair; /* left id << 32 | right id: compares as HF's (u32, u32) tuple */
    uint64_t seq;
    pos_list pos;
} merge_entry;

typedef struct merge_heap {
    merge_entry *e;
    size_t n, cap;
    uint64_t next_seq;
} merge_heap;

static inline bool before(const merge_entry *x, const merge_entry *y)
{
    if (x->count != y->count) return x->count > y->count;
    if (x->pair != y->pair) return x->pair < y->pair;
    return x->seq < y->seq;
}

static int heap_push(merge_heap *h, merge_entry m, xl_error *err)
{
    merge_entry *q = xl_array_reserve(h->e, &h->cap, h->n + 1, 1024, err);
    if (!q) return -1;
    h->e = q;
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&m, &h->e[parent])) break;
        h->e[i] = h->e[parent];
        i = parent;
    }
    h->e[i] = m;
    return 0;
}

static merge_entry heap_pop(merge_heap *h)
{
    merge_entry top = h->e[0];
    merge_entry last = h->e[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && before(&h->e[c + 1], &h->e[c])) c++;
        if (!before(&h->e[c], &last)) break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (n) h->e[i] = last;
    return top;
}

/* ------------------------------------------------------------------------ */
/* training */

typedef struct cp_count {
    uint32_t cp;
    uint64_t count;
} cp_count;

static int cmp_drop_first(const void *a, const void *b)
{
    /* ascending count; equal counts: higher code point first (dropped first) */
    const cp_count *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? -1 : 1;
    return x->cp > y->cp ? -1 : x->cp < y->cp;
}

static int cmp_cp(const void *a, const void *b)
{
    const cp_count *x = a, *y = b;
    return x->cp < y->cp ? -1 : x->cp > y->cp;
}

typedef struct word_ref {
    const char *s;
    size_t len;
    uint64_t count;
} word_ref;

static int cmp_word(const void *a, const void *b)
{
    const word_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* code point -> index in a sorted cp_count array, or -1 */
static int64_t find_cp(const cp_count *a, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].cp < cp) lo = mid + 1;
        else hi = mid;
    }
    return (lo < n && a[lo].cp == cp) ? (int64_t)lo : -1;
}

static size_t next_cp(const char *s, size_t len, size_t i, uint32_t *cp)
{
    int r = xl_utf8_decode((const unsigned char *)s + i, len - i, cp, NULL);
    if (r <= 0) {
        *cp = 0xFFFD;
        return i + (size_t)(r < 0 ? -r : 1);
    }
    return i + (size_t)r;
}

typedef struct trainer {
    const xl_wordpiece_train_options *o;
    vocab_builder vb;
    size_t n_words;
    word_ref *words;
    uint32_t *sym;   /* symbols of all words, word w at sym[start[w] .. + wlen[w]] */
    size_t *start;
    uint32_t *wlen;
    pair_map counts_map; /* pair -> dense index into pair_count */
    int64_t *pair_count;
    size_t pair_count_cap;
    pair_map where;      /* per merge: pair -> dense index into where_pos */
    pos_list *where_pos;
    size_t where_cap;
    merge_heap heap;
    cp_count *alpha; /* the whole alphabet with counts, sorted by code point */
    size_t n_alpha;
    int64_t *cont_id; /* alpha index -> id of "##c", -1 */
    int64_t *char_id; /* alpha index -> id of "c" when kept, -1 */
} trainer;

static int64_t *pair_count_slot(trainer *t, uint64_t pair, xl_error *err)
{
    bool added;
    int64_t d = pm_get(&t->counts_map, pair, &added, err);
    if (d < 0) return NULL;
    if ((size_t)d >= t->pair_count_cap) {
        size_t c = t->pair_count_cap ? t->pair_count_cap * 2 : 4096;
        while (c <= (size_t)d) c *= 2;
        int64_t *q = xl_realloc(t->pair_count, c, sizeof *q, err);
        if (!q) return NULL;
        t->pair_count = q;
        t->pair_count_cap = c;
    }
    if (added) t->pair_count[d] = 0;
    return &t->pair_count[d];
}

static int where_add(trainer *t, uint64_t pair, uint32_t w, xl_error *err)
{
    bool added;
    int64_t d = pm_get(&t->where, pair, &added, err);
    if (d < 0) return -1;
    if ((size_t)d >= t->where_cap) {
        size_t c = t->where_cap ? t->where_cap * 2 : 1024;
        while (c <= (size_t)d) c *= 2;
        pos_list *q = xl_realloc(t->where_pos, c, sizeof *q, err);
        if (!q) return -1;
        memset(q + t->where_cap, 0, (c - t->where_cap) * sizeof *q);
        t->where_pos = q;
        t->where_cap = c;
    }
    if (added) t->where_pos[d] = (pos_list){0};
    return pos_push(&t->where_pos[d], w, err);
}

static inline uint64_t mkpair(uint32_t a, uint32_t b) { return (uint64_t)a << 32 | b; }

static int change(trainer *t, uint64_t pair, int delta, uint32_t w, xl_error *err)
{
    int64_t *c = pair_count_slot(t, pair, err);
    if (!c) return -1;
    *c += (int64_t)delta * (int64_t)t->words[w].count;
    if (delta > 0) return where_add(t, pair, w, err);
    return 0;
}

/* HF Word::merge: leftmost non-overlapping occurrences of (a, b) -> r */
static int merge_word(trainer *t, uint32_t w, uint32_t a, uint32_t b, uint32_t r, xl_error *err)
{
    /* one pass, written in place (out <= in): HF removes and inserts in a
     * Vec, quadratic on a long word; the changes are the same - the symbol
     * before is the last one written (maybe merged in this pass), the one
     * after is the next unread one */
    uint32_t *s = t->sym + t->start[w];
    size_t n = t->wlen[w], out = 0, in = 0;
    while (in < n) {
        if (s[in] != a || in + 1 >= n || s[in + 1] != b) {
            s[out++] = s[in++];
            continue;
        }
        if (out > 0) {
            if (change(t, mkpair(s[out - 1], a), -1, w, err) < 0) return -1;
            if (change(t, mkpair(s[out - 1], r), 1, w, err) < 0) return -1;
        }
        if (in + 2 < n) {
            if (change(t, mkpair(b, s[in + 2]), -1, w, err) < 0) return -1;
            if (change(t, mkpair(r, s[in + 2]), 1, w, err) < 0) return -1;
        }
        s[out++] = r;
        in += 2;
    }
    t->wlen[w] = (uint32_t)out;
    return 0;
}

static void trainer_free(trainer *t)
{
    vb_free(&t->vb);
    free(t->words);
    free(t->sym);
    free(t->start);
    free(t->wlen);
    pm_free(&t->counts_map);
    free(t->pair_count);
    for (size_t d = 0; d < t->where.n; d++) free(t->where_pos[d].w);
    pm_free(&t->where);
    free(t->where_pos);
    for (size_t i = 0; i < t->heap.n; i++) free(t->heap.e[i].pos.w);
    free(t->heap.e);
    free(t->alpha);
    free(t->cont_id);
    free(t->char_id);
}

/* (*a)[0..*n), sorted by code point, capacity *cap: cp (absent from it) inserted in order with
 * count, the array doubled when full (distinct characters are few: thousands).  0 or -1 (err; *a
 * is then still the caller's to free). */
static int insert_cp(cp_count **a, size_t *n, size_t *cap, uint32_t cp, uint64_t count, xl_error *err)
{
    cp_count *q = xl_array_reserve(*a, cap, *n + 1, 256, err);
    if (!q) return -1;
    *a = q;
    size_t pos = *n;
    while (pos > 0 && (*a)[pos - 1].cp > cp) pos--;
    memmove(*a + pos + 1, *a + pos, (*n - pos) * sizeof **a);
    (*a)[pos] = (cp_count){cp, count};
    (*n)++;
    return 0;
}

/* steps 2-3: alphabet, "##c" tokens, words as symbol ids */
static int build_symbols(trainer *t, xl_error *err)
{
    const xl_wordpiece_train_options *o = t->o;
    /* alphabet with counts: collect (cp, count) per character occurrence, then
     * sort and sum (memory: one entry per distinct character after the sum) */
    size_t cap = 256, n = 0;
    cp_count *a = xl_malloc(cap * sizeof *a, err);
    if (!a) return -1;
    size_t total_chars = 0;
    for (size_t w = 0; w < t->n_words; w++) {
        const word_ref *wr = &t->words[w];
        for (size_t i = 0; i < wr->len;) {
            uint32_t cp;
            i = next_cp(wr->s, wr->len, i, &cp);
            total_chars++;
            int64_t k = find_cp(a, n, cp);
            if (k >= 0) {
                a[k].count += wr->count;
                continue;
            }
            if (insert_cp(&a, &n, &cap, cp, wr->count, err) < 0) {
                free(a);
                return -1;
            }
        }
    }
    for (size_t k = 0; k < o->n_initial_alphabet; k++) {
        uint32_t cp = o->initial_alphabet[k];
        int64_t f = find_cp(a, n, cp);
        if (f >= 0) {
            a[f].count = UINT64_MAX;
            continue;
        }
        if (insert_cp(&a, &n, &cap, cp, UINT64_MAX, err) < 0) {
            free(a);
            return -1;
        }
    }
    t->alpha = a;
    t->n_alpha = n;
    t->char_id = xl_malloc((n ? n : 1) * sizeof *t->char_id, err);
    t->cont_id = xl_malloc((n ? n : 1) * sizeof *t->cont_id, err);
    if (!t->char_id || !t->cont_id) return -1;
    /* the limit: drop the least frequent */
    cp_count *kept = xl_malloc((n ? n : 1) * sizeof *kept, err);
    if (!kept) return -1;
    memcpy(kept, a, n * sizeof *a);
    size_t n_kept = n;
    if (o->limit_alphabet != WORDPIECE_TRAIN_NO_LIMIT && n > o->limit_alphabet) {
        qsort(kept, n, sizeof *kept, cmp_drop_first);
        size_t drop = n - o->limit_alphabet;
        memmove(kept, kept + drop, (n - drop) * sizeof *kept);
        n_kept = n - drop;
        qsort(kept, n_kept, sizeof *kept, cmp_cp);
    }
    for (size_t k = 0; k < n; k++) t->char_id[k] = t->cont_id[k] = -1;
    for (size_t k = 0; k < n_kept; k++) {
        unsigned char u[4];
        size_t m = xl_utf8_encode(kept[k].cp, u);
        if (vb_add(&t->vb, (const char *)u, m, err) < 0) {
            free(kept);
            return -1;
        }
    }
    free(kept);
    /* HF: a character is usable when its one-character string is in the
     * vocabulary (the alphabet, or a special token) */
    for (size_t k = 0; k < n; k++) {
        unsigned char u[4];
        size_t m = xl_utf8_encode(a[k].cp, u);
        t->char_id[k] = vb_find(&t->vb, (const char *)u, m);
    }
    /* which characters occur after the first position (need "##c") */
    uint8_t *need = xl_calloc(n ? n : 1, 1, err);
    if (!need) return -1;
    for (size_t w = 0; w < t->n_words; w++) {
        const word_ref *wr = &t->words[w];
        size_t i = 0;
        uint32_t cp;
        i = next_cp(wr->s, wr->len, i, &cp);
        while (i < wr->len) {
            i = next_cp(wr->s, wr->len, i, &cp);
            int64_t k = find_cp(a, n, cp);
            if (t->char_id[k] >= 0) need[k] = 1;
        }
    }
    const char *prefix = o->continuing_subword_prefix;
    size_t plen = strlen(prefix);
    char buf[64];
    if (plen > sizeof buf - 5) {
        free(need);
        return xl_fail(err, XL_ERR_USAGE, "vocab train: continuing subword prefix too long");
    }
    memcpy(buf, prefix, plen);
    /* replayed order first, then code point order */
    for (size_t r = 0; r <= o->n_continuation_order + n; r++) {
        int64_t k;
        if (r < o->n_continuation_order) k = find_cp(a, n, o->continuation_order[r]);
        else if (r > o->n_continuation_order) k = (int64_t)(r - o->n_continuation_order - 1);
        else continue;
        if (k < 0 || !need[k] || t->cont_id[k] >= 0) continue;
        size_t m = xl_utf8_encode(a[k].cp, (unsigned char *)buf + plen);
        t->cont_id[k] = vb_add(&t->vb, buf, plen + m, err);
        if (t->cont_id[k] < 0) {
            free(need);
            return -1;
        }
    }
    free(need);
    /* words as symbols */
    t->sym = xl_malloc((total_chars ? total_chars : 1) * sizeof *t->sym, err);
    t->start = xl_malloc((t->n_words ? t->n_words : 1) * sizeof *t->start, err);
    t->wlen = xl_malloc((t->n_words ? t->n_words : 1) * sizeof *t->wlen, err);
    if (!t->sym || !t->start || !t->wlen) return -1;
    size_t at = 0;
    for (size_t w = 0; w < t->n_words; w++) {
        const word_ref *wr = &t->words[w];
        t->start[w] = at;
        size_t i = 0, count = 0;
        while (i < wr->len) {
            bool first = i == 0;
            uint32_t cp;
            i = next_cp(wr->s, wr->len, i, &cp);
            int64_t k = find_cp(a, n, cp);
            if (t->char_id[k] < 0) continue; /* outside the alphabet: skipped, as HF */
            t->sym[at++] = (uint32_t)(first ? t->char_id[k] : t->cont_id[k]);
            count++;
        }
        t->wlen[w] = (uint32_t)count;
    }
    return 0;
}

/* step 4: initial pair counts and queue */
static int count_pairs(trainer *t, xl_error *err)
{
    if (pm_init(&t->counts_map, 1024, err) < 0 || pm_init(&t->where, 1024, err) < 0) return -1;
    for (size_t w = 0; w < t->n_words; w++) {
        const uint32_t *s = t->sym + t->start[w];
        for (size_t i = 0; i + 1 < t->wlen[w]; i++)
            if (change(t, mkpair(s[i], s[i + 1]), 1, (uint32_t)w, err) < 0) return -1;
    }
    return 0;
}

/* push every pair of the "where" lists with a positive count; clear them */
static int drain_where(trainer *t, xl_error *err)
{
    int rc = 0;
    for (size_t d = 0; d < t->where.n; d++) {
        pos_list p = t->where_pos[d];
        t->where_pos[d] = (pos_list){0};
        uint64_t pair = t->where.dense_key[d];
        int64_t cd = pm_find(&t->counts_map, pair);
        int64_t c = cd >= 0 ? t->pair_count[cd] : 0;
        if (rc == 0 && c > 0) {
            merge_entry m = {(uint64_t)c, pair, t->heap.next_seq++, p};
            if (heap_push(&t->heap, m, err) < 0) {
                free(p.w);
                rc = -1;
            }
        } else {
            free(p.w);
        }
    }
    pm_clear(&t->where);
    return rc;
}

static int run_merges(trainer *t, xl_wordpiece_vocab *out, xl_error *err)
{
    const xl_wordpiece_train_options *o = t->o;
    const char *prefix = o->continuing_subword_prefix;
    size_t plen = strlen(prefix);
    xl_buf tok;
    xl_buf_init(&tok);
    int rc = 0;
    while (t->vb.n < o->vocab_size && t->heap.n) {
        merge_entry top = heap_pop(&t->heap);
        int64_t cd = pm_find(&t->counts_map, top.pair);
        uint64_t cur = (uint64_t)(cd >= 0 ? t->pair_count[cd] : 0);
        if (top.count != cur) {
            top.count = cur;
            if (heap_push(&t->heap, top, err) < 0) {
                free(top.pos.w);
                rc = -1;
                break;
            }
            continue;
        }
        if (top.count < 1 || o->min_frequency > top.count) {
            free(top.pos.w);
            break;
        }
        uint32_t a = (uint32_t)(top.pair >> 32), b = (uint32_t)top.pair;
        const char *sa = t->vb.arena.data + t->vb.off[a];
        size_t la = t->vb.len[a];
        const char *sb = t->vb.arena.data + t->vb.off[b];
        size_t lb = t->vb.len[b];
        if (plen && lb >= plen && !memcmp(sb, prefix, plen)) sb += plen, lb -= plen;
        xl_buf_clear(&tok);
        if (xl_buf_append(&tok, sa, la, err) < 0 || xl_buf_append(&tok, sb, lb, err) < 0) {
            free(top.pos.w);
            rc = -1;
            break;
        }
        int64_t r = vb_add(&t->vb, tok.data, tok.len, err);
        if (r < 0) {
            free(top.pos.w);
            rc = -1;
            break;
        }
        out->n_merges++;
        out->last_merge_count = top.count;
        for (uint32_t k = 0; k < top.pos.n && rc == 0; k++)
            rc = merge_word(t, top.pos.w[k], a, b, (uint32_t)r, err);
        free(top.pos.w);
        if (rc == 0) rc = drain_where(t, err);
        if (rc < 0) break;
    }
    xl_buf_free(&tok);
    return rc;
}

int xl_wordpiece_train(const xl_wordpiece_counter *c, const xl_wordpiece_train_options *o, xl_wordpiece_vocab *out,
                    xl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!o->continuing_subword_prefix) return xl_fail(err, XL_ERR_USAGE, "vocab train: no continuing subword prefix");
    if (c->n == 0) return xl_fail(err, XL_ERR_FORMAT, "vocab train: the input has no words (empty input?)");
    if (c->n > UINT32_MAX - 1) return xl_fail(err, XL_ERR_NOMEM, "vocab train: more than 2^32 distinct words");
    trainer t;
    memset(&t, 0, sizeof t);
    t.o = o;
    int rc = -1;
    if (vb_rehash(&t.vb, 1024, err) < 0) goto done;
    /* 1. special tokens */
    for (size_t k = 0; k < o->n_special_tokens; k++) {
        const char *s = o->special_tokens[k];
        if (!s || !*s) {
            xl_fail(err, XL_ERR_USAGE, "vocab train: empty special token");
            goto done;
        }
        if (vb_add(&t.vb, s, strlen(s), err) < 0) goto done;
    }
    out->n_special = t.vb.n;
    /* words in byte order: the result does not depend on hash or thread order */
    t.n_words = c->n;
    t.words = xl_malloc(c->n * sizeof *t.words, err);
    if (!t.words) goto done;
    size_t k = 0;
    for (size_t i = 0; i <= c->mask; i++)
        if (c->slots[i].count)
            t.words[k++] = (word_ref){c->arena.data + c->slots[i].off, c->slots[i].len, c->slots[i].count};
    qsort(t.words, t.n_words, sizeof *t.words, cmp_word);
    /* 2-3. alphabet, continuation characters, symbols */
    size_t before_alpha = t.vb.n;
    if (build_symbols(&t, err) < 0) goto done;
    size_t n_cont = 0;
    for (size_t i = 0; i < t.n_alpha; i++) n_cont += t.cont_id[i] >= 0 && (size_t)t.cont_id[i] >= before_alpha;
    out->n_continuation = n_cont;
    out->n_alphabet = t.vb.n - before_alpha - n_cont;
    /* 4. pairs, queue */
    if (count_pairs(&t, err) < 0 || drain_where(&t, err) < 0) goto done;
    /* 5. merges */
    if (run_merges(&t, out, err) < 0) goto done;
    /* the result */
    out->n = t.vb.n;
    out->arena = t.vb.arena.data;
    out->off = t.vb.off;
    out->len = t.vb.len;
    t.vb.arena.data = NULL;
    t.vb.off = t.vb.len = NULL;
    if (!out->arena) {
        xl_fail(err, XL_ERR_FORMAT, "vocab train: empty vocabulary");
        goto done;
    }
    rc = 0;
done:
    trainer_free(&t);
    if (rc < 0) xl_wordpiece_vocab_free(out);
    return rc;
}

void xl_wordpiece_vocab_free(xl_wordpiece_vocab *v)
{
    if (!v) return;
    free(v->arena);
    free(v->off);
    free(v->len);
    memset(v, 0, sizeof *v);
}

/* ------------------------------------------------------------------------ */
/* output */

int xl_wordpiece_vocab_write_txt(const xl_wordpiece_vocab *v, const char *path, xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    int rc = 0;
    for (size_t i = 0; i < v->n && rc == 0; i++) {
        rc = xl_buf_append(&b, v->arena + v->off[i], v->len[i], err);
        if (rc == 0) rc = xl_buf_putc(&b, '\n', err);
    }
    if (rc == 0) rc = xl_write_file(path, b.data ? b.data : "", b.len, err);
    xl_buf_free(&b);
    return rc;
}

static int64_t vocab_id(const xl_wordpiece_vocab *v, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < v->n; i++)
        if (v->len[i] == n && !memcmp(v->arena + v->off[i], s, n)) return (int64_t)i;
    return -1;
}

static const char *strip_json(const xl_wordpiece_train_options *o)
{
    return o->strip_accents < 0 ? "null" : o->strip_accents ? "true" : "false";
}

static const char *vocab_token(void *ctx, size_t i, size_t *len)
{
    const xl_wordpiece_vocab *v = ctx;
    *len = v->len[i];
    return v->arena + v->off[i];
}

int xl_wordpiece_vocab_write_json(const xl_wordpiece_vocab *v, const xl_wordpiece_train_options *o, const char *path,
                               xl_error *err)
{
    if (vocab_id(v, "[UNK]") < 0)
        return xl_fail(err, XL_ERR_USAGE, "%s: the vocabulary has no [UNK] (give it in --special-tokens)", path);
    /* the special tokens are the first ids, in order */
    const char **added = xl_calloc(v->n_special + 1, sizeof *added, err);
    int64_t *added_ids = xl_calloc(v->n_special + 1, sizeof *added_ids, err);
    int rc = added && added_ids ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < v->n_special; i++) {
        added[i] = v->arena + v->off[i];
        added_ids[i] = (int64_t)i;
    }
    xl_wordpiece_json_spec s = {added, added_ids, v->n_special, true, o->tokenize_chinese_chars, o->lowercase,
                                strip_json(o), "[CLS]", "[SEP]", vocab_id(v, "[CLS]"), vocab_id(v, "[SEP]"), "[UNK]",
                                o->continuing_subword_prefix, 100, v->n, vocab_token, (void *)v, false};
    xl_buf b;
    xl_buf_init(&b);
    if (rc == 0) rc = xl_wordpiece_json_write(&b, &s, err);
    if (rc == 0) rc = xl_write_file(path, b.data, b.len, err);
    xl_buf_free(&b);
    free(added);
    free(added_ids);
    return rc;
}

int xl_wordpiece_vocab_write_config(const xl_wordpiece_train_options *o, const char *path, xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    int rc = xl_buf_printf(&b, err,
                           "{\n  \"tokenizer_class\": \"BertTokenizer\",\n  \"do_lower_case\": %s,\n"
                           "  \"strip_accents\": %s,\n  \"tokenize_chinese_chars\": %s,\n"
                           "  \"model_max_length\": 512,\n  \"unk_token\": \"[UNK]\",\n  \"sep_token\": \"[SEP]\",\n"
                           "  \"pad_token\": \"[PAD]\",\n  \"cls_token\": \"[CLS]\",\n  \"mask_token\": \"[MASK]\",\n"
                           "  \"clean_up_tokenization_spaces\": true\n}\n",
                           o->lowercase ? "true" : "false", strip_json(o),
                           o->tokenize_chinese_chars ? "true" : "false");
    if (rc == 0) rc = xl_write_file(path, b.data, b.len, err);
    xl_buf_free(&b);
    return rc;
}
