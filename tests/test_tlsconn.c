/* Tests for tlsconn: a real GnuTLS client and server over a TCP connection
 * on 127.0.0.1, the server session on tlsconn's transport. Records must
 * arrive whole through the read buffer (pipelined, larger than the buffer,
 * end of stream); a corked answer must leave as exactly one TLS record,
 * read off the wire; corking must be refused when it could wait on the
 * client; a flush to a client that does not read must give up and shut the
 * connection, and one to a client that reads late must deliver intact. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <linux/sockios.h>

#include "certs.h"
#include "tlsconn.h"

struct pair {
    int client_fd, server_fd;
    gnutls_session_t client, server;
    gnutls_certificate_credentials_t client_cred, server_cred;
    struct tlsconn *conn;
};

static struct certs_bundle bundle;

static int setup_certs(void **state)
{
    struct certs_request req;
    struct diag d;

    (void)state;
    memset(&req, 0, sizeof(req));
    req.dns_names[0] = "localhost";
    req.dns_count = 1;
    req.days = 1;
    diag_clear(&d);
    assert_int_equal(certs_generate(&req, &bundle, &d), 0);
    return 0;
}

static int teardown_certs(void **state)
{
    (void)state;
    certs_bundle_free(&bundle);
    return 0;
}

static void set_nonblocking(int fd)
{
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/* A connected TCP pair on loopback, both ends non-blocking. */
static void tcp_pair(int *client, int *server)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(l >= 0);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
    *server = accept(l, NULL, NULL);
    assert_true(*server >= 0);
    close(l);
    setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    set_nonblocking(*client);
    set_nonblocking(*server);
}

/* Client and server sessions, the server's on tlsconn, shaken hands with
 * the given priorities (TLS 1.2 or 1.3). */
