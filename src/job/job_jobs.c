/*
 * geneva_jobs (DESIGN 5b): one row per job in the system table
 * `<db>/__system/geneva_jobs.lance`, an ordinary Lance table, and the heartbeat thread of
 * a running job.
 *
 * A job's row is changed in place with gnv_table_update (one Update commit: the old row
 * gets deleted, its one-row fragment dropped, the new row written), so the table holds
 * exactly one row per job and one small fragment per job whatever the number of
 * heartbeats: readers scan a table as large as the number of jobs. Each change is a
 * version; the writer of every CLEANUP_EVERY-th version removes the versions older than
 * an hour, so _versions/ stays bounded too, and the one that finds COMPACT_FRAGMENTS
 * fragments compacts them into one, so that reading the table stays one file. Updates carry a
 * `where` that makes them conditional where it matters (a reader recording a dead job FAILED only
 * when its heartbeat is still the one it saw).
 *
 * Threads: a gnv__jobrun is written by the backfill's thread (progress, end) and read by
 * its heartbeat thread under `mu`; `cancel` is atomic so forked workers may read it
 * without locks. A process-wide registry of running jobs lets gnv_job_cancel() and
 * gnv_job_status() reach a job of this process at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

#define DEFAULT_HEARTBEAT 5.0
#define STALE_INTERVALS   3
#define LOCAL_INTERVALS   20
#define CLEANUP_EVERY     100
#define COMPACT_FRAGMENTS 64

/* ---- the record's columns ----------------------------------------------------- */

enum { C_STR, C_STATE, C_I64, C_TS, C_F64, C_BOOL };

typedef struct jcol {
    const char *name;
    int type;
    size_t off; /* in gnv_job_info */
} jcol;

#define COL(n, t, f)                                                                               \
    {                                                                                              \
        n, t, offsetof(gnv_job_info, f)                                                            \
    }
static const jcol COLS[] = {
    COL("id", C_STR, id),
    COL("kind", C_STR, kind),
    COL("table", C_STR, table),
    COL("column", C_STR, column),
    COL("options", C_STR, options),
    COL("state", C_STATE, state),
    COL("reason", C_STR, reason),
    COL("host", C_STR, host),
    COL("pid", C_I64, pid),
    COL("rows_planned", C_I64, rows_planned),
    COL("rows_computed", C_I64, rows_computed),
    COL("rows_committed", C_I64, rows_committed),
    COL("rows_skipped", C_I64, rows_skipped),
    COL("rows_failed", C_I64, rows_failed),
    COL("fragments", C_I64, fragments),
    COL("fragments_committed", C_I64, fragments_committed),
    COL("created", C_TS, created_us),
    COL("started", C_TS, started_us),
    COL("ended", C_TS, ended_us),
    COL("heartbeat", C_TS, heartbeat_us),
    COL("heartbeat_seconds", C_F64, heartbeat_seconds),
    COL("rows_checkpointed", C_I64, rows_checkpointed),
    COL("active_workers", C_I64, active_workers),
    COL("read_seconds", C_F64, read_seconds),
    COL("udf_seconds", C_F64, udf_seconds),
    COL("checkpoint_seconds", C_F64, checkpoint_seconds),
    COL("commit_seconds", C_F64, commit_seconds),
    COL("conflict_retries", C_I64, conflict_retries),
    COL("cancel_requested", C_BOOL, cancel_requested),
};
#define N_COLS GNV_ARRAY_SIZE(COLS)

/* Bits of COLS, for updates. */
enum {
    K_STATE = 5,
    K_REASON = 6,
    K_HOST = 7,
    K_PID = 8,
    K_STARTED = 17,
    K_ENDED = 18,
    K_HEARTBEAT = 19,
    K_CANCEL = 28
};
#define BIT(k) (UINT64_C(1) << (k))
/* The counters and metrics: rows_planned .. fragments_committed, heartbeat_seconds ..
 * conflict_retries. */
#define COUNTERS ((BIT(16) - BIT(9)) | (BIT(28) - BIT(20)))

static const char *const STATE_NAMES[] = {"PENDING",          "RUNNING", "DONE",
                                          "DONE_WITH_ERRORS", "FAILED",  "CANCELLED"};

const char *gnv_job_state_name(int state)
{
    if (state < 0 || state >= (int)GNV_ARRAY_SIZE(STATE_NAMES))
        return "UNKNOWN";
    return STATE_NAMES[state];
}

static int state_of(const char *s, size_t n)
{
    for (size_t i = 0; i < GNV_ARRAY_SIZE(STATE_NAMES); i++)
        if (strlen(STATE_NAMES[i]) == n && !memcmp(STATE_NAMES[i], s, n))
            return (int)i;
    return -1;
}

void gnv_job_info_reset(gnv_job_info *info)
{
    if (!info)
        return;
    for (size_t i = 0; i < N_COLS; i++)
        if (COLS[i].type == C_STR)
            gnv__free(*(char **)((char *)info + COLS[i].off));
    memset(info, 0, sizeof *info);
}

void gnv_job_info_list_free(gnv_job_info *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        gnv_job_info_reset(&list[i]);
    gnv__free(list);
}

static int jobs_schema(struct ArrowSchema *s)
{
    int rc = GNV_OK;
    GNV_TRYG(gnv__schema_init(s, "+s", "", 0));
    GNV_TRYG(gnv__schema_alloc_children(s, (int64_t)N_COLS));
    for (size_t i = 0; i < N_COLS; i++) {
        static const char *const fmt[] = {"u", "u", "l", "tsu:UTC", "g", "b"};
        GNV_TRYG(gnv__schema_init(s->children[i], fmt[COLS[i].type], COLS[i].name,
                                  i == 0 ? 0 : ARROW_FLAG_NULLABLE));
    }
done:
    return rc;
}

