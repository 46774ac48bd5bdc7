/* Tests for engine: which objects are selected, the structural check (its
 * errors and their JSON pointers, through both engine_mutate and
 * engine_validate), the exemption annotation (used, refused, unknown, exempt
 * rules neither mutated nor reported), actions, deployments/scale, and the
 * promise that joins mutation and validation: what mutation adds passes
 * validation.
 *
 * JSON literals use ' for " to stay readable. Violations are matched by
 * rule and pointer; their wording belongs to validate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "policy.h"
#include "rules.h"
#include "selector.h"

static cJSON *parse_q(const char *text)
{
    size_t n = strlen(text);
    char *copy = malloc(n + 1);
    cJSON *j;

    assert_non_null(copy);
    for (size_t i = 0; i <= n; i++)
        copy[i] = text[i] == '\'' ? '"' : text[i];
    j = cJSON_Parse(copy);
    if (!j)
        fail_msg("test JSON does not parse: %s", copy);
    free(copy);
    return j;
}

/* The default policy with the selector given as JSON (NULL: the default,
 * component=django). */
static void make_policy(struct policy *p, const char *selector)
{
    struct diag d;

    policy_default(p);
    if (selector) {
        cJSON *j = parse_q(selector);
        diag_clear(&d);
        if (selector_parse(j, "/selector", &p->selector, &d) != 0)
            fail_msg("selector %s: %s", selector, d.message);
        cJSON_Delete(j);
    }
}

static size_t count_rule(const struct findings *f, enum rule_id id)
{
    size_t n = 0;

    for (size_t i = 0; i < f->count; i++)
        if (f->items[i].rule == id)
            n++;
    return n;
}

static const struct violation *find_rule(const struct findings *f, enum rule_id id)
{
    for (size_t i = 0; i < f->count; i++)
        if (f->items[i].rule == id)
            return &f->items[i];
    return NULL;
}

/* ------------------------------------------------------------ selection */

struct select_case {
    const char *name;
    /* NULL: default selector component=django */
    const char *selector;
    const char *object;
    bool want;
};

#define LABELED(api, kind, labels, tlabels)                                                   \
    "{'apiVersion':" api ",'kind':" kind ",'metadata':{'labels':" labels "},'spec':{'template':" \
    "{'metadata':{'labels':" tlabels "},'spec':{'containers':[{}]}}}}"

