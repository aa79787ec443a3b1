/* Reading tables: scan (rows, in any output format) and count. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

const char cli_usage_scan[] =
    "usage: geneva scan DB TABLE [options]\n"
    "\n"
    "Print the rows of a table, at its latest version or, with --version or --tag, at\n"
    "an older one; or write them to an Arrow IPC file.\n"
    "\n"
    "Options:\n"
    "  -c, --columns LIST  the columns to read, comma-separated, in output order\n"
    "                      (default: all); may name _rowid\n"
    "  -w, --where EXPR    only the rows where the SQL filter EXPR is true, e.g.\n"
    "                      \"price > 10 AND name LIKE 'C%'\" (may use _rowid, _rowaddr)\n"
    "  -n, --limit N       at most N rows (default: all; counted after --where)\n"
    "      --offset N      skip the first N rows (counted after --where)\n"
    "      --version V     read version V (time travel)\n"
    "      --tag T         read the version tag T names\n"
    "      --with-row-id   add a _rowid column (uint64)\n"
    "  -f, --format F      table (default), csv, jsonl, or arrow (an Arrow IPC file;\n"
    "                      needs --out)\n"
    "      --max-width N   table format: cut values wider than N characters (default 40)\n"
    "  -o, --out FILE      write to FILE instead of standard output\n"
    "  -h, --help          show this help\n"
    "\n"
    "Examples:\n"
    "  geneva scan db products --columns id,name --limit 5\n"
    "  geneva scan db products --where 'price < 20' -c name,price\n"
    "  geneva scan db products --version 1 --format jsonl\n"
    "  geneva scan db products --format arrow --out products.arrow\n";

const char cli_usage_count[] =
    "usage: geneva count DB TABLE [options]\n"
    "\n"
    "Print the number of rows of a table (a bare number).\n"
    "\n"
    "Options:\n"
    "  -w, --where EXPR    count only the rows where the SQL filter EXPR is true\n"
    "      --version V     count the rows of version V instead of the latest\n"
    "      --tag T         count the rows of the version tag T names\n"
    "  -h, --help          show this help\n";

enum {
    OPT_OFFSET = CLI_OPT_FIRST_FREE,
    OPT_WITH_ROW_ID,
    OPT_MAX_WIDTH,
};

/* Enough for any table a person types the columns of; more is a usage error. */
#define MAX_COLUMNS 1024

/* The --format value beyond gnv_print_format's. */
#define FORMAT_ARROW 100

static const char *const db_table[] = {"DB", "TABLE"};

typedef struct scan_args {
    gnv_scan_options so;
    gnv_print_options po;
    cli_at at;
    const char *out_path;
    const char *columns[MAX_COLUMNS];
} scan_args;

/* Split LIST at commas, in place (it is an argv string), into a->columns. */
static int parse_columns(const cli_command *cmd, char *list, scan_args *a)
{
    size_t n = 0;
    char *p = list;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p)
            return cli_usage_error(cmd, "bad --columns: empty column name in the list");
        if (n == MAX_COLUMNS)
            return cli_usage_error(cmd, "bad --columns: more than %d columns", MAX_COLUMNS);
        a->columns[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    a->so.columns = a->columns;
    a->so.n_columns = n;
    return -1;
}

