/*
 * bench_commit: many small commits on one table, ours beside LanceDB's, in the same run.
 *
 *   bench_commit    - appends_<w>w, w = 1, 2, 4: w processes append COMMITS (env,
 *                     default 240) batches of 100 peer rows between them (COMMITS / w
 *                     each) to one table, at the same time; the figure is the time from
 *                     the start signal to the last commit (every process has opened the
 *                     table before it). Each commit that loses a race rebases and
 *                     retries, so this measures commit throughput under contention.
 *                     Ours runs twice: durable (every file and directory fsynced, the
 *                     default) and with GNV_SYNC_OFF, which syncs as little as LanceDB
 *                     does on local disks (nothing).
 *                   - cleanup: a one-row table with VERSIONS (env, default 10000)
 *                     versions, each an update of the row (so every version has its own
 *                     data file), is made once by us (not timed) and copied; we remove
 *                     every version but the latest from one copy (gnv_table_cleanup,
 *                     older_than 0), LanceDB from the other (optimize with
 *                     cleanupOlderThan now, deleteUnverified).
 *                   With LANCEDB_CMD set, `$LANCEDB_CMD <ipc> <dir> <commits> <cleanup
 *                   copy>` (bench/lancedb_commit.mjs) times the same workloads; both
 *                   results are checked (row counts, versions left).
 *
 * Output: seconds of both, commits per second, and the ratio LanceDB's time over ours.
 * TMPDIR says where the data goes; KEEP=1 keeps it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arrow/arrow.h"
#include "bench_util.h"
#include "geneva/db.h"
#include "geneva/sys/io.h"
#include "geneva/table.h"
#include "peer_data.h"

#define BATCH_ROWS  100
#define MAX_WORKERS 4

enum { FIG_APPEND1, FIG_APPEND2, FIG_APPEND4, FIG_CLEANUP, N_FIGS };

static const char *const fig_names[N_FIGS] = {"appends_1w", "appends_2w", "appends_4w", "cleanup"};
static const int fig_workers[3] = {1, 2, 4};

/* One appender process: wait for the start byte on `go`, then append n batches. */
static int appender(const char *dir,
                    int sync_mode,
                    const char *name,
                    const struct ArrowSchema *schema,
                    struct ArrowArray *batch,
                    int n,
                    int ready,
                    int go)
{
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    gnv_db_options o = GNV_DB_OPTIONS_INIT;
    o.sync_mode = sync_mode;
    int rc = gnv_db_open(&db, dir, &o);
    if (rc == GNV_OK)
        rc = gnv_db_open_table(&t, db, name);
    char c = rc == GNV_OK ? 'r' : 'x';
    if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
        rc = GNV_EIO;
    for (int i = 0; i < n && rc == GNV_OK; i++) {
        struct ArrowArrayStream in = {0};
        rc = bench_batch_stream(&in, schema, batch, 1);
        if (rc == GNV_OK)
            rc = gnv_table_add(t, &in, NULL);
        gnv__stream_release(&in);
    }
    if (rc != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "appender: %s\n", e ? e->message : "failed");
    }
    gnv_table_close(t);
    gnv_db_close(db);
    return rc == GNV_OK ? 0 : 1;
}

