/* Tests for certs: hostile requests and names first, then the generated
 * chain checked with OpenSSL's own verifier, then files on disk checked by
 * the openssl command line as an independent oracle. */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs.h"

/* ---- helpers ---------------------------------------------------------- */

static X509 *pem_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x;

    assert_non_null(bio);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *pem_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k;

    assert_non_null(bio);
    k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(k);
    return k;
}

static void request_localhost(struct certs_request *req, int days)
{
    memset(req, 0, sizeof(*req));
    req->dns_names[0] = "localhost";
    req->dns_count = 1;
    req->ip_addresses[0] = "127.0.0.1";
    req->ip_addresses[1] = "::1";
    req->ip_count = 2;
    req->days = days;
}

/* 1 when cert chains to ca for a TLS server, 0 when it does not */
static int chains_to(X509 *cert, X509 *ca)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok;

    assert_non_null(store);
    assert_non_null(ctx);
    assert_int_equal(X509_STORE_add_cert(store, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
    assert_int_equal(X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER), 1);
    ok = X509_verify_cert(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok == 1;
}

/* ---- hostile requests ------------------------------------------------- */

static const char *const name_64 =
    "a123456789012345678901234567890123456789012345678901234567890123";
static const char *const name_63 =
    "a12345678901234567890123456789012345678901234567890123456789012";

struct bad_request {
    const char *what;
    const char *dns;
    const char *ip;
    size_t dns_count;
    size_t ip_count;
    int days;
    /* a word the message must contain */
    const char *message_has;
};

static void test_generate_rejects_bad_requests(void **state)
{
    /* 254 characters: valid labels, too long as a whole name */
    char too_long[300];
    /* a valid host name longer than a common name can be */
    char long_cn[80];
    memset(too_long, 0, sizeof(too_long));
    for (size_t i = 0; i < 254; i++)
        too_long[i] = (i % 2) ? '.' : 'a';
    too_long[253] = 'b';
    snprintf(long_cn, sizeof(long_cn), "%s.example", name_63);

    const struct bad_request cases[] = {
        {"days 0", "localhost", NULL, 1, 0, 0, "days"},
        {"days negative", "localhost", NULL, 1, 0, -1, "days"},
        {"days INT_MIN", "localhost", NULL, 1, 0, INT_MIN, "days"},
        {"days 3651", "localhost", NULL, 1, 0, 3651, "days"},
        {"days 10000", "localhost", NULL, 1, 0, 10000, "days"},
        {"days INT_MAX", "localhost", NULL, 1, 0, INT_MAX, "days"},
        {"no names", NULL, NULL, 0, 0, 30, "at least one"},
        {"too many dns", "localhost", NULL, CERTS_NAMES_MAX + 1, 0, 30, "at most"},
        {"too many ips", NULL, "127.0.0.1", 0, CERTS_NAMES_MAX + 1, 30, "at most"},
        {"empty dns", "", NULL, 1, 0, 30, "DNS name"},
        {"NULL dns", NULL, NULL, 1, 0, 30, "DNS name"},
        {"underscore", "bad_name", NULL, 1, 0, 30, "DNS name"},
        {"empty label", "a..b", NULL, 1, 0, 30, "DNS name"},
        {"trailing dot", "a.b.", NULL, 1, 0, 30, "DNS name"},
        {"leading hyphen", "-a.b", NULL, 1, 0, 30, "DNS name"},
        {"label 64", name_64, NULL, 1, 0, 30, "DNS name"},
        {"name 254", too_long, NULL, 1, 0, 30, "DNS name"},
        {"non-ascii", "caf\xc3\xa9.example", NULL, 1, 0, 30, "caf??.example"},
        {"control char", "a\nb", NULL, 1, 0, 30, "a?b"},
        {"wildcard", "*.example", NULL, 1, 0, 30, "DNS name"},
        {"long common name", long_cn, NULL, 1, 0, 30, "common name"},
        {"empty ip", "localhost", "", 1, 1, 30, "IP address"},
        {"NULL ip", "localhost", NULL, 1, 1, 30, "IP address"},
        {"ipv4 out of range", "localhost", "256.1.1.1", 1, 1, 30, "IP address"},
        {"ipv4 short", "localhost", "1.2.3", 1, 1, 30, "IP address"},
        {"ipv6 bad", "localhost", "::g", 1, 1, 30, "IP address"},
        {"ip with port", "localhost", "127.0.0.1:8443", 1, 1, 30, "IP address"},
        {"host name as ip", "localhost", "localhost", 1, 1, 30, "IP address"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct certs_request req;
        struct certs_bundle b = {(char *)1, (char *)1, (char *)1};
        struct diag d;

        memset(&req, 0, sizeof(req));
        diag_clear(&d);
        for (size_t j = 0; j < cases[i].dns_count && j < CERTS_NAMES_MAX; j++)
            req.dns_names[j] = cases[i].dns;
        for (size_t j = 0; j < cases[i].ip_count && j < CERTS_NAMES_MAX; j++)
            req.ip_addresses[j] = cases[i].ip;
        req.dns_count = cases[i].dns_count;
        req.ip_count = cases[i].ip_count;
        req.days = cases[i].days;
        if (certs_generate(&req, &b, &d) != -1)
            fail_msg("%s: accepted", cases[i].what);
        if (!strstr(d.message, cases[i].message_has))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].what, d.message, cases[i].message_has);
        /* a failed call leaves nothing for the caller to free */
        assert_null(b.ca_cert_pem);
        assert_null(b.cert_pem);
        assert_null(b.key_pem);
        certs_bundle_free(&b);
    }
}

