/*
 * Merge insert (upsert): every combination of the three clauses (update matched rows,
 * insert unmatched source rows, delete target rows the source does not have), sources
 * with a subset of the columns, chosen update columns, composite keys, NULL keys (never
 * match), an empty source, the update and delete conditions, errors (duplicate keys,
 * type mismatch, missing key column, ...) that commit nothing, chunks of matched rows
 * larger than one read, stable row ids kept by updated rows (a table LanceDB made), and
 * a concurrent append between our read and our commit (rebased over).
 */
#include <math.h>

#include "gnv_test_table.h"

#include "table/table.h"

/*
 * A source stream of n rows whose columns are named by cols[0..ncols): "id" (int64, or
 * "id:i" for int32; ids[i] == INT64_MIN is NULL), "name" (names[i] NULL is NULL),
 * "score" (NAN is NULL), "extra" (int64, = id). `batches` splits the rows into that
 * many batches.
 */
static void make_source(struct ArrowArrayStream *out,
                        const char *const *cols,
                        int64_t ncols,
                        int64_t n,
                        const int64_t *ids,
                        const char *const *names,
                        const double *scores,
                        int64_t batches)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, ncols));
    for (int64_t c = 0; c < ncols; c++) {
        const char *fmt = !strcmp(cols[c], "id:i")    ? "i"
                          : !strcmp(cols[c], "name")  ? "u"
                          : !strcmp(cols[c], "score") ? "g"
                                                      : "l";
        const char *nm = !strcmp(cols[c], "id:i") ? "id" : cols[c];
        GNV_ASSERT_OK(gnv__schema_init(s.children[c], fmt, nm, ARROW_FLAG_NULLABLE));
    }
    if (batches < 1)
        batches = 1;
    struct ArrowArray *arrs = calloc((size_t)batches, sizeof *arrs);
    int64_t per = (n + batches - 1) / batches;
    for (int64_t b = 0; b < batches; b++) {
        struct ArrowArray *a = &arrs[b];
        GNV_ASSERT_OK(gnv__array_init(a, &s));
        for (int64_t i = b * per; i < n && i < (b + 1) * per; i++) {
            for (int64_t c = 0; c < ncols; c++) {
                struct ArrowArray *ch = a->children[c];
                if (!strncmp(cols[c], "id", 2) || !strcmp(cols[c], "extra")) {
                    if (ids[i] == INT64_MIN)
                        GNV_ASSERT_OK(gnv__array_append_null(ch, 1));
                    else
                        GNV_ASSERT_OK(gnv__array_append_int(ch, ids[i]));
                } else if (!strcmp(cols[c], "name")) {
                    if (!names || !names[i])
                        GNV_ASSERT_OK(gnv__array_append_null(ch, 1));
                    else
                        GNV_ASSERT_OK(gnv__array_append_bytes(ch, names[i], strlen(names[i])));
                } else {
                    if (!scores || isnan(scores[i]))
                        GNV_ASSERT_OK(gnv__array_append_null(ch, 1));
                    else
                        GNV_ASSERT_OK(gnv__array_append_double(ch, scores[i]));
                }
            }
            GNV_ASSERT_OK(gnv__array_finish_element(a));
        }
        GNV_ASSERT_OK(gnv__array_finish(a));
    }
    GNV_ASSERT_OK(gnv__stream_from_arrays(out, &s, arrs, batches));
    free(arrs);
}

static const char *const all_cols[] = {"id", "name", "score"};

typedef struct row {
    int64_t id;
    char name[32];
    bool name_null;
    bool score_null;
    double score;
} row;

static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Every row, sorted by id; returns the count. */
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
            memset(r, 0, sizeof *r);
            r->id = ((const int64_t *)c0->buffers[1])[c0->offset + i];
            int64_t k1 = c1->offset + i;
            const uint8_t *v1 = c1->buffers[0];
            r->name_null = v1 && !(v1[k1 >> 3] >> (k1 & 7) & 1);
            const int32_t *off = (const int32_t *)c1->buffers[1] + k1;
            if (!r->name_null)
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
    qsort(out, (size_t)GNV_MIN(n, cap), sizeof *out, cmp_row);
    return n;
}

static const row *find(const row *r, int64_t n, int64_t id)
{
    for (int64_t i = 0; i < n; i++)
        if (r[i].id == id)
            return &r[i];
    return NULL;
}

typedef struct env {
    char *dir;
    gnv_db *db;
} env;

static gnv_db *env_open(env *e)
{
    e->dir = gnv_test_tmpdir();
    GNV_ASSERT_OK(gnv_db_open(&e->db, e->dir, NULL));
    return e->db;
}

static void env_close(env *e)
{
    gnv_db_close(e->db);
    gnv_test_rmdir(e->dir);
}

static int merge(gnv_table *t,
                 const char *const *cols,
                 int64_t ncols,
                 int64_t n,
                 const int64_t *ids,
                 const char *const *names,
                 const double *scores,
                 const gnv_merge_insert_options *o,
                 gnv_merge_insert_stats *st)
{
    struct ArrowArrayStream s;
    make_source(&s, cols, ncols, n, ids, names, scores, 1);
    int rc = gnv_table_merge_insert(t, &s, o, st);
    s.release(&s);
    return rc;
}

