/* xl_model.c - reader and writer of the xlrec model file (see xl_model.h and
 * docs/model-format.md).  The reader parses the header and sections with
 * explicit little-endian loads from the byte image (never by casting structs
 * onto the file), checking every length against the bytes that remain before
 * reading it. */
#include "xl_model.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_io.h"
#include "xl_utf8.h"

struct xl_model {
    char *path;
    xl_mapped_file map;
    const unsigned char *image; /* map.data, or an owned aligned copy (memory open) */
    void *image_owned;
    size_t size;
    uint32_t version;
    float *swapped_data; /* big-endian hosts: byte-swapped copy of the data section */
    float *widened;      /* float32 copies of the F16 / BF16 / I8 tensors (one block) */
    unsigned flags;      /* XL_MODEL_OPEN_* */
    xl_meta *meta;
    size_t n_meta;
    char **tokens; /* n_vocab NUL-terminated copies */
    size_t *token_lens;
    size_t n_vocab;
    xl_tensor *tensors;
    size_t n_tensors;
    char *strings; /* one block holding every key / name / string copy */
};

/* ---- byte order --------------------------------------------------------- */






/* ---- small helpers ------------------------------------------------------- */

const char *xl_dtype_name(xl_dtype t)
{
    switch (t) {
    case XL_DTYPE_F32: return "F32";
    case XL_DTYPE_F16: return "F16";
    case XL_DTYPE_BF16: return "BF16";
    case XL_DTYPE_I8: return "I8";
    }
    return "unknown";
}

bool xl_dtype_parse(const char *s, xl_dtype *out)
{
    static const struct {
        const char *name;
        xl_dtype t;
    } names[] = {{"f32", XL_DTYPE_F32}, {"f16", XL_DTYPE_F16}, {"bf16", XL_DTYPE_BF16}, {"int8", XL_DTYPE_I8}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].t;
            return true;
        }
    return false;
}

static uint64_t align_up(uint64_t x) { return (x + XL_MODEL_ALIGN - 1) / XL_MODEL_ALIGN * XL_MODEL_ALIGN; }

bool xl_dtype_stored_bytes(xl_dtype t, uint64_t count, uint64_t rows, uint64_t *out)
{
    const uint64_t lim = UINT64_MAX / 8;
    if (count > lim || rows > lim) return false;
    switch (t) {
    case XL_DTYPE_F32: *out = count * 4; return true;
    case XL_DTYPE_F16:
    case XL_DTYPE_BF16: *out = count * 2; return true;
    case XL_DTYPE_I8: *out = align_up(rows * 4) + count; return true;
    }
    return false;
}

xl_dtype xl_dtype_for_tensor(int rank, xl_dtype reduced) { return rank >= 2 ? reduced : XL_DTYPE_F32; }

const char *xl_shape_str(int rank, const uint64_t *shape, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap == 0) return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf + used, cap - used, "[");
    for (int i = 0; i < rank && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%" PRIu64, i ? ", " : "", shape[i]);
    if (used < cap) snprintf(buf + used, cap - used, "]");
    return buf;
}

/* A cursor over one section: every read checks the bytes left first. */
typedef struct {
    const unsigned char *p;
    size_t left;
    const char *path;
    const char *section;
} cursor;

static int need(cursor *c, size_t n, const char *what, size_t index, xl_error *err)
{
    if (c->left < n)
        return xl_fail(err, XL_ERR_FORMAT, "%s: %s entry %zu: %s needs %zu bytes but only %zu remain in the section",
                       c->path, c->section, index, what, n, c->left);
    return 0;
}

static void advance(cursor *c, size_t n)
{
    c->p += n;
    c->left -= n;
}

/* Key / name: printable ASCII (0x21..0x7e), 1..XL_MODEL_MAX_NAME bytes. */
static int check_name(const unsigned char *s, size_t len, const char *path, const char *what, size_t index,
                      xl_error *err)
{
    if (len == 0 || len > XL_MODEL_MAX_NAME)
        return xl_fail(err, XL_ERR_FORMAT, "%s: %s %zu: name length %zu outside 1..%u", path, what, index, len,
                       XL_MODEL_MAX_NAME);
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return xl_fail(err, XL_ERR_FORMAT, "%s: %s %zu: name byte %zu is 0x%02x (printable ASCII only)", path,
                           what, index, i, s[i]);
    return 0;
}

/* ---- reader --------------------------------------------------------------- */

typedef struct {
    uint64_t offset, size;
    const char *name;
} section;

static int parse_meta(xl_model *m, cursor *c, char **sp, xl_error *err)
{
    for (size_t i = 0; i < m->n_meta; i++) {
        xl_meta *e = &m->meta[i];
        if (need(c, 4, "key length", i, err) < 0) return -1;
        uint32_t klen = xl_le_u32(c->p);
        advance(c, 4);
        if (klen == 0 || klen > XL_MODEL_MAX_NAME)
            return xl_fail(err, XL_ERR_FORMAT, "%s: metadata entry %zu: key length %" PRIu32 " outside 1..%u",
                           m->path, i, klen, XL_MODEL_MAX_NAME);
        if (need(c, klen, "key", i, err) < 0) return -1;
        if (check_name(c->p, klen, m->path, "metadata entry", i, err) < 0) return -1;
        memcpy(*sp, c->p, klen);
        (*sp)[klen] = '\0';
        e->key = *sp;
        *sp += klen + 1;
        advance(c, klen);
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->meta[j].key, e->key) == 0)
                return xl_fail(err, XL_ERR_FORMAT, "%s: metadata entry %zu: duplicate key '%s'", m->path, i, e->key);
        if (need(c, 4, "type", i, err) < 0) return -1;
        uint32_t type = xl_le_u32(c->p);
        advance(c, 4);
        switch (type) {
        case XL_META_INT:
            if (need(c, 8, "int value", i, err) < 0) return -1;
            e->i = (int64_t)xl_le_u64(c->p);
            advance(c, 8);
            break;
        case XL_META_DOUBLE:
            if (need(c, 8, "double value", i, err) < 0) return -1;
            e->d = xl_le_f64(c->p);
            advance(c, 8);
            break;
        case XL_META_BOOL:
            if (need(c, 1, "bool value", i, err) < 0) return -1;
            if (c->p[0] > 1)
                return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s': bool value %u is not 0 or 1", m->path, e->key,
                               c->p[0]);
            e->i = c->p[0];
            advance(c, 1);
            break;
        case XL_META_STRING: {
            if (need(c, 4, "string length", i, err) < 0) return -1;
            uint32_t slen = xl_le_u32(c->p);
            advance(c, 4);
            if (slen > XL_MODEL_MAX_STRING)
                return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s': string length %" PRIu32 " above %u", m->path,
                               e->key, slen, XL_MODEL_MAX_STRING);
            if (need(c, slen, "string value", i, err) < 0) return -1;
            size_t bad;
            xl_utf8_status why;
            if (!xl_utf8_validate((const char *)c->p, slen, &bad, &why))
                return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s': string is not UTF-8 at byte %zu (%s)", m->path,
                               e->key, bad, xl_utf8_status_name(why));
            if (memchr(c->p, 0, slen) != NULL)
                return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s': string contains a NUL byte", m->path, e->key);
            memcpy(*sp, c->p, slen);
            (*sp)[slen] = '\0';
            e->s = *sp;
            e->s_len = slen;
            *sp += slen + 1;
            advance(c, slen);
            break;
        }
        default:
            return xl_fail(err, XL_ERR_FORMAT, "%s: metadata '%s': unknown type %" PRIu32 " (1 int, 2 double, 3 string, 4 bool)",
                           m->path, e->key, type);
        }
        e->type = (xl_meta_type)type;
    }
    if (c->left != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: metadata section has %zu bytes after its %zu entries", m->path, c->left,
                       m->n_meta);
    return 0;
}

