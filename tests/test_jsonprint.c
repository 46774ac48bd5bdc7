/* Tests for jsonprint: the oracle is cJSON_PrintUnformatted itself. Every
 * value of the table, parsed or built, must print to exactly cJSON's bytes,
 * and at every buffer size the output must be those bytes cut as snprintf
 * cuts. Hostile values first: escapes, control bytes, non-ASCII, numbers
 * the direct printer leaves to cJSON, items without text, deep nesting. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonprint.h"

/* Prints item at every cap from 0 to past its length and compares each
 * with cJSON's text. */
static void assert_prints_as_cjson(const cJSON *item, const char *what)
{
    char *want = cJSON_PrintUnformatted(item);
    size_t want_len, len;
    char *buf;

    if (!want) {
        char out[4] = "xyz";
        if (jsonprint(item, out, sizeof(out), &len) != -1)
            fail_msg("%s: cJSON cannot print it, jsonprint did", what);
        assert_string_equal(out, "");
        return;
    }
    want_len = strlen(want);
    buf = malloc(want_len + 3);
    assert_non_null(buf);
    for (size_t cap = 0; cap <= want_len + 2; cap++) {
        memset(buf, '#', want_len + 3);
        if (jsonprint(item, cap ? buf : NULL, cap, &len) != 0)
            fail_msg("%s: jsonprint failed at cap %zu", what, cap);
        if (len != want_len)
            fail_msg("%s: length %zu, cJSON's is %zu", what, len, want_len);
        if (cap == 0)
            continue;
        if (cap > want_len) {
            if (strcmp(buf, want) != 0)
                fail_msg("%s:\n got  %s\n want %s", what, buf, want);
        } else {
            if (memcmp(buf, want, cap - 1) != 0 || buf[cap - 1] != '\0')
                fail_msg("%s: cut at cap %zu is not cJSON's prefix", what, cap);
        }
        /* nothing past the buffer */
        if (buf[cap] != '#')
            fail_msg("%s: wrote past cap %zu", what, cap);
    }
    free(buf);
    cJSON_free(want);
}

static const char *const documents[] = {
    /* strings: every escape cJSON writes, and what it leaves alone */
    "\"\"",
    "\"plain\"",
    "\"quote \\\" backslash \\\\ slash /\"",
    "\"\\b\\f\\n\\r\\t\"",
    "\"\\u0000 not parsed past\"",
    "\"\\u0001\\u001f\\u007f\\u0080\"",
    "\"caf\\u00e9 \xe2\x82\xac \xf0\x9f\x90\x8d\"",
    "\"prometheus.io/scrape ~0 ~1\"",
    /* numbers: the integers written directly, and the rest */
    "0", "1", "-1", "8000", "2147483647", "-2147483648", "2147483648", "-2147483649",
    "999999999999999", "-999999999999999", "1000000000000000", "1e15", "123456789012345678",
    "1e300", "-1e300", "0.5", "0.25", "1.1", "-0.001", "1e-7", "3.14159265358979",
    "0.1", "100.0", "-0", "-0.0", "5e-324", "1.7976931348623157e308",
    /* literals */
    "null", "true", "false",
    /* containers */
    "[]", "{}", "[[]]", "{\"\":{}}", "[1,\"a\",null,true,false,[],{}]",
    "{\"a\":1,\"a\":2}",
    "{\"drop\":[\"ALL\"],\"emptyDir\":{},\"k/~\":\"v\\\"\"}",
    "{\"httpGet\":{\"path\":\"/health/live/\",\"port\":8000},\"initialDelaySeconds\":30}",
    "[0.5,1,{\"x\":[1e300,-0]}]",
    "{\"\\u00e9\\n\":\"\\t\"}",
    /* from admission's own writer, which jsonprint replaced */
    "4294967296", "-1.25", "1e-300", "1e16", "9007199254740993", "-0.5", "1e-5", "100000", "12.0",
    "\"\\u00e9\\ud83d\\ude00\"", "[[],{},[[[]]]]",
    "{\"a\":1,\"a\":2,\"\":{\"~1/\":[null,true,false]}}",
};

static void test_documents(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(documents) / sizeof(documents[0]); i++) {
        cJSON *item = cJSON_Parse(documents[i]);

        if (!item)
            fail_msg("test JSON does not parse: %s", documents[i]);
        assert_prints_as_cjson(item, documents[i]);
        cJSON_Delete(item);
    }
}

/* Values parsing never gives: NaN, infinities, an inconsistent valueint,
 * raw text, a string or key without text, invalid types, NULL. */
