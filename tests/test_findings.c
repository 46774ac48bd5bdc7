/* Tests for findings: every violation the engine reports passes through
 * findings_add, so what it keeps is pinned exactly — fields cut to their
 * arrays on a UTF-8 boundary, order kept across every growth, the hard
 * maximum reported through truncated and dropped, never silently lost — and
 * allocation failure and freeing are checked to leave a usable list. Run
 * under AddressSanitizer, it also shows the list leaks nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <wchar.h>

#include <cmocka.h>

#include "findings.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

/* n bytes of a pattern that never repeats within 26 bytes, so a cut at the
 * wrong place shows, then a NUL; buf must hold n + 1 */
static char *pattern(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('a' + i % 26);
    buf[n] = '\0';
    return buf;
}

/* A findings whose every byte is junk, as an uninitialised one. */
static void fill_junk(struct findings *f)
{
    memset(f, 0xA5, sizeof(*f));
}

/* Every field as findings_init leaves it. */
static void assert_empty(const struct findings *f)
{
    assert_null(f->items);
    assert_int_equal(f->count, 0);
    assert_int_equal(f->cap, 0);
    assert_false(f->truncated);
    assert_int_equal(f->dropped, 0);
    for (int i = 0; i < RULE_COUNT; i++) {
        if (f->used[i] || f->refused[i])
            fail_msg("exemption flags of rule %d not cleared", i);
    }
    assert_int_equal(f->unknown_exemptions, 0);
}

/* ---------------------------------------------------------------- init */

static void test_init_is_empty(void **state)
{
    struct findings f;

    (void)state;
    fill_junk(&f);
    findings_init(&f);
    assert_empty(&f);
    assert_int_equal(findings_count_action(&f, RULE_ENFORCE), 0);
    assert_int_equal(findings_count_action(&f, RULE_WARN), 0);
    assert_int_equal(findings_count_action(&f, RULE_OFF), 0);
    findings_free(&f);
    assert_empty(&f);
}

/* ----------------------------------------------------------------- add */

static void test_add_one(void **state)
{
    struct findings f;
    struct diag d;
    const struct violation *v;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    assert_int_equal(findings_add(&f, RULE_PROBE_LIVENESS_MISSING, "web",
                                  "/spec/template/spec/containers/0/livenessProbe", &d,
                                  "container \"%s\" has no liveness probe: add %s", "web",
                                  "httpGet /healthz"),
                     0);
    assert_int_equal(f.count, 1);
    assert_non_null(f.items);
    assert_true(f.cap >= 1);
    assert_false(f.truncated);
    assert_int_equal(f.dropped, 0);
    v = &f.items[0];
    assert_int_equal(v->rule, RULE_PROBE_LIVENESS_MISSING);
    /* the engine sets the policy's action later; until then, enforce */
    assert_int_equal(v->action, RULE_ENFORCE);
    assert_string_equal(v->container, "web");
    assert_string_equal(v->pointer, "/spec/template/spec/containers/0/livenessProbe");
    assert_string_equal(v->message, "container \"web\" has no liveness probe: add httpGet /healthz");
    /* d is for failures only */
    assert_string_equal(d.message, "");
    assert_string_equal(d.pointer, "");
    findings_free(&f);
    assert_empty(&f);
}

/* A pod-level violation names no container; one about a missing object
 * may have no pointer. Both read as "", never as junk. */
static void test_add_null_container_and_pointer(void **state)
{
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    assert_int_equal(findings_add(&f, RULE_REPLICAS_MINIMUM, NULL, "/spec/replicas", &d,
                                  "replicas is %d, at least %d are required", 1, 3),
                     0);
    assert_int_equal(findings_add(&f, RULE_POD_ANTI_AFFINITY, "", NULL, &d, "no anti-affinity"), 0);
    assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, NULL, NULL, &d, "%s", ""), 0);
    assert_int_equal(f.count, 3);
    assert_string_equal(f.items[0].container, "");
    assert_string_equal(f.items[0].pointer, "/spec/replicas");
    assert_string_equal(f.items[0].message, "replicas is 1, at least 3 are required");
    assert_string_equal(f.items[1].container, "");
    assert_string_equal(f.items[1].pointer, "");
    assert_string_equal(f.items[1].message, "no anti-affinity");
    assert_int_equal(f.items[2].rule, RULE_IMAGE_TAG);
    assert_string_equal(f.items[2].container, "");
    assert_string_equal(f.items[2].pointer, "");
    assert_string_equal(f.items[2].message, "");
    findings_free(&f);
}