static int parse_vocab(xl_model *m, cursor *c, char **sp, xl_error *err)
{
    for (size_t i = 0; i < m->n_vocab; i++) {
        if (need(c, 4, "token length", i, err) < 0) return -1;
        uint32_t len = xl_le_u32(c->p);
        advance(c, 4);
        if (len > XL_MODEL_MAX_TOKEN)
            return xl_fail(err, XL_ERR_FORMAT, "%s: vocabulary entry %zu: token length %" PRIu32 " above %u", m->path, i,
                           len, XL_MODEL_MAX_TOKEN);
        if (need(c, len, "token", i, err) < 0) return -1;
        size_t bad;
        xl_utf8_status why;
        if (!xl_utf8_validate((const char *)c->p, len, &bad, &why))
            return xl_fail(err, XL_ERR_FORMAT, "%s: vocabulary entry %zu: token is not UTF-8 at byte %zu (%s)", m->path,
                           i, bad, xl_utf8_status_name(why));
        memcpy(*sp, c->p, len);
        (*sp)[len] = '\0';
        m->tokens[i] = *sp;
        m->token_lens[i] = len;
        *sp += len + 1;
        advance(c, len);
    }
    if (c->left != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: vocabulary section has %zu bytes after its %zu tokens", m->path, c->left,
                       m->n_vocab);
    return 0;
}

static int cmp_tensor_offset(const void *a, const void *b)
{
    const xl_tensor *x = *(const xl_tensor *const *)a, *y = *(const xl_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : 0;
}

static int parse_dir(xl_model *m, cursor *c, char **sp, uint64_t data_size, xl_error *err)
{
    for (size_t i = 0; i < m->n_tensors; i++) {
        xl_tensor *t = &m->tensors[i];
        if (need(c, 4, "name length", i, err) < 0) return -1;
        uint32_t nlen = xl_le_u32(c->p);
        advance(c, 4);
        if (nlen == 0 || nlen > XL_MODEL_MAX_NAME)
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor entry %zu: name length %" PRIu32 " outside 1..%u", m->path, i,
                           nlen, XL_MODEL_MAX_NAME);
        if (need(c, nlen, "name", i, err) < 0) return -1;
        if (check_name(c->p, nlen, m->path, "tensor entry", i, err) < 0) return -1;
        memcpy(*sp, c->p, nlen);
        (*sp)[nlen] = '\0';
        t->name = *sp;
        *sp += nlen + 1;
        advance(c, nlen);
        if (need(c, 8, "dtype and rank", i, err) < 0) return -1;
        uint32_t dtype = xl_le_u32(c->p), rank = xl_le_u32(c->p + 4);
        advance(c, 8);
        if (dtype >= XL_DTYPE_COUNT)
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': unknown dtype %" PRIu32, m->path, t->name, dtype);
        if (dtype != XL_DTYPE_F32 && m->version < 2)
            return xl_fail(err, XL_ERR_FORMAT,
                           "%s: tensor '%s': dtype %s is not stored by format version %" PRIu32 " (only F32; it needs version 2)",
                           m->path, t->name, xl_dtype_name((xl_dtype)dtype), m->version);
        t->dtype = (xl_dtype)dtype;
        if (rank < 1 || rank > XL_MODEL_MAX_RANK)
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': rank %" PRIu32 " outside 1..%d", m->path, t->name, rank,
                           XL_MODEL_MAX_RANK);
        if (dtype == XL_DTYPE_I8 && rank < 2)
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': dtype I8 needs rank >= 2 (one scale per row), got rank %" PRIu32,
                           m->path, t->name, rank);
        t->rank = (int)rank;
        if (need(c, (size_t)rank * 8 + 16, "shape, offset and size", i, err) < 0) return -1;
        size_t count = 1;
        for (uint32_t d = 0; d < rank; d++) {
            uint64_t dim = xl_le_u64(c->p + 8 * d);
            t->shape[d] = dim;
            if (dim == 0 || dim > XL_MODEL_MAX_DIM)
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': dimension %" PRIu32 " is %" PRIu64 " (must be 1..%llu)",
                               m->path, t->name, d, dim, (unsigned long long)XL_MODEL_MAX_DIM);
            if (dim > SIZE_MAX || !xl_mul_size(count, (size_t)dim, &count))
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': element count overflows", m->path, t->name);
        }
        advance(c, (size_t)rank * 8);
        t->offset = xl_le_u64(c->p);
        t->nbytes = xl_le_u64(c->p + 8);
        advance(c, 16);
        t->count = count;
        uint64_t expect;
        if (!xl_dtype_stored_bytes(t->dtype, (uint64_t)count, t->shape[0], &expect) || t->nbytes != expect) {
            char sh[128];
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': size %" PRIu64 " bytes does not match shape %s of %s", m->path,
                           t->name, t->nbytes, xl_shape_str(t->rank, t->shape, sh, sizeof sh), xl_dtype_name(t->dtype));
        }
        if (t->offset % XL_MODEL_ALIGN != 0)
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': offset %" PRIu64 " is not a multiple of %u", m->path, t->name,
                           t->offset, XL_MODEL_ALIGN);
        if (t->offset > data_size || t->nbytes > data_size - t->offset)
            return xl_fail(err, XL_ERR_FORMAT,
                           "%s: tensor '%s': data [%" PRIu64 ", +%" PRIu64 ") runs past the end of the data section (%" PRIu64
                           " bytes)",
                           m->path, t->name, t->offset, t->nbytes, data_size);
    }
    if (c->left != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: tensor directory has %zu bytes after its %zu entries", m->path, c->left,
                       m->n_tensors);
    /* unique names, no two tensors sharing bytes */
    if (m->n_tensors > 1) {
        xl_error e2;
        xl_tensor **order = xl_malloc(m->n_tensors * sizeof *order, &e2);
        if (order == NULL) return xl_fail(err, e2.code, "%s", e2.msg);
        for (size_t i = 0; i < m->n_tensors; i++) order[i] = &m->tensors[i];
        qsort(order, m->n_tensors, sizeof *order, cmp_tensor_offset);
        for (size_t i = 1; i < m->n_tensors; i++) {
            const xl_tensor *a = order[i - 1], *b = order[i];
            if (a->offset + a->nbytes > b->offset) {
                int rc = xl_fail(err, XL_ERR_FORMAT,
                                 "%s: tensors '%s' [%" PRIu64 ", +%" PRIu64 ") and '%s' [%" PRIu64 ", +%" PRIu64 ") overlap",
                                 m->path, a->name, a->offset, a->nbytes, b->name, b->offset, b->nbytes);
                free(order);
                return rc;
            }
        }
        free(order);
    }
    return 0;
}

static int cmp_name_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_unique_names(xl_model *m, xl_error *err)
{
    if (m->n_tensors < 2) return 0;
    xl_error e2;
    const char **names = xl_malloc(m->n_tensors * sizeof *names, &e2);
    if (names == NULL) return xl_fail(err, e2.code, "%s", e2.msg);
    for (size_t i = 0; i < m->n_tensors; i++) names[i] = m->tensors[i].name;
    qsort(names, m->n_tensors, sizeof *names, cmp_name_ptr);
    for (size_t i = 1; i < m->n_tensors; i++)
        if (strcmp(names[i - 1], names[i]) == 0) {
            int rc = xl_fail(err, XL_ERR_FORMAT, "%s: duplicate tensor name '%s'", m->path, names[i]);
            free(names);
            return rc;
        }
    free(names);
    return 0;
}

