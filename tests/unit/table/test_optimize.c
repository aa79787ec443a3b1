/*
 * Compaction (gnv_table_optimize): small fragments merged as Lance plans them (bins of
 * consecutive small fragments split at the target), deleted rows materialized above the
 * threshold, nothing committed when nothing qualifies, columns added as NULL and their
 * field metadata kept, stable row ids and their versions carried over, a concurrent
 * append rebased over, a concurrent delete of a rewritten fragment refused with
 * GNV_ECONFLICT (optimize does not retry: nothing is committed and the caller runs it
 * again), I/O faults and crashes at each write, allocation failures, bad arguments.
 */
#include "gnv_test_table.h"

#include "table/table.h"

/* ---- helpers ---------------------------------------------------------------------- */

/* Assert that a scan returns exactly ids want[0..n) in order. */
static void expect_ids(gnv_table *t, const int64_t *want, int64_t n)
{
    int64_t *got = calloc((size_t)n + 1, sizeof *got);
    assert_int_equal(gnv_test_scan_ids(t, got, n + 1), n);
    for (int64_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("row %lld: id %lld, expected %lld", (long long)i, (long long)got[i],
                     (long long)want[i]);
    free(got);
}

static void expect_range(gnv_table *t, int64_t n)
{
    int64_t *want = calloc((size_t)n + 1, sizeof *want);
    for (int64_t i = 0; i < n; i++)
        want[i] = i;
    expect_ids(t, want, n);
    free(want);
}

/* ---- compaction ------------------------------------------------------------------- */

/* 20 fragments of 10 rows plus 5 appends of 7 become one fragment, rows in order. */
static void test_compact_all(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_id_table(db, "t", 200, 10);
    for (int i = 0; i < 5; i++)
        gnv_test_id_append(t, 200 + 7 * i, 7);
    assert_int_equal(t->m->n_fragments, 25);
    uint64_t v0 = gnv_table_version(t);
    gnv_optimize_stats st;
    GNV_ASSERT_OK(gnv_table_optimize(t, NULL, &st));
    assert_int_equal(st.fragments_removed, 25);
    assert_int_equal(st.fragments_added, 1);
    assert_int_equal(st.files_removed, 25);
    assert_int_equal(st.files_added, 1);
    assert_int_equal(st.rows_rewritten, 235);
    assert_int_equal(st.version, v0 + 1);
    assert_int_equal(gnv_table_version(t), v0 + 1);
    assert_string_equal(gnv_test_last_op(t), "rewrite");
    assert_int_equal(t->m->n_fragments, 1);
    assert_int_equal(t->m->fragments[0]->id, 25); /* a new id, past every old one */
    assert_int_equal(t->m->fragments[0]->physical_rows, 235);
    assert_int_equal(gnv_test_count_rows(t), 235);
    expect_range(t, 235);
    /* reopened, and the version before still reads (no file was deleted) */
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "t"));
    expect_range(t, 235);
    gnv_table *old = NULL;
    GNV_ASSERT_OK(gnv_table_checkout(&old, t, v0));
    assert_int_equal(old->m->n_fragments, 25);
    expect_range(old, 235);
    GNV_ASSERT_ERR(gnv_table_optimize(old, NULL, NULL), GNV_EINVAL, "read-only");
    gnv_table_close(old);
    /* an append goes on with the next fragment id */
    gnv_test_id_append(t, 235, 5);
    assert_int_equal(t->m->fragments[1]->id, 26);
    expect_range(t, 240);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A task large enough to be read on a second thread while it is written: the same rows
 * in the same order; a data file missing in the middle fails the optimize with the
 * reader's error (naming the file) and commits nothing. */
