/*
 * The policy document: layered over the built-in default (DESIGN.md,
 * "Default policy"). Every key is optional and changes only what it names;
 * unknown keys, duplicate keys, null and wrong types are errors. Errors name
 * the key path as an RFC 6901 pointer ("/probes/liveness/timeoutSeconds").
 *
 *   apiVersion: django-admission.io/v1     if present, exactly this
 *   kind: Policy                           if present, exactly this
 *   selector:                              replaces the default selector wholesale;
 *     matchLabels: {component: django}    Kubernetes LabelSelector, {} = everything
 *     matchExpressions: [{key: tier, operator: In, values: [web]}]
 *   mainContainer: django                  a container name (DNS-1123 label)
 *   rules:                                 by rule id (see rules.c); each value is
 *     replicas-minimum: enforce            the short form: enforce | warn | off
 *     image-tag: {action: warn, exemptable: false}     or the long form, both keys optional
 *   replicas: {default: 3, minimum: 3}     integers; default >= 1, minimum >= 0,
 *                                          default >= minimum
 *   probes:                                liveness, readiness, startup; each:
 *     liveness:
 *       path: /health/live/                httpGet path, starts with "/"
 *       port: 8000                         1..65535
 *       initialDelaySeconds: 30            >= 0
 *       periodSeconds: 10                  >= 1
 *       timeoutSeconds: 5                  >= 1, <= periodSeconds
 *       successThreshold: 1                >= 1; exactly 1 for liveness and startup
 *       failureThreshold: 3                >= 1
 *       ranges:                            what validation accepts, inclusive;
 *         periodSeconds: {min: 5, max: 60} same keys and lower bounds as above,
 *                                          min <= max, each default inside its range
 *   resources:                             quantities: strings ("500m", "1Gi") or
 *     requests: {cpu: 500m, memory: 512Mi} JSON numbers (2 -> "2", 0.5 -> "0.5": a
 *     limits:   {cpu: 1000m, memory: 1Gi}  number is kept as its plain decimal text);
 *     maximum:  {cpu: "4", memory: 4Gi}    not negative; requests <= limits <= maximum
 *   securityContext:
 *     runAsUser: 1000                      1..2147483647 (0 is root: refused)
 *     seccompProfile: RuntimeDefault       RuntimeDefault only (what mutation adds)
 *     allowedCapabilities: [NET_BIND_SERVICE]    replaces the list; [A-Z0-9_]+
 *   annotations:                           replaces the default set wholesale; keys
 *     prometheus.io/scrape: "true"         are annotation keys, values must be strings
 *   strategy: {maxSurge: 1, maxUnavailable: 0}   integers >= 0, not both 0
 *   antiAffinity: {topologyKey: kubernetes.io/hostname, weight: 100}   weight 1..100
 *   secretEnvPatterns: [PASSWORD, SECRET, TOKEN, API_KEY]   replaces the list
 *
 * Strings are at most POLICY_STRING_MAX - 1 bytes and lists at most
 * POLICY_LIST_MAX entries: longer input is an error, never truncated.
 */
#include "policy.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonptr.h"
#include "text.h"

#define POLICY_API_VERSION "django-admission.io/v1"
#define POLICY_KIND "Policy"
/* a buffer for a quoted user string */
#define QUOTE_BUF TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)
/* keys longer than this get no "did you mean" */
#define SUGGEST_MAX 64

/* ---------------------------------------------------------------------- */
/* the default */

static const char *const probe_names[PROBE_COUNT] = {"liveness", "readiness", "startup"};

/* The five timing fields of a probe, with the lowest value Kubernetes
 * accepts for each (core/v1 validation: delay >= 0, the rest >= 1). */
static const struct probe_field {
    const char *name;
    size_t value;
    size_t range;
    int lowest;
} probe_fields[] = {
    {"initialDelaySeconds", offsetof(struct probe_policy, initial_delay_seconds),
     offsetof(struct probe_policy, initial_delay_range), 0},
    {"periodSeconds", offsetof(struct probe_policy, period_seconds),
     offsetof(struct probe_policy, period_range), 1},
    {"timeoutSeconds", offsetof(struct probe_policy, timeout_seconds),
     offsetof(struct probe_policy, timeout_range), 1},
    {"successThreshold", offsetof(struct probe_policy, success_threshold),
     offsetof(struct probe_policy, success_range), 1},
    {"failureThreshold", offsetof(struct probe_policy, failure_threshold),
     offsetof(struct probe_policy, failure_range), 1},
};
#define PROBE_FIELDS (sizeof(probe_fields) / sizeof(probe_fields[0]))

static int *field_value(struct probe_policy *pp, const struct probe_field *f)
{
    return (int *)(void *)((char *)pp + f->value);
}

static struct int_range *field_range(struct probe_policy *pp, const struct probe_field *f)
{
    return (struct int_range *)(void *)((char *)pp + f->range);
}

static const int *field_value_c(const struct probe_policy *pp, const struct probe_field *f)
{
    return (const int *)(const void *)((const char *)pp + f->value);
}

static const struct int_range *field_range_c(const struct probe_policy *pp,
                                             const struct probe_field *f)
{
    return (const struct int_range *)(const void *)((const char *)pp + f->range);
}

static void set_probe(struct probe_policy *pp, const char *path, const int values[5],
                      const int ranges[5][2])
{
    snprintf(pp->path, sizeof(pp->path), "%s", path);
    pp->port = 8000;
    for (size_t i = 0; i < PROBE_FIELDS; i++) {
        *field_value(pp, &probe_fields[i]) = values[i];
        field_range(pp, &probe_fields[i])->min = ranges[i][0];
        field_range(pp, &probe_fields[i])->max = ranges[i][1];
    }
}

/* The default quantities are literals known to parse; a failure here would
 * be a bug in quantity.c, and leaves a zero value. */
