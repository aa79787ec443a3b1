/*
 * bench_table: table ingest and scans, ours beside LanceDB's, on the same data in the
 * same run.
 *
 *   bench_table     N rows (env N, default 1000000) of the peer benchmark's data (id,
 *                   vector fixed_size_list<float32, 128>, text, label, score) are
 *                   generated in memory as 65,536-row batches (generation not timed),
 *                   then, REPS times (env, default 3):
 *                   - ingest: gnv_db_create_table from a stream over those batches
 *                     (zero-copy slices), the table dropped before each repetition;
 *                   - scan id, score (summing score) and scan vector (summing every
 *                     value) with gnv_table_scan and a column projection.
 *                   Then, when LANCEDB_CMD is set, it runs
 *                   `$LANCEDB_CMD <ipc file> <db dir> <reps>` (bench/lancedb_table.mjs),
 *                   which does the same with LanceDB on the same rows, read from an
 *                   Arrow IPC file this program wrote, and prints one line per figure:
 *                   "<name> <best seconds> <median seconds> [bytes]".
 *
 * Output: one line per figure with rows/s (best and median) of both and the ratio of
 * the bests, ours / LanceDB, and the on-disk size of each table directory.
 * TMPDIR says where the data goes; KEEP=1 keeps it and prints the directory.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arrow/arrow.h"
#include "bench_util.h"
#include "geneva/db.h"
#include "geneva/table.h"
#include "peer_data.h"

#define BATCH_ROWS 65536
#define TABLE      "bench"

typedef bench_figure figure;

enum { FIG_INGEST, FIG_SCAN_ID_SCORE, FIG_SCAN_VECTOR, N_FIGS };

static const char *const fig_names[N_FIGS] = {"ingest", "scan_id_score", "scan_vector"};

/* ---- our figures -------------------------------------------------------------- */

static int time_ingest(double *secs,
                       gnv_db *db,
                       const struct ArrowSchema *schema,
                       struct ArrowArray *batches,
                       int64_t nb)
{
    struct ArrowArrayStream in = {0};
    gnv_table *t = NULL;
    gnv_create_table_options o = GNV_CREATE_TABLE_OPTIONS_INIT;
    int rc = gnv_db_drop_table(db, TABLE);
    if (rc != GNV_OK && rc != GNV_ENOTFOUND)
        return rc;
    GNV_TRY(bench_batch_stream(&in, schema, batches, nb));
    double t0 = gnv__now();
    rc = gnv_db_create_table(&t, db, TABLE, &in, NULL, &o);
    *secs = gnv__now() - t0;
    gnv_table_close(t);
    gnv__stream_release(&in);
    return rc;
}

/* Sum of one batch's score column (id, score projection). */
static double sum_score(const struct ArrowArray *a)
{
    const struct ArrowArray *c = a->children[1];
    const double *v = (const double *)c->buffers[1] + c->offset + a->offset;
    double s = 0;
    for (int64_t i = 0; i < a->length; i++)
        s += v[i];
    return s;
}

/* Sum of every value of one batch's vector column (vector projection). */
static double sum_vector(const struct ArrowArray *a)
{
    const struct ArrowArray *fsl = a->children[0], *f = fsl->children[0];
    const float *v =
        (const float *)f->buffers[1] + f->offset + (a->offset + fsl->offset) * PEER_DIM;
    float s = 0;
    for (int64_t i = 0; i < a->length * PEER_DIM; i++)
        s += v[i];
    return s;
}

