/* Tests for patch: recorded RFC 6902 add ops, their order and paths, the
 * failure paths (which must free the value), and an independent oracle:
 * Debian's python3-jsonpatch applies our ops to the original and must get
 * our working copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jsonptr.h"
#include "patch.h"

#define PYTHON "/usr/bin/python3"

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    if (!j)
        fail_msg("test JSON does not parse: %s", text);
    return j;
}

/* Asserts that the compact print of item is exactly want. */
static void assert_json(const cJSON *item, const char *want)
{
    char *got = cJSON_PrintUnformatted(item);

    assert_non_null(got);
    if (strcmp(got, want) != 0) {
        char copy[2048];

        snprintf(copy, sizeof(copy), "%s", got);
        cJSON_free(got);
        fail_msg("got  %s\nwant %s", copy, want);
    }
    cJSON_free(got);
}

/* The text recorded so far is the ops array as cJSON prints it, but for
 * the closing "]" that patch_take_text adds. */
static void assert_text_is_ops(const struct patch *p)
{
    char *printed = cJSON_PrintUnformatted(p->ops);

    assert_non_null(printed);
    assert_non_null(p->text);
    assert_int_equal(strlen(printed), p->text_len + 1);
    assert_memory_equal(printed, p->text, p->text_len);
    assert_int_equal(printed[p->text_len], ']');
    assert_int_equal(p->text[p->text_len], '\0');
    cJSON_free(printed);
}

static cJSON *node(struct patch *p, const char *ptr)
{
    cJSON *n = jsonptr_get(p->doc, ptr);

    if (!n)
        fail_msg("no node at \"%s\" in the working copy", ptr);
    return n;
}

static void test_begin_null_and_free_twice(void **state)
{
    struct patch p;
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, NULL, &d), -1);
    assert_string_equal(d.message, "no document to patch");
    assert_null(p.doc);
    assert_null(p.ops);
    patch_free(&p);
    patch_free(&p);
}

/* In place: the caller's document is extended and never freed or handed
 * back by the patch. */
static void test_begin_in_place(void **state)
{
    cJSON *doc = parse("{\"a\":{}}");
    struct patch p;
    struct diag d;
    char *text;
    size_t len;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin_in_place(&p, NULL, &d), -1);
    assert_string_equal(d.message, "no document to patch");
    assert_null(p.ops);
    patch_free(&p);
    assert_int_equal(patch_begin_in_place(&p, doc, &d), 0);
    assert_ptr_equal(p.doc, doc);
    assert_int_equal(patch_add_member(&p, node(&p, "/a"), "/a", "b", parse("{\"c\":1}"), &d,
                                      NULL),
                     0);
    assert_json(doc, "{\"a\":{\"b\":{\"c\":1}}}");
    /* the ops only as text */
    assert_null(p.ops);
    assert_null(patch_take_ops(&p));
    assert_int_equal(patch_add_member(&p, node(&p, "/a/b"), "/a/b", "d", parse("[1.5,\"\\n\"]"), &d,
                                      NULL),
                     0);
    text = patch_take_text(&p, &len);
    assert_non_null(text);
    assert_string_equal(text, "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":{\"c\":1}},"
                              "{\"op\":\"add\",\"path\":\"/a/b/d\",\"value\":[1.5,\"\\n\"]}]");
    assert_int_equal(len, strlen(text));
    free(text);
    /* taken: nothing more is recorded */
    assert_null(patch_take_text(&p, &len));
    assert_int_equal(patch_add_member(&p, doc, "", "e", cJSON_CreateNull(), &d, NULL), -1);
    assert_null(patch_take_doc(&p));
    patch_free(&p);
    patch_free(&p);
    /* still the caller's, still whole */
    assert_json(doc, "{\"a\":{\"b\":{\"c\":1,\"d\":[1.5,\"\\n\"]}}}");
    cJSON_Delete(doc);
}

