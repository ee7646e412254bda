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
 * *len excludes the terminator.  max_bytes (0 = no limit) bounds the size; a file over it fails
 * with "PATH: file larger than the limit of N bytes". */
int xl_read_file(const char *path, size_t max_bytes, char **data, size_t *len, xl_error *err);

/* Read caps (docs/reliability.md).  XL_READ_MAX_STREAM bounds what a reader keeps in memory from
 * a file that cannot be mapped (pipe, device, stdin): a model, a safetensors file, word vectors,
 * an ARPA file.  XL_READ_MAX_TEXT bounds vocabularies, tokenizer.json and dictionaries. */
#define XL_READ_MAX_STREAM (sizeof(size_t) >= 8 ? (size_t)4 << 30 : (size_t)1 << 30)
#define XL_READ_MAX_TEXT ((size_t)256 << 20)

/* Checks the first bytes of a file while it is read (the magic of a format, a header length),
 * so /dev/zero or a wrong file fails at once instead of after max_bytes.  Gets the first
 * min(head_len, file size) bytes; returns 0 to go on, -1 with err set to stop. */
typedef int (*xl_head_check)(const unsigned char *head, size_t n, const char *path, xl_error *err);

/* A head check for text formats (vocabularies, dictionaries, JSON): fails with "PATH: binary
 * data (a NUL byte at offset N), not a text file" when the head holds a NUL byte.  Use with
 * head_len XL_TEXT_HEAD. */
#define XL_TEXT_HEAD ((size_t)65536)
int xl_head_is_text(const unsigned char *head, size_t n, const char *path, xl_error *err);

/* xl_read_file with a name for the limit (shown in the message: "... limit of N bytes
 * (XL_READ_MAX_TEXT)") and a
 * check of the first head_len bytes (check may be NULL). */
int xl_read_file_ex(const char *path, size_t max_bytes, const char *limit_name, size_t head_len, xl_head_check check,
                    char **data, size_t *len, xl_error *err);

/* Write a whole buffer to a file ("-" = stdout) through xl_output (atomic replace). */
int xl_write_file(const char *path, const void *data, size_t len, xl_error *err);

/* The output policy of every command (docs/reliability.md):
 *   - a regular file (new or existing) is written to a temporary file in the same directory,
 *     flushed and fsync'ed, then renamed over the target by xl_output_commit: a reader never sees
 *     a partial file, and a failure leaves the previous file as it was;
 *   - xl_output_abort (and a failed commit) removes only that temporary file, never the target;
 *   - a symbolic link is followed: the file it names is replaced, the link stays;
 *   - "-", a device, a FIFO or a socket is written directly (nothing renamed or removed);
 *   - a directory is refused;
 *   - write errors (disk full, file too large) are reported with strerror.
 * Usage:
 *     xl_output o;
 *     if (xl_output_open(&o, path, err) < 0) return -1;
 *     ... fwrite(..., o.f) ...
 *     if (failed) { xl_output_abort(&o); return -1; }
 *     return xl_output_commit(&o, err); */
typedef struct xl_output {
    FILE *f;
    const char *path; /* borrowed: as given, for messages */
    char *target;     /* the file replaced at commit (links resolved); NULL when written directly */
    char *tmp;        /* the temporary file; NULL when written directly */
} xl_output;

int xl_output_open(xl_output *o, const char *path, xl_error *err);
int xl_output_commit(xl_output *o, xl_error *err);
void xl_output_abort(xl_output *o);

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
