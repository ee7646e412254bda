/* xl_text.h - text preprocessing: cleaning, Unicode normalisation (NFC, NFD,
 * NFKC, NFKD), case folding, punctuation/digit removal, word segmentation and
 * per-character script detection.  Used by every text consumer (langid,
 * n-gram LMs, tokenizers) and by `xlrec normalize`.
 *
 * Contract
 *   - Input is UTF-8 of any length; ill-formed sequences are replaced by
 *     U+FFFD (W3C maximal-subpart practice, xl_utf8_repair) - never an error.
 *   - Output is appended to a caller-owned xl_buf (NUL-terminated); functions
 *     return 0, or -1 only when memory runs out (err says so).
 *   - Normalisation implements UAX #15 / Unicode 15.0 section 3.11 exactly
 *     (full decomposition D68/D65, canonical ordering D109, canonical
 *     composition D117 with the blocking rule D115 and Full_Composition_
 *     Exclusion) over the UCD tables of tokenizer/xl_unicode.h; it passes the
 *     official NormalizationTest.txt (tests/test_text.c).
 *   - Case folding is full default case folding (CaseFolding.txt C+F,
 *     Python's str.casefold()); after folding the text is normalised again to
 *     the requested form, so the output of xl_text_preprocess is always in
 *     that form (Unicode 3.13 D145 notes folding does not preserve it).
 *   - Segmentation writes tokens separated by single U+0020 spaces.
 *   - Nothing here keeps global state; a dictionary (xl_text_dict) is
 *     read-only after loading and may be shared between threads.
 */
#ifndef XL_TEXT_H
#define XL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_alloc.h"
#include "xl_error.h"
#include "xl_unicode.h"

/* ------------------------------------------------------------------------ */
/* Growable array of code points (UTF-32), the working form of this module. */
typedef struct xl_u32buf {
    uint32_t *data;
    size_t len, cap;
} xl_u32buf;

void xl_u32buf_init(xl_u32buf *b);
void xl_u32buf_free(xl_u32buf *b);
int xl_u32buf_reserve(xl_u32buf *b, size_t extra, xl_error *err);
int xl_u32buf_push(xl_u32buf *b, uint32_t cp, xl_error *err);

/* Decode UTF-8 (repairing ill-formed input to U+FFFD) and append to out. */
int xl_text_decode(const char *s, size_t len, xl_u32buf *out, xl_error *err);
/* Encode code points as UTF-8 and append to out (surrogates and values
 * above U+10FFFF, which decoding never produces, are written as U+FFFD). */
int xl_text_encode(const uint32_t *cps, size_t n, xl_buf *out, xl_error *err);

/* ------------------------------------------------------------------------ */
/* Normalisation forms (UAX #15). */
typedef enum xl_norm_form {
    XL_NORM_NONE = 0,
    XL_NORM_NFC,
    XL_NORM_NFD,
    XL_NORM_NFKC,
    XL_NORM_NFKD
} xl_norm_form;

/* Name ("NFC") and parse ("nfc", case-insensitive; -1 when unknown). */
const char *xl_norm_form_name(xl_norm_form form);
int xl_norm_form_from_name(const char *name);

/* Normalise in[0..n) and append the result to out.  in and out must not
 * overlap.  XL_NORM_NONE copies. */
int xl_text_normalize_cps(const uint32_t *in, size_t n, xl_norm_form form, xl_u32buf *out, xl_error *err);
/* Same on UTF-8. */
int xl_text_normalize(const char *s, size_t len, xl_norm_form form, xl_buf *out, xl_error *err);

/* ------------------------------------------------------------------------ */
/* Cleaning steps on code points (each appends to out; in and out distinct).
 *
 * xl_text_decode_entities: HTML character references.  Numeric ones
 * (&#233; &#xE9;) follow the HTML5 rules: 0, surrogates and values above
 * U+10FFFF become U+FFFD, C1 values 0x80-0x9F map through windows-1252.  The
 * named ones are the XML five plus the HTML 4 Latin-1, symbol and special
 * sets (252 names, e.g. &nbsp; &eacute; &mdash; &euro;).  The terminating ';'
 * is required; an unknown name is left as written. */
int xl_text_decode_entities(const uint32_t *in, size_t n, xl_u32buf *out, xl_error *err);

