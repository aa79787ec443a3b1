/*
 * Schema evolution: adding columns computed by a callback over every physical row of
 * each fragment (deleted rows included), all-NULL columns with field metadata, SQL
 * columns, dropping, renaming, nullability and casts; the validation errors; the
 * transaction each commits (Merge or Project); time travel to before the change; and
 * crash safety through the fault I/O backend.
 */
#include "gnv_test_table.h"

#include <inttypes.h>

#include "expr/expr.h"
#include "table/table.h"

/* ---- helpers -------------------------------------------------------------- */

/* Rows id = 0..n-1 and name = "n<id>" (NULL where id % null_every == 0 when
 * null_every > 0), in fragments of per_file rows. */
static gnv_table *make_table(gnv_db *db, const char *tname, int n, int per_file, int null_every)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "u", "name", ARROW_FLAG_NULLABLE));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int i = 0; i < n; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        if (null_every > 0 && i % null_every == 0) {
            GNV_ASSERT_OK(gnv__array_append_null(a.children[1], 1));
        } else {
            char buf[32];
            int k = snprintf(buf, sizeof buf, "n%d", i);
            GNV_ASSERT_OK(gnv__array_append_bytes(a.children[1], buf, (size_t)k));
        }
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    return gnv_test_create_table(db, tname, &s, &a, per_file);
}

/* Every row of a scan of `columns`, concatenated into one struct array. */
static void scan_all(gnv_table *t,
                     const char *const *columns,
                     size_t n,
                     struct ArrowSchema *sc,
                     struct ArrowArray *out)
{
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = columns;
    o.n_columns = n;
    o.batch_rows = 13;
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, sc));
    struct ArrowArray parts[64];
    const struct ArrowArray *ptr[64];
    int64_t k = 0;
    for (;;) {
        assert_true(k < 64);
        int rc = gnv__stream_next(&s, &parts[k]);
        if (rc == GNV_ITEROVER)
            break;
        GNV_ASSERT_OK(rc);
        ptr[k] = &parts[k];
        k++;
    }
    GNV_ASSERT_OK(gnv__array_concat(out, sc, ptr, k));
    for (int64_t i = 0; i < k; i++)
        gnv__array_release(&parts[i]);
    gnv__stream_release(&s);
}

static int32_t field_id(gnv_table *t, const char *name)
{
    for (size_t i = 0; i < t->m->n_fields; i++)
        if (!strcmp(t->m->fields[i]->name, name))
            return t->m->fields[i]->id;
    return -1;
}

/* A one-column struct schema. */
static void one_col(struct ArrowSchema *s, const char *format, const char *name, int64_t flags)
{
    GNV_ASSERT_OK(gnv__schema_init(s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(s, 1));
    GNV_ASSERT_OK(gnv__schema_init(s->children[0], format, name, flags));
}

/* ---- a producer: x = id * 10 (NULL where id is NULL) ------------------------- */

typedef struct times10 {
    int64_t rows[8]; /* physical rows seen, by fragment id */
    int64_t next[8]; /* the row_start expected next */
    int calls;
    int fail_at;    /* return an error on this call (1-based), 0: never */
    int bad_length; /* return one row too many */
} times10;

static int times10_fn(struct ArrowArray *out, const gnv__columns_batch *in, void *payload)
{
    times10 *p = payload;
    p->calls++;
    if (p->fail_at && p->calls == p->fail_at)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_TABLE, "the producer failed on purpose");
    assert_true(in->fragment_id < 8);
    assert_int_equal(in->row_start, p->next[in->fragment_id]);
    assert_int_equal(in->schema->n_children, 1);
    assert_string_equal(in->schema->children[0]->name, "id");
    p->next[in->fragment_id] += in->batch->length;
    p->rows[in->fragment_id] += in->batch->length;
    /* allocation failures are returned, not asserted (test_alloc_faults) */
    struct ArrowSchema s = {0};
    gnv_array_view v = {0};
    bool have_view = false;
    int rc = gnv__schema_init(&s, "+s", "", 0);
    if (rc == GNV_OK)
        rc = gnv__schema_alloc_children(&s, 1);
    if (rc == GNV_OK)
        rc = gnv__schema_init(s.children[0], "l", "x", ARROW_FLAG_NULLABLE);
    if (rc == GNV_OK)
        rc = gnv__array_init(out, &s);
    if (rc == GNV_OK)
        rc = gnv__array_view_init(&v, in->schema->children[0], in->batch->children[0]);
    have_view = rc == GNV_OK;
    int64_t n = in->batch->length + (p->bad_length ? 1 : 0);
    for (int64_t i = 0; i < n && rc == GNV_OK; i++) {
        if (i >= in->batch->length || gnv__view_is_null(&v, i))
            rc = gnv__array_append_null(out->children[0], 1);
        else
            rc = gnv__array_append_int(out->children[0], gnv__view_get_int(&v, i) * 10);
        if (rc == GNV_OK)
            rc = gnv__array_finish_element(out);
    }
    if (rc == GNV_OK)
        rc = gnv__array_finish(out);
    if (have_view)
        gnv__array_view_reset(&v);
    gnv__schema_release(&s);
    if (rc < 0)
        gnv__array_release(out);
    return rc;
}

