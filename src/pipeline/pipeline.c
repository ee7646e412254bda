/* pipeline.c - the stages of `xlrec run` (see pipeline.h). */
#include "pipeline.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bert.h"
#include "dict_translate.h"
#include "langid.h"
#include "sentvec.h"
#include "w2v_vectors.h"
#include "wordpiece.h"
#include "xl_csv.h"
#include "xl_io.h"
#include "xl_kernels.h"
#include "xl_model.h"
#include "xl_model_tokenizer.h"
#include "xl_platform.h"
#include "xl_text.h"
#include "xl_thread.h"
#include "xl_utf8.h"

enum { ST_LOAD, ST_CLEAN, ST_DETECT, ST_OPEN, ST_ROUTE, ST_EMBED, ST_PROFILES, ST_RECOMMEND, ST_EVALUATE };

struct xl_pipeline_embedder {
    bool is_bert;
    size_t dim;
    /* word vectors */
    w2v_vectors wv;
    bool wv_ok;
    float *sif_w;
    /* BERT */
    xl_model *model;
    xl_bert *bert;
    xl_kernels k;
    bool k_ok;
    wordpiece *wp;
    size_t max_len;
    int32_t unk_id;
};

/* ------------------------------------------------------------------ names */

const char *xl_route_name(xl_route r)
{
    switch (r) {
    case XL_ROUTE_DIRECT: return "direct";
    case XL_ROUTE_TRANSLATED: return "translated";
    case XL_ROUTE_SKIPPED: return "skipped";
    }
    return "?";
}

const char *xl_skip_reason_text(xl_skip_reason r)
{
    switch (r) {
    case XL_SKIP_NONE: return "not skipped";
    case XL_SKIP_NO_TEXT: return "no text";
    case XL_SKIP_NOT_COVERED: return "language not covered by the embedder and no --dict";
    case XL_SKIP_NO_KNOWN_TOKEN: return "no in-vocabulary token (after translation, for translated items)";
    case XL_SKIP_N: break;
    }
    return "?";
}

void xl_pipeline_options_default(xl_pipeline_options *o)
{
    memset(o, 0, sizeof *o);
    o->sif = true;
    o->sif_a = 1e-3;
    o->pivot_lang = "en";
    o->min_coverage = 0.3;
    o->cf_kind = XL_REC_ITEMKNN;
    o->hybrid_alpha = 0.5;
    o->kinds[0] = XL_REC_CONTENT;
    o->n_kinds = 1;
    o->k = 10;
    o->explain = 3;
    o->seed = 42;
    o->threads = 1;
}

int xl_pipeline_parse_kind(const char *name, xl_rec_kind cf_kind)
{
    if (strcmp(name, "content") == 0) return XL_REC_CONTENT;
    if (strcmp(name, "cf") == 0) return (int)cf_kind;
    if (strcmp(name, "hybrid") == 0) return XL_REC_HYBRID;
    if (strcmp(name, "formula") == 0) return XL_REC_COSBIAS;
    return xl_rec_kind_parse(name);
}

const char *xl_pipeline_kind_label(xl_rec_kind kind, xl_rec_kind cf_kind)
{
    if (kind == XL_REC_CONTENT) return "content";
    if (kind == XL_REC_HYBRID) return "hybrid";
    if (kind == XL_REC_COSBIAS) return "formula";
    if (kind == cf_kind) return "cf";
    return xl_rec_kind_name(kind);
}

const char *xl_pipeline_default_vectors(void)
{
    const char *env = getenv("XLREC_WORD_VECTORS");
    if (env && *env && xl_file_readable(env)) return env;
    static const char *const candidates[] = XL_PIPELINE_DEFAULT_VECTORS;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (xl_file_readable(candidates[i])) return candidates[i];
    return NULL;
}

static void progress(const xl_pipeline *p, const char *stage, size_t done, size_t total)
{
    if (p->opt.progress) p->opt.progress(p->opt.progress_ctx, stage, done, total);
}

