/* xl_rec_setup.c - see xl_rec_setup.h. */
#include "xl_rec_setup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_npy.h"
#include "xl_thread.h"
#include "xl_whiten.h"

void xl_rec_setup_default(xl_rec_setup *s)
{
    memset(s, 0, sizeof *s);
    xl_rec_params p;
    xl_rec_params_default(&p);
    xl_rec_load_options lo; /* the loader's defaults */
    xl_rec_load_options_default(&lo);
    s->sep = "auto"; /* lo.separator == XL_REC_SEP_AUTO */
    s->item_sep = "auto";
    s->encoding = lo.encoding == XL_ENC_LATIN1 ? "latin1" : "utf8";
    s->user_col = lo.user_col;
    s->item_col = lo.item_col;
    s->item_id_col = lo.item_id_col;
    s->rating_min = NAN; /* unset: [-XL_RATING_ABS_MAX, XL_RATING_ABS_MAX] */
    s->rating_max = NAN;
    s->rating_policy = "reject";
    s->seed = (int64_t)p.seed;
    s->threads = p.threads;
    s->factors = p.factors;
    s->epochs = p.epochs;
    s->bpr_epochs = p.bpr_epochs;
    s->als_iters = p.als_iters;
    s->neighbors = p.knn_neighbors;
    s->bias_epochs = p.bias_epochs;
    s->cos_epochs = p.cos_epochs;
    s->lr = p.lr;
    s->reg = p.reg;
    s->bpr_lr = p.bpr_lr;
    s->bpr_reg = p.bpr_reg;
    s->als_alpha = p.als_alpha;
    s->als_reg = p.als_reg;
    s->als_neg_exp = p.als_neg_exp;
    s->als_reg_exp = p.als_reg_exp;
    s->als_item_bias = p.als_item_bias ? 1 : 0;
    s->als_reg_user = p.als_reg_user;
    s->shrink = p.knn_shrink;
    s->pop_prior = p.pop_prior;
    s->half_life = 0;
    s->cos_reg = p.cos_reg_user;
    s->bias_reg_user = p.bias_reg_user;
    s->bias_reg_item = p.bias_reg_item;
    s->hybrid_alpha = p.hybrid_alpha;
    s->init_std = p.init_std;
    s->profile = "rating";
    s->hybrid_cf = xl_rec_kind_name(p.hybrid_cf); /* itemknn, as `xlrec run` */
}

