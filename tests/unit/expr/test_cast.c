/* CAST and TRY_CAST: through expressions (parse, bind, eval) and, for casts the SQL layer
 * does not offer (lists, float16, the null type), through gnv__expr_cast directly. */
#include "gnv_test.h"

#include <math.h>

#include "arrow/arrow.h"
#include "expr/expr_kernel.h"

static const char *DATA =
    "{\"i\":1,\"d\":1.5,\"s\":\"123\",\"b\":true,\"dt\":\"2024-03-15\","
    "\"ts\":\"2024-03-15T10:20:30.123\",\"u8\":200,\"f32\":0.5}\n"
    "{\"i\":-2,\"d\":-2.0,\"s\":\"-7\",\"b\":false,\"dt\":\"1969-12-31\","
    "\"ts\":\"1969-12-31T23:59:59.5\",\"u8\":0,\"f32\":-1.25}\n"
    "{\"i\":null,\"d\":null,\"s\":null,\"b\":null,\"dt\":null,\"ts\":null,\"u8\":null,"
    "\"f32\":null}\n"
    "{\"i\":2147483647,\"d\":0.25,\"s\":\"x1\",\"b\":true,\"dt\":\"2000-02-29\","
    "\"ts\":\"2000-02-29T00:00:00\",\"u8\":255,\"f32\":3.0}\n";
static const char *TYPES =
    "i:int32,d:float64,s:utf8,b:bool,dt:date32,ts:timestamp[ms],u8:uint8,f32:float32";

static struct ArrowSchema g_schema;
static struct ArrowArray g_batch;

static int setup(void **state)
{
    (void)state;
    struct ArrowArrayStream s;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.types = TYPES;
    GNV_ASSERT_OK(gnv__jsonl_open_memory(&s, DATA, strlen(DATA), "data.jsonl", &o));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, &g_schema));
    GNV_ASSERT_OK(gnv__stream_next(&s, &g_batch));
    gnv__stream_release(&s);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gnv__array_release(&g_batch);
    gnv__schema_release(&g_schema);
    return 0;
}

static char *render(const struct ArrowSchema *type, const struct ArrowArray *a)
{
    gnv_array_view v;
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__array_validate(type, a, true));
    GNV_ASSERT_OK(gnv__array_view_init(&v, type, a));
    gnv__buf_putc(&b, '[');
    for (int64_t i = 0; i < a->length; i++) {
        if (i)
            gnv__buf_putc(&b, ',');
        GNV_ASSERT_OK(gnv__print_json_value(&b, &v, i));
    }
    gnv__buf_putc(&b, ']');
    gnv__array_view_reset(&v);
    return gnv__buf_detach(&b, NULL);
}

static char *eval_text(const char *text, int *rc_out)
{
    gnv_expr *e = NULL;
    struct ArrowArray out;
    struct ArrowSchema rs;
    char *r = NULL;
    int rc = gnv__expr_parse(&e, text);
    if (rc == GNV_OK)
        rc = gnv__expr_bind(e, &g_schema);
    if (rc == GNV_OK)
        rc = gnv__expr_eval(&out, e, &g_schema, &g_batch);
    if (rc == GNV_OK) {
        GNV_ASSERT_OK(gnv__expr_result_schema(&rs, e, "r"));
        r = render(&rs, &out);
        gnv__schema_release(&rs);
        gnv__array_release(&out);
    }
    gnv__expr_free(e);
    *rc_out = rc;
    return r;
}

static void check(const char *text, const char *want)
{
    int rc;
    char *got = eval_text(text, &rc);
    if (!got) {
        const gnv_error *e = gnv_error_last();
        fail_msg("%s: failed (%d): %s", text, rc, e ? e->message : "?");
    }
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  got  %s\n  want %s", text, got, want);
    gnv__free(got);
}

