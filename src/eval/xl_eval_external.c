/* xl_eval_external.c - score ranked lists produced by any other system
 * (`xlrec eval --predictions FILE --truth FILE -k K`).
 *
 * predictions, either form (detected from the first line):
 *   user<TAB>item1 item2 item3 ...     ranked lists, best first (more TAB
 *                                      columns, e.g. titles, are ignored;
 *                                      `xlrec recommend --format eval` writes it)
 *   user,item,score                    rows; per user sorted by score
 *                                      descending, ties kept in file order
 * truth: user,item[,gain]  (gain 1 when absent; duplicates: the last wins)
 * Users of the truth file without predictions are evaluated with an empty
 * list (all metrics 0); predictions for users absent from the truth are
 * ignored and counted.  Coverage is over the items named in either file. */
#include "xl_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_csv.h"
#include "xl_io.h"
#include "xl_parse.h"

typedef struct {
    uint32_t user, item;
    double score;
    size_t order;
} scored_row;

static int cmp_scored(const void *a, const void *b)
{
    const scored_row *x = a, *y = b;
    if (x->user != y->user) return x->user < y->user ? -1 : 1;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static void place(uint32_t *list, size_t k, uint32_t item)
{
    for (size_t t = 0; t < k; t++)
        if (list[t] == XL_REC_NONE) {
            list[t] = item;
            return;
        }
}

int xl_eval_external(const char *pred_path, const char *truth_path, size_t k, double threshold, bool header,
                     xl_eval_row *row, size_t *ignored_users, xl_error *err)
{
    if (k == 0) return xl_fail(err, XL_ERR_USAGE, "eval: k must be positive");
    xl_idmap U, I;
    xl_idmap_init(&U);
    xl_idmap_init(&I);
    xl_interactions t;
    xl_interactions_init(&t);
    xl_csv *r = NULL;
    uint32_t *lists = NULL;
    scored_row *rows = NULL;
    char *pred = NULL;
    size_t pred_len = 0;
    size_t n_rows = 0, cap_rows = 0, ignored = 0;
    xl_csr truth = {0};
    int rc = -1;
    xl_csv_options co = {0};
    co.separator = ',';
    co.has_header = header;
    if (xl_csv_open(&r, truth_path, &co, err) < 0) goto out;
    const xl_csv_field *f;
    size_t nf;
    int got;
    while ((got = xl_csv_next(r, &f, &nf, err)) > 0) {
        if (nf < 2) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected user,item[,gain]", truth_path,
                    (unsigned long long)xl_csv_line(r));
            goto out;
        }
        double gain = 1.0;
        if (nf >= 3 && xl_parse_double(f[2].data, f[2].len, false, &gain, err) < 0) {
            xl_error_prefix(err, "%s:%llu: gain", truth_path, (unsigned long long)xl_csv_line(r));
            goto out;
        }
        long u = xl_idmap_intern(&U, f[0].data, f[0].len, NULL, err);
        long i = u < 0 ? -1 : xl_idmap_intern(&I, f[1].data, f[1].len, NULL, err);
        if (i < 0 || xl_interactions_push(&t, (uint32_t)u, (uint32_t)i, (float)gain, (int64_t)t.n, err) < 0) goto out;
    }
    if (got < 0) goto out;
    xl_csv_close(r);
    r = NULL;
    r = NULL;
    uint32_t n_users = (uint32_t)U.n;
    lists = xl_malloc((n_users ? n_users : 1) * k * sizeof *lists, err);
    if (!lists) goto out;
    for (size_t q = 0; q < (size_t)n_users * k; q++) lists[q] = XL_REC_NONE;
    /* detect the predictions form from the first non-empty line; the file is read once (so "-" works) */
    if (xl_read_file(pred_path, 0, &pred, &pred_len, err) < 0) goto out;
    bool tab_form = false;
    for (size_t q = 0; q < pred_len; q++) {
        if (pred[q] == '\n' || pred[q] == '\r') continue;
        const char *nl = memchr(pred + q, '\n', pred_len - q);
        tab_form = memchr(pred + q, '\t', nl ? (size_t)(nl - (pred + q)) : pred_len - q) != NULL;
        break;
    }
    co.separator = tab_form ? '\t' : ',';
    co.quote = tab_form ? XL_CSV_NO_QUOTE : '"';
    if (xl_csv_open_memory(&r, pred, pred_len, pred_path, &co, err) < 0) goto out;
    while ((got = xl_csv_next(r, &f, &nf, err)) > 0) {
        long u = xl_idmap_find(&U, f[0].data, f[0].len);
        if (tab_form) {
            if (nf < 2) { /* further columns (titles: `xlrec recommend --format eval --titles`) are ignored */
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected user<TAB>item item ...", pred_path,
                        (unsigned long long)xl_csv_line(r));
                goto out;
            }
            if (u < 0) {
                ignored++;
                continue;
            }
            const char *s = f[1].data, *end = f[1].data + f[1].len;
            while (s < end) {
                while (s < end && *s == ' ') s++;
                const char *e = s;
                while (e < end && *e != ' ') e++;
                if (e > s) {
                    long i = xl_idmap_intern(&I, s, (size_t)(e - s), NULL, err);
                    if (i < 0) goto out;
                    place(lists + (size_t)u * k, k, (uint32_t)i);
                }
                s = e;
            }
        } else {
            if (nf < 3) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: expected user,item,score", pred_path,
                        (unsigned long long)xl_csv_line(r));
                goto out;
            }
            double score;
            if (xl_parse_double(f[2].data, f[2].len, false, &score, err) < 0) {
                xl_error_prefix(err, "%s:%llu: score", pred_path, (unsigned long long)xl_csv_line(r));
                goto out;
            }
            if (u < 0) {
                ignored++;
                continue;
            }
            long i = xl_idmap_intern(&I, f[1].data, f[1].len, NULL, err);
            if (i < 0) goto out;
            scored_row *g = xl_array_reserve(rows, &cap_rows, n_rows + 1, 1024, err);
            if (!g) goto out;
            rows = g;
            rows[n_rows] = (scored_row){(uint32_t)u, (uint32_t)i, score, n_rows};
            n_rows++;
        }
    }
    if (got < 0) goto out;
    if (n_rows) {
        qsort(rows, n_rows, sizeof *rows, cmp_scored);
        for (size_t q = 0; q < n_rows; q++) place(lists + (size_t)rows[q].user * k, k, rows[q].item);
    }
    xl_rec_dedupe(&t, n_users, NULL);
    if (xl_csr_build(&truth, &t, NULL, 0, n_users, (uint32_t)I.n, false, err) < 0) goto out;
    if (xl_eval_lists(lists, n_users, k, &truth, threshold, (uint32_t)I.n, row, err) < 0) goto out;
    if (ignored_users) *ignored_users = ignored;
    rc = 0;
out:
    if (r) xl_csv_close(r);
    xl_csr_free(&truth);
    xl_interactions_free(&t);
    xl_idmap_free(&U);
    xl_idmap_free(&I);
    free(lists);
    free(rows);
    free(pred);
    return rc;
}
