/**
 * @file sys/udf_abi.h
 * @brief The UDF plugin ABI, for authors of plugins (shared objects of user functions).
 * @defgroup sys_udf_abi UDF plugin ABI
 *
 * A plugin is a shared object that links against nothing of libgeneva. It exports one
 * symbol, gnv_udf_plugin_init(), which the library calls once per load with a table of
 * host functions (gnv_host_api) and a registry; the plugin registers its functions by
 * calling `reg->register_function(reg, &def)` for each.
 *
 * Compatibility rules (Redis modules, DuckDB extensions):
 * - Every struct that crosses the boundary starts with its size and version. Structs and
 *   tables only grow at their end; fields are never removed, reordered or retyped.
 * - The host reads only the first `size` bytes of a gnv_udf_def, so a plugin built
 *   against an older header keeps working (later fields read as zero).
 * - A function whose definition carries a newer version than the library supports is
 *   rejected with GNV_EVERSION, and the whole plugin with it.
 * - A plugin that uses a host function added after version 1 checks
 *   GNV_HOST_API_HAS(api, member) first.
 *
 * Values cross the boundary as Arrow C Data arrays (arrow_abi.h); the row kind gets a
 * small gnv_udf_value per argument instead. See docs/udf.md for a complete example.
 * @{
 */
#ifndef GENEVA_SYS_UDF_ABI_H
#define GENEVA_SYS_UDF_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "../arrow_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. */
#define GNV_UDF_ABI_VERSION 1

/** printf-style argument checking of host functions, where the compiler has it. */
#if defined(__GNUC__)
#define GNV_UDF_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GNV_UDF_PRINTF(fmt, args)
#endif

/** Marks the plugin's entry point as exported (plugins build with hidden visibility). */
#if defined(__GNUC__)
#define GNV_UDF_EXPORT __attribute__((visibility("default")))
#else
#define GNV_UDF_EXPORT
#endif

/** The context of one call (or of a setup, or of the plugin's init): it carries the
 *  error message and scratch memory. Valid only during the call it was given to. */
typedef struct gnv_udf_ctx gnv_udf_ctx;

/** A builder of an Arrow array, owned by the host (see gnv_host_api.builder_new). */
typedef struct gnv_udf_builder gnv_udf_builder;

/** How a function is called. */
typedef enum gnv_udf_kind {
    /** Once per row with one gnv_udf_value per parameter; writes one value
     *  (gnv_udf_def.call_row). */
    GNV_UDF_ROW = 1,
    /** Once per batch with one Arrow array per parameter; returns one array of the same
     *  length (gnv_udf_def.call_array). */
    GNV_UDF_ARRAY = 2,
    /** Once per batch with the whole batch as a struct array; returns one array of the
     *  same length (gnv_udf_def.call_batch). */
    GNV_UDF_RECORD_BATCH = 3
} gnv_udf_kind;

/** Flags of gnv_udf_def.flags. */
typedef enum gnv_udf_flag {
    /** Same inputs, same output, every time. Backfill checkpoints and resumes assume
     *  it of every function; the flag states it, so tools can warn when it is absent. */
    GNV_UDF_DETERMINISTIC = 1,
    /** Calls must not overlap: the host serialises calls of this function within one
     *  loaded library. Without it, a worker with intra-worker concurrency > 1 may call
     *  the function (with the same state) from several threads at once. */
    GNV_UDF_SERIAL = 2,
    /** Row kind only: a row with a null argument gives a null output without calling
     *  the function. Without it the function is called with the null flag set. */
    GNV_UDF_NULL_SKIP = 4
} gnv_udf_flag;

/** Levels of gnv_host_api.log. */
typedef enum gnv_udf_log_level {
    GNV_UDF_LOG_DEBUG = 0, /**< shown with GENEVA_UDF_LOG=debug */
    GNV_UDF_LOG_INFO = 1,  /**< shown with GENEVA_UDF_LOG=info or debug */
    GNV_UDF_LOG_WARN = 2,  /**< shown by default */
    GNV_UDF_LOG_ERROR = 3  /**< shown unless GENEVA_UDF_LOG=off */
} gnv_udf_log_level;

/**
 * A named Arrow type: a parameter, the output, or a child of either.
 *
 * `format` is an Arrow C Data Interface format string ("i" int32, "l" int64, "g"
 * float64, "f" float32, "u" utf8, "U" large utf8, "z" binary, "b" bool, "+s" struct,
 * "+l" list, "+w:8" fixed-size list of 8, ...). Nested types list their children:
 * a struct one per field (each with a name), a list or fixed-size list exactly one (the
 * item, conventionally named "item"). Other types have no children.
 */
typedef struct gnv_udf_field {
    const char *name;                     /**< parameter or field name */
    const char *format;                   /**< Arrow format string */
    int64_t n_children;                   /**< children of a nested type */
    const struct gnv_udf_field *children; /**< n_children fields */
} gnv_udf_field;

