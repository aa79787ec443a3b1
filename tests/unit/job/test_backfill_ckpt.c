/*
 * Backfill checkpoints as files of row ranges: their names, resuming from files of
 * other sizes than the new run's, removing the ones a plan cannot use, the memory
 * bound of one call, and the new data file written in chunks.
 */
#include "gnv_test_job.h"

#include <dirent.h>
#include <inttypes.h>

#include "job/job.h"

static void test_ckpt_names(void **state)
{
    (void)state;
    gnv__ckpt_name n;
    const char *key = "0123456789abcdef0123456789abcdef01234567";
    char name[200];
    snprintf(name, sizeof name, "f12-3-%s-100-250.arrow", key);
    assert_true(gnv__ckpt_parse_name(name, &n));
    assert_int_equal(n.field_id, 12);
    assert_int_equal(n.frag_id, 3);
    assert_string_equal(n.key, key);
    assert_int_equal(n.start, 100);
    assert_int_equal(n.end, 250);
    const char *bad[] = {
        "f12-3-0123456789abcdef0123456789abcdef01234567.arrow",         /* no range */
        "f12-3-0123456789abcdef0123456789abcdef01234567-250-100.arrow", /* empty */
        "f12-3-0123456789abcdef0123456789abcdef01234567-5-5.arrow",
        "f12-3-0123456789ABCDEF0123456789abcdef01234567-0-5.arrow", /* not our hex */
        "f12-3-0123456789abcdef0123456789abcdef0123456-0-5.arrow",  /* short key */
        "f12-3-0123456789abcdef0123456789abcdef01234567-0-5.arrow.tmp",
        "f99999999999-3-0123456789abcdef0123456789abcdef01234567-0-5.arrow",
        "f12-3-0123456789abcdef0123456789abcdef01234567-0-99999999999999999999.arrow",
        "g12-3-0123456789abcdef0123456789abcdef01234567-0-5.arrow",
        "f-3-0123456789abcdef0123456789abcdef01234567-0-5.arrow",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(gnv__ckpt_parse_name(bad[i], &n));
}

/* The checkpoint files of the table's checkpoint directory: how many, and the sum of
 * their row ranges. */
static int ckpt_files(const char *dir, int64_t *rows)
{
    DIR *d = opendir(dir);
    int n = 0;
    *rows = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        gnv__ckpt_name cn;
        if (gnv__ckpt_parse_name(e->d_name, &cn)) {
            n++;
            *rows += cn.end - cn.start;
        }
    }
    closedir(d);
    return n;
}

static void check_double(gnv_table *t, const char *col, int n)
{
    static int64_t v[400];
    assert_true(n <= 400);
    assert_int_equal(gnv_test_read_int_col(t, col, v, NULL, n, -2), n);
    for (int i = 0; i < n; i++)
        assert_int_equal(v[i], 2 * i);
}

/* A run stopped by a failure leaves files of its adaptive call sizes; a run with other
 * sizes takes those whose ends fall on its batch boundaries and computes the rest. */
static void test_resume_other_sizes(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/t.lance/_geneva/checkpoints", root);
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = gnv_test_job_table(db, "t", 300, 1000, 0, 0);
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "c", "id", NULL);
    gnv_backfill_stats st;
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    /* inline: one task after the other (what a failure leaves), and the calls counted
     * in this process */
    o.executor = GNV_EXECUTOR_INLINE;
    o.min_checkpoint_size = 10;
    o.max_checkpoint_size = 40;
    setenv("GNV_FLAKY_FAIL_ID", "250", 1);
    assert_int_equal(gnv_table_backfill(t, "c", &o, &st), GNV_EUDF);
    unsetenv("GNV_FLAKY_FAIL_ID");
    int64_t rows;
    int files = ckpt_files(dir, &rows);
    /* tasks of 150 rows; calls of 10 rows, then of 40 (quick calls grow up to max):
     * [0, 10), [10, 50), [50, 90), [90, 130), [130, 150) and [150, 190), [190, 230);
     * the call of [230, 270) failed */
    assert_int_equal(files, 7);
    assert_int_equal(rows, 230);

    /* fixed batches of 10: every file ends on a boundary */
    int64_t calls = gnv__backfill_udf_calls;
    gnv_backfill_options f = GNV_BACKFILL_OPTIONS_INIT;
    f.executor = GNV_EXECUTOR_INLINE;
    f.checkpoint_size = 10;
    GNV_ASSERT_OK(gnv_table_backfill(t, "c", &f, &st));
    assert_int_equal(st.batches, 30);
    assert_int_equal(st.batches_reused, 23);
    assert_int_equal(gnv__backfill_udf_calls - calls, 7);
    check_double(t, "c", 300);
    assert_int_equal(ckpt_files(dir, &rows), 0); /* committed: removed */

    /* batches of 30 then of 20: no file fits, all are removed and computed again */
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    f.checkpoint_size = 30;
    setenv("GNV_FLAKY_FAIL_ID", "250", 1);
    assert_int_equal(gnv_table_backfill(t, "d", &f, &st), GNV_EUDF);
    unsetenv("GNV_FLAKY_FAIL_ID");
    assert_int_equal(ckpt_files(dir, &rows), 8); /* [0, 30) ... [210, 240) */
    /* and a file of the old naming (no row range) */
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    char old[1400] = "";
    while ((e = readdir(d)) != NULL && !old[0]) {
        gnv__ckpt_name cn;
        if (gnv__ckpt_parse_name(e->d_name, &cn))
            snprintf(old, sizeof old, "%s/f%d-%" PRIu64 "-%s.arrow", dir, (int)cn.field_id,
                     cn.frag_id, cn.key);
    }
    closedir(d);
    FILE *fp = fopen(old, "w");
    assert_non_null(fp);
    fputs("stale", fp);
    fclose(fp);
    assert_int_equal(gnv_test_count_files(dir), 9);
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "d", &f, &st)); /* a plan removes nothing */
    assert_int_equal(gnv_test_count_files(dir), 9);
    f.checkpoint_size = 20;
    calls = gnv__backfill_udf_calls;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &f, &st));
    assert_int_equal(st.batches_reused, 0);
    assert_int_equal(gnv__backfill_udf_calls - calls, 15);
    check_double(t, "d", 300);
    assert_int_equal(gnv_test_count_files(dir), 0);

    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* With the default sizing, one call's inputs stay within a few MiB: rows of 256 KiB
 * strings are computed a few at a time, while the checkpoint grows past them. */
