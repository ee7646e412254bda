/* bert.h - the BERT / DistilBERT encoder forward pass in float32, computing
 * what HuggingFace transformers' BertModel / DistilBertModel (eval mode) and
 * sentence-transformers' Pooling / Dense / Normalize modules compute.
 *
 * Contract
 *   - xl_bert_from_model checks the model file's metadata (architecture,
 *     dimensions, eps, pooling, Dense chain) and every tensor's presence and
 *     shape against it, naming the field or tensor at fault, then pre-packs
 *     the weights for the kernel path of `k` (nn/xl_kernels.h).  The model
 *     file must outlive the encoder (embeddings are read from the mapping).
 *   - Sequences are given unpadded (ids[b][0..len[b])); internally they are
 *     packed back to back (T = sum of lengths rows), so projections and the
 *     FFN never compute padding.  Attention runs per sequence over its own
 *     length, which is exactly HF's padded computation at real positions:
 *     HF's additive mask gives padded keys weight exp(-huge) = 0.0f.  An
 *     optional per-position mask (HF attention_mask with interior zeros) adds
 *     -FLT_MAX to masked keys, as transformers does (finfo(float32).min).
 *     Position ids are 0..len-1 per sequence (absolute positions).
 *   - Activations live in xl_bert_acts: explicit per-layer buffers with the
 *     shapes documented below (llm.c style), grown on demand.  With
 *     keep_all_layers every layer keeps its own buffers (for a backward pass,
 *     or to inspect hidden states); otherwise one set is reused by all layers.
 *   - Threads: every call takes n_threads explicitly; results do not depend
 *     on it (the kernels split work over output tiles/rows only).
 *   - Maths next to each function: docs/encoder.md.
 */
#ifndef XL_BERT_H
#define XL_BERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"
#include "xl_kernels.h"
#include "xl_model.h"

#define XL_BERT_MAX_DENSE 8

typedef enum { XL_ARCH_BERT = 0, XL_ARCH_DISTILBERT = 1 } xl_bert_arch;

typedef enum {
    XL_POOL_DEFAULT = 0,   /* the model file's "pooling" */
    XL_POOL_CLS,           /* h[0] ([CLS]) */
    XL_POOL_MEAN,          /* sum of h over mask-1 positions / their count */
    XL_POOL_MAX,           /* element-wise max over mask-1 positions */
    XL_POOL_MEAN_SQRT_LEN, /* sum / sqrt(count) (sentence-transformers) */
    XL_POOL_POOLER,        /* tanh(W_p h[0] + b_p) (BertModel pooler_output) */
    XL_POOL_NONE           /* no pooling: every token's final hidden state */
} xl_pooling;

/* "cls", "mean", "max", "mean_sqrt_len", "pooler", "none"; "default". */
const char *xl_pooling_name(xl_pooling p);
int xl_pooling_parse(const char *name, xl_pooling *out, xl_error *err);

typedef struct xl_bert_config {
    xl_bert_arch arch;
    size_t vocab_size;        /* V: rows of the word embedding */
    size_t hidden;            /* H */
    size_t n_layers;          /* N */
    size_t n_heads;           /* nh; head size dh = H / nh */
    size_t intermediate;      /* I: FFN inner size */
    size_t max_position;      /* P: rows of the position embedding (longest sequence) */
    size_t type_vocab_size;   /* 0 for DistilBERT (no token type embedding) */
    float layer_norm_eps;
    bool has_pooler;
    xl_pooling pooling;       /* default sentence pooling */
    bool normalize;           /* default: L2-normalise sentence embeddings */
    size_t max_seq_len;       /* truncation length (<= max_position) */
    size_t n_dense;           /* sentence-transformers Dense layers after pooling */
    size_t dense_in[XL_BERT_MAX_DENSE], dense_out[XL_BERT_MAX_DENSE];
    xl_act dense_act[XL_BERT_MAX_DENSE]; /* XL_ACT_TANH or XL_ACT_NONE */
} xl_bert_config;

/* One encoder layer's parameters.  Raw pointers are the model file's tensors
 * (nn.Linear layout W[out, in]); the packed copies are what the GEMMs use. */
