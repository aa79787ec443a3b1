/*
 * Job control: the geneva_jobs records of a run (PENDING, RUNNING, DONE, one row per
 * job), async jobs (wait with a timeout, cancel keeping committed work, detached
 * drivers that outlive their starter), dead drivers read as FAILED (stale heartbeat, a
 * killed process) and recorded so by the next writer, and admission control (strict,
 * non-strict, environment).
 */
#include "gnv_test_job.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "job/job.h"
#include "table/table.h"

/* Rows x = 0..n-1 (float64) in fragments of per_file rows, and the virtual column
 * d = slow_double(x). */
static gnv_table *make_table(gnv_db *db, const char *tname, int n, int per_file)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 1));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "g", "x", ARROW_FLAG_NULLABLE));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int i = 0; i < n; i++) {
        GNV_ASSERT_OK(gnv__array_append_double(a.children[0], i));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    gnv_table *t = gnv_test_create_table(db, tname, &s, &a, per_file);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "slow_double", "d", NULL, NULL);
    return t;
}

/* Rows of t where d is set, checking d = 2x. */
static int64_t count_done(gnv_table *t)
{
    assert_int_equal(gnv_table_checkout_latest(t), GNV_OK);
    int64_t n = 0;
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d IS NOT NULL", &n));
    int64_t bad = -1;
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d IS NOT NULL AND d <> 2 * x", &bad));
    assert_int_equal(bad, 0);
    return n;
}

/* The state column of every row of geneva_jobs at each version, as "STATE,STATE;..."
 * (rows in table order). */