/* Seconds for `workers` processes to make `commits` appends between them. */
static int run_appends(double *secs,
                       const char *dir,
                       int sync_mode,
                       const char *name,
                       const struct ArrowSchema *schema,
                       struct ArrowArray *batch,
                       int workers,
                       int commits)
{
    int ready[2], go[2], failed = 0;
    pid_t pids[MAX_WORKERS];
    if (pipe(ready) != 0 || pipe(go) != 0)
        return gnv__error_set(GNV_EIO, GNV_SUB_TABLE, "pipe failed");
    fflush(stdout);
    for (int w = 0; w < workers; w++) {
        pids[w] = fork();
        if (pids[w] == 0)
            _exit(
                appender(dir, sync_mode, name, schema, batch, commits / workers, ready[1], go[0]));
    }
    char c;
    for (int w = 0; w < workers; w++)
        if (read(ready[0], &c, 1) != 1 || c != 'r')
            failed = 1;
    double t0 = gnv__now();
    for (int w = 0; w < workers; w++)
        if (write(go[1], "g", 1) != 1)
            failed = 1;
    for (int w = 0; w < workers; w++) {
        int status = 0;
        if (waitpid(pids[w], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = 1;
    }
    *secs = gnv__now() - t0;
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    return failed ? gnv__error_set(GNV_ERROR, GNV_SUB_TABLE, "an appender failed") : GNV_OK;
}

/* A one-row table with `versions` versions, each an update of its row. */
static int make_versions(gnv_db *db,
                         const struct ArrowSchema *schema,
                         struct ArrowArray *one_row,
                         int64_t versions)
{
    static const char *const cols[] = {"score"}, *const vals[] = {"score + 1"};
    gnv_table *t = NULL;
    GNV_TRY(bench_create_table(db, "history", schema, one_row, 1));
    int rc = gnv_db_open_table(&t, db, "history");
    for (int64_t v = 1; v < versions && rc == GNV_OK; v++)
        rc = gnv_table_update(t, NULL, cols, vals, 1, NULL);
    gnv_table_close(t);
    return rc;
}

static int run_ours(bench_figure *f,
                    const char *dir,
                    int sync_mode,
                    const struct ArrowSchema *schema,
                    struct ArrowArray *batch,
                    int commits)
{
    int rc = GNV_OK;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    char name[32];
    gnv_db_options o = GNV_DB_OPTIONS_INIT;
    o.sync_mode = sync_mode;
    GNV_TRYG(gnv_db_open(&db, dir, &o));
    for (int i = 0; i < 3; i++) {
        int64_t rows = 0;
        snprintf(name, sizeof name, "appends_%d", fig_workers[i]);
        GNV_TRYG(bench_create_table(db, name, schema, batch, 1));
        GNV_TRYG(run_appends(&f[i].secs[f[i].n++], dir, sync_mode, name, schema, batch,
                             fig_workers[i], commits));
        GNV_TRYG(gnv_db_open_table(&t, db, name));
        GNV_TRYG(gnv_table_count_rows(t, &rows));
        int64_t want = (int64_t)(1 + commits / fig_workers[i] * fig_workers[i]) * BATCH_ROWS;
        GNV_ERR_IF(rows != want, GNV_ERROR, GNV_SUB_TABLE,
                   "%s holds %" PRId64 " rows, expected %" PRId64, name, rows, want);
        gnv_table_close(t);
        t = NULL;
    }
done:
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

static int run_cleanup(bench_figure *f, const char *dir, int64_t versions)
{
    int rc = GNV_OK;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    gnv_cleanup_options o = GNV_CLEANUP_OPTIONS_INIT;
    gnv_cleanup_stats st = {0};
    o.older_than_seconds = 0;
    o.delete_unverified = 1;
    GNV_TRYG(gnv_db_open(&db, dir, NULL));
    GNV_TRYG(gnv_db_open_table(&t, db, "history"));
    double t0 = gnv__now();
    GNV_TRYG(gnv_table_cleanup(t, &o, &st));
    f->secs[f->n++] = gnv__now() - t0;
    GNV_ERR_IF(st.old_versions != (uint64_t)versions - 1, GNV_ERROR, GNV_SUB_TABLE,
               "cleanup removed %" PRIu64 " versions, expected %" PRId64, st.old_versions,
               versions - 1);
done:
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

static void print_ratio(double lance_s, double ours_s, double aim)
{
    double ratio = lance_s / ours_s;
    printf("  ratio %6.2fx (aim >= %gx %s)", ratio, aim, ratio >= aim ? "met" : "MISSED");
}

static void report(bench_figure *durable,
                   bench_figure *nosync,
                   bench_figure *lance,
                   int have_lance,
                   int commits,
                   int64_t versions)
{
    printf("%-30s %-26s %-26s %-26s\n", "", "ours, durable (default)", "ours, sync off",
           have_lance ? "lancedb" : "");
    for (int i = 0; i < 3; i++) {
        double d = bench_best(durable[i].secs, durable[i].n);
        double o = bench_best(nosync[i].secs, nosync[i].n);
        printf("%d appender(s), %5d commits  %7.3f s (%6.1f/s)     %7.3f s (%6.1f/s)",
               fig_workers[i], commits, d, commits / d, o, commits / o);
        if (have_lance) {
            double l = lance[i].secs[0];
            printf("     %7.3f s (%6.1f/s)\n%59s", l, commits / l, "durable");
            print_ratio(l, d, 1);
            printf("   sync off");
            print_ratio(l, o, 1);
        }
        printf("\n");
    }
    double c = bench_best(durable[FIG_CLEANUP].secs, durable[FIG_CLEANUP].n);
    printf("cleanup, %6" PRId64 " versions  %7.3f s", versions, c);
    if (have_lance) {
        printf("%48s %7.3f s  ", "", lance[FIG_CLEANUP].secs[0]);
        print_ratio(lance[FIG_CLEANUP].secs[0], c, 10);
    }
    printf("\n");
}

static int run(void)
{
    int64_t commits = bench_env_int("COMMITS", 240), versions = bench_env_int("VERSIONS", 10000);
    int64_t nb = 0;
    const char *cmd = getenv("LANCEDB_CMD");
    struct ArrowSchema schema = {0};
    struct ArrowArray *batches = NULL;
    static bench_figure ours[N_FIGS], nosync[N_FIGS], lance[N_FIGS];
    char dir[512], ipc[600], ours_dir[600], nosync_dir[600], hist[600], lance_hist[600],
        command[8192];
    gnv_db *db = NULL;
    int rc = GNV_OK;
    if (commits < 4 || commits > 100000 || versions < 2)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                              "COMMITS must be in 4..100000, VERSIONS >= 2");
    commits -= commits % 4; /* an equal share for every appender */
    for (int i = 0; i < N_FIGS; i++)
        lance[i].name = nosync[i].name = ours[i].name = fig_names[i];
    GNV_TRY(bench_make_dir(dir, sizeof dir, "gnv-bench-commit"));
    snprintf(ipc, sizeof ipc, "%s/peer.arrow", dir);
    snprintf(ours_dir, sizeof ours_dir, "%s/ours", dir);
    snprintf(nosync_dir, sizeof nosync_dir, "%s/ours-nosync", dir);
    snprintf(hist, sizeof hist, "%s/history", dir);
    snprintf(lance_hist, sizeof lance_hist, "%s/history-lancedb", dir);

    GNV_TRYG(peer_arrow_schema(&schema));
    GNV_TRYG(bench_peer_batches(&batches, &nb, &schema, BATCH_ROWS, BATCH_ROWS));
    if (cmd && *cmd)
        GNV_TRYG(bench_write_ipc(ipc, &schema, batches, nb));
    printf("%" PRId64 " commits of %d rows; cleanup of %" PRId64 " versions\n", commits, BATCH_ROWS,
           versions);
    fflush(stdout);
    GNV_TRYG(run_ours(ours, ours_dir, GNV_SYNC_FULL, &schema, batches, (int)commits));
    GNV_TRYG(run_ours(nosync, nosync_dir, GNV_SYNC_OFF, &schema, batches, (int)commits));

    /* the version history, made once; LanceDB cleans a copy of it */
    struct ArrowArray one = {0};
    GNV_TRYG(gnv__array_slice(&one, &batches[0], 0, 1));
    GNV_TRYG(gnv_db_open(&db, hist, NULL));
    rc = make_versions(db, &schema, &one, versions);
    gnv__array_release(&one);
    gnv_db_close(db);
    db = NULL;
    GNV_TRYG(rc);
    snprintf(command, sizeof command, "cp -r '%s' '%s'", hist, lance_hist);
    GNV_ERR_IF(system(command) != 0, GNV_EIO, GNV_SUB_TABLE, "copying %s failed", hist);
    sync(); /* both cleanups start from files on disk, not in the page cache */
    GNV_TRYG(run_cleanup(&ours[FIG_CLEANUP], hist, versions));

    int have_lance = 0;
    if (!cmd || !*cmd) {
        printf("note: LANCEDB_CMD not set (node/npm missing?): our figures only\n");
    } else {
        snprintf(command, sizeof command, "VERSIONS=%" PRId64 " %s '%s' '%s/lancedb' %d '%s'",
                 versions, cmd, ipc, dir, (int)commits, lance_hist);
        sync();
        have_lance = bench_run_driver(lance, N_FIGS, command) == 0;
        if (!have_lance)
            printf("note: the LanceDB driver failed (see above): our figures only\n");
    }
    report(ours, nosync, lance, have_lance, (int)commits, versions);
done:
    gnv_db_close(db);
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
        fprintf(stderr,
                "usage: bench_commit   (env COMMITS, VERSIONS, TMPDIR, KEEP, LANCEDB_CMD)\n");
        return 2;
    }
    if (run() != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "bench_commit: %s\n", e ? e->message : "failed");
        return 1;
    }
    return 0;
}
