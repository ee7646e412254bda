/* bert_train.c - training forward and backward pass of the BERT encoder (see bert_train.h; the
 * gradient of each op is in nn/xl_backprop.c, formulas in docs/training.md).  The forward is
 * xl_bert_forward's computation (nn/bert.c) with HF's four dropouts inserted and every activation
 * kept; at dropout 0 its last hidden state equals xl_bert_forward's bit for bit. */
#include "bert_train.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xl_alloc.h"
#include "xl_backprop.h"
#include "xl_platform.h"
#include "xl_thread.h"

/* ---- context and buffers ---------------------------------------------------------------------- */

void xl_bert_train_ctx_init(xl_bert_train_ctx *c, xl_kernels *k, int n_threads)
{
    memset(c, 0, sizeof *c);
    c->k = k;
    c->n_threads = n_threads < 1 ? 1 : n_threads;
    c->min_split = 65536;
}

static void free_slots(void **v, size_t n)
{
    if (v == NULL) return;
    for (size_t i = 0; i < n; i++) xl_aligned_free(v[i]);
    free(v);
}

static size_t n_slots_of(const xl_bert_train_ctx *c)
{
    return c->n_layers;
}

void xl_bert_train_ctx_free(xl_bert_train_ctx *c)
{
    xl_bert_train_acts *a = &c->a;
    const size_t N = n_slots_of(c);
    xl_aligned_free(a->off), xl_aligned_free(a->len), xl_aligned_free(a->att_off), xl_aligned_free(a->pool_count);
    xl_aligned_free((void *)a->mask_rows);
    xl_aligned_free(a->mask_add), xl_aligned_free(a->emb), xl_aligned_free(a->x0), xl_aligned_free(a->mask_emb);
    free_slots((void **)a->qkv, N), free_slots((void **)a->att, N), free_slots((void **)a->att_drop, N);
    free_slots((void **)a->ctx, N), free_slots((void **)a->res1, N), free_slots((void **)a->ln1, N);
    free_slots((void **)a->ffn_pre, N), free_slots((void **)a->ffn_h, N), free_slots((void **)a->res2, N);
    free_slots((void **)a->out, N);
    free_slots((void **)a->mask_att, N), free_slots((void **)a->mask_res1, N), free_slots((void **)a->mask_res2, N);
    xl_aligned_free(a->pooled), xl_aligned_free(a->sent), xl_aligned_free(a->sent_norm);
    for (size_t i = 0; i < XL_BERT_MAX_DENSE; i++) xl_aligned_free(a->dense_out[i]);
    xl_aligned_free(c->d_x), xl_aligned_free(c->d_tmp), xl_aligned_free(c->d_qkv), xl_aligned_free(c->d_ctx);
    xl_aligned_free(c->d_ffn), xl_aligned_free(c->d_att), xl_aligned_free(c->d_stats);
    xl_aligned_free(c->d_pool_a), xl_aligned_free(c->d_pool_b);
    xl_kernels *k = c->k;
    int nt = c->n_threads;
    size_t min_split = c->min_split;
    xl_bert_train_prof *prof = c->prof;
    xl_bert_train_ctx_init(c, k, nt);
    c->min_split = min_split;
    c->prof = prof;
}

/* (Re)allocate `count` elements of `elem` bytes (contents discarded). */
static int grow(void **p, size_t count, size_t elem, xl_error *err)
{
    size_t bytes;
    if (!xl_mul_size(count ? count : 1, elem, &bytes))
        return xl_fail(err, XL_ERR_NOMEM, "training activation size overflows");
    xl_aligned_free(*p);
    *p = xl_aligned_alloc(bytes, err);
    return *p ? 0 : -1;
}

