/*
 * The commit layer without data files: versions, manifests, transactions, the hint,
 * time travel, restore, tags, lost races (rebase and conflict), two processes
 * committing at once, crash and I/O-error safety through the fault backend, and
 * damaged or unsupported manifests. Fragments here name data files that are never
 * read, so only manifests are exercised.
 */
#include "gnv_test_table.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include "table/table.h"

/* ---- helpers -------------------------------------------------------------- */

static void int64_schema(struct ArrowSchema *s)
{
    GNV_ASSERT_OK(gnv__schema_init(s, "+s", "", 0));
    GNV_ASSERT_OK(gnv__schema_alloc_children(s, 1));
    GNV_ASSERT_OK(gnv__schema_init(s->children[0], "l", "x", ARROW_FLAG_NULLABLE));
}

/* A new table holding no rows, committed as version 1 (an Overwrite, as Lance does). */
static gnv_table *make_table(gnv_db *db, const char *name)
{
    struct ArrowSchema s;
    int64_schema(&s);
    Gnvpb__Field **fields = NULL;
    size_t n = 0;
    int32_t next = 0;
    GNV_ASSERT_OK(gnv__lance_fields_from_arrow(&fields, &n, &s, &next));
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv__table_new(&t, db, name));
    gnv__commit c = {0};
    c.op = GNV__OP_OVERWRITE;
    c.fields = fields;
    c.n_fields = n;
    c.data_format = "2.1";
    c.create_only = true;
    GNV_ASSERT_OK(gnv__table_commit(t, &c));
    gnv__lance_fields_free(fields, n);
    gnv__schema_release(&s);
    return t;
}

/* Commit an append of one fragment of `rows` rows (its data file is never read). */
static int append_rows(gnv_table *t, uint64_t rows)
{
    Gnvpb__DataFile d = GNVPB__DATA_FILE__INIT, *files[1] = {&d};
    int32_t fid = 0, col = 0;
    d.path = "not-read.lance";
    d.fields = &fid;
    d.n_fields = 1;
    d.column_indices = &col;
    d.n_column_indices = 1;
    d.has_file_major_version = d.has_file_minor_version = 1;
    d.file_major_version = 2;
    d.file_minor_version = 1;
    Gnvpb__DataFragment f = GNVPB__DATA_FRAGMENT__INIT, *frags[1] = {&f};
    f.has_id = f.has_physical_rows = 1;
    f.physical_rows = rows;
    f.files = files;
    f.n_files = 1;
    gnv__commit c = {0};
    c.op = GNV__OP_APPEND;
    c.frags = frags;
    c.n_frags = 1;
    return gnv__table_commit(t, &c);
}

static bool file_exists(const char *dir, const char *rel)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return stat(p, &st) == 0;
}

