/* review: one AdmissionReview from stdin, the webhook's answer on stdout,
 * byte for byte what `serve` sends (both call admission_review). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "admission.h"
#include "cli.h"
#include "diag.h"
#include "input.h"
#include "policyfile.h"
#include "reqarena.h"

#define PREFIX "django-admission review: "

static int usage(const char *why, const char *arg)
{
    fprintf(stderr, PREFIX "%s%s%s\nusage: django-admission review [--policy F] [--validate] < AdmissionReview JSON\n",
            why, arg ? " " : "", arg ? arg : "");
    return EXIT_USAGE;
}

/* The "error" member of a 4xx body, for stderr. */
static void print_error_body(const struct admission_outcome *out)
{
    cJSON *root = cJSON_ParseWithLength(out->body, out->body_len);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");

    if (cJSON_IsString(error))
        fprintf(stderr, PREFIX "%s\n", error->valuestring);
    else
        fprintf(stderr, PREFIX "HTTP %d\n", out->http_status);
    cJSON_Delete(root);
}

/* see cli.h */
int cli_review(int argc, char **argv)
{
    const char *policy_path = NULL;
    enum admission_mode mode = ADMISSION_MUTATE;
    struct admission_outcome out;
    struct policy *policy;
    struct diag d;
    char msg[DIAG_FILE_MAX + DIAG_MESSAGE_MAX + DIAG_POINTER_MAX + 32];
    char *body = NULL;
    size_t len = 0;
    struct reqarena *arena;
    int reviewed;
    int rc = EXIT_USAGE;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--policy") == 0) {
            if (i + 1 >= argc)
                return usage("--policy needs a file", NULL);
            policy_path = argv[++i];
        } else if (strncmp(argv[i], "--policy=", 9) == 0) {
            policy_path = argv[i] + 9;
        } else if (strcmp(argv[i], "--validate") == 0) {
            mode = ADMISSION_VALIDATE;
        } else {
            return usage("unknown argument", argv[i]);
        }
    }

    policy = malloc(sizeof(*policy));
    if (!policy) {
        fprintf(stderr, PREFIX "out of memory\n");
        return EXIT_USAGE;
    }
    diag_clear(&d);
    if (policyfile_load(policy_path, policy, &d) < 0) {
        fprintf(stderr, PREFIX "%s\n", diag_format(&d, msg, sizeof(msg)));
        goto done;
    }
    diag_clear(&d);
    if (input_read("-", &body, &len, &d) < 0) {
        fprintf(stderr, PREFIX "%s\n", diag_format(&d, msg, sizeof(msg)));
        goto done;
    }
    /* the request's cJSON trees in one arena, as `serve` answers (the
     * outcome itself is plain malloc and outlives it) */
    arena = reqarena_new();
    reviewed = reqarena_enter(arena) == 0
                   ? admission_review_flags(policy, mode, body, len, ADMISSION_IN_ARENA, &out)
                   : admission_review(policy, mode, body, len, &out);
    reqarena_leave(arena);
    reqarena_free(arena);
    if (reviewed < 0) {
        fprintf(stderr, PREFIX "out of memory\n");
        admission_outcome_free(&out);
        goto done;
    }
    if (fwrite(out.body, 1, out.body_len, stdout) != out.body_len || fflush(stdout) != 0) {
        fprintf(stderr, PREFIX "cannot write to standard output\n");
        admission_outcome_free(&out);
        goto done;
    }
    if (out.http_status != 200) {
        print_error_body(&out);
        rc = EXIT_USAGE;
    } else {
        rc = out.decision == DECISION_DENIED ? EXIT_VIOLATIONS : EXIT_COMPLIANT;
    }
    admission_outcome_free(&out);
done:
    free(body);
    free(policy);
    return rc;
}
