/* Arrow IPC reader: the file format (through the footer's blocks) and the stream
 * format (sequentially), read one message at a time with pread so memory stays
 * bounded by one batch. Everything in the input is untrusted: flatbuffers are read
 * through the bounds-checked reader, every length is checked against the file and the
 * message body before use, decompressed sizes are capped, and each decoded batch goes
 * through gnv__array_validate. Dictionary-encoded fields are decoded to plain arrays of
 * their value type, so consumers never see a dictionary. */
#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "arrow_ipc.h"

#define MAX_DEPTH 64
/* Uncompressed buffer sizes beyond what the node lengths need are allowed up to this
 * slack (writers may pad or write whole buffers of sliced arrays). */
#define DECOMPRESS_SLACK ((uint64_t)1 << 20)
/* All-null columns written without value buffers (Arrow JS) get zero-filled ones. Their
 * size comes from the message's lengths and widths, which are untrusted, so a batch may
 * zero-fill at most ZERO_FILL_RATIO times its body size, or ZERO_FILL_MIN bytes when
 * that is more. (Legitimate cases stay well inside: the validity bitmap of an all-null
 * column is in the body, and it takes one byte per 8 rows.) */
#define ZERO_FILL_MIN   ((uint64_t)64 << 20)
#define ZERO_FILL_RATIO 256

static const uint64_t zero_buffer[2];

/* ---- source: a file read with pread, or a private copy of memory --------- */

typedef struct ipc_source {
    int fd;
    gnv_block *mem_block; /* memory input: shared with the arrays that point into it */
    uint8_t *mem;
    uint64_t size;
    char *name;
} ipc_source;

static int src_read(ipc_source *s, uint64_t off, void *dst, uint64_t n, const char *what)
{
    if (off > s->size || n > s->size - off)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC,
                              "%s: %s (%llu bytes at byte %llu) runs past the end of the file "
                              "(%llu bytes); truncated?",
                              s->name, what, (unsigned long long)n, (unsigned long long)off,
                              (unsigned long long)s->size);
    if (s->mem) {
        memcpy(dst, s->mem + off, n);
        return GNV_OK;
    }
    uint8_t *p = dst;
    while (n > 0) {
        ssize_t got = pread(s->fd, p, n > (1u << 30) ? (1u << 30) : (size_t)n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return gnv__error_os(GNV_SUB_IPC, errno, "%s: read", s->name);
        if (got == 0)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC, "%s: file shrank while reading %s",
                                  s->name, what);
        p += got;
        off += (uint64_t)got;
        n -= (uint64_t)got;
    }
    return GNV_OK;
}

/* ---- fields and dictionaries -------------------------------------------- */

typedef struct ipc_field {
    struct ArrowSchema *schema; /* node of the consumer schema (the value type) */
    gnv_type type;
    bool is_dict;
    int64_t dict_id;
    gnv_type index_type;
    int64_t n_children;
    struct ipc_field *children;
} ipc_field;

typedef struct ipc_dict {
    int64_t id;
    ipc_field *field;
    bool loaded;
    struct ArrowArray values;
} ipc_dict;

typedef struct ipc_block {
    int64_t offset;
    int32_t meta_len;
    int64_t body_len;
} ipc_block;

typedef struct ipc_reader {
    ipc_source src;
    struct ArrowSchema schema;
    ipc_field root;
    ipc_dict *dicts;
    int64_t n_dicts;
    bool file_format;
    ipc_block *batches; /* file format */
    int64_t n_batches;
    int64_t next_batch;
    uint64_t pos; /* stream format */
    bool done;
    int64_t batch_no;
    /* The last body read from a file, kept so the next body can reuse its memory once
     * every array pointing into it has been released (a fresh large allocation costs a
     * page fault per page). */
    gnv_block *body_cache;
    /* Decompression contexts, made on first use and kept for every buffer after. */
    ZSTD_DCtx *zstd;
    LZ4F_dctx *lz4;
} ipc_reader;

static void field_reset(ipc_field *f)
{
    for (int64_t i = 0; i < f->n_children; i++)
        field_reset(&f->children[i]);
    gnv__free(f->children);
    memset(f, 0, sizeof *f);
}

static const char *field_name(const ipc_field *f)
{
    return f->schema && f->schema->name ? f->schema->name : "?";
}

/* ---- messages ------------------------------------------------------------- */

typedef struct ipc_message {
    uint8_t *meta;
    gnv_fb fb;
    gnv_fb_table msg;
    uint8_t header_type;
    gnv_fb_table header;
    uint64_t body_offset;
    int64_t body_len;
    bool eos;
} ipc_message;

static void message_reset(ipc_message *m)
{
    gnv__free(m->meta);
    memset(m, 0, sizeof *m);
}

static int fb_error(ipc_reader *r, const char *what)
{
    return gnv__error_prefix("%s: %s", r->src.name, what);
}

/* Read the message framed at `off`: [0xFFFFFFFF] int32 length, metadata, body. */
static int read_message(ipc_reader *r, uint64_t off, ipc_message *m, uint64_t *next)
{
    int rc = GNV_OK;
    uint8_t pre[8];
    uint64_t meta_at = off + 4;
    memset(m, 0, sizeof *m);
    GNV_TRYG(src_read(&r->src, off, pre, 4, "message length"));
    int32_t len = gnv__fb_load_i32(pre);
    if (len == -1) {
        GNV_TRYG(src_read(&r->src, off + 4, pre + 4, 4, "message length"));
        len = gnv__fb_load_i32(pre + 4);
        meta_at = off + 8;
    }
    if (len == 0) {
        m->eos = true;
        *next = meta_at;
        return GNV_OK;
    }
    GNV_ERR_IF(len < 0, GNV_ECORRUPT, GNV_SUB_IPC,
               "%s: message at byte %llu has a negative metadata length (%d)", r->src.name,
               (unsigned long long)off, len);
    GNV_ERR_IF((uint64_t)len > r->src.size - GNV_MIN(meta_at, r->src.size), GNV_ECORRUPT,
               GNV_SUB_IPC,
               "%s: message at byte %llu claims %d bytes of metadata, past the end of the file "
               "(%llu bytes); truncated?",
               r->src.name, (unsigned long long)off, len, (unsigned long long)r->src.size);
    m->meta = gnv__malloc((size_t)len);
    GNV_CHECK_ALLOC(m->meta);
    GNV_TRYG(src_read(&r->src, meta_at, m->meta, (uint64_t)len, "message metadata"));
    m->fb.buf = m->meta;
    m->fb.size = (size_t)len;
    int16_t version;
    if ((rc = gnv__fb_root(&m->msg, &m->fb)) < 0 ||
        (rc = gnv__fb_i16(&m->msg, 0, 0, &version)) < 0 ||
        (rc = gnv__fb_u8(&m->msg, 1, 0, &m->header_type)) < 0 ||
        (rc = gnv__fb_i64(&m->msg, 3, 0, &m->body_len)) < 0) {
        fb_error(r, "message header");
        goto done;
    }
    GNV_ERR_IF(version < GNV_IPC_V4 || version > GNV_IPC_V5, GNV_ENOTSUP, GNV_SUB_IPC,
               "%s: message at byte %llu has metadata version %d; only V4 and V5 are supported",
               r->src.name, (unsigned long long)off, version + 1);
    rc = gnv__fb_table(&m->msg, 2, &m->header);
    if (rc < 0) {
        fb_error(r, "message header");
        goto done;
    }
    GNV_ERR_IF(rc == 0, GNV_ECORRUPT, GNV_SUB_IPC, "%s: message at byte %llu has no header",
               r->src.name, (unsigned long long)off);
    rc = GNV_OK;
    m->body_offset = meta_at + (uint64_t)len;
    GNV_ERR_IF(m->body_len < 0 || (uint64_t)m->body_len > r->src.size - m->body_offset,
               GNV_ECORRUPT, GNV_SUB_IPC,
               "%s: message at byte %llu has a body of %lld bytes, past the end of the file "
               "(%llu bytes); truncated?",
               r->src.name, (unsigned long long)off, (long long)m->body_len,
               (unsigned long long)r->src.size);
    *next = m->body_offset + (uint64_t)m->body_len;
    return GNV_OK;
done:
    message_reset(m);
    return rc;
}