/* The exemption bookkeeping is the engine's; adding leaves it alone. */
static void test_add_keeps_exemptions(void **state)
{
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    f.used[RULE_IMAGE_TAG] = true;
    f.refused[RULE_PSS_PRIVILEGED] = true;
    f.unknown_exemptions = 2;
    for (int i = 0; i < 40; i++)
        assert_int_equal(findings_add(&f, RULE_ENV_LITERAL_SECRET, "c", "/p", &d, "n %d", i), 0);
    assert_true(f.used[RULE_IMAGE_TAG]);
    assert_true(f.refused[RULE_PSS_PRIVILEGED]);
    assert_false(f.used[RULE_ENV_LITERAL_SECRET]);
    assert_int_equal(f.unknown_exemptions, 2);
    findings_free(&f);
    assert_empty(&f);
}

/* A format the C library refuses (a lone surrogate through %ls) gives an
 * empty message, not a half-written or stale one. */
static void test_add_format_error(void **state)
{
    static const wchar_t bad[] = {L'x', (wchar_t)0xD800, L'y', 0};
    char probe[16];
    struct findings f;
    struct diag d;

    (void)state;
    /* only where the C library does refuse it is there anything to see */
    if (snprintf(probe, sizeof(probe), "%ls", bad) >= 0)
        skip();
    findings_init(&f);
    diag_clear(&d);
    assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, "c", "/p", &d, "stale"), 0);
    f.count = 0; /* reuse the slot, so junk from before would show */
    assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, "c", "/p", &d, "ab%lscd", bad), 0);
    assert_int_equal(f.count, 1);
    assert_string_equal(f.items[0].message, "");
    assert_string_equal(f.items[0].container, "c");
    findings_free(&f);
}

/* ---------------------------------------------------------- truncation */

/* Plain ASCII: each field keeps exactly its first MAX - 1 bytes; one that
 * just fits is whole. The message is also checked one and two bytes past
 * its array, where findings_add's own one-byte-longer buffer ends. */
static void test_add_truncates_ascii(void **state)
{
    static char src[4096], want[4096];
    const size_t extra[] = {0, 1, 2, 3, 500, 3000};
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        const struct violation *v;
        size_t clen = FINDING_CONTAINER_MAX - 1 + extra[i];
        size_t plen = DIAG_POINTER_MAX - 1 + extra[i];
        size_t mlen = FINDING_MESSAGE_MAX - 1 + extra[i];
        char cont[FINDING_CONTAINER_MAX + 3008];
        char ptr[DIAG_POINTER_MAX + 3008];

        pattern(cont, clen);
        pattern(ptr, plen);
        pattern(src, mlen);
        assert_int_equal(findings_add(&f, RULE_RESOURCES_LIMITS_MISSING, cont, ptr, &d, "%s", src), 0);
        v = &f.items[f.count - 1];
        pattern(want, FINDING_CONTAINER_MAX - 1);
        if (strcmp(v->container, want) != 0)
            fail_msg("container of %zu bytes: kept %zu", clen, strlen(v->container));
        pattern(want, DIAG_POINTER_MAX - 1);
        if (strcmp(v->pointer, want) != 0)
            fail_msg("pointer of %zu bytes: kept %zu", plen, strlen(v->pointer));
        pattern(want, FINDING_MESSAGE_MAX - 1);
        if (strcmp(v->message, want) != 0)
            fail_msg("message of %zu bytes: kept %zu", mlen, strlen(v->message));
    }
    /* one byte short of full: whole */
    pattern(src, FINDING_MESSAGE_MAX - 2);
    assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, src, src, &d, "%s", src), 0);
    pattern(want, FINDING_CONTAINER_MAX - 1);
    assert_string_equal(f.items[f.count - 1].container, want);
    assert_string_equal(f.items[f.count - 1].pointer, src);
    assert_string_equal(f.items[f.count - 1].message, src);
    findings_free(&f);
}

