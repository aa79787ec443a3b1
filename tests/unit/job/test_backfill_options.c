/*
 * Backfill options of version 3 and swapping a virtual column's UDF: a per-call `udf`
 * override (validated, its checkpoints never mixed with the stored function's),
 * gnv_table_alter_udf_column() (a metadata-only version, old values kept until the
 * next backfill), older option versions still accepted, adaptive batch sizing between
 * min and max_checkpoint_size, batch_checkpoint_flush_interval_seconds,
 * intra_applier_concurrency threads, and process workers running several tasks.
 */
#include "gnv_test_job.h"

#include <inttypes.h>

#include "job/job.h"
#include "table/table.h"

/* Rows id = 0..n-1 (int64) and name (utf8, id % 5 'x's), in fragments of per_file. */
static gnv_table *make_table(gnv_db *db, const char *tname, int n, int per_file)
{
    return gnv_test_job_table(db, tname, n, per_file, 5, 0);
}

static const char *def_function(gnv_table *t, const char *col, char *buf, size_t cap)
{
    gnv__udf_coldef d;
    GNV_ASSERT_OK(gnv__udf_coldef_of(&d, NULL, t, col));
    snprintf(buf, cap, "%s", d.function);
    gnv__udf_coldef_reset(&d);
    return buf;
}

static void assert_error_contains(const char *what)
{
    const gnv_error *e = gnv_error_last();
    assert_non_null(e);
    if (!strstr(e->message, what))
        fail_msg("error '%s' lacks '%s'", e->message, what);
}

/* ---- udf override ------------------------------------------------------------ */

static void test_backfill_udf_override(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 10, 100); /* one fragment */
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *fail7 = NULL, *ident = NULL, *text_len = NULL, *embed = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&fail7, lib, "fail_on_7"));
    GNV_ASSERT_OK(gnv_udf_library_find(&ident, lib, "crash_on_13")); /* id, for ids < 13 */
    GNV_ASSERT_OK(gnv_udf_library_find(&text_len, lib, "text_len"));
    GNV_ASSERT_OK(gnv_udf_library_find(&embed, lib, "hash_embed"));
    const char *in_id[1] = {"id"}, *in_name[1] = {"name"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "c", fail7, in_id, 1));
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "len", text_len, in_name, 1));

    /* the stored function fails on id 7: batches [0,2) [2,4) [4,6) are checkpointed */
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* one batch after the other, up to the failure */
    o.checkpoint_size = 2;
    o.commit_granularity = -1;
    gnv_backfill_stats st;
    assert_int_equal(gnv_table_backfill(t, "c", &o, &st), GNV_EUDF);
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "c", &o, &st));
    assert_int_equal(st.batches_reused, 3);

    /* another function's run never reuses them */
    o.udf = ident;
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "c", &o, &st));
    assert_int_equal(st.batches, 5);
    assert_int_equal(st.batches_reused, 0);
    GNV_ASSERT_OK(gnv_table_backfill(t, "c", &o, &st));
    assert_int_equal(st.batches_computed, 5);
    int64_t v[10];
    gnv_test_read_int_col(t, "c", v, NULL, 10, -2);
    for (int i = 0; i < 10; i++)
        assert_int_equal(v[i], i); /* the override's values, not 2 * id */
    /* the column keeps its stored function */
    char buf[64];
    assert_string_equal(def_function(t, "c", buf, sizeof buf), "fail_on_7");

    /* validated like gnv_table_add_udf_column(): inputs, then the output type */
    uint64_t ver = gnv_table_version(t);
    o.where = "1=1";
    o.udf = text_len; /* returns int32, the column is int64 */
    assert_int_equal(gnv_table_backfill(t, "c", &o, &st), GNV_EINVAL);
    assert_error_contains("column 'c' is int64 but the output of function 'text_len' is int32");
    assert_error_contains("udf");
    o.udf = embed; /* returns a fixed-size list, the column is int32 */
    assert_int_equal(gnv_table_backfill(t, "len", &o, &st), GNV_EINVAL);
    assert_error_contains("column 'len' is int32 but the output of function 'hash_embed'");
    assert_int_equal(gnv_table_plan_backfill(t, "len", &o, &st), GNV_EINVAL);
    assert_int_equal(gnv_table_version(t), ver);

    /* a version 2 struct ends before udf: what follows is ignored */
    gnv_backfill_options o2 = GNV_BACKFILL_OPTIONS_INIT;
    o2.version = 2;
    o2.where = "1=1";
    o2.udf = (const gnv_udf_function *)(uintptr_t)1; /* never read */
    o2.intra_applier_concurrency = 4;
    o2.batch_checkpoint_flush_interval_seconds = 3;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o2, &st));
    assert_int_equal(st.rows, 10);
    o2.version = 4;
    assert_int_equal(gnv_table_backfill(t, "len", &o2, &st), GNV_EVERSION);

    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* The library of an override is kept in the table's _geneva/udfs/. */
