/* Arrow IPC: round trips of every supported type through both formats and all
 * compressions, sliced inputs, dictionary decoding of hand-built messages, and bad
 * input (truncation at every length, byte flips, oversized lengths, wrong magic). */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arrow/arrow.h"
#include "arrow/arrow_ipc.h"

/* ---- building test data --------------------------------------------------- */

typedef struct fdef {
    const char *format;
    const char *name;
    int n_children;
    const struct fdef *children;
} fdef;

static const fdef item_i32[] = {{"i", "item", 0, NULL}};
static const fdef item_utf8[] = {{"u", "item", 0, NULL}};
static const fdef item_f64[] = {{"g", "item", 0, NULL}};
static const fdef inner_struct[] = {{"l", "a", 0, NULL}, {"+l", "b", 1, item_utf8}};
static const fdef item_struct[] = {{"+s", "item", 2, inner_struct}};

static const fdef all_fields[] = {
    {"n", "null", 0, NULL},
    {"b", "bool", 0, NULL},
    {"c", "i8", 0, NULL},
    {"s", "i16", 0, NULL},
    {"i", "i32", 0, NULL},
    {"l", "i64", 0, NULL},
    {"C", "u8", 0, NULL},
    {"S", "u16", 0, NULL},
    {"I", "u32", 0, NULL},
    {"L", "u64", 0, NULL},
    {"e", "f16", 0, NULL},
    {"f", "f32", 0, NULL},
    {"g", "f64", 0, NULL},
    {"u", "utf8", 0, NULL},
    {"U", "large_utf8", 0, NULL},
    {"z", "binary", 0, NULL},
    {"Z", "large_binary", 0, NULL},
    {"w:5", "fsb", 0, NULL},
    {"tdD", "date", 0, NULL},
    {"tss:", "ts_s", 0, NULL},
    {"tsm:UTC", "ts_ms", 0, NULL},
    {"tsu:America/New_York", "ts_us", 0, NULL},
    {"tsn:+07:30", "ts_ns", 0, NULL},
    {"+l", "list", 1, item_i32},
    {"+L", "large_list", 1, item_utf8},
    {"+w:3", "fsl", 1, item_f64},
    {"+s", "struct", 2, inner_struct},
    {"+l", "list_of_struct", 1, item_struct},
};

static void build_schema(struct ArrowSchema *s, const fdef *f, int64_t flags)
{
    assert_int_equal(gnv__schema_init(s, f->format, f->name, flags), GNV_OK);
    if (f->n_children) {
        assert_int_equal(gnv__schema_alloc_children(s, f->n_children), GNV_OK);
        for (int i = 0; i < f->n_children; i++)
            build_schema(s->children[i], &f->children[i], ARROW_FLAG_NULLABLE);
    }
}

static void set_meta(struct ArrowSchema *s, const char *k, const char *v)
{
    gnv_buf m = GNV_BUF_INIT;
    const char *keys[] = {k, "second"};
    const char *vals[] = {v, ""};
    assert_int_equal(gnv__metadata_build(&m, keys, vals, 2), GNV_OK);
    assert_int_equal(gnv__schema_set_metadata(s, m.ptr), GNV_OK);
    gnv_buf_dispose(&m);
}

/* The schema of every supported type; the second field is not nullable. */
static void all_schema(struct ArrowSchema *s)
{
    fdef top = {"+s", "", (int)GNV_ARRAY_SIZE(all_fields), all_fields};
    build_schema(s, &top, 0);
    s->children[1]->flags = 0;
    set_meta(s, "schema-key", "schema value");
    set_meta(s->children[4], "field-key", "field value");
    set_meta(s->children[26]->children[1], "nested", "yes");
}

static void append_value(struct ArrowArray *a, const struct ArrowSchema *s, int64_t i, int depth)
{
    gnv_type t;
    assert_int_equal(gnv__type_parse(&t, s->format), GNV_OK);
    if ((s->flags & ARROW_FLAG_NULLABLE) && (i + depth) % 5 == 2) {
        assert_int_equal(gnv__array_append_null(a, 1), GNV_OK);
        return;
    }
    char text[32];
    switch (t.id) {
    case GNV_TYPE_NA:
        assert_int_equal(gnv__array_append_null(a, 1), GNV_OK);
        break;
    case GNV_TYPE_BOOL:
        assert_int_equal(gnv__array_append_bool(a, i % 3 == 0), GNV_OK);
        break;
    case GNV_TYPE_INT8:
    case GNV_TYPE_INT16:
    case GNV_TYPE_INT32:
    case GNV_TYPE_INT64:
    case GNV_TYPE_DATE32:
    case GNV_TYPE_TIMESTAMP:
        assert_int_equal(gnv__array_append_int(a, i % 100 - 50), GNV_OK);
        break;
    case GNV_TYPE_UINT8:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_UINT32:
    case GNV_TYPE_UINT64:
        assert_int_equal(gnv__array_append_uint(a, (uint64_t)(i % 200)), GNV_OK);
        break;
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        assert_int_equal(gnv__array_append_double(a, (double)i * 0.5 - 3), GNV_OK);
        break;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY: {
        int n = snprintf(text, sizeof text, "v%lld-%.*s", (long long)i, 2 * (int)(i % 4),
                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
        assert_int_equal(gnv__array_append_bytes(a, text, (size_t)n), GNV_OK);
        break;
    }
    case GNV_TYPE_FIXED_SIZE_BINARY:
        snprintf(text, sizeof text, "%05lld", (long long)(i % 100000));
        assert_int_equal(gnv__array_append_bytes(a, text, (size_t)t.fixed_size), GNV_OK);
        break;
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
        for (int64_t j = 0; j < i % 4; j++)
            append_value(a->children[0], s->children[0], i * 7 + j, depth + 1);
        assert_int_equal(gnv__array_finish_element(a), GNV_OK);
        break;
    case GNV_TYPE_FIXED_SIZE_LIST:
        for (int64_t j = 0; j < t.fixed_size; j++)
            append_value(a->children[0], s->children[0], i * 3 + j, depth + 1);
        assert_int_equal(gnv__array_finish_element(a), GNV_OK);
        break;
    case GNV_TYPE_STRUCT:
        for (int64_t c = 0; c < s->n_children; c++)
            append_value(a->children[c], s->children[c], i + c, depth + 1);
        assert_int_equal(gnv__array_finish_element(a), GNV_OK);
        break;
    default:
        fail();
    }
}

static void
build_batch(struct ArrowArray *out, const struct ArrowSchema *s, int64_t rows, int64_t seed)
{
    assert_int_equal(gnv__array_init(out, s), GNV_OK);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = 0; c < s->n_children; c++)
            append_value(out->children[c], s->children[c], seed + r + c, 0);
        assert_int_equal(gnv__array_finish_element(out), GNV_OK);
    }
    assert_int_equal(gnv__array_finish(out), GNV_OK);
    if (gnv__array_validate(s, out, true) != GNV_OK)
        fail_msg("built batch is invalid: %s", gnv_error_last()->message);
}

/* ---- comparing ------------------------------------------------------------ */

static void assert_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    assert_string_equal(a->format, b->format);
    assert_string_equal(a->name ? a->name : "", b->name ? b->name : "");
    assert_int_equal(a->flags & ARROW_FLAG_NULLABLE, b->flags & ARROW_FLAG_NULLABLE);
    int64_t ma = a->metadata ? gnv__metadata_size(a->metadata) : 0;
    int64_t mb = b->metadata ? gnv__metadata_size(b->metadata) : 0;
    if (ma <= 4 && mb <= 4) {
        /* absent and empty are the same */
    } else {
        assert_int_equal(ma, mb);
        assert_memory_equal(a->metadata, b->metadata, (size_t)ma);
    }
    assert_int_equal(a->n_children, b->n_children);
    for (int64_t i = 0; i < a->n_children; i++)
        assert_schema_equal(a->children[i], b->children[i]);
}

