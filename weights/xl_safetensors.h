/* xl_safetensors.h - a checked reader of HuggingFace safetensors files.
 *
 * Contract
 *   - Format (https://github.com/huggingface/safetensors, "Format"): 8-byte
 *     little-endian unsigned header length N, N bytes of UTF-8 JSON (an object
 *     mapping tensor name -> {"dtype", "shape", "data_offsets": [begin, end]},
 *     plus an optional "__metadata__" object of strings), then the data
 *     buffer; offsets are relative to the start of the data buffer.
 *   - Everything is validated before use: N against the file size (and a
 *     100 MB cap, as the reference implementation does), the JSON strictly
 *     (xl_json.h, duplicate keys are an error), every dtype name, every shape
 *     (non-negative integers, product without overflow), begin <= end <= data
 *     size, end - begin == elements x dtype size, no two tensors overlapping.
 *     Messages name the file and the tensor.
 *   - The file is memory-mapped (xl_map_file); tensor bytes are borrowed from
 *     the mapping and valid until xl_safetensors_close.
 *   - xl_safetensors_to_f32 widens F32, F16, BF16 and F64 to float32 on any
 *     host byte order (exact for F16/BF16; F64 rounds to nearest).
 */
#ifndef XL_SAFETENSORS_H
#define XL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

#define XL_ST_MAX_HEADER (100u * 1000u * 1000u)
#define XL_ST_MAX_RANK 8

typedef enum {
    XL_ST_F64, XL_ST_F32, XL_ST_F16, XL_ST_BF16,
    XL_ST_I64, XL_ST_I32, XL_ST_I16, XL_ST_I8,
    XL_ST_U64, XL_ST_U32, XL_ST_U16, XL_ST_U8,
    XL_ST_BOOL, XL_ST_F8_E4M3, XL_ST_F8_E5M2
} xl_st_dtype;

typedef struct xl_st_tensor {
    const char *name;
    xl_st_dtype dtype;
    int rank;
    uint64_t shape[XL_ST_MAX_RANK];
    size_t count;               /* product of shape (1 for rank 0) */
    const unsigned char *data;  /* little-endian bytes in the mapping */
    size_t nbytes;
    size_t data_begin;          /* offset in the data buffer */
} xl_st_tensor;

typedef struct xl_safetensors xl_safetensors;

int xl_safetensors_open(xl_safetensors **out, const char *path, xl_error *err);
/* Parse an image in memory (fuzzing, tests); the bytes are borrowed and must
 * outlive the handle. */
int xl_safetensors_open_memory(xl_safetensors **out, const void *data, size_t len, const char *name, xl_error *err);
void xl_safetensors_close(xl_safetensors *st);

const char *xl_safetensors_path(const xl_safetensors *st);
size_t xl_safetensors_count(const xl_safetensors *st);
const xl_st_tensor *xl_safetensors_at(const xl_safetensors *st, size_t i); /* in header order */
const xl_st_tensor *xl_safetensors_find(const xl_safetensors *st, const char *name);
/* A "__metadata__" string value, or NULL. */
const char *xl_safetensors_metadata(const xl_safetensors *st, const char *key);

const char *xl_st_dtype_name(xl_st_dtype t);
size_t xl_st_dtype_size(xl_st_dtype t);
/* 1 for F32/F16/BF16/F64 (widened by xl_safetensors_to_f32), 0 otherwise. */
int xl_st_dtype_is_float(xl_st_dtype t);
/* Widen the tensor into out[0..count). */
int xl_safetensors_to_f32(const xl_safetensors *st, const xl_st_tensor *t, float *out, xl_error *err);

/* IEEE half / bfloat16 bit patterns to float (exact). */
float xl_f16_to_f32(uint16_t h);
float xl_bf16_to_f32(uint16_t b);

#endif /* XL_SAFETENSORS_H */
