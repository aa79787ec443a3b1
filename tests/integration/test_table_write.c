/*
 * Tables through the public API: create (modes, storage versions, empty tables, name
 * rules), add (schema checks, file splitting), time travel, restore and tags with real
 * data files. Data comes from CSV files read with gnv_read_file.
 */
#include "gnv_test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "geneva/sys/io.h"

/* Write rows "id,name,score" for ids [from, to) to a CSV file; returns its path. */
static char *write_csv(const char *dir, const char *file, int from, int to, bool extra_col)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, extra_col ? "id,name,score,extra\n" : "id,name,score\n");
    for (int i = from; i < to; i++) {
        fprintf(f, "%d,name-%d,%d.5", i, i, i);
        if (extra_col)
            fprintf(f, ",1");
        fputc('\n', f);
    }
    fclose(f);
    return path;
}

static void csv_stream(struct ArrowArrayStream *s, const char *dir, int from, int to)
{
    gnv_read_options ro = GNV_READ_OPTIONS_INIT;
    ro.batch_rows = 100;
    GNV_ASSERT_OK(gnv_read_file(s, write_csv(dir, "in.csv", from, to, false), &ro));
}

static int count_files(const char *dir, const char *sub, const char *suffix)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    DIR *d = opendir(p);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    size_t sl = strlen(suffix);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > sl && !strcmp(e->d_name + l - sl, suffix) && e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    return n;
}

static int64_t rows_of(gnv_table *t)
{
    int64_t n = -1;
    GNV_ASSERT_OK(gnv_table_count_rows(t, &n));
    return n;
}

typedef struct env {
    char *dir;
    char *dbdir;
    gnv_db *db;
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->dir = gnv_test_tmpdir();
    char p[1024];
    snprintf(p, sizeof p, "%s/db", e->dir);
    e->dbdir = strdup(p);
    GNV_ASSERT_OK(gnv_db_open(&e->db, e->dbdir, NULL));
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    gnv_db_close(e->db);
    free(e->dbdir);
    gnv_test_rmdir(e->dir);
    free(e);
    return 0;
}