/* ---- deletions: fragment 1 loses offsets {0, 5, 39} ------------------------ */

static void put16(gnv_buf *b, uint32_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    GNV_ASSERT_OK(gnv__buf_put(b, x, 2));
}

static void delete_in_fragment1(gnv_table *t)
{
    gnv_buf b = GNV_BUF_INIT;
    const uint16_t vals[] = {0, 5, 39};
    put16(&b, 12346);
    put16(&b, 0);
    put16(&b, 1);
    put16(&b, 0);
    put16(&b, 0);
    put16(&b, 2);
    put16(&b, 16);
    put16(&b, 0);
    for (int i = 0; i < 3; i++)
        put16(&b, vals[i]);
    gnv_buf path = GNV_BUF_INIT;
    GNV_ASSERT_OK(
        gnv__buf_printf(&path, "%s/_deletions/1-%" PRIu64 "-77.bin", t->dir, t->m->version));
    GNV_ASSERT_OK(gnv__io_write_all(t->io, path.ptr, b.ptr, b.size, GNV_IO_NOREPLACE));
    gnv_buf_dispose(&path);
    gnv_buf_dispose(&b);
    /* commit the deletion as a merge of the same fragments with a deletion file */
    Gnvpb__Manifest *m = (Gnvpb__Manifest *)gnv__pb_dup(&t->m->base);
    Gnvpb__DeletionFile *d = gnv__malloc(sizeof *d);
    gnvpb__deletion_file__init(d);
    d->has_file_type = d->has_read_version = d->has_id = d->has_num_deleted_rows = 1;
    d->file_type = GNVPB__DELETION_FILE__KIND__BITMAP;
    d->read_version = t->m->version;
    d->id = 77;
    d->num_deleted_rows = 3;
    m->fragments[1]->deletion_file = d;
    gnv__commit c = {0};
    c.op = GNV__OP_MERGE;
    c.frags = m->fragments;
    c.n_frags = m->n_fragments;
    c.fields = m->fields;
    c.n_fields = m->n_fields;
    GNV_ASSERT_OK(gnv__table_commit(t, &c));
    gnv__manifest_free(m);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_add_with_callback(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 100, 40, 0); /* fragments of 40, 40, 20 rows */
    delete_in_fragment1(t);
    uint64_t before = gnv_table_version(t);

    struct ArrowSchema cols;
    one_col(&cols, "l", "x", ARROW_FLAG_NULLABLE);
    const char *inputs[] = {"id"};
    times10 p = {0};
    GNV_ASSERT_OK(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 7));
    /* every physical row was produced, deleted rows included, in batches of 7 */
    assert_int_equal(p.rows[0], 40);
    assert_int_equal(p.rows[1], 40);
    assert_int_equal(p.rows[2], 20);
    assert_int_equal(p.calls, 6 + 6 + 3);
    assert_int_equal(gnv_table_version(t), before + 1);
    assert_string_equal(gnv_test_last_op(t), "merge");
    /* one new data file per fragment, holding only the new field (id above the others) */
    assert_int_equal(field_id(t, "x"), 2);
    for (size_t i = 0; i < t->m->n_fragments; i++) {
        const Gnvpb__DataFragment *f = t->m->fragments[i];
        assert_int_equal(f->n_files, 2);
        assert_int_equal(f->files[1]->n_fields, 1);
        assert_int_equal(f->files[1]->fields[0], 2);
    }
    assert_non_null(t->m->fragments[1]->deletion_file);

    struct ArrowSchema sc;
    struct ArrowArray a;
    const char *want[] = {"x", "id"};
    scan_all(t, want, 2, &sc, &a);
    assert_int_equal(a.length, 97);
    const int64_t *x = a.children[0]->buffers[1];
    const int64_t *id = a.children[1]->buffers[1];
    for (int64_t i = 0; i < a.length; i++) {
        assert_int_equal(x[i], id[i] * 10);
        assert_true(id[i] != 40 && id[i] != 45 && id[i] != 79);
    }
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    /* take reads the new column too */
    uint64_t addrs[] = {2ull << 32 | 3, 1};
    const char *tc[] = {"x"};
    GNV_ASSERT_OK(gnv_table_take(t, addrs, 2, tc, 1, &sc, &a));
    x = a.children[0]->buffers[1];
    assert_int_equal(x[0], 830);
    assert_int_equal(x[1], 10);
    gnv__array_release(&a);
    gnv__schema_release(&sc);

    /* appends after the change write every column (here: the table's rows again) */
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    struct ArrowSchema full;
    GNV_ASSERT_OK(gnv_table_schema(t, &full));
    assert_int_equal(full.n_children, 3);
    assert_string_equal(full.children[2]->name, "x");
    gnv__schema_release(&full);
    struct ArrowArrayStream again;
    GNV_ASSERT_OK(gnv_table_scan(t, NULL, &again));
    GNV_ASSERT_OK(gnv_table_add(t, &again, NULL));
    gnv__stream_release(&again);
    const char *all3[] = {"id", "name", "x"};
    scan_all(t, all3, 3, &sc, &a);
    assert_int_equal(a.length, 194);
    id = a.children[0]->buffers[1];
    x = a.children[2]->buffers[1];
    for (int64_t i = 0; i < a.length; i++)
        assert_int_equal(x[i], id[i] * 10);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    assert_int_equal(t->m->fragments[t->m->n_fragments - 1]->n_files, 1);

    /* time travel to before the change: the column is not there */
    gnv_table *old = NULL;
    GNV_ASSERT_OK(gnv_table_checkout(&old, t, before));
    GNV_ASSERT_OK(gnv_table_schema(old, &full));
    assert_int_equal(full.n_children, 2);
    gnv__schema_release(&full);
    const char *oc[] = {"id"};
    scan_all(old, oc, 1, &sc, &a);
    assert_int_equal(a.length, 97);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    GNV_ASSERT_ERR(
        gnv_table_scan(
            old, &(gnv_scan_options){.version = 1, .columns = tc, .n_columns = 1, .limit = -1},
            &(struct ArrowArrayStream){0}),
        GNV_ENOTFOUND, "'x'");
    /* a read-only checkout refuses schema changes */
    GNV_ASSERT_ERR(gnv__table_add_columns(old, &cols, inputs, 1, times10_fn, &p, 0), GNV_EINVAL,
                   "read-only");
    gnv_table_close(old);
    gnv__schema_release(&cols);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_add_errors(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 50, 20, 0);
    uint64_t v = gnv_table_version(t);
    const char *inputs[] = {"id"};
    times10 p = {0};
    struct ArrowSchema cols;

    one_col(&cols, "l", "name", ARROW_FLAG_NULLABLE);
    GNV_ASSERT_ERR(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 0), GNV_EEXISTS,
                   "'name'");
    gnv__schema_release(&cols);
    one_col(&cols, "l", "_rowid", ARROW_FLAG_NULLABLE);
    GNV_ASSERT_ERR(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 0), GNV_EINVAL,
                   "reserved");
    gnv__schema_release(&cols);
    one_col(&cols, "l", "", ARROW_FLAG_NULLABLE);
    GNV_ASSERT_ERR(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 0), GNV_EINVAL,
                   "empty");
    gnv__schema_release(&cols);

    one_col(&cols, "l", "x", ARROW_FLAG_NULLABLE);
    const char *bad_in[] = {"nope"};
    GNV_ASSERT_ERR(gnv__table_add_columns(t, &cols, bad_in, 1, times10_fn, &p, 0), GNV_ENOTFOUND,
                   "'nope'");
    /* the producer fails in the second fragment: nothing is committed */
    p = (times10){0};
    p.fail_at = 2;
    GNV_ASSERT_ERR(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 0), GNV_EINVAL,
                   "on purpose");
    /* the producer returns the wrong number of rows */
    p = (times10){0};
    p.bad_length = 1;
    GNV_ASSERT_ERR(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 0), GNV_EINVAL,
                   "rows, expected");
    assert_int_equal(gnv_table_version(t), v);
    gnv__schema_release(&cols);
    /* a NULL column must be nullable */
    one_col(&cols, "l", "x", 0);
    GNV_ASSERT_ERR(gnv__table_add_null_columns(t, &cols), GNV_EINVAL, "nullable");
    gnv__schema_release(&cols);
    /* two new columns of the same name */
    GNV_ASSERT_OK(gnv__schema_init(&cols, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&cols, 2));
    GNV_ASSERT_OK(gnv__schema_init(cols.children[0], "l", "y", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(cols.children[1], "l", "y", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_ERR(gnv__table_add_null_columns(t, &cols), GNV_EINVAL, "twice");
    gnv__schema_release(&cols);
    assert_int_equal(gnv_table_version(t), v);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_add_null_with_metadata(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 30, 10, 0);
    struct ArrowSchema cols;
    one_col(&cols, "u", "v", ARROW_FLAG_NULLABLE);
    gnv_buf md = GNV_BUF_INIT;
    const char *keys[] = {"virtual_column.udf"}, *vals[] = {"my_udf"};
    GNV_ASSERT_OK(gnv__metadata_build(&md, keys, vals, 1));
    GNV_ASSERT_OK(gnv__schema_set_metadata(cols.children[0], md.ptr));
    gnv_buf_dispose(&md);
    GNV_ASSERT_OK(gnv__table_add_null_columns(t, &cols));
    gnv__schema_release(&cols);
    assert_string_equal(gnv_test_last_op(t), "merge");
    for (size_t i = 0; i < t->m->n_fragments; i++)
        assert_int_equal(t->m->fragments[i]->n_files, 1); /* no data written */
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    struct ArrowSchema full;
    GNV_ASSERT_OK(gnv_table_schema(t, &full));
    assert_int_equal(full.n_children, 3);
    const char *val = NULL;
    int32_t vlen = 0;
    assert_true(gnv__metadata_get(full.children[2]->metadata, "virtual_column.udf", &val, &vlen));
    assert_int_equal(vlen, 6);
    assert_memory_equal(val, "my_udf", 6);
    gnv__schema_release(&full);
    struct ArrowSchema sc;
    struct ArrowArray a;
    const char *c[] = {"v", "id"};
    scan_all(t, c, 2, &sc, &a);
    assert_int_equal(a.length, 30);
    assert_int_equal(a.children[0]->null_count, 30);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_drop(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 30, 10, 0);
    uint64_t v = gnv_table_version(t);
    const char *unknown[] = {"nope"};
    GNV_ASSERT_ERR(gnv_table_drop_columns(t, unknown, 1), GNV_ENOTFOUND, "'nope'");
    const char *every[] = {"id", "name"};
    GNV_ASSERT_ERR(gnv_table_drop_columns(t, every, 2), GNV_EINVAL, "every column");
    GNV_ASSERT_ERR(gnv_table_drop_columns(t, every, 0), GNV_EINVAL, "no columns");
    assert_int_equal(gnv_table_version(t), v);
    const char *name[] = {"name"};
    GNV_ASSERT_OK(gnv_table_drop_columns(t, name, 1));
    assert_string_equal(gnv_test_last_op(t), "project");
    struct ArrowSchema full;
    GNV_ASSERT_OK(gnv_table_schema(t, &full));
    assert_int_equal(full.n_children, 1);
    assert_string_equal(full.children[0]->name, "id");
    gnv__schema_release(&full);

    /* a column added again under the old name gets a new id and its own values, not
     * the dropped data still in the old files */
    struct ArrowSchema cols;
    one_col(&cols, "l", "name", ARROW_FLAG_NULLABLE);
    const char *inputs[] = {"id"};
    times10 p = {0};
    GNV_ASSERT_OK(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 0));
    gnv__schema_release(&cols);
    assert_int_equal(field_id(t, "name"), 2);
    struct ArrowSchema sc;
    struct ArrowArray a;
    scan_all(t, NULL, 0, &sc, &a);
    assert_int_equal(a.length, 30);
    const int64_t *x = a.children[1]->buffers[1];
    for (int64_t i = 0; i < 30; i++)
        assert_int_equal(x[i], i * 10);
    gnv__array_release(&a);
    gnv__schema_release(&sc);

    /* time travel: the dropped column is still in the version before */
    gnv_table *old = NULL;
    GNV_ASSERT_OK(gnv_table_checkout(&old, t, v));
    const char *oc[] = {"name"};
    scan_all(old, oc, 1, &sc, &a);
    assert_int_equal(a.length, 30);
    gnv_array_view view;
    GNV_ASSERT_OK(gnv__array_view_init(&view, sc.children[0], a.children[0]));
    int64_t len;
    const uint8_t *b = gnv__view_get_bytes(&view, 7, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(b, "n7", 2);
    gnv__array_view_reset(&view);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    gnv_table_close(old);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_drop_nested(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 10, 10, 0);
    /* add an all-NULL struct column s {a int32, b utf8} */
    struct ArrowSchema cols;
    one_col(&cols, "+s", "s", ARROW_FLAG_NULLABLE);
    GNV_ASSERT_OK(gnv__schema_alloc_children(cols.children[0], 2));
    GNV_ASSERT_OK(gnv__schema_init(cols.children[0]->children[0], "i", "a", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(cols.children[0]->children[1], "u", "b", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__table_add_null_columns(t, &cols));
    gnv__schema_release(&cols);
    const char *both[] = {"s.a", "s.b"};
    GNV_ASSERT_ERR(gnv_table_drop_columns(t, both, 2), GNV_EINVAL, "'s'");
    const char *sa[] = {"s.a"};
    GNV_ASSERT_OK(gnv_table_drop_columns(t, sa, 1));
    struct ArrowSchema full;
    GNV_ASSERT_OK(gnv_table_schema(t, &full));
    assert_int_equal(full.n_children, 3);
    assert_int_equal(full.children[2]->n_children, 1);
    assert_string_equal(full.children[2]->children[0]->name, "b");
    gnv__schema_release(&full);
    /* rename a nested field */
    gnv_column_alteration al = GNV_COLUMN_ALTERATION_INIT;
    al.path = "s.b";
    al.rename = "bee";
    GNV_ASSERT_OK(gnv_table_alter_columns(t, &al, 1));
    GNV_ASSERT_OK(gnv_table_schema(t, &full));
    assert_string_equal(full.children[2]->children[0]->name, "bee");
    gnv__schema_release(&full);
    /* casting a nested field is not supported (yet): said before anything is written */
    uint64_t v = gnv_table_version(t);
    al = (gnv_column_alteration)GNV_COLUMN_ALTERATION_INIT;
    al.path = "s.bee";
    al.cast = "int64";
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_ENOTSUP, "nested field 's.bee'");
    assert_int_equal(gnv_table_version(t), v);
    /* and the struct reads as NULL rows */
    struct ArrowSchema sc;
    struct ArrowArray a;
    const char *sc_cols[] = {"s"};
    scan_all(t, sc_cols, 1, &sc, &a);
    assert_int_equal(a.length, 10);
    assert_int_equal(a.children[0]->null_count, 10);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_rename_and_errors(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 30, 10, 0);
    uint64_t v = gnv_table_version(t);
    gnv_column_alteration al = GNV_COLUMN_ALTERATION_INIT;
    al.path = "nope";
    al.rename = "x";
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_ENOTFOUND, "'nope'");
    al.path = "name";
    al.rename = "id";
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_EEXISTS, "'id'");
    al.rename = "_rowaddr";
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_EINVAL, "reserved");
    al.rename = "";
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_EINVAL, "empty");
    al.rename = NULL;
    al.cast = "no_such_type";
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_EINVAL, "no_such_type");
    al.cast = NULL;
    al.nullable = 7;
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_EINVAL, "nullable");
    gnv_column_alteration two[2] = {GNV_COLUMN_ALTERATION_INIT, GNV_COLUMN_ALTERATION_INIT};
    two[0].path = two[1].path = "name";
    two[0].rename = "a";
    two[1].rename = "b";
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, two, 2), GNV_EINVAL, "twice");
    two[1].path = "nope"; /* the first alteration is valid: still nothing is applied */
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, two, 2), GNV_ENOTFOUND, "'nope'");
    assert_int_equal(gnv_table_version(t), v);

    al = (gnv_column_alteration)GNV_COLUMN_ALTERATION_INIT;
    al.path = "name";
    al.rename = "label";
    GNV_ASSERT_OK(gnv_table_alter_columns(t, &al, 1));
    assert_string_equal(gnv_test_last_op(t), "project");
    assert_int_equal(field_id(t, "label"), 1); /* the same field, renamed */
    struct ArrowSchema sc;
    struct ArrowArray a;
    const char *c[] = {"label"};
    scan_all(t, c, 1, &sc, &a);
    assert_int_equal(a.length, 30);
    assert_string_equal(sc.children[0]->name, "label");
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_nullability(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 30, 10, 7); /* name is NULL where id % 7 == 0 */
    uint64_t v = gnv_table_version(t);
    gnv_column_alteration al = GNV_COLUMN_ALTERATION_INIT;
    al.path = "name";
    al.nullable = GNV_NULLABLE_FALSE;
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_EINVAL, "holds null values");
    assert_int_equal(gnv_table_version(t), v);

    /* id has no nulls: it becomes non-nullable (rewritten under a new field id) */
    al.path = "id";
    GNV_ASSERT_OK(gnv_table_alter_columns(t, &al, 1));
    assert_string_equal(gnv_test_last_op(t), "merge");
    assert_int_equal(field_id(t, "id"), 2);
    struct ArrowSchema full;
    GNV_ASSERT_OK(gnv_table_schema(t, &full));
    assert_string_equal(full.children[0]->name, "id"); /* in its old place */
    assert_false(full.children[0]->flags & ARROW_FLAG_NULLABLE);
    gnv__schema_release(&full);
    struct ArrowSchema sc;
    struct ArrowArray a;
    scan_all(t, NULL, 0, &sc, &a);
    assert_int_equal(a.length, 30);
    const int64_t *id = a.children[0]->buffers[1];
    for (int64_t i = 0; i < 30; i++)
        assert_int_equal(id[i], i);
    gnv__array_release(&a);
    gnv__schema_release(&sc);

    /* and nullable again: schema only */
    al.nullable = GNV_NULLABLE_TRUE;
    GNV_ASSERT_OK(gnv_table_alter_columns(t, &al, 1));
    assert_string_equal(gnv_test_last_op(t), "project");
    GNV_ASSERT_OK(gnv_table_schema(t, &full));
    assert_true(full.children[0]->flags & ARROW_FLAG_NULLABLE);
    gnv__schema_release(&full);
    scan_all(t, NULL, 0, &sc, &a);
    assert_int_equal(a.length, 30);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static bool expr_works(void)
{
    gnv_expr *e = NULL;
    int rc = gnv__expr_parse(&e, "1");
    gnv__expr_free(e);
    gnv_error_clear();
    return rc == GNV_OK;
}

