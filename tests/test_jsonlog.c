/* Tests for jsonlog: level filtering, the fields every line has, exactly
 * one newline-terminated JSON object per line on stderr, and whole lines
 * when several threads log at once (stderr redirected to a file). */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jsonlog.h"

/* ---- stderr into a temporary file ---------------------------------------- */

struct capture {
    int saved;
    int fd;
    char path[64];
};

static void capture_start(struct capture *c)
{
    strcpy(c->path, "/tmp/test_jsonlog.XXXXXX");
    c->fd = mkstemp(c->path);
    assert_true(c->fd >= 0);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_true(dup2(c->fd, STDERR_FILENO) >= 0);
}

/* Restores stderr; returns what was written (caller frees). */
static char *capture_end(struct capture *c, size_t *len)
{
    char *text;
    off_t n;

    fflush(stderr);
    assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
    close(c->saved);
    n = lseek(c->fd, 0, SEEK_END);
    assert_true(n >= 0);
    text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(pread(c->fd, text, (size_t)n, 0), n);
    text[n] = '\0';
    *len = (size_t)n;
    close(c->fd);
    unlink(c->path);
    return text;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_levels_filter(void **state)
{
    cJSON *line;

    (void)state;
    assert_null(jsonlog_open(LOG_WARN, LOG_DEBUG, false, "x"));
    assert_null(jsonlog_open(LOG_WARN, LOG_INFO, false, "x"));
    line = jsonlog_open(LOG_WARN, LOG_WARN, false, "x");
    assert_non_null(line);
    cJSON_Delete(line);
    line = jsonlog_open(LOG_WARN, LOG_ERROR, false, "x");
    assert_non_null(line);
    cJSON_Delete(line);
    /* lifecycle lines are written whatever the threshold */
    line = jsonlog_open(LOG_ERROR, LOG_INFO, true, "listening");
    assert_non_null(line);
    cJSON_Delete(line);
    /* not a level at all */
    assert_null(jsonlog_open(LOG_DEBUG, (enum log_level)7, true, "x"));
}

static void test_line_fields(void **state)
{
    cJSON *line = jsonlog_open(LOG_DEBUG, LOG_WARN, false, "bad request");
    const cJSON *time, *level, *msg;

    (void)state;
    assert_non_null(line);
    time = cJSON_GetObjectItemCaseSensitive(line, "time");
    level = cJSON_GetObjectItemCaseSensitive(line, "level");
    msg = cJSON_GetObjectItemCaseSensitive(line, "msg");
    assert_true(cJSON_IsString(time));
    /* 2026-11-27T05:38:26.123456Z: UTC, microseconds */
    assert_int_equal(strlen(time->valuestring), 27);
    assert_int_equal(time->valuestring[10], 'T');
    assert_int_equal(time->valuestring[19], '.');
    assert_int_equal(time->valuestring[26], 'Z');
    assert_string_equal(level->valuestring, "warn");
    assert_string_equal(msg->valuestring, "bad request");
    /* the first members, in this order */
    assert_ptr_equal(line->child, time);
    assert_ptr_equal(time->next, level);
    assert_ptr_equal(level->next, msg);
    cJSON_Delete(line);
    line = jsonlog_open(LOG_DEBUG, LOG_DEBUG, false, NULL);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(line, "msg")->valuestring, "");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(line, "level")->valuestring, "debug");
    cJSON_Delete(line);
}

static void test_emit_one_line(void **state)
{
    struct capture c;
    size_t len;
    char *text;
    cJSON *line, *back;

    (void)state;
    capture_start(&c);
    line = jsonlog_open(LOG_INFO, LOG_INFO, false, "review");
    cJSON_AddStringToObject(line, "uid", "a\nb\"c");
    cJSON_AddNumberToObject(line, "latencyMicroseconds", 102);
    jsonlog_emit(line);
    /* nothing for NULL (a filtered line) */
    jsonlog_emit(NULL);
    text = capture_end(&c, &len);
    assert_true(len > 2);
    assert_int_equal(text[len - 1], '\n');
    /* one line: the newline inside the uid is escaped */
    assert_ptr_equal(strchr(text, '\n'), text + len - 1);
    text[len - 1] = '\0';
    back = cJSON_Parse(text);
    assert_non_null(back);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(back, "uid")->valuestring, "a\nb\"c");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(back, "latencyMicroseconds")->valueint, 102);
    cJSON_Delete(back);
    free(text);
}

#define THREADS 4
#define LINES 300

static void *log_many(void *arg)
{
    intptr_t id = (intptr_t)arg;
    char pad[200];

    /* long enough that two threads' lines would interleave if written in
     * pieces */
    memset(pad, 'a' + (int)id, sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int i = 0; i < LINES; i++) {
        cJSON *line = jsonlog_open(LOG_INFO, LOG_INFO, false, "review");
        cJSON_AddNumberToObject(line, "thread", (double)id);
        cJSON_AddNumberToObject(line, "n", i);
        cJSON_AddStringToObject(line, "pad", pad);
        jsonlog_emit(line);
    }
    return NULL;
}

static void test_threads_keep_lines_whole(void **state)
{
    struct capture c;
    pthread_t th[THREADS];
    int count[THREADS] = {0};
    size_t len, lines = 0;
    char *text, *p, *nl;

    (void)state;
    capture_start(&c);
    for (intptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, log_many, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    text = capture_end(&c, &len);
    for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        cJSON *back;
        const cJSON *thread, *pad;

        *nl = '\0';
        back = cJSON_Parse(p);
        assert_non_null(back);
        thread = cJSON_GetObjectItemCaseSensitive(back, "thread");
        pad = cJSON_GetObjectItemCaseSensitive(back, "pad");
        assert_true(cJSON_IsNumber(thread) && thread->valueint >= 0 && thread->valueint < THREADS);
        assert_int_equal(pad->valuestring[0], 'a' + thread->valueint);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(back, "n")->valueint, count[thread->valueint]);
        count[thread->valueint]++;
        lines++;
        cJSON_Delete(back);
    }
    assert_int_equal(*p, '\0');
    assert_int_equal(lines, THREADS * LINES);
    free(text);
}

static void test_level_parse(void **state)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    static const char *const bad[] = {"", "WARN", "warning", "verbose", "info ", "err"};
    enum log_level level = LOG_INFO;

    (void)state;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(jsonlog_level_parse(names[i], &level), 0);
        assert_int_equal(level, (enum log_level)i);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        level = LOG_DEBUG;
        assert_int_equal(jsonlog_level_parse(bad[i], &level), -1);
        /* untouched on failure */
        assert_int_equal(level, LOG_DEBUG);
    }
    assert_int_equal(jsonlog_level_parse(NULL, &level), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_filter),
        cmocka_unit_test(test_line_fields),
        cmocka_unit_test(test_emit_one_line),
        cmocka_unit_test(test_threads_keep_lines_whole),
        cmocka_unit_test(test_level_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
