/* Tests for policystore: the built-in default; a file loaded, then replaced
 * when it changes (and only then), on a forced reload too; a file that does
 * not load keeps the old policy and is reported once; a reader keeps the
 * policy it holds across a swap (ASan would see a use after free); readers
 * on four threads while the policy is swapped underneath them. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "policystore.h"

/* a policy file whose replicas default is n */
#define POLICY(n) "apiVersion: django-admission.io/v1\nkind: Policy\nreplicas: {default: " n ", minimum: 1}\n"

static char dir[64];
static char path[128];

static int make_dir(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_policystore.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/policy.yaml", dir);
    return 0;
}

static int remove_dir(void **state)
{
    char tmp[160];

    (void)state;
    unlink(path);
    snprintf(tmp, sizeof(tmp), "%s/policy.yaml.new", dir);
    unlink(tmp);
    rmdir(dir);
    return 0;
}

/* Replaces the file as the kubelet does: a new file renamed over the old
 * one (a new inode, so a change even within one mtime tick). */
static void write_policy(const char *text)
{
    char tmp[160];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s/policy.yaml.new", dir);
    f = fopen(tmp, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static int replicas_of(struct policystore *ps)
{
    struct policystore_slot *held;
    int n = policystore_acquire(ps, &held)->replicas;

    policystore_release(held);
    return n;
}

static void test_builtin_default(void **state)
{
    struct policystore ps;
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(policystore_open(&ps, NULL, &d), 0);
    assert_true(replicas_of(&ps) >= 1);
    /* nothing to reload, forced or not */
    assert_int_equal(policystore_refresh(&ps, false, &d), 0);
    assert_int_equal(policystore_refresh(&ps, true, &d), 0);
    policystore_close(&ps);
}

static void test_reload_on_change_only(void **state)
{
    struct policystore ps;
    struct diag d;

    (void)state;
    diag_clear(&d);
    write_policy(POLICY("4"));
    assert_int_equal(policystore_open(&ps, path, &d), 0);
    assert_int_equal(replicas_of(&ps), 4);
    /* unchanged: nothing */
    assert_int_equal(policystore_refresh(&ps, false, &d), 0);
    write_policy(POLICY("6"));
    assert_int_equal(policystore_refresh(&ps, false, &d), 1);
    assert_int_equal(replicas_of(&ps), 6);
    assert_int_equal(policystore_refresh(&ps, false, &d), 0);
    /* forced (SIGHUP): reloaded even though unchanged */
    assert_int_equal(policystore_refresh(&ps, true, &d), 1);
    assert_int_equal(replicas_of(&ps), 6);
    /* missing for a moment (mid-swap): not a change */
    unlink(path);
    assert_int_equal(policystore_refresh(&ps, false, &d), 0);
    assert_int_equal(replicas_of(&ps), 6);
    policystore_close(&ps);
}

/* Missing at two polls in a row, the file is gone: reported once (so the
 * server logs and counts it) while the old policy keeps serving; when a
 * file is back, it is loaded. */
static void test_missing_file_reported_once(void **state)
{
    struct policystore ps;
    struct diag d;

    (void)state;
    diag_clear(&d);
    write_policy(POLICY("4"));
    assert_int_equal(policystore_open(&ps, path, &d), 0);
    unlink(path);
    assert_int_equal(policystore_refresh(&ps, false, &d), 0);
    assert_int_equal(policystore_refresh(&ps, false, &d), -1);
    assert_string_equal(d.file, path);
    assert_string_equal(d.message, "cannot read: No such file or directory");
    assert_int_equal(replicas_of(&ps), 4);
    diag_clear(&d);
    assert_int_equal(policystore_refresh(&ps, false, &d), 0);
    assert_int_equal(policystore_refresh(&ps, false, &d), 0);
    assert_string_equal(d.message, "");
    write_policy(POLICY("7"));
    assert_int_equal(policystore_refresh(&ps, false, &d), 1);
    assert_int_equal(replicas_of(&ps), 7);
    policystore_close(&ps);
}

static void test_broken_file_keeps_old(void **state)
{
    struct policystore ps;
    struct diag d;

    (void)state;
    diag_clear(&d);
    write_policy(POLICY("3"));
    assert_int_equal(policystore_open(&ps, path, &d), 0);
    write_policy("replicas: [not a number\n");
    assert_int_equal(policystore_refresh(&ps, false, &d), -1);
    /* the diag names the file */
    assert_non_null(strstr(d.file, "policy.yaml"));
    assert_int_equal(replicas_of(&ps), 3);
    /* reported once: the same broken file is not tried again */
    diag_clear(&d);
    assert_int_equal(policystore_refresh(&ps, false, &d), 0);
    /* a forced reload does try again, and fails again */
    assert_int_equal(policystore_refresh(&ps, true, &d), -1);
    assert_int_equal(replicas_of(&ps), 3);
    /* fixed: taken */
    write_policy(POLICY("5"));
    assert_int_equal(policystore_refresh(&ps, false, &d), 1);
    assert_int_equal(replicas_of(&ps), 5);
    policystore_close(&ps);
}

static void test_open_fails_cleanly(void **state)
{
    struct policystore ps;
    struct diag d;
    char missing[160];

    (void)state;
    diag_clear(&d);
    snprintf(missing, sizeof(missing), "%s/absent.yaml", dir);
    assert_int_equal(policystore_open(&ps, missing, &d), -1);
    assert_true(strstr(d.file, "absent.yaml") || strstr(d.message, "absent.yaml"));
    policystore_close(&ps);
}

static void test_reader_keeps_policy_across_swap(void **state)
{
    struct policystore ps;
    struct policystore_slot *held;
    const struct policy *p;
    struct diag d;

    (void)state;
    diag_clear(&d);
    write_policy(POLICY("7"));
    assert_int_equal(policystore_open(&ps, path, &d), 0);
    p = policystore_acquire(&ps, &held);
    write_policy(POLICY("8"));
    assert_int_equal(policystore_refresh(&ps, false, &d), 1);
    /* the held policy is still the old one, and still alive */
    assert_int_equal(p->replicas, 7);
    assert_int_equal(replicas_of(&ps), 8);
    /* and outlives the store */
    policystore_close(&ps);
    assert_int_equal(p->replicas, 7);
    policystore_release(held);
}

struct reader {
    struct policystore *ps;
    atomic_bool *stop;
    long reads;
    int bad;
};

static void *read_loop(void *arg)
{
    struct reader *r = arg;

    while (!atomic_load(r->stop)) {
        struct policystore_slot *held;
        const struct policy *p = policystore_acquire(r->ps, &held);
        /* the files below only ever say 10 or 20 */
        if (p->replicas != 10 && p->replicas != 20)
            r->bad++;
        policystore_release(held);
        r->reads++;
    }
    return NULL;
}

static void test_readers_during_swaps(void **state)
{
    struct policystore ps;
    struct reader r[4];
    pthread_t th[4];
    atomic_bool stop = false;
    struct diag d;
    int swaps = 0;

    (void)state;
    diag_clear(&d);
    write_policy(POLICY("10"));
    assert_int_equal(policystore_open(&ps, path, &d), 0);
    for (int i = 0; i < 4; i++) {
        r[i] = (struct reader){&ps, &stop, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, read_loop, &r[i]), 0);
    }
    for (int i = 0; i < 40; i++) {
        write_policy(i % 2 ? POLICY("10") : POLICY("20"));
        swaps += policystore_refresh(&ps, false, &d) == 1;
        usleep(1000);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(r[i].bad, 0);
        assert_true(r[i].reads > 0);
    }
    assert_int_equal(swaps, 40);
    policystore_close(&ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_default),
        cmocka_unit_test(test_reload_on_change_only),
        cmocka_unit_test(test_missing_file_reported_once),
        cmocka_unit_test(test_broken_file_keeps_old),
        cmocka_unit_test(test_open_fails_cleanly),
        cmocka_unit_test(test_reader_keeps_policy_across_swap),
        cmocka_unit_test(test_readers_during_swaps),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
