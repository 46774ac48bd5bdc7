/* Tests for selector: label key and value syntax, the JSON form (hostile
 * input first), the Scale.status.selector string form, matching a labels
 * object and matching another selector's equality terms, and rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "selector.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    if (!j)
        fail_msg("test JSON does not parse: %s", text);
    return j;
}

static void assert_json(const cJSON *item, const char *want, const char *what)
{
    char *got = cJSON_PrintUnformatted(item);
    char copy[2048];

    assert_non_null(got);
    snprintf(copy, sizeof(copy), "%s", got);
    cJSON_free(got);
    if (strcmp(copy, want) != 0)
        fail_msg("%s:\n got  %s\n want %s", what, copy, want);
}

/* A string of n copies of c (caller frees). */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---------------------------------------------------------------------- */

static const struct key_case {
    const char *key;
    /* fragment of the reason, NULL when valid */
    const char *why;
} key_cases[] = {
    {"", "must not be empty"},
    {"/", "prefix before '/' must not be empty"},
    {"/app", "prefix before '/' must not be empty"},
    {"example.com/", "name must not be empty"},
    {"a/b/c", "at most one '/'"},
    {"Example.com/app", "DNS subdomain"},
    {"-example.com/app", "DNS subdomain"},
    {"example-.com/app", "DNS subdomain"},
    {"example..com/app", "DNS subdomain"},
    {"example.com./app", "DNS subdomain"},
    {"exa_mple.com/app", "DNS subdomain"},
    {"-app", "starting and ending"},
    {"app-", "starting and ending"},
    {"_app", "starting and ending"},
    {"app~name", "letters, digits"},
    {"app name", "letters, digits"},
    {"\xc3\xa9t\xc3\xa9", "starting and ending"},
    {"a\xc3\xa9z", "letters, digits"},
    {"app", NULL},
    {"A", NULL},
    {"9", NULL},
    {"app.kubernetes.io/name", NULL},
    {"kubernetes.io/hostname", NULL},
    {"component", NULL},
    {"a-b_c.d", NULL},
    {"x.y/A-b_C.9", NULL},
};

static void test_key_syntax(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(key_cases); i++) {
        const struct key_case *c = &key_cases[i];
        const char *got = selector_key_error(c->key, strlen(c->key));

        if (!c->why && got)
            fail_msg("key \"%s\": want valid, got \"%s\"", c->key, got);
        if (c->why && (!got || !strstr(got, c->why)))
            fail_msg("key \"%s\": want \"%s\", got \"%s\"", c->key, c->why, got ? got : "valid");
    }
}

static void test_key_lengths(void **state)
{
    char *name63 = repeat('a', 63), *name64 = repeat('a', 64);
    char *prefix253 = repeat('b', 253), *prefix254 = repeat('b', 254);
    char buf[400];

    (void)state;
    assert_null(selector_key_error(name63, 63));
    assert_non_null(strstr(selector_key_error(name64, 64), "at most 63"));
    snprintf(buf, sizeof(buf), "%s/%s", prefix253, name63);
    assert_null(selector_key_error(buf, strlen(buf)));
    snprintf(buf, sizeof(buf), "%s/a", prefix254);
    assert_non_null(strstr(selector_key_error(buf, strlen(buf)), "at most 253"));
    /* the length is given, not taken from a NUL */
    assert_null(selector_key_error("app/", 3));
    free(name63);
    free(name64);
    free(prefix253);
    free(prefix254);
}

static void test_value_syntax(void **state)
{
    static const struct key_case cases[] = {
        {"", NULL},       {"django", NULL},        {"v1.2.3", NULL},   {"A_b-C", NULL},
        {"-x", "starting"}, {"x.", "starting"},   {"a/b", "letters"}, {"a b", "letters"},
        {"\xe2\x9c\x93", "starting"},
    };
    char *v63 = repeat('v', 63), *v64 = repeat('v', 64);

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *got = selector_value_error(cases[i].key, strlen(cases[i].key));
        if (!cases[i].why && got)
            fail_msg("value \"%s\": want valid, got \"%s\"", cases[i].key, got);
        if (cases[i].why && (!got || !strstr(got, cases[i].why)))
            fail_msg("value \"%s\": want \"%s\", got \"%s\"", cases[i].key, cases[i].why,
                     got ? got : "valid");
    }
    assert_null(selector_value_error(v63, 63));
    assert_non_null(strstr(selector_value_error(v64, 64), "at most 63"));
    free(v63);
    free(v64);
}

