/* document: YAML / JSON text -> cJSON trees with a line per node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "document.h"

/* Parses a NUL-terminated literal that must be exactly one document and
 * returns it; fails the test with the diag otherwise. */
static void parse_one(const char *yaml, size_t len, struct document_set *set)
{
    struct diag d;
    char buf[1024];

    diag_clear(&d);
    if (document_parse("t.yaml", yaml, len, set, &d) < 0)
        fail_msg("parse failed for <<%s>>: %s", yaml, diag_format(&d, buf, sizeof(buf)));
    if (set->count != 1)
        fail_msg("expected one document for <<%s>>, got %zu", yaml, set->count);
}

static void assert_json(const cJSON *got, const char *expected, const char *input)
{
    cJSON *want = cJSON_Parse(expected);
    char *text;

    assert_non_null(want);
    if (!cJSON_Compare(got, want, 1)) {
        text = cJSON_PrintUnformatted(got);
        fail_msg("<<%s>>: got %s, want %s", input, text ? text : "(null)", expected);
    }
    cJSON_Delete(want);
}

struct typing_case {
    const char *yaml;
    const char *json;
};

/* Hostile and edge cases first, then what manifests hold. */
static const struct typing_case typing_cases[] = {
    /* keys with "~" and "/", empty key, non-ASCII */
    {"~/a: 1", "{\"~/a\": 1}"},
    {"\"a/b~c\": x", "{\"a/b~c\": \"x\"}"},
    {"? \"\"\n: x", "{\"\": \"x\"}"},
    {"caf\xc3\xa9: \xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5",
     "{\"caf\xc3\xa9\": \"\xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5\"}"},
    /* JSON's surrogate-pair escapes (RFC 8259 section 7, what json.dumps
     * writes) mean the character, in strings and keys; an escaped quote or
     * backslash does not confuse the rewrite; YAML input is not rewritten */
    {"{\"a\": \"gift \\ud83c\\udf81 caf\\u00e9\"}", "{\"a\": \"gift \xf0\x9f\x8e\x81 caf\xc3\xa9\"}"},
    {" \n[\"\\uD83D\\uDE00\", {\"\\ud83c\\udf81\": 1}]",
     "[\"\xf0\x9f\x98\x80\", {\"\xf0\x9f\x8e\x81\": 1}]"},
    {"{\"a\": \"\\\\ud83c\\\\udf81\", \"b\": \"\\\"\\ud83c\\udf81\"}",
     "{\"a\": \"\\\\ud83c\\\\udf81\", \"b\": \"\\\"\xf0\x9f\x8e\x81\"}"},
    /* keys stay as written, whatever they look like */
    {"1: a\ntrue: b\n~: c\n0x10: d", "{\"1\": \"a\", \"true\": \"b\", \"~\": \"c\", \"0x10\": \"d\"}"},
    /* null */
    {"a:", "{\"a\": null}"},
    {"a: ~", "{\"a\": null}"},
    {"a: null", "{\"a\": null}"},
    {"a: Null", "{\"a\": null}"},
    {"a: NULL", "{\"a\": null}"},
    {"a: nULL", "{\"a\": \"nULL\"}"},
    {"a: ''", "{\"a\": \"\"}"},
    {"a: \"~\"", "{\"a\": \"~\"}"},
    /* booleans, YAML 1.1 as go-yaml v2 */
    {"[true, True, TRUE, false, False, FALSE]", "[true, true, true, false, false, false]"},
    {"[yes, Yes, YES, no, No, NO, on, On, ON, off, Off, OFF]",
     "[true, true, true, false, false, false, true, true, true, false, false, false]"},
    {"[y, Y, n, N]", "[true, true, false, false]"},
    {"[tRUE, yES, oN, nO, Off_, truely, 'true', \"yes\"]",
     "[\"tRUE\", \"yES\", \"oN\", \"nO\", \"Off_\", \"truely\", \"true\", \"yes\"]"},
    /* integers: Go syntax after "_" is removed */
    {"[0, -0, +5, -5, 00, 017, 0o17, 0O17, 0x1F, 0X1f, -0x10, +0x10, 0b101, 1_000]",
     "[0, 0, 5, -5, 0, 15, 15, 15, 31, 31, -16, 16, 5, 1000]"},
    {"[9007199254740992, -9007199254740992]", "[9007199254740992, -9007199254740992]"},
    /* a bad octal is a float in go-yaml; "0x" alone is a string */
    {"[08, 09.5, 0x, 0xg, 0b, 1__2]", "[8, 9.5, \"0x\", \"0xg\", \"0b\", 12]"},
    /* floats */
    {"[1.5, 1e3, 1E3, 1e+3, 2.5e-1, .5, -.5, +.5, 1., 6.02e23, 1_0.5]",
     "[1.5, 1000, 1000, 1000, 0.25, 0.5, -0.5, 0.5, 1, 6.02e23, 10.5]"},
    /* not numbers: overflowing floats stay strings (go-yaml), junk */
    {"[1e400, ., .e3, 1e, 1.5.6, ._5, '1', \"2.5\", +, 1-2, 0.5m, 500m, 1Gi]",
     "[\"1e400\", \".\", \".e3\", \"1e\", \"1.5.6\", \"._5\", \"1\", \"2.5\", \"+\", \"1-2\", "
     "\"0.5m\", \"500m\", \"1Gi\"]"},
    /* dates and times stay strings (go-yaml v2 into interface{}) */
    {"[2024-01-02, 2001-12-14t21:59:43.10-05:00, '12:30', 12:30]",
     "[\"2024-01-02\", \"2001-12-14t21:59:43.10-05:00\", \"12:30\", \"12:30\"]"},
    /* quoted, literal, folded: always strings */
    {"a: |\n  123\n  true\nb: >-\n  1\n  2\n", "{\"a\": \"123\\ntrue\\n\", \"b\": \"1 2\"}"},
    {"a: \"tab\\there \\u00e9 \\/\"", "{\"a\": \"tab\\there \\u00e9 /\"}"},
    /* tags */
    {"[!!str 123, !!str true, !!int \"42\", !!float 3, !!float '2.5', !!bool yes, !!null '', ! 12]",
     "[\"123\", \"true\", 42, 3, 2.5, true, null, \"12\"]"},
    {"a: !!map {b: !!seq [1]}", "{\"a\": {\"b\": [1]}}"},
    /* anchors and aliases copy the subtree; later anchors shadow earlier */
    {"a: &x {b: [1, 2]}\nc: *x\nd: [*x, *x]",
     "{\"a\": {\"b\": [1, 2]}, \"c\": {\"b\": [1, 2]}, \"d\": [{\"b\": [1, 2]}, {\"b\": [1, 2]}]}"},
    {"a: &x 1\nb: &x two\nc: *x", "{\"a\": 1, \"b\": \"two\", \"c\": \"two\"}"},
    {"&k 8080: port\nx: *k", "{\"8080\": \"port\", \"x\": 8080}"},
    /* a quoted "<<" is an ordinary key */
    {"\"<<\": 1\n'<<x': 2", "{\"<<\": 1, \"<<x\": 2}"},
    /* flow and JSON, tabs between tokens */
    {"{\n\t\"a\": [\n\t\t1,\n\t\t2\n\t]\n}\n", "{\"a\": [1, 2]}"},
    {"{\"a\": [1, 2]}", "{\"a\": [1, 2]}"},
    {"[1, two, {c: d}, [], {}]", "[1, \"two\", {\"c\": \"d\"}, [], {}]"},
    {"{\"n\": -1.5e-3, \"t\": true, \"z\": null, \"s\": \"\\u00e9\"}",
     "{\"n\": -1.5e-3, \"t\": true, \"z\": null, \"s\": \"\\u00e9\"}"},
    /* a root scalar is a document too */
    {"hello", "\"hello\""},
    {"--- 5", "5"},
    /* CRLF and a byte-order mark */
    {"a: 1\r\nb: |\r\n  x\r\n  y\r\n", "{\"a\": 1, \"b\": \"x\\ny\\n\"}"},
    {"\xef\xbb\xbf" "a: 1", "{\"a\": 1}"},
    /* what manifests hold */
    {"cpu: 0.5\nmemory: 512Mi\nport: 8000\nimage: nginx:1.25\npath: /health/live/\n"
     "scrape: \"true\"",
     "{\"cpu\": 0.5, \"memory\": \"512Mi\", \"port\": 8000, \"image\": \"nginx:1.25\", "
     "\"path\": \"/health/live/\", \"scrape\": \"true\"}"},
};

