/* The udf module: loading plugins, the demo plugin's functions, errors from bad plugins
 * and bad outputs, state, threads, and the content-addressed store. The plugins are
 * built by CMake into $GNV_BUILD_DIR (examples/udfs, tests/udf_plugins). */
#include "gnv_test.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "arrow/arrow.h"
#include "geneva/sys/io.h"
#include "geneva/udf.h"

static const char *plugin(const char *rel)
{
    static char path[4][1024];
    static int next;
    const char *base = getenv("GNV_BUILD_DIR");
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", base ? base : "build", rel);
    return p;
}

#define DEMO    plugin("examples/udfs/libdemo_udfs.so")
#define BAD     plugin("tests/udf_plugins/libbad_udfs.so")
#define NEWER   plugin("tests/udf_plugins/libnewer_abi.so")
#define NOENTRY plugin("tests/udf_plugins/libno_entry.so")

/* ---- batches ------------------------------------------------------------- */

typedef struct batch {
    struct ArrowSchema schema;
    struct ArrowArray array;
} batch;

static void batch_init(batch *b, const char *type)
{
    GNV_ASSERT_OK(gnv__type_from_string(&b->schema, type, "batch"));
    GNV_ASSERT_OK(gnv__array_init(&b->array, &b->schema));
}

static void batch_row_done(batch *b)
{
    GNV_ASSERT_OK(gnv__array_finish_element(&b->array));
}

static void batch_finish(batch *b)
{
    GNV_ASSERT_OK(gnv__array_finish(&b->array));
}

static void batch_free(batch *b)
{
    gnv__array_release(&b->array);
    gnv__schema_release(&b->schema);
}

/* A one-column utf8 batch; NULL entries are nulls. */
static void batch_text(batch *b, const char *const *vals, int n)
{
    batch_init(b, "struct<text: utf8>");
    for (int i = 0; i < n; i++) {
        if (vals[i])
            GNV_ASSERT_OK(gnv__array_append_bytes(b->array.children[0], vals[i], strlen(vals[i])));
        else
            GNV_ASSERT_OK(gnv__array_append_null(b->array.children[0], 1));
        batch_row_done(b);
    }
    batch_finish(b);
}

/* A one-column int64 batch; rows equal to `null_marker` are nulls. */
#define NO_NULL INT64_MIN
static void batch_ids(batch *b, const int64_t *vals, int n, int64_t null_marker)
{
    batch_init(b, "struct<id: int64>");
    for (int i = 0; i < n; i++) {
        if (vals[i] == null_marker)
            GNV_ASSERT_OK(gnv__array_append_null(b->array.children[0], 1));
        else
            GNV_ASSERT_OK(gnv__array_append_int(b->array.children[0], vals[i]));
        batch_row_done(b);
    }
    batch_finish(b);
}

static const gnv_udf_function *find(const gnv_udf_library *lib, const char *name)
{
    const gnv_udf_function *fn = NULL;
    GNV_ASSERT_OK(gnv_udf_library_find(&fn, lib, name));
    return fn;
}

/* Call and view the output (caller resets the view and releases the array). */
static void
call_ok(struct ArrowArray *out, gnv_array_view *view, const gnv_udf_function *fn, const batch *b)
{
    GNV_ASSERT_OK(gnv_udf_call(out, fn, &b->schema, &b->array));
    assert_int_equal(out->length, b->array.length);
    GNV_ASSERT_OK(gnv__array_view_init(view, gnv_udf_function_output(fn), out));
}

static char *type_text(const struct ArrowSchema *s)
{
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__type_to_string(&b, s));
    return b.ptr;
}

/* ---- loading ------------------------------------------------------------- */