static char *slurp(const char *dir, const char *rel)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_versions_and_files(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "t1");
    assert_int_equal(gnv_table_version(t), 1);
    assert_string_equal(gnv_table_name(t), "t1");
    for (int i = 1; i <= 3; i++)
        GNV_ASSERT_OK(append_rows(t, 10 * (uint64_t)i));
    assert_int_equal(gnv_table_version(t), 4);
    assert_int_equal(gnv_test_count_rows(t), 60);
    /* V2 names, the hint, and transaction files named by the manifests */
    assert_true(file_exists(dir, "t1.lance/_versions/18446744073709551614.manifest"));
    assert_true(file_exists(dir, "t1.lance/_versions/18446744073709551611.manifest"));
    char *hint = slurp(dir, "t1.lance/latest_version_hint.json");
    assert_non_null(hint);
    assert_string_equal(hint, "{\"version\":4}");
    free(hint);
    char txn[256];
    snprintf(txn, sizeof txn, "t1.lance/_transactions/%s", t->m->transaction_file);
    assert_true(file_exists(dir, txn));
    assert_true(!strncmp(t->m->transaction_file, "3-", 2));
    assert_string_equal(t->m->writer_version->library, "geneva-c");
    assert_string_equal(t->m->data_format->version, "2.1");
    assert_int_equal(t->m->max_fragment_id, 2);
    for (size_t i = 0; i < t->m->n_fragments; i++)
        assert_int_equal(t->m->fragments[i]->id, i);

    gnv_version_info *vl = NULL;
    size_t nv = 0;
    GNV_ASSERT_OK(gnv_table_versions(t, &vl, &nv));
    assert_int_equal(nv, 4);
    assert_string_equal(vl[0].operation, "overwrite");
    for (size_t i = 1; i < 4; i++) {
        assert_int_equal(vl[i].version, i + 1);
        assert_string_equal(vl[i].operation, "append");
        assert_true(vl[i].timestamp_us >= vl[i - 1].timestamp_us);
        assert_true(vl[i].timestamp_us > 1600000000ll * 1000000);
    }
    gnv_table_versions_free(vl, nv);

    /* a reopened handle sees the latest */
    gnv_table *t2 = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&t2, db, "t1"));
    assert_int_equal(gnv_table_version(t2), 4);
    assert_int_equal(gnv_test_count_rows(t2), 60);
    gnv_table_close(t2);

    /* table names, drop */
    gnv_table *t3 = make_table(db, "a-table.2");
    gnv_table_close(t3);
    char **names = NULL;
    size_t nn = 0;
    GNV_ASSERT_OK(gnv_db_table_names(db, &names, &nn));
    assert_int_equal(nn, 2);
    assert_string_equal(names[0], "a-table.2");
    assert_string_equal(names[1], "t1");
    gnv_db_table_names_free(names, nn);
    GNV_ASSERT_OK(gnv_db_drop_table(db, "a-table.2"));
    GNV_ASSERT_ERR(gnv_db_drop_table(db, "a-table.2"), GNV_ENOTFOUND, "a-table.2");
    GNV_ASSERT_ERR(gnv_db_open_table(&t3, db, "a-table.2"), GNV_ENOTFOUND, "does not exist");
    assert_null(t3);

    /* a directory without versions (an interrupted create) is not listed, but drops */
    char junk[700];
    snprintf(junk, sizeof junk, "%s/junk.lance/data", dir);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", junk);
    assert_int_equal(system(cmd), 0);
    GNV_ASSERT_OK(gnv_db_table_names(db, &names, &nn));
    assert_int_equal(nn, 1);
    assert_string_equal(names[0], "t1");
    gnv_db_table_names_free(names, nn);
    GNV_ASSERT_OK(gnv_db_drop_table(db, "junk"));
    assert_false(file_exists(dir, "junk.lance"));
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_names(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = NULL;
    const char *bad[] = {"", ".", "..", "../x", "a/b", "a\\b", ".hidden", "tab\tname", "é"};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(bad); i++) {
        GNV_ASSERT_ERR(gnv_db_open_table(&t, db, bad[i]), GNV_EINVAL, "table name");
        GNV_ASSERT_ERR(gnv_db_drop_table(db, bad[i]), GNV_EINVAL, "table name");
    }
    char longname[202];
    memset(longname, 'a', 201);
    longname[201] = 0;
    GNV_ASSERT_ERR(gnv_db_open_table(&t, db, longname), GNV_EINVAL, "limit is 200");
    longname[200] = 0;
    GNV_ASSERT_ERR(gnv_db_open_table(&t, db, longname), GNV_ENOTFOUND, NULL);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_checkout_restore(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "tt");
    GNV_ASSERT_OK(append_rows(t, 5));  /* v2: 5 */
    GNV_ASSERT_OK(append_rows(t, 7));  /* v3: 12 */
    GNV_ASSERT_OK(append_rows(t, 11)); /* v4: 23 */
    gnv_table *old = NULL;
    GNV_ASSERT_OK(gnv_table_checkout(&old, t, 2));
    assert_int_equal(gnv_table_version(old), 2);
    assert_int_equal(gnv_test_count_rows(old), 5);
    assert_int_equal(gnv_test_count_rows(t), 23);
    gnv_table_close(old);
    GNV_ASSERT_ERR(gnv_table_checkout(&old, t, 9), GNV_ENOTFOUND, "no version 9");
    GNV_ASSERT_ERR(gnv_table_checkout(&old, t, 0), GNV_ENOTFOUND, NULL);
    GNV_ASSERT_OK(gnv_table_checkout(&old, t, 3));
    assert_int_equal(gnv_test_count_rows(old), 12);
    /* restore from a checkout: commits v5 = content of v3 */
    GNV_ASSERT_OK(gnv_table_restore(old, 0));
    assert_int_equal(gnv_table_version(old), 5);
    assert_int_equal(gnv_test_count_rows(old), 12);
    /* the other handle is behind; checkout_latest moves it */
    assert_int_equal(gnv_table_version(t), 4);
    GNV_ASSERT_OK(gnv_table_checkout_latest(t));
    assert_int_equal(gnv_table_version(t), 5);
    assert_int_equal(gnv_test_count_rows(t), 12);
    /* an append after a restore gets a fresh fragment id */
    GNV_ASSERT_OK(append_rows(t, 1));
    assert_int_equal(t->m->fragments[t->m->n_fragments - 1]->id, 3);
    GNV_ASSERT_OK(gnv_table_restore(t, 2));
    assert_int_equal(gnv_table_version(t), 7);
    assert_int_equal(gnv_test_count_rows(t), 5);
    GNV_ASSERT_ERR(gnv_table_restore(t, 42), GNV_ENOTFOUND, "no version 42");
    gnv_version_info *vl = NULL;
    size_t nv = 0;
    GNV_ASSERT_OK(gnv_table_versions(t, &vl, &nv));
    assert_int_equal(nv, 7);
    assert_string_equal(vl[4].operation, "restore");
    assert_string_equal(vl[6].operation, "restore");
    gnv_table_versions_free(vl, nv);
    gnv_table_close(old);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