static const struct select_case select_cases[] = {
    {"not an object", NULL, "[]", false},
    {"a string", NULL, "'Deployment'", false},
    {"empty object", NULL, "{}", false},
    {"apiVersion a number", NULL,
     LABELED("1", "'Deployment'", "{'component':'django'}", "{}"), false},
    {"kind a list", NULL,
     LABELED("'apps/v1'", "['Deployment']", "{'component':'django'}", "{}"), false},
    {"wrong apiVersion", NULL,
     LABELED("'apps/v1beta1'", "'Deployment'", "{'component':'django'}", "{}"), false},
    {"wrong kind", NULL,
     LABELED("'apps/v1'", "'StatefulSet'", "{'component':'django'}", "{}"), false},
    {"kind in another case", NULL,
     LABELED("'apps/v1'", "'deployment'", "{'component':'django'}", "{}"), false},
    {"metadata and template not objects", NULL,
     "{'apiVersion':'apps/v1','kind':'Deployment','metadata':'x','spec':{'template':7}}", false},
    {"labels on the Deployment", NULL,
     LABELED("'apps/v1'", "'Deployment'", "{'component':'django'}", "{}"), true},
    {"labels on the template only", NULL,
     LABELED("'apps/v1'", "'Deployment'", "{}", "{'component':'django'}"), true},
    {"metadata a string, template labels match", NULL,
     "{'apiVersion':'apps/v1','kind':'Deployment','metadata':'x','spec':{'template':{'metadata':"
     "{'labels':{'component':'django'}}}}}", true},
    {"labels on neither", NULL,
     LABELED("'apps/v1'", "'Deployment'", "{'component':'celery'}", "{'app':'django'}"), false},
    {"label value in another case", NULL,
     LABELED("'apps/v1'", "'Deployment'", "{'component':'Django'}", "{}"), false},
    {"In expression", "{'matchExpressions':[{'key':'tier','operator':'In','values':['web','api']}]}",
     LABELED("'apps/v1'", "'Deployment'", "{}", "{'tier':'api'}"), true},
    {"NotIn expression excludes", "{'matchExpressions':[{'key':'tier','operator':'NotIn',"
     "'values':['worker']}]}",
     LABELED("'apps/v1'", "'Deployment'", "{'tier':'worker'}", "{'tier':'worker'}"), false},
    {"Exists and DoesNotExist", "{'matchExpressions':[{'key':'example.com/django','operator':"
     "'Exists'},{'key':'legacy','operator':'DoesNotExist'}]}",
     LABELED("'apps/v1'", "'Deployment'", "{'example.com/django':''}", "{}"), true},
    {"DoesNotExist fails when present", "{'matchExpressions':[{'key':'legacy','operator':"
     "'DoesNotExist'}]}",
     LABELED("'apps/v1'", "'Deployment'", "{'legacy':'1'}", "{'legacy':'1'}"), false},
    {"matchLabels and expressions must all hold", "{'matchLabels':{'component':'django'},"
     "'matchExpressions':[{'key':'tier','operator':'In','values':['web']}]}",
     LABELED("'apps/v1'", "'Deployment'", "{'component':'django'}", "{'tier':'web'}"), false},
    {"empty selector selects every Deployment", "{}",
     LABELED("'apps/v1'", "'Deployment'", "{}", "{}"), true},
    {"empty selector, no metadata anywhere", "{}", "{'apiVersion':'apps/v1','kind':'Deployment'}",
     true},
    {"default selector, no metadata anywhere", NULL, "{'apiVersion':'apps/v1','kind':'Deployment'}",
     false},
    {"DoesNotExist matches a Deployment without labels", "{'matchExpressions':[{'key':'legacy',"
     "'operator':'DoesNotExist'}]}", "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{}}",
     true},
};

static void test_selects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(select_cases) / sizeof(select_cases[0]); i++) {
        const struct select_case *c = &select_cases[i];
        struct policy p;
        cJSON *o = parse_q(c->object);

        make_policy(&p, c->selector);
        if (engine_selects(&p, o) != c->want)
            fail_msg("case \"%s\": engine_selects gave %d", c->name, !c->want);
        cJSON_Delete(o);
    }
}

static void test_selects_null(void **state)
{
    struct policy p;

    (void)state;
    make_policy(&p, NULL);
    assert_false(engine_selects(&p, NULL));
}

/* ------------------------------------------------------------ structure */

struct structure_case {
    const char *name;
    const char *object;
    const char *pointer;
    const char *message;
};

#define POD_SPEC(body) "{'spec':{'template':{'spec':" body "}}}"

