/* langid_train.c - training of the naive Bayes language identifier
 * (langid.h): counting hashed code-point n-grams per language, feature
 * selection, Dirichlet smoothing, quantisation, temperature calibration and
 * writing the model file (layout: docs/langid.md). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "langid.h"
#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_io.h"
#include "xl_unicode.h"

void xl_langid_train_defaults(xl_langid_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_order = 5;
    o->n_features = 45000;
    o->candidates = 8000;
    o->mu = 400;
    o->lambda = 0.03;
    o->script_weight = 1.0;
    o->refine_lines = 2000;
    o->refine_margin = 1.0;
    o->refine_steps_per_quantum = 1;
    o->filter_prob = 0.9;
}

static void logf_(const xl_langid_train_options *o, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void logf_(const xl_langid_train_options *o, const char *fmt, ...)
{
    if (!o->verbose || !o->log) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->log(o->log_ctx, msg);
}

/* ------------------------------------------------------------------------ */
/* Count table: open addressing, key -> count (count 0 = empty slot). */
typedef struct counts {
    uint32_t *keys, *vals;
    size_t cap, used;
} counts;

static int counts_grow(counts *t, xl_error *err)
{
    size_t cap = t->cap ? t->cap * 2 : 4096;
    uint32_t *k = xl_calloc(cap, sizeof *k, err), *v = xl_calloc(cap, sizeof *v, err);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->vals[i]) continue;
        size_t s = t->keys[i] & (cap - 1);
        while (v[s]) s = (s + 1) & (cap - 1);
        k[s] = t->keys[i];
        v[s] = t->vals[i];
    }
    free(t->keys);
    free(t->vals);
    t->keys = k;
    t->vals = v;
    t->cap = cap;
    return 0;
}

static uint32_t counts_get(const counts *t, uint32_t key)
{
    if (!t->cap) return 0;
    for (size_t s = key & (t->cap - 1);; s = (s + 1) & (t->cap - 1)) {
        if (!t->vals[s]) return 0;
        if (t->keys[s] == key) return t->vals[s];
    }
}

