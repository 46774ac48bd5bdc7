/* Tests for metrics: what /metrics sends Prometheus. The text is an API
 * (dashboards and alerts name its series), so it is pinned byte for byte in
 * the zero state and sample by sample after known observations: requests by
 * endpoint, operation and decision; the latency histogram (cumulative
 * buckets in increasing le order, a value exactly on a boundary counted in
 * that boundary's bucket, le="+Inf" equal to _count, _sum in seconds);
 * violations by rule id; patches and patch operations; the in-flight gauge
 * going up and down; HTTP refusals by code; the certificate expiry; reloads
 * by kind and result; build info. An independent checker parses every
 * rendering as the text exposition format 0.0.4 (one HELP and one TYPE per
 * family before its samples, valid names, labels and values, no series
 * twice, histogram invariants). No request field can reach a label (the
 * operation is mapped onto a fixed set), which is shown with hostile
 * operation strings rather than by testing escaping. Updates from several
 * threads must add up exactly, and a scrape during updates must still be a
 * valid histogram. */
#include <pthread.h>
#include <math.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "metrics.h"

#define P "django_admission_"
#define VERSION "9.8.7-test"

/* ---- helpers -------------------------------------------------------------- */

static char *render(const struct metrics *m, const char *version)
{
    size_t len = (size_t)-1;
    char *text = metrics_render(m, version, &len);

    assert_non_null(text);
    /* the length is the text's: the server sends len bytes */
    assert_int_equal(len, strlen(text));
    return text;
}

/* True when `line` is a whole line of text (not a prefix or suffix of one). */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

/* On failure shows the samples of the same name, not the whole text. */
static void assert_line(const char *text, const char *line)
{
    char shown[4096] = "";
    size_t name = strcspn(line, "{ ");

    if (has_line(text, line))
        return;
    for (const char *p = text; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != '\0')) {
        size_t n = strcspn(p, "\n");
        if (strncmp(p, line, name) == 0 && strlen(shown) + n + 2 < sizeof(shown)) {
            strncat(shown, p, n);
            strcat(shown, "\n");
        }
    }
    fail_msg("missing line: %s\n--- rendered with that name ---\n%s", line, shown);
}

static void assert_no_series(const char *text, const char *series)
{
    char key[512];

    snprintf(key, sizeof(key), "\n%s ", series);
    if (strstr(text, key))
        fail_msg("unexpected series: %s", series);
}

/* Value of the one sample whose name and labels are exactly `series`. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    const char *found = NULL;

    for (const char *p = strstr(text, series); p; p = strstr(p + 1, series)) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ') {
            if (found)
                fail_msg("series twice: %s", series);
            found = p + n + 1;
        }
    }
    if (!found)
        fail_msg("no series %s\n--- rendered ---\n%s", series, text);
    return strtod(found, NULL);
}

static void outcome(struct admission_outcome *o, const char *op, enum admission_decision d,
                    size_t patch_ops)
{
    memset(o, 0, sizeof(*o));
    o->http_status = 200;
    snprintf(o->operation, sizeof(o->operation), "%s", op);
    o->decision = d;
    o->patch_ops = patch_ops;
}

/* A fresh struct metrics on the heap, deliberately dirty first so that
 * metrics_init, not calloc, is what zeroes it. */
static struct metrics *new_metrics(void)
{
    struct metrics *m = malloc(sizeof(*m));

    assert_non_null(m);
    memset(m, 0xA5, sizeof(*m));
    metrics_init(m);
    return m;
}

static void observe(struct metrics *m, enum metrics_endpoint e, const char *op, enum admission_decision d,
                    unsigned long long us)
{
    struct admission_outcome o;

    outcome(&o, op, d, 0);
    metrics_observe(m, e, &o, us);
}

/* ---- an independent parser for the text exposition format 0.0.4 ---------- */

#define MAX_FAMILIES 32
#define MAX_SERIES 256
#define MAX_HIST 8

struct hist_state {
    char key[256]; /* name prefix + labels other than le */
    double last_le;
    double last_value;
    bool has_bucket, has_inf, has_count;
    double inf_value, count_value;
};

struct checker {
    char families[MAX_FAMILIES][128];
    size_t nfamilies;
    char series[MAX_SERIES][512];
    size_t nseries;
    struct hist_state hist[MAX_HIST];
    size_t nhist;
};

static bool valid_metric_name(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '_' || s[0] == ':' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] == '_' || s[i] == ':' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static struct hist_state *hist_for(struct checker *c, const char *key)
{
    for (size_t i = 0; i < c->nhist; i++)
        if (strcmp(c->hist[i].key, key) == 0)
            return &c->hist[i];
    assert_true(c->nhist < MAX_HIST);
    struct hist_state *h = &c->hist[c->nhist++];
    memset(h, 0, sizeof(*h));
    snprintf(h->key, sizeof(h->key), "%s", key);
    return h;
}

/* Appends n bytes of a to the NUL-terminated string in dst[size]. */
static void append(char *dst, size_t size, const char *a, size_t n)
{
    size_t used = strlen(dst);

    assert_true(used + n < size);
    memcpy(dst + used, a, n);
    dst[used + n] = '\0';
}

/* Parses {k="v",...} at *pp; checks names and escapes; writes the label
 * set without `le` to rest (for grouping histogram series) and le's value,
 * if any, to le. */
static void parse_labels(const char *line, const char **pp, char *rest, size_t restsz, char *le, size_t lesz)
{
    const char *p = *pp;
    char names[16][64];
    size_t nnames = 0;

    rest[0] = '\0';
    le[0] = '\0';
    assert_true(*p == '{');
    p++;
    while (*p != '}') {
        const char *k = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || (p > k && *p >= '0' && *p <= '9'))
            p++;
        size_t kn = (size_t)(p - k);
        if (kn == 0 || kn >= 64 || (kn >= 2 && k[0] == '_' && k[1] == '_'))
            fail_msg("bad label name in: %s", line);
        for (size_t i = 0; i < nnames; i++)
            if (strlen(names[i]) == kn && memcmp(names[i], k, kn) == 0)
                fail_msg("label twice in: %s", line);
        assert_true(nnames < 16);
        memcpy(names[nnames], k, kn);
        names[nnames++][kn] = '\0';
        if (p[0] != '=' || p[1] != '"')
            fail_msg("label without =\" in: %s", line);
        p += 2;
        char value[256];
        size_t vn = 0;
        while (*p != '"') {
            if (*p == '\0' || *p == '\n')
                fail_msg("unterminated label value in: %s", line);
            if (*p == '\\') {
                /* the format knows only these three escapes */
                if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                    fail_msg("bad escape in: %s", line);
                if (vn < sizeof(value) - 2)
                    value[vn++] = *p;
                p++;
            }
            if (vn < sizeof(value) - 1)
                value[vn++] = *p;
            p++;
        }
        value[vn] = '\0';
        p++;
        if (kn == 2 && memcmp(k, "le", 2) == 0) {
            append(le, lesz, value, vn);
        } else {
            append(rest, restsz, k, kn);
            append(rest, restsz, "=\"", 2);
            append(rest, restsz, value, vn);
            append(rest, restsz, "\",", 2);
        }
        if (*p == ',')
            p++;
        else if (*p != '}')
            fail_msg("labels not separated by a comma in: %s", line);
    }
    *pp = p + 1;
}