int xl_rec_setup_options(xl_rec_setup *s, xl_option *opts, size_t *n, size_t cap)
{
    const xl_option shared[] = {
        {"ratings", 'r', XL_OPT_STRING, &s->ratings, "FILE", "interactions CSV/TSV: user, item[, rating][, time]", 0, 0, NULL},
        {"sep", 0, XL_OPT_STRING, &s->sep, "C",
         "separator of the ratings file: 'auto' (from the first line: '::', tab, ';' or ','), ',', 'tab', ';', "
         "'::' ...", 0, 0, NULL},
        {"encoding", 0, XL_OPT_CHOICE, &s->encoding, NULL,
         "text encoding of every input file; utf8 is checked (an error names line and byte)", 0, 0, "utf8|latin1"},
        {"no-header", 0, XL_OPT_FLAG, &s->no_header, NULL, "the ratings file has no header row (columns by index)", 0, 0, NULL},
        {"no-quote", 0, XL_OPT_FLAG, &s->no_quote, NULL, "'\"' is an ordinary character in the ratings file", 0, 0, NULL},
        {"user-col", 0, XL_OPT_STRING, &s->user_col, "COL", "user column: header name or 0-based index", 0, 0, NULL},
        {"item-col", 0, XL_OPT_STRING, &s->item_col, "COL", "item column", 0, 0, NULL},
        {"rating-col", 0, XL_OPT_STRING, &s->rating_col, "COL", "rating column (absent: implicit, every row = 1)", 0, 0, NULL},
        {"time-col", 0, XL_OPT_STRING, &s->time_col, "COL", "integer timestamp column (recency, leave-last-out)", 0, 0, NULL},
        {"rating-min", 0, XL_OPT_DOUBLE, &s->rating_min, "X",
         "smallest valid rating (default: -1e9; each bound may be given alone)", 0, 0, NULL},
        {"rating-max", 0, XL_OPT_DOUBLE, &s->rating_max, "X", "largest valid rating (default: 1e9)", 0, 0, NULL},
        {"rating-policy", 0, XL_OPT_CHOICE, &s->rating_policy, NULL,
         "a rating outside the range: reject = error naming the line; clamp into the range or skip the row "
         "(counted in the load report)", 0, 0, "reject|clamp|skip"},
        {"strict", 0, XL_OPT_FLAG, &s->strict, NULL, "a bad row is an error instead of dropped-and-counted", 0, 0, NULL},
        {"items", 0, XL_OPT_STRING, &s->items, "FILE", "items CSV/TSV (defines the catalogue and vector row order)", 0, 0, NULL},
        {"item-sep", 0, XL_OPT_STRING, &s->item_sep, "C", "separator of the items file (auto: as --sep)", 0, 0, NULL},
        {"item-no-header", 0, XL_OPT_FLAG, &s->item_no_header, NULL, "the items file has no header", 0, 0, NULL},
        {"item-no-quote", 0, XL_OPT_FLAG, &s->item_no_quote, NULL, "no quoting in the items file", 0, 0, NULL},
        {"item-id-col", 0, XL_OPT_STRING, &s->item_id_col, "COL", "item id column of the items file", 0, 0, NULL},
        {"item-text-cols", 0, XL_OPT_STRING, &s->item_text_cols, "COLS", "comma-separated text columns, joined", 0, 0, NULL},
        {"item-lang-col", 0, XL_OPT_STRING, &s->item_lang_col, "COL", "item language column (breakdowns)", 0, 0, NULL},
        {"vectors", 0, XL_OPT_STRING, &s->vectors, "FILE.npy", "item vectors, float32 n_items x dim, items-file order", 0, 0, NULL},
        {"text-vectors", 0, XL_OPT_INT, &s->text_vectors, "DIM", "hashed TF-IDF item vectors of DIM from the item text", 1, 1 << 20, NULL},
        {"center-vectors", 0, XL_OPT_FLAG, &s->center_vectors, NULL,
         "subtract the catalogue's mean item vector, then re-normalise (content, cosbias, hybrid; "
         "docs/recommender.md)", 0, 0, NULL},
        {"whiten-vectors", 0, XL_OPT_FLAG, &s->whiten_vectors, NULL,
         "whiten the item vectors on the catalogue (zero mean, identity covariance; BERT-whitening), then "
         "re-normalise", 0, 0, NULL},
        {"whiten-dims", 0, XL_OPT_INT, &s->whiten_dims, "N", "components kept by --whiten-vectors (0 = all)", 0,
         XL_WHITEN_MAX_DIM, NULL},
        {"seed", 0, XL_OPT_INT, &s->seed, "N", "seed of every random step", 0, 9.0e15, NULL},
        {"threads", 't', XL_OPT_INT, &s->threads, "N", "threads (0 = all CPUs)", 0, XL_MAX_THREADS, NULL},
        {"factors", 0, XL_OPT_INT, &s->factors, "N", "latent factors of als/bpr/mf (0: als 64, bpr 100, mf 100)", 0, 4096, NULL},
        {"epochs", 0, XL_OPT_INT, &s->epochs, "N", "mf SGD epochs", 0, 100000, NULL},
        {"lr", 0, XL_OPT_DOUBLE, &s->lr, "X", "mf learning rate", 0, 10, NULL},
        {"reg", 0, XL_OPT_DOUBLE, &s->reg, "X", "mf L2 penalty", 0, 1e6, NULL},
        {"init-std", 0, XL_OPT_DOUBLE, &s->init_std, "X", "factor init N(0, X)", 0, 10, NULL},
        {"bpr-epochs", 0, XL_OPT_INT, &s->bpr_epochs, "N", "bpr epochs (nnz samples each)", 0, 100000, NULL},
        {"bpr-lr", 0, XL_OPT_DOUBLE, &s->bpr_lr, "X", "bpr learning rate", 0, 10, NULL},
        {"bpr-reg", 0, XL_OPT_DOUBLE, &s->bpr_reg, "X", "bpr L2 penalty", 0, 1e6, NULL},
        {"als-alpha", 0, XL_OPT_DOUBLE, &s->als_alpha, "X", "als confidence c = 1 + alpha", 0, 1e6, NULL},
        {"als-reg", 0, XL_OPT_DOUBLE, &s->als_reg, "X", "als L2 penalty", 1e-12, 1e9, NULL},
        {"als-neg-exp", 0, XL_OPT_DOUBLE, &s->als_neg_exp, "E",
         "als weight of an unobserved (user, item) pair ~ (1 + item's training users)^E, mean 1 (He et al. "
         "2016); 0 = uniform", -2, 2, NULL},
        {"als-reg-exp", 0, XL_OPT_DOUBLE, &s->als_reg_exp, "V",
         "als penalty of a user or item with n interactions: als-reg * n^V (1: weighted-lambda, Zhou et al. "
         "2008); 0 = als-reg", -2, 2, NULL},
        {"als-item-bias", 0, XL_OPT_INT, &s->als_item_bias, "0|1",
         "als: 1 = score x_u.y_i + b_i with a learned item bias (one more factor column)", 0, 1, NULL},
        {"als-reg-user", 0, XL_OPT_DOUBLE, &s->als_reg_user, "X",
         "als L2 penalty of the user factors (the item factors keep --als-reg); 0 = --als-reg", 0, 1e9, NULL},
        {"als-iters", 0, XL_OPT_INT, &s->als_iters, "N", "als sweeps", 0, 10000, NULL},
        {"neighbors", 0, XL_OPT_INT, &s->neighbors, "N", "item-kNN neighbours per item", 1, 1024, NULL},
        {"shrink", 0, XL_OPT_DOUBLE, &s->shrink, "X", "item-kNN shrinkage", 0, 1e9, NULL},
        {"pop-prior", 0, XL_OPT_DOUBLE, &s->pop_prior, "C",
         "itemknn/als/bpr: blend toward popularity with weight C/(C + user's items); 0 = off, -1 = the model's "
         "own (itemknn 1, als 1, bpr 0)", -1, 1e9, NULL},
        {"bias-reg-user", 0, XL_OPT_DOUBLE, &s->bias_reg_user, "X", "baseline b_u penalty", 0, 1e9, NULL},
        {"bias-reg-item", 0, XL_OPT_DOUBLE, &s->bias_reg_item, "X", "baseline b_i penalty", 0, 1e9, NULL},
        {"bias-epochs", 0, XL_OPT_INT, &s->bias_epochs, "N", "baseline sweeps", 0, 100000, NULL},
        {"profile", 0, XL_OPT_CHOICE, &s->profile, NULL, "content profile weights", 0, 0, "rating|binary|centered"},
        {"half-life", 0, XL_OPT_DOUBLE, &s->half_life, "T", "recency half-life in time units (0 = off)", 0, 1e18, NULL},
        {"cos-reg", 0, XL_OPT_DOUBLE, &s->cos_reg, "X", "cosbias penalty on (b - 1)^2", 0, 1e9, NULL},
        {"cos-epochs", 0, XL_OPT_INT, &s->cos_epochs, "N", "cosbias sweeps", 0, 100000, NULL},
        {"hybrid-cf", 0, XL_OPT_CHOICE, &s->hybrid_cf, NULL, "CF part of the hybrid", 0, 0,
         "popularity|itemknn|als|bpr|mf|baseline"},
        {"hybrid-alpha", 0, XL_OPT_DOUBLE, &s->hybrid_alpha, "X", "CF weight of the hybrid (recommend; eval tunes it)", 0, 1, NULL},
    };
    size_t m = sizeof shared / sizeof shared[0];
    if (*n + m > cap) return -1;
    memcpy(opts + *n, shared, sizeof shared);
    *n += m;
    return 0;
}

