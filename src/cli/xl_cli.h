/* xl_cli.h - the option parser and conventions shared by every command.
 *
 * Conventions (README "Command line"):
 *   - exit 0 on success, 1 on a runtime error, 2 on a usage error;
 *   - results on stdout, diagnostics on stderr;
 *   - runtime errors print "xlrec: <context>: <what is wrong>";
 *   - usage errors print "xlrec <command>: <what is wrong>" and a hint.
 *
 * A command declares its options in a table and calls xl_cli_parse:
 *
 *   static int64_t k = 10; static const char *model = NULL; static bool norm;
 *   const xl_option opts[] = {
 *       {"model", 'm', XL_OPT_STRING, &model, "PATH", "model file", 0, 0, NULL},
 *       {"k", 'k', XL_OPT_INT, &k, "N", "list length", 1, 1000, NULL},
 *       {"normalize", 0, XL_OPT_FLAG, &norm, NULL, "L2-normalise", 0, 0, NULL},
 *       {0}};
 *   const xl_command_spec spec = {"embed", "xlrec embed --model PATH [FILE]",
 *       "Embed text lines.", opts, 0, 1};
 *   xl_args args;
 *   int rc = xl_cli_parse(&spec, argc, argv, &args);
 *   if (rc != XL_CLI_CONTINUE) return rc;   // --help (0) or usage error (2)
 *
 * Accepted forms: --name value, --name=value, -k value, -k10 (short with
 * value attached), "--" ends options, a lone "-" is a positional (stdin).
 * Unknown options, missing values, malformed or out-of-range numbers and a
 * wrong number of positionals are usage errors.
 */
#ifndef XL_CLI_H
#define XL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xl_error.h"

#define XL_EXIT_OK 0
#define XL_EXIT_RUNTIME 1
#define XL_EXIT_USAGE 2
#define XL_CLI_CONTINUE (-1)
#define XL_MAX_POSITIONAL 64

typedef enum {
    XL_OPT_FLAG,   /* bool*: set to true when present (no value) */
    XL_OPT_STRING, /* const char**: the value as given */
    XL_OPT_INT,    /* int64_t*: strict integer within [min, max] */
    XL_OPT_DOUBLE, /* double*: strict finite number within [min, max] */
    XL_OPT_CHOICE, /* const char**: one of the '|'-separated words in `choices` */
    XL_OPT_OPTIONAL_STRING /* const char**: "--name=V", "-nV", or "--name V" when V is "-" or does not start
                            * with '-'; "" when the option is given without a value (e.g. --word-vectors [FILE]:
                            * no FILE = the shipped one) */
} xl_opt_type;

typedef struct xl_option {
    const char *name;    /* long name without "--"; NULL ends the table */
    char short_name;     /* 0 when none */
    xl_opt_type type;
    void *target;
    const char *metavar; /* shown in --help, e.g. "PATH" */
    const char *help;
    double min, max;     /* range for INT/DOUBLE; min == max == 0 means unbounded */
    const char *choices; /* for CHOICE, e.g. "cls|mean|max" */
} xl_option;

typedef struct xl_command_spec {
    const char *name;
    const char *synopsis;    /* one or more lines: "xlrec embed --model PATH [FILE]" */
    const char *description; /* a paragraph for --help */
    const xl_option *options;
    int min_positional, max_positional;
} xl_command_spec;

typedef struct xl_args {
    int n_positional;
    const char *positional[XL_MAX_POSITIONAL];
} xl_args;

int xl_cli_parse(const xl_command_spec *spec, int argc, char **argv, xl_args *args);

/* Rewrite "-name" to "--name" in argv when "name" is a long option of `opts` (the single-dash
 * spelling of word2vec.c and Stanford GloVe); the rewritten strings live in store[max_store]. */
void xl_cli_accept_single_dash(const xl_option *opts, int argc, char **argv, char (*store)[64], int max_store);
void xl_cli_print_help(const xl_command_spec *spec, FILE *out);
/* Print "xlrec <command>: <message>" + hint to stderr; returns XL_EXIT_USAGE. */
int xl_cli_usage_error(const xl_command_spec *spec, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Outputs never clobber inputs: when `output` names the same file as one of inputs[0..n)
 * (device and inode: hard and symbolic links, "./x" vs "x"; NULL entries skipped) print
 * "xlrec <command>: OUTPUT is the same file as the input INPUT: refusing to overwrite it" and
 * return XL_EXIT_USAGE; otherwise XL_CLI_CONTINUE.  A NULL output passes. */
int xl_cli_check_output(const xl_command_spec *spec, const char *output, const char *const *inputs, size_t n_inputs);

/* Print "xlrec: <err->msg>" to stderr; returns XL_EXIT_RUNTIME. */
int xl_cli_runtime_error(const xl_error *err);

/* Every command has this signature: argv[0] is the command name. */
typedef int (*xl_command_fn)(int argc, char **argv);

/* A job of a command that has several (`xlrec w2v train`, `xlrec glove vocab`). */
typedef struct xl_subcommand {
    const char *name;
    xl_command_fn run;   /* called with argv[0] = the subcommand's name */
    const char *summary; /* one line of the command's --help */
} xl_subcommand;

/* `xlrec CMD SUB [options]`: runs the subcommand that argv[1] names (subs ends with a {NULL} row)
 * on argc - 1, argv + 1 and returns its exit status.  No SUB: usage (one or more lines, ending in
 * a newline) and the table of subcommands to stderr, XL_EXIT_USAGE; `--help`, `-h` or `help`: the
 * same to stdout, XL_EXIT_OK; an unknown SUB: "xlrec CMD: unknown subcommand 'SUB'" and the usage,
 * XL_EXIT_USAGE. */
int xl_cli_dispatch(const char *command, const char *usage, const xl_subcommand *subs, int argc, char **argv);

#endif /* XL_CLI_H */
