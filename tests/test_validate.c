/* Tests for validate: every check function against a table of Deployments
 * (hostile ones first) with the exact violations expected, each as (rule,
 * container, pointer); the fully compliant seed Deployment passes every
 * rule; every rule survives a battery of wrong-typed Deployments; messages
 * are lower case, one line, without a full stop, short, and never quote a
 * secret.
 *
 * Deployment literals are written with ' for " (converted before parsing)
 * so the tables stay readable; none of them needs a literal '. */
#include <ctype.h>
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
#include "rules.h"
#include "validate.h"

#define EXPECT_MAX 8
/* the brief: messages stay under ~200 characters (admission warnings are
 * truncated beyond that) */
#define MESSAGE_LIMIT 200

struct expect {
    enum rule_id rule;
    const char *container;
    /* NULL ends the list */
    const char *pointer;
};

struct vcase {
    const char *name;
    /* a Deployment, ' standing for " */
    const char *json;
    enum rule_id rule;
    /* adjusts the default policy for this case; NULL for none */
    void (*tweak)(struct policy *p);
    struct expect expect[EXPECT_MAX];
};

/* ------------------------------------------------------------- helpers */

static cJSON *parse_quoted(const char *json)
{
    size_t len = strlen(json);
    char *text = malloc(len + 1);
    cJSON *doc;

    assert_non_null(text);
    for (size_t i = 0; i <= len; i++)
        text[i] = json[i] == '\'' ? '"' : json[i];
    doc = cJSON_Parse(text);
    if (!doc)
        fprintf(stderr, "unparsable test literal: %s\n", text);
    free(text);
    assert_non_null(doc);
    return doc;
}

/* What the engine hands a check: pod spec, containers, main container. */
static void ctx_build(struct check_ctx *ctx, const struct policy *p, const cJSON *doc,
                      struct findings *out)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(spec, "template");
    const cJSON *pod = cJSON_GetObjectItemCaseSensitive(tmpl, "spec");
    const cJSON *containers = cJSON_GetObjectItemCaseSensitive(pod, "containers");
    const cJSON *c;
    size_t i = 0;

    assert_true(cJSON_IsObject(pod));
    assert_true(cJSON_IsArray(containers));
    assert_true(cJSON_GetArraySize(containers) > 0);
    memset(ctx, 0, sizeof(*ctx));
    ctx->policy = p;
    ctx->object = doc;
    ctx->pod_spec = pod;
    ctx->containers = containers;
    ctx->out = out;
    cJSON_ArrayForEach(c, containers)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");

        assert_true(cJSON_IsObject(c));
        if (cJSON_IsString(name) && strcmp(name->valuestring, p->main_container) == 0) {
            ctx->main_index = i;
            break;
        }
        i++;
    }
}

/* Properties every message has, whatever the rule. */
static void check_message(const struct violation *v)
{
    size_t len = strlen(v->message);

    assert_true(len > 0);
    assert_true(len <= MESSAGE_LIMIT);
    assert_true(islower((unsigned char)v->message[0]));
    assert_true(v->message[len - 1] != '.');
    for (size_t i = 0; i < len; i++)
        assert_true((unsigned char)v->message[i] >= 0x20);
    assert_true(v->pointer[0] == '/');
    assert_true(strncmp(v->pointer, "/spec", 5) == 0);
}

static void dump(const char *name, const struct findings *f)
{
    fprintf(stderr, "case %s: %zu violation(s)\n", name, f->count);
    for (size_t i = 0; i < f->count; i++)
        fprintf(stderr, "  %s [%s] %s: %s\n", rules_get(f->items[i].rule)->name,
                f->items[i].container, f->items[i].pointer, f->items[i].message);
}

static void run_case(const struct vcase *tc)
{
    struct policy p;
    struct check_ctx ctx;
    struct findings f;
    struct diag d;
    cJSON *doc = parse_quoted(tc->json);
    size_t n = 0;
    bool same;

    policy_default(&p);
    if (tc->tweak)
        tc->tweak(&p);
    findings_init(&f);
    diag_clear(&d);
    ctx_build(&ctx, &p, doc, &f);
    if (rules_get(tc->rule)->check(&ctx, tc->rule, &d) != 0) {
        fprintf(stderr, "case %s: check failed: %s at %s\n", tc->name, d.message, d.pointer);
        fail();
    }
    while (n < EXPECT_MAX && tc->expect[n].pointer)
        n++;
    same = f.count == n;
    for (size_t i = 0; same && i < n; i++) {
        const struct violation *v = &f.items[i];

        same = v->rule == tc->expect[i].rule &&
               strcmp(v->container, tc->expect[i].container) == 0 &&
               strcmp(v->pointer, tc->expect[i].pointer) == 0;
    }
    if (!same) {
        dump(tc->name, &f);
        fail_msg("case %s: expected %zu violation(s)", tc->name, n);
    }
    for (size_t i = 0; i < f.count; i++)
        check_message(&f.items[i]);
    findings_free(&f);
    cJSON_Delete(doc);
}

static void run_table(const struct vcase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_case(&cases[i]);
}

#define RUN(table) run_table(table, sizeof(table) / sizeof(table[0]))

/* Deployment pieces (' for ") */
#define DEP(spec) "{'apiVersion':'apps/v1','kind':'Deployment','spec':{" spec "}}"
#define POD(podspec) DEP("'template':{'spec':{" podspec "}}")
#define ONE(container) POD("'containers':[" container "]")
#define DJ(fields) ONE("{'name':'django','image':'app:1.0'" fields "}")
#define TPL "'template':{'spec':{'containers':[{'name':'django'}]}}"
#define CP "/spec/template/spec/containers/0"
#define IP "/spec/template/spec/initContainers/0"
/* clang-format off */
#define NONE {{0, NULL, NULL}}
/* clang-format on */

/* ------------------------------------------------------------ replicas */

