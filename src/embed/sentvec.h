/* sentvec.h - sentence / item embeddings from word vectors: mean pooling and
 * SIF (Arora, Liang & Ma 2017, "A Simple but Tough-to-Beat Baseline for
 * Sentence Embeddings").
 *
 * Contract
 *   - Input lines are already tokenised: tokens separated by ASCII white
 *     space (use the same preprocessing as the corpus the vectors came from;
 *     the CLI applies xl_text_preprocess).  A token is looked up as written;
 *     when absent and `lowercase_fallback` is set, its ASCII-lower-cased form
 *     is tried.
 *   - OOV: tokens not in the vocabulary are skipped.  A line with no known
 *     token gets the zero vector (and is counted in n_empty); after principal
 *     component removal it stays zero.
 *   - mean:  v_s = (1/|s|) sum_w v_w over known tokens.
 *   - SIF:   v_s = (1/|s|) sum_w a/(a + p(w)) v_w, then the projection on the
 *     first singular vector u of the matrix of all non-empty v_s (uncentred,
 *     as in the authors' code) is removed: v_s -= u u^T v_s.  p(w) is the
 *     unigram probability: from a "word count" file (word2vec -save-vocab
 *     format, `xlrec w2v train --save-vocab`), or - when none is given -
 *     estimated by Zipf's law from the row rank r (0-based) of the frequency-
 *     sorted vector file: p(w) = 1/((r+1) H_n), H_n the n-th harmonic number.
 *     a = 1e-3 by default (the paper's range is 1e-4..1e-3).
 *   - The component u can be computed on one set and reused on another
 *     (query/corpus): xl_sentvec_options.pc (NULL = compute from these lines).
 *   - Output rows are optionally L2-normalised (normalize).
 */
#ifndef SENTVEC_H
#define SENTVEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "w2v_vectors.h"
#include "xl_alloc.h"
#include "xl_error.h"

typedef enum { SENTVEC_MEAN = 0, SENTVEC_SIF } xl_sentvec_pooling;

typedef struct xl_sentvec_options {
    xl_sentvec_pooling pooling;
    bool remove_pc;           /* SIF's common-component removal (default on for SIF) */
    bool normalize;           /* L2-normalise each output row */
    bool lowercase_fallback;  /* try the ASCII-lower-cased token when absent */
    const double *pc;         /* [dim] component to remove; NULL = compute */
    int threads;              /* rows pooled in parallel; 0 = all CPUs (xl_resolve_threads) */
    struct xl_pool *pool;     /* run them on this pool (xl_thread.h); NULL: threads started for the call */
} xl_sentvec_options;

/* weights[i] = a / (a + p(word i)).  counts_path NULL = Zipf estimate. */
int xl_sentvec_sif_weights(const xl_w2v_vectors *v, const char *counts_path, double a, float **weights, xl_error *err);

/* Embed n lines into out (n x dim, row-major).  weights: NULL for mean
 * pooling (ignored unless pooling == SIF).  pc_out (dim doubles, may be NULL)
 * receives the removed component.  n_empty (may be NULL): lines with no known
 * token. */
int xl_sentvec_embed_lines(const xl_w2v_vectors *v, const float *weights, const char *const *lines, const size_t *lens,
                        size_t n, const xl_sentvec_options *opt, float *out, double *pc_out, size_t *n_empty,
                        xl_error *err);

/* Word ids of one tokenised line, appended to the growable array *ids
 * (*n entries, capacity *cap; *n is reset to 0 first): one entry per
 * white-space-separated token, -1 for a token not in the vocabulary (after
 * the ASCII-lower-case retry when lowercase_fallback). */
int xl_sentvec_lookup(const xl_w2v_vectors *v, const char *s, size_t len, bool lowercase_fallback, int32_t **ids,
                   size_t *n, size_t *cap, xl_error *err);

/* xl_sentvec_embed_lines on lines already looked up: ids[i][0..lens[i]) word
 * ids, -1 skipped.  Rows are pooled on opt->threads threads (0 = all CPUs);
 * every row is computed alone, so the output does not depend on the count. */
int xl_sentvec_embed_ids(const xl_w2v_vectors *v, const float *weights, const int32_t *const *ids, const size_t *lens,
                      size_t n, const xl_sentvec_options *opt, float *out, double *pc_out, size_t *n_empty, xl_error *err);

/* The tokenisation the CLI applies before lookup, matching
 * src/w2v/tools/w2v_tokenize.py: xl_text_preprocess with NFKC, case folding,
 * punctuation and digits removed, then xl_text_segment(XL_SEG_CHAR) (CJK one
 * token per character).  Appends to out. */
int xl_sentvec_preprocess(const char *s, size_t len, xl_buf *out, xl_error *err);

#endif /* SENTVEC_H */
