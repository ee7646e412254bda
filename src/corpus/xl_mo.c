/* xl_mo.c - GNU gettext .mo catalogue reader (contract in xl_mo.h). */
#include "xl_mo.h"

#include <ctype.h>
#include <string.h>

static uint32_t rd32(const xl_mo *mo, uint64_t off)
{
    const unsigned char *p = mo->data + off;
    if (mo->big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | (uint32_t)p[0];
}

/* Entry i of the table at `table`: the string's bytes (checked by xl_mo_parse). */
static xl_mo_str entry(const xl_mo *mo, uint32_t table, uint32_t i)
{
    uint64_t at = (uint64_t)table + 8u * (uint64_t)i;
    xl_mo_str s;
    s.len = rd32(mo, at);
    s.s = (const char *)mo->data + rd32(mo, at + 4);
    return s;
}

static int check_table(const xl_mo *mo, uint32_t table, const char *which, xl_error *err)
{
    uint64_t end = (uint64_t)table + 8u * (uint64_t)mo->n;
    if (end > mo->len)
        return xl_fail(err, XL_ERR_FORMAT, "%s: %s table (%lu entries at offset %lu) runs past the end of the file (%lu bytes)",
                       mo->name, which, (unsigned long)mo->n, (unsigned long)table, (unsigned long)mo->len);
    for (uint32_t i = 0; i < mo->n; i++) {
        uint64_t at = (uint64_t)table + 8u * (uint64_t)i;
        uint64_t len = rd32(mo, at), off = rd32(mo, at + 4);
        if (off + len > mo->len)
            return xl_fail(err, XL_ERR_FORMAT, "%s: %s string %lu (offset %lu, length %lu) runs past the end of the file",
                           mo->name, which, (unsigned long)i, (unsigned long)off, (unsigned long)len);
    }
    return 0;
}

/* "charset=NAME" in the header entry's text, copied (lower-cased) into mo->charset. */
static void read_charset(xl_mo *mo)
{
    mo->charset[0] = '\0';
    for (uint32_t i = 0; i < mo->n; i++) {
        xl_mo_str id = entry(mo, mo->orig_off, i);
        if (id.len != 0) continue;
        xl_mo_str h = entry(mo, mo->trans_off, i);
        static const char key[] = "charset=";
        for (size_t p = 0; p + sizeof key - 1 <= h.len; p++) {
            if (memcmp(h.s + p, key, sizeof key - 1) != 0) continue;
            size_t q = p + sizeof key - 1, k = 0;
            while (q < h.len && k + 1 < sizeof mo->charset && !isspace((unsigned char)h.s[q]) && h.s[q] != ';')
                mo->charset[k++] = (char)tolower((unsigned char)h.s[q++]);
            mo->charset[k] = '\0';
            return;
        }
        return;
    }
}

int xl_mo_parse(xl_mo *mo, const void *data, size_t len, const char *name, xl_error *err)
{
    memset(mo, 0, sizeof *mo);
    mo->data = data;
    mo->len = len;
    mo->name = name ? name : "<memory>";
    if (len < 28) return xl_fail(err, XL_ERR_FORMAT, "%s: not a gettext .mo file (%lu bytes, header needs 28)", mo->name, (unsigned long)len);
    const unsigned char *p = data;
    if (p[0] == 0xde && p[1] == 0x12 && p[2] == 0x04 && p[3] == 0x95)
        mo->big_endian = false;
    else if (p[0] == 0x95 && p[1] == 0x04 && p[2] == 0x12 && p[3] == 0xde)
        mo->big_endian = true;
    else
        return xl_fail(err, XL_ERR_FORMAT, "%s: not a gettext .mo file (bad magic number)", mo->name);
    uint32_t revision = rd32(mo, 4);
    if ((revision >> 16) > 1)
        return xl_fail(err, XL_ERR_FORMAT, "%s: unsupported .mo major revision %lu", mo->name, (unsigned long)(revision >> 16));
    mo->n = rd32(mo, 8);
    mo->orig_off = rd32(mo, 12);
    mo->trans_off = rd32(mo, 16);
    if (check_table(mo, mo->orig_off, "original", err) < 0 || check_table(mo, mo->trans_off, "translation", err) < 0) return -1;
    read_charset(mo);
    return 0;
}

void xl_mo_get(const xl_mo *mo, uint32_t i, xl_mo_message *m)
{
    memset(m, 0, sizeof *m);
    xl_mo_str o = entry(mo, mo->orig_off, i);
    const char *eot = memchr(o.s, '\004', o.len);
    if (eot) {
        m->has_ctxt = true;
        m->ctxt.s = o.s;
        m->ctxt.len = (size_t)(eot - o.s);
        o.len -= m->ctxt.len + 1;
        o.s = eot + 1;
    }
    const char *nul = memchr(o.s, '\0', o.len);
    m->id.s = o.s;
    m->id.len = nul ? (size_t)(nul - o.s) : o.len;
    if (nul) {
        m->has_plural = true;
        m->plural.s = nul + 1;
        const char *end = memchr(nul + 1, '\0', o.len - m->id.len - 1);
        m->plural.len = end ? (size_t)(end - (nul + 1)) : o.len - m->id.len - 1;
    }
    xl_mo_str t = entry(mo, mo->trans_off, i);
    m->n_forms = 1;
    size_t pos = 0;
    for (unsigned f = 0;; f++) {
        const char *z = memchr(t.s + pos, '\0', t.len - pos);
        size_t flen = z ? (size_t)(z - (t.s + pos)) : t.len - pos;
        if (f < 2) {
            m->str[f].s = t.s + pos;
            m->str[f].len = flen;
        }
        if (!z) break;
        pos += flen + 1;
        m->n_forms++;
    }
}

bool xl_mo_is_utf8(const xl_mo *mo)
{
    const char *c = mo->charset;
    return c[0] == '\0' || strcmp(c, "utf-8") == 0 || strcmp(c, "utf8") == 0 || strcmp(c, "ascii") == 0 ||
           strcmp(c, "us-ascii") == 0 || strcmp(c, "ansi_x3.4-1968") == 0 || strcmp(c, "charset") == 0;
}

bool xl_mo_is_latin1(const xl_mo *mo)
{
    const char *c = mo->charset;
    return strcmp(c, "iso-8859-1") == 0 || strcmp(c, "iso8859-1") == 0 || strcmp(c, "latin1") == 0;
}