static const char *const on_id[] = {"id"};

/* ---- the clauses ------------------------------------------------------------- */

static void test_upsert(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *t = gnv_test_score_table(db, "u", 30, 10); /* fragments 0..2 */
    static const int64_t ids[] = {25, 5, 40, 41};
    static const char *const names[] = {"u25", "u5", "new40", NULL};
    static const double scores[] = {100, 50, NAN, 4.5};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_not_matched_insert = 1;
    gnv_merge_insert_stats st;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 4, ids, names, scores, &o, &st));
    assert_int_equal(st.updated, 2);
    assert_int_equal(st.inserted, 2);
    assert_int_equal(st.deleted, 0);
    assert_int_equal(st.version, 2);
    assert_int_equal(gnv_table_version(t), 2);
    assert_string_equal(gnv_test_last_op(t), "update");
    /* one deletion file on fragments 0 and 2; one new fragment holding 4 rows */
    assert_int_equal(t->m->n_fragments, 4);
    assert_int_equal(t->m->fragments[0]->deletion_file->num_deleted_rows, 1);
    assert_null(t->m->fragments[1]->deletion_file);
    assert_int_equal(t->m->fragments[2]->deletion_file->num_deleted_rows, 1);
    assert_int_equal(t->m->fragments[3]->physical_rows, 4);
    row r[64];
    assert_int_equal(rows_of(t, r, 64), 32);
    const row *x = find(r, 32, 5);
    assert_string_equal(x->name, "u5");
    assert_true(x->score == 50);
    x = find(r, 32, 25);
    assert_string_equal(x->name, "u25");
    x = find(r, 32, 40);
    assert_string_equal(x->name, "new40");
    assert_true(x->score_null);
    x = find(r, 32, 41);
    assert_true(x->name_null);
    assert_true(x->score == 4.5);
    x = find(r, 32, 6);
    assert_string_equal(x->name, "n6");
    /* a reopened handle agrees */
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "u"));
    assert_int_equal(rows_of(t, r, 64), 32);
    assert_string_equal(find(r, 32, 5)->name, "u5");
    gnv_table_close(t);
    env_close(&e);
}

/* Every combination of update (U), insert (I) and delete (D) over ids 0..9 with a
 * source of ids 2, 3 and 12. */
static void test_clauses(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    static const int64_t ids[] = {3, 12, 2};
    static const char *const names[] = {"s", "s", "s"};
    static const double scores[] = {1, 1, 1};
    for (int combo = 0; combo < 8; combo++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", combo);
        gnv_table *t = gnv_test_score_table(db, name, 10, 4);
        gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
        o.on = on_id;
        o.n_on = 1;
        o.when_matched_update = combo & 1;
        o.when_not_matched_insert = (combo >> 1) & 1;
        o.when_not_matched_by_source_delete = (combo >> 2) & 1;
        gnv_merge_insert_stats st;
        if (combo == 0) {
            GNV_ASSERT_ERR(merge(t, all_cols, 3, 3, ids, names, scores, &o, &st), GNV_EINVAL,
                           "not configured to change");
            gnv_table_close(t);
            continue;
        }
        GNV_ASSERT_OK(merge(t, all_cols, 3, 3, ids, names, scores, &o, &st));
        assert_int_equal(st.updated, o.when_matched_update ? 2 : 0);
        assert_int_equal(st.inserted, o.when_not_matched_insert ? 1 : 0);
        assert_int_equal(st.deleted, o.when_not_matched_by_source_delete ? 8 : 0);
        assert_int_equal(gnv_table_version(t), 2);
        row r[32];
        int64_t n = rows_of(t, r, 32);
        int64_t want = (o.when_not_matched_by_source_delete ? 2 : 10) + o.when_not_matched_insert;
        assert_int_equal(n, want);
        const row *x = find(r, n, 2);
        assert_non_null(x);
        assert_string_equal(x->name, o.when_matched_update ? "s" : "n2");
        assert_true(x->score == (o.when_matched_update ? 1.0 : 1.0)); /* 2 / 2 == 1 too */
        x = find(r, n, 3);
        assert_string_equal(x->name, o.when_matched_update ? "s" : "n3");
        assert_true((find(r, n, 12) != NULL) == (o.when_not_matched_insert != 0));
        assert_true((find(r, n, 0) != NULL) == !o.when_not_matched_by_source_delete);
        assert_true((find(r, n, 9) != NULL) == !o.when_not_matched_by_source_delete);
        gnv_table_close(t);
    }
    env_close(&e);
}

/* ---- columns ------------------------------------------------------------------ */

