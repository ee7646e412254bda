/* glove_vocab.c - corpus tokens and the vocabulary (the reference's
 * vocab_count); see glove.h. */
#include "glove.h"

#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_parse.h"

#define GLOVE_READ_CHUNK (1u << 16)

/* ---- tokens --------------------------------------------------------------- */
int xl_glove_tokens_open(xl_glove_tokens *t, const char *path, xl_error *err)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->line = 1;
    t->buf = xl_malloc(GLOVE_READ_CHUNK, err);
    if (!t->buf) return -1;
    t->f = xl_fopen(path, "rb", err);
    if (!t->f) {
        free(t->buf);
        t->buf = NULL;
        return -1;
    }
    t->owns = strcmp(path, "-") != 0;
    return 0;
}

void xl_glove_tokens_close(xl_glove_tokens *t)
{
    if (t->f && t->owns) fclose(t->f);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

static int refill(xl_glove_tokens *t, xl_error *err)
{
    if (t->eof) return 0;
    t->len = fread(t->buf, 1, GLOVE_READ_CHUNK, t->f);
    t->pos = 0;
    if (t->len < GLOVE_READ_CHUNK) {
        if (ferror(t->f)) return xl_fail(err, XL_ERR_IO, "%s:%llu: read error", t->path, (unsigned long long)t->line);
        t->eof = true;
    }
    return t->len > 0 ? 1 : 0;
}

/* The reference keeps 999 bytes and, when the last kept byte belongs to a
 * multi-byte UTF-8 sequence, cuts at that sequence's lead byte (only leads of
 * 2, 3 or 4 bytes found at the last, second or third position from the end). */
static void finish_word(xl_glove_tokens *t, size_t n)
{
    char *w = t->word;
    w[n] = '\0';
    if (n == GLOVE_MAX_TOKEN && (w[n - 1] & 0x80) == 0x80) {
        if ((w[n - 1] & 0xC0) == 0xC0)
            w[n - 1] = '\0';
        else if (n > 2 && (w[n - 2] & 0xE0) == 0xE0)
            w[n - 2] = '\0';
        else if (n > 3 && (w[n - 3] & 0xF8) == 0xF0)
            w[n - 3] = '\0';
    }
    t->word_len = strlen(w); /* a NUL byte ends the token, as in the reference */
}

int xl_glove_tokens_next(xl_glove_tokens *t, xl_error *err)
{
    size_t n = 0;
    for (;;) {
        if (t->pos == t->len) {
            int r = refill(t, err);
            if (r < 0) return -2;
            if (r == 0) {
                if (n > 0) {
                    finish_word(t, n);
                    return 1;
                }
                return -1;
            }
        }
        unsigned char c = t->buf[t->pos];
        if (c == '\n') {
            if (n > 0) { /* the newline ends the line next time */
                finish_word(t, n);
                return 1;
            }
            t->pos++;
            t->line++;
            return 0;
        }
        t->pos++;
        if (c == '\r') continue;
        if (c == ' ' || c == '\t') {
            if (n == 0) continue;
            finish_word(t, n);
            return 1;
        }
        if (n < GLOVE_MAX_TOKEN) t->word[n++] = (char)c;
    }
}

/* ---- vocabulary ------------------------------------------------------------ */
void xl_glove_vocab_free(xl_glove_vocab *v)
{
    if (!v) return;
    xl_w2v_words_free(&v->words);
    free(v->count);
    memset(v, 0, sizeof *v);
}

/* The reference's scmp: bytes compared as (signed) char, the terminator
 * included, so a byte >= 0x80 sorts before ASCII and before the end. */
static int ref_strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (int)(signed char)*a - (int)(signed char)*b;
}

/* The reference's bitwisehash bucket (seed 1159241, table 2^20), with the
 * bytes as signed char. */
static uint32_t ref_bucket(const char *w)
{
    uint32_t h = 1159241u;
    for (; *w; w++) {
        int32_t byte = (signed char)w[0]; /* a negative byte wraps around, as in the reference */
        uint32_t add = (uint32_t)byte;
        h ^= (uint32_t)((h << 5) + add + (h >> 2));
    }
    return (h & 0x7fffffffu) % 1048576u;
}

