/* Printing streams (table, CSV, JSON Lines) and describing schemas. */
#include "gnv_test.h"

#include <math.h>

#include "arrow/arrow.h"

/* A struct schema from type text, e.g. "struct<a: int64, b: utf8>". */
static void make_schema(struct ArrowSchema *s, const char *type_text)
{
    GNV_ASSERT_OK(gnv__type_from_string(s, type_text, ""));
}

static struct ArrowArray *col(struct ArrowArray *batch, int i)
{
    return batch->children[i];
}

/* Close a row of the top-level struct and finish the batch. */
static void row_done(struct ArrowArray *batch)
{
    GNV_ASSERT_OK(gnv__array_finish_element(batch));
}

/* Print the batches (moved into a stream; schema copied) and return the output
 * (free with free()). */
static char *print_batches(const struct ArrowSchema *schema,
                           struct ArrowArray *batches,
                           int n,
                           const gnv_print_options *opts,
                           int64_t *rows)
{
    struct ArrowSchema sc;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv__schema_copy(&sc, schema));
    for (int i = 0; i < n; i++)
        GNV_ASSERT_OK(gnv__array_finish(&batches[i]));
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &sc, batches, n));
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    GNV_ASSERT_OK(gnv_print_stream(f, &st, opts, rows));
    fclose(f);
    gnv__stream_release(&st);
    return text;
}

static char *print1(const struct ArrowSchema *schema, struct ArrowArray *batch, int format)
{
    gnv_print_options o = GNV_PRINT_OPTIONS_INIT;
    o.format = format;
    return print_batches(schema, batch, 1, &o, NULL);
}

static void expect_text(char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        fail_msg("output differs.\n--- want\n%s--- got\n%s---", want, got);
    free(got);
}

/* ---- JSON Lines ----------------------------------------------------------- */

static void test_jsonl_scalars(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    make_schema(&s, "struct<b: bool, i8: int8, u8: uint8, i16: int16, u16: uint16, i32: int32, "
                    "u32: uint32, i64: int64, u64: uint64, s: utf8, ls: large_utf8, "
                    "bin: binary, lbin: large_binary, fsb: fixed_size_binary[3], d: date32, "
                    "n: null>");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    GNV_ASSERT_OK(gnv__array_append_bool(col(&b, 0), true));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 1), -128));
    GNV_ASSERT_OK(gnv__array_append_uint(col(&b, 2), 255));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 3), -32768));
    GNV_ASSERT_OK(gnv__array_append_uint(col(&b, 4), 65535));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 5), INT32_MIN));
    GNV_ASSERT_OK(gnv__array_append_uint(col(&b, 6), UINT32_MAX));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 7), INT64_MIN));
    GNV_ASSERT_OK(gnv__array_append_uint(col(&b, 8), UINT64_MAX));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 9), "hé", 3));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 10), "", 0));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 11), "\x00\xff\x10", 3));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 12), "hello", 5));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 13), "abc", 3));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 14), 19724)); /* 2024-01-02 */
    GNV_ASSERT_OK(gnv__array_append_null(col(&b, 15), 1));
    row_done(&b);
    for (int c = 0; c < 16; c++)
        GNV_ASSERT_OK(gnv__array_append_null(col(&b, c), 1));
    row_done(&b);
    GNV_ASSERT_OK(gnv__array_append_bool(col(&b, 0), false));
    for (int c = 1; c < 16; c++)
        GNV_ASSERT_OK(gnv__array_append_empty(col(&b, c), 1));
    row_done(&b);
    int64_t rows = -1;
    gnv_print_options o = GNV_PRINT_OPTIONS_INIT;
    o.format = GNV_PRINT_JSONL;
    expect_text(print_batches(&s, &b, 1, &o, &rows),
                "{\"b\":true,\"i8\":-128,\"u8\":255,\"i16\":-32768,\"u16\":65535,"
                "\"i32\":-2147483648,\"u32\":4294967295,\"i64\":-9223372036854775808,"
                "\"u64\":18446744073709551615,\"s\":\"hé\",\"ls\":\"\",\"bin\":\"AP8Q\","
                "\"lbin\":\"aGVsbG8=\",\"fsb\":\"YWJj\",\"d\":\"2024-01-02\",\"n\":null}\n"
                "{\"b\":null,\"i8\":null,\"u8\":null,\"i16\":null,\"u16\":null,\"i32\":null,"
                "\"u32\":null,\"i64\":null,\"u64\":null,\"s\":null,\"ls\":null,\"bin\":null,"
                "\"lbin\":null,\"fsb\":null,\"d\":null,\"n\":null}\n"
                "{\"b\":false,\"i8\":0,\"u8\":0,\"i16\":0,\"u16\":0,\"i32\":0,\"u32\":0,"
                "\"i64\":0,\"u64\":0,\"s\":\"\",\"ls\":\"\",\"bin\":\"\",\"lbin\":\"\","
                "\"fsb\":\"AAAA\",\"d\":\"1970-01-01\",\"n\":null}\n");
    assert_int_equal(rows, 3);
    gnv__schema_release(&s);
}

