/*
 * bench_maint: table maintenance, ours beside LanceDB's, in the same run.
 *
 *   bench_maint     - optimize: N rows (env, default 1000000) of the peer data appended
 *                     in FRAGS (env, default 1000) commits of N / FRAGS rows (not
 *                     timed), so the table has FRAGS small fragments; then REPS (env,
 *                     default 3) times: gnv_table_optimize with the defaults (which
 *                     compacts them all into one fragment), the table restored to its
 *                     version before between repetitions (not timed). Ours runs durable
 *                     (every file fsynced, the default) and with GNV_SYNC_OFF (as little
 *                     syncing as LanceDB does on local disks).
 *                   With LANCEDB_CMD set, `$LANCEDB_CMD <ipc> <db dir> <frags> <reps>`
 *                   (bench/lancedb_maint.mjs) builds its own table from the same rows in
 *                   the same appends and times table.optimize() the same way; both
 *                   results are checked (rows, one fragment).
 *
 * Output: seconds of both (best and median), rows per second, and the ratio of the
 * bests, LanceDB's time over ours. TMPDIR says where the data goes; KEEP=1 keeps it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/arrow.h"
#include "bench_util.h"
#include "geneva/db.h"
#include "geneva/sys/io.h"
#include "geneva/table.h"
#include "peer_data.h"

#define TABLE "frags"

enum { FIG_OPT, N_FIGS };

static const char *const fig_names[N_FIGS] = {"optimize"};

/* The table: batch 0 creates it, every other batch is an append (one fragment each). */
static int
build(const char *dir, const struct ArrowSchema *schema, struct ArrowArray *batches, int64_t nb)
{
    int rc = GNV_OK;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream in = {0};
    gnv_db_options o = GNV_DB_OPTIONS_INIT;
    o.sync_mode = GNV_SYNC_OFF; /* the setup is not timed */
    GNV_TRYG(gnv_db_open(&db, dir, &o));
    GNV_TRYG(bench_batch_stream(&in, schema, batches, 1));
    GNV_TRYG(gnv_db_create_table(&t, db, TABLE, &in, NULL, NULL));
    gnv__stream_release(&in);
    for (int64_t i = 1; i < nb; i++) {
        GNV_TRYG(bench_batch_stream(&in, schema, batches + i, 1));
        GNV_TRYG(gnv_table_add(t, &in, NULL));
        gnv__stream_release(&in);
    }
done:
    gnv__stream_release(&in);
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

/* REPS optimizes (with sync_mode), the table restored to `base` after each. */
static int
run_ours(bench_figure *f, const char *dir, int sync_mode, int reps, int64_t n, int64_t nb)
{
    int rc = GNV_OK;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    gnv_db_options o = GNV_DB_OPTIONS_INIT;
    o.sync_mode = sync_mode;
    GNV_TRYG(gnv_db_open(&db, dir, &o));
    GNV_TRYG(gnv_db_open_table(&t, db, TABLE));
    uint64_t base = gnv_table_version(t);
    for (int r = 0; r < reps; r++) {
        gnv_optimize_stats st;
        int64_t rows = 0;
        double t0 = gnv__now();
        GNV_TRYG(gnv_table_optimize(t, NULL, &st));
        f->secs[f->n++] = gnv__now() - t0;
        GNV_TRYG(gnv_table_count_rows(t, &rows));
        GNV_ERR_IF(st.fragments_removed != nb || st.fragments_added != 1 || rows != n, GNV_ERROR,
                   GNV_SUB_TABLE,
                   "optimize: %" PRId64 " fragments into %" PRId64 ", %" PRId64
                   " rows (expected %" PRId64 " into 1, %" PRId64 " rows)",
                   st.fragments_removed, st.fragments_added, rows, nb, n);
        GNV_TRYG(gnv_table_restore(t, base));
    }
done:
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

static void report(bench_figure *durable,
                   bench_figure *nosync,
                   bench_figure *lance,
                   int have_lance,
                   int64_t n,
                   int64_t nb)
{
    double d = bench_best(durable->secs, durable->n), dm = bench_median(durable->secs, durable->n);
    double o = bench_best(nosync->secs, nosync->n), om = bench_median(nosync->secs, nosync->n);
    char rate[32];
    bench_format_rate(rate, sizeof rate, (double)n / d);
    printf("optimize, %" PRId64 " fragments of %" PRId64 " rows\n", nb, n / nb);
    printf("  ours, durable   %8.3f s (median %8.3f)  %s rows/s\n", d, dm, rate);
    bench_format_rate(rate, sizeof rate, (double)n / o);
    printf("  ours, sync off  %8.3f s (median %8.3f)  %s rows/s\n", o, om, rate);
    if (have_lance) {
        double l = lance->secs[0];
        bench_format_rate(rate, sizeof rate, (double)n / l);
        printf("  lancedb         %8.3f s (median %8.3f)  %s rows/s\n", l, lance->secs[1], rate);
        printf("  ratio (lancedb / ours): durable %5.2fx, sync off %5.2fx\n", l / d, l / o);
    }
}

static int run(void)
{
    int64_t n = bench_env_int("N", 1000000), frags = bench_env_int("FRAGS", 1000);
    int64_t reps = bench_env_int("REPS", 3), nb = 0;
    const char *cmd = getenv("LANCEDB_CMD");
    struct ArrowSchema schema = {0};
    struct ArrowArray *batches = NULL;
    static bench_figure durable[N_FIGS], nosync[N_FIGS], lance[N_FIGS];
    char dir[512], ipc[600], path[600], command[8192];
    int rc = GNV_OK;
    if (frags < 2 || n < frags || n % frags != 0 || reps < 1 || reps > 50)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                              "FRAGS must be >= 2 and divide N, and REPS be in 1..50");
    for (int i = 0; i < N_FIGS; i++)
        lance[i].name = durable[i].name = nosync[i].name = fig_names[i];
    GNV_TRY(bench_make_dir(dir, sizeof dir, "gnv-bench-maint"));
    snprintf(ipc, sizeof ipc, "%s/peer.arrow", dir);
    snprintf(path, sizeof path, "%s/ours", dir);

    printf("rows %" PRId64 " in %" PRId64 " appends, %" PRId64 " reps\n", n, frags, reps);
    GNV_TRYG(peer_arrow_schema(&schema));
    GNV_TRYG(bench_peer_batches(&batches, &nb, &schema, n, n / frags));
    if (cmd && *cmd)
        GNV_TRYG(bench_write_ipc(ipc, &schema, batches, nb));
    GNV_TRYG(build(path, &schema, batches, nb));
    bench_free_batches(batches, nb);
    batches = NULL;
    fflush(stdout);
    GNV_TRYG(run_ours(&durable[FIG_OPT], path, GNV_SYNC_FULL, (int)reps, n, nb));
    GNV_TRYG(run_ours(&nosync[FIG_OPT], path, GNV_SYNC_OFF, (int)reps, n, nb));

    int have_lance = 0;
    if (!cmd || !*cmd) {
        printf("note: LANCEDB_CMD not set (node/npm missing?): our figures only\n");
    } else {
        snprintf(command, sizeof command, "%s '%s' '%s/lancedb' %" PRId64 " %d", cmd, ipc, dir,
                 frags, (int)reps);
        have_lance = bench_run_driver(lance, N_FIGS, command) == 0;
        if (!have_lance)
            printf("note: the LanceDB driver failed (see above): our figures only\n");
    }
    report(&durable[FIG_OPT], &nosync[FIG_OPT], &lance[FIG_OPT], have_lance, n, nb);
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
        fprintf(stderr, "usage: bench_maint   (env N, FRAGS, REPS, TMPDIR, KEEP, LANCEDB_CMD)\n");
        return 2;
    }
    if (run() != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "bench_maint: %s\n", e ? e->message : "failed");
        return 1;
    }
    return 0;
}
