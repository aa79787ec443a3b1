/* The host side of the plugin ABI: the gnv_host_api table every plugin receives, call
 * contexts (error message, scratch memory) and the array builders plugins may use.
 *
 * Builders wrap the arrow module's owned arrays. A root builder owns its array; the
 * child builders mirror the array's children and point into it. Arrays that leave a
 * builder are ordinary owned arrays whose release callback lives in this library, so
 * they outlive the plugin. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "udf.h"

#define BUILDER_MAGIC 0x676e7662u /* "gnvb" */

struct gnv_udf_builder {
    uint32_t magic;
    bool is_root;
    gnv_udf_ctx *ctx;
    struct ArrowArray *array; /* &own for the root, a child of it otherwise */
    struct ArrowArray own;
    int64_t n_children;
    gnv_udf_builder *children;
};

/* Set when the host allocator failed a plugin's api->malloc/realloc on this thread since
 * the current context was made: a plugin failure that follows is then GNV_ENOMEM. Calls
 * into a plugin are synchronous, so the thread identifies the call. */
static _Thread_local bool plugin_oom;

/* ---- contexts ----------------------------------------------------------- */

void gnv__udf_ctx_init(gnv_udf_ctx *ctx, const gnv_udf_function *fn)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->fn = fn;
    plugin_oom = false;
}

static void ctx_free_scratch(gnv_udf_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_scratch; i++)
        gnv__free(ctx->scratch[i]);
    gnv__free(ctx->scratch);
    ctx->scratch = NULL;
    ctx->n_scratch = 0;
}

void gnv__udf_ctx_reset(gnv_udf_ctx *ctx)
{
    ctx_free_scratch(ctx);
    gnv_buf_dispose(&ctx->error);
    ctx->has_error = false;
    ctx->host_code = 0;
}

/* The return value of the last plugin failure on this thread (gnv__udf_take_rc). */
static _Thread_local int last_plugin_rc;

int gnv__udf_take_rc(void)
{
    int rc = last_plugin_rc;
    last_plugin_rc = 0;
    return rc;
}

int gnv__udf_ctx_error(gnv_udf_ctx *ctx, int plugin_rc, const char *what)
{
    last_plugin_rc = plugin_rc;
    int code = ctx->host_code == GNV_ENOMEM || plugin_oom ? GNV_ENOMEM : GNV_EUDF;
    plugin_oom = false;
    if (ctx->has_error && ctx->error.ptr)
        return gnv__error_set(code, GNV_SUB_UDF, "%s: %s", what, ctx->error.ptr);
    if (code == GNV_ENOMEM)
        return gnv__error_set(code, GNV_SUB_UDF, "%s: out of memory", what);
    return gnv__error_set(code, GNV_SUB_UDF, "%s failed (returned %d) without a message", what,
                          plugin_rc);
}

/* Record a message in the context (the last one wins). Out of memory leaves a fixed
 * message: the failure is still reported. */
static void ctx_vset(gnv_udf_ctx *ctx, const char *fmt, va_list ap)
{
    gnv__buf_clear(&ctx->error);
    ctx->has_error = true;
    if (gnv__buf_vprintf(&ctx->error, fmt, ap) < 0) {
        gnv__buf_clear(&ctx->error);
        ctx->host_code = GNV_ENOMEM;
        if (gnv__buf_puts(&ctx->error, "(out of memory formatting the message)") < 0)
            ctx->has_error = false;
    }
}

static void ctx_set_last(gnv_udf_ctx *ctx)
{
    const gnv_error *e = gnv_error_last();
    if (e && e->code == GNV_ENOMEM)
        ctx->host_code = GNV_ENOMEM;
    const char *msg = e && e->message ? e->message : "unknown error";
    gnv__buf_clear(&ctx->error);
    ctx->has_error = true;
    if (gnv__buf_puts(&ctx->error, msg) < 0)
        ctx->has_error = false;
}

/* ---- the host functions ------------------------------------------------- */