static void test_cast(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 30, 10, 0);
    uint64_t v = gnv_table_version(t);
    gnv_column_alteration al = GNV_COLUMN_ALTERATION_INIT;
    al.path = "id";
    al.cast = "int32";
    al.rename = "id32";
    int rc = gnv_table_alter_columns(t, &al, 1);
    if (rc == GNV_ENOTSUP) { /* casts come from the expression module */
        assert_int_equal(gnv_table_version(t), v);
        gnv_table_close(t);
        gnv_db_close(db);
        gnv_test_rmdir(dir);
        skip();
    }
    GNV_ASSERT_OK(rc);
    assert_string_equal(gnv_test_last_op(t), "merge");
    struct ArrowSchema sc;
    struct ArrowArray a;
    scan_all(t, NULL, 0, &sc, &a);
    assert_string_equal(sc.children[0]->name, "id32");
    assert_string_equal(sc.children[0]->format, "i");
    const int32_t *id = a.children[0]->buffers[1];
    for (int64_t i = 0; i < 30; i++)
        assert_int_equal(id[i], i);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    /* the data files left with no field of the schema are dropped from the fragments */
    for (size_t i = 0; i < t->m->n_fragments; i++)
        assert_int_equal(t->m->fragments[i]->n_files, 2);
    /* to a string, then a failing cast (strings that are not numbers) */
    al = (gnv_column_alteration)GNV_COLUMN_ALTERATION_INIT;
    al.path = "id32";
    al.cast = "utf8";
    GNV_ASSERT_OK(gnv_table_alter_columns(t, &al, 1));
    al.path = "name";
    al.cast = "int64";
    v = gnv_table_version(t);
    GNV_ASSERT_ERR(gnv_table_alter_columns(t, &al, 1), GNV_EINVAL, "name");
    assert_int_equal(gnv_table_version(t), v);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_sql(void **state)
{
    (void)state;
    if (!expr_works())
        skip();
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 50, 20, 0);
    uint64_t v = gnv_table_version(t);
    const char *bad_names[] = {"id"}, *bad_exprs[] = {"1"};
    GNV_ASSERT_ERR(gnv_table_add_columns_sql(t, bad_names, bad_exprs, 1), GNV_EEXISTS, "'id'");
    const char *n1[] = {"z"}, *e1[] = {"nope + 1"};
    GNV_ASSERT_ERR(gnv_table_add_columns_sql(t, n1, e1, 1), GNV_EINVAL, "nope");
    const char *e2[] = {"id +"};
    GNV_ASSERT_ERR(gnv_table_add_columns_sql(t, n1, e2, 1), GNV_EINVAL, "'z'");
    assert_int_equal(gnv_table_version(t), v);

    const char *names[] = {"double", "big"}, *exprs[] = {"id * 2", "id > 24"};
    GNV_ASSERT_OK(gnv_table_add_columns_sql(t, names, exprs, 2));
    assert_string_equal(gnv_test_last_op(t), "merge");
    struct ArrowSchema sc;
    struct ArrowArray a;
    scan_all(t, names, 2, &sc, &a);
    assert_int_equal(a.length, 50);
    assert_string_equal(sc.children[0]->format, "l");
    assert_string_equal(sc.children[1]->format, "b");
    gnv_array_view d, b;
    GNV_ASSERT_OK(gnv__array_view_init(&d, sc.children[0], a.children[0]));
    GNV_ASSERT_OK(gnv__array_view_init(&b, sc.children[1], a.children[1]));
    for (int64_t i = 0; i < 50; i++) {
        assert_int_equal(gnv__view_get_int(&d, i), 2 * i);
        assert_int_equal(gnv__view_get_bool(&b, i), i > 24);
    }
    gnv__array_view_reset(&d);
    gnv__array_view_reset(&b);
    gnv__array_release(&a);
    gnv__schema_release(&sc);

    /* CAST(NULL AS ...) writes no data */
    const char *n3[] = {"later"}, *e3[] = {"CAST(NULL AS STRING)"};
    size_t files = t->m->fragments[0]->n_files;
    GNV_ASSERT_OK(gnv_table_add_columns_sql(t, n3, e3, 1));
    assert_int_equal(t->m->fragments[0]->n_files, files);
    scan_all(t, n3, 1, &sc, &a);
    assert_int_equal(a.children[0]->null_count, 50);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A fault at each write of an add-columns, a drop and a rename: the table stays at
 * its last commit, and what committed reads back. */
