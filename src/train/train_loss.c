/* train_loss.c - LaBSE ranking loss, BERT/XLM masking, tied MLM head (train_loss.h). */
#include "train_loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"

/* ---- ranking --------------------------------------------------------------------------------- */

int xl_rank_loss(xl_kernels *k, int n_threads, const float *src, const float *tgt, size_t n, size_t d, double margin,
                 double scale, float *d_src, float *d_tgt, xl_rank_result *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return xl_fail(err, XL_ERR_USAGE, "ranking loss: empty batch");
    size_t nn;
    if (!xl_mul_size(n, n, &nn) || nn > SIZE_MAX / sizeof(double))
        return xl_fail(err, XL_ERR_NOMEM, "ranking loss: batch of %zu pairs too large", n);
    double *z = xl_malloc(nn * sizeof(double), err); /* Z [N, N] */
    double *g = z ? xl_malloc(nn * sizeof(double), err) : NULL; /* G [N, N] */
    float *f = g && k ? xl_malloc(nn * sizeof(float), err) : NULL; /* float S, then G^T, for the GEMMs */
    float *ft = f ? xl_malloc(nn * sizeof(float), err) : NULL;
    if (z == NULL || g == NULL || (k != NULL && ft == NULL)) {
        free(z);
        free(g);
        free(f);
        return -1;
    }
    /* S_ij = x_i . y_j (double loops, or one SGEMM: S[N, N] = src[N, D] tgt^T) */
    if (k != NULL) {
        xl_sgemm(k, n_threads, XL_TRANS, n, n, d, 1.0f, src, d, tgt, d, 0.0f, f, n);
        for (size_t t = 0; t < nn; t++) z[t] = f[t];
    } else {
        for (size_t i = 0; i < n; i++) {
            const float *x = src + i * d;
            for (size_t j = 0; j < n; j++) {
                const float *y = tgt + j * d;
                double s = 0.0;
                for (size_t t = 0; t < d; t++) s += (double)x[t] * (double)y[t];
                z[i * n + j] = s;
            }
        }
    }
    /* in-batch accuracy from S (no margin) */
    for (size_t i = 0; i < n; i++) {
        size_t best_r = 0, best_c = 0;
        for (size_t j = 1; j < n; j++) {
            if (z[i * n + j] > z[i * n + best_r]) best_r = j;
            if (z[j * n + i] > z[best_c * n + i]) best_c = j;
        }
        out->correct_st += best_r == i;
        out->correct_ts += best_c == i;
    }
    /* Z = s (S - m I) */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) z[i * n + j] = scale * (z[i * n + j] - (i == j ? margin : 0.0));

    /* Rows: P = softmax_j(Z_i.), L_st = mean_i (lse_i - Z_ii); G starts as P - I. */
    double l_st = 0.0, l_ts = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *zi = z + i * n;
        double mx = zi[0];
        for (size_t j = 1; j < n; j++) mx = zi[j] > mx ? zi[j] : mx;
        double sum = 0.0;
        for (size_t j = 0; j < n; j++) sum += exp(zi[j] - mx);
        double lse = mx + log(sum);
        l_st += lse - zi[i];
        for (size_t j = 0; j < n; j++) g[i * n + j] = exp(zi[j] - lse) - (i == j ? 1.0 : 0.0);
    }
    /* Columns: Q = softmax_i(Z_.j), L_ts = mean_j (lse_j - Z_jj); G += Q - I. */
    for (size_t j = 0; j < n; j++) {
        double mx = z[j];
        for (size_t i = 1; i < n; i++) mx = z[i * n + j] > mx ? z[i * n + j] : mx;
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) sum += exp(z[i * n + j] - mx);
        double lse = mx + log(sum);
        l_ts += lse - z[j * n + j];
        for (size_t i = 0; i < n; i++) g[i * n + j] += exp(z[i * n + j] - lse) - (i == j ? 1.0 : 0.0);
    }
    out->loss_st = l_st / (double)n;
    out->loss_ts = l_ts / (double)n;
    out->loss = 0.5 * (out->loss_st + out->loss_ts);

    /* G = s / (2N) (P + Q - 2I);  d src = G tgt [N, D],  d tgt = G^T src [N, D]. */
    const double c = scale / (2.0 * (double)n);
    for (size_t t = 0; t < nn; t++) g[t] *= c;
    if (k != NULL) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                f[i * n + j] = (float)g[i * n + j];
                ft[j * n + i] = (float)g[i * n + j];
            }
        if (d_src != NULL) xl_sgemm(k, n_threads, XL_NO_TRANS, n, d, n, 1.0f, f, n, tgt, d, 0.0f, d_src, d);
        if (d_tgt != NULL) xl_sgemm(k, n_threads, XL_NO_TRANS, n, d, n, 1.0f, ft, n, src, d, 0.0f, d_tgt, d);
    } else {
        if (d_src != NULL)
            for (size_t i = 0; i < n; i++)
                for (size_t t = 0; t < d; t++) {
                    double s = 0.0;
                    for (size_t j = 0; j < n; j++) s += g[i * n + j] * (double)tgt[j * d + t];
                    d_src[i * d + t] = (float)s;
                }
        if (d_tgt != NULL)
            for (size_t j = 0; j < n; j++)
                for (size_t t = 0; t < d; t++) {
                    double s = 0.0;
                    for (size_t i = 0; i < n; i++) s += g[i * n + j] * (double)src[i * d + t];
                    d_tgt[j * d + t] = (float)s;
                }
    }
    free(z);
    free(g);
    free(f);
    free(ft);
    return 0;
}