/* Parents are found once and remembered (struct patch_seen): a remembered
 * pointer still refuses another node, a remembered prefix still checks the
 * rest, and more parents than are remembered, or pointers too long to be,
 * are still checked. */
static void test_parent_lookup(void **state)
{
    cJSON *orig = parse("{\"a\":{\"b\":{}},\"c\":{},\"l\":[{},{},{},{},{},{},{},{},{},{},{}]}");
    char deep[200] = "";
    struct patch p;
    struct diag d;
    cJSON *a, *b, *n;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    a = node(&p, "/a");
    b = node(&p, "/a/b");
    assert_int_equal(patch_add_member(&p, a, "/a", "x", cJSON_CreateNumber(1), &d, NULL), 0);
    assert_int_equal(patch_add_member(&p, b, "/a/b", "y", cJSON_CreateNumber(2), &d, NULL), 0);
    /* remembered pointer, other node */
    assert_int_equal(patch_add_member(&p, node(&p, "/c"), "/a", "z", cJSON_CreateNumber(3), &d,
                                      NULL), -1);
    assert_string_equal(d.pointer, "/a");
    /* remembered prefix, wrong or invalid rest */
    assert_int_equal(patch_add_member(&p, b, "/a/x", "z", cJSON_CreateNumber(3), &d, NULL), -1);
    assert_int_equal(patch_add_member(&p, b, "/a/b~2", "z", cJSON_CreateNumber(3), &d, NULL), -1);
    assert_int_equal(patch_add_member(&p, b, "/ab", "z", cJSON_CreateNumber(3), &d, NULL), -1);
    /* a node added by an op is a parent like any other */
    assert_int_equal(patch_add_member(&p, p.doc, "", "n", parse("{\"m\":{}}"), &d, NULL), 0);
    n = node(&p, "/n/m");
    assert_int_equal(patch_add_member(&p, n, "/n/m", "k", cJSON_CreateTrue(), &d, NULL), 0);
    /* more parents than are remembered: every one still checked */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 11; i++) {
            char ptr[32], key[16];
            snprintf(ptr, sizeof(ptr), "/l/%d", i);
            snprintf(key, sizeof(key), "k%d", round);
            assert_int_equal(patch_add_member(&p, node(&p, ptr), ptr, key, cJSON_CreateNumber(i),
                                              &d, NULL), 0);
            assert_int_equal(patch_add_member(&p, node(&p, "/c"), ptr, "w", cJSON_CreateNumber(i),
                                              &d, NULL), -1);
        }
    }
    /* a pointer too long to remember */
    n = p.doc;
    for (int i = 0; i < 20; i++) {
        cJSON *child = cJSON_CreateObject();
        assert_non_null(child);
        assert_int_equal(patch_add_member(&p, n, deep, "abcdefgh", child, &d, NULL), 0);
        n = child;
        strcat(deep, "/abcdefgh");
    }
    assert_true(strlen(deep) > PATCH_SEEN_TEXT);
    assert_int_equal(patch_add_member(&p, n, deep, "end", cJSON_CreateNull(), &d, NULL), 0);
    assert_int_equal(patch_add_member(&p, a, deep, "end2", cJSON_CreateNull(), &d, NULL), -1);
    assert_int_equal(p.count, 4 + 22 + 21);
    assert_int_equal(cJSON_GetArraySize(p.ops), (int)p.count);
    assert_text_is_ops(&p);
    patch_free(&p);
    cJSON_Delete(orig);
}

static void test_add_to_empty_object(void **state)
{
    cJSON *orig = parse("{}");
    struct patch p;
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    assert_int_equal(patch_add_member(&p, p.doc, "", "replicas", cJSON_CreateNumber(3), &d,
                                      "set replicas to %d", 3),
                     0);
    assert_json(p.ops, "[{\"op\":\"add\",\"path\":\"/replicas\",\"value\":3}]");
    assert_json(p.doc, "{\"replicas\":3}");
    /* the original is borrowed and untouched */
    assert_json(orig, "{}");
    assert_int_equal(p.count, 1);
    assert_string_equal(p.summaries[0], "set replicas to 3");
    patch_free(&p);
    cJSON_Delete(orig);
}

