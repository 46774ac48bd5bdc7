/* Tests for policy (the built-in default row by row, layering of partial
 * documents, every error class with its key path, hostile documents, the
 * render/apply round trip) and for findings (the bounded violation list). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "findings.h"
#include "jsonptr.h"
#include "policy.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    if (!j)
        fail_msg("test JSON does not parse: %s", text);
    return j;
}

/* A string of n copies of c (caller frees). */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static int apply_text(struct policy *p, const char *json, struct diag *d)
{
    cJSON *doc = parse(json);
    int rc;

    diag_clear(d);
    rc = policy_apply(p, doc, d);
    cJSON_Delete(doc);
    return rc;
}

/* Renders both policies and asserts the documents are equal. */
static void assert_policy_json_equal(const struct policy *a, const struct policy *b)
{
    cJSON *ja = policy_to_json(a), *jb = policy_to_json(b);

    assert_non_null(ja);
    assert_non_null(jb);
    if (!cJSON_Compare(ja, jb, true)) {
        char *sa = cJSON_PrintUnformatted(ja), *sb = cJSON_PrintUnformatted(jb);
        char ca[8192], cb[8192];

        snprintf(ca, sizeof(ca), "%s", sa ? sa : "?");
        snprintf(cb, sizeof(cb), "%s", sb ? sb : "?");
        cJSON_free(sa);
        cJSON_free(sb);
        cJSON_Delete(ja);
        cJSON_Delete(jb);
        fail_msg("policies differ:\n%s\n%s", ca, cb);
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
}

static void assert_pair_equal(const struct resource_pair *a, const struct resource_pair *b)
{
    assert_string_equal(a->cpu_text, b->cpu_text);
    assert_string_equal(a->memory_text, b->memory_text);
    assert_int_equal(quantity_cmp(&a->cpu, &b->cpu), 0);
    assert_int_equal(quantity_cmp(&a->memory, &b->memory), 0);
}

/* Field by field, independent of the renderer. */
static void assert_policy_equal(const struct policy *a, const struct policy *b)
{
    cJSON *sa = selector_to_json(&a->selector), *sb = selector_to_json(&b->selector);

    assert_true(cJSON_Compare(sa, sb, true));
    cJSON_Delete(sa);
    cJSON_Delete(sb);
    assert_string_equal(a->main_container, b->main_container);
    for (size_t i = 0; i < RULE_COUNT; i++) {
        assert_int_equal(a->rules[i].action, b->rules[i].action);
        assert_int_equal(a->rules[i].exemptable, b->rules[i].exemptable);
    }
    assert_int_equal(a->replicas, b->replicas);
    assert_int_equal(a->replicas_minimum, b->replicas_minimum);
    for (size_t k = 0; k < PROBE_COUNT; k++) {
        const struct probe_policy *x = &a->probes[k], *y = &b->probes[k];
        assert_string_equal(x->path, y->path);
        assert_int_equal(x->port, y->port);
        assert_int_equal(x->initial_delay_seconds, y->initial_delay_seconds);
        assert_int_equal(x->period_seconds, y->period_seconds);
        assert_int_equal(x->timeout_seconds, y->timeout_seconds);
        assert_int_equal(x->success_threshold, y->success_threshold);
        assert_int_equal(x->failure_threshold, y->failure_threshold);
        assert_memory_equal(&x->initial_delay_range, &y->initial_delay_range, sizeof(struct int_range));
        assert_memory_equal(&x->period_range, &y->period_range, sizeof(struct int_range));
        assert_memory_equal(&x->timeout_range, &y->timeout_range, sizeof(struct int_range));
        assert_memory_equal(&x->success_range, &y->success_range, sizeof(struct int_range));
        assert_memory_equal(&x->failure_range, &y->failure_range, sizeof(struct int_range));
    }
    assert_pair_equal(&a->requests, &b->requests);
    assert_pair_equal(&a->limits, &b->limits);
    assert_pair_equal(&a->limits_maximum, &b->limits_maximum);
    assert_int_equal(a->run_as_user, b->run_as_user);
    assert_string_equal(a->seccomp_profile, b->seccomp_profile);
    assert_int_equal(a->allowed_capabilities_count, b->allowed_capabilities_count);
    for (size_t i = 0; i < a->allowed_capabilities_count; i++)
        assert_string_equal(a->allowed_capabilities[i], b->allowed_capabilities[i]);
    assert_int_equal(a->annotations_count, b->annotations_count);
    for (size_t i = 0; i < a->annotations_count; i++) {
        assert_string_equal(a->annotations[i].key, b->annotations[i].key);
        assert_string_equal(a->annotations[i].value, b->annotations[i].value);
    }
    assert_int_equal(a->max_surge, b->max_surge);
    assert_int_equal(a->max_unavailable, b->max_unavailable);
    assert_string_equal(a->anti_affinity_topology_key, b->anti_affinity_topology_key);
    assert_int_equal(a->anti_affinity_weight, b->anti_affinity_weight);
    assert_int_equal(a->secret_env_patterns_count, b->secret_env_patterns_count);
    for (size_t i = 0; i < a->secret_env_patterns_count; i++)
        assert_string_equal(a->secret_env_patterns[i], b->secret_env_patterns[i]);
}

static void assert_quantity(const struct quantity *q, const char *want)
{
    struct quantity w;
    struct diag d;

    assert_int_equal(quantity_parse(want, strlen(want), &w, NULL, &d), 0);
    if (quantity_cmp(q, &w) != 0) {
        char buf[128];
        fail_msg("quantity %s, want %s", quantity_format(q, buf, sizeof(buf)), want);
    }
}

/* ---------------------------------------------------------------------- */
/* the default, one test per row of DESIGN.md "Default policy" */

static void test_default_selector_and_main_container(void **state)
{
    struct policy p;
    cJSON *sel, *labels;

    (void)state;
    policy_default(&p);
    assert_int_equal(p.selector.count, 1);
    sel = selector_to_json(&p.selector);
    assert_non_null(sel);
    labels = parse("{\"matchLabels\":{\"component\":\"django\"}}");
    assert_true(cJSON_Compare(sel, labels, true));
    cJSON_Delete(labels);
    cJSON_Delete(sel);
    labels = parse("{\"component\":\"django\",\"app\":\"shop\"}");
    assert_true(selector_matches(&p.selector, labels));
    cJSON_Delete(labels);
    labels = parse("{\"component\":\"celery\"}");
    assert_false(selector_matches(&p.selector, labels));
    cJSON_Delete(labels);
    assert_string_equal(p.main_container, "django");
}

static void test_default_rules(void **state)
{
    struct policy p;

    (void)state;
    policy_default(&p);
    for (size_t i = 0; i < RULE_COUNT; i++) {
        const struct rule *r = rules_get((enum rule_id)i);
        assert_int_equal(p.rules[i].action, r->default_action);
        assert_int_equal(p.rules[i].exemptable, r->default_exemptable);
        assert_int_equal(policy_action(&p, (enum rule_id)i), r->default_action);
    }
    /* spot checks against the table, so a wrong loop cannot pass */
    assert_int_equal(policy_action(&p, RULE_REPLICAS_MINIMUM), RULE_ENFORCE);
    assert_int_equal(policy_action(&p, RULE_POD_ANTI_AFFINITY), RULE_WARN);
    assert_false(p.rules[RULE_PSS_PRIVILEGED].exemptable);
    assert_true(p.rules[RULE_IMAGE_TAG].exemptable);
    assert_int_equal(policy_action(&p, RULE_COUNT), RULE_OFF);
}

static void test_default_replicas(void **state)
{
    struct policy p;

    (void)state;
    policy_default(&p);
    assert_int_equal(p.replicas, 3);
    assert_int_equal(p.replicas_minimum, 3);
}

static const struct probe_row {
    enum probe_kind kind;
    const char *path;
    int values[5];
    int ranges[5][2];
} probe_rows[] = {
    {PROBE_LIVENESS, "/health/live/", {30, 10, 5, 1, 3}, {{0, 300}, {5, 60}, {1, 30}, {1, 1}, {1, 10}}},
    {PROBE_READINESS, "/health/ready/", {15, 5, 3, 1, 2}, {{0, 300}, {1, 60}, {1, 30}, {1, 10}, {1, 10}}},
    {PROBE_STARTUP, "/health/startup/", {0, 10, 5, 1, 30}, {{0, 300}, {1, 60}, {1, 30}, {1, 1}, {1, 60}}},
};

static void test_default_probes(void **state)
{
    struct policy p;

    (void)state;
    policy_default(&p);
    for (size_t i = 0; i < COUNT(probe_rows); i++) {
        const struct probe_row *r = &probe_rows[i];
        const struct probe_policy *pp = &p.probes[r->kind];
        const struct int_range *ranges[5] = {&pp->initial_delay_range, &pp->period_range,
                                             &pp->timeout_range, &pp->success_range,
                                             &pp->failure_range};

        assert_string_equal(pp->path, r->path);
        assert_int_equal(pp->port, 8000);
        assert_int_equal(pp->initial_delay_seconds, r->values[0]);
        assert_int_equal(pp->period_seconds, r->values[1]);
        assert_int_equal(pp->timeout_seconds, r->values[2]);
        assert_int_equal(pp->success_threshold, r->values[3]);
        assert_int_equal(pp->failure_threshold, r->values[4]);
        for (size_t f = 0; f < 5; f++) {
            assert_int_equal(ranges[f]->min, r->ranges[f][0]);
            assert_int_equal(ranges[f]->max, r->ranges[f][1]);
        }
    }
}

static void test_default_resources(void **state)
{
    struct policy p;

    (void)state;
    policy_default(&p);
    assert_string_equal(p.requests.cpu_text, "500m");
    assert_string_equal(p.requests.memory_text, "512Mi");
    assert_string_equal(p.limits.cpu_text, "1000m");
    assert_string_equal(p.limits.memory_text, "1Gi");
    assert_string_equal(p.limits_maximum.cpu_text, "4");
    assert_string_equal(p.limits_maximum.memory_text, "4Gi");
    assert_quantity(&p.requests.cpu, "0.5");
    assert_quantity(&p.requests.memory, "536870912");
    assert_quantity(&p.limits.cpu, "1");
    assert_quantity(&p.limits.memory, "1073741824");
    assert_quantity(&p.limits_maximum.cpu, "4000m");
    assert_quantity(&p.limits_maximum.memory, "4294967296");
}

static void test_default_security_context(void **state)
{
    struct policy p;

    (void)state;
    policy_default(&p);
    assert_int_equal(p.run_as_user, 1000);
    assert_string_equal(p.seccomp_profile, "RuntimeDefault");
    assert_int_equal(p.allowed_capabilities_count, 1);
    assert_string_equal(p.allowed_capabilities[0], "NET_BIND_SERVICE");
}

static void test_default_annotations(void **state)
{
    struct policy p;

    (void)state;
    policy_default(&p);
    assert_int_equal(p.annotations_count, 3);
    assert_string_equal(p.annotations[0].key, "prometheus.io/scrape");
    assert_string_equal(p.annotations[0].value, "true");
    assert_string_equal(p.annotations[1].key, "prometheus.io/port");
    assert_string_equal(p.annotations[1].value, "8000");
    assert_string_equal(p.annotations[2].key, "prometheus.io/path");
    assert_string_equal(p.annotations[2].value, "/metrics");
}

static void test_default_strategy(void **state)
{
    struct policy p;

    (void)state;
    policy_default(&p);
    assert_int_equal(p.max_surge, 1);
    assert_int_equal(p.max_unavailable, 0);
}

static void test_default_anti_affinity(void **state)
{
    struct policy p;

    (void)state;
    policy_default(&p);
    assert_string_equal(p.anti_affinity_topology_key, "kubernetes.io/hostname");
    assert_int_equal(p.anti_affinity_weight, 100);
}

static void test_default_secret_env_patterns(void **state)
{
    static const char *const want[] = {"PASSWORD", "SECRET", "TOKEN", "API_KEY"};
    struct policy p;

    (void)state;
    policy_default(&p);
    assert_int_equal(p.secret_env_patterns_count, COUNT(want));
    for (size_t i = 0; i < COUNT(want); i++)
        assert_string_equal(p.secret_env_patterns[i], want[i]);
}

/* ---------------------------------------------------------------------- */
/* layering: a partial document changes exactly what it names */

struct change {
    /* pointer of the parent in the rendered document, and the member */
    const char *parent;
    const char *key;
    /* its new rendered value */
    const char *value;
};

static const struct layer_case {
    const char *doc;
    struct change changes[4];
} layer_cases[] = {
    {"{}", {{NULL, NULL, NULL}}},
    {"{\"apiVersion\":\"django-admission.io/v1\",\"kind\":\"Policy\"}", {{NULL, NULL, NULL}}},
    {"{\"replicas\":{\"minimum\":2}}", {{"/replicas", "minimum", "2"}}},
    {"{\"replicas\":{\"default\":5,\"minimum\":4}}",
     {{"/replicas", "default", "5"}, {"/replicas", "minimum", "4"}}},
    {"{\"mainContainer\":\"web\"}", {{"", "mainContainer", "\"web\""}}},
    {"{\"rules\":{\"image-tag\":\"warn\"}}",
     {{"/rules", "image-tag", "{\"action\":\"warn\",\"exemptable\":true}"}}},
    {"{\"rules\":{\"pss-privileged\":{\"exemptable\":true}}}",
     {{"/rules", "pss-privileged", "{\"action\":\"enforce\",\"exemptable\":true}"}}},
    {"{\"rules\":{\"pod-anti-affinity\":{\"action\":\"off\",\"exemptable\":false},\"replicas-minimum\":\"warn\"}}",
     {{"/rules", "pod-anti-affinity", "{\"action\":\"off\",\"exemptable\":false}"},
      {"/rules", "replicas-minimum", "{\"action\":\"warn\",\"exemptable\":true}"}}},
    {"{\"probes\":{\"liveness\":{\"timeoutSeconds\":2}}}", {{"/probes/liveness", "timeoutSeconds", "2"}}},
    {"{\"probes\":{\"readiness\":{\"path\":\"/ready\",\"port\":8080}}}",
     {{"/probes/readiness", "path", "\"/ready\""}, {"/probes/readiness", "port", "8080"}}},
    {"{\"probes\":{\"startup\":{\"ranges\":{\"failureThreshold\":{\"max\":100}}}}}",
     {{"/probes/startup/ranges/failureThreshold", "max", "100"}}},
    {"{\"probes\":{\"liveness\":{\"ranges\":{\"periodSeconds\":{\"min\":10,\"max\":10}}}}}",
     {{"/probes/liveness/ranges/periodSeconds", "min", "10"},
      {"/probes/liveness/ranges/periodSeconds", "max", "10"}}},
    {"{\"resources\":{\"requests\":{\"memory\":\"256Mi\"}}}",
     {{"/resources/requests", "memory", "\"256Mi\""}}},
    /* numbers are kept as their plain decimal text */
    {"{\"resources\":{\"limits\":{\"cpu\":2},\"maximum\":{\"cpu\":8}}}",
     {{"/resources/limits", "cpu", "\"2\""}, {"/resources/maximum", "cpu", "\"8\""}}},
    {"{\"resources\":{\"requests\":{\"cpu\":0.25}}}", {{"/resources/requests", "cpu", "\"0.25\""}}},
    {"{\"resources\":{\"requests\":{\"memory\":1e8}}}",
     {{"/resources/requests", "memory", "\"100000000\""}}},
    {"{\"securityContext\":{\"runAsUser\":10001}}", {{"/securityContext", "runAsUser", "10001"}}},
    {"{\"securityContext\":{\"seccompProfile\":\"RuntimeDefault\",\"allowedCapabilities\":[]}}",
     {{"/securityContext", "seccompProfile", "\"RuntimeDefault\""},
      {"/securityContext", "allowedCapabilities", "[]"}}},
    {"{\"securityContext\":{\"allowedCapabilities\":[\"NET_BIND_SERVICE\",\"CHOWN\"]}}",
     {{"/securityContext", "allowedCapabilities", "[\"NET_BIND_SERVICE\",\"CHOWN\"]"}}},
    /* annotations and the selector are replaced wholesale */
    {"{\"annotations\":{\"prometheus.io/port\":\"9000\"}}",
     {{"", "annotations", "{\"prometheus.io/port\":\"9000\"}"}}},
    {"{\"annotations\":{}}", {{"", "annotations", "{}"}}},
    {"{\"selector\":{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\"}]}}",
     {{"", "selector", "{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\"}]}"}}},
    {"{\"selector\":{}}", {{"", "selector", "{}"}}},
    {"{\"strategy\":{\"maxSurge\":0,\"maxUnavailable\":1}}",
     {{"/strategy", "maxSurge", "0"}, {"/strategy", "maxUnavailable", "1"}}},
    {"{\"antiAffinity\":{\"topologyKey\":\"topology.kubernetes.io/zone\",\"weight\":50}}",
     {{"/antiAffinity", "topologyKey", "\"topology.kubernetes.io/zone\""},
      {"/antiAffinity", "weight", "50"}}},
    {"{\"secretEnvPatterns\":[\"PASS\",\"PRIVATE_KEY\"]}",
     {{"", "secretEnvPatterns", "[\"PASS\",\"PRIVATE_KEY\"]"}}},
};

static void test_layering(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(layer_cases); i++) {
        const struct layer_case *c = &layer_cases[i];
        struct policy def, p;
        struct diag d;
        cJSON *want, *got;

        policy_default(&def);
        p = def;
        if (apply_text(&p, c->doc, &d) != 0)
            fail_msg("case %zu %s: %s at %s", i, c->doc, d.message, d.pointer);
        want = policy_to_json(&def);
        assert_non_null(want);
        for (size_t k = 0; k < COUNT(c->changes) && c->changes[k].parent; k++) {
            cJSON *parent = jsonptr_get(want, c->changes[k].parent);
            cJSON *value = parse(c->changes[k].value);
            if (!parent)
                fail_msg("case %zu: no %s in the rendered default", i, c->changes[k].parent);
            assert_true(cJSON_ReplaceItemInObjectCaseSensitive(parent, c->changes[k].key, value));
        }
        got = policy_to_json(&p);
        assert_non_null(got);
        if (!cJSON_Compare(want, got, true)) {
            char *s = cJSON_PrintUnformatted(got);
            char copy[8192];
            snprintf(copy, sizeof(copy), "%s", s ? s : "?");
            cJSON_free(s);
            fail_msg("case %zu %s: changed more or less than named:\n%s", i, c->doc, copy);
        }
        cJSON_Delete(want);
        cJSON_Delete(got);
    }
}