static void test_typing(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(typing_cases) / sizeof(typing_cases[0]); i++) {
        struct document_set set;
        parse_one(typing_cases[i].yaml, strlen(typing_cases[i].yaml), &set);
        assert_json(set.docs[0].root, typing_cases[i].json, typing_cases[i].yaml);
        document_set_free(&set);
    }
}

struct error_case {
    const char *yaml;
    /* 0: strlen(yaml) */
    size_t len;
    int line;
    const char *fragment;
    /* expected diag pointer, NULL: not checked */
    const char *pointer;
};

static const struct error_case error_cases[] = {
    /* NUL bytes: in the stream, and from a "\0" escape */
    {"a: 1\nb: x\0y", 11, 2, "NUL byte", NULL},
    {"\0", 1, 1, "NUL byte", NULL},
    {"a: \"x\\0y\"", 0, 1, "NUL character", "/a"},
    {"\"k\\0\": 1", 0, 1, "NUL character", NULL},
    /* UTF-16 (a byte-order mark of either order) */
    {"\xff\xfe" "a\0:\0 \0" "1\0", 10, 1, "UTF-16", NULL},
    {"\xfe\xff" "\0a", 4, 1, "UTF-16", NULL},
    /* a lone surrogate escape is still refused, with its line */
    {"{\n\"a\": \"\\ud83c x\"}", 0, 2, "escape", NULL},
    {"a: \"\\ud83c\\udf81\"", 0, 1, "escape", NULL},
    /* invalid UTF-8 */
    {"a: 1\nb: \xc3\x28", 0, 2, "UTF-8", NULL},
    {"a: \xff", 0, 1, "UTF-8", NULL},
    {"a: \xe2\x82", 0, 1, "UTF-8", NULL},
    /* duplicate keys, block and flow, nested, with escaping in the pointer */
    {"a: 1\nb: 2\na: 3", 0, 3, "duplicate key \"a\" (first at line 1)", "/a"},
    {"x:\n  b: 1\n  c: 2\n  b: {d: 1}\n", 0, 4, "duplicate key \"b\" (first at line 2)",
     "/x/b"},
    {"{a: 1, a: 2}", 0, 1, "duplicate key \"a\"", "/a"},
    {"m:\n  a/b: 1\n  \"a/b\": 2", 0, 3, "duplicate key \"a/b\"", "/m/a~1b"},
    {"- x: 1\n- y: 1\n  y: 2", 0, 3, "duplicate key \"y\"", "/1/y"},
    /* keys */
    {"? [a]\n: b", 0, 1, "mapping keys must be scalars", NULL},
    {"{{a: 1}: b}", 0, 1, "mapping keys must be scalars", NULL},
    {"a: &x k\n*x : 2", 0, 2, "aliases as mapping keys", NULL},
    {"!!int 1: a", 0, 1, "mapping keys must be strings", NULL},
    {"base: &b {a: 1}\nd:\n  <<: *b", 0, 3, "merge keys", "/d"},
    /* tags */
    {"a: !!binary aGk=", 0, 1, "unsupported tag !!binary", "/a"},
    {"a:\n  b: !foo x", 0, 2, "unsupported tag !foo", "/a/b"},
    {"a: !!int x", 0, 1, "cannot read \"x\" as !!int", "/a"},
    {"a: !!bool 1", 0, 1, "as !!bool", "/a"},
    {"a: !!null 0", 0, 1, "as !!null", "/a"},
    {"!!seq {a: 1}", 0, 1, "unsupported tag !!seq", NULL},
    {"a: !!map [1]", 0, 1, "unsupported tag !!map", "/a"},
    {"a: !!timestamp 2001-12-14", 0, 1, "unsupported tag !!timestamp", "/a"},
    /* values JSON cannot hold */
    {"a: 1\nb: .inf", 0, 2, ".inf has no JSON form", "/b"},
    {"[.nan, .NaN]", 0, 1, "no JSON form", "/0"},
    {"a: -.Inf", 0, 1, "no JSON form", NULL},
    {"a: !!float .inf", 0, 1, "no JSON form", NULL},
    {"a: 9007199254740993", 0, 1, "integer out of range", "/a"},
    {"a: -9007199254740993", 0, 1, "integer out of range", NULL},
    {"a: 123456789012345678901234567890", 0, 1, "integer out of range", NULL},
    {"a: 0xFFFFFFFFFFFFFFFFFF", 0, 1, "integer out of range", NULL},
    {"a: 18446744073709551615", 0, 1, "integer out of range", NULL},
    /* anchors; a failure after an anchored key frees it */
    {"a: *nope", 0, 1, "unknown anchor \"nope\"", "/a"},
    {"&k a: 1\nb: *nope", 0, 2, "unknown anchor", "/b"},
    {"a: &x [*x]", 0, 1, "unknown anchor", NULL},
    {"a: &x 1\n---\nb: *x", 0, 3, "unknown anchor", NULL},
    /* syntax: libyaml's problem with its mark */
    {"a: b: c", 0, 1, "invalid YAML: mapping values are not allowed", NULL},
    {"a:\n\tb: 1", 0, 2, "invalid YAML", NULL},
    {"a: [1, 2\nb: 3", 0, 2, "did not find expected ',' or ']'", NULL},
    {"key: 'unterminated", 0, 1, "invalid YAML", NULL},
    {"- a\nb: c", 0, 2, "invalid YAML", NULL},
    {"a:\n  - 1\n - 2", 0, 3, "invalid YAML", NULL},
    {"{\"a\": 1,, }", 0, 1, "invalid YAML", NULL},
    {"a: 1\n...\nb", 0, 3, "did not find expected <document start>", NULL},
    {"%YAML 2.0\n---\na", 0, 1, "invalid YAML", NULL},
    /* an error in a later document */
    {"a: 1\n---\nb: [", 0, 3, "invalid YAML", NULL},
};

