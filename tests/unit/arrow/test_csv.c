/* CSV import: tokenising, inference, overrides, streaming, errors; gnv_read_file. */
#include "gnv_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream_test.h"

/* ---- helpers -------------------------------------------------------------- */

static int csv(result *r, const char *text, const gnv_read_options *o)
{
    struct ArrowArrayStream s;
    int rc = gnv__csv_open_memory(&s, text, strlen(text), "data.csv", o);
    if (rc < 0) {
        assert_null(s.release);
        return rc;
    }
    return drain(r, &s);
}

/* Read text that must parse. */
static void csv_ok(result *r, const char *text, const gnv_read_options *o)
{
    int rc = csv(r, text, o);
    if (rc != GNV_OK)
        fail_msg("unexpected failure: %s", gnv_error_last()->message);
}

/* Read text that must fail with code and a message containing needle. */
static void csv_fails(const char *text, const gnv_read_options *o, int code, const char *needle)
{
    result r;
    int rc = csv(&r, text, o);
    if (rc == GNV_OK) {
        result_free(&r);
        fail_msg("expected failure '%s'", needle);
    }
    assert_int_equal(rc, code);
    const char *msg = gnv_error_last()->message;
    if (!strstr(msg, needle))
        fail_msg("message '%s' lacks '%s'", msg, needle);
}

/* ---- inference ------------------------------------------------------------ */

static void test_infer_types(void **state)
{
    (void)state;
    result r;
    csv_ok(&r,
           "i,f,b,d,ts,tz,s,n\n"
           "1,1.5,true,2024-01-15,2024-01-15 10:00:00,2024-01-15T10:00:00+02:00,x,\n"
           "-7,2e3,FALSE,1970-01-01,2024-01-15T10:00:00.123456,2024-01-15T08:00:00Z,,\n"
           ",,,,,,hello,\n",
           NULL);
    assert_int_equal(r.schema.n_children, 8);
    assert_string_equal(r.schema.children[0]->name, "i");
    assert_string_equal(col_type(&r, 0), "int64");
    assert_string_equal(col_type(&r, 1), "float64");
    assert_string_equal(col_type(&r, 2), "bool");
    assert_string_equal(col_type(&r, 3), "date32");
    assert_string_equal(col_type(&r, 4), "timestamp[us]");
    assert_string_equal(col_type(&r, 5), "timestamp[us, tz=UTC]");
    assert_string_equal(col_type(&r, 6), "utf8");
    assert_string_equal(col_type(&r, 7), "utf8"); /* only NULLs: utf8 */
    assert_int_equal(r.all.length, 3);
    assert_int_equal(gnv__view_get_int(col(&r, 0), 0), 1);
    assert_int_equal(gnv__view_get_int(col(&r, 0), 1), -7);
    assert_true(gnv__view_is_null(col(&r, 0), 2));
    assert_true(gnv__view_get_double(col(&r, 1), 0) == 1.5);
    assert_true(gnv__view_get_double(col(&r, 1), 1) == 2000.0);
    assert_true(gnv__view_get_bool(col(&r, 2), 0));
    assert_false(gnv__view_get_bool(col(&r, 2), 1));
    assert_int_equal(gnv__view_get_int(col(&r, 3), 0), 19737);
    assert_int_equal(gnv__view_get_int(col(&r, 3), 1), 0);
    assert_int_equal(gnv__view_get_int(col(&r, 4), 0), 1705312800000000LL);
    assert_int_equal(gnv__view_get_int(col(&r, 4), 1), 1705312800123456LL);
    /* +02:00 is normalised to UTC: both rows are 08:00Z */
    assert_int_equal(gnv__view_get_int(col(&r, 5), 0), 1705305600000000LL);
    assert_int_equal(gnv__view_get_int(col(&r, 5), 1), 1705305600000000LL);
    assert_str(col(&r, 6), 0, "x");
    assert_true(gnv__view_is_null(col(&r, 6), 1)); /* unquoted empty: NULL */
    assert_str(col(&r, 6), 2, "hello");
    for (int i = 0; i < 3; i++)
        assert_true(gnv__view_is_null(col(&r, 7), i));
    result_free(&r);
}

