/*
 * Filtered scans with the filter evaluated on worker threads (GENEVA_SCAN_THREADS > 1)
 * return what the serial scan returns: the same rows in the same order, with offsets,
 * projected and pseudo-columns, across fragments with deleted rows, counts and deletes;
 * an error on a worker thread reaches the caller with its message.
 */
#include "gnv_test.h"

#include "table/table.h"

#define ROWS     30000
#define PER_FILE 7000

/* id 0..n-1, g = id % 5 (NULL when id % 11 == 4), s = the id as text ("bad" at id 25001),
 * in files of PER_FILE rows; then the rows with id % 7 == 3 deleted. */
static gnv_table *make_table(gnv_db *db, const char *name)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 3));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", 0));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "i", "g", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s.children[2], "u", "s", ARROW_FLAG_NULLABLE));
    struct ArrowArray *a = calloc(1, sizeof *a);
    GNV_ASSERT_OK(gnv__array_init(a, &s));
    for (int64_t i = 0; i < ROWS; i++) {
        char txt[32];
        snprintf(txt, sizeof txt, "%lld", (long long)i);
        GNV_ASSERT_OK(gnv__array_append_int(a->children[0], i));
        if (i % 11 == 4)
            GNV_ASSERT_OK(gnv__array_append_null(a->children[1], 1));
        else
            GNV_ASSERT_OK(gnv__array_append_int(a->children[1], i % 5));
        const char *v = i == 25001 ? "bad" : txt;
        GNV_ASSERT_OK(gnv__array_append_bytes(a->children[2], v, strlen(v)));
        GNV_ASSERT_OK(gnv__array_finish_element(a));
    }
    GNV_ASSERT_OK(gnv__array_finish(a));
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &s, a, 1));
    free(a);
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.max_rows_per_file = PER_FILE;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, name, &st, NULL, &co));
    st.release(&st);
    int64_t deleted = 0;
    GNV_ASSERT_OK(gnv_table_delete(t, "id % 7 = 3", &deleted));
    assert_int_equal(deleted, (ROWS + 3) / 7);
    return t;
}

/* The id and _rowaddr of every row a filtered scan returns (columns id, _rowaddr). */
typedef struct rows {
    int64_t n;
    int64_t id[ROWS];
    uint64_t addr[ROWS];
} rows;

static void scan_rows(gnv_table *t, const char *where, int64_t offset, int64_t batch, rows *out)
{
    static const char *const cols[] = {"id", "_rowaddr"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.where = where;
    o.columns = cols;
    o.n_columns = 2;
    o.offset = offset;
    o.batch_rows = batch;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
    out->n = 0;
    for (;;) {
        struct ArrowArray a;
        int rc = st.get_next(&st, &a);
        if (rc != 0)
            fail_msg("get_next: %s", st.get_last_error(&st));
        if (!a.release)
            break;
        const struct ArrowArray *c0 = a.children[0], *c1 = a.children[1];
        for (int64_t i = 0; i < a.length; i++) {
            assert_true(out->n < ROWS);
            out->id[out->n] = ((const int64_t *)c0->buffers[1])[c0->offset + i];
            out->addr[out->n] = ((const uint64_t *)c1->buffers[1])[c1->offset + i];
            out->n++;
        }
        a.release(&a);
    }
    st.release(&st);
}

static void threads(const char *n)
{
    assert_int_equal(setenv("GENEVA_SCAN_THREADS", n, 1), 0);
}

static void test_same_rows(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = make_table(db, "p");
    static rows serial, par;
    static const char *const filters[] = {
        "g = 1",
        "g IS NULL",
        "id % 3 = 0 AND s <> '9999'",
        "_rowaddr % 2 = 0",
        "id < 0",
        "id >= 29990 OR id < 5",
    };
    static const int64_t offsets[] = {0, 1234};
    static const int64_t batches[] = {0, 777};
    for (size_t f = 0; f < GNV_ARRAY_SIZE(filters); f++)
        for (size_t o = 0; o < GNV_ARRAY_SIZE(offsets); o++)
            for (size_t b = 0; b < GNV_ARRAY_SIZE(batches); b++) {
                threads("1");
                scan_rows(t, filters[f], offsets[o], batches[b], &serial);
                threads("3");
                scan_rows(t, filters[f], offsets[o], batches[b], &par);
                if (par.n != serial.n)
                    fail_msg("'%s' offset %lld batch %lld: %lld rows on threads, %lld serial",
                             filters[f], (long long)offsets[o], (long long)batches[b],
                             (long long)par.n, (long long)serial.n);
                for (int64_t i = 0; i < serial.n; i++) {
                    assert_int_equal(par.id[i], serial.id[i]);
                    assert_int_equal(par.addr[i], serial.addr[i]);
                }
            }
    /* the first filter's rows, checked against the table's definition */
    threads("2");
    scan_rows(t, "g = 1", 0, 500, &par);
    int64_t k = 0;
    for (int64_t i = 0; i < ROWS; i++)
        if (i % 7 != 3 && i % 11 != 4 && i % 5 == 1) {
            assert_true(k < par.n);
            assert_int_equal(par.id[k], i);
            assert_int_equal(par.addr[k],
                             (uint64_t)(i / PER_FILE) << 32 | (uint64_t)(i % PER_FILE));
            k++;
        }
    assert_int_equal(par.n, k);

    /* counts and deletes agree */
    int64_t c1 = 0, c2 = 0;
    threads("1");
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "g = 2 OR id % 13 = 0", &c1));
    threads("4");
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "g = 2 OR id % 13 = 0", &c2));
    assert_int_equal(c1, c2);
    int64_t deleted = 0;
    GNV_ASSERT_OK(gnv_table_delete(t, "g = 2 OR id % 13 = 0", &deleted));
    assert_int_equal(deleted, c2);
    threads("1");
    GNV_ASSERT_OK(gnv_table_count_rows_where(t, "g = 2 OR id % 13 = 0", &c1));
    assert_int_equal(c1, 0);

    gnv_table_close(t);
    gnv_db_close(db);
    unsetenv("GENEVA_SCAN_THREADS");
    gnv_test_rmdir(dir);
}

