/* train_data.c - indexed, validated, seeded corpora of aligned pairs / monolingual text
 * (train_data.h). */
#include "train_data.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "xl_io.h"
#include "xl_rng.h"
#include "xl_utf8.h"

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v') return false;
    return true;
}

int xl_tsv_split4(const char *line, size_t len, const char *path, uint64_t lineno, const char *usage,
                  const char *col[4], size_t col_len[4], size_t *n_col, xl_error *err)
{
    const unsigned long long ln = (unsigned long long)lineno;
    if (len > 0 && line[len - 1] == '\r') len--;
    if (len == 0) return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty line (expected %s)", path, ln, usage);
    size_t bad;
    xl_utf8_status why;
    if (!xl_utf8_validate(line, len, &bad, &why))
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: invalid UTF-8 (%s) at byte %zu", path, ln,
                       xl_utf8_status_name(why), bad + 1);
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || line[i] == '\t') {
            if (n < 4) {
                col[n] = line + start;
                col_len[n] = i - start;
            }
            n++;
            start = i + 1;
        }
    *n_col = n;
    return 0;
}

int xl_corpus_parse_line(xl_corpus_kind kind, const char *line, size_t len, const char *path, uint64_t lineno,
                         xl_corpus_record *rec, xl_error *err)
{
    const unsigned long long ln = (unsigned long long)lineno;
    const size_t want = kind == XL_CORPUS_PAIRS ? 4 : 2;
    const char *usage = kind == XL_CORPUS_PAIRS ? "lang1<TAB>text1<TAB>lang2<TAB>text2" : "lang<TAB>text";
    memset(rec, 0, sizeof *rec);
    rec->lineno = lineno;
    const char *col[4];
    size_t col_len[4], n_col;
    if (xl_tsv_split4(line, len, path, lineno, usage, col, col_len, &n_col, err) < 0) return -1;
    if (n_col != want)
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: %zu tab-separated column%s, expected %zu (%s)", path, ln, n_col,
                       n_col == 1 ? "" : "s", want, usage);
    rec->n_sides = want / 2;
    for (size_t s = 0; s < rec->n_sides; s++) {
        const size_t cl = 2 * s, ct = 2 * s + 1;
        if (blank(col[cl], col_len[cl]))
            return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty language tag in column %zu", path, ln, cl + 1);
        if (blank(col[ct], col_len[ct]))
            return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty text in column %zu (side %zu of the %s)", path, ln,
                           ct + 1, s + 1, kind == XL_CORPUS_PAIRS ? "pair" : "line");
        rec->lang[s] = col[cl];
        rec->lang_len[s] = col_len[cl];
        rec->text[s] = col[ct];
        rec->text_len[s] = col_len[ct];
    }
    return 0;
}

void xl_corpus_close(xl_corpus *c)
{
    if (c->f != NULL) fclose(c->f);
    free(c->path);
    free(c->offsets);
    free(c->order);
    xl_buf_free(&c->line);
    memset(c, 0, sizeof *c);
}

static int make_order(xl_corpus *c, xl_error *err)
{
    (void)err;
    xl_rng r;
    xl_rng_seed(&r, c->seed, XL_CORPUS_STREAM + c->epoch);
    if (c->block == 0) {
        for (size_t i = 0; i < c->n; i++) c->order[i] = (uint32_t)i;
        xl_rng_shuffle_u32(&r, c->order, (uint32_t)c->n);
        return 0;
    }
    /* blocks: shuffle the nb block indices in order[0..nb), then expand in place from the end
     * (block i fills order[i k .. i k + k), all at or after i: perm[i] is read before any write
     * can reach it, and the perm[j] overwritten, j > i, were expanded already) */
    const size_t k = c->block, nb = c->n / k;
    for (size_t i = 0; i < nb; i++) c->order[i] = (uint32_t)i;
    xl_rng_shuffle_u32(&r, c->order, (uint32_t)nb);
    for (size_t i = nb; i-- > 0;) {
        const size_t first = (size_t)c->order[i] * k;
        for (size_t j = k; j-- > 0;) c->order[i * k + j] = (uint32_t)(first + j);
    }
    return 0;
}

int xl_corpus_set_blocks(xl_corpus *c, size_t k, xl_error *err)
{
    if (k == 0) return xl_fail(err, XL_ERR_USAGE, "%s: block size must be at least 1", c->path);
    if (c->n < k)
        return xl_fail(err, XL_ERR_USAGE, "%s: %zu line%s, fewer than one block of %zu (--batch-order grouped)", c->path,
                       c->n, c->n == 1 ? "" : "s", k);
    c->block = k;
    c->n_order = c->n / k * k;
    c->epoch = 0;
    c->cursor = 0;
    return make_order(c, err);
}

