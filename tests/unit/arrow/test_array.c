/* arrow core: type parsing, owned schemas, builders, views, validation, slices,
 * concatenation and streams. */
#include "gnv_test.h"

#include <errno.h>
#include <math.h>

#include "arrow/arrow.h"

/* Build a one-field schema from type text of the form accepted by gnv__schema_init. */
static void schema1(struct ArrowSchema *s, const char *format, const char *name)
{
    GNV_ASSERT_OK(gnv__schema_init(s, format, name, ARROW_FLAG_NULLABLE));
}

static void test_type_parse(void **state)
{
    (void)state;
    struct {
        const char *fmt;
        gnv_type_id id;
        int size;
    } cases[] = {
        {"n", GNV_TYPE_NA, 0},
        {"b", GNV_TYPE_BOOL, 0},
        {"c", GNV_TYPE_INT8, 1},
        {"C", GNV_TYPE_UINT8, 1},
        {"s", GNV_TYPE_INT16, 2},
        {"S", GNV_TYPE_UINT16, 2},
        {"i", GNV_TYPE_INT32, 4},
        {"I", GNV_TYPE_UINT32, 4},
        {"l", GNV_TYPE_INT64, 8},
        {"L", GNV_TYPE_UINT64, 8},
        {"e", GNV_TYPE_HALF_FLOAT, 2},
        {"f", GNV_TYPE_FLOAT, 4},
        {"g", GNV_TYPE_DOUBLE, 8},
        {"u", GNV_TYPE_STRING, 0},
        {"U", GNV_TYPE_LARGE_STRING, 0},
        {"z", GNV_TYPE_BINARY, 0},
        {"Z", GNV_TYPE_LARGE_BINARY, 0},
        {"w:16", GNV_TYPE_FIXED_SIZE_BINARY, 16},
        {"tdD", GNV_TYPE_DATE32, 4},
        {"tsu:", GNV_TYPE_TIMESTAMP, 8},
        {"+l", GNV_TYPE_LIST, 0},
        {"+L", GNV_TYPE_LARGE_LIST, 0},
        {"+w:8", GNV_TYPE_FIXED_SIZE_LIST, 0},
        {"+s", GNV_TYPE_STRUCT, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gnv_type t;
        GNV_ASSERT_OK(gnv__type_parse(&t, cases[i].fmt));
        assert_int_equal(t.id, cases[i].id);
        assert_int_equal(gnv__type_byte_width(&t), cases[i].size);
    }
    gnv_type t;
    GNV_ASSERT_OK(gnv__type_parse(&t, "tsn:Europe/Paris"));
    assert_int_equal(t.unit, GNV_UNIT_NANO);
    assert_string_equal(t.timezone, "Europe/Paris");
    GNV_ASSERT_OK(gnv__type_parse(&t, "tss:"));
    assert_null(t.timezone);
    GNV_ASSERT_ERR(gnv__type_parse(&t, "d:10,2,256"), GNV_ENOTSUP, "d:10,2,256");
    GNV_ASSERT_ERR(gnv__type_parse(&t, "+w:0"), GNV_ENOTSUP, "+w:0");
    GNV_ASSERT_ERR(gnv__type_parse(&t, "w:x"), GNV_ENOTSUP, NULL);
    GNV_ASSERT_ERR(gnv__type_parse(&t, "tsq:"), GNV_ENOTSUP, NULL);
    GNV_ASSERT_ERR(gnv__type_parse(&t, ""), GNV_EINVAL, "empty");
}

/* struct<id: int64, tags: list<utf8>, v: fixed_size_list<float32, 2>, ts: timestamp[ms, tz=UTC]> */
static void make_nested_schema(struct ArrowSchema *s)
{
    GNV_ASSERT_OK(gnv__schema_init(s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(s, 4));
    schema1(s->children[0], "l", "id");
    schema1(s->children[1], "+l", "tags");
    GNV_ASSERT_OK(gnv__schema_alloc_children(s->children[1], 1));
    schema1(s->children[1]->children[0], "u", "item");
    schema1(s->children[2], "+w:2", "v");
    GNV_ASSERT_OK(gnv__schema_alloc_children(s->children[2], 1));
    schema1(s->children[2]->children[0], "f", "item");
    schema1(s->children[3], "tsm:UTC", "ts");
}

static void test_type_to_string(void **state)
{
    (void)state;
    struct ArrowSchema s;
    make_nested_schema(&s);
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__type_to_string(&b, &s));
    assert_string_equal(b.ptr, "struct<id: int64, tags: list<utf8>, v: fixed_size_list<float32, "
                               "2>, ts: timestamp[ms, tz=UTC]>");
    gnv_buf_dispose(&b);
    struct ArrowSchema copy;
    GNV_ASSERT_OK(gnv__schema_copy(&copy, &s));
    gnv__schema_release(&s);
    GNV_ASSERT_OK(gnv__type_to_string(&b, &copy));
    assert_non_null(strstr(b.ptr, "fixed_size_list<float32, 2>"));
    gnv_buf_dispose(&b);
    GNV_ASSERT_OK(gnv__schema_validate(&copy));
    gnv__schema_release(&copy);
    assert_null(copy.release);
}

static void test_metadata(void **state)
{
    (void)state;
    const char *keys[] = {"geneva.udf", "owner"};
    const char *vals[] = {"{\"name\":\"f\"}", ""};
    gnv_buf md = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__metadata_build(&md, keys, vals, 2));
    assert_int_equal(gnv__metadata_size(md.ptr), (int64_t)md.size);
    const char *v;
    int32_t vl;
    assert_true(gnv__metadata_get(md.ptr, "geneva.udf", &v, &vl));
    assert_int_equal(vl, 12);
    assert_memory_equal(v, "{\"name\":\"f\"}", 12);
    assert_true(gnv__metadata_get(md.ptr, "owner", &v, &vl));
    assert_int_equal(vl, 0);
    assert_false(gnv__metadata_get(md.ptr, "missing", &v, &vl));
    struct ArrowSchema s, c;
    schema1(&s, "i", "x");
    GNV_ASSERT_OK(gnv__schema_set_metadata(&s, md.ptr));
    gnv_buf_dispose(&md);
    GNV_ASSERT_OK(gnv__schema_copy(&c, &s));
    gnv__schema_release(&s);
    assert_true(gnv__metadata_get(c.metadata, "owner", &v, &vl));
    gnv_metadata_iter it;
    const char *k;
    int32_t kl, n = 0;
    gnv__metadata_iter_init(&it, c.metadata);
    while (gnv__metadata_iter_next(&it, &k, &kl, &v, &vl))
        n++;
    assert_int_equal(n, 2);
    gnv__schema_release(&c);
}

