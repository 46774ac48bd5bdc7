#include "selector.h"

#include <stdio.h>
#include <string.h>

#include "jsonptr.h"
#include "text.h"

/* Kubernetes limits (k8s.io/apimachinery/pkg/util/validation) */
#define DNS_SUBDOMAIN_MAX 253
#define LABEL_NAME_MAX 63
#define LABEL_VALUE_MAX 63

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], the shape of a label name and
 * of a non-empty label value */
static bool is_label_token(const char *s, size_t len)
{
    if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* RFC 1123 subdomain as Kubernetes checks it:
 * [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* */
static bool is_dns_subdomain(const char *s, size_t len)
{
    size_t start = 0;

    if (len == 0 || len > DNS_SUBDOMAIN_MAX)
        return false;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return false;
            continue;
        }
        /* label s[start..i) */
        if (i == start || s[start] == '-' || s[i - 1] == '-')
            return false;
        start = i + 1;
    }
    return true;
}

/* see selector.h */
const char *selector_key_error(const char *key, size_t len)
{
    const char *slash = memchr(key, '/', len);
    const char *name = key;
    size_t name_len = len;

    if (len == 0)
        return "must not be empty";
    if (slash) {
        size_t prefix_len = (size_t)(slash - key);
        if (memchr(slash + 1, '/', len - prefix_len - 1))
            return "must contain at most one '/'";
        if (prefix_len == 0)
            return "prefix before '/' must not be empty";
        if (prefix_len > DNS_SUBDOMAIN_MAX)
            return "prefix before '/' must be at most 253 characters";
        if (!is_dns_subdomain(key, prefix_len))
            return "prefix before '/' must be a DNS subdomain (lower case letters, digits, "
                   "'-' and '.', each part starting and ending with a letter or digit)";
        name = slash + 1;
        name_len = len - prefix_len - 1;
    }
    if (name_len == 0)
        return "name must not be empty";
    if (name_len > LABEL_NAME_MAX)
        return "name must be at most 63 characters";
    if (!is_label_token(name, name_len))
        return "name must consist of letters, digits, '-', '_' and '.', starting and ending "
               "with a letter or digit";
    return NULL;
}

/* see selector.h */
const char *selector_value_error(const char *value, size_t len)
{
    if (len == 0)
        return NULL;
    if (len > LABEL_VALUE_MAX)
        return "must be at most 63 characters";
    if (!is_label_token(value, len))
        return "must consist of letters, digits, '-', '_' and '.', starting and ending with a "
               "letter or digit";
    return NULL;
}

static const char *op_name(enum selector_op op)
{
    switch (op) {
    case SELECTOR_IN:
        return "In";
    case SELECTOR_NOT_IN:
        return "NotIn";
    case SELECTOR_EXISTS:
        return "Exists";
    case SELECTOR_DOES_NOT_EXIST:
        return "DoesNotExist";
    }
    return "In";
}

/* Both append a token to p; on overflow they fill d. */
static int push_key(struct jsonptr *p, const char *key, struct diag *d)
{
    if (jsonptr_push_key(p, key) < 0)
        return diag_set(d, p->text, "key path is longer than %d bytes", JSONPTR_MAX - 1);
    return 0;
}

static int push_index(struct jsonptr *p, size_t i, struct diag *d)
{
    if (jsonptr_push_index(p, i) < 0)
        return diag_set(d, p->text, "key path is longer than %d bytes", JSONPTR_MAX - 1);
    return 0;
}

static int check_key(const char *key, const char *where, struct diag *d)
{
    size_t len = strlen(key);
    const char *why = len >= SELECTOR_KEY_MAX ? "is too long" : selector_key_error(key, len);
    char q[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];

    if (why)
        return diag_set(d, where, "invalid label key %s: %s",
                        text_quote(key, len, TEXT_QUOTE_MAX, q, sizeof(q)), why);
    return 0;
}

static int check_value(const char *value, const char *where, struct diag *d)
{
    size_t len = strlen(value);
    const char *why = selector_value_error(value, len);
    char q[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];

    if (why)
        return diag_set(d, where, "invalid label value %s: %s",
                        text_quote(value, len, TEXT_QUOTE_MAX, q, sizeof(q)), why);
    return 0;
}

