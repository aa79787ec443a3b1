/*
 * Concurrent writers: appends from several processes at once all land (a lost race is
 * rebased and retried, never a conflict), and operations that really conflict run again
 * as many times as the database's conflict_retries (or GENEVA_CONFLICT_RETRIES) allow,
 * then fail with GNV_ECONFLICT saying so.
 */
#include <sys/wait.h>

#include "gnv_test.h"

#include "table/table.h"

#define WRITERS 6
#define APPENDS 25

static void one_row_stream(struct ArrowArrayStream *st, int64_t id)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__type_from_string(&s, "struct<id: int64>", ""));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    GNV_ASSERT_OK(gnv__array_append_int(a.children[0], id));
    GNV_ASSERT_OK(gnv__array_finish_element(&a));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__stream_from_arrays(st, &s, &a, 1));
    gnv__schema_release(&s);
}

/* WRITERS processes append APPENDS one-row batches each, all at once: every append
 * lands, each id exactly once. */
static void test_concurrent_appends(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db;
    gnv_table *t;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    struct ArrowArrayStream st;
    one_row_stream(&st, -1);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "t", &st, NULL, NULL));
    gnv__stream_release(&st);
    gnv_table_close(t);
    int go[2];
    assert_int_equal(pipe(go), 0);
    fflush(NULL);
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            char c;
            close(go[1]);
            if (read(go[0], &c, 1) != 0) /* starts when the pipe closes */
                _exit(3);
            gnv_db *cdb;
            gnv_table *ct;
            if (gnv_db_open(&cdb, dir, NULL) != GNV_OK ||
                gnv_db_open_table(&ct, cdb, "t") != GNV_OK)
                _exit(2);
            for (int i = 0; i < APPENDS; i++) {
                struct ArrowArrayStream s;
                one_row_stream(&s, w * 1000 + i);
                int rc = gnv_table_add(ct, &s, NULL);
                gnv__stream_release(&s);
                if (rc != GNV_OK) {
                    fprintf(stderr, "writer %d: %s\n", w, gnv_error_last()->message);
                    _exit(1);
                }
            }
            gnv_table_close(ct);
            gnv_db_close(cdb);
            _exit(0);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    assert_int_equal(gnv_table_version(t), 1 + WRITERS * APPENDS);
    int64_t n = 0;
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    assert_int_equal(n, 1 + WRITERS * APPENDS);
    for (int w = 0; w < WRITERS; w++) {
        char where[64];
        snprintf(where, sizeof where, "id >= %d AND id < %d", w * 1000, w * 1000 + APPENDS);
        GNV_ASSERT_OK(gnv_table_count_rows_where(t, where, &n));
        assert_int_equal(n, APPENDS);
    }
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* An operation that keeps conflicting: fails `conflicts` times, then succeeds. */
typedef struct flaky_op {
    int calls, conflicts;
    int then; /* what it returns after the conflicts */
} flaky_op;

static int flaky_once(gnv_table *t, void *payload)
{
    (void)t;
    flaky_op *op = payload;
    if (op->calls++ < op->conflicts)
        return gnv__error_set(GNV_ECONFLICT, GNV_SUB_TABLE,
                              "our update conflicts with the delete committed as version 7");
    if (op->then < 0)
        return gnv__error_set(op->then, GNV_SUB_TABLE, "no column 'x'");
    return GNV_OK;
}

static void test_conflict_retries(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db;
    gnv_table *t;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    struct ArrowArrayStream st;
    one_row_stream(&st, 1);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "t", &st, NULL, NULL));
    gnv__stream_release(&st);
    unsetenv("GENEVA_CONFLICT_RETRIES");

    /* the default: 10 retries */
    flaky_op op = {0, 10, 0};
    GNV_ASSERT_OK(gnv__retry_conflicts(t, flaky_once, &op));
    assert_int_equal(op.calls, 11);
    op = (flaky_op){0, 11, 0};
    GNV_ASSERT_ERR(gnv__retry_conflicts(t, flaky_once, &op), GNV_ECONFLICT,
                   "committed as version 7 (gave up after 10 retries)");
    assert_int_equal(op.calls, 11);

    /* the environment */
    setenv("GENEVA_CONFLICT_RETRIES", "2", 1);
    op = (flaky_op){0, 5, 0};
    GNV_ASSERT_ERR(gnv__retry_conflicts(t, flaky_once, &op), GNV_ECONFLICT, "after 2 retries");
    assert_int_equal(op.calls, 3);
    setenv("GENEVA_CONFLICT_RETRIES", "0", 1);
    op = (flaky_op){0, 1, 0};
    GNV_ASSERT_ERR(gnv__retry_conflicts(t, flaky_once, &op), GNV_ECONFLICT, "after 0 retries");
    assert_int_equal(op.calls, 1);
    setenv("GENEVA_CONFLICT_RETRIES", "lots", 1); /* not a number: the default */
    op = (flaky_op){0, 10, 0};
    GNV_ASSERT_OK(gnv__retry_conflicts(t, flaky_once, &op));
    unsetenv("GENEVA_CONFLICT_RETRIES");

    /* invalid arguments: the caller's mistake on the first run, a conflict on a retry
     * (the table changed under arguments the first run accepted) */
    op = (flaky_op){0, 0, GNV_EINVAL};
    GNV_ASSERT_ERR(gnv__retry_conflicts(t, flaky_once, &op), GNV_EINVAL, "no column 'x'");
    op = (flaky_op){0, 1, GNV_EINVAL};
    GNV_ASSERT_ERR(gnv__retry_conflicts(t, flaky_once, &op), GNV_ECONFLICT,
                   "changed before the operation ran again: no column 'x'");
    gnv_table_close(t);
    gnv_db_close(db);

    /* the database's option wins over the environment */
    setenv("GENEVA_CONFLICT_RETRIES", "50", 1);
    gnv_db_options o = GNV_DB_OPTIONS_INIT;
    o.conflict_retries = 3;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, &o));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    op = (flaky_op){0, 4, 0};
    GNV_ASSERT_ERR(gnv__retry_conflicts(t, flaky_once, &op), GNV_ECONFLICT, "after 3 retries");
    assert_int_equal(op.calls, 4);
    unsetenv("GENEVA_CONFLICT_RETRIES");
    gnv_table_close(t);
    gnv_db_close(db);
    o.conflict_retries = -5;
    GNV_ASSERT_ERR(gnv_db_open(&db, dir, &o), GNV_EINVAL, "conflict_retries");
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_appends),
        cmocka_unit_test(test_conflict_retries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
