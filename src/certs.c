#include "certs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CA_COMMON_NAME "django-admission CA"
/* RFC 5280 ub-common-name */
#define COMMON_NAME_MAX 64
/* RFC 1035 section 2.3.4: a name is at most 253 characters in text form */
#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63
/* RFC 5280 section 4.1.2.2: at most 20 octets; 16 random ones suffice */
#define SERIAL_BYTES 16
/* certificates start 5 minutes in the past so a node whose clock is a
 * little behind ours does not reject them as not yet valid */
#define NOT_BEFORE_SKEW_SECONDS (-5 * 60)

/* Copies s into buf for a message: printable ASCII kept, anything else
 * shown as '?', long input cut, so hostile names cannot break a log line. */
static const char *printable(const char *s, char *buf, size_t cap)
{
    size_t i = 0;

    for (; s[i] && i + 1 < cap; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}

/* Fills d with what failed and OpenSSL's reason, and empties OpenSSL's
 * error queue so the next call starts clean. */
static int ssl_fail(struct diag *d, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;

    if (reason)
        diag_set(d, NULL, "%s: %s", what, reason);
    else
        diag_set(d, NULL, "%s", what);
    ERR_clear_error();
    return -1;
}

/* An RFC 1123 label: 1-63 of [a-z0-9-], starting and ending with a letter
 * or digit. Upper case is accepted only when allow_upper (DNS compares
 * names case-insensitively; Kubernetes object names are lower case). */
static int dns_label_valid(const char *s, size_t len, int allow_upper)
{
    if (len == 0 || len > DNS_LABEL_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    (allow_upper && c >= 'A' && c <= 'Z');
        if (!alnum && c != '-')
            return 0;
        if (!alnum && (i == 0 || i == len - 1))
            return 0;
    }
    return 1;
}

/* A host name: labels as above joined by single dots, at most 253
 * characters, no trailing dot. */
static int dns_name_valid(const char *s)
{
    size_t len = strlen(s), start = 0;

    if (len == 0 || len > DNS_NAME_MAX)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        if (!dns_label_valid(s + start, i - start, 1))
            return 0;
        start = i + 1;
    }
    return 1;
}

static int request_check(const struct certs_request *req, struct diag *d)
{
    char shown[80];

    if (req->days < 1 || req->days > 3650)
        return diag_set(d, NULL, "validity must be 1 to 3650 days (got %d)", req->days);
    if (req->dns_count > CERTS_NAMES_MAX || req->ip_count > CERTS_NAMES_MAX)
        return diag_set(d, NULL, "at most %d DNS names and %d IP addresses (got %zu and %zu)",
                        CERTS_NAMES_MAX, CERTS_NAMES_MAX, req->dns_count, req->ip_count);
    if (req->dns_count + req->ip_count == 0)
        return diag_set(d, NULL, "a serving certificate needs at least one DNS name or IP address");
    for (size_t i = 0; i < req->dns_count; i++) {
        if (!req->dns_names[i] || !dns_name_valid(req->dns_names[i]))
            return diag_set(d, NULL, "DNS name \"%s\" is not a valid host name",
                            req->dns_names[i] ? printable(req->dns_names[i], shown, sizeof(shown)) : "");
    }
    if (req->dns_count > 0 && strlen(req->dns_names[0]) > COMMON_NAME_MAX)
        return diag_set(d, NULL, "first DNS name \"%s\" is longer than the %d characters a common name allows",
                        printable(req->dns_names[0], shown, sizeof(shown)), COMMON_NAME_MAX);
    for (size_t i = 0; i < req->ip_count; i++) {
        ASN1_OCTET_STRING *ip = req->ip_addresses[i] ? a2i_IPADDRESS(req->ip_addresses[i]) : NULL;
        if (!ip) {
            ERR_clear_error();
            return diag_set(d, NULL, "IP address \"%s\" is not a valid IPv4 or IPv6 address",
                            req->ip_addresses[i] ? printable(req->ip_addresses[i], shown, sizeof(shown)) : "");
        }
        ASN1_OCTET_STRING_free(ip);
    }
    return 0;
}

/* A positive serial of SERIAL_BYTES random octets: the top bit cleared so
 * DER does not read it as negative, the next one set so it is never zero
 * and always the same length. */
