/* Commands on the tables of a database: create, import, tables, drop and schema. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

const char cli_usage_create[] =
    "usage: geneva create DB TABLE --from FILE [options]\n"
    "\n"
    "Create table TABLE in database DB (a directory, created if missing) from the rows\n"
    "of a CSV, JSON Lines or Arrow IPC file, as version 1. Prints 'created table TABLE\n"
    "with N rows (version V)' to standard error. Table names are 1 to 200 ASCII\n"
    "letters, digits, '_', '-' and '.', not starting with '.'.\n"
    "\n"
    "Options:\n"
    "      --from FILE            the data (required)\n"
    "      --mode M               what to do when TABLE exists: create (default: fail),\n"
    "                             overwrite (commit a new version holding only FILE's\n"
    "                             rows) or exist_ok (keep the table as it is; FILE's\n"
    "                             schema must equal the table's)\n"
    "      --storage-version V    Lance data file version: 2.1 (default) or 2.2\n"
    "      --max-rows-per-file N  rows per data file (default 1048576)\n"
    "      --stable-row-ids       give the table stable row ids (LanceDB's\n"
    "                             enableStableRowIds): each row keeps its _rowid\n"
    "                             through deletes, updates and column changes\n"
    "  -q, --quiet                no progress line and no summary\n"
    "  -h, --help                 show this help\n"
    "\n" CLI_READ_OPTIONS_HELP "\n"
    "Examples:\n"
    "  geneva create db products --from products.csv\n"
    "  geneva create db products --from products.jsonl --mode overwrite --storage-version 2.2\n";

const char cli_usage_import[] =
    "usage: geneva import DB TABLE FILE [options]\n"
    "\n"
    "Append the rows of a CSV, JSON Lines or Arrow IPC file to an existing table, as a\n"
    "new version. FILE's schema must equal the table's: the same column names, types\n"
    "and nullability, in order (use --types when inference picks other types).\n"
    "Prints 'added N rows to TABLE (version V)' to standard error.\n"
    "\n"
    "Options:\n"
    "      --max-rows-per-file N  rows per data file (default 1048576)\n"
    "  -q, --quiet                no progress line and no summary\n"
    "  -h, --help                 show this help\n"
    "\n" CLI_READ_OPTIONS_HELP "\n"
    "Examples:\n"
    "  geneva import db products more-products.csv\n"
    "  geneva import db events events.jsonl --types ts:timestamp[ms]\n";

const char cli_usage_tables[] = "usage: geneva tables DB\n"
                                "\n"
                                "List the tables of database DB, one name per line, sorted.\n";

const char cli_usage_drop[] = "usage: geneva drop DB TABLE\n"
                              "\n"
                              "Delete table TABLE of database DB with all its versions and tags.\n"
                              "This cannot be undone.\n";

const char cli_usage_schema[] =
    "usage: geneva schema DB TABLE [options]\n"
    "\n"
    "Print the schema of a table, one column per line as 'name: type' (as 'geneva\n"
    "inspect --schema-only' prints a file's).\n"
    "\n"
    "Options:\n"
    "      --version V     the schema of version V instead of the latest\n"
    "      --tag T         the schema of the version tag T names\n"
    "  -h, --help          show this help\n";

enum {
    OPT_FROM = CLI_OPT_FIRST_FREE,
    OPT_MODE,
    OPT_STORAGE_VERSION,
    OPT_MAX_ROWS,
    OPT_STABLE_ROW_IDS,
};

static const char *const db_table_file[] = {"DB", "TABLE", "FILE"};

/* Options of create and import. */
typedef struct load_args {
    gnv_read_options ro;
    gnv_create_table_options co;
    const char *from;
    bool quiet;
} load_args;

static int parse_mode(const char *s)
{
    if (!strcmp(s, "create"))
        return GNV_CREATE_MODE_CREATE;
    if (!strcmp(s, "overwrite"))
        return GNV_CREATE_MODE_OVERWRITE;
    if (!strcmp(s, "exist_ok"))
        return GNV_CREATE_MODE_EXIST_OK;
    return -1;
}

/* Parse the options of create (is_create) or import; returns -1 to go on, or an exit
 * code. The positionals are checked by the caller. */
