/* JSON Lines import: inference of scalars, structs and lists, overrides, streaming
 * and every error message. */
#include "gnv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream_test.h"

/* ---- helpers -------------------------------------------------------------- */

static int jsonl(result *r, const char *text, const gnv_read_options *o)
{
    struct ArrowArrayStream s;
    int rc = gnv__jsonl_open_memory(&s, text, strlen(text), "data.jsonl", o);
    if (rc < 0) {
        assert_null(s.release);
        return rc;
    }
    return drain(r, &s);
}

static void jsonl_ok(result *r, const char *text, const gnv_read_options *o)
{
    if (jsonl(r, text, o) != GNV_OK)
        fail_msg("unexpected failure: %s", gnv_error_last()->message);
}

static void jsonl_fails(const char *text, const gnv_read_options *o, const char *needle)
{
    result r;
    int rc = jsonl(&r, text, o);
    if (rc == GNV_OK) {
        result_free(&r);
        fail_msg("expected failure '%s'", needle);
    }
    assert_int_equal(rc, GNV_EINVAL);
    const char *msg = gnv_error_last()->message;
    if (!strstr(msg, needle))
        fail_msg("message '%s' lacks '%s'", msg, needle);
}

/* ---- inference ------------------------------------------------------------ */

static void test_scalars(void **state)
{
    (void)state;
    result r;
    jsonl_ok(&r,
             "{\"i\": 1, \"f\": 1.5, \"s\": \"x\", \"b\": true, \"n\": null, "
             "\"d\": \"2024-01-15\"}\n"
             "{\"i\": -2, \"f\": 2, \"s\": \"\", \"b\": false, \"d\": \"2024-01-16\"}\n"
             "{\"late\": 3}\n",
             NULL);
    assert_int_equal(r.schema.n_children, 7);
    const char *names[] = {"i", "f", "s", "b", "n", "d", "late"};
    for (int i = 0; i < 7; i++)
        assert_string_equal(r.schema.children[i]->name, names[i]);
    assert_string_equal(col_type(&r, 0), "int64");
    assert_string_equal(col_type(&r, 1), "float64"); /* real + integer */
    assert_string_equal(col_type(&r, 2), "utf8");
    assert_string_equal(col_type(&r, 3), "bool");
    assert_string_equal(col_type(&r, 4), "utf8"); /* only null: utf8 */
    assert_string_equal(col_type(&r, 5), "utf8"); /* dates stay strings */
    assert_string_equal(col_type(&r, 6), "int64");
    assert_int_equal(r.all.length, 3);
    assert_int_equal(gnv__view_get_int(col(&r, 0), 1), -2);
    assert_true(gnv__view_is_null(col(&r, 0), 2)); /* missing key: NULL */
    assert_true(gnv__view_get_double(col(&r, 1), 1) == 2.0);
    assert_str(col(&r, 2), 1, "");
    assert_true(gnv__view_get_bool(col(&r, 3), 0));
    assert_true(gnv__view_is_null(col(&r, 4), 0));
    assert_str(col(&r, 5), 0, "2024-01-15");
    assert_int_equal(gnv__view_get_int(col(&r, 6), 2), 3);
    result_free(&r);
}

