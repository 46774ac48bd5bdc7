#include "patch.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "jsonprint.h"
#include "jsonptr.h"

/* hard ceiling on recorded operations: a policy adds a few dozen at most,
 * so reaching it means the input is hostile, not that we need more room */
#define PATCH_OPS_MAX 4096

/* the first size of the patch text: a Deployment's patch fits */
#define TEXT_FIRST 4096

/* Starts the text with "[". 0 or -1. */
static int text_start(struct patch *p)
{
    p->text = malloc(TEXT_FIRST);
    if (!p->text)
        return -1;
    p->text_cap = TEXT_FIRST;
    p->text[0] = '[';
    p->text[1] = '\0';
    p->text_len = 1;
    return 0;
}

/* Makes room for n more bytes of text and a NUL: 0, -1 when memory ran
 * out, -2 past PATCH_TEXT_MAX. */
static int text_reserve(struct patch *p, size_t n)
{
    size_t cap = p->text_cap;
    char *grown;

    if (cap - p->text_len > n)
        return 0;
    if (n >= PATCH_TEXT_MAX - p->text_len)
        return -2;
    while (cap - p->text_len <= n)
        cap *= 2;
    grown = realloc(p->text, cap);
    if (!grown)
        return -1;
    p->text = grown;
    p->text_cap = cap;
    return 0;
}

static int text_put(struct patch *p, const char *s, size_t n)
{
    int rc = text_reserve(p, n);

    if (rc != 0)
        return rc;
    memcpy(p->text + p->text_len, s, n);
    p->text_len += n;
    p->text[p->text_len] = '\0';
    return 0;
}

#define TEXT_LIT(p, lit) text_put((p), (lit), sizeof(lit) - 1)

/* Appends value, or the string s when value is NULL, as JSON: printed into
 * the room there is, and again once there is room for all of it. 0, -1
 * (memory, or a value cJSON cannot print), -2 past PATCH_TEXT_MAX. */
static int text_json(struct patch *p, const cJSON *value, const char *s)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t room = p->text_cap - p->text_len, n;
        int rc;

        if (value) {
            if (jsonprint(value, p->text + p->text_len, room, &n) != 0)
                return -1;
        } else {
            n = jsonprint_string(s, p->text + p->text_len, room);
        }
        if (n < room) {
            p->text_len += n;
            return 0;
        }
        rc = text_reserve(p, n);
        if (rc != 0)
            return rc;
    }
    return -1;
}

/* Appends {"op":"add","path":path,"value":value} (after "," unless it is
 * the first), as cJSON_PrintUnformatted prints an op made by make_op. On
 * failure the text may hold part of it: the caller cuts it back. */
static int text_op(struct patch *p, const char *path, const cJSON *value)
{
    int rc;

    if (p->count && (rc = TEXT_LIT(p, ",")) != 0)
        return rc;
    if ((rc = TEXT_LIT(p, "{\"op\":\"add\",\"path\":")) != 0 ||
        (rc = text_json(p, NULL, path)) != 0 || (rc = TEXT_LIT(p, ",\"value\":")) != 0 ||
        (rc = text_json(p, value, NULL)) != 0)
        return rc;
    return TEXT_LIT(p, "}");
}

/* see patch.h */
int patch_begin(struct patch *p, const cJSON *original, struct diag *d)
{
    memset(p, 0, sizeof(*p));
    if (!original)
        return diag_set(d, "", "no document to patch");
    p->keep_ops = true;
    p->doc = cJSON_Duplicate(original, 1);
    p->ops = cJSON_CreateArray();
    if (!p->doc || !p->ops || text_start(p) != 0) {
        patch_free(p);
        return diag_set(d, "", "out of memory starting a patch");
    }
    return 0;
}

/* see patch.h */
int patch_begin_in_place(struct patch *p, cJSON *doc, struct diag *d)
{
    memset(p, 0, sizeof(*p));
    if (!doc)
        return diag_set(d, "", "no document to patch");
    if (text_start(p) != 0)
        return diag_set(d, "", "out of memory starting a patch");
    p->doc = doc;
    p->borrowed = true;
    return 0;
}

