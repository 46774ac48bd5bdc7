/* Replays fuzz corpora without libFuzzer: feeds every regular file in each
 * directory (or each file) named on the command line to
 * LLVMFuzzerTestOneInput, in name order, plus one empty input. A crash or a
 * sanitizer report fails the test; an empty corpus is an error too, so a
 * missing seed directory cannot pass silently. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* largest input replayed; seeds are small, this only guards the driver */
#define REPLAY_INPUT_MAX (16u * 1024u * 1024u)

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;

    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t n;

        if (len == cap) {
            uint8_t *grown;

            cap = cap ? cap * 2 : 4096;
            if (cap > REPLAY_INPUT_MAX) {
                fprintf(stderr, "replay: %s: larger than %u bytes\n", path, REPLAY_INPUT_MAX);
                goto fail;
            }
            grown = realloc(buf, cap);
            if (!grown) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                goto fail;
            }
            buf = grown;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: %s: read error\n", path);
        goto fail;
    }
    fclose(f);
    /* an exact-size copy, so ASan sees reads past the input */
    {
        uint8_t *exact = malloc(len ? len : 1);

        if (!exact) {
            free(buf);
            fprintf(stderr, "replay: %s: out of memory\n", path);
            return -1;
        }
        if (len)
            memcpy(exact, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    return 0;

fail:
    free(buf);
    fclose(f);
    return -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Replays every regular file in dir; returns how many, or -1. */
static long replay_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t count = 0, cap = 0, i;
    long done = 0;

    if (!dp) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            char **grown;

            cap = cap ? cap * 2 : 64;
            grown = realloc(names, cap * sizeof(*names));
            if (!grown)
                goto fail;
            names = grown;
        }
        names[count] = strdup(e->d_name);
        if (!names[count])
            goto fail;
        count++;
    }
    closedir(dp);
    dp = NULL;
    qsort(names, count, sizeof(*names), by_name);
    for (i = 0; i < count; i++) {
        char path[4096];
        struct stat st;

        if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
            goto fail;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (replay_file(path) < 0)
            goto fail;
        done++;
    }
    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return done;

fail:
    if (dp)
        closedir(dp);
    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return -1;
}

int main(int argc, char **argv)
{
    long total = 0;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    for (i = 1; i < argc; i++) {
        struct stat st;
        long n;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            n = replay_dir(argv[i]);
        } else {
            n = replay_file(argv[i]) < 0 ? -1 : 1;
        }
        if (n < 0)
            return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("replayed %ld inputs\n", total);
    return 0;
}
