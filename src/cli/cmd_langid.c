/* cmd_langid.c - `xlrec langid`: one line in -> "lang<TAB>confidence" out
 * (src/langid/langid.h; model and evaluation in docs/langid.md). */
#include <stdio.h>
#include <stdlib.h>

#include "langid.h"
#include "xl_cli.h"
#include "xl_datapath.h"
#include "xl_io.h"

int cmd_langid(int argc, char **argv)
{
    const char *model_path = NULL;
    int64_t top_n = 1;
    double min_conf = 0.5;
    const xl_option opts[] = {
        {"model", 'm', XL_OPT_STRING, &model_path, "PATH",
         "model file (absent: $XLREC_LANGID_MODEL, else the shipped " XL_DATA_LANGID
         " from $XLREC_DATA, the installed data directory or the source tree)", 0, 0, NULL},
        {"top", 'n', XL_OPT_INT, &top_n, "N", "print the N most probable languages", 1, 255, NULL},
        {"min-confidence", 0, XL_OPT_DOUBLE, &min_conf, "X",
         "print 'und' when the best probability is below X (0 = always guess)", 0, 1, NULL},
        {0}};
    const xl_command_spec spec = {
        "langid", "xlrec langid [--model PATH] [--top N] [--min-confidence X] [FILE|-]",
        "Identify the language of each input line.  Prints 'lang<TAB>confidence' per line (with --top N,\n"
        "N such pairs separated by tabs); confidence is a calibrated probability.  Lines without letters,\n"
        "and lines whose best probability is below --min-confidence, give 'und'.",
        opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!model_path) model_path = getenv("XLREC_LANGID_MODEL");
    xl_error err;
    xl_error_clear(&err);
    char found[XL_DATAPATH_MAX];
    if (!(model_path = xl_datapath_resolve(model_path, XL_DATA_LANGID, found, sizeof found, &err))) {
        xl_error_prefix(&err, "no model given (--model PATH)");
        return xl_cli_runtime_error(&err);
    }
    xl_langid *model;
    if (xl_langid_load(model_path, &model, &err) < 0) return xl_cli_runtime_error(&err);
    xl_langid_ws *ws = xl_langid_ws_new(model, &err);
    xl_langid_result *top = calloc((size_t)top_n, sizeof *top);
    if (!ws || !top) {
        if (!ws) xl_fail(&err, XL_ERR_NOMEM, "out of memory");
        else xl_fail(&err, XL_ERR_NOMEM, "out of memory");
        xl_langid_ws_free(ws);
        free(top);
        xl_langid_free(model);
        return xl_cli_runtime_error(&err);
    }
    const char *path = args.n_positional ? args.positional[0] : "-";
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) {
        rc = -1;
    } else {
        const char *line;
        size_t len;
        while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
            size_t n = xl_langid_classify(model, ws, line, len, min_conf, top, (size_t)top_n, &err);
            if (n == 0) {
                rc = -1;
                break;
            }
            for (size_t i = 0; i < n; i++) {
                const char *tag = top[i].lang == XL_LANGID_UND ? "und" : xl_langid_lang(model, (size_t)top[i].lang);
                printf("%s%s\t%.4f", i ? "\t" : "", tag, top[i].prob);
            }
            putchar('\n');
        }
        xl_lines_close(&lines);
    }
    xl_langid_ws_free(ws);
    free(top);
    xl_langid_free(model);
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}