static void test_large_prefetch(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_id_table(db, "big", 100000, 2500); /* 40 fragments */
    gnv_optimize_stats st;
    GNV_ASSERT_OK(gnv_table_optimize(t, NULL, &st));
    assert_int_equal(st.fragments_removed, 40);
    assert_int_equal(st.fragments_added, 1);
    assert_int_equal(st.rows_rewritten, 100000);
    expect_range(t, 100000);
    /* the same table again (restored), with fragment 30's file gone */
    GNV_ASSERT_OK(gnv_table_restore(t, 1));
    char path[1200];
    snprintf(path, sizeof path, "%s/big.lance/data/%s", dir, t->m->fragments[30]->files[0]->path);
    assert_int_equal(unlink(path), 0);
    uint64_t v = gnv_table_version(t);
    GNV_ASSERT_ERR(gnv_table_optimize(t, NULL, NULL), GNV_ECORRUPT, "is missing");
    assert_int_equal(gnv_table_version(t), v);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* Lance's split_for_size: rows [100,400,200,200,400,300,300,100] with target 500 are
 * three tasks, [100,400], [200,200,400], [300,300,100], each written in files of at most
 * 500 rows: 500 | 500, 300 | 500, 200. A fragment at the target is left alone. */
static void test_split(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    static const int64_t sizes[] = {100, 400, 200, 200, 400, 300, 300, 100};
    gnv_table *t = gnv_test_id_table(db, "t", 600, 600); /* one fragment of 600: not a candidate */
    int64_t next = 600;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(sizes); i++) {
        gnv_test_id_append(t, next, sizes[i]);
        next += sizes[i];
    }
    gnv_optimize_options o = GNV_OPTIMIZE_OPTIONS_INIT;
    o.target_rows_per_fragment = 500;
    gnv_optimize_stats st;
    GNV_ASSERT_OK(gnv_table_optimize(t, &o, &st));
    assert_int_equal(st.fragments_removed, 8);
    assert_int_equal(st.fragments_added, 5);
    assert_int_equal(st.rows_rewritten, 2000);
    static const uint64_t want[] = {600, 500, 500, 300, 500, 200};
    assert_int_equal(t->m->n_fragments, GNV_ARRAY_SIZE(want));
    for (size_t i = 0; i < GNV_ARRAY_SIZE(want); i++)
        assert_int_equal(t->m->fragments[i]->physical_rows, want[i]);
    assert_int_equal(t->m->fragments[0]->id, 0);
    expect_range(t, 2600);
    /* again: [500 500 300 500 200] are all at or under the target; 300 and 200 are
     * alone between fragments at the target, so nothing qualifies */
    uint64_t v = gnv_table_version(t);
    GNV_ASSERT_OK(gnv_table_optimize(t, &o, &st));
    assert_int_equal(st.fragments_removed, 0);
    assert_int_equal(st.version, v);
    assert_int_equal(gnv_table_version(t), v);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* Nothing to do: no commit (an empty table, one fragment, fragments at the target). */
static void test_nothing(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_id_table(db, "e", 0, 0);
    gnv_optimize_stats st;
    GNV_ASSERT_OK(gnv_table_optimize(t, NULL, &st));
    assert_int_equal(st.fragments_removed + st.fragments_added + st.rows_rewritten, 0);
    assert_int_equal(st.version, 1);
    assert_int_equal(gnv_table_version(t), 1);
    gnv_table_close(t);
    t = gnv_test_id_table(db, "one", 50, 0);
    GNV_ASSERT_OK(gnv_table_optimize(t, NULL, &st));
    assert_int_equal(st.fragments_removed, 0);
    assert_int_equal(gnv_table_version(t), 1);
    gnv_table_close(t);
    t = gnv_test_id_table(db, "big", 40, 10);
    gnv_optimize_options o = GNV_OPTIMIZE_OPTIONS_INIT;
    o.target_rows_per_fragment = 10;
    GNV_ASSERT_OK(gnv_table_optimize(t, &o, &st));
    assert_int_equal(st.fragments_removed, 0);
    assert_int_equal(gnv_table_version(t), 1);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* Fragments with more deleted rows than the threshold are rewritten alone; the
 * deleted rows are gone from the new fragment. */
static void test_deletions(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_id_table(db, "d", 300, 100); /* fragments 0..2 */
    uint32_t r[20];
    for (uint32_t i = 0; i < 20; i++)
        r[i] = 3 * i; /* 20% of fragment 1 */
    GNV_ASSERT_OK(gnv_test_delete_rows(t, 1, r, 20, NULL));
    GNV_ASSERT_OK(gnv_test_delete_rows(t, 2, r, 5, NULL)); /* 5%: under the threshold */
    gnv_optimize_options o = GNV_OPTIMIZE_OPTIONS_INIT;
    o.target_rows_per_fragment = 100;
    /* without materializing deletions nothing qualifies */
    o.materialize_deletions = false;
    gnv_optimize_stats st;
    uint64_t v = gnv_table_version(t);
    GNV_ASSERT_OK(gnv_table_optimize(t, &o, &st));
    assert_int_equal(st.fragments_removed, 0);
    assert_int_equal(gnv_table_version(t), v);
    /* a threshold of 1.0 or more materializes nothing either (Lance's validate) */
    o.materialize_deletions = true;
    o.materialize_deletions_threshold = 1.0;
    GNV_ASSERT_OK(gnv_table_optimize(t, &o, &st));
    assert_int_equal(st.fragments_removed, 0);
    o.materialize_deletions_threshold = 0; /* the default, 0.1 */
    GNV_ASSERT_OK(gnv_table_optimize(t, &o, &st));
    assert_int_equal(st.fragments_removed, 1);
    assert_int_equal(st.fragments_added, 1);
    assert_int_equal(st.files_removed, 2); /* data + deletion file */
    assert_int_equal(st.rows_rewritten, 80);
    assert_int_equal(t->m->n_fragments, 3);
    assert_int_equal(t->m->fragments[0]->id, 0);
    assert_int_equal(t->m->fragments[1]->id, 3); /* in place of fragment 1 */
    assert_null(t->m->fragments[1]->deletion_file);
    assert_int_equal(t->m->fragments[1]->physical_rows, 80);
    assert_int_equal(t->m->fragments[2]->id, 2);
    assert_int_equal(gnv_test_count_rows(t), 275);
    int64_t want[275], k = 0;
    for (int64_t i = 0; i < 300; i++) {
        bool gone = (i >= 100 && i < 160 && (i - 100) % 3 == 0) ||
                    (i >= 200 && i < 215 && (i - 200) % 3 == 0);
        if (!gone)
            want[k++] = i;
    }
    assert_int_equal(k, 275);
    expect_ids(t, want, k);
    /* a lower threshold takes fragment 2 too, with its small neighbour (80 rows) */
    o.materialize_deletions_threshold = 0.01;
    GNV_ASSERT_OK(gnv_table_optimize(t, &o, &st));
    assert_int_equal(st.fragments_removed, 2);
    assert_int_equal(st.fragments_added, 2); /* 100 + 75 */
    assert_int_equal(st.rows_rewritten, 175);
    expect_ids(t, want, k);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A column added as NULL (metadata only, with a virtual column's definition) is written
 * out: NULL for the fragments that lacked it, values where appended rows had them. */
static void test_null_columns(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_id_table(db, "n", 30, 10);
    struct ArrowSchema cols;
    GNV_ASSERT_OK(gnv__schema_init(&cols, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&cols, 1));
    GNV_ASSERT_OK(gnv__schema_init(cols.children[0], "i", "v", ARROW_FLAG_NULLABLE));
    gnv_buf md = GNV_BUF_INIT;
    const char *keys[] = {"geneva.udf"}, *vals[] = {"{\"name\":\"f\",\"inputs\":[\"id\"]}"};
    GNV_ASSERT_OK(gnv__metadata_build(&md, keys, vals, 1));
    GNV_ASSERT_OK(gnv__schema_set_metadata(cols.children[0], md.ptr));
    gnv_buf_dispose(&md);
    GNV_ASSERT_OK(gnv__table_add_null_columns(t, &cols));
    gnv__schema_release(&cols);
    /* append 5 rows with v = 100 + id */
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv_table_schema(t, &s));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int64_t i = 30; i < 35; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof buf, "r%lld", (long long)i);
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        GNV_ASSERT_OK(gnv__array_append_bytes(a.children[1], buf, (size_t)len));
        GNV_ASSERT_OK(gnv__array_append_int(a.children[2], 100 + i));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &s, &a, 1));
    GNV_ASSERT_OK(gnv_table_add(t, &st, NULL));
    gnv__stream_release(&st);
    gnv__schema_release(&s);
    size_t n_fields = t->m->n_fields;
    gnv_optimize_stats os;
    GNV_ASSERT_OK(gnv_table_optimize(t, NULL, &os));
    assert_int_equal(os.fragments_removed, 4);
    assert_int_equal(t->m->n_fragments, 1);
    assert_int_equal(t->m->fragments[0]->n_files, 1);
    assert_int_equal(t->m->fragments[0]->files[0]->n_fields, 3); /* v is written out */
    assert_int_equal(t->m->n_fields, n_fields);
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "n"));
    GNV_ASSERT_OK(gnv_table_schema(t, &s));
    const char *val = NULL;
    int32_t vlen = 0;
    assert_true(gnv__metadata_get(s.children[2]->metadata, "geneva.udf", &val, &vlen));
    assert_int_equal(vlen, (int32_t)strlen(vals[0]));
    assert_memory_equal(val, vals[0], strlen(vals[0]));
    gnv__schema_release(&s);
    expect_range(t, 35);
    static const char *const vc[] = {"id", "v"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = vc;
    o.n_columns = 2;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
    int64_t rows = 0;
    for (;;) {
        struct ArrowArray b;
        int rc = gnv__stream_next(&st, &b);
        if (rc == GNV_ITEROVER)
            break;
        GNV_ASSERT_OK(rc);
        const struct ArrowArray *v = b.children[1];
        const uint8_t *valid = v->buffers[0];
        const int32_t *vv = v->buffers[1];
        for (int64_t i = 0; i < b.length; i++, rows++) {
            int64_t j = v->offset + i;
            bool is_valid = !valid || (valid[j >> 3] >> (j & 7) & 1);
            if (rows < 30) {
                assert_false(is_valid);
            } else {
                assert_true(is_valid);
                assert_int_equal(vv[j], 100 + rows);
            }
        }
        gnv__array_release(&b);
    }
    gnv__stream_release(&st);
    assert_int_equal(rows, 35);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* ---- stable row ids --------------------------------------------------------------- */

typedef struct row {
    int64_t id;
    uint64_t rowid;
} row;

/* out[0..cap) of the rows gathered by scan_rowids, n of them so far. */
typedef struct row_sink {
    row *out;
    size_t cap, n;
} row_sink;

static void keep_row(int64_t id, uint64_t rowid, void *payload)
{
    row_sink *k = payload;
    if (k->n < k->cap)
        k->out[k->n] = (row){id, rowid};
    k->n++;
}

/* Every row's id and _rowid in scan order, into out (at most cap); their number. */
static size_t scan_rowids(gnv_table *t, row *out, size_t cap)
{
    row_sink k = {out, cap, 0};
    return (size_t)gnv_test_scan_rowids(t, keep_row, &k);
}

/* The created-at versions of every live row, in scan order. */
static size_t live_versions(gnv_table *t, uint64_t *out, size_t cap, bool created)
{
    size_t n = 0;
    for (size_t i = 0; i < t->m->n_fragments; i++) {
        const Gnvpb__DataFragment *f = t->m->fragments[i];
        uint64_t *v = NULL;
        uint8_t *del = NULL;
        GNV_ASSERT_OK(gnv__rowids_load_versions(&v, t->io, t->dir, t->name, f, created));
        GNV_ASSERT_OK(gnv__fragment_deletions(t->io, t->dir, t->name, f, &del));
        for (uint64_t r = 0; r < f->physical_rows; r++)
            if (!(del && (del[r >> 3] >> (r & 7) & 1)) && n < cap)
                out[n++] = v[r];
        gnv__free(v);
        gnv__free(del);
    }
    return n;
}

static void test_stable_rowids(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/'", gnv_test_data("lancedb/0.39.0/g_stable.lance"),
             dir);
    assert_int_equal(system(cmd), 0);
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "g_stable"));
    assert_true(gnv__table_stable_row_ids(t->m));
    uint64_t next = t->m->next_row_id;
    static row before[256], after[256];
    static uint64_t cb[256], ca[256], ub[256], ua[256];
    size_t n = scan_rowids(t, before, 256);
    assert_int_equal(n, 142);
    assert_int_equal(live_versions(t, cb, 256, true), n);
    assert_int_equal(live_versions(t, ub, 256, false), n);
    gnv_optimize_stats st;
    GNV_ASSERT_OK(gnv_table_optimize(t, NULL, &st));
    assert_true(st.fragments_removed > 1);
    assert_int_equal(st.fragments_added, 1);
    assert_int_equal(t->m->n_fragments, 1);
    assert_int_equal(t->m->next_row_id, next); /* no new ids */
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "g_stable"));
    assert_int_equal(scan_rowids(t, after, 256), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(after[i].id, before[i].id);
        assert_int_equal(after[i].rowid, before[i].rowid);
    }
    assert_int_equal(live_versions(t, ca, 256, true), n);
    assert_int_equal(live_versions(t, ua, 256, false), n);
    assert_memory_equal(ca, cb, n * sizeof *ca);
    assert_memory_equal(ua, ub, n * sizeof *ua);
    /* takes by row id find the moved rows */
    static const uint64_t rids[] = {22, 10, 179};
    struct ArrowSchema s;
    struct ArrowArray a;
    static const char *const cols[] = {"id"};
    GNV_ASSERT_OK(gnv_table_take_row_ids(t, rids, 3, cols, 1, &s, &a));
    const int64_t *ids = (const int64_t *)a.children[0]->buffers[1] + a.children[0]->offset;
    assert_int_equal(ids[0], 22);
    assert_int_equal(ids[1], 10);
    assert_int_equal(ids[2], 179);
    a.release(&a);
    s.release(&s);
    /* an append afterwards gets the next ids */
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* ---- concurrency ------------------------------------------------------------------ */

