/* Tests for manifest: which documents are Lists, the items error, the
 * object check, reading a string member, and relocating an object's error
 * into its document. Hostile shapes first: wrong types everywhere, kinds
 * that almost say List, null, case, non-ASCII. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"

/* ---------------------------------------------------------- List or not */

enum shape { ONE, ITEMS, ERROR };

struct items_case {
    /* the document root as JSON */
    const char *json;
    enum shape want;
    /* ITEMS: how many; ERROR: the message */
    int count;
    const char *message;
};

static const struct items_case ITEMS_CASES[] = {
    /* not objects: judged as one object (manifest_object refuses them) */
    {"null", ONE, 0, NULL},
    {"[]", ONE, 0, NULL},
    {"[{\"kind\":\"List\",\"items\":[]}]", ONE, 0, NULL},
    {"\"List\"", ONE, 0, NULL},
    {"7", ONE, 0, NULL},
    /* kind List with items of the wrong type */
    {"{\"kind\":\"List\",\"items\":{}}", ERROR, 0,
     "items of a List must be a list (got an object)"},
    {"{\"kind\":\"List\",\"items\":\"a\"}", ERROR, 0,
     "items of a List must be a list (got a string)"},
    {"{\"kind\":\"List\",\"items\":0}", ERROR, 0, "items of a List must be a list (got a number)"},
    {"{\"kind\":\"List\",\"items\":false}", ERROR, 0,
     "items of a List must be a list (got a boolean)"},
    /* kind List without a list of items: one object, which nothing selects */
    {"{\"kind\":\"List\"}", ONE, 0, NULL},
    {"{\"kind\":\"List\",\"items\":null}", ONE, 0, NULL},
    /* only the v1 List is held to its items */
    {"{\"kind\":\"DeploymentList\",\"items\":{}}", ONE, 0, NULL},
    /* kinds that almost say List */
    {"{\"kind\":\"list\",\"items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":\"LIST\",\"items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":\"Lis\",\"items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":\"ist\",\"items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":\"List \",\"items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":\"L\\u00efst\",\"items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":[\"List\"],\"items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":null,\"items\":[{}]}", ONE, 0, NULL},
    {"{\"Kind\":\"List\",\"items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":\"List\",\"Items\":[{}]}", ONE, 0, NULL},
    {"{\"kind\":\"Deployment\",\"items\":[{}]}", ONE, 0, NULL},
    /* Lists */
    {"{\"kind\":\"List\",\"items\":[]}", ITEMS, 0, NULL},
    {"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{},1,null]}", ITEMS, 3, NULL},
    {"{\"kind\":\"DeploymentList\",\"items\":[{}]}", ITEMS, 1, NULL},
    {"{\"kind\":\"List\",\"items\":[{\"kind\":\"List\",\"items\":[{}]}]}", ITEMS, 1, NULL},
};

static void test_items_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ITEMS_CASES) / sizeof(ITEMS_CASES[0]); i++) {
        const struct items_case *c = &ITEMS_CASES[i];
        cJSON *root = cJSON_Parse(c->json);
        cJSON *items = (cJSON *)&items;
        struct diag d;
        int rc;

        if (!root)
            fail_msg("case %zu: %s does not parse", i, c->json);
        diag_clear(&d);
        rc = manifest_items(root, &items, &d);
        switch (c->want) {
        case ONE:
            if (rc != 0 || items != NULL)
                fail_msg("case %zu: %s is not one object", i, c->json);
            assert_false(manifest_is_list(root));
            assert_string_equal(d.message, "");
            break;
        case ITEMS:
            if (rc != 0 || items == NULL)
                fail_msg("case %zu: %s is not a List", i, c->json);
            assert_ptr_equal(items, cJSON_GetObjectItemCaseSensitive(root, "items"));
            assert_int_equal(cJSON_GetArraySize(items), c->count);
            assert_true(manifest_is_list(root));
            break;
        case ERROR:
            if (rc != -1)
                fail_msg("case %zu: %s accepted", i, c->json);
            assert_null(items);
            assert_string_equal(d.pointer, "/items");
            assert_string_equal(d.message, c->message);
            assert_false(manifest_is_list(root));
            break;
        }
        cJSON_Delete(root);
    }
}

/* ------------------------------------------------------- object, strings */

struct object_case {
    const char *json;
    /* NULL when the value is an object */
    const char *message;
};

static const struct object_case OBJECTS[] = {
    {"null", "a manifest must be an object (got null)"},
    {"[]", "a manifest must be an object (got a list)"},
    {"[{}]", "a manifest must be an object (got a list)"},
    {"\"kind: Deployment\"", "a manifest must be an object (got a string)"},
    {"-0", "a manifest must be an object (got a number)"},
    {"true", "a manifest must be an object (got a boolean)"},
    {"{}", NULL},
    {"{\"kind\":\"Deployment\"}", NULL},
};

static void test_object_table(void **state)
{
    struct diag d;

    (void)state;
    for (size_t i = 0; i < sizeof(OBJECTS) / sizeof(OBJECTS[0]); i++) {
        cJSON *v = cJSON_Parse(OBJECTS[i].json);

        assert_non_null(v);
        diag_clear(&d);
        if (OBJECTS[i].message) {
            assert_int_equal(manifest_object(v, &d), -1);
            assert_string_equal(d.message, OBJECTS[i].message);
            assert_string_equal(d.pointer, "");
        } else {
            assert_int_equal(manifest_object(v, &d), 0);
            assert_string_equal(d.message, "");
        }
        cJSON_Delete(v);
    }
    diag_clear(&d);
    assert_int_equal(manifest_object(NULL, &d), -1);
    assert_string_equal(d.message, "a manifest must be an object (got null)");
}