static void test_nested(void **state)
{
    (void)state;
    result r;
    jsonl_ok(&r,
             "{\"p\": {\"x\": 1, \"tags\": []}, \"l\": [], \"m\": [[1, 2], []]}\n"
             "{\"p\": {\"y\": \"a\", \"x\": 2.5}, \"l\": [null], \"m\": null}\n"
             "{\"p\": null, \"l\": [{\"k\": true}, null, {\"j\": 1}], \"e\": []}\n",
             NULL);
    assert_string_equal(col_type(&r, 0), "struct<x: float64, tags: list<utf8>, y: utf8>");
    assert_string_equal(col_type(&r, 1), "list<struct<k: bool, j: int64>>");
    assert_string_equal(col_type(&r, 2), "list<list<int64>>");
    assert_string_equal(col_type(&r, 3), "list<utf8>"); /* only empty arrays */
    const gnv_array_view *p = col(&r, 0);
    assert_true(gnv__view_get_double(&p->children[0], 0) == 1.0);
    assert_true(gnv__view_get_double(&p->children[0], 1) == 2.5);
    assert_true(gnv__view_is_null(&p->children[2], 0));
    assert_str(&p->children[2], 1, "a");
    assert_true(gnv__view_is_null(p, 2));
    const gnv_array_view *l = col(&r, 1);
    int64_t s, e;
    gnv__view_list_range(l, 0, &s, &e);
    assert_int_equal(e - s, 0);
    gnv__view_list_range(l, 2, &s, &e);
    assert_int_equal(e - s, 3);
    const gnv_array_view *item = &l->children[0];
    assert_true(gnv__view_get_bool(&item->children[0], s));
    assert_true(gnv__view_is_null(item, s + 1));
    assert_int_equal(gnv__view_get_int(&item->children[1], s + 2), 1);
    assert_true(gnv__view_is_null(&item->children[0], s + 2));
    const gnv_array_view *m = col(&r, 2);
    gnv__view_list_range(m, 0, &s, &e);
    assert_int_equal(e - s, 2);
    int64_t s2, e2;
    gnv__view_list_range(&m->children[0], s, &s2, &e2);
    assert_int_equal(e2 - s2, 2);
    assert_int_equal(gnv__view_get_int(&m->children[0].children[0], s2 + 1), 2);
    assert_true(gnv__view_is_null(m, 1));
    assert_true(gnv__view_is_null(col(&r, 3), 0));
    result_free(&r);
}

static void test_lines(void **state)
{
    (void)state;
    result r;
    /* BOM, CRLF, blank lines, no final newline */
    jsonl_ok(&r, "\xEF\xBB\xBF{\"a\": 1}\r\n\r\n   \n{\"a\": 2}", NULL);
    assert_string_equal(r.schema.children[0]->name, "a");
    assert_int_equal(r.all.length, 2);
    assert_int_equal(gnv__view_get_int(col(&r, 0), 1), 2);
    result_free(&r);

    /* empty input: empty schema, no batches */
    jsonl_ok(&r, "", NULL);
    assert_int_equal(r.schema.n_children, 0);
    assert_string_equal(r.schema.format, "+s");
    assert_int_equal(r.batches, 0);
    result_free(&r);
    jsonl_ok(&r, "\n\n", NULL);
    assert_int_equal(r.batches, 0);
    result_free(&r);

    /* {} lines give rows of NULLs */
    jsonl_ok(&r, "{\"a\": 1}\n{}\n", NULL);
    assert_int_equal(r.all.length, 2);
    assert_true(gnv__view_is_null(col(&r, 0), 1));
    result_free(&r);
}

