/*
 * Async backfill jobs: gnv_table_backfill_async() records the job PENDING and runs
 * gnv_table_backfill() under that id, in a thread of this process or in a detached
 * driver process (fork, setsid, fork: reparented to init, so it outlives its starter);
 * gnv_job handles wait for it, read its record and cancel it. A handle on a job of
 * another process (detached, or gnv_job_open()) polls `geneva_jobs`.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

#define POLL_SECONDS 0.2

/* What a job's thread and the handles on it share. */
typedef struct async_shared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs; /* the thread and the handle */
    bool done;
    int rc, sub;
    char *msg;
    gnv_backfill_stats st;
    /* the job's inputs (owned copies) */
    char *db_path, *table, *column, *where, *id, *match;
    gnv_on_error on_error;
    gnv_backfill_options o;
} async_shared;

struct gnv_job {
    char *id;
    gnv_db *db;
    bool own_db;
    async_shared *sh; /* a job of this handle's thread, or NULL */
};

static void shared_free(async_shared *sh)
{
    gnv__free(sh->msg);
    gnv__free(sh->db_path);
    gnv__free(sh->table);
    gnv__free(sh->column);
    gnv__free(sh->where);
    gnv__free(sh->id);
    gnv__free(sh->match);
    pthread_mutex_destroy(&sh->mu);
    pthread_cond_destroy(&sh->cv);
    gnv__free(sh);
}

static void shared_unref(async_shared *sh)
{
    pthread_mutex_lock(&sh->mu);
    bool last = --sh->refs == 0;
    pthread_mutex_unlock(&sh->mu);
    if (last)
        shared_free(sh);
}

/* Options of gnv_table_backfill() from the caller's (any version), defaults elsewhere. */
static int copy_options(gnv_backfill_options *out, const gnv_backfill_options *opts)
{
    gnv_backfill_options d = GNV_BACKFILL_OPTIONS_INIT;
    if (opts) {
        if (opts->version == 0 || opts->version > GNV_BACKFILL_OPTIONS_VERSION)
            return gnv__error_set(GNV_EVERSION, GNV_SUB_JOB,
                                  "backfill options version %u (this library knows 1 to %d)",
                                  opts->version, GNV_BACKFILL_OPTIONS_VERSION);
        if (opts->version == 1)
            memcpy(&d, opts, offsetof(gnv_backfill_options, on_error));
        else if (opts->version == 2) /* ends before udf */
            memcpy(&d, opts, offsetof(gnv_backfill_options, udf));
        else
            d = *opts;
        d.version = GNV_BACKFILL_OPTIONS_VERSION;
    }
    if (d.timeout < 0)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB, "backfill options: negative timeout %g",
                              d.timeout);
    *out = d;
    return GNV_OK;
}

/* Run the job `sh` describes in this process (thread or driver). */
static int run_job(async_shared *sh, gnv_backfill_stats *st)
{
    int rc = GNV_OK;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    memset(st, 0, sizeof *st);
    GNV_TRYG(gnv_db_open(&db, sh->db_path, NULL));
    GNV_TRYG(gnv_db_open_table(&t, db, sh->table));
    rc = gnv_table_backfill(t, sh->column, &sh->o, st);
done:
    if (rc < 0 && db) {
        /* failed before its run was recorded (the job is still PENDING): record it */
        const gnv_error *e = gnv_error_last();
        char msg[1024];
        int sub = e ? e->subsystem : GNV_SUB_JOB;
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : gnv_strerror(rc));
        (void)gnv__jobs_record_failed(db, sh->id, msg);
        gnv__error_set(rc, sub, "%s", msg);
    }
    gnv_table_close(t);
    gnv_db_close(db);
    return rc;
}

