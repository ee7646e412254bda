/* bert_train.h - training a BERT encoder in C: one flat trainable parameter set, a training forward
 * pass (dropout, every activation kept) and its backward pass, op by op (llm.c style).
 *
 * Contract
 *   - xl_bert_params holds EVERY trainable tensor of a BERT encoder (arch "bert") in ONE contiguous,
 *     64-byte aligned float buffer `data` [count], described by a table `info` [n_tensors] of
 *     (name as in the xlrec model file / HF state_dict, shape, offset, count, no_decay).  The order
 *     is fixed (`layout` in nn/bert_params.c): embeddings (word, position, type, LayerNorm), then per layer
 *     q.weight, k.weight, v.weight (adjacent, so [W_q; W_k; W_v] is one [3H, H] block), q.bias,
 *     k.bias, v.bias (one [3H] block), attention.output.dense, attention.output.LayerNorm,
 *     intermediate.dense, output.dense, output.LayerNorm; then the pooler (when the config has one)
 *     and the sentence-transformers Dense layers.  A gradient buffer (xl_bert_grads) has the same
 *     layout: grads->data[i] is d loss / d params->data[i].
 *   - `view` is an ordinary encoder (nn/bert.h) whose raw pointers point into `data` and whose packed
 *     GEMM copies are made from it (plus `packed_dx`, non-transposed copies for the backward's dX): xl_bert_forward / xl_bert_pool run the current parameters (for
 *     evaluation), and so does the training forward below.  After ANY change of `data` (optimiser
 *     step, load) call xl_bert_params_refresh: it repacks the copies in place, O(count), no
 *     allocation.
 *   - Random init (xl_bert_params_init_random): every weight matrix and embedding table
 *     ~ N(0, 0.02^2) truncated to [-2 sigma, 2 sigma] (resampled, as torch.nn.init.trunc_normal_ /
 *     TF BERT's truncated_normal_initializer), biases 0, LayerNorm gamma 1 and beta 0; drawn from
 *     xl_rng (seed, stream 0) in layout order, one tensor after another, so the same seed gives
 *     the same parameters on every platform up to libm's log/cos/sqrt rounding (Box-Muller).
 *   - Training forward (xl_bert_train_forward) computes what HF BertModel computes in train mode:
 *     dropout after the embedding LayerNorm, on the attention probabilities, after the attention
 *     output projection and after the FFN output projection (before each residual add + LayerNorm);
 *     p = 0 is exactly the eval forward.  Dropout masks are the caller's xl_rng stream in a fixed
 *     order (layer by layer, op by op, row-major; with threads, each chunk starts from the stream
 *     jumped ahead to its first element), so they do not depend on the thread count.  Only arch "bert" trains (DistilBERT is refused).  Sentence embeddings for
 *     training: mean or CLS pooling, then the config's Dense layers, then L2 (xl_bert_train_pool);
 *     the BertPooler's tensors (has_pooler) are carried and saved but get no gradient.
 *   - Backward (xl_bert_train_backward) ACCUMULATES (+=) into grads, so gradient accumulation and
 *     several objectives per step are sums of calls; xl_bert_grads_zero clears.  The word embedding
 *     gradient is sparse: grads->word_rows lists the rows touched since the last zero (first-touch
 *     order, deterministic), grads->word_touched[v] != 0 marks them; a caller that writes a dense
 *     word-embedding gradient itself (the tied MLM decoder) calls xl_bert_grads_touch_all_words.
 *   - Threads: every call uses the context's kernels and n_threads; the GEMMs split over output
 *     tiles only, reductions run in a fixed order (the embedding scatter-add splits columns, each
 *     adding the tokens in batch order), per-sequence steps split sequences, so results are
 *     bit-identical for any thread count (and repeatable bit for bit at 1 thread).  No global state.
 *   - Formulas next to the functions: docs/training.md ("Backward pass").
 */
#ifndef XL_BERT_TRAIN_H
#define XL_BERT_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bert.h"
#include "xl_error.h"
#include "xl_kernels.h"
#include "xl_model.h"
#include "xl_rng.h"

/* ---- the parameter set ----------------------------------------------------------------------- */

typedef struct xl_bert_param_info {
    char name[96];      /* "encoder.layer.3.attention.self.query.weight" (model file / HF name) */
    int rank;           /* 1 or 2 */
    uint64_t shape[2];  /* [out, in] for weights (nn.Linear layout), [n] for vectors */
    size_t offset;      /* first float in data / grads->data (a multiple of 16: 64-byte aligned) */
    size_t count;       /* floats */
    bool no_decay;      /* biases and LayerNorm gamma/beta: no weight decay (BERT / HF convention) */
} xl_bert_param_info;

