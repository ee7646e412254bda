/* cmd_tokenize.c - `xlrec tokenize`: BERT WordPiece, one input line -> one
 * output line (ids, tokens or offsets), streaming.  See wordpiece.h and
 * docs/tokenizer.md. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "wordpiece.h"
#include "xl_cli.h"
#include "xl_io.h"

static int write_line(const xl_wordpiece *wp, const xl_wordpiece_encoding *e, const char *mode, const char *a, size_t alen,
                      const char *b, size_t blen, xl_buf *out, xl_error *err)
{
    xl_buf_clear(out);
    for (size_t k = 0; k < e->len; k++) {
        if (k && xl_buf_putc(out, ' ', err) < 0) return -1;
        int rc;
        if (!strcmp(mode, "tokens")) {
            size_t n = 0;
            const char *t = xl_wordpiece_id_to_token(wp, e->ids[k], &n);
            rc = t ? xl_buf_append(out, t, n, err) : xl_buf_printf(out, err, "<%d>", (int)e->ids[k]);
        } else if (!strcmp(mode, "offsets")) {
            const char *text = e->sequence[k] == 1 ? b : a;
            size_t tlen = e->sequence[k] == 1 ? blen : alen;
            size_t s = xl_wordpiece_byte_to_char(text, tlen, e->offsets[2 * k]);
            size_t t = xl_wordpiece_byte_to_char(text, tlen, e->offsets[2 * k + 1]);
            rc = xl_buf_printf(out, err, "%zu:%zu", s, t);
        } else {
            rc = xl_buf_printf(out, err, "%d", (int)e->ids[k]);
        }
        if (rc < 0) return -1;
    }
    if (xl_buf_putc(out, '\n', err) < 0) return -1;
    if (fwrite(out->data, 1, out->len, stdout) != out->len) return xl_fail(err, XL_ERR_IO, "stdout: write failed");
    return 0;
}

int cmd_tokenize(int argc, char **argv)
{
    const char *vocab = NULL, *tokenizer = NULL;
    bool lowercase = false, cased = false, ids = false, tokens = false, offsets = false, pair = false;
    bool no_special = false;
    int64_t max_len = 0;
    const char *truncation = "longest_first";
    const xl_option opts[] = {
        {"vocab", 0, XL_OPT_STRING, &vocab, "PATH", "vocab.txt (tokenizer_config.json beside it is read too)", 0, 0,
         NULL},
        {"tokenizer", 0, XL_OPT_STRING, &tokenizer, "PATH", "HF tokenizer.json, or a model directory", 0, 0, NULL},
        {"lowercase", 0, XL_OPT_FLAG, &lowercase, NULL, "lowercase and strip accents (uncased models)", 0, 0, NULL},
        {"cased", 0, XL_OPT_FLAG, &cased, NULL, "keep case and accents (cased models)", 0, 0, NULL},
        {"ids", 0, XL_OPT_FLAG, &ids, NULL, "print token ids (default)", 0, 0, NULL},
        {"tokens", 0, XL_OPT_FLAG, &tokens, NULL, "print token strings", 0, 0, NULL},
        {"offsets", 0, XL_OPT_FLAG, &offsets, NULL,
         "print START:END code point offsets of each token in its input text", 0, 0, NULL},
        {"pair", 0, XL_OPT_FLAG, &pair, NULL, "each line is TEXT_A<TAB>TEXT_B: [CLS] A [SEP] B [SEP]", 0, 0, NULL},
        {"max-len", 0, XL_OPT_INT, &max_len, "N", "truncate to N tokens including [CLS]/[SEP]", 1, 1000000000, NULL},
        {"truncation", 0, XL_OPT_CHOICE, &truncation, "HOW", "pair truncation (HF strategies)", 0, 0,
         "longest_first|only_first|only_second"},
        {"no-special", 0, XL_OPT_FLAG, &no_special, NULL, "do not add [CLS]/[SEP]", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "tokenize",
        "xlrec tokenize --vocab PATH|--tokenizer PATH [--lowercase|--cased] [--ids|--tokens|--offsets]\n"
        "               [--pair] [--max-len N] [FILE|-]",
        "Tokenise each input line with BERT WordPiece exactly as HuggingFace's tokenizers library\n"
        "(BertTokenizerFast) does, and print one output line per input line.  Ill-formed UTF-8 is read\n"
        "as U+FFFD, which the normaliser drops.  Without --lowercase/--cased the files decide\n"
        "(tokenizer.json, tokenizer_config.json; a bare vocab.txt lowercases, as HF's default).",
        opts,
        0,
        1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!vocab == !tokenizer) return xl_cli_usage_error(&spec, "give exactly one of --vocab and --tokenizer");
    if (lowercase && cased) return xl_cli_usage_error(&spec, "--lowercase and --cased exclude each other");
    if (ids + tokens + offsets > 1) return xl_cli_usage_error(&spec, "choose one of --ids, --tokens, --offsets");
    const char *mode = tokens ? "tokens" : offsets ? "offsets" : "ids";
    xl_error err;
    xl_error_clear(&err);
    xl_wordpiece *wp = xl_wordpiece_load(vocab ? vocab : tokenizer, lowercase ? 1 : cased ? 0 : -1, &err);
    if (!wp) return xl_cli_runtime_error(&err);
    xl_wordpiece_encode_options eo;
    xl_wordpiece_encode_options_default(&eo);
    eo.add_special_tokens = !no_special;
    eo.max_length = (size_t)max_len;
    eo.truncation = !strcmp(truncation, "only_first")    ? WORDPIECE_TRUNC_ONLY_FIRST
                    : !strcmp(truncation, "only_second") ? WORDPIECE_TRUNC_ONLY_SECOND
                                                         : WORDPIECE_TRUNC_LONGEST_FIRST;
    const char *path = args.n_positional ? args.positional[0] : "-";
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) {
        xl_wordpiece_free(wp);
        return xl_cli_runtime_error(&err);
    }
    lines.strip_cr = false; /* "\r" is text (whitespace for BERT) */
    xl_wordpiece_encoding enc;
    xl_wordpiece_encoding_init(&enc);
    xl_buf out;
    xl_buf_init(&out);
    const char *line;
    size_t len;
    while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        const char *b = NULL;
        size_t alen = len, blen = 0;
        if (pair) {
            const char *tab = memchr(line, '\t', len);
            if (!tab) {
                xl_fail(&err, XL_ERR_FORMAT, "%s:%llu: --pair needs TEXT_A<TAB>TEXT_B", path,
                        (unsigned long long)lines.lineno);
                rc = -1;
                break;
            }
            alen = (size_t)(tab - line);
            b = tab + 1;
            blen = len - alen - 1;
        }
        if (xl_wordpiece_encode(wp, line, alen, b, blen, &eo, &enc, &err) < 0 ||
            write_line(wp, &enc, mode, line, alen, b, blen, &out, &err) < 0) {
            xl_error_prefix(&err, "%s:%llu", path, (unsigned long long)lines.lineno);
            rc = -1;
            break;
        }
    }
    xl_lines_close(&lines);
    xl_buf_free(&out);
    xl_wordpiece_encoding_free(&enc);
    xl_wordpiece_free(wp);
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (fflush(stdout) != 0) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}
