/* cmd_check_utf8.c - `xlrec check-utf8 [--repair] [FILE]`
 * Validates UTF-8 line by line.  Without --repair: prints nothing and exits 0
 * when the input is well-formed, otherwise reports the first ill-formed
 * sequence as "FILE:LINE:COLUMN: reason" and exits 1.  With --repair: writes
 * the input with each ill-formed sequence replaced by U+FFFD to stdout and
 * the number of replacements to stderr. */
#include <stdbool.h>
#include <stdio.h>

#include "xl_cli.h"
#include "xl_io.h"
#include "xl_utf8.h"

int cmd_check_utf8(int argc, char **argv)
{
    bool repair = false;
    const xl_option opts[] = {
        {"repair", 0, XL_OPT_FLAG, &repair, NULL, "write the repaired text to stdout instead of failing", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {"check-utf8", "xlrec check-utf8 [--repair] [FILE|-]",
                                  "Check that FILE (default: standard input) is well-formed UTF-8.\n"
                                  "Reports the first ill-formed byte sequence as FILE:LINE:COLUMN (column in bytes).",
                                  opts, 0, 1};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    const char *path = args.n_positional ? args.positional[0] : "-";
    xl_error err;
    xl_error_clear(&err);
    xl_lines lines;
    if (xl_lines_open(&lines, path, &err) < 0) return xl_cli_runtime_error(&err);
    lines.strip_cr = false;
    const char *line;
    size_t len, total_replaced = 0;
    xl_buf out;
    xl_buf_init(&out);
    while ((rc = xl_lines_next(&lines, &line, &len, &err)) > 0) {
        if (repair) {
            size_t n;
            xl_buf_clear(&out);
            if (xl_utf8_repair(line, len, &out, &n, &err) < 0 || xl_buf_putc(&out, '\n', &err) < 0) {
                rc = -1;
                break;
            }
            total_replaced += n;
            if (fwrite(out.data, 1, out.len, stdout) != out.len) {
                xl_fail(&err, XL_ERR_IO, "stdout: write failed");
                rc = -1;
                break;
            }
            continue;
        }
        size_t bad;
        xl_utf8_status why;
        if (!xl_utf8_validate(line, len, &bad, &why)) {
            xl_fail(&err, XL_ERR_FORMAT, "%s:%llu:%zu: ill-formed UTF-8: %s", path, (unsigned long long)lines.lineno,
                    bad + 1, xl_utf8_status_name(why));
            rc = -1;
            break;
        }
    }
    xl_lines_close(&lines);
    xl_buf_free(&out);
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (repair) fprintf(stderr, "xlrec: %zu ill-formed sequence(s) replaced by U+FFFD\n", total_replaced);
    if (fflush(stdout) != 0) {
        xl_fail(&err, XL_ERR_IO, "stdout: write failed");
        return xl_cli_runtime_error(&err);
    }
    return XL_EXIT_OK;
}
