/*
 * Lance's general buffer compression (format_compress.c): ZSTD with its u64 length prefix or as
 * a bare frame, LZ4 blocks with their u32 length prefix; lying lengths, truncated and trailing
 * data, and output limits fail cleanly with GNV_ECORRUPT and leave the output as it was.
 */
#include "gnv_test.h"

#include <lz4.h>
#include <zstd.h>

#include "format/format_compress.h"
#include "format/format_file.h"

#define N 20000

static uint8_t text[N];

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < N; i++) /* compressible, not trivial */
        text[i] = (uint8_t)("lance general compression "[i % 26] + (i / 997) % 3);
    return 0;
}

/* Lance's ZSTD form: u64 length, then a frame; returns its size. */
static size_t zstd_lance(uint8_t *out, size_t cap, const uint8_t *in, size_t n)
{
    gnv__lf_put64(out, n);
    size_t z = ZSTD_compress(out + 8, cap - 8, in, n, 3);
    assert_false(ZSTD_isError(z));
    return z + 8;
}

/* A frame written by a stream, without its content size in the header. */
static size_t zstd_stream(uint8_t *out, size_t cap, const uint8_t *in, size_t n)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_outBuffer ob = {out, cap, 0};
    ZSTD_inBuffer ib = {in, n, 0};
    size_t r;
    do
        r = ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
    while (r != 0 && !ZSTD_isError(r));
    assert_false(ZSTD_isError(r));
    ZSTD_freeCCtx(c);
    return ob.pos;
}

static size_t lz4_lance(uint8_t *out, size_t cap, const uint8_t *in, size_t n)
{
    gnv__lf_put32(out, (uint32_t)n);
    int z = LZ4_compress_default((const char *)in, (char *)out + 4, (int)n, (int)cap - 4);
    assert_true(z > 0);
    return (size_t)z + 4;
}

static void check_ok(int scheme, const uint8_t *c, size_t n, size_t want)
{
    gnv_buf out = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__buf_puts(&out, "head"));
    GNV_ASSERT_OK(gnv__lance_decompress(&out, scheme, c, n, N));
    assert_int_equal(out.size, 4 + want);
    assert_memory_equal(out.ptr + 4, text, want);
    gnv_buf_dispose(&out);
}

static void check_bad(int scheme, const uint8_t *c, size_t n, size_t max, const char *needle)
{
    gnv_buf out = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__buf_puts(&out, "head"));
    GNV_ASSERT_ERR(gnv__lance_decompress(&out, scheme, c, n, max), GNV_ECORRUPT, needle);
    assert_int_equal(out.size, 4);
    assert_string_equal(out.ptr, "head");
    gnv_buf_dispose(&out);
}

static void test_zstd(void **state)
{
    (void)state;
    static uint8_t c[N + 1024];
    size_t n = zstd_lance(c, sizeof c, text, N);
    check_ok(GNV_LANCE_ZSTD, c, n, N);
    /* lengths that lie, either way */
    gnv__lf_put64(c, N - 1);
    check_bad(GNV_LANCE_ZSTD, c, n, N, "more than");
    gnv__lf_put64(c, N + 1);
    check_bad(GNV_LANCE_ZSTD, c, n, N + 10, "its length prefix says 20001");
    gnv__lf_put64(c, (uint64_t)1 << 60);
    check_bad(GNV_LANCE_ZSTD, c, n, N, "claims");
    gnv__lf_put64(c, N);
    check_bad(GNV_LANCE_ZSTD, c, n, N - 1, "claims");
    check_bad(GNV_LANCE_ZSTD, c, n - 5, N, "truncated");
    c[n] = 0;
    check_bad(GNV_LANCE_ZSTD, c, n + 1, N, "follow a zstd frame");
    c[20] ^= 0x55;
    gnv_buf out = GNV_BUF_INIT;
    int rc = gnv__lance_decompress(&out, GNV_LANCE_ZSTD, c, n, N);
    assert_true(rc == GNV_ECORRUPT || (rc == GNV_OK && out.size == N)); /* never more */
    gnv_buf_dispose(&out);
}

