/* train.c - the training loop of `xlrec train-encoder` (train.h). */
#include "train.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bert_train.h"
#include "train_ckpt.h"
#include "train_data.h"
#include "train_loss.h"
#include "wordpiece.h"
#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_model.h"
#include "xl_model_tokenizer.h"
#include "xl_parse.h"
#include "xl_platform.h"
#include "xl_rng.h"
#include "xl_thread.h"

/* Checkpoint counters (train_ckpt.h: the meaning is ours). */
enum {
    CK_STEP = 0,
    CK_PAIRS_EPOCH,
    CK_PAIRS_CURSOR,
    CK_MONO_EPOCH,
    CK_MONO_CURSOR,
    CK_RNG_STATE,
    CK_RNG_INC,
    CK_TOKENS,
};

void xl_train_opts_default(xl_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->eval_max = 1000;
    o->eval_every = 100;
    o->w_rank = 1.0;
    o->margin = XL_RANK_DEFAULT_MARGIN;
    o->scale = XL_RANK_DEFAULT_SCALE;
    o->pooling = XL_POOL_MEAN;
    o->dropout = 0.1;
    o->batch = 32;
    o->accum = 1;
    o->max_len = 128;
    o->lr = 1e-4;
    o->warmup = 0;
    o->steps = 0;
    o->epochs = 1.0;
    o->schedule = XL_SCHED_LINEAR;
    xl_adamw_hparams_default(&o->adamw);
    o->clip = 1.0;
    o->threads = 1;
    o->simd = XL_SIMD_AUTO;
    o->seed = 1;
    /* --config defaults: BERT-base sizes (Devlin et al. 2019) */
    o->cfg.arch = XL_ARCH_BERT;
    o->cfg.hidden = 768;
    o->cfg.n_layers = 12;
    o->cfg.n_heads = 12;
    o->cfg.intermediate = 3072;
    o->cfg.max_position = 512;
    o->cfg.type_vocab_size = 2;
    o->cfg.layer_norm_eps = 1e-12f;
}

int xl_train_parse_objectives(const char *s, double *w_rank, double *w_mlm, double *w_tlm, xl_error *err)
{
    *w_rank = *w_mlm = *w_tlm = 0.0;
    bool seen[3] = {false, false, false};
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', n);
        size_t name_len = colon ? (size_t)(colon - p) : n;
        double w = 1.0;
        if (colon != NULL &&
            (xl_parse_double(colon + 1, n - name_len - 1, false, &w, err) < 0 || w < 0.0))
            return xl_fail(err, XL_ERR_USAGE, "--objective: bad weight in '%.*s' (a number >= 0)", (int)n, p);
        int which = -1;
        if (name_len == 4 && memcmp(p, "rank", 4) == 0) which = 0;
        else if (name_len == 3 && memcmp(p, "mlm", 3) == 0) which = 1;
        else if (name_len == 3 && memcmp(p, "tlm", 3) == 0) which = 2;
        if (which < 0)
            return xl_fail(err, XL_ERR_USAGE, "--objective: unknown objective '%.*s' (rank, mlm, tlm)", (int)name_len,
                           p);
        if (seen[which]) return xl_fail(err, XL_ERR_USAGE, "--objective: '%.*s' given twice", (int)name_len, p);
        seen[which] = true;
        *(which == 0 ? w_rank : which == 1 ? w_mlm : w_tlm) = w;
        p += n;
        if (*p == ',') p++;
    }
    if (*w_rank + *w_mlm + *w_tlm <= 0.0)
        return xl_fail(err, XL_ERR_USAGE, "--objective: no objective with a positive weight");
    return 0;
}

int xl_train_parse_config(const char *s, xl_bert_config *cfg, xl_error *err)
{
    static const char *const keys[] = {"layers", "hidden", "heads", "ffn", "max-position", "type-vocab"};
    size_t *targets[] = {&cfg->n_layers, &cfg->hidden, &cfg->n_heads, &cfg->intermediate, &cfg->max_position,
                         &cfg->type_vocab_size};
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (eq == NULL) return xl_fail(err, XL_ERR_USAGE, "--config: expected key=value, got '%.*s'", (int)n, p);
        size_t kl = (size_t)(eq - p);
        size_t which = sizeof keys / sizeof *keys;
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            if (strlen(keys[i]) == kl && memcmp(keys[i], p, kl) == 0) which = i;
        if (which == sizeof keys / sizeof *keys)
            return xl_fail(err, XL_ERR_USAGE,
                           "--config: unknown key '%.*s' (layers, hidden, heads, ffn, max-position, type-vocab)",
                           (int)kl, p);
        int64_t v;
        if (xl_parse_i64_range(eq + 1, n - kl - 1, 1, 1 << 20, &v, err) < 0)
            return xl_error_prefix(err, "--config: %.*s", (int)kl, p);
        *targets[which] = (size_t)v;
        p += n;
        if (*p == ',') p++;
    }
    if (cfg->hidden % cfg->n_heads != 0)
        return xl_fail(err, XL_ERR_USAGE, "--config: hidden %zu is not a multiple of heads %zu", cfg->hidden,
                       cfg->n_heads);
    return 0;
}

/* ---- a batch of sequences, stored flat -------------------------------------------------------- */

typedef struct {
    int32_t *ids, *types, *labels; /* [n_tok] */
    size_t n_tok, cap_tok;
    size_t *start, *len;           /* [n_seq] */
    const int32_t **pid, **ptype;  /* [n_seq] filled by batch_input */
    size_t n_seq, cap_seq;
} seq_batch;

static void batch_clear(seq_batch *b)
{
    b->n_tok = 0;
    b->n_seq = 0;
}

static void batch_free(seq_batch *b)
{
    free(b->ids);
    free(b->types);
    free(b->labels);
    free(b->start);
    free(b->len);
    free(b->pid);
    free(b->ptype);
    memset(b, 0, sizeof *b);
}