/* Open the jobs table for reading: GNV_ENOTFOUND (no message) when no job was ever
 * recorded, so readers create nothing. */
static int jobs_open_existing(gnv_table **out, gnv_db *db)
{
    int rc = gnv__table_open_at(out, db, GNV__SYSTEM_DIR "/" GNV_JOBS_TABLE, 0);
    if (rc == GNV_ENOTFOUND)
        gnv_error_clear();
    return rc;
}

int gnv__jobs_open(gnv_table **out, gnv_db *db)
{
    struct ArrowSchema s = {0};
    int rc = jobs_schema(&s);
    if (rc == GNV_OK)
        rc = gnv__db_system_table(out, db, GNV_JOBS_TABLE, &s);
    gnv__schema_release(&s);
    return rc;
}

/* ---- time, host, processes ------------------------------------------------------- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "2026-01-02T03:04:05.678901Z" */
static void format_ts(char *buf, size_t size, int64_t us)
{
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    int frac = (int)(us % 1000000);
    if (n > 0 && n < size)
        snprintf(buf + n, size - n, ".%06dZ", frac < 0 ? 0 : frac);
}

static void host_name(char *buf, size_t size)
{
    if (gethostname(buf, size) != 0)
        snprintf(buf, size, "localhost");
    buf[size - 1] = '\0';
}

/* Whether process pid of this host is alive (a zombie is not). */
static bool process_alive(int64_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%" PRId64 "/stat", pid);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[512];
        size_t n = fread(line, 1, sizeof line - 1, f);
        fclose(f);
        line[n] = '\0';
        const char *p = strrchr(line, ')');
        return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
    }
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

double gnv__heartbeat_seconds(void)
{
    const char *e = getenv("GENEVA_HEARTBEAT_SECONDS");
    if (e && *e) {
        char *end;
        double v = strtod(e, &end);
        if (*end == '\0' && v > 0 && v < 86400)
            return v;
    }
    return DEFAULT_HEARTBEAT;
}

static bool running_here(const char *id);

/* A PENDING or RUNNING job whose driver is gone reads FAILED (a job running in this
 * process is alive, however late its heartbeat). */
static void apply_staleness(gnv_job_info *ji, const char *host, int64_t now)
{
    if (ji->state != GNV_JOB_PENDING && ji->state != GNV_JOB_RUNNING)
        return;
    if (ji->id && running_here(ji->id))
        return;
    double iv = ji->heartbeat_seconds > 0 ? ji->heartbeat_seconds : DEFAULT_HEARTBEAT;
    int64_t hb = ji->heartbeat_us ? ji->heartbeat_us : ji->created_us;
    /* on this host the process itself tells: a live driver is given LOCAL_INTERVALS
     * (it may be slow to write, or hung, or its pid reused) */
    bool local = ji->pid > 0 && ji->host && !strcmp(ji->host, host);
    bool gone = local && !process_alive(ji->pid);
    int intervals = local && !gone ? LOCAL_INTERVALS : STALE_INTERVALS;
    bool late = now - hb > (int64_t)(intervals * iv * 1e6);
    if (!late && !gone)
        return;
    char ts[40], msg[512];
    format_ts(ts, sizeof ts, hb);
    if (ji->pid > 0)
        snprintf(msg, sizeof msg, "heartbeat stopped at %s, process %" PRId64 " on %s is gone", ts,
                 ji->pid, ji->host ? ji->host : "?");
    else
        snprintf(msg, sizeof msg, "heartbeat stopped at %s, its driver never started", ts);
    char *r = gnv__strdup(msg);
    if (r) {
        gnv__free(ji->reason);
        ji->reason = r;
    }
    ji->state = GNV_JOB_FAILED;
}

/* ---- writing records --------------------------------------------------------------- */

static int64_t get_i64(const gnv_job_info *ji, const jcol *c)
{
    const char *p = (const char *)ji + c->off;
    if (c->type == C_STATE || c->type == C_BOOL)
        return *(const int *)p;
    return *(const int64_t *)p;
}

/* Append one row holding *ji. */
static int record_insert(gnv_table *jt, const gnv_job_info *ji)
{
    int rc = GNV_OK;
    struct ArrowSchema s = {0};
    struct ArrowArray a = {0};
    struct ArrowArrayStream st = {0};
    GNV_TRYG(jobs_schema(&s));
    GNV_TRYG(gnv__array_init(&a, &s));
    for (size_t i = 0; i < N_COLS; i++) {
        const jcol *c = &COLS[i];
        struct ArrowArray *ch = a.children[i];
        const char *p = (const char *)ji + c->off;
        switch (c->type) {
        case C_STR: {
            const char *v = *(char *const *)p;
            GNV_TRYG(gnv__array_append_bytes(ch, v ? v : "", v ? strlen(v) : 0));
            break;
        }
        case C_STATE: {
            const char *v = gnv_job_state_name(ji->state);
            GNV_TRYG(gnv__array_append_bytes(ch, v, strlen(v)));
            break;
        }
        case C_TS:
            if (*(const int64_t *)p == 0)
                GNV_TRYG(gnv__array_append_null(ch, 1));
            else
                GNV_TRYG(gnv__array_append_int(ch, *(const int64_t *)p));
            break;
        case C_I64:
            GNV_TRYG(gnv__array_append_int(ch, *(const int64_t *)p));
            break;
        case C_F64:
            GNV_TRYG(gnv__array_append_double(ch, *(const double *)p));
            break;
        case C_BOOL:
            GNV_TRYG(gnv__array_append_bool(ch, *(const int *)p != 0));
            break;
        }
    }
    GNV_TRYG(gnv__array_finish_element(&a));
    GNV_TRYG(gnv__array_finish(&a));
    GNV_TRYG(gnv__stream_from_arrays(&st, &s, &a, 1));
    GNV_TRYG(gnv_table_add(jt, &st, NULL));
done:
    gnv__stream_release(&st);
    gnv__array_release(&a);
    gnv__schema_release(&s);
    return rc;
}

