/* ngram_train.c - counting and estimation of n-gram models (see ngram.h).
 *
 * Pipeline (the same stages as KenLM's lmplz, Heafield et al. 2013, "Scalable
 * Modified Kneser-Ney Language Model Estimation"):
 *   1. count: every sentence is padded with order-1 <s> on the left and </s>
 *      on the right; each position gives one record of `order` ids plus a
 *      64-bit count.  Records go into one flat array that is radix-sorted and
 *      de-duplicated whenever it fills up (memory ~ distinct n-grams).
 *   2. adjust (adjust_counts): one pass over the full-order records in suffix
 *      order produces every lower order in suffix order with its adjusted
 *      (continuation) count, and the counts-of-counts n1..n4 per order.
 *   3. discounts (compute_discounts): Chen & Goodman (1998) eq. 26.
 *   4. estimate_kn / estimate_simple: probabilities and backoffs.
 *   5. the probing tables of the model (ngram_model.c).
 * KN arithmetic is float32 in the same order of operations as lmplz, so the
 * ARPA values match KenLM's to the last printed digit in most entries.
 */
#include "ngram_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_io.h"
#include "xl_utf8.h"

struct xl_ngram_trainer {
    int order;
    xl_ngram_train_opts opts;
    xl_ngram_vocab *vocab;
    uint32_t *rec;  /* [cap * stride]: order ids, then the count (stride = order + 1) */
    size_t n, cap, stride;
    uint64_t tokens, sentences;
    uint32_t *line_ids;
    size_t line_cap;
    bool spent;
};

void xl_ngram_train_opts_default(xl_ngram_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->smoothing = XL_NGRAM_KN;
    o->add_k = 1.0;
    o->discount_fallback = false;
    o->fallback[0] = 0.5f;
    o->fallback[1] = 1.0f;
    o->fallback[2] = 1.5f;
    o->skip_symbols = false;
}

xl_ngram_trainer *xl_ngram_trainer_new(int order, const xl_ngram_train_opts *opts, xl_error *err)
{
    if (order < 1 || order > XL_NGRAM_MAX_ORDER) {
        xl_fail(err, XL_ERR_USAGE, "n-gram order %d outside 1..%d", order, XL_NGRAM_MAX_ORDER);
        return NULL;
    }
    xl_ngram_train_opts def;
    if (opts == NULL) {
        xl_ngram_train_opts_default(&def);
        opts = &def;
    }
    if (opts->smoothing == XL_NGRAM_ADDK && !(opts->add_k > 0 && isfinite(opts->add_k))) {
        xl_fail(err, XL_ERR_USAGE, "add-k smoothing needs k > 0 (got %g)", opts->add_k);
        return NULL;
    }
    if (opts->smoothing != XL_NGRAM_KN && opts->smoothing != XL_NGRAM_MLE && opts->smoothing != XL_NGRAM_ADDK) {
        xl_fail(err, XL_ERR_USAGE, "unknown smoothing %d", (int)opts->smoothing);
        return NULL;
    }
    xl_ngram_trainer *t = xl_calloc(1, sizeof *t, err);
    if (t == NULL) return NULL;
    t->order = order;
    t->opts = *opts;
    t->stride = (size_t)order + 1;
    t->cap = 1u << 16;
    t->vocab = xl_ngram_vocab_new(err);
    t->rec = xl_malloc(t->cap * t->stride * sizeof(uint32_t), err);
    if (t->vocab == NULL || t->rec == NULL) {
        xl_ngram_trainer_free(t);
        return NULL;
    }
    return t;
}

void xl_ngram_trainer_free(xl_ngram_trainer *t)
{
    if (t == NULL) return;
    xl_ngram_vocab_free(t->vocab);
    free(t->rec);
    free(t->line_ids);
    free(t);
}

xl_ngram_vocab *xl_ngram_trainer_vocab(xl_ngram_trainer *t)
{
    return t->vocab;
}

/* Counts are 32-bit (records of order 4: 20 bytes, not 24; the estimation
 * arrays likewise): an n-gram seen more than 2^32-1 times is an error, not
 * a wrap-around (a corpus of over 4 billion tokens; lmplz counts in 64 bits). */
static inline uint64_t rec_count(const uint32_t *r, int order)
{
    return r[order];
}
static inline void rec_set_count(uint32_t *r, int order, uint64_t c)
{
    r[order] = (uint32_t)c;
}
static int count_overflow(int k, xl_error *err)
{
    return xl_fail(err, XL_ERR_LIMIT, "a %d-gram count above 2^32-1 (4,294,967,295): the corpus is too large for "
                   "xlrec's 32-bit counts", k);
}

/* a[0..k) == b[0..k) (k <= 8: a loop beats a call to memcmp) */
static inline bool same_ids(const uint32_t *a, const uint32_t *b, int k)
{
    for (int j = 0; j < k; j++)
        if (a[j] != b[j]) return false;
    return true;
}

/* LSD radix sort of fixed-width records into suffix order: the last id is
 * the most significant key, the first id the least (KenLM's SuffixOrder).
 * Digits of up to 16 bits; passes whose digit is constant are skipped. */
static int sort_suffix_order(uint32_t *rec, size_t n, size_t stride, int order, uint32_t max_id, xl_error *err)
{
    if (n < 2) return 0;
    int bits = 1;
    while (bits < 32 && ((uint64_t)1 << bits) <= max_id) bits++;
    int passes = bits <= 16 ? 1 : 2;
    int digit_bits = (bits + passes - 1) / passes;
    size_t buckets = (size_t)1 << digit_bits;
    size_t bytes;
    if (!xl_mul_size(n, stride * sizeof(uint32_t), &bytes))
        return xl_fail(err, XL_ERR_NOMEM, "n-gram sort: size overflow (%zu records)", n);
    uint32_t *tmp = xl_malloc(bytes, err);
    size_t *hist = xl_malloc(buckets * sizeof *hist, err);
    if (tmp == NULL || hist == NULL) {
        free(tmp);
        free(hist);
        return -1;
    }
    uint32_t *src = rec, *dst = tmp;
    const size_t rec_bytes = stride * sizeof(uint32_t);
    for (int w = 0; w < order; w++) {
        for (int p = 0; p < passes; p++) {
            int shift = p * digit_bits;
            uint32_t dmask = (uint32_t)(buckets - 1);
            memset(hist, 0, buckets * sizeof *hist);
            for (size_t i = 0; i < n; i++) hist[(src[i * stride + w] >> shift) & dmask]++;
            if (hist[(src[w] >> shift) & dmask] == n) continue; /* one digit value: nothing moves */
            size_t sum = 0;
            for (size_t b = 0; b < buckets; b++) {
                size_t c = hist[b];
                hist[b] = sum;
                sum += c;
            }
            for (size_t i = 0; i < n; i++) {
                const uint32_t *r = src + i * stride;
                memcpy(dst + hist[(r[w] >> shift) & dmask]++ * stride, r, rec_bytes);
            }
            uint32_t *sw = src;
            src = dst;
            dst = sw;
        }
    }
    if (src != rec) memcpy(rec, src, bytes);
    free(tmp);
    free(hist);
    return 0;
}

