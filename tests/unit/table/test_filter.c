/*
 * Scans with a SQL filter (gnv_scan_options.where): only the matching rows, only the
 * projected columns (the filter's own columns need not be projected), offset and limit
 * counted after the filter, across fragments and batches and with deleted rows,
 * _rowid/_rowaddr in filters, errors naming the filter, and options of version 1
 * (which have no `where`).
 */
#include "gnv_test_table.h"

#include "table/table.h"

/* A table of n rows, id 0..n-1 (int64), g = id % 4 (int32, NULL when id % 10 == 9), in
 * files of per_file rows. */
static gnv_table *make_table(gnv_db *db, const char *name, int64_t n, int64_t per_file)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", 0));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "i", "g", ARROW_FLAG_NULLABLE));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int64_t i = 0; i < n; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        if (i % 10 == 9)
            GNV_ASSERT_OK(gnv__array_append_null(a.children[1], 1));
        else
            GNV_ASSERT_OK(gnv__array_append_int(a.children[1], i % 4));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    return gnv_test_create_table(db, name, &s, &a, per_file);
}

/* Scan with where/columns/offset/limit/batch_rows; the first column's int64 values go
 * to out (at most cap); returns the row count and checks every batch's width. */
static int64_t scan(gnv_table *t,
                    const char *where,
                    const char *const *cols,
                    size_t n_cols,
                    int64_t offset,
                    int64_t limit,
                    int64_t batch_rows,
                    int64_t *out,
                    int64_t cap)
{
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.where = where;
    o.columns = cols;
    o.n_columns = n_cols;
    o.offset = offset;
    o.limit = limit;
    o.batch_rows = batch_rows;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
    struct ArrowSchema sc;
    assert_int_equal(st.get_schema(&st, &sc), 0);
    assert_int_equal(sc.n_children, (int64_t)n_cols);
    sc.release(&sc);
    int64_t n = 0;
    struct ArrowArray a;
    while (gnv_test_next_batch(&st, &a)) {
        assert_int_equal(a.n_children, (int64_t)n_cols);
        assert_true(a.length > 0 && (batch_rows == 0 || a.length <= batch_rows));
        for (int64_t i = 0; i < a.length; i++, n++)
            if (n < cap && n_cols > 0)
                out[n] = ((const int64_t *)a.children[0]->buffers[1])[a.children[0]->offset + i];
        a.release(&a);
    }
    st.release(&st);
    return n;
}

static void test_where(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = make_table(db, "f", 100, 30);
    int64_t v[100];
    static const char *const id[] = {"id"};
    int rc;
    /* g = 1: ids 1, 5, 13, ... (not 9, 29, ...: NULL g) */
    int64_t n = scan(t, "g = 1", id, 1, 0, -1, 0, v, 100);
    int64_t want = 0;
    for (int64_t i = 0; i < 100; i++)
        if (i % 10 != 9 && i % 4 == 1) {
            assert_int_equal(v[want], i);
            want++;
        }
    assert_int_equal(n, want);
    /* small batches across fragments, offset and limit counted after the filter */
    n = scan(t, "g = 1", id, 1, 3, 5, 4, v, 100);
    assert_int_equal(n, 5);
    assert_int_equal(v[0], 17);
    assert_int_equal(v[4], 37);
    /* NULL counts as false; IS NULL */
    assert_int_equal(scan(t, "g IS NULL", id, 1, 0, -1, 0, v, 100), 10);
    assert_int_equal(v[9], 99);
    assert_int_equal(scan(t, "NOT (g = 1) OR g IS NULL", id, 1, 0, -1, 0, v, 100), 100 - want);
    /* no projected column: only the count of rows */
    static const char *const none[] = {NULL};
    assert_int_equal(scan(t, "id >= 95", none, 0, 0, -1, 0, v, 0), 5);
    /* the pseudo-columns */
    static const char *const rid[] = {"id", "_rowid"};
    assert_int_equal(scan(t, "_rowid = 4294967298", rid, 2, 0, -1, 0, v, 100), 1);
    assert_int_equal(v[0], 32);
    assert_int_equal(scan(t, "_rowaddr < 3", id, 1, 0, -1, 0, v, 100), 3);
    /* constant filters */
    assert_int_equal(scan(t, "1 = 1", id, 1, 0, -1, 7, v, 100), 100);
    assert_int_equal(scan(t, "false", id, 1, 0, -1, 0, v, 100), 0);
    /* with deleted rows */
    int64_t deleted = 0;
    GNV_ASSERT_OK(gnv_table_delete(t, "id % 2 = 0", &deleted));
    assert_int_equal(deleted, 50);
    n = scan(t, "g = 1 OR g = 3", id, 1, 0, -1, 3, v, 100);
    assert_int_equal(n, 50 - 10);
    assert_int_equal(v[0], 1);
    assert_int_equal(v[1], 3);
    int64_t c = 0;
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "g = 3", &c));
    assert_int_equal(c, 20);

    /* errors name the filter */
    struct ArrowArrayStream st;
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.where = "nosuch > 1";
    GNV_ASSERT_ERR(gnv_table_scan(t, &o, &st), GNV_EINVAL, "where: no column named 'nosuch'");
    o.where = "id >";
    GNV_ASSERT_ERR(gnv_table_scan(t, &o, &st), GNV_EINVAL, "where: ");
    o.where = "id + 1";
    rc = gnv_table_scan(t, &o, &st);
    if (rc == GNV_OK) { /* a non-boolean filter may fail when evaluated */
        struct ArrowArray a;
        assert_int_not_equal(st.get_next(&st, &a), 0);
        assert_non_null(strstr(st.get_last_error(&st), "where: "));
        st.release(&st);
    } else {
        assert_non_null(strstr(gnv_error_last()->message, "where: "));
    }
    /* version-1 options have no `where`: every row */
    o = (gnv_scan_options)GNV_SCAN_OPTIONS_INIT;
    o.version = 1;
    o.where = "this is not read";
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
    st.release(&st);

    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_where),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
