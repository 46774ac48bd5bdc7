#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* see diag.h */
void diag_clear(struct diag *d)
{
    memset(d, 0, sizeof(*d));
}

/* see diag.h */
int diag_set(struct diag *d, const char *pointer, const char *fmt, ...)
{
    va_list ap;

    if (!d)
        return -1;
    snprintf(d->pointer, sizeof(d->pointer), "%s", pointer ? pointer : "");
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof(d->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* see diag.h */
void diag_locate(struct diag *d, const char *file, int line)
{
    if (!d)
        return;
    snprintf(d->file, sizeof(d->file), "%s", file ? file : "");
    d->line = line;
}

/* see diag.h */
const char *diag_format(const struct diag *d, char *buf, size_t cap)
{
    size_t n = 0;

    if (!cap)
        return buf;
    buf[0] = '\0';
    if (d->file[0] && d->line > 0)
        n = (size_t)snprintf(buf, cap, "%s:%d: ", d->file, d->line);
    else if (d->file[0])
        n = (size_t)snprintf(buf, cap, "%s: ", d->file);
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "%s", d->message);
    if (n < cap && d->pointer[0])
        snprintf(buf + n, cap - n, " at %s", d->pointer);
    return buf;
}
