#include "yamlout.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "document.h"

/* the output is refused, not truncated, past this */
#define YAMLOUT_MAX ((size_t)256 * 1024 * 1024)

/* cJSON's own parse limit: no tree from cJSON_Parse is deeper */
#define YAMLOUT_DEPTH_MAX 1000

/* 2^53: integral values up to it print as integers and read back exactly */
#define EXACT_INT_MAX 9007199254740992.0

struct emit {
    yaml_emitter_t emitter;
    struct diag *d;
    /* the YAML text so far, owned */
    char *out;
    size_t len;
    size_t cap;
    /* set when the output would pass YAMLOUT_MAX */
    int too_large;
    /* pointer of the node being written, for messages; stops growing
     * (stays a prefix) when it would not fit */
    char path[DIAG_POINTER_MAX];
    size_t path_len;
};

static int emit_fail(struct emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int emit_fail(struct emit *e, const char *fmt, ...)
{
    char message[DIAG_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    return diag_set(e->d, e->path, "%s", message);
}

/* libyaml's output callback: 1 on success, 0 on failure. */
static int write_out(void *data, unsigned char *buffer, size_t size)
{
    struct emit *e = data;

    if (size > YAMLOUT_MAX - e->len) {
        e->too_large = 1;
        return 0;
    }
    if (e->len + size + 1 > e->cap) {
        size_t cap = e->cap ? e->cap : 4096;
        char *n;
        while (cap < e->len + size + 1)
            cap *= 2;
        n = realloc(e->out, cap);
        if (!n)
            return 0;
        e->out = n;
        e->cap = cap;
    }
    memcpy(e->out + e->len, buffer, size);
    e->len += size;
    e->out[e->len] = '\0';
    return 1;
}

/* Hands ev to the emitter, which frees it whatever happens. */
static int emit_event(struct emit *e, yaml_event_t *ev)
{
    if (yaml_emitter_emit(&e->emitter, ev))
        return 0;
    if (e->too_large)
        return emit_fail(e, "YAML output larger than %zu bytes", YAMLOUT_MAX);
    if (e->emitter.error == YAML_MEMORY_ERROR || e->emitter.error == YAML_WRITER_ERROR)
        return emit_fail(e, "out of memory writing YAML");
    return emit_fail(e, "cannot write YAML: %s",
                     e->emitter.problem ? e->emitter.problem : "emitter error");
}

static int emit_scalar(struct emit *e, const char *text, size_t len, yaml_scalar_style_t style)
{
    yaml_event_t ev;

    if (len > (size_t)INT_MAX)
        return emit_fail(e, "string of %zu bytes is too long to write as YAML", len);
    /* libyaml checks that the text is UTF-8 here */
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len, 1, 1,
                                      style))
        return emit_fail(e, "string is not valid UTF-8");
    return emit_event(e, &ev);
}

/* A string is written as libyaml sees fit (plain where YAML allows it,
 * literal "|" blocks for several lines), except where a plain scalar
 * would read back as something else ("true", "8000", "~", "", "<<"): those
 * are double-quoted. */
static int emit_string(struct emit *e, const char *s)
{
    size_t len = strlen(s);
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

    if (!document_plain_is_string(s, len))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    else if (memchr(s, '\n', len))
        style = YAML_LITERAL_SCALAR_STYLE;
    return emit_scalar(e, s, len, style);
}

