/*
 * Takes of scattered rows, which decode each mini-block chunk once and copy the rows
 * out (full-zip pages in spans of nearby rows): on the tables LanceDB wrote (every type,
 * nulls at every level, dictionary, FSST, bit-packed and RLE pages, several fragments,
 * deleted rows), every row a take returns equals the same row of a full scan, for sparse,
 * clustered and chunk-boundary patterns. Also our own files with nulls and small pages.
 */
#include "gnv_test.h"

#include "arrow/arrow.h"
#include "format/format.h"

/* Rows of one struct array rendered as JSON texts (each gnv__malloc'ed). */
static char **render_rows(const struct ArrowSchema *s, const struct ArrowArray *a)
{
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, s, a));
    char **out = calloc((size_t)a->length + 1, sizeof *out);
    assert_non_null(out);
    for (int64_t i = 0; i < a->length; i++) {
        gnv_buf b = GNV_BUF_INIT;
        GNV_ASSERT_OK(gnv__print_json_value(&b, &v, i));
        out[i] = gnv__buf_detach(&b, NULL);
    }
    gnv__array_view_reset(&v);
    return out;
}

static void free_rows(char **rows, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        gnv__free(rows[i]);
    free(rows);
}

/* Every row (with _rowaddr last) of a table: the rows and their addresses. Returns the
 * count, or -1 when the table uses an encoding we do not read. */
static int64_t scan_all(gnv_table *t, char ***rows, uint64_t **addrs)
{
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.with_row_addr = 1;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &st));
    struct ArrowSchema s;
    assert_int_equal(st.get_schema(&st, &s), 0);
    int64_t n = 0, cap = 0;
    *rows = NULL;
    *addrs = NULL;
    for (;;) {
        struct ArrowArray a;
        if (st.get_next(&st, &a) != 0) {
            const char *m = st.get_last_error(&st);
            if (m && strstr(m, "unsupported Lance encoding")) {
                st.release(&st);
                s.release(&s);
                free_rows(*rows, n);
                free(*addrs);
                return -1;
            }
            fail_msg("scan: %s", m ? m : "?");
        }
        if (!a.release)
            break;
        /* the rows without _rowaddr: render a struct of the other columns */
        int64_t nc = a.n_children - 1;
        const struct ArrowArray *ad = a.children[nc];
        if (n + a.length > cap) {
            cap = (n + a.length) * 2;
            *rows = realloc(*rows, (size_t)cap * sizeof **rows);
            *addrs = realloc(*addrs, (size_t)cap * sizeof **addrs);
            assert_non_null(*rows);
            assert_non_null(*addrs);
        }
        a.n_children = nc;
        s.n_children = nc;
        char **r = render_rows(&s, &a);
        s.n_children = nc + 1;
        a.n_children = nc + 1;
        for (int64_t i = 0; i < a.length; i++) {
            (*rows)[n + i] = r[i];
            (*addrs)[n + i] = ((const uint64_t *)ad->buffers[1])[ad->offset + i];
        }
        free(r);
        n += a.length;
        a.release(&a);
    }
    st.release(&st);
    s.release(&s);
    return n;
}

/* Take rows idx[0..k) (positions in the scan) and compare each with the scan's. */
static void check_take(gnv_table *t,
                       const char *name,
                       char **rows,
                       const uint64_t *addrs,
                       const int64_t *idx,
                       size_t k)
{
    uint64_t *want = calloc(k + 1, sizeof *want);
    assert_non_null(want);
    for (size_t i = 0; i < k; i++)
        want[i] = addrs[idx[i]];
    struct ArrowSchema s;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv_table_take(t, want, k, NULL, 0, &s, &a));
    assert_int_equal(a.length, (int64_t)k);
    char **got = render_rows(&s, &a);
    for (size_t i = 0; i < k; i++)
        if (strcmp(got[i], rows[idx[i]]) != 0)
            fail_msg("%s: take of row %lld (address %llu) gave %s, the scan %s", name,
                     (long long)idx[i], (unsigned long long)want[i], got[i], rows[idx[i]]);
    free_rows(got, a.length);
    a.release(&a);
    s.release(&s);
    free(want);
}

/* Patterns of scan positions over n rows: every step-th from `first`, pairs around
 * multiples of 256 and 1024 (chunk boundaries), a cluster, the last row. */
