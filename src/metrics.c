#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned long long bucket_us[METRICS_BUCKETS] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
};
static const char *const endpoint_names[ENDPOINT_COUNT] = {"mutate", "validate"};
static const char *const operation_names[OP_COUNT] = {"CREATE", "UPDATE", "DELETE", "CONNECT", "other"};
static const char *const reload_names[RELOAD_COUNT] = {"policy", "certificate"};
static const int error_statuses[METRICS_HTTP_STATUSES] = {400, 401, 404, 405, 413, 415, 500};
static const char *const error_labels[METRICS_HTTP_STATUSES + 1] = {"400", "401", "404", "405",
                                                                    "413", "415", "500", "other"};

/* see metrics.h */
void metrics_init(struct metrics *m)
{
    memset(m, 0, sizeof(*m));
}

/* see metrics.h */
enum metrics_operation metrics_operation_parse(const char *op)
{
    for (int i = 0; i < OP_OTHER; i++)
        if (strcmp(op, operation_names[i]) == 0)
            return (enum metrics_operation)i;
    return OP_OTHER;
}

/* see metrics.h */
void metrics_observe(struct metrics *m, enum metrics_endpoint e,
                     const struct admission_outcome *o, unsigned long long latency_us)
{
    enum metrics_operation op = metrics_operation_parse(o->operation);
    size_t b = 0;

    atomic_fetch_add_explicit(&m->requests[e][op][o->decision], 1, memory_order_relaxed);
    while (b < METRICS_BUCKETS && latency_us > bucket_us[b])
        b++;
    /* cumulative counts are summed at render time */
    atomic_fetch_add_explicit(&m->latency_bucket[e][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_us[e], latency_us, memory_order_relaxed);
    for (size_t i = 0; i < o->findings.count; i++)
        atomic_fetch_add_explicit(&m->violations[o->findings.items[i].rule], 1, memory_order_relaxed);
    if (o->patch_ops) {
        atomic_fetch_add_explicit(&m->patches, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->patch_operations, o->patch_ops, memory_order_relaxed);
    }
}

/* see metrics.h */
void metrics_http_error(struct metrics *m, int status)
{
    for (size_t i = 0; i < sizeof(error_statuses) / sizeof(error_statuses[0]); i++) {
        if (error_statuses[i] == status) {
            atomic_fetch_add_explicit(&m->http_errors[i], 1, memory_order_relaxed);
            return;
        }
    }
    atomic_fetch_add_explicit(&m->http_errors[METRICS_HTTP_STATUSES], 1, memory_order_relaxed);
}

struct out {
    char *buf;
    size_t len;
    size_t cap;
    int failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = 1;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t ncap = o->cap * 2 + (size_t)n;
        char *nb = realloc(o->buf, ncap);
        if (!nb) {
            o->failed = 1;
            return;
        }
        o->buf = nb;
        o->cap = ncap;
    }
}

static unsigned long long ld(const atomic_ullong *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

/* see metrics.h */
char *metrics_render(const struct metrics *m, const char *version, size_t *len)
{
    struct out o = {malloc(16384), 0, 16384, 0};

    if (!o.buf)
        return NULL;
    put(&o, "# HELP django_admission_requests_total AdmissionReviews answered, by endpoint, operation and decision.\n"
            "# TYPE django_admission_requests_total counter\n");
    for (int e = 0; e < ENDPOINT_COUNT; e++)
        for (int op = 0; op < OP_COUNT; op++)
            for (int d = 0; d < METRICS_DECISIONS; d++) {
                unsigned long long v = ld(&m->requests[e][op][d]);
                if (v || (op <= OP_UPDATE && d <= DECISION_DENIED))
                    put(&o, "django_admission_requests_total{endpoint=\"%s\",operation=\"%s\",decision=\"%s\"} %llu\n",
                        endpoint_names[e], operation_names[op],
                        admission_decision_name((enum admission_decision)d), v);
            }
    put(&o, "# HELP django_admission_request_duration_seconds Time from a complete request body to the response being queued.\n"
            "# TYPE django_admission_request_duration_seconds histogram\n");
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        unsigned long long cum = 0;
        for (int b = 0; b < METRICS_BUCKETS; b++) {
            cum += ld(&m->latency_bucket[e][b]);
            put(&o, "django_admission_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                endpoint_names[e], (double)bucket_us[b] / 1e6, cum);
        }
        cum += ld(&m->latency_bucket[e][METRICS_BUCKETS]);
        put(&o, "django_admission_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
            endpoint_names[e], cum);
        put(&o, "django_admission_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", endpoint_names[e],
            (double)ld(&m->latency_sum_us[e]) / 1e6);
        /* the +Inf bucket's own total: a count read separately could differ
         * from it while requests are being observed, and the format says
         * they are equal */
        put(&o, "django_admission_request_duration_seconds_count{endpoint=\"%s\"} %llu\n", endpoint_names[e],
            cum);
    }
    put(&o, "# HELP django_admission_violations_total Violations found, by rule id.\n"
            "# TYPE django_admission_violations_total counter\n");
    for (int r = 0; r < RULE_COUNT; r++)
        put(&o, "django_admission_violations_total{rule=\"%s\"} %llu\n", rules_get((enum rule_id)r)->name,
            ld(&m->violations[r]));
    put(&o, "# HELP django_admission_patches_total Mutation responses that carried a JSON Patch.\n"
            "# TYPE django_admission_patches_total counter\n"
            "django_admission_patches_total %llu\n"
            "# HELP django_admission_patch_operations_total JSON Patch operations sent.\n"
            "# TYPE django_admission_patch_operations_total counter\n"
            "django_admission_patch_operations_total %llu\n",
        ld(&m->patches), ld(&m->patch_operations));
    put(&o, "# HELP django_admission_http_errors_total Requests refused before review, by HTTP status.\n"
            "# TYPE django_admission_http_errors_total counter\n");
    for (int i = 0; i <= METRICS_HTTP_STATUSES; i++)
        put(&o, "django_admission_http_errors_total{code=\"%s\"} %llu\n",
            error_labels[i], ld(&m->http_errors[i]));
    put(&o, "# HELP django_admission_in_flight_requests Requests being received or reviewed now.\n"
            "# TYPE django_admission_in_flight_requests gauge\n"
            "django_admission_in_flight_requests %lld\n",
        (long long)atomic_load_explicit(&m->in_flight, memory_order_relaxed));
    put(&o, "# HELP django_admission_tls_certificate_expiry_timestamp_seconds notAfter of the serving certificate in use.\n"
            "# TYPE django_admission_tls_certificate_expiry_timestamp_seconds gauge\n"
            "django_admission_tls_certificate_expiry_timestamp_seconds %lld\n",
        (long long)atomic_load_explicit(&m->cert_not_after, memory_order_relaxed));
    put(&o, "# HELP django_admission_reloads_total Policy and certificate reloads, by kind and result.\n"
            "# TYPE django_admission_reloads_total counter\n");
    for (int k = 0; k < RELOAD_COUNT; k++) {
        put(&o, "django_admission_reloads_total{kind=\"%s\",result=\"success\"} %llu\n", reload_names[k],
            ld(&m->reloads[k][0]));
        put(&o, "django_admission_reloads_total{kind=\"%s\",result=\"failure\"} %llu\n", reload_names[k],
            ld(&m->reloads[k][1]));
    }
    put(&o, "# HELP django_admission_build_info Version of the running binary.\n"
            "# TYPE django_admission_build_info gauge\n"
            "django_admission_build_info{version=\"%s\"} 1\n",
        version);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    *len = o.len;
    return o.buf;
}
