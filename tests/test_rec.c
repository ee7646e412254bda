/* test_rec.c - recommender data structures, models, top-K and loaders
 * (src/rec/xl_rec_data.h, src/rec/xl_rec_model.h). */
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_bytes.h"
#include "xl_eval.h"
#include "xl_idmap.h"
#include "xl_io.h"
#include "xl_rec_data.h"
#include "xl_rec_model.h"
#include "xl_rng.h"

static void build(xl_csr *m, const xl_interactions *x, uint32_t nu, uint32_t ni)
{
    xl_error err;
    assert_int_equal(xl_csr_build(m, x, NULL, 0, nu, ni, false, &err), 0);
}

static void test_csr_and_dedupe(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    xl_error err;
    xl_interactions_push(&x, 1, 3, 5.0f, 10, &err);
    xl_interactions_push(&x, 0, 2, 1.0f, 10, &err);
    xl_interactions_push(&x, 1, 0, 2.0f, 10, &err);
    xl_interactions_push(&x, 1, 3, 4.0f, 5, &err);  /* older duplicate of row 0: dropped */
    xl_interactions_push(&x, 0, 2, 3.0f, 10, &err); /* same time, later row: wins */
    assert_int_equal(xl_rec_dedupe(&x, 2, &err), 2);
    assert_int_equal(x.n, 3);
    xl_csr m;
    build(&m, &x, 2, 4);
    assert_int_equal(m.ptr[1], 1);
    assert_int_equal(m.idx[0], 2);
    assert_close(m.val[0], 3.0, 0);
    assert_int_equal(m.idx[1], 0); /* row 1 sorted: 0, 3 */
    assert_int_equal(m.idx[2], 3);
    assert_close(m.val[2], 5.0, 0);
    assert_true(xl_csr_has(&m, 1, 3));
    assert_false(xl_csr_has(&m, 1, 2));
    xl_csr t;
    assert_int_equal(xl_csr_transpose(&m, &t, &err), 0);
    assert_int_equal(t.n_rows, 4);
    assert_int_equal(t.ptr[3] - t.ptr[2], 1);
    xl_csr_free(&t);
    xl_csr_free(&m);
    xl_interactions_free(&x);
}

static void test_idmap(void **state)
{
    (void)state;
    xl_idmap m;
    xl_idmap_init(&m);
    xl_error err;
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "id%d", i);
        bool added;
        assert_int_equal(xl_idmap_intern(&m, name, strlen(name), &added, &err), i);
        assert_true(added);
    }
    assert_int_equal(xl_idmap_find(&m, "id4321", 6), 4321);
    assert_int_equal(xl_idmap_find(&m, "id43210", 7), -1);
    assert_int_equal(xl_idmap_intern(&m, "id7", 3, NULL, &err), 7);
    xl_idmap_free(&m);
}

/* Baseline mu + b_u + b_i, one sweep by hand (reg_i = reg_u = 1):
 *   ratings u0:i0=5, u0:i1=3, u1:i0=4; mu = 4
 *   items first with b_u = 0: b_i0 = ((5-4)+(4-4))/(1+2) = 1/3, b_i1 = (3-4)/(1+1) = -1/2
 *   users: b_u0 = ((5-4-1/3)+(3-4+1/2))/(1+2) = 1/18, b_u1 = (4-4-1/3)/(1+1) = -1/6
 *   predict(u1, i1) = 4 - 1/6 - 1/2 = 3.333333 */