/* An append committed while the optimize ran (the optimizing handle read an older
 * version) is rebased over: its fragment stays after the compacted one. */
static void test_concurrent_append(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *a = gnv_test_id_table(db, "c", 50, 10);
    gnv_table *b = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&b, db, "c"));
    gnv_test_id_append(b, 50, 5); /* version 2, fragment 5 */
    gnv_optimize_stats st;
    GNV_ASSERT_OK(gnv_table_optimize(a, NULL, &st)); /* planned on version 1 */
    assert_int_equal(st.fragments_removed, 5);
    assert_int_equal(st.version, 3);
    assert_int_equal(a->m->n_fragments, 2);
    assert_int_equal(a->m->fragments[0]->id, 6);
    assert_int_equal(a->m->fragments[1]->id, 5);
    expect_range(a, 55);
    /* a concurrent delete in a fragment the optimize does not rewrite is rebased too */
    gnv_test_id_append(a, 55, 5); /* version 4: fragments 6, 5, 7 */
    gnv_table_close(b);
    GNV_ASSERT_OK(gnv_db_open_table(&b, db, "c"));
    const uint32_t r[] = {0};
    GNV_ASSERT_OK(gnv_test_delete_rows(b, 6, r, 1, NULL)); /* version 5: id 0 */
    gnv_optimize_options o = GNV_OPTIMIZE_OPTIONS_INIT;
    o.target_rows_per_fragment = 50;               /* fragments 5 and 7 (5 rows each), not 6 */
    GNV_ASSERT_OK(gnv_table_optimize(a, &o, &st)); /* a read version 4 */
    assert_int_equal(st.fragments_removed, 2);
    assert_int_equal(gnv_test_count_rows(a), 59);
    int64_t want[59];
    for (int64_t i = 1; i < 60; i++)
        want[i - 1] = i;
    expect_ids(a, want, 59);
    /* and a delete rebases over the rewrite when its fragment was not rewritten: b, at
     * version 5, deletes id 1 of fragment 6 */
    const uint32_t r1[] = {1};
    GNV_ASSERT_OK(gnv_test_delete_rows(b, 6, r1, 1, NULL));
    assert_int_equal(gnv_table_version(b), gnv_table_version(a) + 1);
    assert_int_equal(gnv_test_count_rows(b), 58);
    expect_ids(b, want + 1, 58);
    gnv_table_close(a);
    gnv_table_close(b);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A delete committed while the optimize ran, in a fragment it rewrites: GNV_ECONFLICT,
 * nothing committed (the deleted rows would come back otherwise). Run again on the
 * latest version, the optimize succeeds without them. */