/** Bytes of a (large) utf8, binary or fixed-size binary value. */
typedef struct gnv_udf_bytes {
    const void *data; /**< not NUL-terminated */
    int64_t size;
} gnv_udf_bytes;

/**
 * One value of the row kind.
 *
 * Which member is used follows the declared type: `i64` for signed integers, date32 and
 * timestamp; `u64` for unsigned integers; `f64` for float16/32/64; `b` for bool (0/1);
 * `bytes` for utf8, large utf8, binary, large binary and fixed-size binary.
 * Argument bytes point into the input batch and are valid during the call only.
 * Output bytes must stay valid until the call returns: point into the arguments, the
 * state, static memory, or memory from gnv_host_api.scratch.
 */
typedef struct gnv_udf_value {
    int32_t is_null;  /**< 1: null (then the members below mean nothing) */
    int32_t reserved; /**< zero */
    /** The value, by type. */
    union {
        int64_t i64;         /**< signed integers, date32, timestamps */
        uint64_t u64;        /**< unsigned integers */
        double f64;          /**< float16, float32, float64 */
        int32_t b;           /**< bool: 0 or 1 */
        gnv_udf_bytes bytes; /**< utf8, binary, fixed-size binary (and large variants) */
    } v;
} gnv_udf_value;

/**
 * The table of host functions the plugin receives in gnv_udf_plugin_init(). Valid until
 * the library is unloaded; plugins usually keep the pointer in a static variable.
 * Every function is thread-safe. Functions returning `int` return 0 or a negative code.
 */
typedef struct gnv_host_api {
    uint32_t size;    /**< sizeof(gnv_host_api) as the host was built */
    uint32_t version; /**< GNV_UDF_ABI_VERSION of the host */

    /** Record the error message of the current call (printf-style; the last call wins).
     *  The host reports it as GNV_EUDF once the function returns non-zero. */
    void (*set_error)(gnv_udf_ctx *ctx, const char *fmt, ...) GNV_UDF_PRINTF(2, 3);
    /** Log a message (a gnv_udf_log_level) attributed to the function. */
    void (*log)(gnv_udf_ctx *ctx, int level, const char *fmt, ...) GNV_UDF_PRINTF(3, 4);

    /** Memory from the host's allocator (for state and the like); thread-safe. */
    void *(*malloc)(size_t size);
    void *(*realloc)(void *ptr, size_t size);
    void (*free)(void *ptr);
    /** n bytes owned by the host, valid until the current call returns (row kind: for
     *  output bytes). NULL when out of memory. */
    void *(*scratch)(gnv_udf_ctx *ctx, size_t n);

    /** gnv_udf_def.payload of the function being called (or set up). */
    void *(*payload)(gnv_udf_ctx *ctx);
    /** The Arrow schema of the function's output type (valid during the call). */
    const struct ArrowSchema *(*output_schema)(gnv_udf_ctx *ctx);

    /*
     * Builders (the members from builder_new to builder_free). A plugin may build its
     * output arrays with these instead of allocating its own (which the C Data Interface
     * also allows: any array with a release callback is accepted). builder_new makes an
     * empty builder of the function's output type; children of nested types are reached
     * with builder_child (borrowed, owned by their root). Append to the children of a
     * list, fixed-size list or struct first, then call finish_element on the parent.
     * builder_finish moves the result into *out (`out->release` frees it) and frees the
     * builder; builder_free drops a builder that is not finished. A builder belongs to
     * the call that made it; on failure these set that call's error message.
     */
    int (*builder_new)(gnv_udf_ctx *ctx, gnv_udf_builder **out);
    gnv_udf_builder *(*builder_child)(gnv_udf_builder *b, int64_t i);
    int (*append_null)(gnv_udf_builder *b, int64_t n);
    int (*append_int)(gnv_udf_builder *b, int64_t v);
    int (*append_uint)(gnv_udf_builder *b, uint64_t v);
    int (*append_double)(gnv_udf_builder *b, double v);
    int (*append_bool)(gnv_udf_builder *b, int v);
    int (*append_bytes)(gnv_udf_builder *b, const void *data, size_t n);
    int (*finish_element)(gnv_udf_builder *b);
    int (*builder_finish)(gnv_udf_builder *b, struct ArrowArray *out);
    void (*builder_free)(gnv_udf_builder *b);
    /* Version 1 ends here. New members go below, never above. */
} gnv_host_api;

/** True when the host's table has `member` (use before calling members added after
 *  version 1). */
#define GNV_HOST_API_HAS(api, member)                                                              \
    ((api)->size >= offsetof(gnv_host_api, member) + sizeof((api)->member))

