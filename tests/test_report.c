/* Tests for report: each format rendered from reports built by hand, read
 * back (JSON and SARIF with cJSON, JUnit with a small well-formedness
 * checker) and checked for structure, counts and escaping of hostile
 * strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "report.h"

/* hostile strings: quotes, markup, entities, line breaks, controls, non-ASCII */
#define HOSTILE_MESSAGE "bad \"value\" <x> & 'y'\nsecond line\r\ttab caf\xc3\xa9 \xe2\x9c\x93"
#define HOSTILE_CONTAINER "c<&>\"'"
#define HOSTILE_NAME "n\xc3\xa4me&<"

static struct report_object *add_object(struct report *r, const char *file, int line,
                                        const char *kind, const char *ns, const char *name)
{
    struct report_object *o = report_add(r);

    assert_non_null(o);
    snprintf(o->file, sizeof(o->file), "%s", file);
    o->line = line;
    snprintf(o->kind, sizeof(o->kind), "%s", kind);
    snprintf(o->namespace_, sizeof(o->namespace_), "%s", ns);
    snprintf(o->name, sizeof(o->name), "%s", name);
    return o;
}

static void add_violation(struct report_object *o, enum rule_id rule, enum rule_action action,
                          const char *container, const char *pointer, int line,
                          const char *message)
{
    struct diag d;
    size_t n = o->findings.count;
    int *lines;

    diag_clear(&d);
    assert_int_equal(findings_add(&o->findings, rule, container, pointer, &d, "%s", message), 0);
    if (o->findings.count == n)
        return; /* dropped past FINDINGS_MAX */
    o->findings.items[n].action = action;
    lines = realloc(o->lines, (n + 1) * sizeof(*lines));
    assert_non_null(lines);
    lines[n] = line;
    o->lines = lines;
}

static char *render(const struct report *r, enum report_format f, size_t *len)
{
    size_t n = 0;
    char *out = report_render(r, f, "9.8.7", &n);

    assert_non_null(out);
    assert_int_equal(strlen(out), n);
    if (len)
        *len = n;
    return out;
}

/* The report most tests use: two files, an object with an enforce and a
 * warn violation, a clean object, an object from stdin. */
static void build_sample(struct report *r)
{
    struct report_object *o;

    report_init(r);
    r->files = 2;
    r->skipped = 3;
    o = add_object(r, "deploy.yaml", 1, "Deployment", "shop", "web");
    add_violation(o, RULE_REPLICAS_MINIMUM, RULE_ENFORCE, "", "/spec/replicas", 7,
                  "replicas must be at least 3 (got 1)");
    add_violation(o, RULE_POD_ANTI_AFFINITY, RULE_WARN, "", "/spec/template/spec/affinity", 0,
                  "no preferred pod anti-affinity");
    add_violation(o, RULE_PROBE_LIVENESS_MISSING, RULE_ENFORCE, "django",
                  "/spec/template/spec/containers/0/livenessProbe", 20, "livenessProbe is missing");
    add_object(r, "deploy.yaml", 30, "Deployment", "", "clean");
    o = add_object(r, "-", 2, "Deployment", "ns", "from-stdin");
    add_violation(o, RULE_IMAGE_TAG, RULE_ENFORCE, "django", "", 9, "image has no tag");
}

struct format_case {
    const char *text;
    int rc;
    enum report_format format;
};

static const struct format_case FORMATS[] = {
    {"", -1, REPORT_TEXT},
    {"TEXT", -1, REPORT_TEXT},
    {"json ", -1, REPORT_TEXT},
    {"xml", -1, REPORT_TEXT},
    {"sarif2", -1, REPORT_TEXT},
    {"text", 0, REPORT_TEXT},
    {"json", 0, REPORT_JSON},
    {"junit", 0, REPORT_JUNIT},
    {"sarif", 0, REPORT_SARIF},
};