static void free_strings(char **s, size_t n)
{
    if (!s) return;
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

/* ------------------------------------------------------------------ load */

int xl_pipeline_init(xl_pipeline *p, const xl_pipeline_options *o, xl_error *err)
{
    memset(p, 0, sizeof *p);
    p->opt = *o;
    xl_rec_dataset_init(&p->data);
    xl_interactions_init(&p->heldout);
    if (!o->items_path) return xl_fail(err, XL_ERR_USAGE, "run: the items file is required");
    if (!o->interactions_path) return xl_fail(err, XL_ERR_USAGE, "run: the interactions file is required");
    if (o->model_path && o->word_vectors_path)
        return xl_fail(err, XL_ERR_USAGE, "run: give a BERT model or word vectors, not both");
    if (!o->model_path && !o->word_vectors_path)
        return xl_fail(err, XL_ERR_USAGE, "run: no embedder: give a BERT model file or a word-vector file");
    if (o->n_kinds == 0 || o->n_kinds > XL_PIPELINE_MAX_KINDS)
        return xl_fail(err, XL_ERR_USAGE, "run: between 1 and %d recommenders", XL_PIPELINE_MAX_KINDS);
    if (o->k == 0) return xl_fail(err, XL_ERR_USAGE, "run: k must be positive");
    if (!(o->min_coverage >= 0 && o->min_coverage <= 1))
        return xl_fail(err, XL_ERR_USAGE, "run: min coverage must be in [0, 1]");
    return 0;
}

/* TAB when the first line of the file has one, else ','. */
static int sniff_separator(const char *path, char forced, char *out, xl_error *err)
{
    if (forced) {
        *out = forced;
        return 0;
    }
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    const char *line;
    size_t len;
    int rc = xl_lines_next(&r, &line, &len, err);
    if (rc > 0) *out = memchr(line, '\t', len) ? '\t' : ',';
    xl_lines_close(&r);
    if (rc < 0) return -1;
    if (rc == 0) return xl_fail(err, XL_ERR_FORMAT, "%s: empty file (a header row is expected)", path);
    return 0;
}

/* The first header name of `names` present in the file, else NULL. */
static const char *pick_column(const xl_csv *r, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (xl_csv_column(r, names[i]) >= 0) return names[i];
    return NULL;
}

typedef struct {
    char sep;
    char id[64], text[256], lang[64];
    bool has_lang;
} items_layout;

static int items_columns(const xl_pipeline_options *o, items_layout *L, xl_error *err)
{
    if (sniff_separator(o->items_path, o->separator, &L->sep, err) < 0) return -1;
    xl_csv_options co = {0};
    co.separator = L->sep;
    co.has_header = true;
    xl_csv *r;
    if (xl_csv_open(&r, o->items_path, &co, err) < 0) return -1;
    static const char *const id_names[] = {"item", "item_id", "itemId", "id", NULL};
    static const char *const lang_names[] = {"lang", "language", "item_lang", NULL};
    static const char *const text_names[] = {"title", "text", "description", "name", "summary", "body", NULL};
    const char *s = o->item_id_col ? o->item_id_col : pick_column(r, id_names);
    snprintf(L->id, sizeof L->id, "%s", s ? s : "0");
    s = o->item_text_cols ? o->item_text_cols : pick_column(r, text_names);
    size_t nh = xl_csv_header_count(r);
    if (!s && nh < 2) {
        xl_csv_close(r);
        return xl_fail(err, XL_ERR_FORMAT, "%s: need an item id column and a text column", o->items_path);
    }
    if (s) snprintf(L->text, sizeof L->text, "%s", s);
    else snprintf(L->text, sizeof L->text, "%zu", nh - 1);
    L->has_lang = false;
    if (o->item_lang_col) {
        if (o->item_lang_col[0]) {
            snprintf(L->lang, sizeof L->lang, "%s", o->item_lang_col);
            L->has_lang = true;
        }
    } else if ((s = pick_column(r, lang_names)) != NULL) {
        snprintf(L->lang, sizeof L->lang, "%s", s);
        L->has_lang = true;
    }
    xl_csv_close(r);
    return 0;
}

typedef struct {
    char sep;
    char user[64], item[64], rating[64];
    bool has_rating;
} inter_layout;

static int inter_columns(const xl_pipeline_options *o, const char *path, inter_layout *L, xl_error *err)
{
    if (sniff_separator(path, o->separator, &L->sep, err) < 0) return -1;
    xl_csv_options co = {0};
    co.separator = L->sep;
    co.has_header = true;
    xl_csv *r;
    if (xl_csv_open(&r, path, &co, err) < 0) return -1;
    static const char *const user_names[] = {"user", "user_id", "userId", NULL};
    static const char *const item_names[] = {"item", "item_id", "itemId", NULL};
    static const char *const rating_names[] = {"rating", "score", NULL};
    const char *s = o->user_col ? o->user_col : pick_column(r, user_names);
    snprintf(L->user, sizeof L->user, "%s", s ? s : "0");
    s = o->item_col ? o->item_col : pick_column(r, item_names);
    snprintf(L->item, sizeof L->item, "%s", s ? s : "1");
    s = o->rating_col ? o->rating_col : pick_column(r, rating_names);
    L->has_rating = s != NULL;
    if (s) snprintf(L->rating, sizeof L->rating, "%s", s);
    xl_csv_close(r);
    return 0;
}

static long column_index(const xl_csv *r, const char *spec)
{
    long c = xl_csv_column(r, spec);
    if (c >= 0) return c;
    char *end;
    long v = strtol(spec, &end, 10);
    return (*spec && *end == 0 && v >= 0) ? v : -1;
}

/* Held-out rows mapped onto the training users and the catalogue. */
static int load_heldout(xl_pipeline *p, xl_error *err)
{
    const char *path = p->opt.heldout_path;
    inter_layout L;
    if (inter_columns(&p->opt, path, &L, err) < 0) return -1;
    xl_csv_options co = {0};
    co.separator = L.sep;
    co.has_header = true;
    xl_csv *r;
    if (xl_csv_open(&r, path, &co, err) < 0) return -1;
    long cu = column_index(r, L.user), ci = column_index(r, L.item), cr = L.has_rating ? column_index(r, L.rating) : -2;
    int rc = -1;
    if (cu < 0 || ci < 0 || cr == -1) {
        xl_fail(err, XL_ERR_FORMAT, "%s: no user/item%s column ('%s', '%s'%s%s)", path, L.has_rating ? "/rating" : "",
                L.user, L.item, L.has_rating ? ", " : "", L.has_rating ? L.rating : "");
        goto out;
    }
    const xl_csv_field *f;
    size_t nf;
    int got;
    while ((got = xl_csv_next(r, &f, &nf, err)) > 0) {
        p->heldout_rows++;
        if ((size_t)cu >= nf || (size_t)ci >= nf || (cr >= 0 && (size_t)cr >= nf)) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: %zu fields, too few for the selected columns", path,
                    (unsigned long long)xl_csv_line(r), nf);
            goto out;
        }
        long u = xl_idmap_find(&p->data.users, f[cu].data, f[cu].len);
        long it = xl_idmap_find(&p->data.items, f[ci].data, f[ci].len);
        if (u < 0) {
            p->heldout_unknown_user++;
            continue;
        }
        if (it < 0) {
            p->heldout_unknown_item++;
            continue;
        }
        if (xl_csr_has(&p->train, (uint32_t)u, (uint32_t)it)) {
            p->heldout_in_train++;
            continue;
        }
        float rating = 1.0f;
        if (cr >= 0) {
            char tmp[64];
            size_t n = f[cr].len < sizeof tmp - 1 ? f[cr].len : sizeof tmp - 1;
            memcpy(tmp, f[cr].data, n);
            tmp[n] = 0;
            char *end;
            double v = strtod(tmp, &end);
            if (end == tmp || *end || !isfinite(v)) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: bad rating '%s'", path, (unsigned long long)xl_csv_line(r), tmp);
                goto out;
            }
            rating = (float)v;
        }
        if (xl_interactions_push(&p->heldout, (uint32_t)u, (uint32_t)it, rating, 0, err) < 0) goto out;
    }
    if (got < 0) goto out;
    /* a (user, item) pair listed twice would count as two relevant items */
    p->heldout_duplicates = xl_rec_dedupe(&p->heldout, p->data.n_users, err);
    rc = 0;
