/* train_ckpt.c - atomic, checksummed training checkpoints (train_ckpt.h).
 *
 * Layout (all integers little-endian):
 *   0   magic "XLRECKPT"                 8 bytes
 *   8   u32 version (1), u32 n_blocks
 *   16  u64 file_size                    the whole file, checksum included
 *   24  u64 config_len                   then config_len bytes of "key=value\n" text
 *       u64 counters[16]
 *       per block: u64 name_len, name bytes, u64 count, count x f32
 *   end u64 FNV-1a 64 of every byte before it */
#include "train_ckpt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"
#include "xl_io.h"
#include "xl_model.h"

typedef struct {
    FILE *f;
    const char *path;
    uint64_t hash, pos, size;
} stream;

static void fnv(stream *s, const void *p, size_t n)
{
    s->hash = xl_fnv1a64_more(s->hash, p, n);
    s->pos += n;
}

static int w_bytes(stream *s, const void *p, size_t n, xl_error *err)
{
    fnv(s, p, n);
    return xl_fwrite_exact(p, n, s->f, s->path, err);
}

static int w_u64(stream *s, uint64_t v, xl_error *err)
{
    unsigned char b[8];
    xl_le_put_u64(b, v);
    return w_bytes(s, b, 8, err);
}

/* floats as little-endian binary32, in chunks (byte-swapped copies on big-endian hosts) */
static int w_floats(stream *s, const float *x, size_t n, xl_error *err)
{
    enum { CHUNK = 16384 };
    uint32_t buf[CHUNK];
    const bool le = xl_host_is_little_endian();
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t m = n - i < CHUNK ? n - i : CHUNK;
        memcpy(buf, x + i, m * sizeof *buf);
        if (!le) xl_bswap32_array(buf, m);
        if (w_bytes(s, buf, m * sizeof *buf, err) < 0) return -1;
    }
    return 0;
}

static uint64_t file_size_of(const xl_ckpt *ck)
{
    uint64_t n = 8 + 4 + 4 + 8 + 8 + strlen(ck->config) + 8 * XL_CKPT_N_COUNTERS;
    for (size_t b = 0; b < ck->n_blocks; b++)
        n += 8 + strlen(ck->blocks[b].name) + 8 + 4 * (uint64_t)ck->blocks[b].count;
    return n + 8;
}

int xl_ckpt_write(const char *path, const xl_ckpt *ck, xl_error *err)
{
    if (ck->n_blocks > XL_CKPT_MAX_BLOCKS) return xl_fail(err, XL_ERR_USAGE, "%s: too many blocks", path);
    /* the output policy (xl_io.h): a temporary file beside PATH, fsync, rename over PATH at commit */
    xl_output out;
    if (xl_output_open(&out, path, err) < 0) return -1;
    stream s = {out.f, path, XL_FNV1A64_BASIS, 0, 0};
    unsigned char hdr[16];
    memcpy(hdr, XL_CKPT_MAGIC, 8);
    const uint32_t ver = XL_CKPT_VERSION, nb = (uint32_t)ck->n_blocks;
    for (int i = 0; i < 4; i++) {
        hdr[8 + i] = (unsigned char)(ver >> (8 * i));
        hdr[12 + i] = (unsigned char)(nb >> (8 * i));
    }
    int rc = w_bytes(&s, hdr, 16, err);
    if (rc == 0) rc = w_u64(&s, file_size_of(ck), err);
    if (rc == 0) rc = w_u64(&s, strlen(ck->config), err);
    if (rc == 0) rc = w_bytes(&s, ck->config, strlen(ck->config), err);
    for (int i = 0; i < XL_CKPT_N_COUNTERS && rc == 0; i++) rc = w_u64(&s, ck->counters[i], err);
    for (size_t b = 0; b < ck->n_blocks && rc == 0; b++) {
        const xl_ckpt_block *bl = &ck->blocks[b];
        rc = w_u64(&s, strlen(bl->name), err);
        if (rc == 0) rc = w_bytes(&s, bl->name, strlen(bl->name), err);
        if (rc == 0) rc = w_u64(&s, bl->count, err);
        if (rc == 0) rc = w_floats(&s, bl->data, bl->count, err);
    }
    if (rc == 0) {
        unsigned char b[8];
        xl_le_put_u64(b, s.hash);
        rc = xl_fwrite_exact(b, 8, out.f, path, err);
    }
    if (rc < 0) {
        xl_output_abort(&out);
        return -1;
    }
    return xl_output_commit(&out, err);
}

