/* diag: the error context every fallible function fills in for its caller.
 *
 * A function that can fail returns 0 / -1 and, on -1, describes the failure
 * in a caller-provided struct diag: which input, which line where known,
 * which JSON pointer, and what is wrong. Nothing here prints; shells turn a
 * diag into a stderr line (exit 2) or an HTTP 4xx JSON body. */
#ifndef DJANGO_ADMISSION_DIAG_H
#define DJANGO_ADMISSION_DIAG_H

#include <stddef.h>

#define DIAG_FILE_MAX 256
#define DIAG_POINTER_MAX 512
#define DIAG_MESSAGE_MAX 512

struct diag {
    /* input name ("-" for stdin, "" when unknown) */
    char file[DIAG_FILE_MAX];
    /* 1-based line in that input, 0 when unknown */
    int line;
    /* RFC 6901 pointer to the offending value, "" when none */
    char pointer[DIAG_POINTER_MAX];
    /* what is wrong: lower case, no full stop */
    char message[DIAG_MESSAGE_MAX];
};

/* Empties every field. */
void diag_clear(struct diag *d);

/* Sets pointer (may be NULL) and a printf-style message; keeps file and line.
 * Always returns -1 so callers can write `return diag_set(d, ...);`. */
int diag_set(struct diag *d, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the input name and line, keeping the message. line 0 = unknown. */
void diag_locate(struct diag *d, const char *file, int line);

/* Formats "FILE:LINE: MESSAGE at POINTER" (parts that are unknown are left
 * out) into buf, always NUL-terminated, truncated to cap. Returns buf. */
const char *diag_format(const struct diag *d, char *buf, size_t cap);

#endif
