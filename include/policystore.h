/* policystore: the policy a running server judges with, replaceable while
 * requests are using it. A reload (SIGHUP, or the file changed: device,
 * inode, size, mtime) loads the file beside the current policy and swaps it
 * in only when it loaded; a policy that does not load keeps the old one.
 * Readers take a reference for the length of one review, so a swap never
 * frees a policy in use: the last reader of a superseded one frees it.
 *
 * The store owns every policy; a reader borrows one between
 * policystore_acquire and policystore_release. Acquire and release are
 * thread-safe; open, refresh and close are called from one thread. */
#ifndef DJANGO_ADMISSION_POLICYSTORE_H
#define DJANGO_ADMISSION_POLICYSTORE_H

#include <pthread.h>
#include <stdbool.h>

#include "diag.h"
#include "filewatch.h"
#include "policy.h"

struct policystore_slot;

struct policystore {
    /* NULL: the built-in default, which never changes */
    const char *path;
    pthread_mutex_t lock;
    struct policystore_slot *current;
    /* the file as at the last attempt, loaded or not */
    struct filewatch watch;
};

/* Loads path (NULL = built-in default; the string is borrowed and must
 * outlive the store). -1 with d filled (file, line, key, reason). */
int policystore_open(struct policystore *ps, const char *path, struct diag *d);

/* The current policy, referenced until policystore_release(handle). */
const struct policy *policystore_acquire(struct policystore *ps, struct policystore_slot **handle);
void policystore_release(struct policystore_slot *handle);

/* Reloads the file when forced or when it changed since the last load
 * (filewatch.h: a file missing at one poll is not a change, missing at two
 * in a row it is reported). 1 when a new policy is in use, 0 when nothing
 * was done, -1 when the file did not load or has gone missing (d says why;
 * the old policy stays). */
int policystore_refresh(struct policystore *ps, bool force, struct diag *d);

/* Drops the store's reference; readers still holding the policy keep it
 * until they release it. */
void policystore_close(struct policystore *ps);

#endif
