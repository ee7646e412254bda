/* w2v_eval.h - intrinsic evaluation of word vectors: the analogy test and
 * nearest neighbours.
 *
 * Analogy (Mikolov et al. 2013; protocol of word2vec.c's compute-accuracy.c):
 *   - questions file: "questions-words.txt" format; a line ": name" starts a
 *     section, other lines hold four words "a b c d" meaning a:b = c:d.  The
 *     first 5 sections are "semantic", the rest "syntactic" (as in
 *     compute-accuracy; configurable).
 *   - only the first `restrict_vocab` rows of the vector file are candidates
 *     (compute-accuracy's threshold, 30000 there); 0 = all rows.
 *   - compute-accuracy compatibility: words are compared after ASCII
 *     upper-casing and truncation to 50 bytes (first matching row wins); turn
 *     off with exact_case.
 *   - a question is "seen" when all four words are among the candidates; the
 *     prediction is the candidate with the largest dot product with
 *     b - a + c over unit-normalised vectors (3CosAdd), excluding a, b, c,
 *     and it must be > 0 (compute-accuracy starts its best score at 0).
 *   - accuracy = correct / seen; semantic and syntactic likewise.
 */
#ifndef W2V_EVAL_H
#define W2V_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "w2v_vectors.h"
#include "xl_error.h"

typedef struct xl_w2v_analogy_section {
    char name[64];
    size_t questions, seen, correct;
} xl_w2v_analogy_section;

typedef struct xl_w2v_analogy_options {
    size_t restrict_vocab; /* 0 = all rows; compute-accuracy uses 30000 */
    bool exact_case;       /* false: compute-accuracy's upper-case + 50-byte truncation */
    size_t n_semantic;     /* sections counted as semantic; 0 means 5 */
    int threads;           /* 0 = all CPUs */
} xl_w2v_analogy_options;

typedef struct xl_w2v_analogy_result {
    xl_w2v_analogy_section *sections;
    size_t n_sections;
    size_t questions, seen, correct;
    size_t semantic_seen, semantic_correct, syntactic_seen, syntactic_correct;
} xl_w2v_analogy_result;

int xl_w2v_analogy_eval(const xl_w2v_vectors *v, const char *questions_path, const xl_w2v_analogy_options *opt,
                     xl_w2v_analogy_result *out, xl_error *err);
void xl_w2v_analogy_result_free(xl_w2v_analogy_result *r);

/* k nearest rows of `unit` (rows unit-normalised) to query by cosine
 * (query need not be normalised), skipping the ids in exclude[0..n_exclude).
 * Writes up to k ids and scores (descending; ties: lower id first); returns
 * how many were written. */
size_t xl_w2v_nearest(const xl_w2v_vectors *unit, const float *query, size_t k, const int64_t *exclude, size_t n_exclude,
                   int64_t *ids, float *scores);

#endif /* W2V_EVAL_H */
