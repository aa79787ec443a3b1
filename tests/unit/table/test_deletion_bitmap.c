/*
 * Roaring deletion files with bitmap containers (more than 4096 rows of one 65536-row
 * block): read a byte at a time, they give the same rows as bit by bit, and rows at or
 * beyond the fragment's end are ignored, even inside the last byte.
 */
#include "gnv_test.h"

#include "table/table.h"

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

/* Row r of block k (r < 65536) is in the set. */
static bool in_set(uint32_t k, uint32_t r)
{
    return k == 0 ? r % 3 == 0 : r % 2 == 0;
}

static void test_bitmap_containers(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    /* cookie 12346, two containers, (key, card - 1) each, their offsets, two bitmaps */
    size_t n = 8 + 2 * 4 + 2 * 4 + 2 * 8192;
    uint8_t *b = calloc(n, 1);
    assert_non_null(b);
    put32(b, 12346);
    put32(b + 4, 2);
    uint32_t card[2] = {0, 0};
    for (uint32_t k = 0; k < 2; k++)
        for (uint32_t r = 0; r < 65536; r++)
            if (in_set(k, r)) {
                card[k]++;
                b[24 + 8192 * k + r / 8] |= (uint8_t)(1u << (r % 8));
            }
    for (uint32_t k = 0; k < 2; k++) {
        put16(b + 8 + 4 * k, k);
        put16(b + 10 + 4 * k, card[k] - 1);
        put32(b + 16 + 4 * k, 24 + 8192 * k);
    }
    GNV_ASSERT_OK(gnv__io_write_all(io, "t/_deletions/0-1-7.bin", b, n, GNV_IO_NOREPLACE));
    free(b);

    static const uint64_t ends[] = {70001, 65536 + 8, 65536 + 13};
    for (size_t e = 0; e < GNV_ARRAY_SIZE(ends); e++) {
        Gnvpb__DeletionFile d = GNVPB__DELETION_FILE__INIT;
        d.has_file_type = d.has_read_version = d.has_id = 1;
        d.file_type = GNVPB__DELETION_FILE__KIND__BITMAP;
        d.read_version = 1;
        d.id = 7;
        Gnvpb__DataFragment f = GNVPB__DATA_FRAGMENT__INIT;
        f.id = 0;
        f.physical_rows = ends[e];
        f.deletion_file = &d;
        uint8_t *bits = NULL;
        GNV_ASSERT_OK(gnv__fragment_deletions(io, "t", "t", &f, &bits));
        assert_non_null(bits);
        uint64_t phys = ends[e];
        for (uint64_t r = 0; r < (phys / 8 + 1) * 8; r++) {
            bool got = bits[r >> 3] >> (r & 7) & 1;
            bool want = r < phys && in_set((uint32_t)(r >> 16), (uint32_t)(r & 0xffff));
            if (got != want)
                fail_msg("fragment of %llu rows: row %llu is %s", (unsigned long long)phys,
                         (unsigned long long)r, got ? "deleted" : "not deleted");
        }
        gnv__free(bits);
    }
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

/* Deleting many rows of one fragment writes a Roaring file with a bitmap container (the
 * first 65536 rows) and an array container (the rest); deleting more merges into it. */
static void test_delete_writes_bitmaps(void **state)
{
    (void)state;
    const int64_t n = 70001;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 1));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", 0));
    struct ArrowArray *a = calloc(1, sizeof *a);
    GNV_ASSERT_OK(gnv__array_init(a, &s));
    for (int64_t i = 0; i < n; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(a->children[0], i));
        GNV_ASSERT_OK(gnv__array_finish_element(a));
    }
    GNV_ASSERT_OK(gnv__array_finish(a));
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &s, a, 1));
    free(a);
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "b", &st, NULL, NULL));
    st.release(&st);
    gnv__schema_release(&s);
    static const char *const filters[] = {"id % 3 = 0", "id % 5 = 0", "id > 69990"};
    for (size_t f = 0; f < GNV_ARRAY_SIZE(filters); f++) {
        int64_t deleted = 0, want = 0, left = 0, c = 0;
        for (int64_t i = 0; i < n; i++) {
            bool gone = false;
            for (size_t g = 0; g <= f; g++)
                gone = gone || (g == 0 ? i % 3 == 0 : g == 1 ? i % 5 == 0 : i > 69990);
            bool before = false;
            for (size_t g = 0; g < f; g++)
                before = before || (g == 0 ? i % 3 == 0 : i % 5 == 0);
            want += gone && !before;
            left += !gone;
        }
        GNV_ASSERT_OK(gnv_table_delete(t, filters[f], &deleted));
        assert_int_equal(deleted, want);
        GNV_ASSERT_OK(gnv_table_count_rows(t, &c));
        assert_int_equal(c, left);
        GNV_ASSERT_OK(gnv_table_count_rows_where(t, "id % 3 = 0 OR id % 5 = 0", &c));
        assert_int_equal(c, f == 0 ? (n - 1) / 5 + 1 - ((n - 1) / 15 + 1) : 0);
        assert_non_null(t->m->fragments[0]->deletion_file);
        assert_int_equal(t->m->fragments[0]->deletion_file->file_type,
                         GNVPB__DELETION_FILE__KIND__BITMAP);
    }
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitmap_containers),
        cmocka_unit_test(test_delete_writes_bitmaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