static void test_layering_quantity_values(void **state)
{
    struct policy p;
    struct diag d;

    (void)state;
    policy_default(&p);
    assert_int_equal(apply_text(&p,
                                "{\"resources\":{\"requests\":{\"cpu\":0.5,\"memory\":\"0.5Gi\"},"
                                "\"limits\":{\"cpu\":\"1.5\",\"memory\":1073741824}}}",
                                &d),
                     0);
    assert_string_equal(p.requests.cpu_text, "0.5");
    assert_quantity(&p.requests.cpu, "500m");
    assert_string_equal(p.requests.memory_text, "0.5Gi");
    assert_quantity(&p.requests.memory, "512Mi");
    assert_string_equal(p.limits.cpu_text, "1.5");
    assert_string_equal(p.limits.memory_text, "1073741824");
    assert_quantity(&p.limits.memory, "1Gi");
}

/* Layers apply in turn: a second document starts from the first. */
static void test_layering_twice(void **state)
{
    struct policy p;
    struct diag d;

    (void)state;
    policy_default(&p);
    assert_int_equal(apply_text(&p, "{\"replicas\":{\"default\":6}}", &d), 0);
    assert_int_equal(apply_text(&p, "{\"replicas\":{\"minimum\":5}}", &d), 0);
    assert_int_equal(p.replicas, 6);
    assert_int_equal(p.replicas_minimum, 5);
    /* a consistency check sees the layered result, not the document alone */
    assert_int_equal(apply_text(&p, "{\"replicas\":{\"default\":4}}", &d), -1);
    assert_string_equal(d.pointer, "/replicas/default");
    assert_string_equal(d.message, "default (4) must be at least minimum (5)");
}

