/* wordpiece.c - see wordpiece.h and docs/tokenizer.md (the algorithm step by
 * step).  Pipeline for one text, as HuggingFace tokenizers runs it:
 *   1. added tokens ([CLS], [UNK], ...) matched in the raw text, leftmost-longest;
 *   2. each remaining segment: BertNormalizer (clean_text, handle_chinese_chars,
 *      strip_accents = NFD + drop Mn, lowercase), in that order;
 *   3. BertPreTokenizer: split on whitespace (removed), isolate punctuation;
 *   4. WordPiece: greedy longest-match-first with the "##" prefix, words over
 *      max_input_chars_per_word chars or with an unmatched piece -> [UNK];
 *   5. post-processing: [CLS] A [SEP] (B [SEP]), truncation, padding.
 * This file holds steps 1, 3, 4 and 5; the vocabulary is in wordpiece_vocab.c, the HF file loaders in
 * wordpiece_json.c, step 2 in wordpiece_normalize.c (wordpiece_internal.h). */
#include "wordpiece.h"

#include <stdlib.h>
#include <string.h>

#include "wordpiece_internal.h"
#include "xl_alloc.h"
#include "xl_platform.h"
#include "xl_unicode.h"
#include "xl_utf8.h"

void xl_wordpiece_encoding_init(xl_wordpiece_encoding *e) { memset(e, 0, sizeof *e); }

void xl_wordpiece_encoding_free(xl_wordpiece_encoding *e)
{
    if (!e) return;
    free(e->ids);
    free(e->type_ids);
    free(e->attention_mask);
    free(e->special_mask);
    free(e->sequence);
    free(e->offsets);
    xl_wp_scratch_free(e->scratch);
    memset(e, 0, sizeof *e);
}

/* ------------------------------------------------------------------------ */
/* step 4: WordPiece on the word cp[w0, w1) */

static int wordpiece_word(const xl_wordpiece *wp, scratch *s, size_t w0, size_t w1, int which, xl_error *err)
{
    size_t n_chars = w1 - w0;
    const int32_t unk = wp->special_ids[WORDPIECE_UNK];
    if (n_chars > wp->opts.max_input_chars_per_word)
        return push_tok(s, which, unk, s->src0[w0], s->src1[w1 - 1], err);
    const size_t P = wp->prefix_len;
    if (xl_wp_grow((void **)&s->word, &s->word_cap, P + n_chars * 4 + 1, 1, err) < 0) return -1;
    if (xl_wp_grow((void **)&s->bound, &s->bound_cap, n_chars + 1, sizeof *s->bound, err) < 0) return -1;
    char *w = s->word + P; /* the word; the P bytes before it take the prefix */
    size_t len = 0;
    for (size_t k = 0; k < n_chars; k++) {
        s->bound[k] = len;
        uint32_t cp = s->cp[w0 + k];
        if (cp < 0x80) w[len++] = (char)cp;
        else len += xl_utf8_encode(cp, (unsigned char *)w + len);
    }
    s->bound[n_chars] = len;
    size_t n_before = s->n_toks[which];
    size_t start = 0;
    while (start < n_chars) {
        /* HF tries every end from the longest down and takes the first piece in
         * the vocabulary (with the prefix unless at the word start): the same
         * as the longest vocabulary token that is a prefix of the rest, which a
         * walk down the byte trie finds in one pass.  Vocabulary tokens are
         * valid UTF-8, so a match always ends on a character boundary. */
        int64_t node = start ? wp->prefix_node : 0;
        int32_t id = -1;
        size_t end_byte = 0, pos = s->bound[start];
        while (node >= 0 && pos < len) {
            node = trie_step(wp, (uint64_t)node, (unsigned char)w[pos]);
            pos++;
            if (node >= 0 && wp->node_id[node] >= 0) {
                id = wp->node_id[node];
                end_byte = pos;
            }
        }
        if (id < 0) {
            s->n_toks[which] = n_before;
            return push_tok(s, which, unk, s->src0[w0], s->src1[w1 - 1], err);
        }
        size_t end = start + 1;
        while (s->bound[end] < end_byte) end++;
        if (push_tok(s, which, id, s->src0[w0 + start], s->src1[w0 + end - 1], err) < 0) return -1;
        start = end;
    }
    return 0;
}

