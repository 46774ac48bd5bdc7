/* document: reads manifest text (YAML, multi-document YAML, or JSON) into
 * cJSON trees with libyaml, remembering the line of every node so reports
 * can say FILE:LINE. Scalars are typed as Kubernetes' YAML decoder types
 * them (YAML 1.1 core: unquoted true/false, integers, floats, null become
 * JSON booleans, numbers, null; quoted scalars stay strings). Anchors and
 * aliases are expanded (with a cap against alias bombs); duplicate keys,
 * non-scalar keys, and tags other than the core ones are errors. Empty
 * documents ("---" with nothing after it) are skipped.
 *
 * Where Kubernetes' decoder (go-yaml v2) and JSON disagree, the safer
 * choice is an error naming the line: ".inf"/".nan" (no JSON form), an
 * integer literal beyond 2^53 (a double would change it silently), merge
 * keys "<<" (not supported), a NUL character in a string or the input,
 * UTF-16 input. A document whose root is null ("--- ~") is skipped like an
 * empty one. As in go-yaml v2, plain y/Y/yes/on/n/no/off (the case variants
 * it lists) are booleans, and "0x1F", "0o17", "017", "0b101" and "1_000"
 * are integers. Mapping keys are kept as written (a plain key "1" is the
 * string "1").
 *
 * This module does not read files: the caller passes the bytes and the
 * name to report. */
#ifndef DJANGO_ADMISSION_DOCUMENT_H
#define DJANGO_ADMISSION_DOCUMENT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "diag.h"

/* hard limits against hostile input */
#define DOCUMENT_DEPTH_MAX 64
#define DOCUMENT_NODES_MAX 1000000

struct line_entry {
    /* RFC 6901 pointer of a node, owned */
    char *pointer;
    /* 1-based line where the node (for members: its key) starts */
    int line;
};

struct document {
    /* owned */
    cJSON *root;
    /* 1-based line where the document's content starts */
    int line;
    /* sorted by pointer, for document_line; owned */
    struct line_entry *lines;
    size_t lines_count;
};

struct document_set {
    struct document *docs;
    size_t count;
};

/* Parses text[0..len) (need not be NUL-terminated) named `name` (for
 * diagnostics, e.g. "deploy.yaml" or "-"). On error returns -1 with d
 * carrying name, line and what is wrong (the libyaml problem or ours), and
 * *out empty. */
int document_parse(const char *name, const char *text, size_t len,
                   struct document_set *out, struct diag *d);

/* Line of the node at pointer, or of its nearest ancestor that exists in
 * the document (a missing field is reported where it belongs). */
int document_line(const struct document *doc, const char *pointer);

void document_set_free(struct document_set *set);

/* 1 when text[0..len), written as a plain (unquoted) scalar, reads back as
 * that same string; 0 when the reader would type it as null, a boolean or a
 * number, or refuse it ("8000", "yes", "~", "", ".inf", "<<"). yamlout uses
 * it to decide which strings need quotes. */
int document_plain_is_string(const char *text, size_t len);

#endif
