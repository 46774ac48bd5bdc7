/* Fuzz target: patch round trip. The input is parsed as JSON; the target
 * adds a member to every object and appends to every array it finds (up to
 * a bound), tries to overwrite an existing member (which must fail and
 * change nothing), then replays the recorded ops on a fresh copy of the
 * input with a small RFC 6902 "add" applier (addpatch.h) and checks the
 * result is the working copy, byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "addpatch.h"
#include "jsonptr.h"
#include "patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NODES_MAX 64

static void check(int ok)
{
    if (!ok)
        abort();
}

struct nodes {
    struct jsonptr ptr[NODES_MAX];
    size_t count;
};

/* Collects pointers to containers, parents first. A member shadowed by an
 * earlier one of the same name (duplicate keys) has no pointer of its own
 * and is skipped. */
static void collect(const cJSON *root, const cJSON *node, struct jsonptr *at,
                    struct nodes *out)
{
    const cJSON *child;
    size_t i = 0;

    if (out->count >= NODES_MAX || !(cJSON_IsObject(node) || cJSON_IsArray(node)))
        return;
    out->ptr[out->count++] = *at;
    for (child = node->child; child; child = child->next, i++) {
        struct jsonptr next = *at;
        int rc = cJSON_IsObject(node) ? jsonptr_push_key(&next, child->string ? child->string : "")
                                      : jsonptr_push_index(&next, i);

        if (rc == 0 && jsonptr_get(root, next.text) == child)
            collect(root, child, &next, out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *orig = cJSON_ParseWithLength((const char *)data, size);
    struct nodes *nodes = NULL;
    struct jsonptr root;
    struct patch p;
    struct diag d;
    cJSON *replay = NULL;
    char *a = NULL, *b = NULL;
    size_t i;

    memset(&p, 0, sizeof(p));
    if (!orig)
        goto done;
    nodes = calloc(1, sizeof(*nodes));
    if (!nodes)
        goto done;
    diag_clear(&d);
    if (patch_begin(&p, orig, &d) < 0)
        goto done;
    check(jsonptr_set(&root, "") == 0);
    collect(orig, orig, &root, nodes);

    for (i = 0; i < nodes->count; i++) {
        cJSON *node = jsonptr_get(p.doc, nodes->ptr[i].text);
        size_t before = p.count;
        int rc;

        check(node != NULL);
        if (cJSON_IsObject(node)) {
            rc = patch_add_member(&p, node, nodes->ptr[i].text, "fuzz/~key",
                                  cJSON_CreateString("v"), &d, "node %zu", i);
            /* the first member exists: adding it again must fail */
            if (node->child && node->child->string) {
                char *name = strdup(node->child->string);

                if (name) {
                    size_t held = p.count;

                    check(patch_add_member(&p, node, nodes->ptr[i].text, name,
                                           cJSON_CreateNumber(1), &d, NULL) == -1);
                    check(p.count == held && d.message[0] != '\0');
                    free(name);
                }
            }
        } else {
            rc = patch_append(&p, node, nodes->ptr[i].text, cJSON_CreateArray(), &d, NULL);
        }
        check(rc == 0 ? p.count == before + 1 : p.count == before);
        check(rc == 0 || d.message[0] != '\0');
    }

    /* every op is {"op":"add","path":...,"value":...} in that order, and
     * replaying them on the original gives the working copy */
    check((size_t)cJSON_GetArraySize(p.ops) == p.count);
    replay = cJSON_Duplicate(orig, 1);
    if (!replay)
        goto done;
    for (i = 0; i < p.count; i++) {
        const cJSON *op = cJSON_GetArrayItem(p.ops, (int)i);
        const cJSON *f = op ? op->child : NULL;

        check(f && f->string && strcmp(f->string, "op") == 0 && cJSON_IsString(f) &&
              strcmp(f->valuestring, "add") == 0);
        f = f->next;
        check(f && f->string && strcmp(f->string, "path") == 0 && cJSON_IsString(f));
        f = f->next;
        check(f && f->string && strcmp(f->string, "value") == 0 && !f->next);
        check(p.summaries[i] != NULL);
        check(addpatch_apply(replay, op) == 0);
    }
    a = cJSON_PrintUnformatted(replay);
    b = cJSON_PrintUnformatted(p.doc);
    if (a && b)
        check(strcmp(a, b) == 0);
    /* the text form is the array as cJSON prints it */
    cJSON_free(a);
    cJSON_free(b);
    a = cJSON_PrintUnformatted(p.ops);
    {
        size_t len;
        char *text = patch_take_text(&p, &len);

        if (a && text)
            check(strcmp(a, text) == 0 && len == strlen(text));
        free(text);
    }
    b = NULL;

done:
    cJSON_free(a);
    cJSON_free(b);
    cJSON_Delete(replay);
    patch_free(&p);
    free(nodes);
    cJSON_Delete(orig);
    return 0;
}
