/* The expression evaluator: expressions are parsed, bound to the schema of a small batch
 * read from JSON Lines, evaluated, and the result rendered as a JSON array. */
#include "gnv_test.h"

#include <math.h>

#include "arrow/arrow.h"
#include "expr/expr_kernel.h"

/* rows: 1..5 (row 3 is all NULL) */
static const char *DATA =
    "{\"i\":1,\"l\":10,\"d\":1.5,\"s\":\"apple\",\"b\":true,\"dt\":\"2024-03-15\","
    "\"ts\":\"2024-03-15T10:20:30.123\",\"li\":[1,2,3],\"st\":{\"x\":1,\"y\":\"a\"},\"u8\":200,"
    "\"f32\":0.5,\"u64\":5,\"sl\":[\"a\",\"b\"]}\n"
    "{\"i\":2,\"l\":-20,\"d\":-2.0,\"s\":\"Banana\",\"b\":false,\"dt\":\"1969-12-31\","
    "\"ts\":\"1970-01-01T00:00:00\",\"li\":[],\"st\":{\"x\":null,\"y\":\"b\"},\"u8\":0,"
    "\"f32\":-1.25,\"u64\":6,\"sl\":[]}\n"
    "{\"i\":null,\"l\":null,\"d\":null,\"s\":null,\"b\":null,\"dt\":null,\"ts\":null,\"li\":null,"
    "\"st\":null,\"u8\":null,\"f32\":null,\"u64\":null,\"sl\":null}\n"
    "{\"i\":-4,\"l\":9223372036854775807,\"d\":0.25,\"s\":\"h\xc3\xa9llo w\xc3\xb6rld\","
    "\"b\":true,\"dt\":\"2000-02-29\",\"ts\":\"1999-12-31T23:59:59.999\",\"li\":[null,4],"
    "\"st\":{\"x\":3,\"y\":null},\"u8\":255,\"f32\":3.0,\"u64\":7,\"sl\":[\"c\",null]}\n"
    "{\"i\":2147483647,\"l\":-9223372036854775807,\"d\":100.0,\"s\":\"\",\"b\":false,"
    "\"dt\":\"2024-01-01\",\"ts\":\"2024-01-01T00:00:00\",\"li\":[5],\"st\":{\"x\":-1,\"y\":\"z\"},"
    "\"u8\":1,\"f32\":2.5,\"u64\":0,\"sl\":[\"b\"]}\n";
static const char *TYPES = "i:int32,l:int64,d:float64,s:utf8,b:bool,dt:date32,ts:timestamp[ms],"
                           "li:list<int64>,u8:uint8,f32:float32,u64:uint64,sl:list<utf8>";

static struct ArrowSchema g_schema;
static struct ArrowArray g_batch;

static void
load(struct ArrowSchema *schema, struct ArrowArray *batch, const char *text, const char *types)
{
    struct ArrowArrayStream s;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.types = types;
    GNV_ASSERT_OK(gnv__jsonl_open_memory(&s, text, strlen(text), "data.jsonl", &o));
    GNV_ASSERT_OK(gnv__stream_get_schema(&s, schema));
    GNV_ASSERT_OK(gnv__stream_next(&s, batch));
    gnv__stream_release(&s);
}