/* Adds one value to t, ignoring repeats (Kubernetes keeps a set). */
static int term_add_value(struct selector_term *t, const char *value, size_t len,
                          const char *where, struct diag *d)
{
    for (size_t i = 0; i < t->values_count; i++)
        if (strlen(t->values[i]) == len && memcmp(t->values[i], value, len) == 0)
            return 0;
    if (t->values_count == SELECTOR_VALUES_MAX)
        return diag_set(d, where, "too many values (at most %d)", SELECTOR_VALUES_MAX);
    memcpy(t->values[t->values_count], value, len);
    t->values[t->values_count][len] = '\0';
    t->values_count++;
    return 0;
}

static struct selector_term *new_term(struct selector *s, const char *where, struct diag *d)
{
    struct selector_term *t;

    if (s->count == SELECTOR_TERMS_MAX) {
        diag_set(d, where, "too many selector terms (at most %d)", SELECTOR_TERMS_MAX);
        return NULL;
    }
    t = &s->terms[s->count++];
    memset(t, 0, sizeof(*t));
    return t;
}

static int parse_match_labels(const cJSON *labels, struct jsonptr *p, struct selector *s,
                              struct diag *d)
{
    const cJSON *item;

    if (cJSON_IsNull(labels))
        return 0;
    if (!cJSON_IsObject(labels))
        return diag_set(d, p->text, "expected an object, got %s", text_json_type(labels));
    cJSON_ArrayForEach(item, labels)
    {
        struct selector_term *t;
        size_t len;
        /* an invalid key is reported at the parent when its path is too long */
        bool pushed = jsonptr_push_key(p, item->string) == 0;

        if (check_key(item->string, p->text, d) < 0)
            return -1;
        if (!pushed)
            return diag_set(d, p->text, "key path is longer than %d bytes", JSONPTR_MAX - 1);
        for (const cJSON *prev = labels->child; prev != item; prev = prev->next)
            if (strcmp(prev->string, item->string) == 0)
                return diag_set(d, p->text, "duplicate key");
        if (!cJSON_IsString(item))
            return diag_set(d, p->text, "expected a string, got %s", text_json_type(item));
        if (check_value(item->valuestring, p->text, d) < 0)
            return -1;
        t = new_term(s, p->text, d);
        if (!t)
            return -1;
        strcpy(t->key, item->string);
        t->op = SELECTOR_IN;
        len = strlen(item->valuestring);
        memcpy(t->values[0], item->valuestring, len + 1);
        t->values_count = 1;
        jsonptr_pop(p);
    }
    return 0;
}

static int parse_operator(const cJSON *op, const char *where, enum selector_op *out,
                          struct diag *d)
{
    static const enum selector_op ops[] = {SELECTOR_IN, SELECTOR_NOT_IN, SELECTOR_EXISTS,
                                           SELECTOR_DOES_NOT_EXIST};
    char q[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];

    if (!cJSON_IsString(op))
        return diag_set(d, where, "expected a string, got %s", text_json_type(op));
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(op->valuestring, op_name(ops[i])) == 0) {
            *out = ops[i];
            return 0;
        }
    }
    return diag_set(
        d, where, "unknown operator %s (expected In, NotIn, Exists or DoesNotExist)",
        text_quote(op->valuestring, strlen(op->valuestring), TEXT_QUOTE_MAX, q, sizeof(q)));
}

static int parse_expression(const cJSON *expr, struct jsonptr *p, struct selector *s,
                            struct diag *d)
{
    const cJSON *key = NULL, *op = NULL, *values = NULL, *item;
    struct selector_term *t;
    enum selector_op parsed_op = SELECTOR_IN;
    size_t at = p->len;
    size_t i = 0;

