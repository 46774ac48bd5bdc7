#include "tlsstore.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filewatch.h"

/* GnuTLS reads certificate chains of any length; a Secret rarely holds more
 * than leaf + intermediates */
#define CHAIN_MAX 8

struct pair {
    gnutls_pcert_st pcerts[CHAIN_MAX];
    unsigned int pcert_count;
    gnutls_privkey_t key;
    long long not_after;
};

static struct {
    char cert_path[4096];
    char key_path[4096];
    /* every pair ever loaded, oldest first; only the last is handed out */
    struct pair *pairs[TLSSTORE_KEEP];
    size_t count;
    /* the pair new handshakes get; swapped atomically */
    _Atomic(struct pair *) current;
    /* the files as at the last attempt, loaded or not, so a broken pair is
     * reported once, not every poll */
    struct filewatch cert_watch;
    struct filewatch key_watch;
} store;

static void pair_free(struct pair *p)
{
    if (!p)
        return;
    for (unsigned int i = 0; i < p->pcert_count; i++)
        gnutls_pcert_deinit(&p->pcerts[i]);
    if (p->key)
        gnutls_privkey_deinit(p->key);
    free(p);
}

/* Proves the key belongs to the certificate by signing and verifying a
 * sample: a rotated key that races ahead of its certificate must not be
 * served. */
static int key_matches(gnutls_pcert_st *leaf, gnutls_privkey_t key)
{
    static const unsigned char sample[] = "django-admission key check";
    gnutls_datum_t data = {(unsigned char *)sample, sizeof(sample)};
    gnutls_datum_t sig = {NULL, 0};
    gnutls_sign_algorithm_t algo;
    int pk = gnutls_privkey_get_pk_algorithm(key, NULL);
    int rc;

    if (pk == GNUTLS_PK_RSA)
        algo = GNUTLS_SIGN_RSA_SHA256;
    else if (pk == GNUTLS_PK_EC)
        algo = GNUTLS_SIGN_ECDSA_SHA256;
    else if (pk == GNUTLS_PK_EDDSA_ED25519)
        algo = GNUTLS_SIGN_EDDSA_ED25519;
    else if (pk == GNUTLS_PK_RSA_PSS)
        algo = GNUTLS_SIGN_RSA_PSS_SHA256;
    else
        return -1;
    if (gnutls_privkey_sign_data2(key, algo, 0, &data, &sig) < 0)
        return -1;
    rc = gnutls_pubkey_verify_data2(leaf->pubkey, algo, 0, &data, &sig);
    gnutls_free(sig.data);
    return rc < 0 ? -1 : 0;
}

static struct pair *pair_load(const char *cert_path, const char *key_path, struct diag *d)
{
    gnutls_datum_t cert_pem = {NULL, 0}, key_pem = {NULL, 0};
    gnutls_x509_crt_t leaf = NULL;
    struct pair *p = calloc(1, sizeof(*p));
    int rc;