/* Nulls at every level: null list, null item, null struct, null struct field. */
static void test_jsonl_nested_nulls(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    make_schema(&s, "struct<tags: list<utf8>, dims: struct<w: float64, h: int32>, "
                    "v: fixed_size_list<int32, 2>, ll: large_list<list<int64>>>");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    struct ArrowArray *tags = col(&b, 0), *dims = col(&b, 1), *v = col(&b, 2), *ll = col(&b, 3);
    /* row 0: everything present */
    GNV_ASSERT_OK(gnv__array_append_bytes(tags->children[0], "a", 1));
    GNV_ASSERT_OK(gnv__array_append_null(tags->children[0], 1));
    GNV_ASSERT_OK(gnv__array_finish_element(tags));
    GNV_ASSERT_OK(gnv__array_append_double(dims->children[0], 1.5));
    GNV_ASSERT_OK(gnv__array_append_int(dims->children[1], 7));
    GNV_ASSERT_OK(gnv__array_finish_element(dims));
    GNV_ASSERT_OK(gnv__array_append_int(v->children[0], 1));
    GNV_ASSERT_OK(gnv__array_append_null(v->children[0], 1));
    GNV_ASSERT_OK(gnv__array_finish_element(v));
    GNV_ASSERT_OK(gnv__array_append_int(ll->children[0]->children[0], 5));
    GNV_ASSERT_OK(gnv__array_finish_element(ll->children[0]));
    GNV_ASSERT_OK(gnv__array_append_null(ll->children[0], 1));
    GNV_ASSERT_OK(gnv__array_append_empty(ll->children[0], 1));
    GNV_ASSERT_OK(gnv__array_finish_element(ll));
    row_done(&b);
    /* row 1: nulls at the top */
    for (int c = 0; c < 4; c++)
        GNV_ASSERT_OK(gnv__array_append_null(col(&b, c), 1));
    row_done(&b);
    /* row 2: empty list, struct with null fields, empty outer list */
    GNV_ASSERT_OK(gnv__array_finish_element(tags));
    GNV_ASSERT_OK(gnv__array_append_null(dims->children[0], 1));
    GNV_ASSERT_OK(gnv__array_append_null(dims->children[1], 1));
    GNV_ASSERT_OK(gnv__array_finish_element(dims));
    GNV_ASSERT_OK(gnv__array_append_null(v->children[0], 2));
    GNV_ASSERT_OK(gnv__array_finish_element(v));
    GNV_ASSERT_OK(gnv__array_finish_element(ll));
    row_done(&b);
    expect_text(print1(&s, &b, GNV_PRINT_JSONL),
                "{\"tags\":[\"a\",null],\"dims\":{\"w\":1.5,\"h\":7},\"v\":[1,null],"
                "\"ll\":[[5],null,[]]}\n"
                "{\"tags\":null,\"dims\":null,\"v\":null,\"ll\":null}\n"
                "{\"tags\":[],\"dims\":{\"w\":null,\"h\":null},\"v\":[null,null],\"ll\":[]}\n");
    gnv__schema_release(&s);
}

