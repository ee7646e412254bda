/* glove_io.c - GloVe's outputs through the shared output policy (xl_output:
 * temporary file + rename, links followed, devices written directly) and the
 * "output is not an input" check (xl_same_file); see glove.h. */
#include "glove.h"

#include <string.h>

#include "xl_io.h"
#include "xl_platform.h"

int xl_glove_out_open(xl_glove_out *o, const char *path, bool binary, xl_error *err)
{
    (void)binary; /* xl_output writes bytes as given on every platform */
    memset(o, 0, sizeof *o);
    if (xl_output_open(&o->out, path, err) < 0) return -1;
    o->f = o->out.f;
    return 0;
}

int xl_glove_out_commit(xl_glove_out *o, xl_error *err)
{
    int rc = xl_output_commit(&o->out, err);
    o->f = NULL;
    return rc;
}

void xl_glove_out_abort(xl_glove_out *o)
{
    if (o->f) xl_output_abort(&o->out);
    o->f = NULL;
}

int xl_glove_check_not_input(const char *out, const char *in, xl_error *err)
{
    if (!out || !in || strcmp(out, "-") == 0 || strcmp(in, "-") == 0) return 0;
    if (strcmp(out, in) == 0) return xl_fail(err, XL_ERR_USAGE, "%s: output would overwrite an input", out);
    if (xl_same_file(in, out)) return xl_fail(err, XL_ERR_USAGE, "%s: output is the same file as input %s", out, in);
    return 0;
}