/* ---- schema --------------------------------------------------------------- */

static int read_metadata(
    ipc_reader *r, const gnv_fb_table *t, int field, struct ArrowSchema *s, const char *what)
{
    int rc;
    gnv_fb_vec v;
    gnv_buf out = GNV_BUF_INIT;
    rc = gnv__fb_vector(t, field, 4, &v);
    if (rc <= 0)
        return rc < 0 ? fb_error(r, what) : GNV_OK;
    int32_t n = (int32_t)v.count;
    GNV_ERR_IF(v.count > INT32_MAX, GNV_ECORRUPT, GNV_SUB_IPC, "%s: %s: too much metadata",
               r->src.name, what);
    GNV_TRYG(gnv__buf_put(&out, &n, 4));
    for (uint32_t i = 0; i < v.count; i++) {
        gnv_fb_table kv;
        const char *k = "", *val = "";
        uint32_t kn = 0, vn = 0;
        if ((rc = gnv__fb_vec_table(&v, i, &kv)) < 0 ||
            (rc = gnv__fb_string(&kv, 0, &k, &kn)) < 0 ||
            (rc = gnv__fb_string(&kv, 1, &val, &vn)) < 0) {
            fb_error(r, what);
            goto done;
        }
        GNV_ERR_IF(kn > INT32_MAX || vn > INT32_MAX, GNV_ECORRUPT, GNV_SUB_IPC,
                   "%s: %s: metadata entry too long", r->src.name, what);
        int32_t kl = (int32_t)kn, vl = (int32_t)vn;
        GNV_TRYG(gnv__buf_put(&out, &kl, 4));
        GNV_TRYG(gnv__buf_put(&out, k, kn));
        GNV_TRYG(gnv__buf_put(&out, &vl, 4));
        GNV_TRYG(gnv__buf_put(&out, val, vn));
    }
    rc = gnv__schema_set_metadata(s, out.ptr);
done:
    gnv_buf_dispose(&out);
    return rc < 0 ? rc : GNV_OK;
}

static int unsupported(ipc_reader *r, const char *name, const char *type)
{
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IPC,
                          "%s: field '%s' has type %s, which is not supported", r->src.name, name,
                          type);
}

static int bad_field(ipc_reader *r, const char *name, const char *what)
{
    return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC, "%s: schema: field '%s': %s", r->src.name,
                          name, what);
}

/* The C Data format string of a Type union member; `children` is how many child
 * fields the type needs (-1: any). */
static int type_format(ipc_reader *r,
                       const char *name,
                       uint8_t tag,
                       const gnv_fb_table *tt,
                       bool has_table,
                       gnv_buf *fmt,
                       int64_t *children)
{
    int32_t i32;
    int16_t i16;
    uint8_t u8;
    *children = 0;
    /* Absent type tables read as all defaults. */
    gnv_fb_table empty;
    static const uint8_t empty_fb[] = {8, 0, 0, 0, 4, 0, 4, 0, 4, 0, 0, 0};
    static const gnv_fb efb = {empty_fb, sizeof empty_fb};
    if (!has_table) {
        GNV_TRY(gnv__fb_root(&empty, &efb));
        tt = &empty;
    }
    switch (tag) {
    case GNV_FB_TYPE_NULL:
        return gnv__buf_puts(fmt, "n");
    case GNV_FB_TYPE_BOOL:
        return gnv__buf_puts(fmt, "b");
    case GNV_FB_TYPE_INT: {
        if (gnv__fb_i32(tt, 0, 0, &i32) < 0 || gnv__fb_u8(tt, 1, 0, &u8) < 0)
            return fb_error(r, "schema");
        const char *f = NULL;
        switch (i32) {
        case 8:
            f = u8 ? "c" : "C";
            break;
        case 16:
            f = u8 ? "s" : "S";
            break;
        case 32:
            f = u8 ? "i" : "I";
            break;
        case 64:
            f = u8 ? "l" : "L";
            break;
        default:
            return bad_field(r, name, "integer bit width is not 8, 16, 32 or 64");
        }
        return gnv__buf_puts(fmt, f);
    }
    case GNV_FB_TYPE_FLOAT:
        if (gnv__fb_i16(tt, 0, 0, &i16) < 0)
            return fb_error(r, "schema");
        if (i16 < 0 || i16 > 2)
            return bad_field(r, name, "unknown floating point precision");
        return gnv__buf_puts(fmt, i16 == 0 ? "e" : i16 == 1 ? "f" : "g");
    case GNV_FB_TYPE_UTF8:
        return gnv__buf_puts(fmt, "u");
    case GNV_FB_TYPE_LARGE_UTF8:
        return gnv__buf_puts(fmt, "U");
    case GNV_FB_TYPE_BINARY:
        return gnv__buf_puts(fmt, "z");
    case GNV_FB_TYPE_LARGE_BINARY:
        return gnv__buf_puts(fmt, "Z");
    case GNV_FB_TYPE_FIXED_SIZE_BINARY:
        if (gnv__fb_i32(tt, 0, 0, &i32) < 0)
            return fb_error(r, "schema");
        if (i32 <= 0)
            return bad_field(r, name, "fixed_size_binary width must be positive");
        return gnv__buf_printf(fmt, "w:%d", i32);
    case GNV_FB_TYPE_DATE:
        if (gnv__fb_i16(tt, 0, 1, &i16) < 0)
            return fb_error(r, "schema");
        if (i16 != 0)
            return unsupported(r, name, "date64 (Date MILLISECOND)");
        return gnv__buf_puts(fmt, "tdD");
    case GNV_FB_TYPE_TIMESTAMP: {
        const char *tz = NULL;
        uint32_t tzn = 0;
        if (gnv__fb_i16(tt, 0, 0, &i16) < 0 || gnv__fb_string(tt, 1, &tz, &tzn) < 0)
            return fb_error(r, "schema");
        if (i16 < 0 || i16 > 3)
            return bad_field(r, name, "unknown timestamp unit");
        GNV_TRY(gnv__buf_printf(fmt, "ts%c:", "smun"[i16]));
        if (tz && memchr(tz, '\0', tzn))
            return bad_field(r, name, "time zone contains a NUL byte");
        return tz ? gnv__buf_put(fmt, tz, tzn) : GNV_OK;
    }
    case GNV_FB_TYPE_DURATION:
        if (gnv__fb_i16(tt, 0, 1, &i16) < 0)
            return fb_error(r, "schema");
        if (i16 < 0 || i16 > 3)
            return bad_field(r, name, "unknown duration unit");
        return gnv__buf_printf(fmt, "tD%c", "smun"[i16]);
    case GNV_FB_TYPE_DECIMAL: {
        int32_t scale, width;
        if (gnv__fb_i32(tt, 0, 0, &i32) < 0 || gnv__fb_i32(tt, 1, 0, &scale) < 0 ||
            gnv__fb_i32(tt, 2, 128, &width) < 0)
            return fb_error(r, "schema");
        if (width != 128)
            return unsupported(r, name, "decimal other than 128-bit");
        if (i32 < 1 || i32 > GNV_DECIMAL128_MAX_PRECISION || scale < 0 ||
            scale > GNV_DECIMAL128_MAX_PRECISION)
            return unsupported(r, name,
                               "decimal128 precision outside 1..38 or scale outside 0..38");
        return gnv__buf_printf(fmt, "d:%d,%d", (int)i32, (int)scale);
    }
    case GNV_FB_TYPE_LIST:
        *children = 1;
        return gnv__buf_puts(fmt, "+l");
    case GNV_FB_TYPE_LARGE_LIST:
        *children = 1;
        return gnv__buf_puts(fmt, "+L");
    case GNV_FB_TYPE_FIXED_SIZE_LIST:
        *children = 1;
        if (gnv__fb_i32(tt, 0, 0, &i32) < 0)
            return fb_error(r, "schema");
        if (i32 <= 0)
            return unsupported(r, name, "fixed_size_list of size 0 or less");
        return gnv__buf_printf(fmt, "+w:%d", i32);
    case GNV_FB_TYPE_STRUCT:
        *children = -1;
        return gnv__buf_puts(fmt, "+s");
    case 0:
        return bad_field(r, name, "no type");
    default:
        return unsupported(r, name, gnv__ipc_fb_type_name(tag));
    }
}

