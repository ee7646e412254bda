/* wordpiece_json.c - WordPiece tokenizers from HF files (see wordpiece.h): tokenizer.json (model,
 * normaliser flags, added tokens, post-processor), tokenizer_config.json, and the loader that takes a
 * directory, a *.json or a vocab.txt; and the tokenizer.json writer. */
#include <stdlib.h>
#include <string.h>

#include "wordpiece_internal.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_json.h"
#include "xl_platform.h"

/* ------------------------------------------------------------------------ */
/* tokenizer.json */

static const char *json_token_string(const xl_json *v)
{
    /* "[UNK]" or {"content": "[UNK]", ...} (tokenizer_config.json) */
    if (xl_json_is(v, XL_JSON_STRING)) return xl_json_string(v);
    return xl_json_get_string(v, "content");
}

static xl_wordpiece *load_json_doc(const char *path, const xl_json *root, xl_error *err)
{
    const xl_json *model = xl_json_get(root, "model");
    const char *mtype = xl_json_get_string(model, "type");
    if (!model || (mtype && strcmp(mtype, "WordPiece") != 0)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: model type '%s' is not WordPiece", path, mtype ? mtype : "(none)");
        return NULL;
    }
    xl_wordpiece_options o;
    xl_wordpiece_options_default(&o);
    o.lowercase = false;
    o.strip_accents = 0;
    o.clean_text = false;
    o.tokenize_chinese_chars = false;
    const xl_json *norm = xl_json_get(root, "normalizer");
    if (norm && !xl_json_is(norm, XL_JSON_NULL)) {
        const char *nt = xl_json_get_string(norm, "type");
        if (!nt || strcmp(nt, "BertNormalizer") != 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: normalizer '%s' is not supported (BertNormalizer only)", path,
                    nt ? nt : "(none)");
            return NULL;
        }
        bool b;
        o.clean_text = xl_json_get_bool(norm, "clean_text", &b) ? b : true;
        o.tokenize_chinese_chars = xl_json_get_bool(norm, "handle_chinese_chars", &b) ? b : true;
        o.lowercase = xl_json_get_bool(norm, "lowercase", &b) ? b : true;
        o.strip_accents = xl_json_get_bool(norm, "strip_accents", &b) ? (b ? 1 : 0) : -1;
    }
    const xl_json *pre = xl_json_get(root, "pre_tokenizer");
    const char *pt = xl_json_get_string(pre, "type");
    if (!pt || strcmp(pt, "BertPreTokenizer") != 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: pre_tokenizer '%s' is not supported (BertPreTokenizer only)", path,
                pt ? pt : "(none)");
        return NULL;
    }
    const char *s;
    if ((s = xl_json_get_string(model, "unk_token"))) o.unk_token = s;
    if ((s = xl_json_get_string(model, "continuing_subword_prefix"))) o.continuing_subword_prefix = s;
    int64_t mx;
    if (xl_json_get_int(model, "max_input_chars_per_word", &mx)) {
        if (mx <= 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: max_input_chars_per_word %lld", path, (long long)mx);
            return NULL;
        }
        o.max_input_chars_per_word = (size_t)mx;
    }
    /* [CLS]/[SEP] from the post-processor */
    const xl_json *post = xl_json_get(root, "post_processor");
    bool has_post = post && !xl_json_is(post, XL_JSON_NULL);
    if (has_post) {
        const char *ptype = xl_json_get_string(post, "type");
        if (ptype && !strcmp(ptype, "BertProcessing")) {
            const char *c = xl_json_string(xl_json_at(xl_json_get(post, "cls"), 0));
            const char *p = xl_json_string(xl_json_at(xl_json_get(post, "sep"), 0));
            if (c) o.cls_token = c;
            if (p) o.sep_token = p;
        } else if (ptype && !strcmp(ptype, "TemplateProcessing")) {
            const xl_json *single = xl_json_get(post, "single");
            size_t n = xl_json_count(single);
            const char *first = NULL, *last = NULL;
            for (size_t i = 0; i < n; i++) {
                const char *id = xl_json_get_string(xl_json_get(xl_json_at(single, i), "SpecialToken"), "id");
                if (id) {
                    if (!first) first = id;
                    last = id;
                }
            }
            if (first) o.cls_token = first;
            if (last) o.sep_token = last;
        } else {
            xl_fail(err, XL_ERR_FORMAT, "%s: post_processor '%s' is not supported", path, ptype ? ptype : "(none)");
            return NULL;
        }
    }
    const xl_json *vocab = xl_json_get(model, "vocab");
    if (!xl_json_is(vocab, XL_JSON_OBJECT)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: model.vocab is not an object", path);
        return NULL;
    }
    const xl_json *added = xl_json_get(root, "added_tokens");
    size_t n_ids = 0, total = 0;
    for (size_t i = 0; i < vocab->u.object.count; i++) {
        const xl_json_member *m = &vocab->u.object.members[i];
        const xl_json *v = m->value;
        if (!xl_json_is(v, XL_JSON_NUMBER) || !v->u.number.is_int || v->u.number.int_value < 0 ||
            v->u.number.int_value >= INT32_MAX) {
            xl_fail(err, XL_ERR_FORMAT, "%s: model.vocab[\"%s\"] is not a valid id", path, m->key);
            return NULL;
        }
        if ((size_t)v->u.number.int_value + 1 > n_ids) n_ids = (size_t)v->u.number.int_value + 1;
        total += m->key_len;
    }
    for (size_t i = 0; i < xl_json_count(added); i++) {
        int64_t id;
        const xl_json *a = xl_json_at(added, i);
        const char *content = xl_json_get_string(a, "content");
        if (!content || !xl_json_get_int(a, "id", &id) || id < 0 || id >= INT32_MAX) {
            xl_fail(err, XL_ERR_FORMAT, "%s: added_tokens[%zu] needs content and a valid id", path, i);
            return NULL;
        }
        if ((size_t)id + 1 > n_ids) n_ids = (size_t)id + 1;
    }
    xl_wordpiece *wp = xl_wp_new(&o, err);
    if (!wp) return NULL;
    wp->has_post_processor = has_post;
    if (xl_wp_alloc_vocab(wp, n_ids, total, err) < 0) goto fail;
    size_t off = 0;
    for (size_t i = 0; i < vocab->u.object.count; i++) {
        const xl_json_member *m = &vocab->u.object.members[i];
        size_t id = (size_t)m->value->u.number.int_value;
        memcpy(wp->arena + off, m->key, m->key_len);
        wp->arena[off + m->key_len] = 0;
        wp->tok_off[id] = (uint32_t)off;
        wp->tok_len[id] = (uint32_t)m->key_len;
        off += m->key_len + 1;
    }
    if (xl_wp_finish(wp, false, err) < 0) goto fail;
    for (size_t i = 0; i < xl_json_count(added); i++) {
        const xl_json *a = xl_json_at(added, i);
        const xl_json *content = xl_json_get(a, "content");
        int64_t id = 0;
        xl_json_get_int(a, "id", &id);
        if (xl_wp_add_added_token(wp, content->u.string.data, content->u.string.len, (int32_t)id, err) < 0) goto fail;
    }
    return wp;
