#include "report.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "text.h"

/* A report larger than this is refused (report_render returns NULL) rather
 * than grown without bound. */
#define REPORT_OUTPUT_MAX ((size_t)512 * 1024 * 1024)

#define REPORT_TOOL_NAME "django-admission"
#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* U+FFFD, what malformed UTF-8 becomes */
#define REPLACEMENT "\xEF\xBF\xBD"

/* Growable output buffer with a sticky failure flag: appends after a failure
 * are no-ops, so renderers check once at the end. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
};

static void buf_append(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (n > REPORT_OUTPUT_MAX - b->len) {
        b->failed = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;
        char *nd;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        if (ncap > REPORT_OUTPUT_MAX + 1)
            ncap = REPORT_OUTPUT_MAX + 1;
        nd = realloc(b->data, ncap);
        if (!nd) {
            b->failed = true;
            return;
        }
        b->data = nd;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void buf_printf(struct buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        buf_append(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_append(b, big, (size_t)n);
    free(big);
}

/* Hands the buffer to the caller, or frees it and returns NULL on failure. */
static char *buf_take(struct buf *b, size_t *len)
{
    if (!b->failed && !b->data)
        buf_append(b, "", 0);
    if (b->failed) {
        free(b->data);
        b->data = NULL;
        return NULL;
    }
    if (len)
        *len = b->len;
    return b->data;
}

/* Text reports are one line per finding: control characters (C0, DEL, C1)
 * become visible escapes so a hostile message can neither break a line nor
 * drive a terminal; malformed UTF-8 becomes U+FFFD. */
static void line_escape(struct buf *b, const char *s)
{
    size_t len = strlen(s);

    for (size_t i = 0, n; i < len; i += n) {
        uint32_t cp;

        n = text_utf8_decode(s + i, len - i, &cp);
        if (cp == '\n')
            buf_puts(b, "\\n");
        else if (cp == '\r')
            buf_puts(b, "\\r");
        else if (cp == '\t')
            buf_puts(b, "\\t");
        else if (cp < 0x20 || cp == 0x7F)
            buf_printf(b, "\\x%02x", (unsigned)cp);
        else if (cp >= 0x80 && cp <= 0x9F)
            buf_printf(b, "\\u%04x", (unsigned)cp);
        else if (cp == 0xFFFD && n == 1)
            buf_puts(b, REPLACEMENT);
        else
            buf_append(b, s + i, n);
    }
}

/* XML 1.0 (section 2.2) allows only #x9 | #xA | #xD | [#x20-#xD7FF] |
 * [#xE000-#xFFFD] | [#x10000-#x10FFFF], even as character references. The
 * other C0 controls are written as a visible "\xNN"; U+FFFE/U+FFFF and
 * malformed UTF-8 become U+FFFD. In attributes, tab, newline and carriage
 * return are character references so attribute-value normalisation keeps
 * them. */
static void xml_escape(struct buf *b, const char *s, bool attribute)
{
    size_t len = strlen(s);

    for (size_t i = 0, n; i < len; i += n) {
        uint32_t cp;

        n = text_utf8_decode(s + i, len - i, &cp);
        switch (cp) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&apos;");
            break;
        case '\t':
            buf_puts(b, attribute ? "&#9;" : "\t");
            break;
        case '\n':
            buf_puts(b, attribute ? "&#10;" : "\n");
            break;
        case '\r':
            buf_puts(b, "&#13;");
            break;
        default:
            if (cp < 0x20)
                buf_printf(b, "\\x%02x", (unsigned)cp);
            else if (cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
                buf_printf(b, "&#x%X;", (unsigned)cp);
            else if (cp == 0xFFFE || cp == 0xFFFF || (cp == 0xFFFD && n == 1))
                buf_puts(b, REPLACEMENT);
            else
                buf_append(b, s + i, n);
        }
    }
}

/* Copies s with malformed UTF-8 replaced by U+FFFD: cJSON copies bytes as
 * they are, and a JSON text must be UTF-8 (RFC 8259 section 8.1). Caller
 * frees; NULL on allocation failure. */
