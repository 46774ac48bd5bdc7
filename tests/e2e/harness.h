/* harness: what the end-to-end tests share — a temp dir, certificates made
 * with certs.h, the real `django-admission serve` started with fork/exec on
 * 127.0.0.1 (port 0, ports read from its "listening" log line), and libcurl
 * clients that talk to it exactly as the Kubernetes API server does (HTTPS
 * to django-admission.e2e.svc:PORT resolved to loopback, the CA as the only
 * trust root, peer and host verification on, keep-alive).
 *
 * Checks never abort: CHECK prints "FAIL file:line: ..." and counts; a case
 * passes when it counted no failure. Every wait is bounded by time. */
#ifndef DJANGO_ADMISSION_E2E_HARNESS_H
#define DJANGO_ADMISSION_E2E_HARNESS_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <gnutls/gnutls.h>

#define E2E_SERVICE "django-admission"
#define E2E_NAMESPACE "e2e"
#define E2E_HOST "django-admission.e2e.svc"

/* what every case gets */
struct e2e {
    /* the django-admission binary */
    const char *exe;
    /* the source tree (fixtures) */
    const char *source_root;
    /* this run's temp dir, removed at the end */
    char tmp[PATH_MAX - 128];
};

extern atomic_int e2e_failures;

void e2e_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond))                                      \
            e2e_fail(__FILE__, __LINE__, __VA_ARGS__);    \
    } while (0)

/* ---- time ---- */

/* CLOCK_MONOTONIC in milliseconds */
long long e2e_now_ms(void);
void e2e_sleep_ms(long ms);

/* ---- files ---- */

/* Reads a whole file; new NUL-terminated buffer (caller frees), *len set
 * when len is not NULL. NULL when it cannot be read. */
char *e2e_read_file(const char *path, size_t *len);

/* Writes text to path through a temporary name and rename(2), so a reader
 * (the server's watcher) never sees half a file. 0 or -1. */
int e2e_write_file(const char *path, const char *text, size_t len);

/* ---- certificates ---- */

struct e2e_pair {
    /* directory holding ca.crt, tls.crt, tls.key */
    char dir[PATH_MAX - 64];
    char ca[PATH_MAX];
    char cert[PATH_MAX];
    char key[PATH_MAX];
    /* notAfter of tls.crt */
    long long not_after;
};

/* Makes a fresh CA and a serving certificate for the webhook's Service
 * names (certs_service_names) plus 127.0.0.1, valid `days`, in dir (created). */
int e2e_make_pair(const char *dir, int days, struct e2e_pair *out);

/* Same, for a client certificate with the single DNS name `name`. */
int e2e_make_client(const char *dir, const char *name, struct e2e_pair *out);

/* ---- the server process ---- */

/* A TCP port on 127.0.0.1 that was free a moment ago (0 when none was
 * found), for a server that must be told its port in advance. */
int e2e_free_port(void);

struct e2e_server {
    pid_t pid;
    /* its stderr (JSON log lines, sanitizer reports) */
    char log_path[PATH_MAX];
    int port;
    int health_port;
    bool exited;
    int status;
};

/* Starts `exe serve --listen 127.0.0.1:0 --health-listen 127.0.0.1:0
 * --tls-cert CERT --tls-key KEY --drain 0 EXTRA...` (extra NULL-terminated,
 * may be NULL; a later --drain wins), waits for its "listening" line and a
 * 200 on /health/ready. log_name is the stderr file's name in e->tmp.
 * 0, or -1 (printed, the process killed) when it did not get ready. */
int e2e_server_start(const struct e2e *e, struct e2e_server *s, const char *log_name, const char *cert,
                     const char *key, const char *const *extra);

/* Starts `exe ARGS...` (args NULL-terminated, "serve" first) and waits as
 * e2e_server_start does. */
int e2e_server_exec(const struct e2e *e, struct e2e_server *s, const char *log_name, const char *const *args);

/* The same under an open-file limit (soft and hard) of open_files; 0 keeps
 * the test's own. */
int e2e_server_exec_files(const struct e2e *e, struct e2e_server *s, const char *log_name, const char *const *args,
                          unsigned long open_files);

/* Sends a signal to the server. */
void e2e_server_signal(struct e2e_server *s, int sig);

/* Waits up to timeout_ms for the server to exit; 0 when it did (s->status
 * holds the wait status), -1 when it is still running. */
int e2e_server_wait(struct e2e_server *s, long timeout_ms);

/* SIGTERM, wait (up to timeout_ms), SIGKILL if still running. CHECKs that
 * it exited 0 and that its stderr has no sanitizer report. */
void e2e_server_stop(struct e2e_server *s, long timeout_ms);

/* CHECKs the server's stderr has no AddressSanitizer, LeakSanitizer or
 * UndefinedBehaviorSanitizer report. */
void e2e_server_check_log(const struct e2e_server *s);

