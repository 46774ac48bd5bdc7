/* Tests for quantity: parsing as k8s.io/apimachinery ParseQuantity does
 * (value checked through quantity_format), errors, and exact comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "quantity.h"

#define FIELD "/spec/template/spec/containers/0/resources/limits/cpu"

struct valid_case {
    const char *text;
    /* canonical decimal of the parsed value */
    const char *value;
};

/* Hostile and boundary cases first, then every suffix. Expected values are
 * what apimachinery's ParseQuantity stores (AsDec().String()). */
static const struct valid_case VALID[] = {
    /* zero in all its spellings */
    {"0", "0"},
    {"-0", "0"},
    {"+0", "0"},
    {"00", "0"},
    {"0.0", "0"},
    {"0m", "0"},
    {"0Ki", "0"},
    {"0e5", "0"},
    {"-0.000e-7", "0"},
    /* rounding away from zero to a multiple of 1n */
    {"0.1n", "0.000000001"},
    {"1.5n", "0.000000002"},
    {"1.1n", "0.000000002"},
    {"1e-10", "0.000000001"},
    {"-1e-10", "-0.000000001"},
    {"1e-1000", "0.000000001"},
    {"1.0000000001", "1.000000001"},
    {"0.9999999999", "1"},
    {"999.9999999999n", "0.000001"},
    {"-0.0001m", "-0.0000001"},
    {"0.000000001Ki", "0.000001024"},
    {"1.0000000001Ki", "1024.000000103"},
    /* binary SI cap at 2^63-1, decimal values uncapped */
    {"7Ei", "8070450532247928832"},
    {"8191Pi", "9222246136947933184"},
    {"8192Pi", "9223372036854775807"},
    {"8Ei", "9223372036854775807"},
    {"-8Ei", "-9223372036854775807"},
    {"100000000Ei", "9223372036854775807"},
    {"9223372036854775807", "9223372036854775807"},
    {"9223372036854775808", "9223372036854775808"},
    {"100E", "100000000000000000000"},
    {"123456789012345678901234567890", "123456789012345678901234567890"},
    /* every decimal SI suffix */
    {"1n", "0.000000001"},
    {"1u", "0.000001"},
    {"3u", "0.000003"},
    {"1m", "0.001"},
    {"500m", "0.5"},
    {"1000m", "1"},
    {"1", "1"},
    {"1k", "1000"},
    {"2.5k", "2500"},
    {"1M", "1000000"},
    {"1.25M", "1250000"},
    {"1G", "1000000000"},
    {"1T", "1000000000000"},
    {"1P", "1000000000000000"},
    {"1E", "1000000000000000000"},
    /* every binary SI suffix */
    {"1Ki", "1024"},
    {"1Mi", "1048576"},
    {"10Mi", "10485760"},
    {"512Mi", "536870912"},
    {"1Gi", "1073741824"},
    {"1.5Gi", "1610612736"},
    {"1Ti", "1099511627776"},
    {"1Pi", "1125899906842624"},
    {"1Ei", "1152921504606846976"},
    {"0.5Ki", "512"},
    {"0.1Ki", "102.4"},
    /* decimal exponents, both letters, signed */
    {"1e3", "1000"},
    {"1E3", "1000"},
    {"1e+3", "1000"},
    {"1E+3", "1000"},
    {"1e-3", "0.001"},
    {"1E-3", "0.001"},
    {"1e0", "1"},
    {"1e-0", "1"},
    {"1e03", "1000"},
    {"1e-9", "0.000000001"},
    {"1e18", "1000000000000000000"},
    {"12.5e-1", "1.25"},
    {"-.5e1", "-5"},
    {"5.e2", "500"},
    /* signs and decimal points */
    {"+1", "1"},
    {"-1", "-1"},
    {"0.5", "0.5"},
    {".5", "0.5"},
    {"+.5", "0.5"},
    {"5.", "5"},
    {"1.5", "1.5"},
    {"-1.5", "-1.5"},
    {"0001", "1"},
    {"1.500", "1.5"},
    {"1.", "1"},
    {"-5.Mi", "-5242880"},
};

struct invalid_case {
    const char *text;
    size_t len;
    /* substring the message must contain */
    const char *why;
};

#define T(s) s, sizeof(s) - 1

