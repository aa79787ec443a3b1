/*
 * Reading tables through the public API: scans (projection, limit/offset across
 * fragments, batch sizes, _rowid/_rowaddr), takes by row address, time travel, nested
 * columns, and damaged tables (missing data file) giving clear errors.
 */
#include "gnv_test.h"

#include <dirent.h>

static char *write_csv(const char *dir, int from, int to)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/in.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "id,name,score\n");
    for (int i = from; i < to; i++)
        fprintf(f, "%d,name-%d,%d.5\n", i, i, i);
    fclose(f);
    return path;
}

typedef struct env {
    char *dir;
    gnv_db *db;
    gnv_table *t;
} env;

/* A table "r": ids 0..999 in files of 300 rows (fragments 0..3), then version 2 adds
 * ids 1000..1099 as fragment 4. */
static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->dir = gnv_test_tmpdir();
    GNV_ASSERT_OK(gnv_db_open(&e->db, e->dir, NULL));
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_read_file(&s, write_csv(e->dir, 0, 1000), NULL));
    gnv_create_table_options co = GNV_CREATE_TABLE_OPTIONS_INIT;
    co.max_rows_per_file = 300;
    GNV_ASSERT_OK(gnv_db_create_table(&e->t, e->db, "r", &s, NULL, &co));
    if (s.release)
        s.release(&s);
    GNV_ASSERT_OK(gnv_read_file(&s, write_csv(e->dir, 1000, 1100), NULL));
    GNV_ASSERT_OK(gnv_table_add(e->t, &s, NULL));
    if (s.release)
        s.release(&s);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    gnv_table_close(e->t);
    gnv_db_close(e->db);
    gnv_test_rmdir(e->dir);
    free(e);
    return 0;
}

/* Read a whole stream; returns rows; checks batch sizes against max_batch. */
typedef struct rows {
    int64_t n;
    int64_t ids[2000];
    uint64_t rowid[2000];
    uint64_t rowaddr[2000];
    char names[2000][16];
} rows;

static int child_index(const struct ArrowSchema *s, const char *name)
{
    for (int64_t i = 0; i < s->n_children; i++)
        if (!strcmp(s->children[i]->name, name))
            return (int)i;
    return -1;
}

static void drain(struct ArrowArrayStream *s, rows *r, int64_t max_batch)
{
    struct ArrowSchema sc;
    assert_int_equal(s->get_schema(s, &sc), 0);
    int ci = child_index(&sc, "id"), cn = child_index(&sc, "name");
    int cr = child_index(&sc, "_rowid"), ca = child_index(&sc, "_rowaddr");
    r->n = 0;
    for (;;) {
        struct ArrowArray a;
        int err = s->get_next(s, &a);
        if (err)
            fail_msg("get_next: %s", s->get_last_error(s));
        if (!a.release)
            break;
        assert_true(a.length <= max_batch);
        assert_int_equal(a.n_children, sc.n_children);
        for (int64_t i = 0; i < a.length; i++) {
            int64_t k = r->n + i;
            if (ci >= 0)
                r->ids[k] =
                    ((const int64_t *)a.children[ci]->buffers[1])[a.children[ci]->offset + i];
            if (cr >= 0)
                r->rowid[k] =
                    ((const uint64_t *)a.children[cr]->buffers[1])[a.children[cr]->offset + i];
            if (ca >= 0)
                r->rowaddr[k] =
                    ((const uint64_t *)a.children[ca]->buffers[1])[a.children[ca]->offset + i];
            if (cn >= 0) {
                const struct ArrowArray *c = a.children[cn];
                const int32_t *off = c->buffers[1];
                const char *data = c->buffers[2];
                int64_t j = c->offset + i;
                snprintf(r->names[k], sizeof r->names[k], "%.*s", (int)(off[j + 1] - off[j]),
                         data + off[j]);
            }
        }
        r->n += a.length;
        a.release(&a);
    }
    sc.release(&sc);
    s->release(s);
}

static void test_scan_all(void **state)
{
    env *e = *state;
    struct ArrowArrayStream s;
    static rows r;
    GNV_ASSERT_OK(gnv_table_scan(e->t, NULL, &s));
    drain(&s, &r, 8192);
    assert_int_equal(r.n, 1100);
    for (int64_t i = 0; i < r.n; i++) {
        assert_int_equal(r.ids[i], i);
        char want[16];
        snprintf(want, sizeof want, "name-%d", (int)i);
        assert_string_equal(r.names[i], want);
    }
}

