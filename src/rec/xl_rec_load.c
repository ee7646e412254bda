/* xl_rec_load.c - CSV/TSV loaders of the recommender data (see xl_rec_data.h). */
#include "xl_rec_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_csv.h"
#include "xl_io.h"
#include "xl_parse.h"
#include "xl_utf8.h"

/* Column spec -> index: a header name, else a non-negative integer. */
static long resolve_column(const xl_csv *r, const char *spec, const char *what, xl_error *err)
{
    long c = xl_csv_column(r, spec);
    if (c >= 0) return c;
    int64_t v;
    xl_error e2;
    if (xl_parse_i64_range(spec, strlen(spec), 0, 1000000, &v, &e2) == 0) return (long)v;
    xl_buf names;
    xl_buf_init(&names);
    for (size_t i = 0; i < xl_csv_header_count(r); i++)
        xl_buf_printf(&names, NULL, "%s'%s'", i ? ", " : "", xl_csv_header_name(r, i));
    xl_fail(err, XL_ERR_USAGE, "%s: no %s column '%s' (header: %s)", xl_csv_path(r), what, spec,
            names.data ? names.data : "none");
    xl_buf_free(&names);
    return -1;
}

/* The first of `names` that is a header column of r, else NULL. */
static const char *pick_column(const xl_csv *r, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (xl_csv_column(r, names[i]) >= 0) return names[i];
    return NULL;
}

/* Column spec of one option: as given, else (pick_columns) a usual header name, else the fallback. */
static const char *column_spec(const xl_csv *r, const xl_rec_load_options *o, const char *given,
                               const char *const *names, const char *fallback)
{
    if (given || !o->pick_columns) return given ? given : fallback;
    const char *s = pick_column(r, names);
    return s ? s : fallback;
}

static const char *const item_id_names[] = {"item", "item_id", "itemId", "id", NULL};
static const char *const item_text_names[] = {"title", "text", "description", "name", "summary", "body", NULL};
static const char *const item_lang_names[] = {"lang", "language", "item_lang", NULL};
static const char *const user_names[] = {"user", "user_id", "userId", NULL};
static const char *const item_names[] = {"item", "item_id", "itemId", NULL};
static const char *const rating_names[] = {"rating", "score", NULL};

static void note(uint64_t *counter, uint64_t *first, uint64_t line)
{
    if (*counter == 0) *first = line;
    (*counter)++;
}

/* Trim ASCII spaces around a field (ids such as " 123" in hand-made files). */
static void trim(const char **s, size_t *len)
{
    while (*len && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) (*len)--;
}

