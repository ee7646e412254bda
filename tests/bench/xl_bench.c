/* xl_bench.c - the benchmarks' shared helpers (xl_bench.h). */
#if defined(__linux__)
#define _GNU_SOURCE /* wait4 */
#endif
#include "xl_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__linux__)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "xl_kernels_impl.h" /* fma_probe */
#include "xl_platform.h"

int xl_bench_gemm_args(const char *name, int argc, char **argv, int *quick, const char **path, int *reps)
{
    *quick = 0, *path = NULL, *reps = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) *quick = 1, *reps = 2;
        else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) *path = argv[++i];
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) *reps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--quick] [--path scalar|avx2|avx512|neon] [--reps N]\n", argv[0]);
            return -1;
        }
    }
    if (*reps < 1) *reps = 1;
    printf("%s: command:", name);
    for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
    printf("\n");
    return 0;
}

void xl_bench_fill(float *v, size_t n, unsigned seed)
{
    unsigned long long s = seed * 2654435761ull + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)((double)(s >> 40) / (double)(1ull << 24) - 0.5);
    }
}

int xl_bench_load_averages(double load[3])
{
    load[0] = load[1] = load[2] = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return -1;
    int ok = fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3;
    fclose(f);
    if (!ok) load[0] = load[1] = load[2] = -1.0;
    return ok ? 0 : -1;
}

double xl_bench_load_average(void)
{
    double load[3];
    xl_bench_load_averages(load);
    return load[0];
}

int xl_bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* wall and CPU seconds per call of `inner` calls of one side */
static xl_bench_time run_side(const xl_bench_side *s, int inner)
{
    double t0 = xl_time_now();
    clock_t c0 = clock();
    for (int i = 0; i < inner; i++) s->fn(s->ctx);
    xl_bench_time t;
    t.cpu = (double)(clock() - c0) / CLOCKS_PER_SEC / inner;
    t.wall = (xl_time_now() - t0) / inner;
    return t;
}

void xl_bench_best_of(const xl_bench_side *sides, size_t n_sides, int reps, double min_seconds, xl_bench_time *best)
{
    double first = 0.0;
    for (size_t s = 0; s < n_sides; s++) { /* warm-up; side 0 calibrates the inner count */
        xl_bench_time t = run_side(&sides[s], 1);
        if (s == 0) first = t.wall;
        best[s].wall = best[s].cpu = 1e30;
    }
    int inner = (int)(min_seconds / (first > 1e-6 ? first : 1e-6)) + 1;
    for (int r = 0; r < reps; r++)
        for (size_t s = 0; s < n_sides; s++) {
            xl_bench_time t = run_side(&sides[s], inner);
            if (t.wall < best[s].wall) best[s].wall = t.wall;
            if (t.cpu > 0 && t.cpu < best[s].cpu) best[s].cpu = t.cpu;
        }
}

static double probe_peak_cpu(double (*probe)(size_t, float *))
{
    float sink[64] = {1.0f};
    size_t iters = 1000;
    for (;;) {
        clock_t c0 = clock();
        probe(iters, sink);
        double dt = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (dt > 0.02 || iters > ((size_t)1 << 28)) break;
        iters *= 4;
    }
    iters *= 4;
    double best = 0.0;
    for (int rep = 0; rep < 5; rep++) {
        clock_t c0 = clock();
        double flops = probe(iters, sink);
        double dt = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (dt > 0 && flops / dt * 1e-9 > best) best = flops / dt * 1e-9;
    }
    return best;
}

double xl_bench_fma_peak_cpu(const xl_kernels *k)
{
    return probe_peak_cpu(k->impl->fma_probe);
}

double xl_bench_int8_peak_cpu(const xl_kernels *k)
{
    double (*probe)(size_t, float *) =
        k->has_vnni && k->impl->qpeak_probe_vnni ? k->impl->qpeak_probe_vnni : k->impl->qpeak_probe;
    return probe ? probe_peak_cpu(probe) : 0.0;
}

xl_bench_proc xl_bench_spawn(char *const argv[], const char *in, const char *out, const char *err)
{
    xl_bench_proc r = {-1, 0.0, 0.0, 0};
#if defined(__linux__)
    double t0 = xl_time_now();
    pid_t pid = fork();
    if (pid < 0) return r;
    if (pid == 0) {
        int fi = open(in ? in : "/dev/null", O_RDONLY);
        int fo = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fi < 0 || fo < 0 || fe < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid) return r;
    r.wall = xl_time_now() - t0;
    r.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
            (double)ru.ru_stime.tv_usec * 1e-6;
    r.rss_kb = ru.ru_maxrss;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
#else
    (void)argv, (void)in, (void)out, (void)err;
#endif
    return r;
}