/* ---------------------------------------------------------------------- */
/* JSON form: errors */

static const struct bad_json {
    const char *json;
    const char *pointer;
    const char *message;
} bad_json[] = {
    {"[]", "/selector", "expected an object, got list"},
    {"\"component=django\"", "/selector", "expected an object, got string"},
    {"null", "/selector", "expected an object, got null"},
    {"{\"matchlabels\":{}}", "/selector/matchlabels", "unknown key \"matchlabels\""},
    {"{\"m\\u00e4tchLabels\":{}}", "/selector/m\xc3\xa4tchLabels", "unknown key \"m\xc3\xa4tchLabels\""},
    {"{\"a/b~c\":1}", "/selector/a~1b~0c", "unknown key \"a/b~c\""},
    {"{\"matchLabels\":{},\"matchLabels\":{}}", "/selector/matchLabels", "duplicate key"},
    {"{\"matchLabels\":[]}", "/selector/matchLabels", "expected an object, got list"},
    {"{\"matchLabels\":{\"app\":1}}", "/selector/matchLabels/app", "expected a string, got number"},
    {"{\"matchLabels\":{\"app\":{\"a\":{\"b\":{}}}}}", "/selector/matchLabels/app",
     "expected a string, got object"},
    {"{\"matchLabels\":{\"app\":\"a\",\"app\":\"b\"}}", "/selector/matchLabels/app", "duplicate key"},
    {"{\"matchLabels\":{\"a/b/c\":\"x\"}}", "/selector/matchLabels/a~1b~1c",
     "invalid label key \"a/b/c\": must contain at most one '/'"},
    {"{\"matchLabels\":{\"a~b\":\"x\"}}", "/selector/matchLabels/a~0b", "invalid label key \"a~b\""},
    {"{\"matchLabels\":{\"\":\"x\"}}", "/selector/matchLabels/", "invalid label key \"\": must not be empty"},
    {"{\"matchLabels\":{\"app\":\"-bad\"}}", "/selector/matchLabels/app", "invalid label value \"-bad\""},
    {"{\"matchLabels\":{\"app\":\"caf\\u00e9\"}}", "/selector/matchLabels/app",
     "invalid label value \"caf\xc3\xa9\""},
    {"{\"matchLabels\":{\"app\":\"a\\nb\"}}", "/selector/matchLabels/app",
     "invalid label value \"a\\x0ab\""},
    {"{\"matchExpressions\":{}}", "/selector/matchExpressions", "expected a list, got object"},
    {"{\"matchExpressions\":[1]}", "/selector/matchExpressions/0", "expected an object, got number"},
    {"{\"matchExpressions\":[{\"operator\":\"Exists\"}]}", "/selector/matchExpressions/0",
     "missing key"},
    {"{\"matchExpressions\":[{\"key\":\"a\"}]}", "/selector/matchExpressions/0", "missing operator"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"value\":[]}]}",
     "/selector/matchExpressions/0/value", "unknown key \"value\" (expected key, operator or values)"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"key\":\"b\",\"operator\":\"Exists\"}]}",
     "/selector/matchExpressions/0/key", "duplicate key"},
    {"{\"matchExpressions\":[{\"key\":7,\"operator\":\"Exists\"}]}",
     "/selector/matchExpressions/0/key", "expected a string, got number"},
    {"{\"matchExpressions\":[{\"key\":\"Bad.Prefix/a\",\"operator\":\"Exists\"}]}",
     "/selector/matchExpressions/0/key", "DNS subdomain"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"in\",\"values\":[\"x\"]}]}",
     "/selector/matchExpressions/0/operator",
     "unknown operator \"in\" (expected In, NotIn, Exists or DoesNotExist)"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":[\"In\"]}]}",
     "/selector/matchExpressions/0/operator", "expected a string, got list"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
     "/selector/matchExpressions/0/values", "values must be non-empty when operator is In"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[]}]}",
     "/selector/matchExpressions/0/values", "values must be non-empty when operator is NotIn"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
     "/selector/matchExpressions/0/values", "values must be empty when operator is Exists"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\",\"values\":[\"\"]}]}",
     "/selector/matchExpressions/0/values", "values must be empty when operator is DoesNotExist"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":\"x\"}]}",
     "/selector/matchExpressions/0/values", "expected a list, got string"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",null]}]}",
     "/selector/matchExpressions/0/values/1", "expected a string, got null"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x y\"]}]}",
     "/selector/matchExpressions/0/values/0", "invalid label value \"x y\""},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},"
     "{\"key\":\"b\",\"operator\":\"Nope\"}]}",
     "/selector/matchExpressions/1/operator", "unknown operator \"Nope\""},
};

