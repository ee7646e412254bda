/* xl_thread.c - see xl_thread.h */
#include "xl_thread.h"

#include <stdbool.h>
#include <stdlib.h>

#include "xl_platform.h"

#if !defined(__STDC_NO_THREADS__) && !defined(XL_NO_THREADS)
#include <threads.h>
#define XL_HAVE_THREADS 1
#endif

/* Spin-then-sleep in the pool (below) needs C11 atomics; without them the pool only sleeps. */
#if defined(XL_HAVE_THREADS) && !defined(__STDC_NO_ATOMICS__) && !defined(XL_NO_POOL_SPIN)
#include <stdatomic.h>
#define XL_POOL_SPIN 1
#define XL_ATOMIC(T) _Atomic T
/* How long a pool thread polls before it sleeps: waking a sleeping thread costs 25 us (regions
 * back to back) to 90 us (after a 200 us gap) on this 2-vCPU VM, against ~1 us when it polls. */
#define XL_POOL_SPIN_SECONDS 100e-6
#else
#define XL_ATOMIC(T) T
#endif

#ifdef XL_POOL_SPIN
/* A hint to the CPU that this is a polling loop (x86 PAUSE, Arm YIELD), else nothing. */
static inline void cpu_relax(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#elif defined(__GNUC__) && (defined(__aarch64__) || defined(__arm__))
    __asm__ __volatile__("yield");
#endif
}
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

/* The split promised in xl_thread.h; returns the number of threads used. */
static int split_ranges(int n_threads, size_t n_items, xl_range_fn fn, void *ctx, range_job *jobs)
{
    if (n_threads < 1) n_threads = 1;
    if (n_threads > XL_MAX_THREADS) n_threads = XL_MAX_THREADS;
    if ((size_t)n_threads > n_items) n_threads = n_items ? (int)n_items : 1;
    for (int t = 0; t < n_threads; t++) {
        /* [n_items*t/n, n_items*(t+1)/n) as the header promises, computed
         * without overflow for any size_t n_items: with n_items = q*n + r,
         * n_items*t/n = q*t + (r*t)/n exactly, and r*t < n*n <= 2^16 */
        size_t n = (size_t)n_threads, q = n_items / n, r = n_items % n;
        size_t b = q * (size_t)t + (r * (size_t)t) / n;
        size_t e = q * (size_t)(t + 1) + (r * (size_t)(t + 1)) / n;
        jobs[t] = (range_job){fn, ctx, b, e, t};
    }
    return n_threads;
}

int xl_parallel_for(int n_threads, size_t n_items, xl_range_fn fn, void *ctx)
{
    range_job jobs[XL_MAX_THREADS];
    n_threads = split_ranges(n_threads, n_items, fn, ctx, jobs);
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

/* ---- persistent pool ------------------------------------------------------------------------
 * Workers wait until `generation` changes; a run publishes the ranges under `lock`, bumps the
 * generation, runs range 0 itself and waits until `pending` (the workers with a range in this run)
 * reaches 0.  Waiting is poll-then-sleep on both sides: first up to XL_POOL_SPIN_SECONDS polling
 * the atomic counter (the next region of an encoder forward usually starts within microseconds),
 * then cnd_wait.  `generation`, `pending` and `stop` change under `lock` (pending: atomically
 * decremented, and the thread that reaches 0 takes `lock` before it signals `done`, so a waiter
 * that checked under `lock` cannot miss it); everything else shared is only touched under `lock`. */
struct xl_pool {
    int n_threads; /* the caller + workers */
#ifdef XL_HAVE_THREADS
    mtx_t lock;
    cnd_t wake, done;
    XL_ATOMIC(unsigned long) generation;
    int active;                /* threads with a range in the current run */
    XL_ATOMIC(int) pending;    /* workers of the current run not finished yet */
    int busy;                  /* a run is in progress */
    XL_ATOMIC(int) stop;
    int n_started;
    range_job jobs[XL_MAX_THREADS];
    thrd_t threads[XL_MAX_THREADS];
    struct pool_arg {
        struct xl_pool *pool;
        int tid;
    } args[XL_MAX_THREADS];
#endif
};

#ifdef XL_HAVE_THREADS
#ifdef XL_POOL_SPIN
/* What a poller waits for: a run newer than `seen` (or stop), or the current run's end. */
static bool new_run_or_stop(xl_pool *p, unsigned long seen)
{
    return atomic_load_explicit(&p->generation, memory_order_acquire) != seen ||
           atomic_load_explicit(&p->stop, memory_order_acquire);
}

static bool run_finished(xl_pool *p, unsigned long unused)
{
    (void)unused;
    return atomic_load_explicit(&p->pending, memory_order_acquire) == 0;
}
#else
/* without atomics nothing is read outside the lock: spin_until returns at once */
static bool new_run_or_stop(xl_pool *p, unsigned long seen) { return (void)p, (void)seen, true; }
static bool run_finished(xl_pool *p, unsigned long unused) { return (void)p, (void)unused, true; }
#endif

/* Poll until ready(p, arg) holds or XL_POOL_SPIN_SECONDS are up; the caller then takes the lock
 * and, if still needed, sleeps on the condition variable.  Without XL_POOL_SPIN: returns at once. */
static void spin_until(bool (*ready)(xl_pool *, unsigned long), xl_pool *p, unsigned long arg)
{
#ifdef XL_POOL_SPIN
    double t0 = xl_time_now();
    for (unsigned i = 1; !ready(p, arg); i++) {
        cpu_relax();
        if (i % 64 == 0 && xl_time_now() - t0 > XL_POOL_SPIN_SECONDS) return;
    }
#else
    (void)ready, (void)p, (void)arg;
#endif
}

static int pool_main(void *arg)
{
    struct pool_arg *a = arg;
    xl_pool *p = a->pool;
    unsigned long seen = 0;
    for (;;) {
        spin_until(new_run_or_stop, p, seen);
        mtx_lock(&p->lock);
        while (p->generation == seen && !p->stop) cnd_wait(&p->wake, &p->lock);
        if (p->stop) {
            mtx_unlock(&p->lock);
            break;
        }
        seen = p->generation;
        if (a->tid >= p->active) { /* no range for this thread in this run */
            mtx_unlock(&p->lock);
            continue;
        }
        range_job job = p->jobs[a->tid];
        mtx_unlock(&p->lock);
        run_range(&job);
        /* the last worker to finish signals under the lock (see the struct comment) */
#ifdef XL_POOL_SPIN
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            mtx_lock(&p->lock);
            cnd_signal(&p->done);
            mtx_unlock(&p->lock);
        }
#else
        mtx_lock(&p->lock);
        if (--p->pending == 0) cnd_signal(&p->done);
        mtx_unlock(&p->lock);
#endif
    }
    return 0;
}
#endif

