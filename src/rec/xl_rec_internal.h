/* xl_rec_internal.h - the fitted model's fields, shared by the fitting and
 * scoring code (xl_rec_model.c) and the model file reader/writer
 * (xl_rec_file.c).  Not part of the public API: use xl_rec_model.h. */
#ifndef XL_REC_INTERNAL_H
#define XL_REC_INTERNAL_H

#include "xl_rec_model.h"

#define MAX_TRACE 256
#define USER_BLOCK 8

struct xl_rec_model {
    xl_rec_kind kind;
    xl_rec_params p;
    uint32_t n_users, n_items;
    double fit_seconds;
    xl_csr train; /* users x items copy (item-kNN, content explanations) */
    /* linear form */
    size_t f;            /* factor length (0: no dot product) */
    float *P, *Q;        /* n_users x f, n_items x f (Q may alias vectors) */
    const float *Qv;     /* the Q actually used */
    float *a_u, *b_j, *g_j, *d_u;
    /* biases in double for inspection */
    double mu;
    double *bu, *bi;
    /* item-kNN */
    size_t nb_k;
    uint32_t *nb_idx; /* n_items x nb_k, XL_REC_NONE padded */
    float *nb_sim;
    /* content */
    const xl_item_vectors *iv;
    xl_item_vectors own_iv; /* a loaded model's own copy of the vectors (iv points here) */
    /* hybrid */
    xl_rec_model *cf, *content;
    double alpha;
    double trace[MAX_TRACE];
    int n_trace;
};

#endif /* XL_REC_INTERNAL_H */