static void test_parse_json_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(bad_json); i++) {
        const struct bad_json *c = &bad_json[i];
        cJSON *j = parse(c->json);
        struct selector s, before;
        struct diag d;

        diag_clear(&d);
        memset(&s, 0x5a, sizeof(s));
        before = s;
        if (selector_parse(j, "/selector", &s, &d) != -1)
            fail_msg("case %zu %s: parsed, want an error", i, c->json);
        if (strcmp(d.pointer, c->pointer) != 0)
            fail_msg("case %zu %s: pointer \"%s\", want \"%s\"", i, c->json, d.pointer, c->pointer);
        if (!strstr(d.message, c->message))
            fail_msg("case %zu %s: message \"%s\", want \"%s\"", i, c->json, d.message, c->message);
        /* the output is written only on success */
        assert_memory_equal(&s, &before, sizeof(s));
        cJSON_Delete(j);
    }
}

static void test_parse_json_huge(void **state)
{
    char *key = repeat('k', 400);
    char *value = repeat('v', 100000);
    cJSON *j = cJSON_CreateObject(), *labels = cJSON_AddObjectToObject(j, "matchLabels");
    struct selector s;
    struct diag d;

    (void)state;
    assert_non_null(cJSON_AddStringToObject(labels, key, "x"));
    diag_clear(&d);
    assert_int_equal(selector_parse(j, "/selector", &s, &d), -1);
    assert_non_null(strstr(d.message, "is too long"));
    /* the message quotes a bounded prefix */
    assert_true(strlen(d.message) < 200);
    cJSON_Delete(j);

    j = cJSON_CreateObject();
    labels = cJSON_AddObjectToObject(j, "matchLabels");
    assert_non_null(cJSON_AddStringToObject(labels, "app", value));
    diag_clear(&d);
    assert_int_equal(selector_parse(j, "/selector", &s, &d), -1);
    assert_string_equal(d.pointer, "/selector/matchLabels/app");
    assert_non_null(strstr(d.message, "at most 63 characters"));
    assert_non_null(strstr(d.message, "\"..."));
    cJSON_Delete(j);
    free(key);
    free(value);
}