static void test_zstd_bare(void **state)
{
    (void)state;
    static uint8_t c[N + 1024];
    size_t n = zstd_stream(c, sizeof c, text, N);
    check_ok(GNV_LANCE_ZSTD, c, n, N);
    check_bad(GNV_LANCE_ZSTD, c, n, N - 1, "more than");
    check_bad(GNV_LANCE_ZSTD, c, n / 2, N, NULL);
    /* a short input is taken as a bare frame too */
    check_bad(GNV_LANCE_ZSTD, (const uint8_t *)"abc", 3, N, NULL);
}

static void test_lz4(void **state)
{
    (void)state;
    static uint8_t c[N + 1024];
    size_t n = lz4_lance(c, sizeof c, text, N);
    check_ok(GNV_LANCE_LZ4, c, n, N);
    gnv__lf_put32(c, N - 1);
    check_bad(GNV_LANCE_LZ4, c, n, N, "does not decompress");
    gnv__lf_put32(c, N + 1);
    check_bad(GNV_LANCE_LZ4, c, n, N + 5, "does not decompress");
    gnv__lf_put32(c, 0xffffffffu);
    check_bad(GNV_LANCE_LZ4, c, n, (size_t)1 << 40, "claims");
    gnv__lf_put32(c, N);
    check_bad(GNV_LANCE_LZ4, c, n, N - 1, "claims");
    check_bad(GNV_LANCE_LZ4, c, n - 3, N, "does not decompress");
    check_bad(GNV_LANCE_LZ4, c, 3, N, "lacks its length prefix");
}

static void test_edges(void **state)
{
    (void)state;
    gnv_buf out = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__lance_decompress(&out, GNV_LANCE_ZSTD, NULL, 0, 0));
    GNV_ASSERT_OK(gnv__lance_decompress(&out, GNV_LANCE_LZ4, NULL, 0, 0));
    assert_int_equal(out.size, 0);
    GNV_ASSERT_ERR(gnv__lance_decompress(&out, 7, (const uint8_t *)"x", 1, 10), GNV_ENOTSUP,
                   "unsupported Lance encoding");
    /* an empty value compressed */
    uint8_t c[64];
    size_t n = zstd_lance(c, sizeof c, text, 0);
    GNV_ASSERT_OK(gnv__lance_decompress(&out, GNV_LANCE_ZSTD, c, n, 0));
    n = lz4_lance(c, sizeof c, text, 0);
    GNV_ASSERT_OK(gnv__lance_decompress(&out, GNV_LANCE_LZ4, c, n, 0));
    assert_int_equal(out.size, 0);
    gnv_buf_dispose(&out);
}

/* Random damage: a clean result within the limit or a clean error. */
static void test_random(void **state)
{
    (void)state;
    uint64_t seed = gnv_test_seed();
    static uint8_t z[N + 1024], l[N + 1024], c[N + 1024];
    size_t nz = zstd_lance(z, sizeof z, text, 3000), nl = lz4_lance(l, sizeof l, text, 3000);
    for (int k = 0; k < 2000; k++) {
        bool zs = k % 2;
        size_t n = zs ? nz : nl;
        memcpy(c, zs ? z : l, n);
        for (int j = 0; j < 1 + k % 3; j++)
            c[gnv_test_rand(&seed) % n] ^= (uint8_t)(1 + gnv_test_rand(&seed) % 255);
        size_t cut = k % 5 == 0 ? gnv_test_rand(&seed) % n : n;
        gnv_buf out = GNV_BUF_INIT;
        int rc = gnv__lance_decompress(&out, zs ? GNV_LANCE_ZSTD : GNV_LANCE_LZ4, c, cut, 4000);
        assert_true(rc == GNV_OK || rc == GNV_ECORRUPT);
        assert_true(out.size <= 4000);
        gnv_buf_dispose(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zstd),  cmocka_unit_test(test_zstd_bare), cmocka_unit_test(test_lz4),
        cmocka_unit_test(test_edges), cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
