/* Loading a UDF library: dlopen, the entry point, the registry that checks and copies
 * each definition, and the accessors of the public API. */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "udf.h"

#define MAX_NAME_LEN   128
#define MAX_TYPE_DEPTH 16

/* The registry handed to a plugin; `pub` first so the plugin's pointer converts back. */
typedef struct host_registry {
    gnv_udf_registry pub;
    gnv_udf_library *lib;
    int failed;   /* the first registration error's code, or 0 */
    gnv_buf fail; /* and its message */
} host_registry;

/* ---- checking definitions ----------------------------------------------- */

static bool valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > MAX_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static int children_expected(gnv_type_id id)
{
    switch (id) {
    case GNV_TYPE_STRUCT:
        return -1; /* at least one */
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
    case GNV_TYPE_FIXED_SIZE_LIST:
        return 1;
    default:
        return 0;
    }
}

int gnv__udf_field_to_schema(struct ArrowSchema *out,
                             const gnv_udf_field *field,
                             const char *name,
                             const char *what,
                             int depth)
{
    int rc = GNV_OK;
    gnv_type t;
    memset(out, 0, sizeof *out);
    GNV_ERR_IF(depth > MAX_TYPE_DEPTH, GNV_EINVAL, GNV_SUB_UDF,
               "%s: type nested deeper than %d levels", what, MAX_TYPE_DEPTH);
    GNV_ERR_IF(!field->format || !*field->format, GNV_EINVAL, GNV_SUB_UDF, "%s: no type given",
               what);
    if (gnv__type_parse(&t, field->format) < 0)
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_UDF, "%s: unknown type '%s'", what, field->format);
    int want = children_expected(t.id);
    GNV_ERR_IF(field->n_children < 0 || (field->n_children > 0 && !field->children), GNV_EINVAL,
               GNV_SUB_UDF, "%s: n_children is %lld but children is NULL", what,
               (long long)field->n_children);
    GNV_ERR_IF(want == -1 && field->n_children == 0, GNV_EINVAL, GNV_SUB_UDF,
               "%s: struct type '%s' without children (describe each field in children)", what,
               field->format);
    GNV_ERR_IF(want == 1 && field->n_children != 1, GNV_EINVAL, GNV_SUB_UDF,
               "%s: %s type '%s' needs exactly one child (its item type), got %lld", what,
               gnv__type_id_name(t.id), field->format, (long long)field->n_children);
    GNV_ERR_IF(want == 0 && field->n_children != 0, GNV_EINVAL, GNV_SUB_UDF,
               "%s: type '%s' takes no children, got %lld", what, field->format,
               (long long)field->n_children);

    GNV_TRYG(gnv__schema_init(out, field->format, name ? name : "", ARROW_FLAG_NULLABLE));
    if (field->n_children > 0) {
        GNV_TRYG(gnv__schema_alloc_children(out, field->n_children));
        for (int64_t i = 0; i < field->n_children; i++) {
            const gnv_udf_field *c = &field->children[i];
            const char *cname = c->name;
            if (t.id == GNV_TYPE_STRUCT) {
                GNV_ERR_IF(!cname || !*cname, GNV_EINVAL, GNV_SUB_UDF,
                           "%s: struct field %lld has no name", what, (long long)i);
                for (int64_t j = 0; j < i; j++)
                    GNV_ERR_IF(field->children[j].name &&
                                   strcmp(field->children[j].name, cname) == 0,
                               GNV_EINVAL, GNV_SUB_UDF, "%s: struct field '%s' appears twice", what,
                               cname);
            } else if (!cname || !*cname) {
                cname = "item";
            }
            char sub[512];
            snprintf(sub, sizeof sub, "%s.%s", what, cname);
            GNV_TRYG(gnv__udf_field_to_schema(out->children[i], c, cname, sub, depth + 1));
        }
    }
    return GNV_OK;
done:
    gnv__schema_release(out);
    return rc;
}

