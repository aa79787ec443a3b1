/* FastLanes unpacker: round trips through a reference packer and vectors from the reference. */
#include "gnv_test.h"

#include "format/format_bitpack.h"
#include "format/format_file.h"

static const int fl_order[8] = {0, 4, 2, 6, 1, 5, 3, 7};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t mask_of(int w)
{
    return w == 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1);
}

/*
 * Reference packer written from the format description: row r of lane l is the value at index
 * FL_ORDER[r/8]*16 + (r%8)*128 + l; it goes to bit (r*w)%T of word LANES*floor(r*w/T) + l,
 * spilling into the lane's next word. Words are then written little-endian.
 */
static void ref_pack(uint8_t *packed, const uint64_t *vals, int t, int w)
{
    static uint64_t words[1024];
    int lanes = 1024 / t, nwords = 1024 * w / t;
    memset(words, 0, sizeof words);
    for (int lane = 0; lane < lanes; lane++) {
        for (int row = 0; row < t; row++) {
            uint64_t v = vals[fl_order[row / 8] * 16 + (row % 8) * 128 + lane] & mask_of(w);
            int bit = row * w, w0 = bit / t, sh = bit % t;
            words[lanes * w0 + lane] |= (v << sh) & mask_of(t);
            if (sh + w > t)
                words[lanes * (w0 + 1) + lane] |= v >> (t - sh);
        }
    }
    for (int i = 0; i < nwords; i++)
        for (int b = 0; b < t / 8; b++)
            packed[i * (t / 8) + b] = (uint8_t)(words[i] >> (8 * b));
}

static uint64_t load(const void *out, int i, int t)
{
    switch (t) {
    case 8:
        return ((const uint8_t *)out)[i];
    case 16:
        return ((const uint16_t *)out)[i];
    case 32:
        return ((const uint32_t *)out)[i];
    default:
        return ((const uint64_t *)out)[i];
    }
}

static void test_round_trip_all_widths(void **state)
{
    (void)state;
    static uint64_t vals[1024], out64[1024];
    static uint8_t packed[128 * 64];
    for (int t = 8; t <= 64; t *= 2) {
        for (int w = 0; w <= t; w++) {
            for (int rep = 0; rep < 3; rep++) {
                for (int i = 0; i < 1024; i++) {
                    /* rep 1 uses the extremes, the others random values. */
                    vals[i] = rep == 1 ? (i % 2 ? mask_of(w) : 0) : rng() & mask_of(w);
                }
                memset(packed, 0xa5, sizeof packed);
                ref_pack(packed, vals, t, w);
                memset(out64, 0xee, sizeof out64);
                assert_int_equal(gnv__fl_unpack(out64, packed, gnv__fl_packed_bytes(w), t, w),
                                 GNV_OK);
                for (int i = 0; i < 1024; i++) {
                    if (load(out64, i, t) != vals[i])
                        fail_msg("T=%d w=%d rep=%d index %d: got %llu want %llu", t, w, rep, i,
                                 (unsigned long long)load(out64, i, t),
                                 (unsigned long long)vals[i]);
                }
            }
        }
    }
}

