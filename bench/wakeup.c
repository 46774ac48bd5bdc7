/* wakeup: what this machine charges to wake a sleeping thread, on another
 * core and on the same one. A webhook that is not busy enough to find its
 * next request already waiting pays one such wake-up per request, and its
 * client another for the answer; on a VM that traps the inter-processor
 * interrupt this, not the work, can be most of a request's cost at partial
 * load (bench/README.md has the figures).
 *
 *   wakeup [--round-trips N]
 *
 * Two threads pass a token back and forth through two eventfds, N times
 * (default 20000) with the threads pinned to two different CPUs, then N
 * times with both on one CPU, and print one line:
 *
 *   WAKEUP cross_us=.. cross_cpu_us=.. same_us=.. same_cpu_us=..
 *
 * per round trip (two wake-ups): wall time, and the CPU time the process
 * used. cross_* are 0 when only one CPU is usable. Exit 0; 1 when the
 * threads cannot be set up; 2 on bad arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct pair {
    int ping, pong; /* eventfds: main -> partner, partner -> main */
    int cpu;        /* the partner's CPU */
    long rounds;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

/* Reads one token, blocking; false on error. */
static int take(int fd)
{
    uint64_t v;

    while (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
        if (errno != EINTR)
            return 0;
    return 1;
}

static int give(int fd)
{
    uint64_t v = 1;

    return write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v);
}

static void *partner(void *arg)
{
    struct pair *p = arg;

    if (pin(p->cpu) != 0)
        return NULL;
    for (long i = 0; i < p->rounds; i++)
        if (!take(p->ping) || !give(p->pong))
            break;
    return NULL;
}

/* Wall and CPU microseconds per round trip with main on cpu_main and the
 * partner on cpu_partner; false when it could not be measured. */
static int measure(int cpu_main, int cpu_partner, long rounds, double *wall_us, double *cpu_us)
{
    struct pair p = {.cpu = cpu_partner, .rounds = rounds};
    pthread_t thread;
    double t0, c0;
    long done = 0;

    p.ping = eventfd(0, EFD_CLOEXEC);
    p.pong = eventfd(0, EFD_CLOEXEC);
    if (p.ping < 0 || p.pong < 0 || pin(cpu_main) != 0 || pthread_create(&thread, NULL, partner, &p) != 0) {
        fprintf(stderr, "wakeup: cannot set up threads on CPUs %d and %d: %s\n", cpu_main, cpu_partner,
                strerror(errno));
        return 0;
    }
    /* one round untimed: the partner's first wait starts cold */
    if (give(p.ping) && take(p.pong))
        done = 1;
    t0 = now_s();
    c0 = cpu_s();
    for (; done < rounds; done++)
        if (!give(p.ping) || !take(p.pong))
            break;
    *wall_us = (now_s() - t0) / (double)(rounds - 1) * 1e6;
    *cpu_us = (cpu_s() - c0) / (double)(rounds - 1) * 1e6;
    if (done < rounds) {
        /* the partner may be waiting for a token that will not come: the
         * process exits without it */
        fprintf(stderr, "wakeup: eventfd failed after %ld round trips: %s\n", done, strerror(errno));
        return 0;
    }
    pthread_join(thread, NULL);
    close(p.ping);
    close(p.pong);
    return 1;
}

int main(int argc, char **argv)
{
    long rounds = 20000;
    cpu_set_t allowed;
    int first = -1, second = -1;
    double cross = 0, cross_cpu = 0, same, same_cpu;

    if (argc == 3 && strcmp(argv[1], "--round-trips") == 0) {
        char *end;
        rounds = strtol(argv[2], &end, 10);
        if (*end || rounds < 2 || rounds > 100000000) {
            fprintf(stderr, "wakeup: --round-trips takes 2 to 100000000\n");
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: wakeup [--round-trips N]\n");
        return 2;
    }
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
        fprintf(stderr, "wakeup: sched_getaffinity: %s\n", strerror(errno));
        return 1;
    }
    for (int cpu = 0; cpu < CPU_SETSIZE && second < 0; cpu++)
        if (CPU_ISSET(cpu, &allowed)) {
            if (first < 0)
                first = cpu;
            else
                second = cpu;
        }
    if (second >= 0 && !measure(first, second, rounds, &cross, &cross_cpu))
        return 1;
    if (!measure(first, first, rounds, &same, &same_cpu))
        return 1;
    printf("WAKEUP cross_us=%.1f cross_cpu_us=%.1f same_us=%.1f same_cpu_us=%.1f\n", cross, cross_cpu, same,
           same_cpu);
    return 0;
}