/* Parents are added before their children, and each op is valid where it
 * stands; keys with "/" and "~" are escaped in the op path only. */
static void test_nested_parents_in_order(void **state)
{
    cJSON *orig = parse("{\"spec\":{\"template\":{}}}");
    struct patch p;
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec/template"), "/spec/template",
                                      "metadata", cJSON_CreateObject(), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec/template/metadata"),
                                      "/spec/template/metadata", "annotations",
                                      cJSON_CreateObject(), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec/template/metadata/annotations"),
                                      "/spec/template/metadata/annotations",
                                      "prometheus.io/scrape", cJSON_CreateString("true"), &d,
                                      "add annotation %s", "prometheus.io/scrape"),
                     0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec/template/metadata/annotations"),
                                      "/spec/template/metadata/annotations", "a/b~c",
                                      cJSON_CreateString("~1"), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec/template/metadata/annotations"),
                                      "/spec/template/metadata/annotations", "~01",
                                      cJSON_CreateNull(), &d, NULL),
                     0);
    assert_json(p.ops,
                "[{\"op\":\"add\",\"path\":\"/spec/template/metadata\",\"value\":{}},"
                "{\"op\":\"add\",\"path\":\"/spec/template/metadata/annotations\",\"value\":{}},"
                "{\"op\":\"add\",\"path\":\"/spec/template/metadata/annotations/"
                "prometheus.io~1scrape\",\"value\":\"true\"},"
                "{\"op\":\"add\",\"path\":\"/spec/template/metadata/annotations/a~1b~0c\","
                "\"value\":\"~1\"},"
                "{\"op\":\"add\",\"path\":\"/spec/template/metadata/annotations/~001\","
                "\"value\":null}]");
    assert_json(p.doc, "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                       "\"prometheus.io/scrape\":\"true\",\"a/b~c\":\"~1\",\"~01\":null}}}}}");
    assert_int_equal(p.count, 5);
    assert_string_equal(p.summaries[0], "add /spec/template/metadata");
    assert_string_equal(p.summaries[2], "add annotation prometheus.io/scrape");
    assert_string_equal(p.summaries[3], "add /spec/template/metadata/annotations/a~1b~0c");
    /* every path resolves in the working copy */
    assert_non_null(jsonptr_get(p.doc, "/spec/template/metadata/annotations/a~1b~0c"));
    assert_non_null(jsonptr_get(p.doc, "/spec/template/metadata/annotations/~001"));
    patch_free(&p);
    cJSON_Delete(orig);
}

static void test_append_uses_dash(void **state)
{
    cJSON *orig = parse("{\"c\":[],\"d\":[1,2],\"a/b\":[]}");
    struct patch p;
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    assert_int_equal(patch_append(&p, node(&p, "/c"), "/c", parse("{\"name\":\"x\"}"), &d,
                                  "append container %s", "x"),
                     0);
    assert_int_equal(patch_append(&p, node(&p, "/d"), "/d", cJSON_CreateNumber(3), &d, NULL), 0);
    assert_int_equal(patch_append(&p, node(&p, "/a~1b"), "/a~1b", cJSON_CreateString("ALL"), &d,
                                  NULL),
                     0);
    /* an appended object can then get members of its own */
    assert_int_equal(patch_add_member(&p, node(&p, "/c/0"), "/c/0", "image",
                                      cJSON_CreateString("i"), &d, NULL),
                     0);
    assert_json(p.ops, "[{\"op\":\"add\",\"path\":\"/c/-\",\"value\":{\"name\":\"x\"}},"
                       "{\"op\":\"add\",\"path\":\"/d/-\",\"value\":3},"
                       "{\"op\":\"add\",\"path\":\"/a~1b/-\",\"value\":\"ALL\"},"
                       "{\"op\":\"add\",\"path\":\"/c/0/image\",\"value\":\"i\"}]");
    assert_json(p.doc, "{\"c\":[{\"name\":\"x\",\"image\":\"i\"}],\"d\":[1,2,3],\"a/b\":[\"ALL\"]}");
    assert_string_equal(p.summaries[0], "append container x");
    assert_string_equal(p.summaries[1], "add /d/-");
    patch_free(&p);
    cJSON_Delete(orig);
}

