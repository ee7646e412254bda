/* xl_rec_data.h - interaction data for the recommender: triplets, sparse
 * user x item matrices, external-id maps, item text/language/vectors, and the
 * loaders that read them from CSV/TSV and .npy.
 *
 * Contract
 *   - Users and items are dense indices 0..n-1.  With an items file, item
 *     index = row of the items file (so a vectors .npy aligned with that file
 *     lines up row for row); without one, items are numbered in order of
 *     first appearance in the interactions file.  Users: first appearance.
 *   - Every interaction has a rating (1.0 when the file has no rating column)
 *     and a timestamp (0 when the file has none).
 *   - Loading policies (xl_rec_load_options), each counted in xl_rec_load_report:
 *       unknown item (an items file is given and lacks the id): row dropped;
 *       rating not a number: row dropped (or an error with `strict`);
 *       rating outside [rating_min, rating_max] (by default [-XL_RATING_ABS_MAX, XL_RATING_ABS_MAX],
 *         so 1e300 never becomes an infinite float): an error naming the line (XL_RATING_REJECT,
 *         the default), clamped to the range (XL_RATING_CLAMP) or dropped (XL_RATING_SKIP), counted;
 *       duplicate (user, item): the later row wins (later timestamp, file
 *         order on equal timestamps), the earlier is dropped;
 *       empty user/item id: row dropped.
 *     Nothing is dropped silently: the report holds the counts and the first
 *     offending line of each kind.
 *   - A CSR matrix stores rows sorted by column index; values are ratings.
 *   - Item vectors (n_items x dim, float32 .npy): a row count that differs
 *     from the items file, or a NaN/Inf value, is an error naming the row.
 *     All-zero rows (items without text) are allowed: their cosine is 0.
 */
#ifndef XL_REC_DATA_H
#define XL_REC_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_csv.h"
#include "xl_error.h"
#include "xl_idmap.h"

/* Interaction triplets (plus time), growable. */
typedef struct xl_interactions {
    size_t n, cap;
    uint32_t *user;
    uint32_t *item;
    float *rating;
    int64_t *time;
} xl_interactions;

void xl_interactions_init(xl_interactions *x);
void xl_interactions_free(xl_interactions *x);
int xl_interactions_push(xl_interactions *x, uint32_t user, uint32_t item, float rating, int64_t time, xl_error *err);

/* Compressed sparse rows: row r holds columns idx[ptr[r]..ptr[r+1]) sorted
 * ascending, with val (rating) and time alongside. */
typedef struct xl_csr {
    uint32_t n_rows, n_cols;
    size_t nnz;
    size_t *ptr;  /* n_rows + 1 */
    uint32_t *idx; /* nnz */
    float *val;   /* nnz */
    int64_t *time; /* nnz */
} xl_csr;

/* Build from the interactions listed in `subset` (indices into x; NULL = all).
 * by_item: rows are items (the transpose).  Duplicate (row, col) pairs are kept
 * (the loader removes them). */
int xl_csr_build(xl_csr *m, const xl_interactions *x, const size_t *subset, size_t n_subset, uint32_t n_users,
                 uint32_t n_items, bool by_item, xl_error *err);
int xl_csr_transpose(const xl_csr *m, xl_csr *t, xl_error *err);
void xl_csr_free(xl_csr *m);
/* true when column c is stored in row r (binary search). */
bool xl_csr_has(const xl_csr *m, uint32_t r, uint32_t c);

/* External ids -> dense indices: xl_idmap (src/core/xl_idmap.h). */

/* Which columns to read.  A column is named by its header name, or by its
 * 0-based index written as a number ("0", "2"); NULL = absent (optional ones). */
/* Largest |rating| accepted when no range is given: squares and sums of such ratings stay far
 * from float overflow, so no model or metric turns them into inf or NaN. */
#define XL_RATING_ABS_MAX 1e9

/* What a rating outside [rating_min, rating_max] does. */
typedef enum { XL_RATING_REJECT, XL_RATING_CLAMP, XL_RATING_SKIP } xl_rating_policy;

