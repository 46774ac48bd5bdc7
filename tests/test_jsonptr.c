/* Tests for jsonptr: RFC 6901 escaping, building within a fixed buffer, and
 * resolving against cJSON documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jsonptr.h"

struct escape_case {
    const char *key;
    const char *escaped;
};

static const struct escape_case ESCAPES[] = {
    {"", ""},
    {"~", "~0"},
    {"/", "~1"},
    {"~1", "~01"},
    {"~0", "~00"},
    {"/~", "~1~0"},
    {"~/", "~0~1"},
    {"a/b~c", "a~1b~0c"},
    {"prometheus.io/scrape", "prometheus.io~1scrape"},
    {"//", "~1~1"},
    {"~~", "~0~0"},
    {"caf\xc3\xa9/\xe2\x9c\x93", "caf\xc3\xa9~1\xe2\x9c\x93"},
    {"a b\t\"c\"\\", "a b\t\"c\"\\"},
    {"-", "-"},
    {"0", "0"},
};

static void test_escape_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ESCAPES) / sizeof(ESCAPES[0]); i++) {
        char out[64];
        int n = jsonptr_escape(ESCAPES[i].key, out, sizeof(out));

        assert_int_equal(n, (int)strlen(ESCAPES[i].escaped));
        assert_string_equal(out, ESCAPES[i].escaped);
    }
}

static void test_escape_capacity(void **state)
{
    char out[8];

    (void)state;
    memset(out, 'x', sizeof(out));
    /* "a~1b~0c" is 7 bytes + NUL: exactly 8 fits, 7 does not */
    assert_int_equal(jsonptr_escape("a/b~c", out, 8), 7);
    assert_string_equal(out, "a~1b~0c");
    memset(out, 'x', sizeof(out));
    assert_int_equal(jsonptr_escape("a/b~c", out, 7), -1);
    assert_int_equal(out[0], 'x');
    assert_int_equal(jsonptr_escape("", out, 0), -1);
    assert_int_equal(jsonptr_escape("", out, 1), 0);
    assert_string_equal(out, "");
    assert_int_equal(jsonptr_escape(NULL, out, sizeof(out)), -1);
}

/* Building: push and pop keep text and len in step, escaping on the way. */
static void test_build(void **state)
{
    struct jsonptr p;

    (void)state;
    assert_int_equal(jsonptr_set(&p, ""), 0);
    assert_string_equal(p.text, "");
    assert_int_equal(p.len, 0);
    assert_int_equal(jsonptr_push_key(&p, "spec"), 0);
    assert_int_equal(jsonptr_push_key(&p, "template"), 0);
    assert_int_equal(jsonptr_push_key(&p, "metadata"), 0);
    assert_int_equal(jsonptr_push_key(&p, "annotations"), 0);
    assert_int_equal(jsonptr_push_key(&p, "prometheus.io/scrape"), 0);
    assert_string_equal(p.text, "/spec/template/metadata/annotations/prometheus.io~1scrape");
    assert_int_equal(p.len, strlen(p.text));
    jsonptr_pop(&p);
    assert_string_equal(p.text, "/spec/template/metadata/annotations");
    assert_int_equal(p.len, strlen(p.text));
    assert_int_equal(jsonptr_push_index(&p, 0), 0);
    assert_int_equal(jsonptr_push_index(&p, 12345), 0);
    assert_int_equal(jsonptr_push_key(&p, ""), 0);
    assert_int_equal(jsonptr_push_key(&p, "~"), 0);
    assert_string_equal(p.text, "/spec/template/metadata/annotations/0/12345//~0");
    jsonptr_pop(&p);
    jsonptr_pop(&p);
    assert_string_equal(p.text, "/spec/template/metadata/annotations/0/12345");
    assert_int_equal(p.len, strlen(p.text));
    assert_int_equal(jsonptr_set(&p, "/a~1b"), 0);
    jsonptr_pop(&p);
    assert_string_equal(p.text, "");
    assert_int_equal(p.len, 0);
    jsonptr_pop(&p);
    assert_string_equal(p.text, "");
    assert_int_equal(p.len, 0);
}