static const struct structure_case structure_cases[] = {
    {"not an object", "[1]", "", "a Deployment must be an object, got list"},
    {"null", "null", "", "a Deployment must be an object, got null"},
    {"no spec", "{}", "/spec", "spec is required"},
    {"spec a string", "{'spec':'x'}", "/spec", "spec must be an object, got string"},
    {"no spec.template", "{'spec':{}}", "/spec/template", "spec.template is required"},
    {"template null", "{'spec':{'template':null}}", "/spec/template",
     "spec.template must be an object, got null"},
    {"no pod spec", "{'spec':{'template':{'metadata':{}}}}", "/spec/template/spec",
     "spec.template.spec is required"},
    {"metadata a list", "{'metadata':[],'spec':{}}", "/metadata", "metadata must be an object, got list"},
    {"labels a string", "{'metadata':{'labels':'a=b'}}", "/metadata/labels",
     "labels must be an object, got string"},
    {"template annotations a list", "{'spec':{'template':{'metadata':{'annotations':[]},'spec':{}}}}",
     "/spec/template/metadata/annotations", "annotations must be an object, got list"},
    {"exemption annotation a number", "{'metadata':{'annotations':{'django-admission.io/exempt-rules':"
     "1}},'spec':{}}", "/metadata/annotations/django-admission.io~1exempt-rules",
     "annotation django-admission.io/exempt-rules must be a string (a comma-separated list of rule "
     "ids), got number"},
    {"no containers", POD_SPEC("{}"), "/spec/template/spec/containers", "containers is required"},
    {"containers a string", POD_SPEC("{'containers':'django'}"), "/spec/template/spec/containers",
     "containers must be a list of containers, got string"},
    {"containers an object", POD_SPEC("{'containers':{'name':'django'}}"),
     "/spec/template/spec/containers", "containers must be a list of containers, got object"},
    {"containers empty", POD_SPEC("{'containers':[]}"), "/spec/template/spec/containers",
     "containers must list at least one container"},
    {"container not an object", POD_SPEC("{'containers':[{},'django']}"),
     "/spec/template/spec/containers/1", "a container must be an object, got string"},
    {"initContainers an object", POD_SPEC("{'containers':[{}],'initContainers':{}}"),
     "/spec/template/spec/initContainers", "initContainers must be a list of containers, got object"},
    {"init container a number", POD_SPEC("{'containers':[{}],'initContainers':[{},{},3]}"),
     "/spec/template/spec/initContainers/2", "a container must be an object, got number"},
    {"pod securityContext a list", POD_SPEC("{'securityContext':[],'containers':[{}]}"),
     "/spec/template/spec/securityContext", "securityContext must be an object, got list"},
    {"container securityContext a string",
     POD_SPEC("{'containers':[{'name':'a'},{'name':'b','securityContext':'restricted'}]}"),
     "/spec/template/spec/containers/1/securityContext",
     "securityContext must be an object, got string"},
    {"init container securityContext a boolean",
     POD_SPEC("{'containers':[{}],'initContainers':[{'securityContext':true}]}"),
     "/spec/template/spec/initContainers/0/securityContext",
     "securityContext must be an object, got boolean"},
    {"resources a list", POD_SPEC("{'containers':[{'resources':[]}]}"),
     "/spec/template/spec/containers/0/resources", "resources must be an object, got list"},
    {"livenessProbe a string", POD_SPEC("{'containers':[{'livenessProbe':'/health'}]}"),
     "/spec/template/spec/containers/0/livenessProbe", "livenessProbe must be an object, got string"},
    {"startupProbe null", POD_SPEC("{'containers':[{'startupProbe':null}]}"),
     "/spec/template/spec/containers/0/startupProbe", "startupProbe must be an object, got null"},
    {"env an object", POD_SPEC("{'containers':[{'env':{'A':'b'}}]}"),
     "/spec/template/spec/containers/0/env", "env must be a list, got object"},
    {"ports a number", POD_SPEC("{'containers':[{'ports':8000}]}"),
     "/spec/template/spec/containers/0/ports", "ports must be a list, got number"},
    {"volumeMounts an object", POD_SPEC("{'containers':[{'volumeMounts':{}}]}"),
     "/spec/template/spec/containers/0/volumeMounts", "volumeMounts must be a list, got object"},
    {"the second field wrong", POD_SPEC("{'containers':[{'name':'a','env':[],'resources':1}]}"),
     "/spec/template/spec/containers/0/resources", "resources must be an object, got number"},
    {"volumes a string", POD_SPEC("{'containers':[{}],'volumes':'tmp'}"),
     "/spec/template/spec/volumes", "volumes must be a list, got string"},
    {"volume not an object", POD_SPEC("{'containers':[{}],'volumes':[{},[]]}"),
     "/spec/template/spec/volumes/1", "a volume must be an object, got list"},
};

