/* dict_translate.c - see dict_translate.h */
#include "dict_translate.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "w2v_vectors.h"
#include "xl_io.h"
#include "xl_parse.h"
#include "xl_rng.h"
#include "xl_unicode.h"
#include "xl_utf8.h"

struct xl_dt_dict {
    bool lowercase;
    xl_w2v_words keys;    /* source phrases */
    xl_w2v_words targets; /* distinct target strings */
    uint32_t *pair_key, *pair_tgt;
    size_t n_pairs, cap_pairs;
    size_t max_phrase; /* tokens in the longest key */
    int64_t *best;     /* [keys.n] chosen target id */
    /* code-switching dictionaries only: the targets of key k are
     * cs_tgt[cs_off[k] .. cs_off[k + 1]) in file order */
    bool codeswitch;
    uint32_t *cs_off, *cs_tgt;
};

static inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* tokens of s[0..len) joined by one space into b; returns token count */
static size_t normalise_phrase(const char *s, size_t len, bool lower, xl_buf *b, xl_error *err, int *fail)
{
    xl_buf_clear(b);
    size_t n = 0, p = 0;
    *fail = 0;
    while (p < len) {
        while (p < len && is_ws(s[p])) p++;
        size_t q = p;
        while (q < len && !is_ws(s[q])) q++;
        if (q == p) break;
        if ((n && xl_buf_putc(b, ' ', err) < 0) || xl_buf_append(b, s + p, q - p, err) < 0) {
            *fail = 1;
            return 0;
        }
        if (lower)
            for (size_t i = b->len - (q - p); i < b->len; i++)
                if (b->data[i] >= 'A' && b->data[i] <= 'Z') b->data[i] = (char)(b->data[i] - 'A' + 'a');
        n++;
        p = q;
    }
    return n;
}

void xl_dt_dict_free(xl_dt_dict *d)
{
    if (!d) return;
    xl_w2v_words_free(&d->keys);
    xl_w2v_words_free(&d->targets);
    free(d->pair_key), free(d->pair_tgt), free(d->best);
    free(d->cs_off), free(d->cs_tgt);
    free(d);
}

size_t xl_dt_dict_entries(const xl_dt_dict *d) { return d->keys.n; }
size_t xl_dt_dict_pairs(const xl_dt_dict *d) { return d->n_pairs; }

static int choose_first(xl_dt_dict *d, xl_error *err)
{
    free(d->best);
    d->best = xl_malloc((d->keys.n ? d->keys.n : 1) * sizeof *d->best, err);
    if (!d->best) return -1;
    for (size_t i = 0; i < d->keys.n; i++) d->best[i] = -1;
    for (size_t i = 0; i < d->n_pairs; i++)
        if (d->best[d->pair_key[i]] < 0) d->best[d->pair_key[i]] = d->pair_tgt[i];
    return 0;
}

