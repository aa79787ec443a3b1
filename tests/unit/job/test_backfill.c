/*
 * Virtual UDF columns and backfill jobs: adding a column (validation before anything
 * is written, the definition in field metadata, the stored library), backfills that
 * equal a direct computation over several fragments, filters, plans, resuming after a
 * UDF failure (only missing batches computed again), a backfill killed at random
 * moments and run again, concurrent appends and deletes kept, fragments rewritten
 * meanwhile skipped, and the process executor with a crashing UDF.
 */
#include "gnv_test_job.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "job/job.h"
#include "table/table.h"

/* ---- helpers -------------------------------------------------------------- */

/* Rows id = 0..n-1 and name = a string of id % 11 'x's (NULL where id % 7 == 3), in
 * fragments of per_file rows. */
static gnv_table *make_table(gnv_db *db, const char *tname, int n, int per_file)
{
    return gnv_test_job_table(db, tname, n, per_file, 11, 7);
}

static int count_ckpts(const char *root, const char *tname)
{
    char d[1024];
    int len = snprintf(d, sizeof d, "%s/%s.lance/_geneva/checkpoints", root, tname);
    assert_true(len > 0 && (size_t)len < sizeof d);
    return gnv_test_count_files(d);
}

/* ---- adding a UDF column -------------------------------------------------- */

static void test_add_udf_column_errors(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 20, 10);
    uint64_t v0 = gnv_table_version(t);
    gnv_udf_library *lib;
    const gnv_udf_function *text_len, *split, *label;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&text_len, lib, "text_len"));
    GNV_ASSERT_OK(gnv_udf_library_find(&split, lib, "split_words"));
    GNV_ASSERT_OK(gnv_udf_library_find(&label, lib, "label_index"));

    const char *missing[1] = {"nope"};
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "len", text_len, missing, 1), GNV_ENOTFOUND,
                   "no column 'nope'");
    /* bound by parameter name: text_len's parameter is "text" */
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "len", text_len, NULL, 0), GNV_ENOTFOUND,
                   "no column 'text'");
    const char *wrong_type[1] = {"id"};
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "len", text_len, wrong_type, 1), GNV_EINVAL,
                   "column 'id' is int64 but parameter 'text'");
    const char *two[2] = {"name", "name"};
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "len", text_len, two, 2), GNV_EINVAL,
                   "takes 1 parameters but 2");
    const char *name[1] = {"name"};
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "id", text_len, name, 1), GNV_EEXISTS,
                   "already has a column 'id'");
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "_rowaddr", text_len, name, 1), GNV_EINVAL,
                   "reserved");
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "w", split, name, 1), GNV_EINVAL,
                   "multi-column UDF");
    const char *none[1] = {NULL};
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "len", text_len, none, 1), GNV_EINVAL, "NULL");
    const char *ids[1] = {"id"};
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "lab", label, ids, 1), GNV_EINVAL,
                   "parameter 'label' of function 'label_index' is utf8");

    /* nothing was written */
    assert_int_equal(gnv_table_version(t), v0);
    char d[1024];
    snprintf(d, sizeof d, "%s/t.lance/_geneva", root);
    assert_int_equal(gnv_test_count_files(d), 0);

    /* a backfill of a column that is not virtual */
    GNV_ASSERT_ERR(gnv_table_backfill(t, "id", NULL, NULL), GNV_EINVAL, "not a virtual column");
    GNV_ASSERT_ERR(gnv_table_backfill(t, "zz", NULL, NULL), GNV_ENOTFOUND, "no column 'zz'");

    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

static void test_add_udf_column_definition(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 20, 10);
    gnv_udf_library *lib;
    const gnv_udf_function *f;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&f, lib, "text_len"));
    const char *in[1] = {"name"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "len", f, in, 1));

    gnv__udf_coldef def;
    GNV_ASSERT_OK(gnv__udf_coldef_of(&def, NULL, t, "len"));
    assert_string_equal(def.function, "text_len");
    assert_string_equal(def.version, "1.0");
    assert_string_equal(def.output, "int32");
    assert_int_equal(def.n_inputs, 1);
    assert_string_equal(def.inputs[0], "name");
    char want[80];
    snprintf(want, sizeof want, "%s.so", gnv_udf_library_sha256(lib));
    assert_string_equal(def.library, want);
    char p[1200];
    snprintf(p, sizeof p, "%s/t.lance/_geneva/udfs/%s", root, def.library);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    gnv__udf_coldef_reset(&def);

    /* the column reads as NULL until backfilled */
    int64_t vals[20];
    bool valid[20];
    assert_int_equal(gnv_test_read_int_col(t, "len", vals, valid, 20, -1), 20);
    for (int i = 0; i < 20; i++)
        assert_false(valid[i]);
    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- backfills -------------------------------------------------------------- */

