/*
 * The geneva command-line tool: a table of commands (cli_main.c), one file per command
 * group (cli_version.c, cli_file.c, ...) and shared helpers (cli_util.c).
 *
 * The CLI uses only the public API (include/geneva/). Conventions every command keeps
 * (docs/cli.md): errors go to stderr as "geneva <command>: <message>"; exit codes are
 * CLI_EXIT_OK, CLI_EXIT_RUNTIME and CLI_EXIT_USAGE; every command accepts -h/--help and
 * takes options before or after its positional arguments.
 */
#ifndef GNV_CLI_H
#define GNV_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "geneva/geneva.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_RUNTIME = 1, CLI_EXIT_USAGE = 2 };

/* A command: handler(argc, argv) gets argv[0] == the command's name and returns an exit
 * code. `usage` is the full help text printed by --help (first line "usage: ..."). */
typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*handler)(const struct cli_command *cmd, int argc, char **argv);
} cli_command;

/* Handlers, one per command (cli_version.c, cli_file.c). */
int cli_cmd_version(const cli_command *cmd, int argc, char **argv);
int cli_cmd_inspect(const cli_command *cmd, int argc, char **argv);
int cli_cmd_convert(const cli_command *cmd, int argc, char **argv);
/* Table commands (cli_table.c, cli_scan.c, cli_history.c). */
int cli_cmd_create(const cli_command *cmd, int argc, char **argv);
int cli_cmd_import(const cli_command *cmd, int argc, char **argv);
int cli_cmd_tables(const cli_command *cmd, int argc, char **argv);
int cli_cmd_drop(const cli_command *cmd, int argc, char **argv);
int cli_cmd_schema(const cli_command *cmd, int argc, char **argv);
int cli_cmd_scan(const cli_command *cmd, int argc, char **argv);
int cli_cmd_count(const cli_command *cmd, int argc, char **argv);
int cli_cmd_versions(const cli_command *cmd, int argc, char **argv);
int cli_cmd_restore(const cli_command *cmd, int argc, char **argv);
int cli_cmd_tag(const cli_command *cmd, int argc, char **argv);
/* Changing rows (cli_mutate.c). */
int cli_cmd_delete(const cli_command *cmd, int argc, char **argv);
int cli_cmd_update(const cli_command *cmd, int argc, char **argv);
/* Upserts (cli_merge.c). */
int cli_cmd_merge_insert(const cli_command *cmd, int argc, char **argv);
/* Maintenance (cli_maintenance.c). */
int cli_cmd_cleanup(const cli_command *cmd, int argc, char **argv);
int cli_cmd_optimize(const cli_command *cmd, int argc, char **argv);
/* Schema changes (cli_columns.c). */
int cli_cmd_add_column(const cli_command *cmd, int argc, char **argv);
int cli_cmd_add_columns(const cli_command *cmd, int argc, char **argv);
int cli_cmd_drop_column(const cli_command *cmd, int argc, char **argv);
int cli_cmd_alter_column(const cli_command *cmd, int argc, char **argv);
/* Virtual columns (cli_backfill.c). */
int cli_cmd_backfill(const cli_command *cmd, int argc, char **argv);
/* Jobs (cli_jobs.c). */
int cli_cmd_jobs(const cli_command *cmd, int argc, char **argv);
int cli_cmd_job(const cli_command *cmd, int argc, char **argv);
int cli_cmd_errors(const cli_command *cmd, int argc, char **argv);
/* What add-column, add-columns and alter-column --udf work on: the function of
 * `--udf LIB:FUNC` (library open), the columns of `--inputs a,b` and the table. */
typedef struct cli_udf_target {
    char *lib_path, *fn_name, *copy;
    const char **in; /* the input names (pointing into copy) */
    size_t n_in;
    gnv_udf_library *lib;
    const gnv_udf_function *fn;
    gnv_db *db;
    gnv_table *t;
} cli_udf_target;
/* Open it, or report the problem (usage, library, table) and return its exit code. */
int cli_udf_target_open(cli_udf_target *u,
                        const cli_command *cmd,
                        const char *db_path,
                        const char *table,
                        const char *spec,
                        const char *inputs);