static int batch_add(seq_batch *b, const xl_wordpiece_encoding *e, xl_error *err)
{
    size_t need;
    if (!xl_add_size(b->n_tok, e->len, &need)) return xl_fail(err, XL_ERR_NOMEM, "batch too large");
    if (need > b->cap_tok) {
        size_t cap = b->cap_tok;
        int32_t *p = xl_array_reserve(b->ids, &cap, need, 1024, err);
        if (p == NULL) return -1;
        b->ids = p;
        size_t cap2 = b->cap_tok;
        if ((p = xl_array_reserve(b->types, &cap2, need, 1024, err)) == NULL) return -1;
        b->types = p;
        size_t cap3 = b->cap_tok;
        if ((p = xl_array_reserve(b->labels, &cap3, need, 1024, err)) == NULL) return -1;
        b->labels = p;
        b->cap_tok = cap;
    }
    if (b->n_seq + 1 > b->cap_seq) {
        size_t c1 = b->cap_seq, c2 = b->cap_seq, c3 = b->cap_seq, c4 = b->cap_seq;
        size_t *s = xl_array_reserve(b->start, &c1, b->n_seq + 1, 64, err);
        if (s == NULL) return -1;
        b->start = s;
        if ((s = xl_array_reserve(b->len, &c2, b->n_seq + 1, 64, err)) == NULL) return -1;
        b->len = s;
        const int32_t **q = xl_array_reserve(b->pid, &c3, b->n_seq + 1, 64, err);
        if (q == NULL) return -1;
        b->pid = q;
        if ((q = xl_array_reserve(b->ptype, &c4, b->n_seq + 1, 64, err)) == NULL) return -1;
        b->ptype = q;
        b->cap_seq = c1;
    }
    memcpy(b->ids + b->n_tok, e->ids, e->len * sizeof *b->ids);
    memcpy(b->types + b->n_tok, e->type_ids, e->len * sizeof *b->types);
    for (size_t i = 0; i < e->len; i++) b->labels[b->n_tok + i] = -1;
    b->start[b->n_seq] = b->n_tok;
    b->len[b->n_seq] = e->len;
    b->n_tok += e->len;
    b->n_seq++;
    return 0;
}

/* Append sequence i of `src` (ids, types and labels) to `dst`. */
static int batch_copy_seq(seq_batch *dst, const seq_batch *src, size_t i, xl_error *err)
{
    xl_wordpiece_encoding e;
    memset(&e, 0, sizeof e);
    e.len = src->len[i];
    e.ids = src->ids + src->start[i];
    e.type_ids = src->types + src->start[i];
    if (batch_add(dst, &e, err) < 0) return -1;
    memcpy(dst->labels + dst->start[dst->n_seq - 1], src->labels + src->start[i], e.len * sizeof *dst->labels);
    return 0;
}

static xl_bert_input batch_input(seq_batch *b)
{
    for (size_t s = 0; s < b->n_seq; s++) {
        b->pid[s] = b->ids + b->start[s];
        b->ptype[s] = b->types + b->start[s];
    }
    xl_bert_input in = {b->n_seq, b->pid, b->ptype, NULL, b->len};
    return in;
}

/* ---- the trainer ------------------------------------------------------------------------------ */

typedef struct {
    const xl_train_opts *o;
    xl_kernels k;
    bool k_ok;
    xl_model *init;
    xl_wordpiece *wp;
    xl_bert_params p;
    bool p_ok;
    xl_bert_grads g;
    bool g_ok;
    xl_bert_train_ctx ctx;
    bool ctx_ok;
    float *adam_m, *adam_v;      /* [p.count] */
    float *mlm_b, *mlm_gb, *mlm_m, *mlm_v; /* [V] tied decoder output bias, its gradient and moments */
    size_t V, H;
    xl_corpus pairs, mono;
    bool pairs_ok, mono_ok;
    xl_rng rng;                  /* masking (the same stream on every rank) */
    xl_rng drop_rng;             /* dropout: re-seeded every step from (seed, step, rank) */
    int rank, size;              /* data-parallel position (0, 1 without a comm) */
    size_t lo, hi;               /* this rank's examples [lo, hi) of each global batch */
    seq_batch stage, stage_tgt;  /* the whole global batch, read and masked by every rank */
    float *gather;               /* [2, batch, D] all-gathered sentence embeddings */
    size_t cap_gather;
    uint64_t step, tokens;
    seq_batch batch;
    xl_wordpiece_encoding enc;
    xl_mlm_masking masking;
    int32_t special[5];
    size_t n_special;
    xl_mlm_head_ws head;
    float *hsel, *dhsel, *dhidden, *dsent;
    size_t cap_hsel, cap_dhsel, cap_dhidden, cap_dsent;
    char *config;                /* checkpoint configuration text */
    /* held-out pairs, tokenised once */
    seq_batch eval_src, eval_tgt;
    size_t n_eval;
    xl_bert_acts eval_acts;
    float *eval_emb;
    const char *ckpt_path;
    char *ckpt_path_owned;
} trainer;

static int grow_floats(float **p, size_t *cap, size_t need, xl_error *err)
{
    if (need <= *cap) return 0;
    float *q = xl_realloc(*p, need, sizeof(float), err);
    if (q == NULL) return -1;
    *p = q;
    *cap = need;
    return 0;
}

static int encode_one(trainer *t, const char *a, size_t al, const char *b, size_t bl, xl_error *err)
{
    xl_wordpiece_encode_options eo;
    xl_wordpiece_encode_options_default(&eo);
    eo.max_length = t->o->max_len;
    return xl_wordpiece_encode(t->wp, a, al, b, bl, &eo, &t->enc, err);
}

static int mlm_head_backward(trainer *t, const seq_batch *bt, const float *h, size_t m, double weight, double *ce_sum,
                             xl_error *err);

/* --batch-order grouped: a micro-batch must start at a block boundary of its corpus (one block =
 * one micro-batch; train.h).  Always true by construction (n_order is a multiple of the batch and
 * every reader takes `batch` records); checked so that a future reader cannot break it silently. */
static bool block_misaligned(const xl_corpus *c, xl_error *err)
{
    if (c->block == 0 || c->cursor % c->block == 0) return false;
    xl_fail(err, XL_ERR_GENERIC, "%s: internal error: a micro-batch starts inside block %zu (cursor %zu)", c->path,
            c->cursor / c->block, c->cursor);
    return true;
}

/* rank: the global batch of B pairs is read by every rank; this rank encodes its examples
 * [lo, hi) as one forward batch (sources, then targets), and the loss is computed over the
 * all-gathered global [B, D] embeddings (every rank the same value). */
