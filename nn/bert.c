/* bert.c - BERT / DistilBERT forward pass (see bert.h; equations in
 * docs/encoder.md).  References: Devlin et al. 2019 (BERT), Vaswani et al.
 * 2017 (scaled dot-product attention), Sanh et al. 2019 (DistilBERT),
 * Hendrycks & Gimpel 2016 (GELU); HF transformers modeling_bert.py /
 * modeling_distilbert.py for the exact order of operations. */
#include "bert.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"

/* ---- pooling names -------------------------------------------------------- */

static const char *const pool_names[] = {"default", "cls", "mean", "max", "mean_sqrt_len", "pooler", "none"};

const char *xl_pooling_name(xl_pooling p)
{
    return (unsigned)p < sizeof pool_names / sizeof pool_names[0] ? pool_names[p] : "?";
}

int xl_pooling_parse(const char *name, xl_pooling *out, xl_error *err)
{
    for (size_t i = 0; i < sizeof pool_names / sizeof pool_names[0]; i++)
        if (strcmp(name, pool_names[i]) == 0) {
            *out = (xl_pooling)i;
            return 0;
        }
    return xl_fail(err, XL_ERR_USAGE, "unknown pooling '%s' (cls, mean, max, mean_sqrt_len, pooler, none)", name);
}

/* ---- loading ---------------------------------------------------------------- */

static int meta_size(const xl_model *m, const char *key, int64_t lo, int64_t hi, size_t *out, xl_error *err)
{
    int64_t v;
    if (!xl_model_meta_int(m, key, &v))
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s' (int) is missing", xl_model_path(m), key);
    if (v < lo || v > hi)
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s' = %" PRId64 " outside %" PRId64 "..%" PRId64,
                       xl_model_path(m), key, v, lo, hi);
    *out = (size_t)v;
    return 0;
}

static int read_config(const xl_model *m, xl_bert_config *c, xl_error *err)
{
    const char *path = xl_model_path(m);
    memset(c, 0, sizeof *c);
    const char *arch = xl_model_meta_string(m, "arch");
    if (arch == NULL) return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'arch' (string) is missing", path);
    if (strcmp(arch, "bert") == 0) c->arch = XL_ARCH_BERT;
    else if (strcmp(arch, "distilbert") == 0) c->arch = XL_ARCH_DISTILBERT;
    else return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'arch' is \"%s\" (bert, distilbert)", path, arch);
    if (meta_size(m, "vocab_size", 1, (int64_t)1 << 31, &c->vocab_size, err) < 0 ||
        meta_size(m, "hidden_size", 1, 1 << 16, &c->hidden, err) < 0 ||
        meta_size(m, "num_layers", 1, 1024, &c->n_layers, err) < 0 ||
        meta_size(m, "num_heads", 1, 1 << 12, &c->n_heads, err) < 0 ||
        meta_size(m, "intermediate_size", 1, 1 << 20, &c->intermediate, err) < 0 ||
        meta_size(m, "max_position", 1, 1 << 20, &c->max_position, err) < 0 ||
        meta_size(m, "type_vocab_size", 0, 1 << 16, &c->type_vocab_size, err) < 0 ||
        meta_size(m, "max_seq_len", 1, 1 << 20, &c->max_seq_len, err) < 0 ||
        meta_size(m, "dense.count", 0, XL_BERT_MAX_DENSE, &c->n_dense, err) < 0)
        return -1;
    if (c->hidden % c->n_heads != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: hidden_size %zu is not a multiple of num_heads %zu", path, c->hidden,
                       c->n_heads);
    if (c->arch == XL_ARCH_DISTILBERT && c->type_vocab_size != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: type_vocab_size must be 0 for distilbert", path);
    if (c->max_seq_len > c->max_position)
        return xl_fail(err, XL_ERR_FORMAT, "%s: max_seq_len %zu exceeds max_position %zu", path, c->max_seq_len,
                       c->max_position);
    double eps;
    if (!xl_model_meta_double(m, "layer_norm_eps", &eps))
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'layer_norm_eps' (double) is missing", path);
    if (!(eps >= 0 && eps <= 1))
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'layer_norm_eps' = %g outside [0, 1]", path, eps);
    c->layer_norm_eps = (float)eps;
    const char *act = xl_model_meta_string(m, "hidden_act");
    if (act == NULL || strcmp(act, "gelu") != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'hidden_act' is %s%s%s (only \"gelu\")", path, act ? "\"" : "",
                       act ? act : "missing", act ? "\"" : "");
    if (!xl_model_meta_bool(m, "has_pooler", &c->has_pooler))
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'has_pooler' (bool) is missing", path);
    if (c->arch == XL_ARCH_DISTILBERT && c->has_pooler)
        return xl_fail(err, XL_ERR_FORMAT, "%s: distilbert has no pooler (has_pooler must be false)", path);
    if (!xl_model_meta_bool(m, "normalize", &c->normalize))
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'normalize' (bool) is missing", path);
    const char *pool = xl_model_meta_string(m, "pooling");
    xl_error e2;
    if (pool == NULL || xl_pooling_parse(pool, &c->pooling, &e2) < 0 || c->pooling == XL_POOL_DEFAULT)
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'pooling' is %s (cls, mean, max, mean_sqrt_len, pooler, none)",
                       path, pool ? pool : "missing");
    if (c->pooling == XL_POOL_POOLER && !c->has_pooler)
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata 'pooling' is \"pooler\" but the model has no pooler", path);
    size_t prev = c->hidden;
    for (size_t i = 0; i < c->n_dense; i++) {
        char key[64];
        snprintf(key, sizeof key, "dense.%zu.in", i);
        if (meta_size(m, key, 1, 1 << 20, &c->dense_in[i], err) < 0) return -1;
        snprintf(key, sizeof key, "dense.%zu.out", i);
        if (meta_size(m, key, 1, 1 << 20, &c->dense_out[i], err) < 0) return -1;
        if (c->dense_in[i] != prev)
            return xl_fail(err, XL_ERR_FORMAT, "%s: dense.%zu.in = %zu but the previous layer gives %zu", path, i,
                           c->dense_in[i], prev);
        prev = c->dense_out[i];
        snprintf(key, sizeof key, "dense.%zu.activation", i);
        const char *a = xl_model_meta_string(m, key);
        if (a != NULL && strcmp(a, "tanh") == 0) c->dense_act[i] = XL_ACT_TANH;
        else if (a != NULL && strcmp(a, "identity") == 0) c->dense_act[i] = XL_ACT_NONE;
        else return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s' is %s (tanh, identity)", path, key, a ? a : "missing");
    }
    return 0;
}

