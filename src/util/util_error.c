/* The thread-local last error. Messages live in a fixed buffer so that out-of-memory
 * can be reported without allocating. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MSG_MAX 2048

static _Thread_local struct {
    gnv_error err;
    bool set;
    char msg[MSG_MAX];
} last;

int gnv__error_vset(int code, int subsystem, const char *fmt, va_list ap)
{
    vsnprintf(last.msg, sizeof last.msg, fmt, ap);
    last.err.code = code;
    last.err.subsystem = subsystem;
    last.err.message = last.msg;
    last.set = true;
    return code;
}

int gnv__error_set(int code, int subsystem, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gnv__error_vset(code, subsystem, fmt, ap);
    va_end(ap);
    return code;
}

int gnv__error_prefix(const char *fmt, ...)
{
    char prefix[512], old[MSG_MAX - 512];
    va_list ap;
    if (!last.set)
        return GNV_ERROR;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t n = strnlen(last.msg, sizeof old - 1);
    memcpy(old, last.msg, n);
    old[n] = '\0';
    snprintf(last.msg, sizeof last.msg, "%.500s: %.1500s", prefix, old);
    return last.err.code;
}

int gnv__error_code(void)
{
    return last.set ? last.err.code : GNV_OK;
}

int gnv__error_os(int subsystem, int errnum, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int code = GNV_EIO;
    if (errnum == ENOENT || errnum == ENOTDIR)
        code = GNV_ENOTFOUND;
    else if (errnum == EEXIST)
        code = GNV_EEXISTS;
    else if (errnum == ENOMEM)
        code = GNV_ENOMEM;
    return gnv__error_set(code, subsystem, "%s: %s", what, strerror(errnum));
}

int gnv__error_oom(void)
{
    return gnv__error_set(GNV_ENOMEM, GNV_SUB_UTIL, "out of memory");
}

void gnv__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "geneva: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
    abort();
}

const gnv_error *gnv_error_last(void)
{
    return last.set ? &last.err : NULL;
}

void gnv_error_clear(void)
{
    last.set = false;
    last.err.code = GNV_OK;
}

const char *gnv_strerror(int code)
{
    switch (code) {
    case GNV_OK:
        return "success";
    case GNV_ERROR:
        return "error";
    case GNV_ENOTFOUND:
        return "not found";
    case GNV_EEXISTS:
        return "already exists";
    case GNV_EINVAL:
        return "invalid argument";
    case GNV_ENOMEM:
        return "out of memory";
    case GNV_EIO:
        return "I/O error";
    case GNV_ECORRUPT:
        return "corrupt data";
    case GNV_ECONFLICT:
        return "commit conflict";
    case GNV_EVERSION:
        return "unsupported version";
    case GNV_EUDF:
        return "user function failed";
    case GNV_ECANCELED:
        return "cancelled";
    case GNV_ENOTSUP:
        return "not supported";
    case GNV_ETIMEOUT:
        return "timed out";
    case GNV_ITEROVER:
        return "end of iteration";
    default:
        return "unknown error";
    }
}

const char *gnv_error_subsystem_name(int subsystem)
{
    static const char *names[] = {"none",  "util", "os",     "arrow", "ipc", "import",
                                  "expr",  "io",   "format", "table", "udf", "index",
                                  "query", "job",  "view",   "cli"};
    if (subsystem < 0 || (size_t)subsystem >= GNV_ARRAY_SIZE(names))
        return "unknown";
    return names[subsystem];
}