    if (!cJSON_IsObject(expr))
        return diag_set(d, p->text, "expected an object, got %s", text_json_type(expr));
    cJSON_ArrayForEach(item, expr)
    {
        const cJSON **slot = strcmp(item->string, "key") == 0        ? &key
                             : strcmp(item->string, "operator") == 0 ? &op
                             : strcmp(item->string, "values") == 0   ? &values
                                                                     : NULL;
        char q[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];

        if (!slot || *slot)
            (void)jsonptr_push_key(p, item->string);
        if (!slot)
            return diag_set(
                d, p->text, "unknown key %s (expected key, operator or values)",
                text_quote(item->string, strlen(item->string), TEXT_QUOTE_MAX, q, sizeof(q)));
        if (*slot)
            return diag_set(d, p->text, "duplicate key");
        *slot = item;
    }
    if (!key)
        return diag_set(d, p->text, "missing key");
    if (!op)
        return diag_set(d, p->text, "missing operator");
    if (push_key(p, "key", d) < 0)
        return -1;
    if (!cJSON_IsString(key))
        return diag_set(d, p->text, "expected a string, got %s", text_json_type(key));
    if (check_key(key->valuestring, p->text, d) < 0)
        return -1;
    jsonptr_pop(p);
    if (push_key(p, "operator", d) < 0 || parse_operator(op, p->text, &parsed_op, d) < 0)
        return -1;
    jsonptr_pop(p);

    t = new_term(s, p->text, d);
    if (!t)
        return -1;
    strcpy(t->key, key->valuestring);
    t->op = parsed_op;

    if (values && !cJSON_IsNull(values)) {
        if (push_key(p, "values", d) < 0)
            return -1;
        if (!cJSON_IsArray(values))
            return diag_set(d, p->text, "expected a list, got %s", text_json_type(values));
        cJSON_ArrayForEach(item, values)
        {
            if (push_index(p, i++, d) < 0)
                return -1;
            if (!cJSON_IsString(item))
                return diag_set(d, p->text, "expected a string, got %s", text_json_type(item));
            if (check_value(item->valuestring, p->text, d) < 0)
                return -1;
            if (term_add_value(t, item->valuestring, strlen(item->valuestring), p->text, d) < 0)
                return -1;
            jsonptr_pop(p);
        }
        jsonptr_pop(p);
    }
    /* k8s.io/apimachinery ValidateLabelSelectorRequirement */
    if ((parsed_op == SELECTOR_IN || parsed_op == SELECTOR_NOT_IN) && i == 0) {
        if (push_key(p, "values", d) < 0)
            return -1;
        return diag_set(d, p->text, "values must be non-empty when operator is %s",
                        op_name(parsed_op));
    }
    if ((parsed_op == SELECTOR_EXISTS || parsed_op == SELECTOR_DOES_NOT_EXIST) && i > 0) {
        if (push_key(p, "values", d) < 0)
            return -1;
        return diag_set(d, p->text, "values must be empty when operator is %s",
                        op_name(parsed_op));
    }
    p->len = at;
    p->text[at] = '\0';
    return 0;
}

/* see selector.h */
int selector_parse(const cJSON *json, const char *base, struct selector *out, struct diag *d)
{
    struct selector s;
    struct jsonptr p;
    const cJSON *item, *labels = NULL, *exprs = NULL;

    memset(&s, 0, sizeof(s));
    if (jsonptr_set(&p, base ? base : "") < 0)
        return diag_set(d, NULL, "key path is longer than %d bytes", JSONPTR_MAX - 1);
    if (!cJSON_IsObject(json))
        return diag_set(d, p.text, "expected an object, got %s", text_json_type(json));
    cJSON_ArrayForEach(item, json)
    {
        const cJSON **slot = strcmp(item->string, "matchLabels") == 0        ? &labels
                             : strcmp(item->string, "matchExpressions") == 0 ? &exprs
                                                                             : NULL;
        char q[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];

        if (!slot || *slot)
            (void)jsonptr_push_key(&p, item->string);
        if (!slot)
            return diag_set(
                d, p.text, "unknown key %s (expected matchLabels or matchExpressions)",
                text_quote(item->string, strlen(item->string), TEXT_QUOTE_MAX, q, sizeof(q)));
        if (*slot)
            return diag_set(d, p.text, "duplicate key");
        *slot = item;
    }
    if (labels) {
        if (push_key(&p, "matchLabels", d) < 0 || parse_match_labels(labels, &p, &s, d) < 0)
            return -1;
        jsonptr_pop(&p);
    }
    if (exprs && !cJSON_IsNull(exprs)) {
        size_t i = 0;

        if (push_key(&p, "matchExpressions", d) < 0)
            return -1;
        if (!cJSON_IsArray(exprs))
            return diag_set(d, p.text, "expected a list, got %s", text_json_type(exprs));
        cJSON_ArrayForEach(item, exprs)
        {
            if (push_index(&p, i++, d) < 0 || parse_expression(item, &p, &s, d) < 0)
                return -1;
            jsonptr_pop(&p);
        }
    }
    *out = s;
    return 0;
}