static void t_open_lists_functions(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    assert_int_equal(gnv_udf_library_count(lib), 7);
    const char *names[] = {"text_len",    "hash_embed",  "slow_double", "fail_on_7",
                           "crash_on_13", "split_words", "label_index"};
    const int kinds[] = {GNV_UDF_ROW, GNV_UDF_ARRAY, GNV_UDF_ARRAY,       GNV_UDF_ROW,
                         GNV_UDF_ROW, GNV_UDF_ROW,   GNV_UDF_RECORD_BATCH};
    const char *outputs[] = {"int32", "fixed_size_list<float32, 8>",       "float64", "int64",
                             "int64", "struct<first: utf8, count: int32>", "int32"};
    for (int i = 0; i < 7; i++) {
        const gnv_udf_function *fn = gnv_udf_library_get(lib, i);
        assert_non_null(fn);
        assert_string_equal(gnv_udf_function_name(fn), names[i]);
        assert_int_equal(gnv_udf_function_kind(fn), kinds[i]);
        assert_true(gnv_udf_function_flags(fn) & GNV_UDF_DETERMINISTIC);
        assert_int_equal(gnv_udf_function_param_count(fn), 1);
        char *t = type_text(gnv_udf_function_output(fn));
        assert_string_equal(t, outputs[i]);
        gnv__free(t);
    }
    assert_null(gnv_udf_library_get(lib, 7));
    assert_null(gnv_udf_library_get(lib, -1));

    const gnv_udf_function *fn = find(lib, "split_words");
    assert_string_equal(gnv_udf_function_param(fn, 0)->name, "text");
    assert_string_equal(gnv_udf_function_param(fn, 0)->format, "u");
    assert_null(gnv_udf_function_param(fn, 1));
    assert_string_equal(gnv_udf_function_output(fn)->name, "split_words");
    /* declared versions, and versions derived from the sha256 and the name */
    assert_string_equal(gnv_udf_function_version(find(lib, "text_len")), "1.0");
    assert_string_equal(gnv_udf_function_version(find(lib, "label_index")), "2");
    const char *v1 = gnv_udf_function_version(find(lib, "hash_embed"));
    const char *v2 = gnv_udf_function_version(find(lib, "fail_on_7"));
    assert_int_equal(strlen(v1), 16);
    assert_string_not_equal(v1, v2);
    /* resources */
    assert_true(gnv_udf_function_num_cpus(find(lib, "slow_double")) == 0.5);
    assert_true(gnv_udf_function_num_cpus(find(lib, "text_len")) == 1);
    assert_int_equal(gnv_udf_function_memory(find(lib, "hash_embed")), 64 << 20);
    /* the library's sha256 */
    uint8_t d[32];
    char hex[65];
    GNV_ASSERT_OK(gnv__sha256_file(d, DEMO));
    gnv__hex(hex, d, 32);
    assert_string_equal(gnv_udf_library_sha256(lib), hex);
    assert_string_equal(gnv_udf_library_path(lib), DEMO);

    GNV_ASSERT_ERR(gnv_udf_library_find(&fn, lib, "nope"), GNV_ENOTFOUND, "no function 'nope'");
    assert_null(fn);
    gnv_udf_library_close(lib);
    gnv_udf_library_close(NULL);
}

static void t_describe(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    char *text = NULL;
    GNV_ASSERT_OK(gnv_udf_function_describe(&text, find(lib, "split_words")));
    char want[1024];
    snprintf(want, sizeof want,
             "{\"name\":\"split_words\",\"version\":\"%s\",\"library_sha256\":\"%s\","
             "\"kind\":\"row\",\"params\":[{\"name\":\"text\",\"type\":\"utf8\"}],"
             "\"output\":\"struct<first: utf8, count: int32>\",\"deterministic\":true,"
             "\"serial\":false,\"null_skip\":false,\"num_cpus\":1.0,\"memory\":0}",
             gnv_udf_function_version(find(lib, "split_words")), gnv_udf_library_sha256(lib));
    assert_string_equal(text, want);
    gnv_free(text);
    GNV_ASSERT_OK(gnv_udf_function_describe(&text, find(lib, "hash_embed")));
    assert_non_null(strstr(text, "\"output\":\"fixed_size_list<float32, 8>\""));
    assert_non_null(strstr(text, "\"kind\":\"array\""));
    assert_non_null(strstr(text, "\"memory\":67108864"));
    gnv_free(text);
    gnv_udf_library_close(lib);
}

static int body_describe(void *arg)
{
    char *text = NULL;
    int rc = gnv_udf_function_describe(&text, arg);
    gnv_free(text);
    return rc;
}

/* The same derived version on every load: it depends on the bytes and the name only. */
static void t_derived_version_stable(void **state)
{
    (void)state;
    gnv_udf_library *a = NULL, *b = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&a, DEMO));
    GNV_ASSERT_OK(gnv_udf_library_open(&b, DEMO));
    assert_string_equal(gnv_udf_function_version(find(a, "hash_embed")),
                        gnv_udf_function_version(find(b, "hash_embed")));
    gnv_udf_library_close(a);
    gnv_udf_library_close(b);
}