int xl_dt_dict_load_memory(const char *data, size_t len, const char *name, bool lowercase, xl_dt_dict **out, xl_error *err)
{
    xl_dt_dict *d = xl_calloc(1, sizeof *d, err);
    if (!d) return -1;
    d->lowercase = lowercase;
    xl_w2v_words_init(&d->keys);
    xl_w2v_words_init(&d->targets);
    xl_buf kb, tb;
    xl_buf_init(&kb);
    xl_buf_init(&tb);
    xl_w2v_words seen_pairs; /* "key\x01target" */
    xl_w2v_words_init(&seen_pairs);
    size_t lineno = 0, p = 0;
    int rc = 0;
    while (p < len && rc == 0) {
        const char *nl = memchr(data + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - data) : len;
        const char *line = data + p;
        size_t ll = e - p;
        p = e + 1;
        lineno++;
        size_t q = 0;
        while (q < ll && is_ws(line[q])) q++;
        if (q == ll) continue;
        const char *src, *tgt;
        size_t sl, tl;
        const char *tab = memchr(line, '\t', ll);
        if (tab) {
            src = line;
            sl = (size_t)(tab - line);
            tgt = tab + 1;
            tl = ll - sl - 1;
        } else {
            size_t a = q;
            while (a < ll && !is_ws(line[a])) a++;
            src = line + q;
            sl = a - q;
            tgt = line + a;
            tl = ll - a;
            /* MUSE: exactly two words */
            size_t b = 0, words = 0;
            while (b < tl) {
                while (b < tl && is_ws(tgt[b])) b++;
                if (b < tl) words++;
                while (b < tl && !is_ws(tgt[b])) b++;
            }
            if (words != 1) {
                rc = xl_fail(err, XL_ERR_FORMAT, "%s:%zu: expected \"source<TAB>target\" or two words", name, lineno);
                break;
            }
        }
        int fail;
        size_t nk = normalise_phrase(src, sl, lowercase, &kb, err, &fail);
        if (fail) {
            rc = -1;
            break;
        }
        size_t nt = normalise_phrase(tgt, tl, false, &tb, err, &fail);
        if (fail) {
            rc = -1;
            break;
        }
        if (nk == 0 || nt == 0) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%zu: empty source or target", name, lineno);
            break;
        }
        int64_t k = xl_w2v_words_intern(&d->keys, kb.data, kb.len, NULL, err);
        int64_t t = k < 0 ? -1 : xl_w2v_words_intern(&d->targets, tb.data, tb.len, NULL, err);
        if (t < 0) {
            rc = -1;
            break;
        }
        /* merge duplicate (key, target) pairs */
        char pk[32];
        int pkl = snprintf(pk, sizeof pk, "%lld:%lld", (long long)k, (long long)t);
        bool added;
        if (xl_w2v_words_intern(&seen_pairs, pk, (size_t)pkl, &added, err) < 0) {
            rc = -1;
            break;
        }
        if (!added) continue;
        if (nk > d->max_phrase) d->max_phrase = nk;
        if (d->n_pairs == d->cap_pairs) {
            size_t cap = d->cap_pairs ? d->cap_pairs * 2 : 1024;
            uint32_t *a = xl_realloc(d->pair_key, cap, sizeof *a, err);
            if (!a) {
                rc = -1;
                break;
            }
            d->pair_key = a;
            uint32_t *b = xl_realloc(d->pair_tgt, cap, sizeof *b, err);
            if (!b) {
                rc = -1;
                break;
            }
            d->pair_tgt = b;
            d->cap_pairs = cap;
        }
        d->pair_key[d->n_pairs] = (uint32_t)k;
        d->pair_tgt[d->n_pairs++] = (uint32_t)t;
    }
    xl_buf_free(&kb);
    xl_buf_free(&tb);
    xl_w2v_words_free(&seen_pairs);
    if (rc == 0) rc = choose_first(d, err);
    if (rc < 0) {
        xl_dt_dict_free(d);
        return -1;
    }
    *out = d;
    return 0;
}

int xl_dt_dict_load(const char *path, bool lowercase, xl_dt_dict **out, xl_error *err)
{
    char *data;
    size_t len;
    if (xl_read_file_ex(path, XL_READ_MAX_TEXT, "XL_READ_MAX_TEXT", XL_TEXT_HEAD, xl_head_is_text,
                        &data, &len, err) < 0) return -1;
    int rc = xl_dt_dict_load_memory(data, len, path, lowercase, out, err);
    free(data);
    return rc;
}

