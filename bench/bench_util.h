/*
 * Helpers shared by the benchmarks: environment knobs, the machine's memcpy bandwidth,
 * and best/median of repeated timings.
 */
#ifndef GNV_BENCH_UTIL_H
#define GNV_BENCH_UTIL_H

#include <stdint.h>

/* The integer value of environment variable name, or dflt when unset or empty. */
int64_t bench_env_int(const char *name, int64_t dflt);

/* Best bytes/s of memcpy between two 256 MiB buffers over reps copies (bytes copied,
 * not read + written); 0 when the buffers cannot be allocated. */
double bench_memcpy_bandwidth(int reps);

/* Smallest and median of v[0..n) (n >= 1); v is sorted in place. */
double bench_best(double *v, int n);
double bench_median(double *v, int n);

/* Stores here keep the compiler from dropping work whose result is otherwise unused. */
extern volatile uint64_t bench_sink;

#endif
