/* Binding expressions to a schema: column resolution (case rules, nesting), the
 * coercions made explicit (printed with their types), result types, and type errors. */
#include "gnv_test.h"

#include <string.h>

#include "arrow/arrow.h"
#include "expr/expr_tree.h"

static const char *const schema_text =
    "struct<i8: int8, i16: int16, i32: int32, i64: int64, u8: uint8, u16: uint16, u32: uint32, "
    "u64: uint64, h: float16, f32: float32, f64: float64, s: utf8, ls: large_utf8, b: bool, "
    "d: date32, ts: timestamp[us], tsn: timestamp[ns], tss: timestamp[s], "
    "tz: timestamp[us, tz=UTC], bin: binary, l: list<int32>, l64: list<int64>, ls2: list<utf8>, "
    "st: struct<x: int32, Y: utf8, inner: struct<z: int64>>, Name: utf8, _rowid: uint64, "
    "Ab: int32, aB: int64, CamelCase: int32>";

static struct ArrowSchema schema;

static int setup(void **state)
{
    (void)state;
    return gnv__type_from_string(&schema, schema_text, "") == GNV_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gnv__schema_release(&schema);
    return 0;
}

/* Parse and bind text; compare the typed tree and the result type. */
static void
check_on(const struct ArrowSchema *s, const char *text, const char *tree, const char *result)
{
    gnv_expr *e = NULL;
    gnv_buf b = GNV_BUF_INIT, t = GNV_BUF_INIT;
    struct ArrowSchema out;
    int rc = gnv__expr_parse(&e, text);
    if (rc != GNV_OK)
        fail_msg("'%s': %s", text, gnv_error_last()->message);
    rc = gnv__expr_bind(e, s);
    if (rc != GNV_OK)
        fail_msg("'%s': bind: %s", text, gnv_error_last()->message);
    assert_true(e->bound);
    assert_int_equal(gnv__expr_to_string(&b, e->root, true), GNV_OK);
    if (tree && strcmp(b.ptr, tree) != 0)
        fail_msg("'%s' bound as\n  %s\nexpected\n  %s", text, b.ptr, tree);
    GNV_ASSERT_OK(gnv__expr_result_schema(&out, e, "out"));
    assert_string_equal(out.name, "out");
    assert_true(out.flags & ARROW_FLAG_NULLABLE);
    assert_int_equal(gnv__type_to_string(&t, &out), GNV_OK);
    if (strcmp(t.ptr, result) != 0)
        fail_msg("'%s' has type %s, expected %s", text, t.ptr, result);
    gnv__schema_release(&out);
    gnv_buf_dispose(&b);
    gnv_buf_dispose(&t);
    gnv__expr_free(e);
}

static void check(const char *text, const char *tree, const char *result)
{
    check_on(&schema, text, tree, result);
}

static void check_err(const char *text, const char *needle)
{
    gnv_expr *e = NULL;
    struct ArrowSchema out;
    int rc = gnv__expr_parse(&e, text);
    if (rc != GNV_OK)
        fail_msg("'%s': %s", text, gnv_error_last()->message);
    GNV_ASSERT_ERR(gnv__expr_bind(e, &schema), GNV_EINVAL, needle);
    assert_int_equal(gnv_error_last()->subsystem, GNV_SUB_EXPR);
    assert_false(e->bound);
    assert_int_equal(gnv__expr_result_schema(&out, e, "x"), GNV_EINVAL);
    gnv__expr_free(e);
}

static void test_columns(void **state)
{
    (void)state;
    check("i32", "i32::int32", "int32");
    check("name = 'x'", "(name::utf8 = 'x'::utf8)", "bool");
    check("\"Name\" = 'x'", "(\"Name\"::utf8 = 'x'::utf8)", "bool");
    check("camelcase > 1", "(camelcase::int32 > 1::int32)", "bool");
    check("\"Ab\"", "\"Ab\"::int32", "int32");
    check("\"aB\"", "\"aB\"::int64", "int64");
    check("st.x", "st.x::int32", "int32");
    check("st.y", "st.y::utf8", "utf8");
    check("st.inner.z + 1", "(st.inner.z::int64 + 1::int64)", "int64");
    check("st", "st::struct<x: int32, Y: utf8, inner: struct<z: int64>>",
          "struct<x: int32, Y: utf8, inner: struct<z: int64>>");
    check("_rowid = 5", "(_rowid::uint64 = 5::uint64)", "bool");

    check_err("ab", "column name 'ab' at character 1 is ambiguous");
    check_err("nme = 'x'", "no column named 'nme' (did you mean 'Name'?) at character 1");
    check_err("i33", "no column named 'i33' (did you mean 'i32'?) at character 1");
    check_err("zzzzzzzz", "no column named 'zzzzzzzz' at character 1");
    check_err("st.q", "no field named 'q' in 'st' at character 1");
    check_err("st.inner.y", "no field named 'y' in 'st.inner' at character 1");
    check_err("st.innr.z", "no field named 'innr' in 'st' (did you mean 'inner'?) at character 1");
    check_err("i32.x", "'i32' at character 1 is int32, not a struct, so it has no field 'x'");

    /* the paths, and the column list in the schema's spelling */
    gnv_expr *e = NULL;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "st.inner.z > 1 AND name = 'a' AND NAME = 'b' OR i8 = 1"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &schema));
    const char *const *cols;
    int64_t n;
    GNV_ASSERT_OK(gnv__expr_columns(&cols, &n, e));
    assert_int_equal(n, 3);
    assert_string_equal(cols[0], "st");
    assert_string_equal(cols[1], "Name");
    assert_string_equal(cols[2], "i8");
    const gnv_expr_node *z = e->root->args[0]->args[0]->args[0]->args[0];
    assert_int_equal(z->op, GNV_EX_COLUMN);
    assert_int_equal(z->n_names, 3);
    assert_int_equal(z->path[0], 23);
    assert_int_equal(z->path[1], 2);
    assert_int_equal(z->path[2], 0);
    gnv__expr_free(e);
}

