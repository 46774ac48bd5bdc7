/* Fuzz target: the promises engine.h makes about a mutation, on arbitrary
 * Deployments. The input is parsed as JSON; when the default policy
 * selects it, engine_mutate must either fail with a message or give ops
 * that
 *   - are all "add"s that apply, in order, to the input (addpatch.h) and
 *     give exactly its result;
 *   - are printed as ops_json byte for byte as cJSON prints them;
 *   - add nothing more when the result is mutated again (idempotence: the
 *     API server may call the webhook again on its own output);
 *   - are what engine_mutate_in_place gives on a copy of the input, which
 *     it turns into the same result (the webhook uses that one).
 * Validating the result must not fail where validating the input did not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "addpatch.h"
#include "engine.h"
#include "findings.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Both trees print to the same compact text (NULL when out of memory
 * counts as equal: allocation failures are not what this looks for). */
static void check_same(const cJSON *a, const cJSON *b)
{
    char *ta = cJSON_PrintUnformatted(a);
    char *tb = cJSON_PrintUnformatted(b);

    if (ta && tb)
        check(strcmp(ta, tb) == 0);
    cJSON_free(ta);
    cJSON_free(tb);
}

/* The ops replayed on a copy of object give result. */
static void check_replay(const cJSON *object, const struct mutation *m)
{
    char *printed = cJSON_PrintUnformatted(m->ops);

    check(cJSON_IsArray(m->ops) && (size_t)cJSON_GetArraySize(m->ops) == m->count);
    if (printed)
        check(strcmp(printed, m->ops_json) == 0 && strlen(printed) == m->ops_json_len);
    cJSON_free(printed);
    check(addpatch_replays(object, m->ops, m->result) != 0);
}

static int validates(const struct policy *p, const cJSON *object)
{
    struct findings f;
    struct diag d;
    int rc;

    findings_init(&f);
    diag_clear(&d);
    rc = engine_validate(p, object, &f, &d);
    check(rc == 0 || d.message[0] != '\0');
    findings_free(&f);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct policy policy;
    static int ready;
    cJSON *object = cJSON_ParseWithLength((const char *)data, size);
    cJSON *in_place = NULL;
    struct mutation m, again, direct;
    struct diag d;
    int rc;

    if (!ready) {
        policy_default(&policy);
        ready = 1;
    }
    memset(&m, 0, sizeof(m));
    memset(&again, 0, sizeof(again));
    memset(&direct, 0, sizeof(direct));
    if (!object || !engine_selects(&policy, object))
        goto done;
    diag_clear(&d);
    rc = engine_mutate(&policy, object, &m, &d);
    if (rc != 0) {
        check(rc == -1 && d.message[0] != '\0');
        goto done;
    }
    check(m.result && m.ops && m.ops_json);
    check_replay(object, &m);

    diag_clear(&d);
    check(engine_selects(&policy, m.result));
    check(engine_mutate(&policy, m.result, &again, &d) == 0);
    check(again.count == 0 && strcmp(again.ops_json, "[]") == 0);

    in_place = cJSON_Duplicate(object, 1);
    if (in_place) {
        diag_clear(&d);
        check(engine_mutate_in_place(&policy, in_place, &direct, &d) == 0);
        check(direct.count == m.count && strcmp(direct.ops_json, m.ops_json) == 0);
        check_same(in_place, m.result);
    }

    if (validates(&policy, object) == 0)
        check(validates(&policy, m.result) == 0);

done:
    mutation_free(&m);
    mutation_free(&again);
    mutation_free(&direct);
    cJSON_Delete(in_place);
    cJSON_Delete(object);
    return 0;
}