/* ---------------------------------------------------------------------- */
/* errors: every class, with its pointer and message */

static const struct bad_doc {
    const char *doc;
    const char *pointer;
    const char *message;
} bad_docs[] = {
    /* root */
    {"[]", "", "a policy document must be an object, got list"},
    {"\"replicas: 3\"", "", "a policy document must be an object, got string"},
    {"null", "", "a policy document must be an object, got null"},
    {"42", "", "a policy document must be an object, got number"},
    {"{\"apiVersion\":\"v1\"}", "/apiVersion", "must be \"django-admission.io/v1\" (got \"v1\")"},
    {"{\"kind\":\"Deployment\"}", "/kind", "must be \"Policy\" (got \"Deployment\")"},
    {"{\"kind\":5}", "/kind", "expected a string, got number"},
    /* unknown and duplicate keys */
    {"{\"replica\":{}}", "/replica", "unknown key \"replica\" (did you mean \"replicas\"?)"},
    {"{\"Probes\":{}}", "/Probes", "unknown key \"Probes\" (did you mean \"probes\"?)"},
    {"{\"bogus\":1}", "/bogus", "unknown key \"bogus\" (expected apiVersion, kind, selector, mainContainer, rules,"},
    {"{\"probes\":{\"liveness\":{\"timeout\":5}}}", "/probes/liveness/timeout",
     "unknown key \"timeout\" (did you mean \"timeoutSeconds\"?)"},
    {"{\"probes\":{\"liveness\":{\"ranges\":{\"period\":{}}}}}", "/probes/liveness/ranges/period",
     "unknown key \"period\" (did you mean \"periodSeconds\"?)"},
    {"{\"probes\":{\"sidecar\":{}}}", "/probes/sidecar",
     "unknown key \"sidecar\" (expected liveness, readiness, startup)"},
    {"{\"replicas\":{},\"replicas\":{}}", "/replicas", "duplicate key"},
    {"{\"probes\":{\"liveness\":{\"port\":8000,\"port\":8001}}}", "/probes/liveness/port", "duplicate key"},
    {"{\"resources\":{\"limits\":{\"gpu\":\"1\"}}}", "/resources/limits/gpu",
     "unknown key \"gpu\" (did you mean \"cpu\"?)"},
    {"{\"resources\":{\"limits\":{\"storage\":\"1\"}}}", "/resources/limits/storage",
     "unknown key \"storage\" (expected cpu, memory)"},
    /* types */
    {"{\"replicas\":3}", "/replicas", "expected an object, got number"},
    {"{\"probes\":{\"liveness\":{\"periodSeconds\":\"10\"}}}", "/probes/liveness/periodSeconds",
     "expected an integer, got string"},
    {"{\"probes\":{\"liveness\":{\"periodSeconds\":1.5}}}", "/probes/liveness/periodSeconds",
     "expected an integer, got 1.5"},
    {"{\"probes\":{\"liveness\":{\"periodSeconds\":null}}}", "/probes/liveness/periodSeconds",
     "expected an integer, got null"},
    {"{\"strategy\":{\"maxUnavailable\":\"25%\"}}", "/strategy/maxUnavailable", "expected an integer, got string"},
    {"{\"mainContainer\":[\"django\"]}", "/mainContainer", "expected a string, got list"},
    {"{\"secretEnvPatterns\":\"PASSWORD\"}", "/secretEnvPatterns", "expected a list, got string"},
    {"{\"selector\":null}", "/selector", "expected an object, got null"},
    /* integer ranges */
    {"{\"probes\":{\"readiness\":{\"initialDelaySeconds\":-1}}}", "/probes/readiness/initialDelaySeconds",
     "must be at least 0 (got -1)"},
    {"{\"probes\":{\"readiness\":{\"periodSeconds\":0}}}", "/probes/readiness/periodSeconds",
     "must be at least 1 (got 0)"},
    {"{\"probes\":{\"liveness\":{\"port\":0}}}", "/probes/liveness/port", "must be between 1 and 65535 (got 0)"},
    {"{\"probes\":{\"liveness\":{\"port\":65536}}}", "/probes/liveness/port",
     "must be between 1 and 65535 (got 65536)"},
    {"{\"probes\":{\"liveness\":{\"failureThreshold\":3e10}}}", "/probes/liveness/failureThreshold",
     "must be at most 2147483647 (got 30000000000)"},
    {"{\"probes\":{\"liveness\":{\"ranges\":{\"periodSeconds\":{\"min\":0}}}}}",
     "/probes/liveness/ranges/periodSeconds/min", "must be at least 1 (got 0)"},
    {"{\"replicas\":{\"default\":0,\"minimum\":0}}", "/replicas/default", "must be at least 1 (got 0)"},
    {"{\"replicas\":{\"minimum\":-3}}", "/replicas/minimum", "must be at least 0 (got -3)"},
    {"{\"antiAffinity\":{\"weight\":101}}", "/antiAffinity/weight", "must be between 1 and 100 (got 101)"},
    {"{\"antiAffinity\":{\"weight\":0}}", "/antiAffinity/weight", "must be between 1 and 100 (got 0)"},
    {"{\"securityContext\":{\"runAsUser\":0}}", "/securityContext/runAsUser", "runAsUser 0 is root"},
    {"{\"securityContext\":{\"runAsUser\":2147483648}}", "/securityContext/runAsUser",
     "must be at most 2147483647 (got 2147483648)"},
    {"{\"securityContext\":{\"runAsUser\":-1}}", "/securityContext/runAsUser", "must be at least 1 (got -1)"},
    /* strings with a shape */
    {"{\"probes\":{\"liveness\":{\"path\":\"health/live\"}}}", "/probes/liveness/path",
     "invalid path \"health/live\": must start with '/'"},
    {"{\"probes\":{\"liveness\":{\"path\":\"/a b\"}}}", "/probes/liveness/path", "invalid path \"/a b\""},
    {"{\"mainContainer\":\"Django\"}", "/mainContainer", "invalid container name \"Django\""},
    {"{\"mainContainer\":\"\"}", "/mainContainer", "invalid container name \"\""},
    {"{\"securityContext\":{\"seccompProfile\":\"Unconfined\"}}", "/securityContext/seccompProfile",
     "seccompProfile \"Unconfined\" is not supported (expected RuntimeDefault"},
    {"{\"securityContext\":{\"seccompProfile\":\"Localhost\"}}", "/securityContext/seccompProfile",
     "seccompProfile \"Localhost\" is not supported (expected RuntimeDefault"},
    {"{\"securityContext\":{\"allowedCapabilities\":[\"NET_BIND_SERVICE\",\"net_raw\"]}}",
     "/securityContext/allowedCapabilities/1", "invalid entry \"net_raw\": must be a capability name"},
    {"{\"securityContext\":{\"allowedCapabilities\":[\"CHOWN\",\"CHOWN\"]}}",
     "/securityContext/allowedCapabilities/1", "\"CHOWN\" is listed twice"},
    {"{\"secretEnvPatterns\":[\"PASSWORD\",\"\"]}", "/secretEnvPatterns/1", "invalid entry \"\""},
    {"{\"secretEnvPatterns\":[\"A=B\"]}", "/secretEnvPatterns/0", "invalid entry \"A=B\""},
    {"{\"secretEnvPatterns\":[1]}", "/secretEnvPatterns/0", "expected a string, got number"},
    {"{\"antiAffinity\":{\"topologyKey\":\"Kubernetes.io/hostname\"}}", "/antiAffinity/topologyKey",
     "invalid topologyKey \"Kubernetes.io/hostname\": prefix before '/' must be a DNS subdomain"},
    /* annotations */
    {"{\"annotations\":{\"prometheus.io/scrape\":true}}", "/annotations/prometheus.io~1scrape",
     "expected a string, got boolean (quote it: \"true\")"},
    {"{\"annotations\":{\"prometheus.io/port\":8000}}", "/annotations/prometheus.io~1port",
     "expected a string, got number (quote it: \"8000\")"},
    {"{\"annotations\":{\"a~b\":\"x\"}}", "/annotations/a~0b", "invalid annotation key \"a~b\""},
    {"{\"annotations\":{\"x\":\"1\",\"x\":\"2\"}}", "/annotations/x", "duplicate key"},
    {"{\"annotations\":[]}", "/annotations", "expected an object, got list"},
    /* rules */
    {"{\"rules\":{\"image-tags\":\"warn\"}}", "/rules/image-tags",
     "unknown rule \"image-tags\" (did you mean \"image-tag\"?)"},
    {"{\"rules\":{\"no-such-thing-at-all\":\"warn\"}}", "/rules/no-such-thing-at-all",
     "unknown rule \"no-such-thing-at-all\""},
    {"{\"rules\":{\"a/b~c\":\"off\"}}", "/rules/a~1b~0c", "unknown rule \"a/b~c\""},
    {"{\"rules\":{\"image-tag\":\"enforced\"}}", "/rules/image-tag",
     "unknown action \"enforced\" (did you mean \"enforce\"?)"},
    {"{\"rules\":{\"image-tag\":\"block\"}}", "/rules/image-tag",
     "unknown action \"block\" (expected enforce, warn or off)"},
    {"{\"rules\":{\"image-tag\":false}}", "/rules/image-tag",
     "expected a string (enforce, warn or off) or an object, got boolean (quote it: \"off\")"},
    {"{\"rules\":{\"image-tag\":1}}", "/rules/image-tag",
     "expected a string (enforce, warn or off) or an object, got number"},
    {"{\"rules\":{\"image-tag\":{\"action\":\"warn\",\"exempt\":false}}}", "/rules/image-tag/exempt",
     "unknown key \"exempt\" (did you mean \"exemptable\"?)"},
    {"{\"rules\":{\"image-tag\":{\"exemptable\":\"no\"}}}", "/rules/image-tag/exemptable",
     "expected a boolean, got string"},
    {"{\"rules\":{\"image-tag\":{\"action\":\"Warn\"}}}", "/rules/image-tag/action",
     "unknown action \"Warn\" (did you mean \"warn\"?)"},
    {"{\"rules\":{\"image-tag\":\"warn\",\"image-tag\":\"off\"}}", "/rules/image-tag", "duplicate key"},
    {"{\"rules\":[\"image-tag\"]}", "/rules", "expected an object, got list"},
    /* quantities */
    {"{\"resources\":{\"requests\":{\"cpu\":\"1.5.5\"}}}", "/resources/requests/cpu",
     "invalid quantity \"1.5.5\": "},
    {"{\"resources\":{\"requests\":{\"cpu\":\"\"}}}", "/resources/requests/cpu", "invalid quantity \"\""},
    {"{\"resources\":{\"requests\":{\"memory\":\"512 Mi\"}}}", "/resources/requests/memory",
     "invalid quantity \"512 Mi\""},
    {"{\"resources\":{\"requests\":{\"cpu\":true}}}", "/resources/requests/cpu",
     "expected a quantity (a string such as \"500m\" or a number), got boolean"},
    {"{\"resources\":{\"limits\":{\"memory\":\"-1Gi\"}}}", "/resources/limits/memory",
     "invalid quantity \"-1Gi\": must not be negative"},
    {"{\"resources\":{\"limits\":{\"cpu\":-2}}}", "/resources/limits/cpu",
     "invalid quantity \"-2\": must not be negative"},
    {"{\"resources\":{\"maximum\":{\"cpu\":1e300}}}", "/resources/maximum/cpu", "invalid quantity"},
    /* consistency after layering */
    {"{\"probes\":{\"liveness\":{\"timeoutSeconds\":12}}}", "/probes/liveness/timeoutSeconds",
     "timeoutSeconds (12) must not exceed periodSeconds (10)"},
    {"{\"probes\":{\"readiness\":{\"periodSeconds\":2}}}", "/probes/readiness/timeoutSeconds",
     "timeoutSeconds (3) must not exceed periodSeconds (2)"},
    {"{\"probes\":{\"liveness\":{\"periodSeconds\":70}}}", "/probes/liveness/periodSeconds",
     "periodSeconds (70) must lie within ranges.periodSeconds (5 to 60)"},
    {"{\"probes\":{\"startup\":{\"ranges\":{\"failureThreshold\":{\"max\":20}}}}}",
     "/probes/startup/failureThreshold", "failureThreshold (30) must lie within ranges.failureThreshold (1 to 20)"},
    {"{\"probes\":{\"readiness\":{\"ranges\":{\"failureThreshold\":{\"min\":5,\"max\":2}}}}}",
     "/probes/readiness/ranges/failureThreshold", "min (5) must not exceed max (2)"},
    {"{\"probes\":{\"liveness\":{\"successThreshold\":2}}}", "/probes/liveness/successThreshold",
     "successThreshold must be 1 for liveness probes (got 2)"},
    {"{\"probes\":{\"startup\":{\"ranges\":{\"successThreshold\":{\"max\":3}}}}}",
     "/probes/startup/ranges/successThreshold", "must be min 1, max 1 for startup probes (got 1 to 3)"},
    {"{\"resources\":{\"requests\":{\"cpu\":\"2\"}}}", "/resources/requests/cpu",
     "requests cpu (2) must not exceed limits cpu (1000m)"},
    {"{\"resources\":{\"requests\":{\"memory\":\"2Gi\"}}}", "/resources/requests/memory",
     "requests memory (2Gi) must not exceed limits memory (1Gi)"},
    {"{\"resources\":{\"limits\":{\"memory\":\"8Gi\"}}}", "/resources/limits/memory",
     "limits memory (8Gi) must not exceed maximum memory (4Gi)"},
    {"{\"resources\":{\"maximum\":{\"cpu\":\"500m\"}}}", "/resources/limits/cpu",
     "limits cpu (1000m) must not exceed maximum cpu (500m)"},
    {"{\"replicas\":{\"default\":2}}", "/replicas/default", "default (2) must be at least minimum (3)"},
    {"{\"strategy\":{\"maxSurge\":0}}", "/strategy/maxSurge", "maxSurge and maxUnavailable must not both be 0"},
    /* the selector's own errors, under /selector */
    {"{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Foo\"}]}}",
     "/selector/matchExpressions/0/operator", "unknown operator \"Foo\""},
    {"{\"selector\":{\"matchLabels\":{\"component\":\"Django App\"}}}", "/selector/matchLabels/component",
     "invalid label value \"Django App\""},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(bad_docs); i++) {
        const struct bad_doc *c = &bad_docs[i];
        struct policy def, p;
        struct diag d;

        policy_default(&def);
        p = def;
        if (apply_text(&p, c->doc, &d) != -1)
            fail_msg("case %zu %s: accepted, want an error", i, c->doc);
        if (strcmp(d.pointer, c->pointer) != 0)
            fail_msg("case %zu %s: pointer \"%s\", want \"%s\" (message: %s)", i, c->doc, d.pointer,
                     c->pointer, d.message);
        if (!strstr(d.message, c->message))
            fail_msg("case %zu %s: message \"%s\", want \"%s\"", i, c->doc, d.message, c->message);
        /* messages are lower case first, no full stop */
        assert_false(d.message[0] >= 'A' && d.message[0] <= 'Z');
        assert_int_not_equal(d.message[strlen(d.message) - 1], '.');
        /* the policy is left as it was */
        assert_policy_equal(&p, &def);
    }
}