static void
assert_value_equal(const gnv_array_view *a, int64_t i, const gnv_array_view *b, int64_t j)
{
    bool na = gnv__view_is_null(a, i), nb = gnv__view_is_null(b, j);
    assert_int_equal(na, nb);
    if (na)
        return;
    switch (a->type.id) {
    case GNV_TYPE_NA:
        break;
    case GNV_TYPE_BOOL:
        assert_int_equal(gnv__view_get_bool(a, i), gnv__view_get_bool(b, j));
        break;
    case GNV_TYPE_UINT64:
        assert_int_equal(gnv__view_get_uint(a, i), gnv__view_get_uint(b, j));
        break;
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        assert_true(gnv__view_get_double(a, i) == gnv__view_get_double(b, j));
        break;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
    case GNV_TYPE_FIXED_SIZE_BINARY: {
        int64_t la, lb;
        const uint8_t *pa = gnv__view_get_bytes(a, i, &la);
        const uint8_t *pb = gnv__view_get_bytes(b, j, &lb);
        assert_int_equal(la, lb);
        if (la)
            assert_memory_equal(pa, pb, (size_t)la);
        break;
    }
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
    case GNV_TYPE_FIXED_SIZE_LIST: {
        int64_t sa, ea, sb, eb;
        gnv__view_list_range(a, i, &sa, &ea);
        gnv__view_list_range(b, j, &sb, &eb);
        assert_int_equal(ea - sa, eb - sb);
        for (int64_t k = 0; k < ea - sa; k++)
            assert_value_equal(&a->children[0], sa + k, &b->children[0], sb + k);
        break;
    }
    case GNV_TYPE_STRUCT:
        for (int64_t c = 0; c < a->n_children; c++)
            assert_value_equal(&a->children[c], gnv__view_struct_index(a, i), &b->children[c],
                               gnv__view_struct_index(b, j));
        break;
    default:
        assert_int_equal(gnv__view_get_int(a, i), gnv__view_get_int(b, j));
        break;
    }
}

/* Row r of batch a equals row r of batch b, for every column. */
static void assert_batch_equal(const struct ArrowSchema *s,
                               const struct ArrowArray *a,
                               const struct ArrowArray *b)
{
    gnv_array_view va, vb;
    assert_int_equal(a->length, b->length);
    assert_int_equal(gnv__array_view_init(&va, s, a), GNV_OK);
    assert_int_equal(gnv__array_view_init(&vb, s, b), GNV_OK);
    for (int64_t r = 0; r < a->length; r++)
        for (int64_t c = 0; c < s->n_children; c++)
            assert_value_equal(&va.children[c], gnv__view_struct_index(&va, r), &vb.children[c],
                               gnv__view_struct_index(&vb, r));
    gnv__array_view_reset(&va);
    gnv__array_view_reset(&vb);
}

/* ---- writing and reading -------------------------------------------------- */

static void write_ipc(gnv_buf *out,
                      const struct ArrowSchema *s,
                      struct ArrowArray *batches,
                      int n,
                      int stream_format,
                      int compression)
{
    gnv_ipc_writer *w;
    gnv_ipc_write_options o = GNV_IPC_WRITE_OPTIONS_INIT;
    o.stream_format = stream_format;
    o.compression = compression;
    assert_int_equal(gnv__ipc_writer_new(&w, gnv__ipc_sink_buf(out), s, &o), GNV_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(gnv__ipc_writer_write(w, &batches[i]), GNV_OK);
    assert_int_equal(gnv__ipc_writer_finish(w), GNV_OK);
    gnv__ipc_writer_free(w);
}

/* Read everything back and compare with the input batches. */
static void
read_and_compare(const gnv_buf *buf, const struct ArrowSchema *s, struct ArrowArray *batches, int n)
{
    struct ArrowArrayStream st;
    struct ArrowSchema got;
    assert_int_equal(gnv__ipc_open_memory(&st, buf->ptr, buf->size, "mem.arrow"), GNV_OK);
    assert_int_equal(gnv__stream_get_schema(&st, &got), GNV_OK);
    assert_schema_equal(s, &got);
    for (int i = 0; i < n; i++) {
        struct ArrowArray a;
        int rc = gnv__stream_next(&st, &a);
        if (rc != GNV_OK)
            fail_msg("batch %d: %s", i, gnv_error_last()->message);
        assert_batch_equal(s, &batches[i], &a);
        gnv__array_release(&a);
    }
    struct ArrowArray a;
    assert_int_equal(gnv__stream_next(&st, &a), GNV_ITEROVER);
    assert_int_equal(gnv__stream_next(&st, &a), GNV_ITEROVER);
    gnv__schema_release(&got);
    gnv__stream_release(&st);
}

static void roundtrip(const struct ArrowSchema *s, struct ArrowArray *batches, int n)
{
    for (int fmt = 0; fmt < 2; fmt++) {
        for (int comp = 0; comp < 3; comp++) {
            gnv_buf buf = GNV_BUF_INIT;
            write_ipc(&buf, s, batches, n, fmt, comp);
            if (fmt == 0) {
                assert_memory_equal(buf.ptr, "ARROW1\0\0", 8);
                assert_memory_equal(buf.ptr + buf.size - 6, "ARROW1", 6);
            } else {
                assert_memory_equal(buf.ptr + buf.size - 8, "\xff\xff\xff\xff\0\0\0\0", 8);
            }
            read_and_compare(&buf, s, batches, n);
            gnv_buf_dispose(&buf);
        }
    }
}

static void test_roundtrip_all_types(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b[3];
    all_schema(&s);
    build_batch(&b[0], &s, 100, 0);
    build_batch(&b[1], &s, 0, 0);
    build_batch(&b[2], &s, 37, 1000);
    roundtrip(&s, b, 3);
    for (int i = 0; i < 3; i++)
        gnv__array_release(&b[i]);
    gnv__schema_release(&s);
}

static void test_zero_batches(void **state)
{
    (void)state;
    struct ArrowSchema s;
    all_schema(&s);
    roundtrip(&s, NULL, 0);
    gnv__schema_release(&s);
    /* A schema without columns. */
    assert_int_equal(gnv__schema_init(&s, "+s", "", 0), GNV_OK);
    roundtrip(&s, NULL, 0);
    gnv__schema_release(&s);
}

static void test_many_batches(void **state)
{
    (void)state;
    enum { N = 150 };
    struct ArrowSchema s;
    struct ArrowArray *b = calloc(N, sizeof *b);
    all_schema(&s);
    for (int i = 0; i < N; i++)
        build_batch(&b[i], &s, i % 7, i * 13);
    roundtrip(&s, b, N);
    for (int i = 0; i < N; i++)
        gnv__array_release(&b[i]);
    free(b);
    gnv__schema_release(&s);
}

/* A struct batch whose children are borrowed (released by nobody here). */
typedef struct manual_batch {
    struct ArrowArray top;
    struct ArrowArray *kids[64];
    const void *bufs[1];
} manual_batch;

static void manual_release(struct ArrowArray *a)
{
    a->release = NULL;
}

static void test_sliced(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray full, top_slice, cols[64];
    manual_batch mb;
    all_schema(&s);
    build_batch(&full, &s, 60, 5);

    /* Sliced at the top. */
    assert_int_equal(gnv__array_slice(&top_slice, &full, 7, 30), GNV_OK);
    roundtrip(&s, &top_slice, 1);

    /* Columns sliced at different offsets under an unsliced struct (children of a
     * struct may start anywhere), plus the nested children of a slice. */
    memset(&mb, 0, sizeof mb);
    for (int64_t c = 0; c < s.n_children; c++) {
        assert_int_equal(gnv__array_slice(&cols[c], full.children[c], c % 5, 20), GNV_OK);
        mb.kids[c] = &cols[c];
    }
    mb.top.length = 20;
    mb.top.n_buffers = 1;
    mb.top.buffers = mb.bufs;
    mb.top.n_children = s.n_children;
    mb.top.children = mb.kids;
    mb.top.release = manual_release;
    assert_int_equal(gnv__array_validate(&s, &mb.top, true), GNV_OK);
    roundtrip(&s, &mb.top, 1);

    for (int64_t c = 0; c < s.n_children; c++)
        gnv__array_release(&cols[c]);
    gnv__array_release(&top_slice);
    gnv__array_release(&full);
    gnv__schema_release(&s);
}

static void test_compression_shrinks(void **state)
{
    (void)state;
    /* Highly compressible data must come out smaller; random-looking data stored raw. */
    struct ArrowSchema s;
    struct ArrowArray b;
    fdef f[] = {{"l", "x", 0, NULL}};
    fdef top = {"+s", "", 1, f};
    build_schema(&s, &top, 0);
    assert_int_equal(gnv__array_init(&b, &s), GNV_OK);
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(gnv__array_append_int(b.children[0], 42), GNV_OK);
        assert_int_equal(gnv__array_finish_element(&b), GNV_OK);
    }
    assert_int_equal(gnv__array_finish(&b), GNV_OK);
    gnv_buf plain = GNV_BUF_INIT, lz4 = GNV_BUF_INIT, zstd = GNV_BUF_INIT;
    write_ipc(&plain, &s, &b, 1, 0, GNV_IPC_COMPRESS_NONE);
    write_ipc(&lz4, &s, &b, 1, 0, GNV_IPC_COMPRESS_LZ4);
    write_ipc(&zstd, &s, &b, 1, 0, GNV_IPC_COMPRESS_ZSTD);
    assert_true(lz4.size < plain.size / 10);
    assert_true(zstd.size < plain.size / 10);
    read_and_compare(&lz4, &s, &b, 1);
    read_and_compare(&zstd, &s, &b, 1);
    gnv_buf_dispose(&plain);
    gnv_buf_dispose(&lz4);
    gnv_buf_dispose(&zstd);
    gnv__array_release(&b);
    gnv__schema_release(&s);
}