static void test_parse_json_too_many(void **state)
{
    cJSON *j = cJSON_CreateObject(), *labels = cJSON_AddObjectToObject(j, "matchLabels");
    cJSON *exprs = cJSON_AddArrayToObject(j, "matchExpressions");
    cJSON *expr, *values;
    struct selector s;
    struct diag d;

    (void)state;
    for (int i = 0; i <= SELECTOR_TERMS_MAX; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        assert_non_null(cJSON_AddStringToObject(labels, k, "v"));
    }
    diag_clear(&d);
    assert_int_equal(selector_parse(j, "/selector", &s, &d), -1);
    assert_string_equal(d.pointer, "/selector/matchLabels/k16");
    assert_non_null(strstr(d.message, "too many selector terms (at most 16)"));

    /* values: repeats collapse (a set), more than the cap is an error */
    cJSON_DeleteItemFromObject(j, "matchLabels");
    expr = cJSON_CreateObject();
    cJSON_AddItemToArray(exprs, expr);
    cJSON_AddStringToObject(expr, "key", "a");
    cJSON_AddStringToObject(expr, "operator", "In");
    values = cJSON_AddArrayToObject(expr, "values");
    for (int i = 0; i < 40; i++)
        cJSON_AddItemToArray(values, cJSON_CreateString("same"));
    assert_int_equal(selector_parse(j, NULL, &s, &d), 0);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.terms[0].values_count, 1);
    for (int i = 0; i < SELECTOR_VALUES_MAX; i++) {
        char v[16];
        snprintf(v, sizeof(v), "v%d", i);
        cJSON_AddItemToArray(values, cJSON_CreateString(v));
    }
    assert_int_equal(selector_parse(j, NULL, &s, &d), -1);
    assert_string_equal(d.pointer, "/matchExpressions/0/values/55");
    assert_non_null(strstr(d.message, "too many values (at most 16)"));
    cJSON_Delete(j);
}

/* ---------------------------------------------------------------------- */
/* JSON form: valid, rendered back */

static const struct good_json {
    const char *json;
    size_t count;
    const char *rendered;
} good_json[] = {
    {"{}", 0, "{}"},
    {"{\"matchLabels\":null,\"matchExpressions\":null}", 0, "{}"},
    {"{\"matchLabels\":{}}", 0, "{}"},
    {"{\"matchLabels\":{\"component\":\"django\"}}", 1, "{\"matchLabels\":{\"component\":\"django\"}}"},
    {"{\"matchLabels\":{\"app.kubernetes.io/name\":\"\"}}", 1,
     "{\"matchLabels\":{\"app.kubernetes.io/name\":\"\"}}"},
    {"{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"web\",\"api\",\"web\"]},"
     "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"},"
     "{\"key\":\"team\",\"operator\":\"Exists\",\"values\":[]},"
     "{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"dev\"]}]}",
     4,
     "{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"web\",\"api\"]},"
     "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"},{\"key\":\"team\",\"operator\":\"Exists\"},"
     "{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"dev\"]}]}"},
    /* an In with one value is an equality: it renders as matchLabels unless
     * the key is already there */
    {"{\"matchLabels\":{\"a\":\"1\"},\"matchExpressions\":[{\"key\":\"b\",\"operator\":\"In\",\"values\":[\"2\"]},"
     "{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"3\"]}]}",
     3,
     "{\"matchLabels\":{\"a\":\"1\",\"b\":\"2\"},\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\","
     "\"values\":[\"3\"]}]}"},
};

static void test_parse_json_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(good_json); i++) {
        cJSON *j = parse(good_json[i].json), *out, *again;
        struct selector s, s2;
        struct diag d;

        diag_clear(&d);
        if (selector_parse(j, "/selector", &s, &d) != 0)
            fail_msg("case %zu %s: %s at %s", i, good_json[i].json, d.message, d.pointer);
        assert_int_equal(s.count, good_json[i].count);
        out = selector_to_json(&s);
        assert_json(out, good_json[i].rendered, good_json[i].json);
        /* what we render parses back to a selector that renders the same */
        assert_int_equal(selector_parse(out, "", &s2, &d), 0);
        again = selector_to_json(&s2);
        assert_true(cJSON_Compare(out, again, true));
        cJSON_Delete(again);
        cJSON_Delete(out);
        cJSON_Delete(j);
    }
}

/* ---------------------------------------------------------------------- */
/* matching */

