/*
 * Filtered scans of `a AND b` (table_read.c evaluates the second part only on the rows
 * the first passed; the expr module's fast path takes `a` or `b` when it compares a
 * column, or a column's remainder, with a constant): the rows are the filter's whatever
 * the first part's selectivity, with deleted rows, small batches, several fragments, on
 * one thread or several, and gnv_table_count_rows_where agrees.
 */
#include <stdlib.h>

#include "gnv_test_table.h"

#include "table/table.h"

#define N_ROWS   60000
#define PER_FILE 20000

/* id int64 0..n-1; g int32 = id % 4, NULL when id % 10 == 9; s utf8 = "x<id % 7>". */
static gnv_table *make_table(gnv_db *db, const char *name)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 3));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", 0));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "i", "g", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s.children[2], "u", "s", 0));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int64_t i = 0; i < N_ROWS; i++) {
        char text[8];
        snprintf(text, sizeof text, "x%d", (int)(i % 7));
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        if (i % 10 == 9)
            GNV_ASSERT_OK(gnv__array_append_null(a.children[1], 1));
        else
            GNV_ASSERT_OK(gnv__array_append_int(a.children[1], i % 4));
        GNV_ASSERT_OK(gnv__array_append_bytes(a.children[2], text, strlen(text)));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    return gnv_test_create_table(db, name, &s, &a, PER_FILE);
}

typedef bool (*pred)(int64_t id);

static bool g_is(int64_t id, int v)
{
    return id % 10 != 9 && id % 4 == v;
}

static bool p1(int64_t id) /* g = 1 AND s = 'x3' (the first part passes a fifth) */
{
    return g_is(id, 1) && id % 7 == 3;
}
static bool p2(int64_t id) /* id % 1000 = 7 AND s = 'x0' (one in a thousand) */
{
    return id % 1000 == 7 && id % 7 == 0;
}
static bool p3(int64_t id) /* s = 'x3' AND g = 1 */
{
    return p1(id);
}
static bool p4(int64_t id) /* id % 2 = 0 AND g IS NULL */
{
    return id % 2 == 0 && id % 10 == 9;
}
static bool p5(int64_t id) /* g > 0 AND id % 5 = 1 AND s <> 'x2' */
{
    return id % 10 != 9 && id % 4 > 0 && id % 5 == 1 && id % 7 != 2;
}
static bool p6(int64_t id) /* id < 100 AND s = 'x1' (only in the first batch) */
{
    return id < 100 && id % 7 == 1;
}

static const struct {
    const char *where;
    pred p;
} filters[] = {
    {"g = 1 AND s = 'x3'", p1},
    {"id % 1000 = 7 AND s = 'x0'", p2},
    {"s = 'x3' AND g = 1", p3},
    {"id % 2 = 0 AND g IS NULL", p4},
    {"g > 0 AND id % 5 = 1 AND s <> 'x2'", p5},
    {"id < 100 AND s = 'x1'", p6},
};

/* The ids a scan with `where` gives (batches of batch_rows), checked against p over the
 * live rows (deleted: id % 13 == 5). */
static void check(gnv_table *t, const char *where, pred p, int64_t batch_rows)
{
    static const char *const cols[] = {"id"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.where = where;
    o.columns = cols;
    o.n_columns = 1;
    o.batch_rows = batch_rows;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
    int64_t want = 0, next = 0;
    struct ArrowArray a;
    while (gnv_test_next_batch(&st, &a)) {
        const struct ArrowArray *c = a.children[0];
        for (int64_t i = 0; i < c->length; i++) {
            int64_t id = ((const int64_t *)c->buffers[1])[c->offset + i];
            while (next < id) { /* rows skipped must not match */
                if (next % 13 != 5 && p(next))
                    fail_msg("%s: row %lld is missing", where, (long long)next);
                next++;
            }
            if (id % 13 == 5 || !p(id))
                fail_msg("%s: row %lld should not be there", where, (long long)id);
            next = id + 1;
            want++;
        }
        a.release(&a);
    }
    st.release(&st);
    for (; next < N_ROWS; next++)
        if (next % 13 != 5 && p(next))
            fail_msg("%s: row %lld is missing", where, (long long)next);
    int64_t n = -1;
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, where, &n));
    assert_int_equal(n, want);
}

static void test_split(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = make_table(db, "t");
    int64_t deleted = 0;
    GNV_ASSERT_OK(gnv_table_delete(t, "id % 13 = 5", &deleted));
    assert_true(deleted > 0);
    static const char *const threads[] = {"1", "2"};
    for (size_t th = 0; th < GNV_ARRAY_SIZE(threads); th++) {
        setenv("GENEVA_SCAN_THREADS", threads[th], 1);
        for (size_t i = 0; i < GNV_ARRAY_SIZE(filters); i++) {
            check(t, filters[i].where, filters[i].p, 0);
            check(t, filters[i].where, filters[i].p, 1000);
        }
    }
    unsetenv("GENEVA_SCAN_THREADS");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
