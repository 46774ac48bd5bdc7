#include "policystore.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "policyfile.h"

/* A policy and the references to it: the store's (while current) and one
 * per reader. */
struct policystore_slot {
    struct policy policy;
    atomic_long refs;
};

static struct policystore_slot *slot_load(const char *path, struct diag *d)
{
    struct policystore_slot *slot = calloc(1, sizeof(*slot));

    if (!slot) {
        diag_set(d, NULL, "out of memory loading the policy");
        return NULL;
    }
    if (policyfile_load(path, &slot->policy, d) < 0) {
        free(slot);
        return NULL;
    }
    atomic_store(&slot->refs, 1);
    return slot;
}

/* see policystore.h */
int policystore_open(struct policystore *ps, const char *path, struct diag *d)
{
    memset(ps, 0, sizeof(*ps));
    ps->path = path;
    /* the file's identity first: a change while loading is seen next time */
    if (path)
        filewatch_init(&ps->watch, path);
    ps->current = slot_load(path, d);
    if (!ps->current)
        return -1;
    pthread_mutex_init(&ps->lock, NULL);
    return 0;
}

/* see policystore.h */
const struct policy *policystore_acquire(struct policystore *ps, struct policystore_slot **handle)
{
    struct policystore_slot *slot;

    pthread_mutex_lock(&ps->lock);
    slot = ps->current;
    atomic_fetch_add(&slot->refs, 1);
    pthread_mutex_unlock(&ps->lock);
    *handle = slot;
    return &slot->policy;
}

/* see policystore.h */
void policystore_release(struct policystore_slot *handle)
{
    if (handle && atomic_fetch_sub(&handle->refs, 1) == 1)
        free(handle);
}

/* see policystore.h */
int policystore_refresh(struct policystore *ps, bool force, struct diag *d)
{
    struct policystore_slot *next, *old;
    enum filewatch_state state;

    if (!ps->path)
        return 0;
    /* the watch remembers the file even when the load fails: a broken file
     * is reported once, not on every check, and its next change is tried
     * again */
    state = filewatch_poll(&ps->watch, d);
    if (state == FILEWATCH_GONE)
        return -1;
    if (!force && state == FILEWATCH_UNCHANGED)
        return 0;
    next = slot_load(ps->path, d);
    if (!next)
        return -1;
    pthread_mutex_lock(&ps->lock);
    old = ps->current;
    ps->current = next;
    pthread_mutex_unlock(&ps->lock);
    policystore_release(old);
    return 1;
}

/* see policystore.h */
void policystore_close(struct policystore *ps)
{
    if (!ps->current)
        return;
    policystore_release(ps->current);
    ps->current = NULL;
    pthread_mutex_destroy(&ps->lock);
}