/* step 3: BertPreTokenizer over the normalised segment, then WordPiece */
static int pretokenize_and_encode(const xl_wordpiece *wp, scratch *s, int which, xl_error *err)
{
    size_t n = s->n_cp, w0 = 0;
    for (size_t x = 0; x < n; x++) {
        uint32_t cp = s->cp[x];
        unsigned cls = char_class(wp, cp);
        if (cls & XL_BERT_WHITESPACE) {
            if (x > w0 && wordpiece_word(wp, s, w0, x, which, err) < 0) return -1;
            w0 = x + 1;
        } else if (cls & XL_BERT_PUNCT) {
            if (x > w0 && wordpiece_word(wp, s, w0, x, which, err) < 0) return -1;
            if (wordpiece_word(wp, s, x, x + 1, which, err) < 0) return -1;
            w0 = x + 1;
        }
    }
    if (n > w0 && wordpiece_word(wp, s, w0, n, which, err) < 0) return -1;
    return 0;
}

/* Normalisation works on chunks of about WORDPIECE_CHUNK bytes, so its per-code-point arrays stay
 * small however long the line: a chunk ends just before a white-space or punctuation character
 * (or a CJK ideograph when those are spaced), where the pre-tokenizer splits words anyway, and
 * only before a starter (ccc 0: NFD's canonical reordering never crosses it; lowercasing is per
 * code point, as in HF's BertNormalizer).  A run without such a character (one "word" of letters
 * longer than the chunk) is kept whole. */
#define WORDPIECE_CHUNK ((size_t)65536)
/* A character where the pre-tokenizer splits and a chunk may end (a starter). */
static bool is_split_char(const xl_wordpiece *wp, uint32_t cp)
{
    const unsigned splits = XL_BERT_WHITESPACE | XL_BERT_PUNCT | (wp->opts.tokenize_chinese_chars ? XL_BERT_CJK : 0);
    unsigned cls = char_class(wp, cp);
    return (cls & splits) && !(cls & XL_BERT_CONTROL) && xl_uc_bert_ccc(cp) == 0;
}

/* The code point at text[i] (i < to) as normalize_segment decodes it; the bytes it takes. */
static size_t decode_at(const char *text, size_t i, size_t to, uint32_t *cp)
{
    unsigned char c = (unsigned char)text[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int r = xl_utf8_decode((const unsigned char *)text + i, to - i, cp, NULL);
    return (size_t)(r > 0 ? r : -r);
}

static size_t chunk_end(const xl_wordpiece *wp, const char *text, size_t from, size_t to)
{
    if (to - from <= WORDPIECE_CHUNK) return to;
    for (size_t i = from + WORDPIECE_CHUNK; i < to; i++) {
        unsigned char c = (unsigned char)text[i];
        uint32_t cp = c;
        if (c >= 0x80) {
            if (c < 0xC0) continue; /* a continuation byte: not a character start */
            if (xl_utf8_decode((const unsigned char *)text + i, to - i, &cp, NULL) <= 0) continue;
        }
        if (is_split_char(wp, cp)) return i;
    }
    return to;
}

/* End of the last split character that starts in [from, to) (from when there is none): where the
 * word that runs on past `to` starts.  Characters are decoded up to `end` (one may straddle `to`). */
static size_t last_split_end(const xl_wordpiece *wp, const char *text, size_t from, size_t to, size_t end)
{
    size_t w = from;
    for (size_t i = from; i < to;) {
        uint32_t cp;
        size_t n = decode_at(text, i, end, &cp);
        i += n;
        if (is_split_char(wp, cp)) w = i;
    }
    return w;
}

/* [a, b) holds no split character and is one whole pre-tokenizer word (a split character or a
 * segment boundary on each side).  Returns a lower bound of its normalised length (characters
 * the normaliser keeps: not a control with clean_text, not a non-spacing mark with
 * strip_accents; each kept one gives at least one code point) and the source span
 * [*first, *last_end) of the first and last kept characters, which is the span of the [UNK] the
 * word becomes when it is longer than max_input_chars_per_word. */
static size_t word_span(const xl_wordpiece *wp, const char *text, size_t a, size_t b, size_t *first, size_t *last_end)
{
    const bool clean = wp->opts.clean_text, strip = wp->strip_accents;
    size_t kept = 0;
    *first = *last_end = a;
    for (size_t i = a; i < b;) {
        size_t start = i;
        uint32_t cp;
        i += decode_at(text, i, b, &cp);
        unsigned cls = char_class(wp, cp);
        if ((clean && (cls & XL_BERT_CONTROL)) || (strip && (cls & XL_BERT_NONSPACING))) continue;
        if (kept++ == 0) *first = start;
        *last_end = i;
    }
    return kept;
}

static int encode_chunk(const xl_wordpiece *wp, const char *text, size_t a, size_t b, int which, scratch *s,
                        xl_error *err)
{
    if (a >= b) return 0;
    if (xl_wp_normalize_segment(wp, text, a, b, s, err) < 0) return -1;
    return pretokenize_and_encode(wp, s, which, err);
}

/* step 1: added tokens; the text between them goes through steps 2-4 */
static int encode_sequence(const xl_wordpiece *wp, const char *text, size_t len, int which, scratch *s, xl_error *err)
{
    s->n_toks[which] = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t m = pos, mlen = 0;
        int32_t mid = -1;
        if (wp->n_added) {
            for (; m < len; m++) {
                if (!wp->added_first[(unsigned char)text[m]]) continue;
                for (size_t t = 0; t < wp->n_added; t++) {
                    const added_token *a = &wp->added[t];
                    if (a->len <= len - m && !memcmp(text + m, a->text, a->len)) {
                        mlen = a->len;
                        mid = a->id;
                        break;
                    }
                }
                if (mid >= 0) break;
            }
        } else {
            m = len;
        }
        for (size_t c0 = pos; c0 < m;) {
            size_t c1 = chunk_end(wp, text, c0, m);
            if (c1 - c0 <= WORDPIECE_CHUNK) {
                if (encode_chunk(wp, text, c0, c1, which, s, err) < 0) return -1;
            } else {
                /* no split character in [c0 + CHUNK, c1): the chunk ends with one word that starts
                 * after the last split character; a word longer than max_input_chars_per_word is one
                 * [UNK] whatever its letters, so a megabyte-long "word" is never normalised whole */
                size_t w = last_split_end(wp, text, c0, c0 + WORDPIECE_CHUNK, c1), first, last_end;
                if (encode_chunk(wp, text, c0, w, which, s, err) < 0) return -1;
                size_t kept = word_span(wp, text, w, c1, &first, &last_end);
                if (kept > wp->opts.max_input_chars_per_word) {
                    if (push_tok(s, which, wp->special_ids[WORDPIECE_UNK], first, last_end, err) < 0) return -1;
                } else if (encode_chunk(wp, text, w, c1, which, s, err) < 0) {
                    return -1;
                }
            }
            c0 = c1;
        }
        if (mid >= 0 && push_tok(s, which, mid, m, m + mlen, err) < 0) return -1;
        pos = m + mlen;
    }
    return 0;
}