static void test_errors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const struct error_case *c = &error_cases[i];
        struct document_set set = {(struct document *)&set, 42};
        struct diag d;
        size_t len = c->len ? c->len : strlen(c->yaml);
        int rc;

        diag_clear(&d);
        rc = document_parse("bad.yaml", c->yaml, len, &set, &d);
        if (rc != -1)
            fail_msg("case %zu <<%s>> parsed, expected an error", i, c->yaml);
        assert_null(set.docs);
        assert_int_equal(set.count, 0);
        assert_string_equal(d.file, "bad.yaml");
        if (d.line != c->line || !strstr(d.message, c->fragment))
            fail_msg("case %zu <<%s>>: got line %d \"%s\", want line %d \"%s\"", i, c->yaml,
                     d.line, d.message, c->line, c->fragment);
        if (c->pointer)
            assert_string_equal(d.pointer, c->pointer);
    }
}

/* no documents, no error */
static void test_empty(void **state)
{
    static const char *const inputs[] = {
        "", "\n\n", "---", "---\n", "--- \n...\n", "# only a comment\n", "---\n# c\n---\n",
        "--- ~\n", "null", "\xef\xbb\xbf", "\r\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct document_set set;
        struct diag d;

        diag_clear(&d);
        assert_int_equal(document_parse("e.yaml", inputs[i], strlen(inputs[i]), &set, &d), 0);
        if (set.count != 0)
            fail_msg("<<%s>>: %zu documents", inputs[i], set.count);
        document_set_free(&set);
    }
    /* NULL text with length 0 is an empty input too */
    {
        struct document_set set;
        struct diag d;
        assert_int_equal(document_parse("e.yaml", NULL, 0, &set, &d), 0);
        assert_int_equal(set.count, 0);
        document_set_free(&set);
    }
    /* freeing an emptied set twice is harmless */
    {
        struct document_set set = {0};
        document_set_free(&set);
        document_set_free(&set);
        document_set_free(NULL);
    }
}

