/* django-admission: dispatches the subcommands of DESIGN.md's command line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    const char *summary;
};

static const struct command commands[] = {
    {"serve", cli_serve,
     "serve  [--listen ADDR:PORT] --tls-cert F --tls-key F [--policy F] [--health-listen ADDR:PORT]\n"
     "       [--client-ca F] [--drain SECONDS] [--log-level L] | --dev",
     "run the TLS admission webhook (POST /mutate, /validate; health and metrics on plain HTTP)"},
    {"review", cli_review, "review [--policy F] [--validate]     < AdmissionReview JSON on stdin",
     "answer one AdmissionReview from stdin exactly as serve would"},
    {"check", cli_check, "check  [--policy F] [-o text|json|junit|sarif] FILE|-...",
     "report every violation in manifests, with FILE:LINE"},
    {"mutate", cli_mutate, "mutate [--policy F] [-o yaml|json|patch] FILE|-",
     "print manifests with what the policy adds, or the patches"},
    {"certs", cli_certs, "certs  --service NAME --namespace NS [--out DIR] [--days N]",
     "write a CA and a serving certificate for the webhook Service"},
};

static const size_t commands_count = sizeof(commands) / sizeof(commands[0]);

static void print_help(FILE *out)
{
    fprintf(out, "django-admission %s: admission webhook that makes Django Deployments production-ready\n\n"
                 "usage:\n",
            DA_VERSION);
    for (size_t i = 0; i < commands_count; i++)
        fprintf(out, "  django-admission %s\n", commands[i].usage);
    fprintf(out, "  django-admission --version | --help | <cmd> --help\n\ncommands:\n");
    for (size_t i = 0; i < commands_count; i++)
        fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nexit codes: 0 compliant/allowed/passed, 1 violations/denied/failed, 2 usage or input error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return EXIT_COMPLIANT;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("django-admission %s\n", DA_VERSION);
        return EXIT_COMPLIANT;
    }
    for (size_t i = 0; i < commands_count; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        for (int a = 2; a < argc; a++) {
            if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
                printf("usage: django-admission %s\n\n%s\n", commands[i].usage, commands[i].summary);
                return EXIT_COMPLIANT;
            }
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "django-admission: unknown command '%s' (try --help)\n", argv[1]);
    return EXIT_USAGE;
}
