/*
 * Cleanup of old versions (gnv_table_cleanup), following LanceDB's rules: versions
 * older than a cutoff go, except the latest and tagged ones; a file goes when no kept
 * version names it and either an old version named it ("verified": it is not part of a
 * commit in flight) or it is older than the unverified grace period.
 *
 * Order: every manifest is read before anything is removed (an unreadable one stops
 * the cleanup with nothing removed); then unreferenced files, then old manifests. A
 * crash in between leaves kept versions whole and old manifests naming files that are
 * gone; the next cleanup removes those manifests.
 *
 * Removing is bound by the disk's latency, not the CPU (an unlink may wait for the
 * inode's metadata to be written), so large batches are removed by several threads at
 * once, as LanceDB's object store deletes with many requests in flight.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "table/table.h"

#define UNVERIFIED_GRACE_US (7LL * 24 * 3600 * 1000000)
/* Removals in flight at once for a large batch, and the smallest batch worth threads. */
#define REMOVE_THREADS   64
#define PARALLEL_REMOVAL 256

/* The directories of a dataset whose files versions name. */
static const char *const file_dirs[] = {"data", "_deletions", "_transactions", "_indices"};

typedef struct cleanup {
    gnv_table *t;
    const gnv_cleanup_options *o;
    gnv_strset keep;     /* paths (relative to the dataset) a kept version names */
    gnv_strset verified; /* paths only old versions name */
    uint64_t *old;       /* versions to remove */
    size_t n_old, cap_old;
    uint64_t *versions; /* every manifest listed */
    size_t n_versions, cap_versions;
    int64_t now_us;
    gnv_cleanup_stats stats;
    gnv_buf path; /* scratch */
} cleanup;

static int64_t wall_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        uint64_t *p = gnv__reallocarray(*v, c, sizeof *p);
        if (!p)
            return gnv__error_oom();
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return GNV_OK;
}

typedef struct list_acc {
    cleanup *c;
    int rc;
} list_acc;

static int see_manifest(const char *name, int is_dir, void *payload)
{
    list_acc *acc = payload;
    uint64_t v;
    bool v2;
    if (is_dir || !gnv__manifest_parse_name(name, &v, &v2))
        return 0;
    acc->rc = push_u64(&acc->c->versions, &acc->c->n_versions, &acc->c->cap_versions, v);
    return acc->rc < 0;
}

