/* xl_mo.h - reader for GNU gettext binary message catalogues (.mo files).
 *
 * Contract.  xl_mo_parse() validates a whole catalogue held in memory (the caller keeps the bytes alive)
 * and xl_mo_get() returns message i as pointers into those bytes; nothing is copied or allocated.
 * Layout (GNU gettext manual, "The Format of GNU MO Files"): a 28-byte header - magic 0x950412de in the
 * file's byte order (little- or big-endian), revision (major 0 or 1), N, offset of the original-string
 * table, offset of the translation table, hash-table size and offset - then two tables of N (length,
 * offset) pairs of 32-bit words.  An original string is [msgctxt EOT] msgid [NUL msgid_plural]; a
 * translation is msgstr[0] [NUL msgstr[1] ...].  Every count, offset and length is checked against the
 * file size (64-bit arithmetic, so it is safe with a 32-bit size_t); a violation is an XL_ERR_FORMAT
 * error naming the file and the entry.  The catalogue's charset is read from the header entry (the
 * message with an empty msgid); strings are returned in that charset, undecoded. */
#ifndef XL_MO_H
#define XL_MO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

typedef struct xl_mo_str {
    const char *s; /* not NUL-terminated in general: use len */
    size_t len;
} xl_mo_str;

typedef struct xl_mo_message {
    bool has_ctxt;      /* msgctxt present (it may be empty) */
    xl_mo_str ctxt;     /* msgctxt */
    xl_mo_str id;       /* msgid (empty for the header entry) */
    bool has_plural;    /* msgid_plural present */
    xl_mo_str plural;   /* msgid_plural */
    xl_mo_str str[2];   /* msgstr[0], msgstr[1] (len 0 when absent) */
    unsigned n_forms;   /* number of NUL-separated translation forms (>= 1) */
} xl_mo_message;

typedef struct xl_mo {
    const unsigned char *data;
    size_t len;
    bool big_endian;
    uint32_t n;           /* number of messages */
    uint32_t orig_off;    /* offset of the original-string table */
    uint32_t trans_off;   /* offset of the translation table */
    char charset[32];     /* from the header entry's Content-Type, "" when absent */
    const char *name;     /* for error messages */
} xl_mo;

/* Validate `len` bytes at `data` as a .mo catalogue (all table entries checked).  0 or -1. */
int xl_mo_parse(xl_mo *mo, const void *data, size_t len, const char *name, xl_error *err);

/* Message i (0 <= i < mo->n), already validated by xl_mo_parse, so this cannot fail. */
void xl_mo_get(const xl_mo *mo, uint32_t i, xl_mo_message *m);

/* True when the charset is UTF-8 or a subset (ASCII, or absent / the template's "CHARSET"). */
bool xl_mo_is_utf8(const xl_mo *mo);

/* True when the charset is ISO-8859-1 (Latin-1): each byte is the code point (`xlrec mo-dump` converts). */
bool xl_mo_is_latin1(const xl_mo *mo);

#endif
