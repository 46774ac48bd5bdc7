#include "tlsconn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <linux/sock_diag.h>

struct tlsconn {
    gnutls_session_t session;
    int fd;
    bool corked;
    /* listed in a worker's batch */
    bool batched;
    /* the kernel reports, with each read, what the socket still holds
     * (TCP_INQ) */
    bool inq_on;
    /* what the socket held after the last read: bytes not yet read, or 1
     * or more at the end of the stream (the kernel counts the client's FIN
     * as something left to read); with inq_on only */
    int inq;
    /* send-buffer memory free at the last SO_MEMINFO look (tlsconn_cork),
     * and how much of it has been counted as used since: twice every byte
     * sent (push), the per-packet overhead included */
    size_t room, used;
    /* bytes read from the socket that GnuTLS has not asked for yet */
    size_t off, len;
    unsigned char buf[TLSCONN_READ_BUF];
};

/* What the pull did on this thread during the current tlsconn_record_recv:
 * the connection it read for, and whether the socket said EAGAIN. */
static _Thread_local struct tlsconn *pulled;
static _Thread_local bool pulled_socket_empty;

/* One recv, which with TCP_INQ also learns what the socket holds after
 * it: that answers tlsconn_peer_closed without a second system call. */
static ssize_t sock_read(struct tlsconn *t, void *data, size_t size)
{
    struct iovec iov = {.iov_base = data, .iov_len = size};
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t got;

    if (!t->inq_on)
        return recv(t->fd, data, size, 0);
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof(control.space);
    got = recvmsg(t->fd, &msg, 0);
    if (got < 0) {
        /* EAGAIN: the socket is empty and the stream goes on; other
         * errors end it */
        t->inq = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : 1;
        return got;
    }
    /* no hint (a kernel that does not give it here): assume the worst */
    t->inq = 1;
    if (got == 0)
        return got;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ && c->cmsg_len >= CMSG_LEN(sizeof(int)))
            memcpy(&t->inq, CMSG_DATA(c), sizeof(int));
    return got;
}

/* GnuTLS pull: from the buffer, refilled with one recv of up to the whole
 * buffer; a request for at least a buffer's worth reads straight into
 * GnuTLS's memory. -1 with errno as recv left it (GnuTLS reads errno). */
static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t size)
{
    struct tlsconn *t = ptr;
    size_t n;

    pulled = t;
    if (t->off == t->len) {
        ssize_t got;

        got = size >= sizeof(t->buf) ? sock_read(t, data, size) : sock_read(t, t->buf, sizeof(t->buf));
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            pulled_socket_empty = true;
        if (got <= 0 || size >= sizeof(t->buf))
            return got;
        t->off = 0;
        t->len = (size_t)got;
    }
    n = t->len - t->off;
    if (n > size)
        n = size;
    memcpy(data, t->buf + t->off, n);
    t->off += n;
    return (ssize_t)n;
}

/* GnuTLS push: every byte the session sends goes through here, so the
 * cork's accounting of the send buffer (tlsconn_cork) misses none. */
static ssize_t push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
    struct tlsconn *t = ptr;
    struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
    ssize_t sent = sendmsg(t->fd, &msg, MSG_NOSIGNAL);

    if (sent > 0)
        t->used += 2 * (size_t)sent;
    return sent;
}

/* GnuTLS asks this only when it must wait for data (timeouts libmicrohttpd
 * does not set); answered from the buffer first, then the socket. */
static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
    struct tlsconn *t = ptr;
    struct pollfd p = {.fd = t->fd, .events = POLLIN};

    if (t->off < t->len)
        return 1;
    return poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)(ms > INT_MAX ? INT_MAX : ms));
}

/* see tlsconn.h */
struct tlsconn *tlsconn_attach(gnutls_session_t session, int fd)
{
    struct tlsconn *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->session = session;
    t->fd = fd;
    t->inq_on = setsockopt(fd, IPPROTO_TCP, TCP_INQ, &(int){1}, sizeof(int)) == 0;
    gnutls_transport_set_ptr(session, t);
    gnutls_transport_set_pull_function(session, pull);
    gnutls_transport_set_vec_push_function(session, push);
    gnutls_transport_set_pull_timeout_function(session, pull_timeout);
    return t;
}

