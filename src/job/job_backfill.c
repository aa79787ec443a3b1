/*
 * Backfill jobs (DESIGN 5b): plan at a fixed version, apply the UDF batch by batch
 * with a checkpoint after each, write one new data file per finished fragment, and
 * commit groups of fragments as Lance DataReplacement transactions.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/io.h"
#include "job.h"
#include "udf/udf.h"

#define DEFAULT_CHECKPOINT_SIZE    100
#define DEFAULT_COMMIT_GRANULARITY 64
/* Adaptive sizing by default: calls of 100 rows up to this many ... */
#define DEFAULT_MAX_CHECKPOINT_SIZE (256 * 1024)
/* ... and, without max_checkpoint_size, inputs of at most this many bytes per call. */
#define DEFAULT_MAX_CALL_BYTES (4 * 1024 * 1024)
/* Adaptive batch sizing aims at this many seconds per call of the function. */
#define TARGET_BATCH_SECONDS 1.0
/* Threads per worker calling the function, at most. */
#define MAX_INTRA_THREADS 64
/* The new data file of a fragment is assembled and written this many rows at a time. */
#define WRITE_CHUNK_ROWS 65536
/* Without max_checkpoint_size, results kept in memory (flush interval) are written
 * once this many batches are pending. */
#define MAX_PENDING_BATCHES 64

int64_t gnv__backfill_udf_calls;

/* One batch: matching rows [b * batch_rows, ...) of its fragment (batch_first(),
 * batch_size()); the unit that checkpoints are made of (a checkpoint holds one or more
 * consecutive batches). Two bytes a batch, so a plan stays small. */
typedef struct bf_batch {
    bool done;
    bool isolate; /* its worker crashed: apply it row by row (skip policy) */
} bf_batch;

/* Consecutive batches computed in one call whose checkpoint is not written yet (flush
 * interval). */
typedef struct bf_result {
    struct bf_frag *fr;
    size_t b0, nb;
    struct ArrowArray values;
} bf_result;

/* A checkpoint being written on a thread of its own (flush_start()): the results it
 * holds, then how it went. */
typedef struct bf_flush {
    struct bf_job *j;
    bf_result *res;
    size_t n_res;
    pthread_t thread;
    bool pending;  /* results handed over, not yet marked done */
    bool threaded; /* written on thread */
    int rc, err_sub;
    char err[512];
} bf_flush;

/* A checkpoint file of a fragment: batches [b0, b0 + nb). */
typedef struct bf_ckpt {
    size_t b0, nb;
} bf_ckpt;

typedef struct bf_frag {
    const Gnvpb__DataFragment *f; /* borrowed from the read handle's manifest */
    /* the matching rows (frag_row()): NULL when they are 0..n_rows-1 (no deletions and
     * every row matches, the common case); else the offsets of the matching rows, or,
     * with rows_out, of the other rows (deleted or not matching) when they are fewer:
     * ascending either way, so a plan holds at most 2 bytes a physical row */
    uint32_t *rows;
    bool rows_out;
    size_t n_out;
    size_t n_rows;
    size_t batch_rows; /* matching rows per batch (the last may have fewer) */
    bf_batch *batches;
    size_t n_batches;
    size_t first_task, n_tasks;   /* its tasks: batches grouped by batches_per_task */
    bool failed;                  /* a batch could not be computed */
    bool written;                 /* its data file is written (pending or committed) */
    char key[GNV__CKPT_KEY_SIZE]; /* of its checkpoints (gnv__ckpt_key) */
    bf_ckpt *ckpts;               /* its checkpoint files, in no order */
    size_t n_ckpts, cap_ckpts;
} bf_frag;

typedef struct bf_job {
    gnv_table *t;  /* the caller's handle: commits */
    gnv_table *rt; /* a read-only handle on the planned version */
    const char *column;
    char *where;
    gnv_backfill_options o;
    gnv__udf_coldef def;
    gnv__multicol *grp;       /* a multi-column UDF's group (field: struct of its columns) */
    struct ArrowSchema field; /* the column's Arrow field */
    struct ArrowSchema cols;  /* struct<column>, for the new data files */
    int32_t *leaf_ids;
    size_t n_leaf;
    int32_t field_id;
    int32_t *in_leaves; /* the leaves of the input columns */
    size_t n_in_leaf;
    int minor;
    bf_frag *frags;
    size_t n_frags;
    size_t batches_per_task;
    gnv_udf_library *lib;
    const gnv_udf_function *fn;
    gnv_backfill_stats st;
    bool clean_stale; /* a run (not a plan): remove stale checkpoints */
    /* fragments written but not committed yet */
    uint64_t *pend_ids;
    Gnvpb__DataFile **pend_files;
    size_t *pend_frag;
    size_t n_pend;
    /* errors (job_errors.c) */
    gnv__policy pol;
    gnv__errlog log;
    uint64_t *crashed; /* rows that crashed a worker alone: left NULL (skip) */
    size_t n_crashed;
    bool in_worker;         /* a process executor's worker: its log goes to a file */
    bool fail_stop;         /* on_error fail: a task failed, so no new task starts */
    volatile uint64_t *cur; /* process executor: the row each worker slot runs alone */
    /* process executor: rows ([2 * slot]) and batches ([2 * slot + 1]) the worker of each
     * slot computed so far, for progress while it runs */
    volatile int64_t *slot_done;
    /* process executor: the sizing the workers learned (batches per checkpoint, input
     * bytes per row as double bits), handed to the workers forked later */
    volatile uint64_t *learned;
    int64_t rows_before;   /* process executor: rows with checkpoints before the run */
    int worker_code;       /* the first error code of a worker other than GNV_EUDF */
    int slot;              /* the worker's slot */
    char first_error[512]; /* the first failure, with its row */
    /* job control (job_jobs.c): its geneva_jobs record, cancel flag and metrics */
    gnv__jobrun *run;
    gnv__job_metrics *met; /* shared with the workers (or &met_local) */
    gnv__job_metrics met_local;
    /* adaptive sizing: batches per checkpoint, between 1 and max_group; a checkpoint's
     * batches are computed in calls whose inputs take at most max_call_bytes (0: no
     * limit) */
    bool adaptive;
    size_t group, max_group;
    double target_seconds;
    int64_t max_call_bytes;
    double row_bytes;    /* input bytes per row of the last call */
    size_t pend_batches; /* computed since the last checkpoint ... */
    double pend_seconds; /* ... in this many seconds */
    /* results not checkpointed yet, and when they were last written */
    bf_result *res;
    size_t n_res, cap_res;
    int64_t res_rows;
    double last_flush;
    bf_flush flush; /* the checkpoint being written meanwhile (adaptive sizing) */
} bf_job;

/* Matching row i of fr: its offset in the fragment. With the other rows E listed,
 * it is i + k for the number k of E[j] with E[j] - j <= i (E[j] - j counts the
 * matching rows before E[j]). */
static inline uint32_t frag_row(const bf_frag *fr, size_t i)
{
    if (!fr->rows)
        return (uint32_t)i;
    if (!fr->rows_out)
        return fr->rows[i];
    size_t lo = 0, hi = fr->n_out;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)fr->rows[mid] - mid <= i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)(i + lo);
}

/* The offsets of matching rows [first, first + n) of fr into dst. */
static void fill_rows(const bf_frag *fr, size_t first, size_t n, uint32_t *dst)
{
    if (!fr->rows) {
        for (size_t k = 0; k < n; k++)
            dst[k] = (uint32_t)(first + k);
        return;
    }
    if (!fr->rows_out) {
        memcpy(dst, fr->rows + first, n * sizeof *dst);
        return;
    }
    uint32_t phys = n ? frag_row(fr, first) : 0;
    size_t e = phys - first; /* the other rows before phys */
    for (size_t k = 0; k < n; k++, phys++) {
        while (e < fr->n_out && fr->rows[e] == phys) {
            phys++;
            e++;
        }
        dst[k] = phys;
    }
}

/* The first matching row of batch b of fr, and its rows. */
static inline size_t batch_first(const bf_frag *fr, size_t b)
{
    return b * fr->batch_rows;
}

static inline size_t batch_size(const bf_frag *fr, size_t b)
{
    return GNV_MIN(fr->batch_rows, fr->n_rows - b * fr->batch_rows);
}

/* The matching rows of batches [b0, b0 + nb) of fr: [batch_first(fr, b0), that + n). */
static inline size_t batches_rows(const bf_frag *fr, size_t b0, size_t nb)
{
    return batch_first(fr, b0 + nb - 1) + batch_size(fr, b0 + nb - 1) - batch_first(fr, b0);
}

/* The offsets of matching rows [first, first + n) of fr: in place, or (rows kept as a
 * range) written into *tmp (gnv__free it); NULL when out of memory. */
static const uint32_t *rows_span(const bf_frag *fr, size_t first, size_t n, uint32_t **tmp)
{
    *tmp = NULL;
    if (fr->rows && !fr->rows_out)
        return fr->rows + first;
    *tmp = gnv__malloc((n ? n : 1) * sizeof **tmp);
    if (*tmp)
        fill_rows(fr, first, n, *tmp);
    return *tmp;
}

static void job_reset(bf_job *j)
{
    if (j->flush.pending) { /* (run_task waits for it; an early return might not) */
        if (j->flush.threaded)
            pthread_join(j->flush.thread, NULL);
        gnv__free(j->flush.res);
    }
    for (size_t i = 0; i < j->n_frags; i++) {
        bf_frag *fr = &j->frags[i];
        gnv__free(fr->batches);
        gnv__free(fr->ckpts);
        gnv__free(fr->rows);
    }
    gnv__free(j->frags);
    gnv__free(j->crashed);
    for (size_t i = 0; i < j->n_res; i++)
        gnv__array_release(&j->res[i].values);
    gnv__free(j->res);
    for (size_t i = 0; i < j->n_pend; i++)
        gnv__pb_free(&j->pend_files[i]->base);
    gnv__free(j->pend_ids);
    gnv__free(j->pend_files);
    gnv__free(j->pend_frag);
    gnv__free(j->leaf_ids);
    gnv__free(j->in_leaves);
    gnv__free(j->where);
    gnv__schema_release(&j->field);
    gnv__schema_release(&j->cols);
    gnv__udf_coldef_reset(&j->def);
    gnv__multicol_free(j->grp);
    gnv__policy_reset(&j->pol);
    gnv__errlog_reset(&j->log);
    gnv_udf_library_close(j->lib);
    gnv_table_close(j->rt);
}

static void progress(bf_job *j)
{
    if (j->o.progress)
        j->o.progress(&j->st, j->o.progress_payload);
    gnv__jobrun_progress(j->run, &j->st, j->met);
}

/* ---- options and the column --------------------------------------------------- */

static int check_options(bf_job *j, const gnv_backfill_options *opts)
{
    gnv_backfill_options d = GNV_BACKFILL_OPTIONS_INIT;
    if (opts) {
        if (opts->version > GNV_BACKFILL_OPTIONS_VERSION || opts->version == 0)
            return gnv__error_set(GNV_EVERSION, GNV_SUB_JOB,
                                  "backfill options version %u (this library knows 1 to %d)",
                                  opts->version, GNV_BACKFILL_OPTIONS_VERSION);
        /* a version 1 struct ends before on_error, a version 2 one before udf */
        memcpy(&d, opts,
               opts->version == 1   ? offsetof(gnv_backfill_options, on_error)
               : opts->version == 2 ? offsetof(gnv_backfill_options, udf)
                                    : sizeof d);
    }
    if (d.batch_checkpoint_flush_interval_seconds < 0 ||
        d.batch_checkpoint_flush_interval_seconds != d.batch_checkpoint_flush_interval_seconds ||
        d.intra_applier_concurrency < 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                              "backfill options: batch_checkpoint_flush_interval_seconds and "
                              "intra_applier_concurrency must not be negative");
    if (d.intra_applier_concurrency > MAX_INTRA_THREADS)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                              "backfill options: intra_applier_concurrency %d is above %d",
                              d.intra_applier_concurrency, MAX_INTRA_THREADS);
    if (d.concurrency < 0 || d.checkpoint_size < 0 || d.min_checkpoint_size < 0 ||
        d.max_checkpoint_size < 0 || d.task_size < 0 || d.commit_granularity < -1 ||
        d.num_frags < -1 || d.skip_frags < 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                              "backfill options: sizes and counts must not be negative");
    if (d.min_checkpoint_size && d.max_checkpoint_size &&
        d.min_checkpoint_size > d.max_checkpoint_size)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB,
                              "backfill options: min_checkpoint_size %" PRId64
                              " is above max_checkpoint_size %" PRId64,
                              d.min_checkpoint_size, d.max_checkpoint_size);
    if (d.executor != GNV_EXECUTOR_INLINE && d.executor != GNV_EXECUTOR_PROCESS)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB, "backfill options: unknown executor %d",
                              d.executor);
    if (d.concurrency == 0)
        d.concurrency = gnv__default_concurrency();
    /* a checkpoint_size alone fixes the batch size; otherwise sizing is adaptive */
    bool fixed = d.checkpoint_size && !d.min_checkpoint_size && !d.max_checkpoint_size;
    if (!fixed) {
        if (!d.max_checkpoint_size)
            j->max_call_bytes = DEFAULT_MAX_CALL_BYTES;
        if (!d.min_checkpoint_size) { /* checkpoint_size, else 100, at most max */
            int64_t min = d.checkpoint_size ? d.checkpoint_size : DEFAULT_CHECKPOINT_SIZE;
            d.min_checkpoint_size =
                d.max_checkpoint_size ? GNV_MIN(d.max_checkpoint_size, min) : min;
        }
        if (!d.max_checkpoint_size)
            d.max_checkpoint_size = GNV_MAX(d.min_checkpoint_size, DEFAULT_MAX_CHECKPOINT_SIZE);
    }
    if (d.checkpoint_size == 0)
        d.checkpoint_size = d.min_checkpoint_size;
    if (d.min_checkpoint_size && d.checkpoint_size < d.min_checkpoint_size)
        d.checkpoint_size = d.min_checkpoint_size;
    if (d.max_checkpoint_size && d.checkpoint_size > d.max_checkpoint_size)
        d.checkpoint_size = d.max_checkpoint_size;
    if (d.commit_granularity == 0)
        d.commit_granularity = DEFAULT_COMMIT_GRANULARITY;
    j->group = j->max_group = 1;
    if (!fixed) {
        /* adaptive: batches of min rows, calls of 1 to max / min of them, starting near
         * checkpoint_size rows */
        j->adaptive = true;
        j->max_group = (size_t)(d.max_checkpoint_size / d.min_checkpoint_size);
        j->group =
            (size_t)((d.checkpoint_size + d.min_checkpoint_size - 1) / d.min_checkpoint_size);
        j->group = GNV_MAX(1, GNV_MIN(j->group, j->max_group));
        d.checkpoint_size = d.min_checkpoint_size;
        j->target_seconds = TARGET_BATCH_SECONDS;
        const char *env = getenv("GENEVA_BACKFILL_TARGET_SECONDS");
        if (env && *env) {
            char *end = NULL;
            double v = strtod(env, &end);
            if (end && !*end && v > 0)
                j->target_seconds = v;
        }
    }
    j->o = d;
    return GNV_OK;
}

