/**
 * @file job.h
 * @brief Virtual columns computed by UDFs, and the backfill jobs that fill them.
 * @defgroup job Virtual columns and backfill jobs
 *
 * A virtual column is an ordinary nullable column whose field metadata (key
 * `geneva.udf`) holds its definition: the function, its version, the sha256 of the
 * library it comes from (a copy kept in the table's `_geneva/udfs/`), its input columns
 * and its output type. A backfill computes the column for the rows a filter selects,
 * checkpointing each batch of results under `_geneva/checkpoints/` before the next, and
 * commits new data files for the column (a Lance DataReplacement) every
 * `commit_granularity` fragments. Running the same backfill again after a failure or a
 * crash resumes: batches whose checkpoints exist are not computed again. UDFs must be
 * deterministic.
 *
 * Threading: as for tables, a handle is used from one thread at a time; backfills of
 * the same table may run in several processes at once (commits rebase).
 * @{
 */
#ifndef GENEVA_JOB_H
#define GENEVA_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "db.h"
#include "udf.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The field metadata key that holds a virtual column's definition (JSON). */
#define GNV_UDF_METADATA_KEY "geneva.udf"

/**
 * Add a virtual column computed by a UDF. Nothing is written when validation fails.
 *
 * The function's library is copied to the table's `_geneva/udfs/<sha256>.so` and the
 * column is added as NULL in every row (a schema-only Lance Merge) with its definition
 * in its field metadata under GNV_UDF_METADATA_KEY: `{"function", "version",
 * "library" ("<sha256>.so"), "kind", "inputs": [...], "output" (the type as text)}`.
 * Fill it with gnv_table_backfill(). The handle moves to the new version.
 *
 * @param name the new column: not empty, not an existing column, not `_rowid`/`_rowaddr`.
 * @param fn a function of an open library (gnv_udf_library_find()).
 * @param inputs the table columns bound to the function's parameters, by position; NULL
 *        binds each parameter to the column of the same name. A record-batch function
 *        declaring no parameters takes no inputs.
 * @param n_inputs number of inputs (ignored when inputs is NULL).
 * @return GNV_OK;
 *         GNV_EEXISTS (a column of that name exists);
 *         GNV_ENOTFOUND (an input column does not exist, naming it);
 *         GNV_EINVAL (a bad name; as many inputs as parameters are required; an input's
 *         type differs from its parameter's, naming both; a read-only handle);
 *         GNV_EINVAL (a function with a struct output, i.e. a multi-column UDF: use
 *         gnv_table_add_udf_columns());
 *         GNV_ECONFLICT; GNV_EIO; GNV_ENOMEM.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_add_udf_column(gnv_table *t,
                                        const char *name,
                                        const gnv_udf_function *fn,
                                        const char *const *inputs,
                                        size_t n_inputs);

/**
 * Swap a virtual column's UDF (LanceDB Geneva's `alter_columns` with a new `udf`): its
 * definition (field metadata GNV_UDF_METADATA_KEY) gets the new function's name,
 * version, library sha256 and kind, and the inputs; its error policy and output type
 * are kept. Only the schema changes (a Lance Project): the column's values stay those
 * of the old function until the next backfill (run one with `where` "1=1" to recompute
 * every row; checkpoints of the old function are never reused, their keys name the
 * function and its version). The library is copied to `_geneva/udfs/<sha256>.so`.
 * The handle moves to the new version. On a member of a multi-column group
 * (gnv_table_add_udf_columns()), every member's definition changes in that one
 * version: the group gets the new function, whose output must be the group's struct
 * type (the same field names and types).
 *
 * @param column a virtual column.
 * @param fn a function of an open library; its output type must be the column's (for a
 *        group member: the group's).
 * @param inputs the columns bound to its parameters, by position; NULL keeps the
 *        column's inputs.
 * @param n_inputs number of inputs (ignored when inputs is NULL).
 * @return GNV_OK;
 *         GNV_ENOTFOUND (no such column; an input column does not exist, naming it);
 *         GNV_EINVAL (not a virtual column; the output type differs from the column's
 *         (for a group member, from the group's: the message names the group), or an
 *         input's from its parameter's, naming both; a parameter count that
 *         differs from the inputs'; a read-only handle);
 *         GNV_ECONFLICT; GNV_EIO; GNV_ENOMEM.
 * @since 0.4
 */
