#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "admission.h"
#include "cpus.h"
#include "fdlimit.h"
#include "input.h"
#include "jsonlog.h"
#include "metrics.h"
#include "policystore.h"
#include "reqarena.h"
#include "tlsconn.h"
#include "tlsstore.h"

/* TLS 1.2 and 1.3 only, AEAD ciphers only, ECDHE only: what the API server's
 * Go client offers, and nothing an auditor would flag. */
static const char tls_priorities[] =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE";

/* Per-connection memory for libmicrohttpd: request line and headers (the
 * API server sends a few hundred bytes) plus room to receive body chunks. */
#define SERVER_CONNECTION_MEMORY (16 * 1024)

/* Bodies above SERVER_BODY_MAX up to this size are read and dropped before
 * the 413 (see on_webhook). */
#define SERVER_DISCARD_MAX (2 * SERVER_BODY_MAX)

/* A webhook worker: its daemon, run by its own thread (worker_main), and
 * the answers it will send at the end of the current event-loop pass. */
struct worker {
    struct server *server;
    struct MHD_Daemon *daemon;
    pthread_t thread;
    bool running;
    struct tlsconn_batch batch;
    /* answers completed in the current pass of the event loop, and whether
     * the last pass was busy: only then are answers batched (at light load
     * a batch would only add latency) */
    unsigned int pass_answers;
    bool busy;
    /* the listening socket MHD_quiesce_daemon handed back; closed once the
     * daemon stopped */
    MHD_socket quiesced;
    atomic_bool quiesce_done;
};

struct server {
    const struct server_config *config;
    struct metrics metrics;
    /* the policy requests use, replaced on reload */
    struct policystore policies;
    char *client_ca_pem;
    atomic_bool ready;
    atomic_bool draining;
    /* one single-threaded daemon per worker, each with its own listening
     * socket on the same port (SO_REUSEPORT), so the kernel spreads new
     * connections over the workers: under a thread pool sharing one socket,
     * the worker that wakes first can take a whole burst of connections and
     * leave the other cores idle */
    struct worker workers[SERVER_WORKERS_MAX];
    unsigned int worker_count;
    /* set by drain: each worker stops accepting (in its own thread: a
     * daemon without an internal thread is driven by one thread only) */
    atomic_bool quiesce;
    atomic_bool stopping;
    struct MHD_Daemon *health;
};

/* Per-request state: created on the first callback, freed only in the
 * completion callback. */
struct request {
    enum metrics_endpoint endpoint;
    char *body;
    size_t len;
    size_t cap;
    bool too_large;
    /* body bytes received, kept or dropped */
    size_t received;
    /* the response was already queued (an early 4xx) */
    bool answered;
    /* HTTP/1.1 without "Connection: close": the connection stays open */
    bool keep_alive;
    /* the answer may wait for the worker's batch (tlsconn.h): reviewed, on
     * a connection that stays open */
    bool batchable;
    struct timespec start;
};

/* The worker whose thread this is; NULL in other threads (the main thread
 * runs callbacks only while stopping the daemons). */
static _Thread_local struct worker *this_worker;

/* ---- logging: one JSON object per line on stderr (jsonlog.h) ---- */

static cJSON *log_start(const struct server *s, enum log_level level, const char *msg)
{
    return jsonlog_open(s->config->log_level, level, false, msg);
}

/* Lifecycle lines (listening, draining, stopped: three per process) are
 * written at every log level: the bound ports and the shutdown are what an
 * operator must always be able to see. */
static cJSON *log_lifecycle(const struct server *s, const char *msg)
{
    return jsonlog_open(s->config->log_level, LOG_INFO, true, msg);
}

static void log_diag(const struct server *s, enum log_level level, const char *msg, const struct diag *d)
{
    char text[DIAG_FILE_MAX + DIAG_POINTER_MAX + DIAG_MESSAGE_MAX + 32];
    cJSON *line = log_start(s, level, msg);

    if (!line)
        return;
    if (d)
        cJSON_AddStringToObject(line, "error", diag_format(d, text, sizeof(text)));
    jsonlog_emit(line);
}

/* A corked answer that could not be sent (tlsconn_flush gave up and shut
 * the connection, or the connection failed). */
