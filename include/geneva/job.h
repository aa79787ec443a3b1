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
 *         GNV_ENOTSUP (a function with a struct output, i.e. a multi-column UDF);
 *         GNV_ECONFLICT; GNV_EIO; GNV_ENOMEM.
 * @since 0.2
 */
GNV_EXTERN int gnv_table_add_udf_column(gnv_table *t,
                                        const char *name,
                                        const gnv_udf_function *fn,
                                        const char *const *inputs,
                                        size_t n_inputs);

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
} gnv_backfill_stats;

/** Called after each batch and each commit of a backfill (progress reporting). */
typedef void (*gnv_backfill_progress_fn)(const gnv_backfill_stats *stats, void *payload);

/** Options of gnv_table_backfill() and gnv_table_plan_backfill(). */
typedef struct gnv_backfill_options {
    unsigned int version; /**< GNV_BACKFILL_OPTIONS_VERSION */
    /** SQL filter of the rows to compute; NULL: `<column> IS NULL` (rows not computed
     * yet); "1=1" recomputes every row. */
    const char *where;
    int concurrency;             /**< worker processes (process executor); 0: 8 */
    int64_t checkpoint_size;     /**< rows per checkpoint batch; 0: 100 */
    int64_t min_checkpoint_size; /**< lower bound of the batch size; 0: none */
    int64_t max_checkpoint_size; /**< upper bound of the batch size; 0: none */
    /** Rows per task (a task is a range of a fragment's rows); 0: rows to compute /
     * workers / 2, at least the checkpoint size. */
    int64_t task_size;
    /** Fragments per commit; 0: 64; -1: one commit at the end. */
    int64_t commit_granularity;
    uint64_t read_version;             /**< version to plan on; 0: the latest */
    int64_t num_frags;                 /**< fragments to process; -1: all */
    int64_t skip_frags;                /**< fragments to skip first (in manifest order) */
    int executor;                      /**< a gnv_executor */
    gnv_backfill_progress_fn progress; /**< NULL, or called with the counters */
    void *progress_payload;            /**< passed to progress */
} gnv_backfill_options;

#define GNV_BACKFILL_OPTIONS_VERSION 1
#define GNV_BACKFILL_OPTIONS_INIT                                                                  \
    {                                                                                              \
        GNV_BACKFILL_OPTIONS_VERSION, NULL, 0, 0, 0, 0, 0, 0, 0, -1, 0, GNV_EXECUTOR_INLINE, NULL, \
            NULL                                                                                   \
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
 * Ownership: opts and column are borrowed for the call. Thread safety: as any write
 * through the handle; the process executor forks (call it from a process whose other
 * threads hold no locks the workers need).
 *
 * @param column a virtual column (added with gnv_table_add_udf_column()).
 * @param opts options, or NULL for the defaults.
 * @param[out] out counters, or NULL.
 * @return GNV_OK;
 *         GNV_ENOTFOUND (no such column; the column's library is missing from
 *         `_geneva/udfs/`);
 *         GNV_EINVAL (not a virtual column; bad options; a `where` that does not
 *         parse, the message starting "where: "; a read-only handle);
 *         GNV_EUDF (the function failed, with its message; what was checkpointed
 *         before is kept);
 *         GNV_ENOTSUP (a fragment holds the column in two data files);
 *         GNV_ECONFLICT; GNV_ECORRUPT; GNV_EIO; GNV_ENOMEM.
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

#ifdef __cplusplus
}
#endif
/** @} */
#endif
