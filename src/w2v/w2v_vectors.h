/* w2v_vectors.h - word vectors in memory and in word2vec.c's two file formats,
 * plus the word table (arena + open-addressing hash) used across the module.
 *
 * Contract
 *   - xl_w2v_words: an append-only set of byte strings (any bytes except NUL,
 *     any length) with O(1) lookup; ids are 0..n-1 in insertion order.
 *   - xl_w2v_vectors: n_words x dim float32 row-major matrix `data` plus the
 *     words; row i is word i.  File order is kept (word2vec.c writes
 *     vocabulary order, i.e. descending frequency after "</s>").
 *   - File formats (Mikolov et al. 2013, word2vec.c v0.1c):
 *       header   "%lld %lld\n"  (rows, dim) - both formats
 *       text     word ' ' then dim values "%f " each, then '\n'
 *       binary   word ' ' then dim little-endian float32, then '\n'
 *     The writers reproduce word2vec.c byte for byte.  The readers also accept
 *     gensim's variants: no trailing space in text rows, no '\n' after a
 *     binary row, '\r\n' line ends in text.
 *   - The readers are strict (every error names the file and the row):
 *     header that is not two positive integers, fewer or more rows than the
 *     header says, a row with fewer/more values than dim, a value that is not
 *     a number, NaN or Inf, an empty word, a duplicate word, a binary file cut
 *     short.  The header's counts are checked against the file size before
 *     anything is allocated.
 *   - Text round trip: writing what was read reproduces a word2vec.c text file
 *     exactly when every |value| < 16 (float32 holds 6 decimals there).
 *   - Stanford GloVe's files (read only, AUTO or the GLOVE formats): text
 *     without a header, D from the first row, the same strictness per row;
 *     binary = 2 V (D + 1) little-endian float64 (W then W~, bias last in
 *     each row, glove.c's layout) with the words from PATH.vocab; its size
 *     must be a multiple of 16 V bytes (a file cut short by a multiple of
 *     16 V bytes reads as a smaller D: GloVe's format cannot tell).
 *   - Compact variant "f16" (xlrec's, for shipped models; half the size of
 *     binary): header "%lld %lld f16\n", then per row word ' ', dim
 *     little-endian IEEE 754 binary16 values, '\n'.  Written with round-to-
 *     nearest-even from float32; a value beyond the binary16 range (|x| >
 *     65504 after rounding) is a write error, subnormals are kept.  Read back
 *     exactly into float32; NaN/Inf are errors as in the other formats.  AUTO
 *     recognises it by the header tag; word2vec.c and gensim do not read it.
 */
#ifndef W2V_VECTORS_H
#define W2V_VECTORS_H

/* Largest vector dimension a file may declare (word2vec.c trains up to a few thousand; `w2v train
 * --size` allows 100,000): a header "0 4611686018427387903" is refused before any allocation. */
#define W2V_MAX_DIM ((size_t)1 << 20)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

/* ---- word table ---------------------------------------------------------- */
typedef struct xl_w2v_words {
    char *arena;        /* all words, each NUL-terminated */
    size_t arena_len, arena_cap;
    size_t *offset;     /* [n] start of word i in arena */
    uint32_t *word_len; /* [n] bytes */
    size_t n, cap;
    int64_t *slots;     /* [n_slots] word id or -1; n_slots a power of two */
    size_t n_slots;
} xl_w2v_words;

void xl_w2v_words_init(xl_w2v_words *w);
void xl_w2v_words_free(xl_w2v_words *w);
/* Id of word s[0..len), or -1 when absent. */
int64_t xl_w2v_words_find(const xl_w2v_words *w, const char *s, size_t len);
/* Add a word (must be absent, must not contain NUL); returns its id or -1. */
int64_t xl_w2v_words_add(xl_w2v_words *w, const char *s, size_t len, xl_error *err);
/* Id of the word, adding it when absent; *added tells which (may be NULL). */
int64_t xl_w2v_words_intern(xl_w2v_words *w, const char *s, size_t len, bool *added, xl_error *err);
static inline const char *xl_w2v_words_get(const xl_w2v_words *w, size_t id) { return w->arena + w->offset[id]; }

/* ---- vectors ------------------------------------------------------------- */
typedef struct xl_w2v_vectors {
    size_t n_words, dim;
    float *data; /* [n_words][dim], 64-byte aligned (xl_aligned_free) */
    xl_w2v_words words;
} xl_w2v_vectors;

typedef enum {
    W2V_FORMAT_AUTO = 0,
    W2V_FORMAT_TEXT,
    W2V_FORMAT_BINARY,
    W2V_FORMAT_F16,
    W2V_FORMAT_GLOVE_TEXT,  /* read only: no header (Stanford GloVe's text vectors) */
    W2V_FORMAT_GLOVE_BINARY /* read only: raw float64 W, W~ + companion PATH.vocab */
} xl_w2v_format;

/* Read a word2vec file.  AUTO decides from the header (tag "f16") and the
 * first row: text when it parses as a word and dim numbers, binary otherwise.
 * Without a "ROWS DIM" header AUTO reads Stanford GloVe's files instead:
 * its binary parameter file when a companion vocabulary PATH.vocab exists
 * ("word count" lines; the vectors read are w + w~), its text file (one
 * "word v1 ... vD" per line, D from the first row) otherwise.  max_words > 0 keeps only the
 * first max_words rows and stops reading there (like compute-accuracy's
 * threshold); the rest of the file is then not checked. */
int xl_w2v_vectors_read(const char *path, xl_w2v_format format, size_t max_words, xl_w2v_vectors *out, xl_error *err);
int xl_w2v_vectors_read_memory(const void *data, size_t len, const char *name, xl_w2v_format format, size_t max_words,
                            xl_w2v_vectors *out, xl_error *err);
/* Write in word2vec.c's exact layout ("-" = stdout). */
int xl_w2v_vectors_write(const char *path, const xl_w2v_vectors *v, xl_w2v_format format, xl_error *err);
/* Allocate an n x dim matrix (zeroed) with an empty word table. */
int xl_w2v_vectors_alloc(xl_w2v_vectors *v, size_t n_words, size_t dim, xl_error *err);
void xl_w2v_vectors_free(xl_w2v_vectors *v);
int64_t xl_w2v_vectors_find(const xl_w2v_vectors *v, const char *word);
static inline float *xl_w2v_row(const xl_w2v_vectors *v, size_t i) { return v->data + i * v->dim; }
/* Scale every row to unit L2 norm (zero rows stay zero). */
void xl_w2v_vectors_normalize(xl_w2v_vectors *v);

/* ---- dense float helpers (SSE2 where available; shared by the module) ---- */
float xl_w2v_dot(const float *a, const float *b, size_t n);
/* y += alpha * x */
void xl_w2v_axpy(float alpha, const float *x, float *y, size_t n);

#endif /* W2V_VECTORS_H */