static int setup(void **state)
{
    (void)state;
    load(&g_schema, &g_batch, DATA, TYPES);
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

/* Evaluate text over (schema, batch): the rendered result, or NULL with the error kept. */
static char *eval_on(const char *text,
                     const struct ArrowSchema *schema,
                     const struct ArrowArray *batch,
                     int *rc_out)
{
    gnv_expr *e = NULL;
    struct ArrowArray out;
    struct ArrowSchema rs;
    char *r = NULL;
    int rc = gnv__expr_parse(&e, text);
    if (rc == GNV_OK)
        rc = gnv__expr_bind(e, schema);
    if (rc == GNV_OK)
        rc = gnv__expr_eval(&out, e, schema, batch);
    if (rc == GNV_OK) {
        assert_int_equal(out.length, batch->length);
        GNV_ASSERT_OK(gnv__expr_result_schema(&rs, e, "r"));
        r = render(&rs, &out);
        gnv__schema_release(&rs);
        gnv__array_release(&out);
    }
    gnv__expr_free(e);
    if (rc_out)
        *rc_out = rc;
    return r;
}

static void check_on(const char *text,
                     const char *want,
                     const struct ArrowSchema *schema,
                     const struct ArrowArray *batch)
{
    int rc;
    char *got = eval_on(text, schema, batch, &rc);
    if (!got) {
        const gnv_error *e = gnv_error_last();
        fail_msg("%s: failed (%d): %s", text, rc, e ? e->message : "?");
    }
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  got  %s\n  want %s", text, got, want);
    gnv__free(got);
}

#define CHECK(text, want) check_on((text), (want), &g_schema, &g_batch)

static void check_err(const char *text, int code, const char *needle)
{
    int rc;
    char *got = eval_on(text, &g_schema, &g_batch, &rc);
    if (got)
        fail_msg("%s: expected an error, got %s", text, got);
    const gnv_error *e = gnv_error_last();
    if (rc != code)
        fail_msg("%s: returned %d, expected %d (%s)", text, rc, code, e ? e->message : "?");
    if (!gnv_test_has(e->message, needle))
        fail_msg("%s: message lacks '%s': %s", text, needle, e->message);
}

/* ---- tests -------------------------------------------------------------- */

static void test_columns_literals(void **state)
{
    (void)state;
    CHECK("i", "[1,2,null,-4,2147483647]");
    CHECK("s", "[\"apple\",\"Banana\",null,\"h\xc3\xa9llo w\xc3\xb6rld\",\"\"]");
    CHECK("42", "[42,42,42,42,42]");
    CHECK("'x'", "[\"x\",\"x\",\"x\",\"x\",\"x\"]");
    CHECK("NULL", "[null,null,null,null,null]");
    CHECK("st.x", "[1,null,null,3,-1]");
    CHECK("st.y", "[\"a\",\"b\",null,null,\"z\"]");
}

static void test_arith(void **state)
{
    (void)state;
    CHECK("CAST(i AS BIGINT) + 1", "[2,3,null,-3,2147483648]");
    CHECK("l - 1", "[9,-21,null,9223372036854775806,-9223372036854775808]");
    CHECK("i * CAST(2 AS BIGINT)", "[2,4,null,-8,4294967294]");
    CHECK("i / 2", "[0,1,null,-2,1073741823]");
    CHECK("i % 3", "[1,2,null,-1,1]");
    CHECK("-i", "[-1,-2,null,4,-2147483647]");
    CHECK("d * 2", "[3.0,-4.0,null,0.5,200.0]");
    CHECK("d / 0", "[\"Infinity\",\"-Infinity\",null,\"Infinity\",\"Infinity\"]");
    CHECK("d % 0.0", "[\"NaN\",\"NaN\",null,\"NaN\",\"NaN\"]");
    CHECK("f32 + f32", "[1.0,-2.5,null,6.0,5.0]");
    CHECK("u8 + CAST(1 AS BIGINT)", "[201,1,null,256,2]");
    CHECK("u64 + 5", "[10,11,null,12,5]");
}

/* + - * and unary minus wrap around as in DataFusion; / and % are checked. */
static void test_arith_wrap_and_errors(void **state)
{
    (void)state;
    CHECK("l + 1", "[11,-19,null,-9223372036854775808,-9223372036854775806]");
    CHECK("l * 2", "[20,-40,null,-2,2]");
    CHECK("-(l - l - 9223372036854775807 - 1)",
          "[-9223372036854775808,-9223372036854775808,null,-9223372036854775808,"
          "-9223372036854775808]");
    CHECK("i + i", "[2,4,null,-8,-2]");
    CHECK("u8 + u8", "[144,0,null,254,2]");
    CHECK("-st.x", "[-1,null,null,-3,1]");
    CHECK("u64 - 6", "[18446744073709551615,0,null,1,18446744073709551610]");
    check_err("i / 0", GNV_EINVAL, "division by zero");
    check_err("i % 0", GNV_EINVAL, "division by zero");
    check_err("l / (i - i)", GNV_EINVAL, "division by zero in '/' at row 0");
    check_err("u64 % (u64 - u64)", GNV_EINVAL, "division by zero in '%'");
    check_err("(l - l - 9223372036854775807 - 1) / -1", GNV_EINVAL, "integer overflow in '/'");
    CHECK("(l - l - 9223372036854775807 - 1) % -1", "[0,0,null,0,0]");
    CHECK("l % -1", "[0,0,null,0,0]");
    CHECK("l / -1", "[-10,20,null,-9223372036854775807,9223372036854775807]");
    /* a NULL row never errors: row 2 is NULL */
    CHECK("i / (i - i + 1)", "[1,2,null,-4,2147483647]");
}

static void test_compare(void **state)
{
    (void)state;
    CHECK("i > 1", "[false,true,null,false,true]");
    CHECK("i = 2", "[false,true,null,false,false]");
    CHECK("2 <> i", "[true,false,null,true,true]");
    CHECK("d <= 1.5", "[true,true,null,true,false]");
    CHECK("s = 'apple'", "[true,false,null,false,false]");
    CHECK("s < 'b'", "[true,true,null,false,true]");
    CHECK("s >= s", "[true,true,null,true,true]");
    CHECK("dt < DATE '2001-01-01'", "[false,true,null,true,false]");
    CHECK("b = true", "[true,false,null,true,false]");
    CHECK("u8 > 100", "[true,false,null,true,false]");
    CHECK("u64 >= 6", "[false,true,null,true,false]");
    CHECK("1 = 1", "[true,true,true,true,true]");
    CHECK("NULL = 1", "[null,null,null,null,null]");
}

static void test_logic(void **state)
{
    (void)state;
    CHECK("b AND i > 0", "[true,false,null,false,false]");
    CHECK("b OR i > 0", "[true,true,null,true,true]");
    CHECK("NOT b", "[false,true,null,false,true]");
    /* three-valued logic with a NULL row */
    CHECK("b AND NULL", "[null,false,null,null,false]");
    CHECK("b OR NULL", "[true,null,null,true,null]");
    CHECK("(i > 100) AND b", "[false,false,null,false,false]");
    CHECK("b IS NULL", "[false,false,true,false,false]");
    CHECK("b IS NOT NULL", "[true,true,false,true,true]");
    CHECK("b IS TRUE", "[true,false,false,true,false]");
    CHECK("b IS NOT TRUE", "[false,true,true,false,true]");
    CHECK("b IS FALSE", "[false,true,false,false,true]");
    CHECK("b IS NOT FALSE", "[true,false,true,true,false]");
    CHECK("s IS NULL", "[false,false,true,false,false]");
}

static void test_in_between(void **state)
{
    (void)state;
    CHECK("i IN (1, 2)", "[true,true,null,false,false]");
    CHECK("i NOT IN (1, 2)", "[false,false,null,true,true]");
    CHECK("i IN (1, NULL)", "[true,null,null,null,null]");
    CHECK("i NOT IN (1, NULL)", "[false,null,null,null,null]");
    CHECK("s IN ('apple', 'x')", "[true,false,null,false,false]");
    CHECK("i BETWEEN 0 AND 2", "[true,true,null,false,false]");
    CHECK("i NOT BETWEEN 0 AND 2", "[false,false,null,true,true]");
    CHECK("d BETWEEN -3 AND 1", "[false,true,null,true,false]");
    /* many items: a hash set */
    CHECK("i IN (100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, "
          "115, 116, 117, 2, -4)",
          "[false,true,null,true,false]");
    CHECK("i NOT IN (100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, "
          "114, 115, 116, 117, 2, NULL)",
          "[null,false,null,null,null]");
    CHECK("s IN ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', "
          "'p', 'q', '', 'apple')",
          "[true,false,null,false,true]");
    CHECK("d * 0.0 IN (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, "
          "14.0, 15.0, 16.0, -0.0)",
          "[true,true,null,true,true]");
}

static void test_like(void **state)
{
    (void)state;
    CHECK("s LIKE 'a%'", "[true,false,null,false,false]");
    CHECK("s LIKE '%a'", "[false,true,null,false,false]");
    CHECK("s LIKE '%an%'", "[false,true,null,false,false]");
    CHECK("s LIKE 'h_llo%'", "[false,false,null,true,false]");
    CHECK("s LIKE '_____'", "[true,false,null,false,false]");
    CHECK("s LIKE ''", "[false,false,null,false,true]");
    CHECK("s LIKE '%'", "[true,true,null,true,true]");
    CHECK("s NOT LIKE 'a%'", "[false,true,null,true,true]");
    CHECK("s ILIKE 'BAN%'", "[false,true,null,false,false]");
    CHECK("s ILIKE '%W\xc3\x96RLD'", "[false,false,null,true,false]");
    CHECK("'a%c' LIKE 'a\\%c'", "[true,true,true,true,true]");
    CHECK("'abc' LIKE 'a\\%c'", "[false,false,false,false,false]");
    CHECK("'a%c' LIKE 'a!%c' ESCAPE '!'", "[true,true,true,true,true]");
    CHECK("'a_c' LIKE 'a!_c' ESCAPE '!'", "[true,true,true,true,true]");
    CHECK("'abc' LIKE 'a!_c' ESCAPE '!'", "[false,false,false,false,false]");
    CHECK("'aXbXc' LIKE 'a%b%c'", "[true,true,true,true,true]");
    CHECK("'ab' LIKE 'a%b%c'", "[false,false,false,false,false]");
    CHECK("s LIKE s", "[true,true,null,true,true]");
}

static void test_case_coalesce(void **state)
{
    (void)state;
    CHECK("CASE WHEN i > 1 THEN 'big' WHEN i > 0 THEN 'one' ELSE 'neg' END",
          "[\"one\",\"big\",\"neg\",\"neg\",\"big\"]");
    CHECK("CASE WHEN i > 1 THEN 'big' END", "[null,\"big\",null,null,\"big\"]");
    CHECK("CASE i WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END", "[\"a\",\"b\",\"c\",\"c\",\"c\"]");
    CHECK("CASE WHEN b THEN d ELSE -d END", "[1.5,2.0,null,0.25,-100.0]");
    CHECK("coalesce(i, 0)", "[1,2,0,-4,2147483647]");
    CHECK("coalesce(st.x, i, 99)", "[1,2,99,3,-1]");
    CHECK("coalesce(s, 'none')",
          "[\"apple\",\"Banana\",\"none\",\"h\xc3\xa9llo w\xc3\xb6rld\",\"\"]");
    CHECK("nullif(i, 2)", "[1,null,null,-4,2147483647]");
    CHECK("greatest(i, 0)", "[1,2,0,0,2147483647]");
    CHECK("least(i, 0, st.x)", "[0,0,0,-4,-1]");
    CHECK("greatest(s, 'b')", "[\"b\",\"b\",\"b\",\"h\xc3\xa9llo w\xc3\xb6rld\",\"b\"]");
}

static void test_strings(void **state)
{
    (void)state;
    CHECK("lower(s)", "[\"apple\",\"banana\",null,\"h\xc3\xa9llo w\xc3\xb6rld\",\"\"]");
    CHECK("upper(s)", "[\"APPLE\",\"BANANA\",null,\"H\xc3\x89LLO W\xc3\x96RLD\",\"\"]");
    CHECK("upper('stra\xc3\x9f"
          "e')",
          "[\"STRASSE\",\"STRASSE\",\"STRASSE\",\"STRASSE\",\"STRASSE\"]");
    CHECK("length(s)", "[5,6,null,11,0]");
    CHECK("octet_length(s)", "[5,6,null,13,0]");
    CHECK("substr(s, 2)", "[\"pple\",\"anana\",null,\"\xc3\xa9llo w\xc3\xb6rld\",\"\"]");
    CHECK("substr(s, 2, 3)", "[\"ppl\",\"ana\",null,\"\xc3\xa9ll\",\"\"]");
    CHECK("substr(s, 0, 3)", "[\"ap\",\"Ba\",null,\"h\xc3\xa9\",\"\"]");
    CHECK("substr(s, -3, 5)", "[\"a\",\"B\",null,\"h\",\"\"]");
    CHECK("substr(s, 100)", "[\"\",\"\",null,\"\",\"\"]");
    check_err("substr(s, 1, -1)", GNV_EINVAL, "negative substring length");
    CHECK("trim('  x y  ')", "[\"x y\",\"x y\",\"x y\",\"x y\",\"x y\"]");
    CHECK("ltrim('  x  ')", "[\"x  \",\"x  \",\"x  \",\"x  \",\"x  \"]");
    CHECK("rtrim('  x  ')", "[\"  x\",\"  x\",\"  x\",\"  x\",\"  x\"]");
    CHECK("trim('xxhixyx', 'xy')", "[\"hi\",\"hi\",\"hi\",\"hi\",\"hi\"]");
    CHECK("concat(s, '-', i)", "[\"apple-1\",\"Banana-2\",\"-\",\"h\xc3\xa9llo w\xc3\xb6rld--4\","
                               "\"-2147483647\"]");
    CHECK("s || '!'", "[\"apple!\",\"Banana!\",null,\"h\xc3\xa9llo w\xc3\xb6rld!\",\"!\"]");
    CHECK("replace(s, 'a', 'AA')",
          "[\"AApple\",\"BAAnAAnAA\",null,\"h\xc3\xa9llo w\xc3\xb6rld\",\"\"]");
    CHECK("replace('abc', '', '-')",
          "[\"-a-b-c-\",\"-a-b-c-\",\"-a-b-c-\",\"-a-b-c-\",\"-a-b-c-\"]");
    CHECK("starts_with(s, 'ap')", "[true,false,null,false,false]");
    CHECK("ends_with(s, 'na')", "[false,true,null,false,false]");
}

static void test_regexp(void **state)
{
    (void)state;
    CHECK("regexp_like(s, '^[a-z]+$')", "[true,false,null,false,false]");
    CHECK("regexp_like(s, 'AN', 'i')", "[false,true,null,false,false]");
    CHECK("regexp_like(s, s)", "[true,true,null,true,true]");
    check_err("regexp_like(s, '(')", GNV_EINVAL, "bad regular expression");
    check_err("regexp_like(s, 'a', 'x')", GNV_EINVAL, "flag 'x'");
    /* regexp_match: the captures (the whole match without groups), NULL without a match;
     * a boolean test where one is needed */
    CHECK("regexp_match(s, '^a(.)(x)?')", "[[\"p\",null],null,null,null,null]");
    CHECK("regexp_match(s, 'an')", "[null,[\"an\"],null,null,null]");
    CHECK("regexp_match(s, 'AN', 'i')[1]", "[null,\"an\",null,null,null]");
    CHECK("NOT regexp_match(s, '^[a-z]+$')", "[false,true,null,true,true]");
    CHECK("regexp_match(s, 'a') AND true", "[true,true,null,false,false]");
    check_err("regexp_match(s, '(')", GNV_EINVAL, "bad regular expression");
}

static void test_math(void **state)
{
    (void)state;
    CHECK("abs(i)", "[1,2,null,4,2147483647]");
    CHECK("abs(d)", "[1.5,2.0,null,0.25,100.0]");
    check_err("abs(l - l - 9223372036854775807 - 1)", GNV_EINVAL, "overflow");
    CHECK("round(2.5)", "[3.0,3.0,3.0,3.0,3.0]");
    CHECK("round(-2.5)", "[-3.0,-3.0,-3.0,-3.0,-3.0]");
    CHECK("round(d)", "[2.0,-2.0,null,0.0,100.0]");
    CHECK("round(3.14159, 2)", "[3.14,3.14,3.14,3.14,3.14]");
    CHECK("floor(d)", "[1.0,-2.0,null,0.0,100.0]");
    CHECK("ceil(d)", "[2.0,-2.0,null,1.0,100.0]");
    CHECK("sqrt(d)", "[1.224744871391589,\"NaN\",null,0.5,10.0]");
    CHECK("ln(1)", "[0.0,0.0,0.0,0.0,0.0]");
    CHECK("log(100)", "[2.0,2.0,2.0,2.0,2.0]");
    CHECK("log(2, 8)", "[3.0,3.0,3.0,3.0,3.0]");
    CHECK("pow(2, 10)", "[1024.0,1024.0,1024.0,1024.0,1024.0]");
    CHECK("power(d, 2)", "[2.25,4.0,null,0.0625,10000.0]");
}

static void test_lists(void **state)
{
    (void)state;
    CHECK("array_length(li)", "[3,0,null,2,1]");
    CHECK("array_has(li, 2)", "[true,false,null,false,false]");
    CHECK("array_has(li, 4)", "[false,false,null,true,false]");
    CHECK("array_has(sl, 'b')", "[true,false,null,false,true]");
    CHECK("array_has_any(li, li)", "[true,false,null,true,true]");
    CHECK("array_has_all(li, li)", "[true,true,null,true,true]");
}

/* l[i] / array_element (1-based, negative from the end, NULL out of range), array
 * literals and make_array, array_position, cardinality. */
static void test_list_index(void **state)
{
    (void)state;
    CHECK("li[1]", "[1,null,null,null,5]");
    CHECK("li[2]", "[2,null,null,4,null]");
    CHECK("li[0]", "[null,null,null,null,null]");
    CHECK("li[-1]", "[3,null,null,4,5]");
    CHECK("li[10]", "[null,null,null,null,null]");
    CHECK("array_element(li, i)", "[1,null,null,null,null]");
    CHECK("sl[1]", "[\"a\",null,null,\"c\",\"b\"]");
    CHECK("li[1] + 1", "[2,null,null,null,6]");
    CHECK("[1, 2, 3]", "[[1,2,3],[1,2,3],[1,2,3],[1,2,3],[1,2,3]]");
    CHECK("[1, 2, 3][2]", "[2,2,2,2,2]");
    CHECK("make_array(i, st.x)", "[[1,1],[2,null],[null,null],[-4,3],[2147483647,-1]]");
    CHECK("array_has_any(li, [2, 5])", "[true,false,null,false,true]");
    CHECK("array_has_any(li, [st.x])", "[true,false,null,false,false]");
    CHECK("array_has_all(li, [1, 2])", "[true,false,null,false,false]");
    CHECK("array_has_all(li, [])", "[true,true,true,true,true]");
    CHECK("array_has_any(sl, ['b', 'x'])", "[true,false,null,false,true]");
    CHECK("array_position(li, 2)", "[2,null,null,null,null]");
    CHECK("array_position(li, 4)", "[null,null,null,2,null]");
    CHECK("cardinality(li)", "[3,0,null,2,1]");
    check_err("i[1]", GNV_EINVAL, "list");
    check_err("li['a'", GNV_EINVAL, "");
}

/* List builders, list equality, list to text. */
static void test_list_builders(void **state)
{
    (void)state;
    CHECK("array_append(li, 9)", "[[1,2,3,9],[9],[9],[null,4,9],[5,9]]");
    CHECK("array_append(li, NULL)", "[[1,2,3,null],[null],[null],[null,4,null],[5,null]]");
    CHECK("array_concat(li, [7])", "[[1,2,3,7],[7],[7],[null,4,7],[5,7]]");
    CHECK("array_concat(li, li)", "[[1,2,3,1,2,3],[],null,[null,4,null,4],[5,5]]");
    CHECK("array_sort([3, NULL, 1, 2])", "[[null,1,2,3],[null,1,2,3],[null,1,2,3],[null,1,2,3],"
                                         "[null,1,2,3]]");
    CHECK("array_distinct([1, 2, 1, NULL, NULL, 2])[3] IS NULL", "[true,true,true,true,true]");
    CHECK("cardinality(array_distinct([1, 2, 1, NULL, NULL, 2]))", "[3,3,3,3,3]");
    CHECK("array_max(li)", "[3,null,null,4,5]");
    CHECK("array_min(li)", "[1,null,null,4,5]");
    CHECK("array_to_string(sl, '-')", "[\"a-b\",\"\",null,\"c\",\"b\"]");
    CHECK("array_to_string(li, ',')", "[\"1,2,3\",\"\",null,\"4\",\"5\"]");
    CHECK("CAST(li AS STRING)", "[\"[1, 2, 3]\",\"[]\",null,\"[, 4]\",\"[5]\"]");
    CHECK("li = [1, 2, 3]", "[true,false,null,false,false]");
    CHECK("li <> [5]", "[true,true,null,true,false]");
    CHECK("li = li", "[true,true,null,true,true]");
    CHECK("li = []", "[false,true,null,false,false]");
    check_err("li < [1]", GNV_EINVAL, "= and <>");
    check_err("array_max(i)", GNV_EINVAL, "list");
}

/* date_trunc, now(), current_date, to_timestamp, arrow_cast, get_field, atan2, random,
 * to_hex, initcap. */
static void test_misc_functions(void **state)
{
    (void)state;
    CHECK("date_trunc('day', ts)", "[\"2024-03-15T00:00:00.000\",\"1970-01-01T00:00:00.000\",null,"
                                   "\"1999-12-31T00:00:00.000\",\"2024-01-01T00:00:00.000\"]");
    CHECK("date_trunc('month', ts) = TIMESTAMP '2024-03-01'", "[true,false,null,false,false]");
    CHECK("date_trunc('year', dt)",
          "[\"2024-01-01T00:00:00.000000\",\"1969-01-01T00:00:00.000000\",null,"
          "\"2000-01-01T00:00:00.000000\",\"2024-01-01T00:00:00.000000\"]");
    CHECK("date_trunc('week', dt) = DATE '2024-03-11'", "[true,false,null,false,false]");
    CHECK("date_trunc('HOUR', ts) = TIMESTAMP '1999-12-31 23:00:00'",
          "[false,false,null,true,false]");
    check_err("date_trunc('decade', ts)", GNV_EINVAL, "unknown date_trunc unit");
    check_err("date_trunc('year', CAST(-9223372036854775807 AS TIMESTAMP))", GNV_EINVAL,
              "out of range");
    check_err("lpad(s, 2000000)", GNV_EINVAL, "too large");
    check_err("repeat(s, 1000000)", GNV_EINVAL, "too large");
    CHECK("now() > TIMESTAMP '2020-01-01 00:00:00'", "[true,true,true,true,true]");
    CHECK("current_date > DATE '2020-01-01' AND current_date() = current_date",
          "[true,true,true,true,true]");
    CHECK("to_timestamp(i) = TIMESTAMP '1970-01-01 00:00:01'", "[true,false,null,false,false]");
    CHECK("arrow_cast(i, 'Int64') + 1", "[2,3,null,-3,2147483648]");
    check_err("arrow_cast(i, 'Decimal')", GNV_EINVAL, "unknown or unsupported Arrow type");
    CHECK("get_field(st, 'x')", "[1,null,null,3,-1]");
    CHECK("atan2(0.0, 1.0)", "[0.0,0.0,0.0,0.0,0.0]");
    CHECK("random() >= 0 AND random() < 1", "[true,true,true,true,true]");
    CHECK("to_hex(i)", "[\"1\",\"2\",null,\"fffffffffffffffc\",\"7fffffff\"]");
    CHECK("regexp_replace(s, '[aeiou]', '*')", "[\"*pple\",\"B*nana\",null,\"héll* wörld\",\"\"]");
    CHECK("regexp_replace(s, '[aeiou]', '*', 'g')",
          "[\"*ppl*\",\"B*n*n*\",null,\"héll* wörld\",\"\"]");
    CHECK("regexp_replace(s, '(a)(n)', '$2\\1', 'gi')", "[\"apple\",\"Bnanaa\",null,"
                                                        "\"héllo wörld\",\"\"]");
    CHECK("regexp_replace('abc', 'x*', '-', 'g')", "[\"-a-b-c-\",\"-a-b-c-\",\"-a-b-c-\","
                                                   "\"-a-b-c-\",\"-a-b-c-\"]");
    check_err("regexp_replace(s, '(', 'x')", GNV_EINVAL, "bad regular expression");
    check_err("regexp_replace(s, 'a', 'x', 'z')", GNV_EINVAL, "flag 'z'");
    CHECK("dt - dt", "[0,0,null,0,0]");
    CHECK("dt - DATE '2024-03-14'", "[1,-19797,null,-8780,-73]");
    CHECK("initcap('hello wORLD_x1y 9ab')", "[\"Hello World_X1y 9ab\",\"Hello World_X1y 9ab\","
                                            "\"Hello World_X1y 9ab\",\"Hello World_X1y 9ab\","
                                            "\"Hello World_X1y 9ab\"]");
}

/* strpos, left, right, lpad, rpad, reverse, split_part, repeat, contains, ascii, md5. */
static void test_strings_more(void **state)
{
    (void)state;
    CHECK("strpos(s, 'a')", "[1,2,null,0,0]");
    CHECK("instr(s, 'l')", "[4,0,null,3,0]");
    CHECK("strpos(s, 'w')", "[0,0,null,7,0]");
    CHECK("left(s, 2)", "[\"ap\",\"Ba\",null,\"hé\",\"\"]");
    CHECK("left(s, -3)", "[\"ap\",\"Ban\",null,\"héllo wö\",\"\"]");
    CHECK("right(s, 2)", "[\"le\",\"na\",null,\"ld\",\"\"]");
    CHECK("right(s, -4)", "[\"e\",\"na\",null,\"o wörld\",\"\"]");
    CHECK("lpad(s, 7, '*-')", "[\"*-apple\",\"*Banana\",null,\"héllo w\",\"*-*-*-*\"]");
    CHECK("rpad(s, 6)", "[\"apple \",\"Banana\",null,\"héllo \",\"      \"]");
    CHECK("lpad(s, 0)", "[\"\",\"\",null,\"\",\"\"]");
    CHECK("reverse(s)", "[\"elppa\",\"ananaB\",null,\"dlröw olléh\",\"\"]");
    CHECK("split_part(s, 'l', 2)", "[\"e\",\"\",null,\"\",\"\"]");
    CHECK("split_part(s, 'l', -1)", "[\"e\",\"Banana\",null,\"d\",\"\"]");
    CHECK("split_part('a_b_c', '_', 2)", "[\"b\",\"b\",\"b\",\"b\",\"b\"]");
    check_err("split_part(s, 'l', 0)", GNV_EINVAL, "zero");
    CHECK("repeat(s, 2)", "[\"appleapple\",\"BananaBanana\",null,"
                          "\"héllo wörldhéllo wörld\",\"\"]");
    CHECK("repeat(s, -1)", "[\"\",\"\",null,\"\",\"\"]");
    CHECK("contains(s, 'an')", "[false,true,null,false,false]");
    CHECK("ascii(s)", "[97,66,null,104,0]");
    CHECK("md5('a')", "[\"0cc175b9c0f1b6a831c399e269772661\",\"0cc175b9c0f1b6a831c399e269772661\","
                      "\"0cc175b9c0f1b6a831c399e269772661\",\"0cc175b9c0f1b6a831c399e269772661\","
                      "\"0cc175b9c0f1b6a831c399e269772661\"]");
    CHECK("md5(s) IS NULL", "[false,false,true,false,false]");
}

/* log10, log2, exp, signum, trunc, sin, cos, tan, isnan, iszero, pi; << and >>. */
static void test_math_more(void **state)
{
    (void)state;
    CHECK("log10(l) > 1", "[false,true,null,true,true]");
    CHECK("log2(8.0)", "[3.0,3.0,3.0,3.0,3.0]");
    CHECK("exp(0.0)", "[1.0,1.0,1.0,1.0,1.0]");
    CHECK("signum(d)", "[1.0,-1.0,null,1.0,1.0]");
    CHECK("signum(0.0)", "[0.0,0.0,0.0,0.0,0.0]");
    CHECK("trunc(d)", "[1.0,-2.0,null,0.0,100.0]");
    CHECK("trunc(f32)", "[0.0,-1.0,null,3.0,2.0]");
    CHECK("cos(0.0) + sin(0.0) + tan(0.0)", "[1.0,1.0,1.0,1.0,1.0]");
    CHECK("isnan(d)", "[false,false,null,false,false]");
    CHECK("isnan(sqrt(-1.0))", "[true,true,true,true,true]");
    CHECK("iszero(d - d)", "[true,true,null,true,true]");
    CHECK("pi() > 3.14", "[true,true,true,true,true]");
    CHECK("i << 1", "[2,4,null,-8,-2]");
    CHECK("i >> 1", "[0,1,null,-2,1073741823]");
    CHECK("l << 64", "[10,-20,null,9223372036854775807,-9223372036854775807]");
    CHECK("u8 << 1", "[144,0,null,254,2]");
    CHECK("u8 >> 1", "[100,0,null,127,0]");
    check_err("d << 1", GNV_EINVAL, "<<");
}

/* (As bigint, so the test holds whichever type the binder gives date_part.) */
static void test_date_part(void **state)
{
    (void)state;
    CHECK("CAST(date_part('year', dt) AS BIGINT)", "[2024,1969,null,2000,2024]");
    CHECK("CAST(date_part('month', dt) AS BIGINT)", "[3,12,null,2,1]");
    CHECK("CAST(date_part('day', dt) AS BIGINT)", "[15,31,null,29,1]");
    CHECK("CAST(date_part('dow', dt) AS BIGINT)", "[5,3,null,2,1]");
    CHECK("CAST(date_part('doy', dt) AS BIGINT)", "[75,365,null,60,1]");
    CHECK("CAST(date_part('quarter', dt) AS BIGINT)", "[1,4,null,1,1]");
    CHECK("CAST(date_part('week', dt) AS BIGINT)", "[11,1,null,9,1]");
    CHECK("CAST(date_part('hour', ts) AS BIGINT)", "[10,0,null,23,0]");
    CHECK("CAST(date_part('minute', ts) AS BIGINT)", "[20,0,null,59,0]");
    CHECK("CAST(date_part('second', ts) AS BIGINT)", "[30,0,null,59,0]");
    CHECK("CAST(date_part('millisecond', ts) AS BIGINT)", "[30123,0,null,59999,0]");
    CHECK("CAST(date_part('microsecond', ts) AS BIGINT)", "[30123000,0,null,59999000,0]");
    CHECK("CAST(date_part('epoch', dt) AS BIGINT)",
          "[1710460800,-86400,null,951782400,1704067200]");
    CHECK("CAST(extract(year from ts) AS BIGINT)", "[2024,1970,null,1999,2024]");
}

static void test_filter(void **state)
{
    (void)state;
    gnv_expr *e = NULL;
    gnv_buf sel = GNV_BUF_INIT;
    int64_t n = -1;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "i > 0 AND b"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    GNV_ASSERT_OK(gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch));
    assert_int_equal(n, 1);
    assert_int_equal(((int64_t *)(void *)sel.ptr)[0], 0);
    assert_false(gnv__expr_is_always_true(e));
    gnv__expr_free(e);

    GNV_ASSERT_OK(gnv__expr_parse(&e, "i IS NULL OR d < 0"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    GNV_ASSERT_OK(gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch));
    assert_int_equal(n, 2);
    assert_int_equal(((int64_t *)(void *)sel.ptr)[0], 1);
    assert_int_equal(((int64_t *)(void *)sel.ptr)[1], 2);
    gnv__expr_free(e);

    /* regexp_match alone: the rows that match (its list is not NULL), as LanceDB */
    GNV_ASSERT_OK(gnv__expr_parse(&e, "regexp_match(s, 'an|^a')"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    GNV_ASSERT_OK(gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch));
    assert_int_equal(n, 2);
    assert_int_equal(((int64_t *)(void *)sel.ptr)[0], 0);
    assert_int_equal(((int64_t *)(void *)sel.ptr)[1], 1);
    gnv__expr_free(e);

    GNV_ASSERT_OK(gnv__expr_parse(&e, "1 = 1"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    assert_true(gnv__expr_is_always_true(e));
    GNV_ASSERT_OK(gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch));
    assert_int_equal(n, 5);
    gnv__expr_free(e);

    GNV_ASSERT_OK(gnv__expr_parse(&e, "1 = 2 OR NULL"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    assert_false(gnv__expr_is_always_true(e));
    GNV_ASSERT_OK(gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch));
    assert_int_equal(n, 0);
    gnv__expr_free(e);

    GNV_ASSERT_OK(gnv__expr_parse(&e, "i + 1"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    GNV_ASSERT_ERR(gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch), GNV_EINVAL, "boolean");
    gnv__expr_free(e);

    /* a bare NULL is not a filter (as in LanceDB); a boolean NULL keeps no row */
    GNV_ASSERT_OK(gnv__expr_parse(&e, "NULL"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    GNV_ASSERT_ERR(gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch), GNV_EINVAL, "boolean");
    gnv__expr_free(e);
    GNV_ASSERT_OK(gnv__expr_parse(&e, "b AND NULL"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    GNV_ASSERT_OK(gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch));
    assert_int_equal(n, 0);
    gnv__expr_free(e);
    gnv_buf_dispose(&sel);
}

/* Sliced batches: the batch's offset and a column's own offset both apply. */
static void test_sliced(void **state)
{
    (void)state;
    struct ArrowArray copy, sl;
    struct ArrowArray *const arr[1] = {&g_batch};
    GNV_ASSERT_OK(gnv__array_concat(&copy, &g_schema, (const struct ArrowArray *const *)arr, 1));
    GNV_ASSERT_OK(gnv__array_slice(&sl, &copy, 1, 3));
    check_on("i * 10", "[20,null,-40]", &g_schema, &sl);
    check_on("s", "[\"Banana\",null,\"h\xc3\xa9llo w\xc3\xb6rld\"]", &g_schema, &sl);
    check_on("st.x", "[null,null,3]", &g_schema, &sl);
    check_on("b OR i > 0", "[true,null,true]", &g_schema, &sl);
    check_on("array_length(li)", "[0,null,2]", &g_schema, &sl);
    check_on("s LIKE 'B%'", "[true,null,false]", &g_schema, &sl);
    check_on("coalesce(li, li)", "[[],null,[null,4]]", &g_schema, &sl);
    check_on("st", "[{\"x\":null,\"y\":\"b\"},null,{\"x\":3,\"y\":null}]", &g_schema, &sl);
    check_on("li[-1]", "[null,null,4]", &g_schema, &sl);
    check_on("make_array(i, st.x)", "[[2,null],[null,null],[-4,3]]", &g_schema, &sl);
    check_on("array_sort(array_append(li, i))", "[[2],[null],[null,-4,4]]", &g_schema, &sl);
    check_on("CAST(sl AS STRING)", "[\"[]\",null,\"[c, ]\"]", &g_schema, &sl);
    check_on("li = [NULL, 4]", "[false,null,true]", &g_schema, &sl);
    check_on("regexp_match(s, '(an)a$')", "[[\"an\"],null,null]", &g_schema, &sl);
    gnv__array_release(&sl);
    /* no rows at all */
    GNV_ASSERT_OK(gnv__array_slice(&sl, &copy, 2, 0));
    check_on("i * 10", "[]", &g_schema, &sl);
    check_on("coalesce(li, li)", "[]", &g_schema, &sl);
    check_on("upper(s) LIKE '%A%' OR b", "[]", &g_schema, &sl);
    check_on("CASE WHEN b THEN st.y END", "[]", &g_schema, &sl);
    check_on("li[1] + array_max(li)", "[]", &g_schema, &sl);
    check_on("array_distinct(make_array(i, i))", "[]", &g_schema, &sl);
    gnv__array_release(&sl);
    gnv__array_release(&copy);
}

/* Nested structs: a NULL parent makes its fields NULL, at any depth. */
static void test_nested(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    load(&s, &b,
         "{\"a\":{\"b\":{\"c\":1},\"v\":10}}\n"
         "{\"a\":{\"b\":null,\"v\":20}}\n"
         "{\"a\":null}\n"
         "{\"a\":{\"b\":{\"c\":4},\"v\":null}}\n",
         NULL);
    check_on("a.b.c", "[1,null,null,4]", &s, &b);
    check_on("a.v + a.b.c", "[11,null,null,null]", &s, &b);
    check_on("a.b.c IS NULL", "[false,true,true,false]", &s, &b);
    check_on("a.b IS NULL", "[false,true,true,false]", &s, &b);
    check_on("a.v", "[10,20,null,null]", &s, &b);
    struct ArrowSchema *sp = &s;
    (void)sp;
    gnv__array_release(&b);
    gnv__schema_release(&s);
}

/* The same kernels over a batch with more rows than a chunk, against a per-row model. */
static void test_large(void **state)
{
    (void)state;
    uint64_t seed = gnv_test_seed();
    gnv_buf text = GNV_BUF_INIT;
    int n = 3000;
    for (int r = 0; r < n; r++) {
        uint64_t x = gnv_test_rand(&seed);
        if (x % 11 == 0)
            gnv__buf_printf(&text, "{\"score\":null,\"label\":null,\"k\":null}\n");
        else
            gnv__buf_printf(&text, "{\"score\":%.3f,\"label\":\"label_%02d\",\"k\":%d}\n",
                            (double)(x % 1000) / 1000.0, (int)(x / 7 % 10),
                            (int)(x / 3 % 200) - 100);
    }
    struct ArrowSchema s;
    struct ArrowArray b;
    load(&s, &b, text.ptr, "score:float64,label:utf8,k:int32");
    gnv_buf_dispose(&text);
    gnv_expr *e = NULL;
    gnv_buf sel = GNV_BUF_INIT;
    int64_t cnt;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "score > 0.9 AND label = 'label_07' OR k < -95"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &s));
    GNV_ASSERT_OK(gnv__expr_filter(&sel, &cnt, e, &s, &b));
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &b));
    int64_t want = 0, at = 0;
    for (int64_t r = 0; r < b.length; r++) {
        const gnv_array_view *sc = &v.children[0], *lb = &v.children[1], *kk = &v.children[2];
        bool t = false;
        if (!gnv__view_is_null(sc, r)) {
            int64_t len;
            const uint8_t *p = gnv__view_get_bytes(lb, r, &len);
            t = gnv__view_get_double(sc, r) > 0.9 && len == 8 && memcmp(p, "label_07", 8) == 0;
            t = t || gnv__view_get_int(kk, r) < -95;
        }
        if (t) {
            assert_true(at < cnt);
            assert_int_equal(((int64_t *)(void *)sel.ptr)[at], r);
            at++;
            want++;
        }
    }
    assert_int_equal(cnt, want);
    assert_true(want > 0);
    gnv__array_view_reset(&v);
    gnv__expr_free(e);
    gnv_buf_dispose(&sel);
    gnv__array_release(&b);
    gnv__schema_release(&s);
}

/* Floats compare as in LanceDB: arrow-rs's total order (NaN = NaN, +NaN above everything,
 * -NaN below, -0.0 below 0.0), except that against a constant -0.0 equals 0.0. */
static void test_float_order(void **state)
{
    (void)state;
    CHECK("CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)", "[true,true,true,true,true]");
    CHECK("d < CAST('NaN' AS DOUBLE)", "[true,true,null,true,true]");
    CHECK("CAST('NaN' AS DOUBLE) > CAST('inf' AS DOUBLE)", "[true,true,true,true,true]");
    CHECK("-0.0 = 0.0", "[true,true,true,true,true]");
    CHECK("-0.0 < 0.0", "[false,false,false,false,false]");
    CHECK("ln(-1.0) > 0", "[true,true,true,true,true]");
    CHECK("ln(-1.0) = CAST('NaN' AS DOUBLE)", "[true,true,true,true,true]");
    CHECK("sqrt(-1.0) > 0", "[false,false,false,false,false]");
    CHECK("sqrt(-1.0) < -1e308", "[true,true,true,true,true]");
    CHECK("d / 0.0 > 0", "[true,false,null,true,true]");
    CHECK("(d - d) / 0.0 > 0", "[false,false,null,false,false]");
    CHECK("d * 0.0 = -d * 0.0", "[false,false,null,false,false]");
    CHECK("d * 0.0 = 0", "[true,true,null,true,true]");
    CHECK("d * 0.0 IN (0.0, 7)", "[true,true,null,true,true]");
    CHECK("CAST(greatest(d * 0.0, 0.0) AS VARCHAR)", "[\"0.0\",\"0.0\",\"0.0\",\"0.0\",\"0.0\"]");
    CHECK("CAST(least(d * 0.0, 0.0) AS VARCHAR)", "[\"0.0\",\"-0.0\",\"0.0\",\"0.0\",\"0.0\"]");
    CHECK("f32 > 0.5", "[false,false,null,true,true]");
    CHECK("greatest(d, CAST('NaN' AS DOUBLE)) IS NULL", "[false,false,false,false,false]");
}

static void test_constant_folding(void **state)
{
    (void)state;
    const char *yes[] = {"1 = 1",       "1 < 2 AND 'a' LIKE 'a%'", "NOT (1 > 2)",
                         "2 IN (1, 2)", "coalesce(NULL, TRUE)",    "length('abc') = 3"};
    const char *no[] = {"1 = 2", "i = i", "NULL", "1 IN (2, NULL)", "CAST(NULL AS BOOLEAN)"};
    for (size_t k = 0; k < GNV_ARRAY_SIZE(yes) + GNV_ARRAY_SIZE(no); k++) {
        bool want = k < GNV_ARRAY_SIZE(yes);
        const char *t = want ? yes[k] : no[k - GNV_ARRAY_SIZE(yes)];
        gnv_expr *e = NULL;
        GNV_ASSERT_OK(gnv__expr_parse(&e, t));
        assert_false(gnv__expr_is_always_true(e)); /* not bound yet */
        GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
        if (gnv__expr_is_always_true(e) != want)
            fail_msg("is_always_true(%s) != %d", t, want);
        gnv__expr_free(e);
    }
    /* a constant that fails is not "always true", and leaves no error behind */
    gnv_expr *e = NULL;
    GNV_ASSERT_OK(gnv__expr_parse(&e, "1 / 0 = 1"));
    GNV_ASSERT_OK(gnv__expr_bind(e, &g_schema));
    assert_false(gnv__expr_is_always_true(e));
    gnv__expr_free(e);
}

/* Time zones: fixed offsets are applied by date_part, named zones are refused. */
static void test_time_zones(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    load(&s, &b, "{\"t\":\"2024-03-15T23:30:00Z\",\"u\":\"2024-03-15T23:30:00Z\"}\n",
         "t:timestamp[s, tz=+02:00],u:timestamp[ms, tz=Europe/Paris]");
    check_on("CAST(date_part('day', t) AS BIGINT)", "[16]", &s, &b);
    check_on("CAST(date_part('hour', t) AS BIGINT)", "[1]", &s, &b);
    check_on("CAST(t AS VARCHAR)", "[\"2024-03-16T01:30:00+02:00\"]", &s, &b);
    int rc;
    char *got = eval_on("date_part('day', u)", &s, &b, &rc);
    assert_null(got);
    assert_int_equal(rc, GNV_ENOTSUP);
    assert_true(gnv_test_has(gnv_error_last()->message, "Europe/Paris"));
    gnv__array_release(&b);
    gnv__schema_release(&s);
}

/* Columns whose own arrays are sliced (offset != 0 inside the batch), large strings,
 * float16 and a dictionary-encoded column. */
static void test_child_offsets(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b;
    load(&s, &b,
         "{\"n\":1,\"t\":\"ab\",\"h\":0.5}\n{\"n\":null,\"t\":null,\"h\":null}\n"
         "{\"n\":3,\"t\":\"\xc3\xa9t\xc3\xa9\",\"h\":-2}\n{\"n\":4,\"t\":\"xyz\",\"h\":65504}\n",
         "n:int16,t:large_utf8,h:float16");
    struct ArrowArray kids[3], *kp[3] = {&kids[0], &kids[1], &kids[2]};
    for (int c = 0; c < 3; c++)
        GNV_ASSERT_OK(gnv__array_slice(&kids[c], b.children[c], 1, 3));
    const void *bufs[1] = {NULL};
    struct ArrowArray batch = {.length = 3,
                               .null_count = 0,
                               .offset = 0,
                               .n_buffers = 1,
                               .n_children = 3,
                               .buffers = bufs,
                               .children = kp};
    check_on("n * 2", "[null,6,8]", &s, &batch);
    check_on("upper(t)", "[null,\"\xc3\x89T\xc3\x89\",\"XYZ\"]", &s, &batch);
    check_on("length(t)", "[null,3,3]", &s, &batch);
    check_on("t LIKE '_t_'", "[null,true,false]", &s, &batch);
    check_on("h > 0", "[null,false,true]", &s, &batch);
    check_on("h * 2", "[null,-4.0,\"Infinity\"]", &s, &batch);
    check_on("CAST(h AS VARCHAR)", "[null,\"-2.0\",\"65504.0\"]", &s, &batch);
    check_on("t", "[null,\"\xc3\xa9t\xc3\xa9\",\"xyz\"]", &s, &batch);
    check_on("coalesce(t, 'none')", "[\"none\",\"\xc3\xa9t\xc3\xa9\",\"xyz\"]", &s, &batch);
    for (int c = 0; c < 3; c++)
        gnv__array_release(&kids[c]);
    gnv__array_release(&b);
    gnv__schema_release(&s);

    /* dictionary-encoded utf8 */
    struct ArrowSchema ds, *dsp;
    struct ArrowArray da, *dap;
    GNV_ASSERT_OK(gnv__schema_init(&ds, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&ds, 1));
    GNV_ASSERT_OK(gnv__schema_init(ds.children[0], "i", "k", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_alloc_dictionary(ds.children[0]));
    GNV_ASSERT_OK(gnv__schema_init(ds.children[0]->dictionary, "u", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(&da, &ds));
    dsp = &ds;
    dap = &da;
    GNV_ASSERT_OK(gnv__array_append_bytes(dap->children[0]->dictionary, "red", 3));
    GNV_ASSERT_OK(gnv__array_append_bytes(dap->children[0]->dictionary, "green", 5));
    int32_t idx[] = {1, 0, -1, 1};
    for (int r = 0; r < 4; r++) {
        if (idx[r] < 0)
            GNV_ASSERT_OK(gnv__array_append_null(dap->children[0], 1));
        else
            GNV_ASSERT_OK(gnv__array_append_int(dap->children[0], idx[r]));
        GNV_ASSERT_OK(gnv__array_finish_element(dap));
    }
    GNV_ASSERT_OK(gnv__array_finish(dap));
    check_on("k = 'green'", "[true,false,null,true]", dsp, dap);
    check_on("upper(k)", "[\"GREEN\",\"RED\",null,\"GREEN\"]", dsp, dap);
    gnv__array_release(&da);
    gnv__schema_release(&ds);
}

/* Kernels called directly, with scalar and array operands mixed. */
static void test_kernel_direct(void **state)
{
    (void)state;
    struct ArrowSchema i64, b;
    struct ArrowArray arr, one, out;
    GNV_ASSERT_OK(gnv__schema_init(&i64, "l", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_init(&b, "b", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(&arr, &i64));
    for (int v = 0; v < 2000; v++)
        GNV_ASSERT_OK(v % 7 == 3 ? gnv__array_append_null(&arr, 1)
                                 : gnv__array_append_int(&arr, v));
    GNV_ASSERT_OK(gnv__array_finish(&arr));
    GNV_ASSERT_OK(gnv__array_init(&one, &i64));
    GNV_ASSERT_OK(gnv__array_append_int(&one, 1000));
    GNV_ASSERT_OK(gnv__array_finish(&one));
    gnv_expr_node node = {0};
    node.op = GNV_EX_LT;
    node.n_args = 2;
    gnv_expr_node *args[2] = {NULL, NULL};
    node.args = args;
    gnv_expr_node a0 = {0}, a1 = {0};
    args[0] = &a0;
    args[1] = &a1;
    GNV_ASSERT_OK(gnv__schema_copy(&node.type, &b));
    gnv_datum d[2] = {{&i64, &one, true}, {&i64, &arr, false}};
    GNV_ASSERT_OK(gnv__expr_kernel(&out, &node, d, 2000)); /* 1000 < x */
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, &b, &out));
    for (int r = 0; r < 2000; r++) {
        if (r % 7 == 3) {
            assert_true(gnv__view_is_null(&v, r));
            continue;
        }
        assert_false(gnv__view_is_null(&v, r));
        assert_int_equal(gnv__view_get_bool(&v, r), 1000 < r);
    }
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    /* operands the binder would have coerced: a clear error naming both types */
    struct ArrowSchema u;
    struct ArrowArray ua;
    GNV_ASSERT_OK(gnv__schema_init(&u, "u", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(&ua, &u));
    GNV_ASSERT_OK(gnv__array_append_bytes(&ua, "x", 1));
    GNV_ASSERT_OK(gnv__array_finish(&ua));
    gnv_datum d2[2] = {{&i64, &one, true}, {&u, &ua, true}};
    GNV_ASSERT_ERR(gnv__expr_kernel(&out, &node, d2, 1), GNV_EINVAL,
                   "cannot compare int64 with utf8");
    node.op = GNV_EX_ADD;
    gnv_datum d3[2] = {{&u, &ua, true}, {&i64, &one, true}};
    GNV_ASSERT_ERR(gnv__expr_kernel(&out, &node, d3, 1), GNV_EINVAL, "not supported for utf8");
    gnv__array_release(&ua);
    gnv__schema_release(&u);
    gnv__schema_release(&node.type);
    gnv__array_release(&arr);
    gnv__array_release(&one);
    gnv__schema_release(&i64);
    gnv__schema_release(&b);
}

static int eval_body(void *arg)
{
    const char *text = arg;
    gnv_expr *e = NULL;
    struct ArrowArray out = {0};
    gnv_buf sel = GNV_BUF_INIT;
    int64_t n;
    int rc = gnv__expr_parse(&e, text);
    if (rc == GNV_OK)
        rc = gnv__expr_bind(e, &g_schema);
    if (rc == GNV_OK)
        rc = gnv__expr_eval(&out, e, &g_schema, &g_batch);
    if (rc == GNV_OK && strcmp(e->root->type.format, "b") == 0)
        rc = gnv__expr_filter(&sel, &n, e, &g_schema, &g_batch);
    gnv_buf_dispose(&sel);
    gnv__array_release(&out);
    gnv__expr_free(e);
    return rc;
}

/* Every allocation of an evaluation failing in turn: GNV_ENOMEM, no leak (ASan). */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *texts[] = {
        "CASE WHEN s LIKE 'a%' THEN upper(s) ELSE concat(s, i + 1) END",
        "i IN (1, 2, NULL) AND s IN ('apple', 'x') AND d BETWEEN 0 AND 2",
        "TRY_CAST(s AS INT) + CAST(d AS INT) > 0 OR CAST(d AS VARCHAR) = '1.5'",
        "array_has(li, 2) OR array_length(li) > 1 OR array_has_any(sl, sl)",
        "date_part('year', dt) > 2000 AND regexp_match(s, '^[a-z]+$')",
        "coalesce(st.x, i) > greatest(l, 0) OR nullif(s, 'x') IS NULL",
        "replace(trim(s), 'a', 'b') || substr(s, 2, 3) = lower(s)",
        "li[1] + array_position(li, 2) > 0 OR array_has_any(li, [1, st.x]) OR li = [5]",
        "make_array(i, l)[2] << 1 > 0 OR cardinality(array_append(li, 1)) > 2",
        "array_to_string(array_sort(array_distinct(array_concat(li, li))), ',') = "
        "CAST(li AS STRING) OR array_max(li) > array_min(li)",
        "lpad(s, 8, '*') || right(s, 2) || split_part(s, 'l', 1) || md5(s) || reverse(s) = "
        "regexp_replace(s, '(a)', '$1x', 'g') || to_hex(i) || initcap(s)",
        "date_trunc('month', ts) > now() OR log10(d) > exp(d) OR strpos(s, 'a') > ascii(s)",
    };
    for (size_t k = 0; k < GNV_ARRAY_SIZE(texts); k++)
        gnv_test_faultsim(eval_body, (void *)texts[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns_literals),
        cmocka_unit_test(test_arith),
        cmocka_unit_test(test_arith_wrap_and_errors),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_in_between),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_case_coalesce),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_regexp),
        cmocka_unit_test(test_math),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_list_index),
        cmocka_unit_test(test_strings_more),
        cmocka_unit_test(test_list_builders),
        cmocka_unit_test(test_misc_functions),
        cmocka_unit_test(test_math_more),
        cmocka_unit_test(test_date_part),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_sliced),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_float_order),
        cmocka_unit_test(test_constant_folding),
        cmocka_unit_test(test_time_zones),
        cmocka_unit_test(test_child_offsets),
        cmocka_unit_test(test_kernel_direct),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
