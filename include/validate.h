/* validate: the check function of every rule (see rules.h for the table
 * that names them). Each reads the object through a struct check_ctx and
 * appends violations with findings_add; the engine decides which rules run
 * and applies actions and exemptions. Kubernetes defaults stand in for
 * absent fields (probe period 10, timeout 1, success 1, failure 3, delay 0;
 * maxUnavailable 25%). */
#ifndef DJANGO_ADMISSION_VALIDATE_H
#define DJANGO_ADMISSION_VALIDATE_H

#include "rules.h"

int check_replicas(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
/* id says which probe: RULE_PROBE_{LIVENESS,READINESS,STARTUP}_MISSING */
int check_probe_missing(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
/* id: RULE_PROBE_{LIVENESS,READINESS,STARTUP}_POLICY */
int check_probe_policy(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_requests_missing(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_limits_missing(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_requests_above_limits(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_limits_above_maximum(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_privileged(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_host_namespaces(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_host_path(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_host_port(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_capabilities_add(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_capabilities_drop_all(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_privilege_escalation(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_run_as_non_root(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_run_as_user_root(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_seccomp_profile(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_read_only_root_filesystem(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_prometheus_annotations(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_strategy_max_unavailable(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_pod_anti_affinity(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_env_literal_secret(const struct check_ctx *ctx, enum rule_id id, struct diag *d);
int check_image_tag(const struct check_ctx *ctx, enum rule_id id, struct diag *d);

#endif
