/* ngram_model.c - the query structure and scoring of n-gram models (see ngram.h).
 *
 * Unigrams are one array of {log10 p, log10 backoff} indexed by word id.
 * Each higher order is an open-addressing table with linear probing, keyed
 * by a 64-bit hash of the id tuple and holding (key, log10 p, log10 backoff)
 * in 16 bytes (key, log10 p in 12 for the highest order), 1.5 slots per
 * n-gram, as KenLM's probing model: one cache line per probe, no word ids
 * compared.  Two
 * different n-grams of one order with the same 64-bit key would be confused
 * (probability ~ n^2 / 2^65: about 1e-5 for 10^7 n-grams); KenLM accepts the
 * same risk. */
#if defined(__linux__) && !defined(XL_NO_POSIX)
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) for the probing tables */
#include <sys/mman.h>
#define XL_HAVE_MADVISE_HUGEPAGE 1
#endif
#include "ngram_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_utf8.h"

/* Ask for transparent huge pages on the whole 2 MiB pages inside a large
 * table (Linux, THP in "madvise" mode).  Every probe lands on a random page
 * of a table of up to gigabytes: with 4 KiB pages nearly every probe also
 * misses the TLB and walks the page tables, which is as slow as the miss on
 * the slot itself.  KenLM asks for huge pages for the same reason.  Advice
 * only: the freshly calloc'd pages are not touched yet, so they are faulted in
 * as huge pages when available; nothing depends on it. */
