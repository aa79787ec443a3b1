/*
 * job: virtual UDF columns and backfill jobs (planner, checkpoints, apply, write,
 * commit). Uses table, udf and expr.
 *
 * Invariants:
 * - A checkpoint file is written whole and made visible with a no-replace commit, so a
 *   present checkpoint is complete; its content is checked against the plan before use
 *   and a mismatching one is recomputed.
 * - A fragment's new data file is only written from checkpoints, and committed only
 *   when the fragment's data files (other than the column's) are those the plan read.
 * - Checkpoints are removed only after the commit that made their values visible.
 */
#ifndef GNV_JOB_H
#define GNV_JOB_H

#include "arrow/arrow.h"
#include "geneva/job.h"
#include "table/table.h"
#include "util/util.h"

#define GNV__CKPT_DIR "_geneva/checkpoints"
#define GNV__UDF_DIR  "_geneva/udfs"

/* An error policy with its defaults resolved (job_errors.c). */
typedef struct gnv__policy {
    int action; /* GNV_ON_ERROR_FAIL, _RETRY or _SKIP */
    int attempts;
    int64_t backoff_ms, max_backoff_ms;
    char *match;
    int32_t match_code;
    bool transient_only;
    int64_t max_skipped_rows;
    double max_skipped_fraction;
} gnv__policy;

/* A virtual column's definition, parsed from its `geneva.udf` field metadata. */
typedef struct gnv__udf_coldef {
    char *function;
    char *version;
    char *library; /* "<sha256>.so", in the table's _geneva/udfs/ */
    char *output;  /* the output type as text */
    char **inputs;
    size_t n_inputs;
    bool has_on_error; /* "on_error" was given */
    gnv__policy on_error;
} gnv__udf_coldef;

/* Parse a definition; GNV_EINVAL naming the column when the JSON is not one. */
int gnv__udf_coldef_parse(gnv__udf_coldef *out, const char *json, size_t len, const char *column);
void gnv__udf_coldef_reset(gnv__udf_coldef *d);

/* The definition of t's top-level column `column`: GNV_ENOTFOUND when there is no
 * such column, GNV_EINVAL when it is not a virtual column. *field_out (may be NULL)
 * receives a copy of the column's Arrow field (release it). */
int gnv__udf_coldef_of(gnv__udf_coldef *out,
                       struct ArrowSchema *field_out,
                       const gnv_table *t,
                       const char *column);

/* Calls of a function by backfills of this process (tests of adaptive sizing). */
extern int64_t gnv__backfill_udf_calls;

/* Copy lib to t's `_geneva/udfs/<sha256>.so` unless it is there. */
int gnv__udf_store_library(gnv_table *t, const gnv_udf_library *lib);

/* Check that fn can compute t's column `column` from the columns inputs[0..n): each
 * exists with its parameter's type, and (coltype not NULL) fn's output type is
 * coltype's. GNV_EINVAL / GNV_ENOTFOUND naming the mismatch. */
int gnv__udf_check_binding(const gnv_table *t,
                           const char *column,
                           const struct ArrowSchema *coltype,
                           const gnv_udf_function *fn,
                           const char *const *inputs,
                           size_t n_inputs);

/* ---- checkpoints (job_ckpt.c) ------------------------------------------------ */

/* What determines the content of a fragment's checkpoints (DESIGN 5b). */
typedef struct gnv__ckpt_id {
    const gnv__udf_coldef *def;
    const char *column;
    const char *where;
    const char *table;
    const Gnvpb__DataFragment *frag; /* its data files and deletion file are hashed */
    const int32_t *leaf_ids;         /* the column's leaves: a file of exactly these (the */
    size_t n_leaf;                   /* column's own, written by a backfill) is not hashed */
} gnv__ckpt_id;

/* 40 hex digits and a NUL */
#define GNV__CKPT_KEY_SIZE 41

/* The key of a fragment's checkpoints: the first 40 hex digits of the SHA-256 of what
 * determines their content, but the row range. */
int gnv__ckpt_key(char out[GNV__CKPT_KEY_SIZE], const gnv__ckpt_id *id);

/* The path "<table dir>/_geneva/checkpoints/f<field id>-<fragment id>-<key>-<start>-
 * <end>.arrow" of the checkpoint of physical rows [start, end) (gnv__free). */
int gnv__ckpt_path(char **out,
                   const gnv_table *t,
                   int32_t field_id,
                   uint64_t frag_id,
                   const char *key,
                   int64_t start,
                   int64_t end);

/* A checkpoint file name, parsed. */
typedef struct gnv__ckpt_name {
    int32_t field_id;
    uint64_t frag_id;
    char key[GNV__CKPT_KEY_SIZE];
    int64_t start, end;
} gnv__ckpt_name;