struct name_case {
    const char *service;
    const char *ns;
    /* NULL: must be rejected, with this text in the message */
    const char *message_has;
};

static void test_service_names_rejects(void **state)
{
    const struct name_case cases[] = {
        {"Bad_Name", "django", "service name \"Bad_Name\""},
        {"", "django", "service name \"\""},
        {NULL, "django", "service name"},
        {name_64, "django", "service name"},
        {"-svc", "django", "service name"},
        {"svc-", "django", "service name"},
        {"Svc", "django", "service name"},
        {"svc.x", "django", "service name"},
        {"svc x", "django", "service name"},
        {"sv\xc3\xa9", "django", "service name \"sv??\""},
        {"svc", "", "namespace \"\""},
        {"svc", NULL, "namespace"},
        {"svc", "Bad_Name", "namespace \"Bad_Name\""},
        {"svc", name_64, "namespace"},
        {"svc", "ns/evil", "namespace"},
        {"svc", "ns~1", "namespace"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct certs_request req;
        char storage[4][320];
        struct diag d;

        memset(&req, 0, sizeof(req));
        diag_clear(&d);
        if (certs_service_names(cases[i].service, cases[i].ns, storage, &req, &d) != -1)
            fail_msg("case %zu (%s/%s): accepted", i, cases[i].service ? cases[i].service : "NULL",
                     cases[i].ns ? cases[i].ns : "NULL");
        if (!strstr(d.message, cases[i].message_has))
            fail_msg("case %zu: message '%s' lacks '%s'", i, d.message, cases[i].message_has);
        assert_int_equal(req.dns_count, 0);
    }
}

static void test_service_names_accepts(void **state)
{
    struct certs_request req;
    char storage[4][320];
    struct diag d;
    char expect[320];

    (void)state;
    memset(&req, 0, sizeof(req));
    diag_clear(&d);
    assert_int_equal(certs_service_names("django-admission", "django-admission", storage, &req, &d), 0);
    assert_int_equal(req.dns_count, 4);
    assert_string_equal(req.dns_names[0], "django-admission");
    assert_string_equal(req.dns_names[1], "django-admission.django-admission");
    assert_string_equal(req.dns_names[2], "django-admission.django-admission.svc");
    assert_string_equal(req.dns_names[3], "django-admission.django-admission.svc.cluster.local");

    /* the longest names Kubernetes allows still fit, and make a valid
     * request (the service name, 63 characters, is the common name) */
    memset(&req, 0, sizeof(req));
    assert_int_equal(certs_service_names(name_63, name_63, storage, &req, &d), 0);
    snprintf(expect, sizeof(expect), "%s.%s.svc.cluster.local", name_63, name_63);
    assert_string_equal(req.dns_names[3], expect);
    assert_int_equal(certs_service_names("0", "1-2", storage, &req, &d), 0);
    assert_string_equal(req.dns_names[2], "0.1-2.svc");
}

/* ---- the generated chain ---------------------------------------------- */

struct fixture {
    struct certs_bundle b;
    struct certs_bundle other;
    time_t before;
    time_t after;
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct certs_request req;
    struct diag d;

    if (!f)
        return -1;
    diag_clear(&d);
    request_localhost(&req, 30);
    f->before = time(NULL);
    if (certs_generate(&req, &f->b, &d) < 0 || certs_generate(&req, &f->other, &d) < 0) {
        fprintf(stderr, "certs_generate: %s\n", d.message);
        return -1;
    }
    f->after = time(NULL);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_certs.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static void remove_dir(const char *dir)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];

    if (!dh)
        return;
    while ((e = readdir(dh)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) < 0)
            remove_dir(path);
    }
    closedir(dh);
    rmdir(dir);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    certs_bundle_free(&f->b);
    certs_bundle_free(&f->other);
    remove_dir(f->dir);
    free(f);
    return 0;
}

