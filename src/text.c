#include "text.h"

#include <string.h>

static const char HEX[] = "0123456789abcdef";

/* The six JSON types in the order of both tables below; null last, as
 * what everything else reads. */
enum json_kind { KIND_OBJECT, KIND_LIST, KIND_STRING, KIND_NUMBER, KIND_BOOLEAN, KIND_NULL };

static const char *const TYPE_NAMES[] = {"object", "list", "string", "number", "boolean", "null"};
static const char *const TYPE_ARTICLES[] = {"an object", "a list",    "a string",
                                            "a number",  "a boolean", "null"};

static enum json_kind json_kind(const cJSON *item)
{
    if (cJSON_IsObject(item))
        return KIND_OBJECT;
    if (cJSON_IsArray(item))
        return KIND_LIST;
    if (cJSON_IsString(item))
        return KIND_STRING;
    if (cJSON_IsNumber(item))
        return KIND_NUMBER;
    if (cJSON_IsBool(item))
        return KIND_BOOLEAN;
    return KIND_NULL;
}

/* see text.h */
const char *text_json_type(const cJSON *item)
{
    return TYPE_NAMES[json_kind(item)];
}

/* see text.h */
const char *text_json_type_article(const cJSON *item)
{
    return TYPE_ARTICLES[json_kind(item)];
}

static bool continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* see text.h */
size_t text_utf8_sequence(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    /* the second byte's range narrows after E0, ED, F0 and F4 (RFC 3629
     * section 4): that is what rules out overlongs, surrogates and code
     * points above U+10FFFF */
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (len == 0)
        return 0;
    if (u[0] < 0x80)
        return 1;
    if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        n = 2;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        n = 3;
        if (u[0] == 0xE0)
            lo = 0xA0;
        else if (u[0] == 0xED)
            hi = 0x9F;
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        n = 4;
        if (u[0] == 0xF0)
            lo = 0x90;
        else if (u[0] == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (len < n || u[1] < lo || u[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (!continuation(u[i]))
            return 0;
    return n;
}

/* see text.h */
bool text_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = text_utf8_sequence(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* see text.h */
size_t text_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = text_utf8_sequence(s, len);
    uint32_t v;

    if (n == 0) {
        *cp = 0xFFFD;
        return len ? 1 : 0;
    }
    /* the lead byte keeps 7, 5, 4 or 3 bits; each continuation adds 6 */
    v = n == 1 ? u[0] : n == 2 ? u[0] & 0x1Fu : n == 3 ? u[0] & 0x0Fu : u[0] & 0x07u;
    for (size_t i = 1; i < n; i++)
        v = (v << 6) | (u[i] & 0x3Fu);
    *cp = v;
    return n;
}

/* see text.h */
size_t text_controls_free(const char *s, size_t len)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    /* eight bytes at a time while the word has no byte below 0x20 (among
     * those below 0x80) and none equal to 0x7F; the tests can flag a word
     * that has neither (a borrow), never miss one: it is then read byte by
     * byte */
    for (; len - i >= 8; i += 8) {
        uint64_t x, del;

        memcpy(&x, u + i, 8);
        del = x ^ (ones * 0x7F);
        if (((x - ones * 0x20) & ~x & highs) || ((del - ones) & ~del & highs))
            break;
    }
    while (i < len && u[i] >= 0x20 && u[i] != 0x7F)
        i++;
    return i;
}

/* see text.h */
size_t text_utf8_prefix(const char *s, size_t len, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = max;

    if (len <= max)
        return len;
    for (int back = 0; back < 3 && n > 0 && continuation(u[n]); back++)
        n--;
    if (continuation(u[n]))
        n = max;
    return n;
}

/* see text.h */
size_t text_escape(const char *s, size_t len, size_t max, bool ascii, char *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, i = 0;

    if (cap == 0)
        return 0;
    while (i < len && i < max) {
        size_t n = text_utf8_sequence(s + i, len - i);
        char piece[4];
        const char *from = piece;
        size_t k;

        if (n == 0 || u[i] < 0x20 || u[i] == 0x7F || (ascii && u[i] >= 0x80)) {
            piece[0] = '\\';
            piece[1] = 'x';
            piece[2] = HEX[u[i] >> 4];
            piece[3] = HEX[u[i] & 0xF];
            k = 4;
            n = 1;
        } else if (u[i] == '"' || u[i] == '\\') {
            piece[0] = '\\';
            piece[1] = (char)u[i];
            k = 2;
        } else {
            from = s + i;
            k = n;
        }
        if (o + k >= cap)
            break;
        memcpy(out + o, from, k);
        o += k;
        i += n;
    }
    out[o] = '\0';
    return i;
}

/* see text.h */
const char *text_quote(const char *s, size_t len, size_t max, char *out, size_t cap)
{
    size_t o, shown;

    /* `""...` and the NUL */
    if (cap < 6) {
        if (cap)
            out[0] = '\0';
        return out;
    }
    out[0] = '"';
    /* keep room for the closing quote and "..." */
    shown = text_escape(s, len, max, false, out + 1, cap - 5);
    o = 1 + strlen(out + 1);
    out[o++] = '"';
    if (shown < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* see text.h */
const char *text_clip(const char *s, size_t len, size_t max, char *out, size_t cap)
{
    size_t n;

    if (cap < 4) {
        if (cap)
            out[0] = '\0';
        return out;
    }
    if (max > cap - 4)
        max = cap - 4;
    n = text_utf8_prefix(s, len, max);
    /* forwards, byte for byte: safe when out is s */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    if (n < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* see text.h */
const char *text_int(long long v, char digits[TEXT_INT_SIZE], size_t *len)
{
    char *p = digits + TEXT_INT_SIZE;
    /* the magnitude as unsigned, so LLONG_MIN negates without overflow */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    *len = (size_t)(digits + TEXT_INT_SIZE - p);
    return p;
}