/* ---- reading ----------------------------------------------------------------------------------- */

static int r_bytes(stream *s, void *p, size_t n, const char *what, xl_error *err)
{
    if (s->size - s->pos < n + 8) /* every field is followed by at least the checksum */
        return xl_fail(err, XL_ERR_FORMAT, "%s: truncated checkpoint: %s at byte %llu runs past the end", s->path,
                       what, (unsigned long long)s->pos);
    if (fread(p, 1, n, s->f) != n)
        return xl_fail(err, XL_ERR_FORMAT, "%s: truncated checkpoint: cannot read %s at byte %llu", s->path, what,
                       (unsigned long long)s->pos);
    fnv(s, p, n);
    return 0;
}

static int r_u64(stream *s, uint64_t *v, const char *what, xl_error *err)
{
    unsigned char b[8];
    if (r_bytes(s, b, 8, what, err) < 0) return -1;
    *v = xl_le_u64(b);
    return 0;
}

/* The value of `key` in "key=value\n" text (NULL when absent); *len its length. */
static const char *config_value(const char *text, size_t text_len, const char *key, size_t key_len, size_t *len)
{
    size_t i = 0;
    while (i < text_len) {
        const char *line = text + i;
        const char *nl = memchr(line, '\n', text_len - i);
        size_t ll = nl ? (size_t)(nl - line) : text_len - i;
        if (ll > key_len && memcmp(line, key, key_len) == 0 && line[key_len] == '=') {
            *len = ll - key_len - 1;
            return line + key_len + 1;
        }
        i += ll + 1;
    }
    return NULL;
}

/* Compare two configurations key by key (both directions), naming the first difference. */
static int config_compare(const char *path, const char *saved, size_t saved_len, const char *here, xl_error *err)
{
    const size_t here_len = strlen(here);
    for (int pass = 0; pass < 2; pass++) {
        const char *a = pass ? saved : here, *b = pass ? here : saved;
        size_t a_len = pass ? saved_len : here_len, b_len = pass ? here_len : saved_len;
        for (size_t i = 0; i < a_len;) {
            const char *line = a + i;
            const char *nl = memchr(line, '\n', a_len - i);
            size_t ll = nl ? (size_t)(nl - line) : a_len - i;
            const char *eq = memchr(line, '=', ll);
            if (eq != NULL) {
                size_t kl = (size_t)(eq - line), vl_a = ll - kl - 1, vl_b;
                const char *vb = config_value(b, b_len, line, kl, &vl_b);
                const char *va = eq + 1;
                if (vb == NULL || vl_b != vl_a || memcmp(va, vb, vl_a) != 0) {
                    const char *vs = pass ? va : vb, *vh = pass ? vb : va;
                    size_t ls = pass ? vl_a : vl_b, lh = pass ? vl_b : vl_a;
                    return xl_fail(err, XL_ERR_FORMAT,
                                   "%s: checkpoint of another configuration: %.*s is %s%.*s%s in the checkpoint, "
                                   "%s%.*s%s here",
                                   path, (int)kl, line, vs ? "'" : "", vs ? (int)(ls > 200 ? 200 : ls) : 6,
                                   vs ? vs : "absent", vs ? "'" : "", vh ? "'" : "",
                                   vh ? (int)(lh > 200 ? 200 : lh) : 6, vh ? vh : "absent", vh ? "'" : "");
                }
            }
            i += ll + 1;
        }
    }
    return 0;
}

