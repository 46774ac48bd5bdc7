/* Tests for tlsstore, the serving certificate behind rotation without
 * restart. What it promises, each checked against an independent oracle
 * (OpenSSL reading the same files, or a real GnuTLS client):
 *   - a good pair loads and is what tlsstore_retrieve hands out: the
 *     certificate bytes of the file, the whole chain in file order, and the
 *     private key of that certificate (for every key type the check knows);
 *   - notAfter is the leaf's, to the second, past 2038, in GeneralizedTime
 *     and for 9999-12-31 ("no expiration");
 *   - a pair that does not load is refused at open with d naming the file;
 *   - refresh: nothing changed -> 0 and the same pair; any of the signature
 *     fields changed -> a new pair; a broken new pair (garbage, empty, wrong
 *     key, unreadable, certificate swapped ahead of its key) -> -1 once,
 *     with the file and reason, and the old pair keeps serving; a key that
 *     lands while the store waits for a swap to settle is taken;
 *   - the kubelet's ..data symlink swap is seen as a change, and a swap to a
 *     broken Secret is refused;
 *   - superseded pairs stay alive for the handshakes that still hold them
 *     (TLSSTORE_KEEP of them), evicted and closed pairs are freed (run the
 *     ASan build: a use after free or a leak fails it);
 *   - readers on four threads during rotations only ever see whole pairs;
 *   - a real handshake picks up the new pair, an old session keeps its own;
 *   - a file that disappears for good is reported (once), the old pair
 *     kept. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "certs.h"
#include "tlsstore.h"

/* ---- fixture: one temporary directory per test ------------------------ */

static char dir[64];
static char cert_path[128];
static char key_path[128];

/* PEM texts made by a test, freed by the teardown even when it fails */
static char **owned;
static size_t owned_count, owned_cap;

/* certificates from certs_generate, made once: generation time bounds and
 * days let the expiry be checked against what was asked for */
#define POOL 4
static struct certs_bundle pool[POOL];
static const int pool_days[POOL] = {10, 20, 30, 40};
static time_t pool_made_from[POOL], pool_made_to[POOL];

static char *own(char *p)
{
    assert_non_null(p);
    if (owned_count == owned_cap) {
        owned_cap = owned_cap ? owned_cap * 2 : 64;
        owned = realloc(owned, owned_cap * sizeof(owned[0]));
        assert_non_null(owned);
    }
    owned[owned_count++] = p;
    return p;
}

static int make_pool(void **state)
{
    (void)state;
    for (int i = 0; i < POOL; i++) {
        struct certs_request req;
        struct diag d;

        memset(&req, 0, sizeof(req));
        req.dns_names[0] = "localhost";
        req.dns_count = 1;
        req.days = pool_days[i];
        diag_clear(&d);
        pool_made_from[i] = time(NULL);
        if (certs_generate(&req, &pool[i], &d) != 0)
            return -1;
        pool_made_to[i] = time(NULL);
    }
    return 0;
}

static int free_pool(void **state)
{
    (void)state;
    for (int i = 0; i < POOL; i++)
        certs_bundle_free(&pool[i]);
    return 0;
}

static void remove_tree(const char *path)
{
    DIR *dh;
    struct dirent *e;
    char sub[PATH_MAX];

    /* unlink takes files and symlinks (..data included) alike */
    if (unlink(path) == 0 || errno == ENOENT)
        return;
    dh = opendir(path);
    if (!dh)
        return;
    while ((e = readdir(dh)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    closedir(dh);
    rmdir(path);
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_tlsstore.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(cert_path, sizeof(cert_path), "%s/tls.crt", dir);
    snprintf(key_path, sizeof(key_path), "%s/tls.key", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tlsstore_close();
    remove_tree(dir);
    for (size_t i = 0; i < owned_count; i++)
        free(owned[i]);
    free(owned);
    owned = NULL;
    owned_count = owned_cap = 0;
    return 0;
}

/* ---- files ------------------------------------------------------------ */

/* Writes path in place (same inode when it exists). */
static void write_in_place(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Replaces path the way the kubelet and certs_write do: a new file renamed
 * over the old one, so readers never see half a file. */
static void replace_file(const char *path, const char *text)
{
    char tmp[PATH_MAX];

    snprintf(tmp, sizeof(tmp), "%s.new", path);
    write_in_place(tmp, text, strlen(text));
    assert_int_equal(rename(tmp, path), 0);
}

static void write_pair(const struct certs_bundle *b)
{
    struct diag d;

    diag_clear(&d);
    assert_int_equal(certs_write(b, dir, &d), 0);
}

static void open_pair(const struct certs_bundle *b)
{
    struct diag d;

    write_pair(b);
    diag_clear(&d);
    assert_int_equal(tlsstore_open(cert_path, key_path, &d), 0);
    assert_string_equal(d.message, "");
}

/* ---- oracles ---------------------------------------------------------- */

/* The DER of the n-th certificate in pem, read by OpenSSL. */
static gnutls_datum_t cert_der(const char *pem, int n)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = NULL;
    unsigned char *der = NULL;
    int len;
    gnutls_datum_t out;

    assert_non_null(bio);
    for (int i = 0; i <= n; i++) {
        X509_free(x);
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        assert_non_null(x);
    }
    BIO_free(bio);
    len = i2d_X509(x, &der);
    assert_true(len > 0);
    X509_free(x);
    out.data = (unsigned char *)own((char *)der);
    out.size = (unsigned int)len;
    return out;
}

/* notAfter of the first certificate in pem, read by OpenSSL. */
static long long openssl_not_after(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x;
    struct tm tm;

    assert_non_null(bio);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(x);
    assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm), 1);
    X509_free(x);
    return (long long)timegm(&tm);
}

/* SubjectPublicKeyInfo DER of the private key in pem, read by OpenSSL. */
static gnutls_datum_t key_spki(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k;
    unsigned char *der = NULL;
    int len;
    gnutls_datum_t out;

    assert_non_null(bio);
    k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(k);
    len = i2d_PUBKEY(k, &der);
    assert_true(len > 0);
    EVP_PKEY_free(k);
    out.data = (unsigned char *)own((char *)der);
    out.size = (unsigned int)len;
    return out;
}

/* SubjectPublicKeyInfo DER of a GnuTLS private key; 0 when it has none. */
static int privkey_spki(gnutls_privkey_t key, gnutls_datum_t *out)
{
    gnutls_pubkey_t pub;
    int rc;

    if (gnutls_pubkey_init(&pub) < 0)
        return -1;
    rc = gnutls_pubkey_import_privkey(pub, key, 0, 0);
    if (rc == 0)
        rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, out);
    gnutls_pubkey_deinit(pub);
    return rc < 0 ? -1 : 0;
}