static double parse_value(const char *line, const char *s)
{
    char *end;
    double v;

    if (strcmp(s, "+Inf") == 0)
        return INFINITY;
    if (strcmp(s, "-Inf") == 0)
        return -INFINITY;
    if (strcmp(s, "NaN") == 0)
        return NAN;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || isinf(v) || isnan(v))
        fail_msg("bad value in: %s", line);
    return v;
}

static void check_sample(struct checker *c, const char *line, const char *family, const char *type)
{
    const char *p = line;
    char name[128], rest[256], le[64], key[512];
    double v;

    while (*p && *p != '{' && *p != ' ')
        p++;
    assert_true((size_t)(p - line) < sizeof(name));
    memcpy(name, line, (size_t)(p - line));
    name[p - line] = '\0';
    if (!valid_metric_name(name, strlen(name)))
        fail_msg("bad metric name in: %s", line);
    rest[0] = le[0] = '\0';
    if (*p == '{')
        parse_labels(line, &p, rest, sizeof(rest), le, sizeof(le));
    if (*p != ' ')
        fail_msg("no single space before the value in: %s", line);
    p++;
    /* no timestamps: the server's scrape time is the right one */
    if (strchr(p, ' '))
        fail_msg("more than a value after the labels in: %s", line);
    v = parse_value(line, p);

    /* the sample belongs to the family whose TYPE came last */
    if (!family)
        fail_msg("sample before any TYPE: %s", line);
    if (strcmp(type, "histogram") == 0) {
        char want[160];
        bool ok = false;
        const char *suffix = NULL;
        static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
        for (size_t i = 0; i < 3; i++) {
            snprintf(want, sizeof(want), "%s%s", family, suffixes[i]);
            if (strcmp(name, want) == 0) {
                ok = true;
                suffix = suffixes[i];
            }
        }
        if (!ok)
            fail_msg("sample %s is not part of histogram %s", name, family);
        struct hist_state *h = hist_for(c, rest);
        if (strcmp(suffix, "_bucket") == 0) {
            if (le[0] == '\0')
                fail_msg("bucket without le: %s", line);
            double lev = parse_value(line, le);
            if (h->has_inf)
                fail_msg("bucket after le=\"+Inf\": %s", line);
            if (h->has_bucket && !(lev > h->last_le))
                fail_msg("le not increasing: %s", line);
            if (h->has_bucket && v < h->last_value)
                fail_msg("bucket count not cumulative: %s", line);
            h->has_bucket = true;
            h->last_le = lev;
            h->last_value = v;
            if (isinf(lev)) {
                h->has_inf = true;
                h->inf_value = v;
            }
        } else {
            if (le[0])
                fail_msg("le on a non-bucket sample: %s", line);
            if (strcmp(suffix, "_count") == 0) {
                h->has_count = true;
                h->count_value = v;
            }
            if (v < 0)
                fail_msg("negative %s: %s", suffix, line);
        }
    } else {
        if (strcmp(name, family) != 0)
            fail_msg("sample %s is not part of family %s", name, family);
        if (le[0])
            fail_msg("le outside a histogram: %s", line);
        if (strcmp(type, "counter") == 0 && (v < 0 || v != (double)(unsigned long long)v))
            fail_msg("counter not a non-negative integer: %s", line);
    }

    snprintf(key, sizeof(key), "%s{%s%s}", name, rest, le);
    for (size_t i = 0; i < c->nseries; i++)
        if (strcmp(c->series[i], key) == 0)
            fail_msg("series twice: %s", line);
    assert_true(c->nseries < MAX_SERIES);
    c->series[c->nseries][0] = '\0';
    append(c->series[c->nseries++], sizeof(c->series[0]), key, strlen(key));
}

/* Checks text as a whole exposition; returns the number of samples. */
static size_t check_exposition(const char *text)
{
    struct checker *c = calloc(1, sizeof(*c));
    regex_t re;
    const char *p = text;
    char family[128] = "", type[16] = "", help_for[128] = "";
    size_t samples = 0;

    assert_non_null(c);
    /* the brief's shape of a sample line, as a second opinion */
    assert_int_equal(regcomp(&re, "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? -?[0-9.e+Inf-]+$", REG_EXTENDED | REG_NOSUB),
                     0);
    assert_true(*text != '\0');
    assert_true(text[strlen(text) - 1] == '\n');
    while (*p) {
        const char *nl = strchr(p, '\n');
        char line[1024];
        size_t n;

        assert_non_null(nl);
        n = (size_t)(nl - p);
        assert_true(n < sizeof(line));
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl + 1;
        if (n == 0)
            fail_msg("empty line");
        if (strncmp(line, "# HELP ", 7) == 0) {
            const char *name = line + 7, *sp = strchr(name, ' ');
            if (!sp || !valid_metric_name(name, (size_t)(sp - name)) || sp[1] == '\0')
                fail_msg("bad HELP: %s", line);
            if (help_for[0])
                fail_msg("HELP not followed by its TYPE: %s", line);
            snprintf(help_for, sizeof(help_for), "%.*s", (int)(sp - name), name);
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            const char *name = line + 7, *sp = strchr(name, ' ');
            if (!sp || !valid_metric_name(name, (size_t)(sp - name)))
                fail_msg("bad TYPE: %s", line);
            snprintf(family, sizeof(family), "%.*s", (int)(sp - name), name);
            snprintf(type, sizeof(type), "%s", sp + 1);
            if (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "histogram") &&
                strcmp(type, "summary") && strcmp(type, "untyped"))
                fail_msg("bad type: %s", line);
            if (strcmp(help_for, family) != 0)
                fail_msg("TYPE without its HELP just before: %s", line);
            help_for[0] = '\0';
            for (size_t i = 0; i < c->nfamilies; i++)
                if (strcmp(c->families[i], family) == 0)
                    fail_msg("second TYPE for %s", family);
            assert_true(c->nfamilies < MAX_FAMILIES);
            snprintf(c->families[c->nfamilies++], sizeof(c->families[0]), "%s", family);
            /* the naming convention Prometheus and OpenMetrics expect */
            if (strcmp(type, "counter") == 0 && !ends_with(family, "_total"))
                fail_msg("counter not named _total: %s", family);
            continue;
        }
        if (line[0] == '#')
            fail_msg("unexpected comment: %s", line);
        if (help_for[0])
            fail_msg("sample between HELP and TYPE: %s", line);
        if (regexec(&re, line, 0, NULL, 0) != 0)
            fail_msg("sample line does not match the shape: %s", line);
        check_sample(c, line, family[0] ? family : NULL, type);
        samples++;
    }
    if (help_for[0])
        fail_msg("HELP at the end without TYPE");
    for (size_t i = 0; i < c->nhist; i++) {
        struct hist_state *h = &c->hist[i];
        if (!h->has_inf || !h->has_count)
            fail_msg("histogram {%s} lacks le=\"+Inf\" or _count", h->key);
        if (h->inf_value != h->count_value)
            fail_msg("histogram {%s}: le=\"+Inf\" %.0f != _count %.0f", h->key, h->inf_value, h->count_value);
    }
    regfree(&re);
    free(c);
    return samples;
}

