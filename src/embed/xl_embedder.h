/* xl_embedder.h - one interface for every sentence embedder: word vectors
 * pooled by mean or SIF (sentvec.h), and BERT-family encoders (nn/bert.h with
 * the WordPiece tokenizer of the model file).  `xlrec embed`, `embed-words`,
 * `eval-retrieval` and the pipeline of `xlrec run` all embed through it; a new
 * embedder (a trained encoder, a quantised model) is a new kind here, not a
 * new branch in each caller.
 *
 * Contract
 *   - Open once (xl_embedder_open), then: name, dims, the text form it reads,
 *     tokenize a text (ids plus its vocabulary coverage), embed tokenised
 *     texts or raw texts in batches, rows in input order.  No printing, no
 *     exiting; errors in err.
 *   - Threads are resolved once at open (0 = all CPUs, xl_resolve_threads)
 *     and started once: one pool per embedder (BERT: the kernels' pool; word
 *     vectors: a pool of their own).  The output does not depend on the
 *     thread count.
 *   - Tokenise once: xl_embedder_tokenize gives the ids AND the coverage
 *     (tokens, known tokens) the pipeline routes by; xl_embedder_embed_tokens
 *     embeds those same ids.  xl_embedder_embed is tokenize + embed.
 *   - Word vectors: tokens are white-space-separated words (after
 *     xl_sentvec_preprocess unless options.raw); unknown words are skipped; a
 *     text without a known word gets the zero vector (counted in n_empty).
 *     SIF removes the first principal component of the rows of ONE call, so
 *     embed a whole set in one call.
 *   - BERT: tokens are WordPiece ids with [CLS]/[SEP] added when the model's
 *     tokenizer adds them, truncated to max_len as HF truncates one sequence
 *     (the first max_len - 2 pieces between [CLS] and [SEP]); only the kept
 *     pieces are stored, so the coverage is that of what gets embedded.  Ids
 *     built by the caller longer than max_len are cut the same way at embed
 *     time.  Truncated texts are counted; texts run in batches of
 *     options.batch.
 */
#ifndef XL_EMBEDDER_H
#define XL_EMBEDDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bert.h"
#include "xl_datapath.h"
#include "sentvec.h"
#include "xl_error.h"
#include "xl_kernels.h"

typedef enum {
    XL_EMBEDDER_AUTO = 0,      /* from the file: an xlrec model file (magic "XLRECMOD") is BERT, else word vectors */
    XL_EMBEDDER_WORD_VECTORS,  /* word2vec text/binary/f16 file, mean or SIF pooling */
    XL_EMBEDDER_BERT           /* BERT/DistilBERT model file from `xlrec convert` */
} xl_embedder_kind;

/* The text form an embedder reads (what the pipeline hands it). */
typedef enum {
    XL_EMBEDDER_READS_TEXT = 0, /* text as written (cleaned, NFC): the model's own tokenizer normalises it */
    XL_EMBEDDER_READS_WORDS     /* xl_sentvec_preprocess words (NFKC, casefold, no punctuation, CJK per character) */
} xl_embedder_input;

typedef struct xl_embedder_options {
    xl_embedder_kind kind;   /* default AUTO */
    int threads;             /* 0 = all CPUs; default XL_THREADS_DEFAULT */
    bool normalize;          /* L2-normalise every row (word vectors; BERT unless normalize_default) */
    bool normalize_default;  /* BERT: the model file's own choice instead of `normalize` (default true) */
    /* word vectors */
    xl_sentvec_pooling pooling; /* default SIF */
    bool remove_pc;          /* SIF: remove the first principal component (default true) */
    double sif_a;            /* SIF a (default 1e-3) */
    const char *counts_path; /* unigram counts for the SIF weights; NULL = Zipf estimate from the row rank */
    size_t max_words;        /* read only the first N vectors (0 = all) */
    bool raw;                /* texts are already words: no xl_sentvec_preprocess */
    bool lowercase_fallback; /* retry an unknown word ASCII-lower-cased (default true) */
    /* BERT */
    xl_pooling bert_pooling; /* default XL_POOL_DEFAULT: the model file's */
    size_t max_len;          /* truncation in tokens, [CLS]/[SEP] included; 0 = the model's max_seq_len */
    size_t batch;            /* texts per forward pass (default 32) */
    xl_simd_path simd;       /* kernel code path (default XL_SIMD_AUTO) */
} xl_embedder_options;

/* The defaults above: the single source of the embedding defaults (the
 * commands print their --help defaults from here). */
void xl_embedder_options_default(xl_embedder_options *o);

typedef struct xl_embedder xl_embedder;

/* The shipped default of a kind, found by xl_datapath (src/core/xl_datapath.h:
 * $XLREC_DATA, the installed data directory, the source tree), into out[cap]:
 *   XL_EMBEDDER_BERT: the default sentence encoder XL_DATA_ENCODER;
 *   XL_EMBEDDER_AUTO: xl_embedder_default (the encoder, else the word vectors);
 *   XL_EMBEDDER_WORD_VECTORS: $XLREC_WORD_VECTORS when set, else the word-vector
 *   baseline XL_DATA_WORD_VECTORS.
 * Not found: -1, the message names every place searched and how to choose
 * another embedder (--model / --word-vectors). */
int xl_embedder_default_path(xl_embedder_kind kind, char *out, size_t cap, xl_error *err);