static void test_backfill_udf_override_stores_library(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 6, 100);
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *fail7 = NULL, *ident = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&fail7, lib, "fail_on_7"));
    GNV_ASSERT_OK(gnv_udf_library_find(&ident, lib, "crash_on_13"));
    const char *in_id[1] = {"id"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "c", fail7, in_id, 1));
    char so[1200];
    snprintf(so, sizeof so, "%s/t.lance/_geneva/udfs/%s.so", root, gnv_udf_library_sha256(lib));
    assert_int_equal(remove(so), 0);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.udf = ident;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "c", &o, &st));
    FILE *f = fopen(so, "rb");
    assert_non_null(f);
    fclose(f);
    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- alter_udf_column --------------------------------------------------------- */

static void test_alter_udf_column(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 7, 4); /* ids 0..6: fail_on_7 never fails */
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *fail7 = NULL, *ident = NULL, *text_len = NULL, *embed = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&fail7, lib, "fail_on_7"));
    GNV_ASSERT_OK(gnv_udf_library_find(&ident, lib, "crash_on_13"));
    GNV_ASSERT_OK(gnv_udf_library_find(&text_len, lib, "text_len"));
    GNV_ASSERT_OK(gnv_udf_library_find(&embed, lib, "hash_embed"));
    const char *in_id[1] = {"id"}, *in_name[1] = {"name"}, *in_bad[1] = {"nope"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "c", ident, in_id, 1));
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "len", text_len, in_name, 1));
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "c", NULL, &st));
    int64_t v[7];
    gnv_test_read_int_col(t, "c", v, NULL, 7, -2);
    for (int i = 0; i < 7; i++)
        assert_int_equal(v[i], i);

    /* errors change nothing */
    uint64_t ver = gnv_table_version(t);
    assert_int_equal(gnv_table_alter_udf_column(t, "id", fail7, NULL, 0), GNV_EINVAL);
    assert_error_contains("not a virtual column");
    assert_int_equal(gnv_table_alter_udf_column(t, "nope", fail7, NULL, 0), GNV_ENOTFOUND);
    assert_int_equal(gnv_table_alter_udf_column(t, "c", text_len, in_name, 1), GNV_EINVAL);
    assert_error_contains("column 'c' is int64 but the output of function 'text_len' is int32");
    assert_int_equal(gnv_table_alter_udf_column(t, "len", embed, NULL, 0), GNV_EINVAL);
    assert_int_equal(gnv_table_alter_udf_column(t, "c", fail7, in_bad, 1), GNV_ENOTFOUND);
    assert_error_contains("no column 'nope'");
    assert_int_equal(gnv_table_alter_udf_column(t, "c", fail7, in_name, 1), GNV_EINVAL);
    assert_error_contains("column 'name' is utf8 but parameter 'id'");
    assert_int_equal(gnv_table_version(t), ver);

    /* the swap: one schema-only version; old values stay */
    GNV_ASSERT_OK(gnv_table_alter_udf_column(t, "c", fail7, NULL, 0));
    assert_int_equal(gnv_table_version(t), ver + 1);
    gnv_version_info *vi;
    size_t nv;
    GNV_ASSERT_OK(gnv_table_versions(t, &vi, &nv));
    assert_string_equal(vi[nv - 1].operation, "project");
    gnv_table_versions_free(vi, nv);
    char buf[64];
    assert_string_equal(def_function(t, "c", buf, sizeof buf), "fail_on_7");
    gnv__udf_coldef d;
    GNV_ASSERT_OK(gnv__udf_coldef_of(&d, NULL, t, "c"));
    assert_int_equal(d.n_inputs, 1);
    assert_string_equal(d.inputs[0], "id");
    gnv__udf_coldef_reset(&d);
    gnv_test_read_int_col(t, "c", v, NULL, 7, -2);
    for (int i = 0; i < 7; i++)
        assert_int_equal(v[i], i);

    /* a fresh handle reads the new definition; the next backfill uses it */
    gnv_table *t2;
    GNV_ASSERT_OK(gnv_db_open_table(&t2, db, "t"));
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = "1=1";
    GNV_ASSERT_OK(gnv_table_backfill(t2, "c", &o, &st));
    gnv_test_read_int_col(t2, "c", v, NULL, 7, -2);
    for (int i = 0; i < 7; i++)
        assert_int_equal(v[i], 2 * i);
    gnv_table_close(t2);

    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* Every allocation of gnv_table_alter_udf_column() failing in turn: GNV_ENOMEM, and the
 * column still has a valid definition (of one of the two functions). */
