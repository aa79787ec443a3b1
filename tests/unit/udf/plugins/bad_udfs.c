/*
 * A plugin for the error paths of the udf module. GNV_TEST_BAD (read at each load)
 * picks a bad registration; without it the plugin registers valid definitions of
 * misbehaving functions.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <geneva/sys/udf_abi.h>

static const gnv_host_api *api;

static const gnv_udf_field id[] = {{"id", "l", 0, NULL}};
static const gnv_udf_field item[] = {{"item", "l", 0, NULL}};

/* ---- misbehaving functions ---------------------------------------------- */

/* Array kind, int64 output: one row too few (built with the host's builders). */
static int wrong_len(gnv_udf_ctx *ctx,
                     void *state,
                     const struct ArrowSchema *const *schemas,
                     const struct ArrowArray *const *arrays,
                     int64_t n_args,
                     struct ArrowArray *out)
{
    (void)state, (void)schemas, (void)n_args;
    gnv_udf_builder *b;
    if (api->builder_new(ctx, &b) != 0)
        return 1;
    for (int64_t i = 0; i + 1 < arrays[0]->length; i++)
        api->append_int(b, i);
    return api->builder_finish(b, out);
}

/* Arrays the plugin allocates itself, with a release callback. */
typedef struct own {
    const void *buffers[3];
    int64_t values[4];
    int32_t offsets[5];
} own;

static void own_release(struct ArrowArray *a)
{
    free(a->private_data);
    a->release = NULL;
}

static struct ArrowArray own_array(int64_t length, int64_t n_buffers)
{
    struct ArrowArray a;
    own *o = calloc(1, sizeof *o);
    memset(&a, 0, sizeof a);
    a.length = length;
    a.n_buffers = n_buffers;
    a.buffers = o->buffers;
    a.release = own_release;
    a.private_data = o;
    return a;
}

/* Declared int64, returns three buffers (a utf8 layout): a wrong type. */
static int wrong_type(gnv_udf_ctx *ctx,
                      void *state,
                      const struct ArrowSchema *const *schemas,
                      const struct ArrowArray *const *arrays,
                      int64_t n_args,
                      struct ArrowArray *out)
{
    (void)ctx, (void)state, (void)schemas, (void)n_args;
    *out = own_array(arrays[0]->length, 3);
    own *o = out->private_data;
    o->buffers[1] = o->offsets;
    o->buffers[2] = "abcd";
    return 0;
}

/* Declared utf8: decreasing offsets. */
static int bad_buffers(gnv_udf_ctx *ctx,
                       void *state,
                       const struct ArrowSchema *const *schemas,
                       const struct ArrowArray *const *arrays,
                       int64_t n_args,
                       struct ArrowArray *out)
{
    (void)ctx, (void)state, (void)schemas, (void)n_args;
    *out = own_array(arrays[0]->length > 4 ? 4 : arrays[0]->length, 3);
    own *o = out->private_data;
    for (int i = 0; i < 5; i++)
        o->offsets[i] = 8 - 2 * i;
    o->buffers[1] = o->offsets;
    o->buffers[2] = "abcdefgh";
    return 0;
}

/* Returns success without an array. */
static int no_output(gnv_udf_ctx *ctx,
                     void *state,
                     const struct ArrowSchema *const *schemas,
                     const struct ArrowArray *const *arrays,
                     int64_t n_args,
                     struct ArrowArray *out)
{
    (void)ctx, (void)state, (void)schemas, (void)arrays, (void)n_args, (void)out;
    return 0;
}

/* Releases its (borrowed) input, then returns a copy of the ids. */
static int releases_input(gnv_udf_ctx *ctx,
                          void *state,
                          const struct ArrowSchema *const *schemas,
                          const struct ArrowArray *const *arrays,
                          int64_t n_args,
                          struct ArrowArray *out)
{
    (void)state, (void)schemas, (void)n_args;
    struct ArrowArray *in = (struct ArrowArray *)arrays[0];
    int64_t n = in->length;
    const int64_t *v = (const int64_t *)in->buffers[1];
    gnv_udf_builder *b;
    if (api->builder_new(ctx, &b) != 0)
        return 1;
    for (int64_t i = 0; i < n; i++)
        api->append_int(b, v[in->offset + i]);
    in->release(in); /* a bug: inputs are borrowed */
    return api->builder_finish(b, out);
}

static int silent_fail(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)args, (void)n_args, (void)out;
    return 3;
}

static int bad_utf8(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)args, (void)n_args;
    out->v.bytes.data = "ok\xff";
    out->v.bytes.size = 3;
    return 0;
}