static void test_partial_columns(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *t = gnv_test_score_table(db, "p", 20, 8);
    /* source (score, id), in another order than the table's: names are kept */
    static const char *const cols[] = {"score", "id"};
    static const int64_t ids[] = {4, 17, 30};
    static const double scores[] = {-4, -17, -30};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_not_matched_insert = 1;
    gnv_merge_insert_stats st;
    GNV_ASSERT_OK(merge(t, cols, 2, 3, ids, NULL, scores, &o, &st));
    assert_int_equal(st.updated, 2);
    assert_int_equal(st.inserted, 1);
    row r[40];
    assert_int_equal(rows_of(t, r, 40), 21);
    const row *x = find(r, 21, 4);
    assert_string_equal(x->name, "n4");
    assert_true(x->score == -4);
    x = find(r, 21, 17);
    assert_string_equal(x->name, "n17");
    assert_true(x->score == -17);
    x = find(r, 21, 30); /* inserted: the missing (nullable) name is NULL */
    assert_true(x->name_null);
    assert_true(x->score == -30);
    assert_true(find(r, 21, 5)->score == 2.5);

    /* update_columns: only name changes, though the source has score too */
    static const char *const only_name[] = {"name"};
    static const int64_t ids2[] = {5, 6};
    static const char *const names2[] = {"five", "six"};
    static const double scores2[] = {99, 99};
    o.update_columns = only_name;
    o.n_update_columns = 1;
    o.when_not_matched_insert = 0;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 2, ids2, names2, scores2, &o, &st));
    assert_int_equal(st.updated, 2);
    assert_int_equal(rows_of(t, r, 40), 21);
    x = find(r, 21, 5);
    assert_string_equal(x->name, "five");
    assert_true(x->score == 2.5);
    /* an update column the source lacks, or the table lacks */
    static const char *const nope[] = {"name"};
    o.update_columns = nope;
    GNV_ASSERT_ERR(merge(t, cols, 2, 3, ids, NULL, scores, &o, &st), GNV_EINVAL, "'name'");
    static const char *const nope2[] = {"zzz"};
    o.update_columns = nope2;
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 2, ids2, names2, scores2, &o, &st), GNV_EINVAL, "'zzz'");
    gnv_table_close(t);

    /* the source lacks a non-nullable column: no insert (but updates are fine) */
    gnv_table *k = gnv_test_score_table(db, "k", 5, 0);
    static const char *const sc[] = {"name", "score"};
    static const char *const on_name[] = {"name"};
    static const char *const nm[] = {"n1", "zz"};
    static const double sv[] = {7, 8};
    gnv_merge_insert_options o2 = GNV_MERGE_INSERT_OPTIONS_INIT;
    o2.on = on_name;
    o2.n_on = 1;
    o2.when_matched_update = 1;
    o2.when_not_matched_insert = 1;
    GNV_ASSERT_ERR(merge(k, sc, 2, 2, NULL, nm, sv, &o2, &st), GNV_EINVAL, "lacks column 'id'");
    assert_int_equal(gnv_table_version(k), 1);
    GNV_ASSERT_OK(merge(k, sc, 2, 1, NULL, nm, sv, &o2, &st));
    assert_int_equal(st.updated, 1);
    assert_int_equal(rows_of(k, r, 40), 5);
    assert_true(find(r, 5, 1)->score == 7);
    /* and a NULL for a non-nullable column */
    static const int64_t null_id[] = {INT64_MIN};
    static const char *const nm2[] = {"new"};
    GNV_ASSERT_ERR(merge(k, all_cols, 3, 1, null_id, nm2, sv, &o2, &st), GNV_EINVAL, "column 'id'");
    assert_int_equal(gnv_table_version(k), 2);
    gnv_table_close(k);
    env_close(&e);
}

/* Keys of two columns: (name, score). */
static void test_composite_keys(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *t = gnv_test_score_table(db, "ck", 10, 0);
    static const char *const on2[] = {"name", "score"};
    /* (n3, 1.5) matches id 3; (n4, 0) matches nothing (n4's score is 2); (n9, 4.5) id 9 */
    static const int64_t ids[] = {103, 104, 109};
    static const char *const names[] = {"n3", "n4", "n9"};
    static const double scores[] = {1.5, 0, 4.5};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on2;
    o.n_on = 2;
    o.when_matched_update = 1;
    o.when_not_matched_insert = 1;
    gnv_merge_insert_stats st;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 3, ids, names, scores, &o, &st));
    assert_int_equal(st.updated, 2);
    assert_int_equal(st.inserted, 1);
    row r[20];
    assert_int_equal(rows_of(t, r, 20), 11);
    assert_null(find(r, 11, 3));
    assert_null(find(r, 11, 9));
    assert_string_equal(find(r, 11, 103)->name, "n3");
    assert_string_equal(find(r, 11, 104)->name, "n4");
    assert_string_equal(find(r, 11, 4)->name, "n4");
    /* a key given twice */
    static const char *const twice[] = {"name", "name"};
    o.on = twice;
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 3, ids, names, scores, &o, &st), GNV_EINVAL, "twice");
    gnv_table_close(t);
    env_close(&e);
}