static int run_rank(trainer *t, double weight, double *loss, xl_error *err)
{
    const xl_train_opts *o = t->o;
    const size_t B = o->batch, b = t->hi - t->lo;
    seq_batch *src = &t->stage, *tgt = &t->stage_tgt, *bt = &t->batch;
    batch_clear(src);
    batch_clear(tgt);
    batch_clear(bt);
    xl_corpus_record rec;
    if (block_misaligned(&t->pairs, err)) return -1;
    for (size_t i = 0; i < B; i++) {
        if (xl_corpus_next(&t->pairs, &rec, err) < 0) return -1;
        if (i < t->lo || i >= t->hi) continue; /* another rank's example */
        if (encode_one(t, rec.text[0], rec.text_len[0], NULL, 0, err) < 0 || batch_add(src, &t->enc, err) < 0 ||
            encode_one(t, rec.text[1], rec.text_len[1], NULL, 0, err) < 0 || batch_add(tgt, &t->enc, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < b; i++)
        if (batch_copy_seq(bt, src, i, err) < 0) return -1;
    for (size_t i = 0; i < b; i++)
        if (batch_copy_seq(bt, tgt, i, err) < 0) return -1;
    xl_bert_input in = batch_input(bt);
    xl_bert_dropout drop = {(float)o->dropout, (float)o->dropout};
    if (xl_bert_train_forward(&t->ctx, &t->p, &in, drop, &t->drop_rng, err) == NULL) return -1;
    const float *sent = xl_bert_train_pool(&t->ctx, &t->p, XL_POOL_DEFAULT, true, err); /* [2b, D] */
    if (sent == NULL) return -1;
    const size_t D = xl_bert_train_output_dim(&t->p);
    if (grow_floats(&t->dsent, &t->cap_dsent, 2 * B * D, err) < 0) return -1;
    const float *gsrc = sent, *gtgt = sent + b * D; /* one process: the local batch is the global one */
    if (t->size > 1) {
        if (grow_floats(&t->gather, &t->cap_gather, 2 * B * D, err) < 0) return -1;
        if (o->comm->allgather_f32(o->comm->ctx, sent, b * D, t->gather) < 0 ||
            o->comm->allgather_f32(o->comm->ctx, sent + b * D, b * D, t->gather + B * D) < 0)
            return xl_fail(err, XL_ERR_IO, "all-gather of the sentence embeddings failed");
        gsrc = t->gather;
        gtgt = t->gather + B * D;
    }
    xl_rank_result r;
    float *d_src = t->dsent, *d_tgt = t->dsent + B * D; /* [B, D] each, global */
    if (xl_rank_loss(&t->k, o->threads, gsrc, gtgt, B, D, o->margin, o->scale, d_src, d_tgt, &r, err) < 0) return -1;
    /* this rank's rows, times the objective weight: d_sent [2b, D] = (d_src[lo..hi), d_tgt[lo..hi)) */
    float *d_local = t->size > 1 ? t->gather : t->dsent;
    for (size_t i = 0; i < b * D; i++) {
        float ds = d_src[t->lo * D + i], dt = d_tgt[t->lo * D + i];
        d_local[i] = (float)(weight * ds);
        d_local[b * D + i] = (float)(weight * dt);
    }
    if (xl_bert_train_backward(&t->ctx, &t->p, &t->g, d_local, NULL, err) < 0) return -1;
    *loss = r.loss;
    t->tokens += bt->n_tok;
    return 0;
}

/* mlm (tlm = pairs as [CLS] a [SEP] b [SEP]): mask, forward, tied head on the selected rows, backward. */
static int run_mlm(trainer *t, bool tlm, double weight, double *loss, xl_error *err)
{
    const xl_train_opts *o = t->o;
    const size_t B = o->batch;
    seq_batch *all = &t->stage, *bt = &t->batch;
    batch_clear(all);
    batch_clear(bt);
    xl_corpus *src = tlm ? &t->pairs : t->mono_ok ? &t->mono : &t->pairs;
    xl_corpus_record rec;
    if (block_misaligned(src, err)) return -1;
    for (size_t i = 0; i < B; i++) {
        if (xl_corpus_next(src, &rec, err) < 0) return -1;
        int e;
        if (tlm) e = encode_one(t, rec.text[0], rec.text_len[0], rec.text[1], rec.text_len[1], err);
        else {
            size_t side = rec.n_sides == 2 ? i % 2 : 0;
            e = encode_one(t, rec.text[side], rec.text_len[side], NULL, 0, err);
        }
        if (e < 0 || batch_add(all, &t->enc, err) < 0) return -1;
    }
    /* BERT masking of the whole global batch, sequence by sequence (identical on every rank) */
    size_t m_global = 0, m = 0;
    for (size_t s = 0; s < all->n_seq; s++) {
        size_t k =
            xl_mlm_mask(&t->masking, &t->rng, all->ids + all->start[s], all->len[s], all->labels + all->start[s]);
        m_global += k;
        if (s >= t->lo && s < t->hi) m += k;
    }
    for (size_t s = t->lo; s < t->hi; s++)
        if (batch_copy_seq(bt, all, s, err) < 0) return -1;
    xl_bert_input in = batch_input(bt);
    xl_bert_dropout drop = {(float)o->dropout, (float)o->dropout};
    const float *h = xl_bert_train_forward(&t->ctx, &t->p, &in, drop, &t->drop_rng, err);
    if (h == NULL) return -1;
    t->tokens += bt->n_tok;
    *loss = 0.0;
    double ce_sum = 0.0; /* this rank's sum of CE over its selected positions */
    if (m > 0) {
        if (mlm_head_backward(t, bt, h, m, weight * (double)m / (double)m_global, &ce_sum, err) < 0) return -1;
    }
    if (t->size > 1 && o->comm->allreduce_sum_f64(o->comm->ctx, &ce_sum, 1) < 0)
        return xl_fail(err, XL_ERR_IO, "all-reduce of the MLM loss failed");
    *loss = m_global > 0 ? ce_sum / (double)m_global : 0.0;
    return 0;
}

/* The tied head over the m selected rows of the last forward (labels in bt), loss weight `weight`
 * (mean over these m rows times weight), then the encoder's backward.  *ce_sum = sum of the CEs. */
static int mlm_head_backward(trainer *t, const seq_batch *bt, const float *h, size_t m, double weight, double *ce_sum,
                             xl_error *err)
{
    const xl_train_opts *o = t->o;
    const size_t H = t->H;
    if (grow_floats(&t->hsel, &t->cap_hsel, m * H, err) < 0 || grow_floats(&t->dhsel, &t->cap_dhsel, m * H, err) < 0)
        return -1;
    /* gather the selected rows: h_sel [m, H], their labels and their rows in the packed batch */
    int32_t *lab = xl_malloc(m * sizeof *lab, err);
    size_t *row = xl_malloc(m * sizeof *row, err);
    int rc = -1;
    if (lab == NULL || row == NULL) goto done;
    size_t q = 0;
    for (size_t s = 0; s < bt->n_seq; s++)
        for (size_t i = 0; i < bt->len[s]; i++) {
            int32_t l = bt->labels[bt->start[s] + i];
            if (l < 0) continue;
            row[q] = t->ctx.a.off[s] + i;
            lab[q] = l;
            memcpy(t->hsel + q * H, h + row[q] * H, H * sizeof(float));
            q++;
        }
    xl_mlm_result r;
    float *dw = t->g.data + t->p.off.word_emb;
    if (xl_mlm_head_loss(&t->k, o->threads, t->hsel, lab, m, t->p.data + t->p.off.word_emb, t->mlm_b, t->V, H, weight,
                         t->dhsel, dw, t->mlm_gb, &t->head, &r, err) < 0)
        goto done;
    xl_bert_grads_touch_all_words(&t->g); /* the tied decoder's gradient is dense over the vocabulary */
    const size_t T = t->ctx.a.T;
    if (grow_floats(&t->dhidden, &t->cap_dhidden, T * H, err) < 0) goto done;
    memset(t->dhidden, 0, T * H * sizeof(float));
    for (size_t i = 0; i < m; i++) memcpy(t->dhidden + row[i] * H, t->dhsel + i * H, H * sizeof(float));
    if (xl_bert_train_backward(&t->ctx, &t->p, &t->g, NULL, t->dhidden, err) < 0) goto done;
    *ce_sum = r.mean_ce * (double)m;
    rc = 0;
done:
    free(lab);
    free(row);
    return rc;
}

/* Sum of squares of the encoder's gradient in buffer order, and its scaling: the same numbers as
 * xl_grad_sumsq / xl_grad_scale over the whole buffer, without sweeping the word-embedding rows that
 * have no gradient this step (6.1M floats of a 24k x 256 table for the ~2,000 rows a batch
 * touches).  Such rows are exactly 0 (xl_bert_grads_zero clears what was touched), adding +0 to the
 * non-negative double sum leaves it unchanged and 0 * f = 0; the touched rows are visited in
 * ascending row order, i.e. in buffer order, so the single accumulator sees the same non-zero terms
 * in the same order: bit-identical. */
static double grads_sumsq(const trainer *t)
{
    const xl_bert_grads *g = &t->g;
    if (g->word_all) return xl_grad_sumsq(g->data, g->count);
    const size_t H = g->hidden, w0 = t->p.off.word_emb, w1 = w0 + g->vocab * H;
    double s = 0.0;
    for (size_t i = 0; i < w0; i++) s += (double)g->data[i] * (double)g->data[i];
    for (size_t v = 0; v < g->vocab; v++) {
        if (!g->word_touched[v]) continue;
        const float *r = g->data + w0 + v * H;
        for (size_t j = 0; j < H; j++) s += (double)r[j] * (double)r[j];
    }
    for (size_t i = w1; i < g->count; i++) s += (double)g->data[i] * (double)g->data[i];
    return s;
}

static void grads_scale(trainer *t, float f)
{
    xl_bert_grads *g = &t->g;
    if (g->word_all) {
        xl_grad_scale(g->data, g->count, f);
        return;
    }
    const size_t H = g->hidden, w0 = t->p.off.word_emb, w1 = w0 + g->vocab * H;
    xl_grad_scale(g->data, w0, f);
    for (size_t i = 0; i < g->n_word_rows; i++) xl_grad_scale(g->data + w0 + (size_t)g->word_rows[i] * H, H, f);
    xl_grad_scale(g->data + w1, g->count - w1, f);
}

/* AdamW over every tensor (and the MLM bias) after clipping; returns the pre-clip norm. */
static double optimiser_step(trainer *t, double lr)
{
    const xl_train_opts *o = t->o;
    double sumsq = grads_sumsq(t) + xl_grad_sumsq(t->mlm_gb, t->V);
    double norm = sqrt(sumsq);
    double f = xl_clip_factor(norm, o->clip);
    if (f < 1.0) {
        grads_scale(t, (float)f);
        xl_grad_scale(t->mlm_gb, t->V, (float)f);
    }
    const uint64_t step = t->step + 1;
    /* AdamW on the pool (xl_adamw_update_pool: fixed chunks, lazy rows one item each; the same
     * bits for any thread count) */
    for (size_t i = 0; i < t->p.n_tensors; i++) {
        const xl_bert_param_info *in = &t->p.info[i];
        const bool decay = !in->no_decay;
        float *pp = t->p.data + in->offset, *m = t->adam_m + in->offset, *v = t->adam_v + in->offset;
        const float *g = t->g.data + in->offset;
        if (o->lazy_embeddings && in->offset == t->p.off.word_emb && !t->g.word_all) {
            /* lazy: only rows with a gradient this step move (docs/training.md "Optimiser") */
            xl_adamw_update_rows_pool(t->k.pool, o->threads, &o->adamw, lr, step, decay, pp, g, m, v, t->g.word_rows,
                                      t->g.n_word_rows, t->H);
            continue;
        }
        xl_adamw_update_pool(t->k.pool, o->threads, &o->adamw, lr, step, decay, pp, g, m, v, in->count);
    }
    if (o->w_mlm > 0 || o->w_tlm > 0) /* the decoder bias: no weight decay */
        xl_adamw_update_pool(t->k.pool, o->threads, &o->adamw, lr, step, false, t->mlm_b, t->mlm_gb, t->mlm_m,
                             t->mlm_v, t->V);
    xl_bert_params_refresh(&t->p, &t->k);
    return norm;
}

/* ---- held-out P@1 ----------------------------------------------------------------------------- */

static int eval_load(trainer *t, xl_error *err)
{
    xl_corpus c;
    if (xl_corpus_open(&c, t->o->eval_pairs, XL_CORPUS_PAIRS, 0, 0, err) < 0) return -1;
    size_t n = c.n < t->o->eval_max ? c.n : t->o->eval_max;
    xl_corpus_record rec;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = xl_corpus_read(&c, i, &rec, err);
        if (rc == 0) rc = encode_one(t, rec.text[0], rec.text_len[0], NULL, 0, err);
        if (rc == 0) rc = batch_add(&t->eval_src, &t->enc, err);
        if (rc == 0) rc = encode_one(t, rec.text[1], rec.text_len[1], NULL, 0, err);
        if (rc == 0) rc = batch_add(&t->eval_tgt, &t->enc, err);
    }
    xl_corpus_close(&c);
    t->n_eval = n;
    return rc;
}

static int eval_embed(trainer *t, seq_batch *b, float *out, size_t D, xl_error *err)
{
    enum { EB = 64 };
    batch_input(b);
    for (size_t s0 = 0; s0 < b->n_seq; s0 += EB) {
        size_t n = b->n_seq - s0 < EB ? b->n_seq - s0 : EB;
        xl_bert_input in = {n, b->pid + s0, b->ptype + s0, NULL, b->len + s0};
        if (xl_bert_forward(&t->p.view, &t->k, t->o->threads, &in, &t->eval_acts, err) < 0 ||
            xl_bert_pool(&t->p.view, &t->k, t->o->threads, &in, &t->eval_acts, t->p.cfg.pooling, true, out + s0 * D,
                         err) < 0)
            return -1;
    }
    return 0;
}

/* P@1 both ways over the held-out pairs: the nearest target (cosine) of source i is target i. */
static int eval_p1(trainer *t, double *p_st, double *p_ts, xl_error *err)
{
    const size_t n = t->n_eval, D = xl_bert_output_dim(&t->p.view, t->p.cfg.pooling);
    if (t->eval_emb == NULL) {
        size_t nd;
        if (!xl_mul_size(2 * n, D, &nd)) return xl_fail(err, XL_ERR_NOMEM, "held-out set too large");
        if ((t->eval_emb = xl_malloc(nd * sizeof(float) + 1, err)) == NULL) return -1;
    }
    float *src = t->eval_emb, *tgt = t->eval_emb + n * D;
    if (eval_embed(t, &t->eval_src, src, D, err) < 0 || eval_embed(t, &t->eval_tgt, tgt, D, err) < 0) return -1;
    size_t ok_st = 0, ok_ts = 0;
    for (size_t i = 0; i < n; i++) {
        size_t best_r = 0, best_c = 0;
        double br = -INFINITY, bc = -INFINITY;
        for (size_t j = 0; j < n; j++) {
            double sr = 0, sc = 0;
            for (size_t d = 0; d < D; d++) {
                sr += (double)src[i * D + d] * tgt[j * D + d];
                sc += (double)tgt[i * D + d] * src[j * D + d];
            }
            if (sr > br) br = sr, best_r = j;
            if (sc > bc) bc = sc, best_c = j;
        }
        ok_st += best_r == i;
        ok_ts += best_c == i;
    }
    *p_st = (double)ok_st / (double)n;
    *p_ts = (double)ok_ts / (double)n;
    return 0;
}

/* ---- model output ----------------------------------------------------------------------------- */

static int save_model(trainer *t, const char *path, xl_error *err)
{
    if (t->init != NULL) return xl_bert_params_save(&t->p, t->init, path, err);
    /* --config + --vocab: the vocabulary and tokenizer flags of the loaded WordPiece */
    xl_model_writer *w = xl_model_writer_new(err);
    if (w == NULL) return -1;
    const xl_wordpiece_options *wo = xl_wordpiece_get_options(t->wp);
    int rc = xl_bert_params_to_writer(&t->p, w, err);
    for (size_t i = 0; i < t->V && rc == 0; i++) {
        size_t len;
        const char *tok = xl_wordpiece_id_to_token(t->wp, (int32_t)i, &len);
        char unused[32];
        if (tok == NULL) { /* an id whose token was replaced by a later duplicate */
            len = (size_t)snprintf(unused, sizeof unused, "[unused-dup-%zu]", i);
            tok = unused;
        }
        rc = xl_model_writer_add_token(w, tok, len, err);
    }
    if (rc == 0)
        rc = (xl_model_writer_set_string(w, "tokenizer.type", "wordpiece", err) < 0 ||
              xl_model_writer_set_bool(w, "tokenizer.lowercase", wo->lowercase, err) < 0 ||
              (wo->strip_accents >= 0 && xl_model_writer_set_bool(w, "tokenizer.strip_accents", wo->strip_accents == 1,
                                                                  err) < 0) ||
              xl_model_writer_set_bool(w, "tokenizer.chinese_chars", wo->tokenize_chinese_chars, err) < 0 ||
              xl_model_writer_set_bool(w, "tokenizer.clean_text", wo->clean_text, err) < 0 ||
              xl_model_writer_set_string(w, "tokenizer.subword_prefix", wo->continuing_subword_prefix, err) < 0 ||
              xl_model_writer_set_int(w, "tokenizer.max_chars_per_word", (int64_t)wo->max_input_chars_per_word, err) <
                  0)
                 ? -1
                 : 0;
    if (rc == 0) rc = xl_model_writer_write(w, path, err); /* atomic: the output policy of xl_io.h */
    xl_model_writer_free(w);
    return rc;
}

/* ---- checkpoints ------------------------------------------------------------------------------ */

static uint64_t vocab_hash(const xl_wordpiece *wp)
{
    uint64_t h = XL_FNV1A64_BASIS; /* FNV-1a over every token followed by a 0xff byte */
    size_t n = xl_wordpiece_vocab_size(wp);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *tok = xl_wordpiece_id_to_token(wp, (int32_t)i, &len);
        if (tok) h = xl_fnv1a64_more(h, tok, len);
        h = xl_fnv1a64_more(h, "\xff", 1);
    }
    return h;
}

