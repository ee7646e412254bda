/* xl_embedder.c - see xl_embedder.h. */
#include "xl_embedder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "w2v_vectors.h"
#include "wordpiece.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_model.h"
#include "xl_model_tokenizer.h"
#include "xl_thread.h"

struct xl_embedder {
    xl_embedder_kind kind;
    xl_embedder_options opt;
    int threads; /* resolved */
    size_t dim;
    char name[XL_DATAPATH_MAX + 256]; /* a path and what it is */
    /* word vectors */
    xl_w2v_vectors wv;
    bool wv_ok;
    float *sif_w;
    xl_pool *pool; /* the word-vector rows' threads, started once (BERT: the kernels' pool) */
    xl_buf words;  /* scratch: xl_sentvec_preprocess output */
    /* BERT */
    xl_model *model;
    xl_bert *bert;
    xl_kernels k;
    bool k_ok;
    xl_wordpiece *wp;
    xl_wordpiece_encoding enc;
    xl_bert_acts acts;
    xl_pooling pooling;
    bool normalize;
    size_t max_len;
    int32_t unk_id, sep_id;
};

void xl_embedder_options_default(xl_embedder_options *o)
{
    memset(o, 0, sizeof *o);
    o->kind = XL_EMBEDDER_AUTO;
    o->threads = XL_THREADS_DEFAULT;
    o->normalize = false;
    o->normalize_default = true;
    o->pooling = SENTVEC_SIF;
    o->remove_pc = true;
    o->sif_a = 1e-3;
    o->lowercase_fallback = true;
    o->bert_pooling = XL_POOL_DEFAULT;
    o->batch = 32;
    o->simd = XL_SIMD_AUTO;
}

/* err holds xl_datapath_find's list of the places searched for the encoder: say
 * what was missing and how to choose another embedder.  Returns -1. */
static int encoder_missing(xl_error *err)
{
    xl_error_prefix(err, "no model given (--model MODEL)");
    size_t len = strlen(err ? err->msg : "");
    if (err && len + 1 < sizeof err->msg)
        snprintf(err->msg + len, sizeof err->msg - len, ". Set %s to a directory holding %s, or use the word-vector "
                 "baseline with --word-vectors [FILE]", XL_DATA_ENV, XL_DATA_ENCODER);
    return -1;
}

int xl_embedder_default_path(xl_embedder_kind kind, char *out, size_t cap, xl_error *err)
{
    if (kind == XL_EMBEDDER_AUTO) {
        xl_embedder_kind found;
        return xl_embedder_default(&found, out, cap, err);
    }
    if (kind == XL_EMBEDDER_WORD_VECTORS) {
        const char *env = getenv("XLREC_WORD_VECTORS");
        if (env && *env) { /* the option given through the environment: used as is */
            if (strlen(env) + 1 > cap) return xl_fail(err, XL_ERR_LIMIT, "$XLREC_WORD_VECTORS: path too long");
            memcpy(out, env, strlen(env) + 1);
            return 0;
        }
        if (xl_datapath_find(XL_DATA_WORD_VECTORS, out, cap, err) == 0) return 0;
        return xl_error_prefix(err, "no word-vector file given (--word-vectors FILE)");
    }
    if (xl_datapath_find(XL_DATA_ENCODER, out, cap, err) == 0) return 0;
    return encoder_missing(err);
}

int xl_embedder_default(xl_embedder_kind *kind, char *out, size_t cap, xl_error *err)
{
    if (xl_datapath_find(XL_DATA_ENCODER, out, cap, err) == 0) {
        *kind = XL_EMBEDDER_BERT;
        return 0;
    }
    /* no encoder shipped (or installed): the word-vector baseline stands in, so the
     * commands keep working */
    xl_error werr;
    xl_error_clear(&werr);
    if (xl_embedder_default_path(XL_EMBEDDER_WORD_VECTORS, out, cap, &werr) == 0) {
        xl_error_clear(err);
        *kind = XL_EMBEDDER_WORD_VECTORS;
        return 0;
    }
    return encoder_missing(err); /* the encoder's search is the one to report */
}

