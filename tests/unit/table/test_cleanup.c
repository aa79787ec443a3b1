/*
 * gnv_table_cleanup: old versions and the files only they name go; the latest, tagged
 * and recent versions stay whole; unreferenced files are removed only when an old
 * version named them or they are past the grace period; dry runs remove nothing; a
 * crash at any removal leaves the kept versions readable and a second run finishes.
 */
#include "gnv_test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>

#include "arrow/arrow.h"
#include "geneva/sys/io.h"

/* ---- helpers -------------------------------------------------------------- */

/* A stream of one batch of ids first .. first+n-1 (column "id", int64). */
static void ids_stream(struct ArrowArrayStream *out, int64_t first, int64_t n)
{
    struct ArrowSchema s = {0};
    struct ArrowArray a = {0};
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 1));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int64_t i = 0; i < n; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], first + i));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__stream_from_arrays(out, &s, &a, 1));
}

static void create(gnv_db *db, const char *name, int64_t n, int mode)
{
    struct ArrowArrayStream in;
    gnv_table *t = NULL;
    gnv_create_table_options o = GNV_CREATE_TABLE_OPTIONS_INIT;
    o.mode = mode;
    ids_stream(&in, 0, n);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, name, &in, NULL, &o));
    gnv__stream_release(&in);
    gnv_table_close(t);
}

static void append(gnv_table *t, int64_t first, int64_t n)
{
    struct ArrowArrayStream in;
    ids_stream(&in, first, n);
    GNV_ASSERT_OK(gnv_table_add(t, &in, NULL));
    gnv__stream_release(&in);
}

/* Sum of the ids a full scan returns (and the row count through *rows). */
static int64_t id_sum(gnv_table *t, int64_t *rows)
{
    struct ArrowArrayStream s;
    struct ArrowArray a;
    int64_t sum = 0, n = 0;
    int rc;
    GNV_ASSERT_OK(gnv_table_scan(t, NULL, &s));
    while ((rc = gnv__stream_next(&s, &a)) == GNV_OK) {
        const int64_t *v = (const int64_t *)a.children[0]->buffers[1] + a.children[0]->offset;
        for (int64_t i = 0; i < a.length; i++)
            sum += v[a.offset + i];
        n += a.length;
        gnv__array_release(&a);
    }
    assert_int_equal(rc, GNV_ITEROVER);
    gnv__stream_release(&s);
    *rows = n;
    return sum;
}

static int count_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

static int files_in(const char *root, const char *table, const char *sub)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s.lance/%s", root, table, sub);
    return count_files(p);
}

