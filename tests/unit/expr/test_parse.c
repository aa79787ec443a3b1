/* Parsing SQL expressions: the tree (printed fully parenthesised), precedence,
 * literals and escapes, identifiers, the column list, and every class of error. */
#include "gnv_test.h"

#include <string.h>

#include "expr/expr_tree.h"

/* Parse text and compare its printed tree with `expect`; the printed form must parse
 * back to the same tree. */
static void check(const char *text, const char *expect)
{
    gnv_expr *e = NULL, *e2 = NULL;
    gnv_buf b = GNV_BUF_INIT, b2 = GNV_BUF_INIT;
    int rc = gnv__expr_parse(&e, text);
    if (rc != GNV_OK)
        fail_msg("'%s': %s", text, gnv_error_last()->message);
    assert_int_equal(gnv__expr_to_string(&b, e->root, false), GNV_OK);
    if (strcmp(b.ptr, expect) != 0)
        fail_msg("'%s' parsed as '%s', expected '%s'", text, b.ptr, expect);
    rc = gnv__expr_parse(&e2, b.ptr);
    if (rc != GNV_OK)
        fail_msg("printed '%s' does not parse: %s", b.ptr, gnv_error_last()->message);
    assert_int_equal(gnv__expr_to_string(&b2, e2->root, false), GNV_OK);
    assert_string_equal(b2.ptr, b.ptr);
    assert_string_equal(gnv__expr_text(e), text);
    gnv_buf_dispose(&b);
    gnv_buf_dispose(&b2);
    gnv__expr_free(e);
    gnv__expr_free(e2);
}

static void check_err(const char *text, const char *needle)
{
    gnv_expr *e = (gnv_expr *)1;
    GNV_ASSERT_ERR(gnv__expr_parse(&e, text), GNV_EINVAL, needle);
    assert_null(e);
    assert_int_equal(gnv_error_last()->subsystem, GNV_SUB_EXPR);
}

static void test_precedence(void **state)
{
    (void)state;
    check("a + b * c", "(a + (b * c))");
    check("a * b + c", "((a * b) + c)");
    check("a - b - c", "((a - b) - c)");
    check("a / b % c", "((a / b) % c)");
    check("(a + b) * c", "((a + b) * c)");
    check("a OR b AND c", "(a OR (b AND c))");
    check("a AND b OR c AND d", "((a AND b) OR (c AND d))");
    check("NOT a = b", "(NOT (a = b))");
    check("NOT a AND b", "((NOT a) AND b)");
    check("NOT NOT a", "(NOT (NOT a))");
    check("a = 1 OR b IS NULL", "((a = 1) OR (b IS NULL))");
    check("a = b IS NULL", "((a = b) IS NULL)");
    check("-a * b", "((- a) * b)");
    check("-x::int", "(- CAST(x AS INT))");
    check("a || b + c", "(a || (b + c))");
    check("a || b = c", "((a || b) = c)");
    check("a < b = c", "((a < b) = c)");
    check("a BETWEEN 1 AND 2 AND b", "((a BETWEEN 1 AND 2) AND b)");
    check("a NOT BETWEEN 1 + 1 AND 5", "(a NOT BETWEEN (1 + 1) AND 5)");
    check("a + 1 IN (1, 2) AND b", "(((a + 1) IN (1, 2)) AND b)");
    check("a LIKE 'x' OR b", "((a LIKE 'x') OR b)");
    check("x::bigint + 1", "(CAST(x AS BIGINT) + 1)");
    check("a -- a comment\n + 1", "(a + 1)");
}

