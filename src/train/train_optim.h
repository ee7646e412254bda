/* train_optim.h - AdamW, gradient clipping by global norm, and the learning-rate schedule
 * (linear warm-up, then linear or cosine decay) of `xlrec train-encoder`.
 *
 * Contract
 *   - xl_adamw_update is torch.optim.AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay
 *     Regularization"; amsgrad off, maximize off) for one contiguous block of parameters, step t
 *     (1-based, counted per block: a lazily updated row passes its own count, see below):
 *         p <- p (1 - lr wd)                           decoupled weight decay (when `decay`)
 *         m <- b1 m + (1 - b1) g
 *         v <- b2 v + (1 - b2) g^2
 *         p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *     eps is added OUTSIDE the square root, after the bias correction of v, exactly where torch
 *     adds it.  Each element is computed in double from the float state and rounded once.
 *   - No global state; the caller owns parameters, gradients and moments (same layout).
 *   - Formulas and the lazy-row variant: docs/training.md ("Optimiser", "Schedule").
 */
#ifndef XL_TRAIN_OPTIM_H
#define XL_TRAIN_OPTIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"
#include "xl_thread.h"

typedef struct xl_adamw_hparams {
    double beta1;        /* 0.9 */
    double beta2;        /* 0.999 */
    double eps;          /* 1e-6 (BERT's AdamWeightDecay; torch's default is 1e-8) */
    double weight_decay; /* 0.01 (BERT); applied only to blocks with decay = true */
} xl_adamw_hparams;

void xl_adamw_hparams_default(xl_adamw_hparams *h);

/* One AdamW step over p[0..n) with gradient g, moments m, v (all [n]); t >= 1. */
void xl_adamw_update(const xl_adamw_hparams *h, double lr, uint64_t t, bool decay, float *p, const float *g, float *m,
                     float *v, size_t n);

/* The same update on up to n_threads threads of `pool` (xl_thread.h; NULL: the calling thread):
 * p[0..n) cut into fixed chunks of 16,384 floats.  With `rows` (the lazy word-embedding rows),
 * the block is a table of `width`-float rows and only rows[0..n_rows) are updated, one item each.
 * The update is elementwise and every element gets the same arithmetic on whatever thread, so the
 * result is bit-identical to xl_adamw_update for any thread count.  Below 65,536 floats, one
 * thread. */
void xl_adamw_update_pool(xl_pool *pool, int n_threads, const xl_adamw_hparams *h, double lr, uint64_t t, bool decay,
                          float *p, const float *g, float *m, float *v, size_t n);
void xl_adamw_update_rows_pool(xl_pool *pool, int n_threads, const xl_adamw_hparams *h, double lr, uint64_t t,
                               bool decay, float *p, const float *g, float *m, float *v, const uint32_t *rows,
                               size_t n_rows, size_t width);

/* Sum of squares of g[0..n) in double (for the global norm: sqrt of the sum over all blocks). */
double xl_grad_sumsq(const float *g, size_t n);
/* The factor clip_grad_norm_ multiplies every gradient by: max_norm / (norm + 1e-6) when that is
 * below 1, else 1 (torch.nn.utils.clip_grad_norm_; max_norm <= 0 disables clipping). */
double xl_clip_factor(double global_norm, double max_norm);
void xl_grad_scale(float *g, size_t n, float factor);

/* Learning-rate schedule.  For optimiser step t = 1..total:
 *     t <= warmup:   lr = peak * t / warmup                                    (linear warm-up)
 *     then, with q = (t - warmup) / (total - warmup) in (0, 1]:
 *       constant:    lr = peak
 *       linear:      lr = peak * (1 - q)       (HF get_linear_schedule_with_warmup; 0 at t = total)
 *       cosine:      lr = peak * 0.5 (1 + cos(pi q))     (HF get_cosine_schedule_with_warmup)
 * The lr of step t is used BY step t (HF's first step runs with lr 0 when warmup > 0; ours with
 * peak / warmup). */
typedef enum { XL_SCHED_LINEAR = 0, XL_SCHED_COSINE, XL_SCHED_CONSTANT } xl_schedule;

int xl_schedule_parse(const char *s, xl_schedule *out, xl_error *err);
const char *xl_schedule_name(xl_schedule s);
double xl_schedule_lr(xl_schedule s, double peak, uint64_t warmup, uint64_t total, uint64_t t);

#endif /* XL_TRAIN_OPTIM_H */
