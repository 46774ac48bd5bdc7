/* cli: what every subcommand prints the same way on stderr. */
#include "cli.h"

#include <stdio.h>

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
