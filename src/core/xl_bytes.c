/* xl_bytes.c - see xl_bytes.h. */
#include "xl_bytes.h"

/* IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits. */
uint16_t xl_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)(x >> 16 & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0)); /* Inf / NaN */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* rounds to >= 65520: overflow */
    if (ax < 0x38800000u) {                                   /* below 2^-14: subnormal half or zero */
        if (ax < 0x33000000u) return sign;                    /* below 2^-25: rounds to 0 */
        uint32_t mant = (ax & 0x7fffffu) | 0x800000u;         /* 24-bit significand */
        int shift = 126 - (int)(ax >> 23);                    /* value = mant * 2^(e-150); half unit 2^-24 */
        uint32_t q = mant >> (shift), rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t h = ((ax >> 13) - ((127 - 15) << 10)); /* exponent rebias, 10 fraction bits */
    uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++; /* carry may bump the exponent: still correct */
    return (uint16_t)(sign | h);
}

float xl_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = h >> 10 & 0x1f, m = h & 0x3ff, x;
    if (e == 0x1f)
        x = sign | 0x7f800000u | (m << 13);
    else if (e != 0)
        x = sign | ((e + 127 - 15) << 23) | (m << 13);
    else if (m == 0)
        x = sign;
    else { /* subnormal: m * 2^-24 */
        int k = 0;
        while (!(m & 0x400)) {
            m <<= 1;
            k++;
        }
        x = sign | ((uint32_t)(127 - 15 + 1 - k) << 23) | ((m & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

float xl_bf16_to_float(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

uint16_t xl_float_to_bf16(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x0040u); /* NaN: keep it quiet */
    bits += 0x7fffu + ((bits >> 16) & 1u); /* round to nearest, ties to even; carries into the exponent */
    return (uint16_t)(bits >> 16);
}

bool xl_host_is_little_endian(void)
{
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

void xl_bswap32_array(void *data, size_t count)
{
    unsigned char *p = data;
    for (size_t i = 0; i < count; i++, p += 4) {
        unsigned char t0 = p[0], t1 = p[1];
        p[0] = p[3];
        p[1] = p[2];
        p[2] = t1;
        p[3] = t0;
    }
}

void xl_bswap16_array(void *data, size_t count)
{
    unsigned char *p = data;
    for (size_t i = 0; i < count; i++, p += 2) {
        unsigned char t0 = p[0];
        p[0] = p[1];
        p[1] = t0;
    }
}