void cli_udf_target_close(cli_udf_target *u);
/* `add-column DB TABLE NAME --udf LIB:FUNC [--inputs a,b]`, called by add-column's
 * handler, keeping the error policy on_error (NULL: none) in the column's definition
 * (with alter: `alter-column DB TABLE NAME --udf ...`, swapping the function of a
 * virtual column; on_error must be NULL): returns an exit code. */
int cli_add_udf_column(const cli_command *cmd,
                       const char *db_path,
                       const char *table,
                       const char *name,
                       const char *spec,
                       const char *inputs,
                       const gnv_on_error *on_error,
                       bool quiet,
                       bool alter);
/* The options --on-error P and --skip-budget N|P% (of backfill and add-column --udf). */
typedef struct cli_on_error {
    gnv_on_error pol;
    bool given;  /* --on-error was given */
    bool budget; /* --skip-budget was given */
} cli_on_error;
#define CLI_ON_ERROR_INIT                                                                          \
    {                                                                                              \
        GNV_ON_ERROR_INIT, false, false                                                            \
    }
/* Parse the argument of --skip-budget (budget) or --on-error into e: -1 to go on, or
 * the exit code of a usage error. */
int cli_on_error_option(const cli_command *cmd, bool budget, const char *arg, cli_on_error *e);
/* After the options: -1 when they go together, else a usage error's exit code. */
int cli_on_error_check(const cli_command *cmd, const cli_on_error *e);
/* Usage texts, kept beside their handlers. */
extern const char cli_usage_version[];
extern const char cli_usage_inspect[];
extern const char cli_usage_convert[];
extern const char cli_usage_create[];
extern const char cli_usage_import[];
extern const char cli_usage_tables[];
extern const char cli_usage_drop[];
extern const char cli_usage_schema[];
extern const char cli_usage_scan[];
extern const char cli_usage_count[];
extern const char cli_usage_versions[];
extern const char cli_usage_restore[];
extern const char cli_usage_tag[];
extern const char cli_usage_add_column[];
extern const char cli_usage_add_columns[];
extern const char cli_usage_drop_column[];
extern const char cli_usage_alter_column[];
extern const char cli_usage_backfill[];
extern const char cli_usage_jobs[];
extern const char cli_usage_job[];
extern const char cli_usage_errors[];
extern const char cli_usage_delete[];
extern const char cli_usage_update[];
extern const char cli_usage_merge_insert[];
extern const char cli_usage_cleanup[];
extern const char cli_usage_optimize[];

/* ---- helpers (cli_util.c) ------------------------------------------------ */

/* "geneva <cmd>: <message>" on stderr; returns CLI_EXIT_RUNTIME. */
int cli_fail(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The library's last error as a runtime failure: "geneva <cmd>: <message>". */
int cli_fail_lib(const cli_command *cmd);
/* As cli_fail_lib, naming the option when the message is about the filter
 * ("where: ..." becomes "--where: ...") (cli_mutate.c). */
int cli_fail_lib_where(const cli_command *cmd);
/* A usage error: the message, then a hint to --help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print the command's help text to stdout; returns CLI_EXIT_OK. */
int cli_print_help(const cli_command *cmd);

/*
 * Report a getopt_long failure (opt is '?' or ':') as a usage error naming the option.
 * Call with the getopt return value right after it was returned.
 */
int cli_bad_option(const cli_command *cmd, int opt, char **argv);

/* Parse a whole decimal integer in [min, max]; false when malformed or out of range. */
bool cli_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out);

/* Options shared by the commands that read files (--types, --delimiter, --no-header,
 * --input-format). Returns 1 when `opt` was one of them (and applied), 0 when not, or
 * a negative value after reporting a usage error. */
enum {
    CLI_OPT_TYPES = 0x1000,
    CLI_OPT_DELIMITER,
    CLI_OPT_NO_HEADER,
    CLI_OPT_INPUT_FORMAT,
    CLI_OPT_AT_VERSION, /* --version V and --tag T: see cli_at_option() */
    CLI_OPT_AT_TAG,
    CLI_OPT_FIRST_FREE /* commands number their own long-only options from here */
};
int cli_read_option(const cli_command *cmd, int opt, const char *arg, gnv_read_options *ro);
/* The getopt_long entries of those options (to copy into a command's table). */
#define CLI_READ_LONG_OPTIONS                                                                      \
    {"types", required_argument, NULL, CLI_OPT_TYPES},                                             \
        {"delimiter", required_argument, NULL, CLI_OPT_DELIMITER},                                 \
        {"no-header", no_argument, NULL, CLI_OPT_NO_HEADER},                                       \
    {                                                                                              \
        "input-format", required_argument, NULL, CLI_OPT_INPUT_FORMAT                              \
    }

