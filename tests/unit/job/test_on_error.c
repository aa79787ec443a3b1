/*
 * Backfill error policies and the geneva_errors system table: fail (the first error
 * stops the job, its row recorded once), retry (attempts recorded once each, a flaky
 * function that recovers records nothing), skip (failing rows NULL and recorded, the job
 * DONE_WITH_ERRORS, a budget that fails it), the column's own policy and its override,
 * re-running only the failed rows, and a crashing function under the process executor.
 */
#include "gnv_test_job.h"

#include <inttypes.h>
#include <jansson.h>
#include <signal.h>

#include "job/job.h"
#include "table/table.h"

#define ADDR(frag, off) (((uint64_t)(frag) << 32) | (uint64_t)(off))

/* Rows id = 0..n-1 in fragments of per_file rows. */
static gnv_table *make_table(gnv_db *db, const char *tname, int n, int per_file)
{
    return gnv_test_job_table(db, tname, n, per_file, 0, 0);
}

/* vals[id] = the column's value, -1 when NULL. */
static void read_col(gnv_table *t, const char *col, int64_t *vals, int64_t n)
{
    GNV_ASSERT_OK(gnv_table_checkout_latest(t));
    gnv_test_read_int_col(t, col, vals, NULL, n, -2);
}

/* The error rows of a job: addrs, attempts, codes, types (first 64). */
typedef struct err_rows {
    int64_t n;
    uint64_t addr[64];
    int32_t attempt[64], code[64];
    char type[64][24], job[40], table[32], column[32], udf[32], msg[256];
} err_rows;

static void get_errors(gnv_table *t, const char *job, const char *column, err_rows *r)
{
    gnv_errors_filter f = {job, column, NULL};
    struct ArrowArrayStream s;
    struct ArrowSchema sc;
    memset(r, 0, sizeof *r);
    GNV_ASSERT_OK(gnv_table_get_errors(t, &f, &s));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, &sc));
    assert_int_equal(sc.n_children, 11);
    assert_string_equal(sc.children[10]->format, "tsu:UTC");
    for (;;) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER)
            break;
        GNV_ASSERT_OK(rc);
        gnv_array_view v;
        GNV_ASSERT_OK(gnv__array_view_init(&v, &sc, &a));
        for (int64_t i = 0; i < a.length && r->n < 64; i++, r->n++) {
            gnv_buf b = GNV_BUF_INIT;
            r->addr[r->n] = gnv__view_get_uint(&v.children[5], i);
            r->code[r->n] = (int32_t)gnv__view_get_int(&v.children[6], i);
            r->attempt[r->n] = (int32_t)gnv__view_get_int(&v.children[9], i);
            GNV_ASSERT_OK(gnv__print_text_value(&b, &v.children[7], i));
            snprintf(r->type[r->n], sizeof r->type[0], "%s", b.ptr);
            gnv__buf_clear(&b);
            GNV_ASSERT_OK(gnv__print_text_value(&b, &v.children[0], i));
            snprintf(r->job, sizeof r->job, "%s", b.ptr);
            gnv__buf_clear(&b);
            GNV_ASSERT_OK(gnv__print_text_value(&b, &v.children[1], i));
            snprintf(r->table, sizeof r->table, "%s", b.ptr);
            gnv__buf_clear(&b);
            GNV_ASSERT_OK(gnv__print_text_value(&b, &v.children[2], i));
            snprintf(r->column, sizeof r->column, "%s", b.ptr);
            gnv__buf_clear(&b);
            GNV_ASSERT_OK(gnv__print_text_value(&b, &v.children[3], i));
            snprintf(r->udf, sizeof r->udf, "%s", b.ptr);
            gnv__buf_clear(&b);
            GNV_ASSERT_OK(gnv__print_text_value(&b, &v.children[8], i));
            snprintf(r->msg, sizeof r->msg, "%s", b.ptr);
            gnv_buf_dispose(&b);
            assert_true(gnv__view_get_int(&v.children[10], i) > 1600000000000000LL);
        }
        gnv__array_view_reset(&v);
        gnv__array_release(&a);
    }
    gnv__schema_release(&sc);
    gnv__stream_release(&s);
}