static void test_format_parse(void **state)
{
    enum report_format f = REPORT_TEXT;

    (void)state;
    assert_int_equal(report_format_parse(NULL, &f), -1);
    for (size_t i = 0; i < sizeof(FORMATS) / sizeof(FORMATS[0]); i++) {
        f = (enum report_format)99;
        assert_int_equal(report_format_parse(FORMATS[i].text, &f), FORMATS[i].rc);
        if (FORMATS[i].rc == 0)
            assert_int_equal(f, FORMATS[i].format);
        else
            assert_int_equal(f, 99);
    }
}

static void test_empty_report(void **state)
{
    struct report r;
    char *out;
    cJSON *j;

    (void)state;
    report_init(&r);
    out = render(&r, REPORT_TEXT, NULL);
    assert_string_equal(out, "0 objects checked, 0 skipped, 0 enforce violations, 0 warnings\n");
    free(out);

    out = render(&r, REPORT_JSON, NULL);
    j = cJSON_Parse(out);
    assert_non_null(j);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "objects")), 0);
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "objects")));
    cJSON_Delete(j);
    free(out);

    out = render(&r, REPORT_JUNIT, NULL);
    assert_string_equal(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<testsuites name=\"django-admission check\" tests=\"0\" "
                             "failures=\"0\" errors=\"0\" time=\"0\">\n"
                             "</testsuites>\n");
    free(out);

    out = render(&r, REPORT_SARIF, NULL);
    j = cJSON_Parse(out);
    assert_non_null(j);
    {
        cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "runs"), 0);
        cJSON *results = cJSON_GetObjectItemCaseSensitive(run, "results");
        assert_true(cJSON_IsArray(results));
        assert_int_equal(cJSON_GetArraySize(results), 0);
    }
    cJSON_Delete(j);
    free(out);
    report_free(&r);
}

static void test_text_sample(void **state)
{
    struct report r;
    char *out;

    (void)state;
    build_sample(&r);
    out = render(&r, REPORT_TEXT, NULL);
    assert_string_equal(
        out,
        "deploy.yaml:7: enforce [replicas-minimum] Deployment shop/web: replicas must be at "
        "least 3 (got 1) (at /spec/replicas)\n"
        "deploy.yaml:1: warn [pod-anti-affinity] Deployment shop/web: no preferred pod "
        "anti-affinity (at /spec/template/spec/affinity)\n"
        "deploy.yaml:20: enforce [probe-liveness-missing] Deployment shop/web container django: "
        "livenessProbe is missing (at /spec/template/spec/containers/0/livenessProbe)\n"
        "-:9: enforce [image-tag] Deployment ns/from-stdin container django: image has no tag\n"
        "3 objects checked, 3 skipped, 3 enforce violations, 1 warnings\n");
    free(out);
    assert_int_equal(report_count_action(&r, RULE_ENFORCE), 3);
    assert_int_equal(report_count_action(&r, RULE_WARN), 1);
    assert_int_equal(report_count_action(&r, RULE_OFF), 0);
    report_free(&r);
    assert_int_equal(r.count, 0);
    assert_null(r.objects);
}

struct text_escape_case {
    const char *message;
    const char *expected;
};

/* each message rendered in a one-violation report with no pointer */
static const struct text_escape_case TEXT_ESCAPES[] = {
    {"", ""},
    {"a\nb", "a\\nb"},
    {"a\r\nb", "a\\r\\nb"},
    {"\t", "\\t"},
    {"\x01\x1f\x7f", "\\x01\\x1f\\x7f"},
    /* C1 control U+0085 (NEL) and U+009B (CSI) */
    {"\xc2\x85\xc2\x9b", "\\u0085\\u009b"},
    {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x8d", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x8d"},
    /* malformed UTF-8: stray continuation, overlong, surrogate, truncated */
    {"\x80", "\xef\xbf\xbd"},
    {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"x\xe2\x9c", "x\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"quote \" <tag> & 'apos' \\", "quote \" <tag> & 'apos' \\"},
};

