/* glove.h - GloVe word vectors (Pennington, Socher & Manning 2014), a C11
 * re-implementation of Stanford GloVe's four tools (commit 52f7dbc):
 * vocab_count, cooccur, shuffle and glove.
 *
 * Contract
 *   - Corpus tokens are split exactly as the reference's get_word: ' ', '\t'
 *     and '\n' separate, '\r' is dropped wherever it occurs, a line is a
 *     document (windows never cross '\n'), a token keeps at most 999 bytes
 *     (cut so that no UTF-8 sequence is split, by the reference's rule) and
 *     ends at a NUL byte.  The token "<unk>" is reserved (the vector writer
 *     adds its own "<unk>" row): vocabulary counting rejects it.
 *   - Vocabulary: descending count, ties by the reference's byte comparison
 *     (bytes as *signed* char, as x86 compiles the reference; the order is
 *     the same on every platform here); words below min_count dropped; with
 *     max_vocab the words kept at the boundary count are those first in the
 *     reference's hash-table order (bucket of its bitwisehash).  File: one
 *     "word count\n" per line, byte for byte the reference's output.
 *   - Co-occurrence: word ids are 1-based frequency ranks.  For every in-
 *     vocabulary token w at position j of a line (out-of-vocabulary tokens are
 *     removed before positions are counted), every earlier token c at
 *     distance d = j - k <= window adds 1/d (1 without distance weighting) to
 *     X[c][w], and, when symmetric, also to X[w][c].  Output: records
 *     {int32 word1, int32 word2, float64 value}, 16 bytes, little-endian
 *     (the reference writes native order: identical on x86), sorted by
 *     (word1, word2), no duplicate pair, no zero value.
 *   - Memory bound: pairs whose rank product is below max_product go to a
 *     dense triangular table, the others to a buffer of overflow_length
 *     records; a full buffer is sorted and compacted, and written to a
 *     temporary file as a sorted run when compaction does not halve it; the
 *     runs are merged at the end (and, whenever GLOVE_MAX_RUNS of them exist,
 *     into one run, so at most that many files are open at once).  xl_glove_memory_plan derives both sizes from
 *     a limit in bytes with the reference's formulas.
 *   - Shuffle: a uniform random permutation from xl_rng (PCG32) seeded by
 *     seed.  Up to min(chunk, 2^20) records: Fisher-Yates in memory.  Larger
 *     files: each record goes to one of B temporary buckets drawn at random
 *     (B from the file size so a bucket holds about 2^20 records), then each
 *     bucket is shuffled in memory and appended - about 1/B of the file in
 *     memory, where the reference holds a whole chunk (its chunk-and-merge is
 *     also not a uniform permutation).  Standard input gets 16 buckets.
 *   - Training: AdaGrad on J = sum_ij f(X_ij)(w_i.w~_j + b_i + b~_j - log X_ij)^2,
 *     f(x) = min(1, (x/x_max)^alpha), with the reference's update (gradient
 *     components clipped to +-grad_clip, initial accumulators 1, bias step
 *     without eta, NaN/Inf updates skipped).  Parameters are float64 like the
 *     reference; initial values (u - 1/2)/dim with u uniform from xl_rng(seed),
 *     drawn in the reference's parameter order.  Threads are Hogwild on
 *     contiguous slices of the file (the reference's split); with one thread a
 *     run is bit-for-bit repeatable.
 *   - Every output file goes through xl_output (a temporary file in the same
 *     folder, renamed into place); a path naming an input is refused.  Temporary
 *     run files are removed on success and on error.
 *   - Errors: "<file>:<line>: what" for text inputs, "<file>: record N: what"
 *     for binary ones; functions return -1 with err set.
 */
#ifndef GLOVE_H
#define GLOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "w2v_vectors.h"
#include "xl_error.h"
#include "xl_io.h"

#define GLOVE_MAX_TOKEN 999 /* bytes kept of a token, as the reference */
#define GLOVE_RECORD_BYTES 16
#define GLOVE_MAX_RUNS 256 /* sorted runs on disk before they are merged into one */

/* ---- vocabulary (vocab_count) -------------------------------------------- */
typedef struct xl_glove_vocab {
    xl_w2v_words words; /* id i = rank i + 1 in co-occurrence files */
    uint64_t *count; /* [words.n] */
} xl_glove_vocab;