typedef struct xl_bert_layer {
    const float *q_w, *k_w, *v_w;       /* [H, H] each */
    const float *q_b, *k_b, *v_b;       /* [H] */
    const float *attn_out_w;            /* [H, H] */
    const float *attn_out_b;            /* [H] */
    const float *ln1_g, *ln1_b;         /* [H] attention.output.LayerNorm (DistilBERT: sa_layer_norm) */
    const float *ffn_in_w, *ffn_in_b;   /* [I, H], [I] intermediate.dense (DistilBERT: ffn.lin1) */
    const float *ffn_out_w, *ffn_out_b; /* [H, I], [H] output.dense (DistilBERT: ffn.lin2) */
    const float *ln2_g, *ln2_b;         /* [H] output.LayerNorm (DistilBERT: output_layer_norm) */
    float *qkv_b;                       /* [3H] owned: q_b | k_b | v_b */
    xl_packed_matrix qkv;               /* op(B) [H, 3H] = [W_q; W_k; W_v]^T */
    xl_packed_matrix attn_out;          /* op(B) [H, H] */
    xl_packed_matrix ffn_in;            /* op(B) [H, I] */
    xl_packed_matrix ffn_out;           /* op(B) [I, H] */
    /* int8 model files (I8 weights): the four projections as int8 with per-output-channel scales,
     * run by xl_qlinear (activations quantised per row at run time); the packed float32 copies
     * above are then empty.  q == NULL: float32. */
    xl_qmatrix qkv_q;                   /* [3H, H] = [W_q; W_k; W_v] */
    xl_qmatrix attn_out_q;              /* [H, H] */
    xl_qmatrix ffn_in_q;                /* [I, H] */
    xl_qmatrix ffn_out_q;               /* [H, I] */
} xl_bert_layer;

/* An embedding table: float32 rows, or (an I8 table opened with XL_MODEL_OPEN_KEEP_I8) int8 rows
 * with one scale per row, read as scale[r] * q[r][j] (the loader's widening, bit for bit), or
 * (F16 / BF16 opened with XL_MODEL_OPEN_KEEP_REDUCED) 16-bit rows converted exactly. */
typedef struct xl_bert_table_q {
    const signed char *q; /* [rows, H] or NULL */
    const float *scale;   /* [rows] */
    /* or (F16 / BF16 opened with XL_MODEL_OPEN_KEEP_REDUCED) 16-bit rows, widened exactly per row */
    const unsigned short *h; /* [rows, H] or NULL */
    xl_elem elem;            /* XL_ELEM_F16 or XL_ELEM_BF16 when h != NULL */
} xl_bert_table_q;

typedef struct xl_bert {
    xl_bert_config cfg;
    const float *word_emb;              /* [V, H] */
    const float *pos_emb;               /* [P, H] */
    const float *type_emb;              /* [type_vocab, H], NULL for DistilBERT */
    const float *emb_ln_g, *emb_ln_b;   /* [H] */
    /* int8 forms of the three tables when their float32 pointer above is NULL */
    xl_bert_table_q word_emb_q, pos_emb_q, type_emb_q;
    xl_bert_layer *layers;              /* [N] */
    const float *pooler_w, *pooler_b;   /* [H, H], [H] or NULL */
    xl_packed_matrix pooler;
    xl_qmatrix pooler_q;                /* int8 pooler (I8 file), else q == NULL */
    xl_qmatrix dense_q[XL_BERT_MAX_DENSE];
    size_t n_int8_linear;               /* linear layers running in int8 (0: a float32 encoder) */
    size_t n_16bit_linear;              /* linear layers whose packed weights stay F16 / BF16 (KEEP_REDUCED) */
    const float *dense_w[XL_BERT_MAX_DENSE]; /* [out, in] */
    const float *dense_b[XL_BERT_MAX_DENSE]; /* [out] or NULL */
    xl_packed_matrix dense[XL_BERT_MAX_DENSE];
} xl_bert;

/* Largest activation memory one forward pass may ask for (xl_bert_forward refuses a batch
 * above it with a message naming the limit): 8 GiB on 64-bit hosts, 1 GiB on 32-bit ones. */
#define XL_BERT_MAX_ACT_BYTES (sizeof(size_t) >= 8 ? (size_t)8 << 30 : (size_t)1 << 30)

/* One sequence's token ids (and type ids, may be NULL) as xl_bert_forward will check them, so a
 * caller can name the input line before batching: "position P: token id X outside 0..N". */
int xl_bert_check_ids(const xl_bert *b, const int32_t *ids, const int32_t *type_ids, size_t len, xl_error *err);

/* Build an encoder over an open model file; weights are packed for k's path.  Linear weights
 * stored as I8 (`xlrec quantize --dtype int8`) run in int8 (xl_qlinear: per-output-channel weight
 * scales, activations quantised per row at run time; LayerNorm, softmax, GELU stay float32); open
 * the file with XL_MODEL_OPEN_KEEP_I8 so that no float32 copy of them exists at all (the encoder
 * then also reads int8 embedding rows directly).  F16 / BF16 weights run in float32. */
int xl_bert_from_model(xl_bert **out, const xl_model *m, const xl_kernels *k, xl_error *err);
void xl_bert_free(xl_bert *b);

/* A batch of sequences (not padded). */
typedef struct xl_bert_input {
    size_t n_seq;
    const int32_t *const *ids;      /* ids[b][0..len[b]) token ids < vocab_size */
    const int32_t *const *type_ids; /* NULL (all 0), or per sequence (an entry may be NULL) */
    const uint8_t *const *mask;     /* NULL (all 1), or per sequence HF attention_mask (entry may be NULL) */
    const size_t *len;              /* 1 <= len[b] <= max_position */
} xl_bert_input;