fail:
    xl_error_prefix(err, "%s", path);
    xl_wordpiece_free(wp);
    return NULL;
}

static int parse_json_file(const char *path, xl_json_doc **doc, xl_error *err)
{
    char *text = NULL;
    size_t len = 0;
    if (xl_read_file_ex(path, XL_READ_MAX_TEXT, "XL_READ_MAX_TEXT", XL_TEXT_HEAD, xl_head_is_text,
                        &text, &len, err) < 0) return -1;
    xl_json_limits lim = {0, 0, XL_JSON_DUP_LAST_WINS};
    int rc = xl_json_parse(text, len, &lim, doc, err);
    free(text);
    if (rc < 0) xl_error_prefix(err, "%s", path);
    return rc;
}

xl_wordpiece *xl_wordpiece_load_json(const char *path, xl_error *err)
{
    xl_json_doc *doc = NULL;
    if (parse_json_file(path, &doc, err) < 0) return NULL;
    xl_wordpiece *wp = load_json_doc(path, xl_json_root(doc), err);
    xl_json_free(doc);
    return wp;
}


static bool is_directory(const char *path)
{
    /* a directory opens with fopen on POSIX but fails to read */
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char c;
    bool dir = fread(&c, 1, 1, f) == 0 && ferror(f);
    fclose(f);
    return dir;
}

static char *join_path(const char *dir, const char *name, xl_error *err)
{
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = xl_malloc(dl + nl + 2, err);
    if (!p) return NULL;
    memcpy(p, dir, dl);
    size_t k = dl;
    if (k && p[k - 1] != '/') p[k++] = '/';
    memcpy(p + k, name, nl + 1);
    return p;
}

static char *dir_of(const char *path, xl_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xl_strndup(".", 1, err);
    return xl_strndup(path, (size_t)(slash - path), err);
}