int xl_dt_dict_set_counts(xl_dt_dict *d, const char *counts_path, xl_error *err)
{
    xl_w2v_words words;
    xl_w2v_words_init(&words);
    uint64_t *counts = NULL;
    size_t cap = 0;
    xl_lines r;
    if (xl_lines_open(&r, counts_path, err) < 0) return -1;
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (len == 0) continue;
        size_t sp = len;
        while (sp > 0 && !is_ws(line[sp - 1])) sp--;
        uint64_t c;
        xl_error e2;
        if (sp == 0 || xl_parse_u64(line + sp, len - sp, &c, &e2) < 0) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected \"word count\"", counts_path,
                         (unsigned long long)r.lineno);
            break;
        }
        size_t wl = sp;
        while (wl > 0 && is_ws(line[wl - 1])) wl--;
        bool added;
        int64_t id = xl_w2v_words_intern(&words, line, wl, &added, err);
        if (id < 0) {
            rc = -1;
            break;
        }
        size_t old_cap = cap;
        uint64_t *n = xl_array_reserve(counts, &cap, (size_t)id + 1, 4096, err);
        if (!n) {
            rc = -1;
            break;
        }
        memset(n + old_cap, 0, (cap - old_cap) * sizeof *n); /* counts of words not seen yet */
        counts = n;
        counts[id] += c;
    }
    xl_lines_close(&r);
    if (rc >= 0) {
        /* score of every target: min count over its words */
        uint64_t *score = xl_malloc((d->targets.n ? d->targets.n : 1) * sizeof *score, err);
        if (!score) rc = -1;
        for (size_t t = 0; rc >= 0 && t < d->targets.n; t++) {
            const char *s = xl_w2v_words_get(&d->targets, t);
            size_t l = d->targets.word_len[t], p = 0;
            uint64_t m = UINT64_MAX;
            while (p < l) {
                size_t q = p;
                while (q < l && s[q] != ' ') q++;
                int64_t id = xl_w2v_words_find(&words, s + p, q - p);
                uint64_t c = id >= 0 ? counts[id] : 0;
                if (c < m) m = c;
                p = q + 1;
            }
            score[t] = m == UINT64_MAX ? 0 : m;
        }
        if (rc >= 0 && choose_first(d, err) == 0) {
            for (size_t i = 0; i < d->n_pairs; i++) {
                uint32_t k = d->pair_key[i], t = d->pair_tgt[i];
                if (score[t] > score[d->best[k]]) d->best[k] = t;
            }
        } else {
            rc = -1;
        }
        free(score);
    }
    xl_w2v_words_free(&words);
    free(counts);
    return rc < 0 ? -1 : 0;
}

int xl_dt_dict_set_lm(xl_dt_dict *d, const xl_ngram_model *lm, xl_error *err)
{
    /* score of every target: min over its words of the unigram log10 p(w);
     * a word that is not a unigram of the model (id <unk>) scores -inf */
    float *score = xl_malloc((d->targets.n ? d->targets.n : 1) * sizeof *score, err);
    if (!score) return -1;
    for (size_t t = 0; t < d->targets.n; t++) {
        const char *s = xl_w2v_words_get(&d->targets, t);
        size_t l = d->targets.word_len[t], p = 0;
        float m = INFINITY;
        while (p < l) {
            size_t q = p;
            while (q < l && s[q] != ' ') q++;
            uint32_t id = xl_ngram_model_index(lm, s + p, q - p);
            float lp = -INFINITY;
            if (id != XL_NGRAM_UNK && !xl_ngram_model_lookup(lm, &id, 1, &lp, NULL)) lp = -INFINITY;
            if (lp < m) m = lp;
            p = q + 1;
        }
        score[t] = m == INFINITY ? -INFINITY : m;
    }
    if (choose_first(d, err) < 0) {
        free(score);
        return -1;
    }
    for (size_t i = 0; i < d->n_pairs; i++) {
        uint32_t k = d->pair_key[i], t = d->pair_tgt[i];
        if (score[t] > score[d->best[k]]) d->best[k] = t;
    }
    free(score);
    return 0;
}