out:
    xl_csv_close(r);
    return rc;
}

int xl_pipeline_load(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    const xl_pipeline_options *o = &p->opt;
    items_layout IL;
    inter_layout RL;
    if (items_columns(o, &IL, err) < 0 || inter_columns(o, o->interactions_path, &RL, err) < 0) return -1;
    xl_rec_load_options lo;
    xl_rec_load_options_default(&lo);
    lo.separator = RL.sep;
    lo.user_col = RL.user;
    lo.item_col = RL.item;
    lo.rating_col = RL.has_rating ? RL.rating : NULL;
    lo.item_separator = IL.sep;
    lo.item_id_col = IL.id;
    lo.item_text_cols = IL.text;
    lo.item_lang_col = IL.has_lang ? IL.lang : NULL;
    if (xl_rec_load(&p->data, o->interactions_path, o->items_path, &lo, err) < 0) return -1;
    if (p->data.n_items == 0) return xl_fail(err, XL_ERR_FORMAT, "%s: no items", o->items_path);
    if (p->data.x.n == 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: no usable interactions (%llu rows, %llu with an item absent from %s)",
                       o->interactions_path, (unsigned long long)p->data.report.rows,
                       (unsigned long long)p->data.report.unknown_item, o->items_path);
    if (xl_csr_build(&p->train, &p->data.x, NULL, 0, p->data.n_users, p->data.n_items, false, err) < 0) return -1;
    if (o->heldout_path && load_heldout(p, err) < 0) return -1;
    p->seconds[ST_LOAD] = xl_time_now() - t0;
    return 0;
}

/* ------------------------------------------------------------------ clean */

int xl_pipeline_clean(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    uint32_t n = p->data.n_items;
    p->clean = xl_calloc(n, sizeof *p->clean, err);
    p->tokens = xl_calloc(n, sizeof *p->tokens, err);
    if (!p->clean || !p->tokens) return -1;
    xl_text_options to;
    memset(&to, 0, sizeof to);
    to.decode_entities = true;
    to.form = XL_NORM_NFC;
    xl_buf b;
    xl_buf_init(&b);
    int rc = -1;
    for (uint32_t i = 0; i < n; i++) {
        const char *t = p->data.item_text && p->data.item_text[i] ? p->data.item_text[i] : "";
        xl_buf_clear(&b);
        if (xl_text_preprocess(t, strlen(t), &to, &b, err) < 0) goto out;
        if (!(p->clean[i] = xl_strndup(b.data ? b.data : "", b.len, err))) goto out;
        xl_buf_clear(&b);
        if (sentvec_preprocess(p->clean[i], strlen(p->clean[i]), &b, err) < 0) goto out;
        if (!(p->tokens[i] = xl_strndup(b.data ? b.data : "", b.len, err))) goto out;
    }
    rc = 0;
out:
    xl_buf_free(&b);
    p->seconds[ST_CLEAN] = xl_time_now() - t0;
    return rc;
}

/* ------------------------------------------------------------------ detect */

const char *xl_pipeline_guess_lang_by_script(const char *text, size_t len)
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

