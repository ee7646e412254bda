/* pipeline.h - the end-to-end cross-lingual recommendation pipeline behind
 * `xlrec run`: one function per stage of the system description's flow chart
 * (docs/architecture.md), composing the modules that own each step.
 *
 *   load        items + interactions (+ held-out) files        src/rec (xl_rec_load), src/core (xl_csv)
 *   clean       entity decoding, control removal, NFC (and the
 *               word-vector tokenisation: NFKC, casefold, no
 *               punctuation/digits, CJK per character)          src/text, src/embed (xl_sentvec_preprocess)
 *   detect      each item's language: the items file's column,
 *               else the language identifier, else the script   src/langid, src/text
 *   open        the embedder: word2vec vectors or a BERT model  src/embed (xl_embedder)
 *   route       per language: covered by the embedder (share of
 *               in-vocabulary tokens >= min_coverage, 0.3) -> direct;
 *               else dictionary translation when a dictionary is
 *               given; else skipped (reported with the reason)  src/align (dict_translate)
 *   embed       SIF/mean of word vectors, or BERT pooling       src/embed (xl_embedder)
 *   profiles    user languages and history sizes (the content
 *               profile p_u itself is built by the recommender)
 *   recommend   content / CF / hybrid / the rating formula      src/rec
 *   evaluate    against held-out interactions, per model and per
 *               (user language -> item language) pair             src/eval
 *
 * Contract
 *   - Library code: nothing is printed; every stage returns 0 or -1 with err
 *     set ("PATH:LINE: what is wrong").  What the pipeline did is in the
 *     xl_pipeline fields and in xl_pipeline_summary().
 *   - Progress: when options.progress is set it is called from the calling
 *     thread with (stage, done, total) during long stages.
 *   - A user whose every history item was skipped has no content profile:
 *     the content models (content, formula) list nothing for them, and the
 *     summary counts them (CF and hybrid still recommend).
 *   - Bad input is reported, not fatal, where a useful run remains: unknown
 *     item ids in the interactions are dropped and counted (xl_rec_load),
 *     items without text or in languages the embedder cannot handle are
 *     skipped with a reason (they keep a zero vector and are never
 *     recommended by the content models).  An items file without items, or
 *     interactions without a usable row, is an error.
 *   - Results are deterministic for a given seed (threads only split work).
 */
#ifndef XL_PIPELINE_H
#define XL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xl_alloc.h"
#include "xl_error.h"
#include "xl_embedder.h"
#include "xl_eval.h"
#include "xl_rec_data.h"
#include "xl_rec_model.h"

/* The shipped defaults (the encoder, the word-vector baseline, the language
 * identifier) are found by src/core/xl_datapath.h: XL_DATA_ENCODER,
 * XL_DATA_WORD_VECTORS, XL_DATA_LANGID. */
#define XL_PIPELINE_MAX_KINDS 8

/* What happened to an item on its way to the embedder. */
typedef enum {
    XL_ROUTE_DIRECT = 0,   /* embedded as written */
    XL_ROUTE_TRANSLATED,   /* dictionary-translated to the pivot language, then embedded */
    XL_ROUTE_SKIPPED       /* zero vector; see xl_skip_reason */
} xl_route;

typedef enum {
    XL_SKIP_NONE = 0,
    XL_SKIP_NO_TEXT,        /* empty text after cleaning */
    XL_SKIP_NOT_COVERED,    /* language not covered by the embedder and no --dict */
    XL_SKIP_NO_KNOWN_TOKEN, /* no in-vocabulary token (after translation, when translated) */
    XL_SKIP_N
} xl_skip_reason;

const char *xl_route_name(xl_route r);
const char *xl_skip_reason_text(xl_skip_reason r);

/* Progress callback: stage name, units done, units in total. */
typedef void (*xl_pipeline_progress_fn)(void *ctx, const char *stage, size_t done, size_t total);

