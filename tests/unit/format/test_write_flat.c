/*
 * The writer's bulk path for whole top-level columns (fixed-width values, strings,
 * fixed-size lists): batches of any size and pages of any size give back the values
 * written, nulls included; a page without nulls is written without definition levels
 * (its layers say "all valid"), as LanceDB writes such pages, so it is smaller.
 */
#include "gnv_test.h"

#include <sys/stat.h>

#include "arrow/arrow.h"
#include "format/format.h"
#include "io/io.h"

#define ROWS 5000

/* A batch of rows [from, from + n): i int64, s utf8, v fixed_size_list<float32, 3>, all
 * nullable; with nulls every `every` rows (0: none). */
static void make(struct ArrowSchema *s, struct ArrowArray *a, int64_t from, int64_t n, int every)
{
    GNV_ASSERT_OK(
        gnv__type_from_string(s, "struct<i: int64, s: utf8, v: fixed_size_list<float32, 3>>", ""));
    GNV_ASSERT_OK(gnv__array_init(a, s));
    for (int64_t r = from; r < from + n; r++) {
        bool null = every && r % every == every - 1;
        char txt[32];
        snprintf(txt, sizeof txt, "v%lld", (long long)(r * 7));
        if (null) {
            for (int c = 0; c < 3; c++)
                GNV_ASSERT_OK(gnv__array_append_null(a->children[c], 1));
        } else {
            GNV_ASSERT_OK(gnv__array_append_int(a->children[0], r));
            GNV_ASSERT_OK(gnv__array_append_bytes(a->children[1], txt, strlen(txt)));
            for (int d = 0; d < 3; d++)
                GNV_ASSERT_OK(gnv__array_append_double(a->children[2]->children[0], r + d));
            GNV_ASSERT_OK(gnv__array_finish_element(a->children[2]));
        }
        GNV_ASSERT_OK(gnv__array_finish_element(a));
    }
    GNV_ASSERT_OK(gnv__array_finish(a));
}

/* Write ROWS rows in batches of `batch` with pages of `page` bytes; returns the size. */
static uint64_t write_file(gnv_io *io, const char *path, int64_t batch, size_t page, int every)
{
    struct ArrowSchema s;
    struct ArrowArray a;
    gnv_lance_writer *w = NULL;
    gnv_lance_write_options o = {1, page};
    make(&s, &a, 0, 0, every);
    GNV_ASSERT_OK(gnv__lance_writer_new(&w, io, path, &s, &o));
    gnv__array_release(&a);
    gnv__schema_release(&s);
    for (int64_t r = 0; r < ROWS; r += batch) {
        make(&s, &a, r, GNV_MIN(batch, ROWS - r), every);
        GNV_ASSERT_OK(gnv__lance_writer_write(w, &a));
        gnv__array_release(&a);
        gnv__schema_release(&s);
    }
    uint64_t size = 0;
    GNV_ASSERT_OK(gnv__lance_writer_finish(w, &size));
    gnv__lance_writer_free(w);
    return size;
}

/* Read the file back and compare every value with what make() wrote. */
static void check_file(gnv_io *io, const char *path, int every)
{
    gnv_lance_file *f = NULL;
    GNV_ASSERT_OK(gnv__lance_file_open(&f, io, path));
    assert_int_equal(gnv__lance_file_rows(f), ROWS);
    struct ArrowSchema s, ws;
    struct ArrowArray want;
    make(&ws, &want, 0, ROWS, every);
    GNV_ASSERT_OK(gnv__lance_file_schema(f, &s));
    gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
    int col = 0;
    for (int c = 0; c < 3; c++) {
        struct ArrowArray got;
        GNV_ASSERT_OK(gnv__lance_file_read(f, s.children[c], col, 0, ROWS, &got));
        gnv_array_view gv, wv;
        GNV_ASSERT_OK(gnv__array_view_init(&gv, s.children[c], &got));
        GNV_ASSERT_OK(gnv__array_view_init(&wv, ws.children[c], want.children[c]));
        for (int64_t r = 0; r < ROWS; r++) {
            gnv__buf_clear(&a);
            gnv__buf_clear(&b);
            GNV_ASSERT_OK(gnv__print_json_value(&a, &gv, r));
            GNV_ASSERT_OK(gnv__print_json_value(&b, &wv, r));
            if (strcmp(a.ptr, b.ptr) != 0)
                fail_msg("%s column %d row %lld: read %s, wrote %s", path, c, (long long)r, a.ptr,
                         b.ptr);
        }
        gnv__array_view_reset(&gv);
        gnv__array_view_reset(&wv);
        gnv__array_release(&got);
        col += gnv__lance_leaf_count(s.children[c]);
    }
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&b);
    gnv__array_release(&want);
    gnv__schema_release(&ws);
    gnv__schema_release(&s);
    gnv__lance_file_close(f);
}

static void test_batches_and_pages(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    static const int64_t batches[] = {7, ROWS};
    static const size_t pages[] = {100, 4096, 0};
    static const int nulls[] = {0, 3, 1};
    int k = 0;
    for (size_t b = 0; b < GNV_ARRAY_SIZE(batches); b++)
        for (size_t p = 0; p < GNV_ARRAY_SIZE(pages); p++)
            for (size_t e = 0; e < GNV_ARRAY_SIZE(nulls); e++) {
                char path[32];
                snprintf(path, sizeof path, "f%d.lance", k++);
                write_file(io, path, batches[b], pages[p], nulls[e]);
                check_file(io, path, nulls[e]);
            }
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

/* Without nulls the pages hold no definition levels: 2 bytes a row less per column (one
 * null in the last row brings them back for the page holding it). */
static void test_all_valid_pages(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    uint64_t none = write_file(io, "none.lance", ROWS, 0, 0);
    uint64_t one = write_file(io, "one.lance", ROWS, 0, ROWS);
    check_file(io, "none.lance", 0);
    check_file(io, "one.lance", ROWS);
    /* i and s are mini-block pages: 2 * 2 bytes a row of levels, less chunk padding */
    if (!(none + 3 * ROWS < one))
        fail_msg("without nulls %llu bytes, with one null %llu", (unsigned long long)none,
                 (unsigned long long)one);
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_and_pages),
        cmocka_unit_test(test_all_valid_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