static void set_pair(struct resource_pair *r, const char *cpu, const char *memory)
{
    struct diag d;

    snprintf(r->cpu_text, sizeof(r->cpu_text), "%s", cpu);
    snprintf(r->memory_text, sizeof(r->memory_text), "%s", memory);
    (void)quantity_parse(cpu, strlen(cpu), &r->cpu, NULL, &d);
    (void)quantity_parse(memory, strlen(memory), &r->memory, NULL, &d);
}

/* see policy.h */
void policy_default(struct policy *p)
{
    /* initialDelay, period, timeout, success, failure (seed spec) */
    static const int live[5] = {30, 10, 5, 1, 3};
    static const int ready[5] = {15, 5, 3, 1, 2};
    static const int start[5] = {0, 10, 5, 1, 30};
    static const int live_ranges[5][2] = {{0, 300}, {5, 60}, {1, 30}, {1, 1}, {1, 10}};
    static const int ready_ranges[5][2] = {{0, 300}, {1, 60}, {1, 30}, {1, 10}, {1, 10}};
    static const int start_ranges[5][2] = {{0, 300}, {1, 60}, {1, 30}, {1, 1}, {1, 60}};
    static const char *const annotations[][2] = {
        {"prometheus.io/scrape", "true"},
        {"prometheus.io/port", "8000"},
        {"prometheus.io/path", "/metrics"},
    };
    static const char *const patterns[] = {"PASSWORD", "SECRET", "TOKEN", "API_KEY"};

    memset(p, 0, sizeof(*p));

    p->selector.count = 1;
    snprintf(p->selector.terms[0].key, sizeof(p->selector.terms[0].key), "component");
    p->selector.terms[0].op = SELECTOR_IN;
    snprintf(p->selector.terms[0].values[0], sizeof(p->selector.terms[0].values[0]), "django");
    p->selector.terms[0].values_count = 1;
    snprintf(p->main_container, sizeof(p->main_container), "django");

    for (size_t i = 0; i < RULE_COUNT; i++) {
        const struct rule *r = rules_get((enum rule_id)i);
        p->rules[i].action = r->default_action;
        p->rules[i].exemptable = r->default_exemptable;
    }

    p->replicas = 3;
    p->replicas_minimum = 3;

    set_probe(&p->probes[PROBE_LIVENESS], "/health/live/", live, live_ranges);
    set_probe(&p->probes[PROBE_READINESS], "/health/ready/", ready, ready_ranges);
    set_probe(&p->probes[PROBE_STARTUP], "/health/startup/", start, start_ranges);

    set_pair(&p->requests, "500m", "512Mi");
    set_pair(&p->limits, "1000m", "1Gi");
    set_pair(&p->limits_maximum, "4", "4Gi");

    p->run_as_user = 1000;
    snprintf(p->seccomp_profile, sizeof(p->seccomp_profile), "RuntimeDefault");
    snprintf(p->allowed_capabilities[0], sizeof(p->allowed_capabilities[0]), "NET_BIND_SERVICE");
    p->allowed_capabilities_count = 1;

    for (size_t i = 0; i < sizeof(annotations) / sizeof(annotations[0]); i++) {
        snprintf(p->annotations[i].key, sizeof(p->annotations[i].key), "%s", annotations[i][0]);
        snprintf(p->annotations[i].value, sizeof(p->annotations[i].value), "%s",
                 annotations[i][1]);
    }
    p->annotations_count = sizeof(annotations) / sizeof(annotations[0]);

    p->max_surge = 1;
    p->max_unavailable = 0;

    snprintf(p->anti_affinity_topology_key, sizeof(p->anti_affinity_topology_key),
             "kubernetes.io/hostname");
    p->anti_affinity_weight = 100;

    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
        snprintf(p->secret_env_patterns[i], sizeof(p->secret_env_patterns[i]), "%s",
                 patterns[i]);
    p->secret_env_patterns_count = sizeof(patterns) / sizeof(patterns[0]);
}

/* see policy.h */
enum rule_action policy_action(const struct policy *p, enum rule_id id)
{
    if ((size_t)id >= RULE_COUNT)
        return RULE_OFF;
    return p->rules[id].action;
}

/* ---------------------------------------------------------------------- */
/* messages */