static void test_text_escaping(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(TEXT_ESCAPES) / sizeof(TEXT_ESCAPES[0]); i++) {
        struct report r;
        struct report_object *o;
        char expected[512];
        char *out;

        report_init(&r);
        o = add_object(&r, "f.yaml", 3, "Deployment", "", "a");
        add_violation(o, RULE_IMAGE_TAG, RULE_WARN, "", "", 4, TEXT_ESCAPES[i].message);
        out = render(&r, REPORT_TEXT, NULL);
        snprintf(expected, sizeof(expected),
                 "f.yaml:4: warn [image-tag] Deployment a: %s\n"
                 "1 objects checked, 0 skipped, 0 enforce violations, 1 warnings\n",
                 TEXT_ESCAPES[i].expected);
        assert_string_equal(out, expected);
        free(out);
        report_free(&r);
    }
}

static void test_text_file_and_name_escaped(void **state)
{
    struct report r;
    struct report_object *o;
    char *out;

    (void)state;
    report_init(&r);
    o = add_object(&r, "dir/a\nb.yaml", 0, "", "", "");
    add_violation(o, RULE_IMAGE_TAG, RULE_ENFORCE, "x\ny", "/a~1b", 0, "m");
    out = render(&r, REPORT_TEXT, NULL);
    /* unknown line: no ":LINE" part; missing kind and name are named */
    assert_string_equal(out, "dir/a\\nb.yaml: enforce [image-tag] (no kind) (no name) container "
                             "x\\ny: m (at /a~1b)\n"
                             "1 objects checked, 0 skipped, 1 enforce violations, 0 warnings\n");
    free(out);
    report_free(&r);
}

static void test_exemptions_and_truncation(void **state)
{
    struct report r;
    struct report_object *o;
    char *out;
    cJSON *j, *obj, *ex;

    (void)state;
    report_init(&r);
    o = add_object(&r, "x.yaml", 5, "Deployment", "ns", "big");
    for (size_t i = 0; i < FINDINGS_MAX + 5; i++)
        add_violation(o, RULE_ENV_LITERAL_SECRET, RULE_ENFORCE, "django", "/p", 6, "secret");
    assert_true(o->findings.truncated);
    o->findings.used[RULE_IMAGE_TAG] = true;
    o->findings.refused[RULE_PSS_PRIVILEGED] = true;
    o->findings.refused[RULE_PSS_HOST_PATH] = true;
    o->findings.unknown_exemptions = 2;

    out = render(&r, REPORT_TEXT, NULL);
    assert_non_null(strstr(out, "\nx.yaml:5: exemption used [image-tag] Deployment ns/big: "
                                "exempted by django-admission.io/exempt-rules\n"));
    assert_non_null(strstr(out, "\nx.yaml:5: exemption refused [pss-privileged] Deployment "
                                "ns/big: the policy does not allow exempting this rule\n"));
    assert_non_null(strstr(out, "\nx.yaml:5: exemption refused [pss-host-path] "));
    assert_non_null(strstr(out, "\nx.yaml:5: exemption unknown Deployment ns/big: 2 unknown "
                                "rule names in django-admission.io/exempt-rules\n"));
    assert_non_null(strstr(out, "\nx.yaml:5: truncated Deployment ns/big: 5 more violations "
                                "not listed (at most 1024 are kept)\n"));
    assert_non_null(strstr(out, "\n1 objects checked, 0 skipped, 1024 enforce violations, "
                                "0 warnings\n"));
    free(out);

    out = render(&r, REPORT_JSON, NULL);
    j = cJSON_Parse(out);
    assert_non_null(j);
    obj = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "objects"), 0);
    ex = cJSON_GetObjectItemCaseSensitive(obj, "exemptions");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ex, "used")), 1);
    assert_string_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ex, "used"), 0)->valuestring,
        "image-tag");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ex, "refused")), 2);
    assert_string_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ex, "refused"), 1)->valuestring,
        "pss-host-path");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(ex, "unknown")->valueint, 2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "truncated")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(obj, "dropped")->valueint, 5);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(obj, "violations")),
                     FINDINGS_MAX);
    cJSON_Delete(j);
    free(out);
    report_free(&r);
}

static const char *str_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static int int_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    assert_true(cJSON_IsNumber(v));
    return v->valueint;
}

