/*
 * geneva: the command-line tool. main() finds the command in the table below and runs
 * its handler; adding a command is one row here plus its handler and usage text.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int cmd_help(const cli_command *cmd, int argc, char **argv);

static const char usage_help[] = "usage: geneva help [COMMAND]\n"
                                 "\n"
                                 "List the commands, or show the help of one command.\n";

static const cli_command commands[] = {
    {"inspect", "print a file's schema and rows", cli_usage_inspect, cli_cmd_inspect},
    {"convert", "convert a CSV, JSON Lines or Arrow file to Arrow IPC", cli_usage_convert,
     cli_cmd_convert},
    {"create", "create a table from a CSV, JSON Lines or Arrow file", cli_usage_create,
     cli_cmd_create},
    {"import", "append a file's rows to a table", cli_usage_import, cli_cmd_import},
    {"tables", "list the tables of a database", cli_usage_tables, cli_cmd_tables},
    {"schema", "print the schema of a table", cli_usage_schema, cli_cmd_schema},
    {"scan", "print a table's rows, or write them to an Arrow file", cli_usage_scan, cli_cmd_scan},
    {"count", "print the number of rows of a table", cli_usage_count, cli_cmd_count},
    {"delete", "delete the rows of a table that match a filter", cli_usage_delete, cli_cmd_delete},
    {"update", "set columns of the rows of a table that match a filter", cli_usage_update,
     cli_cmd_update},
    {"merge-insert", "update, insert and delete rows by key from a file (upsert)",
     cli_usage_merge_insert, cli_cmd_merge_insert},
    {"versions", "list the versions of a table", cli_usage_versions, cli_cmd_versions},
    {"restore", "make an older version of a table the latest", cli_usage_restore, cli_cmd_restore},
    {"tag", "create, delete or list the tags of a table", cli_usage_tag, cli_cmd_tag},
    {"add-column", "add a column computed by a SQL expression or a UDF", cli_usage_add_column,
     cli_cmd_add_column},
    {"add-columns", "add the sibling columns of a multi-column UDF", cli_usage_add_columns,
     cli_cmd_add_columns},
    {"backfill", "compute a virtual (UDF) column, resumably", cli_usage_backfill, cli_cmd_backfill},
    {"jobs", "list the jobs recorded in a database", cli_usage_jobs, cli_cmd_jobs},
    {"job", "show, wait for or cancel one job", cli_usage_job, cli_cmd_job},
    {"errors", "list the rows a backfill failed on", cli_usage_errors, cli_cmd_errors},
    {"drop-column", "remove columns from a table", cli_usage_drop_column, cli_cmd_drop_column},
    {"alter-column", "rename a column, change its type or nullability", cli_usage_alter_column,
     cli_cmd_alter_column},
    {"cleanup", "remove old versions of a table and the files only they use", cli_usage_cleanup,
     cli_cmd_cleanup},
    {"optimize", "compact a table's small fragments and deleted rows", cli_usage_optimize,
     cli_cmd_optimize},
    {"drop", "delete a table", cli_usage_drop, cli_cmd_drop},
    {"version", "print the versions of geneva and its library", cli_usage_version, cli_cmd_version},
    {"help", "show the help of a command", usage_help, cmd_help},
};

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void print_overview(FILE *f)
{
    fputs("usage: geneva <command> [options] [args]\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "Run 'geneva <command> --help' for the options of a command.\n",
          f);
}

static int cmd_help(const cli_command *cmd, int argc, char **argv)
{
    if (argc > 2)
        return cli_usage_error(cmd, "expected at most one command name");
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        if (argc == 2)
            return cli_print_help(cmd);
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    const cli_command *c = find_command(argv[1]);
    if (!c)
        return cli_usage_error(cmd, "unknown command '%s'", argv[1]);
    return cli_print_help(c);
}

int main(int argc, char **argv)
{
    if (gnv_global_init(NULL) != GNV_OK) {
        fprintf(stderr, "geneva: %s\n", gnv_error_last()->message);
        return CLI_EXIT_RUNTIME;
    }
    if (argc < 2) {
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V"))
        name = "version";
    const cli_command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "geneva: unknown command '%s'\n", name);
        fprintf(stderr, "Try 'geneva --help' for the list of commands.\n");
        return CLI_EXIT_USAGE;
    }
    /* The handler sees argv[0] == the command's name, as getopt_long expects. */
    return cmd->handler(cmd, argc - 1, argv + 1);
}
