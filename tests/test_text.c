/* Tests for text: JSON type names, UTF-8 (every width, overlongs,
 * surrogates, truncated sequences, C0/C1/F5+ leads), cutting on a character
 * boundary, and quoting and clipping user text into bounded messages.
 * Hostile cases come first in every table. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

/* a literal with its length, so embedded NULs count */
#define T(s) s, sizeof(s) - 1

/* ------------------------------------------------------------ JSON types */

struct type_case {
    /* JSON text */
    const char *json;
    const char *bare;
    const char *article;
};

static const struct type_case TYPES[] = {
    {"null", "null", "null"},
    {"[]", "list", "a list"},
    {"[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]", "list", "a list"},
    {"{}", "object", "an object"},
    {"{\"a\":{\"a\":{\"a\":[]}}}", "object", "an object"},
    {"\"\"", "string", "a string"},
    {"\"[]\"", "string", "a string"},
    {"\"caf\\u00e9\"", "string", "a string"},
    {"0", "number", "a number"},
    {"-1e300", "number", "a number"},
    {"true", "boolean", "a boolean"},
    {"false", "boolean", "a boolean"},
};

static void test_json_type_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++) {
        cJSON *v = cJSON_Parse(TYPES[i].json);

        if (!v)
            fail_msg("case %zu: %s does not parse", i, TYPES[i].json);
        assert_string_equal(text_json_type(v), TYPES[i].bare);
        assert_string_equal(text_json_type_article(v), TYPES[i].article);
        cJSON_Delete(v);
    }
}

/* What parsing never produces still gets a word, never a crash. */
static void test_json_type_no_value(void **state)
{
    cJSON *raw = cJSON_CreateRaw("{\"a\":1}");
    cJSON invalid;

    (void)state;
    assert_non_null(raw);
    memset(&invalid, 0, sizeof(invalid));
    assert_string_equal(text_json_type(NULL), "null");
    assert_string_equal(text_json_type_article(NULL), "null");
    assert_string_equal(text_json_type(&invalid), "null");
    assert_string_equal(text_json_type_article(&invalid), "null");
    assert_string_equal(text_json_type(raw), "null");
    assert_string_equal(text_json_type_article(raw), "null");
    cJSON_Delete(raw);
}

/* ------------------------------------------------------------------ UTF-8 */

struct utf8_case {
    const char *s;
    size_t len;
    /* text_utf8_sequence */
    size_t seq;
    /* the code point when seq > 0 */
    uint32_t cp;
};

