/* A plugin built for a newer ABI than the host's: its definition claims version
 * GNV_UDF_ABI_VERSION + 1 and is larger than the host's gnv_udf_def. */
#include <geneva/sys/udf_abi.h>

typedef struct future_def {
    gnv_udf_def base;
    void *future_fields[4];
} future_def;

static int
twice(gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)n_args;
    out->v.i64 = 2 * args[0].v.i64;
    return 0;
}

int gnv_udf_plugin_init(const gnv_host_api *api, gnv_udf_registry *reg)
{
    static const gnv_udf_field x[] = {{"x", "l", 0, NULL}};
    future_def d = {GNV_UDF_DEF_INIT("future_fn", GNV_UDF_ROW), {0, 0, 0, 0}};
    (void)api;
    d.base.size = sizeof d;
    d.base.version = GNV_UDF_ABI_VERSION + 1;
    d.base.params = x;
    d.base.n_params = 1;
    d.base.output.format = "l";
    d.base.call_row = twice;
    return reg->register_function(reg, &d.base);
}
