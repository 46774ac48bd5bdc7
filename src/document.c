#include "document.h"

#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* The line table stores one pointer per node; a long key above many nodes
 * would multiply its length, so the pointers of one parse together may not
 * take more than this. */
#define POINTER_BYTES_MAX ((size_t)128 * 1024 * 1024)

/* 2^53: every integer up to it is exact in a double (cJSON's number) */
#define EXACT_INT_MAX ((uint64_t)1 << 53)

/* longest piece of a scalar quoted in a message */
#define QUOTE_MAX 40

enum scalar_kind {
    KIND_STRING,
    KIND_NULL,
    KIND_BOOL,
    KIND_INT,
    KIND_FLOAT,
    /* .inf, .nan: no JSON form */
    KIND_NOT_FINITE,
    /* an integer literal a double cannot hold exactly */
    KIND_INT_RANGE,
    KIND_NO_MEMORY,
};

struct word {
    const char *text;
    enum scalar_kind kind;
    int boolean;
};

/* go-yaml v2's resolve table (YAML 1.1): exactly these spellings, no other
 * case variants. y/n/yes/no/on/off are booleans there, so a Kubernetes API
 * server reads `enabled: yes` as true; we must type them the same way. */
static const struct word words[] = {
    {"y", KIND_BOOL, 1},        {"Y", KIND_BOOL, 1},        {"yes", KIND_BOOL, 1},
    {"Yes", KIND_BOOL, 1},      {"YES", KIND_BOOL, 1},      {"true", KIND_BOOL, 1},
    {"True", KIND_BOOL, 1},     {"TRUE", KIND_BOOL, 1},     {"on", KIND_BOOL, 1},
    {"On", KIND_BOOL, 1},       {"ON", KIND_BOOL, 1},       {"n", KIND_BOOL, 0},
    {"N", KIND_BOOL, 0},        {"no", KIND_BOOL, 0},       {"No", KIND_BOOL, 0},
    {"NO", KIND_BOOL, 0},       {"false", KIND_BOOL, 0},    {"False", KIND_BOOL, 0},
    {"FALSE", KIND_BOOL, 0},    {"off", KIND_BOOL, 0},      {"Off", KIND_BOOL, 0},
    {"OFF", KIND_BOOL, 0},      {"", KIND_NULL, 0},         {"~", KIND_NULL, 0},
    {"null", KIND_NULL, 0},     {"Null", KIND_NULL, 0},     {"NULL", KIND_NULL, 0},
    {".nan", KIND_NOT_FINITE, 0}, {".NaN", KIND_NOT_FINITE, 0}, {".NAN", KIND_NOT_FINITE, 0},
    {".inf", KIND_NOT_FINITE, 0}, {".Inf", KIND_NOT_FINITE, 0}, {".INF", KIND_NOT_FINITE, 0},
    {"+.inf", KIND_NOT_FINITE, 0}, {"+.Inf", KIND_NOT_FINITE, 0}, {"+.INF", KIND_NOT_FINITE, 0},
    {"-.inf", KIND_NOT_FINITE, 0}, {"-.Inf", KIND_NOT_FINITE, 0}, {"-.INF", KIND_NOT_FINITE, 0},
};

/* Go's strconv.ParseInt(s, 0, 64) syntax, which go-yaml v2 applies after
 * removing every "_":
 *
 *   int    ::= [+-]? ( "0" [bB] bin+ | "0" [oO] oct+ | "0" [xX] hex+
 *                     | "0" oct* | [1-9] dec* )
 *
 * (a prefix needs at least one digit after it, else "0x" is a bad octal).
 * Returns 0 with the magnitude, 1 when well-formed but beyond 2^64-1, -1
 * when not an integer. */
static int parse_go_int(const char *s, size_t len, int *neg, uint64_t *mag)
{
    size_t i = 0;
    unsigned base = 10;
    uint64_t v = 0;
    int over = 0;

    *neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        *neg = s[i] == '-';
        i++;
    }
    if (i == len)
        return -1;
    if (s[i] == '0') {
        char p = len - i >= 3 ? (char)(s[i + 1] | 0x20) : '\0';
        if (p == 'b' || p == 'o' || p == 'x') {
            base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
            i += 2;
        } else {
            base = 8;
            i += 1;
        }
    }
    for (; i < len; i++) {
        unsigned c = (unsigned char)s[i], digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            digit = (c | 0x20) - 'a' + 10;
        else
            return -1;
        if (digit >= base)
            return -1;
        if (v > (UINT64_MAX - digit) / base)
            over = 1;
        else
            v = v * base + digit;
    }
    *mag = v;
    return over;
}

/* go-yaml v2's float syntax (yamlStyleFloat):
 *
 *   float ::= [-+]? ( "." [0-9]+ | [0-9]+ ( "." [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
 */
