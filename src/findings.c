#include "findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define FINDINGS_INITIAL_CAP 16

/* src cut to fit dst[cap] (cap > 0) without splitting a UTF-8 character */
static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src ? text_utf8_prefix(src, strlen(src), cap - 1) : 0;

    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* see findings.h */
void findings_init(struct findings *f)
{
    memset(f, 0, sizeof(*f));
}

/* see findings.h */
void findings_free(struct findings *f)
{
    free(f->items);
    findings_init(f);
}

/* see findings.h */
int findings_add(struct findings *f, enum rule_id rule, const char *container,
                 const char *pointer, struct diag *d, const char *fmt, ...)
{
    /* one byte more than a message holds, to see which byte a cut drops */
    char text[FINDING_MESSAGE_MAX + 1];
    struct violation *v;
    va_list ap;
    int n;

    if (f->count >= FINDINGS_MAX) {
        f->truncated = true;
        f->dropped++;
        return 0;
    }
    if (f->count == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : FINDINGS_INITIAL_CAP;
        struct violation *items;

        if (ncap > FINDINGS_MAX)
            ncap = FINDINGS_MAX;
        items = realloc(f->items, ncap * sizeof(*items));
        if (!items)
            return diag_set(d, pointer, "out of memory recording a violation");
        f->items = items;
        f->cap = ncap;
    }
    v = &f->items[f->count];
    memset(v, 0, sizeof(*v));
    v->rule = rule;
    v->action = RULE_ENFORCE;
    copy_field(v->container, sizeof(v->container), container);
    copy_field(v->pointer, sizeof(v->pointer), pointer);

    va_start(ap, fmt);
    n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    text[(size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1] = '\0';
    copy_field(v->message, sizeof(v->message), text);
    f->count++;
    return 0;
}

/* see findings.h */
size_t findings_count_action(const struct findings *f, enum rule_action action)
{
    size_t n = 0;

    for (size_t i = 0; i < f->count; i++)
        if (f->items[i].action == action)
            n++;
    return n;
}