/* A SQL string literal. */
static int put_sql_string(gnv_buf *b, const char *s)
{
    int rc = gnv__buf_putc(b, '\'');
    for (; rc == GNV_OK && s && *s; s++)
        rc = *s == '\'' ? gnv__buf_puts(b, "''") : gnv__buf_putc(b, *s);
    return rc == GNV_OK ? gnv__buf_putc(b, '\'') : rc;
}

/* "id = '<id>'" plus " AND <extra>" */
static int id_where(gnv_buf *b, const char *id, const char *extra)
{
    int rc = gnv__buf_puts(b, "id = ");
    if (rc == GNV_OK)
        rc = put_sql_string(b, id);
    if (rc == GNV_OK && extra)
        rc = gnv__buf_printf(b, " AND %s", extra);
    return rc;
}

/* Set the columns of `mask` of job ji->id to ji's values, where `extra` also holds
 * (NULL: always). *updated_out (may be NULL): rows changed (0 or 1). */
static int record_update(
    gnv_table *jt, const gnv_job_info *ji, uint64_t mask, const char *extra, int64_t *updated_out)
{
    int rc = GNV_OK;
    const char *names[N_COLS];
    char *vals[N_COLS];
    size_t n = 0;
    gnv_buf where = GNV_BUF_INIT, v = GNV_BUF_INIT;
    for (size_t i = 0; i < N_COLS; i++) {
        if (!(mask & BIT(i)))
            continue;
        const jcol *c = &COLS[i];
        const char *p = (const char *)ji + c->off;
        gnv__buf_clear(&v);
        switch (c->type) {
        case C_STR:
            GNV_TRYG(put_sql_string(&v, *(char *const *)p));
            break;
        case C_STATE:
            GNV_TRYG(put_sql_string(&v, gnv_job_state_name(ji->state)));
            break;
        case C_TS:
            if (*(const int64_t *)p == 0) {
                GNV_TRYG(gnv__buf_puts(&v, "NULL"));
            } else {
                char ts[40];
                format_ts(ts, sizeof ts, *(const int64_t *)p);
                GNV_TRYG(gnv__buf_printf(&v, "TIMESTAMP '%s'", ts));
            }
            break;
        case C_I64:
            GNV_TRYG(gnv__buf_printf(&v, "%" PRId64, get_i64(ji, c)));
            break;
        case C_F64:
            GNV_TRYG(gnv__buf_printf(&v, "%.6f", *(const double *)p));
            break;
        case C_BOOL:
            GNV_TRYG(gnv__buf_puts(&v, *(const int *)p ? "true" : "false"));
            break;
        }
        names[n] = c->name;
        vals[n] = gnv__buf_detach(&v, NULL);
        GNV_CHECK_ALLOC(vals[n]);
        n++;
    }
    GNV_TRYG(id_where(&where, ji->id, extra));
    GNV_TRYG(gnv_table_checkout_latest(jt));
    GNV_TRYG(gnv_table_update(jt, where.ptr, names, (const char *const *)vals, n, updated_out));
done:
    for (size_t i = 0; i < n; i++)
        gnv__free(vals[i]);
    gnv_buf_dispose(&where);
    gnv_buf_dispose(&v);
    return rc;
}

/* ---- reading records ----------------------------------------------------------------- */

static int read_row(gnv_job_info *ji, const gnv_array_view *v, int64_t row)
{
    memset(ji, 0, sizeof *ji);
    for (size_t i = 0; i < N_COLS; i++) {
        const jcol *c = &COLS[i];
        const gnv_array_view *ch = &v->children[i];
        int64_t r = gnv__view_struct_index(v, row);
        char *p = (char *)ji + c->off;
        bool null = gnv__view_is_null(ch, r);
        switch (c->type) {
        case C_STR: {
            int64_t len = 0;
            const uint8_t *b = null ? NULL : gnv__view_get_bytes(ch, r, &len);
            char *s = gnv__strndup(b ? (const char *)b : "", b ? (size_t)len : 0);
            if (!s) {
                gnv_job_info_reset(ji);
                return gnv__error_oom();
            }
            *(char **)p = s;
            break;
        }
        case C_STATE: {
            int64_t len = 0;
            const uint8_t *b = null ? NULL : gnv__view_get_bytes(ch, r, &len);
            int st = b ? state_of((const char *)b, (size_t)len) : -1;
            *(int *)p = st < 0 ? GNV_JOB_FAILED : st;
            break;
        }
        case C_TS:
        case C_I64:
            *(int64_t *)p = null ? 0 : gnv__view_get_int(ch, r);
            break;
        case C_F64:
            *(double *)p = null ? 0 : gnv__view_get_double(ch, r);
            break;
        case C_BOOL:
            *(int *)p = !null && gnv__view_get_bool(ch, r);
            break;
        }
    }
    return GNV_OK;
}

/* The records `where` selects (NULL: all), in table order, staleness applied when
 * `stale` is set. */