/* Activations of one forward pass.  T = total tokens of the batch, rows of
 * sequence b are [off[b], off[b] + len[b]).  Per layer l (index 0 for all
 * layers unless keep_all_layers):
 *   layer_in(l)       = l == 0 ? hidden0 : out[l-1]
 *   qkv[l]      [T, 3H]  x W_qkv^T + b_qkv; head h of Q/K/V = columns h*dh, H + h*dh, 2H + h*dh
 *   att[l]      [sum_b nh*len_b^2]  per sequence b a block [nh, len_b, len_b] at att_off[b]:
 *                        softmax(Q_h K_h^T / sqrt(dh) + mask) (probabilities); only with
 *                        keep_all_layers (or sequences over XL_ATTENTION_SCRATCH_MAX_LEN): else
 *                        NULL, the scores living block by block in the kernels' scratch
 *   ctx[l]      [T, H]   att V, heads concatenated (head h in columns h*dh..)
 *   attn_proj[l][T, H]   ctx W_o^T + b_o (before residual)
 *   ln1[l]      [T, H]   LayerNorm(attn_proj + layer_in) (mean/rstd recomputed by a backward pass)
 *   ffn_pre[l]  [T, I]   ln1 W_1^T + b_1 (only with keep_all_layers; fused into GELU otherwise)
 *   ffn_h[l]    [T, I]   GELU(ffn_pre)
 *   ffn_proj[l] [T, H]   ffn_h W_2^T + b_2
 *   out[l]      [T, H]   LayerNorm(ffn_proj + ln1) = layer output
 * plus emb [T, H] (word + type + position before LayerNorm) and hidden0 [T, H]. */
typedef struct xl_bert_acts {
    bool keep_all_layers;
    size_t n_slots;            /* layers with their own buffers: N or 1 */
    size_t n_seq, T;           /* of the last forward pass */
    size_t *off;               /* [n_seq] first row of each sequence */
    size_t *att_off;           /* [n_seq] offset of its attention block */
    float *emb, *hidden0;
    float **qkv, **att, **ctx, **attn_proj, **ln1, **ffn_pre, **ffn_h, **ffn_proj, **out;
    float *mask_row;           /* [T] additive mask scratch, sequence b's row at off[b] */
    float **mask_ptr;          /* [n_seq] sequence b's mask row, or NULL (no mask) */
    /* capacities (elements) */
    size_t cap_T, cap_att, cap_seq, cap_len, cap_mask_seq;
} xl_bert_acts;

void xl_bert_acts_init(xl_bert_acts *a, bool keep_all_layers);
void xl_bert_acts_free(xl_bert_acts *a);

/* Run the encoder.  After success, xl_bert_last_hidden(a) is the final hidden
 * state [T, H] (rows of sequence b from a->off[b]).  Fails (naming the
 * sequence and position) on an id >= vocab_size, a type id >= type_vocab_size,
 * a length of 0 or above max_position, or when memory runs out. */
int xl_bert_forward(const xl_bert *b, xl_kernels *k, int n_threads, const xl_bert_input *in, xl_bert_acts *a,
                    xl_error *err);
const float *xl_bert_last_hidden(const xl_bert *b, const xl_bert_acts *a);
/* Output of layer l (0 = embedding LayerNorm, l = 1..N layer l); requires
 * keep_all_layers for 1 <= l < N. */
const float *xl_bert_hidden_state(const xl_bert *b, const xl_bert_acts *a, size_t l);

/* Width of a sentence embedding for a pooling mode: the last Dense layer's
 * output, or H (pooler, none, or no Dense layers). */
size_t xl_bert_output_dim(const xl_bert *b, xl_pooling pooling);

/* Sentence embeddings out[n_seq, output_dim] from the last forward pass:
 * pooling (cls/mean/max/mean_sqrt_len over mask-1 positions; pooler =
 * tanh(W_p h_cls + b_p)), then the Dense layers (not after pooler), then L2
 * normalisation when `normalize`.  XL_POOL_NONE is refused here (use the
 * hidden states).  Fails for pooler on a model without one. */
int xl_bert_pool(const xl_bert *b, xl_kernels *k, int n_threads, const xl_bert_input *in, const xl_bert_acts *a,
                 xl_pooling pooling, bool normalize, float *out, xl_error *err);

/* Pooling alone (no Dense, no normalisation): out[n_seq, H] for cls, mean,
 * max, mean_sqrt_len (pooler and none are refused). */
int xl_bert_pool_hidden(const xl_bert *b, const xl_bert_input *in, const xl_bert_acts *a, xl_pooling pooling,
                        float *out, xl_error *err);

/* Floating-point operations of one forward pass over sequences of the
 * given lengths (2 per multiply-add, matrix products only), for benchmarks. */
double xl_bert_flops(const xl_bert_config *cfg, const size_t *len, size_t n_seq);

#endif /* XL_BERT_H */
