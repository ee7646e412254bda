/* xl_export.c - xlrec model file -> HuggingFace / sentence-transformers checkpoint directory (see
 * xl_export.h; the files and keys are listed in docs/export.md, the metadata keys read here in
 * docs/model-format.md). */
#include "xl_export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordpiece.h"
#include "xl_alloc.h"
#include "xl_json.h"
#include "xl_bytes.h"
#include "xl_io.h"
#include "xl_platform.h"
#include "xl_version.h"

#define MAX_DENSE 8
#define N_SPECIAL 5

enum { ARCH_BERT, ARCH_DISTILBERT };

typedef struct {
    int64_t in, out;
    bool bias, tanh;
} dense_cfg;

typedef struct {
    const xl_model *m;
    const char *path; /* the model's path, for messages */
    xl_note_fn note;
    void *note_ctx;
    int arch;
    int64_t V, H, N, nh, I, P, T, max_seq;
    double eps;
    bool has_pooler, normalize;
    const char *pooling; /* cls | mean | max | mean_sqrt_len */
    int n_dense;
    dense_cfg dense[MAX_DENSE];
    /* tokenizer */
    size_t n_vocab;
    bool lowercase, chinese_chars, clean_text, st_lowercase;
    int strip_accents; /* -1: absent (HF null: follow lowercase), 0, 1 */
    const char *special[N_SPECIAL]; /* unk, cls, sep, pad, mask */
    int64_t special_id[N_SPECIAL];  /* -1 when not in the vocabulary */
    const char *subword_prefix;
    int64_t max_chars_per_word;
    bool *in_json; /* [n_vocab]: the id is the last one of its token (tokenizer.json holds it) */
    /* output */
    char *tmp_dir;
    char **written; /* paths created inside tmp_dir (files and folders, creation order) */
    size_t n_written, cap_written;
    xl_export_summary sum;
} exporter;

static const char *const special_keys[N_SPECIAL] = {"unk_token", "cls_token", "sep_token", "pad_token", "mask_token"};
static const char *const special_defaults[N_SPECIAL] = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"};

static void notef(exporter *x, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void notef(exporter *x, const char *fmt, ...)
{
    if (x->note == NULL) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    x->note(x->note_ctx, buf);
}

/* ---- reading the model's metadata ------------------------------------------------------------- */

static int meta_int(exporter *x, const char *key, int64_t lo, int64_t hi, int64_t *out, xl_error *err)
{
    if (!xl_model_meta_int(x->m, key, out))
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s' (int) is missing", x->path, key);
    if (*out < lo || *out > hi)
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s' = %" PRId64 " outside %" PRId64 "..%" PRId64, x->path,
                       key, *out, lo, hi);
    return 0;
}