/* The leaf ids of top-level column `name` of m (appended to *ids); GNV_ENOTFOUND when
 * there is no such column. */
static int leaves_of(int32_t **ids, size_t *n_ids, const Gnvpb__Manifest *m, const char *name)
{
    int rc = GNV_OK;
    Gnvpb__Field **sub = gnv__calloc(m->n_fields ? m->n_fields : 1, sizeof *sub);
    int32_t *in = gnv__calloc(m->n_fields ? m->n_fields : 1, sizeof *in), *leaves = NULL;
    size_t n = 0, nl = 0;
    GNV_CHECK_ALLOC(sub);
    GNV_CHECK_ALLOC(in);
    for (size_t i = 0; i < m->n_fields; i++) {
        bool hit = m->fields[i]->parent_id == -1 && m->fields[i]->name &&
                   !strcmp(m->fields[i]->name, name);
        for (size_t k = 0; k < n && !hit; k++)
            hit = m->fields[i]->parent_id == in[k];
        if (hit) {
            sub[n] = m->fields[i];
            in[n++] = m->fields[i]->id;
        }
    }
    GNV_ERR_IF(n == 0, GNV_ENOTFOUND, GNV_SUB_JOB, "no column '%s'", name);
    GNV_TRYG(gnv__lance_leaf_ids(&leaves, &nl, sub, n));
    int32_t *grown = gnv__reallocarray(*ids, *n_ids + nl + 1, sizeof *grown);
    GNV_CHECK_ALLOC(grown);
    *ids = grown;
    memcpy(*ids + *n_ids, leaves, nl * sizeof *leaves);
    *n_ids += nl;
done:
    gnv__free(sub);
    gnv__free(in);
    gnv__free(leaves);
    return rc;
}

/* The column's Lance field (top level), its subtree's leaf ids and Arrow schema; the
 * leaves of the inputs. */
static int column_fields(bf_job *j)
{
    int rc = GNV_OK;
    const Gnvpb__Manifest *m = j->rt->m;
    Gnvpb__Field **sub = gnv__calloc(m->n_fields ? m->n_fields : 1, sizeof *sub);
    int32_t *ids = gnv__calloc(m->n_fields ? m->n_fields : 1, sizeof *ids);
    size_t n = 0;
    GNV_CHECK_ALLOC(sub);
    GNV_CHECK_ALLOC(ids);
    j->field_id = -1;
    for (size_t i = 0; i < m->n_fields; i++)
        if (m->fields[i]->parent_id == -1 && m->fields[i]->name &&
            !strcmp(m->fields[i]->name, j->column))
            j->field_id = m->fields[i]->id;
    GNV_ERR_IF(j->field_id < 0, GNV_ENOTFOUND, GNV_SUB_JOB, "table '%s' has no column '%s'",
               j->t->name, j->column);
    /* the subtree, in manifest (depth-first) order */
    for (size_t i = 0; i < m->n_fields; i++) {
        bool in = m->fields[i]->id == j->field_id;
        for (size_t k = 0; k < n && !in; k++)
            in = m->fields[i]->parent_id == ids[k];
        if (in) {
            sub[n] = m->fields[i];
            ids[n++] = m->fields[i]->id;
        }
    }
    GNV_TRYG(gnv__lance_leaf_ids(&j->leaf_ids, &j->n_leaf, sub, n));
    if (j->grp) { /* the leaves of all the group's columns, in group order */
        j->n_leaf = 0;
        for (size_t i = 0; i < j->grp->n_columns; i++)
            GNV_TRYG(leaves_of(&j->leaf_ids, &j->n_leaf, m, j->grp->columns[i]));
    }
    for (size_t i = 0; i < j->def.n_inputs; i++) {
        rc = leaves_of(&j->in_leaves, &j->n_in_leaf, m, j->def.inputs[i]);
        if (rc == GNV_ENOTFOUND)
            gnv__error_set(rc, GNV_SUB_JOB,
                           "column '%s': its input column '%s' is no longer in table '%s'",
                           j->column, j->def.inputs[i], j->t->name);
        if (rc < 0)
            goto done;
    }
    if (j->grp) {
        GNV_TRYG(gnv__schema_copy(&j->cols, &j->field));
    } else {
        GNV_TRYG(gnv__schema_init(&j->cols, "+s", "", 0));
        GNV_TRYG(gnv__schema_alloc_children(&j->cols, 1));
        GNV_TRYG(gnv__schema_copy(j->cols.children[0], &j->field));
    }
    const char *v = m->data_format ? m->data_format->version : NULL;
    if (!v || !strcmp(v, "2.1"))
        j->minor = 1;
    else if (!strcmp(v, "2.2"))
        j->minor = 2;
    else
        GNV_ERR_IF(true, GNV_ENOTSUP, GNV_SUB_JOB,
                   "table '%s': cannot write Lance data format '%s' (only 2.1 and 2.2)", j->t->name,
                   v);
done:
    gnv__free(sub);
    gnv__free(ids);
    return rc;
}

static bool is_own_file(const bf_job *j, const Gnvpb__DataFile *d)
{
    for (size_t a = 0; a < d->n_fields; a++)
        for (size_t b = 0; b < j->n_leaf; b++)
            if (d->fields[a] == j->leaf_ids[b])
                return true;
    return false;
}

/* The column may be in its own file, or among other columns (rows appended with every
 * column), in which case the commit tombstones it there; not in two files. */
static int check_layout(const bf_job *j, const Gnvpb__DataFragment *f)
{
    int holders = 0;
    for (size_t k = 0; k < f->n_files; k++)
        holders += is_own_file(j, f->files[k]);
    if (holders > 1)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_JOB,
                              "fragment %" PRIu64 " of table '%s' holds column '%s' in %d data "
                              "files; backfilling it is not supported yet",
                              f->id, j->t->name, j->column, holders);
    return GNV_OK;
}

/* ---- plan ----------------------------------------------------------------------- */

static int default_where(char **out, const char *column)
{
    gnv_buf b = GNV_BUF_INIT;
    int rc = gnv__buf_putc(&b, '"');
    for (const char *p = column; rc == GNV_OK && *p; p++)
        rc = *p == '"' ? gnv__buf_puts(&b, "\"\"") : gnv__buf_putc(&b, *p);
    if (rc == GNV_OK)
        rc = gnv__buf_puts(&b, "\" IS NULL");
    if (rc == GNV_OK)
        *out = gnv__buf_detach(&b, NULL);
    gnv_buf_dispose(&b);
    return rc;
}

/* Whether every live row of fragments [first, last) matches without evaluating the
 * filter: the default filter (`<column> IS NULL`) where no fragment has data of the
 * column yet (a column just added, the first backfill). */
static bool all_rows_match(const bf_job *j, size_t first, size_t last)
{
    const Gnvpb__Manifest *m = j->rt->m;
    if ((j->o.where && *j->o.where) || j->grp)
        return false;
    for (size_t i = first; i < last; i++)
        for (size_t k = 0; k < m->fragments[i]->n_files; k++)
            if (is_own_file(j, m->fragments[i]->files[k]))
                return false;
    return true;
}

/* The matching rows of one planned fragment: offsets, ascending; while they are
 * 0, 1, 2, ... no array is kept (rows NULL). */
typedef struct frag_rows {
    uint32_t *rows;
    size_t n, cap;
    bool out; /* compacted: rows lists the n_out other rows (see bf_frag) */
    size_t n_out;
} frag_rows;

/* A fragment's matching rows are all known (of `physical` rows): keep the shorter of
 * their list and the list of the other rows. */
static int frag_rows_compact(frag_rows *f, uint64_t physical)
{
    if (!f->rows || f->out)
        return GNV_OK;
    size_t n_out = (size_t)physical - f->n;
    if (f->n <= n_out) { /* the matching rows: drop the growth's slack */
        uint32_t *r = gnv__reallocarray(f->rows, f->n ? f->n : 1, sizeof *r);
        f->rows = r ? r : f->rows;
        f->cap = r ? f->n : f->cap;
        return GNV_OK;
    }
    uint32_t *o = gnv__reallocarray(NULL, n_out ? n_out : 1, sizeof *o);
    if (!o)
        return gnv__error_oom();
    size_t k = 0, e = 0;
    for (uint32_t r = 0; r < (uint32_t)physical; r++) {
        if (k < f->n && f->rows[k] == r)
            k++;
        else
            o[e++] = r;
    }
    gnv__free(f->rows);
    f->rows = o;
    f->cap = f->n_out = e;
    f->out = true;
    return GNV_OK;
}

static int frag_rows_add(frag_rows *f, uint32_t row)
{
    if (!f->rows && row == f->n) {
        f->n++;
        return GNV_OK;
    }
    if (!f->rows) { /* the first row out of line: the ones before as an array */
        size_t cap = GNV_MAX(f->n + 1, (size_t)1024);
        f->rows = gnv__reallocarray(NULL, cap, sizeof *f->rows);
        if (!f->rows)
            return gnv__error_oom();
        f->cap = cap;
        for (size_t k = 0; k < f->n; k++)
            f->rows[k] = (uint32_t)k;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 1024;
        uint32_t *r = gnv__reallocarray(f->rows, cap, sizeof *r);
        if (!r)
            return gnv__error_oom();
        f->rows = r;
        f->cap = cap;
    }
    f->rows[f->n++] = row;
    return GNV_OK;
}

/* Sorting the rows a filter selects into their fragments [first, last). */
typedef struct rows_sort {
    const Gnvpb__Manifest *m;
    size_t first, last;
    size_t cur; /* the fragment of the last row seen (rows come in fragment order) */
    frag_rows *out;
} rows_sort;

static int sort_rows(const uint64_t *v, size_t n, void *payload)
{
    rows_sort *s = payload;
    for (size_t k = 0; k < n; k++) {
        uint64_t fid = v[k] >> 32;
        if (s->cur >= s->last || s->m->fragments[s->cur]->id != fid) {
            if (s->cur < s->last) /* its rows are all seen */
                GNV_TRY(frag_rows_compact(&s->out[s->cur - s->first],
                                          s->m->fragments[s->cur]->physical_rows));
            s->cur = s->first;
            while (s->cur < s->last && s->m->fragments[s->cur]->id != fid)
                s->cur++;
        }
        if (s->cur < s->last) /* (rows of fragments not selected are left out) */
            GNV_TRY(frag_rows_add(&s->out[s->cur - s->first], (uint32_t)(v[k] & 0xffffffffu)));
    }
    return GNV_OK;
}

/* The rows of fragments [first, last) that the job's filter selects, into out[i - first]
 * (the filter's row addresses are taken in batch by batch; a fragment's list is
 * compacted once the scan is past it, so it holds at most 2 bytes a physical row, and
 * 4 for the fragment being scanned). */
static int matching_rows(bf_job *j, size_t first, size_t last, frag_rows *out)
{
    int rc = GNV_OK;
    const Gnvpb__Manifest *m = j->rt->m;
    uint8_t *del = NULL;
    if (all_rows_match(j, first, last)) { /* every live row, no filter to evaluate */
        for (size_t i = first; i < last; i++) {
            const Gnvpb__DataFragment *f = m->fragments[i];
            gnv__free(del);
            del = NULL;
            GNV_TRYG(gnv__fragment_deletions(j->t->io, j->t->dir, j->t->name, f, &del));
            if (!del) { /* every row: kept as a range */
                out[i - first].n = (size_t)f->physical_rows;
                continue;
            }
            for (uint64_t r = 0; r < f->physical_rows; r++)
                if (!((del[r >> 3] >> (r & 7)) & 1))
                    GNV_TRYG(frag_rows_add(&out[i - first], (uint32_t)r));
            GNV_TRYG(frag_rows_compact(&out[i - first], f->physical_rows));
        }
        goto done;
    }
    rows_sort s = {m, first, last, first, out};
    GNV_TRYG(gnv__table_each_rowaddr(j->rt, j->where, sort_rows, &s));
    for (size_t i = first; i < last; i++)
        GNV_TRYG(frag_rows_compact(&out[i - first], m->fragments[i]->physical_rows));
done:
    gnv__free(del);
    return rc;
}

