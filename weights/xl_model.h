/* xl_model.h - the xlrec model file: one self-contained, checked, memory-mappable
 * binary holding an encoder's metadata, vocabulary and tensors (stored as
 * F32, F16, BF16 or symmetric per-row int8; handed out as float32).
 *
 * Contract (byte-by-byte specification: docs/model-format.md)
 *   - Layout: 128-byte header (magic "XLRECMOD", format version, a sanity
 *     block of known values that catches byte-order / ABI / float-format
 *     mismatches as KenLM's binary format does, explicit counts, and the
 *     offset and size of every section), then typed key/value metadata, the
 *     embedded vocabulary (token id = position), the tensor directory (name,
 *     dtype, rank, shape, offset, size) and the tensor data, each tensor
 *     aligned to 64 bytes.  Every integer and float is little-endian on disk.
 *   - xl_model_open validates the whole structure before handing anything
 *     out: the file size recorded in the header, section bounds and order,
 *     every count, string length, metadata type, UTF-8 of tokens, tensor
 *     dtype, rank, dimensions (product computed without overflow), size,
 *     alignment, bounds and pairwise overlap.  Any violation fails with a
 *     message naming the file and the field, e.g.
 *       "m.xlm: tensor 'pooler.dense.weight': data [4096, 8192) runs past the
 *        end of the data section (6144 bytes)".
 *     A version newer than XL_MODEL_VERSION is refused, not guessed at.
 *   - Architecture checks (which tensors a BERT needs, with which shapes) are
 *     done by the encoder (nn/bert.h: xl_bert_from_model) on top of this.
 *   - Little-endian hosts use tensor data in place in the mapping (mmap where
 *     POSIX exists, one fread-ed heap block otherwise: xl_map_file); big-endian
 *     hosts get a byte-swapped heap copy of the data section.  Same API.
 *   - Reduced-precision storage (format version 2): F16 (IEEE binary16), BF16
 *     (upper half of a binary32) and I8 (symmetric int8 in [-127, 127] with
 *     one float32 scale per row, row = index of the first dimension, i.e. the
 *     output channel of an nn.Linear [out, in] weight or the token of an
 *     embedding table; value = scale[row] * q).  The loader checks every
 *     scale (finite, > 0), every int8 (not -128) and the zero padding, and
 *     widens such tensors to a float32 copy: `xl_tensor.data` is float32 for
 *     every dtype, so every consumer runs unchanged; `stored` / `scales` give
 *     the stored form (host byte order) to kernels that use it directly.
 *     XL_MODEL_OPEN_KEEP_I8 / XL_MODEL_OPEN_KEEP_REDUCED skip the widening of
 *     I8 / F16 and BF16 tensors (`data` NULL; the encoder runs them as stored).
 *     A file whose tensors are all F32 is written as version 1, exactly as
 *     before, so older readers keep reading it.
 *   - The writer (xl_model_writer) produces exactly what the reader accepts,
 *     on any host.
 */
#ifndef XL_MODEL_H
#define XL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_bytes.h"
#include "xl_error.h"
#include "xl_platform.h"

#define XL_MODEL_MAGIC "XLRECMOD" /* 8 bytes, no terminator on disk */
#define XL_MODEL_VERSION 2u     /* newest version read and written */
#define XL_MODEL_VERSION_F32 1u /* written when every tensor is F32 */
#define XL_MODEL_HEADER_SIZE 128u
#define XL_MODEL_ALIGN 64u

/* The sanity block: written as these values, compared bit for bit on load. */
#define XL_MODEL_SANITY_U32 0x01020304u
#define XL_MODEL_SANITY_F32 1.5f
#define XL_MODEL_SANITY_F64 (-1234.5625)
#define XL_MODEL_SANITY_U64 0x0102030405060708ull

/* Limits the loader enforces (a file beyond them is refused as hostile). */
#define XL_MODEL_MAX_NAME 255u            /* metadata key / tensor name bytes */
#define XL_MODEL_MAX_STRING (1u << 20)    /* metadata string value bytes */
#define XL_MODEL_MAX_TOKEN 1024u          /* vocabulary entry bytes */
#define XL_MODEL_MAX_RANK 4
#define XL_MODEL_MAX_DIM (1ull << 32)     /* any single dimension */
#define XL_MODEL_MAX_TENSORS 100000u
#define XL_MODEL_MAX_META 10000u
#define XL_MODEL_MAX_VOCAB 10000000u

/* Stored tensor types.  Version 1 files hold only F32; version 2 adds the rest. */
typedef enum {
    XL_DTYPE_F32 = 0,  /* IEEE binary32, 4 bytes per element */
    XL_DTYPE_F16 = 1,  /* IEEE binary16, 2 bytes per element */
    XL_DTYPE_BF16 = 2, /* bfloat16 (upper 16 bits of a binary32), 2 bytes per element */
    XL_DTYPE_I8 = 3,   /* rank >= 2: f32 scale[rows], zero padding to a multiple of 64 bytes, then
                        * int8 q[count] in [-127, 127]; element (r, c) = scale[r] * q[r * cols + c],
                        * rows = shape[0], cols = count / rows */
} xl_dtype;
#define XL_DTYPE_COUNT 4