static void test_structure(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(structure_cases) / sizeof(structure_cases[0]); i++) {
        const struct structure_case *c = &structure_cases[i];
        struct policy p;
        struct mutation m;
        struct findings f;
        struct diag d;
        cJSON *o = parse_q(c->object);
        cJSON *copy;

        make_policy(&p, NULL);
        diag_clear(&d);
        if (engine_mutate(&p, o, &m, &d) != -1)
            fail_msg("case \"%s\": engine_mutate accepted it", c->name);
        assert_null(m.ops);
        assert_null(m.result);
        if (strcmp(d.pointer, c->pointer) != 0 || strcmp(d.message, c->message) != 0)
            fail_msg("case \"%s\": mutate said \"%s\" at \"%s\"", c->name, d.message, d.pointer);

        /* in place: the same error, and the object is left as it was */
        copy = cJSON_Duplicate(o, true);
        assert_non_null(copy);
        diag_clear(&d);
        if (engine_mutate_in_place(&p, copy, &m, &d) != -1)
            fail_msg("case \"%s\": engine_mutate_in_place accepted it", c->name);
        assert_null(m.ops);
        if (strcmp(d.pointer, c->pointer) != 0 || strcmp(d.message, c->message) != 0)
            fail_msg("case \"%s\": in place said \"%s\" at \"%s\"", c->name, d.message, d.pointer);
        assert_true(cJSON_Compare(copy, o, true));
        cJSON_Delete(copy);

        findings_init(&f);
        diag_clear(&d);
        if (engine_validate(&p, o, &f, &d) != -1)
            fail_msg("case \"%s\": engine_validate accepted it", c->name);
        assert_int_equal(f.count, 0);
        if (strcmp(d.pointer, c->pointer) != 0 || strcmp(d.message, c->message) != 0)
            fail_msg("case \"%s\": validate said \"%s\" at \"%s\"", c->name, d.message, d.pointer);
        findings_free(&f);
        cJSON_Delete(o);
    }
}

/* Deep nesting where the engine does not look is not its business, and a
 * huge but well-formed container list is walked without trouble. */
/* A name given twice: the first member is the one every rule reads, so
 * its type is checked and a later one's is not. (Not in structure_cases:
 * cJSON_Compare cannot compare objects with a name given twice.) */
static void test_structure_first_of_a_name(void **state)
{
    struct policy p;
    struct mutation m;
    struct diag d;
    cJSON *later =
        parse_q(POD_SPEC("{'containers':[{'name':'django','env':[],'env':{},'ports':[],'ports':1}]}"));
    cJSON *first = parse_q(POD_SPEC("{'containers':[{'name':'django','env':{},'env':[]}]}"));

    (void)state;
    make_policy(&p, NULL);
    diag_clear(&d);
    assert_int_equal(engine_mutate(&p, later, &m, &d), 0);
    mutation_free(&m);
    assert_int_equal(engine_mutate(&p, first, &m, &d), -1);
    assert_string_equal(d.pointer, "/spec/template/spec/containers/0/env");
    assert_string_equal(d.message, "env must be a list, got object");
    cJSON_Delete(later);
    cJSON_Delete(first);
}

static void test_structure_large(void **state)
{
    struct policy p;
    struct mutation m;
    struct diag d;
    cJSON *o = parse_q("{'spec':{'template':{'spec':{'containers':[]}}}}");
    cJSON *list = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "spec"), "template"),
            "spec"),
        "containers");

    (void)state;
    for (int i = 0; i < 300; i++) {
        cJSON *c = cJSON_CreateObject();
        char name[32];

        snprintf(name, sizeof(name), "c%d", i);
        assert_non_null(cJSON_AddStringToObject(c, "name", name));
        assert_true(cJSON_AddItemToArray(list, c));
    }
    make_policy(&p, NULL);
    /* django is absent: container 0 is the main one, only it gets probes */
    diag_clear(&d);
    assert_int_equal(engine_mutate(&p, o, &m, &d), 0);
    assert_non_null(m.result);
    assert_true(cJSON_GetArraySize(m.ops) > 300);
    assert_null(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(list, 1), "livenessProbe"));
    mutation_free(&m);
    cJSON_Delete(o);
}

/* ------------------------------------------------------------ exemptions */

#define EXEMPT(list, replicas, container)                                                     \
    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','annotations':"     \
    "{'django-admission.io/exempt-rules':" list "}},'spec':{'replicas':" replicas ","          \
    "'template':{'metadata':{'labels':{'component':'django'}},'spec':{'containers':[" container "]}}}}"

struct exempt_case {
    const char *name;
    const char *object;
    /* rule turned off / made non-exemptable in the policy (RULE_COUNT: none) */
    enum rule_id off;
    enum rule_id not_exemptable;
    /* expectations */
    enum rule_id used;
    enum rule_id refused;
    size_t unknown;
    enum rule_id reported;
    enum rule_id silent;
};

