/* xl_rec_model.h - recommender models, fitting, scoring and top-K.
 *
 * Contract
 *   - Every model is fitted from a training matrix `train` (users x items CSR,
 *     values = ratings; implicit models treat every stored entry as a positive)
 *     and, for content models, L2-normalised item vectors (n_items x dim).
 *   - xl_rec_score fills scores[0..n_items) for one user (higher = better);
 *     xl_rec_predict gives a rating estimate (only for models with
 *     xl_rec_predicts_ratings), clipped to [rating_min, rating_max] when
 *     rating_min < rating_max (as Surprise does).
 *   - Every random step draws from PCG32 seeded with params.seed; with
 *     threads = 1 a fit is bit-for-bit repeatable; ALS, item-kNN, the bias
 *     fits and all scoring are also independent of the thread count (each
 *     thread owns whole rows).  BPR and SGD-MF run on one thread always.
 *   - Top-K excludes the user's training items, breaks score ties by the
 *     lower item index, and pads short lists with XL_REC_NONE.
 *   - Models:
 *       popularity   number of training users per item
 *       itemknn      item-item cosine on binary columns with shrinkage:
 *                    s_ij = |U_i & U_j| / (sqrt|U_i| sqrt|U_j| + shrink),
 *                    top `neighbors` per item; score_j = sum_{i in I_u} s_ij
 *       als          implicit MF, Hu, Koren & Volinsky 2008: c_ui = 1 + alpha*r
 *                    (r = 1 unless als_use_rating), alternating ridge solves
 *                    (users, items) als_iters times, then a last user solve;
 *                    unobserved pairs weigh 1, or by item popularity when
 *                    als_neg_exp != 0 (He et al. 2016); optional item bias
 *       bpr          Rendle et al. 2009, SGD on (u, i, j) triples, item bias
 *       mf           biased MF for ratings (Koren 2009, Surprise "SVD"):
 *                    r = mu + b_u + b_i + p_u.q_i, SGD
 *       mean         global mean rating
 *       baseline     mu + b_u + b_i, regularised least squares by alternating
 *                    closed-form updates (Koren 2010, sec. 2.1; Surprise ALS)
 *       content      profile p_u = sum w_ui v_i / sum w_ui over the history,
 *                    w = rating (or 1, or r - mean_u), times 2^(-age/half_life);
 *                    score = cos(p_u, v_j)
 *       cosbias      the system description's r = cos(p_u, v_i) * b_u * b_i + c
 *                    with b_u, b_i, c by regularised least squares (penalty
 *                    pulling b toward 1), alternating closed form; see
 *                    docs/recommender.md for the derivation
 *       hybrid       alpha * z(cf score) + (1 - alpha) * z(content score),
 *                    z = per-user standardisation over all items
 *   - pop_prior > 0 (itemknn, als, bpr): the score is shrunk toward popularity by
 *     the user's history size, (1 - w_u) z(score) + w_u z(popularity),
 *     w_u = pop_prior / (pop_prior + n_u)
 */
#ifndef XL_REC_MODEL_H
#define XL_REC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"
#include "xl_rec_data.h"

#define XL_REC_NONE UINT32_MAX

typedef enum {
    XL_REC_POPULARITY,
    XL_REC_ITEMKNN,
    XL_REC_ALS,
    XL_REC_BPR,
    XL_REC_MF,
    XL_REC_MEAN,
    XL_REC_BASELINE,
    XL_REC_CONTENT,
    XL_REC_COSBIAS,
    XL_REC_HYBRID,
    XL_REC_N_KINDS
} xl_rec_kind;

typedef enum { XL_PROFILE_RATING, XL_PROFILE_BINARY, XL_PROFILE_CENTERED } xl_profile_weight;

