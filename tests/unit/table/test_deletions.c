/*
 * Reading deletion files as Lance writes them: portable Roaring bitmaps (.bin, array
 * and run containers) and Arrow IPC files (.arrow, one uint32 column). The deletions
 * are attached to a table written through the public API by committing a manifest by
 * hand; scans, takes and counts must skip the deleted rows.
 */
#include "gnv_test.h"

#include "table/table.h"

static void put16(gnv_buf *b, uint32_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    GNV_ASSERT_OK(gnv__buf_put(b, x, 2));
}

static void put32(gnv_buf *b, uint32_t v)
{
    put16(b, v & 0xffff);
    put16(b, v >> 16);
}

/* One array container (no-run cookie 12346, with the offset header). */
static void roaring_array(gnv_buf *b, const uint16_t *vals, uint32_t n)
{
    put32(b, 12346);
    put32(b, 1);
    put16(b, 0);
    put16(b, n - 1);
    put32(b, 16); /* offset of the container */
    for (uint32_t i = 0; i < n; i++)
        put16(b, vals[i]);
}

/* One run container [start, start+len) (cookie 12347, no offsets below 4 containers). */
static void roaring_run(gnv_buf *b, uint16_t start, uint16_t len)
{
    put32(b, 12347 | (0u << 16));
    uint8_t runbits = 1;
    GNV_ASSERT_OK(gnv__buf_put(b, &runbits, 1));
    put16(b, 0);
    put16(b, (uint32_t)len - 1);
    put16(b, 1);
    put16(b, start);
    put16(b, (uint32_t)len - 1);
}

