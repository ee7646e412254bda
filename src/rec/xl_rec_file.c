/* xl_rec_file.c - fitted recommender models on disk (xlrec recommend --save /
 * --load): see xl_rec_save in xl_rec_model.h and the byte layout below.
 *
 * Layout (every integer and float little-endian, whatever the host):
 *   header (40 bytes)
 *     8  magic "XLRECREC"
 *     u32 format version (XL_REC_FILE_VERSION)
 *     u32 sanity 0x01020304, f64 sanity -1234.5625 (catch byte-order and float-format bugs)
 *     u64 payload size (the file is exactly 40 + this)
 *     u64 FNV-1a 64 of the payload
 *   payload
 *     u32 n_users, u32 n_items
 *     n_users user ids, then n_items item ids: u32 length (1..XL_REC_FILE_MAX_ID) + UTF-8 bytes
 *     model (below); a hybrid's model is followed by its CF model and its content model
 *   model
 *     u32 kind, u64 f (factor length), f64 mu, f64 alpha
 *     params: u64 seed; i64 factors, epochs, bpr_epochs, als_iters, knn_neighbors, bias_epochs,
 *       cos_epochs, profile_weight, hybrid_cf, als_use_rating; f64 lr, reg, init_std, bpr_lr,
 *       bpr_reg, als_alpha, als_reg, knn_shrink, bias_reg_user, bias_reg_item,
 *       recency_half_life, cos_reg_user, cos_reg_item, hybrid_alpha, rating_min, rating_max,
 *       pop_prior (version 2 on; a version 1 file, which ends at rating_max, reads as pop_prior 0),
 *       als_neg_exp, als_reg_exp, als_item_bias (0 or 1), als_reg_user (version 3 on; an older file
 *       reads as 0, 0, 0 and 0: the uniform weighting, one penalty and no bias it was fitted with)
 *     training matrix: u64 nnz; n_users + 1 u64 row pointers (0 first, nnz last, non-decreasing);
 *       nnz u32 item indices (< n_items, strictly increasing in a row); nnz f32 values; nnz i64 times
 *     u32 n_trace (<= 256) + n_trace f64
 *     u32 mask of the arrays that follow, in this order (bit: array, length):
 *       0 P f32 n_users*f   1 Q f32 n_items*f   2 a_u f32 n_users   3 b_j f32 n_items
 *       4 g_j f32 n_items   5 d_u f32 n_users   6 bu f64 n_users    7 bi f64 n_items
 *       8 neighbours: u64 k (1..1024), n_items*k u32 (< n_items or XL_REC_NONE), n_items*k f32
 *       9 item vectors: u64 dim (>= 1), n_items*dim f32
 * The reader checks every count against the sizes it implies before allocating, every value
 * (finite floats, indices in range), the arrays each kind needs for scoring, and that nothing
 * is left over; each failure names the file and the field. */
#include "xl_rec_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_io.h"
#include "xl_thread.h"
#include "xl_utf8.h"

#define HEADER_SIZE 40u
#define MASK_P (1u << 0)
#define MASK_Q (1u << 1)
#define MASK_AU (1u << 2)
#define MASK_BJ (1u << 3)
#define MASK_GJ (1u << 4)
#define MASK_DU (1u << 5)
#define MASK_BU (1u << 6)
#define MASK_BI (1u << 7)
#define MASK_NB (1u << 8)
#define MASK_VEC (1u << 9)
#define MASK_ALL ((1u << 10) - 1)

/* ---------------------------------------------------------------- writer */

static int put_u32(xl_buf *b, uint32_t v, xl_error *err)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    return xl_buf_append(b, (const char *)c, 4, err);
}

static int put_u64(xl_buf *b, uint64_t v, xl_error *err)
{
    return put_u32(b, (uint32_t)v, err) < 0 ? -1 : put_u32(b, (uint32_t)(v >> 32), err);
}

static int put_f32(xl_buf *b, float v, xl_error *err)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return put_u32(b, u, err);
}

static int put_f64(xl_buf *b, double v, xl_error *err)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return put_u64(b, u, err);
}

static int put_f32s(xl_buf *b, const float *v, size_t n, xl_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (put_f32(b, v[i], err) < 0) return -1;
    return 0;
}

