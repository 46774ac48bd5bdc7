/* policy: what "production-ready" means for a Django Deployment — the values
 * mutation adds, the bounds validation enforces, each rule's action, which
 * Deployments are Django, and which container is the main one.
 *
 * The built-in default is the seed's spec (DESIGN.md, "Default policy").
 * A policy document (JSON or YAML, already parsed into cJSON by the caller)
 * is layered on top of the default: every key is optional, unknown keys and
 * wrong types are errors. Reading files is the caller's job. */
#ifndef DJANGO_ADMISSION_POLICY_H
#define DJANGO_ADMISSION_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "quantity.h"
#include "rules.h"
#include "selector.h"

#define POLICY_STRING_MAX 256
#define POLICY_LIST_MAX 16

enum probe_kind { PROBE_LIVENESS = 0, PROBE_READINESS, PROBE_STARTUP, PROBE_COUNT };

/* inclusive range a probe field must lie in */
struct int_range {
    int min;
    int max;
};

struct probe_policy {
    /* httpGet path and port that mutation adds */
    char path[POLICY_STRING_MAX];
    int port;
    /* values mutation adds */
    int initial_delay_seconds;
    int period_seconds;
    int timeout_seconds;
    int success_threshold;
    int failure_threshold;
    /* ranges validation accepts; Kubernetes defaults (period 10, timeout 1,
     * success 1, failure 3, delay 0) stand in for absent fields */
    struct int_range initial_delay_range;
    struct int_range period_range;
    struct int_range timeout_range;
    struct int_range success_range;
    struct int_range failure_range;
};

/* one cpu/memory pair, each kept as the policy text and its parsed value */
struct resource_pair {
    char cpu_text[QUANTITY_TEXT_MAX + 1];
    struct quantity cpu;
    char memory_text[QUANTITY_TEXT_MAX + 1];
    struct quantity memory;
};

struct annotation {
    char key[POLICY_STRING_MAX];
    char value[POLICY_STRING_MAX];
};

struct rule_setting {
    enum rule_action action;
    bool exemptable;
};

struct policy {
    struct selector selector;
    /* name of the main container; the first container when none matches */
    char main_container[POLICY_STRING_MAX];

    struct rule_setting rules[RULE_COUNT];

    /* replicas: mutation adds `replicas`, validation rejects below minimum */
    int replicas;
    int replicas_minimum;

    struct probe_policy probes[PROBE_COUNT];

    /* resources of the main container */
    struct resource_pair requests;
    struct resource_pair limits;
    struct resource_pair limits_maximum;

    /* securityContext values mutation adds */
    long long run_as_user;
    /* seccompProfile.type added: "RuntimeDefault" */
    char seccomp_profile[POLICY_STRING_MAX];
    /* capabilities a container may add (restricted allows NET_BIND_SERVICE) */
    char allowed_capabilities[POLICY_LIST_MAX][POLICY_STRING_MAX];
    size_t allowed_capabilities_count;

    /* pod template annotations added when absent and required by
     * prometheus-annotations */
    struct annotation annotations[POLICY_LIST_MAX];
    size_t annotations_count;

    /* RollingUpdate values added; max_unavailable is also the highest value
     * validation accepts (an integer; percentages in objects are judged
     * against replicas) */
    int max_surge;
    int max_unavailable;

    /* preferred pod anti-affinity added when the pod has none */
    char anti_affinity_topology_key[POLICY_STRING_MAX];
    int anti_affinity_weight;

    /* env var names containing any of these (case-insensitive) must not
     * carry a literal `value` */
    char secret_env_patterns[POLICY_LIST_MAX][POLICY_STRING_MAX];
    size_t secret_env_patterns_count;
};

/* Fills p with the built-in default (DESIGN.md table). Cannot fail. */
void policy_default(struct policy *p);

/* Layers the policy document `doc` (borrowed) over whatever p holds (call
 * policy_default first). On error returns -1, leaves p unspecified, and
 * fills d with the key path as a JSON pointer ("/probes/liveness/timeoutSeconds")
 * and the reason: unknown key, wrong type, invalid quantity, value out of
 * range, probe timeout above its period, default below its own bound,
 * request above limit, unknown rule id or action. */
int policy_apply(struct policy *p, const cJSON *doc, struct diag *d);

/* The action in force for a rule. */
enum rule_action policy_action(const struct policy *p, enum rule_id id);

/* Renders the effective policy as a policy document (caller frees with
 * cJSON_Delete; NULL on allocation failure). Applying it to the default
 * gives back the same policy. */
cJSON *policy_to_json(const struct policy *p);

#endif