static char *utf8_clean(const char *s)
{
    struct buf b = {0};
    size_t len = strlen(s);

    for (size_t i = 0, n; i < len; i += n) {
        uint32_t cp;

        n = text_utf8_decode(s + i, len - i, &cp);
        if (cp == 0xFFFD && n == 1)
            buf_puts(&b, REPLACEMENT);
        else
            buf_append(&b, s + i, n);
    }
    return buf_take(&b, NULL);
}

/* Adds value (NULL as "") under key, or appends it to an array when key is
 * NULL. */
static bool json_add_string(cJSON *parent, const char *key, const char *value)
{
    char *clean = utf8_clean(value ? value : "");
    cJSON *s;
    bool ok;

    if (!clean)
        return false;
    s = cJSON_CreateString(clean);
    free(clean);
    if (!s)
        return false;
    ok = key ? cJSON_AddItemToObject(parent, key, s) : cJSON_AddItemToArray(parent, s);
    if (!ok)
        cJSON_Delete(s);
    return ok;
}

static bool json_add_number(cJSON *obj, const char *key, double value)
{
    return cJSON_AddNumberToObject(obj, key, value) != NULL;
}

/* Adds a new object or array under key (or appends it to an array when key
 * is NULL) and returns it (borrowed), NULL on failure. */
static cJSON *json_add_child(cJSON *parent, const char *key, bool array)
{
    cJSON *c = array ? cJSON_CreateArray() : cJSON_CreateObject();
    bool ok;

    if (!c)
        return NULL;
    ok = key ? cJSON_AddItemToObject(parent, key, c) : cJSON_AddItemToArray(parent, c);
    if (!ok) {
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

/* Pretty-prints and frees root into a malloc'd buffer ending in "\n". */
static char *json_finish(cJSON *root, size_t *len)
{
    char *printed = root ? cJSON_Print(root) : NULL;
    struct buf b = {0};

    cJSON_Delete(root);
    if (!printed)
        return NULL;
    buf_puts(&b, printed);
    buf_puts(&b, "\n");
    cJSON_free(printed);
    return buf_take(&b, len);
}

/* see report.h */
void report_init(struct report *r)
{
    memset(r, 0, sizeof(*r));
}

/* see report.h */
struct report_object *report_add(struct report *r)
{
    struct report_object *o;

    if (r->count == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 16;
        struct report_object *n;
        if (ncap > SIZE_MAX / sizeof(*n))
            return NULL;
        n = realloc(r->objects, ncap * sizeof(*n));
        if (!n)
            return NULL;
        r->objects = n;
        r->cap = ncap;
    }
    o = &r->objects[r->count++];
    memset(o, 0, sizeof(*o));
    findings_init(&o->findings);
    return o;
}

/* see report.h */
void report_free(struct report *r)
{
    for (size_t i = 0; i < r->count; i++) {
        findings_free(&r->objects[i].findings);
        free(r->objects[i].lines);
    }
    free(r->objects);
    report_init(r);
}

/* see report.h */
int report_format_parse(const char *text, enum report_format *out)
{
    static const struct {
        const char *name;
        enum report_format format;
    } formats[] = {
        {"text", REPORT_TEXT},
        {"json", REPORT_JSON},
        {"junit", REPORT_JUNIT},
        {"sarif", REPORT_SARIF},
    };

    if (!text)
        return -1;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strcmp(text, formats[i].name) == 0) {
            *out = formats[i].format;
            return 0;
        }
    }
    return -1;
}

/* see report.h */
size_t report_count_action(const struct report *r, enum rule_action action)
{
    size_t n = 0;

    for (size_t i = 0; i < r->count; i++)
        n += findings_count_action(&r->objects[i].findings, action);
    return n;
}

/* The line to show for violation i: its own, else the object's. */
static int violation_line(const struct report_object *o, size_t i)
{
    if (o->lines && o->lines[i] > 0)
        return o->lines[i];
    return o->line;
}

static const char *rule_name(enum rule_id id)
{
    return id < RULE_COUNT ? rules_get(id)->name : "unknown-rule";
}

