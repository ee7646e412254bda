/* xl_thread.c - see xl_thread.h */
#include "xl_thread.h"

#include "xl_platform.h"

#if !defined(__STDC_NO_THREADS__) && !defined(XL_NO_THREADS)
#include <threads.h>
#define XL_HAVE_THREADS 1
#endif

typedef struct {
    xl_range_fn fn;
    void *ctx;
    size_t begin, end;
    int tid;
} range_job;

static void run_range(range_job *job)
{
    if (job->begin < job->end) job->fn(job->ctx, job->begin, job->end, job->tid);
}

#ifdef XL_HAVE_THREADS
static int thread_main(void *arg)
{
    run_range((range_job *)arg);
    return 0;
}
#endif

int xl_threads_available(void)
{
#ifdef XL_HAVE_THREADS
    return 1;
#else
    return 0;
#endif
}

int xl_resolve_threads(int requested)
{
    int n = requested <= 0 ? xl_cpu_count() : requested;
    if (n > XL_MAX_THREADS) n = XL_MAX_THREADS;
    if (n < 1) n = 1;
    return n;
}

int xl_parallel_for(int n_threads, size_t n_items, xl_range_fn fn, void *ctx)
{
    if (n_threads < 1) n_threads = 1;
    if (n_threads > XL_MAX_THREADS) n_threads = XL_MAX_THREADS;
    if ((size_t)n_threads > n_items) n_threads = n_items ? (int)n_items : 1;
    range_job jobs[XL_MAX_THREADS];
    for (int t = 0; t < n_threads; t++) {
        /* [n_items*t/n, n_items*(t+1)/n) as the header promises, computed
         * without overflow for any size_t n_items: with n_items = q*n + r,
         * n_items*t/n = q*t + (r*t)/n exactly, and r*t < n*n <= 2^16 */
        size_t n = (size_t)n_threads, q = n_items / n, r = n_items % n;
        size_t b = q * (size_t)t + (r * (size_t)t) / n;
        size_t e = q * (size_t)(t + 1) + (r * (size_t)(t + 1)) / n;
        jobs[t] = (range_job){fn, ctx, b, e, t};
    }
    int rc = 0;
#ifdef XL_HAVE_THREADS
    thrd_t threads[XL_MAX_THREADS];
    int started[XL_MAX_THREADS] = {0};
    for (int t = 1; t < n_threads; t++) {
        if (thrd_create(&threads[t], thread_main, &jobs[t]) == thrd_success) started[t] = 1;
        else rc = -1;
    }
    run_range(&jobs[0]);
    for (int t = 1; t < n_threads; t++) {
        if (started[t]) thrd_join(threads[t], NULL);
        else run_range(&jobs[t]); /* could not start: do it here */
    }
#else
    for (int t = 0; t < n_threads; t++) run_range(&jobs[t]);
#endif
    return rc;
}
