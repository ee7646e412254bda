/* convert.c - HuggingFace checkpoint directory -> xlrec model file (see
 * xl_convert.h; the metadata keys and canonical tensor names are specified in
 * docs/model-format.md, the conversion of real checkpoints in docs/encoder.md). */
#include "xl_convert.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_json.h"
#include "xl_model.h"
#include "xl_parse.h"
#include "xl_platform.h"
#include "xl_safetensors.h"
#include "xl_version.h"

#define MAX_DENSE 8
#define XL_VOCAB_LINE_MAX ((size_t)1 << 20)
#define JSON_MAX_BYTES XL_READ_MAX_TEXT

enum { ARCH_BERT, ARCH_DISTILBERT };

typedef struct {
    int64_t in, out;
    bool bias;
    const char *activation; /* "tanh" | "identity" */
    char dir[4096];
} dense_cfg;

typedef struct {
    const char *dir;
    xl_note_fn note;
    void *note_ctx;
    xl_model_writer *w;
    int arch;
    char model_dir[4096]; /* where config.json / model.safetensors live */
    int64_t vocab, hidden, layers, heads, inter, maxpos, type_vocab;
    double eps;
    /* tokenizer */
    bool have_vocab;
    bool lowercase, chinese_chars, clean_text, st_lowercase;
    int strip_accents; /* -1 = follow lowercase (HF None), 0, 1 */
    char special[5][128]; /* unk, cls, sep, pad, mask */
    char subword_prefix[32];
    int64_t max_chars_per_word;
    double model_max_length; /* 0 = unknown */
    /* sentence-transformers */
    bool is_st;
    const char *pooling;
    bool normalize;
    int64_t st_max_seq;
    int n_dense;
    dense_cfg dense[MAX_DENSE];
} conv;

static const char *special_keys[5] = {"unk_token", "cls_token", "sep_token", "pad_token", "mask_token"};

