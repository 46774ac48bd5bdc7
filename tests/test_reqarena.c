/* Tests for reqarena: cJSON inside and outside an arena, memory from
 * malloc freed inside one, arenas entered twice or left by the wrong
 * caller, large and huge requests (what is kept between requests), every
 * allocation aligned, admission_review byte for byte the same inside an
 * arena as outside (the outcome outliving the arena), a steady state that
 * allocates no new blocks, threads with arenas of their own, and — under
 * AddressSanitizer — a use after leaving reported, in a child process.
 *
 * Leaks: LSan (the sanitizer build) reports any malloc'ed pointer the free
 * hook wrongly kept, and any block not freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "admission.h"
#include "policy.h"
#include "reqarena.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A JSON array of n objects, each with a few members: about 60 bytes an
 * element. Caller frees. */
static char *big_document(size_t n)
{
    size_t cap = n * 64 + 16, len = 0;
    char *s = malloc(cap);

    assert_non_null(s);
    s[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(s + len, cap - len, "%s{\"name\":\"c%zu\",\"port\":%zu,\"on\":true}",
                         i ? "," : "", i, i);
        assert_true(k > 0 && (size_t)k < cap - len);
        len += (size_t)k;
    }
    s[len++] = ']';
    s[len] = '\0';
    return s;
}

static void test_enter_leave_rules(void **state)
{
    struct reqarena *a = reqarena_new(), *b = reqarena_new();

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(reqarena_enter(NULL), -1);
    assert_int_equal(reqarena_enter(a), 0);
    /* one arena at a time per thread */
    assert_int_equal(reqarena_enter(a), -1);
    assert_int_equal(reqarena_enter(b), -1);
    /* leaving an arena that is not the current one does nothing */
    reqarena_leave(b);
    {
        cJSON *s = cJSON_CreateString("in a");
        assert_non_null(s);
        assert_true(reqarena_used(a) > 0);
        assert_int_equal(reqarena_used(b), 0);
        cJSON_Delete(s);
    }
    reqarena_leave(a);
    assert_int_equal(reqarena_used(a), 0);
    reqarena_leave(a);
    reqarena_leave(NULL);
    /* an arena never entered holds no block */
    assert_int_equal(reqarena_capacity(b), 0);
    reqarena_free(a);
    reqarena_free(b);
    reqarena_free(NULL);
}

/* Outside an arena cJSON uses malloc; a tree from malloc deleted inside an
 * arena is given back to free (LSan reports it otherwise), and text
 * printed inside is arena memory freed by cJSON_free as a no-op. */
static void test_malloc_and_arena_mix(void **state)
{
    struct reqarena *a = reqarena_new();
    cJSON *outside, *inside;
    char *text;

    (void)state;
    assert_non_null(a);
    reqarena_install();
    outside = cJSON_Parse("{\"made\":\"outside\",\"list\":[1,2,3]}");
    assert_non_null(outside);
    assert_int_equal(reqarena_enter(a), 0);
    inside = cJSON_Parse("{\"made\":\"inside\"}");
    assert_non_null(inside);
    assert_true(reqarena_used(a) > 0);
    text = cJSON_PrintUnformatted(outside);
    assert_non_null(text);
    assert_string_equal(text, "{\"made\":\"outside\",\"list\":[1,2,3]}");
    cJSON_free(text);
    /* malloc'ed tree, freed inside the arena */
    cJSON_Delete(outside);
    cJSON_Delete(inside);
    reqarena_leave(a);
    /* and outside again: malloc and free */
    outside = cJSON_CreateObject();
    assert_non_null(outside);
    assert_int_equal(reqarena_used(a), 0);
    cJSON_Delete(outside);
    reqarena_free(a);
}

/* Every allocation is aligned as malloc's, for sizes 0 to 100. */
static void test_alignment(void **state)
{
    struct reqarena *a = reqarena_new();

    (void)state;
    assert_non_null(a);
    assert_int_equal(reqarena_enter(a), 0);
    for (size_t n = 0; n <= 100; n++) {
        unsigned char *p = cJSON_malloc(n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xAB, n);
        cJSON_free(p);
    }
    reqarena_leave(a);
    reqarena_free(a);
}

/* Sizes at the edges of the inline path: a whole block and one byte more
 * (each in a block of its own), and sizes no arena can give (NULL, as
 * malloc would say, never a wrapped-around small block). */
static void test_sizes_at_the_edges(void **state)
{
    const size_t sizes[] = {1, REQARENA_BLOCK - 1, REQARENA_BLOCK, REQARENA_BLOCK + 1, 3 * REQARENA_BLOCK};
    struct reqarena *a = reqarena_new();

    (void)state;
    assert_non_null(a);
    assert_int_equal(reqarena_enter(a), 0);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *p = cJSON_malloc(sizes[i]);

        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xCD, sizes[i]);
        cJSON_free(p);
    }
    assert_null(cJSON_malloc(SIZE_MAX));
    assert_null(cJSON_malloc(SIZE_MAX / 4 + 1));
    reqarena_leave(a);
    reqarena_free(a);
}