/* Sort the records and merge equal n-grams, summing their counts. */
static int compact(xl_ngram_trainer *t, xl_error *err)
{
    uint32_t max_id = (uint32_t)(xl_ngram_vocab_size(t->vocab) - 1);
    if (sort_suffix_order(t->rec, t->n, t->stride, t->order, max_id, err) < 0) return -1;
    size_t out = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t *r = t->rec + i * t->stride;
        if (out > 0) {
            uint32_t *prev = t->rec + (out - 1) * t->stride;
            if (same_ids(prev, r, t->order)) {
                const uint64_t c = rec_count(prev, t->order) + rec_count(r, t->order);
                if (c > UINT32_MAX) return count_overflow(t->order, err);
                rec_set_count(prev, t->order, c);
                continue;
            }
        }
        if (out != i) memcpy(t->rec + out * t->stride, r, t->stride * sizeof(uint32_t));
        out++;
    }
    t->n = out;
    return 0;
}

static int append_record(xl_ngram_trainer *t, const uint32_t *ctx, uint32_t w, xl_error *err)
{
    if (t->n == t->cap) {
        if (compact(t, err) < 0) return -1;
        if (t->n > t->cap / 2) {
            size_t cap;
            if (!xl_mul_size(t->cap, 2, &cap)) return xl_fail(err, XL_ERR_NOMEM, "n-gram counts: too many records");
            uint32_t *r = xl_realloc(t->rec, cap, t->stride * sizeof(uint32_t), err);
            if (r == NULL) return -1;
            t->rec = r;
            t->cap = cap;
        }
    }
    uint32_t *r = t->rec + t->n * t->stride;
    if (t->order > 1) memcpy(r, ctx, (size_t)(t->order - 1) * sizeof(uint32_t));
    r[t->order - 1] = w;
    rec_set_count(r, t->order, 1);
    t->n++;
    return 0;
}

int xl_ngram_trainer_add_ids(xl_ngram_trainer *t, const uint32_t *ids, size_t n, xl_error *err)
{
    if (t->spent) return xl_fail(err, XL_ERR_USAGE, "n-gram trainer: already estimated");
    size_t vsize = xl_ngram_vocab_size(t->vocab);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] <= XL_NGRAM_EOS)
            return xl_fail(err, XL_ERR_USAGE, "token %zu: id %u is reserved for <unk>, <s> or </s>", i + 1, ids[i]);
        if (ids[i] >= vsize)
            return xl_fail(err, XL_ERR_USAGE, "token %zu: id %u is not in the vocabulary (%zu words)", i + 1, ids[i],
                           vsize);
    }
    /* ctx holds the order-1 previous ids, oldest first: <s> padding at the start (lmplz's StartSentence). */
    uint32_t ctx[XL_NGRAM_MAX_ORDER];
    const int nctx = t->order - 1;
    for (int j = 0; j < nctx; j++) ctx[j] = XL_NGRAM_BOS;
    for (size_t i = 0; i <= n; i++) {
        uint32_t w = i < n ? ids[i] : XL_NGRAM_EOS;
        if (append_record(t, ctx, w, err) < 0) return -1;
        if (nctx > 0) {
            memmove(ctx, ctx + 1, (size_t)(nctx - 1) * sizeof(uint32_t));
            ctx[nctx - 1] = w;
        }
    }
    t->tokens += n;
    t->sentences++;
    return 0;
}

