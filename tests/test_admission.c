/* admission: AdmissionReview bytes in, response bytes out. Hostile bodies
 * first, then the wire contract (echo, patch, skip, scale, deny, warnings).
 * The module's .c is included to reach its static helpers (warning
 * cleaning and fitting); the engine comes from the library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/admission.c"

#define FIXTURES SOURCE_ROOT "/tests/fixtures/reviews/"

static struct policy policy;

/* the module's cleaner on one string; returns the length of dst */
static size_t warning_clean(char *dst, const char *src)
{
    struct cleaner c = {dst, 0, 0, false};

    clean_feed(&c, src);
    dst[c.len] = '\0';
    return c.len;
}

static void add_warning(struct warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_warning(struct warnings *w, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    warnings_add(w, text, (char *)NULL);
}

static int setup(void **state)
{
    (void)state;
    policy_default(&policy);
    return 0;
}

static char *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static cJSON *fixture_json(const char *name)
{
    size_t len;
    char *text = read_fixture(name, &len);
    cJSON *doc = cJSON_ParseWithLength(text, len);

    assert_non_null(doc);
    free(text);
    return doc;
}

/* Oracle for the hand-written JSON: the body is byte for byte what cJSON
 * prints for the document it parses to, and one "\n". */
static void assert_as_cjson_prints(const char *body, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(body, len);
    char *printed;

    assert_non_null(doc);
    printed = cJSON_PrintUnformatted(doc);
    assert_non_null(printed);
    assert_int_equal(strlen(printed) + 1, len);
    assert_memory_equal(printed, body, len - 1);
    assert_int_equal(body[len - 1], '\n');
    cJSON_free(printed);
    cJSON_Delete(doc);
}

/* Runs the review and checks what holds for every answer: rc 0, a body
 * that is exactly body_len bytes and ends in one "\n". */
static void run(enum admission_mode mode, const char *body, size_t len, struct admission_outcome *out)
{
    assert_int_equal(admission_review(&policy, mode, body, len, out), 0);
    assert_non_null(out->body);
    assert_int_equal(strlen(out->body), out->body_len);
    assert_true(out->body_len >= 2);
    assert_int_equal(out->body[out->body_len - 1], '\n');
    assert_true(out->body[out->body_len - 2] != '\n');
    assert_as_cjson_prints(out->body, out->body_len);
}

static void run_json(enum admission_mode mode, const cJSON *review, struct admission_outcome *out)
{
    char *text = cJSON_PrintUnformatted(review);

    assert_non_null(text);
    run(mode, text, strlen(text), out);
    cJSON_free(text);
}

/* The response member of a 200 answer; *root is freed by the caller. */
static const cJSON *response_of(const struct admission_outcome *out, cJSON **root)
{
    const cJSON *resp;

    assert_int_equal(out->http_status, 200);
    *root = cJSON_ParseWithLength(out->body, out->body_len);
    assert_non_null(*root);
    resp = cJSON_GetObjectItemCaseSensitive(*root, "response");
    assert_true(cJSON_IsObject(resp));
    return resp;
}

/* The response's member names in order, comma-separated. */
static void member_names(const cJSON *obj, char *buf, size_t cap)
{
    size_t n = 0;

    buf[0] = '\0';
    for (const cJSON *c = obj->child; c; c = c->next)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", c->string);
}

static void assert_members(const cJSON *obj, const char *expected)
{
    char names[512];

    member_names(obj, names, sizeof(names));
    assert_string_equal(names, expected);
}

/* Allowed, and nothing else: uid and allowed only. */
static void assert_skipped(enum admission_mode mode, const char *body, size_t len)
{
    struct admission_outcome out;
    cJSON *root;
    const cJSON *resp;

    run(mode, body, len, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_SKIPPED);
    assert_members(resp, "uid,allowed");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "allowed")));
    assert_int_equal(out.patch_ops, 0);
    cJSON_Delete(root);
    admission_outcome_free(&out);
}

/* ---- hostile bodies: 400 with the message naming the problem ---- */

struct bad_case {
    const char *body;
    /* 0 = strlen(body) */
    size_t len;
    const char *message;
};

#define REVIEW(request) "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":" request "}"
#define DEPLOY_KIND "\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"}"

static const struct bad_case bad_cases[] = {
    {"", 0, "body is empty"},
    {"null", 0, "body is not an AdmissionReview (expected a JSON object, got null)"},
    {"[]", 0, "body is not an AdmissionReview (expected a JSON object, got list)"},
    {"\"AdmissionReview\"", 0, "body is not an AdmissionReview (expected a JSON object, got string)"},
    {"42", 0, "body is not an AdmissionReview (expected a JSON object, got number)"},
    {"true", 0, "body is not an AdmissionReview (expected a JSON object, got boolean)"},
    {"   ", 0, "body is not valid JSON at byte 2"},
    {"{\"a\":}", 0, "body is not valid JSON at byte 5"},
    {"{\"a\":1", 0, "body is not valid JSON at byte 5"},
    {"{} {}", 0, "body is not valid JSON at byte 3 (data after the end of the document)"},
    {"{}\n\0", 4, "body is not valid JSON at byte 3 (data after the end of the document)"},
    {"{}", 0, "body is not an AdmissionReview (apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1)"},
    {"{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\"}", 0,
     "body is not an AdmissionReview (apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1)"},
    {"{\"apiVersion\":1,\"kind\":\"AdmissionReview\"}", 0,
     "body is not an AdmissionReview (apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1)"},
    {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"admissionreview\"}", 0, "kind must be AdmissionReview"},
    {"{\"apiVersion\":\"admission.k8s.io/v1\"}", 0, "kind must be AdmissionReview"},
    {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", 0, "request is missing"},
    {REVIEW("null"), 0, "request is missing"},
    {REVIEW("[]"), 0, "request is not an object (got list)"},
    {"{\"apiVersion\":\"admission.k8s.io/v1\",\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
     0, "body has the key \"apiVersion\" twice"},
    {REVIEW("{}"), 0, "request.uid is missing or not a string"},
    {REVIEW("{\"uid\":42}"), 0, "request.uid is missing or not a string"},
    {REVIEW("{\"uid\":null}"), 0, "request.uid is missing or not a string"},
    {REVIEW("{\"uid\":\"\"}"), 0, "request.uid is empty"},
    {REVIEW("{\"uid\":\"\xff\xfe\"}"), 0, "request.uid is not valid UTF-8"},
    {REVIEW("{\"uid\":\"a\",\"uid\":\"b\"}"), 0, "request has the key \"uid\" twice"},
    {REVIEW("{\"uid\":\"u\"}"), 0, "request.kind is missing or not an object"},
    {REVIEW("{\"uid\":\"u\",\"kind\":\"Deployment\"}"), 0, "request.kind is missing or not an object"},
    {REVIEW("{\"uid\":\"u\",\"kind\":{\"group\":\"apps\"}}"), 0, "request.kind.kind is missing or not a string"},
    {REVIEW("{\"uid\":\"u\",\"kind\":{\"group\":1,\"kind\":\"Deployment\"}}"), 0,
     "request.kind.group is not a string"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND "}"), 0, "request.operation is missing or not a string"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":[\"CREATE\"]}"), 0,
     "request.operation is missing or not a string"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"CREATE\",\"dryRun\":\"yes\"}"), 0,
     "request.dryRun is not a boolean"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"CREATE\",\"name\":7}"), 0,
     "request.name is not a string"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"CREATE\",\"namespace\":{}}"), 0,
     "request.namespace is not a string"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"CREATE\",\"subResource\":true}"), 0,
     "request.subResource is not a string"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"CREATE\",\"resource\":\"deployments\"}"), 0,
     "request.resource is not an object"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"CREATE\"}"), 0, "request.object is not an object"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"UPDATE\",\"object\":null}"), 0,
     "request.object is not an object"},
    {REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"CREATE\",\"object\":[]}"), 0,
     "request.object is not an object"},
    {REVIEW("{\"uid\":\"u\",\"kind\":{\"group\":\"autoscaling\",\"kind\":\"Scale\"},"
            "\"resource\":{\"group\":\"apps\",\"resource\":\"deployments\"},\"subResource\":\"scale\","
            "\"operation\":\"UPDATE\",\"object\":\"3\"}"),
     0, "request.object is not an object"},
};