/* ---------------------------------------------------------------------- */
/* hostile documents */

/* A member nested `depth` arrays deep at /probes/liveness/periodSeconds. */
static void test_hostile_deep_nesting(void **state)
{
    size_t depth = 900, n = 0;
    char *text = malloc(2 * depth + 64);
    struct policy p;
    struct diag d;

    (void)state;
    assert_non_null(text);
    n += (size_t)sprintf(text, "{\"probes\":{\"liveness\":{\"periodSeconds\":");
    for (size_t i = 0; i < depth; i++)
        text[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        text[n++] = ']';
    strcpy(text + n, "}}}");
    policy_default(&p);
    assert_int_equal(apply_text(&p, text, &d), -1);
    assert_string_equal(d.pointer, "/probes/liveness/periodSeconds");
    assert_string_equal(d.message, "expected an integer, got list");
    free(text);
}

static void test_hostile_huge_strings(void **state)
{
    /* the document around the huge string */
    static const char *const shapes[][2] = {
        {"{\"mainContainer\":\"", "\"}"},
        {"{\"probes\":{\"liveness\":{\"path\":\"/", "\"}}}"},
        {"{\"annotations\":{\"a\":\"", "\"}}"},
        {"{\"secretEnvPatterns\":[\"", "\"]}"},
        {"{\"securityContext\":{\"seccompProfile\":\"", "\"}}"},
        {"{\"antiAffinity\":{\"topologyKey\":\"", "\"}}"},
    };
    static const char *const pointers[] = {
        "/mainContainer",      "/probes/liveness/path",         "/annotations/a",
        "/secretEnvPatterns/0", "/securityContext/seccompProfile", "/antiAffinity/topologyKey",
    };
    char *big = repeat('a', POLICY_STRING_MAX + 44);
    char *doc = malloc(POLICY_STRING_MAX + 200);

    (void)state;
    assert_non_null(doc);
    for (size_t i = 0; i < COUNT(shapes); i++) {
        struct policy def, p;
        struct diag d;

        policy_default(&def);
        p = def;
        snprintf(doc, POLICY_STRING_MAX + 200, "%s%s%s", shapes[i][0], big, shapes[i][1]);
        if (apply_text(&p, doc, &d) != -1)
            fail_msg("case %zu: a %d-byte string was accepted", i, POLICY_STRING_MAX + 44);
        assert_string_equal(d.pointer, pointers[i]);
        if (!strstr(d.message, "string is too long"))
            fail_msg("case %zu: message \"%s\"", i, d.message);
        assert_policy_equal(&p, &def);
    }
    free(big);
    free(doc);
}

static void test_hostile_huge_quantity_and_key(void **state)
{
    char *big = repeat('9', 100000);
    char *doc = malloc(100100);
    struct policy p;
    struct diag d;

    (void)state;
    assert_non_null(doc);
    policy_default(&p);
    snprintf(doc, 100100, "{\"resources\":{\"limits\":{\"cpu\":\"%s\"}}}", big);
    assert_int_equal(apply_text(&p, doc, &d), -1);
    assert_string_equal(d.pointer, "/resources/limits/cpu");
    assert_non_null(strstr(d.message, "longer than 64 bytes"));
    assert_true(strlen(d.message) < 200);

    /* an unknown key of 100000 bytes: quoted in part, no suggestion search */
    snprintf(doc, 100100, "{\"%s\":1}", big);
    assert_int_equal(apply_text(&p, doc, &d), -1);
    assert_non_null(strstr(d.message, "unknown key \"999"));
    assert_non_null(strstr(d.message, "\"..."));
    assert_string_equal(d.pointer, "");
    assert_true(strlen(d.message) < 400);
    free(big);
    free(doc);
}

static void test_hostile_keys(void **state)
{
    static const struct bad_doc cases[] = {
        /* non-ASCII: close to a real key but not it */
        {"{\"r\\u00e9plicas\":{}}", "/r\xc3\xa9plicas", "unknown key \"r\xc3\xa9plicas\""},
        {"{\"\\u0000\":1}", "/", "unknown key \"\""},
        {"{\"\":1}", "/", "unknown key \"\""},
        {"{\"a\\u0001b\":1}", "/a\x01" "b", "unknown key \"a\\x01b\""},
        {"{\"~1\":1}", "/~01", "unknown key \"~1\""},
        {"{\"probes\":{\"liveness\":{\"\\u6642\\u9593\":1}}}", "/probes/liveness/\xe6\x99\x82\xe9\x96\x93",
         "unknown key \"\xe6\x99\x82\xe9\x96\x93\""},
        {"{\"annotations\":{\"\\u00e9/x\":\"1\"}}", "/annotations/\xc3\xa9~1x", "DNS subdomain"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct policy p;
        struct diag d;

        policy_default(&p);
        if (apply_text(&p, cases[i].doc, &d) != -1)
            fail_msg("case %zu %s: accepted", i, cases[i].doc);
        if (strcmp(d.pointer, cases[i].pointer) != 0)
            fail_msg("case %zu %s: pointer \"%s\", want \"%s\"", i, cases[i].doc, d.pointer,
                     cases[i].pointer);
        if (!strstr(d.message, cases[i].message))
            fail_msg("case %zu %s: message \"%s\", want \"%s\"", i, cases[i].doc, d.message,
                     cases[i].message);
    }
}

static void test_hostile_long_lists(void **state)
{
    static const char *const shapes[] = {"secretEnvPatterns", "allowedCapabilities", "annotations"};
    struct policy p;
    struct diag d;

    (void)state;
    for (size_t s = 0; s < COUNT(shapes); s++) {
        cJSON *doc = cJSON_CreateObject(), *list;

        if (s == 0) {
            list = cJSON_AddArrayToObject(doc, "secretEnvPatterns");
        } else if (s == 1) {
            list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(doc, "securityContext"),
                                          "allowedCapabilities");
        } else {
            list = cJSON_AddObjectToObject(doc, "annotations");
        }
        assert_non_null(list);
        for (int i = 0; i <= POLICY_LIST_MAX; i++) {
            char name[32];
            snprintf(name, sizeof(name), "X%d", i);
            if (s == 2)
                assert_non_null(cJSON_AddStringToObject(list, name, "v"));
            else
                assert_true(cJSON_AddItemToArray(list, cJSON_CreateString(name)));
        }
        policy_default(&p);
        diag_clear(&d);
        assert_int_equal(policy_apply(&p, doc, &d), -1);
        assert_non_null(strstr(d.message, "too many"));
        assert_non_null(strstr(d.message, "(at most 16)"));
        assert_non_null(strstr(d.pointer, s == 2 ? "/X16" : "/16"));
        /* exactly the maximum is fine */
        if (s == 2)
            cJSON_DeleteItemFromObject(list, "X16");
        else
            cJSON_DeleteItemFromArray(list, POLICY_LIST_MAX);
        assert_int_equal(policy_apply(&p, doc, &d), 0);
        cJSON_Delete(doc);
    }
    assert_int_equal(p.annotations_count, POLICY_LIST_MAX);
    assert_string_equal(p.annotations[15].key, "X15");
}

/* ---------------------------------------------------------------------- */
/* the round trip: rendering a policy and applying it to the default gives
 * the policy back */

static void round_trip(const struct policy *p)
{
    cJSON *doc = policy_to_json(p);
    struct policy back;
    struct diag d;

    assert_non_null(doc);
    policy_default(&back);
    diag_clear(&d);
    if (policy_apply(&back, doc, &d) != 0)
        fail_msg("rendered policy refused: %s at %s", d.message, d.pointer);
    assert_policy_equal(p, &back);
    assert_policy_json_equal(p, &back);
    cJSON_Delete(doc);
}

static void test_round_trip_default(void **state)
{
    struct policy p;
    cJSON *doc;

    (void)state;
    policy_default(&p);
    round_trip(&p);
    /* the rendering is the long form for rules and names every key */
    doc = policy_to_json(&p);
    assert_non_null(jsonptr_get(doc, "/rules/image-tag/exemptable"));
    assert_string_equal(jsonptr_get(doc, "/rules/pod-anti-affinity/action")->valuestring, "warn");
    assert_string_equal(jsonptr_get(doc, "/annotations/prometheus.io~1scrape")->valuestring, "true");
    assert_string_equal(jsonptr_get(doc, "/resources/maximum/cpu")->valuestring, "4");
    assert_int_equal(jsonptr_get(doc, "/probes/startup/ranges/failureThreshold/max")->valueint, 60);
    assert_string_equal(jsonptr_get(doc, "/apiVersion")->valuestring, "django-admission.io/v1");
    assert_string_equal(jsonptr_get(doc, "/kind")->valuestring, "Policy");
    cJSON_Delete(doc);
}

static void test_round_trip_custom(void **state)
{
    static const char *const doc =
        "{\"selector\":{\"matchLabels\":{\"app.kubernetes.io/component\":\"web\"},"
        "\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":[\"batch\",\"cron\"]},"
        "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"}]},"
        "\"mainContainer\":\"app\","
        "\"rules\":{\"image-tag\":\"off\",\"read-only-root-filesystem\":{\"action\":\"enforce\","
        "\"exemptable\":false},\"pss-privileged\":{\"exemptable\":true}},"
        "\"replicas\":{\"default\":4,\"minimum\":2},"
        "\"probes\":{\"liveness\":{\"path\":\"/healthz\",\"port\":9000,\"periodSeconds\":20,"
        "\"ranges\":{\"periodSeconds\":{\"min\":10,\"max\":120}}},"
        "\"readiness\":{\"successThreshold\":2,\"ranges\":{\"successThreshold\":{\"max\":3}}}},"
        "\"resources\":{\"requests\":{\"cpu\":0.25,\"memory\":\"256Mi\"},\"limits\":{\"cpu\":2,"
        "\"memory\":\"2Gi\"},\"maximum\":{\"cpu\":\"8\",\"memory\":\"16Gi\"}},"
        "\"securityContext\":{\"runAsUser\":65532,\"seccompProfile\":\"RuntimeDefault\","
        "\"allowedCapabilities\":[]},"
        "\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"9100\","
        "\"example.com/a_b\":\"\"},"
        "\"strategy\":{\"maxSurge\":2,\"maxUnavailable\":1},"
        "\"antiAffinity\":{\"topologyKey\":\"topology.kubernetes.io/zone\",\"weight\":1},"
        "\"secretEnvPatterns\":[\"PASS\",\"KEY\"]}";
    struct policy p;
    struct diag d;

    (void)state;
    policy_default(&p);
    if (apply_text(&p, doc, &d) != 0)
        fail_msg("%s at %s", d.message, d.pointer);
    /* the document took effect */
    assert_string_equal(p.main_container, "app");
    assert_int_equal(policy_action(&p, RULE_IMAGE_TAG), RULE_OFF);
    assert_int_equal(policy_action(&p, RULE_READ_ONLY_ROOT_FILESYSTEM), RULE_ENFORCE);
    assert_false(p.rules[RULE_READ_ONLY_ROOT_FILESYSTEM].exemptable);
    assert_true(p.rules[RULE_PSS_PRIVILEGED].exemptable);
    assert_int_equal(p.selector.count, 3);
    assert_string_equal(p.requests.cpu_text, "0.25");
    assert_string_equal(p.limits.cpu_text, "2");
    assert_int_equal(p.probes[PROBE_READINESS].success_threshold, 2);
    assert_int_equal(p.allowed_capabilities_count, 0);
    assert_string_equal(p.annotations[2].key, "example.com/a_b");
    round_trip(&p);
}

