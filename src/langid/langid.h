/* langid.h - language identification: multinomial naive Bayes over hashed
 * code-point 1..5-grams, combined with a per-language script model, with
 * calibrated probabilities (docs/langid.md).
 *
 * Model (McCallum & Nigam 1998, "A comparison of event models for naive
 * Bayes text classification"; features as in Cavnar & Trenkle 1994 and
 * langid.py, Lui & Baldwin 2012):
 *   text -> NFKC -> letters and marks simple-case-folded, every other
 *   character a word boundary -> " w1 w2 ... " -> all code-point n-grams,
 *   n = 1..max_order (the lone " " excluded), each hashed to 32 bits
 *   (FNV-1a 64 + murmur3 fmix64, low half).
 *   score(l) = sum_f count(f) * log P(f|l)  +  w * sum_letters log P(script(c)|l)
 *   P(script|l) = (1-eps) n(script,l)/n_l + eps/(S+1), eps = 1e-3 for every language.
 *   Mixed-script input is first reduced to its dominant script group
 *   (xl_langid_dominant_script).
 *   P(f|l) is smoothed towards the mean B(f) of the languages' feature
 *   distributions, by linear interpolation (Jelinek-Mercer, default:
 *   (1-lambda) c(f,l)/C_l + lambda B(f), the same penalty for an unseen n-gram
 *   in every language whatever its amount of data) or Dirichlet; only the selected features F (a few tens of thousands) are
 *   stored, n-grams outside F are ignored.  Uniform language prior.
 *   Domain classes: a model row tagged "xx_N" (N digits) is a second class of
 *   language xx; the API lists languages only, and score(xx) is the best of its
 *   classes' scores (xl_langid_tag_language).
 *   p(l|text) = softmax(score / T_b), T_b a temperature per length bucket b
 *   (number of letters), fitted on held-out data by minimum negative
 *   log-likelihood (Guo et al. 2017, "On calibration of modern neural
 *   networks", temperature scaling).
 *
 * Contract
 *   - The model file format is documented in docs/langid.md; the loader
 *     checks the magic, version, every count against fixed limits, the exact
 *     file size, sorted unique feature keys, names, finite positive
 *     temperatures and a trailing FNV-1a checksum, and fails with
 *     "PATH: <what is wrong>" instead of reading out of bounds.
 *   - A loaded model is read-only: classification takes a workspace
 *     (xl_langid_ws) per thread, so one model serves many threads.
 *   - Classification never fails on text: any bytes are accepted (ill-formed
 *     UTF-8 repaired); text without letters gives XL_LANGID_UND with
 *     probability 0.  Results are deterministic.
 */
#ifndef XL_LANGID_H
#define XL_LANGID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

#define XL_LANGID_MAGIC "XLLANGID"
#define XL_LANGID_VERSION 1u
#define XL_LANGID_NAME_LEN 16        /* language tag field, NUL-padded */
#define XL_LANGID_MAX_LANGS 255
#define XL_LANGID_MAX_FEATURES (1u << 22)
#define XL_LANGID_MAX_ORDER 8
#define XL_LANGID_MAX_SCRIPTS 255
#define XL_LANGID_MAX_BUCKETS 32
#define XL_LANGID_UND (-1)

typedef struct xl_langid xl_langid;

int xl_langid_load(const char *path, xl_langid **model, xl_error *err);
/* Parse a model image (copied; data may be freed afterwards). `name` is used
 * in error messages. */
int xl_langid_load_memory(const void *data, size_t size, const char *name, xl_langid **model, xl_error *err);
void xl_langid_free(xl_langid *model);

size_t xl_langid_n_langs(const xl_langid *model);
size_t xl_langid_n_features(const xl_langid *model);
unsigned xl_langid_max_order(const xl_langid *model);
/* Tag of language i ("en", "zh-Hant"); NULL when out of range. */
const char *xl_langid_lang(const xl_langid *model, size_t i);
/* The language a model row ("class") tag stands for: the tag without a trailing "_<digits>" (a
 * domain class: "es_2" -> "es"), else the tag itself.  base gets XL_LANGID_NAME_LEN bytes, NUL-padded;
 * tag must be shorter than XL_LANGID_NAME_LEN. */