static bool has_dict(const ipc_field *f)
{
    if (f->is_dict)
        return true;
    for (int64_t i = 0; i < f->n_children; i++)
        if (has_dict(&f->children[i]))
            return true;
    return false;
}

static int add_dict(ipc_reader *r, ipc_field *f)
{
    for (int64_t i = 0; i < r->n_dicts; i++)
        if (r->dicts[i].id == f->dict_id)
            return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IPC,
                                  "%s: dictionary id %lld is used by more than one field; not "
                                  "supported",
                                  r->src.name, (long long)f->dict_id);
    ipc_dict *d = gnv__reallocarray(r->dicts, (size_t)r->n_dicts + 1, sizeof *d);
    if (!d)
        return gnv__error_oom();
    r->dicts = d;
    memset(&d[r->n_dicts], 0, sizeof *d);
    d[r->n_dicts].id = f->dict_id;
    d[r->n_dicts].field = f;
    r->n_dicts++;
    return GNV_OK;
}

static int read_index_type(ipc_reader *r, const char *name, const gnv_fb_table *enc, ipc_field *f)
{
    gnv_fb_table it;
    int32_t bits = 32;
    uint8_t is_signed = 1;
    int rc = gnv__fb_table(enc, 1, &it);
    if (rc < 0)
        return fb_error(r, "schema");
    if (rc == 1 && (gnv__fb_i32(&it, 0, 0, &bits) < 0 || gnv__fb_u8(&it, 1, 0, &is_signed) < 0))
        return fb_error(r, "schema");
    static const gnv_type_id ids[2][4] = {
        {GNV_TYPE_UINT8, GNV_TYPE_UINT16, GNV_TYPE_UINT32, GNV_TYPE_UINT64},
        {GNV_TYPE_INT8, GNV_TYPE_INT16, GNV_TYPE_INT32, GNV_TYPE_INT64}};
    int k = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : bits == 64 ? 3 : -1;
    if (k < 0)
        return bad_field(r, name, "dictionary index bit width is not 8, 16, 32 or 64");
    memset(&f->index_type, 0, sizeof f->index_type);
    f->index_type.id = ids[is_signed ? 1 : 0][k];
    return GNV_OK;
}

static int
read_field(ipc_reader *r, const gnv_fb_table *ft, struct ArrowSchema *s, ipc_field *f, int depth)
{
    int rc = GNV_OK;
    gnv_buf fmt = GNV_BUF_INIT;
    char *name = NULL;
    const char *nm = "";
    uint32_t nn = 0;
    uint8_t nullable = 0, tag = 0;
    gnv_fb_table tt, enc;
    gnv_fb_vec kids;
    int64_t want;
    int has_type, has_enc;
    if (depth > MAX_DEPTH)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IPC, "%s: schema is nested too deeply",
                              r->src.name);
    if (gnv__fb_string(ft, 0, &nm, &nn) < 0 || gnv__fb_u8(ft, 1, 0, &nullable) < 0 ||
        gnv__fb_u8(ft, 2, 0, &tag) < 0 || (has_type = gnv__fb_table(ft, 3, &tt)) < 0 ||
        (has_enc = gnv__fb_table(ft, 4, &enc)) < 0 || gnv__fb_vector(ft, 5, 4, &kids) < 0)
        return fb_error(r, "schema");
    name = gnv__strndup(nm, nn);
    GNV_CHECK_ALLOC(name);
    GNV_TRYG(type_format(r, name, tag, &tt, has_type == 1, &fmt, &want));
    GNV_TRYG(gnv__schema_init(s, fmt.ptr, name, nullable ? ARROW_FLAG_NULLABLE : 0));
    f->schema = s;
    GNV_TRYG(gnv__type_parse(&f->type, s->format));
    GNV_TRYG(read_metadata(r, ft, 6, s, "schema: field metadata"));
    if (want >= 0 && kids.count != (uint32_t)want) {
        rc = bad_field(r, name,
                       want ? "a list type needs exactly one child field"
                            : "a non-nested type has child fields");
        goto done;
    }
    if (kids.count > 0) {
        GNV_TRYG(gnv__schema_alloc_children(s, kids.count));
        f->children = gnv__calloc(kids.count, sizeof *f->children);
        GNV_CHECK_ALLOC(f->children);
        f->n_children = kids.count;
        for (uint32_t i = 0; i < kids.count; i++) {
            gnv_fb_table kt;
            if (gnv__fb_vec_table(&kids, i, &kt) < 0) {
                rc = fb_error(r, "schema");
                goto done;
            }
            GNV_TRYG(read_field(r, &kt, s->children[i], &f->children[i], depth + 1));
        }
    }
    if (has_enc == 1) {
        f->is_dict = true;
        if (gnv__fb_i64(&enc, 0, 0, &f->dict_id) < 0) {
            rc = fb_error(r, "schema");
            goto done;
        }
        GNV_TRYG(read_index_type(r, name, &enc, f));
        for (int64_t i = 0; i < f->n_children; i++)
            GNV_ERR_IF(has_dict(&f->children[i]), GNV_ENOTSUP, GNV_SUB_IPC,
                       "%s: field '%s': dictionaries nested inside dictionary values are not "
                       "supported",
                       r->src.name, name);
        GNV_TRYG(add_dict(r, f));
    }
done:
    gnv__free(name);
    gnv_buf_dispose(&fmt);
    return rc;
}