static void test_chain_verifies(void **state)
{
    struct fixture *f = *state;
    X509 *ca = pem_cert(f->b.ca_cert_pem);
    X509 *cert = pem_cert(f->b.cert_pem);
    X509 *other_ca = pem_cert(f->other.ca_cert_pem);

    assert_true(chains_to(cert, ca));
    /* same names, other CA: must not verify (the check can fail) */
    assert_false(chains_to(cert, other_ca));
    /* the serving cert is no CA: nothing chains to it */
    assert_false(chains_to(ca, cert));
    X509_free(other_ca);
    X509_free(cert);
    X509_free(ca);
}

static void test_names_and_extensions(void **state)
{
    struct fixture *f = *state;
    X509 *ca = pem_cert(f->b.ca_cert_pem);
    X509 *cert = pem_cert(f->b.cert_pem);
    char cn[128];
    const ASN1_OCTET_STRING *ski, *aki;

    assert_int_equal(X509_check_host(cert, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(cert, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(cert, "0:0:0:0:0:0:0:1", 0), 1);
    assert_int_equal(X509_check_host(cert, "example.com", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(cert, "127.0.0.2", 0), 0);

    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn)) > 0);
    assert_string_equal(cn, "localhost");
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof(cn)) > 0);
    assert_string_equal(cn, "django-admission CA");
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca)), 0);
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(ca), X509_get_subject_name(ca)), 0);

    /* CA: a CA that signs certificates; serving cert: not a CA, serverAuth */
    assert_true(X509_check_ca(ca) >= 1);
    assert_int_equal(X509_check_ca(cert), 0);
    assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
    assert_true(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE);
    assert_false(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN);
    assert_true(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER);
    assert_int_equal(X509_get_version(cert), X509_VERSION_3);

    /* SKI on both; the serving cert's AKI is the CA's SKI */
    ski = X509_get0_subject_key_id(ca);
    aki = X509_get0_authority_key_id(cert);
    assert_non_null(ski);
    assert_non_null(aki);
    assert_non_null(X509_get0_subject_key_id(cert));
    assert_int_equal(ASN1_OCTET_STRING_cmp(ski, aki), 0);
    assert_int_not_equal(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(cert), ski), 0);

    assert_int_equal(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_get_signature_nid(ca), NID_ecdsa_with_SHA256);
    X509_free(cert);
    X509_free(ca);
}