GNV_EXTERN int gnv_table_alter_udf_column(gnv_table *t,
                                          const char *column,
                                          const gnv_udf_function *fn,
                                          const char *const *inputs,
                                          size_t n_inputs);

/** What a backfill does when its function fails on a batch (gnv_on_error.action). */
typedef enum gnv_on_error_action {
    GNV_ON_ERROR_DEFAULT = 0, /**< the column's policy (backfill), else fail */
    GNV_ON_ERROR_FAIL = 1,    /**< the first error stops the job (the default) */
    GNV_ON_ERROR_RETRY = 2,   /**< try the batch again (`attempts`), then fail */
    GNV_ON_ERROR_SKIP = 3     /**< (after the retries) leave the failing rows NULL */
} gnv_on_error_action;

/**
 * An error policy: of a virtual column (gnv_table_add_udf_column_v2(), kept in its
 * definition as "on_error") or of one backfill (gnv_backfill_options.on_error).
 *
 * Retry: a failing batch is run again up to `attempts` times in all, waiting
 * `backoff_ms` * 2^(attempt - 1) (at most `max_backoff_ms`) plus up to 50% random
 * jitter before each new attempt. Only errors that match are retried: when `match` is
 * set the message must contain it, when `match_code` is not 0 the error code must equal
 * it, and with `transient_only` the error must be transient: a worker crash, out of
 * memory, an I/O error, or a function error whose code is GNV_UDF_RC_TRANSIENT (a
 * plugin returns that value from a call to mark its failure as worth retrying).
 *
 * Skip: a batch that still fails is applied again row by row (under the process
 * executor, a batch whose worker crashed is applied row by row in fresh workers); the
 * rows that fail alone are left NULL and recorded in `geneva_errors`, the others get
 * their values. The job fails once more rows were skipped than `max_skipped_rows` (-1:
 * no limit) or than the fraction `max_skipped_fraction` of its rows (0: no limit).
 */
typedef struct gnv_on_error {
    unsigned int version;        /**< GNV_ON_ERROR_VERSION */
    int action;                  /**< a gnv_on_error_action */
    int attempts;                /**< tries of a batch, the first included; 0: 1 (3 for retry) */
    int64_t backoff_ms;          /**< the first wait; 0: 100 ms; -1: no wait */
    int64_t max_backoff_ms;      /**< longest wait; 0: 10 s */
    const char *match;           /**< retry only errors whose message contains this; NULL: any */
    int32_t match_code;          /**< retry only errors of this error code; 0: any */
    int transient_only;          /**< retry only transient errors */
    int64_t max_skipped_rows;    /**< skip budget in rows; -1: no limit */
    double max_skipped_fraction; /**< skip budget as a fraction of the job's rows; 0: none */
} gnv_on_error;

#define GNV_ON_ERROR_VERSION 1
#define GNV_ON_ERROR_INIT                                                                          \
    {                                                                                              \
        GNV_ON_ERROR_VERSION, GNV_ON_ERROR_DEFAULT, 0, 0, 0, NULL, 0, 0, -1, 0.0                   \
    }

/** A function's return value that marks its failure as transient (see gnv_on_error). */
#define GNV_UDF_RC_TRANSIENT 75

/**
 * gnv_table_add_udf_column() with an error policy kept in the column's definition
 * (`"on_error": {"action", "attempts", "backoff_ms", "max_backoff_ms", "match",
 * "match_code", "transient_only", "max_skipped_rows", "max_skipped_fraction"}`), used
 * by backfills that do not give their own.
 * @param on_error the policy, or NULL (none kept: backfills fail on the first error).
 * @return as gnv_table_add_udf_column(); GNV_EINVAL for a bad policy (unknown action,
 *         negative counts, a fraction outside [0, 1]); GNV_EVERSION for a policy version
 *         this library does not know.
 * @since 0.3
 */
