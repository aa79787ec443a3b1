/* Allocation through the hooks set by gnv_global_init(), with a failure injector for tests. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void *libc_malloc(size_t size, void *payload)
{
    (void)payload;
    return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *payload)
{
    (void)payload;
    return realloc(ptr, size);
}

static void libc_free(void *ptr, void *payload)
{
    (void)payload;
    free(ptr);
}

static gnv_allocator allocator = {libc_malloc, libc_realloc, libc_free, NULL};

/* Fault injection: counts allocations; fails the one numbered fail_at. */
static _Atomic uint64_t alloc_count;
static _Atomic uint64_t fail_at;
static _Atomic bool fail_sticky;

static bool should_fail(void)
{
    uint64_t n = atomic_fetch_add(&alloc_count, 1) + 1;
    uint64_t at = atomic_load(&fail_at);
    if (at == 0)
        return false;
    return n == at || (n > at && atomic_load(&fail_sticky));
}

uint64_t gnv__alloc_fail_at(uint64_t n, bool sticky)
{
    uint64_t made = atomic_exchange(&alloc_count, 0);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&fail_at, n);
    return made;
}

void *gnv__malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return allocator.malloc_fn(size ? size : 1, allocator.payload);
}

void *gnv__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = gnv__malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *gnv__realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    return allocator.realloc_fn(ptr, size ? size : 1, allocator.payload);
}

void *gnv__reallocarray(void *ptr, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return gnv__realloc(ptr, count * size);
}

void gnv__free(void *ptr)
{
    if (ptr)
        allocator.free_fn(ptr, allocator.payload);
}

char *gnv__strndup(const char *s, size_t n)
{
    char *p = gnv__malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *gnv__strdup(const char *s)
{
    return gnv__strndup(s, strlen(s));
}

void gnv_free(void *ptr)
{
    gnv__free(ptr);
}

const char *gnv_version(void)
{
    return GNV_VERSION_STRING;
}

int gnv_global_init(const gnv_global_options *opts)
{
    if (opts && opts->version > GNV_GLOBAL_OPTIONS_VERSION)
        return gnv__error_set(GNV_EVERSION, GNV_SUB_UTIL,
                              "gnv_global_init: options version %u is newer than this library's %u",
                              opts->version, GNV_GLOBAL_OPTIONS_VERSION);
    if (opts && opts->allocator) {
        const gnv_allocator *a = opts->allocator;
        if (!a->malloc_fn || !a->realloc_fn || !a->free_fn)
            return gnv__error_set(GNV_EINVAL, GNV_SUB_UTIL,
                                  "gnv_global_init: the allocator needs malloc, realloc and free");
        allocator = *a;
    } else {
        allocator = (gnv_allocator){libc_malloc, libc_realloc, libc_free, NULL};
    }
    gnv__json_setup();
    return GNV_OK;
}
