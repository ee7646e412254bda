/* train_augment.h - word-deletion pairs for `xlrec augment --drop-words P`: a sentence paired with
 * a copy of itself where each word (or, for scripts written without spaces, each character) was
 * deleted with probability P.  The ranking loss of train-encoder then has to find a sentence from
 * a part of its words, which rewards keeping which words a sentence has (data augmentation by
 * deletion: CLEAR, Wu et al. 2020, "CLEAR: Contrastive Learning for Sentence Representation";
 * the positive pairs of SimCSE, Gao et al. 2021, made by editing the text instead of dropout).
 *
 * Contract
 *   - Input line: "lang<TAB>text" or the 4-column pairs format "lang1<TAB>text1<TAB>lang2<TAB>text2"
 *     (train_data.h; side 1 or 2 is taken).  Every line is validated: well-formed UTF-8, 2 or 4
 *     columns, a non-blank language tag and text; a fault fails with "PATH:LINE: what is wrong".
 *   - Output line (no newline): "lang<TAB>text<TAB>lang<TAB>shortened", text as read.
 *   - Units: the text is split at White_Space (Unicode's property: U+0009..000D, U+0020, U+0085,
 *     U+00A0, U+1680, U+2000..200A, U+2028, U+2029, U+202F, U+205F, U+3000) into words.  In word
 *     mode a unit is a word; in character mode (the language tag is one of --chars-for, or starts
 *     with one followed by '-': "zh" covers "zh-Hans") a unit is one code point of a word (a whole
 *     UTF-8 sequence: never split).  The shortened text is the kept units: words joined by one
 *     U+0020; in character mode each word's kept code points, the non-empty words joined by one
 *     U+0020.
 *   - Randomness: PCG32 (xl_rng) seeded with (seed, stream = the line's number), so a line's output
 *     depends only on the seed, its number and its text (not on the lines before it, threads or
 *     chunking: --first-line numbers a chunk's first line).  Per unit, in order, one
 *     xl_rng_double; the unit is deleted when it is < p.
 *   - A line is skipped (nothing written) when it has fewer than min_units units, more than
 *     max_chars code points in its text (0: no limit), or when no unit or every unit was deleted.
 */
#ifndef XL_TRAIN_AUGMENT_H
#define XL_TRAIN_AUGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_alloc.h"
#include "xl_error.h"

typedef struct xl_augment_opts {
    double p_drop;         /* deletion probability of a unit, 0 < p < 1 */
    uint64_t seed;         /* PCG32 seed; the stream is the line number */
    size_t min_units;      /* skip texts with fewer units */
    size_t max_chars;      /* skip texts of more code points (0: no limit) */
    const char *chars_for; /* comma-separated language tags split per character (e.g. "zh,ja") */
    int side;              /* 1 or 2: the side of a 4-column line that is taken */
} xl_augment_opts;

void xl_augment_opts_default(xl_augment_opts *o);

typedef enum {
    XL_AUGMENT_WRITTEN = 0,
    XL_AUGMENT_SHORT,        /* fewer than min_units units */
    XL_AUGMENT_LONG,         /* more than max_chars code points */
    XL_AUGMENT_NONE_DROPPED, /* every unit kept */
    XL_AUGMENT_ALL_DROPPED,  /* every unit deleted */
    XL_AUGMENT_N_OUTCOMES
} xl_augment_outcome;

typedef struct xl_augment_stats {
    uint64_t lines, units, units_dropped; /* units of the written lines */
    uint64_t outcome[XL_AUGMENT_N_OUTCOMES];
} xl_augment_stats;

/* True when `lang` (lang_len bytes) is split per character under the comma-separated list. */
bool xl_augment_per_char(const char *chars_for, const char *lang, size_t lang_len);

/* Validate one input line (no newline; a final '\r' is ignored) and append its pair to out (no
 * newline) unless the line is skipped; *outcome says which.  `stream` is the line's number for the
 * random stream; messages name "path:lineno".  stats (may be NULL) accumulates. */
int xl_augment_line(const xl_augment_opts *o, const char *line, size_t len, const char *path, uint64_t lineno,
                    uint64_t stream, xl_buf *out, xl_augment_outcome *outcome, xl_augment_stats *stats,
                    xl_error *err);

#endif /* XL_TRAIN_AUGMENT_H */
