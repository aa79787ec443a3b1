/*
 * bench_expr: the SQL-expression workloads of the peer benchmark, ours beside
 * LanceDB's, on the same rows in the same run.
 *
 *   bench_expr      N rows (env N, default 1000000) of the peer data go into a table
 *                   of ours (not timed); then, REPS times (env, default 3):
 *                   - count_filtered: gnv_table_count_rows_where with
 *                     "score > 0.9 AND label = 'label_07'";
 *                   - add_column: gnv_table_add_columns_sql score2 = "score * 2"
 *                     (dropped again after each repetition, not timed);
 *                   - update_1pct: score = "score + 1" where "id % 100 = r";
 *                   - delete_1pct: where "id % 100 = 50 + r", r = 0 .. REPS-1.
 *                   Ours runs twice, each on a table of its own: durable (every
 *                   committed file and directory fsynced, the default) and with
 *                   GNV_SYNC_OFF, which syncs as little as LanceDB does on local disks.
 *                   With LANCEDB_CMD set, `$LANCEDB_CMD <ipc> <db> <reps>`
 *                   (bench/lancedb_expr.mjs) does the same on its own table of the same
 *                   rows; its filtered count must equal ours.
 *
 * The tables (and the IPC file) are synced to disk before any timing: the durable
 * figures then time the operation's own fsyncs, not the writeback of the setup.
 *
 * Output: seconds of each (best and median) and the ratios of the bests, LanceDB's time
 * over ours. TMPDIR says where the data goes; KEEP=1 keeps it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arrow/arrow.h"
#include "bench_util.h"
#include "geneva/db.h"
#include "geneva/sys/io.h"
#include "geneva/table.h"
#include "peer_data.h"

#define BATCH_ROWS 65536
#define TABLE      "bench"
#define FILTER     "score > 0.9 AND label = 'label_07'"

enum { FIG_COUNT, FIG_ADD, FIG_UPDATE, FIG_DELETE, N_FIGS };

static const char *const fig_names[N_FIGS] = {"count_filtered", "add_column", "update_1pct",
                                              "delete_1pct"};

static int run_ours(bench_figure *f, gnv_db *db, int64_t n, int reps, int64_t *matches)
{
    static const char *const score2[] = {"score2"}, *const times2[] = {"score * 2"};
    static const char *const score[] = {"score"}, *const plus1[] = {"score + 1"};
    gnv_table *t = NULL;
    char where[64];
    int rc = gnv_db_open_table(&t, db, TABLE);
    GNV_TRYG(rc);
    for (int r = 0; r < reps; r++) {
        double t0 = gnv__now();
        GNV_TRYG(gnv_table_count_rows_where(t, FILTER, matches));
        f[FIG_COUNT].secs[f[FIG_COUNT].n++] = gnv__now() - t0;
    }
    for (int r = 0; r < reps; r++) {
        double t0 = gnv__now();
        GNV_TRYG(gnv_table_add_columns_sql(t, score2, times2, 1));
        f[FIG_ADD].secs[f[FIG_ADD].n++] = gnv__now() - t0;
        GNV_TRYG(gnv_table_drop_columns(t, score2, 1));
    }
    for (int r = 0; r < reps; r++) {
        int64_t updated = 0;
        snprintf(where, sizeof where, "id %% 100 = %d", r);
        double t0 = gnv__now();
        GNV_TRYG(gnv_table_update(t, where, score, plus1, 1, &updated));
        f[FIG_UPDATE].secs[f[FIG_UPDATE].n++] = gnv__now() - t0;
        GNV_ERR_IF(updated != (n - r + 99) / 100, GNV_ERROR, GNV_SUB_TABLE,
                   "update of '%s' changed %" PRId64 " rows", where, updated);
    }
    for (int r = 0; r < reps; r++) {
        int64_t deleted = 0;
        snprintf(where, sizeof where, "id %% 100 = %d", 50 + r);
        double t0 = gnv__now();
        GNV_TRYG(gnv_table_delete(t, where, &deleted));
        f[FIG_DELETE].secs[f[FIG_DELETE].n++] = gnv__now() - t0;
        GNV_ERR_IF(deleted != (n - 50 - r + 99) / 100, GNV_ERROR, GNV_SUB_TABLE,
                   "delete of '%s' removed %" PRId64 " rows", where, deleted);
    }
done:
    gnv_table_close(t);
    return rc;
}

static void
report(bench_figure *ours, bench_figure *nosync, bench_figure *lance, int have_lance, int64_t n)
{
    static const char *const labels[N_FIGS] = {"count filtered", "add column", "update 1%",
                                               "delete 1%"};
    printf("%-15s %13s   %-31s %-31s %s\n", "", "", "ours, durable (default)", "ours, sync off",
           have_lance ? "lancedb" : "");
    for (int i = 0; i < N_FIGS; i++) {
        double ob = bench_best(ours[i].secs, ours[i].n);
        double om = bench_median(ours[i].secs, ours[i].n);
        double nb = bench_best(nosync[i].secs, nosync[i].n);
        double nm = bench_median(nosync[i].secs, nosync[i].n);
        printf("%-15s %8" PRId64 " rows   %8.4f s (median %8.4f)   %8.4f s (median %8.4f)",
               labels[i], n, ob, om, nb, nm);
        if (have_lance) {
            double rd = lance[i].secs[0] / ob, rn = lance[i].secs[0] / nb;
            printf("   %8.4f s (median %8.4f)   ratio durable %5.2fx, sync off %5.2fx  aim >= "
                   "2x %s",
                   lance[i].secs[0], lance[i].secs[1], rd, rn, rn >= 2 ? "met" : "MISSED");
        }
        printf("\n");
    }
}

static int run(void)
{
    int64_t n = bench_env_int("N", 1000000), reps = bench_env_int("REPS", 3), nb = 0;
    int64_t matches = -1;
    const char *cmd = getenv("LANCEDB_CMD");
    struct ArrowSchema schema = {0};
    struct ArrowArray *batches = NULL;
    static bench_figure ours[N_FIGS], nosync[N_FIGS], lance[N_FIGS];
    char dir[512], ipc[600], path[600], path2[600], command[8192];
    gnv_db *db = NULL, *db2 = NULL;
    gnv_db_options no = GNV_DB_OPTIONS_INIT;
    no.sync_mode = GNV_SYNC_OFF;
    int rc = GNV_OK;
    if (n < 100 || reps < 1 || reps > 50)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "N must be >= 100 and REPS in 1..50");
    for (int i = 0; i < N_FIGS; i++)
        lance[i].name = nosync[i].name = ours[i].name = fig_names[i];
    GNV_TRY(bench_make_dir(dir, sizeof dir, "gnv-bench-expr"));
    snprintf(ipc, sizeof ipc, "%s/peer.arrow", dir);
    snprintf(path, sizeof path, "%s/ours", dir);
    snprintf(path2, sizeof path2, "%s/ours-nosync", dir);

    printf("rows %" PRId64 ", %" PRId64 " reps\n", n, reps);
    GNV_TRYG(peer_arrow_schema(&schema));
    GNV_TRYG(bench_peer_batches(&batches, &nb, &schema, n, BATCH_ROWS));
    if (cmd && *cmd)
        GNV_TRYG(bench_write_ipc(ipc, &schema, batches, nb));
    GNV_TRYG(gnv_db_open(&db, path, NULL));
    GNV_TRYG(gnv_db_open(&db2, path2, &no));
    GNV_TRYG(bench_create_table(db, TABLE, &schema, batches, nb));
    GNV_TRYG(bench_create_table(db2, TABLE, &schema, batches, nb));
    bench_free_batches(batches, nb);
    batches = NULL;
    /* the setup's writes reach the disk before the timing starts, so that the durable
     * commits' fsyncs do not wait for them */
    sync();
    fflush(stdout);
    GNV_TRYG(run_ours(ours, db, n, (int)reps, &matches));
    GNV_TRYG(run_ours(nosync, db2, n, (int)reps, &matches));
    printf("filtered count: %" PRId64 "\n", matches);

    int have_lance = 0;
    if (!cmd || !*cmd) {
        printf("note: LANCEDB_CMD not set (node/npm missing?): our figures only\n");
    } else {
        snprintf(command, sizeof command, "COUNT_EXPECTED=%" PRId64 " %s '%s' '%s/lancedb' %d",
                 matches, cmd, ipc, dir, (int)reps);
        have_lance = bench_run_driver(lance, N_FIGS, command) == 0;
        if (!have_lance)
            printf("note: the LanceDB driver failed (see above): our figures only\n");
    }
    report(ours, nosync, lance, have_lance, n);
done:
    gnv_db_close(db);
    gnv_db_close(db2);
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
        fprintf(stderr, "usage: bench_expr   (env N, REPS, TMPDIR, KEEP, LANCEDB_CMD)\n");
        return 2;
    }
    if (run() != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "bench_expr: %s\n", e ? e->message : "failed");
        return 1;
    }
    return 0;
}
