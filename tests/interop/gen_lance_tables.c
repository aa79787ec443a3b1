/*
 * gen_lance_tables: helpers of the LanceDB interop test (test_lancedb.sh) that need the
 * C API rather than the CLI.
 *
 *   gen_lance_tables crash-append DB TABLE FILE NTH
 *   gen_lance_tables dict-table DB TABLE STORAGE_VERSION OUT.jsonl
 *
 * Appends the rows of FILE (any format gnv_read_file reads) to table TABLE of database
 * DB through a fault-injecting backend that simulates a power loss (GNV_IO_FAULT_CRASH)
 * at the NTH write or commit. NTH 0 injects nothing and prints the number of write and
 * commit operations the append made, so the script can crash at every one of them.
 * Exit status: 0 when the append failed as injected (or, with NTH 0, succeeded), 3 when
 * it succeeded all the same (NTH is past the commit: only best-effort writes, such as
 * the latest-version hint, were lost), 1 on any other error.
 *
 * dict-table creates TABLE from 40 rows of {id int64, d dictionary<int32, utf8>} and
 * appends 40 more of the same schema (dictionary data is stored as its value type),
 * then writes the 80 rows as JSONL to OUT.jsonl.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geneva/geneva.h"
#include "geneva/sys/io.h"

static int usage(void)
{
    fprintf(stderr, "usage: gen_lance_tables crash-append DB TABLE FILE NTH\n"
                    "       gen_lance_tables dict-table DB TABLE STORAGE_VERSION OUT.jsonl\n");
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

/* ---- dict-table ------------------------------------------------------------ */

#define DICT_ROWS 40
static const char *const WORDS[] = {"red", "green", "", "blue \xe2\x9c\x93"};

/* One batch of id int64, d dictionary<int32, utf8>, in static storage (no-op release). */
typedef struct dict_batch {
    int64_t ids[DICT_ROWS];
    int32_t idx[DICT_ROWS];
    uint8_t valid[(DICT_ROWS + 7) / 8];
    int32_t offs[5];
    char bytes[64];
    struct ArrowSchema s_top, s_id, s_d, s_vals, *s_kids[2];
    struct ArrowArray a_top, a_id, a_d, a_vals, *a_kids[2];
    const void *b_top[1], *b_id[2], *b_d[2], *b_vals[3];
    bool sent;
} dict_batch;

static void noop_schema(struct ArrowSchema *s)
{
    s->release = NULL;
}
static void noop_array(struct ArrowArray *a)
{
    a->release = NULL;
}

static bool dict_null(int64_t id)
{
    return id % 7 == 3;
}
static int dict_word(int64_t id)
{
    return (int)((id * 5) % 4);
}

static void dict_schema(dict_batch *b, struct ArrowSchema *out)
{
    struct ArrowSchema z;
    memset(&z, 0, sizeof z);
    b->s_top = b->s_id = b->s_d = b->s_vals = z;
    b->s_top.format = "+s";
    b->s_top.name = "";
    b->s_top.n_children = 2;
    b->s_kids[0] = &b->s_id;
    b->s_kids[1] = &b->s_d;
    b->s_top.children = b->s_kids;
    b->s_id.format = "l";
    b->s_id.name = "id";
    b->s_d.format = "i";
    b->s_d.name = "d";
    b->s_d.flags = ARROW_FLAG_NULLABLE;
    b->s_d.dictionary = &b->s_vals;
    b->s_vals.format = "u";
    b->s_vals.name = "";
    b->s_vals.flags = ARROW_FLAG_NULLABLE;
    b->s_top.release = b->s_id.release = b->s_d.release = b->s_vals.release = noop_schema;
    *out = b->s_top;
}