static int plan(bf_job *j)
{
    int rc = GNV_OK;
    const Gnvpb__Manifest *m = j->rt->m;
    size_t first = (size_t)GNV_MIN((uint64_t)j->o.skip_frags, (uint64_t)m->n_fragments);
    size_t last = j->o.num_frags < 0 ? m->n_fragments
                                     : (size_t)GNV_MIN((uint64_t)first + (uint64_t)j->o.num_frags,
                                                       (uint64_t)m->n_fragments);
    frag_rows *sel = gnv__calloc(last - first + 1, sizeof *sel);
    GNV_CHECK_ALLOC(sel);
    rc = matching_rows(j, first, last, sel);
    if (rc < 0) {
        const gnv_error *e = gnv_error_last();
        if (rc == GNV_EINVAL && e && strncmp(e->message, "where", 5) != 0)
            gnv__error_prefix("where");
        goto done;
    }
    j->frags = gnv__calloc(last - first + 1, sizeof *j->frags);
    GNV_CHECK_ALLOC(j->frags);
    int64_t cks = j->o.checkpoint_size;
    for (size_t i = first; i < last; i++) {
        const Gnvpb__DataFragment *f = m->fragments[i];
        frag_rows *fs = &sel[i - first];
        if (fs->n == 0) {
            /* nothing to compute: checkpoints left by a killed run are stale */
            if (j->clean_stale)
                GNV_TRYG(gnv__ckpt_remove_fragment(j->t->io, j->t, j->field_id, f->id, NULL));
            continue;
        }
        GNV_TRYG(check_layout(j, f));
        bf_frag *fr = &j->frags[j->n_frags++];
        fr->f = f;
        fr->n_rows = fs->n;
        fr->rows = fs->rows; /* moved */
        fr->rows_out = fs->out;
        fr->n_out = fs->n_out;
        fs->rows = NULL;
        fr->batch_rows = (size_t)cks;
        size_t nb = (fr->n_rows + (size_t)cks - 1) / (size_t)cks;
        fr->batches = gnv__calloc(nb, sizeof *fr->batches);
        GNV_CHECK_ALLOC(fr->batches);
        fr->n_batches = nb;
        gnv__ckpt_id id = {&j->def, j->column, j->where, j->t->name, f, j->leaf_ids, j->n_leaf};
        GNV_TRYG(gnv__ckpt_key(fr->key, &id));
        j->st.rows += (int64_t)fr->n_rows;
        j->st.batches += (int64_t)fr->n_batches;
    }
    j->st.fragments = (int64_t)j->n_frags;
    /* tasks: task_size rows, i.e. whole batches */
    int64_t ts = j->o.task_size;
    if (ts == 0) {
        int workers = j->o.executor == GNV_EXECUTOR_PROCESS ? j->o.concurrency : 1;
        ts = j->st.rows / workers / 2;
    }
    if (ts < cks)
        ts = cks;
    j->batches_per_task = (size_t)(ts / cks);
    size_t task = 0;
    for (size_t i = 0; i < j->n_frags; i++) {
        bf_frag *fr = &j->frags[i];
        fr->first_task = task;
        fr->n_tasks = (fr->n_batches + j->batches_per_task - 1) / j->batches_per_task;
        task += fr->n_tasks;
    }
    j->st.tasks = (int64_t)task;
done:
    for (size_t i = 0; sel && i < last - first; i++)
        gnv__free(sel[i].rows);
    gnv__free(sel);
    return rc;
}

/* ---- checkpoints ---------------------------------------------------------------- */

/* Physical rows [start, end) of batches [b0, b0 + nb) of fr. */
static void ckpt_range(const bf_frag *fr, size_t b0, size_t nb, int64_t *start, int64_t *end)
{
    size_t first = batch_first(fr, b0);
    *start = frag_row(fr, first);
    *end = (int64_t)frag_row(fr, first + batches_rows(fr, b0, nb) - 1) + 1;
}

static int ckpt_file(char **out, const bf_job *j, const bf_frag *fr, size_t b0, size_t nb)
{
    int64_t start, end;
    ckpt_range(fr, b0, nb, &start, &end);
    return gnv__ckpt_path(out, j->t, j->field_id, fr->f->id, fr->key, start, end);
}

/* Batches [b0, b0 + nb) of fr are in a checkpoint file. */
static int add_ckpt(bf_frag *fr, size_t b0, size_t nb)
{
    if (fr->n_ckpts == fr->cap_ckpts) {
        size_t cap = fr->cap_ckpts ? fr->cap_ckpts * 2 : 4;
        bf_ckpt *c = gnv__reallocarray(fr->ckpts, cap, sizeof *c);
        if (!c)
            return gnv__error_oom();
        fr->ckpts = c;
        fr->cap_ckpts = cap;
    }
    fr->ckpts[fr->n_ckpts++] = (bf_ckpt){b0, nb};
    for (size_t b = b0; b < b0 + nb; b++)
        fr->batches[b].done = true;
    return GNV_OK;
}

