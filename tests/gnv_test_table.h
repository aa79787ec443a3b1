/*
 * Table fixtures shared by the cmocka test binaries that make and check tables: tables of
 * known rows, scans that check those rows, the last commit's operation, and a table
 * opened through the fault-injecting I/O backend. Builds on gnv_test.h (included here);
 * every helper fails the test on an error it does not return.
 */
#ifndef GNV_TEST_TABLE_H
#define GNV_TEST_TABLE_H

#include "gnv_test.h"

#include "geneva/sys/io.h"
#include "table/table.h"

/* A database opened at dir on the local backend. */
static inline gnv_db *gnv_test_open_db(const char *dir)
{
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    return db;
}

/* The next batch of st into *out: true, or false at the end of the stream (out then
 * released). Fails the test with the stream's message when get_next fails. */
static inline bool gnv_test_next_batch(struct ArrowArrayStream *st, struct ArrowArray *out)
{
    int rc = st->get_next(st, out);
    if (rc != 0)
        fail_msg("get_next: %s", st->get_last_error(st));
    return out->release != NULL;
}

/* A new table `name` of the rows of st (released here), in files of per_file rows
 * (0: the default). */
static inline gnv_table *gnv_test_create_table_from(gnv_db *db,
                                                    const char *name,
                                                    struct ArrowArrayStream *st,
                                                    int64_t per_file)
{
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.max_rows_per_file = per_file;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, name, st, NULL, &co));
    gnv__stream_release(st);
    return t;
}

/* A new table `name` made of one batch: takes schema and array (both moved from, as by
 * gnv__stream_from_arrays), in files of per_file rows (0: the default). */
static inline gnv_table *gnv_test_create_table(gnv_db *db,
                                               const char *name,
                                               struct ArrowSchema *schema,
                                               struct ArrowArray *array,
                                               int64_t per_file)
{
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, schema, array, 1));
    return gnv_test_create_table_from(db, name, &st, per_file);
}

/* ---- the id table: id int64 = 0..n-1, s utf8 = "r<id>" (both nullable) ------------- */

/* A stream of one batch of rows id = first..first+n-1, s = "r<id>". */
static inline void gnv_test_id_stream(struct ArrowArrayStream *st, int64_t first, int64_t n)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "u", "s", ARROW_FLAG_NULLABLE));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int64_t i = first; i < first + n; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof buf, "r%lld", (long long)i);
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        GNV_ASSERT_OK(gnv__array_append_bytes(a.children[1], buf, (size_t)len));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__stream_from_arrays(st, &s, &a, 1));
    gnv__schema_release(&s);
}

/* A table `name` of the rows of gnv_test_id_stream(0, n), in files of per_file rows. */
static inline gnv_table *
gnv_test_id_table(gnv_db *db, const char *name, int64_t n, int64_t per_file)
{
    struct ArrowArrayStream st;
    gnv_test_id_stream(&st, 0, n);
    return gnv_test_create_table_from(db, name, &st, per_file);
}

/* Append the rows of gnv_test_id_stream(first, n) to t. */
static inline void gnv_test_id_append(gnv_table *t, int64_t first, int64_t n)
{
    struct ArrowArrayStream st;
    gnv_test_id_stream(&st, first, n);
    GNV_ASSERT_OK(gnv_table_add(t, &st, NULL));
    gnv__stream_release(&st);
}

/* The ids a full scan of an id table returns, in order, into ids (at most cap), checking
 * that each row's s is "r<id>"; their number. */
static inline int64_t gnv_test_scan_ids(gnv_table *t, int64_t *ids, int64_t cap)
{
    struct ArrowArrayStream st;
    static const char *const cols[] = {"id", "s"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.n_columns = 2;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
    int64_t n = 0;
    struct ArrowArray a;
    while (gnv_test_next_batch(&st, &a)) {
        const int64_t *v = (const int64_t *)a.children[0]->buffers[1] + a.children[0]->offset;
        const int32_t *off = (const int32_t *)a.children[1]->buffers[1] + a.children[1]->offset;
        const char *chars = a.children[1]->buffers[2];
        for (int64_t i = 0; i < a.length; i++) {
            char want[32];
            snprintf(want, sizeof want, "r%lld", (long long)v[i]);
            assert_int_equal(off[i + 1] - off[i], (int32_t)strlen(want));
            assert_memory_equal(chars + off[i], want, strlen(want));
            if (n < cap)
                ids[n] = v[i];
            n++;
        }
        a.release(&a);
    }
    st.release(&st);
    return n;
}

/* ---- the score table: id int64 (not null) = 0..n-1, name utf8 = "n<id>", score
 * float64 = id / 2 ------------------------------------------------------------------ */

/* A table `name` of n rows of the score table, in files of per_file rows. */
static inline gnv_table *
gnv_test_score_table(gnv_db *db, const char *name, int64_t n, int64_t per_file)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 3));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", 0));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "u", "name", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(s.children[2], "g", "score", ARROW_FLAG_NULLABLE));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int64_t i = 0; i < n; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof buf, "n%lld", (long long)i);
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        GNV_ASSERT_OK(gnv__array_append_bytes(a.children[1], buf, (size_t)len));
        GNV_ASSERT_OK(gnv__array_append_double(a.children[2], (double)i / 2));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    return gnv_test_create_table(db, name, &s, &a, per_file);
}

