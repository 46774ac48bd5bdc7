/* yamlout: writes a cJSON tree as YAML with libyaml's emitter, block style,
 * keys in the tree's order. Strings that a YAML reader would type as
 * something else ("true", "8000", "null", "1e3", "", "~", leading spaces)
 * are quoted, so reading the output back gives the same JSON. */
#ifndef DJANGO_ADMISSION_YAMLOUT_H
#define DJANGO_ADMISSION_YAMLOUT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"

/* Emits root (borrowed) as one YAML document starting with "---" into a new
 * NUL-terminated buffer (caller frees with free()); *len set when non-NULL.
 * NULL with d filled on failure. */
char *yamlout_emit(const cJSON *root, size_t *len, struct diag *d);

#endif
