/* see harness.h */
#include "harness.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "certs.h"

atomic_int e2e_failures;

/* see harness.h */
void e2e_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    atomic_fetch_add(&e2e_failures, 1);
    flockfile(stdout);
    printf("FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    funlockfile(stdout);
}

/* see harness.h */
long long e2e_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* see harness.h */
void e2e_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* see harness.h */
char *e2e_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* see harness.h */
int e2e_write_file(const char *path, const char *text, size_t len)
{
    char tmp[PATH_MAX + 32];
    static atomic_int serial;
    FILE *f;
    int ok;

    snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, atomic_fetch_add(&serial, 1));
    f = fopen(tmp, "wb");
    if (!f)
        return -1;
    ok = fwrite(text, 1, len, f) == len;
    if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- certificates ---- */

static int write_bundle(const char *dir, const struct certs_request *req, struct e2e_pair *out)
{
    struct certs_bundle b = {0};
    struct diag d;
    char text[1536];

    diag_clear(&d);
    if (certs_generate(req, &b, &d) < 0 || certs_write(&b, dir, &d) < 0 ||
        certs_expiry(b.cert_pem, strlen(b.cert_pem), &out->not_after, &d) < 0) {
        printf("certificates for %s: %s\n", dir, diag_format(&d, text, sizeof(text)));
        certs_bundle_free(&b);
        return -1;
    }
    certs_bundle_free(&b);
    snprintf(out->dir, sizeof(out->dir), "%s", dir);
    snprintf(out->ca, sizeof(out->ca), "%s/ca.crt", dir);
    snprintf(out->cert, sizeof(out->cert), "%s/tls.crt", dir);
    snprintf(out->key, sizeof(out->key), "%s/tls.key", dir);
    return 0;
}

/* see harness.h */
int e2e_make_pair(const char *dir, int days, struct e2e_pair *out)
{
    char storage[4][320];
    struct certs_request req = {0};
    struct diag d;
    char text[1536];

    diag_clear(&d);
    if (certs_service_names(E2E_SERVICE, E2E_NAMESPACE, storage, &req, &d) < 0) {
        printf("service names: %s\n", diag_format(&d, text, sizeof(text)));
        return -1;
    }
    req.ip_addresses[0] = "127.0.0.1";
    req.ip_count = 1;
    req.days = days;
    return write_bundle(dir, &req, out);
}

/* see harness.h */
int e2e_make_client(const char *dir, const char *name, struct e2e_pair *out)
{
    struct certs_request req = {0};

    req.dns_names[0] = name;
    req.dns_count = 1;
    req.days = 30;
    return write_bundle(dir, &req, out);
}

/* ---- the server process ---- */

static void print_log_tail(const struct e2e_server *s)
{
    size_t len = 0;
    char *text = e2e_read_file(s->log_path, &len);

    if (!text)
        return;
    size_t from = len > 6000 ? len - 6000 : 0;
    printf("---- server stderr (%s, last %zu bytes) ----\n%s\n---- end ----\n", s->log_path, len - from,
           text + from);
    free(text);
}

/* The "listening" log line's ports; 0 when not there yet. */
static int read_ports(struct e2e_server *s)
{
    char *text = e2e_read_file(s->log_path, NULL);
    char *line, *save = NULL;
    int found = 0;

    if (!text)
        return 0;
    for (line = strtok_r(text, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, "\"msg\":\"listening\""))
            continue;
        cJSON *j = cJSON_Parse(line);
        const cJSON *port = cJSON_GetObjectItemCaseSensitive(j, "port");
        const cJSON *health = cJSON_GetObjectItemCaseSensitive(j, "healthPort");
        if (cJSON_IsNumber(port) && cJSON_IsNumber(health) && port->valueint > 0 && health->valueint > 0) {
            s->port = port->valueint;
            s->health_port = health->valueint;
            found = 1;
        }
        cJSON_Delete(j);
    }
    free(text);
    return found;
}

