/* Tests for diag: every shell turns a failure into text through it, so the
 * exact words and separators of diag_format are pinned for every mix of
 * known and unknown parts, and every field and output buffer is checked to
 * stay inside its bounds and end in a NUL however long the input. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "diag.h"

/* n bytes of a pattern that never repeats within 26 bytes, so a cut at the
 * wrong place shows, then a NUL; buf must hold n + 1 */
static char *pattern(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('a' + i % 26);
    buf[n] = '\0';
    return buf;
}

/* A diag whose every byte is junk, as an uninitialised one on the stack. */
static void fill_junk(struct diag *d)
{
    memset(d, 0xA5, sizeof(*d));
}

/* --------------------------------------------------------------- clear */

static void test_clear_empties_every_field(void **state)
{
    struct diag d, zero;

    (void)state;
    fill_junk(&d);
    diag_clear(&d);
    assert_string_equal(d.file, "");
    assert_int_equal(d.line, 0);
    assert_string_equal(d.pointer, "");
    assert_string_equal(d.message, "");
    /* not only the first byte: a later strncpy-style reader sees no junk */
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&d, &zero, sizeof(d));
}

/* A used diag cleared is as a fresh one: nothing of the old failure leaks
 * into the next report. */
static void test_clear_after_use(void **state)
{
    struct diag d;
    char buf[64];

    (void)state;
    diag_clear(&d);
    diag_locate(&d, "deploy.yaml", 7);
    (void)diag_set(&d, "/spec", "bad");
    diag_clear(&d);
    assert_string_equal(diag_format(&d, buf, sizeof(buf)), "");
    assert_int_equal(d.line, 0);
    assert_string_equal(d.file, "");
}

/* ----------------------------------------------------------------- set */

static void test_set_returns_minus_one_and_formats(void **state)
{
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(diag_set(&d, "/spec/replicas", "replicas must be at least %d, got %d", 3, 1),
                     -1);
    assert_string_equal(d.pointer, "/spec/replicas");
    assert_string_equal(d.message, "replicas must be at least 3, got 1");

    /* conversions are the caller's; '%' inside an argument is not one */
    assert_int_equal(diag_set(&d, "", "%s is %s, 100%% %c%lu", "cpu", "50%d", 'x', 42UL), -1);
    assert_string_equal(d.message, "cpu is 50%d, 100% x42");
    assert_string_equal(d.pointer, "");
}

/* The idiom `return diag_set(d, ...)` also works for a caller that passes
 * no diag. */
static void test_set_null_diag(void **state)
{
    (void)state;
    assert_int_equal(diag_set(NULL, "/a", "nothing to fill %d", 1), -1);
}

static void test_set_null_pointer_is_empty(void **state)
{
    struct diag d;

    (void)state;
    fill_junk(&d);
    assert_int_equal(diag_set(&d, NULL, "no pointer"), -1);
    assert_string_equal(d.pointer, "");
    assert_string_equal(d.message, "no pointer");
}

/* A second failure replaces the first one's pointer and message whole: a
 * shorter text leaves no tail of the longer one behind. */
static void test_set_replaces(void **state)
{
    struct diag d;

    (void)state;
    diag_clear(&d);
    (void)diag_set(&d, "/spec/template/spec/containers/0", "a rather long first message");
    (void)diag_set(&d, "/x", "short");
    assert_string_equal(d.pointer, "/x");
    assert_string_equal(d.message, "short");
    (void)diag_set(&d, NULL, "%s", "");
    assert_string_equal(d.pointer, "");
    assert_string_equal(d.message, "");
}

/* Where the failure happened is the caller's business and survives a
 * diag_set made deeper down. */
static void test_set_keeps_file_and_line(void **state)
{
    struct diag d;

    (void)state;
    diag_clear(&d);
    diag_locate(&d, "policy.yaml", 42);
    (void)diag_set(&d, "/rules/0", "unknown rule \"%s\"", "nope");
    assert_string_equal(d.file, "policy.yaml");
    assert_int_equal(d.line, 42);
    assert_string_equal(d.pointer, "/rules/0");
    assert_string_equal(d.message, "unknown rule \"nope\"");
}

/* Over-long message and pointer are cut to their arrays, NUL-terminated,
 * keeping exactly the first MAX - 1 bytes; one that just fits is whole. */
