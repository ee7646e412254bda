/* xl_stats.c - paired t-test and Wilcoxon signed-rank test (see xl_stats.h). */
#include "xl_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"

/* I_x(a, b) by the continued fraction of DLMF 8.17.22, evaluated with the modified Lentz method
 * (Lentz 1976; Thompson & Barnett 1986), on the side x < (a+1)/(a+b+2) where it converges
 * fast; the other side through I_x(a, b) = 1 - I_{1-x}(b, a). */
double xl_incomplete_beta(double x, double a, double b)
{
    if (!(x > 0)) return 0.0;
    if (!(x < 1)) return 1.0;
    if (x > (a + 1) / (a + b + 2)) return 1.0 - xl_incomplete_beta(1.0 - x, b, a);
    const double tiny = 1e-300;
    /* front = x^a (1-x)^b / (a B(a, b)) */
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)) / a;
    double f = 1.0, c = 1.0, dd = 0.0;
    for (int i = 0; i <= 400; i++) {
        double m = (double)(i / 2), num;
        if (i == 0) num = 1.0;
        else if (i % 2 == 0) num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));     /* d_{2m} */
        else num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));          /* d_{2m+1} */
        dd = 1.0 + num * dd;
        if (fabs(dd) < tiny) dd = tiny;
        dd = 1.0 / dd;
        c = 1.0 + num / c;
        if (fabs(c) < tiny) c = tiny;
        double cd = c * dd;
        f *= cd;
        if (fabs(1.0 - cd) < 1e-15) break;
    }
    return front * (f - 1.0);
}

double xl_student_t_two_sided(double t, double df)
{
    if (isnan(t)) return NAN;
    if (isinf(t)) return 0.0;
    return xl_incomplete_beta(df / (df + t * t), df / 2, 0.5);
}

typedef struct {
    double abs_d;
    double d;
} diff;

static int cmp_abs(const void *x, const void *y)
{
    double a = ((const diff *)x)->abs_d, b = ((const diff *)y)->abs_d;
    return a < b ? -1 : a > b;
}

/* Two-sided exact p of W+ = w (an integer) for n untied, non-zero differences: the null
 * distribution counts the sign patterns whose positive ranks sum to s, by the recurrence
 * N_k(s) = N_{k-1}(s) + N_{k-1}(s - k).  Counts stay below 2^50 (n <= 50): exact in double. */
static double wilcoxon_exact_p(size_t n, long w, double *count)
{
    long max = (long)(n * (n + 1) / 2);
    for (long s = 0; s <= max; s++) count[s] = 0;
    count[0] = 1;
    for (size_t k = 1; k <= n; k++)
        for (long s = (long)(k * (k + 1) / 2); s >= (long)k; s--) count[s] += count[s - (long)k];
    if (w == max / 2 && max % 2 == 0) return 1.0; /* the centre (scipy: (len(pmf)-1)//2) */
    double total = ldexp(1.0, (int)n), lo = 0, hi = 0;
    for (long s = 0; s <= max; s++) {
        if (s <= w) lo += count[s];
        if (s >= w) hi += count[s];
    }
    double p = 2 * (lo < hi ? lo : hi) / total;
    return p > 1 ? 1 : p;
}

int xl_paired_tests(const double *a, const double *b, size_t n, xl_paired_test *out, xl_error *err)
{
    memset(out, 0, sizeof *out);
    if (n < 2) return xl_fail(err, XL_ERR_USAGE, "paired tests: need at least 2 pairs, got %zu", n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]) || !isfinite(b[i]))
            return xl_fail(err, XL_ERR_FORMAT, "paired tests: pair %zu is not finite", i);
    out->n = n;
    /* paired t-test; two-pass mean and variance */
    double sa = 0, sb = 0, sd = 0;
    for (size_t i = 0; i < n; i++) {
        sa += a[i];
        sb += b[i];
        sd += a[i] - b[i];
    }
    out->mean_a = sa / (double)n;
    out->mean_b = sb / (double)n;
    double md = sd / (double)n, ss = 0;
    for (size_t i = 0; i < n; i++) ss += (a[i] - b[i] - md) * (a[i] - b[i] - md);
    double sdev = sqrt(ss / (double)(n - 1));
    if (sdev == 0) {
        out->t = md == 0 ? 0.0 : (md > 0 ? INFINITY : -INFINITY);
        out->t_p = md == 0 ? 1.0 : 0.0;
    } else {
        out->t = md / (sdev / sqrt((double)n));
        out->t_p = xl_student_t_two_sided(out->t, (double)(n - 1));
    }
    /* Wilcoxon signed-rank on the non-zero differences */
    diff *d = xl_malloc(n * sizeof *d, err);
    if (!d) return -1;
    size_t m = 0;
    bool zeros = false;
    for (size_t i = 0; i < n; i++) {
        double x = a[i] - b[i];
        if (x == 0) {
            zeros = true;
            continue;
        }
        d[m].d = x;
        d[m++].abs_d = fabs(x);
    }
    out->n_nonzero = m;
    if (m == 0) { /* scipy raises; no evidence either way */
        out->w = 0;
        out->w_p = 1.0;
        free(d);
        return 0;
    }
    qsort(d, m, sizeof *d, cmp_abs);
    double tie_term = 0;
    bool ties = false;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j + 1 < m && d[j + 1].abs_d == d[i].abs_d) j++;
        double rank = (double)(i + j + 2) / 2; /* average of ranks i+1 .. j+1 */
        double t = (double)(j - i + 1);
        if (t > 1) {
            ties = true;
            tie_term += t * (t * t - 1);
        }
        for (size_t q = i; q <= j; q++) {
            if (d[q].d > 0) out->w_plus += rank;
            else out->w_minus += rank;
        }
        i = j + 1;
    }
    out->w = out->w_plus < out->w_minus ? out->w_plus : out->w_minus;
    double dm = (double)m;
    if (n <= 50 && !zeros && !ties) {
        double *count = xl_malloc((m * (m + 1) / 2 + 1) * sizeof *count, err);
        if (!count) {
            free(d);
            return -1;
        }
        out->w_p = wilcoxon_exact_p(m, lround(out->w_plus), count);
        out->w_exact = true;
        free(count);
    } else {
        double mean = dm * (dm + 1) / 4;
        double var = (dm * (dm + 1) * (2 * dm + 1) - tie_term / 2) / 24;
        double z = var > 0 ? (out->w - mean) / sqrt(var) : 0.0;
        out->w_p = erfc(fabs(z) / sqrt(2.0)); /* 2 (1 - Phi(|z|)) */
    }
    free(d);
    return 0;
}
