/* cli: what every subcommand prints the same way on stderr. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* see cli.h */
int cli_usage_error(const char *cmd, const char *usage, const char *what, const char *arg)
{
    if (arg)
        fprintf(stderr, "django-admission %s: %s '%s'\n%s\n", cmd, what, arg, usage);
    else
        fprintf(stderr, "django-admission %s: %s\n%s\n", cmd, what, usage);
    return EXIT_USAGE;
}

/* see cli.h */
void cli_print_diag(const struct diag *d)
{
    char msg[DIAG_FILE_MAX + DIAG_POINTER_MAX + DIAG_MESSAGE_MAX + 32];

    fprintf(stderr, "%s\n", diag_format(d, msg, sizeof(msg)));
}

/* see cli.h */
enum cli_option cli_read_option(int argc, char **argv, int *i, const char **value)
{
    const char *a = argv[*i];

    if (strncmp(a, "--policy=", 9) == 0) {
        *value = a + 9;
        return CLI_POLICY;
    }
    if (strncmp(a, "--output=", 9) == 0) {
        *value = a + 9;
        return CLI_OUTPUT;
    }
    if (strcmp(a, "--policy") != 0 && strcmp(a, "-o") != 0 && strcmp(a, "--output") != 0)
        return CLI_UNKNOWN;
    if (*i + 1 >= argc)
        return CLI_MISSING_VALUE;
    *value = argv[++*i];
    return strcmp(a, "--policy") == 0 ? CLI_POLICY : CLI_OUTPUT;
}
