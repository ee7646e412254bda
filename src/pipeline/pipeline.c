/* pipeline.c - the stages of `xlrec run` (see pipeline.h). */
#include "pipeline.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dict_translate.h"
#include "langid.h"
#include "xl_csv.h"
#include "xl_datapath.h"
#include "xl_platform.h"
#include "xl_text.h"
#include "xl_thread.h"
#include "xl_whiten.h"

enum { ST_LOAD, ST_CLEAN, ST_DETECT, ST_OPEN, ST_ROUTE, ST_EMBED, ST_PROFILES, ST_RECOMMEND, ST_EVALUATE };

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
    o->hybrid_alpha = -1; /* chosen on the validation split */
    o->kinds[0] = XL_REC_CONTENT; /* what `xlrec run` fits: content,formula,hybrid,cf */
    o->kinds[1] = XL_REC_COSBIAS;
    o->kinds[2] = XL_REC_HYBRID;
    o->kinds[3] = o->cf_kind;
    o->n_kinds = 4;
    o->k = 10;
    o->explain = 3;
    o->seed = 42;
    o->threads = XL_THREADS_DEFAULT;
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
    if (o->n_kinds == 0 || o->n_kinds > XL_PIPELINE_MAX_KINDS)
        return xl_fail(err, XL_ERR_USAGE, "run: between 1 and %d recommenders", XL_PIPELINE_MAX_KINDS);
    if (o->k == 0) return xl_fail(err, XL_ERR_USAGE, "run: k must be positive");
    if (o->center_vectors && o->whiten_vectors)
        return xl_fail(err, XL_ERR_USAGE, "run: centring and whitening the item vectors exclude each other");
    if (!(o->min_coverage >= 0 && o->min_coverage <= 1))
        return xl_fail(err, XL_ERR_USAGE, "run: min coverage must be in [0, 1]");
    return 0;
}