/* ---- masking --------------------------------------------------------------------------------- */

void xl_mlm_masking_default(xl_mlm_masking *m, int32_t mask_id, size_t vocab_size, const int32_t *special,
                            size_t n_special)
{
    m->select_prob = 0.15;
    m->mask_prob = 0.8;
    m->random_prob = 0.1;
    m->mask_id = mask_id;
    m->vocab_size = vocab_size;
    m->special = special;
    m->n_special = n_special;
}

static bool is_special(const xl_mlm_masking *m, int32_t id)
{
    for (size_t i = 0; i < m->n_special; i++)
        if (m->special[i] == id) return true;
    return false;
}

/* p in [0, 1] -> the u32 threshold t with P(u32 < t) = p (to 2^-32): integer-only comparisons,
 * so the selection is the same on every platform. */
static uint64_t u32_threshold(double p)
{
    if (p <= 0.0) return 0;
    if (p >= 1.0) return (uint64_t)1 << 32;
    return (uint64_t)(p * 4294967296.0);
}

size_t xl_mlm_mask(const xl_mlm_masking *m, xl_rng *rng, int32_t *ids, size_t len, int32_t *labels)
{
    const uint64_t t_sel = u32_threshold(m->select_prob);
    const uint64_t t_mask = u32_threshold(m->mask_prob);
    const uint64_t t_rand = u32_threshold(m->mask_prob + m->random_prob);
    /* a random token must exist outside the special ids (else "random" keeps the token) */
    const bool can_draw = m->vocab_size > m->n_special && m->vocab_size <= UINT32_MAX;
    size_t n_sel = 0;
    for (size_t i = 0; i < len; i++) {
        labels[i] = -1;
        uint32_t u = xl_rng_u32(rng);
        if (is_special(m, ids[i]) || (uint64_t)u >= t_sel) continue;
        labels[i] = ids[i];
        n_sel++;
        uint32_t w = xl_rng_u32(rng);
        if ((uint64_t)w < t_mask) {
            ids[i] = m->mask_id;
        } else if ((uint64_t)w < t_rand && can_draw) {
            int32_t r;
            do r = (int32_t)xl_rng_below(rng, (uint32_t)m->vocab_size);
            while (is_special(m, r));
            ids[i] = r;
        } /* else: kept unchanged (still predicted) */
    }
    return n_sel;
}

