/* rules: the table of every rule django-admission knows — its stable id,
 * area, default action, severity, whether an annotation may exempt it, what
 * it checks, and the functions that check and mutate for it.
 *
 * A new rule = one enum value, one row in rules.c, one check function (in
 * validate.c), optionally one mutate function (in mutate.c), and one folder
 * tests/rules/<id>/. Values (3 replicas, 500m, ...) live in the policy, not
 * here. */
#ifndef DJANGO_ADMISSION_RULES_H
#define DJANGO_ADMISSION_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"

struct policy;
struct findings;
struct patch;

enum rule_action {
    RULE_OFF = 0,
    RULE_WARN,
    RULE_ENFORCE,
};

enum rule_severity {
    SEVERITY_LOW = 0,
    SEVERITY_MEDIUM,
    SEVERITY_HIGH,
};

enum rule_id {
    RULE_REPLICAS_MINIMUM = 0,
    RULE_PROBE_LIVENESS_MISSING,
    RULE_PROBE_LIVENESS_POLICY,
    RULE_PROBE_READINESS_MISSING,
    RULE_PROBE_READINESS_POLICY,
    RULE_PROBE_STARTUP_MISSING,
    RULE_PROBE_STARTUP_POLICY,
    RULE_RESOURCES_REQUESTS_MISSING,
    RULE_RESOURCES_LIMITS_MISSING,
    RULE_RESOURCES_REQUESTS_ABOVE_LIMITS,
    RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM,
    RULE_PSS_PRIVILEGED,
    RULE_PSS_HOST_NAMESPACES,
    RULE_PSS_HOST_PATH,
    RULE_PSS_HOST_PORT,
    RULE_PSS_CAPABILITIES_ADD,
    RULE_PSS_CAPABILITIES_DROP_ALL,
    RULE_PSS_PRIVILEGE_ESCALATION,
    RULE_PSS_RUN_AS_NON_ROOT,
    RULE_PSS_RUN_AS_USER_ROOT,
    RULE_PSS_SECCOMP_PROFILE,
    RULE_READ_ONLY_ROOT_FILESYSTEM,
    RULE_PROMETHEUS_ANNOTATIONS,
    RULE_STRATEGY_MAX_UNAVAILABLE,
    RULE_POD_ANTI_AFFINITY,
    RULE_ENV_LITERAL_SECRET,
    RULE_IMAGE_TAG,
    RULE_COUNT
};

/* What a check function sees. All pointers are borrowed views into the
 * object under review; the check appends to `out` with findings_add. */
struct check_ctx {
    const struct policy *policy;
    /* the whole Deployment */
    const cJSON *object;
    /* object.spec.template.spec, known to be an object */
    const cJSON *pod_spec;
    /* object.spec.template.spec.containers, known to be a non-empty array
     * of objects; initContainers (if present) is known to be an array of
     * objects */
    const cJSON *containers;
    /* index of the main container in containers */
    size_t main_index;
    struct findings *out;
};

/* What a mutate function sees: the same views, but into the patch's working
 * copy, which it extends only through patch_add_member / patch_append. */
struct mutate_ctx {
    const struct policy *policy;
    cJSON *object;
    cJSON *pod_spec;
    cJSON *containers;
    size_t main_index;
    struct patch *patch;
};

/* Both return 0, or -1 with d filled on an internal failure (allocation,
 * pointer too long). A violation is not a failure. */
typedef int (*rule_check_fn)(const struct check_ctx *ctx, enum rule_id id,
                             struct diag *d);
typedef int (*rule_mutate_fn)(const struct mutate_ctx *ctx, struct diag *d);

struct rule {
    enum rule_id id;
    /* stable id, as used in policy files, exemption annotations, reports */
    const char *name;
    /* area it belongs to: replicas, probes, resources, security,
     * annotations, strategy, affinity, env, image */
    const char *area;
    enum rule_action default_action;
    enum rule_severity severity;
    /* default for whether django-admission.io/exempt-rules may exempt it */
    bool default_exemptable;
    /* one line: what the rule checks (README, SARIF rule description) */
    const char *summary;
    rule_check_fn check;
    /* NULL when the rule adds nothing */
    rule_mutate_fn mutate;
};

/* The row for id (borrowed, static). id must be < RULE_COUNT. */
const struct rule *rules_get(enum rule_id id);

/* Looks a rule up by its stable name. 0 and *id set, or -1. */
int rules_find(const char *name, size_t len, enum rule_id *id);

const char *rules_action_name(enum rule_action a);
const char *rules_severity_name(enum rule_severity s);
/* Parses "enforce" | "warn" | "off". 0 or -1. */
int rules_action_parse(const char *text, enum rule_action *out);

#endif