/* Latin-1 -> UTF-8: bytes 0x80..0xFF become U+0080..U+00FF (two bytes each). */
static int latin1_to_utf8(char **data, size_t *len, xl_error *err)
{
    size_t extra = 0;
    for (size_t i = 0; i < *len; i++) extra += (unsigned char)(*data)[i] >= 0x80;
    if (!extra) return 0;
    if (*len > SIZE_MAX - extra - 1) return xl_fail(err, XL_ERR_LIMIT, "file too large to convert from Latin-1");
    char *out = xl_malloc(*len + extra + 1, err);
    if (!out) return -1;
    size_t o = 0;
    for (size_t i = 0; i < *len; i++) {
        unsigned char c = (unsigned char)(*data)[i];
        if (c < 0x80) {
            out[o++] = (char)c;
        } else {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = 0;
    free(*data);
    *data = out;
    *len = o;
    return 0;
}

/* The separator XL_REC_SEP_AUTO picks from the first line (see xl_rec_data.h). */
static char sniff_separator(const char *data, size_t len)
{
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) data += 3, len -= 3;
    const char *nl = memchr(data, '\n', len);
    size_t n = nl ? (size_t)(nl - data) : len;
    bool comma = memchr(data, ',', n) != NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (data[i] == ':' && data[i + 1] == ':') return XL_REC_SEP_DCOLON;
    if (memchr(data, '\t', n)) return '\t';
    if (!comma && memchr(data, ';', n)) return ';';
    return ',';
}

int xl_rec_open_table(xl_csv **r, char **owned, const char *path, char separator, bool no_quote, bool has_header,
                      xl_text_encoding encoding, char *sep_used, xl_error *err)
{
    *r = NULL;
    *owned = NULL;
    char *data = NULL;
    size_t len = 0;
    if (xl_read_file(path, 0, &data, &len, err) < 0) return -1;
    if (encoding == XL_ENC_LATIN1) {
        if (latin1_to_utf8(&data, &len, err) < 0) goto fail;
    } else {
        size_t bad;
        xl_utf8_status why;
        if (!xl_utf8_validate(data, len, &bad, &why)) {
            size_t line = 1, col0 = 0;
            for (size_t i = 0; i < bad; i++)
                if (data[i] == '\n') line++, col0 = i + 1;
            xl_fail(err, XL_ERR_FORMAT,
                    "%s:%zu: byte 0x%02X at column %zu (file offset %zu) is not UTF-8 (%s); give --encoding latin1 "
                    "if the file is Latin-1 (ISO 8859-1)",
                    path, line, (unsigned)(unsigned char)data[bad], bad - col0 + 1, bad, xl_utf8_status_name(why));
            goto fail;
        }
    }
    char sep = separator ? separator : ',';
    if (sep == XL_REC_SEP_AUTO || sep == XL_CSV_SNIFF) sep = sniff_separator(data, len);
    xl_csv_options co = {0};
    co.quote = no_quote ? XL_CSV_NO_QUOTE : '"';
    co.has_header = has_header;
    co.separator = sep;
    if (sep == XL_REC_SEP_DCOLON) {
        /* "a::b::c" -> "a\x1fb\x1fc" in place; 0x1F (unit separator) must not occur in the data */
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            if (data[i] == '\x1f') {
                size_t line = 1;
                for (size_t j = 0; j < i; j++) line += data[j] == '\n';
                xl_fail(err, XL_ERR_FORMAT, "%s:%zu: byte 0x1F in a '::'-separated file", path, line);
                goto fail;
            }
            if (data[i] == ':' && i + 1 < len && data[i + 1] == ':') {
                data[o++] = '\x1f';
                i++;
            } else {
                data[o++] = data[i];
            }
        }
        data[o] = 0;
        len = o;
        co.separator = '\x1f';
        co.quote = XL_CSV_NO_QUOTE;
    }
    if (xl_csv_open_memory(r, data, len, path, &co, err) < 0) goto fail;
    if (sep_used) *sep_used = sep;
    *owned = data;
    return 0;
fail:
    free(data);
    return -1;
}