struct cut_case {
    /* the tail starts this many bytes before the end of the field's array,
     * so lead 1 puts its first byte just past the last one kept */
    size_t lead;
    const char *tail;
    /* bytes kept, as an offset from the field's max (array size - 1) */
    int keep;
};

/* The cut backs up over a character that would not fit whole. At the
 * message's array the formatting itself may have cut the character too
 * (its buffer is one byte longer), which the same table covers. */
static const struct cut_case CUTS[] = {
    /* 2-byte U+00E9 just past the end, straddling it, ending on it */
    {1, "\xc3\xa9" "z", 0},
    {2, "\xc3\xa9" "z", -1},
    {3, "\xc3\xa9" "z", 0},
    /* 3-byte U+20AC cut after its first and its second byte, and whole */
    {2, "\xe2\x82\xac" "z", -1},
    {3, "\xe2\x82\xac" "z", -2},
    {4, "\xe2\x82\xac" "z", 0},
    /* 4-byte U+1F600 cut after each of its first three bytes, and whole */
    {2, "\xf0\x9f\x98\x80" "z", -1},
    {3, "\xf0\x9f\x98\x80" "z", -2},
    {4, "\xf0\x9f\x98\x80" "z", -3},
    {5, "\xf0\x9f\x98\x80" "z", 0},
    /* not UTF-8. Up to three continuation bytes are backed over even with
     * no lead byte before them; four or more cannot be one character, so
     * the cut falls at max as it would for bytes */
    {3, "\x80\x80\x80\x80" "z", -3},
    {5, "\x80\x80\x80\x80\x80\x80\x80" "z", 0},
    /* a lone lead byte as the last kept byte stays: the byte after it is no
     * continuation, so nothing is split */
    {2, "\xc3" "zz", 0},
};

static void check_cut(const char *what, const char *field, size_t max, const struct cut_case *c,
                      const char *src)
{
    size_t keep = (size_t)((long)max + c->keep);

    if (strlen(field) != keep || memcmp(field, src, keep) != 0)
        fail_msg("%s, lead %zu, tail \"%s\": kept %zu bytes, want %zu", what, c->lead, c->tail,
                 strlen(field), keep);
}

static void test_add_truncates_utf8(void **state)
{
    static char msrc[FINDING_MESSAGE_MAX + 16];
    char csrc[FINDING_CONTAINER_MAX + 16];
    char psrc[DIAG_POINTER_MAX + 16];
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    for (size_t i = 0; i < sizeof(CUTS) / sizeof(CUTS[0]); i++) {
        const struct cut_case *c = &CUTS[i];
        struct violation *v;

        memset(csrc, 'c', FINDING_CONTAINER_MAX - c->lead);
        strcpy(csrc + FINDING_CONTAINER_MAX - c->lead, c->tail);
        memset(psrc, 'p', DIAG_POINTER_MAX - c->lead);
        strcpy(psrc + DIAG_POINTER_MAX - c->lead, c->tail);
        memset(msrc, 'm', FINDING_MESSAGE_MAX - c->lead);
        strcpy(msrc + FINDING_MESSAGE_MAX - c->lead, c->tail);
        assert_int_equal(findings_add(&f, RULE_PSS_CAPABILITIES_ADD, csrc, psrc, &d, "%s", msrc), 0);
        v = &f.items[f.count - 1];
        check_cut("container", v->container, FINDING_CONTAINER_MAX - 1, c, csrc);
        check_cut("pointer", v->pointer, DIAG_POINTER_MAX - 1, c, psrc);
        check_cut("message", v->message, FINDING_MESSAGE_MAX - 1, c, msrc);
    }
    findings_free(&f);
}

/* The message made of several arguments is cut on the whole text, not per
 * argument. */