static void log_undelivered(const struct server *s)
{
    cJSON *line = log_start(s, LOG_WARN, "connection closed: the client did not take the answer");

    if (line)
        jsonlog_emit(line);
}

static void log_review(const struct server *s, enum metrics_endpoint e, const struct admission_outcome *o,
                       unsigned long long latency_us)
{
    cJSON *line = log_start(s, LOG_INFO, "review");
    cJSON *rules;

    if (!line)
        return;
    cJSON_AddStringToObject(line, "endpoint", e == ENDPOINT_MUTATE ? "mutate" : "validate");
    cJSON_AddStringToObject(line, "uid", o->uid);
    cJSON_AddStringToObject(line, "kind", o->kind);
    cJSON_AddStringToObject(line, "namespace", o->namespace_);
    cJSON_AddStringToObject(line, "name", o->name);
    cJSON_AddStringToObject(line, "operation", o->operation);
    cJSON_AddBoolToObject(line, "dryRun", o->dry_run);
    cJSON_AddStringToObject(line, "decision", admission_decision_name(o->decision));
    rules = cJSON_AddArrayToObject(line, "rules");
    for (size_t i = 0; rules && i < o->findings.count; i++)
        cJSON_AddItemToArray(rules, cJSON_CreateString(rules_get(o->findings.items[i].rule)->name));
    cJSON_AddNumberToObject(line, "patchOperations", (double)o->patch_ops);
    cJSON_AddNumberToObject(line, "latencyMicroseconds", (double)latency_us);
    jsonlog_emit(line);
}

/* ---- reloads ---- */

/* Logs and counts what policystore_refresh did (rc as it returns). */
static void policy_refreshed(struct server *s, int rc, const char *why, const struct diag *d)
{
    if (rc < 0) {
        atomic_fetch_add(&s->metrics.reloads[RELOAD_POLICY][1], 1);
        log_diag(s, LOG_ERROR, "policy reload failed; keeping the previous policy", d);
    } else if (rc > 0) {
        atomic_fetch_add(&s->metrics.reloads[RELOAD_POLICY][0], 1);
        cJSON *line = log_start(s, LOG_INFO, "policy reloaded");
        if (line) {
            cJSON_AddStringToObject(line, "trigger", why);
            cJSON_AddStringToObject(line, "path", s->config->policy_path);
            jsonlog_emit(line);
        }
    }
}

static void watch_files(struct server *s)
{
    struct diag d;
    int rc;

    diag_clear(&d);
    rc = policystore_refresh(&s->policies, false, &d);
    policy_refreshed(s, rc, "file change", &d);
    diag_clear(&d);
    rc = tlsstore_refresh(&d);
    if (rc > 0) {
        atomic_fetch_add(&s->metrics.reloads[RELOAD_CERTIFICATE][0], 1);
        atomic_store(&s->metrics.cert_not_after, tlsstore_not_after());
        cJSON *line = log_start(s, LOG_INFO, "certificate reloaded");
        if (line) {
            cJSON_AddNumberToObject(line, "notAfter", (double)tlsstore_not_after());
            jsonlog_emit(line);
        }
    } else if (rc < 0) {
        atomic_fetch_add(&s->metrics.reloads[RELOAD_CERTIFICATE][1], 1);
        log_diag(s, LOG_ERROR, "certificate reload failed; keeping the previous certificate", &d);
    }
}

/* ---- HTTP ---- */

/* The connection's transport (tlsconn.h), NULL when it could not be set up. */
static struct tlsconn *conn_tls(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info ? info->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    const struct server *s = cls;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *session = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        /* without it the connection works as libmicrohttpd set it up */
        if (session && session->tls_session && fd)
            *socket_context = tlsconn_attach((gnutls_session_t)session->tls_session, fd->connect_fd);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        /* the session is already gone: nothing can be sent any more */
        if (this_worker && tlsconn_batch_closed(&this_worker->batch, *socket_context))
            log_undelivered(s);
        tlsconn_free(*socket_context);
        *socket_context = NULL;
    }
}

