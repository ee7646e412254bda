/* ngram.h - n-gram language models: counting, estimation (maximum likelihood,
 * add-k, interpolated modified Kneser-Ney as KenLM's lmplz builds it), ARPA
 * import/export, and scoring as KenLM's `query` prints it.
 *
 * Contract
 *   - Tokens are 32-bit ids from an xl_ngram_vocab.  Ids 0, 1, 2 are always
 *     <unk>, <s>, </s> in a vocabulary built for training; a model read from
 *     ARPA keeps <unk> = 0 and numbers the other unigrams in file order (as
 *     KenLM's probing model does), so its <s>/</s> ids are model fields.
 *     Any byte string can be a token, so the same code serves word models
 *     (xl_ngram_trainer_add_line splits on whitespace) and character models
 *     (intern each code point's UTF-8 bytes and call xl_ngram_trainer_add_ids).
 *   - Orders 1..XL_NGRAM_MAX_ORDER.  Every sentence is <s> w1 .. wn </s>;
 *     <s> is context only (never predicted), </s> is predicted.
 *   - Memory: counting keeps one fixed-width record (order ids + a 64-bit
 *     count) per distinct n-gram, sorted by radix sort; no allocation per word
 *     or per n-gram.  The query structure is one open-addressing table per
 *     order keyed by a 64-bit hash of the id tuple (KenLM's "probing" idea):
 *     16 bytes per slot (12 for the highest order), 1.5 slots per n-gram;
 *     the same tables are what a binary model file holds (mapped, not parsed).
 *   - log10 probabilities and backoffs are float32, as in KenLM.  log10(0) is
 *     -INFINITY in memory and "-99" in ARPA files (SRILM's convention); values
 *     <= -99 read from ARPA mean log10(0).
 *   - Errors: functions that can fail take xl_error *err last and return -1 or
 *     NULL with "<file>:<line>: <what>" where a file is involved.
 *   - Objects are not thread-safe for writing; a finished model may be scored
 *     from many threads at once (scoring only reads).
 * docs/ngram.md gives the formulas next to the functions that compute them.
 */
#ifndef XL_NGRAM_H
#define XL_NGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_alloc.h"
#include "xl_error.h"

#define XL_NGRAM_MAX_ORDER 8
#define XL_NGRAM_UNK 0u
#define XL_NGRAM_BOS 1u
#define XL_NGRAM_EOS 2u
/* log10(0) is written as this number in ARPA files; values <= it read as -inf. */
#define XL_NGRAM_LOG_ZERO_ARPA (-99.0)

/* ---------------------------------------------------------------- vocabulary
 * word <-> id.  Strings live in one growing arena; the index is an
 * open-addressing table of ids (no allocation per word). */
typedef struct xl_ngram_vocab xl_ngram_vocab;

/* A vocabulary holding <unk>=0, <s>=1, </s>=2. */
xl_ngram_vocab *xl_ngram_vocab_new(xl_error *err);
void xl_ngram_vocab_free(xl_ngram_vocab *v);
/* The id of s[0..len), added with the next free id when absent. */
int xl_ngram_vocab_intern(xl_ngram_vocab *v, const char *s, size_t len, uint32_t *id, xl_error *err);
/* The id of s[0..len), or XL_NGRAM_UNK when absent. */
uint32_t xl_ngram_vocab_find(const xl_ngram_vocab *v, const char *s, size_t len);
/* ids[i] = xl_ngram_vocab_find(v, s[i], len[i]) for i < n, with the lookups'
 * memory accesses overlapped (faster on large vocabularies). */
void xl_ngram_vocab_find_many(const xl_ngram_vocab *v, const char *const *s, const size_t *len, size_t n,
                              uint32_t *ids);
size_t xl_ngram_vocab_size(const xl_ngram_vocab *v);
/* The bytes of word `id` (NUL-terminated), or NULL when id is out of range. */
const char *xl_ngram_vocab_word(const xl_ngram_vocab *v, uint32_t id, size_t *len);

/* ----------------------------------------------------------------- training */
typedef enum {
    XL_NGRAM_KN = 0, /* interpolated modified Kneser-Ney, exactly as lmplz (default) */
    XL_NGRAM_MLE,    /* maximum likelihood C(h,w)/C(h) per order, unseen -> 0 */
    XL_NGRAM_ADDK    /* (C(h,w)+k)/(C(h)+k|V|), leftover mass backed off (SRILM style) */
} xl_ngram_smoothing;

typedef struct xl_ngram_train_opts {
    xl_ngram_smoothing smoothing;
    double add_k;              /* k for XL_NGRAM_ADDK (> 0) */
    bool discount_fallback;    /* KN: use `fallback` where counts-of-counts cannot give discounts */
    float fallback[3];         /* D1, D2, D3+; lmplz's defaults are 0.5 1 1.5 */
    bool skip_symbols;         /* add_line: treat <s>, </s>, <unk> in the text as whitespace
                                  (false: they are an error, as in lmplz) */
} xl_ngram_train_opts;

