/* cmd_translate.c - `xlrec translate --dict FILE [--counts FILE|--lm FILE.arpa] [FILE]`:
 * word-by-word dictionary translation into a pivot language (see
 * dict_translate.h): longest source phrase first, candidates chosen by the
 * pivot language's unigram counts or by the unigram log10 probabilities of an
 * ARPA model (src/ngram).  One output line per input line. */
#include <stdbool.h>
#include <stdio.h>

#include "dict_translate.h"
#include "ngram.h"
#include "sentvec.h"
#include "xl_cli.h"
#include "xl_io.h"

int cmd_translate(int argc, char **argv)
{
    const char *dict_path = NULL, *counts = NULL, *lm_path = NULL;
    bool drop = false, raw = false, keep_case = false;
    const xl_option opts[] = {
        {"dict", 'd', XL_OPT_STRING, &dict_path, "FILE", "dictionary: source<TAB>target (or MUSE 'src tgt') lines", 0, 0,
         NULL},
        {"counts", 'c', XL_OPT_STRING, &counts, "FILE", "pivot-language unigram counts (\"word count\" lines)", 0, 0,
         NULL},
        {"lm", 0, XL_OPT_STRING, &lm_path, "FILE", "pivot-language ARPA model: highest unigram log10 p wins", 0, 0, NULL},
        {"drop-unknown", 0, XL_OPT_FLAG, &drop, NULL, "drop words the dictionary lacks (default: copy them)", 0, 0,
         NULL},
        {"raw", 0, XL_OPT_FLAG, &raw, NULL, "input is already tokenised (skip NFKC/casefold/punctuation removal)", 0, 0,
         NULL},
        {"keep-case", 0, XL_OPT_FLAG, &keep_case, NULL, "do not lower-case dictionary keys", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "translate", "xlrec translate --dict FILE [--counts FILE|--lm FILE.arpa] [FILE|-]",
        "Translate text word by word with a bilingual dictionary (phrases matched longest-first,\n"
        "the candidate with the highest pivot unigram count (--counts) or unigram log10\n"
        "probability of an ARPA model (--lm) chosen; ties or neither: first in the dictionary).\n"
        "Input lines are tokenised like the word2vec corpora (NFKC, case folding, punctuation and\n"
        "digits removed, CJK per character) unless --raw.  Coverage statistics go to stderr.",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!dict_path) return xl_cli_usage_error(&spec, "--dict FILE is required");
    if (counts && lm_path) return xl_cli_usage_error(&spec, "--counts and --lm exclude each other");
    const char *path = args.n_positional ? args.positional[0] : "-";
    xl_error err;
    xl_error_clear(&err);
    xl_dt_dict *d;
    if (xl_dt_dict_load(dict_path, !keep_case, &d, &err) < 0) return xl_cli_runtime_error(&err);
    if (counts && xl_dt_dict_set_counts(d, counts, &err) < 0) {
        xl_dt_dict_free(d);
        return xl_cli_runtime_error(&err);
    }
    if (lm_path) {
        xl_ngram_model *lm = xl_ngram_model_read_arpa(lm_path, &err);
        int lrc = lm ? xl_dt_dict_set_lm(d, lm, &err) : -1;
        xl_ngram_model_free(lm);
        if (lrc < 0) {
            xl_dt_dict_free(d);
            return xl_cli_runtime_error(&err);
        }
    }
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) {
        xl_dt_dict_free(d);
        return xl_cli_runtime_error(&err);
    }
    xl_buf tok, out;
    xl_buf_init(&tok);
    xl_buf_init(&out);
    xl_dt_stats st = {0, 0, 0, 0};
    const char *line;
    size_t len;
    while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        xl_buf_clear(&tok);
        xl_buf_clear(&out);
        if (!raw) {
            if (xl_sentvec_preprocess(line, len, &tok, &err) < 0) {
                rc = -1;
                break;
            }
            line = tok.data ? tok.data : "";
            len = tok.len;
        }
        if (xl_dt_translate_line(d, line, len, drop, &out, &st, &err) < 0 || xl_buf_putc(&out, '\n', &err) < 0) {
            rc = -1;
            break;
        }
        if (fwrite(out.data, 1, out.len, stdout) != out.len) {
            rc = xl_fail(&err, XL_ERR_IO, "stdout: write failed");
            break;
        }
    }
    xl_lines_close(&lines);
    xl_buf_free(&tok);
    xl_buf_free(&out);
    xl_dt_dict_free(d);
    if (rc < 0) return xl_cli_runtime_error(&err);
    fprintf(stderr, "xlrec translate: %zu tokens, %zu translated (%.1f %%), %zu unknown, %zu phrase matches\n", st.tokens,
            st.translated_tokens, st.tokens ? 100.0 * (double)st.translated_tokens / (double)st.tokens : 0.0,
            st.unknown_tokens, st.phrases);
    if (fflush(stdout) != 0) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}
