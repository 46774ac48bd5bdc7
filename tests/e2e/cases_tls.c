/* TLS cases: protocol versions and ciphers the server refuses (with
 * openssl s_client as an independent client, and openssl s_server as proof
 * that the same client does speak TLS 1.0/1.1), clients that stall
 * mid-handshake, mid-headers or mid-body while others are served, and
 * requests that arrive together with a TLS 1.3 KeyUpdate. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cases.h"
#include "harness.h"

/* ---- protocol versions ---- */

struct tls_row {
    const char *what;
    /* s_client options choosing the protocol and ciphers */
    const char *options;
    /* what s_client prints for the session it got ("Protocol  : TLSv1.2";
     * for TLS 1.3 the "New, TLSv1.3, ..." line, as it does not wait for the
     * session block); NULL = must be refused */
    const char *negotiated;
};

/* SECLEVEL=0 so the client itself would allow TLS 1.0/1.1 and SHA-1 */
static const struct tls_row tls_rows[] = {
    {"TLS 1.0", "-tls1 -cipher DEFAULT@SECLEVEL=0", NULL},
    {"TLS 1.1", "-tls1_1 -cipher DEFAULT@SECLEVEL=0", NULL},
    {"TLS 1.2, CBC ciphers only", "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA@SECLEVEL=0", NULL},
    {"TLS 1.2, static RSA key exchange only", "-tls1_2 -cipher AES128-GCM-SHA256:AES256-GCM-SHA384@SECLEVEL=0", NULL},
    {"TLS 1.2", "-tls1_2 -cipher DEFAULT@SECLEVEL=0", "Protocol  : TLSv1.2\n"},
    {"TLS 1.2, AES-128-GCM", "-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256", "Cipher    : ECDHE-ECDSA-AES128-GCM-SHA256\n"},
    {"TLS 1.3", "-tls1_3 -cipher DEFAULT@SECLEVEL=0", "New, TLSv1.3, Cipher is TLS_"},
};

/* Runs s_client against port; returns its exit status, output in *out
 * (caller frees). */