static int put_f64s(xl_buf *b, const double *v, size_t n, xl_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (put_f64(b, v[i], err) < 0) return -1;
    return 0;
}

static int put_params(xl_buf *b, const xl_rec_params *p, xl_error *err)
{
    const int64_t ints[] = {p->factors,      p->epochs,         p->bpr_epochs,         p->als_iters,
                            p->knn_neighbors, p->bias_epochs,   p->cos_epochs,         (int64_t)p->profile_weight,
                            (int64_t)p->hybrid_cf, p->als_use_rating ? 1 : 0};
    const double dbl[] = {p->lr,          p->reg,           p->init_std,      p->bpr_lr,       p->bpr_reg,
                          p->als_alpha,   p->als_reg,       p->knn_shrink,    p->bias_reg_user, p->bias_reg_item,
                          p->recency_half_life, p->cos_reg_user, p->cos_reg_item, p->hybrid_alpha, p->rating_min,
                          p->rating_max,  p->pop_prior,     p->als_neg_exp, p->als_reg_exp, p->als_item_bias ? 1.0 : 0.0, p->als_reg_user};
    if (put_u64(b, p->seed, err) < 0) return -1;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (put_u64(b, (uint64_t)ints[i], err) < 0) return -1;
    return put_f64s(b, dbl, sizeof dbl / sizeof dbl[0], err);
}

static int put_model(xl_buf *b, const xl_rec_model *m, xl_error *err)
{
    size_t U = m->n_users, I = m->n_items;
    const xl_csr *R = &m->train;
    if (put_u32(b, (uint32_t)m->kind, err) < 0 || put_u64(b, m->f, err) < 0 || put_f64(b, m->mu, err) < 0 ||
        put_f64(b, m->alpha, err) < 0 || put_params(b, &m->p, err) < 0 || put_u64(b, R->nnz, err) < 0)
        return -1;
    for (size_t r = 0; r <= U; r++)
        if (put_u64(b, R->ptr[r], err) < 0) return -1;
    for (size_t q = 0; q < R->nnz; q++)
        if (put_u32(b, R->idx[q], err) < 0) return -1;
    if (put_f32s(b, R->val, R->nnz, err) < 0) return -1;
    for (size_t q = 0; q < R->nnz; q++)
        if (put_u64(b, (uint64_t)R->time[q], err) < 0) return -1;
    if (put_u32(b, (uint32_t)m->n_trace, err) < 0 || put_f64s(b, m->trace, (size_t)m->n_trace, err) < 0) return -1;
    uint32_t mask = (m->P ? MASK_P : 0) | (m->Q ? MASK_Q : 0) | (m->a_u ? MASK_AU : 0) | (m->b_j ? MASK_BJ : 0) |
                    (m->g_j ? MASK_GJ : 0) | (m->d_u ? MASK_DU : 0) | (m->bu ? MASK_BU : 0) | (m->bi ? MASK_BI : 0) |
                    (m->nb_idx ? MASK_NB : 0) | (m->iv && m->iv->v ? MASK_VEC : 0);
    if (put_u32(b, mask, err) < 0) return -1;
    if ((m->P && put_f32s(b, m->P, U * m->f, err) < 0) || (m->Q && put_f32s(b, m->Q, I * m->f, err) < 0) ||
        (m->a_u && put_f32s(b, m->a_u, U, err) < 0) || (m->b_j && put_f32s(b, m->b_j, I, err) < 0) ||
        (m->g_j && put_f32s(b, m->g_j, I, err) < 0) || (m->d_u && put_f32s(b, m->d_u, U, err) < 0) ||
        (m->bu && put_f64s(b, m->bu, U, err) < 0) || (m->bi && put_f64s(b, m->bi, I, err) < 0))
        return -1;
    if (m->nb_idx) {
        if (put_u64(b, m->nb_k, err) < 0) return -1;
        for (size_t q = 0; q < I * m->nb_k; q++)
            if (put_u32(b, m->nb_idx[q], err) < 0) return -1;
        if (put_f32s(b, m->nb_sim, I * m->nb_k, err) < 0) return -1;
    }
    if (mask & MASK_VEC && (put_u64(b, m->iv->dim, err) < 0 || put_f32s(b, m->iv->v, I * m->iv->dim, err) < 0))
        return -1;
    if (m->kind == XL_REC_HYBRID && (put_model(b, m->cf, err) < 0 || put_model(b, m->content, err) < 0)) return -1;
    return 0;
}