typedef struct xl_glove_vocab_stats {
    uint64_t tokens;       /* tokens read */
    uint64_t unique_words; /* distinct tokens before min_count / max_vocab */
} xl_glove_vocab_stats;

void xl_glove_vocab_free(xl_glove_vocab *v);
/* Count the tokens of a corpus ("-" = stdin) and build the sorted, truncated
 * vocabulary.  min_count >= 1; max_vocab 0 = no limit. */
int xl_glove_vocab_count(const char *corpus, uint64_t min_count, uint64_t max_vocab, xl_glove_vocab *out,
                      xl_glove_vocab_stats *stats, xl_error *err);
int xl_glove_vocab_write(const char *path, const xl_glove_vocab *v, xl_error *err);
/* Read a "word count" file (the reference's or ours).  Rows must hold a word
 * and a count; duplicates and "<unk>" are errors. */
int xl_glove_vocab_read(const char *path, xl_glove_vocab *out, xl_error *err);
/* Rows of such a file, each checked to be "word count" (duplicates are
 * found by xl_glove_vocab_read), without keeping the words. */
int xl_glove_vocab_rows(const char *path, size_t *rows, xl_error *err);

/* ---- corpus tokens (shared by vocab and cooccur) ------------------------- */
typedef struct xl_glove_tokens {
    FILE *f;
    const char *path;
    unsigned char *buf;
    size_t pos, len;
    bool eof, owns;
    uint64_t line; /* 1-based line of the token just returned */
    char word[GLOVE_MAX_TOKEN + 1];
    size_t word_len;
} xl_glove_tokens;

int xl_glove_tokens_open(xl_glove_tokens *t, const char *path, xl_error *err);
/* 1: a token in t->word / t->word_len; 0: end of a line; -1: end of input
 * (*err clear) or a read error (*err set, returns -2). */
int xl_glove_tokens_next(xl_glove_tokens *t, xl_error *err);
void xl_glove_tokens_close(xl_glove_tokens *t);

/* ---- co-occurrence (cooccur) --------------------------------------------- */
typedef struct xl_glove_cooccur_opts {
    int window;              /* context words on each side; default 15 */
    bool symmetric;          /* left and right context (default) or left only */
    bool distance_weighting; /* 1/d (default) or 1 */
    int64_t max_product;     /* dense table: rank product below this */
    int64_t overflow_length; /* records buffered before a sorted run */
    const char *temp_prefix; /* temporary runs PREFIX_0001.bin ... */
} xl_glove_cooccur_opts;

typedef struct xl_glove_cooccur_stats {
    uint64_t tokens;       /* tokens read (in and out of vocabulary) */
    uint64_t records;      /* distinct pairs written */
    unsigned runs_spilled; /* sorted runs written to temporary files */
    uint64_t dense_cells;  /* size of the dense table */
} xl_glove_cooccur_stats;

/* Sizes from a memory limit in bytes, with the reference's formulas:
 * r = 0.85 * bytes / 16, max_product = n with n (ln n + 0.1544313298) = r,
 * overflow_length = r / 6.  Returns -1 when the limit cannot hold one window
 * of records (2 * window + 1). */
int xl_glove_memory_plan(double bytes, int window, int64_t *max_product, int64_t *overflow_length, xl_error *err);
void xl_glove_cooccur_defaults(xl_glove_cooccur_opts *o);
int xl_glove_cooccur(const char *corpus, const xl_glove_vocab *vocab, const xl_glove_cooccur_opts *o, const char *out_path,
                  xl_glove_cooccur_stats *stats, xl_error *err);

/* Compare two co-occurrence files: same (i, j) set, largest relative value
 * difference.  Returns 0 (and fills the report) or -1 on a read error. */
typedef struct xl_glove_cooccur_diff {
    uint64_t records_a, records_b, only_a, only_b, common;
    double max_abs_diff, max_rel_diff;
    int32_t worst_i, worst_j;
} xl_glove_cooccur_diff;
int xl_glove_cooccur_compare(const char *path_a, const char *path_b, xl_glove_cooccur_diff *d, xl_error *err);
/* Print "i j value" lines (or with words when vocab is given). */
int xl_glove_cooccur_dump(const char *path, const xl_glove_vocab *vocab, FILE *out, xl_error *err);

/* ---- shuffle -------------------------------------------------------------- */
/* chunk_records: the most records held in memory (the reference's
 * array_size); 0 = GLOVE_SHUFFLE_CHUNK = 0.95 * 2 GiB / 16, the reference's
 * default.  *chunks_written: 1 (in memory) or the number of buckets. */
