/* Arrow IPC writer: the stream and the file format, metadata version V5, with
 * optional LZ4_FRAME or ZSTD body compression. Buffers are 8-byte aligned in the
 * body; sliced inputs are copied to offset-0 arrays first so that every buffer holds
 * exactly the logical values. Writing dictionaries is not supported. */
#include <lz4frame.h>
#include <string.h>
#include <zstd.h>

#include "arrow_ipc.h"

#define BLOCK_SIZE 24 /* File.fbs Block: offset, metaDataLength (+4 pad), bodyLength */

struct gnv_ipc_writer {
    gnv_ipc_sink sink;
    struct ArrowSchema schema;
    bool file_format;
    int compression;
    int64_t pos;    /* bytes written so far */
    gnv_buf blocks; /* Block structs of the record batches (file format) */
    bool finished;
    /* Per-batch scratch. */
    gnv_buf nodes, buffers, body;
};

static const uint8_t eos_marker[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
static const uint8_t file_magic[8] = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};

static void store64(uint8_t *p, int64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

static void store32(uint8_t *p, int32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)((uint32_t)v >> (8 * i));
}

static int sink_write(gnv_ipc_writer *w, const void *data, size_t n)
{
    if (n == 0)
        return GNV_OK;
    GNV_TRY(w->sink.write(w->sink.ctx, data, n));
    w->pos += (int64_t)n;
    return GNV_OK;
}

/* ---- sinks ---------------------------------------------------------------- */

static int buf_sink_write(void *ctx, const void *data, size_t n)
{
    return gnv__buf_put(ctx, data, n);
}

gnv_ipc_sink gnv__ipc_sink_buf(gnv_buf *buf)
{
    gnv_ipc_sink s = {buf_sink_write, buf};
    return s;
}

/* ---- schema --------------------------------------------------------------- */

static int encode_metadata(gnv_fb_builder *b, const char *metadata, gnv_fb_ref *out, bool *has)
{
    int rc = GNV_OK;
    gnv_metadata_iter it;
    const char *k, *v;
    int32_t kn, vn;
    uint32_t n = 0;
    gnv_fb_ref *refs = NULL;
    *has = false;
    if (!metadata)
        return GNV_OK;
    gnv__metadata_iter_init(&it, metadata);
    while (gnv__metadata_iter_next(&it, &k, &kn, &v, &vn))
        n++;
    if (n == 0)
        return GNV_OK;
    refs = gnv__calloc(n, sizeof *refs);
    GNV_CHECK_ALLOC(refs);
    gnv__metadata_iter_init(&it, metadata);
    for (uint32_t i = 0; i < n && gnv__metadata_iter_next(&it, &k, &kn, &v, &vn); i++) {
        gnv_fb_ref kr, vr;
        GNV_TRYG(gnv__fbb_string(b, k, (size_t)kn, &kr));
        GNV_TRYG(gnv__fbb_string(b, v, (size_t)vn, &vr));
        gnv__fbb_table_start(b);
        GNV_TRYG(gnv__fbb_add_ref(b, 0, kr));
        GNV_TRYG(gnv__fbb_add_ref(b, 1, vr));
        GNV_TRYG(gnv__fbb_table_end(b, &refs[i]));
    }
    GNV_TRYG(gnv__fbb_ref_vector(b, refs, n, out));
    *has = true;
done:
    gnv__free(refs);
    return rc;
}

