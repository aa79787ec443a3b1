/*
 * Multi-column UDFs: adding the sibling columns of a struct-output function (errors
 * before anything is written, the group in each field's metadata), and backfills of any
 * member that compute the function once and write all the group's columns in one data
 * file per fragment, keeping the old values of rows a filter left out.
 */
#include "gnv_test_job.h"

#include <inttypes.h>

#include "job/job.h"
#include "table/table.h"

/* Rows id = 0..n-1 and name = id % 11 'x's (NULL where id % 7 == 3), per_file rows per
 * fragment. */
static gnv_table *make_table(gnv_db *db, const char *tname, int n, int per_file)
{
    return gnv_test_job_table(db, tname, n, per_file, 11, 7);
}

/* Scan id, `first` (utf8) and `count` (int32): len[id] the length of first (-1: NULL),
 * cnt[id] the count (-1: NULL). Returns the number of rows. */
static int64_t read_group(
    gnv_table *t, const char *first, const char *count, int64_t *len, int64_t *cnt, int64_t cap)
{
    const char *cols[3] = {"id", first, count};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.n_columns = 3;
    struct ArrowArrayStream s;
    struct ArrowSchema sc;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, &sc));
    int64_t n = 0;
    for (int64_t i = 0; i < cap; i++)
        len[i] = cnt[i] = -2;
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
            int64_t l = -1;
            if (!gnv__view_is_null(&v.children[1], i))
                (void)gnv__view_get_bytes(&v.children[1], i, &l);
            len[id] = l;
            cnt[id] =
                gnv__view_is_null(&v.children[2], i) ? -1 : gnv__view_get_int(&v.children[2], i);
            n++;
        }
        gnv__array_view_reset(&v);
        gnv__array_release(&a);
    }
    gnv__schema_release(&sc);
    gnv__stream_release(&s);
    return n;
}

/* The values split_words gives row id of make_table. */
static void expect_row(int64_t id, int64_t len, int64_t cnt)
{
    if (id % 7 == 3) {
        assert_int_equal(len, -1);
        assert_int_equal(cnt, -1);
    } else if (id % 11 == 0) {
        assert_int_equal(len, -1); /* no first word */
        assert_int_equal(cnt, 0);
    } else {
        assert_int_equal(len, id % 11);
        assert_int_equal(cnt, 1);
    }
}

static int32_t field_id(const gnv_table *t, const char *name)
{
    for (size_t i = 0; i < t->m->n_fields; i++)
        if (t->m->fields[i]->parent_id == -1 && !strcmp(t->m->fields[i]->name, name))
            return t->m->fields[i]->id;
    fail_msg("no field '%s'", name);
    return -1;
}

/* Every fragment reads both fields from one and the same data file (all: every
 * fragment has one; else at most one). */
static void assert_one_file(const gnv_table *t, int32_t a, int32_t b, bool all)
{
    for (size_t i = 0; i < t->m->n_fragments; i++) {
        const Gnvpb__DataFragment *f = t->m->fragments[i];
        int holders = 0;
        for (size_t k = 0; k < f->n_files; k++) {
            bool has_a = false, has_b = false;
            for (size_t x = 0; x < f->files[k]->n_fields; x++) {
                has_a |= f->files[k]->fields[x] == a;
                has_b |= f->files[k]->fields[x] == b;
            }
            assert_true(has_a == has_b);
            holders += has_a;
        }
        assert_true(all ? holders == 1 : holders <= 1);
    }
}

