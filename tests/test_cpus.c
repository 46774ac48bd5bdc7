/* Tests for cpus: cgroup quota texts as the kernel writes them (v2 cpu.max,
 * v1 cfs quota and period), hostile ones, and cpus_usable against this
 * process's own affinity mask. */
#define _GNU_SOURCE
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpus.h"

static void test_v2_cpu_max(void **state)
{
    (void)state;
    assert_int_equal(cpus_from_quota("max 100000\n", NULL), 0);
    assert_int_equal(cpus_from_quota("100000 100000\n", NULL), 1);
    /* 500m: a part of a CPU still needs one worker */
    assert_int_equal(cpus_from_quota("50000 100000\n", NULL), 1);
    assert_int_equal(cpus_from_quota("150000 100000\n", NULL), 2);
    assert_int_equal(cpus_from_quota("400000 100000", NULL), 4);
    assert_int_equal(cpus_from_quota("1000 1000\n", NULL), 1);
}

static void test_v1_quota_and_period(void **state)
{
    (void)state;
    assert_int_equal(cpus_from_quota("-1\n", "100000\n"), 0);
    assert_int_equal(cpus_from_quota("250000\n", "100000\n"), 3);
    assert_int_equal(cpus_from_quota("100000", "100000"), 1);
}

static void test_not_a_quota(void **state)
{
    (void)state;
    assert_int_equal(cpus_from_quota(NULL, NULL), 0);
    assert_int_equal(cpus_from_quota("", NULL), 0);
    assert_int_equal(cpus_from_quota("max", NULL), 0);
    /* a quota without a period, or a zero period */
    assert_int_equal(cpus_from_quota("150000", NULL), 0);
    assert_int_equal(cpus_from_quota("150000 0", NULL), 0);
    assert_int_equal(cpus_from_quota("150000\n", "0\n"), 0);
    assert_int_equal(cpus_from_quota("0 100000", NULL), 0);
    assert_int_equal(cpus_from_quota("x 100000", NULL), 0);
    /* out of range: no limit rather than a wrapped number */
    assert_int_equal(cpus_from_quota("99999999999999999999999 100000", NULL), 0);
    /* absurd but valid: capped */
    assert_int_equal(cpus_from_quota("100000000000 1", NULL), 4096);
}

static void test_usable_within_bounds(void **state)
{
    cpu_set_t set;
    unsigned int n = cpus_usable(64);

    (void)state;
    assert_true(n >= 1 && n <= 64);
    assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
    assert_true(n <= (unsigned int)CPU_COUNT(&set));
    assert_int_equal(cpus_usable(1), 1);
    /* max 0 still gives one worker */
    assert_int_equal(cpus_usable(0), 1);
}

static void test_usable_follows_affinity(void **state)
{
    cpu_set_t saved, one;

    (void)state;
    assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
    CPU_ZERO(&one);
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &saved)) {
            CPU_SET(i, &one);
            break;
        }
    }
    /* pinned to one CPU (taskset, a cpuset): one */
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    assert_int_equal(cpus_usable(64), 1);
    assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_cpu_max),
        cmocka_unit_test(test_v1_quota_and_period),
        cmocka_unit_test(test_not_a_quota),
        cmocka_unit_test(test_usable_within_bounds),
        cmocka_unit_test(test_usable_follows_affinity),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
