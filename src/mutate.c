#include "mutate.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "jsonprint.h"
#include "jsonptr.h"
#include "patch.h"
#include "policy.h"
#include "quantity.h"
#include "text.h"

/* Summaries become AdmissionReview warnings, which the API server cuts at
 * 120 characters: stay well under. */
#define SUMMARY_MAX 110

/* One container of the working copy and how to name it. */
struct container_ref {
    cJSON *node;
    /* pointer to the container, e.g. /spec/template/spec/containers/0 */
    struct jsonptr ptr;
    /* "container django", "init container wait-db" */
    char where[320];
};

static int oom(struct diag *d)
{
    return diag_set(d, NULL, "out of memory building the patch");
}

static int ptr_too_long(const char *base, struct diag *d)
{
    return diag_set(d, base, "JSON pointer too long below this value");
}

/* Makes a summary fit for an AdmissionReview warning: control characters
 * (a hostile container name) become '?', and past SUMMARY_MAX it is cut on
 * a UTF-8 character boundary and ends in "...". */
static void summary_clamp(char *line, size_t len)
{
    /* past SUMMARY_MAX only what the cut keeps needs looking at */
    size_t scan = len <= SUMMARY_MAX ? len : SUMMARY_MAX - 2;
    size_t i = text_controls_free(line, scan);

    while (i < scan) {
        line[i++] = '?';
        i += text_controls_free(line + i, scan - i);
    }
    if (len <= SUMMARY_MAX)
        return;
    len = SUMMARY_MAX - 3;
    while (len > 0 && ((unsigned char)line[len] & 0xC0) == 0x80)
        len--;
    memcpy(line + len, "...", 4);
}

/* A bounded text builder for summaries, without printf: appends what
 * fits, remembers that something did not (the bytes kept are those
 * snprintf would keep). */
struct text {
    char buf[512];
    size_t len;
    bool full;
};

static void text_init(struct text *t)
{
    t->len = 0;
    t->full = false;
    t->buf[0] = '\0';
}

