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
#include <errno.h>

#include "xl_alloc.h"
#include "xl_io.h"

#ifdef XL_HAVE_POSIX
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

xl_path_kind xl_path_kind_of(const char *path)
{
    if (path == NULL || path[0] == '\0') return XL_PATH_MISSING;
    if (path[0] == '-' && path[1] == '\0') return XL_PATH_OTHER;
#ifdef XL_HAVE_POSIX
    struct stat st;
    if (stat(path, &st) != 0) return XL_PATH_MISSING;
    if (S_ISREG(st.st_mode)) return XL_PATH_REGULAR;
    if (S_ISDIR(st.st_mode)) return XL_PATH_DIRECTORY;
    return XL_PATH_OTHER;
#else
    FILE *f = fopen(path, "rb");
    if (f == NULL) return XL_PATH_MISSING;
    char c;
    bool dir = fread(&c, 1, 1, f) == 0 && ferror(f); /* a directory opens but does not read */
    fclose(f);
    return dir ? XL_PATH_DIRECTORY : XL_PATH_REGULAR;
#endif
}

bool xl_same_file(const char *a, const char *b)
{
    if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0') return false;
    bool a_dash = a[0] == '-' && a[1] == '\0', b_dash = b[0] == '-' && b[1] == '\0';
#ifdef XL_HAVE_POSIX
    struct stat sa, sb;
    if ((a_dash ? fstat(STDIN_FILENO, &sa) : stat(a, &sa)) != 0) return false;
    if ((b_dash ? fstat(STDOUT_FILENO, &sb) : stat(b, &sb)) != 0) return false;
    /* stdin and stdout are often the same terminal or pipe: only files count */
    if ((a_dash || b_dash) && !(S_ISREG(sa.st_mode) && S_ISREG(sb.st_mode))) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
#else
    if (a_dash || b_dash) return false;
    return strcmp(a, b) == 0;
#endif
}

char *xl_resolve_link(const char *path, xl_error *err)
{
#ifdef XL_HAVE_POSIX
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (real != NULL) {
            char *copy = xl_strndup(real, strlen(real), err);
            free(real);
            return copy;
        }
    }
#endif
    return xl_strndup(path, strlen(path), err);
}

FILE *xl_create_temp_beside(const char *target, char **tmp_path, xl_error *err)
{
    *tmp_path = NULL;
    const char *slash = strrchr(target, '/');
    size_t dir_len = slash ? (size_t)(slash - target) + 1 : 0;
    const char *base = target + dir_len;
    xl_buf name;
    xl_buf_init(&name);
    unsigned long pid = 0;
#ifdef XL_HAVE_POSIX
    pid = (unsigned long)getpid();
    struct stat st;
    bool keep_mode = stat(target, &st) == 0 && S_ISREG(st.st_mode);
#endif
    for (unsigned attempt = 0; attempt < 1000; attempt++) {
        xl_buf_clear(&name);
        if (xl_buf_append(&name, target, dir_len, err) < 0 ||
            xl_buf_printf(&name, err, ".%s.xlrec-tmp-%lu-%u", base, pid, attempt) < 0) {
            xl_buf_free(&name);
            return NULL;
        }
#ifdef XL_HAVE_POSIX
        int fd = open(name.data, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            xl_fail(err, XL_ERR_IO, "%s: cannot create a temporary file beside it: %s", target, strerror(errno));
            xl_buf_free(&name);
            return NULL;
        }
        if (keep_mode) (void)fchmod(fd, st.st_mode & 07777);
        FILE *f = fdopen(fd, "wb");
        if (f == NULL) {
            xl_fail(err, XL_ERR_IO, "%s: %s", name.data, strerror(errno));
            close(fd);
            remove(name.data);
            xl_buf_free(&name);
            return NULL;
        }
#else
        FILE *f = fopen(name.data, "wbx"); /* C11 exclusive mode */
        if (f == NULL) {
            if (xl_path_kind_of(name.data) != XL_PATH_MISSING) continue;
            xl_fail(err, XL_ERR_IO, "%s: cannot create a temporary file beside it", target);
            xl_buf_free(&name);
            return NULL;
        }
#endif
        *tmp_path = name.data; /* ownership passes to the caller */
        return f;
    }
    xl_fail(err, XL_ERR_IO, "%s: cannot create a temporary file beside it (1000 names taken)", target);
    xl_buf_free(&name);
    return NULL;
}

int xl_make_temp_dir_beside(const char *target, char **tmp_path, xl_error *err)
{
    *tmp_path = NULL;
    const char *slash = strrchr(target, '/');
    size_t dir_len = slash ? (size_t)(slash - target) + 1 : 0;
    const char *base = target + dir_len;
#ifdef XL_HAVE_POSIX
    xl_buf name;
    xl_buf_init(&name);
    unsigned long pid = (unsigned long)getpid();
    for (unsigned attempt = 0; attempt < 1000; attempt++) {
        xl_buf_clear(&name);
        if (xl_buf_append(&name, target, dir_len, err) < 0 ||
            xl_buf_printf(&name, err, ".%s.xlrec-tmp-%lu-%u", base, pid, attempt) < 0) {
            xl_buf_free(&name);
            return -1;
        }
        if (mkdir(name.data, 0777) != 0) {
            if (errno == EEXIST) continue;
            xl_fail(err, XL_ERR_IO, "%s: cannot create a temporary folder beside it: %s", target, strerror(errno));
            xl_buf_free(&name);
            return -1;
        }
        *tmp_path = name.data; /* ownership passes to the caller */
        return 0;
    }
    xl_buf_free(&name);
    return xl_fail(err, XL_ERR_IO, "%s: cannot create a temporary folder beside it (1000 names taken)", target);
#else
    (void)base;
    return xl_fail(err, XL_ERR_IO, "%s: creating folders needs POSIX mkdir, which this build does not have", target);
#endif
}

int xl_file_sync(FILE *f, const char *path, xl_error *err)
{
    errno = 0;
    if (fflush(f) != 0 || ferror(f))
        return xl_fail(err, XL_ERR_IO, "%s: write failed: %s", path, errno ? strerror(errno) : "I/O error");
#ifdef XL_HAVE_POSIX
    if (fsync(fileno(f)) != 0 && errno != EINVAL && errno != EROFS) /* EINVAL: a pipe or device */
        return xl_fail(err, XL_ERR_IO, "%s: fsync failed: %s", path, strerror(errno));
#endif
    return 0;
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

static int map_by_reading(xl_mapped_file *m, const char *path, size_t max_read, const char *limit_name,
                          size_t head_len, xl_head_check check, xl_error *err)
{
    char *data;
    size_t len;
    if (xl_read_file_ex(path, max_read, limit_name, head_len, check, &data, &len, err) < 0) return -1;
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
    return xl_map_file_ex(m, path, XL_READ_MAX_STREAM, "XL_READ_MAX_STREAM", 0, NULL, err);
}

int xl_map_file_ex(xl_mapped_file *m, const char *path, size_t max_read, const char *limit_name, size_t head_len,
                   xl_head_check check, xl_error *err)
{
    memset(m, 0, sizeof *m);
#ifdef XL_HAVE_POSIX
    if (!(path[0] == '-' && path[1] == '\0')) {
        if (xl_path_kind_of(path) == XL_PATH_DIRECTORY)
            return xl_fail(err, XL_ERR_IO, "%s: is a directory (a file is expected)", path);
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
    return map_by_reading(m, path, max_read, limit_name, head_len, check, err);
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