static const float *req(const xl_model *m, const char *name, uint64_t d0, uint64_t d1, xl_error *err)
{
    uint64_t shape[2] = {d0, d1};
    const xl_tensor *t = xl_model_require(m, name, d1 ? 2 : 1, shape, err);
    if (t != NULL && t->data == NULL) /* an I8 vector cannot exist (rank 1 stays F32); kept for safety */
        return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s' (%s) is needed as float32 here", xl_model_path(m), name,
                       xl_dtype_name(t->dtype)),
               NULL;
    return t ? t->data : NULL;
}

#define REQ(dst, name, d0, d1)                                \
    do {                                                      \
        if (((dst) = req(m, (name), (d0), (d1), err)) == NULL) \
            goto fail;                                        \
    } while (0)

/* A [d0, d1] matrix tensor in any dtype (I8 opened with XL_MODEL_OPEN_KEEP_I8 has data == NULL). */
static const xl_tensor *req_matrix(const xl_model *m, const char *name, uint64_t d0, uint64_t d1, xl_error *err)
{
    uint64_t shape[2] = {d0, d1};
    return xl_model_require(m, name, 2, shape, err);
}

/* An embedding table: float32 rows when the file's tensor has them, else its int8 rows. */
static int req_table(const xl_model *m, const char *name, uint64_t rows, uint64_t H, const float **f, xl_bert_table_q *q,
                     xl_error *err)
{
    const xl_tensor *t = req_matrix(m, name, rows, H, err);
    if (t == NULL) return -1;
    *f = t->data;
    if (t->data == NULL && t->dtype == XL_DTYPE_I8) { /* I8 kept as stored */
        q->q = t->stored;
        q->scale = t->scales;
    } else if (t->data == NULL) { /* F16 / BF16 kept as stored */
        q->h = t->stored;
        q->elem = t->dtype == XL_DTYPE_F16 ? XL_ELEM_F16 : XL_ELEM_BF16;
    }
    return 0;
}

/* Prepare one linear layer whose weight is the row-wise concatenation of `n_parts` [rows_i, in]
 * tensors (QKV: three; else one): int8 (xl_qmatrix) when every part is I8, else packed float32
 * (`tmp` holds the concatenation when n_parts > 1).  Then the file pages of the parts are released:
 * the copies are what the forward reads. */