void xl_langid_tag_language(const char *tag, char base[XL_LANGID_NAME_LEN]);
/* Index of a tag, or -1. */
int xl_langid_lang_index(const xl_langid *model, const char *tag);

/* Per-thread scratch space (buffers grow with the longest input seen). */
typedef struct xl_langid_ws xl_langid_ws;
xl_langid_ws *xl_langid_ws_new(const xl_langid *model, xl_error *err);
void xl_langid_ws_free(xl_langid_ws *ws);

typedef struct xl_langid_result {
    int lang;    /* index into the model's languages, or XL_LANGID_UND */
    double prob; /* calibrated posterior probability */
} xl_langid_result;

/* The k most probable languages, best first, into top[0..k); returns the
 * number written (0 on allocation failure, with err set; k >= 1).  Text
 * without letters: one result {XL_LANGID_UND, 0}.  With min_prob > 0 a best
 * language below it is reported as {XL_LANGID_UND, its probability}. */
size_t xl_langid_classify(const xl_langid *model, xl_langid_ws *ws, const char *text, size_t len, double min_prob,
                          xl_langid_result *top, size_t k, xl_error *err);

/* Uncalibrated scores (natural-log likelihoods, as in the formula above),
 * scores[0..n_langs), and the number of letters (the length-bucket
 * variable).  Returns 0, or -1 on allocation failure. */
int xl_langid_scores(const xl_langid *model, xl_langid_ws *ws, const char *text, size_t len, double *scores,
                     size_t *n_letters, xl_error *err);

/* The temperature used for an input of n letters. */
double xl_langid_temperature(const xl_langid *model, size_t n_letters);

/* Softmax of scores/T into probs (n values); stable for any finite input. */
void xl_langid_softmax(const double *scores, size_t n, double temperature, double *probs);

/* ------------------------------------------------------------------------ */
/* Feature extraction (shared by training and classification). */

/* Units of a text: the normalised code-point sequence " w1 w2 ... " (see the
 * model description); *n_letters counts letters and marks. */
typedef struct xl_langid_units {
    uint32_t *cps;
    size_t len, cap;
    size_t n_letters;
} xl_langid_units;

void xl_langid_units_free(xl_langid_units *u);
int xl_langid_units_from_text(const char *text, size_t len, xl_langid_units *u, xl_error *err);
/* Mixed-script text: keep only the letters of the dominant script group
 * (Han + kana count as one group; Latin letters weigh 0.5, Han/kana 2, others
 * 1, since Latin insertions in other scripts are common and CJK characters
 * carry more per character), other letters become word boundaries.
 * Classification applies this before extracting n-grams. */
void xl_langid_dominant_script(xl_langid_units *u);
/* Hash of the n-gram cps[0..n). */
uint32_t xl_langid_hash(const uint32_t *cps, size_t n);
/* Call fn(key, ctx) for every n-gram of orders 1..max_order. */
void xl_langid_each_ngram(const xl_langid_units *u, unsigned max_order, void (*fn)(uint32_t key, void *ctx),
                          void *ctx);