static void check_bad(const char *body, size_t len, const char *message)
{
    struct admission_outcome out;
    char expected[1024];

    for (int mode = ADMISSION_MUTATE; mode <= ADMISSION_VALIDATE; mode++) {
        assert_int_equal(admission_review(&policy, (enum admission_mode)mode, body, len, &out), 0);
        assert_int_equal(out.http_status, 400);
        assert_int_equal(out.decision, DECISION_ERROR);
        snprintf(expected, sizeof(expected), "{\"code\":400,\"error\":\"%s\"}\n", message);
        /* the messages above hold quotes only where JSON escapes them */
        if (strchr(message, '"')) {
            cJSON *root = cJSON_Parse(out.body);
            assert_non_null(root);
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "error")->valuestring, message);
            assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "code")->valueint, 400);
            cJSON_Delete(root);
        } else {
            assert_string_equal(out.body, expected);
        }
        assert_int_equal(out.body_len, strlen(out.body));
        assert_as_cjson_prints(out.body, out.body_len);
        admission_outcome_free(&out);
    }
}

static void test_bad_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        print_message("case %zu: %s\n", i, c->message);
        check_bad(c->body, c->len ? c->len : strlen(c->body), c->message);
    }
}

static void test_null_body(void **state)
{
    (void)state;
    check_bad(NULL, 0, "body is empty");
}

/* 10000 "[": cJSON's nesting limit stops it, no stack overflow */
static void test_deep_nesting(void **state)
{
    size_t n = 10000;
    char *body = malloc(n);

    (void)state;
    assert_non_null(body);
    memset(body, '[', n);
    struct admission_outcome out;
    assert_int_equal(admission_review(&policy, ADMISSION_MUTATE, body, n, &out), 0);
    assert_int_equal(out.http_status, 400);
    assert_non_null(strstr(out.body, "\"error\":\"body is not valid JSON at byte "));
    admission_outcome_free(&out);
    free(body);
}

/* the body is not NUL-terminated: nothing past len is read */
static void test_not_nul_terminated(void **state)
{
    size_t len;
    char *text = read_fixture("review-django.json", &len);
    char *copy = malloc(len);
    struct admission_outcome out;

    (void)state;
    assert_non_null(copy);
    memcpy(copy, text, len);
    run(ADMISSION_MUTATE, copy, len, &out);
    assert_int_equal(out.decision, DECISION_ALLOWED);
    admission_outcome_free(&out);
    /* one byte short is no longer JSON */
    assert_int_equal(admission_review(&policy, ADMISSION_MUTATE, copy, len - 2, &out), 0);
    assert_int_equal(out.http_status, 400);
    admission_outcome_free(&out);
    free(copy);
    free(text);
}

static cJSON *review_with_uid(cJSON *uid)
{
    cJSON *doc = fixture_json("review-django.json");
    cJSON *request = cJSON_GetObjectItemCaseSensitive(doc, "request");

    assert_true(cJSON_ReplaceItemInObjectCaseSensitive(request, "uid", uid));
    return doc;
}

static void test_huge_uid(void **state)
{
    size_t n = 1024 * 1024;
    char *uid = malloc(n + 1);
    cJSON *doc;
    char *text;
    struct admission_outcome out;

    (void)state;
    assert_non_null(uid);
    memset(uid, 'u', n);
    uid[n] = '\0';
    doc = review_with_uid(cJSON_CreateString(uid));
    text = cJSON_PrintUnformatted(doc);
    assert_non_null(text);
    assert_int_equal(admission_review(&policy, ADMISSION_MUTATE, text, strlen(text), &out), 0);
    assert_int_equal(out.http_status, 400);
    assert_string_equal(out.body, "{\"code\":400,\"error\":\"request.uid is too long (1048576 bytes, at most 255)\"}\n");
    admission_outcome_free(&out);
    cJSON_free(text);
    cJSON_Delete(doc);
    free(uid);
}

/* longest accepted uid, kept whole for the logs */
static void test_uid_limit(void **state)
{
    char uid[UID_MAX + 1];
    cJSON *doc, *root;
    const cJSON *resp;
    struct admission_outcome out;

    (void)state;
    memset(uid, 'x', UID_MAX);
    uid[UID_MAX] = '\0';
    doc = review_with_uid(cJSON_CreateString(uid));
    run_json(ADMISSION_MUTATE, doc, &out);
    resp = response_of(&out, &root);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(resp, "uid")->valuestring, uid);
    assert_string_equal(out.uid, uid);
    cJSON_Delete(root);
    admission_outcome_free(&out);
    cJSON_Delete(doc);
}

