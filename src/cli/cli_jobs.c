/*
 * Jobs from the command line: `jobs` (the list of geneva_jobs), `job` (one job: its
 * record, --wait with a progress bar, --cancel), and the detached runs of
 * `backfill --async` and `backfill --timeout`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char cli_usage_jobs[] =
    "usage: geneva jobs DB [options]\n"
    "\n"
    "List the jobs recorded in the database's __system/geneva_jobs table, oldest first:\n"
    "id, table, column, state (PENDING, RUNNING, DONE, DONE_WITH_ERRORS, FAILED,\n"
    "CANCELLED), rows computed and planned, start time (UTC) and reason. A PENDING or\n"
    "RUNNING job whose driver is gone (its process on this host has ended, or its\n"
    "heartbeat is older than three intervals) is listed FAILED.\n"
    "\n"
    "Options:\n"
    "  --table T           only the jobs of table T\n"
    "  --state S           only the jobs in state S (e.g. RUNNING, FAILED)\n"
    "  -f, --format F      table (default), csv or jsonl\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva jobs db --state FAILED\n";

const char cli_usage_job[] =
    "usage: geneva job DB ID [options]\n"
    "\n"
    "Show one job's record (state, counters, times, metrics) as 'field<TAB>value'\n"
    "lines, wait for it or cancel it. Exit status: 0 when the job is (or ends) DONE or\n"
    "DONE_WITH_ERRORS or is merely shown, 1 when it FAILED, was CANCELLED or --wait\n"
    "timed out.\n"
    "\n"
    "Options:\n"
    "  --wait [S]          wait until the job ends (at most S seconds), with a\n"
    "                      progress bar on a terminal; then print its record\n"
    "  --cancel            ask the job to stop: its workers stop, what was committed\n"
    "                      stays, it ends CANCELLED (a job of another process sees\n"
    "                      the request at its next heartbeat)\n"
    "  -q, --quiet         no progress and no record\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  $ id=$(geneva backfill db docs len --async)\n"
    "  $ geneva job db \"$id\" --wait 600\n";

enum { OPT_TABLE = CLI_OPT_FIRST_FREE, OPT_STATE, OPT_WAIT, OPT_CANCEL };

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *format_us(int64_t us, char *buf, size_t size)
{
    if (us == 0)
        return NULL;
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%sZ", base);
    return buf;
}

/* ---- jobs ------------------------------------------------------------------------ */

typedef struct jobs_ctx {
    const gnv_job_info **rows;
} jobs_ctx;

static const char *job_cell(void *ctx, size_t row, size_t col, char *buf, size_t size)
{
    const gnv_job_info *ji = ((jobs_ctx *)ctx)->rows[row];
    switch (col) {
    case 0:
        return ji->id;
    case 1:
        return ji->table;
    case 2:
        return ji->column;
    case 3:
        return gnv_job_state_name(ji->state);
    case 4:
        snprintf(buf, size, "%" PRId64, ji->rows_computed);
        return buf;
    case 5:
        snprintf(buf, size, "%" PRId64, ji->rows_planned);
        return buf;
    case 6:
        return format_us(ji->started_us ? ji->started_us : ji->created_us, buf, size);
    default:
        return ji->reason;
    }
}

