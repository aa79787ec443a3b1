/*
 * Stable row ids: `_rowid` read from the fragments' row id sequences (every segment
 * kind, inline or external), takes by row id, and appends to a table LanceDB created
 * with stable row ids (tests/data/lancedb/0.39.0/g_stable: rows 0..179 got ids 0..179,
 * ids % 4 == 1 were deleted and ids < 20 updated, which moved them to fragment 2 with
 * their ids kept).
 */
#include "gnv_test_table.h"

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

/* test_append's rows: _rowid distinct, LanceDB's rows' ids kept, ours after them. */
static void check_appended_rowid(int64_t id, uint64_t rid, void *payload)
{
    uint8_t *seen = payload;
    assert_true(rid < 206 && !seen[rid]);
    seen[rid] = 1;
    if (id >= 2000)
        assert_int_equal(rid, 205);
    else if (id >= 1000)
        assert_int_equal(rid, (uint64_t)(id - 1000 + 180));
    else
        assert_int_equal(rid, (uint64_t)id);
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
    uint8_t seen[256] = {0};
    assert_int_equal(gnv_test_scan_rowids(fx->t, check_appended_rowid, seen), 142 + 26);
}

/* ---- row changes keep the ids ------------------------------------------------------ */

#define MAX_ID 4096
#define NONE   UINT64_MAX

static void put_rowid(int64_t id, uint64_t rowid, void *payload)
{
    uint64_t *by_id = payload;
    assert_true(id >= 0 && id < MAX_ID);
    assert_int_equal(by_id[id], NONE); /* ids are unique in these tables */
    by_id[id] = rowid;
}

/* _rowid of each live row by its `id` (NONE for no such row); the number of rows. */
static int64_t rowids_by_id(gnv_table *t, uint64_t *by_id)
{
    for (int i = 0; i < MAX_ID; i++)
        by_id[i] = NONE;
    return gnv_test_scan_rowids(t, put_rowid, by_id);
}

/* The row id and created-at / last-updated-at versions of the live row whose _rowid is
 * rid, read from the fragments' sequences. */
static void versions_of(gnv_table *t, uint64_t rid, uint64_t *created, uint64_t *updated)
{
    uint64_t addr = 0;
    GNV_ASSERT_OK(gnv__rowids_to_addrs(&addr, t, &rid, 1));
    const Gnvpb__DataFragment *f = NULL;
    for (size_t i = 0; i < t->m->n_fragments; i++)
        if (t->m->fragments[i]->id == addr >> 32)
            f = t->m->fragments[i];
    assert_non_null(f);
    uint64_t *c = NULL, *u = NULL;
    GNV_ASSERT_OK(gnv__rowids_load_versions(&c, t->io, t->dir, t->name, f, true));
    GNV_ASSERT_OK(gnv__rowids_load_versions(&u, t->io, t->dir, t->name, f, false));
    *created = c[addr & 0xffffffffu];
    *updated = u[addr & 0xffffffffu];
    gnv__free(c);
    gnv__free(u);
}

/* Every fragment's row id sequence, as loaded ids, for comparing before and after. */
typedef struct frag_ids {
    uint64_t id, rows;
    uint64_t *ids;
} frag_ids;

static size_t save_sequences(gnv_table *t, frag_ids *out, size_t cap)
{
    assert_true(t->m->n_fragments <= cap);
    for (size_t i = 0; i < t->m->n_fragments; i++) {
        const Gnvpb__DataFragment *f = t->m->fragments[i];
        out[i].id = f->id;
        out[i].rows = f->physical_rows;
        GNV_ASSERT_OK(gnv__rowids_load(&out[i].ids, t->io, t->dir, t->name, f));
    }
    return t->m->n_fragments;
}

