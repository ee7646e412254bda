/* xl_eval.h - evaluation of recommenders: ranking and rating metrics, seeded
 * data splits, and the experiment runner behind `xlrec eval`.
 *
 * Metric definitions (docs/recommender.md has them with worked examples).
 * For one user with ranked list L (first K entries; XL_REC_NONE entries and
 * repeats of an item already listed count as misses), relevant set R with
 * gains g (1 for binary), rel_k = 1 when L_k is in R:
 *   Precision@K  = |L@K & R| / K            (K, not |L|, even when |L| < K)
 *   Recall@K     = |L@K & R| / |R|
 *   F1@K         = 2 P R / (P + R), 0 when both are 0 (per user, then averaged)
 *   DCG@K        = sum_k gain(L_k) / log2(k + 1),  k = 1..K
 *   NDCG@K       = DCG@K / IDCG@K, IDCG from R's gains sorted descending, top
 *                  min(K, |R|) (binary: gains 1; graded: the given gains)
 *   AP@K         = (1 / min(K, |R|)) sum_k P@k rel_k   (MAP = mean over users)
 *   RR@K         = 1 / rank of the first relevant item in L@K, 0 if none (MRR)
 *   HitRate@K    = 1 if |L@K & R| > 0
 *   coverage     = |union of all users' L@K| / n_items
 *   RMSE         = sqrt(mean (r - r_hat)^2),  MAE = mean |r - r_hat|
 * Users with an empty R have no defined recall/NDCG: they are skipped and
 * counted (n_skipped), never averaged in as 0 or 1.
 */
#ifndef XL_EVAL_H
#define XL_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_alloc.h"
#include "xl_error.h"
#include "xl_rec_data.h"
#include "xl_rec_model.h"
#include "xl_stats.h"

typedef struct xl_rank_metrics {
    double precision, recall, f1, ndcg, ndcg_graded, map, mrr, hit;
} xl_rank_metrics;

/* One user's metrics.  gains may be NULL (all 1).  Returns -1 (out zeroed)
 * when n_relevant == 0 or k == 0, else 0. */
int xl_metrics_user(const uint32_t *ranked, size_t n_ranked, size_t k, const uint32_t *relevant, const double *gains,
                    size_t n_relevant, xl_rank_metrics *out);

/* Running mean over users. */
typedef struct xl_rank_accum {
    xl_rank_metrics sum;
    size_t n_users, n_skipped;
} xl_rank_accum;
void xl_rank_accum_init(xl_rank_accum *a);
void xl_rank_accum_add(xl_rank_accum *a, const xl_rank_metrics *m);
void xl_rank_accum_mean(const xl_rank_accum *a, xl_rank_metrics *out);

double xl_metric_rmse(const double *pred, const double *truth, size_t n);
double xl_metric_mae(const double *pred, const double *truth, size_t n);
/* Distinct valid items in n_lists lists of length k, divided by n_items. */
double xl_metric_coverage(const uint32_t *lists, size_t n_lists, size_t k, uint32_t n_items);

/* ---------------------------------------------------------------- splits */

typedef enum {
    XL_SPLIT_RANDOM,     /* global: round(ratio * n) random interactions -> test (fold 1) */
    XL_SPLIT_USER_RATIO, /* per user: round(ratio * n_u) random ones, at most n_u - 1 -> test */
    XL_SPLIT_LAST,       /* per user with n_u >= 2: the last_n latest (by time, later row on ties),
                          * at most n_u - 1 -> test */
    XL_SPLIT_KFOLD,      /* shuffled, fold = position * k / n */
    XL_SPLIT_TIME        /* global time cut: time >= time_cut -> test when has_time_cut, else the
                          * round(ratio * n) latest interactions (by time, later row on ties) */
} xl_split_kind;

/* Everything a split needs; xl_split_spec_default gives ratio 0.25, 5 folds, seed 42, last_n 1. */
typedef struct xl_split_spec {
    xl_split_kind kind;
    double ratio;       /* random, ratio, time without a cut */
    int folds;          /* kfold */
    uint64_t seed;      /* random, ratio, kfold */
    int last_n;         /* last: held-out interactions per user (>= 1) */
    bool has_time_cut;  /* time: cut at time_cut instead of by ratio */
    int64_t time_cut;
} xl_split_spec;
void xl_split_spec_default(xl_split_spec *s);

/* Assign a fold to each of the interactions subset[0..n) (indices into x;
 * subset NULL = all of x, n = x->n): 0 = train, 1 = test, or 0..folds-1 for
 * k-fold.  Deterministic given seed. */
int xl_split_assign(const xl_interactions *x, const size_t *subset, size_t n, uint32_t n_users, xl_split_kind kind,
                    double ratio, int folds, uint64_t seed, uint8_t *fold, xl_error *err);
/* The same for any spec (the function above is this with last_n 1 and no time cut).  The time
 * kinds (last, time) read x->time: the caller checks that the data has timestamps. */
