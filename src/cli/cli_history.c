/* A table's history: versions (the list), restore and tags. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char cli_usage_versions[] =
    "usage: geneva versions DB TABLE [options]\n"
    "\n"
    "List the versions of a table, oldest first: the version number, its commit time\n"
    "in UTC (ISO-8601, microseconds) and the operation that made it (append,\n"
    "overwrite, restore, ...). An unknown time or operation shows as null.\n"
    "\n"
    "Options:\n"
    "  -f, --format F      table (default: a header line, a dashed line, then one line\n"
    "                      per version), csv or jsonl\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva versions db products\n"
    "  version | timestamp                   | operation\n"
    "  --------+-----------------------------+----------\n"
    "        1 | 2026-01-15T09:30:12.345678Z | overwrite\n"
    "        2 | 2026-01-15T09:31:40.000321Z | append\n";

const char cli_usage_restore[] =
    "usage: geneva restore DB TABLE VERSION [options]\n"
    "\n"
    "Make the content of an older version the latest again: commits a new version\n"
    "equal to VERSION (the versions in between stay readable). Prints 'restored TABLE\n"
    "to version VERSION (version N)' to standard error.\n"
    "\n"
    "Options:\n"
    "  -q, --quiet         print nothing\n"
    "  -h, --help          show this help\n";

const char cli_usage_tag[] =
    "usage: geneva tag DB TABLE create NAME [VERSION]\n"
    "       geneva tag DB TABLE delete NAME\n"
    "       geneva tag DB TABLE list [--format F]\n"
    "\n"
    "Name versions of a table. 'create' tags VERSION (default: the latest version);\n"
    "'delete' removes a tag (not the version); 'list' prints the tags sorted by name\n"
    "with the versions they name. 'geneva scan --tag NAME' reads a tagged version.\n"
    "Tag names are 1 to 200 ASCII letters, digits, '.', '-' and '_', neither starting\n"
    "nor ending with '.', without '..'.\n"
    "\n"
    "Options:\n"
    "  -f, --format F      list: table (default), csv or jsonl\n"
    "  -h, --help          show this help\n"
    "\n"
    "Examples:\n"
    "  geneva tag db products create before-import\n"
    "  geneva tag db products list\n"
    "  geneva scan db products --tag before-import\n";

static const char *const db_table_version[] = {"DB", "TABLE", "VERSION"};

/* Parse -h, plus -f (when format is given) or -q (when quiet is given); returns -1 to
 * go on, or an exit code. */
static int history_parse(const cli_command *cmd, int argc, char **argv, int *format, bool *quiet)
{
    static const struct option with_format[] = {
        {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, 'f'},
        {0, 0, 0, 0},
    };
    static const struct option with_quiet[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {0, 0, 0, 0},
    };
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, format ? ":hf:" : ":hq",
                              format ? with_format : with_quiet, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'f':
            *format = cli_parse_print_format(optarg);
            if (*format < 0)
                return cli_usage_error(cmd, "bad --format '%s': use table, csv or jsonl", optarg);
            break;
        case 'q':
            *quiet = true;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    return -1;
}

/* ---- versions ------------------------------------------------------------- */

typedef struct versions_ctx {
    const gnv_version_info *list;
} versions_ctx;

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" for microseconds since the epoch. */
static const char *format_timestamp(int64_t us, char *buf, size_t size)
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    time_t tt = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return NULL;
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
    return buf;
}

static const char *version_cell(void *ctx, size_t row, size_t col, char *buf, size_t size)
{
    const gnv_version_info *v = &((versions_ctx *)ctx)->list[row];
    switch (col) {
    case 0:
        snprintf(buf, size, "%" PRIu64, v->version);
        return buf;
    case 1:
        return v->timestamp_us ? format_timestamp(v->timestamp_us, buf, size) : NULL;
    default:
        return v->operation;
    }
}

int cli_cmd_versions(const cli_command *cmd, int argc, char **argv)
{
    int format = GNV_PRINT_TABLE;
    int rc = history_parse(cmd, argc, argv, &format, NULL);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 2, 2, db_table_version);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    gnv_version_info *list = NULL;
    size_t n = 0;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    if (gnv_table_versions(t, &list, &n) != GNV_OK) {
        rc = cli_fail_lib(cmd);
    } else {
        static const char *const names[] = {"version", "timestamp", "operation"};
        static const bool numeric[] = {true, false, false};
        versions_ctx ctx = {list};
        cli_grid g = {3, names, numeric, n, version_cell, &ctx};
        cli_print_grid(stdout, &g, format);
        rc = cli_close_output(cmd, stdout, NULL) ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    }
    gnv_table_versions_free(list, n);
    cli_close_table(db, t);
    return rc;
}

