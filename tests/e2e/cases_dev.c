/* The README's run command: `serve --dev` makes its own certificates,
 * prints a curl command that works as printed, and removes what it wrote
 * when it stops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases.h"
#include "harness.h"

#define DIR_LINE "throwaway CA and localhost certificate in "

/* Copies the curl command serve printed (from "curl --cacert" to the end of
 * the line after the backslash-newline that splits it) into cmd, as a shell
 * would read it. 0, or -1 when the log has none. */
static int printed_curl(const char *log, char *cmd, size_t cap)
{
    const char *start = strstr(log, "curl --cacert"), *cut, *end;

    if (!start || !(cut = strstr(start, "\\\n")) || !(end = strchr(cut + 2, '\n')))
        return -1;
    if ((size_t)(end - start) + 1 > cap)
        return -1;
    /* the shell drops a backslash-newline */
    snprintf(cmd, cap, "%.*s%.*s", (int)(cut - start), start, (int)(end - cut - 2), cut + 2);
    return 0;
}

/* see cases.h */
void case_dev(const struct e2e *e)
{
    struct e2e_server srv;
    char tmp[PATH_MAX], listen[64], health[64], dir[PATH_MAX] = "", cmd[2048], path[PATH_MAX + 16];
    struct e2e_buf out = {0};
    size_t log_len = 0;
    char *log = NULL;
    const char *at;

    snprintf(tmp, sizeof(tmp), "%s/dev-tmp", e->tmp);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", e2e_free_port());
    snprintf(health, sizeof(health), "127.0.0.1:%d", e2e_free_port());
    /* no --drain: --dev has no endpoints to wait for and stops at once */
    const char *args[] = {"serve", "--dev", "--listen", listen, "--health-listen", health, NULL};
    /* the server makes its directory under TMPDIR */
    if (mkdir(tmp, 0700) != 0 || setenv("TMPDIR", tmp, 1) != 0) {
        CHECK(0, "setup failed");
        return;
    }
    int started = e2e_server_exec(e, &srv, "dev.log", args);
    unsetenv("TMPDIR");
    if (started < 0) {
        CHECK(0, "serve --dev did not start");
        return;
    }
    log = e2e_read_file(srv.log_path, &log_len);
    at = log ? strstr(log, DIR_LINE) : NULL;
    CHECK(at != NULL, "serve --dev did not say where its certificates are");
    if (at)
        sscanf(at + strlen(DIR_LINE), "%1023[^\n]", dir);
    CHECK(strncmp(dir, tmp, strlen(tmp)) == 0, "certificates in '%s', not under TMPDIR %s", dir, tmp);
    static const char *const written[] = {"ca.crt", "tls.crt", "tls.key", "review.json"};
    for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, written[i]);
        CHECK(access(path, R_OK) == 0, "serve --dev wrote no %s", path);
    }

    /* the command as printed, through a shell, as a developer pastes it */
    if (log && printed_curl(log, cmd, sizeof(cmd) - 32) == 0) {
        CHECK(strstr(cmd, listen + strlen("127.0.0.1")) != NULL, "the printed command is not for port %s: %s",
              listen, cmd);
        strcat(cmd, " --silent --show-error");
        FILE *p = popen(cmd, "r");
        char chunk[4096];
        size_t n;
        while (p && (n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
            out.data = realloc(out.data, out.len + n + 1);
            memcpy(out.data + out.len, chunk, n);
            out.len += n;
            out.data[out.len] = '\0';
        }
        int status = p ? pclose(p) : -1;
        int allowed = -1;
        const char *uid = NULL;
        cJSON *review = out.data ? e2e_parse_review(out.data, out.len, &uid, &allowed) : NULL;
        cJSON *patch = review ? e2e_patch_of(review) : NULL;
        CHECK(status == 0 && review && allowed == 1 && cJSON_GetArraySize(patch) > 0,
              "the printed curl command (%s) exited %d with %.300s", cmd, status, out.data ? out.data : "nothing");
        cJSON_Delete(patch);
        cJSON_Delete(review);
    } else {
        CHECK(0, "serve --dev printed no curl command");
    }

    long long stop_start = e2e_now_ms();
    e2e_server_stop(&srv, 15000);
    CHECK(e2e_now_ms() - stop_start < 3000, "serve --dev took %lld ms to stop (a drain delay?)",
          e2e_now_ms() - stop_start);
    CHECK(dir[0] && access(dir, F_OK) != 0, "serve --dev left %s behind when it stopped", dir);
    e2e_buf_free(&out);
    free(log);
}