static void test_create_and_add(void **state)
{
    env *e = *state;
    struct ArrowArrayStream s;
    gnv_table *t = NULL;
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.max_rows_per_file = 300;
    csv_stream(&s, e->dir, 0, 1000);
    GNV_ASSERT_OK(gnv_db_create_table(&t, e->db, "people", &s, NULL, &co));
    if (s.release)
        s.release(&s);
    assert_null(s.release); /* consumed */
    assert_int_equal(gnv_table_version(t), 1);
    assert_int_equal(rows_of(t), 1000);
    assert_int_equal(count_files(e->dbdir, "people.lance/data", ".lance"), 4);
    assert_int_equal(count_files(e->dbdir, "people.lance/_transactions", ".txn"), 1);

    struct ArrowSchema sc;
    GNV_ASSERT_OK(gnv_table_schema(t, &sc));
    assert_int_equal(sc.n_children, 3);
    assert_string_equal(sc.children[0]->name, "id");
    assert_string_equal(sc.children[0]->format, "l");
    assert_string_equal(sc.children[1]->name, "name");
    assert_string_equal(sc.children[1]->format, "u");
    assert_string_equal(sc.children[2]->format, "g");
    sc.release(&sc);

    /* append: default limits put 500 rows in one file */
    csv_stream(&s, e->dir, 1000, 1500);
    GNV_ASSERT_OK(gnv_table_add(t, &s, NULL));
    if (s.release)
        s.release(&s);
    assert_int_equal(gnv_table_version(t), 2);
    assert_int_equal(rows_of(t), 1500);
    assert_int_equal(count_files(e->dbdir, "people.lance/data", ".lance"), 5);
    /* append split by max_rows_per_file */
    gnv_add_options ao = GNV_ADD_OPTIONS_INIT;
    ao.max_rows_per_file = 64;
    csv_stream(&s, e->dir, 1500, 1700);
    GNV_ASSERT_OK(gnv_table_add(t, &s, &ao));
    if (s.release)
        s.release(&s);
    assert_int_equal(rows_of(t), 1700);
    assert_int_equal(count_files(e->dbdir, "people.lance/data", ".lance"), 9);

    /* a stream with a different schema is refused, naming the column */
    gnv_read_options ro = GNV_READ_OPTIONS_INIT;
    GNV_ASSERT_OK(gnv_read_file(&s, write_csv(e->dir, "x.csv", 0, 10, true), &ro));
    GNV_ASSERT_ERR(gnv_table_add(t, &s, NULL), GNV_EINVAL, "extra");
    if (s.release)
        s.release(&s);
    assert_null(s.release);
    ro.types = "id:int32";
    GNV_ASSERT_OK(gnv_read_file(&s, write_csv(e->dir, "y.csv", 0, 10, false), &ro));
    GNV_ASSERT_ERR(gnv_table_add(t, &s, NULL), GNV_EINVAL, "column 'id' has type int32");
    if (s.release)
        s.release(&s);
    assert_int_equal(gnv_table_version(t), 3);

    /* an empty stream commits nothing */
    ro.types = "id:int64,name:utf8,score:float64";
    GNV_ASSERT_OK(gnv_read_file(&s, write_csv(e->dir, "y.csv", 0, 0, false), &ro));
    GNV_ASSERT_OK(gnv_table_add(t, &s, NULL));
    if (s.release)
        s.release(&s);
    assert_int_equal(gnv_table_version(t), 3);

    /* time travel */
    gnv_table *old = NULL;
    GNV_ASSERT_OK(gnv_table_checkout(&old, t, 1));
    assert_int_equal(rows_of(old), 1000);
    csv_stream(&s, e->dir, 0, 5);
    GNV_ASSERT_ERR(gnv_table_add(old, &s, NULL), GNV_EINVAL, "read-only");
    if (s.release)
        s.release(&s);
    GNV_ASSERT_OK(gnv_table_tag_create(t, "first", 1));
    GNV_ASSERT_OK(gnv_table_restore(old, 0));
    assert_int_equal(gnv_table_version(old), 4);
    assert_int_equal(rows_of(old), 1000);
    csv_stream(&s, e->dir, 0, 5);
    GNV_ASSERT_OK(gnv_table_add(old, &s, NULL)); /* writable after restore */
    assert_int_equal(rows_of(old), 1005);
    if (s.release)
        s.release(&s);
    gnv_table_close(old);

    gnv_version_info *vl = NULL;
    size_t nv = 0;
    GNV_ASSERT_OK(gnv_table_checkout_latest(t));
    GNV_ASSERT_OK(gnv_table_versions(t, &vl, &nv));
    assert_int_equal(nv, 5);
    const char *ops[] = {"overwrite", "append", "append", "restore", "append"};
    for (size_t i = 0; i < nv; i++)
        assert_string_equal(vl[i].operation, ops[i]);
    gnv_table_versions_free(vl, nv);
    GNV_ASSERT_OK(gnv_table_checkout_tag(&old, t, "first"));
    assert_int_equal(rows_of(old), 1000);
    gnv_table_close(old);
    gnv_table_close(t);
}

