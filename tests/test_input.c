/* Tests for input: whole files and standard input read exactly (binary
 * bytes, NUL-terminated), the size limit exact at its edge (a file of
 * INPUT_MAX bytes is read, one byte more is refused), and each failure
 * named with the file and the reason. */
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

#include "input.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_input.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes n bytes of a repeating pattern (with NULs in it) to dir/name. */
static void make_file(const char *name, size_t n, char *path, size_t cap)
{
    static char chunk[1 << 16];
    int fd;

    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (char)(i % 251);
    snprintf(path, cap, "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    while (n > 0) {
        size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
        assert_int_equal(write(fd, chunk, k), (ssize_t)k);
        n -= k;
    }
    assert_int_equal(close(fd), 0);
}

static void check_pattern(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i += 4093)
        assert_int_equal((unsigned char)buf[i], (i % (1 << 16)) % 251);
    assert_int_equal(buf[len], '\0');
}

static void test_reads_a_file_whole(void **state)
{
    /* sizes around the 64 KiB steps the buffer grows by */
    static const size_t sizes[] = {0, 1, 65534, 65535, 65536, 65537, 200000};
    char path[128];
    struct diag d;

    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *buf = NULL;
        size_t len = 12345;
        make_file("f", sizes[i], path, sizeof(path));
        diag_clear(&d);
        assert_int_equal(input_read(path, &buf, &len, &d), 0);
        assert_int_equal(len, sizes[i]);
        check_pattern(buf, len);
        free(buf);
    }
}

static void test_limit_is_exact(void **state)
{
    char path[128], text[1024];
    struct diag d;
    char *buf = NULL;
    size_t len = 0;

    (void)state;
    make_file("max", INPUT_MAX, path, sizeof(path));
    diag_clear(&d);
    assert_int_equal(input_read(path, &buf, &len, &d), 0);
    assert_int_equal(len, INPUT_MAX);
    check_pattern(buf, len);
    free(buf);

    make_file("over", INPUT_MAX + 1, path, sizeof(path));
    buf = NULL;
    diag_clear(&d);
    assert_int_equal(input_read(path, &buf, &len, &d), -1);
    assert_null(buf);
    assert_string_equal(d.file, path);
    snprintf(text, sizeof(text), "input is larger than %zu bytes", INPUT_MAX);
    assert_string_equal(d.message, text);
    unlink(path);
    snprintf(path, sizeof(path), "%s/max", dir);
    unlink(path);
}

static void test_reads_standard_input(void **state)
{
    char path[128];
    struct diag d;
    char *buf = NULL;
    size_t len = 0;
    int saved = dup(STDIN_FILENO);

    (void)state;
    make_file("stdin", 100000, path, sizeof(path));
    assert_non_null(freopen(path, "rb", stdin));
    diag_clear(&d);
    assert_int_equal(input_read("-", &buf, &len, &d), 0);
    assert_int_equal(len, 100000);
    check_pattern(buf, len);
    assert_string_equal(d.file, "-");
    free(buf);
    /* stdin is the caller's: still open after the read */
    assert_int_equal(fileno(stdin) >= 0, 1);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    clearerr(stdin);
}

static void test_failures_name_file_and_reason(void **state)
{
    char path[128];
    struct diag d;
    char *buf = NULL;
    size_t len = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/missing.yaml", dir);
    diag_clear(&d);
    assert_int_equal(input_read(path, &buf, &len, &d), -1);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.message, "cannot open: No such file or directory");
    assert_null(buf);

    /* a directory opens, and then cannot be read */
    diag_clear(&d);
    assert_int_equal(input_read(dir, &buf, &len, &d), -1);
    assert_string_equal(d.file, dir);
    assert_string_equal(d.message, "cannot read: Is a directory");
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_a_file_whole),
        cmocka_unit_test(test_limit_is_exact),
        cmocka_unit_test(test_reads_standard_input),
        cmocka_unit_test(test_failures_name_file_and_reason),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