/* ---- errors ------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *t = gnv_test_score_table(db, "e", 10, 0);
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_not_matched_insert = 1;
    gnv_merge_insert_stats st;
    /* two source rows for target row 5 */
    static const int64_t dup[] = {1, 5, 20, 5};
    static const char *const names[] = {"a", "b", "c", "d"};
    static const double scores[] = {1, 2, 3, 4};
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 4, dup, names, scores, &o, &st), GNV_EINVAL, "id = 5");
    assert_non_null(strstr(gnv_error_last()->message, "ambiguous"));
    /* ... without updating, they are no error: find-or-create keeps row 5 */
    o.when_matched_update = 0;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 4, dup, names, scores, &o, &st));
    assert_int_equal(st.inserted, 1);
    /* duplicates that match nothing are both inserted, as LanceDB does */
    static const int64_t dup2[] = {50, 50};
    GNV_ASSERT_OK(merge(t, all_cols, 3, 2, dup2, names, scores, &o, &st));
    assert_int_equal(st.inserted, 2);
    uint64_t v = gnv_table_version(t);
    o.when_matched_update = 1;
    /* the key's type differs */
    static const char *const id32[] = {"id:i", "name"};
    GNV_ASSERT_ERR(merge(t, id32, 2, 1, dup, names, NULL, &o, &st), GNV_EINVAL,
                   "source column 'id' is int32");
    /* no key column in the source */
    static const char *const no_key[] = {"name", "score"};
    GNV_ASSERT_ERR(merge(t, no_key, 2, 1, dup, names, scores, &o, &st), GNV_EINVAL,
                   "lacks the key column 'id'");
    /* a key the table does not have */
    static const char *const on_zz[] = {"zz"};
    o.on = on_zz;
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 1, dup, names, scores, &o, &st), GNV_EINVAL, "'zz'");
    o.on = on_id;
    /* a source column the table does not have */
    static const char *const extra[] = {"id", "extra"};
    GNV_ASSERT_ERR(merge(t, extra, 2, 1, dup, names, scores, &o, &st), GNV_EINVAL, "'extra'");
    /* bad conditions */
    o.when_matched_condition = "source.nope > 1";
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 1, dup, names, scores, &o, &st), GNV_EINVAL,
                   "when_matched_condition");
    o.when_matched_condition = "source.score >";
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 1, dup, names, scores, &o, &st), GNV_EINVAL,
                   "when_matched_condition");
    o.when_matched_condition = NULL;
    o.when_not_matched_by_source_delete = 1;
    o.delete_condition = "nope = 1";
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 1, dup, names, scores, &o, &st), GNV_EINVAL,
                   "delete_condition");
    o.delete_condition = NULL;
    /* bad options */
    o.n_on = 0;
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 1, dup, names, scores, &o, &st), GNV_EINVAL,
                   "at least one key");
    o.n_on = 1;
    o.version = 99;
    GNV_ASSERT_ERR(merge(t, all_cols, 3, 1, dup, names, scores, &o, &st), GNV_EVERSION, NULL);
    o.version = GNV_MERGE_INSERT_OPTIONS_VERSION;
    GNV_ASSERT_ERR(gnv_table_merge_insert(t, NULL, &o, &st), GNV_EINVAL, "NULL");
    assert_int_equal(gnv_table_version(t), v);
    /* a read-only checkout */
    gnv_table *old = NULL;
    GNV_ASSERT_OK(gnv_table_checkout(&old, t, 1));
    GNV_ASSERT_ERR(merge(old, all_cols, 3, 1, dup, names, scores, &o, &st), GNV_EINVAL,
                   "read-only");
    gnv_table_close(old);
    gnv_table_close(t);
    env_close(&e);
}

/* NULL keys never match: a source row with a NULL key is inserted, a target row with
 * one is not matched by the source. */
static void test_null_keys(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *t = gnv_test_score_table(db, "nk", 10, 0);
    static const char *const nc[] = {"name"};
    static const char *const nv[] = {"NULL"};
    int64_t n = 0;
    GNV_ASSERT_OK(gnv_table_update(t, "id = 3", nc, nv, 1, &n));
    assert_int_equal(n, 1);
    static const char *const on_name[] = {"name"};
    static const int64_t ids[] = {100, 104};
    static const char *const names[] = {NULL, "n4"};
    static const double scores[] = {1, 2};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_name;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_not_matched_insert = 1;
    o.when_not_matched_by_source_delete = 1;
    o.delete_condition = "id < 5";
    gnv_merge_insert_stats st;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 2, ids, names, scores, &o, &st));
    assert_int_equal(st.updated, 1);  /* n4 */
    assert_int_equal(st.inserted, 1); /* the NULL name */
    assert_int_equal(st.deleted, 4);  /* 0, 1, 2 and 3 (NULL name) */
    row r[20];
    assert_int_equal(rows_of(t, r, 20), 7);
    assert_null(find(r, 7, 3));
    assert_null(find(r, 7, 4));
    assert_true(find(r, 7, 100)->name_null);
    assert_string_equal(find(r, 7, 104)->name, "n4");
    assert_non_null(find(r, 7, 5));
    gnv_table_close(t);
    env_close(&e);
}

