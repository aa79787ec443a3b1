/* util: errors, allocation hooks, buffers, hashing, base64, UTF-8, thread pool. */
#include "gnv_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

static void test_error_last(void **state)
{
    (void)state;
    gnv_error_clear();
    assert_null(gnv_error_last());
    int rc = gnv__error_set(GNV_EINVAL, GNV_SUB_ARROW, "bad %s at %d", "thing", 7);
    assert_int_equal(rc, GNV_EINVAL);
    const gnv_error *e = gnv_error_last();
    assert_non_null(e);
    assert_int_equal(e->code, GNV_EINVAL);
    assert_int_equal(e->subsystem, GNV_SUB_ARROW);
    assert_string_equal(e->message, "bad thing at 7");
    assert_int_equal(gnv__error_prefix("reading '%s'", "x.csv"), GNV_EINVAL);
    assert_string_equal(gnv_error_last()->message, "reading 'x.csv': bad thing at 7");
    gnv_error_clear();
    assert_null(gnv_error_last());
}

static void test_error_os(void **state)
{
    (void)state;
    assert_int_equal(gnv__error_os(GNV_SUB_IO, ENOENT, "cannot open '%s'", "f"), GNV_ENOTFOUND);
    assert_non_null(strstr(gnv_error_last()->message, "cannot open 'f': "));
    assert_int_equal(gnv__error_os(GNV_SUB_IO, EEXIST, "x"), GNV_EEXISTS);
    assert_int_equal(gnv__error_os(GNV_SUB_IO, EACCES, "x"), GNV_EIO);
}

static void test_strerror(void **state)
{
    (void)state;
    int codes[] = {GNV_OK,     GNV_ERROR,     GNV_ENOTFOUND, GNV_EEXISTS,   GNV_EINVAL,
                   GNV_ENOMEM, GNV_EIO,       GNV_ECORRUPT,  GNV_ECONFLICT, GNV_EVERSION,
                   GNV_EUDF,   GNV_ECANCELED, GNV_ENOTSUP,   GNV_ITEROVER};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_non_null(gnv_strerror(codes[i]));
        assert_string_not_equal(gnv_strerror(codes[i]), "unknown error");
    }
    assert_string_equal(gnv_strerror(12345), "unknown error");
    assert_string_equal(gnv_error_subsystem_name(GNV_SUB_ARROW), "arrow");
    assert_string_equal(gnv_error_subsystem_name(999), "unknown");
}

static void *thread_error(void *arg)
{
    (void)arg;
    /* a thread starts with no error and its errors do not leak to others */
    if (gnv_error_last() != NULL)
        return (void *)1;
    gnv__error_set(GNV_EIO, GNV_SUB_IO, "thread error");
    return NULL;
}

static void test_error_thread_local(void **state)
{
    (void)state;
    gnv__error_set(GNV_EINVAL, GNV_SUB_UTIL, "main error");
    pthread_t t;
    void *ret;
    assert_int_equal(pthread_create(&t, NULL, thread_error, NULL), 0);
    pthread_join(t, &ret);
    assert_null(ret);
    assert_string_equal(gnv_error_last()->message, "main error");
}

static void test_long_message_truncated(void **state)
{
    (void)state;
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gnv__error_set(GNV_EINVAL, GNV_SUB_UTIL, "%s", big);
    assert_true(strlen(gnv_error_last()->message) < 4096);
    gnv__error_prefix("ctx");
    assert_memory_equal(gnv_error_last()->message, "ctx: aaa", 8);
}

static size_t custom_allocs;
static void *c_malloc(size_t n, void *p)
{
    (void)p;
    custom_allocs++;
    return malloc(n);
}
static void *c_realloc(void *q, size_t n, void *p)
{
    (void)p;
    custom_allocs++;
    return realloc(q, n);
}
static void c_free(void *q, void *p)
{
    (void)p;
    free(q);
}

static void test_global_init_allocator(void **state)
{
    (void)state;
    gnv_allocator a = {c_malloc, c_realloc, c_free, NULL};
    gnv_global_options opts = GNV_GLOBAL_OPTIONS_INIT;
    opts.allocator = &a;
    GNV_ASSERT_OK(gnv_global_init(&opts));
    custom_allocs = 0;
    char *s = gnv__strdup("hello");
    assert_string_equal(s, "hello");
    gnv_free(s);
    assert_true(custom_allocs >= 1);
    GNV_ASSERT_OK(gnv_global_init(NULL));

    gnv_allocator bad = {c_malloc, NULL, c_free, NULL};
    opts.allocator = &bad;
    GNV_ASSERT_ERR(gnv_global_init(&opts), GNV_EINVAL, "allocator");
    gnv_global_options newer = {GNV_GLOBAL_OPTIONS_VERSION + 1, NULL};
    GNV_ASSERT_ERR(gnv_global_init(&newer), GNV_EVERSION, "newer");
}

static void test_alloc_fail_at(void **state)
{
    (void)state;
    gnv__alloc_fail_at(2, false);
    void *a = gnv__malloc(8);
    void *b = gnv__malloc(8);
    void *c = gnv__malloc(8);
    assert_int_equal(gnv__alloc_fail_at(0, false), 3);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    gnv__free(a);
    gnv__free(c);
    assert_null(gnv__reallocarray(NULL, SIZE_MAX / 2, 4));
    assert_null(gnv__calloc(SIZE_MAX / 2, 4));
}

