#include "admission.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "diag.h"
#include "engine.h"
#include "rules.h"

/* Longest uid echoed: the API server sends a UUID (36 bytes); anything much
 * longer is not from an API server, and refusing it keeps out->uid whole. */
#define UID_MAX (ADMISSION_FIELD_MAX - 1)

/* A denial message past this many bytes ends with a count of the violations
 * it leaves out: kubectl prints the message on one line. */
#define DENY_MESSAGE_MAX ((size_t)32 * 1024)

/* Warnings are cleaned into one arena; storing stops once the arena or the
 * slots run out, which is past the point where they could all be sent, so
 * the rest are only counted. */
#define WARN_ARENA (2 * ADMISSION_WARNINGS_TOTAL_MAX)
#define WARN_SLOTS (ADMISSION_WARNINGS_TOTAL_MAX / 4)
/* room one formatted warning gets before it is cleaned and cut to
 * ADMISSION_WARNING_MAX */
#define WARN_FORMAT_MAX 1024

static const char API_V1[] = "admission.k8s.io/v1";
static const char API_V1BETA1[] = "admission.k8s.io/v1beta1";
static const char EXEMPT_NOTE[] = "exempted by " ENGINE_EXEMPT_ANNOTATION ": ";

/* The parts of the request the answer depends on; every pointer is a view
 * into the parsed body. */
struct envelope {
    const char *api_version;
    const char *uid;
    const char *operation;
    const cJSON *object;
    /* request.kind is apps/Deployment */
    bool is_deployment;
    /* request.resource is apps/deployments with subResource "scale" */
    bool is_scale;
    /* request.subResource is present, non-empty and not "scale" */
    bool other_subresource;
};

struct warnings {
    /* cleaned warnings, each NUL-terminated */
    char arena[WARN_ARENA];
    size_t used;
    /* offset and length of each stored warning (the arena is smaller than
     * 64 KiB) */
    uint16_t off[WARN_SLOTS];
    uint16_t len[WARN_SLOTS];
    size_t stored;
    /* warnings produced, stored or only counted */
    size_t total;
};

/* A growable string with a hard maximum, for the denial message. */
struct text {
    char *data;
    size_t len;
    size_t cap;
    /* appends that would make len pass this are refused */
    size_t max;
    /* an append did not fit under max */
    bool full;
    /* allocation failed */
    bool oom;
};

/* see admission.h */
const char *admission_decision_name(enum admission_decision d)
{
    switch (d) {
    case DECISION_SKIPPED:
        return "skipped";
    case DECISION_ALLOWED:
        return "allowed";
    case DECISION_DENIED:
        return "denied";
    case DECISION_ERROR:
        return "error";
    }
    return "unknown";
}

/* see admission.h */
void admission_outcome_free(struct admission_outcome *out)
{
    if (!out)
        return;
    free(out->body);
    out->body = NULL;
    out->body_len = 0;
    findings_free(&out->findings);
}

static void copy_field(char dst[ADMISSION_FIELD_MAX], const char *src)
{
    snprintf(dst, ADMISSION_FIELD_MAX, "%s", src ? src : "");
}

static const char *type_name(const cJSON *item)
{
    if (cJSON_IsObject(item))
        return "object";
    if (cJSON_IsArray(item))
        return "array";
    if (cJSON_IsString(item))
        return "string";
    if (cJSON_IsNumber(item))
        return "number";
    if (cJSON_IsBool(item))
        return "boolean";
    return "null";
}