static int load_items(xl_rec_dataset *d, const char *path, const xl_rec_load_options *o, xl_error *err)
{
    xl_csv *r;
    char *owned;
    if (xl_rec_open_table(&r, &owned, path, o->item_separator, o->item_no_quote, !o->item_no_header, o->encoding, NULL,
                          err) < 0)
        return -1;
    int rc = -1;
    long text_cols[64];
    size_t n_text = 0;
    char last[24];
    snprintf(last, sizeof last, "%zu", xl_csv_header_count(r) ? xl_csv_header_count(r) - 1 : 0);
    const char *id_spec = column_spec(r, o, o->item_id_col, item_id_names, "0");
    const char *text_spec = column_spec(r, o, o->item_text_cols, item_text_names, o->pick_columns ? last : NULL);
    const char *lang_spec = column_spec(r, o, o->item_lang_col, item_lang_names, NULL);
    if (lang_spec && !*lang_spec) lang_spec = NULL;
    size_t cap = 0;
    xl_buf text;
    xl_buf_init(&text);
    if (o->pick_columns && !o->item_text_cols && !pick_column(r, item_text_names) && xl_csv_header_count(r) < 2) {
        xl_fail(err, XL_ERR_FORMAT, "%s: need an item id column and a text column", path);
        goto out;
    }
    long id_col = resolve_column(r, id_spec, "item id", err);
    long lang_col = id_col >= 0 && lang_spec ? resolve_column(r, lang_spec, "language", err) : -2;
    if (id_col < 0 || lang_col == -1) goto out;
    if (text_spec) {
        const char *s = text_spec;
        while (*s) {
            const char *e = strchr(s, ',');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            char name[256];
            if (len >= sizeof name || n_text >= 64) {
                xl_fail(err, XL_ERR_USAGE, "%s: text column list too long", path);
                goto out;
            }
            memcpy(name, s, len);
            name[len] = 0;
            if ((text_cols[n_text++] = resolve_column(r, name, "text", err)) < 0) goto out;
            s += len + (e ? 1 : 0);
        }
    }
    const xl_csv_field *f;
    size_t nf;
    int got;
    while ((got = xl_csv_next(r, &f, &nf, err)) > 0) {
        d->report.item_rows++;
        if ((size_t)id_col >= nf) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: %zu fields, the item id is column %ld", path,
                    (unsigned long long)xl_csv_line(r), nf, id_col);
            goto out;
        }
        const char *id = f[id_col].data;
        size_t idlen = f[id_col].len;
        trim(&id, &idlen);
        bool added;
        long idx = xl_idmap_intern(&d->items, id, idlen, &added, err);
        if (idx < 0) goto out;
        if (!added) {
            d->report.item_duplicates++; /* first row wins */
            continue;
        }
        if ((size_t)idx >= cap) {
            size_t nc = cap ? cap * 2 : 1024;
            char **t = xl_realloc(d->item_text, nc, sizeof *t, err);
            if (!t) goto out;
            d->item_text = t;
            char **l = xl_realloc(d->item_lang, nc, sizeof *l, err);
            if (!l) goto out;
            d->item_lang = l;
            cap = nc;
        }
        d->item_text[idx] = NULL;
        d->item_lang[idx] = NULL;
        d->n_items = (uint32_t)idx + 1;
        xl_buf_clear(&text);
        for (size_t t = 0; t < n_text; t++) {
            if ((size_t)text_cols[t] >= nf || f[text_cols[t]].len == 0) continue;
            if (text.len && xl_buf_putc(&text, ' ', err) < 0) goto out;
            if (xl_buf_append(&text, f[text_cols[t]].data, f[text_cols[t]].len, err) < 0) goto out;
        }
        if (!text.len) d->report.items_without_text++;
        d->item_text[idx] = xl_strndup(text.data ? text.data : "", text.len, err);
        const char *lang = "";
        size_t llen = 0;
        if (lang_col >= 0 && (size_t)lang_col < nf) {
            lang = f[lang_col].data;
            llen = f[lang_col].len;
            trim(&lang, &llen);
        }
        d->item_lang[idx] = xl_strndup(lang, llen, err);
        if (!d->item_text[idx] || !d->item_lang[idx]) goto out;
    }
    if (got < 0) goto out;
    if (lang_col < 0 && d->item_lang) {
        for (uint32_t i = 0; i < d->n_items; i++) free(d->item_lang[i]);
        free(d->item_lang);
        d->item_lang = NULL;
    }
    rc = 0;
out:
    xl_buf_free(&text);
    xl_csv_close(r);
    free(owned);
    return rc;
}

