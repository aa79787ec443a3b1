/*
 * FSST decompression (format_fsst.c): symbol tables as Lance serializes them, escapes, the
 * "not compressed" switch, and damaged tables and strings, which must fail cleanly.
 */
#include "gnv_test.h"

#include "format/format_file.h"
#include "format/format_fsst.h"

/* A serialized table of the given symbols (on: compression switched on). */
static size_t make_table(uint8_t *out, const char *const *syms, int n, bool on)
{
    memset(out, 0, GNV_FSST_TABLE_BYTES);
    uint64_t h = (uint64_t)0x46535354 << 32 | (uint64_t)(on ? 1 : 0) << 24 | (uint64_t)n;
    gnv__lf_put64(out, h);
    for (int i = 0; i < n; i++) {
        size_t l = strlen(syms[i]);
        memcpy(out + 8 + 8 * (size_t)i, syms[i], l); /* first byte in the lowest byte */
        out[8 + 8 * (size_t)n + (size_t)i] = (uint8_t)l;
    }
    return GNV_FSST_TABLE_BYTES;
}

static const char *const syms[] = {"the ", "ab", "x", "12345678"};

static void decode_ok(const gnv_fsst_table *t, const uint8_t *in, size_t n, const char *want)
{
    gnv_buf out = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__buf_puts(&out, "<")); /* appends after what is there */
    GNV_ASSERT_OK(gnv__fsst_decode(&out, t, in, n));
    assert_int_equal(out.size, 1 + strlen(want));
    assert_memory_equal(out.ptr + 1, want, strlen(want));
    gnv_buf_dispose(&out);
}

static void test_decode(void **state)
{
    (void)state;
    uint8_t tb[GNV_FSST_TABLE_BYTES];
    gnv_fsst_table t;
    GNV_ASSERT_OK(gnv__fsst_table_parse(&t, tb, make_table(tb, syms, 4, true)));
    assert_true(t.on);
    assert_int_equal(t.n, 4);
    const uint8_t in[] = {0, 1, 255, 'Q', 2, 3, 0, 255, 255};
    decode_ok(&t, in, sizeof in, "the abQx12345678the \xff");
    decode_ok(&t, in, 0, "");
    /* a table serialized with only its n symbols (no padding to 2312 bytes) */
    GNV_ASSERT_OK(gnv__fsst_table_parse(&t, tb, 8 + 4 * 9));
    decode_ok(&t, in, 2, "the ab");
}

static void test_switched_off(void **state)
{
    (void)state;
    uint8_t tb[GNV_FSST_TABLE_BYTES];
    gnv_fsst_table t;
    GNV_ASSERT_OK(gnv__fsst_table_parse(&t, tb, make_table(tb, syms, 0, false)));
    assert_false(t.on);
    const uint8_t in[] = {'r', 'a', 'w', 255};
    decode_ok(&t, in, sizeof in, "raw\xff"); /* stored as it is, escapes included */
}

static void test_all_codes(void **state)
{
    (void)state;
    /* 255 symbols: codes 0..254 are symbols, 255 is still the escape */
    static const char *many[255];
    static char names[255][3];
    for (int i = 0; i < 255; i++) {
        snprintf(names[i], sizeof names[i], "%02x", i);
        many[i] = names[i];
    }
    uint8_t tb[GNV_FSST_TABLE_BYTES];
    gnv_fsst_table t;
    GNV_ASSERT_OK(gnv__fsst_table_parse(&t, tb, make_table(tb, many, 255, true)));
    const uint8_t in[] = {254, 0, 255, 7};
    decode_ok(&t, in, sizeof in, "fe00\x07");
}

static void test_bad_tables(void **state)
{
    (void)state;
    uint8_t tb[GNV_FSST_TABLE_BYTES];
    gnv_fsst_table t;
    make_table(tb, syms, 4, true);
    GNV_ASSERT_ERR(gnv__fsst_table_parse(&t, tb, 7), GNV_ECORRUPT, "shorter than its header");
    GNV_ASSERT_ERR(gnv__fsst_table_parse(&t, NULL, 0), GNV_ECORRUPT, "header");
    GNV_ASSERT_ERR(gnv__fsst_table_parse(&t, tb, 8 + 4 * 9 - 1), GNV_ECORRUPT,
                   "too short for 4 symbols");
    tb[4] ^= 1; /* the magic */
    GNV_ASSERT_ERR(gnv__fsst_table_parse(&t, tb, sizeof tb), GNV_ECORRUPT, "magic");
    make_table(tb, syms, 4, true);
    tb[8 + 32 + 2] = 0; /* symbol 2 of length 0 */
    GNV_ASSERT_ERR(gnv__fsst_table_parse(&t, tb, sizeof tb), GNV_ECORRUPT, "symbol 2 has length 0");
    tb[8 + 32 + 2] = 9;
    GNV_ASSERT_ERR(gnv__fsst_table_parse(&t, tb, sizeof tb), GNV_ECORRUPT, "symbol 2 has length 9");
}

static void test_bad_strings(void **state)
{
    (void)state;
    uint8_t tb[GNV_FSST_TABLE_BYTES];
    gnv_fsst_table t;
    GNV_ASSERT_OK(gnv__fsst_table_parse(&t, tb, make_table(tb, syms, 4, true)));
    gnv_buf out = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__buf_puts(&out, "kept"));
    const uint8_t code[] = {0, 4};
    GNV_ASSERT_ERR(gnv__fsst_decode(&out, &t, code, sizeof code), GNV_ECORRUPT,
                   "code 4 at byte 1 names no symbol");
    const uint8_t esc[] = {1, 255};
    GNV_ASSERT_ERR(gnv__fsst_decode(&out, &t, esc, sizeof esc), GNV_ECORRUPT,
                   "ends in an escape at byte 1");
    /* a failure leaves what was there */
    assert_int_equal(out.size, 4);
    assert_string_equal(out.ptr, "kept");
    gnv_buf_dispose(&out);
}

/* Every byte string over every small table: a clean result or a clean error, never more than
 * 8 output bytes per input byte. */
static void test_random(void **state)
{
    (void)state;
    uint64_t seed = gnv_test_seed();
    uint8_t tb[GNV_FSST_TABLE_BYTES], in[64];
    for (int k = 0; k < 3000; k++) {
        for (size_t i = 0; i < sizeof tb; i++)
            tb[i] = (uint8_t)gnv_test_rand(&seed);
        gnv__lf_put32(tb + 4, 0x46535354);
        tb[0] = (uint8_t)(gnv_test_rand(&seed) % 256);
        for (int i = 0; i < tb[0]; i++)
            tb[8 + 8 * tb[0] + i] = (uint8_t)(1 + gnv_test_rand(&seed) % 8);
        gnv_fsst_table t;
        if (gnv__fsst_table_parse(&t, tb, sizeof tb) != GNV_OK)
            continue;
        size_t n = gnv_test_rand(&seed) % sizeof in;
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)gnv_test_rand(&seed);
        gnv_buf out = GNV_BUF_INIT;
        int rc = gnv__fsst_decode(&out, &t, in, n);
        assert_true(rc == GNV_OK || rc == GNV_ECORRUPT);
        assert_true(out.size <= 8 * n);
        gnv_buf_dispose(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),      cmocka_unit_test(test_switched_off),
        cmocka_unit_test(test_all_codes),   cmocka_unit_test(test_bad_tables),
        cmocka_unit_test(test_bad_strings), cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