/* The fragments of t that are among `before` have the same sequences; frees before. */
static void check_sequences(gnv_table *t, frag_ids *before, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < t->m->n_fragments; j++) {
            const Gnvpb__DataFragment *f = t->m->fragments[j];
            if (f->id != before[i].id)
                continue;
            uint64_t *ids = NULL;
            assert_int_equal(f->physical_rows, before[i].rows);
            GNV_ASSERT_OK(gnv__rowids_load(&ids, t->io, t->dir, t->name, f));
            assert_memory_equal(ids, before[i].ids, before[i].rows * sizeof *ids);
            gnv__free(ids);
        }
        gnv__free(before[i].ids);
    }
}

/* A delete writes deletion files only: the other rows keep their ids. */
static void test_delete(void **state)
{
    fixture *fx = *state;
    static uint64_t before[MAX_ID], after[MAX_ID];
    frag_ids seqs[16];
    int64_t n0 = rowids_by_id(fx->t, before);
    size_t nf = save_sequences(fx->t, seqs, 16);
    uint64_t next = fx->t->m->next_row_id;
    int64_t deleted = 0;
    GNV_ASSERT_OK(gnv_table_delete(fx->t, "id % 3 = 0 OR id >= 170", &deleted));
    assert_true(deleted > 0);
    assert_true(gnv__table_stable_row_ids(fx->t->m));
    assert_int_equal(fx->t->m->writer_feature_flags & 2, 2);
    assert_int_equal(fx->t->m->next_row_id, next);
    int64_t n1 = rowids_by_id(fx->t, after);
    assert_int_equal(n1, n0 - deleted);
    for (int i = 0; i < MAX_ID; i++) {
        if (after[i] != NONE)
            assert_int_equal(after[i], before[i]);
        else if (before[i] != NONE)
            assert_true(i % 3 == 0 || i >= 170);
    }
    check_sequences(fx->t, seqs, nf);
    /* LanceDB's: the id a row got is its id column; a deleted id is gone */
    uint64_t rid = 22, addr;
    GNV_ASSERT_OK(gnv__rowids_to_addrs(&addr, fx->t, &rid, 1));
    rid = 21;
    GNV_ASSERT_ERR(gnv__rowids_to_addrs(&addr, fx->t, &rid, 1), GNV_ENOTFOUND, "row id 21");
    /* reopened: the same */
    gnv_table_close(fx->t);
    GNV_ASSERT_OK(gnv_db_open_table(&fx->t, fx->db, "g_stable"));
    int64_t n2 = rowids_by_id(fx->t, before);
    assert_int_equal(n2, n1);
    assert_memory_equal(before, after, sizeof before);
}

/* An update moves the rows to new fragments that carry their ids (Lance's
 * test_row_ids_stable_after_update); created-at stays, last-updated-at is the new
 * version; next_row_id does not move. */