static int datum_equal(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
    return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
}

struct served {
    gnutls_pcert_st *pcert;
    unsigned int count;
    gnutls_privkey_t key;
};

static struct served serving(void)
{
    struct served s = {NULL, 0, NULL};

    assert_int_equal(tlsstore_retrieve(NULL, NULL, 0, NULL, 0, &s.pcert, &s.count, &s.key), 0);
    assert_non_null(s.pcert);
    assert_non_null(s.key);
    return s;
}

/* s is exactly cert_pem's first certificate with key_pem's key: the oracle
 * is OpenSSL's reading of the PEM, not the module's. */
static void assert_pair_is(struct served s, const char *cert_pem, const char *key_pem)
{
    gnutls_datum_t der = cert_der(cert_pem, 0);
    gnutls_datum_t want = key_spki(key_pem);
    gnutls_datum_t got = {NULL, 0};

    assert_true(s.count >= 1);
    assert_true(datum_equal(&s.pcert[0].cert, &der));
    assert_int_equal(privkey_spki(s.key, &got), 0);
    assert_true(datum_equal(&got, &want));
    gnutls_free(got.data);
}

static void assert_serving(const struct certs_bundle *b)
{
    struct served s = serving();

    assert_int_equal(s.count, 1);
    assert_pair_is(s, b->cert_pem, b->key_pem);
    assert_int_equal(tlsstore_not_after(), openssl_not_after(b->cert_pem));
}

static void assert_nothing_served(void)
{
    gnutls_pcert_st *pcert = NULL;
    unsigned int n = 0;
    gnutls_privkey_t key = NULL;

    assert_int_equal(tlsstore_retrieve(NULL, NULL, 0, NULL, 0, &pcert, &n, &key), -1);
    assert_int_equal(tlsstore_not_after(), 0);
}

/* ---- certificates made here, for exact dates and other key types ------ */

enum key_kind { KEY_EC_P256, KEY_EC_P384, KEY_RSA, KEY_ED25519, KEY_RSA_PSS };

/* EVP_PKEY_Q_keygen takes a size only for "RSA" */
static EVP_PKEY *rsa_pss_key(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *k = NULL;

    if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1)
        EVP_PKEY_generate(ctx, &k);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static EVP_PKEY *new_key(enum key_kind kind)
{
    switch (kind) {
    case KEY_EC_P256:
        return EVP_EC_gen("P-256");
    case KEY_EC_P384:
        return EVP_EC_gen("P-384");
    case KEY_RSA:
        return EVP_RSA_gen(2048);
    case KEY_ED25519:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    case KEY_RSA_PSS:
        return rsa_pss_key();
    }
    return NULL;
}

static char *pem_of_cert(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out;
    long len;

    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_X509(bio, x), 1);
    len = BIO_get_mem_data(bio, &data);
    out = own(strndup(data, (size_t)len));
    BIO_free(bio);
    return out;
}

static char *pem_of_key(EVP_PKEY *k)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out;
    long len;

    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
    len = BIO_get_mem_data(bio, &data);
    out = own(strndup(data, (size_t)len));
    BIO_free(bio);
    return out;
}

/* A certificate for key, signed by issuer (self-signed when NULL), valid
 * until not_after (an ASN.1 time string when not_after_text is set). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, long long not_after,
                       const char *not_after_text, X509 *issuer, EVP_PKEY *issuer_key)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_NAME *name;
    int kind = EVP_PKEY_get_base_id(issuer_key ? issuer_key : key);
    const EVP_MD *md = kind == EVP_PKEY_ED25519 ? NULL : EVP_sha256();

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), time(NULL) - 3600));
    if (not_after_text)
        assert_int_equal(ASN1_TIME_set_string_X509(X509_getm_notAfter(x), not_after_text), 1);
    else
        assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after));
    name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)cn, -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, md) > 0);
    return x;
}

struct made {
    char *cert_pem;
    char *key_pem;
};

static struct made make_self_signed(enum key_kind kind, long long not_after, const char *not_after_text)
{
    EVP_PKEY *k = new_key(kind);
    X509 *x;
    struct made m;

    assert_non_null(k);
    x = make_cert(k, "localhost", not_after, not_after_text, NULL, NULL);
    m.cert_pem = pem_of_cert(x);
    m.key_pem = pem_of_key(k);
    X509_free(x);
    EVP_PKEY_free(k);
    return m;
}

/* ---- loading ---------------------------------------------------------- */

static void test_open_serves_the_pair(void **state)
{
    const struct certs_bundle *b = &pool[2];
    struct served s;
    long long na;

    (void)state;
    open_pair(b);
    s = serving();
    /* certs_write puts the leaf alone in tls.crt */
    assert_int_equal(s.count, 1);
    assert_pair_is(s, b->cert_pem, b->key_pem);
    assert_int_equal(gnutls_privkey_get_pk_algorithm(s.key, NULL), GNUTLS_PK_EC);
    /* certs_generate sets notAfter to its "now" plus days, to the second */
    na = tlsstore_not_after();
    assert_true(na >= (long long)pool_made_from[2] + pool_days[2] * 86400LL);
    assert_true(na <= (long long)pool_made_to[2] + pool_days[2] * 86400LL);
    assert_int_equal(na, openssl_not_after(b->cert_pem));
}

/* The pair retrieve hands out must really work as a pair: sign with the key,
 * verify with the certificate's public key. */