/* Everything that decides the parameters after each step (not threads, paths or eval settings). */
static int build_config(trainer *t, xl_error *err)
{
    const xl_train_opts *o = t->o;
    const xl_bert_config *c = &t->p.cfg;
    xl_buf b;
    xl_buf_init(&b);
    int rc = xl_buf_printf(
        &b, err,
        "arch=bert\nvocab_size=%zu\nhidden=%zu\nlayers=%zu\nheads=%zu\nintermediate=%zu\nmax_position=%zu\n"
        "type_vocab_size=%zu\npooling=%s\nn_dense=%zu\nparams=%zu\nvocab_fnv=%016" PRIx64 "\n"
        "objective=rank:%.17g,mlm:%.17g,tlm:%.17g\nmargin=%.17g\nscale=%.17g\ndropout=%.17g\n"
        "batch=%zu\naccum=%zu\nmax_len=%zu\nlr=%.17g\nwarmup=%" PRIu64 "\nsteps=%" PRIu64 "\nschedule=%s\n"
        "beta1=%.17g\nbeta2=%.17g\neps=%.17g\nweight_decay=%.17g\nclip=%.17g\nlazy_embeddings=%d\nseed=%" PRIu64 "\n"
        "pairs_lines=%zu\nmono_lines=%zu\n",
        c->vocab_size, c->hidden, c->n_layers, c->n_heads, c->intermediate, c->max_position, c->type_vocab_size,
        xl_pooling_name(c->pooling), c->n_dense, t->p.count, vocab_hash(t->wp), o->w_rank, o->w_mlm, o->w_tlm,
        o->margin, o->scale, o->dropout, o->batch, o->accum, o->max_len, o->lr, o->warmup, o->steps,
        xl_schedule_name(o->schedule), o->adamw.beta1, o->adamw.beta2, o->adamw.eps, o->adamw.weight_decay, o->clip,
        (int)o->lazy_embeddings, o->seed, t->pairs_ok ? t->pairs.n : 0, t->mono_ok ? t->mono.n : 0);
    /* only a grouped run names its order: the default configuration text (and so its checkpoints)
     * stays as it was, and a checkpoint of the other order is refused ("batch_order is ...") */
    if (rc == 0 && o->batch_grouped) rc = xl_buf_printf(&b, err, "batch_order=grouped\n");
    if (rc < 0) {
        xl_buf_free(&b);
        return -1;
    }
    t->config = b.data;
    return 0;
}

