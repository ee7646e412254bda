/* xl_csv.c - see xl_csv.h.
 *
 * A byte-level state machine over 64 KiB blocks (the xl_io.c line reader's
 * approach: block fread, then memchr/scan for the next byte that matters), so
 * records may span blocks, fields may hold NUL bytes, and memory stays bounded
 * by max_record.  Field bytes of the current record are stored back to back in
 * one buffer, each followed by a NUL; the slices are fixed up at record end.
 *
 * Dialect details (see docs/formats.md):
 *   - a quote opens a quoted field only as the field's first byte; elsewhere
 *     in an unquoted field it is an ordinary character (a"b -> a"b);
 *   - after a closing quote only a separator, LF, CRLF or end of input may
 *     follow;
 *   - one '\r' before '\n' ends the line (CRLF); other '\r' bytes are data;
 *   - completely empty lines (or "\r" alone) are skipped, not empty records;
 *   - a UTF-8 byte order mark at the very start of the input is skipped.
 */
#include "xl_csv.h"

#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_io.h"

#define CSV_CHUNK 65536
#define DEFAULT_MAX_RECORD ((size_t)64 << 20)
#define DEFAULT_MAX_FIELDS ((size_t)1000000)

typedef enum { S_START, S_PLAIN, S_QUOTED, S_QUOTE_SEEN, S_QUOTE_CR } csv_state;

struct xl_csv {
    /* input */
    FILE *f;
    bool owns_file;
    char *path;        /* copy, for messages */
    const char *buf;   /* current block (chunk, or the whole memory input) */
    char *chunk;       /* owned read buffer (file mode) */
    size_t pos, len;   /* unread bytes are buf[pos..len) */
    bool eof;          /* no more blocks after this one */
    bool at_start;     /* nothing read yet (BOM check) */
    bool failed;       /* a previous call failed: keep failing */
    /* dialect */
    int sep;
    int quote; /* -1: quoting disabled */
    size_t max_record, max_fields;
    /* lines */
    uint64_t newlines; /* '\n' bytes consumed so far */
    uint64_t rec_line; /* line where the last returned record started */
    /* current record */
    xl_buf rec;
    size_t *starts; /* offset in rec of each field */
    xl_csv_field *fields;
    size_t n_fields, cap_fields;
    /* header */
    xl_buf hdr;
    xl_csv_field *hdr_fields;
    size_t n_hdr;
};

static int fail_line(xl_csv *r, xl_error *err, xl_error_code code, uint64_t line, const char *what)
{
    r->failed = true;
    return xl_fail(err, code, "%s:%llu: %s", r->path, (unsigned long long)line, what);
}

/* Make unread bytes available: 1 if there are some, 0 at end of input. */
static int fill(xl_csv *r, xl_error *err)
{
    if (r->pos < r->len) return 1;
    if (r->eof || r->f == NULL) return 0;
    size_t got = fread(r->chunk, 1, CSV_CHUNK, r->f);
    if (got < CSV_CHUNK) {
        if (ferror(r->f)) {
            r->failed = true;
            return xl_fail(err, XL_ERR_IO, "%s:%llu: read error", r->path, (unsigned long long)r->newlines + 1);
        }
        r->eof = true;
    }
    r->buf = r->chunk;
    r->pos = 0;
    r->len = got;
    if (r->at_start && got > 0) {
        /* a BOM split across blocks cannot happen: the first block holds at
         * least 3 bytes unless the whole input is shorter */
        r->at_start = false;
        if (got >= 3 && memcmp(r->chunk, "\xEF\xBB\xBF", 3) == 0) r->pos = 3;
    }
    return r->pos < r->len ? 1 : 0;
}

static int append(xl_csv *r, const char *p, size_t n, xl_error *err)
{
    if (n > r->max_record || r->rec.len > r->max_record - n) {
        char what[96];
        snprintf(what, sizeof what, "record longer than %zu bytes", r->max_record);
        return fail_line(r, err, XL_ERR_LIMIT, r->rec_line, what);
    }
    if (xl_buf_append(&r->rec, p, n, err) < 0) {
        r->failed = true;
        return -1;
    }
    return 0;
}

