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
#include "jsonget.h"
#include "jsonprint.h"
#include "rules.h"
#include "text.h"

/* Longest uid echoed: the API server sends a UUID (36 bytes); anything much
 * longer is not from an API server, and refusing it keeps out->uid whole. */
#define UID_MAX (ADMISSION_FIELD_MAX - 1)

/* A denial message past this many bytes ends with a count of the violations
 * it leaves out: kubectl prints the message on one line. */
#define DENY_MESSAGE_MAX ((size_t)32 * 1024)

/* Warnings are cleaned into one arena. Storing stops when the arena or the
 * slots run out (far past what 4096 bytes can carry for warnings of any
 * real length); later ones are only counted, for the closing summary. */
#define WARN_ARENA (2 * ADMISSION_WARNINGS_TOTAL_MAX)
#define WARN_SLOTS (ADMISSION_WARNINGS_TOTAL_MAX / 4)

static const char API_V1[] = "admission.k8s.io/v1";
static const char API_V1BETA1[] = "admission.k8s.io/v1beta1";
static const char EXEMPT_NOTE[] = "exempted by " ENGINE_EXEMPT_ANNOTATION ": ";

/* The parts of the request the answer depends on; every pointer is a view
 * into the parsed body. */
struct envelope {
    const char *api_version;
    const char *uid;
    const char *operation;
    /* request.object; the mutating answer extends it in place (the parsed
     * body is ours and is deleted right after) */
    cJSON *object;
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

/* A growable output buffer: the response body, the patch text, the
 * denial message. Appends that would pass `max` (0 = no limit) are refused
 * and set `full`; a failed allocation sets `oom`; either way later appends
 * do nothing, so callers check once at the end. */
struct jbuf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
    bool full;
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
    size_t n = src ? strnlen(src, ADMISSION_FIELD_MAX - 1) : 0;

    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static const char *string_member(const cJSON *obj, const char *key)
{
    const cJSON *item = jsonget(obj, key);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Cleans text into a warning the API server accepts: valid UTF-8 (a byte
 * that starts no valid sequence becomes '?'), control characters (C0, DEL,
 * C1) as spaces, and at most ADMISSION_WARNING_MAX bytes — longer text is
 * cut on a character boundary and ends with "...". Bytes, not characters,
 * are counted, so the limit holds however the API server counts. Text is
 * fed in pieces; dst has room for ADMISSION_WARNING_MAX + 1 bytes. */
struct cleaner {
    char *dst;
    size_t len;
    /* where the text is cut if it turns out too long: the end of the last
     * character that still leaves room for "..." */
    size_t cut;
    bool done;
};

/* How many bytes from p[0..n) are printable ASCII (0x20-0x7E): eight at a
 * time while no byte of the word is 0x80 or above, below 0x20 or 0x7F (the
 * word tests have no false negatives), then byte by byte. */
static size_t printable_run(const unsigned char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;

    for (; n - i >= 8; i += 8) {
        uint64_t x, del;

        memcpy(&x, p + i, 8);
        del = x ^ (ones * 0x7F);
        if ((x & highs) || ((x - ones * 0x20) & ~x & highs) || ((del - ones) & ~del & highs))
            break;
    }
    while (i < n && (unsigned char)(p[i] - 0x20) < 0x5F)
        i++;
    return i;
}

static void clean_feed(struct cleaner *c, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t n = strlen(src), i = 0;

    while (i < n && !c->done) {
        const unsigned char *ch = s + i;
        unsigned char repl = 0;
        size_t k, outk, run = 0;
        size_t limit = n - i < ADMISSION_WARNING_MAX - c->len ? n - i : ADMISSION_WARNING_MAX - c->len;

        /* printable ASCII (0x20-0x7E), the common case, is copied in runs */
        run = printable_run(ch, limit);
        if (run) {
            /* every byte of the run ends a character */
            if (c->len < ADMISSION_WARNING_MAX - 3)
                c->cut = c->len + run < ADMISSION_WARNING_MAX - 3 ? c->len + run : ADMISSION_WARNING_MAX - 3;
            memcpy(c->dst + c->len, s + i, run);
            c->len += run;
            i += run;
            continue;
        }
        k = text_utf8_sequence((const char *)ch, n - i);
        if (!k) {
            repl = '?';
            k = 1;
        } else if (k == 1 && (ch[0] < 0x20 || ch[0] == 0x7F)) {
            repl = ' ';
        } else if (k == 2 && ch[0] == 0xC2 && ch[1] < 0xA0) {
            repl = ' ';
        }
        outk = repl ? 1 : k;
        if (c->len + outk > ADMISSION_WARNING_MAX) {
            memcpy(c->dst + c->cut, "...", 3);
            c->len = c->cut + 3;
            c->done = true;
            break;
        }
        if (repl)
            c->dst[c->len] = (char)repl;
        else
            memcpy(c->dst + c->len, ch, k);
        c->len += outk;
        if (c->len <= ADMISSION_WARNING_MAX - 3)
            c->cut = c->len;
        i += k;
    }
}

static void warnings_add(struct warnings *w, ...) __attribute__((sentinel));

/* Stores one warning made of the strings given (NULL ends the list),
 * cleaned; an empty one is dropped. */
static void warnings_add(struct warnings *w, ...)
{
    struct cleaner c = {w->arena + w->used, 0, 0, false};
    bool room = w->stored < WARN_SLOTS && WARN_ARENA - w->used >= ADMISSION_WARNING_MAX + 1;
    const char *part;
    bool empty = true;
    va_list ap;

    va_start(ap, w);
    while ((part = va_arg(ap, const char *))) {
        if (part[0])
            empty = false;
        if (room)
            clean_feed(&c, part);
    }
    va_end(ap);
    if (empty)
        return;
    w->total++;
    if (!room)
        return;
    c.dst[c.len] = '\0';
    w->off[w->stored] = (uint16_t)w->used;
    w->len[w->stored] = (uint16_t)c.len;
    w->stored++;
    w->used += c.len + 1;
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

/* Makes room for n more bytes and a NUL. */
static bool jb_reserve(struct jbuf *b, size_t n)
{
    size_t ncap;
    char *data;

    if (b->oom || b->full)
        return false;
    if (b->max && b->len + n > b->max) {
        b->full = true;
        return false;
    }
    if (b->cap - b->len > n)
        return true;
    ncap = b->cap ? b->cap : 512;
    while (ncap - b->len <= n) {
        if (ncap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        ncap *= 2;
    }
    data = realloc(b->data, ncap);
    if (!data) {
        b->oom = true;
        return false;
    }
    b->data = data;
    b->cap = ncap;
    return true;
}

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
    if (!jb_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

#define JB_LIT(b, lit) jb_put((b), (lit), sizeof(lit) - 1)

static void jb_str(struct jbuf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

static void jb_int(struct jbuf *b, long long v)
{
    char digits[TEXT_INT_SIZE];
    size_t n;
    const char *p = text_int(v, digits, &n);

    jb_put(b, p, n);
}

/* s as a JSON string, escaped exactly as cJSON prints it (so the body is
 * what cJSON_PrintUnformatted would give): written into the room there is,
 * and again once there is room for all of it. */
static void jb_json_string(struct jbuf *b, const char *s)
{
    size_t room, n;

    if (b->oom || b->full)
        return;
    room = b->cap - b->len;
    n = jsonprint_string(s, room ? b->data + b->len : NULL, room);
    if (n >= room) {
        if (!jb_reserve(b, n))
            return;
        jsonprint_string(s, b->data + b->len, b->cap - b->len);
    }
    b->len += n;
}

/* Hands the finished buffer to out as the body, after the closing "\n". */
static int jb_finish(struct jbuf *b, struct admission_outcome *out)
{
    JB_LIT(b, "\n");
    if (b->oom || b->full) {
        free(b->data);
        return -1;
    }
    free(out->body);
    out->body = b->data;
    out->body_len = b->len;
    return 0;
}

/* see admission.h */
int admission_error(int http_status, const char *message, struct admission_outcome *out)
{
    struct jbuf b = {0};

    free(out->body);
    out->body = NULL;
    out->body_len = 0;
    out->http_status = http_status;
    out->decision = DECISION_ERROR;
    JB_LIT(&b, "{\"code\":");
    jb_int(&b, http_status);
    JB_LIT(&b, ",\"error\":");
    jb_json_string(&b, message);
    JB_LIT(&b, "}");
    return jb_finish(&b, out);
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
            if (a->string && b->string && a->string[0] == b->string[0] &&
                strcmp(a->string, b->string) == 0)
                return a->string;
    return NULL;
}

/* Checks that the member `key` of request is absent, null or a string, and
 * sets *value to the string (NULL otherwise). */
static bool optional_string(const cJSON *request, const char *key, const char **value)
{
    const cJSON *item = jsonget(request, key);

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
        REJECT("body is not an AdmissionReview (expected a JSON object, got %s)", text_json_type(root));
    if ((dup = duplicate_key(root)))
        REJECT("body has the key \"%.64s\" twice", dup);
    api = string_member(root, "apiVersion");
    if (!api || (strcmp(api, API_V1) != 0 && strcmp(api, API_V1BETA1) != 0))
        REJECT("body is not an AdmissionReview (apiVersion must be %s or %s)", API_V1, API_V1BETA1);
    kind_name = string_member(root, "kind");
    if (!kind_name || strcmp(kind_name, "AdmissionReview") != 0)
        REJECT("kind must be AdmissionReview");
    request = jsonget(root, "request");
    if (!request || cJSON_IsNull(request))
        REJECT("request is missing");
    if (!cJSON_IsObject(request))
        REJECT("request is not an object (got %s)", text_json_type(request));
    if ((dup = duplicate_key(request)))
        REJECT("request has the key \"%.64s\" twice", dup);

    uid = jsonget(request, "uid");
    if (!cJSON_IsString(uid))
        REJECT("request.uid is missing or not a string");
    uid_len = strlen(uid->valuestring);
    if (uid_len == 0)
        REJECT("request.uid is empty");
    if (uid_len > UID_MAX)
        REJECT("request.uid is too long (%zu bytes, at most %d)", uid_len, UID_MAX);
    if (!text_utf8_valid(uid->valuestring, uid_len))
        REJECT("request.uid is not valid UTF-8");
    copy_field(out->uid, uid->valuestring);

    kind = jsonget(request, "kind");
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

    dry_run = jsonget(request, "dryRun");
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
    resource = jsonget(request, "resource");
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
    env->object = jsonget(request, "object");
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
    name = string_member(jsonget(object, "metadata"), "name");
    copy_field(out->name, name);
}

/* Writes the AdmissionReview answer: apiVersion, kind, response {uid,
 * allowed, patchType, patch, warnings, status}, in that order, compact, as
 * cJSON_PrintUnformatted would print it. patch_json (the ops as JSON text,
 * may be NULL), the warnings and message are borrowed. status_code 0 =
 * allowed. */
static int respond(struct admission_outcome *out, const struct envelope *env, const char *patch_json,
                   size_t patch_len, const struct warnings *w, int status_code, const char *reason,
                   const char *message)
{
    struct jbuf b = {0};
    size_t estimate = 256 + strlen(env->uid) + (message ? strlen(message) : 0);

    if (patch_json)
        estimate += (patch_len + 2) / 3 * 4;
    if (w)
        estimate += w->used + 8 * w->stored + 160;
    if (!jb_reserve(&b, estimate))
        return -1;
    JB_LIT(&b, "{\"apiVersion\":");
    jb_json_string(&b, env->api_version);
    JB_LIT(&b, ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    jb_json_string(&b, env->uid);
    if (status_code == 0)
        JB_LIT(&b, ",\"allowed\":true");
    else
        JB_LIT(&b, ",\"allowed\":false");
    if (patch_json) {
        size_t n = patch_len, room = (n + 2) / 3 * 4;
        int written;
        if (n > (size_t)INT_MAX / 4 * 3 - 3)
            goto fail;
        JB_LIT(&b, ",\"patchType\":\"JSONPatch\",\"patch\":\"");
        /* base64 straight into the body: its alphabet needs no escaping */
        if (!jb_reserve(&b, room))
            goto fail;
        written = EVP_EncodeBlock((unsigned char *)b.data + b.len, (const unsigned char *)patch_json,
                                  (int)n);
        if (written < 0)
            goto fail;
        b.len += (size_t)written;
        JB_LIT(&b, "\"");
    }
    if (w && w->total) {
        char summary[160];
        size_t shown;
        warnings_fit(w, &shown, summary, sizeof(summary));
        JB_LIT(&b, ",\"warnings\":[");
        for (size_t i = 0; i < shown; i++) {
            if (i)
                JB_LIT(&b, ",");
            jb_json_string(&b, w->arena + w->off[i]);
        }
        if (summary[0]) {
            if (shown)
                JB_LIT(&b, ",");
            jb_json_string(&b, summary);
        }
        JB_LIT(&b, "]");
    }
    if (status_code) {
        JB_LIT(&b, ",\"status\":{\"status\":\"Failure\",\"code\":");
        jb_int(&b, status_code);
        JB_LIT(&b, ",\"reason\":");
        jb_json_string(&b, reason);
        JB_LIT(&b, ",\"message\":");
        jb_json_string(&b, message);
        JB_LIT(&b, "}");
    }
    JB_LIT(&b, "}}");
    out->http_status = 200;
    return jb_finish(&b, out);
fail:
    free(b.data);
    return -1;
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

/* The mutating answer for a selected Deployment. */
static int review_mutate(const struct policy *p, const struct envelope *env,
                         struct admission_outcome *out)
{
    struct mutation m = {0};
    struct warnings *w = NULL;
    struct diag d;
    int rc = -1;

    diag_clear(&d);
    if (engine_mutate_in_place(p, env->object, &m, &d) < 0) {
        mutation_free(&m);
        return deny_malformed(out, env, &d);
    }
    out->decision = DECISION_ALLOWED;
    out->patch_ops = m.count;
    if (out->patch_ops == 0) {
        rc = respond(out, env, NULL, 0, NULL, 0, NULL, NULL);
        goto out;
    }
    w = malloc(sizeof(*w));
    if (!w)
        goto out;
    w->used = w->stored = w->total = 0;
    for (size_t i = 0; i < m.count; i++)
        warnings_add(w, "django-admission: ", m.summaries[i], (char *)NULL);
    rc = respond(out, env, m.ops_json, m.ops_json_len, w, 0, NULL, NULL);
out:
    free(w);
    mutation_free(&m);
    return rc;
}

/* Warnings for the validating answer: what the exemption annotation did,
 * then every warn-level violation as "[rule] container: message". */
static void collect_warnings(const struct findings *f, struct warnings *w)
{
    for (int id = 0; id < RULE_COUNT; id++)
        if (f->refused[id])
            warnings_add(w, "exemption of ", rules_get((enum rule_id)id)->name,
                         " refused: the policy does not allow exempting it", (char *)NULL);
    for (int id = 0; id < RULE_COUNT; id++)
        if (f->used[id])
            warnings_add(w, EXEMPT_NOTE, rules_get((enum rule_id)id)->name, (char *)NULL);
    if (f->unknown_exemptions) {
        char note[160];
        snprintf(note, sizeof(note), "%s names %zu unknown rule%s, ignored", ENGINE_EXEMPT_ANNOTATION,
                 f->unknown_exemptions, f->unknown_exemptions == 1 ? "" : "s");
        warnings_add(w, note, (char *)NULL);
    }
    for (size_t i = 0; i < f->count; i++) {
        const struct violation *v = &f->items[i];
        if (v->action != RULE_WARN)
            continue;
        warnings_add(w, "[", rules_get(v->rule)->name, "] ", v->container, v->container[0] ? ": " : "",
                     v->message, (char *)NULL);
    }
}

/* "django-admission denied Deployment shop/web: 2 violations: [rule]
 * container django: message (/pointer); ..." — every violation, enforce and
 * warn (those marked so), so one kubectl error shows all there is to fix.
 * Past DENY_MESSAGE_MAX it says how many it left out. */
static void deny_message(const struct findings *f, const char *what, const struct admission_outcome *out,
                         struct jbuf *t)
{
    size_t total = f->count + f->dropped, listed = 0;
    char count[64];

    /* room for the tail that counts what is left out */
    t->max = DENY_MESSAGE_MAX - 128;
    JB_LIT(t, "django-admission denied ");
    jb_str(t, what);
    JB_LIT(t, " ");
    if (out->namespace_[0] && out->name[0]) {
        jb_str(t, out->namespace_);
        JB_LIT(t, "/");
    }
    jb_str(t, out->name[0] ? out->name : "(unnamed)");
    snprintf(count, sizeof(count), ": %zu violation%s: ", total, total == 1 ? "" : "s");
    jb_str(t, count);
    for (size_t i = 0; i < f->count && !t->full; i++) {
        const struct violation *v = &f->items[i];
        size_t mark = t->len;
        if (i)
            JB_LIT(t, "; ");
        JB_LIT(t, "[");
        jb_str(t, rules_get(v->rule)->name);
        if (v->action == RULE_WARN)
            JB_LIT(t, " (warn)");
        JB_LIT(t, "] ");
        if (v->container[0]) {
            JB_LIT(t, "container ");
            jb_str(t, v->container);
            JB_LIT(t, ": ");
        }
        jb_str(t, v->message);
        if (v->pointer[0]) {
            JB_LIT(t, " (");
            jb_str(t, v->pointer);
            JB_LIT(t, ")");
        }
        if (t->full) {
            /* drop the partial entry; the tail counts it */
            t->len = mark;
            t->data[t->len] = '\0';
            break;
        }
        listed++;
    }
    if (listed < total) {
        t->full = false;
        t->max = DENY_MESSAGE_MAX;
        snprintf(count, sizeof(count), "; and %zu more not shown", total - listed);
        jb_str(t, count);
        JB_LIT(t, "; run django-admission check for the full list");
    }
}

/* The validating answer once the engine has filled out->findings: 403 when
 * an enforce rule failed, warnings either way. */
static int judge(const struct envelope *env, const char *what, struct admission_outcome *out)
{
    struct warnings *w = malloc(sizeof(*w));
    struct jbuf t = {0};
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
    if (t.oom || t.full || !t.data)
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
    return admission_review_flags(p, mode, body, len, 0, out);
}

/* see admission.h */
int admission_review_flags(const struct policy *p, enum admission_mode mode, const char *body,
                           size_t len, unsigned flags, struct admission_outcome *out)
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
    /* in an arena the tree goes with the arena, all at once */
    if (!(flags & ADMISSION_IN_ARENA))
        cJSON_Delete(root);
    return rc;
}