static void test_tags(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "tg");
    GNV_ASSERT_OK(append_rows(t, 3));
    GNV_ASSERT_OK(append_rows(t, 4));
    GNV_ASSERT_OK(gnv_table_tag_create(t, "v1.0", 2));
    GNV_ASSERT_OK(gnv_table_tag_create(t, "latest_ok-1", 3));
    GNV_ASSERT_ERR(gnv_table_tag_create(t, "v1.0", 3), GNV_EEXISTS, "v1.0");
    GNV_ASSERT_ERR(gnv_table_tag_create(t, "nope", 17), GNV_ENOTFOUND, "17");
    const char *bad[] = {"", ".x", "x.", "a..b", "a/b", "x.lock", "sp ace"};
    for (size_t i = 0; i < GNV_ARRAY_SIZE(bad); i++)
        GNV_ASSERT_ERR(gnv_table_tag_create(t, bad[i], 2), GNV_EINVAL, "tag name");
    char *json = slurp(dir, "tg.lance/_refs/tags/v1.0.json");
    assert_non_null(json);
    assert_non_null(strstr(json, "\"version\": 2"));
    assert_non_null(strstr(json, "\"manifestSize\": "));
    assert_non_null(strstr(json, "\"branch\": null"));
    free(json);
    gnv_tag_info *tl = NULL;
    size_t nt = 0;
    GNV_ASSERT_OK(gnv_table_tag_list(t, &tl, &nt));
    assert_int_equal(nt, 2);
    assert_string_equal(tl[0].name, "latest_ok-1");
    assert_int_equal(tl[0].version, 3);
    assert_string_equal(tl[1].name, "v1.0");
    assert_int_equal(tl[1].version, 2);
    gnv_table_tag_list_free(tl, nt);
    gnv_table *old = NULL;
    GNV_ASSERT_OK(gnv_table_checkout_tag(&old, t, "v1.0"));
    assert_int_equal(gnv_table_version(old), 2);
    assert_int_equal(gnv_test_count_rows(old), 3);
    gnv_table_close(old);
    GNV_ASSERT_ERR(gnv_table_checkout_tag(&old, t, "missing"), GNV_ENOTFOUND, "missing");
    GNV_ASSERT_OK(gnv_table_tag_delete(t, "v1.0"));
    GNV_ASSERT_ERR(gnv_table_tag_delete(t, "v1.0"), GNV_ENOTFOUND, "v1.0");
    GNV_ASSERT_OK(gnv_table_tag_list(t, &tl, &nt));
    assert_int_equal(nt, 1);
    gnv_table_tag_list_free(tl, nt);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* Two handles at the same version: the second append loses the race and rebases. */
