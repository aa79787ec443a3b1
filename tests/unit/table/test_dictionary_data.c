/*
 * Dictionary-encoded data written to a table: stored as its value type, so the table's
 * schema has the value type, appends of dictionary or plain data both work, and scans
 * return the decoded values.
 */
#include "gnv_test.h"

#include "table/table.h"

static const char *const WORDS[] = {"red", "green", "", "blue \xe2\x9c\x93"};

/* struct<id: int64, d: dictionary<int32, utf8>> (dict) or struct<id, d: utf8>. */
static void make_schema(struct ArrowSchema *s, bool dict)
{
    GNV_ASSERT_OK(gnv__schema_init(s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s->children[0], "l", "id", 0));
    if (!dict) {
        GNV_ASSERT_OK(gnv__schema_init(s->children[1], "u", "d", ARROW_FLAG_NULLABLE));
        return;
    }
    GNV_ASSERT_OK(gnv__schema_init(s->children[1], "i", "d", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_alloc_dictionary(s->children[1]));
    GNV_ASSERT_OK(gnv__schema_init(s->children[1]->dictionary, "u", "", ARROW_FLAG_NULLABLE));
}

static bool is_null(int64_t id)
{
    return id % 7 == 3;
}

static const char *word(int64_t id)
{
    return WORDS[(id * 5) % 4];
}

/* A stream of one batch of rows [base, base + n). */
static void make_stream(struct ArrowArrayStream *out, int64_t base, int64_t n, bool dict)
{
    struct ArrowSchema s;
    struct ArrowArray a;
    make_schema(&s, dict);
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    if (dict) /* the dictionary in another order than WORDS, with an unused entry */
        for (int k = 4; k >= 0; k--) {
            const char *w = k == 4 ? "unused" : WORDS[k];
            GNV_ASSERT_OK(gnv__array_append_bytes(a.children[1]->dictionary, w, strlen(w)));
        }
    for (int64_t id = base; id < base + n; id++) {
        GNV_ASSERT_OK(gnv__array_append_int(a.children[0], id));
        if (is_null(id))
            GNV_ASSERT_OK(gnv__array_append_null(a.children[1], 1));
        else if (dict)
            GNV_ASSERT_OK(gnv__array_append_int(a.children[1], 4 - (id * 5) % 4));
        else
            GNV_ASSERT_OK(gnv__array_append_bytes(a.children[1], word(id), strlen(word(id))));
        GNV_ASSERT_OK(gnv__array_finish_element(&a));
    }
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__stream_from_arrays(out, &s, &a, 1));
}

static void test_dictionary_create_and_append(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    make_stream(&st, 0, 300, true);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "t", &st, NULL, NULL));
    gnv__stream_release(&st);
    make_stream(&st, 300, 200, true);
    GNV_ASSERT_OK(gnv_table_add(t, &st, NULL));
    gnv__stream_release(&st);
    make_stream(&st, 500, 100, false); /* plain strings into the same column */
    GNV_ASSERT_OK(gnv_table_add(t, &st, NULL));
    gnv__stream_release(&st);

    struct ArrowSchema schema;
    gnv_buf text = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv_table_schema(t, &schema));
    GNV_ASSERT_OK(gnv__type_to_string(&text, &schema));
    assert_string_equal(text.ptr, "struct<id: int64, d: utf8>");
    gnv__schema_release(&schema);
    gnv_buf_dispose(&text);

    GNV_ASSERT_OK(gnv_table_scan(t, NULL, &st));
    struct ArrowSchema ss;
    GNV_ASSERT_OK(gnv__stream_get_schema(&st, &ss));
    int64_t id = 0;
    struct ArrowArray b;
    while (gnv__stream_next(&st, &b) == GNV_OK) {
        gnv_array_view v;
        GNV_ASSERT_OK(gnv__array_view_init(&v, &ss, &b));
        for (int64_t i = 0; i < b.length; i++, id++) {
            assert_int_equal(gnv__view_get_int(&v.children[0], i), id);
            if (is_null(id)) {
                assert_true(gnv__view_is_null(&v.children[1], i));
                continue;
            }
            int64_t len;
            const uint8_t *p = gnv__view_get_bytes(&v.children[1], i, &len);
            assert_int_equal(len, (int64_t)strlen(word(id)));
            assert_memory_equal(p, word(id), (size_t)len);
        }
        gnv__array_view_reset(&v);
        gnv__array_release(&b);
    }
    assert_int_equal(id, 600);
    gnv__schema_release(&ss);
    gnv__stream_release(&st);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A dictionary of another value type than the table's column is refused. */
static void test_dictionary_wrong_value_type(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream st;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    make_stream(&st, 0, 10, false);
    GNV_ASSERT_OK(gnv_db_create_table(&t, db, "t", &st, NULL, NULL));
    gnv__stream_release(&st);
    struct ArrowSchema s;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", 0));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "i", "d", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__schema_alloc_dictionary(s.children[1]));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1]->dictionary, "l", "", ARROW_FLAG_NULLABLE));
    GNV_ASSERT_OK(gnv__array_init(&a, &s));
    GNV_ASSERT_OK(gnv__array_finish(&a));
    GNV_ASSERT_OK(gnv__stream_from_arrays(&st, &s, &a, 1));
    GNV_ASSERT_ERR(gnv_table_add(t, &st, NULL), GNV_EINVAL, "column 'd' has type int64");
    gnv__stream_release(&st);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dictionary_create_and_append),
        cmocka_unit_test(test_dictionary_wrong_value_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