typedef struct xl_rec_params {
    uint64_t seed;
    int threads;             /* 0 = all CPUs */
    /* factor models */
    int factors;             /* ALS/BPR/MF latent dimension; 0 = the model's default (xl_rec_default_factors) */
    int epochs;              /* BPR/MF epochs, ALS iterations */
    double lr, reg;          /* MF: Surprise defaults 0.005 / 0.02; BPR: lr/reg for BPR */
    double init_std;         /* factor initialisation N(0, init_std) */
    double bpr_lr, bpr_reg;
    int bpr_epochs;
    double als_alpha, als_reg;
    int als_iters;
    bool als_use_rating;
    /* ALS missing-data weighting (He et al., SIGIR 2016; xl_rec_als.c): an unobserved pair (u, i)
     * weighs n_items (1 + |U_i|)^e / sum_j (1 + |U_j|)^e, |U_i| = training users of item i;
     * 0 = uniform weight 1 (Hu et al. 2008) */
    double als_neg_exp;
    /* ALS penalty of a user or item with n observed pairs: als_reg * n^als_reg_exp (Zhou et al.
     * 2008's weighted-lambda with 1); 0 = als_reg for every row */
    double als_reg_exp;
    /* ALS score x_u . y_i + b_i with a learned item bias (one more factor column, x_u's fixed at 1) */
    bool als_item_bias;
    /* ALS penalty of the user solves (and fold-in); 0 = als_reg (one penalty for both sides) */
    double als_reg_user;
    /* item-kNN */
    int knn_neighbors;
    double knn_shrink;
    /* popularity prior of the collaborative ranking models (itemknn, als, bpr; docs/recommender.md
     * "Popularity prior"): score = (1 - w_u) z(model score) + w_u z(training users per item),
     * w_u = pop_prior / (pop_prior + n_u), n_u = the user's training items, z = per-user
     * standardisation over all items; 0 = off (the model alone), a large value = popularity;
     * negative (the default) = the model's own, xl_rec_default_pop_prior */
    double pop_prior;
    /* baseline (mu + b_u + b_i) */
    double bias_reg_user, bias_reg_item; /* Surprise BaselineOnly: 15, 10 */
    int bias_epochs;                     /* 10 */
    /* content profile */
    xl_profile_weight profile_weight;
    double recency_half_life;            /* in time units of the data; 0 = off */
    /* cosbias */
    double cos_reg_user, cos_reg_item;   /* penalties lambda (b - 1)^2 */
    int cos_epochs;
    /* hybrid */
    double hybrid_alpha;                 /* weight of the CF part */
    xl_rec_kind hybrid_cf;               /* which CF model (default als) */
    /* prediction clipping (rating_min < rating_max to enable) */
    double rating_min, rating_max;
} xl_rec_params;

/* The latent dimension a model uses when params.factors is 0 (the default): mf 100 (Surprise's SVD),
 * als 64 and bpr 100 (measured on validation splits of three data sets, docs/recommender.md
 * "ALS and BPR defaults", "Sixth round"); 0 for models without factors. */
int xl_rec_default_factors(xl_rec_kind kind);
/* The popularity prior C a model uses when params.pop_prior is negative (the default): itemknn 1,
 * als 1, bpr 0 (chosen on validation splits of three data sets, docs/recommender.md "Fourth
 * round" and "Sixth round"); 0 for the models that do not take one. */
double xl_rec_default_pop_prior(xl_rec_kind kind);
void xl_rec_params_default(xl_rec_params *p);
const char *xl_rec_kind_name(xl_rec_kind k);
/* Parse a model name ("popularity", "itemknn", ...); -1 when unknown. */
int xl_rec_kind_parse(const char *name);
bool xl_rec_needs_vectors(xl_rec_kind k);
bool xl_rec_predicts_ratings(xl_rec_kind k);

typedef struct xl_rec_model xl_rec_model;

/* Fit.  `train` is users x items; `vectors` may be NULL unless the model needs
 * them (then vectors->n must equal train->n_cols).  The model keeps pointers
 * to `vectors` (must outlive it) but copies what it needs from `train`. */
