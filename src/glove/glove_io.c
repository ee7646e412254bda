/* glove_io.c - atomic outputs (temporary file + rename) and the "output is
 * not an input" check; see glove.h. */
#if !defined(XL_NO_POSIX) && (defined(__unix__) || defined(__APPLE__))
#define _POSIX_C_SOURCE 200809L
#define GLOVE_POSIX 1
#endif

#include "glove.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_io.h"

#ifdef GLOVE_POSIX
#include <sys/stat.h>
#include <unistd.h>
#endif

int glove_out_open(glove_out *o, const char *path, bool binary, xl_error *err)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    size_t n = strlen(path);
    o->tmp_path = xl_malloc(n + 32, err);
    if (!o->tmp_path) return -1;
    /* a name no other writer uses: C11's exclusive mode "x" fails when the
     * file exists, so a clash only costs another attempt */
    xl_error open_err;
    for (unsigned attempt = 0; attempt < 100 && !o->f; attempt++) {
        snprintf(o->tmp_path, n + 32, "%s.tmp-%lx-%u", path, (unsigned long)((uintptr_t)o & 0xffffffu), attempt);
        o->f = xl_fopen(o->tmp_path, binary ? "wbx" : "wx", &open_err);
    }
    if (o->f) return 0;
    if (err) *err = open_err;
    free(o->tmp_path);
    o->tmp_path = NULL;
    return -1;
}

int glove_out_commit(glove_out *o, xl_error *err)
{
    if (!o->tmp_path) {
        int rc = fflush(o->f) == 0 ? 0 : xl_fail(err, XL_ERR_IO, "%s: write failed", o->path);
        o->f = NULL;
        return rc;
    }
    int rc = xl_fclose(o->f, o->tmp_path, err);
    o->f = NULL;
    if (rc == 0 && rename(o->tmp_path, o->path) != 0)
        rc = xl_fail(err, XL_ERR_IO, "%s: cannot rename %s into place", o->path, o->tmp_path);
    if (rc < 0) remove(o->tmp_path);
    free(o->tmp_path);
    o->tmp_path = NULL;
    return rc;
}

void glove_out_abort(glove_out *o)
{
    if (o->f && o->tmp_path) fclose(o->f);
    if (o->tmp_path) remove(o->tmp_path);
    free(o->tmp_path);
    memset(o, 0, sizeof *o);
}

int glove_check_not_input(const char *out, const char *in, xl_error *err)
{
    if (!out || !in || strcmp(out, "-") == 0 || strcmp(in, "-") == 0) return 0;
    if (strcmp(out, in) == 0) return xl_fail(err, XL_ERR_USAGE, "%s: output would overwrite an input", out);
#ifdef GLOVE_POSIX
    struct stat so, si;
    if (stat(out, &so) == 0 && stat(in, &si) == 0 && so.st_dev == si.st_dev && so.st_ino == si.st_ino)
        return xl_fail(err, XL_ERR_USAGE, "%s: output is the same file as input %s", out, in);
#endif
    return 0;
}