static int is_yaml_float(const char *s, size_t len)
{
    size_t i = 0, digits = 0;

    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
        if (!digits)
            return 0;
    } else {
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
        if (!digits)
            return 0;
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        digits = 0;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
        if (!digits)
            return 0;
    }
    return i == len;
}

/* Types a plain scalar the way go-yaml v2's resolve() does, which is what
 * the Kubernetes API server and kubectl see:
 *
 *   - an exact word of the table above: bool, null, or .inf/.nan
 *   - starting with a digit or a sign: "_" removed, then an integer (Go
 *     syntax, see parse_go_int), else a float (see is_yaml_float) unless it
 *     overflows a double (go-yaml then keeps the string)
 *   - starting with ".": a float such as ".5" ("_" not allowed)
 *   - anything else: a string (dates stay strings too: go-yaml v2 hands
 *     timestamps to an interface{} as strings)
 *
 * Unlike go-yaml, an integer beyond 2^53 is refused (KIND_INT_RANGE): a
 * double would change its value without a word. */
static enum scalar_kind resolve_plain(const char *s, size_t len, double *number, int *boolean)
{
    char first = len ? s[0] : '\0';
    size_t i, n = 0;
    char *plain;
    enum scalar_kind kind = KIND_STRING;
    uint64_t mag = 0;
    int neg = 0, rc;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i].text) == len && memcmp(words[i].text, s, len) == 0) {
            *boolean = words[i].boolean;
            return words[i].kind;
        }
    }
    if (first == '.') {
        if (!is_yaml_float(s, len))
            return KIND_STRING;
    } else if (!(first == '+' || first == '-' || (first >= '0' && first <= '9'))) {
        return KIND_STRING;
    }
    /* a NUL-terminated copy without "_" for strtod */
    plain = malloc(len + 1);
    if (!plain)
        return KIND_NO_MEMORY;
    for (i = 0; i < len; i++)
        if (s[i] != '_' || first == '.')
            plain[n++] = s[i];
    plain[n] = '\0';
    rc = first == '.' ? -1 : parse_go_int(plain, n, &neg, &mag);
    if (rc == 0 && mag <= EXACT_INT_MAX) {
        *number = neg ? -(double)mag : (double)mag;
        kind = KIND_INT;
    } else if (rc >= 0) {
        kind = KIND_INT_RANGE;
    } else if (is_yaml_float(plain, n)) {
        double v = strtod(plain, NULL);
        if (!isinf(v)) {
            *number = v;
            kind = KIND_FLOAT;
        }
    }
    free(plain);
    return kind;
}

/* see document.h */
int document_plain_is_string(const char *text, size_t len)
{
    double number;
    int boolean;

    if (len == 2 && memcmp(text, "<<", 2) == 0)
        return 0;
    return resolve_plain(text, len, &number, &boolean) == KIND_STRING;
}

struct anchor {
    /* owned */
    char *name;
    /* borrowed from the document tree, or owned (owned != 0) when the
     * anchor is on a mapping key, which is no node of the tree */
    cJSON *node;
    int owned;
    /* nodes in the subtree, for the alias-bomb cap */
    size_t nodes;
    /* container levels in the subtree, for the depth cap */
    int height;
};

struct builder {
    yaml_parser_t parser;
    /* input name for diagnostics, borrowed */
    const char *name;
    /* the input, borrowed */
    const char *text;
    size_t len;
    struct diag *d;
    /* nodes made so far in this parse, aliases' copies included */
    size_t nodes;
    /* bytes of all pointers recorded so far */
    size_t pointer_bytes;
    /* the current document's line table */
    struct line_entry *lines;
    size_t lines_count;
    size_t lines_cap;
    /* pointer of the node being built, NUL-terminated, owned */
    char *ptr;
    size_t ptr_len;
    size_t ptr_cap;
    /* the current document's anchors, later ones shadow earlier ones */
    struct anchor *anchors;
    size_t anchors_count;
    size_t anchors_cap;
};