static void test_multi(void **state)
{
    static const char text[] = "a: 1\n"
                               "---\n"
                               "b: 2\n"
                               "---\n"
                               "---\n"
                               "# nothing\n"
                               "--- [3]\n"
                               "...\n"
                               "---\n"
                               "\n"
                               "c:\n"
                               "  d: 4\n";
    struct document_set set;
    struct diag d;

    (void)state;
    assert_int_equal(document_parse("m.yaml", text, strlen(text), &set, &d), 0);
    assert_int_equal(set.count, 4);
    assert_json(set.docs[0].root, "{\"a\": 1}", text);
    assert_json(set.docs[1].root, "{\"b\": 2}", text);
    assert_json(set.docs[2].root, "[3]", text);
    assert_json(set.docs[3].root, "{\"c\": {\"d\": 4}}", text);
    assert_int_equal(set.docs[0].line, 1);
    assert_int_equal(set.docs[1].line, 3);
    assert_int_equal(set.docs[2].line, 7);
    assert_int_equal(set.docs[3].line, 11);
    assert_int_equal(document_line(&set.docs[3], "/c/d"), 12);
    assert_int_equal(document_line(&set.docs[3], "/c/zz"), 11);
    document_set_free(&set);
}

struct line_case {
    const char *pointer;
    int line;
};

