/*
 * Fixtures shared by the job tests (UDF columns and backfills): the UDF plugins the build
 * makes, tables of ids (and names) for functions to read, adding a UDF column from a
 * plugin, reading an int column back by id, and counting files. Builds on
 * gnv_test_table.h (included here); every helper fails the test on an error.
 */
#ifndef GNV_TEST_JOB_H
#define GNV_TEST_JOB_H

#include "gnv_test_table.h"

#include "geneva/job.h"
#include "geneva/udf.h"

/* The path of a file the build made, rel to the build directory (GNV_BUILD_DIR, else
 * the current one). Static buffer: valid until the next call. */
static inline const char *gnv_test_plugin(const char *rel)
{
    const char *base = getenv("GNV_BUILD_DIR");
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", base ? base : ".", rel);
    return path;
}

/* The demo UDF plugin (examples/udfs) and the test one (tests/unit/job/plugins). */
#define GNV_TEST_DEMO  gnv_test_plugin("examples/udfs/libdemo_udfs.so")
#define GNV_TEST_FLAKY gnv_test_plugin("tests/udf_plugins/libflaky_udfs.so")

/*
 * A new table `tname` of rows id = 0..n-1 (int64, nullable) in fragments of per_file
 * rows. With name_mod > 0 it also has name (utf8, nullable) = a string of
 * id % name_mod 'x's (name_mod at most 12), NULL where null_mod > 0 and
 * id % null_mod == 3.
 */
static inline gnv_table *
gnv_test_job_table(gnv_db *db, const char *tname, int n, int per_file, int name_mod, int null_mod)
{
    struct ArrowSchema s;
    int cols = name_mod > 0 ? 2 : 1;
    assert_true(name_mod <= 12);
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, cols));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", ARROW_FLAG_NULLABLE));
    if (cols == 2)
        GNV_ASSERT_OK(gnv__schema_init(s.children[1], "u", "name", ARROW_FLAG_NULLABLE));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int i = 0; i < n; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        if (cols == 2 && null_mod > 0 && i % null_mod == 3)
            GNV_ASSERT_OK(gnv__array_append_null(a.children[1], 1));
        else if (cols == 2)
            GNV_ASSERT_OK(
                gnv__array_append_bytes(a.children[1], "xxxxxxxxxxxx", (size_t)(i % name_mod)));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    return gnv_test_create_table(db, tname, &s, &a, per_file);
}

/* Add the UDF column `col` = fn(in) (no inputs when in is NULL) from the plugin at path,
 * with the error policy pol (NULL: none). */
static inline void gnv_test_add_udf(gnv_table *t,
                                    const char *path,
                                    const char *fn,
                                    const char *col,
                                    const char *in,
                                    const gnv_on_error *pol)
{
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *f = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, path));
    GNV_ASSERT_OK(gnv_udf_library_find(&f, lib, fn));
    const char *inputs[1] = {in};
    GNV_ASSERT_OK(gnv_table_add_udf_column_v2(t, col, f, in ? inputs : NULL, in ? 1 : 0, pol));
    gnv_udf_library_close(lib);
}

/* Add the columns of the struct-output fn(in) from the plugin at path, named with
 * prefix (gnv_table_add_udf_columns). */
static inline void gnv_test_add_udf_columns(
    gnv_table *t, const char *path, const char *fn, const char *in, const char *prefix)
{
    gnv_udf_library *lib = NULL;
    const gnv_udf_function *f = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, path));
    GNV_ASSERT_OK(gnv_udf_library_find(&f, lib, fn));
    const char *inputs[1] = {in};
    GNV_ASSERT_OK(gnv_table_add_udf_columns(t, f, inputs, 1, prefix));
    gnv_udf_library_close(lib);
}

/*
 * Scan the int64 column id and the int column col of t at its checked-out version:
 * vals[id] = the value, -1 where it is NULL, `missing` for ids the scan did not return;
 * valid[id] (when valid is not NULL) = whether the value is set. Ids must be in
 * [0, cap). Returns the number of rows.
 */
static inline int64_t gnv_test_read_int_col(
    gnv_table *t, const char *col, int64_t *vals, bool *valid, int64_t cap, int64_t missing)
{
    const char *cols[2] = {"id", col};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.n_columns = 2;
    struct ArrowArrayStream s;
    struct ArrowSchema sc;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, &sc));
    int64_t n = 0;
    for (int64_t i = 0; i < cap; i++) {
        vals[i] = missing;
        if (valid)
            valid[i] = false;
    }
    for (;;) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER)
            break;
        GNV_ASSERT_OK(rc);
        gnv_array_view v;
        GNV_ASSERT_OK(gnv__array_view_init(&v, &sc, &a));
        for (int64_t i = 0; i < a.length; i++) {
            int64_t id = gnv__view_get_int(&v.children[0], i);
            assert_true(id >= 0 && id < cap);
            bool set = !gnv__view_is_null(&v.children[1], i);
            vals[id] = set ? gnv__view_get_int(&v.children[1], i) : -1;
            if (valid)
                valid[id] = set;
            n++;
        }
        gnv__array_view_reset(&v);
        gnv__array_release(&a);
    }
    gnv__schema_release(&sc);
    gnv__stream_release(&s);
    return n;
}

/* Files in a directory (0 when it does not exist). */
static inline int gnv_test_count_files(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls -1 '%s' 2>/dev/null | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = 0;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

#endif