int xl_dt_translate_line(const xl_dt_dict *d, const char *line, size_t len, bool drop_unknown, xl_buf *out, xl_dt_stats *stats,
                      xl_error *err)
{
    /* token boundaries */
    size_t cap = 64, n = 0;
    size_t *tb = malloc(cap * sizeof *tb), *te = malloc(cap * sizeof *te);
    xl_buf key;
    xl_buf_init(&key);
    int rc = -1;
    if (!tb || !te) {
        xl_fail(err, XL_ERR_NOMEM, "translate: out of memory");
        goto done;
    }
    for (size_t p = 0; p < len;) {
        while (p < len && is_ws(line[p])) p++;
        size_t q = p;
        while (q < len && !is_ws(line[q])) q++;
        if (q == p) break;
        if (n == cap) {
            cap *= 2;
            size_t *a = xl_realloc(tb, cap, sizeof *a, err);
            if (!a) goto done;
            tb = a;
            size_t *b = xl_realloc(te, cap, sizeof *b, err);
            if (!b) goto done;
            te = b;
        }
        tb[n] = p;
        te[n++] = q;
        p = q;
    }
    bool first = true;
    for (size_t i = 0; i < n;) {
        size_t maxn = d->max_phrase < n - i ? d->max_phrase : n - i;
        int64_t hit = -1;
        size_t used = 1;
        for (size_t m = maxn; m >= 1 && hit < 0; m--) {
            int fail;
            normalise_phrase(line + tb[i], te[i + m - 1] - tb[i], d->lowercase, &key, err, &fail);
            if (fail) goto done;
            int64_t k = xl_w2v_words_find(&d->keys, key.data ? key.data : "", key.len);
            if (k >= 0 && d->best[k] >= 0) {
                hit = d->best[k];
                used = m;
            }
        }
        if (stats) stats->tokens += used;
        if (hit >= 0) {
            if (stats) {
                stats->translated_tokens += used;
                stats->phrases += used > 1;
            }
            if ((!first && xl_buf_putc(out, ' ', err) < 0) ||
                xl_buf_append(out, xl_w2v_words_get(&d->targets, (size_t)hit), d->targets.word_len[hit], err) < 0)
                goto done;
            first = false;
        } else {
            if (stats) stats->unknown_tokens++;
            if (!drop_unknown) {
                if ((!first && xl_buf_putc(out, ' ', err) < 0) || xl_buf_append(out, line + tb[i], te[i] - tb[i], err) < 0)
                    goto done;
                first = false;
            }
        }
        i += used;
    }
    rc = 0;
done:
    free(tb), free(te);
    xl_buf_free(&key);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Code-switching (contract in dict_translate.h). */

static bool cs_is_word_cp(uint32_t cp)
{
    return XL_GC_IN(xl_uc_category(cp), XL_GC_MASK_L | XL_GC_MASK_M | XL_GC_MASK_N);
}

static bool cs_is_joiner(uint32_t cp) { return cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010 || cp == 0x2011; }

/* code point at s[p] (well-formed input; an ill-formed byte reads as U+FFFD of length 1+) */
static uint32_t cs_cp(const char *s, size_t len, size_t p, size_t *n)
{
    uint32_t cp;
    int k = xl_utf8_decode((const unsigned char *)s + p, len - p, &cp, NULL);
    *n = (size_t)(k < 0 ? -k : k);
    return cp;
}

/* the next word at or after *pos: [*b, *e); false when there is none */
static bool cs_next_word(const char *s, size_t len, size_t *pos, size_t *b, size_t *e)
{
    size_t p = *pos, n;
    while (p < len) {
        if (cs_is_word_cp(cs_cp(s, len, p, &n))) break;
        p += n;
    }
    if (p >= len) {
        *pos = len;
        return false;
    }
    *b = p;
    for (;;) {
        while (p < len) {
            if (!cs_is_word_cp(cs_cp(s, len, p, &n))) break;
            p += n;
        }
        if (p >= len) break;
        size_t jn;
        if (!cs_is_joiner(cs_cp(s, len, p, &jn)) || p + jn >= len || !cs_is_word_cp(cs_cp(s, len, p + jn, &n))) break;
        p += jn;
    }
    *e = *pos = p;
    return true;
}

/* hygiene: only letters, marks, digits, ' ', hyphens, apostrophes; <= 3 space-separated words */
static bool cs_side_clean(const char *s, size_t len)
{
    size_t words = 0, n;
    bool in_word = false;
    for (size_t p = 0; p < len; p += n) {
        uint32_t cp = cs_cp(s, len, p, &n);
        if (cp == ' ') {
            in_word = false;
            continue;
        }
        if (!cs_is_word_cp(cp) && !cs_is_joiner(cp)) return false;
        if (!in_word) words++;
        in_word = true;
    }
    return words >= 1 && words <= 3;
}

/* casefolded words of s[0..len) joined by one space into b; returns the word count */
static int cs_key(const char *s, size_t len, xl_buf *b, size_t *nwords, xl_error *err)
{
    xl_buf_clear(b);
    size_t pos = 0, wb, we, n = 0;
    while (cs_next_word(s, len, &pos, &wb, &we)) {
        if (n && xl_buf_putc(b, ' ', err) < 0) return -1;
        if (xl_uc_casefold_utf8(s + wb, we - wb, b, err) < 0) return -1;
        n++;
    }
    *nwords = n;
    return 0;
}

int xl_dt_dict_load_codeswitch_memory(const char *data, size_t len, const char *name, xl_dt_dict **out, size_t *skipped,
                                      xl_error *err)
{
    xl_dt_dict *d = xl_calloc(1, sizeof *d, err);
    if (!d) return -1;
    d->codeswitch = true;
    d->lowercase = true;
    xl_w2v_words_init(&d->keys);
    xl_w2v_words_init(&d->targets);
    xl_buf kb, tb;
    xl_buf_init(&kb);
    xl_buf_init(&tb);
    xl_w2v_words seen_pairs;
    xl_w2v_words_init(&seen_pairs);
    size_t lineno = 0, p = 0, n_skipped = 0;
    int rc = 0;
    while (p < len && rc == 0) {
        const char *nl = memchr(data + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - data) : len;
        const char *line = data + p;
        size_t ll = e - p;
        p = e + 1;
        lineno++;
        if (ll && line[ll - 1] == '\r') ll--;
        size_t q = 0;
        while (q < ll && is_ws(line[q])) q++;
        if (q == ll) continue;
        size_t bad;
        xl_utf8_status why;
        if (!xl_utf8_validate(line, ll, &bad, &why)) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%zu: invalid UTF-8 (%s) at byte %zu", name, lineno,
                         xl_utf8_status_name(why), bad + 1);
            break;
        }
        const char *src, *tgt;
        size_t sl, tl;
        const char *tab = memchr(line, '\t', ll);
        if (tab) {
            src = line;
            sl = (size_t)(tab - line);
            tgt = tab + 1;
            tl = ll - sl - 1;
        } else {
            size_t a = q;
            while (a < ll && !is_ws(line[a])) a++;
            src = line + q;
            sl = a - q;
            tgt = line + a;
            tl = ll - a;
        }
        int fail;
        size_t nt = normalise_phrase(tgt, tl, false, &tb, err, &fail);
        if (fail) {
            rc = -1;
            break;
        }
        size_t nk;
        if (cs_key(src, sl, &kb, &nk, err) < 0) {
            rc = -1;
            break;
        }
        if (nt == 0 || sl == 0) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%zu: empty source or target", name, lineno);
            break;
        }
        /* hygiene on both sides: the source as written (trimmed), the target as normalised */
        while (sl && is_ws(src[sl - 1])) sl--;
        while (sl && is_ws(src[0])) src++, sl--;
        if (nk == 0 || !cs_side_clean(src, sl) || !cs_side_clean(tb.data, tb.len)) {
            n_skipped++;
            continue;
        }
        int64_t k = xl_w2v_words_intern(&d->keys, kb.data, kb.len, NULL, err);
        int64_t t = k < 0 ? -1 : xl_w2v_words_intern(&d->targets, tb.data, tb.len, NULL, err);
        if (t < 0) {
            rc = -1;
            break;
        }
        char pk[48];
        int pkl = snprintf(pk, sizeof pk, "%lld:%lld", (long long)k, (long long)t);
        bool added;
        if (xl_w2v_words_intern(&seen_pairs, pk, (size_t)pkl, &added, err) < 0) {
            rc = -1;
            break;
        }
        if (!added) continue;
        if (nk > d->max_phrase) d->max_phrase = nk;
        if (d->n_pairs == d->cap_pairs) {
            size_t cap = d->cap_pairs ? d->cap_pairs * 2 : 1024;
            uint32_t *a = xl_realloc(d->pair_key, cap, sizeof *a, err);
            if (!a) {
                rc = -1;
                break;
            }
            d->pair_key = a;
            uint32_t *b = xl_realloc(d->pair_tgt, cap, sizeof *b, err);
            if (!b) {
                rc = -1;
                break;
            }
            d->pair_tgt = b;
            d->cap_pairs = cap;
        }
        d->pair_key[d->n_pairs] = (uint32_t)k;
        d->pair_tgt[d->n_pairs++] = (uint32_t)t;
    }
    xl_buf_free(&kb);
    xl_buf_free(&tb);
    xl_w2v_words_free(&seen_pairs);
    if (rc == 0) rc = choose_first(d, err);
    if (rc == 0) {
        /* counting sort of the pairs by key (stable: file order within a key) */
        d->cs_off = xl_calloc(d->keys.n + 1, sizeof *d->cs_off, err);
        d->cs_tgt = d->cs_off ? xl_malloc((d->n_pairs ? d->n_pairs : 1) * sizeof *d->cs_tgt, err) : NULL;
        uint32_t *fill = d->cs_tgt ? xl_calloc(d->keys.n + 1, sizeof *fill, err) : NULL;
        if (!fill) {
            rc = -1;
        } else {
            for (size_t i = 0; i < d->n_pairs; i++) d->cs_off[d->pair_key[i] + 1]++;
            for (size_t k = 0; k < d->keys.n; k++) d->cs_off[k + 1] += d->cs_off[k];
            for (size_t i = 0; i < d->n_pairs; i++) {
                uint32_t k = d->pair_key[i];
                d->cs_tgt[d->cs_off[k] + fill[k]++] = d->pair_tgt[i];
            }
            free(fill);
        }
    }
    if (rc < 0) {
        xl_dt_dict_free(d);
        return -1;
    }
    if (skipped) *skipped = n_skipped;
    *out = d;
    return 0;
}

