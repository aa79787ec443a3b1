/* Manifests: V1/V2 file names, the file framing (sections, offsets, footer), unknown
 * fields and the index section carried byte for byte, no-replace commits, corrupt
 * files and feature flags. */
#include "gnv_test.h"

#include "format/format.h"

static gnv_io *io_at(char *dir)
{
    gnv_io *io = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    return io;
}

static void test_names(void **state)
{
    (void)state;
    char name[64];
    uint64_t v;
    bool v2;
    gnv__manifest_name(name, 1);
    assert_string_equal(name, "18446744073709551614.manifest");
    gnv__manifest_name(name, 12345);
    assert_string_equal(name, "18446744073709539270.manifest");
    assert_true(gnv__manifest_parse_name(name, &v, &v2));
    assert_int_equal(v, 12345);
    assert_true(v2);
    assert_true(gnv__manifest_parse_name("7.manifest", &v, &v2));
    assert_int_equal(v, 7);
    assert_false(v2);
    /* not manifests */
    assert_false(gnv__manifest_parse_name("0.manifest", &v, &v2));
    assert_false(gnv__manifest_parse_name("18446744073709551615.manifest", &v, &v2));
    assert_false(gnv__manifest_parse_name("07.manifest", &v, &v2));
    assert_false(gnv__manifest_parse_name(".manifest", &v, &v2));
    assert_false(gnv__manifest_parse_name("1.manifest.tmp", &v, &v2));
    assert_false(gnv__manifest_parse_name("1a.manifest", &v, &v2));
    assert_false(gnv__manifest_parse_name("99999999999999999999.manifest", &v, &v2) && v == 0);
    assert_false(gnv__manifest_parse_name("118446744073709551614.manifest", &v, &v2));
    assert_false(gnv__manifest_parse_name("d1.manifest", &v, &v2));
}

