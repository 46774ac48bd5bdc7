/* server: the webhook process — a TLS listener (libmicrohttpd + GnuTLS) for
 * POST /mutate and /validate, a plain-HTTP listener for /health/live,
 * /health/ready and /metrics, one JSON log line per review, certificate and
 * policy reload without restart, and a graceful drain on SIGTERM.
 *
 * The reviews themselves are admission_review's job (the same bytes
 * `review` prints); this module only moves bytes, counts and logs. */
#ifndef DJANGO_ADMISSION_SERVER_H
#define DJANGO_ADMISSION_SERVER_H

#include <stddef.h>

#include "diag.h"
#include "jsonlog.h"

/* request bodies above this are refused with 413 */
#define SERVER_BODY_MAX ((size_t)8 * 1024 * 1024)

#define SERVER_WORKERS_MAX 64

struct server_config {
    /* "ADDR:PORT", ":PORT" or "[V6]:PORT"; port 0 = any free port (logged) */
    const char *listen;
    const char *health_listen;
    const char *tls_cert;
    const char *tls_key;
    /* NULL: no client-certificate authentication */
    const char *client_ca;
    /* NULL: the built-in policy */
    const char *policy_path;
    /* seconds to keep answering after SIGTERM before closing the listener */
    unsigned int drain_seconds;
    enum log_level log_level;
    /* worker threads; 0 = two per usable CPU (cpus.h; at most SERVER_WORKERS_MAX) */
    unsigned int threads;
    /* concurrent connections accepted */
    unsigned int connection_limit;
    /* seconds a connection may sit idle (or stall mid-request) */
    unsigned int idle_timeout;
    /* how often files are checked for changes, in milliseconds */
    unsigned int watch_interval_ms;
};

/* The defaults DESIGN.md names (:8443, :8080, drain 5 s, info, ...). */
void server_config_default(struct server_config *c);

/* Runs until SIGTERM or SIGINT, then drains and returns 0. Returns -1 with d
 * filled when it cannot start (bad address, port in use, certificate or
 * policy that does not load). Blocks SIGTERM, SIGINT and SIGHUP in the
 * calling thread (and so in the threads it starts) and takes them with
 * sigtimedwait. */
int server_run(const struct server_config *c, struct diag *d);

#endif
