/*
 * Crash-resume of backfills under the process executor: a driver and its workers
 * SIGKILLed at random moments (the whole process group, or one worker, then the
 * group), and workers killed while their driver lives on (the driver retries the task
 * once, then reports it; a re-run finishes). The table must end as an uninterrupted
 * run leaves it (every row 2 * id), with no checkpoint left, and the UDF must have
 * computed at most the table's rows plus the rows of the batches in flight at each
 * kill (counted by the UDF itself, in a file it appends to).
 */
#include "gnv_test_job.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "job/job.h"
#include "table/table.h"

#define N_ROWS      1200 /* 6 fragments of 200 rows */
#define PER_FILE    200
#define CONCURRENCY 2
#define CKPT        25

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_us(uint64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* A table "t" of ids 0..N_ROWS-1 in fragments of PER_FILE rows, with the virtual
 * column d = counted_double(id). */
static void make_table(gnv_db *db)
{
    gnv_table *t = gnv_test_job_table(db, "t", N_ROWS, PER_FILE, 0, 0);
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "counted_double", "d", "id", NULL);
    gnv_table_close(t);
}

static gnv_backfill_options process_options(void)
{
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = CONCURRENCY;
    o.checkpoint_size = CKPT;
    o.commit_granularity = 1;
    return o;
}

/* Rows the UDF computed so far: its records of 16 bytes. */
static int64_t udf_calls(const char *count_file)
{
    struct stat sb;
    if (stat(count_file, &sb) != 0)
        return 0;
    assert_int_equal(sb.st_size % 16, 0);
    return (int64_t)(sb.st_size / 16);
}

/* The live children of parent (its workers), from /proc; returns how many. */
static int children_of(pid_t parent, pid_t *out, int cap)
{
    DIR *d = opendir("/proc");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < cap) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        /* "pid (comm) state ppid ...": comm may hold spaces and parentheses */
        char *p = strrchr(buf, ')'), state = 0;
        long ppid = 0;
        if (p && sscanf(p + 1, " %c %ld", &state, &ppid) == 2 && ppid == (long)parent &&
            state != 'Z')
            out[n++] = (pid_t)pid;
    }
    closedir(d);
    return n;
}

/* Fork a driver in a process group of its own that backfills d with the process
 * executor; it exits 0 when done, 3 when tasks failed (a re-run resumes), 1 else. */
static pid_t spawn_driver(gnv_db *db)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        gnv_table *t;
        if (gnv_db_open_table(&t, db, "t") != GNV_OK)
            _exit(1);
        gnv_backfill_options o = process_options();
        int rc = gnv_table_backfill(t, "d", &o, NULL);
        if (rc != GNV_OK && rc != GNV_EUDF) {
            const gnv_error *e = gnv_error_last();
            fprintf(stderr, "driver: %s\n", e ? e->message : "failed");
        }
        _exit(rc == GNV_OK ? 0 : rc == GNV_EUDF ? 3 : 1);
    }
    (void)setpgid(pid, pid); /* also here: no kill of the group before the child's */
    return pid;
}

/* Finish the backfill in this process (re-running it while tasks fail), then check
 * the table, the checkpoints, and the rows the UDF computed. */
static void finish_and_check(gnv_db *db, const char *root, const char *count_file, int64_t bound)
{
    gnv_table *t;
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    gnv_backfill_options o = process_options();
    gnv_backfill_stats st;
    int rc = GNV_EUDF;
    for (int i = 0; i < 3 && rc == GNV_EUDF; i++)
        rc = gnv_table_backfill(t, "d", &o, &st);
    GNV_ASSERT_OK(rc);
    assert_int_equal(st.state, GNV_BACKFILL_DONE);

    int64_t n = 0;
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    assert_int_equal(n, N_ROWS);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d IS NULL", &n));
    assert_int_equal(n, 0);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d = 2 * id", &n));
    assert_int_equal(n, N_ROWS);
    /* nothing is left to compute */
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    assert_int_equal(st.rows, 0);
    gnv_table_close(t);

    char d[1024];
    snprintf(d, sizeof d, "%s/t.lance/_geneva/checkpoints", root);
    DIR *dir = opendir(d);
    int files = 0;
    for (struct dirent *e; dir && (e = readdir(dir)) != NULL;)
        files += e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    assert_int_equal(files, 0);

    int64_t calls = udf_calls(count_file);
    print_message("UDF computed %lld rows for %d (at most %lld)\n", (long long)calls, N_ROWS,
                  (long long)bound);
    assert_true(calls >= N_ROWS);
    assert_true(calls <= bound);
}

