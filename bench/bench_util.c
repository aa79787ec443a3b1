#include "bench_util.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

volatile uint64_t bench_sink;

int64_t bench_env_int(const char *name, int64_t dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtoll(v, NULL, 10) : dflt;
}

double bench_memcpy_bandwidth(int reps)
{
    size_t sz = (size_t)256 << 20;
    char *a = gnv__malloc(sz), *b = gnv__malloc(sz);
    double best = 0;
    if (a && b) {
        memset(a, 1, sz);
        memset(b, 2, sz); /* fault the pages in */
        for (int r = 0; r < reps; r++) {
            double t = gnv__now();
            memcpy(b, a, sz);
            t = gnv__now() - t;
            bench_sink += (uint8_t)b[r * 4096];
            if (sz / t > best)
                best = sz / t;
        }
    }
    gnv__free(a);
    gnv__free(b);
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_best(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[0];
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
