/* io: the local backend's atomic commits and listing, and the fault-injecting backend. */
#include "gnv_test.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/io.h"

typedef struct names {
    char list[64][64];
    int n;
} names;

static int collect(const char *name, int is_dir, void *payload)
{
    names *ns = payload;
    if (ns->n < 64)
        snprintf(ns->list[ns->n++], 64, "%s%s", name, is_dir ? "/" : "");
    return 0;
}

static bool has_name(const names *ns, const char *name)
{
    for (int i = 0; i < ns->n; i++)
        if (!strcmp(ns->list[i], name))
            return true;
    return false;
}

static void test_local_roundtrip(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    char root[600];
    snprintf(root, sizeof root, "%s/db/sub", dir);
    gnv_io *io;
    GNV_ASSERT_OK(gnv_io_local_new(&io, root));
    GNV_ASSERT_OK(gnv__io_write_all(io, "a/b/c.txt", "hello", 5, GNV_IO_NOREPLACE));
    gnv_buf b = GNV_BUF_INIT;
    GNV_ASSERT_OK(gnv__io_read_all(io, "a/b/c.txt", &b));
    assert_string_equal(b.ptr, "hello");
    gnv_buf_dispose(&b);
    uint64_t size;
    GNV_ASSERT_OK(io->vt->stat(io, "a/b/c.txt", &size));
    assert_int_equal(size, 5);

    /* no replace: the old content stays */
    GNV_ASSERT_ERR(gnv__io_write_all(io, "a/b/c.txt", "other", 5, GNV_IO_NOREPLACE), GNV_EEXISTS,
                   "a/b/c.txt");
    GNV_ASSERT_OK(gnv__io_read_all(io, "a/b/c.txt", &b));
    assert_string_equal(b.ptr, "hello");
    gnv_buf_dispose(&b);
    /* replace */
    GNV_ASSERT_OK(gnv__io_write_all(io, "a/b/c.txt", "bye", 3, GNV_IO_REPLACE));
    GNV_ASSERT_OK(gnv__io_read_all(io, "a/b/c.txt", &b));
    assert_string_equal(b.ptr, "bye");
    gnv_buf_dispose(&b);

    /* an uncommitted file is invisible, and abort leaves nothing */
    gnv_io_writer *w;
    GNV_ASSERT_OK(gnv__io_create(io, "a/b/d.txt", &w));
    GNV_ASSERT_OK(gnv__io_write(io, w, "xyz", 3));
    names ns = {0};
    GNV_ASSERT_OK(io->vt->list(io, "a/b", collect, &ns));
    assert_int_equal(ns.n, 1);
    assert_true(has_name(&ns, "c.txt"));
    GNV_ASSERT_ERR(io->vt->stat(io, "a/b/d.txt", &size), GNV_ENOTFOUND, "d.txt");
    gnv__io_abort(io, w);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s/a/b' | wc -l) -eq 1", root);
    assert_int_equal(system(cmd), 0);

    ns.n = 0;
    GNV_ASSERT_OK(io->vt->list(io, "a", collect, &ns));
    assert_true(has_name(&ns, "b/"));
    GNV_ASSERT_ERR(io->vt->list(io, "missing", collect, &ns), GNV_ENOTFOUND, "missing");

    /* reads past the end are reported as truncation */
    gnv_io_reader *r;
    GNV_ASSERT_OK(gnv__io_open_read(io, "a/b/c.txt", &r, &size));
    char buf[16];
    GNV_ASSERT_OK(gnv__io_read_at(io, r, buf, 2, 1));
    assert_memory_equal(buf, "ye", 2);
    GNV_ASSERT_ERR(gnv__io_read_at(io, r, buf, 8, 0), GNV_ECORRUPT, "truncated");
    gnv__io_close_read(io, r);
    GNV_ASSERT_ERR(gnv__io_open_read(io, "nope", &r, &size), GNV_ENOTFOUND, "nope");
    GNV_ASSERT_ERR(gnv__io_open_read(io, "a", &r, &size), GNV_EINVAL, "directory");

    GNV_ASSERT_OK(io->vt->remove(io, "a/b/c.txt"));
    GNV_ASSERT_ERR(io->vt->remove(io, "a/b/c.txt"), GNV_ENOTFOUND, "c.txt");
    GNV_ASSERT_OK(io->vt->remove_tree(io, "a"));
    GNV_ASSERT_OK(io->vt->remove_tree(io, "a"));
    GNV_ASSERT_ERR(io->vt->stat(io, "a", &size), GNV_ENOTFOUND, NULL);
    gnv_io_free(io);
    gnv_test_rmdir(dir);
}

