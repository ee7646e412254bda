/* langid.c - feature extraction, model loading and classification for
 * langid.h.  The file layout is in docs/langid.md ("Model file"). */
#include "langid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_io.h"
#include "xl_text.h"
#include "xl_unicode.h"
#include "xl_utf8.h"

struct xl_langid {
    /* n_classes: the rows of the file (its "languages"); a class tagged "xx_N" (N digits) is a second
     * domain class of language "xx" (docs/langid.md, "Domain classes"), so n_langs <= n_classes */
    uint32_t n_classes, n_langs, n_features, max_order, n_scripts, n_buckets;
    float q_min, q_step, script_weight;
    char (*classes)[XL_LANGID_NAME_LEN]; /* [n_classes] tags as stored */
    char (*langs)[XL_LANGID_NAME_LEN];   /* [n_langs] distinct language tags, in order of first class */
    uint32_t *class_lang;                /* [n_classes] -> language index */
    float *script_logp;       /* [n_classes][n_scripts + 1]; last column: any other script */
    uint32_t *bucket_upper;   /* [n_buckets] inclusive letter counts, ascending, last UINT32_MAX */
    float *temperature;       /* [n_buckets] */
    uint32_t *keys;           /* [n_features] sorted ascending */
    uint8_t *q;               /* [n_features][n_classes] quantised log P(f|class) */
    uint32_t *slots;          /* hash index: feature + 1, 0 = empty */
    uint32_t slot_mask;
    uint8_t script_index[XL_SC_COUNT]; /* xl_uc_script -> model script column (n_scripts = other) */
    int16_t *residual; /* [n_features][n_classes] perceptron steps not yet a whole quantum (training only) */
    unsigned steps_per_quantum;
    /* averaged perceptron (training only): avg_sum[i] = sum of weight i's value v = q + residual/K over
     * the steps before avg_since[i]; steps from avg_since[i] on had the current value (lazy sums) */
    double *avg_sum;     /* [n_features][n_classes] */
    uint32_t *avg_since; /* [n_features][n_classes] first step (1-based) with the current value */
    uint32_t avg_steps;  /* perceptron steps taken since averaging began */
};

struct xl_langid_ws {
    xl_langid_units units;
    uint32_t *qsum;       /* [n_classes] running sums of quantised values (flushed before overflow) */
    double *qtotal;       /* [n_classes] flushed sums */
    size_t since_flush;
    uint32_t *script_cnt; /* [n_scripts + 1] */
    double *scores, *probs; /* [n_langs] */
    double *class_scores;   /* [n_classes] */
    size_t hits;
    const xl_langid *model;
};

/* ------------------------------------------------------------------------ */
/* Features */

void xl_langid_units_free(xl_langid_units *u)
{
    free(u->cps);
    u->cps = NULL;
    u->len = u->cap = u->n_letters = 0;
}

static bool is_unit_char(uint32_t cp)
{
    return XL_GC_IN(xl_uc_category(cp), XL_GC_MASK_L | XL_GC_MASK_M);
}

int xl_langid_units_from_text(const char *text, size_t len, xl_langid_units *u, xl_error *err)
{
    xl_u32buf raw, nfkc;
    xl_u32buf_init(&raw);
    xl_u32buf_init(&nfkc);
    int rc = -1;
    if (xl_text_decode(text, len, &raw, err) < 0) goto done;
    if (xl_text_normalize_cps(raw.data, raw.len, XL_NORM_NFKC, &nfkc, err) < 0) goto done;
    size_t need;
    if (!xl_add_size(nfkc.len, 2, &need)) {
        xl_fail(err, XL_ERR_NOMEM, "langid: text too long");
        goto done;
    }
    if (need > u->cap) {
        uint32_t *p = xl_realloc(u->cps, need, sizeof *p, err);
        if (!p) goto done;
        u->cps = p;
        u->cap = need;
    }
    size_t n = 0, letters = 0;
    u->cps[n++] = ' ';
    for (size_t i = 0; i < nfkc.len; i++) {
        uint32_t cp = nfkc.data[i];
        if (is_unit_char(cp)) {
            u->cps[n++] = xl_uc_simple_fold(cp);
            letters++;
        } else if (u->cps[n - 1] != ' ') {
            u->cps[n++] = ' ';
        }
    }
    if (u->cps[n - 1] != ' ') u->cps[n++] = ' ';
    if (n == 1) n = 0; /* no letters: no units at all */
    u->len = n;
    u->n_letters = letters;
    rc = 0;
done:
    xl_u32buf_free(&raw);
    xl_u32buf_free(&nfkc);
    return rc;
}

