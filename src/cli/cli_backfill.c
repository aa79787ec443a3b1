/*
 * Virtual columns from the command line: `add-column ... --udf LIB:FUNC` (reached from
 * add-column's handler in cli_columns.c) and `backfill`, with a progress line on a
 * terminal.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char cli_usage_backfill[] =
    "usage: geneva backfill DB TABLE COLUMN [options]\n"
    "\n"
    "Compute a virtual column (added with 'add-column --udf') for the rows a filter\n"
    "selects, by default those where it is still NULL. Each batch of results is\n"
    "checkpointed in the table's _geneva/checkpoints/ before the next, and finished\n"
    "fragments are committed every --commit-granularity fragments, so running the same\n"
    "command again after a failure or a kill resumes where it stopped. Prints a summary\n"
    "to standard error, and a progress line while it runs when that is a terminal.\n"
    "\n"
    "Options:\n"
    "  --where EXPR            rows to compute (default: 'COLUMN IS NULL'; '1=1': all)\n"
    "  --concurrency N         worker processes of the process executor (default 8, at\n"
    "                          most the machine's CPUs)\n"
    "  --checkpoint-size N     rows per batch; alone it fixes the size (one call and\n"
    "                          one checkpoint per batch), else it seeds the adaptive one\n"
    "  --min-checkpoint-size N rows per batch when sizing is adaptive (the default;\n"
    "                          default 100): a checkpoint holds 1 to max / min batches,\n"
    "                          growing while they take under about 1 s\n"
    "  --max-checkpoint-size N upper bound of a checkpoint and of one call of the UDF\n"
    "                          (default 262144 rows, calls of at most 4 MiB of inputs)\n"
    "  --task-size N           rows per task (default: rows / workers / 2)\n"
    "  --commit-granularity N  fragments per commit (default 64; 0: one commit at the end)\n"
    "  --read-version V        plan on this version (default: the latest)\n"
    "  --num-frags N           process at most N fragments\n"
    "  --skip-frags N          skip the first N fragments\n"
    "  --executor E            process (forked workers; a crashing UDF kills one worker,\n"
    "                          its task is retried once) or inline (this process: for\n"
    "                          tests and debugging) (default process)\n"
    "  --on-error P            fail (stop at the first error), retry:N (try a failing\n"
    "                          batch N times in all, then fail) or skip (leave the rows\n"
    "                          that fail NULL; 'geneva errors' lists them) (default: the\n"
    "                          column's policy, else fail)\n"
    "  --skip-budget N|P%      with skip: fail the job once more than N rows (or P% of\n"
    "                          its rows) were skipped\n"
    "  --plan                  print the plan (fragments, tasks, rows) and compute nothing\n"
    "  --async                 run the job in a detached driver process that outlives this\n"
    "                          command; print its id ('geneva job DB ID --wait')\n"
    "  --timeout S             wait at most S seconds (the job runs detached and goes on)\n"
    "  --udf LIB:FUNC          compute with this function for this run instead of the\n"
    "                          column's (same inputs and output type; the column keeps\n"
    "                          its own: 'alter-column --udf' changes it)\n"
    "  --batch-checkpoint-flush-interval-seconds S\n"
    "                          how often results are checkpointed (default 0: as soon\n"
    "                          as computed); a kill loses up to that much work\n"
    "  --intra-applier-concurrency N\n"
    "                          threads per worker calling the UDF (default 1, at most\n"
    "                          64; the UDF must then be thread-safe)\n"
    "  -q, --quiet             print nothing but errors\n"
    "  -h, --help              show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva add-column db docs len --udf ./libmy_udfs.so:text_len --inputs body\n"
    "  added column 'len' to 'docs' (version 2)\n"
    "  $ geneva backfill db docs len --checkpoint-size 1000\n"
    "  backfilled 'len': 52000 rows in 3 fragments, 3 commits (version 5)\n";

enum {
    OPT_WHERE = CLI_OPT_FIRST_FREE,
    OPT_CONCURRENCY,
    OPT_CKPT,
    OPT_MIN_CKPT,
    OPT_MAX_CKPT,
    OPT_TASK,
    OPT_GRANULARITY,
    OPT_READ_VERSION,
    OPT_NUM_FRAGS,
    OPT_SKIP_FRAGS,
    OPT_EXECUTOR,
    OPT_PLAN,
    OPT_ON_ERROR,
    OPT_SKIP_BUDGET,
    OPT_ASYNC,
    OPT_TIMEOUT,
    OPT_UDF,
    OPT_FLUSH,
    OPT_INTRA
};

/* --on-error fail|retry[:N]|skip[:N], into p (N: attempts). */
static bool parse_on_error(const char *arg, gnv_on_error *p)
{
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    int64_t attempts = 0;
    if (n == 4 && !strncmp(arg, "fail", 4) && !colon)
        p->action = GNV_ON_ERROR_FAIL;
    else if (n == 5 && !strncmp(arg, "retry", 5))
        p->action = GNV_ON_ERROR_RETRY;
    else if (n == 4 && !strncmp(arg, "skip", 4))
        p->action = GNV_ON_ERROR_SKIP;
    else
        return false;
    if (colon && !cli_parse_int64(colon + 1, 1, 1000, &attempts))
        return false;
    p->attempts = (int)attempts;
    return true;
}