static void check_len(gnv_table *t, int n, int64_t lo, int64_t hi)
{
    int64_t vals[512];
    bool valid[512];
    assert_true(n <= 512);
    assert_int_equal(gnv_test_read_int_col(t, "len", vals, valid, n, -1), n);
    for (int i = 0; i < n; i++) {
        bool want = i >= lo && i < hi && i % 7 != 3;
        if (valid[i] != want)
            fail_msg("row %d: valid %d, expected %d", i, valid[i], want);
        if (want)
            assert_int_equal(vals[i], i % 11);
    }
}

static void test_backfill_text_len(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 100, 30); /* fragments of 30, 30, 30, 10 rows */
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    uint64_t v0 = gnv_table_version(t);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.checkpoint_size = 8;
    o.commit_granularity = 2;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.read_version, v0);
    assert_int_equal(st.fragments, 4);
    assert_int_equal(st.rows, 100);
    assert_int_equal(st.batches, 4 + 4 + 4 + 2);
    assert_int_equal(st.batches_computed, st.batches);
    assert_int_equal(st.batches_reused, 0);
    assert_int_equal(st.rows_computed, 100);
    assert_int_equal(st.fragments_committed, 4);
    assert_int_equal(st.commits, 2);
    assert_int_equal(st.version, v0 + 2);
    assert_int_equal(gnv_table_version(t), v0 + 2);
    check_len(t, 100, 0, 100);
    assert_int_equal(count_ckpts(root, "t"), 0);

    /* a DataReplacement each, read back by a fresh handle */
    gnv_version_info *vi;
    size_t nv;
    GNV_ASSERT_OK(gnv_table_versions(t, &vi, &nv));
    assert_string_equal(vi[nv - 1].operation, "data_replacement");
    gnv_table_versions_free(vi, nv);
    gnv_table *t2;
    GNV_ASSERT_OK(gnv_db_open_table(&t2, db, "t"));
    check_len(t2, 100, 0, 100);
    gnv_table_close(t2);

    /* again: only the rows still NULL (NULL names) are computed, and stay NULL */
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.rows, 14);
    check_len(t, 100, 0, 100);
    /* "1=1" recomputes everything, the same values */
    o.where = "1=1";
    o.commit_granularity = -1;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.rows, 100);
    assert_int_equal(st.commits, 1);
    check_len(t, 100, 0, 100);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

static void test_backfill_where(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 100, 30);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = "id >= 20 AND id < 50";
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.rows, 30);
    assert_int_equal(st.fragments, 2);
    check_len(t, 100, 20, 50);
    /* the rest: the values computed before are kept in the rewritten files */
    o.where = "id >= 50 OR id < 20";
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.rows, 70);
    check_len(t, 100, 0, 100);
    /* a filter that does not parse */
    o.where = "id >>> 3";
    GNV_ASSERT_ERR(gnv_table_backfill(t, "len", &o, &st), GNV_EINVAL, "where");
    /* bad options */
    o.where = NULL;
    o.checkpoint_size = -1;
    GNV_ASSERT_ERR(gnv_table_backfill(t, "len", &o, &st), GNV_EINVAL, "negative");
    o.checkpoint_size = 0;
    o.min_checkpoint_size = 10;
    o.max_checkpoint_size = 5;
    GNV_ASSERT_ERR(gnv_table_backfill(t, "len", &o, &st), GNV_EINVAL, "min_checkpoint_size");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

static void test_plan_backfill(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 100, 30);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    uint64_t v = gnv_table_version(t);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.checkpoint_size = 10;
    o.task_size = 20;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "len", &o, &st));
    assert_int_equal(st.fragments, 4);
    assert_int_equal(st.rows, 100);
    assert_int_equal(st.batches, 3 + 3 + 3 + 1);
    assert_int_equal(st.tasks, 2 + 2 + 2 + 1);
    assert_int_equal(st.batches_computed, 0);
    assert_int_equal(gnv_table_version(t), v); /* nothing committed */
    o.skip_frags = 1;
    o.num_frags = 2;
    o.where = "id % 2 = 0";
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "len", &o, &st));
    assert_int_equal(st.fragments, 2);
    assert_int_equal(st.rows, 30);
    /* only the chosen fragments are backfilled */
    o.where = NULL;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    check_len(t, 100, 30, 90);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- resuming --------------------------------------------------------------- */