int xl_dt_dict_load_codeswitch(const char *path, xl_dt_dict **out, size_t *skipped, xl_error *err)
{
    char *data;
    size_t len;
    if (xl_read_file_ex(path, XL_READ_MAX_TEXT, "XL_READ_MAX_TEXT", XL_TEXT_HEAD, xl_head_is_text, &data, &len, err) < 0)
        return -1;
    int rc = xl_dt_dict_load_codeswitch_memory(data, len, path, out, skipped, err);
    free(data);
    return rc;
}

/* WordNet morphy detachment rules (morph.c, WordNet 3.0): suffix -> ending */
typedef struct cs_rule {
    const char *suffix, *ending;
} cs_rule;
static const cs_rule cs_noun_rules[] = {{"s", ""},    {"ses", "s"}, {"xes", "x"}, {"zes", "z"},
                                        {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}};
static const cs_rule cs_verb_rules[] = {{"s", ""},  {"ies", "y"}, {"es", "e"},  {"es", ""},
                                        {"ed", "e"}, {"ed", ""},  {"ing", "e"}, {"ing", ""}};
static const cs_rule cs_adj_rules[] = {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}};

static bool cs_ends_with(const char *w, size_t wl, const char *suf, size_t sl) { return wl >= sl && memcmp(w + wl - sl, suf, sl) == 0; }

