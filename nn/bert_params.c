/* bert_params.c - the flat trainable parameter set of a BERT encoder and its gradient buffer
 * (see bert_train.h): layout table, seeded init, init from a model file, repacking of the GEMM
 * copies after an update, saving as an ordinary xlrec model file. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bert_train.h"
#include "xl_alloc.h"
#include "xl_thread.h"

/* ---- layout ------------------------------------------------------------------------------------ */

typedef struct {
    xl_bert_param_info *info; /* NULL: count only */
    size_t n, count;
    bool overflow;
} layout_builder;

/* Append a tensor; returns its offset (aligned to 16 floats = 64 bytes). */
static size_t add_tensor(layout_builder *lb, const char *name, uint64_t d0, uint64_t d1, bool no_decay)
{
    size_t off = (lb->count + 15) / 16 * 16, cnt;
    if (off < lb->count || !xl_mul_size((size_t)d0, d1 ? (size_t)d1 : 1, &cnt) || d0 > SIZE_MAX || d1 > SIZE_MAX ||
        !xl_add_size(off, cnt, &lb->count))
        lb->overflow = true;
    if (lb->info != NULL) {
        xl_bert_param_info *t = &lb->info[lb->n];
        snprintf(t->name, sizeof t->name, "%s", name);
        t->rank = d1 ? 2 : 1;
        t->shape[0] = d0;
        t->shape[1] = d1;
        t->offset = off;
        t->count = cnt;
        t->no_decay = no_decay;
    }
    lb->n++;
    return off;
}

static int check_config(const xl_bert_config *c, xl_error *err)
{
    if (c->arch != XL_ARCH_BERT) return xl_fail(err, XL_ERR_USAGE, "training supports arch \"bert\" only");
    if (c->vocab_size == 0 || c->vocab_size > UINT32_MAX || c->hidden == 0 || c->n_layers == 0 || c->n_heads == 0 ||
        c->intermediate == 0 || c->max_position == 0)
        return xl_fail(err, XL_ERR_USAGE, "BERT config: vocab, hidden, layers, heads, FFN size and max position must be > 0");
    if (c->hidden % c->n_heads != 0)
        return xl_fail(err, XL_ERR_USAGE, "BERT config: hidden %zu is not a multiple of heads %zu", c->hidden,
                       c->n_heads);
    if (c->max_seq_len > c->max_position)
        return xl_fail(err, XL_ERR_USAGE, "BERT config: max_seq_len %zu exceeds max_position %zu", c->max_seq_len,
                       c->max_position);
    if (c->n_dense > XL_BERT_MAX_DENSE) return xl_fail(err, XL_ERR_USAGE, "BERT config: too many Dense layers");
    size_t prev = c->hidden;
    for (size_t i = 0; i < c->n_dense; i++) {
        if (c->dense_in[i] != prev || c->dense_out[i] == 0)
            return xl_fail(err, XL_ERR_USAGE, "BERT config: Dense layer %zu is %zu -> %zu after width %zu", i,
                           c->dense_in[i], c->dense_out[i], prev);
        if (c->dense_act[i] != XL_ACT_TANH && c->dense_act[i] != XL_ACT_NONE)
            return xl_fail(err, XL_ERR_USAGE, "BERT config: Dense layer %zu activation must be tanh or identity", i);
        prev = c->dense_out[i];
    }
    if (!(c->layer_norm_eps >= 0.0f)) return xl_fail(err, XL_ERR_USAGE, "BERT config: layer_norm_eps must be >= 0");
    return 0;
}

