/* xl_test.c - see xl_test.h */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_close(double a, double e, double atol, double rtol)
{
    if (isnan(a) || isnan(e)) return isnan(a) && isnan(e);
    if (isinf(a) || isinf(e)) return a == e;
    return fabs(a - e) <= atol + rtol * fabs(e);
}

#define ALLCLOSE_BODY                                                                              \
    size_t bad = n, n_bad = 0;                                                                     \
    double max_diff = 0.0;                                                                         \
    size_t max_at = 0;                                                                             \
    for (size_t i = 0; i < n; i++) {                                                               \
        double a = (double)actual[i], e = (double)expected[i];                                     \
        double d = fabs(a - e);                                                                    \
        if (!(d <= max_diff)) {                                                                    \
            max_diff = d;                                                                          \
            max_at = i;                                                                            \
        }                                                                                          \
        if (!check_close(a, e, atol, rtol)) {                                                      \
            if (bad == n) bad = i;                                                                 \
            n_bad++;                                                                               \
        }                                                                                          \
    }                                                                                              \
    if (n_bad) {                                                                                   \
        print_error("%s:%d: assert_allclose failed: %zu of %zu elements differ (atol=%g rtol=%g)\n" \
                    "  first at [%zu]: actual=%.9g expected=%.9g\n"                                \
                    "  max |diff| = %.3g at [%zu]: actual=%.9g expected=%.9g\n",                   \
                    file, line, n_bad, n, atol, rtol, bad, (double)actual[bad],                    \
                    (double)expected[bad], max_diff, max_at, (double)actual[max_at],               \
                    (double)expected[max_at]);                                                     \
        fail();                                                                                    \
    }

void xl_assert_allclose_f32(const float *actual, const float *expected, size_t n, double atol, double rtol,
                            const char *file, int line)
{
    ALLCLOSE_BODY
}

void xl_assert_allclose_f64(const double *actual, const double *expected, size_t n, double atol, double rtol,
                            const char *file, int line)
{
    ALLCLOSE_BODY
}

#define RING 8
static char ring[RING][4096];
static int ring_next;

/* The root of the reference folder (data/, fixtures/, vocab/) is $XLREC_SHARED, else ../shared.
 * ($XLREC_DATA is not read here: it names the directory of xlrec's own shipped models,
 * src/core/xl_datapath.h.) */
const char *xl_test_shared_path(const char *relative)
{
    const char *root = getenv("XLREC_SHARED");
    char *buf = ring[ring_next];
    ring_next = (ring_next + 1) % RING;
    if (root == NULL || root[0] == '\0') root = "../shared";
    snprintf(buf, sizeof ring[0], "%s/%s", root, relative);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

const char *xl_test_bin_or_skip(void)
{
    const char *bin = getenv("XLREC_BIN");
    if (bin == NULL) {
        print_message("[  SKIP    ] XLREC_BIN not set (run through make test)\n");
        skip();
    }
    return bin;
}

const char *xl_test_tmp_path(const char *tag)
{
    static unsigned counter;
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0') dir = "/tmp";
    char *buf = ring[ring_next];
    ring_next = (ring_next + 1) % RING;
    snprintf(buf, sizeof ring[0], "%s/xlrec-test-%ld-%u-%s", dir, (long)getpid(), counter++, tag);
    return buf;
}

const char *xl_test_write_tmp(const char *tag, const void *data, size_t len)
{
    const char *path = xl_test_tmp_path(tag);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}