static void test_primitive_builders(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a;
    gnv_array_view v;

    /* int8 with range checks and nulls */
    schema1(&s, "c", "x");
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    GNV_ASSERT_OK(gnv__array_append_int(&a, -128));
    GNV_ASSERT_OK(gnv__array_append_int(&a, 127));
    GNV_ASSERT_ERR(gnv__array_append_int(&a, 128), GNV_EINVAL, "out of range for int8");
    GNV_ASSERT_OK(gnv__array_append_null(&a, 2));
    GNV_ASSERT_OK(gnv__array_append_int(&a, 5));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    assert_int_equal(a.length, 5);
    assert_int_equal(a.null_count, 2);
    GNV_ASSERT_OK(gnv__array_validate(&s, &a, true));
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
    assert_int_equal(gnv__view_get_int(&v, 0), -128);
    assert_int_equal(gnv__view_get_int(&v, 1), 127);
    assert_true(gnv__view_is_null(&v, 2));
    assert_true(gnv__view_is_null(&v, 3));
    assert_false(gnv__view_is_null(&v, 4));
    assert_int_equal(gnv__view_get_int(&v, 4), 5);
    gnv__array_view_reset(&v);
    gnv__array_release(&a);
    gnv__schema_release(&s);

    /* uint64 above INT64_MAX, and the unsigned range checks */
    schema1(&s, "L", "x");
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    GNV_ASSERT_OK(gnv__array_append_uint(&a, UINT64_MAX));
    GNV_ASSERT_ERR(gnv__array_append_int(&a, -1), GNV_EINVAL, "uint64");
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
    assert_true(gnv__view_get_uint(&v, 0) == UINT64_MAX);
    assert_null(a.buffers[0]); /* no nulls: no validity bitmap */
    gnv__array_view_reset(&v);
    gnv__array_release(&a);
    gnv__schema_release(&s);

    /* floats, including float16 rounding */
    const char *ffmt[] = {"e", "f", "g"};
    for (int k = 0; k < 3; k++) {
        schema1(&s, ffmt[k], "x");
        GNV_ASSERT_OK(gnv__array_init(&a, &s));
        GNV_ASSERT_OK(gnv__array_append_double(&a, 1.5));
        GNV_ASSERT_OK(gnv__array_append_double(&a, -0.25));
        GNV_ASSERT_OK(gnv__array_append_int(&a, 3));
        GNV_ASSERT_OK(gnv__array_append_double(&a, INFINITY));
        GNV_ASSERT_OK(gnv__array_append_double(&a, NAN));
        GNV_ASSERT_OK(gnv__array_append_double(&a, 65504.0));
        GNV_ASSERT_OK(gnv__array_append_double(&a, 6.103515625e-05));
        GNV_ASSERT_OK(gnv__array_append_double(&a, 5.960464477539063e-08));
        GNV_ASSERT_ERR(gnv__array_append_bool(&a, true), GNV_EINVAL, "boolean");
        GNV_ASSERT_OK(gnv__array_finish(&a));
        GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
        assert_true(gnv__view_get_double(&v, 0) == 1.5);
        assert_true(gnv__view_get_double(&v, 1) == -0.25);
        assert_true(gnv__view_get_double(&v, 2) == 3.0);
        assert_true(isinf(gnv__view_get_double(&v, 3)));
        assert_true(isnan(gnv__view_get_double(&v, 4)));
        assert_true(gnv__view_get_double(&v, 5) == 65504.0);
        assert_true(gnv__view_get_double(&v, 6) == 6.103515625e-05);
        assert_true(gnv__view_get_double(&v, 7) == 5.960464477539063e-08);
        gnv__array_view_reset(&v);
        gnv__array_release(&a);
        gnv__schema_release(&s);
    }

    /* bool across byte boundaries */
    schema1(&s, "b", "x");
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int i = 0; i < 20; i++) {
        if (i % 7 == 3)
            GNV_ASSERT_OK(gnv__array_append_null(&a, 1));
        else
            GNV_ASSERT_OK(gnv__array_append_bool(&a, i % 3 == 0));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
    for (int i = 0; i < 20; i++) {
        assert_int_equal(gnv__view_is_null(&v, i), i % 7 == 3);
        if (i % 7 != 3)
            assert_int_equal(gnv__view_get_bool(&v, i), i % 3 == 0);
    }
    assert_int_equal(a.null_count, 3);
    gnv__array_view_reset(&v);
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

static void test_binary_builders(void **state)
{
    (void)state;
    const char *fmts[] = {"u", "U", "z", "Z"};
    for (int k = 0; k < 4; k++) {
        struct ArrowSchema s;
        struct ArrowArray a;
        gnv_array_view v;
        schema1(&s, fmts[k], "x");
        GNV_ASSERT_OK(gnv__array_init(&a, &s));
        GNV_ASSERT_OK(gnv__array_append_bytes(&a, "hello", 5));
        GNV_ASSERT_OK(gnv__array_append_null(&a, 1));
        GNV_ASSERT_OK(gnv__array_append_bytes(&a, "", 0));
        GNV_ASSERT_OK(gnv__array_append_empty(&a, 1));
        GNV_ASSERT_OK(gnv__array_append_bytes(&a, "caf\xc3\xa9", 5));
        GNV_ASSERT_ERR(gnv__array_append_int(&a, 1), GNV_EINVAL, "cannot append an integer");
        GNV_ASSERT_OK(gnv__array_finish(&a));
        GNV_ASSERT_OK(gnv__array_validate(&s, &a, true));
        GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
        int64_t n;
        const uint8_t *p = gnv__view_get_bytes(&v, 0, &n);
        assert_int_equal(n, 5);
        assert_memory_equal(p, "hello", 5);
        assert_true(gnv__view_is_null(&v, 1));
        gnv__view_get_bytes(&v, 2, &n);
        assert_int_equal(n, 0);
        gnv__view_get_bytes(&v, 3, &n);
        assert_int_equal(n, 0);
        p = gnv__view_get_bytes(&v, 4, &n);
        assert_memory_equal(p, "caf\xc3\xa9", 5);
        gnv__array_view_reset(&v);
        gnv__array_release(&a);
        gnv__schema_release(&s);
    }
    /* fixed_size_binary */
    struct ArrowSchema s;
    struct ArrowArray a;
    schema1(&s, "w:3", "x");
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    GNV_ASSERT_OK(gnv__array_append_bytes(&a, "abc", 3));
    GNV_ASSERT_ERR(gnv__array_append_bytes(&a, "ab", 2), GNV_EINVAL, "fixed_size_binary[3]");
    GNV_ASSERT_OK(gnv__array_append_null(&a, 1));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
    int64_t n;
    const uint8_t *p = gnv__view_get_bytes(&v, 0, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "abc", 3);
    assert_true(gnv__view_is_null(&v, 1));
    gnv__array_view_reset(&v);
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

/* Append one row to the nested struct schema's array. */
static void append_nested_row(struct ArrowArray *a, int64_t id, int ntags, bool null_row)
{
    if (null_row) {
        GNV_ASSERT_OK(gnv__array_append_null(a, 1));
        return;
    }
    GNV_ASSERT_OK(gnv__array_append_int(a->children[0], id));
    if (ntags < 0) {
        GNV_ASSERT_OK(gnv__array_append_null(a->children[1], 1));
    } else {
        for (int t = 0; t < ntags; t++) {
            char tag[16];
            snprintf(tag, sizeof tag, "t%lld.%d", (long long)id, t);
            GNV_ASSERT_OK(gnv__array_append_bytes(a->children[1]->children[0], tag, strlen(tag)));
        }
        GNV_ASSERT_OK(gnv__array_finish_element(a->children[1]));
    }
    GNV_ASSERT_OK(gnv__array_append_double(a->children[2]->children[0], (double)id));
    GNV_ASSERT_OK(gnv__array_append_double(a->children[2]->children[0], -(double)id));
    GNV_ASSERT_OK(gnv__array_finish_element(a->children[2]));
    GNV_ASSERT_OK(gnv__array_append_int(a->children[3], id * 1000));
    GNV_ASSERT_OK(gnv__array_finish_element(a));
}

static void
check_nested_row(const gnv_array_view *v, int64_t i, int64_t id, int ntags, bool null_row)
{
    assert_int_equal(gnv__view_is_null(v, i), null_row);
    if (null_row)
        return;
    int64_t j = gnv__view_struct_index(v, i);
    assert_int_equal(gnv__view_get_int(&v->children[0], j), id);
    const gnv_array_view *tags = &v->children[1];
    assert_int_equal(gnv__view_is_null(tags, j), ntags < 0);
    if (ntags >= 0) {
        int64_t s, e;
        gnv__view_list_range(tags, j, &s, &e);
        assert_int_equal(e - s, ntags);
        for (int t = 0; t < ntags; t++) {
            char tag[16];
            int64_t n;
            snprintf(tag, sizeof tag, "t%lld.%d", (long long)id, t);
            const uint8_t *p = gnv__view_get_bytes(&tags->children[0], s + t, &n);
            assert_int_equal(n, (int64_t)strlen(tag));
            assert_memory_equal(p, tag, (size_t)n);
        }
    }
    int64_t s, e;
    gnv__view_list_range(&v->children[2], j, &s, &e);
    assert_int_equal(e - s, 2);
    assert_true(gnv__view_get_double(&v->children[2].children[0], s) == (double)id);
    assert_true(gnv__view_get_double(&v->children[2].children[0], s + 1) == -(double)id);
    assert_int_equal(gnv__view_get_int(&v->children[3], j), id * 1000);
}

#define NESTED_ROWS 50
static int row_tags(int64_t i)
{
    return i % 5 == 1 ? -1 : (int)(i % 4);
}
static bool row_null(int64_t i)
{
    return i % 11 == 7;
}

static void build_nested(struct ArrowSchema *s, struct ArrowArray *a)
{
    make_nested_schema(s);
    GNV_ASSERT_OK(gnv__array_init(a, s));
    for (int64_t i = 0; i < NESTED_ROWS; i++)
        append_nested_row(a, i, row_tags(i), row_null(i));
    GNV_ASSERT_OK(gnv__array_finish(a));
}

static void test_nested_builders(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a;
    build_nested(&s, &a);
    assert_int_equal(a.length, NESTED_ROWS);
    GNV_ASSERT_OK(gnv__array_validate(&s, &a, true));
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
    for (int64_t i = 0; i < NESTED_ROWS; i++)
        check_nested_row(&v, i, i, row_tags(i), row_null(i));
    gnv__array_view_reset(&v);

    /* a wrong number of items in a fixed-size list element is refused */
    GNV_ASSERT_OK(gnv__array_append_double(a.children[2]->children[0], 1));
    GNV_ASSERT_ERR(gnv__array_finish_element(a.children[2]), GNV_EINVAL, "expected 2");
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

static void test_slice_and_concat(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a, s1, s2, joined;
    build_nested(&s, &a);
    GNV_ASSERT_OK(gnv__array_slice(&s1, &a, 3, 20));
    GNV_ASSERT_OK(gnv__array_slice(&s2, &a, 23, 27));
    GNV_ASSERT_ERR(gnv__array_slice(&joined, &a, 40, 11), GNV_EINVAL, "out of bounds");
    gnv__array_release(&a); /* slices keep the data alive */
    GNV_ASSERT_OK(gnv__array_validate(&s, &s1, true));
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &s1));
    for (int64_t i = 0; i < 20; i++)
        check_nested_row(&v, i, i + 3, row_tags(i + 3), row_null(i + 3));
    gnv__array_view_reset(&v);

    /* a slice of a slice */
    struct ArrowArray s3;
    GNV_ASSERT_OK(gnv__array_slice(&s3, &s1, 5, 5));
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &s3));
    for (int64_t i = 0; i < 5; i++)
        check_nested_row(&v, i, i + 8, row_tags(i + 8), row_null(i + 8));
    gnv__array_view_reset(&v);
    gnv__array_release(&s3);

    /* concatenation of slices gives the original rows 3..49 */
    const struct ArrowArray *parts[] = {&s1, &s2};
    GNV_ASSERT_OK(gnv__array_concat(&joined, &s, parts, 2));
    gnv__array_release(&s1);
    gnv__array_release(&s2);
    assert_int_equal(joined.length, 47);
    assert_int_equal(joined.offset, 0);
    GNV_ASSERT_OK(gnv__array_validate(&s, &joined, true));
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &joined));
    for (int64_t i = 0; i < 47; i++)
        check_nested_row(&v, i, i + 3, row_tags(i + 3), row_null(i + 3));
    int64_t nulls = 0;
    for (int64_t i = 3; i < NESTED_ROWS; i++)
        nulls += row_null(i);
    assert_int_equal(joined.null_count, nulls);
    gnv__array_view_reset(&v);
    gnv__array_release(&joined);
    gnv__schema_release(&s);
}

