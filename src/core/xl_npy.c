/* xl_npy.c - see xl_npy.h.  Format: NumPy Enhancement Proposal 1 / numpy's
 * "format.py" (NPY format versions 1.0, 2.0, 3.0):
 *
 *   "\x93NUMPY" major minor  header_len (uint16 LE for 1.0, uint32 LE for 2.0/3.0)
 *   header: a Python dict literal {'descr': '<f4', 'fortran_order': False,
 *           'shape': (d0, d1, ), } padded with spaces and ended by '\n'
 *   data:   prod(shape) items, C order
 *
 * The writer produces byte-for-byte what numpy >= 1.23 writes for a C-order
 * float32 array (numpy.save): the sorted dict, 21 - len(str(shape[0])) spare
 * spaces after it (GROWTH_AXIS_MAX_DIGITS, so the header can be rewritten in
 * place when the first axis grows), then padding so 10 + header_len is a
 * multiple of 64.
 *
 * Floats are moved through uint32_t with explicit little-endian byte order,
 * never by copying host-order floats, so files are identical on big-endian
 * hosts.  (This assumes float and uint32_t share the host's byte order, which
 * holds on every platform C11 code realistically meets.)
 */
#include "xl_npy.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_platform.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_GROWTH_AXIS_MAX_DIGITS 21
#define NPY_BLOCK 4096 /* floats converted per write */

_Static_assert(sizeof(float) == 4, "xl_npy needs 32-bit IEEE floats");

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---------------------------------------------------------------- write -- */