/* Whether (addr, attempt) is among the rows exactly once. */
static bool once(const err_rows *r, uint64_t addr, int32_t attempt)
{
    int k = 0;
    for (int64_t i = 0; i < r->n; i++)
        k += r->addr[i] == addr && r->attempt[i] == attempt;
    return k == 1;
}

typedef struct fx {
    char *root;
    gnv_db *db;
    gnv_table *t;
} fx;

static void fx_open(fx *f, const char *lib, const char *fn, const gnv_on_error *pol)
{
    f->root = gnv_test_tmpdir();
    GNV_ASSERT_OK(gnv_db_open(&f->db, f->root, NULL));
    f->t = make_table(f->db, "t", 30, 10);
    gnv_test_add_udf(f->t, lib, fn, "d", "id", pol);
}

static void fx_close(fx *f)
{
    gnv_table_close(f->t);
    gnv_db_close(f->db);
    gnv_test_rmdir(f->root);
}

static gnv_backfill_options opts(const gnv_on_error *pol)
{
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.checkpoint_size = 5;
    o.commit_granularity = 1;
    o.on_error = pol;
    return o;
}

/* ---- fail -------------------------------------------------------------------------- */

static void test_fail_default(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, GNV_TEST_DEMO, "fail_on_7", NULL);
    gnv_backfill_options o = opts(NULL);
    o.executor = GNV_EXECUTOR_INLINE; /* one task after the other: row 7 fails first */
    gnv_backfill_stats st;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "row 7 (fragment 0, offset 7)");
    assert_non_null(strstr(gnv_error_last()->message, "id 7 ends in 7"));
    assert_int_equal(st.state, GNV_BACKFILL_FAILED);
    assert_int_equal(strlen(st.job_id), 36);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.fragments_committed, 0);
    int64_t v[30];
    read_col(f.t, "d", v, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(v[i], -1); /* nothing of the failed task committed */
    err_rows r;
    get_errors(f.t, st.job_id, NULL, &r);
    assert_int_equal(r.n, 1);
    assert_true(once(&r, ADDR(0, 7), 1));
    assert_string_equal(r.type[0], "udf_error");
    assert_int_equal(r.code[0], 1); /* the function's return value */
    assert_string_equal(r.job, st.job_id);
    assert_string_equal(r.table, "t");
    assert_string_equal(r.column, "d");
    assert_string_equal(r.udf, "fail_on_7");
    assert_non_null(strstr(r.msg, "ends in 7"));
    uint64_t *addrs = NULL;
    size_t n = 0;
    GNV_ASSERT_OK(gnv_table_get_failed_row_addresses(f.t, st.job_id, "d", &addrs, &n));
    assert_int_equal(n, 1);
    assert_int_equal(addrs[0], ADDR(0, 7));
    gnv_free(addrs);
    /* the batch before the failure was checkpointed: a second run reuses it */
    char first_job[40];
    memcpy(first_job, st.job_id, sizeof first_job);
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "row 7");
    assert_int_equal(st.batches_reused, 1);
    assert_string_not_equal(st.job_id, first_job);
    /* filters: by job, by column, by type */
    get_errors(f.t, NULL, NULL, &r);
    assert_int_equal(r.n, 2);
    get_errors(f.t, first_job, "other", &r);
    assert_int_equal(r.n, 0);
    gnv_errors_filter ft = {NULL, NULL, "crash"};
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_get_errors(f.t, &ft, &s));
    struct ArrowArray a;
    assert_int_equal(gnv__stream_next(&s, &a), GNV_ITEROVER);
    gnv__stream_release(&s);
    fx_close(&f);
}

/* ---- retry ------------------------------------------------------------------------- */

