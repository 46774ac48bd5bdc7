#include "addpatch.h"

#include <string.h>

#include "jsonptr.h"

/* see addpatch.h */
int addpatch_apply(cJSON *doc, const cJSON *op)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(op, "op");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(op, "path");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
    struct jsonptr parent;
    const char *slash;
    char key[JSONPTR_MAX];
    size_t k = 0;
    const char *c;
    cJSON *target, *copy;

    if (!cJSON_IsString(name) || strcmp(name->valuestring, "add") != 0 || !cJSON_IsString(path) || !value)
        return -1;
    slash = strrchr(path->valuestring, '/');
    if (!slash || (size_t)(slash - path->valuestring) >= JSONPTR_MAX)
        return -1;
    memcpy(parent.text, path->valuestring, (size_t)(slash - path->valuestring));
    parent.text[slash - path->valuestring] = '\0';
    /* the last token, unescaped: ~0 is '~', ~1 is '/', any other '~' is an
     * invalid pointer */
    for (c = slash + 1; *c; c++) {
        if (k + 1 >= sizeof(key))
            return -1;
        if (*c == '~') {
            if (c[1] != '0' && c[1] != '1')
                return -1;
            key[k++] = c[1] == '0' ? '~' : '/';
            c++;
        } else {
            key[k++] = *c;
        }
    }
    key[k] = '\0';
    target = jsonptr_get(doc, parent.text);
    if (!target)
        return -1;
    copy = cJSON_Duplicate(value, 1);
    if (!copy)
        return -1;
    if (cJSON_IsArray(target) && strcmp(slash + 1, "-") == 0) {
        if (cJSON_AddItemToArray(target, copy))
            return 0;
    } else if (cJSON_IsObject(target) && !cJSON_GetObjectItemCaseSensitive(target, key)) {
        if (cJSON_AddItemToObject(target, key, copy))
            return 0;
    }
    cJSON_Delete(copy);
    return -1;
}

/* see addpatch.h */
int addpatch_replays(const cJSON *object, const cJSON *ops, const cJSON *result)
{
    cJSON *replay = cJSON_Duplicate(object, 1);
    const cJSON *op;
    char *a = NULL, *b = NULL;
    int rc = 1;

    if (!replay)
        return -1;
    cJSON_ArrayForEach(op, ops)
        if (addpatch_apply(replay, op) != 0) {
            rc = 0;
            break;
        }
    if (rc == 1) {
        a = cJSON_PrintUnformatted(replay);
        b = cJSON_PrintUnformatted(result);
        rc = !a || !b ? -1 : strcmp(a, b) == 0;
    }
    cJSON_free(a);
    cJSON_free(b);
    cJSON_Delete(replay);
    return rc;
}
