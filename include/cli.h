/* cli: the subcommands main.c dispatches to. Each takes the arguments after
 * its name (argv[0] is the subcommand name) and returns the process exit
 * code: 0 compliant / allowed / passed, 1 violations / denied / a check
 * failed, 2 usage or input error (message on stderr). Only a command's report
 * goes to stdout. */
#ifndef DJANGO_ADMISSION_CLI_H
#define DJANGO_ADMISSION_CLI_H

#include "diag.h"

#define EXIT_COMPLIANT 0
#define EXIT_VIOLATIONS 1
#define EXIT_USAGE 2

/* Prints "django-admission CMD: WHAT 'ARG'" (ARG may be NULL) and the usage
 * line on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *usage, const char *what, const char *arg);

/* Prints d as one line on stderr: "FILE:LINE: message at /pointer". */
void cli_print_diag(const struct diag *d);

enum cli_option { CLI_POLICY, CLI_OUTPUT, CLI_UNKNOWN, CLI_MISSING_VALUE };

/* Reads the option at argv[*i] that check and mutate share: `--policy F`,
 * `-o F`, `--output F`, `--policy=F`, `--output=F`. Sets *value (borrowed
 * from argv) and moves *i past a separate value. CLI_UNKNOWN for any other
 * option, CLI_MISSING_VALUE when a separate value is absent. */
enum cli_option cli_read_option(int argc, char **argv, int *i, const char **value);

int cli_check(int argc, char **argv);
int cli_mutate(int argc, char **argv);
int cli_review(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_certs(int argc, char **argv);

#endif