/* 1 when the server's stderr contains text. */
int e2e_server_log_has(const struct e2e_server *s, const char *text);

/* ---- HTTP clients ---- */

struct e2e_buf {
    char *data;
    size_t len;
};

void e2e_buf_reset(struct e2e_buf *b);
void e2e_buf_free(struct e2e_buf *b);

/* One API-server-like connection: an easy handle reused for keep-alive. */
struct e2e_client {
    CURL *h;
    struct curl_slist *resolve;
    struct curl_slist *headers;
    char base[128];
    struct e2e_buf body;
    struct e2e_buf head;
    long status;
    /* curl's error text of the last request */
    char error[CURL_ERROR_SIZE];
};

/* Prepares a client for https://django-admission.e2e.svc:PORT with ca_file as
 * the only trust root, the name resolved to 127.0.0.1. 0 or -1. */
int e2e_client_init(struct e2e_client *c, int port, const char *ca_file);

/* The same with the name resolved to address ("127.0.0.1", "::1"). */
int e2e_client_init_at(struct e2e_client *c, int port, const char *ca_file, const char *address);

/* Replaces the request headers (Content-Type ...); headers NULL-terminated.
 * The client keeps its own copy. */
void e2e_client_headers(struct e2e_client *c, const char *const *headers);

/* POSTs body to path ("/mutate?timeout=10s") with Content-Type
 * application/json. Returns the CURLcode; c->status, c->body, c->head set. */
CURLcode e2e_client_post(struct e2e_client *c, const char *path, const char *body, size_t len);

/* Sends whatever c->h was set up for (method, body) to path. */
CURLcode e2e_client_perform(struct e2e_client *c, const char *path);

void e2e_client_free(struct e2e_client *c);

/* Plain-HTTP GET to the health listener; returns the status (0 on a
 * transport error); the body goes to out when not NULL. */
long e2e_health_get(int port, const char *path, struct e2e_buf *out);

/* The same to host ("127.0.0.1", "[::1]"). */
long e2e_health_get_at(const char *host, int port, const char *path, struct e2e_buf *out);

/* The value of the Prometheus sample whose name-and-labels is exactly
 * series ("django_admission_patches_total",
 * "django_admission_requests_total{endpoint=\"mutate\",...}"), or -1 when
 * absent. */
double e2e_metric(const char *text, const char *series);

/* Fetches /metrics and returns the value of series (-1 when absent or the
 * fetch failed). */
double e2e_metric_get(int health_port, const char *series);

/* ---- raw TLS clients (GnuTLS), for requests that stall ---- */

enum e2e_raw_kind {
    /* TCP connected, no ClientHello */
    RAW_TCP,
    /* TLS up, nothing sent */
    RAW_TLS,
    /* TLS up, half the request headers */
    RAW_HALF_HEADERS,
    /* headers sent (Content-Length N), no body */
    RAW_HEADERS,
    /* headers and half the body */
    RAW_HALF_BODY,
};

struct e2e_raw {
    enum e2e_raw_kind kind;
    int fd;
    gnutls_session_t tls;
    size_t sent;
};

/* A TCP connection to 127.0.0.1:port; the fd or -1. */
int e2e_tcp_connect(int port);

/* Opens a connection of this kind to the webhook (GnuTLS client verifying
 * E2E_HOST against cred's CA) and stops where the kind says, with head
 * (request line and headers) and body as the request. 0 or -1. */
int e2e_raw_open(struct e2e_raw *st, enum e2e_raw_kind kind, int port, gnutls_certificate_credentials_t cred,
                 const char *head, size_t head_len, const char *body, size_t body_len);

/* Sends the rest of the body and reads one answer: returns its HTTP status
 * and puts the body in *out, or -1 (also when the socket's receive timeout,
 * SO_RCVTIMEO, passes with the answer incomplete). */
int e2e_raw_finish(struct e2e_raw *st, const char *body, size_t body_len, struct e2e_buf *out);

void e2e_raw_close(struct e2e_raw *st);

/* ---- AdmissionReview answers ---- */

/* Parsed AdmissionReview answer: response.uid and response.allowed; NULL
 * when the body is not one. Caller deletes. */
cJSON *e2e_parse_review(const char *body, size_t len, const char **uid, int *allowed);

/* The decoded JSON Patch of a mutate answer, parsed (caller deletes); NULL
 * when the answer has no patch. */
cJSON *e2e_patch_of(const cJSON *review);

/* The value of the patch op whose path is `path`, as an integer; -1 when
 * there is no such op. */
long e2e_patch_int(const cJSON *patch, const char *path);

/* A request body: the fixture at path with request.uid replaced; new
 * string (caller frees with free()), NULL on error. */
char *e2e_review_with_uid(const char *fixture_text, const char *uid);

/* Runs `exe review [--validate] < file` and returns its stdout (caller
 * frees), NULL on failure. */
char *e2e_run_review(const struct e2e *e, const char *file, int validate, size_t *len);

#endif