/* Build the table (lb->info non-NULL) or just count (NULL); fills `o` when non-NULL. */
static void layout(const xl_bert_config *c, const bool *dense_bias, layout_builder *lb, xl_bert_offsets *o)
{
    const uint64_t V = c->vocab_size, H = c->hidden, I = c->intermediate, P = c->max_position;
    size_t dummy;
    char nm[96];
#define SET(field, expr)          \
    do {                          \
        size_t v_ = (expr);       \
        if (o) o->field = v_;     \
        else dummy = v_;          \
    } while (0)
    SET(word_emb, add_tensor(lb, "embeddings.word_embeddings.weight", V, H, false));
    SET(pos_emb, add_tensor(lb, "embeddings.position_embeddings.weight", P, H, false));
    if (c->type_vocab_size > 0)
        SET(type_emb, add_tensor(lb, "embeddings.token_type_embeddings.weight", c->type_vocab_size, H, false));
    else SET(type_emb, SIZE_MAX);
    SET(emb_ln_g, add_tensor(lb, "embeddings.LayerNorm.weight", H, 0, true));
    SET(emb_ln_b, add_tensor(lb, "embeddings.LayerNorm.bias", H, 0, true));
    for (size_t l = 0; l < c->n_layers; l++) {
        xl_bert_layer_offsets *L = o ? &o->layers[l] : NULL;
        size_t q, kk, v;
#define LT(suffix, d0, d1, nd) (snprintf(nm, sizeof nm, "encoder.layer.%zu.%s", l, suffix), add_tensor(lb, nm, d0, d1, nd))
        /* W_q, W_k, W_v adjacent (one [3H, H] block): tensors are multiples of 16 floats apart only
         * when H*H is; the fused view needs them contiguous, so they are added unaligned below */
        q = LT("attention.self.query.weight", H, H, false);
        kk = lb->count; /* contiguous with the previous tensor */
        if (lb->info) {
            xl_bert_param_info *t = &lb->info[lb->n];
            snprintf(t->name, sizeof t->name, "encoder.layer.%zu.attention.self.key.weight", l);
            t->rank = 2, t->shape[0] = H, t->shape[1] = H, t->offset = kk, t->count = (size_t)(H * H),
            t->no_decay = false;
            t = &lb->info[lb->n + 1];
            snprintf(t->name, sizeof t->name, "encoder.layer.%zu.attention.self.value.weight", l);
            t->rank = 2, t->shape[0] = H, t->shape[1] = H, t->offset = kk + (size_t)(H * H), t->count = (size_t)(H * H),
            t->no_decay = false;
        }
        lb->n += 2;
        if (!xl_add_size(lb->count, (size_t)(2 * H * H), &lb->count)) lb->overflow = true;
        if (L) L->qkv_w = q;
        (void)kk;
        q = LT("attention.self.query.bias", H, 0, true);
        v = lb->count;
        if (lb->info) {
            xl_bert_param_info *t = &lb->info[lb->n];
            snprintf(t->name, sizeof t->name, "encoder.layer.%zu.attention.self.key.bias", l);
            t->rank = 1, t->shape[0] = H, t->shape[1] = 0, t->offset = v, t->count = (size_t)H, t->no_decay = true;
            t = &lb->info[lb->n + 1];
            snprintf(t->name, sizeof t->name, "encoder.layer.%zu.attention.self.value.bias", l);
            t->rank = 1, t->shape[0] = H, t->shape[1] = 0, t->offset = v + (size_t)H, t->count = (size_t)H,
            t->no_decay = true;
        }
        lb->n += 2;
        if (!xl_add_size(lb->count, (size_t)(2 * H), &lb->count)) lb->overflow = true;
        if (L) L->qkv_b = q;
        SET(layers[l].attn_out_w, LT("attention.output.dense.weight", H, H, false));
        SET(layers[l].attn_out_b, LT("attention.output.dense.bias", H, 0, true));
        SET(layers[l].ln1_g, LT("attention.output.LayerNorm.weight", H, 0, true));
        SET(layers[l].ln1_b, LT("attention.output.LayerNorm.bias", H, 0, true));
        SET(layers[l].ffn_in_w, LT("intermediate.dense.weight", I, H, false));
        SET(layers[l].ffn_in_b, LT("intermediate.dense.bias", I, 0, true));
        SET(layers[l].ffn_out_w, LT("output.dense.weight", H, I, false));
        SET(layers[l].ffn_out_b, LT("output.dense.bias", H, 0, true));
        SET(layers[l].ln2_g, LT("output.LayerNorm.weight", H, 0, true));
        SET(layers[l].ln2_b, LT("output.LayerNorm.bias", H, 0, true));
#undef LT
    }
    if (c->has_pooler) {
        SET(pooler_w, add_tensor(lb, "pooler.dense.weight", H, H, false));
        SET(pooler_b, add_tensor(lb, "pooler.dense.bias", H, 0, true));
    } else {
        SET(pooler_w, SIZE_MAX);
        SET(pooler_b, SIZE_MAX);
    }
    for (size_t i = 0; i < c->n_dense; i++) {
        snprintf(nm, sizeof nm, "dense.%zu.weight", i);
        SET(dense_w[i], add_tensor(lb, nm, c->dense_out[i], c->dense_in[i], false));
        if (dense_bias == NULL || dense_bias[i]) {
            snprintf(nm, sizeof nm, "dense.%zu.bias", i);
            SET(dense_b[i], add_tensor(lb, nm, c->dense_out[i], 0, true));
        } else SET(dense_b[i], SIZE_MAX);
    }
    (void)dummy;
#undef SET
    /* round the end up so the buffer is a whole number of 64-byte lines */
    size_t end = (lb->count + 15) / 16 * 16;
    if (end < lb->count) lb->overflow = true;
    lb->count = end;
}