static int set_lang(char **slot, const char *tag, size_t len, xl_error *err)
{
    while (len && isspace((unsigned char)*tag)) tag++, len--;
    while (len && isspace((unsigned char)tag[len - 1])) len--;
    if (len > 23) len = 23;
    char *s = xl_strndup(len ? tag : "und", len ? len : 3, err);
    if (!s) return -1;
    for (char *q = s; *q; q++) *q = (char)tolower((unsigned char)*q);
    free(*slot);
    *slot = s;
    return 0;
}

int xl_pipeline_detect(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    uint32_t n = p->data.n_items;
    p->lang = xl_calloc(n, sizeof *p->lang, err);
    if (!p->lang) return -1;
    xl_langid *lid = NULL;
    xl_langid_ws *ws = NULL;
    int rc = -1;
    bool need_detect = false;
    for (uint32_t i = 0; i < n; i++) {
        const char *col = !p->opt.detect_all && p->data.item_lang ? p->data.item_lang[i] : NULL;
        if (col && *col) {
            if (set_lang(&p->lang[i], col, strlen(col), err) < 0) goto out;
            p->lang_from_column++;
        } else {
            need_detect = true;
        }
    }
    if (need_detect && p->opt.langid_path) {
        if (xl_langid_load(p->opt.langid_path, &lid, err) < 0) goto out;
        if (!(ws = xl_langid_ws_new(lid, err))) goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (p->lang[i]) continue;
        const char *t = p->clean[i];
        const char *tag = NULL;
        if (lid) {
            xl_langid_result top;
            if (xl_langid_classify(lid, ws, t, strlen(t), 0.5, &top, 1, err) == 0) goto out;
            if (top.lang != XL_LANGID_UND) {
                tag = xl_langid_lang(lid, (size_t)top.lang);
                p->lang_from_langid++;
            }
        }
        if (!tag) {
            tag = xl_pipeline_guess_lang_by_script(t, strlen(t));
            p->lang_from_script++;
        }
        if (set_lang(&p->lang[i], tag, strlen(tag), err) < 0) goto out;
        if ((i & 255) == 0) progress(p, "detect", i, n);
    }
    if (need_detect) progress(p, "detect", n, n);
    rc = 0;
out:
    xl_langid_ws_free(ws);
    xl_langid_free(lid);
    p->seconds[ST_DETECT] = xl_time_now() - t0;
    return rc;
}

/* ------------------------------------------------------------------ embedder */

static void embedder_free(xl_pipeline_embedder *e)
{
    if (!e) return;
    if (e->wv_ok) w2v_vectors_free(&e->wv);
    free(e->sif_w);
    wordpiece_free(e->wp);
    xl_bert_free(e->bert);
    if (e->k_ok) xl_kernels_free(&e->k);
    xl_model_close(e->model);
    free(e);
}

int xl_pipeline_open_embedder(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    xl_pipeline_embedder *e = xl_calloc(1, sizeof *e, err);
    if (!e) return -1;
    p->emb = e;
    if (p->opt.word_vectors_path) {
        if (w2v_vectors_read(p->opt.word_vectors_path, W2V_FORMAT_AUTO, 0, &e->wv, err) < 0) return -1;
        e->wv_ok = true;
        e->dim = e->wv.dim;
        if (p->opt.sif && sentvec_sif_weights(&e->wv, p->opt.counts_path, p->opt.sif_a, &e->sif_w, err) < 0) return -1;
        snprintf(p->embedder_desc, sizeof p->embedder_desc, "word vectors %s (%zu words x %zu dims, %s pooling)",
                 p->opt.word_vectors_path, e->wv.n_words, e->wv.dim, p->opt.sif ? "SIF" : "mean");
    } else {
        e->is_bert = true;
        int threads = xl_resolve_threads(p->opt.threads);
        if (xl_model_open(&e->model, p->opt.model_path, err) < 0) return -1;
        if (xl_kernels_init(&e->k, XL_SIMD_AUTO, threads, err) < 0) return -1;
        e->k_ok = true;
        if (xl_bert_from_model(&e->bert, e->model, &e->k, err) < 0) return -1;
        if (!(e->wp = xl_model_tokenizer(e->model, err))) return -1;
        e->unk_id = wordpiece_special_id(e->wp, WORDPIECE_UNK);
        e->max_len = p->opt.max_seq_len ? p->opt.max_seq_len : e->bert->cfg.max_seq_len;
        if (e->max_len > e->bert->cfg.max_position) e->max_len = e->bert->cfg.max_position;
        if (e->max_len < 3) e->max_len = 3;
        e->dim = xl_bert_output_dim(e->bert, e->bert->cfg.pooling);
        snprintf(p->embedder_desc, sizeof p->embedder_desc, "BERT model %s (%zu layers, hidden %zu, %zu-dim %s pooling, "
                 "vocabulary %zu)", p->opt.model_path, e->bert->cfg.n_layers, e->bert->cfg.hidden, e->dim,
                 xl_pooling_name(e->bert->cfg.pooling), e->bert->cfg.vocab_size);
    }
    p->seconds[ST_OPEN] = xl_time_now() - t0;
    return 0;
}