/* Types a row-kind function can take or give one value of. */
static bool row_scalar(const struct ArrowSchema *s)
{
    gnv_type t;
    if (gnv__type_parse(&t, s->format) < 0)
        return false;
    return t.id != GNV_TYPE_NA && !gnv__type_is_nested(t.id);
}

static void function_free(gnv_udf_function *fn)
{
    if (!fn)
        return;
    gnv__free(fn->name);
    gnv__free(fn->fn_version);
    for (int64_t i = 0; i < fn->n_params; i++)
        gnv__schema_release(&fn->params[i]);
    gnv__free(fn->params);
    gnv__schema_release(&fn->output);
    pthread_mutex_destroy(&fn->lock);
    gnv__free(fn);
}

/* The version derived from the library's sha256 and the function name. */
static char *derived_version(const gnv_udf_library *lib, const char *name)
{
    gnv_buf b = GNV_BUF_INIT;
    uint8_t digest[32];
    char hex[65];
    char *v = NULL;
    if (gnv__buf_printf(&b, "%s:%s", lib->sha256, name) == GNV_OK &&
        gnv__sha256(digest, b.ptr, b.size) == GNV_OK) {
        gnv__hex(hex, digest, 8);
        v = gnv__strdup(hex);
        if (!v)
            gnv__error_oom();
    }
    gnv_buf_dispose(&b);
    return v;
}