static void test_comparisons(void **state)
{
    (void)state;
    check("i32 > 5", "(i32::int32 > 5::int32)", "bool");
    check("5 < i8", "(5::int8 < i8::int8)", "bool");
    /* LanceDB's literal resolution: a literal next to a column takes its type or fails */
    check_err("i8 > 300", "literal 300 at character 6 does not convert to int8, the type of 'i8'");
    check_err("i32 > 5000000000", "literal 5000000000 at character 7 does not convert to int32");
    check_err("u64 > -1", "literal -1 at character 7 does not convert to uint64");
    check_err("i32 < 1.5", "literal 1.5 at character 7 does not convert to int32, the type of "
                           "'i32' (LanceDB does not convert a float literal to an integer)");
    check_err("b AND 2.5 = i8", "literal 2.5 at character 7 does not convert to int8");
    check_err("st.x = 5000000000", "does not convert to int32, the type of 'x'");
    check_err("i8 = 1 + 300", "literal 300 at character 10 does not convert to int8");
    check("i8 = 1 + 2", "(i8::int8 = (1::int8 + 2::int8))", "bool");
    /* elsewhere (under NOT, or not next to a column) the DataFusion rules apply */
    check("NOT (i8 > 300)", "(NOT (CAST(i8::int8 AS BIGINT) > 300::int64))", "bool");
    check("i8 + 1 > 300", "((CAST(i8::int8 AS BIGINT) + 1::int64) > 300::int64)", "bool");
    check("i32 = i64", "(CAST(i32::int32 AS BIGINT) = i64::int64)", "bool");
    check("f32 > 0.5", "(f32::float32 > 0.5::float32)", "bool");
    check("f32 > 0.1", "(f32::float32 > 0.10000000000000001::float32)", "bool");
    check("NOT f32 > 0.1", "(NOT (CAST(f32::float32 AS DOUBLE) > 0.10000000000000001::float64))",
          "bool");
    check("f32 > 1", "(f32::float32 > 1.0::float32)", "bool");
    check("NOT i32 < 1.5", "(NOT (CAST(i32::int32 AS DOUBLE) < 1.5::float64))", "bool");
    check("NOT u64 > -1",
          "(NOT (CAST(u64::uint64 AS DECIMAL(20, 0)) > CAST(-1::int64 AS DECIMAL(20, 0))))",
          "bool");
    check("u8 = i8", "(CAST(u8::uint8 AS SMALLINT) = CAST(i8::int8 AS SMALLINT))", "bool");
    check("s = 'x'", "(s::utf8 = 'x'::utf8)", "bool");
    check("ls = 'x'", "(ls::large_utf8 = 'x'::large_utf8)", "bool");
    check("s = ls", "(CAST(s::utf8 AS large_utf8) = ls::large_utf8)", "bool");
    check("NOT (i32 = '5')", "(NOT (CAST(i32::int32 AS VARCHAR) = '5'::utf8))", "bool");
    check_err("i32 = '5'", "literal '5' at character 7 does not convert to int32, the type of "
                           "'i32' (write the number without quotes)");
    check("NOT (d > '2024-01-02')", "(NOT (d::date32 > DATE '2024-01-02'::date32))", "bool");
    check_err("d > '2024-01-02'", "literal '2024-01-02' at character 5 does not convert to date32, "
                                  "the type of 'd' (write DATE '...')");
    check("d > DATE '2024-01-02'", "(d::date32 > DATE '2024-01-02'::date32)", "bool");
    check("NOT (ts >= '2024-01-02 03:04:05')",
          "(NOT (ts::timestamp[us] >= TIMESTAMP '2024-01-02 03:04:05.000000'::timestamp[us]))",
          "bool");
    check_err("ts >= '2024-01-02 03:04:05'", "(write TIMESTAMP '...')");
    check("NOT (tsn > '2024-01-02')",
          "(NOT (tsn::timestamp[ns] > CAST('2024-01-02'::utf8 AS TIMESTAMP(9))))", "bool");
    check("NOT (tss > '2024-01-02')",
          "(NOT (tss::timestamp[s] > CAST('2024-01-02'::utf8 AS TIMESTAMP(0))))", "bool");
    /* LanceDB reads a TIMESTAMP literal to microseconds, then takes the column's unit */
    check("tsn = TIMESTAMP '2024-01-02 00:00:00.000000215'",
          "(tsn::timestamp[ns] = CAST(TIMESTAMP '2024-01-02 00:00:00.000000'::timestamp[us] AS "
          "TIMESTAMP(9)))",
          "bool");
    check("NOT tsn = TIMESTAMP '2024-01-02'",
          "(NOT (CAST(tsn::timestamp[ns] AS TIMESTAMP) = TIMESTAMP '2024-01-02 "
          "00:00:00.000000'::timestamp[us]))",
          "bool");
    check("tz > TIMESTAMP '2024-01-02'",
          "(tz::timestamp[us, tz=UTC] > TIMESTAMP '2024-01-02 "
          "00:00:00.000000'::timestamp[us, tz=UTC])",
          "bool");
    check("NOT (d > 19000)", "(NOT (d::date32 > DATE '2022-01-08'::date32))", "bool");
    check_err("d > 19000", "literal 19000 at character 5 does not convert to date32");
    check("d = i32", "(d::date32 = CAST(i32::int32 AS DATE))", "bool");
    check("CAST(ts AS BIGINT)", "CAST(ts::timestamp[us] AS BIGINT)", "int64");
    check("d = ts", "(CAST(d::date32 AS TIMESTAMP) = ts::timestamp[us])", "bool");
    check("ts > d", "(ts::timestamp[us] > CAST(d::date32 AS TIMESTAMP))", "bool");
    check("i32 = NULL", "(i32::int32 = NULL::int32)", "bool");
    check("NULL = NULL", "(NULL::null = NULL::null)", "bool");
    check("bin = bin", "(bin::binary = bin::binary)", "bool");
    check("1 = 1", "(1::int64 = 1::int64)", "bool");

    check_err("b = 1", "literal 1 at character 5 does not convert to bool, the type of 'b'");
    check_err("NOT (b = 1)", "cannot compare bool with int64 at character 8");
    check_err("NOT (d > 'yesterday')", "cannot read 'yesterday' at character 10 as a date");
    check_err("NOT ts > '2024-01-02 25:00'",
              "cannot read '2024-01-02 25:00' at character 10 as a timestamp");
    check_err("l = 1", "literal 1 at character 5 does not convert to list<int32>");
    check_err("NOT l = 1", "cannot compare list<int32> with int64 at character 7");
    check_err("l = l64", "cannot compare list<int32> with list<int64>");
}