/* I8 tensors: every scale finite and > 0, the padding after the scales zero, no
 * int8 of -128 (the format is symmetric); then every F16 / BF16 / I8 tensor is
 * widened into one float32 block so `data` is float32 for every dtype.
 * `data` holds the data section in host byte order. */
static bool needs_widening(const xl_model *m, const xl_tensor *t)
{
    switch (t->dtype) {
    case XL_DTYPE_I8: return !(m->flags & XL_MODEL_OPEN_KEEP_I8);
    case XL_DTYPE_F16:
    case XL_DTYPE_BF16: return !(m->flags & XL_MODEL_OPEN_KEEP_REDUCED);
    default: return false;
    }
}

static int widen_reduced(xl_model *m, const unsigned char *data, xl_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const xl_tensor *t = &m->tensors[i];
        if (!needs_widening(m, t)) continue;
        size_t bytes;
        /* count * 4 fits: the stored bytes (>= count) lie in memory, and the float32 copy is checked here */
        if (!xl_mul_size(t->count, 4, &bytes) || !xl_add_size(total, bytes, &total) ||
            !xl_add_size(total, XL_MODEL_ALIGN, &total))
            return xl_fail(err, XL_ERR_LIMIT, "%s: tensor '%s': its float32 copy does not fit in memory", m->path, t->name);
    }
    for (size_t i = 0; i < m->n_tensors; i++) {
        xl_tensor *t = &m->tensors[i];
        if (t->dtype != XL_DTYPE_I8) continue;
        const size_t rows = (size_t)t->shape[0];
        const unsigned char *p = data + t->offset;
        const size_t pad_end = (size_t)align_up((uint64_t)rows * 4);
        t->scales = (const float *)(const void *)p;
        for (size_t r = 0; r < rows; r++) {
            float sc = t->scales[r];
            if (!(sc > 0.0f) || !isfinite(sc)) /* NaN, 0, negatives, +Inf */
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': scale of row %zu is %g (must be finite and > 0)",
                               m->path, t->name, r, (double)sc);
        }
        for (size_t b = rows * 4; b < pad_end; b++)
            if (p[b] != 0)
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': padding byte %zu after the scales is 0x%02x (must be 0)",
                               m->path, t->name, b, p[b]);
        t->stored = p + pad_end;
        const unsigned char *q = t->stored;
        for (size_t k = 0; k < t->count; k++)
            if (q[k] == 0x80)
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': int8 element %zu is -128 (symmetric range is -127..127)",
                               m->path, t->name, k);
        /* kept as stored (XL_MODEL_OPEN_KEEP_I8): the check read every page of it once; drop them from
         * resident memory again (the encoder copies what it runs, or reads embedding rows on demand) */
        if (m->flags & XL_MODEL_OPEN_KEEP_I8) xl_mapped_file_release(&m->map, p, (size_t)t->nbytes);
    }
    if (total == 0) return 0;
    xl_error e2;
    m->widened = xl_aligned_alloc(total, &e2);
    if (m->widened == NULL) return xl_fail(err, XL_ERR_NOMEM, "%s: %s", m->path, e2.msg);
    unsigned char *dst = (unsigned char *)m->widened;
    for (size_t i = 0; i < m->n_tensors; i++) {
        xl_tensor *t = &m->tensors[i];
        if (!needs_widening(m, t)) continue;
        float *out = (float *)(void *)dst;
        if (t->dtype == XL_DTYPE_I8) {
            const int8_t *q = t->stored;
            const size_t rows = (size_t)t->shape[0], cols = t->count / rows;
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++) out[r * cols + c] = t->scales[r] * (float)q[r * cols + c];
        } else {
            const uint16_t *u = t->stored;
            if (t->dtype == XL_DTYPE_F16)
                for (size_t k = 0; k < t->count; k++) out[k] = xl_half_to_float(u[k]);
            else
                for (size_t k = 0; k < t->count; k++) out[k] = xl_bf16_to_float(u[k]);
        }
        t->data = out;
        dst += align_up((uint64_t)t->count * 4);
        /* the stored bytes were read once: drop their pages of the mapping from resident memory
         * (they are read from the file again if a kernel touches `stored`; no-op for a heap copy) */
        xl_mapped_file_release(&m->map, data + t->offset, (size_t)t->nbytes);
    }
    return 0;
}

