#include "quantity.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

/* Accepted text (k8s.io/apimachinery/pkg/api/resource, quantity.go):
 *
 *   quantity     ::= sign? number suffix?
 *   sign         ::= "+" | "-"
 *   number       ::= digits | digits "." digits | digits "." | "." digits
 *   digits       ::= [0-9]+
 *   suffix       ::= "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E"
 *                  | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
 *                  | ("e" | "E") sign? digits         (a decimal exponent)
 *
 * "E" alone is exa (10^18); "E" followed by digits is an exponent, as in
 * apimachinery's suffix table lookup before its exponent fallback.
 *
 * Limits, where this parser is stricter than apimachinery on purpose:
 * - at most QUANTITY_TEXT_MAX bytes;
 * - a written exponent must satisfy |exponent| <= QUANTITY_EXPONENT_MAX.
 *   apimachinery reads it as an int64 and then silently truncates it to the
 *   int32 scale of inf.Dec, so a larger exponent has no meaningful value
 *   there either;
 * - a sign, or a "." with no digit around it ("+", "-", "."), is an error:
 *   apimachinery's fast scanner happens to read those as 0, its documented
 *   grammar does not allow them.
 *
 * The value then follows ParseQuantity exactly: binary suffixes multiply by
 * 2^(10k); a non-zero magnitude is rounded up (away from zero) to a multiple
 * of 10^-9 (inf.RoundUp at scale Nano: "if you want some resources, you
 * should get some resources"); a binary-SI magnitude above 2^63-1 is capped
 * at 2^63-1 (maxAllowed). Decimal values are not capped. */

#define QUANTITY_EXPONENT_MAX 1000
/* apimachinery keeps nothing finer than 1n */
#define QUANTITY_SCALE_MIN (-9)
/* working space: the mantissa digits (< QUANTITY_TEXT_MAX) times 2^60 */
#define WORK_DIGITS (QUANTITY_TEXT_MAX + 24)

static const char BINARY_CAP[] = "9223372036854775807";

struct suffix_entry {
    const char *text;
    /* 10 or 2 */
    int base;
    /* power of the base */
    int power;
};

static const struct suffix_entry SUFFIXES[] = {
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3},
    {"M", 10, 6},  {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15},
    {"E", 10, 18}, {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30},
    {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
};

/* A non-negative decimal under construction: d[0..n) are digit values,
 * least significant first, value = d * 10^exp. */
struct work {
    unsigned char d[WORK_DIGITS];
    size_t n;
    long exp;
};

/* The message quotes the input with every byte outside printable ASCII as
 * \xNN (the grammar is ASCII, and the messages name bytes by offset and
 * value): `"1.5.5"`, `"1\xc2\xb5"`. Past QUANTITY_TEXT_MAX bytes the quote
 * is cut and ends in `..."`. */
static int fail(const char *text, size_t len, const char *field, struct diag *d,
                const char *what)
{
    char shown[4 * QUANTITY_TEXT_MAX + 1];
    size_t n = text_escape(text, len, QUANTITY_TEXT_MAX, true, shown, sizeof(shown));

    return diag_set(d, field, "invalid quantity \"%s%s\": %s", shown, n < len ? "..." : "",
                    what);
}