static void test_in_between(void **state)
{
    (void)state;
    check("i32 IN (1, 2)", "(i32::int32 IN (1::int32, 2::int32))", "bool");
    check_err("i32 IN (1, 2, 5000000000)", "literal 5000000000 at character 15 does not convert");
    check_err("i8 BETWEEN 1 AND 300", "literal 300 at character 18 does not convert to int8");
    check("st.x IN (1, 5000000000)",
          "(CAST(st.x::int32 AS BIGINT) IN (1::int64, 5000000000::int64))", "bool");
    check("s NOT IN ('a', NULL)", "(s::utf8 NOT IN ('a'::utf8, NULL::utf8))", "bool");
    check("NOT (d IN ('2024-01-01'))", "(NOT (d::date32 IN (DATE '2024-01-01'::date32)))", "bool");
    check_err("d IN ('2024-01-01')",
              "literal '2024-01-01' at character 7 does not convert to date32");
    check("i32 BETWEEN 1 AND 10", "(i32::int32 BETWEEN 1::int32 AND 10::int32)", "bool");
    check("f64 BETWEEN i32 AND 10",
          "(f64::float64 BETWEEN CAST(i32::int32 AS DOUBLE) AND 10.0::float64)", "bool");
    check("NOT (ts BETWEEN '2024-01-01' AND '2024-02-01')",
          "(NOT (ts::timestamp[us] BETWEEN TIMESTAMP '2024-01-01 00:00:00.000000'::timestamp[us] "
          "AND TIMESTAMP '2024-02-01 00:00:00.000000'::timestamp[us]))",
          "bool");
    check_err("b IN (1)", "literal 1 at character 7 does not convert to bool");
    check_err("NOT b IN (1)", "IN at character 7 mixes bool and int64, which have no common type");
    check_err("NOT i32 BETWEEN 1 AND TRUE", "BETWEEN at character 9 mixes int32 and bool");
}