GNV_EXTERN int gnv_table_add_udf_column_v2(gnv_table *t,
                                           const char *name,
                                           const gnv_udf_function *fn,
                                           const char *const *inputs,
                                           size_t n_inputs,
                                           const gnv_on_error *on_error);

/**
 * Add the sibling columns of a multi-column UDF: one virtual column per field of the
 * function's struct output, named `prefix` + the field's name, of the field's type,
 * NULL in every row, in one new version. Nothing is written when validation fails.
 *
 * The columns are managed as a group: each one's definition (GNV_UDF_METADATA_KEY) is
 * that of gnv_table_add_udf_column() with "output" the whole struct type, plus
 * `"field"` (the output field it takes) and `"columns"` (the group's columns, in field
 * order). gnv_table_backfill() of any of them computes the function once per batch and
 * writes all the group's columns (one data file per fragment holding all of them); its
 * default filter selects the rows where any of them is NULL.
 *
 * @param fn a function of an open library whose output is a struct of at least one field.
 * @param inputs, n_inputs as gnv_table_add_udf_column().
 * @param prefix put before each field's name; NULL or "" for none. It may not contain
 *        '.' nor control characters.
 * @return GNV_OK;
 *         GNV_EEXISTS (a column of one of the names exists, naming it);
 *         GNV_ENOTFOUND (an input column does not exist);
 *         GNV_EINVAL (a bad prefix, naming the character; a function whose output is
 *         not a struct; inputs as gnv_table_add_udf_column(); a read-only handle);
 *         GNV_ECONFLICT; GNV_EIO; GNV_ENOMEM.
 * @since 0.3
 */
GNV_EXTERN int gnv_table_add_udf_columns(gnv_table *t,
                                         const gnv_udf_function *fn,
                                         const char *const *inputs,
                                         size_t n_inputs,
                                         const char *prefix);

/** How a backfill ended (gnv_backfill_stats.state). */
typedef enum gnv_backfill_state {
    GNV_BACKFILL_DONE = 0,             /**< every selected row computed */
    GNV_BACKFILL_DONE_WITH_ERRORS = 1, /**< done, but rows were skipped (left NULL) */
    GNV_BACKFILL_FAILED = 2            /**< stopped by an error (the call returned it) */
} gnv_backfill_state;

/** Where backfill tasks run. */
typedef enum gnv_executor {
    GNV_EXECUTOR_INLINE = 0, /**< in the calling process, one task after the other */
    GNV_EXECUTOR_PROCESS = 1 /**< a pool of `concurrency` forked worker processes */
} gnv_executor;

/** Counters of a backfill or of its plan. */
typedef struct gnv_backfill_stats {
    uint64_t read_version;       /**< the version the plan read */
    int64_t fragments;           /**< fragments with rows to compute */
    int64_t tasks;               /**< tasks (row ranges of at most task_size rows) */
    int64_t rows;                /**< rows to compute (the filter's matches) */
    int64_t batches;             /**< checkpoint batches */
    int64_t batches_reused;      /**< batches whose checkpoint existed (not recomputed) */
    int64_t batches_computed;    /**< batches computed by this run */
    int64_t rows_computed;       /**< rows computed by this run */
    int64_t fragments_committed; /**< fragments whose new data file was committed */
    int64_t fragments_skipped;   /**< fragments rewritten concurrently, left for a re-run */
    int64_t commits;             /**< versions committed */
    int64_t task_errors;         /**< tasks that failed (process executor: after a retry) */
    uint64_t version;            /**< the table's version at the end */
    /** The job's id (36 characters and a NUL): its rows in `geneva_errors` carry it.
     * @since 0.3 */
    char job_id[40];
    int state;            /**< a gnv_backfill_state @since 0.3 */
    int64_t rows_skipped; /**< rows left NULL by the skip policy @since 0.3 */
    int64_t retries;      /**< batch attempts after a first failure @since 0.3 */
    int64_t errors;       /**< rows written to `geneva_errors` @since 0.3 */
} gnv_backfill_stats;

