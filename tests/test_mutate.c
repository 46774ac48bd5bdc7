/* Tests for mutate (through engine_mutate, which runs the mutate function of
 * every rule row in table order): one table entry per behaviour, input
 * object -> the exact ops, in order. Every entry is also checked three more
 * ways: applying the ops to the input with a tiny add-only applier gives the
 * result, mutating the result gives no ops (idempotence), and python3
 * jsonpatch (an independent implementation) applies every patch of the
 * table to the same result.
 *
 * JSON literals use ' for " to stay readable; no literal contains a real
 * apostrophe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "jsonptr.h"
#include "policy.h"
#include "quantity.h"
#include "rules.h"

#define PYTHON "/usr/bin/python3"

/* Parses a literal written with ' for ". */
static cJSON *parse_q(const char *text)
{
    size_t n = strlen(text);
    char *copy = malloc(n + 1);
    cJSON *j;

    assert_non_null(copy);
    for (size_t i = 0; i <= n; i++)
        copy[i] = text[i] == '\'' ? '"' : text[i];
    j = cJSON_Parse(copy);
    if (!j)
        fail_msg("test JSON does not parse: %s", copy);
    free(copy);
    return j;
}

static void set_quantity(char *text, struct quantity *q, const char *value)
{
    struct diag d;

    diag_clear(&d);
    snprintf(text, QUANTITY_TEXT_MAX + 1, "%s", value);
    assert_int_equal(quantity_parse(value, strlen(value), q, NULL, &d), 0);
}

static void set_probe(struct probe_policy *pp, const char *path, int delay, int period,
                      int timeout, int failure)
{
    snprintf(pp->path, sizeof(pp->path), "%s", path);
    pp->port = 8000;
    pp->initial_delay_seconds = delay;
    pp->period_seconds = period;
    pp->timeout_seconds = timeout;
    pp->success_threshold = 1;
    pp->failure_threshold = failure;
}

/* Whether name is an item of the comma-separated list. */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);

    while (*list) {
        const char *end = strchr(list, ',');
        size_t len = end ? (size_t)(end - list) : strlen(list);

        if (len == n && memcmp(list, name, n) == 0)
            return true;
        list += len + (end ? 1 : 0);
    }
    return false;
}

/* The default policy with every value these expectations spell out pinned
 * to the DESIGN.md table, so the table tests mutation, not the defaults.
 * `only`: comma-separated rule ids left at their default action, every
 * other rule off; NULL keeps every rule at its default. */
static void test_policy(struct policy *p, const char *only, const char *main_name)
{
    policy_default(p);
    snprintf(p->main_container, sizeof(p->main_container), "%s", main_name ? main_name : "django");
    p->replicas = 3;
    p->replicas_minimum = 3;
    set_probe(&p->probes[PROBE_LIVENESS], "/health/live/", 30, 10, 5, 3);
    set_probe(&p->probes[PROBE_READINESS], "/health/ready/", 15, 5, 3, 2);
    set_probe(&p->probes[PROBE_STARTUP], "/health/startup/", 0, 10, 5, 30);
    set_quantity(p->requests.cpu_text, &p->requests.cpu, "500m");
    set_quantity(p->requests.memory_text, &p->requests.memory, "512Mi");
    set_quantity(p->limits.cpu_text, &p->limits.cpu, "1000m");
    set_quantity(p->limits.memory_text, &p->limits.memory, "1Gi");
    p->run_as_user = 1000;
    snprintf(p->seccomp_profile, sizeof(p->seccomp_profile), "RuntimeDefault");
    p->annotations_count = 3;
    snprintf(p->annotations[0].key, sizeof(p->annotations[0].key), "prometheus.io/scrape");
    snprintf(p->annotations[0].value, sizeof(p->annotations[0].value), "true");
    snprintf(p->annotations[1].key, sizeof(p->annotations[1].key), "prometheus.io/port");
    snprintf(p->annotations[1].value, sizeof(p->annotations[1].value), "8000");
    snprintf(p->annotations[2].key, sizeof(p->annotations[2].key), "prometheus.io/path");
    snprintf(p->annotations[2].value, sizeof(p->annotations[2].value), "/metrics");
    p->max_surge = 1;
    p->max_unavailable = 0;
    snprintf(p->anti_affinity_topology_key, sizeof(p->anti_affinity_topology_key),
             "kubernetes.io/hostname");
    p->anti_affinity_weight = 100;
    for (size_t i = 0; i < RULE_COUNT; i++) {
        const struct rule *r = rules_get((enum rule_id)i);

        p->rules[i].action = (!only || listed(only, r->name)) ? r->default_action : RULE_OFF;
        p->rules[i].exemptable = r->default_exemptable;
    }
}