/* Separators beyond one literal character.  XL_REC_SEP_AUTO looks at the first line: "::" when it
 * has one (MovieLens 1M/10M .dat files), else TAB when it has one, else ';' when it has a ';' and
 * no ',', else ','.  XL_CSV_SNIFF is read the same way.  With "::" quoting is off (the .dat files
 * have bare '"' in titles) and the byte 0x1F may not occur in the file. */
#define XL_REC_SEP_AUTO ((char)3)
#define XL_REC_SEP_DCOLON ((char)4)

/* Text encoding of the input files.  UTF-8 (the default) is validated: an ill-formed byte is an
 * error "FILE:LINE: byte 0xNN at column C is not UTF-8 (...)"; Latin-1 (ISO 8859-1) is
 * converted to UTF-8 byte by byte. */
typedef enum { XL_ENC_UTF8, XL_ENC_LATIN1 } xl_text_encoding;

typedef struct xl_rec_load_options {
    char separator;          /* XL_REC_SEP_AUTO default; ',' '\t' ';' ... or XL_REC_SEP_DCOLON */
    xl_text_encoding encoding; /* of every file read (ratings, items, held-out) */
    bool no_header;          /* columns must then be indices */
    bool no_quote;           /* '"' is an ordinary character */
    const char *user_col;    /* default "0" */
    const char *item_col;    /* default "1" */
    const char *rating_col;  /* optional */
    const char *time_col;    /* optional */
    double rating_min, rating_max; /* accepted range (default +-XL_RATING_ABS_MAX); min > max = no check */
    xl_rating_policy range_policy; /* default XL_RATING_REJECT */
    bool strict;             /* a bad row is an error instead of dropped-and-counted */
    /* items file */
    char item_separator;     /* XL_REC_SEP_AUTO default */
    bool item_no_header, item_no_quote;
    const char *item_id_col;    /* default "0" */
    const char *item_text_cols; /* comma-separated column list, joined with " " */
    const char *item_lang_col;  /* optional; "" = none */
    /* With pick_columns, a column left NULL is looked up by its usual header
     * names: item id "item"/"item_id"/"itemId"/"id" (else 0), text "title"/
     * "text"/"description"/"name"/"summary"/"body" (else the last column),
     * language "lang"/"language"/"item_lang" (else none), user "user"/
     * "user_id"/"userId" (else 0), item "item"/"item_id"/"itemId" (else 1),
     * rating "rating"/"score" (else none).  A separator of XL_CSV_SNIFF is
     * TAB when the header line has one, else ','.  Each file is opened and
     * read once, so "-" (standard input) works for any one of them. */
    bool pick_columns;
} xl_rec_load_options;

void xl_rec_load_options_default(xl_rec_load_options *o);

typedef struct xl_rec_load_report {
    uint64_t rows;             /* data rows read from the interactions file */
    uint64_t kept;
    uint64_t unknown_item;     /* item id absent from the items file */
    uint64_t bad_rating;       /* unparsable rating or timestamp */
    uint64_t out_of_range;     /* rating outside [rating_min, rating_max] */
    uint64_t duplicates;       /* earlier (user, item) rows replaced by a later one */
    uint64_t empty_id;
    uint64_t short_rows;       /* fewer fields than the selected columns need */
    uint64_t first_line[6];    /* first file line of: unknown, bad, range, dup(later line), empty, short */
    uint64_t clamped, first_clamped; /* ratings clamped into the range (XL_RATING_CLAMP), first line */
    uint64_t item_rows, item_duplicates, items_without_text;
} xl_rec_load_report;

typedef struct xl_rec_dataset {
    xl_interactions x;
    uint32_t n_users, n_items;
    xl_idmap users, items;
    char **item_text;   /* n_items strings ("" when none), NULL without an items file */
    char **item_lang;   /* n_items strings ("" when unknown), NULL without a language column */
    bool has_rating, has_time;
    float rating_lo, rating_hi; /* observed range of kept ratings */
    xl_rec_load_report report;
} xl_rec_dataset;

