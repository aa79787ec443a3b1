/* The call layer: bind a batch's columns to a function's parameters, set the function's
 * state up, run it by its kind, and validate what it returns as untrusted data.
 *
 * Inputs reach the plugin as borrowed, read-only arrays. The host hands it shallow
 * copies whose release is a no-op, so a plugin that releases its inputs by mistake
 * frees nothing. A batch with an offset is passed as columns sliced to the batch's
 * rows (their own offsets may then be non-zero). */
#include <string.h>

#include "udf.h"

static void noop_release_array(struct ArrowArray *a)
{
    a->release = NULL;
}

static void noop_release_schema(struct ArrowSchema *s)
{
    s->release = NULL;
}

/* Re-code the current error as GNV_EUDF, keeping its message. */
static int recode_eudf(void)
{
    char msg[2048];
    const gnv_error *e = gnv_error_last();
    snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "invalid output");
    return gnv__error_set(GNV_EUDF, GNV_SUB_UDF, "%s", msg);
}

/* Formats equal, recursively (names and flags are not compared). */
static bool same_type(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    if (!a->format || !b->format || strcmp(a->format, b->format) != 0)
        return false;
    if (a->n_children != b->n_children || (a->dictionary == NULL) != (b->dictionary == NULL))
        return false;
    for (int64_t i = 0; i < a->n_children; i++)
        if (!same_type(a->children[i], b->children[i]))
            return false;
    return true;
}

int gnv__udf_function_setup(gnv_udf_function *fn)
{
    int rc = GNV_OK;
    pthread_mutex_lock(&fn->lock);
    if (!fn->set_up) {
        void *state = NULL;
        if (fn->setup) {
            gnv_udf_ctx ctx;
            gnv__udf_ctx_init(&ctx, fn);
            int prc = fn->setup(&ctx, &state);
            if (prc != 0) {
                char what[256];
                snprintf(what, sizeof what, "function '%s': setup", fn->name);
                rc = gnv__udf_ctx_error(&ctx, prc, what);
            }
            gnv__udf_ctx_reset(&ctx);
        }
        if (rc == GNV_OK) {
            fn->state = state;
            fn->set_up = true;
        }
    }
    pthread_mutex_unlock(&fn->lock);
    return rc;
}

void gnv__udf_function_teardown(gnv_udf_function *fn)
{
    pthread_mutex_lock(&fn->lock);
    if (fn->set_up && fn->teardown)
        fn->teardown(fn->state);
    fn->set_up = false;
    fn->state = NULL;
    pthread_mutex_unlock(&fn->lock);
}

/* ---- row kind ----------------------------------------------------------- */

/* Strings and binaries with int32 offsets, plain (not dictionary-encoded): the common
 * input of row functions, read without the generic getters. */
static bool plain_bytes32(const gnv_array_view *view)
{
    return (view->type.id == GNV_TYPE_STRING || view->type.id == GNV_TYPE_BINARY) &&
           !view->dictionary && view->offsets;
}

static void read_bytes32(gnv_udf_value *v, const gnv_array_view *view, int64_t i)
{
    int64_t k = view->offset + i;
    memset(v, 0, sizeof *v);
    if (view->validity && !((view->validity[k >> 3] >> (k & 7)) & 1)) {
        v->is_null = 1;
        return;
    }
    const int32_t *off = view->offsets;
    v->v.bytes.data = (const char *)view->data + off[k];
    v->v.bytes.size = off[k + 1] - off[k];
}