static void test_add_columns_errors(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 20, 10);
    uint64_t v0 = gnv_table_version(t);
    gnv_udf_library *lib;
    const gnv_udf_function *split, *text_len;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&split, lib, "split_words"));
    GNV_ASSERT_OK(gnv_udf_library_find(&text_len, lib, "text_len"));
    const char *name[1] = {"name"};

    /* the single-column form says to use the multi-column one */
    GNV_ASSERT_ERR(gnv_table_add_udf_column(t, "w", split, name, 1), GNV_EINVAL,
                   "gnv_table_add_udf_columns");
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(t, text_len, name, 1, NULL), GNV_EINVAL,
                   "does not return a struct");
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(t, split, name, 1, "a.b"), GNV_EINVAL,
                   "bad column prefix 'a.b': character 2");
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(t, split, name, 1, "a\tb"), GNV_EINVAL,
                   "control character");
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(t, split, NULL, 0, NULL), GNV_ENOTFOUND,
                   "no column 'text'");
    const char *ids[1] = {"id"};
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(t, split, ids, 1, NULL), GNV_EINVAL,
                   "column 'id' is int64");
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(NULL, split, name, 1, NULL), GNV_EINVAL, "required");
    assert_int_equal(gnv_table_version(t), v0);

    /* an existing output column: the second group of the same names */
    GNV_ASSERT_OK(gnv_table_add_udf_columns(t, split, name, 1, NULL));
    uint64_t v1 = gnv_table_version(t);
    assert_int_equal(v1, v0 + 1);
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(t, split, name, 1, ""), GNV_EEXISTS,
                   "already has a column 'first' (output field 'first'");
    GNV_ASSERT_OK(gnv_table_add_udf_columns(t, split, name, 1, "w_"));
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(t, split, name, 1, "w_"), GNV_EEXISTS, "'w_first'");

    /* a read-only checkout */
    gnv_table *old = NULL;
    GNV_ASSERT_OK(gnv_table_checkout(&old, t, v0));
    GNV_ASSERT_ERR(gnv_table_add_udf_columns(old, split, name, 1, "z_"), GNV_EINVAL, "read-only");
    gnv_table_close(old);

    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

static void test_add_columns_definition(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 20, 10);
    gnv_udf_library *lib;
    const gnv_udf_function *split;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&split, lib, "split_words"));
    const char *name[1] = {"name"};
    GNV_ASSERT_OK(gnv_table_add_udf_columns(t, split, name, 1, "w_"));

    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv_table_schema(t, &s));
    assert_int_equal(s.n_children, 4);
    assert_string_equal(s.children[2]->name, "w_first");
    assert_string_equal(s.children[2]->format, "u");
    assert_string_equal(s.children[3]->name, "w_count");
    assert_string_equal(s.children[3]->format, "i");
    for (int c = 2; c < 4; c++) {
        const char *v;
        int32_t n;
        assert_true(gnv__metadata_get(s.children[c]->metadata, GNV_UDF_METADATA_KEY, &v, &n));
        char *json = strndup(v, (size_t)n);
        assert_non_null(strstr(json, "\"columns\":[\"w_first\",\"w_count\"]"));
        assert_non_null(strstr(json, c == 2 ? "\"field\":\"first\"" : "\"field\":\"count\""));
        assert_non_null(strstr(json, "\"function\":\"split_words\""));
        free(json);
    }
    gnv__schema_release(&s);

    /* the group as a backfill sees it: both columns, from either member */
    gnv__multicol *g = NULL;
    struct ArrowSchema f = {0};
    GNV_ASSERT_OK(gnv__schema_init(&f, "n", "x", 0));
    GNV_ASSERT_OK(gnv__multicol_of(&g, &f, t, "w_count"));
    assert_non_null(g);
    assert_int_equal(g->n_columns, 2);
    assert_string_equal(g->columns[0], "w_first");
    assert_string_equal(f.format, "+s");
    assert_int_equal(f.n_children, 2);
    assert_string_equal(f.children[1]->name, "w_count");
    char *where = NULL;
    GNV_ASSERT_OK(gnv__multicol_where(&where, g));
    assert_string_equal(where, "\"w_first\" IS NULL OR \"w_count\" IS NULL");
    gnv__free(where);
    gnv__multicol_free(g);
    gnv__schema_release(&f);
    /* a plain column is not a group */
    GNV_ASSERT_OK(gnv__schema_init(&f, "n", "x", 0));
    GNV_ASSERT_OK(gnv__multicol_of(&g, &f, t, "name"));
    assert_null(g);
    assert_string_equal(f.format, "n");
    gnv__schema_release(&f);

    gnv_udf_library_close(lib);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