int cli_cmd_jobs(const cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, 'f'},
        {"table", required_argument, NULL, OPT_TABLE},
        {"state", required_argument, NULL, OPT_STATE},
        {0, 0, 0, 0},
    };
    static const char *const names[] = {"DB"};
    const char *table = NULL, *state = NULL;
    int format = GNV_PRINT_TABLE, opt, rc;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hf:", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'f':
            format = cli_parse_print_format(optarg);
            if (format < 0)
                return cli_usage_error(cmd, "bad --format '%s': use table, csv or jsonl", optarg);
            break;
        case OPT_TABLE:
            table = optarg;
            break;
        case OPT_STATE: {
            bool known = false;
            for (int s = GNV_JOB_PENDING; s <= GNV_JOB_CANCELLED; s++)
                known |= !strcasecmp(optarg, gnv_job_state_name(s));
            if (!known)
                return cli_usage_error(cmd,
                                       "bad --state '%s': use PENDING, RUNNING, DONE, "
                                       "DONE_WITH_ERRORS, FAILED or CANCELLED",
                                       optarg);
            state = optarg;
            break;
        }
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    rc = cli_positionals(cmd, argc, argv, 1, 1, names);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    if (!cli_open_db(cmd, &db, argv[optind], false))
        return CLI_EXIT_RUNTIME;
    gnv_job_info *list = NULL;
    size_t n = 0;
    if (gnv_db_list_jobs(db, table, &list, &n) != GNV_OK) {
        rc = cli_fail_lib(cmd);
        gnv_db_close(db);
        return rc;
    }
    const gnv_job_info **rows = calloc(n ? n : 1, sizeof *rows);
    size_t m = 0;
    if (!rows) {
        gnv_job_info_list_free(list, n);
        gnv_db_close(db);
        return cli_fail(cmd, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (!state || !strcasecmp(state, gnv_job_state_name(list[i].state)))
            rows[m++] = &list[i];
    static const char *const cols[] = {"id",   "table",   "column",  "state",
                                       "rows", "planned", "started", "reason"};
    static const bool numeric[] = {false, false, false, false, true, true, false, false};
    jobs_ctx ctx = {rows};
    cli_grid g = {8, cols, numeric, m, job_cell, &ctx};
    cli_print_grid(stdout, &g, format);
    rc = cli_close_output(cmd, stdout, NULL) ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    free(rows);
    gnv_job_info_list_free(list, n);
    gnv_db_close(db);
    return rc;
}

/* ---- job ------------------------------------------------------------------------- */

static void print_record(FILE *f, const gnv_job_info *ji)
{
    char a[64];
    const char *s;
    fprintf(f, "id\t%s\nkind\t%s\ntable\t%s\ncolumn\t%s\nstate\t%s\nreason\t%s\n", ji->id, ji->kind,
            ji->table, ji->column, gnv_job_state_name(ji->state), ji->reason);
    fprintf(f, "host\t%s\npid\t%" PRId64 "\n", ji->host, ji->pid);
    fprintf(f,
            "rows_planned\t%" PRId64 "\nrows_computed\t%" PRId64 "\nrows_checkpointed\t%" PRId64
            "\nrows_committed\t%" PRId64 "\nrows_skipped\t%" PRId64 "\nrows_failed\t%" PRId64
            "\nfragments\t%" PRId64 "\nfragments_committed\t%" PRId64 "\n",
            ji->rows_planned, ji->rows_computed, ji->rows_checkpointed, ji->rows_committed,
            ji->rows_skipped, ji->rows_failed, ji->fragments, ji->fragments_committed);
    const int64_t times[] = {ji->created_us, ji->started_us, ji->ended_us, ji->heartbeat_us};
    static const char *const tnames[] = {"created", "started", "ended", "heartbeat"};
    for (int i = 0; i < 4; i++) {
        s = format_us(times[i], a, sizeof a);
        fprintf(f, "%s\t%s\n", tnames[i], s ? s : "");
    }
    fprintf(f,
            "heartbeat_seconds\t%g\nactive_workers\t%" PRId64 "\nread_seconds\t%.3f\n"
            "udf_seconds\t%.3f\ncheckpoint_seconds\t%.3f\ncommit_seconds\t%.3f\n"
            "conflict_retries\t%" PRId64 "\ncancel_requested\t%s\noptions\t%s\n",
            ji->heartbeat_seconds, ji->active_workers, ji->read_seconds, ji->udf_seconds,
            ji->checkpoint_seconds, ji->commit_seconds, ji->conflict_retries,
            ji->cancel_requested ? "true" : "false", ji->options);
}

void cli_print_stages_of(gnv_db *db, const char *id)
{
    gnv_job *job = NULL;
    gnv_job_info ji = {0};
    if (gnv_job_open(&job, db, id) == GNV_OK && gnv_job_status(job, &ji) == GNV_OK)
        cli_print_job_stages(stderr, &ji);
    else
        gnv_error_clear();
    gnv_job_info_reset(&ji);
    gnv_job_free(job);
}

/* Wait for job (at most timeout seconds; <= 0: no limit) with a progress bar. Returns
 * the library's code of the wait (GNV_ETIMEOUT when it timed out). */
static int wait_with_bar(gnv_job *job, double timeout, bool quiet, const char *label)
{
    cli_bar bar;
    cli_bar_init(&bar, label, quiet);
    double deadline = timeout > 0 ? now_seconds() + timeout : -1;
    int rc;
    for (;;) {
        double step = 0.25;
        if (deadline >= 0) {
            double left = deadline - now_seconds();
            step = left < 0 ? 0 : left < step ? left : step;
        }
        rc = gnv_job_wait(job, step, NULL);
        if (rc != GNV_ETIMEOUT)
            break;
        if (deadline >= 0 && now_seconds() >= deadline)
            break;
        gnv_job_info ji = {0};
        if (gnv_job_status(job, &ji) == GNV_OK)
            cli_bar_update(&bar, ji.rows_checkpointed, ji.rows_planned, ji.rows_computed,
                           ji.rows_skipped + ji.rows_failed);
        gnv_job_info_reset(&ji);
    }
    cli_bar_end(&bar);
    return rc;
}

/* `job --wait` */
static int wait_job(const cli_command *cmd, gnv_job *job, double timeout, bool quiet)
{
    int wrc = wait_with_bar(job, timeout, quiet, "job");
    if (wrc == GNV_ETIMEOUT)
        return cli_fail(cmd, "job %s still running after %g s", gnv_job_id(job), timeout);
    gnv_job_info ji = {0};
    if (gnv_job_status(job, &ji) != GNV_OK)
        return cli_fail_lib(cmd);
    if (!quiet)
        print_record(stdout, &ji);
    int rc = ji.state == GNV_JOB_DONE || ji.state == GNV_JOB_DONE_WITH_ERRORS ? CLI_EXIT_OK
                                                                              : CLI_EXIT_RUNTIME;
    if (rc != CLI_EXIT_OK)
        fprintf(stderr, "geneva %s: job %s %s%s%s\n", cmd->name, ji.id,
                gnv_job_state_name(ji.state), ji.reason[0] ? ": " : "", ji.reason);
    gnv_job_info_reset(&ji);
    if (!cli_close_output(cmd, stdout, NULL))
        rc = CLI_EXIT_RUNTIME;
    return rc;
}

int cli_cmd_job(const cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"wait", optional_argument, NULL, OPT_WAIT},
        {"cancel", no_argument, NULL, OPT_CANCEL},
        {0, 0, 0, 0},
    };
    static const char *const names[] = {"DB", "ID"};
    bool quiet = false, wait = false, cancel = false;
    double timeout = 0;
    int opt, rc;
    /* "--wait S": a number right after --wait is its value */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    char *joined = NULL;
    if (!args)
        return cli_fail(cmd, "out of memory");
    int n = 0;
    for (int i = 0; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--wait") && i + 1 < argc && !joined &&
            (strtod(argv[i + 1], &end), end != argv[i + 1] && *end == '\0')) {
            size_t len = strlen(argv[i + 1]) + 8;
            joined = malloc(len);
            if (!joined) {
                free(args);
                return cli_fail(cmd, "out of memory");
            }
            snprintf(joined, len, "--wait=%s", argv[i + 1]);
            args[n++] = joined;
            i++;
            continue;
        }
        args[n++] = argv[i];
    }
    optind = 0;
    opterr = 0;
    rc = -1;
    while (rc < 0 && (opt = getopt_long(n, args, ":hq", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            rc = cli_print_help(cmd);
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_WAIT: {
            wait = true;
            char *end = NULL;
            if (optarg && (timeout = strtod(optarg, &end), end == optarg || *end || timeout < 0))
                rc = cli_usage_error(cmd, "bad --wait '%s': expected seconds >= 0", optarg);
            break;
        }
        case OPT_CANCEL:
            cancel = true;
            break;
        default:
            rc = cli_bad_option(cmd, opt, args);
        }
    }
    if (rc < 0)
        rc = cli_positionals(cmd, n, args, 2, 2, names);
    gnv_db *db = NULL;
    gnv_job *job = NULL;
    if (rc >= 0)
        goto done;
    if (!cli_open_db(cmd, &db, args[optind], false)) {
        rc = CLI_EXIT_RUNTIME;
        goto done;
    }
    if (gnv_job_open(&job, db, args[optind + 1]) != GNV_OK) {
        rc = cli_fail_lib(cmd);
        goto done;
    }
    rc = CLI_EXIT_OK;
    if (cancel) {
        if (gnv_job_cancel(job) != GNV_OK) {
            rc = cli_fail_lib(cmd);
            goto done;
        }
        if (!quiet)
            fprintf(stderr, "asked job %s to stop\n", gnv_job_id(job));
    }
    if (wait) {
        rc = wait_job(cmd, job, timeout, quiet);
    } else if (!cancel && !quiet) {
        gnv_job_info ji = {0};
        if (gnv_job_status(job, &ji) != GNV_OK) {
            rc = cli_fail_lib(cmd);
            goto done;
        }
        print_record(stdout, &ji);
        gnv_job_info_reset(&ji);
        rc = cli_close_output(cmd, stdout, NULL) ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    }
done:
    gnv_job_free(job);
    gnv_db_close(db);
    free(joined);
    free(args);
    return rc;
}

