/* Changing a table's columns: add-column (a SQL expression), drop-column, alter-column. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_usage_add_column[] =
    "usage: geneva add-column DB TABLE NAME --sql EXPR [options]\n"
    "       geneva add-column DB TABLE NAME --udf LIB:FUNC [--inputs A,B] [options]\n"
    "\n"
    "Add a column whose value in each row is a SQL expression (DataFusion's dialect, as\n"
    "in LanceDB) over the table's columns, e.g. 'price * 2' or \"concat(a, '-', b)\".\n"
    "The column's type is the expression's. Existing data is not rewritten: the new\n"
    "column goes into new data files, committed as a new version. 'CAST(NULL AS type)'\n"
    "adds a column of NULLs without writing data. Prints 'added column NAME to TABLE\n"
    "(version N)' to standard error.\n"
    "\n"
    "With --udf the column is virtual: NULL until 'geneva backfill' computes it with the\n"
    "function FUNC of the UDF library LIB (a copy of which is kept in the table), from\n"
    "the --inputs columns (default: the columns named as the function's parameters).\n"
    "\n"
    "Options:\n"
    "  --sql EXPR          the expression\n"
    "  --udf LIB:FUNC      a UDF instead (see docs/backfill.md)\n"
    "  --inputs A,B        the UDF's input columns, one per parameter\n"
    "  --on-error P        the column's error policy, used by backfills that give none:\n"
    "                      fail, retry:N or skip (as for 'geneva backfill')\n"
    "  --skip-budget N|P%  with --on-error skip: the job fails once more than N rows (or\n"
    "                      P% of its rows) were skipped\n"
    "  -q, --quiet         print nothing\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva add-column db products price_eur --sql 'price * 0.92'\n"
    "  added column 'price_eur' to 'products' (version 3)\n";

const char cli_usage_drop_column[] =
    "usage: geneva drop-column DB TABLE COLUMN [COLUMN...] [options]\n"
    "\n"
    "Remove columns from a table's schema (a nested field is named 'a.b'). Only the\n"
    "schema changes; older versions still hold the data. A table keeps at least one\n"
    "column. Prints 'dropped N column(s) from TABLE (version N)' to standard error.\n"
    "\n"
    "Options:\n"
    "  -q, --quiet         print nothing\n"
    "  -h, --help          show this help\n";

const char cli_usage_alter_column[] =
    "usage: geneva alter-column DB TABLE COLUMN [--rename NAME] [--cast TYPE]\n"
    "                           [--nullable true|false] [options]\n"
    "       geneva alter-column DB TABLE COLUMN --udf LIB:FUNC [--inputs A,B] [options]\n"
    "\n"
    "Change a column: its name, its type or whether it may hold nulls (at least one of\n"
    "the three). Renaming and making a column nullable change only the schema; a cast,\n"
    "or making a column non-nullable, writes the column again (a value that does not\n"
    "convert, or a null, fails and changes nothing). Types are written as 'inspect'\n"
    "prints them: int32, int64, float64, utf8, ... Prints 'altered column COLUMN of\n"
    "TABLE (version N)' to standard error.\n"
    "\n"
    "With --udf, a virtual column gets the function FUNC of the UDF library LIB instead of\n"
    "its own (same output type; --inputs, default: the column's inputs, must match its\n"
    "parameters). Only the schema changes: the values stay until the next 'geneva\n"
    "backfill' ('--where 1=1' recomputes them all). On a column of a multi-column group\n"
    "('geneva add-columns'), the whole group's function changes (same struct output).\n"
    "\n"
    "Options:\n"
    "  --udf LIB:FUNC      a new UDF for a virtual column\n"
    "  --inputs A,B        its input columns, one per parameter\n"
    "  --rename NAME       the new name\n"
    "  --cast TYPE         the new type\n"
    "  --nullable B        true or false\n"
    "  -q, --quiet         print nothing\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva alter-column db products qty --cast int32 --rename quantity\n"
    "  altered column 'qty' of 'products' (version 4)\n";

enum {
    OPT_SQL = CLI_OPT_FIRST_FREE,
    OPT_RENAME,
    OPT_CAST,
    OPT_NULLABLE,
    OPT_UDF,
    OPT_INPUTS,
    OPT_ON_ERROR,
    OPT_SKIP_BUDGET
};

typedef struct col_args {
    bool quiet;
    const char *sql;
    const char *udf;
    const char *inputs;
    cli_on_error on_error;
    const char *rename;
    const char *cast;
    int nullable;
} col_args;

/* Parse the options of the three commands; -1 to go on, or an exit code. */
static int col_parse(const cli_command *cmd, int argc, char **argv, col_args *a)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"sql", required_argument, NULL, OPT_SQL},
        {"rename", required_argument, NULL, OPT_RENAME},
        {"cast", required_argument, NULL, OPT_CAST},
        {"nullable", required_argument, NULL, OPT_NULLABLE},
        {"udf", required_argument, NULL, OPT_UDF},
        {"inputs", required_argument, NULL, OPT_INPUTS},
        {"on-error", required_argument, NULL, OPT_ON_ERROR},
        {"skip-budget", required_argument, NULL, OPT_SKIP_BUDGET},
        {0, 0, 0, 0},
    };
    bool add = !strcmp(cmd->name, "add-column"), alter = !strcmp(cmd->name, "alter-column");
    const cli_on_error oe0 = CLI_ON_ERROR_INIT;
    int opt, rc;
    optind = 0;
    opterr = 0;
    memset(a, 0, sizeof *a);
    a->on_error = oe0;
    while ((opt = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'q':
            a->quiet = true;
            break;
        case OPT_SQL:
            if (!add)
                return cli_usage_error(cmd, "unknown option '--sql'");
            a->sql = optarg;
            break;
        case OPT_UDF:
        case OPT_INPUTS:
            if (!add && !alter)
                return cli_usage_error(cmd, "unknown option '--%s'",
                                       opt == OPT_UDF ? "udf" : "inputs");
            *(opt == OPT_UDF ? &a->udf : &a->inputs) = optarg;
            break;
        case OPT_ON_ERROR:
        case OPT_SKIP_BUDGET:
            if (!add)
                return cli_usage_error(cmd, "unknown option '--%s'",
                                       opt == OPT_ON_ERROR ? "on-error" : "skip-budget");
            rc = cli_on_error_option(cmd, opt == OPT_SKIP_BUDGET, optarg, &a->on_error);
            if (rc >= 0)
                return rc;
            break;
        case OPT_RENAME:
        case OPT_CAST:
        case OPT_NULLABLE:
            if (!alter)
                return cli_usage_error(cmd, "unknown option '--%s'",
                                       opt == OPT_RENAME ? "rename"
                                       : opt == OPT_CAST ? "cast"
                                                         : "nullable");
            if (opt == OPT_RENAME)
                a->rename = optarg;
            else if (opt == OPT_CAST)
                a->cast = optarg;
            else if (!strcmp(optarg, "true"))
                a->nullable = GNV_NULLABLE_TRUE;
            else if (!strcmp(optarg, "false"))
                a->nullable = GNV_NULLABLE_FALSE;
            else
                return cli_usage_error(cmd, "bad --nullable '%s': use true or false", optarg);
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    return -1;
}

int cli_cmd_add_column(const cli_command *cmd, int argc, char **argv)
{
    static const char *const names[] = {"DB", "TABLE", "NAME"};
    col_args a;
    int rc = col_parse(cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 3, 3, names);
    if (rc >= 0)
        return rc;
    if (a.sql && a.udf)
        return cli_usage_error(cmd, "give --sql or --udf, not both");
    if (a.inputs && !a.udf)
        return cli_usage_error(cmd, "--inputs goes with --udf");
    if ((a.on_error.given || a.on_error.budget) && !a.udf)
        return cli_usage_error(cmd, "--%s goes with --udf",
                               a.on_error.given ? "on-error" : "skip-budget");
    rc = cli_on_error_check(cmd, &a.on_error);
    if (rc >= 0)
        return rc;
    if (a.udf)
        return cli_add_udf_column(cmd, argv[optind], argv[optind + 1], argv[optind + 2], a.udf,
                                  a.inputs, a.on_error.given ? &a.on_error.pol : NULL, a.quiet,
                                  false);
    if (!a.sql)
        return cli_usage_error(cmd, "missing --sql EXPR (or --udf LIB:FUNC)");
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    const char *col[] = {argv[optind + 2]}, *expr[] = {a.sql};
    rc = CLI_EXIT_OK;
    if (gnv_table_add_columns_sql(t, col, expr, 1) != GNV_OK)
        rc = cli_fail_lib(cmd);
    else if (!a.quiet)
        fprintf(stderr, "added column '%s' to '%s' (version %" PRIu64 ")\n", col[0],
                argv[optind + 1], gnv_table_version(t));
    cli_close_table(db, t);
    return rc;
}

int cli_cmd_drop_column(const cli_command *cmd, int argc, char **argv)
{
    static const char *const names[] = {"DB", "TABLE", "COLUMN"};
    col_args a;
    int rc = col_parse(cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 3, (size_t)(argc > 3 ? argc : 3), names);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    size_t n = (size_t)(argc - optind - 2);
    rc = CLI_EXIT_OK;
    if (gnv_table_drop_columns(t, (const char *const *)argv + optind + 2, n) != GNV_OK)
        rc = cli_fail_lib(cmd);
    else if (!a.quiet)
        fprintf(stderr, "dropped %zu column%s from '%s' (version %" PRIu64 ")\n", n,
                n == 1 ? "" : "s", argv[optind + 1], gnv_table_version(t));
    cli_close_table(db, t);
    return rc;
}

int cli_cmd_alter_column(const cli_command *cmd, int argc, char **argv)
{
    static const char *const names[] = {"DB", "TABLE", "COLUMN"};
    col_args a;
    int rc = col_parse(cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 3, 3, names);
    if (rc >= 0)
        return rc;
    if (a.inputs && !a.udf)
        return cli_usage_error(cmd, "--inputs goes with --udf");
    if (a.udf && (a.rename || a.cast || a.nullable != GNV_NULLABLE_KEEP))
        return cli_usage_error(cmd, "give --udf alone (not with --rename, --cast, --nullable)");
    if (a.udf)
        return cli_add_udf_column(cmd, argv[optind], argv[optind + 1], argv[optind + 2], a.udf,
                                  a.inputs, NULL, a.quiet, true);
    if (!a.rename && !a.cast && a.nullable == GNV_NULLABLE_KEEP)
        return cli_usage_error(cmd,
                               "nothing to change: give --rename, --cast, --nullable or --udf");
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    gnv_column_alteration al = GNV_COLUMN_ALTERATION_INIT;
    al.path = argv[optind + 2];
    al.rename = a.rename;
    al.cast = a.cast;
    al.nullable = a.nullable;
    rc = CLI_EXIT_OK;
    if (gnv_table_alter_columns(t, &al, 1) != GNV_OK)
        rc = cli_fail_lib(cmd);
    else if (!a.quiet)
        fprintf(stderr, "altered column '%s' of '%s' (version %" PRIu64 ")\n", al.path,
                argv[optind + 1], gnv_table_version(t));
    cli_close_table(db, t);
    return rc;
}

const char cli_usage_add_columns[] =
    "usage: geneva add-columns DB TABLE --udf LIB:FUNC [--inputs A,B] [--prefix P]\n"
    "                          [options]\n"
    "\n"
    "Add the sibling columns of a multi-column UDF: the function FUNC of the UDF library\n"
    "LIB returns a struct, and each of its fields becomes a virtual column named P plus\n"
    "the field's name, NULL until 'geneva backfill' computes them. The columns form a\n"
    "group: backfilling any of them computes the function once and fills them all.\n"
    "--inputs as for 'add-column --udf'. Prints 'added columns A, B to TABLE (version\n"
    "N)' to standard error.\n"
    "\n"
    "Options:\n"
    "  --udf LIB:FUNC      the function (its output must be a struct)\n"
    "  --inputs A,B        its input columns, one per parameter\n"
    "  --prefix P          put before each field's name (no '.')\n"
    "  -q, --quiet         print nothing\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva add-columns db docs --udf ./demo_udfs.so:split_words --inputs body \\\n"
    "        --prefix w_\n"
    "  added columns w_first, w_count to 'docs' (version 5)\n";

int cli_cmd_add_columns(const cli_command *cmd, int argc, char **argv)
{
    enum { OPT_M_UDF = CLI_OPT_FIRST_FREE, OPT_M_INPUTS, OPT_M_PREFIX };
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"udf", required_argument, NULL, OPT_M_UDF},
        {"inputs", required_argument, NULL, OPT_M_INPUTS},
        {"prefix", required_argument, NULL, OPT_M_PREFIX},
        {0, 0, 0, 0},
    };
    static const char *const names[] = {"DB", "TABLE"};
    const char *udf = NULL, *inputs = NULL, *prefix = NULL;
    bool quiet = false;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'q':
            quiet = true;
            break;
        case OPT_M_UDF:
            udf = optarg;
            break;
        case OPT_M_INPUTS:
            inputs = optarg;
            break;
        case OPT_M_PREFIX:
            prefix = optarg;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    int rc = cli_positionals(cmd, argc, argv, 2, 2, names);
    if (rc >= 0)
        return rc;
    if (!udf)
        return cli_usage_error(cmd, "missing --udf LIB:FUNC");

    cli_udf_target u;
    rc = cli_udf_target_open(&u, cmd, argv[optind], argv[optind + 1], udf, inputs);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (gnv_table_add_udf_columns(u.t, u.fn, u.in, u.n_in, prefix) != GNV_OK) {
        rc = cli_fail_lib(cmd);
    } else if (!quiet) {
        const struct ArrowSchema *out = gnv_udf_function_output(u.fn);
        fprintf(stderr, "added columns ");
        for (int64_t i = 0; i < out->n_children; i++)
            fprintf(stderr, "%s%s%s", i ? ", " : "", prefix ? prefix : "", out->children[i]->name);
        fprintf(stderr, " to '%s' (version %" PRIu64 ")\n", argv[optind + 1],
                gnv_table_version(u.t));
    }
    cli_udf_target_close(&u);
    return rc;
}