static void *thread_main(void *arg)
{
    async_shared *sh = arg;
    gnv_backfill_stats st;
    int rc = run_job(sh, &st);
    const gnv_error *e = rc < 0 ? gnv_error_last() : NULL;
    char *msg = gnv__strdup(e && e->message ? e->message : "");
    pthread_mutex_lock(&sh->mu);
    sh->rc = rc;
    sh->sub = e ? e->subsystem : GNV_SUB_JOB;
    sh->msg = msg;
    sh->st = st;
    sh->done = true;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    gnv_error_clear();
    shared_unref(sh);
    return NULL;
}

/* The detached driver: runs in a new session, its standard streams on /dev/null and
 * no other descriptor of its starter open; ends with _exit. */
static void driver_main(async_shared *sh)
{
    gnv__jobs_after_fork();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    long max = sysconf(_SC_OPEN_MAX);
    for (long i = 3; i < (max > 0 && max < 65536 ? max : 65536); i++)
        close((int)i);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    gnv_backfill_stats st;
    int rc = run_job(sh, &st);
    _exit(rc == GNV_OK ? 0 : 1);
}

static int start_detached(async_shared *sh)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return gnv__error_os(GNV_SUB_JOB, errno, "cannot fork a job driver");
    if (pid == 0) {
        setsid();
        pid_t p2 = fork();
        if (p2 != 0)
            _exit(p2 < 0 ? 1 : 0);
        driver_main(sh);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return gnv__error_set(GNV_EIO, GNV_SUB_JOB, "cannot fork a job driver");
    return GNV_OK;
}

static char *dup_opt(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = gnv__strdup(s);
    if (!d)
        *oom = true;
    return d;
}

int gnv_table_backfill_async(gnv_table *t,
                             const char *column,
                             const gnv_backfill_options *opts,
                             gnv_job **out)
{
    int rc = GNV_OK;
    async_shared *sh = NULL;
    gnv_job *job = NULL;
    gnv__udf_coldef def = {0};
    bool oom = false;
    if (out)
        *out = NULL;
    GNV_ERR_IF(!t || !column || !out, GNV_EINVAL, GNV_SUB_JOB,
               "gnv_table_backfill_async: table, column and out are required");
    sh = gnv__calloc(1, sizeof *sh);
    GNV_CHECK_ALLOC(sh);
    pthread_mutex_init(&sh->mu, NULL);
    pthread_cond_init(&sh->cv, NULL);
    GNV_TRYG(copy_options(&sh->o, opts));
    /* what can be checked before the start: the column, the machine */
    GNV_TRYG(gnv_table_checkout_latest(t));
    GNV_TRYG(gnv__udf_coldef_of(&def, NULL, t, column));
    GNV_TRYG(gnv__admission_check_column(t, column, &sh->o));
    sh->db_path = dup_opt(t->db->path, &oom);
    sh->table = dup_opt(t->name, &oom);
    sh->column = dup_opt(column, &oom);
    sh->where = dup_opt(sh->o.where, &oom);
    GNV_ERR_IF(oom, GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
    sh->o.where = sh->where;
    if (sh->o.on_error) {
        sh->on_error = *sh->o.on_error;
        sh->match = dup_opt(sh->on_error.match, &oom);
        GNV_ERR_IF(oom, GNV_ENOMEM, GNV_SUB_JOB, "out of memory");
        sh->on_error.match = sh->match;
        sh->o.on_error = &sh->on_error;
    }
    GNV_TRYG(gnv__jobs_record_pending(&sh->id, t->db, t->name, column, &sh->o));
    sh->o.job_id = sh->id;
    sh->o.admission_check = 0; /* checked above */
    sh->o.timeout = 0;

    job = gnv__calloc(1, sizeof *job);
    GNV_CHECK_ALLOC(job);
    job->id = gnv__strdup(sh->id);
    GNV_CHECK_ALLOC(job->id);
    GNV_TRYG(gnv_db_open(&job->db, sh->db_path, NULL));
    job->own_db = true;
    if (sh->o.detached) {
        sh->o.progress = NULL;
        sh->o.warn = NULL;
        sh->o.detached = 0;
        rc = start_detached(sh);
    } else {
        pthread_t th;
        sh->refs = 2;
        int e = pthread_create(&th, NULL, thread_main, sh);
        if (e != 0) {
            sh->refs = 0;
            rc = gnv__error_os(GNV_SUB_JOB, e, "cannot start the job's thread");
        } else {
            pthread_detach(th);
            job->sh = sh;
            sh = NULL;
        }
    }
    if (rc < 0) {
        char msg[512];
        const gnv_error *e = gnv_error_last();
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "could not start");
        (void)gnv__jobs_record_failed(job->db, job->id, msg);
        gnv__error_set(rc, GNV_SUB_JOB, "%s", msg);
        goto done;
    }
    *out = job;
    job = NULL;
done:
    gnv__udf_coldef_reset(&def);
    if (sh)
        shared_free(sh);
    gnv_job_free(job);
    return rc;
}

