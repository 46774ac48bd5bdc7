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
    /* 200 with an AdmissionReview body, or 400 with {"code":400,"error":"..."} */
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
 * returns 0, or -1 only when memory ran out (out->body may then be NULL).
 *
 * The answer, in the request's apiVersion (v1 or v1beta1):
 * - HTTP 400 {"code":400,"error":"..."} when the body is not a usable
 *   AdmissionReview: not JSON ("body is not valid JSON at byte N", N the
 *   0-based offset where parsing stopped), not an object, wrong apiVersion
 *   or kind, no request, request.uid missing, empty, not a string, not
 *   UTF-8 or longer than 255 bytes, a key twice in the envelope, a field
 *   of the wrong type, request.object not an object for a Deployment or
 *   Scale being created or updated.
 * - allowed, nothing else (DECISION_SKIPPED): operation other than CREATE
 *   or UPDATE, not an apps Deployment, a subresource other than scale, a
 *   Deployment or Scale the policy does not select, any Scale when
 *   mutating.
 * - mutate: allowed; when there is something to add, patchType JSONPatch,
 *   patch (base64, no newlines) and one warning per op
 *   ("django-admission: added ...").
 * - validate: denied with status 403 Forbidden listing every violation
 *   when an enforce rule fails; warnings for warn-level violations and for
 *   what the exemption annotation did (refused, used, unknown names).
 * - A Deployment or Scale the engine cannot read (no spec.template, empty
 *   containers, ...; engine -1) is denied in both modes, DECISION_DENIED,
 *   with status {"status":"Failure","code":400,"reason":"BadRequest",
 *   "message":"django-admission: <what> at <pointer>"}: the request itself
 *   was well formed (so HTTP 200, the API server shows the message to the
 *   user), and the API server's own validation would refuse such an object
 *   anyway, so allowing it unmutated would only delay the error.
 * Warnings are cleaned to valid UTF-8 without control characters, each cut
 * to ADMISSION_WARNING_MAX bytes on a character boundary (ending in "..."),
 * and all of them, with a closing "N more warnings not shown; ..." when some
 * are left out, add up to at most ADMISSION_WARNINGS_TOTAL_MAX bytes. */
int admission_review(const struct policy *p, enum admission_mode mode,
                     const char *body, size_t len, struct admission_outcome *out);

/* Flags for admission_review_flags. */
enum admission_flag {
    /* The caller releases every cJSON allocation the call makes, all at
     * once, when it returns: it runs the call inside a reqarena it entered
     * successfully (reqarena.h). The parsed request is then left to the
     * arena instead of being deleted node by node. Anywhere else this
     * leaks the request's tree. */
    ADMISSION_IN_ARENA = 1u << 0,
};

/* admission_review with flags (0 or ADMISSION_IN_ARENA); the answer, its
 * bytes and everything in *out are the same whatever the flags, and *out
 * is plain malloc memory either way. */
int admission_review_flags(const struct policy *p, enum admission_mode mode, const char *body,
                           size_t len, unsigned flags, struct admission_outcome *out);

/* Fills out (zeroed by the caller, or an outcome already filled, whose body
 * it replaces) with an HTTP error in the shape admission_review uses for
 * 400: {"code":<http_status>,"error":"<message>"} and "\n", decision
 * DECISION_ERROR; for the shells' own 405/413/415. message is borrowed.
 * 0, or -1 when memory ran out. */
int admission_error(int http_status, const char *message, struct admission_outcome *out);

void admission_outcome_free(struct admission_outcome *out);

const char *admission_decision_name(enum admission_decision d);

#endif
