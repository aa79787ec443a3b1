/*
 * Fuzz target: the manifest reader. The input is written as a manifest file in a
 * private temporary directory and read; a manifest that parses is checked for feature
 * flags and written back, which must succeed. Failures must be clean errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "format/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static gnv_io *fuzz_io(void)
{
    static gnv_io *io;
    if (!io) {
        snprintf(dir, sizeof dir, "/tmp/gnv-fuzz-manifest-XXXXXX");
        if (!mkdtemp(dir) || gnv_io_local_new(&io, dir) != GNV_OK)
            abort();
        atexit(cleanup);
    }
    return io;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gnv_io *io = fuzz_io();
    if (gnv__io_write_all(io, "in.manifest", data, size, GNV_IO_REPLACE) != GNV_OK)
        abort();
    Gnvpb__Manifest *m = NULL;
    gnv_buf index = GNV_BUF_INIT, txn = GNV_BUF_INIT;
    int rc = gnv__manifest_read(&m, io, "in.manifest", &index, &txn);
    if (rc < 0 && gnv_error_last() == NULL)
        abort();
    if (rc == GNV_OK) {
        if (gnv__manifest_check_flags(m, "fuzz") < 0 && gnv_error_last() == NULL)
            abort();
        io->vt->remove(io, "out.manifest");
        if (gnv__manifest_write(io, "out.manifest", m, &index, &txn) != GNV_OK)
            abort(); /* whatever we read, we can write back */
        gnv__manifest_free(m);
    }
    gnv_buf_dispose(&index);
    gnv_buf_dispose(&txn);
    return 0;
}