static int read_architecture(exporter *x, xl_error *err)
{
    const char *arch = xl_model_meta_string(x->m, "arch");
    if (arch == NULL) return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'arch' (string) is missing", x->path);
    if (strcmp(arch, "bert") == 0) x->arch = ARCH_BERT;
    else if (strcmp(arch, "distilbert") == 0) x->arch = ARCH_DISTILBERT;
    else return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'arch' is \"%s\" (bert, distilbert)", x->path, arch);
    if (meta_int(x, "vocab_size", 1, (int64_t)1 << 31, &x->V, err) < 0 ||
        meta_int(x, "hidden_size", 1, 1 << 16, &x->H, err) < 0 || meta_int(x, "num_layers", 1, 1024, &x->N, err) < 0 ||
        meta_int(x, "num_heads", 1, 1 << 12, &x->nh, err) < 0 ||
        meta_int(x, "intermediate_size", 1, 1 << 20, &x->I, err) < 0 ||
        meta_int(x, "max_position", 1, 1 << 20, &x->P, err) < 0 ||
        meta_int(x, "type_vocab_size", 0, 1 << 16, &x->T, err) < 0)
        return -1;
    if (x->H % x->nh != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: hidden_size %" PRId64 " is not a multiple of num_heads %" PRId64,
                       x->path, x->H, x->nh);
    if (!xl_model_meta_int(x->m, "max_seq_len", &x->max_seq)) x->max_seq = x->P;
    if (x->max_seq < 1 || x->max_seq > x->P)
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'max_seq_len' = %" PRId64 " outside 1..%" PRId64, x->path,
                       x->max_seq, x->P);
    if (!xl_model_meta_double(x->m, "layer_norm_eps", &x->eps))
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'layer_norm_eps' (double) is missing", x->path);
    if (!(x->eps >= 0 && x->eps <= 1))
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'layer_norm_eps' = %g outside [0, 1]", x->path, x->eps);
    const char *act = xl_model_meta_string(x->m, "hidden_act");
    if (act == NULL || strcmp(act, "gelu") != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'hidden_act' is %s (only \"gelu\" is exported)", x->path,
                       act ? act : "missing");
    if (x->arch == ARCH_DISTILBERT) {
        if (x->T != 0)
            return xl_fail(err, XL_ERR_FORMAT, "%s: type_vocab_size must be 0 for distilbert", x->path);
        /* transformers' DistilBERT hard-codes nn.LayerNorm(eps=1e-12): another eps cannot be written down */
        if (x->eps != 1e-12)
            return xl_fail(err, XL_ERR_FORMAT,
                           "%s: layer_norm_eps = %g, but transformers' DistilBertModel fixes it at 1e-12", x->path,
                           x->eps);
    }
    if (!xl_model_meta_bool(x->m, "has_pooler", &x->has_pooler)) x->has_pooler = false;
    if (x->arch == ARCH_DISTILBERT && x->has_pooler)
        return xl_fail(err, XL_ERR_FORMAT, "%s: distilbert has no pooler (has_pooler must be false)", x->path);
    if (!xl_model_meta_bool(x->m, "normalize", &x->normalize)) x->normalize = false;
    const char *pool = xl_model_meta_string(x->m, "pooling");
    if (pool == NULL) return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'pooling' (string) is missing", x->path);
    static const char *const st_modes[] = {"cls", "mean", "max", "mean_sqrt_len"};
    for (size_t i = 0; i < sizeof st_modes / sizeof st_modes[0]; i++)
        if (strcmp(pool, st_modes[i]) == 0) x->pooling = st_modes[i];
    if (x->pooling == NULL)
        return xl_fail(err, XL_ERR_FORMAT,
                       "%s: pooling \"%s\" has no sentence-transformers Pooling mode (cls, mean, max, mean_sqrt_len)",
                       x->path, pool);
    int64_t nd;
    if (meta_int(x, "dense.count", 0, MAX_DENSE, &nd, err) < 0) return -1;
    x->n_dense = (int)nd;
    int64_t prev = x->H;
    for (int i = 0; i < x->n_dense; i++) {
        dense_cfg *d = &x->dense[i];
        char key[64];
        snprintf(key, sizeof key, "dense.%d.in", i);
        if (meta_int(x, key, 1, 1 << 20, &d->in, err) < 0) return -1;
        snprintf(key, sizeof key, "dense.%d.out", i);
        if (meta_int(x, key, 1, 1 << 20, &d->out, err) < 0) return -1;
        if (d->in != prev)
            return xl_fail(err, XL_ERR_FORMAT, "%s: dense.%d.in = %" PRId64 " but the previous layer gives %" PRId64,
                           x->path, i, d->in, prev);
        prev = d->out;
        snprintf(key, sizeof key, "dense.%d.bias", i);
        if (!xl_model_meta_bool(x->m, key, &d->bias)) d->bias = true;
        snprintf(key, sizeof key, "dense.%d.activation", i);
        const char *a = xl_model_meta_string(x->m, key);
        if (a != NULL && strcmp(a, "tanh") == 0) d->tanh = true;
        else if (a != NULL && strcmp(a, "identity") == 0) d->tanh = false;
        else
            return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s' is %s (tanh, identity)", x->path, key,
                           a ? a : "missing");
    }
    return 0;
}

static int find_token(const xl_model *m, const char *tok)
{
    size_t n = strlen(tok);
    int found = -1;
    for (size_t i = 0; i < xl_model_vocab_count(m); i++) { /* the last duplicate wins, as in vocab.txt */
        size_t len;
        const char *t = xl_model_vocab_token(m, i, &len);
        if (len == n && memcmp(t, tok, n) == 0) found = (int)i;
    }
    return found;
}

typedef struct {
    const char *s;
    size_t len, id;
} tok_ref;

static int tok_ref_cmp(const void *a, const void *b)
{
    const tok_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c != 0) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int read_tokenizer(exporter *x, xl_error *err)
{
    x->n_vocab = xl_model_vocab_count(x->m);
    if (x->n_vocab == 0) {
        notef(x, "warning: %s has no vocabulary: no vocab.txt / tokenizer files are written (the export takes "
                 "input_ids only)", x->path);
        return 0;
    }
    if ((int64_t)x->n_vocab > x->V)
        return xl_fail(err, XL_ERR_FORMAT, "%s: %zu vocabulary tokens but vocab_size is %" PRId64, x->path, x->n_vocab,
                       x->V);
    bool b;
    x->lowercase = xl_model_meta_bool(x->m, "tokenizer.lowercase", &b) ? b : true; /* BertTokenizer defaults */
    x->chinese_chars = xl_model_meta_bool(x->m, "tokenizer.chinese_chars", &b) ? b : true;
    x->clean_text = xl_model_meta_bool(x->m, "tokenizer.clean_text", &b) ? b : true;
    x->st_lowercase = xl_model_meta_bool(x->m, "tokenizer.st_lowercase", &b) ? b : false;
    x->strip_accents = xl_model_meta_bool(x->m, "tokenizer.strip_accents", &b) ? (b ? 1 : 0) : -1;
    x->subword_prefix = xl_model_meta_string(x->m, "tokenizer.subword_prefix");
    if (x->subword_prefix == NULL) x->subword_prefix = "##";
    if (!xl_model_meta_int(x->m, "tokenizer.max_chars_per_word", &x->max_chars_per_word) || x->max_chars_per_word <= 0)
        x->max_chars_per_word = 100;
    for (int k = 0; k < N_SPECIAL; k++) {
        char key[64];
        snprintf(key, sizeof key, "tokenizer.%s", special_keys[k]);
        x->special[k] = xl_model_meta_string(x->m, key);
        if (x->special[k] == NULL) x->special[k] = special_defaults[k];
        x->special_id[k] = find_token(x->m, x->special[k]);
    }
    if (x->special_id[0] < 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: the unknown token \"%s\" is not in the vocabulary", x->path,
                       x->special[0]);
    /* vocab.txt holds one token per line: a line break inside a token cannot be written */
    for (size_t i = 0; i < x->n_vocab; i++) {
        size_t len;
        const char *t = xl_model_vocab_token(x->m, i, &len);
        if (memchr(t, '\n', len) != NULL || memchr(t, '\r', len) != NULL)
            return xl_fail(err, XL_ERR_FORMAT, "%s: vocabulary id %zu holds a line break: vocab.txt cannot hold it",
                           x->path, i);
    }
    /* tokenizer.json's vocab is a JSON object: a token can appear once; the last id of a duplicate
     * is the one tokenizers and xlrec use (vocab.txt readers let a later line replace an earlier one) */
    tok_ref *refs = xl_calloc(x->n_vocab, sizeof *refs, err);
    x->in_json = xl_calloc(x->n_vocab, sizeof *x->in_json, err);
    if (refs == NULL || x->in_json == NULL) {
        free(refs);
        return -1;
    }
    for (size_t i = 0; i < x->n_vocab; i++) {
        refs[i].s = xl_model_vocab_token(x->m, i, &refs[i].len);
        refs[i].id = i;
    }
    qsort(refs, x->n_vocab, sizeof *refs, tok_ref_cmp);
    size_t n_dup = 0, first_dup = SIZE_MAX;
    for (size_t i = 0; i < x->n_vocab; i++) {
        bool last = i + 1 == x->n_vocab || refs[i + 1].len != refs[i].len ||
                    memcmp(refs[i + 1].s, refs[i].s, refs[i].len) != 0;
        x->in_json[refs[i].id] = last;
        if (!last) {
            n_dup++;
            if (refs[i].id < first_dup) first_dup = refs[i].id;
        }
    }
    free(refs);
    if (n_dup > 0)
        notef(x, "note: %zu vocabulary id(s) repeat a later token (first: id %zu); tokenizer.json lists each token "
                 "once, at its last id, as vocab.txt readers do", n_dup, first_dup);
    return 0;
}