/* Help text of those options. */
#define CLI_READ_OPTIONS_HELP                                                                      \
    "Reading options:\n"                                                                           \
    "  --input-format F    csv, jsonl or arrow (default: from the extension, then\n"               \
    "                      the contents)\n"                                                        \
    "  --types LIST        column types for CSV/JSON Lines, e.g. 'id:int32,ts:timestamp[ms]'\n"    \
    "  --delimiter C       CSV field delimiter: one character, or 'tab' (default ',')\n"           \
    "  --no-header         the CSV file has no header line; columns are f0, f1, ...\n"

/* Open `path` for writing ("-" or NULL: stdout). Reports and returns NULL on failure. */
FILE *cli_open_output(const cli_command *cmd, const char *path);
/* Flush and close what cli_open_output returned; reports write errors (returns false). */
bool cli_close_output(const cli_command *cmd, FILE *f, const char *path);

/* Open a data file with the library's reader; reports failures (returns false). */
bool cli_open_input(const cli_command *cmd,
                    struct ArrowArrayStream *out,
                    const char *path,
                    const gnv_read_options *ro);
/* Release a stream if set. */
void cli_stream_release(struct ArrowArrayStream *s);

/* Parse an output format name: "table", "csv" or "jsonl" (also "json") as a
 * gnv_print_format; -1 when unknown. */
int cli_parse_print_format(const char *s);

/* ---- databases and tables (cli_util.c) ------------------------------------ */

/* Open the database directory `path`. With `create` a missing directory is created;
 * without it a missing directory is an error ("database 'x' does not exist"), so a typo
 * never leaves an empty database behind. Reports failures (returns false). */
bool cli_open_db(const cli_command *cmd, gnv_db **out, const char *path, bool create);
/* Open a database (not creating it) and one of its tables at the latest version.
 * Reports failures (returns false, with both outputs NULL). */
bool cli_open_table(const cli_command *cmd,
                    gnv_db **db_out,
                    gnv_table **t_out,
                    const char *db_path,
                    const char *name);
/* Close what cli_open_table opened (NULL-safe). */
void cli_close_table(gnv_db *db, gnv_table *t);
/* Report a failed gnv_db_open_table/gnv_db_create_table... on `name` in `db_path`,
 * naming the database when the table is missing. Returns CLI_EXIT_RUNTIME. */
int cli_fail_table(const cli_command *cmd, const char *db_path, const char *name);

/* The version a read command looks at: --version V or --tag T (exclusive), or neither
 * for the latest. */
typedef struct cli_at {
    uint64_t version; /* 0: not given */
    const char *tag;  /* NULL: not given */
} cli_at;

/* Check the positional arguments left after getopt_long (argv[optind..]): at least
 * `min` and at most `n` of them, named by names[] in "missing NAME" messages. Returns
 * -1 when they fit, or the exit code of the usage error reported. */
int cli_positionals(
    const cli_command *cmd, int argc, char **argv, size_t min, size_t n, const char *const *names);

/* Parse the options of a command that takes only -h/--help, plus --version/--tag when
 * `at` is given. Returns -1 to go on, or an exit code. */
int cli_parse_plain(const cli_command *cmd, int argc, char **argv, cli_at *at);

/* Parse a version number: a whole decimal number >= 1. */
bool cli_parse_version(const char *text, uint64_t *out);

/* Apply --version/--tag. Returns 1 when `opt` was one of them, 0 when not, or a
 * negative value after reporting a usage error (bad number; both given). */
int cli_at_option(const cli_command *cmd, int opt, const char *arg, cli_at *at);
#define CLI_AT_LONG_OPTIONS                                                                        \
    {"version", required_argument, NULL, CLI_OPT_AT_VERSION},                                      \
    {                                                                                              \
        "tag", required_argument, NULL, CLI_OPT_AT_TAG                                             \
    }