static void test_scan_projection_rowids(void **state)
{
    env *e = *state;
    struct ArrowArrayStream s;
    static rows r;
    const char *cols[] = {"name", "_rowaddr", "id"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.n_columns = 3;
    o.with_row_id = 1;
    o.batch_rows = 64;
    o.offset = 250;
    o.limit = 100;
    GNV_ASSERT_OK(gnv_table_scan(e->t, &o, &s));
    struct ArrowSchema sc;
    assert_int_equal(s.get_schema(&s, &sc), 0);
    assert_int_equal(sc.n_children, 4);
    assert_string_equal(sc.children[0]->name, "name");
    assert_string_equal(sc.children[1]->name, "_rowaddr");
    assert_string_equal(sc.children[1]->format, "L");
    assert_string_equal(sc.children[2]->name, "id");
    assert_string_equal(sc.children[3]->name, "_rowid");
    sc.release(&sc);
    drain(&s, &r, 64);
    assert_int_equal(r.n, 100);

    /* a pseudo-column selected by name and by flag appears once; a repeated name is refused */
    const char *twice[] = {"id", "_rowid"};
    gnv_scan_options o2 = GNV_SCAN_OPTIONS_INIT;
    o2.columns = twice;
    o2.n_columns = 2;
    o2.with_row_id = 1;
    GNV_ASSERT_OK(gnv_table_scan(e->t, &o2, &s));
    assert_int_equal(s.get_schema(&s, &sc), 0);
    assert_int_equal(sc.n_children, 2);
    sc.release(&sc);
    s.release(&s);
    const char *dup[] = {"id", "name", "id"};
    o2.columns = dup;
    o2.n_columns = 3;
    GNV_ASSERT_ERR(gnv_table_scan(e->t, &o2, &s), GNV_EINVAL, "column 'id' is selected twice");
    for (int64_t i = 0; i < r.n; i++) {
        int64_t id = 250 + i;
        assert_int_equal(r.ids[i], id);
        uint64_t addr = (uint64_t)(id / 300) << 32 | (uint64_t)(id % 300);
        assert_int_equal(r.rowaddr[i], addr);
        assert_int_equal(r.rowid[i], addr);
    }
    /* offset past the end, limit 0 */
    o.columns = NULL;
    o.n_columns = 0;
    o.offset = 5000;
    o.limit = -1;
    GNV_ASSERT_OK(gnv_table_scan(e->t, &o, &s));
    drain(&s, &r, 64);
    assert_int_equal(r.n, 0);
    o.offset = 0;
    o.limit = 0;
    GNV_ASSERT_OK(gnv_table_scan(e->t, &o, &s));
    drain(&s, &r, 64);
    assert_int_equal(r.n, 0);
    /* bad columns and options */
    const char *bad[] = {"nope"};
    o.columns = bad;
    o.n_columns = 1;
    GNV_ASSERT_ERR(gnv_table_scan(e->t, &o, &s), GNV_ENOTFOUND, "no column 'nope'");
    o.columns = NULL;
    o.offset = -1;
    GNV_ASSERT_ERR(gnv_table_scan(e->t, &o, &s), GNV_EINVAL, "negative");
}

static void test_take(void **state)
{
    env *e = *state;
    uint64_t addrs[] = {1ull << 32 | 5, 3, 3, 3ull << 32 | 99, 4ull << 32 | 0, 0};
    const char *cols[] = {"id", "_rowaddr", "name"};
    struct ArrowSchema sc;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv_table_take(e->t, addrs, 6, cols, 3, &sc, &a));
    assert_int_equal(a.length, 6);
    assert_int_equal(sc.n_children, 3);
    const int64_t *ids = a.children[0]->buffers[1];
    const uint64_t *ad = a.children[1]->buffers[1];
    int64_t want[] = {305, 3, 3, 999, 1000, 0};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(ids[a.children[0]->offset + i], want[i]);
        assert_int_equal(ad[a.children[1]->offset + i], addrs[i]);
    }
    const int32_t *off = a.children[2]->buffers[1];
    const char *data = a.children[2]->buffers[2];
    int64_t j = a.children[2]->offset + 3;
    assert_int_equal(off[j + 1] - off[j], 8);
    assert_memory_equal(data + off[j], "name-999", 8);
    a.release(&a);
    sc.release(&sc);
    /* all columns, empty request */
    GNV_ASSERT_OK(gnv_table_take(e->t, addrs, 0, NULL, 0, &sc, &a));
    assert_int_equal(a.length, 0);
    assert_int_equal(sc.n_children, 3);
    a.release(&a);
    sc.release(&sc);
    uint64_t bad1[] = {9ull << 32};
    GNV_ASSERT_ERR(gnv_table_take(e->t, bad1, 1, NULL, 0, &sc, &a), GNV_ENOTFOUND, "fragment 9");
    uint64_t bad2[] = {1ull << 32 | 300};
    GNV_ASSERT_ERR(gnv_table_take(e->t, bad2, 1, NULL, 0, &sc, &a), GNV_ENOTFOUND, "past the 300");
}

/* Take rows addrs[0..n) of h with columns cols (id first); checks the ids (id =
 * fragment * 300 + offset). */