/* Tokens of `text` and how many the embedder knows. */
static int count_known(const xl_pipeline_embedder *e, const char *text, wordpiece_encoding *enc, size_t *tokens,
                       size_t *known, xl_error *err)
{
    *tokens = *known = 0;
    if (e->is_bert) {
        wordpiece_encode_options eo;
        wordpiece_encode_options_default(&eo);
        eo.add_special_tokens = false;
        if (wordpiece_encode(e->wp, text, strlen(text), NULL, 0, &eo, enc, err) < 0) return -1;
        for (size_t i = 0; i < enc->len; i++) {
            (*tokens)++;
            if (enc->ids[i] != e->unk_id) (*known)++;
        }
        return 0;
    }
    for (const char *q = text; *q;) {
        while (*q == ' ') q++;
        const char *s = q;
        while (*q && *q != ' ') q++;
        if (q == s) break;
        (*tokens)++;
        if (w2v_words_find(&e->wv.words, s, (size_t)(q - s)) >= 0) (*known)++;
    }
    return 0;
}

static xl_lang_stats *lang_stats(xl_pipeline *p, const char *lang, xl_error *err)
{
    for (size_t i = 0; i < p->n_langs; i++)
        if (strcmp(p->langs[i].lang, lang) == 0) return &p->langs[i];
    xl_lang_stats *s = xl_realloc(p->langs, p->n_langs + 1, sizeof *s, err);
    if (!s) return NULL;
    p->langs = s;
    s = &p->langs[p->n_langs++];
    memset(s, 0, sizeof *s);
    snprintf(s->lang, sizeof s->lang, "%s", lang);
    return s;
}

int xl_pipeline_route(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    const xl_pipeline_embedder *e = p->emb;
    uint32_t n = p->data.n_items;
    p->route = xl_calloc(n, sizeof *p->route, err);
    p->skip = xl_calloc(n, sizeof *p->skip, err);
    p->embed_text = xl_calloc(n, sizeof *p->embed_text, err);
    size_t *tok = xl_calloc(n ? n : 1, sizeof *tok, err), *known = xl_calloc(n ? n : 1, sizeof *known, err);
    dt_dict *dict = NULL;
    wordpiece_encoding enc;
    wordpiece_encoding_init(&enc);
    xl_buf b;
    xl_buf_init(&b);
    int rc = -1;
    if (!p->route || !p->skip || !p->embed_text || !tok || !known) goto out;
    /* 1. per-language vocabulary coverage of the text as written */
    for (uint32_t i = 0; i < n; i++) {
        xl_lang_stats *s = lang_stats(p, p->lang[i], err);
        if (!s) goto out;
        s->items++;
        const char *text = e->is_bert ? p->clean[i] : p->tokens[i];
        if (count_known(e, text, &enc, &tok[i], &known[i], err) < 0) goto out;
        s->tokens += tok[i];
        s->known_tokens += known[i];
    }
    for (size_t l = 0; l < p->n_langs; l++) {
        xl_lang_stats *s = &p->langs[l];
        s->covered = s->tokens > 0 && (double)s->known_tokens >= p->opt.min_coverage * (double)s->tokens;
    }
    if (p->opt.dict_path) {
        if (dt_dict_load(p->opt.dict_path, true, &dict, err) < 0) goto out;
        if (p->opt.counts_path && dt_dict_set_counts(dict, p->opt.counts_path, err) < 0) goto out;
    }
    /* 2. route every item */
    for (uint32_t i = 0; i < n; i++) {
        xl_lang_stats *s = lang_stats(p, p->lang[i], err);
        const char *text = e->is_bert ? p->clean[i] : p->tokens[i];
        xl_route r = XL_ROUTE_DIRECT;
        xl_skip_reason why = XL_SKIP_NONE;
        const char *what = text;
        xl_buf_clear(&b);
        if (p->tokens[i][0] == 0 && p->clean[i][0] == 0) {
            why = XL_SKIP_NO_TEXT;
        } else if (!s->covered) {
            if (!dict) {
                why = XL_SKIP_NOT_COVERED;
            } else {
                dt_stats ds = {0};
                if (dt_translate_line(dict, p->tokens[i], strlen(p->tokens[i]), false, &b, &ds, err) < 0) goto out;
                p->translated_tokens += ds.translated_tokens;
                p->translation_unknown_tokens += ds.unknown_tokens;
                what = b.data ? b.data : "";
                r = XL_ROUTE_TRANSLATED;
                size_t t2, k2;
                if (count_known(e, what, &enc, &t2, &k2, err) < 0) goto out;
                if (k2 == 0) why = XL_SKIP_NO_KNOWN_TOKEN;
            }
        } else if (known[i] == 0) {
            why = XL_SKIP_NO_KNOWN_TOKEN;
        }
        if (why != XL_SKIP_NONE) {
            r = XL_ROUTE_SKIPPED;
            what = "";
            s->skipped[why]++;
        } else if (r == XL_ROUTE_TRANSLATED) {
            s->translated++;
        } else {
            s->direct++;
        }
        p->route[i] = r;
        p->skip[i] = why;
        if (!(p->embed_text[i] = xl_strndup(what, strlen(what), err))) goto out;
    }
    rc = 0;
out:
    free(tok);
    free(known);
    dt_dict_free(dict);
    wordpiece_encoding_free(&enc);
    xl_buf_free(&b);
    p->seconds[ST_ROUTE] = xl_time_now() - t0;
    return rc;
}

/* ------------------------------------------------------------------ embed */

