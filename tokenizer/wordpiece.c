/* wordpiece.c - see wordpiece.h and docs/tokenizer.md (the algorithm step by
 * step).  Pipeline for one text, as HuggingFace tokenizers runs it:
 *   1. added tokens ([CLS], [UNK], ...) matched in the raw text, leftmost-longest;
 *   2. each remaining segment: BertNormalizer (clean_text, handle_chinese_chars,
 *      strip_accents = NFD + drop Mn, lowercase), in that order;
 *   3. BertPreTokenizer: split on whitespace (removed), isolate punctuation;
 *   4. WordPiece: greedy longest-match-first with the "##" prefix, words over
 *      max_input_chars_per_word chars or with an unmatched piece -> [UNK];
 *   5. post-processing: [CLS] A [SEP] (B [SEP]), truncation, padding. */
#include "wordpiece.h"

#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_json.h"
#include "xl_platform.h"
#include "xl_unicode.h"
#include "xl_utf8.h"

#define NO_TOKEN UINT32_MAX

typedef struct added_token {
    char *text;
    size_t len;
    int32_t id;
} added_token;

struct xl_wordpiece {
    xl_wordpiece_options opts;
    bool strip_accents; /* resolved */
    bool has_post_processor;
    char *strings[6]; /* owned copies of unk, cls, sep, pad, mask, prefix */
    size_t prefix_len;
    /* vocabulary: token of id i = arena[tok_off[i] .. + tok_len[i]] */
    size_t n_ids;
    char *arena;
    uint32_t *tok_off, *tok_len;
    int32_t *slots; /* open addressing, -1 = empty */
    size_t slot_mask;
    size_t max_token_bytes;
    int32_t special_ids[5];
    /* added tokens, longest first */
    added_token *added;
    size_t n_added;
    uint8_t added_first[256];
    /* classes of ASCII characters */
    uint8_t ascii_class[128];
    /* byte trie over every token, for the greedy longest match: edges in an
     * open-addressing table keyed by (node << 8 | byte); node_id[node] is the
     * token ending there or -1.  Node 0 is the root; prefix_node is the node
     * reached by the continuing-subword prefix ("##"), -1 when absent. */
    uint64_t *edge_key; /* (node << 8 | byte) + 1, so that 0 marks an empty slot */
    uint32_t *edge_child;
    size_t edge_mask;
    int32_t *node_id;
    size_t n_nodes;
    int64_t prefix_node;
};

/* ------------------------------------------------------------------------ */
/* hashing: 64-bit multiply-mix over 8-byte chunks */

static inline uint64_t load_partial(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, p, n);
    return v;
}

static inline uint64_t hash_bytes(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    if (n) {
        h = (h ^ load_partial(p, n)) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    return h;
}

static inline int32_t vocab_find(const xl_wordpiece *wp, const char *s, size_t n)
{
    size_t i = (size_t)hash_bytes(s, n) & wp->slot_mask;
    for (;;) {
        int32_t id = wp->slots[i];
        if (id < 0) return -1;
        if (wp->tok_len[id] == n && memcmp(wp->arena + wp->tok_off[id], s, n) == 0) return id;
        i = (i + 1) & wp->slot_mask;
    }
}

/* ------------------------------------------------------------------------ */
/* construction */

void xl_wordpiece_options_default(xl_wordpiece_options *o)
{
    memset(o, 0, sizeof *o);
    o->lowercase = true;
    o->strip_accents = -1;
    o->clean_text = true;
    o->tokenize_chinese_chars = true;
    o->unk_token = "[UNK]";
    o->cls_token = "[CLS]";
    o->sep_token = "[SEP]";
    o->pad_token = "[PAD]";
    o->mask_token = "[MASK]";
    o->continuing_subword_prefix = "##";
    o->max_input_chars_per_word = WORDPIECE_MAX_INPUT_CHARS_DEFAULT;
}

void xl_wordpiece_free(xl_wordpiece *wp)
{
    if (!wp) return;
    for (int i = 0; i < 6; i++) free(wp->strings[i]);
    free(wp->arena);
    free(wp->tok_off);
    free(wp->tok_len);
    free(wp->slots);
    for (size_t i = 0; i < wp->n_added; i++) free(wp->added[i].text);
    free(wp->added);
    free(wp->edge_key);
    free(wp->edge_child);
    free(wp->node_id);
    free(wp);
}

static int add_added_token(xl_wordpiece *wp, const char *text, size_t len, int32_t id, xl_error *err)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < wp->n_added; i++)
        if (wp->added[i].len == len && !memcmp(wp->added[i].text, text, len)) {
            wp->added[i].id = id;
            return 0;
        }
    added_token *a = xl_realloc(wp->added, wp->n_added + 1, sizeof *a, err);
    if (!a) return -1;
    wp->added = a;
    char *copy = xl_strndup(text, len, err);
    if (!copy) return -1;
    /* keep longest first (stable) so the first match at a position is the longest */
    size_t pos = wp->n_added;
    while (pos > 0 && wp->added[pos - 1].len < len) pos--;
    memmove(wp->added + pos + 1, wp->added + pos, (wp->n_added - pos) * sizeof *a);
    wp->added[pos] = (added_token){copy, len, id};
    wp->n_added++;
    wp->added_first[(unsigned char)text[0]] = 1;
    return 0;
}

static inline size_t edge_slot(uint64_t key, size_t mask)
{
    key *= 0x9E3779B97F4A7C15ull;
    return (size_t)(key >> 29) & mask;
}

