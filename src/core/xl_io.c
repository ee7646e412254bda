/* xl_io.c - see xl_io.h */
#include "xl_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_dash(const char *path)
{
    return path[0] == '-' && path[1] == '\0';
}

FILE *xl_fopen(const char *path, const char *mode, xl_error *err)
{
    if (path == NULL || path[0] == '\0') {
        xl_fail(err, XL_ERR_USAGE, "empty file name");
        return NULL;
    }
    if (is_dash(path)) return (mode[0] == 'r') ? stdin : stdout;
    errno = 0;
    FILE *f = fopen(path, mode);
    if (f == NULL) xl_fail(err, XL_ERR_IO, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    return f;
}

int xl_fclose(FILE *f, const char *path, xl_error *err)
{
    if (f == NULL) return 0;
    if (f == stdin) return 0;
    if (f == stdout || f == stderr) {
        if (fflush(f) != 0 || ferror(f)) return xl_fail(err, XL_ERR_IO, "%s: write failed", path);
        return 0;
    }
    bool had_error = ferror(f) != 0;
    errno = 0;
    if (fclose(f) != 0 || had_error)
        return xl_fail(err, XL_ERR_IO, "%s: %s", path, errno ? strerror(errno) : "I/O error");
    return 0;
}

int xl_fread_exact(void *dst, size_t n, FILE *f, const char *path, xl_error *err)
{
    if (n == 0) return 0;
    size_t got = fread(dst, 1, n, f);
    if (got == n) return 0;
    if (ferror(f)) return xl_fail(err, XL_ERR_IO, "%s: read error", path);
    return xl_fail(err, XL_ERR_FORMAT, "%s: unexpected end of file (wanted %zu bytes, got %zu)", path, n, got);
}

int xl_fwrite_exact(const void *src, size_t n, FILE *f, const char *path, xl_error *err)
{
    if (n == 0) return 0;
    errno = 0;
    if (fwrite(src, 1, n, f) != n)
        return xl_fail(err, XL_ERR_IO, "%s: write failed: %s", path, errno ? strerror(errno) : "I/O error");
    return 0;
}

int xl_read_file(const char *path, size_t max_bytes, char **data, size_t *len, xl_error *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = xl_fopen(path, "rb", err);
    if (f == NULL) return -1;
    xl_buf b;
    xl_buf_init(&b);
    char chunk[65536];
    for (;;) {
        size_t got = fread(chunk, 1, sizeof chunk, f);
        if (got > 0) {
            if (max_bytes && b.len + got > max_bytes) {
                xl_fail(err, XL_ERR_LIMIT, "%s: file larger than the limit of %zu bytes", path, max_bytes);
                goto fail;
            }
            if (xl_buf_append(&b, chunk, got, err) < 0) goto fail;
        }
        if (got < sizeof chunk) {
            if (ferror(f)) {
                xl_fail(err, XL_ERR_IO, "%s: read error", path);
                goto fail;
            }
            break;
        }
    }
    if (xl_buf_reserve(&b, 0, err) < 0) goto fail; /* ensures a terminator for empty files */
    b.data[b.len] = '\0';
    if (xl_fclose(f, path, err) < 0) {
        xl_buf_free(&b);
        return -1;
    }
    *data = b.data;
    *len = b.len;
    return 0;
fail:
    xl_buf_free(&b);
    xl_fclose(f, path, NULL);
    return -1;
}

int xl_write_file(const char *path, const void *data, size_t len, xl_error *err)
{
    FILE *f = xl_fopen(path, "wb", err);
    if (f == NULL) return -1;
    if (xl_fwrite_exact(data, len, f, path, err) < 0) {
        xl_fclose(f, path, NULL);
        return -1;
    }
    return xl_fclose(f, path, err);
}

void xl_lines_from_stream(xl_lines *r, FILE *f, const char *name)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    r->path = name;
    r->strip_cr = true;
    r->max_line = XL_LINE_MAX_DEFAULT;
    xl_buf_init(&r->line);
}

int xl_lines_open(xl_lines *r, const char *path, xl_error *err)
{
    FILE *f = xl_fopen(path, "rb", err);
    xl_lines_from_stream(r, f, path);
    if (f == NULL) return -1;
    r->owns_file = !is_dash(path);
    return 0;
}

/* Block reads into r->chunk, scanning for '\n' with memchr: correct for lines
 * containing NUL bytes, and fast. */
int xl_lines_next(xl_lines *r, const char **line, size_t *len, xl_error *err)
{
    xl_buf_clear(&r->line);
    if (r->f == NULL) return 0;
    if (r->chunk == NULL) {
        r->chunk = xl_malloc(XL_LINES_CHUNK, err);
        if (r->chunk == NULL) return -1;
    }
    bool got_any = false;
    for (;;) {
        if (r->chunk_pos == r->chunk_len) {
            if (r->eof) break;
            r->chunk_len = fread(r->chunk, 1, XL_LINES_CHUNK, r->f);
            r->chunk_pos = 0;
            if (r->chunk_len < XL_LINES_CHUNK) {
                if (ferror(r->f))
                    return xl_fail(err, XL_ERR_IO, "%s:%llu: read error", r->path,
                                   (unsigned long long)r->lineno + 1);
                r->eof = true;
            }
            if (r->chunk_len == 0) break;
        }
        got_any = true;
        const char *start = r->chunk + r->chunk_pos;
        size_t avail = r->chunk_len - r->chunk_pos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        if (r->line.len + take > r->max_line + 1) /* +1: room for a '\r' to strip */
            return xl_fail(err, XL_ERR_LIMIT, "%s:%llu: line longer than %zu bytes", r->path,
                           (unsigned long long)r->lineno + 1, r->max_line);
        if (xl_buf_append(&r->line, start, take, err) < 0) return -1;
        r->chunk_pos += take + (nl ? 1 : 0);
        if (nl) break;
    }
    if (!got_any) return 0;
    r->lineno++;
    size_t n = r->line.len;
    if (r->strip_cr && n > 0 && r->line.data[n - 1] == '\r') n--;
    if (n > r->max_line)
        return xl_fail(err, XL_ERR_LIMIT, "%s:%llu: line longer than %zu bytes", r->path,
                       (unsigned long long)r->lineno, r->max_line);
    if (xl_buf_reserve(&r->line, 0, err) < 0) return -1; /* empty line: make data non-NULL */
    r->line.data[n] = '\0';
    r->line.len = n;
    *line = r->line.data;
    *len = n;
    return 1;
}

void xl_lines_close(xl_lines *r)
{
    if (r->owns_file && r->f != NULL) fclose(r->f);
    r->f = NULL;
    free(r->chunk);
    r->chunk = NULL;
    xl_buf_free(&r->line);
}