static void test_jsonl_escaping(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    make_schema(&s, "struct<s: utf8>");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    const char *vals[] = {"q\"b\\s/", "nl\ncr\rtab\tbs\bff\f", "\x01\x1f\x7f", "é€😀",
                          "bad\xff\xc3(end"};
    for (int i = 0; i < 5; i++) {
        GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 0), vals[i], strlen(vals[i])));
        row_done(&b);
    }
    /* the key is escaped too */
    expect_text(print1(&s, &b, GNV_PRINT_JSONL), "{\"s\":\"q\\\"b\\\\s/\"}\n"
                                                 "{\"s\":\"nl\\ncr\\rtab\\tbs\\bff\\f\"}\n"
                                                 "{\"s\":\"\\u0001\\u001f\x7f\"}\n"
                                                 "{\"s\":\"é€😀\"}\n"
                                                 "{\"s\":\"bad\\ufffd\\ufffd(end\"}\n");
    gnv__schema_release(&s);

    make_schema(&s, "struct<s: utf8>");
    GNV_ASSERT_OK(gnv__schema_set_name(s.children[0], "we\"ird\n"));
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 0), "x", 1));
    row_done(&b);
    expect_text(print1(&s, &b, GNV_PRINT_JSONL), "{\"we\\\"ird\\n\":\"x\"}\n");
    gnv__schema_release(&s);
}

static void test_float_shortest(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    make_schema(&s, "struct<d: float64, f: float32>");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    double ds[] = {0.1, 1.0 / 3,  1e21,      1e-7,          3.0,    -0.0,
                   NAN, INFINITY, -INFINITY, 123456789.123, 5e-324, 1.7976931348623157e308};
    float fs[] = {0.1f, 1.0f / 3, 16777216.0f, 1e-7f, 3.0f,   -0.0f,
                  NAN,  INFINITY, -INFINITY,   1.5f,  1e-45f, 3.4028235e38f};
    for (int i = 0; i < 12; i++) {
        GNV_ASSERT_OK(gnv__array_append_double(col(&b, 0), ds[i]));
        GNV_ASSERT_OK(gnv__array_append_double(col(&b, 1), fs[i]));
        row_done(&b);
    }
    expect_text(print1(&s, &b, GNV_PRINT_JSONL),
                "{\"d\":0.1,\"f\":0.1}\n"
                "{\"d\":0.3333333333333333,\"f\":0.33333334}\n"
                "{\"d\":1e+21,\"f\":16777216.0}\n"
                "{\"d\":1e-07,\"f\":1e-07}\n"
                "{\"d\":3.0,\"f\":3.0}\n"
                "{\"d\":-0.0,\"f\":-0.0}\n"
                "{\"d\":\"NaN\",\"f\":\"NaN\"}\n"
                "{\"d\":\"Infinity\",\"f\":\"Infinity\"}\n"
                "{\"d\":\"-Infinity\",\"f\":\"-Infinity\"}\n"
                "{\"d\":123456789.123,\"f\":1.5}\n"
                "{\"d\":5e-324,\"f\":1e-45}\n"
                "{\"d\":1.7976931348623157e+308,\"f\":3.4028235e+38}\n");
    gnv__schema_release(&s);

    /* float16 values print at their own precision */
    make_schema(&s, "struct<h: float16>");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    double hs[] = {0.1, 65504.0, 1.0 / 3, 6e-8};
    for (int i = 0; i < 4; i++) {
        GNV_ASSERT_OK(gnv__array_append_double(col(&b, 0), hs[i]));
        row_done(&b);
    }
    expect_text(print1(&s, &b, GNV_PRINT_JSONL),
                "{\"h\":0.1}\n{\"h\":65504.0}\n{\"h\":0.3333}\n{\"h\":6e-08}\n");
    gnv__schema_release(&s);
}

