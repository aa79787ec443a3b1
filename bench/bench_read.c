/*
 * bench_read: scans and takes of a table LanceDB wrote with its defaults, ours beside
 * LanceDB's own, on the same files in the same run.
 *
 *   bench_read      N rows (env N, default 1000000) of the peer benchmark's data are
 *                   generated (not timed) and written as an Arrow IPC file, from which
 *                   `$LANCEDB_CMD write <ipc> <db>` (bench/lancedb_read.mjs) creates the
 *                   table with LanceDB's default encodings (bit-packing, FSST,
 *                   dictionaries...). Then, REPS times (env, default 3), each side:
 *                   - scans id, score (summing score), vector (summing every value) and
 *                     text, label (summing byte lengths);
 *                   - takes TAKES (env, default 500) sets of TAKE_ROWS (env, default 10)
 *                     random rows, selecting id, text and score, one call per set (the
 *                     ids are checked).
 *                   LanceDB's side is `$LANCEDB_CMD read <db> <reps> <takes file>`.
 *
 * Without LANCEDB_CMD there is no LanceDB-written table, so nothing is measured.
 * Output: rows/s of both (best and median) and the ratio of the bests, ours / LanceDB.
 * TMPDIR says where the data goes; KEEP=1 keeps it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/arrow.h"
#include "bench_util.h"
#include "geneva/db.h"
#include "geneva/table.h"
#include "peer_data.h"

#define BATCH_ROWS 65536
#define TABLE      "bench"

enum { FIG_SCAN_ID_SCORE, FIG_SCAN_VECTOR, FIG_SCAN_TEXT, FIG_TAKE, N_FIGS };

static const char *const fig_names[N_FIGS] = {"scan_id_score", "scan_vector", "scan_text_label",
                                              "take"};

/* ---- the takes: sets of random row offsets ------------------------------------- */

typedef struct takes {
    int64_t n_sets, rows_per_set;
    int64_t *offsets; /* n_sets x rows_per_set */
} takes;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int takes_make(takes *t, int64_t n_rows, const char *path)
{
    uint64_t seed = 7;
    int rc = GNV_OK;
    FILE *f = NULL;
    t->offsets = gnv__malloc((size_t)(t->n_sets * t->rows_per_set) * sizeof *t->offsets);
    GNV_CHECK_ALLOC(t->offsets);
    f = fopen(path, "w");
    GNV_ERR_IF(!f, GNV_EIO, GNV_SUB_TABLE, "cannot create %s", path);
    for (int64_t s = 0; s < t->n_sets; s++)
        for (int64_t r = 0; r < t->rows_per_set; r++) {
            int64_t o = (int64_t)(splitmix(&seed) % (uint64_t)n_rows);
            t->offsets[s * t->rows_per_set + r] = o;
            fprintf(f, "%" PRId64 "%c", o, r + 1 == t->rows_per_set ? '\n' : ' ');
        }
done:
    if (f && fclose(f) != 0 && rc == GNV_OK)
        rc = gnv__error_set(GNV_EIO, GNV_SUB_TABLE, "cannot write %s", path);
    return rc;
}

/* ---- our figures -------------------------------------------------------------- */

/* Sum over one batch of a projection: score (id, score), every vector value (vector),
 * or the byte lengths of text and label. */
static double batch_sum(const struct ArrowArray *a, int fig)
{
    double s = 0;
    if (fig == FIG_SCAN_ID_SCORE) {
        const struct ArrowArray *c = a->children[1];
        const double *v = (const double *)c->buffers[1] + c->offset + a->offset;
        for (int64_t i = 0; i < a->length; i++)
            s += v[i];
    } else if (fig == FIG_SCAN_VECTOR) {
        const struct ArrowArray *fsl = a->children[0], *f = fsl->children[0];
        const float *v =
            (const float *)f->buffers[1] + f->offset + (a->offset + fsl->offset) * PEER_DIM;
        float fs = 0;
        for (int64_t i = 0; i < a->length * PEER_DIM; i++)
            fs += v[i];
        s = fs;
    } else {
        for (int c = 0; c < 2; c++) {
            const struct ArrowArray *col = a->children[c];
            const int32_t *off = (const int32_t *)col->buffers[1] + col->offset + a->offset;
            s += off[a->length] - off[0];
        }
    }
    return s;
}