static void test_json_sample(void **state)
{
    struct report r;
    char *out;
    cJSON *j, *summary, *objects, *o, *v;

    (void)state;
    build_sample(&r);
    out = render(&r, REPORT_JSON, NULL);
    /* one document */
    j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(str_at(j, "version"), "9.8.7");
    summary = cJSON_GetObjectItemCaseSensitive(j, "summary");
    assert_int_equal(int_at(summary, "files"), 2);
    assert_int_equal(int_at(summary, "objects"), 3);
    assert_int_equal(int_at(summary, "skipped"), 3);
    assert_int_equal(int_at(summary, "enforce"), 3);
    assert_int_equal(int_at(summary, "warn"), 1);
    objects = cJSON_GetObjectItemCaseSensitive(j, "objects");
    assert_int_equal(cJSON_GetArraySize(objects), 3);
    o = cJSON_GetArrayItem(objects, 0);
    assert_string_equal(str_at(o, "file"), "deploy.yaml");
    assert_int_equal(int_at(o, "line"), 1);
    assert_string_equal(str_at(o, "kind"), "Deployment");
    assert_string_equal(str_at(o, "namespace"), "shop");
    assert_string_equal(str_at(o, "name"), "web");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "violations")), 3);
    v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "violations"), 0);
    assert_string_equal(str_at(v, "rule"), "replicas-minimum");
    assert_string_equal(str_at(v, "action"), "enforce");
    assert_string_equal(str_at(v, "severity"), "medium");
    assert_string_equal(str_at(v, "container"), "");
    assert_string_equal(str_at(v, "pointer"), "/spec/replicas");
    assert_int_equal(int_at(v, "line"), 7);
    assert_string_equal(str_at(v, "message"), "replicas must be at least 3 (got 1)");
    /* a violation with line 0 falls back to the object's line */
    v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "violations"), 1);
    assert_string_equal(str_at(v, "action"), "warn");
    assert_int_equal(int_at(v, "line"), 1);
    o = cJSON_GetArrayItem(objects, 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "violations")), 0);
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(o, "exemptions"), "used")),
        0);
    cJSON_Delete(j);
    free(out);
    report_free(&r);
}