static const struct exempt_case exempt_cases[] = {
    {"empty list", EXEMPT("''", "1", "{'name':'django'}"), RULE_COUNT, RULE_COUNT, RULE_COUNT,
     RULE_COUNT, 0, RULE_REPLICAS_MINIMUM, RULE_COUNT},
    {"only commas and spaces", EXEMPT("' , ,, '", "1", "{'name':'django'}"), RULE_COUNT, RULE_COUNT,
     RULE_COUNT, RULE_COUNT, 0, RULE_REPLICAS_MINIMUM, RULE_COUNT},
    {"used: the exemption suppressed a violation", EXEMPT("'replicas-minimum'", "1",
     "{'name':'django'}"), RULE_COUNT, RULE_COUNT, RULE_REPLICAS_MINIMUM, RULE_COUNT, 0, RULE_COUNT,
     RULE_REPLICAS_MINIMUM},
    {"spaces and empty items around names", EXEMPT("' , image-tag ,\treplicas-minimum\t, '", "1",
     "{'name':'django','image':'web:1.0'}"), RULE_COUNT, RULE_COUNT, RULE_REPLICAS_MINIMUM,
     RULE_COUNT, 0, RULE_COUNT, RULE_REPLICAS_MINIMUM},
    {"not used: nothing to suppress", EXEMPT("'replicas-minimum'", "3", "{'name':'django'}"),
     RULE_COUNT, RULE_COUNT, RULE_COUNT, RULE_COUNT, 0, RULE_COUNT, RULE_REPLICAS_MINIMUM},
    {"refused: pss-privileged is not exemptable, still reported",
     EXEMPT("'pss-privileged'", "3", "{'name':'django','securityContext':{'privileged':true}}"),
     RULE_COUNT, RULE_COUNT, RULE_COUNT, RULE_PSS_PRIVILEGED, 0, RULE_PSS_PRIVILEGED, RULE_COUNT},
    {"refused: the policy made replicas-minimum not exemptable", EXEMPT("'replicas-minimum'", "1",
     "{'name':'django'}"), RULE_COUNT, RULE_REPLICAS_MINIMUM, RULE_COUNT, RULE_REPLICAS_MINIMUM, 0,
     RULE_REPLICAS_MINIMUM, RULE_COUNT},
    {"unknown names are counted", EXEMPT("'no-such-rule,REPLICAS-MINIMUM,replicas minimum'", "1",
     "{'name':'django'}"), RULE_COUNT, RULE_COUNT, RULE_COUNT, RULE_COUNT, 3, RULE_REPLICAS_MINIMUM,
     RULE_COUNT},
    {"non-ASCII and ~/ in a name", EXEMPT("'r\\u00e9plicas,a~b/c'", "1", "{'name':'django'}"),
     RULE_COUNT, RULE_COUNT, RULE_COUNT, RULE_COUNT, 2, RULE_REPLICAS_MINIMUM, RULE_COUNT},
    {"an exempt rule that is off is not used", EXEMPT("'replicas-minimum'", "1", "{'name':'django'}"),
     RULE_REPLICAS_MINIMUM, RULE_COUNT, RULE_COUNT, RULE_COUNT, 0, RULE_COUNT, RULE_REPLICAS_MINIMUM},
};

static void test_exemptions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(exempt_cases) / sizeof(exempt_cases[0]); i++) {
        const struct exempt_case *c = &exempt_cases[i];
        struct policy p;
        struct findings f;
        struct diag d;
        cJSON *o = parse_q(c->object);

        make_policy(&p, NULL);
        if (c->off != RULE_COUNT)
            p.rules[c->off].action = RULE_OFF;
        if (c->not_exemptable != RULE_COUNT)
            p.rules[c->not_exemptable].exemptable = false;
        findings_init(&f);
        diag_clear(&d);
        if (engine_validate(&p, o, &f, &d) != 0)
            fail_msg("case \"%s\": %s at %s", c->name, d.message, d.pointer);
        for (size_t r = 0; r < RULE_COUNT; r++) {
            if (f.used[r] != (r == c->used))
                fail_msg("case \"%s\": used[%s] is %d", c->name, rules_get(r)->name, f.used[r]);
            if (f.refused[r] != (r == c->refused))
                fail_msg("case \"%s\": refused[%s] is %d", c->name, rules_get(r)->name,
                         f.refused[r]);
        }
        if (f.unknown_exemptions != c->unknown)
            fail_msg("case \"%s\": %zu unknown exemptions", c->name, f.unknown_exemptions);
        if (c->reported != RULE_COUNT && count_rule(&f, c->reported) == 0)
            fail_msg("case \"%s\": %s not reported", c->name, rules_get(c->reported)->name);
        if (c->silent != RULE_COUNT && count_rule(&f, c->silent) != 0)
            fail_msg("case \"%s\": %s reported", c->name, rules_get(c->silent)->name);
        findings_free(&f);
        cJSON_Delete(o);
    }
}

