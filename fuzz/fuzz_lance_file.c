/*
 * Fuzz target: the Lance data file reader. The input is written to a file in a private
 * temporary directory, opened, and every top-level field of the file's own schema is
 * read whole, as a row range and by take; results are validated. Any failure must be a
 * clean error with a message, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int rc)
{
    if (rc < 0 && gnv_error_last() == NULL)
        abort();
}

static gnv_io *fuzz_io(void)
{
    static gnv_io *io;
    if (!io) {
        char tmpl[] = "/tmp/gnv-fuzz-lance-XXXXXX";
        const char *dir = mkdtemp(tmpl);
        if (!dir || gnv_io_local_new(&io, dir) != GNV_OK)
            abort();
    }
    return io;
}

static void read_field(gnv_lance_file *f, const struct ArrowSchema *field, int col)
{
    struct ArrowArray a;
    int64_t rows = gnv__lance_file_rows(f);
    int rc = gnv__lance_file_read(f, field, col, 0, rows, &a);
    check_error(rc);
    if (rc == GNV_OK) {
        if (gnv__array_validate(field, &a, false) != GNV_OK)
            abort(); /* the reader must only build valid arrays */
        gnv__array_release(&a);
    }
    if (rows > 2) {
        rc = gnv__lance_file_read(f, field, col, rows / 3, rows / 2, &a);
        check_error(rc);
        if (rc == GNV_OK)
            gnv__array_release(&a);
        int64_t take[3] = {0, rows / 2, rows - 1};
        rc = gnv__lance_file_take(f, field, col, take, 3, &a);
        check_error(rc);
        if (rc == GNV_OK)
            gnv__array_release(&a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gnv_io *io = fuzz_io();
    if (gnv__io_write_all(io, "fuzz.lance", data, size, GNV_IO_REPLACE) != GNV_OK)
        abort();
    gnv_lance_file *f = NULL;
    struct ArrowSchema schema = {0};
    int rc = gnv__lance_file_open(&f, io, "fuzz.lance");
    check_error(rc);
    if (rc < 0)
        return 0;
    rc = gnv__lance_file_schema(f, &schema);
    check_error(rc);
    if (rc == GNV_OK) {
        int col = 0;
        for (int64_t i = 0; i < schema.n_children; i++) {
            int n = gnv__lance_leaf_count(schema.children[i]);
            if (n < 0 || col + n > gnv__lance_file_num_columns(f))
                break;
            read_field(f, schema.children[i], col);
            col += n;
        }
        gnv__schema_release(&schema);
    }
    gnv__lance_file_close(f);
    return 0;
}