static int parse_sep(const char *s, char *out, xl_error *err)
{
    if (strcmp(s, "auto") == 0) *out = XL_REC_SEP_AUTO;
    else if (strcmp(s, "::") == 0) *out = XL_REC_SEP_DCOLON;
    else if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 || strcmp(s, "\t") == 0) *out = '\t';
    else if (strlen(s) == 1 && s[0] != '"' && s[0] != '\n') *out = s[0];
    else return xl_fail(err, XL_ERR_USAGE, "separator '%s': give one character, 'tab', '::' or 'auto'", s);
    return 0;
}

int xl_rec_setup_load_options(const xl_rec_setup *s, xl_rec_load_options *out, xl_error *err)
{
    xl_rec_load_options o;
    xl_rec_load_options_default(&o);
    o.pick_columns = s->pick_columns;
    if (parse_sep(s->sep, &o.separator, err) < 0 || parse_sep(s->item_sep, &o.item_separator, err) < 0) return -1;
    o.encoding = strcmp(s->encoding, "latin1") == 0 ? XL_ENC_LATIN1 : XL_ENC_UTF8;
    o.no_header = s->no_header;
    o.no_quote = s->no_quote;
    o.user_col = s->user_col;
    o.item_col = s->item_col;
    o.rating_col = s->rating_col;
    o.time_col = s->time_col;
    o.rating_min = isnan(s->rating_min) ? -XL_RATING_ABS_MAX : s->rating_min;
    o.rating_max = isnan(s->rating_max) ? XL_RATING_ABS_MAX : s->rating_max;
    if (o.rating_min > o.rating_max)
        return xl_fail(err, XL_ERR_USAGE, "--rating-min %g is above --rating-max %g", o.rating_min, o.rating_max);
    o.range_policy = strcmp(s->rating_policy, "clamp") == 0  ? XL_RATING_CLAMP
                     : strcmp(s->rating_policy, "skip") == 0 ? XL_RATING_SKIP
                                                             : XL_RATING_REJECT;
    o.strict = s->strict;
    o.item_no_header = s->item_no_header;
    o.item_no_quote = s->item_no_quote;
    o.item_id_col = s->item_id_col;
    o.item_text_cols = s->item_text_cols;
    o.item_lang_col = s->item_lang_col;
    *out = o;
    return 0;
}

