/* input: reads a whole file, or standard input for "-", into memory with a
 * hard size limit. The one place the commands touch the filesystem for
 * manifests and policies. */
#ifndef DJANGO_ADMISSION_INPUT_H
#define DJANGO_ADMISSION_INPUT_H

#include <stddef.h>

#include "diag.h"

/* larger inputs are refused, not truncated */
#define INPUT_MAX ((size_t)64 * 1024 * 1024)

/* Reads path ("-" = stdin) into a new buffer, NUL-terminated for
 * convenience (*len excludes the NUL); caller frees with free(). -1 with d
 * naming the file and the reason (missing, unreadable, too large). */
int input_read(const char *path, char **buf, size_t *len, struct diag *d);

#endif