static void test_json_hostile_strings_round_trip(void **state)
{
    struct report r;
    struct report_object *o;
    char *out;
    cJSON *j, *jo, *v;

    (void)state;
    report_init(&r);
    o = add_object(&r, "we\"ird\n.yaml", 2, "Deployment", "n<s>", HOSTILE_NAME);
    add_violation(o, RULE_IMAGE_TAG, RULE_ENFORCE, HOSTILE_CONTAINER, "/a~1b/c~0d", 3,
                  HOSTILE_MESSAGE);
    add_violation(o, RULE_IMAGE_TAG, RULE_ENFORCE, "", "", 3, "bad \xff byte");
    out = render(&r, REPORT_JSON, NULL);
    j = cJSON_Parse(out);
    assert_non_null(j);
    jo = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "objects"), 0);
    assert_string_equal(str_at(jo, "file"), "we\"ird\n.yaml");
    assert_string_equal(str_at(jo, "namespace"), "n<s>");
    assert_string_equal(str_at(jo, "name"), HOSTILE_NAME);
    v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(jo, "violations"), 0);
    assert_string_equal(str_at(v, "message"), HOSTILE_MESSAGE);
    assert_string_equal(str_at(v, "container"), HOSTILE_CONTAINER);
    assert_string_equal(str_at(v, "pointer"), "/a~1b/c~0d");
    /* malformed UTF-8 is replaced, so the document stays valid UTF-8 */
    v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(jo, "violations"), 1);
    assert_string_equal(str_at(v, "message"), "bad \xef\xbf\xbd byte");
    assert_null(strchr(out, '\xff'));
    /* no raw control characters inside the JSON text other than layout */
    for (const char *p = out; *p; p++)
        assert_true((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t');
    cJSON_Delete(j);
    free(out);
    report_free(&r);
}

/* Minimal XML well-formedness check: balanced elements, quoted attribute
 * values without raw '<' or control characters, '&' only as one of the five
 * predefined entities or a character reference, no raw '<' or '>' in text,
 * no C0 control other than tab/newline. Returns the number of elements. */
static size_t xml_check(const char *xml)
{
    const char *stack[32];
    size_t depth = 0, elements = 0;
    const char *p = xml;

    assert_true(strncmp(p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
    p += 39;
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 && c != '\n' && c != '\t')
            fail_msg("raw control character 0x%02x at offset %td", c, p - xml);
        if (c == '&') {
            static const char *entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            bool ok = false;
            for (size_t i = 0; i < 5; i++)
                ok = ok || strncmp(p, entities[i], strlen(entities[i])) == 0;
            if (!ok && p[1] == '#') {
                const char *q = p + 2;
                if (*q == 'x')
                    q++;
                while ((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'F'))
                    q++;
                ok = *q == ';' && q > p + 2;
            }
            if (!ok)
                fail_msg("bad entity at offset %td", p - xml);
            p++;
            continue;
        }
        if (c == '>')
            fail_msg("raw '>' in text at offset %td", p - xml);
        if (c != '<') {
            p++;
            continue;
        }
        if (p[1] == '/') {
            size_t n = strcspn(p + 2, ">");
            assert_true(depth > 0);
            depth--;
            assert_int_equal(strncmp(stack[depth], p + 2, n), 0);
            assert_true(stack[depth][n] == ' ' || stack[depth][n] == '>' ||
                        stack[depth][n] == '/');
            p += 2 + n + 1;
            continue;
        }
        /* start tag: name, then name="value" pairs, then > or /> */
        const char *name = p + 1;
        p = name + strcspn(name, " />");
        elements++;
        for (;;) {
            while (*p == ' ')
                p++;
            if (*p == '/' && p[1] == '>') {
                p += 2;
                break;
            }
            if (*p == '>') {
                assert_true(depth < 32);
                stack[depth++] = name;
                p++;
                break;
            }
            p += strcspn(p, "=");
            assert_int_equal(p[0], '=');
            assert_int_equal(p[1], '"');
            p += 2;
            while (*p != '"') {
                assert_true(*p != '\0' && *p != '<' && (unsigned char)*p >= 0x20);
                if (*p == '&')
                    assert_true(p[1] == 'a' || p[1] == 'l' || p[1] == 'g' || p[1] == 'q' ||
                                p[1] == '#');
                p++;
            }
            p++;
        }
    }
    assert_int_equal(depth, 0);
    return elements;
}

static void test_junit_sample(void **state)
{
    struct report r;
    char *out;

    (void)state;
    build_sample(&r);
    out = render(&r, REPORT_JUNIT, NULL);
    assert_string_equal(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"django-admission check\" tests=\"3\" failures=\"2\" errors=\"0\" "
        "time=\"0\">\n"
        "  <testsuite name=\"deploy.yaml\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" "
        "time=\"0\">\n"
        "    <testcase classname=\"deploy.yaml\" name=\"Deployment shop/web\" time=\"0\">\n"
        "      <failure type=\"replicas-minimum\" message=\"replicas must be at least 3 (got 1)\">"
        "deploy.yaml:7: enforce [replicas-minimum] Deployment shop/web: replicas must be at "
        "least 3 (got 1) (at /spec/replicas)</failure>\n"
        "      <failure type=\"probe-liveness-missing\" message=\"livenessProbe is missing\">"
        "deploy.yaml:20: enforce [probe-liveness-missing] Deployment shop/web container django: "
        "livenessProbe is missing (at /spec/template/spec/containers/0/livenessProbe)</failure>\n"
        "      <system-out>deploy.yaml:1: warn [pod-anti-affinity] Deployment shop/web: no "
        "preferred pod anti-affinity (at /spec/template/spec/affinity)\n"
        "</system-out>\n"
        "    </testcase>\n"
        "    <testcase classname=\"deploy.yaml\" name=\"Deployment clean\" time=\"0\"/>\n"
        "  </testsuite>\n"
        "  <testsuite name=\"-\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\" "
        "time=\"0\">\n"
        "    <testcase classname=\"-\" name=\"Deployment ns/from-stdin\" time=\"0\">\n"
        "      <failure type=\"image-tag\" message=\"image has no tag\">-:9: enforce [image-tag] "
        "Deployment ns/from-stdin container django: image has no tag</failure>\n"
        "    </testcase>\n"
        "  </testsuite>\n"
        "</testsuites>\n");
    /* testsuites, 2 testsuite, 3 testcase, 3 failure, 1 system-out */
    assert_int_equal(xml_check(out), 10);
    free(out);
    report_free(&r);
}

struct xml_escape_case {
    const char *message;
    /* how the message appears in the message="" attribute */
    const char *attribute;
};

static const struct xml_escape_case XML_ESCAPES[] = {
    {"", ""},
    {"&", "&amp;"},
    {"<>", "&lt;&gt;"},
    {"\"'", "&quot;&apos;"},
    {"a\nb\tc\rd", "a&#10;b&#9;c&#13;d"},
    /* C0 controls cannot appear in XML 1.0 at all, not even as references */
    {"\x01\x08\x0b\x1f", "\\x01\\x08\\x0b\\x1f"},
    {"\x7f\xc2\x85", "&#x7F;&#x85;"},
    /* U+FFFE and U+FFFF are not XML characters; malformed UTF-8 */
    {"\xef\xbf\xbe\xef\xbf\xbf\xff", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x8d", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x8d"},
    {"&amp; already", "&amp;amp; already"},
    {"]]> <![CDATA[", "]]&gt; &lt;![CDATA["},
};

static void test_junit_escaping(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(XML_ESCAPES) / sizeof(XML_ESCAPES[0]); i++) {
        struct report r;
        struct report_object *o;
        char expected[512];
        char *out;

        report_init(&r);
        o = add_object(&r, "a&b<\"'>.yaml", 1, "Deployment", "n\"s", HOSTILE_NAME);
        add_violation(o, RULE_IMAGE_TAG, RULE_ENFORCE, HOSTILE_CONTAINER, "", 2,
                      XML_ESCAPES[i].message);
        add_violation(o, RULE_POD_ANTI_AFFINITY, RULE_WARN, "", "", 2, XML_ESCAPES[i].message);
        out = render(&r, REPORT_JUNIT, NULL);
        assert_int_equal(xml_check(out), 5);
        snprintf(expected, sizeof(expected), "message=\"%s\">", XML_ESCAPES[i].attribute);
        assert_non_null(strstr(out, expected));
        assert_non_null(strstr(out, "<testsuite name=\"a&amp;b&lt;&quot;&apos;&gt;.yaml\""));
        assert_non_null(strstr(out, "classname=\"a&amp;b&lt;&quot;&apos;&gt;.yaml\""));
        assert_non_null(strstr(out, "name=\"Deployment n&quot;s/n\xc3\xa4me&amp;&lt;\""));
        free(out);
        report_free(&r);
    }
}