static void test_empty_source(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *t = gnv_test_score_table(db, "em", 10, 0);
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_not_matched_insert = 1;
    gnv_merge_insert_stats st;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 0, NULL, NULL, NULL, &o, &st));
    assert_int_equal(st.updated + st.inserted + st.deleted, 0);
    assert_int_equal(st.version, 1); /* nothing committed */
    assert_int_equal(gnv_table_version(t), 1);
    /* deleting what the (empty) source lacks deletes every row the filter selects */
    o.when_not_matched_by_source_delete = 1;
    o.delete_condition = "score >= 2";
    GNV_ASSERT_OK(merge(t, all_cols, 3, 0, NULL, NULL, NULL, &o, &st));
    assert_int_equal(st.deleted, 6);
    assert_int_equal(st.version, 2);
    o.delete_condition = NULL;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 0, NULL, NULL, NULL, &o, &st));
    assert_int_equal(st.deleted, 4);
    int64_t n = -1;
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    assert_int_equal(n, 0);
    gnv_table_close(t);
    env_close(&e);
}

/* when_matched_condition over target and source; delete_condition over the target. */
static void test_conditions(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *t = gnv_test_score_table(db, "cond", 10, 3);
    /* id 2: score 0 < 1 (kept); id 4: 100 > 2 (updated); id 6: NULL score (not TRUE) */
    static const int64_t ids[] = {2, 4, 6, 77};
    static const char *const names[] = {"x2", "x4", "x6", "x77"};
    static const double scores[] = {0, 100, NAN, 7};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_matched_condition = "source.score > target.score AND target.name <> 'zz'";
    o.when_not_matched_insert = 1;
    o.when_not_matched_by_source_delete = 1;
    o.delete_condition = "id >= 8 OR name = 'n0'";
    gnv_merge_insert_stats st;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 4, ids, names, scores, &o, &st));
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.inserted, 1);
    assert_int_equal(st.deleted, 3); /* 0, 8, 9 */
    row r[20];
    assert_int_equal(rows_of(t, r, 20), 8);
    assert_string_equal(find(r, 8, 2)->name, "n2");
    assert_string_equal(find(r, 8, 4)->name, "x4");
    assert_true(find(r, 8, 4)->score == 100);
    assert_string_equal(find(r, 8, 6)->name, "n6");
    assert_string_equal(find(r, 8, 77)->name, "x77");
    assert_null(find(r, 8, 0));
    assert_null(find(r, 8, 9));
    /* a condition that is false everywhere, nothing else to do: no new version */
    uint64_t v = gnv_table_version(t);
    o.when_matched_condition = "false";
    o.when_not_matched_insert = 0;
    o.when_not_matched_by_source_delete = 0;
    GNV_ASSERT_OK(merge(t, all_cols, 3, 4, ids, names, scores, &o, &st));
    assert_int_equal(st.updated, 0);
    assert_int_equal(gnv_table_version(t), v);
    gnv_table_close(t);
    env_close(&e);
}

/* More matched rows than one chunk, from a source of several batches. */
static void test_large(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    const int64_t n = 20000;
    gnv_table *t = gnv_test_score_table(db, "big", n, 6000);
    int64_t m = 10100;
    int64_t *ids = calloc((size_t)m, sizeof *ids);
    double *scores = calloc((size_t)m, sizeof *scores);
    for (int64_t i = 0; i < m; i++) {
        ids[i] = i < 10000 ? (n - 2 - 2 * i) : n + i; /* even ids, descending; then new */
        scores[i] = -(double)ids[i];
    }
    static const char *const cols[] = {"id", "score"};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_matched_condition = "source.score < 0 OR target.id = 0";
    o.when_not_matched_insert = 1;
    gnv_merge_insert_stats st;
    struct ArrowArrayStream s;
    make_source(&s, cols, 2, m, ids, NULL, scores, 7);
    GNV_ASSERT_OK(gnv_table_merge_insert(t, &s, &o, &st));
    s.release(&s);
    assert_int_equal(st.updated, 10000);
    assert_int_equal(st.inserted, 100);
    row *r = calloc((size_t)(n + m), sizeof *r);
    assert_int_equal(rows_of(t, r, n + m), n + 100);
    for (int64_t i = 0; i < n + 100; i++) {
        const row *x = &r[i];
        char want[32];
        if (x->id < n) {
            assert_int_equal(x->id, i);
            snprintf(want, sizeof want, "n%lld", (long long)x->id);
            assert_string_equal(x->name, want);
            if (x->id % 2 == 0)
                assert_true(x->score == -(double)x->id);
            else
                assert_true(x->score == (double)x->id / 2);
        } else {
            assert_true(x->name_null);
            assert_true(x->score == -(double)x->id);
        }
    }
    free(r);
    free(ids);
    free(scores);
    gnv_table_close(t);
    env_close(&e);
}

/* ---- stable row ids ---------------------------------------------------------------- */