static void test_promotions(void **state)
{
    (void)state;
    result r;
    csv_ok(&r,
           "a,b,c,d,e,f\n"
           "1,1,2024-01-01,1,true,99999999999999999999\n"
           "2.5,x,2024-01-01 12:00:00,2024-01-01,1,1\n",
           NULL);
    assert_string_equal(col_type(&r, 0), "float64");       /* int + float */
    assert_string_equal(col_type(&r, 1), "utf8");          /* int + text */
    assert_string_equal(col_type(&r, 2), "timestamp[us]"); /* date + timestamp */
    assert_string_equal(col_type(&r, 3), "utf8");          /* int + date */
    assert_string_equal(col_type(&r, 4), "utf8");          /* bool + int */
    assert_string_equal(col_type(&r, 5), "float64");       /* int64 overflow is a float */
    assert_true(gnv__view_get_double(col(&r, 0), 0) == 1.0);
    assert_true(gnv__view_get_double(col(&r, 0), 1) == 2.5);
    assert_str(col(&r, 1), 0, "1");
    assert_int_equal(gnv__view_get_int(col(&r, 2), 0), 1704067200000000LL);
    assert_int_equal(gnv__view_get_int(col(&r, 2), 1), 1704067200000000LL + 43200000000LL);
    result_free(&r);

    /* strict numbers: no spaces, no hex, no nan/inf when inferring */
    csv_ok(&r, "a,b,c,d,e\n 1,0x10,nan,1.,.5\n", NULL);
    assert_string_equal(col_type(&r, 0), "utf8");
    assert_string_equal(col_type(&r, 1), "utf8");
    assert_string_equal(col_type(&r, 2), "utf8");
    assert_string_equal(col_type(&r, 3), "float64");
    assert_string_equal(col_type(&r, 4), "float64");
    result_free(&r);

    /* invalid dates are text */
    csv_ok(&r, "a,b\n2023-02-29,2024-13-01\n", NULL);
    assert_string_equal(col_type(&r, 0), "utf8");
    assert_string_equal(col_type(&r, 1), "utf8");
    result_free(&r);
}

/* ---- tokenising ----------------------------------------------------------- */

static void test_quoting(void **state)
{
    (void)state;
    result r;
    csv_ok(&r,
           "name,note\n"
           "\"a,b\",\"say \"\"hi\"\"\"\n"
           "\"multi\nline\",\"\"\n"
           "plain\"quote,\"x\"y\n",
           NULL);
    assert_int_equal(r.all.length, 3);
    assert_str(col(&r, 0), 0, "a,b");
    assert_str(col(&r, 1), 0, "say \"hi\"");
    assert_str(col(&r, 0), 1, "multi\nline");
    assert_str(col(&r, 1), 1, ""); /* quoted empty: the empty string */
    assert_str(col(&r, 0), 2, "plain\"quote");
    assert_str(col(&r, 1), 2, "xy");
    result_free(&r);

    /* quoted numbers are numbers; a quoted "" in a number column is NULL */
    csv_ok(&r, "a\n\"12\"\n\"\"\n3\n", NULL);
    assert_string_equal(col_type(&r, 0), "int64");
    assert_int_equal(gnv__view_get_int(col(&r, 0), 0), 12);
    assert_true(gnv__view_is_null(col(&r, 0), 1));
    result_free(&r);

    /* a quoted newline advances the line count used in messages */
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.infer_rows = 1;
    csv_fails("a,b\n1,\"x\ny\"\n2,z\nbad,w\n", &o, GNV_EINVAL,
              "data.csv: line 5, column 'a': 'bad' is not an int64; override the type with "
              "--types a:utf8");
}