static void test_served_key_signs_for_served_certificate(void **state)
{
    static const unsigned char text[] = "served pair";
    gnutls_datum_t data = {(unsigned char *)text, sizeof(text)};
    gnutls_datum_t sig = {NULL, 0};
    struct served s;

    (void)state;
    open_pair(&pool[0]);
    s = serving();
    assert_int_equal(gnutls_privkey_sign_data2(s.key, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &sig), 0);
    assert_int_equal(gnutls_pubkey_verify_data2(s.pcert[0].pubkey, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &sig), 0);
    /* and a tampered text does not verify: the check above can fail */
    data.size--;
    assert_true(gnutls_pubkey_verify_data2(s.pcert[0].pubkey, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &sig) < 0);
    gnutls_free(sig.data);
}

struct bad_open {
    const char *what;
    /* contents, NULL = no file */
    const char *cert;
    const char *key;
    /* which file d must name, and how its message must start */
    const char *file;
    const char *message_starts;
};

static void test_open_refuses_bad_pairs(void **state)
{
    const struct certs_bundle *a = &pool[0], *b = &pool[1];
    char mismatch[300];
    const struct bad_open cases[] = {
        {"no certificate", NULL, a->key_pem, cert_path, "cannot read certificate: "},
        {"no key", a->cert_pem, NULL, key_path, "cannot read key: "},
        {"garbage certificate", "not a certificate\n", a->key_pem, cert_path, "not a PEM certificate chain: "},
        {"empty certificate", "", a->key_pem, cert_path, "not a PEM certificate chain: "},
        {"key in the certificate file", a->key_pem, a->key_pem, cert_path, "not a PEM certificate chain: "},
        {"garbage key", a->cert_pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
         key_path, "not a PEM private key: "},
        {"empty key", a->cert_pem, "", key_path, "not a PEM private key: "},
        {"certificate in the key file", a->cert_pem, a->cert_pem, key_path, "not a PEM private key: "},
        {"another pair's key", a->cert_pem, b->key_pem, key_path, mismatch},
    };

    (void)state;
    snprintf(mismatch, sizeof(mismatch), "private key does not match the certificate %s", cert_path);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct diag d;

        unlink(cert_path);
        unlink(key_path);
        if (cases[i].cert)
            replace_file(cert_path, cases[i].cert);
        if (cases[i].key)
            replace_file(key_path, cases[i].key);
        diag_clear(&d);
        if (tlsstore_open(cert_path, key_path, &d) != -1)
            fail_msg("%s: accepted", cases[i].what);
        if (strcmp(d.file, cases[i].file) != 0)
            fail_msg("%s: names '%s', not '%s'", cases[i].what, d.file, cases[i].file);
        if (strncmp(d.message, cases[i].message_starts, strlen(cases[i].message_starts)) != 0)
            fail_msg("%s: message '%s' does not start '%s'", cases[i].what, d.message,
                     cases[i].message_starts);
        /* a failed open serves nothing rather than something half loaded */
        assert_nothing_served();
    }
    /* and the same files, fixed, do load: the failures were the contents */
    open_pair(a);
    assert_serving(a);
}

static void test_open_refuses_a_too_long_path(void **state)
{
    char *long_path = own(malloc(5000));
    struct diag d;

    (void)state;
    memset(long_path, 'a', 4999);
    long_path[0] = '/';
    long_path[4999] = '\0';
    diag_clear(&d);
    assert_int_equal(tlsstore_open(long_path, key_path, &d), -1);
    assert_string_equal(d.message, "certificate or key path too long");
    diag_clear(&d);
    assert_int_equal(tlsstore_open(cert_path, long_path, &d), -1);
    assert_string_equal(d.message, "certificate or key path too long");
}

/* Every key type key_matches knows loads, and the key served is that key. */
static void test_key_types(void **state)
{
    static const struct {
        enum key_kind kind;
        gnutls_pk_algorithm_t pk;
    } kinds[] = {
        {KEY_EC_P256, GNUTLS_PK_EC},
        {KEY_EC_P384, GNUTLS_PK_EC},
        {KEY_RSA, GNUTLS_PK_RSA},
        {KEY_ED25519, GNUTLS_PK_EDDSA_ED25519},
        {KEY_RSA_PSS, GNUTLS_PK_RSA_PSS},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct made m = make_self_signed(kinds[i].kind, 1893456000LL, NULL);
        struct diag d;
        struct served s;

        replace_file(cert_path, m.cert_pem);
        replace_file(key_path, m.key_pem);
        diag_clear(&d);
        if (tlsstore_open(cert_path, key_path, &d) != 0)
            fail_msg("key type %zu refused: %s", i, d.message);
        s = serving();
        assert_int_equal(s.count, 1);
        assert_pair_is(s, m.cert_pem, m.key_pem);
        assert_int_equal(gnutls_privkey_get_pk_algorithm(s.key, NULL), kinds[i].pk);
        assert_int_equal(tlsstore_not_after(), 1893456000LL);
    }
}

/* A key of another algorithm is no more "the" key than another EC key. */
static void test_key_of_another_type_refused(void **state)
{
    struct made ec = make_self_signed(KEY_EC_P256, 1893456000LL, NULL);
    struct made rsa = make_self_signed(KEY_RSA, 1893456000LL, NULL);
    struct made ed = make_self_signed(KEY_ED25519, 1893456000LL, NULL);
    const char *pairs[][2] = {
        {ec.cert_pem, rsa.key_pem},
        {rsa.cert_pem, ec.key_pem},
        {ed.cert_pem, ec.key_pem},
        {ec.cert_pem, ed.key_pem},
    };
    char want[300];

    (void)state;
    snprintf(want, sizeof(want), "private key does not match the certificate %s", cert_path);
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        struct diag d;

        replace_file(cert_path, pairs[i][0]);
        replace_file(key_path, pairs[i][1]);
        diag_clear(&d);
        if (tlsstore_open(cert_path, key_path, &d) != -1)
            fail_msg("mixed pair %zu accepted", i);
        assert_string_equal(d.file, key_path);
        assert_string_equal(d.message, want);
    }
}

/* notAfter to the second, through the year 2038 and into GeneralizedTime
 * (from 2050); the store's reading must equal OpenSSL's. */
