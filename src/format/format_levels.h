/*
 * Decoding a buffer of u16 repetition or definition levels, in the forms Lance stores them
 * (in mini-block chunks and in all-null / constant pages):
 *   RAW      n little-endian u16;
 *   PACKED   OutOfLineBitpacking: FastLanes blocks of 1024 packed to `bits` bits, the tail
 *            padded to a block or stored raw (see gnv__fl_unpack_out_of_line);
 *   INLINE   InlineBitpacking: per 1024 levels (the last block padded) a u16 bit width and
 *            the block packed to it;
 *   RLE      [u64 bytes of run values][u16 run values][u8 run lengths].
 */
#ifndef GNV_FORMAT_LEVELS_H
#define GNV_FORMAT_LEVELS_H

#include <stddef.h>
#include <stdint.h>

typedef enum gnv_levels_form {
    GNV_LEVELS_RAW = 0,
    GNV_LEVELS_PACKED,
    GNV_LEVELS_INLINE,
    GNV_LEVELS_RLE
} gnv_levels_form;

/*
 * Decodes exactly n levels from `in` (size bytes) into out (n native u16). `bits` is the packed
 * width for PACKED (0..16) and ignored otherwise. GNV_ECORRUPT with the reason as the last
 * error when the buffer does not hold exactly n levels of that form; GNV_EINVAL for an
 * unknown form.
 */
int gnv__levels_decode(
    uint16_t *out, size_t n, gnv_levels_form form, int bits, const uint8_t *in, size_t size);

#endif