static int set_random_serial(X509 *x, struct diag *d)
{
    unsigned char raw[SERIAL_BYTES];
    BIGNUM *bn = NULL;
    int rc = -1;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return ssl_fail(d, "cannot draw a random serial number");
    raw[0] = (unsigned char)((raw[0] & 0x7f) | 0x40);
    bn = BN_bin2bn(raw, sizeof(raw), NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
        ssl_fail(d, "cannot set the serial number");
        goto out;
    }
    rc = 0;
out:
    BN_free(bn);
    return rc;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct diag *d)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok;

    if (!ext)
        return ssl_fail(d, "cannot build a certificate extension");
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (!ok)
        return ssl_fail(d, "cannot add a certificate extension");
    return 0;
}

static int add_general_name(GENERAL_NAMES *gens, int type, ASN1_STRING *value)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();

    if (!gn) {
        ASN1_STRING_free(value);
        return -1;
    }
    GENERAL_NAME_set0_value(gn, type, value);
    if (!sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        return -1;
    }
    return 0;
}

/* subjectAltName with every DNS name then every IP address of req (already
 * validated by request_check). */
static int add_subject_alt_names(X509 *x, const struct certs_request *req, struct diag *d)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int rc = -1;

    if (!gens)
        return ssl_fail(d, "out of memory building subjectAltName");
    for (size_t i = 0; i < req->dns_count; i++) {
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!s || !ASN1_STRING_set(s, req->dns_names[i], -1)) {
            ASN1_IA5STRING_free(s);
            ssl_fail(d, "out of memory building subjectAltName");
            goto out;
        }
        if (add_general_name(gens, GEN_DNS, s) < 0) {
            ssl_fail(d, "out of memory building subjectAltName");
            goto out;
        }
    }
    for (size_t i = 0; i < req->ip_count; i++) {
        ASN1_OCTET_STRING *ip = a2i_IPADDRESS(req->ip_addresses[i]);
        if (!ip || add_general_name(gens, GEN_IPADD, ip) < 0) {
            ssl_fail(d, "cannot encode an IP address for subjectAltName");
            goto out;
        }
    }
    if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1) {
        ssl_fail(d, "cannot add subjectAltName");
        goto out;
    }
    rc = 0;
out:
    GENERAL_NAMES_free(gens);
    return rc;
}

/* The fields every certificate here shares: v3, random serial, validity
 * [now - skew, now + days], subject CN, public key. */
static X509 *cert_new(EVP_PKEY *key, const char *common_name, time_t now, int days,
                      struct diag *d)
{
    X509 *x = X509_new();
    time_t t = now;

    if (!x) {
        ssl_fail(d, "out of memory creating a certificate");
        return NULL;
    }
    if (X509_set_version(x, X509_VERSION_3) != 1)
        goto fail_ssl;
    if (set_random_serial(x, d) < 0)
        goto fail;
    if (!X509_time_adj_ex(X509_getm_notBefore(x), 0, NOT_BEFORE_SKEW_SECONDS, &t))
        goto fail_ssl;
    t = now;
    if (!X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &t))
        goto fail_ssl;
    if (X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)common_name, -1, -1, 0) != 1)
        goto fail_ssl;
    if (X509_set_pubkey(x, key) != 1)
        goto fail_ssl;
    return x;
fail_ssl:
    ssl_fail(d, "cannot fill in a certificate");
fail:
    X509_free(x);
    return NULL;
}

static EVP_PKEY *key_new(struct diag *d)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");

    if (!key)
        ssl_fail(d, "cannot generate an EC P-256 key");
    return key;
}

static X509 *ca_new(EVP_PKEY *ca_key, time_t now, int days, struct diag *d)
{
    X509 *x = cert_new(ca_key, CA_COMMON_NAME, now, days, d);
    X509V3_CTX ctx;

    if (!x)
        return NULL;
    if (X509_set_issuer_name(x, X509_get_subject_name(x)) != 1) {
        ssl_fail(d, "cannot set the CA issuer");
        goto fail;
    }
    /* the subject key identifier first: the authority key identifier of a
     * self-signed certificate is copied from it */
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", d) < 0 ||
        add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign", d) < 0 ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash", d) < 0 ||
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", d) < 0)
        goto fail;
    if (X509_sign(x, ca_key, EVP_sha256()) <= 0) {
        ssl_fail(d, "cannot sign the CA certificate");
        goto fail;
    }
    return x;