static const struct match_case {
    const char *selector;
    /* labels JSON, or NULL for no labels object at all */
    const char *labels;
    bool want;
} match_cases[] = {
    /* the empty selector matches everything, even no labels */
    {"{}", NULL, true},
    {"{}", "{}", true},
    {"{}", "[]", true},
    {"{\"matchLabels\":{\"component\":\"django\"}}", NULL, false},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "\"component=django\"", false},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "{\"component\":\"django\"}", true},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "{\"Component\":\"django\"}", false},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "{\"component\":\"Django\"}", false},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "{\"component\":\"django\",\"x\":\"y\"}", true},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "{\"component\":1}", false},
    {"{\"matchLabels\":{\"a\":\"1\",\"b\":\"2\"}}", "{\"a\":\"1\"}", false},
    {"{\"matchLabels\":{\"a\":\"1\",\"b\":\"2\"}}", "{\"b\":\"2\",\"a\":\"1\"}", true},
    {"{\"matchLabels\":{\"a\":\"\"}}", "{\"a\":\"\"}", true},
    {"{\"matchLabels\":{\"a\":\"\"}}", "{}", false},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"In\",\"values\":[\"web\",\"api\"]}]}",
     "{\"t\":\"api\"}", true},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"In\",\"values\":[\"web\",\"api\"]}]}",
     "{\"t\":\"db\"}", false},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"In\",\"values\":[\"web\",\"api\"]}]}",
     "{}", false},
    /* NotIn matches when the key is absent (Kubernetes) */
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"NotIn\",\"values\":[\"db\"]}]}", "{}", true},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"NotIn\",\"values\":[\"db\"]}]}", NULL, true},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"NotIn\",\"values\":[\"db\"]}]}",
     "{\"t\":\"db\"}", false},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"NotIn\",\"values\":[\"db\"]}]}",
     "{\"t\":\"web\"}", true},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"Exists\"}]}", "{\"t\":\"\"}", true},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"Exists\"}]}", "{}", false},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"DoesNotExist\"}]}", "{}", true},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"DoesNotExist\"}]}", NULL, true},
    {"{\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"DoesNotExist\"}]}", "{\"t\":\"x\"}", false},
    /* all terms must hold */
    {"{\"matchLabels\":{\"component\":\"django\"},\"matchExpressions\":[{\"key\":\"canary\","
     "\"operator\":\"DoesNotExist\"}]}",
     "{\"component\":\"django\",\"canary\":\"true\"}", false},
    {"{\"matchLabels\":{\"component\":\"django\"},\"matchExpressions\":[{\"key\":\"canary\","
     "\"operator\":\"DoesNotExist\"}]}",
     "{\"component\":\"django\"}", true},
    {"{\"matchLabels\":{\"app.kubernetes.io/name\":\"shop\"}}", "{\"app.kubernetes.io/name\":\"shop\"}",
     true},
};

static void test_matches(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(match_cases); i++) {
        const struct match_case *c = &match_cases[i];
        cJSON *sj = parse(c->selector), *labels = c->labels ? parse(c->labels) : NULL;
        struct selector s;
        struct diag d;

        diag_clear(&d);
        assert_int_equal(selector_parse(sj, "", &s, &d), 0);
        if (selector_matches(&s, labels) != c->want)
            fail_msg("case %zu: %s against %s: want %s", i, c->selector,
                     c->labels ? c->labels : "(none)", c->want ? "match" : "no match");
        cJSON_Delete(labels);
        cJSON_Delete(sj);
    }
}

/* ---------------------------------------------------------------------- */
/* string form */