/* ---- the zero state, byte for byte ---------------------------------------- */

#define REQ0(e, op, d) P "requests_total{endpoint=\"" e "\",operation=\"" op "\",decision=\"" d "\"} 0\n"
#define REQ0_ENDPOINT(e)                                                                          \
    REQ0(e, "CREATE", "skipped") REQ0(e, "CREATE", "allowed") REQ0(e, "CREATE", "denied")       \
    REQ0(e, "UPDATE", "skipped") REQ0(e, "UPDATE", "allowed") REQ0(e, "UPDATE", "denied")
#define B0(e, le) P "request_duration_seconds_bucket{endpoint=\"" e "\",le=\"" le "\"} 0\n"
#define HIST0(e)                                                                                  \
    B0(e, "5e-05") B0(e, "0.0001") B0(e, "0.00025") B0(e, "0.0005") B0(e, "0.001")                \
    B0(e, "0.0025") B0(e, "0.005") B0(e, "0.01") B0(e, "0.025") B0(e, "0.05") B0(e, "0.1")        \
    B0(e, "0.25") B0(e, "0.5") B0(e, "1") B0(e, "+Inf")                                           \
    P "request_duration_seconds_sum{endpoint=\"" e "\"} 0.000000\n"                               \
    P "request_duration_seconds_count{endpoint=\"" e "\"} 0\n"
#define V0(r) P "violations_total{rule=\"" r "\"} 0\n"

/* samples in the zero state: requests 12, histogram 2 * 17, violations 27,
 * patches 1 + 1, refusals 6, in flight 1, expiry 1, reloads 4, build 1 */
#define ZERO_SAMPLES 90

/* in pieces: ISO C compilers need not take string literals over 4095 bytes */
static const char *const zero_state[] = {
    "# HELP " P "requests_total AdmissionReviews answered, by endpoint, operation and decision.\n"
    "# TYPE " P "requests_total counter\n" REQ0_ENDPOINT("mutate") REQ0_ENDPOINT("validate"),

    "# HELP " P "request_duration_seconds Time from a complete request body to the response being queued.\n"
    "# TYPE " P "request_duration_seconds histogram\n" HIST0("mutate"),
    HIST0("validate"),

    "# HELP " P "violations_total Violations found, by rule id.\n"
    "# TYPE " P "violations_total counter\n"
    V0("replicas-minimum")
    V0("probe-liveness-missing")
    V0("probe-liveness-policy")
    V0("probe-readiness-missing")
    V0("probe-readiness-policy")
    V0("probe-startup-missing")
    V0("probe-startup-policy")
    V0("resources-requests-missing")
    V0("resources-limits-missing")
    V0("resources-requests-above-limits")
    V0("resources-limits-above-maximum")
    V0("pss-privileged")
    V0("pss-host-namespaces")
    V0("pss-host-path")
    V0("pss-host-port")
    V0("pss-capabilities-add")
    V0("pss-capabilities-drop-all")
    V0("pss-privilege-escalation")
    V0("pss-run-as-non-root")
    V0("pss-run-as-user-root")
    V0("pss-seccomp-profile")
    V0("read-only-root-filesystem")
    V0("prometheus-annotations")
    V0("strategy-max-unavailable")
    V0("pod-anti-affinity")
    V0("env-literal-secret")
    V0("image-tag"),

    "# HELP " P "patches_total Mutation responses that carried a JSON Patch.\n"
    "# TYPE " P "patches_total counter\n"
    P "patches_total 0\n"
    "# HELP " P "patch_operations_total JSON Patch operations sent.\n"
    "# TYPE " P "patch_operations_total counter\n"
    P "patch_operations_total 0\n"
    "# HELP " P "http_errors_total Requests refused before review, by HTTP status.\n"
    "# TYPE " P "http_errors_total counter\n"
    P "http_errors_total{code=\"400\"} 0\n"
    P "http_errors_total{code=\"401\"} 0\n"
    P "http_errors_total{code=\"404\"} 0\n"
    P "http_errors_total{code=\"405\"} 0\n"
    P "http_errors_total{code=\"413\"} 0\n"
    P "http_errors_total{code=\"415\"} 0\n"
    P "http_errors_total{code=\"500\"} 0\n"
    P "http_errors_total{code=\"other\"} 0\n"
    "# HELP " P "in_flight_requests Requests being received or reviewed now.\n"
    "# TYPE " P "in_flight_requests gauge\n"
    P "in_flight_requests 0\n"
    "# HELP " P "tls_certificate_expiry_timestamp_seconds notAfter of the serving certificate in use.\n"
    "# TYPE " P "tls_certificate_expiry_timestamp_seconds gauge\n"
    P "tls_certificate_expiry_timestamp_seconds 0\n"
    "# HELP " P "reloads_total Policy and certificate reloads, by kind and result.\n"
    "# TYPE " P "reloads_total counter\n"
    P "reloads_total{kind=\"policy\",result=\"success\"} 0\n"
    P "reloads_total{kind=\"policy\",result=\"failure\"} 0\n"
    P "reloads_total{kind=\"certificate\",result=\"success\"} 0\n"
    P "reloads_total{kind=\"certificate\",result=\"failure\"} 0\n"
    "# HELP " P "build_info Version of the running binary.\n"
    "# TYPE " P "build_info gauge\n"
    P "build_info{version=\"" VERSION "\"} 1\n",
};

