/* The local-directory backend. New files are written under a hidden temporary name in
 * their target directory, fsynced, then linked (no replace) or renamed (replace) into
 * place, and the directory is fsynced: a file is either whole at its path or absent.
 * GNV_SYNC_OFF (and GNV_IO_NOSYNC commits) skip both fsyncs, keeping the atomicity. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

#define TMP_PREFIX ".gnv-tmp-"

typedef struct local_io {
    gnv_io base;
    char *root;
    bool sync; /* GNV_SYNC_FULL */
} local_io;

struct gnv_io_reader {
    int fd;
    char *path;
};

struct gnv_io_writer {
    int fd;
    char *tmp;
    char *target;
    char *display; /* path relative to the root, for messages */
    bool sync;     /* the backend's sync mode */
    /* bytes written; those handed to writeback early */
    uint64_t written, flushed;
};

/* With syncing on, a file's bytes are handed to writeback every this many bytes as they
 * are written, so that the fsync of its commit finds most of them on disk already. */
#define WRITEBACK_BYTES (1u << 20)

static char *full_path(local_io *io, const char *path)
{
    return gnv__path_join(io->root, path);
}

static int mkdirs(char *path)
{
    /* create each missing directory of path (modified in place, restored) */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        int err = errno;
        *p = '/';
        if (rc != 0 && err != EEXIST)
            return gnv__error_os(GNV_SUB_IO, err, "cannot create directory for '%s'", path);
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return gnv__error_os(GNV_SUB_IO, errno, "cannot create directory '%s'", path);
    return GNV_OK;
}

/* The directory part of a path (allocated), "/" for top-level entries. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return gnv__strdup(slash ? "/" : ".");
    return gnv__strndup(path, (size_t)(slash - path));
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = GNV_OK;
    if (fd < 0 || fsync(fd) != 0)
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot sync directory '%s'", dir);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int l_open_read(gnv_io *base, const char *path, gnv_io_reader **out, uint64_t *size)
{
    local_io *io = (local_io *)base;
    int rc = GNV_OK;
    gnv_io_reader *r = gnv__calloc(1, sizeof *r);
    char *full = full_path(io, path);
    *out = NULL;
    GNV_CHECK_ALLOC(r);
    r->fd = -1; /* (not 0: a failure below must not close standard input) */
    GNV_CHECK_ALLOC(full);
    r->fd = open(full, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot open '%s'", path);
        goto done;
    }
    struct stat st;
    if (fstat(r->fd, &st) != 0) {
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot stat '%s'", path);
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = gnv__error_set(GNV_EINVAL, GNV_SUB_IO, "'%s' is a directory", path);
        goto done;
    }
    r->path = gnv__strdup(path);
    GNV_CHECK_ALLOC(r->path);
    *size = (uint64_t)st.st_size;
    *out = r;
    r = NULL;
done:
    if (r) {
        if (r->fd >= 0)
            close(r->fd);
        gnv__free(r);
    }
    gnv__free(full);
    return rc;
}