static int prepare_linear(const xl_model *m, const xl_kernels *k, const xl_tensor *const *parts, size_t n_parts,
                          size_t in, float *tmp, xl_packed_matrix *packed, xl_qmatrix *qm, size_t *n_int8, size_t *n_16bit,
                          xl_error *err)
{
    size_t n_i8 = 0, n16 = 0, out = 0;
    for (size_t i = 0; i < n_parts; i++) {
        n_i8 += parts[i]->dtype == XL_DTYPE_I8;
        n16 += parts[i]->data == NULL && parts[i]->dtype == parts[0]->dtype &&
               (parts[i]->dtype == XL_DTYPE_F16 || parts[i]->dtype == XL_DTYPE_BF16);
        out += (size_t)parts[i]->shape[0];
    }
    if (n_i8 == n_parts) {
        if (n_parts == 1) {
            if (xl_qmatrix_from_i8(out, in, parts[0]->stored, parts[0]->scales, qm, err) < 0) return -1;
        } else {
            size_t bytes;
            if (!xl_mul_size(out, in, &bytes)) return xl_fail(err, XL_ERR_NOMEM, "int8 weight size overflows");
            signed char *q = xl_aligned_alloc(bytes, err);
            float *sc = xl_aligned_alloc(out * sizeof(float), err);
            if (q == NULL || sc == NULL) {
                xl_aligned_free(q);
                xl_aligned_free(sc);
                return -1;
            }
            for (size_t i = 0, r = 0; i < n_parts; r += (size_t)parts[i]->shape[0], i++) {
                memcpy(q + r * in, parts[i]->stored, (size_t)parts[i]->shape[0] * in);
                memcpy(sc + r, parts[i]->scales, (size_t)parts[i]->shape[0] * sizeof(float));
            }
            int rc = xl_qmatrix_from_i8(out, in, q, sc, qm, err);
            xl_aligned_free(q);
            xl_aligned_free(sc);
            if (rc < 0) return -1;
        }
        ++*n_int8;
    } else if (n16 == n_parts) {
        /* every part F16 / BF16 of one type, kept as stored (XL_MODEL_OPEN_KEEP_REDUCED): packed as
         * 16-bit, widened to float32 micro-panel by micro-panel in the GEMM (xl_pack_b16) */
        const xl_elem elem = parts[0]->dtype == XL_DTYPE_F16 ? XL_ELEM_F16 : XL_ELEM_BF16;
        const unsigned short *w = parts[0]->stored;
        if (n_parts > 1) {
            unsigned short *t16 = (unsigned short *)(void *)tmp; /* 3H x H halves fit in 3H x H floats */
            for (size_t i = 0, r = 0; i < n_parts; r += (size_t)parts[i]->shape[0], i++)
                memcpy(t16 + r * in, parts[i]->stored, (size_t)parts[i]->shape[0] * in * sizeof(unsigned short));
            w = t16;
        }
        if (xl_pack_b16(k, in, out, w, in, elem, packed, err) < 0) return -1;
        ++*n_16bit;
    } else {
        for (size_t i = 0; i < n_parts; i++)
            if (parts[i]->data == NULL && parts[i]->dtype == XL_DTYPE_I8) { /* mixed dtypes in one fused layer, opened with KEEP_I8 */
                size_t j = 0;
                while (parts[j]->dtype == XL_DTYPE_I8) j++; /* exists: not every part is I8 */
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s' is int8 but '%s' of the same layer is %s: quantise "
                               "the whole model (xlrec quantize)", xl_model_path(m), parts[i]->name, parts[j]->name,
                               xl_dtype_name(parts[j]->dtype));
            }
        const float *w = parts[0]->data;
        if (n_parts > 1) {
            for (size_t i = 0, r = 0; i < n_parts; r += (size_t)parts[i]->shape[0], i++) {
                const size_t cnt = (size_t)parts[i]->shape[0] * in;
                if (parts[i]->data != NULL) {
                    memcpy(tmp + r * in, parts[i]->data, cnt * sizeof(float));
                } else { /* a 16-bit part kept as stored beside parts of other types: widened here */
                    const unsigned short *h = parts[i]->stored;
                    const xl_elem e = parts[i]->dtype == XL_DTYPE_F16 ? XL_ELEM_F16 : XL_ELEM_BF16;
                    for (size_t x = 0; x < cnt; x++) tmp[r * in + x] = xl_elem16_to_float(h[x], e);
                }
            }
            w = tmp;
        }
        if (xl_pack_b(k, XL_TRANS, in, out, w, in, packed, err) < 0) return -1;
    }
    /* let a mapped file's pages of the originals go, so resident memory holds the weights once */
    for (size_t i = 0; i < n_parts; i++) {
        const xl_tensor *t = parts[i];
        if (t->dtype == XL_DTYPE_I8) xl_model_release_data(m, t->stored, t->count);
        else if (t->dtype == XL_DTYPE_F32) xl_model_release_data(m, t->data, t->count * sizeof(float));
        else if (t->data == NULL) xl_model_release_data(m, t->stored, t->count * sizeof(unsigned short));
    }
    return 0;
}