/* Every input is opened once by the loader (xl_rec_load owns the layout sniffing), so "-" works for any one. */
int xl_pipeline_load(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    const xl_pipeline_options *o = &p->opt;
    xl_rec_load_options lo;
    xl_rec_load_options_default(&lo);
    lo.pick_columns = true;
    lo.separator = lo.item_separator = o->separator ? o->separator : XL_CSV_SNIFF;
    lo.user_col = o->user_col;
    lo.item_col = o->item_col;
    lo.rating_col = o->rating_col;
    lo.item_id_col = o->item_id_col;
    lo.item_text_cols = o->item_text_cols;
    lo.item_lang_col = o->item_lang_col;
    if (xl_rec_load(&p->data, o->interactions_path, o->items_path, &lo, err) < 0) return -1;
    if (p->data.n_items == 0) return xl_fail(err, XL_ERR_FORMAT, "%s: no items", o->items_path);
    if (p->data.x.n == 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: no usable interactions (%llu rows, %llu with an item absent from %s)",
                       o->interactions_path, (unsigned long long)p->data.report.rows,
                       (unsigned long long)p->data.report.unknown_item, o->items_path);
    if (xl_csr_build(&p->train, &p->data.x, NULL, 0, p->data.n_users, p->data.n_items, false, err) < 0) return -1;
    if (o->heldout_path) {
        xl_rec_heldout_report hr;
        if (xl_rec_load_heldout(&p->data, &p->train, o->heldout_path, &lo, &p->heldout, &hr, err) < 0) return -1;
        p->heldout_rows = hr.rows;
        p->heldout_unknown_user = hr.unknown_user;
        p->heldout_unknown_item = hr.unknown_item;
        p->heldout_in_train = hr.in_train;
        p->heldout_duplicates = hr.duplicates;
    }
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
        if (xl_sentvec_preprocess(p->clean[i], strlen(p->clean[i]), &b, err) < 0) goto out;
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
    return xl_langid_guess_by_script(text, len);
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

int xl_pipeline_open_embedder(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    xl_embedder_options eo;
    xl_embedder_options_default(&eo);
    eo.kind = p->opt.word_vectors_path && !p->opt.model_path ? XL_EMBEDDER_WORD_VECTORS : XL_EMBEDDER_BERT;
    eo.threads = p->opt.threads;
    eo.normalize = true; /* item vectors are compared by cosine: unit rows */
    eo.normalize_default = false;
    eo.pooling = p->opt.sif ? SENTVEC_SIF : SENTVEC_MEAN;
    eo.sif_a = p->opt.sif_a;
    eo.counts_path = p->opt.counts_path;
    eo.raw = true; /* it is handed p->tokens, already xl_sentvec_preprocess'd by the clean stage */
    eo.max_len = p->opt.max_seq_len;
    /* neither given: the shipped encoder, or the word-vector baseline while no encoder is shipped */
    const char *path = p->opt.model_path ? p->opt.model_path : p->opt.word_vectors_path;
    char default_path[XL_DATAPATH_MAX];
    if (!path) {
        if (xl_embedder_default(&eo.kind, default_path, sizeof default_path, err) < 0) return -1;
        path = default_path;
    }
    if (xl_embedder_open(&p->emb, path, &eo, err) < 0) return -1;
    snprintf(p->embedder_desc, sizeof p->embedder_desc, "%s", xl_embedder_name(p->emb));
    p->seconds[ST_OPEN] = xl_time_now() - t0;
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

/* The text form the embedder reads: words for word vectors, cleaned text for a model's own tokenizer. */
static char *const *embedder_texts(const xl_pipeline *p)
{
    return xl_embedder_reads(p->emb) == XL_EMBEDDER_READS_WORDS ? p->tokens : p->clean;
}

int xl_pipeline_route(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    uint32_t n = p->data.n_items;
    char *const *texts = embedder_texts(p);
    p->route = xl_calloc(n, sizeof *p->route, err);
    p->skip = xl_calloc(n, sizeof *p->skip, err);
    p->embed_text = xl_calloc(n, sizeof *p->embed_text, err);
    p->item_tokens = xl_calloc(n ? n : 1, sizeof *p->item_tokens, err);
    xl_dt_dict *dict = NULL;
    xl_buf b;
    xl_buf_init(&b);
    int rc = -1;
    if (!p->route || !p->skip || !p->embed_text || !p->item_tokens) goto out;
    /* 1. per-language vocabulary coverage of the text as written; these tokens are what gets embedded */
    for (uint32_t i = 0; i < n; i++) {
        xl_lang_stats *s = lang_stats(p, p->lang[i], err);
        if (!s) goto out;
        s->items++;
        xl_embedder_tokens *t = &p->item_tokens[i];
        if (xl_embedder_tokenize(p->emb, texts[i], strlen(texts[i]), t, err) < 0) goto out;
        s->tokens += t->n_tokens;
        s->known_tokens += t->n_known;
    }
    for (size_t l = 0; l < p->n_langs; l++) {
        xl_lang_stats *s = &p->langs[l];
        s->covered = s->tokens > 0 && (double)s->known_tokens >= p->opt.min_coverage * (double)s->tokens;
    }
    if (p->opt.dict_path) {
        if (xl_dt_dict_load(p->opt.dict_path, true, &dict, err) < 0) goto out;
        if (p->opt.counts_path && xl_dt_dict_set_counts(dict, p->opt.counts_path, err) < 0) goto out;
    }
    /* 2. route every item */
    for (uint32_t i = 0; i < n; i++) {
        xl_lang_stats *s = lang_stats(p, p->lang[i], err);
        xl_embedder_tokens *t = &p->item_tokens[i];
        xl_route r = XL_ROUTE_DIRECT;
        xl_skip_reason why = XL_SKIP_NONE;
        const char *what = texts[i];
        xl_buf_clear(&b);
        if (p->tokens[i][0] == 0 && p->clean[i][0] == 0) {
            why = XL_SKIP_NO_TEXT;
        } else if (!s->covered) {
            if (!dict) {
                why = XL_SKIP_NOT_COVERED;
            } else {
                xl_dt_stats ds = {0};
                if (xl_dt_translate_line(dict, p->tokens[i], strlen(p->tokens[i]), false, &b, &ds, err) < 0) goto out;
                p->translated_tokens += ds.translated_tokens;
                p->translation_unknown_tokens += ds.unknown_tokens;
                what = b.data ? b.data : "";
                r = XL_ROUTE_TRANSLATED;
                if (xl_embedder_tokenize(p->emb, what, strlen(what), t, err) < 0) goto out;
                if (t->n_known == 0) why = XL_SKIP_NO_KNOWN_TOKEN;
            }
        } else if (t->n_known == 0) {
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
    xl_dt_dict_free(dict);
    xl_buf_free(&b);
    p->seconds[ST_ROUTE] = xl_time_now() - t0;
    return rc;
}

/* ------------------------------------------------------------------ embed */

/* The routed items' tokens (from the route stage: each item is tokenised once) embedded in one call; skipped
 * items keep a zero row. */
int xl_pipeline_embed(xl_pipeline *p, xl_error *err)
{
    double t0 = xl_time_now();
    uint32_t n = p->data.n_items;
    size_t dim = xl_embedder_dim(p->emb), total;
    if (!xl_mul_size(n, dim, &total)) return xl_fail(err, XL_ERR_NOMEM, "embed: %u items x %zu dims", n, dim);
    float *out = xl_calloc(total ? total : 1, sizeof *out, err);
    float *rows = xl_calloc(total ? total : 1, sizeof *rows, err);
    xl_embedder_tokens *t = xl_calloc(n ? n : 1, sizeof *t, err);
    uint32_t *idx = xl_calloc(n ? n : 1, sizeof *idx, err);
    int rc = -1;
    if (!out || !rows || !t || !idx) goto out;
    size_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (p->route[i] != XL_ROUTE_SKIPPED) {
            t[m] = p->item_tokens[i]; /* shallow: the arrays stay owned by p->item_tokens */
            idx[m++] = i;
        }
    xl_embedder_stats st;
    progress(p, "embed", 0, n);
    if (xl_embedder_embed_tokens(p->emb, t, m, rows, &st, err) < 0) {
        xl_error_prefix(err, "embed items");
        goto out;
    }
    for (size_t j = 0; j < m; j++) memcpy(out + (size_t)idx[j] * dim, rows + j * dim, dim * sizeof *out);
    p->n_empty_vectors = (n - m) + st.n_empty;
    progress(p, "embed", n, n);
    if (xl_item_vectors_from(&p->vectors, out, n, dim, "item vectors", err) < 0) goto out;
    /* skipped items are zero rows: the mean is over the embedded ones only */
    if (p->opt.center_vectors && xl_item_vectors_center(&p->vectors, err) < 0) goto out;
    if (p->opt.whiten_vectors && xl_item_vectors_whiten(&p->vectors, p->opt.whiten_dims, err) < 0) goto out;
    rc = 0;
out:
    free(out);
    free(rows);
    free(t);
    free(idx);
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

/* Issue 17: which model's lists `xlrec run` writes.  Each model is fitted on the training data
 * minus a per-user 20 % validation split (xl_eval_validation_split, seed + 1000: the split
 * `xlrec eval` tunes on) and scored by NDCG@k on it; the best one is chosen (ties: the earlier
 * model).  Nothing held out (--heldout) is looked at. */
/* The validation split of the training data: vtrain (80 % per user) and vtest (the rest). */
static int validation_split(const xl_pipeline *p, xl_csr *vtrain, xl_csr *vtest, xl_error *err)
{
    return xl_eval_validation_csr(&p->train, 0.2, p->opt.seed, p->data.n_users, p->data.n_items, vtrain, vtest, err);
}

/* Issue 17: the hybrid's CF weight, as `xlrec eval` chooses it: the hybrid is fitted once on the
 * validation split's training part, then alpha in {0, 0.1, ..., 1} is scored by NDCG@k on the
 * held-out part (ties: the smaller alpha).  alpha = 1 ranks as the CF part alone and 0 as content
 * alone, so the blend is never worse on validation than either part.  out_ndcg: the blend, CF
 * alone, content alone (-1 when no user has a validation item; alpha is then 0.5). */
static int hybrid_alpha_search(xl_pipeline *p, const xl_rec_params *prm, double *alpha, double out_ndcg[3],
                               xl_error *err)
{
    uint32_t nu = p->data.n_users, ni = p->data.n_items;
    size_t k = p->opt.k, cells;
    xl_csr vtrain = {0}, vtest = {0};
    xl_rec_model *m = NULL;
    uint32_t *lists = NULL;
    float *scores = NULL;
    int rc = -1;
    *alpha = 0.5;
    out_ndcg[0] = out_ndcg[1] = out_ndcg[2] = -1;
    if (!xl_mul_size(nu ? nu : 1, k, &cells)) return xl_fail(err, XL_ERR_NOMEM, "validation: %u users x k %zu", nu, k);
    if (validation_split(p, &vtrain, &vtest, err) < 0) goto out;
    lists = xl_malloc(cells * sizeof *lists, err);
    scores = xl_malloc(cells * sizeof *scores, err);
    if (!lists || !scores) goto out;
    xl_rec_params hp = *prm;
    hp.hybrid_alpha = 0.5; /* replaced for each candidate below */
    m = xl_rec_fit(XL_REC_HYBRID, &hp, &vtrain, &p->vectors, err);
    if (!m) goto out;
    double best = -1;
    for (int step = 0; step <= 10; step++) {
        double a = step / 10.0;
        xl_rec_set_hybrid_alpha(m, a);
        if (xl_rec_topk(m, &vtrain, NULL, nu, k, p->opt.threads, lists, scores, err) < 0) goto out;
        xl_eval_row row;
        if (xl_eval_lists(lists, nu, k, &vtest, 0, ni, &row, err) < 0) goto out;
        if (!row.n_users) break;
        if (step == 0) out_ndcg[2] = row.rank.ndcg;
        if (step == 10) out_ndcg[1] = row.rank.ndcg;
        if (row.rank.ndcg > best + 1e-12) {
            best = row.rank.ndcg;
            *alpha = a;
        }
    }
    out_ndcg[0] = best;
    rc = 0;
out:
    xl_rec_free(m);
    xl_csr_free(&vtrain);
    xl_csr_free(&vtest);
    free(lists);
    free(scores);
    return rc;
}

static int validation_ndcg(xl_pipeline *p, const xl_rec_params *prm, xl_error *err)
{
    size_t k = p->opt.k;
    uint32_t nu = p->data.n_users, ni = p->data.n_items;
    xl_csr vtrain = {0}, vtest = {0};
    uint32_t *lists = NULL;
    float *scores = NULL;
    int rc = -1;
    if (validation_split(p, &vtrain, &vtest, err) < 0) goto out;
    size_t cells;
    if (!xl_mul_size(nu ? nu : 1, k, &cells)) {
        xl_fail(err, XL_ERR_NOMEM, "validation: %u users x k %zu", nu, k);
        goto out;
    }
    lists = xl_malloc(cells * sizeof *lists, err);
    scores = xl_malloc(cells * sizeof *scores, err);
    if (!lists || !scores) goto out;
    for (size_t m = 0; m < p->opt.n_kinds; m++) {
        xl_rec_model *vm = xl_rec_fit(p->opt.kinds[m], prm, &vtrain, &p->vectors, err);
        if (!vm) goto out;
        int trc = xl_rec_topk(vm, &vtrain, NULL, nu, k, p->opt.threads, lists, scores, err);
        xl_rec_free(vm);
        if (trc < 0) goto out;
        if (content_only(p->opt.kinds[m])) /* as in the written lists: no embedded history, no content list */
            for (uint32_t u = 0; u < nu; u++)
                if (p->user_embedded[u] == 0)
                    for (size_t t = 0; t < k; t++) lists[(size_t)u * k + t] = XL_REC_NONE;
        xl_eval_row row;
        if (xl_eval_lists(lists, nu, k, &vtest, 0, ni, &row, err) < 0) goto out;
        p->models[m].val_ndcg = row.n_users ? row.rank.ndcg : -1;
    }
    rc = 0;
out:
    xl_csr_free(&vtrain);
    xl_csr_free(&vtest);
    free(lists);
    free(scores);
    return rc;
}

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
    p->hybrid_alpha = p->opt.hybrid_alpha;
    p->hybrid_val_ndcg[0] = p->hybrid_val_ndcg[1] = p->hybrid_val_ndcg[2] = -1;
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
    bool has_hybrid = false;
    for (size_t m = 0; m < p->opt.n_kinds; m++) has_hybrid |= p->opt.kinds[m] == XL_REC_HYBRID;
    if (has_hybrid && p->opt.hybrid_alpha < 0) {
        progress(p, "hybrid weight", 0, 1);
        if (hybrid_alpha_search(p, &prm, &p->hybrid_alpha, p->hybrid_val_ndcg, err) < 0)
            return xl_error_prefix(err, "recommend (hybrid weight)");
        prm.hybrid_alpha = p->hybrid_alpha;
        progress(p, "hybrid weight", 1, 1);
    }
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
    p->chosen = 0;
    if (p->n_models > 1) {
        for (size_t m = 0; m < p->n_models; m++) p->models[m].val_ndcg = -1;
        progress(p, "validation", 0, 1);
        if (validation_ndcg(p, &prm, err) < 0) return xl_error_prefix(err, "recommend (validation)");
        for (size_t m = 1; m < p->n_models; m++)
            if (p->models[m].val_ndcg > p->models[p->chosen].val_ndcg) p->chosen = m;
        progress(p, "validation", 1, 1);
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
    if (!pairs) goto out;
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
            xl_eval_row *row = &p->eval->rows[p->eval->n_rows++];
            if (xl_eval_lists_groups(pm->lists, nu, k, &truth, p->user_lang, pairs[j].ul, p->lang, pairs[j].il, row,
                                     err) < 0)
                goto out;
            snprintf(row->model, sizeof row->model, "%s", pm->label);
            snprintf(row->subset, sizeof row->subset, "%.20s->%.20s", pairs[j].ul, pairs[j].il);
        }
    p->evaluated = true;
    rc = 0;
out:
    xl_csr_free(&truth);
    free(pairs);
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
    xl_embedder_free(p->emb);
    for (uint32_t i = 0; p->item_tokens && i < ni; i++) xl_embedder_tokens_free(&p->item_tokens[i]);
    free(p->item_tokens);
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