static void test_bool_slice_unaligned(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a, sl, out;
    schema1(&s, "b", "x");
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    for (int i = 0; i < 100; i++) {
        if (i % 9 == 0)
            GNV_ASSERT_OK(gnv__array_append_null(&a, 1));
        else
            GNV_ASSERT_OK(gnv__array_append_bool(&a, (i * 7) % 5 < 2));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__array_slice(&sl, &a, 13, 70));
    const struct ArrowArray *parts[] = {&sl, &a};
    GNV_ASSERT_OK(gnv__array_concat(&out, &s, parts, 2));
    gnv_array_view v;
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &out));
    for (int k = 0; k < 170; k++) {
        int i = k < 70 ? k + 13 : k - 70;
        assert_int_equal(gnv__view_is_null(&v, k), i % 9 == 0);
        if (i % 9)
            assert_int_equal(gnv__view_get_bool(&v, k), (i * 7) % 5 < 2);
    }
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    gnv__array_release(&sl);
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

/* A borrowed (not owned) array built by hand, to feed the validator bad data. */
typedef struct raw_array {
    struct ArrowArray a;
    const void *bufs[3];
} raw_array;

static void raw_release(struct ArrowArray *a)
{
    a->release = NULL;
}

static void raw_init(
    raw_array *r, int64_t length, int64_t n_buffers, const void *b0, const void *b1, const void *b2)
{
    memset(r, 0, sizeof *r);
    r->bufs[0] = b0;
    r->bufs[1] = b1;
    r->bufs[2] = b2;
    r->a.length = length;
    r->a.n_buffers = n_buffers;
    r->a.buffers = r->bufs;
    r->a.release = raw_release;
}

