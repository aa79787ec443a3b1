/**
 * @file udf.h
 * @brief Loading UDF plugins, inspecting their functions and calling them on batches.
 * @defgroup udf User-defined functions
 *
 * A UDF library is a shared object written against sys/udf_abi.h. Opening it loads it
 * (dlopen with RTLD_LOCAL), calls its entry point and checks every function it
 * registers. Functions are then found by name and called on Arrow batches; their
 * output is validated as untrusted data before the caller sees it.
 *
 * Threads: a library handle may be used from several threads once opened (calls of one
 * function may overlap unless it has the GNV_UDF_SERIAL flag, in which case the library
 * serialises them). gnv_udf_library_close() must not overlap any other use.
 * @{
 */
#ifndef GENEVA_UDF_H
#define GENEVA_UDF_H

#include <stdint.h>

#include "arrow_abi.h"
#include "common.h"
#include "sys/io.h"
#include "sys/udf_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded UDF library. */
typedef struct gnv_udf_library gnv_udf_library;
/** A function of a loaded library; borrowed, valid until the library is closed. */
typedef struct gnv_udf_function gnv_udf_function;

/**
 * Load a UDF library and collect the functions it registers.
 *
 * The library's sha256 is computed on the way (gnv_udf_library_sha256()). Function
 * state is not set up here but before a function's first call.
 *
 * @param[out] out the library; close it with gnv_udf_library_close().
 * @param path path of the shared object.
 * @return GNV_OK;
 *         GNV_ENOTFOUND when the file does not exist;
 *         GNV_EINVAL when it cannot be loaded, lacks the gnv_udf_plugin_init entry
 *         point, registers no function, registers a function twice, or registers an
 *         invalid definition (the message names the file, the function and the problem);
 *         GNV_EVERSION when a function was built for a newer ABI than this library's
 *         (the message names the file and both versions);
 *         GNV_EUDF when the entry point fails (with the plugin's message);
 *         GNV_ENOMEM, GNV_EIO.
 * Thread-safe (each call loads its own copy of the plugin's state; the shared object
 * itself is shared by the dynamic loader).
 * @since 0.1
 */
GNV_EXTERN int gnv_udf_library_open(gnv_udf_library **out, const char *path);

/**
 * Tear down every function state that was set up, unload the library and free the
 * handle. NULL is allowed. Arrays returned by gnv_udf_call() stay valid: the shared
 * object stays mapped until the last array whose release callback is plugin code has
 * been released.
 * @since 0.1
 */
GNV_EXTERN void gnv_udf_library_close(gnv_udf_library *lib);

/** The path the library was opened from (borrowed, lives as long as lib). @since 0.1 */
GNV_EXTERN const char *gnv_udf_library_path(const gnv_udf_library *lib);

/** Lower-case hex sha256 of the library's file (64 characters; borrowed). @since 0.1 */
GNV_EXTERN const char *gnv_udf_library_sha256(const gnv_udf_library *lib);

/** Number of functions the library registered. @since 0.1 */
GNV_EXTERN int64_t gnv_udf_library_count(const gnv_udf_library *lib);

/**
 * The i-th function (0 <= i < count, in registration order), or NULL when out of range.
 * @since 0.1
 */
GNV_EXTERN const gnv_udf_function *gnv_udf_library_get(const gnv_udf_library *lib, int64_t i);

/**
 * Find a function by name.
 * @param[out] out the function (borrowed).
 * @return GNV_OK, or GNV_ENOTFOUND naming the function and the library.
 * @since 0.1
 */
GNV_EXTERN int
gnv_udf_library_find(const gnv_udf_function **out, const gnv_udf_library *lib, const char *name);

/**
 * Copy the library into `_geneva/udfs/<sha256>.so` under an I/O backend's root (a
 * table's directory), atomically (written to a temporary name, then linked into place).
 * Nothing is written when the file is already there.
 * @param[out] out_path NULL, or the relative path written (free with gnv_free()).
 * @return GNV_OK, GNV_EIO, GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_udf_library_store(char **out_path, const gnv_udf_library *lib, gnv_io *io);

/** The function's name (borrowed). @since 0.1 */
GNV_EXTERN const char *gnv_udf_function_name(const gnv_udf_function *fn);
/** The function's version: the one it declared, or one derived from the library's sha256
 *  and the function name (16 hex digits). Borrowed. @since 0.1 */