/* Describes the byte at text[at] as unexpected; the caller passes it to fail. */
static void describe_unexpected(const char *text, size_t at, const char *after,
                                char *buf, size_t cap)
{
    unsigned char c = (unsigned char)text[at];

    if (c == ' ' || c == '\t')
        snprintf(buf, cap, "unexpected whitespace at offset %zu%s (quantities contain no spaces)",
                 at, after);
    else if (c < 0x20 || c > 0x7e)
        snprintf(buf, cap, "unexpected byte 0x%02x at offset %zu%s", c, at, after);
    else
        snprintf(buf, cap, "unexpected '%c' at offset %zu%s", c, at, after);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* w *= m, for a small m; 0 or -1 when the digits no longer fit */
static int work_multiply(struct work *w, unsigned m)
{
    unsigned carry = 0;
    size_t i;

    for (i = 0; i < w->n; i++) {
        unsigned v = (unsigned)w->d[i] * m + carry;

        w->d[i] = (unsigned char)(v % 10);
        carry = v / 10;
    }
    while (carry) {
        if (w->n >= WORK_DIGITS)
            return -1;
        w->d[w->n++] = (unsigned char)(carry % 10);
        carry /= 10;
    }
    return 0;
}

/* drops leading (most significant) and trailing zeros; n == 0 means zero */
static void work_normalise(struct work *w)
{
    size_t lead = 0;

    while (w->n > 0 && w->d[w->n - 1] == 0)
        w->n--;
    while (lead < w->n && w->d[lead] == 0)
        lead++;
    if (lead) {
        memmove(w->d, w->d + lead, w->n - lead);
        w->n -= lead;
        w->exp += (long)lead;
    }
}

/* Rounds a normalised non-zero w away from zero to a multiple of
 * 10^QUANTITY_SCALE_MIN. */
static void work_round_up_to_nano(struct work *w)
{
    size_t drop;
    size_t i;

    if (w->n == 0 || w->exp >= QUANTITY_SCALE_MIN)
        return;
    drop = (size_t)(QUANTITY_SCALE_MIN - w->exp);
    if (drop >= w->n) {
        /* the whole value is below 1n */
        w->d[0] = 1;
        w->n = 1;
        w->exp = QUANTITY_SCALE_MIN;
        return;
    }
    /* w is normalised, so its last digit is non-zero and dropping it loses
     * something: add one unit at the new last place */
    memmove(w->d, w->d + drop, w->n - drop);
    w->n -= drop;
    w->exp = QUANTITY_SCALE_MIN;
    for (i = 0; i < w->n; i++) {
        if (w->d[i] < 9) {
            w->d[i]++;
            break;
        }
        w->d[i] = 0;
    }
    if (i == w->n)
        w->d[w->n++] = 1; /* 999n + 1n: fits, the mantissa had room to drop */
    work_normalise(w);
}

/* Compares normalised, non-zero w with the integer given as decimal text. */
static int work_cmp_integer(const struct work *w, const char *integer)
{
    long wlen = (long)w->n + w->exp;
    long ilen = (long)strlen(integer);
    size_t i;

    if (wlen != ilen)
        return wlen < ilen ? -1 : 1;
    for (i = 0; i < (size_t)ilen; i++) {
        int wd = i < w->n ? w->d[w->n - 1 - i] : 0;
        int id = integer[i] - '0';

        if (wd != id)
            return wd < id ? -1 : 1;
    }
    /* equal leading digits; w may still have a fractional tail */
    return w->n > (size_t)ilen ? 1 : 0;
}

static void work_set_integer(struct work *w, const char *integer)
{
    size_t len = strlen(integer);
    size_t i;

    for (i = 0; i < len; i++)
        w->d[i] = (unsigned char)(integer[len - 1 - i] - '0');
    w->n = len;
    w->exp = 0;
    work_normalise(w);
}

/* see quantity.h */
int quantity_parse(const char *text, size_t len, struct quantity *out,
                   const char *field, struct diag *d)
{
    char what[160];
    size_t pos = 0;
    int negative = 0;
    size_t int_start, int_len, frac_start = 0, frac_len = 0;
    int has_point = 0;
    const struct suffix_entry *suffix = NULL;
    long written_exp = 0;
    struct work w;
    size_t i;

    if (!text || len == 0)
        return fail("", 0, field, d, "empty value");
    if (len > QUANTITY_TEXT_MAX) {
        snprintf(what, sizeof(what), "longer than %d characters", QUANTITY_TEXT_MAX);
        return fail(text, len, field, d, what);
    }

    if (text[pos] == '+' || text[pos] == '-') {
        negative = text[pos] == '-';
        pos++;
    }
    int_start = pos;
    while (pos < len && is_digit(text[pos]))
        pos++;
    int_len = pos - int_start;
    if (pos < len && text[pos] == '.') {
        has_point = 1;
        pos++;
        frac_start = pos;
        while (pos < len && is_digit(text[pos]))
            pos++;
        frac_len = pos - frac_start;
    }
    if (has_point && pos < len && text[pos] == '.')
        return fail(text, len, field, d, "more than one decimal point");
    if (int_len == 0 && frac_len == 0) {
        if (pos < len && (text[pos] == '+' || text[pos] == '-'))
            return fail(text, len, field, d, "more than one sign");
        if (has_point)
            return fail(text, len, field, d, "no digits around the decimal point");
        if (pos < len && is_letter(text[pos]))
            return fail(text, len, field, d, "missing number before the suffix");
        if (pos < len) {
            describe_unexpected(text, pos, "", what, sizeof(what));
            return fail(text, len, field, d, what);
        }
        return fail(text, len, field, d, "missing number");
    }

    if (pos < len && (text[pos] == 'e' || text[pos] == 'E') && pos + 1 < len &&
        (is_digit(text[pos + 1]) || text[pos + 1] == '+' || text[pos + 1] == '-')) {
        /* decimal exponent */
        int exp_negative = 0;
        size_t exp_digits;

        pos++;
        if (text[pos] == '+' || text[pos] == '-') {
            exp_negative = text[pos] == '-';
            pos++;
        }
        exp_digits = pos;
        while (pos < len && is_digit(text[pos])) {
            if (written_exp <= QUANTITY_EXPONENT_MAX)
                written_exp = written_exp * 10 + (text[pos] - '0');
            pos++;
        }
        if (pos == exp_digits)
            return fail(text, len, field, d, "missing exponent digits after the sign");
        if (pos < len && text[pos] == '.')
            return fail(text, len, field, d, "exponent must be an integer");
        if (pos < len) {
            describe_unexpected(text, pos, " after the exponent", what, sizeof(what));
            return fail(text, len, field, d, what);
        }
        if (written_exp > QUANTITY_EXPONENT_MAX) {
            snprintf(what, sizeof(what), "exponent out of range (at most %d either way)",
                     QUANTITY_EXPONENT_MAX);
            return fail(text, len, field, d, what);
        }
        if (exp_negative)
            written_exp = -written_exp;
    } else if (pos < len && is_letter(text[pos])) {
        size_t s = pos;
        size_t k;

        while (pos < len && is_letter(text[pos]))
            pos++;
        for (k = 0; k < sizeof(SUFFIXES) / sizeof(SUFFIXES[0]); k++) {
            if (strlen(SUFFIXES[k].text) == pos - s &&
                memcmp(SUFFIXES[k].text, text + s, pos - s) == 0) {
                suffix = &SUFFIXES[k];
                break;
            }
        }
        if (!suffix) {
            if (pos - s == 1 && (text[s] == 'e') && pos == len)
                return fail(text, len, field, d, "missing exponent digits after \"e\"");
            snprintf(what, sizeof(what),
                     "unknown suffix \"%.*s\" (use n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, "
                     "Ti, Pi, Ei or an exponent such as e3)",
                     (int)(pos - s), text + s);
            return fail(text, len, field, d, what);
        }
        if (pos < len) {
            char after[40];

            snprintf(after, sizeof(after), " after the suffix \"%s\"", suffix->text);
            describe_unexpected(text, pos, after, what, sizeof(what));
            return fail(text, len, field, d, what);
        }
    } else if (pos < len) {
        describe_unexpected(text, pos, "", what, sizeof(what));
        return fail(text, len, field, d, what);
    }

    /* the text is valid: compute the value */
    memset(&w, 0, sizeof(w));
    for (i = 0; i < frac_len; i++)
        w.d[w.n++] = (unsigned char)(text[frac_start + frac_len - 1 - i] - '0');
    for (i = 0; i < int_len; i++)
        w.d[w.n++] = (unsigned char)(text[int_start + int_len - 1 - i] - '0');
    w.exp = -(long)frac_len + written_exp;
    work_normalise(&w);
    if (suffix && suffix->base == 10)
        w.exp += suffix->power;
    if (suffix && suffix->base == 2 && w.n > 0) {
        for (i = 0; i < (size_t)suffix->power / 10; i++) {
            if (work_multiply(&w, 1024) < 0)
                return fail(text, len, field, d, "too many digits");
        }
        work_normalise(&w);
    }
    work_round_up_to_nano(&w);
    if (suffix && suffix->base == 2 && w.n > 0 && work_cmp_integer(&w, BINARY_CAP) > 0)
        work_set_integer(&w, BINARY_CAP);

    if (w.n > QUANTITY_DIGITS_MAX)
        return fail(text, len, field, d, "too many digits");
    memset(out, 0, sizeof(*out));
    if (w.n == 0) {
        out->sign = 0;
        out->exponent = 0;
        return 0;
    }
    out->sign = negative ? -1 : 1;
    for (i = 0; i < w.n; i++)
        out->digits[i] = (char)('0' + w.d[w.n - 1 - i]);
    out->digits[w.n] = '\0';
    out->exponent = (int)w.exp;
    return 0;
}

/* see quantity.h */
int quantity_cmp(const struct quantity *a, const struct quantity *b)
{
    size_t alen, blen, i;
    long amag, bmag;
    int r = 0;

    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0)
        return 0;
    alen = strnlen(a->digits, QUANTITY_DIGITS_MAX);
    blen = strnlen(b->digits, QUANTITY_DIGITS_MAX);
    /* position of the most significant digit decides first */
    amag = (long)alen + a->exponent;
    bmag = (long)blen + b->exponent;
    if (amag != bmag) {
        r = amag < bmag ? -1 : 1;
    } else {
        for (i = 0; i < alen || i < blen; i++) {
            char ad = i < alen ? a->digits[i] : '0';
            char bd = i < blen ? b->digits[i] : '0';

            if (ad != bd) {
                r = ad < bd ? -1 : 1;
                break;
            }
        }
    }
    return a->sign < 0 ? -r : r;
}