/* The driver and its workers killed together (or one worker first), many times. */
static void test_backfill_process_group_killed(void **state)
{
    (void)state;
    uint64_t seed = gnv_test_seed();
    char *root = gnv_test_tmpdir();
    char count_file[1100];
    snprintf(count_file, sizeof count_file, "%s/calls", root);
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    make_table(db);
    setenv("GNV_COUNT_FILE", count_file, 1);
    setenv("GNV_FLAKY_SLEEP_US", "200", 1);

    int group_kills = 0, worker_kills = 0, rounds = 0;
    double deadline = now_s() + 6.0;
    for (; rounds < 80 && now_s() < deadline; rounds++) {
        pid_t pid = spawn_driver(db);
        uint64_t max_us = GNV_MIN(10000u * (uint64_t)(rounds + 1), 300000u);
        if (rounds % 2 == 1) {
            /* one worker first: wait for the workers, then kill one of them */
            pid_t w[16];
            int nw = 0;
            for (int i = 0; i < 1000 && nw == 0; i++) {
                sleep_us(500);
                nw = children_of(pid, w, 16);
            }
            sleep_us(gnv_test_rand(&seed) % 20000);
            if (nw > 0 && kill(w[gnv_test_rand(&seed) % (uint64_t)nw], SIGKILL) == 0)
                worker_kills++;
        }
        sleep_us(gnv_test_rand(&seed) % max_us);
        kill(-pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status)) {
            /* it finished first (a killed worker's task was retried) */
            assert_int_not_equal(WEXITSTATUS(status), 1);
            if (WEXITSTATUS(status) == 0)
                break;
            continue;
        }
        group_kills++;
    }
    print_message("%d rounds: %d group kills, %d worker kills (GNV_TEST_SEED to repeat)\n", rounds,
                  group_kills, worker_kills);
    assert_true(group_kills > 0 && worker_kills > 0);
    finish_and_check(db, root, count_file,
                     N_ROWS + ((int64_t)group_kills * CONCURRENCY + worker_kills) * CKPT);
    unsetenv("GNV_FLAKY_SLEEP_US");
    unsetenv("GNV_COUNT_FILE");
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* Workers killed while the driver lives on: a killed task runs once more, a task
 * killed twice is reported (exit 3) and the next run resumes it. */
static void test_backfill_workers_killed(void **state)
{
    (void)state;
    uint64_t seed = gnv_test_seed() + 1;
    char *root = gnv_test_tmpdir();
    char count_file[1100];
    snprintf(count_file, sizeof count_file, "%s/calls", root);
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    make_table(db);
    setenv("GNV_COUNT_FILE", count_file, 1);
    setenv("GNV_FLAKY_SLEEP_US", "300", 1);

    int kills = 0, runs = 0, failed_runs = 0;
    double deadline = now_s() + 4.0;
    for (bool done = false; !done && runs < 20; runs++) {
        pid_t pid = spawn_driver(db);
        for (;;) {
            int status;
            pid_t r = waitpid(pid, &status, WNOHANG);
            assert_true(r >= 0);
            if (r == pid) {
                assert_true(WIFEXITED(status));
                assert_int_not_equal(WEXITSTATUS(status), 1);
                done = WEXITSTATUS(status) == 0;
                failed_runs += !done;
                break;
            }
            sleep_us(1000 + gnv_test_rand(&seed) % 30000);
            if (now_s() >= deadline)
                continue; /* let it finish */
            pid_t w[16];
            int nw = children_of(pid, w, 16);
            if (nw > 0 && kill(w[gnv_test_rand(&seed) % (uint64_t)nw], SIGKILL) == 0)
                kills++;
        }
    }
    print_message("%d runs (%d reported failed tasks), %d worker kills (GNV_TEST_SEED to "
                  "repeat)\n",
                  runs, failed_runs, kills);
    assert_true(kills > 0);
    finish_and_check(db, root, count_file, N_ROWS + (int64_t)kills * CKPT);
    unsetenv("GNV_FLAKY_SLEEP_US");
    unsetenv("GNV_COUNT_FILE");
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backfill_process_group_killed),
        cmocka_unit_test(test_backfill_workers_killed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