static int read_schema(ipc_reader *r, const gnv_fb_table *st)
{
    int16_t endian;
    gnv_fb_vec fields;
    if (gnv__fb_i16(st, 0, 0, &endian) < 0 || gnv__fb_vector(st, 1, 4, &fields) < 0)
        return fb_error(r, "schema");
    if (endian != 0)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IPC, "%s: big-endian IPC data is not supported",
                              r->src.name);
    GNV_TRY(gnv__schema_init(&r->schema, "+s", "", 0));
    r->root.schema = &r->schema;
    r->root.type.id = GNV_TYPE_STRUCT;
    GNV_TRY(read_metadata(r, st, 2, &r->schema, "schema metadata"));
    if (fields.count == 0)
        return GNV_OK;
    GNV_TRY(gnv__schema_alloc_children(&r->schema, fields.count));
    r->root.children = gnv__calloc(fields.count, sizeof *r->root.children);
    if (!r->root.children)
        return gnv__error_oom();
    r->root.n_children = fields.count;
    for (uint32_t i = 0; i < fields.count; i++) {
        gnv_fb_table ft;
        if (gnv__fb_vec_table(&fields, i, &ft) < 0)
            return fb_error(r, "schema");
        GNV_TRY(read_field(r, &ft, r->schema.children[i], &r->root.children[i], 1));
    }
    return GNV_OK;
}

/* ---- imported arrays: each node owns its buffers and child structs ------- */

typedef struct imp_priv {
    void *owned[3];
    const void *ptrs[3];
    /* Slot i's bytes when they are not in owned[i]: a reference to the message body
     * the buffer points into, or the block it was decompressed into. */
    gnv_block *blocks[3];
    struct ArrowArray **children;
    int64_t n_children;
} imp_priv;

static void imp_release(struct ArrowArray *a)
{
    if (!a || !a->release)
        return;
    imp_priv *p = a->private_data;
    for (int64_t i = 0; i < p->n_children; i++) {
        if (p->children[i]) {
            gnv__array_release(p->children[i]);
            gnv__free(p->children[i]);
        }
    }
    gnv__free(p->children);
    for (int i = 0; i < 3; i++)
        gnv__free(p->owned[i]);
    for (int i = 0; i < 3; i++)
        gnv__block_unref(p->blocks[i]);
    gnv__free(p);
    a->release = NULL;
}

static int imp_init(struct ArrowArray *out, int64_t length, int n_buffers, int64_t n_children)
{
    memset(out, 0, sizeof *out);
    imp_priv *p = gnv__calloc(1, sizeof *p);
    if (!p)
        return gnv__error_oom();
    out->private_data = p;
    out->release = imp_release;
    out->length = length;
    out->n_buffers = n_buffers;
    out->buffers = p->ptrs;
    if (n_children > 0) {
        p->children = gnv__calloc((size_t)n_children, sizeof *p->children);
        if (!p->children)
            return gnv__error_oom();
        p->n_children = n_children;
        for (int64_t i = 0; i < n_children; i++) {
            p->children[i] = gnv__calloc(1, sizeof(struct ArrowArray));
            if (!p->children[i])
                return gnv__error_oom();
        }
        out->n_children = n_children;
        out->children = p->children;
    }
    return GNV_OK;
}

/* ---- record batch bodies --------------------------------------------------- */

typedef struct batch_ctx {
    ipc_reader *r;
    gnv_block *block; /* holds body; arrays take their own references */
    const uint8_t *body;
    uint64_t body_len;
    gnv_fb_vec nodes, buffers;
    uint32_t node_i, buf_i;
    int codec;            /* -1 none, 0 LZ4_FRAME, 1 ZSTD */
    uint64_t zero_filled; /* bytes of zeros given to absent buffers so far */
    char what[64];
} batch_ctx;

static int bad(batch_ctx *c, const ipc_field *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(batch_ctx *c, const ipc_field *f, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC, "%s: %s: %s%s%s%s", c->r->src.name, c->what,
                          f ? "field '" : "", f ? field_name(f) : "", f ? "': " : "", msg);
}

static int next_node(batch_ctx *c, const ipc_field *f, int64_t *length, int64_t *nulls)
{
    if (c->node_i >= c->nodes.count)
        return bad(c, f, "the message has fewer field nodes (%u) than the schema needs",
                   c->nodes.count);
    const uint8_t *p = gnv__fb_vec_struct(&c->nodes, c->node_i++, 16);
    *length = gnv__fb_load_i64(p);
    *nulls = gnv__fb_load_i64(p + 8);
    /* A null-type array is all nulls whatever its node says (Arrow JS writes -1). */
    if (f && f->type.id == GNV_TYPE_NA && *length >= 0)
        *nulls = *length;
    if (*length < 0 || *nulls < 0 || *nulls > *length)
        return bad(c, f, "invalid length %lld or null count %lld", (long long)*length,
                   (long long)*nulls);
    if (*length > INT64_MAX / 16)
        return bad(c, f, "length %lld is too large", (long long)*length);
    return GNV_OK;
}

static int decompress(batch_ctx *c,
                      const ipc_field *f,
                      uint32_t bi,
                      const uint8_t *src,
                      size_t n,
                      uint8_t *dst,
                      size_t want)
{
    ipc_reader *r = c->r;
    if (c->codec == 1) {
        if (!r->zstd && !(r->zstd = ZSTD_createDCtx()))
            return gnv__error_oom();
        size_t got = ZSTD_decompressDCtx(r->zstd, dst, want, src, n);
        if (ZSTD_isError(got) || got != want)
            return bad(c, f, "buffer %u does not decompress (ZSTD) to its %zu bytes%s%s", bi, want,
                       ZSTD_isError(got) ? ": " : "",
                       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "");
        return GNV_OK;
    }
    if (!r->lz4 && LZ4F_isError(LZ4F_createDecompressionContext(&r->lz4, LZ4F_VERSION))) {
        r->lz4 = NULL;
        return gnv__error_oom();
    }
    LZ4F_dctx *d = r->lz4;
    LZ4F_resetDecompressionContext(d); /* a previous buffer may have stopped midway */
    size_t in_at = 0, out_at = 0, ret = 1;
    while (ret != 0 && in_at < n) {
        size_t out_n = want - out_at, in_n = n - in_at;
        ret = LZ4F_decompress(d, dst + out_at, &out_n, src + in_at, &in_n, NULL);
        if (LZ4F_isError(ret))
            break;
        in_at += in_n;
        out_at += out_n;
        if (in_n == 0 && out_n == 0)
            break; /* no progress: output full or input exhausted */
    }
    if (LZ4F_isError(ret) || ret != 0 || out_at != want)
        return bad(c, f, "buffer %u does not decompress (LZ4) to its %zu bytes%s%s", bi, want,
                   LZ4F_isError(ret) ? ": " : "", LZ4F_isError(ret) ? LZ4F_getErrorName(ret) : "");
    return GNV_OK;
}

/* Take the next buffer, of at least `need` bytes, into slot i of the array. An
 * uncompressed buffer is used in place: the slot points into the message body and the
 * array holds a reference to it; only when the buffer is not aligned to `align` bytes
 * (what its values need) is it copied. A compressed buffer is decompressed into an
 * owned allocation. A zero-length buffer gives NULL when need is 0. */