static int validate(xl_model *m, xl_error *err)
{
    const unsigned char *h = m->image;
    const char *path = m->path;
    if (m->size < 8 || memcmp(h, XL_MODEL_MAGIC, 8) != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: not an xlrec model file (magic is not \"%s\")", path, XL_MODEL_MAGIC);
    if (m->size < 12) return xl_fail(err, XL_ERR_FORMAT, "%s: truncated header (%zu bytes)", path, m->size);
    m->version = xl_le_u32(h + 8);
    if (m->version == 0 || m->version > XL_MODEL_VERSION)
        return xl_fail(err, XL_ERR_FORMAT,
                       "%s: format version %" PRIu32 " is not supported (this build reads versions 1..%u)%s", path,
                       m->version, XL_MODEL_VERSION, m->version > XL_MODEL_VERSION ? ": upgrade xlrec" : "");
    if (m->size < XL_MODEL_HEADER_SIZE)
        return xl_fail(err, XL_ERR_FORMAT, "%s: truncated header (%zu of %u bytes)", path, m->size, XL_MODEL_HEADER_SIZE);
    uint32_t header_size = xl_le_u32(h + 12);
    if (header_size != XL_MODEL_HEADER_SIZE)
        return xl_fail(err, XL_ERR_FORMAT, "%s: header_size is %" PRIu32 ", expected %u", path, header_size,
                       XL_MODEL_HEADER_SIZE);
    /* sanity block: each value must come back bit for bit */
    if (xl_le_u32(h + 16) != XL_MODEL_SANITY_U32)
        return xl_fail(err, XL_ERR_FORMAT, "%s: sanity u32 is 0x%08" PRIx32 ", expected 0x%08x (byte order mismatch?)", path,
                       xl_le_u32(h + 16), XL_MODEL_SANITY_U32);
    float f = xl_le_f32(h + 20), f_ok = XL_MODEL_SANITY_F32;
    if (memcmp(&f, &f_ok, 4) != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: sanity f32 is %g, expected %g (float format mismatch)", path, (double)f,
                       (double)f_ok);
    double d = xl_le_f64(h + 24), d_ok = XL_MODEL_SANITY_F64;
    if (memcmp(&d, &d_ok, 8) != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: sanity f64 is %g, expected %g (double format mismatch)", path, d, d_ok);
    if (xl_le_u64(h + 32) != XL_MODEL_SANITY_U64)
        return xl_fail(err, XL_ERR_FORMAT, "%s: sanity u64 is 0x%016" PRIx64 ", expected 0x%016llx", path, xl_le_u64(h + 32),
                       (unsigned long long)XL_MODEL_SANITY_U64);
    uint64_t file_size = xl_le_u64(h + 40);
    if (file_size != (uint64_t)m->size)
        return xl_fail(err, XL_ERR_FORMAT, "%s: file_size field says %" PRIu64 " bytes but the file has %zu%s", path, file_size,
                       m->size, file_size > (uint64_t)m->size ? " (truncated?)" : "");
    uint32_t n_meta = xl_le_u32(h + 48), n_vocab = xl_le_u32(h + 52), n_tensors = xl_le_u32(h + 56), align = xl_le_u32(h + 60);
    if (n_meta > XL_MODEL_MAX_META)
        return xl_fail(err, XL_ERR_FORMAT, "%s: n_meta %" PRIu32 " above %u", path, n_meta, XL_MODEL_MAX_META);
    if (n_vocab > XL_MODEL_MAX_VOCAB)
        return xl_fail(err, XL_ERR_FORMAT, "%s: n_vocab %" PRIu32 " above %u", path, n_vocab, XL_MODEL_MAX_VOCAB);
    if (n_tensors > XL_MODEL_MAX_TENSORS)
        return xl_fail(err, XL_ERR_FORMAT, "%s: n_tensors %" PRIu32 " above %u", path, n_tensors, XL_MODEL_MAX_TENSORS);
    if (align != XL_MODEL_ALIGN)
        return xl_fail(err, XL_ERR_FORMAT, "%s: alignment is %" PRIu32 ", expected %u", path, align, XL_MODEL_ALIGN);
    section s[4] = {{xl_le_u64(h + 64), xl_le_u64(h + 72), "metadata"},
                    {xl_le_u64(h + 80), xl_le_u64(h + 88), "vocabulary"},
                    {xl_le_u64(h + 96), xl_le_u64(h + 104), "tensor directory"},
                    {xl_le_u64(h + 112), xl_le_u64(h + 120), "data"}};
    uint64_t prev_end = XL_MODEL_HEADER_SIZE;
    const char *prev_name = "header";
    for (int i = 0; i < 4; i++) {
        if (s[i].offset < prev_end)
            return xl_fail(err, XL_ERR_FORMAT, "%s: %s section offset %" PRIu64 " overlaps the %s (which ends at %" PRIu64 ")",
                           path, s[i].name, s[i].offset, prev_name, prev_end);
        if (s[i].offset > file_size || s[i].size > file_size - s[i].offset)
            return xl_fail(err, XL_ERR_FORMAT, "%s: %s section [%" PRIu64 ", +%" PRIu64 ") runs past the end of the file (%" PRIu64
                           " bytes)", path, s[i].name, s[i].offset, s[i].size, file_size);
        prev_end = s[i].offset + s[i].size;
        prev_name = s[i].name;
    }
    if (s[3].offset % XL_MODEL_ALIGN != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: data section offset %" PRIu64 " is not a multiple of %u", path, s[3].offset,
                       XL_MODEL_ALIGN);
    /* a lower bound on each section's size per entry stops absurd counts
     * before any allocation: meta >= 13 bytes, token >= 4, tensor >= 33 */
    if ((uint64_t)n_meta * 13 > s[0].size)
        return xl_fail(err, XL_ERR_FORMAT, "%s: n_meta %" PRIu32 " cannot fit in the %" PRIu64 "-byte metadata section", path,
                       n_meta, s[0].size);
    if ((uint64_t)n_vocab * 4 > s[1].size)
        return xl_fail(err, XL_ERR_FORMAT, "%s: n_vocab %" PRIu32 " cannot fit in the %" PRIu64 "-byte vocabulary section",
                       path, n_vocab, s[1].size);
    if ((uint64_t)n_tensors * 33 > s[2].size)
        return xl_fail(err, XL_ERR_FORMAT, "%s: n_tensors %" PRIu32 " cannot fit in the %" PRIu64 "-byte tensor directory",
                       path, n_tensors, s[2].size);

    /* every string copied into one block: its size is bounded by the sections */
    xl_error e2;
    size_t str_bytes = (size_t)(s[0].size + s[1].size + s[2].size) + (size_t)n_meta * 2 + n_vocab + n_tensors + 1;
    m->strings = xl_malloc(str_bytes, &e2);
    m->meta = xl_calloc(n_meta ? n_meta : 1, sizeof *m->meta, &e2);
    m->tokens = xl_calloc(n_vocab ? n_vocab : 1, sizeof *m->tokens, &e2);
    m->token_lens = xl_calloc(n_vocab ? n_vocab : 1, sizeof *m->token_lens, &e2);
    m->tensors = xl_calloc(n_tensors ? n_tensors : 1, sizeof *m->tensors, &e2);
    if (!m->strings || !m->meta || !m->tokens || !m->token_lens || !m->tensors)
        return xl_fail(err, XL_ERR_NOMEM, "%s: %s", path, e2.msg);
    m->n_meta = n_meta;
    m->n_vocab = n_vocab;
    m->n_tensors = n_tensors;
    char *sp = m->strings;
    cursor c = {h + s[0].offset, (size_t)s[0].size, path, "metadata"};
    if (parse_meta(m, &c, &sp, err) < 0) return -1;
    c = (cursor){h + s[1].offset, (size_t)s[1].size, path, "vocabulary"};
    if (parse_vocab(m, &c, &sp, err) < 0) return -1;
    c = (cursor){h + s[2].offset, (size_t)s[2].size, path, "tensor directory"};
    if (parse_dir(m, &c, &sp, s[3].size, err) < 0) return -1;
    if (check_unique_names(m, err) < 0) return -1;

    /* data: in place on little-endian hosts, a swapped copy otherwise */
    const unsigned char *data = h + s[3].offset;
    if (!xl_host_is_little_endian() && s[3].size > 0) {
        m->swapped_data = xl_aligned_alloc((size_t)s[3].size, &e2);
        if (m->swapped_data == NULL) return xl_fail(err, XL_ERR_NOMEM, "%s: %s", path, e2.msg);
        memcpy(m->swapped_data, data, (size_t)s[3].size);
        for (size_t i = 0; i < m->n_tensors; i++) {
            const xl_tensor *t = &m->tensors[i];
            unsigned char *p = (unsigned char *)m->swapped_data + t->offset;
            switch (t->dtype) {
            case XL_DTYPE_F32: xl_bswap32_array(p, t->count); break;
            case XL_DTYPE_F16:
            case XL_DTYPE_BF16: xl_bswap16_array(p, t->count); break;
            case XL_DTYPE_I8: xl_bswap32_array(p, (size_t)t->shape[0]); break; /* the scales; int8 has no order */
            }
        }
        data = (const unsigned char *)m->swapped_data;
    }
    for (size_t i = 0; i < m->n_tensors; i++) {
        xl_tensor *t = &m->tensors[i];
        t->stored = data + t->offset;
        if (t->dtype == XL_DTYPE_F32) t->data = (const float *)t->stored;
    }
    return widen_reduced(m, data, err);
}

static xl_model *model_new(const char *path, xl_error *err)
{
    xl_model *m = xl_calloc(1, sizeof *m, err);
    if (m == NULL) return NULL;
    m->path = xl_strndup(path, strlen(path), err);
    if (m->path == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

/* While a model is read from a pipe or device: the magic first, so /dev/zero fails at once. */
static int check_magic(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    if (n < 8 || memcmp(head, XL_MODEL_MAGIC, 8) != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: not an xlrec model file (magic is not \"%s\")", path, XL_MODEL_MAGIC);
    return 0;
}

int xl_model_open(xl_model **out, const char *path, xl_error *err)
{
    return xl_model_open_ex(out, path, 0, err);
}

int xl_model_open_ex(xl_model **out, const char *path, unsigned flags, xl_error *err)
{
    *out = NULL;
    xl_model *m = model_new(path, err);
    if (m == NULL) return -1;
    m->flags = flags;
    if (xl_map_file_ex(&m->map, path, XL_READ_MAX_STREAM, "XL_READ_MAX_STREAM", 8, check_magic, err) < 0) {
        xl_model_close(m);
        return -1;
    }
    m->image = m->map.data;
    m->size = m->map.size;
    if (validate(m, err) < 0) {
        xl_model_close(m);
        return -1;
    }
    *out = m;
    return 0;
}

int xl_model_open_memory(xl_model **out, const void *data, size_t len, const char *name, xl_error *err)
{
    return xl_model_open_memory_ex(out, data, len, name, 0, err);
}

int xl_model_open_memory_ex(xl_model **out, const void *data, size_t len, const char *name, unsigned flags,
                            xl_error *err)
{
    *out = NULL;
    xl_model *m = model_new(name, err);
    if (m == NULL) return -1;
    m->flags = flags;
    m->image_owned = xl_aligned_alloc(len ? len : 1, err);
    if (m->image_owned == NULL) {
        xl_model_close(m);
        return -1;
    }
    if (len) memcpy(m->image_owned, data, len);
    m->image = m->image_owned;
    m->size = len;
    if (validate(m, err) < 0) {
        xl_model_close(m);
        return -1;
    }
    *out = m;
    return 0;
}

void xl_model_close(xl_model *m)
{
    if (m == NULL) return;
    if (m->map.data != NULL) xl_unmap_file(&m->map);
    xl_aligned_free(m->image_owned);
    xl_aligned_free(m->swapped_data);
    xl_aligned_free(m->widened);
    free(m->meta);
    free(m->tokens);
    free(m->token_lens);
    free(m->tensors);
    free(m->strings);
    free(m->path);
    free(m);
}

const char *xl_model_path(const xl_model *m) { return m->path; }
uint32_t xl_model_version(const xl_model *m) { return m->version; }
size_t xl_model_file_size(const xl_model *m) { return m->size; }
bool xl_model_is_mapped(const xl_model *m) { return m->map.is_mapped; }

void xl_model_release_data(const xl_model *m, const void *p, size_t bytes)
{
    if (m != NULL) xl_mapped_file_release(&m->map, p, bytes);
}
size_t xl_model_meta_count(const xl_model *m) { return m->n_meta; }
const xl_meta *xl_model_meta_at(const xl_model *m, size_t i) { return i < m->n_meta ? &m->meta[i] : NULL; }

const xl_meta *xl_model_meta_find(const xl_model *m, const char *key)
{
    for (size_t i = 0; i < m->n_meta; i++)
        if (strcmp(m->meta[i].key, key) == 0) return &m->meta[i];
    return NULL;
}

bool xl_model_meta_int(const xl_model *m, const char *key, int64_t *out)
{
    const xl_meta *e = xl_model_meta_find(m, key);
    if (e == NULL || e->type != XL_META_INT) return false;
    *out = e->i;
    return true;
}

bool xl_model_meta_double(const xl_model *m, const char *key, double *out)
{
    const xl_meta *e = xl_model_meta_find(m, key);
    if (e == NULL || e->type != XL_META_DOUBLE) return false;
    *out = e->d;
    return true;
}

bool xl_model_meta_bool(const xl_model *m, const char *key, bool *out)
{
    const xl_meta *e = xl_model_meta_find(m, key);
    if (e == NULL || e->type != XL_META_BOOL) return false;
    *out = e->i != 0;
    return true;
}

const char *xl_model_meta_string(const xl_model *m, const char *key)
{
    const xl_meta *e = xl_model_meta_find(m, key);
    return e != NULL && e->type == XL_META_STRING ? e->s : NULL;
}

size_t xl_model_vocab_count(const xl_model *m) { return m->n_vocab; }

const char *xl_model_vocab_token(const xl_model *m, size_t id, size_t *len)
{
    if (id >= m->n_vocab) return NULL;
    if (len) *len = m->token_lens[id];
    return m->tokens[id];
}

size_t xl_model_tensor_count(const xl_model *m) { return m->n_tensors; }
const xl_tensor *xl_model_tensor_at(const xl_model *m, size_t i) { return i < m->n_tensors ? &m->tensors[i] : NULL; }

const xl_tensor *xl_model_tensor_find(const xl_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

const xl_tensor *xl_model_require(const xl_model *m, const char *name, int rank, const uint64_t *shape, xl_error *err)
{
    const xl_tensor *t = xl_model_tensor_find(m, name);
    if (t == NULL) {
        xl_fail(err, XL_ERR_FORMAT, "%s: missing tensor '%s'", m->path, name);
        return NULL;
    }
    bool ok = t->rank == rank; /* every dtype is handed out as float32 */
    for (int i = 0; ok && i < rank; i++) ok = t->shape[i] == shape[i];
    if (!ok) {
        char a[128], b[128];
        xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s' has shape %s, expected %s", m->path, name,
                xl_shape_str(t->rank, t->shape, a, sizeof a), xl_shape_str(rank, shape, b, sizeof b));
        return NULL;
    }
    return t;
}

uint64_t xl_model_param_count(const xl_model *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->n_tensors; i++) n += m->tensors[i].count;
    return n;
}

/* ---- writer --------------------------------------------------------------- */

typedef struct {
    char *name;
    int rank;
    uint64_t shape[XL_MODEL_MAX_RANK];
    size_t count;
    const float *data;
    xl_free_fn free_data;
    xl_dtype dtype; /* stored type (encoded from `data` when written) */
} w_tensor;

typedef struct {
    char *key;
    xl_meta_type type;
    int64_t i;
    double d;
    char *s;
} w_meta;

struct xl_model_writer {
    w_meta *meta;
    size_t n_meta, cap_meta;
    xl_buf vocab; /* encoded entries */
    size_t n_vocab;
    w_tensor *tensors;
    size_t n_tensors, cap_tensors;
    int int8_max; /* I8 levels: q in [-int8_max, int8_max]; 0 = 127 (xl_model_writer_set_int8_max) */
};

xl_model_writer *xl_model_writer_new(xl_error *err)
{
    xl_model_writer *w = xl_calloc(1, sizeof *w, err);
    if (w) xl_buf_init(&w->vocab);
    return w;
}

void xl_model_writer_free(xl_model_writer *w)
{
    if (w == NULL) return;
    for (size_t i = 0; i < w->n_meta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].s);
    }
    free(w->meta);
    for (size_t i = 0; i < w->n_tensors; i++) {
        free(w->tensors[i].name);
        if (w->tensors[i].free_data) w->tensors[i].free_data((void *)w->tensors[i].data);
    }
    free(w->tensors);
    xl_buf_free(&w->vocab);
    free(w);
}

static int valid_name(const char *name, const char *what, xl_error *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > XL_MODEL_MAX_NAME)
        return xl_fail(err, XL_ERR_USAGE, "%s '%s': length %zu outside 1..%u", what, name, len, XL_MODEL_MAX_NAME);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
            return xl_fail(err, XL_ERR_USAGE, "%s '%s': only printable ASCII without spaces is allowed", what, name);
    return 0;
}

static w_meta *meta_slot(xl_model_writer *w, const char *key, xl_error *err)
{
    if (valid_name(key, "metadata key", err) < 0) return NULL;
    for (size_t i = 0; i < w->n_meta; i++)
        if (strcmp(w->meta[i].key, key) == 0) {
            free(w->meta[i].s);
            w->meta[i].s = NULL;
            return &w->meta[i];
        }
    if (w->n_meta >= XL_MODEL_MAX_META) {
        xl_fail(err, XL_ERR_LIMIT, "too many metadata entries (limit %u)", XL_MODEL_MAX_META);
        return NULL;
    }
    w_meta *p = xl_array_reserve(w->meta, &w->cap_meta, w->n_meta + 1, 16, err);
    if (p == NULL) return NULL;
    w->meta = p;
    w_meta *e = &w->meta[w->n_meta];
    memset(e, 0, sizeof *e);
    e->key = xl_strndup(key, strlen(key), err);
    if (e->key == NULL) return NULL;
    w->n_meta++;
    return e;
}

int xl_model_writer_set_int(xl_model_writer *w, const char *key, int64_t v, xl_error *err)
{
    w_meta *e = meta_slot(w, key, err);
    if (e == NULL) return -1;
    e->type = XL_META_INT;
    e->i = v;
    return 0;
}

int xl_model_writer_set_double(xl_model_writer *w, const char *key, double v, xl_error *err)
{
    w_meta *e = meta_slot(w, key, err);
    if (e == NULL) return -1;
    e->type = XL_META_DOUBLE;
    e->d = v;
    return 0;
}

int xl_model_writer_set_bool(xl_model_writer *w, const char *key, bool v, xl_error *err)
{
    w_meta *e = meta_slot(w, key, err);
    if (e == NULL) return -1;
    e->type = XL_META_BOOL;
    e->i = v ? 1 : 0;
    return 0;
}

int xl_model_writer_set_string(xl_model_writer *w, const char *key, const char *v, xl_error *err)
{
    size_t len = strlen(v);
    if (len > XL_MODEL_MAX_STRING || !xl_utf8_validate(v, len, NULL, NULL))
        return xl_fail(err, XL_ERR_USAGE, "metadata '%s': value is not UTF-8 or longer than %u bytes", key,
                       XL_MODEL_MAX_STRING);
    w_meta *e = meta_slot(w, key, err);
    if (e == NULL) return -1;
    e->type = XL_META_STRING;
    e->s = xl_strndup(v, len, err);
    return e->s ? 0 : -1;
}

int xl_model_writer_add_token(xl_model_writer *w, const char *tok, size_t len, xl_error *err)
{
    if (len > XL_MODEL_MAX_TOKEN)
        return xl_fail(err, XL_ERR_LIMIT, "vocabulary entry %zu: token of %zu bytes (limit %u)", w->n_vocab, len,
                       XL_MODEL_MAX_TOKEN);
    size_t bad;
    if (!xl_utf8_validate(tok, len, &bad, NULL))
        return xl_fail(err, XL_ERR_FORMAT, "vocabulary entry %zu: token is not UTF-8 at byte %zu", w->n_vocab, bad);
    if (w->n_vocab >= XL_MODEL_MAX_VOCAB)
        return xl_fail(err, XL_ERR_LIMIT, "vocabulary larger than %u tokens", XL_MODEL_MAX_VOCAB);
    unsigned char lenb[4];
    xl_le_put_u32(lenb, (uint32_t)len);
    if (xl_buf_append(&w->vocab, lenb, 4, err) < 0 || xl_buf_append(&w->vocab, tok, len, err) < 0) return -1;
    w->n_vocab++;
    return 0;
}

size_t xl_model_writer_token_count(const xl_model_writer *w) { return w->n_vocab; }

bool xl_model_writer_has_tensor(const xl_model_writer *w, const char *name)
{
    for (size_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0) return true;
    return false;
}

int xl_model_writer_add_tensor(xl_model_writer *w, const char *name, int rank, const uint64_t *shape, const float *data,
                               xl_free_fn free_data, xl_error *err)
{
    int rc = -1;
    size_t count = 1;
    if (valid_name(name, "tensor name", err) < 0) goto out;
    if (rank < 1 || rank > XL_MODEL_MAX_RANK) {
        xl_fail(err, XL_ERR_USAGE, "tensor '%s': rank %d outside 1..%d", name, rank, XL_MODEL_MAX_RANK);
        goto out;
    }
    for (int i = 0; i < rank; i++)
        if (shape[i] == 0 || shape[i] > XL_MODEL_MAX_DIM || shape[i] > SIZE_MAX ||
            !xl_mul_size(count, (size_t)shape[i], &count) || count > SIZE_MAX / 4) {
            xl_fail(err, XL_ERR_LIMIT, "tensor '%s': dimension %d (%llu) is zero or too large", name, i,
                    (unsigned long long)shape[i]);
            goto out;
        }
    if (xl_model_writer_has_tensor(w, name)) {
        xl_fail(err, XL_ERR_USAGE, "tensor '%s' added twice", name);
        goto out;
    }
    if (w->n_tensors >= XL_MODEL_MAX_TENSORS) {
        xl_fail(err, XL_ERR_LIMIT, "more than %u tensors", XL_MODEL_MAX_TENSORS);
        goto out;
    }
    w_tensor *grown = xl_array_reserve(w->tensors, &w->cap_tensors, w->n_tensors + 1, 64, err);
    if (grown == NULL) goto out;
    w->tensors = grown;
    w_tensor *t = &w->tensors[w->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = xl_strndup(name, strlen(name), err);
    if (t->name == NULL) goto out;
    t->rank = rank;
    memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
    t->count = count;
    t->data = data;
    t->free_data = free_data;
    w->n_tensors++;
    return 0;
out:
    if (free_data) free_data((void *)data);
    return rc;
}


/* Bytes tensor t occupies in the data section (cannot overflow: count <= SIZE_MAX / 4). */
static uint64_t w_stored_bytes(const w_tensor *t)
{
    uint64_t n = 0;
    (void)xl_dtype_stored_bytes(t->dtype, (uint64_t)t->count, t->shape[0], &n);
    return n;
}

int xl_model_writer_set_tensor_dtype(xl_model_writer *w, const char *name, xl_dtype dtype, xl_error *err)
{
    if ((unsigned)dtype >= XL_DTYPE_COUNT) return xl_fail(err, XL_ERR_USAGE, "tensor '%s': unknown dtype %d", name, (int)dtype);
    for (size_t i = 0; i < w->n_tensors; i++) {
        w_tensor *t = &w->tensors[i];
        if (strcmp(t->name, name) != 0) continue;
        if (dtype == XL_DTYPE_I8 && t->rank < 2)
            return xl_fail(err, XL_ERR_USAGE, "tensor '%s': I8 needs rank >= 2 (one scale per row), it has rank %d", name,
                           t->rank);
        t->dtype = dtype;
        return 0;
    }
    return xl_fail(err, XL_ERR_USAGE, "no tensor '%s' to store as %s", name, xl_dtype_name(dtype));
}

int xl_model_writer_set_int8_max(xl_model_writer *w, int qmax, xl_error *err)
{
    if (qmax < 1 || qmax > 127) return xl_fail(err, XL_ERR_USAGE, "int8 weight range %d: must be 1..127", qmax);
    w->int8_max = qmax;
    return 0;
}

int xl_model_writer_set_reduced_dtype(xl_model_writer *w, xl_dtype reduced, xl_error *err)
{
    for (size_t i = 0; i < w->n_tensors; i++)
        if (xl_model_writer_set_tensor_dtype(w, w->tensors[i].name, xl_dtype_for_tensor(w->tensors[i].rank, reduced), err) < 0)
            return -1;
    return 0;
}

int xl_model_writer_copy_model(xl_model_writer *w, const xl_model *m, xl_error *err)
{
    for (size_t i = 0; i < m->n_meta; i++) {
        const xl_meta *e = &m->meta[i];
        int rc = 0;
        switch (e->type) {
        case XL_META_INT: rc = xl_model_writer_set_int(w, e->key, e->i, err); break;
        case XL_META_DOUBLE: rc = xl_model_writer_set_double(w, e->key, e->d, err); break;
        case XL_META_BOOL: rc = xl_model_writer_set_bool(w, e->key, e->i != 0, err); break;
        case XL_META_STRING: rc = xl_model_writer_set_string(w, e->key, e->s, err); break;
        }
        if (rc < 0) return -1;
    }
    for (size_t i = 0; i < m->n_vocab; i++)
        if (xl_model_writer_add_token(w, m->tokens[i], m->token_lens[i], err) < 0) return -1;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const xl_tensor *t = &m->tensors[i];
        if (xl_model_writer_add_tensor(w, t->name, t->rank, t->shape, t->data, NULL, err) < 0) return -1;
    }
    return 0;
}

/* Build header + metadata + vocabulary + directory (everything before the
 * data) into `head`, and the data offsets of each tensor. */
static int build_head(xl_model_writer *w, xl_buf *head, uint64_t *data_offset, uint64_t *data_size, xl_error *err)
{
    xl_buf meta, dir;
    xl_buf_init(&meta);
    xl_buf_init(&dir);
    unsigned char b[8];
    int rc = -1;
    for (size_t i = 0; i < w->n_meta; i++) {
        const w_meta *e = &w->meta[i];
        size_t klen = strlen(e->key);
        xl_le_put_u32(b, (uint32_t)klen);
        if (xl_buf_append(&meta, b, 4, err) < 0 || xl_buf_append(&meta, e->key, klen, err) < 0) goto done;
        xl_le_put_u32(b, (uint32_t)e->type);
        if (xl_buf_append(&meta, b, 4, err) < 0) goto done;
        switch (e->type) {
        case XL_META_INT:
            xl_le_put_u64(b, (uint64_t)e->i);
            if (xl_buf_append(&meta, b, 8, err) < 0) goto done;
            break;
        case XL_META_DOUBLE: {
            uint64_t u;
            memcpy(&u, &e->d, 8);
            xl_le_put_u64(b, u);
            if (xl_buf_append(&meta, b, 8, err) < 0) goto done;
            break;
        }
        case XL_META_BOOL:
            if (xl_buf_putc(&meta, (char)(e->i ? 1 : 0), err) < 0) goto done;
            break;
        case XL_META_STRING: {
            size_t slen = strlen(e->s);
            xl_le_put_u32(b, (uint32_t)slen);
            if (xl_buf_append(&meta, b, 4, err) < 0 || xl_buf_append(&meta, e->s, slen, err) < 0) goto done;
            break;
        }
        }
    }
    uint64_t off = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        const w_tensor *t = &w->tensors[i];
        size_t nlen = strlen(t->name);
        xl_le_put_u32(b, (uint32_t)nlen);
        if (xl_buf_append(&dir, b, 4, err) < 0 || xl_buf_append(&dir, t->name, nlen, err) < 0) goto done;
        xl_le_put_u32(b, (uint32_t)t->dtype);
        if (xl_buf_append(&dir, b, 4, err) < 0) goto done;
        xl_le_put_u32(b, (uint32_t)t->rank);
        if (xl_buf_append(&dir, b, 4, err) < 0) goto done;
        for (int d = 0; d < t->rank; d++) {
            xl_le_put_u64(b, t->shape[d]);
            if (xl_buf_append(&dir, b, 8, err) < 0) goto done;
        }
        xl_le_put_u64(b, off);
        if (xl_buf_append(&dir, b, 8, err) < 0) goto done;
        xl_le_put_u64(b, w_stored_bytes(t));
        if (xl_buf_append(&dir, b, 8, err) < 0) goto done;
        off = align_up(off + w_stored_bytes(t));
    }
    uint64_t meta_off = XL_MODEL_HEADER_SIZE, vocab_off = meta_off + meta.len, dir_off = vocab_off + w->vocab.len;
    uint64_t data_off = align_up(dir_off + dir.len);
    /* the data section ends with the last tensor (no trailing padding) */
    uint64_t dsize = 0;
    if (w->n_tensors) {
        uint64_t last_off = 0;
        for (size_t i = 0; i + 1 < w->n_tensors; i++) last_off = align_up(last_off + w_stored_bytes(&w->tensors[i]));
        dsize = last_off + w_stored_bytes(&w->tensors[w->n_tensors - 1]);
    }
    unsigned char h[XL_MODEL_HEADER_SIZE];
    memset(h, 0, sizeof h);
    memcpy(h, XL_MODEL_MAGIC, 8);
    bool all_f32 = true;
    for (size_t i = 0; i < w->n_tensors; i++) all_f32 = all_f32 && w->tensors[i].dtype == XL_DTYPE_F32;
    xl_le_put_u32(h + 8, all_f32 ? XL_MODEL_VERSION_F32 : XL_MODEL_VERSION);
    xl_le_put_u32(h + 12, XL_MODEL_HEADER_SIZE);
    xl_le_put_u32(h + 16, XL_MODEL_SANITY_U32);
    float f = XL_MODEL_SANITY_F32;
    uint32_t fu;
    memcpy(&fu, &f, 4);
    xl_le_put_u32(h + 20, fu);
    double d = XL_MODEL_SANITY_F64;
    uint64_t du;
    memcpy(&du, &d, 8);
    xl_le_put_u64(h + 24, du);
    xl_le_put_u64(h + 32, XL_MODEL_SANITY_U64);
    xl_le_put_u64(h + 40, data_off + dsize);
    xl_le_put_u32(h + 48, (uint32_t)w->n_meta);
    xl_le_put_u32(h + 52, (uint32_t)w->n_vocab);
    xl_le_put_u32(h + 56, (uint32_t)w->n_tensors);
    xl_le_put_u32(h + 60, XL_MODEL_ALIGN);
    xl_le_put_u64(h + 64, meta_off);
    xl_le_put_u64(h + 72, meta.len);
    xl_le_put_u64(h + 80, vocab_off);
    xl_le_put_u64(h + 88, w->vocab.len);
    xl_le_put_u64(h + 96, dir_off);
    xl_le_put_u64(h + 104, dir.len);
    xl_le_put_u64(h + 112, data_off);
    xl_le_put_u64(h + 120, dsize);
    if (xl_buf_append(head, h, sizeof h, err) < 0 || xl_buf_append(head, meta.data, meta.len, err) < 0 ||
        xl_buf_append(head, w->vocab.data, w->vocab.len, err) < 0 || xl_buf_append(head, dir.data, dir.len, err) < 0)
        goto done;
    while (head->len < data_off)
        if (xl_buf_putc(head, 0, err) < 0) goto done;
    *data_offset = data_off;
    *data_size = dsize;
    rc = 0;
done:
    xl_buf_free(&meta);
    xl_buf_free(&dir);
    return rc;
}

