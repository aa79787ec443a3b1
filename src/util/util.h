/*
 * util: allocation, errors, buffers, hashing, JSON set-up and a thread pool.
 * The internal header of the util module; it uses nothing else of ours.
 */
#ifndef GNV_UTIL_H
#define GNV_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geneva/common.h"
#include "geneva/errors.h"

/* ---- allocation --------------------------------------------------------- */

void *gnv__malloc(size_t size);
void *gnv__calloc(size_t count, size_t size);
void *gnv__realloc(void *ptr, size_t size);
void gnv__free(void *ptr);
char *gnv__strdup(const char *s);
char *gnv__strndup(const char *s, size_t n);
/* realloc of count*size elements that fails cleanly on overflow. */
void *gnv__reallocarray(void *ptr, size_t count, size_t size);

/*
 * Test hook: make the Nth allocation from now fail (1 = the next one), and every one
 * after it while `sticky`. n = 0 turns it off. Returns how many allocations were made
 * since the last call (so a test can tell whether its body ran out of failures).
 */
uint64_t gnv__alloc_fail_at(uint64_t n, bool sticky);

/* ---- errors ------------------------------------------------------------- */

/* Record the calling thread's last error and return `code` (printf-style message). */
int gnv__error_set(int code, int subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int gnv__error_vset(int code, int subsystem, const char *fmt, va_list ap);
/* Put "<context>: " in front of the current message; returns the current code. */
int gnv__error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The current code (GNV_OK when none). */
int gnv__error_code(void);
/* Set an error from errno after a failed system call: "<what>: <strerror>". */
int gnv__error_os(int subsystem, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record an out-of-memory failure. */
int gnv__error_oom(void);

#define GNV_TRY(expr)                                                                              \
    do {                                                                                           \
        int gnv__rc = (expr);                                                                      \
        if (gnv__rc < 0)                                                                           \
            return gnv__rc;                                                                        \
    } while (0)

/* In functions with a `rc` variable and a `done:` label. */
#define GNV_TRYG(expr)                                                                             \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc < 0)                                                                                \
            goto done;                                                                             \
    } while (0)

#define GNV_ERR_IF(cond, code, sub, ...)                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            rc = gnv__error_set((code), (sub), __VA_ARGS__);                                       \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define GNV_CHECK_ALLOC(ptr)                                                                       \
    do {                                                                                           \
        if ((ptr) == NULL) {                                                                       \
            rc = gnv__error_oom();                                                                 \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define GNV_ASSERT(cond) ((cond) ? (void)0 : gnv__assert_fail(#cond, __FILE__, __LINE__))
void gnv__assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));

/* ---- buffers (gnv_buf is public; these are the helpers) ------------------ */

/* Make room for at least `extra` more bytes. */
int gnv__buf_reserve(gnv_buf *b, size_t extra);
int gnv__buf_put(gnv_buf *b, const void *data, size_t n);
int gnv__buf_puts(gnv_buf *b, const char *s);
int gnv__buf_putc(gnv_buf *b, char c);
int gnv__buf_printf(gnv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int gnv__buf_vprintf(gnv_buf *b, const char *fmt, va_list ap);
/* Append n zero bytes. */
int gnv__buf_put_zeros(gnv_buf *b, size_t n);
/* Keep the allocation, forget the contents. */
void gnv__buf_clear(gnv_buf *b);
/* Hand the bytes to the caller (NUL-terminated) and reset the buffer. */
char *gnv__buf_detach(gnv_buf *b, size_t *size_out);

/* ---- hashing ------------------------------------------------------------ */

uint64_t gnv__xxh64(const void *data, size_t n, uint64_t seed);
uint64_t gnv__xxh3(const void *data, size_t n);
/* SHA-256 of bytes, or of a whole file streamed in blocks. */
int gnv__sha256(uint8_t out[32], const void *data, size_t n);
int gnv__sha256_file(uint8_t out[32], const char *path);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void gnv__hex(char *out, const uint8_t *bytes, size_t n);

/* ---- a set of strings (util_strset.c) ------------------------------------ */

/* Open addressing over xxh3; the set owns copies of its strings. Zero-initialise. */
typedef struct gnv_strset {
    char **slots; /* NULL: empty */
    size_t cap;   /* a power of two, or 0 */
    size_t n;
} gnv_strset;
/* Add a copy of s (n bytes) unless present. *added (may be NULL) says which. */
int gnv__strset_add(gnv_strset *set, const char *s, size_t n, bool *added);
bool gnv__strset_has(const gnv_strset *set, const char *s, size_t n);
void gnv__strset_reset(gnv_strset *set);

/* ---- base64 ------------------------------------------------------------- */

int gnv__base64_encode(gnv_buf *out, const uint8_t *data, size_t n);

/* ---- JSON (jansson) ----------------------------------------------------- */

/* jansson uses our allocator once gnv_global_init() ran; this does it lazily. */
void gnv__json_setup(void);

/* ---- thread pool -------------------------------------------------------- */

typedef struct gnv_pool gnv_pool;
typedef void (*gnv_pool_fn)(void *arg);

/* A pool of n worker threads (n <= 0: one per online CPU). */
int gnv__pool_new(gnv_pool **out, int nthreads);
/* Queue fn(arg); runs on some worker. */
int gnv__pool_submit(gnv_pool *pool, gnv_pool_fn fn, void *arg);
/* Wait until every queued task has finished. */
void gnv__pool_wait(gnv_pool *pool);
int gnv__pool_size(const gnv_pool *pool);
/* Wait for queued work, stop the workers, free the pool. NULL is allowed. */
void gnv__pool_free(gnv_pool *pool);

/* Number of online CPUs (at least 1). */
int gnv__ncpus(void);

/* ---- small helpers ------------------------------------------------------ */

#define GNV_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define GNV_MAX(a, b)     ((a) > (b) ? (a) : (b))
#define GNV_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Monotonic clock in seconds. */
double gnv__now(void);

/* Check UTF-8; returns the byte offset of the first invalid sequence, or -1 when valid. */
int64_t gnv__utf8_invalid_at(const uint8_t *s, size_t n);

/* Whole-file read for small files (manifests, tests). */
int gnv__read_file(gnv_buf *out, const char *path, int subsystem);

#endif