static void test_modes(void **state)
{
    env *e = *state;
    struct ArrowArrayStream s;
    gnv_table *t = NULL, *t2 = NULL;
    csv_stream(&s, e->dir, 0, 10);
    GNV_ASSERT_OK(gnv_db_create_table(&t, e->db, "m", &s, NULL, NULL));
    if (s.release)
        s.release(&s);
    csv_stream(&s, e->dir, 0, 10);
    GNV_ASSERT_ERR(gnv_db_create_table(&t2, e->db, "m", &s, NULL, NULL), GNV_EEXISTS,
                   "table 'm' already exists");
    if (s.release)
        s.release(&s);
    assert_null(t2);
    assert_null(s.release);
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.mode = GNV_CREATE_MODE_EXIST_OK;
    csv_stream(&s, e->dir, 0, 3);
    GNV_ASSERT_OK(gnv_db_create_table(&t2, e->db, "m", &s, NULL, &co));
    if (s.release)
        s.release(&s);
    assert_int_equal(gnv_table_version(t2), 1); /* opened, data not added */
    assert_int_equal(rows_of(t2), 10);
    gnv_table_close(t2);
    GNV_ASSERT_OK(gnv_db_create_table(&t2, e->db, "m", NULL, NULL, &co)); /* just opens */
    assert_int_equal(gnv_table_version(t2), 1);
    gnv_table_close(t2);
    GNV_ASSERT_ERR(gnv_db_create_table(&t2, e->db, "nothere", NULL, NULL, &co), GNV_EINVAL,
                   "give data or a schema");
    gnv_read_options ro = GNV_READ_OPTIONS_INIT;
    GNV_ASSERT_OK(gnv_read_file(&s, write_csv(e->dir, "x.csv", 0, 10, true), &ro));
    GNV_ASSERT_ERR(gnv_db_create_table(&t2, e->db, "m", &s, NULL, &co), GNV_EINVAL, "extra");
    if (s.release)
        s.release(&s);
    co.mode = GNV_CREATE_MODE_OVERWRITE;
    GNV_ASSERT_OK(gnv_read_file(&s, write_csv(e->dir, "x.csv", 0, 7, true), &ro));
    GNV_ASSERT_OK(gnv_db_create_table(&t2, e->db, "m", &s, NULL, &co));
    if (s.release)
        s.release(&s);
    assert_int_equal(gnv_table_version(t2), 2);
    assert_int_equal(rows_of(t2), 7);
    struct ArrowSchema sc;
    GNV_ASSERT_OK(gnv_table_schema(t2, &sc));
    assert_int_equal(sc.n_children, 4);
    sc.release(&sc);
    /* the old handle's append now conflicts with the overwrite */
    csv_stream(&s, e->dir, 0, 3);
    GNV_ASSERT_ERR(gnv_table_add(t, &s, NULL), GNV_ECONFLICT, "overwrite");
    if (s.release)
        s.release(&s);
    gnv_table_close(t);
    gnv_table_close(t2);

    /* overwrite creates a missing table; bad options */
    csv_stream(&s, e->dir, 0, 3);
    GNV_ASSERT_OK(gnv_db_create_table(&t, e->db, "fresh", &s, NULL, &co));
    if (s.release)
        s.release(&s);
    assert_int_equal(gnv_table_version(t), 1);
    gnv_table_close(t);
    co.mode = 7;
    csv_stream(&s, e->dir, 0, 3);
    GNV_ASSERT_ERR(gnv_db_create_table(&t, e->db, "z", &s, NULL, &co), GNV_EINVAL, "mode");
    if (s.release)
        s.release(&s);
    co.mode = GNV_CREATE_MODE_CREATE;
    co.storage_version = "3.0";
    csv_stream(&s, e->dir, 0, 3);
    GNV_ASSERT_ERR(gnv_db_create_table(&t, e->db, "z", &s, NULL, &co), GNV_EINVAL, "3.0");
    if (s.release)
        s.release(&s);
    co.storage_version = NULL;
    csv_stream(&s, e->dir, 0, 3);
    GNV_ASSERT_ERR(gnv_db_create_table(&t, e->db, "x/../z", &s, NULL, &co), GNV_EINVAL, "'/'");
    if (s.release)
        s.release(&s);
    assert_null(s.release);
    GNV_ASSERT_ERR(gnv_db_create_table(&t, e->db, "z", NULL, NULL, &co), GNV_EINVAL, "schema");
}