/* --skip-budget N or P%. */
static bool parse_budget(const char *arg, gnv_on_error *p)
{
    size_t n = strlen(arg);
    if (n > 1 && arg[n - 1] == '%') {
        char *end = NULL;
        double v = strtod(arg, &end);
        if (end != arg + n - 1 || !(v >= 0 && v <= 100))
            return false;
        p->max_skipped_fraction = v / 100;
        return true;
    }
    return cli_parse_int64(arg, 0, INT64_MAX, &p->max_skipped_rows);
}

int cli_on_error_option(const cli_command *cmd, bool budget, const char *arg, cli_on_error *e)
{
    if (budget) {
        if (!parse_budget(arg, &e->pol))
            return cli_usage_error(cmd, "bad --skip-budget '%s': expected N or P%%", arg);
        e->budget = true;
    } else {
        if (!parse_on_error(arg, &e->pol))
            return cli_usage_error(cmd, "bad --on-error '%s': use fail, retry:N or skip", arg);
        e->given = true;
    }
    return -1;
}

int cli_on_error_check(const cli_command *cmd, const cli_on_error *e)
{
    if (e->budget && e->pol.action != GNV_ON_ERROR_SKIP)
        return cli_usage_error(cmd, "--skip-budget needs --on-error skip");
    return -1;
}

static int parse_count(const cli_command *cmd, const char *opt, const char *arg, int64_t *out)
{
    if (!cli_parse_int64(arg, 0, INT64_MAX, out))
        return cli_usage_error(cmd, "bad %s '%s': expected a whole number >= 0", opt, arg);
    return -1;
}