static const char django[] =
    "# a Django app\n"                                   /* 1 */
    "apiVersion: apps/v1\n"                              /* 2 */
    "kind: Deployment\n"                                 /* 3 */
    "metadata:\n"                                        /* 4 */
    "  name: django\n"                                   /* 5 */
    "  labels:\n"                                        /* 6 */
    "    component: django\n"                            /* 7 */
    "    app.kubernetes.io/name: shop\n"                 /* 8 */
    "spec:\n"                                            /* 9 */
    "  replicas: 1\n"                                    /* 10 */
    "  selector:\n"                                      /* 11 */
    "    matchLabels:\n"                                 /* 12 */
    "      component: django\n"                          /* 13 */
    "  template:\n"                                      /* 14 */
    "    metadata:\n"                                    /* 15 */
    "      labels:\n"                                    /* 16 */
    "        component: django\n"                        /* 17 */
    "      annotations:\n"                               /* 18 */
    "        prometheus.io/scrape: \"true\"\n"           /* 19 */
    "    spec:\n"                                        /* 20 */
    "      initContainers:\n"                            /* 21 */
    "      - name: migrate\n"                            /* 22 */
    "        image: shop:1.4\n"                          /* 23 */
    "        command: [python, manage.py, migrate]\n"    /* 24 */
    "      containers:\n"                                /* 25 */
    "      - name: django\n"                             /* 26 */
    "        image: registry.example.com/shop:1.4\n"     /* 27 */
    "        ports:\n"                                   /* 28 */
    "        - containerPort: 8000\n"                    /* 29 */
    "          name: http\n"                             /* 30 */
    "        env:\n"                                     /* 31 */
    "        - name: DJANGO_SETTINGS_MODULE\n"           /* 32 */
    "          value: shop.settings.production\n"        /* 33 */
    "        - name: DEBUG\n"                            /* 34 */
    "          value: \"false\"\n"                       /* 35 */
    "        resources:\n"                               /* 36 */
    "          requests:\n"                              /* 37 */
    "            cpu: 500m\n"                            /* 38 */
    "            memory: 512Mi\n"                        /* 39 */
    "      - name: nginx\n"                              /* 40 */
    "        image: nginx:1.25\n"                        /* 41 */
    "---\n"                                              /* 42 */
    "apiVersion: v1\n"                                   /* 43 */
    "kind: Service\n"                                    /* 44 */
    "metadata:\n"                                        /* 45 */
    "  name: django\n"                                   /* 46 */
    "spec:\n"                                            /* 47 */
    "  type: ClusterIP\n"                                /* 48 */
    "  selector:\n"                                      /* 49 */
    "    component: django\n"                            /* 50 */
    "  ports:\n"                                         /* 51 */
    "  - port: 80\n"                                     /* 52 */
    "    targetPort: 8000\n";                            /* 53 */

static const struct line_case deployment_lines[] = {
    {"", 2},
    {"/kind", 3},
    {"/metadata/labels/app.kubernetes.io~1name", 8},
    {"/spec/replicas", 10},
    {"/spec/template/metadata/annotations/prometheus.io~1scrape", 19},
    {"/spec/template/spec/initContainers/0", 22},
    {"/spec/template/spec/initContainers/0/command/2", 24},
    {"/spec/template/spec/containers", 25},
    {"/spec/template/spec/containers/0", 26},
    {"/spec/template/spec/containers/0/image", 27},
    {"/spec/template/spec/containers/0/ports/0/containerPort", 29},
    {"/spec/template/spec/containers/0/ports/0/name", 30},
    {"/spec/template/spec/containers/0/env/1/value", 35},
    {"/spec/template/spec/containers/0/resources/requests/memory", 39},
    {"/spec/template/spec/containers/1", 40},
    {"/spec/template/spec/containers/1/image", 41},
    /* missing: the nearest ancestor */
    {"/spec/template/spec/containers/0/livenessProbe", 26},
    {"/spec/template/spec/containers/0/livenessProbe/httpGet/path", 26},
    {"/spec/template/spec/containers/0/resources/limits/cpu", 36},
    {"/spec/template/spec/securityContext", 20},
    {"/spec/strategy", 9},
    {"/spec/template/spec/containers/7/image", 25},
    {"/spec/template/metadata/annotations/prometheus.io~1port", 18},
    {"/nope", 2},
    {"/spec/", 9},
    {"/spec//x", 9},
    {"garbage", 2},
    /* a prefix of a key is not the key */
    {"/spec/templat", 9},
    {"/spec/template/specx", 14},
};

