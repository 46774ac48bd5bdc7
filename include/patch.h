/* patch: records RFC 6902 "add" operations while applying them to a working
 * copy of the document, so every recorded operation is valid, in order, on
 * the object the patch was computed for (parents before children, because a
 * child can only be added under a parent that already exists in the copy).
 * The ops are kept as a cJSON array and, printed as each is recorded (later
 * ops may add below a value added earlier), as compact JSON text.
 *
 * Mutation only adds: there is no replace or remove here on purpose. Each
 * operation carries a one-line human-readable summary (for AdmissionReview
 * warnings and `mutate` logs). */
#ifndef DJANGO_ADMISSION_PATCH_H
#define DJANGO_ADMISSION_PATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"

#define PATCH_SUMMARY_MAX 256
/* the longest patch text: past it the input is hostile */
#define PATCH_TEXT_MAX ((size_t)16 * 1024 * 1024)

/* parents remembered at their pointers, and the longest pointer remembered */
#define PATCH_SEEN_MAX 16
#define PATCH_SEEN_TEXT 96

/* A node of the working copy found at a pointer. The copy only grows
 * (members are added, arrays appended to), so a node once found stays where
 * it is: each parent is looked up from the root once, and later parents
 * below it are looked up from it. */
struct patch_seen {
    const cJSON *node;
    /* strlen(text) */
    size_t len;
    char text[PATCH_SEEN_TEXT];
};

struct patch {
    /* working copy, owned (borrowed after patch_begin_in_place); what the
     * document looks like after the ops */
    cJSON *doc;
    /* RFC 6902 array of {"op":"add","path":...,"value":...}, owned; not
     * kept after patch_begin_in_place (the text is) */
    cJSON *ops;
    /* the same ops as compact JSON text, byte for byte what
     * cJSON_PrintUnformatted(ops) gives, without the closing "]" until
     * patch_take_text; owned (malloc) */
    char *text;
    size_t text_len;
    size_t text_cap;
    /* one summary line per op, owned, summaries[i] describes ops[i] */
    char **summaries;
    size_t count;
    size_t cap;
    /* doc is the caller's (patch_begin_in_place): patch_free leaves it */
    bool borrowed;
    /* ops is kept (patch_begin) */
    bool keep_ops;
    /* parents already checked, filled in turn (seen_next counts up) */
    struct patch_seen seen[PATCH_SEEN_MAX];
    size_t seen_next;
};

/* Starts a patch over a deep copy of original (borrowed). -1 on allocation
 * failure. */
int patch_begin(struct patch *p, const cJSON *original, struct diag *d);

/* Starts a patch that extends doc itself (borrowed: the caller owns it and
 * lets the patch change it) instead of a copy, for a caller that has no
 * further use for the document as it was, and that keeps the ops only as
 * text: p->ops stays NULL. patch_free does not free doc and patch_take_doc
 * gives NULL. -1 when doc is NULL or on allocation failure. */
int patch_begin_in_place(struct patch *p, cJSON *doc, struct diag *d);

/* Adds member `key` = value to the object `parent`, which must be a node of
 * p->doc located at `parent_ptr` (escaped pointer text; checked, and the
 * working copy may change only through these functions). The op path is
 * parent_ptr + "/" + escape(key). Takes ownership of value in every case
 * (it is freed on failure). Fails if key already exists in parent: mutation
 * never overwrites. `summary` is printf-style. */
int patch_add_member(struct patch *p, cJSON *parent, const char *parent_ptr,
                     const char *key, cJSON *value, struct diag *d,
                     const char *summary, ...)
    __attribute__((format(printf, 7, 8)));

/* Appends value to the array `array`, a node of p->doc at `array_ptr`; the op
 * path is array_ptr + "/-". Takes ownership of value in every case. */
int patch_append(struct patch *p, cJSON *array, const char *array_ptr,
                 cJSON *value, struct diag *d, const char *summary, ...)
    __attribute__((format(printf, 6, 7)));

/* Detaches the ops as JSON text, "[...]" ("[]" when there are none),
 * NUL-terminated, and sets *len to its length (caller frees with free).
 * NULL when it was taken already or memory ran out. */
char *patch_take_text(struct patch *p, size_t *len);

/* Detaches the ops array (caller frees with cJSON_Delete); NULL after
 * patch_begin_in_place. */
cJSON *patch_take_ops(struct patch *p);

/* Detaches the working copy (caller frees with cJSON_Delete); NULL after
 * patch_begin_in_place (the document is the caller's already). */
cJSON *patch_take_doc(struct patch *p);

/* Frees whatever the patch still owns (safe after the _take calls). */
void patch_free(struct patch *p);

#endif