static void test_arithmetic(void **state)
{
    (void)state;
    check("i32 + 1", "(i32::int32 + 1::int32)", "int32");
    check("u8 - 1", "(u8::uint8 - 1::uint8)", "uint8");
    check("i8 * 2.5 + 0", "((CAST(i8::int8 AS DOUBLE) * 2.5::float64) + 0.0::float64)", "float64");
    check("(i32 + 1) * 2", "((CAST(i32::int32 AS BIGINT) + 1::int64) * 2::int64)", "int64");
    check("i32 * i32", "(i32::int32 * i32::int32)", "int32");
    check("i32 + i64", "(CAST(i32::int32 AS BIGINT) + i64::int64)", "int64");
    check("i32 + f64", "(CAST(i32::int32 AS DOUBLE) + f64::float64)", "float64");
    check("i64 / f32", "(CAST(i64::int64 AS REAL) / f32::float32)", "float32");
    check("h + i8", "(h::float16 + CAST(i8::int8 AS float16))", "float16");
    check("u64 + 1", "(u64::uint64 + 1::uint64)", "uint64");
    check("u64 - i64", "(CAST(u64::uint64 AS DECIMAL(20, 0)) - CAST(i64::int64 AS DECIMAL(20, 0)))",
          "decimal128(21, 0)");
    check("u32 + i32", "(CAST(u32::uint32 AS BIGINT) + CAST(i32::int32 AS BIGINT))", "int64");
    check("u16 % u8", "(u16::uint16 % CAST(u8::uint8 AS SMALLINT UNSIGNED))", "uint16");
    check("u8 + i8", "(CAST(u8::uint8 AS SMALLINT) + CAST(i8::int8 AS SMALLINT))", "int16");
    check("u16 + i16", "(CAST(u16::uint16 AS INT) + CAST(i16::int16 AS INT))", "int32");
    check("-i32", "(- i32::int32)", "int32");
    check("-f64 * 2", "((- f64::float64) * 2.0::float64)", "float64");
    check("NULL + NULL", "(NULL::int64 + NULL::int64)", "int64");
    check("i8 + NULL", "(i8::int8 + NULL::int8)", "int8");
    check("-NULL", "(- NULL::int64)", "int64");
    check("1 + 2.5", "(1.0::float64 + 2.5::float64)", "float64");

    check_err("(s + 1) IS NULL", "cannot apply '+' to utf8 and int64 at character 4");
    check_err("s + 1",
              "literal 1 at character 5 does not convert to utf8, the type of 's' (quote it");
    check_err("1 * b", "literal 1 at character 1 does not convert to bool");
    check_err("(1 * b) IS NULL", "cannot apply '*' to int64 and bool at character 4");
    check_err("(d + 1) IS NULL",
              "cannot apply '+' to date32 and int64 at character 4 (date and time "
              "arithmetic other than date - date, timestamp - timestamp and duration +/- "
              "duration is not supported)");
    check("ts - ts", "(ts::timestamp[us] - ts::timestamp[us])", "duration[us]");
    check_err("ts + ts", "(date and time arithmetic other than");
    check_err("-s", "cannot apply 'unary -' to utf8 at character 1");
    check_err("-u32", "cannot apply 'unary -' to uint32 at character 1");
}

static void test_logic_strings(void **state)
{
    (void)state;
    check("b AND i32 > 1 OR NOT b", "((b::bool AND (i32::int32 > 1::int32)) OR (NOT b::bool))",
          "bool");
    check("NULL AND b", "(NULL::bool AND b::bool)", "bool");
    check("NOT NULL", "(NOT NULL::bool)", "bool");
    check("b IS NOT TRUE", "(b::bool IS NOT TRUE)", "bool");
    check("NULL IS FALSE", "(NULL::bool IS FALSE)", "bool");
    check("l IS NULL", "(l::list<int32> IS NULL)", "bool");
    check("s || 'x'", "(s::utf8 || 'x'::utf8)", "utf8");
    check("s || i32", "(s::utf8 || CAST(i32::int32 AS VARCHAR))", "utf8");
    check("ls || s", "(ls::large_utf8 || CAST(s::utf8 AS large_utf8))", "large_utf8");
    check("NULL || NULL", "(NULL::utf8 || NULL::utf8)", "utf8");
    check("s LIKE 'a%'", "(s::utf8 LIKE 'a%'::utf8)", "bool");
    check("ls ILIKE s", "(ls::large_utf8 ILIKE CAST(s::utf8 AS large_utf8))", "bool");
    check("s NOT LIKE 'a!%' ESCAPE '!'", "(s::utf8 NOT LIKE 'a!%'::utf8 ESCAPE '!'::utf8)", "bool");
    check("s LIKE 'x' ESCAPE '\xc3\xa9'", NULL, "bool");

    check_err("i32 AND b", "cannot apply 'AND' to int32 and bool at character 5");
    check_err("b OR s", "cannot apply 'OR' to bool and utf8 at character 3");
    check_err("NOT s", "cannot apply 'NOT' to utf8 at character 1");
    check_err("i32 IS TRUE", "cannot apply 'IS TRUE' to int32 at character 5");
    check_err("i32 || i32", "cannot apply '||' to int32 and int32 at character 5");
    check_err("s || l", "cannot apply '||' to utf8 and list<int32> at character 3");
    check_err("i32 LIKE 'a'", "cannot apply 'LIKE' to int32 and utf8 at character 5");
    check_err("s LIKE 'a' ESCAPE 'ab'", "ESCAPE at character 19 must be a string of one character");
    check_err("s LIKE 'a' ESCAPE s", "ESCAPE at character 19 must be a string of one character");
}