static void ckpt_layout(trainer *t, xl_ckpt *ck)
{
    memset(ck, 0, sizeof *ck);
    ck->config = t->config;
    ck->n_blocks = 6;
    ck->blocks[0] = (xl_ckpt_block){"params", t->p.data, t->p.count};
    ck->blocks[1] = (xl_ckpt_block){"adamw.m", t->adam_m, t->p.count};
    ck->blocks[2] = (xl_ckpt_block){"adamw.v", t->adam_v, t->p.count};
    ck->blocks[3] = (xl_ckpt_block){"mlm.bias", t->mlm_b, t->V};
    ck->blocks[4] = (xl_ckpt_block){"mlm.bias.adamw.m", t->mlm_m, t->V};
    ck->blocks[5] = (xl_ckpt_block){"mlm.bias.adamw.v", t->mlm_v, t->V};
}

static int save_checkpoint(trainer *t, xl_error *err)
{
    xl_ckpt ck;
    ckpt_layout(t, &ck);
    ck.counters[CK_STEP] = t->step;
    ck.counters[CK_PAIRS_EPOCH] = t->pairs_ok ? t->pairs.epoch : 0;
    ck.counters[CK_PAIRS_CURSOR] = t->pairs_ok ? t->pairs.cursor : 0;
    ck.counters[CK_MONO_EPOCH] = t->mono_ok ? t->mono.epoch : 0;
    ck.counters[CK_MONO_CURSOR] = t->mono_ok ? t->mono.cursor : 0;
    ck.counters[CK_RNG_STATE] = t->rng.state;
    ck.counters[CK_RNG_INC] = t->rng.inc;
    ck.counters[CK_TOKENS] = t->tokens;
    return xl_ckpt_write(t->ckpt_path, &ck, err);
}