static void test_not_after_exact(void **state)
{
    static const long long dates[] = {
        1893456000LL,  /* 2030-01-01T00:00:00Z */
        1893456001LL,  /* one second later: no rounding */
        2147483647LL,  /* the last second a 32-bit time_t holds */
        2147483648LL,  /* the first it does not */
        2524608000LL,  /* 2050-01-01T00:00:00Z, the first GeneralizedTime */
        4102444799LL,  /* 2099-12-31T23:59:59Z */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        struct made m = make_self_signed(KEY_EC_P256, dates[i], NULL);
        struct diag d;

        assert_int_equal(openssl_not_after(m.cert_pem), dates[i]);
        replace_file(cert_path, m.cert_pem);
        replace_file(key_path, m.key_pem);
        diag_clear(&d);
        assert_int_equal(tlsstore_open(cert_path, key_path, &d), 0);
        if (tlsstore_not_after() != dates[i])
            fail_msg("notAfter %lld read as %lld", dates[i], tlsstore_not_after());
    }

    /* RFC 5280's "no well-defined expiration" is a date like any other
     * here, not -1 (which a dashboard would show as long expired) */
    {
        struct made m = make_self_signed(KEY_EC_P256, 0, "99991231235959Z");
        struct diag d;

        replace_file(cert_path, m.cert_pem);
        replace_file(key_path, m.key_pem);
        diag_clear(&d);
        assert_int_equal(tlsstore_open(cert_path, key_path, &d), 0);
        assert_int_equal(tlsstore_not_after(), 253402300799LL);
    }
}

/* The chain is served whole, in file order, and notAfter is the leaf's even
 * when the intermediate ends earlier. */
static void test_chain_served_whole(void **state)
{
    EVP_PKEY *ca_key = new_key(KEY_EC_P256), *leaf_key = new_key(KEY_EC_P256);
    X509 *ca, *leaf;
    char *ca_pem, *leaf_pem, *key_pem, *chain;
    struct diag d;
    struct served s;
    gnutls_datum_t leaf_der, ca_der;

    (void)state;
    assert_non_null(ca_key);
    assert_non_null(leaf_key);
    ca = make_cert(ca_key, "test CA", 1800000000LL, NULL, NULL, NULL);
    leaf = make_cert(leaf_key, "localhost", 1900000000LL, NULL, ca, ca_key);
    ca_pem = pem_of_cert(ca);
    leaf_pem = pem_of_cert(leaf);
    key_pem = pem_of_key(leaf_key);
    X509_free(ca);
    X509_free(leaf);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(leaf_key);
    chain = own(malloc(strlen(leaf_pem) + strlen(ca_pem) + 1));
    strcpy(chain, leaf_pem);
    strcat(chain, ca_pem);

    replace_file(cert_path, chain);
    replace_file(key_path, key_pem);
    diag_clear(&d);
    assert_int_equal(tlsstore_open(cert_path, key_path, &d), 0);
    s = serving();
    assert_int_equal(s.count, 2);
    leaf_der = cert_der(chain, 0);
    ca_der = cert_der(chain, 1);
    assert_true(datum_equal(&s.pcert[0].cert, &leaf_der));
    assert_true(datum_equal(&s.pcert[1].cert, &ca_der));
    assert_pair_is(s, chain, key_pem);
    assert_int_equal(tlsstore_not_after(), 1900000000LL);

    /* the key must match the first certificate: a chain written CA first
     * would make clients see the CA as the server, so it is refused */
    chain[0] = '\0';
    strcpy(chain, ca_pem);
    strcat(chain, leaf_pem);
    replace_file(cert_path, chain);
    diag_clear(&d);
    assert_int_equal(tlsstore_open(cert_path, key_path, &d), -1);
    assert_string_equal(d.file, key_path);
}

/* ---- refresh ---------------------------------------------------------- */

static void test_no_change_no_reload(void **state)
{
    struct served before, after;
    struct diag d;

    (void)state;
    open_pair(&pool[0]);
    before = serving();
    for (int i = 0; i < 5; i++) {
        diag_clear(&d);
        assert_int_equal(tlsstore_refresh(&d), 0);
        assert_string_equal(d.message, "");
        assert_string_equal(d.file, "");
    }
    /* the very same pair, not a reload of the same files */
    after = serving();
    assert_ptr_equal(after.pcert, before.pcert);
    assert_ptr_equal(after.key, before.key);
}

static void test_reload_after_change(void **state)
{
    struct served first, second;
    struct diag d;

    (void)state;
    open_pair(&pool[0]);
    first = serving();
    write_pair(&pool[1]);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_string_equal(d.message, "");
    assert_serving(&pool[1]);
    second = serving();
    assert_ptr_not_equal(second.pcert, first.pcert);
    /* different days, so the expiry tells the pairs apart too */
    assert_int_not_equal(tlsstore_not_after(), openssl_not_after(pool[0].cert_pem));
    /* once loaded, the change is no longer a change */
    assert_int_equal(tlsstore_refresh(&d), 0);
    assert_ptr_equal(serving().pcert, second.pcert);
    /* and back again */
    write_pair(&pool[0]);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_serving(&pool[0]);
}

/* The header names device, inode, size and mtime: each one alone must count
 * as a change (device cannot be varied here). Each step reloads the same
 * contents, so only the pair's identity shows the reload. */
static void test_each_signature_field_counts(void **state)
{
    struct stat st;
    struct timespec times[2];
    struct served prev;
    struct diag d;
    char copy[PATH_MAX];
    size_t len = strlen(pool[0].cert_pem);
    char *longer = own(malloc(len + 2));

    (void)state;
    open_pair(&pool[0]);
    diag_clear(&d);

    /* mtime alone: same file, same bytes, a later time */
    prev = serving();
    assert_int_equal(stat(cert_path, &st), 0);
    times[0] = st.st_atim;
    times[1] = st.st_mtim;
    times[1].tv_sec += 10;
    assert_int_equal(utimensat(AT_FDCWD, cert_path, times, 0), 0);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_ptr_not_equal(serving().pcert, prev.pcert);
    assert_serving(&pool[0]);

    /* a nanosecond is enough */
    prev = serving();
    assert_int_equal(stat(key_path, &st), 0);
    times[0] = st.st_atim;
    times[1] = st.st_mtim;
    times[1].tv_nsec = (times[1].tv_nsec + 1) % 1000000000L;
    assert_int_equal(utimensat(AT_FDCWD, key_path, times, 0), 0);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_ptr_not_equal(serving().pcert, prev.pcert);

    /* inode alone: an identical copy with the same mtime renamed over it */
    prev = serving();
    assert_int_equal(stat(cert_path, &st), 0);
    snprintf(copy, sizeof(copy), "%s/copy", dir);
    write_in_place(copy, pool[0].cert_pem, len);
    times[0] = st.st_atim;
    times[1] = st.st_mtim;
    assert_int_equal(utimensat(AT_FDCWD, copy, times, 0), 0);
    assert_int_equal(rename(copy, cert_path), 0);
    assert_int_equal(stat(cert_path, &st), 0);
    assert_true(st.st_mtim.tv_sec == times[1].tv_sec && st.st_mtim.tv_nsec == times[1].tv_nsec);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_ptr_not_equal(serving().pcert, prev.pcert);

    /* size alone: a trailing newline, written in place, mtime put back */
    prev = serving();
    assert_int_equal(stat(cert_path, &st), 0);
    memcpy(longer, pool[0].cert_pem, len);
    longer[len] = '\n';
    longer[len + 1] = '\0';
    write_in_place(cert_path, longer, len + 1);
    times[0] = st.st_atim;
    times[1] = st.st_mtim;
    assert_int_equal(utimensat(AT_FDCWD, cert_path, times, 0), 0);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_ptr_not_equal(serving().pcert, prev.pcert);
    assert_serving(&pool[0]);
    assert_string_equal(d.message, "");
}