static int add_path(gnv_strset *set, gnv_buf *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int add_path(gnv_strset *set, gnv_buf *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gnv__buf_clear(path);
    int rc = gnv__buf_vprintf(path, fmt, ap);
    va_end(ap);
    return rc < 0 ? rc : gnv__strset_add(set, path->ptr, path->size, NULL);
}

/* Every file one version names, into set. */
static int collect(cleanup *c, gnv_strset *set, const Gnvpb__Manifest *m, const gnv_buf *index)
{
    int rc = GNV_OK;
    Gnvpb__IndexSection *idx = NULL;
    for (size_t i = 0; i < m->n_fragments; i++) {
        const Gnvpb__DataFragment *f = m->fragments[i];
        for (size_t k = 0; k < f->n_files; k++)
            GNV_TRYG(add_path(set, &c->path, "data/%s", f->files[k]->path));
        const Gnvpb__DeletionFile *d = f->deletion_file;
        if (d) {
            bool bitmap = d->has_file_type && d->file_type == GNVPB__DELETION_FILE__KIND__BITMAP;
            gnv__buf_clear(&c->path);
            GNV_TRYG(
                gnv__deletion_file_path(&c->path, NULL, f->id, d->read_version, d->id, bitmap));
            GNV_TRYG(gnv__strset_add(set, c->path.ptr, c->path.size, NULL));
        }
        if (f->row_id_sequence_case == GNVPB__DATA_FRAGMENT__ROW_ID_SEQUENCE_EXTERNAL_ROW_IDS &&
            f->external_row_ids && f->external_row_ids->path)
            GNV_TRYG(add_path(set, &c->path, "%s", f->external_row_ids->path));
    }
    if (m->transaction_file && *m->transaction_file)
        GNV_TRYG(add_path(set, &c->path, "_transactions/%s", m->transaction_file));
    if (index && index->size) {
        idx = gnvpb__index_section__unpack(gnv__pb_allocator(), index->size,
                                           (const uint8_t *)index->ptr);
        GNV_ERR_IF(!idx, GNV_ECORRUPT, GNV_SUB_TABLE,
                   "table '%s' version %" PRIu64 ": its index section does not decode", c->t->name,
                   m->version);
        for (size_t i = 0; i < idx->n_indices; i++) {
            const Gnvpb__Uuid *u = idx->indices[i]->uuid;
            if (!u || !u->has_uuid || u->uuid.len != 16)
                continue;
            char hex[33];
            gnv__hex(hex, u->uuid.data, 16);
            GNV_TRYG(add_path(set, &c->path, "_indices/%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
                              hex + 12, hex + 16, hex + 20));
        }
    }
done:
    if (idx)
        gnvpb__index_section__free_unpacked(idx, gnv__pb_allocator());
    return rc;
}

static int is_tagged(uint64_t v, const gnv_tag_info *tags, size_t n_tags)
{
    for (size_t i = 0; i < n_tags; i++)
        if (tags[i].version == v)
            return 1;
    return 0;
}

/* Read every manifest; sort versions into kept and old and their files into sets. */
static int inspect(cleanup *c, uint64_t latest, bool v1)
{
    int rc = GNV_OK;
    gnv_tag_info *tags = NULL;
    size_t n_tags = 0;
    Gnvpb__Manifest *m = NULL;
    gnv_buf index = GNV_BUF_INIT;
    int64_t cutoff = c->now_us - c->o->older_than_seconds * 1000000;
    GNV_TRYG(gnv_table_tag_list(c->t, &tags, &n_tags));
    for (size_t i = 0; i < c->n_versions; i++) {
        uint64_t v = c->versions[i];
        gnv__buf_clear(&index);
        rc = gnv__table_read_version(&m, &index, NULL, c->t->io, c->t->dir, c->t->name, v, v1);
        if (rc == GNV_ENOTFOUND) { /* removed meanwhile by another cleanup */
            gnv_error_clear();
            rc = GNV_OK;
            continue;
        }
        GNV_TRYG(rc);
        int64_t ts =
            m->timestamp ? m->timestamp->seconds * 1000000 + m->timestamp->nanos / 1000 : 0;
        bool keep = v >= latest || is_tagged(v, tags, n_tags) || ts >= cutoff;
        GNV_TRYG(collect(c, keep ? &c->keep : &c->verified, m, &index));
        if (!keep)
            GNV_TRYG(push_u64(&c->old, &c->n_old, &c->cap_old, v));
        gnv__manifest_free(m);
        m = NULL;
    }
done:
    gnv__manifest_free(m);
    gnv_buf_dispose(&index);
    gnv_table_tag_list_free(tags, n_tags);
    return rc;
}

/* Paths (relative to the table directory) to remove, and what removing them freed. */
typedef struct removal {
    gnv_io *io;
    char **paths;
    size_t n, cap;
    bool dirs;    /* index directories: whole trees */
    bool dry_run; /* count only */
} removal;

typedef struct remove_slice {
    removal *r;
    size_t from, to;
    uint64_t files, bytes;
    int rc;
    char msg[512];
} remove_slice;

/* Add "dir/rel" (dir NULL: rel). */
static int removal_add(removal *r, const char *dir, const char *rel)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        char **p = gnv__reallocarray(r->paths, cap, sizeof *p);
        if (!p)
            return gnv__error_oom();
        r->paths = p;
        r->cap = cap;
    }
    gnv_buf full = GNV_BUF_INIT;
    GNV_TRY(gnv__buf_printf(&full, "%s%s%s", dir ? dir : "", dir ? "/" : "", rel));
    r->paths[r->n++] = gnv__buf_detach(&full, NULL);
    return GNV_OK;
}

static void removal_reset(removal *r)
{
    for (size_t i = 0; i < r->n; i++)
        gnv__free(r->paths[i]);
    gnv__free(r->paths);
    r->paths = NULL;
    r->n = r->cap = 0;
}

/* Remove paths [from, to) of the slice's batch, counting files and bytes; a path gone
 * meanwhile is no error. Runs on its own thread: errors are kept as text. */