int xl_rec_save(const xl_rec_model *m, const xl_idmap *users, const xl_idmap *items, const char *path, xl_error *err)
{
    if (users->n != m->n_users || items->n != m->n_items)
        return xl_fail(err, XL_ERR_USAGE, "save: %zu user and %zu item ids for a model of %u users and %u items",
                       users->n, items->n, m->n_users, m->n_items);
    xl_buf pay, file;
    xl_buf_init(&pay);
    xl_buf_init(&file);
    int rc = -1;
    if (put_u32(&pay, m->n_users, err) < 0 || put_u32(&pay, m->n_items, err) < 0) goto out;
    for (int side = 0; side < 2; side++) {
        const xl_idmap *ids = side ? items : users;
        for (size_t i = 0; i < ids->n; i++) {
            size_t len = strlen(ids->names[i]);
            if (len == 0 || len > XL_REC_FILE_MAX_ID) {
                xl_fail(err, XL_ERR_LIMIT, "save: %s id %zu has %zu bytes (1..%u allowed)", side ? "item" : "user", i,
                        len, XL_REC_FILE_MAX_ID);
                goto out;
            }
            if (put_u32(&pay, (uint32_t)len, err) < 0 || xl_buf_append(&pay, ids->names[i], len, err) < 0) goto out;
        }
    }
    if (put_model(&pay, m, err) < 0) goto out;
    if (xl_buf_append(&file, XL_REC_FILE_MAGIC, 8, err) < 0 || put_u32(&file, XL_REC_FILE_VERSION, err) < 0 ||
        put_u32(&file, 0x01020304u, err) < 0 || put_f64(&file, -1234.5625, err) < 0 ||
        put_u64(&file, pay.len, err) < 0 || put_u64(&file, xl_fnv1a64(pay.data, pay.len), err) < 0 ||
        xl_buf_append(&file, pay.data, pay.len, err) < 0)
        goto out;
    rc = xl_write_file(path, file.data, file.len, err);
out:
    xl_buf_free(&pay);
    xl_buf_free(&file);
    return rc;
}

/* ---------------------------------------------------------------- reader */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    const char *name;
    xl_error *err;
    uint32_t version; /* of the file being read (1 to 3) */
} cursor;

static int need(cursor *c, size_t n, const char *what)
{
    if (n > c->len - c->pos)
        return xl_fail(c->err, XL_ERR_FORMAT, "%s: %s: needs %zu bytes at offset %zu, only %zu left", c->name, what, n,
                       HEADER_SIZE + c->pos, c->len - c->pos);
    return 0;
}

static int get_u32(cursor *c, uint32_t *v, const char *what)
{
    if (need(c, 4, what) < 0) return -1;
    *v = xl_le_u32(c->p + c->pos);
    c->pos += 4;
    return 0;
}

static int get_u64(cursor *c, uint64_t *v, const char *what)
{
    if (need(c, 8, what) < 0) return -1;
    *v = xl_le_u64(c->p + c->pos);
    c->pos += 8;
    return 0;
}

static int get_f64(cursor *c, double *v, const char *what)
{
    if (need(c, 8, what) < 0) return -1;
    *v = xl_le_f64(c->p + c->pos);
    c->pos += 8;
    if (!isfinite(*v)) return xl_fail(c->err, XL_ERR_FORMAT, "%s: %s is not finite", c->name, what);
    return 0;
}

/* n elements of `size` bytes, checked against what is left before anything is allocated. */
static int need_array(cursor *c, uint64_t n, size_t size, const char *what)
{
    if (n > (c->len - c->pos) / size)
        return xl_fail(c->err, XL_ERR_FORMAT, "%s: %s: %llu entries do not fit in the %zu bytes left", c->name, what,
                       (unsigned long long)n, c->len - c->pos);
    return 0;
}

static float *get_f32s(cursor *c, size_t n, const char *what, bool aligned)
{
    if (need_array(c, n, 4, what) < 0) return NULL;
    float *v = aligned ? xl_aligned_alloc((n ? n : 1) * sizeof *v, c->err) : xl_malloc((n ? n : 1) * sizeof *v, c->err);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        v[i] = xl_le_f32(c->p + c->pos + 4 * i);
        if (!isfinite(v[i])) {
            xl_fail(c->err, XL_ERR_FORMAT, "%s: %s[%zu] is not finite", c->name, what, i);
            if (aligned) xl_aligned_free(v);
            else free(v);
            return NULL;
        }
    }
    c->pos += 4 * n;
    return v;
}