void xl_ngram_train_opts_default(xl_ngram_train_opts *o);

/* What estimation found; discounts[k][0..2] are D1, D2, D3+ for order k+1. */
typedef struct xl_ngram_train_stats {
    int order;
    uint64_t tokens;    /* words read, without <s>/</s> (lmplz's "Unigram tokens") */
    uint64_t sentences;
    uint64_t counts[XL_NGRAM_MAX_ORDER];
    float discounts[XL_NGRAM_MAX_ORDER][3];
    bool used_fallback[XL_NGRAM_MAX_ORDER];
} xl_ngram_train_stats;

typedef struct xl_ngram_trainer xl_ngram_trainer;

xl_ngram_trainer *xl_ngram_trainer_new(int order, const xl_ngram_train_opts *opts, xl_error *err);
void xl_ngram_trainer_free(xl_ngram_trainer *t);
/* The trainer's vocabulary, to intern tokens for xl_ngram_trainer_add_ids. */
xl_ngram_vocab *xl_ngram_trainer_vocab(xl_ngram_trainer *t);
/* One sentence of ids (without <s>/</s>); every id must be >= 3 and interned. */
int xl_ngram_trainer_add_ids(xl_ngram_trainer *t, const uint32_t *ids, size_t n, xl_error *err);
/* One line of text: split on space, TAB, CR, LF and NUL (lmplz's delimiters);
 * the text must be well-formed UTF-8. */
int xl_ngram_trainer_add_line(xl_ngram_trainer *t, const char *line, size_t len, xl_error *err);

typedef struct xl_ngram_model xl_ngram_model;

/* Estimate the model.  The trainer is spent afterwards (free it).  stats may be NULL. */
xl_ngram_model *xl_ngram_trainer_estimate(xl_ngram_trainer *t, xl_ngram_train_stats *stats, xl_error *err);
/* Estimate and write the ARPA text (to `path`, "-" = stdout, or appended to
 * `out`) without building a model: each order is written as soon as its
 * backoffs are known and then freed, as lmplz streams it, so the peak memory
 * is the counts and at most two orders' values, never the query tables
 * (docs/ngram.md, "Training memory").  The text is byte for byte that of
 * xl_ngram_model_write_arpa on xl_ngram_trainer_estimate's model.  The
 * trainer is spent afterwards. */
int xl_ngram_trainer_write_arpa(xl_ngram_trainer *t, const char *path, xl_ngram_train_stats *stats, xl_error *err);
int xl_ngram_trainer_format_arpa(xl_ngram_trainer *t, xl_buf *out, xl_ngram_train_stats *stats, xl_error *err);

/* -------------------------------------------------------------------- model */
xl_ngram_model *xl_ngram_model_read_arpa(const char *path, xl_error *err);
/* Parse ARPA text held in memory; `name` is used in error messages. */
xl_ngram_model *xl_ngram_model_parse_arpa(const char *data, size_t len, const char *name, xl_error *err);
int xl_ngram_model_write_arpa(const xl_ngram_model *m, const char *path, xl_error *err);
int xl_ngram_model_format_arpa(const xl_ngram_model *m, xl_buf *out, xl_error *err);
void xl_ngram_model_free(xl_ngram_model *m);

/* Binary model files (docs/model-format.md, "The n-gram model file"): the
 * query structure as it is in memory, little-endian, memory-mapped and used
 * in place on little-endian hosts.  The loader validates the header, sanity
 * block, every section's offset and size against the file, the vocabulary
 * and the unigrams; scores equal those of the model that was written.  A
 * model read from a binary file cannot be written as ARPA (it keeps no
 * n-gram list, like KenLM's probing binaries). */
int xl_ngram_model_write_binary(const xl_ngram_model *m, const char *path, xl_error *err);
int xl_ngram_model_format_binary(const xl_ngram_model *m, xl_buf *out, xl_error *err);
xl_ngram_model *xl_ngram_model_read_binary(const char *path, xl_error *err);
/* Quantised binary files (KenLM's build_binary -q P -b B, which KenLM applies
 * to its trie; here to the probing tables): per order >= 2, probabilities in
 * 2^prob_bits bins and non-zero backoffs in 2^backoff_bits - 1 bins (plus an
 * exact 0), bins of equal size over the sorted values, each value replaced by
 * the nearest bin centre (the bin's mean): Federico & Bertoldi 2006, KenLM's
 * lm/quantize.cc.  Unigrams keep full floats.  Slots shrink from 16 to 12
 * bytes below the highest order.  Bits 1..16 each; prob_bits 0 = not
 * quantised (then the same as xl_ngram_model_write_binary), and so is an
 * order-1 model (nothing to quantise).  `rep` (may be
 * NULL) receives what the quantisation costs, per order: the largest and the
 * mean |log10 value - centre| over the n-grams. */