static int load_parse(const cli_command *cmd, int argc, char **argv, bool is_create, load_args *a)
{
    static const struct option create_opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"from", required_argument, NULL, OPT_FROM},
        {"mode", required_argument, NULL, OPT_MODE},
        {"storage-version", required_argument, NULL, OPT_STORAGE_VERSION},
        {"max-rows-per-file", required_argument, NULL, OPT_MAX_ROWS},
        {"stable-row-ids", no_argument, NULL, OPT_STABLE_ROW_IDS},
        CLI_READ_LONG_OPTIONS,
        {0, 0, 0, 0},
    };
    static const struct option import_opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"max-rows-per-file", required_argument, NULL, OPT_MAX_ROWS},
        CLI_READ_LONG_OPTIONS,
        {0, 0, 0, 0},
    };
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hq", is_create ? create_opts : import_opts, NULL)) !=
           -1) {
        int r = cli_read_option(cmd, opt, optarg, &a->ro);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'q':
            a->quiet = true;
            break;
        case OPT_FROM:
            a->from = optarg;
            break;
        case OPT_MODE:
            a->co.mode = parse_mode(optarg);
            if (a->co.mode < 0)
                return cli_usage_error(cmd, "bad --mode '%s': use create, overwrite or exist_ok",
                                       optarg);
            break;
        case OPT_STORAGE_VERSION:
            if (strcmp(optarg, "2.1") != 0 && strcmp(optarg, "2.2") != 0)
                return cli_usage_error(cmd, "bad --storage-version '%s': use 2.1 or 2.2", optarg);
            a->co.storage_version = optarg;
            break;
        case OPT_MAX_ROWS:
            if (!cli_parse_int64(optarg, 1, INT64_MAX, &a->co.max_rows_per_file))
                return cli_usage_error(
                    cmd, "bad --max-rows-per-file '%s': give a whole number >= 1", optarg);
            break;
        case OPT_STABLE_ROW_IDS:
            a->co.enable_stable_row_ids = 1;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    return -1;
}

/* Open FILE and wrap it in a counting stream (progress on a terminal). */
static bool open_counted(const cli_command *cmd,
                         struct ArrowArrayStream *in,
                         cli_progress *p,
                         const load_args *a,
                         const char *path)
{
    if (!cli_open_input(cmd, in, path, &a->ro))
        return false;
    cli_progress_wrap(p, in, cli_progress_wanted(a->quiet));
    return true;
}

static const char *plural(int64_t n)
{
    return n == 1 ? "" : "s";
}

/* Whether `name` already is a table of db (for the summary of --mode exist_ok). */
static bool table_exists(gnv_db *db, const char *name)
{
    gnv_table *t = NULL;
    bool exists = gnv_db_open_table(&t, db, name) == GNV_OK;
    gnv_table_close(t);
    gnv_error_clear();
    return exists;
}

int cli_cmd_create(const cli_command *cmd, int argc, char **argv)
{
    load_args a;
    memset(&a, 0, sizeof a);
    a.ro = (gnv_read_options)GNV_READ_OPTIONS_INIT;
    a.co = (gnv_create_table_options)GNV_CREATE_TABLE_OPTIONS_INIT;
    int rc = load_parse(cmd, argc, argv, true, &a);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 2, 2, db_table_file);
    if (rc >= 0)
        return rc;
    if (!a.from)
        return cli_usage_error(cmd, "missing --from FILE: the data to create the table from");
    const char *db_path = argv[optind], *name = argv[optind + 1];

    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream in;
    cli_progress progress;
    memset(&in, 0, sizeof in);
    /* The file first, so that a missing one leaves no new database directory. */
    if (!open_counted(cmd, &in, &progress, &a, a.from))
        return CLI_EXIT_RUNTIME;
    if (!cli_open_db(cmd, &db, db_path, true)) {
        rc = CLI_EXIT_RUNTIME;
        goto done;
    }
    bool existed = a.co.mode == GNV_CREATE_MODE_EXIST_OK && table_exists(db, name);
    int lrc = gnv_db_create_table(&t, db, name, &in, NULL, &a.co);
    cli_progress_end(&progress);
    if (lrc == GNV_EEXISTS) {
        rc = cli_fail(cmd,
                      "%s in database '%s'; use --mode overwrite to replace its rows, "
                      "or --mode exist_ok to keep it",
                      gnv_error_last()->message, db_path);
        goto done;
    }
    if (lrc != GNV_OK) {
        rc = cli_fail_lib(cmd);
        goto done;
    }
    rc = CLI_EXIT_OK;
    if (a.quiet)
        goto done;
    if (existed)
        fprintf(stderr, "table '%s' exists (version %" PRIu64 "); nothing added\n", name,
                gnv_table_version(t));
    else
        fprintf(stderr, "created table '%s' with %lld row%s (version %" PRIu64 ")\n", name,
                (long long)progress.rows, plural(progress.rows), gnv_table_version(t));