static void state_history(gnv_db *db, char *out, size_t size)
{
    gnv_table *jt = NULL;
    GNV_ASSERT_OK(gnv__jobs_open(&jt, db));
    gnv_version_info *vs = NULL;
    size_t nv = 0;
    GNV_ASSERT_OK(gnv_table_versions(jt, &vs, &nv));
    out[0] = '\0';
    for (size_t i = 0; i < nv; i++) {
        gnv_table *at = NULL;
        GNV_ASSERT_OK(gnv_table_checkout(&at, jt, vs[i].version));
        const char *cols[1] = {"state"};
        gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
        so.columns = cols;
        so.n_columns = 1;
        struct ArrowArrayStream s;
        struct ArrowSchema sc;
        GNV_ASSERT_OK(gnv_table_scan(at, &so, &s));
        GNV_ASSERT_OK(gnv__stream_get_schema(&s, &sc));
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s", i ? ";" : "");
        for (int first = 1;;) {
            struct ArrowArray a;
            int rc = gnv__stream_next(&s, &a);
            if (rc == GNV_ITEROVER)
                break;
            GNV_ASSERT_OK(rc);
            gnv_array_view v;
            GNV_ASSERT_OK(gnv__array_view_init(&v, &sc, &a));
            for (int64_t r = 0; r < a.length; r++) {
                int64_t n = 0;
                const uint8_t *b = gnv__view_get_bytes(&v.children[0], r, &n);
                len = strlen(out);
                snprintf(out + len, size - len, "%s%.*s", first ? "" : ",", (int)n,
                         (const char *)b);
                first = 0;
            }
            gnv__array_view_reset(&v);
            gnv__array_release(&a);
        }
        gnv__schema_release(&sc);
        gnv__stream_release(&s);
        gnv_table_close(at);
    }
    gnv_table_versions_free(vs, nv);
    gnv_table_close(jt);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- records of a run ----------------------------------------------------- */

static void test_states_through_run(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 200, 50);
    setenv("GENEVA_HEARTBEAT_SECONDS", "0.2", 1);
    setenv("GENEVA_DEMO_SLEEP_US", "2000", 1);

    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.checkpoint_size = 25;
    gnv_job *job = NULL;
    GNV_ASSERT_OK(gnv_table_backfill_async(t, "d", &o, &job));
    assert_int_equal(strlen(gnv_job_id(job)), 36);
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_job_wait(job, -1, &st));
    assert_string_equal(st.job_id, gnv_job_id(job));
    assert_int_equal(st.rows, 200);
    assert_int_equal(count_done(t), 200);

    gnv_job_info ji;
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_DONE);
    assert_string_equal(ji.kind, "backfill");
    assert_string_equal(ji.table, "t");
    assert_string_equal(ji.column, "d");
    assert_int_equal(ji.rows_planned, 200);
    assert_int_equal(ji.rows_computed, 200);
    assert_int_equal(ji.rows_committed, 200);
    assert_int_equal(ji.rows_checkpointed, 200);
    assert_int_equal(ji.fragments, 4);
    assert_int_equal(ji.fragments_committed, 4);
    assert_int_equal(ji.pid, (int64_t)getpid());
    assert_true(ji.created_us > 0 && ji.started_us >= ji.created_us);
    assert_true(ji.ended_us >= ji.started_us && ji.heartbeat_us >= ji.started_us);
    assert_true(ji.udf_seconds > 0.3); /* 200 rows x 2 ms */
    assert_true(ji.read_seconds > 0 && ji.checkpoint_seconds > 0 && ji.commit_seconds > 0);
    assert_true(strstr(ji.options, "\"checkpoint_size\":25") != NULL);
    gnv_job_info_reset(&ji);
    gnv_job_free(job);

    /* the record's versions: PENDING, RUNNING (heartbeats), DONE; one row per job */
    char hist[8192];
    state_history(db, hist, sizeof hist);
    if (strncmp(hist, ";PENDING;RUNNING;", 17) != 0) /* version 1: no job yet */
        fail_msg("history: %s", hist);
    assert_true(strstr(hist, ";RUNNING;RUNNING") != NULL); /* at least one heartbeat */
    const char *last = strrchr(hist, ';');
    assert_string_equal(last, ";DONE");

    /* a synchronous run is a job too, listed after the first */
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", NULL, &st));
    gnv_job_info *list = NULL;
    size_t n = 0;
    GNV_ASSERT_OK(gnv_db_list_jobs(db, NULL, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[1].id, st.job_id);
    assert_int_equal(list[1].state, GNV_JOB_DONE);
    assert_int_equal(list[1].rows_planned, 0);
    gnv_job_info_list_free(list, n);
    GNV_ASSERT_OK(gnv_db_list_jobs(db, "other", &list, &n));
    assert_int_equal(n, 0);
    gnv_job_info_list_free(list, n);

    gnv_table_close(t);
    gnv_db_close(db);
    unsetenv("GENEVA_DEMO_SLEEP_US");
    gnv_test_rmdir(root);
}

/* One fragment per job: the writer that finds 64 compacts them, so a long-lived
 * database's job list stays quick to read. */
static void test_jobs_table_compacted(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 1, 10);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = "1=1";
    size_t most = 0;
    for (int i = 0; i < 70; i++) {
        GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, NULL));
        gnv_table *jt = NULL;
        GNV_ASSERT_OK(gnv__jobs_open(&jt, db));
        most = GNV_MAX(most, jt->m->n_fragments);
        gnv_table_close(jt);
    }
    assert_true(most < 64);
    gnv_job_info *list = NULL;
    size_t n = 0;
    GNV_ASSERT_OK(gnv_db_list_jobs(db, NULL, &list, &n));
    assert_int_equal(n, 70); /* no record lost */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(list[i].state, GNV_JOB_DONE);
    gnv_job_info_list_free(list, n);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- wait, timeout, cancel -------------------------------------------------- */

