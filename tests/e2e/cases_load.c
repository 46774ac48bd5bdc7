/* Load cases: 64 concurrent keep-alive clients, certificate rotation the
 * way the kubelet swaps a mounted Secret while clients open new
 * connections, SIGTERM during load, SIGHUP with broken and good policies.
 * Every answer is checked (uid echoed, allowed as expected); every loop is
 * bounded by count and time. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases.h"
#include "harness.h"

#define FIXTURE_UID "705ab4f5-6393-11e8-b7cc-42010a800002"

/* What the client threads share. */
struct load {
    int port;
    const char *ca;
    /* review-django.json: mutate allows with a patch, validate denies */
    const char *fixture;
    /* per thread: 0 = until stop */
    int requests;
    /* a new connection (full handshake) per request */
    bool fresh;
    /* the leaf certificates (PEM) the rotation case tells apart */
    const char *leaf_pem[3];
    long long deadline_ms;
    atomic_bool stop;
    /* set by the SIGTERM case when the signal is sent */
    atomic_bool signaled;
    atomic_long done;
};

struct worker {
    pthread_t thread;
    int id;
    struct load *load;
    long done;
    long failed;
    long connects;
    /* rotation: handshakes per leaf, [3] = none of them; the main thread
     * polls them while the load runs */
    atomic_long seen[4];
    /* a handshake presented an older leaf after a newer one */
    long went_back;
    /* answers after the signal, and those carrying Connection: close */
    long after_signal;
    long closes;
    char first_error[512];
};

/* certificate text without whitespace, to compare PEM from curl with PEM
 * from a file */
static void squeeze(const char *in, char *out, size_t cap)
{
    size_t n = 0;

    for (; *in && n + 1 < cap; in++)
        if (*in != '\n' && *in != '\r' && *in != ' ')
            out[n++] = *in;
    out[n] = '\0';
}

/* Which of load->leaf_pem the last handshake presented: 0..2, 3 = other. */
static int leaf_index(const struct load *l, CURL *h)
{
    struct curl_certinfo *ci = NULL;
    char got[8192], want[8192];

    if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
        return 3;
    for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
        if (strncmp(s->data, "Cert:", 5) != 0)
            continue;
        squeeze(s->data + 5, got, sizeof(got));
        for (int i = 0; i < 3; i++) {
            if (!l->leaf_pem[i])
                continue;
            squeeze(l->leaf_pem[i], want, sizeof(want));
            if (strcmp(got, want) == 0)
                return i;
        }
    }
    return 3;
}