int xl_bert_from_model(xl_bert **out, const xl_model *m, const xl_kernels *k, xl_error *err)
{
    *out = NULL;
    xl_bert *b = xl_calloc(1, sizeof *b, err);
    if (b == NULL) return -1;
    xl_bert_config *c = &b->cfg;
    float *tmp = NULL;
    if (read_config(m, c, err) < 0) goto fail;
    const uint64_t H = c->hidden, I = c->intermediate;
    if (req_table(m, "embeddings.word_embeddings.weight", c->vocab_size, H, &b->word_emb, &b->word_emb_q, err) < 0 ||
        req_table(m, "embeddings.position_embeddings.weight", c->max_position, H, &b->pos_emb, &b->pos_emb_q, err) < 0)
        goto fail;
    if (c->type_vocab_size > 0) {
        if (req_table(m, "embeddings.token_type_embeddings.weight", c->type_vocab_size, H, &b->type_emb, &b->type_emb_q,
                      err) < 0)
            goto fail;
    } else if (xl_model_tensor_find(m, "embeddings.token_type_embeddings.weight") != NULL) {
        xl_fail(err, XL_ERR_FORMAT, "%s: tensor 'embeddings.token_type_embeddings.weight' present but type_vocab_size is 0",
                xl_model_path(m));
        goto fail;
    }
    REQ(b->emb_ln_g, "embeddings.LayerNorm.weight", H, 0);
    REQ(b->emb_ln_b, "embeddings.LayerNorm.bias", H, 0);
    b->layers = xl_calloc(c->n_layers, sizeof *b->layers, err);
    if (b->layers == NULL) goto fail;
    tmp = xl_aligned_alloc(3 * H * H * sizeof(float), err);
    if (tmp == NULL) goto fail;
    for (size_t l = 0; l < c->n_layers; l++) {
        xl_bert_layer *L = &b->layers[l];
        char nm[128];
        const xl_tensor *tq, *tk, *tv, *to, *t1, *t2;
#define LNAME(suffix) (snprintf(nm, sizeof nm, "encoder.layer.%zu.%s", l, (suffix)), nm)
#define LREQ(dst, suffix, d0, d1) REQ(dst, LNAME(suffix), d0, d1)
#define LMAT(dst, suffix, d0, d1)                                                     \
    do {                                                                              \
        if (((dst) = req_matrix(m, LNAME(suffix), (d0), (d1), err)) == NULL) goto fail; \
    } while (0)
        LMAT(tq, "attention.self.query.weight", H, H);
        LREQ(L->q_b, "attention.self.query.bias", H, 0);
        LMAT(tk, "attention.self.key.weight", H, H);
        LREQ(L->k_b, "attention.self.key.bias", H, 0);
        LMAT(tv, "attention.self.value.weight", H, H);
        LREQ(L->v_b, "attention.self.value.bias", H, 0);
        LMAT(to, "attention.output.dense.weight", H, H);
        LREQ(L->attn_out_b, "attention.output.dense.bias", H, 0);
        LREQ(L->ln1_g, "attention.output.LayerNorm.weight", H, 0);
        LREQ(L->ln1_b, "attention.output.LayerNorm.bias", H, 0);
        LMAT(t1, "intermediate.dense.weight", I, H);
        LREQ(L->ffn_in_b, "intermediate.dense.bias", I, 0);
        LMAT(t2, "output.dense.weight", H, I);
        LREQ(L->ffn_out_b, "output.dense.bias", H, 0);
        LREQ(L->ln2_g, "output.LayerNorm.weight", H, 0);
        LREQ(L->ln2_b, "output.LayerNorm.bias", H, 0);
#undef LMAT
#undef LREQ
#undef LNAME
        /* raw float32 pointers (NULL for int8 kept as stored) */
        L->q_w = tq->data, L->k_w = tk->data, L->v_w = tv->data;
        L->attn_out_w = to->data, L->ffn_in_w = t1->data, L->ffn_out_w = t2->data;
        /* fused QKV projection: W_qkv [3H, H] = [W_q; W_k; W_v], b_qkv = [b_q; b_k; b_v] */
        L->qkv_b = xl_aligned_alloc(3 * H * sizeof(float), err);
        if (L->qkv_b == NULL) goto fail;
        memcpy(L->qkv_b, L->q_b, H * sizeof(float));
        memcpy(L->qkv_b + H, L->k_b, H * sizeof(float));
        memcpy(L->qkv_b + 2 * H, L->v_b, H * sizeof(float));
        const xl_tensor *qkv[3] = {tq, tk, tv};
        if (prepare_linear(m, k, qkv, 3, H, tmp, &L->qkv, &L->qkv_q, &b->n_int8_linear, &b->n_16bit_linear, err) < 0 ||
            prepare_linear(m, k, &to, 1, H, NULL, &L->attn_out, &L->attn_out_q, &b->n_int8_linear, &b->n_16bit_linear, err) < 0 ||
            prepare_linear(m, k, &t1, 1, H, NULL, &L->ffn_in, &L->ffn_in_q, &b->n_int8_linear, &b->n_16bit_linear, err) < 0 ||
            prepare_linear(m, k, &t2, 1, I, NULL, &L->ffn_out, &L->ffn_out_q, &b->n_int8_linear, &b->n_16bit_linear, err) < 0)
            goto fail;
    }
    if (c->has_pooler) {
        const xl_tensor *tp = req_matrix(m, "pooler.dense.weight", H, H, err);
        if (tp == NULL) goto fail;
        b->pooler_w = tp->data;
        REQ(b->pooler_b, "pooler.dense.bias", H, 0);
        if (prepare_linear(m, k, &tp, 1, H, NULL, &b->pooler, &b->pooler_q, &b->n_int8_linear, &b->n_16bit_linear, err) < 0) goto fail;
    }
    for (size_t i = 0; i < c->n_dense; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "dense.%zu.weight", i);
        const xl_tensor *td = req_matrix(m, nm, c->dense_out[i], c->dense_in[i], err);
        if (td == NULL) goto fail;
        b->dense_w[i] = td->data;
        snprintf(nm, sizeof nm, "dense.%zu.bias", i);
        char bk[64];
        snprintf(bk, sizeof bk, "dense.%zu.bias", i);
        bool has_bias = true;
        (void)xl_model_meta_bool(m, bk, &has_bias);
        if (has_bias) REQ(b->dense_b[i], nm, c->dense_out[i], 0);
        if (prepare_linear(m, k, &td, 1, c->dense_in[i], NULL, &b->dense[i], &b->dense_q[i], &b->n_int8_linear, &b->n_16bit_linear, err) < 0)
            goto fail;
    }
    xl_aligned_free(tmp);
    *out = b;
    return 0;