static int s_client(const struct e2e *e, int port, const char *ca, const char *options, char **out)
{
    char cmd[3 * PATH_MAX], path[PATH_MAX];
    static int serial;
    int rc;

    snprintf(path, sizeof(path), "%s/s_client-%d.out", e->tmp, serial++);
    snprintf(cmd, sizeof(cmd),
             "timeout 10 openssl s_client -connect 127.0.0.1:%d -servername %s -verify_hostname %s "
             "-CAfile '%s' -verify_return_error %s < /dev/null > '%s' 2>&1",
             port, E2E_HOST, E2E_HOST, ca, options, path);
    fflush(stdout);
    rc = system(cmd);
    *out = e2e_read_file(path, NULL);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static void check_row(const struct e2e *e, int port, const char *ca, const struct tls_row *r, const char *against)
{
    char *out = NULL;
    int rc = s_client(e, port, ca, r->options, &out);
    const char *text = out ? out : "";

    if (r->negotiated) {
        CHECK(rc == 0 && strstr(text, r->negotiated) && strstr(text, "Verify return code: 0 (ok)"),
              "%s against %s: expected \"%s\" and a verified certificate, got exit %d:\n%.1500s", r->what, against,
              r->negotiated, rc, text);
    } else {
        CHECK(rc != 0 && strstr(text, "Cipher is (NONE)"), "%s against %s: expected a refused handshake, got exit %d:\n%.1500s",
              r->what, against, rc, text);
    }
    free(out);
}

/* The control: an openssl s_server that offers exactly `version` must be
 * reached by the same client options, or the refusals above prove nothing. */
static void control(const struct e2e *e, const struct e2e_pair *pair, const char *version, const struct tls_row *row,
                    const char *negotiated)
{
    int port = e2e_free_port();
    char accept[64];
    pid_t pid;

    snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDWR);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        execlp("openssl", "openssl", "s_server", "-accept", accept, "-cert", pair->cert, "-key", pair->key, version,
               "-cipher", "DEFAULT@SECLEVEL=0", "-quiet", (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0, "fork: %s", strerror(errno));
    if (pid <= 0)
        return;
    int fd = -1;
    for (int i = 0; i < 500 && (fd = e2e_tcp_connect(port)) < 0; i++)
        e2e_sleep_ms(10);
    CHECK(fd >= 0, "openssl s_server %s did not listen on %d", version, port);
    if (fd >= 0) {
        close(fd);
        struct tls_row ok = {row->what, row->options, negotiated};
        check_row(e, port, pair->ca, &ok, "openssl s_server");
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* see cases.h */
void case_tls_versions(const struct e2e *e)
{
    struct e2e_pair pair;
    struct e2e_server srv;
    char dir[PATH_MAX];

    snprintf(dir, sizeof(dir), "%s/tls-certs", e->tmp);
    if (e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "tls-versions.log", pair.cert, pair.key, NULL) < 0) {
        CHECK(0, "setup failed");
        return;
    }
    for (size_t i = 0; i < sizeof(tls_rows) / sizeof(tls_rows[0]); i++)
        check_row(e, srv.port, pair.ca, &tls_rows[i], "serve");
    /* the server still answers after the refusals */
    CHECK(e2e_health_get(srv.health_port, "/health/ready", NULL) == 200, "not ready after the TLS probes");
    e2e_server_stop(&srv, 15000);
    control(e, &pair, "-tls1", &tls_rows[0], "Protocol  : TLSv1\n");
    control(e, &pair, "-tls1_1", &tls_rows[1], "Protocol  : TLSv1.1\n");
}

#define STALLED 20

/* see cases.h */
void case_stall(const struct e2e *e)
{
    static const enum e2e_raw_kind kinds[] = {RAW_TCP, RAW_HALF_HEADERS, RAW_HEADERS, RAW_HALF_BODY};
    struct e2e_pair pair;
    struct e2e_server srv;
    struct e2e_client c;
    struct e2e_raw st[STALLED];
    gnutls_certificate_credentials_t cred = NULL;
    char dir[PATH_MAX], path[PATH_MAX], head[512];
    size_t body_len = 0;
    char *body;
    int opened = 0, ok = 0;

    snprintf(path, sizeof(path), "%s/tests/fixtures/reviews/review-django.json", e->source_root);
    body = e2e_read_file(path, &body_len);
    snprintf(dir, sizeof(dir), "%s/stall-certs", e->tmp);
    if (!body || e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "stall.log", pair.cert, pair.key, NULL) < 0) {
        CHECK(0, "setup failed");
        free(body);
        return;
    }
    size_t head_len = (size_t)snprintf(head, sizeof(head),
                                       "POST /mutate?timeout=10s HTTP/1.1\r\nHost: %s:%d\r\n"
                                       "Content-Type: application/json\r\nAccept: application/json, */*\r\n"
                                       "Content-Length: %zu\r\n\r\n",
                                       E2E_HOST, srv.port, body_len);
    if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
        gnutls_certificate_set_x509_trust_file(cred, pair.ca, GNUTLS_X509_FMT_PEM) <= 0) {
        CHECK(0, "GnuTLS credentials");
        goto out;
    }
    /* far more stalled connections than worker threads (one per core) */
    for (int i = 0; i < STALLED; i++) {
        int rc = e2e_raw_open(&st[i], kinds[i % 4], srv.port, cred, head, head_len, body, body_len);
        CHECK(rc == 0, "stalled client %d (kind %d) could not get as far as it should", i, (int)kinds[i % 4]);
        opened = i + 1;
        if (rc < 0)
            goto out;
    }
    /* the ones past their headers are requests in flight */
    double in_flight = -1;
    for (int i = 0; i < 200; i++) {
        in_flight = e2e_metric_get(srv.health_port, "django_admission_in_flight_requests");
        if (in_flight >= STALLED / 2)
            break;
        e2e_sleep_ms(10);
    }
    CHECK(in_flight >= STALLED / 2, "in-flight gauge %.0f while %d requests stall after their headers", in_flight,
          STALLED / 2);

    /* others are served promptly meanwhile: new connections and a kept-alive one */
    if (e2e_client_init(&c, srv.port, pair.ca) == 0) {
        curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, 5000L);
        for (int i = 0; i < 30; i++) {
            curl_easy_setopt(c.h, CURLOPT_FRESH_CONNECT, i < 15 ? 1L : 0L);
            CURLcode rc = e2e_client_post(&c, i % 2 ? "/validate?timeout=10s" : "/mutate?timeout=10s", body, body_len);
            int allowed = -1;
            const char *uid = NULL;
            cJSON *j = rc == CURLE_OK ? e2e_parse_review(c.body.data, c.body.len, &uid, &allowed) : NULL;
            CHECK(j && c.status == 200 && allowed == !(i % 2), "request %d while clients stall: %s status %ld", i,
                  c.error, c.status);
            ok += j != NULL;
            cJSON_Delete(j);
        }
        e2e_client_free(&c);
    }
    CHECK(ok == 30, "%d of 30 requests served while %d clients stall", ok, STALLED);

    /* the stalled requests were only waiting: finishing them gets answers */
    for (int i = 0; i < opened; i++) {
        if (st[i].kind != RAW_HEADERS && st[i].kind != RAW_HALF_BODY)
            continue;
        struct e2e_buf answer = {0};
        /* some send the rest and close their side before reading: the
         * answer must still come (it is never held back for a batch on a
         * connection the client is closing, tlsconn.h) */
        bool half_close = st[i].kind == RAW_HEADERS && (i / 4) % 2 == 0;
        if (half_close) {
            const char *p = body + st[i].sent;
            size_t n = body_len - st[i].sent;
            while (n > 0) {
                ssize_t r = gnutls_record_send(st[i].tls, p, n);
                if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
                    continue;
                if (r <= 0)
                    break;
                p += r;
                n -= (size_t)r;
            }
            st[i].sent = body_len - n;
            shutdown(st[i].fd, SHUT_WR);
        }
        int status = e2e_raw_finish(&st[i], body, body_len, &answer);
        int allowed = -1;
        const char *uid = NULL;
        cJSON *j = status == 200 ? e2e_parse_review(answer.data, answer.len, &uid, &allowed) : NULL;
        CHECK(j && allowed == 1 && strcmp(uid, "705ab4f5-6393-11e8-b7cc-42010a800002") == 0,
              "stalled client %d (kind %d%s) finished: status %d, %.200s", i, (int)st[i].kind,
              half_close ? ", half-closed" : "", status, answer.data ? answer.data : "");
        cJSON_Delete(j);
        e2e_buf_free(&answer);
    }
