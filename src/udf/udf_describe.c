/* A function's definition as JSON: what `geneva` prints for a library and what a
 * virtual column's `geneva.udf` metadata is built from. */
#include <jansson.h>
#include <string.h>

#include "udf.h"

static const char *kind_name(int kind)
{
    switch (kind) {
    case GNV_UDF_ROW:
        return "row";
    case GNV_UDF_ARRAY:
        return "array";
    case GNV_UDF_RECORD_BATCH:
        return "record_batch";
    default:
        return "unknown";
    }
}

/* Add key: the schema's type as text. */
static int put_type(json_t *obj, const char *key, const struct ArrowSchema *s)
{
    gnv_buf b = GNV_BUF_INIT;
    int rc = gnv__type_to_string(&b, s);
    if (rc == GNV_OK && json_object_set_new(obj, key, json_string(b.ptr ? b.ptr : "")) != 0)
        rc = gnv__error_oom();
    gnv_buf_dispose(&b);
    return rc;
}

int gnv_udf_function_describe(char **out, const gnv_udf_function *fn)
{
    int rc = GNV_OK;
    json_t *root = NULL, *params = NULL;
    char *text = NULL;

    if (out)
        *out = NULL;
    if (!out || !fn)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_UDF, "gnv_udf_function_describe: NULL argument");
    gnv__json_setup();
    root = json_pack("{s:s, s:s, s:s, s:s}", "name", fn->name, "version", fn->fn_version,
                     "library_sha256", fn->lib->sha256, "kind", kind_name(fn->kind));
    GNV_CHECK_ALLOC(root);
    params = json_array();
    GNV_CHECK_ALLOC(params);
    for (int64_t i = 0; i < fn->n_params; i++) {
        json_t *p = json_pack("{s:s}", "name", fn->params[i].name);
        GNV_CHECK_ALLOC(p);
        if (json_array_append_new(params, p) != 0)
            GNV_CHECK_ALLOC(NULL);
        GNV_TRYG(put_type(p, "type", &fn->params[i]));
    }
    if (json_object_set(root, "params", params) != 0)
        GNV_CHECK_ALLOC(NULL);
    GNV_TRYG(put_type(root, "output", &fn->output));
    json_t *rest = json_pack("{s:b, s:b, s:b, s:f, s:I}", "deterministic",
                             (fn->flags & GNV_UDF_DETERMINISTIC) != 0, "serial",
                             (fn->flags & GNV_UDF_SERIAL) != 0, "null_skip",
                             (fn->flags & GNV_UDF_NULL_SKIP) != 0, "num_cpus", fn->num_cpus,
                             "memory", (json_int_t)fn->memory);
    GNV_CHECK_ALLOC(rest);
    if (json_object_update(root, rest) != 0) {
        json_decref(rest);
        GNV_CHECK_ALLOC(NULL);
    }
    json_decref(rest);
    text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    GNV_CHECK_ALLOC(text);
    *out = text; /* gnv__json_setup routed jansson's allocator to ours: gnv_free frees it */
    text = NULL;
done:
    gnv__free(text);
    json_decref(params);
    json_decref(root);
    return rc;
}