/** Called after each batch and each commit of a backfill (progress reporting). */
typedef void (*gnv_backfill_progress_fn)(const gnv_backfill_stats *stats, void *payload);

/** Options of gnv_table_backfill() and gnv_table_plan_backfill(). */
typedef struct gnv_backfill_options {
    unsigned int version; /**< GNV_BACKFILL_OPTIONS_VERSION */
    /** SQL filter of the rows to compute; NULL: `<column> IS NULL` (rows not computed
     * yet); "1=1" recomputes every row. */
    const char *where;
    /** Worker processes of the process executor; 0: 8, at most the CPUs this process may
     * run on. */
    int concurrency;
    /** Rows per batch. Alone (without min or max_checkpoint_size) it fixes the batch
     * size: one call of the function and one checkpoint per batch. Otherwise it seeds
     * the adaptive size (default: min_checkpoint_size). */
    int64_t checkpoint_size;
    /** Sizing is adaptive unless checkpoint_size alone is set. Batches then hold
     * min_checkpoint_size rows (0: checkpoint_size, else 100) and one checkpoint file
     * holds 1 to max / min of them, starting near checkpoint_size rows: after a
     * checkpoint computed in less than half the target time (1 s; the environment
     * variable GENEVA_BACKFILL_TARGET_SECONDS changes it) the next grows (up to 64
     * times), after one longer than twice the target it halves. The batches of one
     * checkpoint are computed in calls whose inputs take at most 4 MiB when
     * max_checkpoint_size is not set (so memory stays bounded whatever the rows hold).
     * A re-run takes the checkpoints whose row ranges fall on its batch boundaries,
     * whatever sizes made them. */
    int64_t min_checkpoint_size;
    /** Upper bound of the rows of one checkpoint, of one call of the function, and of
     * those kept unwritten (batch_checkpoint_flush_interval_seconds); 0: 262,144 rows
     * (and calls of at most 4 MiB of inputs). */
    int64_t max_checkpoint_size;
    /** Rows per task (a task is a range of a fragment's rows); 0: rows to compute /
     * workers / 2, at least the checkpoint size. */
    int64_t task_size;
    /** Fragments per commit; 0: 64; -1: one commit at the end. */
    int64_t commit_granularity;
    uint64_t read_version; /**< version to plan on; 0: the latest */
    int64_t num_frags;     /**< fragments to process; -1: all */
    int64_t skip_frags;    /**< fragments to skip first (in manifest order) */
    int executor; /**< a gnv_executor; GNV_BACKFILL_OPTIONS_INIT (and NULL options): process */
    gnv_backfill_progress_fn progress; /**< NULL, or called with the counters */
    void *progress_payload;            /**< passed to progress */
    /** The error policy; NULL (or action GNV_ON_ERROR_DEFAULT): the column's, else fail.
     * Version 2 and later. @since 0.3 */
    const gnv_on_error *on_error;
    /** The job's id (at most 39 characters: letters, digits, '-', '_'); NULL: a new
     * random one. Version 2 and later. @since 0.3 */
    const char *job_id;
    /** gnv_table_backfill(): seconds to wait for the job; 0: no limit. When they pass,
     * GNV_ETIMEOUT is returned and the job goes on (in a thread of this process, or in
     * a driver process of its own with `detached`). Version 2 and later. @since 0.3 */
    double timeout;
    /** gnv_table_backfill_async() (and `timeout`): run the job in a driver process of its
     * own (fork + setsid) that outlives the caller; the handle then polls
     * `geneva_jobs`. 0: a thread of this process. @since 0.3 */
    int detached;
    /** Admission control before the job starts: 1 on, 0 off, -1: the environment
     * variable GENEVA_ADMISSION_CHECK ("0" turns it off), else on. @since 0.3 */
    int admission_check;
    /** 1: refuse a job that cannot run as asked (a worker needs more CPUs than the
     * machine has, or the workers more memory than is available: GNV_EINVAL); 0: warn
     * through `warn` and run it; -1: GENEVA_ADMISSION_STRICT ("0" not strict), else
     * strict. Workers needing more CPUs in all than the machine has only share them:
     * always a warning. @since 0.3 */
    int admission_strict;
    /** Called with each warning (admission control); NULL: warnings are only kept in
     * the job's record (its reason). @since 0.3 */
    void (*warn)(const char *message, void *payload);
    void *warn_payload; /**< passed to warn */
    /** Compute the column with this function for this run instead of its stored one
     * (the column's definition is not changed: see gnv_table_alter_udf_column()). It
     * must take the column's input columns (types as its parameters) and return the
     * column's type; its library is copied to `_geneva/udfs/`. Checkpoint keys name the
     * function and its version, so results of different functions never mix. NULL: the
     * column's. Its library must stay open until the job ends (a job of
     * gnv_table_backfill_async() in a thread of this process). Version 3 and later.
     * @since 0.4 */
    const gnv_udf_function *udf;
    /** How often computed results are persisted as checkpoints, in seconds. 0: as soon
     * as a checkpoint's batches are computed. Otherwise batches computed within the
     * interval are kept in memory
     * (at most max_checkpoint_size rows, else 64 batches) and their checkpoints written
     * together, when the interval has passed, at the end of each task and before an
     * error is returned: a crash or a kill loses up to that much work, which a re-run
     * computes again. Version 3 and later. @since 0.4 */
    double batch_checkpoint_flush_interval_seconds;
    /** Threads per worker calling the function on different batches. 0 or 1: one.
     * Values above 1 are not supported yet (GNV_ENOTSUP). Version 3 and later.
     * @since 0.4 */
    int intra_applier_concurrency;
} gnv_backfill_options;