static void test_concurrent_delete(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *a = gnv_test_id_table(db, "c", 50, 10);
    gnv_table *b = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&b, db, "c"));
    const uint32_t r[] = {3};
    GNV_ASSERT_OK(gnv_test_delete_rows(b, 2, r, 1, NULL)); /* id 23 */
    GNV_ASSERT_ERR(gnv_table_optimize(a, NULL, NULL), GNV_ECONFLICT, "fragment 2");
    assert_int_equal(gnv_table_version(a), 1);
    gnv_table *l = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&l, db, "c"));
    assert_int_equal(gnv_table_version(l), 2);
    assert_int_equal(gnv_test_count_rows(l), 49);
    gnv_table_close(l);
    /* and the other way round: a delete after a rewrite of its fragment is refused by
     * the delete (its fragment is gone) */
    GNV_ASSERT_OK(gnv_table_checkout_latest(a));
    GNV_ASSERT_OK(gnv_table_optimize(a, NULL, NULL));
    assert_int_equal(gnv_test_count_rows(a), 49);
    int64_t want[49], k = 0;
    for (int64_t i = 0; i < 50; i++)
        if (i != 23)
            want[k++] = i;
    expect_ids(a, want, k);
    GNV_ASSERT_ERR(gnv_test_delete_rows(b, 0, r, 1, NULL), GNV_ECONFLICT, "fragment 0");
    gnv_table_close(a);
    gnv_table_close(b);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* ---- faults ------------------------------------------------------------------------ */