/* Where a layer's tensors live: float offsets into data (or grads->data). */
typedef struct xl_bert_layer_offsets {
    size_t qkv_w;        /* [3H, H]: query.weight, key.weight, value.weight back to back */
    size_t qkv_b;        /* [3H]:   query.bias, key.bias, value.bias */
    size_t attn_out_w;   /* [H, H] */
    size_t attn_out_b;   /* [H] */
    size_t ln1_g, ln1_b; /* [H] */
    size_t ffn_in_w;     /* [I, H] */
    size_t ffn_in_b;     /* [I] */
    size_t ffn_out_w;    /* [H, I] */
    size_t ffn_out_b;    /* [H] */
    size_t ln2_g, ln2_b; /* [H] */
} xl_bert_layer_offsets;

typedef struct xl_bert_offsets {
    size_t word_emb;                 /* [V, H] */
    size_t pos_emb;                  /* [P, H] */
    size_t type_emb;                 /* [type_vocab, H] (SIZE_MAX when type_vocab_size == 0) */
    size_t emb_ln_g, emb_ln_b;       /* [H] */
    xl_bert_layer_offsets *layers;   /* [N] */
    size_t pooler_w, pooler_b;       /* [H, H], [H] (SIZE_MAX without a pooler) */
    size_t dense_w[XL_BERT_MAX_DENSE]; /* [out, in] */
    size_t dense_b[XL_BERT_MAX_DENSE]; /* [out] (SIZE_MAX: no bias) */
} xl_bert_offsets;

typedef struct xl_bert_params {
    xl_bert_config cfg;
    size_t n_tensors;
    xl_bert_param_info *info;  /* [n_tensors], layout order */
    xl_bert_offsets off;
    size_t count;              /* total floats */
    float *data;               /* [count], 64-byte aligned, owned */
    xl_bert view;              /* encoder over data (+ packed copies): refresh after every update */
    xl_packed_matrix *packed_dx; /* [4 N + n_dense] W packed as op(B) = W [out, in] (no transpose),
                                  * for dX = dY W on the packed GEMM path: per layer qkv, attn_out,
                                  * ffn_in, ffn_out, then the Dense layers; refreshed with the view */
    bool dense_bias[XL_BERT_MAX_DENSE];
} xl_bert_params;

/* Number of trainable floats of a config (0 with *err set when the config is invalid or the
 * size overflows).  Same count as xl_bert_params.count. */
size_t xl_bert_params_count(const xl_bert_config *cfg, xl_error *err);

/* Random init for `cfg` (arch bert, hidden % heads == 0, ...; checked): see the contract for the
 * distribution.  `k` chooses the packing of the view's GEMM copies.  Release with
 * xl_bert_params_free.  dense_bias: NULL = every Dense layer has a bias. */
int xl_bert_params_init_random(xl_bert_params *p, const xl_bert_config *cfg, const bool *dense_bias, uint64_t seed,
                               const xl_kernels *k, xl_error *err);

/* Copy every tensor of an xlrec model file (arch bert: `--init MODEL`); the file may be closed
 * afterwards.  Fails like xl_bert_from_model on a missing or mis-shaped tensor. */
int xl_bert_params_init_model(xl_bert_params *p, const xl_model *m, const xl_kernels *k, xl_error *err);

void xl_bert_params_free(xl_bert_params *p);

/* Repack the view's GEMM copies (and fused biases) from data: call after every change of data. */
void xl_bert_params_refresh(xl_bert_params *p, const xl_kernels *k);

/* Index of a tensor by name, or -1. */
long xl_bert_params_find(const xl_bert_params *p, const char *name);

/* Add the architecture metadata (arch, sizes, eps, hidden_act, pooling, normalize, max_seq_len,
 * dense.*, has_pooler) and every tensor (borrowed from data: keep p alive until the write) to `w`.
 * The vocabulary and tokenizer.* metadata are the caller's (see xl_bert_params_copy_vocab). */
int xl_bert_params_to_writer(const xl_bert_params *p, xl_model_writer *w, xl_error *err);

/* Copy the vocabulary and every "tokenizer.*" metadata entry of `src` into `w` (for a model
 * trained from --init src, or a template model holding the vocabulary). */
int xl_bert_params_copy_vocab(xl_model_writer *w, const xl_model *src, xl_error *err);

/* to_writer + copy_vocab(vocab_src; NULL: no vocabulary, the model then takes token ids only) +
 * xl_model_writer_write(path): atomic (a temporary file renamed over path; a failure leaves path
 * untouched).  Fails when vocab_src's vocabulary size differs from the config's. */