typedef struct alter_arg {
    gnv_table *t;
    const gnv_udf_function *fn;
} alter_arg;

static int alter_body(void *arg)
{
    alter_arg *a = arg;
    int rc = gnv_table_alter_udf_column(a->t, "c", a->fn, NULL, 0);
    gnv__alloc_fail_at(0, false);
    char buf[64];
    const char *f = def_function(a->t, "c", buf, sizeof buf);
    assert_true(!strcmp(f, "fail_on_7") || !strcmp(f, "crash_on_13"));
    return rc;
}

static void test_alter_udf_column_allocation_failures(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 4, 100);
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *fail7 = NULL, *ident = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&fail7, lib, "fail_on_7"));
    GNV_ASSERT_OK(gnv_udf_library_find(&ident, lib, "crash_on_13"));
    const char *in_id[1] = {"id"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "c", fail7, in_id, 1));
    alter_arg a = {t, ident};
    int runs = gnv_test_faultsim(alter_body, &a);
    assert_true(runs > 10);
    char buf[64];
    assert_string_equal(def_function(t, "c", buf, sizeof buf), "crash_on_13");
    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- option checks and threads per worker -------------------------------------- */

static void test_backfill_options_checked(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 5, 100);
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *ident = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&ident, lib, "crash_on_13"));
    const char *in_id[1] = {"id"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "c", ident, in_id, 1));
    gnv_backfill_stats st;
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.intra_applier_concurrency = 65;
    assert_int_equal(gnv_table_backfill(t, "c", &o, &st), GNV_EINVAL);
    assert_error_contains("intra_applier_concurrency 65 is above 64");
    o.intra_applier_concurrency = -1;
    assert_int_equal(gnv_table_backfill(t, "c", &o, &st), GNV_EINVAL);
    o.intra_applier_concurrency = 1;
    o.batch_checkpoint_flush_interval_seconds = -1;
    assert_int_equal(gnv_table_backfill(t, "c", &o, &st), GNV_EINVAL);
    assert_error_contains("batch_checkpoint_flush_interval_seconds");
    o.batch_checkpoint_flush_interval_seconds = 0;
    GNV_ASSERT_OK(gnv_table_backfill(t, "c", &o, &st));
    assert_int_equal(st.rows_computed, 5);
    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* Threads per worker: the values, the calls and the failed rows are those of one
 * thread, under the inline and the process executors. */
