/*
 * Fuzz target: the FastLanes unpacker (format_bitpack.c), both the one-block form of
 * InlineBitpacking and OutOfLineBitpacking buffers. Byte 0 picks the word size (8, 16, 32,
 * 64), byte 1 the bit width, bytes 2-3 a value count (at most 5000); the rest is the packed
 * data. Every value unpacked from a block must fit in the bit width; failures must be clean.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/format_bitpack.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t value(const void *out, size_t i, int t)
{
    switch (t) {
    case 8:
        return ((const uint8_t *)out)[i];
    case 16:
        return ((const uint16_t *)out)[i];
    case 32:
        return ((const uint32_t *)out)[i];
    default:
        return ((const uint64_t *)out)[i];
    }
}

static void check(const void *out, size_t n, int t, int w)
{
    uint64_t mask = w >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
    for (size_t i = 0; i < n; i++)
        if (value(out, i, t) & ~mask)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    int t = 8 << (data[0] & 3);
    int w = data[1] % (t + 2); /* t + 1 is invalid on purpose */
    size_t n = ((size_t)data[2] | (size_t)data[3] << 8) % 5001;
    data += 4;
    size -= 4;
    static uint64_t out[5000 + GNV_FL_BLOCK];
    int rc = gnv__fl_unpack(out, data, size, t, w);
    if (rc == GNV_OK)
        check(out, GNV_FL_BLOCK, t, w);
    else if ((rc != GNV_ECORRUPT && rc != GNV_EINVAL) || !gnv_error_last())
        abort();
    rc = gnv__fl_unpack_out_of_line(out, n, data, size, t, w);
    if (rc == GNV_OK) /* the packed blocks; a tail may be stored raw, any value */
        check(out, n / GNV_FL_BLOCK * GNV_FL_BLOCK, t, w);
    else if ((rc != GNV_ECORRUPT && rc != GNV_EINVAL) || !gnv_error_last())
        abort();
    return 0;
}
