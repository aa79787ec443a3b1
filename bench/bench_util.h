/*
 * Helpers shared by the benchmarks: environment knobs, the machine's memcpy bandwidth,
 * and best/median of repeated timings.
 */
#ifndef GNV_BENCH_UTIL_H
#define GNV_BENCH_UTIL_H

#include <stddef.h>
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

struct ArrowSchema;
struct ArrowArray;
struct ArrowArrayStream;

/* n rows of the peer data (seed 42) as *n_out owned batches of batch_rows rows under
 * schema (peer_arrow_schema). */
int bench_peer_batches(struct ArrowArray **out,
                       int64_t *n_out,
                       const struct ArrowSchema *schema,
                       int64_t n,
                       int64_t batch_rows);
void bench_free_batches(struct ArrowArray *b, int64_t n);
/* The batches as an uncompressed Arrow IPC file, for a LanceDB driver. */
int bench_write_ipc(const char *path,
                    const struct ArrowSchema *schema,
                    const struct ArrowArray *b,
                    int64_t n);
/* Create table `name` of db from the batches (zero-copy, not released). */
struct gnv_db;
int bench_create_table(struct gnv_db *db,
                       const char *name,
                       const struct ArrowSchema *schema,
                       struct ArrowArray *batches,
                       int64_t n);
/* A stream of zero-copy slices over the batches (which must outlive it). */
int bench_batch_stream(struct ArrowArrayStream *out,
                       const struct ArrowSchema *schema,
                       struct ArrowArray *batches,
                       int64_t n);

/* Total size of the regular files under path (as the peer benchmark's duBytes). */
int64_t bench_du_bytes(const char *path);
/* rm -r path. */
void bench_remove_tree(const char *path);
/* A fresh directory under $TMPDIR (or /tmp) named prefix-XXXXXX into out. */
int bench_make_dir(char *out, size_t size, const char *prefix);

/* One measured figure: seconds per repetition (a driver's best and median). */
#define BENCH_MAX_REPS 50
typedef struct bench_figure {
    const char *name; /* as the driver prints it */
    double secs[BENCH_MAX_REPS];
    int n;
    int64_t bytes;
} bench_figure;

/* Run a driver command whose lines "<name> <best s> <median s> [bytes]" fill the
 * figures of those names (secs[0] best, secs[1] median); other lines are copied to our
 * stdout. 0 when the command succeeded and every figure came back. */
int bench_run_driver(bench_figure *figs, int n_figs, const char *command);

/* "1.23M" or "456k" rows per second. */
void bench_format_rate(char *out, size_t size, double rows_per_s);

#endif