/* An xlrec model file starts with its magic; anything else is taken for word vectors. */
xl_embedder_kind xl_embedder_path_kind(const char *path)
{
    if (strcmp(path, "-") == 0) return XL_EMBEDDER_WORD_VECTORS;
    FILE *f = fopen(path, "rb");
    if (!f) return XL_EMBEDDER_WORD_VECTORS; /* the reader reports the error */
    char magic[8];
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return got == sizeof magic && memcmp(magic, XL_MODEL_MAGIC, sizeof magic) == 0 ? XL_EMBEDDER_BERT
                                                                                   : XL_EMBEDDER_WORD_VECTORS;
}

static int open_word_vectors(xl_embedder *e, const char *path, xl_error *err)
{
    const xl_embedder_options *o = &e->opt;
    if (xl_w2v_vectors_read(path, W2V_FORMAT_AUTO, o->max_words, &e->wv, err) < 0) return -1;
    e->wv_ok = true;
    if (e->wv.n_words > INT32_MAX) return xl_fail(err, XL_ERR_FORMAT, "%s: more than %d words", path, INT32_MAX);
    e->dim = e->wv.dim;
    bool sif = o->pooling == SENTVEC_SIF;
    if (sif && xl_sentvec_sif_weights(&e->wv, o->counts_path, o->sif_a, &e->sif_w, err) < 0) return -1;
    if (e->threads > 1 && !(e->pool = xl_pool_new(e->threads, err))) return -1;
    snprintf(e->name, sizeof e->name, "word vectors %s (%zu words x %zu dims, %s pooling)", path, e->wv.n_words,
             e->wv.dim, sif ? "SIF" : "mean");
    return 0;
}

static int open_bert(xl_embedder *e, const char *path, xl_error *err)
{
    const xl_embedder_options *o = &e->opt;
    /* int8 weights stay int8 (the encoder runs them so; no float32 copy) */
    if (xl_model_open_ex(&e->model, path, XL_MODEL_OPEN_KEEP_I8, err) < 0) return -1;
    if (xl_kernels_init(&e->k, o->simd, e->threads, err) < 0) return -1;
    e->k_ok = true;
    if (xl_bert_from_model(&e->bert, e->model, &e->k, err) < 0) return -1;
    const xl_bert_config *c = &e->bert->cfg;
    e->pooling = o->bert_pooling == XL_POOL_DEFAULT ? c->pooling : o->bert_pooling;
    if (e->pooling == XL_POOL_POOLER && !c->has_pooler)
        return xl_fail(err, XL_ERR_USAGE, "%s: --pooling pooler: this model has no pooler layer", path);
    e->normalize = o->normalize_default ? c->normalize : o->normalize;
    if (o->max_len > c->max_position)
        return xl_fail(err, XL_ERR_USAGE, "--max-len %zu exceeds the model's %zu position embeddings", o->max_len,
                       c->max_position);
    e->max_len = o->max_len ? o->max_len : c->max_seq_len;
    if (e->max_len > c->max_position) e->max_len = c->max_position;
    if (!(e->wp = xl_model_tokenizer(e->model, err))) return -1;
    e->unk_id = xl_wordpiece_special_id(e->wp, WORDPIECE_UNK);
    e->sep_id = xl_wordpiece_special_id(e->wp, WORDPIECE_SEP);
    e->dim = e->pooling == XL_POOL_NONE ? c->hidden : xl_bert_output_dim(e->bert, e->pooling);
    snprintf(e->name, sizeof e->name, "BERT model %s (%zu layers, hidden %zu, %zu-dim %s pooling, vocabulary %zu)",
             path, c->n_layers, c->hidden, e->dim, xl_pooling_name(e->pooling), c->vocab_size);
    return 0;
}