static int bad_bytes(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)args, (void)n_args;
    out->v.bytes.data = NULL;
    out->v.bytes.size = 5;
    return 0;
}

static int too_big(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)args, (void)n_args;
    out->v.i64 = (int64_t)1 << 40; /* does not fit the declared int32 */
    return 0;
}

/* Uses scratch memory for its output bytes: "id=<n>". */
static int scratch_text(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)state, (void)n_args;
    char *buf = api->scratch(ctx, 32);
    if (!buf) {
        api->set_error(ctx, "no scratch");
        return 1;
    }
    int n = 0;
    long long v = args[0].is_null ? -1 : (long long)args[0].v.i64;
    char digits[24];
    int nd = 0;
    unsigned long long u = v < 0 ? (unsigned long long)-v : (unsigned long long)v;
    do {
        digits[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    memcpy(buf, "id=", 3);
    n = 3;
    if (v < 0)
        buf[n++] = '-';
    while (nd)
        buf[n++] = digits[--nd];
    out->v.bytes.data = buf;
    out->v.bytes.size = n;
    return 0;
}

/* NULL_SKIP: never called with a null argument. */
static int null_skip(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)state, (void)n_args;
    if (args[0].is_null) {
        api->set_error(ctx, "null_skip called with a null");
        return 1;
    }
    out->v.i64 = args[0].v.i64 + 1;
    return 0;
}

/* Without NULL_SKIP: reports whether the argument was null (1) or not (0). */
static int null_seen(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)n_args;
    out->v.i64 = args[0].is_null;
    return 0;
}

/* SERIAL: fails if two calls ever overlap. */
static atomic_int in_flight;

static int
serial(gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)state, (void)n_args;
    if (atomic_fetch_add(&in_flight, 1) != 0) {
        atomic_fetch_sub(&in_flight, 1);
        api->set_error(ctx, "serial: calls overlap");
        return 1;
    }
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
    out->v.i64 = args[0].v.i64;
    atomic_fetch_sub(&in_flight, 1);
    return 0;
}

/* Record batch kind with no parameters: the number of columns it was given, per row;
 * the payload must be the address of `payload_marker`. */
static int payload_marker;

static int all_columns(gnv_udf_ctx *ctx,
                       void *state,
                       const struct ArrowSchema *schema,
                       const struct ArrowArray *batch,
                       struct ArrowArray *out)
{
    (void)state;
    if (api->payload(ctx) != &payload_marker) {
        api->set_error(ctx, "wrong payload");
        return 1;
    }
    if (schema->n_children != batch->n_children || api->output_schema(ctx) == NULL) {
        api->set_error(ctx, "schema and batch disagree");
        return 1;
    }
    gnv_udf_builder *b;
    if (api->builder_new(ctx, &b) != 0)
        return 1;
    for (int64_t i = 0; i < batch->length; i++)
        api->append_int(b, batch->n_children);
    return api->builder_finish(b, out);
}

static int setup_fails(gnv_udf_ctx *ctx, void **state)
{
    (void)state;
    api->set_error(ctx, "cannot load the model");
    return 1;
}

/* A builder misuse: appending a string to an int64 builder. */
static int builder_misuse(gnv_udf_ctx *ctx,
                          void *state,
                          const struct ArrowSchema *const *schemas,
                          const struct ArrowArray *const *arrays,
                          int64_t n_args,
                          struct ArrowArray *out)
{
    (void)state, (void)schemas, (void)arrays, (void)n_args, (void)out;
    gnv_udf_builder *b;
    if (api->builder_new(ctx, &b) != 0)
        return 1;
    int rc = api->append_bytes(b, "x", 1);
    api->builder_free(b);
    return rc != 0 ? 1 : 0;
}

/* ---- registration ------------------------------------------------------- */

static int reg_row(gnv_udf_registry *reg, const char *name, const char *out, gnv_udf_row_fn f)
{
    gnv_udf_def d = GNV_UDF_DEF_INIT(name, GNV_UDF_ROW);
    d.params = id;
    d.n_params = 1;
    d.output.format = out;
    d.call_row = f;
    return reg->register_function(reg, &d);
}

static int reg_array(gnv_udf_registry *reg, const char *name, const char *out, gnv_udf_array_fn f)
{
    gnv_udf_def d = GNV_UDF_DEF_INIT(name, GNV_UDF_ARRAY);
    d.params = id;
    d.n_params = 1;
    d.output.format = out;
    d.call_array = f;
    return reg->register_function(reg, &d);
}