static void test_uid_over_limit(void **state)
{
    char uid[UID_MAX + 2];
    cJSON *doc;
    char *text;
    struct admission_outcome out;

    (void)state;
    memset(uid, 'x', UID_MAX + 1);
    uid[UID_MAX + 1] = '\0';
    doc = review_with_uid(cJSON_CreateString(uid));
    text = cJSON_PrintUnformatted(doc);
    assert_non_null(text);
    assert_int_equal(admission_review(&policy, ADMISSION_MUTATE, text, strlen(text), &out), 0);
    assert_string_equal(out.body, "{\"code\":400,\"error\":\"request.uid is too long (256 bytes, at most 255)\"}\n");
    admission_outcome_free(&out);
    cJSON_free(text);
    cJSON_Delete(doc);
}

static void test_non_ascii_uid(void **state)
{
    /* ü, CJK, an emoji (4 bytes), a quote and a backslash */
    static const char uid[] = "\xc3\xbc-\xe4\xb8\xad-\xf0\x9f\x98\x80-\"q\"-\\";
    cJSON *doc, *root;
    const cJSON *resp;
    struct admission_outcome out;

    (void)state;
    doc = review_with_uid(cJSON_CreateString(uid));
    run_json(ADMISSION_MUTATE, doc, &out);
    resp = response_of(&out, &root);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(resp, "uid")->valuestring, uid);
    /* raw UTF-8 on the wire, not mangled */
    assert_non_null(strstr(out.body, "\"uid\":\"\xc3\xbc-\xe4\xb8\xad-\xf0\x9f\x98\x80-\\\"q\\\"-\\\\\""));
    assert_string_equal(out.uid, uid);
    cJSON_Delete(root);
    admission_outcome_free(&out);
    cJSON_Delete(doc);
}

/* ---- echo and patch ---- */

static void check_echo(const char *fixture, const char *api_version, const char *uid)
{
    size_t len;
    char *text = read_fixture(fixture, &len);
    struct admission_outcome out;
    cJSON *root;
    const cJSON *resp;

    for (int mode = ADMISSION_MUTATE; mode <= ADMISSION_VALIDATE; mode++) {
        run((enum admission_mode)mode, text, len, &out);
        resp = response_of(&out, &root);
        assert_members(root, "apiVersion,kind,response");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "apiVersion")->valuestring, api_version);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "kind")->valuestring, "AdmissionReview");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(resp, "uid")->valuestring, uid);
        assert_string_equal(out.uid, uid);
        assert_string_equal(out.kind, "Deployment");
        assert_string_equal(out.namespace_, "shop");
        assert_string_equal(out.name, "django-web");
        assert_string_equal(out.operation, "CREATE");
        assert_false(out.dry_run);
        cJSON_Delete(root);
        admission_outcome_free(&out);
    }
    free(text);
}

static void test_echo_v1(void **state)
{
    (void)state;
    check_echo("review-django.json", "admission.k8s.io/v1", "705ab4f5-6393-11e8-b7cc-42010a800002");
}

static void test_echo_v1beta1(void **state)
{
    (void)state;
    check_echo("review-django-v1beta1.json", "admission.k8s.io/v1beta1", "b7f1c2e0-1111-4a2b-9c3d-000000000001");
}

/* base64 text -> the JSON it encodes, which must be the text cJSON prints
 * for `ops` */
static cJSON *decode_patch(const char *b64, const cJSON *ops)
{
    char *printed = cJSON_PrintUnformatted(ops);

    size_t n = strlen(b64), pad = 0;
    unsigned char *raw;
    int got;
    cJSON *doc;

    assert_int_equal(n % 4, 0);
    assert_null(strchr(b64, '\n'));
    raw = malloc(n / 4 * 3 + 1);
    assert_non_null(raw);
    got = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    assert_true(got >= 0);
    if (n && b64[n - 1] == '=')
        pad++;
    if (n > 1 && b64[n - 2] == '=')
        pad++;
    assert_non_null(printed);
    assert_int_equal((size_t)got - pad, strlen(printed));
    assert_memory_equal(raw, printed, strlen(printed));
    cJSON_free(printed);
    doc = cJSON_ParseWithLength((const char *)raw, (size_t)got - pad);
    assert_non_null(doc);
    free(raw);
    return doc;
}

static void test_patch_is_engine_ops(void **state)
{
    cJSON *review = fixture_json("review-django.json"), *root, *patch;
    const cJSON *object = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(review, "request"), "object");
    const cJSON *resp, *warnings;
    struct mutation m = {0};
    struct admission_outcome out;
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(engine_mutate(&policy, object, &m, &d), 0);
    assert_true(cJSON_GetArraySize(m.ops) > 0);

    run_json(ADMISSION_MUTATE, review, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_ALLOWED);
    assert_members(resp, "uid,allowed,patchType,patch,warnings");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "allowed")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(resp, "patchType")->valuestring, "JSONPatch");
    patch = decode_patch(cJSON_GetObjectItemCaseSensitive(resp, "patch")->valuestring, m.ops);
    assert_true(cJSON_IsArray(patch));
    assert_true(cJSON_Compare(patch, m.ops, true));
    assert_int_equal(out.patch_ops, (size_t)cJSON_GetArraySize(m.ops));

    /* one warning per op, each the op's summary */
    warnings = cJSON_GetObjectItemCaseSensitive(resp, "warnings");
    assert_int_equal(cJSON_GetArraySize(warnings), (int)m.count);
    for (size_t i = 0; i < m.count; i++) {
        char expected[ADMISSION_WARNING_MAX + 1];
        char full[2048];
        snprintf(full, sizeof(full), "django-admission: %s", m.summaries[i]);
        warning_clean(expected, full);
        assert_string_equal(cJSON_GetArrayItem(warnings, (int)i)->valuestring, expected);
        assert_true(strncmp(expected, "django-admission: added ", 24) == 0);
    }
    cJSON_Delete(patch);
    cJSON_Delete(root);
    admission_outcome_free(&out);
    mutation_free(&m);
    cJSON_Delete(review);
}

