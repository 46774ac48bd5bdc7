/* Fuzz target: RFC 6901 pointers. The input's first line is pointer text,
 * the rest a JSON document: jsonptr_get must never crash or read past the
 * text. The whole input is also used as a key: escaping it, pushing it and
 * resolving it must find exactly that key again, and pop must undo push. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonptr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void pointer_against_document(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t plen = nl ? (size_t)(nl - data) : size;
    char *ptr = malloc(plen + 1);
    cJSON *doc = NULL;
    cJSON *got;
    struct jsonptr p;

    if (!ptr)
        return;
    memcpy(ptr, data, plen);
    ptr[plen] = '\0';
    if (nl)
        doc = cJSON_ParseWithLength((const char *)nl + 1, size - plen - 1);
    got = jsonptr_get(doc, ptr);
    check(doc || !got);
    if (got && strlen(ptr) == plen && plen < JSONPTR_MAX) {
        /* a pointer that resolves is valid and fits: set accepts it, and
         * popping back to "" ends at the root */
        check(jsonptr_set(&p, ptr) == 0);
        check(p.len == plen);
        while (p.len) {
            size_t before = p.len;

            jsonptr_pop(&p);
            check(p.len < before && strlen(p.text) == p.len);
            check(jsonptr_get(doc, p.text) != NULL);
        }
    }
    cJSON_Delete(doc);
    free(ptr);
}

static void key_round_trip(const uint8_t *data, size_t size)
{
    char *key = malloc(size + 1);
    char escaped[JSONPTR_MAX];
    struct jsonptr p, before;
    cJSON *obj = NULL;
    int n;

    if (!key)
        return;
    memcpy(key, data, size);
    key[size] = '\0';
    n = jsonptr_escape(key, escaped, sizeof(escaped));
    if (n >= 0) {
        check((size_t)n == strlen(escaped));
        check(strlen(key) <= (size_t)n);
    }
    check(jsonptr_set(&p, "/a") == 0);
    memcpy(&before, &p, sizeof(p));
    if (jsonptr_push_key(&p, key) == 0) {
        check(n >= 0 && p.len == 3 + (size_t)n);
        check(strcmp(p.text + 3, escaped) == 0);
        obj = cJSON_Parse("{\"a\":{}}");
        if (obj && cJSON_AddTrueToObject(cJSON_GetObjectItemCaseSensitive(obj, "a"), key)) {
            cJSON *got = jsonptr_get(obj, p.text);

            check(got && cJSON_IsTrue(got) && got->string && strcmp(got->string, key) == 0);
        }
        jsonptr_pop(&p);
        check(p.len == 2 && strcmp(p.text, "/a") == 0);
    } else {
        check(memcmp(&p, &before, sizeof(p)) == 0);
    }
    cJSON_Delete(obj);
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pointer_against_document(data, size);
    key_round_trip(data, size);
    return 0;
}