static void test_validate_rejects(void **state)
{
    (void)state;
    struct ArrowSchema s;
    raw_array r;
    int32_t offs_bad[] = {0, 5, 3};
    int32_t offs_neg[] = {-1, 2, 3};
    int32_t offs_ok[] = {0, 2, 4};
    const char *text = "ab\xff\xfe";
    schema1(&s, "u", "name");

    raw_init(&r, 2, 3, NULL, offs_bad, "abcdefgh");
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "offsets decrease");
    raw_init(&r, 2, 3, NULL, offs_neg, "abcdefgh");
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "negative");
    raw_init(&r, 2, 3, NULL, offs_ok, text);
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "invalid UTF-8 in element 1");
    GNV_ASSERT_OK(gnv__array_validate(&s, &r.a, false));
    raw_init(&r, 2, 2, NULL, offs_ok, text);
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "2 buffers");
    raw_init(&r, 2, 3, NULL, NULL, text);
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "offsets buffer is NULL");
    raw_init(&r, -1, 3, NULL, offs_ok, text);
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "negative length");
    raw_init(&r, 2, 3, NULL, offs_ok, "abcd");
    r.a.null_count = 1;
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "no validity buffer");
    raw_init(&r, 2, 3, NULL, offs_ok, "abcd");
    r.a.null_count = 3;
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "exceeds length");
    raw_init(&r, 2, 3, NULL, offs_ok, "abcd");
    r.a.release = NULL;
    GNV_ASSERT_ERR(gnv__array_validate(&s, &r.a, true), GNV_EINVAL, "released");
    gnv__schema_release(&s);

    /* a list whose offsets run past its child */
    struct ArrowSchema ls;
    schema1(&ls, "+l", "xs");
    GNV_ASSERT_OK(gnv__schema_alloc_children(&ls, 1));
    schema1(ls.children[0], "i", "item");
    raw_array child, parent;
    int32_t items[] = {1, 2, 3};
    raw_init(&child, 3, 2, NULL, items, NULL);
    raw_init(&parent, 2, 2, NULL, offs_ok, NULL);
    struct ArrowArray *kids[] = {&child.a};
    parent.a.n_children = 1;
    parent.a.children = kids;
    GNV_ASSERT_ERR(gnv__array_validate(&ls, &parent.a, true), GNV_EINVAL, "child has 3 items");
    child.a.length = 4;
    GNV_ASSERT_OK(gnv__array_validate(&ls, &parent.a, true));
    parent.a.n_children = 0;
    GNV_ASSERT_ERR(gnv__array_validate(&ls, &parent.a, true), GNV_EINVAL, "children");
    gnv__schema_release(&ls);

    /* a schema whose list has no child */
    struct ArrowSchema bad;
    schema1(&bad, "+l", "xs");
    GNV_ASSERT_ERR(gnv__schema_validate(&bad), GNV_EINVAL, "0 children, expected 1");
    gnv__schema_release(&bad);
}