static void test_intra_applier_threads(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 400, 150); /* 3 fragments */
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "fail_on_7", "f", "id", NULL);
    gnv_backfill_stats st;
    int64_t v[400];
    for (int ex = 0; ex < 2; ex++) {
        gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
        o.where = "1=1";
        o.checkpoint_size = 10;
        o.intra_applier_concurrency = 4;
        o.executor = ex ? GNV_EXECUTOR_PROCESS : GNV_EXECUTOR_INLINE;
        o.concurrency = 2;
        int64_t calls = gnv__backfill_udf_calls;
        GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
        assert_int_equal(st.rows_computed, 400);
        if (!ex) /* (workers count in their own memory) */
            assert_int_equal(gnv__backfill_udf_calls - calls, 40);
        assert_int_equal(gnv_test_read_int_col(t, "d", v, NULL, 400, -2), 400);
        for (int i = 0; i < 400; i++)
            assert_int_equal(v[i], 2 * i);

        /* skip: the rows ending in 7 left NULL and recorded, once each */
        gnv_on_error skip = GNV_ON_ERROR_INIT;
        skip.action = GNV_ON_ERROR_SKIP;
        o.on_error = &skip;
        GNV_ASSERT_OK(gnv_table_backfill(t, "f", &o, &st));
        assert_int_equal(st.rows_skipped, 40);
        assert_int_equal(st.errors, 40);
        assert_int_equal(st.state, GNV_BACKFILL_DONE_WITH_ERRORS);
        assert_int_equal(gnv_test_read_int_col(t, "f", v, NULL, 400, -2), 400);
        for (int i = 0; i < 400; i++)
            assert_int_equal(v[i], i % 10 == 7 ? -1 : 2 * i);

        /* fail: the first failing row is named, and the batches before it are kept */
        o.on_error = NULL;
        assert_int_equal(gnv_table_backfill(t, "f", &o, &st), GNV_EUDF);
        assert_error_contains("fail_on_7");
    }
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- adaptive checkpoint sizing ------------------------------------------------ */

static void check_len(gnv_table *t, int n)
{
    int64_t v[64];
    gnv_test_read_int_col(t, "len", v, NULL, n, -2);
    for (int i = 0; i < n; i++)
        assert_int_equal(v[i], i % 5);
}

static void test_backfill_adaptive_size(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 40, 100); /* one fragment */
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *text_len = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&text_len, lib, "text_len"));
    const char *in_name[1] = {"name"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "len", text_len, in_name, 1));
    gnv_backfill_stats st;
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* the calls counted in this process */
    o.where = "1=1";
    o.task_size = 1000;

    /* fixed: one call per batch of 2 */
    o.checkpoint_size = 2;
    int64_t calls = gnv__backfill_udf_calls;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.batches, 20);
    assert_int_equal(gnv__backfill_udf_calls - calls, 20);
    check_len(t, 40);

    /* adaptive, quick calls: 2 rows, then 16 (max: a far quicker call than the target
     * grows the next up to 64 times), 16, and the 6 left */
    o.min_checkpoint_size = 2;
    o.max_checkpoint_size = 16;
    calls = gnv__backfill_udf_calls;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.batches, 20); /* batches stay of min rows */
    assert_int_equal(st.batches_computed, 20);
    assert_int_equal(st.rows_computed, 40);
    assert_int_equal(gnv__backfill_udf_calls - calls, 4);
    check_len(t, 40);

    /* adaptive, every call slower than the target: from checkpoint_size (16) down to
     * min: 16, 8, 4, then 2 rows a call */
    setenv("GENEVA_BACKFILL_TARGET_SECONDS", "0.000000001", 1);
    o.checkpoint_size = 16;
    calls = gnv__backfill_udf_calls;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    unsetenv("GENEVA_BACKFILL_TARGET_SECONDS");
    assert_int_equal(gnv__backfill_udf_calls - calls, 3 + 6);
    check_len(t, 40);

    /* max alone caps the batch: no adaptation */
    o.min_checkpoint_size = 0;
    o.max_checkpoint_size = 8;
    o.checkpoint_size = 100;
    calls = gnv__backfill_udf_calls;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(st.batches, 5);
    assert_int_equal(gnv__backfill_udf_calls - calls, 5);
    check_len(t, 40);

    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* Under the process executor a worker starts at the checkpoint size the workers before
 * it reached, not at the minimum again. */
