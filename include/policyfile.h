/* policyfile: loads a policy file (JSON or YAML) from disk onto the built-in
 * default — input + document + policy_apply, with the file name and line
 * added to any error. The shells' only way to get a policy. */
#ifndef DJANGO_ADMISSION_POLICYFILE_H
#define DJANGO_ADMISSION_POLICYFILE_H

#include "diag.h"
#include "policy.h"

/* path NULL = the built-in default. On error -1 with d naming the file, the
 * line of the offending key where known, the key path and the reason; *p is
 * unspecified then. */
int policyfile_load(const char *path, struct policy *p, struct diag *d);

#endif
