/* w2v.h - Word2Vec training: CBOW and skip-gram with negative sampling or
 * hierarchical softmax (Mikolov et al. 2013, "Efficient Estimation of Word
 * Representations in Vector Space" and "Distributed Representations of Words
 * and Phrases and their Compositionality"), following word2vec.c v0.1c.
 *
 * Contract
 *   - Input: a whitespace-separated token stream (space, tab, newline, as in
 *     word2vec.c; '\r', '\v', '\f' are separators too).  Every newline is the
 *     sentence token "</s>" (vocabulary row 0), and sentences are also cut
 *     every 1000 kept words.  No limit on word length or vocabulary size:
 *     words live in an arena with a hash index.  The corpus is read once
 *     ("-" = stdin works) and kept in memory as 32-bit word ids
 *     (4 bytes per token).
 *   - Vocabulary: "</s>" first, then words with count >= min_count by
 *     descending count, ties by first occurrence in the corpus (word2vec.c
 *     leaves ties in qsort order, which is unspecified).
 *   - Same options and defaults as word2vec.c (see xl_w2v_options_default).
 *     Differences, on purpose: (1) every epoch is trained with any number of
 *     threads (word2vec.c with -threads 1 trains only the first of -iter
 *     epochs, tmikolov/word2vec#47); (2) the random generator is PCG32
 *     (xl_rng.h), one stream per thread, so `threads = 1` with a given seed is
 *     bit-for-bit repeatable; (3) negative samples come from an exact alias
 *     table of unigram^0.75 (Vose 1991) instead of a 1e8-entry int table;
 *     (4) threads split the token array, not the file bytes.
 *     word2vec.c never trains the "</s>" row either: the row is a sentence
 *     break, never inside a window; we keep that behaviour and document it.
 *   - Hogwild (Recht et al. 2011): threads update the shared matrices without
 *     locks; runs with threads > 1 are not repeatable.
 *   - Learning rate: alpha * (1 - words_done / (iter * train_words + 1)),
 *     floored at alpha * 1e-4, updated every 10,000 words (word2vec.c).
 *   - Progress callback (optional) gets words/s/thread counted like
 *     word2vec.c: words read (including those dropped by subsampling) per
 *     CPU-second of the process (clock()).
 */
#ifndef W2V_H
#define W2V_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "w2v_vectors.h"
#include "xl_error.h"

typedef struct xl_w2v_options {
    int size;          /* -size 100: vector dimension */
    int window;        /* -window 5 */
    double sample;     /* -sample 1e-3: subsampling threshold t; 0 = off */
    int hs;            /* -hs 0: hierarchical softmax */
    int negative;      /* -negative 5 */
    int threads;       /* -threads 12 */
    int iter;          /* -iter 5 */
    int64_t min_count; /* -min-count 5 */
    double alpha;      /* -alpha: 0.05 CBOW, 0.025 skip-gram when <= 0 */
    int cbow;          /* -cbow 1 */
    uint64_t seed;     /* PCG32 seed (word2vec.c has a fixed seed) */
    /* progress: called from thread 0 about every 10,000 words per thread */
    void (*progress)(void *ctx, double alpha, double fraction_done, double words_per_sec_thread);
    void *progress_ctx;
} xl_w2v_options;

void xl_w2v_options_default(xl_w2v_options *o);

typedef struct xl_w2v_vocab_entry {
    int64_t count;
    /* Huffman code (hs only): `code_len` bits in codes[code_off..], inner
     * nodes in points[code_off..]. */
    uint64_t code_off;
    uint32_t code_len;
} xl_w2v_vocab_entry;

typedef struct xl_w2v_model {
    xl_w2v_options opt;
    xl_w2v_vectors vectors;     /* syn0: the result, vocabulary order */
    xl_w2v_vocab_entry *vocab;  /* [n_words] */
    int64_t train_words;     /* sum of counts of kept words ("Words in train file") */
    uint64_t words_done;     /* words processed over all epochs */
    double cpu_seconds, wall_seconds;
} xl_w2v_model;

/* Train from a text file ("-" = stdin).  On success *model owns the vectors. */
int xl_w2v_train_file(const char *path, const xl_w2v_options *opt, xl_w2v_model *model, xl_error *err);
/* Train from text in memory (tests). */
int xl_w2v_train_text(const char *text, size_t len, const xl_w2v_options *opt, xl_w2v_model *model, xl_error *err);
void xl_w2v_model_free(xl_w2v_model *model);
/* word2vec.c's -save-vocab: "word count\n" per row, "</s>" first. */
int xl_w2v_save_vocab(const char *path, const xl_w2v_model *model, xl_error *err);

#endif /* W2V_H */
