/* jsonlog: structured log lines, one JSON object per line on stderr — what
 * the webhook writes (a line per review, its lifecycle, errors). A line is
 * a cJSON object the caller fills between jsonlog_open and jsonlog_emit;
 * it is written with one write(2), so lines from several threads never
 * interleave. */
#ifndef DJANGO_ADMISSION_JSONLOG_H
#define DJANGO_ADMISSION_JSONLOG_H

#include <stdbool.h>

#include <cjson/cJSON.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* A new line {"time":"2026-11-27T05:38:26.123456Z","level":...,"msg":msg}
 * at level; NULL when level is below threshold (unless always) or memory
 * ran out. The caller owns it until jsonlog_emit. */
cJSON *jsonlog_open(enum log_level threshold, enum log_level level, bool always, const char *msg);

/* Writes line and a newline to stderr in one write, and frees line. NULL
 * is fine (nothing is written). */
void jsonlog_emit(cJSON *line);

/* Parses "debug" | "info" | "warn" | "error". 0 or -1. */
int jsonlog_level_parse(const char *text, enum log_level *out);

#endif