static void counts_free(counts *t)
{
    free(t->keys);
    free(t->vals);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------------ */
typedef struct refine_line {
    uint32_t hash;
    uint32_t len;
    char *text;
} refine_line;

typedef struct lang_data {
    char tag[XL_LANGID_NAME_LEN];
    counts ngrams;
    uint64_t n_tokens;   /* n-gram occurrences */
    uint64_t n_chars;    /* letters kept */
    uint64_t n_lines, n_dropped;
    uint64_t n_filtered; /* lines the filter model gives to another language (--filter-model) */
    int filter_lang;     /* the language's index in the filter model, -1 = unknown to it (never filtered) */
    uint64_t *script_letters; /* [XL_SC_COUNT] */
    bool has_allowed;
    bool *allowed;       /* [XL_SC_COUNT] */
    /* lines kept for the refinement: the refine_lines with the smallest hashes (a seeded-free,
     * order-independent sample), buffer of up to 2 refine_lines before pruning */
    struct refine_line *refine;
    size_t n_refine, cap_refine;
    uint32_t refine_limit; /* lines hashing at or above this are not kept */
} lang_data;

typedef struct trainer {
    lang_data *langs;
    size_t n_langs;
    const xl_langid_train_options *o;
    xl_error *err;
    counts *target; /* table being filled by the n-gram callback */
    counts chars;   /* unigram (single character) keys over all languages */
    int failed;
    xl_langid *filter;        /* --filter-model, or NULL */
    xl_langid_ws *filter_ws;
} trainer;

static int find_or_add_lang(trainer *t, const char *tag, size_t len, bool create, xl_error *err)
{
    for (size_t i = 0; i < t->n_langs; i++)
        if (strlen(t->langs[i].tag) == len && memcmp(t->langs[i].tag, tag, len) == 0) return (int)i;
    if (!create) return -1;
    if (len == 0 || len >= XL_LANGID_NAME_LEN) return xl_fail(err, XL_ERR_FORMAT, "language tag of %zu bytes", len);
    for (size_t i = 0; i < len; i++) {
        char c = tag[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return xl_fail(err, XL_ERR_FORMAT, "language tag '%.*s': only letters, digits, '-' and '_' allowed",
                           (int)len, tag);
    }
    if (t->n_langs >= XL_LANGID_MAX_LANGS)
        return xl_fail(err, XL_ERR_LIMIT, "more than %d languages", XL_LANGID_MAX_LANGS);
    lang_data *p = xl_realloc(t->langs, t->n_langs + 1, sizeof *p, err);
    if (!p) return -1;
    t->langs = p;
    lang_data *l = &t->langs[t->n_langs];
    memset(l, 0, sizeof *l);
    memcpy(l->tag, tag, len);
    l->script_letters = xl_calloc(XL_SC_COUNT, sizeof *l->script_letters, err);
    l->allowed = xl_calloc(XL_SC_COUNT, sizeof *l->allowed, err);
    l->refine_limit = UINT32_MAX;
    l->filter_lang = -1;
    if (t->filter) {
        char base[XL_LANGID_NAME_LEN];
        xl_langid_tag_language(l->tag, base);
        l->filter_lang = xl_langid_lang_index(t->filter, base);
    }
    if (!l->script_letters || !l->allowed) {
        free(l->script_letters);
        free(l->allowed);
        return -1;
    }
    return (int)t->n_langs++;
}

static void free_langs(trainer *t)
{
    for (size_t i = 0; i < t->n_langs; i++) {
        counts_free(&t->langs[i].ngrams);
        free(t->langs[i].script_letters);
        free(t->langs[i].allowed);
        for (size_t j = 0; j < t->langs[i].n_refine; j++) free(t->langs[i].refine[j].text);
        free(t->langs[i].refine);
    }
    free(t->langs);
    t->langs = NULL;
    t->n_langs = 0;
    counts_free(&t->chars);
}

static void count_ngram(uint32_t key, void *ctx)
{
    trainer *t = ctx;
    counts *c = t->target;
    if (t->failed) return;
    if ((c->used + 1) * 2 > c->cap && counts_grow(c, t->err) < 0) {
        t->failed = 1;
        return;
    }
    size_t s = key & (c->cap - 1);
    while (c->vals[s] && c->keys[s] != key) s = (s + 1) & (c->cap - 1);
    if (!c->vals[s]) {
        c->keys[s] = key;
        c->used++;
    }
    if (c->vals[s] < UINT32_MAX) c->vals[s]++;
}

static bool is_letter(uint32_t cp) { return XL_GC_IN(xl_uc_category(cp), XL_GC_MASK_L); }

static bool real_script(xl_uc_script sc) { return sc != XL_SC_COMMON && sc != XL_SC_INHERITED && sc != XL_SC_UNKNOWN; }

/* Restrict units to the allowed scripts of the language: returns false when
 * fewer than half of the script letters are allowed (the line is dropped),
 * otherwise turns letters of other scripts (with their marks) into
 * boundaries. */
static bool filter_scripts(xl_langid_units *u, const lang_data *l)
{
    if (!l->has_allowed) return true;
    size_t ok = 0, other = 0;
    for (size_t i = 0; i < u->len; i++) {
        if (!is_letter(u->cps[i])) continue;
        xl_uc_script sc = xl_uc_script_of(u->cps[i]);
        if (!real_script(sc)) continue;
        if (l->allowed[sc]) ok++;
        else other++;
    }
    if (ok == 0 || other > ok) return false;
    if (other == 0) return true;
    size_t n = 0;
    bool dropping = false;
    u->n_letters = 0;
    for (size_t i = 0; i < u->len; i++) {
        uint32_t cp = u->cps[i];
        if (cp != ' ' && is_letter(cp)) {
            xl_uc_script sc = xl_uc_script_of(cp);
            dropping = real_script(sc) && !l->allowed[sc];
        } else if (cp == ' ') {
            dropping = false;
        }
        if (cp == ' ' || dropping) {
            if (n > 0 && u->cps[n - 1] != ' ') u->cps[n++] = ' ';
            else if (n == 0) u->cps[n++] = ' ';
            continue;
        }
        u->cps[n++] = cp;
        u->n_letters++;
    }
    if (n == 1) n = 0;
    u->len = n;
    return n > 0;
}

static int read_scripts(trainer *t, const char *path, xl_error *err)
{
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (len == 0 || line[0] == '#') continue;
        const char *tab = memchr(line, '\t', len);
        if (!tab) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected 'lang<TAB>Script,Script'", path,
                         (unsigned long long)r.lineno);
            break;
        }
        int li = find_or_add_lang(t, line, (size_t)(tab - line), true, err);
        if (li < 0) {
            rc = xl_error_prefix(err, "%s:%llu", path, (unsigned long long)r.lineno);
            break;
        }
        lang_data *l = &t->langs[li];
        const char *p = tab + 1, *end = line + len;
        while (p < end) {
            const char *c = memchr(p, ',', (size_t)(end - p));
            if (!c) c = end;
            char name[64];
            size_t n = (size_t)(c - p);
            if (n == 0 || n >= sizeof name) {
                rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty or overlong script name", path,
                             (unsigned long long)r.lineno);
                break;
            }
            memcpy(name, p, n);
            name[n] = '\0';
            int sc = xl_uc_script_from_name(name);
            if (sc < 0) {
                rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: unknown script '%s'", path, (unsigned long long)r.lineno,
                             name);
                break;
            }
            l->allowed[sc] = true;
            l->has_allowed = true;
            p = c + 1;
        }
        if (rc < 0) break;
    }
    xl_lines_close(&r);
    return rc < 0 ? -1 : 0;
}

static int cmp_refine(const void *a, const void *b)
{
    const refine_line *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return memcmp(x->text, y->text, x->len);
}

/* Keep the `keep` lines of a language with the smallest FNV-1a hashes (ties by text): the same sample
 * whatever the order of the training file. */
static void prune_refine(lang_data *l, size_t keep)
{
    qsort(l->refine, l->n_refine, sizeof *l->refine, cmp_refine);
    if (l->n_refine <= keep) return;
    for (size_t j = keep; j < l->n_refine; j++) free(l->refine[j].text);
    l->n_refine = keep;
    l->refine_limit = l->refine[keep - 1].hash;
}