static const struct line_case service_lines[] = {
    {"", 43},
    {"/spec/ports/0", 52},
    {"/spec/ports/0/targetPort", 53},
    {"/spec/ports/0/protocol", 52},
    {"/spec/selector/component", 50},
};

static void check_lines(const struct document *doc, const struct line_case *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int got = document_line(doc, cases[i].pointer);
        if (got != cases[i].line)
            fail_msg("line of \"%s\": got %d, want %d", cases[i].pointer, got, cases[i].line);
    }
}

static void test_django_manifest(void **state)
{
    struct document_set set;
    struct diag d;
    const cJSON *image;
    size_t i;

    (void)state;
    assert_int_equal(document_parse("django.yaml", django, strlen(django), &set, &d), 0);
    assert_int_equal(set.count, 2);
    assert_int_equal(set.docs[0].line, 2);
    assert_int_equal(set.docs[1].line, 43);
    check_lines(&set.docs[0], deployment_lines,
                sizeof(deployment_lines) / sizeof(deployment_lines[0]));
    check_lines(&set.docs[1], service_lines, sizeof(service_lines) / sizeof(service_lines[0]));
    assert_int_equal(document_line(&set.docs[0], NULL), 2);
    assert_int_equal(document_line(NULL, "/spec"), 0);
    /* the table is sorted and holds every node */
    for (i = 1; i < set.docs[0].lines_count; i++)
        assert_true(strcmp(set.docs[0].lines[i - 1].pointer, set.docs[0].lines[i].pointer) < 0);
    image = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(set.docs[0].root, "spec"), "template"),
                    "spec"),
                "containers"),
            0),
        "image");
    assert_true(cJSON_IsString(image));
    assert_string_equal(image->valuestring, "registry.example.com/shop:1.4");
    assert_json(cJSON_GetObjectItemCaseSensitive(set.docs[1].root, "spec"),
                "{\"type\": \"ClusterIP\", \"selector\": {\"component\": \"django\"},"
                " \"ports\": [{\"port\": 80, \"targetPort\": 8000}]}",
                "service");
    document_set_free(&set);
}

static void test_json_lines(void **state)
{
    static const char text[] = "{\n"
                               "  \"items\": [\n"
                               "    1,\n"
                               "    {\"a\": 2,\n"
                               "     \"b\": [true]},\n"
                               "    \"x\"\n"
                               "  ]\n"
                               "}\n";
    static const struct line_case cases[] = {
        {"", 1},       {"/items", 2},   {"/items/0", 3},   {"/items/1", 4}, {"/items/1/a", 4},
        {"/items/1/b", 5}, {"/items/1/b/0", 5}, {"/items/2", 6}, {"/items/3", 2},
    };
    struct document_set set;

    (void)state;
    parse_one(text, strlen(text), &set);
    assert_json(set.docs[0].root, "{\"items\": [1, {\"a\": 2, \"b\": [true]}, \"x\"]}", text);
    check_lines(&set.docs[0], cases, sizeof(cases) / sizeof(cases[0]));
    document_set_free(&set);
}

static void test_crlf_bom_lines(void **state)
{
    static const char text[] = "\xef\xbb\xbf# c\r\na: 1\r\nb:\r\n  - x\r\n  - z\r\n";
    static const struct line_case cases[] = {
        {"/a", 2}, {"/b", 3}, {"/b/0", 4}, {"/b/1", 5},
    };
    struct document_set set;

    (void)state;
    parse_one(text, strlen(text), &set);
    assert_json(set.docs[0].root, "{\"a\": 1, \"b\": [\"x\", \"z\"]}", text);
    check_lines(&set.docs[0], cases, sizeof(cases) / sizeof(cases[0]));
    document_set_free(&set);
}