static const struct utf8_case UTF8[] = {
    /* nothing to read */
    {T(""), 0, 0},
    /* lone continuation bytes */
    {T("\x80"), 0, 0},
    {T("\xbf"), 0, 0},
    {T("\x80\x80\x80\x80"), 0, 0},
    /* C0 and C1 only ever start overlong forms */
    {T("\xc0\x80"), 0, 0},
    {T("\xc0\xaf"), 0, 0},
    {T("\xc1\xbf"), 0, 0},
    /* F5 and up start nothing in RFC 3629 */
    {T("\xf5\x80\x80\x80"), 0, 0},
    {T("\xf7\xbf\xbf\xbf"), 0, 0},
    {T("\xf8\x88\x80\x80\x80"), 0, 0},
    {T("\xfc\x84\x80\x80\x80\x80"), 0, 0},
    {T("\xfe"), 0, 0},
    {T("\xff"), 0, 0},
    /* overlong 3- and 4-byte forms */
    {T("\xe0\x80\x80"), 0, 0},
    {T("\xe0\x9f\xbf"), 0, 0},
    {T("\xf0\x80\x80\x80"), 0, 0},
    {T("\xf0\x8f\xbf\xbf"), 0, 0},
    /* surrogates, alone or paired CESU-style */
    {T("\xed\xa0\x80"), 0, 0},
    {T("\xed\xbf\xbf"), 0, 0},
    {T("\xed\xa0\xbd\xed\xb8\x80"), 0, 0},
    /* above U+10FFFF */
    {T("\xf4\x90\x80\x80"), 0, 0},
    {T("\xf4\xbf\xbf\xbf"), 0, 0},
    /* cut short by the end of the text */
    {T("\xc2"), 0, 0},
    {T("\xdf"), 0, 0},
    {T("\xe2\x82"), 0, 0},
    {T("\xe2"), 0, 0},
    {T("\xf0\x9f\x98"), 0, 0},
    {T("\xf0\x9f"), 0, 0},
    {T("\xf0"), 0, 0},
    /* the length is honoured even when more bytes follow */
    {"\xe2\x82\xac", 2, 0, 0},
    {"\xf0\x9f\x98\x80", 3, 0, 0},
    {"\xc3\xa9", 1, 0, 0},
    /* a bad continuation byte in any position */
    {T("\xc2\x41"), 0, 0},
    {T("\xc2\xc0"), 0, 0},
    {T("\xe2\x41\xac"), 0, 0},
    {T("\xe2\x82\x41"), 0, 0},
    {T("\xe2\x82\xc0"), 0, 0},
    {T("\xf0\x9f\x41\x80"), 0, 0},
    {T("\xf0\x9f\x98\x41"), 0, 0},
    {T("\xf0\x9f\x98\xf0"), 0, 0},
    /* 1 byte: NUL and DEL are characters (escaping is the caller's) */
    {T("\x00"), 1, 0x00},
    {T("A"), 1, 0x41},
    {T("\x7f"), 1, 0x7F},
    {T("A\x80"), 1, 0x41},
    /* 2 bytes: the edges */
    {T("\xc2\x80"), 2, 0x80},
    {T("\xc2\x85"), 2, 0x85},
    {T("\xc3\xa9"), 2, 0xE9},
    {T("\xdf\xbf"), 2, 0x7FF},
    {T("\xc3\xa9\xff"), 2, 0xE9},
    /* 3 bytes: the edges around the overlongs and the surrogates */
    {T("\xe0\xa0\x80"), 3, 0x800},
    {T("\xe2\x82\xac"), 3, 0x20AC},
    {T("\xec\xbf\xbf"), 3, 0xCFFF},
    {T("\xed\x80\x80"), 3, 0xD000},
    {T("\xed\x9f\xbf"), 3, 0xD7FF},
    {T("\xee\x80\x80"), 3, 0xE000},
    {T("\xef\xbf\xbd"), 3, 0xFFFD},
    {T("\xef\xbf\xbf"), 3, 0xFFFF},
    /* 4 bytes: the edges */
    {T("\xf0\x90\x80\x80"), 4, 0x10000},
    {T("\xf0\x9f\x98\x80"), 4, 0x1F600},
    {T("\xf1\x80\x80\x80"), 4, 0x40000},
    {T("\xf3\xbf\xbf\xbf"), 4, 0xFFFFF},
    {T("\xf4\x80\x80\x80"), 4, 0x100000},
    {T("\xf4\x8f\xbf\xbf"), 4, 0x10FFFF},
};

static void test_utf8_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(UTF8) / sizeof(UTF8[0]); i++) {
        const struct utf8_case *c = &UTF8[i];
        uint32_t cp = 0x12345678;
        size_t n = text_utf8_sequence(c->s, c->len);
        size_t dn = text_utf8_decode(c->s, c->len, &cp);

        if (n != c->seq)
            fail_msg("case %zu: sequence %zu, want %zu", i, n, c->seq);
        if (c->seq) {
            assert_int_equal(dn, c->seq);
            if (cp != c->cp)
                fail_msg("case %zu: U+%04X, want U+%04X", i, (unsigned)cp, (unsigned)c->cp);
        } else {
            /* a caller always advances, except at the end */
            assert_int_equal(dn, c->len ? 1 : 0);
            assert_int_equal(cp, 0xFFFD);
        }
        /* a single sequence is valid exactly when it is all of the text
         * (and no text at all is valid) */
        assert_int_equal(text_utf8_valid(c->s, c->len), c->len == 0 || c->seq == c->len);
    }
}

/* An independent oracle: decode by bit pattern, then rule out what RFC 3629
 * forbids by value (overlong, surrogate, above U+10FFFF). */
