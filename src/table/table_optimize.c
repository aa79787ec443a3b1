/*
 * Compaction (gnv_table_optimize), as Lance's compact_files (dataset/optimize.rs):
 *
 * - Plan: walk the fragments in order. A fragment whose share of deleted rows exceeds
 *   the threshold is rewritten by itself; one with fewer physical rows than the target
 *   is rewritten only with neighbours that are also candidates. Consecutive candidates
 *   form bins; a bin of one fragment that only wants neighbours is dropped; the others
 *   are split into tasks of at least the target's live rows (the last task takes what
 *   is left), exactly as Lance's CandidateBin::split_for_size.
 * - Rewrite: each task's live rows are scanned in fragment order, a bounded batch at a
 *   time, over every column of the schema (a column a fragment lacks reads as NULL), and
 *   streamed into new data files of at most the target's rows (the writer of
 *   gnv_table_add). A large task is read on a second thread, a few batches ahead of
 *   the writer (see prefetch below); small ones stay on the caller's thread. With
 *   stable row ids the new fragments carry the rows' ids and their
 *   created-at and last-updated-at versions, and next_row_id does not move.
 * - Commit: one Rewrite transaction whose groups are the tasks (old fragments -> new
 *   fragments, ids assigned by the commit), on the latest version (table_commit.c).
 *
 * Without stable row ids the rows' addresses change, and Lance hands a map from old to
 * new row address to its index remapper (optimize/remapping.rs). We do not remap
 * indexes: a table with indexes is refused (GNV_ENOTSUP) rather than left with indexes
 * that point at the old addresses.
 *
 * Old files are never deleted here: readers of older versions keep reading them, and
 * gnv_table_cleanup removes them once no kept version names them.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "arrow/arrow.h"
#include "table.h"

#define DEFAULT_TARGET_ROWS     (1024 * 1024) /* Lance's target_rows_per_fragment */
#define DEFAULT_DELETION_THRESH 0.1           /* Lance's materialize_deletions_threshold */
#define SCAN_BATCH_ROWS         8192
/* Tasks of at least this many live rows read on a second thread while the data files
 * are written (smaller ones are not worth a thread) */
#define PREFETCH_MIN_ROWS 65536
#define PREFETCH_DEPTH    4 /* batches read ahead: memory stays bounded */

enum { CAND_NONE = 0, CAND_NEIGHBORS, CAND_ITSELF };

/* One task: fragments [first, first + n) of the version read. */
typedef struct task {
    size_t first, n;
} task;

typedef struct task_list {
    task *v;
    size_t n, cap;
} task_list;

static int push_task(task_list *l, size_t first, size_t n)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        task *p = gnv__reallocarray(l->v, cap, sizeof *p);
        if (!p)
            return gnv__error_oom();
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n].first = first;
    l->v[l->n].n = n;
    l->n++;
    return GNV_OK;
}

/* Deleted rows of fragment f: from its deletion file's count, else by reading it. */
static int count_deleted(int64_t *out, gnv_table *t, const Gnvpb__DataFragment *f)
{
    *out = 0;
    if (!f->deletion_file)
        return GNV_OK;
    if (f->deletion_file->has_num_deleted_rows) {
        *out = (int64_t)f->deletion_file->num_deleted_rows;
        return GNV_OK;
    }
    uint8_t *del = NULL;
    GNV_TRY(gnv__fragment_deletions(t->io, t->dir, t->name, f, &del));
    int64_t n = 0;
    for (uint64_t r = 0; del && r < f->physical_rows; r++)
        n += del[r >> 3] >> (r & 7) & 1;
    gnv__free(del);
    *out = n;
    return GNV_OK;
}

/*
 * Split the bin of fragments [first, first + n) (their live rows in rows[]) into tasks
 * of at least `target` live rows, as Lance's split_for_size: a task is cut off once it
 * reaches the target and what remains also does; otherwise the rest is the last task.
 */