static void test_junit_text_newlines_kept(void **state)
{
    struct report r;
    struct report_object *o;
    char *out;

    (void)state;
    report_init(&r);
    o = add_object(&r, "f", 1, "Deployment", "", "x");
    add_violation(o, RULE_IMAGE_TAG, RULE_WARN, "", "", 1, "w");
    o->findings.used[RULE_REPLICAS_MINIMUM] = true;
    out = render(&r, REPORT_JUNIT, NULL);
    /* a warn-only object passes: no failure, the notes in system-out */
    assert_null(strstr(out, "<failure"));
    assert_non_null(strstr(out, "failures=\"0\""));
    assert_non_null(strstr(out, "<system-out>f:1: warn [image-tag] Deployment x: w\n"
                                "f:1: exemption used [replicas-minimum] Deployment x: exempted "
                                "by django-admission.io/exempt-rules\n</system-out>"));
    xml_check(out);
    free(out);
    report_free(&r);
}

static const cJSON *get_path(const cJSON *root, const char *const *keys)
{
    const cJSON *cur = root;

    for (; *keys; keys++) {
        char *end;
        long idx = strtol(*keys, &end, 10);
        if (*end == '\0' && end != *keys)
            cur = cJSON_GetArrayItem(cur, (int)idx);
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, *keys);
        assert_non_null(cur);
    }
    return cur;
}