/* Builds {"op":"add","path":path,"value":<deep copy of value>} in that key
 * order (RFC 6902 section 4.1; the order only matters to people reading).
 * The member names and "add" are static text that cJSON neither copies nor
 * frees. The value is copied now: later ops may add below it in the working
 * copy, and this op must add it as it is at this point. */
static cJSON *make_op(const char *path, const cJSON *value)
{
    cJSON *op = cJSON_CreateObject();
    cJSON *add = cJSON_CreateStringReference("add");
    cJSON *where = cJSON_CreateString(path);
    cJSON *copy = cJSON_Duplicate(value, 1);

    if (!op || !add || !where || !copy)
        goto fail;
    if (!cJSON_AddItemToObjectCS(op, "op", add))
        goto fail;
    add = NULL;
    if (!cJSON_AddItemToObjectCS(op, "path", where))
        goto fail;
    where = NULL;
    if (!cJSON_AddItemToObjectCS(op, "value", copy))
        goto fail;
    return op;

fail:
    cJSON_Delete(add);
    cJSON_Delete(where);
    cJSON_Delete(copy);
    cJSON_Delete(op);
    return NULL;
}

/* Makes room for one more summary; 0 or -1 on allocation failure. */
static int reserve_summary(struct patch *p)
{
    char **grown;
    size_t cap;

    if (p->count < p->cap)
        return 0;
    cap = p->cap ? p->cap * 2 : 16;
    grown = realloc(p->summaries, cap * sizeof(*grown));
    if (!grown)
        return -1;
    p->summaries = grown;
    p->cap = cap;
    return 0;
}

/* Formats a summary into a fresh buffer (at most PATCH_SUMMARY_MAX bytes:
 * longer text is cut there and ends in "..."); without a format it is "add
 * PATH". NULL when out of memory. */