/* see tlsconn.h */
bool tlsconn_cork(struct tlsconn *t, size_t answer_len)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof(mem);

    if (!t || t->corked || answer_len > TLSCONN_CORK_MAX)
        return false;
    /* The kernel takes a send while the memory its send queue holds (data
     * not yet acknowledged or not sent, with per-packet overhead) is below
     * SO_SNDBUF; with room for twice the payload the whole send is accepted
     * at once. SO_MEMINFO gives both figures in one call. The queue only
     * grows by what this session sends (push counts it, twice over), so
     * until that has used up the room seen at the last look there is no
     * need to look again: on loopback SO_SNDBUF grows to megabytes, and a
     * look every few hundred answers replaces one per answer. */
    if (t->used + 2 * answer_len > t->room) {
        if (getsockopt(t->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
            len < sizeof(uint32_t) * (SK_MEMINFO_WMEM_QUEUED + 1) ||
            (size_t)mem[SK_MEMINFO_WMEM_QUEUED] + 2 * answer_len > (size_t)mem[SK_MEMINFO_SNDBUF]) {
            t->room = t->used = 0;
            return false;
        }
        t->room = (size_t)mem[SK_MEMINFO_SNDBUF] - (size_t)mem[SK_MEMINFO_WMEM_QUEUED];
        t->used = 0;
    }
    gnutls_record_cork(t->session);
    t->corked = true;
    return true;
}

static long long now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long now_ms(void)
{
    return now_us() / 1000;
}

/* see tlsconn.h */
int tlsconn_flush(struct tlsconn *t)
{
    long long deadline;

    if (!t || !t->corked)
        return 0;
    t->corked = false;
    deadline = now_ms() + TLSCONN_FLUSH_WAIT_MS;
    for (;;) {
        ssize_t rc = gnutls_record_uncork(t->session, 0);
        long long left;
        struct pollfd p = {.fd = t->fd, .events = POLLOUT};

        if (rc >= 0)
            return 0;
        if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
            return -1;
        left = deadline - now_ms();
        if (left <= 0) {
            /* libmicrohttpd sees the shut socket and closes the connection */
            shutdown(t->fd, SHUT_RDWR);
            return -1;
        }
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
            shutdown(t->fd, SHUT_RDWR);
            return -1;
        }
    }
}

/* see tlsconn.h */
void tlsconn_free(struct tlsconn *t)
{
    free(t);
}

/* see tlsconn.h */
bool tlsconn_buffered(const struct tlsconn *t)
{
    return t && t->off < t->len;
}

/* see tlsconn.h */
ssize_t tlsconn_record_recv(gnutls_session_t session, void *data, size_t size, tlsconn_recv_fn recv)
{
    ssize_t n;
    bool more;

    do {
        pulled = NULL;
        pulled_socket_empty = false;
        n = recv(session, data, size);
        /* each round consumes at least one record, so this ends when the
         * bytes read so far do (GnuTLS also caps KeyUpdates per second) */
        more = n == GNUTLS_E_AGAIN && pulled && pulled->session == session && !pulled_socket_empty;
    } while (more);
    return n;
}

/* see tlsconn.h */
bool tlsconn_peer_closed(struct tlsconn *t)
{
    char byte;

    if (!t || tlsconn_buffered(t))
        return false;
    if (t->inq_on)
        return t->inq > 0;
    return recv(t->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* see tlsconn.h */
int tlsconn_batch_flush(struct tlsconn_batch *b)
{
    int failed = 0;

    for (size_t i = 0; i < b->count; i++) {
        b->conns[i]->batched = false;
        if (tlsconn_flush(b->conns[i]) != 0)
            failed++;
    }
    b->count = 0;
    return failed;
}

/* see tlsconn.h */
int tlsconn_batch_add(struct tlsconn_batch *b, struct tlsconn *t)
{
    if (!t || !t->corked)
        return 0;
    if (!t->batched) {
        if (b->count == TLSCONN_BATCH_MAX) {
            int failed = tlsconn_batch_flush(b);
            return failed + (tlsconn_flush(t) != 0);
        }
        if (b->count == 0)
            b->first_us = now_us();
        b->conns[b->count++] = t;
        t->batched = true;
    }
    if (b->count == TLSCONN_BATCH_MAX || now_us() - b->first_us >= TLSCONN_BATCH_WAIT_US)
        return tlsconn_batch_flush(b);
    return 0;
}

/* Takes t off the batch's list, if it is on it. */
static void unlist(struct tlsconn_batch *b, struct tlsconn *t)
{
    if (!t->batched)
        return;
    for (size_t i = 0; i < b->count; i++) {
        if (b->conns[i] == t) {
            b->conns[i] = b->conns[--b->count];
            break;
        }
    }
    t->batched = false;
}

/* see tlsconn.h */
int tlsconn_batch_remove(struct tlsconn_batch *b, struct tlsconn *t)
{
    if (t)
        unlist(b, t);
    return tlsconn_flush(t);
}

/* see tlsconn.h */
bool tlsconn_batch_closed(struct tlsconn_batch *b, struct tlsconn *t)
{
    bool held;

    if (!t)
        return false;
    held = t->corked;
    unlist(b, t);
    t->corked = false;
    return held;
}