static void test_set_truncates(void **state)
{
    static char longer[2048];
    static char want[2048];
    struct diag d;
    const size_t lens[] = {DIAG_MESSAGE_MAX + 500, DIAG_MESSAGE_MAX + 1, DIAG_MESSAGE_MAX,
                           DIAG_MESSAGE_MAX - 1, DIAG_MESSAGE_MAX - 2};

    (void)state;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t keep = lens[i] < DIAG_MESSAGE_MAX - 1 ? lens[i] : DIAG_MESSAGE_MAX - 1;

        fill_junk(&d);
        pattern(longer, lens[i]);
        assert_int_equal(diag_set(&d, longer, "%s", longer), -1);
        pattern(want, keep);
        if (strlen(d.message) != keep || strcmp(d.message, want) != 0)
            fail_msg("message of %zu bytes: kept %zu, want %zu", lens[i], strlen(d.message), keep);
        keep = lens[i] < DIAG_POINTER_MAX - 1 ? lens[i] : DIAG_POINTER_MAX - 1;
        pattern(want, keep);
        if (strlen(d.pointer) != keep || strcmp(d.pointer, want) != 0)
            fail_msg("pointer of %zu bytes: kept %zu, want %zu", lens[i], strlen(d.pointer), keep);
    }

    /* the message built from pieces is cut the same way */
    pattern(longer, 600);
    fill_junk(&d);
    (void)diag_set(&d, NULL, "%s: %s", "prefix", longer);
    assert_int_equal(strlen(d.message), DIAG_MESSAGE_MAX - 1);
    assert_memory_equal(d.message, "prefix: abc", 11);
    assert_memory_equal(d.message + 8, longer, DIAG_MESSAGE_MAX - 1 - 8);
}

/* diag cuts by bytes, like snprintf: unlike findings, it does not back up
 * to a UTF-8 boundary, so the last character may be split. Pinned so a
 * change to that is a decision, not an accident. */
static void test_set_cut_is_bytewise(void **state)
{
    static char text[DIAG_MESSAGE_MAX + 8];
    struct diag d;

    (void)state;
    memset(text, 'a', DIAG_MESSAGE_MAX - 2);
    /* U+00E9 straddles the last kept byte */
    memcpy(text + DIAG_MESSAGE_MAX - 2, "\xc3\xa9z", 4);
    diag_clear(&d);
    (void)diag_set(&d, NULL, "%s", text);
    assert_int_equal(strlen(d.message), DIAG_MESSAGE_MAX - 1);
    assert_int_equal((unsigned char)d.message[DIAG_MESSAGE_MAX - 2], 0xC3);
}

/* A conversion the C library refuses (a lone surrogate through %ls) must
 * still leave a terminated message inside the array. */
static void test_set_format_error_stays_terminated(void **state)
{
    static const wchar_t bad[] = {L'x', (wchar_t)0xD800, L'y', 0};
    char probe[16];
    struct diag d;

    (void)state;
    /* only where the C library does refuse it is there anything to see */
    if (snprintf(probe, sizeof(probe), "%ls", bad) >= 0)
        skip();
    fill_junk(&d);
    assert_int_equal(diag_set(&d, "/p", "ab%lscd", bad), -1);
    assert_true(strnlen(d.message, sizeof(d.message)) < sizeof(d.message));
    assert_string_equal(d.pointer, "/p");
}

/* -------------------------------------------------------------- locate */

static void test_locate_keeps_message(void **state)
{
    struct diag d;

    (void)state;
    diag_clear(&d);
    (void)diag_set(&d, "/spec/replicas", "replicas must be a number");
    diag_locate(&d, "-", 3);
    assert_string_equal(d.file, "-");
    assert_int_equal(d.line, 3);
    assert_string_equal(d.pointer, "/spec/replicas");
    assert_string_equal(d.message, "replicas must be a number");

    /* a second call wins, line 0 = unknown, NULL file = unknown */
    diag_locate(&d, "other.yaml", 0);
    assert_string_equal(d.file, "other.yaml");
    assert_int_equal(d.line, 0);
    diag_locate(&d, NULL, 9);
    assert_string_equal(d.file, "");
    assert_int_equal(d.line, 9);
    assert_string_equal(d.message, "replicas must be a number");
    assert_string_equal(d.pointer, "/spec/replicas");
}

static void test_locate_null_diag(void **state)
{
    (void)state;
    diag_locate(NULL, "x", 1);
}

