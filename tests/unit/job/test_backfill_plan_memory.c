/*
 * What a backfill's plan holds in memory: two bytes a batch, and a list of rows of a
 * fragment only when its matching rows are not simply its first rows (deletions, a
 * filter): the matching rows, or the others when they are fewer. The library's allocations go
 * through a counting allocator installed before any of them, which tracks the peak of bytes in use.
 * (A filter's own scan takes memory of its batches, and varies with its read-ahead: measured here
 * is the first backfill, which has no filter to evaluate.)
 */
#include "gnv_test_job.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Each block carries its size in front (16 bytes keep the alignment of malloc's). */
typedef struct block {
    size_t size;
    size_t pad;
} block;

static _Atomic int64_t in_use, peak;

static void track(int64_t delta)
{
    int64_t now = atomic_fetch_add(&in_use, delta) + delta;
    int64_t p = atomic_load(&peak);
    while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
        ;
}

static void *count_malloc(size_t size, void *payload)
{
    (void)payload;
    block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->size = size;
    track((int64_t)size);
    return b + 1;
}

static void *count_realloc(void *ptr, size_t size, void *payload)
{
    if (!ptr)
        return count_malloc(size, payload);
    block *b = (block *)ptr - 1;
    size_t old = b->size;
    block *n = realloc(b, sizeof *n + size);
    if (!n)
        return NULL;
    n->size = size;
    track((int64_t)size - (int64_t)old);
    return n + 1;
}

static void count_free(void *ptr, void *payload)
{
    (void)payload;
    if (!ptr)
        return;
    block *b = (block *)ptr - 1;
    track(-(int64_t)b->size);
    free(b);
}

/* Bytes the plan of column `col` of t took at its peak, beyond what was in use before. */
static int64_t plan_peak(gnv_table *t, const char *col, const char *where, gnv_backfill_stats *st)
{
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = where;
    int64_t base = atomic_load(&in_use);
    atomic_store(&peak, base);
    GNV_ASSERT_OK(gnv_table_plan_backfill(t, col, &o, st));
    return atomic_load(&peak) - base;
}

#define ROWS 300000

static void test_plan_keeps_no_rows(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = gnv_test_job_table(db, "t", ROWS, ROWS / 2, 0, 0); /* two fragments */
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);

    /* the first backfill (every live row): no row array, two bytes a batch of 100
     * rows (4 bytes a row would be 1.2 MB) */
    int64_t first = plan_peak(t, "d", NULL, &st);
    assert_int_equal(st.rows, ROWS);
    assert_true(first < ROWS / 4);

    /* rows 0..999 of a fragment, then one out of line: computed as selected */
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE;
    o.where = "id < 1000 OR id = 5000 OR id = 200000";
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    assert_int_equal(st.rows_computed, 1002);
    int64_t n = -1;
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d = id * 2", &n));
    assert_int_equal(n, 1002);
    GNV_ASSERT_OK(gnv_table_count_rows_where(
        t, "d IS NOT NULL AND NOT (id < 1000 OR id = 5000 OR id = 200000)", &n));
    assert_int_equal(n, 0);

    /* and the rest, planned as every live row */
    o.where = NULL;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    assert_int_equal(st.rows_computed, ROWS - 1002);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d IS NULL OR d <> id * 2", &n));
    assert_int_equal(n, 0);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* Where most rows match, the plan lists the others: a filter leaving out a few rows,
 * and deleted rows, under both executors. */
static void test_rows_listed_by_exclusion(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    gnv_backfill_stats st;
    int64_t n = -1;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = gnv_test_job_table(db, "u", 20000, 8000, 0, 0); /* 8000, 8000, 4000 */
    gnv_test_add_udf(t, GNV_TEST_FLAKY, "flaky_double", "d", "id", NULL);
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.executor = GNV_EXECUTOR_INLINE;
    o.where = "id % 100 <> 7 AND id <> 7999";
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    assert_int_equal(st.rows_computed, 20000 - 200 - 1);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d = id * 2", &n));
    assert_int_equal(n, 20000 - 200 - 1);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d IS NULL AND (id % 100 = 7 OR id = 7999)", &n));
    assert_int_equal(n, 201);

    /* deleted rows left out of a recompute by the process executor */
    GNV_ASSERT_OK(gnv_table_delete(t, "id % 500 = 3 OR id = 0 OR id = 19999", NULL));
    o.executor = GNV_EXECUTOR_PROCESS;
    o.concurrency = 2;
    o.where = "1=1";
    o.checkpoint_size = 300;
    GNV_ASSERT_OK(gnv_table_backfill(t, "d", &o, &st));
    assert_int_equal(st.rows_computed, 20000 - 40 - 2);
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "d IS NULL OR d <> id * 2", &n));
    assert_int_equal(n, 0);
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    assert_int_equal(n, 20000 - 40 - 2);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

int main(void)
{
    static const gnv_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    gnv_global_options g = GNV_GLOBAL_OPTIONS_INIT;
    g.allocator = &counting;
    if (gnv_global_init(&g) != GNV_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_keeps_no_rows),
        cmocka_unit_test(test_rows_listed_by_exclusion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
