/* cmd_vocab.c - `xlrec vocab train|prune|stats`: WordPiece vocabularies.
 *   train  HF WordPieceTrainer's algorithm (tokenizer/wordpiece_train.h)
 *   prune  keep the part of an existing vocabulary (mBERT) that a corpus uses
 *   stats  unknown-token rate and pieces per word of a vocabulary on text
 * See docs/vocabulary.md. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordpiece.h"
#include "wordpiece_train.h"
#include "xl_alloc.h"
#include "xl_cli.h"
#include "xl_io.h"
#include "xl_platform.h"
#include "xl_thread.h"
#include "xl_utf8.h"

#define MAX_COLUMNS 16

/* "2,4" -> {2, 4} (1-based TSV columns); NULL or "" = the whole line */
static int parse_columns(const char *s, int *cols, int *n)
{
    *n = 0;
    if (!s || !*s) return 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 1000 || *n == MAX_COLUMNS) return -1;
        cols[(*n)++] = (int)v;
        s = end;
        if (*s == ',') s++;
        else if (*s) return -1;
    }
    return 0;
}

/* the text of column `col` (1-based) of a TSV line; -1 when absent */
static int tsv_field(const char *line, size_t len, int col, const char **f, size_t *flen)
{
    size_t start = 0;
    for (int c = 1; c < col; c++) {
        const char *tab = memchr(line + start, '\t', len - start);
        if (!tab) return -1;
        start = (size_t)(tab - line) + 1;
    }
    const char *tab = memchr(line + start, '\t', len - start);
    *f = line + start;
    *flen = tab ? (size_t)(tab - (line + start)) : len - start;
    return 0;
}

/* outputs never clobber inputs (xl_cli_check_output: same device and inode) */
static int check_outputs(const xl_command_spec *spec, const xl_args *args, const char *extra_input,
                         const char *const *outputs, size_t n_outputs)
{
    const char *inputs[XL_MAX_POSITIONAL + 1];
    size_t n = 0;
    for (int i = 0; i < args->n_positional; i++) inputs[n++] = args->positional[i];
    inputs[n++] = extra_input;
    for (size_t k = 0; k < n_outputs; k++) {
        if (!outputs[k] || !strcmp(outputs[k], "-")) continue;
        int rc = xl_cli_check_output(spec, outputs[k], inputs, n);
        if (rc != XL_CLI_CONTINUE) return rc;
    }
    return XL_CLI_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* train */

typedef struct batch {
    xl_buf text;      /* the texts, back to back */
    size_t *off, *len;
    size_t n, cap;
} batch;

typedef struct count_job {
    batch *b;
    xl_wordpiece_counter **counters;
    xl_error errs[XL_MAX_THREADS];
    int failed[XL_MAX_THREADS];
} count_job;

static void count_range(void *ctx, size_t begin, size_t end, int tid)
{
    count_job *j = ctx;
    for (size_t i = begin; i < end && !j->failed[tid]; i++)
        if (xl_wordpiece_counter_add_text(j->counters[tid], j->b->text.data + j->b->off[i], j->b->len[i],
                                       &j->errs[tid]) < 0)
            j->failed[tid] = 1;
}

static int batch_add(batch *b, const char *s, size_t n, xl_error *err)
{
    if (b->n == b->cap) {
        size_t c = b->cap ? b->cap * 2 : 4096;
        size_t *o = xl_realloc(b->off, c, sizeof *o, err);
        if (!o) return -1;
        b->off = o;
        size_t *l = xl_realloc(b->len, c, sizeof *l, err);
        if (!l) return -1;
        b->len = l;
        b->cap = c;
    }
    b->off[b->n] = b->text.len;
    b->len[b->n] = n;
    b->n++;
    return xl_buf_append(&b->text, s, n, err);
}

static int flush_batch(batch *b, count_job *j, int n_threads, xl_error *err)
{
    if (!b->n) return 0;
    if (!b->text.data && xl_buf_reserve(&b->text, 1, err) < 0) return -1;
    xl_parallel_for(n_threads, b->n, count_range, j);
    for (int t = 0; t < n_threads; t++)
        if (j->failed[t]) {
            *err = j->errs[t];
            return -1;
        }
    b->n = 0;
    xl_buf_clear(&b->text);
    return 0;
}

/* "##c" single-character tokens of a vocab.txt, in file order */
static int read_continuation_order(const char *path, const char *prefix, uint32_t **out, size_t *n, xl_error *err)
{
    xl_lines r;
    if (xl_lines_open(&r, path, err) < 0) return -1;
    size_t plen = strlen(prefix), cap = 0;
    *out = NULL;
    *n = 0;
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&r, &line, &len, err)) > 0) {
        if (len <= plen || memcmp(line, prefix, plen)) continue;
        uint32_t cp;
        int k = xl_utf8_decode((const unsigned char *)line + plen, len - plen, &cp, NULL);
        if (k <= 0 || (size_t)k != len - plen) continue;
        uint32_t *q = xl_array_reserve(*out, &cap, *n + 1, 256, err);
        if (!q) {
            rc = -1;
            break;
        }
        *out = q;
        (*out)[(*n)++] = cp;
    }
    xl_lines_close(&r);
    return rc < 0 ? -1 : 0;
}