static int
records_read(gnv_job_info **list_out, size_t *n_out, gnv_table *jt, const char *where, bool stale)
{
    int rc = GNV_OK;
    struct ArrowArrayStream s = {0};
    struct ArrowSchema schema = {0};
    struct ArrowArray batch = {0};
    gnv_array_view v = {0};
    bool has_view = false;
    gnv_job_info *list = NULL;
    size_t n = 0, cap = 0;
    char host[256];
    host_name(host, sizeof host);
    int64_t now = now_us();
    *list_out = NULL;
    *n_out = 0;
    gnv_scan_options so = GNV_SCAN_OPTIONS_INIT;
    so.where = where;
    GNV_TRYG(gnv_table_checkout_latest(jt));
    GNV_TRYG(gnv_table_scan(jt, &so, &s));
    GNV_TRYG(gnv__stream_get_schema(&s, &schema));
    for (;;) {
        rc = gnv__stream_next(&s, &batch);
        if (rc == GNV_ITEROVER) {
            rc = GNV_OK;
            break;
        }
        if (rc < 0)
            goto done;
        GNV_TRYG(gnv__array_view_init(&v, &schema, &batch));
        has_view = true;
        for (int64_t r = 0; r < batch.length; r++) {
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 8;
                gnv_job_info *g = gnv__reallocarray(list, nc, sizeof *g);
                GNV_CHECK_ALLOC(g);
                list = g;
                cap = nc;
            }
            GNV_TRYG(read_row(&list[n], &v, r));
            if (stale)
                apply_staleness(&list[n], host, now);
            n++;
        }
        gnv__array_view_reset(&v);
        has_view = false;
        gnv__array_release(&batch);
    }
    *list_out = list;
    *n_out = n;
    list = NULL;
done:
    if (has_view)
        gnv__array_view_reset(&v);
    gnv__array_release(&batch);
    gnv__schema_release(&schema);
    gnv__stream_release(&s);
    gnv_job_info_list_free(list, n);
    return rc;
}

static int read_one(gnv_job_info *out, gnv_table *jt, const char *id, bool stale)
{
    int rc = GNV_OK;
    gnv_buf where = GNV_BUF_INIT;
    gnv_job_info *list = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    GNV_TRYG(id_where(&where, id, NULL));
    GNV_TRYG(records_read(&list, &n, jt, where.ptr, stale));
    GNV_ERR_IF(n == 0, GNV_ENOTFOUND, GNV_SUB_JOB, "no job '%s' in %s", id, GNV_JOBS_TABLE);
    *out = list[n - 1];
    memset(&list[n - 1], 0, sizeof list[n - 1]);
done:
    gnv_job_info_list_free(list, n);
    gnv_buf_dispose(&where);
    return rc;
}

/* Record the jobs that read FAILED (dead drivers) as FAILED, each only if its heartbeat
 * is still the one read (another process may have revived or ended it meanwhile). */
static void record_stale(gnv_table *jt)
{
    gnv_job_info *list = NULL;
    size_t n = 0;
    if (records_read(&list, &n, jt, "state = 'RUNNING' OR state = 'PENDING'", false) < 0) {
        gnv_error_clear();
        return;
    }
    char host[256];
    host_name(host, sizeof host);
    int64_t now = now_us();
    for (size_t i = 0; i < n; i++) {
        gnv_job_info *ji = &list[i];
        int64_t hb = ji->heartbeat_us;
        char cond[128];
        if (hb) {
            char ts[40];
            format_ts(ts, sizeof ts, hb);
            snprintf(cond, sizeof cond, "state = '%s' AND heartbeat = TIMESTAMP '%s'",
                     gnv_job_state_name(ji->state), ts);
        } else {
            snprintf(cond, sizeof cond, "state = '%s' AND heartbeat IS NULL",
                     gnv_job_state_name(ji->state));
        }
        apply_staleness(ji, host, now);
        if (ji->state != GNV_JOB_FAILED)
            continue;
        ji->ended_us = now;
        if (record_update(jt, ji, BIT(K_STATE) | BIT(K_REASON) | BIT(K_ENDED), cond, NULL) < 0)
            gnv_error_clear();
    }
    gnv_job_info_list_free(list, n);
}

/* ---- the running job --------------------------------------------------------------- */

