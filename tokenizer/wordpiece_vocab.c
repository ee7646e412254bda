/* wordpiece_vocab.c - the WordPiece vocabulary (see wordpiece.h, wordpiece_internal.h): construction
 * from tokens or a vocab.txt, the hash index for token -> id, the byte trie for the greedy longest match,
 * special and added tokens, and the id <-> token lookups. */
#include <stdlib.h>
#include <string.h>

#include "wordpiece_internal.h"
#include "xl_alloc.h"
#include "xl_io.h"
#include "xl_platform.h"
#include "xl_unicode.h"
#include "xl_utf8.h"

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

int xl_wp_add_added_token(xl_wordpiece *wp, const char *text, size_t len, int32_t id, xl_error *err)
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
int xl_wp_finish(xl_wordpiece *wp, bool add_specials_as_added, xl_error *err)
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
                xl_wp_add_added_token(wp, wp->strings[i], strlen(wp->strings[i]), wp->special_ids[i], err) < 0)
                return -1;
        }
    }
    for (uint32_t c = 0; c < 128; c++) wp->ascii_class[c] = (uint8_t)xl_uc_bert_class(c);
    return 0;
}

xl_wordpiece *xl_wp_new(const xl_wordpiece_options *opts, xl_error *err)
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
int xl_wp_alloc_vocab(xl_wordpiece *wp, size_t n_ids, size_t total_bytes, xl_error *err)
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
    xl_wordpiece *wp = xl_wp_new(opts, err);
    if (!wp) return NULL;
    size_t total = 0;
    for (size_t i = 0; i < n_tokens; i++) {
        size_t l = lens ? lens[i] : strlen(tokens[i]);
        if (!xl_add_size(total, l, &total)) total = SIZE_MAX;
    }
    if (xl_wp_alloc_vocab(wp, n_tokens, total, err) < 0) goto fail;
    size_t off = 0;
    for (size_t i = 0; i < n_tokens; i++) {
        size_t l = lens ? lens[i] : strlen(tokens[i]);
        memcpy(wp->arena + off, tokens[i], l);
        wp->arena[off + l] = 0;
        wp->tok_off[i] = (uint32_t)off;
        wp->tok_len[i] = (uint32_t)l;
        off += l + 1;
    }
    if (xl_wp_finish(wp, true, err) < 0) goto fail;
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
    xl_wordpiece *wp = xl_wp_new(opts, err);
    if (!wp) {
        free(data);
        return NULL;
    }
    size_t n_lines = 0;
    for (size_t i = 0; i < size; i++) n_lines += data[i] == '\n';
    if (size > 0 && data[size - 1] != '\n') n_lines++;
    if (xl_wp_alloc_vocab(wp, n_lines, size, err) < 0) {
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
    if (xl_wp_finish(wp, true, err) < 0) {
        xl_error_prefix(err, "%s", path);
        goto fail;
    }
    return wp;
fail:
    free(data);
    xl_wordpiece_free(wp);
    return NULL;
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