static void test_crlf_bom_trailing(void **state)
{
    (void)state;
    result r;
    csv_ok(&r, "\xEF\xBB\xBFid,name\r\n1,\"x\r\ny\"\r\n2,last", NULL);
    assert_string_equal(r.schema.children[0]->name, "id"); /* BOM is not in the name */
    assert_string_equal(col_type(&r, 0), "int64");
    assert_int_equal(r.all.length, 2);
    assert_str(col(&r, 1), 0, "x\r\ny");
    assert_str(col(&r, 1), 1, "last");
    assert_int_equal(gnv__view_get_int(col(&r, 0), 1), 2);
    result_free(&r);

    /* blank lines are skipped, a lone CR inside a field is kept */
    csv_ok(&r, "a,b\n\n1,x\ry\r\n\r\n2,z\n\n", NULL);
    assert_int_equal(r.all.length, 2);
    assert_str(col(&r, 1), 0, "x\ry");
    assert_int_equal(gnv__view_get_int(col(&r, 0), 1), 2);
    result_free(&r);

    /* last field empty at EOF without newline */
    csv_ok(&r, "a,b\n1,", NULL);
    assert_int_equal(r.all.length, 1);
    assert_true(gnv__view_is_null(col(&r, 1), 0));
    result_free(&r);
}

static void test_delimiter_and_no_header(void **state)
{
    (void)state;
    result r;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.csv_delimiter = ';';
    csv_ok(&r, "a;b\n1,5;\"x;y\"\n", &o);
    assert_int_equal(r.schema.n_children, 2);
    assert_str(col(&r, 0), 0, "1,5");
    assert_str(col(&r, 1), 0, "x;y");
    result_free(&r);

    o.csv_delimiter = '\t';
    o.csv_no_header = 1;
    csv_ok(&r, "1\tx\n2\ty\n", &o);
    assert_string_equal(r.schema.children[0]->name, "f0");
    assert_string_equal(r.schema.children[1]->name, "f1");
    assert_string_equal(col_type(&r, 0), "int64");
    assert_int_equal(r.all.length, 2);
    assert_int_equal(gnv__view_get_int(col(&r, 0), 0), 1);
    assert_str(col(&r, 1), 1, "y");
    result_free(&r);

    o.csv_delimiter = '"';
    csv_fails("a\n", &o, GNV_EINVAL, "invalid CSV delimiter");
}

static void test_header_names(void **state)
{
    (void)state;
    result r;
    csv_ok(&r, "a,,a,a_2,\"\"\n1,2,3,4,5\n", NULL);
    assert_string_equal(r.schema.children[0]->name, "a");
    assert_string_equal(r.schema.children[1]->name, "f1");
    assert_string_equal(r.schema.children[2]->name, "a_2");
    assert_string_equal(r.schema.children[3]->name, "a_2_2"); /* a_2 was taken */
    assert_string_equal(r.schema.children[4]->name, "f4");
    result_free(&r);
    csv_ok(&r, "x,x,x\n", NULL);
    assert_string_equal(r.schema.children[1]->name, "x_2");
    assert_string_equal(r.schema.children[2]->name, "x_3");
    result_free(&r);
}

/* ---- overrides ------------------------------------------------------------ */

