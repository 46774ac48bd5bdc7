/* Tests for policyfile: no file is the built-in default; a YAML or JSON
 * file is layered over it and changes only what it names; and every
 * refusal names the file and, where the file has one, the line of the
 * offending key, which policy_apply alone cannot know. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policyfile.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_policyfile.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_policy(const char *name, const char *text, char *path, size_t cap)
{
    FILE *f;

    snprintf(path, cap, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static struct policy *new_policy(void)
{
    struct policy *p = malloc(sizeof(*p));

    assert_non_null(p);
    return p;
}

static void test_no_file_is_the_default(void **state)
{
    struct policy *p = new_policy(), *def = new_policy();
    struct diag d;

    (void)state;
    /* whatever was there before is replaced */
    memset(p, 0x5a, sizeof(*p));
    diag_clear(&d);
    assert_int_equal(policyfile_load(NULL, p, &d), 0);
    policy_default(def);
    assert_memory_equal(p, def, sizeof(*p));
    free(p);
    free(def);
}

static void test_yaml_and_json_change_only_what_they_name(void **state)
{
    static const char *const files[][2] = {
        {"p.yaml", "# staging\nreplicas:\n  minimum: 2\nrules:\n  replicas-minimum: warn\n"},
        {"p.json", "{\"replicas\": {\"minimum\": 2}, \"rules\": {\"replicas-minimum\": \"warn\"}}\n"},
    };
    struct policy *p = new_policy(), *def = new_policy();
    char path[128];
    struct diag d;

    (void)state;
    policy_default(def);
    for (size_t i = 0; i < 2; i++) {
        write_policy(files[i][0], files[i][1], path, sizeof(path));
        diag_clear(&d);
        assert_int_equal(policyfile_load(path, p, &d), 0);
        assert_int_equal(p->replicas_minimum, 2);
        assert_int_equal(policy_action(p, RULE_REPLICAS_MINIMUM), RULE_WARN);
        /* the rest is the default */
        assert_int_equal(p->replicas, def->replicas);
        assert_string_equal(p->main_container, def->main_container);
        assert_int_equal(p->probes[PROBE_LIVENESS].period_seconds, def->probes[PROBE_LIVENESS].period_seconds);
        assert_int_equal(policy_action(p, RULE_PROBE_LIVENESS_MISSING),
                         policy_action(def, RULE_PROBE_LIVENESS_MISSING));
    }
    free(p);
    free(def);
}

static void test_refusal_names_file_line_and_key(void **state)
{
    struct policy *p = new_policy();
    char path[128];
    struct diag d;

    (void)state;
    write_policy("timeout.yaml",
                 "# comment\n"
                 "probes:\n"
                 "  liveness:\n"
                 "    periodSeconds: 10\n"
                 "    timeoutSeconds: 12\n",
                 path, sizeof(path));
    diag_clear(&d);
    assert_int_equal(policyfile_load(path, p, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 5);
    assert_string_equal(d.pointer, "/probes/liveness/timeoutSeconds");
    assert_string_equal(d.message, "timeoutSeconds (12) must not exceed periodSeconds (10)");

    write_policy("unknown.yaml", "replicas:\n  minimum: 2\n  maximum: 9\n", path, sizeof(path));
    diag_clear(&d);
    assert_int_equal(policyfile_load(path, p, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 3);
    assert_string_equal(d.pointer, "/replicas/maximum");
    free(p);
}

static void test_one_document_only(void **state)
{
    struct policy *p = new_policy();
    char path[128];
    struct diag d;

    (void)state;
    write_policy("two.yaml", "replicas:\n  minimum: 2\n---\nreplicas:\n  minimum: 4\n", path, sizeof(path));
    diag_clear(&d);
    assert_int_equal(policyfile_load(path, p, &d), -1);
    assert_string_equal(d.file, path);
    /* where the second document starts */
    assert_int_equal(d.line, 4);
    assert_string_equal(d.message, "a policy file holds exactly one document (found 2)");

    write_policy("empty.yaml", "# nothing here\n", path, sizeof(path));
    diag_clear(&d);
    assert_int_equal(policyfile_load(path, p, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.message, "a policy file holds exactly one document (found 0)");
    free(p);
}

static void test_unreadable_or_malformed_file(void **state)
{
    struct policy *p = new_policy();
    char path[128];
    struct diag d;

    (void)state;
    snprintf(path, sizeof(path), "%s/absent.yaml", dir);
    diag_clear(&d);
    assert_int_equal(policyfile_load(path, p, &d), -1);
    assert_string_equal(d.file, path);
    assert_string_equal(d.message, "cannot open: No such file or directory");

    write_policy("broken.yaml", "replicas:\n  minimum: [2\n", path, sizeof(path));
    diag_clear(&d);
    assert_int_equal(policyfile_load(path, p, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 2);
    assert_string_equal(d.message, "invalid YAML: did not find expected ',' or ']' at the end of the input "
                                   "(while parsing a flow sequence at line 2)");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_file_is_the_default),
        cmocka_unit_test(test_yaml_and_json_change_only_what_they_name),
        cmocka_unit_test(test_refusal_names_file_line_and_key),
        cmocka_unit_test(test_one_document_only),
        cmocka_unit_test(test_unreadable_or_malformed_file),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
