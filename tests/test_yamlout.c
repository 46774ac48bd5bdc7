/* yamlout: cJSON -> YAML that reads back (through document) as the same
 * JSON. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "document.h"
#include "yamlout.h"

/* Emits tree, parses the text back, and requires the same JSON: equal by
 * cJSON_Compare and printed the same (cJSON prints the shortest exact
 * number, so this also catches a number that moved by an ulp). */
static void assert_round_trip(const cJSON *tree, const char *label)
{
    struct document_set set;
    struct diag d;
    size_t len = 0;
    char *yaml, *want, *got;
    char buf[1024];

    diag_clear(&d);
    yaml = yamlout_emit(tree, &len, &d);
    if (!yaml)
        fail_msg("%s: emit failed: %s", label, diag_format(&d, buf, sizeof(buf)));
    assert_int_equal(strlen(yaml), len);
    assert_memory_equal(yaml, "---", 3);
    if (document_parse("out.yaml", yaml, len, &set, &d) < 0)
        fail_msg("%s: reading back\n%s\nfailed: %s", label, yaml,
                 diag_format(&d, buf, sizeof(buf)));
    if (set.count != 1)
        fail_msg("%s: %zu documents in\n%s", label, set.count, yaml);
    want = cJSON_PrintUnformatted(tree);
    got = cJSON_PrintUnformatted(set.docs[0].root);
    assert_non_null(want);
    assert_non_null(got);
    if (!cJSON_Compare(tree, set.docs[0].root, 1) || strcmp(want, got) != 0)
        fail_msg("%s: wrote\n%s\nread back %s\nwant %s", label, yaml, got, want);
    cJSON_free(want);
    cJSON_free(got);
    document_set_free(&set);
    free(yaml);
}

/* JSON texts whose every value must survive YAML and back. */
static const char *const round_trips[] = {
    /* strings a YAML reader would type as something else */
    "[\"true\", \"True\", \"TRUE\", \"false\", \"yes\", \"Yes\", \"NO\", \"on\", \"On\", \"off\","
    " \"OFF\", \"y\", \"Y\", \"n\", \"N\", \"null\", \"Null\", \"NULL\", \"~\", \"\"]",
    "[\"8000\", \"-1\", \"+1\", \"0\", \"-0\", \"00\", \"017\", \"0o17\", \"0x10\", \"0X1f\","
    " \"0b101\", \"1_000\", \"08\", \"1e3\", \"1E3\", \"1.\", \".5\", \"-.5\", \"1.5\","
    " \"6.02e23\", \".inf\", \"-.Inf\", \".nan\", \"99999999999999999999\", \"<<\"]",
    /* strings that only look special */
    "[\"1e400\", \"0x\", \"12:30\", \"2024-01-02\", \"500m\", \"1Gi\", \"0.5m\", \"yess\","
    " \"nginx:1.25\", \"/health/live/\", \"a\\\\b\", \"~/\", \"/\"]",
    /* indicators, spaces, document markers */
    "[\" lead\", \"trail \", \"  \", \"a: b\", \"a:\", \":\", \": x\", \"- x\", \"-\", \"?\","
    " \"? x\", \"#c\", \"x #y\", \"x#y\", \"[a\", \"]\", \"{a\", \"}\", \",\", \"&a\", \"*a\","
    " \"!t\", \"!!str\", \"%p\", \"@x\", \"`x\", \"'q\", \"\\\"dq\", \"|\", \">\", \"---\","
    " \"...\", \"--- x\", \"... x\", \"a  b\"]",
    /* several lines, blank lines, indentation, trailing newlines */
    "[\"a\\nb\", \"trailing\\n\", \"two\\n\\n\", \"\\nlead\", \"  ind\\nline\", \"x\\n \","
    " \"sp \\nx\", \"\\n\", \"\\n\\n\", \"a\\n\\n\\nb\", \"#!/bin/sh\\nexec gunicorn\\n\"]",
    /* control characters, CR, non-ASCII, a BOM inside a string */
    "[\"tab\\there\", \"cr\\r\\nlf\", \"\\r\", \"\\u0001\", \"\\u007f\", \"\\u0085y\","
    " \"\\u2028x\", \"a\\u2029b\", \"\\u00a0nbsp\", \"caf\\u00e9\", \"\\u0437\\u043d\\u0430\","
    " \"\\ud83d\\ude00\", \"\\ufeffbom\"]",
    /* keys with every trouble */
    "{\"true\": 1, \"1\": 2, \"\": 3, \" \": 4, \"a: b\": 5, \"~/\": 6, \"<<\": 7, \"-\": 8,"
    " \"null\": 9, \"a\\nb\": 10, \"x/y~z\": 11, \"prometheus.io/scrape\": \"true\","
    " \"caf\\u00e9\": 12, \"tab\\tkey\": 13}",
    /* numbers */
    "[0, -0, 1, -1, 8000, 9007199254740992, -9007199254740992, 9007199254740994, 1e21, 1e300,"
    " 1.7976931348623157e308, 0.1, 0.5, 1.5, -2.5e-7, 1e-300, 5e-324, 123456.789,"
    " 3.141592653589793, 1000000000000000.5, 2.2250738585072014e-308]",
    /* scalars of every type, empty containers, nesting */
    "{\"t\": true, \"f\": false, \"z\": null, \"o\": {}, \"a\": [], \"s\": \"\"}",
    "[[], {}, [[]], [{}], {\"a\": {}}, [[1, 2], [3]], {\"x\": [[{\"a\": [[]]}]]}, [null]]",
    "{\"a\": [{\"b\": [{\"c\": {\"d\": [1, \"2\", true, null]}}]}]}",
    /* roots that are not objects */
    "[]",
    "{}",
    "\"true\"",
    "\"plain\"",
    "42",
    "[\"x\"]",
};

