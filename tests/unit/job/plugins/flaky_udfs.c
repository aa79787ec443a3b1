/*
 * flaky_udfs: a UDF plugin for the backfill tests, whose failures are set from the
 * environment so that a test can make a run fail and the next one succeed.
 *
 *   flaky_double(id: int64) -> int64   2 * id; with GNV_FLAKY_FAIL_ID=N it fails on
 *                                      id N, with GNV_FLAKY_CRASH_ID=N it abort()s on
 *                                      id N, and GNV_FLAKY_SLEEP_US sleeps per row.
 *   flaky_first(id: int64) -> int64    2 * id; its first GNV_FLAKY_FIRST_FAILS calls (per
 *                                      loaded copy, default 1) fail, returning
 *                                      GNV_FLAKY_RC (default 75: transient) with the
 *                                      message "flaky_first: transient failure <n>".
 *   counted_double(id: int64) -> int64 2 * id; each call appends a 16-byte record to the
 *                                      file GNV_COUNT_FILE names (O_APPEND: the count
 *                                      survives a SIGKILL), and GNV_FLAKY_SLEEP_US
 *                                      sleeps per row.
 *   id_parts(id: int64) -> struct<first: utf8, count: int32>
 *                                      ("even" or "odd", id): the output type of the
 *                                      demo plugin's split_words, to swap a group's UDF.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <geneva/sys/udf_abi.h>

static const gnv_host_api *api;

static int env_id(const char *name, int64_t *out)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return 0;
    *out = strtoll(s, NULL, 10);
    return 1;
}

static int flaky_double(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)state, (void)n_args;
    if (args[0].is_null) {
        out->is_null = 1;
        return 0;
    }
    int64_t id = args[0].v.i64, bad;
    if (env_id("GNV_FLAKY_SLEEP_US", &bad) && bad > 0) {
        struct timespec ts = {bad / 1000000, (bad % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    if (env_id("GNV_FLAKY_FAIL_ID", &bad) && id == bad) {
        api->set_error(ctx, "flaky_double: told to fail on id %lld", (long long)id);
        return 1;
    }
    if (env_id("GNV_FLAKY_CRASH_ID", &bad) && id == bad)
        abort();
    out->v.i64 = 2 * id;
    return 0;
}

static int64_t first_calls;

static int flaky_first(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)state, (void)n_args;
    int64_t fails = 1, code = 75;
    env_id("GNV_FLAKY_FIRST_FAILS", &fails);
    env_id("GNV_FLAKY_RC", &code);
    if (first_calls < fails) {
        first_calls++;
        api->set_error(ctx, "flaky_first: transient failure %lld", (long long)first_calls);
        return (int)code;
    }
    if (args[0].is_null) {
        out->is_null = 1;
        return 0;
    }
    out->v.i64 = 2 * args[0].v.i64;
    return 0;
}

static int counted_double(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)state, (void)n_args;
    int64_t us;
    const char *path = getenv("GNV_COUNT_FILE");
    if (path && *path) {
        char rec[17];
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        snprintf(rec, sizeof rec, "%15lld\n", args[0].is_null ? -1LL : (long long)args[0].v.i64);
        if (fd < 0 || write(fd, rec, 16) != 16) {
            if (fd >= 0)
                close(fd);
            api->set_error(ctx, "counted_double: cannot append to %s", path);
            return 1;
        }
        close(fd);
    }
    if (env_id("GNV_FLAKY_SLEEP_US", &us) && us > 0) {
        struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    if (args[0].is_null) {
        out->is_null = 1;
        return 0;
    }
    out->v.i64 = 2 * args[0].v.i64;
    return 0;
}

static int id_parts(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)n_args;
    if (args[0].is_null) {
        out[0].is_null = 1;
        out[1].is_null = 1;
        return 0;
    }
    const char *parity = args[0].v.i64 % 2 ? "odd" : "even"; /* static: outlives the call */
    out[0].v.bytes.data = parity;
    out[0].v.bytes.size = args[0].v.i64 % 2 ? 3 : 4;
    out[1].v.i64 = args[0].v.i64;
    return 0;
}

int gnv_udf_plugin_init(const gnv_host_api *host, gnv_udf_registry *reg)
{
    static const gnv_udf_field id[] = {{"id", "l", 0, NULL}};
    static const gnv_udf_field parts[] = {{"first", "u", 0, NULL}, {"count", "i", 0, NULL}};
    api = host;
    gnv_udf_def d = GNV_UDF_DEF_INIT("flaky_double", GNV_UDF_ROW);
    d.fn_version = "1";
    d.flags = GNV_UDF_DETERMINISTIC;
    d.params = id;
    d.n_params = 1;
    d.output.format = "l";
    d.call_row = flaky_double;
    int rc = reg->register_function(reg, &d);
    gnv_udf_def f = GNV_UDF_DEF_INIT("flaky_first", GNV_UDF_ROW);
    f.fn_version = "1";
    f.params = id;
    f.n_params = 1;
    f.output.format = "l";
    f.call_row = flaky_first;
    rc = rc ? rc : reg->register_function(reg, &f);
    gnv_udf_def c = GNV_UDF_DEF_INIT("counted_double", GNV_UDF_ROW);
    c.fn_version = "1";
    c.flags = GNV_UDF_DETERMINISTIC;
    c.params = id;
    c.n_params = 1;
    c.output.format = "l";
    c.call_row = counted_double;
    rc = rc ? rc : reg->register_function(reg, &c);
    gnv_udf_def p = GNV_UDF_DEF_INIT("id_parts", GNV_UDF_ROW);
    p.fn_version = "1";
    p.flags = GNV_UDF_DETERMINISTIC;
    p.params = id;
    p.n_params = 1;
    p.output.format = "+s";
    p.output.n_children = 2;
    p.output.children = parts;
    p.call_row = id_parts;
    return rc ? rc : reg->register_function(reg, &p);
}