static void test_zero_state_exact(void **state)
{
    struct metrics *m = new_metrics();
    char *text = render(m, VERSION);
    const char *p = text;

    (void)state;
    for (size_t i = 0; i < sizeof(zero_state) / sizeof(zero_state[0]); i++) {
        size_t n = strlen(zero_state[i]);
        if (strncmp(p, zero_state[i], n) != 0)
            fail_msg("zero state differs in piece %zu\n--- want ---\n%s--- got ---\n%.*s", i, zero_state[i], (int)n,
                     p);
        p += n;
    }
    assert_string_equal(p, "");
    assert_int_equal(check_exposition(text), ZERO_SAMPLES);
    free(text);
    free(m);
}

/* The rule labels come from the rule table: every rule has its line, so a
 * rule added later cannot be silently missing from /metrics. */
static void test_violation_line_per_rule(void **state)
{
    struct metrics *m = new_metrics();
    char *text = render(m, VERSION);
    char line[256];

    (void)state;
    for (int r = 0; r < RULE_COUNT; r++) {
        snprintf(line, sizeof(line), P "violations_total{rule=\"%s\"} 0", rules_get((enum rule_id)r)->name);
        assert_line(text, line);
    }
    free(text);
    free(m);
}

/* ---- requests ------------------------------------------------------------- */

static void test_operation_parse(void **state)
{
    (void)state;
    assert_int_equal(metrics_operation_parse("CREATE"), OP_CREATE);
    assert_int_equal(metrics_operation_parse("UPDATE"), OP_UPDATE);
    assert_int_equal(metrics_operation_parse("DELETE"), OP_DELETE);
    assert_int_equal(metrics_operation_parse("CONNECT"), OP_CONNECT);
    /* Kubernetes spells them in capitals; anything else is one bucket so
     * a client cannot grow the number of series */
    assert_int_equal(metrics_operation_parse("create"), OP_OTHER);
    assert_int_equal(metrics_operation_parse("CREATE "), OP_OTHER);
    assert_int_equal(metrics_operation_parse("CREAT"), OP_OTHER);
    assert_int_equal(metrics_operation_parse(""), OP_OTHER);
    assert_int_equal(metrics_operation_parse("other"), OP_OTHER);
}

static void test_requests_by_labels(void **state)
{
    struct metrics *m = new_metrics();
    char *text;

    (void)state;
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 10);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 10);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 10);
    observe(m, ENDPOINT_MUTATE, "UPDATE", DECISION_SKIPPED, 10);
    observe(m, ENDPOINT_VALIDATE, "CREATE", DECISION_DENIED, 10);
    observe(m, ENDPOINT_VALIDATE, "CREATE", DECISION_DENIED, 10);
    observe(m, ENDPOINT_VALIDATE, "UPDATE", DECISION_ALLOWED, 10);
    observe(m, ENDPOINT_VALIDATE, "DELETE", DECISION_SKIPPED, 10);
    observe(m, ENDPOINT_MUTATE, "CONNECT", DECISION_SKIPPED, 10);
    observe(m, ENDPOINT_MUTATE, "PATCH", DECISION_SKIPPED, 10);
    observe(m, ENDPOINT_MUTATE, "", DECISION_SKIPPED, 10);
    observe(m, ENDPOINT_VALIDATE, "CREATE", DECISION_ERROR, 10);
    text = render(m, VERSION);

    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"allowed\"} 3");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"skipped\"} 0");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"denied\"} 0");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"UPDATE\",decision=\"skipped\"} 1");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"UPDATE\",decision=\"allowed\"} 0");
    assert_line(text, P "requests_total{endpoint=\"validate\",operation=\"CREATE\",decision=\"denied\"} 2");
    assert_line(text, P "requests_total{endpoint=\"validate\",operation=\"UPDATE\",decision=\"allowed\"} 1");
    /* the endpoints are counted apart */
    assert_line(text, P "requests_total{endpoint=\"validate\",operation=\"CREATE\",decision=\"allowed\"} 0");
    /* rarer operations and decisions show up once they happen */
    assert_line(text, P "requests_total{endpoint=\"validate\",operation=\"DELETE\",decision=\"skipped\"} 1");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"CONNECT\",decision=\"skipped\"} 1");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"other\",decision=\"skipped\"} 2");
    assert_line(text, P "requests_total{endpoint=\"validate\",operation=\"CREATE\",decision=\"error\"} 1");
    /* ... and not before */
    assert_no_series(text, P "requests_total{endpoint=\"mutate\",operation=\"DELETE\",decision=\"skipped\"}");
    assert_no_series(text, P "requests_total{endpoint=\"validate\",operation=\"CONNECT\",decision=\"skipped\"}");
    assert_no_series(text, P "requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"error\"}");
    assert_no_series(text, P "requests_total{endpoint=\"validate\",operation=\"other\",decision=\"skipped\"}");
    /* 12 always there + DELETE, CONNECT, other, error */
    assert_int_equal(check_exposition(text), ZERO_SAMPLES + 4);
    free(text);
    free(m);
}

/* ---- the latency histogram ------------------------------------------------ */

static const struct {
    unsigned long long us;
    const char *le;
} boundaries[METRICS_BUCKETS] = {
    {50, "5e-05"},    {100, "0.0001"},  {250, "0.00025"},  {500, "0.0005"},   {1000, "0.001"},
    {2500, "0.0025"}, {5000, "0.005"},  {10000, "0.01"},   {25000, "0.025"},  {50000, "0.05"},
    {100000, "0.1"},  {250000, "0.25"}, {500000, "0.5"},   {1000000, "1"},
};

static void test_histogram_after_sequence(void **state)
{
    struct metrics *m = new_metrics();
    char *text;

    (void)state;
    /* mutate: 0, 50 (on the first boundary), 51, 100 (on the second),
     * 7000, 1000000 (on the last), 1000001 and 3000000 (only +Inf) */
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 0);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 50);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 51);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 100);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 7000);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 1000000);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 1000001);
    observe(m, ENDPOINT_MUTATE, "CREATE", DECISION_ALLOWED, 3000000);
    /* validate: one, to see that the endpoints do not mix */
    observe(m, ENDPOINT_VALIDATE, "UPDATE", DECISION_ALLOWED, 250);
    text = render(m, VERSION);

