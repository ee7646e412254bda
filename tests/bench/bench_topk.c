/* bench_topk.c - top-K scoring throughput for 100k items x 384 dims against
 * the memory-bandwidth bound of the scan, and fit time of every model.
 *
 *   build/bench/bench_topk [n_items] [dim] [n_users] [threads]
 *
 * Bandwidth: a streaming read (sum) over a 256 MiB buffer, best of 3.
 * One unblocked user scan reads n_items*dim*4 bytes, so the bound is
 * bandwidth / that many users/s; xl_rec_topk scores 8 users per pass over
 * the item matrix, which raises the bound 8x (then the dot products, not
 * memory, limit).  Prints the command line that produced the figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_platform.h"
#include "xl_rec_model.h"
#include "xl_rng.h"
#include "xl_thread.h"

static double stream_read_gbs(void)
{
    size_t n = ((size_t)256 << 20) / sizeof(float);
    float *buf = malloc(n * sizeof *buf);
    if (!buf) return 0;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 1023);
    double best = 0;
    volatile float sink = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = xl_time_now();
        float acc[8] = {0};
        for (size_t i = 0; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; k++) acc[k] += buf[i + k];
        double dt = xl_time_now() - t0;
        sink += acc[0] + acc[7];
        double gbs = (double)n * sizeof(float) / dt / 1e9;
        if (gbs > best) best = gbs;
    }
    (void)sink;
    free(buf);
    return best;
}

int main(int argc, char **argv)
{
    size_t n_items = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    size_t dim = argc > 2 ? strtoul(argv[2], NULL, 10) : 384;
    size_t n_users = argc > 3 ? strtoul(argv[3], NULL, 10) : 64;
    int threads = argc > 4 ? atoi(argv[4]) : 0;
    threads = xl_resolve_threads(threads);
    printf("command: %s %zu %zu %zu %d\n", argv[0], n_items, dim, n_users, threads);
    xl_error err;
    xl_rng rng;
    xl_rng_seed(&rng, 1, 0);
    float *vec = malloc(n_items * dim * sizeof *vec);
    if (!vec) return 1;
    for (size_t k = 0; k < n_items * dim; k++) vec[k] = xl_rng_float(&rng) - 0.5f;
    xl_item_vectors iv;
    if (xl_item_vectors_from(&iv, vec, n_items, dim, "bench", &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    free(vec);
    /* users with 20 random history items each */
    xl_interactions x;
    xl_interactions_init(&x);
    for (uint32_t u = 0; u < n_users; u++)
        for (int t = 0; t < 20; t++)
            xl_interactions_push(&x, u, xl_rng_below(&rng, (uint32_t)n_items), (float)(1 + xl_rng_below(&rng, 5)), t,
                                 NULL);
    xl_rec_dedupe(&x, (uint32_t)n_users, NULL);
    xl_csr R;
    if (xl_csr_build(&R, &x, NULL, 0, (uint32_t)n_users, (uint32_t)n_items, false, &err) < 0) return 1;
    xl_rec_params p;
    xl_rec_params_default(&p);
    p.threads = threads;
    xl_rec_model *m = xl_rec_fit(XL_REC_CONTENT, &p, &R, &iv, &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double gbs1 = stream_read_gbs();
    double scan_bytes = (double)n_items * dim * sizeof(float);
    size_t K = 10;
    uint32_t *items = malloc(n_users * K * sizeof *items);
    float *scores = malloc(n_users * K * sizeof *scores);
    printf("items %zu x dim %zu = %.1f MB per full scan; streaming read %.2f GB/s (1 thread)\n", n_items, dim,
           scan_bytes / 1e6, gbs1);
    printf("bound, one scan per user: %.1f users/s; one scan per 8 users: %.1f users/s\n", gbs1 * 1e9 / scan_bytes,
           8 * gbs1 * 1e9 / scan_bytes);
    int tcounts[2] = {1, threads};
    for (int ti = 0; ti < (threads > 1 ? 2 : 1); ti++) {
        double best = 1e30;
        for (int rep = 0; rep < 2; rep++) {
            double t0 = xl_time_now();
            xl_rec_topk(m, &R, NULL, n_users, K, tcounts[ti], items, scores, &err);
            double dt = xl_time_now() - t0;
            if (dt < best) best = dt;
        }
        double ups = (double)n_users / best;
        printf("top-%zu content (cosine) scoring, %d thread(s): %.1f users/s, %.2f GFLOP/s, effective %.2f GB/s of "
               "item rows\n",
               K, tcounts[ti], ups, ups * 2.0 * n_items * dim / 1e9, ups * scan_bytes / 8 / 1e9);
    }
    free(items);
    free(scores);
    xl_rec_free(m);
    xl_csr_free(&R);
    xl_interactions_free(&x);
    xl_item_vectors_free(&iv);

    /* fit times on a MovieLens-sized synthetic set: 600 users x 160 items each of 10k */
    size_t fu = 600, fi = 10000, fd = 384;
    xl_interactions_init(&x);
    for (uint32_t u = 0; u < fu; u++)
        for (int t = 0; t < 160; t++) {
            uint32_t i = (xl_rng_below(&rng, (uint32_t)(fi / 8)) * 8 + u % 8) % (uint32_t)fi;
            xl_interactions_push(&x, u, i, (float)(1 + xl_rng_below(&rng, 5)), t, NULL);
        }
    xl_rec_dedupe(&x, (uint32_t)fu, NULL);
    if (xl_csr_build(&R, &x, NULL, 0, (uint32_t)fu, (uint32_t)fi, false, &err) < 0) return 1;
    vec = malloc(fi * fd * sizeof *vec);
    for (size_t k = 0; k < fi * fd; k++) vec[k] = xl_rng_float(&rng) - 0.5f;
    xl_item_vectors_from(&iv, vec, fi, fd, "fit", &err);
    free(vec);
    xl_rec_params_default(&p);
    p.threads = threads;
    p.factors = 64;
    printf("fit times: %zu users, %zu items, %zu interactions, factors %d, vectors %zu-d, %d thread(s)\n", fu, fi,
           R.nnz, p.factors, fd, threads);
    for (int k = 0; k < XL_REC_N_KINDS; k++) {
        m = xl_rec_fit((xl_rec_kind)k, &p, &R, &iv, &err);
        if (!m) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        printf("  %-10s %8.3f s\n", xl_rec_kind_name((xl_rec_kind)k), xl_rec_fit_seconds(m));
        xl_rec_free(m);
    }
    xl_csr_free(&R);
    xl_interactions_free(&x);
    xl_item_vectors_free(&iv);
    return 0;
}