static int reap(struct e2e_server *s)
{
    int status;

    if (s->exited)
        return 1;
    pid_t r = waitpid(s->pid, &status, WNOHANG);
    if (r == s->pid) {
        s->exited = true;
        s->status = status;
        return 1;
    }
    return 0;
}

/* see harness.h */
int e2e_free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* see harness.h */
int e2e_server_start(const struct e2e *e, struct e2e_server *s, const char *log_name, const char *cert,
                     const char *key, const char *const *extra)
{
    const char *args[64] = {"serve", "--listen", "127.0.0.1:0", "--health-listen", "127.0.0.1:0",
                            "--tls-cert", cert, "--tls-key", key, "--drain", "0"};
    size_t argc = 11;

    for (size_t i = 0; extra && extra[i] && argc < 63; i++)
        args[argc++] = extra[i];
    args[argc] = NULL;
    return e2e_server_exec(e, s, log_name, args);
}

/* see harness.h */
int e2e_server_exec(const struct e2e *e, struct e2e_server *s, const char *log_name, const char *const *args)
{
    return e2e_server_exec_files(e, s, log_name, args, 0);
}

/* see harness.h */
int e2e_server_exec_files(const struct e2e *e, struct e2e_server *s, const char *log_name, const char *const *args,
                          unsigned long open_files)
{
    const char *argv[64] = {e->exe};
    size_t argc = 1;
    long long deadline;

    memset(s, 0, sizeof(*s));
    for (size_t i = 0; args[i] && argc < 63; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    snprintf(s->log_path, sizeof(s->log_path), "%s/%s", e->tmp, log_name);
    int log_fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) {
        printf("cannot open %s or /dev/null: %s\n", s->log_path, strerror(errno));
        if (log_fd >= 0)
            close(log_fd);
        if (null_fd >= 0)
            close(null_fd);
        return -1;
    }
    fflush(stdout);
    s->pid = fork();
    if (s->pid == 0) {
        /* the server must not outlive a test that crashed */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        dup2(log_fd, 2);
        if (open_files) {
            struct rlimit files = {open_files, open_files};
            setrlimit(RLIMIT_NOFILE, &files);
        }
        execv(e->exe, (char *const *)argv);
        _exit(127);
    }
    close(log_fd);
    close(null_fd);
    if (s->pid < 0) {
        printf("fork: %s\n", strerror(errno));
        return -1;
    }
    /* generous: an ASan build starts slower */
    deadline = e2e_now_ms() + 20000;
    while (!read_ports(s)) {
        if (reap(s) || e2e_now_ms() > deadline) {
            printf("server did not log its \"listening\" line\n");
            goto fail;
        }
        e2e_sleep_ms(5);
    }
    while (e2e_health_get(s->health_port, "/health/ready", NULL) != 200) {
        if (reap(s) || e2e_now_ms() > deadline) {
            printf("server did not become ready\n");
            goto fail;
        }
        e2e_sleep_ms(5);
    }
    return 0;
fail:
    print_log_tail(s);
    if (!s->exited) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &s->status, 0);
        s->exited = true;
    }
    return -1;
}

/* see harness.h */
void e2e_server_signal(struct e2e_server *s, int sig)
{
    if (!s->exited && s->pid > 0)
        kill(s->pid, sig);
}

/* see harness.h */
int e2e_server_wait(struct e2e_server *s, long timeout_ms)
{
    long long deadline = e2e_now_ms() + timeout_ms;

    while (!reap(s)) {
        if (e2e_now_ms() > deadline)
            return -1;
        e2e_sleep_ms(10);
    }
    return 0;
}

/* see harness.h */
void e2e_server_stop(struct e2e_server *s, long timeout_ms)
{
    if (s->pid <= 0)
        return;
    if (!s->exited) {
        kill(s->pid, SIGTERM);
        if (e2e_server_wait(s, timeout_ms) < 0) {
            CHECK(0, "server pid %d still running %ld ms after SIGTERM: killed", (int)s->pid, timeout_ms);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &s->status, 0);
            s->exited = true;
            print_log_tail(s);
            return;
        }
    }
    CHECK(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0, "server exited with wait status 0x%x, expected exit 0",
          (unsigned)s->status);
    if (!WIFEXITED(s->status) || WEXITSTATUS(s->status) != 0)
        print_log_tail(s);
    e2e_server_check_log(s);
}

