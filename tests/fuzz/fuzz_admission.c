/* Fuzz target: one AdmissionReview body of arbitrary bytes, answered by
 * admission_review under the default policy as the mutating and as the
 * validating endpoint. It must always produce a response (200 with an
 * AdmissionReview or a 4xx with a JSON error), never crash, and free
 * cleanly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "admission.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct policy policy;
    static int ready;
    static const enum admission_mode MODES[] = {ADMISSION_MUTATE, ADMISSION_VALIDATE};
    size_t m;

    if (!ready) {
        policy_default(&policy);
        ready = 1;
    }
    for (m = 0; m < sizeof(MODES) / sizeof(MODES[0]); m++) {
        struct admission_outcome out;
        int rc;

        memset(&out, 0, sizeof(out));
        rc = admission_review(&policy, MODES[m], (const char *)data, size, &out);
        check(rc == 0 || rc == -1);
        if (rc == 0) {
            cJSON *body;

            check(out.body != NULL);
            check(out.body_len == strlen(out.body));
            check(out.body_len > 0 && out.body[out.body_len - 1] == '\n');
            check(out.http_status == 200 || (out.http_status >= 400 && out.http_status < 500));
            check((out.http_status == 200) == (out.decision != DECISION_ERROR));
            body = cJSON_ParseWithLength(out.body, out.body_len);
            check(body != NULL);
            cJSON_Delete(body);
        }
        admission_outcome_free(&out);
    }
    return 0;
}
