/* merge-insert: upsert the rows of a file into a table by key columns. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

const char cli_usage_merge_insert[] =
    "usage: geneva merge-insert DB TABLE FILE --on COLS [--update-all | --update COLS]\n"
    "                           [--insert] [--delete-not-in-source [--where EXPR]]\n"
    "\n"
    "Merge the rows of a CSV, JSON Lines or Arrow IPC file into a table by key, as\n"
    "LanceDB's merge_insert, in one new version: a table row matches a file row when\n"
    "all key columns are equal (NULL keys never match). Matched rows are updated with\n"
    "the file's values (--update-all, or only the columns of --update), file rows that\n"
    "match nothing are inserted (--insert), and table rows the file lacks are deleted\n"
    "(--delete-not-in-source, only where EXPR is true with --where). FILE's columns are\n"
    "some of the table's (the keys included), of the same types; the columns it lacks\n"
    "keep their values in updated rows and are NULL in inserted ones. FILE is read into\n"
    "memory. Prints 'merged into TABLE (version V): U updated, I inserted, D deleted' to\n"
    "standard error; no version is made when nothing changes.\n"
    "\n"
    "Options:\n"
    "      --on COLS                the key columns, comma-separated (required)\n"
    "      --update-all             update matched rows with every column of FILE\n"
    "      --update COLS            update only these columns of matched rows\n"
    "      --update-where EXPR      only update matched rows where EXPR is true; it sees\n"
    "                               target.COL (the table's row) and source.COL (FILE's)\n"
    "      --insert                 insert the rows of FILE that match no row\n"
    "      --delete-not-in-source   delete the rows of the table that FILE lacks\n"
    "  -w, --where EXPR             only delete those where EXPR (over the table's\n"
    "                               columns) is true\n"
    "  -q, --quiet                  print nothing\n"
    "  -h, --help                   show this help\n"
    "\n" CLI_READ_OPTIONS_HELP "\n"
    "Examples:\n"
    "  geneva merge-insert db products new.csv --on id --update-all --insert\n"
    "  geneva merge-insert db products prices.csv --on id --update price\n"
    "  geneva merge-insert db stock today.jsonl --on shop,sku --update-all --insert \\\n"
    "      --delete-not-in-source --where \"shop = 'north'\"\n";

enum {
    OPT_ON = CLI_OPT_FIRST_FREE,
    OPT_UPDATE_ALL,
    OPT_UPDATE,
    OPT_UPDATE_WHERE,
    OPT_INSERT,
    OPT_DELETE,
};

/* More columns than a person types is a usage error. */
#define MAX_LIST 256

static const char *const db_table_file[] = {"DB", "TABLE", "FILE"};

typedef struct merge_args {
    gnv_read_options ro;
    char *on_text;
    char *update_text;
    const char *on[MAX_LIST];
    size_t n_on;
    const char *update[MAX_LIST];
    size_t n_update;
    gnv_merge_insert_options o;
    bool update_all;
    bool quiet;
} merge_args;

/* Split a comma-separated list (an argv string) in place. */
static int
split_list(const cli_command *cmd, const char *opt, char *text, const char **out, size_t *n)
{
    *n = 0;
    for (char *p = text;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p)
            return cli_usage_error(cmd, "bad --%s: an empty column name", opt);
        if (*n == MAX_LIST)
            return cli_usage_error(cmd, "bad --%s: more than %d columns", opt, MAX_LIST);
        out[(*n)++] = p;
        if (!comma)
            return -1;
        p = comma + 1;
    }
}

