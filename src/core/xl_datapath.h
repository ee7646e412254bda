/* xl_datapath.h - where the shipped data files (default models) are found.
 *
 * A shipped data file is named by its path relative to the data directory,
 * laid out like the installed `$(PREFIX)/share/xlrec/` and the checkout's
 * `weights/`: "default/xlrec-encoder.xlm", "langid/langid.xlid" ...
 *
 * Contract
 *   - Resolution order (the first readable file wins):
 *       1. the command-line option: an explicit path is used as is, never
 *          searched (xl_datapath_resolve with a non-NULL option);
 *       2. $XLREC_DATA/NAME: a directory laid out like share/xlrec (unset or
 *          empty: skipped);
 *       3. XLREC_DATADIR/NAME: the installed data directory, fixed at compile
 *          time (the Makefile sets it to $(PREFIX)/share/xlrec);
 *       4. the source tree: XLREC_SOURCE_DIR/weights/NAME (the checkout that
 *          built the binary, fixed at compile time), then weights/NAME
 *          relative to the working directory.
 *   - A file that is not found is an error (XL_ERR_IO) whose message names
 *     the file and every place searched, so the user can fix the right one.
 *   - No global state: the environment is read at each call; nothing is
 *     cached.  No printing, no exiting.
 */
#ifndef XL_DATAPATH_H
#define XL_DATAPATH_H

#include <stddef.h>

#include "xl_error.h"

/* The shipped data files, relative to the data directory. */
#define XL_DATA_ENCODER "default/xlrec-encoder.xlm"            /* the default sentence encoder (xlrec model file) */
#define XL_DATA_WORD_VECTORS "default/xlrec-default-xl12.f16" /* the word-vector baseline (word2vec f16) */
#define XL_DATA_LANGID "langid/langid.xlid"                   /* the language identifier */

/* The environment variable of step 2. */
#define XL_DATA_ENV "XLREC_DATA"

/* Longest path built here (directory + '/' + name). */
#define XL_DATAPATH_MAX 4096
/* Most search directories: $XLREC_DATA, the installed one, two source-tree ones. */
#define XL_DATAPATH_MAX_DIRS 4

/* The search directories in order (steps 2-4) and a label for each
 * ("$XLREC_DATA", "installed", "source tree", "working directory").  Always
 * XL_DATAPATH_MAX_DIRS entries; dirs[0] is NULL when $XLREC_DATA is unset or
 * empty.  The strings live in the environment or are static. */
size_t xl_datapath_dirs(const char *dirs[XL_DATAPATH_MAX_DIRS], const char *labels[XL_DATAPATH_MAX_DIRS]);

/* The first dirs[i]/name that is a readable file (NULL dirs skipped), copied
 * into out[cap].  Not found: -1 with
 *   "the shipped data file NAME was not found; searched: DIR1/NAME (LABEL1), ..."
 * where a NULL dir reads "LABEL (not set)".  name must be relative, without "..". */
int xl_datapath_search(const char *name, const char *const *dirs, const char *const *labels, size_t n_dirs,
                       char *out, size_t cap, xl_error *err);

/* xl_datapath_search over xl_datapath_dirs(). */
int xl_datapath_find(const char *name, char *out, size_t cap, xl_error *err);

/* The path to open: `option` when given (non-NULL, non-empty: used as is),
 * else xl_datapath_find(name) into out[cap].  Returns the path (option or
 * out), or NULL with err set. */
const char *xl_datapath_resolve(const char *option, const char *name, char *out, size_t cap, xl_error *err);

#endif /* XL_DATAPATH_H */
