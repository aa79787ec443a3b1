/* decimal128 and duration values in expressions: DECIMAL(p, s) casts, decimal arithmetic
 * and comparisons with arrow-rs's result types, uint64 with signed integers in
 * decimal128(20, 0), timestamp - timestamp as a duration (as LanceDB answers). */
#include "gnv_test.h"

#include "arrow/arrow.h"
#include "expr/expr_kernel.h"

static const char *DATA =
    "{\"i\":1,\"i8\":-128,\"u\":7,\"big\":-9223372036854775808,"
    "\"d\":1.255,\"s\":\"1.255\",\"ts\":\"2024-01-15T00:00:00.000001\","
    "\"tms\":\"2024-01-15T00:00:00\"}\n"
    "{\"i\":-2,\"i8\":127,\"u\":0,\"big\":9223372036854775807,\"d\":-2.5,\"s\":\" -7.5\","
    "\"ts\":\"1969-12-31T23:59:59\",\"tms\":\"1970-01-01T00:00:00.5\"}\n"
    "{\"i\":null,\"i8\":null,\"u\":null,\"big\":null,\"d\":null,\"s\":null,\"ts\":null,"
    "\"tms\":null}\n"
    "{\"i\":300,\"i8\":5,\"u\":1,\"big\":-1,\"d\":0.005,\"s\":\"x\",\"ts\":\"2000-01-01T00:00:00\","
    "\"tms\":\"2000-01-01T00:00:01.999\"}\n";
static const char *TYPES = "i:int32,i8:int8,u:uint64,big:int64,d:float64,s:utf8,"
                           "ts:timestamp[us],tms:timestamp[ms]";

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
    /* JSON has no integers above INT64_MAX: row 0 of u (7) becomes UINT64_MAX */
    uint64_t *u = (uint64_t *)(uintptr_t)g_batch.children[2]->buffers[1];
    assert_int_equal(u[g_batch.children[2]->offset], 7);
    u[g_batch.children[2]->offset] = UINT64_MAX;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gnv__array_release(&g_batch);
    gnv__schema_release(&g_schema);
    return 0;
}

/* The values as JSON (decimals as strings) and the type: "decimal128(10, 2) [...]". */
static char *eval_text(const char *text, int *rc_out)
{
    gnv_expr *e = NULL;
    struct ArrowArray out;
    struct ArrowSchema rs;
    gnv_array_view v;
    gnv_buf b = GNV_BUF_INIT;
    int rc = gnv__expr_parse(&e, text);
    if (rc == GNV_OK)
        rc = gnv__expr_bind(e, &g_schema);
    if (rc == GNV_OK)
        rc = gnv__expr_eval(&out, e, &g_schema, &g_batch);
    if (rc == GNV_OK) {
        GNV_ASSERT_OK(gnv__expr_result_schema(&rs, e, "r"));
        GNV_ASSERT_OK(gnv__array_validate(&rs, &out, true));
        GNV_ASSERT_OK(gnv__type_to_string(&b, &rs));
        gnv__buf_puts(&b, " [");
        GNV_ASSERT_OK(gnv__array_view_init(&v, &rs, &out));
        for (int64_t i = 0; i < out.length; i++) {
            if (i)
                gnv__buf_putc(&b, ',');
            GNV_ASSERT_OK(gnv__print_json_value(&b, &v, i));
        }
        gnv__buf_putc(&b, ']');
        gnv__array_view_reset(&v);
        gnv__schema_release(&rs);
        gnv__array_release(&out);
    }
    gnv__expr_free(e);
    *rc_out = rc;
    return rc == GNV_OK ? gnv__buf_detach(&b, NULL) : NULL;
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

static void test_parse_types(void **state)
{
    (void)state;
    check("CAST(i AS DECIMAL(10, 2))", "decimal128(10, 2) [\"1.00\",\"-2.00\",null,\"300.00\"]");
    check("CAST(i AS NUMERIC(5, 0))", "decimal128(5, 0) [\"1\",\"-2\",null,\"300\"]");
    check("i::decimal(4,1)", "decimal128(4, 1) [\"1.0\",\"-2.0\",null,\"300.0\"]");
    check_err("CAST(i AS DECIMAL)", "DECIMAL at character 11 needs a precision and a scale");
    check_err("CAST(i AS DECIMAL(5))", "needs a precision and a scale");
    check_err("CAST(i AS DECIMAL(39, 2))", "precision 39 is not between 1 and 38");
    check_err("CAST(i AS DECIMAL(0, 0))", "precision 0");
    check_err("CAST(i AS DECIMAL(5, 6))", "scale 6 is larger than the precision 5");
    check_err("CAST(i AS DECIMAL(5, -2))", "a negative scale is not supported");
    /* printed back in a form that parses again */
    gnv_expr *e = NULL;
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "CAST(i AS DECIMAL(10,2))"));
    GNV_ASSERT_OK(gnv__expr_to_string(&b, e->root, false));
    assert_string_equal(b.ptr, "CAST(i AS DECIMAL(10, 2))");
    gnv_buf_dispose(&b);
    gnv__expr_free(e);
}