/* child of node by byte, or -1 */
static inline int64_t trie_step(const xl_wordpiece *wp, uint64_t node, unsigned char byte)
{
    uint64_t key = ((node << 8) | byte) + 1;
    size_t i = edge_slot(key, wp->edge_mask);
    for (;;) {
        uint64_t k = wp->edge_key[i];
        if (k == key) return wp->edge_child[i];
        if (k == 0) return -1;
        i = (i + 1) & wp->edge_mask;
    }
}

static int build_trie(xl_wordpiece *wp, xl_error *err)
{
    /* nodes <= 1 + total token bytes */
    size_t max_nodes = 1;
    for (size_t id = 0; id < wp->n_ids; id++)
        if (wp->tok_len[id] != NO_TOKEN) max_nodes += wp->tok_len[id];
    size_t slots = 16;
    while (slots < max_nodes + max_nodes / 2) slots *= 2; /* load <= 2/3 even if every byte is a node */
    wp->edge_key = xl_calloc(slots, sizeof *wp->edge_key, err);
    wp->edge_child = xl_malloc(slots * sizeof *wp->edge_child, err);
    wp->node_id = xl_malloc(max_nodes * sizeof *wp->node_id, err);
    if (!wp->edge_key || !wp->edge_child || !wp->node_id) return -1;
    wp->edge_mask = slots - 1;
    wp->n_nodes = 1;
    wp->node_id[0] = -1;
    for (size_t id = 0; id < wp->n_ids; id++) {
        if (wp->tok_len[id] == NO_TOKEN) continue;
        const unsigned char *t = (const unsigned char *)wp->arena + wp->tok_off[id];
        uint64_t node = 0;
        for (size_t k = 0; k < wp->tok_len[id]; k++) {
            uint64_t key = ((node << 8) | t[k]) + 1;
            size_t i = edge_slot(key, wp->edge_mask);
            while (wp->edge_key[i] != 0 && wp->edge_key[i] != key) i = (i + 1) & wp->edge_mask;
            if (wp->edge_key[i] == 0) {
                wp->edge_key[i] = key;
                wp->edge_child[i] = (uint32_t)wp->n_nodes;
                wp->node_id[wp->n_nodes++] = -1;
            }
            node = wp->edge_child[i];
        }
        wp->node_id[node] = (int32_t)id;
    }
    int64_t node = 0;
    for (size_t k = 0; k < wp->prefix_len && node >= 0; k++)
        node = trie_step(wp, (uint64_t)node, (unsigned char)wp->strings[5][k]);
    wp->prefix_node = wp->prefix_len ? node : 0;
    return 0;
}

/* Builds the hash table over ids [0, n_ids) whose tok_len != NO_TOKEN. */
static int build_index(xl_wordpiece *wp, xl_error *err)
{
    size_t n_slots = 16;
    while (n_slots < 2 * wp->n_ids) {
        if (n_slots > SIZE_MAX / 4) return xl_fail(err, XL_ERR_LIMIT, "wordpiece: vocabulary too large");
        n_slots *= 2;
    }
    wp->slots = xl_malloc(n_slots * sizeof *wp->slots, err);
    if (!wp->slots) return -1;
    memset(wp->slots, 0xFF, n_slots * sizeof *wp->slots);
    wp->slot_mask = n_slots - 1;
    wp->max_token_bytes = 0;
    for (size_t id = 0; id < wp->n_ids; id++) {
        if (wp->tok_len[id] == NO_TOKEN) continue;
        const char *s = wp->arena + wp->tok_off[id];
        size_t n = wp->tok_len[id];
        size_t i = (size_t)hash_bytes(s, n) & wp->slot_mask;
        for (;;) {
            int32_t other = wp->slots[i];
            if (other < 0) {
                wp->slots[i] = (int32_t)id;
                break;
            }
            if (wp->tok_len[other] == n && !memcmp(wp->arena + wp->tok_off[other], s, n)) {
                /* duplicate: the later id wins (HF's vocab.txt reader inserts into a map);
                 * the earlier id keeps no token */
                wp->slots[i] = (int32_t)id;
                wp->tok_len[other] = NO_TOKEN;
                break;
            }
            i = (i + 1) & wp->slot_mask;
        }
        if (n > wp->max_token_bytes) wp->max_token_bytes = n;
    }
    return 0;
}

static int copy_option_strings(xl_wordpiece *wp, const xl_wordpiece_options *opts, xl_error *err)
{
    wp->opts = *opts;
    const char *src[6] = {opts->unk_token ? opts->unk_token : "[UNK]",     opts->cls_token ? opts->cls_token : "[CLS]",
                          opts->sep_token ? opts->sep_token : "[SEP]",     opts->pad_token ? opts->pad_token : "[PAD]",
                          opts->mask_token ? opts->mask_token : "[MASK]",
                          opts->continuing_subword_prefix ? opts->continuing_subword_prefix : "##"};
    for (int i = 0; i < 6; i++) {
        wp->strings[i] = xl_strndup(src[i], strlen(src[i]), err);
        if (!wp->strings[i]) return -1;
    }
    wp->opts.unk_token = wp->strings[0];
    wp->opts.cls_token = wp->strings[1];
    wp->opts.sep_token = wp->strings[2];
    wp->opts.pad_token = wp->strings[3];
    wp->opts.mask_token = wp->strings[4];
    wp->opts.continuing_subword_prefix = wp->strings[5];
    wp->prefix_len = strlen(wp->strings[5]);
    if (wp->opts.max_input_chars_per_word == 0) wp->opts.max_input_chars_per_word = WORDPIECE_MAX_INPUT_CHARS_DEFAULT;
    wp->strip_accents = opts->strip_accents < 0 ? opts->lowercase : opts->strip_accents != 0;
    return 0;
}

/* After the vocabulary and options are in place: special ids, added tokens
 * (when none were given by a tokenizer.json), ASCII classes. */