static void test_wait_timeout(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 150, 50);
    setenv("GENEVA_HEARTBEAT_SECONDS", "0.2", 1);
    setenv("GENEVA_DEMO_SLEEP_US", "3000", 1);

    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.checkpoint_size = 10;
    gnv_job *job = NULL;
    GNV_ASSERT_OK(gnv_table_backfill_async(t, "d", &o, &job));
    gnv_backfill_stats st;
    GNV_ASSERT_ERR(gnv_job_wait(job, 0.05, &st), GNV_ETIMEOUT, "still running");
    gnv_job_info ji;
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_true(ji.state == GNV_JOB_RUNNING || ji.state == GNV_JOB_PENDING);
    gnv_job_info_reset(&ji);
    GNV_ASSERT_OK(gnv_job_wait(job, 60, &st));
    assert_int_equal(st.rows_computed, 150);
    assert_int_equal(count_done(t), 150);
    gnv_job_free(job);

    /* the options' timeout: gnv_table_backfill returns, the job goes on */
    o.where = "1=1";
    o.timeout = 0.05;
    gnv_job *again = NULL;
    char first_id[40];
    snprintf(first_id, sizeof first_id, "%s", st.job_id);
    GNV_ASSERT_ERR(gnv_table_backfill(t, "d", &o, &st), GNV_ETIMEOUT, "it goes on");
    assert_int_equal(strlen(st.job_id), 36);
    assert_string_not_equal(st.job_id, first_id);
    GNV_ASSERT_OK(gnv_job_open(&again, db, st.job_id));
    GNV_ASSERT_OK(gnv_job_wait(again, 60, &st));
    GNV_ASSERT_OK(gnv_job_status(again, &ji));
    assert_int_equal(ji.state, GNV_JOB_DONE);
    assert_int_equal(ji.rows_computed, 150);
    gnv_job_info_reset(&ji);
    gnv_job_free(again);

    gnv_table_close(t);
    gnv_db_close(db);
    unsetenv("GENEVA_DEMO_SLEEP_US");
    gnv_test_rmdir(root);
}

static void test_cancel_keeps_committed(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 400, 20);
    setenv("GENEVA_HEARTBEAT_SECONDS", "0.2", 1);
    setenv("GENEVA_DEMO_SLEEP_US", "2000", 1);

    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    /* inline: fragments committed while the job runs (the process executor commits when
     * its round of tasks ends; test_cancel_process_executor) */
    o.executor = GNV_EXECUTOR_INLINE;
    o.checkpoint_size = 10;
    o.commit_granularity = 1;
    gnv_job *job = NULL;
    GNV_ASSERT_OK(gnv_table_backfill_async(t, "d", &o, &job));
    gnv_job_info ji = {0};
    for (int i = 0; i < 500; i++) { /* until a fragment is committed */
        GNV_ASSERT_OK(gnv_job_status(job, &ji));
        int64_t done = ji.fragments_committed;
        gnv_job_info_reset(&ji);
        if (done >= 2)
            break;
        sleep_ms(10);
    }
    GNV_ASSERT_OK(gnv_job_cancel(job));
    gnv_backfill_stats st;
    GNV_ASSERT_ERR(gnv_job_wait(job, 60, &st), GNV_ECANCELED, "cancelled");
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_CANCELLED);
    assert_true(ji.cancel_requested);
    assert_true(ji.fragments_committed >= 2 && ji.fragments_committed < 20);
    int64_t kept = count_done(t);
    assert_int_equal(kept, ji.rows_committed);
    assert_true(kept >= 40 && kept < 400);
    gnv_job_info_reset(&ji);
    /* cancelling an ended job leaves it as it is */
    GNV_ASSERT_OK(gnv_job_cancel(job));
    gnv_job_free(job);

    /* the next run completes the column */
    unsetenv("GENEVA_DEMO_SLEEP_US");
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", NULL, &st));
    assert_int_equal(st.rows, 400 - kept);
    assert_int_equal(count_done(t), 400);

    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

