/* cmd_data_path.c - `xlrec data-path [NAME...]`: where the shipped data files
 * (the default encoder, the word-vector baseline, the language identifier) are
 * found, in the order every command looks for them (src/core/xl_datapath.h):
 * $XLREC_DATA, the installed data directory, the source tree.
 *   no NAME: the search directories, then each shipped file and where it is found
 *   NAME...: the path of each (exit 1, naming every place searched, when one is missing) */
#include <stdio.h>

#include "xl_cli.h"
#include "xl_datapath.h"
#include "xl_platform.h"

int cmd_data_path(int argc, char **argv)
{
    const xl_option opts[] = {{0}};
    const xl_command_spec spec = {
        "data-path", "xlrec data-path [NAME...]",
        "Where the shipped data files are found.  Every command that needs a default (the encoder\n"
        "of run/embed/eval-retrieval, the word vectors of --word-vectors without FILE, the language\n"
        "identifier of langid/run) takes the first readable of: the command-line option (used as is),\n"
        "$XLREC_DATA/NAME (a directory laid out like share/xlrec), the installed data directory, the\n"
        "source tree's weights/NAME.  Without NAME: the directories in that order and where each\n"
        "shipped file is found.  With NAMEs (e.g. " XL_DATA_ENCODER "): the path of each, one per line.",
        opts, 0, XL_MAX_POSITIONAL};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    xl_error err;
    xl_error_clear(&err);
    char path[XL_DATAPATH_MAX];
    if (args.n_positional > 0) {
        for (int i = 0; i < args.n_positional; i++) {
            if (xl_datapath_find(args.positional[i], path, sizeof path, &err) < 0) return xl_cli_runtime_error(&err);
            printf("%s\n", path);
        }
    } else {
        const char *dirs[XL_DATAPATH_MAX_DIRS], *labels[XL_DATAPATH_MAX_DIRS];
        size_t n = xl_datapath_dirs(dirs, labels);
        printf("search order:\n");
        for (size_t i = 0; i < n; i++)
            printf("  %zu. %-18s %s\n", i + 1, labels[i], dirs[i] ? dirs[i] : "(not set)");
        static const char *const shipped[][2] = {{XL_DATA_ENCODER, "the default sentence encoder"},
                                                 {XL_DATA_WORD_VECTORS, "the word-vector baseline"},
                                                 {XL_DATA_LANGID, "the language identifier"}};
        printf("shipped files:\n");
        for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
            xl_error e2;
            xl_error_clear(&e2);
            bool found = xl_datapath_find(shipped[i][0], path, sizeof path, &e2) == 0;
            printf("  %-32s %s (%s)\n", shipped[i][0], found ? path : "NOT FOUND", shipped[i][1]);
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}
