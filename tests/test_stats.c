/* test_stats.c - paired t-test and Wilcoxon signed-rank (src/eval/xl_stats.h)
 * against values computed by scipy 1.10.1 (Debian python3-scipy):
 *   stats.ttest_rel(a, b) and stats.wilcoxon(a, b) with default arguments,
 * on the three samples built below (the Python that printed the expected values
 * is in the comment of each case). */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>

#include "xl_stats.h"

static void check(const double *a, const double *b, size_t n, double t, double tp, double w, double wp, bool exact)
{
    xl_paired_test r;
    xl_error err;
    assert_int_equal(xl_paired_tests(a, b, n, &r, &err), 0);
    assert_int_equal(r.n, n);
    assert_close(r.t, t, 1e-9);
    assert_close(r.t_p, tp, 1e-9);
    assert_close(r.w, w, 0);
    assert_close(r.w_p, wp, 1e-9);
    assert_int_equal(r.w_exact, exact);
}

static void test_small_exact(void **state)
{
    (void)state;
    /* c1: n = 12, no zero and no tied |difference|: scipy's exact signed-rank distribution */
    const double a[] = {0.61, 0.32, 0.95, 0.11, 0.47, 0.88, 0.25, 0.73, 0.39, 0.56, 0.14, 0.67};
    const double b[] = {0.52, 0.43, 0.71, 0.14, 0.30, 0.795, 0.31, 0.50, 0.40, 0.36, 0.115, 0.61};
    check(a, b, 12, 2.2027715459645578, 0.049844215645176979, 16, 0.0771484375, true);
}

static void test_zeros_and_ties(void **state)
{
    (void)state;
    /* c2: NDCG-like scores, n = 80, with zero differences and tied |d|: normal approximation
     * a = [((i*37)%11)/10 if i%3 else 0 for i in range(80)], b likewise with 53 and i%4 */
    double a[80], b[80];
    for (int i = 0; i < 80; i++) {
        a[i] = i % 3 ? ((i * 37) % 11) / 10.0 : 0.0;
        b[i] = i % 4 ? ((i * 53) % 11) / 10.0 : 0.0;
    }
    check(a, b, 80, -0.59493408697194516, 0.55358782138177864, 992.5, 0.46975195594509245, false);
}

static void test_large_continuous(void **state)
{
    (void)state;
    /* c3: n = 60 > 50: normal approximation; a = sin(1.3 i) + 0.1, b = cos(0.7 i) */
    double a[60], b[60];
    for (int i = 0; i < 60; i++) {
        a[i] = sin(i * 1.3) + 0.1;
        b[i] = cos(i * 0.7);
    }
    check(a, b, 60, 0.97551411739718175, 0.3332881769065239, 778, 0.31319548152477983, false);
}

static void test_edges(void **state)
{
    (void)state;
    xl_paired_test r;
    xl_error err;
    const double a[] = {0.5, 0.25, 1};
    assert_int_equal(xl_paired_tests(a, a, 3, &r, &err), 0); /* identical: no evidence */
    assert_close(r.t, 0, 0);
    assert_close(r.t_p, 1, 0);
    assert_close(r.w_p, 1, 0);
    assert_int_equal(xl_paired_tests(a, a, 1, &r, &err), -1);
    const double bad[] = {0.5, NAN, 1};
    assert_int_equal(xl_paired_tests(a, bad, 3, &r, &err), -1);
    /* the incomplete beta at known points: I_x(1, 1) = x, I_0.5(a, a) = 1/2 */
    assert_close(xl_incomplete_beta(0.3, 1, 1), 0.3, 1e-14);
    assert_close(xl_incomplete_beta(0.5, 7.5, 7.5), 0.5, 1e-14);
    /* t = 2.228138851986 is the 97.5 % point of t with 10 df: two-sided p = 0.05 */
    assert_close(xl_student_t_two_sided(2.228138851986, 10), 0.05, 1e-10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_exact),
        cmocka_unit_test(test_zeros_and_ties),
        cmocka_unit_test(test_large_continuous),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