/* split a list of special tokens on commas and white space */
static int split_specials(const char *s, char ***toks, size_t *n, xl_error *err)
{
    *toks = NULL;
    *n = 0;
    size_t cap = 0;
    while (*s) {
        while (*s == ',' || *s == ' ' || *s == '\t') s++;
        if (!*s) break;
        const char *e = s;
        while (*e && *e != ',' && *e != ' ' && *e != '\t') e++;
        char **q = xl_array_reserve(*toks, &cap, *n + 1, 8, err);
        if (!q) return -1;
        *toks = q;
        (*toks)[*n] = xl_strndup(s, (size_t)(e - s), err);
        if (!(*toks)[*n]) return -1;
        (*n)++;
        s = e;
    }
    return 0;
}

static int vocab_train_cmd(int argc, char **argv)
{
    /* the options start from the library's defaults, which --help prints (once) */
    xl_wordpiece_train_options o;
    xl_wordpiece_train_options_default(&o);
    char default_specials[256] = "";
    for (size_t i = 0; i < o.n_special_tokens; i++) {
        size_t at = strlen(default_specials);
        snprintf(default_specials + at, sizeof default_specials - at, "%s%s", i ? "," : "", o.special_tokens[i]);
    }
    int64_t vocab_size = (int64_t)o.vocab_size, min_frequency = (int64_t)o.min_frequency, limit_alphabet = -1,
            threads = XL_THREADS_DEFAULT;
    const char *columns = NULL, *specials = default_specials, *initial = NULL;
    const char *output = "-", *json = NULL, *config = NULL, *strip = "auto", *chinese = "yes", *order = NULL;
    bool lowercase = false, quiet = false;
    const xl_option opts[] = {
        {"vocab-size", 0, XL_OPT_INT, &vocab_size, "N", "target vocabulary size, special tokens included", 1,
         100000000, NULL},
        {"min-frequency", 0, XL_OPT_INT, &min_frequency, "N", "stop merging below this pair count", 0, 1e15, NULL},
        {"limit-alphabet", 0, XL_OPT_INT, &limit_alphabet, "N", "keep only the N most frequent characters (-1: all)",
         0, 100000000, NULL},
        {"initial-alphabet", 0, XL_OPT_STRING, &initial, "CHARS", "characters always in the alphabet", 0, 0, NULL},
        {"special-tokens", 0, XL_OPT_STRING, &specials, "LIST",
         "special tokens first, comma/space separated (\"\" = none)", 0, 0, NULL},
        {"lowercase", 0, XL_OPT_FLAG, &lowercase, NULL, "BertNormalizer lowercase (uncased vocabulary)", 0, 0, NULL},
        {"strip-accents", 0, XL_OPT_CHOICE, &strip, "WHEN", "strip accents (auto: when lowercasing, as HF)", 0, 0,
         "auto|yes|no"},
        {"chinese-chars", 0, XL_OPT_CHOICE, &chinese, "YN", "isolate CJK ideographs (handle_chinese_chars)", 0, 0,
         "yes|no"},
        {"column", 0, XL_OPT_STRING, &columns, "LIST", "TSV column(s) holding text, 1-based, e.g. 2 or 2,4", 0, 0,
         NULL},
        {"threads", 't', XL_OPT_INT, &threads, "N", "threads for counting (0 = all CPUs)", 0, XL_MAX_THREADS,
         NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "vocab.txt to write (-: stdout)", 0, 0, NULL},
        {"tokenizer-json", 0, XL_OPT_STRING, &json, "FILE", "also write a HF tokenizer.json", 0, 0, NULL},
        {"tokenizer-config", 0, XL_OPT_STRING, &config, "FILE", "also write a tokenizer_config.json", 0, 0, NULL},
        {"continuation-order", 0, XL_OPT_STRING, &order, "VOCAB",
         "create the ##c tokens in the order of this vocab.txt (to replay one HF run)", 0, 0, NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no summary on stderr", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "vocab train",
        "xlrec vocab train [--vocab-size N] [--min-frequency N] [--limit-alphabet N] [--special-tokens LIST]\n"
        "                  [--lowercase] [--column LIST] [--threads N] [-o vocab.txt] [--tokenizer-json FILE]\n"
        "                  FILE|- ...",
        "Train a WordPiece vocabulary as HuggingFace tokenizers' WordPieceTrainer does (BPE merges with the\n"
        "\"##\" continuation prefix on BertNormalizer + BertPreTokenizer words), deterministically.  Each input\n"
        "line is one text (or the given TSV columns of it); input must be valid UTF-8.",
        opts,
        1,
        XL_MAX_POSITIONAL};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    int cols[MAX_COLUMNS], n_cols;
    if (parse_columns(columns, cols, &n_cols) < 0)
        return xl_cli_usage_error(&spec, "bad --column '%s' (1-based numbers, comma separated)", columns);
    const char *outs[] = {output, json, config};
    if ((rc = check_outputs(&spec, &args, order, outs, 3)) != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    o.vocab_size = (size_t)vocab_size;
    o.min_frequency = (uint64_t)min_frequency;
    if (limit_alphabet >= 0) o.limit_alphabet = (size_t)limit_alphabet;
    o.lowercase = lowercase;
    o.strip_accents = !strcmp(strip, "auto") ? -1 : !strcmp(strip, "yes");
    o.tokenize_chinese_chars = !strcmp(chinese, "yes");
    char **spec_toks = NULL;
    size_t n_spec = 0;
    uint32_t *alphabet = NULL, *cont_order = NULL;
    size_t n_alphabet = 0, n_order = 0;
    int n_threads = xl_resolve_threads((int)threads);
    xl_wordpiece_counter *counters[XL_MAX_THREADS] = {0};
    count_job *job = NULL;
    batch b = {0};
    xl_wordpiece_vocab v = {0};
    xl_buf_init(&b.text);
    rc = -1;
    if (split_specials(specials, &spec_toks, &n_spec, &err) < 0) goto done;
    o.special_tokens = (const char *const *)spec_toks;
    o.n_special_tokens = n_spec;
    if (initial) {
        size_t len = strlen(initial);
        if (!xl_utf8_validate(initial, len, NULL, NULL)) {
            rc = xl_cli_usage_error(&spec, "--initial-alphabet is not valid UTF-8");
            goto out;
        }
        alphabet = xl_malloc((len ? len : 1) * sizeof *alphabet, &err);
        if (!alphabet) goto done;
        for (size_t i = 0; i < len;) {
            uint32_t cp;
            i += (size_t)xl_utf8_decode((const unsigned char *)initial + i, len - i, &cp, NULL);
            alphabet[n_alphabet++] = cp;
        }
        o.initial_alphabet = alphabet;
        o.n_initial_alphabet = n_alphabet;
    }
    if (order) {
        if (read_continuation_order(order, o.continuing_subword_prefix, &cont_order, &n_order, &err) < 0) goto done;
        o.continuation_order = cont_order;
        o.n_continuation_order = n_order;
    }
    job = xl_calloc(1, sizeof *job, &err);
    if (!job) goto done;
    for (int t = 0; t < n_threads; t++)
        if (!(counters[t] = xl_wordpiece_counter_create(&o, &err))) goto done;
    job->b = &b;
    job->counters = counters;
    double t0 = xl_time_now();
    uint64_t n_lines = 0;
    for (int f = 0; f < args.n_positional; f++) {
        const char *path = args.positional[f];
        xl_lines lines;
        if (xl_lines_open(&lines, path, &err) < 0) goto done;
        lines.strip_cr = false; /* "\r" is white space for BERT, as HF reads it */
        const char *line;
        size_t len;
        int r;
        while ((r = xl_lines_next(&lines, &line, &len, &err)) > 0) {
            size_t bad;
            if (!xl_utf8_validate(line, len, &bad, NULL)) {
                xl_fail(&err, XL_ERR_FORMAT, "%s:%llu: invalid UTF-8 at byte %zu (HF's trainer refuses it too)",
                        path, (unsigned long long)lines.lineno, bad + 1);
                r = -1;
                break;
            }
            n_lines++;
            if (n_cols == 0) {
                r = batch_add(&b, line, len, &err);
            } else {
                for (int c = 0; c < n_cols && r > 0; c++) {
                    const char *fld;
                    size_t flen;
                    if (tsv_field(line, len, cols[c], &fld, &flen) < 0) {
                        xl_fail(&err, XL_ERR_FORMAT, "%s:%llu: no column %d", path, (unsigned long long)lines.lineno,
                                cols[c]);
                        r = -1;
                    } else if (batch_add(&b, fld, flen, &err) < 0) {
                        r = -1;
                    }
                }
            }
            if (r < 0) break;
            if ((b.text.len > ((size_t)8 << 20) || b.n > 100000) && flush_batch(&b, job, n_threads, &err) < 0) {
                r = -1;
                break;
            }
        }
        xl_lines_close(&lines);
        if (r < 0) goto done;
    }
    if (flush_batch(&b, job, n_threads, &err) < 0) goto done;
    for (int t = 1; t < n_threads; t++) {
        if (xl_wordpiece_counter_merge(counters[0], counters[t], &err) < 0) goto done;
        xl_wordpiece_counter_free(counters[t]);
        counters[t] = NULL;
    }
    double t1 = xl_time_now();
    if (xl_wordpiece_train(counters[0], &o, &v, &err) < 0) goto done;
    double t2 = xl_time_now();
    if (!quiet)
        fprintf(stderr,
                "xlrec vocab train: %llu lines, %llu words (%zu distinct) counted in %.1f s; %zu tokens (%zu special, "
                "%zu characters, %zu ##characters, %zu merges, last merge count %llu) in %.1f s\n",
                (unsigned long long)n_lines, (unsigned long long)xl_wordpiece_counter_total(counters[0]),
                xl_wordpiece_counter_distinct(counters[0]), t1 - t0, v.n, v.n_special, v.n_alphabet, v.n_continuation,
                v.n_merges, (unsigned long long)v.last_merge_count, t2 - t1);
    if (xl_wordpiece_vocab_write_txt(&v, output, &err) < 0) goto done;
    if (json && xl_wordpiece_vocab_write_json(&v, &o, json, &err) < 0) goto done;
    if (config && xl_wordpiece_vocab_write_config(&o, config, &err) < 0) goto done;
    rc = XL_EXIT_OK;
done:
    if (rc < 0) rc = xl_cli_runtime_error(&err);
out:
    xl_wordpiece_vocab_free(&v);
    for (int t = 0; t < n_threads; t++) xl_wordpiece_counter_free(counters[t]);
    free(job);
    xl_buf_free(&b.text);
    free(b.off);
    free(b.len);
    for (size_t i = 0; i < n_spec; i++) free(spec_toks[i]);
    free(spec_toks);
    free(alphabet);
    free(cont_order);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* stats and prune: tokenise text with a vocabulary */

typedef struct lang_stats {
    char lang[32];
    uint64_t words, pieces, unk, lines;
} lang_stats;

typedef struct text_source {
    xl_args *args;
    int cols[MAX_COLUMNS], n_cols;
    int lang_col; /* 0 = none */
} text_source;

/* calls fn(ctx, lang, text, len) for each text of the inputs */
typedef int (*text_fn)(void *ctx, const char *lang, size_t lang_len, const char *text, size_t len, xl_error *err);

static int for_each_text(const text_source *src, text_fn fn, void *ctx, xl_error *err)
{
    for (int f = 0; f < src->args->n_positional; f++) {
        const char *path = src->args->positional[f];
        xl_lines lines;
        if (xl_lines_open(&lines, path, err) < 0) return -1;
        lines.strip_cr = false;
        const char *line;
        size_t len;
        int r;
        while ((r = xl_lines_next(&lines, &line, &len, err)) > 0) {
            const char *lang = "", *fld;
            size_t lang_len = 0, flen;
            if (src->lang_col && tsv_field(line, len, src->lang_col, &lang, &lang_len) < 0) {
                xl_fail(err, XL_ERR_FORMAT, "%s:%llu: no column %d", path, (unsigned long long)lines.lineno,
                        src->lang_col);
                r = -1;
                break;
            }
            if (src->n_cols == 0) {
                if (fn(ctx, lang, lang_len, line, len, err) < 0) r = -1;
            } else {
                for (int c = 0; c < src->n_cols && r > 0; c++) {
                    if (tsv_field(line, len, src->cols[c], &fld, &flen) < 0) {
                        xl_fail(err, XL_ERR_FORMAT, "%s:%llu: no column %d", path, (unsigned long long)lines.lineno,
                                src->cols[c]);
                        r = -1;
                    } else if (fn(ctx, lang, lang_len, fld, flen, err) < 0) {
                        r = -1;
                    }
                }
            }
            if (r < 0) {
                if (err->msg[0] && !strstr(err->msg, path)) xl_error_prefix(err, "%s:%llu", path,
                                                                           (unsigned long long)lines.lineno);
                break;
            }
        }
        xl_lines_close(&lines);
        if (r < 0) return -1;
    }
    return 0;
}

typedef struct stats_ctx {
    const xl_wordpiece *wp;
    xl_wordpiece_encoding enc;
    xl_wordpiece_encode_options eo;
    int32_t unk;
    size_t prefix_len;
    const char *prefix;
    lang_stats *langs;
    size_t n_langs, cap;
    uint64_t *use; /* per id (prune) */
} stats_ctx;

static lang_stats *lang_slot(stats_ctx *s, const char *lang, size_t n, xl_error *err)
{
    if (n >= sizeof s->langs[0].lang) n = sizeof s->langs[0].lang - 1;
    for (size_t i = 0; i < s->n_langs; i++)
        if (strlen(s->langs[i].lang) == n && !memcmp(s->langs[i].lang, lang, n)) return &s->langs[i];
    lang_stats *q = xl_array_reserve(s->langs, &s->cap, s->n_langs + 1, 16, err);
    if (!q) return NULL;
    s->langs = q;
    lang_stats *l = &s->langs[s->n_langs++];
    memset(l, 0, sizeof *l);
    memcpy(l->lang, lang, n);
    return l;
}

static int stats_text(void *ctx, const char *lang, size_t lang_len, const char *text, size_t len, xl_error *err)
{
    stats_ctx *s = ctx;
    lang_stats *l = lang_slot(s, lang, lang_len, err);
    if (!l) return -1;
    if (xl_wordpiece_encode(s->wp, text, len, NULL, 0, &s->eo, &s->enc, err) < 0) return -1;
    l->lines++;
    for (size_t k = 0; k < s->enc.len; k++) {
        size_t tl = 0;
        int32_t id = s->enc.ids[k];
        const char *t = xl_wordpiece_id_to_token(s->wp, id, &tl);
        bool cont = t && tl > s->prefix_len && !memcmp(t, s->prefix, s->prefix_len);
        if (!cont) l->words++;
        l->pieces++;
        if (id == s->unk) l->unk++;
        if (s->use) s->use[id]++;
    }
    return 0;
}

static int print_stats(const stats_ctx *s)
{
    lang_stats all = {"all", 0, 0, 0, 0};
    printf("lang\tlines\twords\tpieces\tunk\tunk_rate_%%\tpieces_per_word\n");
    for (size_t i = 0; i < s->n_langs; i++) {
        const lang_stats *l = &s->langs[i];
        printf("%s\t%llu\t%llu\t%llu\t%llu\t%.3f\t%.3f\n", l->lang[0] ? l->lang : "-", (unsigned long long)l->lines,
               (unsigned long long)l->words, (unsigned long long)l->pieces, (unsigned long long)l->unk,
               l->words ? 100.0 * (double)l->unk / (double)l->words : 0.0,
               l->words ? (double)l->pieces / (double)l->words : 0.0);
        all.lines += l->lines, all.words += l->words, all.pieces += l->pieces, all.unk += l->unk;
    }
    if (s->n_langs > 1)
        printf("all\t%llu\t%llu\t%llu\t%llu\t%.3f\t%.3f\n", (unsigned long long)all.lines,
               (unsigned long long)all.words, (unsigned long long)all.pieces, (unsigned long long)all.unk,
               all.words ? 100.0 * (double)all.unk / (double)all.words : 0.0,
               all.words ? (double)all.pieces / (double)all.words : 0.0);
    return fflush(stdout) == 0 ? 0 : -1;
}

static int stats_setup(stats_ctx *s, const xl_wordpiece *wp, xl_error *err)
{
    (void)err;
    memset(s, 0, sizeof *s);
    s->wp = wp;
    xl_wordpiece_encoding_init(&s->enc);
    xl_wordpiece_encode_options_default(&s->eo);
    s->eo.add_special_tokens = false;
    s->unk = xl_wordpiece_special_id(wp, WORDPIECE_UNK);
    s->prefix = xl_wordpiece_get_options(wp)->continuing_subword_prefix;
    s->prefix_len = strlen(s->prefix);
    return 0;
}

static void stats_free(stats_ctx *s)
{
    xl_wordpiece_encoding_free(&s->enc);
    free(s->langs);
    free(s->use);
}

static int vocab_stats_cmd(int argc, char **argv)
{
    const char *tok = NULL, *columns = NULL;
    int64_t lang_col = 0;
    bool lowercase = false, cased = false;
    const xl_option opts[] = {
        {"tokenizer", 0, XL_OPT_STRING, &tok, "PATH", "tokenizer.json, vocab.txt or a model directory", 0, 0, NULL},
        {"lowercase", 0, XL_OPT_FLAG, &lowercase, NULL, "lowercase and strip accents", 0, 0, NULL},
        {"cased", 0, XL_OPT_FLAG, &cased, NULL, "keep case and accents", 0, 0, NULL},
        {"column", 0, XL_OPT_STRING, &columns, "LIST", "TSV column(s) holding text, 1-based", 0, 0, NULL},
        {"lang-column", 0, XL_OPT_INT, &lang_col, "N", "TSV column with a language code: one row per language", 1,
         1000, NULL},
        {0}};
    const xl_command_spec spec = {
        "vocab stats", "xlrec vocab stats --tokenizer PATH [--column LIST] [--lang-column N] FILE|- ...",
        "Tokenise the texts (no [CLS]/[SEP]) and print, per language: words (pre-tokenized words), pieces,\n"
        "[UNK] tokens, the unknown rate (% of words that became [UNK]) and mean pieces per word.",
        opts, 1, XL_MAX_POSITIONAL};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!tok) return xl_cli_usage_error(&spec, "--tokenizer is required");
    if (lowercase && cased) return xl_cli_usage_error(&spec, "--lowercase and --cased exclude each other");
    text_source src = {&args, {0}, 0, (int)lang_col};
    if (parse_columns(columns, src.cols, &src.n_cols) < 0) return xl_cli_usage_error(&spec, "bad --column");
    xl_error err;
    xl_error_clear(&err);
    xl_wordpiece *wp = xl_wordpiece_load(tok, lowercase ? 1 : cased ? 0 : -1, &err);
    if (!wp) return xl_cli_runtime_error(&err);
    stats_ctx s;
    stats_setup(&s, wp, &err);
    rc = for_each_text(&src, stats_text, &s, &err);
    if (rc == 0 && print_stats(&s) < 0) rc = xl_fail(&err, XL_ERR_IO, "stdout: write failed");
    stats_free(&s);
    xl_wordpiece_free(wp);
    return rc < 0 ? xl_cli_runtime_error(&err) : XL_EXIT_OK;
}

/* prune: keep what the corpus uses */
typedef struct id_use {
    int32_t id;
    uint64_t use;
} id_use;

static int cmp_use(const void *a, const void *b)
{
    const id_use *x = a, *y = b;
    if (x->use != y->use) return x->use > y->use ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int vocab_prune_cmd(int argc, char **argv)
{
    const char *tok = NULL, *columns = NULL, *output = "-", *map = NULL;
    int64_t size = 30000;
    bool lowercase = false, cased = false, quiet = false;
    const xl_option opts[] = {
        {"tokenizer", 0, XL_OPT_STRING, &tok, "PATH", "the vocabulary to prune (tokenizer.json/vocab.txt/dir)", 0, 0,
         NULL},
        {"vocab-size", 0, XL_OPT_INT, &size, "N", "tokens to keep", 1, 100000000, NULL},
        {"lowercase", 0, XL_OPT_FLAG, &lowercase, NULL, "lowercase and strip accents", 0, 0, NULL},
        {"cased", 0, XL_OPT_FLAG, &cased, NULL, "keep case and accents", 0, 0, NULL},
        {"column", 0, XL_OPT_STRING, &columns, "LIST", "TSV column(s) holding text, 1-based", 0, 0, NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "pruned vocab.txt (-: stdout)", 0, 0, NULL},
        {"map", 0, XL_OPT_STRING, &map, "FILE", "write NEW_ID<TAB>OLD_ID lines (to copy embedding rows)", 0, 0, NULL},
        {"quiet", 'q', XL_OPT_FLAG, &quiet, NULL, "no summary on stderr", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "vocab prune", "xlrec vocab prune --tokenizer PATH --vocab-size N [--column LIST] [-o vocab.txt] FILE|- ...",
        "Tokenise the corpus with an existing vocabulary and keep: its special tokens, every single-character\n"
        "token (c and ##c) the corpus uses, then the most used other tokens (ties: lower id) up to N.  Tokens\n"
        "keep their original relative order; --map gives the id mapping.",
        opts, 1, XL_MAX_POSITIONAL};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!tok) return xl_cli_usage_error(&spec, "--tokenizer is required");
    if (lowercase && cased) return xl_cli_usage_error(&spec, "--lowercase and --cased exclude each other");
    const char *outs[] = {output, map};
    if ((rc = check_outputs(&spec, &args, tok, outs, 2)) != XL_CLI_CONTINUE) return rc;
    text_source src = {&args, {0}, 0, 0};
    if (parse_columns(columns, src.cols, &src.n_cols) < 0) return xl_cli_usage_error(&spec, "bad --column");
    xl_error err;
    xl_error_clear(&err);
    xl_wordpiece *wp = xl_wordpiece_load(tok, lowercase ? 1 : cased ? 0 : -1, &err);
    if (!wp) return xl_cli_runtime_error(&err);
    size_t n = xl_wordpiece_vocab_size(wp);
    stats_ctx s;
    stats_setup(&s, wp, &err);
    id_use *u = NULL;
    uint8_t *keep = NULL;
    xl_buf out, mapb;
    xl_buf_init(&out);
    xl_buf_init(&mapb);
    rc = -1;
    s.use = xl_calloc(n, sizeof *s.use, &err);
    u = xl_malloc(n * sizeof *u, &err);
    keep = xl_calloc(n, 1, &err);
    if (!s.use || !u || !keep) goto done;
    if (for_each_text(&src, stats_text, &s, &err) < 0) goto done;
    size_t kept = 0, n_u = 0;
    for (int w = 0; w < 5; w++) {
        int32_t id = xl_wordpiece_special_id(wp, (xl_wordpiece_special)w);
        if (id >= 0 && !keep[id]) keep[id] = 1, kept++;
    }
    const char *prefix = s.prefix;
    size_t plen = s.prefix_len;
    for (size_t id = 0; id < n; id++) {
        size_t tl;
        const char *t = xl_wordpiece_id_to_token(wp, (int32_t)id, &tl);
        if (!t || keep[id] || !s.use[id]) continue;
        size_t body = (tl > plen && !memcmp(t, prefix, plen)) ? plen : 0;
        if (xl_utf8_count(t + body, tl - body) == 1) keep[id] = 1, kept++;
        else u[n_u++] = (id_use){(int32_t)id, s.use[id]};
    }
    qsort(u, n_u, sizeof *u, cmp_use);
    for (size_t k = 0; k < n_u && kept < (size_t)size; k++) keep[u[k].id] = 1, kept++;
    size_t new_id = 0;
    for (size_t id = 0; id < n; id++) {
        if (!keep[id]) continue;
        size_t tl;
        const char *t = xl_wordpiece_id_to_token(wp, (int32_t)id, &tl);
        if (xl_buf_append(&out, t, tl, &err) < 0 || xl_buf_putc(&out, '\n', &err) < 0) goto done;
        if (map && xl_buf_printf(&mapb, &err, "%zu\t%zu\n", new_id, id) < 0) goto done;
        new_id++;
    }
    if (!quiet)
    {
        size_t used = 0;
        for (size_t id = 0; id < n; id++) used += s.use[id] > 0;
        fprintf(stderr, "xlrec vocab prune: %zu of %zu tokens used by the corpus, %zu kept\n", used, n, kept);
    }
    if (xl_write_file(output, out.data ? out.data : "", out.len, &err) < 0) goto done;
    if (map && xl_write_file(map, mapb.data ? mapb.data : "", mapb.len, &err) < 0) goto done;
    rc = 0;
done:
    xl_buf_free(&out);
    xl_buf_free(&mapb);
    free(u);
    free(keep);
    stats_free(&s);
    xl_wordpiece_free(wp);
    return rc < 0 ? xl_cli_runtime_error(&err) : XL_EXIT_OK;
}

int cmd_vocab(int argc, char **argv)
{
    static const xl_subcommand subs[] = {
        {"train", vocab_train_cmd, "train a WordPiece vocabulary (HF WordPieceTrainer's algorithm)"},
        {"prune", vocab_prune_cmd, "keep the part of a vocabulary that a corpus uses"},
        {"stats", vocab_stats_cmd, "unknown-token rate and pieces per word of a vocabulary on text"},
        {NULL, NULL, NULL}};
    return xl_cli_dispatch("vocab", "usage: xlrec vocab train|prune|stats [options]  (xlrec vocab SUB --help)\n", subs,
                           argc, argv);
}