static void test_serials_random_positive(void **state)
{
    struct fixture *f = *state;
    const char *pems[4] = {f->b.ca_cert_pem, f->b.cert_pem, f->other.ca_cert_pem, f->other.cert_pem};
    BIGNUM *bn[4];

    for (size_t i = 0; i < 4; i++) {
        X509 *x = pem_cert(pems[i]);
        bn[i] = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
        assert_non_null(bn[i]);
        assert_false(BN_is_negative(bn[i]));
        assert_int_equal(BN_num_bytes(bn[i]), 16);
        /* DER: tag, length, exactly 16 content octets (no 0x00 pad, so
         * the top bit was clear) */
        assert_int_equal(i2d_ASN1_INTEGER(X509_get0_serialNumber(x), NULL), 18);
        X509_free(x);
    }
    for (size_t i = 0; i < 4; i++)
        for (size_t j = i + 1; j < 4; j++)
            assert_int_not_equal(BN_cmp(bn[i], bn[j]), 0);
    for (size_t i = 0; i < 4; i++)
        BN_free(bn[i]);
}

static void test_key_matches(void **state)
{
    struct fixture *f = *state;
    X509 *cert = pem_cert(f->b.cert_pem);
    EVP_PKEY *key = pem_key(f->b.key_pem);
    EVP_PKEY *other = pem_key(f->other.key_pem);
    char group[64];
    size_t glen = 0;

    assert_int_equal(X509_check_private_key(cert, key), 1);
    assert_int_equal(X509_check_private_key(cert, other), 0);
    assert_int_equal(EVP_PKEY_get_id(key), EVP_PKEY_EC);
    assert_int_equal(EVP_PKEY_get_group_name(key, group, sizeof(group), &glen), 1);
    assert_string_equal(group, "prime256v1");
    /* PKCS#8, unencrypted */
    assert_non_null(strstr(f->b.key_pem, "-----BEGIN PRIVATE KEY-----"));
    EVP_PKEY_free(other);
    EVP_PKEY_free(key);
    X509_free(cert);
}

static void test_validity(void **state)
{
    struct fixture *f = *state;
    const char *pems[2] = {f->b.ca_cert_pem, f->b.cert_pem};

    for (size_t i = 0; i < 2; i++) {
        X509 *x = pem_cert(pems[i]);
        long long not_after = 0;
        struct diag d;
        int day = 0, sec = 0;

        diag_clear(&d);
        assert_int_equal(certs_expiry(pems[i], strlen(pems[i]), &not_after, &d), 0);
        assert_true(not_after >= (long long)f->before + 30LL * 86400 - 60);
        assert_true(not_after <= (long long)f->after + 30LL * 86400 + 60);
        /* notBefore is 5 minutes before generation, for clock skew */
        assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
        assert_int_equal(day, 30);
        assert_int_equal(sec, 300);
        X509_free(x);
    }
}

/* ---- certs_expiry on certificates made by openssl req ----------------- */

/* openssl req -x509 -days 30: notAfter Dec 27 04:00:57 2026 GMT (UTCTime) */
#define ORACLE_UTC \
    "-----BEGIN CERTIFICATE-----\n" \
    "MIIBlzCCAT2gAwIBAgIUdb0S/RvrajmpqL3vjXgOhBN3yM8wCgYIKoZIzj0EAwIw\n" \
    "ETEPMA0GA1UEAwwGb3JhY2xlMB4XDTI2MTEyNzA0MDA1N1oXDTI2MTIyNzA0MDA1\n" \
    "N1owETEPMA0GA1UEAwwGb3JhY2xlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n" \
    "phvW26EPaSUI9dMAXbHP/QyJWbhR96SDVK4OZiJvuu253xxFDZW4axY6jpJqxfL+\n" \
    "xBDY2nqzdMo4jFMe45F5mqNzMHEwHQYDVR0OBBYEFC4IURJ9V/lkja2WxWTmV/C7\n" \
    "D5lZMB8GA1UdIwQYMBaAFC4IURJ9V/lkja2WxWTmV/C7D5lZMA8GA1UdEwEB/wQF\n" \
    "MAMBAf8wHgYDVR0RBBcwFYIBYYcQAAAAAAAAAAAAAAAAAAAAATAKBggqhkjOPQQD\n" \
    "AgNIADBFAiBA0cdZQrtJTdHrRYXYRo1kbKt/29tQ8n+hp1kvr3Z08QIhAMCWdCwW\n" \
    "nonNkWXpmazwEkZMKcbZ22aW8g91uBFo/JRt\n" \
    "-----END CERTIFICATE-----\n"