/* The batch of fr whose first row is physical row `row` (fr->n_batches: none). */
static size_t batch_starting_at(const bf_frag *fr, int64_t row)
{
    size_t lo = 0, hi = fr->n_batches;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t r = frag_row(fr, batch_first(fr, mid));
        if (r == row)
            return mid;
        if (r < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return fr->n_batches;
}

typedef struct adopt_ctx {
    bf_job *j;
    bool clean;       /* remove the files of planned fragments the plan cannot use */
    bool verify;      /* read each file and check its rows and type */
    int64_t found;    /* batches adopted */
    gnv_buf unusable; /* names to remove, NUL-separated */
    int rc;           /* an error that stopped the listing */
} adopt_ctx;

/* Note file `name` for removal (list callback result). */
static int mark_unusable(adopt_ctx *a, const char *name)
{
    a->rc = gnv__buf_put(&a->unusable, name, strlen(name) + 1);
    return a->rc < 0;
}

static bf_frag *planned_fragment(bf_job *j, uint64_t id)
{
    for (size_t i = 0; i < j->n_frags; i++)
        if (j->frags[i].f->id == id)
            return &j->frags[i];
    return NULL;
}

/* Take checkpoint file `name` if it holds batches of a planned fragment not done yet,
 * with the expected rows and a value of the column's type. */
static int adopt_one(const char *name, int is_dir, void *payload)
{
    adopt_ctx *a = payload;
    bf_job *j = a->j;
    gnv__ckpt_name cn;
    char prefix[64];
    if (is_dir)
        return 0;
    if (!gnv__ckpt_parse_name(name, &cn)) {
        /* an old-style or foreign name: stale if it names a planned fragment */
        uint64_t frag;
        int32_t field;
        if (a->clean && sscanf(name, "f%" SCNd32 "-%" SCNu64 "-", &field, &frag) == 2 &&
            field == j->field_id && planned_fragment(j, frag)) {
            snprintf(prefix, sizeof prefix, "f%d-%" PRIu64 "-", (int)field, frag);
            if (strncmp(name, prefix, strlen(prefix)) == 0)
                return mark_unusable(a, name);
        }
        return 0;
    }
    if (cn.field_id != j->field_id)
        return 0;
    bf_frag *fr = planned_fragment(j, cn.frag_id);
    if (!fr)
        return 0;
    size_t b0 = batch_starting_at(fr, cn.start), b1 = b0;
    bool usable = strcmp(cn.key, fr->key) == 0 && b0 < fr->n_batches;
    for (; usable && b1 < fr->n_batches; b1++) {
        if (fr->batches[b1].done) {
            usable = false; /* overlaps a file taken already */
            break;
        }
        int64_t end = (int64_t)frag_row(fr, batch_first(fr, b1) + batch_size(fr, b1) - 1) + 1;
        if (end >= cn.end) {
            usable = end == cn.end;
            break;
        }
    }
    if (usable && b1 == fr->n_batches)
        usable = false;
    if (usable && !a->verify) {
        a->rc = add_ckpt(fr, b0, b1 - b0 + 1);
        a->found += a->rc == GNV_OK ? (int64_t)(b1 - b0 + 1) : 0;
        return a->rc < 0;
    }
    if (usable) {
        char *path = NULL;
        bool ok = false;
        uint32_t *tmp;
        size_t n = batches_rows(fr, b0, b1 - b0 + 1);
        const uint32_t *rows = rows_span(fr, batch_first(fr, b0), n, &tmp);
        int rc = rows ? ckpt_file(&path, j, fr, b0, b1 - b0 + 1) : gnv__error_oom();
        if (rc == GNV_OK)
            rc = gnv__ckpt_read(&ok, NULL, j->t->io, path, &j->field, rows, (int64_t)n);
        gnv__free(path);
        gnv__free(tmp);
        if (rc == GNV_OK && ok) { /* (a damaged file was removed: computed again) */
            rc = add_ckpt(fr, b0, b1 - b0 + 1);
            a->found += (int64_t)(b1 - b0 + 1);
        }
        a->rc = rc;
        return rc < 0;
    }
    return a->clean ? mark_unusable(a, name) : 0;
}

/* Take the checkpoint files of the planned fragments (those left by earlier runs, or
 * written by workers): their batches are done. With `clean`, remove the files of
 * planned fragments that this plan cannot use (other filters, functions or sizes).
 * With `verify`, read each file first (a damaged one is removed, to be computed again);
 * without, trust the names: files this run's workers wrote appear whole (renamed once
 * synced), and are read and checked again when their fragment is written. */
static int adopt_checkpoints(bf_job *j, bool clean, bool verify, int64_t *found_out)
{
    adopt_ctx a = {j, clean, verify, 0, GNV_BUF_INIT, GNV_OK};
    int rc = gnv__ckpt_list(j->t->io, j->t, adopt_one, &a);
    if (a.rc < 0)
        rc = a.rc;
    for (size_t off = 0; rc == GNV_OK && off < a.unusable.size;) {
        const char *name = a.unusable.ptr + off;
        gnv_buf p = GNV_BUF_INIT;
        if (gnv__buf_printf(&p, "%s/%s/%s", j->t->dir, GNV__CKPT_DIR, name) == GNV_OK)
            (void)j->t->io->vt->remove(j->t->io, p.ptr);
        gnv_buf_dispose(&p);
        gnv_error_clear();
        off += strlen(name) + 1;
    }
    gnv_buf_dispose(&a.unusable);
    if (found_out)
        *found_out = a.found;
    return rc;
}

/* Remove fr's checkpoint files (its values are committed, or some are unusable). */
static void remove_ckpts(bf_job *j, bf_frag *fr)
{
    for (size_t c = 0; c < fr->n_ckpts; c++) {
        char *path = NULL;
        if (ckpt_file(&path, j, fr, fr->ckpts[c].b0, fr->ckpts[c].nb) == GNV_OK)
            (void)j->t->io->vt->remove(j->t->io, path);
        gnv__free(path);
        gnv_error_clear();
    }
    fr->n_ckpts = 0;
}

/* opts->udf instead of the column's function: validate it, keep its library and name
 * it in the definition (so in the checkpoint keys). */
static int use_override(bf_job *j)
{
    int rc = GNV_OK;
    const gnv_udf_function *fn = j->o.udf;
    char lib[80], *f = NULL, *v = NULL, *l = NULL;
    GNV_TRYG(gnv__udf_check_binding(j->rt, j->column, &j->field, fn,
                                    (const char *const *)j->def.inputs, j->def.n_inputs));
    if (j->clean_stale)
        GNV_TRYG(gnv__udf_store_library(j->t, fn->lib));
    snprintf(lib, sizeof lib, "%s.so", gnv_udf_library_sha256(fn->lib));
    f = gnv__strdup(gnv_udf_function_name(fn));
    v = gnv__strdup(gnv_udf_function_version(fn));
    l = gnv__strdup(lib);
    GNV_ERR_IF(!f || !v || !l, GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    gnv__free(j->def.function);
    gnv__free(j->def.version);
    gnv__free(j->def.library);
    j->def.function = f;
    j->def.version = v;
    j->def.library = l;
    f = v = l = NULL;
done:
    gnv__free(f);
    gnv__free(v);
    gnv__free(l);
    if (rc < 0 && rc != GNV_ENOMEM)
        gnv__error_prefix("backfill options: udf");
    return rc;
}

/* Open, set up and prepare everything a run or a plan needs. */
static int
prepare(bf_job *j, gnv_table *t, const char *column, const gnv_backfill_options *opts, bool run)
{
    int rc = GNV_OK;
    memset(j, 0, sizeof *j);
    j->clean_stale = run;
    j->t = t;
    j->column = column;
    GNV_ERR_IF(!t || !column, GNV_EINVAL, GNV_SUB_JOB, "backfill: table and column are required");
    GNV_TRYG(check_options(j, opts));
    j->last_flush = gnv__now();
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_JOB,
               "table '%s' is a read-only checkout of version %llu", t->name,
               (unsigned long long)gnv_table_version(t));
    GNV_TRYG(gnv_table_checkout_latest(t));
    uint64_t v = j->o.read_version ? j->o.read_version : gnv_table_version(t);
    GNV_TRYG(gnv_table_checkout(&j->rt, t, v));
    j->st.read_version = v;
    GNV_TRYG(gnv__udf_coldef_of(&j->def, &j->field, j->rt, column));
    GNV_TRYG(gnv__multicol_of(&j->grp, &j->field, j->rt, column));
    if (j->o.udf)
        GNV_TRYG(use_override(j));
    if (j->o.where && *j->o.where) {
        j->where = gnv__strdup(j->o.where);
        GNV_CHECK_ALLOC(j->where);
    } else {
        GNV_TRYG(j->grp ? gnv__multicol_where(&j->where, j->grp)
                        : default_where(&j->where, column));
    }
    GNV_TRYG(column_fields(j));
    GNV_TRYG(gnv__job_policy(&j->pol, j->st.job_id, &j->o, &j->def, column));
    GNV_TRYG(plan(j));
done:
    return rc;
}

/* Load the column's function from the table's copy of its library. */
static int load_function(bf_job *j)
{
    int rc = GNV_OK;
    gnv_buf rel = GNV_BUF_INIT, full = GNV_BUF_INIT;
    uint64_t size;
    if (j->o.udf) { /* the caller's function (checked by use_override) */
        j->fn = j->o.udf;
        return GNV_OK;
    }
    GNV_TRYG(gnv__buf_printf(&rel, "%s/%s/%s", j->t->dir, GNV__UDF_DIR, j->def.library));
    rc = j->t->io->vt->stat(j->t->io, rel.ptr, &size);
    if (rc == GNV_ENOTFOUND)
        GNV_ERR_IF(true, GNV_ENOTFOUND, GNV_SUB_JOB,
                   "column '%s': its UDF library '%s' is missing from the table's %s/", j->column,
                   j->def.library, GNV__UDF_DIR);
    if (rc < 0)
        goto done;
    GNV_TRYG(gnv__buf_printf(&full, "%s/%s", j->t->db->path, rel.ptr));
    GNV_TRYG(gnv_udf_library_open(&j->lib, full.ptr));
    GNV_TRYG(gnv_udf_library_find(&j->fn, j->lib, j->def.function));
    GNV_ERR_IF(strcmp(gnv_udf_function_version(j->fn), j->def.version) != 0, GNV_EINVAL,
               GNV_SUB_JOB,
               "column '%s': function '%s' of its library has version '%s', the column was "
               "defined with '%s'",
               j->column, j->def.function, gnv_udf_function_version(j->fn), j->def.version);
done:
    gnv_buf_dispose(&rel);
    gnv_buf_dispose(&full);
    return rc;
}

/* ---- apply ---------------------------------------------------------------------- */

/* Bytes that elements [start, start + n) of a view hold, roughly: what one call's
 * inputs take in memory. */
static int64_t view_bytes(const gnv_array_view *v, int64_t start, int64_t n)
{
    int64_t bytes = n / 8 + 1, s0, e0, s1, e1, len0, len1;
    if (n <= 0)
        return 0;
    switch (v->type.id) {
    case GNV_TYPE_STRING:
    case GNV_TYPE_LARGE_STRING:
    case GNV_TYPE_BINARY:
    case GNV_TYPE_LARGE_BINARY: {
        const uint8_t *p0 = gnv__view_get_bytes(v, start, &len0);
        const uint8_t *p1 = gnv__view_get_bytes(v, start + n - 1, &len1);
        return bytes + n * 8 + (p0 && p1 ? (int64_t)(p1 + len1 - p0) : 0);
    }
    case GNV_TYPE_LIST:
    case GNV_TYPE_LARGE_LIST:
        gnv__view_list_range(v, start, &s0, &e0);
        gnv__view_list_range(v, start + n - 1, &s1, &e1);
        return bytes + n * 8 + view_bytes(&v->children[0], s0, e1 - s0);
    case GNV_TYPE_FIXED_SIZE_LIST:
        return bytes + view_bytes(&v->children[0], (v->offset + start) * v->type.fixed_size,
                                  n * v->type.fixed_size);
    case GNV_TYPE_STRUCT:
        for (int64_t c = 0; c < v->n_children; c++)
            bytes += view_bytes(&v->children[c], v->offset + start, n);
        return bytes;
    default:
        return bytes + n * GNV_MAX(1, gnv__type_byte_width(&v->type));
    }
}

/* One call of the function: batches [b0, b0 + nb) of fr (consecutive) under the error
 * policy, run by the task's thread or by one of its helpers (intra_applier_concurrency).
 * What it changes is its own until the task's thread takes it in (call_finish). */
typedef struct bf_call {
    bf_job *j;
    bf_frag *fr;
    size_t b0, nb;
    gnv__errlog log;       /* its failed rows */
    char first_error[512]; /* its first failure, with its row */
    struct ArrowArray out;
    int rc, err_sub;
    char err_msg[1024]; /* rc's message (errors are per thread) */
    double seconds;
    double row_bytes; /* input bytes per row */
    pthread_t thread;
    bool threaded;
    /* its inputs read ahead (while the call before it ran), used by its first attempt */
    struct ArrowSchema pre_schema;
    struct ArrowArray pre_in;
    int pre_rc;
} bf_call;

static void call_reset_input(bf_call *c)
{
    gnv__array_release(&c->pre_in);
    gnv__schema_release(&c->pre_schema);
}

/* The function's values for rows addrs[0..n) (a gnv__compute_fn; payload: a bf_call). */
static int compute_rows(struct ArrowArray *out, const uint64_t *addrs, size_t n, void *payload)
{
    int rc = GNV_OK;
    bf_call *c = payload;
    bf_job *j = c->j;
    struct ArrowSchema in_schema = {0};
    struct ArrowArray in = {0};
    double t0 = gnv__now();
    if (c->pre_in.release && c->pre_in.length == (int64_t)n) { /* read ahead: the call's rows */
        gnv__array_move(&c->pre_in, &in);
        gnv__schema_move(&c->pre_schema, &in_schema);
    } else {
        call_reset_input(c);
        GNV_TRYG(gnv_table_take(j->rt, addrs, n, (const char *const *)j->def.inputs,
                                j->def.n_inputs, &in_schema, &in));
        gnv__met_since(&j->met->read_us, t0);
    }
    if (j->max_call_bytes && n > 0) {
        gnv_array_view v = {0};
        GNV_TRYG(gnv__array_view_init(&v, &in_schema, &in));
        c->row_bytes = (double)view_bytes(&v, 0, (int64_t)n) / (double)n;
        gnv__array_view_reset(&v);
    }
    double t1 = gnv__now();
    GNV_TRYG(gnv_udf_call(out, j->fn, &in_schema, &in));
    gnv__met_since(&j->met->udf_us, t1);
done:
    gnv__array_release(&in);
    gnv__schema_release(&in_schema);
    return rc;
}

/* The run of results res[i..end) of consecutive batches of one fragment: end, and its
 * batches in *nb. */
static size_t result_run(const bf_result *res, size_t n_res, size_t i, size_t *nb)
{
    size_t k = i + 1;
    *nb = res[i].nb;
    for (; k < n_res && res[k].fr == res[i].fr && res[k].b0 == res[i].b0 + *nb; k++)
        *nb += res[k].nb;
    return k;
}

/* Write the checkpoint files of res[0..n_res), one for each run of consecutive batches
 * of a fragment, releasing their values. It changes no batch's state, so it may run on
 * a thread of its own (flush_start()). */
static int write_results(bf_job *j, bf_result *res, size_t n_res)
{
    int rc = GNV_OK;
    double t0 = gnv__now();
    const struct ArrowArray **parts = gnv__calloc(n_res ? n_res : 1, sizeof *parts);
    struct ArrowArray joined = {0};
    char *path = NULL;
    uint32_t *tmp = NULL;
    GNV_CHECK_ALLOC(parts);
    for (size_t i = 0, k, nb; i < n_res; i = k) {
        k = result_run(res, n_res, i, &nb);
        for (size_t q = i; q < k; q++)
            parts[q - i] = &res[q].values;
        bf_frag *fr = res[i].fr;
        size_t n = batches_rows(fr, res[i].b0, nb);
        const struct ArrowArray *values = parts[0];
        if (k - i > 1) {
            GNV_TRYG(gnv__array_concat(&joined, &j->field, parts, (int64_t)(k - i)));
            values = &joined;
        }
        GNV_TRYG(ckpt_file(&path, j, fr, res[i].b0, nb));
        const uint32_t *rows = rows_span(fr, batch_first(fr, res[i].b0), n, &tmp);
        GNV_CHECK_ALLOC(rows);
        GNV_TRYG(gnv__ckpt_write(j->t->io, path, &j->field, rows, values, (int64_t)n));
        gnv__free(path);
        gnv__free(tmp);
        path = NULL;
        tmp = NULL;
        gnv__array_release(&joined);
    }
done:
    for (size_t k = 0; k < n_res; k++)
        gnv__array_release(&res[k].values);
    gnv__free(parts);
    gnv__free(tmp);
    gnv__free(path);
    gnv__array_release(&joined);
    gnv__met_since(&j->met->ckpt_us, t0);
    return rc;
}

/* The checkpoints of res[0..n_res) are written: their batches are done. */
static int results_written(const bf_result *res, size_t n_res)
{
    for (size_t i = 0, k, nb; i < n_res; i = k) {
        k = result_run(res, n_res, i, &nb);
        GNV_TRY(add_ckpt(res[i].fr, res[i].b0, nb));
    }
    return GNV_OK;
}

/* The results kept in memory are handed over: the next checkpoint starts. */
static void results_reset(bf_job *j)
{
    j->n_res = 0;
    j->res_rows = 0;
    j->pend_batches = 0;
    j->pend_seconds = 0;
    j->last_flush = gnv__now();
}

/* Write the checkpoints of the results kept in memory, here and now. */
static int flush_results(bf_job *j)
{
    if (j->n_res == 0)
        return GNV_OK;
    int rc = write_results(j, j->res, j->n_res);
    if (rc == GNV_OK)
        rc = results_written(j->res, j->n_res);
    results_reset(j);
    return rc;
}

static void *flush_thread(void *arg)
{
    bf_flush *f = arg;
    f->rc = write_results(f->j, f->res, f->n_res);
    if (f->rc < 0) { /* (errors are per thread) */
        const gnv_error *e = gnv_error_last();
        f->err_sub = e ? e->subsystem : GNV_SUB_JOB;
        snprintf(f->err, sizeof f->err, "%s", e ? e->message : "cannot write a checkpoint");
        gnv_error_clear();
    }
    return NULL;
}

/* Wait for the checkpoint being written (flush_start()) and mark its batches done, or
 * return its error. */
static int flush_wait(bf_job *j)
{
    bf_flush *f = &j->flush;
    if (!f->pending)
        return GNV_OK;
    if (f->threaded)
        pthread_join(f->thread, NULL);
    int rc = f->rc < 0 ? gnv__error_set(f->rc, f->err_sub, "%s", f->err)
                       : results_written(f->res, f->n_res);
    gnv__free(f->res);
    memset(f, 0, sizeof *f);
    return rc;
}

/* Write the checkpoint of the results kept in memory on a thread of its own while the
 * next calls compute (once the one before is written), so its I/O and sync cost no
 * time; on this thread when no thread can start. A kill then loses at most the
 * checkpoint being written and the one being computed. */
static int flush_start(bf_job *j)
{
    GNV_TRY(flush_wait(j));
    if (j->n_res == 0)
        return GNV_OK;
    bf_flush *f = &j->flush;
    f->j = j;
    f->res = j->res;
    f->n_res = j->n_res;
    f->pending = true;
    j->res = NULL; /* the next results go to a new array */
    j->cap_res = 0;
    results_reset(j);
    f->threaded = pthread_create(&f->thread, NULL, flush_thread, f) == 0;
    if (!f->threaded)
        flush_thread(f);
    return GNV_OK;
}

/* Keep the values of batches [b0, b0 + nb) of fr (one call's) until the next flush. */
static int keep_result(bf_job *j, bf_frag *fr, size_t b0, size_t nb, struct ArrowArray *values)
{
    if (j->n_res == j->cap_res) {
        size_t cap = j->cap_res ? j->cap_res * 2 : 8;
        bf_result *r = gnv__realloc(j->res, cap * sizeof *r);
        if (!r)
            return gnv__error_oom();
        j->res = r;
        j->cap_res = cap;
    }
    bf_result *r = &j->res[j->n_res++];
    r->fr = fr;
    r->b0 = b0;
    r->nb = nb;
    gnv__array_move(values, &r->values);
    j->res_rows += r->values.length;
    return GNV_OK;
}

/* Whether the results kept in memory are due to be written. */
static bool flush_due(const bf_job *j)
{
    if (j->n_res == 0)
        return false;
    double iv = j->o.batch_checkpoint_flush_interval_seconds;
    if (iv <= 0)
        return j->pend_batches >= j->group;
    if (gnv__now() - j->last_flush >= iv)
        return true;
    if (j->o.max_checkpoint_size)
        return j->res_rows >= j->o.max_checkpoint_size;
    return j->n_res >= MAX_PENDING_BATCHES;
}

/* The addresses of a call's rows (gnv__free; NULL: out of memory), n of them. */
static uint64_t *call_addrs(const bf_call *c, size_t *n)
{
    const bf_frag *fr = c->fr;
    size_t first = batch_first(fr, c->b0);
    *n = batches_rows(fr, c->b0, c->nb);
    uint64_t *addrs = gnv__malloc((*n ? *n : 1) * sizeof *addrs);
    uint32_t *tmp = NULL;
    const uint32_t *rows = NULL;
    if (addrs && fr->rows && !(rows = rows_span(fr, first, *n, &tmp))) {
        gnv__free(addrs);
        return NULL;
    }
    for (size_t k = 0; addrs && k < *n; k++)
        addrs[k] = (fr->f->id << 32) | (rows ? rows[k] : (uint32_t)(first + k));
    gnv__free(tmp);
    return addrs;
}

static void call_run(bf_call *c)
{
    int rc = GNV_OK;
    bf_job *j = c->j;
    bf_frag *fr = c->fr;
    size_t first = batch_first(fr, c->b0), n;
    double t0 = gnv__now();
    uint64_t *addrs = call_addrs(c, &n);
    gnv__apply ap = {&j->pol,
                     &c->log,
                     &j->field,
                     compute_rows,
                     c,
                     fr->batches[c->b0].isolate,
                     j->crashed,
                     j->n_crashed,
                     j->cur ? &j->cur[j->slot] : NULL,
                     0,
                     ""};
    GNV_CHECK_ALLOC(addrs);
    __atomic_add_fetch(&gnv__backfill_udf_calls, 1, __ATOMIC_RELAXED);
    rc = gnv__apply_batch(&ap, &c->out, addrs, n);
    memcpy(c->first_error, ap.first_error, sizeof c->first_error);
done:
    call_reset_input(c);
    gnv__free(addrs);
    if (rc < 0 && rc != GNV_ENOMEM)
        gnv__error_prefix("column '%s', fragment %" PRIu64 ", rows %u..%u", j->column, fr->f->id,
                          frag_row(fr, first), frag_row(fr, first + n - 1));
    if (rc < 0) {
        const gnv_error *e = gnv_error_last();
        c->err_sub = e ? e->subsystem : GNV_SUB_JOB;
        snprintf(c->err_msg, sizeof c->err_msg, "%s", e ? e->message : "backfill failed");
    }
    c->rc = rc;
    c->seconds = gnv__now() - t0;
}

static void *call_thread(void *arg)
{
    call_run(arg);
    return NULL;
}

/* Read a call's inputs ahead (on a thread of its own); a failure is left for the call
 * to meet again and report. */
static void *read_ahead(void *arg)
{
    bf_call *c = arg;
    bf_job *j = c->j;
    size_t n;
    double t0 = gnv__now();
    uint64_t *addrs = call_addrs(c, &n);
    c->pre_rc = GNV_ENOMEM;
    if (addrs) {
        c->pre_rc = gnv_table_take(j->rt, addrs, n, (const char *const *)j->def.inputs,
                                   j->def.n_inputs, &c->pre_schema, &c->pre_in);
    }
    if (c->pre_rc < 0)
        gnv_error_clear();
    gnv__met_since(&j->met->read_us, t0);
    gnv__free(addrs);
    return NULL;
}

/* Take a finished call in (on the task's thread): its failed rows into the job's log,
 * its values kept for their checkpoint, or its error returned. */
static int call_finish(bf_job *j, bf_call *c)
{
    int rc = c->rc;
    for (size_t i = 0; i < c->log.n; i++) {
        const gnv__err_rec *e = &c->log.recs[i];
        int arc = gnv__errlog_add(&j->log, e->addr, e->code, e->type, e->message, e->attempt);
        if (arc < 0) {
            rc = arc;
            break;
        }
    }
    j->log.retries += c->log.retries;
    gnv__errlog_reset(&c->log);
    if (c->first_error[0] && !j->first_error[0])
        memcpy(j->first_error, c->first_error, sizeof j->first_error);
    if (c->row_bytes > 0)
        j->row_bytes = c->row_bytes;
    if (j->in_worker) { /* the parent collects the worker's errors from its file */
        int lrc = gnv__job_worker_log(&j->log, j->t, j->st.job_id);
        if (lrc < 0 && rc == GNV_OK)
            rc = lrc;
    }
    if (rc < 0) {
        gnv__array_release(&c->out);
        if (rc == c->rc)
            gnv__error_set(rc, c->err_sub, "%s", c->err_msg);
        return rc;
    }
    rc = keep_result(j, c->fr, c->b0, c->nb, &c->out);
    if (rc < 0) {
        gnv__array_release(&c->out);
        return rc;
    }
    if (!j->in_worker && j->pol.action == GNV_ON_ERROR_SKIP &&
        gnv__policy_over_budget(&j->pol, (int64_t)j->log.n, j->st.rows)) {
        rc = gnv__job_over_budget(&j->log, &j->pol, j->column, j->st.rows);
        gnv__error_prefix("column '%s', fragment %" PRIu64, j->column, c->fr->f->id);
    }
    return rc;
}

/* Run calls[0..n): the first on this thread, the others on threads of their own
 * (on this one when a thread cannot be started). */
static void calls_run(bf_call *calls, size_t n)
{
    for (size_t i = 1; i < n; i++)
        calls[i].threaded = pthread_create(&calls[i].thread, NULL, call_thread, &calls[i]) == 0;
    call_run(&calls[0]);
    for (size_t i = 1; i < n; i++) {
        if (calls[i].threaded)
            pthread_join(calls[i].thread, NULL);
        else
            call_run(&calls[i]);
    }
}

/* Adaptive sizing: the batches of one checkpoint took `seconds`; aim the next at the
 * target time (growing up to 64 times at once, halving after a slow one). */
static void adapt(bf_job *j, double seconds, size_t used)
{
    if (!j->adaptive || used < j->group)
        return; /* a short group (end of a task) says little */
    double g = (double)j->group;
    if (seconds < j->target_seconds / 2)
        g *= seconds > 0 ? GNV_MIN(64.0, j->target_seconds / seconds) : 64.0;
    else if (seconds > j->target_seconds * 2)
        g /= 2;
    j->group = g >= (double)j->max_group ? j->max_group : GNV_MAX((size_t)g, 1);
    if (j->in_worker && j->learned) { /* for the workers forked after this one */
        uint64_t rb;
        memcpy(&rb, &j->row_bytes, sizeof rb);
        j->learned[0] = j->group;
        j->learned[1] = rb;
    }
}

/* The sizing a worker learned (process executor), if any. */
static void learned_take(bf_job *j)
{
    if (!j->learned || !j->learned[0])
        return;
    uint64_t rb = j->learned[1];
    j->group = GNV_MIN((size_t)j->learned[0], j->max_group);
    memcpy(&j->row_bytes, &rb, sizeof j->row_bytes);
}

/* Batches per call of the function: a checkpoint's, unless their inputs would take
 * more than max_call_bytes. */
static size_t call_batches(const bf_job *j)
{
    if (!j->max_call_bytes || !(j->row_bytes > 0) || !j->o.min_checkpoint_size)
        return j->group;
    double rows = (double)j->max_call_bytes / j->row_bytes;
    double cap = rows / (double)j->o.min_checkpoint_size;
    return cap < 1 ? 1 : cap < (double)j->group ? (size_t)cap : j->group;
}

/* The calls of the next step of a task from batch b (not done) of fr, below b1: one
 * per thread (intra_applier_concurrency), each of consecutive batches not done, up to
 * the checkpoint's size; a batch to apply row by row runs alone. */
static size_t next_calls(bf_job *j, bf_frag *fr, size_t b, size_t b1, bf_call *calls, size_t max)
{
    size_t n = 0;
    while (n < max && b < b1) {
        bf_batch *bt = &fr->batches[b];
        if (bt->done) {
            b++;
            continue;
        }
        bool alone = bt->isolate;
        if (alone && n > 0)
            break;
        size_t nb = 1, want = j->group > j->pend_batches ? j->group - j->pend_batches : 1;
        want = GNV_MIN(want, call_batches(j));
        if (!alone)
            while (nb < want && b + nb < b1 && !fr->batches[b + nb].done &&
                   !fr->batches[b + nb].isolate)
                nb++;
        memset(&calls[n], 0, sizeof calls[n]);
        calls[n].j = j;
        calls[n].fr = fr;
        calls[n].b0 = b;
        calls[n++].nb = nb;
        b += nb;
        if (alone)
            break;
    }
    return n;
}

/* Run task `task` (its batches without checkpoint), in this process. */
static int run_task(bf_job *j, size_t task, bool count)
{
    bf_call calls[MAX_INTRA_THREADS], ahead;
    bool have_ahead = false; /* ahead: the next call, its inputs read already */
    size_t threads = (size_t)GNV_MAX(1, j->o.intra_applier_concurrency);
    for (size_t i = 0; i < j->n_frags; i++) {
        bf_frag *fr = &j->frags[i];
        if (task < fr->first_task || task >= fr->first_task + fr->n_tasks)
            continue;
        size_t b0 = (task - fr->first_task) * j->batches_per_task;
        size_t b1 = GNV_MIN(b0 + j->batches_per_task, fr->n_batches);
        for (size_t b = b0; b < b1;) {
            if (fr->batches[b].done) {
                b++;
                continue;
            }
            if (gnv__jobrun_cancelled(j->run)) {
                if (have_ahead)
                    call_reset_input(&ahead);
                (void)flush_wait(j);
                (void)flush_results(j); /* keep what was computed */
                return gnv__error_set(GNV_ECANCELED, GNV_SUB_JOB, "job %s was cancelled",
                                      j->st.job_id);
            }
            size_t nc;
            if (have_ahead && ahead.b0 == b) {
                calls[0] = ahead;
                nc = 1;
            } else {
                if (have_ahead)
                    call_reset_input(&ahead);
                nc = next_calls(j, fr, b, b1, calls, threads);
            }
            have_ahead = false;
            /* one thread: read the next call's inputs while this one computes, when its
             * size is known now: it is of the same checkpoint, or calls are smaller than
             * checkpoints (their inputs' bytes bound them, not adapt()) */
            bool reading = false, ends_ckpt = j->pend_batches + calls[0].nb >= j->group;
            if (threads == 1 && j->o.batch_checkpoint_flush_interval_seconds <= 0 &&
                (!ends_ckpt || call_batches(j) < j->group) && !fr->batches[calls[0].b0].isolate) {
                size_t saved = j->pend_batches; /* as after this call */
                j->pend_batches = ends_ckpt ? 0 : saved + calls[0].nb;
                have_ahead = next_calls(j, fr, calls[0].b0 + calls[0].nb, b1, &ahead, 1) == 1 &&
                             !fr->batches[ahead.b0].isolate;
                j->pend_batches = saved;
                reading =
                    have_ahead && pthread_create(&ahead.thread, NULL, read_ahead, &ahead) == 0;
            }
            double t0 = gnv__now();
            calls_run(calls, nc);
            if (reading)
                pthread_join(ahead.thread, NULL);
            int rc = GNV_OK;
            for (size_t k = 0; k < nc; k++) { /* in order; all taken in, the first error kept */
                int crc = call_finish(j, &calls[k]);
                if (crc < 0 && rc == GNV_OK) {
                    rc = crc;
                    const gnv_error *e = gnv_error_last();
                    calls[0].err_sub = e ? e->subsystem : GNV_SUB_JOB;
                    snprintf(calls[0].err_msg, sizeof calls[0].err_msg, "%s",
                             e ? e->message : "backfill failed");
                }
                if (crc == GNV_OK) {
                    j->pend_batches += calls[k].nb;
                    for (size_t q = calls[k].b0; q < calls[k].b0 + calls[k].nb; q++) {
                        if (count) {
                            j->st.batches_computed++;
                            j->st.rows_computed += (int64_t)batch_size(fr, q);
                        } else if (j->in_worker && j->slot_done) { /* the parent reads it */
                            j->slot_done[2 * j->slot] += (int64_t)batch_size(fr, q);
                            j->slot_done[2 * j->slot + 1]++;
                        }
                    }
                }
            }
            if (rc < 0) { /* keep the results computed before (and beside) the failure */
                if (have_ahead)
                    call_reset_input(&ahead);
                (void)flush_wait(j);
                if (j->n_res)
                    (void)flush_results(j);
                return gnv__error_set(rc, calls[0].err_sub, "%s", calls[0].err_msg);
            }
            j->pend_seconds += gnv__now() - t0;
            if (flush_due(j)) {
                adapt(j, j->pend_seconds, j->pend_batches);
                /* adaptive sizing: written while the next calls compute (a fixed
                 * size or a flush interval: now, as asked) */
                rc = j->adaptive && j->o.batch_checkpoint_flush_interval_seconds <= 0
                         ? flush_start(j)
                         : flush_results(j);
                if (rc < 0) {
                    if (have_ahead)
                        call_reset_input(&ahead);
                    return rc;
                }
            }
            if (count)
                progress(j);
            b = calls[nc - 1].b0 + calls[nc - 1].nb;
        }
    }
    if (have_ahead) /* (not expected: a call ahead lies within the task) */
        call_reset_input(&ahead);
    GNV_TRY(flush_wait(j));
    return flush_results(j);
}

/* ---- write ---------------------------------------------------------------------- */

static int cmp_ckpt(const void *a, const void *b)
{
    const bf_ckpt *x = a, *y = b;
    return x->b0 < y->b0 ? -1 : x->b0 > y->b0;
}

/* Reading a fragment's checkpoints in row order, one file in memory at a time. */
typedef struct ckpt_cursor {
    size_t next;            /* the next file of fr->ckpts (sorted) */
    size_t base, n;         /* the loaded file holds matching rows [base, base + n) */
    struct ArrowArray vals; /* its values */
    gnv_array_view view;
    bool loaded;
} ckpt_cursor;

static void cursor_unload(ckpt_cursor *c)
{
    if (c->loaded)
        gnv__array_view_reset(&c->view);
    gnv__array_release(&c->vals);
    c->loaded = false;
}

/* Load the file that holds matching row r. */
static int cursor_seek(ckpt_cursor *c, bf_job *j, bf_frag *fr, size_t r)
{
    int rc = GNV_OK;
    char *path = NULL;
    uint32_t *tmp = NULL;
    while (!c->loaded || r >= c->base + c->n) {
        cursor_unload(c);
        GNV_ERR_IF(c->next >= fr->n_ckpts, GNV_ECORRUPT, GNV_SUB_JOB,
                   "fragment %" PRIu64 ": no checkpoint holds its matching row %zu", fr->f->id, r);
        const bf_ckpt *ck = &fr->ckpts[c->next++];
        bool found;
        c->base = batch_first(fr, ck->b0);
        c->n = batches_rows(fr, ck->b0, ck->nb);
        GNV_TRYG(ckpt_file(&path, j, fr, ck->b0, ck->nb));
        const uint32_t *rows = rows_span(fr, c->base, c->n, &tmp);
        GNV_CHECK_ALLOC(rows);
        GNV_TRYG(gnv__ckpt_read(&found, &c->vals, j->t->io, path, &j->field, rows, (int64_t)c->n));
        gnv__free(tmp);
        tmp = NULL;
        GNV_ERR_IF(!found, GNV_ECORRUPT, GNV_SUB_JOB,
                   "checkpoint '%s' of fragment %" PRIu64 " vanished or is damaged", path,
                   fr->f->id);
        GNV_TRYG(gnv__array_view_init(&c->view, &j->field, &c->vals));
        c->loaded = true;
        gnv__free(path);
        path = NULL;
    }
done:
    gnv__free(path);
    gnv__free(tmp);
    return rc;
}

/* The old values of physical rows [c0, c1) of fr that are live and did not match, when
 * the column has data: their addresses (ascending) and values. */
static int old_values(bf_job *j,
                      bf_frag *fr,
                      const uint8_t *del,
                      size_t r,
                      int64_t c0,
                      int64_t c1,
                      uint64_t *addrs,
                      size_t *n_out,
                      struct ArrowSchema *schema,
                      struct ArrowArray *vals)
{
    const Gnvpb__DataFragment *f = fr->f;
    size_t n = 0;
    for (int64_t i = c0; i < c1; i++) {
        if (r < fr->n_rows && frag_row(fr, r) == (uint32_t)i) {
            r++;
            continue;
        }
        if (del && (del[i >> 3] >> (i & 7)) & 1)
            continue;
        addrs[n++] = (f->id << 32) | (uint64_t)i;
    }
    *n_out = n;
    if (n == 0)
        return GNV_OK;
    const char *names[1] = {j->column};
    const char *const *take = j->grp ? (const char *const *)j->grp->columns : names;
    size_t n_take = j->grp ? j->grp->n_columns : 1;
    return gnv_table_take(j->rt, addrs, n, take, n_take, schema, vals);
}

/* The new data file of fragment fr: new values where rows matched, the old values of
 * the other live rows, NULL for deleted rows. Assembled and written WRITE_CHUNK_ROWS
 * rows at a time, reading one checkpoint at a time. */
static int write_fragment(bf_job *j, bf_frag *fr, Gnvpb__DataFile **out)
{
    int rc = GNV_OK;
    const Gnvpb__DataFragment *f = fr->f;
    int64_t phys = (int64_t)f->physical_rows;
    ckpt_cursor cur = {0};
    uint8_t *del = NULL;
    uint64_t *old_addrs = NULL;
    struct ArrowSchema old_schema = {0};
    struct ArrowArray old = {0}, col = {0}, batch = {0};
    gnv_array_view old_view = {0};
    bool has_old_view = false;
    gnv_lance_writer *w = NULL;
    Gnvpb__DataFile *d = NULL;
    gnv_buf path = GNV_BUF_INIT;
    char hex[33], name[48];
    *out = NULL;
    qsort(fr->ckpts, fr->n_ckpts, sizeof *fr->ckpts, cmp_ckpt);
    bool has_data = false;
    for (size_t k = 0; k < f->n_files; k++)
        has_data |= is_own_file(j, f->files[k]);
    GNV_TRYG(gnv__fragment_deletions(j->t->io, j->t->dir, j->t->name, f, &del));
    if (has_data) {
        old_addrs =
            gnv__malloc((size_t)GNV_MIN(GNV_MAX(phys, 1), WRITE_CHUNK_ROWS) * sizeof *old_addrs);
        GNV_CHECK_ALLOC(old_addrs);
    }
    GNV_TRYG(gnv__random_hex(hex, 16));
    snprintf(name, sizeof name, "%s.lance", hex);
    GNV_TRYG(gnv__buf_printf(&path, "%s/data/%s", j->t->dir, name));
    gnv_lance_write_options wo = {j->minor, 0};
    GNV_TRYG(gnv__lance_writer_new(&w, j->t->io, path.ptr, &j->cols, &wo));
    size_t r = 0; /* the next matching row */
    for (int64_t c0 = 0; c0 < phys; c0 += WRITE_CHUNK_ROWS) {
        int64_t c1 = GNV_MIN(phys, c0 + WRITE_CHUNK_ROWS);
        size_t n_old = 0, o = 0;
        if (has_data) {
            GNV_TRYG(old_values(j, fr, del, r, c0, c1, old_addrs, &n_old, &old_schema, &old));
            if (n_old) {
                GNV_TRYG(gnv__array_view_init(&old_view, &old_schema, &old));
                has_old_view = true;
            }
        }
        GNV_TRYG(gnv__array_init(&col, &j->field));
        GNV_TRYG(gnv__array_reserve(&col, c1 - c0));
        /* runs of rows from one source: new values, old values, or NULL */
        for (int64_t i = c0; i < c1;) {
            int64_t k = 1;
            if (r < fr->n_rows && frag_row(fr, r) == (uint32_t)i) {
                GNV_TRYG(cursor_seek(&cur, j, fr, r));
                while (i + k < c1 && r + (size_t)k < cur.base + cur.n &&
                       frag_row(fr, r + (size_t)k) == (uint32_t)(i + k))
                    k++;
                GNV_TRYG(gnv__array_append_view(&col, &cur.view, (int64_t)(r - cur.base), k));
                r += (size_t)k;
            } else if (o < n_old && old_addrs[o] == ((f->id << 32) | (uint64_t)i)) {
                while (i + k < c1 && o + (size_t)k < n_old &&
                       old_addrs[o + (size_t)k] == ((f->id << 32) | (uint64_t)(i + k)))
                    k++;
                /* a group's old values are the whole row of its columns */
                GNV_TRYG(gnv__array_append_view(&col, j->grp ? &old_view : &old_view.children[0],
                                                (int64_t)o, k));
                o += (size_t)k;
            } else {
                while (i + k < c1 && !(r < fr->n_rows && frag_row(fr, r) == (uint32_t)(i + k)) &&
                       !(o < n_old && old_addrs[o] == ((f->id << 32) | (uint64_t)(i + k))))
                    k++;
                GNV_TRYG(gnv__array_append_null(&col, k));
            }
            i += k;
        }
        GNV_TRYG(gnv__array_finish(&col));
        if (j->grp)
            GNV_TRYG(gnv__multicol_split(&batch, &j->field, &col, c1 - c0));
        else
            GNV_TRYG(gnv__struct_of(&batch, &col, 1, c1 - c0));
        GNV_TRYG(gnv__lance_writer_write(w, &batch));
        gnv__array_release(&batch);
        gnv__array_release(&col);
        if (has_old_view)
            gnv__array_view_reset(&old_view);
        has_old_view = false;
        gnv__array_release(&old);
        gnv__schema_release(&old_schema);
    }
    GNV_ERR_IF(r != fr->n_rows, GNV_ECORRUPT, GNV_SUB_JOB,
               "fragment %" PRIu64 ": %zu of its %zu matching rows are past its %" PRId64
               " physical rows",
               f->id, fr->n_rows - r, fr->n_rows, phys);
    uint64_t size = 0;
    GNV_TRYG(gnv__lance_writer_finish(w, &size));
    d = gnv__malloc(sizeof *d);
    GNV_CHECK_ALLOC(d);
    gnvpb__data_file__init(d);
    d->path = gnv__strdup(name);
    GNV_CHECK_ALLOC(d->path);
    d->fields = gnv__calloc(j->n_leaf ? j->n_leaf : 1, sizeof *d->fields);
    GNV_CHECK_ALLOC(d->fields);
    d->column_indices = gnv__calloc(j->n_leaf ? j->n_leaf : 1, sizeof *d->column_indices);
    GNV_CHECK_ALLOC(d->column_indices);
    for (size_t i = 0; i < j->n_leaf; i++) {
        d->fields[i] = j->leaf_ids[i];
        d->column_indices[i] = (int32_t)i;
    }
    d->n_fields = d->n_column_indices = j->n_leaf;
    d->has_file_major_version = d->has_file_minor_version = d->has_file_size_bytes = 1;
    d->file_major_version = 2;
    d->file_minor_version = (uint32_t)j->minor;
    d->file_size_bytes = size;
    *out = d;
    d = NULL;
done:
    if (d)
        gnv__pb_free(&d->base);
    gnv__lance_writer_free(w);
    cursor_unload(&cur);
    if (has_old_view)
        gnv__array_view_reset(&old_view);
    gnv__array_release(&old);
    gnv__schema_release(&old_schema);
    gnv__array_release(&col);
    gnv__array_release(&batch);
    gnv__free(old_addrs);
    gnv__free(del);
    gnv_buf_dispose(&path);
    return rc;
}

/* ---- commit --------------------------------------------------------------------- */

/* The path of the file fragment f reads field `leaf` from (later files win), or "". */
static const char *leaf_file(const Gnvpb__DataFragment *f, int32_t leaf)
{
    for (size_t k = f->n_files; k-- > 0;)
        for (size_t i = 0; i < f->files[k]->n_fields; i++)
            if (f->files[k]->fields[i] == leaf)
                return f->files[k]->path ? f->files[k]->path : "";
    return "";
}

/* Whether the values computed for planned fragment p still fit fragment f of the latest
 * version: the same physical rows, and the inputs read from the same files. Files
 * added or replaced for other columns (their backfills, casts) do not matter. */
static bool unchanged(const bf_job *j, const Gnvpb__DataFragment *p, const Gnvpb__DataFragment *f)
{
    if (p->physical_rows != f->physical_rows)
        return false;
    for (size_t i = 0; i < j->n_in_leaf; i++)
        if (strcmp(leaf_file(p, j->in_leaves[i]), leaf_file(f, j->in_leaves[i])) != 0)
            return false;
    return true;
}

static void drop_pending(bf_job *j, size_t i, bool remove_file)
{
    if (remove_file) {
        gnv_buf p = GNV_BUF_INIT;
        if (gnv__buf_printf(&p, "%s/data/%s", j->t->dir, j->pend_files[i]->path) == GNV_OK)
            (void)j->t->io->vt->remove(j->t->io, p.ptr);
        gnv_buf_dispose(&p);
        gnv_error_clear();
    }
    gnv__pb_free(&j->pend_files[i]->base);
    j->pend_files[i] = NULL;
}

/* Commit the pending fragments on the latest version; remove their checkpoints. */
static int commit_pending(bf_job *j)
{
    int rc = GNV_OK;
    double t0 = gnv__now();
    if (j->n_pend == 0)
        return GNV_OK;
    for (int attempt = 0;; attempt++) {
        GNV_TRYG(gnv_table_checkout_latest(j->t));
        const Gnvpb__Manifest *m = j->t->m;
        /* drop the fragments that changed since the plan */
        size_t keep = 0;
        for (size_t i = 0; i < j->n_pend; i++) {
            const bf_frag *fr = &j->frags[j->pend_frag[i]];
            const Gnvpb__DataFragment *now = NULL;
            for (size_t k = 0; k < m->n_fragments && !now; k++)
                if (m->fragments[k]->id == fr->f->id)
                    now = m->fragments[k];
            if (!now || !unchanged(j, fr->f, now)) {
                j->st.fragments_skipped++;
                j->met->rows_skipped += (int64_t)fr->n_rows;
                drop_pending(j, i, true);
                continue;
            }
            j->pend_ids[keep] = j->pend_ids[i];
            j->pend_files[keep] = j->pend_files[i];
            j->pend_frag[keep++] = j->pend_frag[i];
        }
        j->n_pend = keep;
        if (keep == 0)
            goto done;
        gnv__commit c = {0};
        c.op = GNV__OP_DATA_REPLACEMENT;
        c.replace_ids = j->pend_ids;
        c.replace_files = j->pend_files;
        c.n_replace = keep;
        rc = gnv__table_commit(j->t, &c);
        if (rc == GNV_ECONFLICT && attempt < 3) {
            gnv_error_clear();
            j->met->conflict_retries++;
            continue; /* a fragment went away while we committed: check again */
        }
        if (rc < 0)
            goto done;
        break;
    }
    j->st.commits++;
    j->st.fragments_committed += (int64_t)j->n_pend;
    for (size_t i = 0; i < j->n_pend; i++)
        j->met->rows_committed += (int64_t)j->frags[j->pend_frag[i]].n_rows;
    j->st.version = gnv_table_version(j->t);
    /* the values are visible: their checkpoints are not needed any more */
    for (size_t i = 0; i < j->n_pend; i++) {
        remove_ckpts(j, &j->frags[j->pend_frag[i]]);
        drop_pending(j, i, false);
    }
    j->n_pend = 0;
    gnv__met_since(&j->met->commit_us, t0);
    progress(j);
done:
    return rc;
}

static int add_pending(bf_job *j, size_t frag_index, Gnvpb__DataFile *d)
{
    size_t n = j->n_pend + 1;
    uint64_t *ids = gnv__reallocarray(j->pend_ids, n, sizeof *ids);
    if (ids)
        j->pend_ids = ids;
    Gnvpb__DataFile **files = gnv__reallocarray(j->pend_files, n, sizeof *files);
    if (files)
        j->pend_files = files;
    size_t *idx = gnv__reallocarray(j->pend_frag, n, sizeof *idx);
    if (idx)
        j->pend_frag = idx;
    if (!ids || !files || !idx) {
        gnv__pb_free(&d->base);
        return gnv__error_oom();
    }
    j->pend_ids[j->n_pend] = j->frags[frag_index].f->id;
    j->pend_files[j->n_pend] = d;
    j->pend_frag[j->n_pend++] = frag_index;
    return GNV_OK;
}

/* Write fragment i if all its batches are checkpointed, and commit when a group is
 * complete. */
static int finish_fragment(bf_job *j, size_t i)
{
    bf_frag *fr = &j->frags[i];
    if (fr->written)
        return GNV_OK;
    for (size_t b = 0; b < fr->n_batches; b++)
        if (!fr->batches[b].done)
            return GNV_OK;
    Gnvpb__DataFile *d = NULL;
    double t0 = gnv__now();
    int rc = write_fragment(j, fr, &d);
    gnv__met_since(&j->met->commit_us, t0);
    GNV_TRY(rc);
    GNV_TRY(add_pending(j, i, d));
    fr->written = true;
    if (j->o.commit_granularity > 0 && (int64_t)j->n_pend >= j->o.commit_granularity)
        GNV_TRY(commit_pending(j));
    return GNV_OK;
}

/* ---- executors ------------------------------------------------------------------ */

static int run_inline(bf_job *j)
{
    for (size_t i = 0; i < j->n_frags; i++) {
        bf_frag *fr = &j->frags[i];
        for (size_t k = 0; k < fr->n_tasks; k++)
            GNV_TRY(run_task(j, fr->first_task + k, true));
        GNV_TRY(finish_fragment(j, i));
    }
    return GNV_OK;
}

/* A process executor's worker, seen from the parent: it runs the tasks it is sent, one
 * at a time, and reports each; it lives for one round, so a task runs on a warm heap
 * and open files after the first. */
typedef struct bf_worker {
    pid_t pid;   /* 0: no worker in this slot */
    int fd;      /* the parent's end of its socket (tasks out, reports in) */
    bool busy;   /* running todo[which] */
    bool ending; /* it reported a failed task and exits */
    size_t which;
} bf_worker;

/* A worker's report of one task, sent whole. */
typedef struct task_report {
    int32_t rc; /* GNV_OK, or the task's error code */
    char msg[500];
} task_report;

/* Read exactly size bytes of fd (fewer: end of file or an error). */
static size_t read_full(int fd, void *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, (char *)buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

static bool send_full(int fd, const void *buf, size_t size)
{
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = send(fd, (const char *)buf + sent, size - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        sent += (size_t)n;
    }
    return true;
}

/* The worker process: run each task it is sent, report it, and end when the parent
 * closes the socket (or on a task's error, as its state is the failed task's); the
 * function's state is set up once per worker, and torn down as it ends. A worker owns
 * its process, so its allocator keeps freed memory for the next call instead of
 * returning it to the system (fresh pages cost a fault each). */
static void worker_main(bf_job *j, int slot, int fd)
{
    uint64_t task;
    gnv_udf_function *fn = (gnv_udf_function *)j->fn;
    bool inherited = fn->set_up; /* the caller's state: not this worker's to tear down */
    j->in_worker = true;
    j->slot = slot;
    memset(&j->log, 0, sizeof j->log); /* the parent's records stay its own */
    (void)mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    (void)mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    (void)mallopt(M_ARENA_MAX, 1);
    while (read_full(fd, &task, sizeof task) == sizeof task) {
        task_report r;
        memset(&r, 0, sizeof r);
        int trc = run_task(j, (size_t)task, false);
        if (trc < 0) {
            const gnv_error *e = gnv_error_last();
            r.rc = trc;
            snprintf(r.msg, sizeof r.msg, "%s", e ? e->message : "failed");
        }
        bool sent = send_full(fd, &r, sizeof r);
        if (!sent || trc < 0) {
            if (!inherited)
                gnv__udf_function_teardown(fn);
            _exit(trc < 0 && -trc < 256 ? -trc : 1); /* the code says it, if the report cannot */
        }
    }
    if (!inherited)
        gnv__udf_function_teardown(fn);
    _exit(0);
}

/* Start the worker of slot `slot`. */
static int spawn_worker(bf_job *j, bf_worker *w, int slots, int slot)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return gnv__error_os(GNV_SUB_JOB, errno, "cannot make a socket for a backfill worker");
    learned_take(j); /* a new worker starts where the others got to */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return gnv__error_os(GNV_SUB_JOB, e, "cannot fork a backfill worker");
    }
    if (pid == 0) {
        close(sv[0]);
        for (int k = 0; k < slots; k++) /* else a worker would never see its socket close */
            if (w[k].pid > 0)
                close(w[k].fd);
        worker_main(j, slot, sv[1]);
    }
    close(sv[1]);
    w[slot].pid = pid;
    w[slot].fd = sv[0];
    w[slot].busy = w[slot].ending = false;
    return GNV_OK;
}