static void test_retry_exhausted(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, GNV_TEST_DEMO, "fail_on_7", NULL);
    gnv_on_error pol = GNV_ON_ERROR_INIT;
    pol.action = GNV_ON_ERROR_RETRY;
    pol.attempts = 3;
    pol.backoff_ms = 1;
    pol.max_backoff_ms = 2;
    gnv_backfill_options o = opts(&pol);
    o.executor = GNV_EXECUTOR_INLINE; /* the job stops at row 7, before the other tasks */
    gnv_backfill_stats st;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "row 7");
    assert_int_equal(st.state, GNV_BACKFILL_FAILED);
    assert_int_equal(st.retries, 2);
    err_rows r;
    get_errors(f.t, st.job_id, "d", &r);
    assert_int_equal(r.n, 3); /* row 7, once per attempt */
    for (int a = 1; a <= 3; a++)
        assert_true(once(&r, ADDR(0, 7), a));
    /* a match that does not fit: no retry */
    pol.match = "no such text";
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "row 7");
    assert_int_equal(st.retries, 0);
    get_errors(f.t, st.job_id, "d", &r);
    assert_int_equal(r.n, 1);
    /* transient only: fail_on_7's failures (code 1) are not transient */
    pol.match = "ends in";
    pol.transient_only = 1;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "row 7");
    assert_int_equal(st.retries, 0);
    /* a matching code is retried */
    pol.transient_only = 0;
    pol.match_code = 1;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "row 7");
    assert_int_equal(st.retries, 2);
    fx_close(&f);
}

static void test_retry_recovers(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, GNV_TEST_FLAKY, "flaky_first", NULL);
    gnv_on_error pol = GNV_ON_ERROR_INIT;
    pol.action = GNV_ON_ERROR_RETRY;
    pol.attempts = 3;
    pol.backoff_ms = -1;
    pol.transient_only = 1; /* its code, 75, is GNV_UDF_RC_TRANSIENT */
    gnv_backfill_options o = opts(&pol);
    /* inline: the function counts its failures in this process (a worker counts its own) */
    o.executor = GNV_EXECUTOR_INLINE;
    gnv_backfill_stats st;
    setenv("GNV_FLAKY_FIRST_FAILS", "2", 1);
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    assert_int_equal(st.state, GNV_BACKFILL_DONE);
    assert_int_equal(st.retries, 2);
    assert_int_equal(st.errors, 0);
    int64_t v[30];
    read_col(f.t, "d", v, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(v[i], 2 * i);
    err_rows r;
    get_errors(f.t, st.job_id, NULL, &r);
    assert_int_equal(r.n, 0); /* recovered: nothing recorded */
    /* fail (the default): the first failure stops the job, with the function's code */
    o.on_error = NULL;
    o.where = "1=1";
    setenv("GNV_FLAKY_FIRST_FAILS", "1", 1);
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "none failing alone");
    assert_non_null(strstr(gnv_error_last()->message, "transient failure 1"));
    /* the failing call was the batch's; alone, row 0 succeeded: every row recorded */
    get_errors(f.t, st.job_id, NULL, &r);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.code[0], 75);
    unsetenv("GNV_FLAKY_FIRST_FAILS");
    fx_close(&f);
}

/* ---- skip -------------------------------------------------------------------------- */

static void test_skip(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, GNV_TEST_DEMO, "fail_on_7", NULL);
    gnv_on_error pol = GNV_ON_ERROR_INIT;
    pol.action = GNV_ON_ERROR_SKIP;
    gnv_backfill_options o = opts(&pol);
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    assert_int_equal(st.state, GNV_BACKFILL_DONE_WITH_ERRORS);
    assert_int_equal(st.rows_skipped, 3);
    assert_int_equal(st.errors, 3);
    assert_int_equal(st.fragments_committed, 3);
    int64_t v[30];
    read_col(f.t, "d", v, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(v[i], i % 10 == 7 ? -1 : 2 * i);
    err_rows r;
    get_errors(f.t, st.job_id, "d", &r);
    assert_int_equal(r.n, 3);
    for (int k = 0; k < 3; k++)
        assert_true(once(&r, ADDR(k, 7), 1));
    uint64_t *addrs = NULL;
    size_t n = 0;
    GNV_ASSERT_OK(gnv_table_get_failed_row_addresses(f.t, st.job_id, NULL, &addrs, &n));
    assert_int_equal(n, 3);
    assert_int_equal(addrs[0], ADDR(0, 7));
    assert_int_equal(addrs[2], ADDR(2, 7));
    gnv_free(addrs);
    /* budget: at most 2 rows, or 5% of 30 */
    pol.max_skipped_rows = 2;
    o.where = "1=1";
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "skip budget");
    assert_int_equal(st.state, GNV_BACKFILL_FAILED);
    assert_int_equal(st.rows_skipped, 3);
    pol.max_skipped_rows = -1;
    pol.max_skipped_fraction = 0.05;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "skip budget");
    pol.max_skipped_fraction = 0.2;
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    assert_int_equal(st.state, GNV_BACKFILL_DONE_WITH_ERRORS);
    /* the failed runs' checkpoints holding skipped rows were not reused silently */
    assert_int_equal(st.rows_skipped, 3);
    /* bad policies */
    pol.max_skipped_fraction = 2;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EINVAL, "max_skipped_fraction");
    pol.max_skipped_fraction = 0;
    pol.action = 9;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EINVAL, "unknown on_error action");
    fx_close(&f);
}