static int take_buffer(batch_ctx *c,
                       const ipc_field *f,
                       struct ArrowArray *a,
                       int i,
                       uint64_t need,
                       size_t align,
                       uint64_t *size_out)
{
    imp_priv *p = a->private_data;
    if (c->buf_i >= c->buffers.count)
        return bad(c, f, "the message has fewer buffers (%u) than the schema needs",
                   c->buffers.count);
    uint32_t bi = c->buf_i++;
    const uint8_t *e = gnv__fb_vec_struct(&c->buffers, bi, 16);
    int64_t off = gnv__fb_load_i64(e), len = gnv__fb_load_i64(e + 8);
    if (off < 0 || len < 0 || (uint64_t)off > c->body_len || (uint64_t)len > c->body_len - off)
        return bad(c, f,
                   "buffer %u (%lld bytes at %lld) lies outside the message body (%llu bytes)", bi,
                   (long long)len, (long long)off, (unsigned long long)c->body_len);
    const uint8_t *src = c->body + off;
    uint64_t n = (uint64_t)len;
    bool compressed = false;
    uint64_t size = n;
    if (c->codec >= 0 && n > 0) {
        if (n < 8)
            return bad(c, f, "compressed buffer %u is shorter than its length prefix", bi);
        int64_t ulen = gnv__fb_load_i64(src);
        src += 8;
        n -= 8;
        size = n;
        if (ulen != -1) {
            uint64_t ratio = c->codec == 0 ? 256 : 32768; /* codec maximums, plus headers */
            if (ulen < 0 || (uint64_t)ulen > need + DECOMPRESS_SLACK ||
                (uint64_t)ulen > n * ratio + 4096)
                return bad(c, f,
                           "compressed buffer %u claims %lld bytes uncompressed; expected about "
                           "%llu",
                           bi, (long long)ulen, (unsigned long long)need);
            compressed = true;
            size = (uint64_t)ulen;
        }
    }
    if (size < need && size == 0 && i > 0 && a->length > 0 && a->null_count == a->length) {
        /* Arrow JS writes all-null columns with empty value buffers. Their values are
         * never read, but consumers expect the bytes to exist: give them zeros, within
         * a budget tied to the body (the length behind `need` is untrusted). */
        uint64_t budget = c->body_len > ZERO_FILL_MIN / ZERO_FILL_RATIO
                              ? c->body_len * ZERO_FILL_RATIO
                              : ZERO_FILL_MIN;
        if (need > budget - c->zero_filled)
            return bad(c, f,
                       "all-null column of length %lld has no buffer %u but would need %llu "
                       "bytes of zeros for it; at most %llu are allowed for a %llu-byte "
                       "message body",
                       (long long)a->length, bi, (unsigned long long)need,
                       (unsigned long long)(budget - c->zero_filled),
                       (unsigned long long)c->body_len);
        c->zero_filled += need;
        uint8_t *zeros = gnv__calloc(1, (size_t)need);
        if (!zeros)
            return gnv__error_oom();
        p->owned[i] = zeros;
        p->ptrs[i] = zeros;
        *size_out = need;
        return GNV_OK;
    }
    if (size < need)
        return bad(c, f, "buffer %u has %llu bytes, needs %llu", bi, (unsigned long long)size,
                   (unsigned long long)need);
    *size_out = size;
    if (size == 0) {
        p->ptrs[i] = i == 0 ? NULL : zero_buffer;
        return GNV_OK;
    }
    if (!compressed && (uintptr_t)src % align == 0) {
        p->blocks[i] = gnv__block_ref(c->block);
        p->ptrs[i] = src;
        return GNV_OK;
    }
    if (compressed) {
        /* A block: aligned, and large ones get the huge-page hint. */
        GNV_TRY(gnv__block_new(&p->blocks[i], (size_t)size));
        p->ptrs[i] = gnv__block_data(p->blocks[i]);
        return decompress(c, f, bi, src, (size_t)n, gnv__block_data(p->blocks[i]), (size_t)size);
    }
    uint8_t *dst = gnv__malloc((size_t)size);
    if (!dst)
        return gnv__error_oom();
    p->owned[i] = dst;
    p->ptrs[i] = dst;
    memcpy(dst, src, (size_t)size);
    return GNV_OK;
}

/* The alignment values of `width` bytes need: the largest power of two dividing it, at
 * most 8 (nothing reads more than 8 bytes at once). */
static size_t value_align(int width)
{
    size_t a = 1;
    while (a < 8 && width > 0 && width % (int)(a * 2) == 0)
        a *= 2;
    return a;
}

static int64_t popcount_nulls(const uint8_t *bits, int64_t n)
{
    int64_t valid = 0;
    for (int64_t i = 0; i < n / 8; i++)
        valid += __builtin_popcount(bits[i]);
    for (int64_t i = n / 8 * 8; i < n; i++)
        valid += (bits[i >> 3] >> (i & 7)) & 1;
    return n - valid;
}

static int take_validity(batch_ctx *c, const ipc_field *f, struct ArrowArray *a, int64_t nulls)
{
    uint64_t size;
    imp_priv *p = a->private_data;
    GNV_TRY(take_buffer(c, f, a, 0, nulls ? ((uint64_t)a->length + 7) / 8 : 0, 1, &size));
    if (nulls == 0) {
        /* As Arrow does: a zero null count means the bitmap is not consulted. */
        gnv__free(p->owned[0]);
        gnv__block_unref(p->blocks[0]);
        p->owned[0] = NULL;
        p->blocks[0] = NULL;
        p->ptrs[0] = NULL;
        a->null_count = 0;
        return GNV_OK;
    }
    a->null_count = popcount_nulls(p->ptrs[0], a->length);
    return GNV_OK;
}

static int
take_offsets(batch_ctx *c, const ipc_field *f, struct ArrowArray *a, bool large, int64_t *last)
{
    uint64_t size, w = large ? 8 : 4;
    imp_priv *p = a->private_data;
    GNV_TRY(take_buffer(c, f, a, 1, a->length ? ((uint64_t)a->length + 1) * w : 0, w, &size));
    *last = 0;
    if (size == 0)
        return GNV_OK; /* empty array: zero_buffer serves as its one offset */
    const uint8_t *o = p->ptrs[1];
    int64_t first = large ? gnv__fb_load_i64(o) : gnv__fb_load_i32(o);
    *last = large ? gnv__fb_load_i64(o + w * (uint64_t)a->length)
                  : gnv__fb_load_i32(o + w * (uint64_t)a->length);
    if (first < 0 || *last < first)
        return bad(c, f, "offsets run from %lld to %lld", (long long)first, (long long)*last);
    return GNV_OK;
}

static int decode_field(batch_ctx *c, ipc_field *f, struct ArrowArray *out, bool values, int depth);

/* Indices in `idx` (an int array of f->index_type) mapped through the dictionary. */
static int
apply_dictionary(batch_ctx *c, ipc_field *f, const struct ArrowArray *idx, struct ArrowArray *out)
{
    int rc = GNV_OK;
    ipc_dict *d = NULL;
    gnv_array_view dv;
    memset(&dv, 0, sizeof dv);
    for (int64_t i = 0; i < c->r->n_dicts; i++)
        if (c->r->dicts[i].id == f->dict_id)
            d = &c->r->dicts[i];
    if (!d || !d->loaded)
        return bad(c, f, "dictionary id %lld is used before any dictionary batch defined it",
                   (long long)f->dict_id);
    GNV_TRY(gnv__array_init(out, f->schema));
    GNV_TRYG(gnv__array_view_init(&dv, f->schema, &d->values));
    int w = gnv__type_byte_width(&f->index_type);
    bool sgn = gnv__type_is_signed(f->index_type.id);
    const uint8_t *bits = idx->buffers[0];
    const uint8_t *vals = idx->buffers[1];
    int64_t dlen = d->values.length;
    for (int64_t i = 0; i < idx->length; i++) {
        if (bits && !((bits[i >> 3] >> (i & 7)) & 1)) {
            GNV_TRYG(gnv__array_append_null(out, 1));
            continue;
        }
        const uint8_t *p = vals + (size_t)i * (size_t)w;
        int64_t k;
        switch (w) {
        case 1:
            k = sgn ? (int8_t)p[0] : p[0];
            break;
        case 2:
            k = sgn ? (int16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] | p[1] << 8);
            break;
        case 4:
            k = sgn ? (int64_t)gnv__fb_load_i32(p) : (int64_t)(uint32_t)gnv__fb_load_i32(p);
            break;
        default:
            k = gnv__fb_load_i64(p);
            break;
        }
        if (k < 0 || k >= dlen || (!sgn && w == 8 && (uint64_t)gnv__fb_load_i64(p) > INT64_MAX))
            GNV_ERR_IF(true, GNV_ECORRUPT, GNV_SUB_IPC,
                       "%s: %s: field '%s': dictionary index %lld of element %lld is outside "
                       "[0, %lld)",
                       c->r->src.name, c->what, field_name(f), (long long)k, (long long)i,
                       (long long)dlen);
        GNV_TRYG(gnv__array_append_view(out, &dv, k, 1));
    }
    GNV_TRYG(gnv__array_finish(out));