static void read_value(gnv_udf_value *v, const gnv_array_view *view, int64_t i)
{
    memset(v, 0, sizeof *v);
    if (gnv__view_is_null(view, i)) {
        v->is_null = 1;
        return;
    }
    gnv_type_id id = view->type.id;
    if (id == GNV_TYPE_BOOL) {
        v->v.b = gnv__view_get_bool(view, i) ? 1 : 0;
    } else if (gnv__type_is_floating(id)) {
        v->v.f64 = gnv__view_get_double(view, i);
    } else if (gnv__type_is_integer(id) && !gnv__type_is_signed(id)) {
        v->v.u64 = gnv__view_get_uint(view, i);
    } else if (gnv__type_is_integer(id) || id == GNV_TYPE_DATE32 || id == GNV_TYPE_TIMESTAMP) {
        v->v.i64 = gnv__view_get_int(view, i);
    } else {
        int64_t len = 0;
        v->v.bytes.data = gnv__view_get_bytes(view, i, &len);
        v->v.bytes.size = len;
    }
}

/* Append one row-kind output value to an owned array of a scalar type. Errors are
 * arrow's (e.g. a value that does not fit) or a bad bytes value. */
static int append_value(struct ArrowArray *a, const gnv_udf_value *v)
{
    if (v->is_null)
        return gnv__array_append_null(a, 1);
    gnv_type_id id = gnv__array_type(a)->id;
    if (id == GNV_TYPE_BOOL)
        return gnv__array_append_bool(a, v->v.b != 0);
    if (gnv__type_is_floating(id))
        return gnv__array_append_double(a, v->v.f64);
    if (gnv__type_is_integer(id) && !gnv__type_is_signed(id))
        return gnv__array_append_uint(a, v->v.u64);
    if (gnv__type_is_integer(id) || id == GNV_TYPE_DATE32 || id == GNV_TYPE_TIMESTAMP)
        return gnv__array_append_int(a, v->v.i64);
    if (v->v.bytes.size < 0 || (v->v.bytes.size > 0 && !v->v.bytes.data))
        return gnv__error_set(GNV_EINVAL, GNV_SUB_UDF, "bytes value with size %lld and data %s",
                              (long long)v->v.bytes.size, v->v.bytes.data ? "set" : "NULL");
    return gnv__array_append_bytes(a, v->v.bytes.size ? v->v.bytes.data : "",
                                   (size_t)v->v.bytes.size);
}

/* Results of a fixed-width output (int32, int64, float64), gathered and appended in
 * runs instead of one call per row; other types, nulls and out-of-range values go the
 * general way (append_value), after the run is flushed. */
#define OUT_RUN_ROWS 1024
typedef struct out_run {
    gnv_type_id id; /* of the output, or GNV_TYPE_NA: not gathered */
    int64_t n;
    union {
        int32_t i32[OUT_RUN_ROWS];
        int64_t i64[OUT_RUN_ROWS];
        double f64[OUT_RUN_ROWS];
    } v;
} out_run;

static int run_flush(struct ArrowArray *a, out_run *r)
{
    int rc = r->n ? gnv__array_append_fixed_run(a, &r->v, r->n) : GNV_OK;
    r->n = 0;
    return rc;
}

/* Take v into the run (false: not a value it can hold). */
static bool run_put(out_run *r, const gnv_udf_value *v)
{
    if (v->is_null)
        return false;
    switch (r->id) {
    case GNV_TYPE_INT32:
        if (v->v.i64 < INT32_MIN || v->v.i64 > INT32_MAX)
            return false;
        r->v.i32[r->n++] = (int32_t)v->v.i64;
        return true;
    case GNV_TYPE_INT64:
        r->v.i64[r->n++] = v->v.i64;
        return true;
    case GNV_TYPE_DOUBLE:
        r->v.f64[r->n++] = v->v.f64;
        return true;
    default:
        return false;
    }
}

/* Append a non-struct row result: gathered into the run when it can be. */
static int put_result(struct ArrowArray *a, out_run *r, const gnv_udf_value *v)
{
    if (run_put(r, v))
        return r->n == OUT_RUN_ROWS ? run_flush(a, r) : GNV_OK;
    GNV_TRY(run_flush(a, r));
    return append_value(a, v);
}

