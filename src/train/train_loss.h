/* train_loss.h - the training objectives of `xlrec train-encoder`: the
 * bidirectional in-batch translation ranking loss with additive margin
 * softmax (LaBSE), and masked language modelling (BERT MLM, XLM TLM) with the
 * output layer tied to the word embeddings.
 *
 * Contract
 *   - Each loss returns its value and the gradient of that value with respect
 *     to its inputs; gradients of parameters are ADDED (+=) into the caller's
 *     gradient buffers, so several objectives and micro-batches accumulate.
 *   - Reductions (log-sum-exp, the loss sum) run in double; results do not
 *     depend on the thread count (the GEMMs split over output tiles only).
 *   - Masking is deterministic: the same xl_rng state and tokens give the same
 *     selection on every platform (integer PCG32 draws only).
 *   - Formulas, citations and derivations: docs/training.md ("Losses").
 */
#ifndef XL_TRAIN_LOSS_H
#define XL_TRAIN_LOSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"
#include "xl_kernels.h"
#include "xl_rng.h"

/* ---- translation ranking (LaBSE) ------------------------------------------------------------
 * Feng et al. 2022 (LaBSE, sec. 3.2) after Yang et al. 2019 (bidirectional dual encoder with
 * additive margin softmax).  For N aligned pairs with L2-normalised embeddings x_i (source),
 * y_j (target), rows of src[N, D] and tgt[N, D]:
 *     S_ij = x_i . y_j                      (cosine: the rows have unit length)
 *     Z    = s (S - m I)                    (margin m on the diagonal only, then scale s)
 *     L_st = 1/N sum_i [ logsumexp_j Z_ij - Z_ii ]      (source -> target, rows)
 *     L_ts = 1/N sum_j [ logsumexp_i Z_ij - Z_jj ]      (target -> source, columns)
 *     loss = (L_st + L_ts) / 2
 * Gradient (P = row softmax of Z, Q = column softmax of Z):
 *     G = d loss / d S = s / (2N) (P + Q - 2 I)     d src = G tgt,   d tgt = G^T src
 * LaBSE writes the bidirectional loss as the sum L_st + L_ts; we average (half of it), which
 * with Adam only rescales eps.  Defaults: m = 0.3 (LaBSE), s = 20 (the scale of
 * sentence-transformers' MultipleNegativesRankingLoss; LaBSE's paper gives no value for it).
 *
 * Global batch: src and tgt may be the gathered embeddings of several ranks (MPI all-gather):
 * every rank computes the whole [N, N] matrix and keeps the rows of d_src/d_tgt of its own
 * sentences; the gradients of all ranks' parameters then SUM to the gradient of the global loss. */
#define XL_RANK_DEFAULT_MARGIN 0.3
#define XL_RANK_DEFAULT_SCALE 20.0

typedef struct xl_rank_result {
    double loss;
    double loss_st, loss_ts; /* the two directions */
    size_t correct_st;       /* rows whose argmax_j S_ij is j == i (in-batch P@1, source -> target) */
    size_t correct_ts;       /* columns whose argmax_i S_ij is i == j */
} xl_rank_result;

/* src, tgt [N, D] (unit rows); d_src, d_tgt [N, D] are WRITTEN (not accumulated), either may be
 * NULL when not needed.  Fails on N == 0 or memory.
 * k == NULL: every product in double (the reference, O(N^2 D) scalar loops).  k != NULL: the three
 * matrix products S = src tgt^T, G tgt and G^T src run on the SGEMM kernels in float (the
 * softmaxes and sums stay in double): N = 2048, D = 256 takes 2.0 s instead of 56 s (one thread),
 * results within float rounding of the reference (tests/test_train.c compares them). */
int xl_rank_loss(xl_kernels *k, int n_threads, const float *src, const float *tgt, size_t n, size_t d, double margin,
                 double scale, float *d_src, float *d_tgt, xl_rank_result *out, xl_error *err);

/* ---- masked language modelling (BERT; TLM of XLM) -------------------------------------------
 * Devlin et al. 2019 (BERT, sec. 3.1 / A.1): each maskable token is selected with probability p
 * (0.15); a selected token is replaced by [MASK] with probability 0.8, by a random token with 0.1,
 * and kept with 0.1; the loss predicts the original token at the selected positions only.
 * Selection is per token (Bernoulli(p), as HuggingFace's DataCollatorForLanguageModeling), not
 * a fixed 15% count.  Special tokens and padding are never selected.  The random replacement is
 * uniform over the vocabulary minus the special ids (redrawn when it hits one). */
typedef struct xl_mlm_masking {
    double select_prob;      /* 0.15 */
    double mask_prob;        /* 0.8: of the selected, replaced by [MASK] */
    double random_prob;      /* 0.1: of the selected, replaced by a random token (rest: kept) */
    int32_t mask_id;         /* [MASK] */
    size_t vocab_size;
    const int32_t *special;  /* ids never selected nor drawn as random tokens ([CLS] [SEP] [PAD] ...) */
    size_t n_special;
} xl_mlm_masking;

void xl_mlm_masking_default(xl_mlm_masking *m, int32_t mask_id, size_t vocab_size, const int32_t *special,
                            size_t n_special);

/* Mask ids[0..len) in place.  labels[i] = the original id where position i was selected, else -1.
 * Returns the number of selected positions.  The draws per token are: one u32 for selection;
 * when selected, one for the 80/10/10 choice and, for "random", u32s until a non-special id. */
size_t xl_mlm_mask(const xl_mlm_masking *m, xl_rng *rng, int32_t *ids, size_t len, int32_t *labels);

/* Tied decoder head (no transform layer: docs/training.md "MLM head"):
 *     logits[M, V] = h[M, H] W^T + b      W = the word embedding [V, H], b [V]
 *     loss = weight / M * sum_i CE(logits_i, label_i)      (mean over the M selected positions)
 *     d logits = weight / M (softmax(logits) - onehot(label))
 *     d_h  = d logits W        (WRITTEN, [M, H])
 *     dW  += d logits^T h      ([V, H]: every row, the softmax is dense over the vocabulary)
 *     db  += sum_i d logits_i  ([V])
 * `ws` is scratch grown on demand (free with xl_mlm_head_free). */
typedef struct xl_mlm_head_ws {
    float *logits;  /* [M, V] logits, then d logits in place */
    size_t cap;     /* floats of logits */
    double *db;     /* [V] column sums of d logits (double, row order fixed) */
    size_t cap_db;
} xl_mlm_head_ws;

void xl_mlm_head_free(xl_mlm_head_ws *ws);

typedef struct xl_mlm_result {
    double loss;    /* weight * mean CE */
    double mean_ce; /* mean CE (no weight) */
    size_t correct; /* selected positions whose argmax logit is the label */
} xl_mlm_result;

int xl_mlm_head_loss(xl_kernels *k, int n_threads, const float *h, const int32_t *labels, size_t m, const float *w,
                     const float *b, size_t v, size_t hd, double weight, float *d_h, float *dw, float *db,
                     xl_mlm_head_ws *ws, xl_mlm_result *out, xl_error *err);

#endif /* XL_TRAIN_LOSS_H */