int gnv_job_open(gnv_job **out, gnv_db *db, const char *id)
{
    int rc = GNV_OK;
    gnv_job *job = NULL;
    gnv_job_info ji = {0};
    if (out)
        *out = NULL;
    GNV_ERR_IF(!out || !db || !id, GNV_EINVAL, GNV_SUB_JOB, "gnv_job_open: NULL argument");
    GNV_TRYG(gnv__jobs_read(&ji, db, id));
    job = gnv__calloc(1, sizeof *job);
    GNV_CHECK_ALLOC(job);
    job->id = gnv__strdup(id);
    GNV_CHECK_ALLOC(job->id);
    job->db = db;
    *out = job;
    job = NULL;
done:
    gnv_job_info_reset(&ji);
    gnv_job_free(job);
    return rc;
}

const char *gnv_job_id(const gnv_job *job)
{
    return job ? job->id : NULL;
}

static void stats_of(gnv_backfill_stats *st, const gnv_job_info *ji)
{
    memset(st, 0, sizeof *st);
    snprintf(st->job_id, sizeof st->job_id, "%s", ji->id ? ji->id : "");
    st->rows = ji->rows_planned;
    st->rows_computed = ji->rows_computed;
    st->fragments = ji->fragments;
    st->fragments_committed = ji->fragments_committed;
    st->rows_skipped = ji->rows_skipped;
    st->state = ji->state == GNV_JOB_DONE               ? GNV_BACKFILL_DONE
                : ji->state == GNV_JOB_DONE_WITH_ERRORS ? GNV_BACKFILL_DONE_WITH_ERRORS
                                                        : GNV_BACKFILL_FAILED;
}