/* Start a field at the current end of rec. */
static int begin_field(xl_csv *r, xl_error *err)
{
    if (r->n_fields == r->max_fields) {
        char what[96];
        snprintf(what, sizeof what, "record with more than %zu fields", r->max_fields);
        return fail_line(r, err, XL_ERR_LIMIT, r->rec_line, what);
    }
    if (r->n_fields == r->cap_fields) {
        size_t cap = r->cap_fields ? r->cap_fields * 2 : 16;
        if (cap > r->max_fields) cap = r->max_fields;
        size_t *s = xl_realloc(r->starts, cap, sizeof *s, err);
        if (s == NULL) {
            r->failed = true;
            return -1;
        }
        r->starts = s;
        xl_csv_field *f = xl_realloc(r->fields, cap, sizeof *f, err);
        if (f == NULL) {
            r->failed = true;
            return -1;
        }
        r->fields = f;
        r->cap_fields = cap;
    }
    r->starts[r->n_fields++] = r->rec.len;
    return 0;
}

/* Terminate the current field with a NUL (not counted in its length). */
static int end_field(xl_csv *r, xl_error *err)
{
    size_t start = r->starts[r->n_fields - 1];
    r->fields[r->n_fields - 1].len = r->rec.len - start;
    return append(r, "", 1, err);
}

static void strip_cr(xl_csv *r)
{
    size_t start = r->starts[r->n_fields - 1];
    if (r->rec.len > start && r->rec.data[r->rec.len - 1] == '\r') r->rec.data[--r->rec.len] = '\0';
}

static void count_newlines(xl_csv *r, const char *p, size_t n)
{
    const char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        r->newlines++;
        p++;
    }
}

/* Read one record into r->fields.  1: got one, 0: end of input, -1: error. */
static int read_record(xl_csv *r, xl_error *err)
{
    const char sep = (char)r->sep;
    const int quote = r->quote;
    uint64_t quote_line = 0;
    csv_state st = S_START;
    xl_buf_clear(&r->rec);
    r->n_fields = 0;
    r->rec_line = r->newlines + 1;
    for (;;) {
        int rc = fill(r, err);
        if (rc < 0) return -1;
        if (rc == 0) break;
        const char *p = r->buf + r->pos, *end = r->buf + r->len;
        switch (st) {
        case S_START:
            if (begin_field(r, err) < 0) return -1;
            if (quote >= 0 && *p == (char)quote) {
                st = S_QUOTED;
                quote_line = r->newlines + 1;
                r->pos++;
                break;
            }
            st = S_PLAIN;
            /* fall through */
        case S_PLAIN: {
            const char *q = p;
            while (q < end && *q != sep && *q != '\n') q++;
            if (append(r, p, (size_t)(q - p), err) < 0) return -1;
            r->pos += (size_t)(q - p);
            if (q == end) break;
            r->pos++;
            if (*q == sep) {
                if (end_field(r, err) < 0) return -1;
                st = S_START;
                break;
            }
            r->newlines++;
            strip_cr(r);
            if (r->n_fields == 1 && r->rec.len == 0) {
                /* an empty line: skip it */
                r->n_fields = 0;
                r->rec_line = r->newlines + 1;
                st = S_START;
                break;
            }
            if (end_field(r, err) < 0) return -1;
            goto record_done;
        }
        case S_QUOTED: {
            const char *q = memchr(p, quote, (size_t)(end - p));
            size_t take = q ? (size_t)(q - p) : (size_t)(end - p);
            count_newlines(r, p, take);
            if (append(r, p, take, err) < 0) return -1;
            r->pos += take;
            if (q) {
                r->pos++;
                st = S_QUOTE_SEEN;
            }
            break;
        }
        case S_QUOTE_SEEN:
            if (*p == (char)quote) { /* doubled quote: a literal quote */
                if (append(r, p, 1, err) < 0) return -1;
                r->pos++;
                st = S_QUOTED;
            } else if (*p == sep) {
                r->pos++;
                if (end_field(r, err) < 0) return -1;
                st = S_START;
            } else if (*p == '\n') {
                r->pos++;
                r->newlines++;
                if (end_field(r, err) < 0) return -1;
                goto record_done;
            } else if (*p == '\r') {
                r->pos++;
                st = S_QUOTE_CR;
            } else {
                return fail_line(r, err, XL_ERR_FORMAT, r->newlines + 1, "text after the closing quote of a field");
            }
            break;
        case S_QUOTE_CR:
            if (*p != '\n')
                return fail_line(r, err, XL_ERR_FORMAT, r->newlines + 1, "text after the closing quote of a field");
            r->pos++;
            r->newlines++;
            if (end_field(r, err) < 0) return -1;
            goto record_done;
        }
    }
    /* end of input */
    switch (st) {
    case S_QUOTED: {
        char what[96];
        snprintf(what, sizeof what, "unterminated quoted field (opened at line %llu)", (unsigned long long)quote_line);
        return fail_line(r, err, XL_ERR_FORMAT, quote_line, what);
    }
    case S_START:
        if (r->n_fields == 0) return 0; /* nothing, or only empty lines */
        if (begin_field(r, err) < 0) return -1; /* "a," at EOF: a last empty field */
        break;
    case S_PLAIN:
        strip_cr(r);
        if (r->n_fields == 1 && r->rec.len == 0) return 0; /* a final "\r" */
        break;
    case S_QUOTE_SEEN:
    case S_QUOTE_CR:
        break;
    }
    if (end_field(r, err) < 0) return -1;
record_done:
    for (size_t i = 0; i < r->n_fields; i++) r->fields[i].data = r->rec.data + r->starts[i];
    return 1;
}

