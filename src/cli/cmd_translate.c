/* cmd_translate.c - `xlrec translate --dict FILE [--counts FILE|--lm FILE.arpa] [FILE]`:
 * word-by-word dictionary translation into a pivot language (see
 * dict_translate.h): longest source phrase first, candidates chosen by the
 * pivot language's unigram counts or by the unigram log10 probabilities of an
 * ARPA model (src/ngram).  One output line per input line.
 *
 * With --code-switch P the line is kept as written and each dictionary unit
 * is replaced with probability P by one of its targets (code-switching data
 * augmentation, CoSDA-ML; contract in dict_translate.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dict_translate.h"
#include "ngram.h"
#include "sentvec.h"
#include "xl_cli.h"
#include "xl_io.h"
#include "xl_utf8.h"

static int write_out(const xl_buf *out, xl_error *err)
{
    if (fwrite(out->data, 1, out->len, stdout) != out->len) return xl_fail(err, XL_ERR_IO, "stdout: write failed");
    return 0;
}

/* --code-switch: the whole run (the dictionary was loaded for code-switching) */
static int run_codeswitch(const xl_dt_dict *d, const xl_dt_cs_options *o, const char *path, uint64_t first_line,
                          size_t skipped)
{
    xl_error err;
    xl_error_clear(&err);
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) return xl_cli_runtime_error(&err);
    xl_buf out;
    xl_buf_init(&out);
    xl_dt_cs_stats st;
    memset(&st, 0, sizeof st);
    const char *line;
    size_t len;
    int rc;
    while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        xl_buf_clear(&out);
        uint64_t lineno = first_line - 1 + lines.lineno;
        if (xl_dt_codeswitch_line(d, o, lineno, line, len, &out, &st, &err) < 0) {
            xl_error_prefix(&err, "%s:%llu", strcmp(path, "-") ? path : "<stdin>", (unsigned long long)lines.lineno);
            rc = -1;
            break;
        }
        if (xl_buf_putc(&out, '\n', &err) < 0 || write_out(&out, &err) < 0) {
            rc = -1;
            break;
        }
    }
    xl_lines_close(&lines);
    xl_buf_free(&out);
    if (rc < 0) return xl_cli_runtime_error(&err);
    fprintf(stderr,
            "xlrec translate: %llu lines, %llu words, %llu units matched (%llu by morphy), %llu switched (%llu words, "
            "%.1f %%), %llu lines emptied; dictionary: %zu keys, %zu pairs, %zu entries skipped by hygiene\n",
            (unsigned long long)st.lines, (unsigned long long)st.words, (unsigned long long)st.units,
            (unsigned long long)st.morph_hits, (unsigned long long)st.units_switched,
            (unsigned long long)st.words_switched,
            st.words ? 100.0 * (double)st.words_switched / (double)st.words : 0.0, (unsigned long long)st.lines_emptied,
            xl_dt_dict_entries(d), xl_dt_dict_pairs(d), skipped);
    if (fflush(stdout) != 0) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}

int cmd_translate(int argc, char **argv)
{
    const char *dict_path = NULL, *counts = NULL, *lm_path = NULL;
    bool drop = false, raw = false, keep_case = false;
    double cs_p = -1.0, min_switched = 0.0;
    int64_t seed = 0, first_line = 1;
    const char *morph = NULL;
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
        {"code-switch", 0, XL_OPT_DOUBLE, &cs_p, "P",
         "code-switching: keep the line, replace each dictionary unit with probability P (0 < P <= 1)", 0, 1, NULL},
        {"seed", 0, XL_OPT_INT, &seed, "S", "code-switching seed (PCG32 stream = line number; default 0)", 0, 9.0e15,
         NULL},
        {"morph", 0, XL_OPT_CHOICE, &morph, "LANG", "code-switching: WordNet morphy rules for unknown words", 0, 0,
         "en"},
        {"min-switched", 0, XL_OPT_DOUBLE, &min_switched, "F",
         "code-switching: print an empty line when fewer than F of the words were switched", 0, 1, NULL},
        {"first-line", 0, XL_OPT_INT, &first_line, "N",
         "code-switching: number of the first input line (the random stream; default 1)", 1, 9.0e15, NULL},
        {0}};
    const xl_command_spec spec = {
        "translate",
        "xlrec translate --dict FILE [--counts FILE|--lm FILE.arpa] [FILE|-]\n"
        "       xlrec translate --dict FILE --code-switch P [--seed S] [--morph en] [--min-switched F] [FILE|-]",
        "Translate text word by word with a bilingual dictionary (phrases matched longest-first,\n"
        "the candidate with the highest pivot unigram count (--counts) or unigram log10\n"
        "probability of an ARPA model (--lm) chosen; ties or neither: first in the dictionary).\n"
        "Input lines are tokenised like the word2vec corpora (NFKC, case folding, punctuation and\n"
        "digits removed, CJK per character) unless --raw.  Coverage statistics go to stderr.\n"
        "\n"
        "--code-switch P: code-switching augmentation (CoSDA-ML, Qin et al. 2020).  The line is kept\n"
        "as written; words (letters, marks, digits, joined across an inner ' or -) are looked up\n"
        "case-folded, longest phrase first, and each match is replaced with probability P by a\n"
        "target drawn uniformly; PCG32 seeded by (--seed, line number).  Dictionary entries with\n"
        "more than 3 words or characters other than letters, marks, digits, space, hyphen and\n"
        "apostrophe on either side are skipped.  --morph en tries WordNet's morphy suffix rules\n"
        "on unknown single words; --min-switched F empties lines where fewer than F of the words\n"
        "were switched (the line count is kept).  A summary goes to stderr.",
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
    bool cs = cs_p != -1.0;
    if (!cs && (morph || min_switched != 0.0 || seed != 0 || first_line != 1))
        return xl_cli_usage_error(&spec, "--seed, --morph, --min-switched and --first-line need --code-switch P");
    if (cs) {
        if (!(cs_p > 0.0)) return xl_cli_usage_error(&spec, "--code-switch P needs 0 < P <= 1");
        if (counts || lm_path || drop || raw || keep_case)
            return xl_cli_usage_error(&spec, "--code-switch excludes --counts, --lm, --drop-unknown, --raw and --keep-case");
        size_t skipped = 0;
        if (xl_dt_dict_load_codeswitch(dict_path, &d, &skipped, &err) < 0) return xl_cli_runtime_error(&err);
        xl_dt_cs_options o = {cs_p, (uint64_t)seed, morph != NULL, min_switched};
        rc = run_codeswitch(d, &o, path, (uint64_t)first_line, skipped);
        xl_dt_dict_free(d);
        return rc;
    }
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
