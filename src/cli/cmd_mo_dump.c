/* cmd_mo_dump.c - `xlrec mo-dump [--list FILE] [FILE.mo ...]`
 * Prints every translated message of gettext .mo catalogues as one TSV line:
 *     path <TAB> msgctxt <TAB> msgid <TAB> msgid_plural <TAB> msgstr[0] <TAB> msgstr[1]
 * with PO escapes (backslash, tab, newline, carriage return as \\ \t \n \r) so that a line is a record.
 * The header entry and untranslated messages (empty msgstr[0]) are skipped.  Catalogues in ISO-8859-1
 * are converted to UTF-8; other non-UTF-8 charsets, and messages that are not valid UTF-8, are skipped
 * and counted on stderr.  A damaged catalogue is reported ("xlrec: PATH: what is wrong") and skipped;
 * the exit status is then 1 after the other files are done.  Used by weights/tools/build_corpus.sh,
 * which reads the language and domain from each path. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_cli.h"
#include "xl_io.h"
#include "xl_mo.h"
#include "xl_utf8.h"

typedef struct dump_stats {
    unsigned long files, messages, skipped_charset_files, skipped_invalid, failed_files;
} dump_stats;

/* Append s to b with PO escapes; latin1: bytes are code points. */
static int put_escaped(xl_buf *b, xl_mo_str s, bool latin1, xl_error *err)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.s[i];
        int rc;
        if (c == '\\') rc = xl_buf_append(b, "\\\\", 2, err);
        else if (c == '\t') rc = xl_buf_append(b, "\\t", 2, err);
        else if (c == '\n') rc = xl_buf_append(b, "\\n", 2, err);
        else if (c == '\r') rc = xl_buf_append(b, "\\r", 2, err);
        else if (latin1 && c >= 0x80) {
            unsigned char u[4];
            size_t n = xl_utf8_encode(c, u);
            rc = xl_buf_append(b, u, n, err);
        } else rc = xl_buf_putc(b, (char)c, err);
        if (rc < 0) return -1;
    }
    return 0;
}

static bool valid(xl_mo_str s, bool latin1)
{
    size_t bad;
    xl_utf8_status why;
    return latin1 || xl_utf8_validate(s.s, s.len, &bad, &why);
}

/* Dump one catalogue; returns -1 only for output errors (a bad catalogue is reported and skipped). */
static int dump_file(const char *path, xl_buf *line, dump_stats *st, xl_error *err)
{
    char *data = NULL;
    size_t len = 0;
    xl_error ferr;
    xl_error_clear(&ferr);
    xl_mo mo;
    st->files++;
    if (xl_read_file(path, 0, &data, &len, &ferr) < 0 || xl_mo_parse(&mo, data, len, path, &ferr) < 0) {
        xl_cli_runtime_error(&ferr);
        st->failed_files++;
        free(data);
        return 0;
    }
    bool latin1 = xl_mo_is_latin1(&mo);
    if (!latin1 && !xl_mo_is_utf8(&mo)) {
        fprintf(stderr, "xlrec: %s: charset '%s' is not UTF-8 or ISO-8859-1; skipped\n", path, mo.charset);
        st->skipped_charset_files++;
        free(data);
        return 0;
    }
    int rc = 0;
    for (uint32_t i = 0; i < mo.n && rc == 0; i++) {
        xl_mo_message m;
        xl_mo_get(&mo, i, &m);
        if (m.id.len == 0 || m.str[0].len == 0) continue;
        if (!valid(m.ctxt, latin1) || !valid(m.id, latin1) || !valid(m.plural, latin1) || !valid(m.str[0], latin1) ||
            !valid(m.str[1], latin1)) {
            st->skipped_invalid++;
            continue;
        }
        xl_buf_clear(line);
        xl_mo_str p = {path, strlen(path)};
        if (put_escaped(line, p, false, err) < 0 || xl_buf_putc(line, '\t', err) < 0 ||
            put_escaped(line, m.ctxt, latin1, err) < 0 || xl_buf_putc(line, '\t', err) < 0 ||
            put_escaped(line, m.id, latin1, err) < 0 || xl_buf_putc(line, '\t', err) < 0 ||
            put_escaped(line, m.plural, latin1, err) < 0 || xl_buf_putc(line, '\t', err) < 0 ||
            put_escaped(line, m.str[0], latin1, err) < 0 || xl_buf_putc(line, '\t', err) < 0 ||
            put_escaped(line, m.str[1], latin1, err) < 0 || xl_buf_putc(line, '\n', err) < 0) {
            rc = -1;
            break;
        }
        if (fwrite(line->data, 1, line->len, stdout) != line->len) rc = xl_fail(err, XL_ERR_IO, "stdout: write failed");
        st->messages++;
    }
    free(data);
    return rc;
}

int cmd_mo_dump(int argc, char **argv)
{
    const char *list = NULL;
    const xl_option opts[] = {
        {"list", 'l', XL_OPT_STRING, &list, "FILE", "read catalogue paths from FILE, one a line ('-': standard input)", 0, 0, NULL},
        {0}};
    const xl_command_spec spec = {
        "mo-dump", "xlrec mo-dump [--list FILE] [FILE.mo ...]",
        "Print the translated messages of gettext .mo catalogues, one TSV line each:\n"
        "path, msgctxt, msgid, msgid_plural, msgstr[0], msgstr[1] (PO escapes \\\\ \\t \\n \\r).\n"
        "ISO-8859-1 catalogues are converted to UTF-8; other charsets are skipped.",
        opts, 0, XL_MAX_POSITIONAL};
    xl_args args;
    int rc = xl_cli_parse(&spec, argc, argv, &args);
    if (rc != XL_CLI_CONTINUE) return rc;
    if (!list && args.n_positional == 0) return xl_cli_usage_error(&spec, "give .mo files or --list FILE");
    xl_error err;
    xl_error_clear(&err);
    xl_buf line;
    xl_buf_init(&line);
    dump_stats st = {0};
    rc = 0;
    for (int i = 0; i < args.n_positional && rc == 0; i++) rc = dump_file(args.positional[i], &line, &st, &err);
    if (list && rc == 0) {
        xl_lines lines;
        if (xl_lines_open(&lines, list, &err) < 0) rc = -1;
        else {
            const char *l;
            size_t len;
            int got = 0;
            while (rc == 0 && (got = xl_lines_next(&lines, &l, &len, &err)) > 0) {
                if (len == 0) continue;
                char *path = malloc(len + 1);
                if (!path) {
                    rc = xl_fail(&err, XL_ERR_NOMEM, "out of memory");
                    break;
                }
                memcpy(path, l, len);
                path[len] = '\0';
                rc = dump_file(path, &line, &st, &err);
                free(path);
            }
            if (got < 0) rc = -1;
            xl_lines_close(&lines);
        }
    }
    xl_buf_free(&line);
    if (rc == 0 && fflush(stdout) != 0) rc = xl_fail(&err, XL_ERR_IO, "stdout: write failed");
    if (rc < 0) return xl_cli_runtime_error(&err);
    if (st.skipped_charset_files || st.skipped_invalid || st.failed_files)
        fprintf(stderr, "xlrec: mo-dump: %lu files, %lu messages; skipped: %lu files (charset), %lu messages (invalid UTF-8), %lu damaged files\n",
                st.files, st.messages, st.skipped_charset_files, st.skipped_invalid, st.failed_files);
    return st.failed_files ? XL_EXIT_RUNTIME : XL_EXIT_OK;
}