/* "FILE:LINE: " (the line left out when unknown), escaped for text. */
static void text_location(struct buf *b, const char *file, int line)
{
    line_escape(b, file);
    if (line > 0)
        buf_printf(b, ":%d", line);
    buf_puts(b, ": ");
}

/* "Kind namespace/name", or "Kind name" when the object has no namespace. */
static void text_object(struct buf *b, const struct report_object *o)
{
    line_escape(b, o->kind[0] ? o->kind : "(no kind)");
    buf_puts(b, " ");
    if (o->namespace_[0]) {
        line_escape(b, o->namespace_);
        buf_puts(b, "/");
    }
    line_escape(b, o->name[0] ? o->name : "(no name)");
}

/* One violation as a text line without the trailing newline:
 * FILE:LINE: ACTION [RULE] Kind ns/name container C: MESSAGE (at POINTER) */
static void text_violation(struct buf *b, const struct report_object *o, size_t i)
{
    const struct violation *v = &o->findings.items[i];

    text_location(b, o->file, violation_line(o, i));
    buf_printf(b, "%s [%s] ", rules_action_name(v->action), rule_name(v->rule));
    text_object(b, o);
    if (v->container[0]) {
        buf_puts(b, " container ");
        line_escape(b, v->container);
    }
    buf_puts(b, ": ");
    line_escape(b, v->message);
    if (v->pointer[0]) {
        buf_puts(b, " (at ");
        line_escape(b, v->pointer);
        buf_puts(b, ")");
    }
}

/* Lines about exemptions and truncation of one object, each ending in "\n". */
static void text_notes(struct buf *b, const struct report_object *o)
{
    const struct findings *f = &o->findings;

    for (size_t id = 0; id < RULE_COUNT; id++) {
        if (!f->used[id])
            continue;
        text_location(b, o->file, o->line);
        buf_printf(b, "exemption used [%s] ", rule_name((enum rule_id)id));
        text_object(b, o);
        buf_puts(b, ": exempted by " ENGINE_EXEMPT_ANNOTATION "\n");
    }
    for (size_t id = 0; id < RULE_COUNT; id++) {
        if (!f->refused[id])
            continue;
        text_location(b, o->file, o->line);
        buf_printf(b, "exemption refused [%s] ", rule_name((enum rule_id)id));
        text_object(b, o);
        buf_puts(b, ": the policy does not allow exempting this rule\n");
    }
    if (f->unknown_exemptions) {
        text_location(b, o->file, o->line);
        buf_puts(b, "exemption unknown ");
        text_object(b, o);
        buf_printf(b, ": %zu unknown rule name%s in " ENGINE_EXEMPT_ANNOTATION "\n",
                   f->unknown_exemptions, f->unknown_exemptions == 1 ? "" : "s");
    }
    if (f->truncated) {
        text_location(b, o->file, o->line);
        buf_puts(b, "truncated ");
        text_object(b, o);
        buf_printf(b, ": %zu more violations not listed (at most %d are kept)\n", f->dropped,
                   FINDINGS_MAX);
    }
}

static char *render_text(const struct report *r, size_t *len)
{
    struct buf b = {0};

    for (size_t i = 0; i < r->count; i++) {
        const struct report_object *o = &r->objects[i];
        for (size_t v = 0; v < o->findings.count; v++) {
            text_violation(&b, o, v);
            buf_puts(&b, "\n");
        }
        text_notes(&b, o);
    }
    buf_printf(&b, "%zu objects checked, %zu skipped, %zu enforce violations, %zu warnings\n",
               r->count, r->skipped, report_count_action(r, RULE_ENFORCE),
               report_count_action(r, RULE_WARN));
    return buf_take(&b, len);
}

static bool json_exemptions(cJSON *parent, const struct findings *f)
{
    cJSON *ex = json_add_child(parent, "exemptions", false);
    cJSON *used = ex ? json_add_child(ex, "used", true) : NULL;
    cJSON *refused = ex ? json_add_child(ex, "refused", true) : NULL;

    if (!used || !refused)
        return false;
    for (size_t id = 0; id < RULE_COUNT; id++) {
        if (f->used[id] && !json_add_string(used, NULL, rule_name((enum rule_id)id)))
            return false;
        if (f->refused[id] && !json_add_string(refused, NULL, rule_name((enum rule_id)id)))
            return false;
    }
    return json_add_number(ex, "unknown", (double)f->unknown_exemptions);
}

