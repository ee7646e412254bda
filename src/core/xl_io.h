/* xl_io.h - checked file I/O: whole files, line streams of any length, "-".
 *
 * Contract
 *   - Every path argument accepts "-" for stdin (reading) or stdout (writing),
 *     so `zcat corpus.gz | xlrec ...` works.
 *   - Error messages name the file (and line, for the line reader):
 *         "corpus.txt:42: line longer than 1073741824 bytes"
 *   - No fixed-size buffers: lines may be arbitrarily long up to a limit the
 *     caller chooses (XL_LINE_MAX_DEFAULT unless changed), which protects
 *     against unbounded memory use on hostile input.
 */
#ifndef XL_IO_H
#define XL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xl_alloc.h"
#include "xl_error.h"

/* Default per-line limit of the line reader: 1 GiB. */
#define XL_LINE_MAX_DEFAULT ((size_t)1 << 30)

/* fopen() that maps "-" to stdin/stdout and reports "PATH: strerror". */
FILE *xl_fopen(const char *path, const char *mode, xl_error *err);
/* fclose() unless f is stdin/stdout/stderr (those are flushed instead);
 * reports write errors that surface at close (disk full). */
int xl_fclose(FILE *f, const char *path, xl_error *err);

/* Read exactly n bytes or fail with "PATH: unexpected end of file" / strerror
 * (llm.c's freadCheck, returning instead of exiting). */
int xl_fread_exact(void *dst, size_t n, FILE *f, const char *path, xl_error *err);
int xl_fwrite_exact(const void *src, size_t n, FILE *f, const char *path, xl_error *err);

/* Read a whole file (or stdin for "-") into a NUL-terminated heap buffer.
 * *len excludes the terminator.  max_bytes (0 = no limit) bounds the size. */
int xl_read_file(const char *path, size_t max_bytes, char **data, size_t *len, xl_error *err);

/* Write a whole buffer to a file ("-" = stdout). */
int xl_write_file(const char *path, const void *data, size_t len, xl_error *err);

/* Streaming line reader.
 *   xl_lines r;
 *   if (xl_lines_open(&r, path, &err) < 0) ...;
 *   const char *line; size_t len; int rc;
 *   while ((rc = xl_lines_next(&r, &line, &len, &err)) > 0) { ... }
 *   if (rc < 0) ... error ...;
 *   xl_lines_close(&r);
 * The line excludes "\n" (and a preceding "\r" when strip_cr is set, the
 * default), stays valid until the next call, and is NUL-terminated (it may
 * contain NUL bytes; use len).  A final line without "\n" is returned too.
 * r.lineno is the 1-based number of the line just returned. */
typedef struct xl_lines {
    FILE *f;
    const char *path; /* borrowed: must outlive the reader */
    bool owns_file;
    bool strip_cr;
    size_t max_line;  /* bytes; longer lines are an error */
    uint64_t lineno;
    xl_buf line;       /* the line being returned */
    char *chunk;       /* read-ahead buffer (XL_LINES_CHUNK bytes) */
    size_t chunk_pos;  /* next unread byte in chunk */
    size_t chunk_len;  /* bytes valid in chunk */
    bool eof;
} xl_lines;

#define XL_LINES_CHUNK 65536

int xl_lines_open(xl_lines *r, const char *path, xl_error *err);
/* Read lines from an already-open stream (not closed by xl_lines_close). */
void xl_lines_from_stream(xl_lines *r, FILE *f, const char *name);
int xl_lines_next(xl_lines *r, const char **line, size_t *len, xl_error *err);
void xl_lines_close(xl_lines *r);

#endif /* XL_IO_H */