static void notef(conv *c, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void notef(conv *c, const char *fmt, ...)
{
    if (c->note == NULL) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->note(c->note_ctx, buf);
}

static int join(char *out, size_t cap, const char *a, const char *b, xl_error *err)
{
    int n;
    if (a[0] == '\0') n = snprintf(out, cap, "%s", b);
    else if (b[0] == '\0') n = snprintf(out, cap, "%s", a);
    else n = snprintf(out, cap, "%s%s%s", a, a[strlen(a) - 1] == '/' ? "" : "/", b);
    if (n < 0 || (size_t)n >= cap) return xl_fail(err, XL_ERR_LIMIT, "path too long: %s/%s", a, b);
    return 0;
}


/* Parse a JSON file; *doc is NULL (and 0 returned) when the file is absent
 * and !required. */
static int read_json(const char *path, bool required, xl_json_doc **doc, xl_error *err)
{
    *doc = NULL;
    if (!xl_file_readable(path)) {
        if (required) return xl_fail(err, XL_ERR_IO, "%s: file not found", path);
        return 0;
    }
    char *text;
    size_t len;
    if (xl_read_file_ex(path, JSON_MAX_BYTES, "XL_READ_MAX_TEXT", XL_TEXT_HEAD, xl_head_is_text,
                        &text, &len, err) < 0) return -1;
    xl_json_limits lim = {0, 0, XL_JSON_DUP_LAST_WINS}; /* Python's json keeps the last duplicate */
    int rc = xl_json_parse(text, len, &lim, doc, err);
    free(text);
    if (rc < 0) return xl_error_prefix(err, "%s", path);
    return 0;
}

static int get_int(const xl_json *obj, const char *key, const char *file, bool required, int64_t lo, int64_t hi,
                   int64_t *out, xl_error *err)
{
    const xl_json *v = xl_json_get(obj, key);
    if (v == NULL || xl_json_is(v, XL_JSON_NULL)) {
        if (required) return xl_fail(err, XL_ERR_FORMAT, "%s: missing integer \"%s\"", file, key);
        return 0;
    }
    if (!xl_json_is(v, XL_JSON_NUMBER) || !v->u.number.is_int)
        return xl_fail(err, XL_ERR_FORMAT, "%s: \"%s\" is not an integer", file, key);
    if (v->u.number.int_value < lo || v->u.number.int_value > hi)
        return xl_fail(err, XL_ERR_FORMAT, "%s: \"%s\" = %" PRId64 " outside %" PRId64 "..%" PRId64, file, key,
                       v->u.number.int_value, lo, hi);
    *out = v->u.number.int_value;
    return 0;
}

/* true/false/null JSON -> 1/0/-1; absent leaves *out. */
static int get_tristate(const xl_json *obj, const char *key, const char *file, int *out, xl_error *err)
{
    const xl_json *v = xl_json_get(obj, key);
    if (v == NULL) return 0;
    if (xl_json_is(v, XL_JSON_NULL)) *out = -1;
    else if (xl_json_is(v, XL_JSON_BOOL)) *out = v->u.boolean ? 1 : 0;
    else return xl_fail(err, XL_ERR_FORMAT, "%s: \"%s\" is not true, false or null", file, key);
    return 0;
}

static int get_bool(const xl_json *obj, const char *key, const char *file, bool *out, xl_error *err)
{
    int t = *out ? 1 : 0;
    if (get_tristate(obj, key, file, &t, err) < 0) return -1;
    if (t >= 0) *out = t == 1;
    return 0;
}

/* ---- config.json ----------------------------------------------------------- */

static int read_config(conv *c, xl_error *err)
{
    char path[4096];
    if (join(path, sizeof path, c->model_dir, "config.json", err) < 0) return -1;
    xl_json_doc *doc;
    if (read_json(path, true, &doc, err) < 0) return -1;
    const xl_json *cfg = xl_json_root(doc);
    int rc = -1;
    if (!xl_json_is(cfg, XL_JSON_OBJECT)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: not a JSON object", path);
        goto done;
    }
    const char *mt = xl_json_get_string(cfg, "model_type");
    if (mt == NULL) {
        /* old configs lack model_type: recognise DistilBERT by its key names */
        mt = xl_json_get(cfg, "n_layers") && xl_json_get(cfg, "dim") ? "distilbert" : "bert";
        notef(c, "%s: no \"model_type\"; assuming \"%s\" from its keys", path, mt);
    }
    const int64_t BIG = (int64_t)1 << 31;
    if (strcmp(mt, "bert") == 0) {
        c->arch = ARCH_BERT;
        c->type_vocab = 2;
        if (get_int(cfg, "vocab_size", path, true, 1, BIG, &c->vocab, err) < 0 ||
            get_int(cfg, "hidden_size", path, true, 1, 1 << 16, &c->hidden, err) < 0 ||
            get_int(cfg, "num_hidden_layers", path, true, 1, 1024, &c->layers, err) < 0 ||
            get_int(cfg, "num_attention_heads", path, true, 1, 1 << 12, &c->heads, err) < 0 ||
            get_int(cfg, "intermediate_size", path, true, 1, 1 << 20, &c->inter, err) < 0 ||
            get_int(cfg, "max_position_embeddings", path, true, 1, 1 << 20, &c->maxpos, err) < 0 ||
            get_int(cfg, "type_vocab_size", path, false, 0, 1 << 16, &c->type_vocab, err) < 0)
            goto done;
        c->eps = 1e-12;
        const xl_json *e = xl_json_get(cfg, "layer_norm_eps");
        if (e != NULL) {
            if (!xl_json_get_double(cfg, "layer_norm_eps", &c->eps) || !(c->eps >= 0) || c->eps > 1) {
                xl_fail(err, XL_ERR_FORMAT, "%s: \"layer_norm_eps\" is not a number in [0, 1]", path);
                goto done;
            }
        }
        const char *act = xl_json_get_string(cfg, "hidden_act");
        if (act != NULL && strcmp(act, "gelu") != 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: \"hidden_act\" is \"%s\"; only \"gelu\" (erf) is implemented", path, act);
            goto done;
        }
        const char *pet = xl_json_get_string(cfg, "position_embedding_type");
        if (pet != NULL && strcmp(pet, "absolute") != 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: \"position_embedding_type\" is \"%s\"; only \"absolute\" is implemented", path,
                    pet);
            goto done;
        }
    } else if (strcmp(mt, "distilbert") == 0) {
        c->arch = ARCH_DISTILBERT;
        c->type_vocab = 0;
        if (get_int(cfg, "vocab_size", path, true, 1, BIG, &c->vocab, err) < 0 ||
            get_int(cfg, "dim", path, true, 1, 1 << 16, &c->hidden, err) < 0 ||
            get_int(cfg, "n_layers", path, true, 1, 1024, &c->layers, err) < 0 ||
            get_int(cfg, "n_heads", path, true, 1, 1 << 12, &c->heads, err) < 0 ||
            get_int(cfg, "hidden_dim", path, true, 1, 1 << 20, &c->inter, err) < 0 ||
            get_int(cfg, "max_position_embeddings", path, true, 1, 1 << 20, &c->maxpos, err) < 0)
            goto done;
        c->eps = 1e-12; /* fixed in transformers' DistilBERT (nn.LayerNorm(eps=1e-12)) */
        const char *act = xl_json_get_string(cfg, "activation");
        if (act != NULL && strcmp(act, "gelu") != 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: \"activation\" is \"%s\"; only \"gelu\" (erf) is implemented", path, act);
            goto done;
        }
    } else {
        xl_fail(err, XL_ERR_FORMAT, "%s: model_type \"%s\" is not supported (bert, distilbert)", path, mt);
        goto done;
    }
    if (c->hidden % c->heads != 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: hidden size %" PRId64 " is not a multiple of the %" PRId64 " attention heads",
                path, c->hidden, c->heads);
        goto done;
    }
    const xl_json *archs = xl_json_get(cfg, "architectures");
    if (xl_json_count(archs) > 0 && xl_json_string(xl_json_at(archs, 0)))
        if (xl_model_writer_set_string(c->w, "source.architecture", xl_json_string(xl_json_at(archs, 0)), err) < 0)
            goto done;
    rc = 0;
done:
    xl_json_free(doc);
    return rc;
}

/* ---- tokenizer files ------------------------------------------------------ */

static int read_vocab_txt(conv *c, const char *path, xl_error *err)
{
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    r.max_line = XL_VOCAB_LINE_MAX; /* a token, not a document: /dev/zero fails after 1 MiB */
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (xl_model_writer_add_token(c->w, line, len, err) < 0) {
            xl_error_prefix(err, "%s:%" PRIu64, path, r.lineno);
            rc = -1;
            break;
        }
    }
    xl_lines_close(&r);
    return rc < 0 ? -1 : 0;
}