struct gnv__jobrun {
    gnv_job_info rec; /* the record as this driver writes it */
    char *db_path;
    gnv_db *db;    /* the backfill thread's (borrowed) */
    gnv_table *jt; /* on db: begin and end */
    atomic_int cancel;
    pthread_mutex_t mu; /* guards what follows */
    pthread_cond_t cv;
    bool stop;
    gnv_backfill_stats st;
    gnv__job_metrics m;
    gnv_buf warnings;
    pthread_t hb;
    bool hb_started;          /* created */
    bool hb_running;          /* in heartbeat_main: its thread's start-up allocations are done */
    struct gnv__jobrun *next; /* the registry */
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static gnv__jobrun *reg_head;

static void reg_add(gnv__jobrun *r)
{
    pthread_mutex_lock(&reg_mu);
    r->next = reg_head;
    reg_head = r;
    pthread_mutex_unlock(&reg_mu);
}

static void reg_remove(gnv__jobrun *r)
{
    pthread_mutex_lock(&reg_mu);
    for (gnv__jobrun **p = &reg_head; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    pthread_mutex_unlock(&reg_mu);
}

static bool running_here(const char *id)
{
    bool found = false;
    pthread_mutex_lock(&reg_mu);
    for (gnv__jobrun *r = reg_head; r && !found; r = r->next)
        found = !strcmp(r->rec.id, id);
    pthread_mutex_unlock(&reg_mu);
    return found;
}

void gnv__jobs_after_fork(void)
{
    /* another thread may have held the lock when the process forked */
    pthread_mutex_init(&reg_mu, NULL);
    reg_head = NULL;
}

bool gnv__jobs_live(const char *id, gnv_backfill_stats *st_out)
{
    bool found = false;
    pthread_mutex_lock(&reg_mu);
    for (gnv__jobrun *r = reg_head; r && !found; r = r->next)
        if (!strcmp(r->rec.id, id)) {
            pthread_mutex_lock(&r->mu);
            *st_out = r->st;
            pthread_mutex_unlock(&r->mu);
            found = true;
        }
    pthread_mutex_unlock(&reg_mu);
    return found;
}

static void cancel_live(const char *id)
{
    pthread_mutex_lock(&reg_mu);
    for (gnv__jobrun *r = reg_head; r; r = r->next)
        if (!strcmp(r->rec.id, id))
            atomic_store(&r->cancel, 1);
    pthread_mutex_unlock(&reg_mu);
}

gnv__job_metrics *gnv__job_metrics_new(gnv__job_metrics *fallback)
{
    memset(fallback, 0, sizeof *fallback);
    void *p =
        mmap(NULL, sizeof *fallback, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? fallback : p; /* mmap gives zeroed pages */
}

void gnv__job_metrics_free(gnv__job_metrics *m, const gnv__job_metrics *fallback)
{
    if (m && m != fallback)
        munmap(m, sizeof *m);
}

bool gnv__jobrun_cancelled(const gnv__jobrun *r)
{
    return r && atomic_load(&((gnv__jobrun *)r)->cancel) != 0;
}

/* Fill the record's counters from st and m (under mu, or before the thread runs). */
static void fill_counters(gnv__jobrun *r, const gnv_backfill_stats *st, const gnv__job_metrics *m)
{
    gnv_job_info *ji = &r->rec;
    ji->rows_planned = st->rows;
    ji->rows_computed = st->rows_computed;
    ji->fragments = st->fragments;
    ji->fragments_committed = st->fragments_committed;
    ji->rows_checkpointed = m->rows_reused + st->rows_computed;
    ji->rows_committed = m->rows_committed;
    ji->rows_skipped = m->rows_skipped + st->rows_skipped;
    ji->rows_failed = m->rows_failed;
    ji->active_workers = m->active_workers;
    ji->read_seconds = (double)m->read_us / 1e6;
    ji->udf_seconds = (double)m->udf_us / 1e6;
    ji->checkpoint_seconds = (double)m->ckpt_us / 1e6;
    ji->commit_seconds = (double)m->commit_us / 1e6;
    ji->conflict_retries = m->conflict_retries;
}

void gnv__jobrun_progress(gnv__jobrun *r, const gnv_backfill_stats *st, const gnv__job_metrics *m)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->st = *st;
    r->m = *m;
    pthread_mutex_unlock(&r->mu);
}

void gnv__jobrun_warn(gnv__jobrun *r, const char *msg)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    if (r->warnings.size)
        (void)gnv__buf_puts(&r->warnings, "; ");
    (void)gnv__buf_puts(&r->warnings, msg);
    pthread_mutex_unlock(&r->mu);
}

/* Replace the record's reason by the warnings (plus `extra`). */
static void set_reason(gnv__jobrun *r, const char *extra)
{
    gnv_buf b = GNV_BUF_INIT;
    if (extra && *extra)
        (void)gnv__buf_puts(&b, extra);
    if (r->warnings.size) {
        if (b.size)
            (void)gnv__buf_puts(&b, "; ");
        (void)gnv__buf_put(&b, r->warnings.ptr, r->warnings.size);
    }
    char *s = gnv__buf_detach(&b, NULL);
    gnv_buf_dispose(&b);
    if (!s)
        s = gnv__strdup("");
    if (s) {
        gnv__free(r->rec.reason);
        r->rec.reason = s;
    }
}

/* After a write: compact the one-fragment-per-job table once it has COMPACT_FRAGMENTS
 * fragments, and at every CLEANUP_EVERY-th version remove versions older than an hour
 * (failures are ignored: the next one tries again). */
static void maybe_cleanup(gnv_table *jt)
{
    if (jt->m->n_fragments >= COMPACT_FRAGMENTS && gnv_table_optimize(jt, NULL, NULL) < 0)
        gnv_error_clear();
    if (gnv_table_version(jt) % CLEANUP_EVERY != 0)
        return;
    gnv_cleanup_options co = GNV_CLEANUP_OPTIONS_INIT;
    co.older_than_seconds = 3600;
    if (gnv_table_cleanup(jt, &co, NULL) < 0)
        gnv_error_clear();
}

/* The heartbeat thread holds this gate while it works (allocating, writing), and fork()
 * takes it first (pthread_atfork), so a process executor's worker is never forked while
 * the heartbeat is inside the allocator or holds a lock the child would inherit locked
 * (sanitizer allocators before LLVM 15 deadlock there). */
static pthread_mutex_t fork_gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t fork_gate_once = PTHREAD_ONCE_INIT;

static void fork_gate_lock(void)
{
    pthread_mutex_lock(&fork_gate);
}

static void fork_gate_unlock(void)
{
    pthread_mutex_unlock(&fork_gate);
}

static void fork_gate_install(void)
{
    pthread_atfork(fork_gate_lock, fork_gate_unlock, fork_gate_unlock);
}

static void *heartbeat_main(void *arg)
{
    gnv__jobrun *r = arg;
    gnv_db *db = NULL;
    gnv_table *jt = NULL;
    gnv_job_info *snap = NULL;
    bool opened = false;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    pthread_mutex_lock(&r->mu);
    r->hb_running = true;
    pthread_cond_broadcast(&r->cv);
    while (!r->stop) {
        /* at a fixed rate: the next heartbeat is due one interval after the last was due
         * (at once when writing took longer) */
        double iv = r->rec.heartbeat_seconds;
        dl.tv_sec += (time_t)iv;
        dl.tv_nsec += (long)((iv - (double)(time_t)iv) * 1e9);
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (dl.tv_sec < now.tv_sec || (dl.tv_sec == now.tv_sec && dl.tv_nsec < now.tv_nsec))
            dl = now;
        while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &dl) != ETIMEDOUT) {
        }
        if (r->stop)
            continue;
        if (!opened) { /* at the first heartbeat: a short job allocates nothing here */
            opened = true;
            pthread_mutex_unlock(&r->mu);
            fork_gate_lock();
            snap = gnv__calloc(1, sizeof *snap);
            if (!snap || gnv_db_open(&db, r->db_path, NULL) < 0 || gnv__jobs_open(&jt, db) < 0)
                gnv_error_clear();
            fork_gate_unlock();
            pthread_mutex_lock(&r->mu);
            if (r->stop)
                continue;
        }
        if (!jt || !snap)
            continue;
        fork_gate_lock(); /* before the allocations of set_reason */
        fill_counters(r, &r->st, &r->m);
        r->rec.heartbeat_us = now_us();
        set_reason(r, NULL);
        /* a shallow copy: the strings written are id and reason, owned by r->rec and
         * only replaced under mu */
        *snap = r->rec;
        char *reason = gnv__strdup(r->rec.reason ? r->rec.reason : "");
        pthread_mutex_unlock(&r->mu);
        snap->reason = reason;
        snap->state = GNV_JOB_RUNNING;
        if (reason &&
            record_update(jt, snap, COUNTERS | BIT(K_HEARTBEAT) | BIT(K_STATE) | BIT(K_REASON),
                          NULL, NULL) < 0)
            gnv_error_clear();
        gnv__free(reason);
        gnv_job_info cur;
        if (read_one(&cur, jt, snap->id, false) == GNV_OK) {
            if (cur.cancel_requested)
                atomic_store(&r->cancel, 1);
            gnv_job_info_reset(&cur);
        } else {
            gnv_error_clear();
        }
        maybe_cleanup(jt);
        memset(snap, 0, sizeof *snap);
        fork_gate_unlock();
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    fork_gate_lock();
    gnv__free(snap);
    gnv_table_close(jt);
    gnv_db_close(db);
    fork_gate_unlock();
    return NULL;
}