static int scan_parse(const cli_command *cmd, int argc, char **argv, scan_args *a)
{
    static const struct option longopts[] = {
        {"columns", required_argument, NULL, 'c'},
        {"where", required_argument, NULL, 'w'},
        {"limit", required_argument, NULL, 'n'},
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {"offset", required_argument, NULL, OPT_OFFSET},
        {"with-row-id", no_argument, NULL, OPT_WITH_ROW_ID},
        {"max-width", required_argument, NULL, OPT_MAX_WIDTH},
        CLI_AT_LONG_OPTIONS,
        {0, 0, 0, 0},
    };
    int opt, rc;
    int64_t v;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:w:n:f:o:h", longopts, NULL)) != -1) {
        int r = cli_at_option(cmd, opt, optarg, &a->at);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'c':
            if ((rc = parse_columns(cmd, optarg, a)) >= 0)
                return rc;
            break;
        case 'w':
            a->so.where = optarg;
            break;
        case 'n':
            if (!cli_parse_int64(optarg, 0, INT64_MAX, &a->so.limit))
                return cli_usage_error(cmd, "bad --limit '%s': give a whole number >= 0", optarg);
            break;
        case OPT_OFFSET:
            if (!cli_parse_int64(optarg, 0, INT64_MAX, &a->so.offset))
                return cli_usage_error(cmd, "bad --offset '%s': give a whole number >= 0", optarg);
            break;
        case 'f':
            a->po.format = !strcmp(optarg, "arrow") ? FORMAT_ARROW : cli_parse_print_format(optarg);
            if (a->po.format < 0)
                return cli_usage_error(cmd, "bad --format '%s': use table, csv, jsonl or arrow",
                                       optarg);
            break;
        case 'o':
            a->out_path = optarg;
            break;
        case OPT_WITH_ROW_ID:
            a->so.with_row_id = 1;
            break;
        case OPT_MAX_WIDTH:
            if (!cli_parse_int64(optarg, 2, 100000, &v))
                return cli_usage_error(cmd, "bad --max-width '%s': give a number from 2 to 100000",
                                       optarg);
            a->po.max_width = (int)v;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    rc = cli_positionals(cmd, argc, argv, 2, 2, db_table);
    if (rc >= 0)
        return rc;
    /* --with-row-id with _rowid among the --columns would read it twice. */
    for (size_t i = 0; i < a->so.n_columns && a->so.with_row_id; i++)
        if (!strcmp(a->columns[i], "_rowid"))
            a->so.with_row_id = 0;
    if (a->po.format == FORMAT_ARROW && (!a->out_path || !strcmp(a->out_path, "-")))
        return cli_usage_error(cmd, "--format arrow needs --out FILE");
    return -1;
}

/* Write the scan to an Arrow IPC file, or print it. */
static int scan_output(const cli_command *cmd, struct ArrowArrayStream *rows, const scan_args *a)
{
    int rc = CLI_EXIT_OK;
    if (a->po.format == FORMAT_ARROW) {
        gnv_ipc_write_options wo = GNV_IPC_WRITE_OPTIONS_INIT;
        if (gnv_write_ipc(a->out_path, rows, &wo, NULL) != GNV_OK)
            rc = cli_fail_lib_where(cmd);
        return rc;
    }
    FILE *out = cli_open_output(cmd, a->out_path);
    if (!out)
        return CLI_EXIT_RUNTIME;
    if (gnv_print_stream(out, rows, &a->po, NULL) != GNV_OK)
        rc = cli_fail_lib_where(cmd);
    if (!cli_close_output(cmd, out, a->out_path) && rc == CLI_EXIT_OK)
        rc = CLI_EXIT_RUNTIME;
    return rc;
}

int cli_cmd_scan(const cli_command *cmd, int argc, char **argv)
{
    scan_args a;
    memset(&a, 0, sizeof a);
    a.so = (gnv_scan_options)GNV_SCAN_OPTIONS_INIT;
    a.po = (gnv_print_options)GNV_PRINT_OPTIONS_INIT;
    int rc = scan_parse(cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;

    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream rows;
    memset(&rows, 0, sizeof rows);
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_RUNTIME;
    if (!cli_checkout(cmd, &t, &a.at))
        goto done;
    if (gnv_table_scan(t, &a.so, &rows) != GNV_OK) {
        cli_fail_lib_where(cmd);
        goto done;
    }
    rc = scan_output(cmd, &rows, &a);
done:
    cli_stream_release(&rows);
    cli_close_table(db, t);
    return rc;
}

int cli_cmd_count(const cli_command *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"where", required_argument, NULL, 'w'},
        CLI_AT_LONG_OPTIONS,
        {0, 0, 0, 0},
    };
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    cli_at at = {0, NULL};
    const char *where = NULL;
    int64_t n = 0;
    int opt, rc;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hw:", longopts, NULL)) != -1) {
        int r = cli_at_option(cmd, opt, optarg, &at);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        if (opt == 'h')
            return cli_print_help(cmd);
        if (opt == 'w') {
            where = optarg;
            continue;
        }
        return cli_bad_option(cmd, opt, argv);
    }
    rc = cli_positionals(cmd, argc, argv, 2, 2, db_table);
    if (rc >= 0)
        return rc;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_RUNTIME;
    if (!cli_checkout(cmd, &t, &at))
        goto done;
    if (gnv_table_count_rows_where(t, where, &n) != GNV_OK) {
        cli_fail_lib_where(cmd);
        goto done;
    }
    printf("%lld\n", (long long)n);
    rc = cli_close_output(cmd, stdout, NULL) ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
done:
    cli_close_table(db, t);
    return rc;
}
