/* glove_internal.h - record encoding and a buffered record reader shared by
 * the files of src/glove/ (not installed API; see glove.h for the format). */
#ifndef GLOVE_INTERNAL_H
#define GLOVE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xl_error.h"

/* {int32 w1, int32 w2, float64 x} little-endian into/from 16 bytes */
void xl_glove_put_record(unsigned char *p, uint32_t w1, uint32_t w2, double x);
void xl_glove_get_record(const unsigned char *p, int32_t *w1, int32_t *w2, double *x);

typedef struct xl_glove_rec_reader {
    FILE *f;
    const char *path;
    bool owns;
    unsigned char *buf;
    size_t pos, len, cap; /* in records */
    uint64_t index;       /* records returned so far */
} xl_glove_rec_reader;

int xl_glove_rec_reader_open(xl_glove_rec_reader *r, const char *path, xl_error *err);
/* 1: a record; 0: end of file; -1: error (a partial record included) */
int xl_glove_rec_reader_next(xl_glove_rec_reader *r, int32_t *w1, int32_t *w2, double *x, xl_error *err);
void xl_glove_rec_reader_close(xl_glove_rec_reader *r);

#endif /* GLOVE_INTERNAL_H */