/*
 * The string form of a selector, as Kubernetes writes Scale.status.selector
 * and as `kubectl -l` reads it (k8s.io/apimachinery/pkg/labels, Parse):
 *
 *   selector    ::= "" | requirement ( "," requirement )*
 *   requirement ::= key                                   Exists
 *                 | "!" key                               DoesNotExist
 *                 | key ( "=" | "==" ) value              In (value)
 *                 | key "!=" value                        NotIn (value)
 *                 | key "in" "(" values ")"               In
 *                 | key "notin" "(" values ")"            NotIn
 *   values      ::= value ( "," value )*                  not "()" alone
 *   key         ::= identifier                            not "in" or "notin"
 *   value       ::= identifier | ""
 *   identifier  ::= a run of bytes other than whitespace and = ! ( ) , < >
 *
 * Whitespace (space, tab, CR, LF) may separate any two tokens. Keys and
 * values are then checked as label keys and values. The set operators
 * "gt"/"lt" ('>' and '<') that Kubernetes parses for node selectors are not
 * label selector operators and are refused.
 */
enum tok { T_END, T_IDENT, T_EQ, T_DEQ, T_NEQ, T_NOT, T_LPAREN, T_RPAREN, T_COMMA, T_ORDER };

struct lexer {
    const char *text;
    size_t pos;
    /* the last token read */
    enum tok tok;
    size_t start;
    size_t len;
};

static bool is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum tok lex(struct lexer *l)
{
    const char *t = l->text;

    while (is_space(t[l->pos]))
        l->pos++;
    l->start = l->pos;
    if (t[l->pos] == '\0') {
        l->tok = T_END;
    } else if (t[l->pos] == '=') {
        l->pos += t[l->pos + 1] == '=' ? 2 : 1;
        l->tok = l->pos - l->start == 2 ? T_DEQ : T_EQ;
    } else if (t[l->pos] == '!') {
        l->pos += t[l->pos + 1] == '=' ? 2 : 1;
        l->tok = l->pos - l->start == 2 ? T_NEQ : T_NOT;
    } else if (t[l->pos] == '(' || t[l->pos] == ')' || t[l->pos] == ',') {
        l->tok = t[l->pos] == '(' ? T_LPAREN : t[l->pos] == ')' ? T_RPAREN : T_COMMA;
        l->pos++;
    } else if (t[l->pos] == '<' || t[l->pos] == '>') {
        l->tok = T_ORDER;
        l->pos++;
    } else {
        while (t[l->pos] && !is_space(t[l->pos]) && !is_special(t[l->pos]))
            l->pos++;
        l->tok = T_IDENT;
    }
    l->len = l->pos - l->start;
    return l->tok;
}

static bool tok_is_word(const struct lexer *l, const char *word)
{
    return l->tok == T_IDENT && l->len == strlen(word) &&
           memcmp(l->text + l->start, word, l->len) == 0;
}

static int syntax_error(const struct lexer *l, const char *expected, struct diag *d)
{
    char q[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];
    char found[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];

    if (l->tok == T_END)
        snprintf(found, sizeof(found), "end of string");
    else
        text_quote(l->text + l->start, l->len, TEXT_QUOTE_MAX, found, sizeof(found));
    return diag_set(d, NULL, "invalid selector %s: expected %s at offset %zu, found %s",
                    text_quote(l->text, strlen(l->text), TEXT_QUOTE_MAX, q, sizeof(q)), expected,
                    l->start, found);
}

