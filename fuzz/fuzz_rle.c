/*
 * Fuzz target: RLE expansion (format_rle.c). Byte 0 picks the value width (1, 2, 4, 8 or an
 * invalid 3), bytes 1-2 the value count (at most 4096), byte 3 how many of the remaining bytes
 * are run values; the rest are the u8 run lengths. On success every output value must be one
 * of the run values, in order; failures must be clean.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/format_rle.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    static const int widths[5] = {1, 2, 4, 8, 3};
    int w = widths[data[0] % 5];
    size_t n = ((size_t)data[1] | (size_t)data[2] << 8) % 4097;
    size_t vb = data[3];
    data += 4;
    size -= 4;
    if (vb > size)
        vb = size;
    static uint8_t out[4096 * 8];
    int rc = gnv__rle_decode(out, n, w, data, vb, data + vb, size - vb);
    if (rc != GNV_OK) {
        if ((rc != GNV_ECORRUPT && rc != GNV_EINVAL) || !gnv_error_last())
            abort();
        return 0;
    }
    /* replay the runs */
    size_t pos = 0, ww = (size_t)w;
    for (size_t r = 0; r < size - vb; r++)
        for (size_t k = 0; k < data[vb + r]; k++, pos++)
            if (pos >= n || memcmp(out + pos * ww, data + r * ww, ww) != 0)
                abort();
    if (pos != n)
        abort();
    return 0;
}