size_t xl_bert_params_count(const xl_bert_config *cfg, xl_error *err)
{
    if (check_config(cfg, err) < 0) return 0;
    layout_builder lb = {0};
    layout(cfg, NULL, &lb, NULL);
    if (lb.overflow) {
        xl_fail(err, XL_ERR_NOMEM, "BERT config: parameter count overflows");
        return 0;
    }
    return lb.count;
}

/* ---- the view (an xl_bert over data) ----------------------------------------------------------- */

static void packed_dx_free(xl_bert_params *p)
{
    if (p->packed_dx == NULL) return;
    for (size_t i = 0; i < 4 * p->cfg.n_layers + p->cfg.n_dense; i++) xl_packed_free(&p->packed_dx[i]);
    free(p->packed_dx);
    p->packed_dx = NULL;
}

static void view_free(xl_bert *b, size_t n_layers)
{
    if (b->layers != NULL)
        for (size_t l = 0; l < n_layers; l++) {
            xl_bert_layer *L = &b->layers[l];
            xl_packed_free(&L->qkv);
            xl_packed_free(&L->attn_out);
            xl_packed_free(&L->ffn_in);
            xl_packed_free(&L->ffn_out);
        }
    free(b->layers);
    xl_packed_free(&b->pooler);
    for (size_t i = 0; i < XL_BERT_MAX_DENSE; i++) xl_packed_free(&b->dense[i]);
    memset(b, 0, sizeof *b);
}