static void test_cancel_process_executor(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 400, 50);
    setenv("GENEVA_HEARTBEAT_SECONDS", "0.2", 1);
    setenv("GENEVA_DEMO_SLEEP_US", "5000", 1);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.checkpoint_size = 10;
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 2;
    o.task_size = 50;
    o.admission_check = 0;
    gnv_job *job = NULL;
    GNV_ASSERT_OK(gnv_table_backfill_async(t, "d", &o, &job));
    sleep_ms(400);
    GNV_ASSERT_OK(gnv_job_cancel(job));
    gnv_backfill_stats st;
    GNV_ASSERT_ERR(gnv_job_wait(job, 60, &st), GNV_ECANCELED, "cancelled");
    gnv_job_info ji;
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_CANCELLED);
    assert_int_equal(ji.active_workers, 0);
    assert_true(ji.udf_seconds > 0.05); /* measured in the workers */
    assert_true(count_done(t) < 400);
    gnv_job_info_reset(&ji);
    gnv_job_free(job);
    unsetenv("GENEVA_DEMO_SLEEP_US");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- detached drivers ------------------------------------------------------- */

static void test_detached_outlives_starter(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 100, 50);
    setenv("GENEVA_HEARTBEAT_SECONDS", "0.2", 1);
    setenv("GENEVA_DEMO_SLEEP_US", "3000", 1);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the starter: starts the job and exits at once */
        gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
        o.detached = 1;
        o.checkpoint_size = 10;
        gnv_job *job = NULL;
        int rc = gnv_table_backfill_async(t, "d", &o, &job);
        char id[40] = "";
        if (rc == GNV_OK)
            snprintf(id, sizeof id, "%s", gnv_job_id(job));
        (void)!write(fds[1], id, sizeof id);
        _exit(rc == GNV_OK ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char id[40];
    assert_int_equal(read(fds[0], id, sizeof id), (ssize_t)sizeof id);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(strlen(id), 36);
    gnv_job *job = NULL;
    GNV_ASSERT_OK(gnv_job_open(&job, db, id));
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_job_wait(job, 60, &st));
    assert_int_equal(st.rows_computed, 100);
    gnv_job_info ji;
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_DONE);
    assert_true(ji.pid != (int64_t)pid && ji.pid != (int64_t)getpid());
    gnv_job_info_reset(&ji);
    gnv_job_free(job);
    assert_int_equal(count_done(t), 100);
    GNV_ASSERT_ERR(gnv_job_open(&job, db, "no-such-job"), GNV_ENOTFOUND, "no-such-job");
    unsetenv("GENEVA_DEMO_SLEEP_US");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- dead drivers --------------------------------------------------------------- */

/* The state stored in the job's row (no staleness applied). */
static void stored_state(gnv_db *db, const char *id, char *out, size_t size)
{
    gnv_table *jt = NULL;
    GNV_ASSERT_OK(gnv__jobs_open(&jt, db));
    char where[128];
    snprintf(where, sizeof where, "id = '%s'", id);
    int64_t n = 0;
    out[0] = '\0';
    static const char *const states[] = {"PENDING", "RUNNING", "FAILED", "DONE"};
    for (size_t i = 0; i < 4 && !out[0]; i++) {
        char w[256];
        snprintf(w, sizeof w, "%s AND state = '%s'", where, states[i]);
        GNV_ASSERT_OK(gnv_table_count_rows_where(jt, w, &n));
        if (n == 1)
            snprintf(out, size, "%s", states[i]);
    }
    gnv_table_close(jt);
}