static void test_empty_and_22(void **state)
{
    env *e = *state;
    struct ArrowArrayStream s;
    struct ArrowSchema sc;
    gnv_table *t = NULL;
    /* an empty table from a schema */
    csv_stream(&s, e->dir, 0, 3);
    GNV_ASSERT_OK(s.get_schema(&s, &sc));
    s.release(&s);
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.storage_version = "2.2";
    GNV_ASSERT_OK(gnv_db_create_table(&t, e->db, "e22", NULL, &sc, &co));
    sc.release(&sc);
    assert_int_equal(rows_of(t), 0);
    assert_int_equal(gnv_table_version(t), 1);
    csv_stream(&s, e->dir, 0, 50);
    GNV_ASSERT_OK(gnv_table_add(t, &s, NULL));
    if (s.release)
        s.release(&s);
    assert_int_equal(rows_of(t), 50);
    gnv_table_close(t);
    /* the data file is a Lance 2.2 file: its footer ends 02 00 02 00 "LANC" */
    char p[1024];
    snprintf(p, sizeof p, "%s/e22.lance/data", e->dbdir);
    DIR *d = opendir(p);
    assert_non_null(d);
    struct dirent *de;
    int seen = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char f[1400];
        snprintf(f, sizeof f, "%s/%s", p, de->d_name);
        assert_int_equal(strlen(de->d_name), 32 + strlen(".lance"));
        FILE *fp = fopen(f, "rb");
        unsigned char tail[8];
        fseek(fp, -8, SEEK_END);
        assert_int_equal(fread(tail, 1, 8, fp), 8);
        fclose(fp);
        assert_memory_equal(tail, "\x02\x00\x02\x00LANC", 8);
        seen++;
    }
    closedir(d);
    assert_int_equal(seen, 1);
    GNV_ASSERT_OK(gnv_db_open_table(&t, e->db, "e22"));
    assert_int_equal(rows_of(t), 50);
    gnv_table_close(t);
}

/* Two processes append at once through the public API: no rows or versions lost. */
static void test_two_writers(void **state)
{
    env *e = *state;
    enum { N = 8, ROWS = 50 };
    struct ArrowArrayStream s;
    gnv_table *t = NULL;
    csv_stream(&s, e->dir, 0, 10);
    GNV_ASSERT_OK(gnv_db_create_table(&t, e->db, "par", &s, NULL, NULL));
    if (s.release)
        s.release(&s);
    gnv_table_close(t);
    /* each child has its own input file */
    char paths[2][1100];
    for (int k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "in%d.csv", k);
        snprintf(paths[k], sizeof paths[k], "%s",
                 write_csv(e->dir, name, 1000 * (k + 1), 1000 * (k + 1) + ROWS, false));
    }
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            gnv_db *db = NULL;
            gnv_table *ct = NULL;
            int ok = gnv_db_open(&db, e->dbdir, NULL) == GNV_OK &&
                     gnv_db_open_table(&ct, db, "par") == GNV_OK;
            for (int i = 0; ok && i < N; i++) {
                struct ArrowArrayStream cs;
                ok = gnv_read_file(&cs, paths[k], NULL) == GNV_OK &&
                     gnv_table_add(ct, &cs, NULL) == GNV_OK;
                if (cs.release)
                    cs.release(&cs);
                if (!ok)
                    fprintf(stderr, "writer %d: %s\n", k, gnv_error_last()->message);
            }
            gnv_table_close(ct);
            gnv_db_close(db);
            _exit(ok ? 0 : 1);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st = 0;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    GNV_ASSERT_OK(gnv_db_open_table(&t, e->db, "par"));
    assert_int_equal(gnv_table_version(t), 1 + 2 * N);
    assert_int_equal(rows_of(t), 10 + 2 * N * ROWS);
    gnv_version_info *vl = NULL;
    size_t nv = 0;
    GNV_ASSERT_OK(gnv_table_versions(t, &vl, &nv));
    assert_int_equal(nv, 1 + 2 * N);
    for (size_t i = 0; i < nv; i++) {
        assert_int_equal(vl[i].version, i + 1);
        assert_string_equal(vl[i].operation, i ? "append" : "overwrite");
    }
    gnv_table_versions_free(vl, nv);
    /* one transaction per version, at least: nothing was replaced */
    assert_true(count_files(e->dbdir, "par.lance/_transactions", ".txn") >= 1 + 2 * N);
    /* every row readable */
    GNV_ASSERT_OK(gnv_table_scan(t, NULL, &s));
    int64_t seen = 0, sum = 0;
    for (;;) {
        struct ArrowArray a;
        assert_int_equal(s.get_next(&s, &a), 0);
        if (!a.release)
            break;
        const int64_t *ids = a.children[0]->buffers[1];
        for (int64_t i = 0; i < a.length; i++)
            sum += ids[a.children[0]->offset + i];
        seen += a.length;
        a.release(&a);
    }
    s.release(&s);
    assert_int_equal(seen, 10 + 2 * N * ROWS);
    int64_t want = 45;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ROWS; i++)
            want += N * (1000 * (k + 1) + i);
    assert_int_equal(sum, want);
    gnv_table_close(t);
}

