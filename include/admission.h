/* admission: one AdmissionReview in, one response out — the function both
 * `serve` and `review` call, so their bytes are identical.
 *
 * Input: the request body bytes (not NUL-terminated). Output: the HTTP status
 * and body to send, plus the facts a shell logs and counts. Pure: no I/O. */
#ifndef DJANGO_ADMISSION_ADMISSION_H
#define DJANGO_ADMISSION_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>

#include "findings.h"
#include "policy.h"

/* what the API server limits response warnings to */
#define ADMISSION_WARNING_MAX 120
#define ADMISSION_WARNINGS_TOTAL_MAX 4096

enum admission_mode { ADMISSION_MUTATE, ADMISSION_VALIDATE };

enum admission_decision {
    /* allowed, nothing to judge (not a selected Deployment, not
     * CREATE/UPDATE, ...) */
    DECISION_SKIPPED = 0,
    /* allowed; for mutate: maybe with a patch; for validate: maybe warnings */
    DECISION_ALLOWED,
    /* validate: an enforce rule failed, 403 in response.status */
    DECISION_DENIED,
    /* the body was not a usable AdmissionReview: http_status is 4xx */
    DECISION_ERROR,
};

#define ADMISSION_FIELD_MAX 256

struct admission_outcome {
    /* 200 with an AdmissionReview body, or 400 with {"error": "..."} */
    int http_status;
    /* response body, NUL-terminated, ends with "\n"; caller frees via
     * admission_outcome_free */
    char *body;
    size_t body_len;

    enum admission_decision decision;
    /* from the request, "" when absent; for logs */
    char uid[ADMISSION_FIELD_MAX];
    char kind[ADMISSION_FIELD_MAX];
    char namespace_[ADMISSION_FIELD_MAX];
    char name[ADMISSION_FIELD_MAX];
    char operation[ADMISSION_FIELD_MAX];
    bool dry_run;
    /* number of patch operations sent (mutate) */
    size_t patch_ops;
    /* violations found (validate), after exemptions; for logs and metrics */
    struct findings findings;
};

/* Answers the AdmissionReview in body[0..len) as the mutating or validating
 * endpoint under policy p. Always fills *out (with 400 and a JSON error body
 * naming the problem when the body is malformed, lacks request.uid, ...);
 * returns 0, or -1 only when memory ran out (out->body may then be NULL). */
int admission_review(const struct policy *p, enum admission_mode mode,
                     const char *body, size_t len, struct admission_outcome *out);

void admission_outcome_free(struct admission_outcome *out);

const char *admission_decision_name(enum admission_decision d);

#endif