static int64_t child_index(const struct ArrowSchema *s, const char *name)
{
    for (int64_t i = 0; i < s->n_children; i++)
        if (!strcmp(s->children[i]->name, name))
            return i;
    return -1;
}

/* The created-at (or last-updated-at) version of the rows with the given row ids. */
static void versions_of(gnv_table *t, const uint64_t *ids, size_t n, bool created, uint64_t *out)
{
    uint64_t addrs[16];
    assert_true(n <= 16);
    GNV_ASSERT_OK(gnv__rowids_to_addrs(addrs, t, ids, n));
    for (size_t i = 0; i < n; i++) {
        const Gnvpb__DataFragment *f = NULL;
        for (size_t k = 0; k < t->m->n_fragments; k++)
            if (t->m->fragments[k]->id == addrs[i] >> 32)
                f = t->m->fragments[k];
        assert_non_null(f);
        uint64_t *v = NULL;
        GNV_ASSERT_OK(gnv__rowids_load_versions(&v, t->io, t->dir, t->name, f, created));
        out[i] = v[addrs[i] & 0xffffffffu];
        gnv__free(v);
    }
}

/* A table LanceDB made with stable row ids (row k has id k): updated rows keep their
 * row ids, inserted rows get new ones. */
static void test_stable_row_ids(void **state)
{
    (void)state;
    env e;
    e.dir = gnv_test_tmpdir();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/'", gnv_test_data("lancedb/0.39.0/g_stable.lance"),
             e.dir);
    assert_int_equal(system(cmd), 0);
    GNV_ASSERT_OK(gnv_db_open(&e.db, e.dir, NULL));
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&t, e.db, "g_stable"));
    assert_true(gnv__table_stable_row_ids(t->m));
    int64_t before = 0;
    GNV_ASSERT_OK(gnv_table_count_rows(t, &before));
    uint64_t created_before[4];
    static const uint64_t probe_ids[] = {22, 100, 10, 150};
    versions_of(t, probe_ids, 4, true, created_before);
    uint64_t next_id = t->m->next_row_id;
    /* source (id, sorted_i32) of the table's types: 22, 100, 10, 150 exist, 5000 not */
    struct ArrowSchema ts;
    GNV_ASSERT_OK(gnv_table_schema(t, &ts));
    int64_t ci = child_index(&ts, "id"), cs = child_index(&ts, "sorted_i32");
    assert_true(ci >= 0 && cs >= 0);
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 2));
    GNV_ASSERT_OK(gnv__schema_copy(s.children[0], ts.children[ci]));
    GNV_ASSERT_OK(gnv__schema_copy(s.children[1], ts.children[cs]));
    ts.release(&ts);
    static const int64_t ids[] = {22, 100, 5000, 10, 150};
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int i = 0; i < 5; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], ids[i]));
        GNV_ASSERT_OK(gnv__array_append_int(a.children[1], -ids[i]));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &s, &a, 1));
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_not_matched_insert = 1;
    gnv_merge_insert_stats stats;
    GNV_ASSERT_OK(gnv_table_merge_insert(t, &st, &o, &stats));
    gnv__stream_release(&st);
    assert_int_equal(stats.updated, 4);
    assert_int_equal(stats.inserted, 1);
    assert_int_equal(t->m->next_row_id, next_id + 1);
    /* the updated rows keep their created-at versions; last updated: this version */
    uint64_t created_after[4], updated_after[4];
    versions_of(t, probe_ids, 4, true, created_after);
    versions_of(t, probe_ids, 4, false, updated_after);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(created_after[k], created_before[k]);
        assert_int_equal(updated_after[k], stats.version);
    }
    /* scan id, sorted_i32, _rowid: updated rows have their old ids, 5000 the next one */
    for (int pass = 0; pass < 2; pass++) {
        int64_t rows = 0;
        gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
        static const char *const cols[] = {"id", "sorted_i32", "_rowid"};
        so.columns = cols;
        so.n_columns = 3;
        struct ArrowArrayStream sc;
        GNV_ASSERT_OK(gnv_table_scan(t, &so, &sc));
        int found = 0;
        for (;;) {
            struct ArrowArray b;
            int rc = gnv__stream_next(&sc, &b);
            if (rc == GNV_ITEROVER)
                break;
            GNV_ASSERT_OK(rc);
            const int64_t *id = (const int64_t *)b.children[0]->buffers[1] + b.children[0]->offset;
            const int32_t *v = (const int32_t *)b.children[1]->buffers[1] + b.children[1]->offset;
            const uint64_t *rid =
                (const uint64_t *)b.children[2]->buffers[1] + b.children[2]->offset;
            for (int64_t i = 0; i < b.length; i++) {
                if (id[i] == 5000) {
                    assert_int_equal(rid[i], next_id);
                    found++;
                } else {
                    assert_int_equal(rid[i], (uint64_t)id[i]); /* LanceDB: row k has id k */
                }
                for (int k = 0; k < 5; k++)
                    if (id[i] == ids[k] && ids[k] != 5000) {
                        assert_int_equal(v[i], -ids[k]);
                        found++;
                    }
            }
            rows += b.length;
            b.release(&b);
        }
        gnv__stream_release(&sc);
        assert_int_equal(found, 5);
        assert_int_equal(rows, before + 1);
        /* take by row id finds the updated row at its new place */
        static const uint64_t want[] = {100};
        static const char *const idc[] = {"sorted_i32"};
        struct ArrowSchema ks;
        struct ArrowArray ka;
        GNV_ASSERT_OK(gnv_table_take_row_ids(t, want, 1, idc, 1, &ks, &ka));
        assert_int_equal(((const int32_t *)ka.children[0]->buffers[1])[ka.children[0]->offset],
                         -100);
        ka.release(&ka);
        ks.release(&ks);
        gnv_table_close(t);
        t = NULL;
        GNV_ASSERT_OK(gnv_db_open_table(&t, e.db, "g_stable")); /* again, reopened */
    }
    gnv_table_close(t);
    env_close(&e);
}