/* Options of xl_text_preprocess; zero-initialised = clean only. */
typedef struct xl_text_options {
    bool decode_entities; /* HTML character references (above) */
    xl_norm_form form;    /* normalisation applied after cleaning (NONE = keep) */
    bool casefold;        /* full case folding (C+F) */
    bool strip_punct;     /* General_Category P* -> space */
    bool strip_digits;    /* General_Category Nd -> space */
    bool keep_newlines;   /* keep U+000A (line structure) instead of mapping to space */
} xl_text_options;

/* The whole cleaning pipeline on one piece of text, in this order:
 *   1. UTF-8 repair (ill-formed -> U+FFFD);
 *   2. HTML entities (if decode_entities);
 *   3. controls (Cc) -> space, except that TAB/LF/CR/VT/FF/NEL are white
 *      space anyway; format characters (Cf: soft hyphen, ZWSP, BOM, bidi
 *      controls...) are deleted, except ZWNJ U+200C and ZWJ U+200D, which
 *      change the spelling of Persian, Indic and emoji sequences and stay;
 *      noncharacters and U+FFFD are kept (they are data, not formatting);
 *   4. normalisation to `form`;
 *   5. case folding (then re-normalisation to `form`);
 *   6. punctuation / digit removal (replaced by a space so words stay apart);
 *   7. White_Space runs -> one U+0020, trimmed at both ends.
 * Appends UTF-8 to out. */
int xl_text_preprocess(const char *s, size_t len, const xl_text_options *opts, xl_buf *out, xl_error *err);

/* ------------------------------------------------------------------------ */
/* Script detection (UAX #24 Script property). */

/* Script of one code point (Scripts.txt): thin wrapper for symmetry. */
static inline xl_uc_script xl_text_script(uint32_t cp) { return xl_uc_script_of(cp); }

/* True for scripts written without spaces between words, which are
 * segmented per character (or by dictionary): Han, Hiragana, Katakana,
 * Bopomofo, Thai, Lao, Khmer, Myanmar, Tibetan. */
bool xl_text_script_unspaced(xl_uc_script sc);

/* A maximal run of text in one script.  Common and Inherited characters
 * (spaces, punctuation, digits, combining marks) take the script of the run
 * they follow, or of the first real script when they start the text (UAX #24
 * section 5.1, simplified: no bracket pairing).  Hiragana, Katakana and Han
 * are NOT merged: callers that want "Japanese" runs merge them. */
typedef struct xl_script_run {
    size_t begin, end; /* byte offsets into the UTF-8 text, end exclusive */
    xl_uc_script script;
} xl_script_run;

/* Split text into script runs; *runs is allocated (free() it), *n_runs set.
 * Text without any script character gives one run of script Common (or zero
 * runs when len == 0). */
int xl_text_script_runs(const char *s, size_t len, xl_script_run **runs, size_t *n_runs, xl_error *err);

/* ------------------------------------------------------------------------ */
/* Word segmentation. */
typedef enum xl_segment_mode {
    XL_SEG_NONE = 0, /* no change */
    XL_SEG_CHAR,     /* alphabetic scripts: split at white space and around punctuation;
                        unspaced scripts (xl_text_script_unspaced): one token per character */
    XL_SEG_MAXMATCH  /* as CHAR, but runs of Han/Hiragana/Katakana/Thai... are split by
                        forward maximum matching against a dictionary */
} xl_segment_mode;

/* A word list for maximum matching: one word per line (text after a TAB is
 * ignored, so `cut -f2 cedict.tsv` and plain lists both work); blank lines
 * and lines starting with '#' are skipped; words are NFC-normalised. */
typedef struct xl_text_dict xl_text_dict;

int xl_text_dict_load(const char *path, xl_text_dict **dict, xl_error *err);
/* Build from memory (tests, fuzzing): same format as the file. */
int xl_text_dict_from_memory(const char *data, size_t len, xl_text_dict **dict, xl_error *err);
bool xl_text_dict_contains(const xl_text_dict *dict, const uint32_t *cps, size_t n);
size_t xl_text_dict_size(const xl_text_dict *dict);
/* Longest word in code points. */
size_t xl_text_dict_max_len(const xl_text_dict *dict);
void xl_text_dict_free(xl_text_dict *dict);

/* Segment UTF-8 text; dict is required for XL_SEG_MAXMATCH (ignored
 * otherwise).  Tokens are appended to out separated by one space. */
int xl_text_segment(const char *s, size_t len, xl_segment_mode mode, const xl_text_dict *dict, xl_buf *out,
                    xl_error *err);

#endif /* XL_TEXT_H */