static void arrow_ids(gnv_buf *b, const uint32_t *vals, int n)
{
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 1));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "I", "row_id", 0));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int i = 0; i < n; i++) {
        GNV_ASSERT_OK(gnv__array_append_uint(a.children[0], vals[i]));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    gnv_ipc_write_options o = GNV_IPC_WRITE_OPTIONS_INIT;
    o.compression = GNV_IPC_COMPRESS_ZSTD;
    gnv_ipc_writer *w = NULL;
    GNV_ASSERT_OK(gnv__ipc_writer_new(&w, gnv__ipc_sink_buf(b), &s, &o));
    GNV_ASSERT_OK(gnv__ipc_writer_write(w, &a));
    GNV_ASSERT_OK(gnv__ipc_writer_finish(w));
    gnv__ipc_writer_free(w);
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

static Gnvpb__DeletionFile *deletion(int kind, uint64_t id, uint64_t n)
{
    Gnvpb__DeletionFile *d = gnv__malloc(sizeof *d);
    gnvpb__deletion_file__init(d);
    d->has_file_type = d->has_read_version = d->has_id = d->has_num_deleted_rows = 1;
    d->file_type = kind;
    d->read_version = 1;
    d->id = id;
    d->num_deleted_rows = n;
    return d;
}

static void write_at(gnv_io *io, const char *path, const gnv_buf *b)
{
    GNV_ASSERT_OK(gnv__io_write_all(io, path, b->ptr, b->size, GNV_IO_NOREPLACE));
}

static void test_deletions(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    char csv[1024];
    snprintf(csv, sizeof csv, "%s/in.csv", dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "id\n");
    for (int i = 0; i < 100; i++)
        fprintf(f, "%d\n", i);
    fclose(f);
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_read_file(&s, csv, NULL));
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.max_rows_per_file = 40; /* fragments of 40, 40, 20 rows */
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "d", &s, NULL, &co));
    if (s.release)
        s.release(&s);

    /* deletion files: fragment 0 {0, 5, 39}, fragment 1 [10, 20), fragment 2 {19, 0} */
    gnv_buf b = GNV_BUF_INIT;
    const uint16_t a0[] = {0, 5, 39};
    roaring_array(&b, a0, 3);
    write_at(t->io, "d.lance/_deletions/0-1-11.bin", &b);
    gnv__buf_clear(&b);
    roaring_run(&b, 10, 10);
    write_at(t->io, "d.lance/_deletions/1-1-12.bin", &b);
    gnv__buf_clear(&b);
    const uint32_t a2[] = {19, 0};
    arrow_ids(&b, a2, 2);
    write_at(t->io, "d.lance/_deletions/2-1-13.arrow", &b);
    gnv_buf_dispose(&b);

    Gnvpb__Manifest *m = (Gnvpb__Manifest *)gnv__pb_dup(&t->m->base);
    m->version = 2;
    m->fragments[0]->deletion_file = deletion(GNVPB__DELETION_FILE__KIND__BITMAP, 11, 3);
    m->fragments[1]->deletion_file = deletion(GNVPB__DELETION_FILE__KIND__BITMAP, 12, 10);
    m->fragments[2]->deletion_file = deletion(GNVPB__DELETION_FILE__KIND__ARROW_ARRAY, 13, 2);
    m->has_reader_feature_flags = m->has_writer_feature_flags = 1;
    m->reader_feature_flags = m->writer_feature_flags = 1;
    char *mp = gnv__table_manifest_path("d.lance", 2, false);
    GNV_ASSERT_OK(gnv__manifest_write(t->io, mp, m, NULL, NULL));
    gnv__free(mp);
    gnv__manifest_free(m);
    gnv_table_close(t);

    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "d"));
    int64_t n = 0;
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    assert_int_equal(n, 85);
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.with_row_addr = 1;
    o.batch_rows = 7;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    int64_t seen = 0;
    for (;;) {
        struct ArrowArray a;
        assert_int_equal(s.get_next(&s, &a), 0);
        if (!a.release)
            break;
        const int64_t *ids = a.children[0]->buffers[1];
        const uint64_t *addr = a.children[1]->buffers[1];
        for (int64_t i = 0; i < a.length; i++) {
            int64_t id = ids[a.children[0]->offset + i];
            bool deleted =
                id == 0 || id == 5 || id == 39 || (id >= 50 && id < 60) || id == 80 || id == 99;
            assert_false(deleted);
            assert_int_equal(addr[a.children[1]->offset + i],
                             (uint64_t)(id / 40) << 32 | (uint64_t)(id % 40));
        }
        seen += a.length;
        a.release(&a);
    }
    s.release(&s);
    assert_int_equal(seen, 85);
    /* offset and limit count live rows */
    o.offset = 36; /* live rows 0..35: fragment 0 has 37 live rows */
    o.limit = 3;
    o.batch_rows = 0;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    struct ArrowArray a;
    assert_int_equal(s.get_next(&s, &a), 0);
    const int64_t *ids = a.children[0]->buffers[1];
    assert_int_equal(a.length, 1); /* the rest of fragment 0: id 38 */
    assert_int_equal(ids[0], 38);
    a.release(&a);
    assert_int_equal(s.get_next(&s, &a), 0);
    assert_int_equal(a.length, 2);
    ids = a.children[0]->buffers[1];
    assert_int_equal(ids[a.children[0]->offset], 40);
    a.release(&a);
    assert_int_equal(s.get_next(&s, &a), 0);
    assert_null(a.release);
    s.release(&s);
    /* take refuses deleted rows */
    uint64_t ok[] = {1ull << 32 | 9, 2ull << 32 | 1};
    struct ArrowSchema sc;
    GNV_ASSERT_OK(gnv_table_take(t, ok, 2, NULL, 0, &sc, &a));
    ids = a.children[0]->buffers[1];
    assert_int_equal(ids[0], 49);
    assert_int_equal(ids[1], 81);
    a.release(&a);
    sc.release(&sc);
    uint64_t bad[] = {1ull << 32 | 10};
    GNV_ASSERT_ERR(gnv_table_take(t, bad, 1, NULL, 0, &sc, &a), GNV_ENOTFOUND, "was deleted");
    /* consecutive rows are one range read: the same answers and the same errors */
    uint64_t run[5];
    for (int i = 0; i < 5; i++)
        run[i] = 1ull << 32 | (uint64_t)i;
    GNV_ASSERT_OK(gnv_table_take(t, run, 5, NULL, 0, &sc, &a));
    ids = a.children[0]->buffers[1];
    for (int i = 0; i < 5; i++)
        assert_int_equal(ids[a.children[0]->offset + i], 40 + i);
    a.release(&a);
    sc.release(&sc);
    for (int i = 0; i < 5; i++)
        run[i] = 1ull << 32 | (uint64_t)(8 + i); /* 10 was deleted */
    GNV_ASSERT_ERR(gnv_table_take(t, run, 5, NULL, 0, &sc, &a), GNV_ENOTFOUND,
                   "row address 4294967306 was deleted");
    for (int i = 0; i < 5; i++)
        run[i] = 2ull << 32 | (uint64_t)(38 + i);
    GNV_ASSERT_ERR(gnv_table_take(t, run, 5, NULL, 0, &sc, &a), GNV_ENOTFOUND, "is past the");
    for (int i = 0; i < 5; i++)
        run[i] = 9ull << 32 | (uint64_t)i;
    GNV_ASSERT_ERR(gnv_table_take(t, run, 5, NULL, 0, &sc, &a), GNV_ENOTFOUND,
                   "names fragment 9, which does not exist");

    /* a damaged or missing deletion file is a clear error naming it */
    char p[1200];
    snprintf(p, sizeof p, "%s/d.lance/_deletions/1-1-12.bin", dir);
    f = fopen(p, "wb");
    fputs("garbage", f);
    fclose(f);
    o.offset = 0;
    o.limit = -1;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    int err = 0;
    while ((err = s.get_next(&s, &a)) == 0 && a.release)
        a.release(&a);
    assert_true(err != 0);
    assert_non_null(strstr(s.get_last_error(&s), "1-1-12.bin"));
    s.release(&s);
    unlink(p);
    GNV_ASSERT_ERR(gnv_table_take(t, bad, 1, NULL, 0, &sc, &a), GNV_ECORRUPT, "is missing");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deletions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
