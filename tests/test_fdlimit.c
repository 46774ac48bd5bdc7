/* Tests for fdlimit: the soft open-file limit goes up as far as the
 * connections need and no further, never past the hard limit; where the
 * hard limit is too low the connection limit comes down to what fits (never
 * below a small floor, never above what was asked); and fdlimit_fit
 * applies the plan to this process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "fdlimit.h"

static void check(rlim_t soft, rlim_t hard, unsigned int asked, rlim_t want_soft, unsigned int want_connections,
                  bool want_raise, bool want_lowered)
{
    struct fdlimit_plan p;

    fdlimit_plan(soft, hard, asked, &p);
    assert_int_equal(p.soft, want_soft);
    assert_int_equal(p.connections, want_connections);
    assert_int_equal(p.raise, want_raise);
    assert_int_equal(p.lowered, want_lowered);
}

static void test_enough_already(void **state)
{
    (void)state;
    check(1024 + FDLIMIT_RESERVE, 4096, 1024, 1024 + FDLIMIT_RESERVE, 1024, false, false);
    check(1048576, 1048576, 1024, 1048576, 1024, false, false);
    check(RLIM_INFINITY, RLIM_INFINITY, 1024, RLIM_INFINITY, 1024, false, false);
}

static void test_raised_as_far_as_needed(void **state)
{
    (void)state;
    /* the usual shell: soft 1024, hard 4096 or more */
    check(1024, 4096, 1024, 1024 + FDLIMIT_RESERVE, 1024, true, false);
    check(1024, 524288, 1024, 1024 + FDLIMIT_RESERVE, 1024, true, false);
    check(1024, RLIM_INFINITY, 1024, 1024 + FDLIMIT_RESERVE, 1024, true, false);
    /* exactly enough in the hard limit */
    check(1024, 1024 + FDLIMIT_RESERVE, 1024, 1024 + FDLIMIT_RESERVE, 1024, true, false);
}

static void test_lowered_to_what_fits(void **state)
{
    (void)state;
    /* hard 1024: raised to it, 768 connections fit */
    check(512, 1024, 1024, 1024, 1024 - FDLIMIT_RESERVE, true, true);
    /* soft already at the hard limit: nothing to raise */
    check(1024, 1024, 1024, 1024, 1024 - FDLIMIT_RESERVE, false, true);
    /* one short of enough */
    check(1024 + FDLIMIT_RESERVE - 1, 1024 + FDLIMIT_RESERVE - 1, 1024, 1024 + FDLIMIT_RESERVE - 1, 1023, false,
          true);
    /* a tiny limit: the floor */
    check(64, 64, 1024, 64, FDLIMIT_MIN_CONNECTIONS, false, true);
    check(FDLIMIT_RESERVE + FDLIMIT_MIN_CONNECTIONS + 1, FDLIMIT_RESERVE + FDLIMIT_MIN_CONNECTIONS + 1, 1024,
          FDLIMIT_RESERVE + FDLIMIT_MIN_CONNECTIONS + 1, FDLIMIT_MIN_CONNECTIONS + 1, false, true);
    /* the floor never raises what was asked */
    check(64, 64, 8, 64, 8, false, false);
    /* a hard limit below the soft one (not settable, but readable) */
    check(2048, 1024, 4096, 2048, 2048 - FDLIMIT_RESERVE, false, true);
}

static void test_fit_applies_the_plan(void **state)
{
    struct rlimit before, now, low;
    struct fdlimit_plan p;

    (void)state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &before), 0);
    if (before.rlim_max != RLIM_INFINITY && before.rlim_max < 600)
        skip();
    /* a soft limit too low for 200 connections, under a hard one that
     * has room */
    low.rlim_cur = 300;
    low.rlim_max = before.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    fdlimit_fit(200, &p);
    assert_true(p.raise);
    assert_false(p.lowered);
    assert_int_equal(p.connections, 200);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
    assert_int_equal(now.rlim_cur, 200 + FDLIMIT_RESERVE);
    assert_int_equal(now.rlim_max, before.rlim_max);
    /* enough now: nothing changes */
    fdlimit_fit(200, &p);
    assert_false(p.raise);
    assert_int_equal(p.soft, 200 + FDLIMIT_RESERVE);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &before), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enough_already),
        cmocka_unit_test(test_raised_as_far_as_needed),
        cmocka_unit_test(test_lowered_to_what_fits),
        cmocka_unit_test(test_fit_applies_the_plan),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