int xl_bert_params_save(const xl_bert_params *p, const xl_model *vocab_src, const char *path, xl_error *err);

/* ---- gradients ------------------------------------------------------------------------------- */

typedef struct xl_bert_grads {
    size_t count;            /* == params->count */
    float *data;             /* [count], same layout as the params */
    size_t vocab, hidden;    /* V, H of the word embedding block at params->off.word_emb */
    uint8_t *word_touched;   /* [V] 1 = row has (possibly) non-zero gradient since the last zero */
    uint32_t *word_rows;     /* [n_word_rows] touched rows, first-touch order */
    size_t n_word_rows;
    bool word_all;           /* every row touched (dense word gradient, e.g. the tied MLM decoder) */
} xl_bert_grads;

int xl_bert_grads_init(xl_bert_grads *g, const xl_bert_params *p, xl_error *err);
void xl_bert_grads_free(xl_bert_grads *g);
/* Clear to zero: every float outside the word embedding, and the touched word rows only. */
void xl_bert_grads_zero(xl_bert_grads *g, const xl_bert_params *p);
/* Mark one word row touched (for callers that add into the word gradient themselves). */
void xl_bert_grads_touch_word(xl_bert_grads *g, uint32_t row);
void xl_bert_grads_touch_all_words(xl_bert_grads *g);

/* ---- the training context ------------------------------------------------------------------ */

typedef struct xl_bert_dropout {
    float hidden;    /* HF hidden_dropout_prob (embeddings, after attention / FFN output) */
    float attention; /* HF attention_probs_dropout_prob */
} xl_bert_dropout;

/* Activations of one training forward pass (T = total tokens, rows of sequence s from off[s];
 * A = sum_s nh * len_s^2).  Every layer keeps its own buffers; masks are 1 = kept.
 *   emb        [T, H]    word + type + position (before LayerNorm)
 *   x0         [T, H]    dropout(LayerNorm(emb)) = input of layer 0
 *   mask_emb   [T, H]    dropout mask of x0
 *   per layer l (input x = l ? out[l-1] : x0):
 *   qkv[l]       [T, 3H] x W_qkv^T + b_qkv
 *   att[l]       [A]     P = softmax(Q K^T / sqrt(dh) + M), blocks [nh, n, n] at att_off[s]
 *   att_drop[l]  [A]     dropout(P) (only when attention dropout > 0; else att[l] is used)
 *   mask_att[l]  [A]     its mask
 *   ctx[l]       [T, H]  att_drop V
 *   res1[l]      [T, H]  dropout(ctx W_o^T + b_o) + x   (LayerNorm input)
 *   mask_res1[l] [T, H]
 *   ln1[l]       [T, H]  LayerNorm(res1)
 *   ffn_pre[l]   [T, I]  ln1 W_1^T + b_1
 *   ffn_h[l]     [T, I]  GELU(ffn_pre)
 *   res2[l]      [T, H]  dropout(ffn_h W_2^T + b_2) + ln1
 *   mask_res2[l] [T, H]
 *   out[l]       [T, H]  LayerNorm(res2) = layer output; out[N-1] is the last hidden state
 * Pooling (xl_bert_train_pool):
 *   pooled [n_seq, H], dense_out[i] [n_seq, dense_out[i]], sent [n_seq, D] (after normalisation),
 *   sent_norm [n_seq] (||x|| before normalisation). */
typedef struct xl_bert_train_acts {
    size_t n_seq, T, A;
    size_t *off, *len, *att_off;     /* [n_seq] */
    float *mask_add;                 /* [T] additive attention mask (0 / -FLT_MAX) per position */
    const float **mask_rows;         /* [n_seq] sequence s's row of mask_add, or NULL (no mask) */
    bool has_mask;
    float *emb, *x0;
    uint8_t *mask_emb;
    float **qkv, **att, **att_drop, **ctx, **res1, **ln1, **ffn_pre, **ffn_h, **res2, **out; /* [N] */
    uint8_t **mask_att, **mask_res1, **mask_res2;                                       /* [N] */
    /* pooling */
    xl_pooling pooling;
    bool normalize;
    size_t D;
    float *pooled, *dense_out[XL_BERT_MAX_DENSE], *sent, *sent_norm;
    size_t *pool_count;              /* [n_seq] mask-1 positions pooled */
    bool pooled_valid;
    /* capacities */
    size_t cap_T, cap_A, cap_seq, cap_pool_seq, cap_pool_width;
} xl_bert_train_acts;

/* Optional per-op timing of the backward (bench_train --profile): for each op class, the wall
 * seconds and the process CPU seconds (all threads, clock()) summed over calls.  The context's
 * `prof` is NULL by default (no timing, no clock calls). */