/* Move *t to the version `at` selects (a read-only handle), if any. Reports failures
 * (returns false; *t is left as it was). */
bool cli_checkout(const cli_command *cmd, gnv_table **t, const cli_at *at);

/* The start of a command that reads `geneva CMD DB TABLE [--version V | --tag T]`:
 * parse, open the table and check out the version asked for. Returns -1 with *db and
 * *t open (close them with cli_close_table), or the exit code of what went wrong. */
int cli_open_table_at(const cli_command *cmd, int argc, char **argv, gnv_db **db, gnv_table **t);

/* ---- small result tables: versions, tags (cli_util.c) --------------------- */

/* A grid of text cells printed as table, csv or jsonl. `cell` returns the text of a
 * cell (written into buf, or a static string), or NULL for a null. Numeric columns
 * are right-aligned in table form and unquoted in JSON. At most CLI_GRID_MAX_COLS. */
enum { CLI_GRID_MAX_COLS = 8 };
typedef struct cli_grid {
    size_t n_cols;
    const char *const *names;
    const bool *numeric;
    size_t n_rows;
    const char *(*cell)(void *ctx, size_t row, size_t col, char *buf, size_t size);
    void *ctx;
} cli_grid;
void cli_print_grid(FILE *f, const cli_grid *g, int format);

/* ---- progress of long reads (cli_progress.c) ------------------------------- */

/* A counting stream: cli_progress_wrap moves *stream into p and puts in its place a
 * stream whose get_next forwards to it and counts rows. When `show` is set, standard
 * error shows one updating line "read N rows (R rows/s)". p must outlive the stream. */
typedef struct cli_progress {
    struct ArrowArrayStream inner;
    int64_t rows;
    bool show;
    bool shown; /* a progress line is on screen */
    double start, last;
} cli_progress;
void cli_progress_wrap(cli_progress *p, struct ArrowArrayStream *stream, bool show);
/* Erase the progress line, if one is on screen (call before printing anything). */
void cli_progress_end(cli_progress *p);
/* Whether progress should be shown: standard error is a terminal and not `quiet`. */
bool cli_progress_wanted(bool quiet);

/* The progress of a job on standard error: on a terminal one updating line
 * "[####....] LABEL: done/total rows (P%), R rows/s, ETA T, E errors" (at most ten times a
 * second); otherwise that text as a plain line every GENEVA_PROGRESS_SECONDS (10); with
 * `quiet` nothing. */
typedef struct cli_bar {
    const char *label;
    bool tty, lines, shown;
    double start, last, line_every;
} cli_bar;
void cli_bar_init(cli_bar *b, const char *label, bool quiet);
/* computed: rows computed by this run (the rate); errors: failed or skipped rows. */
void cli_bar_update(cli_bar *b, int64_t done, int64_t total, int64_t computed, int64_t errors);
/* Erase the bar, if one is on screen (call before printing anything). */
void cli_bar_end(cli_bar *b);
/* A gnv_backfill_progress_fn drawing the cli_bar given as payload. */
void cli_backfill_progress(const gnv_backfill_stats *s, void *payload);
/* "stages: read 0.10s, udf 2.00s, ..." from a job's record. */
void cli_print_job_stages(FILE *f, const gnv_job_info *ji);

/* ---- jobs (cli_jobs.c) ------------------------------------------------------- */

/* `backfill --async` (prints the job id and returns) and `backfill --timeout S` (waits
 * at most S seconds with a progress bar): a detached job. Returns an exit code. */
int cli_backfill_job(const cli_command *cmd,
                     gnv_db *db,
                     gnv_table *t,
                     const char *db_path,
                     const char *column,
                     gnv_backfill_options *o,
                     bool async,
                     double timeout,
                     bool quiet);
/* A warning callback (gnv_backfill_options.warn) printing "geneva CMD: warning: MSG"
 * to stderr; payload: the cli_command. */
void cli_warn_stderr(const char *msg, void *payload);
/* Print the stage times of job `id` of db to stderr (nothing when it cannot be read). */
void cli_print_stages_of(gnv_db *db, const char *id);

#endif
