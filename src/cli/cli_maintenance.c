/* Table maintenance: cleanup of old versions, compaction. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

const char cli_usage_cleanup[] =
    "usage: geneva cleanup DB TABLE [options]\n"
    "\n"
    "Remove old versions of a table and the files only they use, as LanceDB's\n"
    "cleanup_old_versions does. The latest version, tagged versions and versions\n"
    "younger than --older-than stay readable. A file that no version names may belong\n"
    "to a commit in flight, so it is removed only when older than 7 days (or with\n"
    "--delete-unverified). Prints what was removed to standard error.\n"
    "\n"
    "Options:\n"
    "  --older-than D       age of the versions to remove: a number with a unit s, m,\n"
    "                       h, d or w (e.g. 36h, 2w; 0 removes every version but the\n"
    "                       latest); default 7d\n"
    "  --delete-unverified  also remove unnamed files younger than 7 days; only when\n"
    "                       no other process writes to the table\n"
    "  -n, --dry-run        print what would be removed, remove nothing\n"
    "  -q, --quiet          print nothing\n"
    "  -h, --help           show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva cleanup db products --older-than 1d\n"
    "  removed 12 versions and 30 files (48.2 MB) of 'products'\n";

/* "36h", "2w", "90" (seconds) into seconds; false when malformed. */
static bool parse_duration(const char *text, int64_t *out)
{
    static const struct {
        char unit;
        int64_t seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    size_t n = strlen(text);
    int64_t mult = 1;
    char num[32];
    if (n == 0 || n >= sizeof num)
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (text[n - 1] == units[i].unit) {
            mult = units[i].seconds;
            n--;
        }
    memcpy(num, text, n);
    num[n] = '\0';
    int64_t v;
    if (!cli_parse_int64(num, 0, INT64_MAX / mult, &v))
        return false;
    *out = v * mult;
    return true;
}

int cli_cmd_cleanup(const cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"older-than", required_argument, NULL, 'o'},
        {"delete-unverified", no_argument, NULL, 'u'},
        {"dry-run", no_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    static const char *const names[] = {"DB", "TABLE"};
    gnv_cleanup_options o = GNV_CLEANUP_OPTIONS_INIT;
    bool quiet = false;
    int opt, rc;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":nqh", opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            if (!parse_duration(optarg, &o.older_than_seconds))
                return cli_usage_error(
                    cmd, "bad --older-than '%s': give e.g. 3600s, 90m, 36h, 7d or 2w", optarg);
            break;
        case 'u':
            o.delete_unverified = 1;
            break;
        case 'n':
            o.dry_run = 1;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            return cli_print_help(cmd);
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    rc = cli_positionals(cmd, argc, argv, 2, 2, names);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    gnv_cleanup_stats st;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_OK;
    if (gnv_table_cleanup(t, &o, &st) != GNV_OK)
        rc = cli_fail_lib(cmd);
    else if (!quiet)
        fprintf(stderr, "%s %" PRIu64 " version%s and %" PRIu64 " file%s (%.1f MB) of '%s'\n",
                o.dry_run ? "would remove" : "removed", st.old_versions,
                st.old_versions == 1 ? "" : "s", st.files_removed, st.files_removed == 1 ? "" : "s",
                (double)st.bytes_removed / 1e6, argv[optind + 1]);
    cli_close_table(db, t);
    return rc;
}

const char cli_usage_optimize[] =
    "usage: geneva optimize DB TABLE [options]\n"
    "\n"
    "Compact a table's fragments, as LanceDB's optimize (compact_files) does: runs of\n"
    "fragments with fewer rows than the target, and fragments with more than 10% of\n"
    "their rows deleted, are rewritten into fragments of about the target size, rows\n"
    "in the same order, in one new version. Nothing is committed when no fragment\n"
    "qualifies. Older versions stay readable (see cleanup). Prints what was done to\n"
    "standard error.\n"
    "\n"
    "Options:\n"
    "  --target-rows N      rows per compacted fragment; default 1048576\n"
    "  --keep-deletions     do not rewrite fragments just because of deleted rows\n"
    "  -q, --quiet          print nothing\n"
    "  -h, --help           show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva optimize db products\n"
    "  compacted 1000 fragments into 1 (1000000 rows rewritten, 1000 files removed, 1 "
    "added) of 'products' (version 1002)\n";

int cli_cmd_optimize(const cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"target-rows", required_argument, NULL, 't'},
        {"keep-deletions", no_argument, NULL, 'k'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    static const char *const names[] = {"DB", "TABLE"};
    gnv_optimize_options o = GNV_OPTIMIZE_OPTIONS_INIT;
    bool quiet = false;
    int opt, rc;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
        switch (opt) {
        case 't':
            if (!cli_parse_int64(optarg, 1, INT64_MAX, &o.target_rows_per_fragment))
                return cli_usage_error(cmd, "bad --target-rows '%s': give a positive number",
                                       optarg);
            break;
        case 'k':
            o.materialize_deletions = false;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            return cli_print_help(cmd);
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    rc = cli_positionals(cmd, argc, argv, 2, 2, names);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    gnv_optimize_stats st;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_OK;
    if (gnv_table_optimize(t, &o, &st) != GNV_OK)
        rc = cli_fail_lib(cmd);
    else if (!quiet && st.fragments_removed == 0)
        fprintf(stderr, "nothing to compact in '%s' (version %" PRIu64 ")\n", argv[optind + 1],
                st.version);
    else if (!quiet)
        fprintf(stderr,
                "compacted %" PRId64 " fragment%s into %" PRId64 " (%" PRId64
                " rows rewritten, %" PRId64 " files removed, %" PRId64 " added) of '%s' "
                "(version %" PRIu64 ")\n",
                st.fragments_removed, st.fragments_removed == 1 ? "" : "s", st.fragments_added,
                st.rows_rewritten, st.files_removed, st.files_added, argv[optind + 1], st.version);
    cli_close_table(db, t);
    return rc;
}
