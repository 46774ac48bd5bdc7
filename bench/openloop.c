/* openloop: latency at a fixed request rate, the way the API server loads a
 * webhook — requests come when they come, not when the previous answer has
 * left (an open loop, as wrk2 does; wrk2 is not in Debian).
 *
 *   openloop --rate R --seconds S --connections C --body FILE --cacert FILE URL
 *
 * Request i is due at start + i/R. It goes out on an idle keep-alive
 * connection (one request in flight per connection, as Go's HTTP client
 * does), at once when one is idle, else as soon as one is; its latency runs
 * from when it was due to when the whole answer has been read, so time it
 * spent waiting for a connection, or for this program, counts against the
 * server (no coordinated omission). URL is https://HOST:PORT/PATH; the
 * server's certificate must chain to the CA file and name HOST.
 *
 * Prints one line in the format of ../shared/bench/post.lua's summary, and
 * one more field:
 *   RESULT rps=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. requests=N errors=E
 *          send_lag_p99_ms=..
 * where rps is answers per second over the run, errors counts non-200
 * answers and failed connections, and send_lag_p99_ms is the p99 of how
 * late requests went out (this program waiting for a core, or for an idle
 * connection): on a machine shared with the server, the part of the
 * latency that is the load generator's doing as much as the server's.
 * Exit 0; 1 when the run could not be made (no connection, TLS failure);
 * 2 on bad arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "diag.h"
#include "input.h"
#include "tlsconn.h"

#define CONN_MAX 1024
/* an answer larger than this is an error here (a review answer is a few KB) */
#define ANSWER_MAX (256 * 1024)
/* after the last request is due, how long answers are waited for */
#define DRAIN_NS (5 * 1000000000LL)

struct conn {
    int fd;
    gnutls_session_t tls;
    /* the server's transport under the session (tlsconn.h): one recv per
     * answer instead of one per record header and one per body */
    struct tlsconn *transport;
    bool busy, dead;
    /* when the request in flight was due */
    long long due;
    size_t got;
    char *buf;
};

struct run {
    const char *host, *port, *path, *body_file, *cacert;
    double rate, seconds;
    int connections;
    char *request;
    size_t request_len;
    gnutls_certificate_credentials_t cred;
    /* connections, calloc'd */
    struct conn *conns;
    /* latencies of the answers, and how late each request was sent; ns */
    long long *latency, *send_lag;
    size_t answers, errors, sends;
};

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int usage(const char *why)
{
    fprintf(stderr, "openloop: %s\n"
                    "usage: openloop --rate R --seconds S --connections C --body FILE --cacert FILE "
                    "https://HOST:PORT/PATH\n",
            why);
    return 2;
}

/* Splits https://HOST:PORT/PATH in place; false when it is not one. */
static bool split_url(char *url, struct run *r)
{
    char *p, *slash, *colon;

    if (strncmp(url, "https://", 8) != 0)
        return false;
    p = url + 8;
    slash = strchr(p, '/');
    if (!slash)
        return false;
    r->path = slash[0] && slash[1] ? strdup(slash) : "/";
    *slash = '\0';
    colon = strrchr(p, ':');
    if (!colon || colon == p || !colon[1])
        return false;
    *colon = '\0';
    r->host = p;
    r->port = colon + 1;
    return r->path != NULL;
}

static bool build_request(struct run *r)
{
    size_t body_len, cap;
    char *body;
    int head;
    struct diag d;

    diag_clear(&d);
    if (input_read(r->body_file, &body, &body_len, &d) != 0) {
        char why[DIAG_FILE_MAX + DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 16];
        fprintf(stderr, "openloop: %s\n", diag_format(&d, why, sizeof(why)));
        return false;
    }
    cap = body_len + 512 + strlen(r->path) + strlen(r->host);
    r->request = malloc(cap);
    if (!r->request) {
        free(body);
        return false;
    }
    head = snprintf(r->request, cap,
                    "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                    "Accept: application/json, */*\r\nContent-Length: %zu\r\n\r\n",
                    r->path, r->host, r->port, body_len);
    memcpy(r->request + head, body, body_len);
    r->request_len = (size_t)head + body_len;
    free(body);
    return true;
}

/* SNI carries host names only (RFC 6066); the certificate is still checked
 * against an address. */
static bool is_ip_literal(const char *host)
{
    unsigned char addr[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* A connected, handshaken, non-blocking connection; false with a message. */
static bool open_conn(struct run *r, struct conn *c)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc, one = 1;

    memset(c, 0, sizeof(*c));
    c->fd = -1;
    if ((rc = getaddrinfo(r->host, r->port, &hints, &ai)) != 0) {
        fprintf(stderr, "openloop: %s:%s: %s\n", r->host, r->port, gai_strerror(rc));
        return false;
    }
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        fprintf(stderr, "openloop: connect %s:%s: %s\n", r->host, r->port, strerror(errno));
        freeaddrinfo(ai);
        return false;
    }
    freeaddrinfo(ai);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
        gnutls_set_default_priority(c->tls) < 0 ||
        gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, r->cred) < 0 ||
        (!is_ip_literal(r->host) && gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, r->host, strlen(r->host)) < 0)) {
        fprintf(stderr, "openloop: setting up TLS failed\n");
        return false;
    }
    gnutls_session_set_verify_cert(c->tls, r->host, 0);
    gnutls_transport_set_int(c->tls, c->fd);
    do {
        rc = gnutls_handshake(c->tls);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc < 0) {
        fprintf(stderr, "openloop: TLS handshake with %s:%s: %s\n", r->host, r->port, gnutls_strerror(rc));
        return false;
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->transport = tlsconn_attach(c->tls, c->fd);
    c->buf = malloc(ANSWER_MAX);
    return c->transport && c->buf;
}