static void test_rebase_and_conflict(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *a = make_table(db, "rc");
    gnv_table *b = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&b, db, "rc"));
    GNV_ASSERT_OK(append_rows(a, 10)); /* v2 */
    GNV_ASSERT_OK(append_rows(a, 20)); /* v3 */
    GNV_ASSERT_OK(append_rows(b, 5));  /* loses v2, v3; rebases to v4 */
    assert_int_equal(gnv_table_version(b), 4);
    assert_int_equal(gnv_test_count_rows(b), 35);
    assert_int_equal(b->m->n_fragments, 3);
    assert_int_equal(b->m->fragments[2]->id, 2);
    /* an overwrite committed meanwhile conflicts with an append */
    gnv_table *c = NULL;
    GNV_ASSERT_OK(gnv_db_open_table(&c, db, "rc"));
    struct ArrowSchema s;
    int64_schema(&s);
    Gnvpb__Field **fields = NULL;
    size_t nf = 0;
    int32_t next = 0;
    GNV_ASSERT_OK(gnv__lance_fields_from_arrow(&fields, &nf, &s, &next));
    gnv__commit ow = {0};
    ow.op = GNV__OP_OVERWRITE;
    ow.fields = fields;
    ow.n_fields = nf;
    GNV_ASSERT_OK(gnv__table_commit(b, &ow)); /* v5 */
    assert_int_equal(gnv_test_count_rows(b), 0);
    GNV_ASSERT_ERR(append_rows(c, 1), GNV_ECONFLICT,
                   "overwrite committed concurrently as version 5");
    assert_int_equal(gnv_table_version(c), 4); /* the failed handle is unchanged */
    /* a create that loses the race for version 1 reports the table exists */
    gnv_table *d = NULL;
    GNV_ASSERT_OK(gnv__table_new(&d, db, "rc"));
    ow.create_only = true;
    GNV_ASSERT_ERR(gnv__table_commit(d, &ow), GNV_EEXISTS, "already exists");
    gnv_table_close(d);
    gnv__lance_fields_free(fields, nf);
    gnv__schema_release(&s);
    gnv_table_close(a);
    gnv_table_close(b);
    gnv_table_close(c);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* Two processes append at the same time: no commit is lost or replaced. */