/* The op's value is a copy: later changes to the working copy do not leak
 * into an op already recorded. */
static void test_value_is_deep_copy(void **state)
{
    cJSON *orig = parse("{}");
    struct patch p;
    struct diag d;
    cJSON *added;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    assert_int_equal(patch_add_member(&p, p.doc, "", "spec", parse("{\"x\":[1]}"), &d, NULL), 0);
    added = node(&p, "/spec");
    assert_int_equal(patch_add_member(&p, added, "/spec", "y", cJSON_CreateTrue(), &d, NULL), 0);
    assert_int_equal(patch_append(&p, node(&p, "/spec/x"), "/spec/x", cJSON_CreateFalse(), &d,
                                  NULL),
                     0);
    assert_json(p.ops, "[{\"op\":\"add\",\"path\":\"/spec\",\"value\":{\"x\":[1]}},"
                       "{\"op\":\"add\",\"path\":\"/spec/y\",\"value\":true},"
                       "{\"op\":\"add\",\"path\":\"/spec/x/-\",\"value\":false}]");
    assert_ptr_not_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(p.ops, 0), "value"),
                         added);
    patch_free(&p);
    cJSON_Delete(orig);
}

struct failure_case {
    const char *doc;
    /* where the parent is and what we pass as its pointer */
    const char *node_at;
    const char *node_ptr;
    /* member name, or NULL to append */
    const char *key;
    const char *why;
    /* diag pointer expected */
    const char *diag_ptr;
};

static const struct failure_case FAILURES[] = {
    /* mutation never overwrites */
    {"{\"replicas\":1}", "", "", "replicas",
     "cannot add \"replicas\": it already exists (mutation never overwrites)", "/replicas"},
    {"{\"replicas\":null}", "", "", "replicas", "already exists", "/replicas"},
    {"{\"a\":1,\"a\":2}", "", "", "a", "already exists", "/a"},
    {"{\"a/b\":{\"~\":0}}", "/a~1b", "/a~1b", "~", "already exists", "/a~1b/~0"},
    /* wrong parent type */
    {"{\"s\":\"x\"}", "/s", "/s", "k", "cannot add member \"k\": parent is not an object", "/s"},
    {"{\"l\":[]}", "/l", "/l", "k", "parent is not an object", "/l"},
    {"{\"n\":null}", "/n", "/n", "k", "parent is not an object", "/n"},
    {"{\"o\":{}}", "/o", "/o", NULL, "cannot append: target is not an array", "/o"},
    {"{\"s\":\"x\"}", "/s", "/s", NULL, "target is not an array", "/s"},
    /* the pointer must name the node passed */
    {"{\"a\":{},\"b\":{}}", "/a", "/b", "k", "parent is not the node its pointer names", "/b"},
    {"{\"a\":{}}", "/a", "/A", "k", "parent is not the node its pointer names", "/A"},
    {"{\"a\":{}}", "/a", "a", "k", "parent is not the node its pointer names", "a"},
    {"{\"a\":[]}", "/a", "/a/-", NULL, "parent is not the node its pointer names", "/a/-"},
};

