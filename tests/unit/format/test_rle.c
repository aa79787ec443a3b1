/* RLE mini-block values: the decoder on hand-built buffers, and a damaged LanceDB-written file. */
#include "gnv_test.h"

#include <dirent.h>

#include "format/format.h"
#include "format/format_rle.h"
#include "io/io.h"

static void test_rle_widths(void **state)
{
    (void)state;
    const uint8_t v8[] = {7, 9, 7};
    const uint8_t runs[] = {2, 1, 3};
    uint8_t o8[6];
    GNV_ASSERT_OK(gnv__rle_decode(o8, 6, 1, v8, sizeof v8, runs, 3));
    const uint8_t want8[] = {7, 7, 9, 7, 7, 7};
    assert_memory_equal(o8, want8, 6);

    const uint8_t v16[] = {0x34, 0x12, 0xff, 0xff, 0x01, 0x00}; /* 0x1234, -1, 1 */
    uint8_t o16[12];
    GNV_ASSERT_OK(gnv__rle_decode(o16, 6, 2, v16, sizeof v16, runs, 3));
    const uint8_t want16[] = {0x34, 0x12, 0x34, 0x12, 0xff, 0xff, 1, 0, 1, 0, 1, 0};
    assert_memory_equal(o16, want16, 12);

    const uint8_t v32[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t o32[24];
    GNV_ASSERT_OK(gnv__rle_decode(o32, 6, 4, v32, sizeof v32, runs, 3));
    for (int i = 0; i < 6; i++)
        assert_memory_equal(o32 + 4 * i, v32 + 4 * (i < 2 ? 0 : i < 3 ? 1 : 2), 4);

    /* A run of 1000 as the writer splits it (255, 255, 255, 235), then a single value. */
    uint8_t v64[5 * 8];
    const uint8_t runs64[] = {255, 255, 255, 235, 1};
    for (int r = 0; r < 5; r++)
        for (int b = 0; b < 8; b++)
            v64[8 * r + b] = (uint8_t)(r < 4 ? 0xa0 + b : 0x11);
    uint8_t *o64 = gnv__malloc(1001 * 8);
    assert_non_null(o64);
    GNV_ASSERT_OK(gnv__rle_decode(o64, 1001, 8, v64, sizeof v64, runs64, 5));
    for (int i = 0; i < 1000; i++)
        assert_memory_equal(o64 + 8 * i, v64, 8);
    assert_memory_equal(o64 + 8 * 1000, v64 + 32, 8);
    gnv__free(o64);

    /* An empty chunk has no runs. */
    GNV_ASSERT_OK(gnv__rle_decode(o8, 0, 4, NULL, 0, NULL, 0));
}

static void test_rle_corrupt(void **state)
{
    (void)state;
    const uint8_t v[] = {1, 0, 0, 0, 2, 0, 0, 0};
    uint8_t out[64];
    const uint8_t runs[] = {3, 4};
    /* The runs must add up to the chunk's count exactly. */
    GNV_ASSERT_ERR(gnv__rle_decode(out, 8, 4, v, 8, runs, 2), GNV_ECORRUPT, "add up to 7");
    GNV_ASSERT_ERR(gnv__rle_decode(out, 6, 4, v, 8, runs, 2), GNV_ECORRUPT, "exceed");
    GNV_ASSERT_ERR(gnv__rle_decode(out, 3, 4, v, 8, runs, 2), GNV_ECORRUPT, "at run 1");
    /* One value per run length. */
    GNV_ASSERT_ERR(gnv__rle_decode(out, 3, 4, v, 4, runs, 2), GNV_ECORRUPT, "run lengths");
    GNV_ASSERT_ERR(gnv__rle_decode(out, 3, 4, v, 7, runs, 1), GNV_ECORRUPT, "run lengths");
    GNV_ASSERT_ERR(gnv__rle_decode(out, 3, 4, v, 8, runs, 1), GNV_ECORRUPT, "run lengths");
    const uint8_t zero[] = {3, 0};
    GNV_ASSERT_ERR(gnv__rle_decode(out, 3, 4, v, 8, zero, 2), GNV_ECORRUPT, "length 0");
    GNV_ASSERT_ERR(gnv__rle_decode(out, 3, 4, v, 0, NULL, 0), GNV_ECORRUPT, "add up to 0");
    GNV_ASSERT_ERR(gnv__rle_decode(out, 3, 3, v, 6, runs, 2), GNV_EINVAL, "3 bytes");
}

/* Reads column `col` (all rows) of the file, validating the result. */
static int read_column(gnv_io *io, const char *name, int col)
{
    gnv_lance_file *f;
    int rc = gnv__lance_file_open(&f, io, name);
    if (rc < 0)
        return rc;
    struct ArrowSchema schema;
    rc = gnv__lance_file_schema(f, &schema);
    if (rc == GNV_OK) {
        struct ArrowArray a;
        rc = gnv__lance_file_read(f, schema.children[col], col, 0, gnv__lance_file_rows(f), &a);
        if (rc == GNV_OK) {
            rc = gnv__array_validate(schema.children[col], &a, true);
            gnv__array_release(&a);
        }
        gnv__schema_release(&schema);
    }
    gnv__lance_file_close(f);
    return rc;
}

/* Column 6 of table r (r_i32_short, see tests/data/lancedb) is one RLE chunk of 3000 values in
 * 750 runs of 4; one longer run makes the file corrupt. */
static void test_rle_damaged_file(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/lancedb/0.37.1/r.lance/data", getenv("GNV_TEST_DATA"));
    char name[256] = "";
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".lance"))
            snprintf(name, sizeof name, "%s", e->d_name);
    closedir(d);
    assert_true(name[0] != '\0');

    gnv_io *src, *dst;
    char *tmp = gnv_test_tmpdir();
    GNV_ASSERT_OK(gnv_io_local_new(&src, dir));
    GNV_ASSERT_OK(gnv_io_local_new(&dst, tmp));
    gnv_buf good = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__io_read_all(src, name, &good));
    GNV_ASSERT_OK(read_column(src, name, 6));

    uint8_t fours[750];
    memset(fours, 4, sizeof fours);
    uint8_t *p = memmem(good.ptr, good.size, fours, sizeof fours);
    assert_non_null(p);
    p[100] = 5;
    GNV_ASSERT_OK(gnv__io_write_all(dst, "bad.lance", good.ptr, good.size, GNV_IO_REPLACE));
    GNV_ASSERT_ERR(read_column(dst, "bad.lance", 6), GNV_ECORRUPT, "bad rle chunk");
    GNV_ASSERT_ERR(read_column(dst, "bad.lance", 6), GNV_ECORRUPT, "bad.lance");
    p[100] = 3;
    GNV_ASSERT_OK(gnv__io_write_all(dst, "bad.lance", good.ptr, good.size, GNV_IO_REPLACE));
    GNV_ASSERT_ERR(read_column(dst, "bad.lance", 6), GNV_ECORRUPT, "add up to 2999");

    gnv_buf_dispose(&good);
    gnv_io_free(src);
    gnv_io_free(dst);
    gnv_test_rmdir(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rle_widths),
        cmocka_unit_test(test_rle_corrupt),
        cmocka_unit_test(test_rle_damaged_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
