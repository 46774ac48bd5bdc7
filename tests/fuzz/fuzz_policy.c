/* Fuzz target: policy documents, and the engine under whatever policy they
 * make. The input is read as a manifest (YAML or JSON); its first document
 * is layered over the default policy. policy_apply must refuse it with a
 * message naming the key, or give a policy that
 *   - policy_to_json renders so that applying the rendering to the default
 *     gives the same policy back (policy.h);
 *   - mutates two Deployments (a bare one, which gets every addition, and
 *     one with an init container and a sidecar) with ops that replay to the
 *     result (addpatch.h) and that a second mutation adds nothing to: the
 *     webhook's promises hold under every policy an operator can load,
 *     not only the built-in one;
 *   - validates both, before and after, without error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "addpatch.h"
#include "document.h"
#include "engine.h"
#include "findings.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const DEPLOYMENTS[] = {
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
    "\"metadata\":{\"name\":\"blog\",\"namespace\":\"blog\",\"labels\":{\"app\":\"blog\",\"component\":\"django\"}},"
    "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"blog\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"blog\",\"component\":\"django\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"django\",\"image\":\"ghcr.io/example/blog:0.9.3\","
    "\"ports\":[{\"containerPort\":8000}]}]}}}}",

    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
    "\"metadata\":{\"name\":\"shop\",\"labels\":{\"app\":\"shop\",\"component\":\"django\",\"tier\":\"web\"},"
    "\"annotations\":{\"django-admission.io/exempt-rules\":\"image-tag\"}},"
    "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"shop\"}},"
    "\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"50%\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"shop\",\"component\":\"django\",\"tier\":\"web\"},"
    "\"annotations\":{\"prometheus.io/scrape\":\"true\"}},"
    "\"spec\":{\"securityContext\":{\"runAsUser\":1000},"
    "\"initContainers\":[{\"name\":\"migrate\",\"image\":\"shop:latest\",\"command\":[\"python\",\"manage.py\",\"migrate\"]}],"
    "\"containers\":[{\"name\":\"proxy\",\"image\":\"cloud-sql-proxy:2\","
    "\"resources\":{\"requests\":{\"cpu\":\"50m\"}}},"
    "{\"name\":\"web\",\"image\":\"shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
    "\"env\":[{\"name\":\"DJANGO_SECRET_KEY\",\"value\":\"x\"}],"
    "\"securityContext\":{\"capabilities\":{\"add\":[\"NET_ADMIN\"]}},"
    "\"resources\":{\"limits\":{\"memory\":\"1Gi\"}}}]}}}}",
};

static void check(int ok)
{
    if (!ok)
        abort();
}

static char *render(const struct policy *p)
{
    cJSON *doc = policy_to_json(p);
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;

    cJSON_Delete(doc);
    return text;
}

/* Rendering p and applying that to the default gives p again. */
static void check_rendering(const struct policy *p)
{
    cJSON *doc = policy_to_json(p);
    struct policy again;
    struct diag d;
    char *a, *b;

    if (!doc)
        return;
    policy_default(&again);
    diag_clear(&d);
    check(policy_apply(&again, doc, &d) == 0);
    cJSON_Delete(doc);
    a = render(p);
    b = render(&again);
    if (a && b)
        check(strcmp(a, b) == 0);
    cJSON_free(a);
    cJSON_free(b);
}

static void check_validates(const struct policy *p, const cJSON *object)
{
    struct findings f;
    struct diag d;

    findings_init(&f);
    diag_clear(&d);
    check(engine_validate(p, object, &f, &d) == 0);
    findings_free(&f);
}

static void check_mutation(const struct policy *p, const char *text)
{
    cJSON *object = cJSON_Parse(text);
    struct mutation m, again;
    struct diag d;

    check(object != NULL);
    memset(&m, 0, sizeof(m));
    memset(&again, 0, sizeof(again));
    if (!engine_selects(p, object))
        goto done;
    check_validates(p, object);
    diag_clear(&d);
    check(engine_mutate(p, object, &m, &d) == 0);
    check(addpatch_replays(object, m.ops, m.result) == 1);
    check(engine_selects(p, m.result));
    check(engine_mutate(p, m.result, &again, &d) == 0);
    check(again.count == 0);
    check_validates(p, m.result);
done:
    mutation_free(&m);
    mutation_free(&again);
    cJSON_Delete(object);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct document_set set = {0};
    struct policy p;
    struct diag d;

    diag_clear(&d);
    if (document_parse("policy.yaml", (const char *)data, size, &set, &d) != 0 || set.count == 0)
        goto done;
    policy_default(&p);
    diag_clear(&d);
    if (policy_apply(&p, set.docs[0].root, &d) != 0) {
        check(d.message[0] != '\0');
        goto done;
    }
    check_rendering(&p);
    for (size_t i = 0; i < sizeof(DEPLOYMENTS) / sizeof(DEPLOYMENTS[0]); i++)
        check_mutation(&p, DEPLOYMENTS[i]);
done:
    document_set_free(&set);
    return 0;
}
