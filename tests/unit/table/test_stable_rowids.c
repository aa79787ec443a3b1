/*
 * Stable row ids: `_rowid` read from the fragments' row id sequences (every segment
 * kind, inline or external), takes by row id, and appends to a table LanceDB created
 * with stable row ids (tests/data/lancedb/0.39.0/g_stable: rows 0..179 got ids 0..179,
 * ids % 4 == 1 were deleted and ids < 20 updated, which moved them to fragment 2 with
 * their ids kept).
 */
#include "gnv_test.h"

#include "table/table.h"

/* ---- decoding sequences ----------------------------------------------------------- */

static void pack_seq(Gnvpb__DataFragment *f, Gnvpb__U64Segment **segs, size_t n)
{
    Gnvpb__RowIdSequence seq = GNVPB__ROW_ID_SEQUENCE__INIT;
    seq.n_segments = n;
    seq.segments = segs;
    size_t len = gnvpb__row_id_sequence__get_packed_size(&seq);
    f->inline_row_ids.data = malloc(len ? len : 1);
    f->inline_row_ids.len = gnvpb__row_id_sequence__pack(&seq, f->inline_row_ids.data);
    f->row_id_sequence_case = GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS;
}

static void test_segments(void **state)
{
    (void)state;
    /* Range{10,13}, RangeWithHoles{20,26 without 21,24}, RangeWithBitmap{40,50: 40,43,49},
     * SortedArray u16 base 100 (+0,+7), Array u32 base 5 (+3,+1), Array u64 (1<<40, 2) */
    Gnvpb__U64Segment s[6];
    Gnvpb__U64Segment *sp[6];
    for (int i = 0; i < 6; i++) {
        gnvpb__u64_segment__init(&s[i]);
        sp[i] = &s[i];
    }
    Gnvpb__U64Segment__Range r = GNVPB__U64_SEGMENT__RANGE__INIT;
    r.has_start = r.has_end = 1;
    r.start = 10;
    r.end = 13;
    s[0].segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE;
    s[0].range = &r;
    uint8_t holes16[4] = {21 - 20, 0, 24 - 20, 0};
    Gnvpb__EncodedU64Array holes = GNVPB__ENCODED_U64_ARRAY__INIT;
    Gnvpb__EncodedU64Array__U16Array h16 = GNVPB__ENCODED_U64_ARRAY__U16_ARRAY__INIT;
    h16.has_base_value = h16.has_offsets = 1;
    h16.base_value = 20;
    h16.offsets.data = holes16;
    h16.offsets.len = 4;
    holes.array_case = GNVPB__ENCODED_U64_ARRAY__ARRAY_U16_ARRAY;
    holes.u16_array = &h16;
    Gnvpb__U64Segment__RangeWithHoles rh = GNVPB__U64_SEGMENT__RANGE_WITH_HOLES__INIT;
    rh.has_start = rh.has_end = 1;
    rh.start = 20;
    rh.end = 26;
    rh.holes = &holes;
    s[1].segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE_WITH_HOLES;
    s[1].range_with_holes = &rh;
    uint8_t bm[2] = {0x09, 0x02}; /* LSB first: offsets 0, 3, 9 */
    Gnvpb__U64Segment__RangeWithBitmap rb = GNVPB__U64_SEGMENT__RANGE_WITH_BITMAP__INIT;
    rb.has_start = rb.has_end = rb.has_bitmap = 1;
    rb.start = 40;
    rb.end = 50;
    rb.bitmap.data = bm;
    rb.bitmap.len = 2;
    s[2].segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE_WITH_BITMAP;
    s[2].range_with_bitmap = &rb;
    uint8_t o16[4] = {0, 0, 7, 0};
    Gnvpb__EncodedU64Array a16 = GNVPB__ENCODED_U64_ARRAY__INIT;
    Gnvpb__EncodedU64Array__U16Array u16 = GNVPB__ENCODED_U64_ARRAY__U16_ARRAY__INIT;
    u16.has_base_value = u16.has_offsets = 1;
    u16.base_value = 100;
    u16.offsets.data = o16;
    u16.offsets.len = 4;
    a16.array_case = GNVPB__ENCODED_U64_ARRAY__ARRAY_U16_ARRAY;
    a16.u16_array = &u16;
    s[3].segment_case = GNVPB__U64_SEGMENT__SEGMENT_SORTED_ARRAY;
    s[3].sorted_array = &a16;
    uint8_t o32[8] = {3, 0, 0, 0, 1, 0, 0, 0};
    Gnvpb__EncodedU64Array a32 = GNVPB__ENCODED_U64_ARRAY__INIT;
    Gnvpb__EncodedU64Array__U32Array u32 = GNVPB__ENCODED_U64_ARRAY__U32_ARRAY__INIT;
    u32.has_base_value = u32.has_offsets = 1;
    u32.base_value = 5;
    u32.offsets.data = o32;
    u32.offsets.len = 8;
    a32.array_case = GNVPB__ENCODED_U64_ARRAY__ARRAY_U32_ARRAY;
    a32.u32_array = &u32;
    s[4].segment_case = GNVPB__U64_SEGMENT__SEGMENT_ARRAY;
    s[4].array = &a32;
    uint8_t v64[16] = {0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    Gnvpb__EncodedU64Array a64 = GNVPB__ENCODED_U64_ARRAY__INIT;
    Gnvpb__EncodedU64Array__U64Array u64 = GNVPB__ENCODED_U64_ARRAY__U64_ARRAY__INIT;
    u64.has_values = 1;
    u64.values.data = v64;
    u64.values.len = 16;
    a64.array_case = GNVPB__ENCODED_U64_ARRAY__ARRAY_U64_ARRAY;
    a64.u64_array = &u64;
    s[5].segment_case = GNVPB__U64_SEGMENT__SEGMENT_ARRAY;
    s[5].array = &a64;

    static const uint64_t want[] = {10, 11, 12,  20,  22, 23, 25,         40,
                                    43, 49, 100, 107, 8,  6,  1ULL << 40, 2};
    Gnvpb__DataFragment f = GNVPB__DATA_FRAGMENT__INIT;
    f.has_physical_rows = 1;
    f.physical_rows = GNV_ARRAY_SIZE(want);
    f.id = 3;
    pack_seq(&f, sp, 6);
    uint64_t *ids = NULL;
    GNV_ASSERT_OK(gnv__rowids_load(&ids, NULL, "t.lance", "t", &f));
    for (size_t i = 0; i < GNV_ARRAY_SIZE(want); i++)
        assert_int_equal(ids[i], want[i]);
    gnv__free(ids);

    /* a sequence whose length is not the fragment's rows */
    f.physical_rows = GNV_ARRAY_SIZE(want) + 1;
    GNV_ASSERT_ERR(gnv__rowids_load(&ids, NULL, "t.lance", "t", &f), GNV_ECORRUPT,
                   "16 row ids for 17 rows");
    f.physical_rows = 5;
    GNV_ASSERT_ERR(gnv__rowids_load(&ids, NULL, "t.lance", "t", &f), GNV_ECORRUPT,
                   "more ids than the fragment's 5 rows");
    /* a bitmap too short for its range */
    rb.bitmap.len = 1;
    free(f.inline_row_ids.data);
    pack_seq(&f, &sp[2], 1);
    f.physical_rows = 3;
    GNV_ASSERT_ERR(gnv__rowids_load(&ids, NULL, "t.lance", "t", &f), GNV_ECORRUPT,
                   "segment is invalid");
    /* damaged bytes: never a crash */
    for (size_t k = 0; k < f.inline_row_ids.len; k++) {
        uint8_t keep = f.inline_row_ids.data[k];
        f.inline_row_ids.data[k] ^= 0xa5;
        int rc = gnv__rowids_load(&ids, NULL, "t.lance", "t", &f);
        assert_true(rc == GNV_OK || rc == GNV_ECORRUPT);
        if (rc == GNV_OK)
            gnv__free(ids);
        f.inline_row_ids.data[k] = keep;
    }
    free(f.inline_row_ids.data);
    /* no sequence at all */
    f.row_id_sequence_case = GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE__NOT_SET;
    GNV_ASSERT_ERR(gnv__rowids_load(&ids, NULL, "t.lance", "t", &f), GNV_ECORRUPT,
                   "no row id sequence");
}

/* An external sequence: a byte range of a file under the table directory. */
static void test_external(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    Gnvpb__U64Segment__Range r = GNVPB__U64_SEGMENT__RANGE__INIT;
    r.has_start = r.has_end = 1;
    r.start = 7;
    r.end = 11;
    Gnvpb__U64Segment s = GNVPB__U64_SEGMENT__INIT, *sp = &s;
    s.segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE;
    s.range = &r;
    Gnvpb__RowIdSequence seq = GNVPB__ROW_ID_SEQUENCE__INIT;
    seq.n_segments = 1;
    seq.segments = &sp;
    uint8_t buf[64] = "xyz";
    size_t n = gnvpb__row_id_sequence__pack(&seq, buf + 3);
    GNV_ASSERT_OK(gnv__io_write_all(io, "t.lance/ids.bin", buf, n + 3, GNV_IO_REPLACE));
    Gnvpb__ExternalFile x = GNVPB__EXTERNAL_FILE__INIT;
    x.path = "ids.bin";
    x.has_offset = x.has_size = 1;
    x.offset = 3;
    x.size = n;
    Gnvpb__DataFragment f = GNVPB__DATA_FRAGMENT__INIT;
    f.has_physical_rows = 1;
    f.physical_rows = 4;
    f.row_id_sequence_case = GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_EXTERNAL_ROW_IDS;
    f.external_row_ids = &x;
    uint64_t *ids = NULL;
    GNV_ASSERT_OK(gnv__rowids_load(&ids, io, "t.lance", "t", &f));
    for (int i = 0; i < 4; i++)
        assert_int_equal(ids[i], 7 + i);
    gnv__free(ids);
    x.size = n + 100;
    GNV_ASSERT_ERR(gnv__rowids_load(&ids, io, "t.lance", "t", &f), GNV_ECORRUPT, "ids.bin");
    x.path = "missing.bin";
    GNV_ASSERT_ERR(gnv__rowids_load(&ids, io, "t.lance", "t", &f), GNV_ECORRUPT, "is missing");
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

/* ---- LanceDB's table ----------------------------------------------------------------- */

typedef struct fixture {
    char *dir;
    gnv_db *db;
    gnv_table *t;
} fixture;

/* gnv__rowids_set: runs become ranges, the rest arrays; every id reads back */
static void test_set_roundtrip(void **state)
{
    (void)state;
    enum { N = 300 };
    uint64_t ids[N], created[N];
    for (uint64_t i = 0; i < N; i++) {
        /* a short scattered head, a long run, scattered ids, a run at the very end */
        ids[i] = i < 5     ? 1000 - 7 * i
                 : i < 100 ? 50 + i
                 : i < 280 ? (i * 7919) % 100000 + 200000
                           : i;
        created[i] = i < 150 ? 3 : 4;
    }
    Gnvpb__DataFragment f = GNVPB__DATA_FRAGMENT__INIT;
    f.physical_rows = N;
    GNV_ASSERT_OK(gnv__rowids_set(&f, ids, created, 9));
    uint64_t *got = NULL;
    GNV_ASSERT_OK(gnv__rowids_load(&got, NULL, "t.lance", "t", &f));
    for (uint64_t i = 0; i < N; i++)
        assert_int_equal(got[i], ids[i]);
    gnv__free(got);
    Gnvpb__RowIdSequence *seq =
        gnvpb__row_id_sequence__unpack(NULL, f.inline_row_ids.len, f.inline_row_ids.data);
    assert_non_null(seq);
    assert_int_equal(seq->n_segments, 4); /* array, range, array, range */
    assert_int_equal(seq->segments[1]->segment_case, GNVPB__U64_SEGMENT__SEGMENT_RANGE);
    assert_int_equal(seq->segments[3]->segment_case, GNVPB__U64_SEGMENT__SEGMENT_RANGE);
    gnvpb__row_id_sequence__free_unpacked(seq, NULL);
    Gnvpb__RowDatasetVersionSequence *vs = gnvpb__row_dataset_version_sequence__unpack(
        NULL, f.inline_created_at_versions.len, f.inline_created_at_versions.data);
    assert_non_null(vs);
    assert_int_equal(vs->n_runs, 2);
    assert_int_equal(vs->runs[1]->version, 4);
    assert_int_equal(vs->runs[1]->span->range->start, 150);
    gnvpb__row_dataset_version_sequence__free_unpacked(vs, NULL);
    vs = gnvpb__row_dataset_version_sequence__unpack(NULL, f.inline_last_updated_at_versions.len,
                                                     f.inline_last_updated_at_versions.data);
    assert_non_null(vs);
    assert_int_equal(vs->n_runs, 1);
    assert_int_equal(vs->runs[0]->version, 9);
    gnvpb__row_dataset_version_sequence__free_unpacked(vs, NULL);
    gnv__free(f.inline_row_ids.data);
    gnv__free(f.inline_created_at_versions.data);
    gnv__free(f.inline_last_updated_at_versions.data);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    fx->dir = gnv_test_tmpdir();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/'", gnv_test_data("lancedb/0.39.0/g_stable.lance"),
             fx->dir);
    if (system(cmd) != 0)
        return -1;
    if (gnv_db_open(&fx->db, fx->dir, NULL) != GNV_OK ||
        gnv_db_open_table(&fx->t, fx->db, "g_stable") != GNV_OK)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    gnv_table_close(fx->t);
    gnv_db_close(fx->db);
    gnv_test_rmdir(fx->dir);
    free(fx);
    return 0;
}

/* The id column and _rowid of a take. */
static void take_ids(gnv_table *t, const uint64_t *rids, size_t n, int64_t *ids, uint64_t *got)
{
    static const char *const cols[] = {"id", "_rowid"};
    struct ArrowSchema s;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv_table_take_row_ids(t, rids, n, cols, 2, &s, &a));
    assert_int_equal(a.length, (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        ids[i] = ((const int64_t *)a.children[0]->buffers[1])[a.children[0]->offset + (int64_t)i];
        got[i] = ((const uint64_t *)a.children[1]->buffers[1])[a.children[1]->offset + (int64_t)i];
    }
    a.release(&a);
    s.release(&s);
}

static void test_take_row_ids(void **state)
{
    fixture *fx = *state;
    /* 10 and 18 were updated (fragment 2), 150..179 are the last append (fragment 3) */
    static const uint64_t rids[] = {22, 10, 179, 0, 18, 22, 100};
    int64_t ids[7];
    uint64_t got[7];
    take_ids(fx->t, rids, 7, ids, got);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(ids[i], (int64_t)rids[i]); /* LanceDB gave row k the id k */
        assert_int_equal(got[i], rids[i]);
    }
    struct ArrowSchema s;
    struct ArrowArray a;
    static const uint64_t gone[] = {5}; /* deleted */
    GNV_ASSERT_ERR(gnv_table_take_row_ids(fx->t, gone, 1, NULL, 0, &s, &a), GNV_ENOTFOUND,
                   "row id 5");
    static const uint64_t never[] = {180};
    GNV_ASSERT_ERR(gnv_table_take_row_ids(fx->t, never, 1, NULL, 0, &s, &a), GNV_ENOTFOUND,
                   "row id 180");
    /* a filter on _rowid sees the stable ids */
    int64_t n = 0;
    GNV_ASSERT_OK(gnv_table_count_rows_where(fx->t, "_rowid < 20", &n));
    assert_int_equal(n, 15);
}