static void t_open_errors(void **state)
{
    (void)state;
    gnv_udf_library *lib = (gnv_udf_library *)1;
    GNV_ASSERT_ERR(gnv_udf_library_open(&lib, "/nonexistent/libx.so"), GNV_ENOTFOUND,
                   "/nonexistent/libx.so");
    assert_null(lib);
    GNV_ASSERT_ERR(gnv_udf_library_open(&lib, NOENTRY), GNV_EINVAL,
                   "does not export gnv_udf_plugin_init");
    assert_non_null(strstr(gnv_error_last()->message, "libno_entry.so"));
    GNV_ASSERT_ERR(gnv_udf_library_open(&lib, NEWER), GNV_EVERSION, "libnewer_abi.so");
    assert_non_null(strstr(gnv_error_last()->message, "future_fn"));
    assert_non_null(strstr(gnv_error_last()->message, "version 2"));
    assert_non_null(strstr(gnv_error_last()->message, "up to version 1"));
    assert_null(lib);

    /* not a shared object */
    char *dir = gnv_test_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/fake.so", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not an ELF file\n", f);
    fclose(f);
    GNV_ASSERT_ERR(gnv_udf_library_open(&lib, path), GNV_EINVAL, "cannot load UDF library");
    GNV_ASSERT_ERR(gnv_udf_library_open(&lib, dir), GNV_EINVAL, "not a regular file");
    gnv_test_rmdir(dir);
}

/* A bare file name is a path in the current directory, not a library search. */
static void t_open_relative(void **state)
{
    (void)state;
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", DEMO);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(chdir(dir), 0);
    gnv_udf_library *lib = NULL;
    int rc = gnv_udf_library_open(&lib, "libdemo_udfs.so");
    assert_int_equal(chdir(cwd), 0);
    GNV_ASSERT_OK(rc);
    assert_int_equal(gnv_udf_library_count(lib), 7);
    gnv_udf_library_close(lib);
}

static void t_bad_definitions(void **state)
{
    (void)state;
    struct {
        const char *bad;
        int code;
        const char *needle;
    } cases[] = {
        {"unknown_type", GNV_EINVAL, "function 'bad': parameter 'id': unknown type 'q?'"},
        {"no_call", GNV_EINVAL, "function 'bad': row kind without call_row"},
        {"struct_no_children", GNV_EINVAL, "function 'bad': output: struct type '+s' without"},
        {"list_two_children", GNV_EINVAL, "needs exactly one child"},
        {"row_list_param", GNV_EINVAL, "row kind takes scalar parameters only"},
        {"bad_name", GNV_EINVAL, "'has space': invalid name"},
        {"no_output", GNV_EINVAL, "function 'bad': no output type"},
        {"small_size", GNV_EINVAL, "definition size 16"},
        {"dup", GNV_EINVAL, "function 'bad' is registered twice"},
        {"init_fails", GNV_EUDF, "gnv_udf_plugin_init: init refused: no licence"},
        {"none", GNV_EINVAL, "registers no function"},
    };
    for (size_t i = 0; i < GNV_ARRAY_SIZE(cases); i++) {
        gnv_udf_library *lib = NULL;
        setenv("GNV_TEST_BAD", cases[i].bad, 1);
        GNV_ASSERT_ERR(gnv_udf_library_open(&lib, BAD), cases[i].code, cases[i].needle);
        assert_non_null(strstr(gnv_error_last()->message, "libbad_udfs.so"));
        assert_null(lib);
    }
    unsetenv("GNV_TEST_BAD");
}

/* ---- the demo functions -------------------------------------------------- */

