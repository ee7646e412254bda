/* bench_pool.c - cost of one parallel region of the persistent thread pool (xl_pool_run,
 * src/core/xl_thread.h): the time from the caller publishing a region until every thread has
 * finished it, minus the (tiny) work, for regions back to back and after idle gaps of 20 us and
 * 200 us on the caller.  An encoder forward at 2 threads runs ~7 regions per layer (BERT-base, 128
 * tokens: ~85 regions in 80 ms), so this is the price of threading a short forward.
 *
 *   build/bench/bench_pool [threads (default 2)] [regions per case (default 20000)]
 */
#include <stdio.h>
#include <stdlib.h>

#include "xl_platform.h"
#include "xl_thread.h"

static void tiny_range(void *ctx, size_t begin, size_t end, int tid)
{
    double *out = ctx, s = 0.0;
    for (size_t i = begin; i < end; i++) s += (double)i;
    out[tid] = s;
}

static void busy_wait(double seconds)
{
    double t0 = xl_time_now();
    while (xl_time_now() - t0 < seconds) {
    }
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2, regions = argc > 2 ? atoi(argv[2]) : 20000;
    if (threads < 2 || threads > XL_MAX_THREADS || regions < 1) {
        fprintf(stderr, "usage: %s [threads 2..%d] [regions >= 1]\n", argv[0], XL_MAX_THREADS);
        return 2;
    }
    xl_error err;
    xl_pool *pool = xl_pool_new(threads, &err);
    if (pool == NULL) {
        fprintf(stderr, "bench_pool: %s\n", err.msg);
        return 1;
    }
    double out[XL_MAX_THREADS];
    printf("# bench_pool: %d threads, %d regions per case, threads available: %s\n", threads, regions,
           xl_threads_available() ? "yes" : "no (regions run on the caller)");
    printf("# command: %s %d %d\n", argv[0], threads, regions);
    const double gaps[] = {0.0, 20e-6, 200e-6};
    for (int g = 0; g < 3; g++) {
        /* the work alone, on the caller */
        double t0 = xl_time_now();
        for (int r = 0; r < regions; r++) tiny_range(out, 0, 1000, 0);
        double work = (xl_time_now() - t0) / regions;
        t0 = xl_time_now();
        for (int r = 0; r < regions; r++) {
            xl_pool_run(pool, threads, 1000, tiny_range, out);
            if (gaps[g] > 0) busy_wait(gaps[g]);
        }
        double per = (xl_time_now() - t0) / regions - gaps[g] - work / threads;
        printf("idle gap %5.0f us between regions: %6.1f us per region\n", gaps[g] * 1e6, per * 1e6);
    }
    xl_pool_free(pool);
    return 0;
}