/* The header dict text, spare spaces and padding included (no prefix). */
static int format_header(int rank, const size_t *shape, char *out, size_t cap, size_t *len, xl_error *err)
{
    if (rank < 0 || rank > XL_NPY_MAX_RANK)
        return xl_fail(err, XL_ERR_USAGE, "rank %d outside 0..%d", rank, XL_NPY_MAX_RANK);
    size_t n = (size_t)snprintf(out, cap, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < rank; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%zu", i ? ", " : "", shape[i]);
    n += (size_t)snprintf(out + n, cap - n, "%s), }", rank == 1 ? "," : "");
    if (rank > 0) {
        char first[32];
        size_t digits = (size_t)snprintf(first, sizeof first, "%zu", shape[0]);
        for (size_t i = digits; i < NPY_GROWTH_AXIS_MAX_DIGITS; i++) out[n++] = ' ';
    }
    /* total = magic+version (8) + length field (2) + header incl. '\n';
     * numpy pads by ALIGN - (total % ALIGN), i.e. 1..64 spaces */
    size_t hlen = n + 1;
    size_t pad = NPY_ALIGN - ((NPY_MAGIC_LEN + 2 + 2 + hlen) % NPY_ALIGN);
    memset(out + n, ' ', pad);
    n += pad;
    out[n++] = '\n';
    *len = n;
    return 0;
}

int xl_npy_write_header(FILE *f, const char *path, int rank, const size_t *shape, xl_error *err)
{
    char header[512]; /* rank <= 8 dims of <= 20 digits: < 400 bytes */
    size_t hlen = 0;
    if (format_header(rank, shape, header, sizeof header, &hlen, err) < 0) return xl_error_prefix(err, "%s", path);
    unsigned char prefix[10];
    memcpy(prefix, NPY_MAGIC, NPY_MAGIC_LEN);
    prefix[6] = 1; /* version 1.0 */
    prefix[7] = 0;
    prefix[8] = (unsigned char)(hlen & 0xFF);
    prefix[9] = (unsigned char)(hlen >> 8);
    if (xl_fwrite_exact(prefix, sizeof prefix, f, path, err) < 0) return -1;
    return xl_fwrite_exact(header, hlen, f, path, err);
}

int xl_npy_write_f32(FILE *f, const char *path, const float *data, size_t count, xl_error *err)
{
    unsigned char buf[NPY_BLOCK * 4];
    while (count > 0) {
        size_t k = count < NPY_BLOCK ? count : NPY_BLOCK;
        for (size_t i = 0; i < k; i++) {
            uint32_t u = float_bits(data[i]);
            buf[4 * i + 0] = (unsigned char)(u & 0xFF);
            buf[4 * i + 1] = (unsigned char)((u >> 8) & 0xFF);
            buf[4 * i + 2] = (unsigned char)((u >> 16) & 0xFF);
            buf[4 * i + 3] = (unsigned char)(u >> 24);
        }
        if (xl_fwrite_exact(buf, 4 * k, f, path, err) < 0) return -1;
        data += k;
        count -= k;
    }
    return 0;
}

static bool shape_count(int rank, const size_t *shape, size_t *count)
{
    size_t c = 1;
    for (int i = 0; i < rank; i++)
        if (!xl_mul_size(c, shape[i], &c)) return false;
    *count = c;
    return true;
}

int xl_npy_write(const char *path, const float *data, int rank, const size_t *shape, xl_error *err)
{
    if (rank < 0 || rank > XL_NPY_MAX_RANK)
        return xl_fail(err, XL_ERR_USAGE, "%s: rank %d outside 0..%d", path, rank, XL_NPY_MAX_RANK);
    size_t count, bytes;
    if (!shape_count(rank, shape, &count) || !xl_mul_size(count, 4, &bytes))
        return xl_fail(err, XL_ERR_USAGE, "%s: array shape too large", path);
    xl_output out;
    if (xl_output_open(&out, path, err) < 0) return -1;
    if (xl_npy_write_header(out.f, path, rank, shape, err) < 0 || xl_npy_write_f32(out.f, path, data, count, err) < 0) {
        xl_output_abort(&out);
        return -1;
    }
    return xl_output_commit(&out, err);
}

/* ----------------------------------------------------------------- read -- */

typedef struct {
    const unsigned char *s;
    size_t len, pos;
    const char *name;
    xl_error *err;
} hdr_parser;

static int hdr_fail(hdr_parser *h, const char *what)
{
    char shown[48];
    size_t o = 0;
    for (size_t i = h->pos; i < h->len && o + 5 < sizeof shown; i++) {
        unsigned char c = h->s[i];
        if (c >= 0x20 && c < 0x7F) shown[o++] = (char)c;
        else o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02X", c);
    }
    shown[o] = '\0';
    return xl_fail(h->err, XL_ERR_FORMAT, "%s: malformed .npy header: %s at header byte %zu (\"%s\")", h->name, what,
                   h->pos, shown);
}

static void hdr_ws(hdr_parser *h)
{
    while (h->pos < h->len && (h->s[h->pos] == ' ' || h->s[h->pos] == '\t' || h->s[h->pos] == '\n' ||
                               h->s[h->pos] == '\r'))
        h->pos++;
}

static bool hdr_eat(hdr_parser *h, char c)
{
    hdr_ws(h);
    if (h->pos < h->len && h->s[h->pos] == (unsigned char)c) {
        h->pos++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes ('...' or "..."). */
static int hdr_string(hdr_parser *h, const char **str, size_t *n)
{
    hdr_ws(h);
    if (h->pos >= h->len || (h->s[h->pos] != '\'' && h->s[h->pos] != '"')) return hdr_fail(h, "expected a string");
    unsigned char q = h->s[h->pos++];
    size_t start = h->pos;
    while (h->pos < h->len && h->s[h->pos] != q) {
        if (h->s[h->pos] == '\\' || h->s[h->pos] < 0x20) return hdr_fail(h, "unsupported character in string");
        h->pos++;
    }
    if (h->pos >= h->len) return hdr_fail(h, "unterminated string");
    *str = (const char *)h->s + start;
    *n = h->pos - start;
    h->pos++;
    return 0;
}

static bool hdr_word(hdr_parser *h, const char *w)
{
    hdr_ws(h);
    size_t n = strlen(w);
    if (h->len - h->pos >= n && memcmp(h->s + h->pos, w, n) == 0) {
        h->pos += n;
        return true;
    }
    return false;
}

/* (d0, d1, ...) with an optional trailing comma; Python 2's "3L" accepted. */
static int hdr_shape(hdr_parser *h, xl_npy_array *out)
{
    if (!hdr_eat(h, '(')) return hdr_fail(h, "expected '(' for the shape");
    out->rank = 0;
    for (;;) {
        if (hdr_eat(h, ')')) break;
        hdr_ws(h);
        if (h->pos >= h->len || h->s[h->pos] < '0' || h->s[h->pos] > '9') return hdr_fail(h, "expected a dimension");
        size_t v = 0;
        while (h->pos < h->len && h->s[h->pos] >= '0' && h->s[h->pos] <= '9') {
            if (!xl_mul_size(v, 10, &v) || !xl_add_size(v, (size_t)(h->s[h->pos] - '0'), &v))
                return hdr_fail(h, "dimension too large");
            h->pos++;
        }
        if (h->pos < h->len && h->s[h->pos] == 'L') h->pos++;
        if (out->rank == XL_NPY_MAX_RANK) return hdr_fail(h, "more than 8 dimensions");
        out->shape[out->rank++] = v;
        if (hdr_eat(h, ',')) continue;
        if (hdr_eat(h, ')')) {
            if (out->rank == 1) return hdr_fail(h, "a 1-tuple needs a trailing comma");
            break;
        }
        return hdr_fail(h, "expected ',' or ')' in the shape");
    }
    return 0;
}

static int parse_header(hdr_parser *h, xl_npy_array *out, bool *big_endian)
{
    bool have_descr = false, have_order = false, have_shape = false;
    if (!hdr_eat(h, '{')) return hdr_fail(h, "expected '{'");
    for (;;) {
        if (hdr_eat(h, '}')) break;
        const char *key, *val;
        size_t kn, vn;
        if (hdr_string(h, &key, &kn) < 0) return -1;
        if (!hdr_eat(h, ':')) return hdr_fail(h, "expected ':'");
        if (kn == 5 && memcmp(key, "descr", 5) == 0) {
            if (have_descr) return hdr_fail(h, "duplicate key 'descr'");
            have_descr = true;
            size_t at = h->pos;
            if (hdr_string(h, &val, &vn) < 0) return -1;
            if (vn == 3 && memcmp(val, "<f4", 3) == 0) *big_endian = false;
            else if (vn == 3 && memcmp(val, ">f4", 3) == 0) *big_endian = true;
            else {
                h->pos = at;
                return xl_fail(h->err, XL_ERR_FORMAT, "%s: unsupported .npy dtype '%.*s' (only float32: '<f4' or '>f4')",
                               h->name, (int)(vn > 32 ? 32 : vn), val);
            }
        } else if (kn == 13 && memcmp(key, "fortran_order", 13) == 0) {
            if (have_order) return hdr_fail(h, "duplicate key 'fortran_order'");
            have_order = true;
            if (hdr_word(h, "True"))
                return xl_fail(h->err, XL_ERR_FORMAT,
                               "%s: .npy array in Fortran order is not supported (save it C-contiguous)", h->name);
            if (!hdr_word(h, "False")) return hdr_fail(h, "expected True or False");
        } else if (kn == 5 && memcmp(key, "shape", 5) == 0) {
            if (have_shape) return hdr_fail(h, "duplicate key 'shape'");
            have_shape = true;
            if (hdr_shape(h, out) < 0) return -1;
        } else {
            h->pos -= 1;
            return hdr_fail(h, "unknown key");
        }
        if (hdr_eat(h, ',')) continue;
        if (hdr_eat(h, '}')) break;
        return hdr_fail(h, "expected ',' or '}'");
    }
    hdr_ws(h);
    if (h->pos != h->len) return hdr_fail(h, "unexpected text after the dictionary");
    if (!have_descr || !have_order || !have_shape)
        return xl_fail(h->err, XL_ERR_FORMAT, "%s: .npy header lacks '%s'", h->name,
                       !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    return 0;
}

int xl_npy_read_memory(const void *data, size_t len, const char *name, xl_npy_array *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    const unsigned char *b = data;
    if (name == NULL) name = "<memory>";
    if (len < NPY_MAGIC_LEN + 2 || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return xl_fail(err, XL_ERR_FORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", name);
    unsigned major = b[6], minor = b[7];
    size_t prefix, hlen;
    if (major == 1 && minor == 0) {
        prefix = 10;
        if (len < prefix) return xl_fail(err, XL_ERR_FORMAT, "%s: truncated .npy header", name);
        hlen = (size_t)b[8] | ((size_t)b[9] << 8);
    } else if ((major == 2 || major == 3) && minor == 0) {
        prefix = 12;
        if (len < prefix) return xl_fail(err, XL_ERR_FORMAT, "%s: truncated .npy header", name);
        uint32_t h32 = (uint32_t)b[8] | ((uint32_t)b[9] << 8) | ((uint32_t)b[10] << 16) | ((uint32_t)b[11] << 24);
        hlen = (size_t)h32; /* size_t has at least 32 bits on every host xlrec targets */
    } else {
        return xl_fail(err, XL_ERR_FORMAT, "%s: unsupported .npy format version %u.%u", name, major, minor);
    }
    if (hlen > len - prefix)
        return xl_fail(err, XL_ERR_FORMAT, "%s: .npy header of %zu bytes runs past the end of the file (%zu bytes)",
                       name, hlen, len);
    hdr_parser h = {b + prefix, hlen, 0, name, err};
    bool big_endian = false;
    if (parse_header(&h, out, &big_endian) < 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    size_t count, bytes, have = len - prefix - hlen;
    if (!shape_count(out->rank, out->shape, &count) || !xl_mul_size(count, 4, &bytes)) {
        memset(out, 0, sizeof *out);
        return xl_fail(err, XL_ERR_FORMAT, "%s: .npy shape's element count overflows (corrupt header?)", name);
    }
    if (bytes > have) {
        memset(out, 0, sizeof *out);
        return xl_fail(err, XL_ERR_FORMAT, "%s: .npy shape needs %zu bytes of data but the file holds %zu (truncated?)",
                       name, bytes, have);
    }
    if (bytes < have) {
        xl_fail(err, XL_ERR_FORMAT, "%s: %zu unexpected bytes after the .npy data", name, have - bytes);
        memset(out, 0, sizeof *out);
        return -1;
    }
    float *dst = xl_aligned_alloc(bytes ? bytes : 4, err);
    if (dst == NULL) {
        memset(out, 0, sizeof *out);
        return xl_error_prefix(err, "%s", name);
    }
    const unsigned char *src = b + prefix + hlen;
    for (size_t i = 0; i < count; i++, src += 4) {
        uint32_t u = big_endian
                         ? ((uint32_t)src[0] << 24) | ((uint32_t)src[1] << 16) | ((uint32_t)src[2] << 8) | src[3]
                         : (uint32_t)src[0] | ((uint32_t)src[1] << 8) | ((uint32_t)src[2] << 16) | ((uint32_t)src[3] << 24);
        dst[i] = bits_float(u);
    }
    out->count = count;
    out->data = dst;
    return 0;
}

/* While an array is read from a pipe or device: the magic first (/dev/zero fails at once). */
static int check_npy_magic(const unsigned char *head, size_t n, const char *path, xl_error *err)
{
    if (n < 6 || memcmp(head, "\x93NUMPY", 6) != 0) return xl_fail(err, XL_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    return 0;
}

int xl_npy_read(const char *path, xl_npy_array *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    xl_mapped_file m;
    if (xl_map_file_ex(&m, path, XL_READ_MAX_STREAM, "XL_READ_MAX_STREAM", 6, check_npy_magic, err) < 0) return -1;
    int rc = xl_npy_read_memory(m.data, m.size, path, out, err);
    xl_unmap_file(&m);
    return rc;
}

void xl_npy_free(xl_npy_array *a)
{
    if (a == NULL) return;
    xl_aligned_free(a->data);
    memset(a, 0, sizeof *a);
}
