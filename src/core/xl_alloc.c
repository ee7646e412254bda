/* xl_alloc.c - see xl_alloc.h */
#include "xl_alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool xl_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return false;
    *out = a * b;
    return true;
}

bool xl_add_size(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a) return false;
    *out = a + b;
    return true;
}

static void *oom(size_t size, xl_error *err, const char *file, int line)
{
    xl_fail(err, XL_ERR_NOMEM, "out of memory: cannot allocate %zu bytes (%s:%d)", size, file, line);
    return NULL;
}

void *xl_malloc_at(size_t size, xl_error *err, const char *file, int line)
{
    void *p = malloc(size ? size : 1);
    return p ? p : oom(size, err, file, line);
}

void *xl_calloc_at(size_t count, size_t size, xl_error *err, const char *file, int line)
{
    size_t total;
    if (!xl_mul_size(count, size, &total)) {
        xl_fail(err, XL_ERR_NOMEM, "size overflow: %zu x %zu bytes (%s:%d)", count, size, file, line);
        return NULL;
    }
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : oom(total, err, file, line);
}

void *xl_realloc_at(void *p, size_t count, size_t size, xl_error *err, const char *file, int line)
{
    size_t total;
    if (!xl_mul_size(count, size, &total)) {
        xl_fail(err, XL_ERR_NOMEM, "size overflow: %zu x %zu bytes (%s:%d)", count, size, file, line);
        return NULL;
    }
    void *q = realloc(p, total ? total : 1);
    return q ? q : oom(total, err, file, line);
}

void *xl_array_reserve_at(void *items, size_t *cap, size_t need, size_t size, size_t first, xl_error *err,
                          const char *file, int line)
{
    if (need <= *cap) return items;
    size_t c = *cap ? *cap : (first ? first : 1);
    while (c < need) c = c > SIZE_MAX / 2 ? need : c * 2; /* doubling, never past SIZE_MAX */
    void *q = xl_realloc_at(items, c, size, err, file, line);
    if (q != NULL) *cap = c;
    return q;
}

/* Portable 64-byte alignment: over-allocate, store the original pointer just
 * before the aligned block.  (C11 aligned_alloc needs size % align == 0 and is
 * missing from some embedded C libraries.) */
void *xl_aligned_alloc_at(size_t size, xl_error *err, const char *file, int line)
{
    const size_t align = 64;
    size_t total;
    if (!xl_add_size(size, align + sizeof(void *), &total)) {
        xl_fail(err, XL_ERR_NOMEM, "size overflow: %zu bytes (%s:%d)", size, file, line);
        return NULL;
    }
    unsigned char *raw = malloc(total);
    if (raw == NULL) return oom(size, err, file, line);
    uintptr_t start = (uintptr_t)(raw + sizeof(void *));
    uintptr_t aligned = (start + (align - 1)) & ~(uintptr_t)(align - 1);
    unsigned char *user = raw + (aligned - (uintptr_t)raw);
    memcpy(user - sizeof(void *), &raw, sizeof raw);
    return user;
}

void xl_aligned_free(void *p)
{
    if (p == NULL) return;
    void *raw;
    memcpy(&raw, (unsigned char *)p - sizeof(void *), sizeof raw);
    free(raw);
}

char *xl_strndup_at(const char *s, size_t len, xl_error *err, const char *file, int line)
{
    size_t total;
    if (!xl_add_size(len, 1, &total)) return oom(len, err, file, line);
    char *p = xl_malloc_at(total, err, file, line);
    if (p == NULL) return NULL;
    if (len) memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void xl_buf_init(xl_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void xl_buf_free(xl_buf *b)
{
    free(b->data);
    xl_buf_init(b);
}

void xl_buf_clear(xl_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

int xl_buf_reserve(xl_buf *b, size_t extra, xl_error *err)
{
    size_t need;
    if (!xl_add_size(b->len, extra, &need) || !xl_add_size(need, 1, &need))
        return xl_fail(err, XL_ERR_NOMEM, "buffer size overflow");
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    char *p = xl_realloc(b->data, cap, 1, err);
    if (p == NULL) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int xl_buf_append(xl_buf *b, const void *data, size_t len, xl_error *err)
{
    if (xl_buf_reserve(b, len, err) < 0) return -1;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int xl_buf_putc(xl_buf *b, char c, xl_error *err)
{
    return xl_buf_append(b, &c, 1, err);
}

int xl_buf_printf(xl_buf *b, xl_error *err, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return xl_fail(err, XL_ERR_GENERIC, "formatting failed");
    }
    if (xl_buf_reserve(b, (size_t)n, err) < 0) {
        va_end(ap2);
        return -1;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
    return 0;
}