static int time_scan(double *secs, double *sum, gnv_table *t, int vector, int64_t n)
{
    static const char *const id_score[] = {"id", "score"}, *const vec[] = {"vector"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    struct ArrowArrayStream s = {0};
    struct ArrowArray a = {0};
    int64_t rows = 0;
    o.columns = vector ? vec : id_score;
    o.n_columns = vector ? 1 : 2;
    *sum = 0;
    double t0 = gnv__now();
    int rc = gnv_table_scan(t, &o, &s);
    GNV_TRYG(rc);
    while ((rc = gnv__stream_next(&s, &a)) == GNV_OK) {
        rows += a.length;
        *sum += vector ? sum_vector(&a) : sum_score(&a);
        gnv__array_release(&a);
    }
    if (rc == GNV_ITEROVER)
        rc = GNV_OK;
    *secs = gnv__now() - t0;
    GNV_TRYG(rc);
    GNV_ERR_IF(rows != n, GNV_ERROR, GNV_SUB_TABLE, "scan returned %" PRId64 " rows of %" PRId64,
               rows, n);
done:
    gnv__stream_release(&s);
    return rc;
}

static int run_ours(figure *f,
                    const char *dir,
                    const struct ArrowSchema *schema,
                    struct ArrowArray *batches,
                    int64_t nb,
                    int64_t n,
                    int reps)
{
    char path[600];
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    int64_t count = 0;
    double sum = 0;
    snprintf(path, sizeof path, "%s/ours", dir);
    int rc = gnv_db_open(&db, path, NULL);
    GNV_TRYG(rc);
    for (int r = 0; r < reps; r++)
        GNV_TRYG(time_ingest(&f[FIG_INGEST].secs[f[FIG_INGEST].n++], db, schema, batches, nb));
    snprintf(path, sizeof path, "%s/ours/%s.lance", dir, TABLE);
    f[FIG_INGEST].bytes = bench_du_bytes(path);
    GNV_TRYG(gnv_db_open_table(&t, db, TABLE));
    GNV_TRYG(gnv_table_count_rows(t, &count));
    GNV_ERR_IF(count != n, GNV_ERROR, GNV_SUB_TABLE, "count_rows %" PRId64 " of %" PRId64, count,
               n);
    for (int r = 0; r < reps; r++) {
        GNV_TRYG(time_scan(&f[FIG_SCAN_ID_SCORE].secs[f[FIG_SCAN_ID_SCORE].n++], &sum, t, 0, n));
        bench_sink += (uint64_t)sum;
        GNV_TRYG(time_scan(&f[FIG_SCAN_VECTOR].secs[f[FIG_SCAN_VECTOR].n++], &sum, t, 1, n));
        bench_sink += (uint64_t)sum;
    }
done:
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

/* ---- LanceDB's figures -------------------------------------------------------- */

static int run_lancedb(figure *f, const char *cmd, const char *ipc, const char *dir, int reps)
{
    char command[8192];
    int len = snprintf(command, sizeof command, "%s '%s' '%s/lancedb' %d", cmd, ipc, dir, reps);
    if (len < 0 || (size_t)len >= sizeof command)
        return -1;
    return bench_run_driver(f, N_FIGS, command);
}

/* ---- report ------------------------------------------------------------------- */

static void report(figure *ours, figure *lance, int have_lance, int64_t n)
{
    static const char *const labels[N_FIGS] = {"ingest", "scan id,score", "scan vector"};
    static const double aims[N_FIGS] = {3, 2, 2};
    for (int i = 0; i < N_FIGS; i++) {
        char best[32], med[32], lbest[32], lmed[32];
        /* Rates from times: the best rate is the smallest time. */
        double ob = bench_best(ours[i].secs, ours[i].n);
        double om = bench_median(ours[i].secs, ours[i].n);
        bench_format_rate(best, sizeof best, n / ob);
        bench_format_rate(med, sizeof med, n / om);
        printf("%-14s %8" PRId64 " rows   ours %8s rows/s (median %8s)", labels[i], n, best, med);
        if (have_lance) {
            bench_format_rate(lbest, sizeof lbest, n / lance[i].secs[0]);
            bench_format_rate(lmed, sizeof lmed, n / lance[i].secs[1]);
            double ratio = lance[i].secs[0] / ob;
            printf("   lancedb %8s rows/s (median %8s)   ratio %5.2fx  aim >= %.0fx %s", lbest,
                   lmed, ratio, aims[i], ratio >= aims[i] ? "met" : "MISSED");
        }
        printf("\n");
    }
    printf("%-14s %8" PRId64 " rows   ours %8.1f MB", "size on disk", n, ours[0].bytes / 1e6);
    if (have_lance) {
        double ratio = (double)ours[0].bytes / (double)lance[0].bytes;
        printf("            lancedb %8.1f MB                     ratio %5.2fx  aim <= 1.2x %s",
               lance[0].bytes / 1e6, ratio, ratio <= 1.2 ? "met" : "MISSED");
    }
    printf("\n");
}

/* ---- main --------------------------------------------------------------------- */

static int run(void)
{
    int64_t n = bench_env_int("N", 1000000), reps = bench_env_int("REPS", 3), nb = 0;
    const char *cmd = getenv("LANCEDB_CMD");
    struct ArrowSchema schema = {0};
    struct ArrowArray *batches = NULL;
    static figure ours[N_FIGS], lance[N_FIGS];
    char dir[512], ipc[600];
    int rc = GNV_OK;
    if (n < 1 || reps < 1 || reps > BENCH_MAX_REPS)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "N must be >= 1 and REPS in 1..%d",
                              BENCH_MAX_REPS);
    for (int i = 0; i < N_FIGS; i++)
        lance[i].name = ours[i].name = fig_names[i];
    GNV_TRY(bench_make_dir(dir, sizeof dir, "gnv-bench-table"));
    snprintf(ipc, sizeof ipc, "%s/peer.arrow", dir);

    double bw = bench_memcpy_bandwidth(5);
    printf("rows %" PRId64 ", %" PRId64 " reps; memcpy %.2f GB/s (bytes copied per second, "
           "256 MiB buffers, one thread)\n",
           n, reps, bw / 1e9);
    double t = gnv__now();
    GNV_TRYG(peer_arrow_schema(&schema));
    GNV_TRYG(bench_peer_batches(&batches, &nb, &schema, n, BATCH_ROWS));
    if (cmd && *cmd)
        GNV_TRYG(bench_write_ipc(ipc, &schema, batches, nb));
    printf("data generated in %.2f s (not timed)\n", gnv__now() - t);
    fflush(stdout);
    GNV_TRYG(run_ours(ours, dir, &schema, batches, nb, n, (int)reps));
    /* Free our copy before LanceDB's process loads its own. */
    bench_free_batches(batches, nb);
    batches = NULL;

    int have_lance = 0;
    if (!cmd || !*cmd)
        printf("note: LANCEDB_CMD not set (node/npm missing?): our figures only\n");
    else if (run_lancedb(lance, cmd, ipc, dir, (int)reps) != 0)
        printf("note: the LanceDB driver failed (see above): our figures only\n");
    else
        have_lance = 1;
    report(ours, lance, have_lance, n);
done:
    bench_free_batches(batches, nb);
    gnv__schema_release(&schema);
    if (bench_env_int("KEEP", 0))
        printf("data kept in %s\n", dir);
    else
        bench_remove_tree(dir);
    return rc;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: bench_table   (env N, REPS, TMPDIR, KEEP, LANCEDB_CMD)\n");
        return 2;
    }
    if (run() != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "bench_table: %s\n", e ? e->message : "failed");
        return 1;
    }
    return 0;
}