/* The Type union member for t: its tag and table. */
static int encode_type(gnv_fb_builder *b, const gnv_type *t, uint8_t *tag, gnv_fb_ref *out)
{
    gnv_fb_ref tz = 0;
    bool has_tz = t->id == GNV_TYPE_TIMESTAMP && t->timezone && *t->timezone;
    if (has_tz)
        GNV_TRY(gnv__fbb_string(b, t->timezone, strlen(t->timezone), &tz));
    gnv__fbb_table_start(b);
    switch (t->id) {
    case GNV_TYPE_NA:
        *tag = GNV_FB_TYPE_NULL;
        break;
    case GNV_TYPE_BOOL:
        *tag = GNV_FB_TYPE_BOOL;
        break;
    case GNV_TYPE_INT8:
    case GNV_TYPE_UINT8:
    case GNV_TYPE_INT16:
    case GNV_TYPE_UINT16:
    case GNV_TYPE_INT32:
    case GNV_TYPE_UINT32:
    case GNV_TYPE_INT64:
    case GNV_TYPE_UINT64:
        *tag = GNV_FB_TYPE_INT;
        GNV_TRY(gnv__fbb_add_i32(b, 0, gnv__type_byte_width(t) * 8));
        GNV_TRY(gnv__fbb_add_u8(b, 1, gnv__type_is_signed(t->id) ? 1 : 0));
        break;
    case GNV_TYPE_HALF_FLOAT:
    case GNV_TYPE_FLOAT:
    case GNV_TYPE_DOUBLE:
        *tag = GNV_FB_TYPE_FLOAT;
        GNV_TRY(gnv__fbb_add_i16(b, 0, (int16_t)(t->id - GNV_TYPE_HALF_FLOAT)));
        break;
    case GNV_TYPE_STRING:
        *tag = GNV_FB_TYPE_UTF8;
        break;
    case GNV_TYPE_LARGE_STRING:
        *tag = GNV_FB_TYPE_LARGE_UTF8;
        break;
    case GNV_TYPE_BINARY:
        *tag = GNV_FB_TYPE_BINARY;
        break;
    case GNV_TYPE_LARGE_BINARY:
        *tag = GNV_FB_TYPE_LARGE_BINARY;
        break;
    case GNV_TYPE_FIXED_SIZE_BINARY:
        *tag = GNV_FB_TYPE_FIXED_SIZE_BINARY;
        GNV_TRY(gnv__fbb_add_i32(b, 0, t->fixed_size));
        break;
    case GNV_TYPE_DATE32:
        *tag = GNV_FB_TYPE_DATE;
        GNV_TRY(gnv__fbb_add_i16(b, 0, 0)); /* DAY; the default is MILLISECOND */
        break;
    case GNV_TYPE_TIMESTAMP:
        *tag = GNV_FB_TYPE_TIMESTAMP;
        GNV_TRY(gnv__fbb_add_i16(b, 0, (int16_t)t->unit));
        if (has_tz)
            GNV_TRY(gnv__fbb_add_ref(b, 1, tz));
        break;
    case GNV_TYPE_DURATION:
        *tag = GNV_FB_TYPE_DURATION;
        GNV_TRY(gnv__fbb_add_i16(b, 0, (int16_t)t->unit)); /* the default is MILLISECOND */
        break;
    case GNV_TYPE_DECIMAL128:
        *tag = GNV_FB_TYPE_DECIMAL;
        GNV_TRY(gnv__fbb_add_i32(b, 0, t->precision));
        GNV_TRY(gnv__fbb_add_i32(b, 1, t->scale));
        GNV_TRY(gnv__fbb_add_i32(b, 2, 128));
        break;
    case GNV_TYPE_LIST:
        *tag = GNV_FB_TYPE_LIST;
        break;
    case GNV_TYPE_LARGE_LIST:
        *tag = GNV_FB_TYPE_LARGE_LIST;
        break;
    case GNV_TYPE_FIXED_SIZE_LIST:
        *tag = GNV_FB_TYPE_FIXED_SIZE_LIST;
        GNV_TRY(gnv__fbb_add_i32(b, 0, t->fixed_size));
        break;
    case GNV_TYPE_STRUCT:
        *tag = GNV_FB_TYPE_STRUCT;
        break;
    default:
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IPC, "cannot write type %s to IPC",
                              gnv__type_id_name(t->id));
    }
    return gnv__fbb_table_end(b, out);
}

static int encode_field(gnv_fb_builder *b, const struct ArrowSchema *s, int depth, gnv_fb_ref *out);

static int encode_fields(gnv_fb_builder *b, const struct ArrowSchema *s, int depth, gnv_fb_ref *out)
{
    int rc = GNV_OK;
    gnv_fb_ref *refs = gnv__calloc((size_t)s->n_children + 1, sizeof *refs);
    if (!refs)
        return gnv__error_oom();
    for (int64_t i = 0; i < s->n_children; i++)
        GNV_TRYG(encode_field(b, s->children[i], depth + 1, &refs[i]));
    rc = gnv__fbb_ref_vector(b, refs, (uint32_t)s->n_children, out);
done:
    gnv__free(refs);
    return rc;
}

