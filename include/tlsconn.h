/* tlsconn: the transport below a webhook connection's GnuTLS session — one
 * socket read per request and one TLS record per answer where GnuTLS and
 * libmicrohttpd 0.9.75 would make two of each.
 *
 * Reads: GnuTLS asks for a record's 5-byte header and then for its body,
 * one recv each. tlsconn_attach gives the session a pull function that
 * reads up to TLSCONN_READ_BUF bytes at once and hands them out from a
 * per-connection buffer. libmicrohttpd keeps reading a connection until a
 * read says EAGAIN, so bytes held here are never stranded: the pull only
 * says EAGAIN once the buffer is empty and the socket said so too.
 *
 * Writes: libmicrohttpd sends the header block and the body of a response
 * with two gnutls_record_send calls, so two records and two sendmsg, and
 * the client wakes up twice. tlsconn_cork, called just before the answer is
 * queued, corks the session so both land in GnuTLS's buffer;
 * tlsconn_flush, called when the request completes, sends them as one
 * record. A corked answer must not wait for a client that does not read:
 * tlsconn_cork only corks when the answer fits one record and the socket's
 * send buffer has room for twice it (SO_MEMINFO: queued memory against
 * SO_SNDBUF), where a single send of that size is accepted whole; the
 * session sends through tlsconn's push, which counts every byte, so the
 * buffer is looked at again only once those may have used the room seen
 * at the last look.
 * Should it not be (kernel memory pressure), tlsconn_flush waits for the
 * socket at most TLSCONN_FLUSH_WAIT_MS and then shuts the connection down
 * rather than hold the worker.
 *
 * Ownership: the caller owns the struct tlsconn and frees it after the
 * session is gone (libmicrohttpd deinitialises the session before its
 * "connection closed" notification). */
#ifndef DJANGO_ADMISSION_TLSCONN_H
#define DJANGO_ADMISSION_TLSCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

/* Read buffer: a typical AdmissionReview record (2-8 KB) arrives whole. */
#define TLSCONN_READ_BUF 8192
/* Largest answer (header block + body) corked into one record: a TLS
 * record carries at most 16 KiB of plaintext. */
#define TLSCONN_CORK_MAX 15360
#define TLSCONN_FLUSH_WAIT_MS 1000

struct tlsconn;

/* Installs the buffered pull on session, whose socket is fd. NULL when out
 * of memory (the session keeps GnuTLS's own transport). */
struct tlsconn *tlsconn_attach(gnutls_session_t session, int fd);

/* Corks the session for an answer of about answer_len bytes when that is
 * safe (see above). true when corked: tlsconn_flush must follow. */
bool tlsconn_cork(struct tlsconn *t, size_t answer_len);

/* Sends what the cork held. 0 when sent (or nothing was corked); -1 when
 * the connection failed or was shut down after waiting (the caller logs). */
int tlsconn_flush(struct tlsconn *t);

/* NULL is fine. */
void tlsconn_free(struct tlsconn *t);

/* true when the client may have closed its side (nothing buffered here,
 * the socket at end of stream; a request GnuTLS has already decrypted may
 * still be pending): libmicrohttpd may close the connection after this
 * answer, so it must be flushed now, not batched. With TCP_INQ (Linux 4.18
 * and later) this is what the socket held after the last read, which the
 * kernel reported with it, so no system call is made here: also true when
 * more bytes were waiting, and a FIN that arrived after that read is seen
 * by the next one. libmicrohttpd reads a connection once per pass of its
 * event loop, and a worker flushes its batch at the end of every pass, so
 * an answer batched then still goes before the close is read. Without
 * TCP_INQ the socket is peeked at. */
bool tlsconn_peer_closed(struct tlsconn *t);

/* true when t holds bytes read from the socket that GnuTLS has not asked
 * for yet (after a post-handshake message, say: see tlsconn_record_recv).
 * NULL is fine. */
bool tlsconn_buffered(const struct tlsconn *t);

/* gnutls_record_recv as GnuTLS's own function recv, but for a session read
 * through tlsconn it never says AGAIN while there is more to read: GnuTLS
 * says AGAIN after it handles a TLS 1.3 post-handshake message (a KeyUpdate,
 * a NewSessionTicket) even when the records that followed it are already
 * here, and a caller that then waits for the socket to become readable (as
 * libmicrohttpd 0.9.75 does, edge-triggered) waits for bytes that have
 * come. So this asks GnuTLS again until it returns something else, or says
 * AGAIN because the socket did. Sessions without tlsconn get recv's answer
 * as it is. */
typedef ssize_t (*tlsconn_recv_fn)(gnutls_session_t session, void *data, size_t size);
ssize_t tlsconn_record_recv(gnutls_session_t session, void *data, size_t size, tlsconn_recv_fn recv);

/* Batching: a worker that answers several requests in one pass of its
 * event loop sends the answers together at the end of the pass, so the
 * client, woken once, finds them all; one wake-up per answer costs more CPU
 * on a busy machine than the answers themselves. A batch waits at most
 * TLSCONN_BATCH_WAIT_US for its first answer, and holds at most
 * TLSCONN_BATCH_MAX. Only answers on connections that stay open may wait:
 * libmicrohttpd drops what is still corked when it closes one. One batch
 * per worker thread; it never owns the connections it lists. */
#define TLSCONN_BATCH_MAX 64
#define TLSCONN_BATCH_WAIT_US 200

struct tlsconn_batch {
    struct tlsconn *conns[TLSCONN_BATCH_MAX];
    size_t count;
    long long first_us;
};

/* Adds t (corked) to the batch, or flushes it now when it was not corked.
 * Flushes the whole batch when it is full or old enough. Returns how many
 * flushes failed (tlsconn_flush -1). */
int tlsconn_batch_add(struct tlsconn_batch *b, struct tlsconn *t);

/* Flushes every connection in the batch and empties it; the count of
 * failed flushes. */
int tlsconn_batch_flush(struct tlsconn_batch *b);

/* Takes t out of the batch (its connection is closing), flushing what it
 * holds first; 0 or -1 as tlsconn_flush. */
int tlsconn_batch_remove(struct tlsconn_batch *b, struct tlsconn *t);

/* t's session is gone (libmicrohttpd deinitialises it before it reports
 * the connection closed): takes t out of the batch without touching the
 * session. true when t still held a corked answer, which is lost: the
 * connection closed (the client went away) before the batch was flushed.
 * NULL t is fine. */
bool tlsconn_batch_closed(struct tlsconn_batch *b, struct tlsconn *t);

#endif