static const struct string_case {
    const char *text;
    /* rendered JSON, NULL when the text must be refused */
    const char *rendered;
    /* message fragment for refused text */
    const char *message;
} string_cases[] = {
    {"", "{}", NULL},
    {"   ", "{}", NULL},
    {"a=b", "{\"matchLabels\":{\"a\":\"b\"}}", NULL},
    {"a==b", "{\"matchLabels\":{\"a\":\"b\"}}", NULL},
    {" a = b , c == d ", "{\"matchLabels\":{\"a\":\"b\",\"c\":\"d\"}}", NULL},
    {"a=", "{\"matchLabels\":{\"a\":\"\"}}", NULL},
    {"a=,b=c", "{\"matchLabels\":{\"a\":\"\",\"b\":\"c\"}}", NULL},
    {"e!=f", "{\"matchExpressions\":[{\"key\":\"e\",\"operator\":\"NotIn\",\"values\":[\"f\"]}]}", NULL},
    {"g in (h,i)", "{\"matchExpressions\":[{\"key\":\"g\",\"operator\":\"In\",\"values\":[\"h\",\"i\"]}]}",
     NULL},
    {"g in(h)", "{\"matchLabels\":{\"g\":\"h\"}}", NULL},
    {"j notin (k)", "{\"matchExpressions\":[{\"key\":\"j\",\"operator\":\"NotIn\",\"values\":[\"k\"]}]}",
     NULL},
    {"g in (,h)", "{\"matchExpressions\":[{\"key\":\"g\",\"operator\":\"In\",\"values\":[\"\",\"h\"]}]}",
     NULL},
    {"g in (h,)", "{\"matchExpressions\":[{\"key\":\"g\",\"operator\":\"In\",\"values\":[\"h\",\"\"]}]}",
     NULL},
    {"l", "{\"matchExpressions\":[{\"key\":\"l\",\"operator\":\"Exists\"}]}", NULL},
    {"!m", "{\"matchExpressions\":[{\"key\":\"m\",\"operator\":\"DoesNotExist\"}]}", NULL},
    {"a=b,c==d,e!=f,g in (h,i),j notin (k),l,!m",
     "{\"matchLabels\":{\"a\":\"b\",\"c\":\"d\"},\"matchExpressions\":["
     "{\"key\":\"e\",\"operator\":\"NotIn\",\"values\":[\"f\"]},"
     "{\"key\":\"g\",\"operator\":\"In\",\"values\":[\"h\",\"i\"]},"
     "{\"key\":\"j\",\"operator\":\"NotIn\",\"values\":[\"k\"]},"
     "{\"key\":\"l\",\"operator\":\"Exists\"},{\"key\":\"m\",\"operator\":\"DoesNotExist\"}]}",
     NULL},
    {"app.kubernetes.io/name=shop", "{\"matchLabels\":{\"app.kubernetes.io/name\":\"shop\"}}", NULL},
    /* "in" is a keyword only where a key or operator is expected */
    {"a=in", "{\"matchLabels\":{\"a\":\"in\"}}", NULL},
    {",", NULL, "expected '!' or a label key at offset 0, found \",\""},
    {"a=b,", NULL, "expected '!' or a label key at offset 4, found end of string"},
    {"a=b,,c", NULL, "expected '!' or a label key at offset 4"},
    {"=b", NULL, "expected '!' or a label key at offset 0"},
    {"in=b", NULL, "found \"in\""},
    {"!", NULL, "expected a label key"},
    {"!a=b", NULL, "expected ',' or end of string"},
    {"a b", NULL, "expected =, ==, !=, in, notin"},
    {"a=b c", NULL, "expected ',' or end of string at offset 4"},
    {"a in h", NULL, "expected '(' at offset 5"},
    {"a in ()", NULL, "values of In must be non-empty"},
    {"a notin ()", NULL, "values of NotIn must be non-empty"},
    {"a in (b", NULL, "expected ',' or ')'"},
    {"a in (b c)", NULL, "expected ',' or ')'"},
    {"a in (b,(c))", NULL, "expected a value, ',' or ')'"},
    {"a>1", NULL, "'<' and '>' are not label selector operators"},
    {"a<1", NULL, "'<' and '>' are not label selector operators"},
    {"a=(", NULL, "expected a value"},
    {"a=b=c", NULL, "expected ',' or end of string"},
    {"Bad.Prefix/a=b", NULL, "invalid label key \"Bad.Prefix/a\""},
    {"a=-b", NULL, "invalid label value \"-b\""},
    {"a in (b,-c)", NULL, "invalid label value \"-c\""},
    {"caf\xc3\xa9=x", NULL, "invalid label key \"caf\xc3\xa9\""},
    {"a=\x01", NULL, "invalid label value \"\\x01\""},
    {"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", NULL, "too many selector terms (at most 16)"},
};