static void test_add_truncates_formatted(void **state)
{
    static char part[400], want[FINDING_MESSAGE_MAX];
    struct findings f;
    struct diag d;
    int n;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    pattern(part, sizeof(part) - 1);
    assert_int_equal(findings_add(&f, RULE_ENV_LITERAL_SECRET, "app", "/x", &d, "%s|%d|%s", part, 12345, part),
                     0);
    n = snprintf(want, sizeof(want), "%s|%d|%s", part, 12345, part);
    assert_true(n > (int)sizeof(want));
    assert_int_equal(strlen(f.items[0].message), FINDING_MESSAGE_MAX - 1);
    assert_string_equal(f.items[0].message, want);
    findings_free(&f);
}

/* -------------------------------------------------------------- growth */

/* Past the first allocation and several doublings, every item is where it
 * was put and holds what it was given. */
static void test_growth_keeps_order(void **state)
{
    const size_t total = 300;
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    for (size_t i = 0; i < total; i++) {
        char cont[32], ptr[64];

        snprintf(cont, sizeof(cont), "c%zu", i);
        snprintf(ptr, sizeof(ptr), "/spec/template/spec/containers/%zu", i);
        assert_int_equal(findings_add(&f, (enum rule_id)(i % RULE_COUNT), cont, ptr, &d,
                                      "violation %zu of %zu", i, total),
                         0);
        assert_int_equal(f.count, i + 1);
        assert_true(f.cap >= f.count);
        assert_true(f.cap <= FINDINGS_MAX);
    }
    for (size_t i = 0; i < total; i++) {
        char want[64];
        const struct violation *v = &f.items[i];

        assert_int_equal(v->rule, (enum rule_id)(i % RULE_COUNT));
        assert_int_equal(v->action, RULE_ENFORCE);
        snprintf(want, sizeof(want), "c%zu", i);
        assert_string_equal(v->container, want);
        snprintf(want, sizeof(want), "/spec/template/spec/containers/%zu", i);
        assert_string_equal(v->pointer, want);
        snprintf(want, sizeof(want), "violation %zu of %zu", i, total);
        assert_string_equal(v->message, want);
    }
    assert_false(f.truncated);
    assert_int_equal(f.dropped, 0);
    findings_free(&f);
    assert_empty(&f);
}

/* FINDINGS_MAX items are all kept and do not count as truncation; the next
 * ones are counted in dropped, with add still returning 0, and never
 * replace a kept item. */
static void test_maximum(void **state)
{
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    for (size_t i = 0; i < FINDINGS_MAX; i++)
        assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, "c", "/p", &d, "kept %zu", i), 0);
    assert_int_equal(f.count, FINDINGS_MAX);
    assert_true(f.cap >= FINDINGS_MAX);
    assert_true(f.cap <= FINDINGS_MAX);
    assert_false(f.truncated);
    assert_int_equal(f.dropped, 0);

    assert_int_equal(findings_add(&f, RULE_PSS_PRIVILEGED, "x", "/q", &d, "dropped 0"), 0);
    assert_int_equal(f.count, FINDINGS_MAX);
    assert_true(f.truncated);
    assert_int_equal(f.dropped, 1);
    /* a dropped violation needs no diag: nothing failed */
    for (size_t i = 1; i < 10; i++)
        assert_int_equal(findings_add(&f, RULE_PSS_PRIVILEGED, NULL, NULL, NULL, "dropped %zu", i), 0);
    assert_int_equal(f.count, FINDINGS_MAX);
    assert_true(f.cap <= FINDINGS_MAX);
    assert_true(f.truncated);
    assert_int_equal(f.dropped, 10);
    assert_string_equal(d.message, "");

    for (size_t i = 0; i < FINDINGS_MAX; i++) {
        char want[32];

        snprintf(want, sizeof(want), "kept %zu", i);
        if (f.items[i].rule != RULE_IMAGE_TAG || strcmp(f.items[i].message, want) != 0)
            fail_msg("item %zu: rule %d, \"%s\"", i, (int)f.items[i].rule, f.items[i].message);
    }
    assert_int_equal(findings_count_action(&f, RULE_ENFORCE), FINDINGS_MAX);
    findings_free(&f);
    assert_empty(&f);
}

/* -------------------------------------------------------- count_action */

