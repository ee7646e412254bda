/* xl_cli.c - see xl_cli.h */
#include "xl_cli.h"
#include "xl_platform.h"
#include "xl_utf8.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "xl_parse.h"

int xl_cli_usage_error(const xl_command_spec *spec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xlrec %s: ", spec->name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'xlrec %s --help')\n", spec->name);
    return XL_EXIT_USAGE;
}

int xl_cli_runtime_error(const xl_error *err)
{
    const char *msg = (err && err->msg[0]) ? err->msg : "unknown error";
    xl_buf b; /* messages quote names and strings from files: no control character reaches the terminal */
    xl_buf_init(&b);
    if (xl_utf8_escape_controls(msg, strlen(msg), &b, NULL) == 0 && b.data != NULL) msg = b.data;
    fprintf(stderr, "xlrec: %s\n", msg);
    xl_buf_free(&b);
    return XL_EXIT_RUNTIME;
}

static void print_subcommands(const char *usage, const xl_subcommand *subs, FILE *out)
{
    int width = 0;
    for (const xl_subcommand *c = subs; c->name; c++)
        if ((int)strlen(c->name) > width) width = (int)strlen(c->name);
    fputs(usage, out);
    for (const xl_subcommand *c = subs; c->name; c++) fprintf(out, "  %-*s  %s\n", width, c->name, c->summary);
}

int xl_cli_dispatch(const char *command, const char *usage, const xl_subcommand *subs, int argc, char **argv)
{
    if (argc < 2) {
        print_subcommands(usage, subs, stderr);
        return XL_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        print_subcommands(usage, subs, stdout);
        return XL_EXIT_OK;
    }
    for (const xl_subcommand *c = subs; c->name; c++)
        if (strcmp(sub, c->name) == 0) return c->run(argc - 1, argv + 1);
    fprintf(stderr, "xlrec %s: unknown subcommand '%s'\n%s", command, sub, usage);
    return XL_EXIT_USAGE;
}