/* An error while a worker thread evaluates the filter: the scan fails with its message. */
static void test_worker_error(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = make_table(db, "e");
    static const char *const cols[] = {"id"};
    for (int th = 1; th <= 3; th += 2) {
        threads(th == 1 ? "1" : "3");
        gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
        o.where = "CAST(s AS BIGINT) >= 0";
        o.columns = cols;
        o.n_columns = 1;
        o.batch_rows = 1000;
        struct ArrowArrayStream st;
        GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
        int64_t n = 0;
        int rc = 0;
        for (;;) {
            struct ArrowArray a;
            rc = st.get_next(&st, &a);
            if (rc != 0 || !a.release)
                break;
            n += a.length;
            a.release(&a);
        }
        assert_int_not_equal(rc, 0);
        const char *msg = st.get_last_error(&st);
        assert_non_null(msg);
        if (!strstr(msg, "cannot cast") || !strstr(msg, "bad"))
            fail_msg("threads %d: unexpected message: %s", th, msg);
        assert_true(n < 25001); /* the batches before the bad row, at most */
        st.release(&st);
        int64_t c = 0;
        GNV_ASSERT_ERR(gnv_table_count_rows_where(t, "CAST(s AS BIGINT) >= 0", &c), GNV_EINVAL,
                       "cannot cast");
    }
    /* a scan dropped while batches are in flight */
    threads("3");
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.where = "g = 0";
    o.columns = cols;
    o.n_columns = 1;
    o.batch_rows = 100;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
    struct ArrowArray a;
    assert_int_equal(st.get_next(&st, &a), 0);
    assert_non_null(a.release);
    a.release(&a);
    st.release(&st);
    gnv_table_close(t);
    gnv_db_close(db);
    unsetenv("GENEVA_SCAN_THREADS");
    gnv_test_rmdir(dir);
}

/* A filter that fails on a deleted row only: the scan skips that row, as if the filter
 * only ever saw live rows (batches with deleted rows are first tried whole). */
static void test_error_in_deleted_row(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = make_table(db, "d");
    int64_t deleted = 0, live = 0, c = 0;
    GNV_ASSERT_OK(gnv_table_delete(t, "id = 25001", &deleted));
    assert_int_equal(deleted, 1);
    GNV_ASSERT_OK(gnv_table_count_rows(t, &live));
    for (int th = 1; th <= 2; th++) {
        threads(th == 1 ? "1" : "2");
        GNV_ASSERT_OK(gnv_table_count_rows_where(t, "CAST(s AS BIGINT) >= 0", &c));
        assert_int_equal(c, live);
        GNV_ASSERT_OK(gnv_table_count_rows_where(t, "CAST(s AS BIGINT) % 2 = 1", &c));
        int64_t odd = 0;
        for (int64_t i = 0; i < ROWS; i++)
            odd += i % 7 != 3 && i != 25001 && i % 2 == 1;
        assert_int_equal(c, odd);
    }
    gnv_table_close(t);
    gnv_db_close(db);
    unsetenv("GENEVA_SCAN_THREADS");
    gnv_test_rmdir(dir);
}

/* `a AND b` with b comparisons only: b is evaluated on the rows a passed, reading its
 * columns for those rows; the rows are those of the whole filter. A part that can fail is
 * evaluated over every row (its errors are not hidden by the other part). */
static void test_and_split(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = make_table(db, "a");
    static rows got;
    for (int th = 1; th <= 2; th++) {
        threads(th == 1 ? "1" : "2");
        /* (id % 3 = 0) first: the second part reads s for a third of the rows */
        scan_rows(t, "s <> '9999' AND id % 3 = 0", 0, 700, &got);
        int64_t k = 0;
        for (int64_t i = 0; i < ROWS; i++)
            if (i % 7 != 3 && i % 3 == 0 && i != 9999) {
                assert_true(k < got.n);
                assert_int_equal(got.id[k++], i);
            }
        assert_int_equal(got.n, k);
        /* NULLs in the first part: not TRUE, so not passed on */
        scan_rows(t, "g = 1 AND s >= '2'", 0, 0, &got);
        k = 0;
        for (int64_t i = 0; i < ROWS; i++) {
            char txt[32];
            snprintf(txt, sizeof txt, "%s", i == 25001 ? "bad" : "");
            if (i != 25001)
                snprintf(txt, sizeof txt, "%lld", (long long)i);
            if (i % 7 != 3 && i % 11 != 4 && i % 5 == 1 && strcmp(txt, "2") >= 0) {
                assert_true(k < got.n);
                assert_int_equal(got.id[k++], i);
            }
        }
        assert_int_equal(got.n, k);
        int64_t c = 0;
        GNV_ASSERT_ERR(gnv_table_count_rows_where(t, "id = 0 AND CAST(s AS BIGINT) > 0", &c),
                       GNV_EINVAL, "cannot cast");
        GNV_ASSERT_ERR(gnv_table_count_rows_where(t, "CAST(s AS BIGINT) > 0 AND id = 0", &c),
                       GNV_EINVAL, "cannot cast");
    }
    gnv_table_close(t);
    gnv_db_close(db);
    unsetenv("GENEVA_SCAN_THREADS");
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_rows),
        cmocka_unit_test(test_worker_error),
        cmocka_unit_test(test_error_in_deleted_row),
        cmocka_unit_test(test_and_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