static int embed_bert(xl_pipeline *p, float *out, xl_error *err)
{
    xl_pipeline_embedder *e = p->emb;
    uint32_t n = p->data.n_items;
    enum { BATCH = 32 };
    wordpiece_encoding enc[BATCH];
    for (int b = 0; b < BATCH; b++) wordpiece_encoding_init(&enc[b]);
    xl_bert_acts acts;
    xl_bert_acts_init(&acts, false);
    float *pooled = xl_malloc((size_t)BATCH * e->dim * sizeof *pooled, err);
    int threads = xl_resolve_threads(p->opt.threads);
    int rc = -1;
    if (!pooled) goto out;
    wordpiece_encode_options eo;
    wordpiece_encode_options_default(&eo);
    eo.max_length = e->max_len;
    uint32_t idx[BATCH];
    for (uint32_t i = 0; i < n;) {
        size_t nb = 0;
        for (; i < n && nb < BATCH; i++) {
            if (p->route[i] == XL_ROUTE_SKIPPED) continue;
            const char *t = p->embed_text[i];
            if (wordpiece_encode(e->wp, t, strlen(t), NULL, 0, &eo, &enc[nb], err) < 0) goto out;
            idx[nb++] = i;
        }
        if (nb == 0) continue;
        const int32_t *ids[BATCH], *types[BATCH];
        size_t lens[BATCH];
        for (size_t b = 0; b < nb; b++) {
            ids[b] = enc[b].ids;
            types[b] = enc[b].type_ids;
            lens[b] = enc[b].len;
        }
        xl_bert_input in = {nb, ids, types, NULL, lens};
        if (xl_bert_forward(e->bert, &e->k, threads, &in, &acts, err) < 0 ||
            xl_bert_pool(e->bert, &e->k, threads, &in, &acts, e->bert->cfg.pooling, true, pooled, err) < 0) {
            xl_error_prefix(err, "embed items");
            goto out;
        }
        for (size_t b = 0; b < nb; b++) memcpy(out + (size_t)idx[b] * e->dim, pooled + b * e->dim, e->dim * sizeof *out);
        progress(p, "embed", i, n);
    }
    rc = 0;
out:
    for (int b = 0; b < BATCH; b++) wordpiece_encoding_free(&enc[b]);
    xl_bert_acts_free(&acts);
    free(pooled);
    return rc;
}

int xl_pipeline_embed(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    xl_pipeline_embedder *e = p->emb;
    uint32_t n = p->data.n_items;
    size_t total;
    if (!xl_mul_size(n, e->dim, &total)) return xl_fail(err, XL_ERR_NOMEM, "embed: %u items x %zu dims", n, e->dim);
    float *out = xl_calloc(total ? total : 1, sizeof *out, err);
    if (!out) return -1;
    int rc = -1;
    if (e->is_bert) {
        if (embed_bert(p, out, err) < 0) goto out;
    } else {
        const char **lines = xl_calloc(n, sizeof *lines, err);
        size_t *lens = xl_calloc(n, sizeof *lens, err);
        if (!lines || !lens) {
            free(lines);
            free(lens);
            goto out;
        }
        for (uint32_t i = 0; i < n; i++) {
            lines[i] = p->embed_text[i];
            lens[i] = strlen(p->embed_text[i]);
        }
        sentvec_options so = {p->opt.sif ? SENTVEC_SIF : SENTVEC_MEAN, p->opt.sif, true, true, NULL, p->opt.threads};
        int r = sentvec_embed_lines(&e->wv, p->opt.sif ? e->sif_w : NULL, lines, lens, n, &so, out, NULL,
                                    &p->n_empty_vectors, err);
        free(lines);
        free(lens);
        if (r < 0) goto out;
        progress(p, "embed", n, n);
    }
    if (xl_item_vectors_from(&p->vectors, out, n, e->dim, "item vectors", err) < 0) goto out;
    rc = 0;
out:
    free(out);
    p->seconds[ST_EMBED] = xl_time_now() - t0;
    return rc;
}

/* ------------------------------------------------------------------ profiles */

int xl_pipeline_profiles(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    uint32_t nu = p->data.n_users;
    p->user_lang = xl_calloc(nu ? nu : 1, sizeof *p->user_lang, err);
    p->user_embedded = xl_calloc(nu ? nu : 1, sizeof *p->user_embedded, err);
    if (!p->user_embedded) return -1;
    size_t *cnt = xl_calloc(p->n_langs ? p->n_langs : 1, sizeof *cnt, err);
    if (!p->user_lang || !cnt) {
        free(cnt);
        return -1;
    }
    static char und[] = "und";
    for (uint32_t u = 0; u < nu; u++) {
        memset(cnt, 0, p->n_langs * sizeof *cnt);
        for (size_t q = p->train.ptr[u]; q < p->train.ptr[u + 1]; q++) {
            const char *l = p->lang[p->train.idx[q]];
            if (p->route[p->train.idx[q]] != XL_ROUTE_SKIPPED) p->user_embedded[u]++;
            for (size_t j = 0; j < p->n_langs; j++)
                if (strcmp(p->langs[j].lang, l) == 0) {
                    cnt[j]++;
                    break;
                }
        }
        size_t best = 0;
        long bj = -1;
        for (size_t j = 0; j < p->n_langs; j++)
            if (cnt[j] > best || (cnt[j] == best && best > 0 && strcmp(p->langs[j].lang, p->langs[bj].lang) < 0)) {
                best = cnt[j];
                bj = (long)j;
            }
        p->user_lang[u] = bj >= 0 ? p->langs[bj].lang : und;
        if (p->user_embedded[u] == 0) p->users_without_content++;
        if (bj >= 0) p->langs[bj].users++;
    }
    free(cnt);
    p->seconds[ST_PROFILES] = xl_time_now() - t0;
    return 0;
}