static void test_count_action(void **state)
{
    static const enum rule_action set[] = {RULE_WARN,    RULE_ENFORCE, RULE_WARN, RULE_OFF,
                                           RULE_ENFORCE, RULE_WARN,    RULE_WARN};
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    for (size_t i = 0; i < 20; i++)
        assert_int_equal(findings_add(&f, (enum rule_id)i, NULL, NULL, &d, "v%zu", i), 0);
    assert_int_equal(findings_count_action(&f, RULE_ENFORCE), 20);
    assert_int_equal(findings_count_action(&f, RULE_WARN), 0);
    assert_int_equal(findings_count_action(&f, RULE_OFF), 0);

    /* first seven as the engine might set them; the other 13 stay enforce */
    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
        f.items[i].action = set[i];
    assert_int_equal(findings_count_action(&f, RULE_ENFORCE), 13 + 2);
    assert_int_equal(findings_count_action(&f, RULE_WARN), 4);
    assert_int_equal(findings_count_action(&f, RULE_OFF), 1);

    /* the last item counts too */
    f.items[19].action = RULE_WARN;
    assert_int_equal(findings_count_action(&f, RULE_WARN), 5);
    assert_int_equal(findings_count_action(&f, RULE_ENFORCE), 14);

    /* only kept items count: slots past count are not looked at */
    f.count = 1;
    assert_int_equal(findings_count_action(&f, RULE_WARN), 1);
    assert_int_equal(findings_count_action(&f, RULE_ENFORCE), 0);
    f.count = 20;
    findings_free(&f);
}

/* ---------------------------------------------------------------- free */

/* Freeing an initialised list that never grew, twice, and reusing a freed
 * list: each leaves the state findings_init gives. */
static void test_free_and_reuse(void **state)
{
    struct findings f;
    struct diag d;

    (void)state;
    findings_init(&f);
    findings_free(&f);
    assert_empty(&f);
    findings_free(&f);
    assert_empty(&f);

    diag_clear(&d);
    for (size_t i = 0; i < FINDINGS_MAX + 3; i++)
        assert_int_equal(findings_add(&f, RULE_PSS_SECCOMP_PROFILE, "c", "/p", &d, "%zu", i), 0);
    f.used[RULE_PSS_SECCOMP_PROFILE] = true;
    f.refused[RULE_PSS_HOST_PATH] = true;
    f.unknown_exemptions = 1;
    assert_true(f.truncated);
    findings_free(&f);
    assert_empty(&f);

    /* a freed list is a fresh one */
    assert_int_equal(findings_add(&f, RULE_STRATEGY_MAX_UNAVAILABLE, NULL, "/spec/strategy", &d,
                                  "maxUnavailable must be 0"),
                     0);
    assert_int_equal(f.count, 1);
    assert_false(f.truncated);
    assert_int_equal(f.dropped, 0);
    assert_string_equal(f.items[0].message, "maxUnavailable must be 0");
    findings_free(&f);
    findings_free(&f);
    assert_empty(&f);
}

/* ---------------------------------------------------- allocation failure */

#ifndef HAVE_ASAN
/* Caps the address space just above what the process uses, so growth past
 * it fails; the old limit goes to *old. 0, or -1 when the limit cannot be
 * set here. */
static int cap_address_space(struct rlimit *old)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned long pages = 0;
    struct rlimit lim;
    FILE *fp;
    int ok;

    if (page <= 0 || getrlimit(RLIMIT_AS, old) != 0)
        return -1;
    fp = fopen("/proc/self/statm", "r");
    if (!fp)
        return -1;
    ok = fscanf(fp, "%lu", &pages) == 1;
    fclose(fp);
    if (!ok)
        return -1;
    lim = *old;
    lim.rlim_cur = (rlim_t)pages * (rlim_t)page + 64 * 1024;
    if (old->rlim_cur != RLIM_INFINITY && old->rlim_cur < lim.rlim_cur)
        return -1;
    return setrlimit(RLIMIT_AS, &lim);
}

struct soak {
    struct soak *next;
};

#define SOAK_SIZE (32 * 1024)
#define SOAK_LIMIT 4096