/* An I/O fault or a crash at each write of an optimize: the table reopens at the old or
 * the new version, every row present in order. */
static void run_io_faults(int fault)
{
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_id_table(db, "f", 30, 5);
    gnv_table_close(t);
    gnv_db_close(db);
    bool done = false;
    for (uint64_t k = 1; !done; k++) {
        gnv_db *fdb = NULL;
        gnv_io *fio = NULL;
        gnv_table *ft = gnv_test_fault_open(&fdb, &fio, dir, "f", fault, k);
        int rc = gnv_table_optimize(ft, NULL, NULL);
        uint64_t ops = gnv_io_fault_ops(fio);
        if (rc < 0) {
            assert_non_null(gnv_error_last());
            assert_true(strlen(gnv_error_last()->message) > 0);
            assert_int_equal(gnv_table_version(ft), 1);
        }
        gnv_test_fault_close(ft, fdb, fio);
        GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
        GNV_ASSERT_OK(gnv_db_open_table(&t, db, "f"));
        uint64_t v = gnv_table_version(t);
        assert_true(v == 1 || v == 2);
        assert_int_equal(t->m->n_fragments, v == 1 ? 6 : 1);
        expect_range(t, 30);
        if (v == 2) { /* committed: start again from version 1 */
            GNV_ASSERT_OK(gnv_table_restore(t, 1));
            gnv_table_close(t);
            gnv_db_close(db);
            GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
            GNV_ASSERT_OK(gnv_db_drop_table(db, "f"));
            t = gnv_test_id_table(db, "f", 30, 5);
        }
        gnv_table_close(t);
        gnv_db_close(db);
        done = ops < k;
    }
    gnv_test_rmdir(dir);
}