#define CONTAINERS "/spec/template/spec/containers"
#define C0 CONTAINERS "/0"
#define C1 CONTAINERS "/1"
#define POD "/spec/template/spec"

#define LIVE                                                                                  \
    "{'httpGet':{'path':'/health/live/','port':8000},'initialDelaySeconds':30,'periodSeconds':10," \
    "'timeoutSeconds':5,'successThreshold':1,'failureThreshold':3}"
#define READY                                                                                 \
    "{'httpGet':{'path':'/health/ready/','port':8000},'initialDelaySeconds':15,'periodSeconds':5," \
    "'timeoutSeconds':3,'successThreshold':1,'failureThreshold':2}"
#define START                                                                                 \
    "{'httpGet':{'path':'/health/startup/','port':8000},'initialDelaySeconds':0,"            \
    "'periodSeconds':10,'timeoutSeconds':5,'successThreshold':1,'failureThreshold':30}"
#define ANNOTATIONS "{'prometheus.io/scrape':'true','prometheus.io/port':'8000','prometheus.io/path':'/metrics'}"

/* A Deployment: metadata, selector and template labels fixed, the pod spec
 * given. */
#define DEPLOY(pod)                                                                           \
    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':"          \
    "{'component':'django'}},'spec':{'selector':{'matchLabels':{'app':'web'}},'template':"    \
    "{'metadata':{'labels':{'app':'web','component':'django'}},'spec':" pod "}}}"

#define OP(path, value) "{'op':'add','path':'" path "','value':" value "}"

#define SECURITY "pss-capabilities-drop-all,pss-privilege-escalation,pss-run-as-non-root," \
                 "pss-run-as-user-root,pss-seccomp-profile,read-only-root-filesystem"
#define PROBES "probe-liveness-missing,probe-readiness-missing,probe-startup-missing"
#define RESOURCES "resources-requests-missing,resources-limits-missing"

struct mutate_case {
    const char *name;
    /* rule ids left on (NULL: all at their default) */
    const char *only;
    /* policy main container (NULL: "django") */
    const char *main_name;
    const char *input;
    const char *ops;
};

