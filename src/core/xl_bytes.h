/* xl_bytes.h - byte-level helpers every file format and hash table shares,
 * written once: FNV-1a hashing, little-endian readers and writers, IEEE binary16 and
 * bfloat16 conversion.
 *
 * Contract
 *   - xl_fnv1a64 / xl_fnv1a32: Fowler-Noll-Vo 1a over len bytes (offset basis
 *     14695981039346656037 / 2166136261, prime 1099511628211 / 16777619).
 *     Stable across platforms: hashes stored in files stay valid.
 *     xl_fnv1a64_more carries a 64-bit state on over more bytes (streamed hashes).
 *   - xl_le_*: read a little-endian value from p (no alignment needed), on any
 *     host byte order (s390x is big-endian); xl_le_put_*: write one.
 *   - xl_float_to_half: round to nearest, ties to even; overflow to +-Inf, NaN
 *     stays NaN (quiet).  xl_half_to_float and xl_bf16_to_float are exact.
 *   - xl_float_to_bf16: round to nearest, ties to even (the upper 16 bits of
 *     the rounded binary32); overflow to +-Inf, NaN stays NaN (quiet).
 */
#ifndef XL_BYTES_H
#define XL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define XL_FNV1A64_BASIS 14695981039346656037ull

/* The 64-bit FNV-1a state h carried on over len more bytes, so a hash can be taken piece by piece:
 * xl_fnv1a64_more(xl_fnv1a64(a, na), b, nb) == xl_fnv1a64(a followed by b, na + nb). */
static inline uint64_t xl_fnv1a64_more(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static inline uint64_t xl_fnv1a64(const void *data, size_t len)
{
    return xl_fnv1a64_more(XL_FNV1A64_BASIS, data, len);
}

static inline uint32_t xl_fnv1a32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static inline uint32_t xl_le_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t xl_le_u64(const unsigned char *p)
{
    return (uint64_t)xl_le_u32(p) | (uint64_t)xl_le_u32(p + 4) << 32;
}

/* v written to p[0..4) / p[0..8) little-endian, on any host byte order. */
static inline void xl_le_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline void xl_le_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline float xl_le_f32(const unsigned char *p)
{
    uint32_t u = xl_le_u32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline double xl_le_f64(const unsigned char *p)
{
    uint64_t u = xl_le_u64(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits. */
uint16_t xl_float_to_half(float f);
float xl_half_to_float(uint16_t h);
/* bfloat16: the upper 16 bits of a binary32. */
float xl_bf16_to_float(uint16_t b);
uint16_t xl_float_to_bf16(float f);

/* Host byte order: true on a little-endian host.  Swap the bytes of `count` 32-bit words in place
 * (the model and n-gram binary files are little-endian; a big-endian host swaps a copy). */
bool xl_host_is_little_endian(void);
void xl_bswap32_array(void *data, size_t count);
void xl_bswap16_array(void *data, size_t count);

#endif /* XL_BYTES_H */