static void test_casts(void **state)
{
    (void)state;
    /* floats round half away from zero after scaling (1.255 is 1.25499.. in binary) */
    check("CAST(d AS DECIMAL(10, 2))", "decimal128(10, 2) [\"1.25\",\"-2.50\",null,\"0.01\"]");
    /* strings round at the first dropped digit; spaces around are skipped */
    check("TRY_CAST(s AS DECIMAL(10, 2))", "decimal128(10, 2) [\"1.26\",\"-7.50\",null,null]");
    check_err("CAST(s AS DECIMAL(10, 2))",
              "cannot cast utf8 value 'x' to decimal128(10, 2) at row 3");
    check("CAST('' AS DECIMAL(4, 1))", "decimal128(4, 1) [\"0.0\",\"0.0\",\"0.0\",\"0.0\"]");
    check_err("CAST('1e3' AS DECIMAL(10, 2))", "'1e3'");
    check_err("CAST('.' AS DECIMAL(10, 2))", "'.'");
    /* the precision is checked */
    check_err("CAST(i8 AS DECIMAL(3, 2))",
              "cannot cast int8 value -128 to decimal128(3, 2) at row 0 (too many digits");
    check("TRY_CAST(i8 AS DECIMAL(3, 1))", "decimal128(3, 1) [null,null,null,\"5.0\"]");
    check_err("CAST(CAST(123.4 AS DECIMAL(10, 3)) AS DECIMAL(3, 1))", "123.400");
    check_err("CAST(CAST('NaN' AS DOUBLE) AS DECIMAL(10, 2))", "NaN");
    check("CAST(u AS DECIMAL(20, 0))",
          "decimal128(20, 0) [\"18446744073709551615\",\"0\",null,\"1\"]");
    check_err("CAST(u AS DECIMAL(38, 20))", "18446744073709551615");
    /* decimal to decimal rounds half away from zero when the scale shrinks */
    check("CAST(CAST(d AS DECIMAL(10, 3)) AS DECIMAL(10, 2))",
          "decimal128(10, 2) [\"1.26\",\"-2.50\",null,\"0.01\"]");
    /* from the largest scale: no overflow while rounding */
    check("CAST(CAST('0.99999999999999999999999999999999999999' AS DECIMAL(38, 38)) AS "
          "DECIMAL(2, 0))",
          "decimal128(2, 0) [\"1\",\"1\",\"1\",\"1\"]");
    check("CAST(CAST('-0.5' AS DECIMAL(38, 38)) AS DECIMAL(2, 0))",
          "decimal128(2, 0) [\"-1\",\"-1\",\"-1\",\"-1\"]");
    /* decimals to integers truncate toward zero (range-checked), to floats divide */
    check("CAST(CAST(d AS DECIMAL(10, 2)) AS INT)", "int32 [1,-2,null,0]");
    check("CAST(CAST(d AS DECIMAL(10, 2)) AS DOUBLE)", "float64 [1.25,-2.5,null,0.01]");
    check_err("CAST(CAST(i AS DECIMAL(10, 1)) AS TINYINT)",
              "300.0 to int8 at row 3 (out of range)");
    check("TRY_CAST(CAST(i AS DECIMAL(10, 1)) AS TINYINT)", "int8 [1,-2,null,null]");
    check("CAST(CAST(d AS DECIMAL(10, 2)) AS STRING)", "utf8 [\"1.25\",\"-2.50\",null,\"0.01\"]");
    /* not from or to booleans (as in LanceDB) */
    check_err("CAST(TRUE AS DECIMAL(10, 2))", "cannot cast bool to decimal128(10, 2)");
    check_err("CAST(CAST(1 AS DECIMAL(10, 2)) AS BOOLEAN)",
              "cannot cast decimal128(10, 2) to bool");
}