GNV_EXTERN const char *gnv_udf_function_version(const gnv_udf_function *fn);
/** The function's kind (a gnv_udf_kind). @since 0.1 */
GNV_EXTERN int gnv_udf_function_kind(const gnv_udf_function *fn);
/** The function's gnv_udf_flag bits. @since 0.1 */
GNV_EXTERN uint32_t gnv_udf_function_flags(const gnv_udf_function *fn);
/** Number of declared parameters. @since 0.1 */
GNV_EXTERN int64_t gnv_udf_function_param_count(const gnv_udf_function *fn);
/** Parameter i as a schema (name and type); NULL when out of range. Borrowed. @since 0.1 */
GNV_EXTERN const struct ArrowSchema *gnv_udf_function_param(const gnv_udf_function *fn, int64_t i);
/** The output type as a schema (named after the output field, else the function).
 *  Borrowed. @since 0.1 */
GNV_EXTERN const struct ArrowSchema *gnv_udf_function_output(const gnv_udf_function *fn);
/** Resource hint: CPUs per call (at least 1). @since 0.1 */
GNV_EXTERN double gnv_udf_function_num_cpus(const gnv_udf_function *fn);
/** Resource hint: bytes of memory per worker (0: unknown). @since 0.1 */
GNV_EXTERN uint64_t gnv_udf_function_memory(const gnv_udf_function *fn);

/**
 * The function's definition as one line of JSON:
 * `{"name", "version", "library_sha256", "kind" ("row", "array", "record_batch"),
 * "params": [{"name", "type"}], "output", "deterministic", "serial", "null_skip",
 * "num_cpus", "memory"}`, types written as text ("utf8", "fixed_size_list<float32, 8>").
 * @param[out] out the JSON text; free with gnv_free().
 * @return GNV_OK, GNV_ENOMEM.
 * @since 0.1
 */
GNV_EXTERN int gnv_udf_function_describe(char **out, const gnv_udf_function *fn);

/**
 * Run a function over a batch.
 *
 * The batch is a struct array ("+s") whose columns are bound to the parameters by
 * position: it must have exactly one column per parameter, of the parameter's type
 * (formats compared recursively; names and nullability are not). A record batch
 * function that declares no parameters gets the batch as it is. The batch's own
 * struct-level validity is ignored (record batches have none); its offset is honoured.
 *
 * Row kind: the function is called once per row, null arguments included (with their
 * null flag set) unless it has GNV_UDF_NULL_SKIP, in which case such rows give null.
 * The function's state is set up before its first call (once per loaded library).
 *
 * @param[out] out an array of the output type with the batch's length; the caller
 *             releases it. Untouched on failure.
 * @param fn the function.
 * @param schema the batch's schema.
 * @param batch the batch (borrowed).
 * @return GNV_OK;
 *         GNV_EINVAL when the batch does not match the parameters;
 *         GNV_EUDF when the function (or its setup) fails, with its message, or when
 *         it returns an invalid array (wrong length or type, bad buffers; the message
 *         names the function);
 *         GNV_ENOMEM.
 * Thread-safe (see the file's threading note).
 * @since 0.1
 */
GNV_EXTERN int gnv_udf_call(struct ArrowArray *out,
                            const gnv_udf_function *fn,
                            const struct ArrowSchema *schema,
                            const struct ArrowArray *batch);

/**
 * Split a function spec "LIBRARY:FUNCTION" (as the CLI takes it) at its last ':'.
 * @param[out] out_library the library path (free with gnv_free()).
 * @param[out] out_function the function name (free with gnv_free()).
 * @return GNV_OK, or GNV_EINVAL when either part is missing or empty.
 * @since 0.1
 */
GNV_EXTERN int gnv_udf_spec_parse(char **out_library, char **out_function, const char *spec);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
