/* xl_thread.h - a minimal parallel-for over C11 <threads.h>.
 *
 * xl_parallel_for(n_threads, n_items, fn, ctx) calls fn(ctx, begin, end, tid)
 * on contiguous, disjoint ranges covering [0, n_items): thread `tid` gets
 * items [n_items*tid/n, n_items*(tid+1)/n).  The split depends only on
 * n_threads and n_items, so results that are reduced per thread in a fixed
 * order are reproducible run to run.  Thread 0 runs on the calling thread.
 *
 * Where the C library has no <threads.h> (__STDC_NO_THREADS__), or when
 * XL_NO_THREADS is defined, everything runs on the calling thread in order.
 */
#ifndef XL_THREAD_H
#define XL_THREAD_H

#include <stddef.h>

#include "xl_error.h"

#define XL_MAX_THREADS 256

typedef void (*xl_range_fn)(void *ctx, size_t begin, size_t end, int tid);

/* Returns 0, or -1 if a thread could not be started (the work is then done
 * on the calling thread, so the result is still complete and correct). */
int xl_parallel_for(int n_threads, size_t n_items, xl_range_fn fn, void *ctx);

/* 1 when real threads are available in this build, 0 otherwise. */
int xl_threads_available(void);

/* Clamp a user request: 0 means "all CPUs"; never above XL_MAX_THREADS. */
int xl_resolve_threads(int requested);

#endif /* XL_THREAD_H */
