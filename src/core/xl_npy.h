/* xl_npy.h - NumPy .npy files (format version 1.0; 2.0 read as well), so
 * embeddings open with numpy.load().
 *
 * Written: version 1.0, dtype '<f4' (little-endian float32), C order,
 * header padded so the data starts at a multiple of 64 bytes.
 * Read: '<f4' (and '>f4', byte-swapped), C order only (fortran_order True is
 * refused), any rank 0..8; the header dictionary is parsed strictly and every
 * dimension checked against the file size (a header claiming more data than
 * the file holds is an error, never a huge allocation).  The host's byte
 * order is handled: data is little-endian on disk on every platform.
 */
#ifndef XL_NPY_H
#define XL_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xl_error.h"

#define XL_NPY_MAX_RANK 8

typedef struct xl_npy_array {
    int rank;
    size_t shape[XL_NPY_MAX_RANK];
    size_t count; /* product of shape (1 for rank 0) */
    float *data;  /* count floats, owned (free with xl_npy_free) */
} xl_npy_array;

/* Write a float32 C-order array of the given shape to path ("-" = stdout). */
int xl_npy_write(const char *path, const float *data, int rank, const size_t *shape, xl_error *err);
/* Streaming writer for rows produced one batch at a time: the header is
 * written first with n_rows, then exactly n_rows*row_len floats. */
int xl_npy_write_header(FILE *f, const char *path, int rank, const size_t *shape, xl_error *err);
int xl_npy_write_f32(FILE *f, const char *path, const float *data, size_t count, xl_error *err);

int xl_npy_read(const char *path, xl_npy_array *out, xl_error *err);
/* Parse from memory (tests, fuzzing). */
int xl_npy_read_memory(const void *data, size_t len, const char *name, xl_npy_array *out, xl_error *err);
void xl_npy_free(xl_npy_array *a);

#endif /* XL_NPY_H */