static int call_row(struct ArrowArray *out,
                    gnv_udf_function *fn,
                    const struct ArrowSchema *const *schemas,
                    const struct ArrowArray *const *cols,
                    int64_t n_cols,
                    int64_t length)
{
    int rc = GNV_OK;
    gnv_array_view *views = NULL;
    gnv_udf_value *args = NULL, *outs = NULL;
    bool *fast = NULL; /* per column: read by read_bytes32 */
    struct ArrowArray res;
    gnv_udf_ctx ctx;
    out_run run;
    bool is_struct = strcmp(fn->output.format, "+s") == 0;
    int64_t n_out = is_struct ? fn->output.n_children : 1;

    memset(&res, 0, sizeof res);
    run.id = GNV_TYPE_NA;
    run.n = 0;
    gnv__udf_ctx_init(&ctx, fn);
    views = gnv__calloc((size_t)n_cols, sizeof *views);
    args = gnv__calloc((size_t)n_cols, sizeof *args);
    outs = gnv__calloc((size_t)n_out, sizeof *outs);
    GNV_CHECK_ALLOC(views);
    GNV_CHECK_ALLOC(args);
    GNV_CHECK_ALLOC(outs);
    fast = gnv__calloc((size_t)n_cols + 1, sizeof *fast);
    GNV_CHECK_ALLOC(fast);
    for (int64_t c = 0; c < n_cols; c++) {
        GNV_TRYG(gnv__array_view_init(&views[c], schemas[c], cols[c]));
        fast[c] = plain_bytes32(&views[c]);
    }
    GNV_TRYG(gnv__array_init(&res, &fn->output));
    GNV_TRYG(gnv__array_reserve(&res, length));
    gnv_type_id out_id = gnv__array_type(&res)->id;
    run.id = !is_struct && (out_id == GNV_TYPE_INT32 || out_id == GNV_TYPE_INT64 ||
                            out_id == GNV_TYPE_DOUBLE)
                 ? out_id
                 : GNV_TYPE_NA;

    for (int64_t i = 0; i < length; i++) {
        bool any_null = false;
        for (int64_t c = 0; c < n_cols; c++) {
            if (fast[c])
                read_bytes32(&args[c], &views[c], i);
            else
                read_value(&args[c], &views[c], i);
            any_null = any_null || args[c].is_null;
        }
        if (any_null && (fn->flags & GNV_UDF_NULL_SKIP)) {
            GNV_TRYG(run_flush(&res, &run));
            GNV_TRYG(gnv__array_append_null(&res, 1));
            continue;
        }
        memset(outs, 0, (size_t)n_out * sizeof *outs);
        int prc = fn->call_row(&ctx, fn->state, args, n_cols, outs);
        if (prc != 0) {
            char what[256];
            snprintf(what, sizeof what, "function '%s' failed at row %lld", fn->name, (long long)i);
            rc = gnv__udf_ctx_error(&ctx, prc, what);
            goto done;
        }
        if (is_struct) {
            for (int64_t c = 0; c < n_out && rc == GNV_OK; c++)
                rc = append_value(res.children[c], &outs[c]);
            if (rc == GNV_OK)
                rc = gnv__array_finish_element(&res);
        } else {
            rc = put_result(&res, &run, &outs[0]);
        }
        if (rc < 0) {
            if (rc == GNV_ENOMEM)
                goto done;
            gnv__error_prefix("function '%s' returned a bad value at row %lld", fn->name,
                              (long long)i);
            rc = recode_eudf();
            goto done;
        }
        if (ctx.n_scratch || ctx.has_error || ctx.error.ptr || ctx.host_code)
            gnv__udf_ctx_reset(&ctx); /* scratch memory lives for one row */
    }
    GNV_TRYG(run_flush(&res, &run));
    GNV_TRYG(gnv__array_finish(&res));
    gnv__array_move(&res, out);
done:
    gnv__array_release(&res);
    gnv__udf_ctx_reset(&ctx);
    if (views)
        for (int64_t c = 0; c < n_cols; c++)
            gnv__array_view_reset(&views[c]);
    gnv__free(views);
    gnv__free(fast);
    gnv__free(args);
    gnv__free(outs);
    return rc;
}