xl_rec_model *xl_rec_fit(xl_rec_kind kind, const xl_rec_params *p, const xl_csr *train, const xl_item_vectors *vectors,
                         xl_error *err);
void xl_rec_free(xl_rec_model *m);
xl_rec_kind xl_rec_model_kind(const xl_rec_model *m);
uint32_t xl_rec_n_items(const xl_rec_model *m);
/* Seconds the fit took. */
double xl_rec_fit_seconds(const xl_rec_model *m);
/* Hybrid only: change the blend weight after fitting (validation search). */
void xl_rec_set_hybrid_alpha(xl_rec_model *m, double alpha);

/* Scores for one user over all items; `scratch` must hold
 * xl_rec_scratch_floats(m) floats (may be NULL when that is 0). */
size_t xl_rec_scratch_floats(const xl_rec_model *m);
void xl_rec_score(const xl_rec_model *m, uint32_t user, float *scores, float *scratch);
double xl_rec_predict(const xl_rec_model *m, uint32_t user, uint32_t item);

/* Top-K for n_users users (users[j]; NULL = 0..n_users-1): out_items and
 * out_scores are n_users x k, row j for users[j]; items in `exclude` rows
 * (NULL = none) are skipped.  Threaded with xl_parallel_for; factor and
 * content models score blocks of users per pass over the item matrix. */
int xl_rec_topk(const xl_rec_model *m, const xl_csr *exclude, const uint32_t *users, size_t n_users, size_t k,
                int threads, uint32_t *out_items, float *out_scores, xl_error *err);

/* Hybrid only: xl_rec_topk for each CF weight alphas[0..n_alpha) at once, list a of users[j] at
 * (a * n_users + j) * k of out_items / out_scores (n_alpha x n_users x k); each list is bit for
 * bit xl_rec_topk's after xl_rec_set_hybrid_alpha(m, alphas[a]).  Both parts are scored once per
 * user instead of once per weight (the validation search of xl_eval_hybrid_alpha). */
int xl_rec_hybrid_topk_alphas(const xl_rec_model *m, const xl_csr *exclude, const uint32_t *users, size_t n_users,
                              size_t k, const double *alphas, size_t n_alpha, int threads, uint32_t *out_items,
                              float *out_scores, xl_error *err);

/* Item-to-item similarity ("users who liked X"): sims[0..n_items) for item `item`, higher =
 * more similar, NaN = not listed (the item itself; for itemknn items outside X's fitted
 * neighbour list).  `scratch`: xl_rec_scratch_floats(m) floats.
 *   itemknn            the fitted neighbour similarity s_Xj (the top --neighbors of X)
 *   als, bpr, mf       cosine of the item factor rows q_X, q_j (as the implicit library's
 *                      similar_items; BPR's item bias is not used); 0 for a zero row
 *   content, cosbias   cosine of the item vectors (0 for an item never embedded)
 *   hybrid             alpha * z(CF similarity) + (1 - alpha) * z(content similarity), z over
 *                      all items but X, itemknn non-neighbours counting 0
 * popularity, mean and baseline have no item representation: an error (XL_ERR_USAGE). */
int xl_rec_similar(const xl_rec_model *m, uint32_t item, float *sims, float *scratch, xl_error *err);
/* Top-K most similar items of items[0..n) (ties by the lower index, NaN never listed, short
 * lists padded with XL_REC_NONE): out_items and out_scores are n x k. */
int xl_rec_similar_topk(const xl_rec_model *m, const uint32_t *items, size_t n, size_t k, uint32_t *out_items,
                        float *out_scores, xl_error *err);

/* Content/hybrid models: the history items that contributed most to
 * score(user, item): contribution_i = w_ui * cos(v_i, v_item) / sum w.
 * Writes up to n (item, contribution) pairs, largest first; returns count.
 * History items with contribution 0 (never embedded: zero vector; or orthogonal
 * to the item) are not listed. */