static int encode_field(gnv_fb_builder *b, const struct ArrowSchema *s, int depth, gnv_fb_ref *out)
{
    gnv_type t;
    gnv_fb_ref children, name = 0, type, meta = 0;
    bool has_meta;
    uint8_t tag = 0;
    const char *nm = s->name ? s->name : "";
    if (depth > 64)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IPC, "field '%s' is nested too deeply", nm);
    if (s->dictionary)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IPC,
                              "field '%s': writing dictionary-encoded fields to IPC is not "
                              "supported",
                              nm);
    GNV_TRY(gnv__type_parse(&t, s->format));
    GNV_TRY(encode_fields(b, s, depth, &children));
    GNV_TRY(gnv__fbb_string(b, nm, strlen(nm), &name));
    GNV_TRY(encode_type(b, &t, &tag, &type));
    GNV_TRY(encode_metadata(b, s->metadata, &meta, &has_meta));
    gnv__fbb_table_start(b);
    GNV_TRY(gnv__fbb_add_ref(b, 0, name));
    GNV_TRY(gnv__fbb_add_u8(b, 1, (s->flags & ARROW_FLAG_NULLABLE) ? 1 : 0));
    GNV_TRY(gnv__fbb_add_u8(b, 2, tag));
    GNV_TRY(gnv__fbb_add_ref(b, 3, type));
    GNV_TRY(gnv__fbb_add_ref(b, 5, children));
    if (has_meta)
        GNV_TRY(gnv__fbb_add_ref(b, 6, meta));
    return gnv__fbb_table_end(b, out);
}

static int encode_schema(gnv_fb_builder *b, const struct ArrowSchema *s, gnv_fb_ref *out)
{
    gnv_fb_ref fields, meta = 0;
    bool has_meta;
    GNV_TRY(encode_fields(b, s, 0, &fields));
    GNV_TRY(encode_metadata(b, s->metadata, &meta, &has_meta));
    gnv__fbb_table_start(b);
    GNV_TRY(gnv__fbb_add_i16(b, 0, 0)); /* little endian */
    GNV_TRY(gnv__fbb_add_ref(b, 1, fields));
    if (has_meta)
        GNV_TRY(gnv__fbb_add_ref(b, 2, meta));
    return gnv__fbb_table_end(b, out);
}

/* ---- messages ------------------------------------------------------------- */

/* Write a Message flatbuffer (header already built in b as `header`) and its body;
 * for the file format, record a Block when `block` is set. */
static int write_message(gnv_ipc_writer *w,
                         gnv_fb_builder *b,
                         uint8_t header_type,
                         gnv_fb_ref header,
                         const gnv_buf *body,
                         bool block)
{
    gnv_fb_ref msg;
    const uint8_t *data;
    size_t size;
    int64_t body_len = body ? (int64_t)body->size : 0;
    gnv__fbb_table_start(b);
    GNV_TRY(gnv__fbb_add_i64(b, 3, body_len));
    GNV_TRY(gnv__fbb_add_ref(b, 2, header));
    GNV_TRY(gnv__fbb_add_i16(b, 0, GNV_IPC_V5));
    GNV_TRY(gnv__fbb_add_u8(b, 1, header_type));
    GNV_TRY(gnv__fbb_table_end(b, &msg));
    GNV_TRY(gnv__fbb_finish(b, msg, &data, &size));
    if (size > INT32_MAX - 16)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IPC, "IPC message metadata too large");
    /* size is a multiple of 8, so prefix + metadata keeps the body 8-byte aligned. */
    uint8_t prefix[8];
    store32(prefix, -1);
    store32(prefix + 4, (int32_t)size);
    int64_t offset = w->pos;
    GNV_TRY(sink_write(w, prefix, 8));
    GNV_TRY(sink_write(w, data, size));
    if (body)
        GNV_TRY(sink_write(w, body->ptr, body->size));
    if (block && w->file_format) {
        uint8_t blk[BLOCK_SIZE] = {0};
        store64(blk, offset);
        store32(blk + 8, (int32_t)(size + 8));
        store64(blk + 16, body_len);
        GNV_TRY(gnv__buf_put(&w->blocks, blk, sizeof blk));
    }
    return GNV_OK;
}

/* ---- record batches ------------------------------------------------------- */

static int pad_body(gnv_buf *body)
{
    size_t pad = (8 - body->size % 8) % 8;
    return pad ? gnv__buf_put_zeros(body, pad) : GNV_OK;
}

/* Compress src into dst (after its 8-byte length prefix); *out_n = compressed size, or
 * 0 when the codec failed to shrink it. */
