/* Helpers shared by the CLI commands: messages, exit codes, option values, output. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static void vreport(const cli_command *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "geneva %s: ", cmd ? cmd->name : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_fail(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return CLI_EXIT_RUNTIME;
}

int cli_fail_lib(const cli_command *cmd)
{
    const gnv_error *e = gnv_error_last();
    return cli_fail(cmd, "%s", e && e->message[0] ? e->message : "unknown error");
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'geneva %s --help' for more information.\n", cmd->name);
    return CLI_EXIT_USAGE;
}

int cli_print_help(const cli_command *cmd)
{
    fputs(cmd->usage, stdout);
    return CLI_EXIT_OK;
}

int cli_bad_option(const cli_command *cmd, int opt, char **argv)
{
    /* getopt_long leaves optind just past the offending element; a long option is
     * named as written (without its "=value"), a short one by its letter. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    bool is_long = !strncmp(arg, "--", 2);
    int len = is_long ? (int)strcspn(arg, "=") : 0;
    if (opt == ':') {
        if (is_long)
            return cli_usage_error(cmd, "option '%.*s' needs a value", len, arg);
        return cli_usage_error(cmd, "option '-%c' needs a value", optopt);
    }
    /* glibc sets optopt for a known long option given a value it does not take. */
    if (is_long && optopt && arg[len] == '=')
        return cli_usage_error(cmd, "option '%.*s' takes no value", len, arg);
    if (is_long)
        return cli_usage_error(cmd, "unknown option '%.*s'", len, arg);
    return cli_usage_error(cmd, "unknown option '-%c'", optopt);
}

bool cli_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || end == text || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static int parse_input_format(const char *s)
{
    if (!strcmp(s, "csv"))
        return GNV_FILE_CSV;
    if (!strcmp(s, "jsonl") || !strcmp(s, "ndjson"))
        return GNV_FILE_JSONL;
    if (!strcmp(s, "arrow") || !strcmp(s, "ipc"))
        return GNV_FILE_ARROW;
    if (!strcmp(s, "auto"))
        return GNV_FILE_AUTO;
    return -1;
}