/* Check a definition and turn it into a function (the plugin's memory is not kept). */
static int function_from_def(gnv_udf_function **out, gnv_udf_library *lib, const gnv_udf_def *in)
{
    int rc = GNV_OK;
    gnv_udf_def def;
    gnv_udf_function *fn = NULL;
    char what[MAX_NAME_LEN + 64];

    *out = NULL;
    GNV_ERR_IF(!in, GNV_EINVAL, GNV_SUB_UDF, "register_function: NULL definition");
    GNV_ERR_IF(in->version == 0, GNV_EINVAL, GNV_SUB_UDF,
               "register_function: definition has version 0 (use GNV_UDF_DEF_INIT)");
    GNV_ERR_IF(in->version > GNV_UDF_ABI_VERSION, GNV_EVERSION, GNV_SUB_UDF,
               "function '%.128s' was built for UDF ABI version %u, but this library supports "
               "up to version %u; rebuild the plugin against this library's headers",
               in->size >= offsetof(gnv_udf_def, name) + sizeof(char *) && in->name ? in->name
                                                                                    : "?",
               (unsigned)in->version, (unsigned)GNV_UDF_ABI_VERSION);
    GNV_ERR_IF(in->size < GNV_UDF_DEF_MIN_SIZE, GNV_EINVAL, GNV_SUB_UDF,
               "register_function: definition size %u is smaller than version 1's (%zu)",
               (unsigned)in->size, (size_t)GNV_UDF_DEF_MIN_SIZE);
    memset(&def, 0, sizeof def);
    memcpy(&def, in, GNV_MIN((size_t)in->size, sizeof def));

    GNV_ERR_IF(!def.name, GNV_EINVAL, GNV_SUB_UDF, "register_function: function without a name");
    GNV_ERR_IF(!valid_name(def.name), GNV_EINVAL, GNV_SUB_UDF,
               "function '%.128s': invalid name (1 to %d letters, digits, '_', '.', '-')", def.name,
               MAX_NAME_LEN);
    snprintf(what, sizeof what, "function '%s'", def.name);
    GNV_ERR_IF(def.kind < GNV_UDF_ROW || def.kind > GNV_UDF_RECORD_BATCH, GNV_EINVAL, GNV_SUB_UDF,
               "%s: unknown kind %d", what, def.kind);
    GNV_ERR_IF(def.kind == GNV_UDF_ROW && !def.call_row, GNV_EINVAL, GNV_SUB_UDF,
               "%s: row kind without call_row", what);
    GNV_ERR_IF(def.kind == GNV_UDF_ARRAY && !def.call_array, GNV_EINVAL, GNV_SUB_UDF,
               "%s: array kind without call_array", what);
    GNV_ERR_IF(def.kind == GNV_UDF_RECORD_BATCH && !def.call_batch, GNV_EINVAL, GNV_SUB_UDF,
               "%s: record batch kind without call_batch", what);
    uint32_t known = GNV_UDF_DETERMINISTIC | GNV_UDF_SERIAL | GNV_UDF_NULL_SKIP;
    GNV_ERR_IF(def.flags & ~known, GNV_EINVAL, GNV_SUB_UDF, "%s: unknown flags 0x%x", what,
               (unsigned)(def.flags & ~known));
    GNV_ERR_IF((def.flags & GNV_UDF_NULL_SKIP) && def.kind != GNV_UDF_ROW, GNV_EINVAL, GNV_SUB_UDF,
               "%s: GNV_UDF_NULL_SKIP applies to the row kind only", what);
    GNV_ERR_IF(def.n_params < 0 || (def.n_params > 0 && !def.params), GNV_EINVAL, GNV_SUB_UDF,
               "%s: n_params is %lld but params is NULL", what, (long long)def.n_params);
    GNV_ERR_IF(def.n_params == 0 && def.kind != GNV_UDF_RECORD_BATCH, GNV_EINVAL, GNV_SUB_UDF,
               "%s: declares no parameters (only the record batch kind may)", what);
    GNV_ERR_IF(def.n_params > 4096, GNV_EINVAL, GNV_SUB_UDF, "%s: too many parameters (%lld)", what,
               (long long)def.n_params);
    GNV_ERR_IF(!def.output.format, GNV_EINVAL, GNV_SUB_UDF, "%s: no output type", what);
    GNV_ERR_IF(!(def.num_cpus >= 0) || isinf(def.num_cpus), GNV_EINVAL, GNV_SUB_UDF,
               "%s: num_cpus must be >= 0, got %g", what, def.num_cpus);
    GNV_ERR_IF(def.fn_version && (!*def.fn_version || strlen(def.fn_version) > MAX_NAME_LEN),
               GNV_EINVAL, GNV_SUB_UDF, "%s: fn_version must have 1 to %d characters", what,
               MAX_NAME_LEN);

    fn = gnv__calloc(1, sizeof *fn);
    GNV_CHECK_ALLOC(fn);
    pthread_mutex_init(&fn->lock, NULL);
    fn->lib = lib;
    fn->name = gnv__strdup(def.name);
    GNV_CHECK_ALLOC(fn->name);
    fn->fn_version = def.fn_version ? gnv__strdup(def.fn_version) : derived_version(lib, def.name);
    GNV_CHECK_ALLOC(fn->fn_version);
    fn->kind = def.kind;
    fn->flags = def.flags;
    fn->num_cpus = def.num_cpus > 0 ? def.num_cpus : 1;
    fn->memory = def.memory;
    fn->setup = def.setup;
    fn->teardown = def.teardown;
    fn->call_row = def.call_row;
    fn->call_array = def.call_array;
    fn->call_batch = def.call_batch;
    fn->payload = def.payload;

    if (def.n_params > 0) {
        fn->params = gnv__calloc((size_t)def.n_params, sizeof *fn->params);
        GNV_CHECK_ALLOC(fn->params);
    }
    for (int64_t i = 0; i < def.n_params; i++) {
        const gnv_udf_field *p = &def.params[i];
        char pwhat[sizeof what + MAX_NAME_LEN + 32];
        GNV_ERR_IF(!p->name || !valid_name(p->name), GNV_EINVAL, GNV_SUB_UDF,
                   "%s: parameter %lld has %s name", what, (long long)i,
                   p->name ? "an invalid" : "no");
        for (int64_t j = 0; j < i; j++)
            GNV_ERR_IF(strcmp(def.params[j].name, p->name) == 0, GNV_EINVAL, GNV_SUB_UDF,
                       "%s: parameter '%s' appears twice", what, p->name);
        snprintf(pwhat, sizeof pwhat, "%s: parameter '%s'", what, p->name);
        GNV_TRYG(gnv__udf_field_to_schema(&fn->params[i], p, p->name, pwhat, 0));
        fn->n_params = i + 1;
        GNV_ERR_IF(def.kind == GNV_UDF_ROW && !row_scalar(&fn->params[i]), GNV_EINVAL, GNV_SUB_UDF,
                   "%s: the row kind takes scalar parameters only; use the array kind for '%s'",
                   pwhat, p->format);
    }
    char owhat[sizeof what + 16];
    snprintf(owhat, sizeof owhat, "%s: output", what);
    GNV_TRYG(gnv__udf_field_to_schema(
        &fn->output, &def.output, def.output.name && *def.output.name ? def.output.name : def.name,
        owhat, 0));
    if (def.kind == GNV_UDF_ROW) {
        bool ok = row_scalar(&fn->output);
        if (!ok && strcmp(fn->output.format, "+s") == 0) {
            ok = true;
            for (int64_t i = 0; i < fn->output.n_children; i++)
                ok = ok && row_scalar(fn->output.children[i]);
        }
        GNV_ERR_IF(!ok, GNV_EINVAL, GNV_SUB_UDF,
                   "%s: the row kind gives a scalar or a struct of scalars; use the array "
                   "kind for '%s'",
                   owhat, def.output.format);
    }
    *out = fn;
    return GNV_OK;
done:
    function_free(fn);
    return rc;
}