static void test_overrides(void **state)
{
    (void)state;
    result r;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.types = "id:int32,d:date32,t:timestamp[ms, tz=UTC],bin:binary,any:utf8,"
              "l:list<int8>,s:struct<a: int16, b: list<utf8>>,f:float32,"
              "fx:fixed_size_binary[2],fl:fixed_size_list<int64, 2>";
    jsonl_ok(&r,
             "{\"id\": 7, \"d\": \"2024-01-15\", \"t\": \"2024-01-15T10:00:00+01:00\", "
             "\"bin\": \"aGk=\", \"any\": {\"k\": [1, 2]}, \"l\": [1, -2], "
             "\"s\": {\"a\": 5, \"b\": [\"x\"]}, \"f\": 1, \"fx\": \"AAE\", \"fl\": [3, 4]}\n"
             "{\"id\": null, \"d\": 1, \"t\": 1000, \"bin\": \"\", \"any\": \"str\", "
             "\"s\": {}, \"f\": 0.5}\n"
             "{\"any\": 12.5}\n",
             &o);
    assert_string_equal(col_type(&r, 0), "int32");
    assert_string_equal(col_type(&r, 2), "timestamp[ms, tz=UTC]");
    assert_string_equal(col_type(&r, 6), "struct<a: int16, b: list<utf8>>");
    assert_int_equal(gnv__view_get_int(col(&r, 0), 0), 7);
    assert_true(gnv__view_is_null(col(&r, 0), 1));
    assert_int_equal(gnv__view_get_int(col(&r, 1), 0), 19737);
    assert_int_equal(gnv__view_get_int(col(&r, 1), 1), 1);
    assert_int_equal(gnv__view_get_int(col(&r, 2), 0), 1705309200000LL);
    assert_int_equal(gnv__view_get_int(col(&r, 2), 1), 1000);
    assert_str(col(&r, 3), 0, "hi"); /* base64 decoded */
    assert_str(col(&r, 3), 1, "");
    assert_str(col(&r, 4), 0, "{\"k\":[1,2]}"); /* utf8 override: JSON text */
    assert_str(col(&r, 4), 1, "str");
    assert_str(col(&r, 4), 2, "12.5");
    int64_t s, e;
    gnv__view_list_range(col(&r, 5), 0, &s, &e);
    assert_int_equal(gnv__view_get_int(&col(&r, 5)->children[0], s + 1), -2);
    assert_int_equal(gnv__view_get_int(&col(&r, 6)->children[0], 0), 5);
    assert_true(gnv__view_is_null(&col(&r, 6)->children[0], 1));
    assert_true(gnv__view_get_double(col(&r, 7), 1) == 0.5);
    int64_t n;
    const uint8_t *fx = gnv__view_get_bytes(col(&r, 8), 0, &n);
    assert_int_equal(n, 2);
    assert_int_equal(fx[1], 1);
    gnv__view_list_range(col(&r, 9), 0, &s, &e);
    assert_int_equal(e - s, 2);
    assert_int_equal(gnv__view_get_int(&col(&r, 9)->children[0], s + 1), 4);
    assert_true(gnv__view_is_null(col(&r, 9), 1));
    result_free(&r);

    /* an override removes the conflict check for its column */
    o.types = "v:utf8";
    jsonl_ok(&r, "{\"v\": \"a\"}\n{\"v\": {\"x\": 1}}\n", &o);
    assert_str(col(&r, 0), 1, "{\"x\":1}");
    result_free(&r);

    o.types = "nope:int64";
    jsonl_fails("{\"a\": 1}\n", &o,
                "data.jsonl: type override names column 'nope', which does not exist");
    o.types = "a:int8";
    jsonl_fails("{\"a\": 1}\n{\"a\": 1000}\n", &o,
                "data.jsonl: line 2: field 'a': expected int8, found an integer 1000 "
                "(out of range)");
    o.types = "a:binary";
    jsonl_fails("{\"a\": \"@@\"}\n", &o,
                "line 1: field 'a': expected binary, found a string "
                "\"@@\" (not valid base64)");
    o.types = "a:date32";
    jsonl_fails("{\"a\": \"15/01/2024\"}\n", &o, "dates are \"YYYY-MM-DD\"");
    o.types = "a:fixed_size_list<int8, 2>";
    jsonl_fails("{\"a\": [1]}\n", &o, "(wrong number of items)");
}

static void test_binary_fixed(void **state)
{
    (void)state;
    result r;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.types = "fx:fixed_size_binary[2],b:large_binary";
    jsonl_ok(&r, "{\"fx\": \"AAE=\", \"b\": \"_-8\"}\n", &o);
    int64_t n;
    const uint8_t *p = gnv__view_get_bytes(col(&r, 0), 0, &n);
    assert_int_equal(n, 2);
    assert_int_equal(p[0], 0);
    assert_int_equal(p[1], 1);
    p = gnv__view_get_bytes(col(&r, 1), 0, &n); /* URL-safe alphabet */
    assert_int_equal(n, 2);
    assert_int_equal(p[0], 0xff);
    assert_int_equal(p[1], 0xef);
    result_free(&r);
    o.types = "fx:fixed_size_binary[3]";
    jsonl_fails("{\"fx\": \"AAE=\"}\n", &o, "(wrong length)");
}