static void check_versions(gnv_table *t, size_t want)
{
    gnv_version_info *v = NULL;
    size_t n = 0;
    GNV_ASSERT_OK(gnv_table_versions(t, &v, &n));
    assert_int_equal(n, want);
    gnv_table_versions_free(v, n);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_appends_keep_data(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    gnv_table *t = NULL, *old = NULL;
    gnv_cleanup_options o = GNV_CLEANUP_OPTIONS_INIT;
    gnv_cleanup_stats st;
    int64_t rows;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    create(db, "t", 10, GNV_CREATE_MODE_CREATE);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    append(t, 10, 10);
    append(t, 20, 10);
    append(t, 30, 10); /* versions 1..4 */
    assert_int_equal(files_in(dir, "t", "_versions"), 4);

    /* The default keeps a week of history: nothing goes. */
    GNV_ASSERT_OK(gnv_table_cleanup(t, NULL, &st));
    assert_int_equal(st.old_versions, 0);
    assert_int_equal(st.files_removed, 0);

    /* A dry run counts without removing. */
    o.older_than_seconds = 0;
    o.dry_run = 1;
    GNV_ASSERT_OK(gnv_table_cleanup(t, &o, &st));
    assert_int_equal(st.old_versions, 3);
    assert_int_equal(files_in(dir, "t", "_versions"), 4);

    o.dry_run = 0;
    GNV_ASSERT_OK(gnv_table_cleanup(t, &o, &st));
    assert_int_equal(st.old_versions, 3);
    assert_true(st.bytes_removed > 0);
    /* Old transactions go; every data file is still named by the latest version. */
    assert_int_equal(st.files_removed, 3);
    assert_int_equal(files_in(dir, "t", "_versions"), 1);
    assert_int_equal(files_in(dir, "t", "_transactions"), 1);
    assert_int_equal(files_in(dir, "t", "data"), 4);
    assert_int_equal(id_sum(t, &rows), 39 * 40 / 2);
    assert_int_equal(rows, 40);
    check_versions(t, 1);
    GNV_ASSERT_ERR(gnv_table_checkout(&old, t, 2), GNV_ENOTFOUND, "version 2");

    /* Again: nothing left to do. */
    GNV_ASSERT_OK(gnv_table_cleanup(t, &o, &st));
    assert_int_equal(st.old_versions + st.files_removed, 0);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_overwrite_frees_old_data_and_tags_keep(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    gnv_table *t = NULL, *tagged = NULL;
    gnv_cleanup_options o = GNV_CLEANUP_OPTIONS_INIT;
    gnv_cleanup_stats st;
    int64_t rows;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    create(db, "t", 5, GNV_CREATE_MODE_CREATE); /* v1: file A */
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    append(t, 5, 5); /* v2: A, B */
    GNV_ASSERT_OK(gnv_table_tag_create(t, "keep", 2));
    gnv_table_close(t);
    create(db, "t", 3, GNV_CREATE_MODE_OVERWRITE); /* v3: C */
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    create(db, "t", 2, GNV_CREATE_MODE_OVERWRITE); /* v4: D */
    GNV_ASSERT_OK(gnv_table_checkout_latest(t));
    assert_int_equal(files_in(dir, "t", "data"), 4);

    o.older_than_seconds = 0;
    GNV_ASSERT_OK(gnv_table_cleanup(t, &o, &st));
    /* v1 and v3 go; v2 is tagged, so A and B stay; C was only in v3. */
    assert_int_equal(st.old_versions, 2);
    assert_int_equal(files_in(dir, "t", "data"), 3);
    assert_int_equal(files_in(dir, "t", "_versions"), 2);
    GNV_ASSERT_OK(gnv_table_checkout_tag(&tagged, t, "keep"));
    assert_int_equal(id_sum(tagged, &rows), 45);
    assert_int_equal(rows, 10);
    assert_int_equal(id_sum(t, &rows), 1);
    assert_int_equal(rows, 2);

    /* A checkout cannot clean up. */
    GNV_ASSERT_ERR(gnv_table_cleanup(tagged, &o, &st), GNV_EINVAL, "checkout");
    gnv_table_close(tagged);

    /* Untagged, v2 goes with A and B. */
    GNV_ASSERT_OK(gnv_table_tag_delete(t, "keep"));
    GNV_ASSERT_OK(gnv_table_cleanup(t, &o, &st));
    assert_int_equal(st.old_versions, 1);
    assert_int_equal(files_in(dir, "t", "data"), 1);
    assert_int_equal(id_sum(t, &rows), 1);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void put_file(const char *path, time_t age_seconds)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("orphan", f);
    fclose(f);
    if (age_seconds) {
        struct utimbuf tb;
        tb.actime = tb.modtime = time(NULL) - age_seconds;
        assert_int_equal(utime(path, &tb), 0);
    }
}

static void test_unverified_files_wait_for_the_grace_period(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    char young[1024], old[1024];
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    gnv_cleanup_options o = GNV_CLEANUP_OPTIONS_INIT;
    gnv_cleanup_stats st;
    struct stat sb;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    create(db, "t", 5, GNV_CREATE_MODE_CREATE);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    /* Files of commits that never landed (or are landing now). */
    snprintf(young, sizeof young, "%s/t.lance/data/in-flight.lance", dir);
    snprintf(old, sizeof old, "%s/t.lance/data/abandoned.lance", dir);
    put_file(young, 0);
    put_file(old, 8 * 24 * 3600);

    o.older_than_seconds = 0;
    GNV_ASSERT_OK(gnv_table_cleanup(t, &o, &st));
    assert_int_equal(st.files_removed, 1);
    assert_int_equal(stat(old, &sb), -1);
    assert_int_equal(stat(young, &sb), 0);

    o.delete_unverified = 1;
    GNV_ASSERT_OK(gnv_table_cleanup(t, &o, &st));
    assert_int_equal(st.files_removed, 1);
    assert_int_equal(stat(young, &sb), -1);
    assert_int_equal(files_in(dir, "t", "data"), 1);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A crash or I/O error at each removal: kept versions stay readable, and a second
 * cleanup without faults ends where an uninterrupted one does. */
static void test_fault_at_every_removal(void **state)
{
    (void)state;
    for (int fault = GNV_IO_FAULT_EIO; fault <= GNV_IO_FAULT_CRASH; fault += 3) {
        for (uint64_t nth = 1;; nth++) {
            char *dir = gnv_test_tmpdir();
            gnv_db *db = NULL;
            gnv_table *t = NULL;
            gnv_io *local = NULL, *faulty = NULL;
            gnv_cleanup_options o = GNV_CLEANUP_OPTIONS_INIT;
            gnv_cleanup_stats st;
            int64_t rows;
            GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
            create(db, "t", 4, GNV_CREATE_MODE_CREATE);
            GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
            append(t, 4, 4);
            gnv_table_close(t);
            create(db, "t", 3, GNV_CREATE_MODE_OVERWRITE);
            gnv_db_close(db);

            GNV_ASSERT_OK(gnv_io_local_new(&local, dir));
            GNV_ASSERT_OK(gnv_io_fault_new(&faulty, local, fault, nth));
            gnv_db_options dbo = GNV_DB_OPTIONS_INIT;
            dbo.io = faulty;
            GNV_ASSERT_OK(gnv_db_open(&db, dir, &dbo));
            GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
            o.older_than_seconds = 0;
            int rc = gnv_table_cleanup(t, &o, &st);
            uint64_t ops = gnv_io_fault_ops(faulty);
            gnv_table_close(t);
            gnv_db_close(db);
            gnv_io_free(faulty);

            /* Whatever happened, the latest version reads whole; a clean run finishes. */
            GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
            GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
            assert_int_equal(id_sum(t, &rows), 3);
            assert_int_equal(rows, 3);
            GNV_ASSERT_OK(gnv_table_cleanup(t, &o, &st));
            assert_int_equal(files_in(dir, "t", "_versions"), 1);
            assert_int_equal(files_in(dir, "t", "data"), 1);
            assert_int_equal(files_in(dir, "t", "_transactions"), 1);
            gnv_table_close(t);
            gnv_db_close(db);
            gnv_test_rmdir(dir);
            if (rc == GNV_OK) {
                assert_true(ops < nth); /* the fault was never reached: done */
                break;
            }
            assert_int_equal(rc, GNV_EIO);
        }
    }
}

static void test_bad_options(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    gnv_cleanup_options o = GNV_CLEANUP_OPTIONS_INIT;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    create(db, "t", 1, GNV_CREATE_MODE_CREATE);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    o.older_than_seconds = -1;
    GNV_ASSERT_ERR(gnv_table_cleanup(t, &o, NULL), GNV_EINVAL, "older_than");
    o = (gnv_cleanup_options)GNV_CLEANUP_OPTIONS_INIT;
    o.version = 99;
    GNV_ASSERT_ERR(gnv_table_cleanup(t, &o, NULL), GNV_EINVAL, "version 99");
    GNV_ASSERT_ERR(gnv_table_cleanup(NULL, NULL, NULL), GNV_EINVAL, "NULL");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_keep_data),
        cmocka_unit_test(test_overwrite_frees_old_data_and_tags_keep),
        cmocka_unit_test(test_unverified_files_wait_for_the_grace_period),
        cmocka_unit_test(test_fault_at_every_removal),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
