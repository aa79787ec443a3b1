/*
 * FSST string decompression, as Lance stores FSST-compressed strings (Fsst.symbol_table in the
 * encoding description; each string compressed on its own).
 *
 * The serialized symbol table is a little-endian u64 header
 *   "FSST" << 32 | on << 24 | suffix_lim << 16 | terminator << 8 | n
 * followed by n u64 symbols (a symbol's first byte is the word's lowest byte) and n u8 symbol
 * lengths (1..8); Lance pads it to 2312 bytes. When `on` is 0 the writer did not compress (its
 * input was too small) and the strings are stored as they are. A compressed string is a
 * sequence of codes: a code c < n stands for symbol c; code 255 is an escape, followed by one
 * literal byte.
 */
#ifndef GNV_FORMAT_FSST_H
#define GNV_FORMAT_FSST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define GNV_FSST_ESCAPE 255
/* Bytes Lance reserves for a serialized symbol table: header, 256 symbols, 256 lengths. */
#define GNV_FSST_TABLE_BYTES (8 + 256 * 8 + 256)

typedef struct gnv_fsst_table {
    bool on; /* false: strings are stored uncompressed */
    int n;   /* symbols, 0..255 */
    uint8_t len[256];
    uint8_t sym[256][8];
} gnv_fsst_table;

/*
 * Parses a serialized symbol table of `size` bytes. GNV_ECORRUPT (the reason as the last error)
 * when the magic is missing, the table is shorter than its n symbols need or a symbol length is
 * outside 1..8. (Up to 255 symbols: code 255 is always the escape.)
 */
int gnv__fsst_table_parse(gnv_fsst_table *out, const uint8_t *buf, size_t size);

/*
 * Decompresses one string `in` (n bytes) with table t and appends it to out (at most 8 bytes per
 * input byte). GNV_ECORRUPT when a code names no symbol or an escape has no literal byte after
 * it; GNV_ENOMEM. On failure out keeps its previous size.
 */
int gnv__fsst_decode(gnv_buf *out, const gnv_fsst_table *t, const uint8_t *in, size_t n);

#endif