static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 39)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

/* The options as JSON (what `geneva jobs` shows). */
static char *options_json(const gnv_backfill_options *o)
{
    gnv_buf b = GNV_BUF_INIT;
    int rc = gnv__buf_puts(&b, "{\"where\":");
    if (rc == GNV_OK && o && o->where) {
        rc = gnv__buf_putc(&b, '"');
        for (const char *p = o->where; rc == GNV_OK && *p; p++) {
            if (*p == '"' || *p == '\\')
                rc = gnv__buf_printf(&b, "\\%c", *p);
            else if ((unsigned char)*p < 0x20)
                rc = gnv__buf_printf(&b, "\\u%04x", *p);
            else
                rc = gnv__buf_putc(&b, *p);
        }
        if (rc == GNV_OK)
            rc = gnv__buf_putc(&b, '"');
    } else if (rc == GNV_OK) {
        rc = gnv__buf_puts(&b, "null");
    }
    if (rc == GNV_OK && o)
        rc = gnv__buf_printf(&b,
                             ",\"executor\":\"%s\",\"concurrency\":%d,\"checkpoint_size\":%" PRId64
                             ",\"task_size\":%" PRId64 ",\"commit_granularity\":%" PRId64
                             ",\"read_version\":%" PRIu64 ",\"num_frags\":%" PRId64
                             ",\"skip_frags\":%" PRId64 ",\"detached\":%s}",
                             o->executor == GNV_EXECUTOR_PROCESS ? "process" : "inline",
                             o->concurrency, o->checkpoint_size, o->task_size,
                             o->commit_granularity, o->read_version, o->num_frags, o->skip_frags,
                             o->version >= 2 && o->detached ? "true" : "false");
    else if (rc == GNV_OK)
        rc = gnv__buf_putc(&b, '}');
    char *s = rc == GNV_OK ? gnv__buf_detach(&b, NULL) : NULL;
    gnv_buf_dispose(&b);
    return s;
}

/* A new record of job `id` in `state`. */
static int record_new(gnv_job_info *ji,
                      const char *id,
                      const char *table,
                      const char *column,
                      const gnv_backfill_options *o,
                      int state)
{
    char host[256];
    host_name(host, sizeof host);
    memset(ji, 0, sizeof *ji);
    ji->id = gnv__strdup(id);
    ji->kind = gnv__strdup("backfill");
    ji->table = gnv__strdup(table);
    ji->column = gnv__strdup(column);
    ji->options = options_json(o);
    ji->reason = gnv__strdup("");
    ji->host = gnv__strdup(host);
    ji->state = state;
    ji->created_us = ji->heartbeat_us = now_us();
    ji->heartbeat_seconds = gnv__heartbeat_seconds();
    if (!ji->id || !ji->kind || !ji->table || !ji->column || !ji->options || !ji->reason ||
        !ji->host) {
        gnv_job_info_reset(ji);
        return gnv__error_oom();
    }
    return GNV_OK;
}