void xl_rec_dataset_init(xl_rec_dataset *d);
void xl_rec_dataset_free(xl_rec_dataset *d);
/* Read the items file (optional: items_path NULL) then the interactions. */
int xl_rec_load(xl_rec_dataset *d, const char *ratings_path, const char *items_path, const xl_rec_load_options *o,
                xl_error *err);
/* Held-out interactions mapped onto a loaded dataset (same columns, separator
 * and pick_columns policy as its interactions file): rows of unknown users,
 * unknown items, or pairs already in `train` are dropped and counted; a pair
 * listed twice counts once.  A row with too few fields or a bad rating is an
 * error naming the line. */
typedef struct xl_rec_heldout_report {
    uint64_t rows, unknown_user, unknown_item, in_train, duplicates;
} xl_rec_heldout_report;
int xl_rec_load_heldout(const xl_rec_dataset *d, const xl_csr *train, const char *path, const xl_rec_load_options *o,
                        xl_interactions *out, xl_rec_heldout_report *rep, xl_error *err);
/* Remove duplicate (user, item) pairs in place: keep the one with the later
 * time, the later position on equal times.  Returns the number removed. */
size_t xl_rec_dedupe(xl_interactions *x, uint32_t n_users, xl_error *err);
/* Open a CSV/TSV table as the loaders do: the whole file (or "-") is read into *owned (free it
 * after xl_csv_close), checked as UTF-8 or converted from Latin-1, the separator resolved
 * (XL_REC_SEP_AUTO, XL_CSV_SNIFF, XL_REC_SEP_DCOLON; see above), then parsed from memory.
 * *sep_used (may be NULL) receives the separator in effect (XL_REC_SEP_DCOLON for "::"). */
int xl_rec_open_table(xl_csv **r, char **owned, const char *path, char separator, bool no_quote, bool has_header,
                      xl_text_encoding encoding, char *sep_used, xl_error *err);
/* One-paragraph human-readable account of the report. */
int xl_rec_report_text(const xl_rec_load_report *r, char *buf, size_t cap);

/* Item vectors: n_items x dim floats, L2-normalised rows (zero rows stay zero). */
typedef struct xl_item_vectors {
    size_t n, dim;
    float *v; /* 64-byte aligned */
} xl_item_vectors;

/* Copy data (n x dim; .npy rows via xl_rec_setup_load), refuse NaN/Inf
 * naming the row, and L2-normalise every row. */
int xl_item_vectors_from(xl_item_vectors *iv, const float *data, size_t n, size_t dim, const char *name,
                         xl_error *err);
/* Hashed TF-IDF bag of words of the item text (a language-specific baseline
 * embedder needing no model): tokens = maximal runs of ASCII alphanumerics or
 * non-ASCII bytes, ASCII lower-cased; feature = FNV-1a(token) mod dim with a
 * hash-derived sign; weight = tf * (ln((1+N)/(1+df)) + 1); rows L2-normalised. */
int xl_item_vectors_hashed_tfidf(xl_item_vectors *iv, char *const *texts, size_t n, size_t dim, xl_error *err);
/* Centre the catalogue (anisotropy removal; Su et al. 2021, "Whitening Sentence Representations",
 * the mean step; Mu & Viswanath 2018): mu = mean of the non-zero rows, then every non-zero row
 * v_i <- (v_i - mu) / ||v_i - mu|| (a row equal to mu becomes zero).  Zero rows (items without
 * a vector) stay zero.  Unsupervised: uses only the item vectors, never ratings.  Mean-pooled
 * sentence encoders put every text in a narrow cone (all cosines high), so the cosine of a user
 * profile ranks by the shared direction; removing it leaves what distinguishes the items.
 * Deterministic (double accumulation in row order).  Returns the number of non-zero rows
 * (capped at INT32_MAX), -1 on allocation failure. */
int xl_item_vectors_center(xl_item_vectors *iv, xl_error *err);
void xl_item_vectors_free(xl_item_vectors *iv);

#endif /* XL_REC_DATA_H */