/* ---- hand-built messages ---------------------------------------------------- */

static void put_i32(gnv_buf *b, int32_t v)
{
    assert_int_equal(gnv__buf_put(b, &v, 4), GNV_OK);
}

/* Frame a finished Message flatbuffer and its body into out. */
static void emit(gnv_buf *out,
                 gnv_fb_builder *b,
                 uint8_t htype,
                 gnv_fb_ref header,
                 const void *body,
                 size_t body_len)
{
    gnv_fb_ref msg;
    const uint8_t *data;
    size_t size;
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_add_i64(b, 3, (int64_t)body_len), GNV_OK);
    assert_int_equal(gnv__fbb_add_ref(b, 2, header), GNV_OK);
    assert_int_equal(gnv__fbb_add_i16(b, 0, GNV_IPC_V5), GNV_OK);
    assert_int_equal(gnv__fbb_add_u8(b, 1, htype), GNV_OK);
    assert_int_equal(gnv__fbb_table_end(b, &msg), GNV_OK);
    assert_int_equal(gnv__fbb_finish(b, msg, &data, &size), GNV_OK);
    put_i32(out, -1);
    put_i32(out, (int32_t)size);
    assert_int_equal(gnv__buf_put(out, data, size), GNV_OK);
    if (body_len)
        assert_int_equal(gnv__buf_put(out, body, body_len), GNV_OK);
    gnv__fbb_reset(b);
}

static gnv_fb_ref empty_table(gnv_fb_builder *b)
{
    gnv_fb_ref r;
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_table_end(b, &r), GNV_OK);
    return r;
}

static gnv_fb_ref int_table(gnv_fb_builder *b, int bits, bool is_signed)
{
    gnv_fb_ref r;
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_add_i32(b, 0, bits), GNV_OK);
    assert_int_equal(gnv__fbb_add_u8(b, 1, is_signed), GNV_OK);
    assert_int_equal(gnv__fbb_table_end(b, &r), GNV_OK);
    return r;
}

/* A Field; dict_id < 0: not dictionary-encoded. */
static gnv_fb_ref field_table(gnv_fb_builder *b,
                              const char *name,
                              uint8_t tag,
                              gnv_fb_ref type,
                              int64_t dict_id,
                              int index_bits)
{
    gnv_fb_ref nm, kids, enc = 0, r;
    assert_int_equal(gnv__fbb_string(b, name, strlen(name), &nm), GNV_OK);
    assert_int_equal(gnv__fbb_ref_vector(b, NULL, 0, &kids), GNV_OK);
    if (dict_id >= 0) {
        gnv_fb_ref it = int_table(b, index_bits, true);
        gnv__fbb_table_start(b);
        assert_int_equal(gnv__fbb_add_i64(b, 0, dict_id), GNV_OK);
        assert_int_equal(gnv__fbb_add_ref(b, 1, it), GNV_OK);
        assert_int_equal(gnv__fbb_table_end(b, &enc), GNV_OK);
    }
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_add_ref(b, 0, nm), GNV_OK);
    assert_int_equal(gnv__fbb_add_u8(b, 1, 1), GNV_OK);
    assert_int_equal(gnv__fbb_add_u8(b, 2, tag), GNV_OK);
    assert_int_equal(gnv__fbb_add_ref(b, 3, type), GNV_OK);
    if (enc)
        assert_int_equal(gnv__fbb_add_ref(b, 4, enc), GNV_OK);
    assert_int_equal(gnv__fbb_add_ref(b, 5, kids), GNV_OK);
    assert_int_equal(gnv__fbb_table_end(b, &r), GNV_OK);
    return r;
}

static void
emit_schema(gnv_buf *out, const gnv_fb_ref *fields, uint32_t n, int16_t endian, gnv_fb_builder *b)
{
    gnv_fb_ref vec, schema;
    assert_int_equal(gnv__fbb_ref_vector(b, fields, n, &vec), GNV_OK);
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_add_i16(b, 0, endian), GNV_OK);
    assert_int_equal(gnv__fbb_add_ref(b, 1, vec), GNV_OK);
    assert_int_equal(gnv__fbb_table_end(b, &schema), GNV_OK);
    emit(out, b, GNV_FB_MSG_SCHEMA, schema, NULL, 0);
}

/* A body under construction: buffers 8-aligned, Buffer and FieldNode entries. */
typedef struct body {
    gnv_buf data;
    int64_t bufs[32][2];
    int n_bufs;
    int64_t nodes[16][2];
    int n_nodes;
} body;

static void body_node(body *bd, int64_t length, int64_t nulls)
{
    bd->nodes[bd->n_nodes][0] = length;
    bd->nodes[bd->n_nodes][1] = nulls;
    bd->n_nodes++;
}