/* Parse a file name of the form gnv__ckpt_path makes; false for any other name. */
bool gnv__ckpt_parse_name(const char *name, gnv__ckpt_name *out);

/* Call fn with each entry of the table's checkpoint directory (none when it is
 * missing). */
int gnv__ckpt_list(gnv_io *io,
                   const gnv_table *t,
                   int (*fn)(const char *name, int is_dir, void *payload),
                   void *payload);

/* Write a checkpoint: row offsets (n) and the values (an array of `value` schema of n
 * rows). An existing checkpoint of the same key is kept (same content by
 * determinism). */
int gnv__ckpt_write(gnv_io *io,
                    const char *path,
                    const struct ArrowSchema *value,
                    const uint32_t *rows,
                    const struct ArrowArray *values,
                    int64_t n);

/* Read a checkpoint whose rows must equal rows[0..n) and values match `value`:
 * *found is false (and nothing is returned) when the file is missing, and also when it
 * does not match or is damaged (it is then removed). *values_out (may be NULL) gets
 * the values. */
int gnv__ckpt_read(bool *found,
                   struct ArrowArray *values_out,
                   gnv_io *io,
                   const char *path,
                   const struct ArrowSchema *value,
                   const uint32_t *rows,
                   int64_t n);

/* Decode a checkpoint file's bytes (`name` for messages): *ok when they hold exactly
 * rows[0..n) and values of the `value` type, which then go to *values_out (may be
 * NULL). Damaged or mismatching bytes only leave *ok false; GNV_ENOMEM is the only
 * error. */
int gnv__ckpt_decode(bool *ok,
                     struct ArrowArray *values_out,
                     const void *data,
                     size_t size,
                     const char *name,
                     const struct ArrowSchema *value,
                     const uint32_t *rows,
                     int64_t n);

/* Remove the checkpoints of column `field_id` in fragment `frag_id` (names start
 * "f<field id>-<fragment id>-") but those whose file names are in `keep` (may be NULL):
 * the leftovers of a run stopped between its commit and its clean-up, or planned with
 * other options, that the current plan does not use. */
int gnv__ckpt_remove_fragment(
    gnv_io *io, const gnv_table *t, int32_t field_id, uint64_t frag_id, const gnv_strset *keep);

/* Workers of the process executor by default: Geneva's 8, at most this machine's CPUs
 * (job_admission.c). */
int gnv__default_concurrency(void);

/* ---- error policies and the errors table (job_errors.c) ---------------------- */

/* Check and resolve a policy (`what` names it in messages); action DEFAULT gives fail. */
int gnv__policy_from(gnv__policy *out, const gnv_on_error *in, const char *what);
void gnv__policy_reset(gnv__policy *p);
/* The policy as the JSON text of a definition's "on_error" (a json_t *; jansson is not
 * part of this header) and back; parsing names the column in errors. */
int gnv__policy_to_json(void **out, const gnv__policy *p);
int gnv__policy_parse(gnv__policy *out, const void *json, const char *column);
/* Whether the job has skipped more rows than the budget allows, of `rows` in all. */
bool gnv__policy_over_budget(const gnv__policy *p, int64_t skipped, int64_t rows);

/* One failed attempt of one row. */
typedef struct gnv__err_rec {
    uint64_t addr;
    int32_t code, attempt;
    int64_t time_us;
    char *type, *message;
} gnv__err_rec;

/* Error rows not yet written, each (address, attempt) once. */
typedef struct gnv__errlog {
    gnv__err_rec *recs;
    size_t n, cap;
    gnv_strset seen;
    int64_t retries; /* counted along (saved with the log by workers) */
} gnv__errlog;

int gnv__errlog_add(gnv__errlog *l,
                    uint64_t addr,
                    int32_t code,
                    const char *type,
                    const char *msg,
                    int32_t attempt);
void gnv__errlog_reset(gnv__errlog *l);
/* Append the records to <db>/__system/geneva_errors in one commit and empty the log. */
int gnv__errlog_flush(gnv__errlog *l,
                      gnv_table *t,
                      const char *job_id,
                      const char *column,
                      const gnv__udf_coldef *def);
/* A worker's log as a file, and back (records appended to *l, counters added). */
int gnv__errlog_save(const gnv__errlog *l, gnv_io *io, const char *path);
int gnv__errlog_load(gnv__errlog *l, gnv_io *io, const char *path);

/* json_dumps (compact, in order) that fails with GNV_ENOMEM rather than return text an
 * allocation failure damaged; *out is freed with gnv__free. value is a json_t *. */
int gnv__json_dumps_checked(char **out, const void *value);

/* A new job id: 36 characters, UUID-like, NUL-terminated. */
int gnv__job_id_new(char out[40]);

