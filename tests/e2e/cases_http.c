/* HTTP-level cases: every status code with its JSON error body, v1 and
 * v1beta1, byte identity with `review`, /metrics counters, client
 * certificates, listening addresses (every address, IPv6 only). */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases.h"
#include "harness.h"

#define BIG_BODY ((size_t)9 * 1024 * 1024)

/* An HTTP-level error: JSON {"code":status,"error":"..."} as
 * application/json. */
static void check_error_body(const struct e2e_client *c, long status, const char *what, const char *needle)
{
    cJSON *j = c->body.data ? cJSON_ParseWithLength(c->body.data, c->body.len) : NULL;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(j, "error");

    CHECK(c->status == status, "%s: status %ld, expected %ld (%s)", what, c->status, status, c->error);
    CHECK(cJSON_IsNumber(code) && code->valueint == status, "%s: body has no \"code\":%ld: %.300s", what, status,
          c->body.data ? c->body.data : "");
    CHECK(cJSON_IsString(error) && error->valuestring[0], "%s: body has no \"error\" text: %.300s", what,
          c->body.data ? c->body.data : "");
    if (needle && cJSON_IsString(error))
        CHECK(strstr(error->valuestring, needle) != NULL, "%s: error \"%s\" does not mention \"%s\"", what,
              error->valuestring, needle);
    CHECK(c->head.data && strcasestr(c->head.data, "\nContent-Type: application/json"),
          "%s: error is not application/json: %.400s", what, c->head.data ? c->head.data : "");
    cJSON_Delete(j);
}

/* A 200 AdmissionReview answer in apiVersion with the given allowed. */
static void check_review(const struct e2e_client *c, const char *what, const char *api_version, const char *uid,
                         int allowed, int patched)
{
    const char *got_uid = NULL;
    int got_allowed = -1;
    cJSON *j = c->body.data ? e2e_parse_review(c->body.data, c->body.len, &got_uid, &got_allowed) : NULL;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(j, "apiVersion");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(j, "response");

    CHECK(c->status == 200, "%s: status %ld, expected 200 (%s) %.300s", what, c->status, c->error,
          c->body.data ? c->body.data : "");
    CHECK(j != NULL, "%s: not an AdmissionReview answer: %.300s", what, c->body.data ? c->body.data : "");
    if (!j)
        return;
    CHECK(cJSON_IsString(version) && strcmp(version->valuestring, api_version) == 0, "%s: apiVersion is not %s",
          what, api_version);
    CHECK(cJSON_IsString(kind) && strcmp(kind->valuestring, "AdmissionReview") == 0, "%s: kind is not AdmissionReview",
          what);
    CHECK(strcmp(got_uid, uid) == 0, "%s: response.uid %s, expected %s", what, got_uid, uid);
    CHECK(got_allowed == allowed, "%s: allowed %d, expected %d", what, got_allowed, allowed);
    if (patched) {
        const cJSON *pt = cJSON_GetObjectItemCaseSensitive(resp, "patchType");
        cJSON *patch = e2e_patch_of(j);
        CHECK(cJSON_IsString(pt) && strcmp(pt->valuestring, "JSONPatch") == 0, "%s: no patchType JSONPatch", what);
        CHECK(cJSON_IsArray(patch) && cJSON_GetArraySize(patch) > 0, "%s: patch is not a non-empty JSON array", what);
        cJSON_Delete(patch);
    }
    if (!allowed) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "status");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(st, "code");
        CHECK(cJSON_IsNumber(code) && code->valueint == 403, "%s: denial without status.code 403", what);
    }
    cJSON_Delete(j);
}

static char *fixture(const struct e2e *e, const char *name, size_t *len)
{
    char path[PATH_MAX];
    char *text;

    snprintf(path, sizeof(path), "%s/tests/fixtures/reviews/%s", e->source_root, name);
    text = e2e_read_file(path, len);
    CHECK(text != NULL, "cannot read %s", path);
    return text;
}

static long connects(const struct e2e_client *c)
{
    long n = -1;

    curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &n);
    return n;
}