done:
    gnv__array_view_reset(&dv);
    if (rc < 0)
        gnv__array_release(out);
    return rc;
}

static int decode_dict_field(batch_ctx *c, ipc_field *f, struct ArrowArray *out)
{
    int64_t length, nulls;
    uint64_t size;
    struct ArrowArray idx;
    int rc;
    GNV_TRY(next_node(c, f, &length, &nulls));
    GNV_TRYG(imp_init(&idx, length, 2, 0));
    GNV_TRYG(take_validity(c, f, &idx, nulls));
    int w = gnv__type_byte_width(&f->index_type);
    GNV_TRYG(take_buffer(c, f, &idx, 1, (uint64_t)length * (uint64_t)w, value_align(w), &size));
    rc = apply_dictionary(c, f, &idx, out);
done:
    gnv__array_release(&idx);
    return rc;
}

static int decode_field(batch_ctx *c, ipc_field *f, struct ArrowArray *out, bool values, int depth)
{
    int64_t length, nulls, last;
    uint64_t size;
    int rc = GNV_OK;
    memset(out, 0, sizeof *out);
    if (depth > MAX_DEPTH)
        return bad(c, f, "nested too deeply");
    if (f->is_dict && !values)
        return decode_dict_field(c, f, out);
    GNV_TRY(next_node(c, f, &length, &nulls));
    gnv_type_id id = f->type.id;
    GNV_TRYG(imp_init(out, length, gnv__type_n_buffers(id), f->n_children));
    if (id == GNV_TYPE_NA) {
        out->null_count = length;
        return GNV_OK;
    }
    GNV_TRYG(take_validity(c, f, out, nulls));
    uint64_t len = (uint64_t)length;
    switch (id) {
    case GNV_TYPE_BOOL:
        GNV_TRYG(take_buffer(c, f, out, 1, (len + 7) / 8, 1, &size));
        break;
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY:
        GNV_TRYG(take_offsets(c, f, out, gnv__type_is_large(id), &last));
        GNV_TRYG(take_buffer(c, f, out, 2, (uint64_t)last, 1, &size));
        break;
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
        GNV_TRYG(take_offsets(c, f, out, gnv__type_is_large(id), &last));
        break;
    case GNV_TYPE_FIXED_SIZE_LIST:
    case GNV_TYPE_STRUCT:
        break;
    default: {
        uint64_t w = (uint64_t)gnv__type_byte_width(&f->type);
        if (w && len > UINT64_MAX / w)
            GNV_ERR_IF(true, GNV_ECORRUPT, GNV_SUB_IPC, "%s: %s: field '%s': length overflows",
                       c->r->src.name, c->what, field_name(f));
        GNV_TRYG(take_buffer(c, f, out, 1, len * w, value_align((int)w), &size));
        break;
    }
    }
    for (int64_t i = 0; i < f->n_children; i++)
        GNV_TRYG(decode_field(c, &f->children[i], out->children[i], false, depth + 1));
    if (id == GNV_TYPE_FIXED_SIZE_LIST && out->children[0]->length / f->type.fixed_size < length)
        GNV_ERR_IF(true, GNV_ECORRUPT, GNV_SUB_IPC,
                   "%s: %s: field '%s': %lld fixed-size lists of %d need more than the %lld "
                   "child items",
                   c->r->src.name, c->what, field_name(f), (long long)length, f->type.fixed_size,
                   (long long)out->children[0]->length);
    return GNV_OK;
done:
    gnv__array_release(out);
    return rc;
}

/* ---- batches and dictionaries ------------------------------------------- */

/* The message body, in a block the arrays can share: for memory input the input itself,
 * for a file a block read with pread, reusing the previous body's block when no array
 * points into it any more. *out is a new reference. */
static int body_block(ipc_reader *r, const ipc_message *m, gnv_block **out, const uint8_t **body)
{
    uint64_t n = (uint64_t)m->body_len;
    if (r->src.mem_block) {
        if (m->body_offset > r->src.size || n > r->src.size - m->body_offset)
            return src_read(&r->src, m->body_offset, NULL, n, "message body"); /* the error */
        *out = gnv__block_ref(r->src.mem_block);
        *body = r->src.mem + m->body_offset;
        return GNV_OK;
    }
    gnv_block *b = r->body_cache;
    if (!b || !gnv__block_is_unique(b) || gnv__block_size(b) < n) {
        gnv__block_unref(r->body_cache);
        r->body_cache = NULL;
        /* Room to spare: batches of one file differ by a few bytes, and a block one
         * byte too small cannot be reused. */
        GNV_TRY(gnv__block_new(&b, (size_t)(n + n / 8)));
        r->body_cache = b;
    }
    GNV_TRY(src_read(&r->src, m->body_offset, gnv__block_data(b), n, "message body"));
    *out = gnv__block_ref(b);
    *body = gnv__block_data(b);
    return GNV_OK;
}

/* Set up c for a RecordBatch table and read the message body. */
static int batch_begin(
    ipc_reader *r, batch_ctx *c, const gnv_fb_table *rb, const ipc_message *m, int64_t *length)
{
    gnv_fb_table comp;
    int has_comp;
    c->r = r;
    c->codec = -1;
    if (gnv__fb_i64(rb, 0, 0, length) < 0 || gnv__fb_vector(rb, 1, 16, &c->nodes) < 0 ||
        gnv__fb_vector(rb, 2, 16, &c->buffers) < 0 || (has_comp = gnv__fb_table(rb, 3, &comp)) < 0)
        return gnv__error_prefix("%s: %s", r->src.name, c->what);
    if (*length < 0)
        return bad(c, NULL, "negative length %lld", (long long)*length);
    if (has_comp == 1) {
        uint8_t codec, method;
        if (gnv__fb_u8(&comp, 0, 0, &codec) < 0 || gnv__fb_u8(&comp, 1, 0, &method) < 0)
            return gnv__error_prefix("%s: %s", r->src.name, c->what);
        if (codec > 1 || method != 0)
            return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IPC,
                                  "%s: %s: unknown body compression (codec %d, method %d)",
                                  r->src.name, c->what, codec, method);
        c->codec = codec;
    }
    GNV_TRY(body_block(r, m, &c->block, &c->body));
    c->body_len = (uint64_t)m->body_len;
    return GNV_OK;
}

static int batch_end(batch_ctx *c)
{
    if (c->node_i != c->nodes.count || c->buf_i != c->buffers.count)
        return bad(c, NULL, "has %u field nodes and %u buffers; the schema uses %u and %u",
                   c->nodes.count, c->buffers.count, c->node_i, c->buf_i);
    return GNV_OK;
}