static void t_text_len(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    const char *vals[] = {"h\xc3\xa9llo", "", NULL, "abc"};
    batch b;
    batch_text(&b, vals, 4);
    struct ArrowArray out;
    gnv_array_view v;
    call_ok(&out, &v, find(lib, "text_len"), &b);
    assert_int_equal(gnv__view_get_int(&v, 0), 5);
    assert_int_equal(gnv__view_get_int(&v, 1), 0);
    assert_true(gnv__view_is_null(&v, 2));
    assert_int_equal(gnv__view_get_int(&v, 3), 3);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

/* A batch with an offset: the function sees only the batch's rows. */
static void t_batch_offset(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    const char *vals[] = {"a", "bb", "ccc", "dddd", "eeeee"};
    batch b;
    batch_text(&b, vals, 5);
    struct ArrowArray slice;
    GNV_ASSERT_OK(gnv__array_slice(&slice, &b.array, 2, 3));
    const char *fns[] = {"text_len", "label_index"};
    for (int k = 0; k < 2; k++) {
        struct ArrowArray out;
        GNV_ASSERT_OK(gnv_udf_call(&out, find(lib, fns[k]), &b.schema, &slice));
        assert_int_equal(out.length, 3);
        gnv_array_view v;
        GNV_ASSERT_OK(gnv__array_view_init(&v, gnv_udf_function_output(find(lib, fns[k])), &out));
        if (k == 0)
            for (int i = 0; i < 3; i++)
                assert_int_equal(gnv__view_get_int(&v, i), 3 + i);
        else
            for (int i = 0; i < 3; i++)
                assert_true(gnv__view_is_null(&v, i));
        gnv__array_view_reset(&v);
        gnv__array_release(&out);
    }
    gnv__array_release(&slice);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

static void t_hash_embed(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    const char *vals[] = {"a cat", NULL, "a dog", "a cat"};
    batch b;
    batch_text(&b, vals, 4);
    struct ArrowArray out;
    gnv_array_view v;
    call_ok(&out, &v, find(lib, "hash_embed"), &b);
    assert_true(gnv__view_is_null(&v, 1));
    double vec[4][8];
    for (int r = 0; r < 4; r++) {
        if (r == 1)
            continue;
        int64_t s, e;
        gnv__view_list_range(&v, r, &s, &e);
        assert_int_equal(e - s, 8);
        double norm = 0;
        for (int d = 0; d < 8; d++) {
            vec[r][d] = gnv__view_get_double(&v.children[0], s + d);
            norm += vec[r][d] * vec[r][d];
        }
        assert_true(fabs(norm - 1) < 1e-5);
    }
    assert_memory_equal(vec[0], vec[3], sizeof vec[0]); /* deterministic */
    assert_memory_not_equal(vec[0], vec[2], sizeof vec[0]);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

static void t_slow_double(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    batch b;
    batch_init(&b, "struct<x: float64>");
    double xs[] = {1.5, 0, -2, 4, 8};
    for (int i = 0; i < 5; i++) {
        if (i == 1)
            GNV_ASSERT_OK(gnv__array_append_null(b.array.children[0], 1));
        else
            GNV_ASSERT_OK(gnv__array_append_double(b.array.children[0], xs[i]));
        batch_row_done(&b);
    }
    batch_finish(&b);
    setenv("GENEVA_DEMO_SLEEP_US", "2000", 1);
    double t0 = gnv__now();
    struct ArrowArray out;
    gnv_array_view v;
    call_ok(&out, &v, find(lib, "slow_double"), &b);
    double took = gnv__now() - t0;
    unsetenv("GENEVA_DEMO_SLEEP_US");
    assert_true(took >= 0.009); /* 5 rows x 2 ms */
    /* the output outlives the library; its release callback is the plugin's */
    gnv_udf_library_close(lib);
    assert_true(gnv__view_get_double(&v, 0) == 3);
    assert_true(gnv__view_is_null(&v, 1));
    assert_true(gnv__view_get_double(&v, 2) == -4);
    assert_true(gnv__view_get_double(&v, 4) == 16);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);
}

static void t_fail_on_7(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    const gnv_udf_function *fn = find(lib, "fail_on_7");
    int64_t ok_ids[] = {1, 2, -3, 10};
    batch b;
    batch_ids(&b, ok_ids, 4, NO_NULL);
    struct ArrowArray out;
    gnv_array_view v;
    call_ok(&out, &v, fn, &b);
    assert_int_equal(gnv__view_get_int(&v, 0), 2);
    assert_int_equal(gnv__view_get_int(&v, 2), -6);
    assert_int_equal(gnv__view_get_int(&v, 3), 20);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);

    int64_t bad_ids[] = {5, 17, 3};
    batch_ids(&b, bad_ids, 3, NO_NULL);
    memset(&out, 0, sizeof out);
    GNV_ASSERT_ERR(gnv_udf_call(&out, fn, &b.schema, &b.array), GNV_EUDF,
                   "function 'fail_on_7' failed at row 1: fail_on_7: id 17 ends in 7");
    assert_int_equal(gnv_error_last()->subsystem, GNV_SUB_UDF);
    assert_null(out.release);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

static void t_split_words(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    const char *vals[] = {"hello big world", "  one ", "", NULL};
    batch b;
    batch_text(&b, vals, 4);
    struct ArrowArray out;
    gnv_array_view v;
    call_ok(&out, &v, find(lib, "split_words"), &b);
    assert_int_equal(v.n_children, 2);
    const gnv_array_view *first = &v.children[0], *count = &v.children[1];
    int64_t n;
    const uint8_t *s = gnv__view_get_bytes(first, 0, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(s, "hello", 5);
    s = gnv__view_get_bytes(first, 1, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "one", 3);
    assert_true(gnv__view_is_null(first, 2));
    assert_true(gnv__view_is_null(first, 3));
    assert_int_equal(gnv__view_get_int(count, 0), 3);
    assert_int_equal(gnv__view_get_int(count, 1), 1);
    assert_int_equal(gnv__view_get_int(count, 2), 0);
    assert_true(gnv__view_is_null(count, 3));
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

static void t_label_index_state(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    char log[600];
    snprintf(log, sizeof log, "%s/setups.log", dir);
    setenv("GENEVA_DEMO_SETUP_LOG", log, 1);

    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    assert_int_equal(gnv_test_count_lines(log, "setup"), 0); /* set up lazily, at the first call */
    const char *vals[] = {"dog", "cow", NULL, "fish"};
    batch b;
    batch_text(&b, vals, 4);
    for (int round = 0; round < 3; round++) {
        struct ArrowArray out;
        gnv_array_view v;
        call_ok(&out, &v, find(lib, "label_index"), &b);
        assert_int_equal(gnv__view_get_int(&v, 0), 1);
        assert_true(gnv__view_is_null(&v, 1));
        assert_true(gnv__view_is_null(&v, 2));
        assert_int_equal(gnv__view_get_int(&v, 3), 3);
        gnv__array_view_reset(&v);
        gnv__array_release(&out);
    }
    assert_int_equal(gnv_test_count_lines(log, "setup"), 1);
    assert_int_equal(gnv_test_count_lines(log, "teardown"), 0);
    gnv_udf_library_close(lib);
    assert_int_equal(gnv_test_count_lines(log, "teardown"), 1);

    /* a library whose function is never called never sets it up */
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    gnv_udf_library_close(lib);
    assert_int_equal(gnv_test_count_lines(log, "setup"), 1);
    assert_int_equal(gnv_test_count_lines(log, "teardown"), 1);

    /* setup failure: GNV_EUDF with the plugin's message; teardown not called */
    setenv("GENEVA_DEMO_LABELS", "", 1);
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    struct ArrowArray out;
    GNV_ASSERT_ERR(gnv_udf_call(&out, find(lib, "label_index"), &b.schema, &b.array), GNV_EUDF,
                   "function 'label_index': setup: label_index: GENEVA_DEMO_LABELS is empty");
    gnv_udf_library_close(lib);
    unsetenv("GENEVA_DEMO_LABELS");
    assert_int_equal(gnv_test_count_lines(log, "teardown"), 1);

    unsetenv("GENEVA_DEMO_SETUP_LOG");
    batch_free(&b);
    gnv_test_rmdir(dir);
}

/* crash_on_13 abort()s: run it in a child and expect SIGABRT there. */
static void t_crash_on_13_in_child(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    const gnv_udf_function *fn = find(lib, "crash_on_13");
    int64_t ok_ids[] = {12, 113 - 100, 14};
    ok_ids[1] = 3;
    batch b;
    batch_ids(&b, ok_ids, 3, NO_NULL);
    struct ArrowArray out;
    gnv_array_view v;
    call_ok(&out, &v, fn, &b);
    assert_int_equal(gnv__view_get_int(&v, 0), 12);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);

    int64_t bad[] = {1, 113};
    batch_ids(&b, bad, 2, NO_NULL);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGABRT, SIG_DFL);
        gnv_udf_call(&out, fn, &b.schema, &b.array);
        _exit(0); /* not reached */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

/* ---- bad outputs and host behaviour (the test plugin) --------------------- */

static void t_bad_outputs(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, BAD));
    struct {
        const char *fn;
        const char *needle;
    } cases[] = {
        {"wrong_len", "function 'wrong_len' returned 2 rows for a batch of 3"},
        {"wrong_type", "function 'wrong_type' returned an invalid l array"},
        {"bad_buffers", "function 'bad_buffers'"},
        {"no_output", "function 'no_output' returned success but no array"},
        {"builder_misuse", "function 'builder_misuse' failed"},
        {"silent_fail", "function 'silent_fail' failed at row 0 failed (returned 3) without"},
        {"bad_utf8", "function 'bad_utf8' returned an invalid u array"},
        {"bad_bytes", "function 'bad_bytes' returned a bad value at row 0"},
        {"too_big", "function 'too_big' returned a bad value at row 0"},
        {"setup_fails", "function 'setup_fails': setup: cannot load the model"},
    };
    int64_t ids[] = {1, 2, 3};
    batch b;
    batch_ids(&b, ids, 3, NO_NULL);
    for (size_t i = 0; i < GNV_ARRAY_SIZE(cases); i++) {
        struct ArrowArray out;
        memset(&out, 0, sizeof out);
        GNV_ASSERT_ERR(gnv_udf_call(&out, find(lib, cases[i].fn), &b.schema, &b.array), GNV_EUDF,
                       cases[i].needle);
        assert_null(out.release);
    }
    batch_free(&b);
    gnv_udf_library_close(lib);
}

static void t_inputs_are_borrowed(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, BAD));
    int64_t ids[] = {4, 5, 6};
    batch b;
    batch_ids(&b, ids, 3, NO_NULL);
    struct ArrowArray out;
    gnv_array_view v;
    call_ok(&out, &v, find(lib, "releases_input"), &b);
    assert_int_equal(gnv__view_get_int(&v, 2), 6);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    /* the batch is intact: the plugin released a shallow copy */
    assert_non_null(b.array.children[0]->release);
    call_ok(&out, &v, find(lib, "releases_input"), &b);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