static int grow_slots(void ***v, size_t n, size_t count, size_t elem, xl_error *err)
{
    if (*v == NULL) {
        *v = xl_calloc(n, sizeof **v, err);
        if (*v == NULL) return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (grow(&(*v)[i], count, elem, err) < 0) return -1;
    return 0;
}

#define GROW(p, n, e) grow((void **)&(p), (n), (e), err)
#define GROW_SLOTS(v, count, e) grow_slots((void ***)&(v), N, (count), (e), err)

static int reserve(xl_bert_train_ctx *c, const xl_bert_config *cfg, size_t n_seq, size_t T, size_t A,
                   size_t max_block, xl_error *err)
{
    xl_bert_train_acts *a = &c->a;
    if (c->n_layers != 0 && c->n_layers != cfg->n_layers) xl_bert_train_ctx_free(c);
    c->n_layers = cfg->n_layers;
    const size_t N = cfg->n_layers, H = cfg->hidden, I = cfg->intermediate;
    size_t tH, t3H, tI;
    if (!xl_mul_size(T, H, &tH) || !xl_mul_size(tH, 3, &t3H) || !xl_mul_size(T, I, &tI))
        return xl_fail(err, XL_ERR_NOMEM, "batch of %zu tokens is too large", T);
    if (n_seq > a->cap_seq) {
        if (GROW(a->off, n_seq, sizeof(size_t)) < 0 || GROW(a->len, n_seq, sizeof(size_t)) < 0 ||
            GROW(a->att_off, n_seq, sizeof(size_t)) < 0 || GROW(a->pool_count, n_seq, sizeof(size_t)) < 0 ||
            GROW(a->mask_rows, n_seq, sizeof(float *)) < 0)
            return -1;
        a->cap_seq = n_seq;
    }
    if (T > a->cap_T) {
        if (GROW(a->mask_add, T, sizeof(float)) < 0 || GROW(a->emb, tH, sizeof(float)) < 0 ||
            GROW(a->x0, tH, sizeof(float)) < 0 || GROW(a->mask_emb, tH, 1) < 0 ||
            GROW_SLOTS(a->qkv, t3H, sizeof(float)) < 0 || GROW_SLOTS(a->ctx, tH, sizeof(float)) < 0 ||
            GROW_SLOTS(a->res1, tH, sizeof(float)) < 0 || GROW_SLOTS(a->ln1, tH, sizeof(float)) < 0 ||
            GROW_SLOTS(a->ffn_pre, tI, sizeof(float)) < 0 || GROW_SLOTS(a->ffn_h, tI, sizeof(float)) < 0 ||
            GROW_SLOTS(a->res2, tH, sizeof(float)) < 0 || GROW_SLOTS(a->out, tH, sizeof(float)) < 0 ||
            GROW_SLOTS(a->mask_res1, tH, 1) < 0 || GROW_SLOTS(a->mask_res2, tH, 1) < 0 ||
            GROW(c->d_x, tH, sizeof(float)) < 0 || GROW(c->d_tmp, tH, sizeof(float)) < 0 ||
            GROW(c->d_ctx, tH, sizeof(float)) < 0 || GROW(c->d_qkv, t3H, sizeof(float)) < 0 ||
            GROW(c->d_ffn, tI, sizeof(float)) < 0 || GROW(c->d_stats, 2 * T, sizeof(float)) < 0)
            return -1;
        a->cap_T = T;
    }
    if (A > a->cap_A) {
        if (GROW_SLOTS(a->att, A, sizeof(float)) < 0 || GROW_SLOTS(a->att_drop, A, sizeof(float)) < 0 ||
            GROW_SLOTS(a->mask_att, A, 1) < 0)
            return -1;
        a->cap_A = A;
    }
    (void)max_block;
    if (A > c->cap_dA) { /* the backward's dP of every sequence, at att_off[s] (sequences run in parallel) */
        if (GROW(c->d_att, A, sizeof(float)) < 0) return -1;
        c->cap_dA = A;
    }
    return 0;
}

/* ---- per-sequence work on the pool ------------------------------------------------------------- */

/* Attention's small per-sequence GEMMs (a few dozen tokens each) are below the GEMMs' own threading
 * threshold, so they ran on one thread.  Instead the sequences are split over the pool: each thread
 * runs whole sequences on a one-thread view of the kernels (its own workspace).  Sequences are
 * independent and each runs the same code whatever thread gets it: results do not depend on the
 * thread count.  Below ~4 MFLOP of work, one thread (as the GEMMs). */
static void run_seqs(xl_kernels *k, int nt, size_t n_seq, double flops, xl_range_fn fn, void *ctx)
{
    if (nt > k->max_threads) nt = k->max_threads;
    if (nt <= 1 || n_seq < 2 || flops < 4e6) fn(ctx, 0, n_seq, 0);
    else xl_pool_run(k->pool, nt, n_seq, fn, ctx);
}

typedef struct {
    xl_kernels *k;
    const xl_bert_train_acts *a;
    size_t l, H, nh, dh;
    float scale, p_att;
    const float *dctx; /* backward: d ctx [T, H] */
    float *out;        /* forward: ctx [T, H]; backward: d qkv [T, 3H] */
    float *scratch;    /* backward: dP, [A] at att_off[s] */
} seq_att_job;

/* forward with attention dropout: ctx_h = Pd_h V_h for sequences [b, e) */
static void seq_pv(void *ctx, size_t b, size_t e, int tid)
{
    const seq_att_job *j = ctx;
    xl_kernels kt = xl_kernels_thread_view(j->k, tid);
    const size_t H = j->H, nh = j->nh, dh = j->dh;
    const float *qkv = j->a->qkv[j->l], *Pd = j->a->att_drop[j->l];
    for (size_t s = b; s < e; s++) {
        const size_t n = j->a->len[s], o = j->a->off[s];
        xl_sgemm_batched(&kt, 1, XL_NO_TRANS, nh, n, dh, n, 1.0f, Pd + j->a->att_off[s], n, n * n,
                         qkv + o * 3 * H + 2 * H, 3 * H, dh, 0.0f, j->out + o * H, H, dh);
    }
}

/* backward of attention for sequences [b, e) (heads batched within a sequence) */
static void seq_att_backward(void *ctx, size_t b, size_t e, int tid)
{
    const seq_att_job *j = ctx;
    xl_kernels kt = xl_kernels_thread_view(j->k, tid);
    const xl_bert_train_acts *a = j->a;
    const size_t H = j->H, l = j->l;
    const bool drop = j->p_att > 0.0f;
    for (size_t s = b; s < e; s++) {
        const size_t n = a->len[s], r0 = a->off[s], ao = a->att_off[s];
        const float *P = a->att[l] + ao;
        const float *Pd = drop ? a->att_drop[l] + ao : P;
        const uint8_t *m = drop ? a->mask_att[l] + ao : NULL;
        const float *q = a->qkv[l] + r0 * 3 * H;
        float *dq = j->out + r0 * 3 * H;
        xl_attention_backward(&kt, 1, n, j->nh, j->dh, j->scale, q, q + H, q + 2 * H, 3 * H, P, Pd, m, j->p_att,
                              j->dctx + r0 * H, H, dq, dq + H, dq + 2 * H, j->scratch + ao);
    }
}

/* ---- elementwise steps on the pool --------------------------------------------------------------- */

/* The residual adds, copies and dropout backward between the GEMMs are elementwise over [T, H] or
 * [T, I]: with --threads 2 they ran on the calling thread while the other waited.  Split into fixed
 * chunks over the pool; each element gets the same operation whatever the thread, so the results are
 * bit-identical for any thread count.  Below ~64k elements, one thread. */
typedef enum { EW_ADD, EW_COPY, EW_DROPOUT_BWD } ew_op;

typedef struct {
    ew_op op;
    float *y;          /* ADD: y += x; COPY: y = x; DROPOUT_BWD: y = dropout backward of x (mask, p) */
    const float *x;
    const uint8_t *mask;
    float p;
    size_t n;
} ew_job;

#define EW_CHUNK ((size_t)16384)

static void ew_range(void *ctx, size_t b, size_t e, int tid)
{
    const ew_job *j = ctx;
    (void)tid;
    const size_t lo = b * EW_CHUNK, hi = e * EW_CHUNK < j->n ? e * EW_CHUNK : j->n;
    if (j->op == EW_ADD)
        for (size_t i = lo; i < hi; i++) j->y[i] += j->x[i];
    else if (j->op == EW_COPY) memcpy(j->y + lo, j->x + lo, (hi - lo) * sizeof(float));
    else xl_dropout_backward(j->p, j->mask + lo, j->x + lo, j->y + lo, hi - lo);
}

static void ew_run(xl_kernels *k, int nt, ew_op op, float *y, const float *x, const uint8_t *mask, float p, size_t n)
{
    ew_job j = {op, y, x, mask, p, n};
    const size_t chunks = (n + EW_CHUNK - 1) / EW_CHUNK;
    if (nt > k->max_threads) nt = k->max_threads;
    if (nt <= 1 || chunks < 2 || n < 65536) ew_range(&j, 0, chunks, 0);
    else xl_pool_run(k->pool, nt, chunks, ew_range, &j);
}

/* ---- forward ------------------------------------------------------------------------------------ */

/* Run fn over [0, n_items) on the pool when the work (elements touched) is at least c->min_split,
 * else on the calling thread.  For the per-sequence and per-column steps below, each item gets the
 * same code whatever thread runs it, so the split never changes a result. */
static void par_items(const xl_bert_train_ctx *c, size_t n_items, double work, xl_range_fn fn, void *ctx)
{
    int nt = c->n_threads;
    if (nt > c->k->max_threads) nt = c->k->max_threads;
    if (nt <= 1 || n_items < 2 || work < (double)c->min_split) fn(ctx, 0, n_items, 0);
    else xl_pool_run(c->k->pool, nt, n_items, fn, ctx);
}

typedef struct {
    const xl_bert *b;
    const xl_bert_train_acts *a;
    const xl_bert_input *in;
    size_t H;
} embed_job;

/* emb rows of sequences [sb, se) (ids and types checked by the caller) */
static void embed_seqs(void *ctx, size_t sb, size_t se, int tid)
{
    const embed_job *j = ctx;
    (void)tid;
    const xl_bert *b = j->b;
    const size_t H = j->H;
    for (size_t s = sb; s < se; s++) {
        const int32_t *ids = j->in->ids[s];
        const int32_t *tt = j->in->type_ids ? j->in->type_ids[s] : NULL;
        for (size_t q = 0; q < j->in->len[s]; q++) {
            float *e = j->a->emb + (j->a->off[s] + q) * H;
            const float *w = b->word_emb + (size_t)ids[q] * H, *pos = b->pos_emb + q * H;
            if (b->type_emb != NULL) {
                const float *ty = b->type_emb + (size_t)(tt ? tt[q] : 0) * H;
                for (size_t i = 0; i < H; i++) e[i] = (w[i] + ty[i]) + pos[i];
            } else {
                for (size_t i = 0; i < H; i++) e[i] = w[i] + pos[i];
            }
        }
    }
}

/* BertEmbeddings: emb_t = (W_word[id_t] + W_type[tt_t]) + W_pos[p_t]; x0 = dropout(LN(emb)).
 * The ids are checked first (serially: the first bad one is reported), then the rows are gathered
 * with the sequences split over the threads. */
static int embed(xl_bert_train_ctx *c, const xl_bert_params *p, const xl_bert_input *in, float p_drop, xl_rng *rng,
                 xl_error *err)
{
    const xl_bert *b = &p->view;
    const xl_bert_config *cfg = &p->cfg;
    xl_bert_train_acts *a = &c->a;
    const size_t H = cfg->hidden;
    for (size_t s = 0; s < in->n_seq; s++) {
        const int32_t *ids = in->ids[s];
        const int32_t *tt = in->type_ids ? in->type_ids[s] : NULL;
        for (size_t q = 0; q < in->len[s]; q++) {
            int32_t id = ids[q], t = tt ? tt[q] : 0;
            if (id < 0 || (size_t)id >= cfg->vocab_size)
                return xl_fail(err, XL_ERR_USAGE, "sequence %zu, position %zu: token id %" PRId32 " outside 0..%zu", s, q,
                               id, cfg->vocab_size - 1);
            if (b->type_emb != NULL) {
                if (t < 0 || (size_t)t >= cfg->type_vocab_size)
                    return xl_fail(err, XL_ERR_USAGE, "sequence %zu, position %zu: token type id %" PRId32
                                   " outside 0..%zu", s, q, t, cfg->type_vocab_size - 1);
            } else if (t != 0) {
                return xl_fail(err, XL_ERR_USAGE, "sequence %zu, position %zu: token type id %" PRId32
                               " but the model has no token types", s, q, t);
            }
        }
    }
    embed_job j = {b, a, in, H};
    par_items(c, in->n_seq, (double)a->T * (double)H, embed_seqs, &j);
    xl_add_layernorm(c->k, c->n_threads, a->emb, NULL, b->emb_ln_g, b->emb_ln_b, cfg->layer_norm_eps, a->T, H, a->x0);
    xl_dropout_forward_threads(c->k, c->n_threads, c->min_split, rng, p_drop, a->x0, a->x0, a->mask_emb, a->T * H);
    return 0;
}

const float *xl_bert_train_forward(xl_bert_train_ctx *c, const xl_bert_params *p, const xl_bert_input *in,
                                   xl_bert_dropout drop, xl_rng *rng, xl_error *err)
{
    const xl_bert_config *cfg = &p->cfg;
    const xl_bert *b = &p->view;
    xl_bert_train_acts *a = &c->a;
    xl_kernels *k = c->k;
    const int nt = c->n_threads;
    const size_t H = cfg->hidden, I = cfg->intermediate, nh = cfg->n_heads, dh = H / nh;
    c->in = NULL;
    a->pooled_valid = false;
    if (!(drop.hidden >= 0.0f && drop.hidden < 1.0f && drop.attention >= 0.0f && drop.attention < 1.0f)) {
        xl_fail(err, XL_ERR_USAGE, "dropout rates must be in [0, 1) (hidden %g, attention %g)", (double)drop.hidden,
                (double)drop.attention);
        return NULL;
    }
    if ((drop.hidden > 0.0f || drop.attention > 0.0f) && rng == NULL) {
        xl_fail(err, XL_ERR_USAGE, "dropout needs a random generator");
        return NULL;
    }
    if (in->n_seq == 0) {
        xl_fail(err, XL_ERR_USAGE, "empty batch");
        return NULL;
    }
    size_t T = 0, A = 0, max_block = 0;
    for (size_t s = 0; s < in->n_seq; s++) {
        size_t n = in->len[s], blk;
        if (n == 0 || n > cfg->max_position) {
            xl_fail(err, XL_ERR_USAGE, "sequence %zu: length %zu outside 1..%zu (max_position)", s, n, cfg->max_position);
            return NULL;
        }
        if (!xl_mul_size(n, n, &blk) || !xl_mul_size(blk, nh, &blk) || !xl_add_size(A, blk, &A) ||
            !xl_add_size(T, n, &T)) {
            xl_fail(err, XL_ERR_NOMEM, "batch too large");
            return NULL;
        }
        if (blk > max_block) max_block = blk;
    }
    if (reserve(c, cfg, in->n_seq, T, A, max_block, err) < 0) return NULL;
    a->n_seq = in->n_seq, a->T = T, a->A = A;
    for (size_t s = 0, o = 0, ao = 0; s < in->n_seq; s++) {
        a->off[s] = o;
        a->len[s] = in->len[s];
        a->att_off[s] = ao;
        o += in->len[s];
        ao += nh * in->len[s] * in->len[s];
    }
    /* additive attention mask rows (HF extended mask: -FLT_MAX at attention_mask 0) */
    const float **masks = NULL;
    a->has_mask = false;
    if (in->mask != NULL) {
        a->has_mask = true;
        for (size_t s = 0; s < in->n_seq; s++) {
            float *row = a->mask_add + a->off[s];
            for (size_t j = 0; j < in->len[s]; j++) row[j] = in->mask[s] == NULL || in->mask[s][j] ? 0.0f : -FLT_MAX;
        }
    }
    if (a->has_mask) {
        masks = a->mask_rows;
        for (size_t s = 0; s < in->n_seq; s++) masks[s] = in->mask[s] ? a->mask_add + a->off[s] : NULL;
    }
    c->drop = drop;
    if (embed(c, p, in, drop.hidden, rng, err) < 0) return NULL;
    const float scale = 1.0f / sqrtf((float)dh);
    const float *x = a->x0; /* [T, H] layer input */
    for (size_t l = 0; l < cfg->n_layers; l++) {
        const xl_bert_layer *L = &b->layers[l];
        float *qkv = a->qkv[l], *P = a->att[l], *ctx = a->ctx[l], *res1 = a->res1[l], *ln1 = a->ln1[l];
        float *pre = a->ffn_pre[l], *fh = a->ffn_h[l], *res2 = a->res2[l], *out = a->out[l];
        /* qkv [T, 3H] = x W_qkv^T + b_qkv */
        xl_sgemm_packed(k, nt, T, 1.0f, x, H, &L->qkv, 0.0f, qkv, 3 * H, L->qkv_b, XL_ACT_NONE);
        /* P = softmax(Q K^T / sqrt(dh) + M) per (sequence, head); ctx = P V */
        xl_attention(k, nt, in->n_seq, a->off, in->len, a->att_off, masks, nh, dh, scale, qkv, qkv + H, qkv + 2 * H,
                     3 * H, P, drop.attention > 0.0f ? NULL : ctx, H);
        if (drop.attention > 0.0f) {
            /* Pd = dropout(P); ctx_h = Pd_h V_h (xl_attention gave the probabilities only) */
            xl_dropout_forward_threads(k, nt, c->min_split, rng, drop.attention, P, a->att_drop[l], a->mask_att[l], A);
            seq_att_job j = {.k = k, .a = a, .l = l, .H = H, .nh = nh, .dh = dh, .out = ctx};
            run_seqs(k, nt, in->n_seq, 2.0 * (double)A * (double)dh, seq_pv, &j);
        }
        /* BertSelfOutput: res1 = dropout(ctx W_o^T + b_o) + x; ln1 = LN(res1) */
        xl_sgemm_packed(k, nt, T, 1.0f, ctx, H, &L->attn_out, 0.0f, res1, H, L->attn_out_b, XL_ACT_NONE);
        xl_dropout_forward_threads(k, nt, c->min_split, rng, drop.hidden, res1, res1, a->mask_res1[l], T * H);
        ew_run(k, nt, EW_ADD, res1, x, NULL, 0.0f, T * H);
        xl_add_layernorm(k, nt, res1, NULL, L->ln1_g, L->ln1_b, cfg->layer_norm_eps, T, H, ln1);
        /* BertIntermediate: ffn_pre [T, I] = ln1 W_1^T + b_1; ffn_h = GELU(ffn_pre) */
        xl_sgemm_packed(k, nt, T, 1.0f, ln1, H, &L->ffn_in, 0.0f, pre, I, L->ffn_in_b, XL_ACT_NONE);
        ew_run(k, nt, EW_COPY, fh, pre, NULL, 0.0f, T * I);
        xl_bias_gelu(k, nt, fh, T, I, I, NULL);
        /* BertOutput: res2 = dropout(ffn_h W_2^T + b_2) + ln1; out = LN(res2) */
        xl_sgemm_packed(k, nt, T, 1.0f, fh, I, &L->ffn_out, 0.0f, res2, H, L->ffn_out_b, XL_ACT_NONE);
        xl_dropout_forward_threads(k, nt, c->min_split, rng, drop.hidden, res2, res2, a->mask_res2[l], T * H);
        ew_run(k, nt, EW_ADD, res2, ln1, NULL, 0.0f, T * H);
        xl_add_layernorm(k, nt, res2, NULL, L->ln2_g, L->ln2_b, cfg->layer_norm_eps, T, H, out);
        x = out;
    }
    c->in = in;
    return x;
}

/* ---- pooling ------------------------------------------------------------------------------------ */

/* Pooling and its backward, sequence by sequence (each sequence's rows are its own): split over the
 * threads, the same code per sequence whatever thread runs it. */
typedef struct {
    xl_bert_train_acts *a;
    const xl_bert_input *in;
    const float *hs;   /* forward: last hidden states [T, H] */
    const float *x;    /* forward: the pooled (and Dense) output to normalise [B, D]; backward: d pooled [B, H] */
    float *d_last;     /* backward: d last hidden state [T, H] (+=) */
    xl_pooling pooling;
    bool normalize;
    size_t H, D;
} pool_job;

/* pooled [B, H] rows [sb, se): h[0] (cls) or sum of mask-1 rows / max(count, 1e-9) (mean, position order) */
static void pool_seqs(void *ctx, size_t sb, size_t se, int tid)
{
    const pool_job *j = ctx;
    (void)tid;
    xl_bert_train_acts *a = j->a;
    const size_t H = j->H;
    for (size_t s = sb; s < se; s++) {
        const float *h = j->hs + a->off[s] * H;
        const uint8_t *m = j->in->mask ? j->in->mask[s] : NULL;
        float *y = a->pooled + s * H;
        if (j->pooling == XL_POOL_CLS) {
            memcpy(y, h, H * sizeof(float));
            continue;
        }
        size_t count = 0;
        for (size_t i = 0; i < H; i++) y[i] = 0.0f;
        for (size_t q = 0; q < a->len[s]; q++) {
            if (m && !m[q]) continue;
            for (size_t i = 0; i < H; i++) y[i] += h[q * H + i];
            count++;
        }
        a->pool_count[s] = count;
        float denom = (float)count;
        if (denom < 1e-9f) denom = 1e-9f;
        for (size_t i = 0; i < H; i++) y[i] /= denom;
    }
}

/* sent [B, D] rows [sb, se) = x / max(||x||, 1e-12) (norm computed in double) */
static void norm_rows(void *ctx, size_t sb, size_t se, int tid)
{
    const pool_job *j = ctx;
    (void)tid;
    xl_bert_train_acts *a = j->a;
    const size_t D = j->D;
    for (size_t s = sb; s < se; s++) {
        const float *r = j->x + s * D;
        float *y = a->sent + s * D;
        double ss = 0.0;
        for (size_t i = 0; i < D; i++) ss += (double)r[i] * (double)r[i];
        a->sent_norm[s] = (float)sqrt(ss);
        double div = j->normalize ? (a->sent_norm[s] > 1e-12f ? (double)a->sent_norm[s] : 1e-12) : 1.0;
        for (size_t i = 0; i < D; i++) y[i] = j->normalize ? (float)((double)r[i] / div) : r[i];
    }
}

/* d_last rows of sequences [sb, se) += the pooling backward of d pooled */
static void pool_backward_seqs(void *ctx, size_t sb, size_t se, int tid)
{
    const pool_job *j = ctx;
    (void)tid;
    const xl_bert_train_acts *a = j->a;
    const size_t H = j->H;
    for (size_t s = sb; s < se; s++) {
        float *dh = j->d_last + a->off[s] * H;
        if (a->pooling == XL_POOL_CLS) xl_cls_pool_backward(j->x + s * H, H, dh);
        else xl_mean_pool_backward(j->x + s * H, a->len[s], H, j->in->mask ? j->in->mask[s] : NULL, dh);
    }
}

/* L2 normalisation backward of rows [sb, se): x = sentence embeddings and their gradient */
typedef struct {
    const xl_bert_train_acts *a;
    const float *d_sent;
    float *dx;
} l2_job;

static void l2_backward_rows(void *ctx, size_t sb, size_t se, int tid)
{
    const l2_job *j = ctx;
    (void)tid;
    const size_t D = j->a->D;
    xl_l2_normalize_backward(j->a->sent + sb * D, j->a->sent_norm + sb, j->d_sent + sb * D, j->dx + sb * D, se - sb, D);
}

size_t xl_bert_train_output_dim(const xl_bert_params *p)
{
    return p->cfg.n_dense ? p->cfg.dense_out[p->cfg.n_dense - 1] : p->cfg.hidden;
}

const float *xl_bert_train_pool(xl_bert_train_ctx *c, const xl_bert_params *p, xl_pooling pooling, bool normalize,
                                xl_error *err)
{
    const xl_bert_config *cfg = &p->cfg;
    xl_bert_train_acts *a = &c->a;
    const xl_bert_input *in = c->in;
    if (in == NULL) {
        xl_fail(err, XL_ERR_USAGE, "pooling: no training forward pass before it");
        return NULL;
    }
    if (pooling == XL_POOL_DEFAULT) pooling = cfg->pooling;
    if (pooling != XL_POOL_MEAN && pooling != XL_POOL_CLS) {
        xl_fail(err, XL_ERR_USAGE, "training pools with 'mean' or 'cls' only (not '%s')", xl_pooling_name(pooling));
        return NULL;
    }
    const size_t B = a->n_seq, H = cfg->hidden, D = xl_bert_train_output_dim(p);
    size_t width = H;
    for (size_t i = 0; i < cfg->n_dense; i++)
        if (cfg->dense_out[i] > width) width = cfg->dense_out[i];
    size_t bw;
    if (!xl_mul_size(B, width, &bw)) {
        xl_fail(err, XL_ERR_NOMEM, "pooling buffer too large");
        return NULL;
    }
    if (B > a->cap_pool_seq || width > a->cap_pool_width) {
        if (GROW(a->pooled, bw, sizeof(float)) < 0 || GROW(a->sent, bw, sizeof(float)) < 0 ||
            GROW(a->sent_norm, B, sizeof(float)) < 0 || GROW(c->d_pool_a, bw, sizeof(float)) < 0 ||
            GROW(c->d_pool_b, bw, sizeof(float)) < 0)
            return NULL;
        for (size_t i = 0; i < XL_BERT_MAX_DENSE; i++)
            if (GROW(a->dense_out[i], bw, sizeof(float)) < 0) return NULL;
        a->cap_pool_seq = B;
        a->cap_pool_width = width;
    }
    pool_job j = {a, in, a->out[cfg->n_layers - 1], NULL, NULL, pooling, normalize, H, D};
    par_items(c, B, (double)a->T * (double)H, pool_seqs, &j);
    /* Dense layers: dense_out[i] [B, out_i] = act(x W_i^T + b_i) */
    const float *x = a->pooled;
    for (size_t i = 0; i < cfg->n_dense; i++) {
        xl_linear(c->k, c->n_threads, x, B, &p->view.dense[i], p->view.dense_b[i], cfg->dense_act[i], a->dense_out[i]);
        x = a->dense_out[i];
    }
    j.x = x;
    par_items(c, B, (double)B * (double)D, norm_rows, &j);
    a->pooling = pooling;
    a->normalize = normalize;
    a->D = D;
    a->pooled_valid = true;
    return a->sent;
}

/* ---- embedding scatter-add --------------------------------------------------------------------- */

typedef struct {
    const xl_bert_train_acts *a;
    const xl_bert_input *in;
    const float *demb;       /* d emb [T, H] */
    float *gw, *gp, *gt;     /* word [V, H], position [P, H], type [2, H] gradients (gt may be NULL) */
    size_t H;
} scatter_job;

#define SCATTER_COLS ((size_t)16) /* columns per item: one 64-byte line of a row */

/* columns [cb * 16, ce * 16) of every table: token by token in batch order */
static void scatter_cols(void *ctx, size_t cb, size_t ce, int tid)
{
    const scatter_job *j = ctx;
    (void)tid;
    const size_t H = j->H, c0 = cb * SCATTER_COLS, c1 = ce * SCATTER_COLS < H ? ce * SCATTER_COLS : H;
    for (size_t s = 0; s < j->a->n_seq; s++) {
        const int32_t *tt = j->in->type_ids ? j->in->type_ids[s] : NULL;
        for (size_t q = 0; q < j->a->len[s]; q++) {
            const float *d = j->demb + (j->a->off[s] + q) * H;
            float *w = j->gw + (size_t)(uint32_t)j->in->ids[s][q] * H, *ps = j->gp + q * H;
            for (size_t i = c0; i < c1; i++) w[i] += d[i];
            for (size_t i = c0; i < c1; i++) ps[i] += d[i];
            if (j->gt != NULL) {
                float *t = j->gt + (size_t)(tt ? tt[q] : 0) * H;
                for (size_t i = c0; i < c1; i++) t[i] += d[i];
            }
        }
    }
}

/* ---- backward ----------------------------------------------------------------------------------- */

const char *xl_bwd_op_name(xl_bwd_op op)
{
    static const char *const names[XL_BWD_N_OPS] = {"pooling", "layernorm", "elementwise", "dX gemm", "dW gemm",
                                                     "bias", "gelu", "attention", "embedding"};
    return (unsigned)op < XL_BWD_N_OPS ? names[op] : "?";
}

/* Lap timer for c->prof: lap() adds the time since the last mark to op and sets a new mark. */
typedef struct {
    xl_bert_train_prof *p;
    double wall;
    clock_t cpu;
} prof_lap;

static prof_lap lap_start(xl_bert_train_prof *p)
{
    prof_lap t = {p, 0.0, 0};
    if (p != NULL) t.wall = xl_time_now(), t.cpu = clock();
    return t;
}

static void lap(prof_lap *t, xl_bwd_op op)
{
    if (t->p == NULL) return;
    const double w = xl_time_now();
    const clock_t cp = clock();
    t->p->wall[op] += w - t->wall;
    t->p->cpu[op] += (double)(cp - t->cpu) / CLOCKS_PER_SEC;
    t->wall = w, t->cpu = cp;
}

/* xl_linear_backward's three steps (dX GEMM on the packed copy of W, dW GEMM, db), timed apart */
static void linear_backward(xl_kernels *k, int nt, prof_lap *t, size_t M, size_t in, size_t out, const float *X,
                            const xl_packed_matrix *Wp, const float *dY, float *dX, float beta_dx, float *dW,
                            float *db)
{
    xl_sgemm_packed(k, nt, M, 1.0f, dY, out, Wp, beta_dx, dX, in, NULL, XL_ACT_NONE);
    lap(t, XL_BWD_DX_GEMM);
    xl_sgemm_ex(k, nt, XL_TRANS, XL_NO_TRANS, out, in, M, 1.0f, dY, out, X, in, 1.0f, dW, in);
    lap(t, XL_BWD_DW_GEMM);
    if (db != NULL) xl_bias_backward_threads(k, nt, dY, M, out, db);
    lap(t, XL_BWD_BIAS);
}

/* d_last [T, H] += the gradient of the sentence embeddings through L2 norm, Dense layers, pooling. */
static void pool_backward(xl_bert_train_ctx *c, const xl_bert_params *p, xl_bert_grads *g, const float *d_sent,
                          float *d_last)
{
    const xl_bert_config *cfg = &p->cfg;
    xl_bert_train_acts *a = &c->a;
    const size_t B = a->n_seq, H = cfg->hidden, D = a->D;
    float *dcur = c->d_pool_a, *dnext = c->d_pool_b;
    const float *x_last = cfg->n_dense ? a->dense_out[cfg->n_dense - 1] : a->pooled;
    if (a->normalize) {
        l2_job lj = {a, d_sent, dcur};
        par_items(c, B, (double)B * (double)D, l2_backward_rows, &lj);
    } else {
        memcpy(dcur, d_sent, B * D * sizeof(float));
    }
    (void)x_last;
    for (size_t ii = cfg->n_dense; ii-- > 0;) {
        const size_t in_w = cfg->dense_in[ii], out_w = cfg->dense_out[ii];
        if (cfg->dense_act[ii] == XL_ACT_TANH) xl_tanh_backward(a->dense_out[ii], dcur, dcur, B * out_w);
        const float *xin = ii ? a->dense_out[ii - 1] : a->pooled;
        float *dW = g->data + p->off.dense_w[ii];
        float *db = p->off.dense_b[ii] != SIZE_MAX ? g->data + p->off.dense_b[ii] : NULL;
        xl_linear_backward(c->k, c->n_threads, B, in_w, out_w, xin, p->view.dense_w[ii], &p->packed_dx[4 * cfg->n_layers + ii],
                           dcur, dnext, 0.0f, dW, db);
        float *t = dcur;
        dcur = dnext;
        dnext = t;
    }
    pool_job j = {a, c->in, NULL, dcur, d_last, a->pooling, a->normalize, H, D};
    par_items(c, B, (double)a->T * (double)H, pool_backward_seqs, &j);
}

int xl_bert_train_backward(xl_bert_train_ctx *c, const xl_bert_params *p, xl_bert_grads *g, const float *d_sent,
                           const float *d_hidden, xl_error *err)
{
    const xl_bert_config *cfg = &p->cfg;
    const xl_bert *b = &p->view;
    xl_bert_train_acts *a = &c->a;
    xl_kernels *k = c->k;
    const int nt = c->n_threads;
    const xl_bert_input *in = c->in;
    if (in == NULL) return xl_fail(err, XL_ERR_USAGE, "backward: no training forward pass before it");
    if (d_sent == NULL && d_hidden == NULL) return xl_fail(err, XL_ERR_USAGE, "backward: no gradient given");
    if (d_sent != NULL && !a->pooled_valid) return xl_fail(err, XL_ERR_USAGE, "backward: d_sent without a pooling pass");
    if (g->count != p->count) return xl_fail(err, XL_ERR_USAGE, "backward: gradient buffer of another layout");
    const size_t T = a->T, H = cfg->hidden, I = cfg->intermediate, nh = cfg->n_heads, dh = H / nh;
    const float eps = cfg->layer_norm_eps, scale = 1.0f / sqrtf((float)dh);
    const xl_bert_dropout drop = c->drop;
    float *dout = c->d_x; /* d loss / d out[l] [T, H] */
    prof_lap t = lap_start(c->prof);
    if (d_hidden != NULL) memcpy(dout, d_hidden, T * H * sizeof(float));
    else memset(dout, 0, T * H * sizeof(float));
    if (d_sent != NULL) pool_backward(c, p, g, d_sent, dout);
    lap(&t, XL_BWD_POOL);
    float *G = g->data;
    for (size_t l = cfg->n_layers; l-- > 0;) {
        const xl_bert_layer *L = &b->layers[l];
        const xl_bert_layer_offsets *o = &p->off.layers[l];
        const float *x = l ? a->out[l - 1] : a->x0;
        float *dres = c->d_tmp, *dffn = c->d_ffn, *dctx = c->d_ctx, *dqkv = c->d_qkv;
        /* out = LN(res2): d_res2 */
        xl_layernorm_backward(k, nt, a->res2[l], L->ln2_g, eps, T, H, dout, dres, G + o->ln2_g, G + o->ln2_b,
                              c->d_stats);
        lap(&t, XL_BWD_LAYERNORM);
        /* res2 = dropout(F) + ln1:  d_ln1 = d_res2 (kept in dout), dF = dropout_backward(d_res2) */
        ew_run(k, nt, EW_COPY, dout, dres, NULL, 0.0f, T * H);
        ew_run(k, nt, EW_DROPOUT_BWD, dres, dres, a->mask_res2[l], drop.hidden, T * H);
        lap(&t, XL_BWD_ELEMWISE);
        /* F = ffn_h W_2^T + b_2 */
        const xl_packed_matrix *Wp = p->packed_dx + 4 * l; /* qkv, attn_out, ffn_in, ffn_out as op(B) = W */
        linear_backward(k, nt, &t, T, I, H, a->ffn_h[l], &Wp[3], dres, dffn, 0.0f, G + o->ffn_out_w, G + o->ffn_out_b);
        /* ffn_h = GELU(ffn_pre) */
        xl_gelu_backward(k, nt, a->ffn_pre[l], a->ffn_h[l], dffn, dffn, T * I);
        lap(&t, XL_BWD_GELU);
        /* ffn_pre = ln1 W_1^T + b_1: d_ln1 += d_pre W_1 */
        linear_backward(k, nt, &t, T, H, I, a->ln1[l], &Wp[2], dffn, dout, 1.0f, G + o->ffn_in_w, G + o->ffn_in_b);
        /* ln1 = LN(res1) */
        xl_layernorm_backward(k, nt, a->res1[l], L->ln1_g, eps, T, H, dout, dres, G + o->ln1_g, G + o->ln1_b,
                              c->d_stats);
        lap(&t, XL_BWD_LAYERNORM);
        /* res1 = dropout(proj) + x: d_x = d_res1 (into dout), d_proj = dropout_backward(d_res1) */
        ew_run(k, nt, EW_COPY, dout, dres, NULL, 0.0f, T * H);
        ew_run(k, nt, EW_DROPOUT_BWD, dres, dres, a->mask_res1[l], drop.hidden, T * H);
        lap(&t, XL_BWD_ELEMWISE);
        /* proj = ctx W_o^T + b_o */
        linear_backward(k, nt, &t, T, H, H, a->ctx[l], &Wp[1], dres, dctx, 0.0f, G + o->attn_out_w, G + o->attn_out_b);
        /* attention, per sequence (heads batched), sequences split over the threads */
        seq_att_job j = {.k = k, .a = a, .l = l, .H = H, .nh = nh, .dh = dh, .scale = scale,
                         .p_att = drop.attention, .dctx = dctx, .out = dqkv, .scratch = c->d_att};
        run_seqs(k, nt, a->n_seq, 8.0 * (double)a->A * (double)dh, seq_att_backward, &j);
        lap(&t, XL_BWD_ATTENTION);
        /* qkv = x W_qkv^T + b_qkv: d_x += d_qkv W_qkv */
        linear_backward(k, nt, &t, T, H, 3 * H, x, &Wp[0], dqkv, dout, 1.0f, G + o->qkv_w, G + o->qkv_b);
    }
    /* x0 = dropout(LN(emb)) */
    ew_run(k, nt, EW_DROPOUT_BWD, dout, dout, a->mask_emb, drop.hidden, T * H);
    float *demb = c->d_tmp;
    xl_layernorm_backward(k, nt, a->emb, b->emb_ln_g, eps, T, H, dout, demb, G + p->off.emb_ln_g, G + p->off.emb_ln_b,
                          c->d_stats);
    /* scatter-add into the embedding tables, token by token in batch order (deterministic): the
     * columns are split over the threads, each thread adds every token's share of its columns in
     * the same token order, so every element sums the same terms in the same order as one thread */
    for (size_t s = 0; s < a->n_seq; s++)
        for (size_t q = 0; q < a->len[s]; q++) xl_bert_grads_touch_word(g, (uint32_t)in->ids[s][q]);
    scatter_job sj = {a, in, demb, G + p->off.word_emb, G + p->off.pos_emb,
                      p->off.type_emb != SIZE_MAX ? G + p->off.type_emb : NULL, H};
    par_items(c, (H + SCATTER_COLS - 1) / SCATTER_COLS, (double)T * (double)H, scatter_cols, &sj);
    lap(&t, XL_BWD_EMBED);
    return 0;
}

double xl_bert_train_flops(const xl_bert_config *cfg, const size_t *len, size_t n_seq)
{
    return 3.0 * xl_bert_flops(cfg, len, n_seq);
}