#define PATH(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_sarif_sample(void **state)
{
    struct report r;
    char *out;
    cJSON *j;
    const cJSON *rules, *results, *res;

    (void)state;
    build_sample(&r);
    out = render(&r, REPORT_SARIF, NULL);
    j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(str_at(j, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
    assert_string_equal(str_at(j, "version"), "2.1.0");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "runs")), 1);
    assert_string_equal(get_path(j, PATH("runs", "0", "tool", "driver", "name"))->valuestring,
                        "django-admission");
    assert_string_equal(get_path(j, PATH("runs", "0", "tool", "driver", "version"))->valuestring,
                        "9.8.7");
    /* no project address exists to point at, so none is made up */
    assert_null(cJSON_GetObjectItemCaseSensitive(get_path(j, PATH("runs", "0", "tool", "driver")), "informationUri"));

    rules = get_path(j, PATH("runs", "0", "tool", "driver", "rules"));
    assert_int_equal(cJSON_GetArraySize(rules), RULE_COUNT);
    for (int i = 0; i < RULE_COUNT; i++) {
        const cJSON *rule = cJSON_GetArrayItem(rules, i);
        const struct rule *row = rules_get((enum rule_id)i);
        assert_string_equal(str_at(rule, "id"), row->name);
        assert_string_equal(get_path(rule, PATH("shortDescription", "text"))->valuestring,
                            row->summary);
        assert_string_equal(get_path(rule, PATH("defaultConfiguration", "level"))->valuestring,
                            row->default_action == RULE_ENFORCE ? "error" : "warning");
    }

    results = get_path(j, PATH("runs", "0", "results"));
    assert_int_equal(cJSON_GetArraySize(results), 4);
    for (int i = 0; i < 4; i++) {
        res = cJSON_GetArrayItem(results, i);
        /* ruleIndex points at the rule named by ruleId */
        assert_string_equal(
            str_at(cJSON_GetArrayItem(rules, int_at(res, "ruleIndex")), "id"),
            str_at(res, "ruleId"));
    }
    res = cJSON_GetArrayItem(results, 0);
    assert_string_equal(str_at(res, "ruleId"), "replicas-minimum");
    assert_int_equal(int_at(res, "ruleIndex"), RULE_REPLICAS_MINIMUM);
    assert_string_equal(str_at(res, "level"), "error");
    assert_string_equal(get_path(res, PATH("message", "text"))->valuestring,
                        "replicas must be at least 3 (got 1)");
    assert_string_equal(get_path(res, PATH("locations", "0", "physicalLocation",
                                           "artifactLocation", "uri"))
                            ->valuestring,
                        "deploy.yaml");
    assert_int_equal(
        get_path(res, PATH("locations", "0", "physicalLocation", "region", "startLine"))->valueint,
        7);
    assert_string_equal(
        get_path(res, PATH("locations", "0", "logicalLocations", "0", "fullyQualifiedName"))
            ->valuestring,
        "Deployment/shop/web/spec/replicas");
    res = cJSON_GetArrayItem(results, 1);
    assert_string_equal(str_at(res, "level"), "warning");
    assert_int_equal(
        get_path(res, PATH("locations", "0", "physicalLocation", "region", "startLine"))->valueint,
        1);
    /* stdin has no file name: "stdin" */
    res = cJSON_GetArrayItem(results, 3);
    assert_string_equal(get_path(res, PATH("locations", "0", "physicalLocation",
                                           "artifactLocation", "uri"))
                            ->valuestring,
                        "stdin");
    assert_string_equal(
        get_path(res, PATH("locations", "0", "logicalLocations", "0", "fullyQualifiedName"))
            ->valuestring,
        "Deployment/ns/from-stdin");
    cJSON_Delete(j);
    free(out);
    report_free(&r);
}

struct uri_case {
    const char *file;
    const char *uri;
};

static const struct uri_case URIS[] = {
    {"-", "stdin"},
    {"a.yaml", "a.yaml"},
    {"dir/sub/a-b_c.~1.yml", "dir/sub/a-b_c.~1.yml"},
    {"my file#1?.yaml", "my%20file%231%3F.yaml"},
    {"100%.yaml", "100%25.yaml"},
    {"caf\xc3\xa9.yaml", "caf%C3%A9.yaml"},
    {"a\nb", "a%0Ab"},
    {"/abs/path.yaml", "/abs/path.yaml"},
};