static void test_failures_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(FAILURES) / sizeof(FAILURES[0]); i++) {
        const struct failure_case *f = &FAILURES[i];
        cJSON *orig = parse(f->doc);
        struct patch p;
        struct diag d;
        int rc;

        diag_clear(&d);
        assert_int_equal(patch_begin(&p, orig, &d), 0);
        /* an allocated value: ASan reports it if a failure path leaks it */
        if (f->key)
            rc = patch_add_member(&p, node(&p, f->node_at), f->node_ptr, f->key,
                                  parse("{\"leak\":[1,2,3]}"), &d, "s %d", 1);
        else
            rc = patch_append(&p, node(&p, f->node_at), f->node_ptr,
                              parse("{\"leak\":[1,2,3]}"), &d, "s %d", 1);
        if (rc != -1)
            fail_msg("case %zu accepted", i);
        if (!strstr(d.message, f->why))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, d.message, f->why);
        assert_string_equal(d.pointer, f->diag_ptr);
        /* nothing recorded, nothing changed */
        assert_int_equal(p.count, 0);
        assert_int_equal(cJSON_GetArraySize(p.ops), 0);
        assert_text_is_ops(&p);
        /* by text: cJSON_Compare cannot see duplicate keys as equal */
        assert_json(p.doc, f->doc);
        patch_free(&p);
        cJSON_Delete(orig);
    }
}

static void test_null_arguments(void **state)
{
    cJSON *orig = parse("{\"a\":{}}");
    struct patch p;
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    assert_int_equal(patch_add_member(&p, p.doc, "", "k", NULL, &d, NULL), -1);
    assert_string_equal(d.message, "patch: no value to add");
    assert_int_equal(patch_add_member(&p, p.doc, "", NULL, cJSON_CreateString("v"), &d, NULL), -1);
    assert_string_equal(d.message, "patch: no member name to add");
    assert_int_equal(patch_add_member(&p, p.doc, NULL, "k", cJSON_CreateString("v"), &d, NULL),
                     -1);
    assert_int_equal(patch_add_member(&p, NULL, "/a", "k", cJSON_CreateString("v"), &d, NULL),
                     -1);
    assert_int_equal(patch_append(&p, NULL, "", cJSON_CreateString("v"), &d, NULL), -1);
    /* a NULL diag is allowed */
    assert_int_equal(patch_add_member(&p, p.doc, "", "a", cJSON_CreateString("v"), NULL, NULL),
                     -1);
    assert_int_equal(p.count, 0);
    assert_true(cJSON_Compare(p.doc, orig, 1));
    patch_free(&p);
    cJSON_Delete(orig);
}

/* A member whose pointer would not fit JSONPTR_MAX is refused, not cut. */
static void test_pointer_too_long(void **state)
{
    char key[JSONPTR_MAX];
    char ptr[JSONPTR_MAX + 8];
    cJSON *orig = cJSON_CreateObject();
    struct patch p;
    struct diag d;
    cJSON *parent;

    (void)state;
    assert_non_null(orig);
    memset(key, 'k', sizeof(key));
    key[JSONPTR_MAX - 20] = '\0';
    assert_non_null(cJSON_AddObjectToObject(orig, key));
    snprintf(ptr, sizeof(ptr), "/%s", key);
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    parent = node(&p, ptr);
    /* 493 + "/" + 17 bytes = 511, the most a pointer holds */
    assert_int_equal(patch_add_member(&p, parent, ptr, "12345678901234567",
                                      cJSON_CreateNumber(1), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p, parent, ptr, "123456789012345678",
                                      cJSON_CreateNumber(2), &d, NULL),
                     -1);
    assert_non_null(strstr(d.message, "pointer longer than 511 bytes"));
    /* 9 bytes escape to 18 ("/" is "~1") */
    assert_int_equal(patch_add_member(&p, parent, ptr, "/////////", cJSON_CreateNumber(2), &d,
                                      NULL),
                     -1);
    assert_non_null(strstr(d.message, "pointer longer than 511 bytes"));
    assert_string_equal(d.pointer, ptr);
    assert_int_equal(p.count, 1);
    assert_null(cJSON_GetObjectItemCaseSensitive(parent, "/////////"));
    assert_null(cJSON_GetObjectItemCaseSensitive(parent, "123456789012345678"));
    patch_free(&p);
    cJSON_Delete(orig);
}