static void take_check(gnv_table *h, const uint64_t *addrs, int n, const char *const *cols, int nc)
{
    struct ArrowSchema sc;
    struct ArrowArray a;
    GNV_ASSERT_OK(gnv_table_take(h, addrs, (size_t)n, cols, (size_t)nc, &sc, &a));
    assert_int_equal(a.length, n);
    const int64_t *ids = a.children[0]->buffers[1];
    for (int i = 0; i < n; i++)
        assert_int_equal(ids[a.children[0]->offset + i],
                         (int64_t)(addrs[i] >> 32) * 300 + (int64_t)(addrs[i] & 0xffffffffu));
    a.release(&a);
    sc.release(&sc);
}

/* A read-only checkout keeps its take reader between calls: takes of ascending runs,
 * runs over two fragments, other projections, unordered requests and a failed take in
 * between all give the rows asked for. */
static void test_take_checkout(void **state)
{
    env *e = *state;
    gnv_table *ro = NULL;
    GNV_ASSERT_OK(gnv_table_checkout(&ro, e->t, gnv_table_version(e->t)));
    const char *id_name[] = {"id", "name"}, *id_only[] = {"id"};
    uint64_t run[50], two[20], mixed[] = {3ull << 32 | 7, 1ull << 32 | 2, 3ull << 32 | 7, 0};
    for (int i = 0; i < 50; i++)
        run[i] = 1ull << 32 | (uint64_t)(100 + i); /* contiguous: a range read */
    for (int i = 0; i < 10; i++) {
        two[i] = 1ull << 32 | (uint64_t)(290 + i);
        two[10 + i] = 2ull << 32 | (uint64_t)(2 * i); /* every other row */
    }
    for (int round = 0; round < 2; round++) {
        take_check(ro, run, 50, id_name, 2);
        take_check(ro, two, 20, id_name, 2);
        take_check(ro, run + 10, 5, id_only, 1);
        take_check(ro, mixed, 4, id_name, 2);
        struct ArrowSchema sc;
        struct ArrowArray a;
        uint64_t bad[] = {1ull << 32 | 300};
        GNV_ASSERT_ERR(gnv_table_take(ro, bad, 1, id_name, 2, &sc, &a), GNV_ENOTFOUND,
                       "past the 300");
    }
    gnv_table_close(ro);
}

static void test_time_travel_scan(void **state)
{
    env *e = *state;
    gnv_table *old = NULL;
    struct ArrowArrayStream s;
    static rows r;
    GNV_ASSERT_OK(gnv_table_checkout(&old, e->t, 1));
    GNV_ASSERT_OK(gnv_table_scan(old, NULL, &s));
    gnv_table_close(old); /* the stream does not depend on the handle */
    drain(&s, &r, 8192);
    assert_int_equal(r.n, 1000);
    assert_int_equal(r.ids[999], 999);
}

static void test_missing_data_file(void **state)
{
    env *e = *state;
    char p[1024];
    snprintf(p, sizeof p, "%s/r.lance/data", e->dir);
    DIR *d = opendir(p);
    struct dirent *de;
    char victim[1400] = "";
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.') {
            snprintf(victim, sizeof victim, "%s/%s", p, de->d_name);
            break;
        }
    closedir(d);
    assert_int_equal(unlink(victim), 0);
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_table_scan(e->t, NULL, &s));
    int err = 0;
    for (;;) {
        struct ArrowArray a;
        err = s.get_next(&s, &a);
        if (err || !a.release)
            break;
        a.release(&a);
    }
    assert_true(err != 0);
    const char *msg = s.get_last_error(&s);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "is missing"));
    assert_non_null(strstr(msg, strrchr(victim, '/') + 1));
    s.release(&s);
}

/* Nested columns from JSON Lines survive a write and a scan. */
static void test_nested(void **state)
{
    env *e = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/n.jsonl", e->dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 50; i++)
        fprintf(f, "{\"k\": %d, \"tags\": [\"a%d\", \"b\"], \"pt\": {\"x\": %d.5, \"y\": null}}\n",
                i, i, i);
    fclose(f);
    struct ArrowArrayStream s;
    GNV_ASSERT_OK(gnv_read_file(&s, path, NULL));
    gnv_table *t = NULL;
    GNV_ASSERT_OK(gnv_db_create_table(&t, e->db, "nested", &s, NULL, NULL));
    if (s.release)
        s.release(&s);
    const char *cols[] = {"pt", "k"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.n_columns = 2;
    GNV_ASSERT_OK(gnv_table_scan(t, &o, &s));
    struct ArrowArray a;
    assert_int_equal(s.get_next(&s, &a), 0);
    assert_int_equal(a.length, 50);
    assert_int_equal(a.children[0]->n_children, 2);
    const double *x = a.children[0]->children[0]->buffers[1];
    assert_true(x[a.children[0]->children[0]->offset + 7] == 7.5);
    a.release(&a);
    s.release(&s);
    gnv_table_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scan_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_projection_rowids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_checkout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_travel_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_data_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