const char *xl_rec_setup_usage_problem(const xl_rec_setup *s)
{
    if (s->center_vectors && s->whiten_vectors)
        return "--center-vectors and --whiten-vectors exclude each other (whitening centres)";
    if (s->whiten_dims && !s->whiten_vectors) return "--whiten-dims needs --whiten-vectors";
    if ((s->center_vectors || s->whiten_vectors) && !s->vectors && !s->text_vectors)
        return s->center_vectors ? "--center-vectors needs --vectors or --text-vectors"
                                 : "--whiten-vectors needs --vectors or --text-vectors";
    return NULL;
}

int xl_rec_setup_load(const xl_rec_setup *s, xl_rec_dataset *d, xl_item_vectors *iv, xl_error *err)
{
    memset(iv, 0, sizeof *iv);
    if (!s->ratings) return xl_fail(err, XL_ERR_USAGE, "--ratings FILE is required");
    xl_rec_load_options o;
    if (xl_rec_setup_load_options(s, &o, err) < 0) return -1;
    const char *problem = xl_rec_setup_usage_problem(s);
    if (problem) return xl_fail(err, XL_ERR_USAGE, "%s", problem);
    if ((s->vectors || s->text_vectors) && !s->items)
        return xl_fail(err, XL_ERR_USAGE, "--vectors/--text-vectors need --items (the row order of the vectors)");
    if (s->text_vectors && !s->item_text_cols)
        return xl_fail(err, XL_ERR_USAGE, "--text-vectors needs --item-text-cols");
    if (xl_rec_load(d, s->ratings, s->items, &o, err) < 0) return -1;
    if (d->x.n == 0) return xl_fail(err, XL_ERR_FORMAT, "%s: no usable interactions", s->ratings);
    if (s->vectors) {
        xl_npy_array a;
        if (xl_npy_read(s->vectors, &a, err) < 0) return -1;
        if (a.rank != 2) {
            xl_npy_free(&a);
            return xl_fail(err, XL_ERR_FORMAT, "%s: expected a 2-d array (items x dim), got rank %d", s->vectors, a.rank);
        }
        if (a.shape[0] != d->n_items) {
            xl_fail(err, XL_ERR_FORMAT, "%s: %zu rows but %s has %u items (rows must follow the items file)",
                    s->vectors, a.shape[0], s->items, d->n_items);
            xl_npy_free(&a);
            return -1;
        }
        int rc = xl_item_vectors_from(iv, a.data, a.shape[0], a.shape[1], s->vectors, err);
        xl_npy_free(&a);
        if (rc < 0) return -1;
    } else if (s->text_vectors) {
        if (xl_item_vectors_hashed_tfidf(iv, d->item_text, d->n_items, (size_t)s->text_vectors, err) < 0) return -1;
    }
    if (s->center_vectors && xl_item_vectors_center(iv, err) < 0) return -1;
    if (s->whiten_vectors && xl_item_vectors_whiten(iv, (size_t)s->whiten_dims, err) < 0) return -1;
    return 0;
}