static int split_bin(task_list *l, const int64_t *rows, size_t first, size_t n, int64_t target)
{
    size_t pos = first, end = first + n;
    for (;;) {
        size_t len = 0;
        int64_t sum = 0;
        while (sum < target && pos + len < end) {
            sum += rows[pos + len];
            len++;
        }
        int64_t rest = 0;
        for (size_t i = pos + len; i < end; i++)
            rest += rows[i];
        if (rest >= target && len > 0) {
            GNV_TRY(push_task(l, pos, len));
            pos += len;
        } else {
            return push_task(l, pos, end - pos);
        }
    }
}

/* The tasks of a compaction of t's version (Lance's plan_compaction). */
static int plan(task_list *l, gnv_table *t, int64_t target, bool materialize, double threshold)
{
    int rc = GNV_OK;
    const Gnvpb__Manifest *m = t->m;
    size_t n = m->n_fragments;
    int64_t *rows = gnv__calloc(n ? n : 1, sizeof *rows);
    int *cand = gnv__calloc(n ? n : 1, sizeof *cand);
    GNV_CHECK_ALLOC(rows);
    GNV_CHECK_ALLOC(cand);
    for (size_t i = 0; i < n; i++) {
        const Gnvpb__DataFragment *f = m->fragments[i];
        int64_t phys = (int64_t)f->physical_rows, deleted = 0;
        GNV_TRYG(count_deleted(&deleted, t, f));
        if (deleted > phys)
            deleted = phys;
        rows[i] = phys - deleted;
        double share = phys > 0 ? (double)deleted / (double)phys : 0.0;
        if (materialize && share > threshold)
            cand[i] = CAND_ITSELF;
        else if (phys < target)
            cand[i] = CAND_NEIGHBORS;
        else
            cand[i] = CAND_NONE;
    }
    for (size_t i = 0; i < n;) {
        if (cand[i] == CAND_NONE) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && cand[j] != CAND_NONE)
            j++;
        /* one fragment that only wants neighbours: nothing to gain */
        if (!(j - i == 1 && cand[i] == CAND_NEIGHBORS))
            GNV_TRYG(split_bin(l, rows, i, j - i, target));
        i = j;
    }
done:
    gnv__free(rows);
    gnv__free(cand);
    return rc;
}

/* GNV_ENOTSUP when the table has indexes: compaction would have to remap them. */
static int check_no_indexes(const gnv_table *t)
{
    if (!t->index_section.size)
        return GNV_OK;
    Gnvpb__IndexSection *sec =
        gnv__pb_unpack(&gnvpb__index_section__descriptor, t->index_section.size,
                       (const uint8_t *)t->index_section.ptr, "index section");
    if (!sec)
        return gnv_error_last() ? gnv_error_last()->code : GNV_ECORRUPT;
    size_t n = sec->n_indices;
    char name[128];
    snprintf(name, sizeof name, "%s", n && sec->indices[0]->name ? sec->indices[0]->name : "");
    gnv__pb_free(&sec->base);
    if (n == 0)
        return GNV_OK;
    return gnv__error_set(GNV_ENOTSUP, GNV_SUB_TABLE,
                          "table '%s' has %zu index%s (e.g. '%s'); optimize cannot remap "
                          "indexes yet",
                          t->name, n, n == 1 ? "" : "es", name);
}

/* ---- stable row ids ------------------------------------------------------------ */

/* The ids and versions of a task's live rows, in order. */
typedef struct live_ids {
    uint64_t *ids, *created, *updated;
    uint64_t n, cap;
} live_ids;

static void live_ids_reset(live_ids *l)
{
    gnv__free(l->ids);
    gnv__free(l->created);
    gnv__free(l->updated);
    memset(l, 0, sizeof *l);
}

static int live_ids_reserve(live_ids *l, uint64_t more)
{
    if (l->n + more <= l->cap)
        return GNV_OK;
    uint64_t cap = l->n + more;
    uint64_t *a = gnv__reallocarray(l->ids, (size_t)cap, sizeof *a);
    if (!a)
        return gnv__error_oom();
    l->ids = a;
    a = gnv__reallocarray(l->created, (size_t)cap, sizeof *a);
    if (!a)
        return gnv__error_oom();
    l->created = a;
    a = gnv__reallocarray(l->updated, (size_t)cap, sizeof *a);
    if (!a)
        return gnv__error_oom();
    l->updated = a;
    l->cap = cap;
    return GNV_OK;
}

