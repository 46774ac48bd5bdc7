#include "fdlimit.h"

/* see fdlimit.h */
void fdlimit_plan(rlim_t soft, rlim_t hard, unsigned int connections, struct fdlimit_plan *out)
{
    rlim_t need = (rlim_t)connections + FDLIMIT_RESERVE, room;
    unsigned int fit;

    out->soft = soft;
    out->connections = connections;
    out->raise = false;
    out->lowered = false;
    if (soft == RLIM_INFINITY || soft >= need)
        return;
    if (hard == RLIM_INFINITY || hard >= need) {
        out->soft = need;
        out->raise = true;
        return;
    }
    /* as far as the hard limit goes, and the connections that fit there */
    if (hard > soft) {
        out->soft = hard;
        out->raise = true;
    }
    room = out->soft > FDLIMIT_RESERVE ? out->soft - FDLIMIT_RESERVE : 0;
    fit = room > FDLIMIT_MIN_CONNECTIONS ? (unsigned int)room : FDLIMIT_MIN_CONNECTIONS;
    if (fit < connections) {
        out->connections = fit;
        out->lowered = true;
    }
}

/* see fdlimit.h */
void fdlimit_fit(unsigned int connections, struct fdlimit_plan *out)
{
    struct rlimit now;

    if (getrlimit(RLIMIT_NOFILE, &now) != 0) {
        fdlimit_plan(RLIM_INFINITY, RLIM_INFINITY, connections, out);
        return;
    }
    fdlimit_plan(now.rlim_cur, now.rlim_max, connections, out);
    if (!out->raise)
        return;
    struct rlimit raised = {out->soft, now.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0)
        /* what fits under the soft limit as it is */
        fdlimit_plan(now.rlim_cur, now.rlim_cur, connections, out);
}