static void test_stale_heartbeat_reads_failed(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 300, 50);
    setenv("GENEVA_HEARTBEAT_SECONDS", "0.2", 1);

    /* a job recorded but never started: FAILED after three intervals */
    char *id = NULL;
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.detached = 1; /* its driver process was to record its pid */
    GNV_ASSERT_OK(gnv__jobs_record_pending(&id, db, "t", "d", &o));
    gnv_job *job = NULL;
    GNV_ASSERT_OK(gnv_job_open(&job, db, id));
    gnv_job_info ji;
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_PENDING);
    gnv_job_info_reset(&ji);
    sleep_ms(800);
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_FAILED);
    assert_true(strstr(ji.reason, "heartbeat stopped at ") != NULL);
    gnv_job_info_reset(&ji);
    GNV_ASSERT_ERR(gnv_job_wait(job, 1, NULL), GNV_ERROR, "heartbeat stopped");
    gnv_job_free(job);

    /* a driver killed with SIGKILL: its process is gone */
    setenv("GENEVA_DEMO_SLEEP_US", "5000", 1);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        gnv_backfill_options co = GNV_BACKFILL_OPTIONS_INIT;
        co.checkpoint_size = 10;
        co.progress = NULL;
        /* tell the parent the id once the job runs (its first progress call) */
        gnv_db *cdb = NULL;
        gnv_table *ct = NULL;
        if (gnv_db_open(&cdb, root, NULL) || gnv_db_open_table(&ct, cdb, "t"))
            _exit(2);
        co.job_id = "killed-job";
        (void)!write(fds[1], "x", 1);
        gnv_table_backfill(ct, "d", &co, NULL);
        _exit(0);
    }
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    close(fds[1]);
    for (int i = 0; i < 500; i++) { /* until it is RUNNING */
        char s[32];
        gnv_table *probe = NULL;
        if (gnv__jobs_open(&probe, db) == GNV_OK) {
            gnv_table_close(probe);
            stored_state(db, "killed-job", s, sizeof s);
            if (!strcmp(s, "RUNNING"))
                break;
        } else {
            gnv_error_clear();
        }
        sleep_ms(10);
    }
    sleep_ms(100);
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    GNV_ASSERT_OK(gnv_job_open(&job, db, "killed-job"));
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_FAILED);
    char want[64];
    snprintf(want, sizeof want, "process %d on ", (int)pid);
    assert_true(strstr(ji.reason, want) != NULL);
    assert_true(strstr(ji.reason, "is gone") != NULL);
    gnv_job_info_reset(&ji);
    gnv_job_free(job);
    char s[32];
    stored_state(db, "killed-job", s, sizeof s);
    assert_string_equal(s, "RUNNING"); /* readers only report it */

    /* the next writer records it; the resumed run completes the column */
    unsetenv("GENEVA_DEMO_SLEEP_US");
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", NULL, &st));
    stored_state(db, "killed-job", s, sizeof s);
    assert_string_equal(s, "FAILED");
    stored_state(db, id, s, sizeof s);
    assert_string_equal(s, "FAILED");
    assert_int_equal(count_done(t), 300);
    gnv_free(id);

    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- admission control ------------------------------------------------------------ */

static int n_warnings;
static char last_warning[1024];

static void on_warn(const char *msg, void *payload)
{
    (void)payload;
    n_warnings++;
    snprintf(last_warning, sizeof last_warning, "%s", msg);
}