static int l_read_at(gnv_io_reader *r, void *buf, size_t n, uint64_t offset)
{
    size_t done = 0;
    while (done < n) {
        ssize_t got = pread(r->fd, (char *)buf + done, n - done, (off_t)(offset + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return gnv__error_os(GNV_SUB_IO, errno, "cannot read '%s'", r->path);
        if (got == 0)
            return gnv__error_set(GNV_ECORRUPT, GNV_SUB_IO,
                                  "'%s' is truncated: wanted %zu bytes at offset %llu", r->path, n,
                                  (unsigned long long)offset);
        done += (size_t)got;
    }
    return GNV_OK;
}

static void l_close_read(gnv_io_reader *r)
{
    if (!r)
        return;
    close(r->fd);
    gnv__free(r->path);
    gnv__free(r);
}

static void writer_free(gnv_io_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    gnv__free(w->tmp);
    gnv__free(w->target);
    gnv__free(w->display);
    gnv__free(w);
}

static int l_create(gnv_io *base, const char *path, gnv_io_writer **out)
{
    static _Atomic uint64_t counter;
    local_io *io = (local_io *)base;
    int rc = GNV_OK;
    *out = NULL;
    gnv_io_writer *w = gnv__calloc(1, sizeof *w);
    if (!w)
        return gnv__error_oom();
    w->fd = -1;
    w->sync = io->sync;
    w->target = full_path(io, path);
    w->display = gnv__strdup(path);
    GNV_CHECK_ALLOC(w->target);
    GNV_CHECK_ALLOC(w->display);
    const char *slash = strrchr(w->target, '/');
    size_t dirlen = (size_t)(slash - w->target);
    gnv_buf tmp = GNV_BUF_INIT;
    rc = gnv__buf_printf(&tmp, "%.*s/" TMP_PREFIX "%s.%ld.%llu", (int)dirlen, w->target, slash + 1,
                         (long)getpid(), (unsigned long long)atomic_fetch_add(&counter, 1));
    w->tmp = tmp.ptr;
    if (rc < 0)
        goto done;
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0 && errno == ENOENT) {
        char *dir = gnv__strndup(w->target, dirlen);
        GNV_CHECK_ALLOC(dir);
        rc = mkdirs(dir);
        gnv__free(dir);
        if (rc < 0)
            goto done;
        w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (w->fd < 0) {
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot create '%s'", path);
        goto done;
    }
    *out = w;
    return GNV_OK;
done:
    writer_free(w);
    return rc;
}

static int l_write(gnv_io_writer *w, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t put = write(w->fd, (const char *)buf + done, n - done);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return gnv__error_os(GNV_SUB_IO, errno, "cannot write '%s'", w->display);
        done += (size_t)put;
    }
    w->written += n;
#ifdef SYNC_FILE_RANGE_WRITE
    if (w->sync && w->written - w->flushed >= WRITEBACK_BYTES) {
        /* start the writeback without waiting for it (a hint: its failure is not an
         * error, the commit's fsync reports any) */
        (void)sync_file_range(w->fd, (off_t)w->flushed, (off_t)(w->written - w->flushed),
                              SYNC_FILE_RANGE_WRITE);
        w->flushed = w->written;
    }
#endif
    return GNV_OK;
}

static int l_commit(gnv_io_writer *w, int mode)
{
    int rc = GNV_OK;
    /* Allocate before the file becomes visible: after link/rename nothing may fail for
     * want of memory, or a caller would think a visible commit had failed. */
    char *dir = dir_of(w->target);
    bool sync = w->sync && !(mode & GNV_IO_NOSYNC);
    mode &= ~GNV_IO_NOSYNC;
    GNV_CHECK_ALLOC(dir);
    if (sync && fsync(w->fd) != 0) {
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot sync '%s'", w->display);
        goto done;
    }
    close(w->fd);
    w->fd = -1;
    if (mode == GNV_IO_NOREPLACE) {
        if (link(w->tmp, w->target) != 0) {
            int err = errno;
            if (err == EEXIST)
                rc = gnv__error_set(GNV_EEXISTS, GNV_SUB_IO, "'%s' already exists", w->display);
            else
                rc = gnv__error_os(GNV_SUB_IO, err, "cannot commit '%s'", w->display);
            goto done;
        }
    } else if (rename(w->tmp, w->target) != 0) {
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot commit '%s'", w->display);
        goto done;
    }
    if (sync)
        rc = fsync_dir(dir);
done:
    gnv__free(dir);
    unlink(w->tmp);
    writer_free(w);
    return rc;
}

static void l_abort(gnv_io_writer *w)
{
    if (!w)
        return;
    unlink(w->tmp);
    writer_free(w);
}

static int l_list(gnv_io *base, const char *dir, gnv_io_list_cb cb, void *payload)
{
    local_io *io = (local_io *)base;
    char *full = full_path(io, dir);
    if (!full)
        return gnv__error_oom();
    DIR *d = opendir(full);
    if (!d) {
        int rc = gnv__error_os(GNV_SUB_IO, errno, "cannot list '%s'", dir);
        gnv__free(full);
        return rc;
    }
    int rc = GNV_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            !strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
            continue;
        int is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st;
            char *p = gnv__path_join(full, e->d_name);
            is_dir = p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
            gnv__free(p);
        }
        if ((rc = cb(e->d_name, is_dir, payload)) != 0)
            break;
    }
    closedir(d);
    gnv__free(full);
    return rc < 0 ? rc : GNV_OK;
}

static int l_remove(gnv_io *base, const char *path)
{
    local_io *io = (local_io *)base;
    char *full = full_path(io, path);
    if (!full)
        return gnv__error_oom();
    int rc =
        unlink(full) == 0 ? GNV_OK : gnv__error_os(GNV_SUB_IO, errno, "cannot remove '%s'", path);
    gnv__free(full);
    return rc;
}

static int remove_tree_at(const char *full)
{
    struct stat st;
    if (lstat(full, &st) != 0)
        return errno == ENOENT ? GNV_OK
                               : gnv__error_os(GNV_SUB_IO, errno, "cannot stat '%s'", full);
    if (!S_ISDIR(st.st_mode))
        return unlink(full) == 0 ? GNV_OK
                                 : gnv__error_os(GNV_SUB_IO, errno, "cannot remove '%s'", full);
    DIR *d = opendir(full);
    if (!d)
        return gnv__error_os(GNV_SUB_IO, errno, "cannot open '%s'", full);
    int rc = GNV_OK;
    struct dirent *e;
    while (rc == GNV_OK && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = gnv__path_join(full, e->d_name);
        rc = p ? remove_tree_at(p) : gnv__error_oom();
        gnv__free(p);
    }
    closedir(d);
    if (rc == GNV_OK && rmdir(full) != 0)
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot remove '%s'", full);
    return rc;
}

