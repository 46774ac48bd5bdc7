#include "policyfile.h"

#include <stdlib.h>

#include "document.h"
#include "input.h"

/* see policyfile.h */
int policyfile_load(const char *path, struct policy *p, struct diag *d)
{
    struct document_set set = {0};
    char *text = NULL;
    size_t len = 0;
    int rc = -1;

    policy_default(p);
    if (!path)
        return 0;
    if (input_read(path, &text, &len, d) < 0)
        return -1;
    if (document_parse(path, text, len, &set, d) < 0)
        goto out;
    if (set.count != 1) {
        diag_locate(d, path, set.count ? set.docs[1].line : 0);
        diag_set(d, NULL, "a policy file holds exactly one document (found %zu)", set.count);
        goto out;
    }
    if (policy_apply(p, set.docs[0].root, d) < 0) {
        diag_locate(d, path, document_line(&set.docs[0], d->pointer));
        goto out;
    }
    rc = 0;
out:
    document_set_free(&set);
    free(text);
    return rc;
}