static void body_buf(body *bd, const void *p, size_t n)
{
    while (bd->data.size % 8)
        assert_int_equal(gnv__buf_putc(&bd->data, 0), GNV_OK);
    bd->bufs[bd->n_bufs][0] = (int64_t)bd->data.size;
    bd->bufs[bd->n_bufs][1] = (int64_t)n;
    bd->n_bufs++;
    if (n)
        assert_int_equal(gnv__buf_put(&bd->data, p, n), GNV_OK);
}

/* Build the RecordBatch table for bd (codec -1: none). */
static gnv_fb_ref record_batch(gnv_fb_builder *b, body *bd, int64_t length, int codec)
{
    gnv_fb_ref nodes, bufs, comp = 0, r;
    while (bd->data.size % 8)
        assert_int_equal(gnv__buf_putc(&bd->data, 0), GNV_OK);
    assert_int_equal(gnv__fbb_struct_vector(b, bd->nodes, (uint32_t)bd->n_nodes, 16, &nodes),
                     GNV_OK);
    assert_int_equal(gnv__fbb_struct_vector(b, bd->bufs, (uint32_t)bd->n_bufs, 16, &bufs), GNV_OK);
    if (codec >= 0) {
        gnv__fbb_table_start(b);
        assert_int_equal(gnv__fbb_add_u8(b, 0, (uint8_t)codec), GNV_OK);
        assert_int_equal(gnv__fbb_table_end(b, &comp), GNV_OK);
    }
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_add_i64(b, 0, length), GNV_OK);
    assert_int_equal(gnv__fbb_add_ref(b, 1, nodes), GNV_OK);
    assert_int_equal(gnv__fbb_add_ref(b, 2, bufs), GNV_OK);
    if (comp)
        assert_int_equal(gnv__fbb_add_ref(b, 3, comp), GNV_OK);
    assert_int_equal(gnv__fbb_table_end(b, &r), GNV_OK);
    return r;
}

static void emit_dictionary(
    gnv_buf *out, gnv_fb_builder *b, int64_t id, bool delta, const char *const *words, int n)
{
    body bd;
    int32_t offs[16] = {0};
    gnv_buf chars = GNV_BUF_INIT;
    memset(&bd, 0, sizeof bd);
    for (int i = 0; i < n; i++) {
        assert_int_equal(gnv__buf_puts(&chars, words[i]), GNV_OK);
        offs[i + 1] = (int32_t)chars.size;
    }
    body_node(&bd, n, 0);
    body_buf(&bd, NULL, 0);
    body_buf(&bd, offs, (size_t)(n + 1) * 4);
    body_buf(&bd, chars.ptr, chars.size);
    gnv_fb_ref rb = record_batch(b, &bd, n, -1), d;
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_add_i64(b, 0, id), GNV_OK);
    assert_int_equal(gnv__fbb_add_ref(b, 1, rb), GNV_OK);
    assert_int_equal(gnv__fbb_add_u8(b, 2, delta), GNV_OK);
    assert_int_equal(gnv__fbb_table_end(b, &d), GNV_OK);
    emit(out, b, GNV_FB_MSG_DICTIONARY_BATCH, d, bd.data.ptr, bd.data.size);
    gnv_buf_dispose(&bd.data);
    gnv_buf_dispose(&chars);
}

/* A batch of two columns: int8 indices (validity given) and int16 indices. */
static void emit_index_batch(
    gnv_buf *out, gnv_fb_builder *b, const int8_t *a, const int16_t *c, uint8_t validity, int n)
{
    body bd;
    memset(&bd, 0, sizeof bd);
    body_node(&bd, n, validity == 0xff ? 0 : 1);
    body_buf(&bd, &validity, validity == 0xff ? 0 : 1);
    body_buf(&bd, a, (size_t)n);
    body_node(&bd, n, 0);
    body_buf(&bd, NULL, 0);
    body_buf(&bd, c, (size_t)n * 2);
    gnv_fb_ref rb = record_batch(b, &bd, n, -1);
    emit(out, b, GNV_FB_MSG_RECORD_BATCH, rb, bd.data.ptr, bd.data.size);
    gnv_buf_dispose(&bd.data);
}

static void dict_stream(gnv_buf *out, bool second_batch_bad_index)
{
    gnv_fb_builder b;
    gnv__fbb_init(&b);
    gnv_fb_ref f[2];
    f[0] = field_table(&b, "color", GNV_FB_TYPE_UTF8, empty_table(&b), 7, 8);
    f[1] = field_table(&b, "size", GNV_FB_TYPE_UTF8, empty_table(&b), 9, 16);
    emit_schema(out, f, 2, 0, &b);
    static const char *const colors[] = {"red", "green", "blue"};
    static const char *const sizes[] = {"S", "M"};
    static const char *const more[] = {"cyan"};
    emit_dictionary(out, &b, 7, false, colors, 3);
    emit_dictionary(out, &b, 9, false, sizes, 2);
    int8_t i1[] = {0, 2, 0, 1};
    int16_t s1[] = {1, 1, 0, 0};
    emit_index_batch(out, &b, i1, s1, 0xff & ~(1u << 2), 4); /* row 2 null */
    emit_dictionary(out, &b, 7, true, more, 1);
    int8_t i2[] = {3, 0, second_batch_bad_index ? 9 : 2};
    int16_t s2[] = {0, 1, 1};
    emit_index_batch(out, &b, i2, s2, 0xff, 3);
    put_i32(out, -1);
    put_i32(out, 0);
    gnv__fbb_reset(&b);
}

static void expect_strings(const struct ArrowSchema *s,
                           const struct ArrowArray *a,
                           int col,
                           const char *const *want,
                           int n)
{
    gnv_array_view v;
    assert_int_equal(a->length, n);
    assert_int_equal(gnv__array_view_init(&v, s->children[col], a->children[col]), GNV_OK);
    for (int i = 0; i < n; i++) {
        if (!want[i]) {
            assert_true(gnv__view_is_null(&v, i));
            continue;
        }
        int64_t len;
        const uint8_t *p = gnv__view_get_bytes(&v, i, &len);
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(p, want[i], (size_t)len);
    }
    gnv__array_view_reset(&v);
}

static void test_dictionary_decode(void **state)
{
    (void)state;
    gnv_buf buf = GNV_BUF_INIT;
    struct ArrowArrayStream st;
    struct ArrowSchema s;
    struct ArrowArray a;
    dict_stream(&buf, false);
    assert_int_equal(gnv__ipc_open_memory(&st, buf.ptr, buf.size, "dict.arrows"), GNV_OK);
    assert_int_equal(gnv__stream_get_schema(&st, &s), GNV_OK);
    assert_int_equal(s.n_children, 2);
    assert_string_equal(s.children[0]->format, "u"); /* the value type, no dictionary */
    assert_null(s.children[0]->dictionary);
    assert_string_equal(s.children[1]->name, "size");
    assert_int_equal(gnv__stream_next(&st, &a), GNV_OK);
    const char *c1[] = {"red", "blue", NULL, "green"};
    const char *z1[] = {"M", "M", "S", "S"};
    expect_strings(&s, &a, 0, c1, 4);
    expect_strings(&s, &a, 1, z1, 4);
    assert_null(a.children[0]->dictionary);
    gnv__array_release(&a);
    assert_int_equal(gnv__stream_next(&st, &a), GNV_OK);
    const char *c2[] = {"cyan", "red", "blue"}; /* index 3 comes from the delta */
    const char *z2[] = {"S", "M", "M"};
    expect_strings(&s, &a, 0, c2, 3);
    expect_strings(&s, &a, 1, z2, 3);
    gnv__array_release(&a);
    assert_int_equal(gnv__stream_next(&st, &a), GNV_ITEROVER);
    gnv__schema_release(&s);
    gnv__stream_release(&st);
    gnv_buf_dispose(&buf);

    /* An index outside the dictionary. */
    dict_stream(&buf, true);
    assert_int_equal(gnv__ipc_open_memory(&st, buf.ptr, buf.size, "dict.arrows"), GNV_OK);
    assert_int_equal(gnv__stream_next(&st, &a), GNV_OK);
    gnv__array_release(&a);
    assert_int_equal(gnv__stream_next(&st, &a), GNV_ECORRUPT);
    assert_non_null(strstr(gnv_error_last()->message, "dict.arrows: record batch 1"));
    assert_non_null(strstr(gnv_error_last()->message, "color"));
    gnv__stream_release(&st);
    gnv_buf_dispose(&buf);
}