/* Many processes race to create one file without replace: exactly one wins. */
/* Every allocation of opening a file for reading failing in turn: a clean GNV_ENOMEM
 * that closes no descriptor but its own (standard input stays open). */
typedef struct open_arg {
    gnv_io *io;
} open_arg;

static int open_body(void *arg)
{
    open_arg *a = arg;
    gnv_io_reader *r = NULL;
    uint64_t size = 0;
    int rc = gnv__io_open_read(a->io, "f.txt", &r, &size);
    if (rc == GNV_OK)
        gnv__io_close_read(a->io, r);
    return rc;
}

static void test_open_read_allocation_failures(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    open_arg a;
    GNV_ASSERT_OK(gnv_io_local_new(&a.io, dir));
    GNV_ASSERT_OK(gnv__io_write_all(a.io, "f.txt", "x", 1, GNV_IO_NOREPLACE));
    int saved = dup(0), null = open("/dev/null", O_RDONLY);
    assert_true(saved >= 0 && null >= 0);
    assert_int_equal(dup2(null, 0), 0);
    assert_true(gnv_test_faultsim(open_body, &a) > 1);
    assert_int_not_equal(fcntl(0, F_GETFD), -1); /* still open */
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    close(null);
    gnv_io_free(a.io);
    gnv_test_rmdir(dir);
}

static void test_noreplace_race(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    enum { N = 8 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            gnv_io *io;
            if (gnv_io_local_new(&io, dir) != GNV_OK)
                _exit(3);
            char data[32];
            int n = snprintf(data, sizeof data, "writer %d", i);
            int rc =
                gnv__io_write_all(io, "_versions/1.manifest", data, (size_t)n, GNV_IO_NOREPLACE);
            gnv_io_free(io);
            _exit(rc == GNV_OK ? 0 : rc == GNV_EEXISTS ? 1 : 2);
        }
    }
    int wins = 0, losses = 0;
    for (int i = 0; i < N; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        assert_true(WIFEXITED(st));
        wins += WEXITSTATUS(st) == 0;
        losses += WEXITSTATUS(st) == 1;
    }
    assert_int_equal(wins, 1);
    assert_int_equal(losses, N - 1);
    gnv_test_rmdir(dir);
}

static int write_two(gnv_io *io)
{
    GNV_TRY(gnv__io_write_all(io, "one", "11111111", 8, GNV_IO_NOREPLACE));
    GNV_TRY(gnv__io_write_all(io, "two", "22222222", 8, GNV_IO_NOREPLACE));
    return GNV_OK;
}