static const struct invalid_case INVALID[] = {
    /* empty, lone signs and points */
    {T(""), "invalid quantity \"\": empty value"},
    {T("+"), "missing number"},
    {T("-"), "missing number"},
    {T("."), "no digits around the decimal point"},
    {T("-."), "no digits around the decimal point"},
    {T("--1"), "more than one sign"},
    {T("+-1"), "more than one sign"},
    {T("-+1"), "more than one sign"},
    /* spaces, control bytes, NUL, non-ASCII */
    {T(" 1"), "unexpected whitespace at offset 0"},
    {T("1 "), "unexpected whitespace at offset 1"},
    {T("12 Mi"), "unexpected whitespace at offset 2"},
    {T("1Mi "), "unexpected whitespace at offset 3 after the suffix \"Mi\""},
    {T("1\t"), "unexpected whitespace at offset 1"},
    {T("1\0"), "unexpected byte 0x00 at offset 1"},
    {T("1M\xc3\xad"), "unexpected byte 0xc3 at offset 2 after the suffix \"M\""},
    {T("1\xc2\xb5"), "unexpected byte 0xc2 at offset 1"},
    {T("\xe2\x88\x9e"), "unexpected byte 0xe2 at offset 0"},
    {T("\"1\""), "invalid quantity \"\\\"1\\\"\": unexpected '\"' at offset 0"},
    /* decimal points */
    {T("1.5.5"), "invalid quantity \"1.5.5\": more than one decimal point"},
    {T("1..5"), "more than one decimal point"},
    {T("..5"), "more than one decimal point"},
    {T("0.5."), "more than one decimal point"},
    {T("1,5"), "unexpected ',' at offset 1"},
    {T("1_000"), "unexpected '_' at offset 1"},
    /* suffixes */
    {T("Mi"), "missing number before the suffix"},
    {T("-Mi"), "missing number before the suffix"},
    {T("e3"), "missing number before the suffix"},
    {T("1Qi"), "unknown suffix \"Qi\""},
    {T("1K"), "unknown suffix \"K\""},
    {T("1ki"), "unknown suffix \"ki\""},
    {T("1KI"), "unknown suffix \"KI\""},
    {T("1mi"), "unknown suffix \"mi\""},
    {T("1i"), "unknown suffix \"i\""},
    {T("1KiB"), "unknown suffix \"KiB\""},
    {T("1b"), "unknown suffix \"b\""},
    {T("0x10"), "unknown suffix \"x\""},
    {T("Inf"), "missing number before the suffix"},
    {T("1Ki2"), "unexpected '2' at offset 3 after the suffix \"Ki\""},
    {T("1m1"), "unexpected '1' at offset 2 after the suffix \"m\""},
    {T("1.5 Gi"), "unexpected whitespace at offset 3"},
    /* exponents */
    {T("1e"), "missing exponent digits after \"e\""},
    {T("1e+"), "missing exponent digits after the sign"},
    {T("1e-"), "missing exponent digits after the sign"},
    {T("1E+"), "missing exponent digits after the sign"},
    {T("1e1.5"), "exponent must be an integer"},
    {T("1ee3"), "unknown suffix \"ee\""},
    {T("1e3e3"), "unexpected 'e' at offset 3 after the exponent"},
    {T("1e3Ki"), "unexpected 'K' at offset 3 after the exponent"},
    {T("1e--3"), "missing exponent digits after the sign"},
    {T("1e1001"), "exponent out of range (at most 1000 either way)"},
    {T("1e-1001"), "exponent out of range"},
    {T("0e5000"), "exponent out of range"},
    {T("1e99999999999999999999999"), "exponent out of range"},
    {T("1e00000000000000000000003x"), "unexpected 'x' at offset 25 after the exponent"},
    /* length: 65 bytes is one too many, and the quote is cut */
    {T("11111111111111111111111111111111111111111111111111111111111111111"),
     "...\": longer than 64 characters"},
};

static void test_valid_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(VALID) / sizeof(VALID[0]); i++) {
        struct quantity q;
        struct diag d;
        char buf[256];
        int rc;

        diag_clear(&d);
        rc = quantity_parse(VALID[i].text, strlen(VALID[i].text), &q, FIELD, &d);
        if (rc != 0)
            fail_msg("\"%s\" rejected: %s", VALID[i].text, d.message);
        quantity_format(&q, buf, sizeof(buf));
        if (strcmp(buf, VALID[i].value) != 0)
            fail_msg("\"%s\" parsed as %s, want %s", VALID[i].text, buf, VALID[i].value);
        /* the stored form is normalised: no leading or trailing zeros */
        if (q.sign != 0) {
            size_t n = strlen(q.digits);

            assert_true(n > 0);
            assert_true(q.digits[0] != '0');
            assert_true(q.digits[n - 1] != '0');
        } else {
            assert_string_equal(q.digits, "");
        }
        assert_string_equal(d.message, "");
    }
}