/* ---------------------------------------------------------------------- */
/* findings */

static void test_findings_add_and_count(void **state)
{
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    assert_int_equal(f.count, 0);
    assert_int_equal(findings_count_action(&f, RULE_ENFORCE), 0);
    assert_int_equal(findings_add(&f, RULE_REPLICAS_MINIMUM, NULL, "/spec/replicas", &d,
                                  "replicas must be at least %d (got %d)", 3, 1),
                     0);
    assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, "django", NULL, &d, "%s", "no tag"), 0);
    assert_int_equal(f.count, 2);
    assert_int_equal(f.items[0].rule, RULE_REPLICAS_MINIMUM);
    assert_int_equal(f.items[0].action, RULE_ENFORCE);
    assert_string_equal(f.items[0].container, "");
    assert_string_equal(f.items[0].pointer, "/spec/replicas");
    assert_string_equal(f.items[0].message, "replicas must be at least 3 (got 1)");
    assert_string_equal(f.items[1].container, "django");
    assert_string_equal(f.items[1].pointer, "");
    f.items[1].action = RULE_WARN;
    assert_int_equal(findings_count_action(&f, RULE_ENFORCE), 1);
    assert_int_equal(findings_count_action(&f, RULE_WARN), 1);
    assert_int_equal(findings_count_action(&f, RULE_OFF), 0);
    findings_free(&f);
    assert_null(f.items);
    assert_int_equal(f.count, 0);
    findings_free(&f);
}