int xl_embedder_open(xl_embedder **out, const char *path, const xl_embedder_options *opt, xl_error *err)
{
    *out = NULL;
    char default_path[XL_DATAPATH_MAX];
    xl_embedder_kind kind = opt ? opt->kind : XL_EMBEDDER_AUTO;
    if (!path) {
        int found = kind == XL_EMBEDDER_AUTO ? xl_embedder_default(&kind, default_path, sizeof default_path, err)
                                             : xl_embedder_default_path(kind, default_path, sizeof default_path, err);
        if (found < 0) return -1;
        path = default_path;
    }
    xl_embedder *e = xl_calloc(1, sizeof *e, err);
    if (!e) return -1;
    if (opt) e->opt = *opt;
    else xl_embedder_options_default(&e->opt);
    if (e->opt.batch == 0) e->opt.batch = 32;
    e->threads = xl_resolve_threads(e->opt.threads);
    e->kind = kind == XL_EMBEDDER_AUTO ? xl_embedder_path_kind(path) : kind;
    xl_wordpiece_encoding_init(&e->enc);
    xl_bert_acts_init(&e->acts, false);
    xl_buf_init(&e->words);
    int rc = e->kind == XL_EMBEDDER_BERT ? open_bert(e, path, err) : open_word_vectors(e, path, err);
    if (rc < 0) {
        xl_embedder_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void xl_embedder_free(xl_embedder *e)
{
    if (!e) return;
    if (e->wv_ok) xl_w2v_vectors_free(&e->wv);
    free(e->sif_w);
    xl_pool_free(e->pool);
    xl_buf_free(&e->words);
    xl_wordpiece_encoding_free(&e->enc);
    xl_bert_acts_free(&e->acts);
    xl_wordpiece_free(e->wp);
    xl_bert_free(e->bert);
    if (e->k_ok) xl_kernels_free(&e->k);
    xl_model_close(e->model);
    free(e);
}

xl_embedder_kind xl_embedder_kind_of(const xl_embedder *e) { return e->kind; }
xl_embedder_input xl_embedder_reads(const xl_embedder *e)
{
    return e->kind == XL_EMBEDDER_WORD_VECTORS ? XL_EMBEDDER_READS_WORDS : XL_EMBEDDER_READS_TEXT;
}
const char *xl_embedder_name(const xl_embedder *e) { return e->name; }
size_t xl_embedder_dim(const xl_embedder *e) { return e->dim; }
int xl_embedder_threads(const xl_embedder *e) { return e->threads; }
const xl_bert *xl_embedder_bert(const xl_embedder *e) { return e->bert; }
size_t xl_embedder_max_len(const xl_embedder *e) { return e->kind == XL_EMBEDDER_BERT ? e->max_len : 0; }

/* ------------------------------------------------------------------ tokens */

void xl_embedder_tokens_init(xl_embedder_tokens *t) { memset(t, 0, sizeof *t); }

void xl_embedder_tokens_free(xl_embedder_tokens *t)
{
    free(t->ids);
    free(t->type_ids);
    memset(t, 0, sizeof *t);
}

static int tokenize_words(xl_embedder *e, const char *text, size_t len, xl_embedder_tokens *t, xl_error *err)
{
    if (!e->opt.raw) {
        xl_buf_clear(&e->words);
        if (xl_sentvec_preprocess(text, len, &e->words, err) < 0) return -1;
        text = e->words.data ? e->words.data : "";
        len = e->words.len;
    }
    if (xl_sentvec_lookup(&e->wv, text, len, e->opt.lowercase_fallback, &t->ids, &t->len, &t->cap, err) < 0) return -1;
    t->n_tokens = t->len;
    for (size_t i = 0; i < t->len; i++) t->n_known += t->ids[i] >= 0;
    return 0;
}

static int tokenize_bert(xl_embedder *e, const char *text, size_t len, xl_embedder_tokens *t, xl_error *err)
{
    xl_wordpiece_encode_options eo;
    xl_wordpiece_encode_options_default(&eo);
    eo.max_length = e->max_len; /* only the kept pieces are stored (a huge line costs no more than max_len) */
    xl_wordpiece_encoding *enc = &e->enc;
    if (xl_wordpiece_encode(e->wp, text, len, NULL, 0, &eo, enc, err) < 0) return -1;
    int32_t *ids = xl_array_reserve(t->ids, &t->cap, enc->len ? enc->len : 1, 16, err);
    if (!ids) return -1;
    t->ids = ids;
    memcpy(t->ids, enc->ids, enc->len * sizeof *t->ids);
    t->len = enc->len;
    t->specials = enc->len > 0 && enc->sequence[0] < 0;
    t->truncated = enc->n_truncated > 0;
    for (size_t i = 0; i < enc->len; i++) {
        if (enc->sequence[i] < 0) continue;
        t->n_tokens++;
        t->n_known += enc->ids[i] != e->unk_id;
    }
    return 0;
}

int xl_embedder_tokenize(xl_embedder *e, const char *text, size_t len, xl_embedder_tokens *t, xl_error *err)
{
    t->len = t->n_tokens = t->n_known = 0;
    t->specials = t->truncated = false;
    free(t->type_ids);
    t->type_ids = NULL;
    t->type_cap = 0;
    return e->kind == XL_EMBEDDER_BERT ? tokenize_bert(e, text, len, t, err) : tokenize_words(e, text, len, t, err);
}

/* ------------------------------------------------------------------ embed */

static int embed_words(xl_embedder *e, const xl_embedder_tokens *t, size_t n, float *out, xl_embedder_stats *st,
                       xl_error *err)
{
    const int32_t **ids = xl_calloc(n ? n : 1, sizeof *ids, err);
    size_t *lens = xl_calloc(n ? n : 1, sizeof *lens, err);
    int rc = -1;
    if (ids && lens) {
        for (size_t i = 0; i < n; i++) {
            ids[i] = t[i].ids;
            lens[i] = t[i].len;
        }
        bool sif = e->opt.pooling == SENTVEC_SIF;
        xl_sentvec_options so = {e->opt.pooling, sif && e->opt.remove_pc, e->opt.normalize, e->opt.lowercase_fallback,
                              NULL, e->threads, e->pool};
        rc = xl_sentvec_embed_ids(&e->wv, sif ? e->sif_w : NULL, ids, lens, n, &so, out, NULL, &st->n_empty, err);
    }
    free(ids);
    free(lens);
    return rc;
}

/* A batch of at most opt.batch texts as encoder input; texts longer than
 * max_len cut as HF truncates one sequence: [CLS] + first max_len-2 pieces +
 * [SEP] (without added specials: the first max_len ids). */
typedef struct {
    const int32_t **ids, **types;
    size_t *lens;
    int32_t **cut; /* owned copies of truncated texts */
    size_t *cut_cap;
} bert_batch;

static int batch_input(xl_embedder *e, bert_batch *b, const xl_embedder_tokens *t, size_t nb, xl_bert_input *in,
                       xl_embedder_stats *st, xl_error *err)
{
    size_t max = e->max_len;
    for (size_t j = 0; j < nb; j++) {
        const xl_embedder_tokens *s = &t[j];
        b->ids[j] = s->ids;
        b->types[j] = s->type_ids;
        b->lens[j] = s->len;
        if (s->len <= max) {
            st->n_truncated += s->truncated;
            continue;
        }
        st->n_truncated++;
        if (!s->specials) {
            b->lens[j] = max;
            continue;
        }
        if (max < 2)
            return xl_fail(err, XL_ERR_USAGE, "wordpiece: max length %zu cannot hold the %d special tokens", max, 2);
        int32_t *c = xl_array_reserve(b->cut[j], &b->cut_cap[j], max, 64, err);
        if (!c) return -1;
        b->cut[j] = c;
        memcpy(c, s->ids, (max - 1) * sizeof *c);
        c[max - 1] = s->ids[s->len - 1]; /* the closing [SEP] */
        b->ids[j] = c;
        b->lens[j] = max;
    }
    in->n_seq = nb;
    in->ids = b->ids;
    in->type_ids = b->types;
    in->mask = NULL;
    in->len = b->lens;
    return 0;
}

static int bert_batches(xl_embedder *e, const xl_embedder_tokens *t, size_t n, float *out,
                        xl_embedder_token_rows_fn fn, void *ctx, xl_embedder_stats *st, xl_error *err)
{
    size_t B = e->opt.batch;
    bert_batch b;
    b.ids = xl_calloc(B, sizeof *b.ids, err);
    b.types = xl_calloc(B, sizeof *b.types, err);
    b.lens = xl_calloc(B, sizeof *b.lens, err);
    b.cut = xl_calloc(B, sizeof *b.cut, err);
    b.cut_cap = xl_calloc(B, sizeof *b.cut_cap, err);
    int rc = -1;
    if (!b.ids || !b.types || !b.lens || !b.cut || !b.cut_cap) goto out;
    const size_t H = e->bert->cfg.hidden;
    for (size_t i = 0; i < n; i += B) {
        size_t nb = n - i < B ? n - i : B;
        xl_bert_input in;
        if (batch_input(e, &b, t + i, nb, &in, st, err) < 0) goto out;
        if (xl_bert_forward(e->bert, &e->k, e->threads, &in, &e->acts, err) < 0) goto out;
        if (fn) {
            const float *hs = xl_bert_last_hidden(e->bert, &e->acts);
            for (size_t j = 0; j < nb; j++) {
                int r = fn(ctx, i + j, hs + e->acts.off[j] * H, in.len[j], H, err);
                if (r != 0) {
                    rc = r;
                    goto out;
                }
            }
        } else if (xl_bert_pool(e->bert, &e->k, e->threads, &in, &e->acts, e->pooling, e->normalize,
                                out + i * e->dim, err) < 0) {
            goto out;
        }
    }
    rc = 0;
out:
    if (b.cut)
        for (size_t j = 0; j < B; j++) free(b.cut[j]);
    free(b.ids), free(b.types), free(b.lens), free(b.cut), free(b.cut_cap);
    return rc;
}

int xl_embedder_embed_tokens(xl_embedder *e, const xl_embedder_tokens *t, size_t n, float *out,
                             xl_embedder_stats *stats, xl_error *err)
{
    xl_embedder_stats st = {0, 0};
    int rc;
    if (e->kind == XL_EMBEDDER_BERT) {
        if (e->pooling == XL_POOL_NONE)
            return xl_fail(err, XL_ERR_USAGE, "pooling none gives token rows: use xl_embedder_token_states");
        rc = bert_batches(e, t, n, out, NULL, NULL, &st, err);
    } else {
        rc = embed_words(e, t, n, out, &st, err);
    }
    if (stats) *stats = st;
    return rc;
}

int xl_embedder_token_states(xl_embedder *e, const xl_embedder_tokens *t, size_t n, xl_embedder_token_rows_fn fn,
                             void *ctx, xl_embedder_stats *stats, xl_error *err)
{
    if (e->kind != XL_EMBEDDER_BERT)
        return xl_fail(err, XL_ERR_USAGE, "%s: token states need a BERT model, not word vectors", e->name);
    xl_embedder_stats st = {0, 0};
    int rc = bert_batches(e, t, n, NULL, fn, ctx, &st, err);
    if (stats) *stats = st;
    return rc;
}

int xl_embedder_embed(xl_embedder *e, const char *const *texts, const size_t *lens, size_t n, float *out,
                      xl_embedder_stats *stats, xl_error *err)
{
    xl_embedder_tokens *t = xl_calloc(n ? n : 1, sizeof *t, err);
    if (!t) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = xl_embedder_tokenize(e, texts[i], lens ? lens[i] : strlen(texts[i]), &t[i], err);
    if (rc == 0) rc = xl_embedder_embed_tokens(e, t, n, out, stats, err);
    for (size_t i = 0; i < n; i++) xl_embedder_tokens_free(&t[i]);
    free(t);
    return rc;
}

int xl_embedder_embed_file(xl_embedder *e, const char *path, size_t max_lines, float **out, size_t *n_lines,
                           xl_embedder_stats *stats, xl_error *err)
{
    *out = NULL;
    *n_lines = 0;
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    xl_embedder_tokens *t = NULL;
    size_t n = 0, cap = 0;
    const char *line;
    size_t len;
    int rc = 0;
    while ((max_lines == 0 || n < max_lines) && (rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        xl_embedder_tokens *grown = xl_array_reserve(t, &cap, n + 1, 1024, err);
        if (!grown) {
            rc = -1;
            break;
        }
        t = grown;
        xl_embedder_tokens_init(&t[n]);
        if ((rc = xl_embedder_tokenize(e, line, len, &t[n++], err)) < 0) break;
    }
    xl_lines_close(&r);
    size_t bytes;
    float *o = NULL;
    if (rc == 0 && !xl_mul_size(n ? n : 1, e->dim * sizeof(float), &bytes))
        rc = xl_fail(err, XL_ERR_NOMEM, "%s: too many lines", path);
    if (rc == 0 && !(o = xl_malloc(bytes, err))) rc = -1;
    if (rc == 0) rc = xl_embedder_embed_tokens(e, t, n, o, stats, err);
    for (size_t i = 0; i < n; i++) xl_embedder_tokens_free(&t[i]);
    free(t);
    if (rc < 0) {
        free(o);
        return -1;
    }
    *out = o;
    *n_lines = n;
    return 0;
}
