/*
 * io: storage backends (local files, fault injection) behind include/geneva/sys/io.h,
 * and helpers over any backend. Uses util only.
 */
#ifndef GNV_IO_H
#define GNV_IO_H

#include "geneva/sys/io.h"
#include "util/util.h"

/* Thin dispatchers over io->vt, so callers read naturally. */
static inline int
gnv__io_open_read(gnv_io *io, const char *path, gnv_io_reader **out, uint64_t *size)
{
    return io->vt->open_read(io, path, out, size);
}
int gnv__io_read_at(gnv_io *io, gnv_io_reader *r, void *buf, size_t n, uint64_t offset);
void gnv__io_close_read(gnv_io *io, gnv_io_reader *r);
int gnv__io_create(gnv_io *io, const char *path, gnv_io_writer **out);
int gnv__io_write(gnv_io *io, gnv_io_writer *w, const void *buf, size_t n);
int gnv__io_commit(gnv_io *io, gnv_io_writer *w, int mode);
void gnv__io_abort(gnv_io *io, gnv_io_writer *w);

/* Read a whole (small) file into out. */
int gnv__io_read_all(gnv_io *io, const char *path, gnv_buf *out);
/* Write a whole file atomically. */
int gnv__io_write_all(gnv_io *io, const char *path, const void *data, size_t n, int mode);

/* Join path parts with '/', into a new string (gnv__free). */
char *gnv__path_join(const char *a, const char *b);

#endif