/* A small manifest with one field, one fragment and a data format. */
static Gnvpb__Manifest *small_manifest(uint64_t version,
                                       Gnvpb__Field *field,
                                       Gnvpb__DataFragment *frag,
                                       Gnvpb__Field **fields,
                                       Gnvpb__DataFragment **frags,
                                       Gnvpb__Manifest__DataStorageFormat *fmt,
                                       Gnvpb__Manifest *m)
{
    gnvpb__field__init(field);
    field->name = "x";
    field->has_id = field->has_parent_id = 1;
    field->id = 0;
    field->parent_id = -1;
    field->logical_type = "int64";
    gnvpb__data_fragment__init(frag);
    frag->has_id = frag->has_physical_rows = 1;
    frag->physical_rows = 10;
    gnvpb__manifest__data_storage_format__init(fmt);
    fmt->file_format = "lance";
    fmt->version = "2.1";
    gnvpb__manifest__init(m);
    fields[0] = field;
    frags[0] = frag;
    m->fields = fields;
    m->n_fields = 1;
    m->fragments = frags;
    m->n_fragments = 1;
    m->has_version = 1;
    m->version = version;
    m->data_format = fmt;
    return m;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_roundtrip_framing(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = io_at(dir);
    Gnvpb__Field field, *fields[1];
    Gnvpb__DataFragment frag, *frags[1];
    Gnvpb__Manifest__DataStorageFormat fmt;
    Gnvpb__Manifest m;
    small_manifest(3, &field, &frag, fields, frags, &fmt, &m);
    gnv_buf idx = GNV_BUF_INIT, txn = GNV_BUF_INIT;
    /* arbitrary bytes stand for LanceDB's IndexSection: they must come back unchanged */
    const char index_bytes[] = "\x0a\x03\x1a\x01z";
    GNV_ASSERT_OK(gnv__buf_put(&idx, index_bytes, sizeof index_bytes - 1));
    GNV_ASSERT_OK(gnv__buf_put(&txn, "\x08\x02", 2));
    char name[64];
    gnv__manifest_name(name, 3);
    char path[128];
    snprintf(path, sizeof path, "_versions/%s", name);
    GNV_ASSERT_OK(gnv__manifest_write(io, path, &m, &idx, &txn));
    /* a second commit of the same version never replaces the first */
    GNV_ASSERT_ERR(gnv__manifest_write(io, path, &m, NULL, NULL), GNV_EEXISTS, NULL);

    /* the bytes: sections at the recorded offsets, footer at the end */
    gnv_buf raw = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__io_read_all(io, path, &raw));
    const uint8_t *b = (const uint8_t *)raw.ptr;
    assert_true(raw.size > 16);
    assert_memory_equal(b + raw.size - 4, "LANC", 4);
    assert_int_equal(b[raw.size - 8] | b[raw.size - 7] << 8, 0);
    assert_int_equal(b[raw.size - 6] | b[raw.size - 5] << 8, 2);
    assert_int_equal(rd32(b), sizeof index_bytes - 1);
    assert_memory_equal(b + 4, index_bytes, sizeof index_bytes - 1);
    assert_int_equal(rd32(b + 4 + idx.size), 2);

    Gnvpb__Manifest *back = NULL;
    gnv_buf idx2 = GNV_BUF_INIT, txn2 = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__manifest_read(&back, io, path, &idx2, &txn2));
    assert_int_equal(back->version, 3);
    assert_true(back->has_index_section);
    assert_int_equal(back->index_section, 0);
    assert_true(back->has_transaction_section);
    assert_int_equal(back->transaction_section, 4 + idx.size);
    assert_int_equal(idx2.size, idx.size);
    assert_memory_equal(idx2.ptr, idx.ptr, idx.size);
    assert_int_equal(txn2.size, 2);
    assert_string_equal(back->fields[0]->name, "x");
    assert_int_equal(back->fragments[0]->physical_rows, 10);
    assert_string_equal(back->data_format->version, "2.1");
    gnv__manifest_free(back);

    /* without sections, neither offset is set */
    char path2[128];
    gnv__manifest_name(name, 4);
    snprintf(path2, sizeof path2, "_versions/%s", name);
    m.version = 4;
    GNV_ASSERT_OK(gnv__manifest_write(io, path2, &m, NULL, NULL));
    GNV_ASSERT_OK(gnv__manifest_read(&back, io, path2, &idx2, &txn2));
    assert_false(back->has_index_section);
    assert_false(back->has_transaction_section);
    assert_int_equal(idx2.size, 0);
    gnv__manifest_free(back);

    gnv_buf_dispose(&raw);
    gnv_buf_dispose(&idx);
    gnv_buf_dispose(&txn);
    gnv_buf_dispose(&idx2);
    gnv_buf_dispose(&txn2);
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