static double *get_f64s(cursor *c, size_t n, const char *what)
{
    if (need_array(c, n, 8, what) < 0) return NULL;
    double *v = xl_malloc((n ? n : 1) * sizeof *v, c->err);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++)
        if (get_f64(c, &v[i], what) < 0) {
            free(v);
            return NULL;
        }
    return v;
}

static int get_params(cursor *c, xl_rec_params *p)
{
    uint64_t seed, iv[10];
    double dv[21] = {0}; /* version 1 files end at dv[15] (pop_prior 0, off), version 2 at dv[16]
                          * (als_neg_exp, als_reg_exp, als_item_bias and als_reg_user 0), as then */
    size_t n_dbl = c->version >= 3 ? 21 : c->version >= 2 ? 17 : 16;
    if (get_u64(c, &seed, "params") < 0) return -1;
    for (size_t i = 0; i < 10; i++)
        if (get_u64(c, &iv[i], "params") < 0) return -1;
    for (size_t i = 0; i < n_dbl; i++)
        if (get_f64(c, &dv[i], "params") < 0) return -1;
    if (dv[16] < 0) return xl_fail(c->err, XL_ERR_FORMAT, "%s: params: negative popularity prior", c->name);
    if (!(dv[17] >= -2 && dv[17] <= 2) || !(dv[18] >= -2 && dv[18] <= 2))
        return xl_fail(c->err, XL_ERR_FORMAT, "%s: params: als exponent outside [-2, 2]", c->name);
    if (dv[19] != 0 && dv[19] != 1) return xl_fail(c->err, XL_ERR_FORMAT, "%s: params: als item bias not 0 or 1", c->name);
    if (dv[20] < 0) return xl_fail(c->err, XL_ERR_FORMAT, "%s: params: negative als user penalty", c->name);
    for (size_t i = 0; i < 10; i++)
        if ((int64_t)iv[i] < 0 || (int64_t)iv[i] > 1000000)
            return xl_fail(c->err, XL_ERR_FORMAT, "%s: params: integer %zu out of range", c->name, i);
    if (iv[7] > XL_PROFILE_CENTERED || iv[8] >= XL_REC_N_KINDS || iv[9] > 1)
        return xl_fail(c->err, XL_ERR_FORMAT, "%s: params: bad profile, hybrid-cf or flag", c->name);
    xl_rec_params_default(p);
    p->seed = seed;
    p->factors = (int)iv[0];
    p->epochs = (int)iv[1];
    p->bpr_epochs = (int)iv[2];
    p->als_iters = (int)iv[3];
    p->knn_neighbors = (int)iv[4];
    p->bias_epochs = (int)iv[5];
    p->cos_epochs = (int)iv[6];
    p->profile_weight = (xl_profile_weight)iv[7];
    p->hybrid_cf = (xl_rec_kind)iv[8];
    p->als_use_rating = iv[9] != 0;
    p->lr = dv[0];
    p->reg = dv[1];
    p->init_std = dv[2];
    p->bpr_lr = dv[3];
    p->bpr_reg = dv[4];
    p->als_alpha = dv[5];
    p->als_reg = dv[6];
    p->knn_shrink = dv[7];
    p->bias_reg_user = dv[8];
    p->bias_reg_item = dv[9];
    p->recency_half_life = dv[10];
    p->cos_reg_user = dv[11];
    p->cos_reg_item = dv[12];
    p->hybrid_alpha = dv[13];
    p->rating_min = dv[14];
    p->rating_max = dv[15];
    p->pop_prior = dv[16];
    p->als_neg_exp = dv[17];
    p->als_reg_exp = dv[18];
    p->als_item_bias = dv[19] != 0;
    p->als_reg_user = dv[20];
    return 0;
}

