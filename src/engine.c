#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "jsonptr.h"
#include "patch.h"
#include "rules.h"
#include "selector.h"
#include "text.h"

/* The views every rule works on, resolved once by engine_structure. */
struct views {
    const cJSON *pod_spec;
    const cJSON *containers;
    size_t main_index;
};

/* Pointer text for base + "/" + escaped key; -1 with d filled if too long. */
static int child_ptr(struct jsonptr *out, const char *base, const char *key, struct diag *d)
{
    if (jsonptr_set(out, base) != 0 || jsonptr_push_key(out, key) != 0)
        return diag_set(d, base, "JSON pointer too long below this value");
    return 0;
}

/* An optional member must be absent or an object. A null is an error, not
 * "absent": mutation could only add over it by replacing it, which it never
 * does, so the developer is told to remove the key or fill it in. */
static int optional_object(const cJSON *parent, const char *base, const char *key,
                           const char *what, const cJSON **out, struct diag *d)
{
    const cJSON *item = jsonget(parent, key);
    struct jsonptr ptr;

    if (out)
        *out = item;
    if (!item || cJSON_IsObject(item))
        return 0;
    if (child_ptr(&ptr, base, key, d) != 0)
        return -1;
    return diag_set(d, ptr.text, "%s must be an object, got %s", what, text_json_type(item));
}

static int required_object(const cJSON *parent, const char *base, const char *key,
                           const char *what, const cJSON **out, struct diag *d)
{
    struct jsonptr ptr;

    if (optional_object(parent, base, key, what, out, d) != 0)
        return -1;
    if (*out)
        return 0;
    if (child_ptr(&ptr, base, key, d) != 0)
        return -1;
    return diag_set(d, ptr.text, "%s is required", what);
}

/* metadata (if present) and its labels and annotations (if present) are
 * objects; on the Deployment (`exemptions`) the exemption annotation (if
 * present) is a string. */
static int check_metadata(const cJSON *parent, const char *base, const char *what,
                          bool exemptions, struct diag *d)
{
    const cJSON *meta, *annotations, *exempt;
    struct jsonptr ptr;

    if (optional_object(parent, base, "metadata", what, &meta, d) != 0)
        return -1;
    if (!meta)
        return 0;
    if (child_ptr(&ptr, base, "metadata", d) != 0)
        return -1;
    if (optional_object(meta, ptr.text, "labels", "labels", NULL, d) != 0 ||
        optional_object(meta, ptr.text, "annotations", "annotations", &annotations, d) != 0)
        return -1;
    exempt = exemptions ? jsonget(annotations, ENGINE_EXEMPT_ANNOTATION)
                        : NULL;
    if (!exempt || cJSON_IsString(exempt))
        return 0;
    if (jsonptr_push_key(&ptr, "annotations") != 0 ||
        jsonptr_push_key(&ptr, ENGINE_EXEMPT_ANNOTATION) != 0)
        return diag_set(d, base, "JSON pointer too long below this value");
    return diag_set(d, ptr.text,
                    "annotation %s must be a string (a comma-separated list of rule ids), got %s",
                    ENGINE_EXEMPT_ANNOTATION, text_json_type(exempt));
}

/* Every member of a container the rules read, with the type Kubernetes
 * gives it; one pass over the container's members (a lookup per field
 * would walk them eight times). Only the first member of a name counts,
 * as in every lookup the rules make. */
static int check_container(const cJSON *c, const char *ptr, struct diag *d)
{
    static const char *const fields[] = {"securityContext", "resources",   "livenessProbe",
                                         "readinessProbe",  "startupProbe", "env",
                                         "ports",           "volumeMounts"};
    /* fields[i] for i below this are objects, the rest lists */
    const size_t objects = 5;
    unsigned seen = 0;
    const cJSON *m;

    cJSON_ArrayForEach(m, c) {
        for (size_t i = 0; m->string && i < sizeof(fields) / sizeof(fields[0]); i++) {
            bool ok;
            struct jsonptr mptr;

            if (m->string[0] != fields[i][0] || strcmp(m->string, fields[i]) != 0)
                continue;
            if (seen & (1u << i))
                break;
            seen |= 1u << i;
            ok = i < objects ? cJSON_IsObject(m) : cJSON_IsArray(m);
            if (ok)
                break;
            if (child_ptr(&mptr, ptr, fields[i], d) != 0)
                return -1;
            return diag_set(d, mptr.text, "%s must be %s, got %s", fields[i],
                            i < objects ? "an object" : "a list", text_json_type(m));
        }
    }
    return 0;
}

