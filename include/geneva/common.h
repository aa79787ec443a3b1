/**
 * @file common.h
 * @brief Export macros, version, library start-up and the allocator hooks.
 * @defgroup common Common definitions
 * @{
 */
#ifndef GENEVA_COMMON_H
#define GENEVA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define GNV_EXTERN __declspec(dllexport)
#elif defined(__GNUC__)
#define GNV_EXTERN __attribute__((visibility("default")))
#else
#define GNV_EXTERN
#endif

#define GNV_VERSION_MAJOR  0
#define GNV_VERSION_MINOR  1
#define GNV_VERSION_PATCH  0
#define GNV_VERSION_STRING "0.1.0"

/**
 * The library's version string, e.g. "0.1.0".
 * @return a static string. Thread-safe.
 * @since 0.1
 */
GNV_EXTERN const char *gnv_version(void);

/** Allocator hooks. Every allocation of the library goes through them. */
typedef struct gnv_allocator {
    void *(*malloc_fn)(size_t size, void *payload);
    void *(*realloc_fn)(void *ptr, size_t size, void *payload);
    void (*free_fn)(void *ptr, void *payload);
    void *payload;
} gnv_allocator;

/** Options of gnv_global_init(). */
typedef struct gnv_global_options {
    unsigned int version;           /**< GNV_GLOBAL_OPTIONS_VERSION */
    const gnv_allocator *allocator; /**< NULL: the C library's malloc/realloc/free */
} gnv_global_options;

#define GNV_GLOBAL_OPTIONS_VERSION 1
#define GNV_GLOBAL_OPTIONS_INIT                                                                    \
    {                                                                                              \
        GNV_GLOBAL_OPTIONS_VERSION, NULL                                                           \
    }

/**
 * Set up process-wide state: the allocator (also used by the JSON library).
 *
 * Optional: without it the library uses the C allocator. Call it before any other
 * function of the library, from one thread; calling it again replaces the allocator,
 * which is only safe when nothing allocated by the old one is still alive.
 *
 * @param opts options, or NULL for the defaults.
 * @return GNV_OK, or GNV_EVERSION when opts->version is newer than this library.
 * @since 0.1
 */
GNV_EXTERN int gnv_global_init(const gnv_global_options *opts);

/**
 * Free memory the library returned to the caller (strings, arrays of names).
 * NULL is allowed. Thread-safe.
 * @since 0.1
 */
GNV_EXTERN void gnv_free(void *ptr);

/**
 * A growable byte buffer that the library fills for the caller.
 * `ptr` is NUL-terminated when the buffer holds text. Free it with gnv_buf_dispose().
 */
typedef struct gnv_buf {
    char *ptr;    /**< the bytes, or NULL when empty */
    size_t size;  /**< bytes in use */
    size_t asize; /**< bytes allocated */
} gnv_buf;

#define GNV_BUF_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/**
 * Free a buffer's memory and reset it to GNV_BUF_INIT. NULL is allowed.
 * @since 0.1
 */
GNV_EXTERN void gnv_buf_dispose(gnv_buf *buf);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
