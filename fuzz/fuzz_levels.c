/*
 * Fuzz target: rep/def level buffers (format_levels.c) in every form LanceDB writes: raw u16,
 * OutOfLineBitpacking, InlineBitpacking blocks, RLE blocks. Byte 0 picks the form, byte 1 the
 * packed width, bytes 2-3 the level count (at most 5000); the rest is the buffer. A decoded
 * bitpacked level must fit in its width; failures must be clean and leave a message.
 */
#include <stdint.h>
#include <stdlib.h>

#include "format/format_levels.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    gnv_levels_form form = (gnv_levels_form)(data[0] % 4);
    int bits = data[1] % 18; /* 17 is invalid on purpose */
    size_t n = ((size_t)data[2] | (size_t)data[3] << 8) % 5001;
    data += 4;
    size -= 4;
    static uint16_t out[5000];
    int rc = gnv__levels_decode(out, n, form, bits, data, size);
    if (rc != GNV_OK) {
        if ((rc != GNV_ECORRUPT && rc != GNV_EINVAL) || !gnv_error_last())
            abort();
        return 0;
    }
    if (form == GNV_LEVELS_PACKED && bits < 16) /* whole blocks; a tail may be raw */
        for (size_t i = 0; i < n / 1024 * 1024; i++)
            if (out[i] >> bits)
                abort();
    return 0;
}
