#include "jsonptr.h"

#include <limits.h>
#include <string.h>

#include "text.h"

/* RFC 6901, section 3:
 *
 *   json-pointer    = *( "/" reference-token )
 *   reference-token = *( unescaped / escaped )
 *   unescaped       = any byte except "/" and "~"
 *   escaped         = "~" ( "0" / "1" )
 *
 * Section 4: a token is decoded by turning "~1" into "/" first and then
 * "~0" into "~", so "~01" is "~1" and never "/". Decoding one escape at a
 * time, left to right, gives exactly that. An array index is "0" or a
 * decimal without leading zeros; "-" names the element after the last,
 * which never exists for reading. */

/* Is text a well-formed pointer (every "~" followed by "0" or "1")? */
static int pointer_valid(const char *text)
{
    const char *c;

    if (text[0] != '\0' && text[0] != '/')
        return 0;
    for (c = text; *c; c++) {
        if (*c == '~' && c[1] != '0' && c[1] != '1')
            return 0;
    }
    return 1;
}

/* see jsonptr.h */
int jsonptr_set(struct jsonptr *p, const char *text)
{
    size_t len;

    if (!text)
        return -1;
    len = strnlen(text, JSONPTR_MAX);
    if (len >= JSONPTR_MAX || !pointer_valid(text))
        return -1;
    memcpy(p->text, text, len + 1);
    p->len = len;
    return 0;
}

/* see jsonptr.h */
int jsonptr_escape(const char *key, char *out, size_t cap)
{
    size_t need = 0;
    size_t o = 0;
    const char *c;

    if (!key || !out)
        return -1;
    /* most keys hold neither '~' nor '/': one scan and a copy */
    need = strcspn(key, "~/");
    if (!key[need]) {
        if (need >= cap || need > (size_t)INT_MAX)
            return -1;
        memcpy(out, key, need + 1);
        return (int)need;
    }
    need = 0;
    for (c = key; *c; c++)
        need += (*c == '~' || *c == '/') ? 2 : 1;
    if (need >= cap || need > (size_t)INT_MAX)
        return -1;
    for (c = key; *c; c++) {
        if (*c == '~') {
            out[o++] = '~';
            out[o++] = '0';
        } else if (*c == '/') {
            out[o++] = '~';
            out[o++] = '1';
        } else {
            out[o++] = *c;
        }
    }
    out[o] = '\0';
    return (int)o;
}

/* see jsonptr.h */
int jsonptr_push_key(struct jsonptr *p, const char *key)
{
    int n;

    if (!key || p->len + 1 >= JSONPTR_MAX)
        return -1;
    /* escape straight after the "/" we are about to add; on failure the
     * NUL at p->len is untouched, so p reads as before */
    n = jsonptr_escape(key, p->text + p->len + 1, JSONPTR_MAX - p->len - 1);
    if (n < 0) {
        p->text[p->len] = '\0';
        return -1;
    }
    p->text[p->len] = '/';
    p->len += 1 + (size_t)n;
    return 0;
}

/* see jsonptr.h */
int jsonptr_push_index(struct jsonptr *p, size_t index)
{
    char digits[TEXT_INT_SIZE];
    const char *d;
    size_t n;

    if (index > LLONG_MAX)
        return -1;
    d = text_int((long long)index, digits, &n);
    if (p->len + 1 + n >= JSONPTR_MAX)
        return -1;
    p->text[p->len] = '/';
    memcpy(p->text + p->len + 1, d, n);
    p->len += 1 + n;
    p->text[p->len] = '\0';
    return 0;
}

/* see jsonptr.h */
void jsonptr_pop(struct jsonptr *p)
{
    char *slash;

    if (p->len == 0)
        return;
    slash = strrchr(p->text, '/');
    if (!slash) {
        /* not a pointer jsonptr_set would accept; empty it */
        p->text[0] = '\0';
        p->len = 0;
        return;
    }
    *slash = '\0';
    p->len = (size_t)(slash - p->text);
}

/* Does the escaped token tok[0..len) decode to exactly the C string key? */
static int token_equals(const char *tok, size_t len, const char *key)
{
    size_t i = 0;
    const char *k = key;

    while (i < len) {
        char c = tok[i];

        if (c == '~') {
            c = tok[i + 1] == '0' ? '~' : '/';
            i += 2;
        } else {
            i++;
        }
        if (*k != c)
            return 0;
        k++;
    }
    return *k == '\0';
}

/* Array index token: "0" or [1-9][0-9]*, and below `size`. */
static int token_index(const char *tok, size_t len, int size, int *out)
{
    long v = 0;
    size_t i;

    if (len == 0 || (len > 1 && tok[0] == '0'))
        return -1;
    for (i = 0; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return -1;
        v = v * 10 + (tok[i] - '0');
        if (v >= size)
            return -1;
    }
    *out = (int)v;
    return 0;
}

/* see jsonptr.h */
cJSON *jsonptr_get(const cJSON *root, const char *text)
{
    const cJSON *node = root;
    const char *c;

    if (!root || !text || !pointer_valid(text))
        return NULL;
    c = text;
    while (*c) {
        const char *tok = c + 1;
        size_t len = strcspn(tok, "/");
        const cJSON *child = NULL;

        if (cJSON_IsObject(node)) {
            for (child = node->child; child; child = child->next) {
                if (child->string && token_equals(tok, len, child->string))
                    break;
            }
        } else if (cJSON_IsArray(node)) {
            int index;

            if (token_index(tok, len, cJSON_GetArraySize(node), &index) < 0)
                return NULL;
            child = cJSON_GetArrayItem(node, index);
        }
        if (!child)
            return NULL;
        node = child;
        c = tok + len;
    }
    return (cJSON *)node;
}