int xl_corpus_open(xl_corpus *c, const char *path, xl_corpus_kind kind, size_t max_line, uint64_t seed,
                   xl_error *err)
{
    memset(c, 0, sizeof *c);
    xl_buf_init(&c->line);
    c->kind = kind;
    c->seed = seed;
    c->max_line = max_line ? max_line : XL_CORPUS_MAX_LINE_DEFAULT;
    if (strcmp(path, "-") == 0)
        return xl_fail(err, XL_ERR_USAGE, "%s: standard input cannot be a training corpus (it is read by offset)",
                       path);
    c->path = xl_strndup(path, strlen(path), err);
    if (c->path == NULL) return -1;
    xl_lines lines;
    if (xl_lines_open(&lines, path, err) < 0) goto fail;
    lines.strip_cr = false; /* the byte count of every line must be exact: '\r' is handled here */
    lines.max_line = c->max_line;
    size_t cap = 0;
    uint64_t pos = 0;
    const char *line;
    size_t len;
    int rc;
    xl_corpus_record rec;
    while ((rc = xl_lines_next(&lines, &line, &len, err)) > 0) {
        if (xl_corpus_parse_line(kind, line, len, path, lines.lineno, &rec, err) < 0) {
            rc = -1;
            break;
        }
        if (c->n >= UINT32_MAX - 1) {
            rc = xl_fail(err, XL_ERR_LIMIT, "%s:%llu: more than %lu lines", path,
                         (unsigned long long)lines.lineno, (unsigned long)UINT32_MAX - 1);
            break;
        }
        uint64_t *o = xl_array_reserve(c->offsets, &cap, c->n + 2, 1024, err);
        if (o == NULL) {
            rc = -1;
            break;
        }
        c->offsets = o;
        c->offsets[c->n++] = pos;
        pos += (uint64_t)len + 1; /* the '\n' (absent after the last line: harmless, see read) */
    }
    xl_lines_close(&lines);
    if (rc < 0) goto fail;
    if (c->n == 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: empty file (no %s)", path, kind == XL_CORPUS_PAIRS ? "pairs" : "lines");
        goto fail;
    }
    c->offsets[c->n] = pos;
    c->n_order = c->n;
    c->f = fopen(path, "rb");
    if (c->f == NULL) {
        xl_fail(err, XL_ERR_IO, "%s: cannot reopen for reading", path);
        goto fail;
    }
    c->order = xl_calloc(c->n, sizeof *c->order, err);
    if (c->order == NULL || make_order(c, err) < 0) goto fail;
    return 0;
fail:
    xl_corpus_close(c);
    return -1;
}

int xl_corpus_read(xl_corpus *c, size_t i, xl_corpus_record *rec, xl_error *err)
{
    if (i >= c->n) return xl_fail(err, XL_ERR_USAGE, "%s: line index %zu out of range", c->path, i);
    const uint64_t off = c->offsets[i], end = c->offsets[i + 1];
    const unsigned long long ln = (unsigned long long)i + 1;
    if (off > (uint64_t)LONG_MAX)
        return xl_fail(err, XL_ERR_LIMIT, "%s:%llu: offset beyond this platform's fseek range", c->path, ln);
    size_t len = (size_t)(end - off - 1); /* without the '\n' */
    xl_buf_clear(&c->line);
    if (xl_buf_reserve(&c->line, len + 1, err) < 0) return -1;
    if (fseek(c->f, (long)off, SEEK_SET) != 0)
        return xl_fail(err, XL_ERR_IO, "%s:%llu: cannot seek to byte %llu", c->path, ln, (unsigned long long)off);
    size_t got = fread(c->line.data, 1, len + 1, c->f);
    /* the line must be there and (unless it is the last) end with '\n' where the index says */
    bool last = i + 1 == c->n;
    if (got < len || (!last && (got != len + 1 || c->line.data[len] != '\n')) ||
        (last && got == len + 1 && c->line.data[len] != '\n'))
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: the file changed while training (line no longer where indexed)",
                       c->path, ln);
    c->line.data[len] = '\0';
    c->line.len = len;
    return xl_corpus_parse_line(c->kind, c->line.data, len, c->path, i + 1, rec, err);
}

int xl_corpus_next(xl_corpus *c, xl_corpus_record *rec, xl_error *err)
{
    if (c->cursor >= c->n_order) {
        c->epoch++;
        c->cursor = 0;
        if (make_order(c, err) < 0) return -1;
    }
    return xl_corpus_read(c, c->order[c->cursor++], rec, err);
}

int xl_corpus_seek(xl_corpus *c, uint64_t epoch, size_t cursor, xl_error *err)
{
    if (cursor > c->n_order)
        return xl_fail(err, XL_ERR_FORMAT, "%s: saved position %zu is beyond its %zu lines", c->path, cursor,
                       c->n_order);
    c->epoch = epoch;
    c->cursor = cursor;
    return make_order(c, err);
}
