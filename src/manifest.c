#include "manifest.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

/* see manifest.h */
bool manifest_is_list(const cJSON *root)
{
    const char *kind = manifest_string(root, "kind");
    size_t len = strlen(kind);

    if (len < 4 || strcmp(kind + len - 4, "List") != 0)
        return false;
    return cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "items"));
}

/* see manifest.h */
int manifest_items(const cJSON *root, cJSON **items, struct diag *d)
{
    cJSON *found = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "items") : NULL;

    *items = NULL;
    /* only the v1 List is known to need items: a FooList without a list of
     * them is some other object, judged as one */
    if (strcmp(manifest_string(root, "kind"), "List") == 0 && found && !cJSON_IsArray(found) &&
        !cJSON_IsNull(found))
        return diag_set(d, "/items", "items of a List must be a list (got %s)",
                        text_json_type_article(found));
    if (manifest_is_list(root))
        *items = found;
    return 0;
}

/* see manifest.h */
int manifest_object(const cJSON *obj, struct diag *d)
{
    if (cJSON_IsObject(obj))
        return 0;
    return diag_set(d, "", "a manifest must be an object (got %s)", text_json_type_article(obj));
}

/* see manifest.h */
const char *manifest_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    return cJSON_IsString(v) ? v->valuestring : "";
}

/* see manifest.h */
void manifest_locate(struct diag *d, const char *file, const struct document *doc,
                     const char *prefix)
{
    char full[MANIFEST_POINTER_MAX];
    int n = snprintf(full, sizeof(full), "%s%s", prefix, d->pointer);
    int line;

    if (n >= 0 && (size_t)n < sizeof(d->pointer)) {
        memcpy(d->pointer, full, (size_t)n + 1);
        line = document_line(doc, full);
    } else {
        line = prefix[0] ? document_line(doc, prefix) : doc->line;
    }
    diag_locate(d, file, line);
}