/* Aliased copies get the alias's line. */
static void test_alias_lines(void **state)
{
    static const char text[] = "base: &b\n"
                               "  x: 1\n"
                               "  y: [2]\n"
                               "copy: *b\n";
    static const struct line_case cases[] = {
        {"/base/x", 2}, {"/base/y/0", 3}, {"/copy", 4}, {"/copy/x", 4}, {"/copy/y/0", 4},
    };
    struct document_set set;

    (void)state;
    parse_one(text, strlen(text), &set);
    check_lines(&set.docs[0], cases, sizeof(cases) / sizeof(cases[0]));
    document_set_free(&set);
}

/* "[" * n + "]" * n, or n levels of block mappings */
static char *nested(int n, int block)
{
    size_t cap = (size_t)n * (block ? (size_t)n * 2 + 8 : 2) + 16, used = 0;
    char *s = malloc(cap);
    int i;

    assert_non_null(s);
    for (i = 0; i < n; i++) {
        if (block)
            used += (size_t)snprintf(s + used, cap - used, "%*sk:\n", 2 * i, "");
        else
            s[used++] = '[';
    }
    for (i = 0; !block && i < n; i++)
        s[used++] = ']';
    if (block)
        used += (size_t)snprintf(s + used, cap - used, "%*sleaf", 2 * n, "");
    s[used] = '\0';
    return s;
}

static void test_depth(void **state)
{
    struct document_set set;
    struct diag d;
    char *s;

    (void)state;
    /* exactly the cap: fine */
    s = nested(DOCUMENT_DEPTH_MAX, 0);
    assert_int_equal(document_parse("deep", s, strlen(s), &set, &d), 0);
    assert_int_equal(set.count, 1);
    document_set_free(&set);
    free(s);
    /* one more, and 100 levels, flow and block: refused, never a crash */
    s = nested(DOCUMENT_DEPTH_MAX + 1, 0);
    assert_int_equal(document_parse("deep", s, strlen(s), &set, &d), -1);
    assert_non_null(strstr(d.message, "nesting deeper than"));
    assert_int_equal(d.line, 1);
    free(s);
    s = nested(100, 1);
    assert_int_equal(document_parse("deep", s, strlen(s), &set, &d), -1);
    assert_non_null(strstr(d.message, "nesting deeper than"));
    assert_int_equal(d.line, DOCUMENT_DEPTH_MAX + 1);
    free(s);
    s = nested(10000, 0);
    assert_int_equal(document_parse("deep", s, strlen(s), &set, &d), -1);
    free(s);
    /* an alias may not carry a deep anchor below the cap either */
    {
        char *anchor = nested(40, 0);
        char *text = malloc(200 + strlen(anchor) * 2);
        size_t i, n;
        assert_non_null(text);
        n = (size_t)sprintf(text, "a: &x %s\nb: ", anchor);
        for (i = 0; i < 30; i++)
            text[n++] = '[';
        n += (size_t)sprintf(text + n, "*x");
        for (i = 0; i < 30; i++)
            text[n++] = ']';
        text[n] = '\0';
        assert_int_equal(document_parse("deep", text, n, &set, &d), -1);
        assert_non_null(strstr(d.message, "nesting deeper than"));
        assert_int_equal(d.line, 2);
        free(text);
        free(anchor);
    }
}

/* billion laughs: 10^9 nodes if expanded */
static void test_alias_bomb(void **state)
{
    static const char text[] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                               "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                               "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                               "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                               "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                               "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                               "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    struct document_set set;
    struct diag d;

    (void)state;
    assert_int_equal(document_parse("bomb.yaml", text, strlen(text), &set, &d), -1);
    assert_non_null(strstr(d.message, "more than"));
    assert_true(d.line >= 6 && d.line <= 9);
    assert_int_equal(set.count, 0);
}

/* A long key above many nodes would be copied into each of their
 * pointers: the table's total size is capped. */
static void test_long_key_paths(void **state)
{
    size_t key = (size_t)4 * 1024 * 1024, children = 40, i, n = 0;
    char *text = malloc(key + children * 16 + 16);
    struct document_set set;
    struct diag d;

    (void)state;
    assert_non_null(text);
    text[n++] = '?';
    text[n++] = ' ';
    memset(text + n, 'k', key);
    n += key;
    n += (size_t)sprintf(text + n, "\n:\n");
    for (i = 0; i < children; i++)
        n += (size_t)sprintf(text + n, "  c%zu: 1\n", i);
    assert_int_equal(document_parse("keys.yaml", text, n, &set, &d), -1);
    assert_non_null(strstr(d.message, "key paths exceed"));
    assert_true(d.line > 3);
    /* a few children are fine */
    n = 2 + key + 3;
    n += (size_t)sprintf(text + n, "  c: 1\n");
    assert_int_equal(document_parse("keys.yaml", text, n, &set, &d), 0);
    assert_int_equal(set.count, 1);
    document_set_free(&set);
    free(text);
}