/* ---- the call ----------------------------------------------------------- */

/* An array a plugin returned, moved into a wrapper that keeps the plugin loaded until
 * the array is released (its release callback is plugin code). */
typedef struct wrapped_array {
    struct ArrowArray inner;
    gnv_udf_dl *dl;
} wrapped_array;

static void wrapped_release(struct ArrowArray *a)
{
    wrapped_array *w = a->private_data;
    if (w->inner.release)
        w->inner.release(&w->inner);
    gnv__udf_dl_unref(w->dl);
    gnv__free(w);
    a->release = NULL;
}

/* Wrap res in place (same fields, our release). On failure res is released. */
static int wrap_output(struct ArrowArray *res, gnv_udf_library *lib)
{
    wrapped_array *w = gnv__malloc(sizeof *w);
    if (!w) {
        gnv__array_release(res);
        return gnv__error_oom();
    }
    gnv__array_move(res, &w->inner);
    *res = w->inner;
    w->dl = lib->dl;
    atomic_fetch_add(&w->dl->refs, 1);
    res->private_data = w;
    res->release = wrapped_release;
    return GNV_OK;
}

/* Check what a plugin returned; on failure release it. */
static int check_output(gnv_udf_function *fn, struct ArrowArray *res, int64_t length)
{
    int rc = GNV_OK;
    GNV_ERR_IF(res->release == NULL, GNV_EUDF, GNV_SUB_UDF,
               "function '%s' returned success but no array (release is NULL)", fn->name);
    GNV_ERR_IF(res->length != length, GNV_EUDF, GNV_SUB_UDF,
               "function '%s' returned %lld rows for a batch of %lld", fn->name,
               (long long)res->length, (long long)length);
    rc = gnv__array_validate(&fn->output, res, true);
    if (rc == GNV_ENOMEM)
        goto done;
    if (rc < 0) {
        gnv__error_prefix("function '%s' returned an invalid %s array", fn->name,
                          fn->output.format);
        rc = recode_eudf();
        goto done;
    }
    return GNV_OK;
done:
    gnv__array_release(res);
    return rc;
}

