/* pooling.c - sentence embeddings from the encoder's final hidden states:
 * sentence-transformers Pooling (cls / mean / max / mean_sqrt_len over the
 * positions whose attention mask is 1), BertPooler (tanh(W_p h_[CLS] + b_p)),
 * sentence-transformers Dense layers (act(W x + b)) and Normalize
 * (x / max(||x||_2, 1e-12)).  See bert.h and docs/encoder.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bert.h"
#include "xl_alloc.h"

/* Pool sequence s's rows h [len, H] into y [H]. */
static void pool_one(const float *h, size_t len, size_t H, const uint8_t *mask, xl_pooling mode, float *y)
{
    if (mode == XL_POOL_CLS) {
        memcpy(y, h, H * sizeof(float));
        return;
    }
    size_t count = 0;
    if (mode == XL_POOL_MAX) {
        /* sentence-transformers sets masked positions to -1e9 before the max, so a
         * sequence without any unmasked position pools to -1e9 */
        for (size_t j = 0; j < H; j++) y[j] = -INFINITY;
        for (size_t p = 0; p < len; p++) {
            if (mask && !mask[p]) continue;
            const float *r = h + p * H;
            for (size_t j = 0; j < H; j++)
                if (r[j] > y[j]) y[j] = r[j];
            count++;
        }
        if (count == 0)
            for (size_t j = 0; j < H; j++) y[j] = -1e9f;
        return;
    }
    /* mean: sum_p m_p h_p / max(sum_p m_p, 1e-9); accumulated in float in position order like torch.sum */
    for (size_t j = 0; j < H; j++) y[j] = 0.0f;
    for (size_t p = 0; p < len; p++) {
        if (mask && !mask[p]) continue;
        const float *r = h + p * H;
        for (size_t j = 0; j < H; j++) y[j] += r[j];
        count++;
    }
    float denom = mode == XL_POOL_MEAN_SQRT_LEN ? sqrtf((float)count) : (float)count;
    if (denom < 1e-9f) denom = 1e-9f;
    for (size_t j = 0; j < H; j++) y[j] /= denom;
}

int xl_bert_pool_hidden(const xl_bert *b, const xl_bert_input *in, const xl_bert_acts *a, xl_pooling pooling,
                        float *out, xl_error *err)
{
    const size_t H = b->cfg.hidden;
    if (pooling == XL_POOL_DEFAULT) pooling = b->cfg.pooling;
    if (pooling == XL_POOL_NONE || pooling == XL_POOL_POOLER)
        return xl_fail(err, XL_ERR_USAGE, "pooling '%s' is not a pooling of the hidden states", xl_pooling_name(pooling));
    if (a->n_seq != in->n_seq) return xl_fail(err, XL_ERR_USAGE, "pooling: batch differs from the last forward pass");
    const float *hs = xl_bert_last_hidden(b, a);
    for (size_t s = 0; s < in->n_seq; s++)
        pool_one(hs + a->off[s] * H, in->len[s], H, in->mask ? in->mask[s] : NULL, pooling, out + s * H);
    return 0;
}

int xl_bert_pool(const xl_bert *b, xl_kernels *k, int n_threads, const xl_bert_input *in, const xl_bert_acts *a,
                 xl_pooling pooling, bool normalize, float *out, xl_error *err)
{
    const xl_bert_config *c = &b->cfg;
    const size_t H = c->hidden, B = in->n_seq;
    if (pooling == XL_POOL_DEFAULT) pooling = c->pooling;
    if (pooling == XL_POOL_NONE)
        return xl_fail(err, XL_ERR_USAGE, "pooling 'none' has no sentence embedding (use the hidden states)");
    if (pooling == XL_POOL_POOLER && !c->has_pooler)
        return xl_fail(err, XL_ERR_USAGE, "pooling 'pooler': this model has no pooler layer");
    if (a->n_seq != B) return xl_fail(err, XL_ERR_USAGE, "pooling: batch differs from the last forward pass");
    const float *hs = xl_bert_last_hidden(b, a);
    const size_t D = xl_bert_output_dim(b, pooling);
    /* pooled [B, H]; the Dense chain ping-pongs between two [B, max width] buffers */
    size_t width = H;
    for (size_t i = 0; i < c->n_dense; i++)
        if (c->dense_out[i] > width) width = c->dense_out[i];
    size_t bytes;
    if (!xl_mul_size(B, width, &bytes) || !xl_mul_size(bytes, sizeof(float), &bytes))
        return xl_fail(err, XL_ERR_NOMEM, "pooling buffer too large");
    float *buf0 = xl_aligned_alloc(bytes, err), *buf1 = xl_aligned_alloc(bytes, err);
    if (buf0 == NULL || buf1 == NULL) {
        xl_aligned_free(buf0);
        xl_aligned_free(buf1);
        return -1;
    }
    xl_pooling mode = pooling == XL_POOL_POOLER ? XL_POOL_CLS : pooling;
    for (size_t s = 0; s < B; s++)
        pool_one(hs + a->off[s] * H, in->len[s], H, in->mask ? in->mask[s] : NULL, mode, buf0 + s * H);
    float *cur = buf0, *nxt = buf1;
    if (pooling == XL_POOL_POOLER) {
        /* BertPooler: tanh(h_cls W_p^T + b_p) */
        if (b->pooler_q.q != NULL) xl_qlinear(k, n_threads, cur, B, &b->pooler_q, b->pooler_b, XL_ACT_TANH, nxt);
        else xl_linear(k, n_threads, cur, B, &b->pooler, b->pooler_b, XL_ACT_TANH, nxt);
        float *t = cur;
        cur = nxt;
        nxt = t;
    } else {
        for (size_t i = 0; i < c->n_dense; i++) {
            /* sentence-transformers Dense: act(x W^T + b), x [B, in] -> [B, out] */
            if (b->dense_q[i].q != NULL) xl_qlinear(k, n_threads, cur, B, &b->dense_q[i], b->dense_b[i], c->dense_act[i], nxt);
            else xl_linear(k, n_threads, cur, B, &b->dense[i], b->dense_b[i], c->dense_act[i], nxt);
            float *t = cur;
            cur = nxt;
            nxt = t;
        }
    }
    if (normalize) xl_l2_normalize(k, cur, B, D);
    memcpy(out, cur, B * D * sizeof(float));
    xl_aligned_free(buf0);
    xl_aligned_free(buf1);
    return 0;
}