/* Skipped rows of a function that fails once, computed again by address. */
static void test_rerun_failed_rows(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, GNV_TEST_FLAKY, "flaky_double", NULL);
    gnv_on_error pol = GNV_ON_ERROR_INIT;
    pol.action = GNV_ON_ERROR_SKIP;
    gnv_backfill_options o = opts(&pol);
    gnv_backfill_stats st;
    setenv("GNV_FLAKY_FAIL_ID", "15", 1);
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    unsetenv("GNV_FLAKY_FAIL_ID");
    assert_int_equal(st.rows_skipped, 1);
    uint64_t *addrs = NULL;
    size_t n = 0;
    GNV_ASSERT_OK(gnv_table_get_failed_row_addresses(f.t, st.job_id, "d", &addrs, &n));
    assert_int_equal(n, 1);
    char where[128];
    snprintf(where, sizeof where, "_rowaddr IN (%" PRIu64 ")", addrs[0]);
    gnv_free(addrs);
    o.where = where;
    o.on_error = NULL;
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    assert_int_equal(st.rows, 1);
    assert_int_equal(st.state, GNV_BACKFILL_DONE);
    int64_t v[30];
    read_col(f.t, "d", v, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(v[i], 2 * i);
    fx_close(&f);
}

/* ---- the column's policy --------------------------------------------------------- */

static void test_column_policy(void **state)
{
    (void)state;
    fx f;
    gnv_on_error pol = GNV_ON_ERROR_INIT;
    pol.action = GNV_ON_ERROR_SKIP;
    pol.max_skipped_rows = 10;
    pol.match = "it's";
    fx_open(&f, GNV_TEST_DEMO, "fail_on_7", &pol);
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv_table_schema(f.t, &s));
    const char *json = NULL;
    int32_t len = 0;
    assert_true(gnv__metadata_get(s.children[1]->metadata, GNV_UDF_METADATA_KEY, &json, &len));
    char text[1024];
    snprintf(text, sizeof text, "%.*s", (int)len, json);
    assert_non_null(strstr(text, "\"on_error\":{\"action\":\"skip\""));
    assert_non_null(strstr(text, "\"max_skipped_rows\":10"));
    gnv__schema_release(&s);
    /* the column's policy by default, a backfill's own over it */
    gnv_backfill_options o = opts(NULL);
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    assert_int_equal(st.state, GNV_BACKFILL_DONE_WITH_ERRORS);
    gnv_on_error fail = GNV_ON_ERROR_INIT;
    fail.action = GNV_ON_ERROR_FAIL;
    o.on_error = &fail;
    o.where = "1=1";
    o.executor = GNV_EXECUTOR_INLINE; /* one task after the other: row 7 fails first */
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "row 7");
    o.executor = GNV_EXECUTOR_PROCESS;
    /* an options struct of version 1 (without on_error) is still accepted */
    gnv_backfill_options v1 = opts(NULL);
    v1.version = 1;
    v1.where = "1=1";
    v1.on_error = &fail; /* beyond a version 1 struct: not read */
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &v1, &st));
    assert_int_equal(st.rows_skipped, 3);
    /* a bad policy at definition writes nothing */
    gnv_on_error bad = GNV_ON_ERROR_INIT;
    bad.attempts = -1;
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *fn = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&fn, lib, "fail_on_7"));
    const char *in[1] = {"id"};
    uint64_t ver = gnv_table_version(f.t);
    GNV_ASSERT_ERR(gnv_table_add_udf_column_v2(f.t, "e", fn, in, 1, &bad), GNV_EINVAL, "attempts");
    assert_int_equal(gnv_table_version(f.t), ver);
    gnv_udf_library_close(lib);
    /* a job id of the caller's */
    o.on_error = NULL;
    o.job_id = "my-job_1";
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    assert_string_equal(st.job_id, "my-job_1");
    err_rows r;
    get_errors(f.t, "my-job_1", NULL, &r);
    assert_int_equal(r.n, 3);
    o.job_id = "bad id";
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EINVAL, "job_id");
    fx_close(&f);
}

