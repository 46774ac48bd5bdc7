/* findings: the violations one object produced, plus the exemptions that
 * were used or refused. A growable list with a hard maximum; reaching it is
 * reported, never silently dropped. */
#ifndef DJANGO_ADMISSION_FINDINGS_H
#define DJANGO_ADMISSION_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "rules.h"

#define FINDINGS_MAX 1024
#define FINDING_CONTAINER_MAX 128
#define FINDING_MESSAGE_MAX 512

struct violation {
    enum rule_id rule;
    /* RULE_WARN or RULE_ENFORCE: the policy's action for the rule */
    enum rule_action action;
    /* container name, "" when the violation is about the pod or Deployment */
    char container[FINDING_CONTAINER_MAX];
    /* RFC 6901 pointer into the object: the offending value, or where the
     * missing one belongs */
    char pointer[DIAG_POINTER_MAX];
    /* what is wrong and what to write instead: lower case, no full stop */
    char message[FINDING_MESSAGE_MAX];
};

struct findings {
    struct violation *items;
    size_t count;
    size_t cap;
    /* true when FINDINGS_MAX was reached and later violations were not kept;
     * `dropped` counts them */
    bool truncated;
    size_t dropped;
    /* exemptions from the django-admission.io/exempt-rules annotation:
     * used[id] when the rule was exempted and had something to suppress,
     * refused[id] when the annotation named a rule the policy does not let
     * be exempted, unknown names are counted in unknown_exemptions */
    bool used[RULE_COUNT];
    bool refused[RULE_COUNT];
    size_t unknown_exemptions;
};

void findings_init(struct findings *f);
void findings_free(struct findings *f);

/* Appends a violation with action RULE_ENFORCE (the engine sets the
 * policy's action afterwards). container and pointer may be NULL. Returns 0,
 * or -1 only on allocation failure (d filled). Past FINDINGS_MAX it counts
 * the violation in `dropped` and returns 0. */
int findings_add(struct findings *f, enum rule_id rule, const char *container,
                 const char *pointer, struct diag *d, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Number of violations whose action is `action`. */
size_t findings_count_action(const struct findings *f, enum rule_action action);

#endif
