#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arrow/arrow.h"
#include "geneva/db.h"
#include "geneva/table.h"
#include "peer_data.h"
#include "util/util.h"

volatile uint64_t bench_sink;

int64_t bench_env_int(const char *name, int64_t dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtoll(v, NULL, 10) : dflt;
}

double bench_memcpy_bandwidth(int reps)
{
    size_t sz = (size_t)256 << 20;
    char *a = gnv__malloc(sz), *b = gnv__malloc(sz);
    double best = 0;
    if (a && b) {
        memset(a, 1, sz);
        memset(b, 2, sz); /* fault the pages in */
        for (int r = 0; r < reps; r++) {
            double t = gnv__now();
            memcpy(b, a, sz);
            t = gnv__now() - t;
            bench_sink += (uint8_t)b[r * 4096];
            if (sz / t > best)
                best = sz / t;
        }
    }
    gnv__free(a);
    gnv__free(b);
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_best(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[0];
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the peer data as Arrow ------------------------------------------------------ */

int bench_peer_batches(struct ArrowArray **out,
                       int64_t *n_out,
                       const struct ArrowSchema *schema,
                       int64_t n,
                       int64_t batch_rows)
{
    peer_gen g = {0};
    peer_row row;
    int64_t nb = (n + batch_rows - 1) / batch_rows;
    struct ArrowArray *b = gnv__calloc((size_t)(nb ? nb : 1), sizeof *b);
    int rc = b ? peer_gen_init(&g, 42) : gnv__error_set(GNV_ENOMEM, GNV_SUB_TABLE, "out of memory");
    GNV_TRYG(rc);
    for (int64_t k = 0; k < nb; k++) {
        int64_t rows = GNV_MIN(batch_rows, n - k * batch_rows);
        GNV_TRYG(gnv__array_init(&b[k], schema));
        for (int64_t r = 0; r < rows; r++) {
            peer_gen_row(&g, &row);
            GNV_TRYG(peer_append_row(&b[k], &row));
        }
        GNV_TRYG(gnv__array_finish(&b[k]));
    }
    *out = b;
    *n_out = nb;
    b = NULL;
done:
    bench_free_batches(b, nb);
    peer_gen_reset(&g);
    return rc;
}

void bench_free_batches(struct ArrowArray *b, int64_t n)
{
    for (int64_t k = 0; b && k < n; k++)
        gnv__array_release(&b[k]);
    gnv__free(b);
}

static int file_write(void *ctx, const void *data, size_t n)
{
    if (fwrite(data, 1, n, (FILE *)ctx) != n)
        return gnv__error_os(GNV_SUB_TABLE, errno, "write failed");
    return GNV_OK;
}

int bench_write_ipc(const char *path,
                    const struct ArrowSchema *schema,
                    const struct ArrowArray *b,
                    int64_t n)
{
    gnv_ipc_writer *w = NULL;
    gnv_ipc_write_options o = GNV_IPC_WRITE_OPTIONS_INIT;
    int rc = GNV_OK;
    FILE *f = fopen(path, "wb");
    GNV_ERR_IF(!f, GNV_EIO, GNV_SUB_TABLE, "cannot create %s", path);
    gnv_ipc_sink s = {file_write, f};
    GNV_TRYG(gnv__ipc_writer_new(&w, s, schema, &o));
    for (int64_t k = 0; k < n; k++)
        GNV_TRYG(gnv__ipc_writer_write(w, &b[k]));
    GNV_TRYG(gnv__ipc_writer_finish(w));
done:
    gnv__ipc_writer_free(w);
    if (f && fclose(f) != 0 && rc == GNV_OK)
        rc = gnv__error_os(GNV_SUB_TABLE, errno, "cannot write %s", path);
    return rc;
}

typedef struct batch_stream {
    const struct ArrowSchema *schema;
    struct ArrowArray *batches;
    int64_t n, next;
} batch_stream;

static int bs_get_schema(void *self, struct ArrowSchema *out)
{
    return gnv__schema_copy(out, ((batch_stream *)self)->schema);
}

static int bs_get_next(void *self, struct ArrowArray *out)
{
    batch_stream *s = self;
    if (s->next == s->n)
        return GNV_ITEROVER;
    struct ArrowArray *b = &s->batches[s->next++];
    return gnv__array_slice(out, b, 0, b->length);
}

static void bs_free(void *self)
{
    gnv__free(self);
}

static const gnv_stream_impl batch_stream_impl = {bs_get_schema, bs_get_next, bs_free};

int bench_batch_stream(struct ArrowArrayStream *out,
                       const struct ArrowSchema *schema,
                       struct ArrowArray *batches,
                       int64_t n)
{
    batch_stream *s = gnv__calloc(1, sizeof *s);
    if (!s)
        return gnv__error_set(GNV_ENOMEM, GNV_SUB_TABLE, "out of memory");
    s->schema = schema;
    s->batches = batches;
    s->n = n;
    return gnv__stream_init(out, &batch_stream_impl, s);
}

/* ---- files ------------------------------------------------------------------------ */

int64_t bench_du_bytes(const char *path)
{
    int64_t total = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char sub[4096];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (lstat(sub, &st) != 0)
            continue;
        total += S_ISDIR(st.st_mode) ? bench_du_bytes(sub) : (int64_t)st.st_size;
    }
    if (d)
        closedir(d);
    return total;
}

void bench_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char sub[4096];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            bench_remove_tree(sub);
        else
            unlink(sub);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

int bench_make_dir(char *out, size_t size, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, size, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
    if (!mkdtemp(out))
        return gnv__error_os(GNV_SUB_TABLE, errno, "cannot create a directory in %s", out);
    return GNV_OK;
}

/* ---- drivers and reports ---------------------------------------------------------- */

int bench_run_driver(bench_figure *figs, int n_figs, const char *command)
{
    char line[1024], name[64];
    FILE *p = popen(command, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p)) {
        double best, median;
        long long bytes = 0;
        int k = sscanf(line, "%63s %lf %lf %lld", name, &best, &median, &bytes);
        int i = 0;
        while (k >= 3 && i < n_figs && strcmp(name, figs[i].name) != 0)
            i++;
        if (k < 3 || i == n_figs) {
            fputs(line, stdout);
            continue;
        }
        figs[i].secs[0] = best;
        figs[i].secs[1] = median;
        figs[i].n = 2;
        figs[i].bytes = bytes;
    }
    int status = pclose(p);
    for (int i = 0; i < n_figs; i++)
        if (figs[i].n != 2)
            return -1;
    return status == 0 ? 0 : -1;
}

void bench_format_rate(char *out, size_t size, double rows_per_s)
{
    if (rows_per_s >= 1e6)
        snprintf(out, size, "%.2fM", rows_per_s / 1e6);
    else
        snprintf(out, size, "%.0fk", rows_per_s / 1e3);
}

int bench_create_table(gnv_db *db,
                       const char *name,
                       const struct ArrowSchema *schema,
                       struct ArrowArray *batches,
                       int64_t n)
{
    struct ArrowArrayStream in = {0};
    gnv_table *t = NULL;
    GNV_TRY(bench_batch_stream(&in, schema, batches, n));
    int rc = gnv_db_create_table(&t, db, name, &in, NULL, NULL);
    gnv_table_close(t);
    gnv__stream_release(&in);
    return rc;
}
