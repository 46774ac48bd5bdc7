/* cpus: how many CPUs this process may actually use — the fewest of the
 * CPUs online, its affinity mask, and its cgroup CPU quota (cgroup v2
 * cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us), rounded up. In a
 * Kubernetes pod with a CPU limit of 500m on a 32-core node that is 1, not
 * 32: the number of workers to start. */
#ifndef DJANGO_ADMISSION_CPUS_H
#define DJANGO_ADMISSION_CPUS_H

/* At least 1, at most max. */
unsigned int cpus_usable(unsigned int max);

/* CPUs a quota allows, rounded up: quota and period as cgroup files spell
 * them ("max 100000" and "150000 100000" for v2 cpu.max; "-1" or "150000"
 * with "100000" for v1). 0 when there is no limit or the text is not one. */
unsigned int cpus_from_quota(const char *quota, const char *period);

#endif
