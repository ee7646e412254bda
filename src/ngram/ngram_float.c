/* ngram_float.c - shortest round-trip decimal forms of float32 values, laid out
 * as KenLM prints them (double-conversion's ToShortestSingle with KenLM's
 * settings), without any snprintf/strtof search.
 *
 * Method (the idea of Ryu, Adams 2018, "Ryu: fast float-to-string conversion",
 * PLDI; written here from the mathematics, with exact integer arithmetic).
 * A finite float v > 0 is m * 2^e (m < 2^24).  Every real number in the
 * rounding interval of v reads back (strtof, round-half-even) as v:
 *     [v - lo, v + hi],  hi = 2^(e-1),  lo = hi (lo = hi/2 when m = 2^23 and
 *                                               v is normal: the float below v
 *                                               is closer, a power-of-two edge)
 * with the end points included exactly when m is even (ties round to even).
 * In units of 2^(e-2) the three points are the integers
 *     mm = 4m - 2 (or 4m - 1),  mv = 4m,  mp = 4m + 2.
 * 1. Pick a decimal exponent q with 10^(q+1) <= 2^(e-2) (q = floor((e-2) log10 2)
 *    - 1), so the interval is at least 30 units of 10^q wide, and compute EXACTLY
 *        vm = floor(mm 2^(e-2) / 10^q),  vr = floor(mv ...),  vp = floor(mp ...)
 *    and whether each division was exact.  For q < 0 this is
 *    X * 5^p >> (s - p) (p = -q, s = 2 - e) on a 160-bit product of 32-bit
 *    limbs; for q >= 0 it is X * 2^(e-2-q) divided by 5^q in 32-bit steps.
 *    No approximated power of 5 is used, so no error analysis is needed.
 * 2. The candidates at scale 10^q are the integers d with vm < d <= vp, plus
 *    vm when the lower end is exactly vm * 10^q and ends are included; vp is
 *    lowered by one when the upper end is exactly vp * 10^q but excluded.
 *    Drop decimal digits from vm, vr, vp while a coarser candidate exists
 *    (vp/10 > vm/10; then, if vm itself is a candidate, while vm ends in 0):
 *    what is left is the shortest digit count.
 * 3. Among the shortest candidates take the one nearest v: vr rounded by the
 *    first dropped digit (exactly half: to even), moved up by one when it fell
 *    on an excluded vm.  It never passes vp because hi >= lo.
 * Layout (double-conversion, KenLM's util/float_to_string.cc: NO_FLAGS,
 * "inf", "NaN", 'e', decimal_in_shortest_low -6, high 21): fixed notation
 * when the decimal exponent of the first digit is in [-6, 21), else
 * "d[.ddd]e[-]N" with no '+' and no leading zeros; "-0" for negative zero.
 * The check over all 2^32 bit patterns is tests/tools/ngram_float_exhaustive.c
 * (make float-exhaustive); docs/ngram.md gives what has been run of it. */
#include "ngram_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 5^p, p = 0..47, as four 32-bit limbs, least significant first.  47 is the
 * largest p used: e - 2 >= -151 (the smallest subnormal) gives
 * q - 1 = floor(-151 log10 2) - 1 = -47. */