/* ------------------------------------------------------------------------ */
/* Training (langid_train.c).  Input: lines "lang<TAB>text". */
typedef struct xl_langid_train_options {
    unsigned max_order;      /* n-gram orders 1..max_order (default 5) */
    size_t n_features;       /* features kept (default 45000) */
    size_t candidates;       /* per-language candidates before selection (default 8000) */
    double mu;               /* Dirichlet smoothing mass (default 400), used when lambda == 0 */
    double lambda;           /* Jelinek-Mercer weight of the background distribution (0 = Dirichlet) */
    double script_weight;    /* w above (default 1) */
    bool neighbour_features; /* also rank each language's candidates against its closest other language
                              * (max instead of mean in the KL term) and take the two rankings in turn */
    size_t max_chars_per_lang; /* training code points kept per language (0 = all) */
    unsigned refine_epochs;  /* passes of the discriminative refinement (0 = pure naive Bayes) */
    size_t refine_lines;     /* training lines per class kept for the refinement (default 2000) */
    double refine_margin;    /* update while the true class leads the best other language by <= this (nats) */
    unsigned refine_steps_per_quantum; /* perceptron steps that move a weight by one quantum (default 1) */
    double refine_skip_per_letter; /* skip lines whose class trails by more than this many nats per letter (0 = none) */
    bool refine_average;     /* keep the weights averaged over all refinement steps (averaged perceptron) */
    const char *filter_model_path; /* optional model: training lines it gives to another language with
                                    * probability > filter_prob are dropped (labels it does not know: kept) */
    double filter_prob;      /* default 0.9 */
    const char *scripts_path;  /* optional "lang<TAB>Script,Script" file: allowed scripts */
    const char *dev_path;      /* optional held-out "lang<TAB>text" for the temperatures */
    bool verbose;            /* progress on the log callback */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
} xl_langid_train_options;

void xl_langid_train_defaults(xl_langid_train_options *o);

/* Training support: the rows ("classes") of a model and a perceptron step on its quantised table.
 * xl_langid_perceptron_step scores text; when the class gold_class (0..n_classes) does not lead every
 * class of another language by more than margin (nats), it moves gold_class's weight up and the best
 * rival's down by 1/steps_per_quantum of a quantum for every occurrence of a model n-gram in the text
 * (a per-weight residual keeps the fractions; weights clamped to 0..255; Collins 2002 perceptron on
 * the naive Bayes weights, learning rate 1/steps_per_quantum) and sets *updated.  With skip_per_letter
 * > 0, a text whose class trails by more than skip_per_letter nats per letter is left alone (likely a
 * wrong label: the corpus labels are the catalogues', untranslated strings included).  Returns 0 or -1. */
size_t xl_langid_n_classes(const xl_langid *model);
int xl_langid_class_index(const xl_langid *model, const char *tag);
int xl_langid_perceptron_step(xl_langid *model, xl_langid_ws *ws, const char *text, size_t len, size_t gold_class,
                              double margin, unsigned steps_per_quantum, double skip_per_letter, bool *updated,
                              xl_error *err);
/* Averaged perceptron (Collins 2002, section 3: the parameters averaged over every step of every pass,
 * the standard fix for the last-update noise of the plain perceptron).  After
 * xl_langid_perceptron_average_begin, every successful xl_langid_perceptron_step counts as one step t
 * (with or without an update), and xl_langid_perceptron_average fills out[n_features * n_classes]
 * with (1/T) sum_{t=1..T} v(t), v = q + residual/K the real-valued weight after step t (lazy sums:
 * O(1) per weight change; the current weights when T = 0).  xl_langid_perceptron_average_apply sets
 * every weight to its average rounded to the nearest quantum (clamped to 0..255), clears the
 * residuals and ends averaging.  The steps per quantum K must not change while averaging.  Return 0
 * or -1 (allocation; average without begin). */
int xl_langid_perceptron_average_begin(xl_langid *model, xl_error *err);
size_t xl_langid_perceptron_average_steps(const xl_langid *model);
int xl_langid_perceptron_average(const xl_langid *model, double *out, xl_error *err);
int xl_langid_perceptron_average_apply(xl_langid *model, xl_error *err);
/* The quantised table, [n_features][n_classes], as in the file. */
const uint8_t *xl_langid_weights(const xl_langid *model);
/* Train from train_path and write the model to out_path. */
int xl_langid_train(const char *train_path, const char *out_path, const xl_langid_train_options *o, xl_error *err);

/* Without a model: the language a text's script implies ("ja" when there is
 * any kana, else the majority script of zh/ko/ru/ar/el/he/th/hi), "und" for
 * Latin text, no letters, or letters of another script in the majority. */
const char *xl_langid_guess_by_script(const char *text, size_t len);

#endif /* XL_LANGID_H */