int gnv__jobs_record_pending(
    char **id_out, gnv_db *db, const char *table, const char *column, const gnv_backfill_options *o)
{
    int rc = GNV_OK;
    gnv_table *jt = NULL;
    gnv_job_info ji = {0};
    char id[40];
    *id_out = NULL;
    if (o && o->job_id) {
        GNV_ERR_IF(!valid_id(o->job_id), GNV_EINVAL, GNV_SUB_JOB,
                   "job id '%.60s': use 1 to 39 letters, digits, '-' and '_'", o->job_id);
        snprintf(id, sizeof id, "%s", o->job_id);
    } else {
        GNV_TRYG(gnv__job_id_new(id));
    }
    GNV_TRYG(gnv__jobs_open(&jt, db));
    record_stale(jt);
    GNV_TRYG(record_new(&ji, id, table, column, o, GNV_JOB_PENDING));
    /* a thread of this process will drive it; a detached driver records its own pid */
    ji.pid = o && o->version >= 2 && o->detached ? 0 : (int64_t)getpid();
    GNV_TRYG(record_insert(jt, &ji));
    *id_out = gnv__strdup(id);
    GNV_CHECK_ALLOC(*id_out);
done:
    gnv_job_info_reset(&ji);
    gnv_table_close(jt);
    return rc;
}

int gnv__jobs_record_failed(gnv_db *db, const char *id, const char *reason)
{
    int rc = GNV_OK;
    gnv_table *jt = NULL;
    gnv_job_info ji = {0};
    rc = jobs_open_existing(&jt, db);
    if (rc == GNV_ENOTFOUND) /* never recorded: nothing to mark */
        return GNV_OK;
    GNV_TRYG(rc);
    ji.id = (char *)id;
    ji.reason = (char *)reason;
    ji.state = GNV_JOB_FAILED;
    ji.ended_us = ji.heartbeat_us = now_us();
    GNV_TRYG(record_update(jt, &ji, BIT(K_STATE) | BIT(K_REASON) | BIT(K_ENDED) | BIT(K_HEARTBEAT),
                           "(state = 'PENDING' OR state = 'RUNNING')", NULL));
done:
    gnv_table_close(jt);
    return rc;
}

int gnv__jobs_read(gnv_job_info *out, gnv_db *db, const char *id)
{
    gnv_table *jt = NULL;
    memset(out, 0, sizeof *out);
    int rc = jobs_open_existing(&jt, db);
    if (rc == GNV_ENOTFOUND)
        rc = gnv__error_set(rc, GNV_SUB_JOB, "no job '%s' in %s", id, GNV_JOBS_TABLE);
    if (rc == GNV_OK)
        rc = read_one(out, jt, id, true);
    gnv_table_close(jt);
    return rc;
}

int gnv__jobs_request_cancel(gnv_db *db, const char *id)
{
    int rc = GNV_OK;
    gnv_table *jt = NULL;
    gnv_job_info ji = {0};
    rc = jobs_open_existing(&jt, db);
    GNV_ERR_IF(rc == GNV_ENOTFOUND, rc, GNV_SUB_JOB, "no job '%s' in %s", id, GNV_JOBS_TABLE);
    GNV_TRYG(rc);
    ji.id = (char *)id;
    ji.cancel_requested = 1;
    GNV_TRYG(
        record_update(jt, &ji, BIT(K_CANCEL), "(state = 'PENDING' OR state = 'RUNNING')", NULL));
done:
    /* after the record: a job of this process ends (and records its end) only then */
    cancel_live(id);
    gnv_table_close(jt);
    return rc;
}

int gnv_db_list_jobs(gnv_db *db, const char *table, gnv_job_info **list_out, size_t *n_out)
{
    int rc = GNV_OK;
    gnv_table *jt = NULL;
    gnv_buf where = GNV_BUF_INIT;
    if (list_out)
        *list_out = NULL;
    if (n_out)
        *n_out = 0;
    GNV_ERR_IF(!db || !list_out || !n_out, GNV_EINVAL, GNV_SUB_JOB,
               "gnv_db_list_jobs: NULL argument");
    rc = jobs_open_existing(&jt, db);
    if (rc == GNV_ENOTFOUND) { /* no job was ever recorded */
        rc = GNV_OK;
        goto done;
    }
    GNV_TRYG(rc);
    if (table) {
        GNV_TRYG(gnv__buf_puts(&where, "\"table\" = "));
        GNV_TRYG(put_sql_string(&where, table));
    }
    GNV_TRYG(records_read(list_out, n_out, jt, table ? where.ptr : NULL, true));
    /* oldest first */
    for (size_t i = 1; i < *n_out; i++)
        for (size_t k = i; k > 0 && (*list_out)[k - 1].created_us > (*list_out)[k].created_us;
             k--) {
            gnv_job_info tmp = (*list_out)[k];
            (*list_out)[k] = (*list_out)[k - 1];
            (*list_out)[k - 1] = tmp;
        }
done:
    gnv_buf_dispose(&where);
    gnv_table_close(jt);
    return rc;
}

