/* train_ckpt.h - training checkpoints: one self-describing, checksummed file holding the
 * configuration, counters (step, data positions, RNG states) and named float blocks (model
 * parameters, AdamW moments, the MLM output bias ...).  Byte layout: docs/training.md
 * ("Checkpoint format").
 *
 * Contract
 *   - Written atomically by the output policy of xl_io.h (xl_output: a temporary file beside PATH,
 *     fsync, rename over PATH), so a crash leaves either the old or the new checkpoint, never a
 *     torn one.
 *   - Read with every length checked against the file size recorded in the header and against the
 *     caller's expectations (block names and sizes, the configuration text), and the FNV-1a 64
 *     checksum of the whole file compared before success is reported.  A checkpoint of another
 *     configuration names the first differing key ("hidden is 64 in the checkpoint, 32 here").
 *   - Little-endian on disk on every host (floats as IEEE-754 binary32 bit patterns).
 */
#ifndef XL_TRAIN_CKPT_H
#define XL_TRAIN_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "xl_error.h"

#define XL_CKPT_MAGIC "XLRECKPT"
#define XL_CKPT_VERSION 1u
#define XL_CKPT_N_COUNTERS 16
#define XL_CKPT_MAX_BLOCKS 16
#define XL_CKPT_MAX_CONFIG (1u << 20)

typedef struct xl_ckpt_block {
    const char *name;  /* <= 63 bytes */
    float *data;       /* write: read from; read: filled */
    size_t count;      /* floats (read: the expected count) */
} xl_ckpt_block;

typedef struct xl_ckpt {
    const char *config;                   /* "key=value\n" lines */
    uint64_t counters[XL_CKPT_N_COUNTERS]; /* meaning is the trainer's (train.h) */
    size_t n_blocks;
    xl_ckpt_block blocks[XL_CKPT_MAX_BLOCKS];
} xl_ckpt;

int xl_ckpt_write(const char *path, const xl_ckpt *ck, xl_error *err);

/* Read `path`: its configuration must equal ck->config (key by key), its blocks must be exactly
 * ck->blocks (same names, order and counts); fills the blocks and ck->counters. */
int xl_ckpt_read(const char *path, xl_ckpt *ck, xl_error *err);

#endif /* XL_TRAIN_CKPT_H */
