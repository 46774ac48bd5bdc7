/* Tests for filewatch: a change is a new identity (inode, size, mtime),
 * whatever the content; a file missing at one poll is a grace, at two in a
 * row it is reported once, with its name and the reason; one that comes
 * back as the very same file is no change, as anything else it is; and a
 * file first seen after the watch began is a change. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "filewatch.h"

static char dir[64];
static char path[128];
static char aside[128];

static int make_dir(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_filewatch.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/tls.crt", dir);
    snprintf(aside, sizeof(aside), "%s/aside", dir);
    return 0;
}

static int remove_dir(void **state)
{
    char tmp[160];

    (void)state;
    unlink(path);
    unlink(aside);
    snprintf(tmp, sizeof(tmp), "%s/new", dir);
    unlink(tmp);
    rmdir(dir);
    return 0;
}

/* A new file renamed over path, as cert-manager and the kubelet do. */
static void replace(const char *text)
{
    char tmp[160];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s/new", dir);
    f = fopen(tmp, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static enum filewatch_state poll_clean(struct filewatch *w, struct diag *d)
{
    diag_clear(d);
    return filewatch_poll(w, d);
}

static void test_unchanged_until_replaced(void **state)
{
    struct filewatch w;
    struct diag d;

    (void)state;
    replace("one");
    filewatch_init(&w, path);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
    /* the same bytes in a new file are a new file */
    replace("one");
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_CHANGED);
    assert_string_equal(d.message, "");
    /* seen once */
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
}

static void test_written_in_place(void **state)
{
    struct filewatch w;
    struct diag d;
    struct timespec times[2] = {{0, UTIME_OMIT}, {1700000000, 0}};
    FILE *f;

    (void)state;
    replace("one");
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
    filewatch_init(&w, path);
    /* the same inode and mtime, another size */
    f = fopen(path, "a");
    assert_non_null(f);
    assert_true(fputs("more", f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_CHANGED);
    /* the same inode and size, a nanosecond later */
    times[1].tv_nsec = 1;
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_CHANGED);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
}

static void test_missing_reported_once(void **state)
{
    struct filewatch w;
    struct diag d;

    (void)state;
    replace("one");
    filewatch_init(&w, path);
    assert_int_equal(rename(path, aside), 0);
    /* the first poll is a grace: a replacement may be half-way */
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
    assert_string_equal(d.message, "");
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_GONE);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.message, "cannot read: No such file or directory");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
        assert_string_equal(d.message, "");
    }
    /* the very file that was there: nothing to load */
    assert_int_equal(rename(aside, path), 0);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
    /* gone again: reported again, after its grace poll */
    assert_int_equal(rename(path, aside), 0);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_GONE);
    /* back as another file: a change */
    replace("two");
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_CHANGED);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
}

static void test_grace_is_per_absence(void **state)
{
    struct filewatch w;
    struct diag d;

    (void)state;
    replace("one");
    filewatch_init(&w, path);
    /* missing at every other poll: never two in a row, never reported */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rename(path, aside), 0);
        assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
        assert_int_equal(rename(aside, path), 0);
        assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
    }
}

static void test_first_appearance_is_a_change(void **state)
{
    struct filewatch w;
    struct diag d;

    (void)state;
    unlink(path);
    filewatch_init(&w, path);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_GONE);
    replace("one");
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_CHANGED);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
}

static void test_unreadable_directory_is_gone_with_its_reason(void **state)
{
    struct filewatch w;
    struct diag d;
    char inside[160];

    (void)state;
    /* a path through a file: ENOTDIR, not ENOENT */
    replace("one");
    snprintf(inside, sizeof(inside), "%s/x", path);
    filewatch_init(&w, inside);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_UNCHANGED);
    assert_int_equal(poll_clean(&w, &d), FILEWATCH_GONE);
    assert_string_equal(d.file, inside);
    assert_string_equal(d.message, "cannot read: Not a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unchanged_until_replaced, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_written_in_place, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_missing_reported_once, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_grace_is_per_absence, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_first_appearance_is_a_change, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_unreadable_directory_is_gone_with_its_reason, make_dir, remove_dir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
