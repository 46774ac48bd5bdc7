/* cases: the end-to-end cases, one function each; e2e.c runs the one
 * named on its command line. Each starts its own server, CHECKs, and stops
 * it (exit 0, no sanitizer report). */
#ifndef DJANGO_ADMISSION_E2E_CASES_H
#define DJANGO_ADMISSION_E2E_CASES_H

#include "harness.h"

/* cases_http.c */
void case_status(const struct e2e *e);
void case_identity(const struct e2e *e);
void case_metrics(const struct e2e *e);
void case_client_ca(const struct e2e *e);
void case_listen(const struct e2e *e);

/* cases_tls.c */
void case_tls_versions(const struct e2e *e);
void case_stall(const struct e2e *e);
void case_key_update(const struct e2e *e);

/* cases_load.c */
void case_concurrency(const struct e2e *e);
void case_rotation(const struct e2e *e);
void case_sigterm(const struct e2e *e);
void case_sighup(const struct e2e *e);
void case_connection_limit(const struct e2e *e);

/* cases_dev.c */
void case_dev(const struct e2e *e);

/* cases_garbage.c */
void case_garbage(const struct e2e *e);

#endif