typedef struct xl_pipeline_options {
    /* data */
    const char *items_path;        /* required: item id, [lang], text columns (CSV or TSV, with a header) */
    const char *interactions_path; /* required: user, item[, rating][, time] */
    const char *heldout_path;      /* optional: same columns as the interactions */
    char separator;                /* 0 = per file: TAB when the header line has one, else ',' */
    const char *item_id_col;       /* default: "item" / "item_id" / "id" when present, else column 0 */
    const char *item_text_cols;    /* default: "title"/"text"/"description"... when present, else the last column */
    const char *item_lang_col;     /* default: "lang" / "language" when present; "" = none (detect) */
    const char *user_col, *item_col, *rating_col; /* defaults: "user"/0, "item"/1, "rating" when present */
    /* embedder: at most one of model_path / word_vectors_path; neither = the shipped encoder
     * (or, while none is found, the word vectors: xl_embedder_default) */
    const char *model_path;        /* BERT/DistilBERT model file (xlrec convert) */
    const char *word_vectors_path; /* word2vec text or binary file */
    bool sif;                      /* word vectors: SIF (default) or mean pooling */
    double sif_a;                  /* SIF a (default 1e-3) */
    const char *counts_path;       /* optional unigram counts for SIF and translation choice */
    size_t max_seq_len;            /* BERT truncation (0 = the model's) */
    /* language handling */
    const char *langid_path;       /* language-identification model; NULL = none (script guess) */
    bool detect_all;               /* ignore the items file's language column */
    const char *dict_path;         /* translation dictionary (dict_translate.h), or NULL */
    const char *pivot_lang;        /* label of the dictionary's target language (default "en") */
    double min_coverage;           /* a language is covered when >= this share of its tokens is known (0.3) */
    /* recommenders */
    xl_rec_kind kinds[XL_PIPELINE_MAX_KINDS]; /* kinds[0] writes the recommendations; all are evaluated */
    size_t n_kinds;
    xl_rec_kind cf_kind;           /* the CF model behind "cf" and "hybrid" (default itemknn) */
    bool center_vectors;           /* subtract the catalogue's mean item vector (xl_item_vectors_center; default off) */
    bool whiten_vectors;           /* whiten the item vectors on the catalogue (xl_item_vectors_whiten; default off) */
    size_t whiten_dims;            /* components kept by the whitening (0 = all) */
    double hybrid_alpha;           /* CF weight of the hybrid; < 0 (the default): chosen in {0, 0.1, ..., 1}
                                    * by NDCG@k on the validation split of the training data (issue 17) */
    size_t k;                      /* list length (default 10) */
    size_t explain;                /* history items shown per recommendation (default 3) */
    uint64_t seed;
    int threads;                   /* 0 = all CPUs */
    /* progress */
    xl_pipeline_progress_fn progress;
    void *progress_ctx;
} xl_pipeline_options;

void xl_pipeline_options_default(xl_pipeline_options *o);
/* "content" "cf" "hybrid" "formula" (and any xl_rec kind name) -> kind, given
 * the CF model; -1 when unknown. */
int xl_pipeline_parse_kind(const char *name, xl_rec_kind cf_kind);
/* The name `run` uses for a kind ("content", "cf", "hybrid", "formula", else
 * the rec module's name). */
const char *xl_pipeline_kind_label(xl_rec_kind kind, xl_rec_kind cf_kind);

/* Per-language counts, in order of first appearance. */
typedef struct xl_lang_stats {
    char lang[24];
    size_t items, tokens, known_tokens; /* known: in the embedder's vocabulary (before translation) */
    bool covered;                       /* known/tokens >= min_coverage */
    size_t direct, translated, skipped[XL_SKIP_N];
    size_t users;                       /* users whose history is mostly in this language */
} xl_lang_stats;


/* One recommender's output. */
typedef struct xl_pipeline_model {
    xl_rec_kind kind;
    char label[32];
    xl_rec_model *model;
    uint32_t *lists;  /* n_users x k item indices (XL_REC_NONE pads) */
    float *scores;    /* n_users x k */
    double val_ndcg;  /* NDCG@k on the validation split of the training data (issue 17); -1 = not measured */
} xl_pipeline_model;