/* A delimiter is one byte; "tab" and "\t" name the tab. */
static int parse_delimiter(const char *s)
{
    if (!strcmp(s, "tab") || !strcmp(s, "\\t"))
        return '\t';
    if (strlen(s) != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r')
        return -1;
    return (unsigned char)s[0];
}

int cli_read_option(const cli_command *cmd, int opt, const char *arg, gnv_read_options *ro)
{
    switch (opt) {
    case CLI_OPT_TYPES:
        ro->types = arg;
        return 1;
    case CLI_OPT_DELIMITER: {
        int d = parse_delimiter(arg);
        if (d < 0)
            return -cli_usage_error(cmd, "bad --delimiter '%s': give one character, or 'tab'", arg);
        ro->csv_delimiter = (char)d;
        return 1;
    }
    case CLI_OPT_NO_HEADER:
        ro->csv_no_header = 1;
        return 1;
    case CLI_OPT_INPUT_FORMAT: {
        int f = parse_input_format(arg);
        if (f < 0)
            return -cli_usage_error(cmd, "bad --input-format '%s': use csv, jsonl or arrow", arg);
        ro->format = f;
        return 1;
    }
    default:
        return 0;
    }
}

FILE *cli_open_output(const cli_command *cmd, const char *path)
{
    if (!path || !strcmp(path, "-"))
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        cli_fail(cmd, "cannot open '%s' for writing: %s", path, strerror(errno));
    return f;
}

bool cli_close_output(const cli_command *cmd, FILE *f, const char *path)
{
    bool ok = fflush(f) == 0 && !ferror(f);
    int err = errno;
    if (f != stdout && fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok)
        cli_fail(cmd, "cannot write '%s': %s", f == stdout ? "standard output" : path,
                 strerror(err));
    return ok;
}

bool cli_open_input(const cli_command *cmd,
                    struct ArrowArrayStream *out,
                    const char *path,
                    const gnv_read_options *ro)
{
    memset(out, 0, sizeof *out);
    if (gnv_read_file(out, path, ro) != GNV_OK) {
        cli_fail_lib(cmd);
        return false;
    }
    return true;
}

void cli_stream_release(struct ArrowArrayStream *s)
{
    if (s && s->release)
        s->release(s);
}

int cli_parse_print_format(const char *s)
{
    if (!strcmp(s, "table"))
        return GNV_PRINT_TABLE;
    if (!strcmp(s, "csv"))
        return GNV_PRINT_CSV;
    if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
        return GNV_PRINT_JSONL;
    return -1;
}

/* ---- databases and tables ------------------------------------------------- */

bool cli_open_db(const cli_command *cmd, gnv_db **out, const char *path, bool create)
{
    *out = NULL;
    if (!create) {
        /* gnv_db_open creates a missing directory; readers must not. */
        struct stat st;
        if (stat(path, &st) != 0) {
            if (errno == ENOENT)
                cli_fail(cmd, "database '%s' does not exist", path);
            else
                cli_fail(cmd, "cannot open database '%s': %s", path, strerror(errno));
            return false;
        }
        if (!S_ISDIR(st.st_mode)) {
            cli_fail(cmd, "database '%s' is not a directory", path);
            return false;
        }
    }
    if (gnv_db_open(out, path, NULL) != GNV_OK) {
        cli_fail_lib(cmd);
        return false;
    }
    return true;
}

int cli_fail_table(const cli_command *cmd, const char *db_path, const char *name)
{
    const gnv_error *e = gnv_error_last();
    /* The library's message names the table but not the database. */
    if (e && e->code == GNV_ENOTFOUND && e->subsystem == GNV_SUB_TABLE &&
        strstr(e->message, "does not exist"))
        return cli_fail(cmd, "table '%s' does not exist in database '%s'", name, db_path);
    return cli_fail_lib(cmd);
}

bool cli_open_table(const cli_command *cmd,
                    gnv_db **db_out,
                    gnv_table **t_out,
                    const char *db_path,
                    const char *name)
{
    *t_out = NULL;
    if (!cli_open_db(cmd, db_out, db_path, false))
        return false;
    if (gnv_db_open_table(t_out, *db_out, name) != GNV_OK) {
        cli_fail_table(cmd, db_path, name);
        gnv_db_close(*db_out);
        *db_out = NULL;
        *t_out = NULL;
        return false;
    }
    return true;
}

void cli_close_table(gnv_db *db, gnv_table *t)
{
    gnv_table_close(t);
    gnv_db_close(db);
}

int cli_positionals(
    const cli_command *cmd, int argc, char **argv, size_t min, size_t n, const char *const *names)
{
    size_t have = optind < argc ? (size_t)(argc - optind) : 0;
    if (have < min)
        return cli_usage_error(cmd, "missing %s", names[have]);
    if (have > n)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + (int)n]);
    return -1;
}

int cli_parse_plain(const cli_command *cmd, int argc, char **argv, cli_at *at)
{
    static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    static const struct option with_at[] = {
        {"help", no_argument, NULL, 'h'},
        CLI_AT_LONG_OPTIONS,
        {0, 0, 0, 0},
    };
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", at ? with_at : help_only, NULL)) != -1) {
        int r = at ? cli_at_option(cmd, opt, optarg, at) : 0;
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        if (opt == 'h')
            return cli_print_help(cmd);
        return cli_bad_option(cmd, opt, argv);
    }
    return -1;
}

bool cli_parse_version(const char *text, uint64_t *out)
{
    int64_t v;
    if (!cli_parse_int64(text, 1, INT64_MAX, &v))
        return false;
    *out = (uint64_t)v;
    return true;
}

int cli_at_option(const cli_command *cmd, int opt, const char *arg, cli_at *at)
{
    if (opt != CLI_OPT_AT_VERSION && opt != CLI_OPT_AT_TAG)
        return 0;
    if ((opt == CLI_OPT_AT_VERSION && at->tag) || (opt == CLI_OPT_AT_TAG && at->version))
        return -cli_usage_error(cmd, "--version and --tag exclude each other");
    if (opt == CLI_OPT_AT_TAG) {
        if (!*arg)
            return -cli_usage_error(cmd, "bad --tag '': give a tag name");
        at->tag = arg;
        return 1;
    }
    if (!cli_parse_version(arg, &at->version))
        return -cli_usage_error(cmd, "bad --version '%s': give a version number >= 1", arg);
    return 1;
}

bool cli_checkout(const cli_command *cmd, gnv_table **t, const cli_at *at)
{
    gnv_table *old = NULL;
    int rc;
    if (!at->version && !at->tag)
        return true;
    if (at->tag)
        rc = gnv_table_checkout_tag(&old, *t, at->tag);
    else
        rc = gnv_table_checkout(&old, *t, at->version);
    if (rc != GNV_OK) {
        cli_fail_lib(cmd);
        return false;
    }
    /* `old` now holds the new handle: swap and close the latest one. */
    gnv_table *latest = *t;
    *t = old;
    gnv_table_close(latest);
    return true;
}

