/* test_metrics.c - ranking and rating metrics against hand-computed values,
 * and the seeded splits (src/eval/xl_eval.h). */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_eval.h"

/* Worked example (every number below by hand):
 *   ranked L = [1 2 3 4 5], K = 5, relevant R = {2: gain 3, 4: gain 1, 9: gain 2}
 *   hits at ranks 2 and 4 -> P@5 = 2/5, R@5 = 2/3, F1 = 2*.4*.6667/1.0667 = 0.5
 *   DCG  = 1/log2(3) + 1/log2(5)            = 0.630930 + 0.430677 = 1.061606
 *   IDCG = 1 + 1/log2(3) + 1/log2(4)        = 2.130930 (min(K,|R|) = 3 terms)
 *   NDCG = 0.498189
 *   graded DCG  = 3/log2(3) + 1/log2(5)     = 1.892789 + 0.430677 = 2.323466
 *   graded IDCG = 3/1 + 2/log2(3) + 1/log2(4) = 3 + 1.261860 + 0.5 = 4.761860
 *   graded NDCG = 0.487932
 *   AP@5 = (1/min(5,3)) * (P@2 + P@4) = (1/3)(1/2 + 2/4) = 1/3
 *   RR = 1/2, HitRate = 1 */
static void test_worked_example(void **state)
{
    (void)state;
    const uint32_t ranked[] = {1, 2, 3, 4, 5};
    const uint32_t rel[] = {2, 4, 9};
    const double gains[] = {3, 1, 2};
    xl_rank_metrics m;
    assert_int_equal(xl_metrics_user(ranked, 5, 5, rel, gains, 3, &m), 0);
    assert_close(m.precision, 0.4, 1e-12);
    assert_close(m.recall, 2.0 / 3.0, 1e-12);
    assert_close(m.f1, 0.5, 1e-12);
    assert_close(m.ndcg, 1.061606 / 2.130930, 1e-6);
    assert_close(m.ndcg, 0.498189, 1e-6);
    assert_close(m.ndcg_graded, 0.487932, 1e-6);
    assert_close(m.map, 1.0 / 3.0, 1e-12);
    assert_close(m.mrr, 0.5, 1e-12);
    assert_close(m.hit, 1.0, 0);
}

/* K = 3 cuts the list: L@3 = [1 2 3], one hit at rank 2.
 *   P = 1/3, R = 1/3, F1 = 1/3, NDCG = (1/log2 3) / (1 + 1/log2 3 + 1/2) = 0.630930/2.130930 = 0.296082
 *   AP@3 = (1/3)(1/2) = 1/6 */
static void test_cutoff(void **state)
{
    (void)state;
    const uint32_t ranked[] = {1, 2, 3, 4, 5};
    const uint32_t rel[] = {2, 4, 9};
    xl_rank_metrics m;
    assert_int_equal(xl_metrics_user(ranked, 5, 3, rel, NULL, 3, &m), 0);
    assert_close(m.precision, 1.0 / 3.0, 1e-12);
    assert_close(m.recall, 1.0 / 3.0, 1e-12);
    assert_close(m.f1, 1.0 / 3.0, 1e-12);
    assert_close(m.ndcg, 0.296082, 1e-6);
    assert_close(m.ndcg_graded, m.ndcg, 1e-12); /* gains NULL = binary */
    assert_close(m.map, 1.0 / 6.0, 1e-12);
}

/* K larger than the list: L = [7], K = 10, R = {7}.
 *   P = 1/10 (divided by K), R = 1, NDCG = 1, AP = 1/min(10,1) * 1 = 1, RR = 1 */