static size_t oracle_sequence(const unsigned char *u, size_t len)
{
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n;
    uint32_t cp;

    if (len == 0)
        return 0;
    if (u[0] < 0x80)
        return 1;
    if ((u[0] & 0xE0) == 0xC0)
        n = 2, cp = u[0] & 0x1Fu;
    else if ((u[0] & 0xF0) == 0xE0)
        n = 3, cp = u[0] & 0x0Fu;
    else if ((u[0] & 0xF8) == 0xF0)
        n = 4, cp = u[0] & 0x07u;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (u[i] & 0x3Fu);
    }
    if (cp < least[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return n;
}

/* Every 1-, 2- and 3-byte input, and every 4-byte input whose last two
 * bytes are taken from the edges of each byte class. */
static void test_utf8_against_oracle(void **state)
{
    static const unsigned char edges[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    unsigned char b[4];

    (void)state;
    for (unsigned x = 0; x < 256; x++) {
        b[0] = (unsigned char)x;
        assert_int_equal(text_utf8_sequence((char *)b, 1), oracle_sequence(b, 1));
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (unsigned char)y;
            if (text_utf8_sequence((char *)b, 2) != oracle_sequence(b, 2))
                fail_msg("%02x %02x", x, y);
            if (x < 0xE0 || x > 0xF7)
                continue;
            for (unsigned z = 0; z < 256; z++) {
                b[2] = (unsigned char)z;
                if (text_utf8_sequence((char *)b, 3) != oracle_sequence(b, 3))
                    fail_msg("%02x %02x %02x", x, y, z);
                if (x < 0xF0)
                    continue;
                for (size_t w = 0; w < sizeof(edges); w++) {
                    b[3] = edges[w];
                    if (text_utf8_sequence((char *)b, 4) != oracle_sequence(b, 4))
                        fail_msg("%02x %02x %02x %02x", x, y, z, b[3]);
                }
            }
        }
    }
}

struct valid_case {
    const char *s;
    size_t len;
    bool valid;
};

static const struct valid_case VALID[] = {
    {T(""), true},
    {T("\x00"), true},
    {T("a\0b"), true},
    {T("\x80"), false},
    {T("abc\xe2\x82"), false},
    {T("abc\xed\xa0\x80xyz"), false},
    {T("abc\xc0\xafxyz"), false},
    {T("\xf4\x90\x80\x80"), false},
    {T("\xc3\xa9\xc3"), false},
    {"abc\xe2\x82\xac", 5, false},
    {T("plain ascii, punctuation ~/\"\\"), true},
    {T("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"), true},
    {T("\xf4\x8f\xbf\xbf\xef\xbf\xbf\xdf\xbf\x7f"), true},
};

static void test_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(VALID) / sizeof(VALID[0]); i++)
        if (text_utf8_valid(VALID[i].s, VALID[i].len) != VALID[i].valid)
            fail_msg("case %zu: want %s", i, VALID[i].valid ? "valid" : "invalid");
}

struct prefix_case {
    const char *s;
    size_t len;
    size_t max;
    size_t want;
};

static const struct prefix_case PREFIX[] = {
    /* nothing, nothing allowed */
    {T(""), 0, 0},
    {T(""), 5, 0},
    {T("abc"), 0, 0},
    /* a run of continuation bytes is not UTF-8: cut where it falls */
    {T("a\x80\x80\x80\x80\x80"), 5, 5},
    {T("\x80\x80"), 1, 1},
    {T("\x80\x80\x80\x80"), 3, 3},
    /* stray continuation bytes are backed over too, up to 3; a fourth
     * means no character can end here */
    {T("\xc3\xa9\x80\x80"), 3, 0},
    {T("ab\xbf\xbf\xbf\xbf"), 4, 1},
    {T("ab\xbf\xbf\xbf\xbf"), 5, 5},
    /* ASCII: every byte is a boundary */
    {T("abc"), 1, 1},
    {T("abc"), 2, 2},
    {T("abc"), 3, 3},
    {T("abc"), 100, 3},
    {T("a\0c"), 2, 2},
    /* 2 bytes */
    {T("\xc3\xa9"), 1, 0},
    {T("\xc3\xa9"), 2, 2},
    {T("ab\xc3\xa9"), 2, 2},
    {T("ab\xc3\xa9"), 3, 2},
    {T("ab\xc3\xa9"), 4, 4},
    /* 3 bytes: each place inside the euro sign */
    {T("a\xe2\x82\xacz"), 1, 1},
    {T("a\xe2\x82\xacz"), 2, 1},
    {T("a\xe2\x82\xacz"), 3, 1},
    {T("a\xe2\x82\xacz"), 4, 4},
    {T("a\xe2\x82\xacz"), 5, 5},
    /* 4 bytes */
    {T("\xf0\x9f\x98\x80x"), 1, 0},
    {T("\xf0\x9f\x98\x80x"), 2, 0},
    {T("\xf0\x9f\x98\x80x"), 3, 0},
    {T("\xf0\x9f\x98\x80x"), 4, 4},
    {T("\xf0\x9f\x98\x80\xf0\x9f\x98\x80"), 7, 4},
    /* invalid lead bytes are boundaries like any non-continuation */
    {T("ab\xff\xfe"), 3, 3},
    {T("ab\xc0\x80"), 3, 2},
};