static int read_tokenizer_json(conv *c, const char *path, xl_error *err)
{
    xl_json_doc *doc;
    if (read_json(path, true, &doc, err) < 0) return -1;
    const xl_json *root = xl_json_root(doc), *model = xl_json_get(root, "model");
    const char *type = xl_json_get_string(model, "type");
    const xl_json *vocab = xl_json_get(model, "vocab");
    const char **tokens = NULL;
    size_t *lens = NULL;
    int rc = -1;
    if (type == NULL || strcmp(type, "WordPiece") != 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: model.type is \"%s\"; only WordPiece is supported", path, type ? type : "(none)");
        goto done;
    }
    if (!xl_json_is(vocab, XL_JSON_OBJECT)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: model.vocab is not an object", path);
        goto done;
    }
    size_t n = vocab->u.object.count;
    tokens = xl_calloc(n ? n : 1, sizeof *tokens, err);
    lens = xl_calloc(n ? n : 1, sizeof *lens, err);
    if (tokens == NULL || lens == NULL) goto done;
    for (size_t i = 0; i < n; i++) {
        const xl_json_member *m = &vocab->u.object.members[i];
        const xl_json *id = m->value;
        if (!xl_json_is(id, XL_JSON_NUMBER) || !id->u.number.is_int || id->u.number.int_value < 0 ||
            (uint64_t)id->u.number.int_value >= n) {
            xl_fail(err, XL_ERR_FORMAT, "%s: model.vocab[\"%s\"]: id is not an integer in 0..%zu", path, m->key, n - 1);
            goto done;
        }
        size_t k = (size_t)id->u.number.int_value;
        if (tokens[k] != NULL) {
            xl_fail(err, XL_ERR_FORMAT, "%s: model.vocab: id %zu given to both \"%s\" and \"%s\"", path, k, tokens[k],
                    m->key);
            goto done;
        }
        tokens[k] = m->key;
        lens[k] = m->key_len;
    }
    for (size_t k = 0; k < n; k++)
        if (xl_model_writer_add_token(c->w, tokens[k], lens[k], err) < 0) {
            xl_error_prefix(err, "%s", path);
            goto done;
        }
    const char *unk = xl_json_get_string(model, "unk_token");
    if (unk && strlen(unk) < sizeof c->special[0]) snprintf(c->special[0], sizeof c->special[0], "%s", unk);
    const char *pre = xl_json_get_string(model, "continuing_subword_prefix");
    if (pre && strlen(pre) < sizeof c->subword_prefix) snprintf(c->subword_prefix, sizeof c->subword_prefix, "%s", pre);
    int64_t mc;
    if (xl_json_get_int(model, "max_input_chars_per_word", &mc) && mc > 0) c->max_chars_per_word = mc;
    const xl_json *norm = xl_json_get(root, "normalizer");
    const char *ntype = xl_json_get_string(norm, "type");
    if (ntype && strcmp(ntype, "BertNormalizer") == 0) {
        if (get_bool(norm, "lowercase", path, &c->lowercase, err) < 0 ||
            get_bool(norm, "handle_chinese_chars", path, &c->chinese_chars, err) < 0 ||
            get_bool(norm, "clean_text", path, &c->clean_text, err) < 0 ||
            get_tristate(norm, "strip_accents", path, &c->strip_accents, err) < 0)
            goto done;
    } else if (ntype) {
        notef(c, "%s: normalizer \"%s\" is not BertNormalizer; using BERT defaults and tokenizer_config.json", path,
              ntype);
    }
    rc = 0;
done:
    free(tokens);
    free(lens);
    xl_json_free(doc);
    return rc;
}

static void special_token(conv *c, const xl_json *cfg, int k)
{
    const xl_json *v = xl_json_get(cfg, special_keys[k]);
    const char *s = xl_json_string(v);
    if (s == NULL) s = xl_json_get_string(v, "content"); /* AddedToken form */
    if (s && strlen(s) < sizeof c->special[k]) snprintf(c->special[k], sizeof c->special[k], "%s", s);
}

static int read_tokenizer(conv *c, xl_error *err)
{
    char vt[4096], tj[4096], tc[4096];
    if (join(vt, sizeof vt, c->model_dir, "vocab.txt", err) < 0 ||
        join(tj, sizeof tj, c->model_dir, "tokenizer.json", err) < 0 ||
        join(tc, sizeof tc, c->model_dir, "tokenizer_config.json", err) < 0)
        return -1;
    if (xl_file_readable(vt)) {
        if (read_vocab_txt(c, vt, err) < 0) return -1;
        if (xl_file_readable(tj)) {
            /* flags only: vocab.txt is what BertTokenizer reads */
            xl_json_doc *doc;
            if (read_json(tj, true, &doc, err) < 0) return -1;
            const xl_json *norm = xl_json_get(xl_json_root(doc), "normalizer");
            const char *ntype = xl_json_get_string(norm, "type");
            int rc = 0;
            if (ntype && strcmp(ntype, "BertNormalizer") == 0)
                rc = (get_bool(norm, "lowercase", tj, &c->lowercase, err) < 0 ||
                      get_bool(norm, "handle_chinese_chars", tj, &c->chinese_chars, err) < 0 ||
                      get_bool(norm, "clean_text", tj, &c->clean_text, err) < 0 ||
                      get_tristate(norm, "strip_accents", tj, &c->strip_accents, err) < 0)
                         ? -1
                         : 0;
            xl_json_free(doc);
            if (rc < 0) return -1;
        }
    } else if (xl_file_readable(tj)) {
        if (read_tokenizer_json(c, tj, err) < 0) return -1;
    }
    c->have_vocab = xl_model_writer_token_count(c->w) > 0;
    if (!c->have_vocab)
        notef(c, "warning: %s has no vocab.txt or tokenizer.json: the model will accept only token ids (--input ids)",
              c->model_dir);
    else if ((int64_t)xl_model_writer_token_count(c->w) > c->vocab)
        return xl_fail(err, XL_ERR_FORMAT, "%s: the vocabulary has %zu tokens but config.json vocab_size is %" PRId64,
                       c->model_dir, xl_model_writer_token_count(c->w), c->vocab);
    else if ((int64_t)xl_model_writer_token_count(c->w) < c->vocab)
        notef(c, "note: vocabulary has %zu tokens, the embedding matrix %" PRId64 " rows (the rest are unused)",
              xl_model_writer_token_count(c->w), c->vocab);

    xl_json_doc *doc;
    if (read_json(tc, false, &doc, err) < 0) return -1;
    if (doc != NULL) {
        const xl_json *cfg = xl_json_root(doc);
        int rc = (get_bool(cfg, "do_lower_case", tc, &c->lowercase, err) < 0 ||
                  get_bool(cfg, "tokenize_chinese_chars", tc, &c->chinese_chars, err) < 0 ||
                  get_tristate(cfg, "strip_accents", tc, &c->strip_accents, err) < 0)
                     ? -1
                     : 0;
        for (int k = 0; k < 5; k++) special_token(c, cfg, k);
        double mml;
        if (xl_json_get_double(cfg, "model_max_length", &mml) && mml > 0) c->model_max_length = mml;
        xl_json_free(doc);
        if (rc < 0) return -1;
    } else if (c->have_vocab) {
        notef(c, "note: no tokenizer_config.json: using BertTokenizer defaults (do_lower_case=true)");
    }
    return 0;
}