void xl_wordpiece_encode_options_default(xl_wordpiece_encode_options *o)
{
    o->add_special_tokens = true;
    o->max_length = 0;
    o->truncation = WORDPIECE_TRUNC_LONGEST_FIRST;
}

static int reserve_encoding(xl_wordpiece_encoding *e, size_t need, xl_error *err)
{
    if (need <= e->cap) return 0;
    size_t c = e->cap ? e->cap : 64;
    while (c < need) c *= 2;
    int32_t *ids = xl_realloc(e->ids, c, sizeof *ids, err);
    if (!ids) return -1;
    e->ids = ids;
    int32_t *ty = xl_realloc(e->type_ids, c, sizeof *ty, err);
    if (!ty) return -1;
    e->type_ids = ty;
    uint8_t *am = xl_realloc(e->attention_mask, c, 1, err);
    if (!am) return -1;
    e->attention_mask = am;
    uint8_t *sm = xl_realloc(e->special_mask, c, 1, err);
    if (!sm) return -1;
    e->special_mask = sm;
    int8_t *sq = xl_realloc(e->sequence, c, 1, err);
    if (!sq) return -1;
    e->sequence = sq;
    size_t *of = xl_realloc(e->offsets, c, 2 * sizeof *of, err);
    if (!of) return -1;
    e->offsets = of;
    e->cap = c;
    return 0;
}

static void put(xl_wordpiece_encoding *e, int32_t id, int32_t type, int8_t seq, size_t start, size_t end, bool special)
{
    size_t k = e->len++;
    e->ids[k] = id;
    e->type_ids[k] = type;
    e->attention_mask[k] = 1;
    e->special_mask[k] = special;
    e->sequence[k] = seq;
    e->offsets[2 * k] = start;
    e->offsets[2 * k + 1] = end;
}

