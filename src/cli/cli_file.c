/* Commands on data files: inspect (print schema and rows) and convert (to Arrow IPC). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_usage_inspect[] =
    "usage: geneva inspect FILE [options]\n"
    "\n"
    "Print the schema and the rows of a CSV, JSON Lines or Arrow IPC file.\n"
    "With --format table the schema comes first, then a blank line, then the rows;\n"
    "with --format csv or jsonl only the rows are printed, so scripts can parse them.\n"
    "\n"
    "Options:\n"
    "  -f, --format F      table (default), csv or jsonl\n"
    "  -n, --limit N       print at most N rows (default: all)\n"
    "      --schema-only   print the schema and no rows\n"
    "      --no-schema     print the rows without the schema\n"
    "      --max-width N   table format: cut values wider than N characters (default 40)\n"
    "  -o, --out FILE      write to FILE instead of standard output\n"
    "  -h, --help          show this help\n"
    "\n" CLI_READ_OPTIONS_HELP "\n"
    "Examples:\n"
    "  geneva inspect products.csv --limit 5\n"
    "  geneva inspect products.jsonl --format jsonl --types price:float32\n";

const char cli_usage_convert[] =
    "usage: geneva convert IN OUT [options]\n"
    "\n"
    "Convert a CSV, JSON Lines or Arrow IPC file to an Arrow IPC file (OUT, usually\n"
    "named .arrow). OUT is written under a temporary name and renamed when complete.\n"
    "Prints 'wrote N rows to OUT' to standard error.\n"
    "\n"
    "Options:\n"
    "      --stream        write the IPC stream format instead of the file format\n"
    "      --compression C none (default), lz4 or zstd\n"
    "  -h, --help          show this help\n"
    "\n" CLI_READ_OPTIONS_HELP "\n"
    "Examples:\n"
    "  geneva convert products.csv products.arrow\n"
    "  geneva convert products.jsonl products.arrows --stream --compression zstd\n";

/* ---- inspect ------------------------------------------------------------ */

enum {
    OPT_SCHEMA_ONLY = CLI_OPT_FIRST_FREE,
    OPT_NO_SCHEMA,
    OPT_MAX_WIDTH,
    OPT_STREAM,
    OPT_COMPRESSION,
};

typedef struct inspect_args {
    gnv_read_options ro;
    gnv_print_options po;
    bool schema_only;
    bool no_schema;
    const char *out_path;
    const char *path;
} inspect_args;

/* Parse inspect's arguments; returns -1 to go on, or an exit code. */
static int inspect_parse(const cli_command *cmd, int argc, char **argv, inspect_args *a)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"limit", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {"schema-only", no_argument, NULL, OPT_SCHEMA_ONLY},
        {"no-schema", no_argument, NULL, OPT_NO_SCHEMA},
        {"max-width", required_argument, NULL, OPT_MAX_WIDTH},
        CLI_READ_LONG_OPTIONS,
        {0, 0, 0, 0},
    };
    int opt;
    int64_t v;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":f:n:o:h", longopts, NULL)) != -1) {
        int r = cli_read_option(cmd, opt, optarg, &a->ro);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case 'f':
            a->po.format = cli_parse_print_format(optarg);
            if (a->po.format < 0)
                return cli_usage_error(cmd, "bad --format '%s': use table, csv or jsonl", optarg);
            break;
        case 'n':
            if (!cli_parse_int64(optarg, 0, INT64_MAX, &v))
                return cli_usage_error(cmd, "bad --limit '%s': give a whole number >= 0", optarg);
            a->po.limit = v;
            break;
        case OPT_MAX_WIDTH:
            if (!cli_parse_int64(optarg, 2, 100000, &v))
                return cli_usage_error(cmd, "bad --max-width '%s': give a number from 2 to 100000",
                                       optarg);
            a->po.max_width = (int)v;
            break;
        case 'o':
            a->out_path = optarg;
            break;
        case OPT_SCHEMA_ONLY:
            a->schema_only = true;
            break;
        case OPT_NO_SCHEMA:
            a->no_schema = true;
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    if (a->schema_only && a->no_schema)
        return cli_usage_error(cmd, "--schema-only and --no-schema exclude each other");
    if (optind >= argc)
        return cli_usage_error(cmd, "missing FILE");
    if (argc - optind > 1)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    a->path = argv[optind];
    return -1;
}

