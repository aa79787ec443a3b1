/*
 * Updating rows: the matching rows are deleted (deletion files) and written again with
 * their new values as a new fragment, in one Update transaction; values are SQL
 * expressions over the row, cast to the column's type; NULL for a non-nullable column,
 * a value that does not cast, an unknown column and a bad expression fail without a
 * new version; no match commits nothing; after a concurrent delete of the same fragment
 * the update runs again on the latest version; a crash or I/O error at any write leaves
 * the table as before or as after the update.
 */
#include "gnv_test_table.h"

#include "table/table.h"

typedef struct row {
    int64_t id;
    char name[32];
    bool score_null;
    double score;
} row;

/* Every row in scan order; returns the count. */
static int64_t rows_of(gnv_table *t, row *out, int64_t cap)
{
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_table_scan(t, NULL, &st));
    int64_t n = 0;
    struct ArrowArray a;
    while (gnv_test_next_batch(&st, &a)) {
        const struct ArrowArray *c0 = a.children[0], *c1 = a.children[1], *c2 = a.children[2];
        for (int64_t i = 0; i < a.length; i++, n++) {
            if (n >= cap)
                continue;
            row *r = &out[n];
            r->id = ((const int64_t *)c0->buffers[1])[c0->offset + i];
            const int32_t *off = (const int32_t *)c1->buffers[1] + c1->offset + i;
            snprintf(r->name, sizeof r->name, "%.*s", (int)(off[1] - off[0]),
                     (const char *)c1->buffers[2] + off[0]);
            int64_t k = c2->offset + i;
            const uint8_t *valid = c2->buffers[0];
            r->score_null = valid && !(valid[k >> 3] >> (k & 7) & 1);
            r->score = ((const double *)c2->buffers[1])[k];
        }
        a.release(&a);
    }
    st.release(&st);
    return n;
}

static void test_update(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_score_table(db, "u", 30, 10); /* fragments 0..2 */
    int64_t n = -1;
    if (gnv_table_count_rows_where(t, "id > 1", &n) == GNV_ENOTSUP) {
        gnv_table_close(t);
        gnv_db_close(db);
        gnv_test_rmdir(dir);
        skip();
    }
    /* ids 5..19 get a new name and score; an int64 expression cast to float64 */
    static const char *const cols[] = {"name", "score"};
    static const char *const vals[] = {"concat('x', name)", "id * 10"};
    GNV_ASSERT_OK(gnv_table_update(t, "id >= 5 AND id < 20", cols, vals, 2, &n));
    assert_int_equal(n, 15);
    assert_int_equal(gnv_table_version(t), 2);
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    assert_int_equal(n, 30);
    /* the old rows are deleted (fragment 1 whole), the new ones are a new fragment */
    assert_int_equal(t->m->n_fragments, 3);
    assert_int_equal(t->m->fragments[0]->id, 0);
    assert_int_equal(t->m->fragments[0]->deletion_file->num_deleted_rows, 5);
    assert_int_equal(t->m->fragments[1]->id, 2);
    assert_int_equal(t->m->fragments[2]->id, 3);
    assert_int_equal(t->m->fragments[2]->physical_rows, 15);
    row r[40];
    assert_int_equal(rows_of(t, r, 40), 30);
    assert_int_equal(r[4].id, 4);
    assert_string_equal(r[4].name, "n4");
    assert_int_equal(r[5].id, 20);
    assert_int_equal(r[15].id, 5);
    assert_string_equal(r[15].name, "xn5");
    assert_true(r[15].score == 50.0);
    assert_int_equal(r[29].id, 19);
    assert_true(r[29].score == 190.0);
    gnv_version_info *vl = NULL;
    size_t nv = 0;
    GNV_ASSERT_OK(gnv_table_versions(t, &vl, &nv));
    assert_string_equal(vl[nv - 1].operation, "update");
    gnv_table_versions_free(vl, nv);

    /* every row (no where), NULL into a nullable column */
    static const char *const sc[] = {"score"};
    static const char *const null_v[] = {"NULL"};
    GNV_ASSERT_OK(gnv_table_update(t, NULL, sc, null_v, 1, &n));
    assert_int_equal(n, 30);
    assert_int_equal(rows_of(t, r, 40), 30);
    for (int i = 0; i < 30; i++)
        assert_true(r[i].score_null);
    assert_int_equal(t->m->n_fragments, 1); /* every old fragment removed */
    uint64_t v = gnv_table_version(t);

    /* errors, and no new version */
    static const char *const id_c[] = {"id"};
    GNV_ASSERT_ERR(gnv_table_update(t, "id = 3", id_c, null_v, 1, &n), GNV_EINVAL, "column 'id'");
    static const char *const bad_cast[] = {"'abc'"};
    GNV_ASSERT_ERR(gnv_table_update(t, NULL, id_c, bad_cast, 1, &n), GNV_EINVAL, "column 'id'");
    static const char *const nosuch[] = {"nosuch"};
    GNV_ASSERT_ERR(gnv_table_update(t, NULL, nosuch, null_v, 1, &n), GNV_EINVAL,
                   "no column 'nosuch'");
    static const char *const bad_expr[] = {"id +"};
    GNV_ASSERT_ERR(gnv_table_update(t, NULL, id_c, bad_expr, 1, &n), GNV_EINVAL,
                   "value of column 'id'");
    static const char *const twice[] = {"id", "id"};
    static const char *const two_v[] = {"1", "2"};
    GNV_ASSERT_ERR(gnv_table_update(t, NULL, twice, two_v, 2, &n), GNV_EINVAL, "twice");
    GNV_ASSERT_ERR(gnv_table_update(t, "nope", id_c, two_v, 1, &n), GNV_EINVAL, "where: ");
    GNV_ASSERT_ERR(gnv_table_update(t, NULL, id_c, two_v, 0, &n), GNV_EINVAL, "at least one");
    assert_int_equal(gnv_table_version(t), v);
    /* no match: nothing committed */
    GNV_ASSERT_OK(gnv_table_update(t, "id > 1000", id_c, two_v, 1, &n));
    assert_int_equal(n, 0);
    assert_int_equal(gnv_table_version(t), v);
    /* a concurrent delete of the same fragment: the update runs again on the latest */
    gnv_table *other = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&other, db, "u"));
    GNV_ASSERT_OK(gnv_table_delete(other, "id = 0", &n));
    assert_int_equal(n, 1);
    static const char *const nm[] = {"name"};
    static const char *const nv_[] = {"'again'"};
    GNV_ASSERT_OK(gnv_table_update(t, "id < 3", nm, nv_, 1, &n));
    assert_int_equal(n, 2);
    assert_int_equal(gnv_table_version(t), gnv_table_version(other) + 1);
    gnv_table_close(other);
    assert_int_equal(rows_of(t, r, 40), 29);
    assert_int_equal(r[27].id, 1);
    assert_string_equal(r[27].name, "again");
    /* a reopened handle agrees */
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "u"));
    assert_int_equal(rows_of(t, r, 40), 29);
    assert_int_equal(r[0].id, 3);
    assert_string_equal(r[0].name, "n3");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A fault at each write of an update: the table reads as before or as after it. */
