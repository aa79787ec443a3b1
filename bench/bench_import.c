/*
 * bench_import: CSV and Arrow IPC import speed beside the machine's memory bandwidth.
 *
 *   bench_import            N rows (env N, default 200000) of the peer benchmark's data
 *                           are written to a temporary directory as CSV (id, text, label,
 *                           score: the vector is not CSV-friendly) and as Arrow IPC (all
 *                           columns, vector as fixed_size_list<float32, 128>), uncompressed
 *                           and ZSTD; each is read with gnv_read_file, every batch
 *                           consumed, best of REPS (env, default 3). KEEP=1 keeps
 *                           the files and prints where they are.
 *   bench_import --check    print the generator's check values for seed 42 and fail
 *                           unless they match the peer benchmark's.
 *
 * One line per case: "<case>  <MB/s>  <ratio> x memcpy", where memcpy is the bytes per
 * second one thread copies between two large buffers, measured in the same run, and
 * the ratio is import bytes per second over memcpy bytes per second.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arrow/arrow.h"
#include "bench_util.h"
#include "peer_data.h"

#define BATCH_ROWS 65536

/* ---- generator check ---------------------------------------------------------- */

static int check(void)
{
    peer_gen g;
    peer_row row;
    uint64_t h = 0;
    float first[3] = {0};
    if (peer_gen_init(&g, 42) < 0)
        return 1;
    for (int r = 0; r < 3; r++) {
        peer_gen_row(&g, &row);
        for (int d = 0; d < PEER_DIM; d++) {
            uint32_t bits;
            memcpy(&bits, &row.vector[d], 4);
            h = h * 31 + bits;
        }
        if (r == 0)
            memcpy(first, row.vector, sizeof first);
    }
    peer_gen_reset(&g);
    char text[128];
    snprintf(text, sizeof text, "%.9g %.9g %.9g hash %" PRIu64, first[0], first[1], first[2], h);
    const char *want = "-0.349677235 -0.188429445 0.259141952 hash 15796503616960005357";
    printf("%s\n", text);
    if (strcmp(text, want) != 0) {
        fprintf(stderr, "peer data check FAILED: expected %s\n", want);
        return 1;
    }
    printf("peer data check ok\n");
    return 0;
}

/* ---- writing the data --------------------------------------------------------- */

static int file_write(void *ctx, const void *data, size_t n)
{
    if (fwrite(data, 1, n, (FILE *)ctx) != n)
        return gnv__error_os(GNV_SUB_ARROW, errno, "write failed");
    return GNV_OK;
}