static bool json_object(cJSON *objects, const struct report_object *o)
{
    cJSON *obj = json_add_child(objects, NULL, false);
    cJSON *list;

    if (!obj || !json_add_string(obj, "file", o->file) ||
        !json_add_number(obj, "line", o->line) || !json_add_string(obj, "kind", o->kind) ||
        !json_add_string(obj, "namespace", o->namespace_) ||
        !json_add_string(obj, "name", o->name))
        return false;
    list = json_add_child(obj, "violations", true);
    if (!list)
        return false;
    for (size_t i = 0; i < o->findings.count; i++) {
        const struct violation *v = &o->findings.items[i];
        cJSON *jv = json_add_child(list, NULL, false);
        const char *severity =
            v->rule < RULE_COUNT ? rules_severity_name(rules_get(v->rule)->severity) : "";
        if (!jv || !json_add_string(jv, "rule", rule_name(v->rule)) ||
            !json_add_string(jv, "action", rules_action_name(v->action)) ||
            !json_add_string(jv, "severity", severity) ||
            !json_add_string(jv, "container", v->container) ||
            !json_add_string(jv, "pointer", v->pointer) ||
            !json_add_number(jv, "line", violation_line(o, i)) ||
            !json_add_string(jv, "message", v->message))
            return false;
    }
    if (!json_exemptions(obj, &o->findings))
        return false;
    return cJSON_AddBoolToObject(obj, "truncated", o->findings.truncated) &&
           json_add_number(obj, "dropped", (double)o->findings.dropped);
}

static char *render_json(const struct report *r, const char *version, size_t *len)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *summary, *objects;

    if (!root)
        return NULL;
    if (!json_add_string(root, "version", version))
        goto fail;
    summary = json_add_child(root, "summary", false);
    if (!summary || !json_add_number(summary, "files", (double)r->files) ||
        !json_add_number(summary, "objects", (double)r->count) ||
        !json_add_number(summary, "skipped", (double)r->skipped) ||
        !json_add_number(summary, "enforce", (double)report_count_action(r, RULE_ENFORCE)) ||
        !json_add_number(summary, "warn", (double)report_count_action(r, RULE_WARN)))
        goto fail;
    objects = json_add_child(root, "objects", true);
    if (!objects)
        goto fail;
    for (size_t i = 0; i < r->count; i++) {
        if (!json_object(objects, &r->objects[i]))
            goto fail;
    }
    return json_finish(root, len);
fail:
    cJSON_Delete(root);
    return NULL;
}

/* Appends what text (text rendered for XML) holds, XML-escaped, and frees
 * text; a failure in text fails b. */
static void xml_escape_take(struct buf *b, struct buf *text, bool attribute)
{
    char *s = buf_take(text, NULL);

    if (!s) {
        b->failed = true;
        return;
    }
    xml_escape(b, s, attribute);
    free(s);
}

static size_t object_enforce_count(const struct report_object *o)
{
    return findings_count_action(&o->findings, RULE_ENFORCE);
}

