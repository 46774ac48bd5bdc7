/* addpatch: the smallest RFC 6902 applier the fuzz targets need to check
 * the patches the engine records — "add" of a member to an object that
 * does not have it, or of an element at the end of an array ("-"). Nothing
 * else: an op it cannot apply is a finding, not something to work around. */
#ifndef DJANGO_ADMISSION_FUZZ_ADDPATCH_H
#define DJANGO_ADMISSION_FUZZ_ADDPATCH_H

#include <cjson/cJSON.h>

/* Applies op ({"op":"add","path":...,"value":...}, borrowed) to doc, which
 * gets a copy of the value. 0, or -1 (doc unchanged) when op is not such an
 * add, its path's parent is missing, or the member exists. */
int addpatch_apply(cJSON *doc, const cJSON *op);

/* Whether the ops (an array, borrowed) replayed in order on a copy of
 * object give a tree that prints as result does: 1 when they do, 0 when an
 * op does not apply or the trees differ, -1 when out of memory. */
int addpatch_replays(const cJSON *object, const cJSON *ops, const cJSON *result);

#endif