size_t xl_rec_explain(const xl_rec_model *m, uint32_t user, uint32_t item, size_t n, uint32_t *out_items,
                      float *out_contrib);

/* Fitted parameters for inspection and tests (NULL when the model lacks them). */
typedef struct xl_rec_biases {
    double mu;             /* global mean (baseline, mf) or c (cosbias) */
    const double *b_user;  /* n_users */
    const double *b_item;  /* n_items */
} xl_rec_biases;
int xl_rec_get_biases(const xl_rec_model *m, xl_rec_biases *out);
/* The user and item factors of a factor model (als, bpr, mf; -1 for the others). */
typedef struct xl_rec_factors {
    size_t f;       /* factor length */
    const float *P; /* n_users x f */
    const float *Q; /* n_items x f */
} xl_rec_factors;
int xl_rec_get_factors(const xl_rec_model *m, xl_rec_factors *out);
/* Objective value of the last cosbias/baseline iteration (tests: monotone). */
const double *xl_rec_objective_trace(const xl_rec_model *m, int *n);

/* Fold-in: the model applied to users described only by their history (users x items CSR,
 * the same item numbering; e.g. users absent from training).  Returns a model whose users are
 * history's rows; score, top-K (exclude = history) and explain work on it as on a fitted model.
 *   popularity, mean   unchanged item scores
 *   itemknn            score_j = sum over the history of s_ij (the fitted neighbours)
 *   als                least-squares fold-in: x_u solves the fit's user step against the fitted
 *                      item factors Y (the fit ends with a user step, so a training user's own
 *                      history gives back exactly its fitted x_u)
 *   content            the profile of the history
 *   hybrid             both parts folded in, blended with the fitted weight
 * Others (bpr, mf, baseline, cosbias) are refused.  The result keeps pointers to m's item
 * vectors: m must outlive it. */
xl_rec_model *xl_rec_fold_in(const xl_rec_model *m, const xl_csr *history, xl_error *err);

/* ---------------------------------------------------------------- model files
 * A fitted model with its user and item ids and training matrix, in a versioned,
 * checked, little-endian binary format (layout in xl_rec_file.c; docs/recommender.md).
 * A loaded model owns copies of everything, item vectors included, and scores exactly
 * as the saved one: save -> load -> top-K gives the same lists bit for bit. */
#define XL_REC_FILE_MAGIC "XLRECREC"
#define XL_REC_FILE_VERSION 3u /* 2: params end with pop_prior; 3: then als_neg_exp, als_reg_exp, als_item_bias, als_reg_user; older files are still read */
#define XL_REC_FILE_MAX_ID 4096u
/* users/items: the ids of rows/columns 0..n-1 (n must match the model). */
int xl_rec_save(const xl_rec_model *m, const xl_idmap *users, const xl_idmap *items, const char *path, xl_error *err);
/* users and items must be empty (xl_idmap_init); they receive the ids.  Every field is
 * checked; any problem is an error naming the file and the field, never a crash. */
int xl_rec_load_model(const char *path, xl_rec_model **out, xl_idmap *users, xl_idmap *items, xl_error *err);
int xl_rec_load_model_memory(const void *data, size_t len, const char *name, xl_rec_model **out, xl_idmap *users,
                             xl_idmap *items, xl_error *err);
/* The training matrix a model was fitted on (users x items; the items top-K excludes). */
const xl_csr *xl_rec_train_matrix(const xl_rec_model *m);
/* Threads for later scoring/fold-in of a loaded model (0 = all CPUs). */
void xl_rec_set_threads(xl_rec_model *m, int threads);

/* Dot product of two float vectors (tight, vectorisable). */
float xl_rec_dot(const float *a, const float *b, size_t n);

#endif /* XL_REC_MODEL_H */