/* Describe the stream's schema on f, followed by a blank line unless it is alone. */
static int print_schema(const cli_command *cmd, FILE *f, struct ArrowArrayStream *in, bool alone)
{
    struct ArrowSchema schema;
    memset(&schema, 0, sizeof schema);
    if (in->get_schema(in, &schema) != 0) {
        const char *msg = in->get_last_error(in);
        return cli_fail(cmd, "%s", msg ? msg : "cannot read the schema");
    }
    gnv_buf text = GNV_BUF_INIT;
    int rc = gnv_schema_describe(&text, &schema);
    schema.release(&schema);
    if (rc != GNV_OK) {
        gnv_buf_dispose(&text);
        return cli_fail_lib(cmd);
    }
    if (text.size)
        fwrite(text.ptr, 1, text.size, f);
    if (!alone)
        fputc('\n', f);
    gnv_buf_dispose(&text);
    return CLI_EXIT_OK;
}

int cli_cmd_inspect(const cli_command *cmd, int argc, char **argv)
{
    inspect_args a;
    memset(&a, 0, sizeof a);
    a.ro = (gnv_read_options)GNV_READ_OPTIONS_INIT;
    a.po = (gnv_print_options)GNV_PRINT_OPTIONS_INIT;
    int rc = inspect_parse(cmd, argc, argv, &a);
    if (rc >= 0)
        return rc;

    struct ArrowArrayStream in;
    if (!cli_open_input(cmd, &in, a.path, &a.ro))
        return CLI_EXIT_RUNTIME;
    FILE *out = cli_open_output(cmd, a.out_path);
    if (!out) {
        cli_stream_release(&in);
        return CLI_EXIT_RUNTIME;
    }
    rc = CLI_EXIT_OK;
    bool want_schema = a.schema_only || (!a.no_schema && a.po.format == GNV_PRINT_TABLE);
    if (want_schema)
        rc = print_schema(cmd, out, &in, a.schema_only);
    if (rc == CLI_EXIT_OK && !a.schema_only) {
        int64_t rows = 0;
        if (gnv_print_stream(out, &in, &a.po, &rows) != GNV_OK)
            rc = cli_fail_lib(cmd);
    }
    if (!cli_close_output(cmd, out, a.out_path) && rc == CLI_EXIT_OK)
        rc = CLI_EXIT_RUNTIME;
    cli_stream_release(&in);
    return rc;
}

/* ---- convert ------------------------------------------------------------ */

static int parse_compression(const char *s)
{
    if (!strcmp(s, "none"))
        return GNV_IPC_COMPRESS_NONE;
    if (!strcmp(s, "lz4"))
        return GNV_IPC_COMPRESS_LZ4;
    if (!strcmp(s, "zstd"))
        return GNV_IPC_COMPRESS_ZSTD;
    return -1;
}

int cli_cmd_convert(const cli_command *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"stream", no_argument, NULL, OPT_STREAM},
        {"compression", required_argument, NULL, OPT_COMPRESSION},
        CLI_READ_LONG_OPTIONS,
        {0, 0, 0, 0},
    };
    gnv_read_options ro = GNV_READ_OPTIONS_INIT;
    gnv_ipc_write_options wo = GNV_IPC_WRITE_OPTIONS_INIT;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        int r = cli_read_option(cmd, opt, optarg, &ro);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        switch (opt) {
        case 'h':
            return cli_print_help(cmd);
        case OPT_STREAM:
            wo.stream_format = 1;
            break;
        case OPT_COMPRESSION:
            wo.compression = parse_compression(optarg);
            if (wo.compression < 0)
                return cli_usage_error(cmd, "bad --compression '%s': use none, lz4 or zstd",
                                       optarg);
            break;
        default:
            return cli_bad_option(cmd, opt, argv);
        }
    }
    if (argc - optind < 2)
        return cli_usage_error(cmd, "expected IN and OUT files");
    if (argc - optind > 2)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 2]);
    const char *in_path = argv[optind], *out_path = argv[optind + 1];

    struct ArrowArrayStream in;
    if (!cli_open_input(cmd, &in, in_path, &ro))
        return CLI_EXIT_RUNTIME;
    int64_t rows = 0;
    int rc = CLI_EXIT_OK;
    if (gnv_write_ipc(out_path, &in, &wo, &rows) != GNV_OK)
        rc = cli_fail_lib(cmd);
    else
        fprintf(stderr, "wrote %lld row%s to %s\n", (long long)rows, rows == 1 ? "" : "s",
                out_path);
    cli_stream_release(&in);
    return rc;
}