/* the key id of the first morphy base form of the folded word w that is in d, or -1 */
static int64_t cs_morphy(const xl_dt_dict *d, const char *w, size_t wl, xl_buf *tmp, xl_error *err, int *fail)
{
    static const struct {
        const cs_rule *rules;
        size_t n;
        bool noun;
    } pos[] = {{cs_noun_rules, sizeof cs_noun_rules / sizeof *cs_noun_rules, true},
               {cs_verb_rules, sizeof cs_verb_rules / sizeof *cs_verb_rules, false},
               {cs_adj_rules, sizeof cs_adj_rules / sizeof *cs_adj_rules, false}};
    *fail = 0;
    for (size_t p = 0; p < sizeof pos / sizeof *pos; p++) {
        if (pos[p].noun && (wl <= 2 || cs_ends_with(w, wl, "ss", 2))) continue; /* morph.c: nouns in -ss, short words */
        for (size_t r = 0; r < pos[p].n; r++) {
            size_t sl = strlen(pos[p].rules[r].suffix), el = strlen(pos[p].rules[r].ending);
            if (!cs_ends_with(w, wl, pos[p].rules[r].suffix, sl) || wl - sl + el == 0) continue;
            xl_buf_clear(tmp);
            if (xl_buf_append(tmp, w, wl - sl, err) < 0 || xl_buf_append(tmp, pos[p].rules[r].ending, el, err) < 0) {
                *fail = 1;
                return -1;
            }
            int64_t k = xl_w2v_words_find(&d->keys, tmp->data, tmp->len);
            if (k >= 0 && d->cs_off[k + 1] > d->cs_off[k]) return k;
        }
    }
    return -1;
}