/* Every timestamp unit, times before 1970, and each kind of time zone. */
static void test_timestamps(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    make_schema(&s, "struct<s: timestamp[s], ms: timestamp[ms], us: timestamp[us], "
                    "ns: timestamp[ns], utc: timestamp[us, tz=UTC], "
                    "ist: timestamp[ms, tz=+05:30], pst: timestamp[s, tz=-08:00], "
                    "paris: timestamp[ns, tz=Europe/Paris]>");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    /* 2024-01-02T03:04:05.123456789Z */
    int64_t secs = 1704164645;
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 0), secs));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 1), secs * 1000 + 123));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 2), secs * 1000000 + 123456));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 3), secs * 1000000000 + 123456789));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 4), secs * 1000000 + 123456));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 5), secs * 1000 + 123));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 6), secs));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 7), secs * 1000000000 + 5));
    row_done(&b);
    /* before the epoch: -1 of each unit */
    for (int c = 0; c < 8; c++)
        GNV_ASSERT_OK(gnv__array_append_int(col(&b, c), -1));
    row_done(&b);
    expect_text(print1(&s, &b, GNV_PRINT_JSONL),
                "{\"s\":\"2024-01-02T03:04:05\",\"ms\":\"2024-01-02T03:04:05.123\","
                "\"us\":\"2024-01-02T03:04:05.123456\","
                "\"ns\":\"2024-01-02T03:04:05.123456789\","
                "\"utc\":\"2024-01-02T03:04:05.123456Z\","
                "\"ist\":\"2024-01-02T08:34:05.123+05:30\","
                "\"pst\":\"2024-01-01T19:04:05-08:00\","
                "\"paris\":\"2024-01-02T03:04:05.000000005Z\"}\n"
                "{\"s\":\"1969-12-31T23:59:59\",\"ms\":\"1969-12-31T23:59:59.999\","
                "\"us\":\"1969-12-31T23:59:59.999999\","
                "\"ns\":\"1969-12-31T23:59:59.999999999\","
                "\"utc\":\"1969-12-31T23:59:59.999999Z\","
                "\"ist\":\"1970-01-01T05:29:59.999+05:30\","
                "\"pst\":\"1969-12-31T15:59:59-08:00\","
                "\"paris\":\"1969-12-31T23:59:59.999999999Z\"}\n");
    gnv__schema_release(&s);

    /* dates far from the epoch */
    make_schema(&s, "struct<d: date32>");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    int64_t days[] = {-719528, 2932896, -1, 11016};
    for (int i = 0; i < 4; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(col(&b, 0), days[i]));
        row_done(&b);
    }
    expect_text(print1(&s, &b, GNV_PRINT_CSV),
                "d\n0000-01-01\n9999-12-31\n1969-12-31\n2000-02-29\n");
    gnv__schema_release(&s);
}

/* Dictionary-encoded strings print their values; float16 prints like a float. */
static void test_dictionary_and_half(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    make_schema(&s, "struct<c: int8, h: float16>");
    GNV_ASSERT_OK(gnv__schema_alloc_dictionary(s.children[0]));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0]->dictionary, "u", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    struct ArrowArray *dict = col(&b, 0)->dictionary;
    GNV_ASSERT_OK(gnv__array_append_bytes(dict, "red", 3));
    GNV_ASSERT_OK(gnv__array_append_bytes(dict, "green", 5));
    int idx[] = {1, 0, -1, 1};
    double h[] = {0.5, 1.0 / 3, 65504.0, -2.0};
    for (int i = 0; i < 4; i++) {
        if (idx[i] < 0)
            GNV_ASSERT_OK(gnv__array_append_null(col(&b, 0), 1));
        else
            GNV_ASSERT_OK(gnv__array_append_int(col(&b, 0), idx[i]));
        GNV_ASSERT_OK(gnv__array_append_double(col(&b, 1), h[i]));
        row_done(&b);
    }
    GNV_ASSERT_OK(gnv__array_finish(dict));
    expect_text(print1(&s, &b, GNV_PRINT_JSONL), "{\"c\":\"green\",\"h\":0.5}\n"
                                                 "{\"c\":\"red\",\"h\":0.3333}\n"
                                                 "{\"c\":null,\"h\":65504.0}\n"
                                                 "{\"c\":\"green\",\"h\":-2.0}\n");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    dict = col(&b, 0)->dictionary;
    GNV_ASSERT_OK(gnv__array_append_bytes(dict, "x", 1));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 0), 0));
    GNV_ASSERT_OK(gnv__array_append_double(col(&b, 1), 1.5));
    row_done(&b);
    GNV_ASSERT_OK(gnv__array_finish(dict));
    expect_text(print1(&s, &b, GNV_PRINT_TABLE), "c |   h\n--+----\nx | 1.5\n(1 row)\n");
    gnv__schema_release(&s);
}

/* ---- limits and batches --------------------------------------------------- */

