/*
 * `geneva errors`: the rows backfills failed on (the `geneva_errors` system table),
 * for one table, optionally one column, job or error type.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"

const char cli_usage_errors[] =
    "usage: geneva errors DB TABLE [options]\n"
    "\n"
    "List the rows of TABLE that backfills failed on, from the database's\n"
    "__system/geneva_errors table: one row per failed attempt of a row, with the job,\n"
    "column, function, row address, error code and type, message and time. With\n"
    "--addresses, print only the distinct row addresses, comma-separated, ready for\n"
    "'geneva backfill ... --where \"_rowaddr IN (...)\"'.\n"
    "\n"
    "Options:\n"
    "  --column C          only the errors of column C\n"
    "  --job ID            only the errors of one backfill (its job id)\n"
    "  --type T            only errors of type T (udf_error, crash, invalid_output, ...)\n"
    "  --addresses         print the failed row addresses only\n"
    "  -f, --format F      table (default), csv or jsonl\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  $ geneva backfill db docs len --on-error skip\n"
    "  backfilled 'len' with errors: 3 rows skipped (left NULL) ... (job 4f0c...)\n"
    "  $ geneva errors db docs --column len --format csv\n";

enum { OPT_COLUMN = CLI_OPT_FIRST_FREE, OPT_JOB, OPT_TYPE, OPT_ADDRESSES };

int cli_cmd_errors(const cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, 'f'},
        {"column", required_argument, NULL, OPT_COLUMN},
        {"job", required_argument, NULL, OPT_JOB},
        {"type", required_argument, NULL, OPT_TYPE},
        {"addresses", no_argument, NULL, OPT_ADDRESSES},
        {0, 0, 0, 0},
    };
    static const char *const names[] = {"DB", "TABLE"};
    gnv_errors_filter f = {NULL, NULL, NULL};
    gnv_print_options po = GNV_PRINT_OPTIONS_INIT;
    bool addresses = false;
    int opt, rc;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hf:", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'f':
            po.format = cli_parse_print_format(optarg);
            if (po.format < 0)
                return cli_usage_error(cmd, "bad --format '%s': use table, csv or jsonl", optarg);
            break;
        case OPT_COLUMN:
            f.column = optarg;
            break;
        case OPT_JOB:
            f.job_id = optarg;
            break;
        case OPT_TYPE:
            f.error_type = optarg;
            break;
        case OPT_ADDRESSES:
            addresses = true;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    rc = cli_positionals(cmd, argc, argv, 2, 2, names);
    if (rc >= 0)
        return rc;
    gnv_db *db = NULL;
    gnv_table *t = NULL;
    if (!cli_open_table(cmd, &db, &t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    rc = CLI_EXIT_OK;
    if (addresses) {
        uint64_t *a = NULL;
        size_t n = 0;
        if (gnv_table_get_failed_row_addresses(t, f.job_id, f.column, &a, &n) != GNV_OK) {
            rc = cli_fail_lib(cmd);
        } else {
            for (size_t i = 0; i < n; i++)
                printf("%s%llu", i ? "," : "", (unsigned long long)a[i]);
            if (n)
                printf("\n");
        }
        gnv_free(a);
    } else {
        struct ArrowArrayStream s;
        if (gnv_table_get_errors(t, &f, &s) != GNV_OK) {
            rc = cli_fail_lib(cmd);
        } else {
            if (gnv_print_stream(stdout, &s, &po, NULL) != GNV_OK)
                rc = cli_fail_lib(cmd);
            s.release(&s);
        }
    }
    cli_close_table(db, t);
    return rc;
}