/* The first row's value of a constant expression. */
static void check1(const char *text, const char *want)
{
    int rc;
    char *got = eval_text(text, &rc);
    if (!got) {
        const gnv_error *e = gnv_error_last();
        fail_msg("%s: failed (%d): %s", text, rc, e ? e->message : "?");
    }
    char *comma = strchr(got + 1, ',');
    size_t n = comma ? (size_t)(comma - got - 1) : strlen(got) - 2;
    if (strlen(want) != n || strncmp(got + 1, want, n) != 0)
        fail_msg("%s\n  got  %s\n  want %s", text, got, want);
    gnv__free(got);
}

static void check_err(const char *text, const char *needle)
{
    int rc;
    char *got = eval_text(text, &rc);
    if (got)
        fail_msg("%s: expected an error, got %s", text, got);
    const gnv_error *e = gnv_error_last();
    if (rc != GNV_EINVAL || !gnv_test_has(e->message, needle))
        fail_msg("%s: returned %d: %s (expected '%s')", text, rc, e ? e->message : "?", needle);
}

static void test_numeric(void **state)
{
    (void)state;
    check("CAST(d AS INT)", "[1,-2,null,0]");
    check("CAST(i AS DOUBLE)", "[1.0,-2.0,null,2147483647.0]");
    check("CAST(i AS BIGINT) * 2", "[2,-4,null,4294967294]");
    check1("CAST(-1.9 AS INT)", "-1");
    check1("CAST(1.9 AS INT)", "1");
    check_err("CAST(i AS TINYINT)", "cannot cast int32 value 2147483647 to int8 at row 3");
    check("TRY_CAST(i AS TINYINT)", "[1,-2,null,null]");
    check_err("CAST(u8 AS TINYINT)", "value 200");
    check("TRY_CAST(u8 AS TINYINT)", "[null,0,null,null]");
    check_err("CAST(i AS INT UNSIGNED)", "value -2");
    check_err("CAST(1e20 AS BIGINT)", "out of range");
    check_err("CAST(CAST('NaN' AS DOUBLE) AS INT)", "NaN");
    check1("TRY_CAST(CAST('inf' AS DOUBLE) AS INT)", "null");
    check("CAST(f32 AS DOUBLE)", "[0.5,-1.25,null,3.0]");
    check("CAST(d AS FLOAT)", "[1.5,-2.0,null,0.25]");
    check("CAST(b AS INT)", "[1,0,null,1]");
    check("CAST(i AS BOOLEAN)", "[true,true,null,true]");
    check1("CAST(0 AS BOOLEAN)", "false");
    check1("CAST(0.0 AS BOOLEAN)", "false");
}

static void test_to_string(void **state)
{
    (void)state;
    check("CAST(i AS VARCHAR)", "[\"1\",\"-2\",null,\"2147483647\"]");
    check("CAST(d AS VARCHAR)", "[\"1.5\",\"-2.0\",null,\"0.25\"]");
    check("CAST(f32 AS VARCHAR)", "[\"0.5\",\"-1.25\",null,\"3.0\"]");
    check("CAST(b AS VARCHAR)", "[\"true\",\"false\",null,\"true\"]");
    check("CAST(dt AS VARCHAR)", "[\"2024-03-15\",\"1969-12-31\",null,\"2000-02-29\"]");
    check("CAST(ts AS VARCHAR)", "[\"2024-03-15T10:20:30.123\",\"1969-12-31T23:59:59.500\",null,"
                                 "\"2000-02-29T00:00:00\"]");
    check1("CAST(0.1 AS VARCHAR)", "\"0.1\"");
    check1("CAST(1e20 AS VARCHAR)", "\"1e20\"");
    check1("CAST(1.5e-7 AS VARCHAR)", "\"1.5e-7\"");
    check1("CAST(123456789.0 AS VARCHAR)", "\"123456789.0\"");
    check1("CAST(1e10 AS VARCHAR)", "\"1e10\"");
    check1("CAST(1.25e10 AS VARCHAR)", "\"1.25e10\"");
    check1("CAST(1234567890.0 AS VARCHAR)", "\"1234567890.0\"");
    check1("CAST(0.00001 AS VARCHAR)", "\"0.00001\"");
    check1("CAST(0.000001 AS VARCHAR)", "\"1e-6\"");
    check1("CAST(-0.0 AS VARCHAR)", "\"-0.0\"");
    check1("CAST(CAST(0.1 AS FLOAT) AS VARCHAR)", "\"0.1\"");
    check1("CAST(CAST('nan' AS DOUBLE) AS VARCHAR)", "\"NaN\"");
    check1("CAST(CAST('-inf' AS DOUBLE) AS VARCHAR)", "\"-inf\"");
    check1("CAST(CAST(-9223372036854775807 - 1 AS BIGINT) AS VARCHAR)", "\"-9223372036854775808\"");
}