static const struct mutate_case cases[] = {
    /* hostile shapes first: wrong types below the structural check are
     * left alone, never a crash or an overwrite */
    {"wrong types below the structure are left alone", NULL, NULL,
     "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'x'},'spec':{'replicas':'3',"
     "'strategy':'fast','selector':'app=web','template':{'metadata':{'annotations':{'prometheus.io/"
     "scrape':true,'prometheus.io/port':8000,'prometheus.io/path':null}},'spec':{'affinity':[],"
     "'securityContext':{'runAsNonRoot':'yes','runAsUser':'1000','seccompProfile':'default'},"
     "'containers':[{'name':'django','livenessProbe':{},'readinessProbe':{},'startupProbe':{},"
     "'resources':{'requests':'500m','limits':[]},'securityContext':{'capabilities':{'drop':'ALL'},"
     "'allowPrivilegeEscalation':'false','readOnlyRootFilesystem':null}}]}}}}",
     "[]"},
    {"capabilities not an object is left alone", "pss-capabilities-drop-all", NULL,
     DEPLOY("{'containers':[{'name':'django','securityContext':{'capabilities':'ALL'}}]}"), "[]"},
    {"non-ASCII container name and a name-less container", "pss-privilege-escalation", NULL,
     DEPLOY("{'containers':[{'name':'d\\u00e9j\\u00e0'},{'image':'x'}]}"),
     "[" OP(C0 "/securityContext", "{'allowPrivilegeEscalation':false}") ","
     OP(C1 "/securityContext", "{'allowPrivilegeEscalation':false}") "]"},

    {"a long non-ASCII name with a newline still gives short valid summaries",
     "probe-startup-missing", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
     "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\n",
     DEPLOY("{'containers':[{'name':'\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
            "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
            "\u00e9\\n'},{'name':'django'}]}"),
     "[" OP(C0 "/startupProbe", START) "]"},
    {"bare Deployment gets everything", NULL, NULL,
     DEPLOY("{'containers':[{'name':'django','image':'web:1.0'}]}"),
     "[" OP("/spec/replicas", "3") ","
     OP(C0 "/livenessProbe", LIVE) ","
     OP(C0 "/readinessProbe", READY) ","
     OP(C0 "/startupProbe", START) ","
     OP(C0 "/resources", "{'requests':{'cpu':'500m','memory':'512Mi'}}") ","
     OP(C0 "/resources/limits", "{'cpu':'1000m','memory':'1Gi'}") ","
     OP(C0 "/securityContext", "{'capabilities':{'drop':['ALL']}}") ","
     OP(C0 "/securityContext/allowPrivilegeEscalation", "false") ","
     OP(POD "/securityContext", "{'runAsNonRoot':true}") ","
     OP(POD "/securityContext/runAsUser", "1000") ","
     OP(POD "/securityContext/seccompProfile", "{'type':'RuntimeDefault'}") ","
     OP(C0 "/securityContext/readOnlyRootFilesystem", "true") ","
     OP(POD "/volumes", "[{'name':'tmp','emptyDir':{}}]") ","
     OP(C0 "/volumeMounts", "[{'name':'tmp','mountPath':'/tmp'}]") ","
     OP("/spec/template/metadata/annotations", ANNOTATIONS) ","
     OP("/spec/strategy", "{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1,'maxUnavailable':0}}") ","
     OP(POD "/affinity", "{'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':"
                         "[{'weight':100,'podAffinityTerm':{'labelSelector':{'matchLabels':"
                         "{'app':'web'}},'topologyKey':'kubernetes.io/hostname'}}]}}") "]"},
    {"every rule off adds nothing", "none", NULL,
     DEPLOY("{'containers':[{'name':'django','image':'web:1.0'}]}"), "[]"},
    {"replicas the user set are kept, even below the minimum", "replicas-minimum", NULL,
     "{'spec':{'replicas':1,'template':{'spec':{'containers':[{'name':'django'}]}}}}", "[]"},

    /* probes */
    {"existing probes of other handler types are left alone", PROBES, NULL,
     DEPLOY("{'containers':[{'name':'django','livenessProbe':{'exec':{'command':['true']}},"
            "'readinessProbe':{'tcpSocket':{'port':8000}},'startupProbe':{'grpc':{'port':9000}}}]}"),
     "[]"},
    {"an httpGet liveness probe is kept, the others added", PROBES, NULL,
     DEPLOY("{'containers':[{'name':'django','livenessProbe':{'httpGet':{'path':'/','port':80}}}]}"),
     "[" OP(C0 "/readinessProbe", READY) "," OP(C0 "/startupProbe", START) "]"},
    {"main container not first", "probe-liveness-missing", NULL,
     DEPLOY("{'containers':[{'name':'nginx'},{'name':'django'}]}"),
     "[" OP(C1 "/livenessProbe", LIVE) "]"},
    {"policy main container absent: the first container", "probe-liveness-missing", "api",
     DEPLOY("{'containers':[{'name':'nginx'},{'name':'django'}]}"),
     "[" OP(C0 "/livenessProbe", LIVE) "]"},
    {"several containers: only main gets probes and resources, all get hardening",
     "probe-liveness-missing,resources-requests-missing,pss-privilege-escalation", NULL,
     DEPLOY("{'containers':[{'name':'django'},{'name':'nginx'}]}"),
     "[" OP(C0 "/livenessProbe", LIVE) ","
     OP(C0 "/resources", "{'requests':{'cpu':'500m','memory':'512Mi'}}") ","
     OP(C0 "/securityContext", "{'allowPrivilegeEscalation':false}") ","
     OP(C1 "/securityContext", "{'allowPrivilegeEscalation':false}") "]"},

    /* resources */
    {"limits without requests: requests are the smaller of policy and limit", RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'limits':{'cpu':'250m','memory':'2Gi'}}}]}"),
     "[" OP(C0 "/resources/requests", "{'cpu':'250m','memory':'512Mi'}") "]"},
    {"numeric limits are copied as numbers", RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'limits':{'cpu':0.25,'memory':1e9}}}]}"),
     "[" OP(C0 "/resources/requests", "{'cpu':0.25,'memory':'512Mi'}") "]"},
    {"a limit that does not parse gets no request", RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'limits':{'cpu':'lots','memory':true}}}]}"),
     "[]"},
    {"a negative limit gets no request", RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'limits':{'cpu':'-1'}}}]}"),
     "[" OP(C0 "/resources/requests", "{'memory':'512Mi'}") ","
     OP(C0 "/resources/limits/memory", "'1Gi'") "]"},
    {"requests above the default limits: limits are the requests", RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'requests':{'cpu':2,'memory':'4Gi'}}}]}"),
     "[" OP(C0 "/resources/limits", "{'cpu':2,'memory':'4Gi'}") "]"},
    {"a request above the policy maximum gets no limit: any limit would be a violation",
     RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'requests':{'cpu':'6','memory':'2Gi'}}}]}"),
     "[" OP(C0 "/resources/limits", "{'memory':'2Gi'}") "]"},
    {"a request at the policy maximum is still copied as the limit", RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'requests':{'cpu':'4','memory':'4Gi'}}}]}"),
     "[" OP(C0 "/resources/limits", "{'cpu':'4','memory':'4Gi'}") "]"},
    {"a partial request is completed, limits from the policy", RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'requests':{'cpu':'100m'}}}]}"),
     "[" OP(C0 "/resources/requests/memory", "'512Mi'") ","
     OP(C0 "/resources/limits", "{'cpu':'1000m','memory':'1Gi'}") "]"},
    {"equal quantities in other spellings keep the policy text", RESOURCES, NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{'limits':{'cpu':'0.5'},"
            "'requests':{'memory':'1073741824'}}}]}"),
     "[" OP(C0 "/resources/requests/cpu", "'500m'") ","
     OP(C0 "/resources/limits/memory", "'1Gi'") "]"},
    {"empty resources, only the limits rule on", "resources-limits-missing", NULL,
     DEPLOY("{'containers':[{'name':'django','resources':{}}]}"),
     "[" OP(C0 "/resources/limits", "{'cpu':'1000m','memory':'1Gi'}") "]"},

    /* securityContext */
    {"no securityContext anywhere", SECURITY, NULL,
     DEPLOY("{'containers':[{'name':'django'}]}"),
     "[" OP(C0 "/securityContext", "{'capabilities':{'drop':['ALL']}}") ","
     OP(C0 "/securityContext/allowPrivilegeEscalation", "false") ","
     OP(POD "/securityContext", "{'runAsNonRoot':true}") ","
     OP(POD "/securityContext/runAsUser", "1000") ","
     OP(POD "/securityContext/seccompProfile", "{'type':'RuntimeDefault'}") ","
     OP(C0 "/securityContext/readOnlyRootFilesystem", "true") ","
     OP(POD "/volumes", "[{'name':'tmp','emptyDir':{}}]") ","
     OP(C0 "/volumeMounts", "[{'name':'tmp','mountPath':'/tmp'}]") "]"},
    {"partial pod-level securityContext gets only the missing fields", SECURITY, NULL,
     DEPLOY("{'securityContext':{'runAsUser':2000,'seccompProfile':{'type':'Localhost',"
            "'localhostProfile':'p.json'}},'containers':[{'name':'django','securityContext':"
            "{'capabilities':{'drop':['ALL']},'allowPrivilegeEscalation':true,"
            "'readOnlyRootFilesystem':false}}]}"),
     "[" OP(POD "/securityContext/runAsNonRoot", "true") "]"},
    {"a pod-level runAsNonRoot false is the user's", "pss-run-as-non-root", NULL,
     DEPLOY("{'securityContext':{'runAsNonRoot':false},'containers':[{'name':'django'}]}"), "[]"},
    {"partial container securityContext gets only the missing fields", SECURITY, NULL,
     DEPLOY("{'securityContext':{'runAsNonRoot':true,'runAsUser':1000,'seccompProfile':"
            "{'type':'RuntimeDefault'}},'containers':[{'name':'django','securityContext':"
            "{'runAsUser':1001,'capabilities':{'add':['NET_BIND_SERVICE']},"
            "'readOnlyRootFilesystem':false}}]}"),
     "[" OP(C0 "/securityContext/capabilities/drop", "['ALL']") ","
     OP(C0 "/securityContext/allowPrivilegeEscalation", "false") "]"},
    {"capabilities.drop without ALL gets ALL appended", "pss-capabilities-drop-all", NULL,
     DEPLOY("{'containers':[{'name':'django','securityContext':{'capabilities':{'drop':['NET_RAW']}}},"
            "{'name':'side','securityContext':{'capabilities':{'drop':['all']}}}]}"),
     "[" OP(C0 "/securityContext/capabilities/drop/-", "'ALL'") ","
     OP(C1 "/securityContext/capabilities/drop/-", "'ALL'") "]"},
    {"an empty drop list gets ALL appended", "pss-capabilities-drop-all", NULL,
     DEPLOY("{'containers':[{'name':'django','securityContext':{'capabilities':{'drop':[]}}}]}"),
     "[" OP(C0 "/securityContext/capabilities/drop/-", "'ALL'") "]"},
    {"privileged and CAP_SYS_ADMIN containers get no allowPrivilegeEscalation",
     "pss-privilege-escalation", NULL,
     DEPLOY("{'containers':[{'name':'django','securityContext':{'privileged':true}},"
            "{'name':'admin','securityContext':{'capabilities':{'add':['CAP_SYS_ADMIN']}}},"
            "{'name':'plain','securityContext':{'privileged':false}}]}"),
     "[" OP(CONTAINERS "/2/securityContext/allowPrivilegeEscalation", "false") "]"},
    {"init containers are hardened too, the volume added once", "pss-capabilities-drop-all,"
     "read-only-root-filesystem", NULL,
     DEPLOY("{'initContainers':[{'name':'wait-db'}],'containers':[{'name':'django'},{'name':'nginx'}]}"),
     "[" OP(C0 "/securityContext", "{'capabilities':{'drop':['ALL']}}") ","
     OP(C1 "/securityContext", "{'capabilities':{'drop':['ALL']}}") ","
     OP(POD "/initContainers/0/securityContext", "{'capabilities':{'drop':['ALL']}}") ","
     OP(C0 "/securityContext/readOnlyRootFilesystem", "true") ","
     OP(POD "/volumes", "[{'name':'tmp','emptyDir':{}}]") ","
     OP(C0 "/volumeMounts", "[{'name':'tmp','mountPath':'/tmp'}]") ","
     OP(C1 "/securityContext/readOnlyRootFilesystem", "true") ","
     OP(C1 "/volumeMounts", "[{'name':'tmp','mountPath':'/tmp'}]") ","
     OP(POD "/initContainers/0/securityContext/readOnlyRootFilesystem", "true") ","
     OP(POD "/initContainers/0/volumeMounts", "[{'name':'tmp','mountPath':'/tmp'}]") "]"},
    {"a Windows pod gets only runAsNonRoot", SECURITY, NULL,
     DEPLOY("{'os':{'name':'windows'},'containers':[{'name':'django'}]}"),
     "[" OP(POD "/securityContext", "{'runAsNonRoot':true}") "]"},

    /* read-only root filesystem and /tmp */
    {"an existing /tmp mount: no volume added", "read-only-root-filesystem", NULL,
     DEPLOY("{'volumes':[{'name':'scratch','emptyDir':{}}],'containers':[{'name':'django',"
            "'volumeMounts':[{'name':'scratch','mountPath':'/tmp/'}]}]}"),
     "[" OP(C0 "/securityContext", "{'readOnlyRootFilesystem':true}") "]"},
    {"a volume named tmp already present", "read-only-root-filesystem", NULL,
     DEPLOY("{'volumes':[{'name':'tmp','configMap':{'name':'conf'}}],'containers':[{'name':'django',"
            "'volumeMounts':[{'name':'tmp','mountPath':'/etc/conf'}]}]}"),
     "[" OP(C0 "/securityContext", "{'readOnlyRootFilesystem':true}") ","
     OP(POD "/volumes/-", "{'name':'django-admission-tmp','emptyDir':{}}") ","
     OP(C0 "/volumeMounts/-", "{'name':'django-admission-tmp','mountPath':'/tmp'}") "]"},
    {"tmp and django-admission-tmp both taken", "read-only-root-filesystem", NULL,
     DEPLOY("{'volumes':[{'name':'django-admission-tmp','emptyDir':{}},{'name':'tmp','emptyDir':{}},"
            "{'name':'django-admission-tmp-2'}],'containers':[{'name':'django'}]}"),
     "[" OP(C0 "/securityContext", "{'readOnlyRootFilesystem':true}") ","
     OP(POD "/volumes/-", "{'name':'django-admission-tmp-3','emptyDir':{}}") ","
     OP(C0 "/volumeMounts", "[{'name':'django-admission-tmp-3','mountPath':'/tmp'}]") "]"},
    {"readOnlyRootFilesystem the user set, even false, is kept", "read-only-root-filesystem", NULL,
     DEPLOY("{'containers':[{'name':'django','securityContext':{'readOnlyRootFilesystem':false}},"
            "{'name':'nginx','securityContext':{'readOnlyRootFilesystem':true}}]}"),
     "[]"},

    /* pod template annotations */
    {"existing annotations with ~ and / in keys", "prometheus-annotations", NULL,
     "{'spec':{'template':{'metadata':{'annotations':{'a~b/c':'x','prometheus.io/scrape':'false'}},"
     "'spec':{'containers':[{'name':'django'}]}}}}",
     "[" OP("/spec/template/metadata/annotations/prometheus.io~1port", "'8000'") ","
     OP("/spec/template/metadata/annotations/prometheus.io~1path", "'/metrics'") "]"},
    {"a template without metadata gets it whole", "prometheus-annotations", NULL,
     "{'spec':{'template':{'spec':{'containers':[{'name':'django'}]}}}}",
     "[" OP("/spec/template/metadata", "{'annotations':" ANNOTATIONS "}") "]"},
    {"template metadata without annotations", "prometheus-annotations", NULL,
     DEPLOY("{'containers':[{'name':'django'}]}"),
     "[" OP("/spec/template/metadata/annotations", ANNOTATIONS) "]"},

    /* strategy */
    {"maxSurge 0: no maxUnavailable 0 added", "strategy-max-unavailable", NULL,
     "{'spec':{'strategy':{'rollingUpdate':{'maxSurge':0}},'template':{'spec':{'containers':[{}]}}}}",
     "[]"},
    {"maxSurge 0%: no maxUnavailable 0 added", "strategy-max-unavailable", NULL,
     "{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'0%'}},"
     "'template':{'spec':{'containers':[{}]}}}}",
     "[]"},
    {"type only: rollingUpdate added whole", "strategy-max-unavailable", NULL,
     "{'spec':{'strategy':{'type':'RollingUpdate'},'template':{'spec':{'containers':[{}]}}}}",
     "[" OP("/spec/strategy/rollingUpdate", "{'maxSurge':1,'maxUnavailable':0}") "]"},
    {"maxUnavailable set: maxSurge added", "strategy-max-unavailable", NULL,
     "{'spec':{'strategy':{'rollingUpdate':{'maxUnavailable':'25%'}},'template':{'spec':"
     "{'containers':[{}]}}}}",
     "[" OP("/spec/strategy/rollingUpdate/maxSurge", "1") "]"},
    {"maxSurge 10%: maxUnavailable added", "strategy-max-unavailable", NULL,
     "{'spec':{'strategy':{'rollingUpdate':{'maxSurge':'10%'}},'template':{'spec':"
     "{'containers':[{}]}}}}",
     "[" OP("/spec/strategy/rollingUpdate/maxUnavailable", "0") "]"},
    {"Recreate is left alone", "strategy-max-unavailable", NULL,
     "{'spec':{'strategy':{'type':'Recreate'},'template':{'spec':{'containers':[{}]}}}}", "[]"},

    /* affinity */
    {"existing node affinity: pod anti-affinity added beside it", "pod-anti-affinity", NULL,
     DEPLOY("{'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
            "{'nodeSelectorTerms':[]}}},'containers':[{'name':'django'}]}"),
     "[" OP(POD "/affinity/podAntiAffinity", "{'preferredDuringSchedulingIgnoredDuringExecution':"
                "[{'weight':100,'podAffinityTerm':{'labelSelector':{'matchLabels':{'app':'web'}},"
                "'topologyKey':'kubernetes.io/hostname'}}]}") "]"},
    {"existing pod anti-affinity is left alone", "pod-anti-affinity", NULL,
     DEPLOY("{'affinity':{'podAntiAffinity':{}},'containers':[{'name':'django'}]}"), "[]"},
    {"no selector labels: template labels", "pod-anti-affinity", NULL,
     "{'spec':{'selector':{'matchExpressions':[{'key':'a','operator':'Exists'}]},'template':"
     "{'metadata':{'labels':{'a/b~c':'1'}},'spec':{'containers':[{}]}}}}",
     "[" OP(POD "/affinity", "{'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':"
                "[{'weight':100,'podAffinityTerm':{'labelSelector':{'matchLabels':{'a/b~c':'1'}},"
                "'topologyKey':'kubernetes.io/hostname'}}]}}") "]"},
    {"no labels at all: no anti-affinity", "pod-anti-affinity", NULL,
     "{'spec':{'selector':{'matchLabels':{}},'template':{'metadata':{},'spec':{'containers':[{}]}}}}",
     "[]"},
};