/* Write n rows as CSV to csv_path and as IPC files (none, zstd) to ipc_paths. */
static int write_data(int64_t n, const char *csv_path, const char *const ipc_paths[2])
{
    peer_gen g = {0};
    peer_row row;
    struct ArrowSchema schema = {0};
    struct ArrowArray batch = {0};
    gnv_ipc_writer *w[2] = {NULL, NULL};
    FILE *f[3] = {NULL, NULL, NULL};
    int rc = peer_gen_init(&g, 42);
    GNV_TRYG(rc);
    GNV_TRYG(peer_arrow_schema(&schema));
    f[2] = fopen(csv_path, "wb");
    GNV_ERR_IF(!f[2], GNV_EIO, GNV_SUB_ARROW, "cannot create %s", csv_path);
    fputs("id,text,label,score\n", f[2]);
    for (int k = 0; k < 2; k++) {
        gnv_ipc_write_options o = GNV_IPC_WRITE_OPTIONS_INIT;
        o.compression = k ? GNV_IPC_COMPRESS_ZSTD : GNV_IPC_COMPRESS_NONE;
        f[k] = fopen(ipc_paths[k], "wb");
        GNV_ERR_IF(!f[k], GNV_EIO, GNV_SUB_ARROW, "cannot create %s", ipc_paths[k]);
        gnv_ipc_sink sink_k = {file_write, f[k]};
        GNV_TRYG(gnv__ipc_writer_new(&w[k], sink_k, &schema, &o));
    }
    for (int64_t lo = 0; lo < n; lo += BATCH_ROWS) {
        int64_t hi = GNV_MIN(n, lo + BATCH_ROWS);
        GNV_TRYG(gnv__array_init(&batch, &schema));
        for (int64_t r = lo; r < hi; r++) {
            peer_gen_row(&g, &row);
            GNV_TRYG(peer_append_row(&batch, &row));
            fprintf(f[2], "%" PRId64 ",%s,%s,%.17g\n", row.id, row.text, row.label, row.score);
        }
        GNV_TRYG(gnv__array_finish(&batch));
        for (int k = 0; k < 2; k++)
            GNV_TRYG(gnv__ipc_writer_write(w[k], &batch));
        gnv__array_release(&batch);
    }
    for (int k = 0; k < 2; k++)
        GNV_TRYG(gnv__ipc_writer_finish(w[k]));
done:
    gnv__array_release(&batch);
    for (int k = 0; k < 2; k++)
        gnv__ipc_writer_free(w[k]);
    for (int k = 0; k < 3; k++)
        if (f[k] && fclose(f[k]) != 0 && rc == GNV_OK)
            rc = gnv__error_os(GNV_SUB_ARROW, errno, "cannot write the bench files");
    gnv__schema_release(&schema);
    peer_gen_reset(&g);
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

/* Seconds to read every batch of path; rows read in *rows. */
static int time_read(double *secs, int64_t *rows, const char *path)
{
    struct ArrowArrayStream s = {0};
    struct ArrowArray a = {0};
    double t = gnv__now();
    int rc = gnv_read_file(&s, path, NULL);
    *rows = 0;
    GNV_TRYG(rc);
    while ((rc = gnv__stream_next(&s, &a)) == GNV_OK) {
        *rows += a.length;
        gnv__array_release(&a);
    }
    if (rc == GNV_ITEROVER)
        rc = GNV_OK;
    *secs = gnv__now() - t;
done:
    gnv__stream_release(&s);
    return rc;
}

static int run(void)
{
    int64_t n = bench_env_int("N", 200000), reps = bench_env_int("REPS", 3);
    const char *tmp = getenv("TMPDIR");
    char dir[512], csv[600], ipc[2][600];
    snprintf(dir, sizeof dir, "%s/gnv-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return gnv__error_os(GNV_SUB_ARROW, errno, "cannot create a directory in %s", dir);
    snprintf(csv, sizeof csv, "%s/peer.csv", dir);
    snprintf(ipc[0], sizeof ipc[0], "%s/peer.arrow", dir);
    snprintf(ipc[1], sizeof ipc[1], "%s/peer.zstd.arrow", dir);
    const char *ipc_paths[2] = {ipc[0], ipc[1]};

    double bw = bench_memcpy_bandwidth(5);
    printf("rows %" PRId64 ", best of %" PRId64 "; memcpy %.2f GB/s (bytes copied per second, "
           "256 MiB buffers, one thread)\n",
           n, reps, bw / 1e9);
    double t = gnv__now();
    int rc = write_data(n, csv, ipc_paths);
    if (rc == GNV_OK)
        printf("data written in %.2f s\n", gnv__now() - t);
    static const char *const names[] = {"csv_import", "ipc_import", "ipc_zstd_import"};
    const char *paths[] = {csv, ipc[0], ipc[1]};
    for (int c = 0; c < 3 && rc == GNV_OK; c++) {
        struct stat st;
        double best = 1e30;
        int64_t rows = 0;
        for (int r = 0; r < reps && rc == GNV_OK; r++) {
            double secs = 0;
            rc = time_read(&secs, &rows, paths[c]);
            if (secs < best)
                best = secs;
        }
        if (rc != GNV_OK || stat(paths[c], &st) != 0)
            break;
        if (rows != n) {
            rc = gnv__error_set(GNV_ERROR, GNV_SUB_ARROW, "%s: read %" PRId64 " rows of %" PRId64,
                                paths[c], rows, n);
            break;
        }
        double mbs = (double)st.st_size / best / 1e6;
        printf("%-16s %9.1f MB/s  %7.3f x memcpy  (%.1f MB in %.3f s, %.0f rows/s)\n", names[c],
               mbs, mbs * 1e6 / bw, st.st_size / 1e6, best, n / best);
    }
    if (bench_env_int("KEEP", 0)) {
        printf("data kept in %s\n", dir);
        return rc;
    }
    unlink(csv);
    unlink(ipc[0]);
    unlink(ipc[1]);
    rmdir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--check") == 0)
        return check();
    if (argc > 1) {
        fprintf(stderr, "usage: bench_import [--check]   (env N, REPS, TMPDIR)\n");
        return 2;
    }
    if (run() != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "bench_import: %s\n", e ? e->message : "failed");
        return 1;
    }
    return 0;
}