/* Append the ids and versions of fragment f's live rows to l. */
static int collect_ids(live_ids *l, gnv_table *t, const Gnvpb__DataFragment *f)
{
    int rc = GNV_OK;
    uint64_t *ids = NULL, *created = NULL, *updated = NULL;
    uint8_t *del = NULL;
    GNV_TRYG(gnv__rowids_load(&ids, t->io, t->dir, t->name, f));
    GNV_TRYG(gnv__rowids_load_versions(&created, t->io, t->dir, t->name, f, true));
    GNV_TRYG(gnv__rowids_load_versions(&updated, t->io, t->dir, t->name, f, false));
    GNV_TRYG(gnv__fragment_deletions(t->io, t->dir, t->name, f, &del));
    GNV_TRYG(live_ids_reserve(l, f->physical_rows));
    for (uint64_t r = 0; r < f->physical_rows; r++) {
        if (del && (del[r >> 3] >> (r & 7) & 1))
            continue;
        l->ids[l->n] = ids[r];
        l->created[l->n] = created[r];
        l->updated[l->n] = updated[r];
        l->n++;
    }
done:
    gnv__free(ids);
    gnv__free(created);
    gnv__free(updated);
    gnv__free(del);
    return rc;
}

/* Set f's inline last-updated-at versions to runs of v[0..n) (over row offsets, as
 * Lance's RowDatasetVersionSequence). */
static int set_updated(Gnvpb__DataFragment *f, const uint64_t *v, uint64_t n)
{
    int rc = GNV_OK;
    size_t runs = 0;
    for (uint64_t i = 0; i < n; i++)
        runs += i == 0 || v[i] != v[i - 1];
    Gnvpb__U64Segment__Range *ranges = gnv__calloc(runs + 1, sizeof *ranges);
    Gnvpb__U64Segment *spans = gnv__calloc(runs + 1, sizeof *spans);
    Gnvpb__RowDatasetVersionRun *rv = gnv__calloc(runs + 1, sizeof *rv);
    Gnvpb__RowDatasetVersionRun **rp = gnv__calloc(runs + 1, sizeof *rp);
    uint8_t *bytes = NULL;
    GNV_CHECK_ALLOC(ranges);
    GNV_CHECK_ALLOC(spans);
    GNV_CHECK_ALLOC(rv);
    GNV_CHECK_ALLOC(rp);
    size_t k = 0;
    for (uint64_t i = 0; i < n; k++) {
        uint64_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        gnvpb__u64_segment__range__init(&ranges[k]);
        ranges[k].has_start = ranges[k].has_end = 1;
        ranges[k].start = i;
        ranges[k].end = j;
        gnvpb__u64_segment__init(&spans[k]);
        spans[k].segment_case = GNVPB__U64_SEGMENT__SEGMENT_RANGE;
        spans[k].range = &ranges[k];
        gnvpb__row_dataset_version_run__init(&rv[k]);
        rv[k].span = &spans[k];
        rv[k].has_version = 1;
        rv[k].version = v[i];
        rp[k] = &rv[k];
        i = j;
    }
    Gnvpb__RowDatasetVersionSequence seq = GNVPB__ROW_DATASET_VERSION_SEQUENCE__INIT;
    seq.runs = rp;
    seq.n_runs = k;
    size_t len = gnvpb__row_dataset_version_sequence__get_packed_size(&seq);
    bytes = gnv__malloc(len ? len : 1);
    GNV_CHECK_ALLOC(bytes);
    gnvpb__row_dataset_version_sequence__pack(&seq, bytes);
    if (f->last_updated_at_version_sequence_case ==
        GNVPB__DATA_FRAGMENT__LAST_UPDATED_AT_VERSION_SEQUENCE_INLINE_LAST_UPDATED_AT_VERSIONS)
        gnv__free(f->inline_last_updated_at_versions.data);
    else if (
        f->last_updated_at_version_sequence_case ==
        GNVPB__DATA_FRAGMENT__LAST_UPDATED_AT_VERSION_SEQUENCE_EXTERNAL_LAST_UPDATED_AT_VERSIONS)
        gnv__pb_free(&f->external_last_updated_at_versions->base);
    f->last_updated_at_version_sequence_case =
        GNVPB__DATA_FRAGMENT__LAST_UPDATED_AT_VERSION_SEQUENCE_INLINE_LAST_UPDATED_AT_VERSIONS;
    f->inline_last_updated_at_versions.data = bytes;
    f->inline_last_updated_at_versions.len = len;
    bytes = NULL;
done:
    gnv__free(ranges);
    gnv__free(spans);
    gnv__free(rv);
    gnv__free(rp);
    gnv__free(bytes);
    return rc;
}

