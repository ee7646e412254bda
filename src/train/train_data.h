/* train_data.h - the training corpora of `xlrec train-encoder`: aligned pairs
 * (lang1<TAB>text1<TAB>lang2<TAB>text2 per line) and monolingual text (lang<TAB>text), read by
 * an index of line offsets (streaming: only 8 bytes per line stay in memory, the text is read
 * back from the file when a line is drawn) in a seeded, reproducible order.
 *
 * Contract
 *   - xl_corpus_open reads the whole file once and validates EVERY line before training starts:
 *     the column count, UTF-8 well-formedness, a non-empty language tag and a non-empty text
 *     (not only spaces) on every side, the line length limit, and a non-empty file.  The first
 *     fault fails with "FILE:LINE: what is wrong"; nothing is trained on a corrupt corpus.
 *   - The file must be seekable (a regular file: "-" is refused) and must not change while the
 *     corpus is open (each line read back is checked to still end where the index says).
 *   - Order: epoch e visits every line once, in the permutation Fisher-Yates(seed, stream
 *     XL_CORPUS_STREAM + e) of 0..n-1 (xl_rng): the position (epoch, cursor) is all a checkpoint
 *     needs to continue the same sequence of lines.
 *   - Block order (xl_corpus_set_blocks, `train-encoder --batch-order grouped`): the file is cut into
 *     floor(n / k) blocks of k consecutive lines (block b = lines [b k, b k + k)); epoch e visits the
 *     blocks in the permutation Fisher-Yates(seed, stream XL_CORPUS_STREAM + e) of 0..n/k-1, each
 *     block's lines in file order; the n mod k lines after the last full block are never visited.
 *     A reader that takes k records at a time from cursor 0 therefore gets exactly one block each
 *     time (hard in-batch negatives: the file puts similar sentences next to each other).
 */
#ifndef XL_TRAIN_DATA_H
#define XL_TRAIN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xl_alloc.h"
#include "xl_error.h"

#define XL_CORPUS_STREAM 0x5eed0000u
#define XL_CORPUS_MAX_LINE_DEFAULT ((size_t)1 << 20) /* 1 MiB per line */

typedef enum { XL_CORPUS_PAIRS = 0, XL_CORPUS_MONO = 1 } xl_corpus_kind;

typedef struct xl_corpus_record {
    size_t n_sides;          /* 2 (pairs) or 1 (mono) */
    const char *lang[2], *text[2];
    size_t lang_len[2], text_len[2];
    uint64_t lineno;         /* 1-based line of the file */
} xl_corpus_record;

typedef struct xl_corpus {
    char *path;
    FILE *f;
    xl_corpus_kind kind;
    size_t n;                /* lines (= records) */
    uint64_t *offsets;       /* [n + 1] byte offset of each line; offsets[n] = end of the last line */
    size_t max_line;
    xl_buf line;
    /* order */
    uint64_t seed;
    uint64_t epoch;          /* current epoch (0-based) */
    size_t cursor;           /* next index into order[] */
    uint32_t *order;         /* [n] permutation of the current epoch (first n_order entries used) */
    size_t block;            /* 0: lines shuffled one by one; k > 0: blocks of k lines (xl_corpus_set_blocks) */
    size_t n_order;          /* lines visited per epoch: n, or floor(n / block) * block */
} xl_corpus;

/* Open, index and validate.  max_line: bytes per line (0 = XL_CORPUS_MAX_LINE_DEFAULT). */
int xl_corpus_open(xl_corpus *c, const char *path, xl_corpus_kind kind, size_t max_line, uint64_t seed,
                   xl_error *err);
void xl_corpus_close(xl_corpus *c);

/* Visit the file in blocks of k consecutive lines (k >= 1; see the contract), from epoch 0,
 * cursor 0.  Fails with "PATH: N lines, fewer than one block of K" when n < k. */
int xl_corpus_set_blocks(xl_corpus *c, size_t k, xl_error *err);

/* Read record i (0-based line index) into *rec (pointers valid until the next read). */
int xl_corpus_read(xl_corpus *c, size_t i, xl_corpus_record *rec, xl_error *err);

/* The next record in the seeded order (a new epoch begins after the last line). */
int xl_corpus_next(xl_corpus *c, xl_corpus_record *rec, xl_error *err);

/* Move to a saved position (checkpoint): epoch e, cursor (<= n_order).  Fails when cursor > n_order. */
int xl_corpus_seek(xl_corpus *c, uint64_t epoch, size_t cursor, xl_error *err);

/* One line of a TAB-separated training file, shared by the corpus reader and `xlrec augment`: drops
 * one trailing CR, rejects an empty line ("PATH:LINE: empty line (expected USAGE)") and invalid UTF-8
 * ("PATH:LINE: invalid UTF-8 (...) at byte B"), then splits at TABs: col[k] / col_len[k] for the first
 * min(n, 4) columns, *n_col = the number of columns n (any count; the caller checks it).  Columns
 * point into line.  0, or -1 with err set. */
int xl_tsv_split4(const char *line, size_t len, const char *path, uint64_t lineno, const char *usage,
                  const char *col[4], size_t col_len[4], size_t *n_col, xl_error *err);

/* Validate one line (no trailing newline) of a corpus of `kind`; on failure the message is
 * "PATH:LINENO: ...".  Exposed for tests; xl_corpus_open calls it on every line. */
int xl_corpus_parse_line(xl_corpus_kind kind, const char *line, size_t len, const char *path, uint64_t lineno,
                         xl_corpus_record *rec, xl_error *err);

#endif /* XL_TRAIN_DATA_H */
