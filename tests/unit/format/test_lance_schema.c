/* format: Arrow schemas to Lance field lists (LanceDB's logical type names, depth-first
 * ids, parents, nullability, metadata, legacy encodings) and back. */
#include "gnv_test.h"

#include "format/format.h"

static void fields_of(const char *type, Gnvpb__Field ***fields, size_t *n, struct ArrowSchema *s)
{
    GNV_ASSERT_OK(gnv__type_from_string(s, type, ""));
    int32_t next = 0;
    GNV_ASSERT_OK(gnv__lance_fields_from_arrow(fields, n, s, &next));
    assert_int_equal(next, (int32_t)*n);
}

static void test_logical_types(void **state)
{
    (void)state;
    struct ArrowSchema s;
    Gnvpb__Field **f;
    size_t n;
    fields_of("struct<a: bool, b: int8, c: uint16, d: int32, e: uint64, h: float16, "
              "f: float32, g: float64, s: utf8, S: large_utf8, z: binary, Z: large_binary, "
              "w: fixed_size_binary[16], dt: date32, ts: timestamp[us, tz=UTC], "
              "tn: timestamp[ns], t: timestamp[s], n: null>",
              &f, &n, &s);
    static const char *want[] = {"bool",
                                 "int8",
                                 "uint16",
                                 "int32",
                                 "uint64",
                                 "halffloat",
                                 "float",
                                 "double",
                                 "string",
                                 "large_string",
                                 "binary",
                                 "large_binary",
                                 "fixed_size_binary:16",
                                 "date32:day",
                                 "timestamp:us:UTC",
                                 "timestamp:ns:-",
                                 "timestamp:s:-",
                                 "null"};
    assert_int_equal(n, GNV_ARRAY_SIZE(want));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(f[i]->logical_type, want[i]);
        assert_int_equal(f[i]->id, (int32_t)i);
        assert_int_equal(f[i]->parent_id, -1);
        assert_true(f[i]->nullable);
        assert_false(f[i]->has_type);
        bool var = i >= 8 && i <= 11;
        assert_int_equal(f[i]->encoding, var ? GNVPB__FIELD__LEGACY_ENCODING__VAR_BINARY
                                             : GNVPB__FIELD__LEGACY_ENCODING__PLAIN);
    }
    gnv__lance_fields_free(f, n);
    gnv__schema_release(&s);
}

static void test_nested_ids(void **state)
{
    (void)state;
    struct ArrowSchema s;
    Gnvpb__Field **f;
    size_t n;
    fields_of("struct<a: int32, l: list<struct<x: utf8, y: list<float64>>>, "
              "v: fixed_size_list<float32, 128>, st: struct<p: int8, q: large_list<bool>>, "
              "ls: large_list<struct<k: int64>>>",
              &f, &n, &s);
    /* name, id, parent, logical type */
    static const struct {
        const char *name;
        int id, parent;
        const char *lt;
    } want[] = {
        {"a", 0, -1, "int32"},
        {"l", 1, -1, "list.struct"},
        {"item", 2, 1, "struct"},
        {"x", 3, 2, "string"},
        {"y", 4, 2, "list"},
        {"item", 5, 4, "double"},
        {"v", 6, -1, "fixed_size_list:float:128"},
        {"st", 7, -1, "struct"},
        {"p", 8, 7, "int8"},
        {"q", 9, 7, "large_list"},
        {"item", 10, 9, "bool"},
        {"ls", 11, -1, "large_list.struct"},
        {"item", 12, 11, "struct"},
        {"k", 13, 12, "int64"},
    };
    assert_int_equal(n, GNV_ARRAY_SIZE(want));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(f[i]->name, want[i].name);
        assert_int_equal(f[i]->id, want[i].id);
        assert_int_equal(f[i]->parent_id, want[i].parent);
        assert_string_equal(f[i]->logical_type, want[i].lt);
    }
    int32_t *ids;
    size_t nids;
    GNV_ASSERT_OK(gnv__lance_leaf_ids(&ids, &nids, f, n));
    static const int32_t leaves[] = {0, 3, 5, 6, 8, 10, 13};
    assert_int_equal(nids, GNV_ARRAY_SIZE(leaves));
    for (size_t i = 0; i < nids; i++)
        assert_int_equal(ids[i], leaves[i]);
    gnv__free(ids);
    /* leaf counts agree with the file layout */
    int total = 0;
    for (int64_t i = 0; i < s.n_children; i++)
        total += gnv__lance_leaf_count(s.children[i]);
    assert_int_equal(total, (int)GNV_ARRAY_SIZE(leaves));

    /* and back: the same Arrow types */
    struct ArrowSchema back;
    GNV_ASSERT_OK(gnv__lance_fields_to_arrow(&back, f, n));
    gnv_buf x = GNV_BUF_INIT, y = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__type_to_string(&x, &s));
    GNV_ASSERT_OK(gnv__type_to_string(&y, &back));
    assert_string_equal(x.ptr, y.ptr);
    gnv_buf_dispose(&x);
    gnv_buf_dispose(&y);
    gnv__schema_release(&back);
    gnv__lance_fields_free(f, n);
    gnv__schema_release(&s);
}

