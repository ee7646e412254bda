/* xl_platform.c - see xl_platform.h.
 *
 * POSIX features are used only when the headers say they exist.  Define
 * XL_NO_POSIX to force the portable fallbacks (tested in CI). */
#if !defined(XL_NO_POSIX) && (defined(__unix__) || defined(__APPLE__))
#define _POSIX_C_SOURCE 200809L
#if defined(__linux__)
#define _DEFAULT_SOURCE /* madvise(MADV_DONTNEED): glibc's posix_madvise ignores POSIX_MADV_DONTNEED */
#endif
#define XL_HAVE_POSIX 1
#endif

#include "xl_platform.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xl_alloc.h"
#include "xl_io.h"

#ifdef XL_HAVE_POSIX
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

double xl_time_now(void)
{
#if defined(XL_HAVE_POSIX) && defined(CLOCK_MONOTONIC)
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
#if defined(TIME_UTC)
    {
        struct timespec ts2;
        if (timespec_get(&ts2, TIME_UTC) == TIME_UTC) return (double)ts2.tv_sec + 1e-9 * (double)ts2.tv_nsec;
    }
#endif
    return (double)clock() / (double)CLOCKS_PER_SEC;
}

int xl_cpu_count(void)
{
#if defined(XL_HAVE_POSIX) && defined(_SC_NPROCESSORS_ONLN)
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n >= 1 && n <= 4096) return (int)n;
#endif
    return 1;
}

size_t xl_peak_rss_bytes(void)
{
#ifdef XL_HAVE_POSIX
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
#if defined(__APPLE__)
        return (size_t)ru.ru_maxrss; /* bytes on macOS */
#else
        return (size_t)ru.ru_maxrss * 1024u; /* kilobytes on Linux/BSD */
#endif
    }
#endif
    return 0;
}

size_t xl_current_rss_bytes(void)
{
#if defined(XL_HAVE_POSIX) && defined(__linux__)
    /* /proc/self/statm: total and resident size in pages */
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return 0;
    unsigned long total = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &total, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    if (n != 2 || page <= 0) return 0;
    return (size_t)resident * (size_t)page;
#else
    return 0;
#endif
}

bool xl_stderr_is_tty(void)
{
#ifdef XL_HAVE_POSIX
    return isatty(STDERR_FILENO) == 1;
#else
    return false;
#endif
}

bool xl_file_readable(const char *path)
{
    if (path == NULL || path[0] == '\0') return false;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return false;
    fclose(f);
    return true;
}

int xl_make_dir(const char *path, xl_error *err)
{
#ifdef XL_HAVE_POSIX
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        return xl_fail(err, XL_ERR_IO, "%s: exists and is not a directory", path);
    }
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
    return xl_fail(err, XL_ERR_IO, "%s: cannot create directory: %s", path, strerror(errno));
#else
    /* C11 cannot create directories: accept one that already holds a file we can create */
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/.xlrec_probe", path);
    FILE *f = fopen(probe, "wb");
    if (f == NULL) return xl_fail(err, XL_ERR_IO, "%s: directory does not exist (create it first)", path);
    fclose(f);
    remove(probe);
    return 0;
#endif
}

static int map_by_reading(xl_mapped_file *m, const char *path, xl_error *err)
{
    char *data;
    size_t len;
    if (xl_read_file(path, 0, &data, &len, err) < 0) return -1;
    /* copy into a 64-byte aligned block so tensor data can be used in place */
    void *aligned = xl_aligned_alloc(len ? len : 1, err);
    if (aligned == NULL) {
        free(data);
        return -1;
    }
    if (len) memcpy(aligned, data, len);
    free(data);
    m->data = aligned;
    m->size = len;
    m->is_mapped = false;
    m->heap = aligned;
    return 0;
}

int xl_map_file(xl_mapped_file *m, const char *path, xl_error *err)
{
    memset(m, 0, sizeof *m);
#ifdef XL_HAVE_POSIX
    if (!(path[0] == '-' && path[1] == '\0')) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) return xl_fail(err, XL_ERR_IO, "%s: %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0) {
            int e = errno;
            close(fd);
            return xl_fail(err, XL_ERR_IO, "%s: %s", path, strerror(e));
        }
        if (S_ISREG(st.st_mode) && st.st_size > 0 && (unsigned long long)st.st_size <= (unsigned long long)SIZE_MAX) {
            void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            close(fd);
            if (p != MAP_FAILED) {
                m->data = p;
                m->size = (size_t)st.st_size;
                m->is_mapped = true;
                return 0;
            }
            /* fall through to reading (e.g. a file system without mmap) */
        } else {
            close(fd);
        }
    }
#endif
    return map_by_reading(m, path, err);
}

void xl_unmap_file(xl_mapped_file *m)
{
#ifdef XL_HAVE_POSIX
    if (m->is_mapped && m->data != NULL) munmap((void *)m->data, m->size);
#endif
    if (!m->is_mapped) xl_aligned_free(m->heap);
    memset(m, 0, sizeof *m);
}

void xl_mapped_file_release(const xl_mapped_file *m, const void *p, size_t len)
{
#ifdef XL_HAVE_POSIX
    if (m == NULL || !m->is_mapped || m->data == NULL || p == NULL || len == 0) return;
    const uintptr_t base = (uintptr_t)m->data, lo = (uintptr_t)p;
    if (lo < base || lo - base > m->size || len > m->size - (lo - base)) return; /* not inside the map */
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    const uintptr_t ps = (uintptr_t)page, first = (lo + ps - 1) / ps * ps, last = (lo + len) / ps * ps;
    if (first >= last) return;
#if defined(__linux__) && defined(MADV_DONTNEED)
    (void)madvise((void *)first, last - first, MADV_DONTNEED);
#else
    (void)posix_madvise((void *)first, last - first, POSIX_MADV_DONTNEED);
#endif
#else
    (void)m, (void)p, (void)len;
#endif
}

int xl_file_sync(FILE *f, const char *path, xl_error *err)
{
    if (fflush(f) != 0) return xl_fail(err, XL_ERR_IO, "%s: write failed", path);
#ifdef XL_HAVE_POSIX
    if (fsync(fileno(f)) != 0) return xl_fail(err, XL_ERR_IO, "%s: fsync: %s", path, strerror(errno));
#endif
    return 0;
}

bool xl_same_file(const char *a, const char *b)
{
    if (a == NULL || b == NULL) return false;
    if (strcmp(a, b) == 0) return true;
#ifdef XL_HAVE_POSIX
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
#else
    return false;
#endif
}