static void check_double(gnv_table *t, int n, const char *col)
{
    int64_t vals[512];
    bool valid[512];
    assert_int_equal(gnv_test_read_int_col(t, col, vals, valid, n, -1), n);
    for (int i = 0; i < n; i++) {
        if (!valid[i])
            fail_msg("row %d of %s is NULL", i, col);
        assert_int_equal(vals[i], 2 * i);
    }
}

static void test_backfill_resume_after_failure(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 100, 30);
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* one batch after the other: what a failure left */
    o.checkpoint_size = 10;
    o.commit_granularity = 1;
    gnv_backfill_stats st;
    setenv("GNV_FLAKY_FAIL_ID", "55", 1);
    GNV_ASSERT_ERR(gnv_table_backfill(t, "d", &o, &st), GNV_EUDF, "told to fail on id 55");
    unsetenv("GNV_FLAKY_FAIL_ID");
    /* fragment 0 committed; fragment 1's first two batches checkpointed */
    assert_int_equal(st.fragments_committed, 1);
    assert_int_equal(st.batches_computed, 5);
    assert_int_equal(count_ckpts(root, "t"), 2);
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "d", &o, &st));
    assert_int_equal(st.rows, 70);
    assert_int_equal(st.batches_reused, 2);
    /* resumed, with one commit for all: the checkpointed batches are not computed
     * again, and what was finished before the next failure is committed */
    setenv("GNV_FLAKY_FAIL_ID", "95", 1);
    o.commit_granularity = -1;
    GNV_ASSERT_ERR(gnv_table_backfill(t, "d", &o, &st), GNV_EUDF, "told to fail on id 95");
    unsetenv("GNV_FLAKY_FAIL_ID");
    assert_int_equal(st.fragments_committed, 2);
    assert_int_equal(st.commits, 1);
    assert_int_equal(st.batches_reused, 2);
    assert_int_equal(st.batches_computed, 1 + 3);
    assert_int_equal(st.rows_computed, 10 + 30);
    assert_int_equal(count_ckpts(root, "t"), 0);
    o.commit_granularity = 1;
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "d", &o, &st));
    assert_int_equal(st.rows, 10);
    assert_int_equal(st.batches_reused, 0);

    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    assert_int_equal(st.batches_reused, 0);
    assert_int_equal(st.batches_computed, 1);
    assert_int_equal(st.rows_computed, 10);
    assert_int_equal(st.fragments_committed, 1);
    check_double(t, 100, "d");
    assert_int_equal(count_ckpts(root, "t"), 0);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* Kill an inline backfill at random moments, run it again each time, until one run
 * finishes: the table must equal an uninterrupted run's. */
static void test_backfill_killed_and_rerun(void **state)
{
    (void)state;
    uint64_t seed = gnv_test_seed();
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 200, 40);
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    gnv_table_close(t);
    setenv("GNV_FLAKY_SLEEP_US", "300", 1);
    int kills = 0;
    bool finished = false;
    for (int round = 0; round < 40; round++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            gnv_table *ct;
            if (gnv_db_open_table(&ct, db, "t") != GNV_OK)
                _exit(2);
            gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
            o.executor = GNV_EXECUTOR_INLINE; /* test_backfill_crash.c kills workers too */
            o.checkpoint_size = 7;
            o.commit_granularity = 1;
            _exit(gnv_table_backfill(ct, "d", &o, NULL) == GNV_OK ? 0 : 1);
        }
        long max_ns = 5000000L * (round + 1);
        struct timespec ts = {0, (long)(gnv_test_rand(&seed) % (uint64_t)max_ns)};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status)) {
            assert_int_equal(WEXITSTATUS(status), 0);
            finished = true;
            break;
        }
        kills++;
    }
    unsetenv("GNV_FLAKY_SLEEP_US");
    print_message("killed %d times (GNV_TEST_SEED to repeat)\n", kills);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.checkpoint_size = 7;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    if (finished)
        assert_int_equal(st.rows, 0);
    check_double(t, 200, "d");
    assert_int_equal(count_ckpts(root, "t"), 0);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- concurrent changes ------------------------------------------------------ */