static void make_int_batches(const struct ArrowSchema *s, struct ArrowArray *b, int nb, int per)
{
    int v = 0;
    for (int i = 0; i < nb; i++) {
        GNV_ASSERT_OK(gnv__array_init(&b[i], s));
        for (int r = 0; r < per; r++) {
            GNV_ASSERT_OK(gnv__array_append_int(col(&b[i], 0), v++));
            row_done(&b[i]);
        }
    }
}

static void test_limit_across_batches(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b[3];
    make_schema(&s, "struct<x: int64>");
    gnv_print_options o = GNV_PRINT_OPTIONS_INIT;
    o.format = GNV_PRINT_JSONL;
    int64_t rows = -1;

    make_int_batches(&s, b, 3, 2);
    o.limit = 3;
    expect_text(print_batches(&s, b, 3, &o, &rows), "{\"x\":0}\n{\"x\":1}\n{\"x\":2}\n");
    assert_int_equal(rows, 3);

    make_int_batches(&s, b, 3, 2);
    o.limit = 0;
    expect_text(print_batches(&s, b, 3, &o, &rows), "");
    assert_int_equal(rows, 0);

    make_int_batches(&s, b, 3, 2);
    o.limit = 100;
    o.format = GNV_PRINT_CSV;
    expect_text(print_batches(&s, b, 3, &o, &rows), "x\n0\n1\n2\n3\n4\n5\n");
    assert_int_equal(rows, 6);

    make_int_batches(&s, b, 3, 2);
    o.limit = 4;
    o.format = GNV_PRINT_TABLE;
    expect_text(print_batches(&s, b, 3, &o, &rows), "x\n-\n0\n1\n2\n3\n(4 rows)\n");
    assert_int_equal(rows, 4);

    /* an empty first batch: widths come from the rows of the next one */
    make_int_batches(&s, b, 1, 0);
    GNV_ASSERT_OK(gnv__array_init(&b[1], &s));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b[1], 0), 12345));
    row_done(&b[1]);
    expect_text(print_batches(&s, b, 2, &o, &rows), "    x\n-----\n12345\n(1 row)\n");

    /* no batches at all */
    o.limit = -1;
    expect_text(print_batches(&s, b, 0, &o, &rows), "x\n-\n(0 rows)\n");
    assert_int_equal(rows, 0);
    gnv__schema_release(&s);
}

/* ---- CSV ------------------------------------------------------------------ */

static void test_csv(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    make_schema(&s, "struct<id: int32, name: utf8, tags: list<utf8>, ok: bool, p: float64>");
    GNV_ASSERT_OK(gnv__schema_set_name(s.children[1], "the, name"));
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 0), 1));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 1), "plain", 5));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 2)->children[0], "x", 1));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 2)->children[0], "y,z", 3));
    GNV_ASSERT_OK(gnv__array_finish_element(col(&b, 2)));
    GNV_ASSERT_OK(gnv__array_append_bool(col(&b, 3), true));
    GNV_ASSERT_OK(gnv__array_append_double(col(&b, 4), 2.5));
    row_done(&b);
    GNV_ASSERT_OK(gnv__array_append_null(col(&b, 0), 1));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 1), "say \"hi\"\nbye", 12));
    GNV_ASSERT_OK(gnv__array_append_null(col(&b, 2), 1));
    GNV_ASSERT_OK(gnv__array_append_null(col(&b, 3), 1));
    GNV_ASSERT_OK(gnv__array_append_double(col(&b, 4), NAN));
    row_done(&b);
    GNV_ASSERT_OK(gnv__array_append_int(col(&b, 0), 3));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 1), "", 0));
    GNV_ASSERT_OK(gnv__array_finish_element(col(&b, 2)));
    GNV_ASSERT_OK(gnv__array_append_bool(col(&b, 3), false));
    GNV_ASSERT_OK(gnv__array_append_null(col(&b, 4), 1));
    row_done(&b);
    expect_text(print1(&s, &b, GNV_PRINT_CSV), "id,\"the, name\",tags,ok,p\n"
                                               "1,plain,\"[\"\"x\"\",\"\"y,z\"\"]\",true,2.5\n"
                                               ",\"say \"\"hi\"\"\nbye\",,,NaN\n"
                                               "3,\"\",[],false,\n");
    gnv__schema_release(&s);
}

