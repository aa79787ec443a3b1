/*
 * demo_udfs: a UDF plugin that exercises every part of the plugin ABI. It links against
 * nothing of libgeneva; it only includes <geneva/sys/udf_abi.h>.
 *
 *   text_len(text: utf8) -> int32                    row kind: code points of text
 *   hash_embed(text: utf8) -> fixed_size_list<float32, 8>
 *                                                    array kind, host builders: a
 *                                                    deterministic, L2-normalised embedding
 *   slow_double(x: float64) -> float64               array kind, own array: 2x, sleeping
 *                                                    GENEVA_DEMO_SLEEP_US per row
 *   fail_on_7(id: int64) -> int64                    row kind: 2*id; fails on ids ending in 7
 *   crash_on_13(id: int64) -> int64                  row kind: id; abort()s on ids ending in 13
 *   split_words(text: utf8) -> struct<first: utf8, count: int32>
 *                                                    row kind, multi-column output
 *   label_index(label: utf8) -> int32                record batch kind, stateful: the index
 *                                                    of label in a table loaded by setup
 *                                                    (GENEVA_DEMO_LABELS, default
 *                                                    "cat,dog,bird,fish"), null if absent.
 *                                                    With GENEVA_DEMO_SETUP_LOG set, setup
 *                                                    and teardown append a line to that file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <geneva/sys/udf_abi.h>

static const gnv_host_api *api;

/* ---- reading a utf8 input array (the C Data Interface, by hand) ---------- */

static int is_valid(const struct ArrowArray *a, int64_t i)
{
    const uint8_t *bits = (const uint8_t *)a->buffers[0];
    int64_t j = a->offset + i;
    return !bits || (bits[j >> 3] >> (j & 7)) & 1;
}

static const char *utf8_at(const struct ArrowArray *a, int64_t i, int64_t *len)
{
    const int32_t *offsets = (const int32_t *)a->buffers[1];
    const char *data = (const char *)a->buffers[2];
    int64_t j = a->offset + i;
    *len = offsets[j + 1] - offsets[j];
    return data + offsets[j];
}

/* ---- text_len ----------------------------------------------------------- */

static int text_len(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)n_args;
    if (args[0].is_null) {
        out->is_null = 1;
        return 0;
    }
    const unsigned char *s = (const unsigned char *)args[0].v.bytes.data;
    int64_t size = args[0].v.bytes.size, i = 0, n = 0;
    /* code points = bytes that are not continuation bytes (10xxxxxx), 8 at a time */
    for (; i + 8 <= size; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t cont = (w & ~(w << 1) & 0x8080808080808080ull) >> 7;
        n += 8 - (int64_t)((cont * 0x0101010101010101ull) >> 56); /* bytes set, summed */
    }
    for (; i < size; i++)
        n += (s[i] & 0xC0) != 0x80;
    out->v.i64 = n;
    return 0;
}

/* ---- hash_embed --------------------------------------------------------- */

#define EMBED_DIM 8

/* Newton's square root: the plugin needs no libm. */
static double root(double x)
{
    if (!(x > 0))
        return 0;
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 64; i++)
        r = 0.5 * (r + x / r);
    return r;
}