typedef struct {
    const char *word;
    uint64_t count;
    uint32_t bucket;
    uint32_t id;
} vocab_entry;

static int by_count_then_bytes(const void *pa, const void *pb)
{
    const vocab_entry *a = pa, *b = pb;
    if (a->count != b->count) return a->count < b->count ? 1 : -1;
    return ref_strcmp(a->word, b->word);
}

static int by_count_then_bucket(const void *pa, const void *pb)
{
    const vocab_entry *a = pa, *b = pb;
    if (a->count != b->count) return a->count < b->count ? 1 : -1;
    if (a->bucket != b->bucket) return a->bucket < b->bucket ? -1 : 1;
    return ref_strcmp(a->word, b->word);
}

int xl_glove_vocab_count(const char *corpus, uint64_t min_count, uint64_t max_vocab, xl_glove_vocab *out,
                      xl_glove_vocab_stats *stats, xl_error *err)
{
    memset(out, 0, sizeof *out);
    xl_w2v_words seen;
    xl_w2v_words_init(&seen);
    uint64_t *counts = NULL;
    size_t counts_cap = 0;
    vocab_entry *entries = NULL;
    xl_glove_tokens t;
    if (xl_glove_tokens_open(&t, corpus, err) < 0) return -1;
    uint64_t tokens = 0;
    int r;
    while ((r = xl_glove_tokens_next(&t, err)) >= 0) {
        if (r == 0) continue;
        if (t.word_len == 5 && memcmp(t.word, "<unk>", 5) == 0) {
            xl_fail(err, XL_ERR_FORMAT,
                    "%s:%llu: the token <unk> is reserved for the unknown-word vector; replace it in the corpus "
                    "(e.g. sed -e 's/<unk>/<raw_unk>/g')",
                    corpus, (unsigned long long)t.line);
            goto fail;
        }
        bool added;
        int64_t id = xl_w2v_words_intern(&seen, t.word, t.word_len, &added, err);
        if (id < 0) goto fail;
        uint64_t *c = xl_array_reserve(counts, &counts_cap, (size_t)id + 1, 4096, err);
        if (!c) goto fail;
        counts = c;
        if (added) counts[id] = 0;
        counts[id]++;
        tokens++;
    }
    if (r == -2) goto fail;
    if (tokens == 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s:%llu: the corpus has no tokens", corpus, (unsigned long long)t.line);
        goto fail;
    }
    size_t n = seen.n;
    entries = xl_malloc(n * sizeof *entries, err);
    if (!entries) goto fail;
    for (size_t i = 0; i < n; i++) {
        entries[i].word = xl_w2v_words_get(&seen, i);
        entries[i].count = counts[i];
        entries[i].bucket = max_vocab ? ref_bucket(entries[i].word) : 0;
        entries[i].id = (uint32_t)i;
    }
    size_t keep = n;
    if (max_vocab > 0 && max_vocab < n) {
        qsort(entries, n, sizeof *entries, by_count_then_bucket);
        keep = (size_t)max_vocab;
    }
    qsort(entries, keep, sizeof *entries, by_count_then_bytes);
    size_t kept = 0;
    while (kept < keep && entries[kept].count >= min_count) kept++;
    if (kept == 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: no word occurs at least %llu times (%llu tokens, %zu distinct)", corpus,
                (unsigned long long)min_count, (unsigned long long)tokens, n);
        goto fail;
    }
    xl_w2v_words_init(&out->words);
    out->count = xl_malloc(kept * sizeof *out->count, err);
    if (!out->count) goto fail;
    for (size_t i = 0; i < kept; i++) {
        if (xl_w2v_words_add(&out->words, entries[i].word, seen.word_len[entries[i].id], err) < 0) goto fail;
        out->count[i] = entries[i].count;
    }
    if (stats) {
        stats->tokens = tokens;
        stats->unique_words = n;
    }
    free(entries);
    free(counts);
    xl_w2v_words_free(&seen);
    xl_glove_tokens_close(&t);
    return 0;
fail:
    free(entries);
    free(counts);
    xl_w2v_words_free(&seen);
    xl_glove_tokens_close(&t);
    xl_glove_vocab_free(out);
    return -1;
}