/* ---- table ---------------------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b[2];
    make_schema(&s, "struct<id: int64, name: utf8, price: float64, tags: list<utf8>>");
    GNV_ASSERT_OK(gnv__array_init(&b[0], &s));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b[0], 0), 1));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b[0], 1), "Café crème", strlen("Café crème")));
    GNV_ASSERT_OK(gnv__array_append_double(col(&b[0], 2), 3.5));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b[0], 3)->children[0], "hot", 3));
    GNV_ASSERT_OK(gnv__array_finish_element(col(&b[0], 3)));
    row_done(&b[0]);
    GNV_ASSERT_OK(gnv__array_append_int(col(&b[0], 0), 1000));
    GNV_ASSERT_OK(gnv__array_append_null(col(&b[0], 1), 1));
    GNV_ASSERT_OK(gnv__array_append_double(col(&b[0], 2), 12.25));
    GNV_ASSERT_OK(gnv__array_append_null(col(&b[0], 3), 1));
    row_done(&b[0]);
    /* second batch: wider values are cut to the first batch's widths */
    GNV_ASSERT_OK(gnv__array_init(&b[1], &s));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b[1], 0), 123456));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b[1], 1), "a\ttab and more text", 19));
    GNV_ASSERT_OK(gnv__array_append_double(col(&b[1], 2), 0.5));
    GNV_ASSERT_OK(gnv__array_finish_element(col(&b[1], 3)));
    row_done(&b[1]);
    gnv_print_options o = GNV_PRINT_OPTIONS_INIT;
    expect_text(print_batches(&s, b, 2, &o, NULL), "  id | name       | price | tags\n"
                                                   "-----+------------+-------+--------\n"
                                                   "   1 | Café crème |   3.5 | [\"hot\"]\n"
                                                   "1000 | null       | 12.25 | null\n"
                                                   "123… | a\\ttab an… |   0.5 | []\n"
                                                   "(3 rows)\n");

    /* max_width cuts wide columns, counting code points */
    GNV_ASSERT_OK(gnv__array_init(&b[0], &s));
    GNV_ASSERT_OK(gnv__array_append_int(col(&b[0], 0), 7));
    GNV_ASSERT_OK(gnv__array_append_bytes(col(&b[0], 1), "ééééééé", strlen("ééééééé")));
    GNV_ASSERT_OK(gnv__array_append_double(col(&b[0], 2), 1.0));
    GNV_ASSERT_OK(gnv__array_finish_element(col(&b[0], 3)));
    row_done(&b[0]);
    o.max_width = 4;
    expect_text(print_batches(&s, b, 1, &o, NULL), "id | name | pri… | tags\n"
                                                   "---+------+------+-----\n"
                                                   " 7 | ééé… |  1.0 | []\n"
                                                   "(1 row)\n");
    gnv__schema_release(&s);
}

/* ---- schema describe ---------------------------------------------------- */

static void test_schema_describe(void **state)
{
    (void)state;
    struct ArrowSchema s;
    make_schema(&s, "struct<id: int64, tags: list<utf8>, dims: struct<w: float64, h: float64>, "
                    "ts: timestamp[us, tz=UTC]>");
    s.children[0]->flags = 0;
    gnv_buf md = GNV_BUF_INIT;
    const char *keys[] = {"unit", "source"}, *vals[] = {"cm", "catalog"};
    GNV_ASSERT_OK(gnv__metadata_build(&md, keys, vals, 2));
    GNV_ASSERT_OK(gnv__schema_set_metadata(s.children[2], md.ptr));
    gnv_buf_dispose(&md);
    gnv_buf out = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv_schema_describe(&out, &s));
    assert_string_equal(out.ptr, "id: int64 not null\n"
                                 "tags: list<utf8>\n"
                                 "dims: struct<w: float64, h: float64> {unit: cm, "
                                 "source: catalog}\n"
                                 "ts: timestamp[us, tz=UTC]\n");
    gnv_buf_dispose(&out);
    GNV_ASSERT_ERR(gnv_schema_describe(&out, NULL), GNV_EINVAL, "NULL");
    gnv__schema_release(&s);
}

/* ---- errors --------------------------------------------------------------- */