static void check_double(gnv_table *t, int n, const char *col);

typedef struct conc {
    gnv_db *db;
    int calls;
    int mode; /* 0: append and delete, 1: recompute column d, 2: backfill column d,
               * 3: cast column d2 */
} conc;

static void meddle(const gnv_backfill_stats *s, void *payload)
{
    conc *c = payload;
    if (s->batches_computed != 1 || c->calls++)
        return;
    gnv_table *o;
    GNV_ASSERT_OK(gnv_db_open_table(&o, c->db, "t"));
    if (c->mode == 0) {
        /* append a copy of the first 10 rows (len still NULL) through a second
         * handle, and delete id 35 */
        struct ArrowArrayStream st;
        gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
        so.limit = 10;
        GNV_ASSERT_OK(gnv_table_scan(o, &so, &st));
        GNV_ASSERT_OK(gnv_table_add(o, &st, NULL));
        gnv__stream_release(&st);
        GNV_ASSERT_OK(gnv_table_delete(o, "id = 35", NULL));
    } else if (c->mode == 1 || c->mode == 2) {
        /* 1: recompute d (replacing its files); 2: backfill it */
        gnv_backfill_options bo = GNV_BACKFILL_OPTIONS_INIT;
        bo.where = c->mode == 1 ? "1=1" : NULL;
        gnv_backfill_stats st;
        GNV_ASSERT_OK(gnv_table_backfill(o, "d", &bo, &st));
        assert_true(st.fragments_committed > 0);
    } else {
        /* a cast writes the column "d2" again into new files */
        gnv_column_alteration a = GNV_COLUMN_ALTERATION_INIT;
        a.path = "d2";
        a.cast = "float64";
        GNV_ASSERT_OK(gnv_table_alter_columns(o, &a, 1));
    }
    gnv_table_close(o);
}

static void test_backfill_concurrent_append_delete(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 100, 30);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    conc c = {db, 0, 0};
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* a progress call after the first batch */
    o.checkpoint_size = 10;
    o.progress = meddle;
    o.progress_payload = &c;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.fragments_committed, 4);
    assert_int_equal(st.fragments_skipped, 0);
    /* the appended rows (ids 0..9 again, in a new fragment) and the delete are kept */
    int64_t n;
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    assert_int_equal(n, 109);
    int64_t nulls;
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "len IS NULL", &nulls));
    /* the 10 new rows and the 14 NULL names */
    assert_int_equal(nulls, 10 + 14);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "id = 35", &n));
    assert_int_equal(n, 0);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "len = id % 11 AND id < 100", &n));
    assert_int_equal(n, 100 - 14 - 1); /* the old rows with a name, but the deleted one */

    /* the appended rows hold len in a file with every other column: a backfill writes
     * len apart and tombstones it there */
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", NULL, &st));
    assert_int_equal(st.rows, 14 + 10);
    assert_int_equal(st.fragments_committed, 5);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "len IS NULL", &nulls));
    assert_int_equal(nulls, 14 + 1);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "len = id % 11", &n));
    assert_int_equal(n, 100 - 14 - 1 + 9);
    gnv_table *t2;
    GNV_ASSERT_OK(gnv_db_open_table(&t2, db, "t"));
    GNV_ASSERT_OK(gnv_table_count_rows_where(t2, "len = id % 11", &n));
    assert_int_equal(n, 100 - 14 - 1 + 9);
    gnv_table_close(t2);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

static void test_backfill_concurrent_other_column(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 100, 30);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    conc c = {db, 0, 2};
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* a progress call after the first batch */
    o.checkpoint_size = 10;
    o.commit_granularity = 3;
    o.progress = meddle;
    o.progress_payload = &c;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.fragments_committed, 4);
    assert_int_equal(st.fragments_skipped, 0);
    /* both columns' files are in every fragment */
    check_len(t, 100, 0, 100);
    check_double(t, 100, "d");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* d2 = flaky_double(d) where d = flaky_double(id): while d2 is backfilled, d is
 * recomputed (its files replaced), so d2's inputs changed: its fragments are skipped. A
 * concurrent change of a column that is not an input (the cast of "name") is not. */