static int reg_register(gnv_udf_registry *pub, const gnv_udf_def *def)
{
    host_registry *reg = (host_registry *)pub;
    gnv_udf_library *lib = reg->lib;
    gnv_udf_function *fn = NULL;
    int rc = GNV_OK;

    if (reg->failed)
        return reg->failed; /* the load fails anyway; keep the first message */
    GNV_TRYG(function_from_def(&fn, lib, def));
    for (int64_t i = 0; i < lib->n_fns; i++)
        GNV_ERR_IF(strcmp(lib->fns[i]->name, fn->name) == 0, GNV_EINVAL, GNV_SUB_UDF,
                   "function '%s' is registered twice", fn->name);
    gnv_udf_function **fns = gnv__reallocarray(lib->fns, (size_t)lib->n_fns + 1, sizeof *fns);
    GNV_CHECK_ALLOC(fns);
    lib->fns = fns;
    lib->fns[lib->n_fns++] = fn;
    return GNV_OK;
done:
    function_free(fn);
    reg->failed = rc;
    gnv__buf_clear(&reg->fail);
    const gnv_error *e = gnv_error_last();
    if (gnv__buf_puts(&reg->fail, e && e->message ? e->message : "registration failed") < 0)
        gnv__buf_clear(&reg->fail);
    return rc;
}

/* ---- open and close ----------------------------------------------------- */