static void test_arith(void **state)
{
    (void)state;
    /* arrow-rs's result types; an int64 literal counts as decimal128(20, 0) */
    check("CAST(i AS DECIMAL(10, 2)) + 1",
          "decimal128(23, 2) [\"2.00\",\"-1.00\",null,\"301.00\"]");
    check("CAST(i AS DECIMAL(10, 2)) * i8",
          "decimal128(14, 2) [\"-128.00\",\"-254.00\",null,\"1500.00\"]");
    check("CAST(i AS DECIMAL(10, 2)) / 3",
          "decimal128(14, 6) [\"0.333333\",\"-0.666666\",null,\"100.000000\"]");
    check("CAST(i AS DECIMAL(10, 2)) % 7", "decimal128(10, 2) [\"1.00\",\"-2.00\",null,\"6.00\"]");
    check("CAST(i AS DECIMAL(10, 2)) - CAST(d AS DECIMAL(5, 3))",
          "decimal128(12, 3) [\"-0.255\",\"0.500\",null,\"299.995\"]");
    check("-CAST(i AS DECIMAL(10, 2))", "decimal128(10, 2) [\"-1.00\",\"2.00\",null,\"-300.00\"]");
    /* with a float: the float */
    check("CAST(i AS DECIMAL(10, 2)) + 0.5", "float64 [1.5,-1.5,null,300.5]");
    /* uint64 with a signed integer: decimal128(20, 0) on both sides, no wrapping */
    check("u + big", "decimal128(21, 0) [\"9223372036854775807\",\"9223372036854775807\",null,"
                     "\"0\"]");
    check("u * 2 + 0", "decimal128(38, 0) [\"36893488147419103230\",\"0\",null,\"2\"]");
    check("u - i8", "decimal128(21, 0) [\"18446744073709551743\",\"-127\",null,\"-4\"]");
    /* ... while uint64 with uint64 stays uint64 */
    check("u + u", "uint64 [18446744073709551614,0,null,2]");
    check_err("CAST(i AS DECIMAL(10, 2)) / 0", "division by zero in '/' at row 0");
    check_err("CAST(big AS DECIMAL(38, 0)) * CAST(big AS DECIMAL(38, 0)) * "
              "CAST(big AS DECIMAL(38, 0))",
              "decimal overflow in '*' at row 0");
    check_err("CAST(i AS DECIMAL(38, 20)) * CAST(i AS DECIMAL(38, 20))",
              "the result's scale 40 would exceed 38");
    /* NULLs */
    check("CAST(i AS DECIMAL(10, 2)) + NULL", "decimal128(11, 2) [null,null,null,null]");
}

static void test_compare(void **state)
{
    (void)state;
    check("CAST(i AS DECIMAL(10, 2)) = 1", "bool [true,false,null,false]");
    check("CAST(i AS DECIMAL(10, 2)) > '1'", "bool [false,false,null,true]");
    check("CAST(d AS DECIMAL(10, 2)) > 1.2", "bool [true,false,null,false]");
    check("CAST(d AS DECIMAL(10, 2)) = CAST(d AS DECIMAL(12, 4))", "bool [false,true,null,false]");
    check("CAST(i AS DECIMAL(10, 2)) IN (1, 300)", "bool [true,false,null,true]");
    check("CAST(i AS DECIMAL(10, 2)) BETWEEN -2 AND 1.5", "bool [true,true,null,false]");
    check("u > big", "bool [true,false,null,true]");
    check("u = CAST(big AS DECIMAL(20, 0)) + 18446744073709551615",
          "bool [false,false,null,false]");
    check("coalesce(CAST(i AS DECIMAL(10, 2)), CAST(i8 AS DECIMAL(10, 2)))",
          "decimal128(10, 2) [\"1.00\",\"-2.00\",null,\"300.00\"]");
    /* as DataFusion's optimizer, an integer cast compared with an integer literal that fits
     * compares the integers: the cast (and its error) never runs */
    check("CAST(i8 AS DECIMAL(3, 2)) > 0", "bool [false,true,null,true]");
    check_err("CAST(i8 AS DECIMAL(3, 2)) > 10", "cannot cast int8 value -128");
    check_err("CAST(i AS DECIMAL(10, 2)) > TRUE", "cannot compare decimal128(10, 2) with bool");
}