static void dict_fill(dict_batch *b, int64_t base)
{
    memset(b->valid, 0, sizeof b->valid);
    int64_t nulls = 0;
    for (int r = 0; r < DICT_ROWS; r++) {
        b->ids[r] = base + r;
        b->idx[r] = dict_word(base + r);
        if (dict_null(base + r))
            nulls++;
        else
            b->valid[r / 8] |= (uint8_t)(1u << (r % 8));
    }
    b->offs[0] = 0;
    for (int k = 0; k < 4; k++) {
        size_t n = strlen(WORDS[k]);
        memcpy(b->bytes + b->offs[k], WORDS[k], n);
        b->offs[k + 1] = b->offs[k] + (int32_t)n;
    }
    struct ArrowArray z;
    memset(&z, 0, sizeof z);
    b->a_top = b->a_id = b->a_d = b->a_vals = z;
    b->a_top.length = b->a_id.length = b->a_d.length = DICT_ROWS;
    b->a_vals.length = 4;
    b->a_top.n_buffers = 1;
    b->a_top.buffers = b->b_top;
    b->a_top.n_children = 2;
    b->a_kids[0] = &b->a_id;
    b->a_kids[1] = &b->a_d;
    b->a_top.children = b->a_kids;
    b->b_id[0] = NULL;
    b->b_id[1] = b->ids;
    b->a_id.n_buffers = 2;
    b->a_id.buffers = b->b_id;
    b->b_d[0] = b->valid;
    b->b_d[1] = b->idx;
    b->a_d.n_buffers = 2;
    b->a_d.buffers = b->b_d;
    b->a_d.null_count = nulls;
    b->a_d.dictionary = &b->a_vals;
    b->b_vals[0] = NULL;
    b->b_vals[1] = b->offs;
    b->b_vals[2] = b->bytes;
    b->a_vals.n_buffers = 3;
    b->a_vals.buffers = b->b_vals;
    b->a_top.release = b->a_id.release = b->a_d.release = b->a_vals.release = noop_array;
    b->sent = false;
}

static int dict_get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
    dict_schema(st->private_data, out);
    return 0;
}
static int dict_get_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
    dict_batch *b = st->private_data;
    if (b->sent) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    b->sent = true;
    *out = b->a_top;
    return 0;
}
static const char *dict_error(struct ArrowArrayStream *st)
{
    (void)st;
    return "";
}
static void dict_release(struct ArrowArrayStream *st)
{
    st->release = NULL;
}

static void dict_stream(struct ArrowArrayStream *st, dict_batch *b, int64_t base)
{
    dict_fill(b, base);
    memset(st, 0, sizeof *st);
    st->get_schema = dict_get_schema;
    st->get_next = dict_get_next;
    st->get_last_error = dict_error;
    st->release = dict_release;
    st->private_data = b;
}

static int dict_table(const char *dir, const char *table, const char *sv, const char *out)
{
    static dict_batch b;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream st;
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.storage_version = sv;
    int rc = gnv_db_open(&db, dir, NULL);
    if (rc == 0) {
        dict_stream(&st, &b, 0);
        rc = gnv_db_create_table(&t, db, table, &st, NULL, &co);
    }
    if (rc == 0) {
        dict_stream(&st, &b, DICT_ROWS);
        rc = gnv_table_add(t, &st, NULL);
    }
    gnv_table_close(t);
    gnv_db_close(db);
    if (rc < 0) {
        fprintf(stderr, "gen_lance_tables dict-table: %s\n", last_message());
        return 1;
    }
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return 1;
    }
    for (int64_t id = 0; id < 2 * DICT_ROWS; id++) {
        if (dict_null(id))
            fprintf(f, "{\"id\":%" PRId64 ",\"d\":null}\n", id);
        else
            fprintf(f, "{\"id\":%" PRId64 ",\"d\":\"%s\"}\n", id, WORDS[dict_word(id)]);
    }
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "dict-table") == 0)
        return dict_table(argv[2], argv[3], argv[4], argv[5]);
    if (argc != 6 || strcmp(argv[1], "crash-append") != 0)
        return usage();
    char *end;
    errno = 0;
    unsigned long long nth = strtoull(argv[5], &end, 10);
    if (errno || *end || end == argv[5])
        return usage();
    return crash_append(argv[2], argv[3], argv[4], (uint64_t)nth);
}