int xl_rec_load(xl_rec_dataset *d, const char *ratings_path, const char *items_path, const xl_rec_load_options *o,
                xl_error *err)
{
    if (items_path && load_items(d, items_path, o, err) < 0) return -1;
    xl_csv *r;
    char *owned;
    if (xl_rec_open_table(&r, &owned, ratings_path, o->separator, o->no_quote, !o->no_header, o->encoding, NULL, err) <
        0)
        return -1;
    int rc = -1;
    const char *rating_spec = column_spec(r, o, o->rating_col, rating_names, NULL);
    long uc = resolve_column(r, column_spec(r, o, o->user_col, user_names, "0"), "user", err);
    long ic = uc < 0 ? -1 : resolve_column(r, column_spec(r, o, o->item_col, item_names, "1"), "item", err);
    long rcol = (ic >= 0 && rating_spec) ? resolve_column(r, rating_spec, "rating", err) : -2;
    long tcol = (ic >= 0 && rcol != -1 && o->time_col) ? resolve_column(r, o->time_col, "time", err) : -2;
    if (uc < 0 || ic < 0 || rcol == -1 || tcol == -1) goto out;
    d->has_rating = rcol >= 0;
    d->has_time = tcol >= 0;
    size_t need = (size_t)(uc > ic ? uc : ic);
    const char *need_what = uc > ic ? "user" : "item", *need_spec = uc > ic ? o->user_col : o->item_col;
    if (rcol >= 0 && (size_t)rcol > need) need = (size_t)rcol, need_what = "rating", need_spec = o->rating_col;
    if (tcol >= 0 && (size_t)tcol > need) need = (size_t)tcol, need_what = "time", need_spec = o->time_col;
    size_t first_short_nf = 0;
    bool check_range = o->rating_min <= o->rating_max;
    xl_rec_load_report *rep = &d->report;
    const xl_csv_field *f;
    size_t nf;
    int got;
    while ((got = xl_csv_next(r, &f, &nf, err)) > 0) {
        uint64_t line = xl_csv_line(r);
        rep->rows++;
        if (nf <= need) {
            if (o->strict) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: %zu fields, need %zu", ratings_path, (unsigned long long)line,
                        nf, need + 1);
                goto out;
            }
            if (rep->short_rows == 0) first_short_nf = nf;
            note(&rep->short_rows, &rep->first_line[5], line);
            continue;
        }
        const char *us = f[uc].data, *is = f[ic].data;
        size_t ul = f[uc].len, il = f[ic].len;
        trim(&us, &ul);
        trim(&is, &il);
        if (!ul || !il) {
            if (o->strict) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: empty user or item id", ratings_path, (unsigned long long)line);
                goto out;
            }
            note(&rep->empty_id, &rep->first_line[4], line);
            continue;
        }
        double rating = 1.0;
        int64_t t = 0;
        xl_error perr;
        if (rcol >= 0) {
            const char *s = f[rcol].data;
            size_t l = f[rcol].len;
            trim(&s, &l);
            if (xl_parse_double(s, l, false, &rating, &perr) < 0) {
                if (o->strict) {
                    xl_fail(err, XL_ERR_FORMAT, "%s:%llu: rating: %s", ratings_path, (unsigned long long)line, perr.msg);
                    goto out;
                }
                note(&rep->bad_rating, &rep->first_line[1], line);
                continue;
            }
            if (check_range && !(rating >= o->rating_min && rating <= o->rating_max)) {
                if (o->strict || o->range_policy == XL_RATING_REJECT) {
                    xl_fail(err, XL_ERR_FORMAT, "%s:%llu: rating %g outside [%g, %g] (--rating-min/--rating-max; "
                            "--rating-policy clamp or skip to clamp or drop such rows)", ratings_path,
                            (unsigned long long)line, rating, o->rating_min, o->rating_max);
                    goto out;
                }
                if (o->range_policy == XL_RATING_SKIP) {
                    note(&rep->out_of_range, &rep->first_line[2], line);
                    continue;
                }
                rating = rating < o->rating_min ? o->rating_min : o->rating_max;
                note(&rep->clamped, &rep->first_clamped, line);
            }
        }
        if (tcol >= 0) {
            const char *s = f[tcol].data;
            size_t l = f[tcol].len;
            trim(&s, &l);
            if (xl_parse_i64(s, l, &t, &perr) < 0) {
                if (o->strict) {
                    xl_fail(err, XL_ERR_FORMAT, "%s:%llu: time: %s", ratings_path, (unsigned long long)line, perr.msg);
                    goto out;
                }
                note(&rep->bad_rating, &rep->first_line[1], line);
                continue;
            }
        }
        long item;
        if (items_path) {
            item = xl_idmap_find(&d->items, is, il);
            if (item < 0) {
                if (o->strict) {
                    xl_fail(err, XL_ERR_FORMAT, "%s:%llu: item '%.*s' is not in %s", ratings_path,
                            (unsigned long long)line, (int)(il > 64 ? 64 : il), is, items_path);
                    goto out;
                }
                note(&rep->unknown_item, &rep->first_line[0], line);
                continue;
            }
        } else if ((item = xl_idmap_intern(&d->items, is, il, NULL, err)) < 0) {
            goto out;
        }
        long user = xl_idmap_intern(&d->users, us, ul, NULL, err);
        if (user < 0) goto out;
        if (xl_interactions_push(&d->x, (uint32_t)user, (uint32_t)item, (float)rating, t, err) < 0) goto out;
    }
    if (got < 0) goto out;
    if (d->x.n == 0 && rep->short_rows > 0) { /* e.g. --user-col 99: say which column, not "no usable interactions" */
        xl_fail(err, XL_ERR_USAGE, "%s:%llu: %zu field(s), but the %s column (%s) is field %zu (0-based); %llu of "
                "%llu rows are that short", ratings_path, (unsigned long long)rep->first_line[5], first_short_nf,
                need_what, need_spec ? need_spec : "?", need, (unsigned long long)rep->short_rows,
                (unsigned long long)rep->rows);
        goto out;
    }
    d->n_users = (uint32_t)d->users.n;
    d->n_items = (uint32_t)d->items.n;
    size_t removed = xl_rec_dedupe(&d->x, d->n_users, err);
    if (removed == (size_t)-1) goto out;
    rep->duplicates = removed;
    rep->kept = d->x.n;
    if (d->x.n) {
        d->rating_lo = d->rating_hi = d->x.rating[0];
        for (size_t e = 1; e < d->x.n; e++) {
            if (d->x.rating[e] < d->rating_lo) d->rating_lo = d->x.rating[e];
            if (d->x.rating[e] > d->rating_hi) d->rating_hi = d->x.rating[e];
        }
    }
    rc = 0;