typedef enum {
    XL_META_INT = 1,    /* int64 */
    XL_META_DOUBLE = 2, /* IEEE-754 binary64 */
    XL_META_STRING = 3, /* u32 length + UTF-8 bytes */
    XL_META_BOOL = 4,   /* u8 0 or 1 */
} xl_meta_type;

typedef struct xl_meta {
    const char *key; /* NUL-terminated copy */
    xl_meta_type type;
    int64_t i;       /* XL_META_INT, XL_META_BOOL (0/1) */
    double d;        /* XL_META_DOUBLE */
    const char *s;   /* XL_META_STRING: NUL-terminated copy */
    size_t s_len;
} xl_meta;

typedef struct xl_tensor {
    const char *name; /* NUL-terminated copy */
    xl_dtype dtype;
    int rank;
    uint64_t shape[XL_MODEL_MAX_RANK];
    size_t count;       /* product of shape */
    uint64_t offset;    /* relative to the data section */
    uint64_t nbytes;    /* stored bytes (xl_dtype_stored_bytes) */
    const float *data;  /* count float32s, 64-byte aligned, read-only: the stored
                         * F32 data in place, or the widened copy of F16/BF16/I8
                         * (NULL for I8 opened with XL_MODEL_OPEN_KEEP_I8, and for
                         * F16 / BF16 opened with XL_MODEL_OPEN_KEEP_REDUCED) */
    const void *stored; /* the stored elements in host byte order, 64-byte aligned:
                         * float (F32), uint16_t bit patterns (F16, BF16), int8_t (I8) */
    const float *scales; /* I8: shape[0] per-row scales (finite, > 0); NULL otherwise */
} xl_tensor;

typedef struct xl_model xl_model;

/* Open and validate a model file ("-" reads standard input). */
int xl_model_open(xl_model **out, const char *path, xl_error *err);
/* Flags of xl_model_open_ex / xl_model_open_memory_ex. */
enum {
    /* I8 tensors are not widened: their `data` is NULL and only `stored` / `scales` are given (the
     * int8 encoder, nn/bert.h, which then keeps no float32 copy of its int8 weights).  Every check
     * of the stored form is still made. */
    XL_MODEL_OPEN_KEEP_I8 = 1u,
    /* F16 / BF16 tensors are not widened either: `data` NULL, `stored` gives the 16-bit elements in
     * host order (the encoder packs its linear weights from them, xl_pack_b16, and reads embedding
     * rows from them, so no float32 copy exists).  Their pages of the mapping are kept: the
     * consumer releases what it copied (xl_model_release_data). */
    XL_MODEL_OPEN_KEEP_REDUCED = 2u
};
int xl_model_open_ex(xl_model **out, const char *path, unsigned flags, xl_error *err);
/* Validate a model held in memory (tests, fuzzing).  The bytes are copied
 * into an aligned block owned by the model; `name` prefixes messages. */
int xl_model_open_memory(xl_model **out, const void *data, size_t len, const char *name, xl_error *err);
int xl_model_open_memory_ex(xl_model **out, const void *data, size_t len, const char *name, unsigned flags,
                            xl_error *err);
void xl_model_close(xl_model *m);

const char *xl_model_path(const xl_model *m);
uint32_t xl_model_version(const xl_model *m);
size_t xl_model_file_size(const xl_model *m);
bool xl_model_is_mapped(const xl_model *m);
/* The caller has copied `bytes` of tensor data at `p` (e.g. packed weights): drop those pages from
 * resident memory if the model is memory-mapped (they are read from the file again if touched);
 * otherwise nothing.  The data stays valid. */
void xl_model_release_data(const xl_model *m, const void *p, size_t bytes);

/* Metadata (in file order). */
size_t xl_model_meta_count(const xl_model *m);
const xl_meta *xl_model_meta_at(const xl_model *m, size_t i);
const xl_meta *xl_model_meta_find(const xl_model *m, const char *key);
/* Typed lookups: false when the key is absent or has another type. */
bool xl_model_meta_int(const xl_model *m, const char *key, int64_t *out);
bool xl_model_meta_double(const xl_model *m, const char *key, double *out);
bool xl_model_meta_bool(const xl_model *m, const char *key, bool *out);
const char *xl_model_meta_string(const xl_model *m, const char *key);

/* Embedded vocabulary: token id i -> bytes (NUL-terminated; *len excludes it).
 * Count 0 means the model only accepts token ids. */
size_t xl_model_vocab_count(const xl_model *m);
const char *xl_model_vocab_token(const xl_model *m, size_t id, size_t *len);

/* Tensors (in directory order). */
size_t xl_model_tensor_count(const xl_model *m);
const xl_tensor *xl_model_tensor_at(const xl_model *m, size_t i);
const xl_tensor *xl_model_tensor_find(const xl_model *m, const char *name);
/* Find a tensor of exactly the given shape (any stored dtype: `data` is float32), or fail
 * naming the tensor ("missing tensor 'x'", "tensor 'x' has shape [3, 4], expected [4, 4]"). */