static void test_overrides(void **state)
{
    (void)state;
    result r;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.types = "a:int32, b:uint8,c:float32,d:utf8,e:binary,f:timestamp[ms],g:date32,"
              "h:large_utf8,i:bool,j:float64,k:timestamp[s, tz=UTC],l:uint64,m:int8,"
              "n:fixed_size_binary[2],p:float16";
    csv_ok(&r,
           "a,b,c,d,e,f,g,h,i,j,k,l,m,n,p\n"
           "1,255,0.5,42,\xff\xfe,2024-01-15 10:00:00.5,2024-01-15,x,True,nan,"
           "2024-01-15T12:00:00+02:00,18446744073709551615,-128,ab,1.5\n"
           ",,,,\"\",2024-01-15,,\"\",,-inf,,,,,\n",
           &o);
    assert_string_equal(col_type(&r, 0), "int32");
    assert_string_equal(col_type(&r, 1), "uint8");
    assert_string_equal(col_type(&r, 2), "float32");
    assert_string_equal(col_type(&r, 3), "utf8");
    assert_string_equal(col_type(&r, 4), "binary");
    assert_string_equal(col_type(&r, 5), "timestamp[ms]");
    assert_string_equal(col_type(&r, 6), "date32");
    assert_string_equal(col_type(&r, 7), "large_utf8");
    assert_string_equal(col_type(&r, 10), "timestamp[s, tz=UTC]");
    assert_int_equal(gnv__view_get_int(col(&r, 0), 0), 1);
    assert_int_equal(gnv__view_get_uint(col(&r, 1), 0), 255);
    assert_true(gnv__view_get_double(col(&r, 2), 0) == 0.5);
    assert_str(col(&r, 3), 0, "42");
    assert_str(col(&r, 4), 0, "\xff\xfe"); /* binary: raw bytes, no UTF-8 check */
    assert_str(col(&r, 4), 1, "");
    assert_int_equal(gnv__view_get_int(col(&r, 5), 0), 1705312800500LL);
    assert_int_equal(gnv__view_get_int(col(&r, 5), 1), 1705276800000LL); /* date: midnight */
    assert_int_equal(gnv__view_get_int(col(&r, 6), 0), 19737);
    assert_str(col(&r, 7), 0, "x");
    assert_str(col(&r, 7), 1, "");
    assert_true(gnv__view_get_bool(col(&r, 8), 0));
    assert_true(isnan(gnv__view_get_double(col(&r, 9), 0)));
    assert_true(gnv__view_get_double(col(&r, 9), 1) == -INFINITY);
    assert_int_equal(gnv__view_get_int(col(&r, 10), 0), 1705312800LL);
    assert_true(gnv__view_get_uint(col(&r, 11), 0) == UINT64_MAX);
    assert_int_equal(gnv__view_get_int(col(&r, 12), 0), -128);
    assert_str(col(&r, 13), 0, "ab");
    assert_true(gnv__view_get_double(col(&r, 14), 0) == 1.5);
    for (int c = 0; c < 15; c++)
        if (c != 4 && c != 5 && c != 7 && c != 9)
            assert_true(gnv__view_is_null(col(&r, c), 1));
    result_free(&r);

    o.types = "a:int8";
    csv_fails("a\n1\n300\n", &o, GNV_EINVAL,
              "data.csv: line 3, column 'a': '300' is not an int8 (out of range)");
    o.types = "zz:int8";
    csv_fails("a\n1\n", &o, GNV_EINVAL,
              "data.csv: type override names column 'zz', which does not exist");
    o.types = "a:list<int8>";
    csv_fails("a\n1\n", &o, GNV_EINVAL, "column 'a' cannot be read as list<int8> from CSV");
    o.types = "a:nonsense";
    csv_fails("a\n1\n", &o, GNV_EINVAL, "type override for column 'a': invalid type");
    o.types = "a:bool";
    csv_fails("a\nyes\n", &o, GNV_EINVAL, "line 2, column 'a': 'yes' is not a bool");
    o.types = "a:date32";
    csv_fails("a\n2024-1-1\n", &o, GNV_EINVAL, "'2024-1-1' is not a date32 (YYYY-MM-DD)");
    o.types = "a:fixed_size_binary[3]";
    csv_fails("a\nabcd\n", &o, GNV_EINVAL, "'abcd' is not a fixed_size_binary[3]");
}

/* ---- batches and streaming ------------------------------------------------- */

static void test_batches(void **state)
{
    (void)state;
    result r;
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.batch_rows = 3;
    o.infer_rows = 4;
    csv_ok(&r, "n\n0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n", &o);
    assert_int_equal(r.batches, 4);
    assert_int_equal(r.batch_len[0], 3);
    assert_int_equal(r.batch_len[3], 1);
    assert_int_equal(r.all.length, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(gnv__view_get_int(col(&r, 0), i), i);
    result_free(&r);

    /* header only: the columns, no batches */
    csv_ok(&r, "a,b\n", NULL);
    assert_int_equal(r.schema.n_children, 2);
    assert_string_equal(col_type(&r, 0), "utf8");
    assert_int_equal(r.batches, 0);
    result_free(&r);
}

static void test_big_file_streamed(void **state)
{
    (void)state;
    char path[] = "/tmp/gnv_test_csv_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    const int64_t rows = 120000; /* about 6 MB: several 1 MiB blocks */
    fprintf(f, "id,x,label\n");
    for (int64_t i = 0; i < rows; i++)
        fprintf(f, "%lld,%lld.25,\"row %lld, quoted \"\"text\"\" padding padding\"\n", (long long)i,
                (long long)i, (long long)i);
    fclose(f);

    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.batch_rows = 50000;
    struct ArrowArrayStream s;
    struct ArrowSchema schema;
    assert_int_equal(gnv__csv_open_path(&s, path, &o), GNV_OK);
    assert_int_equal(gnv__stream_get_schema(&s, &schema), GNV_OK);
    int64_t seen = 0, batches = 0;
    for (;;) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&s, &a);
        if (rc == GNV_ITEROVER)
            break;
        assert_int_equal(rc, GNV_OK);
        assert_true(a.length <= 50000);
        gnv_array_view v;
        assert_int_equal(gnv__array_view_init(&v, &schema, &a), GNV_OK);
        for (int64_t i = 0; i < a.length; i++) {
            int64_t id = seen + i;
            assert_int_equal(gnv__view_get_int(&v.children[0], i), id);
            assert_true(gnv__view_get_double(&v.children[1], i) == (double)id + 0.25);
        }
        char expect[96];
        snprintf(expect, sizeof expect, "row %lld, quoted \"text\" padding padding",
                 (long long)(seen + a.length - 1));
        assert_str(&v.children[2], a.length - 1, expect);
        gnv__array_view_reset(&v);
        seen += a.length;
        batches++;
        gnv__array_release(&a);
    }
    assert_int_equal(seen, rows);
    assert_int_equal(batches, 3);
    gnv__schema_release(&schema);
    gnv__stream_release(&s);
    unlink(path);
}