static void h_set_error(gnv_udf_ctx *ctx, const char *fmt, ...)
{
    if (!ctx || !fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    ctx_vset(ctx, fmt, ap);
    va_end(ap);
}

static int log_threshold(void)
{
    const char *s = getenv("GENEVA_UDF_LOG");
    if (!s || !*s)
        return GNV_UDF_LOG_WARN;
    if (strcasecmp(s, "debug") == 0)
        return GNV_UDF_LOG_DEBUG;
    if (strcasecmp(s, "info") == 0)
        return GNV_UDF_LOG_INFO;
    if (strcasecmp(s, "error") == 0)
        return GNV_UDF_LOG_ERROR;
    if (strcasecmp(s, "off") == 0)
        return GNV_UDF_LOG_ERROR + 1;
    return GNV_UDF_LOG_WARN;
}

static void h_log(gnv_udf_ctx *ctx, int level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    if (!fmt || level < log_threshold())
        return;
    if (level < GNV_UDF_LOG_DEBUG)
        level = GNV_UDF_LOG_DEBUG;
    if (level > GNV_UDF_LOG_ERROR)
        level = GNV_UDF_LOG_ERROR;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *who = ctx && ctx->fn ? ctx->fn->name : "plugin";
    fprintf(stderr, "geneva: udf %s: %s: %s\n", who, names[level], msg);
}

static void *h_malloc(size_t size)
{
    void *p = gnv__malloc(size);
    if (!p)
        plugin_oom = true;
    return p;
}

static void *h_realloc(void *ptr, size_t size)
{
    void *p = gnv__realloc(ptr, size);
    if (!p && size > 0)
        plugin_oom = true;
    return p;
}

static void h_free(void *ptr)
{
    gnv__free(ptr);
}

static void *h_scratch(gnv_udf_ctx *ctx, size_t n)
{
    if (!ctx)
        return NULL;
    void **list = gnv__reallocarray(ctx->scratch, ctx->n_scratch + 1, sizeof *list);
    if (!list) {
        ctx->host_code = GNV_ENOMEM;
        return NULL;
    }
    ctx->scratch = list;
    void *p = gnv__malloc(n ? n : 1);
    if (!p) {
        ctx->host_code = GNV_ENOMEM;
        return NULL;
    }
    ctx->scratch[ctx->n_scratch++] = p;
    return p;
}

static void *h_payload(gnv_udf_ctx *ctx)
{
    return ctx && ctx->fn ? ctx->fn->payload : NULL;
}

static const struct ArrowSchema *h_output_schema(gnv_udf_ctx *ctx)
{
    return ctx && ctx->fn ? &ctx->fn->output : NULL;
}

/* ---- builders ----------------------------------------------------------- */

static void builder_tree_free(gnv_udf_builder *b)
{
    for (int64_t i = 0; i < b->n_children; i++)
        builder_tree_free(&b->children[i]);
    gnv__free(b->children);
    b->children = NULL;
    b->n_children = 0;
    b->magic = 0;
}

/* Give b (whose array is set) child builders mirroring the array's children. */
static int builder_tree_init(gnv_udf_builder *b, gnv_udf_ctx *ctx)
{
    b->magic = BUILDER_MAGIC;
    b->ctx = ctx;
    if (b->array->n_children == 0)
        return GNV_OK;
    b->children = gnv__calloc((size_t)b->array->n_children, sizeof *b->children);
    if (!b->children)
        return gnv__error_oom();
    b->n_children = b->array->n_children;
    for (int64_t i = 0; i < b->n_children; i++) {
        b->children[i].array = b->array->children[i];
        GNV_TRY(builder_tree_init(&b->children[i], ctx));
    }
    return GNV_OK;
}

static int h_builder_new(gnv_udf_ctx *ctx, gnv_udf_builder **out)
{
    int rc = GNV_OK;
    gnv_udf_builder *b = NULL;
    if (!out)
        return GNV_EINVAL;
    *out = NULL;
    if (!ctx || !ctx->fn) {
        if (ctx)
            h_set_error(ctx, "builder_new: no function is being called");
        return GNV_EINVAL;
    }
    b = gnv__calloc(1, sizeof *b);
    GNV_CHECK_ALLOC(b);
    b->is_root = true;
    b->array = &b->own;
    GNV_TRYG(gnv__array_init(&b->own, &ctx->fn->output));
    GNV_TRYG(builder_tree_init(b, ctx));
    *out = b;
    return GNV_OK;
done:
    if (b) {
        builder_tree_free(b);
        gnv__array_release(&b->own);
        gnv__free(b);
    }
    ctx_set_last(ctx);
    return rc;
}

static bool builder_ok(gnv_udf_builder *b)
{
    return b && b->magic == BUILDER_MAGIC;
}

static gnv_udf_builder *h_builder_child(gnv_udf_builder *b, int64_t i)
{
    if (!builder_ok(b) || i < 0 || i >= b->n_children)
        return NULL;
    return &b->children[i];
}

/* After an arrow call: copy a failure's message into the builder's call context. */
static int builder_rc(gnv_udf_builder *b, int rc)
{
    if (rc < 0 && b->ctx)
        ctx_set_last(b->ctx);
    return rc;
}

static int h_append_null(gnv_udf_builder *b, int64_t n)
{
    if (!builder_ok(b) || n < 0)
        return GNV_EINVAL;
    return builder_rc(b, gnv__array_append_null(b->array, n));
}

static int h_append_int(gnv_udf_builder *b, int64_t v)
{
    if (!builder_ok(b))
        return GNV_EINVAL;
    return builder_rc(b, gnv__array_append_int(b->array, v));
}

static int h_append_uint(gnv_udf_builder *b, uint64_t v)
{
    if (!builder_ok(b))
        return GNV_EINVAL;
    return builder_rc(b, gnv__array_append_uint(b->array, v));
}

static int h_append_double(gnv_udf_builder *b, double v)
{
    if (!builder_ok(b))
        return GNV_EINVAL;
    return builder_rc(b, gnv__array_append_double(b->array, v));
}

static int h_append_bool(gnv_udf_builder *b, int v)
{
    if (!builder_ok(b))
        return GNV_EINVAL;
    return builder_rc(b, gnv__array_append_bool(b->array, v != 0));
}

static int h_append_bytes(gnv_udf_builder *b, const void *data, size_t n)
{
    if (!builder_ok(b) || (!data && n > 0))
        return GNV_EINVAL;
    return builder_rc(b, gnv__array_append_bytes(b->array, data ? data : "", n));
}

static int h_finish_element(gnv_udf_builder *b)
{
    if (!builder_ok(b))
        return GNV_EINVAL;
    return builder_rc(b, gnv__array_finish_element(b->array));
}

static void h_builder_free(gnv_udf_builder *b)
{
    if (!builder_ok(b) || !b->is_root)
        return;
    builder_tree_free(b);
    gnv__array_release(&b->own);
    gnv__free(b);
}

static int h_builder_finish(gnv_udf_builder *b, struct ArrowArray *out)
{
    if (!builder_ok(b) || !out)
        return GNV_EINVAL;
    if (!b->is_root) {
        if (b->ctx)
            h_set_error(b->ctx, "builder_finish: called on a child builder");
        return GNV_EINVAL;
    }
    int rc = gnv__array_finish(&b->own);
    if (rc < 0)
        return builder_rc(b, rc);
    gnv__array_move(&b->own, out);
    h_builder_free(b);
    return GNV_OK;
}

const gnv_host_api gnv__udf_host_api = {
    .size = sizeof(gnv_host_api),
    .version = GNV_UDF_ABI_VERSION,
    .set_error = h_set_error,
    .log = h_log,
    .malloc = h_malloc,
    .realloc = h_realloc,
    .free = h_free,
    .scratch = h_scratch,
    .payload = h_payload,
    .output_schema = h_output_schema,
    .builder_new = h_builder_new,
    .builder_child = h_builder_child,
    .append_null = h_append_null,
    .append_int = h_append_int,
    .append_uint = h_append_uint,
    .append_double = h_append_double,
    .append_bool = h_append_bool,
    .append_bytes = h_append_bytes,
    .finish_element = h_finish_element,
    .builder_finish = h_builder_finish,
    .builder_free = h_builder_free,
};