/* ---- batches and streaming ------------------------------------------------- */

static void test_batches_and_big_file(void **state)
{
    (void)state;
    result r;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.batch_rows = 2;
    o.infer_rows = 2;
    jsonl_ok(&r, "{\"n\": 0}\n{\"n\": 1}\n{\"n\": 2}\n{\"n\": 3}\n{\"n\": 4}\n", &o);
    assert_int_equal(r.batches, 3);
    assert_int_equal(r.all.length, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(gnv__view_get_int(col(&r, 0), i), i);
    result_free(&r);

    char path[] = "/tmp/gnv_test_jsonl_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    const int64_t rows = 60000; /* about 5 MB */
    for (int64_t i = 0; i < rows; i++)
        fprintf(f,
                "{\"id\": %lld, \"name\": \"item %lld with some padding text\", "
                "\"v\": {\"a\": [%lld, %lld]}}\n",
                (long long)i, (long long)i, (long long)i, (long long)(i * 2));
    fclose(f);
    struct ArrowArrayStream s;
    struct ArrowSchema schema;
    o.batch_rows = 25000;
    o.infer_rows = 0;
    assert_int_equal(gnv__jsonl_open_path(&s, path, &o), GNV_OK);
    assert_int_equal(gnv__stream_get_schema(&s, &schema), GNV_OK);
    int64_t seen = 0;
    for (;;) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER)
            break;
        assert_int_equal(rc, GNV_OK);
        gnv_array_view v;
        assert_int_equal(gnv__array_view_init(&v, &schema, &a), GNV_OK);
        for (int64_t i = 0; i < a.length; i++)
            assert_int_equal(gnv__view_get_int(&v.children[0], i), seen + i);
        int64_t st, en;
        const gnv_array_view *list = &v.children[2].children[0];
        gnv__view_list_range(list, a.length - 1, &st, &en);
        assert_int_equal(en - st, 2);
        assert_int_equal(gnv__view_get_int(&list->children[0], st + 1), (seen + a.length - 1) * 2);
        gnv__array_view_reset(&v);
        seen += a.length;
        gnv__array_release(&a);
    }
    assert_int_equal(seen, rows);
    gnv__schema_release(&schema);
    gnv__stream_release(&s);
    unlink(path);
}

