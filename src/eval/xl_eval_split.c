/* xl_eval_split.c - write the split `xlrec eval` uses as CSV files, so other
 * libraries (and tests/tools/rec_split_metrics.py) can be run fold for fold on
 * exactly the same data (see xl_eval_write_split in xl_eval.h). */
#include "xl_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_io.h"
#include "xl_platform.h"

/* One CSV field, quoted (RFC 4180) when it holds a separator, quote or line end. */
static int put_field(xl_buf *b, const char *s, xl_error *err)
{
    if (!strpbrk(s, ",\"\r\n")) return xl_buf_append(b, s, strlen(s), err);
    if (xl_buf_putc(b, '"', err) < 0) return -1;
    for (; *s; s++)
        if ((*s == '"' && xl_buf_putc(b, '"', err) < 0) || xl_buf_putc(b, *s, err) < 0) return -1;
    return xl_buf_putc(b, '"', err);
}

static int put_header(xl_buf *b, const xl_rec_dataset *d, xl_error *err)
{
    return xl_buf_printf(b, err, "user,item%s%s\n", d->has_rating ? ",rating" : "", d->has_time ? ",time" : "");
}

static int put_row(xl_buf *b, const xl_rec_dataset *d, uint32_t u, uint32_t i, float rating, int64_t time,
                   xl_error *err)
{
    if (put_field(b, d->users.names[u], err) < 0 || xl_buf_putc(b, ',', err) < 0 ||
        put_field(b, d->items.names[i], err) < 0)
        return -1;
    /* %.9g: a float's decimal form that reads back to the same float */
    if (d->has_rating && xl_buf_printf(b, err, ",%.9g", (double)rating) < 0) return -1;
    if (d->has_time && xl_buf_printf(b, err, ",%lld", (long long)time) < 0) return -1;
    return xl_buf_putc(b, '\n', err);
}

static int write_csr(const xl_rec_dataset *d, const xl_csr *m, const char *path, xl_error *err)
{
    xl_buf b;
    xl_buf_init(&b);
    int rc = put_header(&b, d, err);
    for (uint32_t u = 0; rc == 0 && u < m->n_rows; u++)
        for (size_t q = m->ptr[u]; rc == 0 && q < m->ptr[u + 1]; q++)
            rc = put_row(&b, d, u, m->idx[q], m->val[q], m->time[q], err);
    if (rc == 0) rc = xl_write_file(path, b.data ? b.data : "", b.len, err);
    xl_buf_free(&b);
    return rc;
}

static int write_fold(const xl_rec_dataset *d, const xl_eval_config *c, const uint8_t *fold, uint8_t test_fold,
                      const char *dir, xl_error *err)
{
    const xl_interactions *x = &d->x;
    size_t *tr = xl_malloc((x->n ? x->n : 1) * sizeof *tr, err), *te = xl_malloc((x->n ? x->n : 1) * sizeof *te, err);
    xl_csr train = {0}, test = {0};
    xl_interactions vx;
    xl_interactions_init(&vx);
    uint8_t *vfold = NULL;
    xl_buf b;
    xl_buf_init(&b);
    char path[4096];
    int rc = -1;
    if (!tr || !te) goto out;
    size_t ntr = 0, nte = 0;
    for (size_t e = 0; e < x->n; e++) {
        if (fold[e] == test_fold) te[nte++] = e;
        else tr[ntr++] = e;
    }
    if (xl_csr_build(&train, x, tr, ntr, d->n_users, d->n_items, false, err) < 0 ||
        xl_csr_build(&test, x, te, nte, d->n_users, d->n_items, false, err) < 0)
        goto out;
    snprintf(path, sizeof path, "%s/train.csv", dir);
    if (write_csr(d, &train, path, err) < 0) goto out;
    snprintf(path, sizeof path, "%s/test.csv", dir);
    if (write_csr(d, &test, path, err) < 0) goto out;
    vfold = xl_malloc(train.nnz ? train.nnz : 1, err);
    if (!vfold || xl_eval_validation_split(&train, c->val_ratio, c->seed, &vx, vfold, err) < 0) goto out;
    if (put_header(&b, d, err) < 0) goto out;
    for (size_t e = 0; e < vx.n; e++)
        if (vfold[e] && put_row(&b, d, vx.user[e], vx.item[e], vx.rating[e], vx.time[e], err) < 0) goto out;
    snprintf(path, sizeof path, "%s/validation.csv", dir);
    if (xl_write_file(path, b.data ? b.data : "", b.len, err) < 0) goto out;
    rc = 0;
out:
    free(tr);
    free(te);
    free(vfold);
    xl_csr_free(&train);
    xl_csr_free(&test);
    xl_interactions_free(&vx);
    xl_buf_free(&b);
    return rc;
}

int xl_eval_write_split(const xl_rec_dataset *d, const xl_eval_config *c, const char *dir, xl_error *err)
{
    const xl_interactions *x = &d->x;
    if (x->n == 0) return xl_fail(err, XL_ERR_USAGE, "write split: no interactions");
    if (strlen(dir) > 3000) return xl_fail(err, XL_ERR_USAGE, "write split: directory name too long");
    uint8_t *fold = xl_malloc(x->n, err);
    if (!fold) return -1;
    int rc = -1;
    char sub[4096];
    xl_buf b;
    xl_buf_init(&b);
    if (c->given_fold) memcpy(fold, c->given_fold, x->n);
    else {
        if ((c->protocol == XL_SPLIT_LAST || c->protocol == XL_SPLIT_TIME) && !d->has_time) {
            xl_fail(err, XL_ERR_USAGE, "write split: protocol %s splits by time, but the ratings have no timestamps",
                    c->protocol == XL_SPLIT_LAST ? "last" : "time");
            goto out;
        }
        xl_split_spec spec;
        xl_eval_split_spec(c, &spec);
        if (xl_split_assign_spec(x, NULL, x->n, d->n_users, &spec, fold, err) < 0) goto out;
    }
    if (xl_make_dir(dir, err) < 0) goto out;
    if (xl_buf_printf(&b, err, "item\n") < 0) goto out;
    for (uint32_t i = 0; i < d->n_items; i++)
        if (put_field(&b, d->items.names[i], err) < 0 || xl_buf_putc(&b, '\n', err) < 0) goto out;
    snprintf(sub, sizeof sub, "%s/items.csv", dir);
    if (xl_write_file(sub, b.data, b.len, err) < 0) goto out;
    if (c->protocol == XL_SPLIT_KFOLD && !c->given_fold) {
        for (int f = 0; f < c->folds; f++) {
            snprintf(sub, sizeof sub, "%s/fold-%d", dir, f + 1);
            if (xl_make_dir(sub, err) < 0 || write_fold(d, c, fold, (uint8_t)f, sub, err) < 0) goto out;
        }
    } else if (write_fold(d, c, fold, 1, dir, err) < 0) {
        goto out;
    }
    rc = 0;
out:
    free(fold);
    xl_buf_free(&b);
    return rc;
}
