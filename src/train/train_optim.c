/* train_optim.c - AdamW, global-norm clipping, learning-rate schedules (train_optim.h). */
#include "train_optim.h"

#include <math.h>
#include <string.h>

void xl_adamw_hparams_default(xl_adamw_hparams *h)
{
    h->beta1 = 0.9;
    h->beta2 = 0.999;
    h->eps = 1e-6;
    h->weight_decay = 0.01;
}

void xl_adamw_update(const xl_adamw_hparams *h, double lr, uint64_t t, bool decay, float *p, const float *g, float *m,
                     float *v, size_t n)
{
    const double b1 = h->beta1, b2 = h->beta2;
    const double bc1 = 1.0 - pow(b1, (double)t);          /* bias corrections (Kingma & Ba 2015, Alg. 1) */
    const double bc2_sqrt = sqrt(1.0 - pow(b2, (double)t));
    const double step_size = lr / bc1;
    const double shrink = decay ? 1.0 - lr * h->weight_decay : 1.0; /* decoupled decay, before the step */
    for (size_t i = 0; i < n; i++) {
        const double gi = g[i];
        const double mi = b1 * (double)m[i] + (1.0 - b1) * gi;
        const double vi = b2 * (double)v[i] + (1.0 - b2) * gi * gi;
        m[i] = (float)mi;
        v[i] = (float)vi;
        const double denom = sqrt((double)v[i]) / bc2_sqrt + h->eps;
        p[i] = (float)((double)p[i] * shrink - step_size * (double)m[i] / denom);
    }
}

/* ---- AdamW over a pool ---------------------------------------------------------------------- */

typedef struct {
    const xl_adamw_hparams *h;
    double lr;
    uint64_t step;
    bool decay;
    float *p, *m, *v;
    const float *g;
    size_t n;             /* floats (dense), or the row width (rows) */
    const uint32_t *rows; /* lazy rows: item i = row rows[i] of n floats; NULL: dense chunks */
} adamw_job;

#define ADAMW_CHUNK ((size_t)16384)

static void adamw_range(void *ctx, size_t b, size_t e, int tid)
{
    const adamw_job *j = ctx;
    (void)tid;
    if (j->rows != NULL) {
        for (size_t r = b; r < e; r++) {
            const size_t off = (size_t)j->rows[r] * j->n;
            xl_adamw_update(j->h, j->lr, j->step, j->decay, j->p + off, j->g + off, j->m + off, j->v + off, j->n);
        }
        return;
    }
    const size_t lo = b * ADAMW_CHUNK, hi = e * ADAMW_CHUNK < j->n ? e * ADAMW_CHUNK : j->n;
    xl_adamw_update(j->h, j->lr, j->step, j->decay, j->p + lo, j->g + lo, j->m + lo, j->v + lo, hi - lo);
}

static void adamw_run(xl_pool *pool, int nt, adamw_job *j, size_t items, size_t floats)
{
    if (pool == NULL || nt <= 1 || items < 2 || floats < 65536) adamw_range(j, 0, items, 0);
    else xl_pool_run(pool, nt, items, adamw_range, j);
}

void xl_adamw_update_pool(xl_pool *pool, int n_threads, const xl_adamw_hparams *h, double lr, uint64_t t, bool decay,
                          float *p, const float *g, float *m, float *v, size_t n)
{
    adamw_job j = {h, lr, t, decay, p, m, v, g, n, NULL};
    adamw_run(pool, n_threads, &j, (n + ADAMW_CHUNK - 1) / ADAMW_CHUNK, n);
}

void xl_adamw_update_rows_pool(xl_pool *pool, int n_threads, const xl_adamw_hparams *h, double lr, uint64_t t,
                               bool decay, float *p, const float *g, float *m, float *v, const uint32_t *rows,
                               size_t n_rows, size_t width)
{
    adamw_job j = {h, lr, t, decay, p, m, v, g, width, rows};
    adamw_run(pool, n_threads, &j, n_rows, n_rows * width);
}

double xl_grad_sumsq(const float *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * (double)g[i];
    return s;
}

double xl_clip_factor(double global_norm, double max_norm)
{
    if (max_norm <= 0.0) return 1.0;
    double c = max_norm / (global_norm + 1e-6);
    return c < 1.0 ? c : 1.0;
}

void xl_grad_scale(float *g, size_t n, float factor)
{
    for (size_t i = 0; i < n; i++) g[i] *= factor;
}

int xl_schedule_parse(const char *s, xl_schedule *out, xl_error *err)
{
    if (strcmp(s, "linear") == 0) *out = XL_SCHED_LINEAR;
    else if (strcmp(s, "cosine") == 0) *out = XL_SCHED_COSINE;
    else if (strcmp(s, "constant") == 0) *out = XL_SCHED_CONSTANT;
    else return xl_fail(err, XL_ERR_USAGE, "unknown schedule '%s' (linear, cosine, constant)", s);
    return 0;
}

const char *xl_schedule_name(xl_schedule s)
{
    return s == XL_SCHED_COSINE ? "cosine" : s == XL_SCHED_CONSTANT ? "constant" : "linear";
}

double xl_schedule_lr(xl_schedule s, double peak, uint64_t warmup, uint64_t total, uint64_t t)
{
    if (t == 0) t = 1;
    if (warmup > 0 && t <= warmup) return peak * (double)t / (double)warmup;
    if (s == XL_SCHED_CONSTANT || total <= warmup) return peak;
    if (t > total) t = total;
    const double q = (double)(t - warmup) / (double)(total - warmup);
    if (s == XL_SCHED_COSINE) return peak * 0.5 * (1.0 + cos(3.14159265358979323846 * q));
    return peak * (1.0 - q);
}
