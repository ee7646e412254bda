/* fuzz_augment.c - libFuzzer target for `xlrec augment` (src/train/train_augment.h,
 * xl_augment_line).  Byte 0 picks p (1..255 / 256), the side, per-character mode for every tag
 * ("*" not used: --chars-for "x,zh,ja" or the tag list "a"), min_units 1..4 and a max_chars of
 * 0 or 40; the rest is one input line.  Invariants:
 *   - accepted: the outcome is one of the five; a written pair is valid UTF-8 with exactly 4 TAB-
 *     separated columns, column 1 == column 3, column 2 a byte-copy of a column of the input, and
 *     the shortened text's code points (spaces aside) a proper, non-empty subsequence of column 2's;
 *     a skipped line leaves the buffer empty; the same call again gives the same bytes;
 *   - refused: a message starting "fuzz.tsv:7: " and an empty buffer.
 * Seeds: tests/fuzz/corpus/fuzz_augment/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train_augment.h"
#include "xl_utf8.h"

static void check_written(const char *line, size_t len, const xl_buf *out)
{
    const char *s = out->data, *col[4];
    size_t cl[4], n = 0, start = 0;
    for (size_t i = 0; i <= out->len; i++)
        if (i == out->len || s[i] == '\t') {
            if (n >= 4) abort();
            col[n] = s + start;
            cl[n++] = i - start;
            start = i + 1;
        }
    if (n != 4 || !xl_utf8_validate(s, out->len, NULL, NULL)) abort();
    if (cl[0] != cl[2] || memcmp(col[0], col[2], cl[0]) != 0 || cl[3] == 0) abort();
    /* column 2 lies in the input */
    int found = 0;
    for (size_t i = 0; i + cl[1] <= len && !found; i++) found = memcmp(line + i, col[1], cl[1]) == 0;
    if (!found) abort();
    /* the shortened text: a subsequence of column 2's code points, spaces aside, and shorter */
    size_t i = 0, kept = 0;
    for (size_t j = 0; j < cl[3];) {
        uint32_t got, want;
        if (col[3][j] == ' ') {
            j++;
            continue;
        }
        int gl = xl_utf8_decode((const unsigned char *)col[3] + j, cl[3] - j, &got, NULL);
        if (gl <= 0) abort();
        for (;;) {
            if (i >= cl[1]) abort();
            int il = xl_utf8_decode((const unsigned char *)col[1] + i, cl[1] - i, &want, NULL);
            if (il <= 0) abort();
            i += (size_t)il;
            if (want == got) break;
        }
        j += (size_t)gl;
        kept++;
    }
    if (kept == 0 || kept >= xl_utf8_count(col[1], cl[1])) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const uint8_t b = data[0];
    data++, size--;
    char *line = malloc(size + 1);
    if (line == NULL) return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    xl_augment_opts o;
    xl_augment_opts_default(&o);
    o.p_drop = (double)((b & 0x0f) * 16 + 8) / 256.0;
    o.side = (b & 0x10) ? 2 : 1;
    o.chars_for = (b & 0x20) ? "x,zh,ja" : "a";
    o.min_units = 1 + (size_t)((b >> 6) & 1) * 3;
    o.max_chars = (b & 0x80) ? 40 : 0;
    xl_buf out, again;
    xl_buf_init(&out);
    xl_buf_init(&again);
    xl_augment_outcome oc, oc2;
    xl_error err;
    xl_error_clear(&err);
    if (xl_augment_line(&o, line, size, "fuzz.tsv", 7, 99, &out, &oc, NULL, &err) == 0) {
        if ((unsigned)oc >= XL_AUGMENT_N_OUTCOMES) abort();
        if (oc == XL_AUGMENT_WRITTEN) check_written(line, size, &out);
        else if (out.len != 0) abort();
        if (xl_augment_line(&o, line, size, "fuzz.tsv", 7, 99, &again, &oc2, NULL, NULL) != 0 || oc2 != oc ||
            again.len != out.len || (out.len && memcmp(out.data, again.data, out.len) != 0))
            abort();
    } else if (strncmp(err.msg, "fuzz.tsv:7: ", 12) != 0 || out.len != 0) {
        abort();
    }
    xl_buf_free(&out);
    xl_buf_free(&again);
    free(line);
    return 0;
}