static const uint32_t pow5_limbs[48][4] = {
    {0x00000001u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^0 */
    {0x00000005u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^1 */
    {0x00000019u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^2 */
    {0x0000007Du, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^3 */
    {0x00000271u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^4 */
    {0x00000C35u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^5 */
    {0x00003D09u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^6 */
    {0x0001312Du, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^7 */
    {0x0005F5E1u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^8 */
    {0x001DCD65u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^9 */
    {0x009502F9u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^10 */
    {0x02E90EDDu, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^11 */
    {0x0E8D4A51u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^12 */
    {0x48C27395u, 0x00000000u, 0x00000000u, 0x00000000u}, /* 5^13 */
    {0x6BCC41E9u, 0x00000001u, 0x00000000u, 0x00000000u}, /* 5^14 */
    {0x1AFD498Du, 0x00000007u, 0x00000000u, 0x00000000u}, /* 5^15 */
    {0x86F26FC1u, 0x00000023u, 0x00000000u, 0x00000000u}, /* 5^16 */
    {0xA2BC2EC5u, 0x000000B1u, 0x00000000u, 0x00000000u}, /* 5^17 */
    {0x2DACE9D9u, 0x00000378u, 0x00000000u, 0x00000000u}, /* 5^18 */
    {0xE460913Du, 0x00001158u, 0x00000000u, 0x00000000u}, /* 5^19 */
    {0x75E2D631u, 0x000056BCu, 0x00000000u, 0x00000000u}, /* 5^20 */
    {0x4D6E2EF5u, 0x0001B1AEu, 0x00000000u, 0x00000000u}, /* 5^21 */
    {0x8326EAC9u, 0x00087867u, 0x00000000u, 0x00000000u}, /* 5^22 */
    {0x8FC295EDu, 0x002A5A05u, 0x00000000u, 0x00000000u}, /* 5^23 */
    {0xCECCEDA1u, 0x00D3C21Bu, 0x00000000u, 0x00000000u}, /* 5^24 */
    {0x0A00A425u, 0x0422CA8Bu, 0x00000000u, 0x00000000u}, /* 5^25 */
    {0x320334B9u, 0x14ADF4B7u, 0x00000000u, 0x00000000u}, /* 5^26 */
    {0xFA10079Du, 0x6765C793u, 0x00000000u, 0x00000000u}, /* 5^27 */
    {0xE2502611u, 0x04FCE5E3u, 0x00000002u, 0x00000000u}, /* 5^28 */
    {0x6B90BE55u, 0x18F07D73u, 0x0000000Au, 0x00000000u}, /* 5^29 */
    {0x19D3B7A9u, 0x7CB27341u, 0x00000032u, 0x00000000u}, /* 5^30 */
    {0x8122964Du, 0x6F7C4045u, 0x000000FCu, 0x00000000u}, /* 5^31 */
    {0x85ACEF81u, 0x2D6D415Bu, 0x000004EEu, 0x00000000u}, /* 5^32 */
    {0x9C60AD85u, 0xE32246C9u, 0x000018A6u, 0x00000000u}, /* 5^33 */
    {0x0DE36399u, 0x6FAB61F0u, 0x00007B42u, 0x00000000u}, /* 5^34 */
    {0x4570F1FDu, 0x2E58E9B0u, 0x0002684Cu, 0x00000000u}, /* 5^35 */
    {0x5B34B9F1u, 0xE7BC9071u, 0x000C097Cu, 0x00000000u}, /* 5^36 */
    {0xC807A1B5u, 0x86AED236u, 0x003C2F70u, 0x00000000u}, /* 5^37 */
    {0xE8262889u, 0xA16A1B11u, 0x012CED32u, 0x00000000u}, /* 5^38 */
    {0x88BECAADu, 0x27128759u, 0x05E0A1FDu, 0x00000000u}, /* 5^39 */
    {0xABB9F561u, 0xC35CA4BFu, 0x1D6329F1u, 0x00000000u}, /* 5^40 */
    {0x5AA1CAE5u, 0xD0CF37BEu, 0x92EFD1B8u, 0x00000000u}, /* 5^41 */
    {0xC528F679u, 0x140C16B7u, 0xDEAF189Cu, 0x00000002u}, /* 5^42 */
    {0xD9CCD05Du, 0x643C7196u, 0x596B7B0Cu, 0x0000000Eu}, /* 5^43 */
    {0x410011D1u, 0xF52E37F2u, 0xBF19673Du, 0x00000047u}, /* 5^44 */
    {0x45005915u, 0xC9E717BBu, 0xBB7F0435u, 0x00000166u}, /* 5^45 */
    {0x5901BD69u, 0xF18376A8u, 0xA97B150Cu, 0x00000701u}, /* 5^46 */
    {0xBD08B30Du, 0xB7915149u, 0x4F676940u, 0x00002308u}, /* 5^47 */
};

/* floor(e * log10(2)) for |e| <= 1650 (78913 / 2^18 = log10 2 to 7 digits;
 * every exponent a float can have is exercised by make float-exhaustive). */
static int floor_log10_pow2(int e)
{
    if (e >= 0) return (int)(((uint32_t)e * 78913u) >> 18);
    return -(int)(((uint32_t)(-e) * 78913u + (1u << 18) - 1u) >> 18);
}

/* Limbs of 5^p that are not zero (5^13 < 2^32, 5^27 < 2^64, 5^41 < 2^96). */
static int pow5_limb_count(int p)
{
    return p <= 13 ? 1 : p <= 27 ? 2 : p <= 41 ? 3 : 4;
}

/* out[i] = floor(x[i] * 5^p / 2^shift) for the three x[i] < 2^27, p <= 47,
 * shift < 160 - 64; exact[i] is set when nothing but zero bits were shifted out. */
static void mul_pow5_shift3(const uint32_t x[3], int p, int shift, uint64_t out[3], bool exact[3])
{
    const int nl = pow5_limb_count(p), w = shift / 32, b = shift % 32;
    const uint32_t *f = pow5_limbs[p];
    for (int k = 0; k < 3; k++) {
        uint32_t r[7] = {0};
        uint64_t carry = 0;
        for (int i = 0; i < nl; i++) {
            uint64_t t = (uint64_t)x[k] * f[i] + carry;
            r[i] = (uint32_t)t;
            carry = t >> 32;
        }
        r[nl] = (uint32_t)carry;
        bool zero = (r[w] & ((1u << b) - 1u)) == 0;
        for (int i = 0; i < w; i++) zero = zero && r[i] == 0;
        exact[k] = zero;
        uint64_t lo = ((uint64_t)r[w] | ((uint64_t)r[w + 1] << 32)) >> b;
        if (b > 0) lo |= (uint64_t)r[w + 2] << (64 - b);
        out[k] = lo;
    }
}

/* floor(x * 2^up / 5^q) for x < 2^27, up <= 104, q <= 31; *exact as above. */
static uint64_t mul_pow2_div_pow5(uint32_t x, int up, int q, bool *exact)
{
    uint32_t n[5] = {0}; /* x * 2^up < 2^131 */
    const int w = up / 32, b = up % 32;
    uint64_t t = (uint64_t)x << b;
    n[w] = (uint32_t)t;
    n[w + 1] = (uint32_t)(t >> 32);
    bool zero = true;
    while (q > 0) {
        const int step = q < 13 ? q : 13; /* 5^13 < 2^32 */
        const uint32_t d = pow5_limbs[step][0];
        uint64_t rem = 0;
        for (int i = 4; i >= 0; i--) {
            uint64_t cur = (rem << 32) | n[i];
            n[i] = (uint32_t)(cur / d);
            rem = cur % d;
        }
        zero = zero && rem == 0;
        q -= step;
    }
    *exact = zero;
    return (uint64_t)n[0] | ((uint64_t)n[1] << 32); /* the quotient is < 2^64 */
}

/* Shortest digits of a finite float v > 0 given by its fields: the digits
 * (most significant first, no trailing zeros) into digits[], their count
 * returned, *exp10 = the decimal exponent of the LAST digit. */
static int shortest_digits(uint32_t mantissa_bits, uint32_t exponent_bits, char *digits, int *exp10)
{
    uint32_t m;
    int e;
    if (exponent_bits == 0) {
        m = mantissa_bits;
        e = 1 - 127 - 23 - 2;
    } else {
        m = mantissa_bits | (1u << 23);
        e = (int)exponent_bits - 127 - 23 - 2;
    }
    const bool include_ends = (m & 1u) == 0;
    const bool lower_closer = mantissa_bits == 0 && exponent_bits > 1;
    const uint32_t mv = 4 * m, mp = 4 * m + 2, mm = 4 * m - (lower_closer ? 1u : 2u);
    /* one decimal digit more than 10^q <= 2^e needs: the interval is then at
     * least 30 units wide, so step 2 drops at least one digit of vr and the
     * rounding of step 3 sees it */
    const int q = floor_log10_pow2(e) - 1;
    uint64_t vr, vp, vm;
    bool vr_exact, vp_exact, vm_exact;
    if (q < 0 && e + (-q) < 0) { /* x * 5^p / 2^(-e-p), p = -q */
        const int p = -q, shift = -e - p;
        const uint32_t x[3] = {mv, mp, mm};
        uint64_t v3[3];
        bool ex[3];
        mul_pow5_shift3(x, p, shift, v3, ex);
        vr = v3[0], vp = v3[1], vm = v3[2];
        vr_exact = ex[0], vp_exact = ex[1], vm_exact = ex[2];
    } else if (q < 0) { /* -3 <= e <= 3, q >= -2: x * 5^p * 2^(e+p) < 2^36 */
        const uint64_t f = pow5_limbs[-q][0];
        vr = ((uint64_t)mv * f) << (e - q);
        vp = ((uint64_t)mp * f) << (e - q);
        vm = ((uint64_t)mm * f) << (e - q);
        vr_exact = vp_exact = vm_exact = true;
    } else { /* x * 2^(e-q) / 5^q */
        vr = mul_pow2_div_pow5(mv, e - q, q, &vr_exact);
        vp = mul_pow2_div_pow5(mp, e - q, q, &vp_exact);
        vm = mul_pow2_div_pow5(mm, e - q, q, &vm_exact);
    }
    if (vp_exact && !include_ends) vp--;
    bool vm_candidate = vm_exact && include_ends; /* vm (still exact) is itself in the interval */
    /* The first digit is always dropped (the interval is >= 30 units wide);
     * 2^e / 10^q < 100 makes every value < 2^27 * 100 < 2^34 before and
     * < 2^31 after it, so the rest runs on 32-bit integers. */
    vm_candidate = vm_candidate && vm % 10 == 0;
    bool vr_rest_zero = vr_exact; /* the digits of v dropped so far, but the last, were all 0 */
    int last_dropped = (int)(vr % 10), dropped = 1;
    uint32_t r32 = (uint32_t)(vr / 10), p32 = (uint32_t)(vp / 10), m32 = (uint32_t)(vm / 10);
    while (p32 / 10 > m32 / 10) {
        vm_candidate = vm_candidate && m32 % 10 == 0;
        vr_rest_zero = vr_rest_zero && last_dropped == 0;
        last_dropped = (int)(r32 % 10);
        r32 /= 10;
        p32 /= 10;
        m32 /= 10;
        dropped++;
    }
    if (vm_candidate) {
        while (m32 % 10 == 0) {
            vr_rest_zero = vr_rest_zero && last_dropped == 0;
            last_dropped = (int)(r32 % 10);
            r32 /= 10;
            p32 /= 10;
            m32 /= 10;
            dropped++;
        }
    }
    /* exactly half way between two candidates: round to even */
    if (vr_rest_zero && last_dropped == 5 && r32 % 2 == 0) last_dropped = 4;
    uint32_t out = r32 + (uint32_t)((r32 == m32 && !vm_candidate) || last_dropped >= 5);
    while (out % 10 == 0 && out > 0) { /* defensive: a candidate never ends in 0 here */
        out /= 10;
        dropped++;
    }
    /* at most 9 digits (a float never needs more); written right to left, two at a time */
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";
    const int n = 1 + (out >= 10u) + (out >= 100u) + (out >= 1000u) + (out >= 10000u) + (out >= 100000u) +
                  (out >= 1000000u) + (out >= 10000000u) + (out >= 100000000u);
    int i = n;
    while (out >= 100) {
        const uint32_t d = (out % 100) * 2;
        out /= 100;
        digits[--i] = pairs[d + 1];
        digits[--i] = pairs[d];
    }
    if (out >= 10) {
        digits[--i] = pairs[out * 2 + 1];
        digits[--i] = pairs[out * 2];
    } else {
        digits[--i] = (char)('0' + out);
    }
    *exp10 = q + dropped;
    return n;
}

/* digits[0..nd) * 10^(exp10 of the last digit), laid out as double-conversion. */
static size_t layout(bool negative, const char *digits, int nd, int last_exp10, char *buf)
{
    size_t o = 0;
    if (negative) buf[o++] = '-';
    const int point = nd + last_exp10; /* digits before the decimal point */
    const int exponent = point - 1;
    if (exponent >= -6 && exponent < 21) {
        if (point <= 0) {
            buf[o++] = '0';
            buf[o++] = '.';
            for (int i = 0; i < -point; i++) buf[o++] = '0';
            for (int i = 0; i < nd; i++) buf[o++] = digits[i];
        } else if (point >= nd) {
            for (int i = 0; i < nd; i++) buf[o++] = digits[i];
            for (int i = nd; i < point; i++) buf[o++] = '0';
        } else {
            for (int i = 0; i < point; i++) buf[o++] = digits[i];
            buf[o++] = '.';
            for (int i = point; i < nd; i++) buf[o++] = digits[i];
        }
    } else {
        buf[o++] = digits[0];
        if (nd > 1) {
            buf[o++] = '.';
            for (int i = 1; i < nd; i++) buf[o++] = digits[i];
        }
        buf[o++] = 'e';
        int x = exponent;
        if (x < 0) {
            buf[o++] = '-';
            x = -x;
        }
        char t[8];
        int k = 0;
        do {
            t[k++] = (char)('0' + x % 10);
            x /= 10;
        } while (x > 0);
        while (k > 0) buf[o++] = t[--k];
    }
    buf[o] = '\0';
    return o;
}

size_t xl_ngram_format_float(float v, char *buf)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    const bool negative = (bits >> 31) != 0;
    const uint32_t exponent_bits = (bits >> 23) & 0xFFu, mantissa_bits = bits & 0x7FFFFFu;
    if (exponent_bits == 0xFFu) {
        const char *s = mantissa_bits != 0 ? "NaN" : negative ? "-inf" : "inf";
        size_t n = strlen(s);
        memcpy(buf, s, n + 1);
        return n;
    }
    if (exponent_bits == 0 && mantissa_bits == 0) {
        size_t o = 0;
        if (negative) buf[o++] = '-';
        buf[o++] = '0';
        buf[o] = '\0';
        return o;
    }
    char digits[16];
    int exp10;
    const int nd = shortest_digits(mantissa_bits, exponent_bits, digits, &exp10);
    return layout(negative, digits, nd, exp10, buf);
}

/* ------------------------------------------------ the reference (slow) routine */

size_t xl_ngram_format_shortest_reference(double v, bool single, char *buf)
{
    if (isnan(v)) return (size_t)sprintf(buf, "NaN");
    if (isinf(v)) return (size_t)sprintf(buf, v < 0 ? "-inf" : "inf");
    if (v == 0) return (size_t)sprintf(buf, signbit(v) ? "-0" : "0");
    char tmp[64];
    /* Reading back is monotone in the number of digits (more correctly
     * rounded digits are never farther away), so binary-search it. */
    int lo = 1, hi = single ? 9 : 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(tmp, sizeof tmp, "%.*e", mid - 1, v);
        if (single ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v) hi = mid;
        else lo = mid + 1;
    }
    snprintf(tmp, sizeof tmp, "%.*e", lo - 1, v);
    /* tmp = [-]d[.ddd]e(+|-)XX */
    char digits[32];
    int nd = 0;
    const char *p = tmp;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    return layout(neg, digits, nd, exp10 - (nd - 1), buf);
}

size_t xl_ngram_format_double(double v, char *buf)
{
    return xl_ngram_format_shortest_reference(v, false, buf);
}