static void worker_error(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void worker_error(struct worker *w, const char *fmt, ...)
{
    va_list ap;

    w->failed++;
    if (w->first_error[0])
        return;
    va_start(ap, fmt);
    vsnprintf(w->first_error, sizeof(w->first_error), fmt, ap);
    va_end(ap);
}

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct load *l = w->load;
    struct e2e_client c;
    char *body = strdup(l->fixture);
    char *uid_at = body ? strstr(body, FIXTURE_UID) : NULL;
    int newest = -1;

    if (!uid_at || e2e_client_init(&c, l->port, l->ca) < 0) {
        worker_error(w, "worker %d: setup failed", w->id);
        free(body);
        return NULL;
    }
    if (l->fresh) {
        curl_easy_setopt(c.h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c.h, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(c.h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
        curl_easy_setopt(c.h, CURLOPT_CERTINFO, 1L);
    }
    for (long i = 0; (l->requests == 0 || i < l->requests) && !atomic_load(&l->stop); i++) {
        char uid[40];
        int validate = (int)((i + w->id) % 2);
        bool signaled = atomic_load(&l->signaled);

        if (e2e_now_ms() > l->deadline_ms) {
            worker_error(w, "worker %d: out of time after %ld requests", w->id, i);
            break;
        }
        /* same length as the fixture's uid, so the body is patched in place */
        snprintf(uid, sizeof(uid), "e2e%05d-0000-4000-8000-%012lu", w->id % 100000,
                 (unsigned long)i % 1000000000000UL);
        memcpy(uid_at, uid, strlen(FIXTURE_UID));
        CURLcode rc = e2e_client_post(&c, validate ? "/validate?timeout=10s" : "/mutate?timeout=10s", body,
                                      strlen(body));
        long n = 0;
        curl_easy_getinfo(c.h, CURLINFO_NUM_CONNECTS, &n);
        w->connects += n;
        if (rc != CURLE_OK || c.status != 200) {
            worker_error(w, "worker %d request %ld: curl %d (%s), status %ld", w->id, i, (int)rc, c.error, c.status);
            continue;
        }
        const char *got_uid = NULL;
        int allowed = -1;
        cJSON *j = e2e_parse_review(c.body.data, c.body.len, &got_uid, &allowed);
        if (!j || strncmp(got_uid, uid, strlen(FIXTURE_UID)) != 0 || allowed != !validate)
            worker_error(w, "worker %d request %ld: wrong answer (uid %s, allowed %d): %.200s", w->id, i,
                         j ? got_uid : "?", allowed, c.body.data ? c.body.data : "");
        cJSON_Delete(j);
        if (signaled) {
            w->after_signal++;
            if (c.head.data && strcasestr(c.head.data, "\nConnection: close"))
                w->closes++;
        }
        if (l->fresh && l->leaf_pem[0]) {
            int leaf = leaf_index(l, c.h);
            atomic_fetch_add(&w->seen[leaf], 1);
            if (leaf < 3 && leaf < newest)
                w->went_back++;
            if (leaf < 3 && leaf > newest)
                newest = leaf;
        }
        w->done++;
        atomic_fetch_add(&l->done, 1);
    }
    e2e_client_free(&c);
    free(body);
    return NULL;
}

static int workers_start(struct worker *w, int n, int first_id, struct load *l)
{
    for (int i = 0; i < n; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].id = first_id + i;
        w[i].load = l;
        if (pthread_create(&w[i].thread, NULL, worker_run, &w[i]) != 0) {
            CHECK(0, "pthread_create: %s", strerror(errno));
            atomic_store(&l->stop, true);
            for (int k = 0; k < i; k++)
                pthread_join(w[k].thread, NULL);
            return -1;
        }
    }
    return 0;
}

/* Joins them and adds up; prints the first errors. */
static void workers_join(struct worker *w, int n, struct worker *sum)
{
    int shown = 0;

    memset(sum, 0, sizeof(*sum));
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].thread, NULL);
        sum->done += w[i].done;
        sum->failed += w[i].failed;
        sum->connects += w[i].connects;
        sum->went_back += w[i].went_back;
        sum->after_signal += w[i].after_signal;
        sum->closes += w[i].closes;
        for (int k = 0; k < 4; k++)
            sum->seen[k] += atomic_load(&w[i].seen[k]);
        if (w[i].first_error[0] && shown++ < 5)
            printf("  %s\n", w[i].first_error);
    }
}

/* Waits (bounded) until l->done reaches target. */
static int wait_done(struct load *l, long target, long timeout_ms)
{
    long long deadline = e2e_now_ms() + timeout_ms;

    while (atomic_load(&l->done) < target) {
        if (e2e_now_ms() > deadline)
            return -1;
        e2e_sleep_ms(5);
    }
    return 0;
}

static char *read_fixture(const struct e2e *e, const char *name)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/tests/fixtures/reviews/%s", e->source_root, name);
    return e2e_read_file(path, NULL);
}

#define CLIENTS 64
#define PER_CLIENT 25

/* see cases.h */
void case_concurrency(const struct e2e *e)
{
    static struct worker w[CLIENTS];
    struct e2e_pair pair;
    struct e2e_server srv;
    struct worker sum;
    struct load l = {0};
    char dir[PATH_MAX];
    char *fixture = read_fixture(e, "review-django.json");

    snprintf(dir, sizeof(dir), "%s/concurrency-certs", e->tmp);
    if (!fixture || e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "concurrency.log", pair.cert, pair.key, NULL) < 0) {
        CHECK(0, "setup failed");
        free(fixture);
        return;
    }
    l.port = srv.port;
    l.ca = pair.ca;
    l.fixture = fixture;
    l.requests = PER_CLIENT;
    l.deadline_ms = e2e_now_ms() + 90000;
    if (workers_start(w, CLIENTS, 0, &l) == 0) {
        workers_join(w, CLIENTS, &sum);
        printf("  %d clients x %d requests: %ld answered, %ld failed, %ld connections\n", CLIENTS, PER_CLIENT,
               sum.done, sum.failed, sum.connects);
        CHECK(sum.failed == 0, "%ld of %d requests failed", sum.failed, CLIENTS * PER_CLIENT);
        CHECK(sum.done == CLIENTS * PER_CLIENT, "%ld of %d requests answered", sum.done, CLIENTS * PER_CLIENT);
        CHECK(sum.connects == CLIENTS, "keep-alive: %ld connections for %d clients", sum.connects, CLIENTS);
        double mutated = e2e_metric_get(
            srv.health_port, "django_admission_requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"allowed\"}");
        double denied = e2e_metric_get(
            srv.health_port, "django_admission_requests_total{endpoint=\"validate\",operation=\"CREATE\",decision=\"denied\"}");
        CHECK(mutated + denied == CLIENTS * PER_CLIENT, "metrics count %.0f + %.0f reviews, expected %d", mutated, denied,
              CLIENTS * PER_CLIENT);
    }
    free(fixture);
    e2e_server_stop(&srv, 15000);
}