int xl_wordpiece_encode(const xl_wordpiece *wp, const char *text, size_t len, const char *pair, size_t pair_len,
                     const xl_wordpiece_encode_options *opts, xl_wordpiece_encoding *out, xl_error *err)
{
    xl_wordpiece_encode_options dflt;
    if (!opts) {
        xl_wordpiece_encode_options_default(&dflt);
        opts = &dflt;
    }
    if (!out->scratch) {
        out->scratch = xl_calloc(1, sizeof(scratch), err);
        if (!out->scratch) return -1;
    }
    scratch *s = out->scratch;
    out->len = 0;
    out->n_truncated = 0;
    if (!text) len = 0;
    const bool is_pair = pair != NULL;
    const bool specials = opts->add_special_tokens && wp->has_post_processor;
    /* neither text keeps more than max_length - specials tokens after truncation (any strategy),
     * and the truncation below only needs the counts beyond that: store at most that many */
    size_t n_special = specials ? (is_pair ? 3 : 2) : 0;
    s->keep[0] = s->keep[1] = !opts->max_length ? SIZE_MAX
                              : opts->max_length > n_special ? opts->max_length - n_special
                                                             : 0;
    if (encode_sequence(wp, text ? text : "", len, 0, s, err) < 0) return -1;
    s->n_toks[1] = 0;
    if (is_pair && encode_sequence(wp, pair, pair_len, 1, s, err) < 0) return -1;
    const int32_t cls = wp->special_ids[WORDPIECE_CLS], sep = wp->special_ids[WORDPIECE_SEP];
    if (specials && (cls < 0 || sep < 0))
        return xl_fail(err, XL_ERR_USAGE, "wordpiece: '%s' or '%s' is not in the vocabulary", wp->opts.cls_token,
                       wp->opts.sep_token);
    size_t n_added = specials ? (is_pair ? 3 : 2) : 0;
    size_t n1 = s->n_toks[0], n2 = s->n_toks[1];
    if (opts->max_length) {
        /* HF TokenizerImpl::post_process + truncate_encodings */
        if (opts->max_length < n_added)
            return xl_fail(err, XL_ERR_USAGE, "wordpiece: max length %zu cannot hold the %zu special tokens",
                           opts->max_length, n_added);
        size_t max = opts->max_length - n_added, total = n1 + n2;
        if (total > max) {
            size_t to_remove = total - max;
            if (!is_pair || opts->truncation == WORDPIECE_TRUNC_LONGEST_FIRST) {
                if (!is_pair) {
                    n1 -= to_remove;
                } else {
                    size_t a = n1, b = n2;
                    bool swap = a > b;
                    if (swap) a = n2, b = n1;
                    if (a > max) b = a;
                    else b = (a > max - a) ? a : max - a;
                    if (a + b > max) {
                        a = max / 2;
                        b = a + max % 2;
                    }
                    if (swap) {
                        size_t t = a;
                        a = b;
                        b = t;
                    }
                    if (a < n1) n1 = a;
                    if (b < n2) n2 = b;
                }
            } else {
                size_t *target = opts->truncation == WORDPIECE_TRUNC_ONLY_FIRST ? &n1 : &n2;
                if (*target <= to_remove)
                    return xl_fail(err, XL_ERR_USAGE,
                                   "wordpiece: truncation error: sequence to truncate too short to respect the "
                                   "provided max_length");
                *target -= to_remove;
            }
            out->n_truncated = s->n_toks[0] + s->n_toks[1] - n1 - n2;
        }
    }
    if (reserve_encoding(out, n1 + n2 + n_added, err) < 0) return -1;
    if (specials) put(out, cls, 0, -1, 0, 0, true);
    for (size_t k = 0; k < n1; k++) put(out, s->toks[0][k].id, 0, 0, s->toks[0][k].start, s->toks[0][k].end, false);
    if (specials) put(out, sep, 0, -1, 0, 0, true);
    for (size_t k = 0; k < n2; k++) put(out, s->toks[1][k].id, 1, 1, s->toks[1][k].start, s->toks[1][k].end, false);
    if (specials && is_pair) put(out, sep, 1, -1, 0, 0, true);
    return 0;
}

int xl_wordpiece_pad_batch(const xl_wordpiece *wp, xl_wordpiece_encoding *encs, size_t n, size_t pad_to, xl_error *err)
{
    size_t longest = pad_to;
    for (size_t i = 0; i < n; i++)
        if (encs[i].len > longest) longest = encs[i].len;
    int32_t pad = wp->special_ids[WORDPIECE_PAD];
    if (pad < 0) {
        for (size_t i = 0; i < n; i++)
            if (encs[i].len < longest)
                return xl_fail(err, XL_ERR_USAGE, "wordpiece: pad token '%s' is not in the vocabulary",
                               wp->opts.pad_token);
    }
    for (size_t i = 0; i < n; i++) {
        xl_wordpiece_encoding *e = &encs[i];
        if (reserve_encoding(e, longest, err) < 0) return -1;
        while (e->len < longest) {
            put(e, pad, 0, -1, 0, 0, true);
            e->attention_mask[e->len - 1] = 0;
        }
    }
    return 0;
}

size_t xl_wordpiece_byte_to_char(const char *text, size_t len, size_t byte_offset)
{
    if (byte_offset > len) byte_offset = len;
    size_t i = 0, chars = 0;
    while (i < byte_offset) {
        uint32_t cp;
        int r = xl_utf8_decode((const unsigned char *)text + i, len - i, &cp, NULL);
        i += (size_t)(r > 0 ? r : -r);
        chars++;
    }
    return chars;
}