/* ---- tensors ---------------------------------------------------------------------------------- */

typedef struct {
    xl_st_entry *e;
    size_t n, cap;
    uint64_t params;
} entry_list;

/* Add the model tensor `canon` (checked against the shape the metadata implies) under `hf_name`. */
static int take(exporter *x, entry_list *l, const char *canon, const char *hf_name, uint64_t d0, uint64_t d1,
                xl_error *err)
{
    uint64_t shape[2] = {d0, d1};
    const xl_tensor *t = xl_model_require(x->m, canon, d1 ? 2 : 1, shape, err);
    if (t == NULL) return -1;
    xl_st_entry *p = xl_array_reserve(l->e, &l->cap, l->n + 1, 64, err);
    if (p == NULL) return -1;
    l->e = p;
    xl_st_entry *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->name = xl_strndup(hf_name, strlen(hf_name), err);
    if (e->name == NULL) {
        l->n--;
        return -1;
    }
    e->rank = t->rank;
    for (int i = 0; i < t->rank; i++) e->shape[i] = t->shape[i];
    e->data = t->data;
    l->params += t->count;
    return 0;
}

static void entries_free(entry_list *l)
{
    for (size_t i = 0; i < l->n; i++) free((char *)l->e[i].name);
    free(l->e);
    memset(l, 0, sizeof *l);
}

/* The encoder's tensors in HF state_dict order, under BertModel or DistilBertModel names. */
static int encoder_entries(exporter *x, entry_list *l, xl_error *err)
{
    const uint64_t V = (uint64_t)x->V, H = (uint64_t)x->H, I = (uint64_t)x->I, P = (uint64_t)x->P;
    const bool bert = x->arch == ARCH_BERT;
    char canon[160], hf[160];
    if (take(x, l, "embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight", V, H, err) < 0 ||
        take(x, l, "embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight", P, H, err) < 0)
        return -1;
    if (bert && x->T > 0 &&
        take(x, l, "embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight",
             (uint64_t)x->T, H, err) < 0)
        return -1;
    if (take(x, l, "embeddings.LayerNorm.weight", "embeddings.LayerNorm.weight", H, 0, err) < 0 ||
        take(x, l, "embeddings.LayerNorm.bias", "embeddings.LayerNorm.bias", H, 0, err) < 0)
        return -1;
    /* canonical (BERT) suffix, DistilBERT suffix, shape */
    static const struct {
        const char *bert, *distil;
        int d0, d1; /* 'H' / 'I' / 0 */
    } per_layer[] = {
        {"attention.self.query.weight", "attention.q_lin.weight", 'H', 'H'},
        {"attention.self.query.bias", "attention.q_lin.bias", 'H', 0},
        {"attention.self.key.weight", "attention.k_lin.weight", 'H', 'H'},
        {"attention.self.key.bias", "attention.k_lin.bias", 'H', 0},
        {"attention.self.value.weight", "attention.v_lin.weight", 'H', 'H'},
        {"attention.self.value.bias", "attention.v_lin.bias", 'H', 0},
        {"attention.output.dense.weight", "attention.out_lin.weight", 'H', 'H'},
        {"attention.output.dense.bias", "attention.out_lin.bias", 'H', 0},
        {"attention.output.LayerNorm.weight", "sa_layer_norm.weight", 'H', 0},
        {"attention.output.LayerNorm.bias", "sa_layer_norm.bias", 'H', 0},
        {"intermediate.dense.weight", "ffn.lin1.weight", 'I', 'H'},
        {"intermediate.dense.bias", "ffn.lin1.bias", 'I', 0},
        {"output.dense.weight", "ffn.lin2.weight", 'H', 'I'},
        {"output.dense.bias", "ffn.lin2.bias", 'H', 0},
        {"output.LayerNorm.weight", "output_layer_norm.weight", 'H', 0},
        {"output.LayerNorm.bias", "output_layer_norm.bias", 'H', 0},
    };
    for (int64_t layer = 0; layer < x->N; layer++)
        for (size_t k = 0; k < sizeof per_layer / sizeof per_layer[0]; k++) {
            snprintf(canon, sizeof canon, "encoder.layer.%" PRId64 ".%s", layer, per_layer[k].bert);
            if (bert) snprintf(hf, sizeof hf, "%s", canon);
            else snprintf(hf, sizeof hf, "transformer.layer.%" PRId64 ".%s", layer, per_layer[k].distil);
            uint64_t d0 = per_layer[k].d0 == 'I' ? I : H;
            uint64_t d1 = per_layer[k].d1 == 0 ? 0 : per_layer[k].d1 == 'I' ? I : H;
            if (take(x, l, canon, hf, d0, d1, err) < 0) return -1;
        }
    if (x->has_pooler && (take(x, l, "pooler.dense.weight", "pooler.dense.weight", H, H, err) < 0 ||
                          take(x, l, "pooler.dense.bias", "pooler.dense.bias", H, 0, err) < 0))
        return -1;
    return 0;
}