static void run_faults(int fault)
{
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "f", 30, 10, 0);
    gnv_table_close(t);
    gnv_db_close(db);
    uint64_t version = 1;
    for (int step = 0; step < 3; step++) {
        for (uint64_t k = 1;; k++) {
            gnv_db *fdb = NULL;
            gnv_io *fio = NULL;
            gnv_table *ft = gnv_test_fault_open(&fdb, &fio, dir, "f", fault, k);
            int rc;
            if (step == 0) {
                struct ArrowSchema cols;
                one_col(&cols, "l", "x", ARROW_FLAG_NULLABLE);
                const char *inputs[] = {"id"};
                times10 p = {0};
                rc = gnv__table_add_columns(ft, &cols, inputs, 1, times10_fn, &p, 4);
                gnv__schema_release(&cols);
            } else if (step == 1) {
                const char *c[] = {"name"};
                rc = gnv_table_drop_columns(ft, c, 1);
            } else {
                gnv_column_alteration al = GNV_COLUMN_ALTERATION_INIT;
                al.path = "id";
                al.nullable = GNV_NULLABLE_FALSE;
                rc = gnv_table_alter_columns(ft, &al, 1);
            }
            uint64_t ops = gnv_io_fault_ops(fio);
            if (rc < 0) {
                assert_non_null(gnv_error_last());
                assert_int_equal(gnv_table_version(ft), version);
            }
            gnv_test_fault_close(ft, fdb, fio);
            gnv_db *pdb = gnv_test_open_db(dir);
            gnv_table *pt = NULL;
            GNV_ASSERT_OK(gnv_db_open_table(&pt, pdb, "f"));
            uint64_t v = gnv_table_version(pt);
            bool done = rc == GNV_OK || v == version + 1;
            assert_int_equal(v, done ? version + 1 : version);
            struct ArrowSchema sc;
            struct ArrowArray a;
            scan_all(pt, NULL, 0, &sc, &a);
            assert_int_equal(a.length, 30);
            int64_t want_cols = step == 0 ? (done ? 3 : 2) : step == 1 ? (done ? 2 : 3) : 2;
            assert_int_equal(sc.n_children, want_cols);
            if (step == 0 && done) {
                const int64_t *x = a.children[2]->buffers[1];
                for (int64_t i = 0; i < 30; i++)
                    assert_int_equal(x[i], i * 10);
            }
            gnv__array_release(&a);
            gnv__schema_release(&sc);
            gnv_table_close(pt);
            gnv_db_close(pdb);
            if (done) {
                version++;
                break;
            }
            assert_true(ops >= k);
        }
    }
    gnv_test_rmdir(dir);
}