/* appends c to buf at *o, keeping room for the NUL */
static void put(char *buf, size_t cap, size_t *o, char c)
{
    if (*o + 1 < cap)
        buf[(*o)++] = c;
}

/* see quantity.h */
const char *quantity_format(const struct quantity *q, char *buf, size_t cap)
{
    size_t o = 0;
    size_t n, i;
    long e;

    if (!cap)
        return buf;
    if (q->sign == 0) {
        put(buf, cap, &o, '0');
        buf[o] = '\0';
        return buf;
    }
    n = strnlen(q->digits, QUANTITY_DIGITS_MAX);
    e = q->exponent;
    if (q->sign < 0)
        put(buf, cap, &o, '-');
    if (e >= 0) {
        for (i = 0; i < n; i++)
            put(buf, cap, &o, q->digits[i]);
        for (; e > 0 && o + 1 < cap; e--)
            put(buf, cap, &o, '0');
    } else if ((size_t)-e >= n) {
        long zeros = -e - (long)n;

        put(buf, cap, &o, '0');
        put(buf, cap, &o, '.');
        for (; zeros > 0 && o + 1 < cap; zeros--)
            put(buf, cap, &o, '0');
        for (i = 0; i < n; i++)
            put(buf, cap, &o, q->digits[i]);
    } else {
        size_t int_digits = n - (size_t)-e;

        for (i = 0; i < n; i++) {
            if (i == int_digits)
                put(buf, cap, &o, '.');
            put(buf, cap, &o, q->digits[i]);
        }
    }
    buf[o] = '\0';
    return buf;
}