/* Reads BIG_BODY bytes of spaces for the chunked upload. */
struct big_reader {
    size_t left;
};

static size_t read_big(char *buf, size_t size, size_t n, void *userdata)
{
    struct big_reader *r = userdata;
    size_t want = size * n;

    if (want > r->left)
        want = r->left;
    memset(buf, ' ', want);
    r->left -= want;
    return want;
}

static void big_bodies(const struct e2e_server *srv, const struct e2e_pair *pair)
{
    static const char *const no_expect[] = {"Content-Type: application/json", "Expect:", NULL};
    static const char *const chunked[] = {"Content-Type: application/json", "Transfer-Encoding: chunked", NULL};
    char *big = malloc(BIG_BODY);
    struct e2e_client c;

    CHECK(big != NULL, "out of memory");
    if (!big)
        return;
    memset(big, ' ', BIG_BODY);
    big[0] = '{';

    /* Content-Length above the limit: refused from the headers alone, as
     * curl sends it (Expect: 100-continue) and as the API server's Go
     * client does (no Expect: the body follows at once) */
    if (e2e_client_init(&c, srv->port, pair->ca) == 0) {
        e2e_client_post(&c, "/mutate?timeout=10s", big, BIG_BODY);
        check_error_body(&c, 413, "9 MiB body, Content-Length, Expect: 100-continue", "limit");
        e2e_client_headers(&c, no_expect);
        e2e_client_post(&c, "/mutate?timeout=10s", big, BIG_BODY);
        check_error_body(&c, 413, "9 MiB body, Content-Length, no Expect", "limit");
        e2e_client_free(&c);
    }
    /* chunked: no length up front; read to the limit, then refused */
    if (e2e_client_init(&c, srv->port, pair->ca) == 0) {
        struct big_reader r = {BIG_BODY};
        e2e_client_headers(&c, chunked);
        curl_easy_setopt(c.h, CURLOPT_POST, 1L);
        curl_easy_setopt(c.h, CURLOPT_READFUNCTION, read_big);
        curl_easy_setopt(c.h, CURLOPT_READDATA, &r);
        e2e_client_perform(&c, "/validate?timeout=10s");
        check_error_body(&c, 413, "9 MiB body, chunked", "limit");
        e2e_client_free(&c);
    }
    free(big);
}

