#include "validate.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "findings.h"
#include "jsonptr.h"
#include "policy.h"
#include "quantity.h"
#include "text.h"

#define POD_SPEC_POINTER "/spec/template/spec"
/* longest piece of user text (names, images, values) quoted in a message */
#define QUOTE_MAX TEXT_QUOTE_MAX
#define QUOTE_BUF TEXT_CLIP_SIZE(QUOTE_MAX)

/* One running check: the context, the rule it reports for, the diag. */
struct check {
    const struct check_ctx *ctx;
    enum rule_id id;
    struct diag *d;
};

/* ---------------------------------------------------------------- JSON */

/* The value of key in obj, or NULL when obj is not an object, the key is
 * absent, or its value is null (Kubernetes decodes null into an unset
 * field). With duplicate keys the last one wins, as in Go's encoding/json,
 * which is what the API server would store. Borrowed from obj. */
static const cJSON *field(const cJSON *obj, const char *key)
{
    const cJSON *found = NULL;

    if (!cJSON_IsObject(obj))
        return NULL;
    for (const cJSON *it = obj->child; it; it = it->next)
        if (it->string && strcmp(it->string, key) == 0)
            found = it;
    if (found && cJSON_IsNull(found))
        return NULL;
    return found;
}

/* The restricted profile's capability, privilege-escalation and seccomp
 * controls are Linux-only since Kubernetes 1.25, and the API server refuses
 * those fields (and readOnlyRootFilesystem) on a pod whose spec.os.name is
 * windows: demanding them there would deny every Windows Deployment. */
static bool pod_is_windows(const struct check_ctx *ctx)
{
    const cJSON *name = field(field(ctx->pod_spec, "os"), "name");

    return cJSON_IsString(name) && strcmp(name->valuestring, "windows") == 0;
}

/* True when v is a JSON number holding a whole value that fits an int32
 * (replicas, probe fields, ports: int32 in the Kubernetes API). */
static bool as_int32(const cJSON *v, int *out)
{
    double x;

    if (!cJSON_IsNumber(v))
        return false;
    x = v->valuedouble;
    if (!(x >= (double)INT32_MIN && x <= (double)INT32_MAX))
        return false;
    if ((double)(long long)x != x)
        return false;
    *out = (int)x;
    return true;
}

/* Same for int64 fields (runAsUser). */
static bool as_int64(const cJSON *v, long long *out)
{
    double x;

    if (!cJSON_IsNumber(v))
        return false;
    x = v->valuedouble;
    /* 2^63 is exactly representable; anything at or beyond it is not int64 */
    if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0))
        return false;
    if ((double)(long long)x != x)
        return false;
    *out = (long long)x;
    return true;
}

/* Shortest text that reads back as the same double ("0.5", "1e+30"). */
static const char *number_text(double x, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, cap, "%.17g", x);
    return buf;
}

/* User text for a message, between double quotes: clipped to QUOTE_MAX
 * bytes (see text_clip), and '"' written as '\'' so the quotes stay
 * unambiguous. buf holds QUOTE_BUF. */
static const char *quote(const char *s, char *buf)
{
    text_clip(s, strlen(s), QUOTE_MAX, buf, QUOTE_BUF);
    for (char *p = buf; *p; p++)
        if (*p == '"')
            *p = '\'';
    return buf;
}

/* ------------------------------------------------------------- pointers */

/* out = base followed by each key (NULL-terminated list), escaped. */
static int ptr_join(struct jsonptr *out, const struct jsonptr *base, struct diag *d, ...)
    __attribute__((sentinel));

static int ptr_join(struct jsonptr *out, const struct jsonptr *base, struct diag *d, ...)
{
    va_list ap;
    const char *key;
    int rc = 0;

    *out = *base;
    va_start(ap, d);
    while ((key = va_arg(ap, const char *)) != NULL) {
        if (jsonptr_push_key(out, key) != 0) {
            rc = diag_set(d, base->text, "json pointer below %s is longer than %d bytes",
                          base->text, JSONPTR_MAX - 1);
            break;
        }
    }
    va_end(ap);
    return rc;
}

static int ptr_index(struct jsonptr *out, const struct jsonptr *base, size_t index, struct diag *d)
{
    *out = *base;
    if (jsonptr_push_index(out, index) != 0)
        return diag_set(d, base->text, "json pointer below %s is longer than %d bytes", base->text,
                        JSONPTR_MAX - 1);
    return 0;
}

static int ptr_text(struct jsonptr *out, const char *text, struct diag *d)
{
    if (jsonptr_set(out, text) != 0)
        return diag_set(d, NULL, "json pointer longer than %d bytes", JSONPTR_MAX - 1);
    return 0;
}

/* ------------------------------------------------------------ reporting */

