/* xl_datapath.c - see xl_datapath.h. */
#include "xl_datapath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_platform.h"

/* Set by the Makefile: -DXLREC_DATADIR='"$(PREFIX)/share/xlrec"' and
 * -DXLREC_SOURCE_DIR='"$(CURDIR)"'.  A build without them (another build
 * system) still searches $XLREC_DATA and the working directory. */
#ifndef XLREC_DATADIR
#define XLREC_DATADIR "/usr/local/share/xlrec"
#endif
#ifdef XLREC_SOURCE_DIR
#define XL_SOURCE_WEIGHTS XLREC_SOURCE_DIR "/weights"
#else
#define XL_SOURCE_WEIGHTS NULL
#endif

size_t xl_datapath_dirs(const char *dirs[XL_DATAPATH_MAX_DIRS], const char *labels[XL_DATAPATH_MAX_DIRS])
{
    const char *env = getenv(XL_DATA_ENV);
    dirs[0] = env && *env ? env : NULL;
    labels[0] = "$" XL_DATA_ENV;
    dirs[1] = XLREC_DATADIR;
    labels[1] = "installed";
    dirs[2] = XL_SOURCE_WEIGHTS;
    labels[2] = "source tree";
    dirs[3] = "weights";
    labels[3] = "working directory";
    return XL_DATAPATH_MAX_DIRS;
}

/* dir + '/' + name into out[cap]; -1 when it does not fit. */
static int join(const char *dir, const char *name, char *out, size_t cap)
{
    size_t dl = strlen(dir), nl = strlen(name);
    while (dl > 1 && dir[dl - 1] == '/') dl--; /* "share/xlrec/" + "/default" */
    if (dl + 1 + nl + 1 > cap) return -1;
    memcpy(out, dir, dl);
    out[dl] = '/';
    memcpy(out + dl + 1, name, nl + 1);
    return 0;
}

static int name_ok(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '/') return 0;
    for (const char *p = name; *p; p++) /* no ".." component */
        if (p[0] == '.' && p[1] == '.' && (p == name || p[-1] == '/') && (p[2] == '\0' || p[2] == '/')) return 0;
    return 1;
}

int xl_datapath_search(const char *name, const char *const *dirs, const char *const *labels, size_t n_dirs,
                       char *out, size_t cap, xl_error *err)
{
    if (!name_ok(name))
        return xl_fail(err, XL_ERR_USAGE, "data file name '%s' must be relative to the data directory",
                       name ? name : "(null)");
    char path[XL_DATAPATH_MAX];
    for (size_t i = 0; i < n_dirs; i++) {
        if (dirs[i] == NULL || dirs[i][0] == '\0') continue;
        if (join(dirs[i], name, path, sizeof path) < 0) continue; /* too long to exist here */
        if (!xl_file_readable(path)) continue;
        if (strlen(path) + 1 > cap) return xl_fail(err, XL_ERR_LIMIT, "%s: path longer than %zu bytes", path, cap);
        memcpy(out, path, strlen(path) + 1);
        return 0;
    }
    /* the message: every place searched, in order */
    char msg[XL_ERROR_MSG_MAX];
    size_t at = 0;
    int w = snprintf(msg, sizeof msg, "the shipped data file %s was not found; searched:", name);
    at = w > 0 ? (size_t)w : 0;
    for (size_t i = 0; i < n_dirs && at < sizeof msg; i++) {
        const char *label = labels && labels[i] ? labels[i] : "";
        if (dirs[i] == NULL || dirs[i][0] == '\0')
            w = snprintf(msg + at, sizeof msg - at, "%s %s (not set)", i ? "," : "", label);
        else if (join(dirs[i], name, path, sizeof path) == 0)
            w = snprintf(msg + at, sizeof msg - at, "%s %s (%s)", i ? "," : "", path, label);
        else
            w = snprintf(msg + at, sizeof msg - at, "%s %s/... (%s, too long)", i ? "," : "", dirs[i], label);
        if (w < 0) break;
        at += (size_t)w;
    }
    return xl_fail(err, XL_ERR_IO, "%s", msg);
}

int xl_datapath_find(const char *name, char *out, size_t cap, xl_error *err)
{
    const char *dirs[XL_DATAPATH_MAX_DIRS], *labels[XL_DATAPATH_MAX_DIRS];
    size_t n = xl_datapath_dirs(dirs, labels);
    return xl_datapath_search(name, dirs, labels, n, out, cap, err);
}

const char *xl_datapath_resolve(const char *option, const char *name, char *out, size_t cap, xl_error *err)
{
    if (option != NULL && option[0] != '\0') return option;
    return xl_datapath_find(name, out, cap, err) < 0 ? NULL : out;
}