static void test_adaptive_size_carried_to_workers(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/t.lance/_geneva/checkpoints", root);
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = gnv_test_job_table(db, "t", 400, 1000, 0, 0); /* one fragment */
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    gnv_backfill_stats st;
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 1;
    o.task_size = 100;
    o.min_checkpoint_size = 10;
    o.max_checkpoint_size = 100;
    /* the last row fails: nothing is committed and the checkpoints stay to be counted;
     * task 1 makes [0, 10) and [10, 100), tasks 2 and 3 one checkpoint each, task 4
     * fails in its first (and only) call */
    setenv("GNV_FLAKY_FAIL_ID", "399", 1);
    assert_int_equal(gnv_table_backfill(t, "d", &o, &st), GNV_EUDF);
    unsetenv("GNV_FLAKY_FAIL_ID");
    assert_int_equal(gnv_test_count_files(dir), 4);
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st)); /* and it resumes */
    assert_int_equal(st.batches_reused, 30);
    int64_t v[400];
    assert_int_equal(gnv_test_read_int_col(t, "d", v, NULL, 400, -2), 400);
    for (int i = 0; i < 400; i++)
        assert_int_equal(v[i], 2 * i);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* A process worker runs task after task: a stateful function is set up once per worker
 * (not once per task) and torn down as the worker ends. */
static void test_workers_run_several_tasks(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    char log[1100];
    snprintf(log, sizeof log, "%s/setups.log", root);
    setenv("GENEVA_DEMO_SETUP_LOG", log, 1);
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = gnv_test_job_table(db, "t", 800, 200, 5, 0); /* 4 fragments */
    gnv_test_add_udf(t, GNV_TEST_DEMO, "label_index", "li", "name", NULL);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    gnv_backfill_stats st;
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 1;
    o.task_size = 100; /* 8 tasks */
    GNV_ASSERT_OK(gnv_table_backfill(t, "li", &o, &st));
    assert_int_equal(st.tasks, 8);
    assert_int_equal(st.rows_computed, 800);
    assert_int_equal(gnv_test_count_lines(log, "setup"), 1);
    assert_int_equal(gnv_test_count_lines(log, "teardown"), 1);

    /* two workers share the tasks: at most one setup each, each torn down */
    o.concurrency = 2;
    o.where = "1=1";
    GNV_ASSERT_OK(gnv_table_backfill(t, "li", &o, &st));
    int setups = gnv_test_count_lines(log, "setup") - 1;
    assert_true(setups >= 1 && setups <= 2);
    assert_int_equal(gnv_test_count_lines(log, "teardown") - 1, setups);
    unsetenv("GENEVA_DEMO_SETUP_LOG");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- batch_checkpoint_flush_interval_seconds ----------------------------------- */

typedef struct flush_probe {
    char dir[1100];
    int files[64];
    int n;
    int64_t seen; /* batches_computed at the last call */
} flush_probe;

/* After each batch: the checkpoints written so far. */
static void probe_progress(const gnv_backfill_stats *st, void *payload)
{
    flush_probe *p = payload;
    if (st->batches_computed == p->seen || p->n >= 64)
        return; /* not after a batch (a commit) */
    p->seen = st->batches_computed;
    p->files[p->n++] = gnv_test_count_files(p->dir);
}

static void test_backfill_flush_interval(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 10, 100); /* one fragment */
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *text_len = NULL, *fail7 = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&text_len, lib, "text_len"));
    GNV_ASSERT_OK(gnv_udf_library_find(&fail7, lib, "fail_on_7"));
    const char *in_name[1] = {"name"}, *in_id[1] = {"id"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "len", text_len, in_name, 1));
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "c", fail7, in_id, 1));
    flush_probe p;
    memset(&p, 0, sizeof p);
    snprintf(p.dir, sizeof p.dir, "%s/t.lance/_geneva/checkpoints", root);
    gnv_backfill_stats st;
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* a progress call after each batch */
    o.where = "1=1";
    o.task_size = 1000;
    o.checkpoint_size = 2;
    o.commit_granularity = -1;
    o.progress = probe_progress;
    o.progress_payload = &p;

    /* 0: a checkpoint after every batch */
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(p.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(p.files[i], i + 1);

    /* a long interval: kept in memory, written at the end of the task */
    p.n = 0, p.seen = 0;
    o.batch_checkpoint_flush_interval_seconds = 3600;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(p.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(p.files[i], 0);
    check_len(t, 10);

    /* ... at most max_checkpoint_size rows of them, written as one file; calls of 2
     * rows, then (adaptive between 2 and 4) of 4 */
    p.n = 0, p.seen = 0;
    o.max_checkpoint_size = 4;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    assert_int_equal(p.n, 4);
    int want[4] = {0, 1, 2, 2};
    for (int i = 0; i < 4; i++)
        assert_int_equal(p.files[i], want[i]);
    check_len(t, 10);

    /* a failure writes what was computed before it: a re-run resumes from there */
    o.max_checkpoint_size = 0;
    o.progress = NULL;
    assert_int_equal(gnv_table_backfill(t, "c", &o, &st), GNV_EUDF);
    assert_int_equal(gnv_test_count_files(p.dir), 1); /* its 3 batches in one file */
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "c", &o, &st));
    assert_int_equal(st.batches_reused, 3);

    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* Every allocation of an adaptive backfill with a flush interval failing in turn:
 * GNV_ENOMEM, and a run without faults then leaves the right values. */
