/* align.h - cross-lingual word-embedding alignment: orthogonal Procrustes
 * from a seed dictionary, iterative refinement, NN and CSLS retrieval, and
 * word-translation evaluation P@1/5/10 (Conneau et al. 2018, "Word
 * Translation Without Parallel Data", the MUSE protocol).
 *
 * Contract
 *   - Vectors are xl_w2v_vectors (w2v_vectors.h); row order = frequency order
 *     (word2vec files are written that way), so "max_vocab" keeps the most
 *     frequent words.
 *   - xl_align_normalize: "unit" (L2 per row) or "center" (unit, subtract the
 *     mean row, unit again: MUSE's renorm,center,renorm).
 *   - Dictionaries: one pair per line, "src<TAB>tgt" (a tab anywhere splits
 *     there; phrases allowed) or "src tgt" (exactly two white-space separated
 *     words, MUSE).  Blank lines are skipped; other lines are format errors
 *     with the line number.  Pairs with a word outside the vocabularies are
 *     counted and dropped; duplicate pairs are dropped.
 *   - Split (when no separate test dictionary is given): the distinct source
 *     words are shuffled with PCG32(seed); the first `test_words` are the test
 *     set with all their translations, every pair of the others is training.
 *   - Procrustes: W = U V^T, U S V^T = SVD(Y^T X), X/Y the source/target rows
 *     of the training pairs; a source row x maps to W x (Schonemann 1966;
 *     Xing et al. 2015; Smith et al. 2017).  Computed in double.
 *   - Refinement (MUSE): build a dictionary of mutual nearest neighbours
 *     under CSLS among the `refine_rank` most frequent words of each side,
 *     recompute W from it; repeat.
 *   - Retrieval: cosine NN, or CSLS(Wx, y) = 2 cos(Wx, y) - r_T(Wx) - r_S(y),
 *     r = mean cosine of the k = 10 nearest neighbours in the other language
 *     (targets: the first max_vocab rows of tgt; sources for r_S: the first
 *     max_vocab rows of src).
 *   - P@k: over distinct test source words; a hit when any gold translation
 *     is among the top k.  Test words are always candidates, gold targets
 *     outside the candidate rows count as misses.
 */
#ifndef ALIGN_H
#define ALIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "w2v_vectors.h"
#include "xl_error.h"

typedef struct xl_align_dict {
    uint32_t *src, *tgt; /* row ids */
    size_t n, cap;
} xl_align_dict;

typedef struct xl_align_dict_stats {
    size_t lines, pairs, oov_pairs, duplicates;
} xl_align_dict_stats;

void xl_align_dict_free(xl_align_dict *d);
int xl_align_dict_load(const char *path, const xl_w2v_vectors *src, const xl_w2v_vectors *tgt, xl_align_dict *out,
                    xl_align_dict_stats *stats, xl_error *err);
/* Split by distinct source word (see contract). */
int xl_align_dict_split(const xl_align_dict *all, size_t test_words, uint64_t seed, xl_align_dict *train, xl_align_dict *test,
                     xl_error *err);
size_t xl_align_dict_distinct_src(const xl_align_dict *d);

int xl_align_normalize(xl_w2v_vectors *v, const char *how, xl_error *err);

/* W: d x d row-major (float).  Fails when the dictionary is empty. */
int xl_align_procrustes(const xl_w2v_vectors *src, const xl_w2v_vectors *tgt, const xl_align_dict *pairs, float *W, xl_error *err);
/* out = rows of src mapped by W (x -> W x), same words. */
int xl_align_apply(const xl_w2v_vectors *src, const float *W, xl_w2v_vectors *out, xl_error *err);

typedef struct xl_align_options {
    size_t max_vocab;   /* candidate/target rows; 0 = all (default 200000 in the CLI) */
    size_t csls_k;      /* 10 */
    bool csls;          /* CSLS instead of cosine NN */
    size_t refine_rank; /* refinement dictionary from the first N rows of each side (15000) */
    int threads;        /* 0 = all CPUs */
} xl_align_options;

/* One refinement step: W from the mutual-NN CSLS dictionary of mapped src. */
int xl_align_refine_step(const xl_w2v_vectors *src, const xl_w2v_vectors *tgt, const xl_align_options *opt, float *W,
                      size_t *dict_size, xl_error *err);

typedef struct xl_align_eval_result {
    size_t queries;      /* distinct test source words */
    size_t hits1, hits5, hits10;
} xl_align_eval_result;

/* mapped: source vectors already in the target space, unit rows. */
int xl_align_eval(const xl_w2v_vectors *mapped, const xl_w2v_vectors *tgt, const xl_align_dict *test, const xl_align_options *opt,
               xl_align_eval_result *out, xl_error *err);

/* Top-k search (shared with sentence retrieval): for each of nq unit query
 * rows Q, the k best rows of T (nt x dim) by score = dot(q, t) - penalty[t]
 * (penalty may be NULL).  ids/scores: nq x k, descending. */
int xl_align_topk(const float *Q, size_t nq, const float *T, size_t nt, size_t dim, const float *penalty, size_t k,
               int threads, int64_t *ids, float *scores, xl_error *err);
/* r[i] = mean of the k largest dot(Q_i, T_j) (CSLS neighbourhood density). */
int xl_align_mean_topk(const float *Q, size_t nq, const float *T, size_t nt, size_t dim, size_t k, int threads, float *r,
                    xl_error *err);

#endif /* ALIGN_H */