static int keep_refine_line(lang_data *l, const char *text, size_t len, size_t keep, xl_error *err)
{
    if (keep == 0 || len > UINT32_MAX) return 0;
    uint32_t h = xl_fnv1a32(text, len);
    if (h > l->refine_limit) return 0;
    if (l->n_refine == 2 * keep) prune_refine(l, keep);
    if (h > l->refine_limit) return 0;
    refine_line *p = xl_array_reserve(l->refine, &l->cap_refine, l->n_refine + 1, 256, err);
    if (!p) return -1;
    l->refine = p;
    char *c = xl_malloc(len ? len : 1, err);
    if (!c) return -1;
    memcpy(c, text, len);
    l->refine[l->n_refine++] = (refine_line){h, (uint32_t)len, c};
    return 0;
}

/* --filter-model: *drop when the filter model gives the text to a language other than the label's with
 * probability > filter_prob (a mislabelled line: e.g. untranslated Russian in a Kyrgyz catalogue).
 * Only called for labels whose language the filter model knows. */
static int filter_line(trainer *t, const lang_data *l, const char *text, size_t len, bool *drop, xl_error *err)
{
    xl_langid_result top;
    size_t n = xl_langid_classify(t->filter, t->filter_ws, text, len, 0.0, &top, 1, err);
    if (n == 0) return -1;
    *drop = top.lang != XL_LANGID_UND && top.lang != l->filter_lang && top.prob > t->o->filter_prob;
    return 0;
}

static int read_training(trainer *t, const char *path, xl_error *err)
{
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    xl_langid_units u = {0};
    const char *line;
    size_t len;
    int rc;
    uint64_t total = 0;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (len == 0) continue;
        const char *tab = memchr(line, '\t', len);
        if (!tab) {
            rc = xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected 'lang<TAB>text'", path, (unsigned long long)r.lineno);
            break;
        }
        int li = find_or_add_lang(t, line, (size_t)(tab - line), true, err);
        if (li < 0) {
            rc = xl_error_prefix(err, "%s:%llu", path, (unsigned long long)r.lineno);
            break;
        }
        lang_data *l = &t->langs[li];
        if (t->o->max_chars_per_lang && l->n_chars >= t->o->max_chars_per_lang) continue;
        const char *text = tab + 1;
        if (l->filter_lang >= 0) {
            bool drop;
            if (filter_line(t, l, text, (size_t)(line + len - text), &drop, err) < 0) {
                rc = xl_error_prefix(err, "%s:%llu", path, (unsigned long long)r.lineno);
                break;
            }
            if (drop) {
                l->n_filtered++;
                continue;
            }
        }
        if (xl_langid_units_from_text(text, (size_t)(line + len - text), &u, err) < 0) {
            rc = -1;
            break;
        }
        if (u.len == 0) continue;
        if (!filter_scripts(&u, l)) {
            l->n_dropped++;
            continue;
        }
        t->target = &l->ngrams;
        xl_langid_each_ngram(&u, t->o->max_order, count_ngram, t);
        t->target = &t->chars;
        for (size_t i = 0; i < u.len; i++) {
            uint32_t cp = u.cps[i];
            if (cp == ' ') continue;
            count_ngram(xl_langid_hash(&u.cps[i], 1), t);
            if (is_letter(cp)) {
                xl_uc_script sc = xl_uc_script_of(cp);
                if (real_script(sc)) l->script_letters[sc]++;
            }
        }
        if (t->failed) {
            rc = -1;
            break;
        }
        /* n-gram occurrences of this line */
        for (unsigned n = 1; n <= t->o->max_order; n++)
            if (u.len >= n) l->n_tokens += u.len - n + 1;
        for (size_t i = 0; i < u.len; i++) l->n_tokens -= u.cps[i] == ' '; /* lone " " unigrams are skipped */
        l->n_chars += u.n_letters;
        l->n_lines++;
        if (t->o->refine_epochs &&
            keep_refine_line(l, text, (size_t)(line + len - text), t->o->refine_lines, err) < 0) {
            rc = -1;
            break;
        }
        if (++total % 200000 == 0) logf_(t->o, "read %llu lines", (unsigned long long)total);
    }
    xl_langid_units_free(&u);
    xl_lines_close(&r);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Feature selection */

typedef struct kv {
    uint32_t key;
    double val;
} kv;

