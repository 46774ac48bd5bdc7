#include "reqarena.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#if defined(__SANITIZE_ADDRESS__)
#define REQARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REQARENA_ASAN 1
#endif
#endif

#ifdef REQARENA_ASAN
#include <sanitizer/asan_interface.h>
/* left poisoned after every allocation, so an overflow hits it */
#define REDZONE 16
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define REDZONE 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* every allocation is aligned for any type, as malloc's are */
#define ALIGN 16

struct block {
    struct block *next;
    /* bytes of data after the header */
    size_t size;
};

/* the header rounded up, so data is aligned as malloc's memory is */
#define HEADER ((sizeof(struct block) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

struct reqarena {
    /* newest first; allocations are carved from the head */
    struct block *head;
    /* the head's data: next free byte and end (0 without a head), for the
     * fast paths of allocating and freeing */
    uintptr_t next;
    uintptr_t end;
    uintptr_t start;
    /* bytes handed out since the last leave, before the head's */
    size_t handed;
};

/* the arena cJSON allocates from on this thread, NULL outside one; read on
 * every allocation, so in the initial-exec model (one load, no call): this
 * module is linked into programs, never loaded with dlopen */
static _Thread_local struct reqarena *current __attribute__((tls_model("initial-exec")));

static unsigned char *block_data(struct block *b)
{
    return (unsigned char *)b + HEADER;
}

static struct block *block_new(size_t size)
{
    struct block *b;

    if (size > SIZE_MAX - HEADER)
        return NULL;
    b = malloc(HEADER + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    POISON(block_data(b), size);
    return b;
}

/* Makes a new head block with room for need bytes. */
__attribute__((noinline, cold)) static int arena_grow(struct reqarena *a, size_t need)
{
    struct block *b = a->head;
    /* geometric growth keeps the blocks few (freeing looks through them)
     * whatever the request's size */
    size_t size = b ? b->size * 2 : REQARENA_BLOCK;

    if (size < need)
        size = need;
    b = block_new(size);
    if (!b)
        return -1;
    if (a->head)
        a->handed += a->next - a->start;
    b->next = a->head;
    a->head = b;
    a->start = a->next = (uintptr_t)block_data(b);
    a->end = a->start + size;
    return 0;
}

/* Any allocation: also the ones hook_malloc's fast path leaves (no block
 * yet, a full block, a size out of its range). */
__attribute__((noinline)) static void *arena_alloc(struct reqarena *a, size_t n)
{
    size_t need;
    void *p;

    if (n > SIZE_MAX / 4)
        return NULL;
    need = (((n ? n : 1) + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + REDZONE;
    if (a->end - a->next < need && arena_grow(a, need) != 0)
        return NULL;
    p = (void *)a->next;
    a->next += need;
    UNPOISON(p, n);
    return p;
}

static bool arena_owns(const struct reqarena *a, const void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;

    if (p - a->start < a->end - a->start)
        return true;
    for (const struct block *b = a->head ? a->head->next : NULL; b; b = b->next) {
        uintptr_t start = (uintptr_t)b + HEADER;
        if (p >= start && p < start + b->size)
            return true;
    }
    return false;
}

/* Called for every node and string cJSON makes, hundreds per request: the
 * common case (room in the head block) stays inline and needs no stack
 * frame; everything else is arena_alloc's, reached by a tail call. */
static void *hook_malloc(size_t n)
{
    struct reqarena *a = current;

    if (!a)
        return malloc(n);
    if (n - 1 < REQARENA_BLOCK) {
        size_t need = ((n + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + REDZONE;

        if (a->end - a->next >= need) {
            void *p = (void *)a->next;

            a->next += need;
            UNPOISON(p, n);
            return p;
        }
    }
    return arena_alloc(a, n);
}

static void hook_free(void *ptr)
{
    struct reqarena *a = current;

    /* arena memory is released all at once by reqarena_leave */
    if (a && ptr && arena_owns(a, ptr))
        return;
    free(ptr);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void hooks_install(void)
{
    cJSON_Hooks hooks = {hook_malloc, hook_free};

    cJSON_InitHooks(&hooks);
}

/* see reqarena.h */
void reqarena_install(void)
{
    pthread_once(&hooks_once, hooks_install);
}

/* see reqarena.h */
struct reqarena *reqarena_new(void)
{
    struct reqarena *a = malloc(sizeof(*a));

    if (!a)
        return NULL;
    a->handed = 0;
    /* the first block is made on first use: an arena never entered costs
     * nothing */
    a->head = NULL;
    a->start = a->next = a->end = 0;
    return a;
}

/* see reqarena.h */
int reqarena_enter(struct reqarena *a)
{
    if (!a || current)
        return -1;
    reqarena_install();
    current = a;
    return 0;
}

static void blocks_free(struct block *b)
{
    while (b) {
        struct block *next = b->next;
        UNPOISON(block_data(b), b->size);
        free(b);
        b = next;
    }
}

/* see reqarena.h */
void reqarena_leave(struct reqarena *a)
{
    struct block *b;
    size_t total = 0;

    if (!a || current != a)
        return;
    current = NULL;
    a->handed = 0;
    b = a->head;
    if (!b)
        return;
    if (!b->next && b->size <= REQARENA_KEEP_MAX) {
        /* the common case: one block, kept as it is */
        a->next = a->start;
        POISON(block_data(b), b->size);
        return;
    }
    /* several blocks: keep one that would have held them all (so the next
     * request of this size allocates nothing), up to REQARENA_KEEP_MAX */
    for (; b; b = b->next)
        total += b->size;
    blocks_free(a->head);
    if (total > REQARENA_KEEP_MAX)
        total = REQARENA_BLOCK;
    /* on failure the next request starts a block of its own */
    a->head = block_new(total);
    a->start = a->next = a->head ? (uintptr_t)block_data(a->head) : 0;
    a->end = a->head ? a->start + total : 0;
}

/* see reqarena.h */
void reqarena_free(struct reqarena *a)
{
    if (!a)
        return;
    if (current == a)
        current = NULL;
    blocks_free(a->head);
    free(a);
}

static pthread_key_t thread_key;
static bool thread_key_made;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_arena_free(void *arena)
{
    reqarena_free(arena);
}

static void thread_key_make(void)
{
    thread_key_made = pthread_key_create(&thread_key, thread_arena_free) == 0;
}

/* see reqarena.h */
struct reqarena *reqarena_thread(void)
{
    struct reqarena *a;

    pthread_once(&thread_once, thread_key_make);
    if (!thread_key_made)
        return NULL;
    a = pthread_getspecific(thread_key);
    if (a)
        return a;
    a = reqarena_new();
    if (a && pthread_setspecific(thread_key, a) != 0) {
        reqarena_free(a);
        return NULL;
    }
    return a;
}

/* see reqarena.h */
size_t reqarena_used(const struct reqarena *a)
{
    return a ? a->handed + (a->next - a->start) : 0;
}

/* see reqarena.h */
size_t reqarena_capacity(const struct reqarena *a)
{
    size_t total = 0;

    for (const struct block *b = a ? a->head : NULL; b; b = b->next)
        total += b->size;
    return total;
}