static int load_checkpoint(trainer *t, const char *path, xl_error *err)
{
    xl_ckpt ck;
    ckpt_layout(t, &ck);
    if (xl_ckpt_read(path, &ck, err) < 0) return -1;
    if (ck.counters[CK_STEP] > t->o->steps)
        return xl_fail(err, XL_ERR_FORMAT, "%s: checkpoint at step %" PRIu64 " is past --steps %" PRIu64, path,
                       ck.counters[CK_STEP], t->o->steps);
    if ((ck.counters[CK_RNG_INC] & 1u) == 0) return xl_fail(err, XL_ERR_FORMAT, "%s: bad RNG state", path);
    t->step = ck.counters[CK_STEP];
    t->rng.state = ck.counters[CK_RNG_STATE];
    t->rng.inc = ck.counters[CK_RNG_INC];
    t->tokens = ck.counters[CK_TOKENS];
    if (t->pairs_ok &&
        xl_corpus_seek(&t->pairs, ck.counters[CK_PAIRS_EPOCH], (size_t)ck.counters[CK_PAIRS_CURSOR], err) < 0)
        return xl_error_prefix(err, "%s", path);
    if (t->mono_ok &&
        xl_corpus_seek(&t->mono, ck.counters[CK_MONO_EPOCH], (size_t)ck.counters[CK_MONO_CURSOR], err) < 0)
        return xl_error_prefix(err, "%s", path);
    xl_bert_params_refresh(&t->p, &t->k);
    return 0;
}

/* ---- setup and the loop ------------------------------------------------------------------------ */

static int check_not_input(const xl_train_opts *o, const char *out, const char *what, bool is_ckpt, xl_error *err)
{
    const char *inputs[] = {o->pairs, o->mono, o->eval_pairs, o->init_model, o->vocab, o->resume};
    const char *names[] = {"--pairs", "--mono", "--eval-pairs", "--init", "--vocab", "--resume"};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        if (inputs[i] == NULL) continue;
        if (i == 5 && is_ckpt) continue; /* a checkpoint may replace the one it resumed from */
        if (xl_same_file(out, inputs[i]))
            return xl_fail(err, XL_ERR_USAGE, "%s: %s is the input file of %s: refusing to overwrite it", out, what,
                           names[i]);
    }
    return 0;
}