static int
compress_buffer(gnv_ipc_writer *w, const void *src, size_t n, gnv_buf *dst, size_t *out_n)
{
    size_t bound = w->compression == GNV_IPC_COMPRESS_LZ4 ? LZ4F_compressFrameBound(n, NULL)
                                                          : ZSTD_compressBound(n);
    GNV_TRY(gnv__buf_reserve(dst, bound));
    uint8_t *at = (uint8_t *)dst->ptr + dst->size;
    size_t got;
    *out_n = 0;
    if (w->compression == GNV_IPC_COMPRESS_LZ4) {
        got = LZ4F_compressFrame(at, bound, src, n, NULL);
        if (LZ4F_isError(got))
            return gnv__error_set(GNV_ERROR, GNV_SUB_IPC, "LZ4 compression failed: %s",
                                  LZ4F_getErrorName(got));
    } else {
        got = ZSTD_compress(at, bound, src, n, 1);
        if (ZSTD_isError(got))
            return gnv__error_set(GNV_ERROR, GNV_SUB_IPC, "ZSTD compression failed: %s",
                                  ZSTD_getErrorName(got));
    }
    if (got < n)
        *out_n = got;
    return GNV_OK;
}

/* Append one buffer of n bytes to the body (src NULL: zeros) and its Buffer entry. */
static int add_buffer(gnv_ipc_writer *w, const void *src, size_t n)
{
    static const uint8_t zeros[8];
    uint8_t entry[16];
    int rc = GNV_OK;
    GNV_TRYG(pad_body(&w->body));
    int64_t offset = (int64_t)w->body.size;
    if (!src && n > 0) {
        /* Only offsets of empty arrays come without a buffer: one zero offset. */
        if (n > sizeof zeros)
            GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_IPC, "array buffer is NULL");
        src = zeros;
    }
    if (w->compression != GNV_IPC_COMPRESS_NONE && n > 0) {
        uint8_t prefix[8];
        size_t at = w->body.size, got;
        GNV_TRYG(gnv__buf_put_zeros(&w->body, 8));
        GNV_TRYG(compress_buffer(w, src, n, &w->body, &got));
        if (got > 0) {
            store64(prefix, (int64_t)n);
            w->body.size += got;
        } else {
            store64(prefix, -1);
            GNV_TRYG(gnv__buf_put(&w->body, src, n));
        }
        memcpy(w->body.ptr + at, prefix, 8);
    } else {
        GNV_TRYG(gnv__buf_put(&w->body, src, n));
    }
    store64(entry, offset);
    store64(entry + 8, (int64_t)w->body.size - offset);
    GNV_TRYG(gnv__buf_put(&w->buffers, entry, sizeof entry));
done:
    return rc;
}

static int64_t count_nulls(const struct ArrowArray *a)
{
    const uint8_t *bits = a->n_buffers > 0 ? a->buffers[0] : NULL;
    if (!bits)
        return 0;
    int64_t n = 0;
    for (int64_t i = 0; i < a->length; i++)
        n += !((bits[(a->offset + i) >> 3] >> ((a->offset + i) & 7)) & 1);
    return n;
}

static int add_node(gnv_ipc_writer *w, int64_t length, int64_t null_count)
{
    uint8_t entry[16];
    store64(entry, length);
    store64(entry + 8, null_count);
    return gnv__buf_put(&w->nodes, entry, sizeof entry);
}

static int64_t last_offset(const struct ArrowArray *a, bool large)
{
    if (!a->buffers[1])
        return 0;
    if (large)
        return ((const int64_t *)a->buffers[1])[a->length];
    return ((const int32_t *)a->buffers[1])[a->length];
}

/* Write one field's node and buffers, children after (pre-order). Arrays have offset
 * 0 here (see needs_copy). */
static int add_field(gnv_ipc_writer *w, const struct ArrowSchema *s, const struct ArrowArray *a)
{
    gnv_type t;
    GNV_TRY(gnv__type_parse(&t, s->format));
    size_t len = (size_t)a->length;
    if (t.id == GNV_TYPE_NA)
        return add_node(w, a->length, a->length);
    int64_t nulls = a->null_count < 0 ? count_nulls(a) : a->null_count;
    if (!a->buffers[0])
        nulls = 0;
    GNV_TRY(add_node(w, a->length, nulls));
    GNV_TRY(add_buffer(w, nulls ? a->buffers[0] : NULL, nulls ? (len + 7) / 8 : 0));
    size_t ow = gnv__type_is_large(t.id) ? 8 : 4;
    switch (t.id) {
    case GNV_TYPE_BOOL:
        return add_buffer(w, a->buffers[1], (len + 7) / 8);
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
        GNV_TRY(add_buffer(w, a->buffers[1], (len + 1) * ow));
        return add_buffer(w, a->buffers[2], (size_t)last_offset(a, ow == 8));
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
        GNV_TRY(add_buffer(w, a->buffers[1], (len + 1) * ow));
        return add_field(w, s->children[0], a->children[0]);
    case GNV_TYPE_FIXED_SIZE_LIST:
        return add_field(w, s->children[0], a->children[0]);
    case GNV_TYPE_STRUCT:
        for (int64_t i = 0; i < s->n_children; i++)
            GNV_TRY(add_field(w, s->children[i], a->children[i]));
        return GNV_OK;
    default:
        return add_buffer(w, a->buffers[1], len * (size_t)gnv__type_byte_width(&t));
    }
}