static void close_conn(struct conn *c)
{
    if (c->tls)
        gnutls_deinit(c->tls);
    tlsconn_free(c->transport);
    c->transport = NULL;
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    c->tls = NULL;
    c->fd = -1;
    c->buf = NULL;
}

static void fail_conn(struct run *r, struct conn *c)
{
    if (c->busy)
        r->errors++;
    c->busy = false;
    c->dead = true;
}

/* Sends the request whole: it is a few KB, and the socket of an idle
 * keep-alive connection has room for it. */
static void send_request(struct run *r, struct conn *c, long long due)
{
    size_t at = 0;

    c->busy = true;
    c->due = due;
    r->send_lag[r->sends++] = now_ns() - due;
    c->got = 0;
    while (at < r->request_len) {
        ssize_t n = gnutls_record_send(c->tls, r->request + at, r->request_len - at);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            continue;
        if (n < 0) {
            fail_conn(r, c);
            return;
        }
        at += (size_t)n;
    }
}

/* The answer's length once its header block is in: header + body bytes,
 * 0 while incomplete, -1 when it cannot be read. *status is set. */
static long long answer_length(const char *buf, size_t got, int *status)
{
    const char *end = memmem(buf, got, "\r\n\r\n", 4);
    const char *p;
    long long length = -1;

    if (!end)
        return got >= 16384 ? -1 : 0;
    if (got < 12 || strncmp(buf, "HTTP/1.1 ", 9) != 0)
        return -1;
    *status = atoi(buf + 9);
    for (p = memchr(buf, '\n', (size_t)(end - buf)); p && p < end; p = memchr(p + 1, '\n', (size_t)(end - p))) {
        if (strncasecmp(p + 1, "Content-Length:", 15) == 0)
            length = strtoll(p + 16, NULL, 10);
    }
    if (length < 0)
        return -1;
    return (long long)(end + 4 - buf) + length;
}

static void read_answers(struct run *r, struct conn *c)
{
    for (;;) {
        ssize_t n;
        long long want;
        int status = 0;

        if (c->got == ANSWER_MAX) {
            fail_conn(r, c);
            return;
        }
        /* not AGAIN after a session ticket with the answer read already
         * (tlsconn.h) */
        n = tlsconn_record_recv(c->tls, c->buf + c->got, ANSWER_MAX - c->got, gnutls_record_recv);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            return;
        if (n <= 0 || !c->busy) {
            fail_conn(r, c);
            return;
        }
        c->got += (size_t)n;
        want = answer_length(c->buf, c->got, &status);
        if (want < 0 || (want > 0 && (size_t)want < c->got)) {
            fail_conn(r, c);
            return;
        }
        if (want > 0 && (size_t)want == c->got) {
            r->latency[r->answers++] = now_ns() - c->due;
            if (status != 200)
                r->errors++;
            c->busy = false;
            c->got = 0;
            return;
        }
    }
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;

    return (x > y) - (x < y);
}

/* pct percentile of n sorted values in ns, in ms */
static double percentile_ms(const long long *sorted, size_t n, double pct)
{
    if (!n)
        return 0;
    return (double)sorted[(size_t)(pct / 100.0 * (double)(n - 1) + 0.5)] / 1e6;
}

/* The next idle, live connection, or NULL. */
static struct conn *idle_conn(struct run *r, int *cursor)
{
    for (int k = 0; k < r->connections; k++) {
        struct conn *c = &r->conns[(*cursor + k) % r->connections];
        if (!c->busy && !c->dead) {
            *cursor = (int)((c - r->conns) + 1) % r->connections;
            return c;
        }
    }
    return NULL;
}

/* true while a request is in flight on some connection */
static bool any_busy(const struct run *r)
{
    for (int i = 0; i < r->connections; i++)
        if (r->conns[i].busy)
            return true;
    return false;
}

