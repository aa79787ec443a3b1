/*
 * FastLanes bit unpacking, as used by Lance's InlineBitpacking and OutOfLineBitpacking.
 *
 * A block holds 1024 values of T bits (T = 8, 16, 32 or 64) packed to w bits each (0 <= w <= T)
 * in 1024*w/T words of T bits. With LANES = 1024/T, row r of lane l is the value at index
 * FL_ORDER[r/8]*16 + (r%8)*128 + l (FL_ORDER = 0,4,2,6,1,5,3,7); its bits start at bit
 * (r*w) % T of word LANES*floor(r*w/T) + l and may continue into the same lane's next word.
 */
#ifndef GNV_FORMAT_BITPACK_H
#define GNV_FORMAT_BITPACK_H

#include <stddef.h>
#include <stdint.h>

#define GNV_FL_BLOCK 1024

/* Bytes of one packed block of width w: 1024*w/8 = 128*w. */
static inline size_t gnv__fl_packed_bytes(int w)
{
    return (size_t)128 * (size_t)w;
}

/*
 * Unpacks one block of 1024 values of t bits (8/16/32/64) packed to width w from `in`
 * (n_in bytes, little-endian words, no alignment needed) into `out`, which receives 1024
 * native-endian values of t/8 bytes each. GNV_EINVAL if t or w is invalid, GNV_ECORRUPT if
 * n_in is smaller than 128*w bytes.
 */
int gnv__fl_unpack(void *out, const uint8_t *in, size_t n_in, int t, int w);

/*
 * Unpacks an OutOfLineBitpacking buffer of n values of t bits packed to width w into `out`
 * (n native values of t/8 bytes). Whole blocks of 1024 come first; a partial tail is either
 * padded to 1024 and packed, or stored raw as n%1024 little-endian words, told apart by the
 * buffer size. When both readings give the same size the tail is raw (the writer pads only
 * when padding is strictly smaller, and LanceDB's own reader reads such a tail as raw).
 * GNV_ECORRUPT if n_in fits neither layout.
 */
int gnv__fl_unpack_out_of_line(void *out, size_t n, const uint8_t *in, size_t n_in, int t, int w);

#endif