out:
    for (int i = 0; i < opened; i++)
        e2e_raw_close(&st[i]);
    if (cred)
        gnutls_certificate_free_credentials(cred);
    free(body);
    e2e_server_stop(&srv, 15000);
}

/* ---- TLS 1.3 KeyUpdate ---- */

#define KEY_UPDATES 6
/* well under the server's idle timeout: a request left unread would wait
 * for that */
#define KEY_UPDATE_WAIT_S 5

/* see cases.h */
void case_key_update(const struct e2e *e)
{
    struct e2e_pair pair;
    struct e2e_server srv;
    gnutls_certificate_credentials_t cred = NULL;
    char dir[PATH_MAX], path[PATH_MAX], head[512];
    size_t body_len = 0, request_len;
    char *body, *request = NULL;
    int answered = 0;

    snprintf(path, sizeof(path), "%s/tests/fixtures/reviews/review-django.json", e->source_root);
    body = e2e_read_file(path, &body_len);
    snprintf(dir, sizeof(dir), "%s/key-update-certs", e->tmp);
    if (!body || e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "key-update.log", pair.cert, pair.key, NULL) < 0) {
        CHECK(0, "setup failed");
        free(body);
        return;
    }
    int head_len = snprintf(head, sizeof(head),
                            "POST /mutate?timeout=10s HTTP/1.1\r\nHost: %s:%d\r\n"
                            "Content-Type: application/json\r\nAccept: application/json, */*\r\n"
                            "Content-Length: %zu\r\n\r\n",
                            E2E_HOST, srv.port, body_len);
    request_len = (size_t)head_len + body_len;
    request = malloc(request_len);
    if (!request || gnutls_certificate_allocate_credentials(&cred) < 0 ||
        gnutls_certificate_set_x509_trust_file(cred, pair.ca, GNUTLS_X509_FMT_PEM) <= 0) {
        CHECK(0, "GnuTLS credentials");
        goto out;
    }
    memcpy(request, head, (size_t)head_len);
    memcpy(request + head_len, body, body_len);

    /* A KeyUpdate and the request behind it in one TCP segment (the cork
     * holds both until the kernel sends them together, 200 ms later), so
     * the server reads them with one read: GnuTLS says "again" after the
     * KeyUpdate with the request already read, and the socket will not
     * become readable again. Two requests per connection, the second one
     * asking the server to update its keys too. */
    for (int i = 0; i < KEY_UPDATES; i++) {
        struct e2e_raw st;
        struct timeval wait = {KEY_UPDATE_WAIT_S, 0};

        if (e2e_raw_open(&st, RAW_TLS, srv.port, cred, NULL, 0, NULL, 0) != 0) {
            CHECK(0, "client %d: no TLS connection", i);
            e2e_raw_close(&st);
            continue;
        }
        CHECK(gnutls_protocol_get_version(st.tls) == GNUTLS_TLS1_3, "client %d: not TLS 1.3", i);
        setsockopt(st.fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
        for (int round = 0; round < 2; round++) {
            struct e2e_buf answer = {0};
            int cork = 1, allowed = -1;
            const char *uid = NULL;

            setsockopt(st.fd, IPPROTO_TCP, TCP_CORK, &cork, sizeof(cork));
            int rc = gnutls_session_key_update(st.tls, round ? GNUTLS_KU_PEER : 0);
            CHECK(rc == 0, "client %d: key update: %s", i, gnutls_strerror(rc));
            st.sent = 0;
            int status = e2e_raw_finish(&st, request, request_len, &answer);
            cJSON *j = status == 200 ? e2e_parse_review(answer.data, answer.len, &uid, &allowed) : NULL;
            CHECK(j && allowed == 1, "client %d, request %d after a KeyUpdate in the same packet: %s %d", i,
                  round + 1, status < 0 ? "no answer in time, status" : "status", status);
            answered += j != NULL;
            cJSON_Delete(j);
            e2e_buf_free(&answer);
            if (status < 0)
                break;
        }
        e2e_raw_close(&st);
    }
    CHECK(answered == 2 * KEY_UPDATES, "%d of %d requests behind a KeyUpdate answered", answered, 2 * KEY_UPDATES);
out:
    if (cred)
        gnutls_certificate_free_credentials(cred);
    free(request);
    free(body);
    e2e_server_stop(&srv, 15000);
}
