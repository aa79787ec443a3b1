/*
 * FastLanes unpacker in plain C (see format_bitpack.h for the bit order). The words are read
 * byte by byte in little-endian order, so the input needs no alignment and the code is
 * endian-neutral; the output is in native order for the caller's typed view.
 */
#include "format/format_bitpack.h"

#include <string.h>

#include "util/util.h"

static const int fl_order[8] = {0, 4, 2, 6, 1, 5, 3, 7};

static uint64_t word_at(const uint8_t *in, size_t idx, int bytes)
{
    const uint8_t *p = in + idx * (size_t)bytes;
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void store(void *out, int idx, int t, uint64_t v)
{
    switch (t) {
    case 8:
        ((uint8_t *)out)[idx] = (uint8_t)v;
        break;
    case 16:
        ((uint16_t *)out)[idx] = (uint16_t)v;
        break;
    case 32:
        ((uint32_t *)out)[idx] = (uint32_t)v;
        break;
    default:
        ((uint64_t *)out)[idx] = v;
        break;
    }
}

int gnv__fl_unpack(void *out, const uint8_t *in, size_t n_in, int t, int w)
{
    if (t != 8 && t != 16 && t != 32 && t != 64)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_FORMAT,
                              "bitpacking: word size %d is not 8, 16, 32 or 64", t);
    if (w < 0 || w > t)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "bitpacking: bit width %d is outside 0..%d", w, t);
    if (n_in < gnv__fl_packed_bytes(w))
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "bitpacking: %zu bytes for 1024 values of %d bits, need %zu", n_in, w,
                              gnv__fl_packed_bytes(w));
    if (w == 0) {
        memset(out, 0, (size_t)GNV_FL_BLOCK * (size_t)(t / 8));
        return GNV_OK;
    }
    int lanes = GNV_FL_BLOCK / t, bytes = t / 8;
    uint64_t mask = w == 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1);
    for (int lane = 0; lane < lanes; lane++) {
        for (int row = 0; row < t; row++) {
            int idx = fl_order[row / 8] * 16 + (row % 8) * 128 + lane;
            int bit = row * w, w0 = bit / t, sh = bit % t;
            uint64_t v = word_at(in, (size_t)lanes * (size_t)w0 + (size_t)lane, bytes) >> sh;
            /* sh > 0 here, so the shift by t - sh is below t and defined. */
            if (sh + w > t)
                v |= word_at(in, (size_t)lanes * (size_t)(w0 + 1) + (size_t)lane, bytes)
                     << (t - sh);
            store(out, idx, t, v & mask);
        }
    }
    return GNV_OK;
}

int gnv__fl_unpack_out_of_line(void *out, size_t n, const uint8_t *in, size_t n_in, int t, int w)
{
    if (t != 8 && t != 16 && t != 32 && t != 64)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_FORMAT,
                              "bitpacking: word size %d is not 8, 16, 32 or 64", t);
    if (w < 0 || w > t)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "bitpacking: bit width %d is outside 0..%d", w, t);
    size_t bytes = (size_t)t / 8, block = gnv__fl_packed_bytes(w);
    size_t full = n / GNV_FL_BLOCK, tail = n % GNV_FL_BLOCK;
    if (full > SIZE_MAX / (block ? block : 1))
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT, "bitpacking: %zu values", n);
    size_t head = full * block;
    /* When both layouts have the same size the tail is raw: the writer pads only when that
     * is strictly smaller (w*(1024-tail) < (t-w)*tail), and LanceDB's reader decides so too. */
    bool raw = tail && n_in == head + tail * bytes;
    bool padded = tail && !raw && n_in == head + block;
    if (n_in != head && !raw && !padded)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "bitpacking: %zu bytes for %zu values of %d bits", n_in, n, w);
    if (n_in == head && tail)
        return gnv__error_set(GNV_ECORRUPT, GNV_SUB_FORMAT,
                              "bitpacking: %zu bytes for %zu values of %d bits", n_in, n, w);
    uint8_t *o = out;
    for (size_t b = 0; b < full; b++) {
        GNV_TRY(gnv__fl_unpack(o, in + b * block, block, t, w));
        o += (size_t)GNV_FL_BLOCK * bytes;
    }
    if (raw) {
        for (size_t i = 0; i < tail; i++)
            store(o, (int)i, t, word_at(in + head, i, (int)bytes));
    } else if (padded) {
        uint64_t tmp[GNV_FL_BLOCK];
        GNV_TRY(gnv__fl_unpack(tmp, in + head, block, t, w));
        memcpy(o, tmp, tail * bytes);
    }
    return GNV_OK;
}