#define GNV_BACKFILL_OPTIONS_VERSION 3
#define GNV_BACKFILL_OPTIONS_INIT                                                                  \
    {                                                                                              \
        GNV_BACKFILL_OPTIONS_VERSION, NULL, 0, 0, 0, 0, 0, 0, 0, -1, 0, GNV_EXECUTOR_PROCESS,      \
            NULL, NULL, NULL, NULL, 0, 0, -1, -1, NULL, NULL, NULL, 0.0, 0                         \
    }

/**
 * Compute a virtual column for the rows `where` selects.
 *
 * Plan (at read_version): the selected fragments' matching rows, split into tasks of
 * task_size rows and batches of checkpoint_size rows. Apply: for each batch without a
 * checkpoint, read the function's input columns for its rows, call the function, and
 * write the results as a checkpoint (an Arrow IPC file under
 * `_geneva/checkpoints/f<field id>-<fragment id>-<key>.arrow`, key = hash of the
 * function's name, version and library, the column, the filter, the table, the
 * fragment's data files but the column's own, the fragment id and the row range) before
 * the next batch. Write: once all of a fragment's batches are
 * checkpointed, one new Lance data file for the column over all its physical rows (new
 * values where the filter matched, the old values elsewhere). Commit: every
 * commit_granularity fragments, a DataReplacement on the latest version; concurrent
 * appends, deletes and other columns are kept, a fragment whose rows or input columns'
 * files changed meanwhile (compaction, a recomputed input) is counted in
 * fragments_skipped and left for a re-run. Committed work's
 * checkpoints are removed.
 *
 * After a failure (a UDF error, a crash, a kill) the same call resumes: checkpointed
 * batches are read back instead of computed, committed fragments no longer match the
 * default filter. When a batch fails, the fragments finished before it are committed
 * before the error is returned. The handle moves to the latest version.
 *
 * Executors: inline runs the tasks in this process; process runs each task in a forked
 * worker (at most `concurrency` at a time), so a crashing UDF kills one worker: its
 * task is retried once, then counted in task_errors and reported as GNV_EUDF after the
 * other fragments were committed.
 *
 * Errors of the function follow the error policy (gnv_on_error: the options', else the
 * column's, else fail): failed rows are appended to `<db>/__system/geneva_errors` at the
 * end of the run (gnv_table_get_errors()), under the job id in out->job_id; out->state
 * says DONE, DONE_WITH_ERRORS (rows skipped, left NULL; GNV_OK is returned) or FAILED
 * (the error is returned, naming the first failing row's address and message).
 *
 * Ownership: opts and column are borrowed for the call. Thread safety: as any write
 * through the handle; the process executor forks (call it from a process whose other
 * threads hold no locks the workers need).
 *
 * @param column a virtual column (added with gnv_table_add_udf_column()); a column of a
 *        multi-column group (gnv_table_add_udf_columns()) backfills the whole group.
 * @param opts options, or NULL for the defaults.
 * @param[out] out counters, or NULL.
 * @return GNV_OK;
 *         GNV_ENOTFOUND (no such column; the column's library is missing from
 *         `_geneva/udfs/`);
 *         GNV_EINVAL (not a virtual column; bad options; a `where` that does not
 *         parse, the message starting "where: "; a read-only handle);
 *         GNV_EUDF (the function failed, with its message; what was checkpointed
 *         before is kept; or the skip budget was exceeded, "skip budget");
 *         GNV_EVERSION (options or policy of a newer version);
 *         GNV_ENOTSUP (a fragment holds the column in two data files);
 *         GNV_ECANCELED (gnv_job_cancel(): finished fragments were committed);
 *         GNV_ETIMEOUT (opts->timeout passed; the job goes on, see out->job_id);
 *         GNV_EINVAL also for an admission refusal (strict; see gnv_backfill_options);
 *         GNV_ECONFLICT; GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM.
 *
 * Each run is a job recorded in the database's `__system/geneva_jobs` table (state,
 * counters, heartbeats: see gnv_table_backfill_async()), unless the environment
 * variable GENEVA_JOB_TRACKING is "0".
 * @since 0.2
 */