static void test_durations(void **state)
{
    (void)state;
    /* the coarser unit of the two */
    check("ts - tms", "duration[ms] [0,-1500,null,-1999]");
    check("ts - ts", "duration[us] [0,0,null,0]");
    check("(ts - tms) + (ts - tms)", "duration[ms] [0,-3000,null,-3998]");
    check("ts - tms = ts - tms", "bool [true,true,null,true]");
    /* two units compare exactly, in the finer one */
    check("ts - tms = ts - ts", "bool [true,false,null,false]");
    check("ts - tms < (ts - ts)", "bool [false,true,null,true]");
    check("CAST(ts - tms AS BIGINT)", "int64 [0,-1500,null,-1999]");
    check("CAST(ts - tms AS STRING)",
          "utf8 [\"0 days 0 hours 0 mins 0.000 secs\",\"0 days 0 hours 0 mins -1.500 secs\","
          "null,\"0 days 0 hours 0 mins -1.999 secs\"]");
    check("CAST(CAST(90061 AS BIGINT) AS STRING)",
          "utf8 [\"90061\",\"90061\",\"90061\",\"90061\"]");
    check_err("ts - tms > 0", "cannot compare duration[ms] with int64");
    check_err("-(ts - tms)", "cannot apply 'unary -' to duration[ms]");
    check_err("ts + tms", "date and time arithmetic");
    check_err("(ts - tms) + (ts - ts)", "cannot apply '+' to duration[ms] and duration[us]");
}

static void test_functions(void **state)
{
    (void)state;
    check("greatest(CAST(i AS DECIMAL(10, 2)), CAST(d AS DECIMAL(6, 3)))",
          "decimal128(11, 3) [\"1.255\",\"-2.000\",null,\"300.000\"]");
    check("nullif(CAST(i AS DECIMAL(10, 2)), 1)",
          "decimal128(22, 2) [null,\"-2.00\",null,\"300.00\"]");
    check("CASE WHEN i > 0 THEN CAST(i AS DECIMAL(10, 2)) ELSE CAST(d AS DECIMAL(4, 3)) END",
          "decimal128(11, 3) [\"1.000\",\"-2.500\",null,\"300.000\"]");
    check("CAST(i AS DECIMAL(10, 2)) IS NULL", "bool [false,false,true,false]");
    check("abs(CAST(i AS DECIMAL(10, 2)))",
          "decimal128(10, 2) [\"1.00\",\"2.00\",null,\"300.00\"]");
    check("abs(-CAST(d AS DECIMAL(10, 3)))",
          "decimal128(10, 3) [\"1.255\",\"2.500\",null,\"0.005\"]");
    check_err("round(CAST(i AS DECIMAL(10, 2)))", "round");
    /* date - timestamp: nanoseconds */
    check("CAST('2024-01-15' AS DATE) - tms",
          "duration[ns] [0,1705276799500000000,null,758591998001000000]");
}