static void test_summary_capped(void **state)
{
    char longtext[PATCH_SUMMARY_MAX * 2];
    cJSON *orig = parse("{}");
    struct patch p;
    struct diag d;

    (void)state;
    memset(longtext, 'x', sizeof(longtext));
    longtext[sizeof(longtext) - 1] = '\0';
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    assert_int_equal(patch_add_member(&p, p.doc, "", "a", cJSON_CreateNumber(1), &d, "%s!",
                                      longtext),
                     0);
    assert_int_equal(strlen(p.summaries[0]), PATCH_SUMMARY_MAX - 1);
    assert_memory_equal(p.summaries[0] + PATCH_SUMMARY_MAX - 4, "...", 4);
    assert_int_equal(patch_add_member(&p, p.doc, "", "b", cJSON_CreateNumber(1), &d, "%s", ""),
                     0);
    assert_string_equal(p.summaries[1], "");
    patch_free(&p);
    cJSON_Delete(orig);
}

/* After the _take calls the patch refuses more work, and patch_free frees
 * only what it still owns. */
static void test_take(void **state)
{
    cJSON *orig = parse("{}");
    struct patch p;
    struct diag d;
    cJSON *ops, *doc;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    assert_int_equal(patch_add_member(&p, p.doc, "", "a", cJSON_CreateNumber(1), &d, NULL), 0);
    ops = patch_take_ops(&p);
    assert_non_null(ops);
    assert_null(p.ops);
    assert_int_equal(patch_add_member(&p, p.doc, "", "b", cJSON_CreateNumber(2), &d, NULL), -1);
    assert_non_null(strstr(d.message, "already taken"));
    doc = patch_take_doc(&p);
    assert_json(doc, "{\"a\":1}");
    assert_null(patch_take_doc(&p));
    patch_free(&p);
    patch_free(&p);
    cJSON_Delete(ops);
    cJSON_Delete(doc);
    cJSON_Delete(orig);
}

/* Reaching the hard maximum of operations is an error like any other. */
static void test_ops_maximum(void **state)
{
    cJSON *orig = parse("{\"l\":[]}");
    struct patch p;
    struct diag d;
    cJSON *list;
    size_t i;

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    list = node(&p, "/l");
    for (i = 0; i < 100000; i++) {
        if (patch_append(&p, list, "/l", cJSON_CreateNumber((double)i), &d, NULL) < 0)
            break;
    }
    assert_true(i > 100 && i < 100000);
    assert_int_equal(p.count, i);
    assert_int_equal(cJSON_GetArraySize(p.ops), (int)i);
    assert_non_null(strstr(d.message, "operations"));
    patch_free(&p);
    cJSON_Delete(orig);
}

/* ---- oracle: python3-jsonpatch ---- */

static int write_json(const cJSON *item, char *path_template)
{
    char *text = cJSON_PrintUnformatted(item);
    int fd = mkstemp(path_template);
    size_t len, off = 0;

    if (!text || fd < 0) {
        cJSON_free(text);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    len = strlen(text);
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);

        if (n <= 0)
            break;
        off += (size_t)n;
    }
    cJSON_free(text);
    if (close(fd) != 0 || off != len)
        return -1;
    return 0;
}

/* Applies ops to orig with python3-jsonpatch; returns the result (caller
 * frees) or NULL with a message in err. */