static uint64_t fnv1a(const char *s, int64_t n, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
    for (int64_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static int hash_embed(gnv_udf_ctx *ctx,
                      void *state,
                      const struct ArrowSchema *const *schemas,
                      const struct ArrowArray *const *arrays,
                      int64_t n_args,
                      struct ArrowArray *out)
{
    (void)state, (void)schemas, (void)n_args;
    const struct ArrowArray *text = arrays[0];
    gnv_udf_builder *b = NULL;
    if (api->builder_new(ctx, &b) != 0)
        return 1;
    gnv_udf_builder *items = api->builder_child(b, 0);
    for (int64_t i = 0; i < text->length; i++) {
        if (!is_valid(text, i)) {
            if (api->append_null(b, 1) != 0)
                goto fail;
            continue;
        }
        int64_t len;
        const char *s = utf8_at(text, i, &len);
        double v[EMBED_DIM], norm = 0;
        for (int d = 0; d < EMBED_DIM; d++) {
            v[d] = (double)(fnv1a(s, len, (uint64_t)d + 1) >> 11) / 9007199254740992.0 * 2 - 1;
            norm += v[d] * v[d];
        }
        norm = norm > 0 ? 1 / root(norm) : 0;
        for (int d = 0; d < EMBED_DIM; d++)
            if (api->append_double(items, v[d] * norm) != 0)
                goto fail;
        if (api->finish_element(b) != 0)
            goto fail;
    }
    if (api->builder_finish(b, out) != 0)
        goto fail;
    return 0;
fail:
    api->builder_free(b); /* the builder already set the error */
    return 1;
}

/* ---- slow_double: an output array the plugin allocates itself ------------ */

typedef struct own_array {
    const void *buffers[2];
    uint8_t *validity;
    double *values;
} own_array;

static void own_release(struct ArrowArray *a)
{
    own_array *o = (own_array *)a->private_data;
    free(o->validity);
    free(o->values);
    free(o);
    a->release = NULL;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int slow_double(gnv_udf_ctx *ctx,
                       void *state,
                       const struct ArrowSchema *const *schemas,
                       const struct ArrowArray *const *arrays,
                       int64_t n_args,
                       struct ArrowArray *out)
{
    (void)state, (void)schemas, (void)n_args;
    const struct ArrowArray *x = arrays[0];
    const char *env = getenv("GENEVA_DEMO_SLEEP_US");
    long us = env ? atol(env) : 0;
    int64_t n = x->length, nulls = 0;
    own_array *o = calloc(1, sizeof *o);
    if (o) {
        o->values = malloc((size_t)(n ? n : 1) * sizeof(double));
        o->validity = calloc((size_t)(n / 8 + 1), 1);
    }
    if (!o || !o->values || !o->validity) {
        if (o) {
            free(o->values);
            free(o->validity);
        }
        free(o);
        api->set_error(ctx, "slow_double: out of memory for %lld rows", (long long)n);
        return 1;
    }
    const double *in = (const double *)x->buffers[1];
    for (int64_t i = 0; i < n; i++) {
        if (us > 0)
            sleep_us(us);
        if (is_valid(x, i)) {
            o->values[i] = 2 * in[x->offset + i];
            o->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
        } else {
            o->values[i] = 0;
            nulls++;
        }
    }
    o->buffers[0] = o->validity;
    o->buffers[1] = o->values;
    memset(out, 0, sizeof *out);
    out->length = n;
    out->null_count = nulls;
    out->n_buffers = 2;
    out->buffers = o->buffers;
    out->release = own_release;
    out->private_data = o;
    return 0;
}

/* ---- fail_on_7, crash_on_13 --------------------------------------------- */

static int fail_on_7(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)state, (void)n_args;
    if (args[0].is_null) {
        out->is_null = 1;
        return 0;
    }
    int64_t id = args[0].v.i64;
    if (id % 10 == 7 || id % 10 == -7) {
        api->set_error(ctx, "fail_on_7: id %lld ends in 7", (long long)id);
        return 1;
    }
    out->v.i64 = id * 2;
    return 0;
}

static int crash_on_13(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)n_args;
    if (args[0].is_null) {
        out->is_null = 1;
        return 0;
    }
    int64_t id = args[0].v.i64;
    if (id % 100 == 13 || id % 100 == -13)
        abort();
    out->v.i64 = id;
    return 0;
}

/* ---- split_words: a struct output from the row kind ---------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int split_words(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out)
{
    (void)ctx, (void)state, (void)n_args;
    if (args[0].is_null) {
        out[0].is_null = 1;
        out[1].is_null = 1;
        return 0;
    }
    const char *s = (const char *)args[0].v.bytes.data;
    int64_t n = args[0].v.bytes.size, count = 0, first_start = -1, first_end = -1;
    for (int64_t i = 0; i < n;) {
        while (i < n && is_space(s[i]))
            i++;
        if (i == n)
            break;
        int64_t start = i;
        while (i < n && !is_space(s[i]))
            i++;
        if (count++ == 0) {
            first_start = start;
            first_end = i;
        }
    }
    if (count == 0) {
        out[0].is_null = 1; /* no first word */
    } else {
        out[0].v.bytes.data = s + first_start; /* points into the argument: allowed */
        out[0].v.bytes.size = first_end - first_start;
    }
    out[1].v.i64 = count;
    return 0;
}

/* ---- label_index: state set up once per worker --------------------------- */

typedef struct labels {
    int n;
    char **names;
} labels;

static void setup_log(const char *what)
{
    const char *path = getenv("GENEVA_DEMO_SETUP_LOG");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    fprintf(f, "%s label_index\n", what);
    fclose(f);
}

static void labels_free(void *state)
{
    labels *l = (labels *)state;
    for (int i = 0; l && i < l->n; i++)
        api->free(l->names[i]);
    if (l)
        api->free(l->names);
    api->free(l);
}

static void label_teardown(void *state)
{
    labels_free(state);
    setup_log("teardown");
}

static int label_setup(gnv_udf_ctx *ctx, void **state)
{
    const char *spec = getenv("GENEVA_DEMO_LABELS");
    if (!spec)
        spec = "cat,dog,bird,fish";
    if (!*spec) {
        api->set_error(ctx, "label_index: GENEVA_DEMO_LABELS is empty");
        return 1;
    }
    labels *l = (labels *)api->malloc(sizeof *l);
    if (!l)
        goto oom;
    l->n = 0;
    l->names = NULL;
    for (const char *p = spec;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char **names = (char **)api->realloc(l->names, (size_t)(l->n + 1) * sizeof *names);
        if (!names)
            goto oom;
        l->names = names;
        l->names[l->n] = (char *)api->malloc(len + 1);
        if (!l->names[l->n])
            goto oom;
        memcpy(l->names[l->n], p, len);
        l->names[l->n++][len] = '\0';
        if (!comma)
            break;
        p = comma + 1;
    }
    api->log(ctx, GNV_UDF_LOG_DEBUG, "loaded %d labels", l->n);
    setup_log("setup");
    *state = l;
    return 0;
oom:
    labels_free(l);
    api->set_error(ctx, "label_index: out of memory loading labels");
    return 1;
}