/* ---- the process executor ---------------------------------------------------------- */

/* fail under the process executor: the first failing task stops the job; tasks not
 * started yet stay undone (every fragment here has a failing row, so without the stop
 * all three would fail and be recorded) */
static void test_process_fail_stops(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, GNV_TEST_DEMO, "fail_on_7", NULL);
    gnv_backfill_options o = opts(NULL);
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 1;
    o.task_size = 10;
    gnv_backfill_stats st;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF,
                   "the job stopped at this first error (on_error fail) with 3 of 3 tasks "
                   "unfinished");
    assert_non_null(strstr(gnv_error_last()->message, "row 7"));
    err_rows r;
    get_errors(f.t, st.job_id, NULL, &r);
    assert_int_equal(r.n, 1);
    assert_true(once(&r, ADDR(0, 7), 1));
    int64_t v[30];
    read_col(f.t, "d", v, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(v[i], -1);
    fx_close(&f);
}

static void test_process_crash(void **state)
{
    (void)state;
    fx f;
    f.root = gnv_test_tmpdir();
    GNV_ASSERT_OK(gnv_db_open(&f.db, f.root, NULL));
    f.t = make_table(f.db, "t", 40, 20);
    gnv_test_add_udf(f.t, GNV_TEST_DEMO, "crash_on_13", "d", "id", NULL);
    gnv_on_error pol = GNV_ON_ERROR_INIT;
    pol.action = GNV_ON_ERROR_SKIP;
    gnv_backfill_options o = opts(&pol);
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 2;
    o.task_size = 10;
    gnv_backfill_stats st;
    /* skip: row 13 crashes a worker alone, it is NULL and recorded; the rest computed */
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    assert_int_equal(st.state, GNV_BACKFILL_DONE_WITH_ERRORS);
    assert_int_equal(st.rows_skipped, 1);
    int64_t v[40];
    read_col(f.t, "d", v, 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(v[i], i == 13 ? -1 : i);
    err_rows r;
    get_errors(f.t, st.job_id, NULL, &r);
    assert_int_equal(r.n, 1);
    assert_true(once(&r, ADDR(0, 13), 1));
    assert_string_equal(r.type[0], "crash");
    assert_int_equal(r.code[0], SIGABRT);
    /* with fail_on_7 too: a function error inside a worker is skipped the same way */
    /* fail: the job fails, the caller lives, the crashed batch's rows are recorded per
     * attempt (it runs twice) */
    o.on_error = NULL;
    o.where = "1=1";
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "killed by signal");
    assert_non_null(strstr(gnv_error_last()->message, "fragment 0: "));
    assert_non_null(strstr(gnv_error_last()->message, "rows 10..14"));
    assert_int_equal(st.state, GNV_BACKFILL_FAILED);
    assert_int_equal(st.task_errors, 1);
    get_errors(f.t, st.job_id, NULL, &r);
    assert_int_equal(r.n, 10);
    for (int k = 10; k < 15; k++) {
        assert_true(once(&r, ADDR(0, k), 1));
        assert_true(once(&r, ADDR(0, k), 2));
    }
    /* retry: a crash is transient; three runs, then the batch recorded per attempt */
    gnv_on_error retry = GNV_ON_ERROR_INIT;
    retry.action = GNV_ON_ERROR_RETRY;
    retry.attempts = 3;
    retry.transient_only = 1;
    o.on_error = &retry;
    GNV_ASSERT_ERR(gnv_table_backfill(f.t, "d", &o, &st), GNV_EUDF, "killed by signal");
    assert_int_equal(st.retries, 2);
    get_errors(f.t, st.job_id, NULL, &r);
    assert_int_equal(r.n, 15);
    assert_true(once(&r, ADDR(0, 13), 3));
    fx_close(&f);

    /* skip under the process executor with a function error */
    fx_open(&f, GNV_TEST_DEMO, "fail_on_7", NULL);
    o = opts(&pol);
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 2;
    GNV_ASSERT_OK(gnv_table_backfill(f.t, "d", &o, &st));
    assert_int_equal(st.rows_skipped, 3);
    get_errors(f.t, st.job_id, NULL, &r);
    assert_int_equal(r.n, 3);
    assert_true(once(&r, ADDR(1, 7), 1));
    fx_close(&f);
}