static int finish(xl_wordpiece *wp, bool add_specials_as_added, xl_error *err)
{
    if (build_index(wp, err) < 0 || build_trie(wp, err) < 0) return -1;
    for (int i = 0; i < 5; i++)
        wp->special_ids[i] = vocab_find(wp, wp->strings[i], strlen(wp->strings[i]));
    if (wp->special_ids[WORDPIECE_UNK] < 0)
        return xl_fail(err, XL_ERR_FORMAT, "wordpiece: unk token '%s' is not in the vocabulary", wp->strings[0]);
    if (add_specials_as_added) {
        /* what BertTokenizerFast registers: pad, unk, cls, sep, mask */
        static const int order[5] = {WORDPIECE_PAD, WORDPIECE_UNK, WORDPIECE_CLS, WORDPIECE_SEP, WORDPIECE_MASK};
        for (int k = 0; k < 5; k++) {
            int i = order[k];
            if (wp->special_ids[i] >= 0 &&
                add_added_token(wp, wp->strings[i], strlen(wp->strings[i]), wp->special_ids[i], err) < 0)
                return -1;
        }
    }
    for (uint32_t c = 0; c < 128; c++) wp->ascii_class[c] = (uint8_t)xl_uc_bert_class(c);
    return 0;
}

static xl_wordpiece *new_wordpiece(const xl_wordpiece_options *opts, xl_error *err)
{
    xl_wordpiece_options dflt;
    if (!opts) {
        xl_wordpiece_options_default(&dflt);
        opts = &dflt;
    }
    xl_wordpiece *wp = xl_calloc(1, sizeof *wp, err);
    if (!wp) return NULL;
    wp->has_post_processor = true;
    if (copy_option_strings(wp, opts, err) < 0) {
        xl_wordpiece_free(wp);
        return NULL;
    }
    return wp;
}

/* allocate id arrays and the arena for n ids / total bytes */
static int alloc_vocab(xl_wordpiece *wp, size_t n_ids, size_t total_bytes, xl_error *err)
{
    if (n_ids == 0) return xl_fail(err, XL_ERR_FORMAT, "wordpiece: empty vocabulary");
    if (n_ids > (size_t)INT32_MAX || total_bytes >= (size_t)UINT32_MAX - n_ids)
        return xl_fail(err, XL_ERR_LIMIT, "wordpiece: vocabulary too large (%zu tokens, %zu bytes)", n_ids,
                       total_bytes);
    wp->n_ids = n_ids;
    wp->tok_off = xl_malloc(n_ids * sizeof *wp->tok_off, err);
    wp->tok_len = xl_malloc(n_ids * sizeof *wp->tok_len, err);
    wp->arena = xl_malloc(total_bytes + n_ids + 1, err); /* each token NUL-terminated */
    if (!wp->tok_off || !wp->tok_len || !wp->arena) return -1;
    for (size_t i = 0; i < n_ids; i++) wp->tok_len[i] = NO_TOKEN, wp->tok_off[i] = 0;
    return 0;
}

xl_wordpiece *xl_wordpiece_create(const char *const *tokens, const size_t *lens, size_t n_tokens,
                            const xl_wordpiece_options *opts, xl_error *err)
{
    xl_wordpiece *wp = new_wordpiece(opts, err);
    if (!wp) return NULL;
    size_t total = 0;
    for (size_t i = 0; i < n_tokens; i++) {
        size_t l = lens ? lens[i] : strlen(tokens[i]);
        if (!xl_add_size(total, l, &total)) total = SIZE_MAX;
    }
    if (alloc_vocab(wp, n_tokens, total, err) < 0) goto fail;
    size_t off = 0;
    for (size_t i = 0; i < n_tokens; i++) {
        size_t l = lens ? lens[i] : strlen(tokens[i]);
        memcpy(wp->arena + off, tokens[i], l);
        wp->arena[off + l] = 0;
        wp->tok_off[i] = (uint32_t)off;
        wp->tok_len[i] = (uint32_t)l;
        off += l + 1;
    }
    if (finish(wp, true, err) < 0) goto fail;
    return wp;
fail:
    xl_wordpiece_free(wp);
    return NULL;
}

/* Rust's str::trim_end: drop trailing White_Space characters. */
static size_t trim_end_len(const char *s, size_t n)
{
    while (n > 0) {
        size_t start = n - 1;
        while (start > 0 && n - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80) start--;
        uint32_t cp;
        int r = xl_utf8_decode((const unsigned char *)s + start, n - start, &cp, NULL);
        if (r <= 0 || (size_t)r != n - start || !(xl_uc_props(cp) & XL_UCP_WHITE_SPACE)) break;
        n = start;
    }
    return n;
}