#define MB(le, n) assert_line(text, P "request_duration_seconds_bucket{endpoint=\"mutate\",le=\"" le "\"} " #n)
    MB("5e-05", 2);
    MB("0.0001", 4);
    MB("0.00025", 4);
    MB("0.0005", 4);
    MB("0.001", 4);
    MB("0.0025", 4);
    MB("0.005", 4);
    MB("0.01", 5);
    MB("0.025", 5);
    MB("0.05", 5);
    MB("0.1", 5);
    MB("0.25", 5);
    MB("0.5", 5);
    MB("1", 6);
    MB("+Inf", 8);
#undef MB
    assert_line(text, P "request_duration_seconds_count{endpoint=\"mutate\"} 8");
    /* 0 + 50 + 51 + 100 + 7000 + 1000000 + 1000001 + 3000000 us */
    assert_line(text, P "request_duration_seconds_sum{endpoint=\"mutate\"} 5.007202");

#define VB(le, n) assert_line(text, P "request_duration_seconds_bucket{endpoint=\"validate\",le=\"" le "\"} " #n)
    VB("0.0001", 0);
    VB("0.00025", 1);
    VB("1", 1);
    VB("+Inf", 1);
#undef VB
    assert_line(text, P "request_duration_seconds_count{endpoint=\"validate\"} 1");
    assert_line(text, P "request_duration_seconds_sum{endpoint=\"validate\"} 0.000250");
    check_exposition(text);
    free(text);
    free(m);
}

/* le is "less than or equal": a latency exactly on each boundary counts in
 * that bucket, one microsecond more only in the next. */
static void test_histogram_every_boundary(void **state)
{
    char line[256];

    (void)state;
    for (size_t b = 0; b < METRICS_BUCKETS; b++) {
        struct metrics *m = new_metrics();
        observe(m, ENDPOINT_VALIDATE, "CREATE", DECISION_ALLOWED, boundaries[b].us);
        observe(m, ENDPOINT_VALIDATE, "CREATE", DECISION_ALLOWED, boundaries[b].us + 1);
        char *text = render(m, VERSION);
        for (size_t i = 0; i < METRICS_BUCKETS; i++) {
            int want = i < b ? 0 : i == b ? 1 : 2;
            snprintf(line, sizeof(line), P "request_duration_seconds_bucket{endpoint=\"validate\",le=\"%s\"} %d",
                     boundaries[i].le, want);
            assert_line(text, line);
        }
        assert_line(text, P "request_duration_seconds_bucket{endpoint=\"validate\",le=\"+Inf\"} 2");
        assert_line(text, P "request_duration_seconds_count{endpoint=\"validate\"} 2");
        snprintf(line, sizeof(line), P "request_duration_seconds_sum{endpoint=\"validate\"} %llu.%06llu",
                 (2 * boundaries[b].us + 1) / 1000000, (2 * boundaries[b].us + 1) % 1000000);
        assert_line(text, line);
        /* the other endpoint saw nothing */
        assert_line(text, P "request_duration_seconds_bucket{endpoint=\"mutate\",le=\"+Inf\"} 0");
        check_exposition(text);
        free(text);
        free(m);
    }
}

/* The sum is exact to the microsecond, also for long runs of slow
 * requests (an hour of them). */
static void test_histogram_sum_large(void **state)
{
    struct metrics *m = new_metrics();
    char *text;

    (void)state;
    for (int i = 0; i < 3600; i++)
        observe(m, ENDPOINT_MUTATE, "UPDATE", DECISION_SKIPPED, 1000001);
    text = render(m, VERSION);
    assert_line(text, P "request_duration_seconds_sum{endpoint=\"mutate\"} 3600.003600");
    assert_line(text, P "request_duration_seconds_bucket{endpoint=\"mutate\",le=\"1\"} 0");
    assert_line(text, P "request_duration_seconds_bucket{endpoint=\"mutate\",le=\"+Inf\"} 3600");
    assert_line(text, P "request_duration_seconds_count{endpoint=\"mutate\"} 3600");
    free(text);
    free(m);
}

/* ---- violations and patches ----------------------------------------------- */

static void test_violations_by_rule(void **state)
{
    struct metrics *m = new_metrics();
    struct violation *items = calloc(4, sizeof(*items));
    struct admission_outcome o;
    char *text;

    (void)state;
    assert_non_null(items);
    /* one review, two containers without limits: the rule counts twice */
    items[0].rule = RULE_IMAGE_TAG;
    items[1].rule = RULE_RESOURCES_LIMITS_MISSING;
    items[2].rule = RULE_RESOURCES_LIMITS_MISSING;
    items[3].rule = RULE_REPLICAS_MINIMUM;
    outcome(&o, "CREATE", DECISION_DENIED, 0);
    o.findings.items = items;
    o.findings.count = 4;
    o.findings.cap = 4;
    metrics_observe(m, ENDPOINT_VALIDATE, &o, 100);
    o.findings.count = 1; /* image-tag only */
    metrics_observe(m, ENDPOINT_VALIDATE, &o, 100);
    text = render(m, VERSION);

    assert_line(text, P "violations_total{rule=\"image-tag\"} 2");
    assert_line(text, P "violations_total{rule=\"resources-limits-missing\"} 2");
    assert_line(text, P "violations_total{rule=\"replicas-minimum\"} 1");
    assert_line(text, P "violations_total{rule=\"resources-requests-missing\"} 0");
    assert_line(text, P "violations_total{rule=\"pss-privileged\"} 0");
    /* a denial is one request however many violations it had */
    assert_line(text, P "requests_total{endpoint=\"validate\",operation=\"CREATE\",decision=\"denied\"} 2");
    /* violations are not patches */
    assert_line(text, P "patches_total 0");
    check_exposition(text);
    free(text);
    free(items);
    free(m);
}