/** Sets up a function's state once per loaded library (per worker). Writes *state;
 *  returns 0, or non-zero after api->set_error(ctx, ...). */
typedef int (*gnv_udf_setup_fn)(gnv_udf_ctx *ctx, void **state);
/** Frees what setup made. */
typedef void (*gnv_udf_teardown_fn)(void *state);
/** Row kind: args has one value per parameter. `out` is zeroed (not null) before the
 *  call; for a struct output it points to one value per struct field. Returns 0, or
 *  non-zero after api->set_error(ctx, ...). */
typedef int (*gnv_udf_row_fn)(
    gnv_udf_ctx *ctx, void *state, const gnv_udf_value *args, int64_t n_args, gnv_udf_value *out);
/** Array kind: one array (and its schema) per parameter, all of the same length. Writes
 *  an array of the output type and of that length to *out. */
typedef int (*gnv_udf_array_fn)(gnv_udf_ctx *ctx,
                                void *state,
                                const struct ArrowSchema *const *schemas,
                                const struct ArrowArray *const *arrays,
                                int64_t n_args,
                                struct ArrowArray *out);
/** Record batch kind: the batch as a struct array ("+s"), its columns the declared
 *  parameters in order (or, with no parameters declared, every column of the input).
 *  Writes an array of the output type and of the batch's length to *out. */
typedef int (*gnv_udf_batch_fn)(gnv_udf_ctx *ctx,
                                void *state,
                                const struct ArrowSchema *schema,
                                const struct ArrowArray *batch,
                                struct ArrowArray *out);

/**
 * The definition of one function, given to gnv_udf_registry.register_function. The host
 * copies everything it keeps (strings, fields), so the definition may live on the stack.
 */
typedef struct gnv_udf_def {
    uint32_t size;    /**< sizeof(gnv_udf_def) */
    uint32_t version; /**< GNV_UDF_ABI_VERSION */
    const char *name; /**< unique in the library: letters, digits, '_', '.', '-' */
    /** The function's version, e.g. "1.2"; NULL: derived from the library's sha256 and
     *  the name, so a changed library is a new version. */
    const char *fn_version;
    int kind;                     /**< a gnv_udf_kind */
    uint32_t flags;               /**< gnv_udf_flag bits */
    const gnv_udf_field *params;  /**< n_params named, typed parameters */
    int64_t n_params;             /**< the record batch kind may declare none */
    gnv_udf_field output;         /**< the output type; its name may be NULL */
    double num_cpus;              /**< resource hint: CPUs per call (0: 1) */
    uint64_t memory;              /**< resource hint: bytes of memory (0: unknown) */
    gnv_udf_setup_fn setup;       /**< optional */
    gnv_udf_teardown_fn teardown; /**< optional */
    gnv_udf_row_fn call_row;      /**< required for GNV_UDF_ROW */
    gnv_udf_array_fn call_array;  /**< required for GNV_UDF_ARRAY */
    gnv_udf_batch_fn call_batch;  /**< required for GNV_UDF_RECORD_BATCH */
    void *payload;                /**< returned by api->payload(ctx) */
} gnv_udf_def;

/** A gnv_udf_def with its size and version set and everything else zero. */
#define GNV_UDF_DEF_INIT(name_, kind_)                                                             \
    {                                                                                              \
        sizeof(gnv_udf_def), GNV_UDF_ABI_VERSION, (name_), NULL, (kind_), 0, NULL, 0,              \
            {NULL, NULL, 0, NULL}, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL                        \
    }

/** The registry a plugin registers its functions into (owned by the host). */
typedef struct gnv_udf_registry gnv_udf_registry;
struct gnv_udf_registry {
    uint32_t size;    /**< sizeof(gnv_udf_registry) as the host was built */
    uint32_t version; /**< GNV_UDF_ABI_VERSION of the host */
    /** Check and copy a definition. Returns 0, or a negative code when the definition
     *  is invalid, its name is taken, or its version is newer than the host's; the
     *  host then fails the whole load with that error. */
    int (*register_function)(gnv_udf_registry *reg, const gnv_udf_def *def);
    /** Context for api->set_error/log during gnv_udf_plugin_init. */
    gnv_udf_ctx *ctx;
};

/** The name of the entry point, for dlsym. */
#define GNV_UDF_PLUGIN_INIT_SYMBOL "gnv_udf_plugin_init"

/**
 * The entry point every plugin defines (and exports: GNV_UDF_EXPORT), called once per
 * load. Returns 0, or non-zero after api->set_error(reg->ctx, ...) to refuse the load.
 */
typedef int (*gnv_udf_plugin_init_fn)(const gnv_host_api *api, gnv_udf_registry *reg);

/** The entry point's declaration, so that a plugin's definition is type-checked. */
GNV_UDF_EXPORT int gnv_udf_plugin_init(const gnv_host_api *api, gnv_udf_registry *reg);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