/* Emit the tensor data (little-endian, zero padding between tensors) through
 * a sink: either a FILE or a memory buffer. */
typedef struct {
    FILE *f;
    const char *path;
    unsigned char *mem;
    size_t pos;
} sink;

static int sink_write(sink *s, const void *p, size_t n, xl_error *err)
{
    if (s->mem) {
        memcpy(s->mem + s->pos, p, n);
        s->pos += n;
        return 0;
    }
    s->pos += n;
    return xl_fwrite_exact(p, n, s->f, s->path, err);
}

static int bad_value(const w_tensor *t, size_t k, float x, xl_error *err)
{
    return xl_fail(err, XL_ERR_FORMAT, "tensor '%s': element %zu is %g, which %s cannot store", t->name, k, (double)x,
                   xl_dtype_name(t->dtype));
}

/* F16 / BF16: round each float to nearest even and write the 16-bit patterns little-endian.
 * A non-finite value, or a finite one that rounds to infinity, fails naming the element. */
static int emit_half(const w_tensor *t, sink *s, xl_error *err)
{
    enum { CHUNK = 16384 };
    unsigned char tmp[2 * CHUNK];
    for (size_t j = 0; j < t->count; j += CHUNK) {
        size_t n = t->count - j < CHUNK ? t->count - j : CHUNK;
        for (size_t k = 0; k < n; k++) {
            float x = t->data[j + k];
            uint16_t u = t->dtype == XL_DTYPE_F16 ? xl_float_to_half(x) : xl_float_to_bf16(x);
            float back = t->dtype == XL_DTYPE_F16 ? xl_half_to_float(u) : xl_bf16_to_float(u);
            if (!isfinite(x) || !isfinite(back)) return bad_value(t, j + k, x, err);
            tmp[2 * k] = (unsigned char)(u & 0xff);
            tmp[2 * k + 1] = (unsigned char)(u >> 8);
        }
        if (sink_write(s, tmp, 2 * n, err) < 0) return -1;
    }
    return 0;
}