static void test_crash(void **state)
{
    (void)state;
    run_faults(GNV_IO_FAULT_CRASH);
}

static void test_io_errors(void **state)
{
    (void)state;
    run_faults(GNV_IO_FAULT_EIO);
    run_faults(GNV_IO_FAULT_ENOSPC);
}

/* Indexes on a dropped field are dropped with it (as Lance's retain_relevant_indices),
 * the others kept; data files left holding no field of the schema leave the fragments. */
static void test_drop_indexes_and_files(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 10, 10, 0);
    /* version 2 by hand: the same content with two indexes, on id (0) and name (1) */
    Gnvpb__IndexMetadata i0 = GNVPB__INDEX_METADATA__INIT, i1 = GNVPB__INDEX_METADATA__INIT;
    int32_t f0 = 0, f1 = 1;
    i0.name = "id_idx";
    i0.fields = &f0;
    i0.n_fields = 1;
    i1.name = "name_idx";
    i1.fields = &f1;
    i1.n_fields = 1;
    Gnvpb__IndexMetadata *list[] = {&i0, &i1};
    Gnvpb__IndexSection sec = GNVPB__INDEX_SECTION__INIT;
    sec.indices = list;
    sec.n_indices = 2;
    gnv_buf idx = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__buf_reserve(&idx, gnvpb__index_section__get_packed_size(&sec)));
    idx.size = gnvpb__index_section__pack(&sec, (uint8_t *)idx.ptr);
    Gnvpb__Manifest *m = (Gnvpb__Manifest *)gnv__pb_dup(&t->m->base);
    m->version = 2;
    char *mp = gnv__table_manifest_path("t.lance", 2, false);
    GNV_ASSERT_OK(gnv__manifest_write(t->io, mp, m, &idx, NULL));
    gnv__free(mp);
    gnv__manifest_free(m);
    gnv_buf_dispose(&idx);
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    assert_int_equal(gnv_table_version(t), 2);

    /* add a column (a second data file), then drop it and name: the index on name goes,
     * the new column's file goes, the first file (id) stays */
    struct ArrowSchema cols;
    one_col(&cols, "l", "x", ARROW_FLAG_NULLABLE);
    const char *inputs[] = {"id"};
    times10 p = {0};
    GNV_ASSERT_OK(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 0));
    gnv__schema_release(&cols);
    assert_int_equal(t->m->fragments[0]->n_files, 2);
    size_t before = t->index_section.size;
    const char *drop[] = {"x", "name"};
    GNV_ASSERT_OK(gnv_table_drop_columns(t, drop, 2));
    assert_int_equal(t->m->fragments[0]->n_files, 1);
    assert_true(t->index_section.size < before);
    Gnvpb__IndexSection *got =
        gnv__pb_unpack(&gnvpb__index_section__descriptor, t->index_section.size,
                       (const uint8_t *)t->index_section.ptr, "test");
    assert_non_null(got);
    assert_int_equal(got->n_indices, 1);
    assert_string_equal(got->indices[0]->name, "id_idx");
    gnv__pb_free(&got->base);
    struct ArrowSchema sc;
    struct ArrowArray a;
    scan_all(t, NULL, 0, &sc, &a);
    assert_int_equal(a.length, 10);
    assert_int_equal(sc.n_children, 1);
    gnv__array_release(&a);
    gnv__schema_release(&sc);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A schema change over a stale handle: another writer appended first, so the merge or
 * project cannot be rebased (the new fragments would lack the column): GNV_ECONFLICT
 * naming the append. */