static void test_case_cast(void **state)
{
    (void)state;
    check("CASE WHEN b THEN 1 ELSE 2.5 END",
          "(CASE WHEN b::bool THEN 1.0::float64 ELSE 2.5::float64 END)", "float64");
    check("CASE WHEN b THEN i32 END", "(CASE WHEN b::bool THEN i32::int32 END)", "int32");
    check("CASE i32 WHEN 1 THEN 'a' ELSE NULL END",
          "(CASE i32::int32 WHEN 1::int32 THEN 'a'::utf8 ELSE NULL::utf8 END)", "utf8");
    check("CASE WHEN b THEN 1 ELSE '2' END",
          "(CASE WHEN b::bool THEN CAST(1::int64 AS VARCHAR) ELSE '2'::utf8 END)", "utf8");
    check("CASE WHEN b THEN i32 ELSE 0 END",
          "(CASE WHEN b::bool THEN CAST(i32::int32 AS BIGINT) ELSE 0::int64 END)", "int64");
    check("CASE WHEN NULL THEN NULL END", "(CASE WHEN NULL::bool THEN NULL::null END)", "null");
    check("CASE s WHEN 'a' THEN 1 WHEN ls THEN 2 END",
          "(CASE CAST(s::utf8 AS large_utf8) WHEN 'a'::large_utf8 THEN 1::int64 WHEN "
          "ls::large_utf8 THEN 2::int64 END)",
          "int64");
    check("CAST(i32 AS VARCHAR)", "CAST(i32::int32 AS VARCHAR)", "utf8");
    check("TRY_CAST(s AS DATE)", "TRY_CAST(s::utf8 AS DATE)", "date32");
    check("s::int + 1", "(CAST(CAST(s::utf8 AS INT) AS BIGINT) + 1::int64)", "int64");
    check("CAST(NULL AS BIGINT UNSIGNED)", "CAST(NULL::null AS BIGINT UNSIGNED)", "uint64");
    check("CAST(ts AS DATE)", "CAST(ts::timestamp[us] AS DATE)", "date32");
    check("CAST(b AS INT)", "CAST(b::bool AS INT)", "int32");

    check_err("CASE WHEN i32 THEN 1 END",
              "CASE WHEN condition at character 11 must be boolean, got int32");
    check_err("CASE WHEN b THEN 1 ELSE b END", "CASE at character 1 mixes int64 and bool");
    check_err("CASE i32 WHEN 'a' THEN 1 WHEN TRUE THEN 2 END", "CASE at character 1 mixes");
    check_err("CAST(l AS INT)", "cannot cast list<int32> to int32 at character 1");
    check_err("CAST(d AS DOUBLE)", "cannot cast date32 to float64 at character 1");
    check_err("b::date", "cannot cast bool to date32 at character 2");
}

