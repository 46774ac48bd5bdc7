#include "rules.h"

#include <string.h>

#include "mutate.h"
#include "validate.h"

#define ROW(id_, name_, area_, action_, sev_, exempt_, summary_, check_, mutate_) \
    [id_] = {id_, name_, area_, action_, sev_, exempt_, summary_, check_, mutate_}

/* The order of the rows is the order mutations run and reports list rules. */
static const struct rule rule_table[RULE_COUNT] = {
    ROW(RULE_REPLICAS_MINIMUM, "replicas-minimum", "replicas", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "spec.replicas is at least the policy minimum (default 3) so one pod can fail without an outage",
        check_replicas, mutate_replicas),
    ROW(RULE_PROBE_LIVENESS_MISSING, "probe-liveness-missing", "probes", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "the main container has a livenessProbe, so a hung gunicorn worker is restarted",
        check_probe_missing, mutate_liveness_probe),
    ROW(RULE_PROBE_LIVENESS_POLICY, "probe-liveness-policy", "probes", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "livenessProbe timings lie within the policy ranges and timeoutSeconds does not exceed periodSeconds",
        check_probe_policy, NULL),
    ROW(RULE_PROBE_READINESS_MISSING, "probe-readiness-missing", "probes", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "the main container has a readinessProbe, so traffic only reaches pods that can serve it",
        check_probe_missing, mutate_readiness_probe),
    ROW(RULE_PROBE_READINESS_POLICY, "probe-readiness-policy", "probes", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "readinessProbe timings lie within the policy ranges and timeoutSeconds does not exceed periodSeconds",
        check_probe_policy, NULL),
    ROW(RULE_PROBE_STARTUP_MISSING, "probe-startup-missing", "probes", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "the main container has a startupProbe, so slow migrations and warm-up do not trip the liveness probe",
        check_probe_missing, mutate_startup_probe),
    ROW(RULE_PROBE_STARTUP_POLICY, "probe-startup-policy", "probes", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "startupProbe timings lie within the policy ranges and timeoutSeconds does not exceed periodSeconds",
        check_probe_policy, NULL),
    ROW(RULE_RESOURCES_REQUESTS_MISSING, "resources-requests-missing", "resources", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "the main container requests cpu and memory, so the scheduler reserves what it needs",
        check_requests_missing, mutate_requests),
    ROW(RULE_RESOURCES_LIMITS_MISSING, "resources-limits-missing", "resources", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "the main container limits cpu and memory, so a leak cannot starve its neighbours",
        check_limits_missing, mutate_limits),
    ROW(RULE_RESOURCES_REQUESTS_ABOVE_LIMITS, "resources-requests-above-limits", "resources", RULE_ENFORCE, SEVERITY_MEDIUM, false,
        "no request of the main container is above its limit",
        check_requests_above_limits, NULL),
    ROW(RULE_RESOURCES_LIMITS_ABOVE_MAXIMUM, "resources-limits-above-maximum", "resources", RULE_ENFORCE, SEVERITY_MEDIUM, false,
        "no limit of the main container is above the policy maximum",
        check_limits_above_maximum, NULL),
    ROW(RULE_PSS_PRIVILEGED, "pss-privileged", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "no container runs privileged (Pod Security Standards)",
        check_privileged, NULL),
    ROW(RULE_PSS_HOST_NAMESPACES, "pss-host-namespaces", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "the pod does not share the host's network, PID or IPC namespace",
        check_host_namespaces, NULL),
    ROW(RULE_PSS_HOST_PATH, "pss-host-path", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "the pod mounts no hostPath volume",
        check_host_path, NULL),
    ROW(RULE_PSS_HOST_PORT, "pss-host-port", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "no container port binds a hostPort",
        check_host_port, NULL),
    ROW(RULE_PSS_CAPABILITIES_ADD, "pss-capabilities-add", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "containers add no capability other than those the policy allows (NET_BIND_SERVICE)",
        check_capabilities_add, NULL),
    ROW(RULE_PSS_CAPABILITIES_DROP_ALL, "pss-capabilities-drop-all", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "every container drops ALL capabilities",
        check_capabilities_drop_all, mutate_drop_all),
    ROW(RULE_PSS_PRIVILEGE_ESCALATION, "pss-privilege-escalation", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "every container sets allowPrivilegeEscalation to false",
        check_privilege_escalation, mutate_privilege_escalation),
    ROW(RULE_PSS_RUN_AS_NON_ROOT, "pss-run-as-non-root", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "runAsNonRoot is true for every container, set on the pod or the container",
        check_run_as_non_root, mutate_run_as_non_root),
    ROW(RULE_PSS_RUN_AS_USER_ROOT, "pss-run-as-user-root", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "neither the pod nor any container sets runAsUser to 0",
        check_run_as_user_root, mutate_run_as_user),
    ROW(RULE_PSS_SECCOMP_PROFILE, "pss-seccomp-profile", "security", RULE_ENFORCE, SEVERITY_HIGH, false,
        "every container runs under seccompProfile RuntimeDefault or Localhost, set on the pod or the container",
        check_seccomp_profile, mutate_seccomp_profile),
    ROW(RULE_READ_ONLY_ROOT_FILESYSTEM, "read-only-root-filesystem", "security", RULE_WARN, SEVERITY_MEDIUM, true,
        "every container has readOnlyRootFilesystem true (an emptyDir at /tmp keeps Django and gunicorn working)",
        check_read_only_root_filesystem, mutate_read_only_root_filesystem),
    ROW(RULE_PROMETHEUS_ANNOTATIONS, "prometheus-annotations", "annotations", RULE_ENFORCE, SEVERITY_LOW, true,
        "the pod template carries the policy's Prometheus annotations with the policy's values",
        check_prometheus_annotations, mutate_prometheus_annotations),
    ROW(RULE_STRATEGY_MAX_UNAVAILABLE, "strategy-max-unavailable", "strategy", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "the Deployment rolls out with RollingUpdate and maxUnavailable no higher than the policy (default 0)",
        check_strategy_max_unavailable, mutate_strategy),
    ROW(RULE_POD_ANTI_AFFINITY, "pod-anti-affinity", "affinity", RULE_WARN, SEVERITY_LOW, true,
        "the pod prefers not to share a node (kubernetes.io/hostname) with its replicas",
        check_pod_anti_affinity, mutate_pod_anti_affinity),
    ROW(RULE_ENV_LITERAL_SECRET, "env-literal-secret", "env", RULE_ENFORCE, SEVERITY_HIGH, false,
        "no env var named like a secret (*PASSWORD*, *SECRET*, *TOKEN*, *API_KEY*) carries a literal value",
        check_env_literal_secret, NULL),
    ROW(RULE_IMAGE_TAG, "image-tag", "image", RULE_ENFORCE, SEVERITY_MEDIUM, true,
        "every image names a tag other than latest, or a digest",
        check_image_tag, NULL),
};

