/* gnv_write_ipc: a stream to an Arrow IPC file, written beside the target under a
 * temporary name, fsync'ed and renamed into place so readers never see half a file. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arrow/arrow.h"

#define SINK_FLUSH_AT ((size_t)1 << 20)

typedef struct file_sink {
    int fd;
    const char *path;
    gnv_buf buf;
} file_sink;

static int write_all(file_sink *s, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t got = write(s->fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return gnv__error_os(GNV_SUB_IPC, errno, "%s: write", s->path);
        p += got;
        n -= (size_t)got;
    }
    return GNV_OK;
}

static int sink_flush(file_sink *s)
{
    int rc = write_all(s, s->buf.ptr, s->buf.size);
    gnv__buf_clear(&s->buf);
    return rc;
}

static int file_sink_write(void *ctx, const void *data, size_t n)
{
    file_sink *s = ctx;
    if (n >= SINK_FLUSH_AT) {
        GNV_TRY(sink_flush(s));
        return write_all(s, data, n);
    }
    GNV_TRY(gnv__buf_put(&s->buf, data, n));
    return s->buf.size >= SINK_FLUSH_AT ? sink_flush(s) : GNV_OK;
}

/* Create a new temporary file beside path (mode 0666 less the umask). */
static int open_temp(char **tmp_out, int *fd_out, const char *path)
{
    static atomic_uint counter;
    size_t n = strlen(path) + 64;
    char *tmp = gnv__malloc(n);
    if (!tmp)
        return gnv__error_oom();
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, n, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&counter, 1));
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return GNV_OK;
        }
        if (errno != EEXIST) {
            int rc = gnv__error_os(GNV_SUB_IPC, errno, "%s: cannot create a temporary file", path);
            gnv__free(tmp);
            return rc;
        }
    }
    gnv__free(tmp);
    return gnv__error_set(GNV_EIO, GNV_SUB_IPC, "%s: cannot create a temporary file", path);
}

/* fsync the directory holding path so the rename is durable (best effort). */
static void sync_dir(const char *path)
{
    char *copy = gnv__strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    gnv__free(copy);
}

static int copy_batches(gnv_ipc_writer *w,
                        struct ArrowArrayStream *in,
                        const struct ArrowSchema *schema,
                        int64_t *rows)
{
    int rc = GNV_OK;
    struct ArrowArray batch = {0};
    for (int64_t i = 0;; i++) {
        rc = gnv__stream_next(in, &batch);
        if (rc == GNV_ITEROVER)
            return GNV_OK;
        if (rc < 0)
            return rc;
        rc = gnv__array_validate(schema, &batch, true);
        if (rc < 0) {
            gnv__error_prefix("batch %lld", (long long)i);
            goto done;
        }
        GNV_TRYG(gnv__ipc_writer_write(w, &batch));
        *rows += batch.length;
        gnv__array_release(&batch);
    }
done:
    gnv__array_release(&batch);
    return rc;
}

int gnv_write_ipc(const char *path,
                  struct ArrowArrayStream *in,
                  const gnv_ipc_write_options *opts,
                  int64_t *rows_out)
{
    int rc = GNV_OK;
    struct ArrowSchema schema = {0};
    gnv_ipc_writer *w = NULL;
    file_sink sink = {-1, path, GNV_BUF_INIT};
    char *tmp = NULL;
    int64_t rows = 0;
    if (rows_out)
        *rows_out = 0;
    GNV_ERR_IF(!path || !*path || !in || !in->release, GNV_EINVAL, GNV_SUB_IPC,
               "gnv_write_ipc: path and a live input stream are required");
    GNV_TRYG(gnv__stream_get_schema(in, &schema));
    GNV_TRYG(open_temp(&tmp, &sink.fd, path));
    gnv_ipc_sink s = {file_sink_write, &sink};
    GNV_TRYG(gnv__ipc_writer_new(&w, s, &schema, opts));
    GNV_TRYG(copy_batches(w, in, &schema, &rows));
    GNV_TRYG(gnv__ipc_writer_finish(w));
    GNV_TRYG(sink_flush(&sink));
    if (fsync(sink.fd) < 0)
        GNV_ERR_IF(true, GNV_EIO, GNV_SUB_IPC, "%s: fsync: %s", path, strerror(errno));
    int fd = sink.fd;
    sink.fd = -1;
    if (close(fd) < 0)
        GNV_ERR_IF(true, GNV_EIO, GNV_SUB_IPC, "%s: close: %s", path, strerror(errno));
    if (rename(tmp, path) < 0) {
        rc = gnv__error_os(GNV_SUB_IPC, errno, "%s: rename into place", path);
        goto done;
    }
    gnv__free(tmp);
    tmp = NULL;
    sync_dir(path);
    if (rows_out)
        *rows_out = rows;
done:
    if (sink.fd >= 0)
        close(sink.fd);
    if (tmp) {
        unlink(tmp);
        gnv__free(tmp);
    }
    gnv_buf_dispose(&sink.buf);
    gnv__ipc_writer_free(w);
    gnv__schema_release(&schema);
    return rc;
}