/* tokenizer_config.json values (transformers' BertTokenizer(Fast) arguments) */
static void apply_config(xl_wordpiece_options *o, const xl_json *cfg, bool *lower_set)
{
    bool b;
    if (xl_json_get_bool(cfg, "do_lower_case", &b)) {
        o->lowercase = b;
        *lower_set = true;
    }
    const xl_json *sa = xl_json_get(cfg, "strip_accents");
    if (xl_json_is(sa, XL_JSON_BOOL)) o->strip_accents = sa->u.boolean ? 1 : 0;
    if (xl_json_is(sa, XL_JSON_NULL)) o->strip_accents = -1;
    if (xl_json_get_bool(cfg, "tokenize_chinese_chars", &b)) o->tokenize_chinese_chars = b;
    const xl_json *ml = xl_json_get(cfg, "model_max_length");
    if (xl_json_is(ml, XL_JSON_NUMBER) && ml->u.number.is_int && ml->u.number.int_value > 0 &&
        ml->u.number.int_value < 1000000000)
        o->model_max_length = (size_t)ml->u.number.int_value;
    const char *s;
    if ((s = json_token_string(xl_json_get(cfg, "unk_token")))) o->unk_token = s;
    if ((s = json_token_string(xl_json_get(cfg, "cls_token")))) o->cls_token = s;
    if ((s = json_token_string(xl_json_get(cfg, "sep_token")))) o->sep_token = s;
    if ((s = json_token_string(xl_json_get(cfg, "pad_token")))) o->pad_token = s;
    if ((s = json_token_string(xl_json_get(cfg, "mask_token")))) o->mask_token = s;
}

static size_t str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

xl_wordpiece *xl_wordpiece_load(const char *path, int lowercase_override, xl_error *err)
{
    char *dir = NULL, *file = NULL, *cfg_path = NULL;
    xl_json_doc *cfg_doc = NULL, *tok_doc = NULL;
    xl_wordpiece *wp = NULL;
    bool json;
    if (is_directory(path)) {
        dir = xl_strndup(path, strlen(path), err);
        if (!dir) goto done;
        file = join_path(path, "tokenizer.json", err);
        if (!file) goto done;
        json = xl_file_readable(file);
        if (!json) {
            free(file);
            file = join_path(path, "vocab.txt", err);
            if (!file) goto done;
        }
    } else {
        dir = dir_of(path, err);
        file = xl_strndup(path, strlen(path), err);
        if (!dir || !file) goto done;
        json = str_ends_with(path, ".json");
    }
    cfg_path = join_path(dir, "tokenizer_config.json", err);
    if (!cfg_path) goto done;
    if (xl_file_readable(cfg_path) && parse_json_file(cfg_path, &cfg_doc, err) < 0) goto done;
    const xl_json *cfg = cfg_doc ? xl_json_root(cfg_doc) : NULL;
    bool lower_set = false;
    if (json) {
        if (parse_json_file(file, &tok_doc, err) < 0) goto done;
        wp = load_json_doc(file, xl_json_root(tok_doc), err);
        if (!wp) goto done;
        if (cfg) {
            /* BertTokenizerFast rebuilds the normaliser when the config's
             * do_lower_case / strip_accents / tokenize_chinese_chars differ */
            xl_wordpiece_options o = wp->opts;
            apply_config(&o, cfg, &lower_set);
            wp->opts.lowercase = o.lowercase;
            wp->opts.strip_accents = o.strip_accents;
            wp->opts.tokenize_chinese_chars = o.tokenize_chinese_chars;
            wp->opts.model_max_length = o.model_max_length;
        }
    } else {
        xl_wordpiece_options o;
        xl_wordpiece_options_default(&o);
        if (cfg) apply_config(&o, cfg, &lower_set);
        wp = xl_wordpiece_load_vocab(file, &o, err);
        if (!wp) goto done;
    }
    if (lowercase_override >= 0) {
        wp->opts.lowercase = lowercase_override != 0;
        wp->opts.strip_accents = -1;
    }
    wp->strip_accents = wp->opts.strip_accents < 0 ? wp->opts.lowercase : wp->opts.strip_accents != 0;
done:
    xl_json_free(cfg_doc);
    xl_json_free(tok_doc);
    free(dir);
    free(file);
    free(cfg_path);
    return wp;
}

/* ------------------------------------------------------------------------ */
/* tokenizer.json writer */

static const char *json_bool(bool v) { return v ? "true" : "false"; }

