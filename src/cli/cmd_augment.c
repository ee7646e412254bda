/* cmd_augment.c - `xlrec augment --drop-words P [--seed S] [FILE|-]`: word-deletion pairs for
 * train-encoder --pairs (src/train/train_augment.h): each input line's text paired with a copy of
 * itself where each word (each character for --chars-for languages) was deleted with probability
 * P; PCG32 seeded by (--seed, line number).  A summary goes to stderr.  docs/training.md. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "train_augment.h"
#include "xl_cli.h"
#include "xl_io.h"

int cmd_augment(int argc, char **argv)
{
    xl_augment_opts o;
    xl_augment_opts_default(&o);
    double p = NAN; /* required: no default */
    int64_t seed = (int64_t)o.seed, min_words = (int64_t)o.min_units, max_len = (int64_t)o.max_chars,
            side = o.side, first_line = 1;
    const char *chars_for = o.chars_for, *output = NULL;
    const xl_option opts[] = {
        {"drop-words", 0, XL_OPT_DOUBLE, &p, "P", "delete each word (character) with probability P, 0 < P < 1 (required)",
         0, 1, NULL},
        {"seed", 0, XL_OPT_INT, &seed, "S", "PCG32 seed (the stream is the line number)", 0, 9.0e15, NULL},
        {"min-words", 0, XL_OPT_INT, &min_words, "N", "skip texts of fewer units (words, or characters)", 1, 1e9, NULL},
        {"max-len", 0, XL_OPT_INT, &max_len, "N", "skip texts of more than N code points (0: no limit)", 0, 1e9, NULL},
        {"chars-for", 0, XL_OPT_STRING, &chars_for, "LIST",
         "comma-separated language tags split per character (a tag also covers TAG-*)", 0, 0, NULL},
        {"side", 0, XL_OPT_INT, &side, "1|2", "the side of 4-column pairs lines that is taken", 1, 2, NULL},
        {"first-line", 0, XL_OPT_INT, &first_line, "N", "number of the first input line (its random stream)", 1,
         9.0e15, NULL},
        {"output", 'o', XL_OPT_STRING, &output, "FILE", "write the pairs here (default: standard output)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "augment",
        "xlrec augment --drop-words P [--seed S] [--min-words N] [--max-len N] [--chars-for zh,ja] [--side 1|2]\n"
        "              [--first-line N] [-o FILE] [FILE|-]",
        "Word-deletion pairs for `xlrec train-encoder --pairs` (CLEAR, Wu et al. 2020; SimCSE-style\n"
        "positives made by editing the text): reads lang<TAB>text lines (or the 4-column pairs format,\n"
        "taking --side) and writes lang<TAB>text<TAB>lang<TAB>shortened, where each word (split at\n"
        "Unicode white space) was deleted with probability P.  For languages in --chars-for (scripts\n"
        "written without spaces) each character (code point) is a unit instead.  PCG32 seeded by\n"
        "(--seed, line number): a line's output depends only on the seed, its number and its text.\n"
        "Lines with fewer than --min-words units, more than --max-len code points, or where nothing or\n"
        "everything was deleted are skipped.  Invalid UTF-8, a wrong column count or an empty tag or\n"
        "text is an error naming FILE:LINE.  A summary goes to stderr.",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (isnan(p)) return xl_cli_usage_error(&spec, "--drop-words P is required");
    if (!(p > 0.0 && p < 1.0)) return xl_cli_usage_error(&spec, "--drop-words P needs 0 < P < 1");
    const char *path = args.n_positional ? args.positional[0] : "-";
    if (output == NULL) output = "-";
    if ((rc = xl_cli_check_output(&spec, strcmp(output, "-") ? output : NULL, &path, 1)) != XL_CLI_CONTINUE) return rc;
    o.p_drop = p;
    o.seed = (uint64_t)seed;
    o.min_units = (size_t)min_words;
    o.max_chars = (size_t)max_len;
    o.chars_for = chars_for;
    o.side = (int)side;
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    xl_error err;
    xl_error_clear(&err);
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) return xl_cli_runtime_error(&err);
    xl_output out;
    if (xl_output_open(&out, output, &err) < 0) {
        xl_lines_close(&lines);
        return xl_cli_runtime_error(&err);
    }
    xl_buf buf;
    xl_buf_init(&buf);
    xl_augment_stats st;
    memset(&st, 0, sizeof st);
    const char *line;
    size_t len;
    while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        xl_buf_clear(&buf);
        xl_augment_outcome oc;
        const uint64_t stream = (uint64_t)first_line - 1 + lines.lineno;
        if (xl_augment_line(&o, line, len, name, lines.lineno, stream, &buf, &oc, &st, &err) < 0) {
            rc = -1;
            break;
        }
        if (oc != XL_AUGMENT_WRITTEN) continue;
        if (xl_buf_putc(&buf, '\n', &err) < 0) {
            rc = -1;
            break;
        }
        if (fwrite(buf.data, 1, buf.len, out.f) != buf.len) {
            rc = xl_fail(&err, XL_ERR_IO, "%s: write failed", strcmp(output, "-") ? output : "<stdout>");
            break;
        }
    }
    xl_lines_close(&lines);
    xl_buf_free(&buf);
    if (rc < 0) {
        xl_output_abort(&out);
        return xl_cli_runtime_error(&err);
    }
    if (xl_output_commit(&out, &err) < 0) return xl_cli_runtime_error(&err);
    fprintf(stderr,
            "xlrec augment: %llu lines, %llu pairs written (%llu units, %llu deleted, %.1f %%); skipped: %llu short, "
            "%llu long, %llu with nothing deleted, %llu with everything deleted\n",
            (unsigned long long)st.lines, (unsigned long long)st.outcome[XL_AUGMENT_WRITTEN],
            (unsigned long long)st.units, (unsigned long long)st.units_dropped,
            st.units ? 100.0 * (double)st.units_dropped / (double)st.units : 0.0,
            (unsigned long long)st.outcome[XL_AUGMENT_SHORT], (unsigned long long)st.outcome[XL_AUGMENT_LONG],
            (unsigned long long)st.outcome[XL_AUGMENT_NONE_DROPPED],
            (unsigned long long)st.outcome[XL_AUGMENT_ALL_DROPPED]);
    return XL_EXIT_OK;
}