GNV_EXTERN int gnv_table_backfill(gnv_table *t,
                                  const char *column,
                                  const gnv_backfill_options *opts,
                                  gnv_backfill_stats *out);

/**
 * Plan a backfill without running the function: fills read_version, fragments, tasks,
 * rows, batches and batches_reused (checkpoints already present) of *out. Reads the
 * filter's columns of every selected fragment.
 * @return as gnv_table_backfill(), without GNV_EUDF.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_plan_backfill(gnv_table *t,
                                       const char *column,
                                       const gnv_backfill_options *opts,
                                       gnv_backfill_stats *out);

/** The name of the system table of row errors (under `<db>/__system/`). */
#define GNV_ERRORS_TABLE "geneva_errors"

/** Filters of gnv_table_get_errors(); NULL members match everything. */
typedef struct gnv_errors_filter {
    const char *job_id;     /**< one job's rows */
    const char *column;     /**< one column's rows */
    const char *error_type; /**< one type: "udf_error", "crash", "invalid_output", ... */
} gnv_errors_filter;

/**
 * The rows of `geneva_errors` recorded for this table, oldest first, as a stream of
 * struct arrays with the columns job_id, table, column, udf_name, udf_version (utf8),
 * row_address (uint64), error_code (int32: the function's return value for
 * "udf_error", the signal for "crash", else the library's error code), error_type,
 * message (utf8), attempt (int32, from 1) and time (timestamp[us, UTC]).
 *
 * Each failed attempt of a row is one row: a batch that failed under the fail or retry
 * policy records each of its rows once per attempt; under skip only the rows that fail
 * alone are recorded (once). A batch that succeeded after retries records nothing.
 *
 * @param[out] out the stream (release it); filled on success only.
 * @param filter NULL, or filters (borrowed for the call).
 * @return GNV_OK (an empty stream when nothing was recorded); GNV_EINVAL; GNV_EIO;
 *         GNV_ECORRUPT; GNV_ENOMEM.
 * @since 0.3
 */
GNV_EXTERN int
gnv_table_get_errors(gnv_table *t, const gnv_errors_filter *filter, struct ArrowArrayStream *out);

/**
 * The distinct row addresses recorded as failed for a job (and a column), ascending:
 * pass them as `_rowaddr IN (...)` in gnv_backfill_options.where to compute just them
 * again.
 * @param job_id the job (gnv_backfill_stats.job_id); NULL: every job.
 * @param column NULL: every column.
 * @param[out] out the addresses (free with gnv_free()); NULL when there are none.
 * @param[out] n their number.
 * @return as gnv_table_get_errors().
 * @since 0.3
 */