static void run_faults(int fault)
{
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_score_table(db, "f", 20, 10);
    int64_t n = 0;
    if (gnv_table_count_rows_where(t, "id > 1", &n) == GNV_ENOTSUP) {
        gnv_table_close(t);
        gnv_db_close(db);
        gnv_test_rmdir(dir);
        skip();
    }
    gnv_table_close(t);
    gnv_db_close(db);
    static const char *const cols[] = {"name"};
    static const char *const vals[] = {"concat(name, '+')"};
    uint64_t version = 1;
    for (uint64_t k = 1;; k++) {
        gnv_db *fdb = NULL;
        gnv_io *fio = NULL;
        gnv_table *ft = gnv_test_fault_open(&fdb, &fio, dir, "f", fault, k);
        int rc = gnv_table_update(ft, "id >= 8 AND id < 12", cols, vals, 1, &n);
        uint64_t ops = gnv_io_fault_ops(fio);
        if (rc < 0)
            assert_int_equal(gnv_table_version(ft), version);
        gnv_test_fault_close(ft, fdb, fio);
        GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
        GNV_ASSERT_OK(gnv_db_open_table(&t, db, "f"));
        if (rc == GNV_OK || gnv_table_version(t) == version + 1)
            version++;
        assert_int_equal(gnv_table_version(t), version);
        row r[20];
        assert_int_equal(rows_of(t, r, 20), 20);
        /* each update appends one '+' to the names of ids 8..11, which move to the end */
        size_t plus = (size_t)(version - 1);
        for (int i = 0; i < 20; i++) {
            char want[40];
            int64_t id = r[i].id;
            snprintf(want, sizeof want, "n%lld%.*s", (long long)id,
                     id >= 8 && id < 12 ? (int)plus : 0, "++++++++++++++++++++++++");
            assert_string_equal(r[i].name, want);
        }
        gnv_table_close(t);
        gnv_db_close(db);
        if (ops < k)
            break;
    }
    assert_true(version > 2);
    gnv_test_rmdir(dir);
}

static void test_crash(void **state)
{
    (void)state;
    run_faults(GNV_IO_FAULT_CRASH);
    run_faults(GNV_IO_FAULT_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