/* Fields this build does not know (e.g. a newer Lance's) survive read and write. */
static void test_unknown_fields_kept(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = io_at(dir);
    Gnvpb__Field field, *fields[1];
    Gnvpb__DataFragment frag, *frags[1];
    Gnvpb__Manifest__DataStorageFormat fmt;
    Gnvpb__Manifest m;
    small_manifest(1, &field, &frag, fields, frags, &fmt, &m);
    size_t n = gnvpb__manifest__get_packed_size(&m);
    uint8_t *buf = malloc(n + 8);
    gnvpb__manifest__pack(&m, buf);
    /* field 99, varint 42: tag (99 << 3 | 0) = 792 = 0x98 0x06 */
    buf[n] = 0x98;
    buf[n + 1] = 0x06;
    buf[n + 2] = 42;
    Gnvpb__Manifest *u = gnvpb__manifest__unpack(gnv__pb_allocator(), n + 3, buf);
    assert_non_null(u);
    GNV_ASSERT_OK(gnv__manifest_write(io, "_versions/a.manifest", u, NULL, NULL));
    Gnvpb__Manifest *back = NULL;
    GNV_ASSERT_OK(gnv__manifest_read(&back, io, "_versions/a.manifest", NULL, NULL));
    size_t n2 = gnvpb__manifest__get_packed_size(back);
    uint8_t *buf2 = malloc(n2);
    gnvpb__manifest__pack(back, buf2);
    assert_int_equal(n2, n + 3);
    assert_memory_equal(buf2 + n, "\x98\x06\x2a", 3);
    free(buf);
    free(buf2);
    gnv__manifest_free(u);
    gnv__manifest_free(back);
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

static void put_file(gnv_io *io, const char *path, const void *data, size_t n)
{
    GNV_ASSERT_OK(gnv__io_write_all(io, path, data, n, GNV_IO_REPLACE));
}

static void test_corrupt(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = io_at(dir);
    Gnvpb__Manifest *back = NULL;
    Gnvpb__Field field, *fields[1];
    Gnvpb__DataFragment frag, *frags[1];
    Gnvpb__Manifest__DataStorageFormat fmt;
    Gnvpb__Manifest m;
    small_manifest(2, &field, &frag, fields, frags, &fmt, &m);
    GNV_ASSERT_OK(gnv__manifest_write(io, "good.manifest", &m, NULL, NULL));
    gnv_buf good = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__io_read_all(io, "good.manifest", &good));

    /* missing */
    GNV_ASSERT_ERR(gnv__manifest_read(&back, io, "none.manifest", NULL, NULL), GNV_ENOTFOUND,
                   "none.manifest");
    /* random bytes */
    uint8_t junk[200];
    uint64_t seed = gnv_test_seed();
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        junk[i] = (uint8_t)(seed >> 56);
    }
    put_file(io, "junk.manifest", junk, sizeof junk);
    GNV_ASSERT_ERR(gnv__manifest_read(&back, io, "junk.manifest", NULL, NULL), GNV_ECORRUPT,
                   "junk.manifest");
    /* every truncation is refused cleanly */
    for (size_t len = 0; len < good.size; len++) {
        put_file(io, "trunc.manifest", good.ptr, len);
        int rc = gnv__manifest_read(&back, io, "trunc.manifest", NULL, NULL);
        assert_int_equal(rc, GNV_ECORRUPT);
        assert_non_null(strstr(gnv_error_last()->message, "trunc.manifest"));
        assert_null(back);
    }
    /* a bad manifest position and a bad length */
    gnv_buf bad = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__buf_put(&bad, good.ptr, good.size));
    bad.ptr[bad.size - 16] = (char)0xff;
    put_file(io, "pos.manifest", bad.ptr, bad.size);
    GNV_ASSERT_ERR(gnv__manifest_read(&back, io, "pos.manifest", NULL, NULL), GNV_ECORRUPT,
                   "outside the file");
    memcpy(bad.ptr, good.ptr, good.size);
    bad.ptr[0] ^= 0x10;
    put_file(io, "len.manifest", bad.ptr, bad.size);
    GNV_ASSERT_ERR(gnv__manifest_read(&back, io, "len.manifest", NULL, NULL), GNV_ECORRUPT,
                   "recorded length");
    /* every single byte flip either decodes or fails cleanly */
    for (size_t i = 0; i < good.size; i++) {
        memcpy(bad.ptr, good.ptr, good.size);
        bad.ptr[i] ^= 0x5a;
        put_file(io, "flip.manifest", bad.ptr, bad.size);
        int rc = gnv__manifest_read(&back, io, "flip.manifest", NULL, NULL);
        assert_true(rc == GNV_OK || rc == GNV_ECORRUPT);
        gnv__manifest_free(back);
        back = NULL;
    }
    gnv_buf_dispose(&good);
    gnv_buf_dispose(&bad);
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

static void test_flags(void **state)
{
    (void)state;
    Gnvpb__Manifest m;
    gnvpb__manifest__init(&m);
    m.has_version = 1;
    m.version = 5;
    GNV_ASSERT_OK(gnv__manifest_check_flags(&m, "t"));
    m.has_reader_feature_flags = m.has_writer_feature_flags = 1;
    m.reader_feature_flags = 1 | 2 | 8 | 16;
    m.writer_feature_flags = 1 | 2 | 8 | 16;
    GNV_ASSERT_OK(gnv__manifest_check_flags(&m, "t"));
    m.reader_feature_flags = 32 | 1;
    GNV_ASSERT_ERR(gnv__manifest_check_flags(&m, "tbl"), GNV_EVERSION, "reader feature flag 32");
    m.reader_feature_flags = 1;
    m.writer_feature_flags = 1ull << 40;
    GNV_ASSERT_ERR(gnv__manifest_check_flags(&m, "tbl"), GNV_EVERSION, "1099511627776");
    assert_non_null(strstr(gnv_error_last()->message, "'tbl'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_roundtrip_framing),
        cmocka_unit_test(test_unknown_fields_kept),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