static void sleep_seconds(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

int gnv_job_wait(gnv_job *job, double timeout_s, gnv_backfill_stats *out)
{
    int rc = GNV_OK;
    gnv_job_info ji = {0};
    if (!job)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB, "gnv_job_wait: NULL job");
    double deadline = timeout_s >= 0 ? gnv__now() + timeout_s : -1;
    if (job->sh) {
        async_shared *sh = job->sh;
        pthread_mutex_lock(&sh->mu);
        if (timeout_s < 0) {
            while (!sh->done)
                pthread_cond_wait(&sh->cv, &sh->mu);
        } else {
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_sec += (time_t)timeout_s;
            dl.tv_nsec += (long)((timeout_s - (double)(time_t)timeout_s) * 1e9);
            if (dl.tv_nsec >= 1000000000L) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000L;
            }
            while (!sh->done && pthread_cond_timedwait(&sh->cv, &sh->mu, &dl) != ETIMEDOUT) {
            }
        }
        bool done = sh->done;
        int jrc = sh->rc, sub = sh->sub;
        gnv_backfill_stats st = sh->st;
        pthread_mutex_unlock(&sh->mu);
        if (!done) {
            if (out) {
                if (!gnv__jobs_live(job->id, out))
                    memset(out, 0, sizeof *out);
                snprintf(out->job_id, sizeof out->job_id, "%s", job->id);
            }
            return gnv__error_set(GNV_ETIMEOUT, GNV_SUB_JOB,
                                  "job %s: still running after %g s; it goes on", job->id,
                                  timeout_s);
        }
        if (out)
            *out = st;
        if (jrc < 0)
            return gnv__error_set(jrc, sub, "%s", sh->msg ? sh->msg : gnv_strerror(jrc));
        gnv_error_clear();
        return GNV_OK;
    }
    for (;;) {
        gnv_job_info_reset(&ji);
        GNV_TRYG(gnv__jobs_read(&ji, job->db, job->id));
        if (ji.state != GNV_JOB_PENDING && ji.state != GNV_JOB_RUNNING)
            break;
        double now = gnv__now();
        if (deadline >= 0 && now >= deadline) {
            if (out)
                stats_of(out, &ji);
            GNV_ERR_IF(true, GNV_ETIMEOUT, GNV_SUB_JOB, "job %s: still %s after %g s; it goes on",
                       job->id, gnv_job_state_name(ji.state), timeout_s);
        }
        sleep_seconds(deadline >= 0 ? GNV_MIN(POLL_SECONDS, deadline - now) : POLL_SECONDS);
    }
    if (out)
        stats_of(out, &ji);
    if (ji.state == GNV_JOB_CANCELLED)
        GNV_ERR_IF(true, GNV_ECANCELED, GNV_SUB_JOB, "job %s was cancelled", job->id);
    GNV_ERR_IF(ji.state == GNV_JOB_FAILED, GNV_ERROR, GNV_SUB_JOB, "job %s failed: %s", job->id,
               ji.reason && *ji.reason ? ji.reason : "no reason recorded");
done:
    gnv_job_info_reset(&ji);
    return rc;
}

int gnv_job_status(gnv_job *job, gnv_job_info *out)
{
    if (!job || !out)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB, "gnv_job_status: NULL argument");
    int rc = gnv__jobs_read(out, job->db, job->id);
    gnv_backfill_stats st;
    if (rc == GNV_OK && out->state == GNV_JOB_RUNNING && gnv__jobs_live(job->id, &st)) {
        /* a job of this process: its counters now rather than at its last heartbeat */
        out->rows_planned = st.rows;
        out->rows_computed = st.rows_computed;
        out->fragments = st.fragments;
        out->fragments_committed = st.fragments_committed;
    }
    return rc;
}

int gnv_job_cancel(gnv_job *job)
{
    if (!job)
        return gnv__error_set(GNV_EINVAL, GNV_SUB_JOB, "gnv_job_cancel: NULL job");
    return gnv__jobs_request_cancel(job->db, job->id);
}

void gnv_job_free(gnv_job *job)
{
    if (!job)
        return;
    if (job->sh)
        shared_unref(job->sh);
    if (job->own_db)
        gnv_db_close(job->db);
    gnv__free(job->id);
    gnv__free(job);
}

int gnv__backfill_with_timeout(gnv_table *t,
                               const char *column,
                               const gnv_backfill_options *o,
                               gnv_backfill_stats *out)
{
    gnv_job *job = NULL;
    int rc = gnv_table_backfill_async(t, column, o, &job);
    if (rc < 0)
        return rc;
    rc = gnv_job_wait(job, o->timeout, out);
    gnv_job_free(job);
    if (rc == GNV_OK || rc != GNV_ETIMEOUT) {
        /* the job's commits: move the caller's handle to them */
        const gnv_error *e = gnv_error_last();
        char msg[1024];
        int sub = e ? e->subsystem : GNV_SUB_JOB;
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "");
        if (gnv_table_checkout_latest(t) < 0)
            gnv_error_clear();
        if (rc < 0)
            gnv__error_set(rc, sub, "%s", msg);
        else
            gnv_error_clear();
    }
    return rc;
}