    if (!p) {
        diag_set(d, NULL, "out of memory loading the certificate");
        return NULL;
    }
    rc = gnutls_load_file(cert_path, &cert_pem);
    if (rc < 0) {
        diag_locate(d, cert_path, 0);
        diag_set(d, NULL, "cannot read certificate: %s", gnutls_strerror(rc));
        goto fail;
    }
    rc = gnutls_load_file(key_path, &key_pem);
    if (rc < 0) {
        diag_locate(d, key_path, 0);
        diag_set(d, NULL, "cannot read key: %s", gnutls_strerror(rc));
        goto fail;
    }
    p->pcert_count = CHAIN_MAX;
    rc = gnutls_pcert_list_import_x509_raw(p->pcerts, &p->pcert_count, &cert_pem,
                                           GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0 || p->pcert_count == 0) {
        p->pcert_count = 0;
        diag_locate(d, cert_path, 0);
        diag_set(d, NULL, "not a PEM certificate chain: %s",
                 rc < 0 ? gnutls_strerror(rc) : "no certificate");
        goto fail;
    }
    if (gnutls_privkey_init(&p->key) < 0 ||
        (rc = gnutls_privkey_import_x509_raw(p->key, &key_pem, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        diag_locate(d, key_path, 0);
        diag_set(d, NULL, "not a PEM private key: %s", gnutls_strerror(rc));
        goto fail;
    }
    if (key_matches(&p->pcerts[0], p->key) < 0) {
        diag_locate(d, key_path, 0);
        diag_set(d, NULL, "private key does not match the certificate %s", cert_path);
        goto fail;
    }
    if (gnutls_pcert_export_x509(&p->pcerts[0], &leaf) == 0) {
        p->not_after = (long long)gnutls_x509_crt_get_expiration_time(leaf);
        gnutls_x509_crt_deinit(leaf);
    }
    gnutls_free(cert_pem.data);
    gnutls_free(key_pem.data);
    return p;
fail:
    gnutls_free(cert_pem.data);
    gnutls_free(key_pem.data);
    pair_free(p);
    return NULL;
}

static int install(struct pair *p)
{
    if (store.count == TLSSTORE_KEEP) {
        /* the oldest pair was superseded TLSSTORE_KEEP rotations ago: no
         * handshake can still be using it */
        pair_free(store.pairs[0]);
        memmove(&store.pairs[0], &store.pairs[1], (TLSSTORE_KEEP - 1) * sizeof(store.pairs[0]));
        store.count--;
    }
    store.pairs[store.count++] = p;
    atomic_store(&store.current, p);
    return 0;
}

/* see tlsstore.h */
int tlsstore_open(const char *cert_path, const char *key_path, struct diag *d)
{
    struct pair *p;

    if (strlen(cert_path) >= sizeof(store.cert_path) || strlen(key_path) >= sizeof(store.key_path))
        return diag_set(d, NULL, "certificate or key path too long");
    tlsstore_close();
    strcpy(store.cert_path, cert_path);
    strcpy(store.key_path, key_path);
    filewatch_init(&store.cert_watch, store.cert_path);
    filewatch_init(&store.key_watch, store.key_path);
    p = pair_load(cert_path, key_path, d);
    if (!p)
        return -1;
    return install(p);
}

/* see tlsstore.h */
int tlsstore_refresh(struct diag *d)
{
    enum filewatch_state cert, key;
    struct diag again;
    struct pair *p;

    cert = filewatch_poll(&store.cert_watch, d);
    /* one missing file reported per poll */
    key = cert == FILEWATCH_GONE ? FILEWATCH_UNCHANGED : filewatch_poll(&store.key_watch, d);
    if (cert == FILEWATCH_GONE || key == FILEWATCH_GONE)
        return -1;
    if (cert == FILEWATCH_UNCHANGED && key == FILEWATCH_UNCHANGED)
        return 0;
    p = pair_load(store.cert_path, store.key_path, d);
    if (!p) {
        /* a swap that landed between reading the certificate and the key
         * gives a mismatched pair once: look again after the swap settles
         * before calling the new pair broken (d keeps why it was) */
        struct timespec settle = {0, 100 * 1000000L};
        nanosleep(&settle, NULL);
        diag_clear(&again);
        cert = filewatch_poll(&store.cert_watch, &again);
        key = filewatch_poll(&store.key_watch, &again);
        if (cert != FILEWATCH_CHANGED && key != FILEWATCH_CHANGED)
            return -1;
        diag_clear(d);
        p = pair_load(store.cert_path, store.key_path, d);
        if (!p)
            return -1;
    }
    install(p);
    return 1;
}

/* see tlsstore.h */
long long tlsstore_not_after(void)
{
    struct pair *p = atomic_load(&store.current);
    return p ? p->not_after : 0;
}

/* see tlsstore.h */
int tlsstore_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
                      int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                      int pk_algos_length, gnutls_pcert_st **pcert,
                      unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
    struct pair *p = atomic_load(&store.current);

    (void)session;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    if (!p)
        return -1;
    *pcert = p->pcerts;
    *pcert_length = p->pcert_count;
    *pkey = p->key;
    return 0;
}

/* see tlsstore.h */
void tlsstore_close(void)
{
    atomic_store(&store.current, NULL);
    for (size_t i = 0; i < store.count; i++)
        pair_free(store.pairs[i]);
    store.count = 0;
}