/* ---- certificate rotation ---- */

static int copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *text = e2e_read_file(from, &len);
    int rc = text ? e2e_write_file(to, text, len) : -1;

    free(text);
    return rc;
}

/* Publishes a pair the way the kubelet's atomic writer updates a mounted
 * Secret: the files go to a new timestamped directory, a "..data_tmp"
 * symlink to it is renamed over "..data", and tls.crt and tls.key are
 * symlinks through "..data"; then the previous directory is removed. */
static int kubelet_publish(const char *dir, int generation, const char *cert, const char *key)
{
    char ts[64], path[PATH_MAX + 64], link_tmp[PATH_MAX], data[PATH_MAX], old[PATH_MAX];

    snprintf(ts, sizeof(ts), "..2026_11_27_00_00_%02d.%d", generation, 1000 + generation);
    snprintf(path, sizeof(path), "%s/%s", dir, ts);
    if (mkdir(path, 0755) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s/tls.crt", dir, ts);
    if (copy_file(cert, path) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s/tls.key", dir, ts);
    if (copy_file(key, path) < 0)
        return -1;
    snprintf(link_tmp, sizeof(link_tmp), "%s/..data_tmp", dir);
    snprintf(data, sizeof(data), "%s/..data", dir);
    unlink(link_tmp);
    if (symlink(ts, link_tmp) < 0 || rename(link_tmp, data) < 0)
        return -1;
    if (generation == 1) {
        snprintf(path, sizeof(path), "%s/tls.crt", dir);
        if (symlink("..data/tls.crt", path) < 0)
            return -1;
        snprintf(path, sizeof(path), "%s/tls.key", dir);
        if (symlink("..data/tls.key", path) < 0)
            return -1;
    } else {
        snprintf(old, sizeof(old), "%s/..2026_11_27_00_00_%02d.%d", dir, generation - 1, 999 + generation);
        snprintf(path, sizeof(path), "%s/tls.crt", old);
        unlink(path);
        snprintf(path, sizeof(path), "%s/tls.key", old);
        unlink(path);
        rmdir(old);
    }
    return 0;
}

/* Waits (bounded) until the metric reaches at least want; returns its value. */
static double wait_metric(int health_port, const char *series, double want, long timeout_ms)
{
    long long deadline = e2e_now_ms() + timeout_ms;
    double v;

    while ((v = e2e_metric_get(health_port, series)) < want && e2e_now_ms() < deadline)
        e2e_sleep_ms(20);
    return v;
}

static int any_saw(const struct worker *w, int n, int leaf)
{
    for (int i = 0; i < n; i++)
        if (atomic_load(&w[i].seen[leaf]) > 0)
            return 1;
    return 0;
}

#define ROTATORS 4

/* see cases.h */
void case_rotation(const struct e2e *e)
{
    static struct worker w[ROTATORS];
    struct e2e_pair pair[3];
    struct e2e_server srv;
    struct worker sum;
    struct load l = {0};
    char dir[PATH_MAX], kube[PATH_MAX], bundle[PATH_MAX], cert[PATH_MAX + 16], key[PATH_MAX + 16];
    char *fixture = read_fixture(e, "review-django.json");
    char *pem[3] = {NULL, NULL, NULL};
    int started = 0;

    for (int i = 0; i < 3; i++) {
        snprintf(dir, sizeof(dir), "%s/rotation-pair%d", e->tmp, i + 1);
        /* different validity, so the expiry metric tells them apart */
        if (e2e_make_pair(dir, 30 * (i + 1), &pair[i]) < 0) {
            CHECK(0, "setup failed");
            goto out;
        }
        pem[i] = e2e_read_file(pair[i].cert, NULL);
    }
    /* each pair has its own CA (certs.h makes both): trust all three, so a
     * failure can only come from the server */
    snprintf(bundle, sizeof(bundle), "%s/rotation-cas.crt", e->tmp);
    {
        char *a = e2e_read_file(pair[0].ca, NULL), *b = e2e_read_file(pair[1].ca, NULL),
             *c = e2e_read_file(pair[2].ca, NULL);
        size_t n = (a ? strlen(a) : 0) + (b ? strlen(b) : 0) + (c ? strlen(c) : 0);
        char *all = malloc(n + 1);
        if (all && a && b && c) {
            snprintf(all, n + 1, "%s%s%s", a, b, c);
            CHECK(e2e_write_file(bundle, all, n) == 0, "cannot write %s", bundle);
        }
        free(all);
        free(a);
        free(b);
        free(c);
    }
    snprintf(kube, sizeof(kube), "%s/rotation-secret", e->tmp);
    snprintf(cert, sizeof(cert), "%s/tls.crt", kube);
    snprintf(key, sizeof(key), "%s/tls.key", kube);
    if (!fixture || !pem[0] || !pem[1] || !pem[2] || mkdir(kube, 0755) < 0 ||
        kubelet_publish(kube, 1, pair[0].cert, pair[0].key) < 0 ||
        e2e_server_start(e, &srv, "rotation.log", cert, key, NULL) < 0) {
        CHECK(0, "setup failed");
        goto out;
    }
    started = 1;
    l.port = srv.port;
    l.ca = bundle;
    l.fixture = fixture;
    l.fresh = true;
    l.leaf_pem[0] = pem[0];
    l.leaf_pem[1] = pem[1];
    l.leaf_pem[2] = pem[2];
    l.deadline_ms = e2e_now_ms() + 120000;
    if (workers_start(w, ROTATORS, 0, &l) < 0)
        goto out;

    CHECK(wait_done(&l, 20, 30000) == 0, "no load before the rotation");
    /* rotate to pair 2 */
    CHECK(kubelet_publish(kube, 2, pair[1].cert, pair[1].key) == 0, "cannot publish pair 2");
    long long until = e2e_now_ms() + 20000;
    while (!any_saw(w, ROTATORS, 1) && e2e_now_ms() < until)
        e2e_sleep_ms(10);
    CHECK(any_saw(w, ROTATORS, 1), "no new connection presented the new certificate within 20 s");
    double expiry = wait_metric(srv.health_port, "django_admission_tls_certificate_expiry_timestamp_seconds",
                                (double)pair[1].not_after, 5000);
    CHECK(expiry == (double)pair[1].not_after, "expiry metric %.0f is not the new certificate's %lld", expiry,
          pair[1].not_after);
    CHECK(e2e_metric_get(srv.health_port, "django_admission_reloads_total{kind=\"certificate\",result=\"success\"}") >= 1,
          "certificate reload success not counted");
    CHECK(e2e_metric_get(srv.health_port, "django_admission_reloads_total{kind=\"certificate\",result=\"failure\"}") == 0,
          "a good rotation counted a failure");
    CHECK(wait_done(&l, atomic_load(&l.done) + 20, 30000) == 0, "load stopped after the rotation");

    /* a broken pair: pair 3's certificate with pair 2's key */
    CHECK(kubelet_publish(kube, 3, pair[2].cert, pair[1].key) == 0, "cannot publish the broken pair");
    double failures = wait_metric(srv.health_port,
                                  "django_admission_reloads_total{kind=\"certificate\",result=\"failure\"}", 1, 20000);
    CHECK(failures >= 1, "the broken pair was not counted as a failed reload (%.0f)", failures);
    CHECK(wait_done(&l, atomic_load(&l.done) + 20, 30000) == 0, "load stopped after the broken pair");
    atomic_store(&l.stop, true);
    workers_join(w, ROTATORS, &sum);
    printf("  %ld new connections: %ld with pair 1, %ld with pair 2, %ld with pair 3, %ld other; %ld failed\n",
           sum.done, sum.seen[0], sum.seen[1], sum.seen[2], sum.seen[3], sum.failed);
    CHECK(sum.failed == 0, "%ld requests failed during the rotations", sum.failed);
    CHECK(sum.seen[0] > 0 && sum.seen[1] > 0, "both certificates must have been served");
    CHECK(sum.seen[2] == 0, "the broken pair's certificate was served %ld times", sum.seen[2]);
    CHECK(sum.seen[3] == 0, "%ld handshakes presented an unknown certificate", sum.seen[3]);
    CHECK(sum.went_back == 0, "%ld handshakes went back to the old certificate after the new one", sum.went_back);
    CHECK(e2e_metric_get(srv.health_port, "django_admission_tls_certificate_expiry_timestamp_seconds") ==
              (double)pair[1].not_after,
          "expiry metric moved off the pair in use");
    CHECK(e2e_server_log_has(&srv, "certificate reload failed"), "the failed reload was not logged");
out:
    if (started)
        e2e_server_stop(&srv, 15000);
    for (int i = 0; i < 3; i++)
        free(pem[i]);
    free(fixture);
}

/* ---- SIGTERM ---- */

#define DRAINERS 8

/* see cases.h */
void case_sigterm(const struct e2e *e)
{
    static struct worker w[DRAINERS];
    struct e2e_pair pair;
    struct e2e_server srv;
    struct worker sum;
    struct load l = {0}, fresh = {0};
    struct e2e_buf ready = {0};
    struct e2e_raw slow = {.fd = -1};
    gnutls_certificate_credentials_t cred = NULL;
    char dir[PATH_MAX], head[512];
    char *fixture = read_fixture(e, "review-django.json");
    const char *extra[] = {"--drain", "2", NULL};

    snprintf(dir, sizeof(dir), "%s/sigterm-certs", e->tmp);
    if (!fixture || e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "sigterm.log", pair.cert, pair.key, extra) < 0) {
        CHECK(0, "setup failed");
        free(fixture);
        return;
    }
    size_t body_len = strlen(fixture);
    size_t head_len = (size_t)snprintf(head, sizeof(head),
                                       "POST /mutate?timeout=10s HTTP/1.1\r\nHost: %s:%d\r\n"
                                       "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                                       E2E_HOST, srv.port, body_len);
    /* a slow request: headers in before SIGTERM, body only after the drain
     * window closed; accepted, so it must still be answered */
    if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
        gnutls_certificate_set_x509_trust_file(cred, pair.ca, GNUTLS_X509_FMT_PEM) <= 0 ||
        e2e_raw_open(&slow, RAW_HALF_BODY, srv.port, cred, head, head_len, fixture, body_len) < 0) {
        CHECK(0, "slow client setup failed");
        goto out;
    }
    l.port = srv.port;
    l.ca = pair.ca;
    l.fixture = fixture;
    l.deadline_ms = e2e_now_ms() + 60000;
    /* half keep-alive (as the API server), half a new connection each time */
    if (workers_start(w, DRAINERS / 2, 0, &l) < 0)
        goto out;
    fresh.port = l.port;
    fresh.ca = l.ca;
    fresh.fixture = l.fixture;
    fresh.deadline_ms = l.deadline_ms;
    fresh.fresh = true;
    if (workers_start(w + DRAINERS / 2, DRAINERS / 2, DRAINERS / 2, &fresh) < 0) {
        atomic_store(&l.stop, true);
        workers_join(w, DRAINERS / 2, &sum);
        goto out;
    }
    CHECK(wait_done(&l, 50, 30000) == 0 && wait_done(&fresh, 10, 30000) == 0, "no load before SIGTERM");

    atomic_store(&l.signaled, true);
    atomic_store(&fresh.signaled, true);
    long before = atomic_load(&l.done) + atomic_load(&fresh.done);
    e2e_server_signal(&srv, SIGTERM);
    /* readiness turns false at once */
    long status = 0;
    for (int i = 0; i < 100 && (status = e2e_health_get(srv.health_port, "/health/ready", &ready)) != 503; i++)
        e2e_sleep_ms(10);
    CHECK(status == 503 && ready.data && strcmp(ready.data, "draining\n") == 0,
          "/health/ready after SIGTERM: %ld %s, expected 503 draining", status, ready.data ? ready.data : "");
    CHECK(e2e_health_get(srv.health_port, "/health/live", NULL) == 200, "/health/live is not 200 while draining");
    /* clients keep sending for half the drain window, as endpoints do
     * while they learn the pod is not ready, then stop */
    e2e_sleep_ms(1000);
    atomic_store(&l.stop, true);
    atomic_store(&fresh.stop, true);
    workers_join(w, DRAINERS, &sum);
    long during = sum.done - before;
    printf("  %ld answered, %ld during the drain (%ld with Connection: close), %ld failed\n", sum.done, during,
           sum.closes, sum.failed);
    CHECK(sum.failed == 0, "%ld requests failed around SIGTERM", sum.failed);
    CHECK(during > 0 && sum.after_signal > 0, "no request was answered during the drain");
    CHECK(sum.closes > 0, "no answer during the drain asked the client to close its connection");

    /* the drain window is over (2 s) before this returns */
    e2e_sleep_ms(1500);
    struct e2e_buf answer = {0};
    int st = e2e_raw_finish(&slow, fixture, body_len, &answer);
    const char *uid = NULL;
    int allowed = -1;
    cJSON *j = st == 200 ? e2e_parse_review(answer.data, answer.len, &uid, &allowed) : NULL;
    CHECK(j && allowed == 1 && strcmp(uid, FIXTURE_UID) == 0,
          "the request in flight across the drain was not answered: status %d %.200s", st,
          answer.data ? answer.data : "");
    cJSON_Delete(j);
    e2e_buf_free(&answer);

    CHECK(e2e_server_wait(&srv, 20000) == 0, "server still running 20 s after the drain");
out:
    e2e_raw_close(&slow);
    if (cred)
        gnutls_certificate_free_credentials(cred);
    e2e_server_stop(&srv, 15000);
    e2e_buf_free(&ready);
    free(fixture);
}

/* ---- SIGHUP ---- */

/* The replicas value the webhook adds to a Deployment that has none; -1
 * when it adds none or the request failed. */
static long replicas_added(struct e2e_client *c, const char *body)
{
    long v = -1;

    if (e2e_client_post(c, "/mutate?timeout=10s", body, strlen(body)) != CURLE_OK || c->status != 200)
        return -1;
    cJSON *j = e2e_parse_review(c->body.data, c->body.len, NULL, NULL);
    cJSON *patch = e2e_patch_of(j);
    v = e2e_patch_int(patch, "/spec/replicas");
    cJSON_Delete(patch);
    cJSON_Delete(j);
    return v;
}

static long wait_replicas(struct e2e_client *c, const char *body, long want, long timeout_ms)
{
    long long deadline = e2e_now_ms() + timeout_ms;
    long v;

    while ((v = replicas_added(c, body)) != want && e2e_now_ms() < deadline)
        e2e_sleep_ms(20);
    return v;
}

#define POLICY_GOOD_5 "# e2e policy\nreplicas:\n  default: 5\n"
#define POLICY_BROKEN "# e2e policy, broken\nreplicas:\n  default: many\n"
#define POLICY_GOOD_4 "# e2e policy, changed\nreplicas:\n  default: 4\n"
#define POLICY_GOOD_6 "# e2e policy, changed on disk only\nreplicas:\n  default: 6\n"

#define RELOAD_OK "django_admission_reloads_total{kind=\"policy\",result=\"success\"}"
#define RELOAD_FAILED "django_admission_reloads_total{kind=\"policy\",result=\"failure\"}"

/* see cases.h */
void case_sighup(const struct e2e *e)
{
    static struct worker w[2];
    struct e2e_pair pair;
    struct e2e_server srv;
    struct e2e_client c = {0};
    struct worker sum;
    struct load l = {0};
    char dir[PATH_MAX], policy[PATH_MAX];
    char *fixture = read_fixture(e, "review-django.json");
    char *no_replicas = NULL;
    const char *extra[] = {"--policy", policy, NULL};
    int loaded = 0;

    snprintf(dir, sizeof(dir), "%s/sighup-certs", e->tmp);
    snprintf(policy, sizeof(policy), "%s/sighup-policy.yaml", e->tmp);
    if (fixture) {
        cJSON *j = cJSON_Parse(fixture);
        cJSON *spec = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "request"), "object"), "spec");
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "replicas");
        char *text = cJSON_PrintUnformatted(j);
        no_replicas = text ? strdup(text) : NULL;
        cJSON_free(text);
        cJSON_Delete(j);
    }
    if (!no_replicas || e2e_write_file(policy, POLICY_GOOD_5, strlen(POLICY_GOOD_5)) < 0 ||
        e2e_make_pair(dir, 30, &pair) < 0 ||
        e2e_server_start(e, &srv, "sighup.log", pair.cert, pair.key, extra) < 0) {
        CHECK(0, "setup failed");
        free(no_replicas);
        free(fixture);
        return;
    }
    /* other clients keep going through every reload */
    l.port = srv.port;
    l.ca = pair.ca;
    l.fixture = fixture;
    l.deadline_ms = e2e_now_ms() + 60000;
    if (workers_start(w, 2, 0, &l) < 0)
        goto out;
    loaded = 1;
    if (e2e_client_init(&c, srv.port, pair.ca) < 0) {
        CHECK(0, "client setup failed");
        goto out;
    }
    CHECK(replicas_added(&c, no_replicas) == 5, "the policy file's replicas default (5) is not used");

    /* SIGHUP reloads even an unchanged file */
    e2e_server_signal(&srv, SIGHUP);
    CHECK(wait_metric(srv.health_port, RELOAD_OK, 1, 10000) >= 1, "SIGHUP did not reload the policy");

    /* a broken policy: refused, counted, logged; the old one keeps serving */
    CHECK(e2e_write_file(policy, POLICY_BROKEN, strlen(POLICY_BROKEN)) == 0, "cannot write the policy");
    e2e_server_signal(&srv, SIGHUP);
    CHECK(wait_metric(srv.health_port, RELOAD_FAILED, 1, 10000) >= 1, "the broken policy was not counted as a failure");
    CHECK(replicas_added(&c, no_replicas) == 5, "the broken policy replaced the old one");
    CHECK(e2e_health_get(srv.health_port, "/health/ready", NULL) == 200, "not ready after a failed reload");
    CHECK(e2e_server_log_has(&srv, "policy reload failed"), "the failed reload was not logged");
    CHECK(e2e_server_log_has(&srv, "/replicas/default"), "the log does not say what is wrong with the policy");

    /* a good changed policy on SIGHUP switches behaviour */
    double ok_before = e2e_metric_get(srv.health_port, RELOAD_OK);
    CHECK(e2e_write_file(policy, POLICY_GOOD_4, strlen(POLICY_GOOD_4)) == 0, "cannot write the policy");
    e2e_server_signal(&srv, SIGHUP);
    CHECK(wait_replicas(&c, no_replicas, 4, 10000) == 4, "the good policy was not loaded on SIGHUP");
    CHECK(e2e_metric_get(srv.health_port, RELOAD_OK) > ok_before, "the good reload was not counted");

    /* and a changed file alone, without a signal */
    CHECK(e2e_write_file(policy, POLICY_GOOD_6, strlen(POLICY_GOOD_6)) == 0, "cannot write the policy");
    CHECK(wait_replicas(&c, no_replicas, 6, 10000) == 6, "the changed file was not picked up without SIGHUP");

    /* a policy file that disappears is reported (two polls of grace, a
     * second apart), the policy in memory keeps serving */
    double failed_before = e2e_metric_get(srv.health_port, RELOAD_FAILED);
    CHECK(unlink(policy) == 0, "cannot remove the policy");
    CHECK(wait_metric(srv.health_port, RELOAD_FAILED, failed_before + 1, 10000) >= failed_before + 1,
          "the missing policy file was not counted as a failed reload");
    CHECK(e2e_server_log_has(&srv, "No such file or directory"), "the log does not say the policy file is gone");
    CHECK(replicas_added(&c, no_replicas) == 6, "the policy in use changed when its file went away");
