#define _GNU_SOURCE
#include "cpus.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A positive integer at the start of text (leading blanks allowed), else 0. */
static unsigned long long leading_number(const char *text, const char **end)
{
    unsigned long long v;
    char *stop;

    while (text && (*text == ' ' || *text == '\t'))
        text++;
    if (!text || !isdigit((unsigned char)*text))
        return 0;
    errno = 0;
    v = strtoull(text, &stop, 10);
    if (errno != 0)
        return 0;
    if (end)
        *end = stop;
    return v;
}

/* see cpus.h */
unsigned int cpus_from_quota(const char *quota, const char *period)
{
    const char *rest = NULL;
    unsigned long long q = leading_number(quota, &rest), p;

    if (q == 0)
        return 0; /* "max", "-1", or not a number: no limit */
    /* v2 carries the period after the quota on the same line */
    p = period ? leading_number(period, NULL) : leading_number(rest, NULL);
    if (p == 0)
        return 0;
    return (unsigned int)((q + p - 1) / p > 4096 ? 4096 : (q + p - 1) / p);
}

/* The first line of a small file, NUL-terminated; false when unreadable. */
static int read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    int ok;

    if (!f)
        return 0;
    ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    return ok;
}

/* Whether a comma-separated controller list names "cpu". */
static bool lists_cpu(const char *controllers)
{
    size_t n;

    for (; *controllers; controllers += n + (controllers[n] == ',')) {
        n = strcspn(controllers, ",");
        if (n == 3 && strncmp(controllers, "cpu", 3) == 0)
            return true;
    }
    return false;
}

/* This process's cgroup directory, from /proc/self/cgroup: the v2 line
 * ("0::/path") or the v1 line whose controllers include cpu
 * ("4:cpu,cpuacct:/path"); false when there is none. */
static int own_cgroup(bool v2, char *path, size_t size)
{
    char line[512];
    FILE *f = fopen("/proc/self/cgroup", "r");
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        char *controllers = strchr(line, ':'), *where;

        if (!controllers || !(where = strchr(controllers + 1, ':')))
            continue;
        *controllers++ = '\0';
        *where++ = '\0';
        where[strcspn(where, "\n")] = '\0';
        if (v2 ? strcmp(line, "0") == 0 && controllers[0] == '\0' : lists_cpu(controllers))
            found = snprintf(path, size, "%s", where) < (int)size;
    }
    fclose(f);
    return found;
}

/* The first line of file name in the process's own cgroup directory below
 * mount, or, when that is not there (a container sees its own cgroup at
 * the mount point), in mount itself. */
static int read_cgroup_file(const char *mount, bool v2, const char *name, char *buf, size_t size)
{
    char own[256], path[512];

    if (own_cgroup(v2, own, sizeof(own)) && strcmp(own, "/") != 0) {
        snprintf(path, sizeof(path), "%s%s/%s", mount, own, name);
        if (read_line(path, buf, size))
            return 1;
    }
    snprintf(path, sizeof(path), "%s/%s", mount, name);
    return read_line(path, buf, size);
}

static unsigned int quota_cpus(void)
{
    char quota[64], period[64];

    if (read_cgroup_file("/sys/fs/cgroup", true, "cpu.max", quota, sizeof(quota)))
        return cpus_from_quota(quota, NULL);
    if (read_cgroup_file("/sys/fs/cgroup/cpu", false, "cpu.cfs_quota_us", quota, sizeof(quota)) &&
        read_cgroup_file("/sys/fs/cgroup/cpu", false, "cpu.cfs_period_us", period, sizeof(period)))
        return cpus_from_quota(quota, period);
    return 0;
}

/* see cpus.h */
unsigned int cpus_usable(unsigned int max)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned int n = online < 1 ? 1 : (unsigned int)online, q;
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0 &&
        (unsigned int)CPU_COUNT(&set) < n)
        n = (unsigned int)CPU_COUNT(&set);
    q = quota_cpus();
    if (q > 0 && q < n)
        n = q;
    if (n > max)
        n = max;
    return n < 1 ? 1 : n;
}