static int64_t scan_count(gnv_table *t)
{
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_scan(t, NULL, &s));
    int64_t n = 0;
    for (;;) {
        struct ArrowArray a;
        int err = s.get_next(&s, &a);
        if (err)
            fail_msg("scan: %s", s.get_last_error(&s));
        if (!a.release)
            break;
        n += a.length;
        a.release(&a);
    }
    s.release(&s);
    return n;
}

/* A fault at every write/commit of an add (data files, transaction, manifest, hint):
 * the table reopens at a commit, every row readable. */
static void run_add_faults(env *e, int fault)
{
    struct ArrowArrayStream s;
    gnv_table *t = NULL;
    char name[32];
    snprintf(name, sizeof name, "fault%d", fault);
    csv_stream(&s, e->dir, 0, 20);
    GNV_ASSERT_OK(gnv_db_create_table(&t, e->db, name, &s, NULL, NULL));
    if (s.release)
        s.release(&s);
    gnv_table_close(t);
    uint64_t version = 1;
    int64_t rows = 20;
    gnv_add_options ao = GNV_ADD_OPTIONS_INIT;
    ao.max_rows_per_file = 40; /* 100 rows: three data files */
    for (uint64_t k = 1;; k++) {
        gnv_io *inner = NULL, *fio = NULL;
        GNV_ASSERT_OK(gnv_io_local_new(&inner, e->dbdir));
        GNV_ASSERT_OK(gnv_io_fault_new(&fio, inner, fault, k));
        gnv_db_options o = GNV_DB_OPTIONS_INIT;
        o.io = fio;
        gnv_db *fdb = NULL;
        GNV_ASSERT_OK(gnv_db_open(&fdb, e->dbdir, &o));
        GNV_ASSERT_OK(gnv_db_open_table(&t, fdb, name));
        csv_stream(&s, e->dir, 0, 100);
        int rc = gnv_table_add(t, &s, &ao);
        if (s.release)
            s.release(&s);
        uint64_t ops = gnv_io_fault_ops(fio);
        if (rc < 0) {
            assert_non_null(gnv_error_last());
            assert_int_equal(gnv_table_version(t), version);
        }
        gnv_table_close(t);
        gnv_db_close(fdb);
        gnv_io_free(fio);
        GNV_ASSERT_OK(gnv_db_open_table(&t, e->db, name));
        if (rc == GNV_OK || gnv_table_version(t) == version + 1) {
            version++;
            rows += 100;
        }
        assert_int_equal(gnv_table_version(t), version);
        assert_int_equal(rows_of(t), rows);
        assert_int_equal(scan_count(t), rows);
        gnv_table_close(t);
        if (ops < k)
            break;
    }
    assert_true(version >= 2);
}

static void test_add_faults(void **state)
{
    env *e = *state;
    run_add_faults(e, GNV_IO_FAULT_CRASH);
    run_add_faults(e, GNV_IO_FAULT_EIO);
    run_add_faults(e, GNV_IO_FAULT_ENOSPC);
    run_add_faults(e, GNV_IO_FAULT_SHORT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_22, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_faults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