static void test_update(void **state)
{
    fixture *fx = *state;
    static uint64_t before[MAX_ID], after[MAX_ID];
    frag_ids seqs[16];
    int64_t n0 = rowids_by_id(fx->t, before);
    size_t nf = save_sequences(fx->t, seqs, 16);
    uint64_t next = fx->t->m->next_row_id, v0 = fx->t->m->version;
    size_t frags0 = fx->t->m->n_fragments;
    uint64_t c, u;
    versions_of(fx->t, 160, &c, &u); /* appended by LanceDB at version 5 */
    assert_int_equal(c, 5);
    assert_int_equal(u, 5);
    versions_of(fx->t, 30, &c, &u); /* created at version 1 */
    assert_int_equal(c, 1);
    assert_int_equal(u, 1);
    versions_of(fx->t, 10, &c, &u); /* moved by LanceDB's update at version 4 */
    assert_int_equal(c, 1);
    assert_int_equal(u, 4);

    /* rows of every fragment, the moved ones (id < 20) included */
    static const char *const cols[] = {"city", "rand_i32"};
    static const char *const vals[] = {"'moved'", "rand_i32 + 1"};
    int64_t updated = 0;
    GNV_ASSERT_OK(gnv_table_update(fx->t, "id % 2 = 0 OR id > 150", cols, vals, 2, &updated));
    assert_true(updated > 60);
    assert_int_equal(fx->t->m->next_row_id, next);
    assert_int_equal(fx->t->m->version, v0 + 1);
    assert_true(fx->t->m->n_fragments > frags0 - 1);
    int64_t n1 = rowids_by_id(fx->t, after);
    assert_int_equal(n1, n0);
    assert_memory_equal(before, after, sizeof before);
    check_sequences(fx->t, seqs, nf); /* the old fragments: deletion files only */

    versions_of(fx->t, 160, &c, &u);
    assert_int_equal(c, 5);
    assert_int_equal(u, v0 + 1);
    versions_of(fx->t, 30, &c, &u);
    assert_int_equal(c, 1);
    assert_int_equal(u, v0 + 1);
    versions_of(fx->t, 10, &c, &u);
    assert_int_equal(c, 1);
    assert_int_equal(u, v0 + 1);
    versions_of(fx->t, 23, &c, &u); /* not updated */
    assert_int_equal(c, 1);
    assert_int_equal(u, 1);

    /* take by row id finds the moved row with its new value */
    static const char *const tcols[] = {"id", "city", "_rowid"};
    static const uint64_t rids[] = {160, 30, 23};
    struct ArrowSchema s;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv_table_take_row_ids(fx->t, rids, 3, tcols, 3, &s, &a));
    assert_int_equal(a.length, 3);
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, s.children[1], a.children[1]));
    int64_t len;
    const uint8_t *str = gnv__view_get_bytes(&v, 0, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(str, "moved", 5);
    str = gnv__view_get_bytes(&v, 1, &len);
    assert_memory_equal(str, "moved", 5);
    str = gnv__view_get_bytes(&v, 2, &len);
    assert_false(len == 5 && !memcmp(str, "moved", 5));
    gnv__array_view_reset(&v);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(((const int64_t *)a.children[0]->buffers[1])[i], (int64_t)rids[i]);
        assert_int_equal(((const uint64_t *)a.children[2]->buffers[1])[i], rids[i]);
    }
    a.release(&a);
    s.release(&s);

    /* a second update moves rows again (from our own fragments); then an append gets
     * the next ids, after LanceDB's */
    GNV_ASSERT_OK(gnv_table_update(fx->t, "id >= 100", cols, vals, 2, &updated));
    rowids_by_id(fx->t, after);
    assert_memory_equal(before, after, sizeof before);
    versions_of(fx->t, 160, &c, &u);
    assert_int_equal(c, 5);
    assert_int_equal(u, v0 + 2);
    assert_int_equal(fx->t->m->next_row_id, next);
    /* reopened: the same */
    gnv_table_close(fx->t);
    GNV_ASSERT_OK(gnv_db_open_table(&fx->t, fx->db, "g_stable"));
    rowids_by_id(fx->t, after);
    assert_memory_equal(before, after, sizeof before);
}