static int fail_at(struct builder *b, int line, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fills the diag with the input name, line, pointer (NULL: none) and
 * message. Always -1. */
static int fail_at(struct builder *b, int line, const char *pointer, const char *fmt, ...)
{
    char message[DIAG_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    diag_locate(b->d, b->name, line);
    return diag_set(b->d, pointer, "%s", message);
}

static int line_of(const yaml_mark_t *mark)
{
    return mark->line >= (size_t)INT32_MAX ? INT32_MAX : (int)mark->line + 1;
}

/* 1-based line holding byte offset off of the input. */
static int line_at_offset(const struct builder *b, size_t off)
{
    size_t i;
    int line = 1;

    if (off > b->len)
        off = b->len;
    for (i = 0; i < off && line < INT32_MAX; i++)
        if (b->text[i] == '\n')
            line++;
    return line;
}

/* libyaml puts the end of a stream on the line after the last one; an
 * error there ("did not find expected ']'") belongs to the last line. */
static int clamp_line(const struct builder *b, int line)
{
    int last = line_at_offset(b, b->len);

    if (b->len && b->text[b->len - 1] == '\n')
        last--;
    return line > last && last > 0 ? last : line;
}

/* Turns libyaml's error state into the diag. */
static int parser_error(struct builder *b)
{
    yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "syntax error";
    int raw = line_of(&p->problem_mark), line = clamp_line(b, raw);
    char where[64];

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return fail_at(b, 0, NULL, "out of memory reading YAML");
    case YAML_READER_ERROR:
        /* encoding problems: libyaml knows the byte, not the line */
        line = line_at_offset(b, p->problem_offset);
        if (p->problem_value != -1)
            return fail_at(b, line, NULL, "invalid YAML: %s (0x%x at byte %zu)", problem,
                           (unsigned)p->problem_value, p->problem_offset);
        return fail_at(b, line, NULL, "invalid YAML: %s (at byte %zu)", problem,
                       p->problem_offset);
    default:
        if (line != raw)
            snprintf(where, sizeof(where), "at the end of the input");
        else
            snprintf(where, sizeof(where), "at column %zu", p->problem_mark.column + 1);
        if (p->context)
            return fail_at(b, line, NULL, "invalid YAML: %s %s (%s at line %d)", problem, where,
                           p->context, clamp_line(b, line_of(&p->context_mark)));
        return fail_at(b, line, NULL, "invalid YAML: %s %s", problem, where);
    }
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
    if (yaml_parser_parse(&b->parser, ev))
        return 0;
    memset(ev, 0, sizeof(*ev));
    return parser_error(b);
}

static int ptr_reserve(struct builder *b, size_t more, int line)
{
    size_t need = b->ptr_len + more + 1, cap;
    char *n;

    if (more > SIZE_MAX / 2 - b->ptr_len)
        return fail_at(b, line, NULL, "key path too long");
    if (need <= b->ptr_cap)
        return 0;
    cap = b->ptr_cap ? b->ptr_cap : 256;
    while (cap < need)
        cap *= 2;
    n = realloc(b->ptr, cap);
    if (!n)
        return fail_at(b, line, NULL, "out of memory reading YAML");
    b->ptr = n;
    b->ptr_cap = cap;
    return 0;
}

/* Appends "/" and key escaped per RFC 6901 ("~" -> "~0", "/" -> "~1"). */
static int ptr_push_key(struct builder *b, const char *key, size_t len, int line)
{
    size_t i;

    if (len > SIZE_MAX / 4 || ptr_reserve(b, 1 + 2 * len, line) < 0)
        return fail_at(b, line, NULL, "key path too long");
    b->ptr[b->ptr_len++] = '/';
    for (i = 0; i < len; i++) {
        if (key[i] == '~' || key[i] == '/') {
            b->ptr[b->ptr_len++] = '~';
            b->ptr[b->ptr_len++] = key[i] == '~' ? '0' : '1';
        } else {
            b->ptr[b->ptr_len++] = key[i];
        }
    }
    b->ptr[b->ptr_len] = '\0';
    return 0;
}

static int ptr_push_index(struct builder *b, size_t index, int line)
{
    int n;

    if (ptr_reserve(b, 24, line) < 0)
        return -1;
    n = snprintf(b->ptr + b->ptr_len, 24, "/%zu", index);
    b->ptr_len += (size_t)n;
    return 0;
}

static void ptr_restore(struct builder *b, size_t len)
{
    b->ptr_len = len;
    b->ptr[len] = '\0';
}

/* Adds (current pointer, line) to the line table. */
static int record(struct builder *b, int line)
{
    char *copy;

    if (b->lines_count == b->lines_cap) {
        size_t cap = b->lines_cap ? b->lines_cap * 2 : 64;
        struct line_entry *n = realloc(b->lines, cap * sizeof(*n));
        if (!n)
            return fail_at(b, line, NULL, "out of memory reading YAML");
        b->lines = n;
        b->lines_cap = cap;
    }
    if (b->ptr_len + 1 > POINTER_BYTES_MAX - b->pointer_bytes)
        return fail_at(b, line, NULL, "document too large: its key paths exceed %zu bytes",
                       POINTER_BYTES_MAX);
    copy = malloc(b->ptr_len + 1);
    if (!copy)
        return fail_at(b, line, NULL, "out of memory reading YAML");
    memcpy(copy, b->ptr, b->ptr_len + 1);
    b->pointer_bytes += b->ptr_len + 1;
    b->lines[b->lines_count].pointer = copy;
    b->lines[b->lines_count].line = line;
    b->lines_count++;
    return 0;
}

static void lines_free(struct line_entry *lines, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++)
        free(lines[i].pointer);
    free(lines);
}

