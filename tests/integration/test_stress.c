/*
 * Stress: WORKERS processes change one table at once for GNV_STRESS_SECONDS (default
 * 60) with random appends, updates, deletes, merge-inserts, column adds and drops and
 * compactions,
 * while a reader process checks every version as it appears (no duplicate key, the
 * row count equals the rows a scan returns, every key is one a worker made). Then the
 * table is optimized and cleaned up, and its rows must equal the model the workers
 * kept.
 *
 * Worker w owns the keys k with k % WORKERS == w and changes only those, so each keeps
 * an exact model of its keys; its rows share fragments with the other workers' rows
 * (the first rows are interleaved), so concurrent deletes and updates touch the same
 * fragments and really conflict. An operation that gives up with GNV_ECONFLICT must
 * have changed nothing; every other error fails the test.
 */
#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "gnv_test.h"

#include "arrow/arrow.h"

#define WORKERS   4
#define INIT_ROWS 2000
#define MAX_KEYS  400000
#define TABLE     "stress"

typedef struct model {
    int64_t *val; /* per key: value, or INT64_MIN when absent */
    int64_t next_key;
} model;

static const char *g_dir;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    const gnv_error *e = gnv_error_last();
    fprintf(stderr, "stress: %s: %s\n", what, e ? e->message : "(no message)");
    _exit(1);
}

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if ((expr) != GNV_OK)                                                                      \
            die(#expr);                                                                            \
    } while (0)

static void schema_of(struct ArrowSchema *s)
{
    CHECK(gnv__type_from_string(s, "struct<key: int64, val: int64>", ""));
    s->children[0]->flags &= ~ARROW_FLAG_NULLABLE; /* the key is never NULL */
}

/* A stream of one batch in t's schema (or, t NULL, the first one) holding keys[0..n)
 * with vals[0..n) and NULL in any other column. */
static void rows_stream(
    struct ArrowArrayStream *out, gnv_table *t, const int64_t *keys, const int64_t *vals, size_t n)
{
    struct ArrowSchema s;
    struct ArrowArray a;
    if (t)
        CHECK(gnv_table_schema(t, &s));
    else
        schema_of(&s);
    CHECK(gnv__array_init(&a, &s));
    for (size_t i = 0; i < n; i++) {
        CHECK(gnv__array_append_int(a.children[0], keys[i]));
        CHECK(gnv__array_append_int(a.children[1], vals[i]));
        for (int64_t c = 2; c < s.n_children; c++)
            CHECK(gnv__array_append_null(a.children[c], 1));
        CHECK(gnv__array_finish_element(&a));
    }
    CHECK(gnv__array_finish(&a));
    CHECK(gnv__stream_from_arrays(out, &s, &a, 1));
    gnv__schema_release(&s);
}

/* Every (key, val) of the table's current version into vals (INT64_MIN: absent);
 * fails on a duplicate key or a key out of range. Returns the number of rows. */
static int64_t read_rows(gnv_table *t, int64_t *vals, const char *what)
{
    static const char *const cols[] = {"key", "val"};
    gnv_scan_options o = GNV_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.n_columns = 2;
    struct ArrowArrayStream s;
    CHECK(gnv_table_scan(t, &o, &s));
    for (int64_t k = 0; k < MAX_KEYS; k++)
        vals[k] = INT64_MIN;
    int64_t rows = 0;
    for (;;) {
        struct ArrowArray b;
        int rc = gnv__stream_next(&s, &b);
        if (rc == GNV_ITEROVER)
            break;
        CHECK(rc);
        const int64_t *key = (const int64_t *)b.children[0]->buffers[1] + b.children[0]->offset;
        const int64_t *val = (const int64_t *)b.children[1]->buffers[1] + b.children[1]->offset;
        for (int64_t i = 0; i < b.length; i++, rows++) {
            if (key[i] < 0 || key[i] >= MAX_KEYS || vals[key[i]] != INT64_MIN) {
                fprintf(stderr, "stress: %s (version %" PRIu64 "): key %" PRId64 " %s\n", what,
                        gnv_table_version(t), key[i],
                        key[i] < 0 || key[i] >= MAX_KEYS ? "out of range" : "appears twice");
                _exit(1);
            }
            vals[key[i]] = val[i];
        }
        gnv__array_release(&b);
    }
    gnv__stream_release(&s);
    return rows;
}