out:
    atomic_store(&l.stop, true);
    if (loaded) {
        workers_join(w, 2, &sum);
        CHECK(sum.failed == 0 && sum.done > 0, "background clients: %ld answered, %ld failed", sum.done, sum.failed);
    }
    e2e_client_free(&c);
    e2e_server_stop(&srv, 15000);
    free(no_replicas);
    free(fixture);
}

/* ---- the connection limit ---- */

#define LIMIT_FILES 300
#define LIMIT_TRIES 80

/* the server's open descriptors, -1 when they cannot be counted */
static int open_files(pid_t pid)
{
    char path[64];
    struct dirent *d;
    DIR *dir;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    dir = opendir(path);
    if (!dir)
        return -1;
    while ((d = readdir(dir)))
        n += d->d_name[0] != '.';
    closedir(dir);
    return n;
}

/* see cases.h */
void case_connection_limit(const struct e2e *e)
{
    /* 300 descriptors leave 44 connections (fdlimit.h), 11 per worker */
    const int fit = LIMIT_FILES - 256, per_worker = fit / 4;
    struct e2e_pair pair;
    struct e2e_server srv;
    struct e2e_client c;
    static struct e2e_raw held[LIMIT_TRIES];
    char dir[PATH_MAX], line[64];
    char *fixture = read_fixture(e, "review-django.json");
    int before, during = -1, after = -1, status = 0;

    snprintf(dir, sizeof(dir), "%s/limit-certs", e->tmp);
    if (!fixture || e2e_make_pair(dir, 30, &pair) < 0) {
        CHECK(0, "setup failed");
        free(fixture);
        return;
    }
    const char *args[] = {"serve", "--listen", "127.0.0.1:0", "--health-listen", "127.0.0.1:0", "--tls-cert",
                          pair.cert, "--tls-key", pair.key, "--drain", "0", NULL};
    if (e2e_server_exec_files(e, &srv, "limit.log", args, LIMIT_FILES) < 0) {
        CHECK(0, "serve did not start under an open-file limit of %d", LIMIT_FILES);
        free(fixture);
        return;
    }
    snprintf(line, sizeof(line), "\"connectionLimit\":%d,", fit);
    CHECK(e2e_server_log_has(&srv, line), "the listening line does not say %s", line);
    CHECK(e2e_server_log_has(&srv, "open-file limit too low"), "the lowered connection limit was not logged");

    /* more clients than the limit, connected and silent: the server takes
     * no more than its limit (11 per worker; the kernel spreads clients
     * over the workers unevenly, so at least one worker's worth), leaves
     * the rest in the backlog, and keeps the descriptors to do its work */
    before = open_files(srv.pid);
    for (int i = 0; i < LIMIT_TRIES; i++)
        CHECK(e2e_raw_open(&held[i], RAW_TCP, srv.port, NULL, NULL, 0, NULL, 0) == 0, "client %d: no TCP", i);
    for (int i = 0; i < 100; i++) {
        e2e_sleep_ms(10);
        during = open_files(srv.pid);
    }
    CHECK(before > 0 && during - before <= fit, "%d descriptors more with %d clients and a limit of %d",
          during - before, LIMIT_TRIES, fit);
    CHECK(during - before >= per_worker, "only %d descriptors more with %d clients", during - before, LIMIT_TRIES);
    CHECK(e2e_health_get(srv.health_port, "/health/live", NULL) == 200, "health listener down at the limit");
    for (int i = 0; i < LIMIT_TRIES; i++)
        e2e_raw_close(&held[i]);
    /* once they leave, new clients are served, and every descriptor is
     * given back */
    for (int i = 0; i < 100 && status != 200; i++) {
        if (e2e_client_init(&c, srv.port, pair.ca) != 0)
            break;
        curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, 2000L);
        if (e2e_client_post(&c, "/mutate?timeout=10s", fixture, strlen(fixture)) == CURLE_OK)
            status = (int)c.status;
        e2e_client_free(&c);
        if (status != 200)
            e2e_sleep_ms(20);
    }
    CHECK(status == 200, "no answer after the silent clients left (status %d)", status);
    for (int i = 0; i < 100 && (after = open_files(srv.pid)) > before; i++)
        e2e_sleep_ms(20);
    CHECK(after <= before, "%d descriptors after the clients left, %d before", after, before);
    printf("server descriptors: %d before, %d with %d silent clients, %d after\n", before, during, LIMIT_TRIES,
           after);
    e2e_server_stop(&srv, 15000);
    free(fixture);
}
