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
#include "xl_io.h"

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

/* What a path names (symbolic links followed).  "-" is XL_PATH_OTHER. */
typedef enum { XL_PATH_MISSING, XL_PATH_REGULAR, XL_PATH_DIRECTORY, XL_PATH_OTHER } xl_path_kind;
xl_path_kind xl_path_kind_of(const char *path);

/* True when a and b name the same existing file: same device and inode (so hard links, symbolic
 * links and "./x" vs "x" are caught).  "-" stands for standard input when it is `a` and for
 * standard output when it is `b` (xl_same_file(input, output)).  Where POSIX stat is missing,
 * the paths are compared as strings. */
bool xl_same_file(const char *a, const char *b);

/* The file a symbolic link finally names (realpath), or a copy of `path` itself when it is not a
 * link or cannot be resolved; free() the result.  NULL only when out of memory. */
char *xl_resolve_link(const char *path, xl_error *err);

/* Create a new, empty file next to `target` (same directory, name ".BASE.xlrec-tmp-PID-N") for
 * writing, mode 0666 less the umask, or the mode of `target` when it exists; *tmp_path receives
 * its name (free() it).  Fails rather than reuse an existing name. */
FILE *xl_create_temp_beside(const char *target, char **tmp_path, xl_error *err);

/* Create a new, empty folder next to `target` (same parent, name ".BASE.xlrec-tmp-PID-N", mode 0777
 * less the umask) for writing a folder's content before renaming it to `target`; *tmp_path
 * receives its name (free() it).  Fails rather than reuse an existing name, and fails where POSIX
 * mkdir is unavailable (C11 cannot create folders). */
int xl_make_temp_dir_beside(const char *target, char **tmp_path, xl_error *err);

/* fflush + fsync (where POSIX exists): the bytes written to f are on the disk when it returns 0. */
int xl_file_sync(FILE *f, const char *path, xl_error *err);

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

/* A regular file is mapped (no size cap: its size is known).  Anything else (a pipe, a device,
 * "-") is read into memory, at most XL_READ_MAX_STREAM bytes (xl_io.h). */
int xl_map_file(xl_mapped_file *m, const char *path, xl_error *err);
/* The same with the reading cap named (max_read, limit_name) and a check of the first head_len
 * bytes while reading (xl_read_file_ex), so /dev/zero given as a model fails at the magic. */
int xl_map_file_ex(xl_mapped_file *m, const char *path, size_t max_read, const char *limit_name, size_t head_len,
                   xl_head_check check, xl_error *err);
void xl_unmap_file(xl_mapped_file *m);
/* Let the OS drop the resident pages of [p, p + len) of a mapped file (the whole pages inside the
 * range): a reader that touches them again gets the file's bytes back, read anew.  For data that
 * was copied elsewhere (packed weights), so it no longer counts twice in resident memory.  Does
 * nothing when the file was read into memory, when the range is not inside the map, or where
 * mmap/madvise do not exist. */
void xl_mapped_file_release(const xl_mapped_file *m, const void *p, size_t len);

#endif /* XL_PLATFORM_H */