static void test_operators(void **state)
{
    (void)state;
    check("a != b", "(a != b)");
    check("a <> b", "(a != b)");
    check("a == b", "(a = b)");
    check("a <= b AND a >= c", "((a <= b) AND (a >= c))");
    check("x IN (1, 2, 3)", "(x IN (1, 2, 3))");
    check("x NOT IN ('a')", "(x NOT IN ('a'))");
    check("name LIKE 'a%'", "(name LIKE 'a%')");
    check("name NOT ILIKE 'A%' ESCAPE '!'", "(name NOT ILIKE 'A%' ESCAPE '!')");
    check("b IS TRUE", "(b IS TRUE)");
    check("b IS NOT FALSE", "(b IS NOT FALSE)");
    check("b IS NOT NULL", "(b IS NOT NULL)");
    check("b IS UNKNOWN", "(b IS NULL)");
    check("CASE WHEN a THEN 1 ELSE 2 END", "(CASE WHEN a THEN 1 ELSE 2 END)");
    check("CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' END",
          "(CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' END)");
    check("CAST(x AS BIGINT)", "CAST(x AS BIGINT)");
    check("TRY_CAST(x AS DOUBLE PRECISION)", "TRY_CAST(x AS DOUBLE)");
    check("x::varchar", "CAST(x AS VARCHAR)");
    check("CAST(x AS VARCHAR(20))", "CAST(x AS VARCHAR)");
    check("CAST(x AS INT UNSIGNED)", "CAST(x AS INT UNSIGNED)");
    check("CAST(x AS tinyint)", "CAST(x AS TINYINT)");
    check("CAST(x AS smallint unsigned)", "CAST(x AS SMALLINT UNSIGNED)");
    check("CAST(x AS real)", "CAST(x AS REAL)");
    check("CAST(x AS float)", "CAST(x AS REAL)");
    check("CAST(x AS string)", "CAST(x AS VARCHAR)");
    check("CAST(x AS text)", "CAST(x AS VARCHAR)");
    check("CAST(x AS boolean)", "CAST(x AS BOOLEAN)");
    check("CAST(x AS date)", "CAST(x AS DATE)");
    check("CAST(x AS timestamp)", "CAST(x AS TIMESTAMP)");
    check("CAST(x AS integer)", "CAST(x AS INT)");
}

static void test_functions(void **state)
{
    (void)state;
    check("EXTRACT(year FROM d)", "date_part('year', d)");
    check("extract(MONTH from d)", "date_part('month', d)");
    check("SUBSTRING(s FROM 2 FOR 3)", "substr(s, 2, 3)");
    check("substring(s from 2)", "substr(s, 2)");
    check("substring(s, 1, 2)", "substr(s, 1, 2)");
    check("char_length(s)", "length(s)");
    check("CHARACTER_LENGTH(s)", "length(s)");
    check("power(a, 2)", "pow(a, 2)");
    check("TRIM(s)", "trim(s)");
    check("TRIM(BOTH FROM s)", "trim(s)");
    check("TRIM(LEADING 'x' FROM s)", "ltrim(s, 'x')");
    check("trim(trailing from s)", "rtrim(s)");
    check("TRIM('xy' FROM lower(s))", "trim(lower(s), 'xy')");
    check("TRIM(s, 'x')", "trim(s, 'x')");
    check("TRIM(FROM s)", "trim(s)");
    check("TRIM(substring(s FROM 2) FROM t)", "trim(t, substr(s, 2))");
    check("LOWER(s) = 'x'", "(lower(s) = 'x')");
    check("concat(a, 'b', 1)", "concat(a, 'b', 1)");
    check("coalesce(a, b, 0)", "coalesce(a, b, 0)");
    check("regexp_like(s, '^a')", "regexp_like(s, '^a')");
    check("regexp_match(s, '^a')", "regexp_match(s, '^a')");
    check("array_contains(tags, 'x')", "array_has(tags, 'x')");
    check("\"lower\"(s)", "lower(s)");
    check("log(2, x) + ln(x) + sqrt(x)", "((log(2, x) + ln(x)) + sqrt(x))");
    check("instr(s, 'b')", "strpos(s, 'b')");
    check("cardinality(l)", "array_length(l)");
    check("array_extract(l, 1)", "array_element(l, 1)");
    check("lpad(s, 3, '*') || reverse(s)", "(lpad(s, 3, '*') || reverse(s))");
    check("pi()", "pi()");
}