/* see cases.h */
void case_status(const struct e2e *e)
{
    static const char *const text_plain[] = {"Content-Type: text/plain", NULL};
    static const char *const no_type[] = {"Content-Type:", NULL};
    static const char *const json[] = {"Content-Type: application/json; charset=utf-8", NULL};
    struct e2e_pair pair;
    struct e2e_server srv;
    struct e2e_client c;
    char dir[PATH_MAX];
    size_t v1_len = 0, beta_len = 0;
    char *v1 = fixture(e, "review-django.json", &v1_len);
    char *beta = fixture(e, "review-django-v1beta1.json", &beta_len);
    struct e2e_buf health = {0};

    snprintf(dir, sizeof(dir), "%s/status-certs", e->tmp);
    if (!v1 || !beta || e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "status.log", pair.cert, pair.key, NULL) < 0) {
        CHECK(0, "setup failed");
        free(v1);
        free(beta);
        return;
    }
    if (e2e_client_init(&c, srv.port, pair.ca) < 0) {
        CHECK(0, "curl_easy_init failed");
        goto out;
    }

    /* 200s, one kept-alive connection for all four */
    e2e_client_post(&c, "/mutate?timeout=10s", v1, v1_len);
    check_review(&c, "v1 mutate", "admission.k8s.io/v1", "705ab4f5-6393-11e8-b7cc-42010a800002", 1, 1);
    CHECK(connects(&c) == 1, "first request made %ld connections", connects(&c));
    e2e_client_post(&c, "/validate?timeout=10s", v1, v1_len);
    check_review(&c, "v1 validate", "admission.k8s.io/v1", "705ab4f5-6393-11e8-b7cc-42010a800002", 0, 0);
    e2e_client_headers(&c, json);
    e2e_client_post(&c, "/mutate?timeout=10s", beta, beta_len);
    check_review(&c, "v1beta1 mutate", "admission.k8s.io/v1beta1", "b7f1c2e0-1111-4a2b-9c3d-000000000001", 1, 1);
    e2e_client_post(&c, "/validate", beta, beta_len);
    check_review(&c, "v1beta1 validate", "admission.k8s.io/v1beta1", "b7f1c2e0-1111-4a2b-9c3d-000000000001", 0, 0);
    CHECK(connects(&c) == 0, "keep-alive: the 4th request opened %ld new connections", connects(&c));
    CHECK(c.head.data && !strcasestr(c.head.data, "Connection: close"), "a 200 closed the connection: %s",
          c.head.data ? c.head.data : "");

    /* 400: malformed JSON, missing uid, empty body */
    e2e_client_post(&c, "/mutate?timeout=10s", "{\"apiVersion\":", 14);
    check_error_body(&c, 400, "malformed JSON", "JSON");
    {
        cJSON *j = cJSON_Parse(v1);
        cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "request"), "uid");
        char *no_uid = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        if (no_uid) {
            e2e_client_post(&c, "/validate?timeout=10s", no_uid, strlen(no_uid));
            check_error_body(&c, 400, "missing request.uid", "uid");
            cJSON_free(no_uid);
        }
    }
    e2e_client_post(&c, "/mutate", "", 0);
    check_error_body(&c, 400, "empty body", NULL);
    /* a 400 answered after the whole body was read keeps the connection */
    e2e_client_post(&c, "/mutate?timeout=10s", v1, v1_len);
    check_review(&c, "v1 mutate after 400s", "admission.k8s.io/v1", "705ab4f5-6393-11e8-b7cc-42010a800002", 1, 1);

    /* 404 */
    e2e_client_post(&c, "/mutating?timeout=10s", v1, v1_len);
    check_error_body(&c, 404, "unknown path", "/mutating");
    e2e_client_post(&c, "/", v1, v1_len);
    check_error_body(&c, 404, "root path", NULL);

    /* 405 with Allow */
    curl_easy_setopt(c.h, CURLOPT_HTTPGET, 1L);
    e2e_client_perform(&c, "/mutate?timeout=10s");
    check_error_body(&c, 405, "GET /mutate", "GET");
    CHECK(c.head.data && strcasestr(c.head.data, "\nAllow: POST\r\n"), "405 without \"Allow: POST\": %s",
          c.head.data ? c.head.data : "");
    curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, "PUT");
    e2e_client_post(&c, "/validate", v1, v1_len);
    check_error_body(&c, 405, "PUT /validate", "PUT");
    curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, NULL);

    /* 415 */
    e2e_client_headers(&c, text_plain);
    e2e_client_post(&c, "/mutate?timeout=10s", v1, v1_len);
    check_error_body(&c, 415, "text/plain", "text/plain");
    e2e_client_headers(&c, no_type);
    e2e_client_post(&c, "/validate?timeout=10s", v1, v1_len);
    check_error_body(&c, 415, "no Content-Type", "application/json");
    e2e_client_free(&c);

    /* 413 */
    big_bodies(&srv, &pair);

    /* still serving, health endpoints */
    if (e2e_client_init(&c, srv.port, pair.ca) == 0) {
        e2e_client_post(&c, "/mutate?timeout=10s", v1, v1_len);
        check_review(&c, "v1 mutate after the errors", "admission.k8s.io/v1", "705ab4f5-6393-11e8-b7cc-42010a800002", 1,
                     1);
        e2e_client_free(&c);
    }
    CHECK(e2e_health_get(srv.health_port, "/health/live", NULL) == 200, "/health/live is not 200");
    CHECK(e2e_health_get(srv.health_port, "/health/ready", &health) == 200 && health.data &&
              strcmp(health.data, "ready\n") == 0,
          "/health/ready is not 200 \"ready\"");
    CHECK(e2e_health_get(srv.health_port, "/health/nope", &health) == 404, "unknown health path is not 404");