static void test_validate_dictionary(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a;
    schema1(&s, "i", "d");
    GNV_ASSERT_OK(gnv__schema_alloc_dictionary(&s));
    schema1(s.dictionary, "u", NULL);
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    GNV_ASSERT_OK(gnv__array_append_bytes(a.dictionary, "red", 3));
    GNV_ASSERT_OK(gnv__array_append_bytes(a.dictionary, "green", 5));
    GNV_ASSERT_OK(gnv__array_append_int(&a, 1));
    GNV_ASSERT_OK(gnv__array_append_null(&a, 1));
    GNV_ASSERT_OK(gnv__array_append_int(&a, 0));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__array_validate(&s, &a, true));

    /* decoded on append into a plain utf8 array */
    struct ArrowSchema plain;
    struct ArrowArray out;
    gnv_array_view v, pv;
    schema1(&plain, "u", "d");
    GNV_ASSERT_OK(gnv__array_init(&out, &plain));
    GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
    GNV_ASSERT_OK(gnv__array_append_view(&out, &v, 0, 3));
    GNV_ASSERT_OK(gnv__array_finish(&out));
    GNV_ASSERT_OK(gnv__array_view_init(&pv, &plain, &out));
    int64_t n;
    assert_memory_equal(gnv__view_get_bytes(&pv, 0, &n), "green", 5);
    assert_true(gnv__view_is_null(&pv, 1));
    assert_memory_equal(gnv__view_get_bytes(&pv, 2, &n), "red", 3);
    gnv__array_view_reset(&pv);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    gnv__schema_release(&plain);

    /* an index outside the dictionary is refused */
    GNV_ASSERT_OK(gnv__array_append_int(&a, 2));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_ERR(gnv__array_validate(&s, &a, true), GNV_EINVAL, "dictionary index 2");
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