/* THE default embedder of every command that takes one (embed, eval-retrieval,
 * run, the pipeline): the shipped sentence encoder XL_DATA_ENCODER when it is
 * found (*kind = XL_EMBEDDER_BERT), else the word-vector baseline, as
 * xl_embedder_default_path(XL_EMBEDDER_WORD_VECTORS) finds it (*kind =
 * XL_EMBEDDER_WORD_VECTORS), so the commands work whether an encoder is
 * shipped (installed) or not.  The kind says which place was found, not what
 * the file holds: a damaged encoder file fails when it is opened, it is never
 * read as word vectors.  Neither found: -1, the message names the places
 * searched for the encoder and the options that choose another embedder. */
int xl_embedder_default(xl_embedder_kind *kind, char *out, size_t cap, xl_error *err);

/* The kind of the file at `path`: XL_EMBEDDER_BERT when it starts with the xlrec
 * model magic, else XL_EMBEDDER_WORD_VECTORS ("-" and unreadable files included:
 * the reader reports the error). */
xl_embedder_kind xl_embedder_path_kind(const char *path);

/* Open `path` (NULL = the shipped default of opt->kind: xl_embedder_default for
 * XL_EMBEDDER_AUTO, else xl_embedder_default_path).  opt may be NULL (defaults). */
int xl_embedder_open(xl_embedder **out, const char *path, const xl_embedder_options *opt, xl_error *err);
void xl_embedder_free(xl_embedder *e);

xl_embedder_kind xl_embedder_kind_of(const xl_embedder *e);
xl_embedder_input xl_embedder_reads(const xl_embedder *e);
/* One line that says what it is: "word vectors PATH (N words x D dims, SIF
 * pooling)" or "BERT model PATH (L layers, hidden H, D-dim mean pooling,
 * vocabulary V)". */
const char *xl_embedder_name(const xl_embedder *e);
/* Width of a row of xl_embedder_embed*. */
size_t xl_embedder_dim(const xl_embedder *e);
/* Threads in use (resolved). */
int xl_embedder_threads(const xl_embedder *e);
/* BERT only (NULL otherwise): the encoder, for callers that need its config. */
const xl_bert *xl_embedder_bert(const xl_embedder *e);
/* BERT: the truncation length in use (0 for word vectors). */
size_t xl_embedder_max_len(const xl_embedder *e);

/* One tokenised text.  ids[0..len): word ids (-1 = unknown word) or BERT
 * piece ids (with the added [CLS]/[SEP] when `specials`); type_ids NULL =
 * all 0.  n_tokens / n_known: the text's tokens (added specials not counted)
 * and those the embedder knows (in the vocabulary; BERT: not [UNK]), of the
 * kept tokens. */
typedef struct xl_embedder_tokens {
    int32_t *ids, *type_ids;
    size_t len, cap, type_cap;
    size_t n_tokens, n_known;
    bool specials;  /* ids start with [CLS] and end with [SEP] added by the tokenizer */
    bool truncated; /* the text had more pieces than max_len */
} xl_embedder_tokens;

void xl_embedder_tokens_init(xl_embedder_tokens *t);
void xl_embedder_tokens_free(xl_embedder_tokens *t);
/* Tokenise text[0..len) into *t (its previous content replaced).  Uses the
 * embedder's scratch: one embedder per calling thread. */
int xl_embedder_tokenize(xl_embedder *e, const char *text, size_t len, xl_embedder_tokens *t, xl_error *err);

/* Counts of the last embed call. */
typedef struct xl_embedder_stats {
    size_t n_empty;     /* word vectors: texts without a known word (zero rows) */
    size_t n_truncated; /* BERT: texts cut to max_len */
} xl_embedder_stats;

/* out[n, dim] from n tokenised texts (xl_embedder_tokenize, or ids built by
 * the caller).  stats may be NULL.  BERT errors name the text index. */
int xl_embedder_embed_tokens(xl_embedder *e, const xl_embedder_tokens *t, size_t n, float *out,
                             xl_embedder_stats *stats, xl_error *err);
/* out[n, dim] from n texts (lens may be NULL: strlen). */
int xl_embedder_embed(xl_embedder *e, const char *const *texts, const size_t *lens, size_t n, float *out,
                      xl_embedder_stats *stats, xl_error *err);
/* Every line of a file ("-" = stdin; max_lines > 0 stops there) embedded in
 * one call: *out (n_lines x dim, free()) allocated here. */
int xl_embedder_embed_file(xl_embedder *e, const char *path, size_t max_lines, float **out, size_t *n_lines,
                           xl_embedder_stats *stats, xl_error *err);

/* BERT only: every token's final hidden state instead of a pooled row.
 * fn(ctx, i, rows, len, hidden) is called for each text i in order with its
 * rows[len, hidden] (valid during the call); a non-zero return stops with
 * that value (fn sets err). */
typedef int (*xl_embedder_token_rows_fn)(void *ctx, size_t i, const float *rows, size_t len, size_t hidden,
                                         xl_error *err);
int xl_embedder_token_states(xl_embedder *e, const xl_embedder_tokens *t, size_t n, xl_embedder_token_rows_fn fn,
                             void *ctx, xl_embedder_stats *stats, xl_error *err);

#endif /* XL_EMBEDDER_H */
