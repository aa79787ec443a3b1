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
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

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

int gnv_udf_plugin_init(const gnv_host_api *host, gnv_udf_registry *reg)
{
    static const gnv_udf_field id[] = {{"id", "l", 0, NULL}};
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
    return rc ? rc : reg->register_function(reg, &f);
}