static void t_nulls_scratch_payload(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, BAD));
    int64_t ids[] = {1, -1, 3, -12};
    batch b;
    batch_ids(&b, ids, 4, -1);
    struct ArrowArray out;
    gnv_array_view v;

    call_ok(&out, &v, find(lib, "null_skip"), &b); /* never called with the null */
    assert_int_equal(gnv__view_get_int(&v, 0), 2);
    assert_true(gnv__view_is_null(&v, 1));
    assert_int_equal(gnv__view_get_int(&v, 3), -11);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);

    call_ok(&out, &v, find(lib, "null_seen"), &b); /* called with the null flag */
    assert_int_equal(gnv__view_get_int(&v, 0), 0);
    assert_int_equal(gnv__view_get_int(&v, 1), 1);
    assert_false(gnv__view_is_null(&v, 1));
    gnv__array_view_reset(&v);
    gnv__array_release(&out);

    call_ok(&out, &v, find(lib, "scratch_text"), &b);
    int64_t n;
    const uint8_t *s = gnv__view_get_bytes(&v, 3, &n);
    assert_int_equal(n, 6);
    assert_memory_equal(s, "id=-12", 6);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);

    /* record batch without parameters: the whole batch, and the payload */
    batch_init(&b, "struct<a: int64, b: utf8, c: float64>");
    for (int i = 0; i < 2; i++) {
        GNV_ASSERT_OK(gnv__array_append_int(b.array.children[0], i));
        GNV_ASSERT_OK(gnv__array_append_bytes(b.array.children[1], "x", 1));
        GNV_ASSERT_OK(gnv__array_append_double(b.array.children[2], i));
        batch_row_done(&b);
    }
    batch_finish(&b);
    const gnv_udf_function *all = find(lib, "all_columns");
    assert_int_equal(gnv_udf_function_param_count(all), 0);
    call_ok(&out, &v, all, &b);
    assert_int_equal(gnv__view_get_int(&v, 1), 3);
    gnv__array_view_reset(&v);
    gnv__array_release(&out);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