struct string_case {
    const char *json;
    const char *key;
    const char *want;
};

static const struct string_case STRINGS[] = {
    /* not an object: nothing to read */
    {"null", "kind", ""},
    {"\"kind\"", "kind", ""},
    {"[\"kind\"]", "kind", ""},
    {"[{\"kind\":\"Deployment\"}]", "kind", ""},
    /* absent, another type, another case */
    {"{}", "kind", ""},
    {"{\"kind\":1}", "kind", ""},
    {"{\"kind\":null}", "kind", ""},
    {"{\"kind\":{\"a\":\"b\"}}", "kind", ""},
    {"{\"Kind\":\"Deployment\"}", "kind", ""},
    {"{\"kind\":\"Deployment\"}", "Kind", ""},
    /* present */
    {"{\"kind\":\"\"}", "kind", ""},
    {"{\"kind\":\"Deployment\"}", "kind", "Deployment"},
    {"{\"name\":\"caf\\u00e9\"}", "name", "caf\xc3\xa9"},
    {"{\"a/b~c\":\"x\"}", "a/b~c", "x"},
    {"{\"generateName\":\"web-\",\"name\":\"\"}", "generateName", "web-"},
};

static void test_string_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(STRINGS) / sizeof(STRINGS[0]); i++) {
        cJSON *v = cJSON_Parse(STRINGS[i].json);

        assert_non_null(v);
        assert_string_equal(manifest_string(v, STRINGS[i].key), STRINGS[i].want);
        cJSON_Delete(v);
    }
    assert_string_equal(manifest_string(NULL, "kind"), "");
}

/* ------------------------------------------------------------- locating */

static const char LIST_YAML[] = "apiVersion: v1\n"     /* 1 */
                                "kind: List\n"         /* 2 */
                                "items:\n"             /* 3 */
                                "- kind: Deployment\n" /* 4 */
                                "  metadata:\n"        /* 5 */
                                "    name: a\n"        /* 6 */
                                "  spec:\n"            /* 7 */
                                "    replicas: 1\n"    /* 8 */
                                "- kind: Deployment\n" /* 9 */
                                "  spec: {}\n";        /* 10 */

struct locate_case {
    const char *prefix;
    const char *pointer;
    const char *want_pointer;
    int want_line;
};

static const struct locate_case LOCATE[] = {
    /* the document itself */
    {"", "", "", 1},
    {"", "/items", "/items", 3},
    {"", "/kind", "/kind", 2},
    /* an item, and a place inside it */
    {"/items/1", "", "/items/1", 9},
    {"/items/0", "/spec/replicas", "/items/0/spec/replicas", 8},
    {"/items/0", "/metadata/name", "/items/0/metadata/name", 6},
    /* missing: the nearest ancestor's line */
    {"/items/0", "/spec/template/spec", "/items/0/spec/template/spec", 7},
    {"/items/1", "/spec/replicas", "/items/1/spec/replicas", 10},
    {"/items/7", "/spec", "/items/7/spec", 3},
    /* escaped keys pass through as written */
    {"/items/0", "/metadata/annotations/prometheus.io~1scrape",
     "/items/0/metadata/annotations/prometheus.io~1scrape", 5},
};

static void test_locate_table(void **state)
{
    struct document_set set = {0};
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(document_parse("list.yaml", LIST_YAML, sizeof(LIST_YAML) - 1, &set, &d), 0);
    assert_int_equal(set.count, 1);
    for (size_t i = 0; i < sizeof(LOCATE) / sizeof(LOCATE[0]); i++) {
        const struct locate_case *c = &LOCATE[i];

        diag_clear(&d);
        diag_set(&d, c->pointer, "what is wrong");
        manifest_locate(&d, "list.yaml", &set.docs[0], c->prefix);
        if (strcmp(d.pointer, c->want_pointer) != 0 || d.line != c->want_line)
            fail_msg("case %zu: %s line %d, want %s line %d", i, d.pointer, d.line, c->want_pointer,
                     c->want_line);
        assert_string_equal(d.file, "list.yaml");
        assert_string_equal(d.message, "what is wrong");
    }
    document_set_free(&set);
}

/* A pointer that fills the diag already: the prefix cannot be added, so the
 * pointer stays as it was and the line is the object's. */
static void test_locate_too_long(void **state)
{
    struct document_set set = {0};
    char pointer[DIAG_POINTER_MAX];
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(document_parse("-", LIST_YAML, sizeof(LIST_YAML) - 1, &set, &d), 0);
    memset(pointer, 'a', sizeof(pointer) - 1);
    pointer[0] = '/';
    pointer[sizeof(pointer) - 1] = '\0';
    diag_clear(&d);
    diag_set(&d, pointer, "long");
    assert_string_equal(d.pointer, pointer);
    manifest_locate(&d, "-", &set.docs[0], "/items/1");
    assert_string_equal(d.pointer, pointer);
    assert_int_equal(d.line, 9);
    assert_string_equal(d.file, "-");

    /* exactly what fits with "/items/1" still gets it */
    pointer[sizeof(pointer) - 1 - strlen("/items/1")] = '\0';
    diag_clear(&d);
    diag_set(&d, pointer, "long");
    manifest_locate(&d, "-", &set.docs[0], "/items/1");
    assert_int_equal(strncmp(d.pointer, "/items/1/aaa", 12), 0);
    assert_int_equal(strlen(d.pointer), sizeof(pointer) - 1);
    assert_int_equal(d.line, 9);
    document_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_table),
        cmocka_unit_test(test_object_table),
        cmocka_unit_test(test_string_table),
        cmocka_unit_test(test_locate_table),
        cmocka_unit_test(test_locate_too_long),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