xl_wordpiece *xl_wordpiece_load_vocab(const char *path, const xl_wordpiece_options *opts, xl_error *err)
{
    char *data = NULL;
    size_t size = 0;
    if (xl_read_file_ex(path, XL_READ_MAX_TEXT, "XL_READ_MAX_TEXT", XL_TEXT_HEAD, xl_head_is_text,
                        &data, &size, err) < 0) return NULL;
    xl_wordpiece *wp = new_wordpiece(opts, err);
    if (!wp) {
        free(data);
        return NULL;
    }
    size_t n_lines = 0;
    for (size_t i = 0; i < size; i++) n_lines += data[i] == '\n';
    if (size > 0 && data[size - 1] != '\n') n_lines++;
    if (alloc_vocab(wp, n_lines, size, err) < 0) {
        xl_error_prefix(err, "%s", path);
        goto fail;
    }
    size_t pos = 0, id = 0, off = 0;
    while (pos < size) {
        const char *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size;
        size_t l = end - pos;
        if (l && data[pos + l - 1] == '\r') l--;
        if (!xl_utf8_validate(data + pos, l, NULL, NULL)) {
            xl_fail(err, XL_ERR_FORMAT, "%s:%zu: token is not valid UTF-8", path, id + 1);
            goto fail;
        }
        l = trim_end_len(data + pos, l);
        memcpy(wp->arena + off, data + pos, l);
        wp->arena[off + l] = 0;
        wp->tok_off[id] = (uint32_t)off;
        wp->tok_len[id] = (uint32_t)l;
        off += l + 1;
        id++;
        pos = end + 1;
    }
    free(data);
    data = NULL;
    if (finish(wp, true, err) < 0) {
        xl_error_prefix(err, "%s", path);
        goto fail;
    }
    return wp;
fail:
    free(data);
    xl_wordpiece_free(wp);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* tokenizer.json */

static const char *json_token_string(const xl_json *v)
{
    /* "[UNK]" or {"content": "[UNK]", ...} (tokenizer_config.json) */
    if (xl_json_is(v, XL_JSON_STRING)) return xl_json_string(v);
    return xl_json_get_string(v, "content");
}

static xl_wordpiece *load_json_doc(const char *path, const xl_json *root, xl_error *err)
{
    const xl_json *model = xl_json_get(root, "model");
    const char *mtype = xl_json_get_string(model, "type");
    if (!model || (mtype && strcmp(mtype, "WordPiece") != 0)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: model type '%s' is not WordPiece", path, mtype ? mtype : "(none)");
        return NULL;
    }
    xl_wordpiece_options o;
    xl_wordpiece_options_default(&o);
    o.lowercase = false;
    o.strip_accents = 0;
    o.clean_text = false;
    o.tokenize_chinese_chars = false;
    const xl_json *norm = xl_json_get(root, "normalizer");
    if (norm && !xl_json_is(norm, XL_JSON_NULL)) {
        const char *nt = xl_json_get_string(norm, "type");
        if (!nt || strcmp(nt, "BertNormalizer") != 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: normalizer '%s' is not supported (BertNormalizer only)", path,
                    nt ? nt : "(none)");
            return NULL;
        }
        bool b;
        o.clean_text = xl_json_get_bool(norm, "clean_text", &b) ? b : true;
        o.tokenize_chinese_chars = xl_json_get_bool(norm, "handle_chinese_chars", &b) ? b : true;
        o.lowercase = xl_json_get_bool(norm, "lowercase", &b) ? b : true;
        o.strip_accents = xl_json_get_bool(norm, "strip_accents", &b) ? (b ? 1 : 0) : -1;
    }
    const xl_json *pre = xl_json_get(root, "pre_tokenizer");
    const char *pt = xl_json_get_string(pre, "type");
    if (!pt || strcmp(pt, "BertPreTokenizer") != 0) {
        xl_fail(err, XL_ERR_FORMAT, "%s: pre_tokenizer '%s' is not supported (BertPreTokenizer only)", path,
                pt ? pt : "(none)");
        return NULL;
    }
    const char *s;
    if ((s = xl_json_get_string(model, "unk_token"))) o.unk_token = s;
    if ((s = xl_json_get_string(model, "continuing_subword_prefix"))) o.continuing_subword_prefix = s;
    int64_t mx;
    if (xl_json_get_int(model, "max_input_chars_per_word", &mx)) {
        if (mx <= 0) {
            xl_fail(err, XL_ERR_FORMAT, "%s: max_input_chars_per_word %lld", path, (long long)mx);
            return NULL;
        }
        o.max_input_chars_per_word = (size_t)mx;
    }
    /* [CLS]/[SEP] from the post-processor */
    const xl_json *post = xl_json_get(root, "post_processor");
    bool has_post = post && !xl_json_is(post, XL_JSON_NULL);
    if (has_post) {
        const char *ptype = xl_json_get_string(post, "type");
        if (ptype && !strcmp(ptype, "BertProcessing")) {
            const char *c = xl_json_string(xl_json_at(xl_json_get(post, "cls"), 0));
            const char *p = xl_json_string(xl_json_at(xl_json_get(post, "sep"), 0));
            if (c) o.cls_token = c;
            if (p) o.sep_token = p;
        } else if (ptype && !strcmp(ptype, "TemplateProcessing")) {
            const xl_json *single = xl_json_get(post, "single");
            size_t n = xl_json_count(single);
            const char *first = NULL, *last = NULL;
            for (size_t i = 0; i < n; i++) {
                const char *id = xl_json_get_string(xl_json_get(xl_json_at(single, i), "SpecialToken"), "id");
                if (id) {
                    if (!first) first = id;
                    last = id;
                }
            }
            if (first) o.cls_token = first;
            if (last) o.sep_token = last;
        } else {
            xl_fail(err, XL_ERR_FORMAT, "%s: post_processor '%s' is not supported", path, ptype ? ptype : "(none)");
            return NULL;
        }
    }
    const xl_json *vocab = xl_json_get(model, "vocab");
    if (!xl_json_is(vocab, XL_JSON_OBJECT)) {
        xl_fail(err, XL_ERR_FORMAT, "%s: model.vocab is not an object", path);
        return NULL;
    }
    const xl_json *added = xl_json_get(root, "added_tokens");
    size_t n_ids = 0, total = 0;
    for (size_t i = 0; i < vocab->u.object.count; i++) {
        const xl_json_member *m = &vocab->u.object.members[i];
        const xl_json *v = m->value;
        if (!xl_json_is(v, XL_JSON_NUMBER) || !v->u.number.is_int || v->u.number.int_value < 0 ||
            v->u.number.int_value >= INT32_MAX) {
            xl_fail(err, XL_ERR_FORMAT, "%s: model.vocab[\"%s\"] is not a valid id", path, m->key);
            return NULL;
        }
        if ((size_t)v->u.number.int_value + 1 > n_ids) n_ids = (size_t)v->u.number.int_value + 1;
        total += m->key_len;
    }
    for (size_t i = 0; i < xl_json_count(added); i++) {
        int64_t id;
        const xl_json *a = xl_json_at(added, i);
        const char *content = xl_json_get_string(a, "content");
        if (!content || !xl_json_get_int(a, "id", &id) || id < 0 || id >= INT32_MAX) {
            xl_fail(err, XL_ERR_FORMAT, "%s: added_tokens[%zu] needs content and a valid id", path, i);
            return NULL;
        }
        if ((size_t)id + 1 > n_ids) n_ids = (size_t)id + 1;
    }
    xl_wordpiece *wp = new_wordpiece(&o, err);
    if (!wp) return NULL;
    wp->has_post_processor = has_post;
    if (alloc_vocab(wp, n_ids, total, err) < 0) goto fail;
    size_t off = 0;
    for (size_t i = 0; i < vocab->u.object.count; i++) {
        const xl_json_member *m = &vocab->u.object.members[i];
        size_t id = (size_t)m->value->u.number.int_value;
        memcpy(wp->arena + off, m->key, m->key_len);
        wp->arena[off + m->key_len] = 0;
        wp->tok_off[id] = (uint32_t)off;
        wp->tok_len[id] = (uint32_t)m->key_len;
        off += m->key_len + 1;
    }
    if (finish(wp, false, err) < 0) goto fail;
    for (size_t i = 0; i < xl_json_count(added); i++) {
        const xl_json *a = xl_json_at(added, i);
        const xl_json *content = xl_json_get(a, "content");
        int64_t id = 0;
        xl_json_get_int(a, "id", &id);
        if (add_added_token(wp, content->u.string.data, content->u.string.len, (int32_t)id, err) < 0) goto fail;
    }
    return wp;
fail:
    xl_error_prefix(err, "%s", path);
    xl_wordpiece_free(wp);
    return NULL;
}

