/* dict_translate.h - word-by-word dictionary translation into a pivot
 * language, the transparent baseline of "translate, then embed".
 *
 * Contract
 *   - Dictionary: one entry per line, "source<TAB>target" (phrases allowed on
 *     both sides; FreeDict, CC-CEDICT's zho-eng) or "source target" (two
 *     words, MUSE).  Source phrases are keyed by their tokens joined with one
 *     space; with `lowercase`, ASCII letters of the key are lower-cased.  A
 *     source may have many targets, kept in file order (duplicates merged).
 *     Malformed lines (one field, empty side) are errors with the line.
 *   - Candidate choice: the target with the highest pivot unigram frequency;
 *     for a multi-word target the frequency of its rarest word (a phrase is
 *     as common as its rarest word).  Frequencies come from a "word count"
 *     file (`xlrec w2v train --save-vocab`, word2vec -save-vocab, or any
 *     unigram count list) or from the unigram log10 probabilities of an ARPA
 *     model (xl_dt_dict_set_lm; a word absent from the model's unigrams scores
 *     log10 0 = -inf, not <unk>'s probability); without either, or on ties,
 *     the first target listed wins.
 *   - Translation of a tokenised line (tokens split at ASCII white space):
 *     greedy left to right, longest source phrase first (up to the longest
 *     phrase in the dictionary); an unknown token is copied unchanged, or
 *     dropped with drop_unknown.  Output tokens are joined by one space.
 */
#ifndef DICT_TRANSLATE_H
#define DICT_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ngram.h"
#include "xl_alloc.h"
#include "xl_error.h"

typedef struct xl_dt_dict xl_dt_dict;

typedef struct xl_dt_stats {
    size_t tokens, translated_tokens, unknown_tokens, phrases;
} xl_dt_stats;

int xl_dt_dict_load(const char *path, bool lowercase, xl_dt_dict **out, xl_error *err);
int xl_dt_dict_load_memory(const char *data, size_t len, const char *name, bool lowercase, xl_dt_dict **out, xl_error *err);
size_t xl_dt_dict_entries(const xl_dt_dict *d);
/* Pivot-language unigram counts ("word count" per line). */
int xl_dt_dict_set_counts(xl_dt_dict *d, const char *counts_path, xl_error *err);
/* Pivot-language unigram log10 probabilities from an n-gram model (e.g. read
 * with xl_ngram_model_read_arpa); only the model's unigram entries are used.
 * A multi-word target scores as its least probable word. */
int xl_dt_dict_set_lm(xl_dt_dict *d, const xl_ngram_model *lm, xl_error *err);
/* Translate one tokenised line; appends to out (no newline). */
int xl_dt_translate_line(const xl_dt_dict *d, const char *line, size_t len, bool drop_unknown, xl_buf *out, xl_dt_stats *stats,
                      xl_error *err);
void xl_dt_dict_free(xl_dt_dict *d);

#endif /* DICT_TRANSLATE_H */