/* openssl req -x509 -days 15000: notAfter Dec 22 04:00:57 2067 GMT
 * (GeneralizedTime, past 2049) */
#define ORACLE_GENERALIZED \
    "-----BEGIN CERTIFICATE-----\n" \
    "MIIBcjCCARmgAwIBAgIUf4GgqJk14y1rmZlion29EqMPhdkwCgYIKoZIzj0EAwIw\n" \
    "DjEMMAoGA1UEAwwDZmFyMCAXDTI2MTEyNzA0MDA1N1oYDzIwNjcxMjIyMDQwMDU3\n" \
    "WjAOMQwwCgYDVQQDDANmYXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQKJ/Xk\n" \
    "v61OrBySYlmfQh32CcPka0xiz4KVUYZWcpgqnywiMrC9x8KIrk2pAaHSZ51sSz+Q\n" \
    "iCYY+HJffiPiiTGfo1MwUTAdBgNVHQ4EFgQUZ8gZeRWj7pZ+HMC7N5u3Y7WaICkw\n" \
    "HwYDVR0jBBgwFoAUZ8gZeRWj7pZ+HMC7N5u3Y7WaICkwDwYDVR0TAQH/BAUwAwEB\n" \
    "/zAKBggqhkjOPQQDAgNHADBEAiBMe+5zSBeNiO4TWtR00fYFhua4qnmeXVVv6CVu\n" \
    "HR8s/gIgKMoVyscSNjDNNkOnuxpqIdjlN9ZtXk8O4AqPHyN6Ls8=\n" \
    "-----END CERTIFICATE-----\n"

static const char oracle_utc[] = ORACLE_UTC;
static const char oracle_generalized[] = ORACLE_GENERALIZED;
static const char oracle_chain[] = ORACLE_GENERALIZED ORACLE_UTC;

#define LIT(s) s, sizeof(s) - 1