/* ---- the workers ---------------------------------------------------------------- */

static uint64_t g_rng;

static int64_t rnd(int64_t n)
{
    return (int64_t)(gnv_test_rand(&g_rng) % (uint64_t)n);
}

static int64_t g_conflicts;

static bool conflict(int rc, const char *what)
{
    if (rc == GNV_ECONFLICT) {
        g_conflicts++;
        gnv_error_clear();
        return true;
    }
    if (rc != GNV_OK)
        die(what);
    return false;
}

static void op_append(gnv_table *t, model *m, int w)
{
    int64_t keys[64], vals[64];
    size_t n = (size_t)(1 + rnd(40));
    for (size_t i = 0; i < n; i++) {
        keys[i] = m->next_key + (int64_t)i * WORKERS;
        vals[i] = rnd(1000);
    }
    if (keys[n - 1] >= MAX_KEYS)
        return;
    struct ArrowArrayStream s;
    rows_stream(&s, t, keys, vals, n);
    int rc = gnv_table_add(t, &s, NULL);
    gnv__stream_release(&s);
    if (conflict(rc, "append"))
        return;
    for (size_t i = 0; i < n; i++)
        m->val[keys[i]] = vals[i];
    m->next_key += (int64_t)n * WORKERS;
    (void)w;
}

static void op_update(gnv_table *t, model *m, int w)
{
    static const char *const cols[] = {"val"}, *const vals[] = {"val + 1"};
    char where[96];
    int64_t r = rnd(11);
    snprintf(where, sizeof where, "key %% %d = %d AND key %% 11 = %" PRId64, WORKERS, w, r);
    int64_t updated = 0;
    if (conflict(gnv_table_update(t, where, cols, vals, 1, &updated), "update"))
        return;
    int64_t want = 0;
    for (int64_t k = w; k < MAX_KEYS; k += WORKERS)
        if (m->val[k] != INT64_MIN && k % 11 == r) {
            m->val[k]++;
            want++;
        }
    if (updated != want) {
        fprintf(stderr, "stress: update '%s' changed %" PRId64 " rows, the model %" PRId64 "\n",
                where, updated, want);
        _exit(1);
    }
}

static void op_delete(gnv_table *t, model *m, int w)
{
    char where[96];
    int64_t r = rnd(29);
    snprintf(where, sizeof where, "key %% %d = %d AND key %% 29 = %" PRId64, WORKERS, w, r);
    int64_t deleted = 0;
    if (conflict(gnv_table_delete(t, where, &deleted), "delete"))
        return;
    int64_t want = 0;
    for (int64_t k = w; k < MAX_KEYS; k += WORKERS)
        if (m->val[k] != INT64_MIN && k % 29 == r) {
            m->val[k] = INT64_MIN;
            want++;
        }
    if (deleted != want) {
        fprintf(stderr, "stress: delete '%s' removed %" PRId64 " rows, the model %" PRId64 "\n",
                where, deleted, want);
        _exit(1);
    }
}

/* Upsert some existing keys of ours (new values) and some new ones. */
static void op_merge(gnv_table *t, model *m, int w)
{
    int64_t keys[64], vals[64];
    size_t n = 0;
    for (int tries = 0; tries < 200 && n < 20; tries++) {
        int64_t k = w + WORKERS * rnd((m->next_key - w) / WORKERS);
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup |= keys[i] == k;
        if (!dup && m->val[k] != INT64_MIN) {
            keys[n] = k;
            vals[n++] = 5000 + rnd(1000);
        }
    }
    size_t n_new = (size_t)rnd(10);
    if (m->next_key + (int64_t)n_new * WORKERS >= MAX_KEYS)
        n_new = 0;
    for (size_t i = 0; i < n_new; i++) {
        keys[n] = m->next_key + (int64_t)i * WORKERS;
        vals[n++] = 9000 + rnd(1000);
    }
    if (n == 0)
        return;
    static const char *const on[] = {"key"};
    gnv_merge_insert_options o = GNV_MERGE_INSERT_OPTIONS_INIT;
    o.on = on;
    o.n_on = 1;
    o.when_matched_update = true;
    o.when_not_matched_insert = true;
    gnv_merge_insert_stats st = {0};
    struct ArrowArrayStream s;
    rows_stream(&s, t, keys, vals, n);
    int rc = gnv_table_merge_insert(t, &s, &o, &st);
    gnv__stream_release(&s);
    if (conflict(rc, "merge_insert"))
        return;
    if (st.inserted != (int64_t)n_new || st.updated != (int64_t)(n - n_new)) {
        fprintf(stderr,
                "stress: merge_insert inserted %" PRId64 " and updated %" PRId64
                ", the model %zu and %zu\n",
                st.inserted, st.updated, n_new, n - n_new);
        _exit(1);
    }
    for (size_t i = 0; i < n; i++)
        m->val[keys[i]] = vals[i];
    m->next_key += (int64_t)n_new * WORKERS;
}