static void test_k_larger_than_list(void **state)
{
    (void)state;
    const uint32_t ranked[] = {7};
    const uint32_t rel[] = {7};
    xl_rank_metrics m;
    assert_int_equal(xl_metrics_user(ranked, 1, 10, rel, NULL, 1, &m), 0);
    assert_close(m.precision, 0.1, 1e-12);
    assert_close(m.recall, 1.0, 1e-12);
    assert_close(m.ndcg, 1.0, 1e-12);
    assert_close(m.map, 1.0, 1e-12);
    assert_close(m.mrr, 1.0, 1e-12);
    /* padding entries (XL_REC_NONE) are misses */
    const uint32_t padded[] = {XL_REC_NONE, 7, XL_REC_NONE};
    assert_int_equal(xl_metrics_user(padded, 3, 3, rel, NULL, 1, &m), 0);
    assert_close(m.mrr, 0.5, 1e-12);
    assert_close(m.ndcg, 1.0 / log2(3.0), 1e-12);
}

static void test_empty_relevance_and_repeats(void **state)
{
    (void)state;
    const uint32_t ranked[] = {3, 3, 5};
    const uint32_t rel[] = {3};
    xl_rank_metrics m;
    assert_int_equal(xl_metrics_user(ranked, 3, 3, rel, NULL, 0, &m), -1); /* undefined: skipped */
    assert_int_equal(xl_metrics_user(ranked, 3, 0, rel, NULL, 1, &m), -1);
    /* a repeated item counts once */
    assert_int_equal(xl_metrics_user(ranked, 3, 3, rel, NULL, 1, &m), 0);
    assert_close(m.precision, 1.0 / 3.0, 1e-12);
    assert_close(m.recall, 1.0, 1e-12);
    /* no hit at all */
    const uint32_t miss[] = {1, 2};
    assert_int_equal(xl_metrics_user(miss, 2, 2, rel, NULL, 1, &m), 0);
    assert_close(m.precision + m.recall + m.f1 + m.ndcg + m.map + m.mrr + m.hit, 0.0, 0);
}

/* Ties in gains: R = {a: 2, b: 2}, L = [b, x, a]; order among equal gains does
 * not change IDCG = 2 + 2/log2 3 = 3.261860; DCG = 2 + 2/log2 4 = 3 -> 0.919721 */
static void test_tied_gains(void **state)
{
    (void)state;
    const uint32_t ranked[] = {11, 99, 10};
    const uint32_t rel[] = {10, 11};
    const double gains[] = {2, 2};
    xl_rank_metrics m;
    assert_int_equal(xl_metrics_user(ranked, 3, 3, rel, gains, 2, &m), 0);
    assert_close(m.ndcg_graded, 3.0 / 3.261860, 1e-6);
    assert_close(m.ndcg, m.ndcg_graded, 1e-12);
    /* AP@3 = (1/2)(1/1 + 2/3) = 5/6 */
    assert_close(m.map, 5.0 / 6.0, 1e-12);
}

/* MAP over users, the textbook case (Manning, Raghavan, Schuetze, IIR 8.4):
 * user A: relevant at ranks 1,3,6 of |R|=3 -> AP = (1 + 2/3 + 3/6)/3 = 0.722222
 * user B: relevant at ranks 2,5 of |R|=2 -> AP = (1/2 + 2/5)/2 = 0.45
 * MAP@10 = 0.586111; MRR = (1 + 1/2)/2 = 0.75 */
static void test_map_two_users(void **state)
{
    (void)state;
    const uint32_t la[] = {1, 100, 2, 101, 102, 3, 103, 104, 105, 106};
    const uint32_t ra[] = {1, 2, 3};
    const uint32_t lb[] = {200, 4, 201, 202, 5, 203, 204, 205, 206, 207};
    const uint32_t rb[] = {4, 5};
    xl_rank_accum acc;
    xl_rank_accum_init(&acc);
    xl_rank_metrics m, mean;
    assert_int_equal(xl_metrics_user(la, 10, 10, ra, NULL, 3, &m), 0);
    assert_close(m.map, 0.722222, 1e-6);
    xl_rank_accum_add(&acc, &m);
    assert_int_equal(xl_metrics_user(lb, 10, 10, rb, NULL, 2, &m), 0);
    assert_close(m.map, 0.45, 1e-12);
    xl_rank_accum_add(&acc, &m);
    xl_rank_accum_mean(&acc, &mean);
    assert_close(mean.map, 0.586111, 1e-6);
    assert_close(mean.mrr, 0.75, 1e-12);
    assert_close(mean.precision, 0.25, 1e-12);
    assert_int_equal(acc.n_users, 2);
}