static bool has_op(const cJSON *ops, const char *path)
{
    const cJSON *op;

    cJSON_ArrayForEach(op, ops) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(op, "path");
        if (cJSON_IsString(p) && strcmp(p->valuestring, path) == 0)
            return true;
    }
    return false;
}

/* An exempt rule is not mutated; a refused exemption does not stop it. */
static void test_exempt_not_mutated(void **state)
{
    struct policy p;
    struct mutation m;
    struct diag d;
    cJSON *o = parse_q("{'metadata':{'annotations':{'django-admission.io/exempt-rules':"
                       "'replicas-minimum,pod-anti-affinity,pss-privilege-escalation'}},"
                       "'spec':{'selector':{'matchLabels':{'app':'web'}},'template':{'spec':"
                       "{'containers':[{'name':'django'}]}}}}");

    (void)state;
    make_policy(&p, NULL);
    diag_clear(&d);
    assert_int_equal(engine_mutate(&p, o, &m, &d), 0);
    assert_false(has_op(m.ops, "/spec/replicas"));
    assert_false(has_op(m.ops, "/spec/template/spec/affinity"));
    /* pss-privilege-escalation may not be exempted: still added */
    assert_true(has_op(m.ops, "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"));
    /* rules not named still run */
    assert_true(has_op(m.ops, "/spec/template/spec/containers/0/livenessProbe"));
    mutation_free(&m);
    cJSON_Delete(o);
}

/* -------------------------------------------------------------- actions */

static void test_actions(void **state)
{
    struct policy p;
    struct findings f;
    struct diag d;
    const struct violation *v;
    cJSON *o = parse_q("{'spec':{'replicas':1,'template':{'spec':{'containers':[{'name':'django',"
                       "'image':'web:latest'}]}}}}");

    (void)state;
    make_policy(&p, NULL);
    p.rules[RULE_REPLICAS_MINIMUM].action = RULE_WARN;
    p.rules[RULE_IMAGE_TAG].action = RULE_OFF;
    findings_init(&f);
    diag_clear(&d);
    assert_int_equal(engine_validate(&p, o, &f, &d), 0);
    v = find_rule(&f, RULE_REPLICAS_MINIMUM);
    assert_non_null(v);
    assert_int_equal(v->action, RULE_WARN);
    assert_string_equal(v->pointer, "/spec/replicas");
    assert_int_equal(count_rule(&f, RULE_IMAGE_TAG), 0);
    v = find_rule(&f, RULE_PROBE_LIVENESS_MISSING);
    assert_non_null(v);
    assert_int_equal(v->action, RULE_ENFORCE);
    for (size_t i = 0; i < f.count; i++)
        assert_int_equal(f.items[i].action, p.rules[f.items[i].rule].action);
    findings_free(&f);

    /* every rule off: nothing reported, nothing added */
    for (size_t i = 0; i < RULE_COUNT; i++)
        p.rules[i].action = RULE_OFF;
    findings_init(&f);
    assert_int_equal(engine_validate(&p, o, &f, &d), 0);
    assert_int_equal(f.count, 0);
    findings_free(&f);
    cJSON_Delete(o);
}

/* ---------------------------------------------- mutation then validation */

/* Whatever mutation adds passes validation: after mutating, only what the
 * user wrote can still be wrong. */