int xl_split_assign_spec(const xl_interactions *x, const size_t *subset, size_t n, uint32_t n_users,
                         const xl_split_spec *spec, uint8_t *fold, xl_error *err);
int xl_split_parse(const char *name); /* "random" "ratio" "last" "kfold" "time", -1 if unknown */

/* ---------------------------------------------------------------- runner */

typedef struct xl_eval_config {
    xl_split_kind protocol;
    double test_ratio;      /* random / ratio */
    int folds;              /* kfold */
    int last_n;             /* last: held-out interactions per user (default 1) */
    bool has_time_cut;      /* time: test = time >= time_cut (else the latest test_ratio share) */
    int64_t time_cut;
    size_t k;
    double relevance_threshold; /* test items with rating >= this are relevant (0: all) */
    double val_ratio;       /* hybrid weight search: per-user validation share of train */
    uint64_t seed;
    int threads;
    bool by_language;       /* breakdown by item language (needs item_lang) */
    bool cold_start;        /* breakdown for items without training interactions */
    /* Tune als, bpr and itemknn on the validation split of each fold's training data (per-user
     * val_ratio, xl_eval_validation_split): coordinate search over the grid documented in
     * docs/recommender.md by NDCG@K, then refit on all training data with the chosen values. */
    bool tune;
    /* Progress (optional): called before and after each model of each fold with a one-line
     * message ("fold 1/5: als fitted in 3.2 s, scored in 0.4 s"); the library never prints. */
    void (*progress)(void *ctx, const char *message);
    void *progress_ctx;
    /* Per-user metrics (optional): called for every user with a relevant held-out item, for
     * every ranking model and fold, on the "all" subset, in the same user order for every model
     * of a fold (so two models' calls pair up).  model_index indexes `kinds`. */
    void (*per_user)(void *ctx, size_t model_index, int fold, uint32_t user, const xl_rank_metrics *m,
                     size_t n_relevant);
    void *per_user_ctx;
    /* A given split (optional): fold[e] for every interaction of the dataset, 0 = train,
     * 1 = test (`--train FILE --test FILE`); protocol, ratio and folds are then unused. */
    const uint8_t *given_fold;
} xl_eval_config;

void xl_eval_config_default(xl_eval_config *c);
/* The split spec of a config (protocol, ratio, folds, seed, last_n, time cut). */
void xl_eval_split_spec(const xl_eval_config *c, xl_split_spec *out);

#define XL_EVAL_MAX_ROWS 256
/* room for --tune's "name=value ..." of the longest grid (als: five values) and its validation NDCG */
#define XL_EVAL_TUNED_MAX 160

typedef struct xl_eval_row {
    char model[32];
    char subset[48];        /* "all", "lang=ko", "cold-start" */
    bool has_rank, has_rating;
    xl_rank_metrics rank;   /* mean over folds of per-fold user means */
    double ndcg_sd;         /* std over folds (0 for one fold) */
    size_t n_users, n_skipped;
    double coverage;        /* -1 where undefined (language and cold-start subsets): printed "-" / null */
    double rmse, mae, rmse_sd;
    size_t n_pred;
    double fit_seconds;     /* mean over folds */
    double hybrid_alpha;    /* chosen weight (hybrid), else -1 */
    double hybrid_val_ndcg[3]; /* hybrid: validation NDCG@K of the chosen blend, CF alone, content alone */
    char tuned[XL_EVAL_TUNED_MAX]; /* --tune: the chosen values and their validation NDCG ("" when not tuned) */
} xl_eval_row;

typedef struct xl_eval_result {
    xl_eval_config config;
    bool external;          /* lists scored from files: no split, so no protocol/ratio/folds/seed */
    bool given_split;       /* --train/--test: protocol "given", no ratio/folds */
    int n_folds_run;
    size_t n_rows;
    xl_eval_row rows[XL_EVAL_MAX_ROWS];
    /* paired tests on per-user NDCG (filled by the caller, e.g. `xlrec eval --significance`):
     * model_a against model_b over the same users (and folds) */
    size_t n_tests;
    struct {
        char model_a[32], model_b[32];
        xl_paired_test r;
    } tests[16];
} xl_eval_result;

/* The validation split carved from training data only, used by every tuning step (the
 * hybrid's weight search) and written by xl_eval_write_split: the training CSR's entries as
 * triplets in CSR order (tr, initialised here) and per-user ratio split with share val_ratio
 * and seed + 1000 into fold[0..train->nnz) (1 = validation). */
int xl_eval_validation_split(const xl_csr *train, double val_ratio, uint64_t seed, xl_interactions *tr, uint8_t *fold,
                             xl_error *err);

/* The same validation split as two CSR matrices over n_users x n_items: vtrain (the rest of
 * train) and vtest (the held-out share); the caller frees both (xl_csr_free), also on error. */