static void test_findings_maximum(void **state)
{
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    for (size_t i = 0; i < FINDINGS_MAX + 10; i++)
        assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, "c", "/p", &d, "violation %zu", i), 0);
    assert_int_equal(f.count, FINDINGS_MAX);
    assert_true(f.cap <= FINDINGS_MAX);
    assert_true(f.truncated);
    assert_int_equal(f.dropped, 10);
    assert_string_equal(f.items[FINDINGS_MAX - 1].message, "violation 1023");
    findings_free(&f);
}

/* Long fields are cut to fit, never inside a UTF-8 character. */
static void test_findings_truncation(void **state)
{
    static const struct {
        /* the repeated unit and how many times */
        const char *unit;
        size_t times;
    } cases[] = {
        {"a", 2000},
        {"\xc3\xa9", 1000},         /* 2 bytes */
        {"\xe2\x9c\x93", 700},      /* 3 bytes */
        {"\xf0\x9f\x90\x8d", 500},  /* 4 bytes */
        {"a\xf0\x9f\x90\x8d", 500}, /* 5-byte unit: cuts fall at every offset */
        {"ab\xe2\x9c\x93", 500},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t ul = strlen(cases[i].unit), n = ul * cases[i].times;
        char *text = malloc(n + 1);
        struct findings f;
        struct diag d;
        const char *fields[3];
        size_t caps[3] = {FINDING_CONTAINER_MAX, DIAG_POINTER_MAX, FINDING_MESSAGE_MAX};

        assert_non_null(text);
        for (size_t k = 0; k < cases[i].times; k++)
            memcpy(text + k * ul, cases[i].unit, ul);
        text[n] = '\0';
        findings_init(&f);
        assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, text, text, &d, "%s", text), 0);
        fields[0] = f.items[0].container;
        fields[1] = f.items[0].pointer;
        fields[2] = f.items[0].message;
        for (size_t k = 0; k < 3; k++) {
            size_t len = strlen(fields[k]);
            /* fits, is a prefix of the input, and is cut on a boundary: the
             * next input byte starts a character */
            assert_true(len < caps[k]);
            assert_true(len + 4 >= caps[k]);
            assert_memory_equal(fields[k], text, len);
            assert_int_not_equal((unsigned char)text[len] & 0xC0, 0x80);
        }
        findings_free(&f);
        free(text);
    }
}

