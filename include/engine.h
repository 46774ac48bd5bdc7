/* engine: the pure heart of django-admission. Given a policy and one object
 * it answers three questions — is this a Deployment the policy selects, what
 * must be added to it (an RFC 6902 patch), and what is still wrong with it
 * (violations). No I/O, no globals, no clock: every answer is a function of
 * the arguments.
 *
 * Structural errors (a Deployment without spec.template, containers that is
 * not a non-empty list of objects, ...) are input errors reported through
 * the diag with the JSON pointer, not violations. */
#ifndef DJANGO_ADMISSION_ENGINE_H
#define DJANGO_ADMISSION_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "findings.h"
#include "policy.h"

#define ENGINE_EXEMPT_ANNOTATION "django-admission.io/exempt-rules"

/* True when object (borrowed) is an apps/v1 Deployment whose metadata.labels
 * or spec.template.metadata.labels match the policy's selector. */
bool engine_selects(const struct policy *p, const cJSON *object);

struct mutation {
    /* the object with every op applied; caller frees (mutation_free); NULL
     * after engine_mutate_in_place */
    cJSON *result;
    /* RFC 6902 array, [] when nothing to add; caller frees (mutation_free);
     * NULL after engine_mutate_in_place */
    cJSON *ops;
    /* the same array as compact JSON text, byte for byte what
     * cJSON_PrintUnformatted(ops) gives, NUL-terminated; caller frees
     * (mutation_free) */
    char *ops_json;
    size_t ops_json_len;
    /* one human-readable line per op ("added livenessProbe (GET
     * /health/live/ :8000) to container django"); owned */
    char **summaries;
    size_t count;
};

/* Computes what the policy adds to the Deployment `object` (borrowed; must
 * be selected — the caller asks engine_selects first). Runs the mutate
 * function of every rule whose action is not off and that the object does
 * not exempt. Only adds, never overwrites; applying `ops` to `object` gives
 * `result`, and engine_mutate(result) gives no ops. 0, or -1 with d filled
 * (structural error with pointer, or allocation failure). */
int engine_mutate(const struct policy *p, const cJSON *object, struct mutation *out,
                  struct diag *d);

/* engine_mutate for a caller that owns the Deployment `object` and has no
 * further use for it as it was (admission, which parsed it), and wants the
 * ops only as text: the ops are applied to object itself instead of to a
 * copy, so afterwards object is what applying out->ops_json to it as it was
 * gives, and out->result and out->ops are NULL. Everything else is as for
 * engine_mutate: the same ops text, summaries and errors. On -1 a structural error leaves object as it was; a later
 * failure (allocation) may leave some additions in it. */
int engine_mutate_in_place(const struct policy *p, cJSON *object, struct mutation *out,
                           struct diag *d);

void mutation_free(struct mutation *m);

/* Appends to out (initialised by the caller) every violation of the
 * Deployment `object` (borrowed), each with the policy's action, after
 * exemptions; rules that are off are not run. 0, or -1 with d filled on a
 * structural error. */
int engine_validate(const struct policy *p, const cJSON *object, struct findings *out,
                    struct diag *d);

/* deployments/scale: judges an autoscaling/v1 Scale object (borrowed)
 * against the replica rule. *selected is set to whether the Scale's
 * status.selector names pods the policy selects; nothing is checked when it
 * does not. 0, or -1 with d filled on a malformed Scale. */
int engine_validate_scale(const struct policy *p, const cJSON *scale, bool *selected,
                          struct findings *out, struct diag *d);

#endif