static void test_patches_and_operations(void **state)
{
    struct metrics *m = new_metrics();
    struct admission_outcome o;
    char *text;

    (void)state;
    outcome(&o, "CREATE", DECISION_ALLOWED, 3);
    metrics_observe(m, ENDPOINT_MUTATE, &o, 10);
    outcome(&o, "UPDATE", DECISION_ALLOWED, 5);
    metrics_observe(m, ENDPOINT_MUTATE, &o, 10);
    /* allowed with nothing to add: a response without a patch */
    outcome(&o, "CREATE", DECISION_ALLOWED, 0);
    metrics_observe(m, ENDPOINT_MUTATE, &o, 10);
    outcome(&o, "CREATE", DECISION_ALLOWED, 1);
    metrics_observe(m, ENDPOINT_MUTATE, &o, 10);
    text = render(m, VERSION);

    assert_line(text, P "patches_total 3");
    assert_line(text, P "patch_operations_total 9");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"allowed\"} 3");
    check_exposition(text);
    free(text);
    free(m);
}

/* ---- gauges, refusals, reloads, build info -------------------------------- */

static void test_in_flight_up_and_down(void **state)
{
    struct metrics *m = new_metrics();
    char *text;

    (void)state;
    /* the server's own calls: add on arrival, subtract when done */
    atomic_fetch_add(&m->in_flight, 1);
    atomic_fetch_add(&m->in_flight, 1);
    atomic_fetch_add(&m->in_flight, 1);
    text = render(m, VERSION);
    assert_line(text, P "in_flight_requests 3");
    free(text);

    atomic_fetch_sub(&m->in_flight, 1);
    atomic_fetch_sub(&m->in_flight, 1);
    text = render(m, VERSION);
    assert_line(text, P "in_flight_requests 1");
    free(text);

    atomic_fetch_sub(&m->in_flight, 1);
    text = render(m, VERSION);
    assert_line(text, P "in_flight_requests 0");
    /* a gauge, so declared as one (a counter must not go down) */
    assert_line(text, "# TYPE " P "in_flight_requests gauge");
    check_exposition(text);
    free(text);
    free(m);
}

static void test_http_errors_by_code(void **state)
{
    struct metrics *m = new_metrics();
    char *text;

    (void)state;
    metrics_http_error(m, 400);
    metrics_http_error(m, 400);
    metrics_http_error(m, 400);
    /* a client certificate missing (--client-ca) */
    metrics_http_error(m, 401);
    metrics_http_error(m, 401);
    metrics_http_error(m, 404);
    metrics_http_error(m, 405);
    metrics_http_error(m, 405);
    metrics_http_error(m, 413);
    metrics_http_error(m, 415);
    metrics_http_error(m, 415);
    metrics_http_error(m, 415);
    metrics_http_error(m, 415);
    /* out of memory */
    metrics_http_error(m, 500);
    /* nothing the server answers with */
    metrics_http_error(m, 599);
    metrics_http_error(m, 418);
    text = render(m, VERSION);

    assert_line(text, P "http_errors_total{code=\"400\"} 3");
    assert_line(text, P "http_errors_total{code=\"401\"} 2");
    assert_line(text, P "http_errors_total{code=\"404\"} 1");
    assert_line(text, P "http_errors_total{code=\"405\"} 2");
    assert_line(text, P "http_errors_total{code=\"413\"} 1");
    assert_line(text, P "http_errors_total{code=\"415\"} 4");
    assert_line(text, P "http_errors_total{code=\"500\"} 1");
    assert_line(text, P "http_errors_total{code=\"other\"} 2");
    /* refusals are not reviews */
    assert_line(text, P "request_duration_seconds_count{endpoint=\"mutate\"} 0");
    assert_line(text, P "request_duration_seconds_count{endpoint=\"validate\"} 0");
    check_exposition(text);
    free(text);
    free(m);
}

static void test_certificate_expiry(void **state)
{
    struct metrics *m = new_metrics();
    char *text;

    (void)state;
    /* 2026-01-01T00:00:00Z */
    atomic_store(&m->cert_not_after, 1767225600LL);
    text = render(m, VERSION);
    assert_line(text, P "tls_certificate_expiry_timestamp_seconds 1767225600");
    free(text);
    /* past 2038: a 64-bit timestamp, not cut to 32 bits */
    atomic_store(&m->cert_not_after, 4102444800LL);
    text = render(m, VERSION);
    assert_line(text, P "tls_certificate_expiry_timestamp_seconds 4102444800");
    assert_line(text, "# TYPE " P "tls_certificate_expiry_timestamp_seconds gauge");
    check_exposition(text);
    free(text);
    free(m);
}

static void test_reloads_by_kind_and_result(void **state)
{
    struct metrics *m = new_metrics();
    char *text;

    (void)state;
    /* the server's own calls (src/server.c), distinct counts for each of
     * the four series so that no two can be swapped unseen */
    atomic_fetch_add(&m->reloads[RELOAD_POLICY][0], 1);
    for (int i = 0; i < 2; i++)
        atomic_fetch_add(&m->reloads[RELOAD_POLICY][1], 1);
    for (int i = 0; i < 3; i++)
        atomic_fetch_add(&m->reloads[RELOAD_CERTIFICATE][0], 1);
    for (int i = 0; i < 4; i++)
        atomic_fetch_add(&m->reloads[RELOAD_CERTIFICATE][1], 1);
    text = render(m, VERSION);
    assert_line(text, P "reloads_total{kind=\"policy\",result=\"success\"} 1");
    assert_line(text, P "reloads_total{kind=\"policy\",result=\"failure\"} 2");
    assert_line(text, P "reloads_total{kind=\"certificate\",result=\"success\"} 3");
    assert_line(text, P "reloads_total{kind=\"certificate\",result=\"failure\"} 4");
    check_exposition(text);
    free(text);
    free(m);
}

static void test_build_info(void **state)
{
    struct metrics *m = new_metrics();
    char *text;

    (void)state;
    text = render(m, "0.1.0");
    assert_line(text, "# HELP " P "build_info Version of the running binary.");
    assert_line(text, "# TYPE " P "build_info gauge");
    assert_line(text, P "build_info{version=\"0.1.0\"} 1");
    free(text);
    /* what the server passes */
    text = render(m, DA_VERSION);
    assert_line(text, P "build_info{version=\"" DA_VERSION "\"} 1");
    check_exposition(text);
    free(text);
    free(m);
}

/* Past the first 16 KiB the buffer grows: a long version label (and the
 * other lines after and before it) must come out whole. */