int xl_wordpiece_json_write(xl_buf *b, const xl_wordpiece_json_spec *s, xl_error *err)
{
    int rc = xl_buf_printf(b, err, "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n"
                                   "  \"added_tokens\": [");
    for (size_t i = 0; i < s->n_added && rc == 0; i++) {
        rc = xl_buf_printf(b, err, "%s\n    {\n      \"id\": %lld,\n      \"content\": ", i ? "," : "",
                           (long long)s->added_ids[i]);
        if (rc == 0) rc = xl_json_put_cstr(b, s->added[i], err);
        if (rc == 0)
            rc = xl_buf_printf(b, err, ",\n      \"single_word\": false,\n      \"lstrip\": false,\n"
                                       "      \"rstrip\": false,\n      \"normalized\": false,\n"
                                       "      \"special\": true\n    }");
    }
    if (rc == 0)
        rc = xl_buf_printf(b, err,
                           "\n  ],\n  \"normalizer\": {\n    \"type\": \"BertNormalizer\",\n    \"clean_text\": %s,\n"
                           "    \"handle_chinese_chars\": %s,\n    \"strip_accents\": %s,\n"
                           "    \"lowercase\": %s\n  },\n"
                           "  \"pre_tokenizer\": {\n    \"type\": \"BertPreTokenizer\"\n  },\n",
                           json_bool(s->clean_text), json_bool(s->handle_chinese_chars), s->strip_accents,
                           json_bool(s->lowercase));
    if (rc == 0 && s->cls_id >= 0 && s->sep_id >= 0) {
        /* [CLS] $A [SEP] and [CLS] $A [SEP] $B:1 [SEP]:1: (kind, id, type_id); C = cls, S = sep */
        static const char *const part[5][3] = {{"SpecialToken", "C", "0"}, {"Sequence", "A", "0"},
                                               {"SpecialToken", "S", "0"}, {"Sequence", "B", "1"},
                                               {"SpecialToken", "S", "1"}};
        rc = xl_buf_printf(b, err, "  \"post_processor\": {\n    \"type\": \"TemplateProcessing\",\n    \"single\": [");
        for (int pair = 0; pair < 2 && rc == 0; pair++) {
            if (pair) rc = xl_buf_printf(b, err, "\n    ],\n    \"pair\": [");
            int n_parts = pair ? 5 : 3;
            for (int i = 0; i < n_parts && rc == 0; i++) {
                rc = xl_buf_printf(b, err, "%s\n      {\n        \"%s\": {\n          \"id\": ", i ? "," : "",
                                   part[i][0]);
                const char kind = part[i][1][0];
                const char *id = kind == 'C' ? s->cls : kind == 'S' ? s->sep : part[i][1];
                if (rc == 0) rc = xl_json_put_cstr(b, id, err);
                if (rc == 0) rc = xl_buf_printf(b, err, ",\n          \"type_id\": %s\n        }\n      }", part[i][2]);
            }
        }
        if (rc == 0) rc = xl_buf_printf(b, err, "\n    ],\n    \"special_tokens\": {");
        for (int k = 0; k < 2 && rc == 0; k++) {
            const char *tok = k ? s->sep : s->cls;
            rc = xl_buf_printf(b, err, "%s\n      ", k ? "," : "");
            if (rc == 0) rc = xl_json_put_cstr(b, tok, err);
            if (rc == 0) rc = xl_buf_printf(b, err, ": {\n        \"id\": ");
            if (rc == 0) rc = xl_json_put_cstr(b, tok, err);
            if (rc == 0)
                rc = xl_buf_printf(b, err, ",\n        \"ids\": [\n          %lld\n        ],\n"
                                           "        \"tokens\": [\n          ",
                                   (long long)(k ? s->sep_id : s->cls_id));
            if (rc == 0) rc = xl_json_put_cstr(b, tok, err);
            if (rc == 0) rc = xl_buf_printf(b, err, "\n        ]\n      }");
        }
        if (rc == 0) rc = xl_buf_printf(b, err, "\n    }\n  },\n");
    } else if (rc == 0) {
        rc = xl_buf_printf(b, err, "  \"post_processor\": null,\n");
    }
    if (rc == 0) rc = xl_buf_printf(b, err, "  \"decoder\": {\n    \"type\": \"WordPiece\",\n    \"prefix\": ");
    if (rc == 0) rc = xl_json_put_cstr(b, s->prefix, err);
    if (rc == 0)
        rc = xl_buf_printf(b, err, ",\n    \"cleanup\": true\n  },\n  \"model\": {\n    \"type\": \"WordPiece\",\n"
                                   "    \"unk_token\": ");
    if (rc == 0) rc = xl_json_put_cstr(b, s->unk, err);
    if (rc == 0) rc = xl_buf_printf(b, err, ",\n    \"continuing_subword_prefix\": ");
    if (rc == 0) rc = xl_json_put_cstr(b, s->prefix, err);
    if (rc == 0)
        rc = xl_buf_printf(b, err, ",\n    \"max_input_chars_per_word\": %lld,\n    \"vocab\": {",
                           (long long)s->max_input_chars_per_word);
    bool first = true;
    for (size_t i = 0; i < s->n_vocab && rc == 0; i++) {
        size_t len;
        const char *tok = s->token(s->ctx, i, &len);
        if (!tok) continue;
        rc = xl_buf_printf(b, err, "%s\n      ", first ? "" : ",");
        if (rc == 0) rc = xl_json_put_string(b, tok, len, err);
        if (rc == 0) rc = xl_buf_printf(b, err, ": %zu", i);
        first = false;
    }
    if (rc == 0) rc = xl_buf_printf(b, err, "\n    }\n  }\n}%s", s->final_newline ? "\n" : "");
    return rc;
}
