/* xl_idmap.h - string -> dense index map: names numbered 0, 1, 2 ... in order of first insertion
 * (the external user and item ids of the recommender, the rows of an evaluation's lists).
 *
 * Contract
 *   - xl_idmap_intern returns the index of a name, giving the next index to a new one; indices never
 *     change and the map owns a NUL-terminated copy of every name (names[i]).
 *   - Names are byte strings of any content but NUL; lookups compare bytes exactly.
 *   - Open addressing over FNV-1a (xl_bytes.h), load factor at most 1/2; at most 2^32 - 2 names.
 *   - Not thread-safe for writes; any number of readers once built.
 */
#ifndef XL_IDMAP_H
#define XL_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

typedef struct xl_idmap {
    size_t n, cap;     /* n names; cap slots (power of two) */
    uint32_t *slots;   /* index+1, 0 = empty */
    char **names;      /* n names, owned */
    size_t names_cap;
} xl_idmap;

void xl_idmap_init(xl_idmap *m);
void xl_idmap_free(xl_idmap *m);
/* Index of name, or -1. */
long xl_idmap_find(const xl_idmap *m, const char *name, size_t len);
/* Index of name, inserting it when new (*added set when given); -1 on failure (err set). */
long xl_idmap_intern(xl_idmap *m, const char *name, size_t len, bool *added, xl_error *err);

#endif /* XL_IDMAP_H */
