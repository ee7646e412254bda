/* xl_rec_internal.h - the fitted model's fields and the helpers shared by the
 * dispatch and scoring code (xl_rec_model.c), one file per model family
 * (xl_rec_baseline.c, xl_rec_mf.c, xl_rec_bpr.c, xl_rec_als.c, xl_rec_itemknn.c,
 * xl_rec_content.c, xl_rec_hybrid.c) and the model file reader/writer
 * (xl_rec_file.c).  Not part of the public API: use xl_rec_model.h.
 * Every fit function fills the fields of its family in an xl_rec_model whose
 * kind, params, sizes, train copy and item vectors are already set, returns 0
 * or -1 with err set; the caller (xl_rec_fit) frees the model on failure. */
#ifndef XL_REC_INTERNAL_H
#define XL_REC_INTERNAL_H

#include "xl_rec_model.h"
#include "xl_rng.h"

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
    /* users without training history rank by popularity (issue 17): training users per item, derived
     * from the training matrix by xl_rec_fit and the model file reader (never saved), copied by fold-in */
    float *item_users;
    /* hybrid */
    xl_rec_model *cf, *content;
    double alpha;
    double trace[MAX_TRACE];
    int n_trace;
};

/* shared helpers (xl_rec_model.c) */
double xl_rec_dot_d(const float *a, const float *b, size_t n);
float *xl_rec_alloc_factors(size_t rows, size_t f, xl_error *err); /* zeroed, aligned; xl_aligned_free */
void xl_rec_init_normal(float *m, size_t n, double std, xl_rng *rng);
float *xl_rec_vec_f(size_t n, xl_error *err);   /* zeroed */
double *xl_rec_vec_d(size_t n, xl_error *err);  /* zeroed */
double xl_rec_global_mean(const xl_csr *t);
/* size-k min-heap (worst on top; better = higher score, then lower index) and its drain, best first */
void xl_rec_heap_push(float *hs, uint32_t *hi, size_t *n, size_t k, float s, uint32_t item);
void xl_rec_heap_drain(float *hs, uint32_t *hi, size_t n, float *out_s, uint32_t *out_i);
bool xl_rec_is_linear(const xl_rec_model *m);
int xl_rec_count_item_users(xl_rec_model *m, xl_error *err); /* m->item_users from m->train */
int xl_rec_similar_raw(const xl_rec_model *m, uint32_t item, float *sims, float absent, xl_error *err);

/* model families */
int xl_rec_fit_popularity(xl_rec_model *m, const xl_csr *train, xl_error *err); /* xl_rec_baseline.c */
int xl_rec_fit_mean(xl_rec_model *m, const xl_csr *train, xl_error *err);
int xl_rec_fit_baseline(xl_rec_model *m, const xl_csr *R, xl_error *err);
int xl_rec_biases_to_linear(xl_rec_model *m, xl_error *err);
int xl_rec_fit_mf(xl_rec_model *m, const xl_csr *R, xl_error *err);  /* xl_rec_mf.c */
int xl_rec_fit_bpr(xl_rec_model *m, const xl_csr *R, xl_error *err); /* xl_rec_bpr.c */
int xl_rec_fit_als(xl_rec_model *m, const xl_csr *R, xl_error *err); /* xl_rec_als.c */
int xl_rec_als_fold_in(xl_rec_model *n, const xl_rec_model *m, xl_error *err);
int xl_rec_fit_itemknn(xl_rec_model *m, const xl_csr *R, xl_error *err); /* xl_rec_itemknn.c */
void xl_rec_itemknn_score(const xl_rec_model *m, uint32_t user, float *scores);
int xl_rec_fit_content(xl_rec_model *m, xl_error *err); /* xl_rec_content.c */
int xl_rec_fit_cosbias(xl_rec_model *m, xl_error *err);
int xl_rec_fit_hybrid(xl_rec_model *m, const xl_rec_params *p, const xl_csr *train, const xl_item_vectors *vectors,
                      xl_error *err); /* xl_rec_hybrid.c */
void xl_rec_zscore(float *s, size_t n);
void xl_rec_hybrid_score(const xl_rec_model *m, uint32_t user, float *scores, float *scratch);
int xl_rec_hybrid_similar(const xl_rec_model *m, uint32_t item, float *sims, float *scratch, xl_error *err);

#endif /* XL_REC_INTERNAL_H */