/* A list of containers: every element an object, each well-typed. */
static int check_container_list(const cJSON *list, const char *ptr, struct diag *d)
{
    const cJSON *c;
    size_t i = 0;
    struct jsonptr cptr;

    cJSON_ArrayForEach(c, list) {
        if (jsonptr_set(&cptr, ptr) != 0 || jsonptr_push_index(&cptr, i) != 0)
            return diag_set(d, ptr, "JSON pointer too long below this value");
        if (!cJSON_IsObject(c))
            return diag_set(d, cptr.text, "a container must be an object, got %s", text_json_type(c));
        if (check_container(c, cptr.text, d) != 0)
            return -1;
        i++;
    }
    return 0;
}

/* The shape every rule relies on, so that no rule has to re-check it:
 *   spec                        object, required
 *   spec.template               object, required
 *   spec.template.spec          object, required
 *   containers                  non-empty list of objects
 *   initContainers, volumes     lists of objects when present
 *   securityContext (pod)       object when present
 *   metadata, labels, annotations (Deployment and template) objects when present
 *   each container's securityContext, resources, probes (objects) and env,
 *   ports, volumeMounts (lists) when present.
 * Fills v with views into object. */
static int engine_structure(const struct policy *p, const cJSON *object, struct views *v,
                            struct diag *d)
{
    const cJSON *spec, *tmpl, *pod, *containers, *inits, *volumes, *c;
    size_t i;

    if (!cJSON_IsObject(object))
        return diag_set(d, "", "a Deployment must be an object, got %s", text_json_type(object));
    if (check_metadata(object, "", "metadata", true, d) != 0)
        return -1;
    if (required_object(object, "", "spec", "spec", &spec, d) != 0 ||
        required_object(spec, "/spec", "template", "spec.template", &tmpl, d) != 0 ||
        check_metadata(tmpl, "/spec/template", "spec.template.metadata", false, d) != 0 ||
        required_object(tmpl, "/spec/template", "spec", "spec.template.spec", &pod, d) != 0 ||
        optional_object(pod, "/spec/template/spec", "securityContext", "securityContext", NULL,
                        d) != 0)
        return -1;

    containers = jsonget(pod, "containers");
    if (!containers)
        return diag_set(d, "/spec/template/spec/containers", "containers is required");
    if (!cJSON_IsArray(containers))
        return diag_set(d, "/spec/template/spec/containers",
                        "containers must be a list of containers, got %s", text_json_type(containers));
    if (cJSON_GetArraySize(containers) == 0)
        return diag_set(d, "/spec/template/spec/containers",
                        "containers must list at least one container");
    if (check_container_list(containers, "/spec/template/spec/containers", d) != 0)
        return -1;

    inits = jsonget(pod, "initContainers");
    if (inits && !cJSON_IsArray(inits))
        return diag_set(d, "/spec/template/spec/initContainers",
                        "initContainers must be a list of containers, got %s", text_json_type(inits));
    if (inits && check_container_list(inits, "/spec/template/spec/initContainers", d) != 0)
        return -1;

    volumes = jsonget(pod, "volumes");
    if (volumes && !cJSON_IsArray(volumes))
        return diag_set(d, "/spec/template/spec/volumes", "volumes must be a list, got %s",
                        text_json_type(volumes));
    i = 0;
    cJSON_ArrayForEach(c, volumes) {
        char vptr[64];
        if (!cJSON_IsObject(c)) {
            snprintf(vptr, sizeof(vptr), "/spec/template/spec/volumes/%zu", i);
            return diag_set(d, vptr, "a volume must be an object, got %s", text_json_type(c));
        }
        i++;
    }

    v->pod_spec = pod;
    v->containers = containers;
    v->main_index = 0;
    i = 0;
    cJSON_ArrayForEach(c, containers) {
        const cJSON *name = jsonget(c, "name");
        if (p->main_container[0] && cJSON_IsString(name) &&
            strcmp(name->valuestring, p->main_container) == 0) {
            v->main_index = i;
            break;
        }
        i++;
    }
    return 0;
}

/* Reads the exemption annotation of a Deployment already through
 * engine_structure:
 *   list ::= item ( "," item )*      item ::= spaces name spaces | spaces
 * Empty items are ignored. A listed rule is exempt only when the policy lets
 * it be; a listed rule it does not is refused (and stays enforced); names
 * that are no rule id are counted. f may be NULL (mutation reports
 * nothing). */
static void engine_exemptions(const struct policy *p, const cJSON *object, bool exempt[RULE_COUNT],
                              struct findings *f)
{
    const cJSON *meta = jsonget(object, "metadata");
    const cJSON *ann = jsonget(meta, "annotations");
    const cJSON *list = jsonget(ann, ENGINE_EXEMPT_ANNOTATION);
    const char *s;

