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

/* The end of the run of bytes from p that need no escape: at the first
 * that does, the NUL included. Four table tests per step; each byte is read
 * only after the one before it proved not to be the NUL, so the scan never
 * reads past the string. */
static const unsigned char *plain_end(const unsigned char *p)
{
    for (;;) {
        if (needs_escape[p[0]])
            return p;
        if (needs_escape[p[1]])
            return p + 1;
        if (needs_escape[p[2]])
            return p + 2;
        if (needs_escape[p[3]])
            return p + 3;
        p += 4;
    }
}

static void put_string(struct writer *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    put_char(w, '"');
    for (;;) {
        const unsigned char *end = plain_end(p);
        char esc[6] = {'\\', 'u', '0', '0', 0, 0};

        put(w, (const char *)p, (size_t)(end - p));
        p = end;
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