/* Shortest of "%.{lo..16}{g,e}" that strtod reads back as v. */
static void format_shortest(double v, char conv, char *buf, size_t cap)
{
    int prec;

    for (prec = conv == 'e' ? 0 : 1; prec < 17; prec++) {
        snprintf(buf, cap, conv == 'e' ? "%.*e" : "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, cap, conv == 'e' ? "%.*e" : "%.*g", 17, v);
}

/* Integral values within 2^53 print as integers ("8000", never "8000.0");
 * others as the shortest text that reads back as the same double, in a
 * form the reader takes as a float: an integral value beyond 2^53 printed
 * as bare digits would be refused as an integer out of range, so it gets
 * an exponent. Negative zero stays "-0", as cJSON prints it in the JSON
 * outputs and as the manifest had it. */
static int format_number(struct emit *e, double v, char *buf, size_t cap)
{
    if (!isfinite(v))
        return emit_fail(e, "number is not finite and has no YAML form");
    if (v == 0) {
        snprintf(buf, cap, signbit(v) ? "-0" : "0");
    } else if (v == floor(v) && fabs(v) <= EXACT_INT_MAX) {
        snprintf(buf, cap, "%.0f", v);
    } else {
        format_shortest(v, 'g', buf, cap);
        if (!strpbrk(buf, ".eE"))
            format_shortest(v, 'e', buf, cap);
    }
    return 0;
}

static void path_push(struct emit *e, const char *key, size_t index, int is_key, size_t *save)
{
    char token[DIAG_POINTER_MAX];
    size_t n = 0;

    *save = e->path_len;
    if (is_key) {
        for (; *key && n + 3 < sizeof(token); key++) {
            if (*key == '~' || *key == '/') {
                token[n++] = '~';
                token[n++] = *key == '~' ? '0' : '1';
            } else {
                token[n++] = *key;
            }
        }
        token[n] = '\0';
    } else {
        snprintf(token, sizeof(token), "%zu", index);
        n = strlen(token);
    }
    if (e->path_len + 1 + n + 1 > sizeof(e->path))
        return;
    e->path[e->path_len++] = '/';
    memcpy(e->path + e->path_len, token, n + 1);
    e->path_len += n;
}

static void path_pop(struct emit *e, size_t save)
{
    e->path_len = save;
    e->path[save] = '\0';
}

static int emit_node(struct emit *e, const cJSON *node, int depth)
{
    yaml_event_t ev;
    const cJSON *child;
    char num[64];
    size_t index = 0, save;
    int ok;

    if (depth > YAMLOUT_DEPTH_MAX)
        return emit_fail(e, "nesting deeper than %d levels", YAMLOUT_DEPTH_MAX);
    if (cJSON_IsObject(node)) {
        /* {} must be flow: an empty block mapping has no text */
        ok = yaml_mapping_start_event_initialize(
            &ev, NULL, NULL, 1, node->child ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
        if (!ok)
            return emit_fail(e, "out of memory writing YAML");
        if (emit_event(e, &ev) < 0)
            return -1;
        cJSON_ArrayForEach(child, node)
        {
            if (!child->string)
                return emit_fail(e, "object member without a key");
            path_push(e, child->string, 0, 1, &save);
            if (emit_string(e, child->string) < 0 || emit_node(e, child, depth + 1) < 0)
                return -1;
            path_pop(e, save);
        }
        yaml_mapping_end_event_initialize(&ev);
        return emit_event(e, &ev);
    }
    if (cJSON_IsArray(node)) {
        ok = yaml_sequence_start_event_initialize(
            &ev, NULL, NULL, 1,
            node->child ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
        if (!ok)
            return emit_fail(e, "out of memory writing YAML");
        if (emit_event(e, &ev) < 0)
            return -1;
        cJSON_ArrayForEach(child, node)
        {
            path_push(e, NULL, index++, 0, &save);
            if (emit_node(e, child, depth + 1) < 0)
                return -1;
            path_pop(e, save);
        }
        yaml_sequence_end_event_initialize(&ev);
        return emit_event(e, &ev);
    }
    if (cJSON_IsString(node)) {
        if (!node->valuestring)
            return emit_fail(e, "string without a value");
        return emit_string(e, node->valuestring);
    }
    if (cJSON_IsNumber(node)) {
        if (format_number(e, node->valuedouble, num, sizeof(num)) < 0)
            return -1;
        return emit_scalar(e, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
    }
    if (cJSON_IsBool(node))
        return emit_scalar(e, cJSON_IsTrue(node) ? "true" : "false",
                           cJSON_IsTrue(node) ? 4 : 5, YAML_PLAIN_SCALAR_STYLE);
    if (cJSON_IsNull(node))
        return emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    return emit_fail(e, "value of an unknown type has no YAML form");
}

/* see yamlout.h */
char *yamlout_emit(const cJSON *root, size_t *len, struct diag *d)
{
    struct emit *e;
    yaml_event_t ev;
    char *out = NULL;

    if (!root) {
        diag_set(d, NULL, "nothing to write as YAML");
        return NULL;
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        diag_set(d, NULL, "out of memory writing YAML");
        return NULL;
    }
    e->d = d;
    if (!yaml_emitter_initialize(&e->emitter)) {
        diag_set(d, NULL, "out of memory writing YAML");
        free(e);
        return NULL;
    }
    yaml_emitter_set_output(&e->emitter, write_out, e);
    yaml_emitter_set_encoding(&e->emitter, YAML_UTF8_ENCODING);
    yaml_emitter_set_indent(&e->emitter, 2);
    /* never fold long lines: an image reference or a key stays one line */
    yaml_emitter_set_width(&e->emitter, -1);
    /* write UTF-8 as is, not as \u escapes */
    yaml_emitter_set_unicode(&e->emitter, 1);
    yaml_emitter_set_break(&e->emitter, YAML_LN_BREAK);

    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING)) {
        emit_fail(e, "out of memory writing YAML");
        goto out;
    }
    if (emit_event(e, &ev) < 0)
        goto out;
    /* implicit = 0: always write "---" */
    if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0)) {
        emit_fail(e, "out of memory writing YAML");
        goto out;
    }
    if (emit_event(e, &ev) < 0 || emit_node(e, root, 0) < 0)
        goto out;
    yaml_document_end_event_initialize(&ev, 1);
    if (emit_event(e, &ev) < 0)
        goto out;
    yaml_stream_end_event_initialize(&ev);
    if (emit_event(e, &ev) < 0)
        goto out;
    if (!yaml_emitter_flush(&e->emitter)) {
        emit_fail(e, "out of memory writing YAML");
        goto out;
    }
    if (!e->out) {
        emit_fail(e, "libyaml wrote nothing");
        goto out;
    }
    out = e->out;
    e->out = NULL;
    if (len)
        *len = e->len;
out:
    yaml_emitter_delete(&e->emitter);
    free(e->out);
    free(e);
    return out;
}