static int report(const struct check *k, const char *container, const struct jsonptr *p,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int report(const struct check *k, const char *container, const struct jsonptr *p,
                  const char *fmt, ...)
{
    char msg[FINDING_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return findings_add(k->ctx->out, k->id, container ? container : "", p ? p->text : "", k->d,
                        "%s", msg);
}

/* Reads the member `key` of parent (at parent_ptr) that must be of type
 * `want` (cJSON_Object or cJSON_Array). Returns 1 with *out set (NULL when
 * absent or null), 0 when it has another type (reported as a violation
 * naming `shown`, the field as a developer writes it), -1 on failure. */
static int typed_member(const struct check *k, const char *container,
                        const struct jsonptr *parent_ptr, const cJSON *parent, const char *key,
                        int want, const char *shown, const cJSON **out)
{
    const cJSON *v = field(parent, key);
    struct jsonptr p;

    *out = NULL;
    if (!v)
        return 1;
    if ((want == cJSON_Object && cJSON_IsObject(v)) || (want == cJSON_Array && cJSON_IsArray(v))) {
        *out = v;
        return 1;
    }
    if (ptr_join(&p, parent_ptr, k->d, key, NULL) != 0)
        return -1;
    if (report(k, container, &p, "%s is %s, expected %s", shown, text_json_type_article(v),
               want == cJSON_Object ? "an object" : "a list") != 0)
        return -1;
    return 0;
}

/* What a check does with one entry of a list: the entry, its index and its
 * pointer p. 0, or -1 on failure. */
typedef int (*entry_fn)(const struct check *k, const char *container, const cJSON *entry,
                        size_t index, const struct jsonptr *p, const void *arg);

/* Calls fn for each entry of the list `key` of parent (at parent_ptr), with
 * the entry's pointer built. A member of another type is reported (see
 * typed_member). When object_note is not NULL each entry must be an object:
 * another is reported as "<key> entry N is <type>, expected an
 * object<object_note>" and not passed to fn. 0 or -1. */
static int each_entry(const struct check *k, const char *container,
                      const struct jsonptr *parent_ptr, const cJSON *parent, const char *key,
                      const char *shown, const char *object_note, entry_fn fn, const void *arg)
{
    const cJSON *list;
    struct jsonptr list_ptr;
    size_t i = 0;
    int rc = typed_member(k, container, parent_ptr, parent, key, cJSON_Array, shown, &list);

    if (rc <= 0 || !list)
        return rc < 0 ? -1 : 0;
    if (ptr_join(&list_ptr, parent_ptr, k->d, key, NULL) != 0)
        return -1;
    for (const cJSON *e = list->child; e; e = e->next, i++) {
        struct jsonptr p;

        if (ptr_index(&p, &list_ptr, i, k->d) != 0)
            return -1;
        if (object_note && !cJSON_IsObject(e)) {
            if (report(k, container, &p, "%s entry %zu is %s, expected an object%s", key, i,
                       text_json_type_article(e), object_note) != 0)
                return -1;
            continue;
        }
        if (fn(k, container, e, i, &p, arg) != 0)
            return -1;
    }
    return 0;
}

/* ----------------------------------------------------------- containers */

/* One container of the pod template, as the checks see it. */
struct container {
    const cJSON *obj;
    /* its name, "" when it has none */
    const char *name;
    /* /spec/template/spec/containers/3 */
    struct jsonptr ptr;
};

static const char *const container_lists[] = {"containers", "initContainers",
                                              "ephemeralContainers"};

/* Walks containers, then initContainers, then (when asked: the Pod Security
 * Standards judge them too) ephemeralContainers. Entries that are not
 * objects are skipped: the engine has rejected those in the first two
 * lists, and the API server rejects them in the third. */
struct container_iter {
    const struct check_ctx *ctx;
    size_t lists;
    size_t list;
    const cJSON *next;
    size_t index;
    const char *list_name;
};

static void container_iter_init(struct container_iter *it, const struct check_ctx *ctx,
                                bool ephemeral)
{
    memset(it, 0, sizeof(*it));
    it->ctx = ctx;
    it->lists = ephemeral ? 3 : 2;
}

static void container_fill(struct container *c, const cJSON *obj)
{
    const cJSON *name = field(obj, "name");

    c->obj = obj;
    c->name = cJSON_IsString(name) ? name->valuestring : "";
}

/* 1 with c filled, 0 when done, -1 on failure. */
static int container_next(struct container_iter *it, struct container *c, struct diag *d)
{
    for (;;) {
        const cJSON *item;
        size_t index;
        struct jsonptr base;

        if (!it->next) {
            const cJSON *l;

            if (it->list >= it->lists)
                return 0;
            it->list_name = container_lists[it->list];
            l = it->list == 0 ? it->ctx->containers : field(it->ctx->pod_spec, it->list_name);
            it->list++;
            it->next = cJSON_IsArray(l) ? l->child : NULL;
            it->index = 0;
            continue;
        }
        item = it->next;
        index = it->index;
        it->next = item->next;
        it->index++;
        if (!cJSON_IsObject(item))
            continue;
        container_fill(c, item);
        if (ptr_text(&base, POD_SPEC_POINTER, d) != 0 ||
            ptr_join(&base, &base, d, it->list_name, NULL) != 0 ||
            ptr_index(&c->ptr, &base, index, d) != 0)
            return -1;
        return 1;
    }
}

/* The main container (ctx->main_index). 0 or -1. */
static int main_container(const struct check *k, struct container *c)
{
    const cJSON *obj = NULL;
    struct jsonptr base;

    if (k->ctx->main_index <= (size_t)INT32_MAX)
        obj = cJSON_GetArrayItem(k->ctx->containers, (int)k->ctx->main_index);
    if (!cJSON_IsObject(obj))
        return diag_set(k->d, POD_SPEC_POINTER "/containers",
                        "main container index %zu is not a container", k->ctx->main_index);
    container_fill(c, obj);
    if (ptr_text(&base, POD_SPEC_POINTER "/containers", k->d) != 0 ||
        ptr_index(&c->ptr, &base, k->ctx->main_index, k->d) != 0)
        return -1;
    return 0;
}

/* The securityContext of a container (or of the pod, container ""): 1 with
 * *out (NULL when absent), 0 when it is not an object (reported), -1. */
static int security_context(const struct check *k, const char *container,
                            const struct jsonptr *owner_ptr, const cJSON *owner, const cJSON **out)
{
    return typed_member(k, container, owner_ptr, owner, "securityContext", cJSON_Object,
                        "securityContext", out);
}

/* The pod's securityContext and its pointer. Same returns. */
static int pod_security_context(const struct check *k, struct jsonptr *pod_ptr, const cJSON **out)
{
    if (ptr_text(pod_ptr, POD_SPEC_POINTER, k->d) != 0)
        return -1;
    return security_context(k, "", pod_ptr, k->ctx->pod_spec, out);
}

/* What a check does with one container's securityContext (NULL when
 * absent): 0, or -1 on failure. */
typedef int (*container_sc_fn)(const struct check *k, const struct container *c, const cJSON *sc,
                               const void *arg);

/* Calls fn for each container (ephemeral ones too when asked) whose
 * securityContext is absent or an object; one of another type is reported
 * and the container skipped. 0 or -1. */
static int each_security_context(const struct check *k, bool ephemeral, container_sc_fn fn,
                                 const void *arg)
{
    struct container_iter it;
    struct container c;
    int rc;

    container_iter_init(&it, k->ctx, ephemeral);
    while ((rc = container_next(&it, &c, k->d)) > 0) {
        const cJSON *sc;
        int s = security_context(k, c.name, &c.ptr, c.obj, &sc);

        if (s < 0 || (s > 0 && fn(k, &c, sc, arg) != 0))
            return -1;
    }
    return rc;
}

/* Judges a boolean securityContext field that must not be true (privileged).
 * Pointer to the field; message names `what_true` when it is true. */
static int forbid_true(const struct check *k, const struct container *c, const cJSON *sc,
                       const char *key, const char *what_true)
{
    const cJSON *v = field(sc, key);
    struct jsonptr p;

    if (!v || cJSON_IsFalse(v))
        return 0;
    if (ptr_join(&p, &c->ptr, k->d, "securityContext", key, NULL) != 0)
        return -1;
    if (cJSON_IsTrue(v))
        return report(k, c->name, &p, "%s: remove securityContext.%s or set it to false", what_true,
                      key);
    return report(k, c->name, &p,
                  "securityContext.%s is %s, expected a boolean: remove it or set it to false", key,
                  text_json_type_article(v));
}

/* Judges a boolean securityContext field that must be set to `want`
 * explicitly (allowPrivilegeEscalation false, readOnlyRootFilesystem true).
 * `absent_note` explains the default; `hint` is appended to the fix. */
static int require_bool(const struct check *k, const struct container *c, const cJSON *sc,
                        const char *key, bool want, const char *wrong_what, const char *absent_note,
                        const char *hint)
{
    const cJSON *v = field(sc, key);
    const char *want_text = want ? "true" : "false";
    struct jsonptr p;

    if (v && cJSON_IsBool(v) && (cJSON_IsTrue(v) ? true : false) == want)
        return 0;
    if (ptr_join(&p, &c->ptr, k->d, "securityContext", key, NULL) != 0)
        return -1;
    if (!v)
        return report(k, c->name, &p, "%s is not set%s: set securityContext.%s to %s%s", key,
                      absent_note, key, want_text, hint);
    if (!cJSON_IsBool(v))
        return report(k, c->name, &p, "securityContext.%s is %s, expected the boolean %s%s", key,
                      text_json_type_article(v), want_text, hint);
    return report(k, c->name, &p, "%s: set securityContext.%s to %s%s", wrong_what, key, want_text,
                  hint);
}

/* ------------------------------------------------------------- replicas */

/* see validate.h */
int check_replicas(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    int min = ctx->policy->replicas_minimum;
    const cJSON *r = field(field(ctx->object, "spec"), "replicas");
    struct jsonptr p;
    char num[64];
    int n;

    if (ptr_text(&p, "/spec/replicas", d) != 0)
        return -1;
    if (!r) {
        /* the API server defaults an absent replicas to 1 */
        if (min <= 1)
            return 0;
        return report(&k, "", &p,
                      "replicas is not set, so Kubernetes runs 1 pod, below the minimum of %d: "
                      "set spec.replicas to %d or more",
                      min, min);
    }
    if (!cJSON_IsNumber(r))
        return report(&k, "", &p,
                      "replicas is %s, expected an integer: set spec.replicas to %d or more",
                      text_json_type_article(r), min);
    if (!as_int32(r, &n))
        return report(&k, "", &p,
                      "replicas is %s, not a 32-bit integer: set spec.replicas to %d or more",
                      number_text(r->valuedouble, num, sizeof(num)), min);
    if (n < min)
        return report(&k, "", &p,
                      "replicas is %d, below the minimum of %d: set spec.replicas to %d or more", n,
                      min, min);
    return 0;
}

/* --------------------------------------------------------------- probes */

struct probe_rule {
    enum rule_id missing;
    enum rule_id policy;
    enum probe_kind kind;
    const char *key;
};

static const struct probe_rule probe_rules[] = {
    {RULE_PROBE_LIVENESS_MISSING, RULE_PROBE_LIVENESS_POLICY, PROBE_LIVENESS, "livenessProbe"},
    {RULE_PROBE_READINESS_MISSING, RULE_PROBE_READINESS_POLICY, PROBE_READINESS, "readinessProbe"},
    {RULE_PROBE_STARTUP_MISSING, RULE_PROBE_STARTUP_POLICY, PROBE_STARTUP, "startupProbe"},
};

static const struct probe_rule *probe_rule_for(enum rule_id id)
{
    for (size_t i = 0; i < sizeof(probe_rules) / sizeof(probe_rules[0]); i++)
        if (probe_rules[i].missing == id || probe_rules[i].policy == id)
            return &probe_rules[i];
    return NULL;
}

/* see validate.h */
int check_probe_missing(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    const struct probe_rule *pr = probe_rule_for(id);
    const struct probe_policy *pp;
    struct container c;
    const cJSON *probe;
    struct jsonptr p;
    char path[QUOTE_BUF];
    char fix[320];

    if (!pr || pr->missing != id)
        return diag_set(d, NULL, "check_probe_missing called for rule %d", (int)id);
    if (main_container(&k, &c) != 0)
        return -1;
    probe = field(c.obj, pr->key);
    if (probe && cJSON_IsObject(probe))
        return 0;
    pp = &ctx->policy->probes[pr->kind];
    snprintf(fix, sizeof(fix),
             "an httpGet probe on %s port %d (initialDelaySeconds %d, periodSeconds %d, "
             "timeoutSeconds %d, failureThreshold %d)",
             quote(pp->path, path), pp->port, pp->initial_delay_seconds, pp->period_seconds,
             pp->timeout_seconds, pp->failure_threshold);
    if (ptr_join(&p, &c.ptr, d, pr->key, NULL) != 0)
        return -1;
    if (!probe)
        return report(&k, c.name, &p, "%s is missing: add %s", pr->key, fix);
    return report(&k, c.name, &p, "%s is %s, expected an object: replace it with %s", pr->key,
                  text_json_type_article(probe), fix);
}

/* One timing field of a probe, with the Kubernetes default that stands in
 * when it is absent (k8s.io/api core/v1 Probe). */
struct probe_field {
    const char *key;
    int k8s_default;
    struct int_range range;
    /* the value mutation adds; suggested as the fix when in range */
    int policy_value;
};

enum { PF_DELAY, PF_PERIOD, PF_TIMEOUT, PF_SUCCESS, PF_FAILURE, PF_COUNT };

static int clamp(int v, int lo, int hi)
{
    if (v < lo)
        return lo;
    if (v > hi)
        return hi;
    return v;
}

/* see validate.h */
int check_probe_policy(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    const struct probe_rule *pr = probe_rule_for(id);
    const struct probe_policy *pp;
    struct container c;
    const cJSON *probe;
    struct jsonptr probe_ptr;
    int value[PF_COUNT] = {0};
    /* value known and within its range */
    bool good[PF_COUNT] = {false};

    if (!pr || pr->policy != id)
        return diag_set(d, NULL, "check_probe_policy called for rule %d", (int)id);
    if (main_container(&k, &c) != 0)
        return -1;
    probe = field(c.obj, pr->key);
    /* a missing or wrong-typed probe is the -missing rule's to report */
    if (!cJSON_IsObject(probe))
        return 0;
    pp = &ctx->policy->probes[pr->kind];
    if (ptr_join(&probe_ptr, &c.ptr, d, pr->key, NULL) != 0)
        return -1;

    const struct probe_field fields[PF_COUNT] = {
        [PF_DELAY] = {"initialDelaySeconds", 0, pp->initial_delay_range, pp->initial_delay_seconds},
        [PF_PERIOD] = {"periodSeconds", 10, pp->period_range, pp->period_seconds},
        [PF_TIMEOUT] = {"timeoutSeconds", 1, pp->timeout_range, pp->timeout_seconds},
        [PF_SUCCESS] = {"successThreshold", 1, pp->success_range, pp->success_threshold},
        [PF_FAILURE] = {"failureThreshold", 3, pp->failure_range, pp->failure_threshold},
    };

    /* PF_PERIOD comes before PF_TIMEOUT: the timeout's bound depends on it */
    for (int i = 0; i < PF_COUNT; i++) {
        const struct probe_field *f = &fields[i];
        const cJSON *v = field(probe, f->key);
        int lo = f->range.min;
        int hi = f->range.max;
        struct jsonptr p;
        char num[64];
        char is[96];

        /* timeoutSeconds must not exceed periodSeconds */
        if (i == PF_TIMEOUT && good[PF_PERIOD] && value[PF_PERIOD] < hi)
            hi = value[PF_PERIOD] < lo ? lo : value[PF_PERIOD];
        if (!v) {
            p = probe_ptr;
            value[i] = f->k8s_default;
            snprintf(is, sizeof(is), "is not set, so Kubernetes uses %d", value[i]);
        } else {
            if (ptr_join(&p, &probe_ptr, d, f->key, NULL) != 0)
                return -1;
            if (!cJSON_IsNumber(v)) {
                if (report(&k, c.name, &p, "%s %s is %s, expected an integer: set it to %d",
                           pr->key, f->key, text_json_type_article(v),
                           clamp(f->policy_value, lo, hi)) != 0)
                    return -1;
                continue;
            }
            if (!as_int32(v, &value[i])) {
                if (report(&k, c.name, &p, "%s %s is %s, not a 32-bit integer: set it to %d",
                           pr->key, f->key, number_text(v->valuedouble, num, sizeof(num)),
                           clamp(f->policy_value, lo, hi)) != 0)
                    return -1;
                continue;
            }
            snprintf(is, sizeof(is), "is %d", value[i]);
        }
        if (value[i] >= f->range.min && value[i] <= f->range.max) {
            good[i] = true;
            if (value[i] <= hi)
                continue;
            /* in range, but a timeout longer than the period */
            if (report(&k, c.name, &p,
                       "%s %s %s (allowed %d-%d) but must not exceed periodSeconds %d: set it to "
                       "%d or less",
                       pr->key, f->key, is, f->range.min, f->range.max, value[PF_PERIOD], hi) != 0)
                return -1;
            continue;
        }
        if (report(&k, c.name, &p, "%s %s %s, outside the allowed %d-%d: set %s to %d", pr->key,
                   f->key, is, f->range.min, f->range.max, f->key,
                   clamp(f->policy_value, lo, hi)) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ resources */

/* Reads a quantity the way Kubernetes decodes one: a JSON string, or a JSON
 * number (YAML `cpu: 1`; resource.Quantity accepts both). Returns 1 with *q
 * and text set, 0 when v is another type, -1 when it does not parse (qd
 * filled by quantity_parse). text holds QUOTE_BUF. */
static int read_quantity(const cJSON *v, const struct jsonptr *p, struct quantity *q, char *text,
                         struct diag *qd)
{
    char num[64];
    const char *s;

    if (cJSON_IsString(v))
        s = v->valuestring;
    else if (cJSON_IsNumber(v))
        s = number_text(v->valuedouble, num, sizeof(num));
    else
        return 0;
    quote(s, text);
    diag_clear(qd);
    if (quantity_parse(s, strlen(s), q, p->text, qd) != 0)
        return -1;
    return 1;
}

/* The reason in a quantity diag message without the quoted input it
 * repeats ("invalid quantity 'lots': missing number" -> "missing number"):
 * the violation quotes the input itself. */
static const char *quantity_reason(const char *message)
{
    const char *cut = strstr(message, "\": ");

    if (!cut)
        cut = strstr(message, "': ");
    return cut && cut[3] ? cut + 3 : message;
}

static const char *const resource_names[] = {"cpu", "memory"};

static const char *pair_text(const struct resource_pair *rp, size_t r)
{
    return r == 0 ? rp->cpu_text : rp->memory_text;
}

static const struct quantity *pair_value(const struct resource_pair *rp, size_t r)
{
    return r == 0 ? &rp->cpu : &rp->memory;
}

/* The resources.<section> object of the main container: 1 with *out (NULL
 * when absent), 0 when resources or the section has the wrong type (and
 * report_types: reported), -1. *sec_ptr is the section's pointer. */
static int resource_section(const struct check *k, const struct container *c, const char *section,
                            bool report_types, struct jsonptr *sec_ptr, const cJSON **out)
{
    const cJSON *res = field(c->obj, "resources");
    const cJSON *sec;
    struct jsonptr res_ptr;
    char shown[64];

    *out = NULL;
    if (ptr_join(&res_ptr, &c->ptr, k->d, "resources", NULL) != 0 ||
        ptr_join(sec_ptr, &res_ptr, k->d, section, NULL) != 0)
        return -1;
    if (!res)
        return 1;
    if (!cJSON_IsObject(res)) {
        if (!report_types)
            return 0;
        if (report(k, c->name, &res_ptr,
                   "resources is %s, expected an object with %s.cpu and %s.memory",
                   text_json_type_article(res), section, section) != 0)
            return -1;
        return 0;
    }
    sec = field(res, section);
    if (!sec)
        return 1;
    if (!cJSON_IsObject(sec)) {
        if (!report_types)
            return 0;
        snprintf(shown, sizeof(shown), "resources.%s", section);
        if (report(k, c->name, sec_ptr, "%s is %s, expected an object with cpu and memory", shown,
                   text_json_type_article(sec)) != 0)
            return -1;
        return 0;
    }
    *out = sec;
    return 1;
}

/* The advice for a missing request or limit. The policy's default fits
 * unless the user's request is above it; then the limit must lie between the
 * request and the policy maximum, and when the request is above the maximum
 * too, the request is what must change first. */
static int missing_resource(const struct check *k, const struct container *c, const char *section,
                            size_t r, const struct resource_pair *want, const struct jsonptr *p)
{
    const cJSON *requests = field(field(c->obj, "resources"), "requests");
    const struct resource_pair *max = &k->ctx->policy->limits_maximum;
    const char *name = resource_names[r];
    struct quantity req;
    struct diag qd;
    char req_text[QUOTE_BUF];

    if (strcmp(section, "limits") != 0 || !cJSON_IsObject(requests) ||
        read_quantity(field(requests, name), p, &req, req_text, &qd) != 1 ||
        quantity_cmp(&req, pair_value(want, r)) <= 0)
        return report(k, c->name, p, "%s.%s is missing: set resources.%s.%s to %s", section, name,
                      section, name, pair_text(want, r));
    if (quantity_cmp(&req, pair_value(max, r)) <= 0)
        return report(k, c->name, p,
                      "limits.%s is missing: set resources.limits.%s to at least the request %s and at "
                      "most %s",
                      name, name, req_text, pair_text(max, r));
    return report(k, c->name, p,
                  "limits.%s is missing, and requests.%s %s is above the policy maximum %s: lower the "
                  "request, then set resources.limits.%s between it and %s",
                  name, name, req_text, pair_text(max, r), name, pair_text(max, r));
}

/* requests-missing / limits-missing: each of cpu and memory present and a
 * valid quantity. Wrong types and unparsable quantities are reported here;
 * the other resource rules skip what they cannot read. */
static int resources_missing(const struct check *k, const char *section,
                             const struct resource_pair *want)
{
    struct container c;
    const cJSON *sec;
    struct jsonptr sec_ptr;
    int rc;

    if (main_container(k, &c) != 0)
        return -1;
    rc = resource_section(k, &c, section, true, &sec_ptr, &sec);
    if (rc <= 0)
        return rc;
    for (size_t r = 0; r < 2; r++) {
        const cJSON *v = field(sec, resource_names[r]);
        struct jsonptr p;
        struct quantity q;
        struct diag qd;
        char text[QUOTE_BUF];
        char why[160];

        if (ptr_join(&p, &sec_ptr, k->d, resource_names[r], NULL) != 0)
            return -1;
        if (!v) {
            rc = missing_resource(k, &c, section, r, want, &p);
        } else {
            switch (read_quantity(v, &p, &q, text, &qd)) {
            case 1:
                rc = 0;
                break;
            case 0:
                rc = report(k, c.name, &p,
                            "%s.%s is %s, expected a quantity string: set it to \"%s\"", section,
                            resource_names[r], text_json_type_article(v), pair_text(want, r));
                break;
            default:
                quote(quantity_reason(qd.message), why);
                rc =
                    report(k, c.name, &p, "%s.%s \"%s\" is not a valid quantity (%s): set it to %s",
                           section, resource_names[r], text, why, pair_text(want, r));
                break;
            }
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* see validate.h */
int check_requests_missing(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};

    return resources_missing(&k, "requests", &ctx->policy->requests);
}

/* see validate.h */
int check_limits_missing(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};

    return resources_missing(&k, "limits", &ctx->policy->limits);
}

/* The parsed quantity at resources.<section>.<name> of the main container:
 * 1 with q, text and p set, 0 when absent or unreadable (the -missing rules
 * report those), -1. */
static int read_resource(const struct check *k, const struct container *c, const char *section,
                         size_t r, struct quantity *q, char *text, struct jsonptr *p)
{
    const cJSON *sec;
    struct jsonptr sec_ptr;
    struct diag qd;
    int rc = resource_section(k, c, section, false, &sec_ptr, &sec);

    if (rc <= 0)
        return rc;
    if (ptr_join(p, &sec_ptr, k->d, resource_names[r], NULL) != 0)
        return -1;
    if (!field(sec, resource_names[r]))
        return 0;
    return read_quantity(field(sec, resource_names[r]), p, q, text, &qd) == 1 ? 1 : 0;
}

/* see validate.h */
int check_requests_above_limits(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    struct container c;

    if (main_container(&k, &c) != 0)
        return -1;
    for (size_t r = 0; r < 2; r++) {
        struct quantity req, lim;
        char req_text[QUOTE_BUF], lim_text[QUOTE_BUF];
        struct jsonptr req_ptr, lim_ptr;
        int a = read_resource(&k, &c, "requests", r, &req, req_text, &req_ptr);
        int b = read_resource(&k, &c, "limits", r, &lim, lim_text, &lim_ptr);

        if (a < 0 || b < 0)
            return -1;
        if (a == 0 || b == 0 || quantity_cmp(&req, &lim) <= 0)
            continue;
        if (report(&k, c.name, &req_ptr,
                   "requests.%s %s is above limits.%s %s: lower the request to %s or less, or "
                   "raise the limit",
                   resource_names[r], req_text, resource_names[r], lim_text, lim_text) != 0)
            return -1;
    }
    return 0;
}

/* see validate.h */
int check_limits_above_maximum(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    const struct resource_pair *max = &ctx->policy->limits_maximum;
    struct container c;

    if (main_container(&k, &c) != 0)
        return -1;
    for (size_t r = 0; r < 2; r++) {
        struct quantity lim;
        char lim_text[QUOTE_BUF];
        struct jsonptr lim_ptr;
        int a = read_resource(&k, &c, "limits", r, &lim, lim_text, &lim_ptr);

        if (a < 0)
            return -1;
        if (a == 0 || quantity_cmp(&lim, pair_value(max, r)) <= 0)
            continue;
        if (report(&k, c.name, &lim_ptr,
                   "limits.%s %s is above the policy maximum %s: lower it to %s or less",
                   resource_names[r], lim_text, pair_text(max, r), pair_text(max, r)) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------ pod security standards */

static int privileged_in(const struct check *k, const struct container *c, const cJSON *sc,
                         const void *arg)
{
    (void)arg;
    return forbid_true(k, c, sc, "privileged", "container runs privileged");
}

/* see validate.h */
int check_privileged(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};

    return each_security_context(&k, true, privileged_in, NULL);
}

/* see validate.h */
int check_host_namespaces(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    static const struct {
        const char *key;
        const char *what;
    } ns[] = {
        {"hostNetwork", "network"},
        {"hostPID", "PID"},
        {"hostIPC", "IPC"},
    };
    const struct check k = {ctx, id, d};
    struct jsonptr pod_ptr;

    if (ptr_text(&pod_ptr, POD_SPEC_POINTER, d) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        const cJSON *v = field(ctx->pod_spec, ns[i].key);
        struct jsonptr p;
        int rc;

        if (!v || cJSON_IsFalse(v))
            continue;
        if (ptr_join(&p, &pod_ptr, d, ns[i].key, NULL) != 0)
            return -1;
        if (cJSON_IsTrue(v))
            rc =
                report(&k, "", &p, "pod shares the host %s namespace: remove %s or set it to false",
                       ns[i].what, ns[i].key);
        else
            rc = report(&k, "", &p, "%s is %s, expected a boolean: remove it or set it to false",
                        ns[i].key, text_json_type_article(v));
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int host_path_in(const struct check *k, const char *container, const cJSON *v,
                        size_t index, const struct jsonptr *vol_ptr, const void *arg)
{
    const cJSON *name = field(v, "name");
    char qname[QUOTE_BUF];
    struct jsonptr p;

    (void)index;
    (void)arg;
    if (!field(v, "hostPath"))
        return 0;
    if (ptr_join(&p, vol_ptr, k->d, "hostPath", NULL) != 0)
        return -1;
    return report(k, container, &p,
                  "volume \"%s\" is a hostPath volume: use an emptyDir, configMap, secret or "
                  "persistentVolumeClaim volume instead",
                  quote(cJSON_IsString(name) ? name->valuestring : "", qname));
}

/* see validate.h */
int check_host_path(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    struct jsonptr pod_ptr;

    if (ptr_text(&pod_ptr, POD_SPEC_POINTER, d) != 0)
        return -1;
    return each_entry(&k, "", &pod_ptr, ctx->pod_spec, "volumes", "volumes", "", host_path_in,
                      NULL);
}

static int host_port_in(const struct check *k, const char *container, const cJSON *port,
                        size_t index, const struct jsonptr *port_ptr, const void *arg)
{
    const cJSON *hp = field(port, "hostPort");
    struct jsonptr p;
    int hostport, cport;
    char cport_text[32];

    (void)arg;
    if (!hp || (as_int32(hp, &hostport) && hostport == 0))
        return 0;
    if (ptr_join(&p, port_ptr, k->d, "hostPort", NULL) != 0)
        return -1;
    if (!cJSON_IsNumber(hp))
        return report(k, container, &p, "hostPort is %s, expected an integer: remove hostPort",
                      text_json_type_article(hp));
    if (!as_int32(hp, &hostport))
        return report(k, container, &p, "hostPort %s is not a port number: remove hostPort",
                      number_text(hp->valuedouble, cport_text, sizeof(cport_text)));
    if (as_int32(field(port, "containerPort"), &cport))
        snprintf(cport_text, sizeof(cport_text), "containerPort %d", cport);
    else
        snprintf(cport_text, sizeof(cport_text), "ports entry %zu", index);
    return report(k, container, &p,
                  "%s binds hostPort %d on the node: remove hostPort and expose the port with "
                  "a Service",
                  cport_text, hostport);
}

/* see validate.h */
int check_host_port(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    struct container_iter it;
    struct container c;
    int rc;

    container_iter_init(&it, ctx, true);
    while ((rc = container_next(&it, &c, d)) > 0)
        if (each_entry(&k, c.name, &c.ptr, c.obj, "ports", "ports", "", host_port_in, NULL) != 0)
            return -1;
    return rc;
}

static bool capability_allowed(const struct policy *pol, const char *cap)
{
    for (size_t i = 0; i < pol->allowed_capabilities_count && i < POLICY_LIST_MAX; i++)
        if (strcmp(pol->allowed_capabilities[i], cap) == 0)
            return true;
    return false;
}

/* The securityContext.capabilities of a container: 1 with *out (NULL when
 * absent), 0 when something on the way has the wrong type (reported), -1. */
static int capabilities_of(const struct check *k, const struct container *c, const cJSON **out)
{
    const cJSON *sc;
    struct jsonptr sc_ptr;
    int s = security_context(k, c->name, &c->ptr, c->obj, &sc);

    *out = NULL;
    if (s <= 0)
        return s;
    if (ptr_join(&sc_ptr, &c->ptr, k->d, "securityContext", NULL) != 0)
        return -1;
    return typed_member(k, c->name, &sc_ptr, sc, "capabilities", cJSON_Object,
                        "securityContext.capabilities", out);
}

/* arg: the policy's allowed capabilities as text, "" when it allows none */
static int capability_add_in(const struct check *k, const char *container, const cJSON *cap,
                             size_t index, const struct jsonptr *p, const void *arg)
{
    const struct policy *pol = k->ctx->policy;
    const char *allowed = arg;
    char qcap[QUOTE_BUF];

    if (cJSON_IsString(cap) && capability_allowed(pol, cap->valuestring))
        return 0;
    if (!cJSON_IsString(cap))
        return report(k, container, p,
                      "capabilities.add entry %zu is %s, expected a capability name: remove it",
                      index, text_json_type_article(cap));
    if (strncmp(cap->valuestring, "CAP_", 4) == 0 && capability_allowed(pol, cap->valuestring + 4))
        return report(k, container, p,
                      "capability \"%s\" is not allowed as spelled: Kubernetes names "
                      "capabilities without the CAP_ prefix, write %s",
                      quote(cap->valuestring, qcap), cap->valuestring + 4);
    if (allowed[0])
        return report(k, container, p,
                      "capability \"%s\" may not be added: remove it from "
                      "securityContext.capabilities.add (allowed: %s)",
                      quote(cap->valuestring, qcap), allowed);
    return report(k, container, p,
                  "capability \"%s\" may not be added: remove it from "
                  "securityContext.capabilities.add (the policy allows none)",
                  quote(cap->valuestring, qcap));
}

/* see validate.h */
int check_capabilities_add(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    const struct policy *pol = ctx->policy;
    struct container_iter it;
    struct container c;
    char allowed[160];
    size_t n = 0;
    int rc;

    if (pod_is_windows(ctx))
        return 0;
    allowed[0] = '\0';
    for (size_t i = 0; i < pol->allowed_capabilities_count && i < POLICY_LIST_MAX; i++) {
        int w = snprintf(allowed + n, sizeof(allowed) - n, "%s%s", n ? ", " : "",
                         pol->allowed_capabilities[i]);
        if (w < 0 || (size_t)w >= sizeof(allowed) - n) {
            allowed[n] = '\0';
            break;
        }
        n += (size_t)w;
    }

    container_iter_init(&it, ctx, true);
    while ((rc = container_next(&it, &c, d)) > 0) {
        const cJSON *caps;
        struct jsonptr caps_ptr;
        int s = capabilities_of(&k, &c, &caps);

        if (s < 0)
            return -1;
        if (s == 0)
            continue;
        if (ptr_join(&caps_ptr, &c.ptr, d, "securityContext", "capabilities", NULL) != 0 ||
            each_entry(&k, c.name, &caps_ptr, caps, "add", "securityContext.capabilities.add",
                       NULL, capability_add_in, allowed) != 0)
            return -1;
    }
    return rc;
}

/* see validate.h */
int check_capabilities_drop_all(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    struct container_iter it;
    struct container c;
    int rc;

    if (pod_is_windows(ctx))
        return 0;
    container_iter_init(&it, ctx, true);
    while ((rc = container_next(&it, &c, d)) > 0) {
        const cJSON *caps, *drop;
        struct jsonptr caps_ptr, p;
        bool all = false, lower = false;
        int s = capabilities_of(&k, &c, &caps);

        if (s < 0)
            return -1;
        if (s == 0)
            continue;
        if (ptr_join(&caps_ptr, &c.ptr, d, "securityContext", "capabilities", NULL) != 0 ||
            ptr_join(&p, &caps_ptr, d, "drop", NULL) != 0)
            return -1;
        s = typed_member(&k, c.name, &caps_ptr, caps, "drop", cJSON_Array,
                         "securityContext.capabilities.drop", &drop);
        if (s < 0)
            return -1;
        if (s == 0)
            continue;
        for (const cJSON *cap = drop ? drop->child : NULL; cap; cap = cap->next) {
            if (!cJSON_IsString(cap))
                continue;
            /* the restricted profile matches "ALL" exactly */
            if (strcmp(cap->valuestring, "ALL") == 0)
                all = true;
            else if (strcasecmp(cap->valuestring, "ALL") == 0)
                lower = true;
        }
        if (all)
            continue;
        if (lower)
            rc = report(&k, c.name, &p,
                        "capabilities.drop spells ALL in lower case, which the restricted profile "
                        "does not accept: write \"ALL\"");
        else
            rc = report(&k, c.name, &p,
                        "capabilities.drop does not include ALL: add \"ALL\" to "
                        "securityContext.capabilities.drop");
        if (rc != 0)
            return -1;
    }
    return rc;
}

static int escalation_in(const struct check *k, const struct container *c, const cJSON *sc,
                         const void *arg)
{
    (void)arg;
    return require_bool(k, c, sc, "allowPrivilegeEscalation", false,
                        "container allows privilege escalation", " (Kubernetes then allows it)",
                        "");
}

/* see validate.h */
int check_privilege_escalation(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};

    if (pod_is_windows(ctx))
        return 0;
    return each_security_context(&k, true, escalation_in, NULL);
}

/* What the pod's securityContext sets for a field its containers inherit
 * when they leave it unset. */
enum pod_setting { POD_UNSET, POD_GOOD, POD_BAD };

/* arg: the pod's enum pod_setting for runAsNonRoot */
static int run_as_non_root_in(const struct check *k, const struct container *c, const cJSON *sc,
                              const void *arg)
{
    const enum pod_setting pod = *(const enum pod_setting *)arg;
    const cJSON *v = field(sc, "runAsNonRoot");
    struct jsonptr p;

    if (ptr_join(&p, &c->ptr, k->d, "securityContext", "runAsNonRoot", NULL) != 0)
        return -1;
    if (cJSON_IsTrue(v))
        return 0;
    if (!v && pod == POD_GOOD)
        return 0;
    if (cJSON_IsFalse(v))
        return report(
            k, c->name, &p,
            "container sets runAsNonRoot to false: set securityContext.runAsNonRoot to true");
    if (v)
        return report(k, c->name, &p,
                      "securityContext.runAsNonRoot is %s, expected the boolean true",
                      text_json_type_article(v));
    if (pod == POD_BAD)
        return report(k, c->name, &p,
                      "runAsNonRoot is not set on the container and the pod sets it to false: set "
                      "runAsNonRoot to true on the pod or the container");
    return report(k, c->name, &p,
                  "runAsNonRoot is not set on the container or the pod: set "
                  "spec.template.spec.securityContext.runAsNonRoot to true");
}

/* see validate.h */
int check_run_as_non_root(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    struct jsonptr pod_ptr, p;
    const cJSON *pod_sc, *v;
    /* POD_GOOD: the pod sets runAsNonRoot true, so containers may leave it unset */
    enum pod_setting pod = POD_UNSET;
    int rc = pod_security_context(&k, &pod_ptr, &pod_sc);

    if (rc < 0)
        return -1;
    v = field(pod_sc, "runAsNonRoot");
    if (rc > 0 && v) {
        if (ptr_join(&p, &pod_ptr, d, "securityContext", "runAsNonRoot", NULL) != 0)
            return -1;
        if (cJSON_IsTrue(v))
            pod = POD_GOOD;
        else if (cJSON_IsFalse(v))
            pod = POD_BAD;
        if (pod == POD_BAD &&
            report(&k, "", &p,
                   "pod sets runAsNonRoot to false: set "
                   "spec.template.spec.securityContext.runAsNonRoot to true") != 0)
            return -1;
        if (!cJSON_IsBool(v) &&
            report(&k, "", &p, "pod securityContext.runAsNonRoot is %s, expected the boolean true",
                   text_json_type_article(v)) != 0)
            return -1;
    }
    return each_security_context(&k, true, run_as_non_root_in, &pod);
}

/* Judges runAsUser in a securityContext (pod: container ""). */
static int judge_run_as_user(const struct check *k, const char *container,
                             const struct jsonptr *owner_ptr, const cJSON *sc, const char *who,
                             const char *where)
{
    const cJSON *v = field(sc, "runAsUser");
    long long uid;
    struct jsonptr p;
    char num[64];

    if (!v || (as_int64(v, &uid) && uid != 0))
        return 0;
    if (ptr_join(&p, owner_ptr, k->d, "securityContext", "runAsUser", NULL) != 0)
        return -1;
    if (!cJSON_IsNumber(v))
        return report(k, container, &p,
                      "%s runAsUser is %s, expected an integer uid: set %s.runAsUser to %lld", who,
                      text_json_type_article(v), where, k->ctx->policy->run_as_user);
    if (!as_int64(v, &uid))
        return report(
            k, container, &p, "%s runAsUser is %s, not an integer uid: set %s.runAsUser to %lld",
            who, number_text(v->valuedouble, num, sizeof(num)), where, k->ctx->policy->run_as_user);
    return report(k, container, &p,
                  "%s runs as root (runAsUser 0): set %s.runAsUser to a non-zero uid such as %lld",
                  who, where, k->ctx->policy->run_as_user);
}

static int run_as_user_in(const struct check *k, const struct container *c, const cJSON *sc,
                          const void *arg)
{
    (void)arg;
    return judge_run_as_user(k, c->name, &c->ptr, sc, "container", "securityContext");
}

/* see validate.h */
int check_run_as_user_root(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    struct jsonptr pod_ptr;
    const cJSON *pod_sc;
    int rc = pod_security_context(&k, &pod_ptr, &pod_sc);

    if (rc < 0)
        return -1;
    if (rc > 0 && judge_run_as_user(&k, "", &pod_ptr, pod_sc, "pod",
                                    "spec.template.spec.securityContext") != 0)
        return -1;
    return each_security_context(&k, true, run_as_user_in, NULL);
}

/* Judges an explicitly set seccompProfile (pod or container). Returns 1
 * when it names an allowed type, 0 when it does not (reported), -1. */
static int judge_seccomp(const struct check *k, const char *container,
                         const struct jsonptr *owner_ptr, const cJSON *profile, const char *who)
{
    const char *want = k->ctx->policy->seccomp_profile;
    const cJSON *type;
    struct jsonptr p;
    char qtype[QUOTE_BUF];
    int rc;

    if (ptr_join(&p, owner_ptr, k->d, "securityContext", "seccompProfile", NULL) != 0)
        return -1;
    if (!cJSON_IsObject(profile)) {
        rc = report(k, container, &p,
                    "%s securityContext.seccompProfile is %s, expected an object: set "
                    "seccompProfile.type to %s",
                    who, text_json_type_article(profile), want);
        return rc != 0 ? -1 : 0;
    }
    type = field(profile, "type");
    if (cJSON_IsString(type) && (strcmp(type->valuestring, "RuntimeDefault") == 0 ||
                                 strcmp(type->valuestring, "Localhost") == 0))
        return 1;
    if (ptr_join(&p, &p, k->d, "type", NULL) != 0)
        return -1;
    if (!type)
        rc = report(k, container, &p,
                    "%s seccompProfile has no type: set seccompProfile.type to %s", who, want);
    else if (!cJSON_IsString(type))
        rc = report(k, container, &p,
                    "%s seccompProfile.type is %s, expected a string: set it to %s", who,
                    text_json_type_article(type), want);
    else
        rc =
            report(k, container, &p,
                   "%s seccompProfile.type is \"%s\", which the restricted profile forbids: set it "
                   "to %s (or Localhost)",
                   who, quote(type->valuestring, qtype), want);
    return rc != 0 ? -1 : 0;
}

/* arg: the pod's enum pod_setting for seccompProfile */
static int seccomp_in(const struct check *k, const struct container *c, const cJSON *sc,
                      const void *arg)
{
    const enum pod_setting pod = *(const enum pod_setting *)arg;
    const char *want = k->ctx->policy->seccomp_profile;
    const cJSON *profile = field(sc, "seccompProfile");
    struct jsonptr p;

    if (profile)
        return judge_seccomp(k, c->name, &c->ptr, profile, "container") < 0 ? -1 : 0;
    if (pod == POD_GOOD)
        return 0;
    if (ptr_join(&p, &c->ptr, k->d, "securityContext", "seccompProfile", NULL) != 0)
        return -1;
    if (pod == POD_BAD)
        return report(k, c->name, &p,
                      "container inherits the pod's forbidden seccompProfile: set "
                      "spec.template.spec.securityContext.seccompProfile.type to %s",
                      want);
    return report(k, c->name, &p,
                  "seccompProfile is not set on the container or the pod: set "
                  "spec.template.spec.securityContext.seccompProfile.type to %s",
                  want);
}

/* see validate.h */
int check_seccomp_profile(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    struct jsonptr pod_ptr;
    const cJSON *pod_sc, *profile;
    /* POD_GOOD: the pod sets an allowed profile, so containers may leave it unset */
    enum pod_setting pod = POD_UNSET;
    int rc;

    if (pod_is_windows(ctx))
        return 0;
    rc = pod_security_context(&k, &pod_ptr, &pod_sc);
    if (rc < 0)
        return -1;
    profile = field(pod_sc, "seccompProfile");
    if (rc > 0 && profile) {
        int s = judge_seccomp(&k, "", &pod_ptr, profile, "pod");

        if (s < 0)
            return -1;
        pod = s == 1 ? POD_GOOD : POD_BAD;
    }
    return each_security_context(&k, true, seccomp_in, &pod);
}

static int read_only_in(const struct check *k, const struct container *c, const cJSON *sc,
                        const void *arg)
{
    (void)arg;
    return require_bool(k, c, sc, "readOnlyRootFilesystem", true, "root filesystem is writable",
                        "", " (mount an emptyDir at /tmp for scratch files)");
}

/* see validate.h */
int check_read_only_root_filesystem(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};

    if (pod_is_windows(ctx))
        return 0;
    return each_security_context(&k, false, read_only_in, NULL);
}

/* ---------------------------------------------------------- annotations */

/* see validate.h */
int check_prometheus_annotations(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    const struct policy *pol = ctx->policy;
    const cJSON *template = field(field(ctx->object, "spec"), "template");
    const cJSON *meta, *ann;
    struct jsonptr tmpl_ptr, meta_ptr, ann_ptr;
    int rc;

    if (ptr_text(&tmpl_ptr, "/spec/template", d) != 0 ||
        ptr_join(&meta_ptr, &tmpl_ptr, d, "metadata", NULL) != 0 ||
        ptr_join(&ann_ptr, &meta_ptr, d, "annotations", NULL) != 0)
        return -1;
    rc = typed_member(&k, "", &tmpl_ptr, template, "metadata", cJSON_Object,
                      "spec.template.metadata", &meta);
    if (rc <= 0)
        return rc;
    rc = typed_member(&k, "", &meta_ptr, meta, "annotations", cJSON_Object,
                      "spec.template.metadata.annotations", &ann);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < pol->annotations_count && i < POLICY_LIST_MAX; i++) {
        const struct annotation *a = &pol->annotations[i];
        const cJSON *v = field(ann, a->key);
        struct jsonptr p;
        char qv[QUOTE_BUF];

        if (v && cJSON_IsString(v) && strcmp(v->valuestring, a->value) == 0)
            continue;
        if (ptr_join(&p, &ann_ptr, d, a->key, NULL) != 0)
            return -1;
        if (!v)
            rc = report(
                &k, "", &p,
                "annotation %s is missing: add %s: \"%s\" to spec.template.metadata.annotations",
                a->key, a->key, a->value);
        else if (!cJSON_IsString(v))
            rc = report(&k, "", &p,
                        "annotation %s is %s, expected the string \"%s\": write it quoted", a->key,
                        text_json_type_article(v), a->value);
        else
            rc = report(&k, "", &p, "annotation %s is \"%s\", expected \"%s\": set it to \"%s\"",
                        a->key, quote(v->valuestring, qv), a->value, a->value);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- strategy */

/* An intstr.IntOrString as the Deployment controller reads it: a
 * non-negative integer, or a string
 *   percent ::= digit+ "%"       (0% to 100%, apps/v1 validation)
 * scaled against replicas, rounding up (maxSurge) or down (maxUnavailable).
 * 0 with *out set, -1 when malformed. */
static int resolve_int_or_percent(const cJSON *v, const char *fallback, int replicas, bool round_up,
                                  long long *out)
{
    const char *s;
    size_t len;
    long long pct = 0;
    int n;

    if (v && !cJSON_IsString(v)) {
        if (!as_int32(v, &n) || n < 0)
            return -1;
        *out = n;
        return 0;
    }
    s = v ? v->valuestring : fallback;
    len = strlen(s);
    if (len < 2 || len > 4 || s[len - 1] != '%')
        return -1;
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        pct = pct * 10 + (s[i] - '0');
    }
    if (pct > 100)
        return -1;
    *out = round_up ? ((long long)replicas * pct + 99) / 100 : (long long)replicas * pct / 100;
    return 0;
}

/* see validate.h */
int check_strategy_max_unavailable(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    const int max = ctx->policy->max_unavailable;
    const cJSON *spec = field(ctx->object, "spec");
    const cJSON *strategy, *type, *ru = NULL, *mu, *ms;
    struct jsonptr spec_ptr, strat_ptr, ru_ptr, p;
    long long unavailable, surge;
    int replicas = 1;
    char what[200];
    char fix[120];
    char num[64];
    int rc;

    if (ptr_text(&spec_ptr, "/spec", d) != 0 ||
        ptr_join(&strat_ptr, &spec_ptr, d, "strategy", NULL) != 0 ||
        ptr_join(&ru_ptr, &strat_ptr, d, "rollingUpdate", NULL) != 0 ||
        ptr_join(&p, &ru_ptr, d, "maxUnavailable", NULL) != 0)
        return -1;
    snprintf(fix, sizeof(fix), "set spec.strategy.rollingUpdate.maxUnavailable to %d%s", max,
             max > 0 ? " or less" : "");
    rc =
        typed_member(&k, "", &spec_ptr, spec, "strategy", cJSON_Object, "spec.strategy", &strategy);
    if (rc <= 0)
        return rc;
    type = field(strategy, "type");
    if (type && !(cJSON_IsString(type) && strcmp(type->valuestring, "RollingUpdate") == 0)) {
        struct jsonptr tp;
        char qtype[QUOTE_BUF];

        if (ptr_join(&tp, &strat_ptr, d, "type", NULL) != 0)
            return -1;
        if (!cJSON_IsString(type))
            return report(&k, "", &tp,
                          "spec.strategy.type is %s, expected \"RollingUpdate\": set it to "
                          "RollingUpdate and %s",
                          text_json_type_article(type), fix);
        if (strcmp(type->valuestring, "Recreate") == 0)
            return report(
                &k, "", &tp,
                "strategy Recreate stops every pod before new ones start: set spec.strategy.type "
                "to RollingUpdate (maxSurge 1, maxUnavailable %d)",
                max);
        return report(
            &k, "", &tp,
            "strategy type \"%s\" is not RollingUpdate: set spec.strategy.type to RollingUpdate",
            quote(type->valuestring, qtype));
    }
    rc = typed_member(&k, "", &strat_ptr, strategy, "rollingUpdate", cJSON_Object,
                      "spec.strategy.rollingUpdate", &ru);
    if (rc <= 0)
        return rc;

    {
        int n;
        const cJSON *r = field(spec, "replicas");

        /* absent means 1; a malformed count is replicas-minimum's to report */
        if (as_int32(r, &n) && n >= 0)
            replicas = n;
    }
    mu = field(ru, "maxUnavailable");
    ms = field(ru, "maxSurge");
    if (resolve_int_or_percent(mu, "25%", replicas, false, &unavailable) != 0) {
        char qv[QUOTE_BUF];

        if (cJSON_IsString(mu))
            return report(&k, "", &p,
                          "maxUnavailable \"%s\" is not an integer or a percentage (0%%-100%%): %s",
                          quote(mu->valuestring, qv), fix);
        if (cJSON_IsNumber(mu))
            return report(&k, "", &p, "maxUnavailable %s is not a non-negative integer: %s",
                          number_text(mu->valuedouble, num, sizeof(num)), fix);
        return report(&k, "", &p, "maxUnavailable is %s, expected an integer or a percentage: %s",
                      text_json_type_article(mu), fix);
    }
    if (!mu)
        snprintf(
            what, sizeof(what),
            "maxUnavailable is not set, so Kubernetes uses 25%%, which is %lld of %d replicas,",
            unavailable, replicas);
    else if (cJSON_IsString(mu))
        snprintf(what, sizeof(what), "maxUnavailable %s is %lld of %d replicas,", mu->valuestring,
                 unavailable, replicas);
    else
        snprintf(what, sizeof(what), "maxUnavailable is %lld,", unavailable);
    /* the Deployment controller never lets both resolve to 0: it uses
     * maxUnavailable 1 so the rollout can progress */
    if (unavailable == 0 && resolve_int_or_percent(ms, "25%", replicas, true, &surge) == 0 &&
        surge == 0) {
        unavailable = 1;
        snprintf(
            what, sizeof(what),
            "maxSurge and maxUnavailable both resolve to 0, so Kubernetes uses maxUnavailable 1,");
        if (unavailable > max)
            return report(&k, "", &p,
                          "%s above the policy maximum %d: set "
                          "spec.strategy.rollingUpdate.maxSurge to 1 or more",
                          what, max);
    }
    if (unavailable <= max)
        return 0;
    return report(&k, "", &p, "%s above the policy maximum %d: %s", what, max, fix);
}

/* ------------------------------------------------------------- affinity */

/* see validate.h */
int check_pod_anti_affinity(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    static const char *const term_keys[] = {"preferredDuringSchedulingIgnoredDuringExecution",
                                            "requiredDuringSchedulingIgnoredDuringExecution"};
    const struct check k = {ctx, id, d};
    const struct policy *pol = ctx->policy;
    struct jsonptr pod_ptr, aff_ptr, paa_ptr;
    const cJSON *aff, *paa;
    char topo[QUOTE_BUF];
    char fix[200];
    bool terms = false;
    int rc;

    if (ptr_text(&pod_ptr, POD_SPEC_POINTER, d) != 0 ||
        ptr_join(&aff_ptr, &pod_ptr, d, "affinity", NULL) != 0 ||
        ptr_join(&paa_ptr, &aff_ptr, d, "podAntiAffinity", NULL) != 0)
        return -1;
    snprintf(fix, sizeof(fix), "add a preferred podAntiAffinity term (weight %d) on topologyKey %s",
             pol->anti_affinity_weight, quote(pol->anti_affinity_topology_key, topo));
    rc = typed_member(&k, "", &pod_ptr, ctx->pod_spec, "affinity", cJSON_Object, "affinity", &aff);
    if (rc <= 0)
        return rc;
    rc = typed_member(&k, "", &aff_ptr, aff, "podAntiAffinity", cJSON_Object,
                      "affinity.podAntiAffinity", &paa);
    if (rc <= 0)
        return rc;
    if (!paa)
        return report(&k, "", &paa_ptr,
                      "pod has no podAntiAffinity, so replicas may share a node: %s", fix);
    for (size_t i = 0; i < 2; i++) {
        const cJSON *t;

        rc = typed_member(&k, "", &paa_ptr, paa, term_keys[i], cJSON_Array, term_keys[i], &t);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return 0;
        if (t && cJSON_GetArraySize(t) > 0)
            terms = true;
    }
    if (terms)
        return 0;
    return report(&k, "", &paa_ptr,
                  "podAntiAffinity has no terms, so replicas may share a node: %s", fix);
}

/* ------------------------------------------------------------------ env */

/* ASCII case-insensitive substring search; non-ASCII bytes match exactly. */
static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    if (n == 0)
        return false;
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

static bool secret_like(const struct policy *pol, const char *name)
{
    for (size_t i = 0; i < pol->secret_env_patterns_count && i < POLICY_LIST_MAX; i++)
        if (contains_nocase(name, pol->secret_env_patterns[i]))
            return true;
    return false;
}

static int env_literal_in(const struct check *k, const char *container, const cJSON *e,
                          size_t index, const struct jsonptr *e_ptr, const void *arg)
{
    const cJSON *name = field(e, "name");
    const cJSON *value = field(e, "value");
    struct jsonptr p;
    char qname[QUOTE_BUF];

    (void)index;
    (void)arg;
    /* a nameless variable is not named like a secret */
    if (!cJSON_IsString(name) || !secret_like(k->ctx->policy, name->valuestring) || !value)
        return 0;
    /* an empty value carries no secret */
    if (cJSON_IsString(value) && value->valuestring[0] == '\0')
        return 0;
    if (ptr_join(&p, e_ptr, k->d, "value", NULL) != 0)
        return -1;
    return report(k, container, &p,
                  "env %s has a literal value: store it in a Secret and use "
                  "valueFrom.secretKeyRef instead",
                  quote(name->valuestring, qname));
}

/* see validate.h */
int check_env_literal_secret(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    const struct check k = {ctx, id, d};
    struct container_iter it;
    struct container c;
    int rc;

    container_iter_init(&it, ctx, false);
    while ((rc = container_next(&it, &c, d)) > 0)
        if (each_entry(&k, c.name, &c.ptr, c.obj, "env", "env", " with name and valueFrom",
                       env_literal_in, NULL) != 0)
            return -1;
    return rc;
}

/* ---------------------------------------------------------------- image */

enum image_pin {
    IMAGE_TAGGED,
    IMAGE_DIGEST,
    IMAGE_NO_TAG,
    IMAGE_LATEST,
    IMAGE_BAD_TAG,
    IMAGE_BAD_DIGEST,
    IMAGE_NO_NAME,
};

/* digest ::= algorithm ":" hex, hex lower case of the algorithm's length
 * (the algorithms containerd and the registries verify) */
static bool valid_digest(const char *s)
{
    static const struct {
        const char *alg;
        size_t hex;
    } algs[] = {{"sha256:", 64}, {"sha384:", 96}, {"sha512:", 128}};

    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        size_t n = strlen(algs[i].alg);

        if (strncmp(s, algs[i].alg, n) != 0)
            continue;
        s += n;
        if (strlen(s) != algs[i].hex)
            return false;
        for (; *s; s++)
            if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                return false;
        return true;
    }
    return false;
}

/* tag ::= [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}   (distribution/reference) */
static bool valid_tag(const char *s, size_t len)
{
    if (len == 0 || len > 128 || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

/* reference ::= name [ ":" tag ] [ "@" digest ]
 * name ::= [ host [ ":" port ] "/" ] path      so a colon before the last
 * "/" is a registry port ("registry:5000/app" has no tag). */
static enum image_pin image_classify(const char *ref)
{
    const char *at = strchr(ref, '@');
    size_t name_len = at ? (size_t)(at - ref) : strlen(ref);
    const char *last = ref;
    const char *colon = NULL;

    for (size_t i = 0; i < name_len; i++)
        if (ref[i] == '/')
            last = ref + i + 1;
    for (const char *s = last; s < ref + name_len; s++)
        if (*s == ':') {
            colon = s;
            break;
        }
    if (name_len == 0 || last == ref + name_len || colon == last)
        return IMAGE_NO_NAME;
    if (colon && !valid_tag(colon + 1, (size_t)(ref + name_len - colon - 1)))
        return IMAGE_BAD_TAG;
    if (at)
        return valid_digest(at + 1) ? IMAGE_DIGEST : IMAGE_BAD_DIGEST;
    if (!colon)
        return IMAGE_NO_TAG;
    if ((size_t)(ref + name_len - colon - 1) == 6 && strncmp(colon + 1, "latest", 6) == 0)
        return IMAGE_LATEST;
    return IMAGE_TAGGED;
}

/* see validate.h */
int check_image_tag(const struct check_ctx *ctx, enum rule_id id, struct diag *d)
{
    static const char pin[] = "pin a version tag (app:1.2.3) or a digest (app@sha256:...)";
    const struct check k = {ctx, id, d};
    struct container_iter it;
    struct container c;
    int rc;

    container_iter_init(&it, ctx, false);
    while ((rc = container_next(&it, &c, d)) > 0) {
        const cJSON *image = field(c.obj, "image");
        struct jsonptr p;
        char qimg[QUOTE_BUF];
        int s = 0;

        if (ptr_join(&p, &c.ptr, d, "image", NULL) != 0)
            return -1;
        if (!image) {
            s = report(&k, c.name, &p, "image is missing: set image and %s", pin);
        } else if (!cJSON_IsString(image)) {
            s = report(&k, c.name, &p, "image is %s, expected a string: %s",
                       text_json_type_article(image), pin);
        } else {
            quote(image->valuestring, qimg);
            switch (image_classify(image->valuestring)) {
            case IMAGE_TAGGED:
            case IMAGE_DIGEST:
                break;
            case IMAGE_NO_TAG:
                s = report(&k, c.name, &p, "image \"%s\" has no tag, so it pulls latest: %s", qimg,
                           pin);
                break;
            case IMAGE_LATEST:
                s = report(&k, c.name, &p, "image \"%s\" uses the latest tag: %s", qimg, pin);
                break;
            case IMAGE_BAD_TAG:
                s = report(&k, c.name, &p, "image \"%s\" has an invalid tag: %s", qimg, pin);
                break;
            case IMAGE_BAD_DIGEST:
                s = report(&k, c.name, &p,
                           "image \"%s\" has a malformed digest: write @sha256: and 64 lower-case "
                           "hex digits",
                           qimg);
                break;
            case IMAGE_NO_NAME:
                s = report(&k, c.name, &p, "image \"%s\" names no repository: %s", qimg, pin);
                break;
            }
        }
        if (s != 0)
            return -1;
    }
    return rc;
}
