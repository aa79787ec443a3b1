/*
 * FSST decompression (see format_fsst.h). Every code is checked against the table before it is
 * used and the output is sized from the input first, so damaged input cannot overrun anything.
 */
#include "format/format_fsst.h"

#include <string.h>

#define FSST_MAGIC 0x46535354u /* "FSST" in the header's upper 32 bits */

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int gnv__fsst_table_parse(gnv_fsst_table *out, const uint8_t *buf, size_t size)
{
    memset(out, 0, sizeof *out);
    if (!buf || size < 8)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "FSST symbol table of %zu bytes is shorter than its header", size);
    uint64_t h = get64(buf);
    if ((uint32_t)(h >> 32) != FSST_MAGIC)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "FSST symbol table lacks the FSST magic (header %016llx)",
                              (unsigned long long)h);
    int n = (int)(h & 255);
    out->on = (h >> 24 & 1) != 0;
    if (size < 8 + (size_t)n * 9)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "FSST symbol table of %zu bytes is too short for %d symbols", size,
                              n);
    out->n = n;
    for (int i = 0; i < n; i++) {
        int l = buf[8 + (size_t)n * 8 + (size_t)i];
        if (l < 1 || l > 8)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "FSST symbol %d has length %d (1..8 expected)", i, l);
        out->len[i] = (uint8_t)l;
        memcpy(out->sym[i], buf + 8 + (size_t)i * 8, 8);
    }
    return GNV_OK;
}

int gnv__fsst_decode(gnv_buf *out, const gnv_fsst_table *t, const uint8_t *in, size_t n)
{
    if (!t->on)
        return gnv__buf_put(out, in, n);
    if (n > (SIZE_MAX - 16) / 8)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT, "FSST string of %zu bytes", n);
    /* Room for 8 bytes per code plus 8, so every symbol is stored as a whole 8-byte word
     * (one unaligned store; the bytes past its length are overwritten next). */
    GNV_TRY(gnv__buf_reserve(out, n * 8 + 8));
    uint8_t *o = (uint8_t *)out->ptr + out->size;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = in[i];
        if (c == GNV_FSST_ESCAPE) {
            if (i + 1 >= n) {
                out->ptr[out->size] = '\0';
                return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                      "FSST string ends in an escape at byte %zu", i);
            }
            o[w++] = in[++i];
            continue;
        }
        if ((int)c >= t->n) {
            out->ptr[out->size] = '\0';
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                                  "FSST code %u at byte %zu names no symbol (the table has %d)", c,
                                  i, t->n);
        }
        memcpy(o + w, t->sym[c], 8);
        w += t->len[c];
    }
    out->size += w;
    out->ptr[out->size] = '\0';
    return GNV_OK;
}