static void test_admission(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 20, 20);
    unsetenv("GENEVA_ADMISSION_CHECK");
    unsetenv("GENEVA_ADMISSION_STRICT");

    /* 4096 workers x 0.5 cpus only share the CPUs: a warning, strict or not */
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 4096;
    o.admission_strict = 1;
    o.warn = on_warn;
    o.where = "x < 2";
    n_warnings = 0;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, NULL));
    assert_int_equal(n_warnings, 1);
    assert_true(strstr(last_warning, "asks 4096 workers x 0.5 cpus = 2048 cpus; this machine "
                                     "has ") != NULL);
    assert_true(strstr(last_warning, "share them") != NULL);

    /* more memory than the machine has: refused when strict (the default), else a warning */
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *embed = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&embed, lib, "hash_embed")); /* 64 MiB a worker */
    gnv_backfill_options mo = GNV_BACKFILL_OPTIONS_INIT;
    GNV_ASSERT_ERR(gnv__admission_check(embed, 1 << 24, &mo, NULL), GNV_EINVAL,
                   "asks 16777216 workers x 64 MiB = 1024.0 TiB");
    GNV_ASSERT_ERR(gnv__admission_check(embed, 1 << 24, &mo, NULL), GNV_EINVAL,
                   "lower --concurrency");
    setenv("GENEVA_ADMISSION_STRICT", "0", 1);
    n_warnings = 0;
    mo.warn = on_warn;
    GNV_ASSERT_OK(gnv__admission_check(embed, 1 << 24, &mo, NULL));
    assert_int_equal(n_warnings, 1);
    assert_true(strstr(last_warning, "running it anyway") != NULL);
    mo.admission_strict = 1; /* the option wins over the environment */
    GNV_ASSERT_ERR(gnv__admission_check(embed, 1 << 24, &mo, NULL), GNV_EINVAL, "of memory");
    setenv("GENEVA_ADMISSION_CHECK", "0", 1);
    n_warnings = 0;
    mo.admission_strict = -1;
    GNV_ASSERT_OK(gnv__admission_check(embed, 1 << 24, &mo, NULL));
    assert_int_equal(n_warnings, 0);
    unsetenv("GENEVA_ADMISSION_CHECK");
    unsetenv("GENEVA_ADMISSION_STRICT");
    GNV_ASSERT_OK(gnv__admission_check(embed, 1, &mo, NULL)); /* one worker fits */
    gnv_udf_library_close(lib);

    /* a warned job runs and its record keeps the warning */
    o.where = NULL;
    n_warnings = 0;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    assert_int_equal(n_warnings, 1);
    assert_true(strstr(last_warning, "2048 cpus") != NULL);
    assert_true(strstr(last_warning, "running it anyway") != NULL);
    assert_int_equal(count_done(t), 20);
    gnv_job *job = NULL;
    GNV_ASSERT_OK(gnv_job_open(&job, db, st.job_id));
    gnv_job_info ji;
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_DONE);
    assert_true(strstr(ji.reason, "admission:") != NULL);
    gnv_job_info_reset(&ji);
    gnv_job_free(job);

    /* a request that fits passes quietly; older options structs are accepted */
    o.concurrency = 1;
    o.where = "1=1";
    n_warnings = 0;
    o.admission_strict = 1;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, NULL));
    assert_int_equal(n_warnings, 0);
    gnv_backfill_options v1 = GNV_BACKFILL_OPTIONS_INIT;
    v1.version = 1;
    v1.where = "1=1";
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &v1, NULL));

    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- how a job ends ---------------------------------------------------------------- */

static void test_failed_and_done_with_errors(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 40, 20);
    setenv("GENEVA_HEARTBEAT_SECONDS", "0.2", 1);

    /* an error found by the job's thread: FAILED with its message */
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = "x >>> 3";
    gnv_job *job = NULL;
    GNV_ASSERT_OK(gnv_table_backfill_async(t, "d", &o, &job));
    GNV_ASSERT_ERR(gnv_job_wait(job, 60, NULL), GNV_EINVAL, "where");
    gnv_job_info ji;
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_FAILED);
    assert_true(strstr(ji.reason, "where") != NULL);
    gnv_job_info_reset(&ji);
    /* another handle on it learns the same from the table */
    gnv_job *other = NULL;
    GNV_ASSERT_OK(gnv_job_open(&other, db, gnv_job_id(job)));
    GNV_ASSERT_ERR(gnv_job_wait(other, 1, NULL), GNV_ERROR, "where");
    gnv_job_free(other);
    gnv_job_free(job);

    /* rows skipped by the error policy: DONE_WITH_ERRORS */
    const char *names[1] = {"id"}, *exprs[1] = {"CAST(x AS BIGINT)"};
    GNV_ASSERT_OK(gnv_table_add_columns_sql(t, names, exprs, 1));
    gnv_test_add_udf(t, GNV_TEST_DEMO, "fail_on_7", "e", NULL, NULL);
    gnv_on_error pol = GNV_ON_ERROR_INIT;
    pol.action = GNV_ON_ERROR_SKIP;
    gnv_backfill_options so = GNV_BACKFILL_OPTIONS_INIT;
    so.on_error = &pol;
    so.checkpoint_size = 10;
    GNV_ASSERT_OK(gnv_table_backfill_async(t, "e", &so, &job));
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_job_wait(job, 60, &st));
    assert_int_equal(st.state, GNV_BACKFILL_DONE_WITH_ERRORS);
    GNV_ASSERT_OK(gnv_job_status(job, &ji));
    assert_int_equal(ji.state, GNV_JOB_DONE_WITH_ERRORS);
    assert_int_equal(ji.rows_skipped, 4); /* ids 7, 17, 27, 37 */
    assert_true(strstr(ji.reason, "4 rows skipped") != NULL);
    gnv_job_info_reset(&ji);
    gnv_job_free(job);

    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- allocation failures in the records ---------------------------------------- */