static int l_remove_tree(gnv_io *base, const char *dir)
{
    local_io *io = (local_io *)base;
    char *full = full_path(io, dir);
    if (!full)
        return gnv__error_oom();
    int rc = remove_tree_at(full);
    gnv__free(full);
    return rc;
}

static int l_stat(gnv_io *base, const char *path, uint64_t *size)
{
    local_io *io = (local_io *)base;
    char *full = full_path(io, path);
    if (!full)
        return gnv__error_oom();
    struct stat st;
    int rc = GNV_OK;
    if (stat(full, &st) != 0)
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot stat '%s'", path);
    else
        *size = (uint64_t)st.st_size;
    gnv__free(full);
    return rc;
}

static int l_modified(gnv_io *base, const char *path, int64_t *unix_us)
{
    local_io *io = (local_io *)base;
    char *full = full_path(io, path);
    if (!full)
        return gnv__error_oom();
    struct stat st;
    int rc = GNV_OK;
    if (stat(full, &st) != 0)
        rc = gnv__error_os(GNV_SUB_IO, errno, "cannot stat '%s'", path);
    else
        *unix_us = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
    gnv__free(full);
    return rc;
}

static void l_free(gnv_io *base)
{
    local_io *io = (local_io *)base;
    gnv__free(io->root);
    gnv__free(io);
}

static const gnv_io_vtable local_vtable = {
    GNV_IO_VTABLE_VERSION,
    l_open_read,
    l_read_at,
    l_close_read,
    l_create,
    l_write,
    l_commit,
    l_abort,
    l_list,
    l_remove,
    l_remove_tree,
    l_stat,
    l_free,
    l_modified,
};

int gnv_io_local_new(gnv_io **out, const char *root)
{
    const char *env = getenv("GENEVA_SYNC");
    return gnv_io_local_new_sync(out, root,
                                 env && strcmp(env, "off") == 0 ? GNV_SYNC_OFF : GNV_SYNC_FULL);
}

int gnv_io_local_new_sync(gnv_io **out, const char *root, int sync_mode)
{
    *out = NULL;
    if (sync_mode != GNV_SYNC_FULL && sync_mode != GNV_SYNC_OFF)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IO, "unknown sync mode %d", sync_mode);
    local_io *io = gnv__calloc(1, sizeof *io);
    if (!io)
        return gnv__error_oom();
    io->base.vt = &local_vtable;
    io->sync = sync_mode == GNV_SYNC_FULL;
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    io->root = gnv__strndup(root, n);
    if (!io->root) {
        gnv__free(io);
        return gnv__error_oom();
    }
    int rc = mkdirs(io->root);
    if (rc < 0) {
        l_free(&io->base);
        return rc;
    }
    *out = &io->base;
    return GNV_OK;
}

void gnv_io_free(gnv_io *io)
{
    if (io)
        io->vt->free(io);
}

/* ---- helpers over any backend ------------------------------------------- */

char *gnv__path_join(const char *a, const char *b)
{
    if (!a || !*a)
        return gnv__strdup(b);
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 0 && *b == '/') {
        b++;
        lb--;
    }
    char *p = gnv__malloc(la + 1 + lb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb);
    p[la + 1 + lb] = '\0';
    return p;
}

int gnv__io_read_at(gnv_io *io, gnv_io_reader *r, void *buf, size_t n, uint64_t offset)
{
    return io->vt->read_at(r, buf, n, offset);
}

void gnv__io_close_read(gnv_io *io, gnv_io_reader *r)
{
    if (r)
        io->vt->close_read(r);
}

int gnv__io_create(gnv_io *io, const char *path, gnv_io_writer **out)
{
    return io->vt->create(io, path, out);
}

int gnv__io_write(gnv_io *io, gnv_io_writer *w, const void *buf, size_t n)
{
    return io->vt->write(w, buf, n);
}

int gnv__io_commit(gnv_io *io, gnv_io_writer *w, int mode)
{
    return io->vt->commit(w, mode);
}

void gnv__io_abort(gnv_io *io, gnv_io_writer *w)
{
    if (w)
        io->vt->abort(w);
}

int gnv__io_read_all(gnv_io *io, const char *path, gnv_buf *out)
{
    gnv_io_reader *r;
    uint64_t size;
    GNV_TRY(gnv__io_open_read(io, path, &r, &size));
    int rc = gnv__buf_reserve(out, (size_t)size);
    if (rc == GNV_OK)
        rc = gnv__io_read_at(io, r, out->ptr + out->size, (size_t)size, 0);
    if (rc == GNV_OK) {
        out->size += (size_t)size;
        out->ptr[out->size] = '\0';
    }
    gnv__io_close_read(io, r);
    return rc;
}

int gnv__io_write_all(gnv_io *io, const char *path, const void *data, size_t n, int mode)
{
    gnv_io_writer *w;
    GNV_TRY(gnv__io_create(io, path, &w));
    int rc = gnv__io_write(io, w, data, n);
    if (rc < 0) {
        gnv__io_abort(io, w);
        return rc;
    }
    return gnv__io_commit(io, w, mode);
}