out:
    e2e_buf_free(&health);
    e2e_server_stop(&srv, 15000);
    free(v1);
    free(beta);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_json(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* One body, both endpoints: the server's bytes equal review's. */
static void compare_one(const struct e2e *e, struct e2e_client *c, const char *path, int *compared)
{
    size_t body_len = 0;
    char *body = e2e_read_file(path, &body_len);

    CHECK(body != NULL, "cannot read %s", path);
    for (int validate = 0; body && validate <= 1; validate++) {
        size_t want_len = 0;
        char *want = e2e_run_review(e, path, validate, &want_len);
        CHECK(want && want_len > 0, "review%s printed nothing for %s", validate ? " --validate" : "", path);
        e2e_client_post(c, validate ? "/validate?timeout=10s" : "/mutate?timeout=10s", body, body_len);
        long expect = want && strncmp(want, "{\"code\":", 8) == 0 ? strtol(want + 8, NULL, 10) : 200;
        CHECK(c->status == expect, "%s %s: status %ld, review's body says %ld (%s)", validate ? "/validate" : "/mutate",
              path, c->status, expect, c->error);
        CHECK(want && c->body.len == want_len && memcmp(c->body.data, want, want_len) == 0,
              "%s %s: the server's %zu bytes differ from review's %zu bytes\n server: %.400s\n review: %.400s",
              validate ? "/validate" : "/mutate", path, c->body.len, want_len, c->body.data ? c->body.data : "",
              want ? want : "");
        (*compared)++;
        free(want);
    }
    free(body);
}

/* see cases.h */
void case_identity(const struct e2e *e)
{
    static const char *const bad[] = {
        "{\"apiVersion\":\"admission.k8s.io/v1\",",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"operation\":\"CREATE\"}}",
        "[1,2,3]",
        "{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"x\"}}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"\xc3\xa9t\xc3\xa9\","
        "\"operation\":\"DELETE\"}}",
    };
    static const char *const closing[] = {"Content-Type: application/json", "Connection: close", NULL};
    static const char *const json[] = {"Content-Type: application/json", NULL};
    struct e2e_pair pair;
    struct e2e_server srv;
    struct e2e_client c;
    struct dirent **names = NULL;
    char dir[PATH_MAX], path[PATH_MAX + 256];
    int n, compared = 0;

    snprintf(dir, sizeof(dir), "%s/identity-certs", e->tmp);
    if (e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "identity.log", pair.cert, pair.key, NULL) < 0) {
        CHECK(0, "setup failed");
        return;
    }
    if (e2e_client_init(&c, srv.port, pair.ca) < 0) {
        CHECK(0, "curl_easy_init failed");
        e2e_server_stop(&srv, 15000);
        return;
    }
    snprintf(dir, sizeof(dir), "%s/tests/fixtures/reviews", e->source_root);
    n = scandir(dir, &names, is_json, by_name);
    CHECK(n >= 5, "expected at least 5 fixtures in %s, found %d", dir, n);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        compare_one(e, &c, path, &compared);
        free(names[i]);
    }
    free(names);
    /* the benchmark's body (bench/ keeps a copy of the shared yardstick) */
    snprintf(path, sizeof(path), "%s/bench/review-django.json", e->source_root);
    CHECK(access(path, R_OK) == 0, "cannot read %s", path);
    compare_one(e, &c, path, &compared);
    /* answers on connections that close right after them (the client
     * asks, or speaks HTTP/1.0) are corked into one record like the rest
     * (tlsconn.h) and sent before the close: they must arrive whole */
    e2e_client_headers(&c, closing);
    compare_one(e, &c, path, &compared);
    CHECK(connects(&c) == 1, "a \"Connection: close\" answer did not close the connection");
    e2e_client_headers(&c, json);
    curl_easy_setopt(c.h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_0);
    compare_one(e, &c, path, &compared);
    curl_easy_setopt(c.h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "%s/bad-%zu.json", e->tmp, i);
        CHECK(e2e_write_file(path, bad[i], strlen(bad[i])) == 0, "cannot write %s", path);
        compare_one(e, &c, path, &compared);
    }
    CHECK(compared >= 20, "only %d comparisons made", compared);
    printf("  %d answers byte-identical to review\n", compared);
    e2e_client_free(&c);
    e2e_server_stop(&srv, 15000);
}