/* set refuses text that is too long or not a pointer, leaving p alone. */
static void test_set_rejects(void **state)
{
    static const char *const BAD[] = {"a", "~0", "/~", "/~2", "/a~", "/a/~x", "x/y"};
    char long_text[JSONPTR_MAX + 1];
    struct jsonptr p;
    size_t i;

    (void)state;
    assert_int_equal(jsonptr_set(&p, "/keep"), 0);
    for (i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        assert_int_equal(jsonptr_set(&p, BAD[i]), -1);
        assert_string_equal(p.text, "/keep");
    }
    assert_int_equal(jsonptr_set(&p, NULL), -1);
    memset(long_text, 'a', sizeof(long_text));
    long_text[0] = '/';
    long_text[JSONPTR_MAX] = '\0';
    assert_int_equal(jsonptr_set(&p, long_text), -1);
    assert_string_equal(p.text, "/keep");
    long_text[JSONPTR_MAX - 1] = '\0';
    assert_int_equal(jsonptr_set(&p, long_text), 0);
    assert_int_equal(p.len, JSONPTR_MAX - 1);
}

/* Running out of room returns -1 and leaves the pointer exactly as it was. */
static void test_overflow_leaves_pointer(void **state)
{
    struct jsonptr p, before;
    char key[JSONPTR_MAX];
    size_t room;

    (void)state;
    memset(key, 'k', sizeof(key));
    key[JSONPTR_MAX - 10] = '\0';
    assert_int_equal(jsonptr_set(&p, ""), 0);
    assert_int_equal(jsonptr_push_key(&p, key), 0);
    room = JSONPTR_MAX - 1 - p.len;
    assert_int_equal(room, 8);

    memcpy(&before, &p, sizeof(p));
    /* "/" + 8 bytes would need 9 */
    assert_int_equal(jsonptr_push_key(&p, "abcdefgh"), -1);
    assert_memory_equal(&p, &before, sizeof(p));
    /* escaping doubles "/": "/" + "~1~1~1~1" is 9 as well */
    assert_int_equal(jsonptr_push_key(&p, "////"), -1);
    assert_memory_equal(&p, &before, sizeof(p));
    assert_int_equal(jsonptr_push_index(&p, (size_t)12345678u), -1);
    assert_memory_equal(&p, &before, sizeof(p));
    assert_int_equal(jsonptr_push_key(&p, NULL), -1);
    assert_memory_equal(&p, &before, sizeof(p));

    /* exactly filling the buffer works */
    assert_int_equal(jsonptr_push_key(&p, "abcdefg"), 0);
    assert_int_equal(p.len, JSONPTR_MAX - 1);
    assert_int_equal(strlen(p.text), JSONPTR_MAX - 1);
    memcpy(&before, &p, sizeof(p));
    assert_int_equal(jsonptr_push_key(&p, ""), -1);
    assert_int_equal(jsonptr_push_index(&p, 0), -1);
    assert_memory_equal(&p, &before, sizeof(p));

    jsonptr_pop(&p);
    assert_int_equal(jsonptr_push_index(&p, (size_t)1234567u), 0);
    assert_int_equal(p.len, JSONPTR_MAX - 1);
}

static const char DOC[] =
    "{"
    "\"a/b\": 1, \"c%d\": 2, \"e^f\": 3, \"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6,"
    "\" \": 7, \"m~n\": 8, \"~1\": 9, \"\": 10,"
    "\"foo\": [\"bar\", \"baz\", {\"x\": [0, 1]}],"
    "\"caf\xc3\xa9\": 11,"
    "\"dup\": 12, \"dup\": 13,"
    "\"n\": null, \"s\": \"str\""
    "}";

struct get_case {
    const char *pointer;
    /* expected number, or -1 for "same as root", -2 for NULL */
    int want;
};