/* RMSE/MAE: pred [1 2 3], truth [2 2 5] -> errors -1, 0, -2: RMSE = sqrt(5/3), MAE = 1.
 * Coverage: lists {0,1} {1,2} over 10 items -> 3/10. */
static void test_rating_metrics_and_coverage(void **state)
{
    (void)state;
    const double pred[] = {1, 2, 3}, truth[] = {2, 2, 5};
    assert_close(xl_metric_rmse(pred, truth, 3), sqrt(5.0 / 3.0), 1e-12);
    assert_close(xl_metric_mae(pred, truth, 3), 1.0, 1e-12);
    assert_close(xl_metric_rmse(pred, truth, 0), 0.0, 0);
    const uint32_t lists[] = {0, 1, 1, 2, XL_REC_NONE, XL_REC_NONE};
    assert_close(xl_metric_coverage(lists, 3, 2, 10), 0.3, 1e-12);
}

static void make_interactions(xl_interactions *x)
{
    xl_interactions_init(x);
    /* user 0: 8 items, user 1: 4 items, user 2: one item */
    for (uint32_t i = 0; i < 8; i++) xl_interactions_push(x, 0, i, 1.0f + (float)(i % 5), 100 + i, NULL);
    for (uint32_t i = 0; i < 4; i++) xl_interactions_push(x, 1, 10 + i, 3.0f, 50 - (int64_t)i, NULL);
    xl_interactions_push(x, 2, 3, 4.0f, 7, NULL);
}

static void test_splits(void **state)
{
    (void)state;
    xl_interactions x;
    make_interactions(&x);
    uint8_t a[13], b[13];
    xl_error err;
    /* leave-last-out: user 0's latest is row 7 (time 107), user 1's is row 8 (time 50) */
    assert_int_equal(xl_split_assign(&x, NULL, x.n, 3, XL_SPLIT_LAST, 0, 0, 1, a, &err), 0);
    for (size_t e = 0; e < x.n; e++) assert_int_equal(a[e], e == 7 || e == 8);
    /* per-user ratio 0.25: user 0 -> 2 test, user 1 -> 1, user 2 (one interaction) -> 0 */
    assert_int_equal(xl_split_assign(&x, NULL, x.n, 3, XL_SPLIT_USER_RATIO, 0.25, 0, 5, a, &err), 0);
    int t0 = 0, t1 = 0;
    for (size_t e = 0; e < 8; e++) t0 += a[e];
    for (size_t e = 8; e < 12; e++) t1 += a[e];
    assert_int_equal(t0, 2);
    assert_int_equal(t1, 1);
    assert_int_equal(a[12], 0);
    /* seeded: same seed, same split */
    assert_int_equal(xl_split_assign(&x, NULL, x.n, 3, XL_SPLIT_USER_RATIO, 0.25, 0, 5, b, &err), 0);
    assert_memory_equal(a, b, x.n);
    /* random holdout: round(0.3 * 13) = 4 test rows */
    assert_int_equal(xl_split_assign(&x, NULL, x.n, 3, XL_SPLIT_RANDOM, 0.3, 0, 9, a, &err), 0);
    int nt = 0;
    for (size_t e = 0; e < x.n; e++) nt += a[e];
    assert_int_equal(nt, 4);
    /* k-fold: every row in one fold, fold sizes differ by at most one */
    assert_int_equal(xl_split_assign(&x, NULL, x.n, 3, XL_SPLIT_KFOLD, 0, 5, 9, a, &err), 0);
    int sizes[5] = {0};
    for (size_t e = 0; e < x.n; e++) {
        assert_true(a[e] < 5);
        sizes[a[e]]++;
    }
    for (int f = 0; f < 5; f++) assert_true(sizes[f] == 2 || sizes[f] == 3);
    /* bad arguments */
    assert_int_equal(xl_split_assign(&x, NULL, x.n, 3, XL_SPLIT_KFOLD, 0, 1, 9, a, &err), -1);
    assert_int_equal(xl_split_assign(&x, NULL, x.n, 3, XL_SPLIT_RANDOM, 1.5, 0, 9, a, &err), -1);
    assert_int_equal(xl_split_parse("last"), XL_SPLIT_LAST);
    assert_int_equal(xl_split_parse("nope"), -1);
    xl_interactions_free(&x);
}