/* Column changes keep every fragment's sequence. */
static void test_columns(void **state)
{
    fixture *fx = *state;
    static uint64_t before[MAX_ID], after[MAX_ID];
    frag_ids seqs[16];
    int64_t n0 = rowids_by_id(fx->t, before);
    uint64_t next = fx->t->m->next_row_id;
    size_t nf = save_sequences(fx->t, seqs, 16);

    static const char *const names[] = {"twice"};
    static const char *const exprs[] = {"id * 2"};
    GNV_ASSERT_OK(gnv_table_add_columns_sql(fx->t, names, exprs, 1));
    assert_true(gnv__table_stable_row_ids(fx->t->m));
    assert_int_equal(rowids_by_id(fx->t, after), n0);
    assert_memory_equal(before, after, sizeof before);

    /* all-NULL columns: metadata only */
    struct ArrowSchema cols;
    GNV_ASSERT_OK(gnv__schema_init(&cols, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&cols, 1));
    GNV_ASSERT_OK(gnv__schema_init(cols.children[0], "u", "note", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__table_add_null_columns(fx->t, &cols));
    gnv__schema_release(&cols);
    rowids_by_id(fx->t, after);
    assert_memory_equal(before, after, sizeof before);

    /* alter: a cast rewrites the column's data; a rename only the schema */
    gnv_column_alteration alt = GNV_COLUMN_ALTERATION_INIT;
    alt.path = "twice";
    alt.cast = "float64";
    GNV_ASSERT_OK(gnv_table_alter_columns(fx->t, &alt, 1));
    alt = (gnv_column_alteration)GNV_COLUMN_ALTERATION_INIT;
    alt.path = "city";
    alt.rename = "town";
    GNV_ASSERT_OK(gnv_table_alter_columns(fx->t, &alt, 1));
    rowids_by_id(fx->t, after);
    assert_memory_equal(before, after, sizeof before);

    static const char *const drop[] = {"short_s", "twice"};
    GNV_ASSERT_OK(gnv_table_drop_columns(fx->t, drop, 2));
    rowids_by_id(fx->t, after);
    assert_memory_equal(before, after, sizeof before);
    check_sequences(fx->t, seqs, nf);
    assert_int_equal(fx->t->m->next_row_id, next);
    assert_true(gnv__table_stable_row_ids(fx->t->m));
    assert_int_equal(fx->t->m->writer_feature_flags & 2, 2);
    /* the versions stay too */
    uint64_t c, u;
    versions_of(fx->t, 160, &c, &u);
    assert_int_equal(c, 5);
    assert_int_equal(u, 5);
}

/* A table of `n` rows id = first.. (int64) and v = id * 10 (utf8 of it). */
static void make_stream(struct ArrowArrayStream *st, int64_t first, int64_t n)
{
    struct ArrowSchema s;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", 0));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "l", "v", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int64_t i = first; i < first + n; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], i));
        GNV_ASSERT_OK(gnv__array_append_int(a.children[1], i * 10));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__stream_from_arrays(st, &s, &a, 1));
    gnv__schema_release(&s);
}

/* A table we create with stable row ids: flag 2, ids 0.., kept through changes. */
static void test_create(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    assert_int_equal(co.version, 2);
    co.enable_stable_row_ids = 1;
    co.max_rows_per_file = 40; /* several fragments */
    make_stream(&st, 0, 100);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "s", &st, NULL, &co));
    gnv__stream_release(&st);
    assert_int_equal(t->m->version, 1);
    assert_true(t->m->has_reader_feature_flags && t->m->has_writer_feature_flags);
    assert_int_equal(t->m->reader_feature_flags, 2);
    assert_int_equal(t->m->writer_feature_flags, 2);
    assert_int_equal(t->m->next_row_id, 100);
    assert_int_equal(t->m->n_fragments, 3);
    static uint64_t before[MAX_ID], after[MAX_ID];
    assert_int_equal(rowids_by_id(t, before), 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(before[i], (uint64_t)i);
    uint64_t c, u;
    versions_of(t, 50, &c, &u);
    assert_int_equal(c, 1);
    assert_int_equal(u, 1);

    /* append (ids 100..), delete, update: ids stay */
    make_stream(&st, 100, 20);
    GNV_ASSERT_OK(gnv_table_add(t, &st, NULL));
    gnv__stream_release(&st);
    assert_int_equal(t->m->next_row_id, 120);
    GNV_ASSERT_OK(gnv_table_delete(t, "id % 5 = 0", NULL));
    static const char *const cols[] = {"v"};
    static const char *const vals[] = {"v + 1"};
    GNV_ASSERT_OK(gnv_table_update(t, "id > 30 AND id < 110", cols, vals, 1, NULL));
    assert_int_equal(t->m->next_row_id, 120);
    assert_int_equal(rowids_by_id(t, after), 96);
    for (int i = 0; i < 120; i++)
        assert_int_equal(after[i], i % 5 ? (uint64_t)i : NONE);
    versions_of(t, 104, &c, &u);
    assert_int_equal(c, 2);
    assert_int_equal(u, 4);
    gnv_table_close(t);

    /* overwrite keeps stable row ids; ids go on */
    co.mode = GNV_CREATE_MODE_OVERWRITE;
    co.enable_stable_row_ids = 0;
    make_stream(&st, 500, 3);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "s", &st, NULL, &co));
    gnv__stream_release(&st);
    assert_int_equal(t->m->reader_feature_flags, 2);
    assert_int_equal(rowids_by_id(t, after), 3);
    assert_int_equal(after[500], 120);
    assert_int_equal(after[502], 122);
    assert_int_equal(t->m->next_row_id, 123);
    gnv_table_close(t);

    /* asking for them when overwriting a table without them */
    co = (gnv_create_table_options)GNV_CREATE_TABLE_OPTIONS_INIT;
    make_stream(&st, 0, 3);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "plain", &st, NULL, &co));
    gnv__stream_release(&st);
    assert_false(gnv__table_stable_row_ids(t->m));
    gnv_table_close(t);
    co.mode = GNV_CREATE_MODE_OVERWRITE;
    co.enable_stable_row_ids = 1;
    make_stream(&st, 0, 3);
    GNV_ASSERT_ERR(gnv_db_create_table(&t, db, "plain", &st, NULL, &co), GNV_ENOTSUP,
                   "table 'plain' has no stable row ids");
    gnv__stream_release(&st);

    /* a version-1 options struct: the field is not read */
    co = (gnv_create_table_options)GNV_CREATE_TABLE_OPTIONS_INIT;
    co.version = 1;
    co.enable_stable_row_ids = 1;
    make_stream(&st, 0, 3);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "v1", &st, NULL, &co));
    gnv__stream_release(&st);
    assert_false(gnv__table_stable_row_ids(t->m));
    gnv_table_close(t);
    co.version = 3;
    GNV_ASSERT_ERR(gnv_db_create_table(&t, db, "v3", NULL, NULL, &co), GNV_EVERSION,
                   "options version 3");
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* An update that loses the race to an append lands a version later: the rows it moved
 * get that version as their last-updated-at version. */