static void test_two_processes(void **state)
{
    (void)state;
    enum { N = 25 };
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "par");
    gnv_table_close(t);
    gnv_db_close(db);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            gnv_db *cdb = NULL;
            gnv_table *ct = NULL;
            int ok = gnv_db_open(&cdb, dir, NULL) == GNV_OK &&
                     gnv_db_open_table(&ct, cdb, "par") == GNV_OK;
            for (int i = 0; ok && i < N; i++)
                if (append_rows(ct, (uint64_t)(k + 1)) != GNV_OK) {
                    fprintf(stderr, "child %d: %s\n", k, gnv_error_last()->message);
                    ok = 0;
                }
            gnv_table_close(ct);
            gnv_db_close(cdb);
            _exit(ok ? 0 : 1);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st = 0;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    db = gnv_test_open_db(dir);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "par"));
    assert_int_equal(gnv_table_version(t), 1 + 2 * N);
    assert_int_equal(gnv_test_count_rows(t), N * 1 + N * 2);
    assert_int_equal(t->m->n_fragments, 2 * N);
    for (size_t i = 0; i < t->m->n_fragments; i++)
        assert_int_equal(t->m->fragments[i]->id, i); /* unique, dense ids */
    gnv_version_info *vl = NULL;
    size_t nv = 0;
    GNV_ASSERT_OK(gnv_table_versions(t, &vl, &nv));
    assert_int_equal(nv, 1 + 2 * N); /* contiguous */
    for (size_t i = 0; i < nv; i++)
        assert_int_equal(vl[i].version, i + 1);
    gnv_table_versions_free(vl, nv);
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A fault at each write/commit of an append: the table stays at a commit. */
static void run_faults(int fault)
{
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "f");
    GNV_ASSERT_OK(append_rows(t, 4));
    gnv_table_close(t);
    gnv_db_close(db);
    uint64_t version = 2;
    int64_t rows = 4;
    for (uint64_t k = 1;; k++) {
        gnv_db *fdb = NULL;
        gnv_io *fio = NULL;
        gnv_table *ft = gnv_test_fault_open(&fdb, &fio, dir, "f", fault, k);
        int rc = append_rows(ft, 3);
        uint64_t ops = gnv_io_fault_ops(fio);
        if (rc < 0) {
            assert_non_null(gnv_error_last());
            assert_true(strlen(gnv_error_last()->message) > 0);
            assert_int_equal(gnv_table_version(ft), version); /* handle unchanged */
        }
        gnv_test_fault_close(ft, fdb, fio);
        /* reopen on a plain backend */
        gnv_db *pdb = gnv_test_open_db(dir);
        gnv_table *pt = NULL;
        GNV_ASSERT_OK(gnv_db_open_table(&pt, pdb, "f"));
        uint64_t v = gnv_table_version(pt);
        if (rc == GNV_OK || v == version + 1) {
            /* the commit happened (a crash after the manifest landed counts) */
            assert_int_equal(v, version + 1);
            assert_int_equal(gnv_test_count_rows(pt), rows + 3);
            version++;
            rows += 3;
        } else {
            assert_int_equal(v, version);
            assert_int_equal(gnv_test_count_rows(pt), rows);
        }
        gnv_version_info *vl = NULL;
        size_t nv = 0;
        GNV_ASSERT_OK(gnv_table_versions(pt, &vl, &nv));
        assert_int_equal(nv, version);
        gnv_table_versions_free(vl, nv);
        gnv_table_close(pt);
        gnv_db_close(pdb);
        if (ops < k)
            break; /* the append finished before reaching the fault */
    }
    gnv_test_rmdir(dir);
}

static void test_crash(void **state)
{
    (void)state;
    run_faults(GNV_IO_FAULT_CRASH);
}

static void test_eio(void **state)
{
    (void)state;
    run_faults(GNV_IO_FAULT_EIO);
    run_faults(GNV_IO_FAULT_ENOSPC);
    run_faults(GNV_IO_FAULT_SHORT);
}

static void test_bad_manifests(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "bad");
    GNV_ASSERT_OK(append_rows(t, 2));
    char p[1024];
    /* unknown feature flag in a newer version */
    Gnvpb__Manifest *m = (Gnvpb__Manifest *)gnv__pb_dup(&t->m->base);
    m->version = 3;
    m->has_reader_feature_flags = 1;
    m->reader_feature_flags = 64;
    char *mp = gnv__table_manifest_path(t->dir, 3, false);
    GNV_ASSERT_OK(gnv__manifest_write(t->io, mp, m, NULL, NULL));
    gnv__manifest_free(m);
    gnv_table *o = NULL;
    GNV_ASSERT_ERR(gnv_db_open_table(&o, db, "bad"), GNV_EVERSION, "feature flag 64");
    assert_non_null(strstr(gnv_error_last()->message, "18446744073709551612.manifest"));
    /* older versions stay readable */
    GNV_ASSERT_OK(gnv_table_checkout(&o, t, 2));
    gnv_table_close(o);
    /* corrupt latest manifest: random bytes, then truncated */
    snprintf(p, sizeof p, "%s/%s", dir, mp);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs("this is not a manifest at all, just some text", f);
    fclose(f);
    GNV_ASSERT_ERR(gnv_db_open_table(&o, db, "bad"), GNV_ECORRUPT, "18446744073709551612.manifest");
    assert_int_equal(truncate(p, 3), 0);
    GNV_ASSERT_ERR(gnv_db_open_table(&o, db, "bad"), GNV_ECORRUPT, "bad.lance/_versions/");
    unlink(p);
    GNV_ASSERT_OK(gnv_db_open_table(&o, db, "bad"));
    assert_int_equal(gnv_table_version(o), 2);
    gnv_table_close(o);
    gnv__free(mp);
    /* mixing V1 and V2 names */
    snprintf(p, sizeof p, "%s/bad.lance/_versions/1.manifest", dir);
    f = fopen(p, "wb");
    fclose(f);
    GNV_ASSERT_ERR(gnv_db_open_table(&o, db, "bad"), GNV_ECORRUPT, "mixes V1");
    unlink(p);
    /* a table whose _versions/ is empty does not exist */
    snprintf(p, sizeof p, "%s/empty.lance", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/empty.lance/_versions", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    GNV_ASSERT_ERR(gnv_db_open_table(&o, db, "empty"), GNV_ENOTFOUND, "does not exist");
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* A table written with V1 names stays V1. */
static void test_v1_naming(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    gnv_table *t = make_table(db, "v1");
    GNV_ASSERT_OK(append_rows(t, 2));
    gnv_table_close(t);
    char a[1024], b[1024];
    for (uint64_t v = 1; v <= 2; v++) {
        char n[64];
        gnv__manifest_name(n, v);
        snprintf(a, sizeof a, "%s/v1.lance/_versions/%s", dir, n);
        snprintf(b, sizeof b, "%s/v1.lance/_versions/%llu.manifest", dir, (unsigned long long)v);
        assert_int_equal(rename(a, b), 0);
    }
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, "v1"));
    assert_int_equal(gnv_table_version(t), 2);
    GNV_ASSERT_OK(append_rows(t, 2));
    assert_true(file_exists(dir, "v1.lance/_versions/3.manifest"));
    GNV_ASSERT_OK(gnv_table_tag_create(t, "x", 1));
    gnv_table_close(t);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

