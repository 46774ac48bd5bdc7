#include "policystore.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static void sig_read(const char *path, struct policystore_sig *sig)
{
    struct stat st;

    memset(sig, 0, sizeof(*sig));
    if (!path || stat(path, &st) < 0)
        return;
    sig->present = true;
    sig->dev = st.st_dev;
    sig->ino = st.st_ino;
    sig->size = st.st_size;
    sig->mtime = st.st_mtim;
}

static bool sig_equal(const struct policystore_sig *a, const struct policystore_sig *b)
{
    return a->present == b->present && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* see policystore.h */
int policystore_open(struct policystore *ps, const char *path, struct diag *d)
{
    memset(ps, 0, sizeof(*ps));
    ps->path = path;
    /* the signature first: a change while loading is seen next time */
    sig_read(path, &ps->sig);
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
    struct policystore_sig now;
    struct policystore_slot *next, *old;

    if (!ps->path)
        return 0;
    sig_read(ps->path, &now);
    if (!force && (!now.present || sig_equal(&now, &ps->sig)))
        return 0;
    /* remembered even when the load fails: a broken file is reported once,
     * not on every check, and its next change is tried again */
    ps->sig = now;
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