/* ---- errors --------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    csv_fails("", NULL, GNV_EINVAL, "data.csv: the file is empty (no header line)");
    csv_fails("\n\n", NULL, GNV_EINVAL, "data.csv: the file is empty (no header line)");
    /* ragged rows, inside and after the inference window */
    csv_fails("a,b,c,d\n1,2,3,4\n1,2,3,4,5\n", NULL, GNV_EINVAL,
              "data.csv: line 3: expected 4 fields, found 5");
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.infer_rows = 1;
    csv_fails("a,b\n1,2\n3,4\n5\n", &o, GNV_EINVAL, "data.csv: line 4: expected 2 fields, found 1");
    /* the quote opened on line 3 never closes */
    csv_fails("a,b\n1,2\n3,\"open\n4,5\n", NULL, GNV_EINVAL,
              "data.csv: line 3: unterminated quoted field: the quote opened on this line is "
              "never closed");
    csv_fails("a\n\"x", NULL, GNV_EINVAL, "data.csv: line 2: unterminated quoted field");
    /* invalid UTF-8 in a utf8 column */
    csv_fails("id,name\n1,ok\n2,bad\xc3(\n", NULL, GNV_EINVAL,
              "data.csv: line 3, column 'name': invalid UTF-8 at byte 4 of the value");
    csv_fails("a,b\xff\n1,2\n", NULL, GNV_EINVAL,
              "line 1: the name of column 2 is not valid UTF-8");
    csv_fails("\xEF\xBBx\n", NULL, GNV_EINVAL, "broken UTF-8 byte order mark");

    /* a later value that does not fit the inferred type */
    gnv_buf big = GNV_BUF_INIT;
    assert_int_equal(gnv__buf_puts(&big, "id,age\n"), GNV_OK);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(gnv__buf_printf(&big, "%d,%d\n", i, i % 90), GNV_OK);
    assert_int_equal(gnv__buf_puts(&big, "20000,abc\n"), GNV_OK);
    csv_fails(big.ptr, NULL, GNV_EINVAL,
              "data.csv: line 20002, column 'age': 'abc' is not an int64; override the type "
              "with --types age:utf8");
    gnv_buf_dispose(&big);

    /* later bool/date/timestamp mismatches, long values cut short */
    o.infer_rows = 1;
    csv_fails("t\n2024-01-01T00:00:00\n2024-01-01T25:00:00\n", &o, GNV_EINVAL,
              "line 3, column 't': '2024-01-01T25:00:00' is not a timestamp[us]");
    csv_fails("f\n1.5\n1.5.5\n", &o, GNV_EINVAL, "'1.5.5' is not a float64");
    csv_fails("f\n1\n"
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
              &o, GNV_EINVAL,
              "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is not an int64");

    /* the stream keeps failing after an error */
    struct ArrowArrayStream s;
    struct ArrowArray a;
    const char *text = "a\n1\nx\n";
    assert_int_equal(gnv__csv_open_memory(&s, text, strlen(text), "data.csv", &o), GNV_OK);
    assert_int_equal(gnv__stream_next(&s, &a), GNV_EINVAL);
    assert_int_equal(gnv__stream_next(&s, &a), GNV_EINVAL);
    assert_non_null(strstr(gnv_error_last()->message, "line 3, column 'a'"));
    assert_null(a.release);
    gnv__stream_release(&s);

    assert_int_equal(gnv__csv_open_path(&s, "/nonexistent/data.csv", NULL), GNV_ENOTFOUND);
    assert_non_null(strstr(gnv_error_last()->message, "no such file"));
}