/* ---- restore -------------------------------------------------------------- */

int cli_cmd_restore(const cli_command *cmd, int argc, char **argv)
{
    bool quiet = false;
    int rc = history_parse(cmd, argc, argv, NULL, &quiet);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 3, 3, db_table_version);
    if (rc >= 0)
        return rc;
    uint64_t version;
    if (!cli_parse_version(argv[optind + 2], &version))
        return cli_usage_error(cmd, "bad VERSION '%s': give a version number >= 1",
                               argv[optind + 2]);
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_OK;
    if (gnv_table_restore(t, version) != GNV_OK)
        rc = cli_fail_lib(cmd);
    else if (!quiet)
        fprintf(stderr, "restored '%s' to version %" PRIu64 " (version %" PRIu64 ")\n",
                argv[optind + 1], version, gnv_table_version(t));
    cli_close_table(db, t);
    return rc;
}

/* ---- tag ------------------------------------------------------------------ */

typedef struct tags_ctx {
    const gnv_tag_info *list;
} tags_ctx;

static const char *tag_cell(void *ctx, size_t row, size_t col, char *buf, size_t size)
{
    const gnv_tag_info *tag = &((tags_ctx *)ctx)->list[row];
    if (col == 0)
        return tag->name;
    snprintf(buf, size, "%" PRIu64, tag->version);
    return buf;
}

static int tag_list(const cli_command *cmd, gnv_table *t, int format)
{
    gnv_tag_info *list = NULL;
    size_t n = 0;
    if (gnv_table_tag_list(t, &list, &n) != GNV_OK)
        return cli_fail_lib(cmd);
    static const char *const names[] = {"tag", "version"};
    static const bool numeric[] = {false, true};
    tags_ctx ctx = {list};
    cli_grid g = {2, names, numeric, n, tag_cell, &ctx};
    cli_print_grid(stdout, &g, format);
    gnv_table_tag_list_free(list, n);
    return cli_close_output(cmd, stdout, NULL) ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

/* The action's arguments: list takes none, delete NAME, create NAME [VERSION]. */
static int tag_check_args(const cli_command *cmd, const char *action, int nargs, char **args)
{
    int min = 0, max = 0;
    if (!strcmp(action, "create")) {
        min = 1;
        max = 2;
    } else if (!strcmp(action, "delete")) {
        min = max = 1;
    } else if (strcmp(action, "list") != 0) {
        return cli_usage_error(cmd, "unknown action '%s': use create, delete or list", action);
    }
    if (nargs < min)
        return cli_usage_error(cmd, "missing NAME: 'tag ... %s' needs the tag's name", action);
    if (nargs > max)
        return cli_usage_error(cmd, "unexpected argument '%s'", args[max]);
    return -1;
}

int cli_cmd_tag(const cli_command *cmd, int argc, char **argv)
{
    static const char *const names[] = {"DB", "TABLE", "ACTION (create, delete or list)"};
    int format = GNV_PRINT_TABLE;
    int rc = history_parse(cmd, argc, argv, &format, NULL);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 3, (size_t)argc, names);
    if (rc >= 0)
        return rc;
    const char *action = argv[optind + 2];
    char **args = argv + optind + 3;
    int nargs = argc - optind - 3;
    if ((rc = tag_check_args(cmd, action, nargs, args)) >= 0)
        return rc;
    uint64_t version = 0;
    if (nargs == 2 && !cli_parse_version(args[1], &version))
        return cli_usage_error(cmd, "bad VERSION '%s': give a version number >= 1", args[1]);

    gnv_db *db = NULL;
    gnv_table *t = NULL;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_OK;
    if (!strcmp(action, "list")) {
        rc = tag_list(cmd, t, format);
    } else if (!strcmp(action, "delete")) {
        if (gnv_table_tag_delete(t, args[0]) != GNV_OK)
            rc = cli_fail_lib(cmd);
    } else {
        if (!version)
            version = gnv_table_version(t);
        if (gnv_table_tag_create(t, args[0], version) != GNV_OK)
            rc = cli_fail_lib(cmd);
    }
    cli_close_table(db, t);
    return rc;
}