static void *remove_range(void *arg)
{
    remove_slice *s = arg;
    gnv_io *io = s->r->io;
    for (size_t i = s->from; i < s->to && s->rc == GNV_OK; i++) {
        const char *path = s->r->paths[i];
        uint64_t size = 0;
        if (!s->r->dirs && io->vt->stat(io, path, &size) < 0)
            gnv_error_clear();
        int rc = GNV_OK;
        if (!s->r->dry_run)
            rc = s->r->dirs ? io->vt->remove_tree(io, path) : io->vt->remove(io, path);
        if (rc == GNV_ENOTFOUND) {
            gnv_error_clear();
            if (!s->r->dirs) /* a manifest or file another cleanup removed */
                continue;
            rc = GNV_OK;
        }
        if (rc < 0) {
            const gnv_error *e = gnv_error_last();
            s->rc = rc;
            snprintf(s->msg, sizeof s->msg, "%s", e ? e->message : "cannot remove a file");
            break;
        }
        s->files++;
        s->bytes += size;
    }
    return NULL;
}

/* Remove every path of r, on several threads when there are many; *files and *bytes
 * grow by what was removed. The first failure is returned (with its message). */
static int removal_run(removal *r, uint64_t *files, uint64_t *bytes)
{
    remove_slice slices[REMOVE_THREADS];
    pthread_t threads[REMOVE_THREADS];
    bool started[REMOVE_THREADS] = {false};
    size_t n_threads = r->n >= PARALLEL_REMOVAL ? REMOVE_THREADS : 1;
    for (size_t k = 0; k < n_threads; k++) {
        slices[k] =
            (remove_slice){r, r->n * k / n_threads, r->n * (k + 1) / n_threads, 0, 0, GNV_OK, ""};
        if (n_threads == 1 || pthread_create(&threads[k], NULL, remove_range, &slices[k]) != 0)
            remove_range(&slices[k]); /* no thread: on this one */
        else
            started[k] = true;
    }
    int rc = GNV_OK;
    for (size_t k = 0; k < n_threads; k++) {
        if (started[k])
            pthread_join(threads[k], NULL);
        *files += slices[k].files;
        *bytes += slices[k].bytes;
        if (slices[k].rc < 0 && rc == GNV_OK)
            rc = gnv__error_set(slices[k].rc, GNV_SUB_TABLE, "%s", slices[k].msg);
    }
    return rc;
}

/* May a file no kept version names go? Yes when an old version named it, or when it is
 * older than the grace period (or the caller said so). */
static bool removable(cleanup *c, const char *rel, size_t len)
{
    if (gnv__strset_has(&c->keep, rel, len))
        return false;
    if (gnv__strset_has(&c->verified, rel, len) || c->o->delete_unverified)
        return true;
    gnv_io *io = c->t->io;
    int64_t mtime;
    if (io->vt->version < 2 || !io->vt->modified)
        return false;
    gnv__buf_clear(&c->path);
    if (gnv__buf_printf(&c->path, "%s/%s", c->t->dir, rel) < 0 ||
        io->vt->modified(io, c->path.ptr, &mtime) < 0) {
        gnv_error_clear();
        return false;
    }
    return c->now_us - mtime > UNVERIFIED_GRACE_US;
}

typedef struct sweep_acc {
    cleanup *c;
    const char *dir;
    gnv_strset found; /* names listed, removed after the listing ends */
    int rc;
} sweep_acc;

static int see_file(const char *name, int is_dir, void *payload)
{
    sweep_acc *acc = payload;
    /* Data, deletion and transaction files are plain files; an index is a directory. */
    bool index_dir = strcmp(acc->dir, "_indices") == 0;
    if (is_dir != index_dir || name[0] == '.')
        return 0;
    acc->rc = gnv__strset_add(&acc->found, name, strlen(name), NULL);
    return acc->rc < 0;
}

