/* xl_rng.c - see xl_rng.h */
#include "xl_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void xl_rng_seed(xl_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t sm = seed;
    r->state = 0;
    r->inc = (stream << 1) | 1u;
    (void)xl_rng_u32(r);
    r->state += splitmix64(&sm);
    (void)xl_rng_u32(r);
}

uint32_t xl_rng_u32(xl_rng *r)
{
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ull + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

void xl_rng_fill_u32(xl_rng *r, uint32_t *out, size_t n)
{
    uint64_t state = r->state; /* a local copy stays in a register (out cannot alias it) */
    const uint64_t inc = r->inc;
    for (size_t i = 0; i < n; i++) {
        const uint64_t old = state;
        state = old * 6364136223846793005ull + inc;
        const uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
        const uint32_t rot = (uint32_t)(old >> 59);
        out[i] = (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
    }
    r->state = state;
}

void xl_rng_advance(xl_rng *r, uint64_t delta)
{
    /* state_{n} = M^n state + (M^(n-1) + ... + M + 1) inc (mod 2^64), M the LCG multiplier:
     * square-and-multiply over the bits of delta, accumulating the affine map. */
    uint64_t cur_mult = 6364136223846793005ull, cur_plus = r->inc;
    uint64_t acc_mult = 1u, acc_plus = 0u;
    while (delta > 0) {
        if (delta & 1u) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1u) * cur_plus;
        cur_mult *= cur_mult;
        delta >>= 1;
    }
    r->state = acc_mult * r->state + acc_plus;
}

uint64_t xl_rng_u64(xl_rng *r)
{
    uint64_t hi = xl_rng_u32(r);
    return (hi << 32) | xl_rng_u32(r);
}

uint32_t xl_rng_below(xl_rng *r, uint32_t n)
{
    /* Lemire, "Fast Random Integer Generation in an Interval" (2019). */
    uint64_t m = (uint64_t)xl_rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)xl_rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float xl_rng_float(xl_rng *r)
{
    return (float)(xl_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

double xl_rng_double(xl_rng *r)
{
    return (double)(xl_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

double xl_rng_normal(xl_rng *r)
{
    double u1 = xl_rng_double(r);
    double u2 = xl_rng_double(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

void xl_rng_shuffle_u32(xl_rng *r, uint32_t *a, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = xl_rng_below(r, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