/* ---- sentence-transformers ------------------------------------------------ */

static int read_dense(conv *c, const char *sub, xl_error *err)
{
    if (c->n_dense >= MAX_DENSE) return xl_fail(err, XL_ERR_LIMIT, "%s: more than %d Dense modules", c->dir, MAX_DENSE);
    dense_cfg *d = &c->dense[c->n_dense];
    char path[4096];
    if (join(d->dir, sizeof d->dir, c->dir, sub, err) < 0 || join(path, sizeof path, d->dir, "config.json", err) < 0)
        return -1;
    xl_json_doc *doc;
    if (read_json(path, true, &doc, err) < 0) return -1;
    const xl_json *cfg = xl_json_root(doc);
    int rc = -1;
    d->bias = true;
    if (get_int(cfg, "in_features", path, true, 1, 1 << 20, &d->in, err) < 0 ||
        get_int(cfg, "out_features", path, true, 1, 1 << 20, &d->out, err) < 0 ||
        get_bool(cfg, "bias", path, &d->bias, err) < 0)
        goto done;
    const char *act = xl_json_get_string(cfg, "activation_function");
    if (act == NULL || strcmp(act, "torch.nn.modules.activation.Tanh") == 0) d->activation = "tanh";
    else if (strcmp(act, "torch.nn.modules.linear.Identity") == 0) d->activation = "identity";
    else {
        xl_fail(err, XL_ERR_FORMAT, "%s: activation_function \"%s\" is not supported (Tanh, Identity)", path, act);
        goto done;
    }
    c->n_dense++;
    rc = 0;
done:
    xl_json_free(doc);
    return rc;
}

static int read_pooling(conv *c, const char *sub, xl_error *err)
{
    char dir[4096], path[4096];
    if (join(dir, sizeof dir, c->dir, sub, err) < 0 || join(path, sizeof path, dir, "config.json", err) < 0) return -1;
    xl_json_doc *doc;
    if (read_json(path, true, &doc, err) < 0) return -1;
    const xl_json *cfg = xl_json_root(doc);
    static const struct {
        const char *key, *mode;
    } modes[] = {{"pooling_mode_cls_token", "cls"},
                 {"pooling_mode_mean_tokens", "mean"},
                 {"pooling_mode_max_tokens", "max"},
                 {"pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len"},
                 {"pooling_mode_weightedmean_tokens", NULL},
                 {"pooling_mode_lasttoken", NULL}};
    int n_on = 0, rc = -1;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        bool on = false;
        if (get_bool(cfg, modes[i].key, path, &on, err) < 0) goto done;
        if (!on) continue;
        if (modes[i].mode == NULL) {
            xl_fail(err, XL_ERR_FORMAT, "%s: \"%s\" pooling is not supported", path, modes[i].key);
            goto done;
        }
        c->pooling = modes[i].mode;
        n_on++;
    }
    if (n_on != 1) {
        xl_fail(err, XL_ERR_FORMAT, "%s: %d pooling modes are enabled; exactly one is supported", path, n_on);
        goto done;
    }
    int64_t dim;
    if (get_int(cfg, "word_embedding_dimension", path, false, 1, 1 << 20, &dim, err) < 0) goto done;
    rc = 0;
done:
    xl_json_free(doc);
    return rc;
}

static int read_sentence_transformers(conv *c, xl_error *err)
{
    char path[4096];
    if (join(path, sizeof path, c->dir, "modules.json", err) < 0) return -1;
    xl_json_doc *doc;
    if (read_json(path, false, &doc, err) < 0) return -1;
    if (doc == NULL) return 0;
    c->is_st = true;
    const xl_json *mods = xl_json_root(doc);
    int rc = -1;
    if (!xl_json_is(mods, XL_JSON_ARRAY)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: not a JSON array", path);
        goto done;
    }
    for (size_t i = 0; i < xl_json_count(mods); i++) {
        const xl_json *m = xl_json_at(mods, i);
        const char *type = xl_json_get_string(m, "type"), *sub = xl_json_get_string(m, "path");
        if (type == NULL || sub == NULL) {
            xl_fail(err, XL_ERR_FORMAT, "%s: module %zu lacks \"type\" or \"path\"", path, i);
            goto done;
        }
        const char *cls = strrchr(type, '.');
        cls = cls ? cls + 1 : type;
        if (strcmp(cls, "Transformer") == 0) {
            if (i != 0) {
                xl_fail(err, XL_ERR_FORMAT, "%s: the Transformer module must come first", path);
                goto done;
            }
            if (join(c->model_dir, sizeof c->model_dir, c->dir, sub, err) < 0) goto done;
        } else if (strcmp(cls, "Pooling") == 0) {
            if (read_pooling(c, sub, err) < 0) goto done;
        } else if (strcmp(cls, "Dense") == 0) {
            if (read_dense(c, sub, err) < 0) goto done;
        } else if (strcmp(cls, "Normalize") == 0) {
            c->normalize = true;
        } else {
            xl_fail(err, XL_ERR_FORMAT, "%s: module type \"%s\" is not supported", path, type);
            goto done;
        }
    }
    rc = 0;
done:
    xl_json_free(doc);
    return rc;
}