int xl_ckpt_read(const char *path, xl_ckpt *ck, xl_error *err)
{
    stream s = {NULL, path, XL_FNV1A64_BASIS, 0, 0};
    char *config = NULL;
    int rc = -1;
    s.f = xl_fopen(path, "rb", err);
    if (s.f == NULL) return -1;
    if (fseek(s.f, 0, SEEK_END) != 0) {
        xl_fail(err, XL_ERR_IO, "%s: cannot seek (a checkpoint must be a regular file)", path);
        goto done;
    }
    long end = ftell(s.f);
    if (end < 0 || fseek(s.f, 0, SEEK_SET) != 0) {
        xl_fail(err, XL_ERR_IO, "%s: cannot determine the file size", path);
        goto done;
    }
    s.size = (uint64_t)end;
    if (s.size < 40 + 8 * XL_CKPT_N_COUNTERS) {
        xl_fail(err, XL_ERR_FORMAT, "%s: not a checkpoint (%llu bytes: truncated or another file)", path,
                (unsigned long long)s.size);
        goto done;
    }
    unsigned char hdr[16];
    if (r_bytes(&s, hdr, 16, "header", err) < 0) goto done;
    if (memcmp(hdr, XL_CKPT_MAGIC, 8) != 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: not an xlrec checkpoint (bad magic)", path);
        goto done;
    }
    uint32_t ver = 0, nb = 0;
    for (int i = 3; i >= 0; i--) {
        ver = (ver << 8) | hdr[8 + i];
        nb = (nb << 8) | hdr[12 + i];
    }
    if (ver != XL_CKPT_VERSION) {
        xl_fail(err, XL_ERR_FORMAT, "%s: checkpoint format version %u, this xlrec reads version %u", path, ver,
                XL_CKPT_VERSION);
        goto done;
    }
    uint64_t recorded, config_len;
    if (r_u64(&s, &recorded, "file size", err) < 0) goto done;
    if (recorded != s.size) {
        xl_fail(err, XL_ERR_FORMAT, "%s: truncated or extended checkpoint: header says %llu bytes, file has %llu",
                path, (unsigned long long)recorded, (unsigned long long)s.size);
        goto done;
    }
    if (r_u64(&s, &config_len, "configuration length", err) < 0) goto done;
    if (config_len > XL_CKPT_MAX_CONFIG || config_len > s.size - s.pos) {
        xl_fail(err, XL_ERR_FORMAT, "%s: configuration length %llu is out of range", path,
                (unsigned long long)config_len);
        goto done;
    }
    config = xl_malloc((size_t)config_len + 1, err);
    if (config == NULL || r_bytes(&s, config, (size_t)config_len, "configuration", err) < 0) goto done;
    config[config_len] = '\0';
    if (config_compare(path, config, (size_t)config_len, ck->config, err) < 0) goto done;
    if (nb != ck->n_blocks) {
        xl_fail(err, XL_ERR_FORMAT, "%s: %u data blocks, expected %zu", path, nb, ck->n_blocks);
        goto done;
    }
    for (int i = 0; i < XL_CKPT_N_COUNTERS; i++)
        if (r_u64(&s, &ck->counters[i], "counters", err) < 0) goto done;
    for (size_t b = 0; b < ck->n_blocks; b++) {
        xl_ckpt_block *bl = &ck->blocks[b];
        uint64_t name_len, count;
        char name[64];
        if (r_u64(&s, &name_len, "block name length", err) < 0) goto done;
        if (name_len >= sizeof name) {
            xl_fail(err, XL_ERR_FORMAT, "%s: block %zu: name length %llu out of range", path, b,
                    (unsigned long long)name_len);
            goto done;
        }
        if (r_bytes(&s, name, (size_t)name_len, "block name", err) < 0) goto done;
        name[name_len] = '\0';
        if (strcmp(name, bl->name) != 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: block %zu is '%s', expected '%s'", path, b, name, bl->name);
            goto done;
        }
        if (r_u64(&s, &count, "block size", err) < 0) goto done;
        if (count != bl->count) {
            xl_fail(err, XL_ERR_FORMAT, "%s: block '%s' holds %llu floats, expected %zu", path, name,
                    (unsigned long long)count, bl->count);
            goto done;
        }
        if (count > (s.size - s.pos) / 4) {
            xl_fail(err, XL_ERR_FORMAT, "%s: truncated checkpoint: block '%s' runs past the end", path, name);
            goto done;
        }
        if (r_bytes(&s, bl->data, (size_t)count * 4, name, err) < 0) goto done;
        if (!xl_host_is_little_endian()) xl_bswap32_array(bl->data, (size_t)count);
    }
    unsigned char tail[8];
    if (s.size - s.pos != 8) {
        xl_fail(err, XL_ERR_FORMAT, "%s: %llu unexpected bytes before the checksum", path,
                (unsigned long long)(s.size - s.pos - 8));
        goto done;
    }
    if (fread(tail, 1, 8, s.f) != 8) {
        xl_fail(err, XL_ERR_FORMAT, "%s: truncated checkpoint: no checksum", path);
        goto done;
    }
    if (xl_le_u64(tail) != s.hash) {
        xl_fail(err, XL_ERR_FORMAT, "%s: checksum mismatch: the checkpoint is corrupted", path);
        goto done;
    }
    rc = 0;
done:
    free(config);
    fclose(s.f);
    return rc;
}