/* s as a quoted, bounded message string (see text_quote) */
static const char *quote_str(const char *s, char *out, size_t cap)
{
    return text_quote(s, strlen(s), TEXT_QUOTE_MAX, out, cap);
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Levenshtein distance, ASCII case folded; both strings <= SUGGEST_MAX. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t row[SUGGEST_MAX + 1];

    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (lower(a[i - 1]) != lower(b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* True when needle (>= 4 bytes) occurs in hay, ASCII case folded. */
static bool contains_folded(const char *hay, size_t lh, const char *needle, size_t ln)
{
    if (ln < 4 || ln > lh)
        return false;
    for (size_t i = 0; i + ln <= lh; i++) {
        size_t k = 0;
        while (k < ln && lower(hay[i + k]) == lower(needle[k]))
            k++;
        if (k == ln)
            return true;
    }
    return false;
}

/* The candidate a mistyped key most likely meant: same letters in another
 * case, within two edits, or one containing the other ("timeout" for
 * "timeoutSeconds"). NULL when nothing is close. */
static const char *suggest(const char *key, const char *const cands[], size_t n)
{
    size_t lk = strlen(key), best_score = SIZE_MAX;
    const char *best = NULL;

    if (lk == 0 || lk > SUGGEST_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t lc = strlen(cands[i]), score = SIZE_MAX;
        if (lc <= SUGGEST_MAX) {
            size_t dist = distance(key, lk, cands[i], lc);
            if (dist <= 2 && dist < lc)
                score = dist;
        }
        if (score == SIZE_MAX &&
            (contains_folded(cands[i], lc, key, lk) || contains_folded(key, lk, cands[i], lc)))
            score = 3;
        if (score < best_score) {
            best_score = score;
            best = cands[i];
        }
    }
    return best;
}

/* An integral v as an integer, else the shortest "%g" text that reads
 * back as v. */
static void format_double(double v, char *buf, size_t cap)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* ---------------------------------------------------------------------- */
/* walking the document */

struct walk {
    /* the key path of the value being read */
    struct jsonptr ptr;
    struct diag *d;
};

static int fail(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct walk *w, const char *fmt, ...)
{
    char msg[DIAG_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return diag_set(w->d, w->ptr.text, "%s", msg);
}

static int enter(struct walk *w, const char *key)
{
    if (jsonptr_push_key(&w->ptr, key) < 0)
        return fail(w, "key path is longer than %d bytes", JSONPTR_MAX - 1);
    return 0;
}

/* For errors about a key itself: names the key when the path has room,
 * else leaves the parent as the place. */
static void enter_for_error(struct walk *w, const char *key)
{
    (void)jsonptr_push_key(&w->ptr, key);
}

static int enter_index(struct walk *w, size_t i)
{
    if (jsonptr_push_index(&w->ptr, i) < 0)
        return fail(w, "key path is longer than %d bytes", JSONPTR_MAX - 1);
    return 0;
}

static void leave(struct walk *w)
{
    jsonptr_pop(&w->ptr);
}

static int type_error(struct walk *w, const char *expected, const cJSON *item)
{
    return fail(w, "expected %s, got %s", expected, text_json_type(item));
}

static int unknown_key(struct walk *w, const char *key, const char *const keys[], size_t n)
{
    char q[QUOTE_BUF], list[DIAG_MESSAGE_MAX / 2];
    const char *hint = suggest(key, keys, n);
    size_t used = 0;

    quote_str(key, q, sizeof(q));
    if (hint)
        return fail(w, "unknown key %s (did you mean \"%s\"?)", q, hint);
    list[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof(list); i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                                 keys[i]);
    return fail(w, "unknown key %s (expected %s)", q, list);
}

/* Checks that obj is an object whose keys are all in keys[0..n) and appear
 * once, and sets out[i] to the member named keys[i] (NULL when absent). */
static int members(struct walk *w, const cJSON *obj, const char *const keys[], size_t n,
                   const cJSON *out[])
{
    const cJSON *item;

    if (!cJSON_IsObject(obj))
        return type_error(w, "an object", obj);
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    cJSON_ArrayForEach(item, obj)
    {
        size_t i = 0;

        while (i < n && strcmp(keys[i], item->string) != 0)
            i++;
        if (i < n && !out[i]) {
            out[i] = item;
            continue;
        }
        enter_for_error(w, item->string);
        if (i == n)
            return unknown_key(w, item->string, keys, n);
        return fail(w, "duplicate key");
    }
    return 0;
}

/* An integral JSON number in [lo, hi]. */
static int get_int(struct walk *w, const cJSON *item, long long lo, long long hi, long long *out)
{
    char num[40];
    double v;

    if (!cJSON_IsNumber(item))
        return type_error(w, "an integer", item);
    v = item->valuedouble;
    if (!isfinite(v) || v != floor(v)) {
        format_double(v, num, sizeof(num));
        return fail(w, "expected an integer, got %s", num);
    }
    if (v < (double)lo || v > (double)hi) {
        format_double(v, num, sizeof(num));
        if (hi == INT32_MAX && v > (double)hi)
            return fail(w, "must be at most %lld (got %s)", hi, num);
        if (hi == INT32_MAX)
            return fail(w, "must be at least %lld (got %s)", lo, num);
        return fail(w, "must be between %lld and %lld (got %s)", lo, hi, num);
    }
    *out = (long long)v;
    return 0;
}

static int get_int_at(struct walk *w, const char *key, const cJSON *item, long long lo,
                      long long hi, int *out)
{
    long long v = 0;

    if (!item)
        return 0;
    if (enter(w, key) < 0 || get_int(w, item, lo, hi, &v) < 0)
        return -1;
    *out = (int)v;
    leave(w);
    return 0;
}

/* A string of at most cap - 1 bytes, copied into out. */
static int get_string(struct walk *w, const cJSON *item, char *out, size_t cap)
{
    size_t len;

    if (!cJSON_IsString(item))
        return type_error(w, "a string", item);
    len = strlen(item->valuestring);
    if (len >= cap)
        return fail(w, "string is too long (%zu bytes, at most %zu)", len, cap - 1);
    memcpy(out, item->valuestring, len + 1);
    return 0;
}

static bool is_dns_label(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* ---------------------------------------------------------------------- */
/* sections */

static int parse_fixed_string(struct walk *w, const cJSON *item, const char *want)
{
    char got[POLICY_STRING_MAX], q[QUOTE_BUF];

    if (get_string(w, item, got, sizeof(got)) < 0)
        return -1;
    if (strcmp(got, want) != 0)
        return fail(w, "must be \"%s\" (got %s)", want, quote_str(got, q, sizeof(q)));
    return 0;
}

static int parse_main_container(struct walk *w, const cJSON *item, struct policy *p)
{
    char name[POLICY_STRING_MAX], q[QUOTE_BUF];

    if (get_string(w, item, name, sizeof(name)) < 0)
        return -1;
    if (!is_dns_label(name))
        return fail(w,
                    "invalid container name %s: must be at most 63 lower case letters, digits "
                    "and '-', starting and ending with a letter or digit",
                    quote_str(name, q, sizeof(q)));
    memcpy(p->main_container, name, sizeof(name));
    return 0;
}

static int parse_action(struct walk *w, const cJSON *item, enum rule_action *out)
{
    static const char *const actions[] = {"enforce", "warn", "off"};
    char q[QUOTE_BUF];
    const char *hint;

    if (!cJSON_IsString(item))
        return type_error(w, "a string (enforce, warn or off)", item);
    if (rules_action_parse(item->valuestring, out) == 0)
        return 0;
    quote_str(item->valuestring, q, sizeof(q));
    hint = suggest(item->valuestring, actions, 3);
    if (hint)
        return fail(w, "unknown action %s (did you mean \"%s\"?)", q, hint);
    return fail(w, "unknown action %s (expected enforce, warn or off)", q);
}

static int parse_rule(struct walk *w, const cJSON *item, struct rule_setting *r)
{
    static const char *const keys[] = {"action", "exemptable"};
    const cJSON *v[2];

    if (cJSON_IsString(item))
        return parse_action(w, item, &r->action);
    /* YAML 1.1 reads an unquoted off as false */
    if (cJSON_IsFalse(item))
        return fail(w, "expected a string (enforce, warn or off) or an object, got boolean "
                       "(quote it: \"off\")");
    if (!cJSON_IsObject(item))
        return type_error(w, "a string (enforce, warn or off) or an object", item);
    if (members(w, item, keys, 2, v) < 0)
        return -1;
    if (v[0]) {
        if (enter(w, "action") < 0 || parse_action(w, v[0], &r->action) < 0)
            return -1;
        leave(w);
    }
    if (v[1]) {
        if (enter(w, "exemptable") < 0)
            return -1;
        if (!cJSON_IsBool(v[1]))
            return type_error(w, "a boolean", v[1]);
        r->exemptable = cJSON_IsTrue(v[1]);
        leave(w);
    }
    return 0;
}

static int parse_rules(struct walk *w, const cJSON *obj, struct policy *p)
{
    const char *names[RULE_COUNT];
    bool seen[RULE_COUNT] = {false};
    const cJSON *item;

    if (!cJSON_IsObject(obj))
        return type_error(w, "an object", obj);
    for (size_t i = 0; i < RULE_COUNT; i++)
        names[i] = rules_get((enum rule_id)i)->name;
    cJSON_ArrayForEach(item, obj)
    {
        enum rule_id id;

        if (rules_find(item->string, strlen(item->string), &id) < 0) {
            enter_for_error(w, item->string);
            char q[QUOTE_BUF];
            const char *hint = suggest(item->string, names, RULE_COUNT);
            quote_str(item->string, q, sizeof(q));
            if (hint)
                return fail(w, "unknown rule %s (did you mean \"%s\"?)", q, hint);
            return fail(w, "unknown rule %s (the README lists the rule ids)", q);
        }
        if (enter(w, item->string) < 0)
            return -1;
        if (seen[id])
            return fail(w, "duplicate key");
        seen[id] = true;
        if (parse_rule(w, item, &p->rules[id]) < 0)
            return -1;
        leave(w);
    }
    return 0;
}

static int parse_replicas(struct walk *w, const cJSON *obj, struct policy *p)
{
    static const char *const keys[] = {"default", "minimum"};
    const cJSON *v[2];

    if (members(w, obj, keys, 2, v) < 0)
        return -1;
    /* mutation adds `default` to Deployments without replicas: never 0 */
    if (get_int_at(w, "default", v[0], 1, INT32_MAX, &p->replicas) < 0 ||
        get_int_at(w, "minimum", v[1], 0, INT32_MAX, &p->replicas_minimum) < 0)
        return -1;
    return 0;
}

static int parse_range(struct walk *w, const cJSON *obj, int lowest, struct int_range *r)
{
    static const char *const keys[] = {"min", "max"};
    const cJSON *v[2];

    if (members(w, obj, keys, 2, v) < 0)
        return -1;
    if (get_int_at(w, "min", v[0], lowest, INT32_MAX, &r->min) < 0 ||
        get_int_at(w, "max", v[1], lowest, INT32_MAX, &r->max) < 0)
        return -1;
    return 0;
}

static int parse_ranges(struct walk *w, const cJSON *obj, struct probe_policy *pp)
{
    const char *keys[PROBE_FIELDS];
    const cJSON *v[PROBE_FIELDS];

    for (size_t i = 0; i < PROBE_FIELDS; i++)
        keys[i] = probe_fields[i].name;
    if (members(w, obj, keys, PROBE_FIELDS, v) < 0)
        return -1;
    for (size_t i = 0; i < PROBE_FIELDS; i++) {
        if (!v[i])
            continue;
        if (enter(w, keys[i]) < 0 ||
            parse_range(w, v[i], probe_fields[i].lowest, field_range(pp, &probe_fields[i])) < 0)
            return -1;
        leave(w);
    }
    return 0;
}

static int parse_probe(struct walk *w, const cJSON *obj, struct probe_policy *pp)
{
    /* path, port, the five fields, ranges */
    const char *keys[PROBE_FIELDS + 3];
    const cJSON *v[PROBE_FIELDS + 3];

    keys[0] = "path";
    keys[1] = "port";
    for (size_t i = 0; i < PROBE_FIELDS; i++)
        keys[2 + i] = probe_fields[i].name;
    keys[PROBE_FIELDS + 2] = "ranges";
    if (members(w, obj, keys, PROBE_FIELDS + 3, v) < 0)
        return -1;
    if (v[0]) {
        char path[POLICY_STRING_MAX], q[QUOTE_BUF];

        if (enter(w, "path") < 0 || get_string(w, v[0], path, sizeof(path)) < 0)
            return -1;
        if (path[0] != '/' || has_control(path) || strchr(path, ' '))
            return fail(w, "invalid path %s: must start with '/' and contain no spaces or "
                           "control characters",
                        quote_str(path, q, sizeof(q)));
        memcpy(pp->path, path, sizeof(path));
        leave(w);
    }
    if (get_int_at(w, "port", v[1], 1, 65535, &pp->port) < 0)
        return -1;
    for (size_t i = 0; i < PROBE_FIELDS; i++)
        if (get_int_at(w, keys[2 + i], v[2 + i], probe_fields[i].lowest, INT32_MAX,
                       field_value(pp, &probe_fields[i])) < 0)
            return -1;
    if (v[PROBE_FIELDS + 2]) {
        if (enter(w, "ranges") < 0 || parse_ranges(w, v[PROBE_FIELDS + 2], pp) < 0)
            return -1;
        leave(w);
    }
    return 0;
}

static int parse_probes(struct walk *w, const cJSON *obj, struct policy *p)
{
    const cJSON *v[PROBE_COUNT];

    if (members(w, obj, probe_names, PROBE_COUNT, v) < 0)
        return -1;
    for (size_t i = 0; i < PROBE_COUNT; i++) {
        if (!v[i])
            continue;
        if (enter(w, probe_names[i]) < 0 || parse_probe(w, v[i], &p->probes[i]) < 0)
            return -1;
        leave(w);
    }
    return 0;
}

/* Rewrites a message from quantity_parse so it reads `invalid quantity "X": why`. */
static int quantity_error(struct walk *w, const char *text)
{
    char msg[DIAG_MESSAGE_MAX], q[QUOTE_BUF];

    /* quantity_parse already named w->ptr.text as the pointer */
    if (strncmp(w->d->message, "invalid quantity", 16) == 0)
        return -1;
    snprintf(msg, sizeof(msg), "%s", w->d->message);
    return fail(w, "invalid quantity %s: %s", quote_str(text, q, sizeof(q)), msg);
}

/* A quantity given as a string (kept as written) or a JSON number (kept as
 * its plain decimal text, which Kubernetes reads back as the same value). */
static int get_quantity(struct walk *w, const cJSON *item, char text[QUANTITY_TEXT_MAX + 1],
                        struct quantity *out)
{
    char buf[DIAG_MESSAGE_MAX], q[QUOTE_BUF];
    struct quantity v;

    if (cJSON_IsString(item)) {
        size_t len = strlen(item->valuestring);
        if (len > QUANTITY_TEXT_MAX)
            return fail(w, "invalid quantity %s: longer than %d bytes",
                        quote_str(item->valuestring, q, sizeof(q)), QUANTITY_TEXT_MAX);
        if (quantity_parse(item->valuestring, len, &v, w->ptr.text, w->d) < 0)
            return quantity_error(w, item->valuestring);
        snprintf(buf, sizeof(buf), "%s", item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        char num[40];

        format_double(item->valuedouble, num, sizeof(num));
        quote_str(num, q, sizeof(q));
        if (!isfinite(item->valuedouble))
            return fail(w, "invalid quantity %s: not a finite number", q);
        if (quantity_parse(num, strlen(num), &v, w->ptr.text, w->d) < 0)
            return quantity_error(w, num);
        quantity_format(&v, buf, sizeof(buf));
        if (strlen(buf) > QUANTITY_TEXT_MAX)
            return fail(w, "invalid quantity %s: too large to write out in %d digits", q,
                        QUANTITY_TEXT_MAX);
    } else {
        return type_error(w, "a quantity (a string such as \"500m\" or a number)", item);
    }
    if (v.sign < 0)
        return fail(w, "invalid quantity %s: must not be negative", quote_str(buf, q, sizeof(q)));
    memcpy(text, buf, strlen(buf) + 1);
    *out = v;
    return 0;
}

static int parse_pair(struct walk *w, const cJSON *obj, struct resource_pair *r)
{
    static const char *const keys[] = {"cpu", "memory"};
    const cJSON *v[2];

    if (members(w, obj, keys, 2, v) < 0)
        return -1;
    if (v[0]) {
        if (enter(w, "cpu") < 0 || get_quantity(w, v[0], r->cpu_text, &r->cpu) < 0)
            return -1;
        leave(w);
    }
    if (v[1]) {
        if (enter(w, "memory") < 0 || get_quantity(w, v[1], r->memory_text, &r->memory) < 0)
            return -1;
        leave(w);
    }
    return 0;
}

static int parse_resources(struct walk *w, const cJSON *obj, struct policy *p)
{
    static const char *const keys[] = {"requests", "limits", "maximum"};
    struct resource_pair *pairs[] = {&p->requests, &p->limits, &p->limits_maximum};
    const cJSON *v[3];

    if (members(w, obj, keys, 3, v) < 0)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        if (!v[i])
            continue;
        if (enter(w, keys[i]) < 0 || parse_pair(w, v[i], pairs[i]) < 0)
            return -1;
        leave(w);
    }
    return 0;
}

static bool is_capability(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* A list of strings, each checked by ok (what it must be: `shape`), no
 * repeats, at most POLICY_LIST_MAX; replaces list[0..*count) on success. */
static int parse_string_list(struct walk *w, const cJSON *arr, bool (*ok)(const char *),
                             const char *shape, char list[][POLICY_STRING_MAX], size_t *count)
{
    char items[POLICY_LIST_MAX][POLICY_STRING_MAX];
    const cJSON *item;
    size_t n = 0;

    if (!cJSON_IsArray(arr))
        return type_error(w, "a list", arr);
    cJSON_ArrayForEach(item, arr)
    {
        char q[QUOTE_BUF];

        if (enter_index(w, n) < 0)
            return -1;
        if (n == POLICY_LIST_MAX)
            return fail(w, "too many entries (at most %d)", POLICY_LIST_MAX);
        if (get_string(w, item, items[n], sizeof(items[n])) < 0)
            return -1;
        if (!ok(items[n]))
            return fail(w, "invalid entry %s: must be %s", quote_str(items[n], q, sizeof(q)),
                        shape);
        for (size_t i = 0; i < n; i++)
            if (strcmp(items[i], items[n]) == 0)
                return fail(w, "%s is listed twice", quote_str(items[n], q, sizeof(q)));
        n++;
        leave(w);
    }
    memcpy(list, items, sizeof(items));
    *count = n;
    return 0;
}

static int parse_security_context(struct walk *w, const cJSON *obj, struct policy *p)
{
    static const char *const keys[] = {"runAsUser", "seccompProfile", "allowedCapabilities"};
    const cJSON *v[3];

    if (members(w, obj, keys, 3, v) < 0)
        return -1;
    if (v[0]) {
        long long uid = 0;

        if (enter(w, "runAsUser") < 0)
            return -1;
        if (cJSON_IsNumber(v[0]) && v[0]->valuedouble == 0)
            return fail(w, "runAsUser 0 is root: use a non-root uid (1 to %d)", INT32_MAX);
        if (get_int(w, v[0], 1, INT32_MAX, &uid) < 0)
            return -1;
        p->run_as_user = uid;
        leave(w);
    }
    if (v[1]) {
        char profile[POLICY_STRING_MAX], q[QUOTE_BUF];

        if (enter(w, "seccompProfile") < 0 || get_string(w, v[1], profile, sizeof(profile)) < 0)
            return -1;
        /* restricted allows RuntimeDefault and Localhost, but mutation adds
         * this type alone and Localhost needs a per-node localhostProfile the
         * policy cannot know: objects may still use Localhost (validation
         * accepts it) */
        if (strcmp(profile, "RuntimeDefault") != 0)
            return fail(w, "seccompProfile %s is not supported (expected RuntimeDefault; objects may "
                           "still set Localhost themselves)",
                        quote_str(profile, q, sizeof(q)));
        memcpy(p->seccomp_profile, profile, sizeof(profile));
        leave(w);
    }
    if (v[2]) {
        if (enter(w, "allowedCapabilities") < 0 ||
            parse_string_list(w, v[2], is_capability,
                              "a capability name such as NET_BIND_SERVICE (A-Z, 0-9, '_')",
                              p->allowed_capabilities, &p->allowed_capabilities_count) < 0)
            return -1;
        leave(w);
    }
    return 0;
}

static int parse_annotations(struct walk *w, const cJSON *obj, struct policy *p)
{
    struct annotation items[POLICY_LIST_MAX];
    const cJSON *item;
    size_t n = 0;

    if (!cJSON_IsObject(obj))
        return type_error(w, "an object", obj);
    cJSON_ArrayForEach(item, obj)
    {
        size_t klen = strlen(item->string);
        const char *why = klen >= POLICY_STRING_MAX ? "is too long"
                                                    : selector_key_error(item->string, klen);
        char q[QUOTE_BUF];

        if (n == POLICY_LIST_MAX || why) {
            enter_for_error(w, item->string);
            if (n == POLICY_LIST_MAX)
                return fail(w, "too many annotations (at most %d)", POLICY_LIST_MAX);
            return fail(w, "invalid annotation key %s: %s",
                        text_quote(item->string, klen, TEXT_QUOTE_MAX, q, sizeof(q)), why);
        }
        if (enter(w, item->string) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (strcmp(items[i].key, item->string) == 0)
                return fail(w, "duplicate key");
        if (cJSON_IsBool(item))
            return fail(w, "expected a string, got boolean (quote it: \"%s\")",
                        cJSON_IsTrue(item) ? "true" : "false");
        if (cJSON_IsNumber(item)) {
            char num[40];
            format_double(item->valuedouble, num, sizeof(num));
            return fail(w, "expected a string, got number (quote it: \"%s\")", num);
        }
        if (get_string(w, item, items[n].value, sizeof(items[n].value)) < 0)
            return -1;
        memcpy(items[n].key, item->string, klen + 1);
        n++;
        leave(w);
    }
    memcpy(p->annotations, items, sizeof(items));
    p->annotations_count = n;
    return 0;
}

static int parse_strategy(struct walk *w, const cJSON *obj, struct policy *p)
{
    static const char *const keys[] = {"maxSurge", "maxUnavailable"};
    const cJSON *v[2];

    if (members(w, obj, keys, 2, v) < 0)
        return -1;
    if (get_int_at(w, "maxSurge", v[0], 0, INT32_MAX, &p->max_surge) < 0 ||
        get_int_at(w, "maxUnavailable", v[1], 0, INT32_MAX, &p->max_unavailable) < 0)
        return -1;
    return 0;
}

static int parse_anti_affinity(struct walk *w, const cJSON *obj, struct policy *p)
{
    static const char *const keys[] = {"topologyKey", "weight"};
    const cJSON *v[2];

    if (members(w, obj, keys, 2, v) < 0)
        return -1;
    if (v[0]) {
        char key[POLICY_STRING_MAX], q[QUOTE_BUF];
        const char *why;

        if (enter(w, "topologyKey") < 0 || get_string(w, v[0], key, sizeof(key)) < 0)
            return -1;
        why = selector_key_error(key, strlen(key));
        if (why)
            return fail(w, "invalid topologyKey %s: %s", quote_str(key, q, sizeof(q)), why);
        memcpy(p->anti_affinity_topology_key, key, sizeof(key));
        leave(w);
    }
    /* Kubernetes: a preferred term's weight is 1..100 */
    return get_int_at(w, "weight", v[1], 1, 100, &p->anti_affinity_weight);
}

static bool is_env_pattern(const char *s)
{
    return *s && !has_control(s) && !strchr(s, '=');
}

/* ---------------------------------------------------------------------- */
/* consistency of the layered result */

static int check_probe(struct walk *w, enum probe_kind kind, struct probe_policy *pp)
{
    if (enter(w, "probes") < 0 || enter(w, probe_names[kind]) < 0)
        return -1;
    for (size_t i = 0; i < PROBE_FIELDS; i++) {
        const struct int_range *r = field_range(pp, &probe_fields[i]);
        if (r->min <= r->max)
            continue;
        if (enter(w, "ranges") < 0 || enter(w, probe_fields[i].name) < 0)
            return -1;
        return fail(w, "min (%d) must not exceed max (%d)", r->min, r->max);
    }
    if (kind != PROBE_READINESS) {
        /* core/v1 validation: liveness and startup probes need successThreshold 1 */
        if (pp->success_threshold != 1) {
            if (enter(w, "successThreshold") < 0)
                return -1;
            return fail(w, "successThreshold must be 1 for %s probes (got %d)",
                        probe_names[kind], pp->success_threshold);
        }
        if (pp->success_range.min != 1 || pp->success_range.max != 1) {
            if (enter(w, "ranges") < 0 || enter(w, "successThreshold") < 0)
                return -1;
            return fail(w,
                        "must be min 1, max 1 for %s probes (got %d to %d): Kubernetes "
                        "requires successThreshold 1",
                        probe_names[kind], pp->success_range.min, pp->success_range.max);
        }
    }
    for (size_t i = 0; i < PROBE_FIELDS; i++) {
        const struct int_range *r = field_range(pp, &probe_fields[i]);
        int v = *field_value(pp, &probe_fields[i]);
        if (v >= r->min && v <= r->max)
            continue;
        if (enter(w, probe_fields[i].name) < 0)
            return -1;
        return fail(w, "%s (%d) must lie within ranges.%s (%d to %d)", probe_fields[i].name, v,
                    probe_fields[i].name, r->min, r->max);
    }
    if (pp->timeout_seconds > pp->period_seconds) {
        if (enter(w, "timeoutSeconds") < 0)
            return -1;
        return fail(w, "timeoutSeconds (%d) must not exceed periodSeconds (%d)",
                    pp->timeout_seconds, pp->period_seconds);
    }
    leave(w);
    leave(w);
    return 0;
}

static int check_not_above(struct walk *w, const char *what, const char *key,
                           const char *small_text, const struct quantity *small,
                           const char *other, const char *big_text, const struct quantity *big)
{
    if (quantity_cmp(small, big) <= 0)
        return 0;
    if (enter(w, key) < 0)
        return -1;
    return fail(w, "%s %s (%s) must not exceed %s %s (%s)", what, key, small_text, other, key,
                big_text);
}

static int check_resources(struct walk *w, const struct policy *p)
{
    int rc;

    if (enter(w, "resources") < 0 || enter(w, "requests") < 0)
        return -1;
    rc = check_not_above(w, "requests", "cpu", p->requests.cpu_text, &p->requests.cpu, "limits",
                         p->limits.cpu_text, &p->limits.cpu);
    if (rc == 0)
        rc = check_not_above(w, "requests", "memory", p->requests.memory_text,
                             &p->requests.memory, "limits", p->limits.memory_text,
                             &p->limits.memory);
    if (rc < 0)
        return -1;
    leave(w);
    if (enter(w, "limits") < 0)
        return -1;
    rc = check_not_above(w, "limits", "cpu", p->limits.cpu_text, &p->limits.cpu, "maximum",
                         p->limits_maximum.cpu_text, &p->limits_maximum.cpu);
    if (rc == 0)
        rc = check_not_above(w, "limits", "memory", p->limits.memory_text, &p->limits.memory,
                             "maximum", p->limits_maximum.memory_text,
                             &p->limits_maximum.memory);
    if (rc < 0)
        return -1;
    leave(w);
    leave(w);
    return 0;
}

static int check_policy(struct walk *w, struct policy *p)
{
    if (p->replicas < p->replicas_minimum) {
        if (enter(w, "replicas") < 0 || enter(w, "default") < 0)
            return -1;
        return fail(w, "default (%d) must be at least minimum (%d)", p->replicas,
                    p->replicas_minimum);
    }
    for (size_t k = 0; k < PROBE_COUNT; k++)
        if (check_probe(w, (enum probe_kind)k, &p->probes[k]) < 0)
            return -1;
    if (check_resources(w, p) < 0)
        return -1;
    if (p->max_surge == 0 && p->max_unavailable == 0) {
        if (enter(w, "strategy") < 0 || enter(w, "maxSurge") < 0)
            return -1;
        /* apps/v1 validation: a rolling update must be able to make progress */
        return fail(w, "maxSurge and maxUnavailable must not both be 0");
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* policy_apply */

enum top_key {
    K_API_VERSION,
    K_KIND,
    K_SELECTOR,
    K_MAIN_CONTAINER,
    K_RULES,
    K_REPLICAS,
    K_PROBES,
    K_RESOURCES,
    K_SECURITY_CONTEXT,
    K_ANNOTATIONS,
    K_STRATEGY,
    K_ANTI_AFFINITY,
    K_SECRET_ENV_PATTERNS,
    K_COUNT
};

static const char *const top_keys[K_COUNT] = {
    [K_API_VERSION] = "apiVersion",
    [K_KIND] = "kind",
    [K_SELECTOR] = "selector",
    [K_MAIN_CONTAINER] = "mainContainer",
    [K_RULES] = "rules",
    [K_REPLICAS] = "replicas",
    [K_PROBES] = "probes",
    [K_RESOURCES] = "resources",
    [K_SECURITY_CONTEXT] = "securityContext",
    [K_ANNOTATIONS] = "annotations",
    [K_STRATEGY] = "strategy",
    [K_ANTI_AFFINITY] = "antiAffinity",
    [K_SECRET_ENV_PATTERNS] = "secretEnvPatterns",
};

static int apply_key(struct walk *w, enum top_key k, const cJSON *v, struct policy *p)
{
    switch (k) {
    case K_API_VERSION:
        return parse_fixed_string(w, v, POLICY_API_VERSION);
    case K_KIND:
        return parse_fixed_string(w, v, POLICY_KIND);
    case K_SELECTOR:
        return selector_parse(v, w->ptr.text, &p->selector, w->d);
    case K_MAIN_CONTAINER:
        return parse_main_container(w, v, p);
    case K_RULES:
        return parse_rules(w, v, p);
    case K_REPLICAS:
        return parse_replicas(w, v, p);
    case K_PROBES:
        return parse_probes(w, v, p);
    case K_RESOURCES:
        return parse_resources(w, v, p);
    case K_SECURITY_CONTEXT:
        return parse_security_context(w, v, p);
    case K_ANNOTATIONS:
        return parse_annotations(w, v, p);
    case K_STRATEGY:
        return parse_strategy(w, v, p);
    case K_ANTI_AFFINITY:
        return parse_anti_affinity(w, v, p);
    case K_SECRET_ENV_PATTERNS:
        return parse_string_list(w, v, is_env_pattern,
                                 "a non-empty name fragment without '=' or control characters",
                                 p->secret_env_patterns, &p->secret_env_patterns_count);
    case K_COUNT:
        break;
    }
    return 0;
}

/* see policy.h */
int policy_apply(struct policy *p, const cJSON *doc, struct diag *d)
{
    struct diag local;
    struct walk w = {.d = d ? d : &local};
    const cJSON *v[K_COUNT];
    struct policy *work;
    int rc = -1;

    d = w.d;
    if (!cJSON_IsObject(doc))
        return diag_set(d, "", "a policy document must be an object, got %s", text_json_type(doc));
    /* work on a copy so that p changes only when the whole document holds */
    work = malloc(sizeof(*work));
    if (!work)
        return diag_set(d, "", "out of memory reading the policy");
    *work = *p;
    if (members(&w, doc, top_keys, K_COUNT, v) < 0)
        goto out;
    for (size_t k = 0; k < K_COUNT; k++) {
        if (!v[k])
            continue;
        if (enter(&w, top_keys[k]) < 0 || apply_key(&w, (enum top_key)k, v[k], work) < 0)
            goto out;
        leave(&w);
    }
    if (check_policy(&w, work) < 0)
        goto out;
    *p = *work;
    rc = 0;
out:
    free(work);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* policy_to_json */

/* The builders below do nothing once *ok is false, so policy_to_json reads
 * straight down and checks once at the end. */
static cJSON *add_object(cJSON *parent, const char *key, bool *ok)
{
    cJSON *o = *ok && parent ? cJSON_AddObjectToObject(parent, key) : NULL;

    if (!o)
        *ok = false;
    return o;
}

static void add_int(cJSON *parent, const char *key, long long v, bool *ok)
{
    if (!*ok || !parent || !cJSON_AddNumberToObject(parent, key, (double)v))
        *ok = false;
}

static void add_string(cJSON *parent, const char *key, const char *v, bool *ok)
{
    if (!*ok || !parent || !cJSON_AddStringToObject(parent, key, v))
        *ok = false;
}

static void add_string_list(cJSON *parent, const char *key, const char list[][POLICY_STRING_MAX],
                            size_t n, bool *ok)
{
    cJSON *arr = *ok && parent ? cJSON_AddArrayToObject(parent, key) : NULL;

    if (!arr) {
        *ok = false;
        return;
    }
    for (size_t i = 0; i < n && *ok; i++) {
        cJSON *s = cJSON_CreateString(list[i]);
        if (!s || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            *ok = false;
        }
    }
}

static void add_pair(cJSON *parent, const char *key, const struct resource_pair *r, bool *ok)
{
    cJSON *o = add_object(parent, key, ok);

    add_string(o, "cpu", r->cpu_text, ok);
    add_string(o, "memory", r->memory_text, ok);
}

static void add_probe(cJSON *parent, const char *key, const struct probe_policy *pp, bool *ok)
{
    cJSON *o = add_object(parent, key, ok), *ranges;

    add_string(o, "path", pp->path, ok);
    add_int(o, "port", pp->port, ok);
    for (size_t i = 0; i < PROBE_FIELDS; i++)
        add_int(o, probe_fields[i].name, *field_value_c(pp, &probe_fields[i]), ok);
    ranges = add_object(o, "ranges", ok);
    for (size_t i = 0; i < PROBE_FIELDS; i++) {
        const struct int_range *r = field_range_c(pp, &probe_fields[i]);
        cJSON *range = add_object(ranges, probe_fields[i].name, ok);
        add_int(range, "min", r->min, ok);
        add_int(range, "max", r->max, ok);
    }
}

/* see policy.h */
cJSON *policy_to_json(const struct policy *p)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *sel = selector_to_json(&p->selector);
    cJSON *o;
    bool ok = root && sel;

    add_string(root, "apiVersion", POLICY_API_VERSION, &ok);
    add_string(root, "kind", POLICY_KIND, &ok);
    if (ok && !cJSON_AddItemToObject(root, "selector", sel))
        ok = false;
    if (ok)
        sel = NULL;
    add_string(root, "mainContainer", p->main_container, &ok);

    o = add_object(root, "rules", &ok);
    for (size_t i = 0; i < RULE_COUNT; i++) {
        cJSON *r = add_object(o, rules_get((enum rule_id)i)->name, &ok);
        add_string(r, "action", rules_action_name(p->rules[i].action), &ok);
        if (ok && !cJSON_AddBoolToObject(r, "exemptable", p->rules[i].exemptable))
            ok = false;
    }

    o = add_object(root, "replicas", &ok);
    add_int(o, "default", p->replicas, &ok);
    add_int(o, "minimum", p->replicas_minimum, &ok);

    o = add_object(root, "probes", &ok);
    for (size_t k = 0; k < PROBE_COUNT; k++)
        add_probe(o, probe_names[k], &p->probes[k], &ok);

    o = add_object(root, "resources", &ok);
    add_pair(o, "requests", &p->requests, &ok);
    add_pair(o, "limits", &p->limits, &ok);
    add_pair(o, "maximum", &p->limits_maximum, &ok);

    o = add_object(root, "securityContext", &ok);
    add_int(o, "runAsUser", p->run_as_user, &ok);
    add_string(o, "seccompProfile", p->seccomp_profile, &ok);
    add_string_list(o, "allowedCapabilities", p->allowed_capabilities,
                    p->allowed_capabilities_count, &ok);

    o = add_object(root, "annotations", &ok);
    for (size_t i = 0; i < p->annotations_count; i++)
        add_string(o, p->annotations[i].key, p->annotations[i].value, &ok);

    o = add_object(root, "strategy", &ok);
    add_int(o, "maxSurge", p->max_surge, &ok);
    add_int(o, "maxUnavailable", p->max_unavailable, &ok);

    o = add_object(root, "antiAffinity", &ok);
    add_string(o, "topologyKey", p->anti_affinity_topology_key, &ok);
    add_int(o, "weight", p->anti_affinity_weight, &ok);

    add_string_list(root, "secretEnvPatterns", p->secret_env_patterns,
                    p->secret_env_patterns_count, &ok);

    if (!ok) {
        cJSON_Delete(sel);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