int xl_eval_validation_csr(const xl_csr *train, double val_ratio, uint64_t seed, uint32_t n_users, uint32_t n_items,
                           xl_csr *vtrain, xl_csr *vtest, xl_error *err);

/* The hybrid's CF weight chosen on validation (issue 17), shared by `xlrec eval` and `xlrec run`:
 * the hybrid (params, CF part params->hybrid_cf) is fitted once on the validation split's
 * training part (xl_eval_validation_csr with val_ratio and seed), then alpha in {0, 0.1, ..., 1}
 * ranks the users with a validation item (top k, training items excluded) and is scored by
 * NDCG@k against the held-out part (items with rating >= relevance_threshold relevant); the
 * highest wins, ties the smaller alpha.  alpha = 1 ranks exactly as the CF part alone and 0 as
 * the content part alone (per-user z-scores keep each part's order), so the chosen blend is
 * never worse on validation than either part.  out: alpha, its NDCG, the CF part's (alpha 1)
 * and the content part's (alpha 0), and the users scored; with no user holding a relevant
 * validation item alpha = 0.5 and the three NDCGs are -1. */
typedef struct {
    double val_ratio;           /* per-user validation share of train (eval: --val-ratio; run: 0.2) */
    uint64_t seed;              /* the split uses seed + 1000 (xl_eval_validation_split) */
    size_t k;
    double relevance_threshold; /* run: 0 (every held-out item relevant) */
    int threads;
} xl_eval_hybrid_config;
typedef struct {
    double alpha, ndcg, ndcg_cf, ndcg_content;
    size_t n_users;
} xl_eval_hybrid_choice;
int xl_eval_hybrid_alpha(const xl_csr *train, uint32_t n_users, uint32_t n_items, const xl_rec_params *params,
                         const xl_item_vectors *vectors, const xl_eval_hybrid_config *hc, xl_eval_hybrid_choice *out,
                         xl_error *err);

/* Write the split xl_eval_run makes under config (one split, or k folds as DIR/fold-N/) as
 * DIR/train.csv (every training interaction: what the reported models are fitted on),
 * DIR/validation.csv (the rows of train.csv that tuning holds out, xl_eval_validation_split),
 * DIR/test.csv, and DIR/items.csv (the item ids in index order: pass it as --items to get the
 * same item numbering, hence the same ties and random draws, with --train/--test).  Rows:
 * user,item[,rating][,time] with the original ids, RFC 4180 quoting where needed, in CSR
 * order.  DIR must exist. */
int xl_eval_write_split(const xl_rec_dataset *d, const xl_eval_config *config, const char *dir, xl_error *err);

/* Models evaluated on ratings only (RMSE/MAE): mean ranks by a constant (item index), baseline and
 * mf by predicted rating; their ranking rows are omitted (has_rank false). */
bool xl_eval_rating_only(xl_rec_kind kind);

/* Run every model in `kinds` under the protocol.  vectors may be NULL (then
 * content models are refused).  params.seed is replaced by config.seed. */
int xl_eval_run(const xl_rec_dataset *d, const xl_item_vectors *vectors, const xl_rec_kind *kinds, size_t n_kinds,
                const xl_rec_params *params, const xl_eval_config *config, xl_eval_result *out, xl_error *err);

/* Score externally produced ranked lists: lists[u * k ..] per user index u in
 * [0, n_users), truth as a users x items CSR whose values are gains. */
int xl_eval_lists(const uint32_t *lists, size_t n_users, size_t k, const xl_csr *truth, double relevance_threshold,
                  uint32_t n_items, xl_eval_row *row, xl_error *err);
/* The same on a subset: users u with user_group[u] equal to `ug`, relevant
 * items only those with item_group[i] equal to `ig` (e.g. user language ->
 * item language).  Fills the rank metrics and n_users; coverage (undefined on
 * a subset of the items) and hybrid_alpha are -1; model and subset names are
 * the caller's. */
int xl_eval_lists_groups(const uint32_t *lists, size_t n_users, size_t k, const xl_csr *truth,
                         char *const *user_group, const char *ug, char *const *item_group, const char *ig,
                         xl_eval_row *row, xl_error *err);

/* Files from another system (formats in xl_eval_external.c): predictions
 * as "user<TAB>item item ..." lines or "user,item,score" rows; truth as
 * "user,item[,gain]".  header: both files start with a header row.
 * *ignored_users counts prediction rows/lines for users absent from truth. */
int xl_eval_external(const char *pred_path, const char *truth_path, size_t k, double threshold, bool header,
                     xl_eval_row *row, size_t *ignored_users, xl_error *err);

/* JSON report and readable table appended to buf. */
int xl_eval_json(const xl_eval_result *r, const char *dataset_name, xl_buf *buf, xl_error *err);
int xl_eval_table(const xl_eval_result *r, xl_buf *buf, xl_error *err);

#endif /* XL_EVAL_H */