static void test_from_string(void **state)
{
    (void)state;
    check("TRY_CAST(s AS BIGINT)", "[123,-7,null,null]");
    check("TRY_CAST(substr(s, 1, 1) AS INT UNSIGNED) + 1", "[2,null,null,null]");
}

static void test_from_string_errors(void **state)
{
    (void)state;
    check_err("CAST(s AS INT)", "cannot cast utf8 value 'x1' to int32 at row 3");
    check("TRY_CAST(s AS INT)", "[123,-7,null,null]");
    check("TRY_CAST(s AS TINYINT)", "[123,-7,null,null]");
    check("TRY_CAST(s AS DOUBLE)", "[123.0,-7.0,null,null]");
    check_err("CAST(' 1' AS INT)", "' 1'");
    check_err("CAST('1.5' AS INT)", "'1.5'");
    check_err("CAST('' AS INT)", "''");
    check1("CAST('+5' AS INT)", "5");
    check1("CAST('1e3' AS DOUBLE)", "1000.0");
    check1("CAST('.5' AS DOUBLE)", "0.5");
    check1("CAST('-Infinity' AS DOUBLE)", "\"-Infinity\"");
    check_err("CAST('0x10' AS DOUBLE)", "'0x10'");
    check_err("CAST('1e' AS DOUBLE)", "'1e'");
    check1("CAST('YES' AS BOOLEAN)", "true");
    check1("CAST('off' AS BOOLEAN)", "false");
    check1("CAST('F' AS BOOLEAN)", "false");
    check_err("CAST('maybe' AS BOOLEAN)", "'maybe'");
    check1("TRY_CAST('maybe' AS BOOLEAN)", "null");
    check1("CAST('18446744073709551615' AS BIGINT UNSIGNED)", "18446744073709551615");
    check_err("CAST('18446744073709551616' AS BIGINT UNSIGNED)", "cannot cast");
    check_err("CAST('-9223372036854775809' AS BIGINT)", "cannot cast");
    check1("CAST('-9223372036854775808' AS BIGINT)", "-9223372036854775808");
}

static void test_temporal(void **state)
{
    (void)state;
    check1("CAST('2024-03-15' AS DATE) = dt", "true");
    check_err("CAST('2024-13-01' AS DATE)", "'2024-13-01'");
    check1("TRY_CAST('nope' AS DATE)", "null");
    check("CAST(CAST(dt AS TIMESTAMP) AS VARCHAR)",
          "[\"2024-03-15T00:00:00\",\"1969-12-31T00:00:00\",null,\"2000-02-29T00:00:00\"]");
    check("CAST(CAST(ts AS DATE) AS VARCHAR)",
          "[\"2024-03-15\",\"1969-12-31\",null,\"2000-02-29\"]");
    check("CAST(CAST(ts AS TIMESTAMP) AS VARCHAR)",
          "[\"2024-03-15T10:20:30.123\",\"1969-12-31T23:59:59.500\",null,\"2000-02-29T00:00:00\"]");
    check1("CAST(CAST('2024-01-02 03:04:05.25' AS TIMESTAMP) AS VARCHAR)",
           "\"2024-01-02T03:04:05.250\"");
    check1("CAST(CAST('2024-01-02T03:04:05+01:00' AS TIMESTAMP) AS VARCHAR)",
           "\"2024-01-02T02:04:05\"");
}