static int read_sbert_config(conv *c, xl_error *err)
{
    char path[4096];
    if (join(path, sizeof path, c->dir, "sentence_bert_config.json", err) < 0) return -1;
    xl_json_doc *doc;
    if (read_json(path, false, &doc, err) < 0) return -1;
    if (doc == NULL) return 0;
    const xl_json *cfg = xl_json_root(doc);
    int rc = (get_int(cfg, "max_seq_length", path, false, 1, 1 << 20, &c->st_max_seq, err) < 0 ||
              get_bool(cfg, "do_lower_case", path, &c->st_lowercase, err) < 0)
                 ? -1
                 : 0;
    xl_json_free(doc);
    return rc;
}

/* ---- tensors ---------------------------------------------------------------- */

typedef struct {
    char name[160];
    int rank;
    uint64_t shape[2];
    bool required;
    const char *found_as; /* checkpoint name once found */
} expect;

static const char *const head_prefixes[] = {"cls.",           "pre_classifier.",   "classifier.",   "vocab_transform.",
                                            "vocab_layer_norm.", "vocab_projector.", "qa_outputs.", NULL};

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static bool ends(const char *s, const char *p)
{
    size_t a = strlen(s), b = strlen(p);
    return a >= b && strcmp(s + a - b, p) == 0;
}

enum { MAP_KEEP, MAP_HEAD, MAP_BUFFER };

/* Checkpoint name -> canonical BertModel name (out). */
static int map_name(const char *src, int arch, char *out, size_t cap)
{
    const char *s = src;
    if (starts(s, "bert.")) s += 5;
    else if (starts(s, "distilbert.")) s += 11;
    for (int i = 0; head_prefixes[i]; i++)
        if (starts(s, head_prefixes[i])) return MAP_HEAD;
    if (ends(s, "position_ids") || ends(s, "token_type_ids")) return MAP_BUFFER;
    char tmp[512];
    if (snprintf(tmp, sizeof tmp, "%s", s) >= (int)sizeof tmp) { /* too long to be a BERT name: keep it */
        snprintf(out, cap, "%s", s);
        return MAP_KEEP;
    }
    /* old TF-port LayerNorm names */
    size_t n = strlen(tmp);
    if (ends(tmp, ".gamma")) snprintf(tmp + n - 6, sizeof tmp - (n - 6), ".weight");
    else if (ends(tmp, ".beta")) snprintf(tmp + n - 5, sizeof tmp - (n - 5), ".bias");
    if (arch == ARCH_DISTILBERT && starts(tmp, "transformer.layer.")) {
        static const char *const map[][2] = {{"attention.q_lin.", "attention.self.query."},
                                             {"attention.k_lin.", "attention.self.key."},
                                             {"attention.v_lin.", "attention.self.value."},
                                             {"attention.out_lin.", "attention.output.dense."},
                                             {"sa_layer_norm.", "attention.output.LayerNorm."},
                                             {"ffn.lin1.", "intermediate.dense."},
                                             {"ffn.lin2.", "output.dense."},
                                             {"output_layer_norm.", "output.LayerNorm."}};
        const char *rest = tmp + strlen("transformer.layer.");
        const char *dot = strchr(rest, '.');
        if (dot != NULL) {
            int layer_len = (int)(dot - rest);
            for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
                if (starts(dot + 1, map[i][0])) {
                    snprintf(out, cap, "encoder.layer.%.*s.%s%s", layer_len, rest, map[i][1], dot + 1 + strlen(map[i][0]));
                    return MAP_KEEP;
                }
        }
    }
    snprintf(out, cap, "%s", tmp);
    return MAP_KEEP;
}

static int add_expect(expect **list, size_t *n, size_t *cap, const char *name, int rank, uint64_t d0, uint64_t d1,
                      bool required, xl_error *err)
{
    expect *p = xl_array_reserve(*list, cap, *n + 1, 64, err);
    if (p == NULL) return -1;
    *list = p;
    expect *e = &(*list)[(*n)++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->rank = rank;
    e->shape[0] = d0;
    e->shape[1] = d1;
    e->required = required;
    return 0;
}

static int expect_cmp(const void *a, const void *b)
{
    return strcmp((*(const expect *const *)a)->name, (*(const expect *const *)b)->name);
}

static int expect_cmp_key(const void *key, const void *b)
{
    return strcmp((const char *)key, (*(const expect *const *)b)->name);
}

static void free_block(void *p) { xl_aligned_free(p); }

/* Widen one checkpoint tensor and hand it to the writer under `name`. */
static int take_tensor(conv *c, const xl_safetensors *st, const xl_st_tensor *t, const char *name, const expect *e,
                       xl_error *err)
{
    char a[128], b[128];
    if (!xl_st_dtype_is_float(t->dtype))
        return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s' has dtype %s, expected a float type (F32, F16, BF16)",
                       xl_safetensors_path(st), t->name, xl_st_dtype_name(t->dtype));
    bool ok = t->rank == e->rank;
    for (int i = 0; ok && i < e->rank; i++) ok = t->shape[i] == e->shape[i];
    if (!ok)
        return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s' has shape %s, expected %s from the configuration",
                       xl_safetensors_path(st), t->name, xl_shape_str(t->rank, t->shape, a, sizeof a),
                       xl_shape_str(e->rank, e->shape, b, sizeof b));
    size_t bytes;
    if (!xl_mul_size(t->count, sizeof(float), &bytes)) return xl_fail(err, XL_ERR_NOMEM, "tensor '%s' too large", t->name);
    float *data = xl_aligned_alloc(bytes ? bytes : 1, err);
    if (data == NULL) return -1;
    if (xl_safetensors_to_f32(st, t, data, err) < 0) {
        xl_aligned_free(data);
        return -1;
    }
    size_t bad = xl_first_nonfinite(data, t->count); /* a NaN weight makes every embedding NaN */
    if (bad < t->count) {
        double v = data[bad];
        xl_aligned_free(data);
        return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value (%s) at flat index %zu",
                       xl_safetensors_path(st), t->name, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf", bad);
    }
    return xl_model_writer_add_tensor(c->w, name, e->rank, e->shape, data, free_block, err);
}

