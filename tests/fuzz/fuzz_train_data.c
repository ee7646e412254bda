/* fuzz_train_data.c - libFuzzer target for the training inputs of `xlrec train-encoder`
 * (src/train/train_data.h, train_ckpt.h).  The first byte picks the reader:
 *   0: one line of a --pairs corpus, 1: one line of a --mono corpus (xl_corpus_parse_line):
 *      an accepted line has 2 (pairs) or 1 (mono) sides whose tag and text lie inside the line,
 *      are non-empty and contain no TAB; a refused one has a message "fuzz.tsv:7: ...".
 *   2: a checkpoint file (xl_ckpt_read, through a temporary file) expecting the configuration
 *      "hidden=4\nlayers=1\n" and blocks "params" [4], "adamw.m" [2]: an accepted file has
 *      exactly that; a refused one leaves a message naming the file.
 * Seeds: tests/fuzz/corpus/fuzz_train_data/. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train_ckpt.h"
#include "train_data.h"

static void check_line(xl_corpus_kind kind, const char *line, size_t len)
{
    xl_corpus_record r;
    xl_error err;
    xl_error_clear(&err);
    if (xl_corpus_parse_line(kind, line, len, "fuzz.tsv", 7, &r, &err) == 0) {
        if (r.n_sides != (kind == XL_CORPUS_PAIRS ? 2u : 1u) || r.lineno != 7) abort();
        for (size_t s = 0; s < r.n_sides; s++) {
            const char *parts[2] = {r.lang[s], r.text[s]};
            size_t lens[2] = {r.lang_len[s], r.text_len[s]};
            for (int k = 0; k < 2; k++) {
                if (lens[k] == 0 || parts[k] < line || parts[k] + lens[k] > line + len) abort();
                if (memchr(parts[k], '\t', lens[k]) != NULL) abort();
            }
        }
    } else if (strncmp(err.msg, "fuzz.tsv:7: ", 12) != 0) {
        abort();
    }
}

static void check_ckpt(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/xlrec-fuzz-ckpt-%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL) return;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return;
    }
    fclose(f);
    float p[4], m[2];
    xl_ckpt ck;
    memset(&ck, 0, sizeof ck);
    ck.config = "hidden=4\nlayers=1\n";
    ck.n_blocks = 2;
    ck.blocks[0] = (xl_ckpt_block){"params", p, 4};
    ck.blocks[1] = (xl_ckpt_block){"adamw.m", m, 2};
    xl_error err;
    xl_error_clear(&err);
    if (xl_ckpt_read(path, &ck, &err) != 0 && strncmp(err.msg, path, strlen(path)) != 0) abort();
    remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const uint8_t mode = data[0] % 3;
    data++, size--;
    if (mode == 2) {
        check_ckpt(data, size);
        return 0;
    }
    char *line = malloc(size + 1);
    if (line == NULL) return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    check_line(mode == 0 ? XL_CORPUS_PAIRS : XL_CORPUS_MONO, line, size);
    free(line);
    return 0;
}