static void test_dictionary_before_definition(void **state)
{
    (void)state;
    gnv_buf buf = GNV_BUF_INIT;
    gnv_fb_builder b;
    struct ArrowArrayStream st;
    struct ArrowArray a;
    gnv__fbb_init(&b);
    gnv_fb_ref f[2];
    f[0] = field_table(&b, "color", GNV_FB_TYPE_UTF8, empty_table(&b), 7, 8);
    f[1] = field_table(&b, "size", GNV_FB_TYPE_UTF8, empty_table(&b), 9, 16);
    emit_schema(&buf, f, 2, 0, &b);
    int8_t i1[] = {0};
    int16_t s1[] = {0};
    emit_index_batch(&buf, &b, i1, s1, 0xff, 1);
    put_i32(&buf, -1);
    put_i32(&buf, 0);
    assert_int_equal(gnv__ipc_open_memory(&st, buf.ptr, buf.size, "d.arrows"), GNV_OK);
    assert_int_equal(gnv__stream_next(&st, &a), GNV_ECORRUPT);
    assert_non_null(strstr(gnv_error_last()->message, "dictionary id 7"));
    gnv__stream_release(&st);
    gnv__fbb_reset(&b);
    gnv_buf_dispose(&buf);
}

/* A one-column stream of `tag` built by hand; returns the open result. */
static int open_single_field(uint8_t tag, gnv_fb_ref (*type)(gnv_fb_builder *), int16_t endian)
{
    gnv_buf buf = GNV_BUF_INIT;
    gnv_fb_builder b;
    struct ArrowArrayStream st;
    gnv__fbb_init(&b);
    gnv_fb_ref f = field_table(&b, "weird", tag, type(&b), -1, 0);
    emit_schema(&buf, &f, 1, endian, &b);
    put_i32(&buf, -1);
    put_i32(&buf, 0);
    int rc = gnv__ipc_open_memory(&st, buf.ptr, buf.size, "w.arrows");
    if (rc == GNV_OK)
        gnv__stream_release(&st);
    gnv__fbb_reset(&b);
    gnv_buf_dispose(&buf);
    return rc;
}

static gnv_fb_ref decimal_type(gnv_fb_builder *b)
{
    gnv_fb_ref r;
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_add_i32(b, 0, 10), GNV_OK);
    assert_int_equal(gnv__fbb_add_i32(b, 2, 256), GNV_OK); /* decimal256: not supported */
    assert_int_equal(gnv__fbb_table_end(b, &r), GNV_OK);
    return r;
}

static void test_unsupported(void **state)
{
    (void)state;
    assert_int_equal(open_single_field(GNV_FB_TYPE_DECIMAL, decimal_type, 0), GNV_ENOTSUP);
    assert_non_null(strstr(gnv_error_last()->message, "'weird'"));
    assert_non_null(strstr(gnv_error_last()->message, "decimal"));
    assert_int_equal(open_single_field(GNV_FB_TYPE_UNION, empty_table, 0), GNV_ENOTSUP);
    assert_non_null(strstr(gnv_error_last()->message, "union"));
    assert_int_equal(open_single_field(GNV_FB_TYPE_MAP, empty_table, 0), GNV_ENOTSUP);
    assert_int_equal(open_single_field(GNV_FB_TYPE_TIME, empty_table, 0), GNV_ENOTSUP);
    /* Duration MILLISECOND (the default unit) is supported. */
    assert_int_equal(open_single_field(GNV_FB_TYPE_DURATION, empty_table, 0), GNV_OK);
    assert_int_equal(open_single_field(GNV_FB_TYPE_INTERVAL, empty_table, 0), GNV_ENOTSUP);
    assert_int_equal(open_single_field(99, empty_table, 0), GNV_ENOTSUP);
    /* Date MILLISECOND (the default unit) is date64. */
    assert_int_equal(open_single_field(GNV_FB_TYPE_DATE, empty_table, 0), GNV_ENOTSUP);
    /* Big-endian data. */
    assert_int_equal(open_single_field(GNV_FB_TYPE_UTF8, empty_table, 1), GNV_ENOTSUP);
    assert_non_null(strstr(gnv_error_last()->message, "big-endian"));
    /* A supported one opens. */
    assert_int_equal(open_single_field(GNV_FB_TYPE_UTF8, empty_table, 0), GNV_OK);
}

/* One int64 column with one compressed buffer whose length prefix is `ulen`. */
static int open_compressed_claim(int64_t ulen, int64_t rows)
{
    gnv_buf buf = GNV_BUF_INIT;
    gnv_fb_builder b;
    struct ArrowArrayStream st;
    struct ArrowArray a;
    body bd;
    memset(&bd, 0, sizeof bd);
    gnv__fbb_init(&b);
    gnv_fb_ref f = field_table(&b, "x", GNV_FB_TYPE_INT, int_table(&b, 64, true), -1, 0);
    emit_schema(&buf, &f, 1, 0, &b);
    uint8_t blob[24] = {0};
    memcpy(blob, &ulen, 8);
    body_node(&bd, rows, 0);
    body_buf(&bd, NULL, 0);
    body_buf(&bd, blob, sizeof blob);
    gnv_fb_ref rb = record_batch(&b, &bd, rows, 1);
    emit(&buf, &b, GNV_FB_MSG_RECORD_BATCH, rb, bd.data.ptr, bd.data.size);
    put_i32(&buf, -1);
    put_i32(&buf, 0);
    int rc = gnv__ipc_open_memory(&st, buf.ptr, buf.size, "c.arrows");
    if (rc == GNV_OK) {
        rc = gnv__stream_next(&st, &a);
        if (rc == GNV_OK)
            gnv__array_release(&a);
        gnv__stream_release(&st);
    }
    gnv__fbb_reset(&b);
    gnv_buf_dispose(&buf);
    gnv_buf_dispose(&bd.data);
    return rc;
}

/* An int64 buffer at body offset 4 (the spec wants 8): read as values, not as a
 * misaligned pointer (the reader copies that one buffer; UBSan would flag a load). */
