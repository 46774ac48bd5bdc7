/* metrics: the webhook's Prometheus counters, gauges and histogram, updated
 * lock-free from request threads and rendered in the Prometheus text
 * exposition format (version 0.0.4) for /metrics. One struct metrics per
 * server; nothing global. */
#ifndef DJANGO_ADMISSION_METRICS_H
#define DJANGO_ADMISSION_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "admission.h"
#include "rules.h"

enum metrics_endpoint { ENDPOINT_MUTATE = 0, ENDPOINT_VALIDATE, ENDPOINT_COUNT };
enum metrics_operation { OP_CREATE = 0, OP_UPDATE, OP_DELETE, OP_CONNECT, OP_OTHER, OP_COUNT };
#define METRICS_DECISIONS 4 /* enum admission_decision */
/* latency buckets in microseconds: 50us .. 1s, then +Inf */
#define METRICS_BUCKETS 14
enum metrics_reload { RELOAD_POLICY = 0, RELOAD_CERTIFICATE, RELOAD_COUNT };
/* HTTP statuses the server refuses with, each counted under its own code
 * (400, 401, 404, 405, 413, 415, 500); any other status under "other" */
#define METRICS_HTTP_STATUSES 7

struct metrics {
    atomic_ullong requests[ENDPOINT_COUNT][OP_COUNT][METRICS_DECISIONS];
    atomic_ullong latency_bucket[ENDPOINT_COUNT][METRICS_BUCKETS + 1];
    atomic_ullong latency_sum_us[ENDPOINT_COUNT];
    atomic_ullong violations[RULE_COUNT];
    /* responses that carried a patch, and the operations in them */
    atomic_ullong patches;
    atomic_ullong patch_operations;
    /* HTTP-level rejections by status; the last slot is "other" */
    atomic_ullong http_errors[METRICS_HTTP_STATUSES + 1];
    atomic_llong in_flight;
    atomic_llong cert_not_after;
    atomic_ullong reloads[RELOAD_COUNT][2]; /* [kind][0 = success, 1 = failure] */
};

void metrics_init(struct metrics *m);

/* Counts one answered review. */
void metrics_observe(struct metrics *m, enum metrics_endpoint e,
                     const struct admission_outcome *o, unsigned long long latency_us);

/* Counts an HTTP-level rejection with this status (400..599). */
void metrics_http_error(struct metrics *m, int status);

enum metrics_operation metrics_operation_parse(const char *op);

/* Renders everything; new NUL-terminated buffer (caller frees), *len set;
 * NULL on allocation failure. */
char *metrics_render(const struct metrics *m, const char *version, size_t *len);

#endif