out:
    xl_csv_close(r);
    free(owned);
    return rc;
}

/* Column spec -> index without an error message (held-out columns are reported together). */
static long column_index(const xl_csv *r, const char *spec)
{
    long c = xl_csv_column(r, spec);
    if (c >= 0) return c;
    char *end;
    long v = strtol(spec, &end, 10);
    return (*spec && *end == 0 && v >= 0) ? v : -1;
}

int xl_rec_load_heldout(const xl_rec_dataset *d, const xl_csr *train, const char *path, const xl_rec_load_options *o,
                        xl_interactions *out, xl_rec_heldout_report *rep, xl_error *err)
{
    memset(rep, 0, sizeof *rep);
    xl_csv *r;
    char *owned;
    if (xl_rec_open_table(&r, &owned, path, o->separator, o->no_quote, !o->no_header, o->encoding, NULL, err) < 0)
        return -1;
    const char *user = column_spec(r, o, o->user_col, user_names, "0");
    const char *item = column_spec(r, o, o->item_col, item_names, "1");
    const char *rating = column_spec(r, o, o->rating_col, rating_names, NULL);
    long cu = column_index(r, user), ci = column_index(r, item), cr = rating ? column_index(r, rating) : -2;
    int rc = -1;
    if (cu < 0 || ci < 0 || cr == -1) {
        xl_fail(err, XL_ERR_FORMAT, "%s: no user/item%s column ('%s', '%s'%s%s)", path, rating ? "/rating" : "", user,
                item, rating ? ", " : "", rating ? rating : "");
        goto out;
    }
    const xl_csv_field *f;
    size_t nf;
    int got;
    while ((got = xl_csv_next(r, &f, &nf, err)) > 0) {
        rep->rows++;
        if ((size_t)cu >= nf || (size_t)ci >= nf || (cr >= 0 && (size_t)cr >= nf)) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: %zu fields, too few for the selected columns", path,
                    (unsigned long long)xl_csv_line(r), nf);
            goto out;
        }
        long u = xl_idmap_find(&d->users, f[cu].data, f[cu].len);
        long it = xl_idmap_find(&d->items, f[ci].data, f[ci].len);
        if (u < 0) {
            rep->unknown_user++;
            continue;
        }
        if (it < 0) {
            rep->unknown_item++;
            continue;
        }
        if (xl_csr_has(train, (uint32_t)u, (uint32_t)it)) {
            rep->in_train++;
            continue;
        }
        float value = 1.0f;
        if (cr >= 0) {
            char tmp[64];
            size_t n = f[cr].len < sizeof tmp - 1 ? f[cr].len : sizeof tmp - 1;
            memcpy(tmp, f[cr].data, n);
            tmp[n] = 0;
            char *end;
            double v = strtod(tmp, &end);
            if (end == tmp || *end || !isfinite(v)) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: bad rating '%s'", path, (unsigned long long)xl_csv_line(r), tmp);
                goto out;
            }
            value = (float)v;
        }
        if (xl_interactions_push(out, (uint32_t)u, (uint32_t)it, value, 0, err) < 0) goto out;
    }
    if (got < 0) goto out;
    /* a (user, item) pair listed twice would count as two relevant items */
    rep->duplicates = xl_rec_dedupe(out, d->n_users, err);
    rc = 0;
out:
    xl_csv_close(r);
    free(owned);
    return rc;
}