/* Takes every 32 KB block malloc still has, so that freed heap memory the
 * earlier tests left cannot serve the growth either; *n counts them. */
static struct soak *soak_up(size_t *n)
{
    struct soak *head = NULL, *b;

    *n = 0;
    while (*n < SOAK_LIMIT && (b = malloc(SOAK_SIZE)) != NULL) {
        b->next = head;
        head = b;
        (*n)++;
    }
    return head;
}

static void soak_free(struct soak *head)
{
    while (head) {
        struct soak *next = head->next;

        free(head);
        head = next;
    }
}
#endif

/* The one failure findings_add reports: the list's growth cannot be
 * allocated. It returns -1 with d describing it (the pointer of the
 * violation it could not record, file and line kept), and the list is as
 * it was and still usable. AddressSanitizer reserves address space of its
 * own and aborts on a failed allocation, so there the test is skipped. */
static void test_allocation_failure(void **state)
{
#ifdef HAVE_ASAN
    (void)state;
    skip();
#else
    /* a full list of 512 items, ~0.6 MB: the next add must double it */
    const size_t before = 512;
    struct findings f;
    struct rlimit old;
    struct soak *soaked;
    struct diag d;
    size_t cap, nsoaked;
    void *probe;
    int rc;

    (void)state;
    findings_init(&f);
    diag_clear(&d);
    diag_locate(&d, "deploy.yaml", 5);
    for (size_t i = 0; i < before; i++)
        assert_int_equal(findings_add(&f, RULE_IMAGE_TAG, "c", "/p", &d, "kept %zu", i), 0);
    assert_int_equal(f.count, f.cap);
    cap = f.cap;

    if (cap_address_space(&old) != 0) {
        findings_free(&f);
        skip();
    }
    soaked = soak_up(&nsoaked);
    /* only where an allocation of the growth's size now fails does the
     * result below say anything */
    probe = nsoaked < SOAK_LIMIT ? malloc(before * sizeof(struct violation)) : NULL;
    if (probe || nsoaked == SOAK_LIMIT) {
        free(probe);
        soak_free(soaked);
        setrlimit(RLIMIT_AS, &old);
        findings_free(&f);
        skip();
    }
    rc = findings_add(&f, RULE_PSS_HOST_PORT, "web", "/spec/template/spec/containers/0/ports/0", &d,
                      "not kept %d", 1);
    soak_free(soaked);
    assert_int_equal(setrlimit(RLIMIT_AS, &old), 0);

    assert_int_equal(rc, -1);
    assert_string_equal(d.message, "out of memory recording a violation");
    assert_string_equal(d.pointer, "/spec/template/spec/containers/0/ports/0");
    assert_string_equal(d.file, "deploy.yaml");
    assert_int_equal(d.line, 5);
    assert_int_equal(f.count, before);
    assert_int_equal(f.cap, cap);
    assert_false(f.truncated);
    assert_int_equal(f.dropped, 0);
    for (size_t i = 0; i < before; i++) {
        char want[32];

        snprintf(want, sizeof(want), "kept %zu", i);
        assert_string_equal(f.items[i].message, want);
    }

    /* with memory back, the same add succeeds */
    diag_clear(&d);
    assert_int_equal(findings_add(&f, RULE_PSS_HOST_PORT, "web", "/q", &d, "kept %zu", before), 0);
    assert_int_equal(f.count, before + 1);
    assert_string_equal(f.items[before].message, "kept 512");
    assert_string_equal(d.message, "");
    findings_free(&f);
    assert_empty(&f);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_add_one),
        cmocka_unit_test(test_add_null_container_and_pointer),
        cmocka_unit_test(test_add_keeps_exemptions),
        cmocka_unit_test(test_add_format_error),
        cmocka_unit_test(test_add_truncates_ascii),
        cmocka_unit_test(test_add_truncates_utf8),
        cmocka_unit_test(test_add_truncates_formatted),
        cmocka_unit_test(test_growth_keeps_order),
        cmocka_unit_test(test_maximum),
        cmocka_unit_test(test_count_action),
        cmocka_unit_test(test_free_and_reuse),
        cmocka_unit_test(test_allocation_failure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