static void test_write_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    struct ArrowSchema s, sc;
    struct ArrowArray b;
    struct ArrowArrayStream st;
    make_schema(&s, "struct<x: int64>");
    make_int_batches(&s, &b, 1, 3);
    GNV_ASSERT_OK(gnv__array_finish(&b));
    GNV_ASSERT_OK(gnv__schema_copy(&sc, &s));
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &sc, &b, 1));
    GNV_ASSERT_ERR(gnv_print_stream(f, &st, NULL, NULL), GNV_EIO, "cannot write");
    fclose(f);
    gnv__stream_release(&st);
    gnv__schema_release(&s);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct ArrowSchema s, sc;
    struct ArrowArray b;
    struct ArrowArrayStream st;
    make_schema(&s, "struct<x: int64>");
    make_int_batches(&s, &b, 1, 1);
    GNV_ASSERT_OK(gnv__array_finish(&b));
    GNV_ASSERT_OK(gnv__schema_copy(&sc, &s));
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &sc, &b, 1));
    gnv_print_options o = GNV_PRINT_OPTIONS_INIT;
    o.format = 9;
    GNV_ASSERT_ERR(gnv_print_stream(stdout, &st, &o, NULL), GNV_EINVAL, "format");
    o = (gnv_print_options)GNV_PRINT_OPTIONS_INIT;
    o.version = 99;
    GNV_ASSERT_ERR(gnv_print_stream(stdout, &st, &o, NULL), GNV_EVERSION, "version");
    GNV_ASSERT_ERR(gnv_print_stream(NULL, &st, NULL, NULL), GNV_EINVAL, "NULL");
    gnv__stream_release(&st);
    gnv__schema_release(&s);
}

/* Allocation that print_body lets fail (1 = the first one inside gnv_print_stream). */
static uint64_t gnv_print_test_budget;

/* Every allocation failure while printing returns GNV_ENOMEM without leaking. */
static int print_body(void *arg)
{
    const char *fmt = arg;
    struct ArrowSchema s = {0}, sc = {0};
    struct ArrowArray b = {0};
    struct ArrowArrayStream st = {0};
    int rc;
    gnv__alloc_fail_at(0, false);
    make_schema(&s, "struct<id: int64, tags: list<utf8>, d: struct<w: float64>>");
    GNV_ASSERT_OK(gnv__array_init(&b, &s));
    for (int i = 0; i < 3; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(col(&b, 0), i));
        GNV_ASSERT_OK(gnv__array_append_bytes(col(&b, 1)->children[0], "tag", 3));
        GNV_ASSERT_OK(gnv__array_finish_element(col(&b, 1)));
        GNV_ASSERT_OK(gnv__array_append_double(col(&b, 2)->children[0], i / 3.0));
        GNV_ASSERT_OK(gnv__array_finish_element(col(&b, 2)));
        row_done(&b);
    }
    GNV_ASSERT_OK(gnv__array_finish(&b));
    GNV_ASSERT_OK(gnv__schema_copy(&sc, &s));
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &sc, &b, 1));
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    gnv_print_options o = GNV_PRINT_OPTIONS_INIT;
    o.format = fmt[0] - '0';
    /* Fault injection covers the printing only. */
    gnv__alloc_fail_at(gnv_print_test_budget, false);
    rc = gnv_print_stream(f, &st, &o, NULL);
    fclose(f);
    free(text);
    gnv__stream_release(&st);
    gnv__schema_release(&s);
    return rc;
}

static void test_print_alloc_failures(void **state)
{
    (void)state;
    const char *fmts[] = {"0", "1", "2"};
    for (int k = 0; k < 3; k++) {
        for (uint64_t n = 1;; n++) {
            gnv_error_clear();
            gnv_print_test_budget = n;
            int rc = print_body((void *)fmts[k]);
            uint64_t made = gnv__alloc_fail_at(0, false);
            if (rc == GNV_OK) {
                if (made < n)
                    break;
                continue;
            }
            if (rc != GNV_ENOMEM)
                fail_msg("allocation %llu: rc %d: %s", (unsigned long long)n, rc,
                         gnv_error_last()->message);
            assert_true(n < 10000);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl_scalars),
        cmocka_unit_test(test_jsonl_nested_nulls),
        cmocka_unit_test(test_jsonl_escaping),
        cmocka_unit_test(test_float_shortest),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_dictionary_and_half),
        cmocka_unit_test(test_limit_across_batches),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_schema_describe),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_print_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