static void anchors_clear(struct builder *b)
{
    size_t i;

    for (i = 0; i < b->anchors_count; i++) {
        free(b->anchors[i].name);
        if (b->anchors[i].owned)
            cJSON_Delete(b->anchors[i].node);
    }
    b->anchors_count = 0;
}

/* Registers an anchor; takes node when owned, even on failure. */
static int anchor_add(struct builder *b, const char *name, cJSON *node, int owned, size_t nodes,
                      int height, int line)
{
    struct anchor *a;

    if (b->anchors_count == b->anchors_cap) {
        size_t cap = b->anchors_cap ? b->anchors_cap * 2 : 16;
        struct anchor *n = realloc(b->anchors, cap * sizeof(*n));
        if (!n)
            goto nomem;
        b->anchors = n;
        b->anchors_cap = cap;
    }
    a = &b->anchors[b->anchors_count];
    a->name = strdup(name);
    if (!a->name)
        goto nomem;
    a->node = node;
    a->owned = owned;
    a->nodes = nodes;
    a->height = height;
    b->anchors_count++;
    return 0;
nomem:
    if (owned)
        cJSON_Delete(node);
    return fail_at(b, line, NULL, "out of memory reading YAML");
}

static int count_node(struct builder *b, int line)
{
    if (b->nodes >= DOCUMENT_NODES_MAX)
        return fail_at(b, line, NULL, "document has more than %d nodes", DOCUMENT_NODES_MAX);
    b->nodes++;
    return 0;
}

/* "tag:yaml.org,2002:int" -> "int"; NULL for other tags. */
static const char *core_tag(const yaml_char_t *tag)
{
    static const char prefix[] = "tag:yaml.org,2002:";

    if (tag && strncmp((const char *)tag, prefix, sizeof(prefix) - 1) == 0)
        return (const char *)tag + sizeof(prefix) - 1;
    return NULL;
}

static int unsupported_tag(struct builder *b, const yaml_char_t *tag, int line)
{
    const char *core = core_tag(tag);

    if (core)
        return fail_at(b, line, b->ptr, "unsupported tag !!%.*s", QUOTE_MAX, core);
    return fail_at(b, line, b->ptr, "unsupported tag %.*s", QUOTE_MAX, (const char *)tag);
}

/* Makes the JSON value of a scalar. Untagged plain scalars are typed by
 * resolve_plain; quoted, literal and folded ones are strings; the core
 * tags force a type and the text must fit it (go-yaml: "!!int 3" is 3,
 * "!!int x" an error, "!!float 3" is 3.0, "!!str true" a string). */
static int make_scalar(struct builder *b, const yaml_event_t *ev, int line, cJSON **out)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const yaml_char_t *tag = ev->data.scalar.tag;
    const char *core = core_tag(tag);
    enum scalar_kind kind;
    double number = 0;
    int boolean = 0;

    *out = NULL;
    if (count_node(b, line) < 0)
        return -1;
    if (memchr(value, '\0', len))
        return fail_at(b, line, b->ptr, "string contains a NUL character");
    if (!tag)
        kind = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
                   ? resolve_plain(value, len, &number, &boolean)
                   : KIND_STRING;
    else if (strcmp((const char *)tag, "!") == 0 || (core && strcmp(core, "str") == 0))
        kind = KIND_STRING;
    else if (core && (strcmp(core, "null") == 0 || strcmp(core, "bool") == 0 ||
                      strcmp(core, "int") == 0 || strcmp(core, "float") == 0)) {
        kind = resolve_plain(value, len, &number, &boolean);
        if (kind == KIND_INT && strcmp(core, "float") == 0)
            kind = KIND_FLOAT;
        if (kind != KIND_NOT_FINITE && kind != KIND_INT_RANGE && kind != KIND_NO_MEMORY &&
            !(kind == KIND_NULL && strcmp(core, "null") == 0) &&
            !(kind == KIND_BOOL && strcmp(core, "bool") == 0) &&
            !(kind == KIND_INT && strcmp(core, "int") == 0) &&
            !(kind == KIND_FLOAT && strcmp(core, "float") == 0))
            return fail_at(b, line, b->ptr, "cannot read \"%.*s\" as !!%s", QUOTE_MAX, value,
                           core);
    } else {
        return unsupported_tag(b, tag, line);
    }
    switch (kind) {
    case KIND_STRING:
        *out = cJSON_CreateString(value);
        break;
    case KIND_NULL:
        *out = cJSON_CreateNull();
        break;
    case KIND_BOOL:
        *out = cJSON_CreateBool(boolean);
        break;
    case KIND_INT:
    case KIND_FLOAT:
        *out = cJSON_CreateNumber(number);
        break;
    case KIND_NOT_FINITE:
        return fail_at(b, line, b->ptr,
                       "%.*s has no JSON form (quote it to keep it as a string)", QUOTE_MAX,
                       value);
    case KIND_INT_RANGE:
        return fail_at(b, line, b->ptr,
                       "integer out of range: %.*s%s is beyond 2^53, which JSON numbers "
                       "cannot hold exactly (quote it to keep it as a string)",
                       QUOTE_MAX, value, len > QUOTE_MAX ? "..." : "");
    case KIND_NO_MEMORY:
        break;
    }
    if (!*out)
        return fail_at(b, line, NULL, "out of memory reading YAML");
    return 0;
}