/* Array literals, indexing and the shifts. */
static void test_lists_and_shifts(void **state)
{
    (void)state;
    check("[1, 2, 3]", "make_array(1, 2, 3)");
    check("[]", "make_array()");
    check("[[1], [2, 3]]", "make_array(make_array(1), make_array(2, 3))");
    check("l[1]", "array_element(l, 1)");
    check("l[1] = 7", "(array_element(l, 1) = 7)");
    check("l[1] + 1", "(array_element(l, 1) + 1)");
    check("-l[1]", "(- array_element(l, 1))");
    check("l[i + 1][2]", "array_element(array_element(l, (i + 1)), 2)");
    check("st.l[1]", "array_element(st.l, 1)");
    check("st['a'][1]", "array_element(st.a, 1)");
    check("lower(s)[1]", "array_element(lower(s), 1)");
    check("l[1]::int", "CAST(array_element(l, 1) AS INT)");
    check("array_has_any(l, [1, 2])", "array_has_any(l, make_array(1, 2))");
    check("id << 1 = 4", "((id << 1) = 4)");
    check("id >> 1 + 1", "(id >> (1 + 1))");
    check("a || b << 2", "(a || (b << 2))");
    check_err("[1, 2", "expected ']'");
    check_err("l[1", "expected ']'");
    check_err("l[]", "expected an expression");
    check_err("id & 1", "unexpected character '&'");
    check("arrow_cast(id, 'Int8') = 5", "(CAST(id AS TINYINT) = 5)");
    check("get_field(st, 'a') > 0", "(st.a > 0)");
    check("now() > current_date", "(now() > current_date())");
    check("current_timestamp", "now()");
    check("array_join(l, ',')", "array_to_string(l, ',')");
    check_err("arrow_cast(id, 'Int128')", "unknown or unsupported Arrow type 'Int128'");
    check_err("arrow_cast(id, Int8)", "an Arrow type name string");
    check_err("get_field(lower(s), 'a')", "get_field at character 1 needs a (struct) column");
}

static void test_literals(void **state)
{
    (void)state;
    check("1e5", "100000.0");
    check(".5", "0.5");
    check("1.5e-3", "0.0015");
    check("2.", "2.0");
    check("-5", "-5");
    check("- 9223372036854775808", "-9223372036854775808");
    check("9223372036854775807", "9223372036854775807");
    check("18446744073709551615", "18446744073709551615");
    check("99999999999999999999", "1e+20");
    check("-(5)", "-5");
    check("'it''s'", "'it''s'");
    check("''", "''");
    check("E'a\\nb\\t\\\\c\\'d'", "E'a\\nb\\t\\\\c''d'");
    check("e'x'", "'x'");
    check("'caf\xc3\xa9'", "'caf\xc3\xa9'");
    check("TRUE AND false", "(TRUE AND FALSE)");
    check("NULL", "NULL");
    check("DATE '2024-01-02'", "DATE '2024-01-02'");
    check("date '1969-12-31'", "DATE '1969-12-31'");
    check("TIMESTAMP '2024-01-02 03:04:05.5'", "TIMESTAMP '2024-01-02 03:04:05.500000'");
    check("TIMESTAMP '2024-01-02'", "TIMESTAMP '2024-01-02 00:00:00.000000'");
    check("TIMESTAMP '1969-12-31 23:59:59.999999'", "TIMESTAMP '1969-12-31 23:59:59.999999'");
    check("DATE '2024-1-2'", "DATE '2024-01-02'");
    check("X'00ff' = X''", "(X'00FF' = X'')");
    check("CAST(x AS TIMESTAMP(0))", "CAST(x AS TIMESTAMP(0))");
    check("CAST(x AS TIMESTAMP(9))", "CAST(x AS TIMESTAMP(9))");
    check("CAST(x AS TIMESTAMP(6))", "CAST(x AS TIMESTAMP)");

    /* the values behind the text */
    gnv_expr *e = NULL;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "E'a\\0b'"));
    assert_int_equal(e->root->lit.kind, GNV_LIT_STRING);
    assert_int_equal(e->root->lit.n, 3);
    assert_memory_equal(e->root->lit.s, "a\0b", 3);
    gnv__expr_free(e);
    GNV_ASSERT_OK(gnv__expr_parse(&e, "DATE '1970-01-11'"));
    assert_int_equal(e->root->lit.kind, GNV_LIT_DATE);
    assert_int_equal(e->root->lit.i, 10);
    gnv__expr_free(e);
    GNV_ASSERT_OK(gnv__expr_parse(&e, "TIMESTAMP '1970-01-01 00:00:01.25'"));
    assert_int_equal(e->root->lit.kind, GNV_LIT_TIMESTAMP);
    assert_int_equal(e->root->lit.i, 1250000);
    gnv__expr_free(e);
    GNV_ASSERT_OK(gnv__expr_parse(&e, "18446744073709551615"));
    assert_int_equal(e->root->lit.kind, GNV_LIT_UINT);
    assert_true(e->root->lit.u == UINT64_MAX);
    gnv__expr_free(e);
    GNV_ASSERT_OK(gnv__expr_parse(&e, "-9223372036854775808"));
    assert_int_equal(e->root->lit.kind, GNV_LIT_INT);
    assert_true(e->root->lit.i == INT64_MIN);
    gnv__expr_free(e);
}