static void text_addn(struct text *t, const char *s, size_t n)
{
    size_t room = sizeof(t->buf) - 1 - t->len;

    if (n > room) {
        n = room;
        t->full = true;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void text_add(struct text *t, const char *s)
{
    text_addn(t, s, strlen(s));
}

static void text_add_int(struct text *t, long long v)
{
    char digits[TEXT_INT_SIZE];
    size_t n;
    const char *p = text_int(v, digits, &n);

    text_addn(t, p, n);
}

/* A value for people: a string as it is, anything else as compact JSON
 * (what cJSON_PrintUnformatted gives), "?" when it cannot be printed. */
static void text_value(struct text *t, const cJSON *v)
{
    size_t room = sizeof(t->buf) - 1 - t->len;
    size_t n;

    if (cJSON_IsString(v)) {
        text_add(t, v->valuestring);
        return;
    }
    if (jsonprint(v, t->buf + t->len, room + 1, &n) != 0) {
        text_add(t, "?");
        return;
    }
    if (n > room) {
        n = room;
        t->full = true;
    }
    t->len += n;
}

/* The summary's name of a member: prefix + "." + key, or key alone at the
 * top; cut at PATH_TEXT - 1 bytes (it only names the op for people). */
#define PATH_TEXT 160

static void member_path(char out[PATH_TEXT], const char *prefix, const char *key)
{
    size_t a = strnlen(prefix, PATH_TEXT - 1), n = a;

    memcpy(out, prefix, a);
    if (a && n < PATH_TEXT - 1)
        out[n++] = '.';
    if (n < PATH_TEXT - 1) {
        size_t k = strnlen(key, PATH_TEXT - 1 - n);
        memcpy(out + n, key, k);
        n += k;
    }
    out[n] = '\0';
}

/* patch_add_member / patch_append with the summary (built by the caller,
 * changed here) clamped. */
static int add_member(struct patch *pt, cJSON *parent, const char *parent_ptr, const char *key,
                      cJSON *value, struct diag *d, struct text *summary)
{
    summary_clamp(summary->buf, summary->len);
    return patch_add_member(pt, parent, parent_ptr, key, value, d, "%s", summary->buf);
}

static int append(struct patch *pt, cJSON *array, const char *array_ptr, cJSON *value,
                  struct diag *d, struct text *summary)
{
    summary_clamp(summary->buf, summary->len);
    return patch_append(pt, array, array_ptr, value, d, "%s", summary->buf);
}

static cJSON *get(const cJSON *object, const char *key)
{
    return cJSON_IsObject(object) ? jsonget(object, key) : NULL;
}

/* Adds key = value to o, key a string of static storage (a literal of
 * this file), which cJSON then neither copies nor frees. Takes value in
 * every case; false on failure. */
static bool put(cJSON *o, const char *key, cJSON *value)
{
    if (!value)
        return false;
    if (!cJSON_AddItemToObjectCS(o, key, value)) {
        cJSON_Delete(value);
        return false;
    }
    return true;
}

/* put for any other key (from the policy): cJSON keeps a copy. */
static bool put_copy(cJSON *o, const char *key, cJSON *value)
{
    if (!value)
        return false;
    if (!cJSON_AddItemToObject(o, key, value)) {
        cJSON_Delete(value);
        return false;
    }
    return true;
}

/* {key: value}, key static as for put. Takes value in every case (NULL
 * propagates: a failed inner allocation makes the whole chain NULL). */
static cJSON *obj1(const char *key, cJSON *value)
{
    cJSON *o;

    if (!value)
        return NULL;
    o = cJSON_CreateObject();
    if (!o) {
        cJSON_Delete(value);
        return NULL;
    }
    if (!put(o, key, value)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* "a.b=v, a.c=w": the leaves of an object, or only their paths when
 * !values. Empty objects are leaves ("emptyDir={}"). */
static void text_leaves(struct text *t, const cJSON *o, const char *prefix, bool values,
                        bool *first)
{
    const cJSON *m;

    cJSON_ArrayForEach(m, o) {
        char path[PATH_TEXT];

        member_path(path, prefix, m->string);
        if (cJSON_IsObject(m) && m->child) {
            text_leaves(t, m, path, values, first);
            continue;
        }
        if (!*first)
            text_add(t, ", ");
        *first = false;
        text_add(t, path);
        if (values) {
            text_add(t, "=");
            text_value(t, m);
        }
    }
}

/* "added REL VALUE to WHERE", objects as "(k=v, ...)", falling back to the
 * keys alone when that is too long (add_member then cuts what still is). */
static void summarize(struct text *t, const char *rel, const cJSON *value, const char *where)
{
    for (int pass = 0; pass < 2; pass++) {
        bool first = true;

        text_init(t);
        text_add(t, "added ");
        text_add(t, rel);
        if (cJSON_IsObject(value) && value->child) {
            text_add(t, " (");
            text_leaves(t, value, "", pass == 0, &first);
            text_add(t, ")");
        } else {
            text_add(t, " ");
            text_value(t, value);
        }
        text_add(t, " to ");
        text_add(t, where);
        if (!t->full && t->len <= SUMMARY_MAX)
            break;
        if (!cJSON_IsObject(value))
            break;
    }
}

/* Adds the members of `want` (an object; taken in every case) under `node`
 * (a node of the working copy at `ptr`), only where they are absent: a
 * member missing from node is added whole, in one op, so parents always
 * come before children; a member that is an object on both sides is merged
 * the same way one level down; anything else already there is left alone —
 * mutation never overwrites. `rel` names node for summaries ("" at the
 * subject, "securityContext" one level down); `summary`, when not NULL,
 * replaces the generated one. */
static int merge_add(struct patch *pt, cJSON *node, struct jsonptr *ptr, const char *rel,
                     cJSON *want, const char *where, const char *summary, struct diag *d)
{
    cJSON *w;
    int rc = 0;

    if (!want)
        return oom(d);
    while (rc == 0 && (w = want->child) != NULL) {
        /* w's own name: patch_add_member copies it before w's copy goes,
         * and nothing reads it once w is passed on */
        const char *key;
        char path[PATH_TEXT];
        cJSON *have;

        cJSON_DetachItemViaPointer(want, w);
        key = w->string;
        if (!key || strnlen(key, POLICY_STRING_MAX) >= POLICY_STRING_MAX) {
            cJSON_Delete(w);
            rc = diag_set(d, ptr->text, "key too long to add below this value");
            break;
        }
        member_path(path, rel, key);
        have = jsonget(node, key);
        if (!have) {
            struct text line;

            if (summary) {
                text_init(&line);
                /* as a line of PATCH_SUMMARY_MAX would hold it */
                text_addn(&line, summary, strnlen(summary, PATCH_SUMMARY_MAX - 1));
            } else {
                summarize(&line, path, w, where);
            }
            rc = add_member(pt, node, ptr->text, key, w, d, &line);
        } else if (cJSON_IsObject(have) && cJSON_IsObject(w)) {
            size_t len = ptr->len;

            /* one level down in ptr itself, restored after */
            if (jsonptr_push_key(ptr, key) != 0) {
                cJSON_Delete(w);
                rc = ptr_too_long(ptr->text, d);
                break;
            }
            /* w, detached, is itself the object to merge one level down */
            rc = merge_add(pt, have, ptr, path, w, where, summary, d);
            ptr->len = len;
            ptr->text[len] = '\0';
        } else {
            cJSON_Delete(w);
        }
    }
    cJSON_Delete(want);
    return rc;
}

/* Windows pods reject the Linux-only securityContext fields (runAsUser,
 * seccompProfile, capabilities, allowPrivilegeEscalation,
 * readOnlyRootFilesystem): mutation adds none of them there. */
static bool pod_is_windows(const struct mutate_ctx *ctx)
{
    const cJSON *name = get(get(ctx->pod_spec, "os"), "name");

    return cJSON_IsString(name) && strcmp(name->valuestring, "windows") == 0;
}

static int container_ref_init(struct container_ref *r, cJSON *c, const char *list_ptr,
                              size_t index, bool init, struct diag *d)
{
    const cJSON *name = get(c, "name");
    struct text t;

    size_t n = strlen(list_ptr);

    r->node = c;
    text_init(&t);
    text_add_int(&t, (long long)index);
    /* list_ptr is one of this file's literals; the index is digits */
    if (n + 1 + t.len >= JSONPTR_MAX)
        return ptr_too_long(list_ptr, d);
    memcpy(r->ptr.text, list_ptr, n);
    r->ptr.text[n] = '/';
    memcpy(r->ptr.text + n + 1, t.buf, t.len + 1);
    r->ptr.len = n + 1 + t.len;
    text_init(&t);
    text_add(&t, init ? "init container " : "container ");
    if (cJSON_IsString(name) && name->valuestring[0]) {
        /* at most 300 bytes of a name */
        text_addn(&t, name->valuestring, strnlen(name->valuestring, 300));
    } else {
        text_add(&t, "#");
        text_add_int(&t, (long long)index);
    }
    memcpy(r->where, t.buf, t.len + 1);
    return 0;
}

static int main_container(const struct mutate_ctx *ctx, struct container_ref *r, struct diag *d)
{
    cJSON *c = cJSON_GetArrayItem(ctx->containers, (int)ctx->main_index);

    if (!cJSON_IsObject(c))
        return diag_set(d, "/spec/template/spec/containers", "main container not found");
    return container_ref_init(r, c, "/spec/template/spec/containers", ctx->main_index, false, d);
}

typedef int (*container_fn)(const struct mutate_ctx *ctx, struct container_ref *c, void *arg,
                            struct diag *d);

/* Calls fn for every container, then every init container, in order. */
static int each_container(const struct mutate_ctx *ctx, container_fn fn, void *arg, struct diag *d)
{
    static const char *const lists[2] = {"containers", "initContainers"};
    static const char *const list_ptrs[2] = {"/spec/template/spec/containers",
                                             "/spec/template/spec/initContainers"};

    for (int l = 0; l < 2; l++) {
        cJSON *list = get(ctx->pod_spec, lists[l]);
        const char *list_ptr = list_ptrs[l];
        size_t i = 0;
        cJSON *c;

        if (!cJSON_IsArray(list))
            continue;
        cJSON_ArrayForEach(c, list) {
            struct container_ref r;

            if (cJSON_IsObject(c)) {
                if (container_ref_init(&r, c, list_ptr, i, l == 1, d) != 0 ||
                    fn(ctx, &r, arg, d) != 0)
                    return -1;
            }
            i++;
        }
    }
    return 0;
}

/* see mutate.h */
int mutate_replicas(const struct mutate_ctx *ctx, struct diag *d)
{
    cJSON *spec = get(ctx->object, "spec");
    struct text t;
    cJSON *v;

    if (!cJSON_IsObject(spec) || get(spec, "replicas"))
        return 0;
    v = cJSON_CreateNumber(ctx->policy->replicas);
    if (!v)
        return oom(d);
    text_init(&t);
    text_add(&t, "added replicas ");
    text_add_int(&t, ctx->policy->replicas);
    return add_member(ctx->patch, spec, "/spec", "replicas", v, d, &t);
}

/* {"httpGet":{"path":P,"port":PORT},"initialDelaySeconds":..,...} */
static cJSON *probe_new(const struct probe_policy *pp)
{
    cJSON *probe = cJSON_CreateObject();
    cJSON *http = cJSON_CreateObject();

    if (!probe || !http) {
        cJSON_Delete(probe);
        cJSON_Delete(http);
        return NULL;
    }
    /* put takes its value in every case: from here probe owns http */
    if (!put(probe, "httpGet", http) || !put(http, "path", cJSON_CreateString(pp->path)) ||
        !put(http, "port", cJSON_CreateNumber(pp->port)) ||
        !put(probe, "initialDelaySeconds", cJSON_CreateNumber(pp->initial_delay_seconds)) ||
        !put(probe, "periodSeconds", cJSON_CreateNumber(pp->period_seconds)) ||
        !put(probe, "timeoutSeconds", cJSON_CreateNumber(pp->timeout_seconds)) ||
        !put(probe, "successThreshold", cJSON_CreateNumber(pp->success_threshold)) ||
        !put(probe, "failureThreshold", cJSON_CreateNumber(pp->failure_threshold))) {
        cJSON_Delete(probe);
        return NULL;
    }
    return probe;
}

/* An existing probe of any handler (exec, tcpSocket, grpc, httpGet) is the
 * user's choice and is left alone entirely. */
static int add_probe(const struct mutate_ctx *ctx, enum probe_kind kind, const char *field,
                     struct diag *d)
{
    const struct probe_policy *pp = &ctx->policy->probes[kind];
    struct container_ref c;
    struct text t;
    cJSON *probe;

    if (main_container(ctx, &c, d) != 0)
        return -1;
    if (get(c.node, field))
        return 0;
    probe = probe_new(pp);
    if (!probe)
        return oom(d);
    /* "added livenessProbe (GET /health/live/ :8000, period 10s) to container django" */
    text_init(&t);
    text_add(&t, "added ");
    text_add(&t, field);
    text_add(&t, " (GET ");
    text_add(&t, pp->path);
    text_add(&t, " :");
    text_add_int(&t, pp->port);
    text_add(&t, ", period ");
    text_add_int(&t, pp->period_seconds);
    text_add(&t, "s) to ");
    text_add(&t, c.where);
    return add_member(ctx->patch, c.node, c.ptr.text, field, probe, d, &t);
}

/* see mutate.h */
int mutate_liveness_probe(const struct mutate_ctx *ctx, struct diag *d)
{
    return add_probe(ctx, PROBE_LIVENESS, "livenessProbe", d);
}

/* see mutate.h */
int mutate_readiness_probe(const struct mutate_ctx *ctx, struct diag *d)
{
    return add_probe(ctx, PROBE_READINESS, "readinessProbe", d);
}

/* see mutate.h */
int mutate_startup_probe(const struct mutate_ctx *ctx, struct diag *d)
{
    return add_probe(ctx, PROBE_STARTUP, "startupProbe", d);
}

/* Reads a quantity the user wrote. The API server accepts a JSON number as
 * well as a string (cpu: 2, cpu: 0.5); a number is read through its
 * shortest round-trip decimal text. False when the value is no valid
 * non-negative quantity: mutation then adds nothing that depends on it and
 * validation reports it. */
static bool user_quantity(const cJSON *v, struct quantity *q)
{
    struct diag scratch;
    char buf[64];
    const char *text;

    if (cJSON_IsString(v)) {
        text = v->valuestring;
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, sizeof(buf), "%.15g", v->valuedouble);
        text = buf;
    } else {
        return false;
    }
    diag_clear(&scratch);
    if (quantity_parse(text, strlen(text), q, NULL, &scratch) != 0)
        return false;
    return q->sign >= 0;
}

/* The value to add for one resource field. Where the counterpart (the limit
 * when adding a request, the request when adding a limit) is set, the policy
 * value is replaced by the user's own value whenever using the policy value
 * would put the request above the limit; the user's value is copied as
 * written (string or number — the API server formats numbers itself). NULL
 * with *skip when the counterpart does not parse, and when a limit would have
 * to exceed `limit_max` (the policy maximum; NULL when adding a request) to
 * stay at or above the user's request: any limit added then would be a
 * violation, so resources-limits-missing is left to say what to do. */
static cJSON *resource_value(const char *policy_text, const struct quantity *policy_q,
                             const struct quantity *limit_max, const cJSON *counterpart,
                             bool adding_request, bool *skip)
{
    struct quantity uq;
    int cmp;

    *skip = false;
    if (!counterpart)
        return cJSON_CreateString(policy_text);
    if (!user_quantity(counterpart, &uq)) {
        *skip = true;
        return NULL;
    }
    cmp = quantity_cmp(&uq, policy_q);
    if (adding_request ? cmp >= 0 : cmp <= 0)
        return cJSON_CreateString(policy_text);
    if (!adding_request && limit_max && quantity_cmp(&uq, limit_max) > 0) {
        *skip = true;
        return NULL;
    }
    return cJSON_Duplicate(counterpart, true);
}

/* Adds the missing cpu / memory fields of resources.requests (or .limits)
 * of the main container. */
static int add_resources(const struct mutate_ctx *ctx, bool requests, struct diag *d)
{
    const struct resource_pair *pol = requests ? &ctx->policy->requests : &ctx->policy->limits;
    const char *field = requests ? "requests" : "limits";
    const char *other_field = requests ? "limits" : "requests";
    const char *const names[2] = {"cpu", "memory"};
    const char *const texts[2] = {pol->cpu_text, pol->memory_text};
    const struct quantity *const qs[2] = {&pol->cpu, &pol->memory};
    const struct resource_pair *max = &ctx->policy->limits_maximum;
    const struct quantity *const maxima[2] = {&max->cpu, &max->memory};
    struct container_ref c;
    cJSON *res, *mine, *other, *want;

    if (main_container(ctx, &c, d) != 0)
        return -1;
    res = get(c.node, "resources");
    mine = get(res, field);
    other = get(res, other_field);
    if ((res && !cJSON_IsObject(res)) || (mine && !cJSON_IsObject(mine)) ||
        (other && !cJSON_IsObject(other)))
        return 0;
    want = cJSON_CreateObject();
    if (!want)
        return oom(d);
    for (int i = 0; i < 2; i++) {
        bool skip;
        cJSON *v;

        if (get(mine, names[i]))
            continue;
        v = resource_value(texts[i], qs[i], requests ? NULL : maxima[i], get(other, names[i]), requests,
                           &skip);
        if (skip)
            continue;
        if (!put(want, names[i], v)) {
            cJSON_Delete(want);
            return oom(d);
        }
    }
    if (!want->child) {
        cJSON_Delete(want);
        return 0;
    }
    return merge_add(ctx->patch, c.node, &c.ptr, "", obj1("resources", obj1(field, want)),
                     c.where, NULL, d);
}

/* see mutate.h */
int mutate_requests(const struct mutate_ctx *ctx, struct diag *d)
{
    return add_resources(ctx, true, d);
}

/* see mutate.h */
int mutate_limits(const struct mutate_ctx *ctx, struct diag *d)
{
    return add_resources(ctx, false, d);
}

static bool array_has_string(const cJSON *array, const char *s)
{
    const cJSON *item;

    cJSON_ArrayForEach(item, array) {
        if (cJSON_IsString(item) && strcmp(item->valuestring, s) == 0)
            return true;
    }
    return false;
}

static int drop_all_one(const struct mutate_ctx *ctx, struct container_ref *c, void *arg,
                        struct diag *d)
{
    cJSON *caps = get(get(c->node, "securityContext"), "capabilities");
    cJSON *drop = get(caps, "drop");
    struct jsonptr ptr = c->ptr;
    struct text t;
    cJSON *all;

    (void)arg;
    if (!drop) {
        cJSON *list = cJSON_CreateArray();
        all = cJSON_CreateString("ALL");
        if (!list || !all || !cJSON_AddItemToArray(list, all)) {
            cJSON_Delete(list);
            cJSON_Delete(all);
            return oom(d);
        }
        return merge_add(ctx->patch, c->node, &c->ptr, "",
                         obj1("securityContext", obj1("capabilities", obj1("drop", list))),
                         c->where, NULL, d);
    }
    if (!cJSON_IsArray(drop) || array_has_string(drop, "ALL"))
        return 0;
    if (jsonptr_push_key(&ptr, "securityContext") != 0 ||
        jsonptr_push_key(&ptr, "capabilities") != 0 || jsonptr_push_key(&ptr, "drop") != 0)
        return ptr_too_long(c->ptr.text, d);
    all = cJSON_CreateString("ALL");
    if (!all)
        return oom(d);
    text_init(&t);
    text_add(&t, "added ALL to securityContext.capabilities.drop of ");
    text_add(&t, c->where);
    return append(ctx->patch, drop, ptr.text, all, d, &t);
}

/* see mutate.h */
int mutate_drop_all(const struct mutate_ctx *ctx, struct diag *d)
{
    if (pod_is_windows(ctx))
        return 0;
    return each_container(ctx, drop_all_one, NULL, d);
}

static int privilege_escalation_one(const struct mutate_ctx *ctx, struct container_ref *c,
                                    void *arg, struct diag *d)
{
    cJSON *sc = get(c->node, "securityContext");

    (void)arg;
    if (get(sc, "allowPrivilegeEscalation"))
        return 0;
    /* the API server refuses allowPrivilegeEscalation false together with
     * privileged true or with capabilities.add CAP_SYS_ADMIN (exact
     * spelling, as in its validation); validation reports those */
    if (cJSON_IsTrue(get(sc, "privileged")))
        return 0;
    if (array_has_string(get(get(sc, "capabilities"), "add"), "CAP_SYS_ADMIN"))
        return 0;
    return merge_add(ctx->patch, c->node, &c->ptr, "",
                     obj1("securityContext", obj1("allowPrivilegeEscalation", cJSON_CreateFalse())),
                     c->where, NULL, d);
}

/* see mutate.h */
int mutate_privilege_escalation(const struct mutate_ctx *ctx, struct diag *d)
{
    if (pod_is_windows(ctx))
        return 0;
    return each_container(ctx, privilege_escalation_one, NULL, d);
}

/* Pod-level securityContext field `key` = value when absent. Containers
 * inherit it, and a container-level value the user wrote still wins, so
 * nothing is added per container. */
static int add_pod_security(const struct mutate_ctx *ctx, const char *key, cJSON *value,
                            struct diag *d)
{
    struct jsonptr ptr;

    if (!value)
        return oom(d);
    if (jsonptr_set(&ptr, "/spec/template/spec") != 0) {
        cJSON_Delete(value);
        return ptr_too_long("", d);
    }
    return merge_add(ctx->patch, ctx->pod_spec, &ptr, "", obj1("securityContext", obj1(key, value)),
                     "pod", NULL, d);
}

/* Whether the pod's securityContext already has `key`: then there is
 * nothing to add, and nothing is built to find that out. */
static bool pod_security_has(const struct mutate_ctx *ctx, const char *key)
{
    return get(get(ctx->pod_spec, "securityContext"), key) != NULL;
}

/* see mutate.h */
int mutate_run_as_non_root(const struct mutate_ctx *ctx, struct diag *d)
{
    /* runAsNonRoot is also valid on Windows pods */
    if (pod_security_has(ctx, "runAsNonRoot"))
        return 0;
    return add_pod_security(ctx, "runAsNonRoot", cJSON_CreateTrue(), d);
}

/* see mutate.h */
int mutate_run_as_user(const struct mutate_ctx *ctx, struct diag *d)
{
    if (pod_is_windows(ctx) || pod_security_has(ctx, "runAsUser"))
        return 0;
    return add_pod_security(ctx, "runAsUser", cJSON_CreateNumber((double)ctx->policy->run_as_user),
                            d);
}

/* see mutate.h */
int mutate_seccomp_profile(const struct mutate_ctx *ctx, struct diag *d)
{
    /* a seccompProfile the user wrote is kept whole: type and
     * localhostProfile go together */
    if (pod_is_windows(ctx) || pod_security_has(ctx, "seccompProfile"))
        return 0;
    return add_pod_security(ctx, "seccompProfile",
                            obj1("type", cJSON_CreateString(ctx->policy->seccomp_profile)), d);
}

/* The emptyDir that keeps /tmp writable under a read-only root: its name
 * once chosen, and whether it is in the working copy yet. */
struct tmp_volume {
    char name[64];
    bool added;
};

static bool volume_exists(const cJSON *volumes, const char *name)
{
    const cJSON *v;

    cJSON_ArrayForEach(v, volumes) {
        const cJSON *n = get(v, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return true;
    }
    return false;
}

static bool mounts_tmp(const cJSON *container)
{
    const cJSON *m;

    cJSON_ArrayForEach(m, get(container, "volumeMounts")) {
        const cJSON *path = get(m, "mountPath");
        if (cJSON_IsString(path) &&
            (strcmp(path->valuestring, "/tmp") == 0 || strcmp(path->valuestring, "/tmp/") == 0))
            return true;
    }
    return false;
}

static void tmp_volume_summary(struct text *t, const struct tmp_volume *tv)
{
    text_init(t);
    text_add(t, "added emptyDir volume ");
    text_add(t, tv->name);
    text_add(t, " for /tmp (read-only root filesystem)");
}

static void tmp_mount_summary(struct text *t, const struct tmp_volume *tv,
                              const struct container_ref *c)
{
    text_init(t);
    text_add(t, "mounted volume ");
    text_add(t, tv->name);
    text_add(t, " at /tmp in ");
    text_add(t, c->where);
}

/* "tmp", else "django-admission-tmp", else "django-admission-tmp-2", -3...
 * With n volumes at most n names are taken, so this ends by n + 2. */
static int tmp_volume_add(const struct mutate_ctx *ctx, struct tmp_volume *tv, struct diag *d)
{
    cJSON *volumes = get(ctx->pod_spec, "volumes");
    struct text t;
    cJSON *vol;

    snprintf(tv->name, sizeof(tv->name), "tmp");
    if (volume_exists(volumes, tv->name))
        snprintf(tv->name, sizeof(tv->name), "django-admission-tmp");
    for (unsigned long n = 2; volume_exists(volumes, tv->name); n++)
        snprintf(tv->name, sizeof(tv->name), "django-admission-tmp-%lu", n);

    vol = cJSON_CreateObject();
    if (!vol || !put(vol, "name", cJSON_CreateString(tv->name)) ||
        !put(vol, "emptyDir", cJSON_CreateObject())) {
        cJSON_Delete(vol);
        return oom(d);
    }
    tv->added = true;
    if (!volumes) {
        cJSON *list = cJSON_CreateArray();
        if (!list || !cJSON_AddItemToArray(list, vol)) {
            cJSON_Delete(list);
            cJSON_Delete(vol);
            return oom(d);
        }
        tmp_volume_summary(&t, tv);
        return add_member(ctx->patch, ctx->pod_spec, "/spec/template/spec", "volumes", list, d,
                          &t);
    }
    if (!cJSON_IsArray(volumes)) {
        cJSON_Delete(vol);
        return diag_set(d, "/spec/template/spec/volumes", "volumes must be a list");
    }
    tmp_volume_summary(&t, tv);
    return append(ctx->patch, volumes, "/spec/template/spec/volumes", vol, d, &t);
}

static int read_only_one(const struct mutate_ctx *ctx, struct container_ref *c, void *arg,
                         struct diag *d)
{
    struct tmp_volume *tv = arg;
    cJSON *mounts, *mount;
    struct jsonptr ptr = c->ptr;
    struct text t;

    /* a value the user set, even false, is theirs: validation judges it */
    if (get(get(c->node, "securityContext"), "readOnlyRootFilesystem"))
        return 0;
    if (merge_add(ctx->patch, c->node, &c->ptr, "",
                  obj1("securityContext", obj1("readOnlyRootFilesystem", cJSON_CreateTrue())),
                  c->where, NULL, d) != 0)
        return -1;
    /* Django (file uploads, sessions) and gunicorn (worker heartbeat) write
     * to /tmp */
    if (mounts_tmp(c->node))
        return 0;
    mounts = get(c->node, "volumeMounts");
    if (mounts && !cJSON_IsArray(mounts))
        return 0;
    if (!tv->added && tmp_volume_add(ctx, tv, d) != 0)
        return -1;
    mount = cJSON_CreateObject();
    if (!mount || !put(mount, "name", cJSON_CreateString(tv->name)) ||
        !put(mount, "mountPath", cJSON_CreateString("/tmp"))) {
        cJSON_Delete(mount);
        return oom(d);
    }
    if (!mounts) {
        cJSON *list = cJSON_CreateArray();
        if (!list || !cJSON_AddItemToArray(list, mount)) {
            cJSON_Delete(list);
            cJSON_Delete(mount);
            return oom(d);
        }
        tmp_mount_summary(&t, tv, c);
        return add_member(ctx->patch, c->node, c->ptr.text, "volumeMounts", list, d, &t);
    }
    if (jsonptr_push_key(&ptr, "volumeMounts") != 0) {
        cJSON_Delete(mount);
        return ptr_too_long(c->ptr.text, d);
    }
    tmp_mount_summary(&t, tv, c);
    return append(ctx->patch, mounts, ptr.text, mount, d, &t);
}

/* see mutate.h */
int mutate_read_only_root_filesystem(const struct mutate_ctx *ctx, struct diag *d)
{
    struct tmp_volume tv;

    if (pod_is_windows(ctx))
        return 0;
    memset(&tv, 0, sizeof(tv));
    return each_container(ctx, read_only_one, &tv, d);
}

/* see mutate.h */
int mutate_prometheus_annotations(const struct mutate_ctx *ctx, struct diag *d)
{
    const struct policy *p = ctx->policy;
    cJSON *tmpl = get(get(ctx->object, "spec"), "template");
    const cJSON *have = get(get(tmpl, "metadata"), "annotations");
    size_t present = 0;
    cJSON *want;
    struct jsonptr ptr;

    if (!cJSON_IsObject(tmpl) || p->annotations_count == 0)
        return 0;
    /* every one there already (the common case once a Deployment has been
     * through here): nothing to build */
    while (present < p->annotations_count && present < POLICY_LIST_MAX &&
           get(have, p->annotations[present].key))
        present++;
    if (present == p->annotations_count)
        return 0;
    if (jsonptr_set(&ptr, "/spec/template") != 0)
        return ptr_too_long("", d);
    want = cJSON_CreateObject();
    if (!want)
        return oom(d);
    for (size_t i = 0; i < p->annotations_count && i < POLICY_LIST_MAX; i++) {
        const struct annotation *a = &p->annotations[i];
        /* a key listed twice in the policy is added once, first value */
        if (get(want, a->key))
            continue;
        if (!put_copy(want, a->key, cJSON_CreateString(a->value))) {
            cJSON_Delete(want);
            return oom(d);
        }
    }
    return merge_add(ctx->patch, tmpl, &ptr, "", obj1("metadata", obj1("annotations", want)),
                     "pod template", NULL, d);
}

/* maxSurge / maxUnavailable that is 0 or "0%" (an IntOrString) */
static bool int_or_string_zero(const cJSON *v)
{
    const char *s;

    if (cJSON_IsNumber(v))
        return v->valuedouble == 0;
    if (!cJSON_IsString(v))
        return false;
    s = v->valuestring;
    if (!*s)
        return false;
    while (*s == '0')
        s++;
    return s != v->valuestring && (*s == '\0' || (s[0] == '%' && s[1] == '\0'));
}

/* see mutate.h */
int mutate_strategy(const struct mutate_ctx *ctx, struct diag *d)
{
    const struct policy *p = ctx->policy;
    cJSON *spec = get(ctx->object, "spec");
    cJSON *strategy = get(spec, "strategy");
    cJSON *type = get(strategy, "type");
    cJSON *ru = get(strategy, "rollingUpdate");
    cJSON *surge = get(ru, "maxSurge");
    cJSON *unavailable = get(ru, "maxUnavailable");
    bool add_surge = !surge, add_unavailable = !unavailable;
    bool surge_zero = surge ? int_or_string_zero(surge) : p->max_surge == 0;
    bool unavailable_zero = unavailable ? int_or_string_zero(unavailable) : p->max_unavailable == 0;
    cJSON *fields, *want;
    struct jsonptr ptr;

    if (!cJSON_IsObject(spec) || (strategy && !cJSON_IsObject(strategy)) ||
        (ru && !cJSON_IsObject(ru)))
        return 0;
    /* Recreate (or anything else the user chose) is left alone */
    if (type && !(cJSON_IsString(type) && strcmp(type->valuestring, "RollingUpdate") == 0))
        return 0;
    /* the API server refuses maxSurge and maxUnavailable both 0: never add
     * the second zero */
    if (surge_zero && unavailable_zero) {
        if (add_unavailable)
            add_unavailable = false;
        else
            add_surge = false;
    }
    if (!add_surge && !add_unavailable)
        return 0;
    fields = cJSON_CreateObject();
    if (!fields || (add_surge && !put(fields, "maxSurge", cJSON_CreateNumber(p->max_surge))) ||
        (add_unavailable &&
         !put(fields, "maxUnavailable", cJSON_CreateNumber(p->max_unavailable)))) {
        cJSON_Delete(fields);
        return oom(d);
    }
    want = cJSON_CreateObject();
    if (!want || (!strategy && !put(want, "type", cJSON_CreateString("RollingUpdate")))) {
        cJSON_Delete(fields);
        cJSON_Delete(want);
        return oom(d);
    }
    /* put takes fields in every case */
    if (!put(want, "rollingUpdate", fields)) {
        cJSON_Delete(want);
        return oom(d);
    }
    if (jsonptr_set(&ptr, "/spec") != 0) {
        cJSON_Delete(want);
        return ptr_too_long("", d);
    }
    if (!strategy) {
        /* "added strategy RollingUpdate (maxSurge 1, maxUnavailable 0)" */
        struct text t;

        text_init(&t);
        text_add(&t, "added strategy RollingUpdate (");
        if (add_surge) {
            text_add(&t, "maxSurge ");
            text_add_int(&t, p->max_surge);
        }
        if (add_unavailable) {
            text_add(&t, add_surge ? ", maxUnavailable " : "maxUnavailable ");
            text_add_int(&t, p->max_unavailable);
        }
        text_add(&t, ")");
        return merge_add(ctx->patch, spec, &ptr, "", obj1("strategy", want), "Deployment", t.buf,
                         d);
    }
    return merge_add(ctx->patch, spec, &ptr, "", obj1("strategy", want), "Deployment", NULL, d);
}

static bool has_members(const cJSON *o)
{
    return cJSON_IsObject(o) && o->child;
}

/* see mutate.h */
int mutate_pod_anti_affinity(const struct mutate_ctx *ctx, struct diag *d)
{
    const struct policy *p = ctx->policy;
    cJSON *spec = get(ctx->object, "spec");
    const cJSON *labels = get(get(spec, "selector"), "matchLabels");
    cJSON *affinity = get(ctx->pod_spec, "affinity");
    cJSON *term, *sel, *pat, *list;
    struct text t;
    struct jsonptr ptr;

    if ((affinity && !cJSON_IsObject(affinity)) || get(affinity, "podAntiAffinity"))
        return 0;
    /* select the Deployment's own pods: its selector, else its template
     * labels; with neither there is nothing to spread */
    if (!has_members(labels))
        labels = get(get(get(spec, "template"), "metadata"), "labels");
    if (!has_members(labels))
        return 0;

    sel = obj1("matchLabels", cJSON_Duplicate(labels, true));
    pat = sel ? cJSON_CreateObject() : NULL;
    if (!pat || !put(pat, "labelSelector", sel)) {
        if (!pat)
            cJSON_Delete(sel);
        cJSON_Delete(pat);
        return oom(d);
    }
    if (!put(pat, "topologyKey", cJSON_CreateString(p->anti_affinity_topology_key))) {
        cJSON_Delete(pat);
        return oom(d);
    }
    term = cJSON_CreateObject();
    if (!term || !put(term, "weight", cJSON_CreateNumber(p->anti_affinity_weight))) {
        cJSON_Delete(term);
        cJSON_Delete(pat);
        return oom(d);
    }
    if (!put(term, "podAffinityTerm", pat)) {
        cJSON_Delete(term);
        return oom(d);
    }
    list = cJSON_CreateArray();
    if (!list || !cJSON_AddItemToArray(list, term)) {
        cJSON_Delete(list);
        cJSON_Delete(term);
        return oom(d);
    }
    if (jsonptr_set(&ptr, "/spec/template/spec") != 0) {
        cJSON_Delete(list);
        return ptr_too_long("", d);
    }
    text_init(&t);
    text_add(&t, "added preferred pod anti-affinity on ");
    text_add(&t, p->anti_affinity_topology_key);
    text_add(&t, " (weight ");
    text_add_int(&t, p->anti_affinity_weight);
    text_add(&t, ")");
    return merge_add(ctx->patch, ctx->pod_spec, &ptr, "",
                     obj1("affinity",
                          obj1("podAntiAffinity",
                               obj1("preferredDuringSchedulingIgnoredDuringExecution", list))),
                     "pod", t.buf, d);
}