static int run_load(struct run *r)
{
    size_t total = (size_t)(r->rate * r->seconds);
    long long interval = (long long)(1e9 / r->rate), start, end;
    /* request k is due at start + k * interval: issued are those due by
     * now, sent those of them on a connection; the rest wait for one */
    size_t issued = 0, sent = 0;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int cursor = 0;

    r->latency = calloc(total + 1, sizeof(*r->latency));
    r->send_lag = calloc(total + 1, sizeof(*r->send_lag));
    if (ep < 0 || !r->latency || !r->send_lag) {
        fprintf(stderr, "openloop: out of resources\n");
        return 1;
    }
    for (int i = 0; i < r->connections; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &r->conns[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, r->conns[i].fd, &ev);
    }

    start = now_ns();
    end = start + (long long)(r->seconds * 1e9);
    for (;;) {
        long long now = now_ns();
        struct epoll_event events[64];
        int n;

        while (issued < total && start + (long long)issued * interval <= now)
            issued++;
        while (sent < issued) {
            struct conn *c = idle_conn(r, &cursor);
            if (!c)
                break;
            send_request(r, c, start + (long long)sent * interval);
            sent++;
        }
        if (sent == total && !any_busy(r))
            break;
        if (now > end + DRAIN_NS) {
            /* what never came back, or never went, counts as failed */
            for (int i = 0; i < r->connections; i++)
                if (r->conns[i].busy)
                    fail_conn(r, &r->conns[i]);
            r->errors += total - sent;
            break;
        }
        /* wait for answers until the next request is due (nanoseconds:
         * at 17,000/s they are 59 us apart) */
        long long wait = issued < total ? start + (long long)issued * interval - now : 100000000LL;
        struct timespec timeout = {.tv_sec = wait / 1000000000LL, .tv_nsec = wait % 1000000000LL};
        n = epoll_pwait2(ep, events, 64, &timeout, NULL);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c->dead)
                read_answers(r, c);
        }
    }
    double elapsed = (double)(now_ns() - start) / 1e9;
    qsort(r->latency, r->answers, sizeof(*r->latency), cmp_ll);
    qsort(r->send_lag, r->sends, sizeof(*r->send_lag), cmp_ll);
    printf("RESULT rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%zu errors=%zu "
           "send_lag_p99_ms=%.3f\n",
           (double)r->answers / elapsed, percentile_ms(r->latency, r->answers, 50),
           percentile_ms(r->latency, r->answers, 90), percentile_ms(r->latency, r->answers, 99),
           percentile_ms(r->latency, r->answers, 100), r->answers, r->errors,
           percentile_ms(r->send_lag, r->sends, 99));
    close(ep);
    return 0;
}

int main(int argc, char **argv)
{
    struct run r = {.connections = 0};
    char *url = NULL, *end;
    int rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (a[0] != '-') {
            if (url)
                return usage("more than one URL");
            url = argv[i];
            continue;
        }
        if (!v)
            return usage("an option is missing its value");
        i++;
        if (strcmp(a, "--rate") == 0) {
            r.rate = strtod(v, &end);
            if (*end || !(r.rate >= 1 && r.rate <= 1e6))
                return usage("--rate takes requests per second, 1 to 1000000");
        } else if (strcmp(a, "--seconds") == 0) {
            r.seconds = strtod(v, &end);
            if (*end || !(r.seconds > 0 && r.seconds <= 3600))
                return usage("--seconds takes 0 to 3600");
        } else if (strcmp(a, "--connections") == 0) {
            long c = strtol(v, &end, 10);
            if (*end || c < 1 || c > CONN_MAX)
                return usage("--connections takes 1 to 1024");
            r.connections = (int)c;
        } else if (strcmp(a, "--body") == 0) {
            r.body_file = v;
        } else if (strcmp(a, "--cacert") == 0) {
            r.cacert = v;
        } else {
            return usage("unknown option");
        }
    }
    if (!url || !r.rate || !r.seconds || !r.connections || !r.body_file || !r.cacert)
        return usage("every option and the URL are required");
    if (!split_url(url, &r))
        return usage("the URL must be https://HOST:PORT/PATH");
    if (!build_request(&r))
        return 2;
    if (gnutls_certificate_allocate_credentials(&r.cred) < 0 ||
        gnutls_certificate_set_x509_trust_file(r.cred, r.cacert, GNUTLS_X509_FMT_PEM) <= 0) {
        fprintf(stderr, "openloop: no CA certificate read from %s\n", r.cacert);
        return 2;
    }
    r.conns = calloc((size_t)r.connections, sizeof(*r.conns));
    if (!r.conns) {
        fprintf(stderr, "openloop: out of memory\n");
        return 1;
    }
    for (int i = 0; i < r.connections; i++)
        if (!open_conn(&r, &r.conns[i]))
            return 1;
    rc = run_load(&r);
    for (int i = 0; i < r.connections; i++)
        close_conn(&r.conns[i]);
    gnutls_certificate_free_credentials(r.cred);
    free(r.conns);
    free(r.request);
    free(r.latency);
    free(r.send_lag);
    return rc;
}
