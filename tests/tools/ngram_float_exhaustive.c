/* ngram_float_exhaustive.c - checks xl_ngram_format_float (src/ngram/ngram_float.c)
 * on every one of the 2^32 float32 bit patterns (or a range of them).
 *
 * What "right" means (KenLM's double-conversion ToShortestSingle): the string
 * has the fewest significant digits of any decimal that reads back (strtof,
 * round to nearest even) as the same float; among those, the one nearest the
 * float (an exact tie: the even last digit); laid out as KenLM prints it.
 * Every check uses only the C library, independently of the code under test:
 *   1. strtof(s) has the same bits as v                      (round trip)
 *   2. no decimal with one digit fewer reads back as v: the two such decimals
 *      around v (s cut to n-1 digits, and that plus one unit) both fail;
 *      any other (n-1)-digit decimal is farther from v     (shortest)
 *   3. s = snprintf("%.*e", n-1, v) (glibc prints exactly, ties to even), or,
 *      when that correctly rounded n-digit decimal does not read back as v
 *      (at a power of two the interval below v is half as wide), s is its
 *      neighbour on the other side of v                      (nearest)
 *   4. the layout: reformatting the digits and exponent of (3) the way
 *      double-conversion does gives s byte for byte; -v gives "-" s.
 * It also counts where the old snprintf/strtof digit-count search (the
 * reference routine, which always takes the correctly rounded decimal) would
 * print more digits: the cases of (3)'s second branch.
 *   usage: ngram_float_exhaustive [FIRST_HEX LAST_HEX]   (default 0 7f7fffff;
 *          negative patterns are checked through their positive twin)
 * Built and run by `make float-exhaustive` (minutes on one core). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngram.h"
#include "ngram_internal.h"

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t to_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static int reads_back(const char *s, uint32_t bits)
{
    return to_bits(strtof(s, NULL)) == bits;
}

/* digits (no sign, no point, no trailing zeros) and the exponent of the first one from "%.*e" text */
static int sci_digits(const char *t, char *digits, int *exp10)
{
    int n = 0;
    const char *p = t;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[n++] = *p;
    *exp10 = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = '\0';
    return n;
}

/* digits and first-digit exponent of the fast routine's output (fixed or scientific) */
static int parse_output(const char *s, char *digits, int *exp10)
{
    int n = 0, point = -1, lead_zeros = 0;
    const char *p = s;
    bool seen_nonzero = false;
    for (; *p && *p != 'e'; p++) {
        if (*p == '.') {
            point = n + lead_zeros;
            continue;
        }
        if (*p == '0' && !seen_nonzero) {
            lead_zeros++;
            continue;
        }
        seen_nonzero = true;
        digits[n++] = *p;
    }
    int total = n + lead_zeros; /* digit characters */
    if (point < 0) point = total;
    int e = *p == 'e' ? atoi(p + 1) : 0;
    /* value = 0.[all digit chars] * 10^point * 10^e; first nonzero digit at index lead_zeros */
    *exp10 = point - lead_zeros - 1 + e;
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = '\0';
    return n;
}

/* "d.ddde<exp>" from digits (for strtof) */
static void sci_text(const char *digits, int n, int exp10, char *out)
{
    int o = 0;
    out[o++] = digits[0];
    if (n > 1) {
        out[o++] = '.';
        for (int i = 1; i < n; i++) out[o++] = digits[i];
    }
    sprintf(out + o, "e%d", exp10);
}

/* digits + one unit in the last place (may carry into a new leading digit) */
static int add_one(const char *digits, int n, int exp10, char *out, int *out_exp)
{
    memcpy(out, digits, (size_t)n);
    int i = n - 1;
    while (i >= 0 && out[i] == '9') out[i--] = '0';
    if (i >= 0) {
        out[i]++;
        *out_exp = exp10;
        out[n] = '\0';
        return n;
    }
    memmove(out + 1, out, (size_t)n);
    out[0] = '1';
    *out_exp = exp10 + 1;
    out[n + 1] = '\0';
    return n + 1;
}

/* decrement the last digit by one unit (digits > 0, no borrow past the first) */
static int sub_one(const char *digits, int n, int exp10, char *out, int *out_exp)
{
    memcpy(out, digits, (size_t)n);
    out[n] = '\0';
    int i = n - 1;
    while (i > 0 && out[i] == '0') out[i--] = '9';
    out[i]--;
    *out_exp = exp10;
    if (out[0] == '0' && n > 1) {
        memmove(out, out + 1, (size_t)n);
        *out_exp = exp10 - 1;
        return n - 1;
    }
    return n;
}

static unsigned long long failures;

static void fail(uint32_t bits, const char *what, const char *got, const char *want)
{
    if (failures++ < 50) printf("FAIL 0x%08" PRIx32 " (%.9g): %s: got '%s'%s%s%s\n", bits, (double)from_bits(bits), what, got,
                                want ? ", want '" : "", want ? want : "", want ? "'" : "");
}