/* The current error as a record's code and type, after a function failure rc: the
 * plugin's return value and "udf_error" when it returned one, else rc and a name. */
void gnv__error_classify(int rc, int plugin_rc, int32_t *code, const char **type);

/* Computes a batch's values for rows addrs[0..n) into *out (an array of the column's
 * type and n rows). */
typedef int (*gnv__compute_fn)(struct ArrowArray *out, const uint64_t *addrs, size_t n, void *p);

/* Applying a policy to one batch. */
typedef struct gnv__apply {
    const gnv__policy *policy;
    gnv__errlog *log;
    const struct ArrowSchema *field; /* the column's type */
    gnv__compute_fn compute;
    void *payload;
    bool row_by_row;         /* skip the batch attempts: apply row by row at once */
    const uint64_t *crashed; /* rows known to crash alone: NULL, never called */
    size_t n_crashed;
    volatile uint64_t *current; /* NULL, or set to a row's address while it runs alone */
    int64_t skipped;            /* rows left NULL (added to) */
    char first_error[512];      /* the first failure's message, with its row */
} gnv__apply;

/*
 * Compute rows addrs[0..n) under the policy: the batch is tried `attempts` times (the
 * retryable failures of the function; other errors return at once); when it still
 * fails, skip applies it row by row (failing rows NULL, recorded once with attempt 1)
 * and fail/retry look for its first failing row, record it once per attempt and
 * return GNV_EUDF naming it. *out is filled on success only.
 */
int gnv__apply_batch(gnv__apply *a, struct ArrowArray *out, const uint64_t *addrs, size_t n);

/* Where process workers leave their error logs ("<job id>-<pid>.json"). */
#define GNV__ERRORS_DIR "_geneva/errors"

/* A backfill's job id (the options' or a new one) and policy: the options', else the
 * column's, else fail. */
int gnv__job_policy(gnv__policy *out,
                    char job_id[40],
                    const gnv_backfill_options *o,
                    const gnv__udf_coldef *def,
                    const char *column);
/* A worker saves its log; the parent collects (and removes) the job's worker logs. */
int gnv__job_worker_log(const gnv__errlog *l, const gnv_table *t, const char *job_id);
int gnv__job_collect_logs(gnv__errlog *l, const gnv_table *t, const char *job_id);
/* GNV_EUDF: more rows skipped than the budget, naming the first. */
int gnv__job_over_budget(const gnv__errlog *l,
                         const gnv__policy *p,
                         const char *column,
                         int64_t rows);

/* ---- job records, heartbeats, cancellation (job_jobs.c) ------------------------ */

/* What a backfill measures besides gnv_backfill_stats (for `geneva_jobs`). */
typedef struct gnv__job_metrics {
    int64_t rows_reused; /* rows whose checkpoints existed at the start */
    int64_t rows_committed, rows_skipped, rows_failed;
    int64_t active_workers, conflict_retries;
    /* microseconds per stage, added atomically (gnv__met_since): the process executor's
     * workers add theirs through shared memory */
    int64_t read_us, udf_us, ckpt_us, commit_us;
} gnv__job_metrics;

/* Add the time since t0 (gnv__now()) to *us; atomic, also across forked processes. */
static inline void gnv__met_since(int64_t *us, double t0)
{
    __atomic_fetch_add(us, (int64_t)((gnv__now() - t0) * 1e6), __ATOMIC_RELAXED);
}
/* Zeroed metrics in memory shared with the processes forked later (workers), or
 * *fallback (zeroed) when that cannot be mapped. */
gnv__job_metrics *gnv__job_metrics_new(gnv__job_metrics *fallback);
/* Unmap what gnv__job_metrics_new returned (NULL and fallback are left alone). */
void gnv__job_metrics_free(gnv__job_metrics *m, const gnv__job_metrics *fallback);

/* The tracking of one running job: its record, its heartbeat thread, its cancel flag. */
typedef struct gnv__jobrun gnv__jobrun;

/* Start tracking the backfill of t.column planned in *st: take over the PENDING record
 * o->job_id names (made by gnv_table_backfill_async), or record a new job (id
 * st->job_id when set, else o->job_id, else a new one; copied to st->job_id), as
 * RUNNING with this process's host and pid, and start a thread that records a
 * heartbeat with the counters every GENEVA_HEARTBEAT_SECONDS (5) and reads
 * cancel_requested. Stale jobs (dead drivers) found meanwhile are recorded FAILED.
 * On failure *out is NULL. */
int gnv__jobrun_begin(gnv__jobrun **out,
                      gnv_table *t,
                      const char *column,
                      const gnv_backfill_options *o,
                      gnv_backfill_stats *st);
