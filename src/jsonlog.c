#include "jsonlog.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* see jsonlog.h */
cJSON *jsonlog_open(enum log_level threshold, enum log_level level, bool always, const char *msg)
{
    struct timespec ts;
    char when[64];
    struct tm tm;
    cJSON *line;

    if ((level < threshold && !always) || level < LOG_DEBUG || level > LOG_ERROR)
        return NULL;
    line = cJSON_CreateObject();
    if (!line)
        return NULL;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
    if (!cJSON_AddStringToObject(line, "time", when) || !cJSON_AddStringToObject(line, "level", level_names[level]) ||
        !cJSON_AddStringToObject(line, "msg", msg ? msg : "")) {
        cJSON_Delete(line);
        return NULL;
    }
    return line;
}

/* see jsonlog.h */
void jsonlog_emit(cJSON *line)
{
    char *text;

    if (!line)
        return;
    text = cJSON_PrintUnformatted(line);
    if (text) {
        size_t n = strlen(text);
        /* the NUL's place takes the newline: one write per line keeps lines
         * whole when threads log at once */
        text[n] = '\n';
        ssize_t w = write(STDERR_FILENO, text, n + 1);
        (void)w;
        cJSON_free(text);
    }
    cJSON_Delete(line);
}

/* see jsonlog.h */
int jsonlog_level_parse(const char *text, enum log_level *out)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (text && strcmp(text, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}
