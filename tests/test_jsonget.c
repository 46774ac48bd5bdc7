/* Tests for jsonget: the same answer as cJSON_GetObjectItemCaseSensitive
 * for every name of a table of objects, hostile ones first: empty names,
 * duplicates, case, prefixes, non-ASCII, "~" and "/", a child without a
 * name, arrays and scalars, NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jsonget.h"

static const char *const objects[] = {
    "{}",
    "{\"\":1,\"a\":2}",
    "{\"a\":1,\"a\":2,\"A\":3,\"ab\":4,\"b\":5}",
    "{\"prometheus.io/scrape\":\"true\",\"~0\":1,\"~\":2,\"caf\\u00e9\":3,\"cafe\":4}",
    "{\"x\":{\"y\":1},\"y\":2}",
    "[1,2,3]",
    "[{\"a\":1}]",
    "\"a\"",
    "null",
};

static const char *const names[] = {
    "", "a", "A", "ab", "b", "c", "aa", "prometheus.io/scrape", "prometheus.io~1scrape",
    "~0", "~", "caf\xc3\xa9", "cafe", "x", "y", "0",
};

static void test_same_as_cjson(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
        cJSON *o = cJSON_Parse(objects[i]);

        assert_non_null(o);
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            if (jsonget(o, names[k]) != cJSON_GetObjectItemCaseSensitive(o, names[k]))
                fail_msg("%s, \"%s\": not the member cJSON finds", objects[i], names[k]);
        }
        assert_null(jsonget(o, NULL));
        cJSON_Delete(o);
    }
    assert_null(jsonget(NULL, "a"));
}

/* A child without a name ends the walk, as in cJSON. */
static void test_child_without_name(void **state)
{
    cJSON *o = cJSON_Parse("{\"a\":1,\"b\":2,\"c\":3}");
    char *saved;

    (void)state;
    assert_non_null(o);
    saved = o->child->next->string;
    o->child->next->string = NULL;
    assert_ptr_equal(jsonget(o, "a"), o->child);
    assert_null(jsonget(o, "c"));
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "c"));
    o->child->next->string = saved;
    assert_ptr_equal(jsonget(o, "c"), o->child->next->next);
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_cjson),
        cmocka_unit_test(test_child_without_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