static void test_functions(void **state)
{
    (void)state;
    check("length(s)", "length(s::utf8)::int32", "int32");
    check("char_length(ls)", "length(ls::large_utf8)::int64", "int64");
    check("octet_length(bin)", "octet_length(bin::binary)::int32", "int32");
    check("lower(ls)", "lower(ls::large_utf8)::large_utf8", "large_utf8");
    check("trim(s, 'x')", "trim(s::utf8, 'x'::utf8)::utf8", "utf8");
    check("upper(NULL)", "upper(NULL::utf8)::utf8", "utf8");
    check("substr(s, 1, 2)", "substr(s::utf8, 1::int64, 2::int64)::utf8", "utf8");
    check("substring(s FROM i32)", "substr(s::utf8, CAST(i32::int32 AS BIGINT))::utf8", "utf8");
    check("concat(s, i32, ls)",
          "concat(s::utf8, CAST(i32::int32 AS VARCHAR), CAST(ls::large_utf8 AS VARCHAR))::utf8",
          "utf8");
    check("replace(s, 'a', ls)",
          "replace(CAST(s::utf8 AS large_utf8), 'a'::large_utf8, ls::large_utf8)::large_utf8",
          "large_utf8");
    check("starts_with(s, 'a')", "starts_with(s::utf8, 'a'::utf8)::bool", "bool");
    check("regexp_like(s, '^a', 'i')", "regexp_like(s::utf8, '^a'::utf8, 'i'::utf8)::bool", "bool");
    check("regexp_match(s, '^a')", "regexp_match(s::utf8, '^a'::utf8)::list<utf8>", "list<utf8>");
    check("NOT regexp_match(s, '^a')", "(NOT regexp_like(s::utf8, '^a'::utf8)::bool)", "bool");
    check("abs(i32)", "abs(i32::int32)::int32", "int32");
    check("abs(u8)", "abs(u8::uint8)::uint8", "uint8");
    check("round(i32)", "round(CAST(i32::int32 AS DOUBLE))::float64", "float64");
    check("round(f32, 2)", "round(f32::float32, 2::int64)::float32", "float32");
    check("floor(f64) + ceil(h)",
          "(floor(f64::float64)::float64 + ceil(CAST(h::float16 AS DOUBLE))::float64)", "float64");
    check("sqrt(i64)", "sqrt(CAST(i64::int64 AS DOUBLE))::float64", "float64");
    check("ln(f32)", "ln(f32::float32)::float32", "float32");
    check("log(f32)", "log(f32::float32)::float32", "float32");
    check("log(2, f32)", "log(2.0::float64, CAST(f32::float32 AS DOUBLE))::float64", "float64");
    check("pow(i32, 2)", "pow(CAST(i32::int32 AS DOUBLE), 2.0::float64)::float64", "float64");
    check("coalesce(i32, 0)", "coalesce(CAST(i32::int32 AS BIGINT), 0::int64)::int64", "int64");
    check("coalesce(s, NULL, 'x')", "coalesce(s::utf8, NULL::utf8, 'x'::utf8)::utf8", "utf8");
    check("greatest(i32, f64, 1)",
          "greatest(CAST(i32::int32 AS DOUBLE), f64::float64, 1.0::float64)::float64", "float64");
    check("least(d, '2024-01-01')", "least(d::date32, DATE '2024-01-01'::date32)::date32",
          "date32");
    check("nullif(i32, 0)", "nullif(CAST(i32::int32 AS BIGINT), 0::int64)::int64", "int64");
    check("nullif(i32, '0')", "nullif(i32::int32, CAST('0'::utf8 AS INT))::int32", "int32");
    check("coalesce(s, 1)", "coalesce(CAST(s::utf8 AS BIGINT), 1::int64)::int64", "int64");
    check("array_length(l)", "array_length(l::list<int32>)::uint64", "uint64");
    check("array_has(l, 5)", "array_has(l::list<int32>, 5::int32)::bool", "bool");
    check("array_has(ls2, s)", "array_has(ls2::list<utf8>, s::utf8)::bool", "bool");
    check("array_has(l64, i32)", "array_has(l64::list<int64>, CAST(i32::int32 AS BIGINT))::bool",
          "bool");
    check("array_has_any(l, l)", "array_has_any(l::list<int32>, l::list<int32>)::bool", "bool");
    check("date_part('YEAR', d)", "date_part('year'::utf8, d::date32)::int32", "int32");
    check("EXTRACT(hour FROM ts)", "date_part('hour'::utf8, ts::timestamp[us])::int32", "int32");
    check("date_part('qtr', ts)", "date_part('quarter'::utf8, ts::timestamp[us])::int32", "int32");
    check("date_part('epoch', ts)", "date_part('epoch'::utf8, ts::timestamp[us])::float64",
          "float64");
    check("date_part('day', '2024-01-02')",
          "date_part('day'::utf8, TIMESTAMP '2024-01-02 00:00:00.000000'::timestamp[us])::int32",
          "int32");
    check("bin = X'616263'", "(bin::binary = X'616263'::binary)", "bool");
    check("X'00ff'", "X'00FF'::binary", "binary");
    check("NOT (s = X'61')", "(NOT (CAST(s::utf8 AS BYTEA) = X'61'::binary))", "bool");
    check_err("s = X'61'",
              "literal X'...' at character 5 does not convert to utf8, the type of 's'");
    check("concat(s, X'61')", "concat(s::utf8, CAST(X'61'::binary AS VARCHAR))::utf8", "utf8");
    check("CAST(ts AS TIMESTAMP(3))", "CAST(ts::timestamp[us] AS TIMESTAMP(3))", "timestamp[ms]");
    check("CAST(ts AS datetime(9))", "CAST(ts::timestamp[us] AS TIMESTAMP(9))", "timestamp[ns]");

    check_err("length(i32)",
              "function 'length' at character 1 expects a string as argument 1, got int32");
    check_err("substr(s, 1.5)",
              "function 'substr' at character 1 expects an integer as argument 2");
    check_err("trim(s, 1)", "function 'trim' at character 1 expects a string as argument 2");
    check_err("sqrt(s)", "function 'sqrt' at character 1 expects a number as argument 1, got utf8");
    check_err("abs(b)", "function 'abs' at character 1 expects a number as argument 1, got bool");
    check_err("concat(s, l)", "expects a value that converts to a string as argument 2");
    check_err("coalesce(i32, b)", "coalesce at character 1 mixes int32 and bool");
    check_err("array_length(s)", "function 'array_length' at character 1 expects a list");
    check_err("array_has(i32, 1)", "function 'array_has' at character 1 expects a list");
    check_err("array_has(l, st)", "expects int32 as argument 2");
    check_err("array_has_all(l, ls2)", "expects list<int32> as argument 2, got list<utf8>");
    check_err("date_part('nanosecond', ts)",
              "date part 'nanosecond' at character 11 is not supported");
    check_err("date_part('fortnight', d)", "unknown date part 'fortnight' at character 11");
    check_err("date_part(s, d)", "date_part at character 1 needs the part as a string literal");
    check_err("date_part('year', i32)", "expects a date or timestamp as argument 2, got int32");
}