/* ------------------------------------------------------------------ recommend */

static bool content_only(xl_rec_kind k) { return k == XL_REC_CONTENT || k == XL_REC_COSBIAS; }

int xl_pipeline_recommend(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    uint32_t nu = p->data.n_users, ni = p->data.n_items;
    size_t k = p->opt.k;
    xl_rec_params prm;
    xl_rec_params_default(&prm);
    prm.seed = p->opt.seed;
    prm.threads = p->opt.threads;
    prm.hybrid_cf = p->opt.cf_kind;
    prm.hybrid_alpha = p->opt.hybrid_alpha;
    if (p->data.has_rating) {
        prm.rating_min = p->data.rating_lo;
        prm.rating_max = p->data.rating_hi;
    }
    /* exclusion matrix of the content models: the history plus every skipped item */
    size_t n_skipped = 0;
    for (uint32_t i = 0; i < ni; i++) n_skipped += p->route[i] == XL_ROUTE_SKIPPED;
    bool own_exclude = false;
    if (n_skipped) {
        xl_interactions x;
        xl_interactions_init(&x);
        int bad = 0;
        for (size_t e = 0; e < p->data.x.n && !bad; e++)
            bad = xl_interactions_push(&x, p->data.x.user[e], p->data.x.item[e], 1, 0, err) < 0;
        for (uint32_t u = 0; u < nu && !bad; u++)
            for (uint32_t i = 0; i < ni && !bad; i++)
                if (p->route[i] == XL_ROUTE_SKIPPED && !xl_csr_has(&p->train, u, i))
                    bad = xl_interactions_push(&x, u, i, 1, 0, err) < 0;
        if (!bad) bad = xl_csr_build(&p->exclude, &x, NULL, 0, nu, ni, false, err) < 0;
        xl_interactions_free(&x);
        if (bad) return -1;
        own_exclude = true;
    }
    size_t cells;
    if (!xl_mul_size(nu ? nu : 1, k, &cells)) return xl_fail(err, XL_ERR_NOMEM, "recommend: %u users x k %zu", nu, k);
    for (size_t m = 0; m < p->opt.n_kinds; m++) {
        xl_pipeline_model *pm = &p->models[p->n_models];
        memset(pm, 0, sizeof *pm);
        pm->kind = p->opt.kinds[m];
        snprintf(pm->label, sizeof pm->label, "%s", xl_pipeline_kind_label(pm->kind, p->opt.cf_kind));
        p->n_models++;
        progress(p, pm->label, 0, 2);
        pm->model = xl_rec_fit(pm->kind, &prm, &p->train, &p->vectors, err);
        if (!pm->model) return xl_error_prefix(err, "recommend (%s)", pm->label);
        pm->lists = xl_malloc(cells * sizeof *pm->lists, err);
        pm->scores = xl_malloc(cells * sizeof *pm->scores, err);
        if (!pm->lists || !pm->scores) return -1;
        const xl_csr *ex = own_exclude && content_only(pm->kind) ? &p->exclude : &p->train;
        progress(p, pm->label, 1, 2);
        if (xl_rec_topk(pm->model, ex, NULL, nu, k, p->opt.threads, pm->lists, pm->scores, err) < 0) return -1;
        if (content_only(pm->kind)) /* no embedded history: the content scores are all 0, the order meaningless */
            for (uint32_t u = 0; u < nu; u++)
                if (p->user_embedded[u] == 0)
                    for (size_t t = 0; t < k; t++) pm->lists[(size_t)u * k + t] = XL_REC_NONE;
        progress(p, pm->label, 2, 2);
    }
    p->seconds[ST_RECOMMEND] = xl_time_now() - t0;
    return 0;
}

/* ------------------------------------------------------------------ evaluate */

typedef struct {
    const char *ul, *il;
} lang_pair;

static int cmp_pair(const void *a, const void *b)
{
    const lang_pair *x = a, *y = b;
    int c = strcmp(x->ul, y->ul);
    return c ? c : strcmp(x->il, y->il);
}