int xl_glove_vocab_write(const char *path, const xl_glove_vocab *v, xl_error *err)
{
    xl_glove_out o;
    if (xl_glove_out_open(&o, path, false, err) < 0) return -1;
    for (size_t i = 0; i < v->words.n; i++) {
        if (fwrite(xl_w2v_words_get(&v->words, i), 1, v->words.word_len[i], o.f) != v->words.word_len[i] ||
            fprintf(o.f, " %llu\n", (unsigned long long)v->count[i]) < 0) {
            xl_glove_out_abort(&o);
            return xl_fail(err, XL_ERR_IO, "%s: write failed", path);
        }
    }
    return xl_glove_out_commit(&o, err);
}

/* "word count" with a word of len_word bytes at line[a..b) and the count after
 * it; the shared check of xl_glove_vocab_read and xl_glove_vocab_rows. */
static int check_vocab_line(const char *path, uint64_t lineno, const char *line, size_t len, size_t *a_out,
                            size_t *b_out, uint64_t *count, xl_error *err)
{
    size_t a = 0;
    while (a < len && (line[a] == ' ' || line[a] == '\t')) a++;
    if (a == len)
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty line (expected \"word count\")", path,
                       (unsigned long long)lineno);
    size_t b = a;
    while (b < len && line[b] != ' ' && line[b] != '\t') b++;
    size_t c = b;
    while (c < len && (line[c] == ' ' || line[c] == '\t')) c++;
    size_t e = len;
    while (e > c && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
    xl_error e2;
    if (c == e)
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: missing count (expected \"word count\")", path,
                       (unsigned long long)lineno);
    if (xl_parse_u64(line + c, e - c, count, &e2) < 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: bad count: %s", path, (unsigned long long)lineno, e2.msg);
    if (memchr(line + a, '\0', b - a))
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: NUL byte in word", path, (unsigned long long)lineno);
    if (b - a == 5 && memcmp(line + a, "<unk>", 5) == 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: <unk> is reserved and cannot be a vocabulary word", path,
                       (unsigned long long)lineno);
    *a_out = a;
    *b_out = b;
    return 0;
}

int xl_glove_vocab_rows(const char *path, size_t *rows, xl_error *err)
{
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    const char *line;
    size_t len, a, b, n = 0;
    uint64_t count;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (check_vocab_line(path, r.lineno, line, len, &a, &b, &count, err) < 0) {
            rc = -1;
            break;
        }
        n++;
    }
    xl_lines_close(&r);
    if (rc < 0) return -1;
    if (n == 0) return xl_fail(err, XL_ERR_FORMAT, "%s:1: empty vocabulary file", path);
    *rows = n;
    return 0;
}

int xl_glove_vocab_read(const char *path, xl_glove_vocab *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    xl_w2v_words_init(&out->words);
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    size_t cap = 0;
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        size_t a, b;
        uint64_t count;
        if (check_vocab_line(path, r.lineno, line, len, &a, &b, &count, err) < 0) goto fail;
        if (xl_w2v_words_find(&out->words, line + a, b - a) >= 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: duplicate word '%.*s'", path, (unsigned long long)r.lineno,
                    (int)(b - a > 200 ? 200 : b - a), line + a);
            goto fail;
        }
        uint64_t *cnt = xl_array_reserve(out->count, &cap, out->words.n + 1, 4096, err);
        if (!cnt) goto fail;
        out->count = cnt;
        out->count[out->words.n] = count;
        if (xl_w2v_words_add(&out->words, line + a, b - a, err) < 0) goto fail;
    }
    if (rc < 0) goto fail;
    if (out->words.n == 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s:1: empty vocabulary file", path);
        goto fail;
    }
    if (out->words.n > INT32_MAX) {
        xl_fail(err, XL_ERR_LIMIT, "%s: %zu words: co-occurrence files hold 32-bit ids", path, out->words.n);
        goto fail;
    }
    xl_lines_close(&r);
    return 0;
fail:
    xl_lines_close(&r);
    xl_glove_vocab_free(out);
    return -1;
}