static void test_expiry_table(void **state)
{
    /* date -u -d "Dec 27 04:00:57 2026" +%s, and the same for 2067 */
    const struct {
        const char *what;
        const char *pem;
        size_t len;
        long long expect;
    } good[] = {
        {"utctime", LIT(oracle_utc), 1798344057LL},
        {"generalizedtime", LIT(oracle_generalized), 3091752057LL},
        /* the first certificate of a chain counts */
        {"chain", LIT(oracle_chain), 3091752057LL},
    };
    const struct {
        const char *what;
        const char *pem;
        size_t len;
    } bad[] = {
        {"empty", "", 0},
        {"NULL", NULL, 0},
        {"garbage", LIT("hello")},
        {"armour only", LIT("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")},
        {"bad base64", LIT("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")},
        {"not a cert", LIT("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n")},
        {"truncated", oracle_utc, 120},
        {"huge length", oracle_utc, (size_t)INT_MAX + 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        long long t = 0;
        struct diag d;
        diag_clear(&d);
        if (certs_expiry(good[i].pem, good[i].len, &t, &d) != 0)
            fail_msg("%s: %s", good[i].what, d.message);
        assert_int_equal(t, good[i].expect);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long t = 42;
        struct diag d;
        diag_clear(&d);
        if (certs_expiry(bad[i].pem, bad[i].len, &t, &d) != -1)
            fail_msg("%s: accepted", bad[i].what);
        assert_true(d.message[0] != '\0');
        assert_int_equal(t, 42);
    }
}

static void test_expiry_of_a_key_fails(void **state)
{
    struct fixture *f = *state;
    long long t = 0;
    struct diag d;

    diag_clear(&d);
    assert_int_equal(certs_expiry(f->b.key_pem, strlen(f->b.key_pem), &t, &d), -1);
    assert_non_null(strstr(d.message, "no PEM certificate"));
}

/* ---- files on disk ---------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    size_t n;

    assert_non_null(fp);
    buf = calloc(1, 65536);
    assert_non_null(buf);
    n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void assert_file(const char *dir, const char *name, const char *content, mode_t mode)
{
    char path[PATH_MAX];
    struct stat st;
    char *text;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(stat(path, &st), 0);
    if ((st.st_mode & 07777) != mode)
        fail_msg("%s: mode %o, expected %o", path, (unsigned)(st.st_mode & 07777), (unsigned)mode);
    text = slurp(path);
    assert_string_equal(text, content);
    free(text);
}

static size_t count_entries(const char *dir)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(dh);
    while ((e = readdir(dh)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(dh);
    return n;
}

static void test_write_files(void **state)
{
    struct fixture *f = *state;
    char out[PATH_MAX];
    struct stat st;
    struct diag d;

    diag_clear(&d);
    snprintf(out, sizeof(out), "%s/out", f->dir);
    assert_int_equal(certs_write(&f->b, out, &d), 0);
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_file(out, "ca.crt", f->b.ca_cert_pem, 0644);
    assert_file(out, "tls.crt", f->b.cert_pem, 0644);
    assert_file(out, "tls.key", f->b.key_pem, 0600);
    /* no temporary file left behind */
    assert_int_equal(count_entries(out), 3);

    /* writing again replaces every file */
    assert_int_equal(certs_write(&f->other, out, &d), 0);
    assert_file(out, "ca.crt", f->other.ca_cert_pem, 0644);
    assert_file(out, "tls.crt", f->other.cert_pem, 0644);
    assert_file(out, "tls.key", f->other.key_pem, 0600);
    assert_int_equal(count_entries(out), 3);

    /* back to the fixture's bundle for the openssl test */
    assert_int_equal(certs_write(&f->b, out, &d), 0);
}