/* Queues r, corked into one TLS record (tlsconn.h) that on_completed
 * sends. libmicrohttpd notifies completion before it closes a connection
 * that ends with this answer (and, with MHD_USE_TURBO, sends no TLS
 * close_notify first), so "Connection: close" answers are corked too; the
 * end-to-end tests check they arrive whole. */
static enum MHD_Result queue_answer(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r,
                                    size_t body_len)
{
    struct tlsconn *t = conn_tls(c);
    /* the header block libmicrohttpd adds is a few hundred bytes */
    bool corked = tlsconn_cork(t, body_len + 512);
    enum MHD_Result ret = MHD_queue_response(c, status, r);

    if (ret != MHD_YES && corked)
        tlsconn_flush(t);
    return ret;
}

/* Answers with body (taken: freed by the response, or here on failure;
 * else copied), plus an Allow header when allow is set. */
static enum MHD_Result send_bytes(struct server *s, struct MHD_Connection *c, unsigned int status,
                                  const char *content_type, const char *allow, char *body, size_t len,
                                  bool take)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, take ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!r) {
        if (take)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    /* while draining, move clients off this pod one response at a time */
    if (atomic_load(&s->draining))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = queue_answer(c, status, r, len);
    MHD_destroy_response(r);
    return ret;
}