static void trainer_free(trainer *t)
{
    batch_free(&t->batch);
    batch_free(&t->stage);
    batch_free(&t->stage_tgt);
    free(t->gather);
    batch_free(&t->eval_src);
    batch_free(&t->eval_tgt);
    xl_wordpiece_encoding_free(&t->enc);
    xl_mlm_head_free(&t->head);
    xl_bert_acts_free(&t->eval_acts);
    free(t->eval_emb);
    free(t->hsel);
    free(t->dhsel);
    free(t->dhidden);
    free(t->dsent);
    free(t->adam_m);
    free(t->adam_v);
    free(t->mlm_b);
    free(t->mlm_gb);
    free(t->mlm_m);
    free(t->mlm_v);
    free(t->config);
    free(t->ckpt_path_owned);
    if (t->pairs_ok) xl_corpus_close(&t->pairs);
    if (t->mono_ok) xl_corpus_close(&t->mono);
    if (t->ctx_ok) xl_bert_train_ctx_free(&t->ctx);
    if (t->g_ok) xl_bert_grads_free(&t->g);
    if (t->p_ok) xl_bert_params_free(&t->p);
    xl_wordpiece_free(t->wp);
    xl_model_close(t->init);
    if (t->k_ok) xl_kernels_free(&t->k);
}

static int setup(trainer *t, xl_train_opts *o, xl_error *err)
{
    if (o->w_rank > 0 || o->w_tlm > 0) {
        if (o->pairs == NULL) return xl_fail(err, XL_ERR_USAGE, "the rank and tlm objectives need --pairs FILE");
    }
    if (o->w_mlm > 0 && o->pairs == NULL && o->mono == NULL)
        return xl_fail(err, XL_ERR_USAGE, "the mlm objective needs --mono FILE (or --pairs FILE)");
    if (o->out == NULL) return xl_fail(err, XL_ERR_USAGE, "missing -o MODEL");
    if (o->checkpoint == NULL) {
        size_t n = strlen(o->out) + 6;
        if ((t->ckpt_path_owned = xl_malloc(n, err)) == NULL) return -1;
        snprintf(t->ckpt_path_owned, n, "%s.ckpt", o->out);
        t->ckpt_path = t->ckpt_path_owned;
    } else {
        t->ckpt_path = o->checkpoint;
    }
    if (check_not_input(o, o->out, "the output model", false, err) < 0 ||
        check_not_input(o, t->ckpt_path, "the checkpoint", true, err) < 0)
        return -1;
    if (strcmp(o->out, t->ckpt_path) == 0 || xl_same_file(o->out, t->ckpt_path))
        return xl_fail(err, XL_ERR_USAGE, "%s: the output model and the checkpoint must be different files", o->out);
    t->rank = o->comm ? o->comm->rank : 0;
    t->size = o->comm ? o->comm->size : 1;
    if (t->size < 1 || t->rank < 0 || t->rank >= t->size || o->batch % (size_t)t->size != 0)
        return xl_fail(err, XL_ERR_USAGE, "--batch %zu must be a multiple of the %d processes", o->batch, t->size);
    t->lo = o->batch / (size_t)t->size * (size_t)t->rank;
    t->hi = t->lo + o->batch / (size_t)t->size;
    if (xl_kernels_init(&t->k, o->simd, o->threads, err) < 0) return -1;
    t->k_ok = true;
    /* model and tokenizer */
    if (o->init_model != NULL) {
        if (xl_model_open(&t->init, o->init_model, err) < 0) return -1;
        if ((t->wp = xl_model_tokenizer(t->init, err)) == NULL) return -1;
        if (xl_bert_params_init_model(&t->p, t->init, &t->k, err) < 0) return -1;
    } else {
        if (o->vocab == NULL) return xl_fail(err, XL_ERR_USAGE, "give --init MODEL, or --config with --vocab FILE");
        if ((t->wp = xl_wordpiece_load(o->vocab, -1, err)) == NULL) return -1;
        xl_bert_config cfg = o->cfg;
        cfg.vocab_size = xl_wordpiece_vocab_size(t->wp);
        cfg.pooling = o->pooling;
        cfg.normalize = true;
        cfg.max_seq_len = o->max_len;
        if (xl_bert_params_init_random(&t->p, &cfg, NULL, o->seed, &t->k, err) < 0) return -1;
    }
    t->p_ok = true;
    if (o->max_len > t->p.cfg.max_position)
        return xl_fail(err, XL_ERR_USAGE, "--max-len %zu exceeds the model's %zu position embeddings", o->max_len,
                       t->p.cfg.max_position);
    if (o->max_len < 3) return xl_fail(err, XL_ERR_USAGE, "--max-len must be at least 3 ([CLS] x [SEP])");
    if (o->w_tlm > 0 && o->max_len < 5)
        return xl_fail(err, XL_ERR_USAGE, "tlm needs --max-len of at least 5 ([CLS] a [SEP] b [SEP])");
    t->V = t->p.cfg.vocab_size;
    t->H = t->p.cfg.hidden;
    if (xl_wordpiece_vocab_size(t->wp) != t->V)
        return xl_fail(err, XL_ERR_FORMAT, "the vocabulary has %zu tokens, the model %zu word embeddings",
                       xl_wordpiece_vocab_size(t->wp), t->V);
    if (xl_bert_grads_init(&t->g, &t->p, err) < 0) return -1;
    t->g_ok = true;
    xl_bert_train_ctx_init(&t->ctx, &t->k, o->threads);
    t->ctx_ok = true;
    if ((t->adam_m = xl_calloc(t->p.count, sizeof(float), err)) == NULL ||
        (t->adam_v = xl_calloc(t->p.count, sizeof(float), err)) == NULL ||
        (t->mlm_b = xl_calloc(t->V, sizeof(float), err)) == NULL ||
        (t->mlm_gb = xl_calloc(t->V, sizeof(float), err)) == NULL ||
        (t->mlm_m = xl_calloc(t->V, sizeof(float), err)) == NULL ||
        (t->mlm_v = xl_calloc(t->V, sizeof(float), err)) == NULL)
        return -1;
    /* masking: never the special tokens */
    static const xl_wordpiece_special kinds[] = {WORDPIECE_CLS, WORDPIECE_SEP, WORDPIECE_PAD, WORDPIECE_MASK,
                                              WORDPIECE_UNK};
    for (size_t i = 0; i < 5; i++) {
        int32_t id = xl_wordpiece_special_id(t->wp, kinds[i]);
        if (id >= 0) t->special[t->n_special++] = id;
    }
    int32_t mask_id = xl_wordpiece_special_id(t->wp, WORDPIECE_MASK);
    if ((o->w_mlm > 0 || o->w_tlm > 0) && mask_id < 0)
        return xl_fail(err, XL_ERR_USAGE, "mlm/tlm need a [MASK] token in the vocabulary");
    xl_mlm_masking_default(&t->masking, mask_id, t->V, t->special, t->n_special);
    /* data (validated whole before the first step) */
    if (o->pairs != NULL) {
        if (xl_corpus_open(&t->pairs, o->pairs, XL_CORPUS_PAIRS, 0, o->seed, err) < 0) return -1;
        t->pairs_ok = true;
        if (o->batch_grouped && xl_corpus_set_blocks(&t->pairs, o->batch, err) < 0) return -1;
    } else if (o->batch_grouped) {
        return xl_fail(err, XL_ERR_USAGE, "--batch-order grouped needs --pairs FILE");
    }
    if (o->mono != NULL) {
        if (xl_corpus_open(&t->mono, o->mono, XL_CORPUS_MONO, 0, o->seed + 1, err) < 0) return -1;
        t->mono_ok = true;
    }
    if (o->eval_pairs != NULL && eval_load(t, err) < 0) return -1;
    xl_bert_acts_init(&t->eval_acts, false);
    if (o->steps == 0) { /* from --epochs over the primary corpus */
        size_t n = t->pairs_ok ? t->pairs.n_order : t->mono.n_order; /* lines visited per epoch */
        double per_step = (double)o->batch * (double)o->accum;
        double s = ceil(o->epochs * (double)n / per_step);
        o->steps = s < 1 ? 1 : (uint64_t)s;
    }
    xl_rng_seed(&t->rng, o->seed, 1);
    if (build_config(t, err) < 0) return -1;
    if (o->resume != NULL && load_checkpoint(t, o->resume, err) < 0) return -1;
    return 0;
}