fail:
    xl_aligned_free(tmp);
    xl_bert_free(b);
    return -1;
}

void xl_bert_free(xl_bert *b)
{
    if (b == NULL) return;
    if (b->layers != NULL)
        for (size_t l = 0; l < b->cfg.n_layers; l++) {
            xl_bert_layer *L = &b->layers[l];
            xl_aligned_free(L->qkv_b);
            xl_packed_free(&L->qkv);
            xl_packed_free(&L->attn_out);
            xl_packed_free(&L->ffn_in);
            xl_packed_free(&L->ffn_out);
            xl_qmatrix_free(&L->qkv_q);
            xl_qmatrix_free(&L->attn_out_q);
            xl_qmatrix_free(&L->ffn_in_q);
            xl_qmatrix_free(&L->ffn_out_q);
        }
    free(b->layers);
    xl_packed_free(&b->pooler);
    xl_qmatrix_free(&b->pooler_q);
    for (size_t i = 0; i < XL_BERT_MAX_DENSE; i++) {
        xl_packed_free(&b->dense[i]);
        xl_qmatrix_free(&b->dense_q[i]);
    }
    free(b);
}

/* ---- activations ------------------------------------------------------------ */

void xl_bert_acts_init(xl_bert_acts *a, bool keep_all_layers)
{
    memset(a, 0, sizeof *a);
    a->keep_all_layers = keep_all_layers;
}

static void free_slots(float **v, size_t n)
{
    if (v == NULL) return;
    for (size_t i = 0; i < n; i++) xl_aligned_free(v[i]);
    free(v);
}

void xl_bert_acts_free(xl_bert_acts *a)
{
    free(a->off);
    free(a->att_off);
    xl_aligned_free(a->emb);
    xl_aligned_free(a->hidden0);
    xl_aligned_free(a->mask_row);
    free(a->mask_ptr);
    size_t n = a->n_slots;
    free_slots(a->qkv, n);
    free_slots(a->att, n);
    free_slots(a->ctx, n);
    free_slots(a->attn_proj, n);
    free_slots(a->ln1, n);
    free_slots(a->ffn_pre, n);
    free_slots(a->ffn_h, n);
    free_slots(a->ffn_proj, n);
    free_slots(a->out, n);
    bool keep = a->keep_all_layers;
    memset(a, 0, sizeof *a);
    a->keep_all_layers = keep;
}

/* (Re)allocate an aligned buffer of `count` floats (contents discarded). */
static int grow(float **p, size_t count, xl_error *err)
{
    size_t bytes;
    if (!xl_mul_size(count ? count : 1, sizeof(float), &bytes)) return xl_fail(err, XL_ERR_NOMEM, "activation size overflows");
    xl_aligned_free(*p);
    *p = xl_aligned_alloc(bytes, err);
    return *p ? 0 : -1;
}

static int grow_slots(float ***v, size_t n_slots, size_t count, xl_error *err)
{
    if (*v == NULL) {
        *v = xl_calloc(n_slots, sizeof **v, err);
        if (*v == NULL) return -1;
    }
    for (size_t i = 0; i < n_slots; i++)
        if (grow(&(*v)[i], count, err) < 0) return -1;
    return 0;
}

/* Bytes of the activation buffers acts_reserve allocates for T tokens (att floats of attention
 * probabilities), per slot: emb, hidden0 [T, H]; per slot qkv [T, 3H], ctx, attn_proj, ln1,
 * ffn_proj, out [T, H], ffn_h (and ffn_pre with keep_all_layers) [T, I], att.  False on overflow. */
static bool acts_bytes(const xl_bert_config *c, size_t slots, size_t T, size_t att, size_t *bytes)
{
    size_t per_slot_h = 3 + 5, per_slot_i = slots > 1 ? 2 : 1, a, b, d, e, total;
    if (!xl_mul_size(per_slot_h, c->hidden, &a) || !xl_mul_size(per_slot_i, c->intermediate, &b) ||
        !xl_add_size(a, b, &a) || !xl_mul_size(a, T, &a) || !xl_add_size(a, att, &a) || !xl_mul_size(a, slots, &d) ||
        !xl_mul_size(2 * c->hidden, T, &e) || !xl_add_size(d, e, &total) || !xl_mul_size(total, sizeof(float), bytes))
        return false;
    return true;
}