/* Applies add ops the way RFC 6902 does, written here without the patch
 * module: the parent must exist; an object member must not (mutation never
 * replaces); "-" appends; an index inserts. */
static cJSON *apply_adds(const cJSON *doc, const cJSON *ops)
{
    cJSON *out = cJSON_Duplicate(doc, true);
    const cJSON *op;

    assert_non_null(out);
    cJSON_ArrayForEach(op, ops) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(op, "path");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
        char parent_text[JSONPTR_MAX], token[JSONPTR_MAX];
        const char *slash;
        size_t n = 0;
        cJSON *parent, *copy;

        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "op")), "add");
        assert_true(cJSON_IsString(path));
        assert_non_null(value);
        slash = strrchr(path->valuestring, '/');
        assert_non_null(slash);
        snprintf(parent_text, sizeof(parent_text), "%.*s", (int)(slash - path->valuestring),
                 path->valuestring);
        for (const char *s = slash + 1; *s; s++) {
            if (s[0] == '~') {
                assert_true(s[1] == '0' || s[1] == '1');
                token[n++] = s[1] == '0' ? '~' : '/';
                s++;
            } else {
                token[n++] = *s;
            }
        }
        token[n] = '\0';
        parent = jsonptr_get(out, parent_text);
        if (!parent)
            fail_msg("op %s: no parent", path->valuestring);
        copy = cJSON_Duplicate(value, true);
        assert_non_null(copy);
        if (cJSON_IsObject(parent)) {
            if (cJSON_GetObjectItemCaseSensitive(parent, token))
                fail_msg("op %s overwrites", path->valuestring);
            assert_true(cJSON_AddItemToObject(parent, token, copy));
        } else if (cJSON_IsArray(parent) && strcmp(token, "-") == 0) {
            assert_true(cJSON_AddItemToArray(parent, copy));
        } else if (cJSON_IsArray(parent)) {
            assert_true(cJSON_InsertItemInArray(parent, atoi(token), copy));
        } else {
            fail_msg("op %s: parent is no container", path->valuestring);
        }
    }
    return out;
}

