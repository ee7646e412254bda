/* glove_io.c - GloVe's outputs through the shared output policy (xl_output: temporary file +
 * fsync + rename, devices in place, links followed) and the "output is not an input" check
 * (xl_same_file: device and inode); see glove.h and docs/reliability.md. */
#include "glove.h"

#include <string.h>

#include "xl_io.h"
#include "xl_platform.h"

int glove_out_open(glove_out *o, const char *path, bool binary, xl_error *err)
{
    (void)binary; /* one byte stream on every platform xlrec supports */
    memset(o, 0, sizeof *o);
    o->path = path;
    if (xl_output_open(&o->out, path, err) < 0) return -1;
    o->f = o->out.f;
    return 0;
}

int glove_out_commit(glove_out *o, xl_error *err)
{
    int rc = xl_output_commit(&o->out, err);
    memset(o, 0, sizeof *o);
    return rc;
}

void glove_out_abort(glove_out *o)
{
    xl_output_abort(&o->out);
    memset(o, 0, sizeof *o);
}

int glove_check_not_input(const char *out, const char *in, xl_error *err)
{
    if (!out || !in) return 0;
    if (xl_same_file(in, out) || (strcmp(out, "-") != 0 && strcmp(out, in) == 0))
        return xl_fail(err, XL_ERR_USAGE, "%s is the same file as the input %s: output would overwrite an input", out, in);
    return 0;
}