/* A decimal column from elsewhere (an owned batch, as IPC gives): filters and values. */
static void test_decimal_column(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a;
    assert_int_equal(gnv__type_from_string(&s, "struct<x: decimal128(6, 2), t: duration[s]>", ""),
                     GNV_OK);
    assert_int_equal(gnv__array_init(&a, &s), GNV_OK);
    const int64_t xs[] = {150, -1, 0, 9999};
    for (int i = 0; i < 4; i++) {
        uint8_t le[16];
        int64_t hi = xs[i] < 0 ? -1 : 0;
        memcpy(le, &xs[i], 8);
        memcpy(le + 8, &hi, 8);
        if (i == 2) {
            assert_int_equal(gnv__array_append_null(a.children[0], 1), GNV_OK);
            assert_int_equal(gnv__array_append_null(a.children[1], 1), GNV_OK);
        } else {
            assert_int_equal(gnv__array_append_decimal128(a.children[0], le), GNV_OK);
            assert_int_equal(gnv__array_append_int(a.children[1], xs[i] * 100), GNV_OK);
        }
        assert_int_equal(gnv__array_finish_element(&a), GNV_OK);
    }
    assert_int_equal(gnv__array_finish(&a), GNV_OK);
    static const char *const cases[][2] = {
        {"x > 1.5", "[false,false,null,true]"},
        {"x = 1.5", "[true,false,null,false]"},
        {"x * 2 = 3", "[true,false,null,false]"},
        {"x < 0 OR t > t", "[false,true,null,false]"},
        {"CAST(t AS BIGINT) = 15000", "[true,false,null,false]"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gnv_expr *e = NULL;
        struct ArrowArray out;
        GNV_ASSERT_OK(gnv__expr_parse(&e, cases[k][0]));
        GNV_ASSERT_OK(gnv__expr_bind(e, &s));
        GNV_ASSERT_OK(gnv__expr_eval(&out, e, &s, &a));
        struct ArrowSchema bs;
        GNV_ASSERT_OK(gnv__schema_init(&bs, "b", "", ARROW_FLAG_NULLABLE));
        gnv_array_view v;
        gnv_buf b = GNV_BUF_INIT;
        GNV_ASSERT_OK(gnv__array_view_init(&v, &bs, &out));
        gnv__buf_putc(&b, '[');
        for (int64_t i = 0; i < out.length; i++) {
            if (i)
                gnv__buf_putc(&b, ',');
            GNV_ASSERT_OK(gnv__print_json_value(&b, &v, i));
        }
        gnv__buf_putc(&b, ']');
        if (strcmp(b.ptr, cases[k][1]) != 0)
            fail_msg("%s: got %s, want %s", cases[k][0], b.ptr, cases[k][1]);
        gnv_buf_dispose(&b);
        gnv__array_view_reset(&v);
        gnv__schema_release(&bs);
        gnv__array_release(&out);
        gnv__expr_free(e);
    }
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

/* gnv__expr_cast directly: integers to durations and back, 1-second durations printed. */
static void test_direct(void **state)
{
    (void)state;
    struct ArrowSchema from, to, str;
    struct ArrowArray a, out, txt;
    GNV_ASSERT_OK(gnv__schema_init(&from, "l", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(&to, "tDs", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(&str, "u", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(&a, &from));
    GNV_ASSERT_OK(gnv__array_append_int(&a, 90061));
    GNV_ASSERT_OK(gnv__array_append_null(&a, 1));
    GNV_ASSERT_OK(gnv__array_append_int(&a, -61));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    gnv_datum d = {&from, &a, false};
    GNV_ASSERT_OK(gnv__expr_cast(&out, &d, &to, false, 3));
    gnv_datum d2 = {&to, &out, false};
    GNV_ASSERT_OK(gnv__expr_cast(&txt, &d2, &str, false, 3));
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, &str, &txt));
    int64_t n;
    const uint8_t *p = gnv__view_get_bytes(&v, 0, &n);
    assert_int_equal(n, strlen("1 days 1 hours 1 mins 1 secs"));
    assert_memory_equal(p, "1 days 1 hours 1 mins 1 secs", (size_t)n);
    assert_true(gnv__view_is_null(&v, 1));
    p = gnv__view_get_bytes(&v, 2, &n);
    assert_memory_equal(p, "0 days 0 hours -1 mins -1 secs", (size_t)n);
    gnv__array_view_reset(&v);
    gnv__array_release(&txt);
    /* between units: finer multiplies (checked), coarser truncates toward zero */
    struct ArrowSchema ms, ns;
    struct ArrowArray a_ms, a_s, a_ns;
    GNV_ASSERT_OK(gnv__schema_init(&ms, "tDm", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(&ns, "tDn", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__expr_cast(&a_ms, &d2, &ms, false, 3));
    gnv_datum d3 = {&ms, &a_ms, false};
    GNV_ASSERT_OK(gnv__expr_cast(&a_s, &d3, &to, false, 3));
    GNV_ASSERT_OK(gnv__array_view_init(&v, &ms, &a_ms));
    assert_int_equal(gnv__view_get_int(&v, 0), 90061000);
    assert_int_equal(gnv__view_get_int(&v, 2), -61000);
    gnv__array_view_reset(&v);
    GNV_ASSERT_OK(gnv__array_view_init(&v, &to, &a_s));
    assert_int_equal(gnv__view_get_int(&v, 0), 90061);
    gnv__array_view_reset(&v);
    struct ArrowArray big;
    GNV_ASSERT_OK(gnv__array_init(&big, &to));
    GNV_ASSERT_OK(gnv__array_append_int(&big, INT64_MAX / 10));
    GNV_ASSERT_OK(gnv__array_finish(&big));
    gnv_datum d4 = {&to, &big, false};
    GNV_ASSERT_ERR(gnv__expr_cast(&a_ns, &d4, &ns, false, 1), GNV_EINVAL, "out of range");
    GNV_ASSERT_OK(gnv__expr_cast(&a_ns, &d4, &ns, true, 1));
    assert_int_equal(a_ns.null_count, 1);
    gnv__array_release(&a_ns);
    gnv__array_release(&big);
    gnv__array_release(&a_s);
    gnv__array_release(&a_ms);
    gnv__schema_release(&ms);
    gnv__schema_release(&ns);
    gnv__array_release(&out);
    gnv__array_release(&a);
    gnv__schema_release(&from);
    gnv__schema_release(&to);
    gnv__schema_release(&str);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_types), cmocka_unit_test(test_casts),
        cmocka_unit_test(test_arith),       cmocka_unit_test(test_compare),
        cmocka_unit_test(test_durations),   cmocka_unit_test(test_direct),
        cmocka_unit_test(test_functions),   cmocka_unit_test(test_decimal_column),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