int gnv_udf_call(struct ArrowArray *out,
                 const gnv_udf_function *cfn,
                 const struct ArrowSchema *schema,
                 const struct ArrowArray *batch)
{
    int rc = GNV_OK;
    gnv_udf_function *fn = (gnv_udf_function *)cfn; /* setup state and lock are mutable */
    struct ArrowArray *slices = NULL, res;
    const struct ArrowArray **cols = NULL;
    const struct ArrowSchema **schemas = NULL;
    bool locked = false;

    memset(&res, 0, sizeof res);
    if (!out || !fn || !schema || !batch)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_UDF, "gnv_udf_call: NULL argument");
    GNV_ERR_IF(!schema->format || strcmp(schema->format, "+s") != 0, GNV_EINVAL, GNV_SUB_UDF,
               "function '%s': the input batch must be a struct array, got format '%s'", fn->name,
               schema->format ? schema->format : "(null)");
    if (gnv__array_validate(schema, batch, false) < 0) {
        rc = gnv__error_prefix("function '%s': invalid input batch", fn->name);
        goto done;
    }
    int64_t n_cols = fn->n_params > 0 ? fn->n_params : schema->n_children;
    GNV_ERR_IF(fn->n_params > 0 && schema->n_children != fn->n_params, GNV_EINVAL, GNV_SUB_UDF,
               "function '%s' takes %lld parameters, but the batch has %lld columns", fn->name,
               (long long)fn->n_params, (long long)schema->n_children);
    for (int64_t c = 0; c < fn->n_params; c++) {
        if (!same_type(schema->children[c], &fn->params[c])) {
            gnv_buf want = GNV_BUF_INIT, got = GNV_BUF_INIT;
            gnv__type_to_string(&want, &fn->params[c]);
            gnv__type_to_string(&got, schema->children[c]);
            rc = gnv__error_set(GNV_EINVAL, GNV_SUB_UDF,
                                "function '%s': parameter '%s' is %s, but column %lld ('%s') "
                                "is %s",
                                fn->name, fn->params[c].name, want.ptr ? want.ptr : "?",
                                (long long)c,
                                schema->children[c]->name ? schema->children[c]->name : "",
                                got.ptr ? got.ptr : "?");
            gnv_buf_dispose(&want);
            gnv_buf_dispose(&got);
            goto done;
        }
    }

    /* Columns sliced to the batch's rows, as borrowed read-only copies. */
    int64_t length = batch->length;
    if (n_cols > 0) {
        slices = gnv__calloc((size_t)n_cols, sizeof *slices);
        cols = gnv__calloc((size_t)n_cols, sizeof *cols);
        schemas = gnv__calloc((size_t)n_cols, sizeof *schemas);
        GNV_CHECK_ALLOC(slices);
        GNV_CHECK_ALLOC(cols);
        GNV_CHECK_ALLOC(schemas);
    }
    for (int64_t c = 0; c < n_cols; c++) {
        slices[c] = *batch->children[c];
        if (batch->offset != 0 || slices[c].length != length) {
            slices[c].offset += batch->offset;
            slices[c].length = length;
            slices[c].null_count = -1;
        }
        slices[c].release = noop_release_array;
        cols[c] = &slices[c];
        schemas[c] = fn->n_params > 0 ? &fn->params[c] : schema->children[c];
    }

    GNV_TRYG(gnv__udf_function_setup(fn));
    if (fn->flags & GNV_UDF_SERIAL) {
        pthread_mutex_lock(&fn->lock);
        locked = true;
    }

    if (fn->kind == GNV_UDF_ROW) {
        GNV_TRYG(call_row(&res, fn, schemas, cols, n_cols, length));
        /* the host built it, but the plugin chose the bytes: check UTF-8 and the rest */
        GNV_TRYG(check_output(fn, &res, length));
    } else {
        gnv_udf_ctx ctx;
        int prc;
        gnv__udf_ctx_init(&ctx, fn);
        if (fn->kind == GNV_UDF_ARRAY) {
            prc = fn->call_array(&ctx, fn->state, schemas, cols, n_cols, &res);
        } else {
            const void *no_buffers[1] = {NULL};
            struct ArrowSchema bs = *schema;
            struct ArrowArray ba;
            memset(&ba, 0, sizeof ba);
            bs.release = noop_release_schema;
            bs.n_children = n_cols;
            bs.children = (struct ArrowSchema **)schemas;
            bs.metadata = NULL;
            ba.length = length;
            ba.n_buffers = 1;
            ba.buffers = no_buffers;
            ba.n_children = n_cols;
            ba.children = (struct ArrowArray **)cols;
            ba.release = noop_release_array;
            prc = fn->call_batch(&ctx, fn->state, &bs, &ba, &res);
        }
        if (prc != 0) {
            char what[256];
            snprintf(what, sizeof what, "function '%s' failed", fn->name);
            rc = gnv__udf_ctx_error(&ctx, prc, what);
            gnv__udf_ctx_reset(&ctx);
            gnv__array_release(&res);
            goto done;
        }
        gnv__udf_ctx_reset(&ctx);
        GNV_TRYG(check_output(fn, &res, length));
        GNV_TRYG(wrap_output(&res, fn->lib));
    }
    gnv__array_move(&res, out);
done:
    if (locked)
        pthread_mutex_unlock(&fn->lock);
    gnv__array_release(&res);
    gnv__free(slices);
    gnv__free((void *)cols);
    gnv__free((void *)schemas);
    return rc;
}
