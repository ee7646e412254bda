/* xl_error.c - see xl_error.h */
#include "xl_error.h"

#include <stdio.h>
#include <string.h>

void xl_error_clear(xl_error *err)
{
    if (err == NULL) return;
    err->code = XL_OK;
    err->msg[0] = '\0';
}

int xl_failv(xl_error *err, xl_error_code code, const char *fmt, va_list ap)
{
    if (err == NULL) return -1;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return -1;
}

int xl_fail(xl_error *err, xl_error_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xl_failv(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

int xl_error_prefix(xl_error *err, const char *fmt, ...)
{
    if (err == NULL) return -1;
    char old[XL_ERROR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* append ": <old message>" to whatever of the prefix fitted */
    size_t used = (n < 0) ? 0 : ((size_t)n < sizeof err->msg ? (size_t)n : sizeof err->msg - 1);
    size_t room = sizeof err->msg - used;
    size_t old_len = strlen(old);
    if (room > 2) {
        memcpy(err->msg + used, ": ", 2);
        used += 2;
        room -= 2;
        size_t take = old_len < room - 1 ? old_len : room - 1;
        memcpy(err->msg + used, old, take);
        err->msg[used + take] = '\0';
    }
    if (err->code == XL_OK) err->code = XL_ERR_GENERIC;
    return -1;
}