/* Copies the current identifier (or "" when `empty`) into a key or value. */
static int take_key(const struct lexer *l, struct selector_term *t, struct diag *d)
{
    if (l->len >= SELECTOR_KEY_MAX)
        return diag_set(d, NULL, "invalid label key at offset %zu: is too long", l->start);
    memcpy(t->key, l->text + l->start, l->len);
    t->key[l->len] = '\0';
    return check_key(t->key, NULL, d);
}

static int take_value(const struct lexer *l, bool empty, struct selector_term *t,
                      struct diag *d)
{
    size_t len = empty ? 0 : l->len;
    const char *v = l->text + l->start;
    const char *why = selector_value_error(v, len);
    char q[TEXT_QUOTE_SIZE(TEXT_QUOTE_MAX)];

    if (why)
        return diag_set(d, NULL, "invalid label value %s: %s",
                        text_quote(v, len, TEXT_QUOTE_MAX, q, sizeof(q)), why);
    return term_add_value(t, v, len, NULL, d);
}

static int parse_values(struct lexer *l, struct selector_term *t, struct diag *d)
{
    if (lex(l) != T_LPAREN)
        return syntax_error(l, "'('", d);
    lex(l);
    if (l->tok == T_RPAREN)
        return diag_set(d, NULL, "invalid selector: values of %s must be non-empty (at offset %zu)",
                        op_name(t->op), l->start);
    for (;;) {
        /* a value, possibly empty: "(,a)" and "(a,)" hold "" */
        bool empty = l->tok == T_COMMA || l->tok == T_RPAREN;
        if (!empty && l->tok != T_IDENT)
            return syntax_error(l, "a value, ',' or ')'", d);
        if (take_value(l, empty, t, d) < 0)
            return -1;
        if (!empty)
            lex(l);
        if (l->tok == T_RPAREN)
            return 0;
        if (l->tok != T_COMMA)
            return syntax_error(l, "',' or ')'", d);
        lex(l);
    }
}

static int parse_requirement(struct lexer *l, struct selector *s, struct diag *d)
{
    struct selector_term *t = new_term(s, NULL, d);
    bool negated = false;

    if (!t)
        return -1;
    if (l->tok == T_NOT) {
        negated = true;
        lex(l);
    }
    if (l->tok != T_IDENT || tok_is_word(l, "in") || tok_is_word(l, "notin"))
        return syntax_error(l, negated ? "a label key" : "'!' or a label key", d);
    if (take_key(l, t, d) < 0)
        return -1;
    lex(l);
    if (negated || l->tok == T_COMMA || l->tok == T_END) {
        t->op = negated ? SELECTOR_DOES_NOT_EXIST : SELECTOR_EXISTS;
        return 0;
    }
    if (l->tok == T_EQ || l->tok == T_DEQ || l->tok == T_NEQ) {
        t->op = l->tok == T_NEQ ? SELECTOR_NOT_IN : SELECTOR_IN;
        lex(l);
        if (l->tok == T_COMMA || l->tok == T_END)
            return take_value(l, true, t, d);
        if (l->tok != T_IDENT)
            return syntax_error(l, "a value", d);
        if (take_value(l, false, t, d) < 0)
            return -1;
        lex(l);
        return 0;
    }
    if (tok_is_word(l, "in") || tok_is_word(l, "notin")) {
        t->op = tok_is_word(l, "in") ? SELECTOR_IN : SELECTOR_NOT_IN;
        if (parse_values(l, t, d) < 0)
            return -1;
        lex(l);
        return 0;
    }
    if (l->tok == T_ORDER)
        return syntax_error(l, "=, ==, !=, in or notin ('<' and '>' are not label selector "
                               "operators)", d);
    return syntax_error(l, "=, ==, !=, in, notin, ',' or end of string", d);
}

/* see selector.h */
int selector_parse_string(const char *text, struct selector *out, struct diag *d)
{
    struct selector s;
    struct lexer l = {.text = text ? text : ""};

    memset(&s, 0, sizeof(s));
    if (lex(&l) != T_END) {
        for (;;) {
            if (parse_requirement(&l, &s, d) < 0)
                return -1;
            if (l.tok == T_END)
                break;
            if (l.tok != T_COMMA)
                return syntax_error(&l, "',' or end of string", d);
            lex(&l);
        }
    }
    *out = s;
    return 0;
}

