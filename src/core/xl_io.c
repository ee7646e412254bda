/* xl_io.c - see xl_io.h */
#include "xl_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xl_platform.h"

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
    if (mode[0] == 'r' && xl_path_kind_of(path) == XL_PATH_DIRECTORY) {
        xl_fail(err, XL_ERR_IO, "%s: is a directory (a file is expected)", path);
        return NULL;
    }
    errno = 0;
    FILE *f = fopen(path, mode);
    if (f == NULL) xl_fail(err, XL_ERR_IO, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    return f;
}

int xl_fclose(FILE *f, const char *path, xl_error *err)
{
    if (f == NULL) return 0;
    if (f == stdin) return 0;
    errno = 0;
    if (f == stdout || f == stderr) {
        if (fflush(f) != 0 || ferror(f))
            return xl_fail(err, XL_ERR_IO, "%s: write failed: %s", path, errno ? strerror(errno) : "I/O error");
        return 0;
    }
    bool had_error = ferror(f) != 0;
    if (fclose(f) != 0 || had_error)
        return xl_fail(err, XL_ERR_IO, "%s: write failed: %s", path, errno ? strerror(errno) : "I/O error");
    return 0;
}

int xl_fread_exact(void *dst, size_t n, FILE *f, const char *path, xl_error *err)
{
    if (n == 0) return 0;
    errno = 0;
    size_t got = fread(dst, 1, n, f);
    if (got == n) return 0;
    if (ferror(f)) return xl_fail(err, XL_ERR_IO, "%s: read error: %s", path, errno ? strerror(errno) : "I/O error");
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
    return xl_read_file_ex(path, max_bytes, NULL, 0, NULL, data, len, err);
}

int xl_head_is_text(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    const unsigned char *nul = memchr(head, 0, n);
    if (nul != NULL)
        return xl_fail(err, XL_ERR_FORMAT, "%s: binary data (a NUL byte at offset %zu), not a text file", path,
                       (size_t)(nul - head));
    return 0;
}

int xl_read_file_ex(const char *path, size_t max_bytes, const char *limit_name, size_t head_len, xl_head_check check,
                    char **data, size_t *len, xl_error *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = xl_fopen(path, "rb", err);
    if (f == NULL) return -1;
    xl_buf b;
    xl_buf_init(&b);
    char chunk[65536];
    bool checked = check == NULL;
    for (;;) {
        errno = 0;
        size_t got = fread(chunk, 1, sizeof chunk, f);
        if (got > 0) {
            if (max_bytes && (b.len > max_bytes || got > max_bytes - b.len)) {
                xl_fail(err, XL_ERR_LIMIT, "%s: file larger than the limit of %zu bytes%s%s%s", path, max_bytes,
                        limit_name ? " (" : "", limit_name ? limit_name : "", limit_name ? ")" : "");
                goto fail;
            }
            if (xl_buf_append(&b, chunk, got, err) < 0) goto fail;
        }
        if (!checked && b.len >= head_len) {
            checked = true;
            if (check((const unsigned char *)b.data, head_len, path, err) < 0) goto fail;
        }
        if (got < sizeof chunk) {
            if (ferror(f)) {
                xl_fail(err, XL_ERR_IO, "%s: read error: %s", path, errno ? strerror(errno) : "I/O error");
                goto fail;
            }
            break;
        }
    }
    if (!checked && check((const unsigned char *)(b.data ? b.data : ""), b.len, path, err) < 0) goto fail;
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
    xl_output o;
    if (xl_output_open(&o, path, err) < 0) return -1;
    if (xl_fwrite_exact(data, len, o.f, path, err) < 0) {
        xl_output_abort(&o);
        return -1;
    }
    return xl_output_commit(&o, err);
}

int xl_output_open(xl_output *o, const char *path, xl_error *err)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    if (path == NULL || path[0] == '\0') return xl_fail(err, XL_ERR_USAGE, "empty output file name");
    xl_path_kind kind = is_dash(path) ? XL_PATH_OTHER : xl_path_kind_of(path);
    if (kind == XL_PATH_DIRECTORY) return xl_fail(err, XL_ERR_IO, "%s: is a directory (an output file is expected)", path);
    if (kind == XL_PATH_OTHER) { /* stdout, a device, a FIFO: written in place, never renamed or removed */
        o->f = xl_fopen(path, "wb", err);
        return o->f ? 0 : -1;
    }
    o->target = xl_resolve_link(path, err);
    if (o->target == NULL) return -1;
    o->f = xl_create_temp_beside(o->target, &o->tmp, err);
    if (o->f == NULL) {
        free(o->target);
        o->target = NULL;
        return -1;
    }
    return 0;
}

void xl_output_abort(xl_output *o)
{
    if (o->f != NULL) {
        if (o->tmp != NULL)
            fclose(o->f);
        else
            xl_fclose(o->f, o->path, NULL);
    }
    if (o->tmp != NULL) remove(o->tmp);
    free(o->tmp);
    free(o->target);
    memset(o, 0, sizeof *o);
}

int xl_output_commit(xl_output *o, xl_error *err)
{
    if (o->f == NULL) return xl_fail(err, XL_ERR_USAGE, "%s: output not open", o->path ? o->path : "?");
    if (o->tmp == NULL) { /* written directly */
        int rc = xl_fclose(o->f, o->path, err);
        o->f = NULL;
        xl_output_abort(o);
        return rc;
    }
    int rc = xl_file_sync(o->f, o->path, err);
    errno = 0;
    if (fclose(o->f) != 0 && rc == 0)
        rc = xl_fail(err, XL_ERR_IO, "%s: write failed: %s", o->path, errno ? strerror(errno) : "I/O error");
    o->f = NULL;
    if (rc == 0) {
        errno = 0;
        if (rename(o->tmp, o->target) != 0)
            rc = xl_fail(err, XL_ERR_IO, "%s: cannot replace it: %s", o->path, errno ? strerror(errno) : "rename failed");
        else {
            free(o->tmp); /* renamed: nothing left to remove */
            o->tmp = NULL;
        }
    }
    xl_output_abort(o);
    return rc;
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
            errno = 0;
            r->chunk_len = fread(r->chunk, 1, XL_LINES_CHUNK, r->f);
            r->chunk_pos = 0;
            if (r->chunk_len < XL_LINES_CHUNK) {
                if (ferror(r->f))
                    return xl_fail(err, XL_ERR_IO, "%s:%llu: read error: %s", r->path,
                                   (unsigned long long)r->lineno + 1, errno ? strerror(errno) : "I/O error");
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
            return xl_fail(err, XL_ERR_LIMIT, "%s:%llu: line longer than %zu bytes%s", r->path,
                           (unsigned long long)r->lineno + 1, r->max_line,
                           r->max_line == XL_LINE_MAX_DEFAULT ? " (XL_LINE_MAX_DEFAULT)" : "");
        if (xl_buf_append(&r->line, start, take, err) < 0) return -1;
        r->chunk_pos += take + (nl ? 1 : 0);
        if (nl) break;
    }
    if (!got_any) return 0;
    r->lineno++;
    size_t n = r->line.len;
    if (r->strip_cr && n > 0 && r->line.data[n - 1] == '\r') n--;
    if (n > r->max_line)
        return xl_fail(err, XL_ERR_LIMIT, "%s:%llu: line longer than %zu bytes%s", r->path,
                       (unsigned long long)r->lineno, r->max_line,
                       r->max_line == XL_LINE_MAX_DEFAULT ? " (XL_LINE_MAX_DEFAULT)" : "");
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