/* ---- any table -------------------------------------------------------------------- */

/* gnv_table_count_rows of t. */
static inline int64_t gnv_test_count_rows(gnv_table *t)
{
    int64_t n = -1;
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    return n;
}

/* The operation of t's latest version ("(none)" when it records none). Static buffer. */
static inline const char *gnv_test_last_op(gnv_table *t)
{
    static char op[64];
    gnv_version_info *vl = NULL;
    size_t nv = 0;
    GNV_ASSERT_OK(gnv_table_versions(t, &vl, &nv));
    snprintf(op, sizeof op, "%s", vl[nv - 1].operation ? vl[nv - 1].operation : "(none)");
    gnv_table_versions_free(vl, nv);
    return op;
}

/* Call fn(id, rowid, payload) for each row of a scan of t's int64 column `id` and its
 * `_rowid`, in scan order; the number of rows. */
static inline int64_t gnv_test_scan_rowids(gnv_table *t,
                                           void (*fn)(int64_t id, uint64_t rowid, void *payload),
                                           void *payload)
{
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    static const char *const cols[] = {"id", "_rowid"};
    o.columns = cols;
    o.n_columns = 2;
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    int64_t rows = 0;
    for (;;) {
        struct ArrowArray b;
        int rc = gnv__stream_next(&s, &b);
        if (rc == GNV_ITEROVER)
            break;
        GNV_ASSERT_OK(rc);
        const int64_t *id = (const int64_t *)b.children[0]->buffers[1] + b.children[0]->offset;
        const uint64_t *rid = (const uint64_t *)b.children[1]->buffers[1] + b.children[1]->offset;
        for (int64_t i = 0; i < b.length; i++, rows++)
            fn(id[i], rid[i], payload);
        gnv__array_release(&b);
    }
    gnv__stream_release(&s);
    return rows;
}

/* Delete rows[0..n) (offsets in fragment fid) through the internal delete, with "test"
 * as the predicate; returns its code, the number deleted through *deleted (may be NULL). */
static inline int
gnv_test_delete_rows(gnv_table *t, uint64_t fid, const uint32_t *rows, size_t n, int64_t *deleted)
{
    gnv__frag_rows s = {fid, rows, n};
    return gnv__table_delete_rows(t, &s, 1, "test", deleted);
}

/*
 * Table `name` of the database at dir, opened through a fault backend over the local one
 * that does `fault` at its k-th operation (gnv_io_fault_new). *db_out and *io_out are set
 * for gnv_test_fault_close and gnv_io_fault_ops.
 */
static inline gnv_table *gnv_test_fault_open(
    gnv_db **db_out, gnv_io **io_out, const char *dir, const char *name, int fault, uint64_t k)
{
    gnv_io *inner = NULL, *fio = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&inner, dir));
    GNV_ASSERT_OK(gnv_io_fault_new(&fio, inner, fault, k));
    gnv_db_options o = GNV_DB_OPTIONS_INIT;
    o.io = fio;
    gnv_db *fdb = NULL;
    GNV_ASSERT_OK(gnv_db_open(&fdb, dir, &o));
    gnv_table *ft = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&ft, fdb, name));
    *db_out = fdb;
    *io_out = fio;
    return ft;
}

/* Close what gnv_test_fault_open opened: the table, then its database, then the backend. */
static inline void gnv_test_fault_close(gnv_table *ft, gnv_db *fdb, gnv_io *fio)
{
    gnv_table_close(ft);
    gnv_db_close(fdb);
    gnv_io_free(fio);
}

#endif
