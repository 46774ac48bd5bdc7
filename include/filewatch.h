/* filewatch: has a watched file changed since the last look, and has it
 * gone missing for longer than a replacement takes?
 *
 * The certificate, key and policy files are polled by identity (device,
 * inode, size, mtime), not read: the kubelet and cert-manager replace
 * mounted Secret files through a symlink swap, which changes the inode.
 * A file missing at one poll may be a replacement caught half-way (a copy
 * that removes before it writes); missing at the next poll too, it is gone,
 * and that is reported once, so the server logs and counts it instead of
 * serving from the old file's memory in silence until it expires. When the
 * file comes back, it is a change unless it is the very file that was
 * there before. */
#ifndef DJANGO_ADMISSION_FILEWATCH_H
#define DJANGO_ADMISSION_FILEWATCH_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "diag.h"

struct filewatch_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct filewatch {
    /* borrowed: must outlive the watch */
    const char *path;
    /* the file as last seen present; `seen` false before it ever was */
    struct filewatch_sig sig;
    bool seen;
    /* polls in a row that found it missing, and whether that was reported */
    unsigned missing_polls;
    bool missing_reported;
};

enum filewatch_state {
    /* the same file as at the last poll (or still missing, already reported
     * or within its grace poll) */
    FILEWATCH_UNCHANGED = 0,
    /* present with another identity: load it again */
    FILEWATCH_CHANGED,
    /* missing at this poll and the one before, reported now (d names the
     * file and the reason); later polls say UNCHANGED until it is back */
    FILEWATCH_GONE,
};

/* Starts watching path and records the file as it is now (missing is fine:
 * its first appearance is then a change). */
void filewatch_init(struct filewatch *w, const char *path);

/* Looks at the file again; see enum filewatch_state. */
enum filewatch_state filewatch_poll(struct filewatch *w, struct diag *d);

#endif