static int parse_json_file(const char *path, xl_json_doc **doc, xl_error *err)
{
    char *text = NULL;
    size_t len = 0;
    if (xl_read_file_ex(path, XL_READ_MAX_TEXT, "XL_READ_MAX_TEXT", XL_TEXT_HEAD, xl_head_is_text,
                        &text, &len, err) < 0) return -1;
    xl_json_limits lim = {0, 0, XL_JSON_DUP_LAST_WINS};
    int rc = xl_json_parse(text, len, &lim, doc, err);
    free(text);
    if (rc < 0) xl_error_prefix(err, "%s", path);
    return rc;
}

xl_wordpiece *xl_wordpiece_load_json(const char *path, xl_error *err)
{
    xl_json_doc *doc = NULL;
    if (parse_json_file(path, &doc, err) < 0) return NULL;
    xl_wordpiece *wp = load_json_doc(path, xl_json_root(doc), err);
    xl_json_free(doc);
    return wp;
}


static bool is_directory(const char *path)
{
    /* a directory opens with fopen on POSIX but fails to read */
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char c;
    bool dir = fread(&c, 1, 1, f) == 0 && ferror(f);
    fclose(f);
    return dir;
}

static char *join_path(const char *dir, const char *name, xl_error *err)
{
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = xl_malloc(dl + nl + 2, err);
    if (!p) return NULL;
    memcpy(p, dir, dl);
    size_t k = dl;
    if (k && p[k - 1] != '/') p[k++] = '/';
    memcpy(p + k, name, nl + 1);
    return p;
}

static char *dir_of(const char *path, xl_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xl_strndup(".", 1, err);
    return xl_strndup(path, (size_t)(slash - path), err);
}

/* tokenizer_config.json values (transformers' BertTokenizer(Fast) arguments) */
static void apply_config(xl_wordpiece_options *o, const xl_json *cfg, bool *lower_set)
{
    bool b;
    if (xl_json_get_bool(cfg, "do_lower_case", &b)) {
        o->lowercase = b;
        *lower_set = true;
    }
    const xl_json *sa = xl_json_get(cfg, "strip_accents");
    if (xl_json_is(sa, XL_JSON_BOOL)) o->strip_accents = sa->u.boolean ? 1 : 0;
    if (xl_json_is(sa, XL_JSON_NULL)) o->strip_accents = -1;
    if (xl_json_get_bool(cfg, "tokenize_chinese_chars", &b)) o->tokenize_chinese_chars = b;
    const xl_json *ml = xl_json_get(cfg, "model_max_length");
    if (xl_json_is(ml, XL_JSON_NUMBER) && ml->u.number.is_int && ml->u.number.int_value > 0 &&
        ml->u.number.int_value < 1000000000)
        o->model_max_length = (size_t)ml->u.number.int_value;
    const char *s;
    if ((s = json_token_string(xl_json_get(cfg, "unk_token")))) o->unk_token = s;
    if ((s = json_token_string(xl_json_get(cfg, "cls_token")))) o->cls_token = s;
    if ((s = json_token_string(xl_json_get(cfg, "sep_token")))) o->sep_token = s;
    if ((s = json_token_string(xl_json_get(cfg, "pad_token")))) o->pad_token = s;
    if ((s = json_token_string(xl_json_get(cfg, "mask_token")))) o->mask_token = s;
}

static size_t str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

