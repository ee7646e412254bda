/* xl_safetensors.c - see xl_safetensors.h. */
#include "xl_safetensors.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_json.h"
#include "xl_platform.h"

struct xl_safetensors {
    char *path;
    xl_mapped_file map;
    bool mapped;
    const unsigned char *image;
    size_t size;
    xl_json_doc *doc;
    const xl_json *metadata; /* "__metadata__" or NULL */
    xl_st_tensor *tensors;
    size_t n;
};

static const struct {
    const char *name;
    xl_st_dtype dtype;
    size_t size;
} dtypes[] = {
    {"F64", XL_ST_F64, 8},   {"F32", XL_ST_F32, 4},   {"F16", XL_ST_F16, 2},          {"BF16", XL_ST_BF16, 2},
    {"I64", XL_ST_I64, 8},   {"I32", XL_ST_I32, 4},   {"I16", XL_ST_I16, 2},          {"I8", XL_ST_I8, 1},
    {"U64", XL_ST_U64, 8},   {"U32", XL_ST_U32, 4},   {"U16", XL_ST_U16, 2},          {"U8", XL_ST_U8, 1},
    {"BOOL", XL_ST_BOOL, 1}, {"F8_E4M3", XL_ST_F8_E4M3, 1}, {"F8_E5M2", XL_ST_F8_E5M2, 1},
};

const char *xl_st_dtype_name(xl_st_dtype t)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == t) return dtypes[i].name;
    return "?";
}

size_t xl_st_dtype_size(xl_st_dtype t)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == t) return dtypes[i].size;
    return 0;
}

int xl_st_dtype_is_float(xl_st_dtype t)
{
    return t == XL_ST_F32 || t == XL_ST_F16 || t == XL_ST_BF16 || t == XL_ST_F64;
}

float xl_f16_to_f32(uint16_t h) { return xl_half_to_float(h); }

float xl_bf16_to_f32(uint16_t b) { return xl_bf16_to_float(b); }