/* ---- errors --------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    jsonl_fails("{\"a\": 1}\n[1, 2]\n", NULL,
                "data.jsonl: line 2: expected a JSON object, found an array");
    jsonl_fails("{\"a\": 1}\n\n{\"a\": \n", NULL, "data.jsonl: line 3: invalid JSON");
    jsonl_fails("\"text\"\n", NULL, "line 1: expected a JSON object, found a string");
    /* incompatible types for one key during inference */
    jsonl_fails("{\"a\": {\"b\": \"x\"}}\n{}\n{}\n{}\n{}\n{}\n{\"a\": {\"b\": {\"c\": 1}}}\n", NULL,
                "data.jsonl: line 7: field 'a.b' is an object here but a string on line 1");
    jsonl_fails("{\"l\": [1, \"x\"]}\n", NULL,
                "line 1: field 'l[]' is a string here but an integer on line 1");
    jsonl_fails("{\"a\": true}\n{\"a\": 1}\n", NULL,
                "line 2: field 'a' is an integer here but a boolean on line 1");

    /* later values that do not fit */
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.infer_rows = 2;
    jsonl_fails("{\"a\": 1}\n{\"a\": 2}\n{\"a\": \"x\"}\n", &o,
                "data.jsonl: line 3: field 'a': expected int64, found a string \"x\"");
    jsonl_fails("{\"a\": {\"b\": 1}}\n{\"a\": {\"b\": 2}}\n{\"a\": {\"b\": [1]}}\n", &o,
                "data.jsonl: line 3: field 'a.b': expected int64, found an array [1]");
    jsonl_fails("{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3, \"zz\": 1}\n", &o,
                "data.jsonl: line 3: field 'zz' was not seen in the first 2 lines used to infer "
                "the schema; increase infer_rows");
    jsonl_fails("{\"a\": {\"b\": 1}}\n{\"a\": null}\n{\"a\": {\"c\": 1}}\n", &o,
                "line 3: field 'a.c' was not seen");
    jsonl_fails("{\"a\": 1.5}\n{\"a\": 2}\n{\"a\": false}\n", &o,
                "line 3: field 'a': expected float64, found a boolean false");
    jsonl_fails("{\"a\": [1]}\n{\"a\": []}\n\n{\"a\": [2, 2.5]}\n", &o,
                "line 4: field 'a[]': expected int64, found a real number 2.5");

    /* sticky failure */
    struct ArrowArrayStream s;
    struct ArrowArray a;
    const char *text = "{\"a\": 1}\n{\"a\": \"x\"}\n";
    o.infer_rows = 1;
    assert_int_equal(gnv__jsonl_open_memory(&s, text, strlen(text), "data.jsonl", &o), GNV_OK);
    assert_int_equal(gnv__stream_next(&s, &a), GNV_EINVAL);
    assert_int_equal(gnv__stream_next(&s, &a), GNV_EINVAL);
    assert_non_null(strstr(gnv_error_last()->message, "line 2: field 'a'"));
    gnv__stream_release(&s);

    assert_int_equal(gnv__jsonl_open_path(&s, "/nonexistent/x.jsonl", NULL), GNV_ENOTFOUND);

    /* deep nesting is refused */
    gnv_buf deep = GNV_BUF_INIT;
    for (int i = 0; i < 100; i++)
        assert_int_equal(gnv__buf_puts(&deep, "{\"a\": "), GNV_OK);
    assert_int_equal(gnv__buf_puts(&deep, "1"), GNV_OK);
    for (int i = 0; i < 100; i++)
        assert_int_equal(gnv__buf_putc(&deep, '}'), GNV_OK);
    assert_int_equal(gnv__buf_putc(&deep, '\0'), GNV_OK);
    jsonl_fails(deep.ptr, NULL, "nested too deeply");
    gnv_buf_dispose(&deep);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    const char *text = "{\"a\": 1, \"s\": {\"x\": [1.5]}}\n{\"a\": null, \"b\": \"cQ==\"}\n";
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.types = "b:binary";
    for (uint64_t n = 1;; n++) {
        struct ArrowArrayStream s;
        struct ArrowArray a;
        gnv__alloc_fail_at(n, false);
        int rc = gnv__jsonl_open_memory(&s, text, strlen(text), "data.jsonl", &o);
        while (rc == GNV_OK) {
            rc = gnv__stream_next(&s, &a);
            gnv__array_release(&a);
        }
        uint64_t made = gnv__alloc_fail_at(0, false);
        gnv__stream_release(&s);
        if (made < n) { /* no allocation failed: the body must have succeeded */
            assert_int_equal(rc, GNV_ITEROVER);
            break;
        }
        if (rc == GNV_ITEROVER)
            continue; /* the failure was recovered from */
        /* jansson reports its allocation failures as parse errors */
        assert_true(rc == GNV_ENOMEM || rc == GNV_EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),      cmocka_unit_test(test_nested),
        cmocka_unit_test(test_lines),        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_binary_fixed), cmocka_unit_test(test_batches_and_big_file),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