static void test_misaligned_buffer(void **state)
{
    (void)state;
    gnv_buf buf = GNV_BUF_INIT;
    gnv_fb_builder b;
    struct ArrowArrayStream st;
    struct ArrowArray a;
    body bd;
    memset(&bd, 0, sizeof bd);
    gnv__fbb_init(&b);
    gnv_fb_ref f = field_table(&b, "x", GNV_FB_TYPE_INT, int_table(&b, 64, true), -1, 0);
    emit_schema(&buf, &f, 1, 0, &b);
    int64_t vals[3] = {7, -8, INT64_MAX};
    body_node(&bd, 3, 0);
    body_buf(&bd, NULL, 0);
    assert_int_equal(gnv__buf_put(&bd.data, "pad!", 4), GNV_OK);
    bd.bufs[bd.n_bufs][0] = 4;
    bd.bufs[bd.n_bufs][1] = sizeof vals;
    bd.n_bufs++;
    assert_int_equal(gnv__buf_put(&bd.data, vals, sizeof vals), GNV_OK);
    gnv_fb_ref rb = record_batch(&b, &bd, 3, -1);
    emit(&buf, &b, GNV_FB_MSG_RECORD_BATCH, rb, bd.data.ptr, bd.data.size);
    put_i32(&buf, -1);
    put_i32(&buf, 0);
    assert_int_equal(gnv__ipc_open_memory(&st, buf.ptr, buf.size, "m.arrows"), GNV_OK);
    assert_int_equal(gnv__stream_next(&st, &a), GNV_OK);
    gnv__stream_release(&st); /* the batch outlives the stream */
    const int64_t *got = a.children[0]->buffers[1];
    assert_int_equal((uintptr_t)got % 8, 0);
    for (int i = 0; i < 3; i++)
        assert_true(got[i] == vals[i]);
    gnv__array_release(&a);
    gnv__fbb_reset(&b);
    gnv_buf_dispose(&buf);
    gnv_buf_dispose(&bd.data);
}

/* Batches point into shared message bodies: they must stay valid after the stream and
 * the other batches are released, from a file and from memory, compressed or not. */
static void test_batches_outlive_stream(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b[3], got[3];
    all_schema(&s);
    build_batch(&b[0], &s, 100, 0);
    build_batch(&b[1], &s, 0, 0);
    build_batch(&b[2], &s, 37, 1000);
    for (int comp = 0; comp < 3; comp++) {
        gnv_buf buf = GNV_BUF_INIT;
        write_ipc(&buf, &s, b, 3, 0, comp);
        char path[] = "/tmp/gnv-test-ipc-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf.ptr, buf.size), (ssize_t)buf.size);
        close(fd);
        for (int src = 0; src < 2; src++) {
            struct ArrowArrayStream st;
            if (src == 0)
                assert_int_equal(gnv__ipc_open_path(&st, path), GNV_OK);
            else
                assert_int_equal(gnv__ipc_open_memory(&st, buf.ptr, buf.size, "m"), GNV_OK);
            for (int i = 0; i < 3; i++)
                assert_int_equal(gnv__stream_next(&st, &got[i]), GNV_OK);
            gnv__stream_release(&st);
            for (int i = 2; i >= 0; i--) {
                assert_batch_equal(&s, &b[i], &got[i]);
                gnv__array_release(&got[i]);
            }
        }
        unlink(path);
        gnv_buf_dispose(&buf);
    }
    for (int i = 0; i < 3; i++)
        gnv__array_release(&b[i]);
    gnv__schema_release(&s);
}

static void test_oversized_lengths(void **state)
{
    (void)state;
    /* Absurd uncompressed sizes are refused before allocating. */
    assert_int_equal(open_compressed_claim((int64_t)1 << 40, (int64_t)1 << 37), GNV_ECORRUPT);
    assert_non_null(strstr(gnv_error_last()->message, "c.arrows: record batch 0"));
    assert_int_equal(open_compressed_claim(-7, 2), GNV_ECORRUPT);
    /* Stored raw (-1) with too few bytes for 100 rows. */
    assert_int_equal(open_compressed_claim(-1, 100), GNV_ECORRUPT);
    assert_non_null(strstr(gnv_error_last()->message, "field 'x'"));
    /* Garbage that does not decompress. */
    assert_int_equal(open_compressed_claim(16, 2), GNV_ECORRUPT);
    /* -1 and enough bytes: fine. */
    assert_int_equal(open_compressed_claim(-1, 2), GNV_OK);

    /* A metadata length far beyond the file, and a huge footer length. */
    struct ArrowSchema s;
    struct ArrowArray bt;
    struct ArrowArrayStream st;
    all_schema(&s);
    build_batch(&bt, &s, 10, 0);
    for (int fmt = 0; fmt < 2; fmt++) {
        gnv_buf buf = GNV_BUF_INIT;
        int32_t huge = 0x7ffffff0;
        write_ipc(&buf, &s, &bt, 1, fmt, 0);
        if (fmt == 0)
            memcpy(buf.ptr + buf.size - 10, &huge, 4);
        else
            memcpy(buf.ptr + 4, &huge, 4);
        assert_int_equal(gnv__ipc_open_memory(&st, buf.ptr, buf.size, "big.arrow"), GNV_ECORRUPT);
        assert_non_null(strstr(gnv_error_last()->message, "big.arrow"));
        gnv_buf_dispose(&buf);
    }
    gnv__array_release(&bt);
    gnv__schema_release(&s);
}

static int fsb_width;

static gnv_fb_ref fsb_type(gnv_fb_builder *b)
{
    gnv_fb_ref r;
    gnv__fbb_table_start(b);
    assert_int_equal(gnv__fbb_add_i32(b, 0, fsb_width), GNV_OK);
    assert_int_equal(gnv__fbb_table_end(b, &r), GNV_OK);
    return r;
}

/* A stream of one all-null fixed_size_binary(width) column of `rows` rows whose value
 * buffer is absent (empty), as Arrow JS writes all-null columns. */
static void all_null_fsb_stream(gnv_buf *out, int width, int64_t rows)
{
    gnv_fb_builder b;
    body bd;
    memset(&bd, 0, sizeof bd);
    gnv__fbb_init(&b);
    fsb_width = width;
    gnv_fb_ref f = field_table(&b, "blob", GNV_FB_TYPE_FIXED_SIZE_BINARY, fsb_type(&b), -1, 0);
    emit_schema(out, &f, 1, 0, &b);
    uint8_t validity[8] = {0};
    assert_true(rows <= 64);
    body_node(&bd, rows, rows);
    body_buf(&bd, validity, (size_t)(rows + 7) / 8);
    body_buf(&bd, NULL, 0);
    gnv_fb_ref rb = record_batch(&b, &bd, rows, -1);
    emit(out, &b, GNV_FB_MSG_RECORD_BATCH, rb, bd.data.ptr, bd.data.size);
    put_i32(out, -1);
    put_i32(out, 0);
    gnv__fbb_reset(&b);
    gnv_buf_dispose(&bd.data);
}

static int read_all_null_fsb(int width, int64_t rows)
{
    gnv_buf buf = GNV_BUF_INIT;
    struct ArrowArrayStream st;
    struct ArrowArray a;
    all_null_fsb_stream(&buf, width, rows);
    int rc = gnv__ipc_open_memory(&st, buf.ptr, buf.size, "n.arrows");
    if (rc == GNV_OK) {
        rc = gnv__stream_next(&st, &a);
        if (rc == GNV_OK) {
            assert_int_equal(a.children[0]->null_count, rows);
            const uint8_t *v = a.children[0]->buffers[1];
            for (int64_t i = 0; i < rows * width; i++)
                assert_int_equal(v[i], 0);
            gnv__array_release(&a);
        }
        gnv__stream_release(&st);
    }
    gnv_buf_dispose(&buf);
    return rc;
}

/* Absent buffers of all-null columns are zero-filled, but only within a budget tied to
 * the message body: a tiny message declaring 8 rows of 1 GiB each must fail cleanly,
 * not allocate 8 GiB. */