static void t_binding_errors(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    struct ArrowArray out;
    batch b;
    batch_init(&b, "struct<text: int32>");
    GNV_ASSERT_OK(gnv__array_append_int(b.array.children[0], 1));
    batch_row_done(&b);
    batch_finish(&b);
    GNV_ASSERT_ERR(gnv_udf_call(&out, find(lib, "text_len"), &b.schema, &b.array), GNV_EINVAL,
                   "function 'text_len': parameter 'text' is utf8, but column 0 ('text') is int32");
    batch_free(&b);

    batch_init(&b, "struct<a: utf8, b: utf8>");
    batch_finish(&b);
    GNV_ASSERT_ERR(gnv_udf_call(&out, find(lib, "text_len"), &b.schema, &b.array), GNV_EINVAL,
                   "takes 1 parameters, but the batch has 2 columns");
    GNV_ASSERT_ERR(
        gnv_udf_call(&out, find(lib, "text_len"), b.schema.children[0], b.array.children[0]),
        GNV_EINVAL, "must be a struct array");
    batch_free(&b);
    gnv_udf_library_close(lib);
}

/* An empty batch gives an empty output of every kind. */
static void t_empty_batch(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    batch b;
    batch_text(&b, NULL, 0);
    const char *fns[] = {"text_len", "hash_embed", "split_words", "label_index"};
    for (int i = 0; i < 4; i++) {
        struct ArrowArray out;
        GNV_ASSERT_OK(gnv_udf_call(&out, find(lib, fns[i]), &b.schema, &b.array));
        assert_int_equal(out.length, 0);
        gnv__array_release(&out);
    }
    batch_free(&b);
    gnv_udf_library_close(lib);
}

/* ---- threads ------------------------------------------------------------- */

typedef struct thread_arg {
    const gnv_udf_function *fn;
    const batch *b;
    int rc;
    char msg[256];
} thread_arg;