static void test_call_memory_bound(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "u", "name", ARROW_FLAG_NULLABLE));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    size_t big = 256 * 1024 - 64; /* 4 rows (and their offsets) in 1 MiB */
    char *text = gnv__malloc(big);
    assert_non_null(text);
    memset(text, 'x', big);
    for (int i = 0; i < 64; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        GNV_ASSERT_OK(gnv__array_append_bytes(a.children[1], text, big - (size_t)i));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    gnv__free(text);
    GNV_ASSERT_OK(gnv__array_finish(&a));
    gnv_table *t = gnv_test_create_table(db, "t", &s, &a, 1000);
    gnv_test_add_udf(t, GNV_TEST_DEMO, "text_len", "len", "name", NULL);
    gnv_backfill_stats st;
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE; /* the calls counted in this process */
    o.min_checkpoint_size = 4;        /* max left to the default: bounded by bytes */
    int64_t calls = gnv__backfill_udf_calls;
    GNV_ASSERT_OK(gnv_table_backfill(t, "len", &o, &st));
    /* tasks of 32 rows; 4 rows first (1 MiB), then at most 4 MiB of inputs (16 rows,
     * 4 batches) a call: 4 + 16 + 12, then 16 + 16 */
    assert_int_equal(gnv__backfill_udf_calls - calls, 5);
    int64_t v[64];
    assert_int_equal(gnv_test_read_int_col(t, "len", v, NULL, 64, -2), 64);
    for (int i = 0; i < 64; i++)
        assert_int_equal(v[i], (int64_t)big - i);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* A fragment larger than a write chunk, with deleted rows, rows computed now, rows
 * keeping the values of an earlier run and rows left NULL. */
static void test_large_fragment(void **state)
{
    (void)state;
    enum { N = 150000 };
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = gnv_test_job_table(db, "t", N, N, 0, 0);
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "c", "id", NULL);
    GNV_ASSERT_OK(gnv_table_delete(t, "id % 7 = 0", NULL));
    gnv_backfill_stats st;
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = "id < 100000";
    GNV_ASSERT_OK(gnv_table_backfill(t, "c", &o, &st));
    o.where = "id % 2 = 0";
    GNV_ASSERT_OK(gnv_table_backfill(t, "c", &o, &st));
    int64_t *v = gnv__malloc(N * sizeof *v);
    assert_non_null(v);
    int64_t live = 0;
    for (int64_t i = 0; i < N; i++)
        live += i % 7 != 0;
    assert_int_equal(gnv_test_read_int_col(t, "c", v, NULL, N, -2), live);
    for (int64_t i = 0; i < N; i++) {
        int64_t want = i % 7 == 0 ? -2 : (i < 100000 || i % 2 == 0) ? 2 * i : -1;
        if (v[i] != want)
            fail_msg("id %" PRId64 ": %" PRId64 ", want %" PRId64, i, v[i], want);
    }
    gnv__free(v);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* The first backfill of a column plans every live row without evaluating its filter:
 * rows deleted before it are not planned, in every fragment. */
static void test_first_backfill_after_deletes(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = gnv_test_job_table(db, "t", 300, 100, 0, 0); /* 3 fragments */
    GNV_ASSERT_OK(gnv_table_delete(t, "id % 5 = 0 OR id >= 250", NULL));
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "c", "id", NULL);
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, "c", NULL, &st));
    assert_int_equal(st.rows, 200); /* 250 rows, a fifth deleted */
    assert_int_equal(st.fragments, 3);
    GNV_ASSERT_OK(gnv_table_backfill(t, "c", NULL, &st));
    assert_int_equal(st.rows_computed, 200);
    int64_t v[300];
    assert_int_equal(gnv_test_read_int_col(t, "c", v, NULL, 300, -2), 200);
    for (int i = 0; i < 300; i++)
        assert_int_equal(v[i], i % 5 == 0 || i >= 250 ? -2 : 2 * i);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ckpt_names),
        cmocka_unit_test(test_resume_other_sizes),
        cmocka_unit_test(test_call_memory_bound),
        cmocka_unit_test(test_large_fragment),
        cmocka_unit_test(test_first_backfill_after_deletes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