/* The label a term is judged against: present or not, and its value (NULL
 * when the label is present but is not a string, which no value equals). */
static bool term_holds(const struct selector_term *t, bool present, const char *value)
{
    bool listed = false;

    for (size_t i = 0; present && value && i < t->values_count; i++)
        if (strcmp(t->values[i], value) == 0)
            listed = true;
    switch (t->op) {
    case SELECTOR_IN:
        return listed;
    case SELECTOR_NOT_IN:
        /* Kubernetes: NotIn matches when the label is absent */
        return !listed;
    case SELECTOR_EXISTS:
        return present;
    case SELECTOR_DOES_NOT_EXIST:
        return !present;
    }
    return false;
}

/* see selector.h */
bool selector_matches(const struct selector *s, const cJSON *labels)
{
    for (size_t i = 0; i < s->count; i++) {
        const struct selector_term *t = &s->terms[i];
        const cJSON *label =
            cJSON_IsObject(labels) ? cJSON_GetObjectItemCaseSensitive(labels, t->key) : NULL;
        const char *value = cJSON_IsString(label) ? label->valuestring : NULL;

        if (!term_holds(t, label != NULL, value))
            return false;
    }
    return true;
}

/* see selector.h */
bool selector_matches_selector(const struct selector *s, const struct selector *labels_sel)
{
    for (size_t i = 0; i < s->count; i++) {
        const struct selector_term *t = &s->terms[i];
        const char *value = NULL;

        /* the label set: the first equality term for each key */
        for (size_t j = 0; j < labels_sel->count && !value; j++) {
            const struct selector_term *l = &labels_sel->terms[j];
            if (l->op == SELECTOR_IN && l->values_count == 1 && strcmp(l->key, t->key) == 0)
                value = l->values[0];
        }
        if (!term_holds(t, value != NULL, value))
            return false;
    }
    return true;
}

/* see selector.h */
cJSON *selector_to_json(const struct selector *s)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *labels = cJSON_CreateObject();
    cJSON *exprs = cJSON_CreateArray();

    if (!root || !labels || !exprs)
        goto fail;
    for (size_t i = 0; i < s->count; i++) {
        const struct selector_term *t = &s->terms[i];
        cJSON *expr, *values;

        /* an equality term is written back as a matchLabels entry unless
         * that key is already there (two In terms on one key) */
        if (t->op == SELECTOR_IN && t->values_count == 1 &&
            !cJSON_GetObjectItemCaseSensitive(labels, t->key)) {
            if (!cJSON_AddStringToObject(labels, t->key, t->values[0]))
                goto fail;
            continue;
        }
        expr = cJSON_CreateObject();
        if (!expr)
            goto fail;
        if (!cJSON_AddItemToArray(exprs, expr)) {
            cJSON_Delete(expr);
            goto fail;
        }
        if (!cJSON_AddStringToObject(expr, "key", t->key) ||
            !cJSON_AddStringToObject(expr, "operator", op_name(t->op)))
            goto fail;
        if (t->op == SELECTOR_EXISTS || t->op == SELECTOR_DOES_NOT_EXIST)
            continue;
        values = cJSON_AddArrayToObject(expr, "values");
        if (!values)
            goto fail;
        for (size_t j = 0; j < t->values_count; j++) {
            cJSON *v = cJSON_CreateString(t->values[j]);
            if (!v)
                goto fail;
            if (!cJSON_AddItemToArray(values, v)) {
                cJSON_Delete(v);
                goto fail;
            }
        }
    }
    if (labels->child) {
        if (!cJSON_AddItemToObject(root, "matchLabels", labels))
            goto fail;
    } else {
        cJSON_Delete(labels);
    }
    labels = NULL;
    if (exprs->child) {
        if (!cJSON_AddItemToObject(root, "matchExpressions", exprs))
            goto fail;
    } else {
        cJSON_Delete(exprs);
    }
    return root;
fail:
    cJSON_Delete(labels);
    cJSON_Delete(exprs);
    cJSON_Delete(root);
    return NULL;
}
