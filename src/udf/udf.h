/*
 * udf: loading UDF plugins (dlopen), the host API table they receive, the registry of
 * their functions, and the call layer that runs a function over a batch and validates
 * what it returns. Uses arrow and util only (the store helper writes through the public
 * gnv_io vtable, not the io module).
 *
 * Invariants:
 * - A gnv_udf_function's schemas (params, output) are owned schemas built from the
 *   plugin's definition when it registered; nothing of the plugin's definition memory
 *   is kept except its function pointers and payload.
 * - A function's state is set up at most once per library (under fn->lock) and torn
 *   down at close only when setup succeeded.
 */
#ifndef GNV_UDF_H
#define GNV_UDF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arrow/arrow.h"
#include "geneva/sys/udf_abi.h"
#include "geneva/udf.h"
#include "util/util.h"

/* The largest gnv_udf_def the host understands is sizeof(gnv_udf_def); the smallest it
 * accepts is version 1's (every field up to payload). */
#define GNV_UDF_DEF_MIN_SIZE (offsetof(gnv_udf_def, payload) + sizeof(void *))

struct gnv_udf_function {
    gnv_udf_library *lib;
    char *name;
    char *fn_version;
    int kind;
    uint32_t flags;
    int64_t n_params;
    struct ArrowSchema *params; /* n_params owned schemas */
    struct ArrowSchema output;  /* owned */
    double num_cpus;
    uint64_t memory;
    gnv_udf_setup_fn setup;
    gnv_udf_teardown_fn teardown;
    gnv_udf_row_fn call_row;
    gnv_udf_array_fn call_array;
    gnv_udf_batch_fn call_batch;
    void *payload;

    pthread_mutex_t lock; /* guards setup; serialises calls of GNV_UDF_SERIAL functions */
    bool set_up;
    void *state;
};

/* The dlopen handle, reference-counted: the library holds one reference, and so does
 * every array a plugin returned with its own release callback (which lives in the
 * plugin's code), so the code stays mapped until the last such array is released. */
typedef struct gnv_udf_dl {
    void *handle;
    atomic_long refs;
} gnv_udf_dl;

void gnv__udf_dl_unref(gnv_udf_dl *dl); /* NULL is allowed; the last one dlcloses */

struct gnv_udf_library {
    char *path;
    char sha256[65];
    gnv_udf_dl *dl;
    gnv_udf_function **fns;
    int64_t n_fns;
};

/* The context of one call into the plugin. Lives on the host's stack. */
struct gnv_udf_ctx {
    const gnv_udf_function *fn; /* NULL during the plugin's init */
    gnv_buf error;              /* set_error's message */
    bool has_error;
    int host_code;  /* a host function's failure (e.g. GNV_ENOMEM in a builder), or 0 */
    void **scratch; /* scratch blocks, freed after the call */
    size_t n_scratch;
};

/* The host API table handed to every plugin (udf_host.c). */
extern const gnv_host_api gnv__udf_host_api;

void gnv__udf_ctx_init(gnv_udf_ctx *ctx, const gnv_udf_function *fn);
void gnv__udf_ctx_reset(gnv_udf_ctx *ctx);
/*
 * Turn a plugin's failure (rc != 0) into GNV_EUDF: "<what>: <plugin message>", or
 * "<what> failed (returned rc) without a message". Returns GNV_EUDF, or GNV_ENOMEM when
 * the failure came from the host running out of memory inside a host function.
 */
int gnv__udf_ctx_error(gnv_udf_ctx *ctx, int plugin_rc, const char *what);
/* The return value of the last plugin failure gnv__udf_ctx_error() reported on this
 * thread (0: none since the last call of this), and forget it. Backfills record it as
 * the error's code. */
int gnv__udf_take_rc(void);

/* Check a field tree from a plugin and build an owned schema of it (udf_load.c).
 * Errors name `what` ("function 'f': parameter 'x'"). */
int gnv__udf_field_to_schema(struct ArrowSchema *out,
                             const gnv_udf_field *field,
                             const char *name,
                             const char *what,
                             int depth);

/* Set the function's state up when not done yet (udf_call.c). */
int gnv__udf_function_setup(gnv_udf_function *fn);

/* Tear the function's state down if it was set up; the next call sets it up again. */
void gnv__udf_function_teardown(gnv_udf_function *fn);

/*
 * Copy a file into `_geneva/udfs/<sha256>.so` under an io backend's root, unless it is
 * there already (udf_store.c). `sha256` is 64 hex digits. *out_path (may be NULL) gets
 * the relative path.
 */
int gnv__udf_store(char **out_path, gnv_io *io, const char *src_path, const char *sha256);

#endif