static void test_update_rebased(void **state)
{
    fixture *fx = *state;
    gnv_table *other = NULL;
    static uint64_t before[MAX_ID], after[MAX_ID];
    rowids_by_id(fx->t, before);
    GNV_ASSERT_OK(gnv_db_open_table(&other, fx->db, "g_stable"));
    uint64_t v0 = fx->t->m->version;
    /* the other handle appends first: our update's base is stale */
    struct ArrowSchema schema;
    GNV_ASSERT_OK(gnv_table_schema(other, &schema));
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__array_init(&a, &schema));
    for (int64_t c = 0; c < schema.n_children; c++) {
        if (c == 0)
            GNV_ASSERT_OK(gnv__array_append_int(a.children[0], 3000));
        else
            GNV_ASSERT_OK(gnv__array_append_null(a.children[c], 1));
    }
    GNV_ASSERT_OK(gnv__array_finish_element(&a));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &schema, &a, 1));
    GNV_ASSERT_OK(gnv_table_add(other, &st, NULL));
    gnv__stream_release(&st);
    gnv_table_close(other);
    static const char *const cols[] = {"city"};
    static const char *const vals[] = {"'x'"};
    GNV_ASSERT_OK(gnv_table_update(fx->t, "id < 60", cols, vals, 1, NULL));
    assert_int_equal(fx->t->m->version, v0 + 2);
    assert_int_equal(fx->t->m->next_row_id, 181);
    rowids_by_id(fx->t, after);
    assert_int_equal(after[3000], 180);
    after[3000] = NONE;
    assert_memory_equal(before, after, sizeof before);
    uint64_t c, u;
    versions_of(fx->t, 50, &c, &u);
    assert_int_equal(c, 1);
    assert_int_equal(u, v0 + 2);
    versions_of(fx->t, 180, &c, &u);
    assert_int_equal(c, v0 + 1);
    assert_int_equal(u, v0 + 1);
}