static void test_round_trip_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(round_trips) / sizeof(round_trips[0]); i++) {
        cJSON *tree = cJSON_Parse(round_trips[i]);
        if (!tree)
            fail_msg("bad test JSON %s", round_trips[i]);
        assert_round_trip(tree, round_trips[i]);
        cJSON_Delete(tree);
    }
}

/* Each string alone, as a value and as a key, so a style chosen in one
 * context is tested in the others too. */
static void test_round_trip_contexts(void **state)
{
    static const char *const strings[] = {
        "true", "8000", "", "~", " lead", "a: b", "- x", "a\nb", "trailing\n", "\nlead",
        "tab\t", "---", "<<", "#c", "caf\xc3\xa9", "x\r\ny",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        cJSON *s = cJSON_CreateString(strings[i]);
        cJSON *obj = cJSON_CreateObject(), *arr = cJSON_CreateArray(), *flow = cJSON_CreateObject();
        assert_non_null(s);
        assert_non_null(obj);
        assert_non_null(arr);
        assert_non_null(flow);
        assert_round_trip(s, strings[i]);
        assert_non_null(cJSON_AddStringToObject(obj, strings[i], strings[i]));
        assert_round_trip(obj, strings[i]);
        assert_non_null(cJSON_AddStringToObject(flow, "k", strings[i]));
        assert_true(cJSON_AddItemToArray(arr, flow));
        assert_round_trip(arr, strings[i]);
        cJSON_Delete(s);
        cJSON_Delete(obj);
        cJSON_Delete(arr);
    }
}

static void test_round_trip_big(void **state)
{
    cJSON *root = cJSON_CreateObject(), *node = root;
    char *big = malloc(100001), key[32];
    size_t i;

    (void)state;
    assert_non_null(root);
    assert_non_null(big);
    /* nesting up to what document reads (few objects: cJSON_Compare
     * walks nested objects twice per level, 2^levels in all) */
    for (i = 1; i < DOCUMENT_DEPTH_MAX; i++) {
        cJSON *child = i % 8 ? cJSON_CreateArray() : cJSON_CreateObject();
        assert_non_null(child);
        if (cJSON_IsArray(node))
            assert_true(cJSON_AddItemToArray(node, child));
        else
            assert_true(cJSON_AddItemToObject(node, "k", child));
        node = child;
    }
    /* a 100 kB line and many keys */
    for (i = 0; i < 100000; i++)
        big[i] = (char)('a' + i % 26);
    big[100000] = '\0';
    assert_non_null(cJSON_AddStringToObject(root, "big", big));
    for (i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "key-%zu", i);
        assert_non_null(cJSON_AddNumberToObject(root, key, (double)i * 1.25));
    }
    assert_round_trip(root, "big");
    cJSON_Delete(root);
    free(big);
}