static void test_parse_string(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(string_cases); i++) {
        const struct string_case *c = &string_cases[i];
        struct selector s;
        struct diag d;
        int rc;

        diag_clear(&d);
        rc = selector_parse_string(c->text, &s, &d);
        if (c->rendered) {
            cJSON *out;
            if (rc != 0)
                fail_msg("case %zu \"%s\": refused: %s", i, c->text, d.message);
            out = selector_to_json(&s);
            assert_json(out, c->rendered, c->text);
            cJSON_Delete(out);
        } else {
            if (rc != -1)
                fail_msg("case %zu \"%s\": accepted, want an error", i, c->text);
            if (!strstr(d.message, c->message))
                fail_msg("case %zu \"%s\": message \"%s\", want \"%s\"", i, c->text, d.message,
                         c->message);
        }
    }
}

static void test_parse_string_hostile(void **state)
{
    char *long_key = repeat('k', 5000), *long_value = malloc(5003);
    struct selector s;
    struct diag d;

    (void)state;
    assert_non_null(long_value);
    diag_clear(&d);
    assert_int_equal(selector_parse_string(NULL, &s, &d), 0);
    assert_int_equal(s.count, 0);
    assert_int_equal(selector_parse_string(long_key, &s, &d), -1);
    assert_non_null(strstr(d.message, "too long"));
    snprintf(long_value, 5003, "a=%s", long_key);
    assert_int_equal(selector_parse_string(long_value, &s, &d), -1);
    assert_non_null(strstr(d.message, "at most 63 characters"));
    assert_true(strlen(d.message) < 300);
    free(long_key);
    free(long_value);
}

/* ---------------------------------------------------------------------- */
/* selector against a Scale's status.selector */

static const struct sel_sel_case {
    const char *policy;
    const char *scale;
    bool want;
} sel_sel_cases[] = {
    {"{\"matchLabels\":{\"component\":\"django\"}}", "component=django", true},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "component==django,app=shop", true},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "component in (django)", true},
    /* only equality terms describe the pods' labels */
    {"{\"matchLabels\":{\"component\":\"django\"}}", "component in (django,celery)", false},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "component", false},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "component!=celery", false},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "component=celery", false},
    {"{\"matchLabels\":{\"component\":\"django\"}}", "", false},
    {"{}", "", true},
    {"{}", "app=shop", true},
    {"{\"matchExpressions\":[{\"key\":\"canary\",\"operator\":\"DoesNotExist\"}]}", "app=shop", true},
    {"{\"matchExpressions\":[{\"key\":\"canary\",\"operator\":\"DoesNotExist\"}]}", "canary=yes", false},
    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\"}]}", "app=shop", true},
    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"shop\"]}]}",
     "app=blog", true},
    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"shop\"]}]}",
     "app=shop", false},
    {"{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"shop\",\"blog\"]}]}",
     "app=blog,component=django", true},
};

static void test_matches_selector(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(sel_sel_cases); i++) {
        const struct sel_sel_case *c = &sel_sel_cases[i];
        cJSON *pj = parse(c->policy);
        struct selector ps, ss;
        struct diag d;

        diag_clear(&d);
        assert_int_equal(selector_parse(pj, "", &ps, &d), 0);
        assert_int_equal(selector_parse_string(c->scale, &ss, &d), 0);
        if (selector_matches_selector(&ps, &ss) != c->want)
            fail_msg("case %zu: %s against \"%s\": want %s", i, c->policy, c->scale,
                     c->want ? "match" : "no match");
        cJSON_Delete(pj);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_syntax),
        cmocka_unit_test(test_key_lengths),
        cmocka_unit_test(test_value_syntax),
        cmocka_unit_test(test_parse_json_errors),
        cmocka_unit_test(test_parse_json_huge),
        cmocka_unit_test(test_parse_json_too_many),
        cmocka_unit_test(test_parse_json_good),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_parse_string),
        cmocka_unit_test(test_parse_string_hostile),
        cmocka_unit_test(test_matches_selector),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