static void test_prefix_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(PREFIX) / sizeof(PREFIX[0]); i++) {
        const struct prefix_case *c = &PREFIX[i];
        size_t n = text_utf8_prefix(c->s, c->len, c->max);

        if (n != c->want)
            fail_msg("case %zu: prefix %zu, want %zu", i, n, c->want);
        assert_true(n <= c->max && n <= c->len);
    }
}

/* Cutting valid text anywhere leaves valid text. */
static void test_prefix_keeps_valid(void **state)
{
    static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z\xdf\xbf\xf4\x8f\xbf\xbf!";

    (void)state;
    for (size_t max = 0; max <= sizeof(s); max++) {
        size_t n = text_utf8_prefix(s, sizeof(s) - 1, max);

        assert_true(text_utf8_valid(s, n));
        /* and never cuts more than one character's worth */
        assert_true(n + 3 >= (max < sizeof(s) - 1 ? max : sizeof(s) - 1));
    }
}

/* -------------------------------------------------------------- messages */

struct escape_case {
    const char *s;
    size_t len;
    size_t max;
    bool ascii;
    size_t cap;
    const char *want;
    size_t consumed;
};

static const struct escape_case ESCAPE[] = {
    /* no room at all, then room for the NUL only */
    {T("abc"), 64, false, 1, "", 0},
    {T(""), 64, false, 8, "", 0},
    {T("abc"), 0, false, 8, "", 0},
    /* a piece is written whole or not at all */
    {T("abc"), 64, false, 2, "a", 1},
    {T("\x01"), 64, false, 4, "", 0},
    {T("\x01"), 64, false, 5, "\\x01", 1},
    {T("\""), 64, false, 2, "", 0},
    {T("\""), 64, false, 3, "\\\"", 1},
    {T("\xc3\xa9"), 64, false, 2, "", 0},
    {T("\xc3\xa9"), 64, false, 3, "\xc3\xa9", 2},
    {T("\xf0\x9f\x98\x80"), 64, false, 4, "", 0},
    {T("\xf0\x9f\x98\x80"), 64, false, 5, "\xf0\x9f\x98\x80", 4},
    /* control bytes, NUL and DEL */
    {T("a\0b"), 64, false, 64, "a\\x00b", 3},
    {T("\x01\x1f\x7f\t\n\r\x1b[2J"), 64, false, 64, "\\x01\\x1f\\x7f\\x09\\x0a\\x0d\\x1b[2J", 10},
    /* quotes and backslashes */
    {T("a\"b\\c"), 64, false, 64, "a\\\"b\\\\c", 5},
    {T("\\x41"), 64, false, 64, "\\\\x41", 4},
    /* not UTF-8: every byte on its own */
    {T("\x80"), 64, false, 64, "\\x80", 1},
    {T("\xc0\x80"), 64, false, 64, "\\xc0\\x80", 2},
    {T("\xc1\xbf"), 64, false, 64, "\\xc1\\xbf", 2},
    {T("\xe0\x80\xaf"), 64, false, 64, "\\xe0\\x80\\xaf", 3},
    {T("\xed\xa0\x80"), 64, false, 64, "\\xed\\xa0\\x80", 3},
    {T("\xf0\x8f\xbf\xbf"), 64, false, 64, "\\xf0\\x8f\\xbf\\xbf", 4},
    {T("\xf4\x90\x80\x80"), 64, false, 64, "\\xf4\\x90\\x80\\x80", 4},
    {T("\xf5\xff\xfe"), 64, false, 64, "\\xf5\\xff\\xfe", 3},
    {T("ab\xe2\x82"), 64, false, 64, "ab\\xe2\\x82", 4},
    {T("\xe2\x82z"), 64, false, 64, "\\xe2\\x82z", 3},
    /* characters of every width are copied; C1 is a character */
    {T("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x85"), 64, false, 64,
     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x85", 17},
    /* ascii: every byte from 80 up is shown */
    {T("1\xc2\xb5"), 64, true, 64, "1\\xc2\\xb5", 3},
    {T("\xf0\x9f\x98\x80"), 64, true, 64, "\\xf0\\x9f\\x98\\x80", 4},
    {T("\"1\""), 64, true, 64, "\\\"1\\\"", 3},
    {T("\x7f~"), 64, true, 64, "\\x7f~", 2},
    /* max: a character that starts before it is written whole */
    {T("abcdef"), 3, false, 64, "abc", 3},
    {T("ab\xe2\x82\xacz"), 2, false, 64, "ab", 2},
    {T("ab\xe2\x82\xacz"), 3, false, 64, "ab\xe2\x82\xac", 5},
    {T("ab\xe2\x82\xacz"), 3, true, 64, "ab\\xe2", 3},
    {T("abc"), 3, false, 64, "abc", 3},
};

static void test_escape_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ESCAPE) / sizeof(ESCAPE[0]); i++) {
        const struct escape_case *c = &ESCAPE[i];
        char *out = malloc(c->cap);
        size_t n;

        assert_non_null(out);
        memset(out, 'x', c->cap);
        n = text_escape(c->s, c->len, c->max, c->ascii, out, c->cap);
        if (strcmp(out, c->want) != 0 || n != c->consumed)
            fail_msg("case %zu: \"%s\" (%zu), want \"%s\" (%zu)", i, out, n, c->want, c->consumed);
        free(out);
    }
}