/* Whether an array must be copied before writing: any offset, any offsets buffer not
 * starting at 0, or struct children longer than their parent. */
static bool needs_copy(const struct ArrowSchema *s, const struct ArrowArray *a)
{
    gnv_type t;
    if (a->offset != 0 || gnv__type_parse(&t, s->format) < 0)
        return true;
    if ((gnv__type_is_binary_like(t.id) || t.id == GNV_TYPE_LIST || t.id == GNV_TYPE_LARGE_LIST) &&
        a->buffers[1]) {
        int64_t first = gnv__type_is_large(t.id) ? ((const int64_t *)a->buffers[1])[0]
                                                 : ((const int32_t *)a->buffers[1])[0];
        if (first != 0)
            return true;
    }
    if (t.id == GNV_TYPE_FIXED_SIZE_LIST && a->children[0]->length != a->length * t.fixed_size)
        return true;
    for (int64_t i = 0; i < a->n_children; i++) {
        if (t.id == GNV_TYPE_STRUCT && a->children[i]->length != a->length)
            return true;
        if (needs_copy(s->children[i], a->children[i]))
            return true;
    }
    return false;
}

int gnv__ipc_writer_write(gnv_ipc_writer *w, const struct ArrowArray *batch)
{
    int rc = GNV_OK;
    struct ArrowArray copy = {0};
    gnv_fb_builder b;
    gnv__fbb_init(&b);
    GNV_ERR_IF(w->finished, GNV_EINVAL, GNV_SUB_IPC, "IPC writer already finished");
    GNV_ERR_IF(batch->n_children != w->schema.n_children, GNV_EINVAL, GNV_SUB_IPC,
               "record batch has %lld columns, the schema %lld", (long long)batch->n_children,
               (long long)w->schema.n_children);
    GNV_ERR_IF(batch->null_count > 0 && batch->buffers && batch->buffers[0], GNV_EINVAL,
               GNV_SUB_IPC, "a record batch cannot have null rows");
    if (needs_copy(&w->schema, batch)) {
        GNV_TRYG(gnv__array_concat(&copy, &w->schema, &batch, 1));
        batch = &copy;
    }
    gnv__buf_clear(&w->nodes);
    gnv__buf_clear(&w->buffers);
    gnv__buf_clear(&w->body);
    for (int64_t i = 0; i < w->schema.n_children; i++)
        GNV_TRYG(add_field(w, w->schema.children[i], batch->children[i]));
    GNV_TRYG(pad_body(&w->body));

    gnv_fb_ref nodes, buffers, comp = 0, rb;
    GNV_TRYG(gnv__fbb_struct_vector(&b, w->nodes.ptr, (uint32_t)(w->nodes.size / 16), 16, &nodes));
    GNV_TRYG(
        gnv__fbb_struct_vector(&b, w->buffers.ptr, (uint32_t)(w->buffers.size / 16), 16, &buffers));
    if (w->compression != GNV_IPC_COMPRESS_NONE) {
        gnv__fbb_table_start(&b);
        GNV_TRYG(gnv__fbb_add_u8(&b, 0, w->compression == GNV_IPC_COMPRESS_LZ4 ? 0 : 1));
        GNV_TRYG(gnv__fbb_add_u8(&b, 1, 0)); /* BUFFER */
        GNV_TRYG(gnv__fbb_table_end(&b, &comp));
    }
    gnv__fbb_table_start(&b);
    GNV_TRYG(gnv__fbb_add_i64(&b, 0, batch->length));
    GNV_TRYG(gnv__fbb_add_ref(&b, 1, nodes));
    GNV_TRYG(gnv__fbb_add_ref(&b, 2, buffers));
    if (comp)
        GNV_TRYG(gnv__fbb_add_ref(&b, 3, comp));
    GNV_TRYG(gnv__fbb_table_end(&b, &rb));
    GNV_TRYG(write_message(w, &b, GNV_FB_MSG_RECORD_BATCH, rb, &w->body, true));
done:
    gnv__fbb_reset(&b);
    gnv__array_release(&copy);
    return rc;
}

