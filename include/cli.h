/* cli: the subcommands main.c dispatches to. Each takes the arguments after
 * its name (argv[0] is the subcommand name) and returns the process exit
 * code: 0 compliant / allowed / passed, 1 violations / denied / a check
 * failed, 2 usage or input error (message on stderr). Only a command's report
 * goes to stdout. */
#ifndef DJANGO_ADMISSION_CLI_H
#define DJANGO_ADMISSION_CLI_H

#define EXIT_COMPLIANT 0
#define EXIT_VIOLATIONS 1
#define EXIT_USAGE 2

int cli_check(int argc, char **argv);
int cli_mutate(int argc, char **argv);
int cli_review(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_certs(int argc, char **argv);

#endif
