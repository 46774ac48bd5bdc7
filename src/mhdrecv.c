#define _GNU_SOURCE
#include "mhdrecv.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "tlsconn.h"

static pthread_once_t found_once = PTHREAD_ONCE_INIT;
/* GnuTLS's own gnutls_record_recv; NULL if it could not be found */
static tlsconn_recv_fn gnutls_own_recv;

static void find_gnutls_recv(void)
{
    /* the version libmicrohttpd was linked against, else the default */
    void *sym = dlvsym(RTLD_NEXT, "gnutls_record_recv", "GNUTLS_3_4");

    if (!sym)
        sym = dlsym(RTLD_NEXT, "gnutls_record_recv");
    /* ISO C has no cast from an object pointer to a function pointer */
    if (sym)
        memcpy(&gnutls_own_recv, &sym, sizeof(gnutls_own_recv));
}

/* see mhdrecv.h */
ssize_t gnutls_record_recv(gnutls_session_t session, void *data, size_t data_size)
{
    pthread_once(&found_once, find_gnutls_recv);
    if (!gnutls_own_recv)
        return GNUTLS_E_INTERNAL_ERROR;
    return tlsconn_record_recv(session, data, data_size, gnutls_own_recv);
}