static void junit_testcase(struct buf *b, const struct report_object *o)
{
    bool has_out = findings_count_action(&o->findings, RULE_WARN) > 0;
    struct buf name = {0};

    for (size_t id = 0; id < RULE_COUNT && !has_out; id++)
        has_out = o->findings.used[id] || o->findings.refused[id];
    has_out = has_out || o->findings.unknown_exemptions || o->findings.truncated;

    buf_puts(b, "    <testcase classname=\"");
    xml_escape(b, o->file, true);
    buf_puts(b, "\" name=\"");
    /* testcase name: "Kind namespace/name" */
    text_object(&name, o);
    xml_escape_take(b, &name, true);
    buf_puts(b, "\" time=\"0\"");
    if (!object_enforce_count(o) && !has_out) {
        buf_puts(b, "/>\n");
        return;
    }
    buf_puts(b, ">\n");
    for (size_t i = 0; i < o->findings.count; i++) {
        const struct violation *v = &o->findings.items[i];
        struct buf line = {0};
        if (v->action != RULE_ENFORCE)
            continue;
        buf_puts(b, "      <failure type=\"");
        xml_escape(b, rule_name(v->rule), true);
        buf_puts(b, "\" message=\"");
        xml_escape(b, v->message, true);
        buf_puts(b, "\">");
        text_violation(&line, o, i);
        xml_escape_take(b, &line, false);
        buf_puts(b, "</failure>\n");
    }
    if (has_out) {
        struct buf out = {0};
        for (size_t i = 0; i < o->findings.count; i++) {
            if (o->findings.items[i].action == RULE_ENFORCE)
                continue;
            text_violation(&out, o, i);
            buf_puts(&out, "\n");
        }
        text_notes(&out, o);
        buf_puts(b, "      <system-out>");
        xml_escape_take(b, &out, false);
        buf_puts(b, "</system-out>\n");
    }
    buf_puts(b, "    </testcase>\n");
}

/* JUnit XML: one <testsuite> per input file (objects of one file are
 * consecutive in the report), one <testcase> per object, one <failure> per
 * enforce violation, warnings and exemptions in <system-out>. As in JUnit,
 * `tests` and `failures` count testcases (objects), not violations. */
static char *render_junit(const struct report *r, size_t *len)
{
    struct buf b = {0};
    size_t failed = 0;

    for (size_t i = 0; i < r->count; i++)
        failed += object_enforce_count(&r->objects[i]) > 0;
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    buf_printf(&b,
               "<testsuites name=\"" REPORT_TOOL_NAME " check\" tests=\"%zu\" failures=\"%zu\" "
               "errors=\"0\" time=\"0\">\n",
               r->count, failed);
    for (size_t start = 0; start < r->count;) {
        const char *file = r->objects[start].file;
        size_t end = start, suite_failed = 0;
        while (end < r->count && strcmp(r->objects[end].file, file) == 0) {
            suite_failed += object_enforce_count(&r->objects[end]) > 0;
            end++;
        }
        buf_puts(&b, "  <testsuite name=\"");
        xml_escape(&b, file, true);
        buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\">\n",
                   end - start, suite_failed);
        for (size_t i = start; i < end; i++)
            junit_testcase(&b, &r->objects[i]);
        buf_puts(&b, "  </testsuite>\n");
        start = end;
    }
    buf_puts(&b, "</testsuites>\n");
    return buf_take(&b, len);
}

static const char *sarif_level(enum rule_action a)
{
    switch (a) {
    case RULE_ENFORCE:
        return "error";
    case RULE_WARN:
        return "warning";
    case RULE_OFF:
        return "none";
    }
    return "none";
}

/* SARIF artifactLocation.uri is a URI reference (SARIF 2.1.0 section
 * 3.4.3): the file name with every byte outside RFC 3986's unreserved set and
 * "/" percent-encoded; stdin has no file, so it is "stdin". */
static char *sarif_uri(const char *file)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf b = {0};

    if (strcmp(file, "-") == 0)
        file = "stdin";
    for (const unsigned char *p = (const unsigned char *)file; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            buf_append(&b, (const char *)p, 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 0x0F]};
            buf_append(&b, enc, 3);
        }
    }
    return buf_take(&b, NULL);
}

static bool sarif_rules(cJSON *driver)
{
    cJSON *rules = json_add_child(driver, "rules", true);

    if (!rules)
        return false;
    for (size_t id = 0; id < RULE_COUNT; id++) {
        const struct rule *rule = rules_get((enum rule_id)id);
        cJSON *jr = json_add_child(rules, NULL, false);
        cJSON *shortd = jr ? json_add_child(jr, "shortDescription", false) : NULL;
        cJSON *config = jr ? json_add_child(jr, "defaultConfiguration", false) : NULL;
        cJSON *props = jr ? json_add_child(jr, "properties", false) : NULL;
        if (!shortd || !config || !props || !json_add_string(jr, "id", rule->name) ||
            !json_add_string(shortd, "text", rule->summary) ||
            !json_add_string(config, "level", sarif_level(rule->default_action)) ||
            !json_add_string(props, "area", rule->area) ||
            !json_add_string(props, "severity", rules_severity_name(rule->severity)))
            return false;
    }
    return true;
}

