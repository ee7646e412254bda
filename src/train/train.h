/* train.h - the training loop of `xlrec train-encoder`: a BERT encoder (nn/bert_train.h) trained
 * with any weighted sum of the LaBSE ranking loss, MLM and TLM (train_loss.h), AdamW with
 * clipping, warm-up and decay (train_optim.h), on seeded corpora (train_data.h), with atomic
 * checkpoints (train_ckpt.h) and held-out P@1.
 *
 * Contract
 *   - One optimiser step = `accum` micro-batches; each micro-batch runs, per objective with a
 *     weight > 0, one forward + backward over `batch` examples (rank: `batch` pairs = 2 x batch
 *     sequences [CLS] text [SEP]; mlm: `batch` sentences of --mono, or of the pairs (side i mod 2)
 *     when there is no --mono; tlm: `batch` pairs as [CLS] a [SEP] b [SEP], token types 0 / 1,
 *     positions CONTINUOUS over the pair (XLM resets them for the second sentence; our encoder
 *     numbers positions 0..len-1 per sequence)).  The minimised loss is
 *         sum_objectives weight_o * mean over micro-batches of loss_o.
 *     With --accum, the ranking loss's negatives are those of each micro-batch.
 *   - Batch order: by default every epoch visits the pairs in a seeded permutation of the lines;
 *     with batch_grouped (`--batch-order grouped`) it visits blocks of `batch` consecutive lines of
 *     the pairs file in a seeded permutation of the blocks (train_data.h, xl_corpus_set_blocks), so
 *     every micro-batch of the pairs (rank, tlm, mlm drawn from the pairs) is exactly one block of
 *     the file: a file ordered so that similar sentences are adjacent gives hard in-batch negatives.
 *     The n mod batch lines after the last full block are not used.  --mono keeps the line order.
 *   - Deterministic: the parameters after step t depend only on the options, the corpora and the
 *     seed (for any thread count: the kernels split work over output tiles only); a run stopped
 *     after step t (stop_after) and resumed from its checkpoint continues bit for bit.
 *   - The library never prints: progress goes to the caller's callback.
 *   - Outputs (model, checkpoint) never overwrite an input file (same device and inode).
 */
#ifndef XL_TRAIN_H
#define XL_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bert.h"
#include "train_optim.h"
#include "xl_error.h"
#include "xl_kernels.h"

typedef struct xl_train_progress {
    uint64_t step, total_steps;
    double loss;                  /* weighted total of this step */
    double loss_rank, loss_mlm, loss_tlm; /* unweighted means over the step's micro-batches (NAN: off) */
    double lr, grad_norm;         /* before clipping */
    double p1_st, p1_ts;          /* held-out P@1 (source->target, target->source), NAN when not computed */
    double tokens_per_s;          /* forward+backward tokens per second since the start of this run */
    double eta_s;                 /* seconds left at the current speed */
    bool checkpoint_saved;
} xl_train_progress;

typedef void (*xl_train_progress_fn)(void *ctx, const xl_train_progress *p);

/* Data-parallel training: `size` processes run the same options on the same corpora; each global
 * batch of `--batch` examples is read (and masked) identically by every rank, and rank r runs the
 * forward and backward of examples [r b, (r+1) b), b = batch / size.  The ranking loss sees the
 * global batch (the sentence embeddings are all-gathered), the MLM/TLM loss is the mean over the
 * global batch's selected positions, and the gradients are summed over the ranks before clipping
 * and AdamW, so every rank holds the same parameters.  Rank 0 evaluates and writes the checkpoint
 * and the model.  The library has no MPI code: the caller (make MPI=1: cmd_train_encoder.c)
 * provides these collectives.  NULL = one process. */
typedef struct xl_train_comm {
    int rank, size;
    void *ctx;
    int (*allreduce_sum_f32)(void *ctx, float *x, size_t n);  /* in place, over all ranks */
    int (*allreduce_sum_f64)(void *ctx, double *x, size_t n);
    /* global[size * n] = every rank's local[n], in rank order */
    int (*allgather_f32)(void *ctx, const float *local, size_t n, float *global);
} xl_train_comm;

typedef struct xl_train_opts {
    /* data */
    const char *pairs, *mono, *eval_pairs;
    size_t eval_max;              /* held-out pairs used for P@1 (first N lines) */
    uint64_t eval_every;          /* steps between held-out evaluations (0: only at the end) */
    /* objectives */
    double w_rank, w_mlm, w_tlm;
    double margin, scale;         /* ranking loss (train_loss.h) */
    /* model */
    const char *init_model;       /* --init MODEL, or NULL and: */
    xl_bert_config cfg;           /* --config sizes (arch bert; vocab_size filled from the vocabulary) */
    const char *vocab;            /* --vocab FILE (with --config) */
    xl_pooling pooling;           /* sentence pooling for --config models (mean or cls) */
    double dropout;               /* hidden and attention dropout */
    /* optimisation */
    size_t batch, accum, max_len;
    bool batch_grouped;           /* --batch-order grouped: micro-batches are blocks of the pairs file */
    double lr;
    uint64_t warmup, steps;       /* steps = 0: from epochs */
    double epochs;
    xl_schedule schedule;
    xl_adamw_hparams adamw;
    double clip;                  /* global-norm clip (0: none) */
    bool lazy_embeddings;         /* AdamW on touched word-embedding rows only */
    /* run */
    int threads;
    xl_simd_path simd;
    uint64_t seed;
    double save_every_min;        /* 0: only at the end */
    const char *checkpoint;       /* where checkpoints go (NULL: OUT.ckpt) */
    const char *resume;           /* checkpoint to continue from */
    uint64_t stop_after;          /* stop after this step (with a checkpoint), 0 = run to the end */
    const char *out;              /* the trained model file */
    const xl_train_comm *comm;    /* data-parallel collectives, or NULL (one process) */
    xl_train_progress_fn progress;
    void *progress_ctx;
} xl_train_opts;

void xl_train_opts_default(xl_train_opts *o);

/* Parse "rank", "mlm:1,rank:0.5", ... into the three weights (each objective at most once). */
int xl_train_parse_objectives(const char *s, double *w_rank, double *w_mlm, double *w_tlm, xl_error *err);
/* Parse "layers=2,hidden=64,heads=4,ffn=256,max-position=128" into cfg (unset keys: BERT-base). */
int xl_train_parse_config(const char *s, xl_bert_config *cfg, xl_error *err);

int xl_train_run(const xl_train_opts *o, xl_error *err);

#endif /* XL_TRAIN_H */