static void advise_huge_pages(void *p, size_t bytes)
{
#ifdef XL_HAVE_MADVISE_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t begin = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (end > begin) (void)madvise((void *)begin, (size_t)(end - begin), MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

xl_ngram_model *xl_ngram_model_alloc(int order, const uint64_t *counts, xl_error *err)
{
    xl_ngram_model *m = xl_calloc(1, sizeof *m, err);
    if (m == NULL) return NULL;
    m->order = order;
    m->level[0].count = counts[0];
    m->uni = xl_calloc((size_t)counts[0] + 1, sizeof *m->uni, err);
    if (m->uni == NULL) goto fail;
    for (int k = 2; k <= order; k++) {
        xl_ngram_level *lv = &m->level[k - 1];
        const uint64_t buckets = xl_ngram_buckets_for(counts[k - 1]);
        if (buckets > UINT32_MAX) {
            xl_fail(err, XL_ERR_LIMIT, "%d-gram table: %llu entries is too many (at most %llu)", k,
                    (unsigned long long)counts[k - 1], (unsigned long long)UINT32_MAX / 3 * 2 - 1);
            goto fail;
        }
        lv->top = k == order;
        lv->buckets = buckets;
        const size_t slot = lv->top ? sizeof(xl_ngram_slot_top) : sizeof(xl_ngram_slot);
        size_t bytes;
        if (buckets > SIZE_MAX || !xl_mul_size((size_t)buckets, slot, &bytes)) {
            xl_fail(err, XL_ERR_NOMEM, "%d-gram table of %llu slots does not fit in memory", k,
                    (unsigned long long)buckets);
            goto fail;
        }
        lv->table = xl_calloc((size_t)buckets, slot, err);
        if (lv->table == NULL) goto fail;
        advise_huge_pages(lv->table, bytes);
    }
    return m;
fail:
    xl_ngram_model_free(m);
    return NULL;
}

int xl_ngram_model_insert(xl_ngram_model *m, int k, uint64_t key, float prob, float backoff)
{
    xl_ngram_level *lv = &m->level[k - 1];
    const uint32_t lo = (uint32_t)key, hi = (uint32_t)(key >> 32);
    uint64_t i = xl_ngram_bucket_of(key, lv->buckets);
    for (;;) {
        if (lv->top) {
            xl_ngram_slot_top *s = (xl_ngram_slot_top *)lv->table + i;
            if (s->key_lo == lo && s->key_hi == hi) return 0;
            if ((s->key_lo | s->key_hi) == 0) {
                s->key_lo = lo;
                s->key_hi = hi;
                s->prob = prob;
                break;
            }
        } else {
            xl_ngram_slot *s = (xl_ngram_slot *)lv->table + i;
            if (s->key_lo == lo && s->key_hi == hi) return 0;
            if ((s->key_lo | s->key_hi) == 0) {
                s->key_lo = lo;
                s->key_hi = hi;
                s->prob = prob;
                s->backoff = backoff;
                break;
            }
        }
        if (++i == lv->buckets) i = 0;
    }
    lv->count++;
    return 1;
}

void xl_ngram_model_free(xl_ngram_model *m)
{
    if (m == NULL) return;
    xl_ngram_vocab_free(m->vocab);
    if (m->from_binary) {
        xl_unmap_file(&m->file);
        xl_aligned_free(m->heap);
    } else {
        free(m->uni);
        for (int k = 0; k < XL_NGRAM_MAX_ORDER; k++) {
            free(m->level[k].ids);
            free(m->level[k].table);
        }
    }
    free(m);
}

int xl_ngram_model_order(const xl_ngram_model *m)
{
    return m->order;
}

uint64_t xl_ngram_model_count(const xl_ngram_model *m, int order)
{
    if (order < 1 || order > m->order) return 0;
    return m->level[order - 1].count;
}

const xl_ngram_vocab *xl_ngram_model_vocab(const xl_ngram_model *m)
{
    return m->vocab;
}

uint32_t xl_ngram_model_bos(const xl_ngram_model *m)
{
    return m->bos;
}

uint32_t xl_ngram_model_eos(const xl_ngram_model *m)
{
    return m->eos;
}

uint32_t xl_ngram_model_index(const xl_ngram_model *m, const char *word, size_t len)
{
    return xl_ngram_vocab_find(m->vocab, word, len);
}

bool xl_ngram_model_lookup(const xl_ngram_model *m, const uint32_t *ids, int n, float *prob, float *backoff)
{
    if (n < 1 || n > m->order) return false;
    for (int j = 0; j < n; j++)
        if (ids[j] >= m->level[0].count) return false;
    if (n == 1) {
        if (prob) *prob = m->uni[ids[0]].prob;
        if (backoff) *backoff = m->uni[ids[0]].backoff;
        return true;
    }
    float p, b;
    if (!xl_ngram_probe(&m->level[n - 1], xl_ngram_key_of(ids, n), &p, &b)) return false;
    if (prob) *prob = p;
    if (backoff) *backoff = b;
    return true;
}

void xl_ngram_state_null(xl_ngram_state *s)
{
    s->length = 0;
}

void xl_ngram_state_begin(const xl_ngram_model *m, xl_ngram_state *s)
{
    s->length = 0;
    if (m->order > 1) {
        s->length = 1;
        s->words[0] = m->bos;
        s->backoff[0] = m->uni[m->bos].backoff;
    }
}

/* Standard backoff (Katz 1987; the ARPA semantics, KenLM's FullScore):
 *   log p(w | v_1..v_n) = log p(v_j..v_1 w) + sum_{i >= j} bow(v_i..v_1)
 * where v_j..v_1 w is the longest n-gram in the model and v_1 is the most
 * recent context word.  The sum runs over the context n-grams longer than the
 * match, in increasing length, in float, as KenLM adds them. */
float xl_ngram_score(const xl_ngram_model *m, const xl_ngram_state *in, uint32_t word, xl_ngram_state *out,
                     int *ngram_length)
{
    if (word >= m->level[0].count) word = XL_NGRAM_UNK;
    float p = m->uni[word].prob;
    int matched = 1;
    xl_ngram_state next;
    next.length = m->order > 1 ? 1 : 0;
    next.words[0] = word;
    next.backoff[0] = m->uni[word].backoff;
    /* No software prefetch of the longer orders' slots: the keys do not
     * depend on the probes, so the out-of-order core already overlaps the
     * misses; prefetching every order measured 0 to +8% with huge pages and
     * -15 to -20% without (wasted page walks for orders never reached). */
    uint64_t key = xl_ngram_key1(word);
    const int max_ctx = in->length < m->order - 1 ? in->length : m->order - 1;
    for (int j = 0; j < max_ctx; j++) {
        key = xl_ngram_key_extend(key, in->words[j]);
        float prob, backoff;
        if (!xl_ngram_probe(&m->level[j + 1], xl_ngram_key_fix(key), &prob, &backoff)) break;
        p = prob;
        matched = j + 2;
        if (j + 1 < m->order - 1) {
            next.words[j + 1] = in->words[j];
            next.backoff[j + 1] = backoff;
            next.length = j + 2;
        }
    }
    for (int j = matched - 1; j < in->length; j++) p += in->backoff[j];
    if (ngram_length) *ngram_length = matched;
    out->length = next.length;
    for (int j = 0; j < next.length; j++) {
        out->words[j] = next.words[j];
        out->backoff[j] = next.backoff[j];
    }
    return p;
}

/* -------------------------------------------------------------- sentences */

/* KenLM's query splits on util/spaces.cc's kSpaces: \t \n \v \f \r and space. */
static bool is_query_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Decimal digits of v at o; returns their count. */
static size_t put_u32(uint32_t v, char *o)
{
    char t[10];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++) o[i] = t[n - 1 - i];
    return n;
}

