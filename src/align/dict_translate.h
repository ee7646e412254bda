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
 *
 * Code-switching (xl_dt_dict_load_codeswitch + xl_dt_codeswitch_line; CoSDA-ML,
 * Qin et al. 2020, "CoSDA-ML: Multi-Lingual Code-Switching Data Augmentation
 * for Zero-Shot Cross-Lingual NLP", IJCAI; dictionary-based pseudo-parallel
 * data): a sentence paired with itself where dictionary words were replaced.
 *   - Words: maximal runs of Unicode letters, marks and digits (General
 *     Category L*, M*, N*), joined across one internal apostrophe (U+0027,
 *     U+2019) or hyphen (U+002D, U+2010, U+2011) that has a word character on
 *     both sides.  Everything else of the line is copied unchanged (case,
 *     punctuation, spacing).
 *   - Keys: the source side's words, each fully case-folded (Unicode C+F,
 *     xl_uc_casefold_utf8, so "Über" finds "über"), joined by one space.
 *     In the text, a phrase of m > 1 words matches only where its words are
 *     separated by exactly one U+0020; longest match first, up to the
 *     dictionary's longest key.  Every target of a key is kept (file order,
 *     duplicates merged).
 *   - Hygiene (both sides of an entry): an entry whose source or target has
 *     more than 3 space-separated words, or any character other than letters,
 *     marks, digits, space, hyphen or apostrophe, is skipped and counted
 *     (FreeDict's "Akut-Zeichen ´", CC-CEDICT's bracketed glosses).  Invalid
 *     UTF-8 in the dictionary is an error with the line.
 *   - Morphology (morph_en): a single word without an entry is tried, in
 *     order, with WordNet's morphy detachment rules (morphy(7WN), WordNet 3.0
 *     morph.c): nouns s->"", ses->s, xes->x, zes->z, ches->ch, shes->sh,
 *     men->man, ies->y (not for words ending in "ss" or of <= 2 bytes, as
 *     morph.c); verbs s->"", ies->y, es->e, es->"", ed->e, ed->"", ing->e,
 *     ing->""; adjectives er->"", est->"", er->e, est->e.  The first base form
 *     that is a key wins; the whole surface word is replaced.
 *   - Randomness: PCG32 (xl_rng) seeded with (seed, line number), so a line's
 *     output depends only on the seed, its number and its text.  Per matched
 *     unit, in order: one xl_rng_double; the unit is switched when it is < p;
 *     a switched unit with k > 1 targets then draws xl_rng_below(k).
 *   - min_switched F > 0: when the line has no words or fewer than F of its
 *     words were switched (switched < F * words), the output line is empty.
 */
#ifndef DICT_TRANSLATE_H
#define DICT_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ngram.h"
#include "xl_alloc.h"
#include "xl_error.h"

typedef struct xl_dt_dict xl_dt_dict;

typedef struct xl_dt_stats {
    size_t tokens, translated_tokens, unknown_tokens, phrases;
} xl_dt_stats;

int xl_dt_dict_load(const char *path, bool lowercase, xl_dt_dict **out, xl_error *err);
int xl_dt_dict_load_memory(const char *data, size_t len, const char *name, bool lowercase, xl_dt_dict **out, xl_error *err);
size_t xl_dt_dict_entries(const xl_dt_dict *d); /* distinct source keys */
size_t xl_dt_dict_pairs(const xl_dt_dict *d);   /* distinct (source, target) pairs */
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

/* ---- code-switching (see the contract above) ---- */
typedef struct xl_dt_cs_options {
    double p;            /* switch probability of a matched unit, (0, 1] */
    uint64_t seed;       /* PCG32 seed; the stream is the line number */
    bool morph_en;       /* WordNet morphy fallback for single English words */
    double min_switched; /* [0, 1]; 0 = never empty a line */
} xl_dt_cs_options;

typedef struct xl_dt_cs_stats {
    uint64_t lines, words, units, units_switched, words_switched, lines_emptied, morph_hits;
} xl_dt_cs_stats;

/* Load a "source<TAB>target" (or MUSE "src tgt") dictionary for
 * code-switching; *skipped (may be NULL) = entries dropped by the hygiene rule. */
int xl_dt_dict_load_codeswitch(const char *path, xl_dt_dict **out, size_t *skipped, xl_error *err);
int xl_dt_dict_load_codeswitch_memory(const char *data, size_t len, const char *name, xl_dt_dict **out, size_t *skipped,
                                      xl_error *err);
/* Code-switch one line (no newline) with line number `lineno`; appends the
 * result to out.  Invalid UTF-8 fails with "invalid UTF-8 (why) at byte N"
 * (the caller prefixes FILE:LINE).  Needs a dictionary from
 * xl_dt_dict_load_codeswitch*. */
int xl_dt_codeswitch_line(const xl_dt_dict *d, const xl_dt_cs_options *o, uint64_t lineno, const char *line, size_t len,
                          xl_buf *out, xl_dt_cs_stats *stats, xl_error *err);

#endif /* DICT_TRANSLATE_H */
