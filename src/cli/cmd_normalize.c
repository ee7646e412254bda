/* cmd_normalize.c - `xlrec normalize`: clean, normalise, case-fold and
 * segment text line by line (src/text/xl_text.h).  One line in, one line out. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_cli.h"
#include "xl_io.h"
#include "xl_text.h"

static int write_out(const xl_buf *b, xl_error *err)
{
    if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len) return xl_fail(err, XL_ERR_IO, "stdout: write failed");
    return 0;
}

int cmd_normalize(int argc, char **argv)
{
    bool nfc = false, nfd = false, nfkc = false, nfkd = false, casefold = false, strip_punct = false;
    bool strip_digits = false, no_entities = false, split_scripts = false;
    const char *segment = "none", *dict_path = NULL;
    const xl_option opts[] = {
        {"nfc", 0, XL_OPT_FLAG, &nfc, NULL, "canonical composition (NFC)", 0, 0, NULL},
        {"nfd", 0, XL_OPT_FLAG, &nfd, NULL, "canonical decomposition (NFD)", 0, 0, NULL},
        {"nfkc", 0, XL_OPT_FLAG, &nfkc, NULL, "compatibility composition (NFKC: full-width forms, ligatures...)", 0,
         0, NULL},
        {"nfkd", 0, XL_OPT_FLAG, &nfkd, NULL, "compatibility decomposition (NFKD)", 0, 0, NULL},
        {"casefold", 0, XL_OPT_FLAG, &casefold, NULL, "full Unicode case folding (str.casefold)", 0, 0, NULL},
        {"strip-punct", 0, XL_OPT_FLAG, &strip_punct, NULL, "replace punctuation (P*) by a space", 0, 0, NULL},
        {"strip-digits", 0, XL_OPT_FLAG, &strip_digits, NULL, "replace decimal digits (Nd) by a space", 0, 0, NULL},
        {"no-entities", 0, XL_OPT_FLAG, &no_entities, NULL, "keep HTML entities (&amp; &#233;) as written", 0, 0,
         NULL},
        {"segment", 0, XL_OPT_CHOICE, &segment, "MODE",
         "word segmentation: none, char (words; one token per CJK/Thai character), maxmatch (needs --dict)", 0, 0,
         "none|char|maxmatch"},
        {"dict", 0, XL_OPT_STRING, &dict_path, "FILE", "word list for --segment maxmatch (one word per line)", 0, 0,
         NULL},
        {"split-scripts", 0, XL_OPT_FLAG, &split_scripts, NULL,
         "print each run of one script as 'Script<TAB>text' (after normalisation)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "normalize",
        "xlrec normalize [--nfc|--nfd|--nfkc|--nfkd] [--casefold] [--strip-punct] [--strip-digits]\n"
        "                [--segment none|char|maxmatch [--dict FILE]] [--split-scripts] [FILE|-]",
        "Clean and normalise text line by line: HTML entities decoded, control and format characters\n"
        "removed, white space collapsed; then the chosen Unicode normalisation form, case folding,\n"
        "punctuation/digit removal and word segmentation (tokens separated by one space).\n"
        "Ill-formed UTF-8 is replaced by U+FFFD.  Details: docs/text.md.",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if ((int)nfc + (int)nfd + (int)nfkc + (int)nfkd > 1)
        return xl_cli_usage_error(&spec, "choose at most one of --nfc, --nfd, --nfkc, --nfkd");
    xl_segment_mode mode = strcmp(segment, "char") == 0       ? XL_SEG_CHAR
                           : strcmp(segment, "maxmatch") == 0 ? XL_SEG_MAXMATCH
                                                              : XL_SEG_NONE;
    if (mode == XL_SEG_MAXMATCH && !dict_path) return xl_cli_usage_error(&spec, "--segment maxmatch needs --dict FILE");
    if (mode != XL_SEG_MAXMATCH && dict_path) return xl_cli_usage_error(&spec, "--dict is only used by --segment maxmatch");

    xl_text_options o = {0};
    o.decode_entities = !no_entities;
    o.form = nfc ? XL_NORM_NFC : nfd ? XL_NORM_NFD : nfkc ? XL_NORM_NFKC : nfkd ? XL_NORM_NFKD : XL_NORM_NONE;
    o.casefold = casefold;
    o.strip_punct = strip_punct;
    o.strip_digits = strip_digits;

    xl_error err;
    xl_error_clear(&err);
    xl_text_dict *dict = NULL;
    if (mode == XL_SEG_MAXMATCH && xl_text_dict_load(dict_path, &dict, &err) < 0) return xl_cli_runtime_error(&err);
    const char *path = args.n_positional ? args.positional[0] : "-";
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) {
        xl_text_dict_free(dict);
        return xl_cli_runtime_error(&err);
    }
    xl_buf clean, seg, out;
    xl_buf_init(&clean);
    xl_buf_init(&seg);
    xl_buf_init(&out);
    const char *line;
    size_t len;
    while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        xl_buf_clear(&clean);
        xl_buf_clear(&seg);
        xl_buf_clear(&out);
        if (xl_text_preprocess(line, len, &o, &clean, &err) < 0 ||
            xl_text_segment(clean.data ? clean.data : "", clean.len, mode, dict, &seg, &err) < 0) {
            rc = -1;
            break;
        }
        if (split_scripts) {
            xl_script_run *runs;
            size_t n_runs;
            if (xl_text_script_runs(seg.data ? seg.data : "", seg.len, &runs, &n_runs, &err) < 0) {
                rc = -1;
                break;
            }
            for (size_t i = 0; i < n_runs && rc >= 0; i++) {
                size_t b = runs[i].begin, e = runs[i].end;
                while (b < e && seg.data[b] == ' ') b++;
                while (e > b && seg.data[e - 1] == ' ') e--;
                if (b == e) continue;
                if (xl_buf_printf(&out, &err, "%s\t", xl_uc_script_name(runs[i].script)) < 0 ||
                    xl_buf_append(&out, seg.data + b, e - b, &err) < 0 || xl_buf_putc(&out, '\n', &err) < 0)
                    rc = -1;
            }
            free(runs);
            if (rc < 0) break;
            if (n_runs == 0 && xl_buf_putc(&out, '\n', &err) < 0) {
                rc = -1;
                break;
            }
        } else if (xl_buf_append(&out, seg.data ? seg.data : "", seg.len, &err) < 0 ||
                   xl_buf_putc(&out, '\n', &err) < 0) {
            rc = -1;
            break;
        }
        if (write_out(&out, &err) < 0) {
            rc = -1;
            break;
        }
    }
    xl_lines_close(&lines);
    xl_buf_free(&clean);
    xl_buf_free(&seg);
    xl_buf_free(&out);
    xl_text_dict_free(dict);
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (fflush(stdout) != 0) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}
