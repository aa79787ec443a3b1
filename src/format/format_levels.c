/*
 * Rep/def level buffers (see format_levels.h): the forms LanceDB writes, decoded with the
 * FastLanes unpacker and the RLE expander; every size is checked before it is used.
 */
#include "format/format_levels.h"

#include <string.h>

#include "format/format_bitpack.h"
#include "format/format_rle.h"
#include "util/util.h"

static uint64_t getle(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int inline_blocks(uint16_t *out, size_t n, const uint8_t *in, size_t size)
{
    uint16_t tmp[GNV_FL_BLOCK];
    size_t pos = 0;
    for (size_t done = 0; done < n; done += GNV_FL_BLOCK) {
        if (size - pos < 2)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "bitpacked levels: %zu bytes end inside block %zu", size,
                                  done / GNV_FL_BLOCK);
        uint64_t w = getle(in + pos, 2);
        if (w > 16 || size - pos - 2 < gnv__fl_packed_bytes((int)w))
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "bitpacked levels: block %zu of width %llu overruns the "
                                  "%zu bytes",
                                  done / GNV_FL_BLOCK, (unsigned long long)w, size);
        GNV_TRY(gnv__fl_unpack(tmp, in + pos + 2, size - pos - 2, 16, (int)w));
        size_t k = n - done < GNV_FL_BLOCK ? n - done : GNV_FL_BLOCK;
        memcpy(out + done, tmp, k * sizeof *out);
        pos += 2 + gnv__fl_packed_bytes((int)w);
    }
    if (pos != size)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "bitpacked levels: %zu bytes for %zu levels, %zu used", size, n, pos);
    return GNV_OK;
}

int gnv__levels_decode(
    uint16_t *out, size_t n, gnv_levels_form form, int bits, const uint8_t *in, size_t size)
{
    switch (form) {
    case GNV_LEVELS_RAW:
        if (n > SIZE_MAX / 2 || size != 2 * n)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "%zu bytes of u16 levels for %zu levels", size, n);
        for (size_t i = 0; i < n; i++)
            out[i] = (uint16_t)getle(in + 2 * i, 2);
        return GNV_OK;
    case GNV_LEVELS_PACKED:
        if (bits < 0 || bits > 16)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT, "levels bitpacked to %d bits",
                                  bits);
        return gnv__fl_unpack_out_of_line(out, n, in, size, 16, bits);
    case GNV_LEVELS_INLINE:
        return inline_blocks(out, n, in, size);
    case GNV_LEVELS_RLE: {
        uint64_t vb = size >= 8 ? getle(in, 8) : 0;
        if (size < 8 || vb > size - 8)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "an RLE level block of %zu bytes claims %llu bytes of values",
                                  size, (unsigned long long)vb);
        GNV_TRY(gnv__rle_decode(out, n, 2, in + 8, (size_t)vb, in + 8 + vb, size - 8 - (size_t)vb));
        for (size_t i = 0; i < n; i++) /* RLE copies the little-endian bytes */
            out[i] = (uint16_t)getle((const uint8_t *)(out + i), 2);
        return GNV_OK;
    }
    }
    return gnv__error_set(GNV_EINVAL, GNV_SUB_FORMAT, "unknown level form %d", (int)form);
}