static const struct get_case GETS[] = {
    /* RFC 6901 section 5 */
    {"", -1},
    {"/a~1b", 1},
    {"/c%d", 2},
    {"/e^f", 3},
    {"/g|h", 4},
    {"/i\\j", 5},
    {"/k\"l", 6},
    {"/ ", 7},
    {"/m~0n", 8},
    {"/", 10},
    /* "~01" is "~1", never "/" */
    {"/~01", 9},
    {"/~1", -2},
    {"/foo/2/x/1", 1},
    {"/foo/2/x/0", 0},
    {"/caf\xc3\xa9", 11},
    /* duplicate keys resolve to the first, as cJSON's getter does */
    {"/dup", 12},
    /* array indexes: leading zeros, "-", negative, out of range, junk */
    {"/foo/3", -2},
    {"/foo/-", -2},
    {"/foo/01", -2},
    {"/foo/00", -2},
    {"/foo/-1", -2},
    {"/foo/+1", -2},
    {"/foo/1a", -2},
    {"/foo/", -2},
    {"/foo/ 1", -2},
    {"/foo/99999999999999999999999", -2},
    {"/foo/2/x/2", -2},
    /* invalid pointers */
    {"a", -2},
    {"a/b", -2},
    {"/~2", -2},
    {"/m~", -2},
    {"/~", -2},
    /* missing keys and descending into scalars */
    {"/zzz", -2},
    {"/A~1B", -2},
    {"/a~1b/x", -2},
    {"/s/0", -2},
    {"/n/x", -2},
    {"//", -2},
};

static void test_get_table(void **state)
{
    cJSON *root = cJSON_Parse(DOC);
    size_t i;

    (void)state;
    assert_non_null(root);
    for (i = 0; i < sizeof(GETS) / sizeof(GETS[0]); i++) {
        cJSON *got = jsonptr_get(root, GETS[i].pointer);

        if (GETS[i].want == -2) {
            if (got)
                fail_msg("\"%s\" resolved, want NULL", GETS[i].pointer);
        } else if (GETS[i].want == -1) {
            assert_ptr_equal(got, root);
        } else {
            if (!got || !cJSON_IsNumber(got) || got->valueint != GETS[i].want)
                fail_msg("\"%s\" did not resolve to %d", GETS[i].pointer, GETS[i].want);
        }
    }
    assert_null(jsonptr_get(NULL, ""));
    assert_null(jsonptr_get(root, NULL));
    cJSON_Delete(root);
}

/* A scalar root: only "" resolves. Deep nesting resolves all the way. */
static void test_get_scalar_and_deep(void **state)
{
    cJSON *root = cJSON_CreateString("x");
    cJSON *deep = cJSON_CreateObject();
    cJSON *node = deep;
    struct jsonptr p;
    int i;

    (void)state;
    assert_non_null(root);
    assert_ptr_equal(jsonptr_get(root, ""), root);
    assert_null(jsonptr_get(root, "/0"));
    assert_null(jsonptr_get(root, "/"));
    cJSON_Delete(root);

    assert_non_null(deep);
    assert_int_equal(jsonptr_set(&p, ""), 0);
    for (i = 0; i < 40; i++) {
        cJSON *child = cJSON_CreateArray();

        assert_non_null(child);
        if (cJSON_IsObject(node))
            assert_true(cJSON_AddItemToObject(node, "a/~", child));
        else
            assert_true(cJSON_AddItemToArray(node, child));
        if (cJSON_IsObject(node))
            assert_int_equal(jsonptr_push_key(&p, "a/~"), 0);
        else
            assert_int_equal(jsonptr_push_index(&p, 0), 0);
        node = child;
        if (i % 2 == 0) {
            /* alternate: arrays hold objects */
            cJSON *obj = cJSON_CreateObject();

            assert_non_null(obj);
            assert_true(cJSON_AddItemToArray(node, obj));
            assert_int_equal(jsonptr_push_index(&p, 0), 0);
            node = obj;
        }
    }
    assert_ptr_equal(jsonptr_get(deep, p.text), node);
    cJSON_Delete(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_capacity),
        cmocka_unit_test(test_set_rejects),
        cmocka_unit_test(test_overflow_leaves_pointer),
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_get_table),
        cmocka_unit_test(test_get_scalar_and_deep),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