/* Add a computed column, or drop the one added before (the model ignores them). */
static void op_columns(gnv_table *t, int w, int *added)
{
    char name[32];
    snprintf(name, sizeof name, "extra_%d", w);
    const char *names[] = {name}, *exprs[] = {"key * 2"};
    int rc = *added ? gnv_table_drop_columns(t, names, 1)
                    : gnv_table_add_columns_sql(t, names, exprs, 1);
    if (!conflict(rc, *added ? "drop column" : "add column"))
        *added = !*added;
}

static void worker(int w, double seconds)
{
    gnv_db *db;
    gnv_table *t;
    model m;
    g_rng = gnv_test_seed() * 31 + (uint64_t)w;
    m.val = malloc(MAX_KEYS * sizeof *m.val);
    if (!m.val)
        _exit(1);
    for (int64_t k = 0; k < MAX_KEYS; k++)
        m.val[k] = k < INIT_ROWS && k % WORKERS == w ? 0 : INT64_MIN;
    m.next_key = INIT_ROWS + w;
    CHECK(gnv_db_open(&db, g_dir, NULL));
    CHECK(gnv_db_open_table(&t, db, TABLE));
    int added = 0;
    int64_t ops = 0;
    double end = now_s() + seconds;
    while (now_s() < end) {
        /* each operation starts from the latest version, as a separate process would */
        CHECK(gnv_table_checkout_latest(t));
        int64_t r = rnd(100);
        if (r < 30)
            op_append(t, &m, w);
        else if (r < 55)
            op_update(t, &m, w);
        else if (r < 75)
            op_delete(t, &m, w);
        else if (r < 96)
            op_merge(t, &m, w);
        else if (r < 98)
            op_columns(t, w, &added);
        else /* compaction while the others write; the rows stay as they are */
            conflict(gnv_table_optimize(t, NULL, NULL), "optimize");
        ops++;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/model.%d", g_dir, w);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(m.val, sizeof *m.val, MAX_KEYS, f) != MAX_KEYS || fclose(f) != 0)
        _exit(1);
    fprintf(stderr,
            "stress: worker %d made %" PRId64 " operations (%" PRId64 " gave up on a conflict)\n",
            w, ops, g_conflicts);
    gnv_table_close(t);
    gnv_db_close(db);
    free(m.val);
    _exit(0);
}

/* Check every version from 2 on as it appears, until `stop` exists. */
static void reader(void)
{
    gnv_db *db;
    gnv_table *t, *at;
    int64_t *vals = malloc(MAX_KEYS * sizeof *vals);
    char stop[1024];
    snprintf(stop, sizeof stop, "%s/stop", g_dir);
    if (!vals)
        _exit(1);
    CHECK(gnv_db_open(&db, g_dir, NULL));
    CHECK(gnv_db_open_table(&t, db, TABLE));
    uint64_t checked = 1, versions = 0;
    for (;;) {
        bool last = access(stop, F_OK) == 0;
        CHECK(gnv_table_checkout_latest(t));
        for (uint64_t v = checked + 1; v <= gnv_table_version(t); v++) {
            CHECK(gnv_table_checkout(&at, t, v));
            int64_t rows = read_rows(at, vals, "reader"), counted = -1;
            CHECK(gnv_table_count_rows(at, &counted));
            if (counted != rows) {
                fprintf(stderr,
                        "stress: version %" PRIu64 " counts %" PRId64 " rows, scans %" PRId64 "\n",
                        v, counted, rows);
                _exit(1);
            }
            gnv_table_close(at);
            checked = v;
            versions++;
        }
        if (last)
            break;
        usleep(20000);
    }
    fprintf(stderr, "stress: the reader checked %" PRIu64 " versions\n", versions);
    gnv_table_close(t);
    gnv_db_close(db);
    free(vals);
    _exit(0);
}

static bool exited_ok(pid_t pid)
{
    int status = 0;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_stress(void **state)
{
    (void)state;
    const char *env = getenv("GNV_STRESS_SECONDS");
    double seconds = env && *env ? atof(env) : 60;
    char *dir = gnv_test_tmpdir();
    g_dir = dir;
    gnv_db *db;
    gnv_table *t;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    /* the first rows interleave every worker's keys, 250 rows a fragment */
    {
        static int64_t keys[INIT_ROWS], vals[INIT_ROWS];
        for (int64_t k = 0; k < INIT_ROWS; k++) {
            keys[k] = k;
            vals[k] = 0;
        }
        struct ArrowArrayStream s;
        rows_stream(&s, NULL, keys, vals, INIT_ROWS);
        gnv_create_table_options o = GNV_CREATE_TABLE_OPTIONS_INIT;
        o.max_rows_per_file = 250;
        GNV_ASSERT_OK(gnv_db_create_table(&t, db, TABLE, &s, NULL, &o));
        gnv__stream_release(&s);
        gnv_table_close(t);
    }
    fflush(NULL);
    pid_t pids[WORKERS], rpid = fork();
    if (rpid == 0)
        reader();
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0)
            worker(w, seconds);
    }
    bool ok = true;
    for (int w = 0; w < WORKERS; w++)
        ok &= exited_ok(pids[w]);
    char stop[1024];
    snprintf(stop, sizeof stop, "%s/stop", dir);
    FILE *f = fopen(stop, "w");
    assert_non_null(f);
    fclose(f);
    ok &= exited_ok(rpid);
    assert_true(ok);

    /* the model: every worker's keys */
    int64_t *want = malloc(MAX_KEYS * sizeof *want), *got = malloc(MAX_KEYS * sizeof *got);
    int64_t *part = malloc(MAX_KEYS * sizeof *part);
    assert_non_null(want && got && part);
    for (int64_t k = 0; k < MAX_KEYS; k++)
        want[k] = INT64_MIN;
    for (int w = 0; w < WORKERS; w++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/model.%d", dir, w);
        FILE *mf = fopen(path, "rb");
        assert_non_null(mf);
        assert_int_equal(fread(part, sizeof *part, MAX_KEYS, mf), MAX_KEYS);
        fclose(mf);
        for (int64_t k = w; k < MAX_KEYS; k += WORKERS)
            want[k] = part[k];
    }

    /* compact and clean up, then compare */
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, TABLE));
    gnv_optimize_stats os = {0};
    GNV_ASSERT_OK(gnv_table_optimize(t, NULL, &os));
    gnv_cleanup_options co = GNV_CLEANUP_OPTIONS_INIT;
    co.older_than_seconds = 0;
    gnv_cleanup_stats cs = {0};
    GNV_ASSERT_OK(gnv_table_cleanup(t, &co, &cs));
    fprintf(stderr,
            "stress: %" PRIu64 " versions; optimize removed %" PRId64
            " fragments; cleanup removed %" PRIu64 " versions\n",
            gnv_table_version(t), os.fragments_removed, cs.old_versions);
    gnv_table_close(t);
    GNV_ASSERT_OK(gnv_db_open_table(&t, db, TABLE));
    int64_t rows = read_rows(t, got, "final"), n_want = 0;
    for (int64_t k = 0; k < MAX_KEYS; k++) {
        n_want += want[k] != INT64_MIN;
        if (got[k] != want[k])
            fail_msg("key %" PRId64 ": the table holds %" PRId64 ", the model %" PRId64
                     " (INT64_MIN: absent)",
                     k, got[k], want[k]);
    }
    assert_int_equal(rows, n_want);
    gnv_table_close(t);
    gnv_db_close(db);
    free(want);
    free(got);
    free(part);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