/* Every allocation failure is reported as GNV_ENOMEM without leaks. */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *text = "a,b,c\n1,x,2024-01-01\n2.5,\"y\"\"z\",\n";
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.types = "c:timestamp[ms]";
    for (uint64_t n = 1;; n++) {
        struct ArrowArrayStream s;
        struct ArrowArray a;
        gnv__alloc_fail_at(n, false);
        int rc = gnv__csv_open_memory(&s, text, strlen(text), "data.csv", &o);
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
        assert_int_equal(rc, GNV_ENOMEM);
    }
}

/* ---- gnv_read_file ---------------------------------------------------------- */

static char *data_path(const char *name)
{
    static char buf[4096];
    const char *dir = getenv("GNV_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/import/%s", dir ? dir : "tests/data", name);
    return buf;
}

static int read_file(result *r, const char *path, const gnv_read_options *o)
{
    struct ArrowArrayStream s;
    int rc = gnv_read_file(&s, path, o);
    if (rc < 0)
        return rc;
    return drain(r, &s);
}

static void test_read_file(void **state)
{
    (void)state;
    result r;
    assert_int_equal(read_file(&r, data_path("people.csv"), NULL), GNV_OK);
    assert_int_equal(r.schema.n_children, 4);
    assert_string_equal(col_type(&r, 1), "int64");
    assert_int_equal(r.all.length, 3);
    result_free(&r);

    /* .tsv: tab-delimited */
    assert_int_equal(read_file(&r, data_path("people.tsv"), NULL), GNV_OK);
    assert_int_equal(r.schema.n_children, 3);
    assert_str(col(&r, 0), 1, "Bob, Jr.");
    result_free(&r);

    assert_int_equal(read_file(&r, data_path("events.jsonl"), NULL), GNV_OK);
    assert_string_equal(r.schema.children[0]->name, "id");
    result_free(&r);

    /* no known extension: sniffed from the contents */
    assert_int_equal(read_file(&r, data_path("events.txt"), NULL), GNV_OK);
    assert_string_equal(col_type(&r, 2), "struct<x: float64, y: int64>");
    result_free(&r);
    assert_int_equal(read_file(&r, data_path("people.data"), NULL), GNV_OK);
    assert_int_equal(r.schema.n_children, 4);
    result_free(&r);

    /* an explicit format wins over the extension */
    gnv_read_options o = GNV_READ_OPTIONS_INIT;
    o.format = GNV_FILE_JSONL;
    assert_int_equal(read_file(&r, data_path("people.csv"), &o), GNV_EINVAL);
    assert_non_null(strstr(gnv_error_last()->message, "people.csv: line 1: invalid JSON"));
    o.format = GNV_FILE_CSV;
    o.csv_no_header = 1;
    assert_int_equal(read_file(&r, data_path("people.data"), &o), GNV_OK);
    assert_string_equal(r.schema.children[0]->name, "f0");
    result_free(&r);

    struct ArrowArrayStream s;
    assert_int_equal(gnv_read_file(&s, data_path("missing.csv"), NULL), GNV_ENOTFOUND);
    assert_int_equal(gnv_read_file(&s, data_path("missing.bin"), NULL), GNV_ENOTFOUND);
    o.version = 99;
    assert_int_equal(gnv_read_file(&s, data_path("people.csv"), &o), GNV_EVERSION);
    assert_null(s.release);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infer_types),
        cmocka_unit_test(test_promotions),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_crlf_bom_trailing),
        cmocka_unit_test(test_delimiter_and_no_header),
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_big_file_streamed),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
