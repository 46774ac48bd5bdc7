/* serve: parses the command line into a server_config; with --dev, first
 * makes a throwaway CA and localhost certificate and prints a curl command
 * that posts a sample review, and removes them when the server stops. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certs.h"
#include "cli.h"
#include "server.h"

/* A Django Deployment with nothing production needs, so --dev shows every
 * mutation the built-in policy makes. */
static const char sample_review[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"00000000-0000-4000-8000-000000000001\","
    "\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
    "\"resource\":{\"group\":\"apps\",\"version\":\"v1\",\"resource\":\"deployments\"},"
    "\"name\":\"web\",\"namespace\":\"shop\",\"operation\":\"CREATE\","
    "\"userInfo\":{\"username\":\"developer\"},"
    "\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"labels\":{\"app\":\"web\",\"component\":\"django\"}},"
    "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\",\"component\":\"django\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"django\",\"image\":\"registry.example.com/shop/web:1.4.2\","
    "\"ports\":[{\"name\":\"http\",\"containerPort\":8000}]}]}}}},"
    "\"dryRun\":false}}\n";

static int usage(const char *why)
{
    fprintf(stderr,
            "django-admission serve: %s\n"
            "usage: django-admission serve [--listen ADDR:PORT] --tls-cert F --tls-key F [--policy F]\n"
            "                              [--health-listen ADDR:PORT] [--client-ca F] [--drain SECONDS]\n"
            "                              [--log-level debug|info|warn|error] | --dev\n",
            why);
    return EXIT_USAGE;
}

static int parse_seconds(const char *text, unsigned int *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(text, &end, 10);
    if (!*text || *end || errno || v > 3600 || text[0] == '-')
        return -1;
    *out = (unsigned int)v;
    return 0;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (!f)
        return -1;
    ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* what --dev writes into its directory */
static const char *const dev_files[] = {"ca.crt", "tls.crt", "tls.key", "review.json"};

/* Removes the --dev directory and what it wrote there; a file someone else
 * put there keeps the directory. */
static void dev_cleanup(const char *dir)
{
    char path[PATH_MAX];

    for (size_t i = 0; i < sizeof(dev_files) / sizeof(dev_files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, dev_files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Makes the throwaway CA and localhost certificate in a fresh temp dir and
 * points the config at them. */
static int dev_setup(struct server_config *c, char dir[PATH_MAX - 64], char cert[PATH_MAX], char key[PATH_MAX])
{
    struct certs_request req = {
        .dns_names = {"localhost"},
        .dns_count = 1,
        .ip_addresses = {"127.0.0.1", "::1"},
        .ip_count = 2,
        .days = 7,
    };
    struct certs_bundle bundle = {0};
    struct diag d;
    char path[PATH_MAX];
    const char *tmp = getenv("TMPDIR");

    diag_clear(&d);
    snprintf(dir, PATH_MAX - 64, "%s/django-admission-dev.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "django-admission serve: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (certs_generate(&req, &bundle, &d) < 0 || certs_write(&bundle, dir, &d) < 0) {
        char text[1024];
        fprintf(stderr, "django-admission serve: %s\n", diag_format(&d, text, sizeof(text)));
        certs_bundle_free(&bundle);
        dev_cleanup(dir);
        return -1;
    }
    certs_bundle_free(&bundle);
    snprintf(path, sizeof(path), "%s/review.json", dir);
    if (write_file(path, sample_review) < 0) {
        fprintf(stderr, "django-admission serve: cannot write %s: %s\n", path, strerror(errno));
        dev_cleanup(dir);
        return -1;
    }
    snprintf(cert, PATH_MAX, "%s/tls.crt", dir);
    snprintf(key, PATH_MAX, "%s/tls.key", dir);
    c->tls_cert = cert;
    c->tls_key = key;
    return 0;
}

static const char *port_of(const char *listen)
{
    const char *colon = strrchr(listen, ':');
    return colon ? colon + 1 : listen;
}

/* see cli.h */
int cli_serve(int argc, char **argv)
{
    struct server_config c;
    struct diag d;
    /* room for the file names appended to the directory */
    char dir[PATH_MAX - 64], cert[PATH_MAX], key[PATH_MAX];
    int dev = 0, drain_given = 0;

    server_config_default(&c);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--dev") == 0) {
            dev = 1;
            continue;
        }
        if (!v)
            return usage("missing value after the last option");
        if (strcmp(a, "--listen") == 0)
            c.listen = v;
        else if (strcmp(a, "--health-listen") == 0)
            c.health_listen = v;
        else if (strcmp(a, "--tls-cert") == 0)
            c.tls_cert = v;
        else if (strcmp(a, "--tls-key") == 0)
            c.tls_key = v;
        else if (strcmp(a, "--policy") == 0)
            c.policy_path = v;
        else if (strcmp(a, "--client-ca") == 0)
            c.client_ca = v;
        else if (strcmp(a, "--drain") == 0) {
            if (parse_seconds(v, &c.drain_seconds) < 0)
                return usage("--drain takes a number of seconds from 0 to 3600");
            drain_given = 1;
        } else if (strcmp(a, "--log-level") == 0) {
            if (jsonlog_level_parse(v, &c.log_level) < 0)
                return usage("--log-level takes debug, info, warn or error");
        } else {
            fprintf(stderr, "django-admission serve: unknown option %s\n", a);
            return usage("see the usage below");
        }
        i++;
    }
    if (dev) {
        if (c.tls_cert || c.tls_key)
            return usage("--dev makes its own certificate: leave out --tls-cert and --tls-key");
        /* loopback only: a dev certificate must never face a network */
        if (strcmp(c.listen, ":8443") == 0)
            c.listen = "127.0.0.1:8443";
        if (strcmp(c.health_listen, ":8080") == 0)
            c.health_listen = "127.0.0.1:8080";
        /* no endpoints to take it out of: Ctrl-C stops it at once */
        if (!drain_given)
            c.drain_seconds = 0;
        if (dev_setup(&c, dir, cert, key) < 0)
            return EXIT_USAGE;
        fprintf(stderr,
                "django-admission serve --dev: throwaway CA and localhost certificate in %s\n"
                "try it:\n"
                "  curl --cacert %s/ca.crt -H 'Content-Type: application/json' \\\n"
                "       --data-binary @%s/review.json https://localhost:%s/mutate\n"
                "  curl http://localhost:%s/metrics\n",
                dir, dir, dir, port_of(c.listen), port_of(c.health_listen));
    }
    if (!c.tls_cert || !c.tls_key)
        return usage("--tls-cert and --tls-key are required (or --dev)");
    diag_clear(&d);
    int rc = server_run(&c, &d);
    if (dev)
        dev_cleanup(dir);
    if (rc < 0) {
        char text[1536];
        fprintf(stderr, "django-admission serve: %s\n", diag_format(&d, text, sizeof(text)));
        return EXIT_USAGE;
    }
    return EXIT_COMPLIANT;
}