static int time_scan(double *secs, gnv_table *t, int fig, int64_t n)
{
    static const char *const cols[3][2] = {{"id", "score"}, {"vector", NULL}, {"text", "label"}};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    struct ArrowArrayStream s = {0};
    struct ArrowArray a = {0};
    int64_t rows = 0;
    double sum = 0;
    o.columns = cols[fig];
    o.n_columns = fig == FIG_SCAN_VECTOR ? 1 : 2;
    double t0 = gnv__now();
    int rc = gnv_table_scan(t, &o, &s);
    GNV_TRYG(rc);
    while ((rc = gnv__stream_next(&s, &a)) == GNV_OK) {
        rows += a.length;
        sum += batch_sum(&a, fig);
        gnv__array_release(&a);
    }
    if (rc == GNV_ITEROVER)
        rc = GNV_OK;
    *secs = gnv__now() - t0;
    GNV_TRYG(rc);
    bench_sink += (uint64_t)sum;
    GNV_ERR_IF(rows != n, GNV_ERROR, GNV_SUB_TABLE, "scan returned %" PRId64 " rows of %" PRId64,
               rows, n);
done:
    gnv__stream_release(&s);
    return rc;
}

/* The row address of every offset (a scan of _rowaddr; not timed). */
static int row_addresses(uint64_t **out, gnv_table *t, int64_t n)
{
    static const char *const cols[] = {"_rowaddr"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    struct ArrowArrayStream s = {0};
    struct ArrowArray a = {0};
    int64_t at = 0;
    uint64_t *addr = gnv__malloc((size_t)n * sizeof *addr);
    int rc = addr ? GNV_OK : gnv__error_set(GNV_ENOMEM, GNV_SUB_TABLE, "out of memory");
    o.columns = cols;
    o.n_columns = 1;
    GNV_TRYG(rc);
    GNV_TRYG(gnv_table_scan(t, &o, &s));
    while ((rc = gnv__stream_next(&s, &a)) == GNV_OK) {
        const struct ArrowArray *c = a.children[0];
        GNV_ERR_IF(at + a.length > n, GNV_ERROR, GNV_SUB_TABLE, "more rows than counted");
        memcpy(addr + at, (const uint64_t *)c->buffers[1] + c->offset + a.offset,
               (size_t)a.length * sizeof *addr);
        at += a.length;
        gnv__array_release(&a);
    }
    if (rc == GNV_ITEROVER)
        rc = GNV_OK;
    GNV_TRYG(rc);
    *out = addr;
    addr = NULL;
done:
    gnv__array_release(&a);
    gnv__stream_release(&s);
    gnv__free(addr);
    return rc;
}

static int time_takes(double *secs, gnv_table *t, const takes *tk, const uint64_t *addr)
{
    static const char *const cols[] = {"id", "text", "score"};
    uint64_t want[1024];
    int rc = GNV_OK;
    double t0 = gnv__now();
    for (int64_t s = 0; s < tk->n_sets; s++) {
        struct ArrowSchema schema = {0};
        struct ArrowArray a = {0};
        const int64_t *offs = tk->offsets + s * tk->rows_per_set;
        for (int64_t r = 0; r < tk->rows_per_set; r++)
            want[r] = addr[offs[r]];
        rc = gnv_table_take(t, want, (size_t)tk->rows_per_set, cols, 3, &schema, &a);
        if (rc == GNV_OK) {
            const int64_t *id = (const int64_t *)a.children[0]->buffers[1] + a.children[0]->offset;
            for (int64_t r = 0; r < tk->rows_per_set && rc == GNV_OK; r++)
                if (a.length != tk->rows_per_set || id[r] != offs[r])
                    rc = gnv__error_set(GNV_ERROR, GNV_SUB_TABLE,
                                        "take of row %" PRId64 " returned the wrong row", offs[r]);
        }
        gnv__array_release(&a);
        gnv__schema_release(&schema);
        GNV_TRY(rc);
    }
    *secs = gnv__now() - t0;
    return rc;
}

static int run_ours(bench_figure *f, const char *dir, int64_t n, const takes *tk, int reps)
{
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    uint64_t *addr = NULL;
    int64_t count = 0;
    int rc = gnv_db_open(&db, dir, NULL);
    GNV_TRYG(rc);
    GNV_TRYG(gnv_db_open_table(&t, db, TABLE));
    GNV_TRYG(gnv_table_count_rows(t, &count));
    GNV_ERR_IF(count != n, GNV_ERROR, GNV_SUB_TABLE, "count_rows %" PRId64 " of %" PRId64, count,
               n);
    GNV_TRYG(row_addresses(&addr, t, n));
    for (int r = 0; r < reps; r++) {
        for (int fig = FIG_SCAN_ID_SCORE; fig <= FIG_SCAN_TEXT; fig++)
            GNV_TRYG(time_scan(&f[fig].secs[f[fig].n++], t, fig, n));
        GNV_TRYG(time_takes(&f[FIG_TAKE].secs[f[FIG_TAKE].n++], t, tk, addr));
    }
done:
    gnv__free(addr);
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

/* ---- report ------------------------------------------------------------------- */

static void
report(bench_figure *ours, bench_figure *lance, int have_lance, int64_t n, const takes *tk)
{
    static const char *const labels[N_FIGS] = {"scan id,score", "scan vector", "scan text,label",
                                               "take"};
    static const double aims[N_FIGS] = {2, 2, 2, 1};
    for (int i = 0; i < N_FIGS; i++) {
        char best[32], med[32], lbest[32], lmed[32];
        int64_t rows = i == FIG_TAKE ? tk->n_sets * tk->rows_per_set : n;
        double ob = bench_best(ours[i].secs, ours[i].n);
        double om = bench_median(ours[i].secs, ours[i].n);
        bench_format_rate(best, sizeof best, rows / ob);
        bench_format_rate(med, sizeof med, rows / om);
        printf("%-16s %8" PRId64 " rows   ours %8s rows/s (median %8s)", labels[i], rows, best,
               med);
        if (have_lance) {
            bench_format_rate(lbest, sizeof lbest, rows / lance[i].secs[0]);
            bench_format_rate(lmed, sizeof lmed, rows / lance[i].secs[1]);
            double ratio = lance[i].secs[0] / ob;
            printf("   lancedb %8s rows/s (median %8s)   ratio %5.2fx  aim >= %.0fx %s", lbest,
                   lmed, ratio, aims[i], ratio >= aims[i] ? "met" : "MISSED");
        }
        printf("\n");
    }
}

/* ---- main --------------------------------------------------------------------- */

static int run(void)
{
    int64_t n = bench_env_int("N", 1000000), reps = bench_env_int("REPS", 3), nb = 0;
    const char *cmd = getenv("LANCEDB_CMD");
    struct ArrowSchema schema = {0};
    struct ArrowArray *batches = NULL;
    static bench_figure ours[N_FIGS], lance[N_FIGS];
    takes tk = {bench_env_int("TAKES", 500), bench_env_int("TAKE_ROWS", 10), NULL};
    char dir[512], ipc[600], db[600], takes_path[600], command[8192];
    int rc = GNV_OK;
    if (n < 1 || reps < 1 || reps > BENCH_MAX_REPS || tk.n_sets < 1 || tk.rows_per_set < 1 ||
        tk.rows_per_set > 1024)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE,
                              "N, TAKES must be >= 1, REPS in 1..%d, TAKE_ROWS in 1..1024",
                              BENCH_MAX_REPS);
    if (!cmd || !*cmd) {
        printf("note: LANCEDB_CMD not set (node/npm missing?): bench_read needs LanceDB to "
               "write its table; nothing measured\n");
        return GNV_OK;
    }
    for (int i = 0; i < N_FIGS; i++)
        lance[i].name = ours[i].name = fig_names[i];
    GNV_TRY(bench_make_dir(dir, sizeof dir, "gnv-bench-read"));
    snprintf(ipc, sizeof ipc, "%s/peer.arrow", dir);
    snprintf(db, sizeof db, "%s/lancedb", dir);
    snprintf(takes_path, sizeof takes_path, "%s/takes.txt", dir);

    printf("rows %" PRId64 ", %" PRId64 " reps, %" PRId64 " takes of %" PRId64 " rows\n", n, reps,
           tk.n_sets, tk.rows_per_set);
    GNV_TRYG(peer_arrow_schema(&schema));
    GNV_TRYG(bench_peer_batches(&batches, &nb, &schema, n, BATCH_ROWS));
    GNV_TRYG(bench_write_ipc(ipc, &schema, batches, nb));
    bench_free_batches(batches, nb);
    batches = NULL;
    snprintf(command, sizeof command, "%s write '%s' '%s'", cmd, ipc, db);
    fflush(stdout);
    GNV_ERR_IF(system(command) != 0, GNV_ERROR, GNV_SUB_TABLE,
               "the LanceDB driver could not write the table (%s)", command);
    GNV_TRYG(takes_make(&tk, n, takes_path));

    GNV_TRYG(run_ours(ours, db, n, &tk, (int)reps));
    snprintf(command, sizeof command, "%s read '%s' %d '%s'", cmd, db, (int)reps, takes_path);
    int have_lance = bench_run_driver(lance, N_FIGS, command) == 0;
    if (!have_lance)
        printf("note: the LanceDB driver failed (see above): our figures only\n");
    report(ours, lance, have_lance, n, &tk);
done:
    bench_free_batches(batches, nb);
    gnv__schema_release(&schema);
    gnv__free(tk.offsets);
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
                "usage: bench_read   (env N, REPS, TAKES, TAKE_ROWS, TMPDIR, KEEP, LANCEDB_CMD)\n");
        return 2;
    }
    if (run() != GNV_OK) {
        const gnv_error *e = gnv_error_last();
        fprintf(stderr, "bench_read: %s\n", e ? e->message : "failed");
        return 1;
    }
    return 0;
}
