/* mhdrecv: libmicrohttpd's reads of a TLS connection go through
 * tlsconn_record_recv, so a request that arrives in the same packet as a
 * TLS 1.3 KeyUpdate is answered at once.
 *
 * libmicrohttpd 0.9.75 reads with gnutls_record_recv, and when that says
 * AGAIN it waits for its edge-triggered epoll to report the socket readable
 * again. GnuTLS also says AGAIN right after it handles a post-handshake
 * message, with the records behind it already read from the socket (into
 * tlsconn's buffer, or GnuTLS's): no new edge comes, and the request would
 * wait for the client to send more or for the idle timeout. libmicrohttpd
 * offers no hook between its read and its wait.
 *
 * So the program defines gnutls_record_recv itself (src/mhdrecv.c). The
 * dynamic linker binds libmicrohttpd's reference to the program's
 * definition, which is found first, and the definition calls GnuTLS's own
 * (dlsym RTLD_NEXT) through tlsconn_record_recv. Sessions that do not read
 * through tlsconn get GnuTLS's answer unchanged. The definition must be
 * linked into the executable itself (not left in a static library no
 * symbol pulls in), and it declares nothing else: its prototype is
 * GnuTLS's, in <gnutls/gnutls.h>. The e2e case key-update fails without it. */
#ifndef DJANGO_ADMISSION_MHDRECV_H
#define DJANGO_ADMISSION_MHDRECV_H

#include <gnutls/gnutls.h>

#endif