static void test_findings_short_fields_intact(void **state)
{
    struct findings f;
    struct diag d;
    char msg[FINDING_MESSAGE_MAX];

    (void)state;
    /* exactly cap - 1 bytes is kept whole */
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    findings_init(&f);
    assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, "caf\xc3\xa9", "/a~1b", &d, "%s", msg), 0);
    assert_string_equal(f.items[0].container, "caf\xc3\xa9");
    assert_string_equal(f.items[0].pointer, "/a~1b");
    assert_int_equal(strlen(f.items[0].message), FINDING_MESSAGE_MAX - 1);
    findings_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_selector_and_main_container),
        cmocka_unit_test(test_default_rules),
        cmocka_unit_test(test_default_replicas),
        cmocka_unit_test(test_default_probes),
        cmocka_unit_test(test_default_resources),
        cmocka_unit_test(test_default_security_context),
        cmocka_unit_test(test_default_annotations),
        cmocka_unit_test(test_default_strategy),
        cmocka_unit_test(test_default_anti_affinity),
        cmocka_unit_test(test_default_secret_env_patterns),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hostile_deep_nesting),
        cmocka_unit_test(test_hostile_huge_strings),
        cmocka_unit_test(test_hostile_huge_quantity_and_key),
        cmocka_unit_test(test_hostile_keys),
        cmocka_unit_test(test_hostile_long_lists),
        cmocka_unit_test(test_layering),
        cmocka_unit_test(test_layering_quantity_values),
        cmocka_unit_test(test_layering_twice),
        cmocka_unit_test(test_round_trip_default),
        cmocka_unit_test(test_round_trip_custom),
        cmocka_unit_test(test_findings_add_and_count),
        cmocka_unit_test(test_findings_maximum),
        cmocka_unit_test(test_findings_truncation),
        cmocka_unit_test(test_findings_short_fields_intact),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