/* Hand todo[which] to the (idle) worker of slot `slot`. */
static bool send_task(bf_job *j, bf_worker *w, int slot, const size_t *todo, size_t which)
{
    uint64_t task = todo[which];
    j->cur[slot] = UINT64_MAX;
    j->slot_done[2 * slot] = j->slot_done[2 * slot + 1] = 0;
    if (!send_full(w[slot].fd, &task, sizeof task))
        return false;
    w[slot].busy = true;
    w[slot].which = which;
    return true;
}

/* Tell the idle workers there is nothing more: they end. */
static void release_idle(bf_worker *w, int slots)
{
    for (int k = 0; k < slots; k++)
        if (w[k].pid > 0 && !w[k].busy && !w[k].ending)
            shutdown(w[k].fd, SHUT_WR);
}

/* Stop every worker (SIGTERM) and reap it. */
static void stop_workers(bf_worker *w, int slots)
{
    for (int k = 0; k < slots; k++) {
        if (w[k].pid <= 0)
            continue;
        kill(w[k].pid, SIGTERM);
        waitpid(w[k].pid, NULL, 0);
        close(w[k].fd);
        w[k].pid = 0;
        w[k].busy = false;
    }
}

static int64_t rows_done(const bf_job *j);

/* A worker ended a task well: take its checkpoints (as named: they are this run's own,
 * written whole), write (and commit, by the granularity) the fragments now complete,
 * and report progress. */