int xl_dt_codeswitch_line(const xl_dt_dict *d, const xl_dt_cs_options *o, uint64_t lineno, const char *line, size_t len,
                          xl_buf *out, xl_dt_cs_stats *stats, xl_error *err)
{
    if (!d->codeswitch) return xl_fail(err, XL_ERR_USAGE, "code-switch: the dictionary was not loaded for code-switching");
    size_t bad;
    xl_utf8_status why;
    if (!xl_utf8_validate(line, len, &bad, &why))
        return xl_fail(err, XL_ERR_FORMAT, "invalid UTF-8 (%s) at byte %zu", xl_utf8_status_name(why), bad + 1);
    size_t out_start = out->len;
    /* words: spans [wb, we) of the line, folded forms [fb, fe) of `folded` */
    size_t cap = 0, n = 0;
    size_t *wb = NULL, *we = NULL, *fb = NULL, *fe = NULL;
    xl_buf folded, key, tmp;
    xl_buf_init(&folded);
    xl_buf_init(&key);
    xl_buf_init(&tmp);
    int rc = -1;
    size_t pos = 0, b, e;
    while (cs_next_word(line, len, &pos, &b, &e)) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 32;
            size_t *a1 = xl_realloc(wb, nc, sizeof *a1, err);
            if (!a1) goto done;
            wb = a1;
            size_t *a2 = xl_realloc(we, nc, sizeof *a2, err);
            if (!a2) goto done;
            we = a2;
            size_t *a3 = xl_realloc(fb, nc, sizeof *a3, err);
            if (!a3) goto done;
            fb = a3;
            size_t *a4 = xl_realloc(fe, nc, sizeof *a4, err);
            if (!a4) goto done;
            fe = a4;
            cap = nc;
        }
        wb[n] = b;
        we[n] = e;
        fb[n] = folded.len;
        if (xl_uc_casefold_utf8(line + b, e - b, &folded, err) < 0) goto done;
        fe[n++] = folded.len;
    }
    xl_rng rng;
    xl_rng_seed(&rng, o->seed, lineno);
    size_t copied = 0, words_switched = 0, units = 0, switched = 0, morph = 0;
    for (size_t i = 0; i < n;) {
        /* the longest run of words i.. separated by exactly one space */
        size_t maxm = 1;
        while (maxm < d->max_phrase && i + maxm < n && we[i + maxm - 1] + 1 == wb[i + maxm] && line[we[i + maxm - 1]] == ' ')
            maxm++;
        int64_t hit = -1;
        size_t used = 1;
        for (size_t m = maxm; m >= 1 && hit < 0; m--) {
            xl_buf_clear(&key);
            for (size_t j = i; j < i + m; j++)
                if ((j > i && xl_buf_putc(&key, ' ', err) < 0) || xl_buf_append(&key, folded.data + fb[j], fe[j] - fb[j], err) < 0)
                    goto done;
            int64_t k = xl_w2v_words_find(&d->keys, key.data ? key.data : "", key.len);
            if (k >= 0 && d->cs_off[k + 1] > d->cs_off[k]) {
                hit = k;
                used = m;
            }
        }
        if (hit < 0 && o->morph_en) {
            int fail;
            hit = cs_morphy(d, folded.data + fb[i], fe[i] - fb[i], &tmp, err, &fail);
            if (fail) goto done;
            if (hit >= 0) morph++;
        }
        if (hit >= 0) {
            units++;
            if (xl_rng_double(&rng) < o->p) {
                uint32_t first = d->cs_off[hit], cnt = d->cs_off[hit + 1] - first;
                uint32_t t = d->cs_tgt[first + (cnt > 1 ? xl_rng_below(&rng, cnt) : 0)];
                if (xl_buf_append(out, line + copied, wb[i] - copied, err) < 0 ||
                    xl_buf_append(out, xl_w2v_words_get(&d->targets, t), d->targets.word_len[t], err) < 0)
                    goto done;
                copied = we[i + used - 1];
                switched++;
                words_switched += used;
            }
        }
        i += used;
    }
    if (xl_buf_append(out, line + copied, len - copied, err) < 0) goto done;
    bool emptied = o->min_switched > 0 && (n == 0 || (double)words_switched < o->min_switched * (double)n);
    if (emptied) out->len = out_start;
    if (out->data) out->data[out->len] = '\0';
    if (stats) {
        stats->lines++;
        stats->words += n;
        stats->units += units;
        stats->units_switched += switched;
        stats->words_switched += words_switched;
        stats->lines_emptied += emptied;
        stats->morph_hits += morph;
    }
    rc = 0;
done:
    free(wb), free(we), free(fb), free(fe);
    xl_buf_free(&folded);
    xl_buf_free(&key);
    xl_buf_free(&tmp);
    return rc;
}
