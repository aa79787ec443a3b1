/* geneva version: the CLI's version and the library's. */
#include <getopt.h>

#include "cli.h"

const char cli_usage_version[] =
    "usage: geneva version\n"
    "\n"
    "Print the version of geneva and of the libgeneva library it runs\n"
    "with.\n";

int cli_cmd_version(const cli_command *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (opt == 'h')
            return cli_print_help(cmd);
        return cli_bad_option(cmd, opt, argv);
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    printf("geneva %s\n", GNV_VERSION_STRING);
    printf("libgeneva %s\n", gnv_version());
    return CLI_EXIT_OK;
}
