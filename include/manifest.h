/* manifest: the objects in a manifest document, as the check and mutate
 * commands walk them. A document holds one object, or a List of them (kind
 * "List", apiVersion v1, or any kind ending in "List" with an items list,
 * as `kubectl get -o yaml` prints them). This module says which, reads the
 * strings a report names an object by (kind, metadata.namespace, ...), and
 * turns an error about one object into an error about the document it came
 * from. Parsing the text is document's job; judging an object is the
 * engine's. Pure: no I/O. */
#ifndef DJANGO_ADMISSION_MANIFEST_H
#define DJANGO_ADMISSION_MANIFEST_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "diag.h"
#include "document.h"

/* longest pointer prefix of a List item: "/items/" and a size_t */
#define MANIFEST_PREFIX_MAX 32
/* a document pointer: an item prefix and a pointer into the item */
#define MANIFEST_POINTER_MAX (DIAG_POINTER_MAX + MANIFEST_PREFIX_MAX)

/* True when root is a List: a string kind ending in "List" and an items
 * member that is a list. */
bool manifest_is_list(const cJSON *root);

/* What root holds. 0 with *items set to root's items (borrowed from root)
 * when root is a List; 0 with *items NULL when root is to be judged as one
 * object (whatever its type: see manifest_object). -1 with d filled, at
 * "/items", when root says kind: List but its items are neither a list nor
 * null: "items of a List must be a list (got an object)". */
int manifest_items(const cJSON *root, cJSON **items, struct diag *d);

/* 0 when obj is a JSON object; else -1 with d filled, at "": "a manifest
 * must be an object (got a list)". */
int manifest_object(const cJSON *obj, struct diag *d);

/* The string member key of obj, or "" when obj is not an object or the
 * member is absent or not a string. Borrowed from obj. */
const char *manifest_string(const cJSON *obj, const char *key);

/* Turns d, about the object at prefix of doc ("" for the document's root,
 * "/items/N" for a List item, with d->pointer relative to that object),
 * into an error about the document: d->pointer gets the prefix (unless the
 * whole would not fit, then it is left as it is), and d gets file and the
 * line of that pointer, or of its nearest ancestor in the document. */
void manifest_locate(struct diag *d, const char *file, const struct document *doc,
                     const char *prefix);

#endif