/* I8, symmetric per row (row = first dimension): scale = max|x| / qmax (1 for an all-zero
 * row), q = round(x / scale) clamped to [-qmax, qmax]; qmax = 127, or 63 for 7-bit weights
 * (xl_model_writer_set_int8_max).  Scales first (f32 little-endian), zero padding to a
 * multiple of 64 bytes, then the int8 rows. */
static int emit_int8(const w_tensor *t, int qmax, sink *s, xl_error *err)
{
    const float fmax = (float)qmax;
    static const unsigned char zeros[XL_MODEL_ALIGN];
    const size_t rows = (size_t)t->shape[0], cols = t->count / rows;
    xl_error e2;
    float *scale = xl_malloc(rows * sizeof *scale, &e2);
    signed char *q = xl_malloc(cols, &e2);
    int rc = -1;
    if (scale == NULL || q == NULL) {
        xl_fail(err, e2.code, "%s", e2.msg);
        goto done;
    }
    for (size_t r = 0; r < rows; r++) {
        const float *x = t->data + r * cols;
        float amax = 0.0f;
        for (size_t c = 0; c < cols; c++) {
            if (!isfinite(x[c])) {
                bad_value(t, r * cols + c, x[c], err);
                goto done;
            }
            float a = fabsf(x[c]);
            if (a > amax) amax = a;
        }
        float sc = amax / fmax;
        scale[r] = sc > 0.0f ? sc : 1.0f; /* all-zero (or all-tiny) row: any positive scale gives q = 0 */
    }
    for (size_t r = 0; r < rows; r++) {
        unsigned char b[4];
        uint32_t u;
        memcpy(&u, &scale[r], 4);
        xl_le_put_u32(b, u);
        if (sink_write(s, b, 4, err) < 0) goto done;
    }
    size_t pad = (size_t)(align_up((uint64_t)rows * 4) - (uint64_t)rows * 4);
    if (pad && sink_write(s, zeros, pad, err) < 0) goto done;
    for (size_t r = 0; r < rows; r++) {
        const float *x = t->data + r * cols;
        for (size_t c = 0; c < cols; c++) {
            float v = roundf(x[c] / scale[r]);
            v = v > fmax ? fmax : v < -fmax ? -fmax : v;
            q[c] = (signed char)(int)v;
        }
        if (sink_write(s, q, cols, err) < 0) goto done;
    }
    rc = 0;
done:
    free(scale);
    free(q);
    return rc;
}