static int build_node(struct builder *b, yaml_event_t *ev, int depth, cJSON **out, int *height);

/* Adds the line of an alias to every node copied below it. */
static int record_subtree(struct builder *b, const cJSON *node, int line)
{
    const cJSON *child;
    size_t save = b->ptr_len, i = 0;

    cJSON_ArrayForEach(child, node)
    {
        int rc = cJSON_IsObject(node)
                     ? ptr_push_key(b, child->string, strlen(child->string), line)
                     : ptr_push_index(b, i, line);
        if (rc < 0 || record(b, line) < 0)
            return -1;
        if ((cJSON_IsObject(child) || cJSON_IsArray(child)) && record_subtree(b, child, line) < 0)
            return -1;
        ptr_restore(b, save);
        i++;
    }
    return 0;
}

/* An alias is a copy of its anchor's subtree, counted against the node and
 * depth caps before anything is copied, so "billion laughs" stops early. */
static int build_alias(struct builder *b, const yaml_event_t *ev, int depth, int line,
                       cJSON **out, int *height)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const struct anchor *a = NULL;
    cJSON *copy;
    size_t i;

    for (i = b->anchors_count; i > 0; i--) {
        if (strcmp(b->anchors[i - 1].name, name) == 0) {
            a = &b->anchors[i - 1];
            break;
        }
    }
    if (!a)
        return fail_at(b, line, b->ptr, "unknown anchor \"%.*s\"", QUOTE_MAX, name);
    if (depth + a->height > DOCUMENT_DEPTH_MAX)
        return fail_at(b, line, b->ptr, "nesting deeper than %d levels", DOCUMENT_DEPTH_MAX);
    if (a->nodes > DOCUMENT_NODES_MAX - b->nodes)
        return fail_at(b, line, b->ptr, "aliases expand to more than %d nodes",
                       DOCUMENT_NODES_MAX);
    b->nodes += a->nodes;
    copy = cJSON_Duplicate(a->node, 1);
    if (!copy)
        return fail_at(b, line, NULL, "out of memory reading YAML");
    if (copy->string && !(copy->type & cJSON_StringIsConst)) {
        /* the anchored node's own key is no part of the copy */
        cJSON_free(copy->string);
        copy->string = NULL;
    }
    *out = copy;
    *height = a->height;
    return record_subtree(b, copy, line);
}

static int check_container_tag(struct builder *b, const yaml_char_t *tag, const char *want,
                               int line)
{
    const char *core = core_tag(tag);

    if (!tag || strcmp((const char *)tag, "!") == 0 || (core && strcmp(core, want) == 0))
        return 0;
    return unsupported_tag(b, tag, line);
}

static int build_sequence(struct builder *b, const yaml_event_t *ev, int depth, int line,
                          cJSON **out, int *height)
{
    size_t save = b->ptr_len, index;
    cJSON *arr;

    if (depth + 1 > DOCUMENT_DEPTH_MAX)
        return fail_at(b, line, b->ptr, "nesting deeper than %d levels", DOCUMENT_DEPTH_MAX);
    if (check_container_tag(b, ev->data.sequence_start.tag, "seq", line) < 0 ||
        count_node(b, line) < 0)
        return -1;
    arr = cJSON_CreateArray();
    if (!arr)
        return fail_at(b, line, NULL, "out of memory reading YAML");
    *out = arr;
    *height = 1;
    for (index = 0;; index++) {
        yaml_event_t child;
        cJSON *item = NULL;
        int h = 0, child_line;

        if (next_event(b, &child) < 0)
            return -1;
        if (child.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&child);
            break;
        }
        child_line = line_of(&child.start_mark);
        if (ptr_push_index(b, index, child_line) < 0 || record(b, child_line) < 0) {
            yaml_event_delete(&child);
            return -1;
        }
        if (build_node(b, &child, depth + 1, &item, &h) < 0)
            return -1;
        if (!cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            return fail_at(b, child_line, NULL, "out of memory reading YAML");
        }
        ptr_restore(b, save);
        if (h + 1 > *height)
            *height = h + 1;
    }
    return 0;
}

/* One key of a block or flow mapping: a scalar, untagged or !!str, never
 * the merge key "<<". An anchor on it is kept (owned) for later aliases. */
