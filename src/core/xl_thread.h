/* xl_thread.h - a minimal parallel-for over C11 <threads.h>.
 *
 * xl_parallel_for(n_threads, n_items, fn, ctx) calls fn(ctx, begin, end, tid)
 * on contiguous, disjoint ranges covering [0, n_items): thread `tid` gets
 * items [n_items*tid/n, n_items*(tid+1)/n).  The split depends only on
 * n_threads and n_items, so results that are reduced per thread in a fixed
 * order are reproducible run to run.  Thread 0 runs on the calling thread.
 *
 * xl_parallel_for starts and joins its threads on every call (~20-50 us).  For
 * many short parallel regions (the encoder runs dozens per layer) use a
 * persistent pool: xl_pool_new starts n-1 workers once, xl_pool_run hands them
 * ranges with exactly xl_parallel_for's split (so results are the same), and
 * they sleep on a condition variable in between.
 *
 * Where the C library has no <threads.h> (__STDC_NO_THREADS__), or when
 * XL_NO_THREADS is defined, everything runs on the calling thread in order.
 */
#ifndef XL_THREAD_H
#define XL_THREAD_H

#include <stddef.h>

#include "xl_error.h"

#define XL_MAX_THREADS 256
/* The thread count every command and library default uses when none is
 * given: 1, so that a run without --threads is bit-for-bit repeatable and
 * leaves the other cores alone.  0 = all CPUs (xl_resolve_threads). */
#define XL_THREADS_DEFAULT 1

typedef void (*xl_range_fn)(void *ctx, size_t begin, size_t end, int tid);

/* Returns 0, or -1 if a thread could not be started (the work is then done
 * on the calling thread, so the result is still complete and correct). */
int xl_parallel_for(int n_threads, size_t n_items, xl_range_fn fn, void *ctx);

/* A persistent pool of worker threads (see above).  Thread 0 of every run is
 * the calling thread. */
typedef struct xl_pool xl_pool;

/* Start a pool for up to n_threads threads (n_threads - 1 workers; clamped to
 * 1..XL_MAX_THREADS).  Returns NULL with err set when memory or a thread
 * cannot be had.  Without threads in the build the pool runs everything on
 * the caller. */
xl_pool *xl_pool_new(int n_threads, xl_error *err);
/* Stop and join the workers; NULL is a no-op.  No run may be in progress. */
void xl_pool_free(xl_pool *p);
/* Threads of the pool (the caller included). */
int xl_pool_size(const xl_pool *p);
/* Same contract and split as xl_parallel_for, on the pool's threads;
 * n_threads is clamped to the pool size.  Returns when every range is done.
 * A pool runs one region at a time: a call made while another is in progress
 * (another caller thread, or fn itself calling back into the pool) falls back
 * to xl_parallel_for, so it is slower but never deadlocks.  p may be NULL
 * (plain xl_parallel_for). */
int xl_pool_run(xl_pool *p, int n_threads, size_t n_items, xl_range_fn fn, void *ctx);

/* 1 when real threads are available in this build, 0 otherwise. */
int xl_threads_available(void);

/* The one place a thread request is resolved: 0 means "all CPUs"
 * (xl_cpu_count); never below 1 nor above XL_MAX_THREADS.  Library entry
 * points call it once and pass the result down. */
int xl_resolve_threads(int requested);

#endif /* XL_THREAD_H */