typedef struct xl_ngram_quant_report {
    int prob_bits, backoff_bits;
    double prob_max[XL_NGRAM_MAX_ORDER], prob_mean[XL_NGRAM_MAX_ORDER];       /* index k-1, k >= 2 */
    double backoff_max[XL_NGRAM_MAX_ORDER], backoff_mean[XL_NGRAM_MAX_ORDER]; /* k < order */
} xl_ngram_quant_report;
int xl_ngram_model_write_binary_quant(const xl_ngram_model *m, const char *path, int prob_bits, int backoff_bits,
                                      xl_ngram_quant_report *rep, xl_error *err);
int xl_ngram_model_format_binary_quant(const xl_ngram_model *m, xl_buf *out, int prob_bits, int backoff_bits,
                                       xl_ngram_quant_report *rep, xl_error *err);
/* Validate a binary image held in memory (copied; tests, fuzzing). */
xl_ngram_model *xl_ngram_model_parse_binary(const void *data, size_t len, const char *name, xl_error *err);
/* Does data start with the binary model magic? */
bool xl_ngram_is_binary(const void *data, size_t len);
/* Read a model for scoring, in either format, told apart by the binary magic
 * ("-" = stdin).  An ARPA model read this way keeps no n-gram lists (4k bytes
 * per k-gram less), so like a binary one it cannot be written as ARPA again;
 * xl_ngram_model_read_arpa keeps them. */
xl_ngram_model *xl_ngram_model_read(const char *path, xl_error *err);
bool xl_ngram_model_is_binary(const xl_ngram_model *m);

int xl_ngram_model_order(const xl_ngram_model *m);
uint64_t xl_ngram_model_count(const xl_ngram_model *m, int order); /* order 1..N */
const xl_ngram_vocab *xl_ngram_model_vocab(const xl_ngram_model *m);
uint32_t xl_ngram_model_bos(const xl_ngram_model *m);
uint32_t xl_ngram_model_eos(const xl_ngram_model *m);
/* The id of a word, XL_NGRAM_UNK (0) when it is not in the model. */
uint32_t xl_ngram_model_index(const xl_ngram_model *m, const char *word, size_t len);
/* Exact entry lookup: ids[0..n) in text order.  Returns true and fills prob /
 * backoff (either may be NULL) when the n-gram is in the model. */
bool xl_ngram_model_lookup(const xl_ngram_model *m, const uint32_t *ids, int n, float *prob, float *backoff);

/* Scoring state: the most recent words first, with their backoffs. */
typedef struct xl_ngram_state {
    int length;
    uint32_t words[XL_NGRAM_MAX_ORDER - 1];
    float backoff[XL_NGRAM_MAX_ORDER - 1];
} xl_ngram_state;

/* State after <s> (sentence context) / the empty context. */
void xl_ngram_state_begin(const xl_ngram_model *m, xl_ngram_state *s);
void xl_ngram_state_null(xl_ngram_state *s);
/* log10 p(word | in) with standard ARPA backoff: the longest (h, word) in the
 * model gives p, plus the backoffs of every longer context in `in`.  Ids
 * outside the vocabulary score as <unk>.  *ngram_length (may be NULL) gets
 * the length of the n-gram matched.  out may alias in. */
float xl_ngram_score(const xl_ngram_model *m, const xl_ngram_state *in, uint32_t word, xl_ngram_state *out,
                     int *ngram_length);

/* -------------------------------------------------- sentences, KenLM query */
typedef struct xl_ngram_corpus_stats {
    double total;          /* sum of per-sentence float totals, as KenLM (double) */
    double total_oov;      /* sum of the OOV words' log10 p */
    uint64_t tokens;       /* scored tokens, </s> included */
    uint64_t oov;
    uint64_t sentences;
} xl_ngram_corpus_stats;

typedef struct xl_ngram_sentence {
    float total;           /* float sum of the line's scores, as KenLM's Total */
    uint64_t tokens;
    uint64_t oov;
} xl_ngram_sentence;

/* Score one line.  Words are split on space, TAB, VT, FF, CR, LF (KenLM's
 * util/spaces.cc).  sentence_context: wrap in <s> .. </s> (query's default;
 * false = `query -n`).  When `out` is non-NULL the line is appended in KenLM
 * query format ("w=ID LEN LOGP\t... Total: T OOV: K\n").  acc may be NULL.
 * The line must be well-formed UTF-8. */
int xl_ngram_query_line(const xl_ngram_model *m, const char *line, size_t len, bool sentence_context,
                        xl_buf *out, xl_ngram_sentence *res, xl_ngram_corpus_stats *acc, xl_error *err);
/* 10^(-total/tokens), including or excluding OOVs (KenLM's definitions). */
double xl_ngram_perplexity(const xl_ngram_corpus_stats *s, bool include_oov);
/* KenLM's four summary lines. */
int xl_ngram_format_summary(const xl_ngram_corpus_stats *s, xl_buf *out, xl_error *err);

/* Shortest round-trip decimal forms, printed like KenLM (double-conversion,
 * fixed notation for exponents -6..20, else "1.5e-7").  buf >= 32 bytes. */
size_t xl_ngram_format_float(float v, char *buf);
size_t xl_ngram_format_double(double v, char *buf);

#endif /* XL_NGRAM_H */
