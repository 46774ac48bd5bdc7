/* jsonget: cJSON_GetObjectItemCaseSensitive for the hot paths (the engine
 * and admission look up a few hundred members per request). Same answer,
 * found the same way — the first member with that name, NULL for a NULL
 * object or name, and the walk stops at a child without a name, as cJSON's
 * does — but a name whose first byte differs is passed over without a call
 * to strcmp, which is most of them. Header only: small enough to inline. */
#ifndef DJANGO_ADMISSION_JSONGET_H
#define DJANGO_ADMISSION_JSONGET_H

#include <string.h>

#include <cjson/cJSON.h>

/* The member `name` of object (borrowed: it lives as long as object), or
 * NULL. */
static inline cJSON *jsonget(const cJSON *object, const char *name)
{
    cJSON *c;

    if (!object || !name)
        return NULL;
    for (c = object->child; c && c->string; c = c->next)
        if (c->string[0] == name[0] && strcmp(c->string, name) == 0)
            return c;
    return NULL;
}

#endif