static void test_identifiers(void **state)
{
    (void)state;
    check("Foo", "foo");
    check("\"Foo\"", "\"Foo\"");
    check("`Foo Bar`", "\"Foo Bar\"");
    check("a.b", "a.b");
    check("a.\"B\".c", "a.\"B\".c");
    check("A.B", "a.b");
    check("a['B']", "a.\"B\"");
    check("a['b']['c'].d", "a.b.c.d");
    check("_rowid = 5", "(_rowid = 5)");
    check("_rowaddr > 1", "(_rowaddr > 1)");
    check("\"a\"\"b\"", "\"a\"\"b\"");
    check("\"select\"", "select");
    check("\"and\"", "\"and\"");
    check("date", "date");
    check("timestamp > 1", "(timestamp > 1)");
    check("caf\xc3\xa9", "caf\xc3\xa9");

    gnv_expr *e = NULL;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "b + A + b + c.d > 1 AND \"B\" IS NULL"));
    const char *const *cols;
    int64_t n;
    GNV_ASSERT_OK(gnv__expr_columns(&cols, &n, e));
    assert_int_equal(n, 4);
    assert_string_equal(cols[0], "b");
    assert_string_equal(cols[1], "a");
    assert_string_equal(cols[2], "c");
    assert_string_equal(cols[3], "B");
    assert_int_equal(e->root->args[0]->args[0]->args[0]->args[0]->args[0]->n_names, 1);
    gnv__expr_free(e);

    GNV_ASSERT_OK(gnv__expr_parse(&e, "1 = 1"));
    GNV_ASSERT_OK(gnv__expr_columns(&cols, &n, e));
    assert_int_equal(n, 0);
    gnv__expr_free(e);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    check_err("(a + 1", "expected ')' at character 7, found end of expression");
    check_err("(a = 1 b", "expected ')' at character 8, found 'b'");
    check_err("(a = 1 AND b", "expected ')' at character 13, found end of expression");
    check_err("lower(a AND", "expected an expression at character 12");
    check_err("lower(a, b", "expected ')' at character 11, found end of expression");
    check_err("a = = b", "expected an expression at character 5, found '='");
    check_err("a b", "expected an operator or the end of the expression at character 3, found 'b'");
    check_err("a AND", "expected an expression at character 6, found end of expression");
    check_err("AND a", "expected an expression at character 1, found 'AND'");
    check_err("", "empty expression");
    check_err("   ", "empty expression");
    check_err("-- nothing", "empty expression");
    check_err("x = 'abc", "unterminated string starting at character 5");
    check_err("x = E'abc\\'", "unterminated string starting at character 6");
    check_err("\"abc", "unterminated quoted identifier starting at character 1");
    check_err("`abc", "unterminated quoted identifier starting at character 1");
    check_err("\"\" = 1", "empty quoted identifier at character 1");
    check_err("x IN ()", "expected a value at character 7, found ')'");
    check_err("x IN 1", "expected '(' at character 6");
    check_err("1x", "malformed number at character 1");
    check_err("a # b", "unexpected character '#' at character 3");
    check_err("a = '\xc3\xa9' ~ b", "unexpected character '~' at character 9");
    check_err("'\xc3\xa9' = (", "expected an expression at character 8, found end of expression");
    check_err("a IS 5", "expected NULL, TRUE or FALSE at character 6, found '5'");
    check_err("a IS DISTINCT FROM b", "IS [NOT] DISTINCT FROM at character 3 is not supported");
    check_err("CASE a END", "expected WHEN at character 8, found 'END'");
    check_err("CASE WHEN a THEN 1", "expected END at character 19, found end of expression");
    check_err("CASE WHEN a 1 END", "expected THEN at character 13");
    check_err("a BETWEEN 1 OR 2", "expected AND at character 13, found 'OR'");
    check_err("CAST(x INT)", "expected AS at character 8, found 'INT'");
    check_err("st[''] LIKE 'a%'", "bad field name at character 4");
    check_err("a[E'x\\0']", "bad field name at character 3");
    check_err("a[1, 2]", "expected ']'");
    check_err("x = [1 2]", "expected ']'");
    check_err("x IN (SELECT 1)", "subqueries (at character 7) are not supported");
    check_err("a.", "expected a field name at character 3, found end of expression");
    check_err("a.5",
              "expected an operator or the end of the expression at character 2, found '.5'");
    check_err("x = 'a very long string literal indeed' AND", "found end of expression");
    check_err("(a AND 'a very long string literal indeed' b)", "found 'b'");
    check_err("(a AND b c_very_long_identifier_name_here_that_goes_on)",
              "found 'c_very_long_identifier_n...'");
    check_err("x = INTERVAL '1 day'", "INTERVAL at character 5 is not supported");
    check_err("\xff", "not valid UTF-8");
    check_err("a = 'x\xc3'", "not valid UTF-8");
    check_err("1e999", "number out of range at character 1");
    check_err("s = 'a' 'bc'",
              "expected an operator or the end of the expression at character 9, found ''bc''");
    check_err("id < +5", "unary '+' at character 6 is not supported");
    check_err("X'abc'", "invalid binary string at character 1 (X'...' needs pairs");
    check_err("X'zz'", "invalid binary string at character 1");
    check_err("X'00", "unterminated binary string starting at character 2");
    check_err("DATE '2024-1-32'", "invalid DATE literal '2024-1-32'");
    check_err("DATE '+2024-1-1'", "invalid DATE literal");
    check_err("CAST(x AS TIMESTAMP(2))",
              "timestamp precision at character 21 must be 0, 3, 6 or 9");
}