static void test_write_rejects(void **state)
{
    struct fixture *f = *state;
    struct certs_bundle empty = {0};
    char path[PATH_MAX];
    FILE *fp;
    struct diag d;

    diag_clear(&d);
    assert_int_equal(certs_write(&empty, f->dir, &d), -1);
    assert_non_null(strstr(d.message, "empty"));

    diag_clear(&d);
    assert_int_equal(certs_write(&f->b, "", &d), -1);

    /* a file where the directory should be */
    snprintf(path, sizeof(path), "%s/plain", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    diag_clear(&d);
    assert_int_equal(certs_write(&f->b, path, &d), -1);
    assert_string_equal(d.file, path);
    assert_non_null(strstr(d.message, "not a directory"));

    /* a parent that does not exist */
    snprintf(path, sizeof(path), "%s/missing/deeper", f->dir);
    diag_clear(&d);
    assert_int_equal(certs_write(&f->b, path, &d), -1);
    assert_string_equal(d.file, path);
    assert_non_null(strstr(d.message, "cannot create directory"));

    /* a directory we cannot write into (root ignores modes: skip then) */
    if (geteuid() != 0) {
        snprintf(path, sizeof(path), "%s/readonly", f->dir);
        assert_int_equal(mkdir(path, 0500), 0);
        diag_clear(&d);
        assert_int_equal(certs_write(&f->b, path, &d), -1);
        assert_non_null(strstr(d.file, "ca.crt"));
        assert_int_equal(count_entries(path), 0);
        assert_int_equal(chmod(path, 0700), 0);
    }
}

/* ---- independent oracle: the openssl command line --------------------- */

/* Runs cmd, returns its stdout+stderr (caller frees) and exit status. */
static char *run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    char *buf = calloc(1, 65536);
    size_t n = 0, got;
    int st;

    assert_non_null(p);
    assert_non_null(buf);
    while (n < 65535 && (got = fread(buf + n, 1, 65535 - n, p)) > 0)
        n += got;
    buf[n] = '\0';
    st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

static void test_openssl_oracle(void **state)
{
    struct fixture *f = *state;
    char cmd[PATH_MAX * 3], expect[PATH_MAX + 8], other[PATH_MAX];
    struct diag d;
    char *out, *pub_cert, *pub_key;
    int status;

    out = run("openssl version 2>&1", &status);
    free(out);
    if (status != 0)
        skip();

    /* test_write_files left the fixture's bundle in DIR/out */
    diag_clear(&d);
    snprintf(other, sizeof(other), "%s/other", f->dir);
    assert_int_equal(certs_write(&f->other, other, &d), 0);

    snprintf(cmd, sizeof(cmd), "openssl verify -purpose sslserver -CAfile %s/out/ca.crt %s/out/tls.crt 2>&1",
             f->dir, f->dir);
    out = run(cmd, &status);
    snprintf(expect, sizeof(expect), "%s/out/tls.crt: OK", f->dir);
    if (status != 0 || !strstr(out, expect))
        fail_msg("openssl verify: status %d: %s", status, out);
    free(out);

    /* the other CA must not vouch for it */
    snprintf(cmd, sizeof(cmd), "openssl verify -CAfile %s/ca.crt %s/out/tls.crt 2>&1", other, f->dir);
    out = run(cmd, &status);
    if (status == 0)
        fail_msg("openssl verify against the wrong CA passed: %s", out);
    free(out);

    snprintf(cmd, sizeof(cmd), "openssl x509 -noout -ext subjectAltName -in %s/out/tls.crt 2>&1", f->dir);
    out = run(cmd, &status);
    assert_int_equal(status, 0);
    if (!strstr(out, "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
        fail_msg("subjectAltName: %s", out);
    free(out);

    snprintf(cmd, sizeof(cmd),
             "openssl x509 -noout -ext basicConstraints,keyUsage,extendedKeyUsage -in %s/out/tls.crt 2>&1",
             f->dir);
    out = run(cmd, &status);
    assert_int_equal(status, 0);
    if (!strstr(out, "CA:FALSE") || !strstr(out, "Digital Signature") ||
        !strstr(out, "TLS Web Server Authentication"))
        fail_msg("serving extensions: %s", out);
    free(out);

    snprintf(cmd, sizeof(cmd), "openssl x509 -noout -ext basicConstraints,keyUsage -in %s/out/ca.crt 2>&1",
             f->dir);
    out = run(cmd, &status);
    assert_int_equal(status, 0);
    if (!strstr(out, "CA:TRUE") || !strstr(out, "Certificate Sign"))
        fail_msg("CA extensions: %s", out);
    free(out);

    /* the key file holds the private half of the certificate's public key */
    snprintf(cmd, sizeof(cmd), "openssl x509 -noout -pubkey -in %s/out/tls.crt 2>&1", f->dir);
    pub_cert = run(cmd, &status);
    assert_int_equal(status, 0);
    snprintf(cmd, sizeof(cmd), "openssl pkey -pubout -in %s/out/tls.key 2>&1", f->dir);
    pub_key = run(cmd, &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(pub_key, "BEGIN PUBLIC KEY"));
    assert_string_equal(pub_cert, pub_key);
    free(pub_key);
    free(pub_cert);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_rejects_bad_requests),
        cmocka_unit_test(test_service_names_rejects),
        cmocka_unit_test(test_service_names_accepts),
        cmocka_unit_test(test_expiry_table),
        cmocka_unit_test(test_chain_verifies),
        cmocka_unit_test(test_names_and_extensions),
        cmocka_unit_test(test_serials_random_positive),
        cmocka_unit_test(test_key_matches),
        cmocka_unit_test(test_validity),
        cmocka_unit_test(test_expiry_of_a_key_fails),
        cmocka_unit_test(test_write_rejects),
        cmocka_unit_test(test_write_files),
        cmocka_unit_test(test_openssl_oracle),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