static int acts_reserve(const xl_bert_config *c, xl_bert_acts *a, size_t n_seq, size_t T, size_t att, bool store_att,
                        xl_error *err)
{
    size_t want_slots = a->keep_all_layers ? c->n_layers : 1;
    if (a->n_slots != 0 && a->n_slots != want_slots) xl_bert_acts_free(a);
    a->n_slots = want_slots;
    size_t H = c->hidden, I = c->intermediate, n = a->n_slots, tH, t3H, tI;
    if (!xl_mul_size(T, H, &tH) || !xl_mul_size(tH, 3, &t3H) || !xl_mul_size(T, I, &tI))
        return xl_fail(err, XL_ERR_NOMEM, "batch of %zu tokens is too large", T);
    if (n_seq > a->cap_seq) {
        size_t *o = xl_realloc(a->off, n_seq, sizeof *o, err);
        if (o == NULL) return -1;
        a->off = o;
        o = xl_realloc(a->att_off, n_seq, sizeof *o, err);
        if (o == NULL) return -1;
        a->att_off = o;
        a->cap_seq = n_seq;
    }
    if (n_seq > a->cap_mask_seq) {
        float **mp = xl_realloc(a->mask_ptr, n_seq, sizeof *mp, err);
        if (mp == NULL) return -1;
        a->mask_ptr = mp;
        a->cap_mask_seq = n_seq;
    }
    if (T > a->cap_len) {
        if (grow(&a->mask_row, T, err) < 0) return -1;
        a->cap_len = T;
    }
    if (T > a->cap_T || a->emb == NULL) {
        if (grow(&a->emb, tH, err) < 0 || grow(&a->hidden0, tH, err) < 0 || grow_slots(&a->qkv, n, t3H, err) < 0 ||
            grow_slots(&a->ctx, n, tH, err) < 0 || grow_slots(&a->attn_proj, n, tH, err) < 0 ||
            grow_slots(&a->ln1, n, tH, err) < 0 || grow_slots(&a->ffn_h, n, tI, err) < 0 ||
            grow_slots(&a->ffn_proj, n, tH, err) < 0 || grow_slots(&a->out, n, tH, err) < 0)
            return -1;
        if (a->keep_all_layers && grow_slots(&a->ffn_pre, n, tI, err) < 0) return -1;
        a->cap_T = T;
    }
    /* the attention probabilities are only stored for a backward pass (or for sequences too long
     * for xl_attention's scratch); inference scores stay in the kernels' per-thread scratch */
    if (!store_att) return 0;
    if (att > a->cap_att || a->att == NULL) {
        if (grow_slots(&a->att, n, att, err) < 0) return -1;
        a->cap_att = att;
    }
    return 0;
}

/* ---- forward ---------------------------------------------------------------- */

/* Embeddings (BertEmbeddings.forward): e_t = W_word[id_t] + W_type[tt_t] + W_pos[p_t],
 * then LayerNorm.  HF adds word + type first, then position; DistilBERT word + position. */
int xl_bert_check_ids(const xl_bert *b, const int32_t *ids, const int32_t *type_ids, size_t len, xl_error *err)
{
    const xl_bert_config *c = &b->cfg;
    if (len == 0 || len > c->max_position)
        return xl_fail(err, XL_ERR_USAGE, "length %zu outside 1..%zu (max_position)", len, c->max_position);
    for (size_t p = 0; p < len; p++) {
        if (ids[p] < 0 || (size_t)ids[p] >= c->vocab_size)
            return xl_fail(err, XL_ERR_USAGE, "position %zu: token id %" PRId32 " outside 0..%zu", p, ids[p],
                           c->vocab_size - 1);
        int32_t t = type_ids ? type_ids[p] : 0;
        if (c->type_vocab_size > 0 ? (t < 0 || (size_t)t >= c->type_vocab_size) : t != 0)
            return xl_fail(err, XL_ERR_USAGE, "position %zu: token type id %" PRId32 " outside 0..%zu", p, t,
                           c->type_vocab_size > 0 ? c->type_vocab_size - 1 : 0);
    }
    return 0;
}

/* Row r of an embedding table into dst[H]: the float32 row, or scale[r] * q[r][j] for an int8 table
 * (the product the loader's widening computes, so both give the same bits). */
static const float *table_row(const float *f, const xl_bert_table_q *q, size_t r, size_t H, float *dst)
{
    if (f != NULL) return f + r * H;
    if (q->h != NULL) {
        const unsigned short *hr = q->h + r * H;
        for (size_t j = 0; j < H; j++) dst[j] = xl_elem16_to_float(hr[j], q->elem);
        return dst;
    }
    const signed char *qr = q->q + r * H;
    const float s = q->scale[r];
    for (size_t j = 0; j < H; j++) dst[j] = s * (float)qr[j];
    return dst;
}