static void test_escape_cap_zero(void **state)
{
    char out = 'x';

    (void)state;
    assert_int_equal(text_escape("abc", 3, 64, false, &out, 0), 0);
    assert_int_equal(out, 'x');
}

struct quote_case {
    const char *s;
    size_t len;
    size_t max;
    size_t cap;
    const char *want;
};

static const struct quote_case QUOTE[] = {
    /* too small for `""...`: nothing */
    {T("abc"), 64, 1, ""},
    {T("abc"), 64, 5, ""},
    {T(""), 64, 5, ""},
    /* just enough room: the quotes, then what fits */
    {T(""), 64, 6, "\"\""},
    {T("abc"), 64, 6, "\"\"..."},
    {T("abc"), 64, 7, "\"a\"..."},
    {T("abc"), 64, 8, "\"ab\"..."},
    {T("abc"), 64, 9, "\"abc\""},
    {T("\xe2\x82\xac"), 64, 8, "\"\"..."},
    {T("\xe2\x82\xac"), 64, 9, "\"\xe2\x82\xac\""},
    /* hostile bytes */
    {T("a\0b"), 64, 64, "\"a\\x00b\""},
    {T("say \"hi\"\n"), 64, 64, "\"say \\\"hi\\\"\\x0a\""},
    {T("r\xed\xa0\x80s"), 64, 64, "\"r\\xed\\xa0\\x80s\""},
    {T("\xc3"), 64, 64, "\"\\xc3\""},
    /* plain */
    {T(""), 64, 64, "\"\""},
    {T("replicas"), 64, 64, "\"replicas\""},
    {T("r\xc3\xa9plicas"), 64, 64, "\"r\xc3\xa9plicas\""},
    /* cut by max: the dots follow the closing quote */
    {T("abcdef"), 3, 64, "\"abc\"..."},
    {T("abc"), 3, 64, "\"abc\""},
    {T("abcd"), 3, 64, "\"abc\"..."},
    {T("ab\xe2\x82\xac"), 3, 64, "\"ab\xe2\x82\xac\""},
    {T("ab\xe2\x82\xacz"), 3, 64, "\"ab\xe2\x82\xac\"..."},
    {T("abc"), 0, 64, "\"\"..."},
    {T("..."), 2, 64, "\"..\"..."},
};