static double metric(const char *text, const char *series)
{
    return text ? e2e_metric(text, series) : -1;
}

/* see cases.h */
void case_metrics(const struct e2e *e)
{
    struct e2e_pair pair;
    struct e2e_server srv;
    struct e2e_client c;
    struct e2e_buf m = {0};
    char dir[PATH_MAX], series[256];
    size_t v1_len = 0;
    char *v1 = fixture(e, "review-django.json", &v1_len);
    long patch_ops = 0;

    snprintf(dir, sizeof(dir), "%s/metrics-certs", e->tmp);
    if (!v1 || e2e_make_pair(dir, 42, &pair) < 0 ||
        e2e_server_start(e, &srv, "metrics.log", pair.cert, pair.key, NULL) < 0) {
        CHECK(0, "setup failed");
        free(v1);
        return;
    }
    /* before any review: the series exist at zero */
    CHECK(e2e_health_get(srv.health_port, "/metrics", &m) == 200, "/metrics is not 200");
    CHECK(metric(m.data, "django_admission_requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"allowed\"}") ==
              0,
          "mutate CREATE allowed is not 0 at start");
    CHECK(metric(m.data, "django_admission_tls_certificate_expiry_timestamp_seconds") == (double)pair.not_after,
          "certificate expiry %.0f is not the certificate's notAfter %lld",
          metric(m.data, "django_admission_tls_certificate_expiry_timestamp_seconds"), pair.not_after);
    snprintf(series, sizeof(series), "django_admission_build_info{version=\"%s\"}", DA_VERSION);
    CHECK(metric(m.data, series) == 1, "no %s 1", series);
    CHECK(metric(m.data, "django_admission_in_flight_requests") == 0, "in-flight is not 0 at rest");
    CHECK(metric(m.data, "django_admission_reloads_total{kind=\"policy\",result=\"success\"}") == 0 &&
              metric(m.data, "django_admission_reloads_total{kind=\"certificate\",result=\"failure\"}") == 0,
          "reload counters missing or not 0");
    CHECK(metric(m.data, "django_admission_violations_total{rule=\"probe-liveness-missing\"}") == 0,
          "violations by rule missing");

    if (e2e_client_init(&c, srv.port, pair.ca) == 0) {
        e2e_client_post(&c, "/mutate?timeout=10s", v1, v1_len);
        cJSON *j = c.body.data ? e2e_parse_review(c.body.data, c.body.len, NULL, NULL) : NULL;
        cJSON *patch = e2e_patch_of(j);
        patch_ops = cJSON_GetArraySize(patch);
        cJSON_Delete(patch);
        cJSON_Delete(j);
        CHECK(patch_ops > 0, "mutate answer carried no patch");
        e2e_client_post(&c, "/mutate?timeout=10s", v1, v1_len);
        e2e_client_post(&c, "/validate?timeout=10s", v1, v1_len);
        CHECK(c.status == 200, "validate: %ld", c.status);
        e2e_client_post(&c, "/nowhere", v1, v1_len);
        CHECK(c.status == 404, "404: %ld", c.status);
        e2e_client_free(&c);
    }
    /* in-flight drops back once the completion callbacks ran */
    for (int i = 0; i < 200 && e2e_metric_get(srv.health_port, "django_admission_in_flight_requests") != 0; i++)
        e2e_sleep_ms(10);
    CHECK(e2e_health_get(srv.health_port, "/metrics", &m) == 200, "/metrics is not 200");
    CHECK(metric(m.data, "django_admission_requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"allowed\"}") ==
              2,
          "mutate CREATE allowed is not 2");
    CHECK(metric(m.data, "django_admission_requests_total{endpoint=\"validate\",operation=\"CREATE\",decision=\"denied\"}") ==
              1,
          "validate CREATE denied is not 1");
    CHECK(metric(m.data, "django_admission_request_duration_seconds_count{endpoint=\"mutate\"}") == 2,
          "histogram count for mutate is not 2");
    CHECK(metric(m.data, "django_admission_request_duration_seconds_bucket{endpoint=\"mutate\",le=\"+Inf\"}") == 2,
          "histogram +Inf bucket for mutate is not 2");
    CHECK(metric(m.data, "django_admission_request_duration_seconds_sum{endpoint=\"mutate\"}") > 0,
          "histogram sum for mutate is not positive");
    CHECK(metric(m.data, "django_admission_request_duration_seconds_count{endpoint=\"validate\"}") == 1,
          "histogram count for validate is not 1");
    CHECK(metric(m.data, "django_admission_violations_total{rule=\"probe-liveness-missing\"}") == 1,
          "probe-liveness-missing violations are not 1");
    CHECK(metric(m.data, "django_admission_violations_total{rule=\"resources-requests-missing\"}") == 2,
          "resources-requests-missing violations are not 2 (cpu and memory)");
    CHECK(metric(m.data, "django_admission_patches_total") == 2, "patches are not 2");
    CHECK(metric(m.data, "django_admission_patch_operations_total") == (double)(2 * patch_ops),
          "patch operations %.0f, expected 2 x %ld", metric(m.data, "django_admission_patch_operations_total"),
          patch_ops);
    CHECK(metric(m.data, "django_admission_http_errors_total{code=\"404\"}") == 1, "404 errors are not 1");
    CHECK(metric(m.data, "django_admission_in_flight_requests") == 0, "in-flight is not back to 0");
    CHECK(strstr(m.data ? m.data : "", "# TYPE django_admission_request_duration_seconds histogram\n") != NULL,
          "histogram has no TYPE line");
    e2e_buf_free(&m);
    free(v1);
    e2e_server_stop(&srv, 15000);
}

