/* fdlimit: room in the open-file limit for the connections the server is
 * configured to hold. Every connection is a descriptor; with the common
 * soft limit of 1024 and a connection limit of 1024, accept() would fail
 * with EMFILE before the limit was reached, and a reload could not even
 * open the certificate. So the soft limit is raised as far as the
 * connections need, up to the hard limit (as Go's runtime does for every
 * server); where the hard limit is too low, the connection limit is lowered
 * to what fits, and the caller says so. */
#ifndef DJANGO_ADMISSION_FDLIMIT_H
#define DJANGO_ADMISSION_FDLIMIT_H

#include <stdbool.h>
#include <sys/resource.h>

/* descriptors kept for everything but the webhook's connections: stdio,
 * listening sockets, epoll and wake-up descriptors of the workers, the
 * health listener's connections (64), certificate and policy reloads */
#define FDLIMIT_RESERVE 256
/* the connection limit is never planned below this */
#define FDLIMIT_MIN_CONNECTIONS 16

struct fdlimit_plan {
    /* the soft limit to set (the current one when no change is needed) */
    rlim_t soft;
    /* the connections that fit */
    unsigned int connections;
    /* the soft limit goes up; the connection limit had to come down */
    bool raise;
    bool lowered;
};

/* Decides, from the current soft and hard limits, how to fit `connections`
 * plus FDLIMIT_RESERVE descriptors (RLIM_INFINITY allowed for either). */
void fdlimit_plan(rlim_t soft, rlim_t hard, unsigned int connections, struct fdlimit_plan *out);

/* Plans for this process and applies the plan (setrlimit); *out says what
 * was done, with out->soft the limit now in force. A limit that cannot be
 * read or set leaves the connection limit as asked. */
void fdlimit_fit(unsigned int connections, struct fdlimit_plan *out);

#endif