static void test_output_larger_than_initial_buffer(void **state)
{
    struct metrics *m = new_metrics();
    size_t n = 40000;
    char *version = malloc(n + 1);
    char *expect = malloc(n + 64);
    char *text;

    (void)state;
    assert_non_null(version);
    assert_non_null(expect);
    for (size_t i = 0; i < n; i++)
        version[i] = (char)('a' + i % 26);
    version[n] = '\0';
    metrics_http_error(m, 404);
    text = render(m, version);
    snprintf(expect, n + 64, P "build_info{version=\"%s\"} 1\n", version);
    /* the last line, so the text ends with it */
    assert_true(strlen(text) > strlen(expect));
    assert_string_equal(text + strlen(text) - strlen(expect), expect);
    assert_line(text, P "http_errors_total{code=\"404\"} 1");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"skipped\"} 0");
    free(text);
    free(expect);
    free(version);
    free(m);
}

/* ---- nothing from a request reaches a label ------------------------------- */

/* The uid, kind, namespace, name and operation come from the client. Only
 * the operation is used, and only through metrics_operation_parse, so
 * label values are always from fixed tables and never need escaping; a
 * hostile operation must land in "other" and its bytes appear nowhere. */
static void test_request_fields_never_reach_labels(void **state)
{
    static const char *const hostile[] = {
        "CREATE\"} 999\nfake_metric 1\n#",
        "UPDATE\\",
        "DELETE\n",
        "op\"with\\quote",
        "\xff\xfe",
    };
    struct metrics *m = new_metrics();
    struct admission_outcome o;
    char *text;

    (void)state;
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        outcome(&o, hostile[i], DECISION_SKIPPED, 0);
        snprintf(o.uid, sizeof(o.uid), "uid\"\\\n%zu", i);
        snprintf(o.name, sizeof(o.name), "name\"}\n");
        snprintf(o.namespace_, sizeof(o.namespace_), "ns\\");
        snprintf(o.kind, sizeof(o.kind), "Kind\n");
        metrics_observe(m, ENDPOINT_MUTATE, &o, 1);
    }
    text = render(m, VERSION);
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"other\",decision=\"skipped\"} 5");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"CREATE\",decision=\"skipped\"} 0");
    assert_line(text, P "requests_total{endpoint=\"mutate\",operation=\"UPDATE\",decision=\"skipped\"} 0");
    assert_null(strstr(text, "fake_metric"));
    assert_null(strstr(text, "999"));
    assert_null(strstr(text, "uid"));
    assert_null(strstr(text, "name\""));
    assert_null(strstr(text, "\\"));
    assert_null(strstr(text, "\xff"));
    /* still one valid exposition: no injected line, no broken label */
    assert_int_equal(check_exposition(text), ZERO_SAMPLES + 1);
    free(text);
    free(m);
}

/* ---- rendering -------------------------------------------------------------- */

/* Rendering reads only: twice in a row gives the same bytes, and
 * metrics_init starts over from any state. */
static void test_render_reads_only_and_init_resets(void **state)
{
    struct metrics *m = new_metrics();
    struct admission_outcome o;
    char *a, *b;

    (void)state;
    outcome(&o, "CREATE", DECISION_ALLOWED, 2);
    metrics_observe(m, ENDPOINT_MUTATE, &o, 1234);
    metrics_http_error(m, 413);
    atomic_store(&m->cert_not_after, 42);
    a = render(m, VERSION);
    b = render(m, VERSION);
    assert_string_equal(a, b);
    assert_line(a, P "request_duration_seconds_sum{endpoint=\"mutate\"} 0.001234");
    free(a);
    free(b);

    metrics_init(m);
    a = render(m, VERSION);
    b = malloc(16384);
    assert_non_null(b);
    b[0] = '\0';
    for (size_t i = 0; i < sizeof(zero_state) / sizeof(zero_state[0]); i++)
        strcat(b, zero_state[i]);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(m);
}

/* ---- threads ------------------------------------------------------------------ */

#define THREADS 8
#define PER_THREAD 20000

static const char *const thread_ops[3] = {"CREATE", "UPDATE", "DELETE"};
static const int thread_statuses[3] = {400, 415, 401};

struct worker {
    struct metrics *m;
    pthread_barrier_t *start;
};

/* Iteration i of every thread: endpoint i % 2, operation i % 3, decision
 * i % 4, latency i us, patch operations i % 3, two violations, one HTTP
 * refusal, in flight up then down. */
static void one_iteration(struct metrics *m, int i, struct admission_outcome *o)
{
    atomic_fetch_add(&m->in_flight, 1);
    snprintf(o->operation, sizeof(o->operation), "%s", thread_ops[i % 3]);
    o->decision = (enum admission_decision)(i % 4);
    o->patch_ops = (size_t)(i % 3);
    metrics_observe(m, (enum metrics_endpoint)(i % 2), o, (unsigned long long)i);
    metrics_http_error(m, thread_statuses[i % 3]);
    atomic_fetch_sub(&m->in_flight, 1);
}

static void *worker_loop(void *arg)
{
    struct worker *w = arg;
    struct admission_outcome o;
    struct violation items[2];

    memset(&o, 0, sizeof(o));
    memset(items, 0, sizeof(items));
    items[0].rule = RULE_IMAGE_TAG;
    items[1].rule = RULE_PSS_PRIVILEGED;
    o.findings.items = items;
    o.findings.count = 2;
    pthread_barrier_wait(w->start);
    for (int i = 0; i < PER_THREAD; i++)
        one_iteration(w->m, i, &o);
    return NULL;
}