GNV_EXTERN int gnv_table_get_failed_row_addresses(
    gnv_table *t, const char *job_id, const char *column, uint64_t **out, size_t *n);

/* ---- jobs: geneva_jobs, async runs, cancellation ---------------------------------- */

/** The name of the system table of jobs (under `<db>/__system/`). */
#define GNV_JOBS_TABLE "geneva_jobs"

/** The state of a job, as `geneva_jobs` records it (the names in upper case). */
typedef enum gnv_job_state {
    GNV_JOB_PENDING = 0,          /**< recorded, its driver has not started yet */
    GNV_JOB_RUNNING = 1,          /**< its driver runs and sends heartbeats */
    GNV_JOB_DONE = 2,             /**< finished, every selected row computed */
    GNV_JOB_DONE_WITH_ERRORS = 3, /**< finished, some rows or fragments left (see reason) */
    GNV_JOB_FAILED = 4,           /**< stopped by an error, or its driver died */
    GNV_JOB_CANCELLED = 5         /**< cancelled; what was committed stays */
} gnv_job_state;

/** "PENDING", "RUNNING", ...; "UNKNOWN" for other values. @since 0.3 */
GNV_EXTERN const char *gnv_job_state_name(int state);

/** A job's record in `geneva_jobs` (DESIGN 5b). Strings are owned: gnv_job_info_reset(). */
typedef struct gnv_job_info {
    char *id;                    /**< the job id */
    char *kind;                  /**< "backfill" */
    char *table;                 /**< the table's name */
    char *column;                /**< the column computed */
    char *options;               /**< the options, as JSON */
    int state;                   /**< a gnv_job_state, as read (a dead RUNNING job reads FAILED) */
    char *reason;                /**< why it failed or was cancelled, warnings; "" when none */
    char *host;                  /**< the driver's host name */
    int64_t pid;                 /**< the driver's process id (0: not started) */
    int64_t rows_planned;        /**< rows the filter selected */
    int64_t rows_computed;       /**< rows computed by this job */
    int64_t rows_committed;      /**< rows of the fragments committed */
    int64_t rows_skipped;        /**< rows left (skip policy, fragments changed meanwhile) */
    int64_t rows_failed;         /**< rows of tasks that failed */
    int64_t fragments;           /**< fragments with rows to compute */
    int64_t fragments_committed; /**< fragments committed */
    int64_t created_us;          /**< recorded (microseconds since the epoch, UTC) */
    int64_t started_us;          /**< its driver started (0: not yet) */
    int64_t ended_us;            /**< it ended (0: not yet) */
    int64_t heartbeat_us;        /**< the last heartbeat */
    double heartbeat_seconds;    /**< the driver's heartbeat interval */
    int64_t rows_checkpointed;   /**< rows whose checkpoint exists (computed or reused) */
    int64_t active_workers;      /**< worker processes running now */
    double read_seconds;         /**< time spent reading the function's inputs */
    double udf_seconds;          /**< time spent in the function */
    double checkpoint_seconds;   /**< time spent writing checkpoints */
    double commit_seconds;       /**< time spent writing data files and committing */
    int64_t conflict_retries;    /**< commits retried after a lost race */
    int cancel_requested;        /**< gnv_job_cancel() was called */
} gnv_job_info;

/** Free the strings of *info and zero it. NULL is allowed. @since 0.3 */
GNV_EXTERN void gnv_job_info_reset(gnv_job_info *info);

/** A handle on a job: one started by gnv_table_backfill_async(), or a recorded one.
 * A handle is used from one thread at a time; the job itself runs elsewhere. */
typedef struct gnv_job gnv_job;

