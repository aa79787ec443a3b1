/*
 * Reads tables written by LanceDB itself (tests/data/lancedb, see its README) and compares
 * every value with LanceDB's own reading of them (expected.jsonl).
 */
#include "gnv_test.h"

#include <errno.h>

#define NROWS 3000

typedef enum { C_I32, C_I64, C_F32 } ctype;

typedef struct gcol {
    const char *name;
    ctype type;
} gcol;

/* Small-range integers are InlineBitpacking; the null levels are OutOfLineBitpacking. */
static const gcol t_cols[] = {
    {"i32_small", C_I32}, {"i32_rand", C_I32},  {"i32_neg", C_I32},    {"i32_sorted", C_I32},
    {"i32_null", C_I32},  {"i64_small", C_I64}, {"i64_rand", C_I64},   {"i64_sorted", C_I64},
    {"i64_null", C_I64},  {"f32_rand", C_F32},  {"f32_sorted", C_F32}, {"f32_null", C_F32},
};

/* Table r: long runs are RLE mini-blocks (runs over 255 split, a column of two chunks). 0.39.0
 * writes r_i64 and r_i64_big as dictionaries instead, so its scan leaves them out. */
static const gcol r_cols[] = {
    {"r_i32", C_I32},       {"r_i32_null", C_I32}, {"r_f32", C_F32},     {"r_i64_short", C_I64},
    {"r_i32_short", C_I32}, {"r_i64", C_I64},      {"r_i64_big", C_I64},
};
#define R_NOT_DICT 5 /* the first columns of r_cols, which no version dictionary-encodes */

#define MAXCOLS 12

/* The table being checked: its columns and their expected values' file. */
static const gcol *cols;
static size_t n_cols;

typedef struct expect {
    bool valid[MAXCOLS][NROWS];
    int64_t ival[MAXCOLS][NROWS];
    float fval[MAXCOLS][NROWS];
} expect;

/* Parses `"name":value` out of one JSONL line; values are numbers, quoted integers or null. */
static void parse_value(expect *e, const char *line, size_t c, int row)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", cols[c].name);
    const char *p = strstr(line, key);
    if (!p)
        fail_msg("expected row %d has no column %s", row, cols[c].name);
    p += strlen(key);
    if (strncmp(p, "null", 4) == 0) {
        e->valid[c][row] = false;
        return;
    }
    if (*p == '"')
        p++;
    e->valid[c][row] = true;
    errno = 0;
    if (cols[c].type == C_F32)
        e->fval[c][row] = (float)strtod(p, NULL);
    else
        e->ival[c][row] = strtoll(p, NULL, 10);
    assert_int_equal(errno, 0);
}

static expect *load_expected(const char *file)
{
    char path[1024];
    const char *data = getenv("GNV_TEST_DATA");
    assert_non_null(data);
    snprintf(path, sizeof path, "%s/lancedb/%s", data, file);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    expect *e = gnv__calloc(1, sizeof *e);
    assert_non_null(e);
    static char line[8192];
    int row = 0;
    while (fgets(line, sizeof line, fp)) {
        assert_true(row < NROWS);
        for (size_t c = 0; c < n_cols; c++)
            parse_value(e, line, c, row);
        row++;
    }
    fclose(fp);
    assert_int_equal(row, NROWS);
    return e;
}

/* Compares element i of array a (offset included by the caller) with row `row`. */
static void check_value(const expect *e, const struct ArrowArray *a, int64_t i, size_t c, int row)
{
    const uint8_t *bits = a->buffers[0];
    bool valid = a->null_count == 0 || !bits || (bits[i >> 3] >> (i & 7) & 1);
    if (valid != e->valid[c][row])
        fail_msg("%s row %d: valid %d, LanceDB says %d", cols[c].name, row, valid,
                 e->valid[c][row]);
    if (!valid)
        return;
    switch (cols[c].type) {
    case C_I32:
        if (((const int32_t *)a->buffers[1])[i] != e->ival[c][row])
            fail_msg("%s row %d: %d, LanceDB says %lld", cols[c].name, row,
                     ((const int32_t *)a->buffers[1])[i], (long long)e->ival[c][row]);
        break;
    case C_I64:
        if (((const int64_t *)a->buffers[1])[i] != e->ival[c][row])
            fail_msg("%s row %d: %lld, LanceDB says %lld", cols[c].name, row,
                     (long long)((const int64_t *)a->buffers[1])[i], (long long)e->ival[c][row]);
        break;
    case C_F32: {
        float got = ((const float *)a->buffers[1])[i];
        if (memcmp(&got, &e->fval[c][row], sizeof got) != 0)
            fail_msg("%s row %d: %.9g, LanceDB says %.9g", cols[c].name, row, (double)got,
                     (double)e->fval[c][row]);
        break;
    }
    }
}

static void scan_table(
    const char *version, const char *table, const char *file, const gcol *tcols, size_t ncols)
{
    assert_true(ncols <= MAXCOLS);
    cols = tcols;
    n_cols = ncols;
    expect *e = load_expected(file);
    char path[1024];
    snprintf(path, sizeof path, "%s/lancedb/%s", getenv("GNV_TEST_DATA"), version);
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_open(&db, path, NULL));
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, table));
    const char *names[MAXCOLS];
    for (size_t c = 0; c < n_cols; c++)
        names[c] = cols[c].name;
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = names;
    o.n_columns = n_cols;
    o.batch_rows = 700; /* batches that do not line up with the 1024-value chunks */
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    int row = 0;
    for (;;) {
        struct ArrowArray a;
        int rc = s.get_next(&s, &a);
        if (rc != 0)
            fail_msg("get_next: %s", s.get_last_error(&s));
        if (!a.release)
            break;
        assert_int_equal(a.n_children, (int64_t)n_cols);
        assert_true(row + a.length <= NROWS);
        for (size_t c = 0; c < n_cols; c++) {
            const struct ArrowArray *ch = a.children[c];
            assert_true(ch->length >= a.length);
            for (int64_t r = 0; r < a.length; r++)
                check_value(e, ch, ch->offset + a.offset + r, c, row + (int)r);
        }
        row += (int)a.length;
        a.release(&a);
    }
    assert_int_equal(row, NROWS);
    s.release(&s);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv__free(e);
}

static void scan_version(const char *version)
{
    scan_table(version, "t", "expected.jsonl", t_cols, GNV_ARRAY_SIZE(t_cols));
}

static void test_lancedb_0_37_1(void **state)
{
    (void)state;
    scan_version("0.37.1");
}

static void test_lancedb_0_39_0(void **state)
{
    (void)state;
    scan_version("0.39.0");
}

static void test_lancedb_rle_0_37_1(void **state)
{
    (void)state;
    scan_table("0.37.1", "r", "expected_rle.jsonl", r_cols, GNV_ARRAY_SIZE(r_cols));
}

static void test_lancedb_rle_0_39_0(void **state)
{
    (void)state;
    scan_table("0.39.0", "r", "expected_rle.jsonl", r_cols, R_NOT_DICT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lancedb_0_37_1),
        cmocka_unit_test(test_lancedb_0_39_0),
        cmocka_unit_test(test_lancedb_rle_0_37_1),
        cmocka_unit_test(test_lancedb_rle_0_39_0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
