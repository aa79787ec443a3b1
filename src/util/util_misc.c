/* JSON set-up, clock, CPU count, UTF-8 checking and small-file reads. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void *json_malloc(size_t n)
{
    return gnv__malloc(n);
}

static void json_free(void *p)
{
    gnv__free(p);
}

void gnv__json_setup(void)
{
    json_set_alloc_funcs(json_malloc, json_free);
}

double gnv__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int gnv__ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

int64_t gnv__utf8_invalid_at(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* fast path over ASCII, 32 then 8 bytes at a time */
        while (i + 32 <= n) {
            uint64_t w[4];
            __builtin_memcpy(w, s + i, 32);
            if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL)
                break;
            i += 32;
        }
        while (i + 8 <= n) {
            uint64_t w;
            __builtin_memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return (int64_t)i;
        }
        if (i + len > n)
            return (int64_t)i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return (int64_t)i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return (int64_t)i;
        i += len;
    }
    return -1;
}

int gnv__read_file(gnv_buf *out, const char *path, int subsystem)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gnv__error_os(subsystem, errno, "cannot open '%s'", path);
    int rc = GNV_OK;
    for (;;) {
        if ((rc = gnv__buf_reserve(out, 1 << 16)) < 0)
            break;
        ssize_t got = read(fd, out->ptr + out->size, out->asize - out->size - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = gnv__error_os(subsystem, errno, "cannot read '%s'", path);
            break;
        }
        if (got == 0)
            break;
        out->size += (size_t)got;
        out->ptr[out->size] = '\0';
    }
    close(fd);
    return rc;
}
