/* wordpiece.h - BERT's WordPiece tokenizer with exact parity with
 * HuggingFace's native `tokenizers` library (BertTokenizerFast, AutoTokenizer):
 * BertNormalizer + BertPreTokenizer + WordPiece + [CLS]/[SEP] post-processing.
 *
 * Contract
 *   - Ids equal HuggingFace tokenizers 0.22.2, line for line, on every
 *     fixture in ../shared/fixtures/tokenizer and on every single code point
 *     (docs/tokenizer.md gives the algorithm step by step, the evidence and
 *     the departures of that library from the current Unicode standard).
 *   - A `wordpiece` is immutable once built: encode from any number of threads
 *     at once, each with its own `xl_wordpiece_encoding` (which holds the scratch
 *     memory, so encoding many lines allocates only while buffers grow).
 *   - Input text is UTF-8 of any length.  Ill-formed sequences never fail and
 *     never crash: each maximal ill-formed subpart is read as U+FFFD (the
 *     W3C/Unicode practice, as Python's errors="replace"), which clean_text
 *     then drops like HuggingFace drops U+FFFD.  NUL bytes are text (U+0000,
 *     also dropped by clean_text).
 *   - Offsets are byte offsets [start, end) into the text of the token's own
 *     sequence (text A or text B); special tokens added by the encoder have
 *     (0, 0).  xl_wordpiece_byte_to_char converts them to code point offsets (what
 *     Python's return_offsets_mapping gives).
 *   - Special tokens ([UNK] [CLS] [SEP] [PAD] [MASK] and any other added token)
 *     and their ids come from the loaded files; written literally in the text
 *     they are matched before normalisation, anywhere (also glued: "x[CLS]y"),
 *     as HuggingFace does for added tokens with normalized = false.
 */
#ifndef WORDPIECE_H
#define WORDPIECE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

#define WORDPIECE_MAX_INPUT_CHARS_DEFAULT 100

/* Normaliser and model settings (HF BertNormalizer, WordPiece model). */
typedef struct xl_wordpiece_options {
    bool lowercase;              /* BertNormalizer.lowercase (do_lower_case) */
    int strip_accents;           /* -1: follow lowercase (HF null), 0: no, 1: yes */
    bool clean_text;             /* drop controls, map whitespace to ' ' (default true) */
    bool tokenize_chinese_chars; /* handle_chinese_chars (default true) */
    const char *unk_token;       /* default "[UNK]"; must be in the vocabulary */
    const char *cls_token;       /* default "[CLS]" */
    const char *sep_token;       /* default "[SEP]" */
    const char *pad_token;       /* default "[PAD]" */
    const char *mask_token;      /* default "[MASK]" */
    const char *continuing_subword_prefix; /* default "##" */
    size_t max_input_chars_per_word;       /* default 100; longer words become [UNK] */
    size_t model_max_length;     /* from tokenizer_config.json; 0 = unknown (informative) */
} xl_wordpiece_options;

/* The defaults above (what BertTokenizer(vocab_file) uses: lowercase = true). */
void xl_wordpiece_options_default(xl_wordpiece_options *o);

typedef struct xl_wordpiece xl_wordpiece;

/* Build from an in-memory vocabulary: token i has id i (a later duplicate
 * replaces an earlier one for lookups, as HF's vocab.txt reader does).
 * lens may be NULL (then strlen).  The strings are copied.  cls/sep/pad/mask
 * tokens that are in the vocabulary become special (matched literally in
 * text); unk_token must be present.  Fails on an empty vocabulary, more than
 * INT32_MAX entries or an options problem. */
xl_wordpiece *xl_wordpiece_create(const char *const *tokens, const size_t *lens, size_t n_tokens,
                            const xl_wordpiece_options *opts, xl_error *err);

/* vocab.txt: one token per line, id = line number from 0, trailing white
 * space (and "\r") removed from each line.  opts may be NULL (defaults). */
xl_wordpiece *xl_wordpiece_load_vocab(const char *path, const xl_wordpiece_options *opts, xl_error *err);

/* HF tokenizer.json: WordPiece model (vocab, unk_token,
 * continuing_subword_prefix, max_input_chars_per_word), BertNormalizer flags,
 * added_tokens, and the [CLS]/[SEP] of the post-processor.  Other normaliser,
 * pre-tokenizer or model types are refused with a clear error. */
xl_wordpiece *xl_wordpiece_load_json(const char *path, xl_error *err);

/* Any of: a directory (tokenizer.json, else vocab.txt), a *.json file
 * (tokenizer.json), or a vocab.txt.  A tokenizer_config.json in the same
 * directory supplies do_lower_case, strip_accents, tokenize_chinese_chars,
 * model_max_length and the special token strings.  Then `lowercase_override`
 * (-1: keep, 0: cased, 1: lowercase + strip accents as HF's default) applies. */
xl_wordpiece *xl_wordpiece_load(const char *path, int lowercase_override, xl_error *err);

void xl_wordpiece_free(xl_wordpiece *wp);

/* What a HF tokenizer.json of a BERT WordPiece tokenizer says, for xl_wordpiece_json_write (the
 * writer `xlrec vocab train --tokenizer-json` and `xlrec export` share). */
typedef struct xl_wordpiece_json_spec {
    const char *const *added;   /* the added (special) tokens, in id order, with their ids */
    const int64_t *added_ids;
    size_t n_added;
    bool clean_text, handle_chinese_chars, lowercase;
    const char *strip_accents;  /* as written: "null", "true" or "false" */
    const char *cls, *sep;      /* the post-processor's tokens; cls_id or sep_id < 0: "post_processor": null */
    int64_t cls_id, sep_id;
    const char *unk, *prefix;   /* the model's unk_token and continuing_subword_prefix */
    int64_t max_input_chars_per_word;
    size_t n_vocab;             /* the vocabulary: token(ctx, i, &len) for id i, NULL to leave id i out */
    const char *(*token)(void *ctx, size_t i, size_t *len);
    void *ctx;
    bool final_newline;         /* end the file with "\n" */
} xl_wordpiece_json_spec;

