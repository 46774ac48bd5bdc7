/* jsonptr: building and reading RFC 6901 JSON pointers.
 *
 *   pointer ::= ( "/" token )*
 *   token   ::= ( unescaped | "~0" | "~1" )*     "~0" is "~", "~1" is "/"
 *
 * Keys are escaped on the way in ("prometheus.io/scrape" becomes
 * "prometheus.io~1scrape"). A pointer lives in a fixed buffer; running out
 * of room is an error, never a silent truncation. */
#ifndef DJANGO_ADMISSION_JSONPTR_H
#define DJANGO_ADMISSION_JSONPTR_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define JSONPTR_MAX 512

struct jsonptr {
    /* NUL-terminated pointer text, "" for the whole document */
    char text[JSONPTR_MAX];
    /* strlen(text) */
    size_t len;
};

/* Sets p to the pointer text given (already escaped). -1 (p unchanged) if
 * too long or not a valid pointer (no leading "/", "~" not followed by 0 or 1). */
int jsonptr_set(struct jsonptr *p, const char *text);

/* Appends "/" and the escaped key. -1 (p unchanged) if it would not fit. */
int jsonptr_push_key(struct jsonptr *p, const char *key);

/* Appends "/" and the decimal index. -1 (p unchanged) if it would not fit. */
int jsonptr_push_index(struct jsonptr *p, size_t index);

/* Removes the last token; no-op on "". */
void jsonptr_pop(struct jsonptr *p);

/* Escapes one key into out (NUL-terminated). Returns the escaped length, or
 * -1 if it does not fit in cap. */
int jsonptr_escape(const char *key, char *out, size_t cap);

/* Resolves pointer text against root. Returns the item (borrowed: it lives
 * as long as root) or NULL when a token is missing, an array index is not a
 * plain decimal within range, or the text is not a valid pointer. */
cJSON *jsonptr_get(const cJSON *root, const char *text);

#endif