static const char *const clean_after_mutation[] = {
    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'component':"
    "'django'}},'spec':{'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':"
    "{'app':'web','component':'django'}},'spec':{'initContainers':[{'name':'migrate','image':"
    "'web:1.0'}],'containers':[{'name':'django','image':'web:1.0'},{'name':'nginx','image':"
    "'nginx:1.25'}]}}}}",
    /* limits without requests, requests without limits */
    "{'spec':{'selector':{'matchLabels':{'app':'web'}},'template':{'spec':{'containers':[{'name':"
    "'django','image':'web:1.0','resources':{'limits':{'cpu':'250m'},'requests':{'memory':'768Mi'}}}]}}}}",
    /* numbers for quantities */
    "{'spec':{'selector':{'matchLabels':{'app':'web'}},'template':{'spec':{'containers':[{'name':"
    "'django','image':'web:1.0','resources':{'limits':{'cpu':0.25}}}]}}}}",
    /* maxSurge 25%: only maxUnavailable 0 is added */
    "{'spec':{'strategy':{'rollingUpdate':{'maxSurge':'25%'}},'selector':{'matchLabels':{'app':"
    "'web'}},'template':{'spec':{'containers':[{'name':'django','image':'web:1.0'}]}}}}",
};

static void test_mutated_validates(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(clean_after_mutation) / sizeof(clean_after_mutation[0]); i++) {
        struct policy p;
        struct mutation m;
        struct findings f;
        struct diag d;
        cJSON *o = parse_q(clean_after_mutation[i]);

        make_policy(&p, NULL);
        diag_clear(&d);
        assert_int_equal(engine_mutate(&p, o, &m, &d), 0);
        findings_init(&f);
        assert_int_equal(engine_validate(&p, m.result, &f, &d), 0);
        for (size_t k = 0; k < f.count; k++)
            print_error("case %zu: %s at %s: %s\n", i, rules_get(f.items[k].rule)->name,
                        f.items[k].pointer, f.items[k].message);
        assert_int_equal(f.count, 0);
        findings_free(&f);
        mutation_free(&m);
        cJSON_Delete(o);
    }
}

/* The mutation's result is the input with the ops applied, and the input
 * itself is untouched. */
static void test_mutate_leaves_input(void **state)
{
    struct policy p;
    struct mutation m;
    struct diag d;
    cJSON *o = parse_q("{'spec':{'template':{'spec':{'containers':[{'name':'django'}]}}}}");
    cJSON *copy = cJSON_Duplicate(o, true);

    (void)state;
    make_policy(&p, NULL);
    diag_clear(&d);
    assert_int_equal(engine_mutate(&p, o, &m, &d), 0);
    assert_true(cJSON_Compare(o, copy, true));
    assert_false(cJSON_Compare(o, m.result, true));
    assert_int_equal(m.count, (size_t)cJSON_GetArraySize(m.ops));
    mutation_free(&m);
    /* mutation_free leaves an empty mutation; freeing twice is safe */
    mutation_free(&m);
    assert_null(m.ops);
    cJSON_Delete(copy);
    cJSON_Delete(o);
}

/* ---------------------------------------------------------------- Scale */

struct scale_case {
    const char *name;
    const char *scale;
    int rc;
    bool selected;
    size_t violations;
    /* when rc is -1 */
    const char *pointer;
};

#define SCALE(spec, status) "{'apiVersion':'autoscaling/v1','kind':'Scale','spec':" spec ",'status':" status "}"

static const struct scale_case scale_cases[] = {
    {"not an object", "[]", -1, false, 0, ""},
    {"spec a string", SCALE("'x'", "{}"), -1, false, 0, "/spec"},
    {"replicas a string", SCALE("{'replicas':'3'}", "{'selector':'component=django'}"), -1, false,
     0, "/spec/replicas"},
    {"replicas a fraction", SCALE("{'replicas':2.5}", "{'selector':'component=django'}"), -1, false,
     0, "/spec/replicas"},
    {"replicas huge", SCALE("{'replicas':1e300}", "{'selector':'component=django'}"), -1, false, 0,
     "/spec/replicas"},
    {"status a list", SCALE("{'replicas':1}", "[]"), -1, false, 0, "/status"},
    {"selector a number", SCALE("{'replicas':1}", "{'selector':5}"), -1, false, 0, "/status/selector"},
    {"selector malformed", SCALE("{'replicas':1}", "{'selector':'component in (django'}"), -1,
     false, 0, NULL},
    {"no status: not selected", "{'spec':{'replicas':1}}", 0, false, 0, NULL},
    {"empty selector: not selected", SCALE("{'replicas':1}", "{'selector':''}"), 0, false, 0, NULL},
    {"another app: not selected", SCALE("{'replicas':1}", "{'selector':'component=celery'}"), 0,
     false, 0, NULL},
    {"selected, too few", SCALE("{'replicas':1}", "{'selector':'app=web,component=django'}"), 0,
     true, 1, NULL},
    {"selected, absent replicas is 0", SCALE("{}", "{'selector':'component=django'}"), 0, true, 1,
     NULL},
    {"selected, no spec at all", "{'status':{'selector':'component=django'}}", 0, true, 1, NULL},
    {"selected, negative", SCALE("{'replicas':-1}", "{'selector':'component=django'}"), 0, true, 1,
     NULL},
    {"selected, enough", SCALE("{'replicas':3}", "{'selector':'component=django'}"), 0, true, 0,
     NULL},
    {"selected, many", SCALE("{'replicas':2147483647}", "{'selector':'component=django'}"), 0, true,
     0, NULL},
};

