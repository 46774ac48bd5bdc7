#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* see input.h */
int input_read(const char *path, char **buf, size_t *len, struct diag *d)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *data = NULL;
    size_t used = 0, cap = 0;

    diag_locate(d, path, 0);
    if (!f)
        return diag_set(d, NULL, "cannot open: %s", strerror(errno));
    /* the buffer grows to at most INPUT_MAX + 1 bytes and the NUL: a read
     * that fills it has seen one byte too many, and an input of exactly
     * INPUT_MAX bytes still gets the read that says end of file */
    for (;;) {
        if (cap - used < 65536 && cap < INPUT_MAX + 2) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *n;
            if (ncap > INPUT_MAX + 2)
                ncap = INPUT_MAX + 2;
            n = realloc(data, ncap);
            if (!n) {
                diag_set(d, NULL, "out of memory reading input");
                goto fail;
            }
            data = n;
            cap = ncap;
        }
        size_t got = fread(data + used, 1, cap - used - 1, f);
        used += got;
        if (used > INPUT_MAX) {
            diag_set(d, NULL, "input is larger than %zu bytes", INPUT_MAX);
            goto fail;
        }
        if (got == 0) {
            if (ferror(f)) {
                diag_set(d, NULL, "cannot read: %s", strerror(errno));
                goto fail;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    if (!data) {
        data = malloc(1);
        if (!data)
            return diag_set(d, NULL, "out of memory reading input");
    }
    data[used] = '\0';
    *buf = data;
    *len = used;
    return 0;
fail:
    if (f != stdin)
        fclose(f);
    free(data);
    return -1;
}