    memset(exempt, 0, sizeof(bool) * RULE_COUNT);
    if (!cJSON_IsString(list))
        return;
    s = list->valuestring;
    while (*s) {
        const char *end = strchr(s, ',');
        const char *next;
        enum rule_id id;

        if (!end)
            end = s + strlen(s);
        next = *end ? end + 1 : end;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end > s) {
            if (rules_find(s, (size_t)(end - s), &id) != 0) {
                if (f)
                    f->unknown_exemptions++;
            } else if (p->rules[id].exemptable) {
                exempt[id] = true;
            } else if (f) {
                f->refused[id] = true;
            }
        }
        s = next;
    }
}

/* see engine.h */
bool engine_selects(const struct policy *p, const cJSON *object)
{
    const cJSON *api = jsonget(object, "apiVersion");
    const cJSON *kind = jsonget(object, "kind");
    const cJSON *meta, *spec, *tmpl, *tmeta;

    if (!cJSON_IsObject(object) || !cJSON_IsString(api) || !cJSON_IsString(kind) ||
        strcmp(api->valuestring, "apps/v1") != 0 || strcmp(kind->valuestring, "Deployment") != 0)
        return false;
    /* labels that are absent (or not an object) are no labels: a selector
     * of only DoesNotExist / NotIn terms, or the empty one, still matches */
    meta = jsonget(object, "metadata");
    if (selector_matches(&p->selector,
                         cJSON_IsObject(meta) ? jsonget(meta, "labels")
                                              : NULL))
        return true;
    spec = jsonget(object, "spec");
    tmpl = cJSON_IsObject(spec) ? jsonget(spec, "template") : NULL;
    tmeta = cJSON_IsObject(tmpl) ? jsonget(tmpl, "metadata") : NULL;
    return selector_matches(&p->selector, cJSON_IsObject(tmeta)
                                              ? jsonget(tmeta, "labels")
                                              : NULL);
}

/* Runs the mutate function of every rule that is on and not exempt over the
 * patch's working copy (which has the shape engine_structure checked, so v
 * holds for it too), and hands the ops and summaries to out. Frees pt in
 * every case. */
static int mutate_run(const struct policy *p, const struct views *v, const bool exempt[RULE_COUNT],
                      struct patch *pt, struct mutation *out, struct diag *d)
{
    struct mutate_ctx ctx;
    cJSON *tmpl;

    /* the same views, in the working copy the mutate functions extend */
    tmpl = jsonget(jsonget(pt->doc, "spec"),
                                            "template");
    ctx.policy = p;
    ctx.object = pt->doc;
    ctx.pod_spec = jsonget(tmpl, "spec");
    ctx.containers = jsonget(ctx.pod_spec, "containers");
    ctx.main_index = v->main_index;
    ctx.patch = pt;
    if (!cJSON_IsObject(ctx.pod_spec) || !cJSON_IsArray(ctx.containers)) {
        diag_set(d, "/spec/template/spec", "working copy differs from the object");
        goto fail;
    }

    for (size_t i = 0; i < RULE_COUNT; i++) {
        const struct rule *r = rules_get((enum rule_id)i);
        if (!r->mutate || exempt[i] || policy_action(p, r->id) == RULE_OFF)
            continue;
        if (r->mutate(&ctx, d) != 0)
            goto fail;
    }

    out->ops = patch_take_ops(pt);
    out->ops_json = patch_take_text(pt, &out->ops_json_len);
    out->result = patch_take_doc(pt);
    /* the summaries pass to the mutation as they are */
    out->summaries = pt->summaries;
    out->count = pt->count;
    pt->summaries = NULL;
    pt->count = 0;
    pt->cap = 0;
    patch_free(pt);
    if (!out->ops_json) {
        mutation_free(out);
        return diag_set(d, NULL, "out of memory finishing the patch");
    }
    return 0;

fail:
    patch_free(pt);
    return -1;
}

/* engine_mutate over a copy of object, or, when doc is not NULL (it is
 * object), engine_mutate_in_place over doc itself. */
static int mutate_object(const struct policy *p, const cJSON *object, cJSON *doc,
                         struct mutation *out, struct diag *d)
{
    struct views v;
    struct patch pt;
    bool exempt[RULE_COUNT];

    memset(out, 0, sizeof(*out));
    if (engine_structure(p, object, &v, d) != 0)
        return -1;
    engine_exemptions(p, object, exempt, NULL);
    if ((doc ? patch_begin_in_place(&pt, doc, d) : patch_begin(&pt, object, d)) != 0)
        return -1;
    return mutate_run(p, &v, exempt, &pt, out, d);
}