/* Allocation failures at every point of open + append + versions + tags: each failing
 * run returns GNV_ENOMEM with a message, and the table stays at a commit. */
static void test_alloc_faults(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db = gnv_test_open_db(dir);
    for (uint64_t n = 1;; n++) {
        /* the same starting point for every run: versions 1 and 2 */
        gnv_table *t = make_table(db, "oom");
        GNV_ASSERT_OK(append_rows(t, 1));
        gnv_table_close(t);
        gnv_error_clear();
        gnv__alloc_fail_at(n, false);
        gnv_table *ft = NULL;
        gnv_version_info *vl = NULL;
        gnv_tag_info *tl = NULL;
        size_t nv = 0, nt = 0;
        int rc = gnv_db_open_table(&ft, db, "oom");
        bool committed = false;
        if (rc == GNV_OK) {
            rc = append_rows(ft, 2);
            committed = rc == GNV_OK;
        }
        if (rc == GNV_OK)
            rc = gnv_table_versions(ft, &vl, &nv);
        if (rc == GNV_OK)
            rc = gnv_table_tag_create(ft, "tag", 1);
        if (rc == GNV_OK)
            rc = gnv_table_tag_list(ft, &tl, &nt);
        if (rc == GNV_OK)
            rc = gnv_table_restore(ft, 1);
        uint64_t made = gnv__alloc_fail_at(0, false);
        gnv_table_versions_free(vl, nv);
        gnv_table_tag_list_free(tl, nt);
        gnv_table_close(ft);
        if (rc != GNV_OK) {
            if (rc != GNV_ENOMEM)
                fail_msg("allocation %llu: got %d: %s", (unsigned long long)n, rc,
                         gnv_error_last()->message);
            assert_non_null(gnv_error_last());
        }
        gnv_table *pt = NULL;
        GNV_ASSERT_OK(gnv_db_open_table(&pt, db, "oom"));
        if (committed)
            assert_true(gnv_table_version(pt) >= 3);
        else
            assert_int_equal(gnv_table_version(pt), 2);
        gnv_table_close(pt);
        GNV_ASSERT_OK(gnv_db_drop_table(db, "oom"));
        if (rc == GNV_OK && made < n)
            break;
        assert_true(n < 100000);
    }
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_and_files),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_checkout_restore),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_rebase_and_conflict),
        cmocka_unit_test(test_two_processes),
        cmocka_unit_test(test_crash),
        cmocka_unit_test(test_eio),
        cmocka_unit_test(test_bad_manifests),
        cmocka_unit_test(test_v1_naming),
        cmocka_unit_test(test_alloc_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
