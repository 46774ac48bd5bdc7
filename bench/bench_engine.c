/* bench_engine: how many AdmissionReviews one core answers without HTTP —
 * admission_review from request bytes to response bytes, inside a
 * per-request cJSON arena, as `serve` and `review` call it — in mutate and
 * validate mode, with the parts (the same call without the arena, JSON
 * parse and delete, engine_mutate / engine_validate and their frees, these
 * two in the arena too) timed alone on the same input so a slowdown can be
 * placed.
 *
 *   bench_engine [--seconds S] [--iterations N] [--mode mutate|validate|both]
 *                [--cpu N] [--pause-us U] [--no-breakdown] [FILE]
 *
 * FILE defaults to bench/review-django.json. Each measurement runs for S
 * seconds (default 3) or N iterations, whichever ends first, after a
 * warm-up. Prints one line per measurement; exit 0, or 1 when the answer is
 * not the expected one (a benchmark of a broken path measures nothing), 2 on
 * usage errors.
 *
 * --pause-us U sleeps U microseconds before each unit of work and counts
 * only the work's CPU time: a review as serve's worker makes it at partial
 * load, woken for each request, with caches, TLB and branch predictors in
 * the state the sleep left them. On a VM whose idle core halts, that state
 * is much colder than in a tight loop (bench/README.md: "What the engine
 * costs a woken worker"). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "admission.h"
#include "diag.h"
#include "engine.h"
#include "input.h"
#include "policy.h"
#include "reqarena.h"

#ifndef BENCH_DIR
#define BENCH_DIR "bench"
#endif

#define WARMUP 2000
/* iterations between clock reads */
#define BATCH 256

struct options {
    double seconds;
    unsigned long long iterations;
    bool mutate;
    bool validate;
    bool breakdown;
    int cpu;
    /* sleep before each unit of work, microseconds; 0: a tight loop */
    long pause_us;
    const char *file;
};

struct input {
    const char *body;
    size_t len;
    const cJSON *object;
    const struct policy *policy;
    /* NULL: the parts run with malloc */
    struct reqarena *arena;
};

struct result {
    unsigned long long count;
    double wall;
    double cpu;
};