/* see harness.h */
int e2e_server_log_has(const struct e2e_server *s, const char *text)
{
    char *log = e2e_read_file(s->log_path, NULL);
    int found = log && strstr(log, text) != NULL;

    free(log);
    return found;
}

/* see harness.h */
void e2e_server_check_log(const struct e2e_server *s)
{
    static const char *const markers[] = {"ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer"};

    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
        if (e2e_server_log_has(s, markers[i])) {
            CHECK(0, "server stderr has a sanitizer report (\"%s\")", markers[i]);
            print_log_tail(s);
            return;
        }
    }
}

/* ---- HTTP ---- */

/* see harness.h */
void e2e_buf_reset(struct e2e_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* see harness.h */
void e2e_buf_free(struct e2e_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
    struct e2e_buf *b = userdata;
    size_t add = size * n;
    char *nb = realloc(b->data, b->len + add + 1);

    if (!nb)
        return 0;
    memcpy(nb + b->len, ptr, add);
    b->data = nb;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* see harness.h */
void e2e_client_headers(struct e2e_client *c, const char *const *headers)
{
    curl_slist_free_all(c->headers);
    c->headers = NULL;
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *n = curl_slist_append(c->headers, headers[i]);
        if (n)
            c->headers = n;
    }
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
}

/* see harness.h */
int e2e_client_init(struct e2e_client *c, int port, const char *ca_file)
{
    return e2e_client_init_at(c, port, ca_file, "127.0.0.1");
}

/* see harness.h */
int e2e_client_init_at(struct e2e_client *c, int port, const char *ca_file, const char *address)
{
    static const char *const json[] = {"Content-Type: application/json", "Accept: application/json, */*", NULL};
    char entry[160];

    memset(c, 0, sizeof(*c));
    c->h = curl_easy_init();
    if (!c->h)
        return -1;
    snprintf(entry, sizeof(entry), "%s:%d:%s", E2E_HOST, port, address);
    c->resolve = curl_slist_append(NULL, entry);
    if (!c->resolve) {
        curl_easy_cleanup(c->h);
        c->h = NULL;
        return -1;
    }
    snprintf(c->base, sizeof(c->base), "https://%s:%d", E2E_HOST, port);
    curl_easy_setopt(c->h, CURLOPT_RESOLVE, c->resolve);
    curl_easy_setopt(c->h, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(c->h, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->body);
    curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c->h, CURLOPT_HEADERDATA, &c->head);
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->error);
    e2e_client_headers(c, json);
    return 0;
}

/* see harness.h */
CURLcode e2e_client_perform(struct e2e_client *c, const char *path)
{
    char url[512];
    CURLcode rc;

    snprintf(url, sizeof(url), "%s%s", c->base, path);
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    e2e_buf_reset(&c->body);
    e2e_buf_reset(&c->head);
    c->error[0] = '\0';
    c->status = 0;
    rc = curl_easy_perform(c->h);
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
    if (rc != CURLE_OK && !c->error[0])
        snprintf(c->error, sizeof(c->error), "%s", curl_easy_strerror(rc));
    return rc;
}

/* see harness.h */
CURLcode e2e_client_post(struct e2e_client *c, const char *path, const char *body, size_t len)
{
    curl_easy_setopt(c->h, CURLOPT_POST, 1L);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    return e2e_client_perform(c, path);
}

/* see harness.h */
void e2e_client_free(struct e2e_client *c)
{
    if (c->h)
        curl_easy_cleanup(c->h);
    curl_slist_free_all(c->resolve);
    curl_slist_free_all(c->headers);
    e2e_buf_free(&c->body);
    e2e_buf_free(&c->head);
    memset(c, 0, sizeof(*c));
}

