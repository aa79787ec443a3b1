/*
 * Lance's general-purpose buffer compression (BufferCompression / General in the encodings):
 *   ZSTD: a u64 little-endian uncompressed length, then one zstd frame (older writers wrote the
 *         bare frame, which starts with the zstd magic instead);
 *   LZ4:  a u32 little-endian uncompressed length, then one LZ4 block (not the frame format).
 * An empty input is an empty output.
 */
#ifndef GNV_FORMAT_COMPRESS_H
#define GNV_FORMAT_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Values of the CompressionScheme enum of lance.proto. */
#define GNV_LANCE_LZ4  1
#define GNV_LANCE_ZSTD 2

/*
 * Decompresses `in` (n bytes, compressed with `scheme`) and appends the result to out; at most
 * `max_out` bytes are accepted (a larger claimed length is corrupt). GNV_ECORRUPT with the reason
 * when the data does not decompress to exactly its stated length, GNV_ENOTSUP for an unknown
 * scheme, GNV_ENOMEM. On failure out keeps its previous size.
 */
int gnv__lance_decompress(gnv_buf *out, int scheme, const uint8_t *in, size_t n, size_t max_out);

#endif
