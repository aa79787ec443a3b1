/*
 * Lance's RLE mini-block values (CompressiveEncoding.rle): each chunk has two buffers, the run
 * values (flat, the column's width, little-endian) and their run lengths (one u8 each, 1..255;
 * the writer splits longer runs into runs of 255 and a remainder). A chunk's value count comes
 * from the mini-block metadata, so the runs must add up to it exactly.
 */
#ifndef GNV_FORMAT_RLE_H
#define GNV_FORMAT_RLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Expands n values of `width` bytes (1, 2, 4 or 8) into `out` (n*width bytes, the values'
 * little-endian bytes copied as they are) from `vals` (vbytes bytes) and `runs` (nruns u8
 * run lengths). GNV_EINVAL for a bad width, GNV_ECORRUPT (with the reason as the last error)
 * if vbytes is not nruns*width, a run is 0, or the runs do not add up to exactly n.
 */
int gnv__rle_decode(void *out,
                    size_t n,
                    int width,
                    const uint8_t *vals,
                    size_t vbytes,
                    const uint8_t *runs,
                    size_t nruns);

#endif