/* The latest counters, for the next heartbeat (cheap: a copy under a lock). NULL-safe. */
void gnv__jobrun_progress(gnv__jobrun *r, const gnv_backfill_stats *st, const gnv__job_metrics *m);
/* Whether the job was asked to stop. NULL-safe; lock-free (safe in forked workers). */
bool gnv__jobrun_cancelled(const gnv__jobrun *r);
/* Keep a warning in the job's reason. NULL-safe. */
void gnv__jobrun_warn(gnv__jobrun *r, const char *msg);
/* Stop the heartbeat, record the end (state from rc and the counters: DONE,
 * DONE_WITH_ERRORS, FAILED with the error's message, CANCELLED for GNV_ECANCELED) and
 * free r. Returns rc with the calling thread's error kept, or, when rc is GNV_OK and
 * the end could not be recorded, that error. NULL-safe (returns rc). */
int gnv__jobrun_end(gnv__jobrun *r,
                    int rc,
                    const gnv_backfill_stats *st,
                    const gnv__job_metrics *m);

/* Open (creating it when missing) db's `__system/geneva_jobs` table. */
int gnv__jobs_open(gnv_table **out, gnv_db *db);
/* The heartbeat interval in seconds: GENEVA_HEARTBEAT_SECONDS, else 5. */
double gnv__heartbeat_seconds(void);
/* Record a new PENDING job (gnv_table_backfill_async); *id_out (gnv__free) its id. */
int gnv__jobs_record_pending(char **id_out,
                             gnv_db *db,
                             const char *table,
                             const char *column,
                             const gnv_backfill_options *o);
/* Record job `id` FAILED with `reason` (a driver that could not start). */
int gnv__jobs_record_failed(gnv_db *db, const char *id, const char *reason);
/* Read job `id` (staleness applied). GNV_ENOTFOUND when there is none. */
int gnv__jobs_read(gnv_job_info *out, gnv_db *db, const char *id);
/* Set cancel_requested of job `id` (if not ended), and the flag of a job of this
 * process at once. */
int gnv__jobs_request_cancel(gnv_db *db, const char *id);
/* In a forked driver process: forget the registry of running jobs of the parent. */
void gnv__jobs_after_fork(void);
/* Live counters of a job running in this process; false when it is not. */
bool gnv__jobs_live(const char *id, gnv_backfill_stats *st_out);

/* ---- admission control (job_admission.c) -------------------------------------- */

/* Check that `workers` workers of fn fit this machine (CPUs, MemAvailable), as
 * o->admission_check / admission_strict and GENEVA_ADMISSION_CHECK / _STRICT say:
 * GNV_EINVAL saying what to lower when strict, else a warning through o->warn and
 * run (may be NULL). */
int gnv__admission_check(const gnv_udf_function *fn,
                         int workers,
                         const gnv_backfill_options *o,
                         gnv__jobrun *run);
/* The same for column `column` of t (loads its function from the table's library),
 * with o's executor and concurrency (before defaults). */
int gnv__admission_check_column(gnv_table *t, const char *column, const gnv_backfill_options *o);

/* ---- async jobs (job_async.c) ----------------------------------------------------- */

/* gnv_table_backfill with o->timeout > 0: an async job waited for at most the timeout. */
int gnv__backfill_with_timeout(gnv_table *t,
                               const char *column,
                               const gnv_backfill_options *o,
                               gnv_backfill_stats *out);

/* ---- multi-column UDFs (job_multicol.c) ------------------------------------------ */

/* The group of sibling columns a multi-column UDF fills: a member's definition has
 * "field" (the output field it takes) and "columns" (the group's columns, in the order
 * of the output's fields). */
typedef struct gnv__multicol {
    char **columns;
    size_t n_columns;
} gnv__multicol;

void gnv__multicol_free(gnv__multicol *g);

/* When t's column `column` is a member of a group: *out gets the group and *field (the
 * column's Arrow field, replaced) becomes struct<the group's fields>, the type of the
 * values a backfill computes. *out is NULL for a single column. */
int gnv__multicol_of(gnv__multicol **out,
                     struct ArrowSchema *field,
                     const gnv_table *t,
                     const char *column);

/* A group's default backfill filter: rows where any of its columns is NULL. */
int gnv__multicol_where(char **out, const gnv__multicol *g);

/* The table batch of a group's data file from its values (struct<the group's fields>,
 * `rows` rows): one top-level column per field, NULL where the struct is NULL. */
int gnv__multicol_split(struct ArrowArray *out,
                        const struct ArrowSchema *field,
                        const struct ArrowArray *values,
                        int64_t rows);

/* Same Arrow type: formats equal, recursively (names and nullability aside). */
bool gnv__same_type(const struct ArrowSchema *a, const struct ArrowSchema *b);
/* "row", "array" or "record_batch": a UDF kind as a column's definition records it. */
const char *gnv__udf_kind_name(int kind);

#endif
