/* xl_test.h - helpers shared by the cmocka suites.
 *
 * cmocka 1.1.5 (Debian 12) has no floating-point comparison, so:
 *   assert_allclose(actual, expected, n, atol, rtol)
 * fails when |a - e| > atol + rtol*|e| anywhere (or a NaN appears where the
 * other side has none) and prints the first offending index, both values, and
 * the maximum absolute difference over the whole array, numpy-style.
 *
 * Reference data in ../shared: xl_test_shared_path("fixtures/x") returns the
 * path or NULL when it does not exist; tests then call skip() with a message
 * via XL_SKIP_IF_NO_SHARED.  Where: $XLREC_SHARED, the folder holding data/,
 * fixtures/ and vocab/, default "../shared".  ($XLREC_DATA names the directory
 * of xlrec's shipped models instead: src/core/xl_datapath.h.)
 */
#ifndef XL_TEST_H
#define XL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

void xl_assert_allclose_f32(const float *actual, const float *expected, size_t n, double atol, double rtol,
                            const char *file, int line);
void xl_assert_allclose_f64(const double *actual, const double *expected, size_t n, double atol, double rtol,
                            const char *file, int line);
#define assert_allclose(actual, expected, n, atol, rtol) \
    xl_assert_allclose_f32((actual), (expected), (n), (atol), (rtol), __FILE__, __LINE__)
#define assert_allclose_f64(actual, expected, n, atol, rtol) \
    xl_assert_allclose_f64((actual), (expected), (n), (atol), (rtol), __FILE__, __LINE__)
/* One double against an expected value. */
#define assert_close(actual, expected, atol)                                         \
    do {                                                                             \
        double xl_a_ = (actual), xl_e_ = (expected);                                 \
        xl_assert_allclose_f64(&xl_a_, &xl_e_, 1, (atol), 0.0, __FILE__, __LINE__); \
    } while (0)

/* Path of a file under the shared reference folder, or NULL if absent.
 * The returned string is owned by a small internal ring of buffers: copy it
 * if it must outlive the next few calls. */
const char *xl_test_shared_path(const char *relative);
#define XL_SKIP_IF_NO_SHARED(var, relative)                                               \
    const char *var = xl_test_shared_path(relative);                                      \
    do {                                                                                  \
        if (var == NULL) {                                                                \
            print_message("[  SKIP    ] ../shared/%s not found (set XLREC_SHARED)\n", relative); \
            skip();                                                                       \
        }                                                                                 \
    } while (0)

/* The xlrec binary under test ($XLREC_BIN, which `make test` sets); when it is not set, the
 * calling test is skipped with a message. */
const char *xl_test_bin_or_skip(void);

/* A fresh temporary file path under $TMPDIR (or /tmp) unique to this process;
 * `tag` is part of the name.  The file is not created. */
const char *xl_test_tmp_path(const char *tag);
/* Write bytes to a new temporary file and return its path. */
const char *xl_test_write_tmp(const char *tag, const void *data, size_t len);

#endif /* XL_TEST_H */