static int parse_header(xl_safetensors *st, xl_error *err)
{
    const char *path = st->path;
    if (st->size < 8)
        return xl_fail(err, XL_ERR_FORMAT, "%s: not a safetensors file (%zu bytes, need at least 8)", path, st->size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | st->image[i];
    if (n > XL_ST_MAX_HEADER)
        return xl_fail(err, XL_ERR_FORMAT, "%s: safetensors header length %" PRIu64 " above the %u-byte limit", path, n,
                       XL_ST_MAX_HEADER);
    if (n > st->size - 8)
        return xl_fail(err, XL_ERR_FORMAT, "%s: safetensors header length %" PRIu64 " runs past the end of the file (%zu bytes)",
                       path, n, st->size);
    xl_error e2;
    xl_error_clear(&e2);
    if (xl_json_parse((const char *)st->image + 8, (size_t)n, NULL, &st->doc, &e2) < 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: safetensors header: %s", path, e2.msg);
    const xl_json *root = xl_json_root(st->doc);
    if (!xl_json_is(root, XL_JSON_OBJECT))
        return xl_fail(err, XL_ERR_FORMAT, "%s: safetensors header is not a JSON object", path);
    const unsigned char *data = st->image + 8 + n;
    size_t data_size = st->size - 8 - (size_t)n;
    size_t count = root->u.object.count;
    st->tensors = xl_calloc(count ? count : 1, sizeof *st->tensors, &e2);
    if (st->tensors == NULL) return xl_fail(err, XL_ERR_NOMEM, "%s: %s", path, e2.msg);
    for (size_t i = 0; i < count; i++) {
        const xl_json_member *mem = &root->u.object.members[i];
        if (strcmp(mem->key, "__metadata__") == 0 && mem->key_len == 12) {
            if (!xl_json_is(mem->value, XL_JSON_OBJECT))
                return xl_fail(err, XL_ERR_FORMAT, "%s: __metadata__ is not an object", path);
            st->metadata = mem->value;
            continue;
        }
        if (mem->key_len == 0 || strlen(mem->key) != mem->key_len)
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor %zu has an empty name or a name containing NUL", path, i);
        const char *name = mem->key;
        const xl_json *v = mem->value;
        if (!xl_json_is(v, XL_JSON_OBJECT))
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': entry is not an object", path, name);
        const char *dt = xl_json_get_string(v, "dtype");
        const xl_json *shape = xl_json_get(v, "shape"), *offs = xl_json_get(v, "data_offsets");
        if (dt == NULL) return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': missing string \"dtype\"", path, name);
        if (!xl_json_is(shape, XL_JSON_ARRAY))
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': missing array \"shape\"", path, name);
        if (!xl_json_is(offs, XL_JSON_ARRAY) || xl_json_count(offs) != 2)
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': \"data_offsets\" must be an array of 2 integers", path,
                           name);
        xl_st_tensor *t = &st->tensors[st->n];
        t->name = name;
        size_t k;
        for (k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++)
            if (strcmp(dt, dtypes[k].name) == 0) break;
        if (k == sizeof dtypes / sizeof dtypes[0])
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': unknown dtype \"%s\"", path, name, dt);
        t->dtype = dtypes[k].dtype;
        size_t rank = xl_json_count(shape);
        if (rank > XL_ST_MAX_RANK)
            return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': rank %zu above %d", path, name, rank, XL_ST_MAX_RANK);
        t->rank = (int)rank;
        size_t elems = 1;
        for (size_t d = 0; d < rank; d++) {
            const xl_json *dim = xl_json_at(shape, d);
            if (!xl_json_is(dim, XL_JSON_NUMBER) || !dim->u.number.is_int || dim->u.number.int_value < 0)
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': shape[%zu] is not a non-negative integer", path,
                               name, d);
            uint64_t dv = (uint64_t)dim->u.number.int_value;
            t->shape[d] = dv;
            if (dv > SIZE_MAX || !xl_mul_size(elems, (size_t)dv, &elems))
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': element count overflows", path, name);
        }
        t->count = elems;
        int64_t b[2];
        for (int j = 0; j < 2; j++) {
            const xl_json *o = xl_json_at(offs, (size_t)j);
            if (!xl_json_is(o, XL_JSON_NUMBER) || !o->u.number.is_int || o->u.number.int_value < 0)
                return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': data_offsets[%d] is not a non-negative integer",
                               path, name, j);
            b[j] = o->u.number.int_value;
        }
        if (b[0] > b[1] || (uint64_t)b[1] > (uint64_t)data_size)
            return xl_fail(err, XL_ERR_FORMAT,
                           "%s: tensor '%s': data_offsets [%" PRId64 ", %" PRId64 "] outside the %zu-byte data buffer", path,
                           name, b[0], b[1], data_size);
        size_t need;
        if (!xl_mul_size(elems, dtypes[k].size, &need) || (uint64_t)need != (uint64_t)(b[1] - b[0]))
            return xl_fail(err, XL_ERR_FORMAT,
                           "%s: tensor '%s': %" PRId64 " data bytes do not match its shape (%zu elements of %s)", path,
                           name, b[1] - b[0], elems, dt);
        t->data = data + b[0];
        t->nbytes = (size_t)(b[1] - b[0]);
        t->data_begin = (size_t)b[0];
        st->n++;
    }
    /* overlap check: sort indices by start offset (zero-size tensors never overlap) */
    if (st->n > 1) {
        size_t *ord = xl_malloc(st->n * sizeof *ord, &e2);
        if (ord == NULL) return xl_fail(err, XL_ERR_NOMEM, "%s: %s", path, e2.msg);
        for (size_t i = 0; i < st->n; i++) ord[i] = i;
        /* insertion sort is quadratic only for adversarial orders of huge headers; use a
         * simple bottom-up merge instead */
        size_t *tmp = xl_malloc(st->n * sizeof *tmp, &e2);
        if (tmp == NULL) {
            free(ord);
            return xl_fail(err, XL_ERR_NOMEM, "%s: %s", path, e2.msg);
        }
        for (size_t w = 1; w < st->n; w *= 2) {
            for (size_t lo = 0; lo < st->n; lo += 2 * w) {
                size_t mid = lo + w < st->n ? lo + w : st->n, hi = lo + 2 * w < st->n ? lo + 2 * w : st->n;
                size_t a = lo, c = mid, o = lo;
                while (a < mid && c < hi)
                    tmp[o++] = st->tensors[ord[a]].data_begin <= st->tensors[ord[c]].data_begin ? ord[a++] : ord[c++];
                while (a < mid) tmp[o++] = ord[a++];
                while (c < hi) tmp[o++] = ord[c++];
            }
            memcpy(ord, tmp, st->n * sizeof *ord);
            if (w > SIZE_MAX / 4) break;
        }
        free(tmp);
        size_t end = 0;
        const char *prev = NULL;
        for (size_t i = 0; i < st->n; i++) {
            const xl_st_tensor *t = &st->tensors[ord[i]];
            if (t->nbytes == 0) continue;
            if (prev != NULL && t->data_begin < end) {
                int rc = xl_fail(err, XL_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap in the data buffer", path, prev,
                                 t->name);
                free(ord);
                return rc;
            }
            end = t->data_begin + t->nbytes;
            prev = t->name;
        }
        free(ord);
    }
    return 0;
}

