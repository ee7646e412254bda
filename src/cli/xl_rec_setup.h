/* xl_rec_setup.h - the options shared by `xlrec recommend` and `xlrec eval`
 * (data columns, item text/vectors, model hyper-parameters) and the step that
 * turns them into a loaded dataset, item vectors and xl_rec_params.
 *
 * Contract: no printing, no exiting; the command owns the option table and
 * calls xl_rec_setup_options() to append the shared entries to it.
 */
#ifndef XL_REC_SETUP_H
#define XL_REC_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_cli.h"
#include "xl_rec_data.h"
#include "xl_rec_model.h"

typedef struct xl_rec_setup {
    /* data */
    const char *ratings, *items, *vectors;
    const char *sep, *item_sep; /* "auto" (default), ",", "tab", "::" ... */
    const char *encoding;       /* "utf8" (checked) or "latin1" */
    bool no_header, no_quote, item_no_header, item_no_quote, strict;
    const char *user_col, *item_col, *rating_col, *time_col;
    const char *item_id_col, *item_text_cols, *item_lang_col;
    double rating_min, rating_max; /* NAN = not given */
    const char *rating_policy;     /* reject|clamp|skip */
    int64_t text_vectors; /* hashed TF-IDF dimension, 0 = off */
    bool center_vectors;  /* subtract the catalogue mean from the item vectors (xl_item_vectors_center) */
    bool whiten_vectors;  /* BERT-whitening of the item vectors (xl_item_vectors_whiten) */
    int64_t whiten_dims;  /* components kept by the whitening, 0 = all */
    bool pick_columns;    /* unnamed columns found by their usual header names (xl_rec_load_options) */
    /* run */
    int64_t seed, threads;
    /* model */
    int64_t factors, epochs, bpr_epochs, als_iters, als_item_bias, neighbors, bias_epochs, cos_epochs;
    double lr, reg, bpr_lr, bpr_reg, als_alpha, als_reg, als_neg_exp, als_reg_exp, als_reg_user, shrink, pop_prior, half_life, cos_reg, bias_reg_user, bias_reg_item,
        hybrid_alpha, init_std;
    const char *profile, *hybrid_cf;
} xl_rec_setup;

void xl_rec_setup_default(xl_rec_setup *s);
/* Append the shared options to opts[*n..] (capacity cap); returns -1 if full. */
int xl_rec_setup_options(xl_rec_setup *s, xl_option *opts, size_t *n, size_t cap);
/* The loader options the data options describe. */
int xl_rec_setup_load_options(const xl_rec_setup *s, xl_rec_load_options *o, xl_error *err);
/* Option combinations that are usage errors (the command exits 2 with the message): the item-vector
 * post-processing (--center-vectors, --whiten-vectors, --whiten-dims) without vectors to act on or
 * combined with each other.  xl_rec_setup_load checks the same again. */
const char *xl_rec_setup_usage_problem(const xl_rec_setup *s);
/* Load the data named by the options: dataset, and item vectors when
 * --vectors or --text-vectors is given (iv->v stays NULL otherwise), centred on
 * the catalogue mean with --center-vectors or whitened with --whiten-vectors. */
int xl_rec_setup_load(const xl_rec_setup *s, xl_rec_dataset *d, xl_item_vectors *iv, xl_error *err);
/* Model parameters from the options; prediction clipping = the observed
 * rating range of the data (or --rating-min/--rating-max when given). */
int xl_rec_setup_params(const xl_rec_setup *s, const xl_rec_dataset *d, xl_rec_params *p, xl_error *err);

#endif /* XL_REC_SETUP_H */