static int embed(const xl_bert *b, const xl_kernels *k, int n_threads, const xl_bert_input *in, xl_bert_acts *a,
                 xl_error *err)
{
    const xl_bert_config *c = &b->cfg;
    const size_t H = c->hidden;
    /* int8 tables: the word and type rows are widened into the output row and hidden0's row (free
     * until the LayerNorm below writes it), the position row into qkv's first row block */
    for (size_t s = 0; s < in->n_seq; s++) {
        const int32_t *ids = in->ids[s];
        const int32_t *tt = in->type_ids ? in->type_ids[s] : NULL;
        for (size_t p = 0; p < in->len[s]; p++) {
            const size_t row = a->off[s] + p;
            float *e = a->emb + row * H;
            int32_t id = ids[p];
            if (id < 0 || (size_t)id >= c->vocab_size)
                return xl_fail(err, XL_ERR_USAGE, "sequence %zu, position %zu: token id %" PRId32 " outside 0..%zu", s, p,
                               id, c->vocab_size - 1);
            const float *w = table_row(b->word_emb, &b->word_emb_q, (size_t)id, H, e);
            const float *pos = table_row(b->pos_emb, &b->pos_emb_q, p, H, a->qkv[0]);
            if (c->type_vocab_size > 0) {
                int32_t t = tt ? tt[p] : 0;
                if (t < 0 || (size_t)t >= c->type_vocab_size)
                    return xl_fail(err, XL_ERR_USAGE, "sequence %zu, position %zu: token type id %" PRId32 " outside 0..%zu",
                                   s, p, t, c->type_vocab_size - 1);
                const float *ty = table_row(b->type_emb, &b->type_emb_q, (size_t)t, H, a->hidden0 + row * H);
                for (size_t j = 0; j < H; j++) e[j] = (w[j] + ty[j]) + pos[j];
            } else {
                if (tt != NULL && tt[p] != 0)
                    return xl_fail(err, XL_ERR_USAGE, "sequence %zu, position %zu: token type id %" PRId32
                                   " but DistilBERT has no token types", s, p, tt[p]);
                for (size_t j = 0; j < H; j++) e[j] = w[j] + pos[j];
            }
        }
    }
    xl_add_layernorm(k, n_threads, a->emb, NULL, b->emb_ln_g, b->emb_ln_b, c->layer_norm_eps, a->T, H, a->hidden0);
    return 0;
}

/* Y[M, out] = act(X[M, in] W^T + b): int8 (xl_qlinear) when the layer has int8 weights, else the
 * packed float32 GEMM.  X and Y are dense rows. */
static void linear(xl_kernels *k, int n_threads, const float *X, size_t M, const xl_packed_matrix *P,
                   const xl_qmatrix *Q, const float *bias, xl_act act, float *Y)
{
    if (Q->q != NULL) xl_qlinear(k, n_threads, X, M, Q, bias, act, Y);
    else xl_sgemm_packed(k, n_threads, M, 1.0f, X, P->k, P, 0.0f, Y, P->n, bias, act);
}

/* Multi-head self-attention for one layer (BertSelfAttention):
 *   S_h = Q_h K_h^T / sqrt(dh) + M,  P_h = softmax(S_h) row-wise,  ctx_h = P_h V_h
 * per sequence over its own length (no padding); M adds -FLT_MAX at masked keys.  One parallel
 * region over all (sequence, head) pairs (xl_attention). */
static void attention(const xl_bert *b, xl_kernels *k, int n_threads, const xl_bert_input *in, xl_bert_acts *a,
                      const float *qkv, float *att, float *ctx)
{
    const xl_bert_config *c = &b->cfg;
    const size_t H = c->hidden, nh = c->n_heads, dh = H / nh;
    const float scale = 1.0f / sqrtf((float)dh);
    const float *const *masks = NULL;
    if (in->mask != NULL) {
        for (size_t s = 0; s < in->n_seq; s++) {
            const uint8_t *m = in->mask[s];
            float *row = a->mask_row + a->off[s];
            a->mask_ptr[s] = NULL;
            if (m == NULL) continue;
            for (size_t j = 0; j < in->len[s]; j++) row[j] = m[j] ? 0.0f : -FLT_MAX;
            a->mask_ptr[s] = row;
        }
        masks = (const float *const *)a->mask_ptr;
    }
    xl_attention(k, n_threads, in->n_seq, a->off, in->len, a->att_off, masks, nh, dh, scale, qkv, qkv + H, qkv + 2 * H,
                 3 * H, att, ctx, H);
}