static void test_invalid_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(INVALID) / sizeof(INVALID[0]); i++) {
        struct quantity q;
        struct quantity before;
        struct diag d;
        int rc;

        memset(&q, 0x5a, sizeof(q));
        memcpy(&before, &q, sizeof(q));
        diag_clear(&d);
        rc = quantity_parse(INVALID[i].text, INVALID[i].len, &q, FIELD, &d);
        if (rc != -1)
            fail_msg("case %zu \"%s\" accepted", i, INVALID[i].text);
        if (!strstr(d.message, INVALID[i].why))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, d.message, INVALID[i].why);
        if (strncmp(d.message, "invalid quantity \"", 18) != 0)
            fail_msg("case %zu: message \"%s\" does not quote the input", i, d.message);
        /* lower case start, no full stop */
        assert_true(d.message[strlen(d.message) - 1] != '.');
        assert_string_equal(d.pointer, FIELD);
        /* *out is written only on success */
        assert_memory_equal(&q, &before, sizeof(q));
    }
}

/* The exact message the brief promises, whole. */
static void test_message_exact(void **state)
{
    struct quantity q;
    struct diag d;

    (void)state;
    diag_clear(&d);
    assert_int_equal(quantity_parse("1.5.5", 5, &q, NULL, &d), -1);
    assert_string_equal(d.message, "invalid quantity \"1.5.5\": more than one decimal point");
    assert_string_equal(d.pointer, "");
    assert_int_equal(quantity_parse(NULL, 0, &q, "/x", &d), -1);
    assert_string_equal(d.message, "invalid quantity \"\": empty value");
    assert_string_equal(d.pointer, "/x");
    /* the quote shows every byte the grammar does not allow as the message
     * names it, a valid UTF-8 character too */
    assert_int_equal(quantity_parse("1\xc2\xb5", 3, &q, NULL, &d), -1);
    assert_string_equal(d.message,
                        "invalid quantity \"1\\xc2\\xb5\": unexpected byte 0xc2 at offset 1");
    assert_int_equal(quantity_parse("\"1\x7f\\", 4, &q, NULL, &d), -1);
    assert_string_equal(d.message,
                        "invalid quantity \"\\\"1\\x7f\\\\\": unexpected '\"' at offset 0");
}

/* len bounds the read: text past it is never looked at. */
static void test_length_is_respected(void **state)
{
    struct quantity q;
    struct diag d;
    char buf[64];

    (void)state;
    diag_clear(&d);
    assert_int_equal(quantity_parse("500mXYZ", 4, &q, NULL, &d), 0);
    assert_string_equal(quantity_format(&q, buf, sizeof(buf)), "0.5");
    assert_int_equal(quantity_parse("1Gi", 2, &q, NULL, &d), 0);
    assert_string_equal(quantity_format(&q, buf, sizeof(buf)), "1000000000");
}

/* QUANTITY_TEXT_MAX bytes are accepted, one more is not. */
static void test_length_boundary(void **state)
{
    char text[QUANTITY_TEXT_MAX + 2];
    char want[QUANTITY_TEXT_MAX + 2];
    char buf[QUANTITY_TEXT_MAX + 16];
    struct quantity q;
    struct diag d;

    (void)state;
    memset(text, '9', sizeof(text));
    text[QUANTITY_TEXT_MAX] = '\0';
    diag_clear(&d);
    assert_int_equal(quantity_parse(text, QUANTITY_TEXT_MAX, &q, NULL, &d), 0);
    memcpy(want, text, sizeof(want));
    assert_string_equal(quantity_format(&q, buf, sizeof(buf)), want);

    /* 64 nines of Ei: the biggest binary mantissa still caps cleanly */
    memset(text, '9', sizeof(text));
    memcpy(text + QUANTITY_TEXT_MAX - 2, "Ei", 2);
    assert_int_equal(quantity_parse(text, QUANTITY_TEXT_MAX, &q, NULL, &d), 0);
    assert_string_equal(quantity_format(&q, buf, sizeof(buf)), "9223372036854775807");

    /* 64 digits with a point, all fractional but one */
    memset(text, '1', sizeof(text));
    text[1] = '.';
    assert_int_equal(quantity_parse(text, QUANTITY_TEXT_MAX, &q, NULL, &d), 0);
    assert_string_equal(quantity_format(&q, buf, sizeof(buf)), "1.111111112");

    memset(text, '1', sizeof(text));
    assert_int_equal(quantity_parse(text, QUANTITY_TEXT_MAX + 1, &q, NULL, &d), -1);
    assert_non_null(strstr(d.message, "longer than 64 characters"));
}