int gnv__jobrun_begin(gnv__jobrun **out,
                      gnv_table *t,
                      const char *column,
                      const gnv_backfill_options *o,
                      gnv_backfill_stats *st)
{
    int rc = GNV_OK;
    gnv__jobrun *r = gnv__calloc(1, sizeof *r);
    gnv_job_info old = {0};
    char id[40];
    bool have_old = false;
    *out = NULL;
    const char *track = getenv("GENEVA_JOB_TRACKING");
    if (track && !strcmp(track, "0") && !o->job_id) { /* not recorded (see docs/backfill.md) */
        gnv__free(r);
        return GNV_OK;
    }
    GNV_CHECK_ALLOC(r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    atomic_init(&r->cancel, 0);
    r->db = t->db;
    r->db_path = gnv__strdup(t->db->path);
    GNV_CHECK_ALLOC(r->db_path);
    if (st->job_id[0]) {
        snprintf(id, sizeof id, "%s", st->job_id);
    } else if (o->job_id) {
        GNV_ERR_IF(!valid_id(o->job_id), GNV_EINVAL, GNV_SUB_JOB,
                   "job id '%.60s': use 1 to 39 letters, digits, '-' and '_'", o->job_id);
        snprintf(id, sizeof id, "%s", o->job_id);
    } else {
        GNV_TRYG(gnv__job_id_new(id));
    }
    GNV_TRYG(gnv__jobs_open(&r->jt, t->db));
    record_stale(r->jt);
    /* a record to take over only when the caller named the id */
    rc = o->job_id ? read_one(&old, r->jt, id, false) : GNV_ENOTFOUND;
    if (rc == GNV_ENOTFOUND) {
        gnv_error_clear();
        rc = GNV_OK;
    } else if (rc < 0) {
        goto done;
    } else {
        have_old = true;
    }
    GNV_TRYG(record_new(&r->rec, id, gnv_table_name(t), column, o, GNV_JOB_RUNNING));
    r->rec.pid = (int64_t)getpid();
    r->rec.started_us = r->rec.heartbeat_us = now_us();
    if (have_old) {
        /* a PENDING record of gnv_table_backfill_async(), or a run again under an id */
        r->rec.created_us = old.created_us;
        r->rec.cancel_requested = old.cancel_requested;
        if (old.cancel_requested)
            atomic_store(&r->cancel, 1);
        GNV_TRYG(record_update(r->jt, &r->rec, ~BIT(0) & ~BIT(K_CANCEL) & (BIT(N_COLS) - 1), NULL,
                               NULL));
    } else {
        GNV_TRYG(record_insert(r->jt, &r->rec));
    }
    snprintf(st->job_id, sizeof st->job_id, "%s", id);
    r->st = *st;
    reg_add(r);
    pthread_once(&fork_gate_once, fork_gate_install);
    if (pthread_create(&r->hb, NULL, heartbeat_main, r) == 0) {
        r->hb_started = true;
        /* the new thread allocates as it starts (outside the fork gate): wait for that
         * to end, so that a worker forked next never inherits the allocator locked */
        pthread_mutex_lock(&r->mu);
        while (!r->hb_running)
            pthread_cond_wait(&r->cv, &r->mu);
        pthread_mutex_unlock(&r->mu);
    }
    *out = r;
    r = NULL;
done:
    gnv_job_info_reset(&old);
    if (r) {
        gnv_table_close(r->jt);
        gnv_job_info_reset(&r->rec);
        gnv__free(r->db_path);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        gnv__free(r);
    }
    return rc;
}

int gnv__jobrun_end(gnv__jobrun *r, int rc, const gnv_backfill_stats *st, const gnv__job_metrics *m)
{
    if (!r)
        return rc;
    /* keep the caller's error */
    const gnv_error *e = gnv_error_last();
    int sub = e ? e->subsystem : GNV_SUB_JOB;
    char *msg = gnv__strdup(e && e->message ? e->message : "");

    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->hb_started)
        pthread_join(r->hb, NULL);
    reg_remove(r);

    gnv__job_metrics mm = *m;
    mm.active_workers = 0;
    fill_counters(r, st, &mm);
    char extra[1024] = "";
    if (rc == GNV_ECANCELED) {
        r->rec.state = GNV_JOB_CANCELLED;
        snprintf(extra, sizeof extra, "cancelled");
    } else if (rc < 0) {
        r->rec.state = GNV_JOB_FAILED;
        snprintf(extra, sizeof extra, "%s", msg && *msg ? msg : gnv_strerror(rc));
    } else if (st->state == GNV_BACKFILL_DONE_WITH_ERRORS || st->rows_skipped > 0 ||
               st->fragments_skipped > 0 || st->task_errors > 0) {
        r->rec.state = GNV_JOB_DONE_WITH_ERRORS;
        snprintf(extra, sizeof extra,
                 "%" PRId64 " rows skipped, %" PRId64 " fragments changed meanwhile (left for a "
                 "re-run)",
                 r->rec.rows_skipped, st->fragments_skipped);
    } else {
        r->rec.state = GNV_JOB_DONE;
    }
    if (r->rec.state == GNV_JOB_FAILED || r->rec.state == GNV_JOB_CANCELLED) {
        int64_t left = r->rec.rows_planned - r->rec.rows_checkpointed - r->rec.rows_skipped;
        if (r->rec.state == GNV_JOB_FAILED && left > 0)
            r->rec.rows_failed = left;
    }
    set_reason(r, extra);
    r->rec.ended_us = r->rec.heartbeat_us = now_us();
    int wrc = record_update(
        r->jt, &r->rec, COUNTERS | BIT(K_STATE) | BIT(K_REASON) | BIT(K_ENDED) | BIT(K_HEARTBEAT),
        NULL, NULL);
    if (wrc == GNV_OK)
        maybe_cleanup(r->jt);
    if (wrc < 0 && rc == GNV_OK) {
        /* the work is committed but its record is not: say so */
        gnv__error_prefix("job %s: its work is committed, but its end could not be recorded in "
                          "%s",
                          r->rec.id ? r->rec.id : "?", GNV_JOBS_TABLE);
        rc = wrc;
        gnv__free(msg);
        const gnv_error *we = gnv_error_last();
        msg = gnv__strdup(we && we->message ? we->message : "");
        sub = we ? we->subsystem : GNV_SUB_JOB;
    }

    gnv_table_close(r->jt);
    gnv_job_info_reset(&r->rec);
    gnv_buf_dispose(&r->warnings);
    gnv__free(r->db_path);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    gnv__free(r);
    if (rc < 0)
        gnv__error_set(rc, sub, "%s", msg ? msg : gnv_strerror(rc));
    else
        gnv_error_clear();
    gnv__free(msg);
    return rc;
}
