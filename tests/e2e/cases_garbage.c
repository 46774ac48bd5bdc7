/* garbage: hundreds of TLS connections carrying mangled requests — bytes
 * flipped, cut and repeated in the request line, the headers and the body;
 * wrong, missing and impossible lengths; chunked bodies cut short; several
 * requests in one write, one request over many writes; clients that close
 * their side early or never read. The server must answer what it can, keep
 * no request in flight once the clients are gone, still answer a valid
 * review exactly, and exit 0 with no sanitizer report.
 *
 * The mangling is pseudo-random from a fixed seed, so a failure repeats;
 * E2E_GARBAGE_SEED picks another. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "cases.h"

#define GARBAGE_CONNECTIONS 240
/* how long a client waits for more of an answer before it hangs up */
#define GARBAGE_READ_MS 60
#define GARBAGE_MAX (64 * 1024)

struct rng {
    uint64_t s;
};

/* xorshift64*: small, and the same sequence on every machine */
static uint64_t next(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static size_t below(struct rng *r, size_t n)
{
    return n ? (size_t)(next(r) % n) : 0;
}

static bool chance(struct rng *r, int percent)
{
    return below(r, 100) < (size_t)percent;
}

struct text {
    char data[GARBAGE_MAX];
    size_t len;
};

static void put(struct text *t, const char *p, size_t n)
{
    if (n > sizeof(t->data) - t->len)
        n = sizeof(t->data) - t->len;
    memcpy(t->data + t->len, p, n);
    t->len += n;
}

static void putf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct text *t, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(t, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* A few random edits: flip a byte, cut a run, insert random bytes, repeat
 * a run from elsewhere. */
static void mangle(struct rng *r, struct text *t, int edits)
{
    for (int i = 0; i < edits && t->len; i++) {
        size_t at = below(r, t->len), n;

        switch (below(r, 4)) {
        case 0:
            t->data[at] = (char)next(r);
            break;
        case 1:
            n = 1 + below(r, 64);
            if (n > t->len - at)
                n = t->len - at;
            memmove(t->data + at, t->data + at + n, t->len - at - n);
            t->len -= n;
            break;
        case 2:
            n = 1 + below(r, 16);
            if (n > sizeof(t->data) - t->len)
                break;
            memmove(t->data + at + n, t->data + at, t->len - at);
            for (size_t k = 0; k < n; k++)
                t->data[at + k] = (char)next(r);
            t->len += n;
            break;
        default: {
            size_t from = below(r, t->len);
            n = 1 + below(r, 256);
            if (n > t->len - from)
                n = t->len - from;
            if (n > sizeof(t->data) - t->len)
                break;
            char copy[256];
            memcpy(copy, t->data + from, n);
            memmove(t->data + at + n, t->data + at, t->len - at);
            memcpy(t->data + at, copy, n);
            t->len += n;
        }
        }
    }
}

/* One request, mostly well formed, appended to out. */
static void one_request(struct rng *r, const char *review, size_t review_len, int port, struct text *out)
{
    static const char *const methods[] = {"GET", "PUT", "HEAD", "OPTIONS", "DELETE", "PATCH", "BREW", ""};
    static const char *const paths[] = {"/", "/metrics", "//mutate", "/mutate/", "/validate/../mutate",
                                        "/health/ready", "*", "/mutate%00", "/v\xff"};
    static const char *const versions[] = {"HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "HTTP/0.9", ""};
    static const char *const types[] = {"text/plain", "application/json; charset=utf-8", "application/jsonx",
                                        "APPLICATION/JSON", "", "application/json;;"};
    struct text body = {.len = 0}, head = {.len = 0};
    bool chunked = false;

    put(&body, review, review_len);
    if (chance(r, 70))
        mangle(r, &body, (int)below(r, 8));
    else if (chance(r, 30))
        body.len = 0;

    putf(&head, "%s %s %s\r\nHost: %s:%d\r\n", chance(r, 80) ? "POST" : methods[below(r, 8)],
         chance(r, 75) ? (chance(r, 50) ? "/mutate?timeout=10s" : "/validate?timeout=10s") : paths[below(r, 9)],
         chance(r, 85) ? "HTTP/1.1" : versions[below(r, 5)], E2E_HOST, port);
    if (chance(r, 90))
        putf(&head, "Content-Type: %s\r\n", chance(r, 75) ? "application/json" : types[below(r, 6)]);
    switch (below(r, 10)) {
    case 0:
        putf(&head, "Content-Length: %zu\r\n", body.len + below(r, 100));
        break;
    case 1:
        putf(&head, "Content-Length: %zu\r\n", body.len > 50 ? body.len - below(r, 50) : 0);
        break;
    case 2:
        put(&head, "Transfer-Encoding: chunked\r\n", 28);
        chunked = true;
        break;
    case 3:
        putf(&head, "Content-Length: %s\r\n", chance(r, 50) ? "-1" : "99999999999999999999");
        break;
    case 4:
        break; /* no length at all */
    default:
        putf(&head, "Content-Length: %zu\r\n", body.len);
    }
    if (chance(r, 10))
        put(&head, "Expect: 100-continue\r\n", 22);
    if (chance(r, 40))
        put(&head, "Connection: close\r\n", 19);
    if (chance(r, 5)) {
        put(&head, "X-Long: ", 8);
        for (size_t n = 1000 + below(r, 20000); n; n--)
            put(&head, "y", 1);
        put(&head, "\r\n", 2);
    }
    if (chance(r, 20))
        mangle(r, &head, 1 + (int)below(r, 3));
    put(out, head.data, head.len);
    put(out, "\r\n", 2);
    if (!chunked) {
        put(out, body.data, body.len);
        return;
    }
    for (size_t at = 0; at < body.len;) {
        size_t n = 1 + below(r, 2000);
        if (n > body.len - at)
            n = body.len - at;
        putf(out, "%zx\r\n", n);
        put(out, body.data + at, n);
        put(out, "\r\n", 2);
        at += n;
    }
    if (chance(r, 85))
        put(out, "0\r\n\r\n", 5);
}

/* Sends text over st in random pieces; false when the server hung up. */
static bool send_pieces(struct rng *r, struct e2e_raw *st, const struct text *t)
{
    for (size_t at = 0; at < t->len;) {
        size_t n = 1 + below(r, t->len - at);
        ssize_t w = gnutls_record_send(st->tls, t->data + at, n);

        if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
            continue;
        if (w < 0)
            return false;
        at += (size_t)w;
    }
    return true;
}

/* Reads what comes until the server closes or is quiet for a while;
 * counts the status lines seen, by status. */
static void drain(struct e2e_raw *st, int by_status[600])
{
    char buf[16384];
    long long quiet_until = e2e_now_ms() + GARBAGE_READ_MS;

    while (e2e_now_ms() < quiet_until) {
        ssize_t n = gnutls_record_recv(st->tls, buf, sizeof(buf) - 1);

        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            continue;
        if (n <= 0)
            return;
        buf[n] = '\0';
        for (const char *p = buf; (p = strstr(p, "HTTP/1.")) != NULL; p++) {
            long status = strtol(p + 9, NULL, 10);
            by_status[status >= 100 && status < 600 ? status : 0]++;
        }
        quiet_until = e2e_now_ms() + GARBAGE_READ_MS;
    }
}

void case_garbage(const struct e2e *e)
{
    struct e2e_pair pair;
    struct e2e_server srv;
    struct e2e_client c;
    gnutls_certificate_credentials_t cred = NULL;
    struct text *t = NULL;
    char dir[PATH_MAX], path[PATH_MAX];
    const char *seed_text = getenv("E2E_GARBAGE_SEED");
    struct rng r = {seed_text ? strtoull(seed_text, NULL, 0) : 0x5eed0fda0a11ULL};
    size_t review_len = 0, expected_len = 0;
    char *review, *expected = NULL;
    int opened = 0, answers = 0, by_status[600] = {0};

    if (r.s == 0)
        r.s = 1;
    printf("seed 0x%" PRIx64 " (E2E_GARBAGE_SEED)\n", r.s);
    snprintf(path, sizeof(path), "%s/tests/fixtures/reviews/review-django.json", e->source_root);
    review = e2e_read_file(path, &review_len);
    expected = e2e_run_review(e, path, 0, &expected_len);
    snprintf(dir, sizeof(dir), "%s/garbage-certs", e->tmp);
    if (!review || !expected || e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "garbage.log", pair.cert, pair.key, NULL) < 0) {
        CHECK(0, "setup failed");
        free(review);
        free(expected);
        return;
    }
    if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
        gnutls_certificate_set_x509_trust_file(cred, pair.ca, GNUTLS_X509_FMT_PEM) <= 0) {
        CHECK(0, "GnuTLS credentials");
        goto out;
    }

    /* one connection's requests; 64 KiB, so not on the stack */
    t = malloc(sizeof(*t));
    if (!t) {
        CHECK(0, "out of memory");
        goto out;
    }
    for (int i = 0; i < GARBAGE_CONNECTIONS; i++) {
        struct e2e_raw st;
        struct timeval tv = {0, 10 * 1000};

        t->len = 0;
        for (size_t k = 1 + below(&r, 3); k; k--)
            one_request(&r, review, review_len, srv.port, t);
        if (e2e_raw_open(&st, RAW_TLS, srv.port, cred, NULL, 0, NULL, 0) != 0) {
            CHECK(0, "connection %d: no TLS connection to the server", i);
            e2e_raw_close(&st);
            break;
        }
        opened++;
        setsockopt(st.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (send_pieces(&r, &st, t)) {
            /* some clients close their side at once, some never read */
            if (chance(&r, 30))
                shutdown(st.fd, SHUT_WR);
            if (chance(&r, 90))
                drain(&st, by_status);
        }
        e2e_raw_close(&st);
    }
    printf("%d connections; answers read by status:", opened);
    for (int k = 0; k < 600; k++) {
        if (by_status[k])
            printf(" %d: %d", k, by_status[k]);
        answers += by_status[k];
    }
    printf("\n");
    CHECK(opened == GARBAGE_CONNECTIONS, "only %d of %d connections opened", opened, GARBAGE_CONNECTIONS);
    /* about one per connection; a client gives up after GARBAGE_READ_MS of
     * quiet, so a slow moment may cost a few */
    CHECK(answers > GARBAGE_CONNECTIONS / 4, "only %d answers on %d connections", answers, opened);
    /* the garbage reached the reviews, not only the HTTP parser */
    CHECK(by_status[200] > 0 && by_status[400] > 0 && by_status[415] > 0,
          "reviews answered %d, malformed bodies %d, wrong types %d: the mangling missed the webhook",
          by_status[200], by_status[400], by_status[415]);
    CHECK(by_status[500] == 0, "%d answers were 500", by_status[500]);

    /* every request the garbage started has ended once its client is gone */
    double in_flight = -1;
    for (int i = 0; i < 300; i++) {
        in_flight = e2e_metric_get(srv.health_port, "django_admission_in_flight_requests");
        if (in_flight == 0)
            break;
        e2e_sleep_ms(10);
    }
    CHECK(in_flight == 0, "%.0f requests still in flight after every client left", in_flight);

    /* and a well-formed review still gets exactly what `review` prints */
    if (e2e_client_init(&c, srv.port, pair.ca) == 0) {
        CURLcode rc = e2e_client_post(&c, "/mutate?timeout=10s", review, review_len);
        CHECK(rc == CURLE_OK && c.status == 200 && c.body.len == expected_len &&
                  memcmp(c.body.data, expected, c.body.len) == 0,
              "valid review after the garbage: %s status %ld", c.error, c.status);
        e2e_client_free(&c);
    } else {
        CHECK(0, "client init");
    }
out:
    free(t);
    if (cred)
        gnutls_certificate_free_credentials(cred);
    e2e_server_stop(&srv, 10000);
    free(review);
    free(expected);
}