static void test_locate_truncates_file(void **state)
{
    static char name[DIAG_FILE_MAX * 2];
    static char want[DIAG_FILE_MAX];
    struct diag d;

    (void)state;
    fill_junk(&d);
    pattern(name, sizeof(name) - 1);
    diag_locate(&d, name, INT_MAX);
    assert_int_equal(strlen(d.file), DIAG_FILE_MAX - 1);
    assert_string_equal(d.file, pattern(want, DIAG_FILE_MAX - 1));
    assert_int_equal(d.line, INT_MAX);

    /* exactly fitting: whole */
    pattern(name, DIAG_FILE_MAX - 1);
    diag_locate(&d, name, 1);
    assert_string_equal(d.file, name);
}

/* -------------------------------------------------------------- format */

struct format_case {
    const char *file;
    int line;
    const char *pointer;
    const char *message;
    const char *want;
};

static const struct format_case FORMATS[] = {
    /* everything known */
    {"deploy.yaml", 12, "/spec/replicas", "replicas must be at least 3",
     "deploy.yaml:12: replicas must be at least 3 at /spec/replicas"},
    {"deploy.yaml", 12, "", "replicas must be at least 3", "deploy.yaml:12: replicas must be at least 3"},
    /* line unknown: the file alone */
    {"deploy.yaml", 0, "/spec/replicas", "replicas must be at least 3",
     "deploy.yaml: replicas must be at least 3 at /spec/replicas"},
    {"deploy.yaml", 0, "", "replicas must be at least 3", "deploy.yaml: replicas must be at least 3"},
    /* a negative line is no line either */
    {"deploy.yaml", -4, "", "bad", "deploy.yaml: bad"},
    {"deploy.yaml", INT_MIN, "/a", "bad", "deploy.yaml: bad at /a"},
    /* a line without a file is not shown: "12: ..." would name nothing */
    {"", 12, "/spec/replicas", "replicas must be at least 3", "replicas must be at least 3 at /spec/replicas"},
    {"", 12, "", "replicas must be at least 3", "replicas must be at least 3"},
    {"", 0, "/spec/replicas", "replicas must be at least 3", "replicas must be at least 3 at /spec/replicas"},
    {"", 0, "", "replicas must be at least 3", "replicas must be at least 3"},
    /* stdin and the extremes of a line number */
    {"-", 1, "", "not JSON", "-:1: not JSON"},
    {"a", INT_MAX, "/", "x", "a:2147483647: x at /"},
    /* the pointer is printed as given, escapes and all */
    {"f", 2, "/metadata/annotations/prometheus.io~1scrape", "must be \"true\"",
     "f:2: must be \"true\" at /metadata/annotations/prometheus.io~1scrape"},
    /* message unknown: what is left is printed with its separators. Only a
     * diag nobody set formats this way; pinned, not endorsed */
    {"f", 3, "", "", "f:3: "},
    {"f", 0, "", "", "f: "},
    {"", 0, "/x", "", " at /x"},
    {"", 0, "", "", ""},
};

static void set_case(struct diag *d, const struct format_case *c)
{
    fill_junk(d);
    diag_clear(d);
    diag_locate(d, c->file, c->line);
    (void)diag_set(d, c->pointer, "%s", c->message);
}

static void test_format_table(void **state)
{
    char buf[256];

    (void)state;
    for (size_t i = 0; i < sizeof(FORMATS) / sizeof(FORMATS[0]); i++) {
        struct diag d;
        const char *got;

        set_case(&d, &FORMATS[i]);
        memset(buf, '#', sizeof(buf));
        got = diag_format(&d, buf, sizeof(buf));
        if (got != buf)
            fail_msg("case %zu: did not return buf", i);
        if (strcmp(buf, FORMATS[i].want) != 0)
            fail_msg("case %zu:\n got  \"%s\"\n want \"%s\"", i, buf, FORMATS[i].want);
    }
}

/* Formatting reads the diag and nothing else: the same diag formats the
 * same twice, and is unchanged. */
static void test_format_leaves_diag(void **state)
{
    struct diag d, copy;
    char a[128], b[128];

    (void)state;
    set_case(&d, &FORMATS[0]);
    memcpy(&copy, &d, sizeof(d));
    diag_format(&d, a, sizeof(a));
    diag_format(&d, b, sizeof(b));
    assert_string_equal(a, b);
    assert_memory_equal(&d, &copy, sizeof(d));
}

/* At every cap, the output is the full text cut as snprintf cuts it: the
 * first cap - 1 bytes and a NUL, and nothing written at or past buf[cap].
 * cap 0 writes nothing at all. */
