/*
 * Fuzz target: Lance's general buffer compression (format_compress.c). Byte 0 picks ZSTD or
 * LZ4 (or an unknown scheme); the rest is the compressed buffer, decoded with a 1 MiB limit.
 * The output must respect the limit and be left as it was on failure; failures must be clean.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/format_compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int schemes[3] = {GNV_LANCE_ZSTD, GNV_LANCE_LZ4, 9};
    int scheme = schemes[data[0] % 3];
    size_t max = (size_t)1 << 20;
    gnv_buf out = GNV_BUF_INIT;
    if (gnv__buf_puts(&out, "k") != GNV_OK)
        abort();
    int rc = gnv__lance_decompress(&out, scheme, data + 1, size - 1, max);
    if (rc == GNV_OK ? out.size - 1 > max
                     : (rc != GNV_ECORRUPT && rc != GNV_ENOTSUP) || out.size != 1 ||
                           out.ptr[1] != 0 || !gnv_error_last())
        abort();
    gnv_buf_dispose(&out);
    return 0;
}