int main(int argc, char **argv)
{
    uint32_t first = 0, last = 0x7F7FFFFFu;
    if (argc == 3) {
        first = (uint32_t)strtoul(argv[1], NULL, 16);
        last = (uint32_t)strtoul(argv[2], NULL, 16);
    }
    if (last > 0x7F7FFFFFu) last = 0x7F7FFFFFu;
    unsigned long long checked = 0, nearest_not_rounded = 0;
    char s[64], neg[64], t[64], d[32], dr[32], cut[32], alt[40], txt[64];
    for (uint64_t b64 = first; b64 <= last; b64++) {
        const uint32_t bits = (uint32_t)b64;
        const float v = from_bits(bits);
        xl_ngram_format_float(v, s);
        xl_ngram_format_float(-v, neg);
        checked++;
        if (neg[0] != '-' || strcmp(neg + 1, s) != 0) fail(bits | 0x80000000u, "negative", neg, s);
        if (bits == 0) {
            if (strcmp(s, "0") != 0) fail(bits, "zero", s, "0");
            continue;
        }
        if (!reads_back(s, bits)) {
            fail(bits, "round trip", s, NULL);
            continue;
        }
        int e;
        const int n = parse_output(s, d, &e);
        /* 2. shortest */
        if (n > 1) {
            memcpy(cut, d, (size_t)(n - 1));
            cut[n - 1] = '\0';
            sci_text(cut, n - 1, e, txt);
            if (reads_back(txt, bits)) fail(bits, "not shortest (cut)", s, txt);
            int e2;
            int n2 = add_one(cut, n - 1, e, alt, &e2);
            sci_text(alt, n2, e2 + (n2 > n - 1 ? 0 : 0), txt);
            /* alt has n-1 (or n after a carry: 10..0) digits at the same last-digit position */
            if (n2 > n - 1) sci_text(alt, n2, e + 1, txt);
            else sci_text(alt, n2, e, txt);
            if (reads_back(txt, bits)) fail(bits, "not shortest (cut+1)", s, txt);
        } else {
            /* one digit: nothing shorter exists */
        }
        /* 3. nearest */
        snprintf(t, sizeof t, "%.*e", n - 1, (double)v);
        int er;
        int nr = sci_digits(t, dr, &er);
        if (nr != n || er != e || strcmp(dr, d) != 0) {
            /* allowed only when the correctly rounded decimal does not read back and s is its neighbour */
            if (reads_back(t, bits)) {
                fail(bits, "not the nearest (correctly rounded reads back)", s, t);
                continue;
            }
            /* pad dr to n digits at exponent er, neighbours of it: +-1 unit in the n-th digit */
            char full[32];
            memset(full, '0', sizeof full);
            memcpy(full, dr, (size_t)nr);
            full[n] = '\0';
            int ea, eb;
            char up[40], dn[40];
            int nu = add_one(full, n, er, up, &ea);
            int nd = sub_one(full, n, er, dn, &eb);
            while (nu > 1 && up[nu - 1] == '0') up[--nu] = '\0';
            while (nd > 1 && dn[nd - 1] == '0') dn[--nd] = '\0';
            bool ok = (strcmp(up, d) == 0 && ea == e) || (strcmp(dn, d) == 0 && eb == e);
            if (!ok) {
                fail(bits, "not a neighbour of the correctly rounded decimal", s, t);
                continue;
            }
            nearest_not_rounded++;
            if (nearest_not_rounded <= 20) {
                char ref[64];
                xl_ngram_format_shortest_reference((double)v, true, ref);
                printf("note 0x%08" PRIx32 ": '%s' (the snprintf search prints '%s')\n", bits, s, ref);
            }
        }
        /* 4. layout of (digits, exponent) as double-conversion */
        {
            char want[64];
            int o = 0;
            int point = e + 1;
            if (e >= -6 && e < 21) {
                if (point <= 0) {
                    o += sprintf(want + o, "0.");
                    for (int i = 0; i < -point; i++) want[o++] = '0';
                    for (int i = 0; i < n; i++) want[o++] = d[i];
                } else if (point >= n) {
                    for (int i = 0; i < n; i++) want[o++] = d[i];
                    for (int i = n; i < point; i++) want[o++] = '0';
                } else {
                    for (int i = 0; i < point; i++) want[o++] = d[i];
                    want[o++] = '.';
                    for (int i = point; i < n; i++) want[o++] = d[i];
                }
                want[o] = '\0';
            } else {
                sci_text(d, n, e, want);
            }
            if (strcmp(want, s) != 0) fail(bits, "layout", s, want);
        }
        if ((bits & 0x0FFFFFFFu) == 0x0FFFFFFFu) {
            printf("... 0x%08" PRIx32 " done, %llu failures\n", bits, failures);
            fflush(stdout);
        }
    }
    /* the special values */
    char b[64];
    xl_ngram_format_float(INFINITY, b);
    if (strcmp(b, "inf") != 0) fail(0x7F800000u, "inf", b, "inf");
    xl_ngram_format_float(-INFINITY, b);
    if (strcmp(b, "-inf") != 0) fail(0xFF800000u, "-inf", b, "-inf");
    for (uint64_t nan = 0x7F800001u; nan <= 0x7FFFFFFFu; nan += 0x1001u) {
        xl_ngram_format_float(from_bits((uint32_t)nan), b);
        if (strcmp(b, "NaN") != 0) fail((uint32_t)nan, "NaN", b, "NaN");
        xl_ngram_format_float(from_bits((uint32_t)nan | 0x80000000u), b);
        if (strcmp(b, "NaN") != 0) fail((uint32_t)nan | 0x80000000u, "NaN", b, "NaN");
    }
    printf("checked %llu positive finite patterns 0x%08" PRIx32 "..0x%08" PRIx32
           " and their negatives (+inf, -inf, NaNs): %llu failures; %llu values where the nearest shortest decimal "
           "is not the correctly rounded one (the old snprintf search prints more digits there)\n",
           checked, first, last, failures, nearest_not_rounded);
    return failures == 0 ? 0 : 1;
}