#define GLOVE_SHUFFLE_CHUNK ((uint64_t)(0.95 * 2.0 * 1073741824.0 / 16))
int xl_glove_shuffle(const char *in_path, const char *out_path, uint64_t chunk_records, uint64_t seed,
                  const char *temp_prefix, unsigned *chunks_written, xl_error *err);

/* ---- training (glove) ----------------------------------------------------- */
typedef struct xl_glove_train_opts {
    int vector_size;  /* 50 */
    int iterations;   /* 25 */
    int threads;      /* XL_THREADS_DEFAULT (the reference: 8) */
    double eta;       /* 0.05 */
    double alpha;     /* 0.75 */
    double x_max;     /* 100 */
    double grad_clip; /* 100 */
    uint64_t seed;    /* 1 */
    /* called after every iteration with the reference's cost figure
     * sum_records 0.5 f(X) diff^2 / records; may be NULL */
    void (*on_iteration)(void *ctx, int iteration, double cost);
    void *ctx;
} xl_glove_train_opts;

typedef struct xl_glove_model {
    size_t vocab_size, dim;
    double *params; /* [2 * vocab_size][dim + 1]: rows 0..V-1 word vectors w
                       and bias b, rows V..2V-1 context vectors w~ and b~,
                       the reference's layout */
} xl_glove_model;

void xl_glove_train_defaults(xl_glove_train_opts *o);
int xl_glove_train(const char *cooccur_path, size_t vocab_size, const xl_glove_train_opts *o, xl_glove_model *out,
                double *final_cost, xl_error *err);
void xl_glove_model_free(xl_glove_model *m);

/* Which vectors a file holds (the reference's -model): */
typedef enum {
    GLOVE_SAVE_ALL = 0,      /* w, b, w~, b~ concatenated (2 dim + 2 values) */
    GLOVE_SAVE_WORD = 1,     /* w */
    GLOVE_SAVE_WORD_CTX = 2, /* w + w~ (default) */
    GLOVE_SAVE_CONCAT = 3    /* w then w~ (2 dim values) */
} xl_glove_save_model;

/* Word vectors for export, one row per vocabulary word plus, when add_unk,
 * the reference's "<unk>" row (mean of the last min(100, V) rows). */
int xl_glove_model_to_vectors(const xl_glove_model *m, const xl_glove_vocab *vocab, xl_glove_save_model which, bool add_unk,
                           xl_w2v_vectors *out, xl_error *err);
/* The reference's text file: "word v1 v2 ...\n" with " %lf" of the float64
 * values (so byte for byte what the reference prints for the same
 * parameters), rows as xl_glove_model_to_vectors; no header unless header (then
 * "ROWS DIM\n" with the real row count). */
int xl_glove_write_text(const char *path, const xl_glove_model *m, const xl_glove_vocab *vocab, xl_glove_save_model which,
                     bool add_unk, bool header, xl_error *err);
/* The reference's binary file: all 2 V (dim + 1) parameters as little-endian
 * float64 (the reference writes native order), no words. */
int xl_glove_write_binary(const char *path, const xl_glove_model *m, xl_error *err);
/* Read such a file back for a vocabulary of vocab_size words (the dimension
 * follows from the size; a size that is not 16 vocab_size (dim + 1) bytes is
 * an error). */
int xl_glove_read_binary(const char *path, size_t vocab_size, xl_glove_model *out, xl_error *err);

/* ---- files ------------------------------------------------------------------ */
/* An output file under the shared policy (xl_output, xl_io.h): a regular file
 * is written to a temporary file in its folder and renamed into place at
 * commit; "-" and devices are written directly. */
typedef struct xl_glove_out {
    FILE *f; /* where to write; NULL after commit or abort */
    xl_output out;
} xl_glove_out;
int xl_glove_out_open(xl_glove_out *o, const char *path, bool binary, xl_error *err);
/* Flush, close and rename into place; on failure the temporary file is removed. */
int xl_glove_out_commit(xl_glove_out *o, xl_error *err);
/* Close and remove the temporary file (after an error). */
void xl_glove_out_abort(xl_glove_out *o);
/* -1 with an error when out names the same file as in (also through links). */
int xl_glove_check_not_input(const char *out, const char *in, xl_error *err);

#endif /* GLOVE_H */