typedef struct bf_arg {
    const char *root;
    gnv_backfill_options o;
} bf_arg;

static int bf_body(void *arg)
{
    bf_arg *a = arg;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    int rc = gnv_db_open(&db, a->root, NULL);
    if (rc == GNV_OK)
        rc = gnv_db_open_table(&t, db, "t");
    if (rc == GNV_OK)
        rc = gnv_table_backfill(t, "len", &a->o, NULL);
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

/* Every allocation of the backfill failed in turn, then one run to the end: the column
 * is complete. */
static void faultsim_completes(bf_arg *a)
{
    gnv_db *db;
    gnv_table *t;
    assert_true(gnv_test_faultsim(bf_body, a) > 10);
    GNV_ASSERT_OK(gnv_db_open(&db, a->root, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    check_len(t, 12);
    gnv_table_close(t);
    gnv_db_close(db);
}

static void test_backfill_adaptive_allocation_failures(void **state)
{
    (void)state;
    setenv("GENEVA_JOB_TRACKING", "0", 1);
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 12, 6);
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *text_len = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&text_len, lib, "text_len"));
    const char *in_name[1] = {"name"};
    GNV_ASSERT_OK(gnv_table_add_udf_column(t, "len", text_len, in_name, 1));
    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    bf_arg a = {root, GNV_BACKFILL_OPTIONS_INIT};
    a.o.executor = GNV_EXECUTOR_INLINE; /* every allocation in this process */
    a.o.where = "1=1";
    a.o.min_checkpoint_size = 1;
    a.o.max_checkpoint_size = 4;
    a.o.checkpoint_size = 2;
    a.o.batch_checkpoint_flush_interval_seconds = 3600;
    faultsim_completes(&a);

    /* without the interval, checkpoints are written on a thread of their own while the
     * next calls compute: a failure there is the job's, and a re-run completes it */
    a.o.batch_checkpoint_flush_interval_seconds = 0;
    faultsim_completes(&a);
    unsetenv("GENEVA_JOB_TRACKING");
    gnv_test_rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backfill_udf_override),
        cmocka_unit_test(test_backfill_udf_override_stores_library),
        cmocka_unit_test(test_alter_udf_column),
        cmocka_unit_test(test_alter_udf_column_allocation_failures),
        cmocka_unit_test(test_backfill_options_checked),
        cmocka_unit_test(test_intra_applier_threads),
        cmocka_unit_test(test_backfill_adaptive_size),
        cmocka_unit_test(test_adaptive_size_carried_to_workers),
        cmocka_unit_test(test_workers_run_several_tasks),
        cmocka_unit_test(test_backfill_flush_interval),
        cmocka_unit_test(test_backfill_adaptive_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