/* Point the view at data and allocate + fill its packed copies. */
static int view_build(xl_bert_params *p, const xl_kernels *k, xl_error *err)
{
    const xl_bert_config *c = &p->cfg;
    const xl_bert_offsets *o = &p->off;
    xl_bert *b = &p->view;
    const size_t H = c->hidden, I = c->intermediate;
    float *d = p->data;
    memset(b, 0, sizeof *b);
    b->cfg = *c;
    b->word_emb = d + o->word_emb;
    b->pos_emb = d + o->pos_emb;
    b->type_emb = o->type_emb != SIZE_MAX ? d + o->type_emb : NULL;
    b->emb_ln_g = d + o->emb_ln_g;
    b->emb_ln_b = d + o->emb_ln_b;
    b->layers = xl_calloc(c->n_layers, sizeof *b->layers, err);
    if (b->layers == NULL) return -1;
    for (size_t l = 0; l < c->n_layers; l++) {
        const xl_bert_layer_offsets *lo = &o->layers[l];
        xl_bert_layer *L = &b->layers[l];
        L->q_w = d + lo->qkv_w;
        L->k_w = L->q_w + H * H;
        L->v_w = L->k_w + H * H;
        L->q_b = d + lo->qkv_b;
        L->k_b = L->q_b + H;
        L->v_b = L->k_b + H;
        L->qkv_b = d + lo->qkv_b; /* the fused bias is the adjacent [3H] block itself */
        L->attn_out_w = d + lo->attn_out_w;
        L->attn_out_b = d + lo->attn_out_b;
        L->ln1_g = d + lo->ln1_g;
        L->ln1_b = d + lo->ln1_b;
        L->ffn_in_w = d + lo->ffn_in_w;
        L->ffn_in_b = d + lo->ffn_in_b;
        L->ffn_out_w = d + lo->ffn_out_w;
        L->ffn_out_b = d + lo->ffn_out_b;
        L->ln2_g = d + lo->ln2_g;
        L->ln2_b = d + lo->ln2_b;
        if (xl_pack_b(k, XL_TRANS, H, 3 * H, L->q_w, H, &L->qkv, err) < 0 ||
            xl_pack_b(k, XL_TRANS, H, H, L->attn_out_w, H, &L->attn_out, err) < 0 ||
            xl_pack_b(k, XL_TRANS, H, I, L->ffn_in_w, H, &L->ffn_in, err) < 0 ||
            xl_pack_b(k, XL_TRANS, I, H, L->ffn_out_w, I, &L->ffn_out, err) < 0)
            return -1;
    }
    if (c->has_pooler) {
        b->pooler_w = d + o->pooler_w;
        b->pooler_b = d + o->pooler_b;
        if (xl_pack_b(k, XL_TRANS, H, H, b->pooler_w, H, &b->pooler, err) < 0) return -1;
    }
    for (size_t i = 0; i < c->n_dense; i++) {
        b->dense_w[i] = d + o->dense_w[i];
        b->dense_b[i] = o->dense_b[i] != SIZE_MAX ? d + o->dense_b[i] : NULL;
        if (xl_pack_b(k, XL_TRANS, c->dense_in[i], c->dense_out[i], b->dense_w[i], c->dense_in[i], &b->dense[i], err) < 0)
            return -1;
    }
    /* the backward's copies: op(B) = W [out, in] as stored (dX = dY W) */
    p->packed_dx = xl_calloc(4 * c->n_layers + c->n_dense, sizeof *p->packed_dx, err);
    if (p->packed_dx == NULL) return -1;
    for (size_t l = 0; l < c->n_layers; l++) {
        const xl_bert_layer *L = &b->layers[l];
        xl_packed_matrix *q = p->packed_dx + 4 * l;
        if (xl_pack_b(k, XL_NO_TRANS, 3 * H, H, L->q_w, H, &q[0], err) < 0 ||
            xl_pack_b(k, XL_NO_TRANS, H, H, L->attn_out_w, H, &q[1], err) < 0 ||
            xl_pack_b(k, XL_NO_TRANS, I, H, L->ffn_in_w, H, &q[2], err) < 0 ||
            xl_pack_b(k, XL_NO_TRANS, H, I, L->ffn_out_w, I, &q[3], err) < 0)
            return -1;
    }
    for (size_t i = 0; i < c->n_dense; i++)
        if (xl_pack_b(k, XL_NO_TRANS, c->dense_out[i], c->dense_in[i], b->dense_w[i], c->dense_in[i],
                      &p->packed_dx[4 * c->n_layers + i], err) < 0)
            return -1;
    return 0;
}

/* Repack item i of xl_bert_params_refresh: per layer 8 (qkv, attn_out, ffn_in, ffn_out as Wᵀ for
 * the forward, then the same 4 as W for the backward's dX), then the pooler, then 2 per Dense layer. */