/* see cases.h */
void case_client_ca(const struct e2e *e)
{
    struct e2e_pair pair, client, stranger;
    struct e2e_server srv;
    struct e2e_client c;
    char dir[PATH_MAX];
    size_t v1_len = 0;
    char *v1 = fixture(e, "review-django.json", &v1_len);
    const char *extra[] = {"--client-ca", client.ca, NULL};

    snprintf(dir, sizeof(dir), "%s/client-ca-certs", e->tmp);
    if (!v1 || e2e_make_pair(dir, 30, &pair) < 0) {
        CHECK(0, "setup failed");
        free(v1);
        return;
    }
    snprintf(dir, sizeof(dir), "%s/client-ca-apiserver", e->tmp);
    if (e2e_make_client(dir, "kube-apiserver", &client) < 0) {
        CHECK(0, "setup failed");
        free(v1);
        return;
    }
    snprintf(dir, sizeof(dir), "%s/client-ca-stranger", e->tmp);
    if (e2e_make_client(dir, "stranger", &stranger) < 0 ||
        e2e_server_start(e, &srv, "client-ca.log", pair.cert, pair.key, extra) < 0) {
        CHECK(0, "setup failed");
        free(v1);
        return;
    }
    /* no client certificate */
    if (e2e_client_init(&c, srv.port, pair.ca) == 0) {
        e2e_client_post(&c, "/mutate?timeout=10s", v1, v1_len);
        check_error_body(&c, 401, "no client certificate", "client certificate");
        e2e_client_free(&c);
    }
    /* a certificate from a CA the server does not trust */
    if (e2e_client_init(&c, srv.port, pair.ca) == 0) {
        curl_easy_setopt(c.h, CURLOPT_SSLCERT, stranger.cert);
        curl_easy_setopt(c.h, CURLOPT_SSLKEY, stranger.key);
        CURLcode rc = e2e_client_post(&c, "/mutate?timeout=10s", v1, v1_len);
        /* refused either in the handshake or with 401; never served */
        CHECK(rc != CURLE_OK || c.status == 401, "untrusted client certificate got %ld", c.status);
        if (rc == CURLE_OK)
            check_error_body(&c, 401, "untrusted client certificate", "client certificate");
        e2e_client_free(&c);
    }
    /* the API server's certificate: served, on one kept-alive connection */
    if (e2e_client_init(&c, srv.port, pair.ca) == 0) {
        curl_easy_setopt(c.h, CURLOPT_SSLCERT, client.cert);
        curl_easy_setopt(c.h, CURLOPT_SSLKEY, client.key);
        for (int i = 0; i < 3; i++) {
            e2e_client_post(&c, i == 1 ? "/validate?timeout=10s" : "/mutate?timeout=10s", v1, v1_len);
            check_review(&c, "with the client certificate", "admission.k8s.io/v1", "705ab4f5-6393-11e8-b7cc-42010a800002",
                         i != 1, i != 1);
        }
        CHECK(connects(&c) == 0, "client-certificate connection was not kept alive");
        e2e_client_free(&c);
    }
    free(v1);
    e2e_server_stop(&srv, 15000);
}