/* An expression bound again to another schema is re-typed from its parsed form. */
static void test_rebind(void **state)
{
    (void)state;
    struct ArrowSchema s1, s2, s3;
    GNV_ASSERT_OK(gnv__type_from_string(&s1, "struct<x: int32>", ""));
    GNV_ASSERT_OK(gnv__type_from_string(&s2, "struct<y: utf8, X: int64>", ""));
    GNV_ASSERT_OK(gnv__type_from_string(&s3, "struct<y: utf8>", ""));
    check_on(&s1, "x > 5", "(x::int32 > 5::int32)", "bool");
    gnv_expr *e = NULL;
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "x > 5 AND x + 0 < 5000000000"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &s1));
    GNV_ASSERT_OK(gnv__expr_bind(e, &s2));
    assert_int_equal(gnv__expr_to_string(&b, e->root, true), GNV_OK);
    assert_string_equal(b.ptr,
                        "((x::int64 > 5::int64) AND ((x::int64 + 0::int64) < 5000000000::int64))");
    assert_int_equal(e->root->args[0]->args[0]->path[0], 1);
    const char *const *cols;
    int64_t n;
    GNV_ASSERT_OK(gnv__expr_columns(&cols, &n, e));
    assert_int_equal(n, 1);
    assert_string_equal(cols[0], "X");
    GNV_ASSERT_ERR(gnv__expr_bind(e, &s3), GNV_EINVAL, "no column named 'x'");
    assert_false(e->bound);
    GNV_ASSERT_OK(gnv__expr_bind(e, &s1));
    gnv_buf_dispose(&b);
    assert_int_equal(gnv__expr_to_string(&b, e->root, true), GNV_OK);
    assert_string_equal(b.ptr,
                        "((x::int32 > 5::int32) AND ((CAST(x::int32 AS BIGINT) + 0::int64) < "
                        "5000000000::int64))");
    gnv_buf_dispose(&b);
    gnv__expr_free(e);
    gnv__schema_release(&s1);
    gnv__schema_release(&s2);
    gnv__schema_release(&s3);
}

/* A tree built by hand (no parsed copy) is bound in place. */
static void test_hand_built(void **state)
{
    (void)state;
    struct ArrowSchema s1;
    GNV_ASSERT_OK(gnv__type_from_string(&s1, "struct<x: int32>", ""));
    gnv_expr *e = gnv__calloc(1, sizeof *e);
    gnv_expr_node *add = gnv__calloc(1, sizeof *add), *col = gnv__calloc(1, sizeof *col),
                  *lit = gnv__calloc(1, sizeof *lit);
    assert_true(e && add && col && lit);
    col->op = GNV_EX_COLUMN;
    col->names = gnv__calloc(1, sizeof *col->names);
    col->names[0] = gnv__strdup("x");
    col->n_names = 1;
    lit->op = GNV_EX_LITERAL;
    lit->lit.kind = GNV_LIT_INT;
    lit->lit.i = 1;
    add->op = GNV_EX_ADD;
    add->args = gnv__calloc(2, sizeof *add->args);
    add->args[0] = col;
    add->args[1] = lit;
    add->n_args = 2;
    e->root = add;
    GNV_ASSERT_OK(gnv__expr_bind(e, &s1));
    assert_true(e->bound);
    gnv_buf b = GNV_BUF_INIT;
    assert_int_equal(gnv__expr_to_string(&b, e->root, true), GNV_OK);
    assert_string_equal(b.ptr, "(x::int32 + 1::int32)");
    const char *const *cols;
    int64_t n;
    GNV_ASSERT_OK(gnv__expr_columns(&cols, &n, e));
    assert_int_equal(n, 1);
    assert_string_equal(cols[0], "x");
    gnv_buf_dispose(&b);
    gnv__expr_free(e);
    gnv__schema_release(&s1);
}

static void test_null_alone(void **state)
{
    (void)state;
    check("NULL", "NULL::null", "null");
    check("NULL IS NULL", "(NULL::null IS NULL)", "bool");
}