static void refresh_item(xl_bert_params *p, const xl_kernels *k, size_t i)
{
    const xl_bert_config *c = &p->cfg;
    xl_bert *b = &p->view;
    const size_t H = c->hidden, I = c->intermediate;
    if (i < 8 * c->n_layers) {
        xl_bert_layer *L = &b->layers[i / 8];
        xl_packed_matrix *q = p->packed_dx + 4 * (i / 8);
        switch (i % 8) {
        case 0: xl_pack_b_refresh(k, XL_TRANS, L->q_w, H, &L->qkv); break;
        case 1: xl_pack_b_refresh(k, XL_TRANS, L->attn_out_w, H, &L->attn_out); break;
        case 2: xl_pack_b_refresh(k, XL_TRANS, L->ffn_in_w, H, &L->ffn_in); break;
        case 3: xl_pack_b_refresh(k, XL_TRANS, L->ffn_out_w, I, &L->ffn_out); break;
        case 4: xl_pack_b_refresh(k, XL_NO_TRANS, L->q_w, H, &q[0]); break;
        case 5: xl_pack_b_refresh(k, XL_NO_TRANS, L->attn_out_w, H, &q[1]); break;
        case 6: xl_pack_b_refresh(k, XL_NO_TRANS, L->ffn_in_w, H, &q[2]); break;
        default: xl_pack_b_refresh(k, XL_NO_TRANS, L->ffn_out_w, I, &q[3]); break;
        }
        return;
    }
    i -= 8 * c->n_layers;
    if (c->has_pooler) {
        if (i == 0) {
            xl_pack_b_refresh(k, XL_TRANS, b->pooler_w, H, &b->pooler);
            return;
        }
        i--;
    }
    const size_t d = i / 2;
    if (i % 2 == 0) xl_pack_b_refresh(k, XL_TRANS, b->dense_w[d], c->dense_in[d], &b->dense[d]);
    else xl_pack_b_refresh(k, XL_NO_TRANS, b->dense_w[d], c->dense_in[d], &p->packed_dx[4 * c->n_layers + d]);
}

typedef struct {
    xl_bert_params *p;
    const xl_kernels *k;
} refresh_job;

static void refresh_range(void *ctx, size_t b, size_t e, int tid)
{
    const refresh_job *j = ctx;
    (void)tid;
    for (size_t i = b; i < e; i++) refresh_item(j->p, j->k, i);
}

/* The repacks are copies into disjoint buffers: split over the kernels' pool (all its threads),
 * in contiguous ranges of whole matrices; the packed bytes do not depend on the split. */
void xl_bert_params_refresh(xl_bert_params *p, const xl_kernels *k)
{
    const xl_bert_config *c = &p->cfg;
    const size_t items = 8 * c->n_layers + (c->has_pooler ? 1u : 0u) + 2 * c->n_dense;
    refresh_job j = {p, k};
    if (k->pool == NULL || k->max_threads <= 1 || items < 2 || p->count < 65536) refresh_range(&j, 0, items, 0);
    else xl_pool_run(k->pool, k->max_threads, items, refresh_range, &j);
}

/* ---- init -------------------------------------------------------------------------------------- */

/* Table + zeroed buffer (no view). */
static int params_alloc(xl_bert_params *p, const xl_bert_config *cfg, const bool *dense_bias, xl_error *err)
{
    memset(p, 0, sizeof *p);
    if (check_config(cfg, err) < 0) return -1;
    p->cfg = *cfg;
    for (size_t i = 0; i < cfg->n_dense; i++) p->dense_bias[i] = dense_bias == NULL || dense_bias[i];
    layout_builder lb = {0};
    layout(cfg, NULL, &lb, NULL);
    size_t bytes;
    if (lb.overflow || !xl_mul_size(lb.count, sizeof(float), &bytes))
        return xl_fail(err, XL_ERR_NOMEM, "BERT config: parameter count overflows");
    p->info = xl_calloc(lb.n, sizeof *p->info, err);
    p->off.layers = xl_calloc(cfg->n_layers, sizeof *p->off.layers, err);
    p->data = xl_aligned_alloc(bytes ? bytes : 64, err);
    if (p->info == NULL || p->off.layers == NULL || p->data == NULL) {
        xl_bert_params_free(p);
        return -1;
    }
    memset(p->data, 0, bytes);
    layout_builder fill = {.info = p->info};
    layout(cfg, p->dense_bias, &fill, &p->off);
    p->n_tensors = fill.n;
    p->count = fill.count;
    return 0;
}