static int dense_entries(exporter *x, int k, entry_list *l, xl_error *err)
{
    char canon[64];
    snprintf(canon, sizeof canon, "dense.%d.weight", k);
    if (take(x, l, canon, "linear.weight", (uint64_t)x->dense[k].out, (uint64_t)x->dense[k].in, err) < 0) return -1;
    snprintf(canon, sizeof canon, "dense.%d.bias", k);
    if (x->dense[k].bias && take(x, l, canon, "linear.bias", (uint64_t)x->dense[k].out, 0, err) < 0) return -1;
    return 0;
}

/* Tensors of the file that the export does not carry (a training head, say): named in a note. */
static void note_unused_tensors(exporter *x)
{
    size_t n_unused = 0;
    const char *first = NULL;
    for (size_t i = 0; i < xl_model_tensor_count(x->m); i++) {
        const char *name = xl_model_tensor_at(x->m, i)->name;
        bool used = strncmp(name, "embeddings.", 11) == 0 || strncmp(name, "encoder.layer.", 14) == 0 ||
                    (x->has_pooler && strncmp(name, "pooler.dense.", 13) == 0);
        if (!used && strncmp(name, "dense.", 6) == 0) {
            int k = atoi(name + 6);
            used = k >= 0 && k < x->n_dense;
        }
        if (strcmp(name, "embeddings.token_type_embeddings.weight") == 0 && x->T == 0) used = false;
        if (!used && n_unused++ == 0) first = name;
    }
    if (n_unused > 0)
        notef(x, "note: %zu tensor(s) of %s are not part of the exported model (first: '%s')", n_unused, x->path,
              first);
}

/* ---- safetensors writer ----------------------------------------------------------------------- */