static int bind_body(void *arg)
{
    gnv_expr *e = NULL;
    int rc = gnv__expr_parse(&e, (const char *)arg);
    if (rc == GNV_OK)
        rc = gnv__expr_bind(e, &schema);
    if (rc == GNV_OK)
        rc = gnv__expr_bind(e, &schema);
    gnv__expr_free(e);
    return rc;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    gnv_test_faultsim(
        bind_body,
        "CASE WHEN lower(name) LIKE 'x%' THEN CAST(i32 AS BIGINT) ELSE -i8 END IN "
        "(1, 2) AND d BETWEEN DATE '2024-01-01' AND ts OR concat(s, i32, ls) IS NOT NULL "
        "OR coalesce(st.inner.z, u8, 1) > 0.5 OR array_has(l, 3)");
}

/* Array literals, indexing, list functions, the new string and math functions, shifts
 * and the unwrapped integer cast in comparisons. */
static void test_lists_and_more(void **state)
{
    (void)state;
    check("[1, 2]", "make_array(1::int64, 2::int64)::list<int64>", "list<int64>");
    check("make_array(i8, i16)", "make_array(CAST(i8::int8 AS SMALLINT), i16::int16)::list<int16>",
          "list<int16>");
    check("[]", "make_array()::list<null>", "list<null>");
    check("l[1]", "array_element(l::list<int32>, 1::int64)::int32", "int32");
    check("ls2[2]", "array_element(ls2::list<utf8>, 2::int64)::utf8", "utf8");
    check("array_has_any(l, [1, 2])",
          "array_has_any(l::list<int32>, make_array(1::int32, 2::int32)::list<int32>)::bool",
          "bool");
    check("array_has_all(l, [])", "array_has_all(l::list<int32>, make_array()::list<int32>)::bool",
          "bool");
    check("array_position(l, 7)", "array_position(l::list<int32>, 7::int32)::uint64", "uint64");
    check("cardinality(l)", "array_length(l::list<int32>)::uint64", "uint64");
    check("strpos(s, 'b')", "strpos(s::utf8, 'b'::utf8)::int32", "int32");
    check("strpos(ls, 'b')", "strpos(ls::large_utf8, 'b'::large_utf8)::int64", "int64");
    check("left(s, 2)", "left(s::utf8, 2::int64)::utf8", "utf8");
    check("lpad(ls, 4, '.')", "lpad(ls::large_utf8, 4::int64, '.'::large_utf8)::large_utf8",
          "large_utf8");
    check("split_part(s, '_', 1)", "split_part(s::utf8, '_'::utf8, 1::int64)::utf8", "utf8");
    check("md5(s)", "md5(s::utf8)::utf8", "utf8");
    check("ascii(s)", "ascii(s::utf8)::int32", "int32");
    check("log10(i64)", "log10(CAST(i64::int64 AS DOUBLE))::float64", "float64");
    check("exp(f32)", "exp(f32::float32)::float32", "float32");
    check("isnan(f64)", "isnan(f64::float64)::bool", "bool");
    check("pi()", "pi()::float64", "float64");
    check("i64 << 2", "(i64::int64 << 2::int64)", "int64");
    check("i8 >> 1", "(i8::int8 >> 1::int8)", "int8");
    /* DataFusion's unwrap of an integer cast compared with a literal that fits */
    check("CAST(i64 AS INT) > 0", "(i64::int64 > 0::int64)", "bool");
    check("CAST(u8 AS TINYINT) < 0", NULL, "bool");
    check("CAST(i64 AS INT) > 3000000000",
          "(CAST(CAST(i64::int64 AS INT) AS BIGINT) > 3000000000::int64)", "bool");
    check("TRY_CAST(i64 AS INT) > 0", "(TRY_CAST(i64::int64 AS INT) > 0::int32)", "bool");
    check_err("i32[1]", "expects a list as argument 1");
    check_err("l['x' || s]", "expects an integer as argument 2");
    check("array_append(l, 1)", NULL, "list<int64>");
    check("array_concat(l, [1])", NULL, "list<int32>");
    check("array_max(ls2)", NULL, "utf8");
    check("array_to_string(l, ',')", NULL, "utf8");
    check("CAST(l AS STRING)", NULL, "utf8");
    check("l = [7]", "(l::list<int32> = make_array(7::int32)::list<int32>)", "bool");
    check("date_trunc('month', tsn)", NULL, "timestamp[ns]");
    check("to_timestamp(i64)", NULL, "timestamp[ns]");
    check("now()", NULL, "timestamp[us]");
    check("current_date", NULL, "date32");
    check("arrow_cast(i64, 'Int8') = 5", "(i64::int64 = 5::int64)", "bool");
    check_err("l < [7]", "can only be compared with = and <>");
    check_err("f64 << 1", "cannot apply '<<' to float64");
    check_err("array_position(l, st)", "argument 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),     cmocka_unit_test(test_lists_and_more),
        cmocka_unit_test(test_comparisons), cmocka_unit_test(test_in_between),
        cmocka_unit_test(test_arithmetic),  cmocka_unit_test(test_logic_strings),
        cmocka_unit_test(test_case_cast),   cmocka_unit_test(test_functions),
        cmocka_unit_test(test_rebind),      cmocka_unit_test(test_hand_built),
        cmocka_unit_test(test_null_alone),  cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