static void test_roundtrip_all(void **state)
{
    (void)state;
    static const char *types[] = {
        "struct<b: bool, i8: int8, u8: uint8, i16: int16, u16: uint16, i32: int32, "
        "u32: uint32, i64: int64, u64: uint64, f16: float16, f32: float32, f64: float64>",
        "struct<s: utf8, ls: large_utf8, bin: binary, lbin: large_binary, "
        "fsb: fixed_size_binary[5], d: date32, ts: timestamp[us, tz=UTC], "
        "tm: timestamp[ms, tz=Europe/Paris], n: null>",
        "struct<l: list<int32>, ll: large_list<utf8>, fsl: fixed_size_list<float16, 8>, "
        "st: struct<a: int32, b: list<utf8>>, nl: list<list<int64>>, "
        "lst: list<struct<x: bool, y: float64>>, lfsl: list<fixed_size_list<int16, 3>>>",
    };
    for (size_t t = 0; t < GNV_ARRAY_SIZE(types); t++) {
        struct ArrowSchema s, back;
        Gnvpb__Field **f;
        size_t n;
        fields_of(types[t], &f, &n, &s);
        GNV_ASSERT_OK(gnv__lance_fields_to_arrow(&back, f, n));
        gnv_buf x = GNV_BUF_INIT, y = GNV_BUF_INIT;
        GNV_ASSERT_OK(gnv__type_to_string(&x, &s));
        GNV_ASSERT_OK(gnv__type_to_string(&y, &back));
        assert_string_equal(x.ptr, y.ptr);
        for (int64_t i = 0; i < s.n_children; i++)
            assert_string_equal(s.children[i]->name, back.children[i]->name);
        gnv_buf_dispose(&x);
        gnv_buf_dispose(&y);
        gnv__schema_release(&back);
        gnv__lance_fields_free(f, n);
        gnv__schema_release(&s);
    }
}

static void test_nullable_and_metadata(void **state)
{
    (void)state;
    struct ArrowSchema s;
    GNV_ASSERT_OK(gnv__schema_init(&s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&s, 2));
    GNV_ASSERT_OK(gnv__schema_init(s.children[0], "l", "id", 0));
    GNV_ASSERT_OK(gnv__schema_init(s.children[1], "u", "name", ARROW_FLAG_NULLABLE));
    const char *keys[] = {"k1", "lance-encoding:compression"};
    const char *vals[] = {"v1", "zstd"};
    gnv_buf md = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__metadata_build(&md, keys, vals, 2));
    GNV_ASSERT_OK(gnv__schema_set_metadata(s.children[1], md.ptr));
    gnv_buf_dispose(&md);

    Gnvpb__Field **f;
    size_t n;
    int32_t next = 5; /* ids continue from the caller's counter */
    GNV_ASSERT_OK(gnv__lance_fields_from_arrow(&f, &n, &s, &next));
    assert_int_equal(n, 2);
    assert_int_equal(next, 7);
    assert_int_equal(f[0]->id, 5);
    assert_false(f[0]->nullable);
    assert_true(f[1]->nullable);
    assert_int_equal(f[1]->n_metadata, 2);
    assert_string_equal(f[1]->metadata[1]->key, "lance-encoding:compression");
    assert_int_equal(f[1]->metadata[1]->value.len, 4);

    struct ArrowSchema back;
    GNV_ASSERT_OK(gnv__lance_fields_to_arrow(&back, f, n));
    assert_int_equal(back.children[0]->flags & ARROW_FLAG_NULLABLE, 0);
    assert_int_equal(back.children[1]->flags & ARROW_FLAG_NULLABLE, ARROW_FLAG_NULLABLE);
    const char *v;
    int32_t vl;
    assert_true(gnv__metadata_get(back.children[1]->metadata, "k1", &v, &vl));
    assert_int_equal(vl, 2);
    assert_memory_equal(v, "v1", 2);
    gnv__schema_release(&back);
    gnv__lance_fields_free(f, n);
    gnv__schema_release(&s);
}

static void test_unsupported(void **state)
{
    (void)state;
    /* a logical type we do not know */
    Gnvpb__Field fld = GNVPB__FIELD__INIT;
    Gnvpb__Field *fp = &fld;
    fld.name = "x";
    fld.logical_type = "decimal:128:10:2";
    fld.has_id = fld.has_parent_id = true;
    fld.id = 0;
    fld.parent_id = -1;
    struct ArrowSchema out;
    GNV_ASSERT_ERR(gnv__lance_fields_to_arrow(&out, &fp, 1), GNV_ENOTSUP, "decimal:128:10:2");
    /* a list without its child field */
    fld.logical_type = "list";
    GNV_ASSERT_ERR(gnv__lance_fields_to_arrow(&out, &fp, 1), GNV_ECORRUPT, "child");
    /* LanceDB's spellings that we read */
    fld.logical_type = "fixed_size_list:double:3";
    GNV_ASSERT_OK(gnv__lance_fields_to_arrow(&out, &fp, 1));
    assert_string_equal(out.children[0]->format, "+w:3");
    assert_string_equal(out.children[0]->children[0]->format, "g");
    gnv__schema_release(&out);
    fld.logical_type = "timestamp:ms:America/New_York";
    GNV_ASSERT_OK(gnv__lance_fields_to_arrow(&out, &fp, 1));
    assert_string_equal(out.children[0]->format, "tsm:America/New_York");
    gnv__schema_release(&out);

    /* a zone with a colon cannot be written: LanceDB could not open the table */
    struct ArrowSchema in;
    GNV_ASSERT_OK(gnv__schema_init(&in, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(&in, 1));
    GNV_ASSERT_OK(gnv__schema_init(in.children[0], "tsn:+05:30", "when", ARROW_FLAG_NULLABLE));
    Gnvpb__Field **fields = NULL;
    size_t nf = 0;
    int32_t next_id = 0;
    GNV_ASSERT_ERR(gnv__lance_fields_from_arrow(&fields, &nf, &in, &next_id), GNV_ENOTSUP,
                   "time zone '+05:30'");
    gnv__schema_release(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logical_types), cmocka_unit_test(test_nested_ids),
        cmocka_unit_test(test_roundtrip_all), cmocka_unit_test(test_nullable_and_metadata),
        cmocka_unit_test(test_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
