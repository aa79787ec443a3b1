/*
 * Fuzz target: FSST decompression (format_fsst.c). The first two bytes give the length of a
 * symbol table (little-endian, at most the rest of the input), which follows; the remaining
 * bytes are one compressed string. A table that parses must decode the string cleanly or fail
 * with GNV_ECORRUPT, leave the output as it was on failure, never write more than 8 bytes per
 * input byte, and decode the same way twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/format_fsst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t tl = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2;
    size -= 2;
    if (tl > size)
        tl = size;
    gnv_fsst_table t;
    if (gnv__fsst_table_parse(&t, data, tl) != GNV_OK) {
        if (!gnv_error_last())
            abort();
        return 0;
    }
    const uint8_t *in = data + tl;
    size_t n = size - tl;
    gnv_buf a = GNV_BUF_INIT, b = GNV_BUF_INIT;
    if (gnv__buf_puts(&a, "x") != GNV_OK || gnv__buf_puts(&b, "x") != GNV_OK)
        abort();
    int rc = gnv__fsst_decode(&a, &t, in, n);
    int rc2 = gnv__fsst_decode(&b, &t, in, n);
    if (rc != rc2 || a.size != b.size || memcmp(a.ptr, b.ptr, a.size) != 0)
        abort();
    if (rc == GNV_OK ? a.size - 1 > 8 * n : rc != GNV_ECORRUPT || a.size != 1 || a.ptr[1] != 0)
        abort();
    gnv_buf_dispose(&a);
    gnv_buf_dispose(&b);
    return 0;
}