/**
 * Start a backfill and return at once, after admission control and after recording
 * the job as PENDING in `geneva_jobs`. The job runs in a thread of this process, or,
 * with opts->detached, in a driver process of its own (forked twice, in a new session,
 * its standard streams on /dev/null) that survives the caller's exit; a detached job's
 * handle learns everything from `geneva_jobs`. The options are gnv_table_backfill()'s
 * (`progress` is called from the job's thread; a detached job calls none; `timeout` is
 * ignored).
 *
 * Ownership: the handle is the caller's (gnv_job_free()); t, column and opts are
 * borrowed for the call. Thread safety: the job opens its own database handle; t
 * stays the caller's.
 * @param[out] out the handle.
 * @return GNV_OK; GNV_EINVAL (bad options; an admission refusal saying what to lower);
 *         GNV_ENOTFOUND, GNV_EINVAL (not a virtual column) as gnv_table_backfill();
 *         GNV_EIO (the job table cannot be written; fork failed); GNV_ENOMEM.
 * @since 0.3
 */
GNV_EXTERN int gnv_table_backfill_async(gnv_table *t,
                                        const char *column,
                                        const gnv_backfill_options *opts,
                                        gnv_job **out);

/**
 * A handle on the recorded job `id` of db (to wait for it, read it or cancel it); db
 * must outlive the handle.
 * @return GNV_OK; GNV_ENOTFOUND (no such job); GNV_EIO; GNV_ENOMEM.
 * @since 0.3
 */
GNV_EXTERN int gnv_job_open(gnv_job **out, gnv_db *db, const char *id);

/** The job's id; valid while the handle is open. @since 0.3 */
GNV_EXTERN const char *gnv_job_id(const gnv_job *job);

/**
 * Wait until the job ends, at most timeout_s seconds (< 0: no limit).
 * @param[out] out the job's counters (for a job of another process, those recorded),
 *        or NULL.
 * @return GNV_OK (DONE or DONE_WITH_ERRORS); GNV_ETIMEOUT (still running: the job goes
 *         on, wait again); GNV_ECANCELED (CANCELLED); the job's error (a job started by
 *         this handle), or GNV_ERROR with the recorded reason (FAILED).
 * @since 0.3
 */
GNV_EXTERN int gnv_job_wait(gnv_job *job, double timeout_s, gnv_backfill_stats *out);

/**
 * The job's record (state and metrics), read from `geneva_jobs`; a PENDING or RUNNING
 * job whose driver process on this host is gone, or whose heartbeat is older than three
 * intervals (twenty for a live driver on this host), reads FAILED ("heartbeat stopped at
 * ..., process P on H is gone").
 * @param[out] out filled; the caller calls gnv_job_info_reset().
 * @return GNV_OK; GNV_ENOTFOUND; GNV_EIO; GNV_ENOMEM.
 * @since 0.3
 */
GNV_EXTERN int gnv_job_status(gnv_job *job, gnv_job_info *out);

/**
 * Ask the job to stop: recorded in `geneva_jobs` (cancel_requested), seen at once by a
 * job of this process and at its next heartbeat by a job of another. Workers stop
 * after their current batch; finished fragments are committed, checkpoints kept; the
 * job ends CANCELLED. A job that already ended is left as it is.
 * @return GNV_OK; GNV_EIO; GNV_ENOMEM.
 * @since 0.3
 */
GNV_EXTERN int gnv_job_cancel(gnv_job *job);

/**
 * Free a handle. A job of this process that still runs goes on (its thread frees what
 * it uses); the process must live until it ends. NULL is allowed.
 * @since 0.3
 */
GNV_EXTERN void gnv_job_free(gnv_job *job);

/**
 * The jobs recorded in db's `geneva_jobs`, oldest first, read as gnv_job_status() does.
 * @param table only the jobs of this table, or NULL.
 * @param[out] list_out an array; free with gnv_job_info_list_free().
 * @return GNV_OK (an empty list when no job was ever recorded); GNV_EIO; GNV_ENOMEM.
 * @since 0.3
 */
GNV_EXTERN int
gnv_db_list_jobs(gnv_db *db, const char *table, gnv_job_info **list_out, size_t *n_out);

/** Free what gnv_db_list_jobs() returned. NULL is allowed. @since 0.3 */
GNV_EXTERN void gnv_job_info_list_free(gnv_job_info *list, size_t n);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