int xl_bert_forward(const xl_bert *b, xl_kernels *k, int n_threads, const xl_bert_input *in, xl_bert_acts *a,
                    xl_error *err)
{
    const xl_bert_config *c = &b->cfg;
    const size_t H = c->hidden, I = c->intermediate, nh = c->n_heads;
    if (in->n_seq == 0) return xl_fail(err, XL_ERR_USAGE, "empty batch");
    size_t T = 0, att = 0, max_len = 0;
    for (size_t s = 0; s < in->n_seq; s++) {
        size_t n = in->len[s], n2, hn2;
        if (n == 0 || n > c->max_position)
            return xl_fail(err, XL_ERR_USAGE, "sequence %zu: length %zu outside 1..%zu (max_position)", s, n,
                           c->max_position);
        /* sum of n and of nh*n^2, checked: a model claiming 65,536 positions wraps 32-bit size_t */
        if (!xl_add_size(T, n, &T) || !xl_mul_size(n, n, &n2) || !xl_mul_size(nh, n2, &hn2) ||
            !xl_add_size(att, hn2, &att))
            return xl_fail(err, XL_ERR_LIMIT, "batch of %zu sequences (sequence %zu: %zu tokens): activation size "
                           "overflows size_t", in->n_seq, s, n);
        if (n > max_len) max_len = n;
    }
    /* probabilities stored for a backward pass, or when a sequence is too long for the scratch */
    const bool store_att = a->keep_all_layers || max_len > XL_ATTENTION_SCRATCH_MAX_LEN;
    size_t need;
    if (!acts_bytes(c, a->keep_all_layers ? c->n_layers : 1, T, store_att ? att : 0, &need) ||
        need > XL_BERT_MAX_ACT_BYTES)
        return xl_fail(err, XL_ERR_LIMIT, "batch of %zu sequences, %zu tokens (longest %zu): activations need more "
                       "than the limit of %zu bytes (XL_BERT_MAX_ACT_BYTES); use a smaller --max-len or --batch",
                       in->n_seq, T, max_len, (size_t)XL_BERT_MAX_ACT_BYTES);
    if (acts_reserve(c, a, in->n_seq, T, att, store_att, err) < 0) return -1;
    a->n_seq = in->n_seq;
    a->T = T;
    for (size_t s = 0, o = 0, ao = 0; s < in->n_seq; s++) {
        a->off[s] = o;
        a->att_off[s] = ao;
        o += in->len[s];
        ao += nh * in->len[s] * in->len[s]; /* fits: the sum was checked above */
    }
    if (embed(b, k, n_threads, in, a, err) < 0) return -1;
    const float *x = a->hidden0; /* [T, H] layer input */
    for (size_t l = 0; l < c->n_layers; l++) {
        const xl_bert_layer *L = &b->layers[l];
        size_t sl = a->keep_all_layers ? l : 0;
        float *qkv = a->qkv[sl], *P = store_att ? a->att[sl] : NULL, *ctx = a->ctx[sl], *proj = a->attn_proj[sl], *ln1 = a->ln1[sl];
        float *fh = a->ffn_h[sl], *fp = a->ffn_proj[sl], *out = a->out[sl];
        /* qkv [T, 3H] = x W_qkv^T + b_qkv */
        linear(k, n_threads, x, T, &L->qkv, &L->qkv_q, L->qkv_b, XL_ACT_NONE, qkv);
        attention(b, k, n_threads, in, a, qkv, P, ctx);
        /* BertSelfOutput: ln1 = LayerNorm(ctx W_o^T + b_o + x) */
        linear(k, n_threads, ctx, T, &L->attn_out, &L->attn_out_q, L->attn_out_b, XL_ACT_NONE, proj);
        xl_add_layernorm(k, n_threads, proj, x, L->ln1_g, L->ln1_b, c->layer_norm_eps, T, H, ln1);
        /* BertIntermediate: ffn_h [T, I] = GELU(ln1 W_1^T + b_1) (exact erf GELU) */
        if (a->keep_all_layers) {
            float *pre = a->ffn_pre[sl];
            linear(k, n_threads, ln1, T, &L->ffn_in, &L->ffn_in_q, L->ffn_in_b, XL_ACT_NONE, pre);
            memcpy(fh, pre, T * I * sizeof(float));
            xl_bias_gelu(k, n_threads, fh, T, I, I, NULL);
        } else {
            linear(k, n_threads, ln1, T, &L->ffn_in, &L->ffn_in_q, L->ffn_in_b, XL_ACT_GELU, fh);
        }
        /* BertOutput: out = LayerNorm(ffn_h W_2^T + b_2 + ln1) */
        linear(k, n_threads, fh, T, &L->ffn_out, &L->ffn_out_q, L->ffn_out_b, XL_ACT_NONE, fp);
        xl_add_layernorm(k, n_threads, fp, ln1, L->ln2_g, L->ln2_b, c->layer_norm_eps, T, H, out);
        x = out;
    }
    return 0;
}

const float *xl_bert_last_hidden(const xl_bert *b, const xl_bert_acts *a)
{
    return a->out[a->keep_all_layers ? b->cfg.n_layers - 1 : 0];
}

const float *xl_bert_hidden_state(const xl_bert *b, const xl_bert_acts *a, size_t l)
{
    if (l == 0) return a->hidden0;
    if (l > b->cfg.n_layers) return NULL;
    if (l == b->cfg.n_layers) return xl_bert_last_hidden(b, a);
    return a->keep_all_layers ? a->out[l - 1] : NULL;
}

size_t xl_bert_output_dim(const xl_bert *b, xl_pooling pooling)
{
    if (pooling == XL_POOL_DEFAULT) pooling = b->cfg.pooling;
    if (pooling == XL_POOL_POOLER || pooling == XL_POOL_NONE || b->cfg.n_dense == 0) return b->cfg.hidden;
    return b->cfg.dense_out[b->cfg.n_dense - 1];
}

double xl_bert_flops(const xl_bert_config *c, const size_t *len, size_t n_seq)
{
    double H = (double)c->hidden, I = (double)c->intermediate, T = 0, att = 0;
    for (size_t s = 0; s < n_seq; s++) {
        T += (double)len[s];
        att += (double)len[s] * (double)len[s];
    }
    /* per layer: QKV 3H^2, output H^2, FFN 2HI multiply-adds per token; attention 2 n^2 H per sequence */
    double per_layer = 2.0 * T * (4.0 * H * H + 2.0 * H * I) + 2.0 * 2.0 * att * H;
    return per_layer * (double)c->n_layers;
}