static void test_quote_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(QUOTE) / sizeof(QUOTE[0]); i++) {
        const struct quote_case *c = &QUOTE[i];
        char *out = malloc(c->cap);

        assert_non_null(out);
        memset(out, 'x', c->cap);
        assert_ptr_equal(text_quote(c->s, c->len, c->max, out, c->cap), out);
        if (strcmp(out, c->want) != 0)
            fail_msg("case %zu: %s, want %s", i, out, c->want);
        free(out);
    }
}

/* TEXT_QUOTE_SIZE(max) holds the worst case exactly: every byte escaped,
 * or a 4-byte character starting at the last place, and the dots. The
 * buffer is allocated to the byte so ASan sees any overrun. */
static void test_quote_size_is_enough(void **state)
{
    size_t cap = TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX);
    char *out = malloc(cap);
    char in[200];

    (void)state;
    assert_non_null(out);
    memset(in, 0x01, sizeof(in));
    text_quote(in, sizeof(in), TEXT_QUOTE_MAX, out, cap);
    assert_int_equal(strlen(out), cap - 1);
    assert_string_equal(out + cap - 1 - 4, "\"...");

    memset(in, 0xFF, sizeof(in));
    text_quote(in, sizeof(in), TEXT_QUOTE_MAX, out, cap);
    assert_int_equal(strlen(out), cap - 1);

    memset(in, 0x01, sizeof(in));
    memcpy(in + TEXT_QUOTE_MAX - 1, "\xf0\x9f\x98\x80", 4);
    text_quote(in, sizeof(in), TEXT_QUOTE_MAX, out, cap);
    assert_int_equal(strlen(out), 1 + 4 * (TEXT_QUOTE_MAX - 1) + 4 + 1 + 3);
    assert_non_null(strstr(out, "\xf0\x9f\x98\x80\"..."));
    free(out);
}

/* A megabyte of input is quoted in bounded space. */
static void test_quote_huge(void **state)
{
    size_t len = 1u << 20;
    char *big = malloc(len);
    char out[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];

    (void)state;
    assert_non_null(big);
    memset(big, 'k', len);
    text_quote(big, len, TEXT_QUOTE_MAX, out, sizeof(out));
    assert_int_equal(strlen(out), 1 + TEXT_QUOTE_MAX + 1 + 3);
    assert_int_equal(text_escape(big, len, len, false, out, sizeof(out)), sizeof(out) - 1);
    free(big);
}

struct clip_case {
    const char *s;
    size_t len;
    size_t max;
    size_t cap;
    const char *want;
};

static const struct clip_case CLIP[] = {
    /* too small for "...": nothing */
    {T("abc"), 64, 1, ""},
    {T("abc"), 64, 3, ""},
    {T(""), 64, 3, ""},
    /* a small cap lowers max to cap - 4 */
    {T("abc"), 64, 4, "..."},
    {T("abc"), 64, 6, "ab..."},
    {T("abc"), 64, 7, "abc"},
    {T("a\xe2\x82\xac"), 64, 7, "a..."},
    {T("abcdef"), 3, 6, "ab..."},
    {T("abcdef"), 3, 7, "abc..."},
    /* control bytes become '?', nothing else changes */
    {T("a\tb\x7f\x1b[2J\n"), 64, 68, "a?b??[2J?"},
    {T("say \"hi\" \\"), 64, 68, "say \"hi\" \\"},
    {T("\xff\xc0\x80\xed\xa0\x80"), 64, 68, "\xff\xc0\x80\xed\xa0\x80"},
    {T("caf\xc3\xa9 \xc2\x85"), 64, 68, "caf\xc3\xa9 \xc2\x85"},
    /* a NUL in the text is a control byte too */
    {T("a\0b"), 64, 68, "a?b"},
    /* cut by max on a boundary, then the dots */
    {T(""), 64, 68, ""},
    {T("abc"), 3, 7, "abc"},
    {T("abcd"), 3, 7, "abc..."},
    {T("ab\xe2\x82\xac"), 3, 7, "ab..."},
    {T("ab\xe2\x82\xac"), 4, 8, "ab..."},
    {T("ab\xe2\x82\xac"), 5, 9, "ab\xe2\x82\xac"},
    {T("\xf0\x9f\x98\x80\xf0\x9f\x98\x80"), 7, 11, "\xf0\x9f\x98\x80..."},
    {T("abc"), 0, 4, "..."},
};

