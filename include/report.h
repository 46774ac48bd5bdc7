/* report: renders the result of `check` — every object judged, its
 * violations with FILE:LINE, the objects skipped — as text, one JSON
 * document, JUnit XML or SARIF 2.1.0. Pure: returns the bytes. */
#ifndef DJANGO_ADMISSION_REPORT_H
#define DJANGO_ADMISSION_REPORT_H

#include <stddef.h>

#include "findings.h"

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_JUNIT, REPORT_SARIF };

#define REPORT_NAME_MAX 256

struct report_object {
    /* input name as given on the command line ("-" for stdin) */
    char file[REPORT_NAME_MAX];
    /* line where the object starts */
    int line;
    char kind[REPORT_NAME_MAX];
    char namespace_[REPORT_NAME_MAX];
    char name[REPORT_NAME_MAX];
    /* owned; violations after the policy's actions and exemptions */
    struct findings findings;
    /* lines[i] is the line of findings.items[i]; owned */
    int *lines;
};

struct report {
    struct report_object *objects;
    size_t count;
    size_t cap;
    /* objects read that are not Deployments the policy selects */
    size_t skipped;
    /* input files read */
    size_t files;
};

void report_init(struct report *r);
/* Appends an empty object and returns it (borrowed, valid until the next
 * append), or NULL on allocation failure. */
struct report_object *report_add(struct report *r);
void report_free(struct report *r);

/* Parses "text" | "json" | "junit" | "sarif". 0 or -1. */
int report_format_parse(const char *text, enum report_format *out);

/* Renders r in the format; a new NUL-terminated buffer (caller frees with
 * free()), *len set. NULL on allocation failure. `version` goes into SARIF's
 * tool.driver.version and the JSON document. */
char *report_render(const struct report *r, enum report_format format,
                    const char *version, size_t *len);

/* Total violations whose action is `action` across all objects. */
size_t report_count_action(const struct report *r, enum rule_action action);

#endif