struct breakage {
    const char *what;
    /* new contents; NULL leaves that file as it is */
    const char *cert;
    const char *key;
    /* make that path a directory: it exists but cannot be read */
    bool cert_dir, key_dir;
    const char *file;
    const char *message_starts;
};

/* Each way a new pair can be broken: refused with the file and reason,
 * reported once, the old pair still served, and the next good pair taken. */
static void test_broken_new_pair_keeps_old(void **state)
{
    const struct certs_bundle *a = &pool[0], *b = &pool[1], *c = &pool[2];
    char mismatch[300];
    const struct breakage cases[] = {
        {"garbage certificate", "garbage\n", NULL, false, false, cert_path, "not a PEM certificate chain: "},
        {"garbage key", NULL, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
         false, false, key_path, "not a PEM private key: "},
        {"empty certificate", "", NULL, false, false, cert_path, "not a PEM certificate chain: "},
        {"empty key", NULL, "", false, false, key_path, "not a PEM private key: "},
        {"both empty", "", "", false, false, cert_path, "not a PEM certificate chain: "},
        {"truncated certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n", NULL, false, false,
         cert_path, "not a PEM certificate chain: "},
        {"new pair, wrong key", b->cert_pem, c->key_pem, false, false, key_path, mismatch},
        {"certificate ahead of its key", b->cert_pem, NULL, false, false, key_path, mismatch},
        {"key ahead of its certificate", NULL, b->key_pem, false, false, key_path, mismatch},
        {"unreadable certificate", NULL, NULL, true, false, cert_path, "cannot read certificate: "},
        {"unreadable key", NULL, NULL, false, true, key_path, "cannot read key: "},
    };

    (void)state;
    snprintf(mismatch, sizeof(mismatch), "private key does not match the certificate %s", cert_path);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct breakage *k = &cases[i];
        struct served old;
        struct diag d;
        int rc;

        remove_tree(cert_path);
        remove_tree(key_path);
        open_pair(a);
        old = serving();
        if (k->cert)
            replace_file(cert_path, k->cert);
        if (k->key)
            replace_file(key_path, k->key);
        if (k->cert_dir) {
            assert_int_equal(unlink(cert_path), 0);
            assert_int_equal(mkdir(cert_path, 0700), 0);
        }
        if (k->key_dir) {
            assert_int_equal(unlink(key_path), 0);
            assert_int_equal(mkdir(key_path, 0700), 0);
        }
        diag_clear(&d);
        rc = tlsstore_refresh(&d);
        if (rc != -1)
            fail_msg("%s: refresh gave %d", k->what, rc);
        if (strcmp(d.file, k->file) != 0)
            fail_msg("%s: names '%s', not '%s'", k->what, d.file, k->file);
        if (strncmp(d.message, k->message_starts, strlen(k->message_starts)) != 0)
            fail_msg("%s: message '%s' does not start '%s'", k->what, d.message, k->message_starts);
        /* the old pair, the very same one, still serves */
        assert_ptr_equal(serving().pcert, old.pcert);
        assert_serving(a);
        /* reported once, not on every poll */
        diag_clear(&d);
        rc = tlsstore_refresh(&d);
        if (rc != 0)
            fail_msg("%s: second poll gave %d", k->what, rc);
        assert_string_equal(d.message, "");
        assert_ptr_equal(serving().pcert, old.pcert);
        /* a good pair after the broken one is taken */
        remove_tree(cert_path);
        remove_tree(key_path);
        write_pair(b);
        diag_clear(&d);
        rc = tlsstore_refresh(&d);
        if (rc != 1)
            fail_msg("%s: good pair after it gave %d (%s)", k->what, rc, d.message);
        assert_serving(b);
        tlsstore_close();
    }
}

/* cert-manager or a hand-run script that writes the certificate, then the
 * key: between the two the pair does not match. Refused, old kept; when the
 * key arrives the new pair is taken. */
static void test_certificate_then_key(void **state)
{
    char mismatch[300];
    struct diag d;

    (void)state;
    snprintf(mismatch, sizeof(mismatch), "private key does not match the certificate %s", cert_path);
    open_pair(&pool[0]);
    replace_file(cert_path, pool[1].cert_pem);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), -1);
    assert_string_equal(d.file, key_path);
    assert_string_equal(d.message, mismatch);
    assert_serving(&pool[0]);
    replace_file(key_path, pool[1].key_pem);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_string_equal(d.message, "");
    assert_serving(&pool[1]);
}

struct late_key {
    const char *pem;
    long delay_ms;
};

static void *write_key_later(void *arg)
{
    struct late_key *k = arg;
    struct timespec t = {0, k->delay_ms * 1000000L};
    char tmp[PATH_MAX];
    FILE *f;

    nanosleep(&t, NULL);
    /* no cmocka asserts off the main thread */
    snprintf(tmp, sizeof(tmp), "%s.late", key_path);
    f = fopen(tmp, "w");
    if (!f)
        return (void *)1;
    fputs(k->pem, f);
    fclose(f);
    return rename(tmp, key_path) == 0 ? NULL : (void *)1;
}