static int get_train(cursor *c, xl_csr *R, uint32_t U, uint32_t I)
{
    uint64_t nnz;
    if (get_u64(c, &nnz, "training nnz") < 0 || need_array(c, nnz, 4 + 4 + 8, "training matrix") < 0 ||
        need_array(c, (uint64_t)U + 1, 8, "row pointers") < 0)
        return -1;
    R->n_rows = U;
    R->n_cols = I;
    R->nnz = (size_t)nnz;
    R->ptr = xl_malloc(((size_t)U + 1) * sizeof *R->ptr, c->err);
    R->idx = xl_malloc((R->nnz ? R->nnz : 1) * sizeof *R->idx, c->err);
    R->time = xl_malloc((R->nnz ? R->nnz : 1) * sizeof *R->time, c->err);
    if (!R->ptr || !R->idx || !R->time) return -1;
    for (size_t r = 0; r <= U; r++) {
        uint64_t v;
        if (get_u64(c, &v, "row pointer") < 0) return -1;
        if ((r == 0 && v != 0) || (r > 0 && v < R->ptr[r - 1]) || v > nnz || (r == U && v != nnz))
            return xl_fail(c->err, XL_ERR_FORMAT, "%s: row pointer %zu (%llu) is out of order", c->name, r,
                           (unsigned long long)v);
        R->ptr[r] = (size_t)v;
    }
    for (size_t q = 0; q < R->nnz; q++)
        if (get_u32(c, &R->idx[q], "item index") < 0) return -1;
    for (uint32_t r = 0; r < U; r++)
        for (size_t q = R->ptr[r]; q < R->ptr[r + 1]; q++)
            if (R->idx[q] >= I || (q > R->ptr[r] && R->idx[q] <= R->idx[q - 1]))
                return xl_fail(c->err, XL_ERR_FORMAT, "%s: training row %u: item index %u out of range or order",
                               c->name, r, R->idx[q]);
    if (!(R->val = get_f32s(c, R->nnz, "training values", false))) return -1;
    for (size_t q = 0; q < R->nnz; q++) {
        uint64_t t;
        if (get_u64(c, &t, "time") < 0) return -1;
        R->time[q] = (int64_t)t;
    }
    return 0;
}