static void test_stream_from_arrays(void **state)
{
    (void)state;
    struct ArrowSchema s, got;
    struct ArrowArray arrays[3], out;
    struct ArrowArrayStream st;
    make_nested_schema(&s);
    for (int k = 0; k < 3; k++) {
        GNV_ASSERT_OK(gnv__array_init(&arrays[k], &s));
        for (int i = 0; i <= k; i++)
            append_nested_row(&arrays[k], i, 1, false);
        GNV_ASSERT_OK(gnv__array_finish(&arrays[k]));
    }
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &s, arrays, 3));
    assert_null(s.release);
    GNV_ASSERT_OK(gnv__stream_get_schema(&st, &got));
    assert_int_equal(got.n_children, 4);
    gnv__schema_release(&got);
    int64_t rows = 0;
    int batches = 0, rc;
    while ((rc = gnv__stream_next(&st, &out)) == GNV_OK) {
        rows += out.length;
        batches++;
        gnv__array_release(&out);
    }
    assert_int_equal(rc, GNV_ITEROVER);
    assert_int_equal(batches, 3);
    assert_int_equal(rows, 6);
    /* after the end it stays ended */
    assert_int_equal(gnv__stream_next(&st, &out), GNV_ITEROVER);
    gnv__stream_release(&st);
    assert_null(st.release);
}