static void test_backfill_rewritten_fragments_skipped(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 60, 30);
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", NULL, NULL));
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d2", "d", NULL);
    conc c = {db, 0, 1};
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* a progress call after the first batch */
    o.checkpoint_size = 10;
    o.progress = meddle;
    o.progress_payload = &c;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d2", &o, &st));
    assert_int_equal(st.fragments_committed, 0);
    assert_int_equal(st.fragments_skipped, 2);
    /* a re-run on the new files does it */
    o.progress = NULL;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d2", &o, &st));
    assert_int_equal(st.fragments_committed, 2);
    int64_t vals[60];
    bool valid[60];
    assert_int_equal(gnv_test_read_int_col(t, "d2", vals, valid, 60, -1), 60);
    for (int i = 0; i < 60; i++) {
        assert_true(valid[i]);
        assert_int_equal(vals[i], 4 * i);
    }
    gnv_table_close(t);

    /* a concurrent change of another column: committed */
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    c.calls = 0;
    c.mode = 3;
    o.progress = meddle;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.fragments_committed, 2);
    assert_int_equal(st.fragments_skipped, 0);
    check_len(t, 60, 0, 60);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- the process executor --------------------------------------------------- */

static void test_backfill_process_executor(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 120, 30);
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 3;
    o.checkpoint_size = 5;
    o.task_size = 10;
    gnv_backfill_stats st;
    /* a worker that crashes kills only itself; its task is retried once, then reported */
    setenv("GNV_FLAKY_CRASH_ID", "47", 1);
    GNV_ASSERT_ERR(gnv_table_backfill(t, "d", &o, &st), GNV_EUDF, "killed by signal");
    unsetenv("GNV_FLAKY_CRASH_ID");
    assert_int_equal(st.task_errors, 1);
    assert_int_equal(st.fragments_committed, 3); /* all but the one of row 47 */
    assert_int_equal(st.rows_computed, 120 - 5);
    /* a failing UDF: its message comes back from the worker */
    setenv("GNV_FLAKY_FAIL_ID", "46", 1);
    GNV_ASSERT_ERR(gnv_table_backfill(t, "d", &o, &st), GNV_EUDF, "told to fail on id 46");
    unsetenv("GNV_FLAKY_FAIL_ID");
    assert_int_equal(st.task_errors, 1);
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    assert_int_equal(st.batches_reused, 5);
    assert_int_equal(st.batches_computed, 1);
    check_double(t, 120, "d");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- allocation failures ------------------------------------------------------ */

typedef struct fs_arg {
    const char *tmpl; /* a table with a virtual column, never backfilled */
    const char *root; /* where each run works on a fresh copy */
    gnv_backfill_options o;
} fs_arg;

static int fs_body(void *arg)
{
    fs_arg *a = arg;
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", a->root, a->tmpl, a->root);
    assert_int_equal(system(cmd), 0);
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    int rc = gnv_db_open(&db, a->root, NULL);
    if (rc == GNV_OK)
        rc = gnv_db_open_table(&t, db, "t");
    if (rc == GNV_OK)
        rc = gnv_table_backfill(t, "len", &a->o, NULL);
    gnv_table_close(t);
    gnv_db_close(db);
    if (rc == GNV_OK) {
        /* a successful run left the right values */
        gnv__alloc_fail_at(0, false);
        GNV_ASSERT_OK(gnv_db_open(&db, a->root, NULL));
        GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
        check_len(t, 12, 0, 12);
        gnv_table_close(t);
        gnv_db_close(db);
    } else {
        /* a failed one left a table that opens, and a re-run completes it */
        int64_t saved = (int64_t)gnv__alloc_fail_at(0, false);
        (void)saved;
        const gnv_error *e = gnv_error_last();
        int code = e ? e->code : rc;
        char msg[512];
        snprintf(msg, sizeof msg, "%s", e ? e->message : "");
        GNV_ASSERT_OK(gnv_db_open(&db, a->root, NULL));
        GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
        GNV_ASSERT_OK(gnv_table_backfill(t, "len", &a->o, NULL));
        check_len(t, 12, 0, 12);
        gnv_table_close(t);
        gnv_db_close(db);
        gnv__error_set(code, GNV_SUB_JOB, "%s", msg);
    }
    return rc;
}