static void test_built_values(void **state)
{
    const double numbers[] = {NAN, INFINITY, -INFINITY, DBL_MAX, -DBL_MIN, 1e15 - 1, 0.0,
                              -0.0, (double)INT_MAX + 1, (double)LLONG_MAX, 1.0 / 3.0,
                              0.30000000000000004, 1e21, 1e-7};
    cJSON *item, *obj;
    size_t len;
    char out[8];

    (void)state;
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        char what[32];

        item = cJSON_CreateNumber(numbers[i]);
        assert_non_null(item);
        snprintf(what, sizeof(what), "number %zu", i);
        assert_prints_as_cjson(item, what);
        /* valuedouble changed behind valueint's back */
        item->valuedouble = 42;
        assert_prints_as_cjson(item, what);
        cJSON_Delete(item);
    }

    item = cJSON_CreateRaw("{\"raw\": 1}");
    assert_non_null(item);
    assert_prints_as_cjson(item, "raw");
    obj = cJSON_CreateArray();
    assert_non_null(obj);
    assert_true(cJSON_AddItemToArray(obj, item));
    assert_prints_as_cjson(obj, "raw in an array");
    cJSON_Delete(obj);

    item = cJSON_CreateString("x");
    assert_non_null(item);
    cJSON_free(item->valuestring);
    item->valuestring = NULL;
    assert_prints_as_cjson(item, "string without text");
    cJSON_Delete(item);

    obj = cJSON_CreateObject();
    assert_non_null(obj);
    assert_true(cJSON_AddNumberToObject(obj, "k", 1) != NULL);
    cJSON_free(obj->child->string);
    obj->child->string = NULL;
    assert_prints_as_cjson(obj, "key without text");
    cJSON_Delete(obj);

    item = cJSON_CreateNull();
    assert_non_null(item);
    item->type = 1 << 12;
    assert_prints_as_cjson(item, "invalid type");
    item->type = cJSON_NULL;
    cJSON_Delete(item);

    memcpy(out, "xyz", 4);
    assert_int_equal(jsonprint(NULL, out, sizeof(out), &len), -1);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
}

/* Nesting past JSONPRINT_DEPTH_MAX is cJSON's to print. */
static void test_deep(void **state)
{
    const int depths[] = {JSONPRINT_DEPTH_MAX - 1, JSONPRINT_DEPTH_MAX, JSONPRINT_DEPTH_MAX + 1,
                          3 * JSONPRINT_DEPTH_MAX};

    (void)state;
    for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
        cJSON *root = cJSON_CreateString("leaf");

        assert_non_null(root);
        for (int d = 0; d < depths[i]; d++) {
            cJSON *wrap = d % 2 ? cJSON_CreateArray() : cJSON_CreateObject();
            assert_non_null(wrap);
            if (d % 2)
                assert_true(cJSON_AddItemToArray(wrap, root));
            else
                assert_true(cJSON_AddItemToObject(wrap, "k", root));
            root = wrap;
        }
        assert_prints_as_cjson(root, "deep");
        cJSON_Delete(root);
    }
}

/* A large value, and every byte value in a string. */
static void test_large_and_every_byte(void **state)
{
    char bytes[256];
    cJSON *list = cJSON_CreateArray();

    (void)state;
    assert_non_null(list);
    for (int i = 1; i < 256; i++)
        bytes[i - 1] = (char)i;
    bytes[255] = '\0';
    for (int i = 0; i < 200; i++) {
        cJSON *s = cJSON_CreateString(bytes + (i % 255));
        assert_non_null(s);
        assert_true(cJSON_AddItemToArray(list, s));
    }
    assert_prints_as_cjson(list, "every byte");
    cJSON_Delete(list);
}

/* Strings are scanned eight bytes at a time: every byte that needs an
 * escape, at every offset of a word and across word ends, between bytes
 * that do not (ASCII, and UTF-8 bytes with the high bit set). */
static void test_escape_at_every_offset(void **state)
{
    const char specials[] = {'"', '\\', '\x01', '\x1f', '\n', ' ', '!', '#', '[', ']', '\x7f'};
    const char fillers[] = {'a', '\xc3', '\xa9', '\x80'};

    (void)state;
    for (size_t f = 0; f < sizeof(fillers); f++) {
        for (size_t sp = 0; sp < sizeof(specials); sp++) {
            for (size_t at = 0; at < 25; at++) {
                char text[26];
                cJSON *item;

                memset(text, fillers[f], 25);
                text[25] = '\0';
                text[at] = specials[sp];
                item = cJSON_CreateString(text);
                assert_non_null(item);
                assert_prints_as_cjson(item, "escape offset");
                cJSON_Delete(item);
            }
        }
    }
}

/* jsonprint_string: the literal cJSON writes for a string item. */
static void test_string(void **state)
{
    const char *const strings[] = {"", "a", "\"", "\\", "\x01\x1f\x7f", "\b\f\n\r\t",
                                   "caf\xc3\xa9", "\xff\xfe not UTF-8", "a/b~c"};
    char buf[64];

    (void)state;
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        cJSON *item = cJSON_CreateString(strings[i]);
        char *want;
        size_t n;

        assert_non_null(item);
        want = cJSON_PrintUnformatted(item);
        assert_non_null(want);
        n = jsonprint_string(strings[i], buf, sizeof(buf));
        assert_int_equal(n, strlen(want));
        assert_string_equal(buf, want);
        /* cut: snprintf's contract */
        assert_int_equal(jsonprint_string(strings[i], buf, 2), n);
        assert_string_equal(buf, "\"");
        assert_int_equal(jsonprint_string(strings[i], NULL, 0), n);
        cJSON_free(want);
        cJSON_Delete(item);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_built_values),
        cmocka_unit_test(test_deep),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_escape_at_every_offset),
        cmocka_unit_test(test_large_and_every_byte),
        cmocka_unit_test(test_string),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