/* ---- concurrency ----------------------------------------------------------------- */

static void test_concurrent_append(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *a = gnv_test_score_table(db, "cc", 10, 0);
    gnv_table *b = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&b, db, "cc"));
    /* b appends ids 100..102 (version 2) after a read version 1 */
    static const int64_t app[] = {100, 101, 102};
    static const char *const an[] = {"a", "b", "c"};
    struct ArrowArrayStream s;
    static const char *const full[] = {"id", "name", "score"};
    make_source(&s, full, 3, 3, app, an, NULL, 1);
    /* the source must have the table's exact schema for an append: id not nullable */
    struct ArrowSchema sch;
    GNV_ASSERT_OK(gnv_table_schema(b, &sch));
    struct ArrowArray arr;
    GNV_ASSERT_OK(gnv__stream_next(&s, &arr));
    s.release(&s);
    struct ArrowArrayStream s2;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&s2, &sch, &arr, 1));
    GNV_ASSERT_OK(gnv_table_add(b, &s2, NULL));
    s2.release(&s2);
    assert_int_equal(gnv_table_version(b), 2);
    /* a, still at version 1: upsert 1 and 200, delete 9: rebased over the append */
    static const int64_t ids[] = {1, 200};
    static const char *const names[] = {"one", "two hundred"};
    static const double scores[] = {1, 2};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_not_matched_insert = 1;
    o.when_not_matched_by_source_delete = 1;
    o.delete_condition = "id = 9";
    gnv_merge_insert_stats st;
    assert_int_equal(gnv_table_version(a), 1);
    GNV_ASSERT_OK(merge(a, all_cols, 3, 2, ids, names, scores, &o, &st));
    assert_int_equal(st.version, 3);
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.inserted, 1);
    assert_int_equal(st.deleted, 1);
    row r[32];
    assert_int_equal(rows_of(a, r, 32), 13);
    assert_string_equal(find(r, 13, 1)->name, "one");
    assert_string_equal(find(r, 13, 101)->name, "b");
    assert_non_null(find(r, 13, 200));
    assert_null(find(r, 13, 9));
    /* b, at version 2, merges into fragment 0 too: a conflict, so it runs again on the
     * latest version and sees a's rows */
    static const int64_t ids2[] = {1, 2};
    static const char *const names2[] = {"uno", "dos"};
    o.when_not_matched_by_source_delete = 0;
    GNV_ASSERT_OK(merge(b, all_cols, 3, 2, ids2, names2, scores, &o, &st));
    assert_int_equal(st.updated, 2);
    assert_int_equal(st.version, 4);
    assert_int_equal(rows_of(b, r, 32), 13);
    assert_string_equal(find(r, 13, 1)->name, "uno");
    assert_non_null(find(r, 13, 200));
    gnv_table_close(a);
    gnv_table_close(b);
    env_close(&e);
}

/* ---- I/O faults ---------------------------------------------------------------------- */

/* A fault at each write of a merge: the table reads as before or as after it. Each merge
 * appends a '+' to the names of ids 8..11 and inserts id 1000 + its version. */