int xl_safetensors_write_f32(const char *path, const xl_st_entry *tensors, size_t n, uint64_t *bytes, xl_error *err)
{
    xl_buf h;
    xl_buf_init(&h);
    uint64_t off = 0;
    int rc = xl_buf_printf(&h, err, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const xl_st_entry *t = &tensors[i];
        uint64_t count = 1;
        for (int d = 0; d < t->rank; d++) {
            if (t->shape[d] != 0 && count > UINT64_MAX / 4 / t->shape[d]) {
                rc = xl_fail(err, XL_ERR_LIMIT, "%s: tensor '%s' too large", path, t->name);
                break;
            }
            count *= t->shape[d];
        }
        if (rc < 0) break;
        rc = xl_buf_putc(&h, ',', err);
        if (rc == 0) rc = xl_json_put_cstr(&h, t->name, err);
        if (rc == 0) rc = xl_buf_printf(&h, err, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->rank && rc == 0; d++)
            rc = xl_buf_printf(&h, err, "%s%" PRIu64, d ? "," : "", t->shape[d]);
        if (rc == 0) rc = xl_buf_printf(&h, err, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", off, off + 4 * count);
        off += 4 * count;
    }
    if (rc == 0) rc = xl_buf_putc(&h, '}', err);
    while (rc == 0 && h.len % 8 != 0) rc = xl_buf_putc(&h, ' ', err); /* the data buffer starts 8-aligned */
    if (rc < 0) {
        xl_buf_free(&h);
        return -1;
    }
    xl_output o;
    if (xl_output_open(&o, path, err) < 0) {
        xl_buf_free(&h);
        return -1;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
    rc = xl_fwrite_exact(len8, 8, o.f, path, err);
    if (rc == 0) rc = xl_fwrite_exact(h.data, h.len, o.f, path, err);
    /* float32 little-endian on any host: copy through a small buffer, swapping on big-endian hosts */
    enum { CHUNK = 16384 };
    static const size_t chunk = CHUNK;
    float buf[CHUNK];
    const bool le = xl_host_is_little_endian();
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t count = 1;
        for (int d = 0; d < tensors[i].rank; d++) count *= (size_t)tensors[i].shape[d];
        for (size_t s = 0; s < count && rc == 0; s += chunk) {
            size_t m = count - s < chunk ? count - s : chunk;
            if (le) {
                rc = xl_fwrite_exact(tensors[i].data + s, m * sizeof(float), o.f, path, err);
            } else {
                memcpy(buf, tensors[i].data + s, m * sizeof(float));
                xl_bswap32_array(buf, m);
                rc = xl_fwrite_exact(buf, m * sizeof(float), o.f, path, err);
            }
        }
    }
    if (rc < 0) {
        xl_output_abort(&o);
        xl_buf_free(&h);
        return -1;
    }
    if (bytes != NULL) *bytes = 8 + (uint64_t)h.len + off;
    xl_buf_free(&h);
    return xl_output_commit(&o, err);
}

/* ---- the output folder ------------------------------------------------------------------------ */

static int remember(exporter *x, const char *path, xl_error *err)
{
    char **p = xl_array_reserve(x->written, &x->cap_written, x->n_written + 1, 16, err);
    if (p == NULL) return -1;
    x->written = p;
    x->written[x->n_written] = xl_strndup(path, strlen(path), err);
    if (x->written[x->n_written] == NULL) return -1;
    x->n_written++;
    return 0;
}

static int sub_path(exporter *x, const char *rel, char *out, size_t cap, xl_error *err)
{
    int n = snprintf(out, cap, "%s/%s", x->tmp_dir, rel);
    if (n < 0 || (size_t)n >= cap) return xl_fail(err, XL_ERR_LIMIT, "path too long: %s/%s", x->tmp_dir, rel);
    return 0;
}

static int make_sub_dir(exporter *x, const char *rel, xl_error *err)
{
    char path[4096];
    if (sub_path(x, rel, path, sizeof path, err) < 0) return -1;
    if (remember(x, path, err) < 0) return -1; /* before mkdir: removed on failure even if half-made */
    return xl_make_dir(path, err);
}

static int write_text(exporter *x, const char *rel, const xl_buf *b, xl_error *err)
{
    char path[4096];
    if (sub_path(x, rel, path, sizeof path, err) < 0) return -1;
    if (remember(x, path, err) < 0) return -1;
    if (xl_write_file(path, b->data ? b->data : "", b->len, err) < 0) return -1;
    x->sum.n_files++;
    x->sum.bytes += b->len;
    return 0;
}

static int write_tensors(exporter *x, const char *rel, const entry_list *l, xl_error *err)
{
    char path[4096];
    if (sub_path(x, rel, path, sizeof path, err) < 0) return -1;
    if (remember(x, path, err) < 0) return -1;
    uint64_t bytes = 0;
    if (xl_safetensors_write_f32(path, l->e, l->n, &bytes, err) < 0) return -1;
    x->sum.n_files++;
    x->sum.bytes += bytes;
    x->sum.n_params += l->params;
    return 0;
}

/* Shortest decimal that reads back as the same double ("1e-12", not 9.9999999999999998e-13). */
static int json_double(xl_buf *b, double v, xl_error *err)
{
    char s[40];
    /* a value that is exactly a float32 (train-encoder stores (double)1e-12f) is written as the
     * shortest decimal of that float: the encoders on both sides compute with it in float32 */
    const bool is_float = (double)(float)v == v;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (is_float ? (float)strtod(s, NULL) == (float)v : strtod(s, NULL) == v) break;
    }
    /* JSON has no "1e-12"-only restriction, but Python reads "1" as an int: keep a float form */
    if (strpbrk(s, ".eEn") == NULL) return xl_buf_printf(b, err, "%s.0", s);
    return xl_buf_printf(b, err, "%s", s);
}

static const char *tf(bool v) { return v ? "true" : "false"; }