static int convert_tensors(conv *c, xl_error *err)
{
    char path[4096];
    if (join(path, sizeof path, c->model_dir, "model.safetensors", err) < 0) return -1;
    if (!xl_file_readable(path)) {
        char bin[4096], idx[4096];
        if (join(bin, sizeof bin, c->model_dir, "pytorch_model.bin", err) < 0 ||
            join(idx, sizeof idx, c->model_dir, "model.safetensors.index.json", err) < 0)
            return -1;
        if (xl_file_readable(idx))
            return xl_fail(err, XL_ERR_IO, "%s: sharded safetensors checkpoints are not supported; merge the shards "
                                           "into one model.safetensors (docs/encoder.md)", idx);
        if (xl_file_readable(bin))
            return xl_fail(err, XL_ERR_IO, "%s: not found, and pytorch_model.bin is a Python pickle xlrec does not read; "
                                           "convert it to safetensors first (docs/encoder.md)", path);
        return xl_fail(err, XL_ERR_IO, "%s: file not found", path);
    }
    xl_safetensors *st;
    if (xl_safetensors_open(&st, path, err) < 0) return -1;
    expect *ex = NULL, **by_name = NULL;
    size_t n_ex = 0, cap_ex = 0;
    int rc = -1;
    const uint64_t H = (uint64_t)c->hidden, I = (uint64_t)c->inter;
    char nm[160];
#define EXPECT(name, rank, d0, d1, req) \
    if (add_expect(&ex, &n_ex, &cap_ex, name, rank, d0, d1, req, err) < 0) goto done
    EXPECT("embeddings.word_embeddings.weight", 2, (uint64_t)c->vocab, H, true);
    EXPECT("embeddings.position_embeddings.weight", 2, (uint64_t)c->maxpos, H, true);
    if (c->arch == ARCH_BERT && c->type_vocab > 0) EXPECT("embeddings.token_type_embeddings.weight", 2, (uint64_t)c->type_vocab, H, true);
    EXPECT("embeddings.LayerNorm.weight", 1, H, 0, true);
    EXPECT("embeddings.LayerNorm.bias", 1, H, 0, true);
    for (int64_t l = 0; l < c->layers; l++) {
        static const char *const sq[] = {"attention.self.query", "attention.self.key", "attention.self.value",
                                         "attention.output.dense"};
        for (int k = 0; k < 4; k++) {
            snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".%s.weight", l, sq[k]);
            EXPECT(nm, 2, H, H, true);
            snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".%s.bias", l, sq[k]);
            EXPECT(nm, 1, H, 0, true);
        }
        snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".attention.output.LayerNorm.weight", l);
        EXPECT(nm, 1, H, 0, true);
        snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".attention.output.LayerNorm.bias", l);
        EXPECT(nm, 1, H, 0, true);
        snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".intermediate.dense.weight", l);
        EXPECT(nm, 2, I, H, true);
        snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".intermediate.dense.bias", l);
        EXPECT(nm, 1, I, 0, true);
        snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".output.dense.weight", l);
        EXPECT(nm, 2, H, I, true);
        snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".output.dense.bias", l);
        EXPECT(nm, 1, H, 0, true);
        snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".output.LayerNorm.weight", l);
        EXPECT(nm, 1, H, 0, true);
        snprintf(nm, sizeof nm, "encoder.layer.%" PRId64 ".output.LayerNorm.bias", l);
        EXPECT(nm, 1, H, 0, true);
    }
    if (c->arch == ARCH_BERT) {
        EXPECT("pooler.dense.weight", 2, H, H, false);
        EXPECT("pooler.dense.bias", 1, H, 0, false);
    }