static int cmp_kv_desc(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    if (x->val != y->val) return x->val < y->val ? 1 : -1;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Candidate index: key -> row. */
typedef struct keyset {
    uint32_t *keys;
    uint32_t *slots; /* row + 1 */
    size_t n, cap, n_slots;
} keyset;

static long keyset_find(const keyset *k, uint32_t key)
{
    if (!k->n_slots) return -1;
    for (size_t s = key & (k->n_slots - 1);; s = (s + 1) & (k->n_slots - 1)) {
        if (!k->slots[s]) return -1;
        if (k->keys[k->slots[s] - 1] == key) return (long)k->slots[s] - 1;
    }
}

static int keyset_add(keyset *k, uint32_t key, xl_error *err)
{
    if (keyset_find(k, key) >= 0) return 0;
    if ((k->n + 1) * 2 > k->n_slots) {
        size_t ns = k->n_slots ? k->n_slots * 2 : 65536;
        uint32_t *slots = xl_calloc(ns, sizeof *slots, err);
        if (!slots) return -1;
        for (size_t i = 0; i < k->n; i++) {
            size_t s = k->keys[i] & (ns - 1);
            while (slots[s]) s = (s + 1) & (ns - 1);
            slots[s] = (uint32_t)i + 1;
        }
        free(k->slots);
        k->slots = slots;
        k->n_slots = ns;
    }
    uint32_t *p = xl_array_reserve(k->keys, &k->cap, k->n + 1, 65536, err);
    if (!p) return -1;
    k->keys = p;
    k->keys[k->n] = key;
    size_t s = key & (k->n_slots - 1);
    while (k->slots[s]) s = (s + 1) & (k->n_slots - 1);
    k->slots[s] = (uint32_t)++k->n;
    return 0;
}

static void keyset_free(keyset *k)
{
    free(k->keys);
    free(k->slots);
    memset(k, 0, sizeof *k);
}

#define CHAR_MIN_COUNT 3

/* Choose the features: all characters seen CHAR_MIN_COUNT times (up to half
 * the budget), then per language its `candidates` most frequent n-grams;
 * then per language the candidates ranked by their contribution to the KL
 * divergence from the other languages, p(f|l) log(p(f|l) / mean_{l'!=l}
 * p(f|l')) (with neighbour_features also a second ranking against the closest
 * other language, max_{l'} p(f|l') in place of the mean); features are taken
 * round-robin over languages (and rankings) by rank until n_features are
 * chosen.  Returns the sorted keys. */
static int select_features(trainer *t, uint32_t **out_keys, size_t *out_n, xl_error *err)
{
    const xl_langid_train_options *o = t->o;
    size_t L = t->n_langs;
    keyset cand = {0};
    kv *tmp = NULL;
    double *p = NULL;
    uint32_t **ranked = NULL;
    size_t *n_ranked = NULL;
    uint32_t *chosen = NULL;
    size_t *lang_of = NULL;
    keyset chosen_set = {0};
    int rc = -1;
    for (size_t l = 0; l < L; l++) {
        const counts *c = &t->langs[l].ngrams;
        kv *q = xl_realloc(tmp, c->used ? c->used : 1, sizeof *q, err);
        if (!q) goto done;
        tmp = q;
        size_t n = 0;
        for (size_t i = 0; i < c->cap; i++)
            if (c->vals[i]) tmp[n++] = (kv){c->keys[i], (double)c->vals[i]};
        qsort(tmp, n, sizeof *tmp, cmp_kv_desc);
        if (n > o->candidates) n = o->candidates;
        for (size_t i = 0; i < n; i++)
            if (keyset_add(&cand, tmp[i].key, err) < 0) goto done;
    }
    size_t C = cand.n;
    logf_(o, "%zu candidate features from %zu languages", C, L);
    size_t pc;
    if (!xl_mul_size(C, L, &pc)) {
        xl_fail(err, XL_ERR_NOMEM, "candidate matrix too large");
        goto done;
    }
    p = xl_malloc(pc * sizeof *p, err);
    ranked = xl_calloc(2 * L, sizeof *ranked, err);
    n_ranked = xl_calloc(2 * L, sizeof *n_ranked, err);
    kv *q = xl_realloc(tmp, C ? C : 1, sizeof *q, err);
    if (!p || !ranked || !n_ranked || !q) goto done;
    tmp = q;
    for (size_t f = 0; f < C; f++)
        for (size_t l = 0; l < L; l++) {
            double tok = (double)(t->langs[l].n_tokens ? t->langs[l].n_tokens : 1);
            p[f * L + l] = counts_get(&t->langs[l].ngrams, cand.keys[f]) / tok;
        }
    /* lang_of[l]: the language of class l (domain classes "es_2" count as "es": never each other's
     * competitors in the neighbour ranking) */
    lang_of = xl_malloc(L * sizeof *lang_of, err);
    if (!lang_of) goto done;
    for (size_t l = 0; l < L; l++) {
        char base[XL_LANGID_NAME_LEN], other[XL_LANGID_NAME_LEN];
        xl_langid_tag_language(t->langs[l].tag, base);
        lang_of[l] = l;
        for (size_t k = 0; k < l; k++) {
            xl_langid_tag_language(t->langs[k].tag, other);
            if (strcmp(base, other) == 0) {
                lang_of[l] = lang_of[k];
                break;
            }
        }
    }
    size_t n_rankings = o->neighbour_features ? 2 : 1;
    for (size_t r = 0; r < n_rankings; r++)
        for (size_t l = 0; l < L; l++) {
            size_t n = 0;
            for (size_t f = 0; f < C; f++) {
                double pl = p[f * L + l];
                if (pl <= 0) continue;
                double other;
                if (r == 0) { /* against the mean of the other languages */
                    double sum = 0;
                    for (size_t k = 0; k < L; k++) sum += p[f * L + k];
                    other = L > 1 ? (sum - pl) / (double)(L - 1) : 0;
                } else { /* against the closest other language: what tells neighbours apart */
                    other = 0;
                    for (size_t k = 0; k < L; k++)
                        if (lang_of[k] != lang_of[l] && p[f * L + k] > other) other = p[f * L + k];
                }
                double score = pl * log((pl + 1e-7) / (other + 1e-7));
                if (score > 0) tmp[n++] = (kv){cand.keys[f], score};
            }
            qsort(tmp, n, sizeof *tmp, cmp_kv_desc);
            size_t i0 = r * L + l;
            ranked[i0] = xl_malloc((n ? n : 1) * sizeof(uint32_t), err);
            if (!ranked[i0]) goto done;
            for (size_t i = 0; i < n; i++) ranked[i0][i] = tmp[i].key;
            n_ranked[i0] = n;
        }
    size_t want = o->n_features, got = 0;
    chosen = xl_malloc((want ? want : 1) * sizeof *chosen, err);
    if (!chosen) goto done;
    /* Every character seen at least CHAR_MIN_COUNT times is a feature: scripts
     * with thousands of characters (Han, Hangul) need their single
     * characters (e.g. simplified 权 vs traditional 權), which a per-language
     * round robin over 1..5-grams would mostly leave out. */
    {
        kv *ch = xl_malloc((t->chars.used ? t->chars.used : 1) * sizeof *ch, err);
        if (!ch) goto done;
        size_t nc = 0;
        for (size_t i = 0; i < t->chars.cap; i++)
            if (t->chars.vals[i] >= CHAR_MIN_COUNT) ch[nc++] = (kv){t->chars.keys[i], (double)t->chars.vals[i]};
        qsort(ch, nc, sizeof *ch, cmp_kv_desc);
        for (size_t i = 0; i < nc && got < want / 2; i++) {
            if (keyset_add(&chosen_set, ch[i].key, err) < 0) {
                free(ch);
                goto done;
            }
            chosen[got++] = ch[i].key;
        }
        logf_(o, "%zu single characters seen >= %d times kept as features", got, CHAR_MIN_COUNT);
        free(ch);
    }
    /* round robin over languages (and, with neighbour_features, over the two rankings of each) */
    for (size_t rank = 0; got < want; rank++) {
        bool any = false;
        for (size_t l = 0; l < L && got < want; l++)
            for (size_t r = 0; r < n_rankings && got < want; r++) {
                size_t i0 = r * L + l;
                if (rank >= n_ranked[i0]) continue;
                any = true;
                uint32_t key = ranked[i0][rank];
                if (keyset_find(&chosen_set, key) >= 0) continue;
                if (keyset_add(&chosen_set, key, err) < 0) goto done;
                chosen[got++] = key;
            }
        if (!any) break;
    }
    qsort(chosen, got, sizeof *chosen, cmp_u32);
    *out_keys = chosen;
    *out_n = got;
    chosen = NULL;
    rc = 0;
done:
    keyset_free(&cand);
    keyset_free(&chosen_set);
    free(tmp);
    free(p);
    if (ranked)
        for (size_t l = 0; l < 2 * L; l++) free(ranked[l]);
    free(lang_of);
    free(ranked);
    free(n_ranked);
    free(chosen);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Model image */

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_u32(p, u);
}


static const uint32_t BUCKET_UPPER[] = {3, 7, 15, 31, 63, 127, UINT32_MAX};
#define N_BUCKETS (sizeof BUCKET_UPPER / sizeof BUCKET_UPPER[0])

typedef struct image {
    unsigned char *data;
    size_t size;
    size_t temp_offset; /* where the temperatures start */
} image;

static int build_image(trainer *t, const uint32_t *keys, size_t F, image *img, xl_error *err)
{
    const xl_langid_train_options *o = t->o;
    size_t L = t->n_langs;
    /* scripts used by any language */
    int script_ids[XL_SC_COUNT];
    size_t S = 0;
    for (int sc = 0; sc < XL_SC_COUNT; sc++) {
        bool used = false;
        for (size_t l = 0; l < L; l++)
            if (t->langs[l].script_letters[sc]) used = true;
        if (used && S < XL_LANGID_MAX_SCRIPTS) script_ids[S++] = sc;
    }
    size_t size = 48 + L * XL_LANGID_NAME_LEN + S * 4 + L * (S + 1) * 4 + N_BUCKETS * 8 + F * 4 + F * L + 4;
    unsigned char *d = xl_calloc(size, 1, err);
    double *logp = xl_malloc((F ? F : 1) * L * sizeof *logp, err);
    double *bg = xl_calloc(F ? F : 1, sizeof *bg, err);
    double *tot = xl_calloc(L, sizeof *tot, err);
    if (!d || !logp || !bg || !tot) {
        free(d);
        free(logp);
        free(bg);
        free(tot);
        return -1;
    }
    /* Dirichlet smoothing over the selected features:
     * P(f|l) = (c(f,l) + mu B(f)) / (C_l + mu),  B(f) = mean_l c(f,l) / C_l */
    for (size_t f = 0; f < F; f++)
        for (size_t l = 0; l < L; l++) {
            double c = counts_get(&t->langs[l].ngrams, keys[f]);
            logp[f * L + l] = c;
            tot[l] += c;
        }
    for (size_t f = 0; f < F; f++) {
        for (size_t l = 0; l < L; l++) bg[f] += tot[l] > 0 ? logp[f * L + l] / tot[l] : 0;
        bg[f] /= (double)L;
    }
    double lo = 0, hi = -INFINITY;
    for (size_t f = 0; f < F; f++)
        for (size_t l = 0; l < L; l++) {
            double v = o->lambda > 0 ? log((1 - o->lambda) * (tot[l] > 0 ? logp[f * L + l] / tot[l] : 0) +
                                           o->lambda * bg[f])
                                     : log((logp[f * L + l] + o->mu * bg[f]) / (tot[l] + o->mu));
            if (!(v > -60)) v = -60;
            logp[f * L + l] = v;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
    if (hi > 0) hi = 0;
    if (hi <= lo) hi = lo + 1;
    float q_step = (float)((hi - lo) / 255.0);
    float q_min = (float)lo;
    memcpy(d, XL_LANGID_MAGIC, 8);
    put_u32(d + 8, XL_LANGID_VERSION);
    put_u32(d + 12, (uint32_t)L);
    put_u32(d + 16, (uint32_t)F);
    put_u32(d + 20, o->max_order);
    put_u32(d + 24, (uint32_t)S);
    put_u32(d + 28, (uint32_t)N_BUCKETS);
    put_f32(d + 32, q_min);
    put_f32(d + 36, q_step);
    put_f32(d + 40, (float)o->script_weight);
    put_u32(d + 44, 0);
    size_t pos = 48;
    for (size_t l = 0; l < L; l++, pos += XL_LANGID_NAME_LEN) memcpy(d + pos, t->langs[l].tag, strlen(t->langs[l].tag));
    for (size_t s = 0; s < S; s++, pos += 4) memcpy(d + pos, xl_uc_script_code((xl_uc_script)script_ids[s]), 4);
    for (size_t l = 0; l < L; l++) {
        /* P(script|l) = (1-eps) n(s,l)/n_l + eps/(S+1): the same floor for every
         * language, so the penalty for a foreign script does not depend on the
         * amount of training text; column S = any other script */
        uint64_t n = 0;
        for (size_t s = 0; s < S; s++) n += t->langs[l].script_letters[script_ids[s]];
        const double eps = 1e-3;
        for (size_t s = 0; s <= S; s++, pos += 4) {
            double c = s < S ? (double)t->langs[l].script_letters[script_ids[s]] : 0;
            double v = log((1 - eps) * (n ? c / (double)n : 0) + eps / (double)(S + 1));
            if (v < -99) v = -99;
            put_f32(d + pos, (float)v);
        }
    }
    for (size_t b = 0; b < N_BUCKETS; b++, pos += 4) put_u32(d + pos, BUCKET_UPPER[b]);
    img->temp_offset = pos;
    for (size_t b = 0; b < N_BUCKETS; b++, pos += 4) put_f32(d + pos, 1.0f);
    for (size_t f = 0; f < F; f++, pos += 4) put_u32(d + pos, keys[f]);
    for (size_t f = 0; f < F; f++)
        for (size_t l = 0; l < L; l++) {
            double q = floor((logp[f * L + l] - lo) / q_step + 0.5);
            if (q < 0) q = 0;
            if (q > 255) q = 255;
            d[pos++] = (unsigned char)q;
        }
    put_u32(d + pos, xl_fnv1a32(d, pos));
    pos += 4;
    free(logp);
    free(bg);
    free(tot);
    if (pos != size) {
        free(d);
        return xl_fail(err, XL_ERR_GENERIC, "langid-train: internal size mismatch");
    }
    img->data = d;
    img->size = size;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Discriminative refinement: a perceptron (Collins 2002) on the quantised naive Bayes table, over a
 * sample of the training lines of every class, taken round robin over the classes (the same number of
 * steps for every class in turn, so that no class's updates come in one block).  Neighbouring languages
 * share most frequent n-grams; naive Bayes weighs them by frequency, the perceptron moves weight to the
 * n-grams that separate the lines it gets wrong (or right by less than the margin). */
static int refine(trainer *t, image *img, size_t F, xl_error *err)
{
    const xl_langid_train_options *o = t->o;
    xl_langid *m = NULL;
    if (xl_langid_load_memory(img->data, img->size, "trained model", &m, err) < 0) return -1;
    xl_langid_ws *ws = xl_langid_ws_new(m, err);
    size_t L = t->n_langs, max_n = 0;
    int *cls = xl_malloc(L * sizeof *cls, err);
    int rc = -1;
    if (!ws || !cls) goto done;
    for (size_t l = 0; l < L; l++) {
        prune_refine(&t->langs[l], o->refine_lines);
        cls[l] = xl_langid_class_index(m, t->langs[l].tag);
        if (cls[l] < 0) {
            xl_fail(err, XL_ERR_GENERIC, "langid-train: class '%s' missing from the model", t->langs[l].tag);
            goto done;
        }
        if (t->langs[l].n_refine > max_n) max_n = t->langs[l].n_refine;
    }
    if (o->refine_average && xl_langid_perceptron_average_begin(m, err) < 0) goto done;
    for (unsigned e = 0; e < o->refine_epochs; e++) {
        size_t steps = 0, updates = 0;
        for (size_t j = 0; j < max_n; j++)
            for (size_t l = 0; l < L; l++) {
                if (j >= t->langs[l].n_refine) continue;
                const refine_line *r = &t->langs[l].refine[j];
                bool updated;
                if (xl_langid_perceptron_step(m, ws, r->text, r->len, (size_t)cls[l], o->refine_margin,
                                              o->refine_steps_per_quantum, o->refine_skip_per_letter, &updated,
                                              err) < 0)
                    goto done;
                steps++;
                updates += updated;
            }
        logf_(o, "refinement epoch %u: %zu lines, %zu updates", e + 1, steps, updates);
    }
    /* averaged perceptron: the weights averaged over all steps of all passes replace the last ones */
    if (o->refine_average) {
        logf_(o, "refinement: weights averaged over %zu steps", xl_langid_perceptron_average_steps(m));
        if (xl_langid_perceptron_average_apply(m, err) < 0) goto done;
    }
    memcpy(img->data + img->size - 4 - F * L, xl_langid_weights(m), F * L);
    put_u32(img->data + img->size - 4, xl_fnv1a32(img->data, img->size - 4));
    rc = 0;
done:
    free(cls);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Temperature calibration */

typedef struct dev_item {
    double *scores;
    int label;
    size_t letters;
} dev_item;

static double nll_at(const dev_item *items, const size_t *idx, size_t n, size_t L, double T)
{
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        const dev_item *it = &items[idx[i]];
        double mx = -INFINITY;
        for (size_t l = 0; l < L; l++)
            if (it->scores[l] > mx) mx = it->scores[l];
        double z = 0;
        for (size_t l = 0; l < L; l++) z += exp((it->scores[l] - mx) / T);
        total += -(it->scores[it->label] - mx) / T + log(z);
    }
    return total;
}

/* Golden-section search for the T minimising the NLL over log T in [-5, 12]. */
static double fit_temperature(const dev_item *items, const size_t *idx, size_t n, size_t L)
{
    double a = -5, b = 12, g = (sqrt(5.0) - 1) / 2;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = nll_at(items, idx, n, L, exp(c)), fd = nll_at(items, idx, n, L, exp(d));
    for (int it = 0; it < 60; it++) {
        if (fc < fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = nll_at(items, idx, n, L, exp(c));
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = nll_at(items, idx, n, L, exp(d));
        }
    }
    return exp((a + b) / 2);
}

static int calibrate(trainer *t, image *img, xl_error *err)
{
    const xl_langid_train_options *o = t->o;
    xl_langid *m = NULL;
    if (xl_langid_load_memory(img->data, img->size, "trained model", &m, err) < 0) return -1;
    /* labels and scores are per language: domain classes ("es_2") count as their language */
    size_t L = xl_langid_n_langs(m);
    xl_langid_ws *ws = xl_langid_ws_new(m, err);
    dev_item *items = NULL;
    size_t n_items = 0, cap = 0, unknown = 0;
    size_t *idx = NULL;
    int rc = -1;
    xl_lines r;
    bool open = false;
    if (!ws) goto done;
    if (xl_lines_open(&r, o->dev_path, err) < 0) goto done;
    open = true;
    const char *line;
    size_t len;
    int lrc;
    while ((lrc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (len == 0) continue;
        const char *tab = memchr(line, '\t', len);
        if (!tab) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected 'lang<TAB>text'", o->dev_path,
                    (unsigned long long)r.lineno);
            goto done;
        }
        char tag[XL_LANGID_NAME_LEN] = {0};
        int label = -1;
        if ((size_t)(tab - line) < sizeof tag) {
            memcpy(tag, line, (size_t)(tab - line));
            label = xl_langid_lang_index(m, tag);
        }
        if (label < 0) {
            unknown++;
            continue;
        }
        dev_item *p = xl_array_reserve(items, &cap, n_items + 1, 1024, err);
        if (!p) goto done;
        items = p;
        dev_item *it = &items[n_items];
        it->scores = xl_malloc(L * sizeof(double), err);
        if (!it->scores) goto done;
        n_items++;
        it->label = label;
        const char *text = tab + 1;
        if (xl_langid_scores(m, ws, text, (size_t)(line + len - text), it->scores, &it->letters, err) < 0) goto done;
        if (it->letters == 0) n_items--, free(it->scores);
    }
    if (lrc < 0) goto done;
    idx = xl_malloc((n_items ? n_items : 1) * sizeof *idx, err);
    if (!idx) goto done;
    /* global temperature first: the fallback for buckets with little data */
    for (size_t i = 0; i < n_items; i++) idx[i] = i;
    double t_all = n_items ? fit_temperature(items, idx, n_items, L) : 1.0;
    logf_(o, "dev: %zu lines (%zu with unknown labels skipped), global temperature %.3f", n_items, unknown, t_all);
    uint32_t lo = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        size_t n = 0, correct = 0;
        for (size_t i = 0; i < n_items; i++)
            if (items[i].letters >= lo && items[i].letters <= BUCKET_UPPER[b]) {
                idx[n++] = i;
                size_t best = 0;
                for (size_t l = 1; l < L; l++)
                    if (items[i].scores[l] > items[i].scores[best]) best = l;
                correct += (int)best == items[i].label;
            }
        double T = n >= 30 ? fit_temperature(items, idx, n, L) : t_all;
        if (T < 1e-3) T = 1e-3;
        if (T > 1e6) T = 1e6;
        put_f32(img->data + img->temp_offset + 4 * b, (float)T);
        logf_(o, "bucket <=%u letters: %zu dev lines, accuracy %.4f, temperature %.3f", BUCKET_UPPER[b], n,
              n ? (double)correct / (double)n : 0.0, T);
        lo = BUCKET_UPPER[b] + 1;
    }
    put_u32(img->data + img->size - 4, xl_fnv1a32(img->data, img->size - 4));
    rc = 0;
done:
    if (open) xl_lines_close(&r);
    for (size_t i = 0; i < n_items; i++) free(items[i].scores);
    free(items);
    free(idx);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
    return rc;
}

int xl_langid_train(const char *train_path, const char *out_path, const xl_langid_train_options *opts,
                    xl_error *err)
{
    xl_langid_train_options o;
    if (opts) o = *opts;
    else xl_langid_train_defaults(&o);
    if (o.max_order < 1 || o.max_order > XL_LANGID_MAX_ORDER)
        return xl_fail(err, XL_ERR_USAGE, "langid-train: order must be 1..%d", XL_LANGID_MAX_ORDER);
    if (o.n_features < 1 || o.n_features > XL_LANGID_MAX_FEATURES)
        return xl_fail(err, XL_ERR_USAGE, "langid-train: feature count must be 1..%u", XL_LANGID_MAX_FEATURES);
    if (!(o.mu > 0) || !(o.script_weight >= 0) || !(o.lambda >= 0 && o.lambda < 1)) return xl_fail(err, XL_ERR_USAGE, "langid-train: bad smoothing");
    trainer t = {0};
    t.o = &o;
    t.err = err;
    uint32_t *keys = NULL;
    size_t F = 0;
    image img = {0};
    int rc = -1;
    if (o.filter_model_path) {
        if (!(o.filter_prob >= 0 && o.filter_prob < 1)) {
            xl_fail(err, XL_ERR_USAGE, "langid-train: filter probability must be in [0, 1)");
            goto done;
        }
        if (xl_langid_load(o.filter_model_path, &t.filter, err) < 0) goto done;
        if (!(t.filter_ws = xl_langid_ws_new(t.filter, err))) goto done;
    }
    if (o.scripts_path && read_scripts(&t, o.scripts_path, err) < 0) goto done;
    if (read_training(&t, train_path, err) < 0) goto done;
    /* languages named only in the scripts file have no data: drop them */
    size_t w = 0;
    for (size_t l = 0; l < t.n_langs; l++) {
        if (t.langs[l].n_lines == 0) {
            counts_free(&t.langs[l].ngrams);
            free(t.langs[l].script_letters);
            free(t.langs[l].allowed);
            continue;
        }
        t.langs[w++] = t.langs[l];
    }
    t.n_langs = w;
    if (t.n_langs < 2) {
        xl_fail(err, XL_ERR_FORMAT, "%s: need training text for at least 2 languages, found %zu", train_path,
                t.n_langs);
        goto done;
    }
    for (size_t l = 0; l < t.n_langs; l++) {
        logf_(&o, "%-10s %8llu lines (%llu dropped: wrong script) %10llu letters %9zu distinct n-grams",
              t.langs[l].tag, (unsigned long long)t.langs[l].n_lines, (unsigned long long)t.langs[l].n_dropped,
              (unsigned long long)t.langs[l].n_chars, t.langs[l].ngrams.used);
        if (t.filter)
            logf_(&o, "%-10s %8llu lines dropped by the filter model%s", t.langs[l].tag,
                  (unsigned long long)t.langs[l].n_filtered,
                  t.langs[l].filter_lang < 0 ? " (language unknown to it: not filtered)" : "");
    }
    if (select_features(&t, &keys, &F, err) < 0) goto done;
    logf_(&o, "%zu features selected", F);
    if (build_image(&t, keys, F, &img, err) < 0) goto done;
    if (o.refine_epochs && refine(&t, &img, F, err) < 0) goto done;
    if (o.dev_path && calibrate(&t, &img, err) < 0) goto done;
    rc = xl_write_file(out_path, img.data, img.size, err);
    if (rc == 0) logf_(&o, "wrote %s (%zu bytes)", out_path, img.size);
done:
    free(keys);
    free(img.data);
    free_langs(&t);
    xl_langid_ws_free(t.filter_ws);
    xl_langid_free(t.filter);
    return rc;
}