/* A stream that fails on its second batch, to check the error travels through. */
static int failing_schema(void *self, struct ArrowSchema *out)
{
    (void)self;
    return gnv__schema_init(out, "+s", "", 0);
}
static int failing_next(void *self, struct ArrowArray *out)
{
    int *calls = self;
    if ((*calls)++ == 0) {
        struct ArrowSchema s;
        GNV_TRY(gnv__schema_init(&s, "+s", "", 0));
        int rc = gnv__array_init(out, &s);
        gnv__schema_release(&s);
        GNV_TRY(rc);
        return gnv__array_finish(out);
    }
    return gnv__error_set(GNV_ECORRUPT, GNV_SUB_ARROW, "batch 2 of 'x.arrow' is damaged");
}
static void failing_free(void *self)
{
    gnv__free(self);
}
static const gnv_stream_impl failing_impl = {failing_schema, failing_next, failing_free};

static void test_stream_error(void **state)
{
    (void)state;
    struct ArrowArrayStream st;
    struct ArrowArray out;
    int *calls = gnv__calloc(1, sizeof *calls);
    GNV_ASSERT_OK(gnv__stream_init(&st, &failing_impl, calls));
    GNV_ASSERT_OK(gnv__stream_next(&st, &out));
    gnv__array_release(&out);
    /* raw C interface: errno-style code and a message */
    assert_int_equal(st.get_next(&st, &out), EILSEQ);
    assert_string_equal(st.get_last_error(&st), "batch 2 of 'x.arrow' is damaged");
    gnv_error_clear();
    GNV_ASSERT_ERR(gnv__stream_next(&st, &out), GNV_ECORRUPT, "batch 2 of 'x.arrow'");
    gnv__stream_release(&st);
}

static int concat_body(void *arg)
{
    const struct ArrowSchema *schema = arg;
    struct ArrowSchema s;
    struct ArrowArray a, b, out;
    int rc;
    GNV_TRY(gnv__schema_copy(&s, schema));
    if ((rc = gnv__array_init(&a, &s)) < 0) {
        gnv__schema_release(&s);
        return rc;
    }
    for (int64_t i = 0; i < 20 && rc == GNV_OK; i++) {
        rc = gnv__array_append_int(a.children[0], i);
        if (rc == GNV_OK)
            rc = gnv__array_append_bytes(a.children[1]->children[0], "tag", 3);
        if (rc == GNV_OK)
            rc = gnv__array_finish_element(a.children[1]);
        if (rc == GNV_OK)
            rc = gnv__array_append_empty(a.children[2], 1);
        if (rc == GNV_OK)
            rc = gnv__array_append_null(a.children[3], 1);
        if (rc == GNV_OK)
            rc = gnv__array_finish_element(&a);
    }
    if (rc == GNV_OK)
        rc = gnv__array_finish(&a);
    if (rc == GNV_OK)
        rc = gnv__array_slice(&b, &a, 5, 10);
    if (rc == GNV_OK) {
        const struct ArrowArray *parts[] = {&a, &b};
        rc = gnv__array_concat(&out, &s, parts, 2);
        if (rc == GNV_OK) {
            if (out.length != 30)
                rc = GNV_ERROR;
            gnv__array_release(&out);
        }
        gnv__array_release(&b);
    }
    gnv__array_release(&a);
    gnv__schema_release(&s);
    return rc;
}