xl_wordpiece *xl_wordpiece_load(const char *path, int lowercase_override, xl_error *err)
{
    char *dir = NULL, *file = NULL, *cfg_path = NULL;
    xl_json_doc *cfg_doc = NULL, *tok_doc = NULL;
    xl_wordpiece *wp = NULL;
    bool json;
    if (is_directory(path)) {
        dir = xl_strndup(path, strlen(path), err);
        if (!dir) goto done;
        file = join_path(path, "tokenizer.json", err);
        if (!file) goto done;
        json = xl_file_readable(file);
        if (!json) {
            free(file);
            file = join_path(path, "vocab.txt", err);
            if (!file) goto done;
        }
    } else {
        dir = dir_of(path, err);
        file = xl_strndup(path, strlen(path), err);
        if (!dir || !file) goto done;
        json = str_ends_with(path, ".json");
    }
    cfg_path = join_path(dir, "tokenizer_config.json", err);
    if (!cfg_path) goto done;
    if (xl_file_readable(cfg_path) && parse_json_file(cfg_path, &cfg_doc, err) < 0) goto done;
    const xl_json *cfg = cfg_doc ? xl_json_root(cfg_doc) : NULL;
    bool lower_set = false;
    if (json) {
        if (parse_json_file(file, &tok_doc, err) < 0) goto done;
        wp = load_json_doc(file, xl_json_root(tok_doc), err);
        if (!wp) goto done;
        if (cfg) {
            /* BertTokenizerFast rebuilds the normaliser when the config's
             * do_lower_case / strip_accents / tokenize_chinese_chars differ */
            xl_wordpiece_options o = wp->opts;
            apply_config(&o, cfg, &lower_set);
            wp->opts.lowercase = o.lowercase;
            wp->opts.strip_accents = o.strip_accents;
            wp->opts.tokenize_chinese_chars = o.tokenize_chinese_chars;
            wp->opts.model_max_length = o.model_max_length;
        }
    } else {
        xl_wordpiece_options o;
        xl_wordpiece_options_default(&o);
        if (cfg) apply_config(&o, cfg, &lower_set);
        wp = xl_wordpiece_load_vocab(file, &o, err);
        if (!wp) goto done;
    }
    if (lowercase_override >= 0) {
        wp->opts.lowercase = lowercase_override != 0;
        wp->opts.strip_accents = -1;
    }
    wp->strip_accents = wp->opts.strip_accents < 0 ? wp->opts.lowercase : wp->opts.strip_accents != 0;
done:
    xl_json_free(cfg_doc);
    xl_json_free(tok_doc);
    free(dir);
    free(file);
    free(cfg_path);
    return wp;
}

const xl_wordpiece_options *xl_wordpiece_get_options(const xl_wordpiece *wp) { return &wp->opts; }
size_t xl_wordpiece_vocab_size(const xl_wordpiece *wp) { return wp->n_ids; }

int32_t xl_wordpiece_token_to_id(const xl_wordpiece *wp, const char *token, size_t len)
{
    return vocab_find(wp, token, len);
}

const char *xl_wordpiece_id_to_token(const xl_wordpiece *wp, int32_t id, size_t *len)
{
    if (id < 0 || (size_t)id >= wp->n_ids || wp->tok_len[id] == NO_TOKEN) {
        /* an added token outside the model vocabulary */
        for (size_t i = 0; i < wp->n_added; i++)
            if (wp->added[i].id == id) {
                if (len) *len = wp->added[i].len;
                return wp->added[i].text;
            }
        return NULL;
    }
    if (len) *len = wp->tok_len[id];
    return wp->arena + wp->tok_off[id];
}

int32_t xl_wordpiece_special_id(const xl_wordpiece *wp, xl_wordpiece_special which)
{
    return ((unsigned)which < 5) ? wp->special_ids[which] : -1;
}

/* ------------------------------------------------------------------------ */
/* scratch memory, owned by the encoding */

typedef struct tok {
    int32_t id;
    uint32_t pad_;
    size_t start, end;
} tok;

typedef struct scratch {
    /* normalised code points with their source byte span */
    uint32_t *cp;
    size_t *src0, *src1;
    size_t n_cp, cap_cp;
    /* current word: UTF-8 bytes after a prefix gap, char boundaries */
    char *word;
    size_t word_cap;
    size_t *bound; /* byte offset of char k in the word; bound[n] = length */
    size_t bound_cap;
    /* token lists of text A and B: n_toks counts every token, only the first keep[] are stored
     * (truncation keeps at most max_length tokens, so a 96 MB line costs its kept tokens) */
    tok *toks[2];
    size_t n_toks[2], cap_toks[2], keep[2];
} scratch;

static void scratch_free(scratch *s)
{
    if (!s) return;
    free(s->cp);
    free(s->src0);
    free(s->src1);
    free(s->word);
    free(s->bound);
    free(s->toks[0]);
    free(s->toks[1]);
    free(s);
}

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
    scratch_free(e->scratch);
    memset(e, 0, sizeof *e);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem, xl_error *err)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2) return xl_fail(err, XL_ERR_NOMEM, "wordpiece: size overflow");
        c *= 2;
    }
    void *q = xl_realloc(*p, c, elem, err);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int reserve_cp(scratch *s, size_t need, xl_error *err)
{
    if (need <= s->cap_cp) return 0;
    size_t c0 = s->cap_cp, c1 = s->cap_cp, c2 = s->cap_cp;
    if (grow((void **)&s->cp, &c0, need, sizeof *s->cp, err) < 0) return -1;
    if (grow((void **)&s->src0, &c1, need, sizeof *s->src0, err) < 0) return -1;
    if (grow((void **)&s->src1, &c2, need, sizeof *s->src1, err) < 0) return -1;
    s->cap_cp = c0;
    return 0;
}