static void test_huge_scalar(void **state)
{
    size_t n = (size_t)10 * 1024 * 1024, i;
    char *text = malloc(n + 16);
    struct document_set set;
    struct diag d;
    const cJSON *v;

    (void)state;
    assert_non_null(text);
    memcpy(text, "key: ", 5);
    for (i = 0; i < n; i++)
        text[5 + i] = (char)('a' + i % 26);
    memcpy(text + 5 + n, "\nnext: 1\n", 9);
    assert_int_equal(document_parse("big.yaml", text, n + 14, &set, &d), 0);
    assert_int_equal(set.count, 1);
    v = cJSON_GetObjectItemCaseSensitive(set.docs[0].root, "key");
    assert_true(cJSON_IsString(v));
    assert_int_equal(strlen(v->valuestring), n);
    assert_int_equal(document_line(&set.docs[0], "/next"), 2);
    document_set_free(&set);
    /* the same length of digits is an integer literal out of range */
    memset(text + 5, '7', n);
    assert_int_equal(document_parse("big.yaml", text, n + 14, &set, &d), -1);
    assert_non_null(strstr(d.message, "integer out of range"));
    assert_int_equal(d.line, 1);
    free(text);
}

/* Every prefix and many single-byte changes of a real manifest: parse
 * succeeds or fails with a message and a sane line, never crashes (run
 * under ASan in CI). */
static void test_mutations(void **state)
{
    static const char bytes[] = {'\t', ':', '{', '[', '\xff', '"', '&', '*', '\0', '-', '\n', '!'};
    size_t len = strlen(django), i, j;
    char *copy = malloc(len);
    int lines = 0;

    (void)state;
    assert_non_null(copy);
    for (i = 0; i < len; i++)
        lines += django[i] == '\n';
    /* a byte turned into a newline adds a line */
    lines++;
    for (i = 0; i <= len; i++) {
        struct document_set set;
        struct diag d;
        diag_clear(&d);
        if (document_parse("cut.yaml", django, i, &set, &d) < 0) {
            assert_true(d.message[0] != '\0');
            assert_true(d.line >= 0 && d.line <= lines + 1);
        }
        document_set_free(&set);
    }
    for (i = 0; i < len; i++) {
        for (j = 0; j < sizeof(bytes); j++) {
            struct document_set set;
            struct diag d;
            memcpy(copy, django, len);
            copy[i] = bytes[j];
            diag_clear(&d);
            if (document_parse("flip.yaml", copy, len, &set, &d) < 0) {
                assert_true(d.message[0] != '\0');
                if (d.line < 0 || d.line > lines + 1)
                    fail_msg("byte %zu -> 0x%02x: line %d: %s", i, (unsigned char)bytes[j], d.line,
                             d.message);
            }
            document_set_free(&set);
        }
    }
    free(copy);
}

static void test_plain_is_string(void **state)
{
    static const struct {
        const char *text;
        int is_string;
    } cases[] = {
        {"", 0},        {"~", 0},      {"null", 0},  {"yes", 0},     {"Off", 0},   {"y", 0},
        {"8000", 0},    {"0x10", 0},   {"1e3", 0},   {".5", 0},      {"+1", 0},    {".inf", 0},
        {"<<", 0},      {"1_0", 0},    {"99999999999999999999", 0},  {"django", 1},
        {"500m", 1},    {"1Gi", 1},    {"yess", 1},  {"1e400", 1},   {"0x", 1},    {"/metrics", 1},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (document_plain_is_string(cases[i].text, strlen(cases[i].text)) != cases[i].is_string)
            fail_msg("\"%s\": want %d", cases[i].text, cases[i].is_string);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_huge_scalar),
        cmocka_unit_test(test_long_key_paths),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_typing),
        cmocka_unit_test(test_plain_is_string),
        cmocka_unit_test(test_multi),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_crlf_bom_lines),
        cmocka_unit_test(test_alias_lines),
        cmocka_unit_test(test_django_manifest),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
