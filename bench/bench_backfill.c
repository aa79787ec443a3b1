/*
 * bench_backfill: a UDF column computed by a backfill job, ours beside LanceDB's
 * add_columns with an SQL expression, on the same rows in the same run.
 *
 *   bench_backfill  N rows (env N, default 1000000) of the peer data go into a table of
 *                   ours (not timed) with the virtual column tl = text_len(text) from the
 *                   demo UDF plugin (env DEMO_UDF, else ../examples/udfs/libdemo_udfs.so
 *                   beside this program's directory). Then, REPS times (env, default 3)
 *                   each, the backfill of tl over every row:
 *                   - inline: the inline executor;
 *                   - process_c1, process_c2: the process executor with 1 and 2
 *                     workers;
 *                   the column dropped and added again (NULL) between repetitions, not
 *                   timed. CKPT (env, default 0: the library's adaptive sizing) fixes the
 *                   checkpoint size. Then the per-task fixed cost: the backfill of a
 *                   table of 1 fragment of 1 row, end to end (plan, worker start,
 *                   commit), process executor, best of TINY_REPS (env, default 20).
 *                   With LANCEDB_CMD set, `$LANCEDB_CMD <ipc> <db> <reps>`
 *                   (bench/lancedb_backfill.mjs) times addColumns tl = length(text) on
 *                   its own table of the same rows.
 *
 * Output: seconds (best and median) and rows/s of each, the ratios of our rows/s over
 * LanceDB's, and the aims: within 1.5x of LanceDB's SQL path at concurrency 1, a
 * per-task fixed cost under 50 ms. TMPDIR says where the data goes; KEEP=1 keeps it.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arrow/arrow.h"
#include "bench_util.h"
#include "geneva/db.h"
#include "geneva/job.h"
#include "geneva/table.h"
#include "geneva/udf.h"
#include "peer_data.h"

#define BATCH_ROWS 65536
#define TABLE      "bench"
#define TINY       "tiny"

enum { FIG_INLINE, FIG_C1, FIG_C2, N_FIGS };

static const char *const fig_names[N_FIGS] = {"inline", "process_c1", "process_c2"};

/* The demo plugin: DEMO_UDF, else ../examples/udfs/libdemo_udfs.so from this program. */
static void demo_path(char *out, size_t size, const char *argv0)
{
    const char *env = getenv("DEMO_UDF");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0)
        exe[n] = '\0';
    else
        snprintf(exe, sizeof exe, "%s", argv0);
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(exe, sizeof exe, ".");
    int len = snprintf(out, size, "%s/../examples/udfs/libdemo_udfs.so", exe);
    if (len < 0 || (size_t)len >= size)
        snprintf(out, size, "libdemo_udfs.so");
}

static int add_tl(gnv_table *t, const gnv_udf_function *fn)
{
    static const char *const inputs[] = {"text"};
    return gnv_table_add_udf_column(t, "tl", fn, inputs, 1);
}

static int drop_tl(gnv_table *t)
{
    static const char *const names[] = {"tl"};
    return gnv_table_drop_columns(t, names, 1);
}

/* One backfill of tl (timed), checked: every row computed, none left NULL. */
static int backfill_once(double *secs, gnv_table *t, int executor, int concurrency, int64_t ckpt)
{
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    gnv_backfill_stats st;
    int64_t nulls = -1, n = 0;
    int rc = GNV_OK;
    o.executor = executor;
    o.concurrency = concurrency;
    o.checkpoint_size = ckpt;
    double t0 = gnv__now();
    GNV_TRYG(gnv_table_backfill(t, "tl", &o, &st));
    *secs = gnv__now() - t0;
    GNV_TRYG(gnv_table_count_rows(t, &n));
    GNV_TRYG(gnv_table_count_rows_where(t, "tl IS NULL", &nulls));
    GNV_ERR_IF(st.rows_computed != n || nulls != 0, GNV_ERROR, GNV_SUB_JOB,
               "backfill computed %" PRId64 " of %" PRId64 " rows, %" PRId64 " left NULL",
               st.rows_computed, n, nulls);
done:
    return rc;
}

static int run_ours(bench_figure *f,
                    double *tiny,
                    gnv_db *db,
                    const gnv_udf_function *fn,
                    int reps,
                    int64_t ckpt,
                    int tiny_reps)
{
    static const int exec[N_FIGS] = {GNV_EXECUTOR_INLINE, GNV_EXECUTOR_PROCESS,
                                     GNV_EXECUTOR_PROCESS};
    static const int conc[N_FIGS] = {1, 1, 2};
    gnv_table *t = NULL;
    int rc = gnv_db_open_table(&t, db, TABLE);
    GNV_TRYG(rc);
    for (int i = 0; i < N_FIGS; i++) {
        for (int r = 0; r < reps; r++) {
            GNV_TRYG(add_tl(t, fn));
            GNV_TRYG(backfill_once(&f[i].secs[f[i].n++], t, exec[i], conc[i], ckpt));
            GNV_TRYG(drop_tl(t));
        }
    }
    gnv_table_close(t);
    t = NULL;
    GNV_TRYG(gnv_db_open_table(&t, db, TINY));
    for (int r = 0; r < tiny_reps; r++) {
        GNV_TRYG(add_tl(t, fn));
        GNV_TRYG(backfill_once(&tiny[r], t, GNV_EXECUTOR_PROCESS, 1, ckpt));
        GNV_TRYG(drop_tl(t));
    }
done:
    gnv_table_close(t);
    return rc;
}