static void *call_thread(void *p)
{
    thread_arg *a = p;
    for (int i = 0; i < 5 && a->rc == GNV_OK; i++) {
        struct ArrowArray out;
        a->rc = gnv_udf_call(&out, a->fn, &a->b->schema, &a->b->array);
        if (a->rc == GNV_OK)
            gnv__array_release(&out);
        else
            snprintf(a->msg, sizeof a->msg, "%s", gnv_error_last()->message);
    }
    return NULL;
}

static void run_threads(const gnv_udf_function *fn, const batch *b)
{
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){fn, b, GNV_OK, ""};
        assert_int_equal(pthread_create(&th[i], NULL, call_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        if (args[i].rc != GNV_OK)
            fail_msg("thread %d: %s", i, args[i].msg);
    }
}

static void t_threads(void **state)
{
    (void)state;
    gnv_udf_library *lib = NULL, *demo = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, BAD));
    GNV_ASSERT_OK(gnv_udf_library_open(&demo, DEMO));
    int64_t ids[20];
    for (int i = 0; i < 20; i++)
        ids[i] = i;
    batch b;
    batch_ids(&b, ids, 20, NO_NULL);
    run_threads(find(lib, "serial"), &b); /* GNV_UDF_SERIAL: calls never overlap */

    /* a stateful function first called from several threads at once is set up once */
    char *dir = gnv_test_tmpdir();
    char log[600];
    snprintf(log, sizeof log, "%s/setups.log", dir);
    setenv("GENEVA_DEMO_SETUP_LOG", log, 1);
    const char *vals[] = {"cat", "dog"};
    batch t;
    batch_text(&t, vals, 2);
    run_threads(find(demo, "label_index"), &t);
    run_threads(find(demo, "hash_embed"), &t);
    assert_int_equal(gnv_test_count_lines(log, "setup"), 1);
    gnv_udf_library_close(demo);
    assert_int_equal(gnv_test_count_lines(log, "teardown"), 1);
    unsetenv("GENEVA_DEMO_SETUP_LOG");
    gnv_test_rmdir(dir);
    batch_free(&t);
    batch_free(&b);
    gnv_udf_library_close(lib);
}

/* ---- specs and the store ------------------------------------------------- */

static void t_spec_parse(void **state)
{
    (void)state;
    char *l = NULL, *f = NULL;
    GNV_ASSERT_OK(gnv_udf_spec_parse(&l, &f, "libdemo.so:text_len"));
    assert_string_equal(l, "libdemo.so");
    assert_string_equal(f, "text_len");
    gnv_free(l);
    gnv_free(f);
    GNV_ASSERT_OK(gnv_udf_spec_parse(&l, &f, "dir:with:colons/lib.so:fn"));
    assert_string_equal(l, "dir:with:colons/lib.so");
    assert_string_equal(f, "fn");
    gnv_free(l);
    gnv_free(f);
    GNV_ASSERT_ERR(gnv_udf_spec_parse(&l, &f, "libdemo.so"), GNV_EINVAL, "has no ':'");
    assert_null(l);
    GNV_ASSERT_ERR(gnv_udf_spec_parse(&l, &f, ":fn"), GNV_EINVAL, "no library");
    GNV_ASSERT_ERR(gnv_udf_spec_parse(&l, &f, "lib.so:"), GNV_EINVAL, "no function");
}

static void t_store(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io = NULL;
    gnv_udf_library *lib = NULL, *copy = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    char *rel = NULL;
    GNV_ASSERT_OK(gnv_udf_library_store(&rel, lib, io));
    char want[128];
    snprintf(want, sizeof want, "_geneva/udfs/%s.so", gnv_udf_library_sha256(lib));
    assert_string_equal(rel, want);
    char full[700];
    snprintf(full, sizeof full, "%s/%s", dir, rel);
    uint8_t d[32];
    char hex[65];
    GNV_ASSERT_OK(gnv__sha256_file(d, full));
    gnv__hex(hex, d, 32);
    assert_string_equal(hex, gnv_udf_library_sha256(lib));
    gnv_free(rel);

    /* again: nothing is written (a marker appended to the copy survives) */
    FILE *f = fopen(full, "a");
    assert_non_null(f);
    fputs("marker", f);
    fclose(f);
    struct stat st0, st1;
    assert_int_equal(stat(full, &st0), 0);
    GNV_ASSERT_OK(gnv_udf_library_store(NULL, lib, io));
    assert_int_equal(stat(full, &st1), 0);
    assert_int_equal(st0.st_size, st1.st_size);
    assert_int_equal(truncate(full, st0.st_size - 6), 0);

    /* the stored copy loads, with the same functions and versions */
    GNV_ASSERT_OK(gnv_udf_library_open(&copy, full));
    assert_int_equal(gnv_udf_library_count(copy), 7);
    assert_string_equal(gnv_udf_library_sha256(copy), gnv_udf_library_sha256(lib));
    assert_string_equal(gnv_udf_function_version(find(copy, "hash_embed")),
                        gnv_udf_function_version(find(lib, "hash_embed")));
    gnv_udf_library_close(copy);
    gnv_udf_library_close(lib);
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

/* A failing backend: the error comes back and nothing is left at the path. */
static void t_store_io_failure(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *inner = NULL, *io = NULL;
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_io_local_new(&inner, dir));
    GNV_ASSERT_OK(gnv_io_fault_new(&io, inner, GNV_IO_FAULT_EIO, 1));
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    char *rel = (char *)1;
    GNV_ASSERT_ERR(gnv_udf_library_store(&rel, lib, io), GNV_EIO, NULL);
    assert_null(rel);
    char full[700];
    snprintf(full, sizeof full, "%s/_geneva/udfs/%s.so", dir, gnv_udf_library_sha256(lib));
    assert_int_not_equal(access(full, F_OK), 0);
    gnv_io_free(io);
    /* a working backend stores it */
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    GNV_ASSERT_OK(gnv_udf_library_store(NULL, lib, io));
    assert_int_equal(access(full, F_OK), 0);
    gnv_io_free(io);
    gnv_udf_library_close(lib);
    gnv_test_rmdir(dir);
}