uint32_t xl_langid_hash(const uint32_t *cps, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 over the code points' 4 bytes */
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        for (int b = 0; b < 4; b++) {
            h ^= (c >> (8 * b)) & 0xFFu;
            h *= 0x100000001b3ull;
        }
    }
    /* murmur3 fmix64 */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)h;
}

void xl_langid_each_ngram(const xl_langid_units *u, unsigned max_order, void (*fn)(uint32_t key, void *ctx),
                          void *ctx)
{
    for (size_t i = 0; i < u->len; i++) {
        for (unsigned n = 1; n <= max_order && i + n <= u->len; n++) {
            if (n == 1 && u->cps[i] == ' ') continue;
            fn(xl_langid_hash(u->cps + i, n), ctx);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Loading */

typedef struct reader {
    const unsigned char *p;
    size_t size, pos;
    const char *name;
    xl_error *err;
} reader;

static int take(reader *r, size_t n, const unsigned char **out, const char *what)
{
    if (n > r->size - r->pos)
        return xl_fail(r->err, XL_ERR_FORMAT, "%s: truncated model (%s needs %zu bytes at offset %zu, file has %zu)",
                       r->name, what, n, r->pos, r->size);
    *out = r->p + r->pos;
    r->pos += n;
    return 0;
}




static bool valid_tag(const char *s, size_t field)
{
    size_t n = 0;
    while (n < field && s[n] != '\0') n++;
    if (n == 0 || n >= field) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    for (size_t i = n; i < field; i++)
        if (s[i] != '\0') return false;
    return true;
}

void xl_langid_tag_language(const char *tag, char base[XL_LANGID_NAME_LEN])
{
    size_t n = strlen(tag), i = n;
    while (i > 0 && tag[i - 1] >= '0' && tag[i - 1] <= '9') i--;
    if (i < n && i >= 2 && tag[i - 1] == '_') n = i - 1;
    memset(base, 0, XL_LANGID_NAME_LEN);
    memcpy(base, tag, n);
}

void xl_langid_free(xl_langid *m)
{
    if (!m) return;
    free(m->residual);
    free(m->avg_sum);
    free(m->avg_since);
    free(m->classes);
    free(m->langs);
    free(m->class_lang);
    free(m->script_logp);
    free(m->bucket_upper);
    free(m->temperature);
    free(m->keys);
    free(m->q);
    free(m->slots);
    free(m);
}

#define HEADER_BYTES 48

int xl_langid_load_memory(const void *data, size_t size, const char *name, xl_langid **out, xl_error *err)
{
    *out = NULL;
    reader r = {data, size, 0, name ? name : "<memory>", err};
    const unsigned char *h = NULL;
    if (take(&r, HEADER_BYTES, &h, "header") < 0) return -1;
    if (memcmp(h, XL_LANGID_MAGIC, 8) != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: not an xlrec langid model (bad magic)", r.name);
    uint32_t version = xl_le_u32(h + 8);
    if (version != XL_LANGID_VERSION)
        return xl_fail(err, XL_ERR_FORMAT, "%s: unsupported model version %u (expected %u)", r.name, version,
                       XL_LANGID_VERSION);
    xl_langid *m = xl_calloc(1, sizeof *m, err);
    if (!m) return -1;
    m->n_classes = xl_le_u32(h + 12);
    m->n_features = xl_le_u32(h + 16);
    m->max_order = xl_le_u32(h + 20);
    m->n_scripts = xl_le_u32(h + 24);
    m->n_buckets = xl_le_u32(h + 28);
    m->q_min = xl_le_f32(h + 32);
    m->q_step = xl_le_f32(h + 36);
    m->script_weight = xl_le_f32(h + 40);
    uint32_t reserved = xl_le_u32(h + 44);
    const char *bad = NULL;
    if (m->n_classes < 1 || m->n_classes > XL_LANGID_MAX_LANGS) bad = "language count";
    else if (m->n_features < 1 || m->n_features > XL_LANGID_MAX_FEATURES) bad = "feature count";
    else if (m->max_order < 1 || m->max_order > XL_LANGID_MAX_ORDER) bad = "n-gram order";
    else if (m->n_scripts > XL_LANGID_MAX_SCRIPTS) bad = "script count";
    else if (m->n_buckets < 1 || m->n_buckets > XL_LANGID_MAX_BUCKETS) bad = "length-bucket count";
    else if (!isfinite(m->q_min) || !isfinite(m->q_step) || m->q_step <= 0 || m->q_min > 0 ||
             m->q_min + 255.0f * m->q_step > 1e-3f)
        bad = "quantisation range";
    else if (!isfinite(m->script_weight) || m->script_weight < 0 || m->script_weight > 100) bad = "script weight";
    else if (reserved != 0) bad = "reserved field";
    if (bad) {
        xl_langid_free(m);
        return xl_fail(err, XL_ERR_FORMAT, "%s: invalid %s in header", r.name, bad);
    }
    /* exact size: all counts are bounded above, so no overflow on 64-bit or 32-bit size_t */
    uint64_t expect = HEADER_BYTES + (uint64_t)m->n_classes * XL_LANGID_NAME_LEN + (uint64_t)m->n_scripts * 4 +
                      (uint64_t)m->n_classes * (m->n_scripts + 1) * 4 + (uint64_t)m->n_buckets * 8 +
                      (uint64_t)m->n_features * 4 + (uint64_t)m->n_features * m->n_classes + 4;
    if (expect != (uint64_t)size) {
        xl_langid_free(m);
        return xl_fail(err, XL_ERR_FORMAT, "%s: file is %zu bytes, header implies %llu", r.name, size,
                       (unsigned long long)expect);
    }
    uint32_t sum = xl_le_u32(r.p + size - 4);
    if (xl_fnv1a32(r.p, size - 4) != sum) {
        xl_langid_free(m);
        return xl_fail(err, XL_ERR_FORMAT, "%s: checksum mismatch (file corrupted)", r.name);
    }
    const unsigned char *p = NULL;
    int rc = -1;
    /* languages */
    if (take(&r, (size_t)m->n_classes * XL_LANGID_NAME_LEN, &p, "language names") < 0) goto fail;
    m->classes = xl_malloc((size_t)m->n_classes * XL_LANGID_NAME_LEN, err);
    m->langs = xl_calloc(m->n_classes, XL_LANGID_NAME_LEN, err);
    m->class_lang = xl_malloc((size_t)m->n_classes * sizeof *m->class_lang, err);
    if (!m->classes || !m->langs || !m->class_lang) goto fail;
    memcpy(m->classes, p, (size_t)m->n_classes * XL_LANGID_NAME_LEN);
    for (uint32_t i = 0; i < m->n_classes; i++) {
        if (!valid_tag(m->classes[i], XL_LANGID_NAME_LEN)) {
            xl_fail(err, XL_ERR_FORMAT, "%s: language %u: invalid tag", r.name, i);
            goto fail;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(m->classes[i], m->classes[j]) == 0) {
                xl_fail(err, XL_ERR_FORMAT, "%s: language '%s' listed twice", r.name, m->classes[i]);
                goto fail;
            }
        /* the language of the class: the tag without a trailing "_<digits>" */
        char base[XL_LANGID_NAME_LEN];
        xl_langid_tag_language(m->classes[i], base);
        uint32_t l = 0;
        while (l < m->n_langs && strcmp(m->langs[l], base) != 0) l++;
        if (l == m->n_langs) memcpy(m->langs[m->n_langs++], base, XL_LANGID_NAME_LEN);
        m->class_lang[i] = l;
    }
    /* scripts: ISO 15924 codes */
    memset(m->script_index, (int)m->n_scripts, sizeof m->script_index);
    if (take(&r, (size_t)m->n_scripts * 4, &p, "script codes") < 0) goto fail;
    for (uint32_t i = 0; i < m->n_scripts; i++) {
        char code[5];
        memcpy(code, p + 4 * i, 4);
        code[4] = '\0';
        int sc = xl_uc_script_from_name(code);
        if (strlen(code) != 4 || sc < 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: script %u: unknown ISO 15924 code", r.name, i);
            goto fail;
        }
        if (m->script_index[sc] != m->n_scripts) {
            xl_fail(err, XL_ERR_FORMAT, "%s: script '%s' listed twice", r.name, code);
            goto fail;
        }
        m->script_index[sc] = (uint8_t)i;
    }
    size_t n_sl = (size_t)m->n_classes * (m->n_scripts + 1);
    if (take(&r, n_sl * 4, &p, "script model") < 0) goto fail;
    m->script_logp = xl_malloc(n_sl * sizeof(float), err);
    if (!m->script_logp) goto fail;
    for (size_t i = 0; i < n_sl; i++) {
        m->script_logp[i] = xl_le_f32(p + 4 * i);
        if (!isfinite(m->script_logp[i]) || m->script_logp[i] > 0 || m->script_logp[i] < -100) {
            xl_fail(err, XL_ERR_FORMAT, "%s: script model value %zu out of range", r.name, i);
            goto fail;
        }
    }
    /* length buckets */
    if (take(&r, (size_t)m->n_buckets * 8, &p, "length buckets") < 0) goto fail;
    m->bucket_upper = xl_malloc((size_t)m->n_buckets * sizeof(uint32_t), err);
    m->temperature = xl_malloc((size_t)m->n_buckets * sizeof(float), err);
    if (!m->bucket_upper || !m->temperature) goto fail;
    for (uint32_t b = 0; b < m->n_buckets; b++) {
        m->bucket_upper[b] = xl_le_u32(p + 4 * b);
        m->temperature[b] = xl_le_f32(p + 4 * (m->n_buckets + b));
        if ((b > 0 && m->bucket_upper[b] <= m->bucket_upper[b - 1]) || !isfinite(m->temperature[b]) ||
            m->temperature[b] < 1e-3f || m->temperature[b] > 1e6f) {
            xl_fail(err, XL_ERR_FORMAT, "%s: length bucket %u invalid (bounds must ascend, temperature in "
                    "[0.001, 1e6])", r.name, b);
            goto fail;
        }
    }
    if (m->bucket_upper[m->n_buckets - 1] != UINT32_MAX) {
        xl_fail(err, XL_ERR_FORMAT, "%s: last length bucket must be open-ended", r.name);
        goto fail;
    }
    /* features */
    if (take(&r, (size_t)m->n_features * 4, &p, "feature keys") < 0) goto fail;
    m->keys = xl_malloc((size_t)m->n_features * sizeof(uint32_t), err);
    if (!m->keys) goto fail;
    for (uint32_t f = 0; f < m->n_features; f++) {
        m->keys[f] = xl_le_u32(p + 4 * f);
        if (f > 0 && m->keys[f] <= m->keys[f - 1]) {
            xl_fail(err, XL_ERR_FORMAT, "%s: feature keys not strictly ascending at %u", r.name, f);
            goto fail;
        }
    }
    size_t n_q = (size_t)m->n_features * m->n_classes;
    if (take(&r, n_q, &p, "feature weights") < 0) goto fail;
    m->q = xl_malloc(n_q, err);
    if (!m->q) goto fail;
    memcpy(m->q, p, n_q);
    /* hash index over the keys */
    uint32_t n_slots = 1;
    while (n_slots < 2 * m->n_features) n_slots <<= 1;
    m->slots = xl_calloc(n_slots, sizeof(uint32_t), err);
    if (!m->slots) goto fail;
    m->slot_mask = n_slots - 1;
    for (uint32_t f = 0; f < m->n_features; f++) {
        uint32_t s = m->keys[f] & m->slot_mask;
        while (m->slots[s]) s = (s + 1) & m->slot_mask;
        m->slots[s] = f + 1;
    }
    *out = m;
    return 0;
fail:
    xl_langid_free(m);
    return rc;
}

int xl_langid_load(const char *path, xl_langid **model, xl_error *err)
{
    char *data;
    size_t len;
    *model = NULL;
    if (xl_read_file(path, (size_t)64 << 20, &data, &len, err) < 0) return -1;
    int rc = xl_langid_load_memory(data, len, path, model, err);
    free(data);
    return rc;
}

size_t xl_langid_n_langs(const xl_langid *m) { return m->n_langs; }
size_t xl_langid_n_features(const xl_langid *m) { return m->n_features; }
unsigned xl_langid_max_order(const xl_langid *m) { return m->max_order; }

const char *xl_langid_lang(const xl_langid *m, size_t i) { return i < m->n_langs ? m->langs[i] : NULL; }

int xl_langid_lang_index(const xl_langid *m, const char *tag)
{
    for (uint32_t i = 0; i < m->n_langs; i++)
        if (strcmp(m->langs[i], tag) == 0) return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Classification */

xl_langid_ws *xl_langid_ws_new(const xl_langid *m, xl_error *err)
{
    xl_langid_ws *ws = xl_calloc(1, sizeof *ws, err);
    if (!ws) return NULL;
    ws->model = m;
    ws->qsum = xl_calloc(m->n_classes, sizeof *ws->qsum, err);
    ws->qtotal = xl_calloc(m->n_classes, sizeof *ws->qtotal, err);
    ws->class_scores = xl_calloc(m->n_classes, sizeof *ws->class_scores, err);
    ws->script_cnt = xl_calloc(m->n_scripts + 1, sizeof *ws->script_cnt, err);
    ws->scores = xl_calloc(m->n_langs, sizeof *ws->scores, err);
    ws->probs = xl_calloc(m->n_langs, sizeof *ws->probs, err);
    if (!ws->qsum || !ws->qtotal || !ws->script_cnt || !ws->scores || !ws->probs || !ws->class_scores) {
        xl_langid_ws_free(ws);
        return NULL;
    }
    return ws;
}

void xl_langid_ws_free(xl_langid_ws *ws)
{
    if (!ws) return;
    xl_langid_units_free(&ws->units);
    free(ws->qsum);
    free(ws->qtotal);
    free(ws->script_cnt);
    free(ws->scores);
    free(ws->probs);
    free(ws->class_scores);
    free(ws);
}

static void add_feature(uint32_t key, void *ctx)
{
    xl_langid_ws *ws = ctx;
    const xl_langid *m = ws->model;
    for (uint32_t s = key & m->slot_mask;; s = (s + 1) & m->slot_mask) {
        uint32_t v = m->slots[s];
        if (v == 0) return;
        if (m->keys[v - 1] == key) {
            const uint8_t *row = m->q + (size_t)(v - 1) * m->n_classes;
            uint32_t *restrict acc = ws->qsum;
            for (uint32_t l = 0; l < m->n_classes; l++) acc[l] += row[l];
            ws->hits++;
            /* 2^24 rows of at most 255 fit in 32 bits */
            if (++ws->since_flush == (1u << 24)) {
                for (uint32_t l = 0; l < m->n_classes; l++) {
                    ws->qtotal[l] += acc[l];
                    acc[l] = 0;
                }
                ws->since_flush = 0;
            }
            return;
        }
    }
}

/* Script groups for mixed-script text: Han, kana and Bopomofo form one group
 * (Japanese mixes them); every other script is its own group. */
static int script_group(xl_uc_script sc)
{
    if (sc == XL_SC_HIRAGANA || sc == XL_SC_KATAKANA || sc == XL_SC_BOPOMOFO) return XL_SC_HAN;
    return (int)sc;
}

void xl_langid_dominant_script(xl_langid_units *u)
{
    /* weighted letter counts per group: Latin 0.5 (technical insertions in other
     * scripts are mostly Latin), Han/kana 2 (one character ~ one syllable or word) */
    double w[XL_SC_COUNT] = {0};
    bool any = false;
    for (size_t i = 0; i < u->len; i++) {
        uint32_t cp = u->cps[i];
        if (cp == ' ' || !XL_GC_IN(xl_uc_category(cp), XL_GC_MASK_L)) continue;
        xl_uc_script sc = xl_uc_script_of(cp);
        if (sc == XL_SC_COMMON || sc == XL_SC_INHERITED || sc == XL_SC_UNKNOWN || (unsigned)sc >= XL_SC_COUNT)
            continue;
        int g = script_group(sc);
        w[g] += g == XL_SC_LATIN ? 0.5 : g == XL_SC_HAN ? 2.0 : 1.0;
        any = true;
    }
    if (!any) return;
    int best = -1, n_groups = 0;
    for (int g = 0; g < XL_SC_COUNT; g++)
        if (w[g] > 0) {
            n_groups++;
            if (best < 0 || w[g] > w[best]) best = g;
        }
    if (n_groups < 2) return;
    /* keep letters (and their marks) of the dominant group; others become boundaries */
    size_t n = 0;
    bool dropping = false;
    u->n_letters = 0;
    for (size_t i = 0; i < u->len; i++) {
        uint32_t cp = u->cps[i];
        if (cp == ' ') {
            dropping = false;
        } else if (XL_GC_IN(xl_uc_category(cp), XL_GC_MASK_L)) {
            xl_uc_script sc = xl_uc_script_of(cp);
            dropping = sc != XL_SC_COMMON && sc != XL_SC_INHERITED && sc != XL_SC_UNKNOWN &&
                       (unsigned)sc < XL_SC_COUNT && script_group(sc) != best;
        }
        if (cp == ' ' || dropping) {
            if (n == 0 || u->cps[n - 1] != ' ') u->cps[n++] = ' ';
            continue;
        }
        u->cps[n++] = cp;
        u->n_letters++;
    }
    if (n == 1) n = 0;
    u->len = n;
}

int xl_langid_scores(const xl_langid *m, xl_langid_ws *ws, const char *text, size_t len, double *scores,
                     size_t *n_letters, xl_error *err)
{
    if (xl_langid_units_from_text(text, len, &ws->units, err) < 0) return -1;
    xl_langid_dominant_script(&ws->units);
    memset(ws->qsum, 0, m->n_classes * sizeof *ws->qsum);
    memset(ws->qtotal, 0, m->n_classes * sizeof *ws->qtotal);
    ws->since_flush = 0;
    memset(ws->script_cnt, 0, (m->n_scripts + 1) * sizeof *ws->script_cnt);
    ws->hits = 0;
    xl_langid_each_ngram(&ws->units, m->max_order, add_feature, ws);
    for (size_t i = 0; i < ws->units.len; i++) {
        uint32_t cp = ws->units.cps[i];
        if (cp == ' ' || !XL_GC_IN(xl_uc_category(cp), XL_GC_MASK_L)) continue;
        xl_uc_script sc = xl_uc_script_of(cp);
        if (sc == XL_SC_COMMON || sc == XL_SC_INHERITED) continue;
        ws->script_cnt[(unsigned)sc < XL_SC_COUNT ? m->script_index[sc] : m->n_scripts]++;
    }
    double *cs = ws->class_scores;
    for (uint32_t c = 0; c < m->n_classes; c++) {
        double s = (double)ws->hits * m->q_min + (double)m->q_step * (ws->qtotal[c] + (double)ws->qsum[c]);
        const float *sl = m->script_logp + (size_t)c * (m->n_scripts + 1);
        double st = 0;
        for (uint32_t k = 0; k <= m->n_scripts; k++)
            if (ws->script_cnt[k]) st += ws->script_cnt[k] * (double)sl[k];
        cs[c] = s + m->script_weight * st;
    }
    /* a language's score is its best class's (a max-mixture of its domain classes) */
    for (uint32_t l = 0; l < m->n_langs; l++) scores[l] = -INFINITY;
    for (uint32_t c = 0; c < m->n_classes; c++)
        if (cs[c] > scores[m->class_lang[c]]) scores[m->class_lang[c]] = cs[c];
    *n_letters = ws->units.n_letters;
    return 0;
}

size_t xl_langid_n_classes(const xl_langid *m) { return m->n_classes; }

int xl_langid_class_index(const xl_langid *m, const char *tag)
{
    for (uint32_t i = 0; i < m->n_classes; i++)
        if (strcmp(m->classes[i], tag) == 0) return (int)i;
    return -1;
}

const uint8_t *xl_langid_weights(const xl_langid *m) { return m->q; }

typedef struct perceptron_update {
    xl_langid *m;
    size_t gold, rival;
} perceptron_update;

/* The real-valued weight i of the perceptron: quantum plus the fraction in the residual. */
static double weight_value(const xl_langid *m, size_t i)
{
    return (double)m->q[i] + (double)m->residual[i] / (double)m->steps_per_quantum;
}

/* One step on weight i: the residual moves by one; a whole quantum's worth moves the weight. */
static void nudge(xl_langid *m, size_t i, int dir)
{
    if (m->avg_sum) { /* close the run of steps that had the old value (the current step has the new one) */
        uint32_t step = m->avg_steps; /* the current step, already counted */
        m->avg_sum[i] += weight_value(m, i) * (double)(step - m->avg_since[i]);
        m->avg_since[i] = step;
    }
    int r = m->residual[i] + dir, k = (int)m->steps_per_quantum;
    if (r >= k) {
        if (m->q[i] < 255) m->q[i]++;
        r = 0;
    } else if (r <= -k) {
        if (m->q[i] > 0) m->q[i]--;
        r = 0;
    }
    m->residual[i] = (int16_t)r;
}

static void update_feature(uint32_t key, void *ctx)
{
    perceptron_update *u = ctx;
    xl_langid *m = u->m;
    for (uint32_t s = key & m->slot_mask;; s = (s + 1) & m->slot_mask) {
        uint32_t v = m->slots[s];
        if (v == 0) return;
        if (m->keys[v - 1] == key) {
            size_t row = (size_t)(v - 1) * m->n_classes;
            nudge(m, row + u->gold, 1);
            nudge(m, row + u->rival, -1);
            return;
        }
    }
}

int xl_langid_perceptron_step(xl_langid *m, xl_langid_ws *ws, const char *text, size_t len, size_t gold_class,
                              double margin, unsigned steps_per_quantum, double skip_per_letter, bool *updated,
                              xl_error *err)
{
    *updated = false;
    if (gold_class >= m->n_classes) return xl_fail(err, XL_ERR_USAGE, "perceptron step: class %zu of %u", gold_class,
                                                   m->n_classes);
    if (steps_per_quantum < 1 || steps_per_quantum > 10000)
        return xl_fail(err, XL_ERR_USAGE, "perceptron step: %u steps per quantum", steps_per_quantum);
    if (!m->residual) {
        m->residual = xl_calloc((size_t)m->n_features * m->n_classes, sizeof *m->residual, err);
        if (!m->residual) return -1;
    }
    if (m->avg_sum && m->avg_steps == UINT32_MAX - 1)
        return xl_fail(err, XL_ERR_USAGE, "perceptron step: too many steps to average");
    if (m->avg_sum && m->avg_steps > 0 && steps_per_quantum != m->steps_per_quantum)
        return xl_fail(err, XL_ERR_USAGE, "perceptron step: steps per quantum changed while averaging");
    m->steps_per_quantum = steps_per_quantum;
    size_t n_letters;
    if (xl_langid_scores(m, ws, text, len, ws->scores, &n_letters, err) < 0) return -1;
    if (m->avg_sum) m->avg_steps++; /* every step counts in the average, with or without an update */
    if (n_letters == 0) return 0;
    const double *cs = ws->class_scores;
    size_t rival = m->n_classes;
    for (uint32_t c = 0; c < m->n_classes; c++)
        if (m->class_lang[c] != m->class_lang[gold_class] && (rival == m->n_classes || cs[c] > cs[rival])) rival = c;
    if (rival == m->n_classes || cs[gold_class] - cs[rival] > margin) return 0;
    /* a line the model gives to another language by far is more likely mislabelled than hard */
    if (skip_per_letter > 0 && cs[gold_class] - cs[rival] < -skip_per_letter * (double)n_letters) return 0;
    perceptron_update u = {m, gold_class, rival};
    xl_langid_each_ngram(&ws->units, m->max_order, update_feature, &u);
    *updated = true;
    return 0;
}

int xl_langid_perceptron_average_begin(xl_langid *m, xl_error *err)
{
    size_t n = (size_t)m->n_features * m->n_classes;
    if (!m->residual) {
        m->residual = xl_calloc(n, sizeof *m->residual, err);
        if (!m->residual) return -1;
    }
    if (m->steps_per_quantum == 0) m->steps_per_quantum = 1;
    free(m->avg_sum);
    free(m->avg_since);
    m->avg_since = NULL;
    m->avg_sum = xl_calloc(n, sizeof *m->avg_sum, err);
    if (!m->avg_sum) return -1;
    m->avg_since = xl_malloc(n * sizeof *m->avg_since, err);
    if (!m->avg_since) {
        free(m->avg_sum);
        m->avg_sum = NULL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) m->avg_since[i] = 1;
    m->avg_steps = 0;
    return 0;
}

size_t xl_langid_perceptron_average_steps(const xl_langid *m) { return m->avg_sum ? m->avg_steps : 0; }

int xl_langid_perceptron_average(const xl_langid *m, double *out, xl_error *err)
{
    size_t n = (size_t)m->n_features * m->n_classes;
    if (!m->avg_sum) return xl_fail(err, XL_ERR_USAGE, "perceptron average: averaging was not begun");
    uint32_t T = m->avg_steps;
    for (size_t i = 0; i < n; i++) {
        double v = weight_value(m, i);
        /* (1/T) sum_{t=1..T} v_i(t): the closed runs plus the current value from avg_since[i] to T */
        out[i] = T == 0 ? v : (m->avg_sum[i] + v * (double)(T + 1 - m->avg_since[i])) / (double)T;
    }
    return 0;
}

int xl_langid_perceptron_average_apply(xl_langid *m, xl_error *err)
{
    size_t n = (size_t)m->n_features * m->n_classes;
    double *avg = xl_malloc(n * sizeof *avg, err);
    if (!avg) return -1;
    if (xl_langid_perceptron_average(m, avg, err) < 0) {
        free(avg);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double r = floor(avg[i] + 0.5); /* nearest quantum, halves up: no dependence on the rounding mode */
        m->q[i] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
        m->residual[i] = 0;
    }
    free(avg);
    free(m->avg_sum);
    free(m->avg_since);
    m->avg_sum = NULL;
    m->avg_since = NULL;
    m->avg_steps = 0;
    return 0;
}

double xl_langid_temperature(const xl_langid *m, size_t n_letters)
{
    for (uint32_t b = 0; b < m->n_buckets; b++)
        if ((uint64_t)n_letters <= m->bucket_upper[b]) return m->temperature[b];
    return m->temperature[m->n_buckets - 1];
}

void xl_langid_softmax(const double *scores, size_t n, double t, double *probs)
{
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (scores[i] > mx) mx = scores[i];
    double z = 0;
    for (size_t i = 0; i < n; i++) {
        probs[i] = exp((scores[i] - mx) / t);
        z += probs[i];
    }
    for (size_t i = 0; i < n; i++) probs[i] /= z;
}

size_t xl_langid_classify(const xl_langid *m, xl_langid_ws *ws, const char *text, size_t len, double min_prob,
                          xl_langid_result *top, size_t k, xl_error *err)
{
    if (k == 0) return 0;
    size_t n_letters;
    if (xl_langid_scores(m, ws, text, len, ws->scores, &n_letters, err) < 0) return 0;
    if (n_letters == 0) {
        top[0].lang = XL_LANGID_UND;
        top[0].prob = 0;
        return 1;
    }
    xl_langid_softmax(ws->scores, m->n_langs, xl_langid_temperature(m, n_letters), ws->probs);
    if (k > m->n_langs) k = m->n_langs;
    /* partial selection of the k best (k is small) */
    for (size_t i = 0; i < k; i++) {
        int best = -1;
        for (uint32_t l = 0; l < m->n_langs; l++) {
            bool used = false;
            for (size_t j = 0; j < i; j++)
                if (top[j].lang == (int)l) used = true;
            if (!used && (best < 0 || ws->probs[l] > ws->probs[best])) best = (int)l;
        }
        top[i].lang = best;
        top[i].prob = ws->probs[best];
    }
    if (top[0].prob < min_prob) top[0].lang = XL_LANGID_UND;
    return k;
}

/* ---- language from the script alone (no model) ------------------------- */

const char *xl_langid_guess_by_script(const char *text, size_t len)
{
    size_t count[8] = {0}; /* han, kana, hangul, cyrillic, arabic, greek, hebrew, thai/devanagari */
    size_t other = 0, thai = 0, deva = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        xl_utf8_status why;
        int n = xl_utf8_decode((const unsigned char *)text + i, len - i, &cp, &why);
        if (n <= 0) {
            i++;
            continue;
        }
        i += (size_t)n;
        switch (xl_uc_script_of(cp)) {
        case XL_SC_HAN: count[0]++; break;
        case XL_SC_HIRAGANA:
        case XL_SC_KATAKANA: count[1]++; break;
        case XL_SC_HANGUL: count[2]++; break;
        case XL_SC_CYRILLIC: count[3]++; break;
        case XL_SC_ARABIC: count[4]++; break;
        case XL_SC_GREEK: count[5]++; break;
        case XL_SC_HEBREW: count[6]++; break;
        case XL_SC_THAI: thai++; break;
        case XL_SC_DEVANAGARI: deva++; break;
        case XL_SC_COMMON:
        case XL_SC_INHERITED:
        case XL_SC_UNKNOWN: break;
        default: other++; break;
        }
    }
    if (count[1]) return "ja";
    size_t best = 0;
    const char *tag = "und";
    static const char *const tags[] = {"zh", "ja", "ko", "ru", "ar", "el", "he"};
    for (int s = 0; s < 7; s++)
        if (count[s] > best) {
            best = count[s];
            tag = tags[s];
        }
    if (thai > best) return "th";
    if (deva > best) return "hi";
    return best > other ? tag : "und";
}