fail:
    X509_free(x);
    return NULL;
}

static X509 *serving_new(const struct certs_request *req, EVP_PKEY *key, X509 *ca,
                         EVP_PKEY *ca_key, time_t now, struct diag *d)
{
    const char *cn = req->dns_count > 0 ? req->dns_names[0] : req->ip_addresses[0];
    X509 *x = cert_new(key, cn, now, req->days, d);
    X509V3_CTX ctx;

    if (!x)
        return NULL;
    if (X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1) {
        ssl_fail(d, "cannot set the serving certificate issuer");
        goto fail;
    }
    X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
    if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", d) < 0 ||
        add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature", d) < 0 ||
        add_ext(x, &ctx, NID_ext_key_usage, "serverAuth", d) < 0 ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash", d) < 0 ||
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", d) < 0 ||
        add_subject_alt_names(x, req, d) < 0)
        goto fail;
    if (X509_sign(x, ca_key, EVP_sha256()) <= 0) {
        ssl_fail(d, "cannot sign the serving certificate");
        goto fail;
    }
    return x;
fail:
    X509_free(x);
    return NULL;
}

/* Copies a memory BIO's contents into a new NUL-terminated string. */
static char *bio_take_string(BIO *bio)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *s;

    if (len < 0 || !data)
        return NULL;
    s = malloc((size_t)len + 1);
    if (!s)
        return NULL;
    memcpy(s, data, (size_t)len);
    s[len] = '\0';
    return s;
}

static char *cert_pem(X509 *x, struct diag *d)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = NULL;

    if (!bio || PEM_write_bio_X509(bio, x) != 1 || !(s = bio_take_string(bio)))
        ssl_fail(d, "cannot encode a certificate as PEM");
    BIO_free(bio);
    return s;
}

/* PKCS#8, unencrypted: what GnuTLS and kubectl create secret tls read. The
 * BIO is secure memory so the key is wiped when it is freed. */
static char *key_pem(EVP_PKEY *key, struct diag *d)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    char *s = NULL;

    if (!bio || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
        !(s = bio_take_string(bio)))
        ssl_fail(d, "cannot encode the private key as PEM");
    BIO_free(bio);
    return s;
}

/* see certs.h */
int certs_generate(const struct certs_request *req, struct certs_bundle *out,
                   struct diag *d)
{
    EVP_PKEY *ca_key = NULL, *key = NULL;
    X509 *ca = NULL, *cert = NULL;
    struct certs_bundle b = {0};
    time_t now = time(NULL);
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (request_check(req, d) < 0)
        return -1;
    if (now == (time_t)-1)
        return diag_set(d, NULL, "cannot read the clock: %s", strerror(errno));
    if (!(ca_key = key_new(d)) || !(key = key_new(d)))
        goto out;
    if (!(ca = ca_new(ca_key, now, req->days, d)))
        goto out;
    if (!(cert = serving_new(req, key, ca, ca_key, now, d)))
        goto out;
    if (!(b.ca_cert_pem = cert_pem(ca, d)) || !(b.cert_pem = cert_pem(cert, d)) ||
        !(b.key_pem = key_pem(key, d))) {
        certs_bundle_free(&b);
        goto out;
    }
    *out = b;
    rc = 0;
out:
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

/* see certs.h */
void certs_bundle_free(struct certs_bundle *b)
{
    if (!b)
        return;
    if (b->key_pem)
        OPENSSL_cleanse(b->key_pem, strlen(b->key_pem));
    free(b->key_pem);
    free(b->cert_pem);
    free(b->ca_cert_pem);
    b->key_pem = b->cert_pem = b->ca_cert_pem = NULL;
}

/* see certs.h */
int certs_expiry(const char *pem, size_t len, long long *not_after, struct diag *d)
{
    BIO *bio;
    X509 *x = NULL;
    struct tm tm;
    time_t t;
    int rc = -1;

    if (!pem || len == 0)
        return diag_set(d, NULL, "no certificate: the PEM text is empty");
    if (len > INT_MAX)
        return diag_set(d, NULL, "PEM text is too large (%zu bytes)", len);
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return ssl_fail(d, "out of memory reading a certificate");
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (!x) {
        ssl_fail(d, "no PEM certificate found");
        goto out;
    }
    memset(&tm, 0, sizeof(tm));
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) {
        ssl_fail(d, "certificate notAfter is not a valid time");
        goto out;
    }
    t = timegm(&tm);
    if (t == (time_t)-1) {
        diag_set(d, NULL, "certificate notAfter is out of range");
        goto out;
    }
    *not_after = (long long)t;
    rc = 0;
out:
    X509_free(x);
    BIO_free(bio);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes dir/name with the given mode through a temporary file in the same
 * directory (so rename is atomic), flushed to disk before the rename. */
static int write_file_atomic(const char *dir, const char *name, const char *text,
                             mode_t mode, struct diag *d)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int fd, n;