typedef struct xl_pipeline {
    xl_pipeline_options opt;
    /* load */
    xl_rec_dataset data;          /* items (text, lang), interactions (users, ratings) */
    xl_csr train;                 /* users x items */
    xl_interactions heldout;      /* held-out (user, item, rating) mapped to indices */
    size_t heldout_rows, heldout_unknown_user, heldout_unknown_item, heldout_in_train, heldout_duplicates;
    /* clean */
    char **clean;                 /* n_items cleaned texts (NFC, entities, controls) */
    char **tokens;                /* n_items word-vector tokenisations */
    /* detect */
    char **lang;                  /* n_items language tags ("und" when unknown) */
    const char *lang_source;      /* "items file", "language identifier", "script", or a mix */
    size_t lang_from_column, lang_from_langid, lang_from_script;
    /* open */
    xl_embedder *emb;             /* word vectors or a BERT model (src/embed) */
    char embedder_desc[256];
    /* route */
    xl_route *route;              /* n_items */
    xl_skip_reason *skip;         /* n_items */
    char **embed_text;            /* n_items: what is embedded (tokens, or the translation) */
    xl_embedder_tokens *item_tokens; /* n_items: embed_text tokenised once, for coverage and embedding */
    xl_lang_stats *langs;
    size_t n_langs;
    size_t translated_tokens, translation_unknown_tokens;
    /* embed */
    xl_item_vectors vectors;      /* n_items x dim, L2-normalised, skipped items zero */
    size_t n_empty_vectors;
    /* profiles */
    char **user_lang;             /* n_users (pointers into lang[] or "und") */
    uint32_t *user_embedded;      /* n_users: history items with a vector (not skipped) */
    size_t users_without_content; /* users whose whole history was skipped: no content recommendations */
    /* recommend */
    xl_csr exclude;               /* train + skipped items: what content lists never show */
    xl_pipeline_model models[XL_PIPELINE_MAX_KINDS];
    size_t n_models;
    size_t chosen;                /* the model whose lists are written: best validation NDCG@k (issue 17) */
    double hybrid_alpha;          /* the hybrid's CF weight as used (given, or chosen on validation) */
    double hybrid_val_ndcg[3];    /* when chosen: validation NDCG@k of the blend, CF alone, content alone; else -1 */
    /* evaluate */
    bool evaluated;
    xl_eval_result *eval;         /* rows: per model "all", then per "ul->il" pair */
    size_t eval_rows_dropped;     /* pair rows beyond XL_EVAL_MAX_ROWS (reported, not computed) */
    double seconds[10];           /* wall time per stage */
} xl_pipeline;

/* Stages, in order.  Each needs the previous ones. */
int xl_pipeline_init(xl_pipeline *p, const xl_pipeline_options *o, xl_error *err);
int xl_pipeline_load(xl_pipeline *p, xl_error *err);
int xl_pipeline_clean(xl_pipeline *p, xl_error *err);
int xl_pipeline_detect(xl_pipeline *p, xl_error *err);
int xl_pipeline_open_embedder(xl_pipeline *p, xl_error *err);
int xl_pipeline_route(xl_pipeline *p, xl_error *err);
int xl_pipeline_embed(xl_pipeline *p, xl_error *err);
int xl_pipeline_profiles(xl_pipeline *p, xl_error *err);
int xl_pipeline_recommend(xl_pipeline *p, xl_error *err);
int xl_pipeline_evaluate(xl_pipeline *p, xl_error *err); /* no-op without held-out data */
/* All of the above. */
int xl_pipeline_run(xl_pipeline *p, const xl_pipeline_options *o, xl_error *err);
void xl_pipeline_free(xl_pipeline *p);

/* Outputs (appended to buf). */
/* TSV with a header: user, user_lang, rank, item, item_lang, route, score,
 * because (history_item:contribution,... or "-"), title.  Model kinds[0]. */
int xl_pipeline_write_recommendations(const xl_pipeline *p, xl_buf *buf, xl_error *err);
/* What the run did: counts per language, routing, translations, skips and why. */
int xl_pipeline_summary(const xl_pipeline *p, xl_buf *buf, xl_error *err);
/* Evaluation report: JSON, and a readable table. */
int xl_pipeline_eval_json(const xl_pipeline *p, xl_buf *buf, xl_error *err);
int xl_pipeline_eval_table(const xl_pipeline *p, xl_buf *buf, xl_error *err);
/* SVG bar chart (xl_eval_svg.h): every model over all users, then the
 * language pairs of kinds[0]. */
int xl_pipeline_eval_svg(const xl_pipeline *p, xl_buf *buf, xl_error *err);
/* Write recommendations.tsv, evaluation.json, evaluation.txt, evaluation.svg
 * (the last three only with held-out data) and summary.txt into dir (which
 * must exist). */
int xl_pipeline_write_dir(const xl_pipeline *p, const char *dir, xl_error *err);

/* The script-based language guess used when there is neither a language
 * column nor a language identifier: Han with kana -> ja, Han -> zh, Hangul ->
 * ko, Cyrillic -> ru, Arabic -> ar, Greek -> el, Hebrew -> he, Thai -> th,
 * Devanagari -> hi, anything else -> "und" (Latin cannot be split by script). */
const char *xl_pipeline_guess_lang_by_script(const char *text, size_t len);

#endif /* XL_PIPELINE_H */