int gnv_udf_library_open(gnv_udf_library **out, const char *path)
{
    int rc = GNV_OK;
    gnv_udf_library *lib = NULL;
    host_registry reg;
    gnv_udf_ctx ctx;
    char *load_path = NULL;
    uint8_t digest[32];
    struct stat st;

    memset(&reg, 0, sizeof reg);
    gnv__udf_ctx_init(&ctx, NULL);
    if (!out || !path || !*path)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_UDF, "gnv_udf_library_open: no path given");
    *out = NULL;
    if (stat(path, &st) != 0) {
        int err = errno;
        rc = gnv__error_os(GNV_SUB_UDF, err, "cannot open UDF library '%s'", path);
        if (err == ENOENT)
            rc =
                gnv__error_set(GNV_ENOTFOUND, GNV_SUB_UDF, "UDF library '%s' does not exist", path);
        return rc;
    }
    GNV_ERR_IF(!S_ISREG(st.st_mode), GNV_EINVAL, GNV_SUB_UDF,
               "UDF library '%s' is not a regular file", path);
    lib = gnv__calloc(1, sizeof *lib);
    GNV_CHECK_ALLOC(lib);
    lib->path = gnv__strdup(path);
    GNV_CHECK_ALLOC(lib->path);
    GNV_TRYG(gnv__sha256_file(digest, path));
    gnv__hex(lib->sha256, digest, 32);

    /* dlopen searches the library path for names without a slash: make it a path. */
    if (strchr(path, '/')) {
        load_path = gnv__strdup(path);
    } else {
        size_t n = strlen(path) + 3;
        load_path = gnv__malloc(n);
        if (load_path)
            snprintf(load_path, n, "./%s", path);
    }
    GNV_CHECK_ALLOC(load_path);
    lib->dl = gnv__calloc(1, sizeof *lib->dl);
    GNV_CHECK_ALLOC(lib->dl);
    atomic_init(&lib->dl->refs, 1);
    dlerror();
    lib->dl->handle = dlopen(load_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib->dl->handle) {
        const char *why = dlerror();
        GNV_ERR_IF(true, GNV_EINVAL, GNV_SUB_UDF, "cannot load UDF library '%s': %s", path,
                   why ? why : "unknown reason");
    }
    dlerror();
    void *sym = dlsym(lib->dl->handle, GNV_UDF_PLUGIN_INIT_SYMBOL);
    GNV_ERR_IF(!sym, GNV_EINVAL, GNV_SUB_UDF,
               "'%s' is not a UDF library: it does not export %s (declare it with "
               "GNV_UDF_EXPORT)",
               path, GNV_UDF_PLUGIN_INIT_SYMBOL);
    gnv_udf_plugin_init_fn init;
    memcpy(&init, &sym, sizeof init); /* object pointer to function pointer, as POSIX allows */

    reg.pub.size = sizeof reg.pub;
    reg.pub.version = GNV_UDF_ABI_VERSION;
    reg.pub.register_function = reg_register;
    reg.pub.ctx = &ctx;
    reg.lib = lib;
    int prc = init(&gnv__udf_host_api, &reg.pub);
    if (reg.failed) {
        rc = gnv__error_set(reg.failed, GNV_SUB_UDF, "%s: %s", path,
                            reg.fail.ptr ? reg.fail.ptr : "registration failed");
        goto done;
    }
    if (prc != 0) {
        char what[1024];
        snprintf(what, sizeof what, "%s: %s", path, GNV_UDF_PLUGIN_INIT_SYMBOL);
        rc = gnv__udf_ctx_error(&ctx, prc, what);
        goto done;
    }
    GNV_ERR_IF(lib->n_fns == 0, GNV_EINVAL, GNV_SUB_UDF, "UDF library '%s' registers no function",
               path);
    *out = lib;
    lib = NULL;
done:
    gnv__udf_ctx_reset(&ctx);
    gnv_buf_dispose(&reg.fail);
    gnv__free(load_path);
    gnv_udf_library_close(lib);
    return rc;
}

void gnv__udf_dl_unref(gnv_udf_dl *dl)
{
    if (!dl || atomic_fetch_sub(&dl->refs, 1) != 1)
        return;
    if (dl->handle)
        dlclose(dl->handle);
    gnv__free(dl);
}

void gnv_udf_library_close(gnv_udf_library *lib)
{
    if (!lib)
        return;
    for (int64_t i = 0; i < lib->n_fns; i++) {
        gnv__udf_function_teardown(lib->fns[i]);
        function_free(lib->fns[i]);
    }
    gnv__free(lib->fns);
    gnv__udf_dl_unref(lib->dl);
    gnv__free(lib->path);
    gnv__free(lib);
}

/* ---- accessors ---------------------------------------------------------- */

const char *gnv_udf_library_path(const gnv_udf_library *lib)
{
    return lib ? lib->path : NULL;
}

const char *gnv_udf_library_sha256(const gnv_udf_library *lib)
{
    return lib ? lib->sha256 : NULL;
}

int64_t gnv_udf_library_count(const gnv_udf_library *lib)
{
    return lib ? lib->n_fns : 0;
}