static void report(
    bench_figure *ours, double *tiny, int tiny_reps, bench_figure *lance, int have_lance, int64_t n)
{
    static const char *const labels[N_FIGS] = {"inline", "process, 1 worker", "process, 2 workers"};
    char rate[64];
    double lance_rate = have_lance ? (double)n / lance[0].secs[0] : 0;
    printf("backfill tl = text_len(text) (UDF), %" PRId64 " rows:\n", n);
    for (int i = 0; i < N_FIGS; i++) {
        double b = bench_best(ours[i].secs, ours[i].n), m = bench_median(ours[i].secs, ours[i].n);
        bench_format_rate(rate, sizeof rate, (double)n / b);
        printf("  %-19s %8.4f s (median %8.4f)  %s", labels[i], b, m, rate);
        if (have_lance)
            printf("   ours/lancedb %5.2fx", (double)n / b / lance_rate);
        printf("\n");
    }
    if (have_lance) {
        bench_format_rate(rate, sizeof rate, lance_rate);
        printf("  %-19s %8.4f s (median %8.4f)  %s\n", "lancedb length(text)", lance[0].secs[0],
               lance[0].secs[1], rate);
        double c1 = (double)n / bench_best(ours[FIG_C1].secs, ours[FIG_C1].n);
        printf("aim: process executor at concurrency 1 within 1.5x of LanceDB's SQL path: "
               "%.2fx slower, %s\n",
               lance_rate / c1, lance_rate / c1 <= 1.5 ? "met" : "MISSED");
    }
    double tb = bench_best(tiny, tiny_reps), tm = bench_median(tiny, tiny_reps);
    printf("per-task fixed cost (1 fragment, 1 row, process executor, end to end): best %.1f ms "
           "(median %.1f ms, %d reps); aim < 50 ms: %s\n",
           tb * 1e3, tm * 1e3, tiny_reps, tb < 0.050 ? "met" : "MISSED");
}

static int run(const char *argv0)
{
    int64_t n = bench_env_int("N", 1000000), reps = bench_env_int("REPS", 3), nb = 0;
    int64_t ckpt = bench_env_int("CKPT", 0), tiny_reps = bench_env_int("TINY_REPS", 20);
    const char *cmd = getenv("LANCEDB_CMD");
    struct ArrowSchema schema = {0};
    struct ArrowArray *batches = NULL;
    static bench_figure ours[N_FIGS], lance[1];
    static double tiny[BENCH_MAX_REPS];
    char dir[512] = "", ipc[600], path[600], demo[PATH_MAX], command[8192];
    gnv_db *db = NULL;
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *fn = NULL;
    int rc = GNV_OK;
    if (n < 100 || reps < 1 || reps > BENCH_MAX_REPS || tiny_reps < 1 ||
        tiny_reps > BENCH_MAX_REPS || ckpt < 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                              "N must be >= 100, REPS and TINY_REPS in 1..%d, CKPT >= 0",
                              BENCH_MAX_REPS);
    for (int i = 0; i < N_FIGS; i++)
        ours[i].name = fig_names[i];
    lance[0].name = "add_column_sql";
    demo_path(demo, sizeof demo, argv0);
    GNV_TRY(gnv_udf_library_open(&lib, demo));
    GNV_TRYG(gnv_udf_library_find(&fn, lib, "text_len"));
    GNV_TRYG(bench_make_dir(dir, sizeof dir, "gnv-bench-backfill"));
    snprintf(ipc, sizeof ipc, "%s/peer.arrow", dir);
    snprintf(path, sizeof path, "%s/ours", dir);

    printf("rows %" PRId64 ", %" PRId64 " reps, checkpoint size %" PRId64 "%s\n", n, reps, ckpt,
           ckpt ? "" : " (default)");
    GNV_TRYG(peer_arrow_schema(&schema));
    GNV_TRYG(bench_peer_batches(&batches, &nb, &schema, n, BATCH_ROWS));
    if (cmd && *cmd)
        GNV_TRYG(bench_write_ipc(ipc, &schema, batches, nb));
    GNV_TRYG(gnv_db_open(&db, path, NULL));
    GNV_TRYG(bench_create_table(db, TABLE, &schema, batches, nb));
    bench_free_batches(batches, nb);
    batches = NULL;
    GNV_TRYG(bench_peer_batches(&batches, &nb, &schema, 1, 1));
    GNV_TRYG(bench_create_table(db, TINY, &schema, batches, nb));
    bench_free_batches(batches, nb);
    batches = NULL;
    fflush(stdout);
    GNV_TRYG(run_ours(ours, tiny, db, fn, (int)reps, ckpt, (int)tiny_reps));

    int have_lance = 0;
    if (!cmd || !*cmd) {
        printf("note: LANCEDB_CMD not set (node/npm missing?): our figures only\n");
    } else {
        snprintf(command, sizeof command, "%s '%s' '%s/lancedb' %d", cmd, ipc, dir, (int)reps);
        have_lance = bench_run_driver(lance, 1, command) == 0;
        if (!have_lance)
            printf("note: the LanceDB driver failed (see above): our figures only\n");
    }
    report(ours, tiny, (int)tiny_reps, lance, have_lance, n);
done:
    gnv_db_close(db);
    gnv_udf_library_close(lib);
    bench_free_batches(batches, nb);
    gnv__schema_release(&schema);
    if (dir[0] && bench_env_int("KEEP", 0))
        printf("data kept in %s\n", dir);
    else if (dir[0])
        bench_remove_tree(dir);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: bench_backfill   (env N, REPS, CKPT, TINY_REPS, DEMO_UDF, "
                        "TMPDIR, KEEP, LANCEDB_CMD)\n");
        return 2;
    }
    if (run(argv[0]) != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "bench_backfill: %s\n", e ? e->message : "failed");
        return 1;
    }
    return 0;
}