static cJSON *python_apply(const cJSON *orig, const cJSON *ops, char *err, size_t errcap)
{
    static const char SCRIPT[] =
        "import json, sys, jsonpatch\n"
        "doc = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        "ops = json.load(open(sys.argv[2], encoding='utf-8'))\n"
        "for op in ops:\n"
        "    assert list(op.keys()) == ['op', 'path', 'value'], op\n"
        "    assert op['op'] == 'add', op\n"
        "patch = jsonpatch.JsonPatch(ops)\n"
        "print(json.dumps(patch.apply(doc), ensure_ascii=True))\n";
    char docpath[] = "/tmp/test_patch_docXXXXXX";
    char opspath[] = "/tmp/test_patch_opsXXXXXX";
    char scriptpath[] = "/tmp/test_patch_pyXXXXXX";
    char cmd[512];
    char *out = NULL;
    size_t outlen = 0, outcap = 0;
    cJSON *result = NULL;
    FILE *script, *pipe;
    int fd, status;

    err[0] = '\0';
    if (access(PYTHON, X_OK) != 0) {
        snprintf(err, errcap, "%s not found: install python3 and python3-jsonpatch", PYTHON);
        return NULL;
    }
    if (write_json(orig, docpath) < 0 || write_json(ops, opspath) < 0) {
        snprintf(err, errcap, "cannot write temporary files");
        goto done;
    }
    fd = mkstemp(scriptpath);
    script = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!script || fputs(SCRIPT, script) < 0 || fclose(script) != 0) {
        snprintf(err, errcap, "cannot write the oracle script");
        goto done;
    }
    snprintf(cmd, sizeof(cmd), PYTHON " %s %s %s", scriptpath, docpath, opspath);
    pipe = popen(cmd, "r");
    if (!pipe) {
        snprintf(err, errcap, "cannot run %s", PYTHON);
        goto done;
    }
    for (;;) {
        char chunk[4096];
        size_t n = fread(chunk, 1, sizeof(chunk), pipe);

        if (n == 0)
            break;
        if (outlen + n + 1 > outcap) {
            char *grown;

            outcap = (outlen + n + 1) * 2;
            grown = realloc(out, outcap);
            if (!grown)
                break;
            out = grown;
        }
        memcpy(out + outlen, chunk, n);
        outlen += n;
        out[outlen] = '\0';
    }
    status = pclose(pipe);
    if (status != 0 || !out) {
        snprintf(err, errcap, "python3-jsonpatch failed (status %d); is python3-jsonpatch "
                 "installed?", status);
        goto done;
    }
    result = cJSON_Parse(out);
    if (!result)
        snprintf(err, errcap, "python output does not parse: %.200s", out);

done:
    free(out);
    unlink(docpath);
    unlink(opspath);
    unlink(scriptpath);
    return result;
}

/* A Deployment-shaped document with hostile keys; the mutations a policy
 * makes; python3-jsonpatch must arrive at our working copy. */