/* Version sequences: runs over positions, inline or external; none reads as 1. */
static void test_versions(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    Gnvpb__U64Segment__Range r[2] = {GNVPB__U64_SEGMENT__RANGE__INIT,
                                     GNVPB__U64_SEGMENT__RANGE__INIT};
    r[0].has_start = r[0].has_end = r[1].has_start = r[1].has_end = 1;
    r[0].start = 0;
    r[0].end = 3;
    r[1].start = 3;
    r[1].end = 5;
    Gnvpb__U64Segment sp[2] = {GNVPB__U64_SEGMENT__INIT, GNVPB__U64_SEGMENT__INIT};
    Gnvpb__RowDatasetVersionRun run[2] = {GNVPB__ROW_DATASET_VERSION_RUN__INIT,
                                          GNVPB__ROW_DATASET_VERSION_RUN__INIT};
    Gnvpb__RowDatasetVersionRun *runs[2] = {&run[0], &run[1]};
    for (int i = 0; i < 2; i++) {
        sp[i].segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE;
        sp[i].range = &r[i];
        run[i].span = &sp[i];
        run[i].has_version = 1;
        run[i].version = 7 + (uint64_t)i;
    }
    Gnvpb__RowDatasetVersionSequence vs = GNVPB__ROW_DATASET_VERSION_SEQUENCE__INIT;
    vs.n_runs = 2;
    vs.runs = runs;
    uint8_t buf[128] = "ab";
    size_t n = gnvpb__row_dataset_version_sequence__pack(&vs, buf + 2);
    GNV_ASSERT_OK(gnv__io_write_all(io, "t.lance/v.bin", buf, n + 2, GNV_IO_REPLACE));
    Gnvpb__ExternalFile x = GNVPB__EXTERNAL_FILE__INIT;
    x.path = "v.bin";
    x.has_offset = x.has_size = 1;
    x.offset = 2;
    x.size = n;
    Gnvpb__DataFragment f = GNVPB__DATA_FRAGMENT__INIT;
    f.has_physical_rows = 1;
    f.physical_rows = 5;
    f.id = 4;
    uint64_t *v = NULL;
    /* none recorded */
    GNV_ASSERT_OK(gnv__rowids_load_versions(&v, io, "t.lance", "t", &f, true));
    for (int i = 0; i < 5; i++)
        assert_int_equal(v[i], 1);
    gnv__free(v);
    /* external created-at */
    f.created_at_version_sequence_case =
        GNVPB__DATA_FRAGMENT__CREATED_AT_VERSION_SEQUENCE_EXTERNAL_CREATED_AT_VERSIONS;
    f.external_created_at_versions = &x;
    GNV_ASSERT_OK(gnv__rowids_load_versions(&v, io, "t.lance", "t", &f, true));
    static const uint64_t want[] = {7, 7, 7, 8, 8};
    assert_memory_equal(v, want, sizeof want);
    gnv__free(v);
    x.path = "missing.bin";
    GNV_ASSERT_ERR(gnv__rowids_load_versions(&v, io, "t.lance", "t", &f, true), GNV_ECORRUPT,
                   "created-at version file");
    /* inline last-updated-at; a wrong length */
    f.last_updated_at_version_sequence_case =
        GNVPB__DATA_FRAGMENT__LAST_UPDATED_AT_VERSION_SEQUENCE_INLINE_LAST_UPDATED_AT_VERSIONS;
    f.inline_last_updated_at_versions.data = buf + 2;
    f.inline_last_updated_at_versions.len = n;
    GNV_ASSERT_OK(gnv__rowids_load_versions(&v, io, "t.lance", "t", &f, false));
    assert_memory_equal(v, want, sizeof want);
    gnv__free(v);
    f.physical_rows = 6;
    GNV_ASSERT_ERR(gnv__rowids_load_versions(&v, io, "t.lance", "t", &f, false), GNV_ECORRUPT,
                   "5 last-updated-at versions for 6 rows");
    f.physical_rows = 4;
    GNV_ASSERT_ERR(gnv__rowids_load_versions(&v, io, "t.lance", "t", &f, false), GNV_ECORRUPT,
                   "fragment 4");
    /* damaged bytes: never a crash */
    f.physical_rows = 5;
    for (size_t k = 0; k < n; k++) {
        uint8_t keep = buf[2 + k];
        buf[2 + k] ^= 0x5a;
        int rc = gnv__rowids_load_versions(&v, io, "t.lance", "t", &f, false);
        assert_true(rc == GNV_OK || rc == GNV_ECORRUPT);
        if (rc == GNV_OK)
            gnv__free(v);
        buf[2 + k] = keep;
    }
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

/* Allocation failures in the version loader and gnv__rowids_touch: GNV_ENOMEM, no leak. */
typedef struct fault_arg {
    gnv_io *io;
    Gnvpb__DataFragment *f;
    Gnvpb__Manifest *m;
} fault_arg;

static int load_body(void *p)
{
    fault_arg *a = p;
    uint64_t *c = NULL, *u = NULL;
    int rc = gnv__rowids_load_versions(&c, a->io, "t.lance", "t", a->f, true);
    if (rc == GNV_OK)
        rc = gnv__rowids_load_versions(&u, a->io, "t.lance", "t", a->f, false);
    gnv__free(c);
    gnv__free(u);
    return rc;
}

static int touch_body(void *p)
{
    fault_arg *a = p;
    return gnv__rowids_touch(a->m, 0, 12);
}

static void test_faults(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    uint64_t ids[40], created[40];
    for (int i = 0; i < 40; i++) {
        ids[i] = (uint64_t)(i < 20 ? 100 + i : 7 * i);
        created[i] = (uint64_t)(1 + i / 10);
    }
    Gnvpb__DataFragment *f = gnv__calloc(1, sizeof *f);
    gnvpb__data_fragment__init(f);
    f->has_physical_rows = 1;
    f->physical_rows = 40;
    GNV_ASSERT_OK(gnv__rowids_set(f, ids, created, 9));
    /* the last-updated-at sequence from a file */
    ProtobufCBinaryData lu = f->inline_last_updated_at_versions;
    GNV_ASSERT_OK(gnv__io_write_all(io, "t.lance/lu.bin", lu.data, lu.len, GNV_IO_REPLACE));
    gnv__free(lu.data);
    Gnvpb__ExternalFile *x = gnv__calloc(1, sizeof *x);
    gnvpb__external_file__init(x);
    x->path = gnv__strdup("lu.bin");
    x->has_size = 1;
    x->size = lu.len;
    f->last_updated_at_version_sequence_case =
        GNVPB__DATA_FRAGMENT__LAST_UPDATED_AT_VERSION_SEQUENCE_EXTERNAL_LAST_UPDATED_AT_VERSIONS;
    f->external_last_updated_at_versions = x; /* (a oneof: shares the inline bytes' place) */
    fault_arg a = {io, f, NULL};
    uint64_t *v = NULL;
    GNV_ASSERT_OK(gnv__rowids_load_versions(&v, io, "t.lance", "t", f, true));
    assert_memory_equal(v, created, sizeof created);
    gnv__free(v);
    GNV_ASSERT_OK(gnv__rowids_load_versions(&v, io, "t.lance", "t", f, false));
    for (int i = 0; i < 40; i++)
        assert_int_equal(v[i], 9);
    gnv__free(v);
    assert_true(gnv_test_faultsim(load_body, &a) > 1);

    Gnvpb__Manifest m = GNVPB__MANIFEST__INIT;
    Gnvpb__DataFragment *frags[1] = {f};
    m.fragments = frags;
    m.n_fragments = 1;
    a.m = &m;
    assert_true(gnv_test_faultsim(touch_body, &a) > 1);
    GNV_ASSERT_OK(gnv__rowids_load_versions(&v, io, "t.lance", "t", f, false));
    for (int i = 0; i < 40; i++)
        assert_int_equal(v[i], 12);
    gnv__free(v);
    GNV_ASSERT_OK(gnv__rowids_load_versions(&v, io, "t.lance", "t", f, true));
    assert_memory_equal(v, created, sizeof created);
    gnv__free(v);
    gnv__pb_free(&f->base);
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_external),
        cmocka_unit_test(test_set_roundtrip),
        cmocka_unit_test_setup_teardown(test_take_row_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_rebased, setup, teardown),
        cmocka_unit_test_setup_teardown(test_columns, setup, teardown),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
