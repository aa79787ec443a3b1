/*
 * RLE mini-block decoding (see format_rle.h). Bytes are copied, so no alignment is needed and
 * little-endian values stay little-endian, as Flat values are.
 */
#include "format/format_rle.h"

#include <string.h>

#include "util/util.h"

int gnv__rle_decode(void *out,
                    size_t n,
                    int width,
                    const uint8_t *vals,
                    size_t vbytes,
                    const uint8_t *runs,
                    size_t nruns)
{
    if (width != 1 && width != 2 && width != 4 && width != 8)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_FORMAT, "RLE values of %d bytes", width);
    size_t w = (size_t)width;
    if (vbytes % w != 0 || vbytes / w != nruns)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "%zu bytes of %d-byte RLE values for %zu run lengths", vbytes, width,
                              nruns);
    uint8_t *o = out;
    size_t done = 0;
    for (size_t r = 0; r < nruns; r++) {
        size_t len = runs[r];
        if (len == 0)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT, "RLE run %zu has length 0", r);
        if (len > n - done)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "RLE runs exceed the chunk's %zu values at run %zu", n, r);
        const uint8_t *v = vals + r * w;
        for (size_t i = 0; i < len; i++, o += w)
            memcpy(o, v, w);
        done += len;
    }
    if (done != n)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "RLE runs add up to %zu values, the chunk has %zu", done, n);
    return GNV_OK;
}
