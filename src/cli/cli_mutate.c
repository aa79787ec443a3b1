/* Changing rows: delete and update, both selecting rows with a SQL filter (--where). */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

const char cli_usage_delete[] =
    "usage: geneva delete DB TABLE --where EXPR [-q]\n"
    "\n"
    "Delete the rows of a table where the SQL filter EXPR is true, as a new version\n"
    "(the older versions keep them), and print the number of rows deleted to standard\n"
    "error. No version is made when no row matches.\n"
    "\n"
    "Options:\n"
    "  -w, --where EXPR    the filter (required; 'true' deletes every row)\n"
    "  -q, --quiet         print nothing\n"
    "  -h, --help          show this help\n"
    "\n"
    "Examples:\n"
    "  geneva delete db products --where 'in_stock = false'\n"
    "  geneva delete db products --where \"name LIKE 'Espresso%' OR price > 100\"\n";

const char cli_usage_update[] =
    "usage: geneva update DB TABLE --set COL=SQL [--set COL=SQL ...] [--where EXPR] [-q]\n"
    "\n"
    "Set columns of the rows where the SQL filter EXPR is true (default: every row) to\n"
    "the values of SQL expressions over the row, cast to the column's type, as a new\n"
    "version; print the number of rows updated to standard error. Strings are quoted\n"
    "'like this' in SQL. No version is made when no row matches.\n"
    "\n"
    "Options:\n"
    "  -s, --set COL=SQL   the new value of column COL (repeatable)\n"
    "  -w, --where EXPR    the rows to update (default: all)\n"
    "  -q, --quiet         print nothing\n"
    "  -h, --help          show this help\n"
    "\n"
    "Examples:\n"
    "  geneva update db products --set 'price=price * 0.9' --where 'price > 40'\n"
    "  geneva update db products --set \"name='Knife'\" --set in_stock=true --where id=1\n";

/* More --set than any table a person types the columns of is a usage error. */
#define MAX_SETS 256

static const char *const db_table[] = {"DB", "TABLE"};

int cli_fail_lib_where(const cli_command *cmd)
{
    const gnv_error *e = gnv_error_last();
    if (e && !strncmp(e->message, "where: ", 7))
        return cli_fail(cmd, "--%s", e->message);
    return cli_fail_lib(cmd);
}

static const char *rows_word(int64_t n)
{
    return n == 1 ? "row" : "rows";
}

typedef struct mutate_args {
    const char *where;
    bool quiet;
    size_t n_sets;
    const char *columns[MAX_SETS];
    const char *values[MAX_SETS];
} mutate_args;

/* Split COL=SQL in place (an argv string) at its first '='. */
static int add_set(const cli_command *cmd, char *arg, mutate_args *a)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return cli_usage_error(cmd, "bad --set '%s': give COLUMN=SQL, e.g. --set 'price=price*2'",
                               arg);
    if (a->n_sets == MAX_SETS)
        return cli_usage_error(cmd, "too many --set options (at most %d)", MAX_SETS);
    *eq = '\0';
    if (!eq[1])
        return cli_usage_error(cmd, "bad --set '%s=': the SQL value is empty (use NULL or '')",
                               arg);
    a->columns[a->n_sets] = arg;
    a->values[a->n_sets] = eq + 1;
    a->n_sets++;
    return -1;
}

static int mutate_parse(const cli_command *cmd, int argc, char **argv, bool update, mutate_args *a)
{
    static const struct option update_opts[] = {
        {"where", required_argument, NULL, 'w'},
        {"set", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    static const struct option delete_opts[] = {
        {"where", required_argument, NULL, 'w'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int opt, rc;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, update ? ":w:s:qh" : ":w:qh",
                              update ? update_opts : delete_opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'w':
            a->where = optarg;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 's':
            if ((rc = add_set(cmd, optarg, a)) >= 0)
                return rc;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    rc = cli_positionals(cmd, argc, argv, 2, 2, db_table);
    if (rc >= 0)
        return rc;
    if (!update && (!a->where || !*a->where))
        return cli_usage_error(cmd, "missing --where EXPR (give --where true to delete every row)");
    if (update && a->n_sets == 0)
        return cli_usage_error(cmd, "missing --set COL=SQL");
    return -1;
}

int cli_cmd_delete(const cli_command *cmd, int argc, char **argv)
{
    mutate_args a;
    memset(&a, 0, sizeof a);
    int rc = mutate_parse(cmd, argc, argv, false, &a);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    const char *name = argv[optind + 1];
    if (!cli_open_table(cmd, &db, &t, argv[optind], name))
        return CLI_EXIT_RUNTIME;
    int64_t n = 0;
    uint64_t before = gnv_table_version(t);
    if (gnv_table_delete(t, a.where, &n) != GNV_OK) {
        rc = cli_fail_lib_where(cmd);
        goto done;
    }
    rc = CLI_EXIT_OK;
    if (!a.quiet && gnv_table_version(t) != before)
        fprintf(stderr, "deleted %lld %s from '%s' (version %" PRIu64 ")\n", (long long)n,
                rows_word(n), name, gnv_table_version(t));
    else if (!a.quiet)
        fprintf(stderr, "deleted 0 rows from '%s' (no row matches; no new version)\n", name);
done:
    cli_close_table(db, t);
    return rc;
}

int cli_cmd_update(const cli_command *cmd, int argc, char **argv)
{
    mutate_args a;
    memset(&a, 0, sizeof a);
    int rc = mutate_parse(cmd, argc, argv, true, &a);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    const char *name = argv[optind + 1];
    if (!cli_open_table(cmd, &db, &t, argv[optind], name))
        return CLI_EXIT_RUNTIME;
    int64_t n = 0;
    uint64_t before = gnv_table_version(t);
    if (gnv_table_update(t, a.where, a.columns, a.values, a.n_sets, &n) != GNV_OK) {
        rc = cli_fail_lib_where(cmd);
        goto done;
    }
    rc = CLI_EXIT_OK;
    if (!a.quiet && gnv_table_version(t) != before)
        fprintf(stderr, "updated %lld %s of '%s' (version %" PRIu64 ")\n", (long long)n,
                rows_word(n), name, gnv_table_version(t));
    else if (!a.quiet)
        fprintf(stderr, "updated 0 rows of '%s' (no row matches; no new version)\n", name);
done:
    cli_close_table(db, t);
    return rc;
}