#undef EXPECT
    /* name -> expectation by binary search over pointers sorted by name (ex keeps the
     * configuration's order, so the first missing tensor is reported as before) */
    by_name = xl_calloc(n_ex ? n_ex : 1, sizeof *by_name, err);
    if (by_name == NULL) goto done;
    for (size_t k = 0; k < n_ex; k++) by_name[k] = &ex[k];
    qsort(by_name, n_ex, sizeof *by_name, expect_cmp);
    size_t n_heads_dropped = 0, n_buffers = 0, n_unknown = 0;
    char first_head[160] = "";
    for (size_t i = 0; i < xl_safetensors_count(st); i++) {
        const xl_st_tensor *t = xl_safetensors_at(st, i);
        char canon[512];
        int kind = map_name(t->name, c->arch, canon, sizeof canon);
        if (kind == MAP_HEAD) {
            if (n_heads_dropped++ == 0) snprintf(first_head, sizeof first_head, "%s", t->name);
            continue;
        }
        if (kind == MAP_BUFFER) {
            n_buffers++;
            continue;
        }
        expect **found = bsearch(canon, by_name, n_ex, sizeof *by_name, expect_cmp_key); /* 200k tensors: < 1 s */
        expect *e = found ? *found : NULL;
        if (e == NULL) {
            notef(c, "note: ignoring tensor '%s' (%s): not part of a %s encoder", t->name, xl_st_dtype_name(t->dtype),
                  c->arch == ARCH_BERT ? "BERT" : "DistilBERT");
            n_unknown++;
            continue;
        }
        if (e->found_as != NULL) {
            xl_fail(err, XL_ERR_FORMAT, "%s: tensors '%s' and '%s' both map to '%s'", path, e->found_as, t->name, e->name);
            goto done;
        }
        e->found_as = t->name;
        if (take_tensor(c, st, t, e->name, e, err) < 0) goto done;
    }
    bool pooler_w = false, pooler_b = false;
    for (size_t k = 0; k < n_ex; k++) {
        if (ex[k].found_as == NULL && ex[k].required) {
            xl_fail(err, XL_ERR_FORMAT, "%s: missing tensor '%s'%s", path, ex[k].name,
                    c->arch == ARCH_DISTILBERT ? " (canonical BERT name; see docs/model-format.md for the DistilBERT names)" : "");
            goto done;
        }
        if (strcmp(ex[k].name, "pooler.dense.weight") == 0) pooler_w = ex[k].found_as != NULL;
        if (strcmp(ex[k].name, "pooler.dense.bias") == 0) pooler_b = ex[k].found_as != NULL;
    }
    if (pooler_w != pooler_b) {
        xl_fail(err, XL_ERR_FORMAT, "%s: missing tensor 'pooler.dense.%s'", path, pooler_w ? "bias" : "weight");
        goto done;
    }
    if (n_heads_dropped)
        notef(c, "note: dropped %zu tensor(s) of unused pre-training/task heads (%s%s)", n_heads_dropped, first_head,
              n_heads_dropped > 1 ? ", ..." : "");
    if (xl_model_writer_set_bool(c->w, "has_pooler", pooler_w, err) < 0) goto done;
    (void)n_buffers;
    (void)n_unknown;
    rc = 0;
done:
    free(by_name);
    free(ex);
    xl_safetensors_close(st);
    return rc;
}

static int convert_dense(conv *c, int k, int64_t in_dim, xl_error *err)
{
    dense_cfg *d = &c->dense[k];
    char path[4096];
    if (d->in != in_dim)
        return xl_fail(err, XL_ERR_FORMAT, "%s/config.json: in_features %" PRId64 " but the previous layer gives %" PRId64,
                       d->dir, d->in, in_dim);
    if (join(path, sizeof path, d->dir, "model.safetensors", err) < 0) return -1;
    if (!xl_file_readable(path)) {
        char bin[4096];
        if (join(bin, sizeof bin, d->dir, "pytorch_model.bin", err) < 0) return -1;
        if (xl_file_readable(bin))
            return xl_fail(err, XL_ERR_IO, "%s: not found, and pytorch_model.bin is a Python pickle xlrec does not read; "
                                           "convert it to safetensors first (docs/encoder.md)", path);
        return xl_fail(err, XL_ERR_IO, "%s: file not found", path);
    }
    xl_safetensors *st;
    if (xl_safetensors_open(&st, path, err) < 0) return -1;
    int rc = -1;
    char nm[64];
    expect ew = {.rank = 2, .shape = {(uint64_t)d->out, (uint64_t)d->in}};
    expect eb = {.rank = 1, .shape = {(uint64_t)d->out, 0}};
    const xl_st_tensor *w = xl_safetensors_find(st, "linear.weight"), *b = xl_safetensors_find(st, "linear.bias");
    if (w == NULL) {
        xl_fail(err, XL_ERR_FORMAT, "%s: missing tensor 'linear.weight'", path);
        goto done;
    }
    if (d->bias && b == NULL) {
        xl_fail(err, XL_ERR_FORMAT, "%s: missing tensor 'linear.bias'", path);
        goto done;
    }
    snprintf(nm, sizeof nm, "dense.%d.weight", k);
    if (take_tensor(c, st, w, nm, &ew, err) < 0) goto done;
    if (d->bias) {
        snprintf(nm, sizeof nm, "dense.%d.bias", k);
        if (take_tensor(c, st, b, nm, &eb, err) < 0) goto done;
    }
    rc = 0;
done:
    xl_safetensors_close(st);
    return rc;
}