/* Appends get the next ids; LanceDB's next_row_id moves on. */
static void test_append(void **state)
{
    fixture *fx = *state;
    struct ArrowSchema schema;
    GNV_ASSERT_OK(gnv_table_schema(fx->t, &schema));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &schema));
    for (int64_t r = 0; r < 25; r++) {
        for (int64_t c = 0; c < schema.n_children; c++) {
            if (c == 0)
                GNV_ASSERT_OK(gnv__array_append_int(a.children[0], 1000 + r));
            else
                GNV_ASSERT_OK(gnv__array_append_null(a.children[c], 1));
        }
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &schema, &a, 1));
    GNV_ASSERT_OK(gnv_table_add(fx->t, &st, NULL));
    gnv__stream_release(&st);
    assert_true(fx->t->m->has_next_row_id);
    assert_int_equal(fx->t->m->next_row_id, 205);
    assert_true(gnv__table_stable_row_ids(fx->t->m));
    /* the new fragment records its ids and versions */
    const Gnvpb__DataFragment *f = fx->t->m->fragments[fx->t->m->n_fragments - 1];
    assert_int_equal(f->row_id_sequence_case, GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS);
    assert_int_equal(f->created_at_version_sequence_case,
                     GNVPB__DATA_FRAGMENT__CREATED_AT_VERSION_SEQUENCE_INLINE_CREATED_AT_VERSIONS);
    static const uint64_t rids[] = {204, 180, 22};
    int64_t ids[3];
    uint64_t got[3];
    take_ids(fx->t, rids, 3, ids, got);
    assert_int_equal(ids[0], 1024);
    assert_int_equal(ids[1], 1000);
    assert_int_equal(ids[2], 22);
    /* a second append, reopened: ids go on from the manifest */
    gnv_table_close(fx->t);
    fx->t = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&fx->t, fx->db, "g_stable"));
    GNV_ASSERT_OK(gnv_table_schema(fx->t, &schema));
    GNV_ASSERT_OK(gnv__array_init(&a, &schema));
    for (int64_t c = 0; c < schema.n_children; c++) {
        if (c == 0)
            GNV_ASSERT_OK(gnv__array_append_int(a.children[0], 2000));
        else
            GNV_ASSERT_OK(gnv__array_append_null(a.children[c], 1));
    }
    GNV_ASSERT_OK(gnv__array_finish_element(&a));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &schema, &a, 1));
    GNV_ASSERT_OK(gnv_table_add(fx->t, &st, NULL));
    gnv__stream_release(&st);
    assert_int_equal(fx->t->m->next_row_id, 206);
    /* scan: every _rowid distinct, ours after LanceDB's */
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    static const char *const cols[] = {"id", "_rowid"};
    o.columns = cols;
    o.n_columns = 2;
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_scan(fx->t, &o, &s));
    int64_t rows = 0;
    uint8_t seen[256] = {0};
    for (;;) {
        struct ArrowArray b;
        int rc = gnv__stream_next(&s, &b);
        if (rc == GNV_ITEROVER)
            break;
        GNV_ASSERT_OK(rc);
        const int64_t *id = b.children[0]->buffers[1];
        const uint64_t *rid = b.children[1]->buffers[1];
        for (int64_t i = 0; i < b.length; i++, rows++) {
            assert_true(rid[i] < 206 && !seen[rid[i]]);
            seen[rid[i]] = 1;
            if (id[i] >= 2000)
                assert_int_equal(rid[i], 205);
            else if (id[i] >= 1000)
                assert_int_equal(rid[i], (uint64_t)(id[i] - 1000 + 180));
            else
                assert_int_equal(rid[i], (uint64_t)id[i]);
        }
        gnv__array_release(&b);
    }
    gnv__stream_release(&s);
    assert_int_equal(rows, 142 + 26);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_external),
        cmocka_unit_test(test_set_roundtrip),
        cmocka_unit_test_setup_teardown(test_take_row_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