static int label_index(gnv_udf_ctx *ctx,
                       void *state,
                       const struct ArrowSchema *schema,
                       const struct ArrowArray *batch,
                       struct ArrowArray *out)
{
    (void)schema;
    const labels *l = (const labels *)state;
    const struct ArrowArray *col = batch->children[0];
    gnv_udf_builder *b = NULL;
    if (api->builder_new(ctx, &b) != 0)
        return 1;
    for (int64_t i = 0; i < batch->length; i++) {
        int found = -1;
        if (is_valid(col, i)) {
            int64_t len;
            const char *s = utf8_at(col, i, &len);
            for (int k = 0; k < l->n && found < 0; k++)
                if ((int64_t)strlen(l->names[k]) == len && memcmp(l->names[k], s, (size_t)len) == 0)
                    found = k;
        }
        int rc = found >= 0 ? api->append_int(b, found) : api->append_null(b, 1);
        if (rc != 0) {
            api->builder_free(b);
            return 1;
        }
    }
    if (api->builder_finish(b, out) != 0) {
        api->builder_free(b);
        return 1;
    }
    return 0;
}

/* ---- registration ------------------------------------------------------- */

int gnv_udf_plugin_init(const gnv_host_api *host, gnv_udf_registry *reg)
{
    api = host;
    static const gnv_udf_field text[] = {{"text", "u", 0, NULL}};
    static const gnv_udf_field x[] = {{"x", "g", 0, NULL}};
    static const gnv_udf_field id[] = {{"id", "l", 0, NULL}};
    static const gnv_udf_field label[] = {{"label", "u", 0, NULL}};
    static const gnv_udf_field embed_item[] = {{"item", "f", 0, NULL}};
    static const gnv_udf_field words[] = {{"first", "u", 0, NULL}, {"count", "i", 0, NULL}};
    int rc = 0;

    gnv_udf_def d = GNV_UDF_DEF_INIT("text_len", GNV_UDF_ROW);
    d.fn_version = "1.0";
    d.flags = GNV_UDF_DETERMINISTIC;
    d.params = text;
    d.n_params = 1;
    d.output.format = "i";
    d.call_row = text_len;
    rc = rc ? rc : reg->register_function(reg, &d);

    gnv_udf_def e = GNV_UDF_DEF_INIT("hash_embed", GNV_UDF_ARRAY);
    e.flags = GNV_UDF_DETERMINISTIC;
    e.params = text;
    e.n_params = 1;
    e.output.format = "+w:8";
    e.output.n_children = 1;
    e.output.children = embed_item;
    e.call_array = hash_embed;
    e.memory = 64 << 20;
    rc = rc ? rc : reg->register_function(reg, &e);

    gnv_udf_def s = GNV_UDF_DEF_INIT("slow_double", GNV_UDF_ARRAY);
    s.flags = GNV_UDF_DETERMINISTIC;
    s.params = x;
    s.n_params = 1;
    s.output.format = "g";
    s.call_array = slow_double;
    s.num_cpus = 0.5;
    rc = rc ? rc : reg->register_function(reg, &s);

    gnv_udf_def f = GNV_UDF_DEF_INIT("fail_on_7", GNV_UDF_ROW);
    f.flags = GNV_UDF_DETERMINISTIC;
    f.params = id;
    f.n_params = 1;
    f.output.format = "l";
    f.call_row = fail_on_7;
    rc = rc ? rc : reg->register_function(reg, &f);

    gnv_udf_def c = GNV_UDF_DEF_INIT("crash_on_13", GNV_UDF_ROW);
    c.flags = GNV_UDF_DETERMINISTIC;
    c.params = id;
    c.n_params = 1;
    c.output.format = "l";
    c.call_row = crash_on_13;
    rc = rc ? rc : reg->register_function(reg, &c);

    gnv_udf_def w = GNV_UDF_DEF_INIT("split_words", GNV_UDF_ROW);
    w.flags = GNV_UDF_DETERMINISTIC;
    w.params = text;
    w.n_params = 1;
    w.output.format = "+s";
    w.output.n_children = 2;
    w.output.children = words;
    w.call_row = split_words;
    rc = rc ? rc : reg->register_function(reg, &w);

    gnv_udf_def l = GNV_UDF_DEF_INIT("label_index", GNV_UDF_RECORD_BATCH);
    l.fn_version = "2";
    l.flags = GNV_UDF_DETERMINISTIC;
    l.params = label;
    l.n_params = 1;
    l.output.format = "i";
    l.setup = label_setup;
    l.teardown = label_teardown;
    l.call_batch = label_index;
    rc = rc ? rc : reg->register_function(reg, &l);
    return rc;
}