static xl_rec_model *get_model(cursor *c, uint32_t U, uint32_t I, int depth)
{
    xl_rec_model *m = xl_calloc(1, sizeof *m, c->err);
    if (!m) return NULL;
    uint32_t kind, mask, n_trace;
    uint64_t f;
    if (get_u32(c, &kind, "model kind") < 0) goto fail;
    if (kind >= XL_REC_N_KINDS || (depth > 0 && kind == XL_REC_HYBRID)) {
        xl_fail(c->err, XL_ERR_FORMAT, "%s: model kind %u is not a %smodel", c->name, kind, depth ? "component " : "");
        goto fail;
    }
    m->kind = (xl_rec_kind)kind;
    m->n_users = U;
    m->n_items = I;
    if (get_u64(c, &f, "factor length") < 0 || get_f64(c, &m->mu, "mu") < 0 || get_f64(c, &m->alpha, "alpha") < 0 ||
        get_params(c, &m->p) < 0 || get_train(c, &m->train, U, I) < 0 || get_u32(c, &n_trace, "trace length") < 0)
        goto fail;
    m->p.threads = xl_resolve_threads(XL_THREADS_DEFAULT); /* xl_rec_set_threads changes it */
    if (xl_rec_count_item_users(m, c->err) < 0) goto fail; /* derived, not stored */
    if (f > (1u << 20) || n_trace > MAX_TRACE) {
        xl_fail(c->err, XL_ERR_FORMAT, "%s: factor length %llu or trace length %u out of range", c->name,
                (unsigned long long)f, n_trace);
        goto fail;
    }
    m->f = (size_t)f;
    m->n_trace = (int)n_trace;
    for (uint32_t i = 0; i < n_trace; i++)
        if (get_f64(c, &m->trace[i], "trace") < 0) goto fail;
    if (get_u32(c, &mask, "array mask") < 0) goto fail;
    if (mask & ~MASK_ALL) {
        xl_fail(c->err, XL_ERR_FORMAT, "%s: unknown arrays in mask 0x%x", c->name, mask);
        goto fail;
    }
    if ((mask & (MASK_P | MASK_Q)) && (m->f == 0 || need_array(c, (uint64_t)U * m->f, 4, "factors") < 0 ||
                                       need_array(c, (uint64_t)I * m->f, 4, "factors") < 0)) {
        if (m->f == 0) xl_fail(c->err, XL_ERR_FORMAT, "%s: factors stored with factor length 0", c->name);
        goto fail;
    }
    if ((mask & MASK_P) && !(m->P = get_f32s(c, (size_t)U * m->f, "P", true))) goto fail;
    if ((mask & MASK_Q) && !(m->Q = get_f32s(c, (size_t)I * m->f, "Q", true))) goto fail;
    if ((mask & MASK_AU) && !(m->a_u = get_f32s(c, U, "a_u", false))) goto fail;
    if ((mask & MASK_BJ) && !(m->b_j = get_f32s(c, I, "b_j", false))) goto fail;
    if ((mask & MASK_GJ) && !(m->g_j = get_f32s(c, I, "g_j", false))) goto fail;
    if ((mask & MASK_DU) && !(m->d_u = get_f32s(c, U, "d_u", false))) goto fail;
    if ((mask & MASK_BU) && !(m->bu = get_f64s(c, U, "b_u"))) goto fail;
    if ((mask & MASK_BI) && !(m->bi = get_f64s(c, I, "b_i"))) goto fail;
    if (mask & MASK_NB) {
        uint64_t k;
        if (get_u64(c, &k, "neighbours") < 0) goto fail;
        if (k == 0 || k > 1024 || need_array(c, (uint64_t)I * k, 8, "neighbours") < 0) {
            if (k == 0 || k > 1024) xl_fail(c->err, XL_ERR_FORMAT, "%s: %llu neighbours per item", c->name, (unsigned long long)k);
            goto fail;
        }
        m->nb_k = (size_t)k;
        m->nb_idx = xl_malloc((size_t)I * m->nb_k * sizeof *m->nb_idx, c->err);
        if (!m->nb_idx) goto fail;
        for (size_t q = 0; q < (size_t)I * m->nb_k; q++) {
            if (get_u32(c, &m->nb_idx[q], "neighbour") < 0) goto fail;
            if (m->nb_idx[q] >= I && m->nb_idx[q] != XL_REC_NONE) {
                xl_fail(c->err, XL_ERR_FORMAT, "%s: neighbour %zu is item %u of %u", c->name, q, m->nb_idx[q], I);
                goto fail;
            }
        }
        if (!(m->nb_sim = get_f32s(c, (size_t)I * m->nb_k, "neighbour similarity", false))) goto fail;
    }
    if (mask & MASK_VEC) {
        uint64_t dim;
        if (get_u64(c, &dim, "vector dimension") < 0) goto fail;
        if (dim == 0 || dim > (1u << 20) || need_array(c, (uint64_t)I * dim, 4, "item vectors") < 0) {
            if (dim == 0 || dim > (1u << 20)) xl_fail(c->err, XL_ERR_FORMAT, "%s: vector dimension %llu", c->name, (unsigned long long)dim);
            goto fail;
        }
        m->own_iv.n = I;
        m->own_iv.dim = (size_t)dim;
        if (!(m->own_iv.v = get_f32s(c, (size_t)I * m->own_iv.dim, "item vectors", true))) goto fail;
        m->iv = &m->own_iv;
    }
    /* what scoring reads must be there */
    bool content = m->kind == XL_REC_CONTENT || m->kind == XL_REC_COSBIAS;
    const char *missing = NULL;
    if (content && (!m->iv || !m->P || m->f != m->iv->dim)) missing = "item vectors and profiles";
    else if (!content && m->f && (!m->P || !m->Q)) missing = "factors P and Q";
    else if (m->kind == XL_REC_ITEMKNN && !m->nb_idx) missing = "neighbours";
    if (missing) {
        xl_fail(c->err, XL_ERR_FORMAT, "%s: a %s model without its %s", c->name, xl_rec_kind_name(m->kind), missing);
        goto fail;
    }
    m->Qv = m->Q ? m->Q : (m->iv ? m->iv->v : NULL);
    if (m->kind == XL_REC_HYBRID) {
        if (!(m->cf = get_model(c, U, I, depth + 1)) || !(m->content = get_model(c, U, I, depth + 1))) goto fail;
        if (m->content->kind != XL_REC_CONTENT || xl_rec_needs_vectors(m->cf->kind)) {
            xl_fail(c->err, XL_ERR_FORMAT, "%s: hybrid parts are %s and %s", c->name, xl_rec_kind_name(m->cf->kind),
                    xl_rec_kind_name(m->content->kind));
            goto fail;
        }
    }
    return m;
fail:
    xl_rec_free(m);
    return NULL;
}