/* A request larger than a block takes several; after leaving, one block
 * that would have held them all is kept (up to REQARENA_KEEP_MAX), and the
 * same request again adds none. A huge one keeps only REQARENA_BLOCK. */
static void test_large_and_huge(void **state)
{
    struct reqarena *a = reqarena_new();
    char *large = big_document(4000);
    char *huge = big_document(200000);
    size_t kept;
    cJSON *j;

    (void)state;
    assert_non_null(a);
    assert_int_equal(reqarena_enter(a), 0);
    j = cJSON_Parse(large);
    assert_non_null(j);
    assert_int_equal(cJSON_GetArraySize(j), 4000);
    assert_true(reqarena_capacity(a) > REQARENA_BLOCK);
    cJSON_Delete(j);
    reqarena_leave(a);
    kept = reqarena_capacity(a);
    assert_true(kept > REQARENA_BLOCK && kept <= REQARENA_KEEP_MAX);

    for (int round = 0; round < 3; round++) {
        assert_int_equal(reqarena_enter(a), 0);
        j = cJSON_Parse(large);
        assert_non_null(j);
        cJSON_Delete(j);
        assert_int_equal(reqarena_capacity(a), kept);
        reqarena_leave(a);
    }

    assert_int_equal(reqarena_enter(a), 0);
    j = cJSON_Parse(huge);
    assert_non_null(j);
    assert_int_equal(cJSON_GetArraySize(j), 200000);
    assert_true(reqarena_capacity(a) > REQARENA_KEEP_MAX);
    cJSON_Delete(j);
    reqarena_leave(a);
    assert_int_equal(reqarena_capacity(a), REQARENA_BLOCK);
    free(large);
    free(huge);
    reqarena_free(a);
}

static const char *const reviews[] = {
    "bench/review-django.json",
    "tests/fixtures/reviews/review-django.json",
    "tests/fixtures/reviews/review-django-update.json",
    "tests/fixtures/reviews/review-django-v1beta1.json",
    "tests/fixtures/reviews/review-django-delete.json",
    "tests/fixtures/reviews/review-redis.json",
    "tests/fixtures/reviews/review-scale-django.json",
    "tests/fixtures/reviews/review-scale-other.json",
};

/* A Deployment the engine cannot read: denied in both modes. */
#define NO_TEMPLATE                                                                           \
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","  \
    "\"kind\":{\"group\":\"apps\",\"kind\":\"Deployment\"},\"operation\":\"CREATE\",\"object\":{}}}"

/* Bodies that are no usable AdmissionReview: the error paths too. */
static const char *const bad_bodies[] = {
    "", "{", "[]", "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
    NO_TEMPLATE, "{\"a\":1} trailing",
};

/* The outcome of one review, inside the arena or not; the body is copied
 * out after leaving (it must be plain malloc memory that outlives it). */
static void review_once(const struct policy *p, struct reqarena *a, enum admission_mode mode,
                        const char *body, size_t len, struct admission_outcome *out)
{
    if (a) {
        /* the tree left to the arena, as the shells do */
        assert_int_equal(reqarena_enter(a), 0);
        assert_int_equal(admission_review_flags(p, mode, body, len, ADMISSION_IN_ARENA, out), 0);
        reqarena_leave(a);
    } else {
        assert_int_equal(admission_review(p, mode, body, len, out), 0);
    }
    assert_non_null(out->body);
}

static void assert_same_outcome(const struct admission_outcome *x,
                                const struct admission_outcome *y, const char *what)
{
    if (x->body_len != y->body_len || memcmp(x->body, y->body, x->body_len) != 0)
        fail_msg("%s: bodies differ\n%s\n%s", what, x->body, y->body);
    assert_int_equal(x->http_status, y->http_status);
    assert_int_equal(x->decision, y->decision);
    assert_int_equal(x->patch_ops, y->patch_ops);
    assert_int_equal(x->findings.count, y->findings.count);
    assert_string_equal(x->uid, y->uid);
}

