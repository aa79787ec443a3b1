/*
 * Lance manifests: the _versions/ file names (V1 "{v}.manifest" and V2
 * "{u64::MAX - v:020}.manifest"), the file framing and the feature flags.
 *
 * A manifest file is
 *     [u32 len][IndexSection]?  [u32 len][Transaction]?  [u32 len][Manifest]
 *     u64 manifest_pos, u16 0, u16 2, "LANC"
 * with Manifest.index_section / transaction_section holding the offsets of the first
 * two length prefixes. The Manifest message must end right where the 16-byte footer
 * starts (Lance's reader checks the recorded length against the file size).
 * The IndexSection and Transaction are kept as raw bytes so that whatever LanceDB wrote
 * there is carried forward byte for byte.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

#define MANIFEST_SUFFIX ".manifest"
#define FOOTER_SIZE     16
#define MAGIC           "LANC"

/* Flags this library knows: 1 deletion files, 2 stable row ids, 4 (legacy
 * use_v2_format), 8 table config, 16 base paths. */
#define KNOWN_FLAGS (1u | 2u | 4u | 8u | 16u)

/* Set when an allocation inside protobuf-c failed: unpack returns NULL both for bad
 * bytes and for lack of memory, and the two need different codes. */
static _Thread_local bool pb_alloc_failed;

/* protobuf-c allocations go through our allocator, so tests can fail them. */
static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    void *p = gnv__malloc(size ? size : 1);
    if (!p)
        pb_alloc_failed = true;
    return p;
}

static void pb_free(void *data, void *ptr);
static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

void *gnv__pb_unpack(const ProtobufCMessageDescriptor *desc,
                     size_t n,
                     const uint8_t *data,
                     const char *what)
{
    pb_alloc_failed = false;
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, &pb_allocator, n, data);
    if (!m) {
        if (pb_alloc_failed)
            gnv__error_oom();
        else
            gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT, "%s: the %s message does not decode", what,
                           desc->short_name);
    }
    pb_alloc_failed = false;
    return m;
}

static void pb_free(void *data, void *ptr)
{
    (void)data;
    gnv__free(ptr);
}

void gnv__manifest_name(char out[64], uint64_t version)
{
    snprintf(out, 64, "%020" PRIu64 MANIFEST_SUFFIX, UINT64_MAX - version);
}