static void test_io_faults(void **state)
{
    (void)state;
    run_io_faults(GNV_IO_FAULT_CRASH);
    run_io_faults(GNV_IO_FAULT_EIO);
}

/* Allocation failures during an optimize: GNV_ENOMEM, and the table reopens at its last
 * commit with every row. Every one of the first 64 allocations fails once, then every
 * 13th, to keep the loop to a few hundred runs. */
static void test_alloc_faults(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_id_table(db, "oom", 6, 2);
    gnv_table_close(t);
    int runs = 0;
    for (uint64_t n = 1;; n += n < 64 ? 1 : 13, runs++) {
        gnv_table *ft = NULL;
        GNV_ASSERT_OK(gnv_db_open_table(&ft, db, "oom"));
        gnv_error_clear();
        gnv__alloc_fail_at(n, false);
        gnv_optimize_stats st = {0};
        gnv_optimize_options o = GNV_OPTIMIZE_OPTIONS_INIT;
        o.target_rows_per_fragment = 4; /* one task, written as 4 + 2 rows */
        int rc = gnv_table_optimize(ft, &o, &st);
        uint64_t made = gnv__alloc_fail_at(0, false);
        gnv_table_close(ft);
        if (rc != GNV_OK && rc != GNV_ENOMEM)
            fail_msg("allocation %llu: got %d: %s", (unsigned long long)n, rc,
                     gnv_error_last()->message);
        if (rc != GNV_OK)
            assert_non_null(gnv_error_last());
        gnv_table *pt = NULL;
        GNV_ASSERT_OK(gnv_db_open_table(&pt, db, "oom"));
        assert_int_equal(gnv_table_version(pt), rc == GNV_OK ? 2 : 1);
        if (rc == GNV_OK) {
            assert_int_equal(st.fragments_removed, 3);
            assert_int_equal(st.fragments_added, 2);
        }
        expect_range(pt, 6);
        gnv_table_close(pt);
        if (rc == GNV_OK && made < n)
            break;
        if (rc == GNV_OK) { /* recovered from the failure and committed: start over */
            GNV_ASSERT_OK(gnv_db_drop_table(db, "oom"));
            t = gnv_test_id_table(db, "oom", 6, 2);
            gnv_table_close(t);
        }
        assert_true(n < 100000);
    }
    assert_true(runs > 64 && runs < 1000);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_bad_args(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_id_table(db, "b", 10, 5);
    GNV_ASSERT_ERR(gnv_table_optimize(NULL, NULL, NULL), GNV_EINVAL, "NULL");
    gnv_optimize_options o = GNV_OPTIMIZE_OPTIONS_INIT;
    o.version = GNV_OPTIMIZE_OPTIONS_VERSION + 1;
    GNV_ASSERT_ERR(gnv_table_optimize(t, &o, NULL), GNV_EVERSION, "newer");
    o = (gnv_optimize_options)GNV_OPTIMIZE_OPTIONS_INIT;
    o.target_rows_per_fragment = -1;
    GNV_ASSERT_ERR(gnv_table_optimize(t, &o, NULL), GNV_EINVAL, "negative");
    o = (gnv_optimize_options)GNV_OPTIMIZE_OPTIONS_INIT;
    o.materialize_deletions_threshold = -0.5;
    GNV_ASSERT_ERR(gnv_table_optimize(t, &o, NULL), GNV_EINVAL, "negative");
    assert_int_equal(gnv_table_version(t), 1);
    /* a table with an index (here only in the handle's index section): refused, as its
     * row addresses would have to be remapped */
    Gnvpb__IndexMetadata im = GNVPB__INDEX_METADATA__INIT;
    Gnvpb__IndexMetadata *imp = &im;
    Gnvpb__IndexSection sec = GNVPB__INDEX_SECTION__INIT;
    im.name = "id_idx";
    sec.indices = &imp;
    sec.n_indices = 1;
    size_t len = gnvpb__index_section__get_packed_size(&sec);
    GNV_ASSERT_OK(gnv__buf_reserve(&t->index_section, len));
    gnvpb__index_section__pack(&sec, (uint8_t *)t->index_section.ptr);
    t->index_section.size = len;
    GNV_ASSERT_ERR(gnv_table_optimize(t, NULL, NULL), GNV_ENOTSUP, "'id_idx'");
    assert_int_equal(gnv_table_version(t), 1);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_all),
        cmocka_unit_test(test_large_prefetch),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_nothing),
        cmocka_unit_test(test_deletions),
        cmocka_unit_test(test_null_columns),
        cmocka_unit_test(test_stable_rowids),
        cmocka_unit_test(test_concurrent_append),
        cmocka_unit_test(test_concurrent_delete),
        cmocka_unit_test(test_io_faults),
        cmocka_unit_test(test_alloc_faults),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
