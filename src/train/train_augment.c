/* train_augment.c - word-deletion pairs (train_augment.h). */
#include "train_augment.h"

#include <string.h>

#include "train_data.h"
#include "xl_rng.h"
#include "xl_utf8.h"

void xl_augment_opts_default(xl_augment_opts *o)
{
    memset(o, 0, sizeof *o);
    o->p_drop = 0.3;
    o->seed = 1;
    o->min_units = 2;
    o->max_chars = 0;
    o->chars_for = "zh,ja";
    o->side = 1;
}

/* Unicode's White_Space property (PropList.txt, Unicode 15.0). */
static bool is_white_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool xl_augment_per_char(const char *chars_for, const char *lang, size_t lang_len)
{
    if (chars_for == NULL) return false;
    for (const char *p = chars_for; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n > 0 && lang_len >= n && memcmp(lang, p, n) == 0 && (lang_len == n || lang[n] == '-')) return true;
        p += n + (comma != NULL);
    }
    return false;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v') return false;
    return true;
}

/* The next code point of well-formed text s[*i..len) (validated by the caller). */
static uint32_t next_cp(const char *s, size_t len, size_t *i)
{
    uint32_t cp = 0;
    int n = xl_utf8_decode((const unsigned char *)s + *i, len - *i, &cp, NULL);
    *i += n > 0 ? (size_t)n : 1;
    return cp;
}

/* Walk the words of s[0..len) (well-formed UTF-8) and their units.  Counting (rng == NULL): *units
 * and *chars (code points of the whole text).  Drawing: one xl_rng_double per unit, in order; the
 * kept units are appended to out (words joined by one space) and *dropped counts the others. */
static int walk_units(const char *s, size_t len, bool per_char, xl_rng *rng, double p, xl_buf *out, size_t *units,
                      size_t *chars, size_t *dropped, xl_error *err)
{
    bool any_word = false;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        if (is_white_space(next_cp(s, len, &j))) {
            if (chars) (*chars)++;
            i = j;
            continue;
        }
        const size_t word = i; /* the word s[word..end) */
        size_t end = i, n_cp = 0;
        while (end < len) {
            size_t k = end;
            if (is_white_space(next_cp(s, len, &k))) break;
            end = k;
            n_cp++;
        }
        i = end;
        if (rng == NULL) {
            *units += per_char ? n_cp : 1;
            *chars += n_cp;
            continue;
        }
        if (!per_char) {
            if (xl_rng_double(rng) < p) {
                (*dropped)++;
            } else {
                if ((any_word && xl_buf_putc(out, ' ', err) < 0) || xl_buf_append(out, s + word, end - word, err) < 0)
                    return -1;
                any_word = true;
            }
            continue;
        }
        bool started = false; /* this word has a kept character */
        for (size_t k = word; k < end;) {
            const size_t a = k;
            (void)next_cp(s, end, &k);
            if (xl_rng_double(rng) < p) {
                (*dropped)++;
                continue;
            }
            if (!started) {
                if (any_word && xl_buf_putc(out, ' ', err) < 0) return -1;
                started = any_word = true;
            }
            if (xl_buf_append(out, s + a, k - a, err) < 0) return -1;
        }
    }
    return 0;
}

int xl_augment_line(const xl_augment_opts *o, const char *line, size_t len, const char *path, uint64_t lineno,
                    uint64_t stream, xl_buf *out, xl_augment_outcome *outcome, xl_augment_stats *stats,
                    xl_error *err)
{
    const unsigned long long ln = (unsigned long long)lineno;
    const char *col[4];
    size_t col_len[4], n_col;
    if (xl_tsv_split4(line, len, path, lineno, "lang<TAB>text or 4 columns", col, col_len, &n_col, err) < 0)
        return -1;
    if (n_col != 2 && n_col != 4)
        return xl_fail(err, XL_ERR_FORMAT,
                       "%s:%llu: %zu tab-separated column%s, expected 2 (lang<TAB>text) or 4 "
                       "(lang1<TAB>text1<TAB>lang2<TAB>text2)",
                       path, ln, n_col, n_col == 1 ? "" : "s");
    for (size_t c = 0; c < n_col; c += 2) { /* every side is checked, the taken one or not */
        if (blank(col[c], col_len[c]))
            return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty language tag in column %zu", path, ln, c + 1);
        if (blank(col[c + 1], col_len[c + 1]))
            return xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty text in column %zu", path, ln, c + 2);
    }
    const size_t side = n_col == 4 && o->side == 2 ? 2 : 0;
    const char *lang = col[side], *text = col[side + 1];
    const size_t lang_len = col_len[side], text_len = col_len[side + 1];
    const bool per_char = xl_augment_per_char(o->chars_for, lang, lang_len);
    size_t units = 0, chars = 0, dropped = 0;
    (void)walk_units(text, text_len, per_char, NULL, 0.0, NULL, &units, &chars, NULL, NULL);
    xl_augment_outcome oc = XL_AUGMENT_WRITTEN;
    const size_t mark = out->len;
    if (units < o->min_units) {
        oc = XL_AUGMENT_SHORT;
    } else if (o->max_chars > 0 && chars > o->max_chars) {
        oc = XL_AUGMENT_LONG;
    } else {
        xl_rng rng;
        xl_rng_seed(&rng, o->seed, stream);
        if (xl_buf_append(out, lang, lang_len, err) < 0 || xl_buf_putc(out, '\t', err) < 0 ||
            xl_buf_append(out, text, text_len, err) < 0 || xl_buf_putc(out, '\t', err) < 0 ||
            xl_buf_append(out, lang, lang_len, err) < 0 || xl_buf_putc(out, '\t', err) < 0 ||
            walk_units(text, text_len, per_char, &rng, o->p_drop, out, NULL, NULL, &dropped, err) < 0)
            return xl_error_prefix(err, "%s:%llu", path, ln);
        if (dropped == 0) oc = XL_AUGMENT_NONE_DROPPED;
        else if (dropped == units) oc = XL_AUGMENT_ALL_DROPPED;
    }
    if (oc != XL_AUGMENT_WRITTEN) out->len = mark; /* nothing of a skipped line stays */
    if (out->data != NULL) out->data[out->len] = '\0';
    *outcome = oc;
    if (stats) {
        stats->lines++;
        stats->outcome[oc]++;
        if (oc == XL_AUGMENT_WRITTEN) {
            stats->units += units;
            stats->units_dropped += dropped;
        }
    }
    return 0;
}