/* ---- listening addresses ---- */

/* true when this host can listen on ::1 (IPv6 may be disabled) */
static bool loopback6(void)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

    if (fd >= 0)
        close(fd);
    return ok;
}

/* POSTs the review over address; the HTTP status, 0 when no connection. */
static long post_at(int port, const char *ca, const char *address, const char *body, size_t len)
{
    struct e2e_client c;
    long status = 0;

    if (e2e_client_init_at(&c, port, ca, address) != 0)
        return 0;
    curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    if (e2e_client_post(&c, "/mutate?timeout=10s", body, len) == CURLE_OK)
        status = c.status;
    e2e_client_free(&c);
    return status;
}

/* see cases.h */
void case_listen(const struct e2e *e)
{
    struct e2e_pair pair;
    struct e2e_server srv;
    char dir[PATH_MAX], path[PATH_MAX];
    size_t len = 0;
    char *body;

    snprintf(path, sizeof(path), "%s/tests/fixtures/reviews/review-django.json", e->source_root);
    body = e2e_read_file(path, &len);
    snprintf(dir, sizeof(dir), "%s/listen-certs", e->tmp);
    if (!body || e2e_make_pair(dir, 30, &pair) < 0) {
        CHECK(0, "setup failed");
        free(body);
        return;
    }
    bool have_v6 = loopback6();
    if (!have_v6)
        printf("no IPv6 loopback on this host: only IPv4 is checked\n");

    /* ":PORT" is every address, IPv6 and IPv4, as Go servers listen */
    const char *every[] = {"serve", "--listen", ":0", "--health-listen", ":0", "--tls-cert", pair.cert,
                           "--tls-key", pair.key, "--drain", "0", NULL};
    if (e2e_server_exec(e, &srv, "listen-every.log", every) == 0) {
        CHECK(post_at(srv.port, pair.ca, "127.0.0.1", body, len) == 200, "\":0\": no answer on 127.0.0.1");
        CHECK(e2e_health_get_at("127.0.0.1", srv.health_port, "/health/ready", NULL) == 200, "\":0\": no health answer on 127.0.0.1");
        if (have_v6) {
            CHECK(post_at(srv.port, pair.ca, "::1", body, len) == 200, "\":0\": no answer on ::1");
            CHECK(e2e_health_get_at("[::1]", srv.health_port, "/health/ready", NULL) == 200, "\":0\": no health answer on ::1");
        }
        e2e_server_stop(&srv, 15000);
    } else {
        CHECK(0, "serve --listen :0 did not start");
    }

    /* "[V6]:PORT" is that address only */
    if (have_v6) {
        const char *v6[] = {"serve", "--listen", "[::1]:0", "--health-listen", "127.0.0.1:0", "--tls-cert", pair.cert,
                            "--tls-key", pair.key, "--drain", "0", NULL};
        if (e2e_server_exec(e, &srv, "listen-v6.log", v6) == 0) {
            CHECK(post_at(srv.port, pair.ca, "::1", body, len) == 200, "[::1]:0: no answer on ::1");
            CHECK(post_at(srv.port, pair.ca, "127.0.0.1", body, len) == 0, "[::1]:0 answered on 127.0.0.1");
            e2e_server_stop(&srv, 15000);
        } else {
            CHECK(0, "serve --listen [::1]:0 did not start");
        }
    }
    free(body);
}