static void test_conflict(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t", 10, 10, 0);
    gnv_table *other = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&other, db, "t"));
    gnv_table_close(make_table(db, "src", 5, 10, 0));
    gnv_table *src = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&src, db, "src"));
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_table_scan(src, NULL, &st));
    GNV_ASSERT_OK(gnv_table_add(other, &st, NULL));
    gnv__stream_release(&st);
    struct ArrowSchema cols;
    one_col(&cols, "l", "x", ARROW_FLAG_NULLABLE);
    const char *inputs[] = {"id"};
    times10 p = {0};
    GNV_ASSERT_ERR(gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 0), GNV_ECONFLICT,
                   "append");
    GNV_ASSERT_ERR(gnv__table_add_null_columns(t, &cols), GNV_ECONFLICT, "append");
    const char *drop[] = {"name"};
    GNV_ASSERT_ERR(gnv_table_drop_columns(t, drop, 1), GNV_ECONFLICT, "append");
    gnv__schema_release(&cols);
    /* the other handle, up to date, commits */
    GNV_ASSERT_OK(gnv_table_drop_columns(other, drop, 1));
    int64_t n = 0;
    GNV_ASSERT_OK(gnv_table_count_rows(other, &n));
    assert_int_equal(n, 15);
    gnv_table_close(src);
    gnv_table_close(other);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* Allocation failures at every point of an add, a cast-free alter and a drop: each
 * failing run returns GNV_ENOMEM with a message, and the table stays at a commit
 * that reads back whole. */