static xl_safetensors *st_new(const char *path, xl_error *err)
{
    xl_safetensors *st = xl_calloc(1, sizeof *st, err);
    if (st == NULL) return NULL;
    st->path = xl_strndup(path, strlen(path), err);
    if (st->path == NULL) {
        free(st);
        return NULL;
    }
    return st;
}

/* While a file is read from a pipe or device (a checkpoint's link to /dev/zero): the header
 * length first, so a stream of zeros fails at once. */
static int check_header_length(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    if (n < 8) return xl_fail(err, XL_ERR_FORMAT, "%s: not a safetensors file (%zu bytes, need at least 8)", path, n);
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--) len = len << 8 | head[i];
    if (len < 2 || len > XL_ST_MAX_HEADER)
        return xl_fail(err, XL_ERR_FORMAT, "%s: safetensors header length %" PRIu64 " outside 2..%u", path, len,
                       XL_ST_MAX_HEADER);
    return 0;
}

int xl_safetensors_open(xl_safetensors **out, const char *path, xl_error *err)
{
    *out = NULL;
    xl_safetensors *st = st_new(path, err);
    if (st == NULL) return -1;
    if (xl_map_file_ex(&st->map, path, XL_READ_MAX_STREAM, "XL_READ_MAX_STREAM", 8, check_header_length, err) < 0) {
        xl_safetensors_close(st);
        return -1;
    }
    st->mapped = true;
    st->image = st->map.data;
    st->size = st->map.size;
    if (parse_header(st, err) < 0) {
        xl_safetensors_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

int xl_safetensors_open_memory(xl_safetensors **out, const void *data, size_t len, const char *name, xl_error *err)
{
    *out = NULL;
    xl_safetensors *st = st_new(name, err);
    if (st == NULL) return -1;
    st->image = data;
    st->size = len;
    if (parse_header(st, err) < 0) {
        xl_safetensors_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

void xl_safetensors_close(xl_safetensors *st)
{
    if (st == NULL) return;
    if (st->mapped) xl_unmap_file(&st->map);
    xl_json_free(st->doc);
    free(st->tensors);
    free(st->path);
    free(st);
}

const char *xl_safetensors_path(const xl_safetensors *st) { return st->path; }
size_t xl_safetensors_count(const xl_safetensors *st) { return st->n; }
const xl_st_tensor *xl_safetensors_at(const xl_safetensors *st, size_t i) { return i < st->n ? &st->tensors[i] : NULL; }

const xl_st_tensor *xl_safetensors_find(const xl_safetensors *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

const char *xl_safetensors_metadata(const xl_safetensors *st, const char *key)
{
    return st->metadata ? xl_json_get_string(st->metadata, key) : NULL;
}

int xl_safetensors_to_f32(const xl_safetensors *st, const xl_st_tensor *t, float *out, xl_error *err)
{
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case XL_ST_F32:
        for (size_t i = 0; i < t->count; i++, p += 4) {
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            memcpy(&out[i], &u, 4);
        }
        return 0;
    case XL_ST_F16:
        for (size_t i = 0; i < t->count; i++, p += 2) out[i] = xl_f16_to_f32((uint16_t)(p[0] | p[1] << 8));
        return 0;
    case XL_ST_BF16:
        for (size_t i = 0; i < t->count; i++, p += 2) out[i] = xl_bf16_to_f32((uint16_t)(p[0] | p[1] << 8));
        return 0;
    case XL_ST_F64:
        for (size_t i = 0; i < t->count; i++, p += 8) {
            uint64_t u = 0;
            for (int j = 7; j >= 0; j--) u = u << 8 | p[j];
            double d;
            memcpy(&d, &u, 8);
            /* out-of-range finite doubles become +-inf (the cast itself would be undefined) */
            if (d > FLT_MAX) out[i] = HUGE_VALF;
            else if (d < -FLT_MAX) out[i] = -HUGE_VALF;
            else out[i] = (float)d;
        }
        return 0;
    default:
        return xl_fail(err, XL_ERR_FORMAT, "%s: tensor '%s': dtype %s cannot be converted to float32", st->path, t->name,
                       xl_st_dtype_name(t->dtype));
    }
}