/* lmplz splits its input on "\0\t\n\r " (lm/builder/corpus_count.cc). */
static bool is_train_delim(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

int xl_ngram_trainer_add_line(xl_ngram_trainer *t, const char *line, size_t len, xl_error *err)
{
    size_t bad;
    xl_utf8_status why;
    if (!xl_utf8_validate(line, len, &bad, &why))
        return xl_fail(err, XL_ERR_FORMAT, "invalid UTF-8 at byte %zu (%s)", bad + 1, xl_utf8_status_name(why));
    size_t nw = 0, i = 0;
    while (i < len) {
        while (i < len && is_train_delim((unsigned char)line[i])) i++;
        if (i >= len) break;
        size_t start = i;
        while (i < len && !is_train_delim((unsigned char)line[i])) i++;
        uint32_t id;
        if (xl_ngram_vocab_intern(t->vocab, line + start, i - start, &id, err) < 0) return -1;
        if (id <= XL_NGRAM_EOS) {
            if (t->opts.skip_symbols) continue;
            return xl_fail(err, XL_ERR_FORMAT,
                           "special token '%s' in the training text (it is added by the model; "
                           "skip_symbols / --skip-symbols treats it as whitespace)",
                           xl_ngram_vocab_word(t->vocab, id, NULL));
        }
        uint32_t *p = xl_array_reserve(t->line_ids, &t->line_cap, nw + 1, 256, err);
        if (p == NULL) return -1;
        t->line_ids = p;
        t->line_ids[nw++] = id;
    }
    return xl_ngram_trainer_add_ids(t, t->line_ids, nw, err);
}

/* ------------------------------------------------------------------ adjust */

/* One order's n-grams in suffix order: ids[n*k] and one count each (the
 * adjusted count for KN, the raw count for MLE/add-k).  In the sizing pass
 * of adjust_counts (`sizing`) a level only counts its n-grams and keeps the
 * last one, at index 0, so that the real pass allocates every level at its
 * exact size (no doubling slack at the peak of training). */
typedef struct {
    int k;
    uint32_t *ids;
    uint32_t *cnt;
    size_t n, cap;
    bool sizing;
} level_t;

static inline const uint32_t *level_last_ids(const level_t *l)
{
    return l->sizing ? l->ids : l->ids + (l->n - 1) * (size_t)l->k;
}

static inline int level_set_last_cnt(level_t *l, uint64_t c, xl_error *err)
{
    if (c > UINT32_MAX) return count_overflow(l->k, err);
    l->cnt[l->sizing ? 0 : l->n - 1] = (uint32_t)c;
    return 0;
}

static int level_push(level_t *l, const uint32_t *ids, uint64_t cnt, xl_error *err)
{
    if (cnt > UINT32_MAX) return count_overflow(l->k, err);
    const size_t k = (size_t)l->k;
    if (l->sizing) {
        memcpy(l->ids, ids, k * sizeof(uint32_t));
        l->cnt[0] = (uint32_t)cnt;
        l->n++;
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        uint32_t *ids2 = xl_realloc(l->ids, cap, k * sizeof(uint32_t), err);
        if (ids2 == NULL) return -1;
        l->ids = ids2;
        uint32_t *c2 = xl_realloc(l->cnt, cap, sizeof(uint32_t), err);
        if (c2 == NULL) return -1;
        l->cnt = c2;
        l->cap = cap;
    }
    /* memmove: the highest order is written over the records it is read from (adjust_counts) */
    memmove(l->ids + l->n * k, ids, k * sizeof(uint32_t));
    l->cnt[l->n] = (uint32_t)cnt;
    l->n++;
    return 0;
}

static void level_free(level_t *l)
{
    free(l->ids);
    free(l->cnt);
    l->ids = NULL;
    l->cnt = NULL;
}

/* Counts of n-grams per order and counts-of-counts n[1..4] of their
 * adjusted counts (Chen & Goodman's n_1..n_4). */
typedef struct {
    uint64_t count[XL_NGRAM_MAX_ORDER];
    uint64_t nk[XL_NGRAM_MAX_ORDER][5];
} stats_t;

static void stats_add(stats_t *s, int i, uint64_t c)
{
    s->count[i]++;
    if (c < 5) s->nk[i][c]++;
}

/* The pass of adjust_counts over the sorted records (N >= 2), see there. */
static int adjust_pass(const xl_ngram_trainer *t, bool want_raw, level_t *lv, stats_t *st, xl_error *err)
{
    const int N = t->order;
    uint64_t open_adj[XL_NGRAM_MAX_ORDER], open_raw[XL_NGRAM_MAX_ORDER];
    const uint32_t unk = XL_NGRAM_UNK, bos = XL_NGRAM_BOS;
    if (level_push(&lv[0], &unk, 0, err) < 0) return -1;
    stats_add(st, 0, 0);
    if (level_push(&lv[0], &bos, 0, err) < 0) return -1;
    open_adj[0] = 0;
    open_raw[0] = 0;
    int top = 0; /* orders 0..top (index) have an open n-gram: the last of lv[i] */

    for (size_t r = 0; r < t->n; r++) {
        const uint32_t *f = t->rec + r * t->stride;
        const uint64_t c = rec_count(f, N);
        /* same = how many trailing words f shares with the open n-gram of the highest open order */
        int same = 0;
        if (top >= 0) {
            const uint32_t *e = level_last_ids(&lv[top]);
            while (same <= top && f[N - 1 - same] == e[top - same]) same++;
        }
        /* close the open n-grams of orders above `same` */
        for (int i = top; i >= same; i--) {
            if (level_set_last_cnt(&lv[i], want_raw ? open_raw[i] : open_adj[i], err) < 0) return -1;
            stats_add(st, i, open_adj[i]);
        }
        top = same - 1;
        for (int i = 0; i < same; i++) open_raw[i] += c;
        if (same > 0) open_adj[same - 1]++; /* one more distinct left extension */
        /* open the new suffixes f[pos..N-1], shortest first, up to <s> */
        int pos = N - 1 - same;
        for (; pos > 0 && f[pos] != XL_NGRAM_BOS; pos--) {
            int i = N - 1 - pos;
            if (level_push(&lv[i], f + pos, 0, err) < 0) return -1;
            open_adj[i] = 1;
            open_raw[i] = c;
            top = i;
        }
        if (pos > 0) {
            /* f[pos] is <s>: that suffix starts the sentence and keeps its raw count */
            int i = N - 1 - pos;
            if (level_push(&lv[i], f + pos, 0, err) < 0) return -1;
            open_adj[i] = c;
            open_raw[i] = c;
            top = i;
        } else {
            if (level_push(&lv[N - 1], f, c, err) < 0) return -1; /* last use of f (it may be overwritten) */
            stats_add(st, N - 1, c);
        }
    }
    for (int i = 0; i <= top; i++) {
        if (level_set_last_cnt(&lv[i], want_raw ? open_raw[i] : open_adj[i], err) < 0) return -1;
        stats_add(st, i, open_raw[i]); /* lmplz: the last n-grams' statistics use their raw count */
    }
    return 0;
}

/* Adjusted counts (Kneser & Ney 1995; Chen & Goodman 1998 sec. 3.5), in one
 * pass over the full-order records sorted in suffix order, as lmplz's
 * AdjustCounts::Run does:
 *   - the highest order keeps raw counts c(w1..wN);
 *   - a lower-order n-gram g gets a(g) = |{x : x g occurs}|, the number of
 *     distinct words seen to its left, <s> included;
 *   - n-grams beginning with <s> keep their raw counts (nothing can precede <s>);
 *   - full-order records padded with a second <s> ("<s> <s> w") only feed
 *     the lower orders and are not n-grams themselves.
 * The suffix order makes all extensions of a suffix consecutive, so only one
 * "open" n-gram per order is kept (open_adj / open_raw).  lmplz's statistics
 * for the n-grams still open at the very end use their raw count; that is
 * reproduced so the discounts agree with lmplz's.
 * Memory: the pass runs twice, first only
 * sizing the levels, then into arrays of exactly that size; the highest
 * order's ids are written over the records themselves (each record is read
 * before it can be overwritten: the e-th N-gram, written while record r >= e
 * is read, takes words [N*e, N*e+N), before record r+1 at (N+1)*(r+1)),
 * so the records become that level and no second
 * copy of the largest order exists.  The records are consumed (t->rec = NULL). */
static int adjust_counts(xl_ngram_trainer *t, bool want_raw, level_t *lv, stats_t *st, xl_error *err)
{
    const int N = t->order;
    const size_t V = xl_ngram_vocab_size(t->vocab);
    memset(st, 0, sizeof *st);
    for (int i = 0; i < N; i++) lv[i].k = i + 1;

    if (N == 1) {
        /* Unigram model: every vocabulary word with its raw count. */
        size_t r = 0;
        for (uint32_t id = 0; id < V; id++) {
            uint64_t c = 0;
            if (r < t->n && t->rec[r * t->stride] == id) c = rec_count(t->rec + r * t->stride, 1), r++;
            if (level_push(&lv[0], &id, c, err) < 0) return -1;
            stats_add(st, 0, c);
        }
        free(t->rec);
        t->rec = NULL;
        t->n = t->cap = 0;
        return 0;
    }

    /* sizing pass */
    uint32_t last_ids[XL_NGRAM_MAX_ORDER][XL_NGRAM_MAX_ORDER], last_cnt[XL_NGRAM_MAX_ORDER];
    level_t size[XL_NGRAM_MAX_ORDER];
    memset(size, 0, sizeof size);
    for (int i = 0; i < N; i++) {
        size[i].k = i + 1;
        size[i].ids = last_ids[i];
        size[i].cnt = &last_cnt[i];
        size[i].sizing = true;
    }
    stats_t unused;
    memset(&unused, 0, sizeof unused);
    if (adjust_pass(t, want_raw, size, &unused, err) < 0) return -1;
    for (int i = 0; i < N; i++) {
        lv[i].cap = size[i].n;
        lv[i].cnt = xl_malloc(size[i].n * sizeof(uint32_t) + 1, err);
        if (lv[i].cnt == NULL) return -1;
        if (i + 1 < N) {
            lv[i].ids = xl_malloc(size[i].n * (size_t)(i + 1) * sizeof(uint32_t) + 1, err);
            if (lv[i].ids == NULL) return -1;
        }
    }
    lv[N - 1].ids = t->rec; /* size[N-1].n <= t->n records of N+1 words: room for as many N-grams of N words */
    int rc = adjust_pass(t, want_raw, lv, st, err);
    t->rec = NULL; /* the records are lv[N-1].ids now (freed with the level) */
    t->n = t->cap = 0;
    if (rc < 0) return -1;
    if (lv[N - 1].n > 0) { /* give the records' space beyond the N-grams back (shrinking: best effort) */
        uint32_t *ids = realloc(lv[N - 1].ids, lv[N - 1].n * (size_t)N * sizeof(uint32_t));
        if (ids != NULL) lv[N - 1].ids = ids;
    }

    /* Words interned but never used get a zero-count unigram (like <unk>). */
    if (lv[0].n < V) {
        level_t full = {1, NULL, NULL, 0, 0, false};
        size_t e = 0;
        for (uint32_t id = 0; id < V; id++) {
            uint64_t c = 0;
            if (e < lv[0].n && lv[0].ids[e] == id) c = lv[0].cnt[e++];
            else stats_add(st, 0, 0);
            if (level_push(&full, &id, c, err) < 0) {
                level_free(&full);
                return -1;
            }
        }
        level_free(&lv[0]);
        lv[0] = full;
    }
    return 0;
}

/* -------------------------------------------------------------- discounts */

/* Chen & Goodman (1998) eq. 26, in float32 as lmplz (adjust_counts.cc):
 *   Y = n1 / (n1 + 2 n2),  D_k = k - (k+1) Y n_{k+1} / n_k  for k = 1, 2, 3(+). */
static int compute_discounts(const xl_ngram_trainer *t, const stats_t *st, float disc[][4],
                             xl_ngram_train_stats *out, xl_error *err)
{
    for (int i = 0; i < t->order; i++) {
        const uint64_t *n = st->nk[i];
        disc[i][0] = 0.0f;
        const char *problem = NULL;
        char why[256];
        for (int j = 1; j < 4 && !problem; j++) {
            if (n[j] == 0) {
                snprintf(why, sizeof why,
                         "could not calculate Kneser-Ney discounts for %d-grams with adjusted count %d because "
                         "no %d-grams have adjusted count %d (small or artificial data?)",
                         i + 1, j + 1, i + 1, j);
                problem = why;
            }
        }
        if (!problem) {
            float y = (float)n[1] / (float)((double)n[1] + 2.0 * (double)n[2]);
            for (int j = 1; j < 4; j++) {
                disc[i][j] = (float)j - (float)(j + 1) * y * (float)n[j + 1] / (float)n[j];
                if (!problem && (disc[i][j] < 0.0f || disc[i][j] > (float)j)) {
                    snprintf(why, sizeof why, "%d-gram discount out of range for adjusted count %d: %g", i + 1, j,
                             (double)disc[i][j]);
                    problem = why;
                }
            }
        }
        if (problem) {
            if (t->opts.smoothing != XL_NGRAM_KN) continue; /* discounts are informative only */
            if (!t->opts.discount_fallback)
                return xl_fail(err, XL_ERR_FORMAT, "%s; enable the discount fallback (--discount-fallback)", problem);
            for (int j = 1; j < 4; j++) disc[i][j] = t->opts.fallback[j - 1];
            out->used_fallback[i] = true;
        }
        for (int j = 1; j < 4; j++) out->discounts[i][j - 1] = disc[i][j];
    }
    return 0;
}

/* ---------------------------------------------------- exact index of a level */

/* Open addressing over a level's n-grams: 1.5 slots per n-gram (KenLM's
 * probing ratio), home slot by multiply-shift as the model's tables. */
typedef struct {
    uint32_t *slot; /* index+1, 0 = empty */
    uint64_t buckets;
} index_t;

static int index_build(index_t *x, const level_t *l, xl_error *err)
{
    x->buckets = xl_ngram_buckets_for(l->n);
    x->slot = xl_calloc((size_t)x->buckets, sizeof *x->slot, err);
    if (x->slot == NULL) return -1;
    for (size_t e = 0; e < l->n; e++) {
        uint64_t i = xl_ngram_bucket_of(xl_ngram_key_of(l->ids + e * (size_t)l->k, l->k), x->buckets);
        while (x->slot[i] != 0)
            if (++i == x->buckets) i = 0;
        x->slot[i] = (uint32_t)e + 1;
    }
    return 0;
}

static uint32_t index_find(const index_t *x, const level_t *l, const uint32_t *ids)
{
    uint64_t i = xl_ngram_bucket_of(xl_ngram_key_of(ids, l->k), x->buckets);
    for (;;) {
        uint32_t s = x->slot[i];
        if (s == 0) return UINT32_MAX;
        if (same_ids(l->ids + (size_t)(s - 1) * (size_t)l->k, ids, l->k)) return s - 1;
        if (++i == x->buckets) i = 0;
    }
}

#if defined(__GNUC__) || defined(__clang__)
#define XL_PREFETCH(p) __builtin_prefetch(p)
#else
#define XL_PREFETCH(p) ((void)(p))
#endif

/* -1, 0, 1 as a and b (k ids each) compare in suffix order (last id first). */
static int suffix_cmp(const uint32_t *a, const uint32_t *b, int k)
{
    for (int j = k - 1; j >= 0; j--)
        if (a[j] != b[j]) return a[j] < b[j] ? -1 : 1;
    return 0;
}

/* Context (first k-1 words) of n-gram e of l, found in lower through the index,
 * with the slot of the context AHEAD entries on requested early (each lookup
 * is a cache miss in a large level). */
enum { LINK_AHEAD = 8 };
static inline uint32_t context_of(const index_t *x, const level_t *lower, const level_t *l, size_t e)
{
    if (e + LINK_AHEAD < l->n)
        XL_PREFETCH(&x->slot[xl_ngram_bucket_of(
            xl_ngram_key_of(l->ids + (e + LINK_AHEAD) * (size_t)l->k, lower->k), x->buckets)]);
    return index_find(x, lower, l->ids + e * (size_t)l->k);
}

/* Suffixes (last k-1 words) come in order: every level is in suffix order
 * (adjust_counts), and the suffixes of a level in suffix order come in the
 * suffix order of the level below, so they are found by one merge walk over
 * both (*walk: the position in lower; no hashing).  The index is the fallback
 * should the walk not find one. */
static inline uint32_t suffix_of(const index_t *x, const level_t *lower, const uint32_t *g, size_t *walk)
{
    const int lk = lower->k;
    while (*walk < lower->n && suffix_cmp(lower->ids + *walk * (size_t)lk, g + 1, lk) < 0) (*walk)++;
    if (*walk < lower->n && suffix_cmp(lower->ids + *walk * (size_t)lk, g + 1, lk) == 0) return (uint32_t)*walk;
    return index_find(x, lower, g + 1);
}

static int missing_link(int k, xl_error *err)
{
    return xl_fail(err, XL_ERR_GENERIC, "internal error: %d-gram without its context or suffix", k);
}

/* For every n-gram of lv[i] (i >= 1): the index of its context (first i
 * words) and of its suffix (last i words) in lv[i-1] (estimate_simple). */
static int link_level(const level_t *lower, const level_t *l, uint32_t **ctx_out, uint32_t **suf_out, xl_error *err)
{
    index_t x;
    if (index_build(&x, lower, err) < 0) return -1;
    uint32_t *ctx = xl_malloc(l->n * sizeof *ctx + 1, err);
    uint32_t *suf = xl_malloc(l->n * sizeof *suf + 1, err);
    if (ctx == NULL || suf == NULL) {
        free(x.slot);
        free(ctx);
        free(suf);
        return -1;
    }
    size_t walk = 0;
    for (size_t e = 0; e < l->n; e++) {
        ctx[e] = context_of(&x, lower, l, e);
        suf[e] = suffix_of(&x, lower, l->ids + e * (size_t)l->k, &walk);
        if (ctx[e] == UINT32_MAX || suf[e] == UINT32_MAX) {
            free(x.slot);
            free(ctx);
            free(suf);
            return missing_link(l->k, err);
        }
    }
    free(x.slot);
    *ctx_out = ctx;
    *suf_out = suf;
    return 0;
}

/* ------------------------------------------------------------ estimation */

/* Per level: the final log10 probability and log10 backoff.  While a level
 * is being estimated logp holds the probability itself (estimate_kn). */
typedef struct {
    float *logp;
    float *logb;
} out_level_t;

/* Where finished levels go.  Level i is finished (ids, log10 p and log10
 * backoff final) once level i+1 is estimated; the estimators call done() for
 * each level in order 1..N as soon as it is (NULL: the caller keeps them all).
 * done() may free the level's ids and values and set them to NULL. */
typedef struct {
    int (*done)(void *arg, int i, level_t *l, out_level_t *o, xl_error *err);
    void *arg;
} level_sink_t;

static int sink_level(const level_sink_t *sink, int i, level_t *lv, out_level_t *out, xl_error *err)
{
    return sink != NULL ? sink->done(sink->arg, i, &lv[i], &out[i], err) : 0;
}

static inline float discount_of(const float *d, uint64_t a)
{
    return d[a < 3 ? a : 3];
}

/* Interpolated modified Kneser-Ney exactly as lmplz (initial_probabilities.cc,
 * interpolate.cc), with a(.) the adjusted counts and D the discounts of the
 * n-gram's order:
 *   u(w|h)   = (a(h w) - D(a(h w))) / sum_x a(h x)
 *   gamma(h) = (D1 N1(h .) + D2 N2(h .) + D3+ N3+(h .)) / sum_x a(h x)
 *   p(w|h)   = u(w|h) + gamma(h) p(w|h')            (h' = h without its first word)
 *   p(w)     = u(w) + gamma(empty) / (|V| - 1)      (|V| counts <unk>, <s>, </s>; <s> excluded)
 *   p(<s>)   = 1, u(<unk>) = 0
 * ARPA: log10 p capped at 0; backoff(h) = log10 gamma(h) for n-grams that are
 * contexts, 0 for the rest and for n-grams ending in <unk> or </s>.
 * Memory: level by level; a level's probabilities are written over its
 * counts, its backoffs are allocated when it is reached, and each finished
 * level goes to the sink (which may write and free it: then at most two
 * levels are alive).  Per level i, freed before level i+1: the context of
 * each n-gram (4 bytes), the index of the level below (6 bytes per n-gram
 * there) and per context the sum of its adjusted counts and N1, N2 (12
 * bytes; N3+ waits in the context's backoff slot).  Sums are 32-bit, as
 * the counts (an error beyond). */
static int estimate_kn(int N, level_t *lv, float disc[][4], out_level_t *out, const level_sink_t *sink, xl_error *err)
{
    /* unigrams: a single context, the empty one */
    {
        level_t *l = &lv[0];
        uint64_t denom = 0, nc[4] = {0};
        for (size_t e = 0; e < l->n; e++) {
            denom += l->cnt[e];
            if (l->cnt[e] > 0) nc[l->cnt[e] < 3 ? l->cnt[e] : 3]++;
        }
        if (denom == 0) return xl_fail(err, XL_ERR_FORMAT, "no n-grams to estimate from");
        float gamma = 0.0f;
        for (int j = 1; j <= 3; j++) gamma += disc[0][j] * (float)nc[j];
        gamma /= (float)denom;
        const float uniform = (float)(1.0 / (float)(l->n - 1));
        out[0].logp = xl_malloc(l->n * sizeof(float) + 1, err);
        out[0].logb = xl_calloc(l->n + 1, sizeof(float), err); /* unigrams always have backoffs */
        if (out[0].logp == NULL || out[0].logb == NULL) return -1;
        float *prob = out[0].logp;
        for (size_t e = 0; e < l->n; e++) {
            if (l->ids[e] == XL_NGRAM_BOS) {
                prob[e] = 1.0f;
                continue;
            }
            float u = ((float)l->cnt[e] - discount_of(disc[0], l->cnt[e])) / (float)denom;
            prob[e] = u + gamma * uniform;
        }
        free(l->cnt);
        l->cnt = NULL;
    }
    for (int i = 1; i < N; i++) {
        level_t *lower = &lv[i - 1], *l = &lv[i];
        index_t x = {NULL, 0};
        uint32_t *ctx = xl_malloc(l->n * sizeof *ctx + 1, err);
        uint32_t *denom = xl_calloc(lower->n + 1, sizeof *denom, err);
        uint32_t *n12 = xl_calloc(lower->n + 1, 2 * sizeof *n12, err);
        if (i + 1 < N) out[i].logb = xl_calloc(l->n + 1, sizeof(float), err); /* the highest order has none */
        if (ctx == NULL || denom == NULL || n12 == NULL || (i + 1 < N && out[i].logb == NULL) ||
            index_build(&x, lower, err) < 0) {
            free(ctx), free(denom), free(n12), free(x.slot);
            return -1;
        }
        /* pass 1: contexts, their denominators and N1, N2, N3+.  N3+ is kept in
         * the context's gamma slot (zero bits = 0; the same 4 bytes become
         * gamma below), N1 and N2 in n12. */
        float *gamma = out[i - 1].logb;
        for (size_t e = 0; e < l->n; e++) {
            const uint32_t c = context_of(&x, lower, l, e);
            if (c == UINT32_MAX) {
                free(ctx), free(denom), free(n12), free(x.slot);
                return missing_link(l->k, err);
            }
            ctx[e] = c;
            const uint32_t a = l->cnt[e];
            if (a > UINT32_MAX - denom[c]) {
                free(ctx), free(denom), free(n12), free(x.slot);
                return count_overflow(l->k - 1, err);
            }
            denom[c] += a;
            if (a == 1 || a == 2) {
                n12[(size_t)c * 2 + a - 1]++;
            } else if (a >= 3) {
                uint32_t n3;
                memcpy(&n3, &gamma[c], sizeof n3);
                n3++;
                memcpy(&gamma[c], &n3, sizeof n3);
            }
        }
        for (size_t c = 0; c < lower->n; c++) {
            uint32_t n3;
            memcpy(&n3, &gamma[c], sizeof n3);
            float g = 0.0f;
            if (denom[c] > 0) {
                g += disc[i][1] * (float)n12[c * 2];
                g += disc[i][2] * (float)n12[c * 2 + 1];
                g += disc[i][3] * (float)n3;
                g /= (float)denom[c];
            }
            gamma[c] = g;
        }
        free(n12);
        /* pass 2: interpolate with the suffix's probability.  Each probability
         * is written over the count it came from (memcpy: same 4 bytes, a
         * float from now on), so the counts array becomes out[i].logp. */
        const float *lower_prob = out[i - 1].logp;
        size_t walk = 0;
        for (size_t e = 0; e < l->n; e++) {
            const uint32_t s = suffix_of(&x, lower, l->ids + e * (size_t)l->k, &walk);
            if (s == UINT32_MAX) {
                free(ctx), free(denom), free(x.slot);
                return missing_link(l->k, err);
            }
            const uint32_t a = l->cnt[e];
            const float u = ((float)a - discount_of(disc[i], a)) / (float)denom[ctx[e]];
            const float p = u + gamma[ctx[e]] * lower_prob[s];
            memcpy(&l->cnt[e], &p, sizeof p);
        }
        free(x.slot);
        free(ctx);
        out[i].logp = (float *)(void *)l->cnt;
        l->cnt = NULL;
        /* the lower order is final now: log10 of its probabilities and backoffs */
        for (size_t c = 0; c < lower->n; c++) {
            uint32_t last = lower->ids[c * (size_t)lower->k + (size_t)lower->k - 1];
            if (denom[c] > 0 && last != XL_NGRAM_UNK && last != XL_NGRAM_EOS) gamma[c] = log10f(gamma[c]);
            else gamma[c] = 0.0f;
            const float lp = log10f(out[i - 1].logp[c]);
            out[i - 1].logp[c] = lp < 0.0f ? lp : 0.0f;
        }
        free(denom);
        if (sink_level(sink, i - 1, lv, out, err) < 0) return -1;
    }
    for (size_t e = 0; e < lv[N - 1].n; e++) {
        const float lp = log10f(out[N - 1].logp[e]);
        out[N - 1].logp[e] = lp < 0.0f ? lp : 0.0f;
    }
    return sink_level(sink, N - 1, lv, out, err);
}

/* Maximum likelihood and add-k, with raw counts c(.), per order:
 *   MLE:   p(w|h) = c(h w) / sum_x c(h x)                  (the system description's formula)
 *   add-k: p(w|h) = (c(h w) + k) / (sum_x c(h x) + k |V|)   (|V| = vocabulary without <s>)
 * Unseen events: the mass left at a seen context h goes to the lower order,
 * renormalised over the words not seen after h (the usual backoff model, as
 * SRILM's ngram-count computes it):
 *   bow(h) = (1 - sum_{w seen after h} p(w|h)) / (1 - sum_{w seen after h} p(w|h'))
 * For MLE the numerator is 0: bow = 0, log10 = -inf, so an unseen n-gram after
 * a seen context has probability 0 exactly as the formula says. */
static int estimate_simple(int N, bool addk, double k, level_t *lv, out_level_t *out, const level_sink_t *sink,
                           xl_error *err)
{
    double *prob[XL_NGRAM_MAX_ORDER] = {0};
    int rc = -1;
    const double V = (double)(lv[0].n - 1);
    for (int i = 0; i < N; i++) {
        out[i].logp = xl_malloc(lv[i].n * sizeof(float) + 1, err);
        if (out[i].logp == NULL) goto done;
        if (i + 1 < N || i == 0) { /* the highest order has no backoffs (unigrams always keep theirs) */
            out[i].logb = xl_calloc(lv[i].n + 1, sizeof(float), err);
            if (out[i].logb == NULL) goto done;
        }
    }
    {
        const level_t *l = &lv[0];
        uint64_t total = 0;
        for (size_t e = 0; e < l->n; e++) total += l->cnt[e];
        if (total == 0) {
            xl_fail(err, XL_ERR_FORMAT, "no n-grams to estimate from");
            goto done;
        }
        prob[0] = xl_malloc(l->n * sizeof(double), err);
        if (prob[0] == NULL) goto done;
        for (size_t e = 0; e < l->n; e++) {
            double c = (double)l->cnt[e];
            if (l->ids[e] == XL_NGRAM_BOS) prob[0][e] = 0.0;
            else prob[0][e] = addk ? (c + k) / ((double)total + k * V) : c / (double)total;
        }
    }
    for (int i = 1; i < N; i++) {
        const level_t *lower = &lv[i - 1], *l = &lv[i];
        uint32_t *ctx = NULL, *suf = NULL;
        if (link_level(lower, l, &ctx, &suf, err) < 0) goto done;
        uint64_t *total = xl_calloc(lower->n, sizeof *total, err);
        uint64_t *types = xl_calloc(lower->n, sizeof *types, err);
        double *lower_mass = xl_calloc(lower->n, sizeof *lower_mass, err);
        prob[i] = xl_malloc(l->n * sizeof(double) + 1, err);
        if (total == NULL || types == NULL || lower_mass == NULL || prob[i] == NULL) {
            free(ctx), free(suf), free(total), free(types), free(lower_mass);
            goto done;
        }
        for (size_t e = 0; e < l->n; e++) {
            total[ctx[e]] += l->cnt[e];
            types[ctx[e]]++;
            lower_mass[ctx[e]] += prob[i - 1][suf[e]];
        }
        for (size_t e = 0; e < l->n; e++) {
            double c = (double)l->cnt[e], tot = (double)total[ctx[e]];
            prob[i][e] = addk ? (c + k) / (tot + k * V) : c / tot;
        }
        for (size_t c = 0; c < lower->n; c++) {
            float b = 0.0f;
            uint32_t last = lower->ids[c * (size_t)lower->k + (size_t)lower->k - 1];
            if (types[c] > 0 && last != XL_NGRAM_UNK && last != XL_NGRAM_EOS) {
                if (!addk) {
                    b = -INFINITY;
                } else {
                    double num = k * (V - (double)types[c]) / ((double)total[c] + k * V);
                    double den = 1.0 - lower_mass[c];
                    if (num > 0 && den > 1e-12) b = (float)log10(num / den);
                }
            }
            out[i - 1].logb[c] = b;
        }
        free(ctx), free(suf), free(total), free(types), free(lower_mass);
        for (size_t e = 0; e < lower->n; e++)
            out[i - 1].logp[e] = prob[i - 1][e] > 0 ? (float)log10(prob[i - 1][e]) : -INFINITY;
        free(prob[i - 1]);
        prob[i - 1] = NULL;
        if (sink_level(sink, i - 1, lv, out, err) < 0) goto done;
    }
    for (size_t e = 0; e < lv[N - 1].n; e++)
        out[N - 1].logp[e] = prob[N - 1][e] > 0 ? (float)log10(prob[N - 1][e]) : -INFINITY;
    rc = sink_level(sink, N - 1, lv, out, err);
done:
    for (int i = 0; i < N; i++) free(prob[i]);
    return rc;
}

/* Count, adjust and estimate: the levels and their values, each handed to
 * the sink as soon as it is final (sink NULL: all kept in lv/out). */
static int train_levels(xl_ngram_trainer *t, xl_ngram_train_stats *stats, level_t *lv, out_level_t *out,
                        int (*start)(void *arg, const level_t *lv, int N, xl_error *err), const level_sink_t *sink,
                        xl_error *err)
{
    memset(stats, 0, sizeof *stats);
    if (t->spent) return xl_fail(err, XL_ERR_USAGE, "n-gram trainer: already estimated");
    t->spent = true;
    const int N = t->order;
    stats->order = N;
    stats->tokens = t->tokens;
    stats->sentences = t->sentences;
    if (t->sentences == 0) return xl_fail(err, XL_ERR_FORMAT, "empty corpus: no sentences to train on");
    stats_t st;
    float disc[XL_NGRAM_MAX_ORDER][4];
    if (compact(t, err) < 0) return -1;
    if (adjust_counts(t, t->opts.smoothing != XL_NGRAM_KN, lv, &st, err) < 0) return -1;
    for (int i = 0; i < N; i++) {
        stats->counts[i] = st.count[i];
        if (lv[i].n > UINT32_MAX - 1) return xl_fail(err, XL_ERR_LIMIT, "more than 2^32-2 distinct %d-grams", i + 1);
    }
    if (compute_discounts(t, &st, disc, stats, err) < 0) return -1;
    if (start != NULL && start(sink->arg, lv, N, err) < 0) return -1;
    if (t->opts.smoothing == XL_NGRAM_KN) return estimate_kn(N, lv, disc, out, sink, err);
    return estimate_simple(N, t->opts.smoothing == XL_NGRAM_ADDK, t->opts.add_k, lv, out, sink, err);
}

static void free_levels(int N, level_t *lv, out_level_t *out)
{
    for (int i = 0; i < N; i++) {
        level_free(&lv[i]);
        free(out[i].logp);
        free(out[i].logb);
        out[i].logp = out[i].logb = NULL;
    }
}

xl_ngram_model *xl_ngram_trainer_estimate(xl_ngram_trainer *t, xl_ngram_train_stats *stats, xl_error *err)
{
    xl_ngram_train_stats local;
    if (stats == NULL) stats = &local;
    const int N = t->order;
    level_t lv[XL_NGRAM_MAX_ORDER];
    out_level_t out[XL_NGRAM_MAX_ORDER];
    memset(lv, 0, sizeof lv);
    memset(out, 0, sizeof out);
    xl_ngram_model *m = NULL;
    if (train_levels(t, stats, lv, out, NULL, NULL, err) < 0) goto fail;

    uint64_t counts[XL_NGRAM_MAX_ORDER];
    for (int i = 0; i < N; i++) counts[i] = lv[i].n;
    m = xl_ngram_model_alloc(N, counts, err);
    if (m == NULL) goto fail;
    m->vocab = t->vocab;
    t->vocab = NULL;
    m->bos = XL_NGRAM_BOS;
    m->eos = XL_NGRAM_EOS;
    for (size_t e = 0; e < lv[0].n; e++) {
        m->uni[e].prob = out[0].logp[e];
        m->uni[e].backoff = out[0].logb[e];
    }
    for (int i = 1; i < N; i++) {
        const xl_ngram_level *tl = &m->level[i];
        const size_t slot = tl->top ? sizeof(xl_ngram_slot_top) : sizeof(xl_ngram_slot);
        for (size_t e = 0; e < lv[i].n; e++) {
            const uint32_t *g = lv[i].ids + e * (size_t)(i + 1);
            if (e + 8 < lv[i].n) /* random inserts into a large table: request the slot early */
                XL_PREFETCH((const char *)tl->table +
                            xl_ngram_bucket_of(xl_ngram_key_of(g + 8 * (size_t)(i + 1), i + 1), tl->buckets) * slot);
            xl_ngram_model_insert(m, i + 1, xl_ngram_key_of(g, i + 1), out[i].logp[e],
                                  i + 1 < N ? out[i].logb[e] : 0.0f);
        }
        m->level[i].ids = lv[i].ids;
        lv[i].ids = NULL;
        free(out[i].logp); /* the table has them now */
        free(out[i].logb);
        out[i].logp = out[i].logb = NULL;
    }
    free_levels(N, lv, out);
    return m;
fail:
    free_levels(N, lv, out);
    xl_ngram_model_free(m);
    return NULL;
}

/* ------------------------------------------------- ARPA without a model */

typedef struct {
    const xl_ngram_vocab *vocab;
    xl_buf *buf;
    FILE *f;
    const char *path;
    int order;
} arpa_sink_t;

static int arpa_start(void *arg, const level_t *lv, int N, xl_error *err)
{
    arpa_sink_t *a = arg;
    uint64_t counts[XL_NGRAM_MAX_ORDER];
    for (int i = 0; i < N; i++) counts[i] = lv[i].n;
    return xl_ngram_arpa_header(N, counts, a->buf, err);
}

static int arpa_level_done(void *arg, int i, level_t *l, out_level_t *o, xl_error *err)
{
    arpa_sink_t *a = arg;
    int rc = xl_ngram_arpa_section(a->vocab, i + 1, i + 1 < a->order, l->n, l->ids, o->logp, o->logb, a->buf, a->f,
                                   a->path, err);
    level_free(l); /* written: the ids and values are not needed any more */
    free(o->logp);
    free(o->logb);
    o->logp = o->logb = NULL;
    return rc;
}

static int trainer_arpa(xl_ngram_trainer *t, xl_buf *buf, FILE *f, const char *path, xl_ngram_train_stats *stats,
                        xl_error *err)
{
    xl_ngram_train_stats local;
    if (stats == NULL) stats = &local;
    const int N = t->order;
    level_t lv[XL_NGRAM_MAX_ORDER];
    out_level_t out[XL_NGRAM_MAX_ORDER];
    memset(lv, 0, sizeof lv);
    memset(out, 0, sizeof out);
    arpa_sink_t a = {t->vocab, buf, f, path, N};
    const level_sink_t sink = {arpa_level_done, &a};
    int rc = train_levels(t, stats, lv, out, arpa_start, &sink, err);
    if (rc == 0) rc = xl_ngram_arpa_end(buf, f, path, err);
    free_levels(N, lv, out);
    return rc;
}

int xl_ngram_trainer_format_arpa(xl_ngram_trainer *t, xl_buf *out, xl_ngram_train_stats *stats, xl_error *err)
{
    return trainer_arpa(t, out, NULL, NULL, stats, err);
}

int xl_ngram_trainer_write_arpa(xl_ngram_trainer *t, const char *path, xl_ngram_train_stats *stats, xl_error *err)
{
    xl_output o;
    if (xl_output_open(&o, path, err) < 0) return -1;
    xl_buf b;
    xl_buf_init(&b);
    int rc = trainer_arpa(t, &b, o.f, path, stats, err);
    xl_buf_free(&b);
    if (rc < 0) {
        xl_output_abort(&o);
        return -1;
    }
    return xl_output_commit(&o, err);
}
