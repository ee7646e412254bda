/* xl_json.h - a strict, bounded JSON reader (RFC 8259) for HuggingFace
 * config.json, tokenizer.json (multi-MB) and safetensors headers.
 *
 * Contract
 *   - Parses the whole text into a read-only tree owned by an xl_json_doc
 *     (one arena; freeing the doc frees every node and string).
 *   - Strict RFC 8259: no comments, no trailing commas, no single quotes, no
 *     leading zeros, no NaN/Infinity, no control characters in strings,
 *     exactly one top-level value surrounded only by white space.
 *   - Strings: every escape including \uXXXX surrogate pairs is decoded to
 *     UTF-8; a lone surrogate escape is an error; raw bytes must be
 *     well-formed UTF-8.  Decoded strings may contain NUL (\u0000): use `len`.
 *   - Numbers: kept as double; integers that fit are also kept exactly as
 *     int64 (is_int) so tensor offsets never lose precision.
 *   - Limits (xl_json_limits, 0 = default): nesting depth (default 512),
 *     input size (default 1 GiB).  Duplicate object keys are an error by
 *     default (XL_JSON_DUP_ERROR) or resolved last-wins / first-wins.
 *   - Errors give the position: "line 3, column 17 (byte 52): expected ':'".
 *     Lines and columns are 1-based (columns count code points), the byte
 *     offset is 0-based.
 *   - Duplicates under LAST_WINS/FIRST_WINS keep one member, at the position
 *     of the first occurrence (as Python's json module does).
 *   - Lookup: xl_json_get is a hash lookup for objects with at least
 *     XL_JSON_INDEX_MIN members (tokenizer.json's 120k-key vocab), linear
 *     below.  Numbers must be finite: 1e999 is an error (out of range).
 */
#ifndef XL_JSON_H
#define XL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

typedef enum {
    XL_JSON_NULL,
    XL_JSON_BOOL,
    XL_JSON_NUMBER,
    XL_JSON_STRING,
    XL_JSON_ARRAY,
    XL_JSON_OBJECT
} xl_json_type;

typedef struct xl_json xl_json;

/* One member of an object. */
typedef struct xl_json_member {
    const char *key; /* NUL-terminated UTF-8 (may contain NUL: see key_len) */
    size_t key_len;
    xl_json *value;
} xl_json_member;

struct xl_json {
    xl_json_type type;
    union {
        bool boolean;
        struct {
            double value;
            int64_t int_value; /* valid when is_int */
            bool is_int;       /* written without fraction/exponent and fits int64 */
        } number;
        struct {
            const char *data; /* NUL-terminated */
            size_t len;
        } string;
        struct {
            xl_json **items;
            size_t count;
        } array;
        struct {
            xl_json_member *members; /* in document order */
            size_t count;
            /* internal: open-addressing hash index (member index + 1, 0 =
             * empty) over the members of objects with at least
             * XL_JSON_INDEX_MIN members, NULL for smaller ones.  Its size is
             * the smallest power of two >= 2*count. */
            const uint32_t *index;
        } object;
    } u;
    size_t offset; /* byte offset of the value in the input (for messages) */
};

#define XL_JSON_INDEX_MIN 16

typedef enum { XL_JSON_DUP_ERROR = 0, XL_JSON_DUP_LAST_WINS, XL_JSON_DUP_FIRST_WINS } xl_json_dup_policy;

typedef struct xl_json_limits {
    size_t max_depth;      /* 0 = 512 */
    size_t max_input;      /* bytes; 0 = 1 GiB */
    xl_json_dup_policy duplicates;
} xl_json_limits;

typedef struct xl_json_doc xl_json_doc;

/* Parse text[0..len).  limits may be NULL for the defaults.  On success
 * *doc owns the tree; xl_json_root(*doc) is the top-level value. */
int xl_json_parse(const char *text, size_t len, const xl_json_limits *limits, xl_json_doc **doc, xl_error *err);
const xl_json *xl_json_root(const xl_json_doc *doc);
void xl_json_free(xl_json_doc *doc);

/* Convenience accessors; all accept NULL and return NULL / false on a type
 * mismatch, so lookups can be chained and checked once. */
const xl_json *xl_json_get(const xl_json *object, const char *key);
const xl_json *xl_json_at(const xl_json *array, size_t index);
size_t xl_json_count(const xl_json *array_or_object);
bool xl_json_is(const xl_json *v, xl_json_type type);
const char *xl_json_string(const xl_json *v); /* NULL unless a string */
bool xl_json_get_int(const xl_json *object, const char *key, int64_t *out);       /* integral number */
bool xl_json_get_double(const xl_json *object, const char *key, double *out);     /* any number */
bool xl_json_get_bool(const xl_json *object, const char *key, bool *out);
const char *xl_json_get_string(const xl_json *object, const char *key);
const char *xl_json_type_name(xl_json_type type);

/* Writing: the JSON string literal of s[0..n) appended to b, as serde_json and
 * Python's json.dumps(ensure_ascii=False) write it: '"' and '\\' escaped, \n \r \t
 * as short escapes, other bytes below 0x20 as \u00XX, every other byte (UTF-8)
 * as is.  The caller gives valid UTF-8.  0 or -1 (allocation, in err). */
struct xl_buf;
int xl_json_put_string(struct xl_buf *b, const char *s, size_t n, xl_error *err);
/* The same for the NUL-terminated string s (the report writers' names, paths, subsets). */
int xl_json_put_cstr(struct xl_buf *b, const char *s, xl_error *err);

#endif /* XL_JSON_H */