void xl_bert_params_free(xl_bert_params *p)
{
    if (p == NULL) return;
    packed_dx_free(p);
    view_free(&p->view, p->cfg.n_layers);
    free(p->info);
    free(p->off.layers);
    xl_aligned_free(p->data);
    memset(p, 0, sizeof *p);
}

/* N(0, sigma^2) truncated to [-2 sigma, 2 sigma] by resampling (torch.nn.init.trunc_normal_ with
 * a = -2 sigma, b = 2 sigma; TF's truncated_normal_initializer). */
static float trunc_normal(xl_rng *r, double sigma)
{
    for (;;) {
        double z = xl_rng_normal(r);
        if (z >= -2.0 && z <= 2.0) return (float)(z * sigma);
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int xl_bert_params_init_random(xl_bert_params *p, const xl_bert_config *cfg, const bool *dense_bias, uint64_t seed,
                               const xl_kernels *k, xl_error *err)
{
    if (params_alloc(p, cfg, dense_bias, err) < 0) return -1;
    xl_rng r;
    xl_rng_seed(&r, seed, 0);
    for (size_t t = 0; t < p->n_tensors; t++) {
        const xl_bert_param_info *ti = &p->info[t];
        float *x = p->data + ti->offset;
        if (ti->rank == 2) {
            for (size_t i = 0; i < ti->count; i++) x[i] = trunc_normal(&r, 0.02);
        } else if (ends_with(ti->name, "LayerNorm.weight")) {
            for (size_t i = 0; i < ti->count; i++) x[i] = 1.0f;
        } /* biases, LayerNorm beta: 0 (params_alloc zeroed) */
    }
    if (view_build(p, k, err) < 0) {
        xl_bert_params_free(p);
        return -1;
    }
    return 0;
}

int xl_bert_params_init_model(xl_bert_params *p, const xl_model *m, const xl_kernels *k, xl_error *err)
{
    memset(p, 0, sizeof *p);
    /* the inference loader checks metadata and every tensor's presence and shape */
    xl_bert *b = NULL;
    if (xl_bert_from_model(&b, m, k, err) < 0) return -1;
    xl_bert_config cfg = b->cfg;
    xl_bert_free(b);
    if (cfg.arch != XL_ARCH_BERT)
        return xl_fail(err, XL_ERR_USAGE, "%s: training supports arch \"bert\" only (this model is distilbert)",
                       xl_model_path(m));
    bool dense_bias[XL_BERT_MAX_DENSE];
    for (size_t i = 0; i < cfg.n_dense; i++) {
        char key[64];
        snprintf(key, sizeof key, "dense.%zu.bias", i);
        dense_bias[i] = true;
        (void)xl_model_meta_bool(m, key, &dense_bias[i]);
    }
    if (params_alloc(p, &cfg, dense_bias, err) < 0) return -1;
    for (size_t t = 0; t < p->n_tensors; t++) {
        const xl_bert_param_info *ti = &p->info[t];
        const xl_tensor *src = xl_model_require(m, ti->name, ti->rank, ti->shape, err);
        if (src == NULL) {
            xl_bert_params_free(p);
            return -1;
        }
        memcpy(p->data + ti->offset, src->data, ti->count * sizeof(float));
    }
    if (view_build(p, k, err) < 0) {
        xl_bert_params_free(p);
        return -1;
    }
    return 0;
}

long xl_bert_params_find(const xl_bert_params *p, const char *name)
{
    for (size_t t = 0; t < p->n_tensors; t++)
        if (strcmp(p->info[t].name, name) == 0) return (long)t;
    return -1;
}

/* ---- saving ------------------------------------------------------------------------------------ */

int xl_bert_params_to_writer(const xl_bert_params *p, xl_model_writer *w, xl_error *err)
{
    const xl_bert_config *c = &p->cfg;
    xl_pooling pool = c->pooling == XL_POOL_DEFAULT ? XL_POOL_MEAN : c->pooling;
    size_t max_seq = c->max_seq_len ? c->max_seq_len : c->max_position;
    if (xl_model_writer_set_string(w, "arch", "bert", err) < 0 ||
        xl_model_writer_set_int(w, "vocab_size", (int64_t)c->vocab_size, err) < 0 ||
        xl_model_writer_set_int(w, "hidden_size", (int64_t)c->hidden, err) < 0 ||
        xl_model_writer_set_int(w, "num_layers", (int64_t)c->n_layers, err) < 0 ||
        xl_model_writer_set_int(w, "num_heads", (int64_t)c->n_heads, err) < 0 ||
        xl_model_writer_set_int(w, "intermediate_size", (int64_t)c->intermediate, err) < 0 ||
        xl_model_writer_set_int(w, "max_position", (int64_t)c->max_position, err) < 0 ||
        xl_model_writer_set_int(w, "type_vocab_size", (int64_t)c->type_vocab_size, err) < 0 ||
        xl_model_writer_set_double(w, "layer_norm_eps", (double)c->layer_norm_eps, err) < 0 ||
        xl_model_writer_set_string(w, "hidden_act", "gelu", err) < 0 ||
        xl_model_writer_set_bool(w, "has_pooler", c->has_pooler, err) < 0 ||
        xl_model_writer_set_string(w, "pooling", xl_pooling_name(pool), err) < 0 ||
        xl_model_writer_set_bool(w, "normalize", c->normalize, err) < 0 ||
        xl_model_writer_set_int(w, "max_seq_len", (int64_t)max_seq, err) < 0 ||
        xl_model_writer_set_int(w, "dense.count", (int64_t)c->n_dense, err) < 0)
        return -1;
    for (size_t i = 0; i < c->n_dense; i++) {
        char key[64];
        snprintf(key, sizeof key, "dense.%zu.in", i);
        if (xl_model_writer_set_int(w, key, (int64_t)c->dense_in[i], err) < 0) return -1;
        snprintf(key, sizeof key, "dense.%zu.out", i);
        if (xl_model_writer_set_int(w, key, (int64_t)c->dense_out[i], err) < 0) return -1;
        snprintf(key, sizeof key, "dense.%zu.bias", i);
        if (xl_model_writer_set_bool(w, key, p->dense_bias[i], err) < 0) return -1;
        snprintf(key, sizeof key, "dense.%zu.activation", i);
        if (xl_model_writer_set_string(w, key, c->dense_act[i] == XL_ACT_TANH ? "tanh" : "identity", err) < 0)
            return -1;
    }
    for (size_t t = 0; t < p->n_tensors; t++) {
        const xl_bert_param_info *ti = &p->info[t];
        if (xl_model_writer_add_tensor(w, ti->name, ti->rank, ti->shape, p->data + ti->offset, NULL, err) < 0)
            return -1;
    }
    return 0;
}

int xl_bert_params_copy_vocab(xl_model_writer *w, const xl_model *src, xl_error *err)
{
    for (size_t i = 0; i < xl_model_meta_count(src); i++) {
        const xl_meta *me = xl_model_meta_at(src, i);
        if (strncmp(me->key, "tokenizer.", 10) != 0) continue;
        int rc = 0;
        switch (me->type) {
        case XL_META_INT: rc = xl_model_writer_set_int(w, me->key, me->i, err); break;
        case XL_META_DOUBLE: rc = xl_model_writer_set_double(w, me->key, me->d, err); break;
        case XL_META_BOOL: rc = xl_model_writer_set_bool(w, me->key, me->i != 0, err); break;
        case XL_META_STRING: rc = xl_model_writer_set_string(w, me->key, me->s, err); break;
        }
        if (rc < 0) return -1;
    }
    for (size_t id = 0; id < xl_model_vocab_count(src); id++) {
        size_t len;
        const char *tok = xl_model_vocab_token(src, id, &len);
        if (xl_model_writer_add_token(w, tok, len, err) < 0) return -1;
    }
    return 0;
}

int xl_bert_params_save(const xl_bert_params *p, const xl_model *vocab_src, const char *path, xl_error *err)
{
    xl_model_writer *w = xl_model_writer_new(err);
    if (w == NULL) return -1;
    int rc = xl_bert_params_to_writer(p, w, err);
    if (rc == 0 && vocab_src != NULL) {
        if (xl_model_vocab_count(vocab_src) != 0 && xl_model_vocab_count(vocab_src) != p->cfg.vocab_size)
            rc = xl_fail(err, XL_ERR_USAGE, "%s: vocabulary of %zu tokens, the model has %zu rows", xl_model_path(vocab_src),
                         xl_model_vocab_count(vocab_src), p->cfg.vocab_size);
        else rc = xl_bert_params_copy_vocab(w, vocab_src, err);
    }
    /* xl_model_writer_write goes through xl_output: a temporary file renamed over path on success */
    if (rc == 0) rc = xl_model_writer_write(w, path, err);
    xl_model_writer_free(w);
    return rc;
}

/* ---- gradients --------------------------------------------------------------------------------- */

int xl_bert_grads_init(xl_bert_grads *g, const xl_bert_params *p, xl_error *err)
{
    memset(g, 0, sizeof *g);
    size_t bytes;
    if (!xl_mul_size(p->count ? p->count : 16, sizeof(float), &bytes))
        return xl_fail(err, XL_ERR_NOMEM, "gradient buffer size overflows");
    g->count = p->count;
    g->vocab = p->cfg.vocab_size;
    g->hidden = p->cfg.hidden;
    g->data = xl_aligned_alloc(bytes, err);
    g->word_touched = xl_calloc(g->vocab, 1, err);
    g->word_rows = xl_calloc(g->vocab, sizeof *g->word_rows, err);
    if (g->data == NULL || g->word_touched == NULL || g->word_rows == NULL) {
        xl_bert_grads_free(g);
        return -1;
    }
    memset(g->data, 0, p->count * sizeof(float));
    return 0;
}

void xl_bert_grads_free(xl_bert_grads *g)
{
    if (g == NULL) return;
    xl_aligned_free(g->data);
    free(g->word_touched);
    free(g->word_rows);
    memset(g, 0, sizeof *g);
}

void xl_bert_grads_zero(xl_bert_grads *g, const xl_bert_params *p)
{
    const size_t H = g->hidden, w0 = p->off.word_emb, w1 = w0 + g->vocab * H;
    memset(g->data, 0, w0 * sizeof(float));
    memset(g->data + w1, 0, (g->count - w1) * sizeof(float));
    if (g->word_all) {
        memset(g->data + w0, 0, g->vocab * H * sizeof(float));
        memset(g->word_touched, 0, g->vocab);
    } else {
        for (size_t i = 0; i < g->n_word_rows; i++) {
            memset(g->data + w0 + (size_t)g->word_rows[i] * H, 0, H * sizeof(float));
            g->word_touched[g->word_rows[i]] = 0;
        }
    }
    g->n_word_rows = 0;
    g->word_all = false;
}

void xl_bert_grads_touch_word(xl_bert_grads *g, uint32_t row)
{
    if (row >= g->vocab || g->word_touched[row]) return;
    g->word_touched[row] = 1;
    g->word_rows[g->n_word_rows++] = row;
}

void xl_bert_grads_touch_all_words(xl_bert_grads *g)
{
    for (size_t v = 0; v < g->vocab; v++)
        if (!g->word_touched[v]) {
            g->word_touched[v] = 1;
            g->word_rows[g->n_word_rows++] = (uint32_t)v;
        }
    g->word_all = true;
}
