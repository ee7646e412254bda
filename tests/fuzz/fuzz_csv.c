/* fuzz_csv.c - libFuzzer target for the CSV/TSV reader (src/core/xl_csv.h).
 * The first byte picks the dialect (separator, quoting, header, small limits);
 * the rest is the input.  Every field must be NUL-terminated and inside the
 * record limit; errors must name the input and a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xl_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    uint8_t mode = data[0];
    static const char seps[4] = {',', '\t', ';', '|'};
    xl_csv_options o = {seps[mode & 3], (mode & 4) ? XL_CSV_NO_QUOTE : 0, (mode & 8) != 0, 0, 0};
    if (mode & 16) o.max_record = 64;
    if (mode & 32) o.max_fields = 4;
    if (mode & 64) o.quote = '\'';
    size_t n = size - 1;
    char *text = malloc(n ? n : 1);
    if (text == NULL) return 0;
    memcpy(text, data + 1, n);
    xl_csv *r;
    xl_error err;
    if (xl_csv_open_memory(&r, text, n, "fuzz.csv", &o, &err) == 0) {
        const xl_csv_field *f;
        size_t nf;
        int rc;
        uint64_t last_line = 0;
        size_t records = 0;
        while ((rc = xl_csv_next(r, &f, &nf, &err)) > 0) {
            if (nf == 0) abort();
            if (o.max_fields && nf > o.max_fields) abort();
            size_t total = 0;
            for (size_t i = 0; i < nf; i++) {
                if (f[i].data[f[i].len] != '\0') abort();
                total += f[i].len + 1;
            }
            if (o.max_record && total > o.max_record) abort();
            if (xl_csv_line(r) <= last_line) abort(); /* records start on increasing lines */
            last_line = xl_csv_line(r);
            if (++records > n + 1) abort();
        }
        if (rc < 0 && strncmp(err.msg, "fuzz.csv:", 9) != 0) abort();
        xl_csv_close(r);
    } else if (strncmp(err.msg, "fuzz.csv:", 9) != 0) {
        abort();
    }
    free(text);
    return 0;
}