const gnv_udf_function *gnv_udf_library_get(const gnv_udf_library *lib, int64_t i)
{
    if (!lib || i < 0 || i >= lib->n_fns)
        return NULL;
    return lib->fns[i];
}

int gnv_udf_library_find(const gnv_udf_function **out, const gnv_udf_library *lib, const char *name)
{
    if (!out || !lib || !name)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_UDF, "gnv_udf_library_find: NULL argument");
    *out = NULL;
    for (int64_t i = 0; i < lib->n_fns; i++) {
        if (strcmp(lib->fns[i]->name, name) == 0) {
            *out = lib->fns[i];
            return GNV_OK;
        }
    }
    return gnv__error_set(GNV_ENOTFOUND, GNV_SUB_UDF, "UDF library '%s' has no function '%s'",
                          lib->path, name);
}

int gnv_udf_library_store(char **out_path, const gnv_udf_library *lib, gnv_io *io)
{
    if (out_path)
        *out_path = NULL;
    if (!lib || !io)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_UDF, "gnv_udf_library_store: NULL argument");
    return gnv__udf_store(out_path, io, lib->path, lib->sha256);
}

const char *gnv_udf_function_name(const gnv_udf_function *fn)
{
    return fn ? fn->name : NULL;
}

const char *gnv_udf_function_version(const gnv_udf_function *fn)
{
    return fn ? fn->fn_version : NULL;
}

int gnv_udf_function_kind(const gnv_udf_function *fn)
{
    return fn ? fn->kind : 0;
}

uint32_t gnv_udf_function_flags(const gnv_udf_function *fn)
{
    return fn ? fn->flags : 0;
}

int64_t gnv_udf_function_param_count(const gnv_udf_function *fn)
{
    return fn ? fn->n_params : 0;
}

const struct ArrowSchema *gnv_udf_function_param(const gnv_udf_function *fn, int64_t i)
{
    if (!fn || i < 0 || i >= fn->n_params)
        return NULL;
    return &fn->params[i];
}

const struct ArrowSchema *gnv_udf_function_output(const gnv_udf_function *fn)
{
    return fn ? &fn->output : NULL;
}

double gnv_udf_function_num_cpus(const gnv_udf_function *fn)
{
    return fn ? fn->num_cpus : 0;
}

uint64_t gnv_udf_function_memory(const gnv_udf_function *fn)
{
    return fn ? fn->memory : 0;
}

/* ---- specs -------------------------------------------------------------- */

int gnv_udf_spec_parse(char **out_library, char **out_function, const char *spec)
{
    int rc = GNV_OK;
    char *l = NULL, *f = NULL;
    if (out_library)
        *out_library = NULL;
    if (out_function)
        *out_function = NULL;
    GNV_ERR_IF(!out_library || !out_function || !spec, GNV_EINVAL, GNV_SUB_UDF,
               "gnv_udf_spec_parse: NULL argument");
    const char *colon = strrchr(spec, ':');
    GNV_ERR_IF(!colon, GNV_EINVAL, GNV_SUB_UDF,
               "UDF spec '%s' has no ':' (expected LIBRARY:FUNCTION, e.g. libudfs.so:embed)", spec);
    GNV_ERR_IF(colon == spec, GNV_EINVAL, GNV_SUB_UDF,
               "UDF spec '%s' has no library before ':' (expected LIBRARY:FUNCTION)", spec);
    GNV_ERR_IF(colon[1] == '\0', GNV_EINVAL, GNV_SUB_UDF,
               "UDF spec '%s' has no function after ':' (expected LIBRARY:FUNCTION)", spec);
    l = gnv__strndup(spec, (size_t)(colon - spec));
    f = gnv__strdup(colon + 1);
    GNV_CHECK_ALLOC(l);
    GNV_CHECK_ALLOC(f);
    *out_library = l;
    *out_function = f;
    return GNV_OK;
done:
    gnv__free(l);
    gnv__free(f);
    return rc;
}