static void test_buf(void **state)
{
    (void)state;
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__buf_puts(&b, "abc"));
    GNV_ASSERT_OK(gnv__buf_putc(&b, '-'));
    GNV_ASSERT_OK(gnv__buf_printf(&b, "%d/%s", 42, "x"));
    assert_string_equal(b.ptr, "abc-42/x");
    assert_int_equal(b.size, 8);
    GNV_ASSERT_OK(gnv__buf_put_zeros(&b, 3));
    assert_int_equal(b.size, 11);
    assert_int_equal(b.ptr[9], 0);
    gnv__buf_clear(&b);
    assert_int_equal(b.size, 0);
    for (int i = 0; i < 10000; i++)
        GNV_ASSERT_OK(gnv__buf_put(&b, "0123456789", 10));
    assert_int_equal(b.size, 100000);
    size_t n;
    char *p = gnv__buf_detach(&b, &n);
    assert_int_equal(n, 100000);
    assert_null(b.ptr);
    gnv_free(p);
    gnv_buf_dispose(&b);
    gnv_buf_dispose(NULL);
}

static int buf_body(void *arg)
{
    (void)arg;
    gnv_buf b = GNV_BUF_INIT;
    int rc = GNV_OK;
    for (int i = 0; i < 100 && rc == GNV_OK; i++)
        rc = gnv__buf_printf(&b, "line %d\n", i);
    gnv_buf_dispose(&b);
    return rc;
}

static void test_buf_faultsim(void **state)
{
    (void)state;
    assert_true(gnv_test_faultsim(buf_body, NULL) > 1);
}

static void test_hashes(void **state)
{
    (void)state;
    uint8_t d[32];
    char hex[65];
    GNV_ASSERT_OK(gnv__sha256(d, "abc", 3));
    gnv__hex(hex, d, 32);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(gnv__xxh64("", 0, 0), 0xEF46DB3751D8E999ULL);
    assert_int_equal(gnv__xxh3("", 0), 0x2D06800538D394C2ULL);

    char *dir = gnv_test_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/f", dir);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 100000; i++)
        fputs("abc", f);
    fclose(f);
    uint8_t d2[32];
    GNV_ASSERT_OK(gnv__sha256_file(d2, path));
    gnv_buf all = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__read_file(&all, path, GNV_SUB_UTIL));
    assert_int_equal(all.size, 300000);
    GNV_ASSERT_OK(gnv__sha256(d, all.ptr, all.size));
    assert_memory_equal(d, d2, 32);
    gnv_buf_dispose(&all);
    snprintf(path, sizeof path, "%s/missing", dir);
    GNV_ASSERT_ERR(gnv__sha256_file(d2, path), GNV_ENOTFOUND, "missing");
    GNV_ASSERT_ERR(gnv__read_file(&all, path, GNV_SUB_UTIL), GNV_ENOTFOUND, "missing");
    gnv_test_rmdir(dir);
}

static void test_base64(void **state)
{
    (void)state;
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        gnv_buf b = GNV_BUF_INIT;
        GNV_ASSERT_OK(gnv__base64_encode(&b, (const uint8_t *)in[i], strlen(in[i])));
        assert_string_equal(b.ptr ? b.ptr : "", want[i]);
        gnv_buf_dispose(&b);
    }
}

static void test_utf8(void **state)
{
    (void)state;
    const char *ok = "plain ascii text, then caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 end";
    assert_int_equal(gnv__utf8_invalid_at((const uint8_t *)ok, strlen(ok)), -1);
    struct {
        const char *s;
        int64_t at;
    } bad[] = {
        {"abc\xff", 3},          {"abcdefghij\xc3", 10},  {"\xc0\x80", 0},
        {"ab\xed\xa0\x80", 2},   {"\xf4\x90\x80\x80", 0}, {"x\xe2\x28\xa1", 1},
        {"\xf0\x82\x82\xac", 0}, {"12345678\x80", 8},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(gnv__utf8_invalid_at((const uint8_t *)bad[i].s, strlen(bad[i].s)),
                         bad[i].at);
}

static _Atomic int pool_sum;
static void add_task(void *arg)
{
    atomic_fetch_add(&pool_sum, (int)(intptr_t)arg);
}

static void test_pool(void **state)
{
    (void)state;
    gnv_pool *pool;
    GNV_ASSERT_OK(gnv__pool_new(&pool, 3));
    assert_int_equal(gnv__pool_size(pool), 3);
    atomic_store(&pool_sum, 0);
    for (int i = 1; i <= 1000; i++)
        GNV_ASSERT_OK(gnv__pool_submit(pool, add_task, (void *)(intptr_t)i));
    gnv__pool_wait(pool);
    assert_int_equal(atomic_load(&pool_sum), 500500);
    for (int i = 1; i <= 10; i++)
        GNV_ASSERT_OK(gnv__pool_submit(pool, add_task, (void *)(intptr_t)i));
    gnv__pool_free(pool); /* waits for queued work */
    assert_int_equal(atomic_load(&pool_sum), 500555);
    gnv__pool_free(NULL);
    GNV_ASSERT_OK(gnv__pool_new(&pool, 0));
    assert_int_equal(gnv__pool_size(pool), gnv__ncpus());
    gnv__pool_free(pool);
}

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(gnv_version(), GNV_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_last),
        cmocka_unit_test(test_error_os),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_error_thread_local),
        cmocka_unit_test(test_long_message_truncated),
        cmocka_unit_test(test_global_init_allocator),
        cmocka_unit_test(test_alloc_fail_at),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_buf_faultsim),
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
