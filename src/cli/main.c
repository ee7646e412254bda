/* main.c - `xlrec <command> [options]`: dispatch to the command table.
 * Exit codes: 0 success, 1 runtime error, 2 usage error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xl_cli.h"
#include "xl_version.h"

#define XL_COMMAND(id, name, summary) int cmd_##id(int argc, char **argv);
#include "commands.def"
#undef XL_COMMAND

typedef struct {
    const char *name;
    const char *summary;
    xl_command_fn fn;
} command_entry;

static const command_entry commands[] = {
#define XL_COMMAND(id, name, summary) {name, summary, cmd_##id},
#include "commands.def"
#undef XL_COMMAND
};

static void print_main_help(FILE *out)
{
    fprintf(out,
            "usage: xlrec <command> [options] [arguments]\n"
            "       xlrec <command> --help\n"
            "       xlrec --version\n\n"
            "xlrec %s - cross-lingual recommendation with multilingual language models, in C11.\n\n"
            "commands:\n",
            XLREC_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\nFiles may be given as '-' for standard input.  Exit status: 0 success, 1 runtime error,\n"
            "2 usage error.  The shipped models (the default encoder, the word vectors, the language\n"
            "identifier) are found in $XLREC_DATA, the installed data directory, then the source tree\n"
            "('xlrec data-path').  Documentation: docs/ in the source tree.\n");
}

/* Results that did not reach stdout (disk full, closed pipe) are a runtime error for every
 * command, whatever the command itself checked: exit 1 with the cause. */
static int finish_stdout(int rc)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == XL_EXIT_OK) {
            fprintf(stderr, "xlrec: stdout: write failed: %s\n", errno ? strerror(errno) : "I/O error");
            rc = XL_EXIT_RUNTIME;
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_help(stderr);
        return XL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        print_main_help(stdout);
        return finish_stdout(XL_EXIT_OK);
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("xlrec %s\n", XLREC_VERSION);
        return finish_stdout(XL_EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0) return finish_stdout(commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "xlrec: unknown command '%s' (see 'xlrec --help')\n", cmd);
    return XL_EXIT_USAGE;
}