int xl_csv_next(xl_csv *r, const xl_csv_field **fields, size_t *n_fields, xl_error *err)
{
    *fields = NULL;
    *n_fields = 0;
    if (r->failed) return xl_fail(err, XL_ERR_USAGE, "%s: reader used after an error", r->path);
    int rc = read_record(r, err);
    if (rc <= 0) return rc;
    *fields = r->fields;
    *n_fields = r->n_fields;
    return 1;
}

static int read_header(xl_csv *r, xl_error *err)
{
    int rc = read_record(r, err);
    if (rc < 0) return -1;
    if (rc == 0) return xl_fail(err, XL_ERR_FORMAT, "%s: empty file (expected a header row)", r->path);
    if (xl_buf_append(&r->hdr, r->rec.data, r->rec.len, err) < 0) return -1;
    r->hdr_fields = xl_calloc(r->n_fields, sizeof *r->hdr_fields, err);
    if (r->hdr_fields == NULL) return -1;
    for (size_t i = 0; i < r->n_fields; i++) {
        r->hdr_fields[i].data = r->hdr.data + r->starts[i];
        r->hdr_fields[i].len = r->fields[i].len;
    }
    r->n_hdr = r->n_fields;
    return 0;
}

/* XL_CSV_SNIFF: TAB when the first line (as far as the first block holds it)
 * has one, else ','.  Reads ahead without consuming, so "-" is read once. */
static int sniff_separator(xl_csv *r, xl_error *err)
{
    if (r->sep != (unsigned char)XL_CSV_SNIFF) return 0;
    if (fill(r, err) < 0) return -1;
    const char *line = r->buf ? r->buf + r->pos : "";
    size_t n = r->len - r->pos;
    const char *nl = memchr(line, '\n', n);
    r->sep = memchr(line, '\t', nl ? (size_t)(nl - line) : n) ? '\t' : ',';
    return 0;
}

