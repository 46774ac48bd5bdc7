#include "jsonprint.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Bytes a JSON string from cJSON does not carry as they are: 1 for the
 * control characters and for '"' and '\\'. */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 00-0F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 10-1F */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 20-2F: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 30-3F */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 40-4F */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 50-5F: '\\' */
};

/* snprintf-style output: bytes past the room are counted, not written */
struct writer {
    char *out;
    /* bytes that may be written, the NUL excluded */
    size_t room;
    size_t len;
};

static void put(struct writer *w, const char *s, size_t n)
{
    if (w->len < w->room) {
        size_t k = w->room - w->len < n ? w->room - w->len : n;
        memcpy(w->out + w->len, s, k);
    }
    w->len += n;
}

static void put_char(struct writer *w, char c)
{
    if (w->len < w->room)
        w->out[w->len] = c;
    w->len++;
}

/* How many bytes from p[0..n) need no escape: eight at a time while no
 * byte of the word is below 0x20, '"' or '\\' (the word tests have no
 * false negatives; a word that may hold one is read byte by byte). */
static size_t plain_run(const unsigned char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;

    for (; n - i >= 8; i += 8) {
        uint64_t x, quote, backslash;

        memcpy(&x, p + i, 8);
        quote = x ^ (ones * '"');
        backslash = x ^ (ones * '\\');
        if (((x - ones * 0x20) & ~x & highs) || ((quote - ones) & ~quote & highs) ||
            ((backslash - ones) & ~backslash & highs))
            break;
    }
    while (i < n && !needs_escape[p[i]])
        i++;
    return i;
}

static void put_string(struct writer *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    put_char(w, '"');
    for (;;) {
        size_t run = 0;
        char esc[6] = {'\\', 'u', '0', '0', 0, 0};

        /* short pieces (most names) byte by byte (the NUL stops it too);
         * past 16 bytes, the rest by words */
        while (run < 16 && !needs_escape[p[run]])
            run++;
        if (run == 16)
            run += plain_run(p + 16, strlen((const char *)p + 16));
        put(w, (const char *)p, run);
        p += run;
        if (!*p)
            break;
        switch (*p) {
        case '"':
        case '\\':
            esc[1] = (char)*p;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xF];
            put(w, esc, 6);
            p++;
            continue;
        }
        put(w, esc, 2);
        p++;
    }
    put_char(w, '"');
}

/* The integers every branch of cJSON's number printer writes as their
 * digits ("%d" of valueint, "%1.15g" below 1e15); false for the rest. */
static bool put_integer(struct writer *w, double d)
{
    char digits[24];
    char *p = digits + sizeof(digits);
    unsigned long long u;

    /* the range test first: the cast is only defined inside it */
    if (!(fabs(d) < 1e15) || d != (double)(long long)d || (d == 0 && signbit(d)))
        return false;
    u = d < 0 ? (unsigned long long)-(long long)d : (unsigned long long)d;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (d < 0)
        *--p = '-';
    put(w, p, (size_t)(digits + sizeof(digits) - p));
    return true;
}

/* The direct printer; false on anything it leaves to cJSON. */
static bool put_value(struct writer *w, const cJSON *item, int depth)
{
    const cJSON *c;

    if (depth > JSONPRINT_DEPTH_MAX)
        return false;
    switch (item->type & 0xFF) {
    case cJSON_NULL:
        put(w, "null", 4);
        return true;
    case cJSON_False:
        put(w, "false", 5);
        return true;
    case cJSON_True:
        put(w, "true", 4);
        return true;
    case cJSON_Number:
        return put_integer(w, item->valuedouble);
    case cJSON_String:
        if (!item->valuestring)
            return false;
        put_string(w, item->valuestring);
        return true;
    case cJSON_Array:
        put_char(w, '[');
        for (c = item->child; c; c = c->next) {
            if (c != item->child)
                put_char(w, ',');
            if (!put_value(w, c, depth + 1))
                return false;
        }
        put_char(w, ']');
        return true;
    case cJSON_Object:
        put_char(w, '{');
        for (c = item->child; c; c = c->next) {
            if (!c->string)
                return false;
            if (c != item->child)
                put_char(w, ',');
            put_string(w, c->string);
            put_char(w, ':');
            if (!put_value(w, c, depth + 1))
                return false;
        }
        put_char(w, '}');
        return true;
    }
    return false;
}

static void terminate(const struct writer *w, char *out, size_t cap)
{
    if (cap)
        out[w->len < w->room ? w->len : w->room] = '\0';
}

/* see jsonprint.h */
int jsonprint(const cJSON *item, char *out, size_t cap, size_t *len)
{
    struct writer w = {out, cap ? cap - 1 : 0, 0};
    char *text;

    *len = 0;
    if (!item) {
        terminate(&w, out, cap);
        return -1;
    }
    if (put_value(&w, item, 0)) {
        terminate(&w, out, cap);
        *len = w.len;
        return 0;
    }
    w.len = 0;
    text = cJSON_PrintUnformatted(item);
    if (!text) {
        terminate(&w, out, cap);
        return -1;
    }
    put(&w, text, strlen(text));
    cJSON_free(text);
    terminate(&w, out, cap);
    *len = w.len;
    return 0;
}

/* see jsonprint.h */
size_t jsonprint_string(const char *s, char *out, size_t cap)
{
    struct writer w = {out, cap ? cap - 1 : 0, 0};

    put_string(&w, s);
    terminate(&w, out, cap);
    return w.len;
}