static void test_all_null_zero_fill_bounded(void **state)
{
    (void)state;
    assert_int_equal(read_all_null_fsb(16, 8), GNV_OK);
    assert_int_equal(read_all_null_fsb(1 << 20, 8), GNV_OK); /* 8 MiB: within the floor */
    assert_int_equal(read_all_null_fsb(1 << 30, 8), GNV_ECORRUPT);
    const char *msg = gnv_error_last()->message;
    assert_non_null(strstr(msg, "n.arrows: record batch 0"));
    assert_non_null(strstr(msg, "field 'blob'"));
    assert_non_null(strstr(msg, "length 8"));
    assert_non_null(strstr(msg, "8589934592 bytes"));
    assert_int_equal(read_all_null_fsb(INT32_MAX, 64), GNV_ECORRUPT);
}

/* ---- damaged input -------------------------------------------------------- */

/* Open and drain; returns the first error, or GNV_OK when everything read. */
static int drain_memory(const void *data, size_t size)
{
    struct ArrowArrayStream st;
    struct ArrowSchema s;
    int rc = gnv__ipc_open_memory(&st, data, size, "x.arrow");
    if (rc < 0) {
        assert_non_null(gnv_error_last());
        assert_true(strlen(gnv_error_last()->message) > 0);
        return rc;
    }
    assert_int_equal(gnv__stream_get_schema(&st, &s), GNV_OK);
    for (;;) {
        struct ArrowArray a;
        rc = gnv__stream_next(&st, &a);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0) {
            assert_true(strlen(gnv_error_last()->message) > 0);
            break;
        }
        assert_int_equal(gnv__array_validate(&s, &a, true), GNV_OK);
        gnv__array_release(&a);
    }
    gnv__schema_release(&s);
    gnv__stream_release(&st);
    return rc;
}

static void small_file(gnv_buf *buf, int fmt, int comp)
{
    struct ArrowSchema s;
    struct ArrowArray b[2];
    all_schema(&s);
    build_batch(&b[0], &s, 3, 0);
    build_batch(&b[1], &s, 2, 9);
    write_ipc(buf, &s, b, 2, fmt, comp);
    gnv__array_release(&b[0]);
    gnv__array_release(&b[1]);
    gnv__schema_release(&s);
}

static void test_truncated(void **state)
{
    (void)state;
    for (int fmt = 0; fmt < 2; fmt++) {
        gnv_buf buf = GNV_BUF_INIT;
        small_file(&buf, fmt, fmt ? GNV_IPC_COMPRESS_ZSTD : GNV_IPC_COMPRESS_LZ4);
        assert_int_equal(drain_memory(buf.ptr, buf.size), GNV_OK);
        for (size_t n = 0; n < buf.size; n++) {
            int rc = drain_memory(buf.ptr, n);
            if (rc != GNV_ECORRUPT)
                fail_msg("format %d prefix %zu: rc %d (%s)", fmt, n, rc, gnv_error_last()->message);
        }
        gnv_buf_dispose(&buf);
    }
}

static void test_byte_flips(void **state)
{
    (void)state;
    unsigned seed = 12345;
    const char *env = getenv("GNV_TEST_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    printf("byte flips: GNV_TEST_SEED=%u\n", seed);
    srand(seed);
    for (int fmt = 0; fmt < 2; fmt++) {
        for (int comp = 0; comp < 3; comp++) {
            gnv_buf buf = GNV_BUF_INIT;
            small_file(&buf, fmt, comp);
            char *copy = malloc(buf.size);
            for (int k = 0; k < 600; k++) {
                memcpy(copy, buf.ptr, buf.size);
                int flips = 1 + rand() % 3;
                for (int j = 0; j < flips; j++)
                    copy[rand() % buf.size] ^= (char)(1 + rand() % 255);
                (void)drain_memory(copy, buf.size);
            }
            free(copy);
            gnv_buf_dispose(&buf);
        }
    }
}

static void test_wrong_magic(void **state)
{
    (void)state;
    gnv_buf buf = GNV_BUF_INIT;
    small_file(&buf, 0, 0);
    buf.ptr[buf.size - 1] = 'X'; /* trailing magic */
    assert_int_equal(drain_memory(buf.ptr, buf.size), GNV_ECORRUPT);
    assert_non_null(strstr(gnv_error_last()->message, "magic"));
    buf.ptr[buf.size - 1] = '1';
    buf.ptr[5] = '2'; /* leading magic: then it is read as a stream, and fails */
    assert_int_equal(drain_memory(buf.ptr, buf.size), GNV_ECORRUPT);
    gnv_buf_dispose(&buf);
    assert_int_equal(drain_memory("", 0), GNV_ECORRUPT);
    assert_int_equal(drain_memory("hello, world, this is not arrow", 31), GNV_ECORRUPT);
    assert_non_null(strstr(gnv_error_last()->message, "not an Arrow IPC file or stream"));
    assert_int_equal(drain_memory("ARROW1", 6), GNV_ECORRUPT);
}

/* ---- allocation failures --------------------------------------------------- */

/* Like drain_memory, but any step may fail (with the allocator failing). */
static int drain_tolerant(const void *data, size_t size)
{
    struct ArrowArrayStream st;
    struct ArrowSchema s;
    int rc = gnv__ipc_open_memory(&st, data, size, "x.arrow");
    if (rc < 0)
        return rc;
    rc = gnv__stream_get_schema(&st, &s);
    if (rc == GNV_OK) {
        gnv__schema_release(&s);
        for (;;) {
            struct ArrowArray a;
            rc = gnv__stream_next(&st, &a);
            if (rc == GNV_ITEROVER) {
                rc = GNV_OK;
                break;
            }
            if (rc < 0)
                break;
            gnv__array_release(&a);
        }
    }
    gnv__stream_release(&st);
    return rc;
}

static int
write_tolerant(const struct ArrowSchema *s, struct ArrowArray *b, int n, int fmt, int comp)
{
    gnv_buf out = GNV_BUF_INIT;
    gnv_ipc_writer *w = NULL;
    gnv_ipc_write_options o = GNV_IPC_WRITE_OPTIONS_INIT;
    o.stream_format = fmt;
    o.compression = comp;
    int rc = gnv__ipc_writer_new(&w, gnv__ipc_sink_buf(&out), s, &o);
    for (int i = 0; i < n && rc == GNV_OK; i++)
        rc = gnv__ipc_writer_write(w, &b[i]);
    if (rc == GNV_OK)
        rc = gnv__ipc_writer_finish(w);
    gnv__ipc_writer_free(w);
    gnv_buf_dispose(&out);
    return rc;
}

/* Fail the 1st, 2nd, ... allocation until a run gets through: each failed run must
 * return GNV_ENOMEM (the sanitizer build checks that nothing leaks). */
static void test_alloc_failures(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct ArrowArray b[2], sliced;
    all_schema(&s);
    build_batch(&b[0], &s, 6, 0);
    build_batch(&b[1], &s, 4, 7);
    assert_int_equal(gnv__array_slice(&sliced, &b[0], 1, 4), GNV_OK);
    for (int fmt = 0; fmt < 2; fmt++) {
        gnv_buf buf = GNV_BUF_INIT;
        small_file(&buf, fmt, fmt ? GNV_IPC_COMPRESS_ZSTD : GNV_IPC_COMPRESS_NONE);
        for (uint64_t n = 1;; n++) {
            gnv__alloc_fail_at(n, false);
            int rc = drain_tolerant(buf.ptr, buf.size);
            uint64_t used = gnv__alloc_fail_at(0, false);
            if (rc != GNV_OK && rc != GNV_ENOMEM)
                fail_msg("read, allocation %llu failing: rc %d: %s", (unsigned long long)n, rc,
                         gnv_error_last()->message);
            if (used < n) {
                assert_int_equal(rc, GNV_OK);
                break;
            }
        }
        for (uint64_t n = 1;; n++) {
            gnv__alloc_fail_at(n, false);
            int rc = write_tolerant(&s, &sliced, 1, fmt, GNV_IPC_COMPRESS_LZ4);
            uint64_t used = gnv__alloc_fail_at(0, false);
            if (rc != GNV_OK && rc != GNV_ENOMEM)
                fail_msg("write, allocation %llu failing: rc %d: %s", (unsigned long long)n, rc,
                         gnv_error_last()->message);
            if (used < n) {
                assert_int_equal(rc, GNV_OK);
                break;
            }
        }
        gnv_buf_dispose(&buf);
    }
    gnv__array_release(&sliced);
    gnv__array_release(&b[0]);
    gnv__array_release(&b[1]);
    gnv__schema_release(&s);
}

/* ---- the public writer and files ----------------------------------------- */

static void test_write_ipc_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/gnv_ipc_XXXXXX";
    char path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.arrow", dir);
    for (int fmt = 0; fmt < 2; fmt++) {
        struct ArrowSchema s, s2;
        struct ArrowArray b[2];
        struct ArrowArrayStream in, st;
        all_schema(&s);
        build_batch(&b[0], &s, 20, 0);
        build_batch(&b[1], &s, 5, 3);
        assert_int_equal(gnv__schema_copy(&s2, &s), GNV_OK);
        struct ArrowArray copies[2];
        const struct ArrowArray *p0 = &b[0], *p1 = &b[1];
        assert_int_equal(gnv__array_concat(&copies[0], &s, &p0, 1), GNV_OK);
        assert_int_equal(gnv__array_concat(&copies[1], &s, &p1, 1), GNV_OK);
        assert_int_equal(gnv__stream_from_arrays(&in, &s2, copies, 2), GNV_OK);
        gnv_ipc_write_options o = GNV_IPC_WRITE_OPTIONS_INIT;
        o.stream_format = fmt;
        o.compression = GNV_IPC_COMPRESS_ZSTD;
        int64_t rows = -1;
        assert_int_equal(gnv_write_ipc(path, &in, &o, &rows), GNV_OK);
        assert_int_equal(rows, 25);
        gnv__stream_release(&in);
        assert_int_equal(gnv__ipc_open_path(&st, path), GNV_OK);
        for (int i = 0; i < 2; i++) {
            struct ArrowArray a;
            assert_int_equal(gnv__stream_next(&st, &a), GNV_OK);
            assert_batch_equal(&s, &b[i], &a);
            gnv__array_release(&a);
        }
        gnv__stream_release(&st);
        gnv__array_release(&b[0]);
        gnv__array_release(&b[1]);
        gnv__schema_release(&s);
    }
    /* An invalid batch: an error, and the old file stays as it was. */
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    {
        struct ArrowSchema s, s2;
        struct ArrowArray bad;
        struct ArrowArrayStream in;
        fdef f[] = {{"u", "t", 0, NULL}};
        fdef top = {"+s", "", 1, f};
        build_schema(&s, &top, 0);
        assert_int_equal(gnv__array_init(&bad, &s), GNV_OK);
        assert_int_equal(gnv__array_append_bytes(bad.children[0], "\xff\xfe", 2), GNV_OK);
        assert_int_equal(gnv__array_finish_element(&bad), GNV_OK);
        assert_int_equal(gnv__array_finish(&bad), GNV_OK);
        assert_int_equal(gnv__schema_copy(&s2, &s), GNV_OK);
        assert_int_equal(gnv__stream_from_arrays(&in, &s2, &bad, 1), GNV_OK);
        assert_int_equal(gnv_write_ipc(path, &in, NULL, NULL), GNV_EINVAL);
        assert_non_null(strstr(gnv_error_last()->message, "UTF-8"));
        gnv__stream_release(&in);
        gnv__schema_release(&s);
    }
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0); /* no temporary file left behind */

    struct ArrowArrayStream st;
    assert_int_equal(gnv__ipc_open_path(&st, "/nonexistent/file.arrow"), GNV_ENOTFOUND);
}