static void test_clip_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CLIP) / sizeof(CLIP[0]); i++) {
        const struct clip_case *c = &CLIP[i];
        char *out = malloc(c->cap);

        assert_non_null(out);
        memset(out, 'x', c->cap);
        assert_ptr_equal(text_clip(c->s, c->len, c->max, out, c->cap), out);
        if (strcmp(out, c->want) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, out, c->want);
        assert_true(strlen(out) < c->cap);
        free(out);
    }
}

static void test_clip_in_place(void **state)
{
    char line[20] = "a\tbcdefghij\xe2\x82\xac";

    (void)state;
    /* 14 bytes fit whole */
    text_clip(line, strlen(line), 14, line, sizeof(line));
    assert_string_equal(line, "a?bcdefghij\xe2\x82\xac");
    /* cut inside the euro sign: back to its start */
    text_clip(line, strlen(line), 12, line, sizeof(line));
    assert_string_equal(line, "a?bcdefghij...");
}

static void test_clip_cap_zero(void **state)
{
    char out = 'x';

    (void)state;
    text_clip("abc", 3, 64, &out, 0);
    assert_int_equal(out, 'x');
    text_quote("abc", 3, 64, &out, 0);
    assert_int_equal(out, 'x');
}

/* decimal integers: the extremes, zero, signs; compared with printf */
/* text_controls_free against the byte-by-byte definition: every position
 * of a control byte in strings long enough for the word loop, every byte
 * value, and the neighbours that trip the word test without being control
 * bytes (0x80-0xFF, 0x20, 0x7E, 0x80 after a borrow). */
static size_t controls_free_oracle(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len && s[i] >= 0x20 && s[i] != 0x7F)
        i++;
    return i;
}

static void test_controls_free(void **state)
{
    unsigned char buf[40];

    (void)state;
    assert_int_equal(text_controls_free("", 0), 0);
    assert_int_equal(text_controls_free("added livenessProbe to container web", 36), 36);
    assert_int_equal(text_controls_free("a\nb", 3), 1);
    /* the length bounds the scan, not a NUL */
    assert_int_equal(text_controls_free("abc\0def", 8), 3);
    assert_int_equal(text_controls_free("abc\x7f", 4), 3);
    for (int v = 0; v < 256; v++) {
        for (size_t at = 0; at < sizeof(buf); at++) {
            /* a UTF-8-ish background with high bytes and edge values */
            for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (unsigned char)(i % 5 == 0 ? 0xC3 : i % 5 == 1 ? 0xA9 : i % 5 == 2 ? 0x20
                                         : i % 5 == 3 ? 0x7E : 0x80 + i);
            buf[at] = (unsigned char)v;
            for (size_t len = at; len <= sizeof(buf); len += 7)
                assert_int_equal(text_controls_free((const char *)buf, len), controls_free_oracle(buf, len));
        }
    }
}

static void test_int(void **state)
{
    static const long long cases[] = {0, 1, -1, 9, 10, -10, 1000, 2147483648LL, -2147483649LL,
                                      LLONG_MAX, LLONG_MIN, LLONG_MIN + 1};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char digits[TEXT_INT_SIZE], want[32];
        size_t n;
        const char *p = text_int(cases[i], digits, &n);

        snprintf(want, sizeof(want), "%lld", cases[i]);
        assert_int_equal(n, strlen(want));
        assert_memory_equal(p, want, n);
        assert_ptr_equal(p + n, digits + TEXT_INT_SIZE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_type_no_value),
        cmocka_unit_test(test_json_type_table),
        cmocka_unit_test(test_utf8_table),
        cmocka_unit_test(test_utf8_against_oracle),
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_prefix_table),
        cmocka_unit_test(test_prefix_keeps_valid),
        cmocka_unit_test(test_escape_cap_zero),
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_quote_table),
        cmocka_unit_test(test_quote_size_is_enough),
        cmocka_unit_test(test_quote_huge),
        cmocka_unit_test(test_clip_cap_zero),
        cmocka_unit_test(test_clip_table),
        cmocka_unit_test(test_clip_in_place),
        cmocka_unit_test(test_controls_free),
        cmocka_unit_test(test_int),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