/* ---- backfill --async / --timeout ------------------------------------------------ */

int cli_backfill_job(const cli_command *cmd,
                     gnv_db *db,
                     gnv_table *t,
                     const char *db_path,
                     const char *column,
                     gnv_backfill_options *o,
                     bool async,
                     double timeout,
                     bool quiet)
{
    gnv_job *job = NULL;
    o->detached = 1;
    o->timeout = 0;
    if (gnv_table_backfill_async(t, column, o, &job) != GNV_OK)
        return cli_fail_lib_where(cmd);
    int rc = CLI_EXIT_OK;
    if (async) {
        printf("%s\n", gnv_job_id(job));
        if (!quiet)
            fprintf(stderr, "started job %s; 'geneva job %s %s --wait' waits for it\n",
                    gnv_job_id(job), db_path, gnv_job_id(job));
        gnv_job_free(job);
        return cli_close_output(cmd, stdout, NULL) ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    }
    char label[256];
    snprintf(label, sizeof label, "backfill '%s'", column);
    int wrc = wait_with_bar(job, timeout, quiet, label);
    gnv_job_info ji = {0};
    if (wrc == GNV_ETIMEOUT) {
        rc = cli_fail(cmd, "timed out after %g s; job %s goes on ('geneva job %s %s --wait')",
                      timeout, gnv_job_id(job), db_path, gnv_job_id(job));
    } else if (gnv_job_status(job, &ji) != GNV_OK) {
        rc = cli_fail_lib(cmd);
    } else if (ji.state == GNV_JOB_DONE || ji.state == GNV_JOB_DONE_WITH_ERRORS) {
        if (!quiet) {
            fprintf(stderr,
                    "backfilled '%s': %" PRId64 " rows in %" PRId64 " fragment%s (%" PRId64
                    " computed), job %s %s\n",
                    column, ji.rows_planned, ji.fragments, ji.fragments == 1 ? "" : "s",
                    ji.rows_computed, ji.id, gnv_job_state_name(ji.state));
            cli_print_job_stages(stderr, &ji);
        }
    } else {
        rc = cli_fail(cmd, "job %s %s%s%s", ji.id, gnv_job_state_name(ji.state),
                      ji.reason[0] ? ": " : "", ji.reason);
    }
    (void)db;
    gnv_job_info_reset(&ji);
    gnv_job_free(job);
    return rc;
}

void cli_warn_stderr(const char *msg, void *payload)
{
    const cli_command *cmd = payload;
    fprintf(stderr, "geneva %s: warning: %s\n", cmd ? cmd->name : "", msg);
}