/* ---- small result tables -------------------------------------------------- */

static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!*s || strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
        return;
    }
    fputs(s, f);
}

static void put_padded(FILE *f, const char *s, size_t width, bool right, bool last)
{
    size_t len = strlen(s);
    size_t pad = width > len ? width - len : 0;
    if (right)
        fprintf(f, "%*s", (int)pad, "");
    fputs(s, f);
    if (!right && !last)
        fprintf(f, "%*s", (int)pad, "");
}

static void print_grid_table(FILE *f, const cli_grid *g)
{
    size_t width[CLI_GRID_MAX_COLS];
    char buf[128];
    for (size_t c = 0; c < g->n_cols; c++)
        width[c] = strlen(g->names[c]);
    for (size_t r = 0; r < g->n_rows; r++)
        for (size_t c = 0; c < g->n_cols; c++) {
            const char *s = g->cell(g->ctx, r, c, buf, sizeof buf);
            size_t len = strlen(s ? s : "null");
            if (len > width[c])
                width[c] = len;
        }
    /* The layout of gnv_print_stream's table form: " | " between columns, a dashed
     * line under the names, the last column unpadded. */
    for (size_t c = 0; c < g->n_cols; c++) {
        bool last = c + 1 == g->n_cols;
        put_padded(f, g->names[c], width[c], false, last);
        fputs(last ? "\n" : " | ", f);
    }
    for (size_t c = 0; c < g->n_cols; c++) {
        for (size_t i = 0; i < width[c] + (c ? 2 : 1) - (c + 1 == g->n_cols); i++)
            fputc('-', f);
        fputs(c + 1 == g->n_cols ? "\n" : "+", f);
    }
    for (size_t r = 0; r < g->n_rows; r++)
        for (size_t c = 0; c < g->n_cols; c++) {
            const char *s = g->cell(g->ctx, r, c, buf, sizeof buf);
            bool last = c + 1 == g->n_cols;
            put_padded(f, s ? s : "null", width[c], s && g->numeric[c], last);
            fputs(last ? "\n" : " | ", f);
        }
}

void cli_print_grid(FILE *f, const cli_grid *g, int format)
{
    char buf[128];
    if (format == GNV_PRINT_TABLE) {
        print_grid_table(f, g);
        return;
    }
    if (format == GNV_PRINT_CSV) {
        for (size_t c = 0; c < g->n_cols; c++) {
            put_csv_field(f, g->names[c]);
            fputc(c + 1 == g->n_cols ? '\n' : ',', f);
        }
    }
    for (size_t r = 0; r < g->n_rows; r++) {
        if (format == GNV_PRINT_JSONL)
            fputc('{', f);
        for (size_t c = 0; c < g->n_cols; c++) {
            const char *s = g->cell(g->ctx, r, c, buf, sizeof buf);
            bool last = c + 1 == g->n_cols;
            if (format == GNV_PRINT_CSV) {
                put_csv_field(f, s);
                fputc(last ? '\n' : ',', f);
                continue;
            }
            put_json_string(f, g->names[c]);
            fputc(':', f);
            if (!s)
                fputs("null", f);
            else if (g->numeric[c])
                fputs(s, f);
            else
                put_json_string(f, s);
            fputs(last ? "}\n" : ",", f);
        }
    }
}

int cli_open_table_at(const cli_command *cmd, int argc, char **argv, gnv_db **db, gnv_table **t)
{
    static const char *const db_table[] = {"DB", "TABLE"};
    cli_at at = {0, NULL};
    *db = NULL;
    *t = NULL;
    int rc = cli_parse_plain(cmd, argc, argv, &at);
    if (rc >= 0)
        return rc;
    rc = cli_positionals(cmd, argc, argv, 2, 2, db_table);
    if (rc >= 0)
        return rc;
    if (!cli_open_table(cmd, db, t, argv[optind], argv[optind + 1]))
        return CLI_EXIT_RUNTIME;
    if (!cli_checkout(cmd, t, &at)) {
        cli_close_table(*db, *t);
        *db = NULL;
        *t = NULL;
        return CLI_EXIT_RUNTIME;
    }
    return -1;
}