/* Files written by the npm package apache-arrow (tests/data/ipc/gen_dict.js): a
 * dictionary-encoded utf8 column (replaced between the stream's two batches), int64
 * and list<utf8>. */
static void check_fixture(const char *file)
{
    const char *data = getenv("GNV_TEST_DATA");
    char path[1024];
    struct ArrowArrayStream st;
    struct ArrowSchema s;
    struct ArrowArray parts[4];
    const struct ArrowArray *ptrs[4];
    int n = 0, rc;
    snprintf(path, sizeof path, "%s/ipc/%s", data, file);
    if (gnv__ipc_open_path(&st, path) != GNV_OK)
        fail_msg("%s", gnv_error_last()->message);
    assert_int_equal(gnv__stream_get_schema(&st, &s), GNV_OK);
    assert_int_equal(s.n_children, 3);
    assert_string_equal(s.children[0]->name, "color");
    assert_string_equal(s.children[0]->format, "u");
    assert_null(s.children[0]->dictionary);
    assert_string_equal(s.children[1]->format, "l");
    assert_string_equal(s.children[2]->format, "+l");
    while ((rc = gnv__stream_next(&st, &parts[n])) == GNV_OK) {
        ptrs[n] = &parts[n];
        n++;
        assert_true(n < 4);
    }
    if (rc != GNV_ITEROVER)
        fail_msg("%s", gnv_error_last()->message);
    struct ArrowArray all;
    assert_int_equal(gnv__array_concat(&all, &s, ptrs, n), GNV_OK);
    const char *colors[] = {"red", "green", NULL, "red", "blue", "red"};
    expect_strings(&s, &all, 0, colors, 6);
    gnv_array_view v;
    assert_int_equal(gnv__array_view_init(&v, &s, &all), GNV_OK);
    assert_int_equal(gnv__view_get_int(&v.children[1], 4), 5);
    assert_true(gnv__view_is_null(&v.children[1], 3));
    assert_true(gnv__view_is_null(&v.children[2], 2));
    int64_t st0, en0;
    gnv__view_list_range(&v.children[2], 3, &st0, &en0);
    assert_int_equal(en0 - st0, 2);
    int64_t len;
    const uint8_t *p = gnv__view_get_bytes(&v.children[2].children[0], st0 + 1, &len);
    assert_int_equal(len, 1);
    assert_memory_equal(p, "c", 1);
    gnv__array_view_reset(&v);
    gnv__array_release(&all);
    for (int i = 0; i < n; i++)
        gnv__array_release(&parts[i]);
    gnv__schema_release(&s);
    gnv__stream_release(&st);
}

static void test_fixture(void **state)
{
    (void)state;
    if (!getenv("GNV_TEST_DATA"))
        skip();
    check_fixture("dict.arrows");
    check_fixture("dict.arrow");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all_types),
        cmocka_unit_test(test_zero_batches),
        cmocka_unit_test(test_many_batches),
        cmocka_unit_test(test_sliced),
        cmocka_unit_test(test_compression_shrinks),
        cmocka_unit_test(test_dictionary_decode),
        cmocka_unit_test(test_dictionary_before_definition),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_oversized_lengths),
        cmocka_unit_test(test_all_null_zero_fill_bounded),
        cmocka_unit_test(test_misaligned_buffer),
        cmocka_unit_test(test_batches_outlive_stream),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_byte_flips),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_write_ipc_file),
        cmocka_unit_test(test_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