/* see engine.h */
int engine_mutate(const struct policy *p, const cJSON *object, struct mutation *out,
                  struct diag *d)
{
    if (mutate_object(p, object, NULL, out, d) != 0)
        return -1;
    if (!out->result || !out->ops) {
        mutation_free(out);
        return diag_set(d, NULL, "out of memory finishing the patch");
    }
    return 0;
}

/* see engine.h */
int engine_mutate_in_place(const struct policy *p, cJSON *object, struct mutation *out,
                           struct diag *d)
{
    return mutate_object(p, object, object, out, d);
}

/* see engine.h */
void mutation_free(struct mutation *m)
{
    if (!m)
        return;
    cJSON_Delete(m->result);
    cJSON_Delete(m->ops);
    free(m->ops_json);
    for (size_t i = 0; i < m->count; i++)
        free(m->summaries[i]);
    free(m->summaries);
    memset(m, 0, sizeof(*m));
}

/* see engine.h */
int engine_validate(const struct policy *p, const cJSON *object, struct findings *out,
                    struct diag *d)
{
    struct views v;
    struct check_ctx ctx;
    bool exempt[RULE_COUNT];

    if (engine_structure(p, object, &v, d) != 0)
        return -1;
    engine_exemptions(p, object, exempt, out);
    ctx.policy = p;
    ctx.object = object;
    ctx.pod_spec = v.pod_spec;
    ctx.containers = v.containers;
    ctx.main_index = v.main_index;

    for (size_t i = 0; i < RULE_COUNT; i++) {
        const struct rule *r = rules_get((enum rule_id)i);
        enum rule_action action = policy_action(p, r->id);
        size_t start = out->count;

        if (!r->check || action == RULE_OFF)
            continue;
        if (exempt[i]) {
            /* run it anyway, into a scratch list, only to learn whether the
             * exemption suppressed something: every exemption used is
             * reported */
            struct findings scratch;
            int rc;

            findings_init(&scratch);
            ctx.out = &scratch;
            rc = r->check(&ctx, r->id, d);
            if (rc == 0 && (scratch.count > 0 || scratch.dropped > 0))
                out->used[i] = true;
            findings_free(&scratch);
            if (rc != 0)
                return -1;
            continue;
        }
        ctx.out = out;
        if (r->check(&ctx, r->id, d) != 0)
            return -1;
        for (size_t k = start; k < out->count; k++)
            out->items[k].action = action;
    }
    return 0;
}

/* see engine.h */
int engine_validate_scale(const struct policy *p, const cJSON *scale, bool *selected,
                          struct findings *out, struct diag *d)
{
    const cJSON *spec, *replicas, *status, *text;
    struct selector labels;
    double n;
    long long count = 0;
    size_t start;

    *selected = false;
    if (!cJSON_IsObject(scale))
        return diag_set(d, "", "a Scale must be an object, got %s", text_json_type(scale));
    if (optional_object(scale, "", "spec", "spec", &spec, d) != 0 ||
        optional_object(scale, "", "status", "status", &status, d) != 0)
        return -1;
    /* autoscaling/v1 Scale: an absent spec.replicas is 0 (omitempty) */
    replicas = jsonget(spec, "replicas");
    if (replicas) {
        if (!cJSON_IsNumber(replicas))
            return diag_set(d, "/spec/replicas", "replicas must be an integer, got %s",
                            text_json_type(replicas));
        n = replicas->valuedouble;
        /* the range test first: the cast is only defined inside it */
        if (!(n >= -2147483648.0 && n <= 2147483647.0) || (double)(long long)n != n)
            return diag_set(d, "/spec/replicas", "replicas must be a 32-bit integer, got %g", n);
        count = (long long)n;
    }

    text = jsonget(status, "selector");
    if (text && !cJSON_IsString(text))
        return diag_set(d, "/status/selector", "status.selector must be a string, got %s",
                        text_json_type(text));
    if (!text || !text->valuestring[0])
        return 0;
    if (selector_parse_string(text->valuestring, &labels, d) != 0) {
        if (!d->pointer[0])
            snprintf(d->pointer, sizeof(d->pointer), "%s", "/status/selector");
        return -1;
    }
    *selected = selector_matches_selector(&p->selector, &labels);
    if (!*selected || policy_action(p, RULE_REPLICAS_MINIMUM) == RULE_OFF)
        return 0;
    if (count >= p->replicas_minimum)
        return 0;
    start = out->count;
    if (findings_add(out, RULE_REPLICAS_MINIMUM, NULL, "/spec/replicas", d,
                     "replicas is %lld, below the minimum of %d: scale to %d or more", count,
                     p->replicas_minimum, p->replicas_minimum) != 0)
        return -1;
    for (size_t k = start; k < out->count; k++)
        out->items[k].action = policy_action(p, RULE_REPLICAS_MINIMUM);
    return 0;
}