/* "word=ID LEN LOG10P\t" written straight into the buffer (no printf: this
 * is the per-word output path of `ngram query`). */
static int put_word(xl_buf *out, const char *w, size_t wlen, uint32_t id, int len, float p, xl_error *err)
{
    /* word, '=', 10 id digits, ' ', 1 length digit, ' ', <= 32 number bytes, TAB */
    if (xl_buf_reserve(out, wlen + 48, err) < 0) return -1;
    char *o = out->data + out->len;
    memcpy(o, w, wlen);
    o += wlen;
    *o++ = '=';
    o += put_u32(id, o);
    *o++ = ' ';
    o += put_u32((uint32_t)len, o);
    *o++ = ' ';
    o += xl_ngram_format_float(p, o);
    *o++ = '\t';
    *o = '\0';
    out->len = (size_t)(o - out->data);
    return 0;
}

#if defined(__GNUC__) || defined(__clang__)
#define XL_PREFETCH(p) __builtin_prefetch(p)
#else
#define XL_PREFETCH(p) ((void)(p))
#endif

/* How many words ahead of the one being scored the memory it will need is requested. */
#define PREFETCH_AHEAD 2

/* Request the unigram entry of ids[w] and the home slots of its bigram and
 * trigram with the preceding ids: the scoring of one word waits on the
 * previous word's state, so without this the misses of consecutive words
 * hardly overlap.  (The slots of orders the probe will not reach are wasted
 * requests; two orders are a measured compromise.) */
static void prefetch_word(const xl_ngram_model *m, const uint32_t *ids, size_t w)
{
    const uint32_t id = ids[w] < m->level[0].count ? ids[w] : XL_NGRAM_UNK;
    XL_PREFETCH(&m->uni[id]);
    uint64_t key = xl_ngram_key1(id);
    for (int k = 2; k <= 3 && k <= m->order && (size_t)(k - 1) <= w; k++) {
        key = xl_ngram_key_extend(key, ids[w - (size_t)(k - 1)]);
        const xl_ngram_level *lv = &m->level[k - 1];
        const uint64_t b = xl_ngram_bucket_of(xl_ngram_key_fix(key), lv->buckets);
        XL_PREFETCH(xl_ngram_level_narrow(lv) ? (const void *)((const xl_ngram_slot_top *)lv->table + b)
                            : (const void *)((const xl_ngram_slot *)lv->table + b));
    }
}

