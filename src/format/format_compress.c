/*
 * Lance's ZSTD and LZ4 buffer framing (see format_compress.h), decoded with libzstd and liblz4.
 * Nothing is allocated from a stated length alone: zstd output is streamed and grows as it
 * arrives, and an LZ4 length is checked against what the input could hold.
 */
#include "format/format_compress.h"

#include <lz4.h>
#include <string.h>
#include <zstd.h>

#define ZSTD_MAGIC 0xFD2FB528u

static uint64_t getle(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* One zstd frame, streamed: at most max_out bytes are appended. */
static int zstd_bare(gnv_buf *out, const uint8_t *in, size_t n, size_t max_out)
{
    size_t start = out->size;
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds)
        return gnv__error_oom();
    ZSTD_inBuffer ib = {in, n, 0};
    size_t ret = 1;
    int rc = GNV_OK;
    if (max_out > SIZE_MAX / 2)
        max_out = SIZE_MAX / 2;
    while (ret != 0) {
        /* one byte of room beyond max_out detects output that is too long */
        size_t room = GNV_MIN((size_t)1 << 16, max_out - (out->size - start) + 1);
        if ((rc = gnv__buf_reserve(out, room)) < 0)
            break;
        ZSTD_outBuffer ob = {out->ptr + out->size, room, 0};
        ret = ZSTD_decompressStream(ds, &ob, &ib);
        if (ZSTD_isError(ret)) {
            rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                "a zstd frame does not decompress: %s", ZSTD_getErrorName(ret));
            break;
        }
        out->size += ob.pos;
        if (out->size - start > max_out) {
            rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                "a zstd frame decompresses to more than %zu bytes", max_out);
            break;
        }
        if (ret != 0 && ib.pos == ib.size && ob.pos < room) {
            rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT, "a zstd frame is truncated");
            break;
        }
    }
    if (rc == GNV_OK && ib.pos != ib.size)
        rc = gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT, "%zu bytes follow a zstd frame",
                            ib.size - ib.pos);
    ZSTD_freeDStream(ds);
    if (rc < 0)
        out->size = start;
    if (out->ptr)
        out->ptr[out->size] = '\0';
    return rc;
}

/* u64 length, then a frame: streamed (a lying length allocates nothing), then compared. */
static int zstd_prefixed(gnv_buf *out, const uint8_t *in, size_t n, size_t max_out)
{
    uint64_t want = getle(in, 8);
    if (want > max_out)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "zstd data of %zu bytes claims %llu uncompressed bytes", n,
                              (unsigned long long)want);
    size_t start = out->size;
    GNV_TRY(zstd_bare(out, in + 8, n - 8, (size_t)want));
    if (out->size - start != want) {
        size_t got = out->size - start;
        out->size = start;
        out->ptr[out->size] = '\0';
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "zstd data decompresses to %zu bytes, its length prefix says %llu",
                              got, (unsigned long long)want);
    }
    return GNV_OK;
}

static int lz4_block(gnv_buf *out, const uint8_t *in, size_t n, size_t max_out)
{
    if (n < 4)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "LZ4 data of %zu bytes lacks its length prefix", n);
    uint64_t want = getle(in, 4);
    in += 4;
    n -= 4;
    /* LZ4 expands at most about 255 times */
    if (want > max_out || want > (uint64_t)n * 256 + 16 || n > INT32_MAX || want > INT32_MAX)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "LZ4 data of %zu bytes claims %llu uncompressed bytes", n,
                              (unsigned long long)want);
    GNV_TRY(gnv__buf_reserve(out, (size_t)want));
    int got = want == 0 && n == 0
                  ? 0
                  : LZ4_decompress_safe((const char *)in, out->ptr + out->size, (int)n, (int)want);
    if (got < 0 || (uint64_t)got != want) {
        out->ptr[out->size] = '\0'; /* the decoder may have written past the end */
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "LZ4 data does not decompress to its %llu bytes",
                              (unsigned long long)want);
    }
    out->size += (size_t)got;
    out->ptr[out->size] = '\0';
    return GNV_OK;
}

int gnv__lance_decompress(gnv_buf *out, int scheme, const uint8_t *in, size_t n, size_t max_out)
{
    if (n == 0)
        return gnv__buf_reserve(out, 0);
    switch (scheme) {
    case GNV_LANCE_ZSTD:
        /* the writer's rule: a bare frame starts with the magic and has the reserved bit clear */
        if (n < 8 || (getle(in, 4) == ZSTD_MAGIC && !(in[4] & 0x10)))
            return zstd_bare(out, in, n, max_out);
        return zstd_prefixed(out, in, n, max_out);
    case GNV_LANCE_LZ4:
        return lz4_block(out, in, n, max_out);
    default:
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_FORMAT,
                              "unsupported Lance encoding 'compression scheme %d'", scheme);
    }
}