/* the review of the mutated Deployment: nothing to add, so no patch keys */
static cJSON *compliant_review(void)
{
    cJSON *review = fixture_json("review-django.json");
    cJSON *request = cJSON_GetObjectItemCaseSensitive(review, "request");
    struct mutation m = {0};
    struct diag d;

    diag_clear(&d);
    assert_int_equal(engine_mutate(&policy, cJSON_GetObjectItemCaseSensitive(request, "object"), &m, &d), 0);
    assert_true(cJSON_ReplaceItemInObjectCaseSensitive(request, "object", m.result));
    m.result = NULL;
    mutation_free(&m);
    return review;
}

static void test_no_patch_when_compliant(void **state)
{
    cJSON *review = compliant_review(), *root;
    const cJSON *resp;
    struct admission_outcome out;

    (void)state;
    run_json(ADMISSION_MUTATE, review, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_ALLOWED);
    assert_members(resp, "uid,allowed");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "allowed")));
    assert_int_equal(out.patch_ops, 0);
    cJSON_Delete(root);
    admission_outcome_free(&out);

    /* and the validating endpoint lets it through without a word */
    run_json(ADMISSION_VALIDATE, review, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_ALLOWED);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "allowed")));
    assert_null(cJSON_GetObjectItemCaseSensitive(resp, "status"));
    assert_int_equal(findings_count_action(&out.findings, RULE_ENFORCE), 0);
    cJSON_Delete(root);
    admission_outcome_free(&out);
    cJSON_Delete(review);
}

/* dryRun is reported, and changes nothing in the answer */
static void test_dry_run(void **state)
{
    cJSON *review = fixture_json("review-django.json");
    cJSON *request = cJSON_GetObjectItemCaseSensitive(review, "request");
    struct admission_outcome wet, dry;

    (void)state;
    run_json(ADMISSION_MUTATE, review, &wet);
    assert_false(wet.dry_run);
    assert_true(cJSON_ReplaceItemInObjectCaseSensitive(request, "dryRun", cJSON_CreateTrue()));
    run_json(ADMISSION_MUTATE, review, &dry);
    assert_true(dry.dry_run);
    assert_string_equal(wet.body, dry.body);
    admission_outcome_free(&wet);
    admission_outcome_free(&dry);
    cJSON_Delete(review);
}

/* UPDATE (with an oldObject, which is ignored) is judged like CREATE */
static void test_update(void **state)
{
    size_t len;
    char *text = read_fixture("review-django-update.json", &len);
    struct admission_outcome out;
    cJSON *root;
    const cJSON *resp, *status;

    (void)state;
    run(ADMISSION_VALIDATE, text, len, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_DENIED);
    assert_string_equal(out.operation, "UPDATE");
    assert_true(out.dry_run);
    status = cJSON_GetObjectItemCaseSensitive(resp, "status");
    assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(status, "message")->valuestring, "[replicas-minimum]"));
    cJSON_Delete(root);
    admission_outcome_free(&out);

    run(ADMISSION_MUTATE, text, len, &out);
    assert_int_equal(out.decision, DECISION_ALLOWED);
    assert_true(out.patch_ops > 0);
    admission_outcome_free(&out);
    free(text);
}

/* ---- skipped: allowed, nothing else ---- */

static void test_skip_fixtures(void **state)
{
    static const char *const fixtures[] = {"review-django-delete.json", "review-redis.json"};

    (void)state;
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        size_t len;
        char *text = read_fixture(fixtures[i], &len);
        assert_skipped(ADMISSION_MUTATE, text, len);
        assert_skipped(ADMISSION_VALIDATE, text, len);
        free(text);
    }
}

/* request edits that make the same Deployment review a skip */
static void test_skip_cases(void **state)
{
    static const struct {
        const char *key;
        const char *json;
    } edits[] = {
        {"operation", "\"DELETE\""},
        {"operation", "\"CONNECT\""},
        {"operation", "\"create\""},
        {"kind", "{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}"},
        {"kind", "{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"StatefulSet\"}"},
        {"kind", "{\"group\":\"extensions\",\"version\":\"v1beta1\",\"kind\":\"Deployment\"}"},
        {"kind", "{\"version\":\"v1\",\"kind\":\"Deployment\"}"},
        {"subResource", "\"status\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        cJSON *review = fixture_json("review-django.json");
        cJSON *request = cJSON_GetObjectItemCaseSensitive(review, "request");
        cJSON *value = cJSON_Parse(edits[i].json);
        char *text;

        print_message("edit %s=%s\n", edits[i].key, edits[i].json);
        assert_non_null(value);
        cJSON_DeleteItemFromObjectCaseSensitive(request, edits[i].key);
        assert_true(cJSON_AddItemToObject(request, edits[i].key, value));
        text = cJSON_PrintUnformatted(review);
        assert_non_null(text);
        assert_skipped(ADMISSION_MUTATE, text, strlen(text));
        assert_skipped(ADMISSION_VALIDATE, text, strlen(text));
        cJSON_free(text);
        cJSON_Delete(review);
    }
}

/* DELETE carries no object; it is not looked at */
static void test_skip_delete_without_object(void **state)
{
    static const char body[] = REVIEW("{\"uid\":\"u\"," DEPLOY_KIND ",\"operation\":\"DELETE\",\"object\":null}");

    (void)state;
    assert_skipped(ADMISSION_MUTATE, body, strlen(body));
    assert_skipped(ADMISSION_VALIDATE, body, strlen(body));
}

/* an object that is not apps/v1 Deployment is not selected */
static void test_skip_not_selected(void **state)
{
    cJSON *review = fixture_json("review-django.json");
    cJSON *object = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(review, "request"), "object");
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(object, "metadata"), "labels");
    cJSON *tlabels = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(object, "spec"), "template"), "metadata"),
        "labels");
    char *text;

    (void)state;
    cJSON_DeleteItemFromObjectCaseSensitive(labels, "component");
    cJSON_DeleteItemFromObjectCaseSensitive(tlabels, "component");
    text = cJSON_PrintUnformatted(review);
    assert_non_null(text);
    assert_skipped(ADMISSION_MUTATE, text, strlen(text));
    assert_skipped(ADMISSION_VALIDATE, text, strlen(text));
    cJSON_free(text);
    cJSON_Delete(review);
}