static void pair_open(struct pair *p, const char *priorities)
{
    gnutls_datum_t cert = {(unsigned char *)bundle.cert_pem, (unsigned int)strlen(bundle.cert_pem)};
    gnutls_datum_t key = {(unsigned char *)bundle.key_pem, (unsigned int)strlen(bundle.key_pem)};
    int client_done = 0, server_done = 0;

    memset(p, 0, sizeof(*p));
    tcp_pair(&p->client_fd, &p->server_fd);
    assert_int_equal(gnutls_certificate_allocate_credentials(&p->server_cred), 0);
    assert_int_equal(gnutls_certificate_set_x509_key_mem(p->server_cred, &cert, &key, GNUTLS_X509_FMT_PEM), 0);
    assert_int_equal(gnutls_certificate_allocate_credentials(&p->client_cred), 0);
    assert_int_equal(gnutls_init(&p->server, GNUTLS_SERVER | GNUTLS_NONBLOCK), 0);
    assert_int_equal(gnutls_init(&p->client, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
    assert_int_equal(gnutls_priority_set_direct(p->server, priorities, NULL), 0);
    assert_int_equal(gnutls_priority_set_direct(p->client, priorities, NULL), 0);
    assert_int_equal(gnutls_credentials_set(p->server, GNUTLS_CRD_CERTIFICATE, p->server_cred), 0);
    assert_int_equal(gnutls_credentials_set(p->client, GNUTLS_CRD_CERTIFICATE, p->client_cred), 0);
    gnutls_transport_set_int(p->server, p->server_fd);
    gnutls_transport_set_int(p->client, p->client_fd);
    /* as libmicrohttpd does: the session exists, then the transport is ours */
    p->conn = tlsconn_attach(p->server, p->server_fd);
    assert_non_null(p->conn);
    for (int round = 0; round < 10000 && !(client_done && server_done); round++) {
        if (!client_done) {
            int rc = gnutls_handshake(p->client);
            assert_true(rc == 0 || rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
            client_done = rc == 0;
        }
        if (!server_done) {
            int rc = gnutls_handshake(p->server);
            assert_true(rc == 0 || rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
            server_done = rc == 0;
        }
        if (!(client_done && server_done))
            usleep(100);
    }
    assert_true(client_done && server_done);
}

static void pair_close(struct pair *p)
{
    gnutls_deinit(p->client);
    /* NULL when a test already tore it down, as libmicrohttpd does */
    if (p->server)
        gnutls_deinit(p->server);
    tlsconn_free(p->conn);
    gnutls_certificate_free_credentials(p->client_cred);
    gnutls_certificate_free_credentials(p->server_cred);
    close(p->client_fd);
    close(p->server_fd);
}

static const char *const tls13 = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
static const char *const tls12 = "NORMAL:-VERS-ALL:+VERS-TLS1.2";

static void fill(unsigned char *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)((i * 31u + seed) & 0xff);
}

/* Sends all of buf through the client session (waiting on the
 * non-blocking socket by polling). */
static void client_send(struct pair *p, const unsigned char *buf, size_t n)
{
    size_t at = 0;

    while (at < n) {
        ssize_t rc = gnutls_record_send(p->client, buf + at, n - at);
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            struct pollfd pf = {.fd = p->client_fd, .events = POLLOUT};
            poll(&pf, 1, 1000);
            /* GnuTLS wants the same call again after AGAIN */
            continue;
        }
        assert_true(rc > 0);
        at += (size_t)rc;
    }
}

/* Reads exactly n bytes through session (on socket fd) the way
 * libmicrohttpd does: read until GnuTLS says AGAIN, and only then wait on
 * the socket. */
static void read_exactly(gnutls_session_t session, int fd, unsigned char *buf, size_t n)
{
    size_t at = 0;

    while (at < n) {
        ssize_t rc = gnutls_record_recv(session, buf + at, n - at);
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            assert_int_equal(poll(&pf, 1, 5000), 1);
            continue;
        }
        assert_true(rc > 0);
        at += (size_t)rc;
    }
}

static void server_read(struct pair *p, unsigned char *buf, size_t n)
{
    read_exactly(p->server, p->server_fd, buf, n);
}

static void client_read(struct pair *p, unsigned char *buf, size_t n)
{
    read_exactly(p->client, p->client_fd, buf, n);
}

/* ---- reads ------------------------------------------------------------- */

static void check_records_arrive_whole(const char *priorities)
{
    struct pair p;
    /* one small, one a typical review, one larger than the read buffer and
     * than one record: sent back to back, so reads see several at once */
    static unsigned char sent[3][40000], got[40000];
    const size_t sizes[3] = {17, 3400, 40000};

    pair_open(&p, priorities);
    for (int i = 0; i < 3; i++) {
        fill(sent[i], sizes[i], (unsigned)i);
        client_send(&p, sent[i], sizes[i]);
    }
    for (int i = 0; i < 3; i++) {
        memset(got, 0, sizes[i]);
        server_read(&p, got, sizes[i]);
        assert_memory_equal(got, sent[i], sizes[i]);
    }
    /* nothing more: the transport says AGAIN, not a stale byte */
    assert_int_equal(gnutls_record_recv(p.server, got, sizeof(got)), GNUTLS_E_AGAIN);
    /* the client closes: end of stream comes through as 0 (or an
     * "unexpected end" error for a close without close_notify) */
    shutdown(p.client_fd, SHUT_WR);
    for (int tries = 0; tries < 100; tries++) {
        ssize_t rc = gnutls_record_recv(p.server, got, sizeof(got));
        if (rc == GNUTLS_E_AGAIN) {
            usleep(1000);
            continue;
        }
        assert_true(rc == 0 || rc == GNUTLS_E_PREMATURE_TERMINATION);
        break;
    }
    pair_close(&p);
}

static void test_records_arrive_whole_tls13(void **state)
{
    (void)state;
    check_records_arrive_whole(tls13);
}

static void test_records_arrive_whole_tls12(void **state)
{
    (void)state;
    check_records_arrive_whole(tls12);
}

/* ---- corked answers ------------------------------------------------------ */

/* The TLS records waiting on the client's socket: their count, and their
 * total size equals what is there (so no partial record either). */
static int records_on_wire(int fd)
{
    unsigned char raw[65536];
    ssize_t n;
    size_t at = 0;
    int count = 0;

    usleep(20000);
    n = recv(fd, raw, sizeof(raw), MSG_PEEK);
    assert_true(n > 0);
    while (at + 5 <= (size_t)n) {
        size_t len = ((size_t)raw[at + 3] << 8) | raw[at + 4];
        assert_int_equal(raw[at], 23); /* application data */
        at += 5 + len;
        count++;
    }
    assert_int_equal(at, (size_t)n);
    return count;
}

static void check_cork_one_record(const char *priorities)
{
    struct pair p;
    unsigned char header[180], body[4100], got[sizeof(header) + sizeof(body)];

    pair_open(&p, priorities);
    fill(header, sizeof(header), 1);
    fill(body, sizeof(body), 2);
    assert_true(tlsconn_cork(p.conn, sizeof(header) + sizeof(body)));
    /* libmicrohttpd's two sends: each taken whole into the cork */
    assert_int_equal(gnutls_record_send(p.server, header, sizeof(header)), sizeof(header));
    assert_int_equal(gnutls_record_send(p.server, body, sizeof(body)), sizeof(body));
    assert_int_equal(tlsconn_flush(p.conn), 0);
    assert_int_equal(records_on_wire(p.client_fd), 1);
    client_read(&p, got, sizeof(got));
    assert_memory_equal(got, header, sizeof(header));
    assert_memory_equal(got + sizeof(header), body, sizeof(body));

    /* a second answer on the same connection, and without the cork two */
    assert_true(tlsconn_cork(p.conn, 100));
    assert_false(tlsconn_cork(p.conn, 100)); /* already corked */
    assert_int_equal(gnutls_record_send(p.server, header, 50), 50);
    assert_int_equal(gnutls_record_send(p.server, body, 50), 50);
    assert_int_equal(tlsconn_flush(p.conn), 0);
    assert_int_equal(records_on_wire(p.client_fd), 1);
    client_read(&p, got, 100);
    assert_int_equal(gnutls_record_send(p.server, header, 50), 50);
    assert_int_equal(gnutls_record_send(p.server, body, 50), 50);
    assert_int_equal(records_on_wire(p.client_fd), 2);
    client_read(&p, got, 100);
    /* flushing with nothing corked does nothing */
    assert_int_equal(tlsconn_flush(p.conn), 0);
    pair_close(&p);
}

static void test_cork_one_record_tls13(void **state)
{
    (void)state;
    check_cork_one_record(tls13);
}

static void test_cork_one_record_tls12(void **state)
{
    (void)state;
    check_cork_one_record(tls12);
}

static void test_cork_refused_when_unsafe(void **state)
{
    struct pair p;
    static unsigned char junk[65536];
    int queued = 0;

    (void)state;
    assert_false(tlsconn_cork(NULL, 10));
    assert_int_equal(tlsconn_flush(NULL), 0);
    tlsconn_free(NULL);
    pair_open(&p, tls13);
    /* more than one record's worth */
    assert_false(tlsconn_cork(p.conn, TLSCONN_CORK_MAX + 1));
    assert_true(tlsconn_cork(p.conn, TLSCONN_CORK_MAX));
    assert_int_equal(tlsconn_flush(p.conn), 0);
    /* a client that is not reading: the send queue fills */
    for (;;) {
        ssize_t rc = gnutls_record_send(p.server, junk, sizeof(junk));
        if (rc == GNUTLS_E_AGAIN)
            break;
        assert_true(rc > 0);
    }
    assert_int_equal(ioctl(p.server_fd, SIOCOUTQ, &queued), 0);
    assert_true(queued > 0);
    assert_false(tlsconn_cork(p.conn, 100));
    pair_close(&p);
}

/* ---- flushing to a slow or stalled client ------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Fills the server's socket with raw bytes until the kernel refuses more
 * even after the client side's acknowledgements settled: what a client that
 * stopped reading leaves behind. */
static size_t fill_socket(int fd)
{
    static unsigned char raw[65536];
    size_t total = 0, before;

    do {
        before = total;
        for (;;) {
            ssize_t n = send(fd, raw, sizeof(raw), MSG_NOSIGNAL);
            if (n < 0) {
                assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
                break;
            }
            total += (size_t)n;
        }
        usleep(50000);
    } while (total != before);
    return total;
}

static void test_flush_gives_up_on_stalled_client(void **state)
{
    struct pair p;
    unsigned char body[4000];
    long long t0, waited;

    (void)state;
    pair_open(&p, tls13);
    fill(body, sizeof(body), 3);
    assert_true(tlsconn_cork(p.conn, sizeof(body)));
    /* the queue fills after the cork was granted (memory pressure, say) */
    fill_socket(p.server_fd);
    assert_int_equal(gnutls_record_send(p.server, body, sizeof(body)), sizeof(body));
    t0 = now_ms();
    assert_int_equal(tlsconn_flush(p.conn), -1);
    waited = now_ms() - t0;
    assert_true(waited >= TLSCONN_FLUSH_WAIT_MS - 50);
    assert_true(waited < TLSCONN_FLUSH_WAIT_MS + 2000);
    /* shut down both ways: the server cannot send any more */
    assert_true(send(p.server_fd, body, 1, MSG_NOSIGNAL) < 0);
    pair_close(&p);
}

struct drainer {
    int fd;
    size_t skip;
    unsigned char *tail;
    size_t tail_len;
};

/* After a pause, reads and drops `skip` raw bytes, then keeps the rest. */
static void *drain_later(void *arg)
{
    struct drainer *dr = arg;
    static unsigned char raw[65536];
    size_t seen = 0;
    long long deadline;

    usleep(200000);
    deadline = now_ms() + 5000;
    while (now_ms() < deadline) {
        struct pollfd pf = {.fd = dr->fd, .events = POLLIN};
        ssize_t n;

        poll(&pf, 1, 100);
        n = recv(dr->fd, raw, sizeof(raw), 0);
        if (n <= 0)
            continue;
        for (ssize_t i = 0; i < n; i++, seen++)
            if (seen >= dr->skip && seen - dr->skip < 65536)
                dr->tail[dr->tail_len++] = raw[i];
        if (dr->tail_len >= 5 && dr->tail_len >= 5 + (((size_t)dr->tail[3] << 8) | dr->tail[4]))
            break;
    }
    return NULL;
}

static void test_flush_waits_for_a_slow_client(void **state)
{
    struct pair p;
    unsigned char body[4000];
    static unsigned char tail[65536];
    struct drainer dr;
    pthread_t th;

    (void)state;
    pair_open(&p, tls13);
    fill(body, sizeof(body), 4);
    assert_true(tlsconn_cork(p.conn, sizeof(body)));
    dr.fd = p.client_fd;
    dr.skip = fill_socket(p.server_fd);
    dr.tail = tail;
    dr.tail_len = 0;
    assert_int_equal(gnutls_record_send(p.server, body, sizeof(body)), sizeof(body));
    assert_int_equal(pthread_create(&th, NULL, drain_later, &dr), 0);
    /* the client reads after 200 ms: the answer goes out whole */
    assert_int_equal(tlsconn_flush(p.conn), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    /* exactly one application-data record after the raw filler */
    assert_true(dr.tail_len >= 5);
    assert_int_equal(tail[0], 23);
    assert_int_equal(dr.tail_len, 5 + (((size_t)tail[3] << 8) | tail[4]));
    assert_true(dr.tail_len > sizeof(body));
    pair_close(&p);
}

/* ---- batches ------------------------------------------------------------ */

static unsigned char answer[1000];

/* Corks p's connection and "sends" an answer into the cork. */
static void corked_answer(struct pair *p)
{
    assert_true(tlsconn_cork(p->conn, sizeof(answer)));
    assert_int_equal(gnutls_record_send(p->server, answer, sizeof(answer)), sizeof(answer));
}

/* Bytes waiting on the client's socket after a short settle. */
static int waiting(int fd)
{
    int n = -1;

    usleep(20000);
    assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
    return n;
}

/* Two connections, each with a corked answer, both in batch. */
static void two_batched(struct pair *a, struct pair *b, struct tlsconn_batch *batch)
{
    pair_open(a, tls13);
    pair_open(b, tls13);
    corked_answer(a);
    corked_answer(b);
    assert_int_equal(tlsconn_batch_add(batch, a->conn), 0);
    assert_int_equal(tlsconn_batch_add(batch, b->conn), 0);
}

static void test_batch_sends_at_flush(void **state)
{
    struct pair a, b;
    struct tlsconn_batch batch = {.count = 0};
    unsigned char got[sizeof(answer)];

    (void)state;
    fill(answer, sizeof(answer), 5);
    two_batched(&a, &b, &batch);
    assert_int_equal(batch.count, 2);
    /* held: nothing on either wire yet */
    assert_int_equal(waiting(a.client_fd), 0);
    assert_int_equal(waiting(b.client_fd), 0);
    assert_int_equal(tlsconn_batch_flush(&batch), 0);
    assert_int_equal(batch.count, 0);
    assert_int_equal(records_on_wire(a.client_fd), 1);
    assert_int_equal(records_on_wire(b.client_fd), 1);
    client_read(&a, got, sizeof(got));
    assert_memory_equal(got, answer, sizeof(answer));
    client_read(&b, got, sizeof(got));
    assert_memory_equal(got, answer, sizeof(answer));
    /* an answer that was not corked is not held */
    assert_int_equal(tlsconn_batch_add(&batch, a.conn), 0);
    assert_int_equal(batch.count, 0);
    pair_close(&a);
    pair_close(&b);
}

static void test_batch_lists_a_connection_once(void **state)
{
    struct pair a;
    struct tlsconn_batch batch = {.count = 0};
    unsigned char got[2 * sizeof(answer)];

    (void)state;
    fill(answer, sizeof(answer), 6);
    pair_open(&a, tls13);
    corked_answer(&a);
    assert_int_equal(tlsconn_batch_add(&batch, a.conn), 0);
    /* a pipelined second request answered in the same pass: its bytes join
     * the cork (the session is still corked), the batch lists it once */
    assert_false(tlsconn_cork(a.conn, sizeof(answer)));
    assert_int_equal(gnutls_record_send(a.server, answer, sizeof(answer)), sizeof(answer));
    assert_int_equal(tlsconn_batch_add(&batch, a.conn), 0);
    assert_int_equal(batch.count, 1);
    assert_int_equal(tlsconn_batch_flush(&batch), 0);
    client_read(&a, got, sizeof(got));
    assert_memory_equal(got, answer, sizeof(answer));
    assert_memory_equal(got + sizeof(answer), answer, sizeof(answer));
    pair_close(&a);
}

static void test_batch_waits_a_bounded_time(void **state)
{
    struct pair a, b;
    struct tlsconn_batch batch = {.count = 0};

    (void)state;
    fill(answer, sizeof(answer), 7);
    pair_open(&a, tls13);
    pair_open(&b, tls13);
    corked_answer(&a);
    assert_int_equal(tlsconn_batch_add(&batch, a.conn), 0);
    usleep(2 * TLSCONN_BATCH_WAIT_US);
    /* the first answer waited long enough: this add sends both */
    corked_answer(&b);
    assert_int_equal(tlsconn_batch_add(&batch, b.conn), 0);
    assert_int_equal(batch.count, 0);
    assert_int_equal(records_on_wire(a.client_fd), 1);
    assert_int_equal(records_on_wire(b.client_fd), 1);
    pair_close(&a);
    pair_close(&b);
}

static void test_batch_remove_flushes(void **state)
{
    struct pair a, b;
    struct tlsconn_batch batch = {.count = 0};

    (void)state;
    fill(answer, sizeof(answer), 8);
    two_batched(&a, &b, &batch);
    /* a's connection closes: its answer goes now, b's still waits */
    assert_int_equal(tlsconn_batch_remove(&batch, a.conn), 0);
    assert_int_equal(batch.count, 1);
    assert_int_equal(records_on_wire(a.client_fd), 1);
    assert_int_equal(waiting(b.client_fd), 0);
    /* not listed: remove only flushes (nothing corked here) */
    assert_int_equal(tlsconn_batch_remove(&batch, a.conn), 0);
    assert_int_equal(batch.count, 1);
    assert_int_equal(tlsconn_batch_flush(&batch), 0);
    assert_int_equal(records_on_wire(b.client_fd), 1);
    pair_close(&a);
    pair_close(&b);
}

/* libmicrohttpd frees the session before it reports the connection
 * closed: a batched answer on it is lost and its session never touched
 * again (ASan would see it); the rest of the batch is not disturbed. */
static void test_batch_closed_leaves_the_session_alone(void **state)
{
    struct pair a, b;
    struct tlsconn_batch batch = {.count = 0};

    (void)state;
    fill(answer, sizeof(answer), 9);
    assert_false(tlsconn_batch_closed(&batch, NULL));
    two_batched(&a, &b, &batch);
    gnutls_deinit(a.server);
    a.server = NULL;
    assert_true(tlsconn_batch_closed(&batch, a.conn));
    assert_int_equal(batch.count, 1);
    /* said once: nothing is held any more */
    assert_false(tlsconn_batch_closed(&batch, a.conn));
    assert_int_equal(tlsconn_batch_flush(&batch), 0);
    assert_int_equal(records_on_wire(b.client_fd), 1);
    assert_int_equal(waiting(a.client_fd), 0);
    /* an answer sent already is not reported lost */
    corked_answer(&b);
    assert_int_equal(tlsconn_flush(b.conn), 0);
    assert_false(tlsconn_batch_closed(&batch, b.conn));
    pair_close(&a);
    pair_close(&b);
}

static void test_peer_closed(void **state)
{
    struct pair a;
    unsigned char got[10];

    (void)state;
    assert_false(tlsconn_peer_closed(NULL));
    pair_open(&a, tls13);
    assert_false(tlsconn_peer_closed(a.conn));
    /* two records, then the end of the stream, arrive together: while the
     * second is still in tlsconn's buffer the stream is not over */
    client_send(&a, (const unsigned char *)"01234", 5);
    client_send(&a, (const unsigned char *)"56789", 5);
    shutdown(a.client_fd, SHUT_WR);
    usleep(20000);
    assert_int_equal(gnutls_record_recv(a.server, got, sizeof(got)), 5);
    assert_false(tlsconn_peer_closed(a.conn));
    assert_int_equal(gnutls_record_recv(a.server, got, sizeof(got)), 5);
    assert_memory_equal(got, "56789", 5);
    assert_true(tlsconn_peer_closed(a.conn));
    pair_close(&a);
}

/* With TCP_INQ the answer is what the kernel reported with the last read:
 * a FIN that arrives after it is seen by the next read, not by a second
 * look at the socket (tlsconn.h says why that is safe for the batches). */
static void test_peer_closed_is_what_the_last_read_saw(void **state)
{
    struct pair a;
    unsigned char got[10];
    int on = 0;
    socklen_t len = sizeof(on);

    (void)state;
    pair_open(&a, tls13);
    /* tlsconn_attach turned it on: every kernel the project supports has it */
    assert_int_equal(getsockopt(a.server_fd, IPPROTO_TCP, TCP_INQ, &on, &len), 0);
    assert_int_equal(on, 1);
    client_send(&a, (const unsigned char *)"01234", 5);
    usleep(20000);
    server_read(&a, got, 5);
    assert_false(tlsconn_peer_closed(a.conn));
    shutdown(a.client_fd, SHUT_WR);
    usleep(20000);
    assert_false(tlsconn_peer_closed(a.conn));
    /* the end of the stream, without a close_notify */
    assert_int_equal(gnutls_record_recv(a.server, got, sizeof(got)), GNUTLS_E_PREMATURE_TERMINATION);
    assert_true(tlsconn_peer_closed(a.conn));
    pair_close(&a);
}

/* A TLS 1.3 KeyUpdate and a record after it arrive together: GnuTLS
 * handles the KeyUpdate and says AGAIN with the record already read into
 * tlsconn's buffer, where polling the socket would never see it;
 * tlsconn_buffered says to ask again. */
static void test_buffered_after_key_update(void **state)
{
    struct pair a;
    unsigned char got[10];
    ssize_t n;

    (void)state;
    assert_false(tlsconn_buffered(NULL));
    pair_open(&a, tls13);
    assert_false(tlsconn_buffered(a.conn));
    assert_int_equal(gnutls_session_key_update(a.client, 0), 0);
    client_send(&a, (const unsigned char *)"01234", 5);
    usleep(20000);
    n = gnutls_record_recv(a.server, got, sizeof(got));
    assert_int_equal(n, GNUTLS_E_AGAIN);
    assert_true(tlsconn_buffered(a.conn));
    n = gnutls_record_recv(a.server, got, sizeof(got));
    assert_int_equal(n, 5);
    assert_memory_equal(got, "01234", 5);
    assert_false(tlsconn_buffered(a.conn));
    pair_close(&a);
}

/* tlsconn_record_recv reads through the KeyUpdate to the record behind
 * it; asked again with nothing left, it says AGAIN as GnuTLS does, with
 * one read of the empty socket, not a loop. */
static void test_record_recv_reads_past_key_update(void **state)
{
    struct pair a;
    unsigned char got[10];

    (void)state;
    pair_open(&a, tls13);
    for (int round = 0; round < 3; round++) {
        /* the third round asks the server to update its keys too */
        assert_int_equal(gnutls_session_key_update(a.client, round == 2 ? GNUTLS_KU_PEER : 0), 0);
        client_send(&a, (const unsigned char *)"01234", 5);
        usleep(20000);
        assert_int_equal(tlsconn_record_recv(a.server, got, sizeof(got), gnutls_record_recv), 5);
        assert_memory_equal(got, "01234", 5);
        assert_false(tlsconn_buffered(a.conn));
        assert_int_equal(tlsconn_record_recv(a.server, got, sizeof(got), gnutls_record_recv), GNUTLS_E_AGAIN);
    }
    /* the server's own KeyUpdate reached the client, and records still flow
     * both ways with the new keys */
    assert_int_equal(gnutls_record_send(a.server, "56789", 5), 5);
    client_read(&a, got, 5);
    assert_memory_equal(got, "56789", 5);
    pair_close(&a);
}

/* A KeyUpdate alone: AGAIN once the socket is empty (nothing is waiting),
 * and the record that comes later reads as usual. */
static void test_record_recv_key_update_alone(void **state)
{
    struct pair a;
    unsigned char got[10];

    (void)state;
    pair_open(&a, tls13);
    assert_int_equal(gnutls_session_key_update(a.client, 0), 0);
    usleep(20000);
    assert_int_equal(tlsconn_record_recv(a.server, got, sizeof(got), gnutls_record_recv), GNUTLS_E_AGAIN);
    client_send(&a, (const unsigned char *)"abc", 3);
    usleep(20000);
    assert_int_equal(tlsconn_record_recv(a.server, got, sizeof(got), gnutls_record_recv), 3);
    assert_memory_equal(got, "abc", 3);
    pair_close(&a);
}

static ssize_t calls;

static ssize_t counted_recv(gnutls_session_t session, void *data, size_t size)
{
    calls++;
    return gnutls_record_recv(session, data, size);
}

/* A session that does not read through tlsconn (the client's here) gets
 * GnuTLS's AGAIN as it is, after one call, even with a record pending
 * behind a KeyUpdate. */
static void test_record_recv_leaves_other_sessions_alone(void **state)
{
    struct pair a;
    unsigned char got[10];

    (void)state;
    pair_open(&a, tls13);
    assert_int_equal(gnutls_session_key_update(a.server, 0), 0);
    assert_int_equal(gnutls_record_send(a.server, "xyz", 3), 3);
    usleep(20000);
    calls = 0;
    assert_int_equal(tlsconn_record_recv(a.client, got, sizeof(got), counted_recv), GNUTLS_E_AGAIN);
    assert_int_equal(calls, 1);
    assert_int_equal(tlsconn_record_recv(a.client, got, sizeof(got), counted_recv), 3);
    assert_memory_equal(got, "xyz", 3);
    pair_close(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_arrive_whole_tls13),
        cmocka_unit_test(test_records_arrive_whole_tls12),
        cmocka_unit_test(test_cork_one_record_tls13),
        cmocka_unit_test(test_cork_one_record_tls12),
        cmocka_unit_test(test_cork_refused_when_unsafe),
        cmocka_unit_test(test_flush_gives_up_on_stalled_client),
        cmocka_unit_test(test_flush_waits_for_a_slow_client),
        cmocka_unit_test(test_batch_sends_at_flush),
        cmocka_unit_test(test_batch_lists_a_connection_once),
        cmocka_unit_test(test_batch_waits_a_bounded_time),
        cmocka_unit_test(test_batch_remove_flushes),
        cmocka_unit_test(test_batch_closed_leaves_the_session_alone),
        cmocka_unit_test(test_peer_closed),
        cmocka_unit_test(test_peer_closed_is_what_the_last_read_saw),
        cmocka_unit_test(test_buffered_after_key_update),
        cmocka_unit_test(test_record_recv_reads_past_key_update),
        cmocka_unit_test(test_record_recv_key_update_alone),
        cmocka_unit_test(test_record_recv_leaves_other_sessions_alone),
    };

    return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}