static void test_binary(void **state)
{
    (void)state;
    check("CAST(CAST(s AS BYTEA) AS VARCHAR)", "[\"123\",\"-7\",null,\"x1\"]");
}

/* ---- direct casts ------------------------------------------------------- */

static void
load_one(struct ArrowSchema *schema, struct ArrowArray *batch, const char *text, const char *types)
{
    struct ArrowArrayStream s;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.types = types;
    GNV_ASSERT_OK(gnv__jsonl_open_memory(&s, text, strlen(text), "data.jsonl", &o));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, schema));
    GNV_ASSERT_OK(gnv__stream_next(&s, batch));
    gnv__stream_release(&s);
}

static void cast_check(const struct ArrowSchema *from,
                       const struct ArrowArray *a,
                       const char *to_text,
                       bool try_cast,
                       const char *want)
{
    struct ArrowSchema to;
    struct ArrowArray out;
    GNV_ASSERT_OK(gnv__type_from_string(&to, to_text, "r"));
    gnv_datum d = {from, a, false};
    GNV_ASSERT_OK(gnv__expr_cast(&out, &d, &to, try_cast, a->length));
    char *got = render(&to, &out);
    if (strcmp(got, want) != 0)
        fail_msg("cast to %s\n  got  %s\n  want %s", to_text, got, want);
    gnv__free(got);
    gnv__array_release(&out);
    gnv__schema_release(&to);
}

static void test_lists(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b, sl;
    load_one(&s, &b, "{\"l\":[1,2]}\n{\"l\":null}\n{\"l\":[]}\n{\"l\":[3,null,300]}\n",
             "l:list<int64>");
    cast_check(s.children[0], b.children[0], "list<float64>", false,
               "[[1.0,2.0],null,[],[3.0,null,300.0]]");
    cast_check(s.children[0], b.children[0], "large_list<utf8>", false,
               "[[\"1\",\"2\"],null,[],[\"3\",null,\"300\"]]");
    cast_check(s.children[0], b.children[0], "list<int8>", true, "[[1,2],null,[],[3,null,null]]");
    {
        struct ArrowSchema to;
        struct ArrowArray out;
        GNV_ASSERT_OK(gnv__type_from_string(&to, "list<int8>", "r"));
        gnv_datum d = {s.children[0], b.children[0], false};
        GNV_ASSERT_ERR(gnv__expr_cast(&out, &d, &to, false, 4), GNV_EINVAL, "300");
        gnv__schema_release(&to);
    }
    /* a sliced list column */
    GNV_ASSERT_OK(gnv__array_slice(&sl, b.children[0], 1, 3));
    cast_check(s.children[0], &sl, "list<float32>", false, "[null,[],[3.0,null,300.0]]");
    gnv__array_release(&sl);
    gnv__array_release(&b);
    gnv__schema_release(&s);
}

/* Timestamps: coarser units truncate toward zero (arrow-rs), dates take the floor; a UTC
 * zone prints as Z. */
static void test_timestamp_units(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    load_one(&s, &b, "{\"t\":\"1969-12-31T23:59:59.9999985\",\"z\":\"2024-01-02T03:04:05Z\"}\n",
             "t:timestamp[ns],z:timestamp[s, tz=UTC]");
    cast_check(s.children[0], b.children[0], "timestamp[us]", false,
               "[\"1969-12-31T23:59:59.999999\"]");
    cast_check(s.children[0], b.children[0], "timestamp[s]", false, "[\"1970-01-01T00:00:00\"]");
    cast_check(s.children[0], b.children[0], "date32", false, "[\"1969-12-31\"]");
    cast_check(s.children[1], b.children[1], "utf8", false, "[\"2024-01-02T03:04:05Z\"]");
    gnv__array_release(&b);
    gnv__schema_release(&s);
}