/* ---- deployments/scale ---- */

static void test_scale(void **state)
{
    size_t len;
    char *text = read_fixture("review-scale-django.json", &len);
    struct admission_outcome out;
    cJSON *root;
    const cJSON *resp, *status;
    const char *message;

    (void)state;
    run(ADMISSION_VALIDATE, text, len, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_DENIED);
    assert_string_equal(out.kind, "Scale");
    assert_string_equal(out.name, "django-web");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "allowed")));
    status = cJSON_GetObjectItemCaseSensitive(resp, "status");
    assert_members(status, "status,code,reason,message");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(status, "code")->valueint, 403);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(status, "reason")->valuestring, "Forbidden");
    message = cJSON_GetObjectItemCaseSensitive(status, "message")->valuestring;
    assert_true(strncmp(message, "django-admission denied scaling of Deployment shop/django-web: 1 violation: [replicas-minimum] ", 94) == 0);
    assert_non_null(strstr(message, "(/spec/replicas)"));
    cJSON_Delete(root);
    admission_outcome_free(&out);

    /* mutating endpoint: a Scale has nothing to add */
    assert_skipped(ADMISSION_MUTATE, text, len);
    free(text);

    /* a Scale of a Deployment the policy does not select */
    text = read_fixture("review-scale-other.json", &len);
    assert_skipped(ADMISSION_VALIDATE, text, len);
    assert_skipped(ADMISSION_MUTATE, text, len);
    free(text);
}

static void test_scale_up_allowed(void **state)
{
    cJSON *review = fixture_json("review-scale-django.json"), *root;
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(review, "request"), "object"), "spec");
    const cJSON *resp;
    struct admission_outcome out;

    (void)state;
    assert_true(cJSON_ReplaceItemInObjectCaseSensitive(spec, "replicas", cJSON_CreateNumber(5)));
    run_json(ADMISSION_VALIDATE, review, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_ALLOWED);
    assert_members(resp, "uid,allowed");
    cJSON_Delete(root);
    admission_outcome_free(&out);
    cJSON_Delete(review);
}

/* ---- validate: deny lists every violation ---- */

static void test_deny_lists_all(void **state)
{
    size_t len;
    char *text = read_fixture("review-django.json", &len);
    struct admission_outcome out;
    cJSON *root;
    const cJSON *resp, *status, *warnings;
    const char *message;
    char head[256];
    size_t warn = 0;

    (void)state;
    run(ADMISSION_VALIDATE, text, len, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_DENIED);
    assert_true(out.findings.count >= 2);
    assert_true(findings_count_action(&out.findings, RULE_ENFORCE) >= 1);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "allowed")));
    assert_null(cJSON_GetObjectItemCaseSensitive(resp, "patch"));
    status = cJSON_GetObjectItemCaseSensitive(resp, "status");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(status, "status")->valuestring, "Failure");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(status, "code")->valueint, 403);
    message = cJSON_GetObjectItemCaseSensitive(status, "message")->valuestring;
    snprintf(head, sizeof(head), "django-admission denied Deployment shop/django-web: %zu violations: [",
             out.findings.count);
    assert_true(strncmp(message, head, strlen(head)) == 0);
    for (size_t i = 0; i < out.findings.count; i++) {
        const struct violation *v = &out.findings.items[i];
        char entry[2048];
        snprintf(entry, sizeof(entry), "[%s%s] %s%s%s%s (%s)", rules_get(v->rule)->name,
                 v->action == RULE_WARN ? " (warn)" : "", v->container[0] ? "container " : "", v->container,
                 v->container[0] ? ": " : "", v->message, v->pointer);
        assert_non_null(strstr(message, entry));
        if (v->action == RULE_WARN)
            warn++;
    }
    /* warn-level violations also come as warnings, "[rule] container:
     * message", in order */
    warnings = cJSON_GetObjectItemCaseSensitive(resp, "warnings");
    assert_true(warn > 0);
    assert_int_equal(cJSON_GetArraySize(warnings), (int)warn);
    warn = 0;
    for (size_t i = 0; i < out.findings.count; i++) {
        const struct violation *v = &out.findings.items[i];
        char full[2048], expected[ADMISSION_WARNING_MAX + 1];
        if (v->action != RULE_WARN)
            continue;
        snprintf(full, sizeof(full), "[%s] %s%s%s", rules_get(v->rule)->name, v->container,
                 v->container[0] ? ": " : "", v->message);
        warning_clean(expected, full);
        assert_string_equal(cJSON_GetArrayItem(warnings, (int)warn)->valuestring, expected);
        warn++;
    }
    cJSON_Delete(root);
    admission_outcome_free(&out);
    free(text);
}

/* a Deployment the engine cannot read: denied with 400 in both modes */
static void test_malformed_deployment(void **state)
{
    cJSON *review = fixture_json("review-django.json"), *root;
    cJSON *pod = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(review, "request"), "object"), "spec"),
        "template"), "spec");
    const cJSON *resp, *status;
    struct admission_outcome out;

    (void)state;
    assert_true(cJSON_ReplaceItemInObjectCaseSensitive(pod, "containers", cJSON_CreateArray()));
    for (int mode = ADMISSION_MUTATE; mode <= ADMISSION_VALIDATE; mode++) {
        run_json((enum admission_mode)mode, review, &out);
        resp = response_of(&out, &root);
        assert_int_equal(out.decision, DECISION_DENIED);
        assert_members(resp, "uid,allowed,status");
        assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "allowed")));
        status = cJSON_GetObjectItemCaseSensitive(resp, "status");
        assert_members(status, "status,code,reason,message");
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(status, "code")->valueint, 400);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(status, "reason")->valuestring, "BadRequest");
        const char *message = cJSON_GetObjectItemCaseSensitive(status, "message")->valuestring;
        assert_true(strncmp(message, "django-admission: ", 18) == 0);
        assert_non_null(strstr(message, " at /spec/template/spec/containers"));
        cJSON_Delete(root);
        admission_outcome_free(&out);
    }
    cJSON_Delete(review);
}

/* ---- warnings ---- */

struct clean_case {
    const char *in;
    const char *out;
};

static char *repeat(char *buf, const char *unit, size_t times, const char *tail)
{
    buf[0] = '\0';
    for (size_t i = 0; i < times; i++)
        strcat(buf, unit);
    strcat(buf, tail);
    return buf;
}