/* ---- allocation failures ------------------------------------------------- */

static int body_open(void *arg)
{
    (void)arg;
    gnv_udf_library *lib = NULL;
    int rc = gnv_udf_library_open(&lib, DEMO);
    gnv_udf_library_close(lib);
    return rc;
}

static int body_calls(void *arg)
{
    gnv_udf_library *lib = arg;
    const char *vals[] = {"one two", NULL, "three"};
    const char *fns[] = {"text_len", "split_words", "hash_embed", "label_index"};
    struct ArrowSchema s;
    struct ArrowArray a, out;
    int rc = GNV_OK;
    memset(&a, 0, sizeof a);
    GNV_TRY(gnv__type_from_string(&s, "struct<text: utf8>", "batch"));
    GNV_TRYG(gnv__array_init(&a, &s));
    for (int i = 0; i < 3; i++) {
        if (vals[i])
            GNV_TRYG(gnv__array_append_bytes(a.children[0], vals[i], strlen(vals[i])));
        else
            GNV_TRYG(gnv__array_append_null(a.children[0], 1));
        GNV_TRYG(gnv__array_finish_element(&a));
    }
    GNV_TRYG(gnv__array_finish(&a));
    for (int i = 0; i < 4; i++) {
        const gnv_udf_function *fn = NULL;
        GNV_TRYG(gnv_udf_library_find(&fn, lib, fns[i]));
        GNV_TRYG(gnv_udf_call(&out, fn, &s, &a));
        gnv__array_release(&out);
    }
done:
    gnv__array_release(&a);
    gnv__schema_release(&s);
    return rc;
}

static void t_faultsim(void **state)
{
    (void)state;
    assert_true(gnv_test_faultsim(body_open, NULL) > 1);
    gnv_udf_library *lib = NULL;
    GNV_ASSERT_OK(gnv_udf_library_open(&lib, DEMO));
    assert_true(gnv_test_faultsim(body_calls, lib) > 1);
    assert_true(gnv_test_faultsim(body_describe, (void *)find(lib, "label_index")) > 1);
    gnv_udf_library_close(lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_open_lists_functions),
        cmocka_unit_test(t_derived_version_stable),
        cmocka_unit_test(t_describe),
        cmocka_unit_test(t_open_errors),
        cmocka_unit_test(t_open_relative),
        cmocka_unit_test(t_bad_definitions),
        cmocka_unit_test(t_text_len),
        cmocka_unit_test(t_batch_offset),
        cmocka_unit_test(t_hash_embed),
        cmocka_unit_test(t_slow_double),
        cmocka_unit_test(t_fail_on_7),
        cmocka_unit_test(t_split_words),
        cmocka_unit_test(t_label_index_state),
        cmocka_unit_test(t_crash_on_13_in_child),
        cmocka_unit_test(t_bad_outputs),
        cmocka_unit_test(t_inputs_are_borrowed),
        cmocka_unit_test(t_nulls_scratch_payload),
        cmocka_unit_test(t_binding_errors),
        cmocka_unit_test(t_empty_batch),
        cmocka_unit_test(t_threads),
        cmocka_unit_test(t_spec_parse),
        cmocka_unit_test(t_store),
        cmocka_unit_test(t_store_io_failure),
        cmocka_unit_test(t_faultsim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