/* The key lands while refresh waits for the swap to settle: the new pair is
 * taken in that same call, with no failure reported. */
static void test_key_lands_while_settling(void **state)
{
    struct late_key k = {pool[1].key_pem, 40};
    pthread_t t;
    void *ret;
    struct diag d;
    int rc;

    (void)state;
    open_pair(&pool[0]);
    replace_file(cert_path, pool[1].cert_pem);
    assert_int_equal(pthread_create(&t, NULL, write_key_later, &k), 0);
    diag_clear(&d);
    rc = tlsstore_refresh(&d);
    /* joined before any assert, so a failure cannot leave the writer
     * racing the teardown */
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_int_equal(rc, 1);
    assert_null(ret);
    assert_string_equal(d.message, "");
    assert_string_equal(d.file, "");
    assert_serving(&pool[1]);
}

/* A file gone (deleted, or a symlink left dangling) is not loaded: refresh
 * must never install anything while it is missing, the old pair serves, and
 * the file coming back is a change. */
static void test_missing_file_keeps_old(void **state)
{
    struct served old;
    struct diag d;

    (void)state;
    open_pair(&pool[0]);
    old = serving();
    assert_int_equal(unlink(key_path), 0);
    for (int i = 0; i < 3; i++) {
        diag_clear(&d);
        assert_true(tlsstore_refresh(&d) <= 0);
        assert_ptr_equal(serving().pcert, old.pcert);
        assert_serving(&pool[0]);
    }
    assert_int_equal(unlink(cert_path), 0);
    assert_true(tlsstore_refresh(&d) <= 0);
    assert_serving(&pool[0]);
    write_pair(&pool[1]);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_serving(&pool[1]);
}

/* A file that stays missing is reported, so the server logs and counts it
 * instead of serving from memory in silence until the old certificate
 * expires (refresh used to say "no change" for as long as it was gone). A
 * grace poll is fine; three polls 150 ms apart are not. */
static void test_missing_file_is_reported(void **state)
{
    struct diag d;
    int rc = 0;

    (void)state;
    open_pair(&pool[0]);
    assert_int_equal(unlink(key_path), 0);
    for (int i = 0; i < 3 && rc == 0; i++) {
        struct timespec t = {0, 150 * 1000000L};

        nanosleep(&t, NULL);
        diag_clear(&d);
        rc = tlsstore_refresh(&d);
    }
    assert_int_equal(rc, -1);
    assert_string_equal(d.file, key_path);
    assert_string_equal(d.message, "cannot read: No such file or directory");
    assert_serving(&pool[0]);
    /* reported once, not on every poll while it stays gone */
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 0);
    assert_int_equal(tlsstore_refresh(&d), 0);
    /* a pair written again is a change */
    write_pair(&pool[1]);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_serving(&pool[1]);
}

/* ---- the kubelet's symlink swap --------------------------------------- */

static int generation;
static char data_dir[64];

static void k8s_dir_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* Publishes files as the kubelet's atomic writer does: a fresh timestamped
 * directory, ..data pointed at it by renaming a new symlink over the old
 * one, tls.crt and tls.key as symlinks through ..data, and the previous
 * timestamped directory removed. cert/key NULL leaves the file out. */
static void k8s_publish(const char *cert, const char *key)
{
    char name[64], path[PATH_MAX], file[PATH_MAX + 16], tmp_link[PATH_MAX], data[PATH_MAX];
    char old[64];
    struct stat st;

    snprintf(name, sizeof(name), "..2026_01_02_03_04_%02d.%d", generation % 60, 100 + generation);
    generation++;
    k8s_dir_path(path, sizeof(path), name);
    assert_int_equal(mkdir(path, 0755), 0);
    if (cert) {
        snprintf(file, sizeof(file), "%s/tls.crt", path);
        write_in_place(file, cert, strlen(cert));
    }
    if (key) {
        snprintf(file, sizeof(file), "%s/tls.key", path);
        write_in_place(file, key, strlen(key));
    }
    k8s_dir_path(tmp_link, sizeof(tmp_link), "..data_tmp");
    k8s_dir_path(data, sizeof(data), "..data");
    assert_int_equal(symlink(name, tmp_link), 0);
    assert_int_equal(rename(tmp_link, data), 0);
    if (lstat(cert_path, &st) != 0)
        assert_int_equal(symlink("..data/tls.crt", cert_path), 0);
    if (lstat(key_path, &st) != 0)
        assert_int_equal(symlink("..data/tls.key", key_path), 0);
    strcpy(old, data_dir);
    strcpy(data_dir, name);
    if (old[0]) {
        k8s_dir_path(path, sizeof(path), old);
        remove_tree(path);
    }
}

static void test_kubernetes_symlink_swap(void **state)
{
    struct served old;
    struct stat st;
    char mismatch[300];
    struct diag d;

    (void)state;
    generation = 0;
    data_dir[0] = '\0';
    snprintf(mismatch, sizeof(mismatch), "private key does not match the certificate %s", cert_path);
    k8s_publish(pool[0].cert_pem, pool[0].key_pem);
    assert_int_equal(lstat(cert_path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    diag_clear(&d);
    assert_int_equal(tlsstore_open(cert_path, key_path, &d), 0);
    assert_serving(&pool[0]);
    assert_int_equal(tlsstore_refresh(&d), 0);

    /* the symlinks themselves never change: only ..data does */
    k8s_publish(pool[1].cert_pem, pool[1].key_pem);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_serving(&pool[1]);
    assert_int_equal(tlsstore_refresh(&d), 0);

    /* a Secret updated with a key from elsewhere */
    old = serving();
    k8s_publish(pool[2].cert_pem, pool[3].key_pem);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), -1);
    assert_string_equal(d.file, key_path);
    assert_string_equal(d.message, mismatch);
    assert_ptr_equal(serving().pcert, old.pcert);
    assert_serving(&pool[1]);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 0);

    /* and put right */
    k8s_publish(pool[2].cert_pem, pool[2].key_pem);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_serving(&pool[2]);

    /* the same bytes published again are new files: a reload, harmless */
    k8s_publish(pool[2].cert_pem, pool[2].key_pem);
    assert_int_equal(tlsstore_refresh(&d), 1);
    assert_serving(&pool[2]);
}