static int setup(xl_csv *r, const char *name, const xl_csv_options *opts, xl_error *err)
{
    xl_csv_options o = opts ? *opts : (xl_csv_options){0};
    r->sep = o.separator ? (unsigned char)o.separator : ',';
    r->quote = o.quote == XL_CSV_NO_QUOTE ? -1 : o.quote ? (unsigned char)o.quote : '"';
    r->max_record = o.max_record ? o.max_record : DEFAULT_MAX_RECORD;
    r->max_fields = o.max_fields ? o.max_fields : DEFAULT_MAX_FIELDS;
    r->at_start = true;
    xl_buf_init(&r->rec);
    xl_buf_init(&r->hdr);
    r->path = xl_strndup(name, strlen(name), err);
    if (r->path == NULL) return -1;
    if (r->sep == '\n' || r->sep == '\r' || r->sep == r->quote)
        return xl_fail(err, XL_ERR_USAGE, "%s: invalid CSV separator 0x%02X", name, (unsigned)r->sep);
    if (r->quote == '\n' || r->quote == '\r')
        return xl_fail(err, XL_ERR_USAGE, "%s: invalid CSV quote character 0x%02X", name, (unsigned)r->quote);
    return 0;
}

/* The input is set up: sniff the separator, read the header, hand r out (closed on failure). */
static int ready(xl_csv *r, const xl_csv_options *opts, xl_csv **reader, xl_error *err)
{
    if (sniff_separator(r, err) < 0 || (opts && opts->has_header && read_header(r, err) < 0)) {
        xl_csv_close(r);
        return -1;
    }
    *reader = r;
    return 0;
}

int xl_csv_open(xl_csv **reader, const char *path, const xl_csv_options *opts, xl_error *err)
{
    *reader = NULL;
    xl_csv *r = xl_calloc(1, sizeof *r, err);
    if (r == NULL) return -1;
    if (setup(r, path ? path : "", opts, err) < 0) goto fail;
    r->chunk = xl_malloc(CSV_CHUNK, err);
    if (r->chunk == NULL) goto fail;
    r->f = xl_fopen(path, "rb", err);
    if (r->f == NULL) goto fail;
    r->owns_file = r->f != stdin;
    return ready(r, opts, reader, err);
fail:
    xl_csv_close(r);
    return -1;
}

int xl_csv_open_memory(xl_csv **reader, const char *data, size_t len, const char *name, const xl_csv_options *opts,
                       xl_error *err)
{
    *reader = NULL;
    xl_csv *r = xl_calloc(1, sizeof *r, err);
    if (r == NULL) return -1;
    if (setup(r, name ? name : "<memory>", opts, err) < 0) goto fail;
    r->buf = data;
    r->len = data ? len : 0;
    r->eof = true;
    r->at_start = false;
    if (r->len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) r->pos = 3;
    return ready(r, opts, reader, err);
fail:
    xl_csv_close(r);
    return -1;
}

long xl_csv_column(const xl_csv *r, const char *name)
{
    if (r == NULL || name == NULL) return -1;
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_hdr; i++)
        if (r->hdr_fields[i].len == n && memcmp(r->hdr_fields[i].data, name, n) == 0) return (long)i;
    return -1;
}

size_t xl_csv_header_count(const xl_csv *r)
{
    return r ? r->n_hdr : 0;
}

const char *xl_csv_header_name(const xl_csv *r, size_t column)
{
    return (r && column < r->n_hdr) ? r->hdr_fields[column].data : NULL;
}

uint64_t xl_csv_line(const xl_csv *r)
{
    return r ? r->rec_line : 0;
}

char xl_csv_separator(const xl_csv *r) { return (char)r->sep; }

const char *xl_csv_path(const xl_csv *r)
{
    return r ? r->path : NULL;
}

void xl_csv_close(xl_csv *r)
{
    if (r == NULL) return;
    if (r->owns_file && r->f) fclose(r->f);
    free(r->chunk);
    free(r->path);
    free(r->starts);
    free(r->fields);
    free(r->hdr_fields);
    xl_buf_free(&r->rec);
    xl_buf_free(&r->hdr);
    free(r);
}