/* The time-based splits on a hand-made set (row: user item time):
 *   0: u0 i0 5   1: u0 i1 3   2: u0 i2 9   3: u0 i3 5   4: u1 i0 1   5: u1 i4 8   6: u2 i1 20
 * sorted by (time, row): 4(1) 1(3) 0(5) 3(5) 5(8) 2(9) 6(20). */
static void test_time_splits(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    const int64_t rows[][3] = {{0, 0, 5}, {0, 1, 3}, {0, 2, 9}, {0, 3, 5}, {1, 0, 1}, {1, 4, 8}, {2, 1, 20}};
    for (size_t e = 0; e < 7; e++)
        assert_int_equal(xl_interactions_push(&x, (uint32_t)rows[e][0], (uint32_t)rows[e][1], 1.0f, rows[e][2], NULL), 0);
    xl_error err;
    uint8_t f[7];
    xl_split_spec s;
    xl_split_spec_default(&s);
    struct {
        xl_split_kind kind;
        int last_n;
        double ratio;
        bool cut;
        int64_t t;
        uint8_t expect[7];
    } cases[] = {
        /* leave-last-1: u0's latest is row 2 (time 9), u1's row 5; u2 has one row and keeps it */
        {XL_SPLIT_LAST, 1, 0, false, 0, {0, 0, 1, 0, 0, 1, 0}},
        /* leave-last-2: u0's two latest are rows 2 and 3 (row 3 is the later of the two at time 5);
         * u1 has two rows, so only one (at most n_u - 1) goes */
        {XL_SPLIT_LAST, 2, 0, false, 0, {0, 0, 1, 1, 0, 1, 0}},
        /* leave-last-10: all but each user's earliest */
        {XL_SPLIT_LAST, 10, 0, false, 0, {1, 0, 1, 1, 0, 1, 0}},
        /* global: round(0.3 * 7) = 2 latest rows: 2 (9) and 6 (20) */
        {XL_SPLIT_TIME, 1, 0.3, false, 0, {0, 0, 1, 0, 0, 0, 1}},
        /* round(0.5 * 7) = 4: rows 3, 5, 2, 6; of the two at time 5 only the later row (3) */
        {XL_SPLIT_TIME, 1, 0.5, false, 0, {0, 0, 1, 1, 0, 1, 1}},
        /* a cut at time 5: every row with time >= 5 */
        {XL_SPLIT_TIME, 1, 0, true, 5, {1, 0, 1, 1, 0, 1, 1}},
        /* a cut after every row: nothing held out */
        {XL_SPLIT_TIME, 1, 0, true, 21, {0, 0, 0, 0, 0, 0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        s.kind = cases[c].kind;
        s.last_n = cases[c].last_n;
        s.ratio = cases[c].ratio;
        s.has_time_cut = cases[c].cut;
        s.time_cut = cases[c].t;
        assert_int_equal(xl_split_assign_spec(&x, NULL, x.n, 3, &s, f, &err), 0);
        for (size_t e = 0; e < 7; e++) {
            if (f[e] != cases[c].expect[e]) fprintf(stderr, "case %zu row %zu: fold %d\n", c, e, f[e]);
            assert_int_equal(f[e], cases[c].expect[e]);
        }
    }
    /* a subset (rows 4, 5, 0, 2) is split on its own positions: leave-last-1 holds out u1's row 5
     * (position 1) and u0's row 2 (position 3) */
    const size_t sub[] = {4, 5, 0, 2};
    s.kind = XL_SPLIT_LAST;
    s.last_n = 1;
    assert_int_equal(xl_split_assign_spec(&x, sub, 4, 3, &s, f, &err), 0);
    assert_int_equal(f[0], 0);
    assert_int_equal(f[1], 1);
    assert_int_equal(f[2], 0);
    assert_int_equal(f[3], 1);
    /* bad arguments */
    s.kind = XL_SPLIT_TIME;
    s.has_time_cut = false;
    s.ratio = 0;
    assert_int_equal(xl_split_assign_spec(&x, NULL, x.n, 3, &s, f, &err), -1);
    s.kind = XL_SPLIT_LAST;
    s.last_n = 0;
    assert_int_equal(xl_split_assign_spec(&x, NULL, x.n, 3, &s, f, &err), -1);
    assert_int_equal(xl_split_parse("time"), XL_SPLIT_TIME);
    xl_interactions_free(&x);
}

/* External lists: two users, truth CSR with gains; user 2 has no truth and is skipped. */
static void test_eval_lists(void **state)
{
    (void)state;
    xl_interactions t;
    xl_interactions_init(&t);
    xl_interactions_push(&t, 0, 2, 5.0f, 0, NULL);
    xl_interactions_push(&t, 1, 0, 1.0f, 0, NULL);
    xl_interactions_push(&t, 1, 1, 4.0f, 0, NULL);
    xl_csr truth;
    xl_error err;
    assert_int_equal(xl_csr_build(&truth, &t, NULL, 0, 3, 4, false, &err), 0);
    const uint32_t lists[] = {2, 1, /* user 1 */ 3, 1, /* user 2 */ 0, 1};
    xl_eval_row row;
    assert_int_equal(xl_eval_lists(lists, 3, 2, &truth, 0, 4, &row, &err), 0);
    assert_int_equal(row.n_users, 2);
    assert_int_equal(row.n_skipped, 1);
    /* user 0: P=1/2 R=1; user 1: P=1/2 R=1/2 */
    assert_close(row.rank.precision, 0.5, 1e-12);
    assert_close(row.rank.recall, 0.75, 1e-12);
    /* threshold 3: user 1's item 0 (rating 1) is no longer relevant: R = 1 */
    assert_int_equal(xl_eval_lists(lists, 3, 2, &truth, 3.0, 4, &row, &err), 0);
    assert_close(row.rank.recall, 1.0, 1e-12);
    assert_close(row.coverage, 1.0, 1e-12);
    xl_csr_free(&truth);
    xl_interactions_free(&t);
}

/* Another system's output: tab lists and user,item,score rows (ties keep
 * file order), truth with gains; users absent from truth are ignored. */
static void test_external(void **state)
{
    (void)state;
    const char *truth = "u1,a,5\nu1,c,3\nu2,b,1\n";
    const char *tp = xl_test_write_tmp("truth.csv", truth, strlen(truth));
    char tpath[512];
    snprintf(tpath, sizeof tpath, "%s", tp);
    const char *lists = "u1\ta b c\nu9\ta\n"; /* u2 has no list: all zero */
    const char *lp = xl_test_write_tmp("lists.tsv", lists, strlen(lists));
    xl_eval_row row;
    size_t ignored;
    xl_error err;
    assert_int_equal(xl_eval_external(lp, tpath, 2, 0, false, &row, &ignored, &err), 0);
    assert_int_equal(ignored, 1);
    assert_int_equal(row.n_users, 2);
    /* u1: L@2 = [a b], R = {a, c}: P = 1/2, R = 1/2; u2: 0 */
    assert_close(row.rank.precision, 0.25, 1e-12);
    assert_close(row.rank.recall, 0.25, 1e-12);
    /* rows form: u1's b and a tie at 0.9, b comes first in the file -> [b a] */
    const char *rows = "u1,b,0.9\nu1,a,0.9\nu1,c,0.1\nu2,b,2\n";
    const char *rp = xl_test_write_tmp("rows.csv", rows, strlen(rows));
    assert_int_equal(xl_eval_external(rp, tpath, 1, 0, false, &row, &ignored, &err), 0);
    /* u1: [b] misses; u2: [b] hits -> MRR = 1/2 */
    assert_close(row.rank.mrr, 0.5, 1e-12);
    assert_close(row.rank.hit, 0.5, 1e-12);
    /* malformed score */
    const char *bad = "u1,a,high\n";
    const char *bp = xl_test_write_tmp("bad.csv", bad, strlen(bad));
    assert_int_equal(xl_eval_external(bp, tpath, 1, 0, false, &row, &ignored, &err), -1);
    assert_non_null(strstr(err.msg, ":1: score"));
}

/* Metrics on a (user group, item group) subset, by hand: user 0 (group a) holds items 0 (group x) and
 * 1 (group y) out, user 1 (group b) item 0; lists u0 = [1, 0], u1 = [0, 1], K = 2. */
static void test_eval_lists_groups(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    xl_error err;
    assert_int_equal(xl_interactions_push(&x, 0, 0, 1, 0, &err), 0);
    assert_int_equal(xl_interactions_push(&x, 0, 1, 1, 0, &err), 0);
    assert_int_equal(xl_interactions_push(&x, 1, 0, 1, 0, &err), 0);
    xl_csr truth;
    assert_int_equal(xl_csr_build(&truth, &x, NULL, 0, 2, 2, false, &err), 0);
    const uint32_t lists[4] = {1, 0, 0, 1};
    char a[] = "a", b[] = "b", gx[] = "x", gy[] = "y";
    char *users[2] = {a, b}, *items[2] = {gx, gy};
    xl_eval_row row;
    /* a -> x: user 0 only, its relevant item 0 at rank 2 */
    assert_int_equal(xl_eval_lists_groups(lists, 2, 2, &truth, users, "a", items, "x", &row, &err), 0);
    assert_int_equal(row.n_users, 1);
    assert_close(row.rank.precision, 0.5, 1e-12);
    assert_close(row.rank.recall, 1.0, 1e-12);
    assert_close(row.rank.mrr, 0.5, 1e-12);
    assert_close(row.coverage, -1, 0);
    /* a -> y: item 1 at rank 1 */
    assert_int_equal(xl_eval_lists_groups(lists, 2, 2, &truth, users, "a", items, "y", &row, &err), 0);
    assert_close(row.rank.mrr, 1.0, 1e-12);
    /* b -> x: user 1, item 0 at rank 1; b -> y: nobody has a relevant item */
    assert_int_equal(xl_eval_lists_groups(lists, 2, 2, &truth, users, "b", items, "x", &row, &err), 0);
    assert_int_equal(row.n_users, 1);
    assert_close(row.rank.hit, 1.0, 1e-12);
    assert_int_equal(xl_eval_lists_groups(lists, 2, 2, &truth, users, "b", items, "y", &row, &err), 0);
    assert_int_equal(row.n_users, 0);
    xl_csr_free(&truth);
    xl_interactions_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_cutoff),
        cmocka_unit_test(test_k_larger_than_list),
        cmocka_unit_test(test_empty_relevance_and_repeats),
        cmocka_unit_test(test_tied_gains),
        cmocka_unit_test(test_map_two_users),
        cmocka_unit_test(test_rating_metrics_and_coverage),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_time_splits),
        cmocka_unit_test(test_eval_lists),
        cmocka_unit_test(test_eval_lists_groups),
        cmocka_unit_test(test_external),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