struct number_case {
    double value;
    const char *text;
};

static void test_numbers(void **state)
{
    static const struct number_case cases[] = {
        {0, "0"},
        {-0.0, "-0"},
        {1, "1"},
        {-1, "-1"},
        {8000, "8000"},
        {1e15, "1000000000000000"},
        {9007199254740992.0, "9007199254740992"},
        /* past 2^53: an exponent, so it reads back as a float */
        {9007199254740994.0, "9.007199254740994e+15"},
        {1e21, "1e+21"},
        {0.1, "0.1"},
        {0.5, "0.5"},
        {1.5, "1.5"},
        {-2.5e-7, "-2.5e-07"},
        {3.141592653589793, "3.141592653589793"},
        {1000000000000000.5, "1000000000000000.5"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *n = cJSON_CreateNumber(cases[i].value);
        char want[128], *got;
        struct diag d;
        assert_non_null(n);
        got = yamlout_emit(n, NULL, &d);
        assert_non_null(got);
        snprintf(want, sizeof(want), "--- %s\n", cases[i].text);
        /* a plain root scalar may be followed by an end marker */
        if (strncmp(got, want, strlen(want)) != 0)
            fail_msg("%.17g: got <<%s>>, want <<%s>>", cases[i].value, got, want);
        free(got);
        cJSON_Delete(n);
    }
}

static void test_errors(void **state)
{
    struct diag d;
    cJSON *tree;
    char *out;
    size_t i;

    (void)state;
    diag_clear(&d);
    assert_null(yamlout_emit(NULL, NULL, &d));
    assert_non_null(strstr(d.message, "nothing"));

    /* numbers JSON cannot carry either */
    tree = cJSON_Parse("{\"a\": [1]}");
    assert_non_null(tree);
    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(tree, "a"), 0)->valuedouble = NAN;
    diag_clear(&d);
    assert_null(yamlout_emit(tree, NULL, &d));
    assert_non_null(strstr(d.message, "not finite"));
    assert_string_equal(d.pointer, "/a/0");
    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(tree, "a"), 0)->valuedouble = -INFINITY;
    assert_null(yamlout_emit(tree, NULL, &d));
    cJSON_Delete(tree);

    /* invalid UTF-8 in a value and in a key */
    tree = cJSON_CreateObject();
    assert_non_null(tree);
    assert_non_null(cJSON_AddStringToObject(tree, "x/y", "bad \xff byte"));
    diag_clear(&d);
    assert_null(yamlout_emit(tree, NULL, &d));
    assert_non_null(strstr(d.message, "UTF-8"));
    assert_string_equal(d.pointer, "/x~1y");
    cJSON_Delete(tree);
    tree = cJSON_CreateObject();
    assert_non_null(tree);
    assert_non_null(cJSON_AddStringToObject(tree, "\xc3", "v"));
    diag_clear(&d);
    assert_null(yamlout_emit(tree, NULL, &d));
    assert_non_null(strstr(d.message, "UTF-8"));
    cJSON_Delete(tree);

    /* raw JSON has no YAML meaning */
    tree = cJSON_CreateRaw("{}");
    assert_non_null(tree);
    assert_null(yamlout_emit(tree, NULL, &d));
    assert_non_null(strstr(d.message, "unknown type"));
    cJSON_Delete(tree);

    /* deeper than any parsed tree can be: refused, not a stack overflow */
    tree = cJSON_CreateArray();
    assert_non_null(tree);
    {
        cJSON *node = tree;
        for (i = 0; i < 5000; i++) {
            cJSON *child = cJSON_CreateArray();
            assert_non_null(child);
            assert_true(cJSON_AddItemToArray(node, child));
            node = child;
        }
    }
    out = yamlout_emit(tree, NULL, &d);
    assert_null(out);
    assert_non_null(strstr(d.message, "nesting deeper"));
    cJSON_Delete(tree);
}