static int sweep_dir(cleanup *c, const char *dir)
{
    sweep_acc acc = {c, dir, {0}, GNV_OK};
    removal batch = {c->t->io, NULL, 0, 0, strcmp(dir, "_indices") == 0, c->o->dry_run};
    gnv_buf full = GNV_BUF_INIT, rel = GNV_BUF_INIT;
    int rc = gnv__buf_printf(&full, "%s/%s", c->t->dir, dir);
    GNV_TRYG(rc);
    rc = c->t->io->vt->list(c->t->io, full.ptr, see_file, &acc);
    if (rc == GNV_ENOTFOUND) {
        gnv_error_clear();
        rc = GNV_OK;
        goto done;
    }
    if (acc.rc < 0)
        rc = acc.rc;
    GNV_TRYG(rc);
    for (size_t i = 0; i < acc.found.cap; i++) {
        const char *name = acc.found.slots[i];
        if (!name)
            continue;
        gnv__buf_clear(&rel);
        GNV_TRYG(gnv__buf_printf(&rel, "%s/%s", dir, name));
        if (removable(c, rel.ptr, rel.size))
            GNV_TRYG(removal_add(&batch, c->t->dir, rel.ptr));
    }
    GNV_TRYG(removal_run(&batch, &c->stats.files_removed, &c->stats.bytes_removed));
done:
    removal_reset(&batch);
    gnv__strset_reset(&acc.found);
    gnv_buf_dispose(&full);
    gnv_buf_dispose(&rel);
    return rc;
}

static int remove_old_manifests(cleanup *c, bool v1)
{
    int rc = GNV_OK;
    removal batch = {c->t->io, NULL, 0, 0, false, c->o->dry_run};
    uint64_t files = 0;
    for (size_t i = 0; i < c->n_old; i++) {
        char *path = gnv__table_manifest_path(c->t->dir, c->old[i], v1);
        GNV_CHECK_ALLOC(path);
        rc = removal_add(&batch, NULL, path);
        gnv__free(path);
        GNV_TRYG(rc);
    }
    rc = removal_run(&batch, &files, &c->stats.bytes_removed);
    c->stats.old_versions += files;
done:
    removal_reset(&batch);
    return rc;
}

int gnv_table_cleanup(gnv_table *t, const gnv_cleanup_options *opts, gnv_cleanup_stats *stats_out)
{
    static const gnv_cleanup_options defaults = GNV_CLEANUP_OPTIONS_INIT;
    cleanup c = {0};
    int rc = GNV_OK;
    uint64_t latest;
    bool v1;
    GNV_ERR_IF(!t, GNV_EINVAL, GNV_SUB_TABLE, "gnv_table_cleanup: NULL table");
    c.t = t;
    c.o = opts ? opts : &defaults;
    GNV_ERR_IF(c.o->version < 1 || c.o->version > GNV_CLEANUP_OPTIONS_VERSION, GNV_EINVAL,
               GNV_SUB_TABLE, "gnv_table_cleanup: options version %u is not known", c.o->version);
    GNV_ERR_IF(c.o->older_than_seconds < 0, GNV_EINVAL, GNV_SUB_TABLE,
               "cleanup: older_than must not be negative");
    GNV_ERR_IF(t->read_only, GNV_EINVAL, GNV_SUB_TABLE,
               "cleanup: table '%s' is a checkout of version %" PRIu64
               "; cleanup needs a handle at the latest version",
               t->name, t->m ? t->m->version : 0);
    c.now_us = wall_clock_us();

    GNV_TRYG(gnv__table_latest(t->io, t->dir, &latest, &v1));
    {
        list_acc acc = {&c, GNV_OK};
        char *vdir = gnv__path_join(t->dir, "_versions");
        GNV_CHECK_ALLOC(vdir);
        rc = t->io->vt->list(t->io, vdir, see_manifest, &acc);
        gnv__free(vdir);
        if (acc.rc < 0)
            rc = acc.rc;
        GNV_TRYG(rc);
    }
    GNV_TRYG(inspect(&c, latest, v1));
    for (size_t i = 0; i < GNV_ARRAY_SIZE(file_dirs); i++)
        GNV_TRYG(sweep_dir(&c, file_dirs[i]));
    GNV_TRYG(remove_old_manifests(&c, v1));
done:
    if (stats_out)
        *stats_out = c.stats;
    gnv__strset_reset(&c.keep);
    gnv__strset_reset(&c.verified);
    gnv__free(c.old);
    gnv__free(c.versions);
    gnv_buf_dispose(&c.path);
    return rc;
}