/* ---- lifetime of superseded pairs ------------------------------------- */

/* A handshake holds the pointers retrieve gave it (GnuTLS does not copy
 * them): they must stay valid through TLSSTORE_KEEP - 1 later rotations.
 * Under ASan a pair freed early is a use after free here; a pair evicted
 * later, or left at close, that is not freed is a leak at exit. */
static void test_superseded_pairs_stay_alive(void **state)
{
    struct served first, seen[TLSSTORE_KEEP];
    gnutls_datum_t der = cert_der(pool[0].cert_pem, 0);
    gnutls_datum_t spki = key_spki(pool[0].key_pem);
    gnutls_datum_t got = {NULL, 0};
    struct diag d;

    (void)state;
    open_pair(&pool[0]);
    first = serving();
    seen[0] = first;
    for (int i = 1; i < TLSSTORE_KEEP; i++) {
        write_pair(&pool[1 + i % 3]);
        diag_clear(&d);
        assert_int_equal(tlsstore_refresh(&d), 1);
        seen[i] = serving();
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(seen[i].pcert, seen[j].pcert);
    }
    /* every superseded pair is intact */
    assert_true(datum_equal(&first.pcert[0].cert, &der));
    assert_int_equal(privkey_spki(first.key, &got), 0);
    assert_true(datum_equal(&got, &spki));
    gnutls_free(got.data);
    for (int i = 1; i < TLSSTORE_KEEP; i++)
        assert_pair_is(seen[i], pool[1 + i % 3].cert_pem, pool[1 + i % 3].key_pem);
    /* past the limit the oldest go (not touched again: they are freed) */
    for (int i = 0; i < 10; i++) {
        write_pair(&pool[i % 2]);
        assert_int_equal(tlsstore_refresh(&d), 1);
    }
    assert_serving(&pool[1]);
    /* the last TLSSTORE_KEEP - 10 of the first run are still kept */
    for (int i = 10; i < TLSSTORE_KEEP; i++)
        assert_pair_is(seen[i], pool[1 + i % 3].cert_pem, pool[1 + i % 3].key_pem);
}

static void test_close_and_reopen(void **state)
{
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_nothing_served();
    open_pair(&pool[0]);
    write_pair(&pool[1]);
    assert_int_equal(tlsstore_refresh(&d), 1);
    tlsstore_close();
    assert_nothing_served();
    /* closing twice is harmless */
    tlsstore_close();
    assert_nothing_served();
    /* a second open replaces the first store (its pairs are freed: ASan) */
    open_pair(&pool[2]);
    assert_serving(&pool[2]);
    open_pair(&pool[3]);
    assert_serving(&pool[3]);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 0);
    /* a failed open leaves nothing behind either */
    assert_int_equal(unlink(key_path), 0);
    assert_int_equal(tlsstore_open(cert_path, key_path, &d), -1);
    assert_nothing_served();
}

/* ---- readers on other threads ----------------------------------------- */

struct reader {
    pthread_t thread;
    long iterations;
    /* pairs whose parts did not belong together, or were not one we wrote */
    long bad;
    bool seen[2];
};

static gnutls_datum_t reader_der[2], reader_spki[2];
static long long reader_not_after[2];
static atomic_bool readers_stop;

static void *read_pairs(void *arg)
{
    struct reader *r = arg;

    while (!atomic_load(&readers_stop)) {
        gnutls_pcert_st *pcert = NULL;
        unsigned int n = 0;
        gnutls_privkey_t key = NULL;
        gnutls_datum_t spki = {NULL, 0};
        long long na;
        int which = -1;

        if (tlsstore_retrieve(NULL, NULL, 0, NULL, 0, &pcert, &n, &key) != 0 || n != 1) {
            r->bad++;
            continue;
        }
        for (int i = 0; i < 2; i++)
            if (datum_equal(&pcert[0].cert, &reader_der[i]))
                which = i;
        if (which < 0 || privkey_spki(key, &spki) != 0 || !datum_equal(&spki, &reader_spki[which]))
            r->bad++;
        else
            r->seen[which] = true;
        gnutls_free(spki.data);
        na = tlsstore_not_after();
        if (na != reader_not_after[0] && na != reader_not_after[1])
            r->bad++;
        r->iterations++;
    }
    return NULL;
}

static void test_readers_during_rotation(void **state)
{
    struct reader readers[4];
    bool seen[2] = {false, false};
    int reloads = 0;
    struct diag d;

    (void)state;
    memset(readers, 0, sizeof(readers));
    for (int i = 0; i < 2; i++) {
        reader_der[i] = cert_der(pool[i].cert_pem, 0);
        reader_spki[i] = key_spki(pool[i].key_pem);
        reader_not_after[i] = openssl_not_after(pool[i].cert_pem);
    }
    assert_int_not_equal(reader_not_after[0], reader_not_after[1]);
    open_pair(&pool[0]);
    atomic_store(&readers_stop, false);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&readers[i].thread, NULL, read_pairs, &readers[i]), 0);
    /* within TLSSTORE_KEEP, so no pair a reader may hold is evicted; no
     * assert until the readers are joined, or a failure would close the
     * store under them */
    for (int i = 1; i <= 20; i++) {
        /* half a second in all, so every reader gets a core during the
         * rotations even on a loaded machine (at 2 ms apart one did not) */
        struct timespec t = {0, 25 * 1000000L};

        diag_clear(&d);
        if (certs_write(&pool[i % 2], dir, &d) != 0 || tlsstore_refresh(&d) != 1)
            break;
        reloads++;
        nanosleep(&t, NULL);
    }
    atomic_store(&readers_stop, true);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(readers[i].thread, NULL), 0);
    assert_int_equal(reloads, 20);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(readers[i].bad, 0);
        assert_true(readers[i].iterations > 0);
        seen[0] |= readers[i].seen[0];
        seen[1] |= readers[i].seen[1];
    }
    assert_true(seen[0] && seen[1]);
    assert_serving(&pool[0]);
}

/* ---- real handshakes through the callback ----------------------------- */

struct conn {
    int fds[2];
    gnutls_session_t client, server;
    gnutls_certificate_credentials_t client_cred, server_cred;
};