static void test_admission_same_bytes(void **state)
{
    struct policy *p = malloc(sizeof(*p));
    struct reqarena *a = reqarena_new();

    (void)state;
    assert_non_null(p);
    assert_non_null(a);
    policy_default(p);
    for (size_t i = 0; i < sizeof(reviews) / sizeof(reviews[0]); i++) {
        char path[512];
        size_t len;
        char *body;

        snprintf(path, sizeof(path), "%s/%s", SOURCE_ROOT, reviews[i]);
        body = read_file(path, &len);
        for (int m = 0; m < 2; m++) {
            enum admission_mode mode = m ? ADMISSION_VALIDATE : ADMISSION_MUTATE;
            struct admission_outcome plain, arena;
            size_t kept = 0;

            review_once(p, NULL, mode, body, len, &plain);
            /* the same request many times: the same bytes, and the arena
             * settles on one block size */
            for (int round = 0; round < 50; round++) {
                review_once(p, a, mode, body, len, &arena);
                assert_same_outcome(&plain, &arena, reviews[i]);
                admission_outcome_free(&arena);
                if (round == 1)
                    kept = reqarena_capacity(a);
                else if (round > 1)
                    assert_int_equal(reqarena_capacity(a), kept);
            }
            /* in the arena, the tree deleted node by node as without one */
            assert_int_equal(reqarena_enter(a), 0);
            assert_int_equal(admission_review(p, mode, body, len, &arena), 0);
            reqarena_leave(a);
            assert_same_outcome(&plain, &arena, reviews[i]);
            admission_outcome_free(&arena);
            admission_outcome_free(&plain);
        }
        free(body);
    }
    for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
        for (int m = 0; m < 2; m++) {
            enum admission_mode mode = m ? ADMISSION_VALIDATE : ADMISSION_MUTATE;
            struct admission_outcome plain, arena;
            size_t len = strlen(bad_bodies[i]);

            review_once(p, NULL, mode, bad_bodies[i], len, &plain);
            review_once(p, a, mode, bad_bodies[i], len, &arena);
            assert_same_outcome(&plain, &arena, bad_bodies[i]);
            admission_outcome_free(&plain);
            admission_outcome_free(&arena);
        }
    }
    reqarena_free(a);
    free(p);
}

struct worker {
    const struct policy *policy;
    const char *body;
    size_t len;
    const struct admission_outcome *want;
    int failures;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct reqarena *a = reqarena_thread();

    if (!a || reqarena_thread() != a) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < 200; i++) {
        struct admission_outcome out;

        if (reqarena_enter(a) != 0) {
            w->failures++;
            break;
        }
        if (admission_review_flags(w->policy, ADMISSION_MUTATE, w->body, w->len,
                                   ADMISSION_IN_ARENA, &out) != 0)
            w->failures++;
        reqarena_leave(a);
        if (!out.body || out.body_len != w->want->body_len ||
            memcmp(out.body, w->want->body, out.body_len) != 0)
            w->failures++;
        admission_outcome_free(&out);
    }
    return NULL;
}

/* Threads with arenas of their own (reqarena_thread, freed when each
 * exits), answering at once, and the main thread outside any arena. */
static void test_threads(void **state)
{
    struct policy *p = malloc(sizeof(*p));
    struct worker workers[4];
    pthread_t threads[4];
    struct admission_outcome want;
    char path[512];
    size_t len;
    char *body;

    (void)state;
    assert_non_null(p);
    policy_default(p);
    snprintf(path, sizeof(path), "%s/%s", SOURCE_ROOT, reviews[0]);
    body = read_file(path, &len);
    review_once(p, NULL, ADMISSION_MUTATE, body, len, &want);
    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){p, body, len, &want, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_run, &workers[i]), 0);
    }
    for (int i = 0; i < 50; i++) {
        struct admission_outcome out;
        review_once(p, NULL, ADMISSION_MUTATE, body, len, &out);
        assert_same_outcome(&want, &out, "main thread");
        admission_outcome_free(&out);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(workers[i].failures, 0);
    }
    admission_outcome_free(&want);
    free(body);
    free(p);
}

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

/* Under AddressSanitizer, memory used after the arena is left, or past
 * what was asked for, is reported: the child doing it must die. */
static void test_asan_catches_misuse(void **state)
{
#ifdef HAVE_ASAN
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
            struct reqarena *a = reqarena_new();
            volatile char *p;

            /* keep the report out of the test log */
            if (!freopen("/dev/null", "w", stderr) || !a || reqarena_enter(a) != 0)
                _exit(3);
            p = cJSON_malloc(10);
            if (!p)
                _exit(3);
            p[0] = 'x';
            if (kind == 0) {
                reqarena_leave(a);
                p[0] = 'y';
            } else {
                p[10] = 'z';
            }
            _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3))
            fail_msg("misuse %d was not reported (exit %d)", kind, WEXITSTATUS(status));
    }
#else
    (void)state;
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enter_leave_rules),
        cmocka_unit_test(test_malloc_and_arena_mix),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_sizes_at_the_edges),
        cmocka_unit_test(test_large_and_huge),
        cmocka_unit_test(test_admission_same_bytes),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_asan_catches_misuse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