static void test_alloc_faults(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    for (uint64_t n = 1;; n++) {
        gnv_table_close(make_table(db, "oom", 12, 12, 0)); /* version 1 */
        gnv_error_clear();
        gnv__alloc_fail_at(n, false);
        gnv_table *t = NULL;
        int rc = gnv_db_open_table(&t, db, "oom");
        int steps = 0;
        if (rc == GNV_OK) {
            struct ArrowSchema cols = {0};
            rc = gnv__schema_init(&cols, "+s", "", 0);
            if (rc == GNV_OK)
                rc = gnv__schema_alloc_children(&cols, 1);
            if (rc == GNV_OK)
                rc = gnv__schema_init(cols.children[0], "l", "x", ARROW_FLAG_NULLABLE);
            const char *inputs[] = {"id"};
            times10 p = {0};
            if (rc == GNV_OK &&
                (rc = gnv__table_add_columns(t, &cols, inputs, 1, times10_fn, &p, 4)) == GNV_OK)
                steps++;
            gnv__schema_release(&cols);
        }
        if (rc == GNV_OK) {
            gnv_column_alteration al = GNV_COLUMN_ALTERATION_INIT;
            al.path = "id";
            al.nullable = GNV_NULLABLE_FALSE;
            al.rename = "ident";
            if ((rc = gnv_table_alter_columns(t, &al, 1)) == GNV_OK)
                steps++;
        }
        if (rc == GNV_OK) {
            const char *c[] = {"name"};
            if ((rc = gnv_table_drop_columns(t, c, 1)) == GNV_OK)
                steps++;
        }
        uint64_t made = gnv__alloc_fail_at(0, false);
        gnv_table_close(t);
        if (rc != GNV_OK) {
            if (rc != GNV_ENOMEM)
                fail_msg("allocation %llu: got %d: %s", (unsigned long long)n, rc,
                         gnv_error_last()->message);
            assert_non_null(gnv_error_last());
        }
        gnv_table *pt = NULL;
        GNV_ASSERT_OK(gnv_db_open_table(&pt, db, "oom"));
        uint64_t v = gnv_table_version(pt);
        assert_true(v >= 1 + (uint64_t)steps && v <= 2 + (uint64_t)steps);
        struct ArrowSchema sc;
        struct ArrowArray a;
        scan_all(pt, NULL, 0, &sc, &a);
        assert_int_equal(a.length, 12);
        gnv__array_release(&a);
        gnv__schema_release(&sc);
        gnv_table_close(pt);
        GNV_ASSERT_OK(gnv_db_drop_table(db, "oom"));
        if (rc == GNV_OK && made < n) {
            print_message("allocation failures: %llu runs\n", (unsigned long long)n);
            break;
        }
        assert_true(n < 100000);
    }
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_with_callback),
        cmocka_unit_test(test_add_errors),
        cmocka_unit_test(test_add_null_with_metadata),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_drop_nested),
        cmocka_unit_test(test_rename_and_errors),
        cmocka_unit_test(test_nullability),
        cmocka_unit_test(test_cast),
        cmocka_unit_test(test_sql),
        cmocka_unit_test(test_crash),
        cmocka_unit_test(test_io_errors),
        cmocka_unit_test(test_conflict),
        cmocka_unit_test(test_drop_indexes_and_files),
        cmocka_unit_test(test_alloc_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
