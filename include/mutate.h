/* mutate: the mutate function of every rule that adds something (see
 * rules.h). Each looks at the patch's working copy through a struct
 * mutate_ctx and adds only what is absent, through patch_add_member and
 * patch_append, so the recorded ops are valid in order and never overwrite.
 * Pod-level securityContext gets the inheritable fields (runAsNonRoot,
 * runAsUser, seccompProfile); every container and init container gets the
 * container-only ones (allowPrivilegeEscalation, readOnlyRootFilesystem,
 * capabilities.drop ALL). */
#ifndef DJANGO_ADMISSION_MUTATE_H
#define DJANGO_ADMISSION_MUTATE_H

#include "rules.h"

int mutate_replicas(const struct mutate_ctx *ctx, struct diag *d);
int mutate_liveness_probe(const struct mutate_ctx *ctx, struct diag *d);
int mutate_readiness_probe(const struct mutate_ctx *ctx, struct diag *d);
int mutate_startup_probe(const struct mutate_ctx *ctx, struct diag *d);
/* requests no larger than limits the user set */
int mutate_requests(const struct mutate_ctx *ctx, struct diag *d);
/* limits no smaller than requests the user set */
int mutate_limits(const struct mutate_ctx *ctx, struct diag *d);
int mutate_drop_all(const struct mutate_ctx *ctx, struct diag *d);
int mutate_privilege_escalation(const struct mutate_ctx *ctx, struct diag *d);
int mutate_run_as_non_root(const struct mutate_ctx *ctx, struct diag *d);
int mutate_run_as_user(const struct mutate_ctx *ctx, struct diag *d);
int mutate_seccomp_profile(const struct mutate_ctx *ctx, struct diag *d);
/* also adds an emptyDir volume mounted at /tmp where none is mounted there */
int mutate_read_only_root_filesystem(const struct mutate_ctx *ctx, struct diag *d);
int mutate_prometheus_annotations(const struct mutate_ctx *ctx, struct diag *d);
int mutate_strategy(const struct mutate_ctx *ctx, struct diag *d);
int mutate_pod_anti_affinity(const struct mutate_ctx *ctx, struct diag *d);

#endif