static void test_misc_direct(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b, sl;
    load_one(&s, &b,
             "{\"x\":1.5,\"t\":\"h\xc3\xa9\"}\n{\"x\":null,\"t\":null}\n"
             "{\"x\":65504,\"t\":\"\"}\n{\"x\":1e6,\"t\":\"z\"}\n",
             "x:float64,t:utf8");
    cast_check(s.children[0], b.children[0], "float16", false, "[1.5,null,65504.0,\"Infinity\"]");
    cast_check(s.children[1], b.children[1], "large_utf8", false,
               "[\"h\xc3\xa9\",null,\"\",\"z\"]");
    cast_check(s.children[1], b.children[1], "binary", false, "[\"aMOp\",null,\"\",\"eg==\"]");
    GNV_ASSERT_OK(gnv__array_slice(&sl, b.children[0], 2, 2));
    cast_check(s.children[0], &sl, "int32", false, "[65504,1000000]");
    gnv__array_release(&sl);
    /* the null type to anything; not back */
    {
        struct ArrowSchema na, to;
        struct ArrowArray a, out;
        GNV_ASSERT_OK(gnv__schema_init(&na, "n", "", ARROW_FLAG_NULLABLE));
        GNV_ASSERT_OK(gnv__array_init(&a, &na));
        GNV_ASSERT_OK(gnv__array_append_null(&a, 3));
        GNV_ASSERT_OK(gnv__array_finish(&a));
        cast_check(&na, &a, "list<int32>", false, "[null,null,null]");
        cast_check(&na, &a, "utf8", false, "[null,null,null]");
        GNV_ASSERT_OK(gnv__schema_init(&to, "n", "r", ARROW_FLAG_NULLABLE));
        gnv_datum d = {s.children[0], b.children[0], false};
        GNV_ASSERT_ERR(gnv__expr_cast(&out, &d, &to, false, 4), GNV_EINVAL, "cannot cast");
        gnv__schema_release(&to);
        GNV_ASSERT_OK(gnv__type_from_string(&to, "list<int32>", "r"));
        GNV_ASSERT_ERR(gnv__expr_cast(&out, &d, &to, false, 4), GNV_EINVAL,
                       "cannot cast float64 to list<int32>");
        gnv__schema_release(&to);
        gnv__array_release(&a);
        gnv__schema_release(&na);
    }
    /* binary that is not UTF-8 */
    {
        struct ArrowSchema bs, to;
        struct ArrowArray a, out;
        GNV_ASSERT_OK(gnv__schema_init(&bs, "z", "", ARROW_FLAG_NULLABLE));
        GNV_ASSERT_OK(gnv__array_init(&a, &bs));
        GNV_ASSERT_OK(gnv__array_append_bytes(&a, "ok", 2));
        GNV_ASSERT_OK(gnv__array_append_bytes(&a, "\xff", 1));
        GNV_ASSERT_OK(gnv__array_finish(&a));
        GNV_ASSERT_OK(gnv__type_from_string(&to, "utf8", "r"));
        gnv_datum d = {&bs, &a, false};
        GNV_ASSERT_ERR(gnv__expr_cast(&out, &d, &to, false, 2), GNV_EINVAL, "UTF-8");
        cast_check(&bs, &a, "utf8", true, "[\"ok\",null]");
        gnv__schema_release(&to);
        gnv__array_release(&a);
        gnv__schema_release(&bs);
    }
    /* a scalar input gives n copies */
    {
        struct ArrowSchema to;
        struct ArrowArray out;
        GNV_ASSERT_OK(gnv__type_from_string(&to, "utf8", "r"));
        gnv_datum d = {s.children[0], b.children[0], true};
        GNV_ASSERT_OK(gnv__expr_cast(&out, &d, &to, false, 3));
        char *got = render(&to, &out);
        assert_string_equal(got, "[\"1.5\",\"1.5\",\"1.5\"]");
        gnv__free(got);
        gnv__array_release(&out);
        gnv__schema_release(&to);
    }
    gnv__array_release(&b);
    gnv__schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric),         cmocka_unit_test(test_to_string),
        cmocka_unit_test(test_from_string),     cmocka_unit_test(test_from_string_errors),
        cmocka_unit_test(test_temporal),        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_lists),           cmocka_unit_test(test_misc_direct),
        cmocka_unit_test(test_timestamp_units),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