/* Give the new fragments the old rows' ids and versions, in order (Lance's
 * rechunk_stable_row_ids and recalc_versions_for_rewritten_fragments). */
static int carry_ids(gnv_table *t,
                     Gnvpb__DataFragment *const *old,
                     size_t n_old,
                     Gnvpb__DataFragment **frags,
                     size_t n_frags)
{
    int rc = GNV_OK;
    live_ids l = {0};
    for (size_t i = 0; i < n_old; i++)
        GNV_TRYG(collect_ids(&l, t, old[i]));
    uint64_t total = 0;
    for (size_t i = 0; i < n_frags; i++)
        total += frags[i]->physical_rows;
    GNV_ERR_IF(total != l.n, GNV_ECORRUPT, GNV_SUB_TABLE,
               "table '%s': %" PRIu64 " rows were rewritten but the fragments have %" PRIu64
               " live row ids",
               t->name, total, l.n);
    uint64_t off = 0;
    for (size_t i = 0; i < n_frags; i++) {
        uint64_t rows = frags[i]->physical_rows;
        GNV_TRYG(gnv__rowids_set(frags[i], l.ids + off, l.created + off, 1));
        GNV_TRYG(set_updated(frags[i], l.updated + off, rows));
        off += rows;
    }
done:
    live_ids_reset(&l);
    return rc;
}

/* ---- reading ahead -------------------------------------------------------------- */

/*
 * A stream over another one (src) whose batches a second thread reads ahead, at most
 * PREFETCH_DEPTH of them, while the caller consumes the ones before: scanning the old
 * fragments and writing the new ones overlap. Only the thread touches src until it has
 * been joined; an error of src (its code and message) is handed to the consumer, in
 * order, after the batches read before it. Releasing the stream stops and joins the
 * thread and releases src.
 */
typedef struct prefetch {
    struct ArrowArrayStream src;
    struct ArrowSchema schema;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ArrowArray q[PREFETCH_DEPTH];
    int head, count;
    bool eof, stop;
    int err, err_sub; /* src's error, once it failed */
    char err_msg[1024];
} prefetch;

static void *prefetch_main(void *arg)
{
    prefetch *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->count == PREFETCH_DEPTH && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        struct ArrowArray a;
        int rc = gnv__stream_next(&p->src, &a);
        const gnv_error *e = rc < 0 && rc != GNV_ITEROVER ? gnv_error_last() : NULL;
        pthread_mutex_lock(&p->mu);
        if (rc == GNV_OK) {
            gnv__array_move(&a, &p->q[(p->head + p->count) % PREFETCH_DEPTH]);
            p->count++;
        } else if (rc == GNV_ITEROVER) {
            p->eof = true;
        } else {
            p->err = rc;
            p->err_sub = e ? e->subsystem : GNV_SUB_TABLE;
            snprintf(p->err_msg, sizeof p->err_msg, "%s", e ? e->message : "read failed");
        }
        bool done = rc != GNV_OK;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (done)
            break;
    }
    return NULL;
}

static int prefetch_schema(void *self, struct ArrowSchema *out)
{
    prefetch *p = self;
    return gnv__schema_copy(out, &p->schema);
}