static char *make_summary(const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static char *make_summary(const char *path, const char *fmt, va_list ap)
{
    char line[PATCH_SUMMARY_MAX];
    const char *text = line;
    size_t len;
    bool cut;
    char *s;

    if (fmt && strcmp(fmt, "%s") == 0) {
        /* a summary the caller made whole (the common case): no printf */
        text = va_arg(ap, const char *);
        if (!text)
            text = "(null)";
        len = strnlen(text, PATCH_SUMMARY_MAX);
    } else {
        int n = fmt ? vsnprintf(line, sizeof(line), fmt, ap)
                    : snprintf(line, sizeof(line), "add %s", path);
        len = n < 0 ? 0 : (size_t)n;
    }
    cut = len >= PATCH_SUMMARY_MAX;
    if (cut)
        len = PATCH_SUMMARY_MAX - 1;
    s = malloc(len + 1);
    if (!s)
        return NULL;
    memcpy(s, text, len);
    s[len] = '\0';
    if (cut)
        /* say the line was cut rather than end it mid-word silently */
        memcpy(s + PATCH_SUMMARY_MAX - 4, "...", 4);
    return s;
}

/* Remembers node at ptr[0..len) when the pointer is short enough. */
static void remember(struct patch *p, const char *ptr, size_t len, const cJSON *node)
{
    struct patch_seen *e;

    if (len >= PATCH_SEEN_TEXT)
        return;
    e = &p->seen[p->seen_next++ % PATCH_SEEN_MAX];
    e->node = node;
    e->len = len;
    memcpy(e->text, ptr, len);
    e->text[len] = '\0';
}

/* The node at ptr (len = strnlen(ptr, JSONPTR_MAX)) in the working copy,
 * or NULL. `expected` (the node the caller believes is there, or NULL) is
 * looked for first among the nodes remembered with their whole pointer;
 * otherwise the node is looked up from the deepest node already found
 * whose pointer is a whole-token prefix of ptr (see struct patch_seen),
 * else from the root, one token at a time, remembering each node on the
 * way. */
static const cJSON *find_node(struct patch *p, const char *ptr, size_t len,
                              const cJSON *expected)
{
    const struct patch_seen *best = NULL;
    const cJSON *node;
    size_t at;

    /* too long to be a parent anyway: the caller says why */
    if (len >= JSONPTR_MAX)
        return jsonptr_get(p->doc, ptr);
    /* most ops add below a node an earlier op already found: the whole
     * pointer is remembered, and one comparison settles it (a pass of its
     * own: folded into the prefix scan below, the prefixes compared before
     * the hit cost more than a second pass costs on a miss) */
    if (expected) {
        for (size_t i = 0; i < PATCH_SEEN_MAX && i < p->seen_next; i++) {
            const struct patch_seen *e = &p->seen[i];

            if (e->node == expected && e->len == len && memcmp(e->text, ptr, len) == 0)
                return expected;
        }
    }
    for (size_t i = 0; i < PATCH_SEEN_MAX && i < p->seen_next; i++) {
        const struct patch_seen *e = &p->seen[i];

        if (e->len <= len && (!best || e->len > best->len) &&
            (ptr[e->len] == '/' || ptr[e->len] == '\0') && memcmp(e->text, ptr, e->len) == 0)
            best = e;
    }
    if (best && best->len == len)
        return best->node;
    node = best ? best->node : p->doc;
    at = best ? best->len : 0;
    if (ptr[at] != '/' && ptr[at] != '\0')
        return NULL;
    while (at < len) {
        char token[JSONPTR_MAX];
        size_t end = at + 1 + strcspn(ptr + at + 1, "/");

        /* "/token", which jsonptr_get checks and resolves */
        memcpy(token, ptr + at, end - at);
        token[end - at] = '\0';
        node = jsonptr_get(node, token);
        if (!node)
            return NULL;
        at = end;
        remember(p, ptr, at, node);
    }
    return node;
}

/* Shared by add_member and append: checks that `node` is where `node_ptr`
 * says, builds the op path (node_ptr + "/" + escaped key), and records the
 * op. `key` is the object member name, or NULL to append to an array.
 * Takes ownership of value. */
static int record(struct patch *p, cJSON *node, const char *node_ptr, const char *key,
                  cJSON *value, struct diag *d, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

static int record(struct patch *p, cJSON *node, const char *node_ptr, const char *key,
                  cJSON *value, struct diag *d, const char *fmt, va_list ap)
{
    char path[JSONPTR_MAX];
    size_t len, mark = p->text_len;
    cJSON *op = NULL;
    char *summary = NULL;
    int added = 0, rc;
    const char *where = node_ptr ? node_ptr : "";

    if (!value) {
        diag_set(d, where, "patch: no value to add");
        goto fail;
    }
    if (!p->doc || !p->text || (p->keep_ops && !p->ops)) {
        diag_set(d, where, "patch: document or operations already taken");
        goto fail;
    }
    len = node_ptr ? strnlen(node_ptr, JSONPTR_MAX) : 0;
    if (!node_ptr || !node || find_node(p, node_ptr, len, node) != node) {
        diag_set(d, where, "patch: parent is not the node its pointer names in the working copy");
        goto fail;
    }
    if (len >= JSONPTR_MAX) {
        diag_set(d, where, "patch: invalid parent pointer");
        goto fail;
    }
    memcpy(path, node_ptr, len);
    path[len] = '/';
    if (key) {
        /* most keys need no escaping: copied as they are */
        size_t plain = strcspn(key, "~/");

        if (!cJSON_IsObject(node)) {
            diag_set(d, where, "cannot add member \"%.64s\": parent is not an object", key);
            goto fail;
        }
        if (!key[plain] && len + 1 + plain < JSONPTR_MAX)
            memcpy(path + len + 1, key, plain + 1);
        else if (len + 1 >= JSONPTR_MAX ||
                 jsonptr_escape(key, path + len + 1, JSONPTR_MAX - len - 1) < 0) {
            diag_set(d, where, "cannot add member \"%.64s\": pointer longer than %d bytes", key,
                     JSONPTR_MAX - 1);
            goto fail;
        }
        if (jsonget(node, key)) {
            diag_set(d, path, "cannot add \"%.64s\": it already exists (mutation never "
                     "overwrites)", key);
            goto fail;
        }
    } else {
        if (!cJSON_IsArray(node)) {
            diag_set(d, where, "cannot append: target is not an array");
            goto fail;
        }
        if (len + 2 >= JSONPTR_MAX) {
            diag_set(d, where, "cannot append: pointer longer than %d bytes", JSONPTR_MAX - 1);
            goto fail;
        }
        memcpy(path + len + 1, "-", 2);
    }
    if (p->count >= PATCH_OPS_MAX) {
        diag_set(d, path, "patch: more than %d operations", PATCH_OPS_MAX);
        goto fail;
    }

    /* the value as it is now: later ops may add below it */
    rc = text_op(p, path, value);
    if (rc == -2) {
        diag_set(d, path, "patch: longer than %zu bytes", PATCH_TEXT_MAX);
        goto fail;
    }
    if (p->keep_ops)
        op = make_op(path, value);
    summary = make_summary(path, fmt, ap);
    if (rc != 0 || (p->keep_ops && !op) || !summary || reserve_summary(p) < 0) {
        diag_set(d, path, "out of memory recording a patch operation");
        goto fail;
    }
    if (key && value->string == key && (value->type & cJSON_StringIsConst))
        /* the value's own name, of static storage (cJSON's contract for a
         * const name): kept as it is */
        added = cJSON_AddItemToObjectCS(node, key, value);
    else if (key)
        added = cJSON_AddItemToObject(node, key, value);
    else
        added = cJSON_AddItemToArray(node, value);
    if (!added) {
        diag_set(d, path, "out of memory applying a patch operation");
        goto fail;
    }
    if (op && !cJSON_AddItemToArray(p->ops, op)) {
        /* undo the add so doc and ops stay in step */
        cJSON_DetachItemViaPointer(node, value);
        diag_set(d, path, "out of memory recording a patch operation");
        goto fail;
    }
    p->summaries[p->count++] = summary;
    return 0;

fail:
    /* the text as it was before this op */
    if (p->text) {
        p->text_len = mark;
        p->text[mark] = '\0';
    }
    cJSON_Delete(value);
    cJSON_Delete(op);
    free(summary);
    return -1;
}

/* see patch.h */
int patch_add_member(struct patch *p, cJSON *parent, const char *parent_ptr,
                     const char *key, cJSON *value, struct diag *d,
                     const char *summary, ...)
{
    va_list ap;
    int rc;

    if (!key) {
        cJSON_Delete(value);
        return diag_set(d, parent_ptr, "patch: no member name to add");
    }
    va_start(ap, summary);
    rc = record(p, parent, parent_ptr, key, value, d, summary, ap);
    va_end(ap);
    return rc;
}

/* see patch.h */
int patch_append(struct patch *p, cJSON *array, const char *array_ptr,
                 cJSON *value, struct diag *d, const char *summary, ...)
{
    va_list ap;
    int rc;

    va_start(ap, summary);
    rc = record(p, array, array_ptr, NULL, value, d, summary, ap);
    va_end(ap);
    return rc;
}

/* see patch.h */
char *patch_take_text(struct patch *p, size_t *len)
{
    char *text = p->text;

    *len = 0;
    if (!text || TEXT_LIT(p, "]") != 0)
        return NULL;
    text = p->text;
    *len = p->text_len;
    p->text = NULL;
    p->text_len = 0;
    p->text_cap = 0;
    return text;
}

/* see patch.h */
cJSON *patch_take_ops(struct patch *p)
{
    cJSON *ops = p->ops;

    p->ops = NULL;
    return ops;
}

/* see patch.h */
cJSON *patch_take_doc(struct patch *p)
{
    cJSON *doc = p->borrowed ? NULL : p->doc;

    p->doc = NULL;
    return doc;
}

/* see patch.h */
void patch_free(struct patch *p)
{
    size_t i;

    if (!p->borrowed)
        cJSON_Delete(p->doc);
    cJSON_Delete(p->ops);
    free(p->text);
    for (i = 0; i < p->count; i++)
        free(p->summaries[i]);
    free(p->summaries);
    memset(p, 0, sizeof(*p));
}
