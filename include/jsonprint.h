/* jsonprint: compact JSON text of a cJSON value, byte for byte what
 * cJSON_PrintUnformatted gives, written into a caller's buffer without
 * allocating, for the hot paths that print small values many times
 * (mutation summaries, the patch of an AdmissionReview answer).
 *
 * The common shapes are written directly: null, booleans, strings (cJSON
 * escapes only '"', '\\' and bytes below 0x20: \b \f \n \r \t by name,
 * others as \u00xx; every other byte is copied), integers of magnitude
 * below 1e15 (printed as their decimal digits by every branch of cJSON's
 * number printer), and arrays and objects of these. Anything else (other
 * numbers, -0, raw items, a string or key without text, nesting deeper
 * than JSONPRINT_DEPTH_MAX) is left to cJSON_PrintUnformatted itself, so
 * the bytes are always cJSON's.
 *
 * Pure: no I/O, no globals. Allocates only on that fallback, through
 * cJSON's hooks, and frees before returning. */
#ifndef DJANGO_ADMISSION_JSONPRINT_H
#define DJANGO_ADMISSION_JSONPRINT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* deeper values are printed by cJSON */
#define JSONPRINT_DEPTH_MAX 64

/* Writes item (borrowed) as compact JSON into out[0..cap) with snprintf's
 * contract: at most cap - 1 bytes of the text and a NUL (nothing when cap
 * is 0), and *len set to the length of the whole text, so *len >= cap
 * means it was cut. out may be NULL when cap is 0. 0, or -1 when cJSON
 * cannot print item either (NULL, an invalid type) or memory ran out; out
 * is then "" when cap > 0. */
int jsonprint(const cJSON *item, char *out, size_t cap, size_t *len);

/* Writes s (NUL-terminated, borrowed) as a JSON string literal, quotes
 * included, escaped as cJSON escapes strings, with the same contract as
 * jsonprint; returns the length of the whole literal. */
size_t jsonprint_string(const char *s, char *out, size_t cap);

#endif