static void test_warning_clean(void **state)
{
    static const struct clean_case cases[] = {
        {"", ""},
        {"plain", "plain"},
        {"tab\there\nnl\rcr", "tab here nl cr"},
        {"del\x7f", "del "},
        {"c1\xc2\x85.", "c1 ."},
        {"nbsp\xc2\xa0.", "nbsp\xc2\xa0."},
        {"bad\xff", "bad?"},
        {"cut\xc3", "cut?"},
        {"surrogate\xed\xa0\x80", "surrogate???"},
        {"overlong\xc0\xaf", "overlong??"},
        {"toobig\xf4\x90\x80\x80", "toobig????"},
        {"emoji\xf0\x9f\x98\x80", "emoji\xf0\x9f\x98\x80"},
    };
    char out[ADMISSION_WARNING_MAX + 1];
    char in[1024], expected[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(warning_clean(out, cases[i].in), strlen(cases[i].out));
        assert_string_equal(out, cases[i].out);
    }

    /* exactly the limit stays; one more is cut to 117 + "..." */
    assert_int_equal(warning_clean(out, repeat(in, "a", 120, "")), 120);
    assert_string_equal(out, in);
    assert_int_equal(warning_clean(out, repeat(in, "a", 121, "")), 120);
    assert_string_equal(out, repeat(expected, "a", 117, "..."));

    /* a 2-byte character across byte 117 is left out whole */
    warning_clean(out, repeat(in, "a", 116, "\xc3\xa9xyz"));
    assert_string_equal(out, repeat(expected, "a", 116, "..."));
    /* a 3-byte character ending exactly at 117 is kept */
    warning_clean(out, repeat(in, "a", 114, "\xe2\x82\xac" "bcdefg"));
    assert_string_equal(out, repeat(expected, "a", 114, "\xe2\x82\xac..."));
    /* a 4-byte character across the cut */
    warning_clean(out, repeat(in, "a", 115, "\xf0\x9f\x98\x80zz"));
    assert_string_equal(out, repeat(expected, "a", 115, "..."));
    /* ASCII after multi-byte characters, around the cut */
    warning_clean(out, repeat(in, "\xc3\xa9", 58, "abcdef"));
    assert_string_equal(out, repeat(expected, "\xc3\xa9", 58, "a..."));
    warning_clean(out, repeat(in, "\xe2\x82\xac", 39, "\xc3\xa9" "abc"));
    assert_string_equal(out, repeat(expected, "\xe2\x82\xac", 39, "..."));
    assert_int_equal(warning_clean(out, repeat(in, "\xe2\x82\xac", 40, "")), 120);
    warning_clean(out, repeat(in, "\xe2\x82\xac", 40, "x"));
    assert_string_equal(out, repeat(expected, "\xe2\x82\xac", 39, "..."));
    warning_clean(out, repeat(in, "\xc3\xa9", 59, "abc"));
    assert_string_equal(out, repeat(expected, "\xc3\xa9", 58, "..."));
    /* a control character inside an ASCII run */
    warning_clean(out, repeat(in, "a", 118, "\x01" "b"));
    assert_string_equal(out, repeat(expected, "a", 118, " b"));
    /* all multi-byte: never a split character */
    for (size_t n = 30; n < 70; n++) {
        size_t len = warning_clean(out, repeat(in, "\xe4\xb8\xad", n, ""));
        assert_true(len <= ADMISSION_WARNING_MAX);
        assert_true(text_utf8_valid(out, len));
        if (n * 3 > ADMISSION_WARNING_MAX) {
            assert_int_equal(len, 39 * 3 + 3);
            assert_string_equal(out + len - 3, "...");
        }
    }
}

/* the string writer against cJSON's printer, growing the buffer from
 * nothing and from a little room (values are tested in test_jsonprint) */
static void test_json_writer(void **state)
{
    static const char *const docs[] = {
        "\"\"", "\"plain\"", "\"q\\\"b\\\\s/\"",
        "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"", "\"\xc3\xbc\xe4\xb8\xad\xf0\x9f\x98\x80\"",
        "\"\\u00e9\\ud83d\\ude00\"",
        "\"prometheus.io~1scrape/spec/template/metadata/annotations and more text past the room\"",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        cJSON *doc = cJSON_Parse(docs[i]);
        char *printed;

        print_message("doc %s\n", docs[i]);
        assert_non_null(doc);
        printed = cJSON_PrintUnformatted(doc);
        assert_non_null(printed);
        for (size_t room = 0; room < 40; room += 13) {
            struct jbuf b = {0};
            if (room) {
                assert_true(jb_reserve(&b, room));
                JB_LIT(&b, "x");
            }
            jb_json_string(&b, doc->valuestring);
            assert_false(b.oom);
            assert_string_equal(b.data + (room ? 1 : 0), printed);
            assert_int_equal(b.len, strlen(printed) + (room ? 1 : 0));
            free(b.data);
        }
        cJSON_free(printed);
        cJSON_Delete(doc);
    }
    /* a buffer at its maximum refuses the whole string */
    {
        struct jbuf b = {0};
        b.max = 8;
        jb_json_string(&b, "0123456789");
        assert_true(b.full);
        assert_int_equal(b.len, 0);
        free(b.data);
    }
}

/* a warning given in pieces is cut where the whole would be */
static void test_warning_parts(void **state)
{
    struct warnings *w = calloc(1, sizeof(*w));
    char long_part[200], whole[400], expected[ADMISSION_WARNING_MAX + 1];

    (void)state;
    assert_non_null(w);
    repeat(long_part, "\xc3\xa9", 70, "");
    warnings_add(w, "[rule] ", "container\t", long_part, ": tail", (char *)NULL);
    snprintf(whole, sizeof(whole), "[rule] container\t%s: tail", long_part);
    warning_clean(expected, whole);
    assert_int_equal(w->total, 1);
    assert_string_equal(w->arena + w->off[0], expected);
    assert_int_equal(w->len[0], strlen(expected));
    assert_true(w->len[0] <= ADMISSION_WARNING_MAX);
    assert_string_equal(expected + strlen(expected) - 3, "...");
    /* empty pieces only: no warning */
    warnings_add(w, "", "", (char *)NULL);
    assert_int_equal(w->total, 1);
    free(w);
}