/* ---- writer lifecycle ----------------------------------------------------- */

int gnv__ipc_writer_new(gnv_ipc_writer **out,
                        gnv_ipc_sink sink,
                        const struct ArrowSchema *schema,
                        const gnv_ipc_write_options *opts)
{
    int rc = GNV_OK;
    gnv_ipc_write_options dflt = GNV_IPC_WRITE_OPTIONS_INIT;
    gnv_fb_builder b;
    gnv_fb_ref root;
    gnv__fbb_init(&b);
    *out = NULL;
    if (!opts)
        opts = &dflt;
    gnv_ipc_writer *w = gnv__calloc(1, sizeof *w);
    if (!w)
        return gnv__error_oom();
    GNV_ERR_IF(opts->version < 1, GNV_EINVAL, GNV_SUB_IPC, "IPC write options: bad version %u",
               opts->version);
    GNV_ERR_IF(opts->compression < GNV_IPC_COMPRESS_NONE ||
                   opts->compression > GNV_IPC_COMPRESS_ZSTD,
               GNV_EINVAL, GNV_SUB_IPC, "unknown IPC compression %d", opts->compression);
    GNV_TRYG(gnv__schema_validate(schema));
    GNV_ERR_IF(strcmp(schema->format, "+s") != 0, GNV_EINVAL, GNV_SUB_IPC,
               "an IPC schema must be a struct (format '+s'), not '%s'", schema->format);
    w->sink = sink;
    w->file_format = !opts->stream_format;
    w->compression = opts->compression;
    GNV_TRYG(gnv__schema_copy(&w->schema, schema));
    if (w->file_format)
        GNV_TRYG(sink_write(w, file_magic, sizeof file_magic));
    GNV_TRYG(encode_schema(&b, schema, &root));
    GNV_TRYG(write_message(w, &b, GNV_FB_MSG_SCHEMA, root, NULL, false));
    *out = w;
    w = NULL;
done:
    gnv__fbb_reset(&b);
    gnv__ipc_writer_free(w);
    return rc;
}

int gnv__ipc_writer_finish(gnv_ipc_writer *w)
{
    int rc = GNV_OK;
    gnv_fb_builder b;
    gnv_fb_ref schema, batches, footer;
    const uint8_t *data;
    size_t size;
    gnv__fbb_init(&b);
    GNV_ERR_IF(w->finished, GNV_EINVAL, GNV_SUB_IPC, "IPC writer already finished");
    w->finished = true;
    GNV_TRYG(sink_write(w, eos_marker, sizeof eos_marker));
    if (!w->file_format)
        goto done;
    GNV_TRYG(encode_schema(&b, &w->schema, &schema));
    GNV_TRYG(gnv__fbb_struct_vector(&b, w->blocks.ptr, (uint32_t)(w->blocks.size / BLOCK_SIZE),
                                    BLOCK_SIZE, &batches));
    gnv__fbb_table_start(&b);
    GNV_TRYG(gnv__fbb_add_ref(&b, 1, schema));
    GNV_TRYG(gnv__fbb_add_ref(&b, 3, batches));
    GNV_TRYG(gnv__fbb_add_i16(&b, 0, GNV_IPC_V5));
    GNV_TRYG(gnv__fbb_table_end(&b, &footer));
    GNV_TRYG(gnv__fbb_finish(&b, footer, &data, &size));
    GNV_TRYG(sink_write(w, data, size));
    uint8_t tail[10];
    store32(tail, (int32_t)size);
    memcpy(tail + 4, file_magic, 6);
    GNV_TRYG(sink_write(w, tail, sizeof tail));
done:
    gnv__fbb_reset(&b);
    return rc;
}

void gnv__ipc_writer_free(gnv_ipc_writer *w)
{
    if (!w)
        return;
    gnv__schema_release(&w->schema);
    gnv_buf_dispose(&w->blocks);
    gnv_buf_dispose(&w->nodes);
    gnv_buf_dispose(&w->buffers);
    gnv_buf_dispose(&w->body);
    gnv__free(w);
}