const xl_tensor *xl_model_require(const xl_model *m, const char *name, int rank, const uint64_t *shape,
                                  xl_error *err);
/* Total number of parameters (sum of tensor element counts). */
uint64_t xl_model_param_count(const xl_model *m);

const char *xl_dtype_name(xl_dtype t);
/* "f32", "f16", "bf16", "int8" (as --dtype spells them) -> dtype; false if unknown. */
bool xl_dtype_parse(const char *s, xl_dtype *out);
/* Bytes a tensor of `count` elements with first dimension `rows` occupies in the data
 * section (I8: the padded scale block plus count); false on overflow. */
bool xl_dtype_stored_bytes(xl_dtype t, uint64_t count, uint64_t rows, uint64_t *out);
/* The storage policy of `xlrec convert/quantize --dtype`: tensors of rank >= 2
 * (embedding tables, nn.Linear weights) take `reduced`; rank-1 tensors
 * (LayerNorm weight/bias, every bias) stay F32. */
xl_dtype xl_dtype_for_tensor(int rank, xl_dtype reduced);
/* "[3, 4]" into buf. */
const char *xl_shape_str(int rank, const uint64_t *shape, char *buf, size_t cap);

/* ---- writer --------------------------------------------------------------
 *   xl_model_writer *w = xl_model_writer_new(&err);
 *   xl_model_writer_set_string(w, "arch", "bert", &err);  ... set_int/double/bool
 *   xl_model_writer_add_token(w, "[PAD]", 5, &err);       ... in id order
 *   xl_model_writer_add_tensor(w, "embeddings.word_embeddings.weight", 2, shape, data, NULL, &err);
 *   xl_model_writer_write(w, "out.xlm", &err);
 *   xl_model_writer_free(w);
 * Tensor data is borrowed (must stay valid until write) unless `owned` is
 * non-NULL, in which case that block (xl_aligned_alloc/malloc result passed
 * with its free function) is released by the writer.  Setting a metadata key
 * twice replaces the value. */
typedef struct xl_model_writer xl_model_writer;

xl_model_writer *xl_model_writer_new(xl_error *err);
void xl_model_writer_free(xl_model_writer *w);
int xl_model_writer_set_int(xl_model_writer *w, const char *key, int64_t v, xl_error *err);
int xl_model_writer_set_double(xl_model_writer *w, const char *key, double v, xl_error *err);
int xl_model_writer_set_bool(xl_model_writer *w, const char *key, bool v, xl_error *err);
int xl_model_writer_set_string(xl_model_writer *w, const char *key, const char *v, xl_error *err);
int xl_model_writer_add_token(xl_model_writer *w, const char *tok, size_t len, xl_error *err);
size_t xl_model_writer_token_count(const xl_model_writer *w);
typedef void (*xl_free_fn)(void *);
int xl_model_writer_add_tensor(xl_model_writer *w, const char *name, int rank, const uint64_t *shape,
                               const float *data, xl_free_fn free_data, xl_error *err);
/* Store tensor `name` (already added, float32 data) as `dtype`: it is rounded to nearest
 * (F16, BF16) or quantised per row (I8: scale = max|row| / 127, q = round(x / scale)) when
 * written.  A non-finite value, or one beyond the F16 range, fails the write naming the
 * tensor and index; I8 needs rank >= 2. */
int xl_model_writer_set_tensor_dtype(xl_model_writer *w, const char *name, xl_dtype dtype, xl_error *err);
/* Levels of the I8 tensors written: q in [-qmax, qmax], scale = max|row| / qmax (1..127; the
 * default 127).  63 gives 7-bit weights, with which the AVX2 int8 kernel runs its faster u8 x s8
 * form (docs/kernels.md) at half the weight resolution. */
int xl_model_writer_set_int8_max(xl_model_writer *w, int qmax, xl_error *err);
/* Apply xl_dtype_for_tensor(rank, reduced) to every tensor added so far. */
int xl_model_writer_set_reduced_dtype(xl_model_writer *w, xl_dtype reduced, xl_error *err);
/* Copy every metadata entry, token and tensor of `m` into `w` (tensor data borrowed
 * from `m` as float32: keep `m` open until the write).  Used by `xlrec quantize`. */
int xl_model_writer_copy_model(xl_model_writer *w, const xl_model *m, xl_error *err);
/* Does the writer already hold a tensor of that name? */
bool xl_model_writer_has_tensor(const xl_model_writer *w, const char *name);
int xl_model_writer_write(xl_model_writer *w, const char *path, xl_error *err);
/* The complete file image in a malloc'ed buffer (tests, fuzz seeds). */
int xl_model_writer_to_memory(xl_model_writer *w, unsigned char **data, size_t *len, xl_error *err);

/* Host byte order helpers (xl_host_is_little_endian, xl_bswap32_array): src/core/xl_bytes.h. */

#endif /* XL_MODEL_H */