static void test_warnings_fit(void **state)
{
    struct warnings *w = calloc(1, sizeof(*w));
    char summary[160], text[200];
    size_t shown, sum;

    (void)state;
    assert_non_null(w);
    /* few: all of them, no summary */
    for (int i = 0; i < 5; i++)
        add_warning(w, "warning %d", i);
    add_warning(w, "%s", "");
    assert_int_equal(w->total, 5);
    warnings_fit(w, &shown, summary, sizeof(summary));
    assert_int_equal(shown, 5);
    assert_string_equal(summary, "");

    /* 100 of 100 bytes: 39 fit with the summary (39 * 100 + 75 <= 4096) */
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < 100; i++)
        add_warning(w, "%03d%s", i, repeat(text, "w", 97, ""));
    assert_int_equal(w->total, 100);
    warnings_fit(w, &shown, summary, sizeof(summary));
    sum = 0;
    for (size_t i = 0; i < shown; i++)
        sum += w->len[i];
    assert_true(sum + strlen(summary) <= ADMISSION_WARNINGS_TOTAL_MAX);
    assert_true(sum + 100 + strlen(summary) > ADMISSION_WARNINGS_TOTAL_MAX);
    snprintf(text, sizeof(text), "%zu more warnings not shown; run django-admission check for the full list",
             100 - shown);
    assert_string_equal(summary, text);

    /* exactly 4096 in all: no summary */
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < 32; i++)
        add_warning(w, "%s", repeat(text, "x", 128, ""));
    assert_int_equal(w->len[0], ADMISSION_WARNING_MAX);
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < 64; i++)
        add_warning(w, "%s", repeat(text, "y", 64, ""));
    warnings_fit(w, &shown, summary, sizeof(summary));
    assert_int_equal(shown, 64);
    assert_string_equal(summary, "");
    add_warning(w, "z");
    warnings_fit(w, &shown, summary, sizeof(summary));
    assert_true(shown < 64);
    assert_string_equal(summary + strlen(summary) - 8, "ull list");

    /* one left out: singular (62 * 64 + 58 + 70 = 4096) */
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < 62; i++)
        add_warning(w, "%s", repeat(text, "y", 64, ""));
    add_warning(w, "%s", repeat(text, "y", 58, ""));
    add_warning(w, "%s", repeat(text, "y", 100, ""));
    warnings_fit(w, &shown, summary, sizeof(summary));
    assert_int_equal(shown, 63);
    assert_string_equal(summary, "1 more warning not shown; run django-admission check for the full list");
    /* 64 * 63 + 70 > 4096: the 64th gives way too, and the summary counts 2 */
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < 64; i++)
        add_warning(w, "%s", repeat(text, "y", 63, ""));
    add_warning(w, "%s", repeat(text, "y", 100, ""));
    warnings_fit(w, &shown, summary, sizeof(summary));
    assert_int_equal(shown, 63);
    assert_string_equal(summary, "2 more warnings not shown; run django-admission check for the full list");

    /* the summary's length grows with its count: 9 left out fits exactly
     * where 10 would not */
    {
        size_t l9 = (size_t)summary_format(NULL, 0, 9), target = ADMISSION_WARNINGS_TOTAL_MAX - l9;
        memset(w, 0, sizeof(*w));
        for (size_t i = 0; i < 41; i++)
            add_warning(w, "%s", repeat(text, "v", target / 41 + (i < target % 41), ""));
        for (size_t i = 0; i < 9; i++)
            add_warning(w, "more %zu %s", i, repeat(text, "m", 60, ""));
        warnings_fit(w, &shown, summary, sizeof(summary));
        assert_int_equal(shown, 41);
        assert_string_equal(summary, "9 more warnings not shown; run django-admission check for the full list");
    }

    /* thousands of warnings: slots run out, all are still counted */
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < 5000; i++)
        add_warning(w, "w%d", i);
    assert_int_equal(w->total, 5000);
    warnings_fit(w, &shown, summary, sizeof(summary));
    snprintf(text, sizeof(text), "%zu more warnings not shown; run django-admission check for the full list",
             5000 - shown);
    assert_string_equal(summary, text);
    free(w);
}

/* every warning within the API server's limits; returns their number */
static size_t check_warning_limits(const cJSON *resp, bool *summarised)
{
    const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(resp, "warnings");
    const cJSON *item;
    size_t total = 0, n = 0;
    const char *last = NULL;

    assert_true(cJSON_IsArray(warnings));
    cJSON_ArrayForEach(item, warnings) {
        size_t len;
        assert_true(cJSON_IsString(item));
        len = strlen(item->valuestring);
        assert_true(len > 0);
        assert_true(len <= ADMISSION_WARNING_MAX);
        assert_true(text_utf8_valid(item->valuestring, len));
        for (size_t i = 0; i < len; i++)
            assert_true((unsigned char)item->valuestring[i] >= 0x20 && item->valuestring[i] != 0x7f);
        total += len;
        last = item->valuestring;
        n++;
    }
    assert_true(total <= ADMISSION_WARNINGS_TOTAL_MAX);
    *summarised = last && strstr(last, " more warnings not shown; run django-admission check for the full list");
    return n;
}

/* A Deployment with 80 containers with long non-ASCII names: far more
 * warnings than the API server takes. */
static cJSON *crowded_review(void)
{
    cJSON *review = fixture_json("review-django.json");
    cJSON *pod = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(review, "request"), "object"), "spec"),
        "template"), "spec");
    cJSON *containers = cJSON_GetObjectItemCaseSensitive(pod, "containers");

    for (int i = 1; i < 80; i++) {
        cJSON *c = cJSON_CreateObject();
        char name[128];
        /* "sidecar-NN-" and 30 two-byte characters: cuts land inside them */
        snprintf(name, sizeof(name), "sidecar-%02d-", i);
        for (int k = 0; k < 30; k++)
            strcat(name, "\xc3\xa9");
        assert_non_null(c);
        assert_non_null(cJSON_AddStringToObject(c, "name", name));
        assert_non_null(cJSON_AddStringToObject(c, "image", "registry.example.com/shop/sidecar:1.0"));
        assert_true(cJSON_AddItemToArray(containers, c));
    }
    return review;
}

