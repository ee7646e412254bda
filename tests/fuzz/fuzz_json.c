/* fuzz_json.c - libFuzzer target for the JSON reader (src/core/xl_json.h).
 * The first byte picks the limits (depth, duplicate policy); the rest is the
 * document.  On success the tree is walked and its invariants checked: every
 * string NUL-terminated and valid UTF-8, object keys unique and found again by
 * xl_json_get, counts consistent.  On failure the message must carry a
 * position. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xl_json.h"
#include "xl_utf8.h"

static void check(const xl_json *v, int depth)
{
    if (depth > 100000) abort();
    switch (v->type) {
    case XL_JSON_STRING:
        if (v->u.string.data[v->u.string.len] != '\0') abort();
        if (!xl_utf8_validate(v->u.string.data, v->u.string.len, NULL, NULL)) abort();
        break;
    case XL_JSON_ARRAY:
        if (xl_json_count(v) != v->u.array.count) abort();
        for (size_t i = 0; i < v->u.array.count; i++) {
            if (xl_json_at(v, i) != v->u.array.items[i]) abort();
            check(v->u.array.items[i], depth + 1);
        }
        if (xl_json_at(v, v->u.array.count) != NULL) abort();
        break;
    case XL_JSON_OBJECT:
        for (size_t i = 0; i < v->u.object.count; i++) {
            const xl_json_member *m = &v->u.object.members[i];
            if (m->key[m->key_len] != '\0') abort();
            if (!xl_utf8_validate(m->key, m->key_len, NULL, NULL)) abort();
            /* keys are unique after the duplicate policy: a key without NUL
             * bytes must find exactly this member */
            if (strlen(m->key) == m->key_len && xl_json_get(v, m->key) != m->value) abort();
            check(m->value, depth + 1);
        }
        break;
    case XL_JSON_NUMBER:
        if (v->u.number.is_int && (double)v->u.number.int_value != v->u.number.value &&
            !(v->u.number.int_value == 0 && v->u.number.value == 0.0))
            abort();
        if (v->u.number.value - v->u.number.value != 0.0) abort(); /* finite */
        break;
    case XL_JSON_NULL:
    case XL_JSON_BOOL:
        break;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    xl_json_limits lim = {0, 0, XL_JSON_DUP_ERROR};
    uint8_t mode = data[0];
    lim.duplicates = (xl_json_dup_policy)(mode % 3);
    if (mode & 4) lim.max_depth = 1 + (mode >> 4);
    /* an exact-size copy so reads past the end are caught */
    size_t n = size - 1;
    char *text = malloc(n ? n : 1);
    if (text == NULL) return 0;
    memcpy(text, data + 1, n);
    xl_json_doc *doc = NULL;
    xl_error err;
    if (xl_json_parse(text, n, &lim, &doc, &err) == 0) {
        check(xl_json_root(doc), 0);
        xl_json_free(doc);
    } else {
        if (doc != NULL) abort();
        if (strncmp(err.msg, "line ", 5) != 0) abort();
    }
    free(text);
    return 0;
}