static int worker_done(bf_job *j)
{
    int64_t found = 0;
    GNV_TRY(adopt_checkpoints(j, false, false, &found));
    j->st.batches_computed += found;
    j->st.rows_computed = rows_done(j) - j->rows_before;
    for (size_t i = 0; i < j->n_frags; i++)
        GNV_TRY(finish_fragment(j, i));
    progress(j);
    return GNV_OK;
}

/* Progress while workers run (at most every 0.2 s): the counters with what the busy
 * workers computed so far. */
static void progress_running(bf_job *j, const bf_worker *w, int slots, double *last)
{
    double now = gnv__now();
    if (now - *last < 0.2)
        return;
    int64_t rows = 0, batches = 0;
    for (int k = 0; k < slots; k++) {
        if (w[k].busy) {
            rows += j->slot_done[2 * k];
            batches += j->slot_done[2 * k + 1];
        }
    }
    *last = now;
    if (batches == 0)
        return;
    int64_t saved_rows = j->st.rows_computed, saved_batches = j->st.batches_computed;
    j->st.rows_computed += rows;
    j->st.batches_computed += batches;
    progress(j);
    j->st.rows_computed = saved_rows;
    j->st.batches_computed = saved_batches;
}

/* A task ended with code `wcode` (< 0: failed): under fail, or retry with the attempts
 * used up (the worker retried), the first error stops the job; so does an error that
 * is not the function's (I/O, memory). */