/* The format is pinned: block style, 2-space indent, sequences in
 * mappings not indented (as kubectl writes them), keys in tree order,
 * quotes only where a reader would otherwise change the value. */
static void test_deployment_text(void **state)
{
    static const char json[] =
        "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
        " \"metadata\": {\"name\": \"django\", \"labels\": {\"component\": \"django\"}},"
        " \"spec\": {\"replicas\": 3,"
        "  \"strategy\": {\"type\": \"RollingUpdate\","
        "   \"rollingUpdate\": {\"maxSurge\": 1, \"maxUnavailable\": 0}},"
        "  \"template\": {"
        "   \"metadata\": {\"annotations\": {\"prometheus.io/scrape\": \"true\","
        "    \"prometheus.io/port\": \"8000\", \"prometheus.io/path\": \"/metrics\"}},"
        "   \"spec\": {\"containers\": [{\"name\": \"django\", \"image\": \"shop:1.4\","
        "    \"command\": [\"gunicorn\", \"--bind\", \":8000\"],"
        "    \"env\": [{\"name\": \"DEBUG\", \"value\": \"no\"},"
        "     {\"name\": \"EMPTY\", \"value\": \"\"},"
        "     {\"name\": \"SCRIPT\", \"value\": \"set -e\\nmigrate\\n\"}],"
        "    \"resources\": {\"requests\": {\"cpu\": \"500m\", \"memory\": \"512Mi\"},"
        "     \"limits\": {\"cpu\": 0.5}},"
        "    \"securityContext\": {\"runAsNonRoot\": true, \"runAsUser\": 1000,"
        "     \"capabilities\": {\"drop\": [\"ALL\"]}},"
        "    \"volumeMounts\": [], \"args\": null, \"emptyDir\": {}}]}}}}";
    static const char want[] = "---\n"
                               "apiVersion: apps/v1\n"
                               "kind: Deployment\n"
                               "metadata:\n"
                               "  name: django\n"
                               "  labels:\n"
                               "    component: django\n"
                               "spec:\n"
                               "  replicas: 3\n"
                               "  strategy:\n"
                               "    type: RollingUpdate\n"
                               "    rollingUpdate:\n"
                               "      maxSurge: 1\n"
                               "      maxUnavailable: 0\n"
                               "  template:\n"
                               "    metadata:\n"
                               "      annotations:\n"
                               "        prometheus.io/scrape: \"true\"\n"
                               "        prometheus.io/port: \"8000\"\n"
                               "        prometheus.io/path: /metrics\n"
                               "    spec:\n"
                               "      containers:\n"
                               "      - name: django\n"
                               "        image: shop:1.4\n"
                               "        command:\n"
                               "        - gunicorn\n"
                               "        - --bind\n"
                               "        - :8000\n"
                               "        env:\n"
                               "        - name: DEBUG\n"
                               "          value: \"no\"\n"
                               "        - name: EMPTY\n"
                               "          value: \"\"\n"
                               "        - name: SCRIPT\n"
                               "          value: |\n"
                               "            set -e\n"
                               "            migrate\n"
                               "        resources:\n"
                               "          requests:\n"
                               "            cpu: 500m\n"
                               "            memory: 512Mi\n"
                               "          limits:\n"
                               "            cpu: 0.5\n"
                               "        securityContext:\n"
                               "          runAsNonRoot: true\n"
                               "          runAsUser: 1000\n"
                               "          capabilities:\n"
                               "            drop:\n"
                               "            - ALL\n"
                               "        volumeMounts: []\n"
                               "        args: null\n"
                               "        emptyDir: {}\n";
    cJSON *tree = cJSON_Parse(json);
    struct diag d;
    size_t len = 0;
    char *got;

    (void)state;
    assert_non_null(tree);
    got = yamlout_emit(tree, &len, &d);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(got);
    assert_round_trip(tree, "deployment");
    cJSON_Delete(tree);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_round_trip_table),
        cmocka_unit_test(test_round_trip_contexts),
        cmocka_unit_test(test_round_trip_big),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_deployment_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