/* Handshakes a client trusting only ca_pem with a server whose certificate
 * comes from tlsstore_retrieve; the client checks the name "localhost".
 * Returns 0 when both ends finished, else the client's (or server's) error. */
static int handshake(struct conn *c, const char *ca_pem)
{
    gnutls_datum_t ca = {(unsigned char *)ca_pem, (unsigned int)strlen(ca_pem)};
    bool client_done = false, server_done = false;
    int failed = 0;

    memset(c, 0, sizeof(*c));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, c->fds), 0);
    assert_int_equal(gnutls_certificate_allocate_credentials(&c->server_cred), 0);
    gnutls_certificate_set_retrieve_function2(c->server_cred, tlsstore_retrieve);
    assert_int_equal(gnutls_certificate_allocate_credentials(&c->client_cred), 0);
    assert_int_equal(gnutls_certificate_set_x509_trust_mem(c->client_cred, &ca, GNUTLS_X509_FMT_PEM), 1);
    assert_int_equal(gnutls_init(&c->server, GNUTLS_SERVER | GNUTLS_NONBLOCK), 0);
    assert_int_equal(gnutls_init(&c->client, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
    assert_int_equal(gnutls_set_default_priority(c->server), 0);
    assert_int_equal(gnutls_set_default_priority(c->client), 0);
    assert_int_equal(gnutls_credentials_set(c->server, GNUTLS_CRD_CERTIFICATE, c->server_cred), 0);
    assert_int_equal(gnutls_credentials_set(c->client, GNUTLS_CRD_CERTIFICATE, c->client_cred), 0);
    assert_int_equal(gnutls_server_name_set(c->client, GNUTLS_NAME_DNS, "localhost", 9), 0);
    gnutls_session_set_verify_cert(c->client, "localhost", 0);
    gnutls_transport_set_int(c->server, c->fds[0]);
    gnutls_transport_set_int(c->client, c->fds[1]);
    for (int round = 0; round < 10000 && !failed && !(client_done && server_done); round++) {
        if (!client_done) {
            int rc = gnutls_handshake(c->client);
            if (rc == 0)
                client_done = true;
            else if (gnutls_error_is_fatal(rc))
                failed = rc;
        }
        if (!server_done && !failed) {
            int rc = gnutls_handshake(c->server);
            if (rc == 0)
                server_done = true;
            else if (gnutls_error_is_fatal(rc))
                failed = rc;
        }
        if (!failed && !(client_done && server_done))
            usleep(50);
    }
    if (!failed && !(client_done && server_done))
        fail_msg("handshake did not finish");
    return failed;
}

static void conn_close(struct conn *c)
{
    gnutls_deinit(c->client);
    gnutls_deinit(c->server);
    gnutls_certificate_free_credentials(c->client_cred);
    gnutls_certificate_free_credentials(c->server_cred);
    close(c->fds[0]);
    close(c->fds[1]);
}

/* The certificate the client received is exactly pem's leaf. */
static void assert_client_saw(struct conn *c, const char *pem)
{
    unsigned int n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(c->client, &n);
    gnutls_datum_t der = cert_der(pem, 0);

    assert_non_null(peers);
    assert_int_equal(n, 1);
    assert_true(datum_equal(&peers[0], &der));
}

static void send_through(gnutls_session_t from, gnutls_session_t to, int to_fd)
{
    static const char ping[] = "ping";
    char got[sizeof(ping)];
    size_t at = 0;
    ssize_t rc;

    do
        rc = gnutls_record_send(from, ping, sizeof(ping));
    while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
    assert_int_equal(rc, (ssize_t)sizeof(ping));
    while (at < sizeof(got)) {
        rc = gnutls_record_recv(to, got + at, sizeof(got) - at);
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            struct pollfd pf = {.fd = to_fd, .events = POLLIN};
            assert_int_equal(poll(&pf, 1, 5000), 1);
            continue;
        }
        assert_true(rc > 0);
        at += (size_t)rc;
    }
    assert_memory_equal(got, ping, sizeof(ping));
}

static void test_handshake_uses_new_pair(void **state)
{
    const struct certs_bundle *a = &pool[0], *b = &pool[1];
    gnutls_datum_t der_a = cert_der(a->cert_pem, 0);
    struct conn old, fresh, stale;
    const gnutls_datum_t *ours;
    struct diag d;

    (void)state;
    open_pair(a);
    assert_int_equal(handshake(&old, a->ca_cert_pem), 0);
    assert_client_saw(&old, a->cert_pem);

    write_pair(b);
    diag_clear(&d);
    assert_int_equal(tlsstore_refresh(&d), 1);

    /* a new handshake gets the new pair: it chains to the new CA, and the
     * handshake itself proves the server holds the new key */
    assert_int_equal(handshake(&fresh, b->ca_cert_pem), 0);
    assert_client_saw(&fresh, b->cert_pem);
    conn_close(&fresh);
    /* and a client that only trusts the old CA is refused now */
    assert_int_equal(handshake(&stale, a->ca_cert_pem), GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR);
    conn_close(&stale);

    /* the session from before keeps working, and the certificate GnuTLS
     * kept for it (the old pair's memory, not a copy) is intact */
    send_through(old.client, old.server, old.fds[0]);
    send_through(old.server, old.client, old.fds[1]);
    ours = gnutls_certificate_get_ours(old.server);
    assert_non_null(ours);
    assert_true(datum_equal(ours, &der_a));
    conn_close(&old);
}

/* With nothing loaded the callback fails the handshake rather than
 * serving garbage. */
static void test_handshake_without_store_fails(void **state)
{
    struct conn c;

    (void)state;
    tlsstore_close();
    assert_int_not_equal(handshake(&c, pool[0].ca_cert_pem), 0);
    conn_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_serves_the_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_served_key_signs_for_served_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_bad_pairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_a_too_long_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_of_another_type_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_after_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_served_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_change_no_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_after_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_signature_field_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_new_pair_keeps_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificate_then_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_lands_while_settling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_keeps_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kubernetes_symlink_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_superseded_pairs_stay_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readers_during_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_uses_new_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_without_store_fails, setup, teardown),
    };

    return cmocka_run_group_tests(tests, make_pool, free_pool);
}