static int merge_parse(const cli_command *cmd, int argc, char **argv, merge_args *a)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"where", required_argument, NULL, 'w'},
        {"on", required_argument, NULL, OPT_ON},
        {"update-all", no_argument, NULL, OPT_UPDATE_ALL},
        {"update", required_argument, NULL, OPT_UPDATE},
        {"update-where", required_argument, NULL, OPT_UPDATE_WHERE},
        {"insert", no_argument, NULL, OPT_INSERT},
        {"delete-not-in-source", no_argument, NULL, OPT_DELETE},
        CLI_READ_LONG_OPTIONS,
        {0, 0, 0, 0},
    };
    int opt, rc;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hqw:", opts, NULL)) != -1) {
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
        case 'w':
            a->o.delete_condition = optarg;
            break;
        case OPT_ON:
            a->on_text = optarg;
            break;
        case OPT_UPDATE_ALL:
            a->update_all = true;
            break;
        case OPT_UPDATE:
            a->update_text = optarg;
            break;
        case OPT_UPDATE_WHERE:
            a->o.when_matched_condition = optarg;
            break;
        case OPT_INSERT:
            a->o.when_not_matched_insert = 1;
            break;
        case OPT_DELETE:
            a->o.when_not_matched_by_source_delete = 1;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    rc = cli_positionals(cmd, argc, argv, 3, 3, db_table_file);
    if (rc >= 0)
        return rc;
    if (!a->on_text)
        return cli_usage_error(cmd, "missing --on COLS: the key columns to match rows by");
    if ((rc = split_list(cmd, "on", a->on_text, a->on, &a->n_on)) >= 0)
        return rc;
    if (a->update_all && a->update_text)
        return cli_usage_error(cmd, "give --update-all or --update COLS, not both");
    if (a->update_text &&
        (rc = split_list(cmd, "update", a->update_text, a->update, &a->n_update)) >= 0)
        return rc;
    a->o.when_matched_update = a->update_all || a->update_text;
    if (!a->o.when_matched_update && !a->o.when_not_matched_insert &&
        !a->o.when_not_matched_by_source_delete)
        return cli_usage_error(cmd, "nothing to do: give --update-all, --update, --insert or "
                                    "--delete-not-in-source");
    if (a->o.when_matched_condition && !a->o.when_matched_update)
        return cli_usage_error(cmd, "--update-where needs --update-all or --update");
    if (a->o.delete_condition && !a->o.when_not_matched_by_source_delete)
        return cli_usage_error(cmd, "--where needs --delete-not-in-source");
    a->o.on = a->on;
    a->o.n_on = a->n_on;
    if (a->update_text) {
        a->o.update_columns = a->update;
        a->o.n_update_columns = a->n_update;
    }
    return -1;
}

int cli_cmd_merge_insert(const cli_command *cmd, int argc, char **argv)
{
    merge_args a;
    memset(&a, 0, sizeof a);
    a.ro = (gnv_read_options)GNV_READ_OPTIONS_INIT;
    a.o = (gnv_merge_insert_options)GNV_MERGE_INSERT_OPTIONS_INIT;
    int rc = merge_parse(cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;
    const char *db_path = argv[optind], *name = argv[optind + 1], *path = argv[optind + 2];
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    struct ArrowArrayStream in;
    memset(&in, 0, sizeof in);
    if (!cli_open_table(cmd, &db, &t, db_path, name))
        return CLI_EXIT_RUNTIME;
    if (!cli_open_input(cmd, &in, path, &a.ro)) {
        rc = CLI_EXIT_RUNTIME;
        goto done;
    }
    gnv_merge_insert_stats st;
    uint64_t before = gnv_table_version(t);
    if (gnv_table_merge_insert(t, &in, &a.o, &st) != GNV_OK) {
        rc = cli_fail_lib(cmd);
        goto done;
    }
    rc = CLI_EXIT_OK;
    if (a.quiet)
        goto done;
    if (st.version != before)
        fprintf(stderr,
                "merged into '%s' (version %" PRIu64 "): %lld updated, %lld inserted, %lld "
                "deleted\n",
                name, st.version, (long long)st.updated, (long long)st.inserted,
                (long long)st.deleted);
    else
        fprintf(stderr, "merged into '%s': nothing changed (no new version)\n", name);
done:
    cli_stream_release(&in);
    cli_close_table(db, t);
    return rc;
}