int xl_ngram_query_line(const xl_ngram_model *m, const char *line, size_t len, bool sentence_context,
                        xl_buf *out, xl_ngram_sentence *res, xl_ngram_corpus_stats *acc, xl_error *err)
{
    size_t bad;
    xl_utf8_status why;
    if (!xl_utf8_validate(line, len, &bad, &why))
        return xl_fail(err, XL_ERR_FORMAT, "invalid UTF-8 at byte %zu (%s)", bad + 1, xl_utf8_status_name(why));
    xl_ngram_state state;
    if (sentence_context) xl_ngram_state_begin(m, &state);
    else xl_ngram_state_null(&state);
    float total = 0.0f;
    double oov_total = 0.0;
    uint64_t tokens = 0, oov = 0;
    /* Words are looked up a batch at a time (xl_ngram_vocab_find_many
     * overlaps the cache misses of many lookups), then scored in order. */
    enum { BATCH = 64 };
    const char *word[BATCH];
    size_t wlen[BATCH];
    uint32_t ids[BATCH];
    size_t i = 0;
    while (i < len) {
        size_t n = 0;
        while (n < BATCH && i < len) {
            while (i < len && is_query_space((unsigned char)line[i])) i++;
            if (i >= len) break;
            size_t start = i;
            while (i < len && !is_query_space((unsigned char)line[i])) i++;
            word[n] = line + start;
            wlen[n] = i - start;
            n++;
        }
        xl_ngram_vocab_find_many(m->vocab, word, wlen, n, ids);
        for (size_t w = 0; w < n; w++) {
            if (w + PREFETCH_AHEAD < n) prefetch_word(m, ids, w + PREFETCH_AHEAD);
            const uint32_t id = ids[w];
            int nlen;
            float p = xl_ngram_score(m, &state, id, &state, &nlen);
            total += p;
            tokens++;
            if (id == XL_NGRAM_UNK) {
                oov++;
                oov_total += p;
            }
            if (out && put_word(out, word[w], wlen[w], id, nlen, p, err) < 0) return -1;
        }
    }
    if (sentence_context) {
        int nlen;
        float p = xl_ngram_score(m, &state, m->eos, &state, &nlen);
        total += p;
        tokens++;
        if (out && put_word(out, "</s>", 4, m->eos, nlen, p, err) < 0) return -1;
    }
    if (out) {
        char num[40];
        xl_ngram_format_float(total, num);
        if (xl_buf_printf(out, err, "Total: %s OOV: %llu\n", num, (unsigned long long)oov) < 0) return -1;
    }
    if (res) {
        res->total = total;
        res->tokens = tokens;
        res->oov = oov;
    }
    if (acc) {
        acc->total += total;
        acc->total_oov += oov_total;
        acc->tokens += tokens;
        acc->oov += oov;
        acc->sentences++;
    }
    return 0;
}

/* KenLM (lm/ngram_query.hh):
 *   PPL incl. OOV = 10^(-total / tokens)
 *   PPL excl. OOV = 10^(-(total - total_oov) / (tokens - oov)) */
double xl_ngram_perplexity(const xl_ngram_corpus_stats *s, bool include_oov)
{
    if (include_oov) return pow(10.0, -(s->total / (double)s->tokens));
    return pow(10.0, -(s->total - s->total_oov) / (double)(s->tokens - s->oov));
}

int xl_ngram_format_summary(const xl_ngram_corpus_stats *s, xl_buf *out, xl_error *err)
{
    char a[40], b[40];
    xl_ngram_format_double(xl_ngram_perplexity(s, true), a);
    xl_ngram_format_double(xl_ngram_perplexity(s, false), b);
    return xl_buf_printf(out, err,
                         "Perplexity including OOVs:\t%s\nPerplexity excluding OOVs:\t%s\nOOVs:\t%llu\nTokens:\t%llu\n",
                         a, b, (unsigned long long)s->oov, (unsigned long long)s->tokens);
}
