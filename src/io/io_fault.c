/* A backend that wraps another and injects one fault at the Nth write or commit, for
 * crash-safety tests. After a simulated crash every write and commit fails, as if the
 * process had died: only what was committed before survives in the inner backend. */
#include <string.h>

#include "io.h"

typedef struct fault_io {
    gnv_io base;
    gnv_io *inner;
    int fault;
    uint64_t nth;
    uint64_t ops;
    bool crashed;
} fault_io;

typedef struct fault_writer {
    fault_io *io;
    gnv_io_writer *inner;
} fault_writer;

/* Count one write/commit; return the fault to apply to it (NONE for most). */
static int next_fault(fault_io *io)
{
    if (io->crashed)
        return GNV_IO_FAULT_CRASH;
    io->ops++;
    if (io->nth == 0 || io->ops != io->nth)
        return GNV_IO_FAULT_NONE;
    if (io->fault == GNV_IO_FAULT_CRASH)
        io->crashed = true;
    return io->fault;
}

static int fault_error(int fault, const char *what)
{
    switch (fault) {
    case GNV_IO_FAULT_ENOSPC:
        return gnv__error_set(GNV_EIO, GNV_SUB_IO, "cannot %s: No space left on device (injected)",
                              what);
    case GNV_IO_FAULT_CRASH:
        return gnv__error_set(GNV_EIO, GNV_SUB_IO, "cannot %s: simulated crash", what);
    default:
        return gnv__error_set(GNV_EIO, GNV_SUB_IO, "cannot %s: Input/output error (injected)",
                              what);
    }
}

typedef struct fault_reader {
    fault_io *io;
    gnv_io_reader *inner;
} fault_reader;

static int f_open_read(gnv_io *base, const char *path, gnv_io_reader **out, uint64_t *size)
{
    fault_io *io = (fault_io *)base;
    *out = NULL;
    fault_reader *r = gnv__calloc(1, sizeof *r);
    if (!r)
        return gnv__error_oom();
    r->io = io;
    int rc = io->inner->vt->open_read(io->inner, path, &r->inner, size);
    if (rc < 0) {
        gnv__free(r);
        return rc;
    }
    *out = (gnv_io_reader *)r;
    return GNV_OK;
}

static int f_read_at(gnv_io_reader *gr, void *buf, size_t n, uint64_t off)
{
    fault_reader *r = (fault_reader *)gr;
    return r->io->inner->vt->read_at(r->inner, buf, n, off);
}

static void f_close_read(gnv_io_reader *gr)
{
    fault_reader *r = (fault_reader *)gr;
    r->io->inner->vt->close_read(r->inner);
    gnv__free(r);
}

static int f_create(gnv_io *base, const char *path, gnv_io_writer **out)
{
    fault_io *io = (fault_io *)base;
    *out = NULL;
    if (io->crashed)
        return fault_error(GNV_IO_FAULT_CRASH, "create a file");
    fault_writer *w = gnv__calloc(1, sizeof *w);
    if (!w)
        return gnv__error_oom();
    w->io = io;
    int rc = io->inner->vt->create(io->inner, path, &w->inner);
    if (rc < 0) {
        gnv__free(w);
        return rc;
    }
    *out = (gnv_io_writer *)w;
    return GNV_OK;
}

static int f_write(gnv_io_writer *gw, const void *buf, size_t n)
{
    fault_writer *w = (fault_writer *)gw;
    int fault = next_fault(w->io);
    if (fault == GNV_IO_FAULT_NONE)
        return w->io->inner->vt->write(w->inner, buf, n);
    if (fault == GNV_IO_FAULT_SHORT && n > 1)
        w->io->inner->vt->write(w->inner, buf, n / 2);
    return fault_error(fault, "write");
}

static int f_commit(gnv_io_writer *gw, int mode)
{
    fault_writer *w = (fault_writer *)gw;
    fault_io *io = w->io;
    int fault = next_fault(io);
    int rc;
    if (fault == GNV_IO_FAULT_NONE) {
        rc = io->inner->vt->commit(w->inner, mode);
    } else {
        io->inner->vt->abort(w->inner);
        rc = fault_error(fault, "commit");
    }
    gnv__free(w);
    return rc;
}

static void f_abort(gnv_io_writer *gw)
{
    fault_writer *w = (fault_writer *)gw;
    w->io->inner->vt->abort(w->inner);
    gnv__free(w);
}

static int f_list(gnv_io *base, const char *dir, gnv_io_list_cb cb, void *payload)
{
    fault_io *io = (fault_io *)base;
    return io->inner->vt->list(io->inner, dir, cb, payload);
}

static int f_remove(gnv_io *base, const char *path)
{
    fault_io *io = (fault_io *)base;
    int fault = next_fault(io);
    if (fault == GNV_IO_FAULT_CRASH)
        return fault_error(fault, "remove a file");
    if (fault != GNV_IO_FAULT_NONE) /* a failed remove leaves the file */
        return fault_error(GNV_IO_FAULT_EIO, "remove a file");
    return io->inner->vt->remove(io->inner, path);
}

static int f_remove_tree(gnv_io *base, const char *dir)
{
    fault_io *io = (fault_io *)base;
    if (io->crashed)
        return fault_error(GNV_IO_FAULT_CRASH, "remove a directory");
    return io->inner->vt->remove_tree(io->inner, dir);
}

static int f_stat(gnv_io *base, const char *path, uint64_t *size)
{
    fault_io *io = (fault_io *)base;
    return io->inner->vt->stat(io->inner, path, size);
}

static int f_modified(gnv_io *base, const char *path, int64_t *unix_us)
{
    fault_io *io = (fault_io *)base;
    const gnv_io_vtable *vt = io->inner->vt;
    if (vt->version < 2 || !vt->modified)
        return gnv__error_set(GNV_ENOTSUP, GNV_SUB_IO, "the wrapped backend has no file times");
    return vt->modified(io->inner, path, unix_us);
}

static void f_free(gnv_io *base)
{
    fault_io *io = (fault_io *)base;
    gnv_io_free(io->inner);
    gnv__free(io);
}

static const gnv_io_vtable fault_vtable = {
    GNV_IO_VTABLE_VERSION,
    f_open_read,
    f_read_at,
    f_close_read,
    f_create,
    f_write,
    f_commit,
    f_abort,
    f_list,
    f_remove,
    f_remove_tree,
    f_stat,
    f_free,
    f_modified,
};

int gnv_io_fault_new(gnv_io **out, gnv_io *inner, int fault, uint64_t nth)
{
    *out = NULL;
    if (!inner)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IO, "fault backend needs an inner backend");
    if (fault < GNV_IO_FAULT_NONE || fault > GNV_IO_FAULT_CRASH)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_IO, "unknown fault %d", fault);
    fault_io *io = gnv__calloc(1, sizeof *io);
    if (!io)
        return gnv__error_oom();
    io->base.vt = &fault_vtable;
    io->inner = inner;
    io->fault = fault;
    io->nth = nth;
    *out = &io->base;
    return GNV_OK;
}

uint64_t gnv_io_fault_ops(const gnv_io *base)
{
    const fault_io *io = (const fault_io *)base;
    return base->vt == &fault_vtable ? io->ops : 0;
}