static int emit_data(xl_model_writer *w, sink *s, xl_error *err)
{
    static const unsigned char zeros[XL_MODEL_ALIGN];
    const bool le = xl_host_is_little_endian();
    enum { CHUNK = 16384 };
    uint32_t tmp[CHUNK];
    for (size_t i = 0; i < w->n_tensors; i++) {
        const w_tensor *t = &w->tensors[i];
        if (i > 0) {
            size_t pad = (size_t)(XL_MODEL_ALIGN - (s->pos % XL_MODEL_ALIGN)) % XL_MODEL_ALIGN;
            if (pad && sink_write(s, zeros, pad, err) < 0) return -1;
        }
        if (t->dtype == XL_DTYPE_F16 || t->dtype == XL_DTYPE_BF16) {
            if (emit_half(t, s, err) < 0) return -1;
            continue;
        }
        if (t->dtype == XL_DTYPE_I8) {
            if (emit_int8(t, w->int8_max ? w->int8_max : 127, s, err) < 0) return -1;
            continue;
        }
        if (le) {
            if (sink_write(s, t->data, t->count * 4, err) < 0) return -1;
            continue;
        }
        for (size_t j = 0; j < t->count; j += CHUNK) {
            size_t n = t->count - j < CHUNK ? t->count - j : CHUNK;
            memcpy(tmp, t->data + j, n * 4);
            xl_bswap32_array(tmp, n);
            if (sink_write(s, tmp, n * 4, err) < 0) return -1;
        }
    }
    return 0;
}

