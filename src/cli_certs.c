/* certs command: writes a CA and a serving certificate for the webhook
 * Service into a directory, and prints the caBundle the webhook
 * configurations need. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "certs.h"
#include "diag.h"

#define USAGE "usage: django-admission certs --service NAME --namespace NS [--out DIR] [--days N]\n"
#define DEFAULT_OUT "certs"
#define DEFAULT_DAYS 365

struct certs_args {
    const char *service;
    const char *ns;
    const char *out;
    int days;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("django-admission certs: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n" USAGE, stderr);
    return EXIT_USAGE;
}

/* days: a decimal integer, the range is certs_generate's to judge */
static int parse_days(const char *text, int *days)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < -1000000 || v > 1000000)
        return -1;
    *days = (int)v;
    return 0;
}

/* Accepts "--opt VALUE" and "--opt=VALUE". Returns the value and advances
 * *i past it, or NULL when argv[*i] is not opt (or it lacks a value, then
 * *missing is set). */
static const char *option_value(int argc, char **argv, int *i, const char *opt, int *missing)
{
    size_t n = strlen(opt);
    const char *a = argv[*i];

    if (strncmp(a, opt, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

static int parse_args(int argc, char **argv, struct certs_args *args)
{
    static const char *const opts[] = {"--service", "--namespace", "--out", "--days"};

    args->service = NULL;
    args->ns = NULL;
    args->out = DEFAULT_OUT;
    args->days = DEFAULT_DAYS;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        size_t which = 0;
        int missing = 0;

        for (; which < sizeof(opts) / sizeof(opts[0]); which++) {
            v = option_value(argc, argv, &i, opts[which], &missing);
            if (v || missing)
                break;
        }
        if (missing)
            return usage_error("%s needs a value", argv[i]);
        if (!v)
            return usage_error("unknown argument '%s'", argv[i]);
        switch (which) {
        case 0:
            args->service = v;
            break;
        case 1:
            args->ns = v;
            break;
        case 2:
            if (!v[0])
                return usage_error("--out needs a directory name");
            args->out = v;
            break;
        default:
            if (parse_days(v, &args->days) < 0)
                return usage_error("--days must be a whole number of days (got '%s')", v);
            break;
        }
    }
    if (!args->service)
        return usage_error("--service NAME is required");
    if (!args->ns)
        return usage_error("--namespace NS is required");
    return 0;
}

/* base64 of text on one line, as caBundle wants it; caller frees */
static char *base64_line(const char *text)
{
    size_t len = strlen(text);
    char *out;

    if (len > (size_t)0x3fffffff)
        return NULL;
    out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)len);
    return out;
}

static int fail(const struct diag *d)
{
    char buf[DIAG_FILE_MAX + DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 16];

    fprintf(stderr, "django-admission certs: %s\n", diag_format(d, buf, sizeof(buf)));
    return EXIT_USAGE;
}

/* see cli.h */
int cli_certs(int argc, char **argv)
{
    struct certs_args args;
    struct certs_request req = {0};
    struct certs_bundle bundle = {0};
    char names[4][320];
    struct diag d;
    long long not_after = 0;
    char until[32] = "";
    char *ca_b64 = NULL;
    int rc;

    diag_clear(&d);
    rc = parse_args(argc, argv, &args);
    if (rc != 0)
        return rc;
    if (certs_service_names(args.service, args.ns, names, &req, &d) < 0)
        return fail(&d);
    req.days = args.days;
    if (certs_generate(&req, &bundle, &d) < 0)
        return fail(&d);
    rc = EXIT_USAGE;
    if (certs_write(&bundle, args.out, &d) < 0) {
        fail(&d);
        goto out;
    }
    ca_b64 = base64_line(bundle.ca_cert_pem);
    if (!ca_b64) {
        fputs("django-admission certs: out of memory encoding the caBundle\n", stderr);
        goto out;
    }
    if (certs_expiry(bundle.cert_pem, strlen(bundle.cert_pem), &not_after, &d) == 0) {
        time_t t = (time_t)not_after;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(until, sizeof(until), " (until %Y-%m-%dT%H:%M:%SZ)", &tm);
    }
    if (printf("%s\n", ca_b64) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "django-admission certs: cannot write the caBundle to stdout: %s\n",
                strerror(errno));
        goto out;
    }
    fprintf(stderr,
            "django-admission certs: wrote %s/ca.crt, %s/tls.crt and %s/tls.key (mode 600)\n"
            "  serving certificate for %s, %s, %s, %s, valid %d day%s%s\n"
            "  next: kubectl -n %s create secret tls django-admission-tls --cert=%s/tls.crt --key=%s/tls.key\n"
            "  and put the line printed on stdout in the caBundle of both webhook configurations\n",
            args.out, args.out, args.out, names[0], names[1], names[2], names[3], args.days,
            args.days == 1 ? "" : "s", until, args.ns, args.out, args.out);
    rc = EXIT_COMPLIANT;
out:
    free(ca_b64);
    certs_bundle_free(&bundle);
    return rc;
}
