/* End-to-end tests: the real `django-admission serve` on 127.0.0.1 with
 * real TLS, talked to the way the Kubernetes API server does.
 *
 *   e2e EXE SOURCE_ROOT CASE...      (CASE "all" runs every case)
 *
 * Prints one line per case and closes with "N passed, N failed"; exit 0
 * only when every check of every case passed. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cases.h"
#include "harness.h"

struct e2e_case {
    const char *name;
    void (*run)(const struct e2e *e);
};

static const struct e2e_case cases[] = {
    {"status", case_status},
    {"identity", case_identity},
    {"metrics", case_metrics},
    {"client-ca", case_client_ca},
    {"tls-versions", case_tls_versions},
    {"stall", case_stall},
    {"key-update", case_key_update},
    {"dev", case_dev},
    {"listen", case_listen},
    {"connection-limit", case_connection_limit},
    {"concurrency", case_concurrency},
    {"rotation", case_rotation},
    {"sigterm", case_sigterm},
    {"sighup", case_sighup},
    {"garbage", case_garbage},
};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int run_case(const struct e2e *e, const struct e2e_case *c)
{
    int before = atomic_load(&e2e_failures);
    long long start = e2e_now_ms();

    printf("case %s\n", c->name);
    fflush(stdout);
    c->run(e);
    int failed = atomic_load(&e2e_failures) - before;
    printf("%s %s (%lld ms, %d failed checks)\n", failed ? "FAIL" : "ok", c->name, e2e_now_ms() - start, failed);
    fflush(stdout);
    return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct e2e e = {0};
    const char *tmp = getenv("TMPDIR");
    int passed = 0, failed = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: e2e EXE SOURCE_ROOT CASE...|all\n");
        return 2;
    }
    e.exe = argv[1];
    e.source_root = argv[2];
    if (access(e.exe, X_OK) != 0) {
        fprintf(stderr, "e2e: %s is not executable\n", e.exe);
        return 2;
    }
    snprintf(e.tmp, sizeof(e.tmp), "%s/django-admission-e2e.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(e.tmp)) {
        perror("e2e: mkdtemp");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "e2e: curl_global_init failed\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 3; i < argc; i++) {
        int found = 0;
        for (size_t k = 0; k < CASE_COUNT; k++) {
            if (strcmp(argv[i], "all") != 0 && strcmp(argv[i], cases[k].name) != 0)
                continue;
            found = 1;
            if (run_case(&e, &cases[k]) == 0)
                passed++;
            else
                failed++;
        }
        if (!found) {
            fprintf(stderr, "e2e: no case named %s\n", argv[i]);
            failed++;
        }
    }
    curl_global_cleanup();
    /* keep the servers' logs of a failed run for a look */
    if (failed == 0)
        nftw(e.tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else
        printf("server logs and certificates kept in %s\n", e.tmp);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
