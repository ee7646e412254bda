/* xl_stats.h - paired significance tests between two models' per-user scores
 * (e.g. NDCG@K of the same users under models A and B).
 *
 * Contract: pure functions of their inputs, no allocation beyond the call, no
 * printing.  Definitions match scipy 1.10 (stats.ttest_rel and
 * stats.wilcoxon with its defaults: two-sided, zero_method "wilcox", no
 * continuity correction), checked in tests/test_stats.c against values scipy
 * computed; the one documented difference is below.
 *
 *   paired t-test (Student 1908): d_i = a_i - b_i, t = mean(d) / (sd(d) / sqrt(n)),
 *     sd with n - 1 in the denominator, df = n - 1,
 *     p = 2 P(T_df > |t|) = I_{df/(df+t^2)}(df/2, 1/2)   (regularised incomplete beta)
 *     All differences equal to 0: t = 0, p = 1 (scipy: NaN).
 *   Wilcoxon signed-rank (Wilcoxon 1945): zero differences dropped; ranks of |d|
 *     with ties given their average rank; W+ = sum of ranks of positive d,
 *     W- of negative; statistic T = min(W+, W-).
 *     exact (n <= 50 non-zero differences, no zero difference, no tied |d|):
 *       p = min(1, 2 min(P(W+ <= w+), P(W+ >= w+))) under the null distribution
 *       of W+ (every sign pattern equally likely), 1 at the centre;
 *     otherwise the normal approximation: z = (T - n(n+1)/4) / sqrt(s / 24),
 *       s = n(n+1)(2n+1) - sum over tie groups of t(t^2 - 1) / 2, p = 2 (1 - Phi(|z|)).
 *     Difference from scipy: with tied |d| among n <= 50 non-zero differences and no
 *     zeros, scipy runs its exact test on a truncated W+; xlrec uses the approximation.
 */
#ifndef XL_STATS_H
#define XL_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "xl_error.h"

typedef struct xl_paired_test {
    size_t n;               /* pairs */
    double mean_a, mean_b;  /* means of a and b */
    double t, t_p;          /* paired t statistic and two-sided p-value, df = n - 1 */
    size_t n_nonzero;       /* non-zero differences (the Wilcoxon sample) */
    double w_plus, w_minus; /* signed-rank sums */
    double w, w_p;          /* T = min(W+, W-) and its two-sided p-value */
    bool w_exact;           /* p from the exact null distribution (else normal approximation) */
} xl_paired_test;

/* Both tests on n >= 2 pairs (a[i], b[i]).  Needs scratch for 2n doubles
 * (allocated here).  Errors: n < 2, a non-finite value. */
int xl_paired_tests(const double *a, const double *b, size_t n, xl_paired_test *out, xl_error *err);

/* Two-sided p-value of Student's t with df degrees of freedom: P(|T| > |t|). */
double xl_student_t_two_sided(double t, double df);
/* Regularised incomplete beta I_x(a, b), 0 <= x <= 1, a, b > 0. */
double xl_incomplete_beta(double x, double a, double b);

#endif /* XL_STATS_H */