/* Turn a validation failure (GNV_EINVAL) of decoded data into GNV_ECORRUPT. */
static int invalid(batch_ctx *c, int rc)
{
    if (rc != GNV_EINVAL)
        return rc;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", gnv_error_last()->message);
    return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC, "%s: %s: %s", c->r->src.name, c->what, msg);
}

static int read_record_batch(ipc_reader *r, const ipc_message *m, struct ArrowArray *out)
{
    int rc;
    batch_ctx c;
    int64_t length;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    snprintf(c.what, sizeof c.what, "record batch %lld", (long long)r->batch_no);
    GNV_TRYG(batch_begin(r, &c, &m->header, m, &length));
    GNV_TRYG(imp_init(out, length, 1, r->root.n_children));
    for (int64_t i = 0; i < r->root.n_children; i++) {
        ipc_field *f = &r->root.children[i];
        GNV_TRYG(decode_field(&c, f, out->children[i], false, 1));
        GNV_ERR_IF(out->children[i]->length != length, GNV_ECORRUPT, GNV_SUB_IPC,
                   "%s: %s: column '%s' has %lld rows, the batch %lld", r->src.name, c.what,
                   field_name(f), (long long)out->children[i]->length, (long long)length);
    }
    GNV_TRYG(batch_end(&c));
    rc = gnv__array_validate(&r->schema, out, true);
    if (rc < 0) {
        rc = invalid(&c, rc);
        goto done;
    }
    r->batch_no++;
done:
    gnv__block_unref(c.block);
    if (rc < 0)
        gnv__array_release(out);
    return rc;
}

static int read_dictionary_batch(ipc_reader *r, const ipc_message *m)
{
    int rc;
    batch_ctx c;
    int64_t id, length;
    uint8_t delta;
    gnv_fb_table rb;
    ipc_dict *d = NULL;
    struct ArrowArray values = {0}, merged = {0};
    memset(&c, 0, sizeof c);
    c.r = r;
    if (gnv__fb_i64(&m->header, 0, 0, &id) < 0 || (rc = gnv__fb_table(&m->header, 1, &rb)) < 0 ||
        gnv__fb_u8(&m->header, 2, 0, &delta) < 0)
        return fb_error(r, "dictionary batch");
    snprintf(c.what, sizeof c.what, "dictionary batch (id %lld)", (long long)id);
    GNV_ERR_IF(rc == 0, GNV_ECORRUPT, GNV_SUB_IPC, "%s: %s has no data", r->src.name, c.what);
    for (int64_t i = 0; i < r->n_dicts; i++)
        if (r->dicts[i].id == id)
            d = &r->dicts[i];
    GNV_ERR_IF(!d, GNV_ECORRUPT, GNV_SUB_IPC, "%s: %s: no field uses this dictionary id",
               r->src.name, c.what);
    GNV_TRYG(batch_begin(r, &c, &rb, m, &length));
    GNV_TRYG(decode_field(&c, d->field, &values, true, 1));
    GNV_TRYG(batch_end(&c));
    rc = gnv__array_validate(d->field->schema, &values, true);
    if (rc < 0) {
        rc = invalid(&c, rc);
        goto done;
    }
    if (delta && d->loaded) {
        const struct ArrowArray *parts[2] = {&d->values, &values};
        GNV_TRYG(gnv__array_concat(&merged, d->field->schema, parts, 2));
        gnv__array_release(&values);
        gnv__array_move(&merged, &values);
    }
    gnv__array_release(&d->values);
    gnv__array_move(&values, &d->values);
    d->loaded = true;
done:
    gnv__block_unref(c.block);
    gnv__array_release(&values);
    return rc;
}

/* ---- the stream ----------------------------------------------------------- */

static void reader_free(void *self)
{
    ipc_reader *r = self;
    if (!r)
        return;
    for (int64_t i = 0; i < r->n_dicts; i++)
        gnv__array_release(&r->dicts[i].values);
    gnv__free(r->dicts);
    field_reset(&r->root);
    gnv__schema_release(&r->schema);
    gnv__free(r->batches);
    gnv__block_unref(r->body_cache);
    ZSTD_freeDCtx(r->zstd);
    if (r->lz4)
        LZ4F_freeDecompressionContext(r->lz4);
    if (r->src.fd >= 0)
        close(r->src.fd);
    gnv__block_unref(r->src.mem_block);
    gnv__free(r->src.name);
    gnv__free(r);
}

static int reader_get_schema(void *self, struct ArrowSchema *out)
{
    ipc_reader *r = self;
    return gnv__schema_copy(out, &r->schema);
}

static int stream_next(ipc_reader *r, struct ArrowArray *out)
{
    int rc = GNV_OK;
    ipc_message m;
    memset(&m, 0, sizeof m);
    for (;;) {
        uint64_t next;
        GNV_ERR_IF(r->pos >= r->src.size, GNV_ECORRUPT, GNV_SUB_IPC,
                   "%s: the stream ends without an end-of-stream marker; truncated?", r->src.name);
        GNV_TRYG(read_message(r, r->pos, &m, &next));
        r->pos = next;
        if (m.eos) {
            r->done = true;
            return GNV_ITEROVER;
        }
        switch (m.header_type) {
        case GNV_FB_MSG_RECORD_BATCH:
            rc = read_record_batch(r, &m, out);
            goto done;
        case GNV_FB_MSG_DICTIONARY_BATCH:
            GNV_TRYG(read_dictionary_batch(r, &m));
            break;
        case GNV_FB_MSG_SCHEMA:
            GNV_ERR_IF(true, GNV_ECORRUPT, GNV_SUB_IPC, "%s: a second schema message in the stream",
                       r->src.name);
        default:
            GNV_ERR_IF(true, GNV_ENOTSUP, GNV_SUB_IPC,
                       "%s: IPC message type %d (tensor?) is not supported", r->src.name,
                       m.header_type);
        }
        message_reset(&m);
    }
done:
    message_reset(&m);
    return rc;
}

/* Read the message of a footer block; it must be of type `want`. */
static int read_block(ipc_reader *r, const ipc_block *b, int want, const char *what, ipc_message *m)
{
    uint64_t next;
    if (b->offset < 0 || b->body_len < 0 || b->meta_len < 0)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC, "%s: %s: invalid footer block",
                              r->src.name, what);
    GNV_TRY(read_message(r, (uint64_t)b->offset, m, &next));
    if (m->eos || m->header_type != want || m->body_len != b->body_len) {
        message_reset(m);
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC,
                              "%s: %s: the footer block does not point at a matching message",
                              r->src.name, what);
    }
    return GNV_OK;
}

static int reader_get_next(void *self, struct ArrowArray *out)
{
    ipc_reader *r = self;
    if (r->done)
        return GNV_ITEROVER;
    if (!r->file_format)
        return stream_next(r, out);
    if (r->next_batch >= r->n_batches) {
        r->done = true;
        return GNV_ITEROVER;
    }
    ipc_message m;
    char what[64];
    snprintf(what, sizeof what, "record batch %lld", (long long)r->next_batch);
    GNV_TRY(read_block(r, &r->batches[r->next_batch], GNV_FB_MSG_RECORD_BATCH, what, &m));
    r->next_batch++;
    int rc = read_record_batch(r, &m, out);
    message_reset(&m);
    return rc;
}

static const gnv_stream_impl reader_impl = {reader_get_schema, reader_get_next, reader_free};