int cli_cmd_backfill(const cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"where", required_argument, NULL, OPT_WHERE},
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {"checkpoint-size", required_argument, NULL, OPT_CKPT},
        {"min-checkpoint-size", required_argument, NULL, OPT_MIN_CKPT},
        {"max-checkpoint-size", required_argument, NULL, OPT_MAX_CKPT},
        {"task-size", required_argument, NULL, OPT_TASK},
        {"commit-granularity", required_argument, NULL, OPT_GRANULARITY},
        {"read-version", required_argument, NULL, OPT_READ_VERSION},
        {"num-frags", required_argument, NULL, OPT_NUM_FRAGS},
        {"skip-frags", required_argument, NULL, OPT_SKIP_FRAGS},
        {"executor", required_argument, NULL, OPT_EXECUTOR},
        {"plan", no_argument, NULL, OPT_PLAN},
        {"on-error", required_argument, NULL, OPT_ON_ERROR},
        {"skip-budget", required_argument, NULL, OPT_SKIP_BUDGET},
        {"async", no_argument, NULL, OPT_ASYNC},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"udf", required_argument, NULL, OPT_UDF},
        {"batch-checkpoint-flush-interval-seconds", required_argument, NULL, OPT_FLUSH},
        {"intra-applier-concurrency", required_argument, NULL, OPT_INTRA},
        {0, 0, 0, 0},
    };
    static const char *const names[] = {"DB", "TABLE", "COLUMN"};
    gnv_backfill_options o = GNV_BACKFILL_OPTIONS_INIT;
    cli_on_error oe = CLI_ON_ERROR_INIT;
    bool quiet = false, plan = false, async = false;
    double timeout = 0;
    const char *udf = NULL;
    int64_t v = 0;
    int opt, rc;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
        rc = -1;
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'q':
            quiet = true;
            break;
        case OPT_WHERE:
            o.where = optarg;
            break;
        case OPT_CONCURRENCY:
            if (!cli_parse_int64(optarg, 1, 4096, &v))
                return cli_usage_error(cmd, "bad --concurrency '%s': expected 1 to 4096", optarg);
            o.concurrency = (int)v;
            break;
        case OPT_CKPT:
            rc = parse_count(cmd, "--checkpoint-size", optarg, &o.checkpoint_size);
            break;
        case OPT_MIN_CKPT:
            rc = parse_count(cmd, "--min-checkpoint-size", optarg, &o.min_checkpoint_size);
            break;
        case OPT_MAX_CKPT:
            rc = parse_count(cmd, "--max-checkpoint-size", optarg, &o.max_checkpoint_size);
            break;
        case OPT_TASK:
            rc = parse_count(cmd, "--task-size", optarg, &o.task_size);
            break;
        case OPT_GRANULARITY:
            rc = parse_count(cmd, "--commit-granularity", optarg, &o.commit_granularity);
            if (rc < 0 && o.commit_granularity == 0)
                o.commit_granularity = -1;
            break;
        case OPT_READ_VERSION:
            if (!cli_parse_version(optarg, &o.read_version))
                return cli_usage_error(cmd, "bad --read-version '%s'", optarg);
            break;
        case OPT_NUM_FRAGS:
            rc = parse_count(cmd, "--num-frags", optarg, &o.num_frags);
            break;
        case OPT_SKIP_FRAGS:
            rc = parse_count(cmd, "--skip-frags", optarg, &o.skip_frags);
            break;
        case OPT_EXECUTOR:
            if (!strcmp(optarg, "inline"))
                o.executor = GNV_EXECUTOR_INLINE;
            else if (!strcmp(optarg, "process"))
                o.executor = GNV_EXECUTOR_PROCESS;
            else
                return cli_usage_error(cmd, "bad --executor '%s': use inline or process", optarg);
            break;
        case OPT_PLAN:
            plan = true;
            break;
        case OPT_ON_ERROR:
        case OPT_SKIP_BUDGET:
            rc = cli_on_error_option(cmd, opt == OPT_SKIP_BUDGET, optarg, &oe);
            break;
        case OPT_ASYNC:
            async = true;
            break;
        case OPT_TIMEOUT: {
            char *end = NULL;
            timeout = strtod(optarg, &end);
            if (end == optarg || *end || !(timeout > 0))
                return cli_usage_error(cmd, "bad --timeout '%s': expected seconds > 0", optarg);
            break;
        }
        case OPT_UDF:
            udf = optarg;
            break;
        case OPT_FLUSH: {
            char *end = NULL;
            o.batch_checkpoint_flush_interval_seconds = strtod(optarg, &end);
            if (end == optarg || *end || !(o.batch_checkpoint_flush_interval_seconds >= 0))
                return cli_usage_error(
                    cmd,
                    "bad --batch-checkpoint-flush-interval-seconds '%s': expected seconds >= 0",
                    optarg);
            break;
        }
        case OPT_INTRA:
            if (!cli_parse_int64(optarg, 1, 64, &v))
                return cli_usage_error(
                    cmd, "bad --intra-applier-concurrency '%s': expected 1 to 64", optarg);
            o.intra_applier_concurrency = (int)v;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
        if (rc >= 0)
            return rc;
    }
    rc = cli_positionals(cmd, argc, argv, 3, 3, names);
    if (rc >= 0)
        return rc;
    rc = cli_on_error_check(cmd, &oe);
    if (rc >= 0)
        return rc;
    if (oe.given)
        o.on_error = &oe.pol;
    gnv_udf_library *lib = NULL;
    if (udf) {
        char *lib_path = NULL, *fn_name = NULL;
        if (gnv_udf_spec_parse(&lib_path, &fn_name, udf) != GNV_OK)
            return cli_usage_error(cmd, "bad --udf '%s': expected LIBRARY:FUNCTION", udf);
        int lrc = gnv_udf_library_open(&lib, lib_path);
        if (lrc == GNV_OK)
            lrc = gnv_udf_library_find(&o.udf, lib, fn_name);
        gnv_free(lib_path);
        gnv_free(fn_name);
        if (lrc != GNV_OK) {
            gnv_udf_library_close(lib);
            return cli_fail_lib(cmd);
        }
    }
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1])) {
        gnv_udf_library_close(lib);
        return CLI_EXIT_RUNTIME;
    }
    const char *col = argv[optind + 2];
    gnv_backfill_stats st;
    memset(&st, 0, sizeof st);
    rc = CLI_EXIT_OK;
    if (plan) {
        if (gnv_table_plan_backfill(t, col, &o, &st) != GNV_OK) {
            rc = cli_fail_lib_where(cmd);
        } else {
            printf("read_version\t%" PRIu64 "\nfragments\t%" PRId64 "\ntasks\t%" PRId64
                   "\nrows\t%" PRId64 "\nbatches\t%" PRId64 "\ncheckpointed\t%" PRId64 "\n",
                   st.read_version, st.fragments, st.tasks, st.rows, st.batches, st.batches_reused);
        }
        cli_close_table(db, t);
        gnv_udf_library_close(lib);
        return rc;
    }
    o.warn = quiet ? NULL : cli_warn_stderr;
    o.warn_payload = (void *)cmd;
    if (async || timeout > 0) { /* a detached job (cli_jobs.c) */
        rc = cli_backfill_job(cmd, db, t, argv[optind], col, &o, async, timeout, quiet);
        cli_close_table(db, t);
        gnv_udf_library_close(lib);
        return rc;
    }
    cli_bar pl;
    char label[256];
    snprintf(label, sizeof label, "backfill '%s'", col);
    cli_bar_init(&pl, label, quiet);
    o.progress = cli_backfill_progress;
    o.progress_payload = &pl;
    int lrc = gnv_table_backfill(t, col, &o, &st);
    cli_bar_end(&pl);
    if (lrc != GNV_OK) {
        rc = cli_fail_lib_where(cmd);
        if (!quiet && st.job_id[0] && st.errors)
            fprintf(stderr,
                    "geneva backfill: job %s failed; 'geneva errors %s %s --job %s' lists its "
                    "%" PRId64 " failed row%s\n",
                    st.job_id, argv[optind], argv[optind + 1], st.job_id, st.errors,
                    st.errors == 1 ? "" : "s");
        if (!quiet && (st.fragments_committed || st.batches_computed))
            fprintf(stderr,
                    "geneva backfill: kept %" PRId64 " committed fragments and %" PRId64
                    " checkpointed batches; run the command again to resume\n",
                    st.fragments_committed, st.batches_computed + st.batches_reused);
    } else if (!quiet) {
        fprintf(stderr,
                "backfilled '%s': %" PRId64 " rows in %" PRId64 " fragment%s (%" PRId64
                " computed, %" PRId64 " from checkpoints), %" PRId64 " commit%s (version %" PRIu64
                ")\n",
                col, st.rows, st.fragments, st.fragments == 1 ? "" : "s", st.rows_computed,
                st.rows - st.rows_computed, st.commits, st.commits == 1 ? "" : "s", st.version);
        if (st.job_id[0] && st.rows_computed > 0)
            cli_print_stages_of(db, st.job_id);
        if (st.state == GNV_BACKFILL_DONE_WITH_ERRORS)
            fprintf(stderr,
                    "geneva backfill: done with errors: %" PRId64 " row%s skipped (left NULL); "
                    "'geneva errors %s %s --job %s' lists them\n",
                    st.rows_skipped, st.rows_skipped == 1 ? "" : "s", argv[optind],
                    argv[optind + 1], st.job_id);
        if (st.fragments_skipped)
            fprintf(stderr,
                    "geneva backfill: %" PRId64 " fragments changed meanwhile and were left "
                    "for a re-run\n",
                    st.fragments_skipped);
    }
    cli_close_table(db, t);
    gnv_udf_library_close(lib);
    return rc;
}