/* Hashes of the outputs of the reference unpacker (fl.py) over a fixed byte pattern. */
static void test_reference_vectors(void **state)
{
    (void)state;
    static const struct {
        int t, w;
        uint64_t hash;
    } vec[] = {
        {8, 3, UINT64_C(0x38694eae4a18aa14)},   {16, 11, UINT64_C(0xb603665ca551f126)},
        {32, 7, UINT64_C(0x06321839e118271c)},  {32, 17, UINT64_C(0xb8a7252834fd461a)},
        {64, 1, UINT64_C(0x513943d7c6797bda)},  {64, 33, UINT64_C(0x8e7603e472c7f6ee)},
        {64, 64, UINT64_C(0xef6e675d05fe7a00)},
    };
    static uint8_t packed[128 * 64];
    static uint64_t out64[1024];
    for (size_t k = 0; k < sizeof vec / sizeof vec[0]; k++) {
        size_t nb = gnv__fl_packed_bytes(vec[k].w);
        for (size_t i = 0; i < nb; i++)
            packed[i] = (uint8_t)((i * 131 + 7) & 255);
        assert_int_equal(gnv__fl_unpack(out64, packed, nb, vec[k].t, vec[k].w), GNV_OK);
        uint64_t h = 0;
        for (int i = 0; i < 1024; i++)
            h = h * UINT64_C(1099511628211) + load(out64, i, vec[k].t) + (uint64_t)i;
        assert_int_equal(h, vec[k].hash);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    static uint8_t packed[128 * 64];
    static uint64_t out64[1024];
    assert_int_equal(gnv__fl_unpack(out64, packed, 128 * 5 - 1, 32, 5), GNV_ECORRUPT);
    assert_int_equal(gnv__fl_unpack(out64, packed, sizeof packed, 32, 33), GNV_ECORRUPT);
    assert_int_equal(gnv__fl_unpack(out64, packed, sizeof packed, 32, -1), GNV_ECORRUPT);
    assert_int_equal(gnv__fl_unpack(out64, packed, sizeof packed, 24, 3), GNV_EINVAL);
    assert_int_equal(gnv__fl_unpack(out64, packed, 0, 16, 0), GNV_OK);
    for (int i = 0; i < 1024; i++)
        assert_int_equal(((uint16_t *)out64)[i], 0);
}

/* Packs n values of t bits to width w the way OutOfLineBitpacking does; returns the size. */
static size_t
ref_pack_out_of_line(uint8_t *dst, const uint64_t *vals, size_t n, int t, int w, int raw_tail)
{
    static uint64_t block[1024];
    size_t pos = 0, i = 0;
    for (; i + 1024 <= n; i += 1024) {
        ref_pack(dst + pos, vals + i, t, w);
        pos += gnv__fl_packed_bytes(w);
    }
    if (i == n)
        return pos;
    if (raw_tail) {
        for (; i < n; i++)
            for (int b = 0; b < t / 8; b++)
                dst[pos++] = (uint8_t)(vals[i] >> (8 * b));
        return pos;
    }
    memset(block, 0, sizeof block);
    memcpy(block, vals + i, (n - i) * sizeof *vals);
    ref_pack(dst + pos, block, t, w);
    return pos + gnv__fl_packed_bytes(w);
}

static void test_out_of_line(void **state)
{
    (void)state;
    static uint64_t vals[3000], out64[3000];
    static uint8_t packed[3000 * 8 + 128 * 64];
    static const size_t counts[] = {0, 1, 5, 1023, 1024, 1025, 2048, 2100, 3000};
    for (int t = 8; t <= 64; t *= 2) {
        for (int w = 1; w < t; w += 3) {
            for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
                for (int raw = 0; raw < 2; raw++) {
                    size_t n = counts[ci], tail = n % 1024;
                    if (tail && tail * (size_t)(t / 8) == gnv__fl_packed_bytes(w))
                        continue; /* ambiguous; checked below */
                    for (size_t i = 0; i < n; i++)
                        vals[i] = rng() & mask_of(w);
                    size_t sz = ref_pack_out_of_line(packed, vals, n, t, w, raw);
                    memset(out64, 0xee, sizeof out64);
                    assert_int_equal(gnv__fl_unpack_out_of_line(out64, n, packed, sz, t, w),
                                     GNV_OK);
                    for (size_t i = 0; i < n; i++)
                        if (load(out64, (int)i, t) != vals[i])
                            fail_msg("T=%d w=%d n=%zu raw=%d index %zu", t, w, n, raw, i);
                    if (tail || n)
                        assert_int_equal(gnv__fl_unpack_out_of_line(out64, n, packed, sz + 1, t, w),
                                         GNV_ECORRUPT);
                }
            }
        }
    }
    /* 16-bit levels of width 1: a tail of 64 values is 128 bytes either way; it reads as raw
     * (the writer pads only when that is strictly smaller), as LanceDB's reader does. */
    for (int i = 0; i < 64; i++)
        gnv__lf_put16(packed + 2 * i, (uint16_t)(i & 1));
    assert_int_equal(gnv__fl_unpack_out_of_line(out64, 64, packed, 128, 16, 1), GNV_OK);
    for (int i = 0; i < 64; i++)
        assert_int_equal(((uint16_t *)out64)[i], i & 1);
    assert_int_equal(gnv__fl_unpack_out_of_line(out64, 1024, packed, 0, 16, 1), GNV_ECORRUPT);
    assert_int_equal(gnv__fl_unpack_out_of_line(out64, 10, packed, 0, 16, 1), GNV_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_all_widths),
        cmocka_unit_test(test_reference_vectors),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_out_of_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