static int prefetch_next(void *self, struct ArrowArray *out)
{
    prefetch *p = self;
    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->eof && !p->err)
        pthread_cond_wait(&p->cv, &p->mu);
    int rc = GNV_OK;
    if (p->count > 0) {
        gnv__array_move(&p->q[p->head], out);
        p->head = (p->head + 1) % PREFETCH_DEPTH;
        p->count--;
        pthread_cond_broadcast(&p->cv);
    } else if (p->err) {
        rc = p->err;
    } else {
        rc = GNV_ITEROVER;
    }
    pthread_mutex_unlock(&p->mu);
    if (rc < 0 && rc != GNV_ITEROVER)
        return gnv__error_set(rc, p->err_sub, "%s", p->err_msg);
    return rc;
}

static void prefetch_free(void *self)
{
    prefetch *p = self;
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        p->stop = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    }
    for (int i = 0; i < p->count; i++)
        gnv__array_release(&p->q[(p->head + i) % PREFETCH_DEPTH]);
    gnv__stream_release(&p->src);
    gnv__schema_release(&p->schema);
    gnv__free(p);
}

static const gnv_stream_impl prefetch_impl = {prefetch_schema, prefetch_next, prefetch_free};

/* Wrap *src (moved in, released on failure) in a prefetching stream *out. */
static int prefetch_start(struct ArrowArrayStream *out, struct ArrowArrayStream *src)
{
    int rc = GNV_OK;
    prefetch *p = gnv__calloc(1, sizeof *p);
    if (!p) {
        gnv__stream_release(src);
        return gnv__error_oom();
    }
    gnv__stream_move(src, &p->src);
    GNV_TRYG(gnv__stream_get_schema(&p->src, &p->schema));
    GNV_ERR_IF(pthread_mutex_init(&p->mu, NULL) != 0, GNV_ERROR, GNV_SUB_TABLE,
               "cannot create a mutex");
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        GNV_ERR_IF(true, GNV_ERROR, GNV_SUB_TABLE, "cannot create a condition variable");
    }
    if (pthread_create(&p->thread, NULL, prefetch_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        GNV_ERR_IF(true, GNV_ERROR, GNV_SUB_TABLE, "cannot start the reading thread");
    }
    p->started = true;
    rc = gnv__stream_init(out, &prefetch_impl, p);
    p = NULL; /* freed by the stream, or by gnv__stream_init on failure */
done:
    if (p)
        prefetch_free(p);
    return rc;
}

/* ---- rewriting ------------------------------------------------------------------ */

/*
 * Write the live rows of old[0..n_old) (fragments of t's version) into new fragments of
 * at most max_rows rows: *frags_out, *n_out (ids unassigned; free each with
 * gnv__pb_free, then the array).
 */
static int rewrite(Gnvpb__DataFragment ***frags_out,
                   size_t *n_out,
                   gnv_table *t,
                   Gnvpb__DataFragment *const *old,
                   size_t n_old,
                   int64_t max_rows)
{
    int rc = GNV_OK;
    struct ArrowArrayStream st = {0};
    *frags_out = NULL;
    *n_out = 0;
    /* a view of t's version holding only these fragments, for the scan to read */
    Gnvpb__Manifest sub = *t->m;
    sub.fragments = (Gnvpb__DataFragment **)old;
    sub.n_fragments = n_old;
    gnv_table view = *t;
    view.m = &sub;
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    so.batch_rows = SCAN_BATCH_ROWS;
    GNV_TRYG(gnv_table_scan(&view, &so, &st));
    int64_t live = 0;
    for (size_t i = 0; i < n_old; i++)
        live += gnv__fragment_live_rows(old[i]);
    if (live >= PREFETCH_MIN_ROWS) {
        struct ArrowArrayStream scan = st;
        st.release = NULL;
        GNV_TRYG(prefetch_start(&st, &scan));
    }
    GNV_TRYG(gnv__table_write_fragments_limited(frags_out, n_out, t, &st, max_rows, 0));
    if (gnv__table_stable_row_ids(t->m))
        GNV_TRYG(carry_ids(t, old, n_old, *frags_out, *n_out));
done:
    gnv__stream_release(&st);
    if (rc < 0) {
        for (size_t i = 0; i < *n_out; i++)
            gnv__pb_free(&(*frags_out)[i]->base);
        gnv__free(*frags_out);
        *frags_out = NULL;
        *n_out = 0;
    }
    return rc;
}