int xl_train_run(const xl_train_opts *opts, xl_error *err)
{
    xl_train_opts o = *opts;
    trainer t;
    memset(&t, 0, sizeof t);
    t.o = &o;
    xl_wordpiece_encoding_init(&t.enc);
    int rc = -1;
    if (setup(&t, &o, err) < 0) goto done;
    const double t0 = xl_time_now();
    double last_save = t0;
    const uint64_t first_step = t.step, tokens0 = t.tokens;
    const uint64_t end = o.stop_after > 0 && o.stop_after < o.steps ? o.stop_after : o.steps;
    if (t.rank == 0 && t.n_eval > 0 && t.step == 0 && o.progress) { /* the starting point of the held-out curve */
        xl_train_progress pr;
        memset(&pr, 0, sizeof pr);
        pr.total_steps = o.steps;
        pr.loss = pr.loss_rank = pr.loss_mlm = pr.loss_tlm = pr.lr = pr.grad_norm = NAN;
        if (eval_p1(&t, &pr.p1_st, &pr.p1_ts, err) < 0) goto done;
        o.progress(o.progress_ctx, &pr);
    }
    while (t.step < end) {
        xl_bert_grads_zero(&t.g, &t.p);
        memset(t.mlm_gb, 0, t.V * sizeof(float));
        double l_rank = 0, l_mlm = 0, l_tlm = 0;
        const double inv = 1.0 / (double)o.accum;
        /* dropout masks: a stream per (seed, step, rank), so a resumed run and every rank draw their own */
        xl_rng_seed(&t.drop_rng, o.seed ^ (0x9E3779B97F4A7C15ull * (t.step + 1)), 2u + (uint64_t)t.rank);
        for (size_t a = 0; a < o.accum; a++) {
            double l = 0.0;
            if (o.w_rank > 0) {
                if (run_rank(&t, o.w_rank * inv, &l, err) < 0) goto done;
                l_rank += l * inv;
            }
            if (o.w_mlm > 0) {
                if (run_mlm(&t, false, o.w_mlm * inv, &l, err) < 0) goto done;
                l_mlm += l * inv;
            }
            if (o.w_tlm > 0) {
                if (run_mlm(&t, true, o.w_tlm * inv, &l, err) < 0) goto done;
                l_tlm += l * inv;
            }
        }
        if (t.size > 1) { /* sum the ranks' gradients (the word rows of every rank: dense) */
            xl_bert_grads_touch_all_words(&t.g);
            if (o.comm->allreduce_sum_f32(o.comm->ctx, t.g.data, t.g.count) < 0 ||
                o.comm->allreduce_sum_f32(o.comm->ctx, t.mlm_gb, t.V) < 0) {
                xl_fail(err, XL_ERR_IO, "all-reduce of the gradients failed");
                goto done;
            }
        }
        const double lr = xl_schedule_lr(o.schedule, o.lr, o.warmup, o.steps, t.step + 1);
        xl_train_progress pr;
        memset(&pr, 0, sizeof pr);
        pr.grad_norm = optimiser_step(&t, lr);
        t.step++;
        pr.step = t.step;
        pr.total_steps = o.steps;
        pr.lr = lr;
        pr.loss_rank = o.w_rank > 0 ? l_rank : NAN;
        pr.loss_mlm = o.w_mlm > 0 ? l_mlm : NAN;
        pr.loss_tlm = o.w_tlm > 0 ? l_tlm : NAN;
        pr.loss = o.w_rank * l_rank + o.w_mlm * l_mlm + o.w_tlm * l_tlm;
        pr.p1_st = pr.p1_ts = NAN;
        if (t.rank == 0 && t.n_eval > 0 && ((o.eval_every > 0 && t.step % o.eval_every == 0) || t.step == end) &&
            eval_p1(&t, &pr.p1_st, &pr.p1_ts, err) < 0)
            goto done;
        const double now = xl_time_now(), el = now - t0;
        pr.tokens_per_s = el > 0 ? (double)(t.tokens - tokens0) * (double)t.size / el : 0; /* all ranks */
        pr.eta_s = el / (double)(t.step - first_step) * (double)(o.steps - t.step);
        if (t.rank == 0 && ((o.save_every_min > 0 && now - last_save >= o.save_every_min * 60.0) ||
                            (t.step == end && (end < o.steps || o.save_every_min > 0)))) {
            if (save_checkpoint(&t, err) < 0) goto done;
            last_save = now;
            pr.checkpoint_saved = true;
        }
        if (o.progress && t.rank == 0) o.progress(o.progress_ctx, &pr);
    }
    if (t.rank == 0 && save_model(&t, o.out, err) < 0) goto done;
    rc = 0;
done:
    trainer_free(&t);
    return rc;
}