/* Largest accepted exponent, formatting into a small buffer. */
static void test_format_bounds(void **state)
{
    struct quantity q;
    struct diag d;
    char big[1100];
    char small[8];
    char want[1002];

    (void)state;
    diag_clear(&d);
    assert_int_equal(quantity_parse("1e1000", 6, &q, NULL, &d), 0);
    assert_int_equal(q.sign, 1);
    assert_string_equal(q.digits, "1");
    assert_int_equal(q.exponent, 1000);
    want[0] = '1';
    memset(want + 1, '0', 1000);
    want[1001] = '\0';
    assert_string_equal(quantity_format(&q, big, sizeof(big)), want);
    assert_string_equal(quantity_format(&q, small, sizeof(small)), "1000000");

    assert_int_equal(quantity_parse("-0.001", 6, &q, NULL, &d), 0);
    assert_string_equal(quantity_format(&q, small, 4), "-0.");
    assert_string_equal(quantity_format(&q, small, 1), "");
    assert_string_equal(quantity_format(&q, small, sizeof(small)), "-0.001");
    /* cap 0 writes nothing */
    small[0] = 'x';
    quantity_format(&q, small, 0);
    assert_int_equal(small[0], 'x');
}

struct cmp_case {
    const char *a;
    const char *b;
    /* -1, 0, +1 */
    int want;
};

static const struct cmp_case CMP[] = {
    {"0.5", "500m", 0},
    {"1Gi", "1G", 1},
    {"1G", "1Gi", -1},
    {"1000m", "1", 0},
    {"1e3", "1k", 0},
    {"1Ki", "1024", 0},
    {"-1", "0", -1},
    {"0", "-1", 1},
    {"0", "0m", 0},
    {"0m", "-0", 0},
    {"-0", "0", 0},
    {"1n", "0.1n", 0},
    {"1n", "1.5n", -1},
    {"2n", "1.5n", 0},
    {"500m", "1000m", -1},
    {"512Mi", "1Gi", -1},
    {"1024Mi", "1Gi", 0},
    {"1.5Gi", "1536Mi", 0},
    {"1.5Gi", "1610612736", 0},
    {"1E", "1e18", 0},
    {"1Ei", "1E", 1},
    {"8Ei", "9223372036854775807", 0},
    {"8Ei", "9223372036854775808", -1},
    {"9Ei", "8Ei", 0},
    {"-8Ei", "-9Ei", 0},
    {"-1", "-2", 1},
    {"-2", "-1", -1},
    {"-1.5", "-1.25", -1},
    {"-1m", "1n", -1},
    {"1m", "999999n", 1},
    {"0.1", "0.09", 1},
    {"0.1", "0.10", 0},
    {"10", "9.99999", 1},
    {"100", "1e2", 0},
    {"1e-3", "1m", 0},
    {"1u", "0.000001", 0},
    {"123456789012345678901234567890", "123456789012345678901234567891", -1},
    {"1e1000", "1e999", 1},
    {"-1e1000", "1e-1000", -1},
    {"1.0000000001", "1.000000001", 0},
    {"1.2", "1.11", 1},
};

static void test_compare_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(CMP) / sizeof(CMP[0]); i++) {
        struct quantity a, b;
        struct diag d;
        int got, back;

        diag_clear(&d);
        assert_int_equal(quantity_parse(CMP[i].a, strlen(CMP[i].a), &a, NULL, &d), 0);
        assert_int_equal(quantity_parse(CMP[i].b, strlen(CMP[i].b), &b, NULL, &d), 0);
        got = quantity_cmp(&a, &b);
        back = quantity_cmp(&b, &a);
        got = (got > 0) - (got < 0);
        back = (back > 0) - (back < 0);
        if (got != CMP[i].want)
            fail_msg("cmp(\"%s\", \"%s\") = %d, want %d", CMP[i].a, CMP[i].b, got,
                     CMP[i].want);
        /* antisymmetric, and every value equals itself */
        assert_int_equal(back, -CMP[i].want);
        assert_int_equal(quantity_cmp(&a, &a), 0);
    }
}

/* Comparison agrees with the order of the valid table's formatted values
 * re-parsed: format then parse is the identity. */
static void test_format_round_trip(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(VALID) / sizeof(VALID[0]); i++) {
        struct quantity a, b;
        struct diag d;
        char buf[256];

        diag_clear(&d);
        assert_int_equal(quantity_parse(VALID[i].text, strlen(VALID[i].text), &a, NULL, &d), 0);
        quantity_format(&a, buf, sizeof(buf));
        if (strlen(buf) > QUANTITY_TEXT_MAX)
            continue;
        assert_int_equal(quantity_parse(buf, strlen(buf), &b, NULL, &d), 0);
        assert_int_equal(quantity_cmp(&a, &b), 0);
        assert_int_equal(a.sign, b.sign);
        assert_string_equal(a.digits, b.digits);
        assert_int_equal(a.exponent, b.exponent);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_table),
        cmocka_unit_test(test_message_exact),
        cmocka_unit_test(test_length_is_respected),
        cmocka_unit_test(test_length_boundary),
        cmocka_unit_test(test_format_bounds),
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_compare_table),
        cmocka_unit_test(test_format_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