static void test_builders_faultsim(void **state)
{
    (void)state;
    struct ArrowSchema s;
    make_nested_schema(&s);
    assert_true(gnv_test_faultsim(concat_body, &s) > 10);
    gnv__schema_release(&s);
}

static void test_public_validate(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray a;
    build_nested(&s, &a);
    GNV_ASSERT_OK(gnv_array_validate(&s, &a));
    /* corrupt a list offset in place */
    int32_t *offs = (int32_t *)(uintptr_t)a.children[1]->buffers[1];
    offs[2] = 1000;
    GNV_ASSERT_ERR(gnv_array_validate(&s, &a), GNV_EINVAL, "tags");
    gnv__array_release(&a);
    gnv__schema_release(&s);
}

/* A run of strings adopted from a buffer: taken over by an empty array (offsets start
 * at the run's base, appends after it line up), copied by one holding values. */
static void test_adopt_var_run(void **state)
{
    (void)state;
    const char *fmts[] = {"u", "U"};
    const uint64_t ends[] = {5, 8, 8, 12}; /* "..." "abc" "def" "" "ghij" from 2 */
    for (int k = 0; k < 2; k++) {
        struct ArrowSchema s;
        struct ArrowArray a, b;
        gnv_array_view v;
        gnv_buf data = GNV_BUF_INIT;
        int64_t n;
        schema1(&s, fmts[k], "x");
        GNV_ASSERT_OK(gnv__buf_puts(&data, "..abcdefghij-spare"));
        const char *bytes = data.ptr;
        GNV_ASSERT_OK(gnv__array_init(&a, &s));
        GNV_ASSERT_OK(gnv__array_adopt_var_run(&a, &data, ends, 2, 4));
        assert_null(data.ptr); /* taken, not copied */
        assert_int_equal(data.size, 0);
        GNV_ASSERT_OK(gnv__array_append_bytes(&a, "kl", 2));
        GNV_ASSERT_OK(gnv__array_finish(&a));
        assert_ptr_equal(a.buffers[2], bytes);
        GNV_ASSERT_OK(gnv__array_validate(&s, &a, true));
        GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &a));
        const char *want[] = {"abc", "def", "", "ghij", "kl"};
        for (int i = 0; i < 5; i++) {
            const uint8_t *p = gnv__view_get_bytes(&v, i, &n);
            assert_int_equal(n, (int64_t)strlen(want[i]));
            assert_memory_equal(p, want[i], (size_t)n);
        }
        gnv__array_view_reset(&v);

        /* an array with values already copies, and the buffer stays its owner's */
        GNV_ASSERT_OK(gnv__buf_puts(&data, "..abcdefghij"));
        GNV_ASSERT_OK(gnv__array_init(&b, &s));
        GNV_ASSERT_OK(gnv__array_append_bytes(&b, "z", 1));
        GNV_ASSERT_OK(gnv__array_adopt_var_run(&b, &data, ends, 2, 4));
        assert_non_null(data.ptr);
        GNV_ASSERT_OK(gnv__array_finish(&b));
        GNV_ASSERT_OK(gnv__array_view_init(&v, &s, &b));
        const uint8_t *p = gnv__view_get_bytes(&v, 4, &n);
        assert_int_equal(n, 4);
        assert_memory_equal(p, "ghij", 4);
        gnv__array_view_reset(&v);
        gnv_buf_dispose(&data);
        gnv__array_release(&a);
        gnv__array_release(&b);
        gnv__schema_release(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_parse),         cmocka_unit_test(test_type_to_string),
        cmocka_unit_test(test_metadata),           cmocka_unit_test(test_primitive_builders),
        cmocka_unit_test(test_binary_builders),    cmocka_unit_test(test_nested_builders),
        cmocka_unit_test(test_slice_and_concat),   cmocka_unit_test(test_bool_slice_unaligned),
        cmocka_unit_test(test_validate_rejects),   cmocka_unit_test(test_validate_dictionary),
        cmocka_unit_test(test_stream_from_arrays), cmocka_unit_test(test_stream_error),
        cmocka_unit_test(test_builders_faultsim),  cmocka_unit_test(test_public_validate),
        cmocka_unit_test(test_adopt_var_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