static void test_baseline_by_hand(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    xl_interactions_push(&x, 0, 0, 5, 0, NULL);
    xl_interactions_push(&x, 0, 1, 3, 0, NULL);
    xl_interactions_push(&x, 1, 0, 4, 0, NULL);
    xl_csr R;
    build(&R, &x, 2, 2);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.bias_reg_item = p.bias_reg_user = 1;
    p.bias_epochs = 1;
    xl_error err;
    xl_rec_model *m = xl_rec_fit(XL_REC_BASELINE, &p, &R, NULL, &err);
    assert_non_null(m);
    xl_rec_biases b;
    assert_int_equal(xl_rec_get_biases(m, &b), 0);
    assert_close(b.mu, 4.0, 1e-12);
    assert_close(b.b_item[0], 1.0 / 3.0, 1e-12);
    assert_close(b.b_item[1], -0.5, 1e-12);
    assert_close(b.b_user[0], 1.0 / 18.0, 1e-12);
    assert_close(b.b_user[1], -1.0 / 6.0, 1e-12);
    assert_close(xl_rec_predict(m, 1, 1), 4.0 - 1.0 / 6.0 - 0.5, 1e-6);
    xl_rec_free(m);
    /* converged: the objective never increases, and the user stationarity
     * condition b_u (reg + n_u) = sum (r - mu - b_i) holds */
    p.bias_epochs = 50;
    m = xl_rec_fit(XL_REC_BASELINE, &p, &R, NULL, &err);
    assert_non_null(m);
    int nt;
    const double *tr = xl_rec_objective_trace(m, &nt);
    assert_int_equal(nt, 50);
    for (int t = 1; t < nt; t++) assert_true(tr[t] <= tr[t - 1] + 1e-12);
    assert_int_equal(xl_rec_get_biases(m, &b), 0);
    assert_close(b.b_user[0] * 3, (5 - 4 - b.b_item[0]) + (3 - 4 - b.b_item[1]), 1e-9);
    xl_rec_free(m);
    /* global mean */
    m = xl_rec_fit(XL_REC_MEAN, &p, &R, NULL, &err);
    assert_close(xl_rec_predict(m, 0, 1), 4.0, 1e-12);
    assert_close(xl_rec_predict(m, 99, 99), 4.0, 1e-12); /* unknown ids: the mean */
    xl_rec_free(m);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* cosbias on 2-d item vectors v0 = (1,0), v1 = (.6,.8), v2 = (0,1).  Every
 * user rates two items, so the leave-one-out profile for one is the other:
 * s(pair of i0,i1) = .6, s(i1,i2) = .8, s(i0,i2) = 0.  After convergence the
 * gradient of  sum (r - s b_u b_i - c)^2 + l sum (b_u-1)^2 + l sum (b_i-1)^2
 * must vanish (computed here independently of the library). */
static void test_cosbias_stationary(void **state)
{
    (void)state;
    const float vec[] = {1, 0, 0.6f, 0.8f, 0, 1};
    xl_item_vectors iv;
    xl_error err;
    assert_int_equal(xl_item_vectors_from(&iv, vec, 3, 2, "t", &err), 0);
    const uint32_t pairs[][2] = {{0, 1}, {1, 2}, {0, 2}, {0, 1}, {1, 2}};
    const float ratings[][2] = {{4, 5}, {2, 3}, {5, 1}, {3, 3}, {4, 4}};
    xl_interactions x;
    xl_interactions_init(&x);
    for (uint32_t u = 0; u < 5; u++)
        for (int t = 0; t < 2; t++) xl_interactions_push(&x, u, pairs[u][t], ratings[u][t], 0, NULL);
    xl_csr R;
    build(&R, &x, 5, 3);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.cos_reg_user = p.cos_reg_item = 0.5;
    p.cos_epochs = 200;
    xl_rec_model *m = xl_rec_fit(XL_REC_COSBIAS, &p, &R, &iv, &err);
    assert_non_null(m);
    int nt;
    const double *tr = xl_rec_objective_trace(m, &nt);
    for (int t = 1; t < nt; t++) assert_true(tr[t] <= tr[t - 1] + 1e-9);
    xl_rec_biases b;
    assert_int_equal(xl_rec_get_biases(m, &b), 0);
    const double s_of[3][3] = {{0, .6, 0}, {.6, 0, .8}, {0, .8, 0}};
    double gc = 0, gu[5] = {0}, gi[3] = {0};
    for (uint32_t u = 0; u < 5; u++)
        for (int t = 0; t < 2; t++) {
            uint32_t i = pairs[u][t], o = pairs[u][1 - t];
            double s = s_of[i][o];
            double e = ratings[u][t] - s * b.b_user[u] * b.b_item[i] - b.mu;
            gc += -2 * e;
            gu[u] += -2 * e * s * b.b_item[i];
            gi[i] += -2 * e * s * b.b_user[u];
        }
    for (uint32_t u = 0; u < 5; u++) gu[u] += 2 * 0.5 * (b.b_user[u] - 1);
    for (uint32_t i = 0; i < 3; i++) gi[i] += 2 * 0.5 * (b.b_item[i] - 1);
    assert_close(gc, 0, 1e-6);
    for (uint32_t u = 0; u < 5; u++) assert_close(gu[u], 0, 1e-6);
    for (uint32_t i = 0; i < 3; i++) assert_close(gi[i], 0, 1e-6);
    /* a held-out prediction uses the full profile: user 1 (items 1,2, ratings
     * 2,3) -> p = (2 v1 + 3 v2)/5 = (.24, .92); cos with v0 = .24/|p| */
    double pn = sqrt(.24 * .24 + .92 * .92);
    assert_close(xl_rec_predict(m, 1, 0), (.24 / pn) * b.b_user[1] * b.b_item[0] + b.mu, 1e-5);
    /* explanation: contributions w_i cos(v_i, v0) / sum w = (2*.6/5, 3*0/5); the zero
     * contribution is no reason and is not listed (issue 17) */
    uint32_t items[2];
    float contrib[2];
    assert_int_equal(xl_rec_explain(m, 1, 0, 2, items, contrib), 1);
    assert_int_equal(items[0], 1);
    assert_close(contrib[0], 2 * 0.6 / 5, 1e-6);
    xl_rec_free(m);
    xl_csr_free(&R);
    xl_interactions_free(&x);
    xl_item_vectors_free(&iv);
}

/* Popularity: counts; top-K excludes seen items and breaks ties by index. */
static void test_popularity_topk(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    /* item 2: 3 users, item 0 and 1: 2 users, item 3: 0 */
    const uint32_t ui[][2] = {{0, 2}, {1, 2}, {2, 2}, {0, 0}, {1, 0}, {1, 1}, {2, 1}};
    for (size_t e = 0; e < 7; e++) xl_interactions_push(&x, ui[e][0], ui[e][1], 1, 0, NULL);
    xl_csr R;
    build(&R, &x, 3, 4);
    xl_rec_params p;
    xl_rec_params_default(&p);
    xl_error err;
    xl_rec_model *m = xl_rec_fit(XL_REC_POPULARITY, &p, &R, NULL, &err);
    uint32_t items[3 * 3];
    float scores[3 * 3];
    assert_int_equal(xl_rec_topk(m, NULL, NULL, 3, 3, 1, items, scores, &err), 0);
    assert_int_equal(items[0], 2);
    assert_int_equal(items[1], 0); /* tie 0/1: lower index first */
    assert_int_equal(items[2], 1);
    assert_close(scores[0], 3, 0);
    assert_int_equal(xl_rec_topk(m, &R, NULL, 3, 3, 2, items, scores, &err), 0);
    /* user 0 has seen 0 and 2: left 1, 3 and then padding */
    assert_int_equal(items[0], 1);
    assert_int_equal(items[1], 3);
    assert_int_equal(items[2], XL_REC_NONE);
    /* user 1 has seen 0, 1, 2 */
    assert_int_equal(items[3], 3);
    assert_int_equal(items[4], XL_REC_NONE);
    xl_rec_free(m);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* Item-kNN by hand: users {0: items 0,1}, {1: items 0,1,2}, {2: item 2}
 *   |U_0| = 2, |U_1| = 2, |U_2| = 2; co(0,1) = 2, co(0,2) = 1, co(1,2) = 1
 *   shrink 1: s01 = 2/(2+1) = 2/3, s02 = s12 = 1/(2+1) = 1/3
 *   user 2 (history {2}): score(0) = 1/3, score(1) = 1/3 */
static void test_itemknn_by_hand(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    const uint32_t ui[][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 2}};
    for (size_t e = 0; e < 6; e++) xl_interactions_push(&x, ui[e][0], ui[e][1], 1, 0, NULL);
    xl_csr R;
    build(&R, &x, 3, 3);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.knn_shrink = 1;
    p.pop_prior = 0; /* the raw neighbour sums (the default prior: test_pop_prior) */
    xl_error err;
    xl_rec_model *m = xl_rec_fit(XL_REC_ITEMKNN, &p, &R, NULL, &err);
    assert_non_null(m);
    float s[3];
    xl_rec_score(m, 2, s, NULL);
    assert_close(s[0], 1.0 / 3.0, 1e-6);
    assert_close(s[1], 1.0 / 3.0, 1e-6);
    assert_close(s[2], 0.0, 1e-6);
    xl_rec_score(m, 0, s, NULL);
    assert_close(s[2], 2.0 / 3.0, 1e-6); /* s02 + s12 */
    assert_close(s[0], 2.0 / 3.0, 1e-6); /* from item 1 */
    xl_rec_free(m);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* The popularity prior (--pop-prior C, issue 17): score = (1 - w_u) z(s) + w_u z(pop),
 * w_u = C / (C + n_u).  Users' items: u0 {0,1}, u1 {0,1}, u2 {0,2}, u3 {3}; popularity
 * (3, 2, 1, 1), z(pop) = (1.50755672, 0.30151134, -0.90453403, -0.90453403) (mean 1.75, sd
 * sqrt(0.6875)).  item-kNN, shrink 0: s01 = 2/sqrt6, s02 = 1/sqrt3, s12 = 0, item 3 no neighbour.
 *   u2 (n = 2), C = 1, w = 1/3: s = (1/sqrt3, 2/sqrt6, 1/sqrt3, 0), (2/3) z(s) + (1/3) z(pop) =
 *     (0.68990867, 0.81791182, -0.11412159, -1.3936989)
 *   u3 (n = 1), C = 1, w = 1/2: s = 0 (z = 0), so 0.5 z(pop)
 * ALS and BPR take the same blend; a huge C ranks every user as popularity does. */
static void test_pop_prior(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    const uint32_t ui[][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 2}, {3, 3}};
    for (size_t e = 0; e < 7; e++) xl_interactions_push(&x, ui[e][0], ui[e][1], 1, 0, NULL);
    xl_csr R;
    build(&R, &x, 4, 4);
    xl_rec_params p;
    xl_rec_params_default(&p);
    /* the default: each model's own, item-kNN 1, ALS 1 (docs/recommender.md "Fourth", "Sixth round") */
    assert_close(p.pop_prior, -1, 0);
    assert_close(xl_rec_default_pop_prior(XL_REC_ITEMKNN), 1, 0);
    assert_close(xl_rec_default_pop_prior(XL_REC_ALS), 1, 0);
    assert_close(xl_rec_default_pop_prior(XL_REC_BPR), 0, 0);
    assert_close(xl_rec_default_pop_prior(XL_REC_POPULARITY), 0, 0);
    p.knn_shrink = 0;
    p.threads = 1;
    p.factors = 2;
    p.als_iters = 3;
    p.bpr_epochs = 5;
    xl_error err;
    xl_rec_model *m = xl_rec_fit(XL_REC_ITEMKNN, &p, &R, NULL, &err); /* C = 1 by default */
    assert_non_null(m);
    float s[4];
    const double want2[4] = {0.68990867, 0.81791182, -0.11412159, -1.3936989};
    const double want3[4] = {0.75377836, 0.15075567, -0.45226702, -0.45226702};
    xl_rec_score(m, 2, s, NULL);
    for (size_t j = 0; j < 4; j++) assert_close(s[j], want2[j], 1e-6);
    xl_rec_score(m, 3, s, NULL);
    for (size_t j = 0; j < 4; j++) assert_close(s[j], want3[j], 1e-6);
    /* top-K reports the same blended scores: u3's unseen items 0, 1, 2 in popularity order */
    uint32_t it[4 * 3];
    float sc[4 * 3];
    assert_int_equal(xl_rec_topk(m, &R, NULL, 4, 3, 1, it, sc, &err), 0);
    assert_int_equal(it[9], 0);
    assert_int_equal(it[10], 1);
    assert_int_equal(it[11], 2);
    assert_close(sc[9], want3[0], 1e-6);
    assert_close(sc[3 * 2], want2[1], 1e-6); /* u2: item 1 first */
    xl_rec_free(m);
    /* C huge: w_u = 1 to float precision, every model lists as popularity does */
    p.pop_prior = 1e9;
    xl_rec_model *pop = xl_rec_fit(XL_REC_POPULARITY, &p, &R, NULL, &err);
    uint32_t want[4 * 3];
    assert_int_equal(xl_rec_topk(pop, &R, NULL, 4, 3, 1, want, sc, &err), 0);
    const xl_rec_kind kinds[] = {XL_REC_ITEMKNN, XL_REC_ALS, XL_REC_BPR};
    for (size_t q = 0; q < 3; q++) {
        m = xl_rec_fit(kinds[q], &p, &R, NULL, &err);
        assert_non_null(m);
        assert_int_equal(xl_rec_topk(m, &R, NULL, 4, 3, 2, it, sc, &err), 0);
        assert_memory_equal(it, want, sizeof want);
        xl_rec_free(m);
    }
    xl_rec_free(pop);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* Model files: format version 2 stores the popularity prior (the 17th f64 of the params), version 3
 * then als_neg_exp, als_reg_exp, als_item_bias and als_reg_user; a version 2 file (the same bytes
 * without the last four) still loads, as 0, and a version 1 file (without pop_prior too), as
 * pop_prior 0.  Layout (src/rec/xl_rec_file.c): 40-byte header; u32 n_users, u32 n_items; ids
 * (u32 length + bytes); u32 kind, u64 f, f64 mu, f64 alpha, u64 seed, 10 x u64, then the f64
 * params, pop_prior 17th. */
static void test_model_file_pop_prior(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    const uint32_t ui[][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 2}};
    for (size_t e = 0; e < 4; e++) xl_interactions_push(&x, ui[e][0], ui[e][1], 1, 0, NULL);
    xl_csr R;
    build(&R, &x, 2, 3);
    xl_error err;
    xl_idmap users, items;
    xl_idmap_init(&users);
    xl_idmap_init(&items);
    const char *const names[] = {"u0", "u1", "a", "b", "c"};
    for (size_t q = 0; q < 5; q++)
        assert_true(xl_idmap_intern(q < 2 ? &users : &items, names[q], strlen(names[q]), NULL, &err) >= 0);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.pop_prior = 2.5;
    p.threads = 1;
    xl_rec_model *m = xl_rec_fit(XL_REC_ITEMKNN, &p, &R, NULL, &err);
    assert_non_null(m);
    char path[1024];
    snprintf(path, sizeof path, "%s", xl_test_tmp_path("pp.xlrec"));
    assert_int_equal(xl_rec_save(m, &users, &items, path, &err), 0);
    char *data;
    size_t len;
    assert_int_equal(xl_read_file(path, 1 << 20, &data, &len, &err), 0);
    remove(path);
    unsigned char *b = (unsigned char *)data;
    assert_int_equal(xl_le_u32(b + 8), 3);
    const size_t ids = 2 * (4 + 2) + 3 * (4 + 1);
    const size_t at = 40 + 8 + ids + 4 + 8 + 8 + 8 + 8 + 10 * 8 + 16 * 8; /* pop_prior */
    assert_close(xl_le_f64(b + at), 2.5, 0);
    assert_close(xl_le_f64(b + at + 8), 0, 0);  /* als_neg_exp */
    assert_close(xl_le_f64(b + at + 16), 0, 0); /* als_reg_exp */
    assert_close(xl_le_f64(b + at + 24), 0, 0); /* als_item_bias */
    assert_close(xl_le_f64(b + at + 32), 0, 0); /* als_reg_user */
    xl_rec_model *l = NULL;
    xl_idmap lu, li;
    xl_idmap_init(&lu);
    xl_idmap_init(&li);
    float s1[3], s2[3];
    assert_int_equal(xl_rec_load_model_memory(data, len, "v3", &l, &lu, &li, &err), 0);
    xl_rec_score(m, 1, s1, NULL);
    xl_rec_score(l, 1, s2, NULL);
    assert_memory_equal(s1, s2, sizeof s1); /* the prior came back */
    xl_rec_free(l);
    xl_idmap_free(&lu);
    xl_idmap_free(&li);
    /* the version 2 form: drop the four ALS fields, fix version, payload size and checksum */
    memmove(b + at + 8, b + at + 40, len - at - 40);
    len -= 32;
    xl_le_put_u32(b + 8, 2);
    xl_le_put_u64(b + 24, len - 40);
    xl_le_put_u64(b + 32, xl_fnv1a64(b + 40, len - 40));
    xl_idmap_init(&lu);
    xl_idmap_init(&li);
    assert_int_equal(xl_rec_load_model_memory(data, len, "v2", &l, &lu, &li, &err), 0);
    xl_rec_score(l, 1, s2, NULL);
    assert_memory_equal(s1, s2, sizeof s1);
    xl_rec_free(l);
    xl_idmap_free(&lu);
    xl_idmap_free(&li);
    /* the version 1 form: drop pop_prior's 8 bytes too */
    memmove(b + at, b + at + 8, len - at - 8);
    len -= 8;
    xl_le_put_u32(b + 8, 1);
    xl_le_put_u64(b + 24, len - 40);
    xl_le_put_u64(b + 32, xl_fnv1a64(b + 40, len - 40));
    xl_idmap_init(&lu);
    xl_idmap_init(&li);
    assert_int_equal(xl_rec_load_model_memory(data, len, "v1", &l, &lu, &li, &err), 0);
    xl_rec_model *m0 = NULL;
    p.pop_prior = 0;
    m0 = xl_rec_fit(XL_REC_ITEMKNN, &p, &R, NULL, &err);
    xl_rec_score(m0, 1, s1, NULL);
    xl_rec_score(l, 1, s2, NULL);
    assert_memory_equal(s1, s2, sizeof s1); /* read as pop_prior 0 */
    xl_rec_free(l);
    xl_rec_free(m0);
    xl_idmap_free(&lu);
    xl_idmap_free(&li);
    /* a version beyond this reader's: refused with the range it reads */
    xl_le_put_u32(b + 8, 4);
    xl_idmap_init(&lu);
    xl_idmap_init(&li);
    assert_int_equal(xl_rec_load_model_memory(data, len, "v4", &l, &lu, &li, &err), -1);
    assert_non_null(strstr(err.msg, "reads versions 1 to 3"));
    xl_idmap_free(&lu);
    xl_idmap_free(&li);
    free(data);
    xl_rec_free(m);
    xl_idmap_free(&users);
    xl_idmap_free(&items);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* ALS with popularity-weighted missing data (als_neg_exp, He et al. 2016) and frequency-weighted
 * penalties (als_reg_exp, Zhou et al. 2008), src/rec/xl_rec_als.c.  Users' items: u0 {0,1},
 * u1 {0,2}, u2 {0,1,3}, u3 {0,4}, u4 {1,2}, u5 {0}: training users per item n = (5,3,2,1,1).
 * 1. The fit ends with a user solve, so every x_u is the exact minimiser of
 *      sum_i W_ui (p_ui - x_u.y_i)^2 + lambda n_u^v |x_u|^2,
 *    W_ui = 1 + alpha on u's items and w_i = 5 (1 + n_i)^e / sum_j (1 + n_j)^e elsewhere:
 *    A x_u = b with A = sum_i W_ui y_i y_i' + lambda n_u^v I, b = (1 + alpha) sum_{i in I_u} y_i,
 *    built here densely over all items from those weights (not from the solver's
 *    Gram-plus-correction form).
 * 2. Fold-in of each training user's own history gives back its fitted scores, also after save
 *    and load (the weights come from the loaded model's training counts).
 *    Checked for the plain Hu et al. fit (e = 0, v = 0: W = 1 off I_u), for e = 0.5, v = 1, and
 *    for that with the item bias (als_item_bias: score x_u.y_i + b_i as a 4th column, x_u's = 1;
 *    the stationarity holds in x_u's three free entries).
 * 3. Every item equally popular: the weights are all 1, and the fit is the uniform one.
 * 4. The defaults are e = 0, v = 0. */
static void test_als_missing_weights(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    const uint32_t ui[][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 2}, {2, 0}, {2, 1}, {2, 3}, {3, 0}, {3, 4}, {4, 1}, {4, 2}, {5, 0}};
    const size_t n_pairs = sizeof ui / sizeof ui[0];
    for (size_t e = 0; e < n_pairs; e++) xl_interactions_push(&x, ui[e][0], ui[e][1], 1, 0, NULL);
    xl_csr R;
    build(&R, &x, 6, 5);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.threads = 1;
    p.factors = 3;
    p.als_iters = 4;
    p.als_alpha = 10;
    p.als_reg = 0.5;
    p.pop_prior = 0; /* the factor scores themselves */
    xl_error err;
    const double ev[3][3] = {{0, 0, 0}, {0.5, 1, 0}, {0.5, 1, 1}}; /* (e, v, item bias); the last goes on */
    xl_rec_model *m = NULL;
    for (size_t t = 0; t < 3; t++) {
        p.als_neg_exp = ev[t][0];
        p.als_reg_exp = ev[t][1];
        p.als_item_bias = ev[t][2] != 0;
        xl_rec_free(m);
        m = xl_rec_fit(XL_REC_ALS, &p, &R, NULL, &err);
        assert_non_null(m);
        xl_rec_factors fa;
        assert_int_equal(xl_rec_get_factors(m, &fa), 0);
        const size_t ff = ev[t][2] != 0 ? 4 : 3; /* the bias: a 4th column, x_u's fixed at 1 */
        assert_int_equal(fa.f, ff);
        /* 1. stationarity of every user solve */
        const double n_item[5] = {5, 3, 2, 1, 1};
        double w[5], sum = 0;
        for (size_t i = 0; i < 5; i++) sum += (w[i] = pow(1 + n_item[i], ev[t][0]));
        for (size_t i = 0; i < 5; i++) w[i] *= 5 / sum;
        if (t == 1) assert_true(w[0] > 1 && w[4] < 1); /* popular items' missing pairs weigh more */
        for (uint32_t u = 0; u < 6; u++) {
            double A[16] = {0}, b[4] = {0}, Ax[4] = {0}, nu = 0;
            if (ff == 4) assert_true(fa.P[u * ff + 3] == 1.0f);
            for (size_t i = 0; i < 5; i++) {
                bool obs = false;
                for (size_t e = 0; e < n_pairs; e++) obs |= ui[e][0] == u && ui[e][1] == i;
                nu += obs;
                double W = obs ? 11.0 : w[i];
                const float *y = fa.Q + i * ff;
                for (size_t a = 0; a < ff; a++) {
                    for (size_t c = 0; c < ff; c++) A[a * ff + c] += W * y[a] * y[c];
                    if (obs) b[a] += 11.0 * y[a];
                }
            }
            /* the gradient in x_u's free entries (the bias's fixed 1 has none): A x~ = b in rows 0..2 */
            for (size_t a = 0; a < 3; a++) A[a * ff + a] += 0.5 * pow(nu, ev[t][1]); /* lambda n_u^v */
            for (size_t a = 0; a < 3; a++)
                for (size_t c = 0; c < ff; c++) Ax[a] += A[a * ff + c] * fa.P[u * ff + c];
            assert_allclose_f64(Ax, b, 3, 1e-4, 1e-4);
        }
    }
    /* 2. fold-in of the training histories, from the fitted and from a saved and loaded model */
    xl_idmap users, items;
    xl_idmap_init(&users);
    xl_idmap_init(&items);
    char name[8];
    for (size_t q = 0; q < 11; q++) {
        snprintf(name, sizeof name, "%c%zu", q < 6 ? 'u' : 'i', q < 6 ? q : q - 6);
        assert_true(xl_idmap_intern(q < 6 ? &users : &items, name, strlen(name), NULL, &err) >= 0);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s", xl_test_tmp_path("als_w.xlrec"));
    assert_int_equal(xl_rec_save(m, &users, &items, path, &err), 0);
    xl_rec_model *l = NULL;
    xl_idmap lu, li;
    xl_idmap_init(&lu);
    xl_idmap_init(&li);
    assert_int_equal(xl_rec_load_model(path, &l, &lu, &li, &err), 0);
    remove(path);
    xl_rec_model *fm = xl_rec_fold_in(m, &R, &err), *fl = xl_rec_fold_in(l, &R, &err);
    assert_non_null(fm);
    assert_non_null(fl);
    for (uint32_t u = 0; u < 6; u++) {
        float s[5], sf[5], sl[5];
        xl_rec_score(m, u, s, NULL);
        xl_rec_score(fm, u, sf, NULL);
        xl_rec_score(fl, u, sl, NULL);
        assert_allclose(sf, s, 5, 1e-5, 1e-5);
        assert_memory_equal(sl, sf, sizeof sf); /* the loaded model folds in exactly as the fitted one */
    }
    xl_rec_free(fm);
    xl_rec_free(fl);
    xl_rec_free(l);
    xl_idmap_free(&lu);
    xl_idmap_free(&li);
    xl_idmap_free(&users);
    xl_idmap_free(&items);
    xl_rec_free(m);
    /* 3. every item with 2 users: weights 1 (up to rounding), the same fit as the uniform one */
    xl_interactions y;
    xl_interactions_init(&y);
    const uint32_t bal[][2] = {{0, 0}, {0, 1}, {1, 1}, {1, 2}, {2, 2}, {2, 3}, {3, 3}, {3, 0}};
    for (size_t e = 0; e < 8; e++) xl_interactions_push(&y, bal[e][0], bal[e][1], 1, 0, NULL);
    xl_csr B;
    build(&B, &y, 4, 4);
    p.als_reg_exp = 0;
    xl_rec_params uni = p;
    uni.als_neg_exp = 0;
    xl_rec_model *a = xl_rec_fit(XL_REC_ALS, &p, &B, NULL, &err), *c = xl_rec_fit(XL_REC_ALS, &uni, &B, NULL, &err);
    assert_non_null(a);
    assert_non_null(c);
    for (uint32_t u = 0; u < 4; u++) {
        float sa[4], sc[4];
        xl_rec_score(a, u, sa, NULL);
        xl_rec_score(c, u, sc, NULL);
        assert_allclose(sa, sc, 4, 1e-5, 1e-5);
    }
    xl_rec_free(a);
    xl_rec_free(c);
    /* 4. the defaults: uniform weights, plain penalty */
    xl_rec_params d;
    xl_rec_params_default(&d);
    assert_close(d.als_neg_exp, 0, 0);
    assert_close(d.als_reg_exp, 0, 0);
    assert_false(d.als_item_bias);
    xl_csr_free(&B);
    xl_interactions_free(&y);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* Similar items by hand.  Users' items: u0 {0,1}, u1 {0,1,2}, u2 {1,2}, u3 {0,3}; columns
 * U_0 = {u0,u1,u3}, U_1 = {u0,u1,u2}, U_2 = {u1,u2}, U_3 = {u3}.  item-kNN, shrink 0:
 *   s_01 = 2/(sqrt3 sqrt3) = 2/3, s_03 = 1/sqrt3, s_02 = 1/(sqrt3 sqrt2) = 1/sqrt6
 *   s_12 = 2/(sqrt3 sqrt2) = 2/sqrt6, s_10 = 2/3, s_13 = 0 (no common user: not a neighbour)
 *   s_30 = 1/sqrt3 only.
 * content, vectors v0 = (1,0), v1 = (0,1), v2 = (1,1), v3 = (3,1) (normalised on load):
 *   cos(v0, v3) = 3/sqrt10, cos(v0, v2) = 1/sqrt2, cos(v0, v1) = 0. */
/* Issue 17: a user without training history (all of their interactions after a global time cut)
 * used to get all-zero scores, i.e. items in index order; every collaborative and content model
 * now ranks them by popularity.  Training users per item: 0:1, 1:2, 2:0, 3:3, 4:2, so the list
 * is 3, 1, 4, 0, 2 (ties by the lower index), for the empty user 4 and for user 5 beyond the
 * model, and a user with history keeps the model's own ranking. */
static void test_no_history_ranks_by_popularity(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    const uint32_t ui[][2] = {{0, 3}, {0, 1}, {1, 3}, {1, 4}, {2, 3}, {2, 1}, {2, 0}, {3, 4}};
    for (size_t e = 0; e < 8; e++) xl_interactions_push(&x, ui[e][0], ui[e][1], 1, 0, NULL);
    xl_csr R;
    build(&R, &x, 5, 5);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.factors = 2;
    p.bpr_epochs = 5;
    p.als_iters = 3;
    p.hybrid_cf = XL_REC_ITEMKNN;
    p.threads = 1;
    const float vec[] = {1, 0, 0, 1, 1, 1, 3, 1, 0.5f, 2};
    xl_item_vectors iv;
    xl_error err;
    assert_int_equal(xl_item_vectors_from(&iv, vec, 5, 2, "v", &err), 0);
    const xl_rec_kind kinds[] = {XL_REC_ITEMKNN, XL_REC_ALS, XL_REC_BPR, XL_REC_CONTENT, XL_REC_COSBIAS, XL_REC_HYBRID};
    const uint32_t users[] = {4, 5, 3};
    const uint32_t want[5] = {3, 1, 4, 0, 2};
    for (size_t q = 0; q < sizeof kinds / sizeof *kinds; q++) {
        xl_rec_model *m = xl_rec_fit(kinds[q], &p, &R, &iv, &err);
        assert_non_null(m);
        uint32_t it[15];
        float sc[15];
        assert_int_equal(xl_rec_topk(m, &R, users, 3, 5, 1, it, sc, &err), 0);
        for (size_t t = 0; t < 5; t++) {
            if (it[t] != want[t] || it[5 + t] != want[t])
                fail_msg("%s: rank %zu: items %u and %u, want %u", xl_rec_kind_name(kinds[q]), t, it[t], it[5 + t],
                         want[t]);
            assert_close(sc[t], (double)(want[t] == 3 ? 3 : want[t] == 0 ? 1 : want[t] == 2 ? 0 : 2), 0);
        }
        assert_int_equal(it[10 + 4], XL_REC_NONE); /* user 3: item 4 is in the history, 4 items listed */
        assert_true(it[10] != 4);
        if (kinds[q] == XL_REC_ITEMKNN) assert_int_equal(it[10], 3); /* the only neighbour of item 4 first */
        xl_rec_free(m);
    }
    /* popularity itself gives the same list */
    xl_rec_model *m = xl_rec_fit(XL_REC_POPULARITY, &p, &R, NULL, &err);
    uint32_t it[5];
    float sc[5];
    assert_int_equal(xl_rec_topk(m, &R, users, 1, 5, 1, it, sc, &err), 0);
    for (size_t t = 0; t < 5; t++) assert_int_equal(it[t], want[t]);
    xl_rec_free(m);
    xl_item_vectors_free(&iv);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* Every ALS user factor solves the user step of Hu et al. (2008) against the final item factors
 * (the fit ends with a user step): (Q'Q + lambda I + sum_{i in I_u} alpha q_i q_i') p_u = (1 + alpha)
 * sum_{i in I_u} q_i, checked by hand in double.  With 16 factors, users with at most 4 items take
 * the Woodbury solve (als_row_woodbury) and the others the full Cholesky solve; both must satisfy it,
 * and a fold-in of each history gives the same factors. */
static void test_als_user_step_exact(void **state)
{
    (void)state;
    const uint32_t nu = 12, ni = 10;
    xl_interactions x;
    xl_interactions_init(&x);
    xl_rng rng;
    xl_rng_seed(&rng, 5, 1);
    for (uint32_t u = 0; u < nu; u++) {
        uint32_t n = u < 6 ? 1 + u % 4 : 6 + u % 3; /* six short histories (1-4 items), six long (6-8) */
        for (uint32_t k = 0; k < n; k++) xl_interactions_push(&x, u, (u * 3 + k * 7 + xl_rng_u32(&rng) % 2) % ni, 1, 0, NULL);
    }
    xl_csr R;
    build(&R, &x, nu, ni);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.threads = 1;
    p.factors = 16;
    p.als_iters = 3;
    p.pop_prior = 0;
    p.als_alpha = 10;
    p.als_reg = 0.5;
    xl_error err;
    xl_rec_model *m = xl_rec_fit(XL_REC_ALS, &p, &R, NULL, &err);
    assert_non_null(m);
    xl_rec_factors fa;
    assert_int_equal(xl_rec_get_factors(m, &fa), 0);
    size_t f = fa.f;
    assert_int_equal(f, 16);
    double G[16 * 16], A[16 * 16], b[16];
    for (size_t a = 0; a < f; a++)
        for (size_t c = 0; c < f; c++) {
            double s = 0;
            for (size_t i = 0; i < ni; i++) s += (double)fa.Q[i * f + a] * fa.Q[i * f + c];
            G[a * f + c] = s;
        }
    size_t short_rows = 0;
    for (uint32_t u = 0; u < nu; u++) {
        memcpy(A, G, sizeof A);
        memset(b, 0, sizeof b);
        for (size_t a = 0; a < f; a++) A[a * f + a] += p.als_reg;
        for (size_t k = R.ptr[u]; k < R.ptr[u + 1]; k++) {
            const float *q = fa.Q + (size_t)R.idx[k] * f;
            for (size_t a = 0; a < f; a++) {
                for (size_t c = 0; c < f; c++) A[a * f + c] += p.als_alpha * q[a] * q[c];
                b[a] += (1 + p.als_alpha) * q[a];
            }
        }
        short_rows += R.ptr[u + 1] - R.ptr[u] <= 4;
        double res = 0, scale = 0;
        for (size_t a = 0; a < f; a++) {
            double s = -b[a];
            for (size_t c = 0; c < f; c++) s += A[a * f + c] * fa.P[u * f + c];
            res = fmax(res, fabs(s));
            scale = fmax(scale, fabs(b[a]));
        }
        if (res > 1e-5 * scale) print_error("user %u: residual %g of scale %g\n", u, res, scale);
        assert_true(res <= 1e-5 * scale);
    }
    assert_true(short_rows >= 4); /* the Woodbury path was exercised */
    /* fold-in of the same histories: the same factors (the same solves) */
    xl_rec_model *fm = xl_rec_fold_in(m, &R, &err);
    assert_non_null(fm);
    xl_rec_factors ff;
    assert_int_equal(xl_rec_get_factors(fm, &ff), 0);
    assert_allclose(ff.P, fa.P, nu * f, 1e-6, 1e-6);
    xl_rec_free(fm);
    xl_rec_free(m);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* --factors 0 (the default) means each model's own latent dimension (docs/recommender.md "Third
 * round", "Sixth round"): ALS 64, BPR 100, MF 100; a fit with 0 equals the fit with that value given. */
static void test_default_factors(void **state)
{
    (void)state;
    xl_rec_params p;
    xl_rec_params_default(&p);
    assert_int_equal(p.factors, 0);
    assert_int_equal(p.bpr_epochs, 300);
    assert_int_equal(p.hybrid_cf, XL_REC_ITEMKNN); /* as `xlrec run`'s cf (issue 17) */
    assert_int_equal(xl_rec_default_factors(XL_REC_ALS), 64);
    assert_int_equal(xl_rec_default_factors(XL_REC_BPR), 100);
    assert_int_equal(xl_rec_default_factors(XL_REC_MF), 100);
    assert_int_equal(xl_rec_default_factors(XL_REC_ITEMKNN), 0);
    xl_interactions x;
    xl_interactions_init(&x);
    const uint32_t ui[][2] = {{0, 3}, {0, 1}, {1, 3}, {1, 4}, {2, 3}, {2, 1}, {2, 0}, {3, 4}, {3, 2}};
    for (size_t e = 0; e < 9; e++) xl_interactions_push(&x, ui[e][0], ui[e][1], 1, 0, NULL);
    xl_csr R;
    build(&R, &x, 4, 5);
    p.threads = 1;
    p.als_iters = 2;
    p.bpr_epochs = 3;
    p.epochs = 2;
    const xl_rec_kind kinds[] = {XL_REC_ALS, XL_REC_BPR, XL_REC_MF};
    xl_error err;
    for (size_t q = 0; q < 3; q++) {
        xl_rec_params given = p;
        given.factors = xl_rec_default_factors(kinds[q]);
        xl_rec_model *a = xl_rec_fit(kinds[q], &p, &R, NULL, &err), *b = xl_rec_fit(kinds[q], &given, &R, NULL, &err);
        assert_non_null(a);
        assert_non_null(b);
        float sa[5], sb[5];
        for (uint32_t u = 0; u < 4; u++) {
            xl_rec_score(a, u, sa, NULL);
            xl_rec_score(b, u, sb, NULL);
            assert_memory_equal(sa, sb, sizeof sa);
        }
        xl_rec_free(a);
        xl_rec_free(b);
    }
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* xl_eval_hybrid_alpha, the one weight search of eval and run (issue 17): the chosen blend is never
 * below either part on validation, alpha = 1 is the CF part's NDCG and alpha = 0 the content
 * part's; with no validation item (every user has one interaction, which stays in training)
 * alpha is 0.5 and the NDCGs -1. */
static void test_hybrid_alpha_search(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    xl_rng rng;
    xl_rng_seed(&rng, 7, 1);
    for (uint32_t u = 0; u < 24; u++) /* two taste groups over 12 items, 5 items each */
        for (uint32_t t = 0; t < 5; t++)
            xl_interactions_push(&x, u, (u % 2) * 6 + xl_rng_below(&rng, 6), 1, 0, NULL);
    xl_error err;
    xl_rec_dedupe(&x, 24, &err);
    xl_csr R;
    build(&R, &x, 24, 12);
    float vec[12 * 2];
    for (int i = 0; i < 12; i++) {
        vec[2 * i] = i < 6 ? 1.0f : 0.2f;
        vec[2 * i + 1] = i < 6 ? 0.1f * (float)i : 1.0f;
    }
    xl_item_vectors iv;
    assert_int_equal(xl_item_vectors_from(&iv, vec, 12, 2, "v", &err), 0);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.threads = 1;
    xl_eval_hybrid_config hc = {0.4, 42, 3, 0, 1};
    xl_eval_hybrid_choice ch;
    assert_int_equal(xl_eval_hybrid_alpha(&R, 24, 12, &p, &iv, &hc, &ch, &err), 0);
    assert_true(ch.n_users > 0);
    assert_true(ch.alpha >= 0 && ch.alpha <= 1);
    assert_true(ch.ndcg >= ch.ndcg_cf && ch.ndcg >= ch.ndcg_content);
    assert_true(ch.ndcg_cf >= 0 && ch.ndcg_content >= 0);
    /* the search lists all 11 weights in one pass (xl_rec_hybrid_topk_alphas): each list is bit for
     * bit the plain top-K at that weight, on 1 and on 3 threads (24 users: blocks of 8 and a
     * user with no history: user 24 is beyond the model and ranks by popularity) */
    xl_rec_model *hm = xl_rec_fit(XL_REC_HYBRID, &p, &R, &iv, &err);
    assert_non_null(hm);
    double alphas[11];
    for (int q = 0; q <= 10; q++) alphas[q] = q / 10.0;
    uint32_t users[25], it_all[11 * 25 * 3], it1[25 * 3];
    float sc_all[11 * 25 * 3], sc1[25 * 3];
    for (uint32_t u = 0; u < 25; u++) users[u] = 24 - u;
    for (int threads = 1; threads <= 3; threads += 2) {
        assert_int_equal(xl_rec_hybrid_topk_alphas(hm, &R, users, 25, 3, alphas, 11, threads, it_all, sc_all, &err), 0);
        for (int q = 0; q <= 10; q++) {
            xl_rec_set_hybrid_alpha(hm, alphas[q]);
            assert_int_equal(xl_rec_topk(hm, &R, users, 25, 3, 1, it1, sc1, &err), 0);
            assert_memory_equal(it_all + q * 25 * 3, it1, sizeof it1);
            assert_memory_equal(sc_all + q * 25 * 3, sc1, sizeof sc1);
        }
    }
    assert_int_equal(xl_rec_hybrid_topk_alphas(hm, &R, users, 25, 3, alphas, 0, 1, it_all, sc_all, &err), 0);
    xl_rec_model *km = xl_rec_fit(XL_REC_ITEMKNN, &p, &R, NULL, &err);
    assert_int_equal(xl_rec_hybrid_topk_alphas(km, &R, users, 25, 3, alphas, 11, 1, it_all, sc_all, &err), -1);
    xl_rec_free(km);
    xl_rec_free(hm);
    xl_csr_free(&R);
    xl_interactions_free(&x);
    /* one interaction per user: nothing to validate on */
    xl_interactions_init(&x);
    for (uint32_t u = 0; u < 6; u++) xl_interactions_push(&x, u, u % 4, 1, 0, NULL);
    build(&R, &x, 6, 12);
    assert_int_equal(xl_eval_hybrid_alpha(&R, 6, 12, &p, &iv, &hc, &ch, &err), 0);
    assert_close(ch.alpha, 0.5, 0);
    assert_close(ch.ndcg, -1, 0);
    assert_close(ch.ndcg_cf, -1, 0);
    assert_close(ch.ndcg_content, -1, 0);
    assert_int_equal(ch.n_users, 0);
    xl_csr_free(&R);
    xl_interactions_free(&x);
    xl_item_vectors_free(&iv);
}

static void test_similar_items(void **state)
{
    (void)state;
    xl_interactions x;
    xl_interactions_init(&x);
    const uint32_t ui[][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 0}, {3, 3}};
    for (size_t e = 0; e < 9; e++) xl_interactions_push(&x, ui[e][0], ui[e][1], 1, 0, NULL);
    xl_csr R;
    build(&R, &x, 4, 4);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.knn_shrink = 0;
    xl_error err;
    xl_rec_model *m = xl_rec_fit(XL_REC_ITEMKNN, &p, &R, NULL, &err);
    assert_non_null(m);
    const uint32_t q[] = {0, 1, 3};
    uint32_t it[9];
    float sc[9];
    assert_int_equal(xl_rec_similar_topk(m, q, 3, 3, it, sc, &err), 0);
    const uint32_t want_it[9] = {1, 3, 2, 2, 0, XL_REC_NONE, 0, XL_REC_NONE, XL_REC_NONE};
    const double want_sc[9] = {2.0 / 3.0, 1 / sqrt(3.0), 1 / sqrt(6.0), 2 / sqrt(6.0), 2.0 / 3.0, 0, 1 / sqrt(3.0), 0, 0};
    for (size_t t = 0; t < 9; t++) {
        assert_int_equal(it[t], want_it[t]);
        assert_close(sc[t], want_sc[t], 1e-6);
    }
    xl_rec_free(m);
    /* content: cosine of the item vectors, the item itself never listed */
    const float vec[] = {1, 0, 0, 1, 1, 1, 3, 1};
    xl_item_vectors iv;
    assert_int_equal(xl_item_vectors_from(&iv, vec, 4, 2, "v", &err), 0);
    m = xl_rec_fit(XL_REC_CONTENT, &p, &R, &iv, &err);
    assert_non_null(m);
    assert_int_equal(xl_rec_similar_topk(m, q, 1, 4, it, sc, &err), 0);
    const uint32_t want_c[4] = {3, 2, 1, XL_REC_NONE};
    const double want_cs[4] = {3 / sqrt(10.0), 1 / sqrt(2.0), 0, 0};
    for (size_t t = 0; t < 4; t++) {
        assert_int_equal(it[t], want_c[t]);
        assert_close(sc[t], want_cs[t], 1e-6);
    }
    xl_rec_free(m);
    /* ALS on two blocks of co-liked items (users 0-2 like items 0, 1; users 3-5 like 2, 3): each
     * item's nearest factor row is its block partner, and the similarity is symmetric */
    xl_interactions y;
    xl_interactions_init(&y);
    for (uint32_t u = 0; u < 6; u++)
        for (uint32_t i = 0; i < 2; i++) xl_interactions_push(&y, u, (u < 3 ? 0 : 2) + i, 1, 0, NULL);
    xl_csr B;
    build(&B, &y, 6, 4);
    p.factors = 4;
    m = xl_rec_fit(XL_REC_ALS, &p, &B, NULL, &err);
    assert_non_null(m);
    const uint32_t all[] = {0, 1, 2, 3};
    uint32_t ai[4];
    float as[4];
    assert_int_equal(xl_rec_similar_topk(m, all, 4, 1, ai, as, &err), 0);
    assert_int_equal(ai[0], 1);
    assert_int_equal(ai[1], 0);
    assert_int_equal(ai[2], 3);
    assert_int_equal(ai[3], 2);
    float s0[4], s1[4];
    assert_int_equal(xl_rec_similar(m, 0, s0, NULL, &err), 0);
    assert_int_equal(xl_rec_similar(m, 2, s1, NULL, &err), 0);
    assert_true(s0[0] != s0[0]); /* NaN: the item itself */
    assert_close(s0[2], s1[0], 1e-6);
    assert_true(s0[1] <= 1.0f + 1e-6f && s0[1] > s0[2]);
    xl_rec_free(m);
    /* popularity has no item representation */
    m = xl_rec_fit(XL_REC_POPULARITY, &p, &B, NULL, &err);
    assert_non_null(m);
    assert_int_equal(xl_rec_similar_topk(m, all, 1, 2, ai, as, &err), -1);
    assert_non_null(strstr(err.msg, "no item representation"));
    xl_rec_free(m);
    xl_item_vectors_free(&iv);
    xl_csr_free(&B);
    xl_csr_free(&R);
    xl_interactions_free(&x);
    xl_interactions_free(&y);
}

/* A random implicit data set for the factor models. */
static void random_data(xl_interactions *x, uint32_t nu, uint32_t ni, size_t per_user, uint64_t seed)
{
    xl_interactions_init(x);
    xl_rng r;
    xl_rng_seed(&r, seed, 0);
    for (uint32_t u = 0; u < nu; u++) {
        /* users prefer items in their "group" (u % 4): a learnable structure */
        for (size_t t = 0; t < per_user; t++) {
            uint32_t i = (xl_rng_below(&r, ni / 4) * 4 + u % 4) % ni;
            if (xl_rng_below(&r, 5) == 0) i = xl_rng_below(&r, ni);
            xl_interactions_push(x, u, i, (float)(1 + xl_rng_below(&r, 5)), (int64_t)t, NULL);
        }
    }
    xl_rec_dedupe(x, nu, NULL);
}

/* Top-K equals a full sort of the scores (ties by index), for every model
 * and thread count; fits are repeatable bit for bit. */
static void test_topk_matches_sort_and_repeatable(void **state)
{
    (void)state;
    xl_interactions x;
    random_data(&x, 60, 80, 12, 7);
    xl_csr R;
    build(&R, &x, 60, 80);
    float vec[80 * 6];
    xl_rng r;
    xl_rng_seed(&r, 3, 0);
    for (size_t k = 0; k < 80 * 6; k++) vec[k] = (float)xl_rng_normal(&r);
    xl_item_vectors iv;
    xl_error err;
    assert_int_equal(xl_item_vectors_from(&iv, vec, 80, 6, "t", &err), 0);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.factors = 8;
    p.epochs = 5;
    p.bpr_epochs = 5;
    p.als_iters = 3;
    p.hybrid_cf = XL_REC_BPR;
    const size_t K = 7;
    /* every model, then every model again with the popularity prior (itemknn, als and bpr
     * use it; the hybrid through its BPR part) */
    for (int pass = 0; pass < 2 * XL_REC_N_KINDS; pass++) {
        int kind = pass % XL_REC_N_KINDS;
        p.pop_prior = pass < XL_REC_N_KINDS ? 0.0 : 2.0;
        xl_rec_model *m = xl_rec_fit((xl_rec_kind)kind, &p, &R, &iv, &err);
        assert_non_null(m);
        uint32_t *it1 = malloc(60 * K * sizeof *it1), *it2 = malloc(60 * K * sizeof *it2);
        float *sc1 = malloc(60 * K * sizeof *sc1), *sc2 = malloc(60 * K * sizeof *sc2);
        assert_int_equal(xl_rec_topk(m, &R, NULL, 60, K, 1, it1, sc1, &err), 0);
        assert_int_equal(xl_rec_topk(m, &R, NULL, 60, K, 3, it2, sc2, &err), 0);
        assert_memory_equal(it1, it2, 60 * K * sizeof *it1);
        assert_memory_equal(sc1, sc2, 60 * K * sizeof *sc1);
        float scores[80], scratch[80];
        for (uint32_t u = 0; u < 60; u++) {
            xl_rec_score(m, u, scores, scratch);
            /* brute force: repeatedly take the best unseen item */
            unsigned char used[80] = {0};
            for (size_t t = 0; t < K; t++) {
                long best = -1;
                for (uint32_t j = 0; j < 80; j++) {
                    if (used[j] || xl_csr_has(&R, u, j)) continue;
                    if (best < 0 || scores[j] > scores[best]) best = j;
                }
                assert_int_equal(it1[u * K + t], (uint32_t)best);
                /* the listed score is the one-user score bit for bit (the hybrid and linear
                 * models score blocks of users in top-K) */
                assert_true(sc1[u * K + t] == scores[best]);
                used[best] = 1;
            }
        }
        /* refit: identical (seeded, single thread for the SGD models) */
        xl_rec_model *m2 = xl_rec_fit((xl_rec_kind)kind, &p, &R, &iv, &err);
        assert_int_equal(xl_rec_topk(m2, &R, NULL, 60, K, 1, it2, sc2, &err), 0);
        assert_memory_equal(sc1, sc2, 60 * K * sizeof *sc1);
        xl_rec_free(m2);
        free(it1);
        free(it2);
        free(sc1);
        free(sc2);
        xl_rec_free(m);
    }
    xl_item_vectors_free(&iv);
    xl_csr_free(&R);
    xl_interactions_free(&x);
}

/* The factor models learn the group structure: NDCG well above popularity. */
static void test_models_learn(void **state)
{
    (void)state;
    xl_rec_dataset d;
    xl_rec_dataset_init(&d);
    random_data(&d.x, 200, 120, 25, 11);
    d.n_users = 200;
    d.n_items = 120;
    d.has_rating = true;
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.factors = 16;
    p.bpr_epochs = 30;
    xl_eval_config c;
    xl_eval_config_default(&c);
    const xl_rec_kind kinds[] = {XL_REC_POPULARITY, XL_REC_ITEMKNN, XL_REC_ALS, XL_REC_BPR, XL_REC_BASELINE};
    xl_eval_result *res = malloc(sizeof *res);
    xl_error err;
    assert_int_equal(xl_eval_run(&d, NULL, kinds, 5, &p, &c, res, &err), 0);
    assert_int_equal(res->n_rows, 5);
    double pop = res->rows[0].rank.ndcg;
    for (size_t r = 1; r < 4; r++) {
        print_message("%s ndcg %.3f vs popularity %.3f\n", res->rows[r].model, res->rows[r].rank.ndcg, pop);
        assert_true(res->rows[r].rank.ndcg > pop + 0.05);
    }
    assert_true(res->rows[4].has_rating);
    xl_buf b;
    xl_buf_init(&b);
    assert_int_equal(xl_eval_json(res, "synthetic", &b, &err), 0);
    assert_non_null(strstr(b.data, "\"model\": \"bpr\""));
    xl_buf_clear(&b);
    assert_int_equal(xl_eval_table(res, &b, &err), 0);
    assert_non_null(strstr(b.data, "itemknn"));
    xl_buf_free(&b);
    free(res);
    xl_rec_dataset_free(&d);
}

/* Bad input: NaN vectors, row mismatch, all-identical ratings, empty data,
 * users with one interaction, items without text. */
static void test_bad_input(void **state)
{
    (void)state;
    xl_error err;
    xl_item_vectors iv;
    const float nanv[] = {1, 0, NAN, 1};
    assert_int_equal(xl_item_vectors_from(&iv, nanv, 2, 2, "v.npy", &err), -1);
    assert_non_null(strstr(err.msg, "v.npy: row 1"));
    assert_non_null(strstr(err.msg, "NaN"));
    const float ok[] = {3, 4, 0, 0};
    assert_int_equal(xl_item_vectors_from(&iv, ok, 2, 2, "v.npy", &err), 0);
    assert_close(iv.v[0], 0.6, 1e-7);
    assert_close(iv.v[2] + iv.v[3], 0, 0); /* zero row (no text) stays zero */
    /* vectors for 2 items, data with 3 items */
    xl_interactions x;
    xl_interactions_init(&x);
    xl_interactions_push(&x, 0, 2, 3, 0, NULL);
    xl_interactions_push(&x, 1, 0, 3, 0, NULL);
    xl_interactions_push(&x, 1, 1, 3, 0, NULL);
    xl_csr R;
    build(&R, &x, 2, 3);
    xl_rec_params p;
    xl_rec_params_default(&p);
    assert_null(xl_rec_fit(XL_REC_CONTENT, &p, &R, &iv, &err));
    assert_non_null(strstr(err.msg, "2 item vectors for 3 items"));
    assert_null(xl_rec_fit(XL_REC_CONTENT, &p, &R, NULL, &err));
    xl_item_vectors_free(&iv);
    /* identical ratings: finite biases, predictions = the rating */
    const float v3[] = {1, 0, 0, 1, 1, 1};
    assert_int_equal(xl_item_vectors_from(&iv, v3, 3, 2, "v", &err), 0);
    for (int kind = 0; kind < XL_REC_N_KINDS; kind++) {
        p.factors = 4;
        xl_rec_model *m = xl_rec_fit((xl_rec_kind)kind, &p, &R, &iv, &err);
        assert_non_null(m);
        if (xl_rec_predicts_ratings((xl_rec_kind)kind)) {
            double r = xl_rec_predict(m, 0, 1);
            assert_true(isfinite(r));
            /* cosbias: every training cosine is 0 here (leave-one-out), so b
             * stays at its prior 1 and c = 3: predict = cos(p_0, v_1) + 3 */
            if (kind == XL_REC_COSBIAS) assert_close(r, 3.0 + sqrt(0.5), 1e-6);
            else if (kind != XL_REC_MF) assert_close(r, 3.0, 1e-6);
        }
        float s[3], scratch[3];
        xl_rec_score(m, 0, s, scratch); /* user 0 has one interaction */
        for (int j = 0; j < 3; j++) assert_true(isfinite(s[j]));
        xl_rec_free(m);
    }
    xl_csr_free(&R);
    /* empty training data */
    xl_interactions_free(&x);
    xl_interactions_init(&x);
    build(&R, &x, 2, 3);
    for (int kind = 0; kind < XL_REC_N_KINDS; kind++) {
        xl_rec_model *m = xl_rec_fit((xl_rec_kind)kind, &p, &R, &iv, &err);
        assert_non_null(m);
        uint32_t items[2 * 2];
        float sc[2 * 2];
        assert_int_equal(xl_rec_topk(m, &R, NULL, 2, 2, 1, items, sc, &err), 0);
        xl_rec_free(m);
    }
    xl_csr_free(&R);
    xl_interactions_free(&x);
    xl_item_vectors_free(&iv);
    /* hashed tf-idf: no text -> zero row; same words -> same row; case folded */
    char *texts[] = {"The Matrix", "", "the MATRIX", "Amélie 아멜리에"};
    assert_int_equal(xl_item_vectors_hashed_tfidf(&iv, texts, 4, 64, &err), 0);
    double n1 = 0;
    for (size_t j = 0; j < 64; j++) {
        assert_close(iv.v[64 + j], 0, 0);
        assert_close(iv.v[j], iv.v[2 * 64 + j], 0);
        n1 += (double)iv.v[3 * 64 + j] * iv.v[3 * 64 + j];
    }
    assert_close(n1, 1.0, 1e-6);
    xl_item_vectors_free(&iv);
}

/* Centring the catalogue (xl_item_vectors_center) on unit 2-d vectors A = (.6, .8), B = (1, 0),
 * C = (0, 1), D = (-.6, .8) and an item E without a vector (zero row).  mu = mean of the non-zero
 * rows = (.25, .65); A - mu = (.35, .15), |.| = sqrt(.145); B - mu = (.75, -.65), sqrt(.985);
 * C - mu = (-.25, .35), sqrt(.185); D - mu = (-.85, .15), sqrt(.745); E stays zero.
 * A user who liked A: raw cosines B .6, C .8, D .28 -> C first (C sits on the common direction);
 * centred: cos(A', B') = .165 / sqrt(.145 * .985) = .436598, cos(A', C') = -.035 / sqrt(.145 * .185)
 * = -.213697, cos(A', D') = -.275 / sqrt(.145 * .745) = -.836702 -> B first. */
static void test_center_vectors(void **state)
{
    (void)state;
    const float vec[] = {0.6f, 0.8f, 1, 0, 0, 1, -0.6f, 0.8f, 0, 0};
    xl_item_vectors iv;
    xl_error err;
    assert_int_equal(xl_item_vectors_from(&iv, vec, 5, 2, "v", &err), 0);
    xl_interactions x;
    xl_interactions_init(&x);
    xl_interactions_push(&x, 0, 0, 5, 0, NULL);
    xl_csr R;
    build(&R, &x, 1, 5);
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.threads = 1;
    uint32_t top[2];
    float sc[2];
    xl_rec_model *m = xl_rec_fit(XL_REC_CONTENT, &p, &R, &iv, &err);
    assert_non_null(m);
    assert_int_equal(xl_rec_topk(m, &R, NULL, 1, 2, 1, top, sc, &err), 0);
    assert_int_equal(top[0], 2); /* C */
    assert_int_equal(top[1], 1); /* B */
    assert_close(sc[0], 0.8, 1e-6);
    xl_rec_free(m);

    assert_int_equal(xl_item_vectors_center(&iv, &err), 4); /* four non-zero rows */
    const float want[] = {0.35f / sqrtf(0.145f), 0.15f / sqrtf(0.145f),  0.75f / sqrtf(0.985f), -0.65f / sqrtf(0.985f),
                          -0.25f / sqrtf(0.185f), 0.35f / sqrtf(0.185f), -0.85f / sqrtf(0.745f), 0.15f / sqrtf(0.745f),
                          0, 0};
    assert_allclose(iv.v, want, 10, 1e-6, 0);
    m = xl_rec_fit(XL_REC_CONTENT, &p, &R, &iv, &err);
    assert_non_null(m);
    float s[5];
    xl_rec_score(m, 0, s, NULL);
    const float want_s[] = {1.0f, 0.436598f, -0.213697f, -0.836702f, 0};
    assert_allclose(s, want_s, 5, 2e-6, 0);
    assert_int_equal(xl_rec_topk(m, &R, NULL, 1, 2, 1, top, sc, &err), 0);
    assert_int_equal(top[0], 1); /* B */
    assert_int_equal(top[1], 4); /* E (score 0) before C (-.21) */
    xl_rec_free(m);
    /* all rows zero: nothing to centre, nothing changes */
    xl_item_vectors_free(&iv);
    const float zeros[4] = {0};
    assert_int_equal(xl_item_vectors_from(&iv, zeros, 2, 2, "z", &err), 0);
    assert_int_equal(xl_item_vectors_center(&iv, &err), 0);
    assert_allclose(iv.v, zeros, 4, 0, 0);
    xl_csr_free(&R);
    xl_interactions_free(&x);
    xl_item_vectors_free(&iv);
}

/* Content profile: rating-weighted mean, recency weighting. */
static void test_content_profile(void **state)
{
    (void)state;
    const float vec[] = {1, 0, 0, 1, 1, 1};
    xl_item_vectors iv;
    xl_error err;
    assert_int_equal(xl_item_vectors_from(&iv, vec, 3, 2, "v", &err), 0);
    xl_interactions x;
    xl_interactions_init(&x);
    xl_interactions_push(&x, 0, 0, 4, 0, NULL);   /* old, liked */
    xl_interactions_push(&x, 0, 1, 1, 100, NULL); /* recent, disliked */
    xl_csr R;
    build(&R, &x, 1, 3);
    xl_rec_params p;
    xl_rec_params_default(&p);
    xl_rec_model *m = xl_rec_fit(XL_REC_CONTENT, &p, &R, &iv, &err);
    float s[3];
    /* p = (4 v0 + 1 v1)/5 = (.8, .2): cos with v0 = .8/sqrt(.68) = 0.970143 */
    xl_rec_score(m, 0, s, NULL);
    assert_close(s[0], 0.8 / sqrt(0.68), 1e-6);
    xl_rec_free(m);
    /* half-life 50: the old item's weight is 4 * 2^-2 = 1 -> p = (1, 1)/2 */
    p.recency_half_life = 50;
    m = xl_rec_fit(XL_REC_CONTENT, &p, &R, &iv, &err);
    xl_rec_score(m, 0, s, NULL);
    assert_close(s[0], sqrt(0.5), 1e-6);
    assert_close(s[2], 1.0, 1e-6);
    xl_rec_free(m);
    xl_csr_free(&R);
    xl_interactions_free(&x);
    xl_item_vectors_free(&iv);
}

/* Loader policies: unknown item, out-of-range and unparsable ratings,
 * duplicates (later wins), empty ids, short rows; items without text. */
static void test_load_policies(void **state)
{
    (void)state;
    const char *items = "id,title,lang\n"
                        "a,\"Alpha, the film\",en\n"
                        "b,,de\n"          /* no text */
                        "c,Gamma,fr\n"
                        "a,Duplicate id,en\n"; /* ignored: first wins */
    const char *ratings = "ts,user,item,stars\n"
                          "1,u1,a,4\n"
                          "2,u1,zz,5\n"   /* unknown item */
                          "3,u2,b,9\n"    /* out of range */
                          "4,u2,c,abc\n"  /* bad number */
                          "5,u1,a,2\n"    /* duplicate: later wins */
                          "6,,a,3\n"      /* empty user */
                          "7,u3\n"        /* short */
                          "8,u2,c,3.5\n";
    const char *ip = xl_test_write_tmp("items.csv", items, strlen(items));
    char ipath[512];
    snprintf(ipath, sizeof ipath, "%s", ip);
    const char *rp = xl_test_write_tmp("ratings.csv", ratings, strlen(ratings));
    xl_rec_load_options o;
    xl_rec_load_options_default(&o);
    o.user_col = "user";
    o.item_col = "2"; /* by index */
    o.rating_col = "stars";
    o.time_col = "ts";
    o.rating_min = 0.5;
    o.rating_max = 5;
    o.range_policy = XL_RATING_SKIP; /* dropped and counted (the default, XL_RATING_REJECT, is an error) */
    o.item_text_cols = "title";
    o.item_lang_col = "lang";
    xl_rec_dataset d;
    xl_rec_dataset_init(&d);
    xl_error err;
    assert_int_equal(xl_rec_load(&d, rp, ipath, &o, &err), 0);
    assert_int_equal(d.n_items, 3);
    assert_int_equal(d.n_users, 2);
    assert_int_equal(d.report.rows, 8);
    assert_int_equal(d.report.unknown_item, 1);
    assert_int_equal(d.report.first_line[0], 3);
    assert_int_equal(d.report.out_of_range, 1);
    assert_int_equal(d.report.bad_rating, 1);
    assert_int_equal(d.report.duplicates, 1);
    assert_int_equal(d.report.empty_id, 1);
    assert_int_equal(d.report.short_rows, 1);
    assert_int_equal(d.report.kept, 2);
    assert_int_equal(d.report.item_duplicates, 1);
    assert_int_equal(d.report.items_without_text, 1);
    assert_string_equal(d.item_text[0], "Alpha, the film");
    assert_string_equal(d.item_lang[2], "fr");
    assert_true(d.has_rating && d.has_time);
    for (size_t e = 0; e < d.x.n; e++)
        if (d.x.item[e] == 0) assert_close(d.x.rating[e], 2.0, 0); /* the later row */
    char text[1024];
    assert_true(xl_rec_report_text(&d.report, text, sizeof text) > 0);
    xl_rec_dataset_free(&d);
    /* strict: the first bad row is an error naming file and line */
    o.strict = true;
    xl_rec_dataset_init(&d);
    assert_int_equal(xl_rec_load(&d, rp, ipath, &o, &err), -1);
    assert_non_null(strstr(err.msg, ":3: item 'zz'"));
    xl_rec_dataset_free(&d);
    /* a column that does not exist */
    o.strict = false;
    o.rating_col = "rating";
    xl_rec_dataset_init(&d);
    assert_int_equal(xl_rec_load(&d, rp, ipath, &o, &err), -1);
    assert_non_null(strstr(err.msg, "no rating column 'rating'"));
    xl_rec_dataset_free(&d);
    /* empty file: an error (no header); header only: loads, zero interactions
     * (the CLI then reports "no usable interactions") */
    const char *ep = xl_test_write_tmp("empty.csv", "", 0);
    xl_rec_load_options_default(&o);
    xl_rec_dataset_init(&d);
    assert_int_equal(xl_rec_load(&d, ep, NULL, &o, &err), -1);
    assert_non_null(strstr(err.msg, "empty file"));
    xl_rec_dataset_free(&d);
    const char *hp = xl_test_write_tmp("header.csv", "u,i\n", 4);
    xl_rec_dataset_init(&d);
    assert_int_equal(xl_rec_load(&d, hp, NULL, &o, &err), 0);
    assert_int_equal(d.x.n, 0);
    xl_rec_dataset_free(&d);
}

/* The real MovieLens export: the planted row for unknown item 999999 is
 * dropped and counted; users and items match the README. */
static void test_load_movielens(void **state)
{
    (void)state;
    XL_SKIP_IF_NO_SHARED(rp, "data/rec/ml_latest_small/ratings.csv");
    char rpath[1024];
    snprintf(rpath, sizeof rpath, "%s", rp);
    XL_SKIP_IF_NO_SHARED(ip, "data/rec/ml_latest_small/movies.csv");
    xl_rec_load_options o;
    xl_rec_load_options_default(&o);
    o.user_col = "userId";
    o.item_col = "movieId";
    o.rating_col = "rating";
    o.time_col = "timestamp";
    o.item_text_cols = "title,genres";
    xl_rec_dataset d;
    xl_rec_dataset_init(&d);
    xl_error err;
    assert_int_equal(xl_rec_load(&d, rpath, ip, &o, &err), 0);
    assert_int_equal(d.x.n, 100836);
    assert_int_equal(d.n_users, 610);
    assert_int_equal(d.n_items, 9742);
    assert_int_equal(d.report.unknown_item, 1);
    assert_close(d.rating_lo, 0.5, 0);
    assert_close(d.rating_hi, 5.0, 0);
    xl_rec_dataset_free(&d);
}

static void test_dot(void **state)
{
    (void)state;
    float a[37], b[37];
    double ref = 0;
    for (int i = 0; i < 37; i++) {
        a[i] = (float)(i - 18) * 0.25f;
        b[i] = (float)(i % 5) - 2.0f;
        ref += (double)a[i] * b[i];
    }
    assert_close(xl_rec_dot(a, b, 37), ref, 1e-4);
    assert_close(xl_rec_dot(a, b, 0), 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csr_and_dedupe),
        cmocka_unit_test(test_idmap),
        cmocka_unit_test(test_baseline_by_hand),
        cmocka_unit_test(test_cosbias_stationary),
        cmocka_unit_test(test_popularity_topk),
        cmocka_unit_test(test_itemknn_by_hand),
        cmocka_unit_test(test_pop_prior),
        cmocka_unit_test(test_model_file_pop_prior),
        cmocka_unit_test(test_als_missing_weights),
        cmocka_unit_test(test_similar_items),
        cmocka_unit_test(test_no_history_ranks_by_popularity),
        cmocka_unit_test(test_default_factors),
        cmocka_unit_test(test_als_user_step_exact),
        cmocka_unit_test(test_hybrid_alpha_search),
        cmocka_unit_test(test_topk_matches_sort_and_repeatable),
        cmocka_unit_test(test_models_learn),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_content_profile),
        cmocka_unit_test(test_center_vectors),
        cmocka_unit_test(test_dot),
        cmocka_unit_test(test_load_policies),
        cmocka_unit_test(test_load_movielens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