static void run_faults(int fault)
{
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_table *t = gnv_test_score_table(db, "f", 20, 10);
    gnv_table_close(t);
    gnv_db_close(db);
    uint64_t version = 1;
    for (uint64_t k = 1;; k++) {
        gnv_db *fdb = NULL;
        gnv_io *fio = NULL;
        gnv_table *ft = gnv_test_fault_open(&fdb, &fio, dir, "f", fault, k);
        int64_t ids[5] = {8, 9, 10, 11, 1000 + (int64_t)version};
        char names[5][64];
        const char *np[5];
        for (int i = 0; i < 5; i++) {
            snprintf(names[i], sizeof names[i], "n%lld%.*s", (long long)ids[i], (int)version,
                     "++++++++++++++++++++++++++++++++");
            np[i] = names[i];
        }
        gnv_merge_insert_options mo = GNV_MERGE_INSERT_OPTIONS_INIT;
        mo.on = on_id;
        mo.n_on = 1;
        mo.when_matched_update = 1;
        mo.when_not_matched_insert = 1;
        static const char *const cols[] = {"id", "name"};
        gnv_merge_insert_stats st;
        int rc = merge(ft, cols, 2, 5, ids, np, NULL, &mo, &st);
        uint64_t ops = gnv_io_fault_ops(fio);
        if (rc < 0)
            assert_int_equal(gnv_table_version(ft), version);
        gnv_test_fault_close(ft, fdb, fio);
        GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
        GNV_ASSERT_OK(gnv_db_open_table(&t, db, "f"));
        if (rc == GNV_OK || gnv_table_version(t) == version + 1)
            version++;
        assert_int_equal(gnv_table_version(t), version);
        row r[64];
        int64_t n = rows_of(t, r, 64);
        assert_int_equal(n, 20 + (int64_t)version - 1);
        for (int64_t i = 0; i < n; i++) {
            char want[80];
            int64_t id = r[i].id;
            if (id >= 1000) /* inserted by the merge that made version id - 999 */
                snprintf(want, sizeof want, "n%lld%.*s", (long long)id, (int)(id - 1000),
                         "++++++++++++++++++++++++++++++++");
            else
                snprintf(want, sizeof want, "n%lld%.*s", (long long)id,
                         id >= 8 && id < 12 ? (int)(version - 1) : 0,
                         "++++++++++++++++++++++++++++++++");
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

static void test_io_faults(void **state)
{
    (void)state;
    run_faults(GNV_IO_FAULT_CRASH);
    run_faults(GNV_IO_FAULT_EIO);
}

/* ---- allocation failures ----------------------------------------------------------- */

/* Failing allocations spread over a whole merge (update with a condition, insert and
 * delete): each failure is GNV_ENOMEM with a message and commits nothing. */
static void test_alloc_faults(void **state)
{
    (void)state;
    env e;
    gnv_db *db = env_open(&e);
    gnv_table *t = gnv_test_score_table(db, "af", 12, 5);
    gnv_table *probe = gnv_test_score_table(db, "ag", 12, 5);
    static const char *const cols[] = {"score", "id"};
    static const int64_t ids[] = {3, 7, 40};
    static const double scores[] = {30, 70, 400};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on_id;
    o.n_on = 1;
    o.when_matched_update = 1;
    o.when_matched_condition = "source.score > target.score";
    o.when_not_matched_insert = 1;
    o.when_not_matched_by_source_delete = 1;
    o.delete_condition = "id > 9";
    gnv_merge_insert_stats st;
    struct ArrowArrayStream s;
    make_source(&s, cols, 2, 3, ids, NULL, scores, 2);
    gnv__alloc_fail_at(0, false);
    GNV_ASSERT_OK(gnv_table_merge_insert(probe, &s, &o, &st));
    uint64_t total = gnv__alloc_fail_at(0, false);
    s.release(&s);
    assert_int_equal(st.updated + st.inserted + st.deleted, 5);
    uint64_t step = total / 200 + 1;
    for (uint64_t n = 1; n <= total + 1; n += step) {
        make_source(&s, cols, 2, 3, ids, NULL, scores, 2);
        gnv_error_clear();
        gnv__alloc_fail_at(n, false);
        int rc = gnv_table_merge_insert(t, &s, &o, &st);
        gnv__alloc_fail_at(0, false);
        s.release(&s);
        if (rc == GNV_OK) {
            assert_int_equal(st.updated + st.inserted + st.deleted, 5);
            break;
        }
        if (rc != GNV_ENOMEM)
            fail_msg("allocation %llu failed but the merge returned %d: %s", (unsigned long long)n,
                     rc, gnv_error_last() ? gnv_error_last()->message : "(no message)");
        assert_non_null(gnv_error_last());
        GNV_ASSERT_OK(gnv_table_checkout_latest(t));
        assert_int_equal(gnv_table_version(t), 1);
    }
    if (gnv_table_version(t) == 1) { /* the last step failed too: now without faults */
        make_source(&s, cols, 2, 3, ids, NULL, scores, 2);
        GNV_ASSERT_OK(gnv_table_merge_insert(t, &s, &o, &st));
        s.release(&s);
    }
    assert_int_equal(gnv_table_version(t), 2);
    row r[20];
    assert_int_equal(rows_of(t, r, 20), 11);
    assert_true(find(r, 11, 3)->score == 30);
    assert_null(find(r, 11, 10));
    gnv_table_close(probe);
    gnv_table_close(t);
    env_close(&e);
}

int main(void)
{
    gnv_global_init(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upsert),
        cmocka_unit_test(test_clauses),
        cmocka_unit_test(test_partial_columns),
        cmocka_unit_test(test_composite_keys),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_null_keys),
        cmocka_unit_test(test_empty_source),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_stable_row_ids),
        cmocka_unit_test(test_concurrent_append),
        cmocka_unit_test(test_alloc_faults),
        cmocka_unit_test(test_io_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