static int check_key(struct builder *b, const yaml_event_t *key, int line)
{
    const char *core = core_tag(key->data.scalar.tag);
    const char *value = (const char *)key->data.scalar.value;
    size_t len = key->data.scalar.length;
    cJSON *node = NULL;

    if (key->data.scalar.tag && strcmp((const char *)key->data.scalar.tag, "!") != 0 &&
        !(core && strcmp(core, "str") == 0))
        return fail_at(b, line, b->ptr, "mapping keys must be strings (found a %s%.*s key)",
                       core ? "!!" : "", QUOTE_MAX, core ? core : (const char *)key->data.scalar.tag);
    if (memchr(value, '\0', len))
        return fail_at(b, line, b->ptr, "mapping key contains a NUL character");
    if (key->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !key->data.scalar.tag &&
        len == 2 && memcmp(value, "<<", 2) == 0)
        return fail_at(b, line, b->ptr,
                       "merge keys (<<) are not supported: write the merged fields out");
    if (!key->data.scalar.anchor)
        return 0;
    if (make_scalar(b, key, line, &node) < 0)
        return -1;
    return anchor_add(b, (const char *)key->data.scalar.anchor, node, 1, 1, 0, line);
}

static int build_mapping(struct builder *b, const yaml_event_t *ev, int depth, int line,
                         cJSON **out, int *height)
{
    size_t save = b->ptr_len;
    cJSON *obj;

    if (depth + 1 > DOCUMENT_DEPTH_MAX)
        return fail_at(b, line, b->ptr, "nesting deeper than %d levels", DOCUMENT_DEPTH_MAX);
    if (check_container_tag(b, ev->data.mapping_start.tag, "map", line) < 0 ||
        count_node(b, line) < 0)
        return -1;
    obj = cJSON_CreateObject();
    if (!obj)
        return fail_at(b, line, NULL, "out of memory reading YAML");
    *out = obj;
    *height = 1;
    for (;;) {
        yaml_event_t key, value;
        cJSON *item = NULL;
        int h = 0, key_line, rc;

        if (next_event(b, &key) < 0)
            return -1;
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            break;
        }
        key_line = line_of(&key.start_mark);
        if (key.type == YAML_ALIAS_EVENT)
            rc = fail_at(b, key_line, b->ptr, "aliases as mapping keys are not supported");
        else if (key.type != YAML_SCALAR_EVENT)
            rc = fail_at(b, key_line, b->ptr, "mapping keys must be scalars");
        else
            rc = check_key(b, &key, key_line);
        if (rc == 0)
            rc = ptr_push_key(b, (const char *)key.data.scalar.value, key.data.scalar.length,
                              key_line);
        if (rc == 0)
            rc = record(b, key_line);
        if (rc == 0)
            rc = next_event(b, &value);
        if (rc < 0) {
            yaml_event_delete(&key);
            return -1;
        }
        if (build_node(b, &value, depth + 1, &item, &h) < 0) {
            yaml_event_delete(&key);
            return -1;
        }
        if (!cJSON_AddItemToObject(obj, (const char *)key.data.scalar.value, item)) {
            cJSON_Delete(item);
            yaml_event_delete(&key);
            return fail_at(b, key_line, NULL, "out of memory reading YAML");
        }
        yaml_event_delete(&key);
        ptr_restore(b, save);
        if (h + 1 > *height)
            *height = h + 1;
    }
    return 0;
}

/* Builds the node that starts with ev (which it consumes) at depth
 * containers below the root. *height: container levels in the result. On
 * failure *out is NULL and the diag is set. */
static int build_node(struct builder *b, yaml_event_t *ev, int depth, cJSON **out, int *height)
{
    int line = line_of(&ev->start_mark);
    size_t before = b->nodes;
    const yaml_char_t *anchor = NULL;
    int rc;

    *out = NULL;
    *height = 0;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        rc = build_alias(b, ev, depth, line, out, height);
        break;
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        rc = make_scalar(b, ev, line, out);
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        rc = build_sequence(b, ev, depth, line, out, height);
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        rc = build_mapping(b, ev, depth, line, out, height);
        break;
    default:
        rc = fail_at(b, line, NULL, "invalid YAML: unexpected event");
        break;
    }
    if (rc == 0 && anchor)
        rc = anchor_add(b, (const char *)anchor, *out, 0, b->nodes - before, *height, line);
    yaml_event_delete(ev);
    if (rc < 0) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return rc;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const struct line_entry *a = pa, *b = pb;
    int r = strcmp(a->pointer, b->pointer);

    if (r)
        return r;
    return (a->line > b->line) - (a->line < b->line);
}

/* The table is sorted; equal pointers mean a key was written twice in one
 * mapping. Reports the repeat that comes first in the text (the outermost
 * one when several share a line). */