static int write_config(exporter *x, xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    int64_t pad = x->n_vocab > 0 && x->special_id[3] >= 0 ? x->special_id[3] : 0;
    int rc;
    if (x->arch == ARCH_BERT) {
        /* a model without token types still needs one row: HF looks up token_type_ids (zeros) */
        rc = xl_buf_printf(&b, err,
                           "{\n  \"architectures\": [\n    \"BertModel\"\n  ],\n  \"model_type\": \"bert\",\n"
                           "  \"attention_probs_dropout_prob\": 0.1,\n  \"classifier_dropout\": null,\n"
                           "  \"hidden_act\": \"gelu\",\n  \"hidden_dropout_prob\": 0.1,\n  \"hidden_size\": %" PRId64
                           ",\n  \"initializer_range\": 0.02,\n  \"intermediate_size\": %" PRId64
                           ",\n  \"layer_norm_eps\": ",
                           x->H, x->I);
        if (rc == 0) rc = json_double(&b, x->eps, err);
        if (rc == 0)
            rc = xl_buf_printf(&b, err,
                               ",\n  \"max_position_embeddings\": %" PRId64 ",\n  \"num_attention_heads\": %" PRId64
                               ",\n  \"num_hidden_layers\": %" PRId64 ",\n  \"pad_token_id\": %" PRId64
                               ",\n  \"position_embedding_type\": \"absolute\",\n  \"torch_dtype\": \"float32\",\n"
                               "  \"type_vocab_size\": %" PRId64 ",\n  \"use_cache\": true,\n  \"vocab_size\": %" PRId64
                               ",\n  \"xlrec_version\": \"" XLREC_VERSION "\"\n}\n",
                               x->P, x->nh, x->N, pad, x->T > 0 ? x->T : 1, x->V);
    } else {
        rc = xl_buf_printf(&b, err,
                           "{\n  \"architectures\": [\n    \"DistilBertModel\"\n  ],\n"
                           "  \"model_type\": \"distilbert\",\n"
                           "  \"activation\": \"gelu\",\n  \"attention_dropout\": 0.1,\n  \"dim\": %" PRId64
                           ",\n  \"dropout\": 0.1,\n  \"hidden_dim\": %" PRId64
                           ",\n  \"initializer_range\": 0.02,\n  \"max_position_embeddings\": %" PRId64
                           ",\n  \"n_heads\": %" PRId64 ",\n  \"n_layers\": %" PRId64 ",\n  \"pad_token_id\": %" PRId64
                           ",\n  \"qa_dropout\": 0.1,\n  \"seq_classif_dropout\": 0.2,\n"
                           "  \"sinusoidal_pos_embds\": false,\n  \"tie_weights_\": true,\n"
                           "  \"torch_dtype\": \"float32\",\n  \"vocab_size\": %" PRId64
                           ",\n  \"xlrec_version\": \"" XLREC_VERSION "\"\n}\n",
                           x->H, x->I, x->P, x->nh, x->N, pad, x->V);
    }
    if (rc == 0) rc = write_text(x, "config.json", &b, err);
    xl_buf_free(&b);
    return rc;
}

static int write_model_tensors(exporter *x, xl_error *err)
{
    entry_list l = {0};
    int rc = encoder_entries(x, &l, err);
    /* BERT without token types: one zero row, so token_type_ids = 0 adds nothing (what xlrec computes) */
    float *zeros = NULL;
    if (rc == 0 && x->arch == ARCH_BERT && x->T == 0) {
        zeros = xl_calloc((size_t)x->H, sizeof *zeros, err);
        xl_st_entry *p = zeros ? xl_array_reserve(l.e, &l.cap, l.n + 1, 64, err) : NULL;
        if (p == NULL) rc = -1;
        else {
            l.e = p;
            /* after the position embedding, where BertEmbeddings declares it */
            memmove(&l.e[3], &l.e[2], (l.n - 2) * sizeof *l.e);
            memset(&l.e[2], 0, sizeof l.e[2]);
            l.e[2].name = xl_strndup("embeddings.token_type_embeddings.weight", 39, err);
            l.e[2].rank = 2;
            l.e[2].shape[0] = 1;
            l.e[2].shape[1] = (uint64_t)x->H;
            l.e[2].data = zeros;
            l.n++;
            if (l.e[2].name == NULL) rc = -1;
        }
    }
    if (rc == 0) {
        x->sum.n_tensors = l.n;
        rc = write_tensors(x, "model.safetensors", &l, err);
    }
    entries_free(&l);
    free(zeros);
    return rc;
}

static int write_vocab_txt(exporter *x, xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    int rc = 0;
    for (size_t i = 0; i < x->n_vocab && rc == 0; i++) {
        size_t len;
        const char *t = xl_model_vocab_token(x->m, i, &len);
        rc = xl_buf_append(&b, t, len, err);
        if (rc == 0) rc = xl_buf_putc(&b, '\n', err);
    }
    if (rc == 0) rc = write_text(x, "vocab.txt", &b, err);
    xl_buf_free(&b);
    return rc;
}

/* HF's null means "strip exactly when lower-casing"; written whenever it says the same as the flag, so a
 * model whose flag was resolved by the converter exports as the original did */
static const char *strip_json(const exporter *x)
{
    return x->strip_accents < 0 || (x->strip_accents == 1) == x->lowercase ? "null" : tf(x->strip_accents == 1);
}

static const char *json_vocab_token(void *ctx, size_t i, size_t *len)
{
    const exporter *x = ctx;
    return x->in_json[i] ? xl_model_vocab_token(x->m, i, len) : NULL;
}

/* tokenizer.json as the BERT ones on the hub (and `xlrec vocab train --tokenizer-json`): the special
 * tokens as added tokens at their ids, written by xl_wordpiece_json_write (tokenizer/wordpiece.h). */