static const struct vcase REPLICAS[] = {
    {"absent means 1",
     DEP(TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"null means absent",
     DEP("'replicas':null," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"string",
     DEP("'replicas':'3'," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"boolean",
     DEP("'replicas':true," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"object",
     DEP("'replicas':{'n':3}," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"fraction",
     DEP("'replicas':3.5," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"beyond int32",
     DEP("'replicas':1e30," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"just beyond int32",
     DEP("'replicas':2147483648," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"negative",
     DEP("'replicas':-3," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"duplicate keys: the last wins (bad)",
     DEP("'replicas':5,'replicas':1," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"duplicate keys: the last wins (good)", DEP("'replicas':1,'replicas':5," TPL),
     RULE_REPLICAS_MINIMUM, NULL, NONE},
    {"zero",
     DEP("'replicas':0," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"one below",
     DEP("'replicas':2," TPL),
     RULE_REPLICAS_MINIMUM,
     NULL,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
    {"minimum", DEP("'replicas':3," TPL), RULE_REPLICAS_MINIMUM, NULL, NONE},
    {"3.0 is an integer", DEP("'replicas':3.0," TPL), RULE_REPLICAS_MINIMUM, NULL, NONE},
    {"int32 max", DEP("'replicas':2147483647," TPL), RULE_REPLICAS_MINIMUM, NULL, NONE},
};

static void minimum_one(struct policy *p)
{
    p->replicas_minimum = 1;
}

static const struct vcase REPLICAS_POLICY[] = {
    {"minimum 1: absent is fine", DEP(TPL), RULE_REPLICAS_MINIMUM, minimum_one, NONE},
    {"minimum 1: zero is not",
     DEP("'replicas':0," TPL),
     RULE_REPLICAS_MINIMUM,
     minimum_one,
     {{RULE_REPLICAS_MINIMUM, "", "/spec/replicas"}}},
};

static void test_replicas(void **state)
{
    (void)state;
    RUN(REPLICAS);
    RUN(REPLICAS_POLICY);
}

/* Message wording the developer sees, for the examples in the brief. */
struct wording {
    const char *json;
    enum rule_id rule;
    const char *message;
};

static const struct wording WORDING[] = {
    {DEP("'replicas':1," TPL), RULE_REPLICAS_MINIMUM,
     "replicas is 1, below the minimum of 3: set spec.replicas to 3 or more"},
    {DJ(""), RULE_PROBE_LIVENESS_MISSING,
     "livenessProbe is missing: add an httpGet probe on /health/live/ port 8000 "
     "(initialDelaySeconds 30, periodSeconds 10, timeoutSeconds 5, failureThreshold 3)"},
    {DJ(",'readinessProbe':{'timeoutSeconds':10,'periodSeconds':5}"), RULE_PROBE_READINESS_POLICY,
     "readinessProbe timeoutSeconds is 10 (allowed 1-30) but must not exceed periodSeconds 5: "
     "set it to 5 or less"},
    {DJ(",'resources':{'limits':{'cpu':'1','memory':'8Gi'}}"), RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM,
     "limits.memory 8Gi is above the policy maximum 4Gi: lower it to 4Gi or less"},
    {DJ(",'resources':{'requests':{'cpu':'2'},'limits':{'memory':'1Gi'}}"), RULE_RESOURCES_LIMITS_MISSING,
     "limits.cpu is missing: set resources.limits.cpu to at least the request 2 and at most 4"},
    {DJ(",'resources':{'requests':{'memory':'8Gi'},'limits':{'cpu':'1'}}"), RULE_RESOURCES_LIMITS_MISSING,
     "limits.memory is missing, and requests.memory 8Gi is above the policy maximum 4Gi: lower the "
     "request, then set resources.limits.memory between it and 4Gi"},
    {DJ(",'securityContext':{'privileged':true}"), RULE_PSS_PRIVILEGED,
     "container runs privileged: remove securityContext.privileged or set it to false"},
    {DJ(",'resources':{'requests':{'cpu':'lots','memory':'1Gi'}}"), RULE_RESOURCES_REQUESTS_MISSING,
     NULL},
    {DJ(",'securityContext':{'capabilities':{'add':['CAP_NET_BIND_SERVICE']}}"),
     RULE_PSS_CAPABILITIES_ADD, NULL},
};

static void test_wording(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(WORDING) / sizeof(WORDING[0]); i++) {
        struct policy p;
        struct check_ctx ctx;
        struct findings f;
        struct diag d;
        cJSON *doc = parse_quoted(WORDING[i].json);

        policy_default(&p);
        findings_init(&f);
        ctx_build(&ctx, &p, doc, &f);
        assert_int_equal(rules_get(WORDING[i].rule)->check(&ctx, WORDING[i].rule, &d), 0);
        assert_int_equal(f.count, 1);
        if (WORDING[i].message)
            assert_string_equal(f.items[0].message, WORDING[i].message);
        check_message(&f.items[0]);
        findings_free(&f);
        cJSON_Delete(doc);
    }
}

/* Unparsable quantities carry the quantity module's reason; the CAP_
 * spelling names the right one. */
static void test_wording_details(void **state)
{
    static const struct {
        const char *json;
        enum rule_id rule;
        const char *needle;
    } cases[] = {
        {DJ(",'resources':{'requests':{'cpu':'lots','memory':'1Gi'}}"),
         RULE_RESOURCES_REQUESTS_MISSING, "requests.cpu \"lots\" is not a valid quantity ("},
        {DJ(",'resources':{'limits':{'cpu':'2 cores','memory':'1Gi'}}"),
         RULE_RESOURCES_LIMITS_MISSING, "limits.cpu \"2 cores\" is not a valid quantity ("},
        {DJ(",'securityContext':{'capabilities':{'add':['CAP_NET_BIND_SERVICE']}}"),
         RULE_PSS_CAPABILITIES_ADD, "write NET_BIND_SERVICE"},
        {DJ(",'securityContext':{'capabilities':{'add':['SYS_ADMIN']}}"), RULE_PSS_CAPABILITIES_ADD,
         "(allowed: NET_BIND_SERVICE)"},
        {DJ(",'securityContext':{'runAsNonRoot':'yes'}"), RULE_PSS_RUN_AS_NON_ROOT,
         "is a string, expected the boolean true"},
        {DEP("'replicas':'3'," TPL), RULE_REPLICAS_MINIMUM, "is a string, expected an integer"},
        {DEP("'replicas':4," TPL), RULE_STRATEGY_MAX_UNAVAILABLE,
         "25%, which is 1 of 4 replicas, above the policy maximum 0"},
        {DEP("'strategy':{'type':'Recreate'}," TPL), RULE_STRATEGY_MAX_UNAVAILABLE,
         "stops every pod before new ones start"},
        {ONE("{'name':'django','image':'registry:5000/app'}"), RULE_IMAGE_TAG, "has no tag"},
        {DJ(",'livenessProbe':{}"), RULE_PROBE_LIVENESS_MISSING, NULL},
        /* JSON types as a YAML user says them */
        {DJ(",'livenessProbe':[]"), RULE_PROBE_LIVENESS_MISSING,
         "livenessProbe is a list, expected an object"},
        {DJ(",'securityContext':{'capabilities':{'add':{}}}"), RULE_PSS_CAPABILITIES_ADD,
         "is an object, expected a list"},
        /* user text between quotes: '"' becomes '\'', control bytes '?' */
        {DJ(",'securityContext':{'capabilities':{'add':['SYS\\\"AD\\nMIN']}}"),
         RULE_PSS_CAPABILITIES_ADD, "capability \"SYS'AD?MIN\" may not be added"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct policy p;
        struct check_ctx ctx;
        struct findings f;
        struct diag d;
        cJSON *doc = parse_quoted(cases[i].json);

        policy_default(&p);
        findings_init(&f);
        ctx_build(&ctx, &p, doc, &f);
        assert_int_equal(rules_get(cases[i].rule)->check(&ctx, cases[i].rule, &d), 0);
        if (!cases[i].needle) {
            assert_int_equal(f.count, 0);
        } else {
            assert_int_equal(f.count, 1);
            const char *hit = strstr(f.items[0].message, cases[i].needle);

            if (!hit)
                fail_msg("message \"%s\" lacks \"%s\"", f.items[0].message, cases[i].needle);
            /* a quoted quantity is quoted once: the reason does not repeat it */
            if (strstr(cases[i].needle, "valid quantity"))
                assert_null(strstr(hit + strlen(cases[i].needle), "lots"));
            if (strstr(cases[i].needle, "2 cores"))
                assert_null(strstr(hit + strlen(cases[i].needle), "2 cores"));
        }
        findings_free(&f);
        cJSON_Delete(doc);
    }
}

/* -------------------------------------------------------------- probes */

#define SIDE                                                                                       \
    "{'name':'sidecar','image':'side:1','livenessProbe':{},'readinessProbe':{},'startupProbe':{}}"

static const struct vcase PROBE_MISSING[] = {
    {"wrong type",
     DJ(",'livenessProbe':'yes'"),
     RULE_PROBE_LIVENESS_MISSING,
     NULL,
     {{RULE_PROBE_LIVENESS_MISSING, "django", CP "/livenessProbe"}}},
    {"array",
     DJ(",'livenessProbe':[]"),
     RULE_PROBE_LIVENESS_MISSING,
     NULL,
     {{RULE_PROBE_LIVENESS_MISSING, "django", CP "/livenessProbe"}}},
    {"null",
     DJ(",'livenessProbe':null"),
     RULE_PROBE_LIVENESS_MISSING,
     NULL,
     {{RULE_PROBE_LIVENESS_MISSING, "django", CP "/livenessProbe"}}},
    {"only the sidecar has probes: the main container is judged",
     POD("'containers':[" SIDE ",{'name':'django'}]"),
     RULE_PROBE_LIVENESS_MISSING,
     NULL,
     {{RULE_PROBE_LIVENESS_MISSING, "django", "/spec/template/spec/containers/1/livenessProbe"}}},
    {"no container named django: the first is main",
     POD("'containers':[{'image':'a:1'},{'name':'other'}]"),
     RULE_PROBE_READINESS_MISSING,
     NULL,
     {{RULE_PROBE_READINESS_MISSING, "", CP "/readinessProbe"}}},
    {"the sidecar lacks probes: not judged",
     POD("'containers':[{'name':'side'},{'name':'django',"
         "'livenessProbe':{'exec':{'command':['true']}}}]"),
     RULE_PROBE_LIVENESS_MISSING, NULL, NONE},
    {"readiness missing",
     DJ(",'livenessProbe':{}"),
     RULE_PROBE_READINESS_MISSING,
     NULL,
     {{RULE_PROBE_READINESS_MISSING, "django", CP "/readinessProbe"}}},
    {"startup missing",
     DJ(",'livenessProbe':{},'readinessProbe':{}"),
     RULE_PROBE_STARTUP_MISSING,
     NULL,
     {{RULE_PROBE_STARTUP_MISSING, "django", CP "/startupProbe"}}},
    {"present, any handler", DJ(",'startupProbe':{'tcpSocket':{'port':8000}}"),
     RULE_PROBE_STARTUP_MISSING, NULL, NONE},
    {"present, empty", DJ(",'readinessProbe':{}"), RULE_PROBE_READINESS_MISSING, NULL, NONE},
};

static void test_probe_missing(void **state)
{
    (void)state;
    RUN(PROBE_MISSING);
}

#define LP CP "/livenessProbe"
#define RP CP "/readinessProbe"
#define SP CP "/startupProbe"

static void liveness_period_1_5(struct policy *p)
{
    p->probes[PROBE_LIVENESS].period_range.min = 1;
    p->probes[PROBE_LIVENESS].period_range.max = 5;
}

static const struct vcase PROBE_POLICY[] = {
    {"probe wrong type: the -missing rule reports it", DJ(",'livenessProbe':7"),
     RULE_PROBE_LIVENESS_POLICY, NULL, NONE},
    {"probe absent: the -missing rule reports it", DJ(""), RULE_PROBE_LIVENESS_POLICY, NULL, NONE},
    {"every field wrong",
     DJ(",'livenessProbe':{'initialDelaySeconds':'30','periodSeconds':[],"
        "'timeoutSeconds':true,'successThreshold':{},'failureThreshold':2.5}"),
     RULE_PROBE_LIVENESS_POLICY,
     NULL,
     {{RULE_PROBE_LIVENESS_POLICY, "django", LP "/initialDelaySeconds"},
      {RULE_PROBE_LIVENESS_POLICY, "django", LP "/periodSeconds"},
      {RULE_PROBE_LIVENESS_POLICY, "django", LP "/timeoutSeconds"},
      {RULE_PROBE_LIVENESS_POLICY, "django", LP "/successThreshold"},
      {RULE_PROBE_LIVENESS_POLICY, "django", LP "/failureThreshold"}}},
    {"huge and negative",
     DJ(",'livenessProbe':{'initialDelaySeconds':-1,'periodSeconds':1e300}"),
     RULE_PROBE_LIVENESS_POLICY,
     NULL,
     {{RULE_PROBE_LIVENESS_POLICY, "django", LP "/initialDelaySeconds"},
      {RULE_PROBE_LIVENESS_POLICY, "django", LP "/periodSeconds"}}},
    {"null fields take the defaults", DJ(",'livenessProbe':{'periodSeconds':null}"),
     RULE_PROBE_LIVENESS_POLICY, NULL, NONE},
    {"all defaults are within the default policy", DJ(",'livenessProbe':{}"),
     RULE_PROBE_LIVENESS_POLICY, NULL, NONE},
    {"absent field whose default is out of range: pointer to the probe",
     DJ(",'livenessProbe':{'timeoutSeconds':1}"),
     RULE_PROBE_LIVENESS_POLICY,
     liveness_period_1_5,
     {{RULE_PROBE_LIVENESS_POLICY, "django", LP}}},
    {"period below range",
     DJ(",'livenessProbe':{'periodSeconds':2,'timeoutSeconds':1}"),
     RULE_PROBE_LIVENESS_POLICY,
     NULL,
     {{RULE_PROBE_LIVENESS_POLICY, "django", LP "/periodSeconds"}}},
    {"liveness successThreshold must be 1",
     DJ(",'livenessProbe':{'successThreshold':2}"),
     RULE_PROBE_LIVENESS_POLICY,
     NULL,
     {{RULE_PROBE_LIVENESS_POLICY, "django", LP "/successThreshold"}}},
    {"timeout above period",
     DJ(",'livenessProbe':{'periodSeconds':10,'timeoutSeconds':20}"),
     RULE_PROBE_LIVENESS_POLICY,
     NULL,
     {{RULE_PROBE_LIVENESS_POLICY, "django", LP "/timeoutSeconds"}}},
    {"timeout out of range and above period: one violation",
     DJ(",'livenessProbe':{'periodSeconds':10,'timeoutSeconds':99}"),
     RULE_PROBE_LIVENESS_POLICY,
     NULL,
     {{RULE_PROBE_LIVENESS_POLICY, "django", LP "/timeoutSeconds"}}},
    {"timeout equal to period", DJ(",'livenessProbe':{'periodSeconds':10,'timeoutSeconds':10}"),
     RULE_PROBE_LIVENESS_POLICY, NULL, NONE},
    {"period out of range: the timeout is not also blamed",
     DJ(",'livenessProbe':{'periodSeconds':1,'timeoutSeconds':3}"),
     RULE_PROBE_LIVENESS_POLICY,
     NULL,
     {{RULE_PROBE_LIVENESS_POLICY, "django", LP "/periodSeconds"}}},
    {"seed liveness",
     DJ(",'livenessProbe':{'httpGet':{'path':'/health/live/','port':8000},'initialDelaySeconds':30,"
        "'periodSeconds':10,'timeoutSeconds':5,'failureThreshold':3}"),
     RULE_PROBE_LIVENESS_POLICY, NULL, NONE},
    {"readiness: default timeout 1 under period 5", DJ(",'readinessProbe':{'periodSeconds':5}"),
     RULE_PROBE_READINESS_POLICY, NULL, NONE},
    {"readiness: timeout 10 over period 5",
     DJ(",'readinessProbe':{'timeoutSeconds':10,'periodSeconds':5}"),
     RULE_PROBE_READINESS_POLICY,
     NULL,
     {{RULE_PROBE_READINESS_POLICY, "django", RP "/timeoutSeconds"}}},
    {"readiness rule ignores the liveness probe",
     DJ(",'livenessProbe':{'periodSeconds':0},'readinessProbe':{}"), RULE_PROBE_READINESS_POLICY,
     NULL, NONE},
    {"startup failureThreshold 100",
     DJ(",'startupProbe':{'failureThreshold':100}"),
     RULE_PROBE_STARTUP_POLICY,
     NULL,
     {{RULE_PROBE_STARTUP_POLICY, "django", SP "/failureThreshold"}}},
    {"startup seed",
     DJ(",'startupProbe':{'exec':{'command':['true']},'initialDelaySeconds':0,"
        "'periodSeconds':10,'timeoutSeconds':5,'failureThreshold':30}"),
     RULE_PROBE_STARTUP_POLICY, NULL, NONE},
    {"duplicate keys: the last wins",
     DJ(",'startupProbe':{'failureThreshold':30,'failureThreshold':0}"),
     RULE_PROBE_STARTUP_POLICY,
     NULL,
     {{RULE_PROBE_STARTUP_POLICY, "django", SP "/failureThreshold"}}},
};

static void test_probe_policy(void **state)
{
    (void)state;
    RUN(PROBE_POLICY);
}

/* ----------------------------------------------------------- resources */

#define RES CP "/resources"

static const struct vcase REQUESTS_MISSING[] = {
    {"resources wrong type",
     DJ(",'resources':'lots'"),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES}}},
    {"requests wrong type",
     DJ(",'resources':{'requests':['500m']}"),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests"}}},
    {"values of the wrong type",
     DJ(",'resources':{'requests':{'cpu':true,'memory':{'Mi':512}}}"),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/cpu"},
      {RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/memory"}}},
    {"unparsable quantities",
     DJ(",'resources':{'requests':{'cpu':'lots','memory':''}}"),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/cpu"},
      {RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/memory"}}},
    {"overlong quantity",
     DJ(",'resources':{'requests':{'memory':'512Mi','cpu':'0."
        "0000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000001'}}"),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/cpu"}}},
    {"no resources",
     DJ(""),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/cpu"},
      {RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/memory"}}},
    {"null requests",
     DJ(",'resources':{'requests':null}"),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/cpu"},
      {RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/memory"}}},
    {"memory missing",
     DJ(",'resources':{'requests':{'cpu':'500m'}}"),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/memory"}}},
    {"only limits",
     DJ(",'resources':{'limits':{'cpu':'1','memory':'1Gi'}}"),
     RULE_RESOURCES_REQUESTS_MISSING,
     NULL,
     {{RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/cpu"},
      {RULE_RESOURCES_REQUESTS_MISSING, "django", RES "/requests/memory"}}},
    {"numbers are quantities (YAML cpu: 1)",
     DJ(",'resources':{'requests':{'cpu':1,'memory':0.5e9}}"), RULE_RESOURCES_REQUESTS_MISSING,
     NULL, NONE},
    {"seed", DJ(",'resources':{'requests':{'cpu':'500m','memory':'512Mi'}}"),
     RULE_RESOURCES_REQUESTS_MISSING, NULL, NONE},
    {"a sidecar without requests is not judged",
     POD("'containers':[{'name':'side'},{'name':'django','resources':{'requests':{'cpu':'1','"
         "memory':'1'}}}]"),
     RULE_RESOURCES_REQUESTS_MISSING, NULL, NONE},
};

static const struct vcase LIMITS_MISSING[] = {
    {"limits wrong type",
     DJ(",'resources':{'limits':'1Gi'}"),
     RULE_RESOURCES_LIMITS_MISSING,
     NULL,
     {{RULE_RESOURCES_LIMITS_MISSING, "django", RES "/limits"}}},
    {"unparsable cpu",
     DJ(",'resources':{'limits':{'cpu':'1 core','memory':'1Gi'}}"),
     RULE_RESOURCES_LIMITS_MISSING,
     NULL,
     {{RULE_RESOURCES_LIMITS_MISSING, "django", RES "/limits/cpu"}}},
    {"only requests",
     DJ(",'resources':{'requests':{'cpu':'1','memory':'1Gi'}}"),
     RULE_RESOURCES_LIMITS_MISSING,
     NULL,
     {{RULE_RESOURCES_LIMITS_MISSING, "django", RES "/limits/cpu"},
      {RULE_RESOURCES_LIMITS_MISSING, "django", RES "/limits/memory"}}},
    {"seed", DJ(",'resources':{'limits':{'cpu':'1000m','memory':'1Gi'}}"),
     RULE_RESOURCES_LIMITS_MISSING, NULL, NONE},
    /* the advice follows the request: between it and the maximum, or lower
     * the request first */
    {"request above the default limit",
     DJ(",'resources':{'requests':{'cpu':'2'},'limits':{'memory':'1Gi'}}"),
     RULE_RESOURCES_LIMITS_MISSING,
     NULL,
     {{RULE_RESOURCES_LIMITS_MISSING, "django", RES "/limits/cpu"}}},
    {"request above the maximum",
     DJ(",'resources':{'requests':{'memory':'8Gi'},'limits':{'cpu':'1'}}"),
     RULE_RESOURCES_LIMITS_MISSING,
     NULL,
     {{RULE_RESOURCES_LIMITS_MISSING, "django", RES "/limits/memory"}}},
};

static const struct vcase ABOVE_LIMITS[] = {
    {"unreadable values are skipped",
     DJ(",'resources':{'requests':{'cpu':'x','memory':true},"
        "'limits':{'cpu':'1','memory':'1Gi'}}"),
     RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, NULL, NONE},
    {"wrong-typed sections are skipped", DJ(",'resources':{'requests':[],'limits':'x'}"),
     RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, NULL, NONE},
    {"missing limit", DJ(",'resources':{'requests':{'cpu':'100'}}"),
     RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, NULL, NONE},
    {"cpu above",
     DJ(",'resources':{'requests':{'cpu':'2','memory':'1Gi'},'limits':{'cpu':'1','memory':'1Gi'}}"),
     RULE_RESOURCES_REQUESTS_ABOVE_LIMITS,
     NULL,
     {{RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, "django", RES "/requests/cpu"}}},
    {"both above",
     DJ(",'resources':{'requests':{'cpu':'1001m','memory':'1Gi'},'limits':{'cpu':'1','memory':'1G'}"
        "}"),
     RULE_RESOURCES_REQUESTS_ABOVE_LIMITS,
     NULL,
     {{RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, "django", RES "/requests/cpu"},
      {RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, "django", RES "/requests/memory"}}},
    {"number against string",
     DJ(",'resources':{'requests':{'cpu':2},'limits':{'cpu':'1500m'}}"),
     RULE_RESOURCES_REQUESTS_ABOVE_LIMITS,
     NULL,
     {{RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, "django", RES "/requests/cpu"}}},
    {"equal in other units",
     DJ(",'resources':{'requests':{'cpu':'0.5','memory':'1024Mi'},"
        "'limits':{'cpu':'500m','memory':'1Gi'}}"),
     RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, NULL, NONE},
    {"seed",
     DJ(",'resources':{'requests':{'cpu':'500m','memory':'512Mi'},'limits':{'cpu':'1000m','memory':"
        "'1Gi'}}"),
     RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, NULL, NONE},
};

static const struct vcase ABOVE_MAXIMUM[] = {
    {"unreadable limits are skipped", DJ(",'resources':{'limits':{'cpu':'many','memory':[]}}"),
     RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM, NULL, NONE},
    {"memory above",
     DJ(",'resources':{'limits':{'cpu':'1','memory':'8Gi'}}"),
     RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM,
     NULL,
     {{RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM, "django", RES "/limits/memory"}}},
    {"cpu just above",
     DJ(",'resources':{'limits':{'cpu':'4001m','memory':'4Gi'}}"),
     RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM,
     NULL,
     {{RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM, "django", RES "/limits/cpu"}}},
    {"huge number",
     DJ(",'resources':{'limits':{'cpu':1e15,'memory':'1Ei'}}"),
     RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM,
     NULL,
     {{RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM, "django", RES "/limits/cpu"},
      {RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM, "django", RES "/limits/memory"}}},
    {"at the maximum", DJ(",'resources':{'limits':{'cpu':4,'memory':'4096Mi'}}"),
     RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM, NULL, NONE},
};

static void test_resources(void **state)
{
    (void)state;
    RUN(REQUESTS_MISSING);
    RUN(LIMITS_MISSING);
    RUN(ABOVE_LIMITS);
    RUN(ABOVE_MAXIMUM);
}

/* --------------------------------------------- pod security standards */

#define SC(x) ",'securityContext':" x

static const struct vcase PRIVILEGED[] = {
    {"securityContext wrong type",
     DJ(SC("'privileged'")),
     RULE_PSS_PRIVILEGED,
     NULL,
     {{RULE_PSS_PRIVILEGED, "django", CP "/securityContext"}}},
    {"privileged as a string",
     DJ(SC("{'privileged':'true'}")),
     RULE_PSS_PRIVILEGED,
     NULL,
     {{RULE_PSS_PRIVILEGED, "django", CP "/securityContext/privileged"}}},
    {"duplicate keys: the last wins",
     DJ(SC("{'privileged':false,'privileged':true}")),
     RULE_PSS_PRIVILEGED,
     NULL,
     {{RULE_PSS_PRIVILEGED, "django", CP "/securityContext/privileged"}}},
    {"every kind of container, names with / and ~",
     POD("'containers':[{'name':'a/b~c'" SC(
         "{'privileged':true}") "}],"
                                "'initContainers':[{'name':'init'" SC(
                                    "{'privileged':true}") "}],"
                                                           "'ephemeralContainers':[7,{'name':'"
                                                           "debug'" SC("{'privileged':true}") "}]"),
     RULE_PSS_PRIVILEGED,
     NULL,
     {{RULE_PSS_PRIVILEGED, "a/b~c", CP "/securityContext/privileged"},
      {RULE_PSS_PRIVILEGED, "init", IP "/securityContext/privileged"},
      {RULE_PSS_PRIVILEGED, "debug",
       "/spec/template/spec/ephemeralContainers/1/securityContext/privileged"}}},
    {"ephemeralContainers of the wrong type is skipped",
     POD("'containers':[{'name':'django'}],'ephemeralContainers':'x'"), RULE_PSS_PRIVILEGED, NULL,
     NONE},
    {"non-ASCII name",
     ONE("{'name':'dj\xc3\xa1ngo'" SC("{'privileged':true}") "}"),
     RULE_PSS_PRIVILEGED,
     NULL,
     {{RULE_PSS_PRIVILEGED, "dj\xc3\xa1ngo", CP "/securityContext/privileged"}}},
    {"false and null",
     POD("'containers':[{'name':'a'" SC("{'privileged':false}") "},{'name':'b'" SC(
         "{'privileged':null}") "}]"),
     RULE_PSS_PRIVILEGED, NULL, NONE},
};

#define PS "/spec/template/spec"

static const struct vcase HOST_NAMESPACES[] = {
    {"wrong types",
     POD("'containers':[{}],'hostNetwork':'true','hostPID':1,'hostIPC':[]"),
     RULE_PSS_HOST_NAMESPACES,
     NULL,
     {{RULE_PSS_HOST_NAMESPACES, "", PS "/hostNetwork"},
      {RULE_PSS_HOST_NAMESPACES, "", PS "/hostPID"},
      {RULE_PSS_HOST_NAMESPACES, "", PS "/hostIPC"}}},
    {"all true",
     POD("'containers':[{}],'hostNetwork':true,'hostPID':true,'hostIPC':true"),
     RULE_PSS_HOST_NAMESPACES,
     NULL,
     {{RULE_PSS_HOST_NAMESPACES, "", PS "/hostNetwork"},
      {RULE_PSS_HOST_NAMESPACES, "", PS "/hostPID"},
      {RULE_PSS_HOST_NAMESPACES, "", PS "/hostIPC"}}},
    {"one",
     POD("'containers':[{}],'hostPID':true"),
     RULE_PSS_HOST_NAMESPACES,
     NULL,
     {{RULE_PSS_HOST_NAMESPACES, "", PS "/hostPID"}}},
    {"false or absent", POD("'containers':[{}],'hostNetwork':false,'hostIPC':null"),
     RULE_PSS_HOST_NAMESPACES, NULL, NONE},
};

static const struct vcase HOST_PATH[] = {
    {"volumes wrong type",
     POD("'containers':[{}],'volumes':{'data':{'hostPath':{}}}"),
     RULE_PSS_HOST_PATH,
     NULL,
     {{RULE_PSS_HOST_PATH, "", PS "/volumes"}}},
    {"entry wrong type",
     POD("'containers':[{}],'volumes':['data',{'name':'tmp','emptyDir':{}}]"),
     RULE_PSS_HOST_PATH,
     NULL,
     {{RULE_PSS_HOST_PATH, "", PS "/volumes/0"}}},
    {"hostPath",
     POD("'containers':[{}],'volumes':[{'name':'tmp','emptyDir':{}},"
         "{'name':'logs/~x','hostPath':{'path':'/var/log'}}]"),
     RULE_PSS_HOST_PATH,
     NULL,
     {{RULE_PSS_HOST_PATH, "", PS "/volumes/1/hostPath"}}},
    {"hostPath of any type counts",
     POD("'containers':[{}],'volumes':[{'hostPath':'/'}]"),
     RULE_PSS_HOST_PATH,
     NULL,
     {{RULE_PSS_HOST_PATH, "", PS "/volumes/0/hostPath"}}},
    {"null hostPath",
     POD("'containers':[{}],'volumes':[{'name':'a','hostPath':null,'emptyDir':{}}]"),
     RULE_PSS_HOST_PATH, NULL, NONE},
    {"no volumes", POD("'containers':[{}]"), RULE_PSS_HOST_PATH, NULL, NONE},
};

static const struct vcase HOST_PORT[] = {
    {"ports wrong type",
     DJ(",'ports':{'containerPort':8000}"),
     RULE_PSS_HOST_PORT,
     NULL,
     {{RULE_PSS_HOST_PORT, "django", CP "/ports"}}},
    {"port entry wrong type",
     DJ(",'ports':[8000]"),
     RULE_PSS_HOST_PORT,
     NULL,
     {{RULE_PSS_HOST_PORT, "django", CP "/ports/0"}}},
    {"hostPort wrong type",
     DJ(",'ports':[{'containerPort':8000,'hostPort':'80'}]"),
     RULE_PSS_HOST_PORT,
     NULL,
     {{RULE_PSS_HOST_PORT, "django", CP "/ports/0/hostPort"}}},
    {"hostPort set, init container too",
     POD("'containers':[{'name':'django','ports':[{'containerPort':8000},{'containerPort':9000,'"
         "hostPort':9000}]}],"
         "'initContainers':[{'name':'init','ports':[{'hostPort':1}]}]"),
     RULE_PSS_HOST_PORT,
     NULL,
     {{RULE_PSS_HOST_PORT, "django", CP "/ports/1/hostPort"},
      {RULE_PSS_HOST_PORT, "init", IP "/ports/0/hostPort"}}},
    {"hostPort fraction",
     DJ(",'ports':[{'containerPort':8000,'hostPort':80.5}]"),
     RULE_PSS_HOST_PORT,
     NULL,
     {{RULE_PSS_HOST_PORT, "django", CP "/ports/0/hostPort"}}},
    {"hostPort 0 is unset", DJ(",'ports':[{'containerPort':8000,'hostPort':0}]"),
     RULE_PSS_HOST_PORT, NULL, NONE},
};

#define CAPS CP "/securityContext/capabilities"

static const struct vcase CAPS_ADD[] = {
    /* Linux-only since Kubernetes 1.25: not judged on a Windows pod, still
     * judged when spec.os.name says linux */
    {"windows pod",
     POD("'os':{'name':'windows'},'containers':[{'name':'django'" SC("{'capabilities':{'add':['SYS_ADMIN']}}") "}]"),
     RULE_PSS_CAPABILITIES_ADD, NULL, NONE},
    {"linux pod",
     POD("'os':{'name':'linux'},'containers':[{'name':'django'" SC("{'capabilities':{'add':['SYS_ADMIN']}}") "}]"),
     RULE_PSS_CAPABILITIES_ADD, NULL, {{RULE_PSS_CAPABILITIES_ADD, "django", CP "/securityContext/capabilities/add/0"}}},
    {"capabilities wrong type",
     DJ(SC("{'capabilities':['NET_ADMIN']}")),
     RULE_PSS_CAPABILITIES_ADD,
     NULL,
     {{RULE_PSS_CAPABILITIES_ADD, "django", CAPS}}},
    {"add wrong type",
     DJ(SC("{'capabilities':{'add':'SYS_ADMIN'}}")),
     RULE_PSS_CAPABILITIES_ADD,
     NULL,
     {{RULE_PSS_CAPABILITIES_ADD, "django", CAPS "/add"}}},
    {"entries: wrong type, forbidden, CAP_ prefix, lower case, allowed",
     DJ(SC("{'capabilities':{'add':[1,'SYS_ADMIN','CAP_NET_BIND_SERVICE','net_bind_service','NET_"
           "BIND_SERVICE']}}")),
     RULE_PSS_CAPABILITIES_ADD,
     NULL,
     {{RULE_PSS_CAPABILITIES_ADD, "django", CAPS "/add/0"},
      {RULE_PSS_CAPABILITIES_ADD, "django", CAPS "/add/1"},
      {RULE_PSS_CAPABILITIES_ADD, "django", CAPS "/add/2"},
      {RULE_PSS_CAPABILITIES_ADD, "django", CAPS "/add/3"}}},
    {"ALL may not be added",
     POD("'containers':[{}],'initContainers':[{'name':'i'" SC(
         "{'capabilities':{'add':['ALL']}}") "}]"),
     RULE_PSS_CAPABILITIES_ADD,
     NULL,
     {{RULE_PSS_CAPABILITIES_ADD, "i", IP "/securityContext/capabilities/add/0"}}},
    {"allowed", DJ(SC("{'capabilities':{'add':['NET_BIND_SERVICE'],'drop':['ALL']}}")),
     RULE_PSS_CAPABILITIES_ADD, NULL, NONE},
};

static void no_capabilities(struct policy *p)
{
    p->allowed_capabilities_count = 0;
}

static const struct vcase CAPS_ADD_POLICY[] = {
    {"policy allows none",
     DJ(SC("{'capabilities':{'add':['NET_BIND_SERVICE']}}")),
     RULE_PSS_CAPABILITIES_ADD,
     no_capabilities,
     {{RULE_PSS_CAPABILITIES_ADD, "django", CAPS "/add/0"}}},
};

static const struct vcase DROP_ALL[] = {
    /* Linux-only since Kubernetes 1.25: not judged on a Windows pod, still
     * judged when spec.os.name says linux */
    {"windows pod",
     POD("'os':{'name':'windows'},'containers':[{'name':'django'}]"),
     RULE_PSS_CAPABILITIES_DROP_ALL, NULL, NONE},
    {"linux pod",
     POD("'os':{'name':'linux'},'containers':[{'name':'django'}]"),
     RULE_PSS_CAPABILITIES_DROP_ALL, NULL, {{RULE_PSS_CAPABILITIES_DROP_ALL, "django", CP "/securityContext/capabilities/drop"}}},
    {"securityContext wrong type",
     DJ(SC("[]")),
     RULE_PSS_CAPABILITIES_DROP_ALL,
     NULL,
     {{RULE_PSS_CAPABILITIES_DROP_ALL, "django", CP "/securityContext"}}},
    {"drop wrong type",
     DJ(SC("{'capabilities':{'drop':'ALL'}}")),
     RULE_PSS_CAPABILITIES_DROP_ALL,
     NULL,
     {{RULE_PSS_CAPABILITIES_DROP_ALL, "django", CAPS "/drop"}}},
    {"lower case all",
     DJ(SC("{'capabilities':{'drop':['all']}}")),
     RULE_PSS_CAPABILITIES_DROP_ALL,
     NULL,
     {{RULE_PSS_CAPABILITIES_DROP_ALL, "django", CAPS "/drop"}}},
    {"some, not ALL",
     DJ(SC("{'capabilities':{'drop':['NET_RAW',null,3]}}")),
     RULE_PSS_CAPABILITIES_DROP_ALL,
     NULL,
     {{RULE_PSS_CAPABILITIES_DROP_ALL, "django", CAPS "/drop"}}},
    {"absent in container and init container",
     POD("'containers':[{'name':'django'}],'initContainers':[{'name':'init'" SC("{}") "}]"),
     RULE_PSS_CAPABILITIES_DROP_ALL,
     NULL,
     {{RULE_PSS_CAPABILITIES_DROP_ALL, "django", CAPS "/drop"},
      {RULE_PSS_CAPABILITIES_DROP_ALL, "init", IP "/securityContext/capabilities/drop"}}},
    {"ALL among others", DJ(SC("{'capabilities':{'drop':['NET_RAW','ALL']}}")),
     RULE_PSS_CAPABILITIES_DROP_ALL, NULL, NONE},
};

static const struct vcase PRIV_ESC[] = {
    /* Linux-only since Kubernetes 1.25: not judged on a Windows pod, still
     * judged when spec.os.name says linux */
    {"windows pod",
     POD("'os':{'name':'windows'},'containers':[{'name':'django'}]"),
     RULE_PSS_PRIVILEGE_ESCALATION, NULL, NONE},
    {"linux pod",
     POD("'os':{'name':'linux'},'containers':[{'name':'django'}]"),
     RULE_PSS_PRIVILEGE_ESCALATION, NULL, {{RULE_PSS_PRIVILEGE_ESCALATION, "django", CP "/securityContext/allowPrivilegeEscalation"}}},
    {"wrong type",
     DJ(SC("{'allowPrivilegeEscalation':'false'}")),
     RULE_PSS_PRIVILEGE_ESCALATION,
     NULL,
     {{RULE_PSS_PRIVILEGE_ESCALATION, "django", CP "/securityContext/allowPrivilegeEscalation"}}},
    {"absent (restricted requires false)",
     DJ(""),
     RULE_PSS_PRIVILEGE_ESCALATION,
     NULL,
     {{RULE_PSS_PRIVILEGE_ESCALATION, "django", CP "/securityContext/allowPrivilegeEscalation"}}},
    {"true, init container",
     POD("'containers':[{'name':'django'" SC(
         "{'allowPrivilegeEscalation':false}") "}],"
                                               "'initContainers':[{'name':'init'" SC(
                                                   "{'allowPrivilegeEscalation':true}") "}]"),
     RULE_PSS_PRIVILEGE_ESCALATION,
     NULL,
     {{RULE_PSS_PRIVILEGE_ESCALATION, "init", IP "/securityContext/allowPrivilegeEscalation"}}},
    {"false", DJ(SC("{'allowPrivilegeEscalation':false}")), RULE_PSS_PRIVILEGE_ESCALATION, NULL,
     NONE},
};

#define PSC PS "/securityContext"

static const struct vcase NON_ROOT[] = {
    {"pod securityContext wrong type",
     POD("'securityContext':true,'containers':[{'name':'django'}]"),
     RULE_PSS_RUN_AS_NON_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_NON_ROOT, "", PSC},
      {RULE_PSS_RUN_AS_NON_ROOT, "django", CP "/securityContext/runAsNonRoot"}}},
    {"wrong types at both levels",
     POD("'securityContext':{'runAsNonRoot':'true'},"
         "'containers':[{'name':'django'" SC("{'runAsNonRoot':'yes'}") "}]"),
     RULE_PSS_RUN_AS_NON_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_NON_ROOT, "", PSC "/runAsNonRoot"},
      {RULE_PSS_RUN_AS_NON_ROOT, "django", CP "/securityContext/runAsNonRoot"}}},
    {"unset everywhere",
     POD("'containers':[{'name':'django'}],'initContainers':[{'name':'init'}]"),
     RULE_PSS_RUN_AS_NON_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_NON_ROOT, "django", CP "/securityContext/runAsNonRoot"},
      {RULE_PSS_RUN_AS_NON_ROOT, "init", IP "/securityContext/runAsNonRoot"}}},
    {"pod false, container unset",
     POD("'securityContext':{'runAsNonRoot':false},'containers':[{'name':'django'}]"),
     RULE_PSS_RUN_AS_NON_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_NON_ROOT, "", PSC "/runAsNonRoot"},
      {RULE_PSS_RUN_AS_NON_ROOT, "django", CP "/securityContext/runAsNonRoot"}}},
    {"pod false, container true",
     POD("'securityContext':{'runAsNonRoot':false},"
         "'containers':[{'name':'django'" SC("{'runAsNonRoot':true}") "}]"),
     RULE_PSS_RUN_AS_NON_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_NON_ROOT, "", PSC "/runAsNonRoot"}}},
    {"pod true, container false",
     POD("'securityContext':{'runAsNonRoot':true},"
         "'containers':[{'name':'django'" SC("{'runAsNonRoot':false}") "},{'name':'b'}]"),
     RULE_PSS_RUN_AS_NON_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_NON_ROOT, "django", CP "/securityContext/runAsNonRoot"}}},
    {"pod true, containers unset",
     POD("'securityContext':{'runAsNonRoot':true},'containers':[{'name':'django'}],"
         "'initContainers':[{'name':'init'}]"),
     RULE_PSS_RUN_AS_NON_ROOT, NULL, NONE},
    {"pod unset, containers true",
     POD("'containers':[{'name':'django'" SC("{'runAsNonRoot':true}") "}]"),
     RULE_PSS_RUN_AS_NON_ROOT, NULL, NONE},
};

static const struct vcase USER_ROOT[] = {
    {"wrong types",
     POD("'securityContext':{'runAsUser':'0'},'containers':[{'name':'django'" SC(
         "{'runAsUser':1.5}") "}]"),
     RULE_PSS_RUN_AS_USER_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_USER_ROOT, "", PSC "/runAsUser"},
      {RULE_PSS_RUN_AS_USER_ROOT, "django", CP "/securityContext/runAsUser"}}},
    {"root at every level",
     POD("'securityContext':{'runAsUser':0},'containers':[{'name':'django'" SC(
         "{'runAsUser':0}") "}],"
                            "'initContainers':[{'name':'init'" SC("{'runAsUser':-0.0}") "}]"),
     RULE_PSS_RUN_AS_USER_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_USER_ROOT, "", PSC "/runAsUser"},
      {RULE_PSS_RUN_AS_USER_ROOT, "django", CP "/securityContext/runAsUser"},
      {RULE_PSS_RUN_AS_USER_ROOT, "init", IP "/securityContext/runAsUser"}}},
    {"beyond int64",
     DJ(SC("{'runAsUser':1e30}")),
     RULE_PSS_RUN_AS_USER_ROOT,
     NULL,
     {{RULE_PSS_RUN_AS_USER_ROOT, "django", CP "/securityContext/runAsUser"}}},
    {"non-root and unset",
     POD("'securityContext':{'runAsUser':1000},'containers':[{'name':'django'},"
         "{'name':'b'" SC("{'runAsUser':65534}") "}]"),
     RULE_PSS_RUN_AS_USER_ROOT, NULL, NONE},
};

#define SECCOMP_RT "{'seccompProfile':{'type':'RuntimeDefault'}}"

static const struct vcase SECCOMP[] = {
    /* Linux-only since Kubernetes 1.25: not judged on a Windows pod, still
     * judged when spec.os.name says linux */
    {"windows pod",
     POD("'os':{'name':'windows'},'containers':[{'name':'django'}]"),
     RULE_PSS_SECCOMP_PROFILE, NULL, NONE},
    {"linux pod",
     POD("'os':{'name':'linux'},'containers':[{'name':'django'}]"),
     RULE_PSS_SECCOMP_PROFILE, NULL, {{RULE_PSS_SECCOMP_PROFILE, "django", CP "/securityContext/seccompProfile"}}},
    {"wrong types",
     POD("'securityContext':{'seccompProfile':'RuntimeDefault'},"
         "'containers':[{'name':'django'" SC("{'seccompProfile':{'type':1}}") "}]"),
     RULE_PSS_SECCOMP_PROFILE,
     NULL,
     {{RULE_PSS_SECCOMP_PROFILE, "", PSC "/seccompProfile"},
      {RULE_PSS_SECCOMP_PROFILE, "django", CP "/securityContext/seccompProfile/type"}}},
    {"profile without type",
     DJ(SC("{'seccompProfile':{}}")),
     RULE_PSS_SECCOMP_PROFILE,
     NULL,
     {{RULE_PSS_SECCOMP_PROFILE, "django", CP "/securityContext/seccompProfile/type"}}},
    {"absent at both levels",
     POD("'containers':[{'name':'django'}],'initContainers':[{'name':'init'}]"),
     RULE_PSS_SECCOMP_PROFILE,
     NULL,
     {{RULE_PSS_SECCOMP_PROFILE, "django", CP "/securityContext/seccompProfile"},
      {RULE_PSS_SECCOMP_PROFILE, "init", IP "/securityContext/seccompProfile"}}},
    {"pod Unconfined, container unset",
     POD("'securityContext':{'seccompProfile':{'type':'Unconfined'}},"
         "'containers':[{'name':'django'}]"),
     RULE_PSS_SECCOMP_PROFILE,
     NULL,
     {{RULE_PSS_SECCOMP_PROFILE, "", PSC "/seccompProfile/type"},
      {RULE_PSS_SECCOMP_PROFILE, "django", CP "/securityContext/seccompProfile"}}},
    {"pod Unconfined, container overrides",
     POD("'securityContext':{'seccompProfile':{'type':'Unconfined'}},"
         "'containers':[{'name':'django'" SC(SECCOMP_RT) "}]"),
     RULE_PSS_SECCOMP_PROFILE,
     NULL,
     {{RULE_PSS_SECCOMP_PROFILE, "", PSC "/seccompProfile/type"}}},
    {"pod RuntimeDefault, container Unconfined",
     POD("'securityContext':" SECCOMP_RT ","
         "'containers':[{'name':'django'" SC("{'seccompProfile':{'type':'Unconfined'}}") "}]"),
     RULE_PSS_SECCOMP_PROFILE,
     NULL,
     {{RULE_PSS_SECCOMP_PROFILE, "django", CP "/securityContext/seccompProfile/type"}}},
    {"case matters",
     DJ(SC("{'seccompProfile':{'type':'runtimedefault'}}")),
     RULE_PSS_SECCOMP_PROFILE,
     NULL,
     {{RULE_PSS_SECCOMP_PROFILE, "django", CP "/securityContext/seccompProfile/type"}}},
    {"pod RuntimeDefault",
     POD("'securityContext':" SECCOMP_RT ",'containers':[{'name':'django'}],"
         "'initContainers':[{'name':'init'}]"),
     RULE_PSS_SECCOMP_PROFILE, NULL, NONE},
    {"containers Localhost",
     POD("'containers':[{'name':'django'" SC("{'seccompProfile':{'type':'Localhost',"
                                             "'localhostProfile':'p.json'}}") "}]"),
     RULE_PSS_SECCOMP_PROFILE, NULL, NONE},
};

static const struct vcase READ_ONLY[] = {
    /* Linux-only since Kubernetes 1.25: not judged on a Windows pod, still
     * judged when spec.os.name says linux */
    {"windows pod",
     POD("'os':{'name':'windows'},'containers':[{'name':'django'}]"),
     RULE_READ_ONLY_ROOT_FILESYSTEM, NULL, NONE},
    {"linux pod",
     POD("'os':{'name':'linux'},'containers':[{'name':'django'}]"),
     RULE_READ_ONLY_ROOT_FILESYSTEM, NULL, {{RULE_READ_ONLY_ROOT_FILESYSTEM, "django", CP "/securityContext/readOnlyRootFilesystem"}}},
    {"wrong type",
     DJ(SC("{'readOnlyRootFilesystem':1}")),
     RULE_READ_ONLY_ROOT_FILESYSTEM,
     NULL,
     {{RULE_READ_ONLY_ROOT_FILESYSTEM, "django", CP "/securityContext/readOnlyRootFilesystem"}}},
    {"absent and false",
     POD("'containers':[{'name':'django'}],'initContainers':[{'name':'init'" SC(
         "{'readOnlyRootFilesystem':false}") "}],"
                                             "'ephemeralContainers':[{'name':'debug'}]"),
     RULE_READ_ONLY_ROOT_FILESYSTEM,
     NULL,
     {{RULE_READ_ONLY_ROOT_FILESYSTEM, "django", CP "/securityContext/readOnlyRootFilesystem"},
      {RULE_READ_ONLY_ROOT_FILESYSTEM, "init", IP "/securityContext/readOnlyRootFilesystem"}}},
    {"true", DJ(SC("{'readOnlyRootFilesystem':true}")), RULE_READ_ONLY_ROOT_FILESYSTEM, NULL, NONE},
};

static void test_pod_security(void **state)
{
    (void)state;
    RUN(PRIVILEGED);
    RUN(HOST_NAMESPACES);
    RUN(HOST_PATH);
    RUN(HOST_PORT);
    RUN(CAPS_ADD);
    RUN(CAPS_ADD_POLICY);
    RUN(DROP_ALL);
    RUN(PRIV_ESC);
    RUN(NON_ROOT);
    RUN(USER_ROOT);
    RUN(SECCOMP);
    RUN(READ_ONLY);
}

/* --------------------------------------------------------- annotations */

#define ANN "/spec/template/metadata/annotations"
#define TSPEC "'spec':{'containers':[{'name':'django'}]}"
#define PROM_OK                                                                                    \
    "'prometheus.io/scrape':'true','prometheus.io/port':'8000','prometheus.io/path':'/metrics'"

static void odd_annotation(struct policy *p)
{
    snprintf(p->annotations[0].key, sizeof(p->annotations[0].key), "a~b/c");
    snprintf(p->annotations[0].value, sizeof(p->annotations[0].value), "x");
    p->annotations_count = 1;
}

static const struct vcase ANNOTATIONS[] = {
    {"metadata wrong type",
     DEP("'template':{'metadata':'x'," TSPEC "}"),
     RULE_PROMETHEUS_ANNOTATIONS,
     NULL,
     {{RULE_PROMETHEUS_ANNOTATIONS, "", "/spec/template/metadata"}}},
    {"annotations wrong type",
     DEP("'template':{'metadata':{'annotations':[]}," TSPEC "}"),
     RULE_PROMETHEUS_ANNOTATIONS,
     NULL,
     {{RULE_PROMETHEUS_ANNOTATIONS, "", ANN}}},
    {"no metadata",
     DEP("'template':{" TSPEC "}"),
     RULE_PROMETHEUS_ANNOTATIONS,
     NULL,
     {{RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1scrape"},
      {RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1port"},
      {RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1path"}}},
    {"wrong values and types",
     DEP("'template':{'metadata':{'annotations':{'prometheus.io/scrape':true,"
         "'prometheus.io/port':8000,'prometheus.io/path':'/metrics/'}}," TSPEC "}"),
     RULE_PROMETHEUS_ANNOTATIONS,
     NULL,
     {{RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1scrape"},
      {RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1port"},
      {RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1path"}}},
    {"keys differ in case",
     DEP("'template':{'metadata':{'annotations':{'Prometheus.io/scrape':'true',"
         "'prometheus.io/port':'8000','prometheus.io/path':'/metrics'}}," TSPEC "}"),
     RULE_PROMETHEUS_ANNOTATIONS,
     NULL,
     {{RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1scrape"}}},
    {"deployment-level annotations do not count",
     "{'metadata':{'annotations':{" PROM_OK "}},'spec':{'template':{" TSPEC "}}}",
     RULE_PROMETHEUS_ANNOTATIONS,
     NULL,
     {{RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1scrape"},
      {RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1port"},
      {RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/prometheus.io~1path"}}},
    {"~ and / in the key are escaped",
     DEP("'template':{" TSPEC "}"),
     RULE_PROMETHEUS_ANNOTATIONS,
     odd_annotation,
     {{RULE_PROMETHEUS_ANNOTATIONS, "", ANN "/a~0b~1c"}}},
    {"odd key present", DEP("'template':{'metadata':{'annotations':{'a~b/c':'x'}}," TSPEC "}"),
     RULE_PROMETHEUS_ANNOTATIONS, odd_annotation, NONE},
    {"all present, plus others",
     DEP("'template':{'metadata':{'annotations':{'team':'shop'," PROM_OK "}}," TSPEC "}"),
     RULE_PROMETHEUS_ANNOTATIONS, NULL, NONE},
};

static void test_annotations(void **state)
{
    (void)state;
    RUN(ANNOTATIONS);
}

/* ------------------------------------------------------------ strategy */

#define MU "/spec/strategy/rollingUpdate/maxUnavailable"
#define RU(x) DEP("'replicas':3,'strategy':{'type':'RollingUpdate','rollingUpdate':" x "}," TPL)

static void max_unavailable_1(struct policy *p)
{
    p->max_unavailable = 1;
}

static const struct vcase STRATEGY[] = {
    {"strategy wrong type",
     DEP("'strategy':'RollingUpdate'," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", "/spec/strategy"}}},
    {"type wrong type",
     DEP("'strategy':{'type':5}," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", "/spec/strategy/type"}}},
    {"unknown type",
     DEP("'strategy':{'type':'BlueGreen'}," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", "/spec/strategy/type"}}},
    {"rollingUpdate wrong type",
     DEP("'strategy':{'rollingUpdate':[]}," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", "/spec/strategy/rollingUpdate"}}},
    {"malformed: string integer",
     RU("{'maxUnavailable':'1'}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"malformed: above 100%",
     RU("{'maxUnavailable':'101%'}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"malformed: signed percent",
     RU("{'maxUnavailable':'+5%'}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"malformed: bare %",
     RU("{'maxUnavailable':'%'}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"malformed: long percent",
     RU("{'maxUnavailable':'00000000000000000000001%'}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"malformed: negative",
     RU("{'maxUnavailable':-1}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"malformed: fraction",
     RU("{'maxUnavailable':0.5}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"malformed: boolean",
     RU("{'maxUnavailable':false}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"Recreate",
     DEP("'replicas':3,'strategy':{'type':'Recreate'}," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", "/spec/strategy/type"}}},
    {"integer above",
     RU("{'maxUnavailable':1}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"50% of 4 is 2",
     DEP("'replicas':4,'strategy':{'rollingUpdate':{'maxUnavailable':'50%'}}," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"default 25% of 4 is 1",
     DEP("'replicas':4," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"both zero: Kubernetes uses maxUnavailable 1",
     RU("{'maxUnavailable':0,'maxSurge':0}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"both zero percent",
     RU("{'maxUnavailable':'0%','maxSurge':'0%'}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
    {"default 25% of 3 rounds down to 0", DEP("'replicas':3," TPL), RULE_STRATEGY_MAX_UNAVAILABLE,
     NULL, NONE},
    {"default, replicas absent (1)", DEP(TPL), RULE_STRATEGY_MAX_UNAVAILABLE, NULL, NONE},
    {"default, replicas malformed: counted as 1", DEP("'replicas':'many'," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE, NULL, NONE},
    {"24% of 4 rounds down to 0",
     DEP("'replicas':4,'strategy':{'rollingUpdate':{'maxUnavailable':'24%'}}," TPL),
     RULE_STRATEGY_MAX_UNAVAILABLE, NULL, NONE},
    {"seed", RU("{'maxSurge':1,'maxUnavailable':0}"), RULE_STRATEGY_MAX_UNAVAILABLE, NULL, NONE},
    {"zero with a percentage surge", RU("{'maxSurge':'25%','maxUnavailable':0}"),
     RULE_STRATEGY_MAX_UNAVAILABLE, NULL, NONE},
    {"policy allows 1", RU("{'maxUnavailable':1}"), RULE_STRATEGY_MAX_UNAVAILABLE,
     max_unavailable_1, NONE},
    {"policy allows 1: 2 is too many",
     RU("{'maxUnavailable':2}"),
     RULE_STRATEGY_MAX_UNAVAILABLE,
     max_unavailable_1,
     {{RULE_STRATEGY_MAX_UNAVAILABLE, "", MU}}},
};

static void test_strategy(void **state)
{
    (void)state;
    RUN(STRATEGY);
}

/* ------------------------------------------------------------ affinity */

#define PAA PS "/affinity/podAntiAffinity"
#define TERM "{'weight':100,'podAffinityTerm':{'topologyKey':'kubernetes.io/hostname'}}"

static const struct vcase ANTI_AFFINITY[] = {
    {"affinity wrong type",
     POD("'containers':[{}],'affinity':'spread'"),
     RULE_POD_ANTI_AFFINITY,
     NULL,
     {{RULE_POD_ANTI_AFFINITY, "", PS "/affinity"}}},
    {"podAntiAffinity wrong type",
     POD("'containers':[{}],'affinity':{'podAntiAffinity':[]}"),
     RULE_POD_ANTI_AFFINITY,
     NULL,
     {{RULE_POD_ANTI_AFFINITY, "", PAA}}},
    {"terms wrong type",
     POD("'containers':[{}],'affinity':{'podAntiAffinity':"
         "{'preferredDuringSchedulingIgnoredDuringExecution':{}}}"),
     RULE_POD_ANTI_AFFINITY,
     NULL,
     {{RULE_POD_ANTI_AFFINITY, "", PAA "/preferredDuringSchedulingIgnoredDuringExecution"}}},
    {"absent",
     POD("'containers':[{}]"),
     RULE_POD_ANTI_AFFINITY,
     NULL,
     {{RULE_POD_ANTI_AFFINITY, "", PAA}}},
    {"only pod affinity",
     POD("'containers':[{}],'affinity':{'podAffinity':{}}"),
     RULE_POD_ANTI_AFFINITY,
     NULL,
     {{RULE_POD_ANTI_AFFINITY, "", PAA}}},
    {"empty terms",
     POD("'containers':[{}],'affinity':{'podAntiAffinity':{"
         "'preferredDuringSchedulingIgnoredDuringExecution':[],"
         "'requiredDuringSchedulingIgnoredDuringExecution':[]}}"),
     RULE_POD_ANTI_AFFINITY,
     NULL,
     {{RULE_POD_ANTI_AFFINITY, "", PAA}}},
    {"preferred",
     POD("'containers':[{}],'affinity':{'podAntiAffinity':{"
         "'preferredDuringSchedulingIgnoredDuringExecution':[" TERM "]}}"),
     RULE_POD_ANTI_AFFINITY, NULL, NONE},
    {"required",
     POD("'containers':[{}],'affinity':{'podAntiAffinity':{"
         "'requiredDuringSchedulingIgnoredDuringExecution':[{'topologyKey':'kubernetes.io/"
         "hostname'}]}}"),
     RULE_POD_ANTI_AFFINITY, NULL, NONE},
};

static void test_anti_affinity(void **state)
{
    (void)state;
    RUN(ANTI_AFFINITY);
}

/* ----------------------------------------------------------------- env */

static const struct vcase ENV[] = {
    {"env wrong type",
     DJ(",'env':{'DB_PASSWORD':'x'}"),
     RULE_ENV_LITERAL_SECRET,
     NULL,
     {{RULE_ENV_LITERAL_SECRET, "django", CP "/env"}}},
    {"entry wrong type",
     DJ(",'env':['DB_PASSWORD=hunter2',{'name':'A','value':'b'}]"),
     RULE_ENV_LITERAL_SECRET,
     NULL,
     {{RULE_ENV_LITERAL_SECRET, "django", CP "/env/0"}}},
    {"name wrong type or absent", DJ(",'env':[{'name':7,'value':'x'},{'value':'y'}]"),
     RULE_ENV_LITERAL_SECRET, NULL, NONE},
    {"literal secrets, any case, any type, init container too",
     POD("'containers':[{'name':'django','env':[{'name':'DEBUG','value':'0'},{'name':'DB_PASSWORD',"
         "'value':'hunter2'},"
         "{'name':'django_secret_key','value':'s3cr3t'},{'name':'GITHUB_TOKEN','value':12345}]}],"
         "'initContainers':[{'name':'init','env':[{'name':'STRIPE_API_KEY','value':'sk_live_x'}]}"
         "]"),
     RULE_ENV_LITERAL_SECRET,
     NULL,
     {{RULE_ENV_LITERAL_SECRET, "django", CP "/env/1/value"},
      {RULE_ENV_LITERAL_SECRET, "django", CP "/env/2/value"},
      {RULE_ENV_LITERAL_SECRET, "django", CP "/env/3/value"},
      {RULE_ENV_LITERAL_SECRET, "init", IP "/env/0/value"}}},
    {"non-ASCII, / and ~ in the name",
     DJ(",'env':[{'name':'\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c/~token','value':'x'}]"),
     RULE_ENV_LITERAL_SECRET,
     NULL,
     {{RULE_ENV_LITERAL_SECRET, "django", CP "/env/0/value"}}},
    {"valueFrom, empty and null values",
     DJ(",'env':[{'name':'DB_PASSWORD','valueFrom':{'secretKeyRef':"
        "{'name':'app-secrets','key':'DB_PASSWORD'}}},"
        "{'name':'EMPTY_SECRET','value':''},{'name':'NULL_TOKEN','value':null}]"),
     RULE_ENV_LITERAL_SECRET, NULL, NONE},
    {"names that only look close",
     DJ(",'env':[{'name':'PASSWD','value':'x'},{'name':'API-KEY','value':'x'}]"),
     RULE_ENV_LITERAL_SECRET, NULL, NONE},
};

/* The value never appears in the message. */
static void test_env_secret_not_echoed(void **state)
{
    static const char json[] = DJ(",'env':[{'name':'DB_PASSWORD','value':'hunter2-very-secret'}]");
    struct policy p;
    struct check_ctx ctx;
    struct findings f;
    struct diag d;
    cJSON *doc = parse_quoted(json);

    (void)state;
    policy_default(&p);
    findings_init(&f);
    ctx_build(&ctx, &p, doc, &f);
    assert_int_equal(check_env_literal_secret(&ctx, RULE_ENV_LITERAL_SECRET, &d), 0);
    assert_int_equal(f.count, 1);
    assert_null(strstr(f.items[0].message, "hunter2"));
    assert_non_null(strstr(f.items[0].message, "DB_PASSWORD"));
    assert_non_null(strstr(f.items[0].message, "secretKeyRef"));
    findings_free(&f);
    cJSON_Delete(doc);
}

static void test_env(void **state)
{
    (void)state;
    RUN(ENV);
}

/* --------------------------------------------------------------- image */

#define IMG(x) ONE("{'name':'django','image':" x "}")
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct vcase IMAGE[] = {
    {"missing",
     ONE("{'name':'django'}"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"wrong type",
     IMG("['app:1']"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"empty", IMG("''"), RULE_IMAGE_TAG, NULL, {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"no name", IMG("':1.0'"), RULE_IMAGE_TAG, NULL, {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"trailing slash",
     IMG("'registry:5000/'"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"digest only",
     IMG("'@sha256:" HEX64 "'"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"empty tag", IMG("'app:'"), RULE_IMAGE_TAG, NULL, {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"invalid tag",
     IMG("'app:bad tag'"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"short digest",
     IMG("'app@sha256:abc'"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"upper-case digest",
     IMG("'app@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef'"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"empty digest",
     IMG("'app@'"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"registry port is not a tag",
     IMG("'registry:5000/app'"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"no tag", IMG("'app'"), RULE_IMAGE_TAG, NULL, {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"latest",
     IMG("'docker.io/library/app:latest'"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "django", CP "/image"}}},
    {"init container untagged",
     POD("'containers':[{'name':'django','image':'app:1.2'}],"
         "'initContainers':[{'name':'wait','image':'busybox'}]"),
     RULE_IMAGE_TAG,
     NULL,
     {{RULE_IMAGE_TAG, "wait", IP "/image"}}},
    {"tag", IMG("'app:1.2'"), RULE_IMAGE_TAG, NULL, NONE},
    {"registry port and tag", IMG("'registry:5000/team/app:v1.2.3-rc_1'"), RULE_IMAGE_TAG, NULL,
     NONE},
    {"latest is case-sensitive", IMG("'app:Latest'"), RULE_IMAGE_TAG, NULL, NONE},
    {"digest", IMG("'app@sha256:" HEX64 "'"), RULE_IMAGE_TAG, NULL, NONE},
    {"tag and digest", IMG("'registry:5000/app:latest@sha256:" HEX64 "'"), RULE_IMAGE_TAG, NULL,
     NONE},
};

static void test_image(void **state)
{
    (void)state;
    RUN(IMAGE);
}

/* ---------------------------------------------------- the whole picture */

/* The seed's Deployment with everything the policy asks for. */
static const char SEED[] =
    "{'apiVersion':'apps/v1','kind':'Deployment',"
    "'metadata':{'name':'django','namespace':'jewelry-shop','labels':{'app':'jewelry-shop','"
    "component':'django'}},"
    "'spec':{'replicas':3,"
    "'selector':{'matchLabels':{'app':'jewelry-shop','component':'django'}},"
    "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1,'maxUnavailable':0}},"
    "'template':{"
    "'metadata':{'labels':{'app':'jewelry-shop','component':'django'},"
    "'annotations':{'prometheus.io/scrape':'true','prometheus.io/port':'8000','prometheus.io/"
    "path':'/metrics'}},"
    "'spec':{"
    "'securityContext':{'runAsNonRoot':true,'runAsUser':1000,'fsGroup':1000,"
    "'seccompProfile':{'type':'RuntimeDefault'}},"
    "'affinity':{'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':"
    "100,"
    "'podAffinityTerm':{'labelSelector':{'matchLabels':{'component':'django'}},"
    "'topologyKey':'kubernetes.io/hostname'}}]}},"
    "'initContainers':[{'name':'wait-for-db','image':'busybox:1.36',"
    "'command':['sh','-c','until nc -z postgres 5432; do sleep 2; done'],"
    "'securityContext':{'allowPrivilegeEscalation':false,'readOnlyRootFilesystem':true,"
    "'capabilities':{'drop':['ALL']}}}],"
    "'containers':[{'name':'django','image':'jewelry-shop/django:1.0.0',"
    "'ports':[{'name':'http','containerPort':8000,'protocol':'TCP'}],"
    "'envFrom':[{'configMapRef':{'name':'app-config'}}],"
    "'env':[{'name':'DB_PASSWORD','valueFrom':{'secretKeyRef':{'name':'app-secrets','key':'DB_"
    "PASSWORD'}}},"
    "{'name':'DJANGO_SECRET_KEY','valueFrom':{'secretKeyRef':{'name':'app-secrets','key':'DJANGO_"
    "SECRET_KEY'}}},"
    "{'name':'DJANGO_SETTINGS_MODULE','value':'config.settings.production'}],"
    "'resources':{'requests':{'cpu':'500m','memory':'512Mi'},'limits':{'cpu':'1000m','memory':'1Gi'"
    "}},"
    "'livenessProbe':{'httpGet':{'path':'/health/live/','port':8000},'initialDelaySeconds':30,"
    "'periodSeconds':10,'timeoutSeconds':5,'failureThreshold':3},"
    "'readinessProbe':{'httpGet':{'path':'/health/ready/','port':8000},'initialDelaySeconds':15,"
    "'periodSeconds':5,'timeoutSeconds':3,'failureThreshold':2},"
    "'startupProbe':{'httpGet':{'path':'/health/startup/','port':8000},'initialDelaySeconds':0,"
    "'periodSeconds':10,'timeoutSeconds':5,'failureThreshold':30},"
    "'securityContext':{'allowPrivilegeEscalation':false,'readOnlyRootFilesystem':true,"
    "'capabilities':{'drop':['ALL']}},"
    "'volumeMounts':[{'name':'tmp','mountPath':'/tmp'},{'name':'media','mountPath':'/app/media'},"
    "{'name':'static','mountPath':'/app/staticfiles'},{'name':'logs','mountPath':'/app/logs'}]}],"
    "'volumes':[{'name':'tmp','emptyDir':{}},{'name':'media','persistentVolumeClaim':{'claimName':'"
    "media-pvc'}},"
    "{'name':'static','emptyDir':{}},{'name':'logs','emptyDir':{}}]}}}}";

/* Runs every rule's check over doc; returns the findings (caller frees). */
static void run_all(const struct policy *p, const cJSON *doc, struct findings *f)
{
    struct check_ctx ctx;

    findings_init(f);
    ctx_build(&ctx, p, doc, f);
    for (size_t i = 0; i < RULE_COUNT; i++) {
        struct diag d;
        const struct rule *r = rules_get((enum rule_id)i);

        diag_clear(&d);
        assert_non_null(r->check);
        if (r->check(&ctx, r->id, &d) != 0)
            fail_msg("rule %s failed: %s", r->name, d.message);
    }
}

static void test_seed_compliant(void **state)
{
    struct policy p;
    struct findings f;
    cJSON *doc = parse_quoted(SEED);

    (void)state;
    policy_default(&p);
    run_all(&p, doc, &f);
    if (f.count)
        dump("seed", &f);
    assert_int_equal(f.count, 0);
    findings_free(&f);
    cJSON_Delete(doc);
}

/* The seed as a developer first writes it, without any hardening: every
 * rule the mutation would fix fires, and the ones it never fixes do not. */
static void test_bare_deployment(void **state)
{
    static const char bare[] =
        "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'django'},"
        "'spec':{'template':{'metadata':{'labels':{'component':'django'}},"
        "'spec':{'containers':[{'name':'django','image':'jewelry-shop/django:1.0.0'}]}}}}";
    static const enum rule_id fired[] = {
        RULE_REPLICAS_MINIMUM,           RULE_PROBE_LIVENESS_MISSING,
        RULE_PROBE_READINESS_MISSING,    RULE_PROBE_STARTUP_MISSING,
        RULE_RESOURCES_REQUESTS_MISSING, RULE_RESOURCES_LIMITS_MISSING,
        RULE_PSS_CAPABILITIES_DROP_ALL,  RULE_PSS_PRIVILEGE_ESCALATION,
        RULE_PSS_RUN_AS_NON_ROOT,        RULE_PSS_SECCOMP_PROFILE,
        RULE_READ_ONLY_ROOT_FILESYSTEM,  RULE_PROMETHEUS_ANNOTATIONS,
        RULE_POD_ANTI_AFFINITY,
    };
    bool want[RULE_COUNT] = {false};
    bool got[RULE_COUNT] = {false};
    struct policy p;
    struct findings f;
    cJSON *doc = parse_quoted(bare);

    (void)state;
    policy_default(&p);
    run_all(&p, doc, &f);
    for (size_t i = 0; i < sizeof(fired) / sizeof(fired[0]); i++)
        want[fired[i]] = true;
    for (size_t i = 0; i < f.count; i++) {
        got[f.items[i].rule] = true;
        check_message(&f.items[i]);
    }
    for (size_t i = 0; i < RULE_COUNT; i++)
        if (want[i] != got[i]) {
            dump("bare", &f);
            fail_msg("rule %s: expected %s", rules_get((enum rule_id)i)->name,
                     want[i] ? "a violation" : "none");
        }
    findings_free(&f);
    cJSON_Delete(doc);
}

/* Every rule against Deployments whose every field has the wrong type:
 * no failure, no crash, well-formed messages. */
static void test_hostile_sweep(void **state)
{
    static const char *const docs[] = {
        POD("'containers':[{}]"),
        "{'spec':{'replicas':[],'strategy':[],'template':{'metadata':[],'spec':{'containers':[{}]}}"
        "}}",
        "{'spec':{'replicas':'x','strategy':{'type':null,'rollingUpdate':{'maxUnavailable':{},'"
        "maxSurge':[]}},"
        "'template':{'metadata':{'annotations':'x'},'spec':{'containers':[{}]}}}}",
        POD("'securityContext':'x','affinity':7,'volumes':'x','hostNetwork':{},'hostPID':'',"
            "'initContainers':[{'name':1,'image':{},'env':7,'ports':'x','securityContext':[],"
            "'resources':'x'}],'ephemeralContainers':[[],{'securityContext':1}],"
            "'containers':[{'name':[],'image':1,'env':[1,[],{}],'ports':[1,{'hostPort':{}}],"
            "'securityContext':{'capabilities':'x','seccompProfile':[],'runAsUser':'root',"
            "'runAsNonRoot':0,'privileged':'no','allowPrivilegeEscalation':{},"
            "'readOnlyRootFilesystem':'yes'},'resources':{'requests':'x','limits':[]},"
            "'livenessProbe':[],'readinessProbe':'x','startupProbe':{'periodSeconds':{},"
            "'timeoutSeconds':[],'failureThreshold':'x','successThreshold':1e999,"
            "'initialDelaySeconds':-1e999}}]"),
        POD("'containers':[{'securityContext':{'capabilities':{'add':{},'drop':{}}},"
            "'resources':{'requests':{'cpu':'1e99999999999','memory':'-1'},"
            "'limits':{'cpu':'.','memory':'1Zi'}}}]"),
        POD("'containers':[{'name':'\xff\xfe\xc3','image':'\xe2\x82\xac:\xe2\x82\xac',"
            "'env':[{'name':'\xc3\x28PASSWORD','value':'\xff'}]}]"),
    };

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct policy p;
        struct findings f;
        cJSON *doc = parse_quoted(docs[i]);

        policy_default(&p);
        run_all(&p, doc, &f);
        assert_true(f.count > 0);
        for (size_t j = 0; j < f.count; j++)
            check_message(&f.items[j]);
        findings_free(&f);
        cJSON_Delete(doc);
    }
}

/* Deep nesting where an object is expected: reported as a wrong type. */
static void test_deep_nesting(void **state)
{
    enum { DEPTH = 500 };
    char *json = malloc(2 * DEPTH + 256);
    size_t n = 0;
    struct policy p;
    struct check_ctx ctx;
    struct findings f;
    struct diag d;
    cJSON *doc;

    (void)state;
    assert_non_null(json);
    n += (size_t)sprintf(json + n,
                         "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"django\","
                         "\"securityContext\":");
    for (int i = 0; i < DEPTH; i++)
        json[n++] = '[';
    for (int i = 0; i < DEPTH; i++)
        json[n++] = ']';
    n += (size_t)sprintf(json + n, "}]}}}}");
    doc = cJSON_Parse(json);
    free(json);
    assert_non_null(doc);
    policy_default(&p);
    findings_init(&f);
    ctx_build(&ctx, &p, doc, &f);
    assert_int_equal(check_privileged(&ctx, RULE_PSS_PRIVILEGED, &d), 0);
    assert_int_equal(f.count, 1);
    assert_string_equal(f.items[0].pointer, CP "/securityContext");
    findings_free(&f);
    cJSON_Delete(doc);
}

/* Huge lists: thousands of privileged containers stop at FINDINGS_MAX and
 * are counted as dropped; thousands of harmless env entries give none. */
static void test_huge_lists(void **state)
{
    enum { N = 3000 };
    cJSON *doc = parse_quoted(POD("'containers':[]"));
    cJSON *containers = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "spec"),
                                             "template"),
            "spec"),
        "containers");
    cJSON *env = cJSON_CreateArray();
    struct policy p;
    struct check_ctx ctx;
    struct findings f;
    struct diag d;

    (void)state;
    assert_non_null(env);
    for (int i = 0; i < N; i++) {
        char name[32];
        cJSON *c = cJSON_CreateObject();

        assert_non_null(c);
        snprintf(name, sizeof(name), "c%d", i);
        assert_non_null(cJSON_AddStringToObject(c, "name", name));
        assert_non_null(cJSON_AddObjectToObject(c, "securityContext"));
        assert_non_null(cJSON_AddTrueToObject(
            cJSON_GetObjectItemCaseSensitive(c, "securityContext"), "privileged"));
        assert_true(cJSON_AddItemToArray(containers, c));
        c = cJSON_CreateObject();
        assert_non_null(c);
        snprintf(name, sizeof(name), "SETTING_%d", i);
        assert_non_null(cJSON_AddStringToObject(c, "name", name));
        assert_non_null(cJSON_AddStringToObject(c, "value", "x"));
        assert_true(cJSON_AddItemToArray(env, c));
    }
    assert_true(cJSON_AddItemToObject(cJSON_GetArrayItem(containers, 0), "env", env));

    policy_default(&p);
    findings_init(&f);
    ctx_build(&ctx, &p, doc, &f);
    assert_int_equal(check_privileged(&ctx, RULE_PSS_PRIVILEGED, &d), 0);
    assert_int_equal(f.count, FINDINGS_MAX);
    assert_true(f.truncated);
    assert_int_equal(f.dropped, N - FINDINGS_MAX);
    assert_string_equal(f.items[FINDINGS_MAX - 1].pointer,
                        "/spec/template/spec/containers/1023/securityContext/privileged");
    assert_string_equal(f.items[FINDINGS_MAX - 1].container, "c1023");
    findings_free(&f);

    findings_init(&f);
    assert_int_equal(check_env_literal_secret(&ctx, RULE_ENV_LITERAL_SECRET, &d), 0);
    assert_int_equal(f.count, 0);
    findings_free(&f);
    cJSON_Delete(doc);
}

/* A check called for a rule that is not its own is an internal failure. */
static void test_wrong_rule_id(void **state)
{
    struct policy p;
    struct check_ctx ctx;
    struct findings f;
    struct diag d;
    cJSON *doc = parse_quoted(DJ(""));

    (void)state;
    policy_default(&p);
    findings_init(&f);
    ctx_build(&ctx, &p, doc, &f);
    diag_clear(&d);
    assert_int_equal(check_probe_missing(&ctx, RULE_IMAGE_TAG, &d), -1);
    assert_true(d.message[0] != '\0');
    assert_int_equal(check_probe_policy(&ctx, RULE_PROBE_LIVENESS_MISSING, &d), -1);
    assert_int_equal(f.count, 0);
    ctx.main_index = 5;
    assert_int_equal(check_image_tag(&ctx, RULE_IMAGE_TAG, &d), 0);
    assert_int_equal(check_requests_missing(&ctx, RULE_RESOURCES_REQUESTS_MISSING, &d), -1);
    findings_free(&f);
    cJSON_Delete(doc);
}

/* The rules table wires every row to the check of this module. */
static void test_table_wiring(void **state)
{
    (void)state;
    assert_ptr_equal(rules_get(RULE_REPLICAS_MINIMUM)->check, check_replicas);
    assert_ptr_equal(rules_get(RULE_PROBE_STARTUP_POLICY)->check, check_probe_policy);
    assert_ptr_equal(rules_get(RULE_IMAGE_TAG)->check, check_image_tag);
    for (size_t i = 0; i < RULE_COUNT; i++)
        assert_non_null(rules_get((enum rule_id)i)->check);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_sweep),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_huge_lists),
        cmocka_unit_test(test_wrong_rule_id),
        cmocka_unit_test(test_replicas),
        cmocka_unit_test(test_wording),
        cmocka_unit_test(test_wording_details),
        cmocka_unit_test(test_probe_missing),
        cmocka_unit_test(test_probe_policy),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_pod_security),
        cmocka_unit_test(test_annotations),
        cmocka_unit_test(test_strategy),
        cmocka_unit_test(test_anti_affinity),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_env_secret_not_echoed),
        cmocka_unit_test(test_image),
        cmocka_unit_test(test_seed_compliant),
        cmocka_unit_test(test_bare_deployment),
        cmocka_unit_test(test_table_wiring),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