static int get_ids(cursor *c, xl_idmap *ids, uint32_t n, const char *what)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len;
        if (get_u32(c, &len, what) < 0) return -1;
        if (len == 0 || len > XL_REC_FILE_MAX_ID || need(c, len, what) < 0) {
            if (len == 0 || len > XL_REC_FILE_MAX_ID)
                xl_fail(c->err, XL_ERR_FORMAT, "%s: %s id %u has length %u", c->name, what, i, len);
            return -1;
        }
        const char *s = (const char *)c->p + c->pos;
        if (memchr(s, 0, len) || !xl_utf8_validate(s, len, NULL, NULL))
            return xl_fail(c->err, XL_ERR_FORMAT, "%s: %s id %u is not UTF-8 text", c->name, what, i);
        bool added;
        if (xl_idmap_intern(ids, s, len, &added, c->err) < 0) return -1;
        if (!added) return xl_fail(c->err, XL_ERR_FORMAT, "%s: %s id %u is a duplicate", c->name, what, i);
        c->pos += len;
    }
    return 0;
}

int xl_rec_load_model_memory(const void *data, size_t len, const char *name, xl_rec_model **out, xl_idmap *users,
                             xl_idmap *items, xl_error *err)
{
    *out = NULL;
    const unsigned char *p = data;
    if (len < HEADER_SIZE || memcmp(p, XL_REC_FILE_MAGIC, 8) != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: not an xlrec recommender model (no %s header)", name, XL_REC_FILE_MAGIC);
    uint32_t version = xl_le_u32(p + 8);
    if (version < 1 || version > XL_REC_FILE_VERSION)
        return xl_fail(err, XL_ERR_FORMAT, "%s: model format version %u; this xlrec reads versions 1 to %u", name,
                       version, XL_REC_FILE_VERSION);
    if (xl_le_u32(p + 12) != 0x01020304u || xl_le_f64(p + 16) != -1234.5625)
        return xl_fail(err, XL_ERR_FORMAT, "%s: sanity values differ (byte order or float format)", name);
    uint64_t pay = xl_le_u64(p + 24);
    if (pay != len - HEADER_SIZE)
        return xl_fail(err, XL_ERR_FORMAT, "%s: header says %llu payload bytes, the file has %zu (truncated or "
                       "extended)", name, (unsigned long long)pay, len - HEADER_SIZE);
    if (xl_fnv1a64(p + HEADER_SIZE, (size_t)pay) != xl_le_u64(p + 32))
        return xl_fail(err, XL_ERR_FORMAT, "%s: checksum mismatch (the file is damaged)", name);
    cursor c = {p + HEADER_SIZE, (size_t)pay, 0, name, err, version};
    uint32_t U, I;
    if (get_u32(&c, &U, "user count") < 0 || get_u32(&c, &I, "item count") < 0) return -1;
    if (U == 0 || I == 0 || U == UINT32_MAX || I == UINT32_MAX || need_array(&c, (uint64_t)U + I, 5, "ids") < 0) {
        if (U == 0 || I == 0 || U == UINT32_MAX || I == UINT32_MAX)
            xl_fail(err, XL_ERR_FORMAT, "%s: %u users, %u items", name, U, I);
        return -1;
    }
    if (get_ids(&c, users, U, "user") < 0 || get_ids(&c, items, I, "item") < 0) return -1;
    xl_rec_model *m = get_model(&c, U, I, 0);
    if (!m) return -1;
    if (c.pos != c.len) {
        xl_rec_free(m);
        return xl_fail(err, XL_ERR_FORMAT, "%s: %zu bytes after the model", name, c.len - c.pos);
    }
    *out = m;
    return 0;
}

int xl_rec_load_model(const char *path, xl_rec_model **out, xl_idmap *users, xl_idmap *items, xl_error *err)
{
    char *data;
    size_t len;
    if (xl_read_file(path, XL_READ_MAX_STREAM, &data, &len, err) < 0) return -1;
    int rc = xl_rec_load_model_memory(data, len, path, out, users, items, err);
    free(data);
    return rc;
}
