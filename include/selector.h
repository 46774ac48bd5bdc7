/* selector: Kubernetes label selectors (matchLabels and matchExpressions with
 * In, NotIn, Exists, DoesNotExist), parsed from their JSON form and matched
 * against a labels object. An empty selector matches everything, as in
 * Kubernetes. */
#ifndef DJANGO_ADMISSION_SELECTOR_H
#define DJANGO_ADMISSION_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"

#define SELECTOR_TERMS_MAX 16
#define SELECTOR_VALUES_MAX 16
/* a label key may be prefix (253) + "/" + name (63) */
#define SELECTOR_KEY_MAX 320
/* a label value is at most 63 characters */
#define SELECTOR_VALUE_MAX 64

enum selector_op { SELECTOR_IN, SELECTOR_NOT_IN, SELECTOR_EXISTS, SELECTOR_DOES_NOT_EXIST };

struct selector_term {
    char key[SELECTOR_KEY_MAX];
    enum selector_op op;
    /* for matchLabels entries: op IN with exactly one value */
    char values[SELECTOR_VALUES_MAX][SELECTOR_VALUE_MAX];
    size_t values_count;
};

struct selector {
    /* matchLabels first (as IN terms), then matchExpressions; all must hold */
    struct selector_term terms[SELECTOR_TERMS_MAX];
    size_t count;
};

/* Parses {"matchLabels": {...}, "matchExpressions": [...]} (borrowed) into
 * *out. Errors (unknown key, wrong type, unknown operator, In/NotIn without
 * values, Exists with values, too many terms, invalid label key or value)
 * name the pointer under `base` (e.g. "/selector"). */
int selector_parse(const cJSON *json, const char *base, struct selector *out,
                   struct diag *d);

/* Parses the string form Kubernetes puts in Scale.status.selector
 * ("a=b,c in (d,e),!f,g") into *out. -1 on syntax error. */
int selector_parse_string(const char *text, struct selector *out, struct diag *d);

/* True when the labels object (borrowed; NULL or not an object = no labels)
 * satisfies every term. */
bool selector_matches(const struct selector *s, const cJSON *labels);

/* True when the label set described by `labels_sel` (only equality terms are
 * read: how a Scale's status.selector names the pods' labels) satisfies s. */
bool selector_matches_selector(const struct selector *s, const struct selector *labels_sel);

/* Renders s as {"matchLabels":...,"matchExpressions":...}; caller frees.
 * Equality terms become matchLabels entries (the first per key), the rest
 * matchExpressions; empty parts are left out, so the empty selector is {}.
 * NULL on allocation failure. */
cJSON *selector_to_json(const struct selector *s);

/* Checks key[0..len) as a Kubernetes label (or annotation) key: an optional
 * DNS-subdomain prefix of at most 253 characters and "/", then a name of at
 * most 63 letters, digits, '-', '_', '.' starting and ending alphanumeric.
 * NULL when valid, else the reason (static string, lower case). */
const char *selector_key_error(const char *key, size_t len);

/* Checks value[0..len) as a label value: empty, or at most 63 characters
 * shaped like a key's name. NULL when valid, else the reason (static). */
const char *selector_value_error(const char *value, size_t len);

#endif