/* see harness.h */
long e2e_health_get(int port, const char *path, struct e2e_buf *out)
{
    return e2e_health_get_at("127.0.0.1", port, path, out);
}

/* see harness.h */
long e2e_health_get_at(const char *host, int port, const char *path, struct e2e_buf *out)
{
    CURL *h = curl_easy_init();
    struct e2e_buf sink = {0};
    char url[256];
    long status = 0;

    if (!h)
        return 0;
    snprintf(url, sizeof(url), "http://%s:%d%s", host, port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out ? out : &sink);
    if (out)
        e2e_buf_reset(out);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    e2e_buf_free(&sink);
    return status;
}

/* see harness.h */
double e2e_metric(const char *text, const char *series)
{
    size_t n = strlen(series);

    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    }
    return -1;
}

/* see harness.h */
double e2e_metric_get(int health_port, const char *series)
{
    struct e2e_buf b = {0};
    double v = -1;

    if (e2e_health_get(health_port, "/metrics", &b) == 200 && b.data)
        v = e2e_metric(b.data, series);
    e2e_buf_free(&b);
    return v;
}

/* ---- raw TLS clients ---- */

static int tls_send_all(gnutls_session_t s, const char *p, size_t n)
{
    while (n) {
        ssize_t w = gnutls_record_send(s, p, n);
        if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* see harness.h */
int e2e_raw_open(struct e2e_raw *st, enum e2e_raw_kind kind, int port, gnutls_certificate_credentials_t cred,
                      const char *head, size_t head_len, const char *body, size_t body_len)
{
    struct timeval tv = {10, 0};
    int rc;

    memset(st, 0, sizeof(*st));
    st->kind = kind;
    st->fd = e2e_tcp_connect(port);
    if (st->fd < 0)
        return -1;
    setsockopt(st->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(st->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (kind == RAW_TCP)
        return 0;
    if (gnutls_init(&st->tls, GNUTLS_CLIENT) < 0)
        return -1;
    gnutls_server_name_set(st->tls, GNUTLS_NAME_DNS, E2E_HOST, strlen(E2E_HOST));
    gnutls_set_default_priority(st->tls);
    gnutls_credentials_set(st->tls, GNUTLS_CRD_CERTIFICATE, cred);
    gnutls_session_set_verify_cert(st->tls, E2E_HOST, 0);
    gnutls_transport_set_int(st->tls, st->fd);
    gnutls_handshake_set_timeout(st->tls, 10000);
    do
        rc = gnutls_handshake(st->tls);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc < 0) {
        printf("stalled client handshake: %s\n", gnutls_strerror(rc));
        return -1;
    }
    if (kind == RAW_TLS)
        return 0;
    if (kind == RAW_HALF_HEADERS)
        return tls_send_all(st->tls, head, head_len / 2);
    if (tls_send_all(st->tls, head, head_len) < 0)
        return -1;
    if (kind == RAW_HALF_BODY) {
        st->sent = body_len / 2;
        return tls_send_all(st->tls, body, st->sent);
    }
    return 0;
}

/* Sends the rest of the body and reads the answer: status, body in *out. */
/* see harness.h */
int e2e_raw_finish(struct e2e_raw *st, const char *body, size_t body_len, struct e2e_buf *out)
{
    char buf[16384];
    size_t have = 0;
    long content_length = -1;
    char *end = NULL;
    struct timeval wait = {0, 0};
    socklen_t wait_len = sizeof(wait);
    long long deadline;

    /* GnuTLS says AGAIN both when the socket's receive timeout passes and
     * after a post-handshake message; only the first ends the wait */
    bool timed = getsockopt(st->fd, SOL_SOCKET, SO_RCVTIMEO, &wait, &wait_len) == 0 && (wait.tv_sec || wait.tv_usec);
    deadline = e2e_now_ms() + (long long)wait.tv_sec * 1000 + wait.tv_usec / 1000;
    if (tls_send_all(st->tls, body + st->sent, body_len - st->sent) < 0)
        return -1;
    for (;;) {
        if (have == sizeof(buf) - 1)
            return -1;
        ssize_t r = gnutls_record_recv(st->tls, buf + have, sizeof(buf) - 1 - have);
        if ((r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) && (!timed || e2e_now_ms() < deadline))
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            content_length = cl ? strtol(cl + 17, NULL, 10) : -1;
            if (content_length >= 0 && have >= (size_t)(end + 4 - buf) + (size_t)content_length)
                break;
        }
    }
    e2e_buf_reset(out);
    free(out->data);
    out->len = (size_t)content_length;
    out->data = strndup(end + 4, out->len);
    return (int)strtol(buf + 9, NULL, 10);
}

/* see harness.h */
void e2e_raw_close(struct e2e_raw *st)
{
    if (st->tls) {
        gnutls_deinit(st->tls);
        st->tls = NULL;
    }
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
}

/* see harness.h */
int e2e_tcp_connect(int port)
{
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- AdmissionReview answers ---- */

/* see harness.h */
cJSON *e2e_parse_review(const char *body, size_t len, const char **uid, int *allowed)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(j, "response");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(resp, "uid");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(resp, "allowed");

    if (!cJSON_IsString(u) || !cJSON_IsBool(a)) {
        cJSON_Delete(j);
        return NULL;
    }
    if (uid)
        *uid = u->valuestring;
    if (allowed)
        *allowed = cJSON_IsTrue(a);
    return j;
}

/* see harness.h */
cJSON *e2e_patch_of(const cJSON *review)
{
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(review, "response");
    const cJSON *patch = cJSON_GetObjectItemCaseSensitive(resp, "patch");
    size_t n;
    unsigned char *raw;
    int len;
    cJSON *ops;

    if (!cJSON_IsString(patch))
        return NULL;
    n = strlen(patch->valuestring);
    raw = malloc(n / 4 * 3 + 4);
    if (!raw)
        return NULL;
    len = EVP_DecodeBlock(raw, (const unsigned char *)patch->valuestring, (int)n);
    if (len < 0) {
        free(raw);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    for (size_t i = n; i > 0 && patch->valuestring[i - 1] == '='; i--)
        len--;
    ops = cJSON_ParseWithLength((const char *)raw, (size_t)len);
    free(raw);
    return ops;
}

/* see harness.h */
long e2e_patch_int(const cJSON *patch, const char *path)
{
    const cJSON *op;

    cJSON_ArrayForEach(op, patch) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(op, "path");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, "value");
        if (cJSON_IsString(p) && strcmp(p->valuestring, path) == 0 && cJSON_IsNumber(v))
            return (long)v->valuedouble;
    }
    return -1;
}

/* see harness.h */
char *e2e_review_with_uid(const char *fixture_text, const char *uid)
{
    cJSON *j = cJSON_Parse(fixture_text);
    cJSON *req = cJSON_GetObjectItemCaseSensitive(j, "request");
    char *text, *copy;

    if (!cJSON_IsObject(req) || !cJSON_ReplaceItemInObjectCaseSensitive(req, "uid", cJSON_CreateString(uid))) {
        cJSON_Delete(j);
        return NULL;
    }
    text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text)
        return NULL;
    copy = strdup(text);
    cJSON_free(text);
    return copy;
}

/* see harness.h */
char *e2e_run_review(const struct e2e *e, const char *file, int validate, size_t *len)
{
    char cmd[3 * PATH_MAX];
    struct e2e_buf b = {0};
    char chunk[8192];
    size_t got;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "'%s' review%s < '%s' 2>/dev/null", e->exe, validate ? " --validate" : "", file);
    fflush(stdout);
    p = popen(cmd, "r");
    if (!p)
        return NULL;
    while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0) {
        if (on_data(chunk, 1, got, &b) != got) {
            pclose(p);
            e2e_buf_free(&b);
            return NULL;
        }
    }
    /* review exits 1 for a denial and 2 for a 400: the bytes are what count */
    pclose(p);
    if (!b.data)
        b.data = calloc(1, 1);
    *len = b.len;
    return b.data;
}