static void assert_same_json(const cJSON *got, const cJSON *want, const char *what,
                             const char *name)
{
    if (!cJSON_Compare(got, want, true)) {
        char *g = cJSON_PrintUnformatted(got);
        char *w = cJSON_PrintUnformatted(want);
        fprintf(stderr, "case \"%s\": %s differ\n got  %s\n want %s\n", name, what, g, w);
        cJSON_free(g);
        cJSON_free(w);
        fail();
    }
}

/* Well-formed UTF-8 (two- and three-byte sequences suffice here, longer
 * ones are checked for their continuation bytes) and no control bytes. */
static bool utf8_printable(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        size_t extra = *u < 0x80 ? 0 : (*u & 0xE0) == 0xC0 ? 1 : (*u & 0xF0) == 0xE0 ? 2
                     : (*u & 0xF8) == 0xF0 ? 3 : 99;
        if (extra == 99 || *u < 0x20 || *u == 0x7f)
            return false;
        for (size_t k = 1; k <= extra; k++)
            if ((u[k] & 0xC0) != 0x80)
                return false;
        u += extra + 1;
    }
    return true;
}

/* Runs one case; hands back the input and the mutation for the oracle. */
static void run_case(const struct mutate_case *c, cJSON **input_out, struct mutation *m_out)
{
    struct policy p;
    struct mutation m, again;
    struct diag d;
    cJSON *input = parse_q(c->input);
    cJSON *want = parse_q(c->ops);
    cJSON *applied;

    test_policy(&p, c->only, c->main_name);
    diag_clear(&d);
    if (engine_mutate(&p, input, &m, &d) != 0)
        fail_msg("case \"%s\": engine_mutate failed: %s at %s", c->name, d.message, d.pointer);
    assert_same_json(m.ops, want, "ops", c->name);

    /* one short summary per op, valid UTF-8 without control characters */
    assert_int_equal(m.count, (size_t)cJSON_GetArraySize(m.ops));
    for (size_t i = 0; i < m.count; i++) {
        size_t len = strlen(m.summaries[i]);
        if (len == 0 || len > 110)
            fail_msg("case \"%s\": summary %zu has %zu bytes: %s", c->name, i, len,
                     m.summaries[i]);
        if (!utf8_printable(m.summaries[i]))
            fail_msg("case \"%s\": summary %zu is not printable UTF-8", c->name, i);
    }

    applied = apply_adds(input, m.ops);
    assert_same_json(applied, m.result, "applied ops and result", c->name);
    cJSON_Delete(applied);

    /* the ops as text: what cJSON prints */
    {
        char *printed = cJSON_PrintUnformatted(m.ops);
        assert_non_null(printed);
        assert_non_null(m.ops_json);
        assert_string_equal(m.ops_json, printed);
        assert_int_equal(m.ops_json_len, strlen(printed));
        cJSON_free(printed);
    }

    /* in place: the same ops text and summaries, and the object becomes the
     * result */
    applied = cJSON_Duplicate(input, true);
    assert_non_null(applied);
    if (engine_mutate_in_place(&p, applied, &again, &d) != 0)
        fail_msg("case \"%s\": engine_mutate_in_place failed: %s", c->name, d.message);
    assert_null(again.result);
    assert_null(again.ops);
    assert_string_equal(again.ops_json, m.ops_json);
    assert_int_equal(again.ops_json_len, m.ops_json_len);
    assert_same_json(applied, m.result, "object mutated in place and result", c->name);
    assert_int_equal(again.count, m.count);
    for (size_t i = 0; i < m.count; i++)
        assert_string_equal(again.summaries[i], m.summaries[i]);
    mutation_free(&again);
    cJSON_Delete(applied);

    /* idempotence: the webhook on its own output adds nothing */
    if (engine_mutate(&p, m.result, &again, &d) != 0)
        fail_msg("case \"%s\": second engine_mutate failed: %s", c->name, d.message);
    if (cJSON_GetArraySize(again.ops) != 0 || again.count != 0) {
        char *ops = cJSON_PrintUnformatted(again.ops);
        fprintf(stderr, "case \"%s\": not idempotent, second pass adds %s\n", c->name, ops);
        cJSON_free(ops);
        fail();
    }
    mutation_free(&again);
    cJSON_Delete(want);
    if (input_out) {
        *input_out = input;
        *m_out = m;
    } else {
        cJSON_Delete(input);
        mutation_free(&m);
    }
}

