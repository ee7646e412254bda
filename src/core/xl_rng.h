/* xl_rng.h - a portable, deterministic pseudo-random generator.
 *
 * PCG32 (O'Neill 2014, "PCG: A Family of Simple Fast Space-Efficient
 * Statistically Good Algorithms for Random Number Generation"), the
 * XSH-RR 64/32 variant, seeded through SplitMix64.  It uses only exact
 * integer arithmetic, so the same seed gives the same stream on every
 * platform, compiler and optimisation level; floats are built from the
 * integer bits (no libm), so they are bit-identical everywhere too.
 * The state is a value the caller owns: no globals.
 */
#ifndef XL_RNG_H
#define XL_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct xl_rng {
    uint64_t state;
    uint64_t inc; /* stream selector, always odd */
} xl_rng;

/* Seed a generator.  `stream` selects one of 2^63 independent sequences
 * (e.g. one per thread: stream = thread index). */
void xl_rng_seed(xl_rng *r, uint64_t seed, uint64_t stream);
uint32_t xl_rng_u32(xl_rng *r);
/* out[0..n) = the next n values of xl_rng_u32, in order (the same stream, without a call per
 * value: for bulk draws such as dropout masks). */
void xl_rng_fill_u32(xl_rng *r, uint32_t *out, size_t n);
/* Jump ahead: the generator as it would be after `delta` calls of xl_rng_u32, in O(log delta)
 * steps (Brown 1994, "Random number generation with arbitrary strides", as pcg_basic's
 * pcg32_advance).  Lets threads draw disjoint parts of one stream: part [a, b) of the stream is
 * a copy advanced by a, so a parallel draw gives exactly the serial draw's numbers. */
void xl_rng_advance(xl_rng *r, uint64_t delta);
uint64_t xl_rng_u64(xl_rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's rejection); n > 0. */
uint32_t xl_rng_below(xl_rng *r, uint32_t n);
/* Uniform float in [0, 1) with 24 random bits; double with 53. */
float xl_rng_float(xl_rng *r);
double xl_rng_double(xl_rng *r);
/* Standard normal deviate (Box-Muller needs libm; result is deterministic
 * for a given libm - use only where bit-exactness across platforms is not
 * required, e.g. random test weights). */
double xl_rng_normal(xl_rng *r);
/* Fisher-Yates shuffle of n 32-bit indices. */
void xl_rng_shuffle_u32(xl_rng *r, uint32_t *a, uint32_t n);

#endif /* XL_RNG_H */