static inline int push_tok(scratch *s, int which, int32_t id, size_t start, size_t end, xl_error *err)
{
    if (s->n_toks[which] >= s->keep[which]) { /* counted, not stored: truncation drops it */
        s->n_toks[which]++;
        return 0;
    }
    if (s->n_toks[which] == s->cap_toks[which] &&
        grow((void **)&s->toks[which], &s->cap_toks[which], s->n_toks[which] + 1, sizeof(tok), err) < 0)
        return -1;
    tok *t = &s->toks[which][s->n_toks[which]++];
    t->id = id;
    t->pad_ = 0;
    t->start = start;
    t->end = end;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* step 2: BertNormalizer over text[a, b) -> s->cp with source spans */

static inline unsigned char_class(const xl_wordpiece *wp, uint32_t cp)
{
    return cp < 128 ? wp->ascii_class[cp] : xl_uc_bert_class(cp);
}

static int normalize_segment(const xl_wordpiece *wp, const char *text, size_t a, size_t b, scratch *s, xl_error *err)
{
    const bool clean = wp->opts.clean_text, cjk = wp->opts.tokenize_chinese_chars, strip = wp->strip_accents,
               lower = wp->opts.lowercase;
    s->n_cp = 0;
    /* worst case per input byte: 3 code points (CJK: ' ' c ' '); NFD and
     * lowercase may expand more, checked as we go */
    size_t need;
    if (!xl_mul_size(b - a, 3, &need) || !xl_add_size(need, 16, &need))
        return xl_fail(err, XL_ERR_NOMEM, "wordpiece: text too long");
    if (reserve_cp(s, need, err) < 0) return -1;
    bool reorder = false;
    size_t i = a;
    while (i < b) {
        uint32_t cp;
        size_t start = i;
        unsigned char c0 = (unsigned char)text[i];
        if (c0 < 0x80) {
            cp = c0;
            i++;
        } else {
            int r = xl_utf8_decode((const unsigned char *)text + i, b - i, &cp, NULL);
            i += (size_t)(r > 0 ? r : -r);
        }
        unsigned cls = char_class(wp, cp);
        if (clean) {
            if (cls & XL_BERT_CONTROL) continue;
            if (cls & XL_BERT_WHITESPACE) {
                cp = ' ';
                cls = wp->ascii_class[' '];
            }
        }
        if (s->n_cp + XL_UC_DECOMP_MAX * XL_UC_CASE_MAX + 3 > s->cap_cp &&
            reserve_cp(s, s->n_cp + XL_UC_DECOMP_MAX * XL_UC_CASE_MAX + 3 + (b - i) * 3, err) < 0)
            return -1;
        size_t k = s->n_cp;
        bool spaced = cjk && (cls & XL_BERT_CJK);
        if (spaced) {
            /* ' ' c ' '; c itself then goes through NFD below (U+F900.. decompose) */
            s->cp[k] = ' ', s->src0[k] = start, s->src1[k] = i;
            s->n_cp = ++k;
            if (!strip) {
                s->cp[k] = cp, s->src0[k] = start, s->src1[k] = i;
                s->cp[k + 1] = ' ', s->src0[k + 1] = start, s->src1[k + 1] = i;
                s->n_cp = k + 2;
                continue;
            }
        }
        if (strip && cp >= 0x80) {
            /* NFD (the library's Unicode 9.0 data); marks are reordered and
             * removed after the whole segment is decomposed */
            uint32_t d[XL_UC_DECOMP_MAX];
            size_t nd = (cls & XL_BERT_NFD_CHANGES) ? xl_uc_bert_decompose(cp, d) : (d[0] = cp, 1);
            for (size_t j = 0; j < nd; j++) {
                s->cp[k] = d[j], s->src0[k] = start, s->src1[k] = i;
                if (xl_uc_bert_ccc(d[j])) reorder = true;
                k++;
            }
            if (spaced) s->cp[k] = ' ', s->src0[k] = start, s->src1[k] = i, k++;
            s->n_cp = k;
            continue;
        }
        if (lower && !strip && (cls & XL_BERT_LOWER_CHANGES)) {
            uint32_t m[XL_UC_CASE_MAX];
            size_t nm = xl_uc_bert_lower(cp, m);
            for (size_t j = 0; j < nm; j++) s->cp[k] = m[j], s->src0[k] = start, s->src1[k] = i, k++;
            s->n_cp = k;
            continue;
        }
        s->cp[k] = cp, s->src0[k] = start, s->src1[k] = i;
        s->n_cp = k + 1;
    }
    if (!strip) return 0;
    if (reorder) {
        /* canonical ordering (D109) with the library's combining classes;
         * the spans travel with their code points */
        for (size_t x = 1; x < s->n_cp; x++) {
            uint8_t c = xl_uc_bert_ccc(s->cp[x]);
            if (c == 0) continue;
            uint32_t v = s->cp[x];
            size_t v0 = s->src0[x], v1 = s->src1[x];
            size_t y = x;
            while (y > 0) {
                uint8_t p = xl_uc_bert_ccc(s->cp[y - 1]);
                if (p == 0 || p <= c) break;
                s->cp[y] = s->cp[y - 1], s->src0[y] = s->src0[y - 1], s->src1[y] = s->src1[y - 1];
                y--;
            }
            s->cp[y] = v, s->src0[y] = v0, s->src1[y] = v1;
        }
    }
    /* drop non-spacing marks, then lowercase (BertNormalizer order) */
    size_t out = 0;
    size_t n = s->n_cp;
    for (size_t x = 0; x < n; x++) {
        uint32_t cp = s->cp[x];
        unsigned cls = char_class(wp, cp);
        if (cls & XL_BERT_NONSPACING) continue;
        if (lower && (cls & XL_BERT_LOWER_CHANGES)) {
            uint32_t m[XL_UC_CASE_MAX];
            size_t nm = xl_uc_bert_lower(cp, m);
            if (nm > 1 && out + nm > x + 1) {
                /* expansion would overwrite unread input: shift the rest right */
                size_t extra = nm - 1;
                if (reserve_cp(s, n + extra + 1, err) < 0) return -1;
                memmove(s->cp + x + 1 + extra, s->cp + x + 1, (n - x - 1) * sizeof *s->cp);
                memmove(s->src0 + x + 1 + extra, s->src0 + x + 1, (n - x - 1) * sizeof *s->src0);
                memmove(s->src1 + x + 1 + extra, s->src1 + x + 1, (n - x - 1) * sizeof *s->src1);
                size_t a0 = s->src0[x], a1 = s->src1[x];
                for (size_t j = 0; j < nm; j++) s->cp[out] = m[j], s->src0[out] = a0, s->src1[out] = a1, out++;
                x += extra;
                n += extra;
                continue;
            }
            size_t a0 = s->src0[x], a1 = s->src1[x];
            for (size_t j = 0; j < nm; j++) s->cp[out] = m[j], s->src0[out] = a0, s->src1[out] = a1, out++;
            continue;
        }
        s->cp[out] = cp, s->src0[out] = s->src0[x], s->src1[out] = s->src1[x];
        out++;
    }
    s->n_cp = out;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* step 4: WordPiece on the word cp[w0, w1) */

static int xl_wordpiece_word(const xl_wordpiece *wp, scratch *s, size_t w0, size_t w1, int which, xl_error *err)
{
    size_t n_chars = w1 - w0;
    const int32_t unk = wp->special_ids[WORDPIECE_UNK];
    if (n_chars > wp->opts.max_input_chars_per_word)
        return push_tok(s, which, unk, s->src0[w0], s->src1[w1 - 1], err);
    const size_t P = wp->prefix_len;
    if (grow((void **)&s->word, &s->word_cap, P + n_chars * 4 + 1, 1, err) < 0) return -1;
    if (grow((void **)&s->bound, &s->bound_cap, n_chars + 1, sizeof *s->bound, err) < 0) return -1;
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
            if (x > w0 && xl_wordpiece_word(wp, s, w0, x, which, err) < 0) return -1;
            w0 = x + 1;
        } else if (cls & XL_BERT_PUNCT) {
            if (x > w0 && xl_wordpiece_word(wp, s, w0, x, which, err) < 0) return -1;
            if (xl_wordpiece_word(wp, s, x, x + 1, which, err) < 0) return -1;
            w0 = x + 1;
        }
    }
    if (n > w0 && xl_wordpiece_word(wp, s, w0, n, which, err) < 0) return -1;
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
    if (normalize_segment(wp, text, a, b, s, err) < 0) return -1;
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

int xl_wordpiece_normalize(const xl_wordpiece *wp, const char *text, size_t len, char **out, size_t *out_len,
                        xl_error *err)
{
    scratch *s = xl_calloc(1, sizeof *s, err);
    if (!s) return -1;
    int rc = normalize_segment(wp, text, 0, len, s, err);
    xl_buf b;
    xl_buf_init(&b);
    for (size_t k = 0; rc == 0 && k < s->n_cp; k++) {
        unsigned char u[4];
        size_t m = xl_utf8_encode(s->cp[k], u);
        rc = xl_buf_append(&b, u, m, err);
    }
    scratch_free(s);
    if (rc == 0 && !b.data) rc = xl_buf_reserve(&b, 1, err);
    if (rc < 0) {
        xl_buf_free(&b);
        return -1;
    }
    *out = b.data;
    *out_len = b.len;
    return 0;
}

int xl_wordpiece_pre_tokenize(const xl_wordpiece *wp, const char *text, size_t len, xl_wordpiece_encoding *e,
                           xl_wordpiece_word_fn fn, void *ctx, xl_error *err)
{
    if (!e->scratch) {
        e->scratch = xl_calloc(1, sizeof(scratch), err);
        if (!e->scratch) return -1;
    }
    scratch *s = e->scratch;
    if (normalize_segment(wp, text ? text : "", 0, text ? len : 0, s, err) < 0) return -1;
    size_t n = s->n_cp;
    if (grow((void **)&s->word, &s->word_cap, n * 4 + 1, 1, err) < 0) return -1;
    size_t w0 = 0;
    /* the word cp[a, b) as UTF-8, handed to fn */
#define EMIT_WORD(a, b)                                                                                      \
    do {                                                                                                     \
        size_t wl = 0;                                                                                       \
        for (size_t k_ = (a); k_ < (b); k_++) {                                                              \
            uint32_t c_ = s->cp[k_];                                                                         \
            if (c_ < 0x80) s->word[wl++] = (char)c_;                                                         \
            else wl += xl_utf8_encode(c_, (unsigned char *)s->word + wl);                                    \
        }                                                                                                    \
        int r_ = fn(ctx, s->word, wl);                                                                       \
        if (r_) return r_;                                                                                   \
    } while (0)
    for (size_t x = 0; x < n; x++) {
        unsigned cls = char_class(wp, s->cp[x]);
        if (cls & XL_BERT_WHITESPACE) {
            if (x > w0) EMIT_WORD(w0, x);
            w0 = x + 1;
        } else if (cls & XL_BERT_PUNCT) {
            if (x > w0) EMIT_WORD(w0, x);
            EMIT_WORD(x, x + 1);
            w0 = x + 1;
        }
    }
    if (n > w0) EMIT_WORD(w0, n);
#undef EMIT_WORD
    return 0;
}