/* ---- allocation failures ------------------------------------------------------- */

typedef struct fs_arg {
    gnv_table *t;
} fs_arg;

/* A policy through its JSON, and a worker's three failed rows through its file; every
 * failed allocation returns GNV_ENOMEM and leaks nothing. */
static int fs_body(void *arg)
{
    fs_arg *a = arg;
    int rc = GNV_OK;
    gnv__errlog log = {0}, back = {0};
    gnv__policy p = {0}, q = {0};
    void *json = NULL;
    gnv_on_error pol = GNV_ON_ERROR_INIT;
    pol.action = GNV_ON_ERROR_RETRY;
    pol.match = "timeout";
    GNV_TRYG(gnv__policy_from(&p, &pol, "test"));
    GNV_TRYG(gnv__policy_to_json(&json, &p));
    GNV_TRYG(gnv__policy_parse(&q, json, "d"));
    for (int i = 0; i < 3; i++)
        GNV_TRYG(gnv__errlog_add(&log, ADDR(i, 7), 1, "udf_error", "id ends in 7", 1));
    /* a worker's log through its file, loaded twice: each record once */
    GNV_TRYG(gnv__job_worker_log(&log, a->t, "job-fs"));
    GNV_TRYG(gnv__job_collect_logs(&back, a->t, "job-fs"));
    GNV_TRYG(gnv__job_worker_log(&log, a->t, "job-fs"));
    GNV_TRYG(gnv__job_collect_logs(&back, a->t, "job-fs"));
    assert_int_equal(back.n, 3);
    assert_int_equal(back.recs[2].addr, ADDR(2, 7));
    assert_string_equal(back.recs[0].message, "id ends in 7");
    assert_string_equal(q.match, "timeout");
    assert_int_equal(q.attempts, 3);
done:
    if (json)
        json_decref(json);
    gnv__policy_reset(&p);
    gnv__policy_reset(&q);
    gnv__errlog_reset(&log);
    gnv__errlog_reset(&back);
    return rc;
}

static void test_errors_allocation_failures(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, GNV_TEST_DEMO, "fail_on_7", NULL);
    fs_arg a = {f.t};
    int steps = gnv_test_faultsim(fs_body, &a);
    assert_true(steps > 10);
    print_message("%d allocation steps\n", steps);
    fx_close(&f);
}

int main(void)
{
    /* no geneva_jobs records (test_jobs.c): its heartbeat thread would make the process
     * executor fork a multithreaded process, which can hang under ASan's allocator */
    setenv("GENEVA_JOB_TRACKING", "0", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_default),
        cmocka_unit_test(test_retry_exhausted),
        cmocka_unit_test(test_retry_recovers),
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_rerun_failed_rows),
        cmocka_unit_test(test_column_policy),
        cmocka_unit_test(test_process_fail_stops),
        cmocka_unit_test(test_process_crash),
        cmocka_unit_test(test_errors_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