/* An HTTP-level refusal: {"code":N,"error":"..."} like admission's 400s. */
static enum MHD_Result send_error(struct server *s, struct MHD_Connection *c, unsigned int status,
                                  const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result send_error(struct server *s, struct MHD_Connection *c, unsigned int status,
                                  const char *allow, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    struct admission_outcome out;
    enum MHD_Result ret;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    metrics_http_error(&s->metrics, (int)status);
    memset(&out, 0, sizeof(out));
    if (admission_error((int)status, message, &out) < 0 || !out.body) {
        admission_outcome_free(&out);
        return MHD_NO;
    }
    ret = send_bytes(s, c, status, "application/json", allow, out.body, out.body_len, true);
    out.body = NULL; /* the response owns it now */
    admission_outcome_free(&out);
    return ret;
}

/* Whether a comma-separated header value lists token (any case). */
static bool has_token(const char *value, const char *token)
{
    size_t n = strlen(token);

    while (value && *value) {
        size_t len;

        value += strspn(value, " \t,");
        len = strcspn(value, ",");
        while (len && (value[len - 1] == ' ' || value[len - 1] == '\t'))
            len--;
        if (len == n && strncasecmp(value, token, n) == 0)
            return true;
        value += strcspn(value, ",");
    }
    return false;
}

/* application/json, with or without parameters (charset=utf-8) */
static bool is_json_type(const char *ct)
{
    size_t n = strlen("application/json");

    if (!ct || strncasecmp(ct, "application/json", n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static bool client_cert_ok(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    unsigned int status = 0, count = 0;
    gnutls_session_t session;

    if (!info || !info->tls_session)
        return false;
    session = (gnutls_session_t)info->tls_session;
    if (!gnutls_certificate_get_peers(session, &count) || count == 0)
        return false;
    if (gnutls_certificate_verify_peers2(session, &status) < 0)
        return false;
    return status == 0;
}

static unsigned long long elapsed_us(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long long)((now.tv_sec - start->tv_sec) * 1000000LL + (now.tv_nsec - start->tv_nsec) / 1000);
}

static enum MHD_Result review(struct server *s, struct MHD_Connection *c, struct request *rq)
{
    struct admission_outcome out;
    struct policystore_slot *held;
    const struct policy *policy = policystore_acquire(&s->policies, &held);
    enum admission_mode mode = rq->endpoint == ENDPOINT_MUTATE ? ADMISSION_MUTATE : ADMISSION_VALIDATE;
    enum MHD_Result ret;
    int rc;

    /* the request's cJSON trees in this thread's arena (reqarena.h); the
     * outcome is plain malloc and outlives it */
    struct reqarena *arena = reqarena_thread();
    unsigned flags = reqarena_enter(arena) == 0 ? ADMISSION_IN_ARENA : 0;
    rc = admission_review_flags(policy, mode, rq->body ? rq->body : "", rq->len, flags, &out);
    reqarena_leave(arena);
    policystore_release(held);
    if (rc < 0 || !out.body) {
        admission_outcome_free(&out);
        return send_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory reviewing the request");
    }
    unsigned long long us = elapsed_us(&rq->start);
    if (out.http_status == 200) {
        metrics_observe(&s->metrics, rq->endpoint, &out, us);
        log_review(s, rq->endpoint, &out, us);
    } else {
        metrics_http_error(&s->metrics, out.http_status);
        cJSON *line = log_start(s, LOG_WARN, "bad request");
        if (line) {
            cJSON_AddNumberToObject(line, "status", out.http_status);
            cJSON_AddStringToObject(line, "uid", out.uid);
            jsonlog_emit(line);
        }
    }
    /* send_bytes adds "Connection: close" while draining */
    rq->batchable = rq->keep_alive && !atomic_load(&s->draining);
    ret = send_bytes(s, c, (unsigned int)out.http_status, "application/json", NULL, out.body, out.body_len, true);
    out.body = NULL; /* the response owns it now */
    admission_outcome_free(&out);
    return ret;
}

static enum MHD_Result on_webhook(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct server *s = cls;
    struct request *rq = *con_cls;

    if (!rq) {
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        rq->keep_alive = strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
                         !has_token(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION),
                                    "close");
        clock_gettime(CLOCK_MONOTONIC, &rq->start);
        atomic_fetch_add(&s->metrics.in_flight, 1);
        rq->answered = true;
        if (strcmp(url, "/mutate") == 0)
            rq->endpoint = ENDPOINT_MUTATE;
        else if (strcmp(url, "/validate") == 0)
            rq->endpoint = ENDPOINT_VALIDATE;
        else
            return send_error(s, c, MHD_HTTP_NOT_FOUND, NULL, "no such endpoint %.200s: use /mutate or /validate",
                              url);
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return send_error(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST", "method %.32s not allowed on %s: use POST",
                              method, url);
        if (s->client_ca_pem && !client_cert_ok(c))
            return send_error(s, c, MHD_HTTP_UNAUTHORIZED, NULL,
                              "a client certificate signed by the configured client CA is required");
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_type(ct))
            return send_error(s, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
                              "content type %.100s not supported: send application/json",
                              ct ? ct : "(none)");
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        /* answering before the body closes the connection with the body
         * unread, and the client, still sending, may get a reset instead
         * of the 413: only a client that waits (Expect: 100-continue) or a
         * body too large to drop is answered at once; others are read to
         * the end below */
        if (declared > SERVER_BODY_MAX &&
            ((expect && strcasecmp(expect, "100-continue") == 0) || declared > SERVER_DISCARD_MAX))
            return send_error(s, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                              "request body of %.30s bytes is larger than the limit of %zu bytes", cl,
                              SERVER_BODY_MAX);
        rq->answered = false;
        return MHD_YES;
    }
    if (rq->answered)
        return MHD_YES;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        rq->received += n;
        if (rq->too_large || rq->len + n > SERVER_BODY_MAX) {
            /* chunked bodies have no Content-Length: read and drop the
             * rest, then refuse; one that goes on past what we are
             * willing to drop loses its connection */
            if (rq->received > SERVER_DISCARD_MAX)
                return MHD_NO;
            rq->too_large = true;
            free(rq->body);
            rq->body = NULL;
            rq->len = rq->cap = 0;
            return MHD_YES;
        }
        if (rq->len + n > rq->cap) {
            size_t ncap = rq->cap ? rq->cap : 8192;
            while (ncap < rq->len + n)
                ncap *= 2;
            if (ncap > SERVER_BODY_MAX)
                ncap = SERVER_BODY_MAX;
            char *nb = realloc(rq->body, ncap);
            if (!nb)
                return MHD_NO;
            rq->body = nb;
            rq->cap = ncap;
        }
        memcpy(rq->body + rq->len, upload_data, n);
        rq->len += n;
        return MHD_YES;
    }
    rq->answered = true;
    if (rq->too_large)
        return send_error(s, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                          "request body is larger than the limit of %zu bytes", SERVER_BODY_MAX);
    return review(s, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct request *rq = *con_cls;
    struct tlsconn *t = conn_tls(c);
    int failed;

    /* the answer, corked in queue_answer, goes out as one record: now, or
     * with the worker's batch when the worker is busy and the connection
     * stays open (libmicrohttpd drops what is still corked when it closes
     * a connection) */
    if (!this_worker) {
        failed = tlsconn_flush(t) != 0;
    } else {
        this_worker->pass_answers++;
        if (rq && rq->batchable && this_worker->busy && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK &&
            !tlsconn_peer_closed(t))
            failed = tlsconn_batch_add(&this_worker->batch, t);
        else
            failed = tlsconn_batch_remove(&this_worker->batch, t) != 0;
    }
    if (failed && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        log_undelivered(s);
    if (!rq)
        return;
    atomic_fetch_sub(&s->metrics.in_flight, 1);
    free(rq->body);
    free(rq);
    *con_cls = NULL;
}

static enum MHD_Result on_health(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct server *s = cls;
    static int first_call_marker;

    (void)version;
    (void)upload_data;
    if (!*con_cls) {
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    *upload_data_size = 0;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return send_error(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET, HEAD", "method %.32s not allowed: use GET",
                          method);
    if (strcmp(url, "/health/live") == 0)
        return send_bytes(s, c, MHD_HTTP_OK, "text/plain", NULL, (char *)"ok\n", 3, false);
    if (strcmp(url, "/health/ready") == 0) {
        if (atomic_load(&s->ready))
            return send_bytes(s, c, MHD_HTTP_OK, "text/plain", NULL, (char *)"ready\n", 6, false);
        const char *why = atomic_load(&s->draining) ? "draining\n" : "starting\n";
        return send_bytes(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", NULL, (char *)why, strlen(why), false);
    }
    if (strcmp(url, "/metrics") == 0) {
        size_t len = 0;
        char *text = metrics_render(&s->metrics, DA_VERSION, &len);
        if (!text)
            return send_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory rendering metrics");
        return send_bytes(s, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", NULL, text, len, true);
    }
    return send_error(s, c, MHD_HTTP_NOT_FOUND, NULL, "no such endpoint %.200s: use /health/live, /health/ready or /metrics",
                      url);
}

/* ---- listening addresses ---- */

/* A listening address and the libmicrohttpd flags it needs. */
struct listen_addr {
    struct sockaddr_storage ss;
    /* 0 (IPv4), MHD_USE_IPv6 (IPv6 only) or MHD_USE_DUAL_STACK (both) */
    unsigned int flags;
};

/* Parses "ADDR:PORT", ":PORT" (every address, IPv6 and IPv4, as Go
 * servers such as the API server's other webhooks listen: a pod in an
 * IPv6 or dual-stack cluster is called on its IPv6 address) or
 * "[V6]:PORT" (that IPv6 address only; numeric addresses only: a webhook
 * binds to an interface, not a name). */
static int parse_listen(const char *text, struct listen_addr *l, struct diag *d)
{
    struct sockaddr_storage *ss = &l->ss;
    char host[128];
    const char *colon, *port_text;
    char *end;
    unsigned long port;
    bool v6;

    memset(l, 0, sizeof(*l));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
            return diag_set(d, NULL, "invalid listen address \"%s\": expected [IPV6]:PORT", text);
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port_text = close + 2;
        v6 = true;
    } else {
        colon = strrchr(text, ':');
        if (!colon || (size_t)(colon - text) >= sizeof(host))
            return diag_set(d, NULL, "invalid listen address \"%s\": expected ADDR:PORT or :PORT", text);
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        port_text = colon + 1;
        v6 = false;
    }
    errno = 0;
    port = strtoul(port_text, &end, 10);
    if (!*port_text || *end || errno || port > 65535)
        return diag_set(d, NULL, "invalid port in listen address \"%s\"", text);
    if (v6 || host[0] == '\0') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        l->flags = v6 ? MHD_USE_IPv6 : MHD_USE_DUAL_STACK;
        if (!v6)
            a->sin6_addr = in6addr_any;
        else if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return diag_set(d, NULL, "invalid IPv6 address in \"%s\"", text);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return diag_set(d, NULL, "invalid IPv4 address in \"%s\" (use [ADDR]:PORT for IPv6)", text);
    }
    return 0;
}

/* Turns "every address" into every IPv4 address on a host without IPv6 (a
 * kernel booted with ipv6.disable=1); false for any other address, or
 * where IPv6 works (the listen failed for another reason, which stands). */
static bool listen_without_ipv6(struct listen_addr *l)
{
    struct sockaddr_in6 any6 = *(struct sockaddr_in6 *)&l->ss;
    struct sockaddr_in *a = (struct sockaddr_in *)&l->ss;
    int probe;

    if (l->flags != MHD_USE_DUAL_STACK)
        return false;
    probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0) {
        close(probe);
        return false;
    }
    memset(&l->ss, 0, sizeof(l->ss));
    a->sin_family = AF_INET;
    a->sin_port = any6.sin6_port;
    a->sin_addr.s_addr = htonl(INADDR_ANY);
    l->flags = 0;
    return true;
}

static unsigned int bound_port(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

static void log_mhd(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    struct server *s = cls;
    char text[512];
    cJSON *line = log_start(s, LOG_DEBUG, "libmicrohttpd");

    if (!line)
        return;
    vsnprintf(text, sizeof(text), fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    cJSON_AddStringToObject(line, "detail", text);
    jsonlog_emit(line);
}

/* The webhook daemon of one worker, listening on addr (whose port is set:
 * all workers share it). */
static struct MHD_Daemon *start_webhook(struct server *s, struct listen_addr *addr, unsigned int connection_limit)
{
    const struct server_config *c = s->config;
    /* no internal thread: worker_main drives it */
    unsigned int flags = MHD_USE_TLS | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_TURBO;
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &addr->ss},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)tls_priorities},
        {MHD_OPTION_CONNECTION_LIMIT, connection_limit, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout, NULL},
        /* each connection's buffer for request headers and body chunks
         * (the body is copied out as it comes); libmicrohttpd clears it
         * for every request, so the default 32 KiB costs a memset each */
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, SERVER_CONNECTION_MEMORY, NULL},
        /* SO_REUSEPORT: every worker binds the same port */
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
        {s->client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, s->client_ca_pem},
        {MHD_OPTION_END, 0, NULL},
    };

    /* function pointers go through the varargs: an option array only
     * carries object pointers */
    return MHD_start_daemon(flags | addr->flags, 0, NULL, NULL, on_webhook, s,
                            MHD_OPTION_EXTERNAL_LOGGER, log_mhd, s,
                            MHD_OPTION_HTTPS_CERT_CALLBACK, tlsstore_retrieve,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

static void set_port(struct sockaddr_storage *ss, unsigned int port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

/* How long a worker waits in one pass for events; also how soon it sees a
 * request to stop accepting or to stop. */
#define WORKER_WAIT_MS 100
/* A pass that completed this many answers makes the next pass batch its
 * answers (tlsconn.h). */
#define WORKER_BUSY_PASS 3
/* The scheduler slice a worker asks for (request_short_slice). */
#define WORKER_SLICE_NS (100 * 1000ULL)

/* sched_setattr(2)'s argument (glibc has no wrapper, and <linux/sched/types.h>
 * clashes with <sched.h>). */
struct sched_attr_v1 {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

/* Asks the scheduler for a short slice for this thread. Under EEVDF (Linux
 * 6.12 and later) a task that asks for a shorter slice gets an earlier
 * deadline when it wakes, so it runs sooner beside CPU-bound neighbours; a
 * worker wakes for bursts of tens of microseconds, and the answer waits on
 * it (p99 under load about 10 % lower here, throughput the same). Any user
 * may ask; older kernels ignore or refuse it, which changes nothing else. */
static void request_short_slice(void)
{
    struct sched_attr_v1 attr;

    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.sched_policy = SCHED_OTHER;
    attr.sched_runtime = WORKER_SLICE_NS;
    (void)syscall(SYS_sched_setattr, 0, &attr, 0);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct server *s = w->server;

    this_worker = w;
    request_short_slice();
    while (!atomic_load(&s->stopping)) {
        MHD_run_wait(w->daemon, WORKER_WAIT_MS);
        w->busy = w->pass_answers >= WORKER_BUSY_PASS;
        w->pass_answers = 0;
        if (tlsconn_batch_flush(&w->batch) > 0)
            log_undelivered(s);
        if (atomic_load(&s->quiesce) && !atomic_load(&w->quiesce_done)) {
            /* stop accepting; connections still waiting in the backlog are
             * refused now, so their clients go to another endpoint */
            w->quiesced = MHD_quiesce_daemon(w->daemon);
            if (w->quiesced != MHD_INVALID_SOCKET)
                shutdown(w->quiesced, SHUT_RDWR);
            atomic_store(&w->quiesce_done, true);
        }
    }
    tlsconn_batch_flush(&w->batch);
    this_worker = NULL;
    return NULL;
}

static struct MHD_Daemon *start_health(struct server *s, const struct listen_addr *addr,
                                        struct MHD_OptionItem *options)
{
    return MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | addr->flags, 0, NULL, NULL, on_health, s,
                            MHD_OPTION_EXTERNAL_LOGGER, log_mhd, s, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

static int start_daemons(struct server *s, struct diag *d)
{
    const struct server_config *c = s->config;
    struct listen_addr web_addr, health_addr;
    /* two per core: a worker answers the requests of one event-loop pass
     * one after the other, and with two the scheduler interleaves passes,
     * so an answer waits less behind the rest of a pass (p99 under load) */
    unsigned int workers = c->threads ? c->threads : 2 * cpus_usable(SERVER_WORKERS_MAX / 2);
    unsigned int per_worker;
    struct fdlimit_plan files;

    if (workers > SERVER_WORKERS_MAX)
        workers = SERVER_WORKERS_MAX;
    fdlimit_fit(c->connection_limit, &files);
    if (files.lowered) {
        cJSON *line = log_start(s, LOG_WARN, "open-file limit too low for the connection limit: lowered");
        if (line) {
            cJSON_AddNumberToObject(line, "openFileLimit", (double)files.soft);
            cJSON_AddNumberToObject(line, "connectionLimit", files.connections);
            cJSON_AddNumberToObject(line, "configured", c->connection_limit);
            jsonlog_emit(line);
        }
    }
    /* the connection limit is the whole server's, split evenly */
    per_worker = files.connections / workers ? files.connections / workers : 1;
    if (parse_listen(c->listen, &web_addr, d) < 0 || parse_listen(c->health_listen, &health_addr, d) < 0)
        return -1;
    for (unsigned int i = 0; i < workers; i++) {
        struct worker *w = &s->workers[i];

        w->server = s;
        w->daemon = start_webhook(s, &web_addr, per_worker);
        if (!w->daemon && i == 0 && listen_without_ipv6(&web_addr))
            w->daemon = start_webhook(s, &web_addr, per_worker);
        if (!w->daemon)
            return diag_set(d, NULL, "cannot listen on %s (address in use, or not an address of this host?)",
                            c->listen);
        s->worker_count = i + 1;
        /* ":0" asks for any free port: the other workers take the same */
        if (i == 0)
            set_port(&web_addr.ss, bound_port(w->daemon));
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return diag_set(d, NULL, "cannot start worker thread %u", i);
        w->running = true;
    }
    struct MHD_OptionItem health_options[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &health_addr.ss},
        {MHD_OPTION_CONNECTION_LIMIT, 64, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->health = start_health(s, &health_addr, health_options);
    if (!s->health && listen_without_ipv6(&health_addr))
        s->health = start_health(s, &health_addr, health_options);
    if (!s->health)
        return diag_set(d, NULL, "cannot listen on %s (address in use, or not an address of this host?)",
                        c->health_listen);
    cJSON *line = log_lifecycle(s, "listening");
    if (line) {
        cJSON_AddNumberToObject(line, "port", bound_port(s->workers[0].daemon));
        cJSON_AddNumberToObject(line, "healthPort", bound_port(s->health));
        cJSON_AddNumberToObject(line, "threads", workers);
        cJSON_AddNumberToObject(line, "connectionLimit", per_worker * workers);
        cJSON_AddStringToObject(line, "version", DA_VERSION);
        jsonlog_emit(line);
    }
    return 0;
}

/* see server.h */
void server_config_default(struct server_config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen = ":8443";
    c->health_listen = ":8080";
    c->drain_seconds = 5;
    c->log_level = LOG_INFO;
    c->connection_limit = 1024;
    c->idle_timeout = 30;
    c->watch_interval_ms = 1000;
}

static void stop_daemons(struct server *s)
{
    atomic_store(&s->stopping, true);
    for (unsigned int i = 0; i < s->worker_count; i++)
        if (s->workers[i].running)
            pthread_join(s->workers[i].thread, NULL);
    for (unsigned int i = 0; i < s->worker_count; i++)
        MHD_stop_daemon(s->workers[i].daemon);
    s->worker_count = 0;
    if (s->health)
        MHD_stop_daemon(s->health);
    s->health = NULL;
}

/* Waits for a signal or the watch interval; returns the signal or 0. */
static int wait_signal(const sigset_t *set, unsigned int ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);
    return sig < 0 ? 0 : sig;
}

static void drain(struct server *s, const sigset_t *set)
{
    struct timespec start, now;
    cJSON *line;

    atomic_store(&s->ready, false);
    atomic_store(&s->draining, true);
    line = log_lifecycle(s, "draining");
    if (line) {
        cJSON_AddNumberToObject(line, "seconds", s->config->drain_seconds);
        jsonlog_emit(line);
    }
    /* keep answering while endpoints stop sending us traffic; a second
     * SIGTERM or SIGINT does not cut the drain short: accepted requests must
     * not fail */
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long left_ms = (long long)s->config->drain_seconds * 1000 -
                            ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left_ms <= 0)
            break;
        wait_signal(set, left_ms > 200 ? 200 : (unsigned int)left_ms);
    }
    /* stop accepting, then let the requests already being read finish;
     * connections still waiting in the backlog are refused now, so their
     * clients go to another endpoint instead of waiting for the exit */
    atomic_store(&s->quiesce, true);
    for (int i = 0; i < 100; i++) {
        unsigned int done = 0;

        for (unsigned int k = 0; k < s->worker_count; k++)
            done += atomic_load(&s->workers[k].quiesce_done);
        if (done == s->worker_count)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < 3000 && atomic_load(&s->metrics.in_flight) > 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* see server.h */
int server_run(const struct server_config *c, struct diag *d)
{
    struct server *s = calloc(1, sizeof(*s));
    sigset_t set;
    int rc = -1;

    if (!s)
        return diag_set(d, NULL, "out of memory");
    s->config = c;
    for (unsigned int i = 0; i < SERVER_WORKERS_MAX; i++)
        s->workers[i].quiesced = MHD_INVALID_SOCKET;
    metrics_init(&s->metrics);
    /* before any worker thread exists, so no thread uses cJSON while the
     * hooks change */
    reqarena_install();
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* blocked before any thread starts, so only sigtimedwait sees them */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (policystore_open(&s->policies, c->policy_path, d) < 0)
        goto out;
    if (tlsstore_open(c->tls_cert, c->tls_key, d) < 0)
        goto out;
    atomic_store(&s->metrics.cert_not_after, tlsstore_not_after());
    if (c->client_ca) {
        size_t len;
        if (input_read(c->client_ca, &s->client_ca_pem, &len, d) < 0)
            goto out;
    }
    if (start_daemons(s, d) < 0)
        goto out;
    atomic_store(&s->ready, true);

    for (;;) {
        int sig = wait_signal(&set, c->watch_interval_ms);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        if (sig == SIGHUP) {
            struct diag hup;

            diag_clear(&hup);
            policy_refreshed(s, policystore_refresh(&s->policies, true, &hup), "SIGHUP", &hup);
        }
        watch_files(s);
    }
    drain(s, &set);
    rc = 0;
out:
    stop_daemons(s);
    for (unsigned int i = 0; i < SERVER_WORKERS_MAX; i++)
        if (s->workers[i].quiesced != MHD_INVALID_SOCKET)
            close(s->workers[i].quiesced);
    if (rc == 0) {
        cJSON *line = log_lifecycle(s, "stopped");
        if (line)
            jsonlog_emit(line);
    }
    tlsstore_close();
    policystore_close(&s->policies);
    free(s->client_ca_pem);
    free(s);
    return rc;
}