void cli_udf_target_close(cli_udf_target *u)
{
    cli_close_table(u->db, u->t);
    gnv_udf_library_close(u->lib);
    gnv_free(u->lib_path);
    gnv_free(u->fn_name);
    free(u->copy);
    free(u->in);
    memset(u, 0, sizeof *u);
}

int cli_udf_target_open(cli_udf_target *u,
                        const cli_command *cmd,
                        const char *db_path,
                        const char *table,
                        const char *spec,
                        const char *inputs)
{
    int rc = CLI_EXIT_OK;
    memset(u, 0, sizeof *u);
    if (gnv_udf_spec_parse(&u->lib_path, &u->fn_name, spec) != GNV_OK) {
        rc = cli_usage_error(cmd, "bad --udf '%s': expected LIBRARY:FUNCTION", spec);
        goto done;
    }
    if (inputs) {
        u->copy = strdup(inputs);
        u->in = calloc(strlen(inputs) + 1, sizeof *u->in);
        if (!u->copy || !u->in) {
            rc = cli_fail(cmd, "out of memory");
            goto done;
        }
        for (char *save = NULL, *tok = strtok_r(u->copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save))
            u->in[u->n_in++] = tok;
        if (u->n_in == 0) {
            rc = cli_usage_error(cmd, "bad --inputs '%s': expected column names", inputs);
            goto done;
        }
    }
    if (gnv_udf_library_open(&u->lib, u->lib_path) != GNV_OK ||
        gnv_udf_library_find(&u->fn, u->lib, u->fn_name) != GNV_OK) {
        rc = cli_fail_lib(cmd);
        goto done;
    }
    if (!cli_open_table(cmd, &u->db, &u->t, db_path, table))
        rc = CLI_EXIT_RUNTIME;
done:
    if (rc != CLI_EXIT_OK)
        cli_udf_target_close(u);
    return rc;
}

int cli_add_udf_column(const cli_command *cmd,
                       const char *db_path,
                       const char *table,
                       const char *name,
                       const char *spec,
                       const char *inputs,
                       const gnv_on_error *on_error,
                       bool quiet,
                       bool alter)
{
    cli_udf_target u;
    int rc = cli_udf_target_open(&u, cmd, db_path, table, spec, inputs);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (alter) {
        if (gnv_table_alter_udf_column(u.t, name, u.fn, u.in, u.n_in) != GNV_OK)
            rc = cli_fail_lib(cmd);
        else if (!quiet)
            fprintf(stderr,
                    "altered column '%s' of '%s': now computed by '%s' (version %" PRIu64
                    "); its values stay until the next backfill\n",
                    name, table, gnv_udf_function_name(u.fn), gnv_table_version(u.t));
    } else if (gnv_table_add_udf_column_v2(u.t, name, u.fn, u.in, u.n_in, on_error) != GNV_OK)
        rc = cli_fail_lib(cmd);
    else if (!quiet)
        fprintf(stderr, "added column '%s' to '%s' (version %" PRIu64 ")\n", name, table,
                gnv_table_version(u.t));
    cli_udf_target_close(&u);
    return rc;
}
