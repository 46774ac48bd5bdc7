/* certs: makes a throwaway CA and a serving certificate signed by it with
 * OpenSSL (EC P-256, SHA-256), for the `certs` command and `serve --dev`,
 * and reads a certificate's expiry for metrics. Writing files is
 * certs_write's job alone; certs_generate works in memory. */
#ifndef DJANGO_ADMISSION_CERTS_H
#define DJANGO_ADMISSION_CERTS_H

#include <stddef.h>

#include "diag.h"

#define CERTS_NAMES_MAX 16

struct certs_request {
    /* subjectAltName DNS entries; the first is also the subject CN */
    const char *dns_names[CERTS_NAMES_MAX];
    size_t dns_count;
    /* subjectAltName IP entries ("127.0.0.1", "::1") */
    const char *ip_addresses[CERTS_NAMES_MAX];
    size_t ip_count;
    /* validity of both certificates, in days (1..3650) */
    int days;
};

struct certs_bundle {
    /* PEM texts, NUL-terminated, owned (certs_bundle_free) */
    char *ca_cert_pem;
    char *cert_pem;
    char *key_pem;
};

/* Generates a CA (CN "django-admission CA", basicConstraints CA:TRUE,
 * keyUsage keyCertSign) and a serving certificate for req's names
 * (serverAuth, digitalSignature) signed by it. -1 with d filled on failure. */
int certs_generate(const struct certs_request *req, struct certs_bundle *out,
                   struct diag *d);

/* Writes ca.crt, tls.crt (644) and tls.key (600) into dir, creating dir
 * (700) if needed; each file is written to a temporary name and renamed, so
 * a reader never sees half a file. -1 with d naming the file on failure. */
int certs_write(const struct certs_bundle *b, const char *dir, struct diag *d);

void certs_bundle_free(struct certs_bundle *b);

/* notAfter of the first certificate in pem[0..len) as a Unix timestamp. */
int certs_expiry(const char *pem, size_t len, long long *not_after, struct diag *d);

/* The names a webhook Service is reached by: NAME, NAME.NS, NAME.NS.svc,
 * NAME.NS.svc.cluster.local. Fills req->dns_names with pointers into
 * storage (caller provides 4 * 320 bytes) and sets dns_count. -1 when a name
 * is not a valid DNS label. */
int certs_service_names(const char *service, const char *ns, char storage[4][320],
                        struct certs_request *req, struct diag *d);

#endif