static void task_failed(bf_job *j, int wcode, const char *why, char *msg, size_t msg_size)
{
    if (wcode < 0 && (j->pol.action != GNV_ON_ERROR_SKIP || wcode != GNV_EUDF))
        j->fail_stop = true;
    if (wcode < 0 && wcode != GNV_EUDF && wcode != GNV_ECANCELED && !j->worker_code)
        j->worker_code = wcode;
    if (!msg[0] && why && why[0]) {
        size_t len = strnlen(why, msg_size - 1); /* the worker's message, cut to fit */
        memcpy(msg, why, len);
        msg[len] = '\0';
    }
}

/* The worker of slot k closed its socket: reap it. A task it was running is lost:
 * sig[] and at[] say how (killed by a signal, running which row alone). */
static void
worker_ended(bf_job *j, bf_worker *w, int k, char *msg, size_t msg_size, int *sig, uint64_t *at)
{
    int status = 0;
    while (waitpid(w[k].pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(w[k].fd);
    w[k].pid = 0;
    if (!w[k].busy)
        return;
    w[k].busy = false;
    if (WIFSIGNALED(status)) {
        sig[w[k].which] = WTERMSIG(status);
        at[w[k].which] = j->cur[k];
        if (!msg[0])
            snprintf(msg, msg_size, "a worker was killed by signal %d", WTERMSIG(status));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        char why[64];
        snprintf(why, sizeof why, "a worker failed (exit status %d)", WEXITSTATUS(status));
        task_failed(j, -WEXITSTATUS(status), why, msg, msg_size);
    } else if (!msg[0]) { /* exited 0 without its report: the function ended it */
        snprintf(msg, msg_size, "a worker exited while running a task");
    }
}

/* One round of the process executor: the tasks of `todo`, each run once, by at most
 * `concurrency` forked workers; a crashing UDF kills one worker and loses one task.
 * The parent learns what was done from the checkpoints; msg receives why a worker died
 * or failed, sig[k] the signal that killed todo[k]'s worker (0: none, -1: not run) and
 * at[k] the row it was running alone then (UINT64_MAX: none). */
static int process_round(bf_job *j,
                         const size_t *todo,
                         size_t n_todo,
                         char *msg,
                         size_t msg_size,
                         int *sig,
                         uint64_t *at)
{
    int slots = j->o.concurrency, rc = GNV_OK, alive = 0;
    size_t next = 0;
    bool finished = false; /* a task ended well: its results are to be taken */
    double last_progress = gnv__now();
    bf_worker *w = gnv__calloc((size_t)slots, sizeof *w);
    if (!w)
        return gnv__error_oom();
    struct pollfd *pfd = gnv__calloc((size_t)slots, sizeof *pfd);
    if (!pfd) {
        gnv__free(w);
        return gnv__error_oom();
    }
    msg[0] = '\0';
    for (size_t k = 0; k < n_todo; k++) {
        sig[k] = 0;
        at[k] = UINT64_MAX;
    }
    for (;;) {
        if (next < n_todo && j->fail_stop) { /* no new task; the running ones finish */
            for (size_t k = next; k < n_todo; k++)
                sig[k] = -1;
            next = n_todo;
        }
        if (next < n_todo && gnv__jobrun_cancelled(j->run)) { /* stop them all */
            next = n_todo;
            for (int k = 0; k < slots; k++)
                if (w[k].busy)
                    kill(w[k].pid, SIGTERM);
        }
        /* the next tasks to idle workers, starting workers up to the concurrency */
        for (int k = 0; k < slots && next < n_todo; k++) {
            if (w[k].pid > 0 && (w[k].busy || w[k].ending))
                continue;
            if (w[k].pid <= 0) {
                if ((rc = spawn_worker(j, w, slots, k)) < 0)
                    goto stop;
                alive++;
            }
            if (send_task(j, w, k, todo, next))
                next++;
            else /* it died: reaped below */
                shutdown(w[k].fd, SHUT_WR);
        }
        if (next >= n_todo)
            release_idle(w, slots);
        int busy = 0;
        for (int k = 0; k < slots; k++)
            busy += w[k].busy;
        if (busy != j->met->active_workers) {
            j->met->active_workers = busy;
            gnv__jobrun_progress(j->run, &j->st, j->met);
        }
        if (finished) { /* while the workers go on with their next tasks */
            finished = false;
            if ((rc = worker_done(j)) < 0) /* what is finished stays for a re-run */
                goto stop;
        }
        if (alive == 0)
            break;
        /* wait for a report, or a worker's end */
        int np = 0;
        for (int k = 0; k < slots; k++)
            if (w[k].pid > 0)
                pfd[np++] = (struct pollfd){w[k].fd, POLLIN, 0};
        int pr = poll(pfd, (nfds_t)np, 50);
        if (pr <= 0) {
            progress_running(j, w, slots, &last_progress);
            continue;
        }
        for (int k = 0, p = 0; k < slots; k++) {
            if (w[k].pid <= 0)
                continue;
            short ev = pfd[p++].revents;
            if (!ev)
                continue;
            task_report r;
            if (read_full(w[k].fd, &r, sizeof r) != sizeof r) {
                worker_ended(j, w, k, msg, msg_size, sig, at);
                alive--;
                continue;
            }
            w[k].busy = false;
            r.msg[sizeof r.msg - 1] = '\0';
            w[k].ending = r.rc < 0;
            if (r.rc < 0)
                task_failed(j, r.rc, r.msg[0] ? r.msg : "a worker failed", msg, msg_size);
            else
                finished = true;
        }
    }
    goto done;
stop:
    stop_workers(w, slots);
done:
    j->met->active_workers = 0;
    gnv__free(pfd);
    gnv__free(w);
    return rc;
}

static bool task_done(const bf_job *j, size_t task)
{
    for (size_t i = 0; i < j->n_frags; i++) {
        const bf_frag *fr = &j->frags[i];
        if (task < fr->first_task || task >= fr->first_task + fr->n_tasks)
            continue;
        size_t b0 = (task - fr->first_task) * j->batches_per_task;
        size_t b1 = GNV_MIN(b0 + j->batches_per_task, fr->n_batches);
        for (size_t b = b0; b < b1; b++)
            if (!fr->batches[b].done)
                return false;
    }
    return true;
}

static int64_t rows_done(const bf_job *j)
{
    int64_t n = 0;
    for (size_t i = 0; i < j->n_frags; i++)
        for (size_t b = 0; b < j->frags[i].n_batches; b++)
            if (j->frags[i].batches[b].done)
                n += (int64_t)batch_size(&j->frags[i], b);
    return n;
}

/* The first batch of `task` without a checkpoint (NULL: none). */
static bf_batch *first_undone(bf_job *j, size_t task)
{
    for (size_t i = 0; i < j->n_frags; i++) {
        bf_frag *fr = &j->frags[i];
        if (task < fr->first_task || task >= fr->first_task + fr->n_tasks)
            continue;
        size_t b0 = (task - fr->first_task) * j->batches_per_task;
        size_t b1 = GNV_MIN(b0 + j->batches_per_task, fr->n_batches);
        for (size_t b = b0; b < b1; b++)
            if (!fr->batches[b].done)
                return &fr->batches[b];
    }
    return NULL;
}

static bf_frag *frag_of(bf_job *j, const bf_batch *bt)
{
    for (size_t i = 0; i < j->n_frags; i++)
        if (bt >= j->frags[i].batches && bt < j->frags[i].batches + j->frags[i].n_batches)
            return &j->frags[i];
    return NULL;
}

/* A worker crashed applying `bt` (skip policy): isolate its rows, or note the row that
 * crashed alone (NULL from now on, recorded as a "crash"). */
static int crashed_alone(bf_job *j, uint64_t addr, int sig)
{
    uint64_t *grown = gnv__reallocarray(j->crashed, j->n_crashed + 1, sizeof *grown);
    char m[160];
    if (!grown)
        return gnv__error_oom();
    j->crashed = grown;
    j->crashed[j->n_crashed++] = addr;
    snprintf(m, sizeof m, "the worker was killed by signal %d (%s) applying this row alone", sig,
             strsignal(sig));
    return gnv__errlog_add(&j->log, addr, sig, "crash", m, 1);
}

/* A task given up after `crashes` crashed attempts: the rows of its batch that was
 * running are recorded once per attempt. */
static int record_crashes(bf_job *j, bf_batch *bt, int crashes, int sig)
{
    bf_frag *fr = frag_of(j, bt);
    char m[200];
    if (!fr)
        return GNV_OK;
    size_t b = (size_t)(bt - fr->batches), first = batch_first(fr, b), n = batch_size(fr, b);
    snprintf(m, sizeof m, "the worker was killed by signal %d (%s) applying rows %u..%u", sig,
             strsignal(sig), frag_row(fr, first), frag_row(fr, first + n - 1));
    if (!j->first_error[0])
        snprintf(j->first_error, sizeof j->first_error, "fragment %" PRIu64 ": %s", fr->f->id, m);
    for (int a = 1; a <= crashes; a++)
        for (size_t k = 0; k < n; k++)
            GNV_TRY(gnv__errlog_add(&j->log, (fr->f->id << 32) | frag_row(fr, first + k), sig,
                                    "crash", m, a));
    return GNV_OK;
}

static int run_process(bf_job *j)
{
    int rc = GNV_OK;
    size_t n_tasks = (size_t)j->st.tasks, n_todo = 0, cap = n_tasks ? n_tasks : 1;
    size_t *todo = gnv__calloc(cap, sizeof *todo);
    int *sig = gnv__calloc(cap, sizeof *sig), *tries = gnv__calloc(cap, sizeof *tries);
    int *crashes = gnv__calloc(cap, sizeof *crashes);
    uint64_t *at = gnv__calloc(cap, sizeof *at);
    bool *given_up = gnv__calloc(cap, sizeof *given_up), over = false;
    char msg[256] = "";
    int64_t rows_before = rows_done(j);
    j->rows_before = rows_before;
    /* fail: a failed task runs once more; retry: as many times as attempts */
    int max_tries = j->pol.action == GNV_ON_ERROR_RETRY ? j->pol.attempts : 2;
    /* per slot: the row run alone, then the rows and batches computed */
    size_t cur_size = ((size_t)j->o.concurrency * 3 + 2) * sizeof(uint64_t);
    void *cur = mmap(NULL, cur_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    GNV_ERR_IF(cur == MAP_FAILED, GNV_ENOMEM, GNV_SUB_JOB,
               "cannot map memory shared with backfill workers");
    j->cur = cur;
    j->slot_done = (volatile int64_t *)((uint64_t *)cur + j->o.concurrency);
    j->learned = (volatile uint64_t *)cur + 3 * (size_t)j->o.concurrency;
    GNV_CHECK_ALLOC(todo);
    GNV_CHECK_ALLOC(sig);
    GNV_CHECK_ALLOC(tries);
    GNV_CHECK_ALLOC(crashes);
    GNV_CHECK_ALLOC(at);
    GNV_CHECK_ALLOC(given_up);
    while (!over) {
        n_todo = 0;
        for (size_t k = 0; k < n_tasks; k++)
            if (!given_up[k] && !task_done(j, k))
                todo[n_todo++] = k;
        if (n_todo == 0)
            break;
        GNV_TRYG(process_round(j, todo, n_todo, msg, sizeof msg, sig, at));
        GNV_TRYG(gnv__job_collect_logs(&j->log, j->t, j->st.job_id));
        int64_t found = 0;
        GNV_TRYG(adopt_checkpoints(j, false, false, &found));
        if (gnv__jobrun_cancelled(j->run)) { /* commit what is finished, then stop */
            j->st.batches_computed += found;
            j->st.rows_computed = rows_done(j) - rows_before;
            for (size_t i = 0; i < j->n_frags; i++)
                GNV_TRYG(finish_fragment(j, i));
            GNV_TRYG(commit_pending(j));
            GNV_ERR_IF(true, GNV_ECANCELED, GNV_SUB_JOB, "job %s was cancelled", j->st.job_id);
        }
        j->st.batches_computed += found;
        j->st.rows_computed = rows_done(j) - rows_before;
        for (size_t i = 0; i < n_todo; i++) {
            size_t k = todo[i];
            bf_batch *bt = first_undone(j, k);
            if (!bt || sig[i] < 0) /* done, or not started (the job stops) */
                continue;
            if (sig[i] && j->pol.action == GNV_ON_ERROR_SKIP) {
                if (!bt->isolate) { /* again, row by row */
                    bt->isolate = true;
                    continue;
                }
                if (at[i] != UINT64_MAX) {
                    GNV_TRYG(crashed_alone(j, at[i], sig[i]));
                    continue;
                }
            }
            crashes[k] += sig[i] != 0;
            tries[k]++;
            if (!sig[i] && j->pol.action == GNV_ON_ERROR_RETRY)
                tries[k] = max_tries; /* the worker retried already */
            if (tries[k] < max_tries) {
                j->log.retries++;
                continue;
            }
            given_up[k] = true;
            if (crashes[k])
                GNV_TRYG(record_crashes(j, bt, crashes[k], sig[i] ? sig[i] : SIGKILL));
        }
        over = j->pol.action == GNV_ON_ERROR_SKIP &&
               gnv__policy_over_budget(&j->pol, (int64_t)j->log.n, j->st.rows);
        progress(j);
        if (j->fail_stop)
            break; /* fail: no retry, no new task after the first error */
    }
    n_todo = 0;
    for (size_t k = 0; k < n_tasks; k++)
        if (!task_done(j, k))
            n_todo++;
    j->st.task_errors = over ? 0 : (int64_t)n_todo;
    for (size_t i = 0; i < j->n_frags; i++)
        GNV_TRYG(finish_fragment(j, i));
    GNV_TRYG(commit_pending(j));
    if (over) {
        rc = gnv__job_over_budget(&j->log, &j->pol, j->column, j->st.rows);
        goto done;
    }
    /* the first failure; a worker's message names the column already */
    const char *what = j->first_error[0] ? j->first_error : msg[0] ? msg : "a task failed";
    char named[64];
    snprintf(named, sizeof named, "column '%s'", j->column);
    const char *col_sep = strncmp(what, named, strlen(named)) == 0 ? "" : ": ";
    const char *col_name = col_sep[0] ? named : "";
    GNV_ERR_IF(n_todo > 0 && j->fail_stop, j->worker_code ? j->worker_code : GNV_EUDF, GNV_SUB_JOB,
               "%s%s%s; the job stopped at this first error (%s) with %zu of %zu tasks "
               "unfinished; the finished fragments were committed, run the backfill again to "
               "resume",
               col_name, col_sep, what,
               j->worker_code                        ? "not an error of the function"
               : j->pol.action == GNV_ON_ERROR_RETRY ? "on_error retry, its attempts used up"
                                                     : "on_error fail",
               n_todo, n_tasks);
    GNV_ERR_IF(n_todo > 0, j->worker_code ? j->worker_code : GNV_EUDF, GNV_SUB_JOB,
               "column '%s': %zu of %zu tasks failed (%s); the other fragments were "
               "committed, run the backfill again to retry",
               j->column, n_todo, n_tasks, what);
done:
    if (cur != MAP_FAILED)
        munmap(cur, cur_size);
    j->cur = NULL;
    j->slot_done = NULL;
    j->learned = NULL;
    gnv__free(todo);
    gnv__free(sig);
    gnv__free(tries);
    gnv__free(crashes);
    gnv__free(at);
    gnv__free(given_up);
    return rc;
}

/* ---- the API -------------------------------------------------------------------- */

int gnv_table_plan_backfill(gnv_table *t,
                            const char *column,
                            const gnv_backfill_options *opts,
                            gnv_backfill_stats *out)
{
    int rc = GNV_OK;
    bf_job j;
    GNV_TRYG(prepare(&j, t, column, opts, false));
    GNV_TRYG(adopt_checkpoints(&j, false, true, &j.st.batches_reused));
    j.st.version = gnv_table_version(t);
    if (out)
        *out = j.st;
done:
    job_reset(&j);
    return rc;
}

/* A failed run under skip: remove the checkpoints that hold skipped rows (NULL), so
 * that the next run computes (and records) them again instead of reusing the NULLs. */
static void drop_skipped_checkpoints(bf_job *j)
{
    for (size_t r = 0; r < j->log.n; r++) {
        uint64_t a = j->log.recs[r].addr;
        for (size_t i = 0; i < j->n_frags; i++) {
            bf_frag *fr = &j->frags[i];
            if (fr->f->id != a >> 32)
                continue;
            for (size_t c = 0; c < fr->n_ckpts; c++) {
                int64_t start, end;
                bf_ckpt ck = fr->ckpts[c];
                ckpt_range(fr, ck.b0, ck.nb, &start, &end);
                if ((int64_t)(uint32_t)a < start || (int64_t)(uint32_t)a >= end)
                    continue;
                char *path = NULL;
                if (ckpt_file(&path, j, fr, ck.b0, ck.nb) == GNV_OK)
                    (void)j->t->io->vt->remove(j->t->io, path);
                gnv__free(path);
                gnv_error_clear();
                for (size_t b = ck.b0; b < ck.b0 + ck.nb; b++)
                    fr->batches[b].done = false;
                fr->ckpts[c--] = fr->ckpts[--fr->n_ckpts];
                break;
            }
        }
    }
}

/* The end of a run: record its failed rows in geneva_errors (keeping the run's own
 * error, if any, as the one reported) and set its state and error counters. */
static int finish_errors(bf_job *j, int rc)
{
    if (j->pol.action == GNV_ON_ERROR_SKIP)
        j->st.rows_skipped = (int64_t)j->log.n;
    if (rc < 0 && j->pol.action == GNV_ON_ERROR_SKIP) {
        const gnv_error *e = gnv_error_last();
        int sub = e ? e->subsystem : GNV_SUB_JOB;
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "backfill failed");
        drop_skipped_checkpoints(j);
        gnv__error_set(rc, sub, "%s", msg);
    }
    j->st.retries = j->log.retries;
    int64_t n = (int64_t)j->log.n;
    if (n > 0 && rc != GNV_ENOMEM) {
        const gnv_error *e = gnv_error_last();
        int sub = e ? e->subsystem : GNV_SUB_JOB;
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "backfill failed");
        int frc = gnv__errlog_flush(&j->log, j->t, j->st.job_id, j->column, &j->def);
        if (frc == GNV_OK)
            j->st.errors = n;
        if (rc < 0)
            gnv__error_set(rc, sub, "%s", msg);
        else
            rc = frc;
    }
    j->st.state = rc < 0               ? GNV_BACKFILL_FAILED
                  : j->st.rows_skipped ? GNV_BACKFILL_DONE_WITH_ERRORS
                                       : GNV_BACKFILL_DONE;
    return rc;
}

int gnv_table_backfill(gnv_table *t,
                       const char *column,
                       const gnv_backfill_options *opts,
                       gnv_backfill_stats *out)
{
    int rc = GNV_OK;
    bf_job j;
    if (opts && opts->version >= 2 && opts->timeout > 0) /* a job waited for (job_async.c) */
        return gnv__backfill_with_timeout(t, column, opts, out);
    GNV_TRYG(prepare(&j, t, column, opts, true));
    GNV_TRYG(adopt_checkpoints(&j, true, true, &j.st.batches_reused));
    j.st.version = gnv_table_version(t);
    j.met = gnv__job_metrics_new(&j.met_local);
    j.met->rows_reused = rows_done(&j);
    GNV_TRYG(gnv__jobrun_begin(&j.run, t, column, &j.o, &j.st));
    progress(&j);
    if (j.st.batches_reused < j.st.batches) {
        GNV_TRYG(load_function(&j));
        GNV_TRYG(gnv__admission_check(
            j.fn, j.o.executor == GNV_EXECUTOR_PROCESS ? j.o.concurrency : 1, &j.o, j.run));
    }
    if (j.o.executor == GNV_EXECUTOR_PROCESS) {
        GNV_TRYG(run_process(&j));
    } else {
        rc = run_inline(&j);
        if (rc < 0 && rc != GNV_ENOMEM && j.n_pend > 0) {
            /* commit the fragments finished before the failure, then report it */
            const gnv_error *e = gnv_error_last();
            int sub = e ? e->subsystem : GNV_SUB_JOB;
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", e ? e->message : "backfill failed");
            (void)commit_pending(&j);
            gnv__error_set(rc, sub, "%s", msg);
        }
        if (rc < 0)
            goto done;
        GNV_TRYG(commit_pending(&j));
    }
    j.st.version = gnv_table_version(t);
done:
    if (j.t && j.st.job_id[0])
        rc = finish_errors(&j, rc);
    rc = gnv__jobrun_end(j.run, rc, &j.st, j.met);
    gnv__job_metrics_free(j.met, &j.met_local);
    if (out && (j.t || rc == GNV_OK))
        *out = j.st;
    job_reset(&j);
    return rc;
}