static void test_concurrent_updates_exact(void **state)
{
    struct metrics *m = new_metrics();
    struct metrics *serial = new_metrics();
    pthread_t th[THREADS];
    struct worker w[THREADS];
    pthread_barrier_t start;
    char line[256];
    char *text, *text_serial;

    (void)state;
    assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (int t = 0; t < THREADS; t++) {
        w[t].m = m;
        w[t].start = &start;
        assert_int_equal(pthread_create(&th[t], NULL, worker_loop, &w[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    pthread_barrier_destroy(&start);
    text = render(m, VERSION);

    /* totals computed here, independently of the module */
    const unsigned long long total = (unsigned long long)THREADS * PER_THREAD;
    unsigned long long sum_even = 0, sum_odd = 0, patched = 0, ops = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        if (i % 2)
            sum_odd += (unsigned long long)i;
        else
            sum_even += (unsigned long long)i;
        patched += i % 3 != 0;
        ops += (unsigned long long)(i % 3);
    }
    snprintf(line, sizeof(line), P "request_duration_seconds_count{endpoint=\"mutate\"} %llu", total / 2);
    assert_line(text, line);
    snprintf(line, sizeof(line), P "request_duration_seconds_bucket{endpoint=\"validate\",le=\"+Inf\"} %llu",
             total / 2);
    assert_line(text, line);
    snprintf(line, sizeof(line), P "request_duration_seconds_sum{endpoint=\"mutate\"} %llu.%06llu",
             THREADS * sum_even / 1000000, THREADS * sum_even % 1000000);
    assert_line(text, line);
    snprintf(line, sizeof(line), P "request_duration_seconds_sum{endpoint=\"validate\"} %llu.%06llu",
             THREADS * sum_odd / 1000000, THREADS * sum_odd % 1000000);
    assert_line(text, line);
    /* latencies 0..50 us: 51 per thread, 26 of them even (mutate) */
    snprintf(line, sizeof(line), P "request_duration_seconds_bucket{endpoint=\"mutate\",le=\"5e-05\"} %d",
             THREADS * 26);
    assert_line(text, line);
    snprintf(line, sizeof(line), P "violations_total{rule=\"image-tag\"} %llu", total);
    assert_line(text, line);
    snprintf(line, sizeof(line), P "violations_total{rule=\"pss-privileged\"} %llu", total);
    assert_line(text, line);
    snprintf(line, sizeof(line), P "patches_total %llu", THREADS * patched);
    assert_line(text, line);
    snprintf(line, sizeof(line), P "patch_operations_total %llu", THREADS * ops);
    assert_line(text, line);
    snprintf(line, sizeof(line), P "http_errors_total{code=\"400\"} %d", THREADS * ((PER_THREAD + 2) / 3));
    assert_line(text, line);
    assert_line(text, P "in_flight_requests 0");
    double requests = 0;
    for (int e = 0; e < 2; e++)
        for (int op = 0; op < 3; op++)
            for (int d = 0; d < 4; d++) {
                static const char *const ends[2] = {"mutate", "validate"};
                static const char *const dec[4] = {"skipped", "allowed", "denied", "error"};
                char series[200];
                snprintf(series, sizeof(series), P "requests_total{endpoint=\"%s\",operation=\"%s\",decision=\"%s\"}",
                         ends[e], thread_ops[op], dec[d]);
                /* i % 2 == e, i % 3 == op, i % 4 == d: i % 12 fixed when
                 * the parities agree, none otherwise */
                if ((e % 2) != (d % 2)) {
                    /* never happened: absent, or 0 where the zero state
                     * shows it */
                    if (op <= OP_UPDATE && d <= DECISION_DENIED)
                        assert_true(sample(text, series) == 0);
                    else
                        assert_no_series(text, series);
                    continue;
                }
                int n = 0;
                for (int i = 0; i < PER_THREAD; i++)
                    n += i % 2 == e && i % 3 == op && i % 4 == d;
                requests += sample(text, series);
                assert_true(sample(text, series) == (double)THREADS * n);
            }
    assert_true(requests == (double)total);

    /* and every sample equals a single-threaded replay of the same work */
    struct admission_outcome o;
    struct violation items[2];
    memset(&o, 0, sizeof(o));
    memset(items, 0, sizeof(items));
    items[0].rule = RULE_IMAGE_TAG;
    items[1].rule = RULE_PSS_PRIVILEGED;
    o.findings.items = items;
    o.findings.count = 2;
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++)
            one_iteration(serial, i, &o);
    text_serial = render(serial, VERSION);
    assert_string_equal(text, text_serial);
    check_exposition(text);
    free(text);
    free(text_serial);
    free(serial);
    free(m);
}

struct observer {
    struct metrics *m;
    atomic_bool *stop;
};

static void *observe_until_stopped(void *arg)
{
    struct observer *ob = arg;
    struct admission_outcome o;
    unsigned long long i = 0;

    outcome(&o, "CREATE", DECISION_ALLOWED, 0);
    while (!atomic_load(ob->stop)) {
        metrics_observe(ob->m, ENDPOINT_MUTATE, &o, (i * 7919) % 2000000);
        i++;
    }
    return NULL;
}

/* A scrape taken while requests are being answered is still a valid
 * histogram: the text format requires the le="+Inf" bucket to be identical
 * to _count. When _count was read apart from the buckets, observations
 * landing in between made them differ within the first few renders on a
 * 2-CPU machine; the test renders for 1 s. */
static void test_scrape_during_updates_is_consistent(void **state)
{
    struct metrics *m = new_metrics();
    atomic_bool stop = false;
    struct observer ob = {m, &stop};
    pthread_t th[3];
    struct timespec t0, t;
    int renders = 0;
    bool mismatches = false;
    double inf_seen = 0, count_seen = 0;

    (void)state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, observe_until_stopped, &ob), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        char *text = render(m, VERSION);
        double inf = sample(text, P "request_duration_seconds_bucket{endpoint=\"mutate\",le=\"+Inf\"}");
        double count = sample(text, P "request_duration_seconds_count{endpoint=\"mutate\"}");
        if (inf != count) {
            mismatches = true;
            inf_seen = inf;
            count_seen = count;
        }
        free(text);
        renders++;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (!mismatches && (t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 1000000000L);
    atomic_store(&stop, true);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    /* at rest they agree, whatever happened during the race */
    char *text = render(m, VERSION);
    check_exposition(text);
    free(text);
    free(m);
    if (mismatches)
        fail_msg("render %d while observing: le=\"+Inf\" %.0f but _count %.0f", renders, inf_seen, count_seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_state_exact),
        cmocka_unit_test(test_violation_line_per_rule),
        cmocka_unit_test(test_operation_parse),
        cmocka_unit_test(test_requests_by_labels),
        cmocka_unit_test(test_histogram_after_sequence),
        cmocka_unit_test(test_histogram_every_boundary),
        cmocka_unit_test(test_histogram_sum_large),
        cmocka_unit_test(test_violations_by_rule),
        cmocka_unit_test(test_patches_and_operations),
        cmocka_unit_test(test_in_flight_up_and_down),
        cmocka_unit_test(test_http_errors_by_code),
        cmocka_unit_test(test_certificate_expiry),
        cmocka_unit_test(test_reloads_by_kind_and_result),
        cmocka_unit_test(test_build_info),
        cmocka_unit_test(test_output_larger_than_initial_buffer),
        cmocka_unit_test(test_request_fields_never_reach_labels),
        cmocka_unit_test(test_render_reads_only_and_init_resets),
        cmocka_unit_test(test_concurrent_updates_exact),
        cmocka_unit_test(test_scrape_during_updates_is_consistent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