done:
    cli_stream_release(&in);
    cli_close_table(db, t);
    return rc;
}

int cli_cmd_import(const cli_command *cmd, int argc, char **argv)
{
    load_args a;
    memset(&a, 0, sizeof a);
    a.ro = (gnv_read_options)GNV_READ_OPTIONS_INIT;
    a.co = (gnv_create_table_options)GNV_CREATE_TABLE_OPTIONS_INIT;
    int rc = load_parse(cmd, argc, argv, false, &a);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 3, 3, db_table_file);
    if (rc >= 0)
        return rc;
    const char *db_path = argv[optind], *name = argv[optind + 1], *path = argv[optind + 2];

    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream in;
    cli_progress progress;
    memset(&in, 0, sizeof in);
    if (!cli_open_table(cmd, &db, &t, db_path, name))
        return CLI_EXIT_RUNTIME;
    if (!open_counted(cmd, &in, &progress, &a, path)) {
        rc = CLI_EXIT_RUNTIME;
        goto done;
    }
    gnv_add_options ao = GNV_ADD_OPTIONS_INIT;
    ao.max_rows_per_file = a.co.max_rows_per_file;
    int lrc = gnv_table_add(t, &in, &ao);
    cli_progress_end(&progress);
    if (lrc != GNV_OK) {
        rc = cli_fail_lib(cmd);
        goto done;
    }
    rc = CLI_EXIT_OK;
    if (!a.quiet)
        fprintf(stderr, "added %lld row%s to '%s' (version %" PRIu64 ")\n",
                (long long)progress.rows, plural(progress.rows), name, gnv_table_version(t));
done:
    cli_stream_release(&in);
    cli_close_table(db, t);
    return rc;
}

int cli_cmd_tables(const cli_command *cmd, int argc, char **argv)
{
    int rc = cli_parse_plain(cmd, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 1, 1, db_table_file);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    char **names = NULL;
    size_t n = 0;
    if (!cli_open_db(cmd, &db, argv[optind], false))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_OK;
    if (gnv_db_table_names(db, &names, &n) != GNV_OK)
        rc = cli_fail_lib(cmd);
    for (size_t i = 0; i < n; i++)
        printf("%s\n", names[i]);
    gnv_db_table_names_free(names, n);
    gnv_db_close(db);
    if (rc == CLI_EXIT_OK && !cli_close_output(cmd, stdout, NULL))
        rc = CLI_EXIT_RUNTIME;
    return rc;
}

int cli_cmd_drop(const cli_command *cmd, int argc, char **argv)
{
    int rc = cli_parse_plain(cmd, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 2, 2, db_table_file);
    if (rc >= 0)
        return rc;
    const char *db_path = argv[optind], *name = argv[optind + 1];
    gnv_db *db = NULL;
    if (!cli_open_db(cmd, &db, db_path, false))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_OK;
    if (gnv_db_drop_table(db, name) != GNV_OK)
        rc = cli_fail_table(cmd, db_path, name);
    gnv_db_close(db);
    return rc;
}

int cli_cmd_schema(const cli_command *cmd, int argc, char **argv)
{
    gnv_db *db;
    gnv_table *t;
    struct ArrowSchema schema;
    gnv_buf text = GNV_BUF_INIT;
    memset(&schema, 0, sizeof schema);
    int rc = cli_open_table_at(cmd, argc, argv, &db, &t);
    if (rc >= 0)
        return rc;
    rc = CLI_EXIT_RUNTIME;
    if (gnv_table_schema(t, &schema) != GNV_OK || gnv_schema_describe(&text, &schema) != GNV_OK) {
        cli_fail_lib(cmd);
        goto done;
    }
    if (text.size)
        fwrite(text.ptr, 1, text.size, stdout);
    rc = cli_close_output(cmd, stdout, NULL) ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
done:
    if (schema.release)
        schema.release(&schema);
    gnv_buf_dispose(&text);
    cli_close_table(db, t);
    return rc;
}
