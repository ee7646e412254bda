/* xl_alloc.h - checked allocation and overflow-checked size arithmetic.
 *
 * Every allocation in xlrec goes through these helpers (llm.c's mallocCheck
 * idea, without the exit): on failure they return NULL and write
 *     "out of memory: cannot allocate N bytes (src/foo.c:123)"
 * into err.  Sizes computed from input (counts read from files, user
 * options) must use xl_mul_size / xl_add_size, which refuse to wrap around,
 * so a header claiming 2^40 elements fails cleanly on 32- and 64-bit hosts.
 */
#ifndef XL_ALLOC_H
#define XL_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

/* a*b and a+b without wrap-around: return false (and leave *out untouched)
 * when the result does not fit in size_t. */
bool xl_mul_size(size_t a, size_t b, size_t *out);
bool xl_add_size(size_t a, size_t b, size_t *out);

void *xl_malloc_at(size_t size, xl_error *err, const char *file, int line);
void *xl_calloc_at(size_t count, size_t size, xl_error *err, const char *file, int line);
/* realloc(p, count*size) with overflow check; on failure p is left intact. */
void *xl_realloc_at(void *p, size_t count, size_t size, xl_error *err, const char *file, int line);
/* Room for `need` elements of `size` bytes in a growable array of capacity *cap: grows by
 * doubling (from `first` when empty) and returns the array, possibly moved, with *cap updated; on
 * failure NULL, the old array and *cap untouched.  Typical use:
 *     T *p = xl_array_reserve(list, &cap, n + 1, 64, err);  if (!p) fail;  list = p;  list[n++] = x; */
void *xl_array_reserve_at(void *items, size_t *cap, size_t need, size_t size, size_t first, xl_error *err,
                          const char *file, int line);
/* 64-byte aligned block (SIMD kernels); release with xl_aligned_free. */
void *xl_aligned_alloc_at(size_t size, xl_error *err, const char *file, int line);
void xl_aligned_free(void *p);
/* Copy of s[0..len) plus a terminating NUL. */
char *xl_strndup_at(const char *s, size_t len, xl_error *err, const char *file, int line);

#define xl_malloc(size, err) xl_malloc_at((size), (err), __FILE__, __LINE__)
#define xl_calloc(count, size, err) xl_calloc_at((count), (size), (err), __FILE__, __LINE__)
#define xl_realloc(p, count, size, err) xl_realloc_at((p), (count), (size), (err), __FILE__, __LINE__)
#define xl_array_reserve(items, cap, need, first, err) \
    xl_array_reserve_at((items), (cap), (need), sizeof *(items), (first), (err), __FILE__, __LINE__)
#define xl_aligned_alloc(size, err) xl_aligned_alloc_at((size), (err), __FILE__, __LINE__)
#define xl_strndup(s, len, err) xl_strndup_at((s), (len), (err), __FILE__, __LINE__)

/* Growable byte buffer.  `data` is always NUL-terminated when non-NULL, so a
 * buffer of text can be used as a C string (it may also hold NUL bytes). */
typedef struct xl_buf {
    char *data;
    size_t len;
    size_t cap;
} xl_buf;

void xl_buf_init(xl_buf *b);
void xl_buf_free(xl_buf *b);
/* Make room for `extra` more bytes (plus the terminator). */
int xl_buf_reserve(xl_buf *b, size_t extra, xl_error *err);
int xl_buf_append(xl_buf *b, const void *data, size_t len, xl_error *err);
int xl_buf_putc(xl_buf *b, char c, xl_error *err);
int xl_buf_printf(xl_buf *b, xl_error *err, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void xl_buf_clear(xl_buf *b);

#endif /* XL_ALLOC_H */