static void test_scale(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scale_cases) / sizeof(scale_cases[0]); i++) {
        const struct scale_case *c = &scale_cases[i];
        struct policy p;
        struct findings f;
        struct diag d;
        bool selected = !c->selected;
        cJSON *o = parse_q(c->scale);
        int rc;

        make_policy(&p, NULL);
        findings_init(&f);
        diag_clear(&d);
        rc = engine_validate_scale(&p, o, &selected, &f, &d);
        if (rc != c->rc)
            fail_msg("case \"%s\": rc %d (%s)", c->name, rc, d.message);
        if (rc == 0 && selected != c->selected)
            fail_msg("case \"%s\": selected %d", c->name, selected);
        if (rc != 0 && !d.message[0])
            fail_msg("case \"%s\": no message", c->name);
        if (rc != 0 && c->pointer && strcmp(d.pointer, c->pointer) != 0)
            fail_msg("case \"%s\": pointer \"%s\"", c->name, d.pointer);
        if (f.count != c->violations)
            fail_msg("case \"%s\": %zu violations", c->name, f.count);
        if (f.count) {
            assert_int_equal(f.items[0].rule, RULE_REPLICAS_MINIMUM);
            assert_int_equal(f.items[0].action, RULE_ENFORCE);
            assert_string_equal(f.items[0].pointer, "/spec/replicas");
            assert_non_null(strstr(f.items[0].message, "below the minimum of 3"));
        }
        findings_free(&f);
        cJSON_Delete(o);
    }
}

static void test_scale_actions(void **state)
{
    struct policy p;
    struct findings f;
    struct diag d;
    bool selected;
    cJSON *o = parse_q(SCALE("{'replicas':1}", "{'selector':'component=django'}"));

    (void)state;
    make_policy(&p, NULL);
    p.rules[RULE_REPLICAS_MINIMUM].action = RULE_WARN;
    findings_init(&f);
    diag_clear(&d);
    assert_int_equal(engine_validate_scale(&p, o, &selected, &f, &d), 0);
    assert_true(selected);
    assert_int_equal(f.count, 1);
    assert_int_equal(f.items[0].action, RULE_WARN);
    findings_free(&f);

    p.rules[RULE_REPLICAS_MINIMUM].action = RULE_OFF;
    findings_init(&f);
    assert_int_equal(engine_validate_scale(&p, o, &selected, &f, &d), 0);
    assert_true(selected);
    assert_int_equal(f.count, 0);
    findings_free(&f);

    /* a selector with expressions on the policy side */
    make_policy(&p, "{'matchExpressions':[{'key':'component','operator':'In','values':['django','web']}]}");
    findings_init(&f);
    assert_int_equal(engine_validate_scale(&p, o, &selected, &f, &d), 0);
    assert_true(selected);
    assert_int_equal(f.count, 1);
    findings_free(&f);
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selects_null),
        cmocka_unit_test(test_selects),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_structure_first_of_a_name),
        cmocka_unit_test(test_structure_large),
        cmocka_unit_test(test_exemptions),
        cmocka_unit_test(test_exempt_not_mutated),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_mutated_validates),
        cmocka_unit_test(test_mutate_leaves_input),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_scale_actions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