static double now(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One unit of work; returns 0, or -1 when it went wrong. */
typedef int (*work_fn)(const struct input *in, enum admission_mode mode);

static int work_review(const struct input *in, enum admission_mode mode)
{
    struct admission_outcome out;
    int rc;

    rc = admission_review_flags(in->policy, mode, in->body, in->len,
                                reqarena_enter(in->arena) == 0 ? ADMISSION_IN_ARENA : 0, &out);
    reqarena_leave(in->arena);
    if (rc == 0 && out.http_status != 200)
        rc = -1;
    admission_outcome_free(&out);
    return rc;
}

static int work_parse(const struct input *in, enum admission_mode mode)
{
    cJSON *root;

    (void)mode;
    reqarena_enter(in->arena);
    root = cJSON_ParseWithLength(in->body, in->len);
    cJSON_Delete(root);
    reqarena_leave(in->arena);
    return root ? 0 : -1;
}

static int work_engine(const struct input *in, enum admission_mode mode)
{
    struct diag d;
    int rc;

    diag_clear(&d);
    reqarena_enter(in->arena);
    if (mode == ADMISSION_MUTATE) {
        struct mutation m;
        rc = engine_mutate(in->policy, in->object, &m, &d);
        mutation_free(&m);
    } else {
        struct findings f;
        findings_init(&f);
        rc = engine_validate(in->policy, in->object, &f, &d);
        findings_free(&f);
    }
    reqarena_leave(in->arena);
    return rc;
}

/* measure's loop with a sleep before each unit: r->cpu is the units' own
 * thread CPU time (not the sleeps' system calls), r->wall the whole run */
static int measure_paused(work_fn fn, const struct input *in, enum admission_mode mode, const struct options *o,
                          struct result *r)
{
    struct timespec pause = {.tv_sec = o->pause_us / 1000000, .tv_nsec = o->pause_us % 1000000 * 1000};
    double start = now(CLOCK_MONOTONIC), deadline = start + o->seconds;

    r->count = 0;
    r->cpu = 0;
    do {
        double cpu_start;
        nanosleep(&pause, NULL);
        cpu_start = now(CLOCK_THREAD_CPUTIME_ID);
        if (fn(in, mode) != 0)
            return -1;
        r->cpu += now(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
        r->count++;
    } while (r->count < o->iterations && now(CLOCK_MONOTONIC) < deadline);
    r->wall = now(CLOCK_MONOTONIC) - start;
    return 0;
}

static int measure(work_fn fn, const struct input *in, enum admission_mode mode, const struct options *o,
                   struct result *r)
{
    double start, cpu_start, deadline;

    for (int i = 0; i < WARMUP; i++)
        if (fn(in, mode) != 0)
            return -1;
    if (o->pause_us > 0)
        return measure_paused(fn, in, mode, o, r);
    r->count = 0;
    start = now(CLOCK_MONOTONIC);
    cpu_start = now(CLOCK_PROCESS_CPUTIME_ID);
    deadline = start + o->seconds;
    for (;;) {
        for (int i = 0; i < BATCH; i++)
            if (fn(in, mode) != 0)
                return -1;
        r->count += BATCH;
        if (r->count >= o->iterations || now(CLOCK_MONOTONIC) >= deadline)
            break;
    }
    r->wall = now(CLOCK_MONOTONIC) - start;
    r->cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    return 0;
}

static void report(const char *mode, const char *what, const struct result *r)
{
    /* cpu time is what this thread got of the core; on a shared machine
     * wall time also counts the time others had it */
    printf("%-8s %-22s %9.0f /s cpu %8.0f ns  | %9.0f /s wall  (%llu in %.2f s wall, %.2f s cpu)\n", mode, what,
           (double)r->count / r->cpu, r->cpu * 1e9 / (double)r->count, (double)r->count / r->wall, r->count,
           r->wall, r->cpu);
}

/* Checks the answer once, so the loop measures the path it claims to. */
static int check_answer(const struct input *in, enum admission_mode mode)
{
    struct admission_outcome out;
    int ok, rc;

    rc = admission_review_flags(in->policy, mode, in->body, in->len,
                                reqarena_enter(in->arena) == 0 ? ADMISSION_IN_ARENA : 0, &out);
    reqarena_leave(in->arena);
    if (rc != 0) {
        fprintf(stderr, "bench_engine: admission_review failed\n");
        return -1;
    }
    printf("%-8s answer: HTTP %d, %s, %zu bytes, %zu patch ops, %zu violations\n",
           mode == ADMISSION_MUTATE ? "mutate" : "validate", out.http_status,
           admission_decision_name(out.decision), out.body_len, out.patch_ops, out.findings.count);
    ok = out.http_status == 200 && out.decision != DECISION_SKIPPED && out.decision != DECISION_ERROR;
    if (!ok)
        fprintf(stderr, "bench_engine: the review was not judged (HTTP %d, %s): not a selected Deployment?\n%s",
                out.http_status, admission_decision_name(out.decision), out.body);
    admission_outcome_free(&out);
    return ok ? 0 : -1;
}

static int run_mode(const struct input *in, enum admission_mode mode, const struct options *o)
{
    const char *name = mode == ADMISSION_MUTATE ? "mutate" : "validate";
    struct input plain = *in;
    struct result r;

    if (check_answer(in, mode) != 0)
        return -1;
    if (measure(work_review, in, mode, o, &r) != 0)
        return -1;
    report(name, "admission_review", &r);
    if (!o->breakdown)
        return 0;
    plain.arena = NULL;
    if (measure(work_review, &plain, mode, o, &r) != 0)
        return -1;
    report(name, "  same, malloc only", &r);
    if (measure(work_parse, in, mode, o, &r) != 0)
        return -1;
    report(name, "  parse+delete", &r);
    if (measure(work_engine, in, mode, o, &r) != 0)
        return -1;
    report(name, mode == ADMISSION_MUTATE ? "  engine_mutate+free" : "  engine_validate+free", &r);
    return 0;
}

static int usage(const char *arg)
{
    fprintf(stderr, "bench_engine: bad argument '%s'\n"
                    "usage: bench_engine [--seconds S] [--iterations N] [--mode mutate|validate|both] [--cpu N]\n"
                    "                    [--pause-us U] [--no-breakdown] [FILE]\n",
            arg);
    return 2;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
            o->seconds = strtod(argv[++i], &end);
            if (*end || !(o->seconds > 0 && o->seconds <= 600))
                return usage(argv[i]);
        } else if (strcmp(a, "--iterations") == 0 && i + 1 < argc) {
            errno = 0;
            o->iterations = strtoull(argv[++i], &end, 10);
            if (*end || errno || o->iterations == 0)
                return usage(argv[i]);
        } else if (strcmp(a, "--mode") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            o->mutate = strcmp(m, "mutate") == 0 || strcmp(m, "both") == 0;
            o->validate = strcmp(m, "validate") == 0 || strcmp(m, "both") == 0;
            if (!o->mutate && !o->validate)
                return usage(m);
        } else if (strcmp(a, "--cpu") == 0 && i + 1 < argc) {
            long cpu = strtol(argv[++i], &end, 10);
            if (*end || cpu < 0 || cpu >= CPU_SETSIZE)
                return usage(argv[i]);
            o->cpu = (int)cpu;
        } else if (strcmp(a, "--pause-us") == 0 && i + 1 < argc) {
            o->pause_us = strtol(argv[++i], &end, 10);
            if (*end || o->pause_us <= 0 || o->pause_us > 1000000)
                return usage(argv[i]);
        } else if (strcmp(a, "--no-breakdown") == 0) {
            o->breakdown = false;
        } else if (a[0] == '-' && a[1]) {
            return usage(a);
        } else {
            o->file = a;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = {3.0, ~0ULL, true, true, true, -1, 0, BENCH_DIR "/review-django.json"};
    struct policy *policy = malloc(sizeof(*policy));
    struct input in;
    struct diag d;
    cJSON *review = NULL;
    char *body;
    size_t len = 0;
    int rc;

    if (!policy)
        return 1;
    memset(&in, 0, sizeof(in));
    /* before anything else uses cJSON */
    reqarena_install();
    rc = parse_options(argc, argv, &o);
    if (rc != 0) {
        free(policy);
        return rc;
    }
    if (o.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o.cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
            fprintf(stderr, "bench_engine: cannot pin to cpu %d: %s\n", o.cpu, strerror(errno));
    }
    diag_clear(&d);
    if (input_read(o.file, &body, &len, &d) != 0) {
        char why[DIAG_FILE_MAX + DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 16];
        fprintf(stderr, "bench_engine: %s\n", diag_format(&d, why, sizeof(why)));
        free(policy);
        return 2;
    }
    policy_default(policy);
    review = cJSON_ParseWithLength(body, len);
    in.body = body;
    in.len = len;
    in.policy = policy;
    in.arena = reqarena_new();
    if (!in.arena) {
        fprintf(stderr, "bench_engine: out of memory\n");
        rc = 1;
        goto out;
    }
    in.object = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(review, "request"), "object");
    if (!cJSON_IsObject(in.object)) {
        fprintf(stderr, "bench_engine: %s has no request.object\n", o.file);
        rc = 1;
        goto out;
    }
    printf("bench_engine: %s, %zu bytes, default policy, %.1f s per measurement, one thread\n", o.file, len,
           o.seconds);
    if (o.pause_us > 0)
        printf("bench_engine: a %ld us sleep before each unit; cpu is the units' own time, wall includes the sleeps\n",
               o.pause_us);
    rc = 0;
    if (o.mutate && run_mode(&in, ADMISSION_MUTATE, &o) != 0)
        rc = 1;
    if (rc == 0 && o.validate && run_mode(&in, ADMISSION_VALIDATE, &o) != 0)
        rc = 1;
out:
    reqarena_free(in.arena);
    cJSON_Delete(review);
    free(body);
    free(policy);
    return rc;
}
