/* xl_idmap.c - see xl_idmap.h */
#include "xl_idmap.h"

#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_bytes.h"

void xl_idmap_init(xl_idmap *m)
{
    memset(m, 0, sizeof *m);
}

void xl_idmap_free(xl_idmap *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->names[i]);
    free(m->names);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

long xl_idmap_find(const xl_idmap *m, const char *name, size_t len)
{
    if (!m->cap) return -1;
    size_t mask = m->cap - 1;
    for (size_t s = (size_t)xl_fnv1a64(name, len) & mask;; s = (s + 1) & mask) {
        uint32_t v = m->slots[s];
        if (!v) return -1;
        const char *c = m->names[v - 1];
        if (strlen(c) == len && memcmp(c, name, len) == 0) return (long)(v - 1);
    }
}

long xl_idmap_intern(xl_idmap *m, const char *name, size_t len, bool *added, xl_error *err)
{
    if (added) *added = false;
    long found = xl_idmap_find(m, name, len);
    if (found >= 0) return found;
    if (m->n >= UINT32_MAX - 1) return xl_fail(err, XL_ERR_LIMIT, "more than 2^32-2 distinct ids");
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint32_t *slots = xl_calloc(cap, sizeof *slots, err);
        if (!slots) return -1;
        for (size_t i = 0; i < m->n; i++) {
            size_t s = (size_t)xl_fnv1a64(m->names[i], strlen(m->names[i])) & (cap - 1);
            while (slots[s]) s = (s + 1) & (cap - 1);
            slots[s] = (uint32_t)i + 1;
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    char **names = xl_array_reserve(m->names, &m->names_cap, m->n + 1, 1024, err);
    if (!names) return -1;
    m->names = names;
    char *copy = xl_strndup(name, len, err);
    if (!copy) return -1;
    size_t s = (size_t)xl_fnv1a64(name, len) & (m->cap - 1);
    while (m->slots[s]) s = (s + 1) & (m->cap - 1);
    m->slots[s] = (uint32_t)m->n + 1;
    m->names[m->n] = copy;
    if (added) *added = true;
    return (long)m->n++;
}