int xl_model_writer_write(xl_model_writer *w, const char *path, xl_error *err)
{
    xl_buf head;
    xl_buf_init(&head);
    uint64_t data_off, dsize;
    if (build_head(w, &head, &data_off, &dsize, err) < 0) {
        xl_buf_free(&head);
        return -1;
    }
    xl_output out; /* temporary file renamed over `path` on success; a failure leaves `path` untouched */
    if (xl_output_open(&out, path, err) < 0) {
        xl_buf_free(&head);
        return -1;
    }
    sink s = {out.f, path, NULL, 0};
    int rc = sink_write(&s, head.data, head.len, err);
    xl_buf_free(&head);
    if (rc == 0) rc = emit_data(w, &s, err);
    if (rc < 0) {
        xl_output_abort(&out);
        return -1;
    }
    return xl_output_commit(&out, err);
}

int xl_model_writer_to_memory(xl_model_writer *w, unsigned char **data, size_t *len, xl_error *err)
{
    *data = NULL;
    *len = 0;
    xl_buf head;
    xl_buf_init(&head);
    uint64_t data_off, dsize;
    if (build_head(w, &head, &data_off, &dsize, err) < 0) {
        xl_buf_free(&head);
        return -1;
    }
    size_t total;
    if (data_off + dsize > SIZE_MAX || !xl_add_size((size_t)data_off, (size_t)dsize, &total)) {
        xl_buf_free(&head);
        return xl_fail(err, XL_ERR_NOMEM, "model image too large for memory");
    }
    unsigned char *mem = xl_malloc(total ? total : 1, err);
    if (mem == NULL) {
        xl_buf_free(&head);
        return -1;
    }
    memcpy(mem, head.data, head.len);
    sink s = {NULL, "memory", mem, head.len};
    xl_buf_free(&head);
    if (emit_data(w, &s, err) < 0) {
        free(mem);
        return -1;
    }
    *data = mem;
    *len = total;
    return 0;
}
