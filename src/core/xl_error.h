/* xl_error.h - error reporting shared by every xlrec module.
 *
 * Contract
 *   - Library functions never print and never exit.  A function that can fail
 *     takes an `xl_error *err` as its last argument, returns a negative value
 *     (or NULL) on failure, and leaves a one-line, human-readable message in
 *     err->msg of the form "<context>: <what is wrong>", e.g.
 *         "corpus.txt:42: invalid UTF-8 (truncated sequence) at byte 17"
 *   - `err` may be NULL: the failure is still returned, the message dropped.
 *   - The CLI prints the message as "xlrec: <msg>" on stderr and exits 1.
 *   - There is no global error state: every caller owns its xl_error.
 */
#ifndef XL_ERROR_H
#define XL_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define XL_ERROR_MSG_MAX 1024

/* Broad failure classes, so callers can react without parsing text. */
typedef enum {
    XL_OK = 0,
    XL_ERR_GENERIC = 1, /* anything not listed below */
    XL_ERR_NOMEM,       /* an allocation failed or a size overflowed */
    XL_ERR_IO,          /* open/read/write/close failed */
    XL_ERR_FORMAT,      /* the input is malformed (parse error, bad header) */
    XL_ERR_LIMIT,       /* the input exceeds a documented limit */
    XL_ERR_USAGE        /* the caller passed an invalid argument */
} xl_error_code;

typedef struct xl_error {
    xl_error_code code;
    char msg[XL_ERROR_MSG_MAX];
} xl_error;

/* Reset to "no error". */
void xl_error_clear(xl_error *err);

/* Record a failure and return -1 (so `return xl_fail(err, ...)` reads well).
 * The message is printf-formatted and truncated to XL_ERROR_MSG_MAX-1 bytes. */
int xl_fail(xl_error *err, xl_error_code code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int xl_failv(xl_error *err, xl_error_code code, const char *fmt, va_list ap);

/* Prepend "<context>: " to an existing message (used when a lower layer
 * failed and the caller knows the file name).  Returns -1. */
int xl_error_prefix(xl_error *err, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif /* XL_ERROR_H */