static void test_case(void **state)
{
    run_case(*state, NULL, NULL);
}

/* The independent oracle: python3-jsonpatch applies every case's ops to its
 * input and must get our result, in one run for the whole table. */
static void test_python_jsonpatch(void **state)
{
    char path[] = "/tmp/test_mutate_XXXXXX";
    char cmd[512];
    int fd;
    FILE *f;

    (void)state;
    if (access(PYTHON, X_OK) != 0)
        skip();
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *input, *line;
        struct mutation m;
        char *text;

        run_case(&cases[i], &input, &m);
        line = cJSON_CreateObject();
        assert_non_null(line);
        assert_true(cJSON_AddItemToObject(line, "doc", input));
        assert_true(cJSON_AddItemToObject(line, "patch", m.ops));
        assert_true(cJSON_AddItemToObject(line, "result", m.result));
        m.ops = NULL;
        m.result = NULL;
        mutation_free(&m);
        text = cJSON_PrintUnformatted(line);
        assert_non_null(text);
        fprintf(f, "%s\n", text);
        cJSON_free(text);
        cJSON_Delete(line);
    }
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd),
             PYTHON " -c 'import sys, json, jsonpatch\n"
                    "n = 0\n"
                    "for line in open(sys.argv[1]):\n"
                    "    c = json.loads(line)\n"
                    "    got = jsonpatch.apply_patch(c[\"doc\"], c[\"patch\"])\n"
                    "    assert got == c[\"result\"], (n, got)\n"
                    "    n += 1\n"
                    "assert n > 0\n' %s",
             path);
    assert_int_equal(system(cmd), 0);
    unlink(path);
}

int main(void)
{
    struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 1];
    size_t n = 0;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tests[n].name = cases[i].name;
        tests[n].test_func = test_case;
        tests[n].setup_func = NULL;
        tests[n].teardown_func = NULL;
        tests[n].initial_state = (void *)&cases[i];
        n++;
    }
    tests[n].name = "python3 jsonpatch applies every patch to the same result";
    tests[n].test_func = test_python_jsonpatch;
    tests[n].setup_func = NULL;
    tests[n].teardown_func = NULL;
    tests[n].initial_state = NULL;
    n++;
    return _cmocka_run_group_tests("mutate", tests, n, NULL, NULL);
}