void xl_cli_print_help(const xl_command_spec *spec, FILE *out)
{
    fprintf(out, "usage: %s\n\n%s\n", spec->synopsis, spec->description);
    if (spec->options == NULL || spec->options[0].name == NULL) {
        fprintf(out, "\noptions:\n  -h, --help           show this help\n");
        return;
    }
    fprintf(out, "\noptions:\n");
    for (const xl_option *o = spec->options; o->name != NULL; o++) {
        char left[96];
        const char *mv = o->metavar ? o->metavar : (o->type == XL_OPT_CHOICE ? o->choices : "VALUE");
        if (o->type == XL_OPT_FLAG) mv = NULL;
        bool opt = o->type == XL_OPT_OPTIONAL_STRING;
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s%s%s", o->short_name, o->name, mv ? " " : "", opt ? "[" : "",
                     mv ? mv : "", opt ? "]" : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s%s%s", o->name, mv ? " " : "", opt ? "[" : "", mv ? mv : "",
                     opt ? "]" : "");
        fprintf(out, "  %-28s %s", left, o->help ? o->help : "");
        switch (o->type) {
        case XL_OPT_INT:
            fprintf(out, " (default %lld)", (long long)*(int64_t *)o->target);
            break;
        case XL_OPT_DOUBLE: /* NAN: no default value (the help text says what happens) */
            if (!isnan(*(double *)o->target)) fprintf(out, " (default %g)", *(double *)o->target);
            break;
        case XL_OPT_STRING:
        case XL_OPT_OPTIONAL_STRING:
        case XL_OPT_CHOICE:
            if (*(const char **)o->target && **(const char **)o->target) fprintf(out, " (default %s)", *(const char **)o->target);
            break;
        case XL_OPT_FLAG:
            break;
        }
        fputc('\n', out);
    }
    fprintf(out, "  %-28s %s\n", "-h, --help", "show this help");
}

static bool choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    const char *p = choices;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

static int set_value(const xl_command_spec *spec, const xl_option *o, const char *v)
{
    xl_error e;
    switch (o->type) {
    case XL_OPT_FLAG:
        *(bool *)o->target = true;
        return 0;
    case XL_OPT_STRING:
    case XL_OPT_OPTIONAL_STRING:
        *(const char **)o->target = v;
        return 0;
    case XL_OPT_CHOICE:
        if (!choice_ok(o->choices, v))
            return xl_cli_usage_error(spec, "--%s must be one of %s, not '%s'", o->name, o->choices, v);
        *(const char **)o->target = v;
        return 0;
    case XL_OPT_INT: {
        int64_t x;
        if (xl_parse_i64(v, strlen(v), &x, &e) < 0) return xl_cli_usage_error(spec, "--%s: %s", o->name, e.msg);
        if (!(o->min == 0 && o->max == 0) && ((double)x < o->min || (double)x > o->max))
            return xl_cli_usage_error(spec, "--%s must be between %.17g and %.17g, not %s", o->name, o->min, o->max, v);
        *(int64_t *)o->target = x;
        return 0;
    }
    case XL_OPT_DOUBLE: {
        double x;
        if (xl_parse_double(v, strlen(v), false, &x, &e) < 0)
            return xl_cli_usage_error(spec, "--%s: %s", o->name, e.msg);
        if (!(o->min == 0 && o->max == 0) && (x < o->min || x > o->max))
            return xl_cli_usage_error(spec, "--%s must be between %g and %g, not %s", o->name, o->min, o->max, v);
        *(double *)o->target = x;
        return 0;
    }
    }
    return xl_cli_usage_error(spec, "internal error: bad option type");
}

int xl_cli_parse(const xl_command_spec *spec, int argc, char **argv, xl_args *args)
{
    static const xl_option none[] = {{0}};
    const xl_option *opts = spec->options ? spec->options : none;
    args->n_positional = 0;
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const xl_option *o = NULL;
        const char *value = NULL;
        if (!only_positional && strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (!only_positional && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            xl_cli_print_help(spec, stdout);
            return XL_EXIT_OK;
        }
        if (!only_positional && a[0] == '-' && a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            for (const xl_option *p = opts; p->name; p++)
                if (strlen(p->name) == nlen && strncmp(p->name, name, nlen) == 0) o = p;
            if (o == NULL) return xl_cli_usage_error(spec, "unknown option '--%.*s'", (int)nlen, name);
            if (eq) {
                if (o->type == XL_OPT_FLAG) return xl_cli_usage_error(spec, "--%s takes no value", o->name);
                value = eq + 1;
            }
        } else if (!only_positional && a[0] == '-' && a[1] != '\0') {
            for (const xl_option *p = opts; p->name; p++)
                if (p->short_name && p->short_name == a[1]) o = p;
            if (o == NULL) return xl_cli_usage_error(spec, "unknown option '-%c'", a[1]);
            if (a[2] != '\0') {
                if (o->type == XL_OPT_FLAG) return xl_cli_usage_error(spec, "-%c takes no value", a[1]);
                value = a + 2;
            }
        } else {
            if (args->n_positional >= XL_MAX_POSITIONAL || args->n_positional >= spec->max_positional)
                return xl_cli_usage_error(spec, "unexpected argument '%s'", a);
            args->positional[args->n_positional++] = a;
            continue;
        }
        if (o->type == XL_OPT_OPTIONAL_STRING && value == NULL) {
            /* the next argument is the value when it can be one: "-" or not an option */
            if (!only_positional && i + 1 < argc && (argv[i + 1][0] != '-' || strcmp(argv[i + 1], "-") == 0))
                value = argv[++i];
            else
                value = "";
        }
        if (o->type != XL_OPT_FLAG && value == NULL) {
            if (i + 1 >= argc) return xl_cli_usage_error(spec, "option --%s needs a value", o->name);
            value = argv[++i];
        }
        int rc = set_value(spec, o, value);
        if (rc != 0) return rc;
    }
    if (args->n_positional < spec->min_positional)
        return xl_cli_usage_error(spec, "missing argument (expected at least %d)", spec->min_positional);
    return XL_CLI_CONTINUE;
}

int xl_cli_check_output(const xl_command_spec *spec, const char *output, const char *const *inputs, size_t n_inputs)
{
    if (output == NULL) return XL_CLI_CONTINUE;
    for (size_t i = 0; i < n_inputs; i++)
        if (inputs[i] != NULL && xl_same_file(inputs[i], output))
            return xl_cli_usage_error(spec, "%s is the same file as the input %s: refusing to overwrite it",
                                      strcmp(output, "-") == 0 ? "standard output" : output,
                                      strcmp(inputs[i], "-") == 0 ? "(standard input)" : inputs[i]);
    return XL_CLI_CONTINUE;
}

void xl_cli_accept_single_dash(const xl_option *opts, int argc, char **argv, char (*store)[64], int max_store)
{
    int used = 0;
    for (int i = 1; i < argc && used < max_store; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '-' || a[1] == '\0' || a[2] == '\0') continue;
        for (const xl_option *o = opts; o->name; o++) {
            if (strcmp(o->name, a + 1) == 0 && strlen(a) + 2 < 64) {
                snprintf(store[used], 64, "-%s", a);
                argv[i] = store[used++];
                break;
            }
        }
    }
}
