#include "filewatch.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* 0 and the file's identity, or -1 with errno */
static int sig_read(const char *path, struct filewatch_sig *s)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return -1;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    return 0;
}

static bool sig_equal(const struct filewatch_sig *a, const struct filewatch_sig *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* see filewatch.h */
void filewatch_init(struct filewatch *w, const char *path)
{
    memset(w, 0, sizeof(*w));
    w->path = path;
    w->seen = sig_read(path, &w->sig) == 0;
}

/* see filewatch.h */
enum filewatch_state filewatch_poll(struct filewatch *w, struct diag *d)
{
    struct filewatch_sig now;

    if (sig_read(w->path, &now) < 0) {
        int err = errno;

        if (++w->missing_polls < 2 || w->missing_reported)
            return FILEWATCH_UNCHANGED;
        w->missing_reported = true;
        diag_locate(d, w->path, 0);
        diag_set(d, NULL, "cannot read: %s", strerror(err));
        return FILEWATCH_GONE;
    }
    w->missing_polls = 0;
    w->missing_reported = false;
    if (w->seen && sig_equal(&now, &w->sig))
        return FILEWATCH_UNCHANGED;
    w->sig = now;
    w->seen = true;
    return FILEWATCH_CHANGED;
}