typedef enum {
    XL_BWD_POOL,      /* L2 norm, Dense and pooling backward */
    XL_BWD_LAYERNORM, /* the two LayerNorms of each layer (stats, d gamma / d beta, dx) */
    XL_BWD_ELEMWISE,  /* residual copies and hidden-dropout backward */
    XL_BWD_DX_GEMM,   /* dX = dY W, the four linear layers */
    XL_BWD_DW_GEMM,   /* dW += dY^T X, the four linear layers */
    XL_BWD_BIAS,      /* db += sum_rows dY, the four linear layers */
    XL_BWD_GELU,      /* GELU backward */
    XL_BWD_ATTENTION, /* attention backward, per sequence (dP, dV, softmax, dQ, dK) */
    XL_BWD_EMBED,     /* embedding dropout + LayerNorm backward and the scatter-add */
    XL_BWD_N_OPS
} xl_bwd_op;

typedef struct {
    double wall[XL_BWD_N_OPS], cpu[XL_BWD_N_OPS];
} xl_bert_train_prof;

/* the op's name in xl_bwd_op order ("pooling", "layernorm", ...) */
const char *xl_bwd_op_name(xl_bwd_op op);

typedef struct xl_bert_train_ctx {
    xl_kernels *k;
    int n_threads;
    size_t n_layers;                 /* layers the buffers were made for */
    xl_bert_dropout drop;            /* of the last forward */
    const xl_bert_input *in;         /* the last forward's batch (must stay valid until backward) */
    xl_bert_train_acts a;
    /* backward scratch: d of the current layer's activations */
    float *d_x, *d_tmp, *d_qkv, *d_ctx, *d_ffn, *d_att, *d_stats;
    size_t cap_dT, cap_dA;
    float *d_pool_a, *d_pool_b;      /* [n_seq, max width] */
    size_t cap_dpool;
    /* Elements of work below which the dropout draws, the embedding gather and scatter-add and the
     * pooling run on the calling thread (65,536 from xl_bert_train_ctx_init).  The split never
     * changes a result; tests lower it to check that on tiny shapes. */
    size_t min_split;
    xl_bert_train_prof *prof;        /* NULL, or where the backward adds its per-op times */
} xl_bert_train_ctx;

void xl_bert_train_ctx_init(xl_bert_train_ctx *c, xl_kernels *k, int n_threads);
void xl_bert_train_ctx_free(xl_bert_train_ctx *c);

/* Training forward pass over `in` (kept by pointer until the backward).  Returns the last hidden
 * state [T, H] (rows of sequence s from c->a.off[s]), or NULL on error (bad id / length /
 * dropout outside [0, 1), out of memory).  rng may be NULL when both dropout rates are 0. */
const float *xl_bert_train_forward(xl_bert_train_ctx *c, const xl_bert_params *p, const xl_bert_input *in,
                                   xl_bert_dropout drop, xl_rng *rng, xl_error *err);

/* Sentence embeddings of the last forward pass: pooling (XL_POOL_MEAN or XL_POOL_CLS over mask-1
 * positions; XL_POOL_DEFAULT = the config's), then the config's Dense layers (tanh / identity),
 * then L2 normalisation when `normalize`.  Returns [n_seq, D] (D = xl_bert_train_output_dim), owned
 * by the context, or NULL on error (other poolings are refused). */
const float *xl_bert_train_pool(xl_bert_train_ctx *c, const xl_bert_params *p, xl_pooling pooling, bool normalize,
                                xl_error *err);
size_t xl_bert_train_output_dim(const xl_bert_params *p);

/* Backward pass of the last forward (and pool, when d_sent != NULL):
 *   d_sent   [n_seq, D]  d loss / d sentence embeddings (as returned by xl_bert_train_pool), or NULL
 *   d_hidden [T, H]      d loss / d last hidden state, or NULL
 * (at least one non-NULL).  Adds every parameter's gradient into g (+=) and marks the touched word
 * rows.  The inputs are read only.  Returns 0, or -1 (out of memory, no forward). */
int xl_bert_train_backward(xl_bert_train_ctx *c, const xl_bert_params *p, xl_bert_grads *g, const float *d_sent,
                           const float *d_hidden, xl_error *err);

/* Floating-point operations of one forward + backward over the last batch (matrix products only, 2 per
 * multiply-add: backward = 2 x forward), for benchmarks. */
double xl_bert_train_flops(const xl_bert_config *cfg, const size_t *len, size_t n_seq);

#endif /* XL_BERT_TRAIN_H */