static const char *string_member(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Length of the UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

static bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        size_t k = utf8_sequence(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* Copies src into dst (room for ADMISSION_WARNING_MAX + 1 bytes) as one
 * warning the API server accepts: valid UTF-8 (a byte that starts no valid
 * sequence becomes '?'), control characters (C0, DEL, C1) as spaces, and at
 * most ADMISSION_WARNING_MAX bytes — longer text is cut on a character
 * boundary and ends with "...". Bytes, not characters, are counted, so the
 * limit holds however the API server counts. Returns the length. */
static size_t warning_clean(char *dst, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t n = strlen(src), i = 0, len = 0;
    /* where the text is cut if it turns out too long: the end of the last
     * character that still leaves room for "..." */
    size_t cut = 0;

    while (i < n) {
        size_t k = utf8_sequence(s + i, n - i);
        const unsigned char *ch = s + i;
        unsigned char repl = 0;

        if (!k) {
            repl = '?';
            k = 1;
        } else if (k == 1 && (ch[0] < 0x20 || ch[0] == 0x7F)) {
            repl = ' ';
        } else if (k == 2 && ch[0] == 0xC2 && ch[1] < 0xA0) {
            repl = ' ';
        }
        size_t outk = repl ? 1 : k;
        if (len + outk > ADMISSION_WARNING_MAX) {
            memcpy(dst + cut, "...", 3);
            dst[cut + 3] = '\0';
            return cut + 3;
        }
        if (repl)
            dst[len] = (char)repl;
        else
            memcpy(dst + len, ch, k);
        len += outk;
        if (len <= ADMISSION_WARNING_MAX - 3)
            cut = len;
        i += k;
    }
    dst[len] = '\0';
    return len;
}

static void warnings_add(struct warnings *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats, cleans and stores one warning; an empty one is dropped. */
static void warnings_add(struct warnings *w, const char *fmt, ...)
{
    char text[WARN_FORMAT_MAX];
    va_list ap;
    size_t len;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (!text[0])
        return;
    w->total++;
    if (w->stored == WARN_SLOTS || WARN_ARENA - w->used < ADMISSION_WARNING_MAX + 1)
        return;
    len = warning_clean(w->arena + w->used, text);
    w->off[w->stored] = (uint16_t)w->used;
    w->len[w->stored] = (uint16_t)len;
    w->stored++;
    w->used += len + 1;
}

static int summary_format(char *buf, size_t cap, size_t hidden)
{
    return snprintf(buf, cap, "%zu more warning%s not shown; run django-admission check for the full list",
                    hidden, hidden == 1 ? "" : "s");
}

/* Decides how many stored warnings are sent (*shown) and writes the summary
 * of the others into summary (empty when all are sent), so that the lengths
 * add up to at most ADMISSION_WARNINGS_TOTAL_MAX. */
static void warnings_fit(const struct warnings *w, size_t *shown, char *summary, size_t cap)
{
    size_t sum = 0, k;

    summary[0] = '\0';
    for (k = 0; k < w->stored; k++)
        sum += w->len[k];
    if (w->stored == w->total && sum <= ADMISSION_WARNINGS_TOTAL_MAX) {
        *shown = w->stored;
        return;
    }
    sum = 0;
    for (k = 0; k < w->stored; k++) {
        int slen = summary_format(NULL, 0, w->total - k - 1);
        if (slen < 0 || sum + w->len[k] + (size_t)slen > ADMISSION_WARNINGS_TOTAL_MAX)
            break;
        sum += w->len[k];
    }
    *shown = k;
    summary_format(summary, cap, w->total - k);
}

static void text_append(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends to t; sets t->full instead when the result would pass t->max
 * (the caller then says how much it left out). */
static void text_append(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->full || t->oom)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->oom = true;
        return;
    }
    if (t->len + (size_t)n > t->max) {
        t->full = true;
        return;
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap : 1024;
        char *data;
        while (ncap < t->len + (size_t)n + 1)
            ncap *= 2;
        data = realloc(t->data, ncap);
        if (!data) {
            t->oom = true;
            return;
        }
        t->data = data;
        t->cap = ncap;
    }
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Adds item to obj under the constant key; on failure frees item. */
static bool add(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return false;
    if (!cJSON_AddItemToObjectCS(obj, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

/* Prints root as the response body (compact JSON and "\n"). estimate is a
 * size that usually suffices, so the common case prints once into a buffer
 * of the right size with no reallocation. */
static int render(struct admission_outcome *out, const cJSON *root, size_t estimate)
{
    char *buf = estimate < INT_MAX / 2 ? malloc(estimate + 2) : NULL;
    char *printed;
    size_t n;

    if (buf && cJSON_PrintPreallocated((cJSON *)root, buf, (int)estimate, false)) {
        n = strlen(buf);
        buf[n] = '\n';
        buf[n + 1] = '\0';
        out->body = buf;
        out->body_len = n + 1;
        return 0;
    }
    free(buf);
    printed = cJSON_PrintUnformatted(root);
    if (!printed)
        return -1;
    n = strlen(printed);
    buf = malloc(n + 2);
    if (!buf) {
        cJSON_free(printed);
        return -1;
    }
    memcpy(buf, printed, n);
    cJSON_free(printed);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    out->body = buf;
    out->body_len = n + 1;
    return 0;
}

/* see admission.h */
int admission_error(int http_status, const char *message, struct admission_outcome *out)
{
    cJSON *root = cJSON_CreateObject();
    int rc = -1;

    free(out->body);
    out->body = NULL;
    out->body_len = 0;
    out->http_status = http_status;
    out->decision = DECISION_ERROR;
    if (!root)
        return -1;
    if (add(root, "code", cJSON_CreateNumber(http_status)) &&
        add(root, "error", cJSON_CreateStringReference(message)))
        rc = render(out, root, 64 + 2 * strlen(message));
    cJSON_Delete(root);
    return rc;
}

static int bad_request(struct admission_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad_request(struct admission_outcome *out, const char *fmt, ...)
{
    char message[DIAG_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    return admission_error(400, message, out);
}

/* The name of the first key that appears twice in obj, or NULL. Only the
 * envelope is checked: the API server never sends duplicates, and a body
 * that has them could mean one thing to us and another to a Go decoder
 * (which keeps the last). */
static const char *duplicate_key(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && strcmp(a->string, b->string) == 0)
                return a->string;
    return NULL;
}

/* Checks that the member `key` of request is absent, null or a string, and
 * sets *value to the string (NULL otherwise). */
static bool optional_string(const cJSON *request, const char *key, const char **value)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(request, key);

    *value = NULL;
    if (!item || cJSON_IsNull(item))
        return true;
    if (!cJSON_IsString(item))
        return false;
    *value = item->valuestring;
    return true;
}

/* AdmissionReview envelope accepted (as the API server sends it):
 *   { "apiVersion": "admission.k8s.io/v1" | "admission.k8s.io/v1beta1",
 *     "kind": "AdmissionReview",
 *     "request": { "uid": non-empty UTF-8 string of at most 255 bytes,
 *                  "kind": {"group": string?, "kind": string, ...},
 *                  "operation": string,
 *                  "resource": {"group": string?, "resource": string?}?,
 *                  "subResource": string?, "name": string?,
 *                  "namespace": string?, "dryRun": boolean?,
 *                  "object": any, ... }, ... }
 * with no key twice in the top level or the request; other members are
 * ignored. Fills env and the log fields of out; on a malformed envelope
 * answers 400 and returns 1. 0 when usable, -1 when memory ran out. */
static int read_envelope(const cJSON *root, struct envelope *env, struct admission_outcome *out)
{
    const cJSON *request, *kind, *resource, *uid, *dry_run;
    const char *api, *dup, *group, *kind_name, *name, *ns, *sub, *res_group, *res_name;
    size_t uid_len;

#define REJECT(...) return bad_request(out, __VA_ARGS__) < 0 ? -1 : 1
    if (!cJSON_IsObject(root))
        REJECT("body is not an AdmissionReview (expected a JSON object, got %s)", type_name(root));
    if ((dup = duplicate_key(root)))
        REJECT("body has the key \"%.64s\" twice", dup);
    api = string_member(root, "apiVersion");
    if (!api || (strcmp(api, API_V1) != 0 && strcmp(api, API_V1BETA1) != 0))
        REJECT("body is not an AdmissionReview (apiVersion must be %s or %s)", API_V1, API_V1BETA1);
    kind_name = string_member(root, "kind");
    if (!kind_name || strcmp(kind_name, "AdmissionReview") != 0)
        REJECT("kind must be AdmissionReview");
    request = cJSON_GetObjectItemCaseSensitive(root, "request");
    if (!request || cJSON_IsNull(request))
        REJECT("request is missing");
    if (!cJSON_IsObject(request))
        REJECT("request is not an object (got %s)", type_name(request));
    if ((dup = duplicate_key(request)))
        REJECT("request has the key \"%.64s\" twice", dup);

    uid = cJSON_GetObjectItemCaseSensitive(request, "uid");
    if (!cJSON_IsString(uid))
        REJECT("request.uid is missing or not a string");
    uid_len = strlen(uid->valuestring);
    if (uid_len == 0)
        REJECT("request.uid is empty");
    if (uid_len > UID_MAX)
        REJECT("request.uid is too long (%zu bytes, at most %d)", uid_len, UID_MAX);
    if (!utf8_valid(uid->valuestring, uid_len))
        REJECT("request.uid is not valid UTF-8");
    copy_field(out->uid, uid->valuestring);

    kind = cJSON_GetObjectItemCaseSensitive(request, "kind");
    if (!cJSON_IsObject(kind))
        REJECT("request.kind is missing or not an object");
    if (!optional_string(kind, "group", &group))
        REJECT("request.kind.group is not a string");
    kind_name = string_member(kind, "kind");
    if (!kind_name)
        REJECT("request.kind.kind is missing or not a string");
    copy_field(out->kind, kind_name);

    env->operation = string_member(request, "operation");
    if (!env->operation)
        REJECT("request.operation is missing or not a string");
    copy_field(out->operation, env->operation);

    dry_run = cJSON_GetObjectItemCaseSensitive(request, "dryRun");
    if (dry_run && !cJSON_IsNull(dry_run) && !cJSON_IsBool(dry_run))
        REJECT("request.dryRun is not a boolean");
    out->dry_run = cJSON_IsTrue(dry_run);

    if (!optional_string(request, "name", &name))
        REJECT("request.name is not a string");
    if (!optional_string(request, "namespace", &ns))
        REJECT("request.namespace is not a string");
    if (!optional_string(request, "subResource", &sub))
        REJECT("request.subResource is not a string");
    copy_field(out->name, name);
    copy_field(out->namespace_, ns);

    res_group = res_name = NULL;
    resource = cJSON_GetObjectItemCaseSensitive(request, "resource");
    if (resource && !cJSON_IsNull(resource)) {
        if (!cJSON_IsObject(resource))
            REJECT("request.resource is not an object");
        if (!optional_string(resource, "group", &res_group))
            REJECT("request.resource.group is not a string");
        if (!optional_string(resource, "resource", &res_name))
            REJECT("request.resource.resource is not a string");
    }
#undef REJECT

    env->api_version = api;
    env->uid = uid->valuestring;
    env->object = cJSON_GetObjectItemCaseSensitive(request, "object");
    env->is_deployment = group && strcmp(group, "apps") == 0 && strcmp(kind_name, "Deployment") == 0;
    env->is_scale = sub && strcmp(sub, "scale") == 0 && res_group && strcmp(res_group, "apps") == 0 &&
                    res_name && strcmp(res_name, "deployments") == 0;
    env->other_subresource = sub && sub[0] && !env->is_scale;
    return 0;
}

/* Fills out->name from object.metadata.name when the request had none (a
 * CREATE names the object only there). */
static void name_from_object(struct admission_outcome *out, const cJSON *object)
{
    const char *name;

    if (out->name[0])
        return;
    name = string_member(cJSON_GetObjectItemCaseSensitive(object, "metadata"), "name");
    copy_field(out->name, name);
}

/* Builds and prints the AdmissionReview answer. patch (base64, may be NULL),
 * the warnings and message are borrowed. status_code 0 = allowed. */
static int respond(struct admission_outcome *out, const struct envelope *env, const char *patch,
                   size_t patch_len, const struct warnings *w, int status_code, const char *reason,
                   const char *message)
{
    cJSON *root = cJSON_CreateObject(), *resp = NULL, *list, *status;
    char summary[160];
    size_t shown = 0, estimate = 256 + 2 * strlen(env->uid) + patch_len;
    int rc = -1;

    if (!root)
        return -1;
    if (!add(root, "apiVersion", cJSON_CreateStringReference(env->api_version)) ||
        !add(root, "kind", cJSON_CreateStringReference("AdmissionReview")) ||
        !add(root, "response", resp = cJSON_CreateObject()) ||
        !add(resp, "uid", cJSON_CreateStringReference(env->uid)) ||
        !add(resp, "allowed", cJSON_CreateBool(status_code == 0)))
        goto out;
    if (patch && (!add(resp, "patchType", cJSON_CreateStringReference("JSONPatch")) ||
                  !add(resp, "patch", cJSON_CreateStringReference(patch))))
        goto out;
    if (w && w->total) {
        warnings_fit(w, &shown, summary, sizeof(summary));
        if (!add(resp, "warnings", list = cJSON_CreateArray()))
            goto out;
        for (size_t i = 0; i < shown; i++) {
            cJSON *s = cJSON_CreateStringReference(w->arena + w->off[i]);
            if (!s || !cJSON_AddItemToArray(list, s)) {
                cJSON_Delete(s);
                goto out;
            }
            /* quotes and backslashes print as two bytes */
            estimate += 2 * w->len[i] + 4;
        }
        if (summary[0]) {
            cJSON *s = cJSON_CreateString(summary);
            if (!s || !cJSON_AddItemToArray(list, s)) {
                cJSON_Delete(s);
                goto out;
            }
            estimate += strlen(summary) + 4;
        }
    }
    if (status_code) {
        if (!add(resp, "status", status = cJSON_CreateObject()) ||
            !add(status, "status", cJSON_CreateStringReference("Failure")) ||
            !add(status, "code", cJSON_CreateNumber(status_code)) ||
            !add(status, "reason", cJSON_CreateStringReference(reason)) ||
            !add(status, "message", cJSON_CreateStringReference(message)))
            goto out;
        estimate += 2 * strlen(message);
    }
    out->http_status = 200;
    rc = render(out, root, estimate);
out:
    cJSON_Delete(root);
    return rc;
}

/* A Deployment (or Scale) the engine cannot read: the API server's own
 * validation would refuse it too, so it is denied with 400 in both modes
 * and the engine's message, which names the pointer. */
static int deny_malformed(struct admission_outcome *out, const struct envelope *env,
                          const struct diag *d)
{
    char where[DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 8];
    char message[sizeof(where) + 32];

    out->decision = DECISION_DENIED;
    snprintf(message, sizeof(message), "django-admission: %s", diag_format(d, where, sizeof(where)));
    return respond(out, env, NULL, 0, NULL, 400, "BadRequest", message);
}

static int base64_encode(const char *in, size_t n, char **out, size_t *out_len)
{
    size_t cap;
    int written;

    if (n > (size_t)INT_MAX / 4 * 3 - 3)
        return -1;
    cap = (n + 2) / 3 * 4 + 1;
    *out = malloc(cap);
    if (!*out)
        return -1;
    written = EVP_EncodeBlock((unsigned char *)*out, (const unsigned char *)in, (int)n);
    if (written < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    *out_len = (size_t)written;
    return 0;
}

/* The mutating answer for a selected Deployment. */
static int review_mutate(const struct policy *p, const struct envelope *env,
                         struct admission_outcome *out)
{
    struct mutation m = {0};
    struct warnings *w = NULL;
    struct diag d;
    char *ops_text = NULL, *patch = NULL;
    size_t patch_len = 0;
    int rc = -1;

    diag_clear(&d);
    if (engine_mutate(p, env->object, &m, &d) < 0) {
        mutation_free(&m);
        return deny_malformed(out, env, &d);
    }
    out->decision = DECISION_ALLOWED;
    out->patch_ops = (size_t)cJSON_GetArraySize(m.ops);
    if (out->patch_ops == 0) {
        rc = respond(out, env, NULL, 0, NULL, 0, NULL, NULL);
        goto out;
    }
    ops_text = cJSON_PrintUnformatted(m.ops);
    if (!ops_text || base64_encode(ops_text, strlen(ops_text), &patch, &patch_len) < 0)
        goto out;
    w = malloc(sizeof(*w));
    if (!w)
        goto out;
    w->used = w->stored = w->total = 0;
    for (size_t i = 0; i < m.count; i++)
        warnings_add(w, "django-admission: %s", m.summaries[i]);
    rc = respond(out, env, patch, patch_len, w, 0, NULL, NULL);
out:
    free(w);
    free(patch);
    cJSON_free(ops_text);
    mutation_free(&m);
    return rc;
}

/* Warnings for the validating answer: what the exemption annotation did,
 * then every warn-level violation. */
static void collect_warnings(const struct findings *f, struct warnings *w)
{
    for (int id = 0; id < RULE_COUNT; id++)
        if (f->refused[id])
            warnings_add(w, "exemption of %s refused: the policy does not allow exempting it",
                         rules_get((enum rule_id)id)->name);
    for (int id = 0; id < RULE_COUNT; id++)
        if (f->used[id])
            warnings_add(w, "%s%s", EXEMPT_NOTE, rules_get((enum rule_id)id)->name);
    if (f->unknown_exemptions)
        warnings_add(w, "%s names %zu unknown rule%s, ignored", ENGINE_EXEMPT_ANNOTATION,
                     f->unknown_exemptions, f->unknown_exemptions == 1 ? "" : "s");
    for (size_t i = 0; i < f->count; i++) {
        const struct violation *v = &f->items[i];
        if (v->action != RULE_WARN)
            continue;
        if (v->container[0])
            warnings_add(w, "[%s] %s: %s", rules_get(v->rule)->name, v->container, v->message);
        else
            warnings_add(w, "[%s] %s", rules_get(v->rule)->name, v->message);
    }
}

/* "django-admission denied Deployment shop/web: 2 violations: [rule]
 * container django: message (/pointer); ..." — every violation, enforce and
 * warn (those marked so), so one kubectl error shows all there is to fix. */
static void deny_message(const struct findings *f, const char *what, const struct admission_outcome *out,
                         struct text *t)
{
    size_t total = f->count + f->dropped, listed = 0;

    /* room for the tail that counts what is left out */
    t->max = DENY_MESSAGE_MAX - 128;
    text_append(t, "django-admission denied %s ", what);
    if (out->namespace_[0] && out->name[0])
        text_append(t, "%s/%s", out->namespace_, out->name);
    else if (out->name[0])
        text_append(t, "%s", out->name);
    else
        text_append(t, "(unnamed)");
    text_append(t, ": %zu violation%s: ", total, total == 1 ? "" : "s");
    for (size_t i = 0; i < f->count && !t->full; i++) {
        const struct violation *v = &f->items[i];
        size_t mark = t->len;
        text_append(t, "%s[%s%s] ", i ? "; " : "", rules_get(v->rule)->name,
                    v->action == RULE_WARN ? " (warn)" : "");
        if (v->container[0])
            text_append(t, "container %s: ", v->container);
        text_append(t, "%s", v->message);
        if (v->pointer[0])
            text_append(t, " (%s)", v->pointer);
        if (t->full) {
            /* drop the partial entry, keep room for the tail */
            t->len = mark;
            t->data[t->len] = '\0';
            break;
        }
        listed++;
    }
    if (listed < total) {
        t->full = false;
        t->max = DENY_MESSAGE_MAX;
        text_append(t, "; and %zu more not shown; run django-admission check for the full list",
                    total - listed);
    }
}

/* The validating answer once the engine has filled out->findings: 403 when
 * an enforce rule failed, warnings either way. */
static int judge(const struct envelope *env, const char *what, struct admission_outcome *out)
{
    struct warnings *w = malloc(sizeof(*w));
    struct text t = {0};
    int rc = -1;

    if (!w)
        return -1;
    w->used = w->stored = w->total = 0;
    collect_warnings(&out->findings, w);
    if (findings_count_action(&out->findings, RULE_ENFORCE) == 0) {
        out->decision = DECISION_ALLOWED;
        rc = respond(out, env, NULL, 0, w, 0, NULL, NULL);
        goto out;
    }
    out->decision = DECISION_DENIED;
    deny_message(&out->findings, what, out, &t);
    if (t.oom || !t.data)
        goto out;
    rc = respond(out, env, NULL, 0, w, 403, "Forbidden", t.data);
out:
    free(t.data);
    free(w);
    return rc;
}

static int review_validate(const struct policy *p, const struct envelope *env,
                           struct admission_outcome *out)
{
    struct diag d;

    diag_clear(&d);
    if (engine_validate(p, env->object, &out->findings, &d) < 0)
        return deny_malformed(out, env, &d);
    return judge(env, "Deployment", out);
}

/* deployments/scale: only the replica rule applies, and only when
 * validating (a Scale has nothing to add). */
static int review_scale(const struct policy *p, enum admission_mode mode, const struct envelope *env,
                        struct admission_outcome *out)
{
    struct diag d;
    bool selected = false;

    if (mode == ADMISSION_MUTATE)
        return respond(out, env, NULL, 0, NULL, 0, NULL, NULL);
    diag_clear(&d);
    if (engine_validate_scale(p, env->object, &selected, &out->findings, &d) < 0)
        return deny_malformed(out, env, &d);
    if (!selected)
        return respond(out, env, NULL, 0, NULL, 0, NULL, NULL);
    return judge(env, "scaling of Deployment", out);
}

/* see admission.h */
int admission_review(const struct policy *p, enum admission_mode mode, const char *body, size_t len,
                     struct admission_outcome *out)
{
    struct envelope env = {0};
    const char *end = NULL;
    cJSON *root;
    int rc;

    memset(out, 0, sizeof(*out));
    findings_init(&out->findings);
    out->decision = DECISION_SKIPPED;

    if (!body || len == 0)
        return bad_request(out, "body is empty");
    root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!root) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        return bad_request(out, "body is not valid JSON at byte %zu", at);
    }
    /* cJSON stops after the first value; anything but whitespace after it
     * is not JSON */
    while (end < body + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end < body + len) {
        rc = bad_request(out, "body is not valid JSON at byte %zu (data after the end of the document)",
                         (size_t)(end - body));
        goto out;
    }

    rc = read_envelope(root, &env, out);
    if (rc != 0) {
        rc = rc < 0 ? -1 : 0;
        goto out;
    }

    out->http_status = 200;
    if (strcmp(env.operation, "CREATE") != 0 && strcmp(env.operation, "UPDATE") != 0) {
        rc = respond(out, &env, NULL, 0, NULL, 0, NULL, NULL);
        goto out;
    }
    if (env.is_scale) {
        if (!cJSON_IsObject(env.object)) {
            rc = bad_request(out, "request.object is not an object");
            goto out;
        }
        rc = review_scale(p, mode, &env, out);
        goto out;
    }
    if (env.other_subresource || !env.is_deployment) {
        rc = respond(out, &env, NULL, 0, NULL, 0, NULL, NULL);
        goto out;
    }
    if (!cJSON_IsObject(env.object)) {
        rc = bad_request(out, "request.object is not an object");
        goto out;
    }
    name_from_object(out, env.object);
    if (!engine_selects(p, env.object)) {
        rc = respond(out, &env, NULL, 0, NULL, 0, NULL, NULL);
        goto out;
    }
    rc = mode == ADMISSION_VALIDATE ? review_validate(p, &env, out) : review_mutate(p, &env, out);
out:
    cJSON_Delete(root);
    return rc;
}