static void test_type_errors(void **state)
{
    (void)state;
    check_err("CAST(x AS DECIMAL)", "DECIMAL at character 11 needs a precision and a scale");
    check_err("x::numeric", "needs a precision and a scale");
    check_err("CAST(x AS foo)", "unknown type 'foo' at character 11");
    check_err("CAST(x AS interval)", "type interval at character 11 is not supported");
    check_err("x::", "expected a type name at character 4, found end of expression");
    check_err("DATE '2024-13-01'", "invalid DATE literal '2024-13-01' at character 6");
    check_err("TIMESTAMP 'noon'", "invalid TIMESTAMP literal 'noon'");
}

static void test_function_errors(void **state)
{
    (void)state;
    check_err("lenght(s)", "unknown function 'lenght' (did you mean 'length'?) at character 1");
    check_err("x > uper(s)", "unknown function 'uper' (did you mean 'upper'?) at character 5");
    check_err("startswith(s, 'a')", "(did you mean 'starts_with'?)");
    check_err("frobnicate(s)", "unknown function 'frobnicate' at character 1");
    gnv_expr *e = NULL;
    assert_int_equal(gnv__expr_parse(&e, "frobnicate(s)"), GNV_EINVAL);
    assert_null(strstr(gnv_error_last()->message, "did you mean"));
    check_err("count(*)", "unknown function 'count'");
    check_err("substr(s)", "function 'substr' at character 1 takes 2 to 3 arguments, got 1");
    check_err("lower(a, b)", "function 'lower' at character 1 takes 1 argument, got 2");
    check_err("coalesce()", "function 'coalesce' at character 1 takes at least 1 argument, got 0");
    check_err("replace(a)", "takes 3 arguments, got 1");
    check_err("TRIM(LEADING 'x' s)", "expected FROM at character 18, found 's'");
    check_err("TRIM(LEADING 'x' FROM)", "expected an expression at character 22");
    check_err("EXTRACT(FROM d)", "expected FROM at character 14");
    check_err("EXTRACT(year d)", "expected FROM at character 14, found 'd'");
    check_err("EXTRACT(1 FROM d)", "expected a date part such as YEAR at character 9");
}