static void
check_patterns(gnv_table *t, const char *name, char **rows, const uint64_t *addrs, int64_t n)
{
    int64_t *idx = calloc((size_t)n * 2 + 8, sizeof *idx);
    assert_non_null(idx);
    static const int64_t steps[] = {7, 100};
    for (size_t s = 0; s < GNV_ARRAY_SIZE(steps); s++)
        for (int64_t first = 0; first < 2; first += 1 + (steps[s] > 10)) {
            size_t k = 0;
            for (int64_t i = first; i < n; i += steps[s])
                idx[k++] = i;
            if (k)
                check_take(t, name, rows, addrs, idx, k);
        }
    size_t k = 0;
    for (int64_t b = 256; b < n; b += 256) {
        idx[k++] = b - 1;
        idx[k++] = b;
        b += 512;
    }
    if (k)
        check_take(t, name, rows, addrs, idx, k);
    k = 0;
    for (int64_t i = n / 2; i < n && i < n / 2 + 5; i++)
        idx[k++] = i;
    idx[k++] = n - 1;
    check_take(t, name, rows, addrs, idx, k);
    free(idx);
}

static void golden_version(const char *version)
{
    static const char *const tables[] = {"g_types_21", "g_types_22", "g_enc",   "g_dict",
                                         "g_fsl",      "g_vec",      "g_long",  "g_frag",
                                         "g_del_big",  "g_stable",   "dec_str", "dec_const",
                                         "dec_long",   "dec_huge",   "dec_opt"};
    char rel[64];
    snprintf(rel, sizeof rel, "lancedb/%s", version);
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, gnv_test_data(rel), NULL));
    int checked = 0;
    for (size_t i = 0; i < GNV_ARRAY_SIZE(tables); i++) {
        gnv_table *t = NULL;
        if (gnv_db_open_table(&t, db, tables[i]) != GNV_OK) {
            gnv_error_clear();
            continue;
        }
        char **rows;
        uint64_t *addrs;
        int64_t n = scan_all(t, &rows, &addrs);
        if (n > 0) {
            check_patterns(t, tables[i], rows, addrs, n);
            checked++;
        }
        if (n >= 0) {
            free_rows(rows, n);
            free(addrs);
        }
        gnv_table_close(t);
    }
    assert_true(checked >= 8);
    gnv_db_close(db);
}

static void test_lancedb_tables(void **state)
{
    (void)state;
    golden_version("0.37.1");
    golden_version("0.39.0");
}

/* Our own table: nulls in every column, strings, vectors (full-zip) and small pages. */
static void test_own_table(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__type_from_string(
        &s,
        "struct<i: int64, s: utf8, v: fixed_size_list<float32, 96>, st: struct<a: int32, b: utf8>>",
        ""));
    struct ArrowArray a;
    const int64_t n = 6000;
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int64_t r = 0; r < n; r++) {
        char txt[40];
        snprintf(txt, sizeof txt, "row %lld %s", (long long)r, r % 13 ? "x" : "a longer text");
        if (r % 9 == 4)
            GNV_ASSERT_OK(gnv__array_append_null(a.children[0], 1));
        else
            GNV_ASSERT_OK(gnv__array_append_int(a.children[0], r * 3));
        if (r % 11 == 5)
            GNV_ASSERT_OK(gnv__array_append_null(a.children[1], 1));
        else
            GNV_ASSERT_OK(gnv__array_append_bytes(a.children[1], txt, strlen(txt)));
        struct ArrowArray *v = a.children[2];
        if (r % 17 == 3) {
            GNV_ASSERT_OK(gnv__array_append_null(v, 1));
        } else {
            for (int d = 0; d < 96; d++)
                if ((r + d) % 53 == 0)
                    GNV_ASSERT_OK(gnv__array_append_null(v->children[0], 1));
                else
                    GNV_ASSERT_OK(gnv__array_append_double(v->children[0], (double)r + d / 100.0));
            GNV_ASSERT_OK(gnv__array_finish_element(v));
        }
        struct ArrowArray *st = a.children[3];
        if (r % 23 == 7) {
            GNV_ASSERT_OK(gnv__array_append_null(st, 1));
        } else {
            GNV_ASSERT_OK(gnv__array_append_int(st->children[0], r));
            GNV_ASSERT_OK(gnv__array_append_bytes(st->children[1], txt, 5));
            GNV_ASSERT_OK(gnv__array_finish_element(st));
        }
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    struct ArrowArrayStream in;
    GNV_ASSERT_OK(gnv__stream_from_arrays(&in, &s, &a, 1));
    gnv_table *t = NULL;
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.max_rows_per_file = 2500;
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "own", &in, NULL, &co));
    in.release(&in);
    int64_t deleted;
    GNV_ASSERT_OK(gnv_table_delete(t, "i % 5 = 1", &deleted));
    char **rows;
    uint64_t *addrs;
    int64_t got = scan_all(t, &rows, &addrs);
    assert_true(got > 4000);
    check_patterns(t, "own", rows, addrs, got);
    free_rows(rows, got);
    free(addrs);
    gnv__schema_release(&s);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lancedb_tables),
        cmocka_unit_test(test_own_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