static bool sarif_result(cJSON *results, const struct report_object *o, size_t i)
{
    const struct violation *v = &o->findings.items[i];
    cJSON *res = json_add_child(results, NULL, false);
    cJSON *msg, *locs, *loc, *phys, *art, *logs, *logical, *props;
    struct buf fq = {0};
    char *uri, *name;
    int line = violation_line(o, i);
    bool ok;

    if (!res || !json_add_string(res, "ruleId", rule_name(v->rule)) ||
        !json_add_number(res, "ruleIndex", v->rule < RULE_COUNT ? (double)v->rule : -1) ||
        !json_add_string(res, "level", sarif_level(v->action)))
        return false;
    msg = json_add_child(res, "message", false);
    if (!msg || !json_add_string(msg, "text", v->message))
        return false;
    locs = json_add_child(res, "locations", true);
    loc = locs ? json_add_child(locs, NULL, false) : NULL;
    phys = loc ? json_add_child(loc, "physicalLocation", false) : NULL;
    art = phys ? json_add_child(phys, "artifactLocation", false) : NULL;
    if (!art)
        return false;
    uri = sarif_uri(o->file);
    if (!uri)
        return false;
    ok = json_add_string(art, "uri", uri);
    free(uri);
    if (!ok)
        return false;
    if (line > 0) {
        cJSON *region = json_add_child(phys, "region", false);
        if (!region || !json_add_number(region, "startLine", line))
            return false;
    }
    logs = json_add_child(loc, "logicalLocations", true);
    logical = logs ? json_add_child(logs, NULL, false) : NULL;
    if (!logical)
        return false;
    /* Kind/namespace/name followed by the pointer into the object */
    buf_puts(&fq, o->kind);
    buf_puts(&fq, "/");
    if (o->namespace_[0]) {
        buf_puts(&fq, o->namespace_);
        buf_puts(&fq, "/");
    }
    buf_puts(&fq, o->name);
    buf_puts(&fq, v->pointer);
    name = buf_take(&fq, NULL);
    if (!name)
        return false;
    ok = json_add_string(logical, "fullyQualifiedName", name);
    free(name);
    if (!ok)
        return false;
    props = json_add_child(res, "properties", false);
    return props && json_add_string(props, "container", v->container) &&
           json_add_string(props, "pointer", v->pointer);
}

static char *render_sarif(const struct report *r, const char *version, size_t *len)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *runs, *run, *tool, *driver, *results;

    if (!root)
        return NULL;
    if (!json_add_string(root, "$schema", SARIF_SCHEMA) ||
        !json_add_string(root, "version", "2.1.0"))
        goto fail;
    runs = json_add_child(root, "runs", true);
    run = runs ? json_add_child(runs, NULL, false) : NULL;
    tool = run ? json_add_child(run, "tool", false) : NULL;
    driver = tool ? json_add_child(tool, "driver", false) : NULL;
    if (!driver || !json_add_string(driver, "name", REPORT_TOOL_NAME) ||
        !json_add_string(driver, "version", version) ||
        !sarif_rules(driver))
        goto fail;
    results = json_add_child(run, "results", true);
    if (!results)
        goto fail;
    for (size_t i = 0; i < r->count; i++) {
        const struct report_object *o = &r->objects[i];
        for (size_t v = 0; v < o->findings.count; v++) {
            if (!sarif_result(results, o, v))
                goto fail;
        }
    }
    return json_finish(root, len);
fail:
    cJSON_Delete(root);
    return NULL;
}

/* see report.h */
char *report_render(const struct report *r, enum report_format format, const char *version,
                    size_t *len)
{
    if (!version)
        version = "";
    switch (format) {
    case REPORT_TEXT:
        return render_text(r, len);
    case REPORT_JSON:
        return render_json(r, version, len);
    case REPORT_JUNIT:
        return render_junit(r, len);
    case REPORT_SARIF:
        return render_sarif(r, version, len);
    }
    return NULL;
}