static int
read_blocks(ipc_reader *r, const gnv_fb_table *footer, int field, ipc_block **out, int64_t *n)
{
    gnv_fb_vec v;
    *out = NULL;
    *n = 0;
    if (gnv__fb_vector(footer, field, 24, &v) < 0)
        return fb_error(r, "footer");
    if (v.count == 0)
        return GNV_OK;
    *out = gnv__calloc(v.count, sizeof **out);
    if (!*out)
        return gnv__error_oom();
    for (uint32_t i = 0; i < v.count; i++) {
        const uint8_t *p = gnv__fb_vec_struct(&v, i, 24);
        (*out)[i].offset = gnv__fb_load_i64(p);
        (*out)[i].meta_len = gnv__fb_load_i32(p + 8);
        (*out)[i].body_len = gnv__fb_load_i64(p + 16);
    }
    *n = v.count;
    return GNV_OK;
}

static int open_file_format(ipc_reader *r)
{
    int rc = GNV_OK;
    uint8_t tail[10];
    uint8_t *fbuf = NULL;
    ipc_block *dicts = NULL;
    int64_t n_dicts = 0;
    ipc_message m;
    memset(&m, 0, sizeof m);
    GNV_ERR_IF(r->src.size < 8 + 10, GNV_ECORRUPT, GNV_SUB_IPC,
               "%s: IPC file of %llu bytes is too short to hold a footer; truncated?", r->src.name,
               (unsigned long long)r->src.size);
    GNV_TRYG(src_read(&r->src, r->src.size - 10, tail, 10, "footer"));
    GNV_ERR_IF(memcmp(tail + 4, "ARROW1", 6) != 0, GNV_ECORRUPT, GNV_SUB_IPC,
               "%s: IPC file does not end with the ARROW1 magic; truncated?", r->src.name);
    int32_t flen = gnv__fb_load_i32(tail);
    GNV_ERR_IF(flen <= 0 || (uint64_t)flen > r->src.size - 18, GNV_ECORRUPT, GNV_SUB_IPC,
               "%s: footer length %d does not fit the file (%llu bytes)", r->src.name, flen,
               (unsigned long long)r->src.size);
    fbuf = gnv__malloc((size_t)flen);
    GNV_CHECK_ALLOC(fbuf);
    GNV_TRYG(src_read(&r->src, r->src.size - 10 - (uint64_t)flen, fbuf, (uint64_t)flen, "footer"));
    gnv_fb fb = {fbuf, (size_t)flen};
    gnv_fb_table footer, schema;
    int16_t version;
    if (gnv__fb_root(&footer, &fb) < 0 || gnv__fb_i16(&footer, 0, 0, &version) < 0 ||
        (rc = gnv__fb_table(&footer, 1, &schema)) < 0) {
        rc = fb_error(r, "footer");
        goto done;
    }
    GNV_ERR_IF(rc == 0, GNV_ECORRUPT, GNV_SUB_IPC, "%s: the footer has no schema", r->src.name);
    GNV_ERR_IF(version < GNV_IPC_V4 || version > GNV_IPC_V5, GNV_ENOTSUP, GNV_SUB_IPC,
               "%s: metadata version %d; only V4 and V5 are supported", r->src.name, version + 1);
    GNV_TRYG(read_schema(r, &schema));
    GNV_TRYG(read_blocks(r, &footer, 2, &dicts, &n_dicts));
    GNV_TRYG(read_blocks(r, &footer, 3, &r->batches, &r->n_batches));
    for (int64_t i = 0; i < n_dicts; i++) {
        char what[64];
        snprintf(what, sizeof what, "dictionary block %lld", (long long)i);
        GNV_TRYG(read_block(r, &dicts[i], GNV_FB_MSG_DICTIONARY_BATCH, what, &m));
        GNV_TRYG(read_dictionary_batch(r, &m));
        message_reset(&m);
    }
done:
    message_reset(&m);
    gnv__free(dicts);
    gnv__free(fbuf);
    return rc;
}

static int open_stream_format(ipc_reader *r)
{
    int rc = GNV_OK;
    ipc_message m;
    uint64_t next;
    memset(&m, 0, sizeof m);
    uint8_t head[4] = {0};
    GNV_ERR_IF(r->src.size == 0, GNV_ECORRUPT, GNV_SUB_IPC, "%s: empty IPC input", r->src.name);
    rc = read_message(r, 0, &m, &next);
    if (rc < 0) {
        /* Without the continuation marker this is most likely not Arrow at all. */
        if (rc == GNV_ECORRUPT &&
            src_read(&r->src, 0, head, GNV_MIN(r->src.size, 4), "magic") == 0 &&
            memcmp(head, "\xff\xff\xff\xff", 4) != 0)
            rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_IPC,
                                "%s: not an Arrow IPC file or stream (no ARROW1 magic and no "
                                "IPC message at the start)",
                                r->src.name);
        return rc;
    }
    GNV_ERR_IF(m.eos || m.header_type != GNV_FB_MSG_SCHEMA, GNV_ECORRUPT, GNV_SUB_IPC,
               "%s: not an Arrow IPC stream or file (no schema message at the start)", r->src.name);
    GNV_TRYG(read_schema(r, &m.header));
    r->pos = next;
done:
    message_reset(&m);
    return rc;
}

static int open_reader(struct ArrowArrayStream *out, ipc_reader *r)
{
    int rc;
    uint8_t head[6];
    bool file = r->src.size >= 6 && src_read(&r->src, 0, head, 6, "magic") == GNV_OK &&
                memcmp(head, "ARROW1", 6) == 0;
    r->file_format = file;
    rc = file ? open_file_format(r) : open_stream_format(r);
    if (rc < 0) {
        reader_free(r);
        return rc;
    }
    return gnv__stream_init(out, &reader_impl, r);
}

static ipc_reader *reader_new(const char *name)
{
    ipc_reader *r = gnv__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->src.fd = -1;
    r->src.name = gnv__strdup(name ? name : "<memory>");
    if (!r->src.name) {
        gnv__free(r);
        return NULL;
    }
    return r;
}

int gnv__ipc_open_block(struct ArrowArrayStream *out, gnv_block *b, const char *name)
{
    memset(out, 0, sizeof *out);
    ipc_reader *r = reader_new(name);
    if (!r)
        return gnv__error_oom();
    r->src.mem_block = gnv__block_ref(b);
    r->src.mem = gnv__block_data(b);
    r->src.size = gnv__block_size(b);
    return open_reader(out, r);
}

int gnv__ipc_open_memory(struct ArrowArrayStream *out,
                         const void *data,
                         size_t size,
                         const char *name)
{
    gnv_block *b = NULL;
    memset(out, 0, sizeof *out);
    GNV_TRY(gnv__block_new(&b, size));
    if (size)
        memcpy(gnv__block_data(b), data, size);
    int rc = gnv__ipc_open_block(out, b, name);
    gnv__block_unref(b);
    return rc;
}

int gnv__ipc_open_path(struct ArrowArrayStream *out, const char *path)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    ipc_reader *r = reader_new(path);
    if (!r)
        return gnv__error_oom();
    r->src.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->src.fd < 0) {
        int rc = gnv__error_os(GNV_SUB_IPC, errno, "%s", path);
        reader_free(r);
        return rc;
    }
    if (fstat(r->src.fd, &st) < 0) {
        int rc = gnv__error_os(GNV_SUB_IPC, errno, "%s", path);
        reader_free(r);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        reader_free(r);
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IPC, "%s: not a regular file", path);
    }
    r->src.size = (uint64_t)st.st_size;
    return open_reader(out, r);
}