static int register_good(gnv_udf_registry *reg)
{
    int rc = 0;
    rc = rc ? rc : reg_array(reg, "wrong_len", "l", wrong_len);
    rc = rc ? rc : reg_array(reg, "wrong_type", "l", wrong_type);
    rc = rc ? rc : reg_array(reg, "bad_buffers", "u", bad_buffers);
    rc = rc ? rc : reg_array(reg, "no_output", "l", no_output);
    rc = rc ? rc : reg_array(reg, "releases_input", "l", releases_input);
    rc = rc ? rc : reg_array(reg, "builder_misuse", "l", builder_misuse);
    rc = rc ? rc : reg_row(reg, "silent_fail", "l", silent_fail);
    rc = rc ? rc : reg_row(reg, "bad_utf8", "u", bad_utf8);
    rc = rc ? rc : reg_row(reg, "bad_bytes", "z", bad_bytes);
    rc = rc ? rc : reg_row(reg, "too_big", "i", too_big);
    rc = rc ? rc : reg_row(reg, "scratch_text", "u", scratch_text);
    rc = rc ? rc : reg_row(reg, "null_seen", "l", null_seen);

    gnv_udf_def n = GNV_UDF_DEF_INIT("null_skip", GNV_UDF_ROW);
    n.flags = GNV_UDF_NULL_SKIP;
    n.params = id;
    n.n_params = 1;
    n.output.format = "l";
    n.call_row = null_skip;
    rc = rc ? rc : reg->register_function(reg, &n);

    gnv_udf_def s = GNV_UDF_DEF_INIT("serial", GNV_UDF_ROW);
    s.flags = GNV_UDF_SERIAL;
    s.params = id;
    s.n_params = 1;
    s.output.format = "l";
    s.call_row = serial;
    rc = rc ? rc : reg->register_function(reg, &s);

    gnv_udf_def a = GNV_UDF_DEF_INIT("all_columns", GNV_UDF_RECORD_BATCH);
    a.output.format = "l";
    a.call_batch = all_columns;
    a.payload = &payload_marker;
    rc = rc ? rc : reg->register_function(reg, &a);

    gnv_udf_def f = GNV_UDF_DEF_INIT("setup_fails", GNV_UDF_ROW);
    f.params = id;
    f.n_params = 1;
    f.output.format = "l";
    f.call_row = null_seen;
    f.setup = setup_fails;
    rc = rc ? rc : reg->register_function(reg, &f);
    return rc;
}

int gnv_udf_plugin_init(const gnv_host_api *host, gnv_udf_registry *reg)
{
    api = host;
    const char *bad = getenv("GNV_TEST_BAD");
    if (!bad || !*bad)
        return register_good(reg);

    gnv_udf_def d = GNV_UDF_DEF_INIT("bad", GNV_UDF_ROW);
    d.params = id;
    d.n_params = 1;
    d.output.format = "l";
    d.call_row = null_seen;
    if (strcmp(bad, "unknown_type") == 0) {
        static const gnv_udf_field q[] = {{"id", "q?", 0, NULL}};
        d.params = q;
    } else if (strcmp(bad, "no_call") == 0) {
        d.call_row = NULL;
    } else if (strcmp(bad, "struct_no_children") == 0) {
        d.kind = GNV_UDF_ARRAY;
        d.call_array = wrong_len;
        d.output.format = "+s";
    } else if (strcmp(bad, "list_two_children") == 0) {
        static const gnv_udf_field two[] = {{"a", "l", 0, NULL}, {"b", "l", 0, NULL}};
        d.kind = GNV_UDF_ARRAY;
        d.call_array = wrong_len;
        d.output.format = "+l";
        d.output.n_children = 2;
        d.output.children = two;
    } else if (strcmp(bad, "row_list_param") == 0) {
        static const gnv_udf_field l[] = {{"ids", "+l", 1, item}};
        d.params = l;
    } else if (strcmp(bad, "bad_name") == 0) {
        d.name = "has space";
    } else if (strcmp(bad, "no_output") == 0) {
        d.output.format = NULL;
    } else if (strcmp(bad, "small_size") == 0) {
        d.size = 16;
    } else if (strcmp(bad, "dup") == 0) {
        if (reg->register_function(reg, &d) != 0)
            return 1;
    } else if (strcmp(bad, "init_fails") == 0) {
        api->set_error(reg->ctx, "init refused: %s", "no licence");
        return 1;
    } else if (strcmp(bad, "none") == 0) {
        return 0;
    }
    return reg->register_function(reg, &d);
}