    n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return diag_set(d, NULL, "%s: path is too long", name);
    n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return diag_set(d, NULL, "%s: path is too long", name);
    diag_locate(d, path, 0);
    /* mkstemp creates the file 0600, so the key is never readable by others */
    fd = mkstemp(tmp);
    if (fd < 0)
        return diag_set(d, NULL, "cannot create a temporary file: %s", strerror(errno));
    if (fchmod(fd, mode) < 0) {
        diag_set(d, NULL, "cannot set mode %o: %s", (unsigned)mode, strerror(errno));
        goto fail;
    }
    if (write_all(fd, text, strlen(text)) < 0) {
        diag_set(d, NULL, "cannot write: %s", strerror(errno));
        goto fail;
    }
    if (fsync(fd) < 0) {
        diag_set(d, NULL, "cannot flush to disk: %s", strerror(errno));
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        diag_set(d, NULL, "cannot close: %s", strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        diag_set(d, NULL, "cannot rename into place: %s", strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

/* see certs.h */
int certs_write(const struct certs_bundle *b, const char *dir, struct diag *d)
{
    struct stat st;
    int fd;

    if (!b->ca_cert_pem || !b->cert_pem || !b->key_pem)
        return diag_set(d, NULL, "nothing to write: the certificate bundle is empty");
    diag_locate(d, dir, 0);
    if (!dir[0])
        return diag_set(d, NULL, "output directory name is empty");
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return diag_set(d, NULL, "cannot create directory: %s", strerror(errno));
    if (stat(dir, &st) < 0)
        return diag_set(d, NULL, "cannot read directory: %s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return diag_set(d, NULL, "exists and is not a directory");
    /* the key before the certificate: a reader that reloads when tls.crt
     * changes then finds the matching key already in place */
    if (write_file_atomic(dir, "ca.crt", b->ca_cert_pem, 0644, d) < 0 ||
        write_file_atomic(dir, "tls.key", b->key_pem, 0600, d) < 0 ||
        write_file_atomic(dir, "tls.crt", b->cert_pem, 0644, d) < 0)
        return -1;
    /* make the renames themselves durable */
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        diag_locate(d, dir, 0);
        return diag_set(d, NULL, "cannot open directory: %s", strerror(errno));
    }
    if (fsync(fd) < 0) {
        int e = errno;
        close(fd);
        diag_locate(d, dir, 0);
        return diag_set(d, NULL, "cannot flush directory: %s", strerror(e));
    }
    close(fd);
    return 0;
}

/* see certs.h */
int certs_service_names(const char *service, const char *ns, char storage[4][320],
                        struct certs_request *req, struct diag *d)
{
    char shown[80];

    if (!service || !dns_label_valid(service, strlen(service), 0))
        return diag_set(d, NULL,
                        "service name \"%s\" is not a valid DNS label (1 to 63 lower case letters, "
                        "digits or '-', starting and ending with a letter or digit)",
                        service ? printable(service, shown, sizeof(shown)) : "");
    if (!ns || !dns_label_valid(ns, strlen(ns), 0))
        return diag_set(d, NULL,
                        "namespace \"%s\" is not a valid DNS label (1 to 63 lower case letters, "
                        "digits or '-', starting and ending with a letter or digit)",
                        ns ? printable(ns, shown, sizeof(shown)) : "");
    /* two labels of at most 63 plus ".svc.cluster.local" always fit */
    snprintf(storage[0], 320, "%s", service);
    snprintf(storage[1], 320, "%s.%s", service, ns);
    snprintf(storage[2], 320, "%s.%s.svc", service, ns);
    snprintf(storage[3], 320, "%s.%s.svc.cluster.local", service, ns);
    for (size_t i = 0; i < 4; i++)
        req->dns_names[i] = storage[i];
    req->dns_count = 4;
    return 0;
}
