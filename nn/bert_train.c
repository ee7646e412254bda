/* bert_train.c - training forward and backward pass of the BERT encoder (see bert_train.h;
 * formulas in docs/training.md).  Work in progress: the API is fixed, the bodies follow. */
#include <string.h>

#include "bert_train.h"

void xl_bert_train_ctx_init(xl_bert_train_ctx *c, xl_kernels *k, int n_threads)
{
    memset(c, 0, sizeof *c);
    c->k = k;
    c->n_threads = n_threads;
}

void xl_bert_train_ctx_free(xl_bert_train_ctx *c)
{
    memset(c, 0, sizeof *c);
}

const float *xl_bert_train_forward(xl_bert_train_ctx *c, const xl_bert_params *p, const xl_bert_input *in,
                                   xl_bert_dropout drop, xl_rng *rng, xl_error *err)
{
    (void)c, (void)p, (void)in, (void)drop, (void)rng;
    xl_fail(err, XL_ERR_GENERIC, "not implemented yet");
    return NULL;
}

const float *xl_bert_train_pool(xl_bert_train_ctx *c, const xl_bert_params *p, xl_pooling pooling, bool normalize,
                                xl_error *err)
{
    (void)c, (void)p, (void)pooling, (void)normalize;
    xl_fail(err, XL_ERR_GENERIC, "not implemented yet");
    return NULL;
}

size_t xl_bert_train_output_dim(const xl_bert_params *p)
{
    return p->cfg.n_dense ? p->cfg.dense_out[p->cfg.n_dense - 1] : p->cfg.hidden;
}

int xl_bert_train_backward(xl_bert_train_ctx *c, const xl_bert_params *p, xl_bert_grads *g, const float *d_sent,
                           const float *d_hidden, xl_error *err)
{
    (void)c, (void)p, (void)g, (void)d_sent, (void)d_hidden;
    return xl_fail(err, XL_ERR_GENERIC, "not implemented yet");
}

double xl_bert_train_flops(const xl_bert_config *cfg, const size_t *len, size_t n_seq)
{
    return 3.0 * xl_bert_flops(cfg, len, n_seq);
}