/* A backfill whose nth allocation fails, for every 151st n (the records make a
 * backfill's allocations several thousand): it ends GNV_OK or GNV_ENOMEM, the job table
 * stays readable and a run without faults completes the column. */
static void test_records_allocation_failures(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    char tmpl[1024], work[1024], cmd[3200];
    snprintf(tmpl, sizeof tmpl, "%s/tmpl", root);
    snprintf(work, sizeof work, "%s/work", root);
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, tmpl, NULL));
    gnv_table *t = make_table(db, "t", 20, 10);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = "x < 5";
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, NULL)); /* a job table with one job */
    gnv_table_close(t);
    gnv_db_close(db);
    unsetenv("GENEVA_JOB_TRACKING");
    setenv("GENEVA_HEARTBEAT_SECONDS", "60", 1);
    gnv_backfill_options in = GNV_BACKFILL_OPTIONS_INIT;
    in.executor = GNV_EXECUTOR_INLINE; /* every allocation in this process */
    int steps = 0;
    for (uint64_t n = 1;; n += 151, steps++) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", work, tmpl, work);
        assert_int_equal(system(cmd), 0);
        gnv_error_clear();
        gnv__alloc_fail_at(n, false);
        int rc = gnv_db_open(&db, work, NULL);
        t = NULL;
        if (rc == GNV_OK)
            rc = gnv_db_open_table(&t, db, "t");
        if (rc == GNV_OK)
            rc = gnv_table_backfill(t, "d", &in, NULL);
        gnv_table_close(t);
        gnv_db_close(db);
        uint64_t made = gnv__alloc_fail_at(0, false);
        if (rc != GNV_OK && rc != GNV_ENOMEM)
            fail_msg("allocation %llu: %d (%s)", (unsigned long long)n, rc,
                     gnv_error_last() ? gnv_error_last()->message : "");
        GNV_ASSERT_OK(gnv_db_open(&db, work, NULL));
        gnv_job_info *list = NULL;
        size_t nj = 0;
        GNV_ASSERT_OK(gnv_db_list_jobs(db, NULL, &list, &nj));
        assert_true(nj >= 1);
        gnv_job_info_list_free(list, nj);
        GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
        GNV_ASSERT_OK(gnv_table_backfill(t, "d", NULL, NULL));
        assert_int_equal(count_done(t), 20);
        gnv_table_close(t);
        gnv_db_close(db);
        if (rc == GNV_OK && made < n)
            break;
        assert_true(steps < 400);
    }
    print_message("%d steps\n", steps);
    assert_true(steps > 10);
    setenv("GENEVA_HEARTBEAT_SECONDS", "0.2", 1);
    gnv_test_rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states_through_run),
        cmocka_unit_test(test_jobs_table_compacted),
        cmocka_unit_test(test_wait_timeout),
        cmocka_unit_test(test_cancel_keeps_committed),
        cmocka_unit_test(test_cancel_process_executor),
        cmocka_unit_test(test_detached_outlives_starter),
        cmocka_unit_test(test_stale_heartbeat_reads_failed),
        cmocka_unit_test(test_admission),
        cmocka_unit_test(test_failed_and_done_with_errors),
        cmocka_unit_test(test_records_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