bool gnv__manifest_parse_name(const char *name, uint64_t *version, bool *v2_naming)
{
    size_t len = strlen(name);
    size_t slen = strlen(MANIFEST_SUFFIX);
    if (len <= slen || len - slen > 20 || strcmp(name + len - slen, MANIFEST_SUFFIX) != 0)
        return false;
    size_t digits = len - slen;
    uint64_t n = 0;
    for (size_t i = 0; i < digits; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        unsigned d = (unsigned)(name[i] - '0');
        if (n > (UINT64_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    /* Lance's V2 names are always 20 digits; a V1 name of 20 digits would need a
     * version above 10^19, which no table reaches. */
    bool v2 = digits == 20;
    uint64_t v = v2 ? UINT64_MAX - n : n;
    if (v == 0)
        return false;
    if (!v2 && digits > 1 && name[0] == '0')
        return false; /* "01.manifest" is nobody's name */
    *version = v;
    if (v2_naming)
        *v2_naming = v2;
    return true;
}

static uint32_t rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_u64(const uint8_t *p)
{
    return (uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32;
}

static void wr_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr_u64(uint8_t *p, uint64_t v)
{
    wr_u32(p, (uint32_t)v);
    wr_u32(p + 4, (uint32_t)(v >> 32));
}

/* Copy the length-prefixed message at `pos` (which must lie before `limit`). */
static int read_section(gnv_buf *out,
                        const uint8_t *data,
                        uint64_t limit,
                        uint64_t pos,
                        const char *what,
                        const char *path)
{
    if (pos > limit || limit - pos < 4)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "manifest '%s': %s offset %" PRIu64 " is outside the file", path,
                              what, pos);
    uint32_t len = rd_u32(data + pos);
    if (len > limit - pos - 4)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "manifest '%s': %s at offset %" PRIu64 " claims %" PRIu32
                              " bytes, past the manifest",
                              path, what, pos, len);
    gnv__buf_clear(out);
    return gnv__buf_put(out, data + pos + 4, len);
}

int gnv__manifest_read(Gnvpb__Manifest **out,
                       gnv_io *io,
                       const char *path,
                       gnv_buf *index_section_out,
                       gnv_buf *transaction_out)
{
    int rc = GNV_OK;
    gnv_buf file = GNV_BUF_INIT;
    Gnvpb__Manifest *m = NULL;
    *out = NULL;

    GNV_TRYG(gnv__io_read_all(io, path, &file));
    const uint8_t *data = (const uint8_t *)file.ptr;
    uint64_t size = file.size;
    GNV_ERR_IF(size < FOOTER_SIZE + 4 || memcmp(data + size - 4, MAGIC, 4) != 0, GNV_ECORRUPT,
               GNV_SUB_FORMAT,
               "manifest '%s' is not a Lance manifest (%" PRIu64
               " bytes, no LANC magic at its end)",
               path, size);
    uint64_t pos = rd_u64(data + size - FOOTER_SIZE);
    uint64_t body_end = size - FOOTER_SIZE;
    GNV_ERR_IF(pos > body_end || body_end - pos < 4, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "manifest '%s': manifest position %" PRIu64 " is outside the file (%" PRIu64
               " bytes)",
               path, pos, size);
    uint32_t len = rd_u32(data + pos);
    GNV_ERR_IF((uint64_t)len != body_end - pos - 4, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "manifest '%s': recorded length %" PRIu32 " does not match the %" PRIu64
               " bytes before the footer",
               path, len, body_end - pos - 4);
    m = gnv__pb_unpack(&gnvpb__manifest__descriptor, len, data + pos + 4, path);
    if (!m) {
        rc = gnv__error_code();
        if (rc == GNV_ECORRUPT)
            gnv__error_prefix("manifest");
        goto done;
    }
    GNV_ERR_IF(!m->has_version || m->version == 0, GNV_ECORRUPT, GNV_SUB_FORMAT,
               "manifest '%s' has no version number", path);
    if (index_section_out) {
        gnv__buf_clear(index_section_out);
        if (m->has_index_section)
            GNV_TRYG(read_section(index_section_out, data, pos, m->index_section, "index section",
                                  path));
    }
    if (transaction_out) {
        gnv__buf_clear(transaction_out);
        if (m->has_transaction_section)
            GNV_TRYG(read_section(transaction_out, data, pos, m->transaction_section,
                                  "transaction section", path));
    }
    *out = m;
    m = NULL;
done:
    if (m)
        gnvpb__manifest__free_unpacked(m, &pb_allocator);
    gnv_buf_dispose(&file);
    return rc;
}

static int
put_section(gnv_buf *b, const gnv_buf *section, protobuf_c_boolean *has, uint64_t *offset)
{
    *has = 0;
    if (!section || section->size == 0)
        return GNV_OK;
    if (section->size > UINT32_MAX)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_FORMAT, "manifest section too large");
    uint8_t len[4];
    wr_u32(len, (uint32_t)section->size);
    *has = 1;
    *offset = b->size;
    GNV_TRY(gnv__buf_put(b, len, 4));
    return gnv__buf_put(b, section->ptr, section->size);
}

int gnv__manifest_write(gnv_io *io,
                        const char *path,
                        Gnvpb__Manifest *m,
                        const gnv_buf *index_section,
                        const gnv_buf *transaction)
{
    int rc = GNV_OK;
    gnv_buf b = GNV_BUF_INIT;
    GNV_TRYG(put_section(&b, index_section, &m->has_index_section, &m->index_section));
    GNV_TRYG(put_section(&b, transaction, &m->has_transaction_section, &m->transaction_section));
    size_t packed = gnvpb__manifest__get_packed_size(m);
    GNV_ERR_IF(packed > UINT32_MAX, GNV_EINVAL, GNV_SUB_FORMAT, "manifest too large");
    uint64_t pos = b.size;
    GNV_TRYG(gnv__buf_reserve(&b, 4 + packed + FOOTER_SIZE));
    uint8_t *p = (uint8_t *)b.ptr + b.size;
    wr_u32(p, (uint32_t)packed);
    gnvpb__manifest__pack(m, p + 4);
    p += 4 + packed;
    wr_u64(p, pos);
    p[8] = 0;
    p[9] = 0;
    p[10] = 2;
    p[11] = 0;
    memcpy(p + 12, MAGIC, 4);
    b.size += 4 + packed + FOOTER_SIZE;
    rc = gnv__io_write_all(io, path, b.ptr, b.size, GNV_IO_NOREPLACE);
done:
    gnv_buf_dispose(&b);
    return rc;
}

void gnv__manifest_free(Gnvpb__Manifest *m)
{
    if (m)
        gnvpb__manifest__free_unpacked(m, &pb_allocator);
}

ProtobufCAllocator *gnv__pb_allocator(void)
{
    return &pb_allocator;
}

int gnv__manifest_check_flags(const Gnvpb__Manifest *m, const char *table_name)
{
    uint64_t flags[2] = {m->has_reader_feature_flags ? m->reader_feature_flags : 0,
                         m->has_writer_feature_flags ? m->writer_feature_flags : 0};
    const char *kind[2] = {"reader", "writer"};
    for (int k = 0; k < 2; k++) {
        uint64_t unknown = flags[k] & ~(uint64_t)KNOWN_FLAGS;
        if (!unknown)
            continue;
        uint64_t bit = unknown & (~unknown + 1);
        return gnv__error_set(GNV_EVERSION, GNV_SUB_FORMAT,
                              "table '%s' (version %" PRIu64 ") uses %s feature flag %" PRIu64
                              ", which this version of geneva does not understand",
                              table_name, m->version, kind[k], bit);
    }
    return GNV_OK;
}
