/* tlsstore: the serving certificate and key as GnuTLS credentials that can be
 * swapped while the server runs. cert-manager and the kubelet replace mounted
 * Secret files through a symlink swap; tlsstore_refresh notices (device,
 * inode, size, mtime of both files: filewatch.h) and loads the new pair; a
 * pair that does not load, or whose key does not match its certificate, is
 * refused and the old pair keeps serving, and so does a file that has gone
 * missing (reported at its second poll missing).
 *
 * New handshakes get the newest pair through tlsstore_retrieve, the GnuTLS
 * callback libmicrohttpd calls (MHD_OPTION_HTTPS_CERT_CALLBACK). GnuTLS does
 * not copy what the callback returns, so superseded pairs are kept until
 * the store is closed (TLSSTORE_KEEP at most; rotations are rare). */
#ifndef DJANGO_ADMISSION_TLSSTORE_H
#define DJANGO_ADMISSION_TLSSTORE_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "diag.h"

#define TLSSTORE_KEEP 32

/* Loads the pair; -1 with d naming the file and the GnuTLS reason. Only one
 * store may be open at a time (the GnuTLS callback has no user pointer). */
int tlsstore_open(const char *cert_path, const char *key_path, struct diag *d);

/* Reloads when either file changed since the last attempt. Returns 1 when a
 * new pair is now in use, 0 when nothing changed, -1 when the new files did
 * not load or one has gone missing (d says why, once per change or
 * absence; the old pair stays). Not thread-safe against itself:
 * call from one thread. */
int tlsstore_refresh(struct diag *d);

/* notAfter of the certificate in use, as a Unix timestamp. */
long long tlsstore_not_after(void);

/* The GnuTLS certificate retrieve callback (gnutls_certificate_retrieve_function2). */
int tlsstore_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
                      int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                      int pk_algos_length, gnutls_pcert_st **pcert,
                      unsigned int *pcert_length, gnutls_privkey_t *pkey);

void tlsstore_close(void);

#endif
