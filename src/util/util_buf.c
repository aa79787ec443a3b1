/* Growable byte buffers. The buffer stays NUL-terminated after every append so it can
 * be used as a C string; `size` never counts the terminator. */
#include <stdio.h>
#include <string.h>

#include "util.h"

void gnv_buf_dispose(gnv_buf *b)
{
    if (!b)
        return;
    gnv__free(b->ptr);
    b->ptr = NULL;
    b->size = b->asize = 0;
}

int gnv__buf_reserve(gnv_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->size - 1)
        return gnv__error_oom();
    size_t need = b->size + extra + 1;
    if (need <= b->asize)
        return GNV_OK;
    size_t cap = b->asize ? b->asize : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = gnv__realloc(b->ptr, cap);
    if (!p)
        return gnv__error_oom();
    b->ptr = p;
    b->asize = cap;
    return GNV_OK;
}

int gnv__buf_put(gnv_buf *b, const void *data, size_t n)
{
    GNV_TRY(gnv__buf_reserve(b, n));
    if (n)
        memcpy(b->ptr + b->size, data, n);
    b->size += n;
    b->ptr[b->size] = '\0';
    return GNV_OK;
}

int gnv__buf_put_zeros(gnv_buf *b, size_t n)
{
    GNV_TRY(gnv__buf_reserve(b, n));
    memset(b->ptr + b->size, 0, n + 1);
    b->size += n;
    return GNV_OK;
}

int gnv__buf_puts(gnv_buf *b, const char *s)
{
    return gnv__buf_put(b, s, strlen(s));
}

int gnv__buf_putc(gnv_buf *b, char c)
{
    return gnv__buf_put(b, &c, 1);
}

int gnv__buf_vprintf(gnv_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_UTIL, "bad format string");
    GNV_TRY(gnv__buf_reserve(b, (size_t)n));
    vsnprintf(b->ptr + b->size, (size_t)n + 1, fmt, ap);
    b->size += (size_t)n;
    return GNV_OK;
}

int gnv__buf_printf(gnv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = gnv__buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void gnv__buf_clear(gnv_buf *b)
{
    b->size = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

char *gnv__buf_detach(gnv_buf *b, size_t *size_out)
{
    char *p = b->ptr;
    if (size_out)
        *size_out = b->size;
    if (!p)
        p = gnv__strdup("");
    b->ptr = NULL;
    b->size = b->asize = 0;
    return p;
}
