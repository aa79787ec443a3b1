/* Helpers shared by the cmocka test binaries. Include after cmocka's prerequisites. */
#ifndef GNV_TEST_H
#define GNV_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geneva/geneva.h"
#include "util/util.h"

/* Assert that a call succeeded, printing the library's message when it did not. */
#define GNV_ASSERT_OK(expr)                                                                        \
    do {                                                                                           \
        int gnv_t_rc = (expr);                                                                     \
        if (gnv_t_rc != GNV_OK) {                                                                  \
            const gnv_error *gnv_t_e = gnv_error_last();                                           \
            fail_msg("%s returned %d: %s", #expr, gnv_t_rc,                                        \
                     gnv_t_e ? gnv_t_e->message : "(no message)");                                 \
        }                                                                                          \
    } while (0)

static inline int gnv_test_has(const char *haystack, const char *needle)
{
    return needle == NULL || strstr(haystack, needle) != NULL;
}

/* Lines of the file at path that start with prefix (0 when it does not exist). */
static inline int gnv_test_count_lines(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    fclose(f);
    return n;
}

/* Assert that a call failed with `code` and that its message contains `needle`. */
#define GNV_ASSERT_ERR(expr, code, needle)                                                         \
    do {                                                                                           \
        int gnv_t_rc = (expr);                                                                     \
        const gnv_error *gnv_t_e = gnv_error_last();                                               \
        if (gnv_t_rc != (code))                                                                    \
            fail_msg("%s returned %d, expected %d (%s)", #expr, gnv_t_rc, (int)(code),             \
                     gnv_t_e ? gnv_t_e->message : "(no message)");                                 \
        assert_non_null(gnv_t_e);                                                                  \
        if (!gnv_test_has(gnv_t_e->message, (needle)))                                             \
            fail_msg("message of %s lacks '%s': %s", #expr, (const char *)(needle),                \
                     gnv_t_e->message);                                                            \
    } while (0)

/* A fresh temporary directory for a test (removed by gnv_test_rmdir). */
static inline char *gnv_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/gnv-test-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static inline void gnv_test_rmdir(char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
    free(dir);
}

/* Path of a file under tests/data (GNV_TEST_DATA is set by ctest). Static buffer. */
static inline const char *gnv_test_data(const char *rel)
{
    static char path[1024];
    const char *base = getenv("GNV_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", base ? base : "tests/data", rel);
    return path;
}

/* Random seed for randomized tests: GNV_TEST_SEED or a fixed default; printed. */
static inline uint64_t gnv_test_seed(void)
{
    const char *s = getenv("GNV_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 10) : 20261124;
    fprintf(stderr, "GNV_TEST_SEED=%llu\n", (unsigned long long)seed);
    return seed;
}

static inline uint64_t gnv_test_rand(uint64_t *state)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/*
 * Allocation-failure simulation (SQLite/libgit2 style): run body(arg) failing the
 * 1st, 2nd, ... allocation until it succeeds. Every failing run must return
 * GNV_ENOMEM (or another negative code for which check() says the state is clean),
 * with a message set. Returns the number of runs. Leaks show up under ASan.
 */
static inline int gnv_test_faultsim(int (*body)(void *arg), void *arg)
{
    for (uint64_t n = 1;; n++) {
        gnv_error_clear();
        gnv__alloc_fail_at(n, false);
        int rc = body(arg);
        uint64_t made = gnv__alloc_fail_at(0, false);
        if (rc == GNV_OK) {
            if (made < n)
                return (int)n; /* the body finished before reaching allocation n */
            continue;          /* a failed allocation was recovered from; keep going */
        }
        if (rc != GNV_ENOMEM) {
            const gnv_error *e = gnv_error_last();
            fail_msg("allocation %llu failed but the body returned %d: %s", (unsigned long long)n,
                     rc, e ? e->message : "(no message)");
        }
        assert_non_null(gnv_error_last());
        if (n > 1000000)
            fail_msg("faultsim did not converge");
    }
}

#endif