/* Deep nesting is a clean error, never a stack overflow. */
static void test_depth(void **state)
{
    (void)state;
    char *buf = malloc(100000);
    assert_non_null(buf);
    const char *units[] = {"(", "NOT ", "- ", "lower(", "CASE WHEN "};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t len = strlen(units[u]), pos = 0;
        for (int i = 0; i < 5000; i++, pos += len)
            memcpy(buf + pos, units[u], len);
        strcpy(buf + pos, "x");
        check_err(buf, "expression nests too deeply (more than 256 levels)");
    }
    /* long left-associative chains make deep trees without deep recursion */
    strcpy(buf, "x");
    for (int i = 0; i < 2000; i++)
        strcat(buf, "+1");
    check_err(buf, "expression nests too deeply");
    strcpy(buf, "x");
    for (int i = 0; i < 2000; i++)
        strcat(buf, "::int");
    check_err(buf, "expression nests too deeply");

    /* 100 levels are fine; so are wide lists */
    buf[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(buf, "(");
    strcat(buf, "x");
    for (int i = 0; i < 100; i++)
        strcat(buf, ")");
    gnv_expr *e = NULL;
    GNV_ASSERT_OK(gnv__expr_parse(&e, buf));
    gnv__expr_free(e);
    strcpy(buf, "x IN (0");
    for (int i = 1; i < 5000; i++)
        snprintf(buf + strlen(buf), 16, ", %d", i);
    strcat(buf, ")");
    GNV_ASSERT_OK(gnv__expr_parse(&e, buf));
    assert_int_equal(e->root->n_args, 5001);
    gnv__expr_free(e);
    strcpy(buf, "x = 0");
    for (int i = 1; i < 300; i++)
        strcat(buf, " OR (x = 1)");
    check_err(buf, "nests too deeply");
    free(buf);
}

static void test_positions(void **state)
{
    (void)state;
    gnv_expr *e = NULL;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "'\xc3\xa9' = abc"));
    assert_int_equal(e->root->pos, 4);          /* '=' is the 5th character */
    assert_int_equal(e->root->args[1]->pos, 6); /* abc */
    gnv__expr_free(e);
    GNV_ASSERT_OK(gnv__expr_parse(&e, "  -5"));
    assert_int_equal(e->root->pos, 2);
    gnv__expr_free(e);
}

static int parse_body(void *arg)
{
    gnv_expr *e = NULL;
    int rc = gnv__expr_parse(&e, (const char *)arg);
    gnv__expr_free(e);
    return rc;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    gnv_test_faultsim(parse_body,
                      "CASE WHEN lower(\"A\".b) LIKE 'x%' THEN CAST(c AS INT) ELSE -d END IN (1, "
                      "2) AND e BETWEEN DATE '2024-01-01' AND 3 OR substring(s FROM 1 FOR 2) "
                      "IS NOT NULL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),     cmocka_unit_test(test_operators),
        cmocka_unit_test(test_functions),      cmocka_unit_test(test_literals),
        cmocka_unit_test(test_identifiers),    cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_type_errors),    cmocka_unit_test(test_function_errors),
        cmocka_unit_test(test_depth),          cmocka_unit_test(test_positions),
        cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_lists_and_shifts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