static void test_backfill_allocation_failures(void **state)
{
    (void)state;
    setenv("GENEVA_JOB_TRACKING", "0", 1); /* geneva_jobs records: test_jobs.c */
    char *root = gnv_test_tmpdir();
    char tmpl[1024], work[1024];
    snprintf(tmpl, sizeof tmpl, "%s/tmpl", root);
    snprintf(work, sizeof work, "%s/work", root);
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, tmpl, NULL));
    gnv_table *t = make_table(db, "t", 12, 6);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    gnv_table_close(t);
    gnv_db_close(db);
    fs_arg a = {tmpl, work, GNV_BACKFILL_OPTIONS_INIT};
    a.o.executor = GNV_EXECUTOR_INLINE; /* every allocation in this process */
    a.o.checkpoint_size = 4;
    a.o.commit_granularity = 1;
    int runs = gnv_test_faultsim(fs_body, &a);
    print_message("%d runs\n", runs);
    assert_true(runs > 10);
    gnv_test_rmdir(root);
}

/* ---- I/O faults ----------------------------------------------------------------- */

/* A backfill through a backend that fails (or loses power at) its nth write, commit or
 * remove, for every n until the backfill no longer reaches the fault: each time the
 * table still opens, and a re-run without faults completes it with the right values
 * and no checkpoint left behind. */
static void test_backfill_io_faults(void **state)
{
    (void)state;
    setenv("GENEVA_JOB_TRACKING", "0", 1); /* geneva_jobs records: test_jobs.c */
    char *root = gnv_test_tmpdir();
    char tmpl[1024], work[1024], cmd[3200];
    snprintf(tmpl, sizeof tmpl, "%s/tmpl", root);
    snprintf(work, sizeof work, "%s/work", root);
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, tmpl, NULL));
    gnv_table *t = make_table(db, "t", 24, 12);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    gnv_table_close(t);
    gnv_db_close(db);
    static const int faults[] = {GNV_IO_FAULT_EIO, GNV_IO_FAULT_SHORT, GNV_IO_FAULT_CRASH};
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* every operation through this process's backend */
    o.checkpoint_size = 5;
    o.commit_granularity = 1;
    for (size_t f = 0; f < GNV_ARRAY_SIZE(faults); f++) {
        for (uint64_t nth = 1;; nth++) {
            snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", work, tmpl, work);
            assert_int_equal(system(cmd), 0);
            gnv_io *local, *io;
            GNV_ASSERT_OK(gnv_io_local_new(&local, work));
            GNV_ASSERT_OK(gnv_io_fault_new(&io, local, faults[f], nth));
            gnv_db_options dbo = GNV_DB_OPTIONS_INIT;
            dbo.io = io;
            GNV_ASSERT_OK(gnv_db_open(&db, work, &dbo));
            GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
            int rc = gnv_table_backfill(t, "len", &o, NULL);
            uint64_t ops = gnv_io_fault_ops(io);
            if (rc != GNV_OK)
                assert_non_null(gnv_error_last());
            gnv_table_close(t);
            gnv_db_close(db);
            gnv_io_free(io);

            GNV_ASSERT_OK(gnv_db_open(&db, work, NULL));
            GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
            GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, NULL));
            check_len(t, 24, 0, 24);
            if (count_ckpts(work, "t") != 0)
                fail_msg("fault %d at operation %llu: checkpoints left", faults[f],
                         (unsigned long long)nth);
            gnv_table_close(t);
            gnv_db_close(db);
            if (ops < nth)
                break; /* the fault was never reached: every point was tried */
            assert_true(nth < 1000);
        }
    }
    gnv_test_rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_udf_column_errors),
        cmocka_unit_test(test_add_udf_column_definition),
        cmocka_unit_test(test_backfill_text_len),
        cmocka_unit_test(test_backfill_where),
        cmocka_unit_test(test_plan_backfill),
        cmocka_unit_test(test_backfill_resume_after_failure),
        cmocka_unit_test(test_backfill_killed_and_rerun),
        cmocka_unit_test(test_backfill_concurrent_append_delete),
        cmocka_unit_test(test_backfill_concurrent_other_column),
        cmocka_unit_test(test_backfill_rewritten_fragments_skipped),
        cmocka_unit_test(test_backfill_process_executor),
        cmocka_unit_test(test_backfill_allocation_failures),
        cmocka_unit_test(test_backfill_io_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