static void test_fault_backend(void **state)
{
    (void)state;
    struct {
        int fault;
        uint64_t nth;
        const char *msg;
        bool one_exists, two_exists;
    } cases[] = {
        {GNV_IO_FAULT_EIO, 1, "Input/output error", false, false},
        {GNV_IO_FAULT_ENOSPC, 2, "No space left", false, false},
        {GNV_IO_FAULT_SHORT, 3, "injected", true, false},
        {GNV_IO_FAULT_CRASH, 4, "simulated crash", true, false},
        {GNV_IO_FAULT_NONE, 0, NULL, true, true},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *dir = gnv_test_tmpdir();
        gnv_io *inner, *io;
        GNV_ASSERT_OK(gnv_io_local_new(&inner, dir));
        GNV_ASSERT_OK(gnv_io_fault_new(&io, inner, cases[k].fault, cases[k].nth));
        int rc = write_two(io);
        if (cases[k].msg) {
            assert_int_equal(rc, GNV_EIO);
            assert_non_null(strstr(gnv_error_last()->message, cases[k].msg));
        } else {
            GNV_ASSERT_OK(rc);
        }
        uint64_t size;
        assert_int_equal(io->vt->stat(io, "one", &size) == GNV_OK, cases[k].one_exists);
        assert_int_equal(io->vt->stat(io, "two", &size) == GNV_OK, cases[k].two_exists);
        if (cases[k].one_exists)
            assert_int_equal(size, 8);
        if (cases[k].fault == GNV_IO_FAULT_CRASH) {
            /* after a crash nothing more is written */
            GNV_ASSERT_ERR(gnv__io_write_all(io, "three", "3", 1, GNV_IO_NOREPLACE), GNV_EIO,
                           "simulated crash");
        } else if (cases[k].msg) {
            /* a one-off fault: the next attempt works */
            GNV_ASSERT_OK(gnv__io_write_all(io, "three", "3", 1, GNV_IO_NOREPLACE));
        }
        gnv_buf b = GNV_BUF_INIT;
        if (cases[k].one_exists) {
            GNV_ASSERT_OK(gnv__io_read_all(io, "one", &b));
            assert_string_equal(b.ptr, "11111111");
        }
        gnv_buf_dispose(&b);
        /* nothing half-written is left behind */
        char cmd[700];
        snprintf(cmd, sizeof cmd, "! ls -A '%s' | grep -q gnv-tmp", dir);
        assert_int_equal(system(cmd), 0);
        assert_true(gnv_io_fault_ops(io) >= 1);
        gnv_io_free(io);
        gnv_test_rmdir(dir);
    }
    gnv_io *io;
    GNV_ASSERT_ERR(gnv_io_fault_new(&io, NULL, GNV_IO_FAULT_EIO, 1), GNV_EINVAL, "inner");
}

/* GNV_SYNC_OFF and GNV_IO_NOSYNC skip fsync but keep the commit modes' meaning */
static void test_sync_modes(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_io *io;
    GNV_ASSERT_ERR(gnv_io_local_new_sync(&io, dir, 7), GNV_EINVAL, "sync mode");
    for (int mode = GNV_SYNC_FULL; mode <= GNV_SYNC_OFF; mode++) {
        GNV_ASSERT_OK(gnv_io_local_new_sync(&io, dir, mode));
        const char *path = mode ? "off.txt" : "full.txt";
        GNV_ASSERT_OK(gnv__io_write_all(io, path, "one", 3, GNV_IO_NOREPLACE | GNV_IO_NOSYNC));
        GNV_ASSERT_ERR(gnv__io_write_all(io, path, "two", 3, GNV_IO_NOREPLACE | GNV_IO_NOSYNC),
                       GNV_EEXISTS, path);
        GNV_ASSERT_OK(gnv__io_write_all(io, path, "three", 5, GNV_IO_REPLACE | GNV_IO_NOSYNC));
        gnv_buf b = GNV_BUF_INIT;
        GNV_ASSERT_OK(gnv__io_read_all(io, path, &b));
        assert_int_equal(b.size, 5);
        gnv_buf_dispose(&b);
        gnv_io_free(io);
    }
    setenv("GENEVA_SYNC", "off", 1);
    GNV_ASSERT_OK(gnv_io_local_new(&io, dir));
    GNV_ASSERT_ERR(gnv__io_write_all(io, "off.txt", "x", 1, GNV_IO_NOREPLACE), GNV_EEXISTS,
                   "off.txt");
    gnv_io_free(io);
    unsetenv("GENEVA_SYNC");
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_roundtrip),
        cmocka_unit_test(test_open_read_allocation_failures),
        cmocka_unit_test(test_noreplace_race),
        cmocka_unit_test(test_fault_backend),
        cmocka_unit_test(test_sync_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