static void test_sarif_uris_and_hostile(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(URIS) / sizeof(URIS[0]); i++) {
        struct report r;
        struct report_object *o;
        char *out;
        cJSON *j;
        const cJSON *res, *phys;

        report_init(&r);
        o = add_object(&r, URIS[i].file, 0, "Deployment", "", HOSTILE_NAME);
        add_violation(o, RULE_PSS_PRIVILEGED, RULE_ENFORCE, HOSTILE_CONTAINER, "/x~1y", 0,
                      HOSTILE_MESSAGE);
        out = render(&r, REPORT_SARIF, NULL);
        j = cJSON_Parse(out);
        assert_non_null(j);
        res = get_path(j, PATH("runs", "0", "results", "0"));
        phys = get_path(res, PATH("locations", "0", "physicalLocation"));
        assert_string_equal(get_path(phys, PATH("artifactLocation", "uri"))->valuestring,
                            URIS[i].uri);
        /* line unknown: no region (startLine must be >= 1) */
        assert_null(cJSON_GetObjectItemCaseSensitive(phys, "region"));
        assert_string_equal(get_path(res, PATH("message", "text"))->valuestring, HOSTILE_MESSAGE);
        assert_string_equal(
            get_path(res, PATH("locations", "0", "logicalLocations", "0", "fullyQualifiedName"))
                ->valuestring,
            "Deployment/" HOSTILE_NAME "/x~1y");
        cJSON_Delete(j);
        free(out);
        report_free(&r);
    }
}

static void test_many_objects(void **state)
{
    struct report r;
    char *out;
    cJSON *j;

    (void)state;
    report_init(&r);
    for (int i = 0; i < 1000; i++) {
        char name[32];
        struct report_object *o;
        snprintf(name, sizeof(name), "d%d", i);
        o = add_object(&r, i < 500 ? "a.yaml" : "b.yaml", i + 1, "Deployment", "ns", name);
        if (i % 3 == 0)
            add_violation(o, RULE_IMAGE_TAG, RULE_ENFORCE, "c", "/spec", i + 2, "m");
        if (i % 5 == 0)
            add_violation(o, RULE_POD_ANTI_AFFINITY, RULE_WARN, "", "", 0, "w");
    }
    assert_int_equal(r.count, 1000);
    assert_int_equal(report_count_action(&r, RULE_ENFORCE), 334);
    assert_int_equal(report_count_action(&r, RULE_WARN), 200);

    out = render(&r, REPORT_JUNIT, NULL);
    assert_non_null(strstr(out, "tests=\"1000\" failures=\"334\""));
    assert_non_null(strstr(out, "<testsuite name=\"a.yaml\" tests=\"500\" failures=\"167\""));
    assert_non_null(strstr(out, "<testsuite name=\"b.yaml\" tests=\"500\" failures=\"167\""));
    xml_check(out);
    free(out);

    out = render(&r, REPORT_SARIF, NULL);
    j = cJSON_Parse(out);
    assert_int_equal(cJSON_GetArraySize(get_path(j, PATH("runs", "0", "results"))), 534);
    cJSON_Delete(j);
    free(out);

    out = render(&r, REPORT_TEXT, NULL);
    assert_non_null(strstr(out, "\n1000 objects checked, 0 skipped, 334 enforce violations, "
                                "200 warnings\n"));
    free(out);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_empty_report),
        cmocka_unit_test(test_text_escaping),
        cmocka_unit_test(test_text_file_and_name_escaped),
        cmocka_unit_test(test_json_hostile_strings_round_trip),
        cmocka_unit_test(test_junit_escaping),
        cmocka_unit_test(test_sarif_uris_and_hostile),
        cmocka_unit_test(test_exemptions_and_truncation),
        cmocka_unit_test(test_text_sample),
        cmocka_unit_test(test_json_sample),
        cmocka_unit_test(test_junit_sample),
        cmocka_unit_test(test_junit_text_newlines_kept),
        cmocka_unit_test(test_sarif_sample),
        cmocka_unit_test(test_many_objects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