static int check_duplicates(struct builder *b)
{
    const struct line_entry *first = NULL, *second = NULL;
    const char *key;
    size_t i;
    char *name, *w;

    for (i = 1; i < b->lines_count; i++) {
        const struct line_entry *p = &b->lines[i - 1], *q = &b->lines[i];
        if (strcmp(p->pointer, q->pointer) != 0)
            continue;
        if (!second || q->line < second->line ||
            (q->line == second->line && strlen(q->pointer) < strlen(second->pointer))) {
            first = p;
            second = q;
        }
    }
    if (!second)
        return 0;
    key = strrchr(second->pointer, '/');
    key = key ? key + 1 : second->pointer;
    name = strdup(key);
    if (!name)
        return fail_at(b, second->line, NULL, "out of memory reading YAML");
    /* undo RFC 6901 escaping for the message */
    for (w = name; *key; key++) {
        if (key[0] == '~' && (key[1] == '0' || key[1] == '1')) {
            *w++ = key[1] == '0' ? '~' : '/';
            key++;
        } else {
            *w++ = *key;
        }
    }
    *w = '\0';
    fail_at(b, second->line, second->pointer, "duplicate key \"%.*s\" (first at line %d)",
            QUOTE_MAX * 2, name, first->line);
    free(name);
    return -1;
}

/* Parses one document after its DOCUMENT-START. doc->root stays NULL when
 * the document is empty or null. */
static int parse_document(struct builder *b, struct document *doc)
{
    yaml_event_t ev;
    cJSON *root = NULL;
    int height, line;

    memset(doc, 0, sizeof(*doc));
    lines_free(b->lines, b->lines_count);
    b->lines = NULL;
    b->lines_count = b->lines_cap = 0;
    if (ptr_reserve(b, 0, 0) < 0)
        return -1;
    ptr_restore(b, 0);
    if (next_event(b, &ev) < 0)
        return -1;
    line = line_of(&ev.start_mark);
    if (record(b, line) < 0) {
        yaml_event_delete(&ev);
        return -1;
    }
    if (build_node(b, &ev, 0, &root, &height) < 0)
        return -1;
    if (next_event(b, &ev) < 0)
        goto fail;
    if (ev.type != YAML_DOCUMENT_END_EVENT) {
        yaml_event_delete(&ev);
        fail_at(b, line, NULL, "invalid YAML: document does not end");
        goto fail;
    }
    yaml_event_delete(&ev);
    anchors_clear(b);
    if (cJSON_IsNull(root)) {
        cJSON_Delete(root);
        return 0;
    }
    qsort(b->lines, b->lines_count, sizeof(*b->lines), entry_cmp);
    if (check_duplicates(b) < 0)
        goto fail;
    doc->root = root;
    doc->line = line;
    doc->lines = b->lines;
    doc->lines_count = b->lines_count;
    b->lines = NULL;
    b->lines_count = b->lines_cap = 0;
    return 0;
fail:
    cJSON_Delete(root);
    return -1;
}