xl_pool *xl_pool_new(int n_threads, xl_error *err)
{
    xl_pool *p = calloc(1, sizeof *p);
    if (p == NULL) {
        xl_fail(err, XL_ERR_NOMEM, "thread pool: out of memory");
        return NULL;
    }
    if (n_threads < 1) n_threads = 1;
    if (n_threads > XL_MAX_THREADS) n_threads = XL_MAX_THREADS;
    p->n_threads = n_threads;
#ifdef XL_HAVE_THREADS
    if (mtx_init(&p->lock, mtx_plain) != thrd_success) {
        free(p);
        xl_fail(err, XL_ERR_GENERIC, "thread pool: mtx_init failed");
        return NULL;
    }
    if (cnd_init(&p->wake) != thrd_success) {
        mtx_destroy(&p->lock);
        free(p);
        xl_fail(err, XL_ERR_GENERIC, "thread pool: cnd_init failed");
        return NULL;
    }
    if (cnd_init(&p->done) != thrd_success) {
        cnd_destroy(&p->wake);
        mtx_destroy(&p->lock);
        free(p);
        xl_fail(err, XL_ERR_GENERIC, "thread pool: cnd_init failed");
        return NULL;
    }
    for (int t = 1; t < n_threads; t++) {
        p->args[t] = (struct pool_arg){p, t};
        if (thrd_create(&p->threads[t], pool_main, &p->args[t]) != thrd_success) {
            xl_pool_free(p);
            xl_fail(err, XL_ERR_GENERIC, "thread pool: could not start thread %d of %d", t + 1, n_threads);
            return NULL;
        }
        p->n_started = t;
    }
#else
    (void)err;
#endif
    return p;
}

void xl_pool_free(xl_pool *p)
{
    if (p == NULL) return;
#ifdef XL_HAVE_THREADS
    mtx_lock(&p->lock);
    p->stop = 1;
    cnd_broadcast(&p->wake);
    mtx_unlock(&p->lock);
    for (int t = 1; t <= p->n_started; t++) thrd_join(p->threads[t], NULL);
    cnd_destroy(&p->done);
    cnd_destroy(&p->wake);
    mtx_destroy(&p->lock);
#endif
    free(p);
}

int xl_pool_size(const xl_pool *p)
{
    return p ? p->n_threads : 1;
}

int xl_pool_run(xl_pool *p, int n_threads, size_t n_items, xl_range_fn fn, void *ctx)
{
    if (p == NULL) return xl_parallel_for(n_threads, n_items, fn, ctx);
    if (n_threads > p->n_threads) n_threads = p->n_threads;
#ifdef XL_HAVE_THREADS
    if (n_threads <= 1 || n_items <= 1) {
        range_job one[1] = {{fn, ctx, 0, n_items, 0}};
        run_range(&one[0]);
        return 0;
    }
    mtx_lock(&p->lock);
    if (p->busy) { /* another caller, or a nested call from fn: do not wait for ourselves */
        mtx_unlock(&p->lock);
        return xl_parallel_for(n_threads, n_items, fn, ctx);
    }
    p->busy = 1;
    p->active = split_ranges(n_threads, n_items, fn, ctx, p->jobs);
    p->pending = p->active - 1;
    p->generation++; /* seq_cst store after the ranges: a polling worker that sees it sees them */
    range_job job0 = p->jobs[0];
    if (p->active > 1) cnd_broadcast(&p->wake);
    mtx_unlock(&p->lock);
    run_range(&job0);
    spin_until(run_finished, p, 0);
    mtx_lock(&p->lock);
    while (p->pending > 0) cnd_wait(&p->done, &p->lock);
    p->busy = 0;
    mtx_unlock(&p->lock);
    return 0;
#else
    return xl_parallel_for(n_threads, n_items, fn, ctx);
#endif
}