int xl_pipeline_evaluate(xl_pipeline *p, xl_error *err)
{
    if (!p->opt.heldout_path) return 0;
    double t0 = xl_time_now();
    uint32_t nu = p->data.n_users, ni = p->data.n_items;
    size_t k = p->opt.k;
    xl_csr truth = {0};
    lang_pair *pairs = NULL;
    uint32_t *rel = NULL;
    double *gains = NULL;
    int rc = -1;
    p->eval = xl_calloc(1, sizeof *p->eval, err);
    if (!p->eval) return -1;
    xl_eval_config_default(&p->eval->config);
    p->eval->config.k = k;
    p->eval->config.seed = p->opt.seed;
    p->eval->n_folds_run = 1;
    if (xl_csr_build(&truth, &p->heldout, NULL, 0, nu, ni, false, err) < 0) goto out;
    /* the (user language, item language) pairs present in the held-out data */
    size_t np = 0;
    pairs = xl_calloc(p->heldout.n ? p->heldout.n : 1, sizeof *pairs, err);
    rel = xl_calloc(p->heldout.n ? p->heldout.n : 1, sizeof *rel, err);
    gains = xl_calloc(p->heldout.n ? p->heldout.n : 1, sizeof *gains, err);
    if (!pairs || !rel || !gains) goto out;
    for (size_t e = 0; e < p->heldout.n; e++) {
        lang_pair lp = {p->user_lang[p->heldout.user[e]], p->lang[p->heldout.item[e]]};
        bool seen = false;
        for (size_t j = 0; j < np && !seen; j++) seen = cmp_pair(&pairs[j], &lp) == 0;
        if (!seen) pairs[np++] = lp;
    }
    qsort(pairs, np, sizeof *pairs, cmp_pair);
    for (size_t m = 0; m < p->n_models; m++) {
        const xl_pipeline_model *pm = &p->models[m];
        if (p->eval->n_rows >= XL_EVAL_MAX_ROWS) break;
        xl_eval_row *row = &p->eval->rows[p->eval->n_rows++];
        if (xl_eval_lists(pm->lists, nu, k, &truth, 0, ni, row, err) < 0) goto out;
        snprintf(row->model, sizeof row->model, "%s", pm->label);
        snprintf(row->subset, sizeof row->subset, "all");
        row->fit_seconds = xl_rec_fit_seconds(pm->model);
    }
    for (size_t j = 0; j < np; j++)
        for (size_t m = 0; m < p->n_models; m++) {
            const xl_pipeline_model *pm = &p->models[m];
            if (p->eval->n_rows >= XL_EVAL_MAX_ROWS) {
                p->eval_rows_dropped++;
                continue;
            }
            xl_rank_accum acc;
            xl_rank_accum_init(&acc);
            for (uint32_t u = 0; u < nu; u++) {
                if (strcmp(p->user_lang[u], pairs[j].ul) != 0) continue;
                size_t nr = 0;
                for (size_t q = truth.ptr[u]; q < truth.ptr[u + 1]; q++)
                    if (strcmp(p->lang[truth.idx[q]], pairs[j].il) == 0) {
                        rel[nr] = truth.idx[q];
                        gains[nr++] = truth.val[q];
                    }
                if (!nr) continue;
                xl_rank_metrics mt;
                if (xl_metrics_user(pm->lists + (size_t)u * k, k, k, rel, gains, nr, &mt) == 0)
                    xl_rank_accum_add(&acc, &mt);
            }
            xl_eval_row *row = &p->eval->rows[p->eval->n_rows++];
            memset(row, 0, sizeof *row);
            snprintf(row->model, sizeof row->model, "%s", pm->label);
            snprintf(row->subset, sizeof row->subset, "%.20s->%.20s", pairs[j].ul, pairs[j].il);
            xl_rank_accum_mean(&acc, &row->rank);
            row->has_rank = true;
            row->n_users = acc.n_users;
            row->hybrid_alpha = -1;
            row->coverage = -1; /* not defined for a subset of the items */
        }
    p->evaluated = true;
    rc = 0;
out:
    xl_csr_free(&truth);
    free(pairs);
    free(rel);
    free(gains);
    p->seconds[ST_EVALUATE] = xl_time_now() - t0;
    return rc;
}

/* ------------------------------------------------------------------ driver */

int xl_pipeline_run(xl_pipeline *p, const xl_pipeline_options *o, xl_error *err)
{
    if (xl_pipeline_init(p, o, err) < 0 || xl_pipeline_load(p, err) < 0 || xl_pipeline_clean(p, err) < 0 ||
        xl_pipeline_detect(p, err) < 0 || xl_pipeline_open_embedder(p, err) < 0 || xl_pipeline_route(p, err) < 0 ||
        xl_pipeline_embed(p, err) < 0 || xl_pipeline_profiles(p, err) < 0 || xl_pipeline_recommend(p, err) < 0 ||
        xl_pipeline_evaluate(p, err) < 0)
        return -1;
    return 0;
}

void xl_pipeline_free(xl_pipeline *p)
{
    uint32_t ni = p->data.n_items;
    free_strings(p->clean, ni);
    free_strings(p->tokens, ni);
    free_strings(p->lang, ni);
    free_strings(p->embed_text, ni);
    free(p->route);
    free(p->skip);
    free(p->langs);
    free(p->user_lang);
    free(p->user_embedded);
    embedder_free(p->emb);
    xl_item_vectors_free(&p->vectors);
    for (size_t m = 0; m < p->n_models; m++) {
        xl_rec_free(p->models[m].model);
        free(p->models[m].lists);
        free(p->models[m].scores);
    }
    xl_csr_free(&p->exclude);
    xl_csr_free(&p->train);
    xl_interactions_free(&p->heldout);
    free(p->eval);
    xl_rec_dataset_free(&p->data);
    memset(p, 0, sizeof *p);
}