static int hex4(const char *s, size_t avail, unsigned *out)
{
    unsigned v = 0;

    if (avail < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* JSON writes a character beyond the Basic Multilingual Plane as a UTF-16
 * surrogate pair of escapes ("\ud83c\udf81", RFC 8259 section 7), as
 * Python's json.dumps does by default; YAML forbids surrogate escapes, so
 * libyaml refuses the file. In a JSON document (first byte after a BOM and
 * blanks is '{' or '['), each such pair inside a string becomes the
 * character's UTF-8 bytes, which every reader takes to mean the same. No
 * newline is added or removed, so reported lines do not move. Returns 1 with
 * *out (caller frees) when something was rewritten, 0 when nothing needs to
 * be, -1 when memory ran out. A lone surrogate is left for libyaml to
 * refuse. */
static int join_surrogate_escapes(const char *text, size_t len, char **out, size_t *out_len)
{
    size_t i = 0, o = 0;
    bool in_string = false, changed = false;
    char *buf;

    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == len || (text[i] != '{' && text[i] != '['))
        return 0;
    buf = malloc(len + 1);
    if (!buf)
        return -1;
    memcpy(buf, text, i);
    o = i;
    while (i < len) {
        char c = text[i];
        unsigned hi, lo;

        if (!in_string) {
            in_string = c == '"';
            buf[o++] = text[i++];
            continue;
        }
        if (c == '"') {
            in_string = false;
            buf[o++] = text[i++];
            continue;
        }
        if (c != '\\' || i + 1 == len) {
            buf[o++] = text[i++];
            continue;
        }
        if (text[i + 1] == 'u' && hex4(text + i + 2, len - i - 2, &hi) == 0 && hi >= 0xD800 &&
            hi <= 0xDBFF && i + 7 < len && text[i + 6] == '\\' && text[i + 7] == 'u' &&
            hex4(text + i + 8, len - i - 8, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
            unsigned cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            buf[o++] = (char)(0xF0 | (cp >> 18));
            buf[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            buf[o++] = (char)(0x80 | (cp & 0x3F));
            i += 12;
            changed = true;
            continue;
        }
        /* any other escape is copied whole, so an escaped quote does not
         * end the string */
        buf[o++] = text[i++];
        buf[o++] = text[i++];
    }
    if (!changed) {
        free(buf);
        return 0;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 1;
}

/* see document.h */
int document_parse(const char *name, const char *text, size_t len, struct document_set *out,
                   struct diag *d)
{
    struct builder b;
    struct document_set set = {0};
    const char *nul;
    yaml_event_t ev;
    char *joined = NULL;
    size_t joined_len = 0;
    int rc = -1;

    out->docs = NULL;
    out->count = 0;
    memset(&b, 0, sizeof(b));
    b.name = name ? name : "";
    b.text = text ? text : "";
    b.len = text ? len : 0;
    b.d = d;
    /* UTF-16 is legal YAML, but not what a manifest is: Kubernetes tools
     * and this module's NUL check expect UTF-8 */
    if (b.len >= 2 && ((unsigned char)b.text[0] == 0xff || (unsigned char)b.text[0] == 0xfe) &&
        ((unsigned char)b.text[1] ^ (unsigned char)b.text[0]) == 0x01)
        return fail_at(&b, 1, NULL, "UTF-16 input is not supported: save the file as UTF-8");
    /* YAML forbids NUL anywhere in a stream; say where rather than let a
     * C string end early */
    nul = memchr(b.text, '\0', b.len);
    if (nul)
        return fail_at(&b, line_at_offset(&b, (size_t)(nul - b.text)), NULL,
                       "input contains a NUL byte (at byte %zu)", (size_t)(nul - b.text));
    switch (join_surrogate_escapes(b.text, b.len, &joined, &joined_len)) {
    case -1:
        return fail_at(&b, 0, NULL, "out of memory reading JSON");
    case 1:
        b.text = joined;
        b.len = joined_len;
        break;
    default:
        break;
    }
    if (!yaml_parser_initialize(&b.parser)) {
        free(joined);
        return fail_at(&b, 0, NULL, "out of memory reading YAML");
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)b.text, b.len);
    if (next_event(&b, &ev) < 0)
        goto out;
    yaml_event_delete(&ev);
    for (;;) {
        struct document doc;

        if (next_event(&b, &ev) < 0)
            goto out;
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type != YAML_DOCUMENT_START_EVENT) {
            fail_at(&b, line_of(&ev.start_mark), NULL, "invalid YAML: unexpected event");
            yaml_event_delete(&ev);
            goto out;
        }
        yaml_event_delete(&ev);
        if (parse_document(&b, &doc) < 0)
            goto out;
        if (!doc.root)
            continue;
        if (set.count % 8 == 0) {
            struct document *n = realloc(set.docs, (set.count + 8) * sizeof(*n));
            if (!n) {
                cJSON_Delete(doc.root);
                lines_free(doc.lines, doc.lines_count);
                fail_at(&b, 0, NULL, "out of memory reading YAML");
                goto out;
            }
            set.docs = n;
        }
        set.docs[set.count++] = doc;
    }
    *out = set;
    set.docs = NULL;
    set.count = 0;
    rc = 0;
out:
    document_set_free(&set);
    anchors_clear(&b);
    free(b.anchors);
    lines_free(b.lines, b.lines_count);
    free(b.ptr);
    yaml_parser_delete(&b.parser);
    free(joined);
    return rc;
}

/* Compares the entry's pointer with key[0..n). */
static int entry_cmp_key(const char *entry, const char *key, size_t n)
{
    int r = strncmp(entry, key, n);

    if (r)
        return r;
    return entry[n] != '\0';
}

/* see document.h */
int document_line(const struct document *doc, const char *pointer)
{
    size_t n;

    if (!doc)
        return 0;
    if (!pointer)
        pointer = "";
    n = strlen(pointer);
    for (;;) {
        size_t lo = 0, hi = doc->lines_count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int r = entry_cmp_key(doc->lines[mid].pointer, pointer, n);
            if (r == 0)
                return doc->lines[mid].line;
            if (r < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (n == 0)
            return doc->line;
        /* the nearest ancestor: drop the last "/token" */
        while (n > 0 && pointer[n - 1] != '/')
            n--;
        if (n > 0)
            n--;
    }
}

/* see document.h */
void document_set_free(struct document_set *set)
{
    size_t i;

    if (!set)
        return;
    for (i = 0; i < set->count; i++) {
        cJSON_Delete(set->docs[i].root);
        lines_free(set->docs[i].lines, set->docs[i].lines_count);
    }
    free(set->docs);
    set->docs = NULL;
    set->count = 0;
}