/* Append the tokenizer.json of spec to b (as the BERT ones on the hub: added tokens, BertNormalizer,
 * BertPreTokenizer, TemplateProcessing [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1, WordPiece decoder
 * and model); xl_wordpiece_load_json reads it back. */
struct xl_buf;
int xl_wordpiece_json_write(struct xl_buf *b, const xl_wordpiece_json_spec *s, xl_error *err);

const xl_wordpiece_options *xl_wordpiece_get_options(const xl_wordpiece *wp);
size_t xl_wordpiece_vocab_size(const xl_wordpiece *wp); /* ids are in [0, size) */
/* -1 when absent. */
int32_t xl_wordpiece_token_to_id(const xl_wordpiece *wp, const char *token, size_t len);
/* The token (NUL-terminated; *len = its length, it may contain NUL); NULL for
 * an id without a token (out of range, or replaced by a duplicate). */
const char *xl_wordpiece_id_to_token(const xl_wordpiece *wp, int32_t id, size_t *len);

typedef enum { WORDPIECE_UNK, WORDPIECE_CLS, WORDPIECE_SEP, WORDPIECE_PAD, WORDPIECE_MASK } xl_wordpiece_special;
/* -1 when that token is not in the vocabulary (only [UNK] is required). */
int32_t xl_wordpiece_special_id(const xl_wordpiece *wp, xl_wordpiece_special which);

/* ------------------------------------------------------------------------ */
/* Encoding */

typedef enum {
    WORDPIECE_TRUNC_LONGEST_FIRST = 0, /* HF default for pairs */
    WORDPIECE_TRUNC_ONLY_FIRST,
    WORDPIECE_TRUNC_ONLY_SECOND
} xl_wordpiece_truncation;

typedef struct xl_wordpiece_encode_options {
    bool add_special_tokens;          /* [CLS] A [SEP] (B [SEP]); default true */
    size_t max_length;                /* 0 = no truncation; counts the special tokens */
    xl_wordpiece_truncation truncation;  /* how a pair is truncated */
} xl_wordpiece_encode_options;

void xl_wordpiece_encode_options_default(xl_wordpiece_encode_options *o);

/* One encoded sequence (or pair).  Arrays have `len` entries. */
typedef struct xl_wordpiece_encoding {
    size_t len;
    int32_t *ids;
    int32_t *type_ids;        /* 0 for [CLS] A [SEP], 1 for B [SEP] */
    uint8_t *attention_mask;  /* 1 for real tokens, 0 for padding */
    uint8_t *special_mask;    /* 1 for [CLS]/[SEP]/[PAD] added by the encoder */
    int8_t *sequence;         /* 0 = text A, 1 = text B, -1 = added special token */
    size_t *offsets;          /* 2*len: byte [start, end) in the token's own text */
    size_t n_truncated;       /* tokens removed by truncation */
    /* private */
    size_t cap;
    void *scratch;
} xl_wordpiece_encoding;

void xl_wordpiece_encoding_init(xl_wordpiece_encoding *e);
void xl_wordpiece_encoding_free(xl_wordpiece_encoding *e);

/* Encode text (and pair, when non-NULL) into *out (its previous content is
 * replaced).  opts may be NULL (defaults).  Fails only on allocation failure or
 * when max_length cannot hold the special tokens. */
int xl_wordpiece_encode(const xl_wordpiece *wp, const char *text, size_t len, const char *pair, size_t pair_len,
                     const xl_wordpiece_encode_options *opts, xl_wordpiece_encoding *out, xl_error *err);

/* Pad every encoding to the longest one (or to pad_to when larger): [PAD]
 * id, type id 0, attention 0, special 1, offsets (0, 0), on the right. */
int xl_wordpiece_pad_batch(const xl_wordpiece *wp, xl_wordpiece_encoding *encs, size_t n, size_t pad_to, xl_error *err);

/* Convert a byte offset into text[0..len) to a code point offset (each
 * ill-formed subpart counts as one, as it decodes to one U+FFFD). */
size_t xl_wordpiece_byte_to_char(const char *text, size_t len, size_t byte_offset);

/* ------------------------------------------------------------------------ */
/* The normaliser alone (for audits and tests): BertNormalizer applied to
 * text, UTF-8 appended to *out (NUL-terminated, malloc'd, caller frees).
 * Special tokens are not matched here. */
int xl_wordpiece_normalize(const xl_wordpiece *wp, const char *text, size_t len, char **out, size_t *out_len,
                        xl_error *err);

/* Steps 2-3 alone, what HF's trainer counts (Tokenizer::train normalises and
 * pre-tokenizes each sequence; it does not match added tokens, so neither does
 * this): BertNormalizer, then BertPreTokenizer, and fn(ctx, word, len) for each
 * word in order (UTF-8, not NUL-terminated, valid until fn returns).  `e`
 * only lends its scratch memory.  A nonzero return of fn stops the walk and is
 * returned; -1 with err set on allocation failure. */
typedef int (*xl_wordpiece_word_fn)(void *ctx, const char *word, size_t len);
int xl_wordpiece_pre_tokenize(const xl_wordpiece *wp, const char *text, size_t len, xl_wordpiece_encoding *e,
                           xl_wordpiece_word_fn fn, void *ctx, xl_error *err);

#endif /* WORDPIECE_H */