static int write_tokenizer_json(exporter *x, xl_error *err)
{
    /* the added tokens in id order, each token once */
    int order[N_SPECIAL], n_added = 0;
    for (int k = 0; k < N_SPECIAL; k++) {
        if (x->special_id[k] < 0) continue;
        bool dup = false;
        for (int j = 0; j < n_added; j++) dup |= x->special_id[order[j]] == x->special_id[k];
        if (!dup) order[n_added++] = k;
    }
    for (int i = 1; i < n_added; i++)
        for (int j = i; j > 0 && x->special_id[order[j]] < x->special_id[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    const char *added[N_SPECIAL];
    int64_t added_ids[N_SPECIAL];
    for (int i = 0; i < n_added; i++) {
        added[i] = x->special[order[i]];
        added_ids[i] = x->special_id[order[i]];
    }
    xl_wordpiece_json_spec s = {added, added_ids, (size_t)n_added, x->clean_text, x->chinese_chars, x->lowercase,
                                strip_json(x), x->special[1], x->special[2], x->special_id[1], x->special_id[2],
                                x->special[0], x->subword_prefix, x->max_chars_per_word, x->n_vocab, json_vocab_token,
                                x, true};
    xl_buf b;
    xl_buf_init(&b);
    int rc = xl_wordpiece_json_write(&b, &s, err);
    if (rc == 0) rc = write_text(x, "tokenizer.json", &b, err);
    xl_buf_free(&b);
    return rc;
}

static int write_special_tokens(xl_buf *b, const exporter *x, const char *indent, xl_error *err)
{
    int rc = 0;
    for (int k = 0; k < N_SPECIAL && rc == 0; k++) {
        rc = xl_buf_printf(b, err, "%s\"%s\": ", indent, special_keys[k]);
        if (rc == 0) rc = xl_json_put_cstr(b, x->special[k], err);
        if (rc == 0) rc = xl_buf_printf(b, err, ",\n");
    }
    return rc;
}

/* tokenizer_config.json (BertTokenizer / BertTokenizerFast: transformers re-applies these flags over
 * tokenizer.json's normaliser, so they must agree with it) and special_tokens_map.json. */
static int write_tokenizer_config(exporter *x, xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    int rc = xl_buf_printf(&b, err, "{\n  \"tokenizer_class\": \"BertTokenizer\",\n  \"do_lower_case\": %s,\n"
                                    "  \"strip_accents\": %s,\n  \"tokenize_chinese_chars\": %s,\n"
                                    "  \"do_basic_tokenize\": true,\n  \"never_split\": null,\n"
                                    "  \"model_max_length\": %" PRId64 ",\n",
                           tf(x->lowercase), strip_json(x), tf(x->chinese_chars), x->max_seq);
    if (rc == 0) rc = write_special_tokens(&b, x, "  ", err);
    if (rc == 0) rc = xl_buf_printf(&b, err, "  \"clean_up_tokenization_spaces\": true\n}\n");
    if (rc == 0) rc = write_text(x, "tokenizer_config.json", &b, err);
    xl_buf_clear(&b);
    if (rc == 0) rc = xl_buf_printf(&b, err, "{\n");
    if (rc == 0) rc = write_special_tokens(&b, x, "  ", err);
    if (rc == 0) { /* drop the last ",\n" */
        b.len -= 2;
        rc = xl_buf_printf(&b, err, "\n}\n");
    }
    if (rc == 0) rc = write_text(x, "special_tokens_map.json", &b, err);
    xl_buf_free(&b);
    return rc;
}

static int write_sentence_transformers(exporter *x, xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    /* modules.json: 0 Transformer (this folder), 1 Pooling, 2.. Dense, then Normalize */
    char dirs[MAX_DENSE + 2][32];
    int n_mod = 0;
    int rc = xl_buf_printf(&b, err, "[\n  {\n    \"idx\": 0,\n    \"name\": \"0\",\n    \"path\": \"\",\n"
                                    "    \"type\": \"sentence_transformers.models.Transformer\"\n  }");
    snprintf(dirs[n_mod++], sizeof dirs[0], "1_Pooling");
    for (int k = 0; k < x->n_dense; k++) snprintf(dirs[n_mod++], sizeof dirs[0], "%d_Dense", k + 2);
    if (x->normalize) snprintf(dirs[n_mod++], sizeof dirs[0], "%d_Normalize", x->n_dense + 2);
    for (int i = 0; i < n_mod && rc == 0; i++) {
        const char *type = strchr(dirs[i], '_') + 1;
        rc = xl_buf_printf(&b, err,
                           ",\n  {\n    \"idx\": %d,\n    \"name\": \"%d\",\n    \"path\": \"%s\",\n"
                           "    \"type\": \"sentence_transformers.models.%s\"\n  }",
                           i + 1, i + 1, dirs[i], type);
    }
    if (rc == 0) rc = xl_buf_printf(&b, err, "\n]\n");
    if (rc == 0) rc = write_text(x, "modules.json", &b, err);

    xl_buf_clear(&b);
    if (rc == 0)
        rc = xl_buf_printf(&b, err, "{\n  \"max_seq_length\": %" PRId64 ",\n  \"do_lower_case\": %s\n}\n", x->max_seq,
                           tf(x->st_lowercase));
    if (rc == 0) rc = write_text(x, "sentence_bert_config.json", &b, err);

    xl_buf_clear(&b);
    if (rc == 0)
        rc = xl_buf_printf(&b, err, "{\n  \"prompts\": {},\n  \"default_prompt_name\": null,\n"
                                    "  \"similarity_fn_name\": \"cosine\"\n}\n");
    if (rc == 0) rc = write_text(x, "config_sentence_transformers.json", &b, err);

    xl_buf_clear(&b);
    if (rc == 0) rc = make_sub_dir(x, "1_Pooling", err);
    if (rc == 0)
        rc = xl_buf_printf(&b, err,
                           "{\n  \"word_embedding_dimension\": %" PRId64 ",\n  \"pooling_mode_cls_token\": %s,\n"
                           "  \"pooling_mode_mean_tokens\": %s,\n  \"pooling_mode_max_tokens\": %s,\n"
                           "  \"pooling_mode_mean_sqrt_len_tokens\": %s,\n"
                           "  \"pooling_mode_weightedmean_tokens\": false,\n"
                           "  \"pooling_mode_lasttoken\": false,\n  \"include_prompt\": true\n}\n",
                           x->H, tf(strcmp(x->pooling, "cls") == 0), tf(strcmp(x->pooling, "mean") == 0),
                           tf(strcmp(x->pooling, "max") == 0), tf(strcmp(x->pooling, "mean_sqrt_len") == 0));
    if (rc == 0) rc = write_text(x, "1_Pooling/config.json", &b, err);

    for (int k = 0; k < x->n_dense && rc == 0; k++) {
        const char *dir = dirs[1 + k];
        char rel[64];
        rc = make_sub_dir(x, dir, err);
        xl_buf_clear(&b);
        if (rc == 0)
            rc = xl_buf_printf(&b, err,
                               "{\n  \"in_features\": %" PRId64 ",\n  \"out_features\": %" PRId64 ",\n  \"bias\": %s,\n"
                               "  \"activation_function\": \"%s\"\n}\n",
                               x->dense[k].in, x->dense[k].out, tf(x->dense[k].bias),
                               x->dense[k].tanh ? "torch.nn.modules.activation.Tanh"
                                                : "torch.nn.modules.linear.Identity");
        snprintf(rel, sizeof rel, "%s/config.json", dir);
        if (rc == 0) rc = write_text(x, rel, &b, err);
        entry_list l = {0};
        if (rc == 0) rc = dense_entries(x, k, &l, err);
        snprintf(rel, sizeof rel, "%s/model.safetensors", dir);
        if (rc == 0) rc = write_tensors(x, rel, &l, err);
        entries_free(&l);
    }
    /* Normalize has no parameters: sentence-transformers needs only its entry in modules.json */
    if (rc == 0 && x->normalize) rc = make_sub_dir(x, dirs[n_mod - 1], err);
    xl_buf_free(&b);
    return rc;
}

/* Remove what was written into the temporary folder (newest first), then the folder. */
static void remove_tmp(exporter *x)
{
    for (size_t i = x->n_written; i-- > 0;) remove(x->written[i]);
    if (x->tmp_dir != NULL) remove(x->tmp_dir);
}

int xl_export_hf(const xl_model *m, const char *out_dir, xl_note_fn note, void *note_ctx, xl_export_summary *summary,
                 xl_error *err)
{
    if (out_dir == NULL || out_dir[0] == '\0' || strcmp(out_dir, "-") == 0)
        return xl_fail(err, XL_ERR_USAGE, "export: the output must be a folder path (not standard output)");
    exporter *x = xl_calloc(1, sizeof *x, err);
    if (x == NULL) return -1;
    x->m = m;
    x->path = xl_model_path(m);
    x->note = note;
    x->note_ctx = note_ctx;
    int rc = -1;
    entry_list check = {0};
    /* "out/" and "out" name the same folder; the temporary folder goes beside it */
    size_t n = strlen(out_dir);
    while (n > 1 && out_dir[n - 1] == '/') n--;
    char *target = xl_strndup(out_dir, n, err);
    if (target == NULL) goto done;
    /* check everything before the first byte is written */
    if (read_architecture(x, err) < 0 || read_tokenizer(x, err) < 0) goto done;
    int crc = encoder_entries(x, &check, err);
    for (int k = 0; k < x->n_dense && crc == 0; k++) crc = dense_entries(x, k, &check, err);
    entries_free(&check);
    if (crc < 0) goto done;
    note_unused_tensors(x);
    xl_path_kind kind = xl_path_kind_of(target);
    if (kind == XL_PATH_REGULAR || kind == XL_PATH_OTHER) {
        xl_fail(err, XL_ERR_IO, "%s: exists and is not a folder", target);
        goto done;
    }
    if (xl_make_temp_dir_beside(target, &x->tmp_dir, err) < 0) goto done;
    if (write_config(x, err) < 0 || write_model_tensors(x, err) < 0) goto done;
    if (x->n_vocab > 0 &&
        (write_vocab_txt(x, err) < 0 || write_tokenizer_json(x, err) < 0 || write_tokenizer_config(x, err) < 0))
        goto done;
    if (write_sentence_transformers(x, err) < 0) goto done;
    /* the one step that makes the export visible: a rename over a missing or empty folder */
    errno = 0;
    if (rename(x->tmp_dir, target) != 0) {
        int e = errno;
        if (e == ENOTEMPTY || e == EEXIST)
            xl_fail(err, XL_ERR_IO, "%s: the folder exists and is not empty; remove it or choose another (an export "
                                    "never merges into an existing folder)", target);
        else
            xl_fail(err, XL_ERR_IO, "%s: cannot move the export into place: %s", target,
                    e ? strerror(e) : "rename failed");
        goto done;
    }
    if (summary != NULL) *summary = x->sum;
    rc = 0;
done:
    if (rc < 0) remove_tmp(x);
    for (size_t i = 0; i < x->n_written; i++) free(x->written[i]);
    free(x->written);
    free(x->tmp_dir);
    free(x->in_json);
    free(target);
    free(x);
    return rc;
}
