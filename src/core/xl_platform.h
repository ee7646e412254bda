/* xl_platform.h - the thin portability layer.  The only file that may use
 * POSIX (clock_gettime, mmap, sysconf, getrusage); each use sits behind an
 * #ifdef with a portable C11 fallback, so xlrec builds with any C11 compiler.
 */
#ifndef XL_PLATFORM_H
#define XL_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "xl_error.h"

/* Seconds from an arbitrary start, monotonic where the OS offers it
 * (clock_gettime(CLOCK_MONOTONIC)); otherwise timespec_get / clock(). */
double xl_time_now(void);

/* Number of online CPUs (1 when unknown). */
int xl_cpu_count(void);

/* Peak resident set size of this process in bytes (0 when unknown). */
size_t xl_peak_rss_bytes(void);
/* Resident set size now, in bytes (Linux /proc/self/statm); 0 where unknown. */
size_t xl_current_rss_bytes(void);

/* True when standard error is a terminal (isatty(2)), so that commands may
 * draw progress lines; false where that cannot be known (no POSIX). */
bool xl_stderr_is_tty(void);

/* True when `path` names an existing file that can be opened for reading. */
bool xl_file_readable(const char *path);

/* Create directory `path` (one level; an existing directory is fine).  Where
 * POSIX mkdir is unavailable, succeeds only when the directory exists. */
int xl_make_dir(const char *path, xl_error *err);

/* A read-only view of a whole file.  Memory-mapped where POSIX mmap exists,
 * read into a heap buffer otherwise (or when the path is "-").  Callers see
 * the same `data`/`size` either way.  `data` is 64-byte aligned in both cases
 * (page-aligned when mapped). */
typedef struct xl_mapped_file {
    const unsigned char *data;
    size_t size;
    bool is_mapped; /* true: munmap on close; false: free */
    void *heap;     /* heap block when not mapped */
} xl_mapped_file;

int xl_map_file(xl_mapped_file *m, const char *path, xl_error *err);
void xl_unmap_file(xl_mapped_file *m);
/* Let the OS drop the resident pages of [p, p + len) of a mapped file (the whole pages inside the
 * range): a reader that touches them again gets the file's bytes back, read anew.  For data that
 * was copied elsewhere (packed weights), so it no longer counts twice in resident memory.  Does
 * nothing when the file was read into memory, when the range is not inside the map, or where
 * mmap/madvise do not exist. */
void xl_mapped_file_release(const xl_mapped_file *m, const void *p, size_t len);

/* Flush f and ask the OS to put its data on disk (fsync where POSIX exists; fflush only
 * elsewhere), for files that are renamed into place after writing (checkpoints). */
int xl_file_sync(FILE *f, const char *path, xl_error *err);

/* True when paths a and b name the same file (same device and inode where POSIX exists, the same
 * string otherwise): outputs refuse to overwrite inputs.  False when either does not exist. */
bool xl_same_file(const char *a, const char *b);

#endif /* XL_PLATFORM_H */
