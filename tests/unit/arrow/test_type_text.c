/* Types written as text: gnv__type_from_string and the override lists. */
#include "gnv_test.h"

#include <string.h>

#include "arrow/arrow.h"

/* Parse text, render it back and compare with `expect` (NULL: the text itself). */
static void roundtrip(const char *text, const char *expect, const char *format)
{
    struct ArrowSchema s;
    gnv_buf b = GNV_BUF_INIT;
    int rc = gnv__type_from_string(&s, text, "col");
    if (rc != GNV_OK)
        fail_msg("'%s': %s", text, gnv_error_last()->message);
    assert_string_equal(s.name, "col");
    assert_true(s.flags & ARROW_FLAG_NULLABLE);
    if (format)
        assert_string_equal(s.format, format);
    assert_int_equal(gnv__schema_validate(&s), GNV_OK);
    assert_int_equal(gnv__type_to_string(&b, &s), GNV_OK);
    assert_string_equal(b.ptr, expect ? expect : text);
    gnv_buf_dispose(&b);
    gnv__schema_release(&s);
}

static void test_scalars(void **state)
{
    (void)state;
    static const char *const names[][2] = {
        {"int8", "c"},       {"uint8", "C"},   {"int16", "s"},        {"uint16", "S"},
        {"int32", "i"},      {"uint32", "I"},  {"int64", "l"},        {"uint64", "L"},
        {"float16", "e"},    {"float32", "f"}, {"float64", "g"},      {"utf8", "u"},
        {"large_utf8", "U"}, {"binary", "z"},  {"large_binary", "Z"}, {"date32", "tdD"},
        {"bool", "b"},       {"null", "n"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        roundtrip(names[i][0], NULL, names[i][1]);
    roundtrip("fixed_size_binary[16]", NULL, "w:16");
}

static void test_aliases(void **state)
{
    (void)state;
    roundtrip("string", "utf8", "u");
    roundtrip("int", "int64", "l");
    roundtrip("float", "float32", "f");
    roundtrip("double", "float64", "g");
    roundtrip("boolean", "bool", "b");
    roundtrip("large_string", "large_utf8", "U");
    roundtrip("date", "date32", "tdD");
    roundtrip("timestamp", "timestamp[us]", "tsu:");
    roundtrip("INT64", "int64", "l");
}

static void test_timestamps(void **state)
{
    (void)state;
    roundtrip("timestamp[s]", NULL, "tss:");
    roundtrip("timestamp[ms]", NULL, "tsm:");
    roundtrip("timestamp[us]", NULL, "tsu:");
    roundtrip("timestamp[ns]", NULL, "tsn:");
    roundtrip("timestamp[us, tz=UTC]", NULL, "tsu:UTC");
    roundtrip("timestamp[ ms ,tz = Europe/Paris ]", "timestamp[ms, tz=Europe/Paris]",
              "tsm:Europe/Paris");
}

static void test_nested(void **state)
{
    (void)state;
    roundtrip("list<int64>", NULL, "+l");
    roundtrip("large_list<utf8>", NULL, "+L");
    roundtrip("fixed_size_list<float32, 8>", NULL, "+w:8");
    roundtrip("struct<a: int32, b: utf8>", NULL, "+s");
    roundtrip("struct<>", NULL, "+s");
    roundtrip("list<struct<x: list<timestamp[us, tz=UTC]>, y: fixed_size_binary[4]>>", NULL, "+l");
    roundtrip("  list < struct < a:int , \"b c\" : string > >  ",
              "list<struct<a: int64, b c: utf8>>", "+l");

    struct ArrowSchema s;
    assert_int_equal(gnv__type_from_string(&s, "list<int8>", "x"), GNV_OK);
    assert_string_equal(s.children[0]->name, "item");
    gnv__schema_release(&s);
}

static void expect_error(const char *text, const char *needle)
{
    struct ArrowSchema s;
    assert_int_equal(gnv__type_from_string(&s, text, "c"), GNV_EINVAL);
    assert_null(s.release);
    const char *msg = gnv_error_last()->message;
    if (!strstr(msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", text, msg, needle);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("int65", "invalid type 'int65': unknown type name at position 1");
    expect_error("list<int64", "expected '>' at position 11");
    expect_error("list<>", "expected a type name at position 6");
    expect_error("fixed_size_binary[0]", "expected a positive number");
    expect_error("fixed_size_binary", "expected '['");
    expect_error("timestamp[hours]", "expected a time unit");
    expect_error("timestamp[us, zone=UTC]", "expected 'tz='");
    expect_error("struct<a int64>", "expected ':'");
    expect_error("struct<: int64>", "expected a field name");
    expect_error("int64 extra", "unexpected text after the type at position 7");
    expect_error("fixed_size_list<int8>", "expected ','");
    expect_error("", "expected a type name at position 1");
    /* deep nesting is refused, not a stack overflow */
    char deep[1200];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "list<");
    snprintf(deep + n, sizeof deep - n, "int8");
    expect_error(deep, "nested too deeply");
}

static void test_overrides(void **state)
{
    (void)state;
    gnv_type_overrides o;
    assert_int_equal(gnv__type_overrides_parse(&o, NULL), GNV_OK);
    assert_int_equal(o.n, 0);
    gnv__type_overrides_free(&o);

    assert_int_equal(gnv__type_overrides_parse(&o, " id : int32, ts:timestamp[ms, tz=UTC],"
                                                   "p:struct<a: int8, b: list<utf8>>,"),
                     GNV_OK);
    assert_int_equal(o.n, 3);
    assert_string_equal(o.items[0].name, "id");
    assert_string_equal(o.items[0].schema.format, "i");
    assert_string_equal(o.items[1].schema.format, "tsm:UTC");
    assert_string_equal(o.items[2].schema.name, "p");
    assert_int_equal(o.items[2].schema.n_children, 2);
    assert_non_null(gnv__type_overrides_find(&o, "ts"));
    assert_null(gnv__type_overrides_find(&o, "nope"));
    assert_int_equal(gnv__type_overrides_check_used(&o, "f.csv"), GNV_EINVAL);
    assert_non_null(strstr(gnv_error_last()->message,
                           "f.csv: type override names column 'id', which does not exist"));
    gnv__type_overrides_find(&o, "id");
    gnv__type_overrides_find(&o, "p");
    assert_int_equal(gnv__type_overrides_check_used(&o, "f.csv"), GNV_OK);
    gnv__type_overrides_free(&o);

    assert_int_equal(gnv__type_overrides_parse(&o, "a:int64,b"), GNV_EINVAL);
    assert_non_null(strstr(gnv_error_last()->message, "'b' is not of the form name:type"));
    assert_int_equal(gnv__type_overrides_parse(&o, "a:int64,a:utf8"), GNV_EINVAL);
    assert_non_null(strstr(gnv_error_last()->message, "given twice"));
    assert_int_equal(gnv__type_overrides_parse(&o, "a:bogus"), GNV_EINVAL);
    assert_non_null(
        strstr(gnv_error_last()->message, "type override for column 'a': invalid type 'bogus'"));
    assert_int_equal(gnv__type_overrides_parse(&o, ":int8"), GNV_EINVAL);
    assert_non_null(strstr(gnv_error_last()->message, "has no column name"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),    cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_timestamps), cmocka_unit_test(test_nested),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
