/*
 * gen_lance_tables: helpers of the LanceDB interop test (test_lancedb.sh) that need the
 * C API rather than the CLI.
 *
 *   gen_lance_tables crash-append DB TABLE FILE NTH
 *
 * Appends the rows of FILE (any format gnv_read_file reads) to table TABLE of database
 * DB through a fault-injecting backend that simulates a power loss (GNV_IO_FAULT_CRASH)
 * at the NTH write or commit. NTH 0 injects nothing and prints the number of write and
 * commit operations the append made, so the script can crash at every one of them.
 * Exit status: 0 when the append failed as injected (or, with NTH 0, succeeded), 3 when
 * it succeeded all the same (NTH is past the commit: only best-effort writes, such as
 * the latest-version hint, were lost), 1 on any other error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geneva/geneva.h"
#include "geneva/sys/io.h"

static int usage(void)
{
    fprintf(stderr, "usage: gen_lance_tables crash-append DB TABLE FILE NTH\n");
    return 2;
}

static const char *last_message(void)
{
    const gnv_error *e = gnv_error_last();
    return e ? e->message : "unknown error";
}

/* The append itself, through a database opened over `io`. */
static int append_through(gnv_io *io, const char *dir, const char *table, const char *file)
{
    gnv_db_options dopts = GNV_DB_OPTIONS_INIT;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream in;
    int rc;

    memset(&in, 0, sizeof in);
    dopts.io = io;
    rc = gnv_db_open(&db, dir, &dopts);
    if (rc < 0)
        goto done;
    rc = gnv_db_open_table(&t, db, table);
    if (rc < 0)
        goto done;
    rc = gnv_read_file(&in, file, NULL);
    if (rc < 0)
        goto done;
    rc = gnv_table_add(t, &in, NULL);
done:
    if (in.release)
        in.release(&in);
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

static int crash_append(const char *dir, const char *table, const char *file, uint64_t nth)
{
    gnv_io *local = NULL, *io = NULL;
    int rc = gnv_io_local_new(&local, dir);
    if (rc < 0) {
        fprintf(stderr, "gen_lance_tables: %s\n", last_message());
        return 1;
    }
    rc = gnv_io_fault_new(&io, local, nth ? GNV_IO_FAULT_CRASH : GNV_IO_FAULT_NONE, nth);
    if (rc < 0) {
        fprintf(stderr, "gen_lance_tables: %s\n", last_message());
        gnv_io_free(local);
        return 1;
    }
    rc = append_through(io, dir, table, file);
    uint64_t ops = gnv_io_fault_ops(io);
    const char *msg = rc < 0 ? last_message() : "";
    int status;
    if (nth == 0) {
        status = rc < 0 ? 1 : 0;
        if (rc < 0)
            fprintf(stderr, "gen_lance_tables: append failed: %s\n", msg);
        else
            printf("%" PRIu64 "\n", ops);
    } else if (rc < 0) {
        status = ops >= nth ? 0 : 1; /* a failure before the fault is a real error */
        fprintf(stderr, "crash at operation %" PRIu64 ": %s\n", nth, msg);
    } else {
        /* Only best-effort writes came after the commit (the append succeeded). */
        status = 3;
        printf("operation %" PRIu64 " of %" PRIu64 " comes after the commit\n", nth, ops);
    }
    gnv_io_free(io);
    return status;
}

int main(int argc, char **argv)
{
    if (argc != 6 || strcmp(argv[1], "crash-append") != 0)
        return usage();
    char *end;
    errno = 0;
    unsigned long long nth = strtoull(argv[5], &end, 10);
    if (errno || *end || end == argv[5])
        return usage();
    return crash_append(argv[2], argv[3], argv[4], (uint64_t)nth);
}
