/* reqarena: a per-request memory arena for cJSON, for the shells that
 * answer many AdmissionReviews (serve, review, the benchmark) — not for the
 * engine, which stays pure and never knows.
 *
 * One request parses a body into hundreds of small cJSON nodes, extends
 * them, prints, and deletes them all. Through malloc that is hundreds of
 * small allocations and frees per request, and glibc spends more time
 * consolidating them than the engine spends on the request. While a thread
 * is inside an arena (reqarena_enter .. reqarena_leave), every allocation
 * cJSON makes on that thread is carved from the arena's blocks and freeing
 * it is a no-op; leaving the arena releases all of it at once and keeps the
 * blocks for the next request.
 *
 * How: cJSON_InitHooks, installed once per process (the first
 * reqarena_install or reqarena_enter), with hooks that serve the calling
 * thread's current arena, or malloc and free when it has none — so cJSON
 * behaves exactly as before on every thread outside an arena, and a pointer
 * from malloc freed inside an arena is recognised (by address: not in one
 * of the arena's blocks) and given to free.
 *
 * The rule for callers: nothing cJSON allocates inside an arena may be
 * used or freed after reqarena_leave (a tree parsed or built inside is
 * deleted inside; printed text is copied out before leaving). Memory from
 * malloc itself is not affected: admission_review's body, findings and the
 * mutation summaries are plain malloc and outlive the arena. Trees made
 * outside an arena must not be extended inside one.
 *
 * Under AddressSanitizer, space not handed out, the gaps between
 * allocations and everything after reqarena_leave are poisoned, so a use
 * after leaving or an overflow is reported as with malloc. */
#ifndef DJANGO_ADMISSION_REQARENA_H
#define DJANGO_ADMISSION_REQARENA_H

#include <stddef.h>

struct reqarena;

/* the first block of a new arena; blocks grow past it as needed */
#define REQARENA_BLOCK ((size_t)64 * 1024)
/* the most an arena keeps between requests */
#define REQARENA_KEEP_MAX ((size_t)4 * 1024 * 1024)

/* Installs the cJSON hooks (once per process; later calls do nothing).
 * Call it early in a program, before other threads use cJSON;
 * reqarena_enter calls it too. */
void reqarena_install(void);

/* A new arena, not entered (caller frees with reqarena_free), or NULL when
 * memory ran out. */
struct reqarena *reqarena_new(void);

/* Makes a the calling thread's arena: cJSON allocations on this thread come
 * from it until reqarena_leave. 0, or -1 (nothing changes: cJSON keeps
 * using malloc) when a is NULL or the thread is already inside an arena. */
int reqarena_enter(struct reqarena *a);

/* Leaves a (which must be the calling thread's current arena; otherwise
 * nothing happens) and releases everything allocated in it, keeping up to
 * REQARENA_KEEP_MAX bytes of blocks for the next request. */
void reqarena_leave(struct reqarena *a);

/* Frees a and its blocks. a must not be entered. NULL is allowed. */
void reqarena_free(struct reqarena *a);

/* The calling thread's own arena, made on first use and freed when the
 * thread exits (for servers whose worker threads answer requests one at a
 * time); NULL when memory ran out. */
struct reqarena *reqarena_thread(void);

/* Bytes handed out since the arena was last left, and the bytes of its
 * blocks (for tests and the benchmark). */
size_t reqarena_used(const struct reqarena *a);
size_t reqarena_capacity(const struct reqarena *a);

#endif