/* see rules.h */
const struct rule *rules_get(enum rule_id id)
{
    return &rule_table[id];
}

/* see rules.h */
int rules_find(const char *name, size_t len, enum rule_id *id)
{
    for (size_t i = 0; i < RULE_COUNT; i++) {
        const char *n = rule_table[i].name;
        if (strlen(n) == len && memcmp(n, name, len) == 0) {
            *id = (enum rule_id)i;
            return 0;
        }
    }
    return -1;
}

/* see rules.h */
const char *rules_action_name(enum rule_action a)
{
    switch (a) {
    case RULE_OFF:
        return "off";
    case RULE_WARN:
        return "warn";
    case RULE_ENFORCE:
        return "enforce";
    }
    return "off";
}

/* see rules.h */
const char *rules_severity_name(enum rule_severity s)
{
    switch (s) {
    case SEVERITY_LOW:
        return "low";
    case SEVERITY_MEDIUM:
        return "medium";
    case SEVERITY_HIGH:
        return "high";
    }
    return "low";
}

/* see rules.h */
int rules_action_parse(const char *text, enum rule_action *out)
{
    if (strcmp(text, "enforce") == 0)
        *out = RULE_ENFORCE;
    else if (strcmp(text, "warn") == 0)
        *out = RULE_WARN;
    else if (strcmp(text, "off") == 0)
        *out = RULE_OFF;
    else
        return -1;
    return 0;
}