static void test_format_every_cap(void **state)
{
    char buf[300];

    (void)state;
    for (size_t i = 0; i < sizeof(FORMATS) / sizeof(FORMATS[0]); i++) {
        const char *want = FORMATS[i].want;
        size_t len = strlen(want);
        struct diag d;

        set_case(&d, &FORMATS[i]);
        for (size_t cap = 0; cap <= len + 2; cap++) {
            size_t keep = cap ? (cap - 1 < len ? cap - 1 : len) : 0;

            memset(buf, '#', sizeof(buf));
            if (diag_format(&d, buf, cap) != buf)
                fail_msg("case %zu cap %zu: did not return buf", i, cap);
            if (cap == 0) {
                if (buf[0] != '#')
                    fail_msg("case %zu: cap 0 wrote", i);
                continue;
            }
            if (memcmp(buf, want, keep) != 0 || buf[keep] != '\0')
                fail_msg("case %zu cap %zu: \"%s\" is not the first %zu bytes of \"%s\"", i, cap,
                         buf, keep, want);
            for (size_t k = cap; k < sizeof(buf); k++)
                if (buf[k] != '#')
                    fail_msg("case %zu cap %zu: wrote buf[%zu]", i, cap, k);
        }
    }
}

/* The small caps a caller might get wrong, spelled out. */
static void test_format_small_caps(void **state)
{
    const char *full = FORMATS[0].want;
    size_t at = (size_t)(strstr(full, " at /") - full);
    struct diag d;
    char buf[16], mid[64];

    (void)state;
    set_case(&d, &FORMATS[0]);
    memset(buf, '#', sizeof(buf));
    assert_ptr_equal(diag_format(&d, NULL, 0), NULL);
    assert_string_equal(diag_format(&d, buf, 1), "");
    assert_int_equal(buf[1], '#');
    assert_string_equal(diag_format(&d, buf, 2), "d");
    /* cut inside the "FILE:LINE: " part */
    assert_string_equal(diag_format(&d, buf, 13), "deploy.yaml:");
    assert_string_equal(diag_format(&d, buf, 16), "deploy.yaml:12:");
    /* cut inside the " at " part, and just before it */
    assert_string_equal(diag_format(&d, mid, at + 3), "deploy.yaml:12: replicas must be at least 3 a");
    assert_string_equal(diag_format(&d, mid, at + 1), "deploy.yaml:12: replicas must be at least 3");
}

/* Every field at its longest: the buffer shells size for it holds the
 * whole text, and a smaller one is cut without overflow. */
static void test_format_all_fields_full(void **state)
{
    static char file[DIAG_FILE_MAX], pointer[DIAG_POINTER_MAX], message[DIAG_MESSAGE_MAX];
    static char want[4096], buf[4096];
    struct diag d;
    int n;

    (void)state;
    pattern(file, sizeof(file) - 1);
    pattern(pointer, sizeof(pointer) - 1);
    pattern(message, sizeof(message) - 1);
    diag_clear(&d);
    diag_locate(&d, file, INT_MAX);
    (void)diag_set(&d, pointer, "%s", message);
    n = snprintf(want, sizeof(want), "%s:%d: %s at %s", file, INT_MAX, message, pointer);
    assert_int_equal(n, 255 + 1 + 10 + 2 + 511 + 4 + 511);
    assert_string_equal(diag_format(&d, buf, sizeof(buf)), want);

    /* what admission.c gives it: message and pointer room only */
    memset(buf, '#', sizeof(buf));
    diag_format(&d, buf, DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 8);
    assert_int_equal(strlen(buf), DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 7);
    assert_memory_equal(buf, want, DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 7);
    assert_int_equal(buf[DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 8], '#');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_empties_every_field),
        cmocka_unit_test(test_clear_after_use),
        cmocka_unit_test(test_set_returns_minus_one_and_formats),
        cmocka_unit_test(test_set_null_diag),
        cmocka_unit_test(test_set_null_pointer_is_empty),
        cmocka_unit_test(test_set_replaces),
        cmocka_unit_test(test_set_keeps_file_and_line),
        cmocka_unit_test(test_set_truncates),
        cmocka_unit_test(test_set_cut_is_bytewise),
        cmocka_unit_test(test_set_format_error_stays_terminated),
        cmocka_unit_test(test_locate_keeps_message),
        cmocka_unit_test(test_locate_null_diag),
        cmocka_unit_test(test_locate_truncates_file),
        cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_leaves_diag),
        cmocka_unit_test(test_format_every_cap),
        cmocka_unit_test(test_format_small_caps),
        cmocka_unit_test(test_format_all_fields_full),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