/* ---- tied MLM head --------------------------------------------------------------------------- */

void xl_mlm_head_free(xl_mlm_head_ws *ws)
{
    free(ws->logits);
    free(ws->db);
    memset(ws, 0, sizeof *ws);
}

int xl_mlm_head_loss(xl_kernels *k, int n_threads, const float *h, const int32_t *labels, size_t m, const float *w,
                     const float *b, size_t v, size_t hd, double weight, float *d_h, float *dw, float *db,
                     xl_mlm_head_ws *ws, xl_mlm_result *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    if (m == 0) return 0; /* nothing selected: no loss, no gradient */
    size_t mv;
    if (!xl_mul_size(m, v, &mv) || mv > SIZE_MAX / sizeof(float) || v > SIZE_MAX / sizeof(double))
        return xl_fail(err, XL_ERR_NOMEM, "MLM head: %zu positions x %zu vocabulary too large", m, v);
    if (mv > ws->cap) {
        float *p = xl_malloc(mv * sizeof(float), err);
        if (p == NULL) return -1;
        free(ws->logits);
        ws->logits = p;
        ws->cap = mv;
    }
    if (v > ws->cap_db) {
        double *p = xl_malloc(v * sizeof(double), err);
        if (p == NULL) return -1;
        free(ws->db);
        ws->db = p;
        ws->cap_db = v;
    }
    for (size_t i = 0; i < m; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= v)
            return xl_fail(err, XL_ERR_USAGE, "MLM head: label %ld at position %zu outside the vocabulary of %zu",
                           (long)labels[i], i, v);
    /* logits[M, V] = h[M, H] W^T (W stored [V, H]: op(B) = B^T), then + b per row */
    xl_sgemm(k, n_threads, XL_TRANS, m, v, hd, 1.0f, h, hd, w, hd, 0.0f, ws->logits, v);
    const double c = weight / (double)m;
    double ce = 0.0;
    memset(ws->db, 0, v * sizeof(double));
    for (size_t i = 0; i < m; i++) {
        float *zi = ws->logits + i * v;
        size_t best = 0;
        for (size_t j = 0; j < v; j++) {
            zi[j] += b[j];
            if (zi[j] > zi[best]) best = j;
        }
        out->correct += best == (size_t)labels[i];
        const double mx = zi[best], z_label = zi[labels[i]];
        /* one exp per logit: e_j = exp(z_j - max) kept (float) for the softmax */
        double sum = 0.0;
        for (size_t j = 0; j < v; j++) {
            double e = exp((double)zi[j] - mx);
            sum += e;
            zi[j] = (float)e;
        }
        ce += mx + log(sum) - z_label;
        /* d logits_ij = c (softmax_ij - [j == label_i]), in place; db accumulates its columns */
        const double inv = 1.0 / sum;
        double *dbj = ws->db;
        for (size_t j = 0; j < v; j++) {
            double g = c * ((double)zi[j] * inv - (j == (size_t)labels[i] ? 1.0 : 0.0));
            zi[j] = (float)g;
            dbj[j] += (double)zi[j];
        }
    }
    out->mean_ce = ce / (double)m;
    out->loss = weight * out->mean_ce;
    for (size_t j = 0; j < v; j++) db[j] += (float)ws->db[j];
    /* d_h[M, H] = d logits[M, V] W[V, H];  dW[V, H] += d logits^T h  (transposed-A GEMM) */
    xl_sgemm(k, n_threads, XL_NO_TRANS, m, hd, v, 1.0f, ws->logits, v, w, hd, 0.0f, d_h, hd);
    xl_sgemm_ex(k, n_threads, XL_TRANS, XL_NO_TRANS, v, hd, m, 1.0f, ws->logits, v, h, hd, 1.0f, dw, hd);
    return 0;
}