int gnv_table_optimize(gnv_table *t,
                       const gnv_optimize_options *opts,
                       gnv_optimize_stats *stats_out)
{
    int rc = GNV_OK;
    gnv_optimize_options def = GNV_OPTIMIZE_OPTIONS_INIT;
    gnv_optimize_stats st = {0};
    task_list tasks = {0};
    gnv__rewrite_group *groups = NULL;
    Gnvpb__Manifest *read = NULL;
    if (stats_out)
        memset(stats_out, 0, sizeof *stats_out);
    GNV_ERR_IF(!t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_optimize: NULL table");
    if (!opts)
        opts = &def;
    GNV_ERR_IF(opts->version > GNV_OPTIMIZE_OPTIONS_VERSION, GNV_EVERSION, GNV_SUB_TABLE,
               "gnv_table_optimize: options version %u is newer than this library's",
               opts->version);
    GNV_ERR_IF(opts->target_rows_per_fragment < 0 || opts->max_rows_per_group < 0 ||
                   !(opts->materialize_deletions_threshold >= 0.0),
               GNV_EINVAL, GNV_SUB_TABLE,
               "gnv_table_optimize: negative target_rows_per_fragment, max_rows_per_group or "
               "materialize_deletions_threshold");
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_TABLE,
               "table '%s' is checked out at version %" PRIu64 " (read-only); call "
               "gnv_table_checkout_latest first",
               t->name, t->m->version);
    int64_t target =
        opts->target_rows_per_fragment > 0 ? opts->target_rows_per_fragment : DEFAULT_TARGET_ROWS;
    double threshold = opts->materialize_deletions_threshold > 0.0
                           ? opts->materialize_deletions_threshold
                           : DEFAULT_DELETION_THRESH;
    /* as Lance's CompactionOptions::validate: a threshold of 100% materializes nothing */
    bool materialize = opts->materialize_deletions && threshold < 1.0;
    st.version = t->m->version;
    GNV_TRYG(check_no_indexes(t));
    GNV_TRYG(plan(&tasks, t, target, materialize, threshold));
    if (tasks.n == 0)
        goto done; /* nothing to compact: no commit, as Lance */

    /* the version planned on: its fragments are the groups' old fragments, whatever the
     * handle does during the commit */
    read = (Gnvpb__Manifest *)gnv__pb_dup(&t->m->base);
    GNV_CHECK_ALLOC(read);
    groups = gnv__calloc(tasks.n, sizeof *groups);
    GNV_CHECK_ALLOC(groups);
    for (size_t i = 0; i < tasks.n; i++) {
        Gnvpb__DataFragment **nf = NULL;
        size_t n_new = 0;
        Gnvpb__DataFragment *const *old = read->fragments + tasks.v[i].first;
        size_t n_old = tasks.v[i].n;
        GNV_TRYG(rewrite(&nf, &n_new, t, old, n_old, target));
        groups[i].old = old;
        groups[i].n_old = n_old;
        groups[i].new_frags = nf;
        groups[i].n_new = n_new;
        st.fragments_removed += (int64_t)n_old;
        st.fragments_added += (int64_t)n_new;
        for (size_t k = 0; k < n_old; k++)
            st.files_removed += (int64_t)old[k]->n_files + (old[k]->deletion_file ? 1 : 0);
        for (size_t k = 0; k < n_new; k++) {
            st.files_added += (int64_t)nf[k]->n_files;
            st.rows_rewritten += (int64_t)nf[k]->physical_rows;
        }
    }
    gnv__commit c = {0};
    c.op = GNV__OP_REWRITE;
    c.groups = groups;
    c.n_groups = tasks.n;
    GNV_TRYG(gnv__table_commit(t, &c));
    st.version = t->m->version;
done:
    if (groups) {
        for (size_t i = 0; i < tasks.n; i++) {
            for (size_t k = 0; k < groups[i].n_new; k++)
                gnv__pb_free(&groups[i].new_frags[k]->base);
            gnv__free((void *)groups[i].new_frags);
        }
        gnv__free(groups);
    }
    gnv__manifest_free(read);
    gnv__free(tasks.v);
    if (rc == GNV_OK && stats_out)
        *stats_out = st;
    return rc;
}