static int write_metadata(conv *c, xl_error *err)
{
    xl_model_writer *w = c->w;
    char key[64];
    const char *base = strrchr(c->dir, '/');
    base = base && base[1] ? base + 1 : c->dir;
    int64_t max_seq = c->maxpos;
    if (c->st_max_seq > 0) max_seq = c->st_max_seq;
    else if (c->model_max_length > 0 && c->model_max_length < (double)max_seq) max_seq = (int64_t)c->model_max_length;
    if (max_seq > c->maxpos) {
        notef(c, "note: max_seq_length %" PRId64 " exceeds max_position_embeddings %" PRId64 "; using the latter", max_seq,
              c->maxpos);
        max_seq = c->maxpos;
    }
    if (xl_model_writer_set_string(w, "arch", c->arch == ARCH_BERT ? "bert" : "distilbert", err) < 0 ||
        xl_model_writer_set_int(w, "vocab_size", c->vocab, err) < 0 ||
        xl_model_writer_set_int(w, "hidden_size", c->hidden, err) < 0 ||
        xl_model_writer_set_int(w, "num_layers", c->layers, err) < 0 ||
        xl_model_writer_set_int(w, "num_heads", c->heads, err) < 0 ||
        xl_model_writer_set_int(w, "intermediate_size", c->inter, err) < 0 ||
        xl_model_writer_set_int(w, "max_position", c->maxpos, err) < 0 ||
        xl_model_writer_set_int(w, "type_vocab_size", c->arch == ARCH_BERT ? c->type_vocab : 0, err) < 0 ||
        xl_model_writer_set_double(w, "layer_norm_eps", c->eps, err) < 0 ||
        xl_model_writer_set_string(w, "hidden_act", "gelu", err) < 0 ||
        xl_model_writer_set_string(w, "pooling", c->pooling, err) < 0 ||
        xl_model_writer_set_bool(w, "normalize", c->normalize, err) < 0 ||
        xl_model_writer_set_int(w, "max_seq_len", max_seq, err) < 0 ||
        xl_model_writer_set_int(w, "dense.count", c->n_dense, err) < 0)
        return -1;
    for (int k = 0; k < c->n_dense; k++) {
        snprintf(key, sizeof key, "dense.%d.in", k);
        if (xl_model_writer_set_int(w, key, c->dense[k].in, err) < 0) return -1;
        snprintf(key, sizeof key, "dense.%d.out", k);
        if (xl_model_writer_set_int(w, key, c->dense[k].out, err) < 0) return -1;
        snprintf(key, sizeof key, "dense.%d.bias", k);
        if (xl_model_writer_set_bool(w, key, c->dense[k].bias, err) < 0) return -1;
        snprintf(key, sizeof key, "dense.%d.activation", k);
        if (xl_model_writer_set_string(w, key, c->dense[k].activation, err) < 0) return -1;
    }
    if (c->have_vocab) {
        if (xl_model_writer_set_string(w, "tokenizer.type", "wordpiece", err) < 0 ||
            xl_model_writer_set_bool(w, "tokenizer.lowercase", c->lowercase, err) < 0 ||
            xl_model_writer_set_bool(w, "tokenizer.chinese_chars", c->chinese_chars, err) < 0 ||
            xl_model_writer_set_bool(w, "tokenizer.clean_text", c->clean_text, err) < 0 ||
            xl_model_writer_set_bool(w, "tokenizer.st_lowercase", c->st_lowercase, err) < 0 ||
            xl_model_writer_set_string(w, "tokenizer.subword_prefix", c->subword_prefix, err) < 0 ||
            xl_model_writer_set_int(w, "tokenizer.max_chars_per_word", c->max_chars_per_word, err) < 0)
            return -1;
        /* HF strip_accents=None: strip exactly when lower-casing */
        bool strip = c->strip_accents < 0 ? c->lowercase : c->strip_accents == 1;
        if (xl_model_writer_set_bool(w, "tokenizer.strip_accents", strip, err) < 0) return -1;
        for (int k = 0; k < 5; k++) {
            snprintf(key, sizeof key, "tokenizer.%s", special_keys[k]);
            if (xl_model_writer_set_string(w, key, c->special[k], err) < 0) return -1;
        }
    }
    if (xl_model_writer_set_string(w, "source", base, err) < 0 ||
        xl_model_writer_set_string(w, "converter", "xlrec " XLREC_VERSION, err) < 0)
        return -1;
    return 0;
}

int xl_convert_hf(const char *hf_dir, const char *out_path, xl_note_fn note, void *note_ctx, xl_error *err)
{
    return xl_convert_hf_as(hf_dir, out_path, XL_DTYPE_F32, note, note_ctx, err);
}

int xl_convert_hf_as(const char *hf_dir, const char *out_path, xl_dtype dtype, xl_note_fn note, void *note_ctx,
                     xl_error *err)
{
    conv *c = xl_calloc(1, sizeof *c, err);
    if (c == NULL) return -1;
    c->dir = hf_dir;
    c->note = note;
    c->note_ctx = note_ctx;
    c->lowercase = true; /* BertTokenizer defaults */
    c->chinese_chars = true;
    c->clean_text = true;
    c->strip_accents = -1;
    c->max_chars_per_word = 100;
    snprintf(c->subword_prefix, sizeof c->subword_prefix, "##");
    static const char *const defaults[5] = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"};
    for (int k = 0; k < 5; k++) snprintf(c->special[k], sizeof c->special[k], "%s", defaults[k]);
    c->pooling = NULL;
    int rc = -1;
    c->w = xl_model_writer_new(err);
    if (c->w == NULL) goto done;
    if (join(c->model_dir, sizeof c->model_dir, hf_dir, "", err) < 0) goto done;
    if (read_sentence_transformers(c, err) < 0 || read_sbert_config(c, err) < 0) goto done;
    if (c->pooling == NULL) {
        c->pooling = "mean";
        if (!c->is_st)
            notef(c, "note: no sentence-transformers modules.json: default pooling \"mean\" (change with embed --pooling)");
    }
    if (read_config(c, err) < 0 || read_tokenizer(c, err) < 0 || convert_tensors(c, err) < 0) goto done;
    int64_t dim = c->hidden;
    for (int k = 0; k < c->n_dense; k++) {
        if (convert_dense(c, k, dim, err) < 0) goto done;
        dim = c->dense[k].out;
    }
    if (write_metadata(c, err) < 0) goto done;
    if (xl_model_writer_set_reduced_dtype(c->w, dtype, err) < 0) goto done;
    /* on failure the writer removes only its temporary file: PATH, a link, a device stay as they were */
    if (xl_model_writer_write(c->w, out_path, err) < 0) goto done;
    rc = 0;
done:
    xl_model_writer_free(c->w);
    free(c);
    return rc;
}
