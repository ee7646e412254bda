/* xl_csv.h - a CSV/TSV reader (RFC 4180 plus the variants real data has).
 *
 * Contract
 *   - Streams records from a file or "-" without a size limit per file and
 *     with a configurable limit per record (default 64 MiB).
 *   - Separator chosen by the caller (',' for CSV, '\t' for TSV, ';' ...).
 *   - Quoted fields ("...") may contain separators, newlines and doubled
 *     quotes ("").  CRLF and LF line ends are both accepted; a final record
 *     without a line end is returned.  quote = 0 disables quoting (plain TSV
 *     where '"' is an ordinary character, as in MovieLens/KMRD exports).
 *   - Errors name file and line: "ratings.csv:17: unterminated quoted field"
 *     (a quote that is never closed, or text after a closing quote).
 *   - Optional header row: column lookup by name.
 *   - Fields are returned as (pointer, length) slices valid until the next
 *     call; they are NUL-terminated and may contain NUL bytes.
 */
#ifndef XL_CSV_H
#define XL_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xl_error.h"

typedef struct xl_csv_field {
    const char *data;
    size_t len;
} xl_csv_field;

typedef struct xl_csv_options {
    char separator;        /* ',' by default (when 0); XL_CSV_SNIFF: TAB when the first line has one, else ',' */
    char quote;            /* '"' by default; XL_CSV_NO_QUOTE disables quoting */
    bool has_header;       /* first record names the columns */
    size_t max_record;     /* bytes; 0 = 64 MiB */
    size_t max_fields;     /* per record; 0 = 1,000,000 */
} xl_csv_options;

#define XL_CSV_NO_QUOTE ((char)1)
#define XL_CSV_SNIFF ((char)2)

typedef struct xl_csv xl_csv;

/* Open a reader; with has_header the header is read immediately. */
int xl_csv_open(xl_csv **reader, const char *path, const xl_csv_options *opts, xl_error *err);
/* Next record: returns 1 and sets *fields and *n_fields, 0 at end, -1 on error. */
int xl_csv_next(xl_csv *reader, const xl_csv_field **fields, size_t *n_fields, xl_error *err);
/* Index of a header column by exact name, or -1 (also -1 without a header). */
long xl_csv_column(const xl_csv *reader, const char *name);
size_t xl_csv_header_count(const xl_csv *reader);
const char *xl_csv_header_name(const xl_csv *reader, size_t column);
/* Line number (1-based) where the last returned record started. */
uint64_t xl_csv_line(const xl_csv *reader);
const char *xl_csv_path(const xl_csv *reader);
/* The separator in use (the sniffed one with XL_CSV_SNIFF). */
char xl_csv_separator(const xl_csv *reader);
void xl_csv_close(xl_csv *reader);

/* Parse records from a memory buffer (for tests and fuzzing). */
int xl_csv_open_memory(xl_csv **reader, const char *data, size_t len, const char *name,
                       const xl_csv_options *opts, xl_error *err);

#endif /* XL_CSV_H */