int xl_rec_setup_params(const xl_rec_setup *s, const xl_rec_dataset *d, xl_rec_params *p, xl_error *err)
{
    xl_rec_params_default(p);
    p->seed = (uint64_t)s->seed;
    p->threads = (int)s->threads;
    p->factors = (int)s->factors;
    p->epochs = (int)s->epochs;
    p->lr = s->lr;
    p->reg = s->reg;
    p->init_std = s->init_std;
    p->bpr_epochs = (int)s->bpr_epochs;
    p->bpr_lr = s->bpr_lr;
    p->bpr_reg = s->bpr_reg;
    p->als_alpha = s->als_alpha;
    p->als_reg = s->als_reg;
    p->als_neg_exp = s->als_neg_exp;
    p->als_reg_exp = s->als_reg_exp;
    p->als_item_bias = s->als_item_bias != 0;
    p->als_reg_user = s->als_reg_user;
    p->als_iters = (int)s->als_iters;
    p->knn_neighbors = (int)s->neighbors;
    p->knn_shrink = s->shrink;
    p->pop_prior = s->pop_prior;
    p->bias_reg_user = s->bias_reg_user;
    p->bias_reg_item = s->bias_reg_item;
    p->bias_epochs = (int)s->bias_epochs;
    p->profile_weight = strcmp(s->profile, "binary") == 0     ? XL_PROFILE_BINARY
                        : strcmp(s->profile, "centered") == 0 ? XL_PROFILE_CENTERED
                                                              : XL_PROFILE_RATING;
    p->recency_half_life = s->half_life;
    p->cos_reg_user = p->cos_reg_item = s->cos_reg;
    p->cos_epochs = (int)s->cos_epochs;
    p->hybrid_alpha = s->hybrid_alpha;
    int k = xl_rec_kind_parse(s->hybrid_cf);
    if (k < 0) return xl_fail(err, XL_ERR_USAGE, "unknown --hybrid-cf '%s'", s->hybrid_cf);
    p->hybrid_cf = (xl_rec_kind)k;
    /* prediction clipping: the given bounds, the observed range where a bound is not given */
    if (d && d->has_rating) {
        p->rating_min = d->rating_lo;
        p->rating_max = d->rating_hi;
    }
    if (!isnan(s->rating_min)) p->rating_min = s->rating_min;
    if (!isnan(s->rating_max)) p->rating_max = s->rating_max;
    return 0;
}