static void test_warning_limits(void **state)
{
    cJSON *review = crowded_review(), *root;
    const cJSON *resp;
    struct admission_outcome out;
    bool summarised;
    size_t n, warn;

    (void)state;
    /* mutate: one warning per op, hundreds of ops */
    run_json(ADMISSION_MUTATE, review, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_ALLOWED);
    assert_true(out.patch_ops > 80);
    n = check_warning_limits(resp, &summarised);
    assert_true(summarised);
    assert_true(n < out.patch_ops);
    {
        /* the summary counts exactly the ops not shown */
        const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(resp, "warnings");
        char expected[160];
        snprintf(expected, sizeof(expected), "%zu more warnings not shown; run django-admission check for the full list",
                 out.patch_ops - (n - 1));
        assert_string_equal(cJSON_GetArrayItem(warnings, (int)n - 1)->valuestring, expected);
    }
    cJSON_Delete(root);
    admission_outcome_free(&out);

    /* validate: a warn-level violation per container, and a denial */
    run_json(ADMISSION_VALIDATE, review, &out);
    resp = response_of(&out, &root);
    assert_int_equal(out.decision, DECISION_DENIED);
    warn = findings_count_action(&out.findings, RULE_WARN);
    assert_true(warn >= 80);
    n = check_warning_limits(resp, &summarised);
    assert_true(summarised);
    assert_true(n < warn);
    {
        /* hundreds of violations: the denial stops at DENY_MESSAGE_MAX and
         * counts the rest */
        const char *message = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "status"),
                                                               "message")->valuestring;
        const char *tail = " more not shown; run django-admission check for the full list";
        size_t len = strlen(message), listed = 0, hidden;
        char head[128];
        assert_true(len <= DENY_MESSAGE_MAX);
        assert_true(len > DENY_MESSAGE_MAX / 2);
        assert_string_equal(message + len - strlen(tail), tail);
        snprintf(head, sizeof(head), "django-admission denied Deployment shop/django-web: %zu violations: [",
                 out.findings.count);
        assert_true(strncmp(message, head, strlen(head)) == 0);
        for (const char *s = message; (s = strstr(s, "; [")); s++)
            listed++;
        listed++;
        assert_non_null(strstr(message, "; and "));
        assert_int_equal(sscanf(strstr(message, "; and ") + 6, "%zu", &hidden), 1);
        assert_int_equal(listed + hidden, out.findings.count);
    }
    cJSON_Delete(root);
    admission_outcome_free(&out);
    cJSON_Delete(review);
}

/* the exemption annotation shows in the warnings: used, refused, unknown */
static void test_exemption_warnings(void **state)
{
    cJSON *review = fixture_json("review-django.json"), *root;
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(review, "request"), "object"), "metadata");
    cJSON *annotations = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    const cJSON *resp, *warnings, *item;
    struct admission_outcome out;
    bool used = false, refused = false, unknown = false;

    (void)state;
    assert_non_null(cJSON_AddStringToObject(annotations, ENGINE_EXEMPT_ANNOTATION,
                                            "probe-liveness-missing,pss-privilege-escalation,no-such-rule"));
    run_json(ADMISSION_VALIDATE, review, &out);
    resp = response_of(&out, &root);
    warnings = cJSON_GetObjectItemCaseSensitive(resp, "warnings");
    cJSON_ArrayForEach(item, warnings) {
        if (strcmp(item->valuestring, "exempted by django-admission.io/exempt-rules: probe-liveness-missing") == 0)
            used = true;
        if (strcmp(item->valuestring,
                   "exemption of pss-privilege-escalation refused: the policy does not allow exempting it") == 0)
            refused = true;
        if (strcmp(item->valuestring, "django-admission.io/exempt-rules names 1 unknown rule, ignored") == 0)
            unknown = true;
    }
    assert_true(used);
    assert_true(refused);
    assert_true(unknown);
    /* an exempted rule is not in the denial */
    assert_null(strstr(out.body, "[probe-liveness-missing]"));
    cJSON_Delete(root);
    admission_outcome_free(&out);
    cJSON_Delete(review);
}

static void test_error_shape(void **state)
{
    struct admission_outcome out;

    (void)state;
    memset(&out, 0, sizeof(out));
    assert_int_equal(admission_error(415, "content type must be application/json", &out), 0);
    assert_int_equal(out.http_status, 415);
    assert_int_equal(out.decision, DECISION_ERROR);
    assert_string_equal(out.body, "{\"code\":415,\"error\":\"content type must be application/json\"}\n");
    /* a second call replaces the body */
    assert_int_equal(admission_error(413, "body \"too\" large", &out), 0);
    assert_string_equal(out.body, "{\"code\":413,\"error\":\"body \\\"too\\\" large\"}\n");
    assert_int_equal(out.body_len, strlen(out.body));
    admission_outcome_free(&out);
}

static void test_decision_names(void **state)
{
    (void)state;
    assert_string_equal(admission_decision_name(DECISION_SKIPPED), "skipped");
    assert_string_equal(admission_decision_name(DECISION_ALLOWED), "allowed");
    assert_string_equal(admission_decision_name(DECISION_DENIED), "denied");
    assert_string_equal(admission_decision_name(DECISION_ERROR), "error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_null_body),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_huge_uid),
        cmocka_unit_test(test_uid_limit),
        cmocka_unit_test(test_uid_over_limit),
        cmocka_unit_test(test_non_ascii_uid),
        cmocka_unit_test(test_echo_v1),
        cmocka_unit_test(test_echo_v1beta1),
        cmocka_unit_test(test_patch_is_engine_ops),
        cmocka_unit_test(test_no_patch_when_compliant),
        cmocka_unit_test(test_dry_run),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_skip_fixtures),
        cmocka_unit_test(test_skip_cases),
        cmocka_unit_test(test_skip_delete_without_object),
        cmocka_unit_test(test_skip_not_selected),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_scale_up_allowed),
        cmocka_unit_test(test_deny_lists_all),
        cmocka_unit_test(test_malformed_deployment),
        cmocka_unit_test(test_warning_clean),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_warning_parts),
        cmocka_unit_test(test_warnings_fit),
        cmocka_unit_test(test_warning_limits),
        cmocka_unit_test(test_exemption_warnings),
        cmocka_unit_test(test_error_shape),
        cmocka_unit_test(test_decision_names),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