static void test_backfill_group(void **state)
{
    (void)state;
    enum { N = 50 };
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", N, 20);
    gnv_test_add_udf_columns(t, GNV_TEST_DEMO, "split_words", "name", "w_");

    int64_t len[N], cnt[N];
    /* part of the rows, through the second member */
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = "id < 10";
    o.checkpoint_size = 7;
    gnv_backfill_stats st;
    GNV_ASSERT_OK(gnv_table_backfill(t, "w_count", &o, &st));
    assert_int_equal(st.rows_computed, 10);
    assert_int_equal(read_group(t, "w_first", "w_count", len, cnt, N), N);
    for (int64_t id = 0; id < N; id++) {
        if (id < 10) {
            expect_row(id, len[id], cnt[id]);
        } else {
            assert_int_equal(len[id], -1);
            assert_int_equal(cnt[id], -1);
        }
    }
    assert_one_file(t, field_id(t, "w_first"), field_id(t, "w_count"), false);

    /* the rest, through the first member: the default filter, old values kept */
    GNV_ASSERT_OK(gnv_table_backfill(t, "w_first", NULL, &st));
    assert_int_equal(read_group(t, "w_first", "w_count", len, cnt, N), N);
    for (int64_t id = 0; id < N; id++)
        expect_row(id, len[id], cnt[id]);
    assert_one_file(t, field_id(t, "w_first"), field_id(t, "w_count"), true);
    /* one file per fragment for the group, and no checkpoint left */
    char d[1024];
    snprintf(d, sizeof d, "%s/t.lance/_geneva/checkpoints", root);
    FILE *p;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls -1 '%s' 2>/dev/null | wc -l", d);
    p = popen(cmd, "r");
    assert_non_null(p);
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    assert_int_equal(n, 0);

    /* recomputing everything rewrites both, still one file each */
    o.where = "1 = 1";
    GNV_ASSERT_OK(gnv_table_backfill(t, "w_first", &o, &st));
    assert_int_equal(st.rows_computed, N);
    assert_int_equal(read_group(t, "w_first", "w_count", len, cnt, N), N);
    for (int64_t id = 0; id < N; id++)
        expect_row(id, len[id], cnt[id]);
    assert_one_file(t, field_id(t, "w_first"), field_id(t, "w_count"), true);

    /* a reopened table reads the same */
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    assert_int_equal(read_group(t, "w_first", "w_count", len, cnt, N), N);
    for (int64_t id = 0; id < N; id++)
        expect_row(id, len[id], cnt[id]);

    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* A group whose member was dropped cannot be backfilled, naming the missing one. */
static void test_backfill_group_member_dropped(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 20, 10);
    gnv_test_add_udf_columns(t, GNV_TEST_DEMO, "split_words", "name", "w_");
    const char *drop[1] = {"w_first"};
    GNV_ASSERT_OK(gnv_table_drop_columns(t, drop, 1));
    GNV_ASSERT_ERR(gnv_table_backfill(t, "w_count", NULL, NULL), GNV_ENOTFOUND,
                   "column 'w_first' of its multi-column group");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- allocation failures -------------------------------------------------------- */

typedef struct fs_arg {
    gnv_table *t;
    const struct ArrowArray *values; /* struct<w_first, w_count>, 3 rows */
} fs_arg;

/* What a backfill asks of a group: its field, its filter, a fragment's batch. */
static int fs_body(void *arg)
{
    fs_arg *a = arg;
    gnv__multicol *g = NULL;
    struct ArrowSchema f = {0};
    struct ArrowArray batch = {0};
    char *where = NULL;
    int rc = gnv__schema_init(&f, "n", "x", 0);
    if (rc == GNV_OK)
        rc = gnv__multicol_of(&g, &f, a->t, "w_first");
    if (rc == GNV_OK)
        rc = gnv__multicol_where(&where, g);
    if (rc == GNV_OK)
        rc = gnv__multicol_split(&batch, &f, a->values, 3);
    if (rc == GNV_OK) {
        gnv__alloc_fail_at(0, false);
        assert_int_equal(batch.n_children, 2);
        assert_int_equal(batch.children[1]->null_count, 1);
        assert_string_equal(where, "\"w_first\" IS NULL OR \"w_count\" IS NULL");
    }
    gnv__array_release(&batch);
    gnv__free(where);
    gnv__multicol_free(g);
    gnv__schema_release(&f);
    return rc;
}

static void test_group_allocation_failures(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 10, 10);
    gnv_test_add_udf_columns(t, GNV_TEST_DEMO, "split_words", "name", "w_");
    /* values: ("a", 1), NULL, ("bb", 2) */
    struct ArrowSchema f = {0};
    gnv__multicol *g = NULL;
    GNV_ASSERT_OK(gnv__schema_init(&f, "n", "x", 0));
    GNV_ASSERT_OK(gnv__multicol_of(&g, &f, t, "w_count"));
    gnv__multicol_free(g);
    struct ArrowArray v;
    GNV_ASSERT_OK(gnv__array_init(&v, &f));
    GNV_ASSERT_OK(gnv__array_append_bytes(v.children[0], "a", 1));
    GNV_ASSERT_OK(gnv__array_append_int(v.children[1], 1));
    GNV_ASSERT_OK(gnv__array_finish_element(&v));
    GNV_ASSERT_OK(gnv__array_append_null(&v, 1));
    GNV_ASSERT_OK(gnv__array_append_bytes(v.children[0], "bb", 2));
    GNV_ASSERT_OK(gnv__array_append_int(v.children[1], 2));
    GNV_ASSERT_OK(gnv__array_finish_element(&v));
    GNV_ASSERT_OK(gnv__array_finish(&v));
    fs_arg a = {t, &v};
    int runs = gnv_test_faultsim(fs_body, &a);
    print_message("%d runs\n", runs);
    assert_true(runs > 5);
    gnv__array_release(&v);
    gnv__schema_release(&f);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

/* ---- swapping a group's function ------------------------------------------------ */

/* The function and first input of column col's definition. */
static void def_of(gnv_table *t, const char *col, char *fn, char *in, size_t cap)
{
    gnv__udf_coldef d;
    GNV_ASSERT_OK(gnv__udf_coldef_of(&d, NULL, t, col));
    snprintf(fn, cap, "%s", d.function);
    snprintf(in, cap, "%s", d.n_inputs ? d.inputs[0] : "");
    gnv__udf_coldef_reset(&d);
}

/* Both members of the w_ group are defined by fn of input in. */
static void assert_group_def(gnv_table *t, const char *fn, const char *in)
{
    static const char *const members[] = {"w_first", "w_count"};
    for (int m = 0; m < 2; m++) {
        char f[64], i[64];
        def_of(t, members[m], f, i, sizeof f);
        assert_string_equal(f, fn);
        assert_string_equal(i, in);
    }
    gnv__multicol *g = NULL;
    struct ArrowSchema field = {0};
    GNV_ASSERT_OK(gnv__multicol_of(&g, &field, t, "w_count")); /* still one group */
    assert_non_null(g);
    assert_int_equal(g->n_columns, 2);
    gnv__multicol_free(g);
    gnv__schema_release(&field);
}

/* gnv_table_alter_udf_column on a member swaps the function of the whole group (every
 * member's definition, in one version) for one of the same struct output; a function of
 * another output, even the member's own type, is refused naming the group. */
static void test_alter_group(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 20, 10);
    gnv_test_add_udf_columns(t, GNV_TEST_DEMO, "split_words", "name", "w_");
    GNV_ASSERT_OK(gnv_table_backfill(t, "w_first", NULL, NULL));
    gnv_udf_library *demo, *flaky;
    const gnv_udf_function *text_len, *split, *parts;
    GNV_ASSERT_OK(gnv_udf_library_open(&demo, GNV_TEST_DEMO));
    GNV_ASSERT_OK(gnv_udf_library_find(&text_len, demo, "text_len"));
    GNV_ASSERT_OK(gnv_udf_library_find(&split, demo, "split_words"));
    GNV_ASSERT_OK(gnv_udf_library_open(&flaky, GNV_TEST_FLAKY));
    GNV_ASSERT_OK(gnv_udf_library_find(&parts, flaky, "id_parts"));
    const char *name[1] = {"name"}, *id[1] = {"id"};
    uint64_t v0 = gnv_table_version(t);

    /* int32 is w_count's type, but not the group's output */
    GNV_ASSERT_ERR(gnv_table_alter_udf_column(t, "w_count", text_len, name, 1), GNV_EINVAL,
                   "column 'w_count' is one of the multi-column group of function "
                   "'split_words' (columns 'w_first', 'w_count')");
    assert_true(strstr(gnv_error_last()->message, "function 'text_len' returns int32"));
    /* the group's output, but an input of the wrong type */
    GNV_ASSERT_ERR(gnv_table_alter_udf_column(t, "w_first", parts, name, 1), GNV_EINVAL,
                   "column 'name' is utf8 but parameter 'id'");
    assert_int_equal(gnv_table_version(t), v0);
    assert_group_def(t, "split_words", "name");

    /* the swap: one version, both definitions, the values kept until a backfill */
    GNV_ASSERT_OK(gnv_table_alter_udf_column(t, "w_count", parts, id, 1));
    assert_int_equal(gnv_table_version(t), v0 + 1);
    assert_string_equal(gnv_test_last_op(t), "project");
    assert_group_def(t, "id_parts", "id");
    int64_t len[20], cnt[20];
    assert_int_equal(read_group(t, "w_first", "w_count", len, cnt, 20), 20);
    for (int64_t i = 0; i < 20; i++)
        expect_row(i, len[i], cnt[i]);
    /* a backfill of either member computes the group with the new function */
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    o.where = "1=1";
    GNV_ASSERT_OK(gnv_table_backfill(t, "w_first", &o, NULL));
    assert_int_equal(read_group(t, "w_first", "w_count", len, cnt, 20), 20);
    for (int64_t i = 0; i < 20; i++) {
        assert_int_equal(len[i], i % 2 ? 3 : 4); /* "odd", "even" */
        assert_int_equal(cnt[i], i);
    }
    /* and back, keeping the inputs given */
    GNV_ASSERT_OK(gnv_table_alter_udf_column(t, "w_first", split, name, 1));
    assert_group_def(t, "split_words", "name");

    gnv_udf_library_close(flaky);
    gnv_udf_library_close(demo);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

typedef struct swap_arg {
    gnv_table *t;
    const gnv_udf_function *fn;
} swap_arg;

/* The swap is all or nothing: both members keep one function whatever fails. */
static int swap_body(void *arg)
{
    swap_arg *a = arg;
    const char *id[1] = {"id"};
    int rc = gnv_table_alter_udf_column(a->t, "w_first", a->fn, id, 1);
    gnv__alloc_fail_at(0, false);
    char f0[64], f1[64], in[64];
    def_of(a->t, "w_first", f0, in, sizeof f0);
    def_of(a->t, "w_count", f1, in, sizeof f1);
    assert_string_equal(f0, f1);
    assert_string_equal(f0, rc == GNV_OK ? "id_parts" : "split_words");
    return rc;
}

static void test_alter_group_allocation_failures(void **state)
{
    (void)state;
    char *root = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, root, NULL));
    gnv_table *t = make_table(db, "t", 4, 10);
    gnv_test_add_udf_columns(t, GNV_TEST_DEMO, "split_words", "name", "w_");
    gnv_udf_library *flaky;
    const gnv_udf_function *parts;
    GNV_ASSERT_OK(gnv_udf_library_open(&flaky, GNV_TEST_FLAKY));
    GNV_ASSERT_OK(gnv_udf_library_find(&parts, flaky, "id_parts"));
    swap_arg a = {t, parts};
    assert_true(gnv_test_faultsim(swap_body, &a) > 10);
    assert_group_def(t, "id_parts", "id");
    gnv_udf_library_close(flaky);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_columns_errors),
        cmocka_unit_test(test_add_columns_definition),
        cmocka_unit_test(test_backfill_group),
        cmocka_unit_test(test_backfill_group_member_dropped),
        cmocka_unit_test(test_group_allocation_failures),
        cmocka_unit_test(test_alter_group),
        cmocka_unit_test(test_alter_group_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