static void test_oracle_python_jsonpatch(void **state)
{
    cJSON *orig = parse(
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
        "\"metadata\":{\"name\":\"web\",\"labels\":{\"component\":\"django\"},"
        "\"annotations\":{\"a~b/c\":\"x\"}},"
        "\"spec\":{\"template\":{\"metadata\":{},\"spec\":{\"containers\":["
        "{\"name\":\"django\",\"image\":\"web:1\",\"ports\":[]},"
        "{\"name\":\"caf\xc3\xa9\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}}}");
    struct patch p;
    struct diag d;
    cJSON *c0, *result;
    char err[512];

    (void)state;
    diag_clear(&d);
    assert_int_equal(patch_begin(&p, orig, &d), 0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec"), "/spec", "replicas",
                                      cJSON_CreateNumber(3), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec/template/metadata"),
                                      "/spec/template/metadata", "annotations",
                                      parse("{\"prometheus.io/scrape\":\"true\"}"), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec/template/metadata/annotations"),
                                      "/spec/template/metadata/annotations", "prometheus.io/port",
                                      cJSON_CreateString("8000"), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p, node(&p, "/metadata/annotations"),
                                      "/metadata/annotations", "~1/~0", cJSON_CreateString("y"), &d,
                                      NULL),
                     0);
    c0 = node(&p, "/spec/template/spec/containers/0");
    assert_int_equal(patch_add_member(&p, c0, "/spec/template/spec/containers/0", "resources",
                                      parse("{\"requests\":{\"cpu\":\"500m\",\"memory\":\"512Mi\"}}"),
                                      &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p, node(&p, "/spec/template/spec/containers/0/resources"),
                                      "/spec/template/spec/containers/0/resources", "limits",
                                      cJSON_CreateObject(), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p,
                                      node(&p, "/spec/template/spec/containers/0/resources/limits"),
                                      "/spec/template/spec/containers/0/resources/limits", "cpu",
                                      cJSON_CreateString("1000m"), &d, NULL),
                     0);
    assert_int_equal(patch_append(&p, node(&p, "/spec/template/spec/containers/0/ports"),
                                  "/spec/template/spec/containers/0/ports",
                                  parse("{\"containerPort\":8000}"), &d, NULL),
                     0);
    assert_int_equal(patch_append(&p, node(&p, "/spec/template/spec/containers/1/env"),
                                  "/spec/template/spec/containers/1/env",
                                  parse("{\"name\":\"\xc3\xa9\",\"value\":\"\\u00e9\\n\"}"), &d, NULL),
                     0);
    assert_int_equal(patch_append(&p, node(&p, "/spec/template/spec/containers"),
                                  "/spec/template/spec/containers",
                                  parse("{\"name\":\"sidecar\",\"securityContext\":{}}"), &d, NULL),
                     0);
    assert_int_equal(patch_add_member(&p,
                                      node(&p, "/spec/template/spec/containers/2/securityContext"),
                                      "/spec/template/spec/containers/2/securityContext",
                                      "capabilities", parse("{\"drop\":[\"ALL\"]}"), &d, NULL),
                     0);
    assert_int_equal(p.count, 11);

    assert_text_is_ops(&p);
    result = python_apply(orig, p.ops, err, sizeof(err));
    if (!result)
        fail_msg("oracle: %s", err);
    if (!cJSON_Compare(result, p.doc, 1)) {
        char *a = cJSON_PrintUnformatted(result);
        char *b = cJSON_PrintUnformatted(p.doc);
        char msg[4096];

        snprintf(msg, sizeof(msg), "python: %s\nours:   %s", a ? a : "?", b ? b : "?");
        cJSON_free(a);
        cJSON_free(b);
        cJSON_Delete(result);
        fail_msg("oracle disagrees\n%s", msg);
    }
    cJSON_Delete(result);

    /* the oracle can fail: an op applied twice is rejected or differs */
    {
        cJSON *twice = cJSON_Duplicate(p.ops, 1);

        assert_non_null(twice);
        assert_true(cJSON_AddItemToArray(twice, cJSON_Duplicate(cJSON_GetArrayItem(p.ops, 9), 1)));
        result = python_apply(orig, twice, err, sizeof(err));
        assert_true(result == NULL || !cJSON_Compare(result, p.doc, 1));
        cJSON_Delete(result);
        cJSON_Delete(twice);
    }
    patch_free(&p);
    cJSON_Delete(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_null_and_free_twice),
        cmocka_unit_test(test_begin_in_place),
        cmocka_unit_test(test_parent_lookup),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_failures_table),
        cmocka_unit_test(test_pointer_too_long),
        cmocka_unit_test(test_ops_maximum),
        cmocka_unit_test(test_add_to_empty_object),
        cmocka_unit_test(test_nested_parents_in_order),
        cmocka_unit_test(test_append_uses_dash),
        cmocka_unit_test(test_value_is_deep_copy),
        cmocka_unit_test(test_summary_capped),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_oracle_python_jsonpatch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
