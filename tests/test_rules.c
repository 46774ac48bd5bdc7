/* The rule-folder and fixture runner.
 *
 * tests/rules/<rule-id>/: every rule id in the table has a folder and every
 * folder is a rule id. For each rule, pass.yaml does not violate it,
 * fail.yaml does, engine_mutate of input.yaml (if present, else fail.yaml)
 * is exactly mutated.yaml, mutating mutated.yaml again adds nothing, and
 * mutated.yaml no longer violates the rule when mutation can fix it (a rule
 * with a mutate function and no input.yaml) or still does when it cannot
 * (tests/rules/README.md).
 *
 * tests/fixtures/deployments/: each manifest's NAME.expect (format in the
 * README there) gives the exit codes, the (rule, action) set, the objects
 * and skipped counts, the exemptions, and what remains after mutation; all
 * computed here in-process with the engine, the way check and mutate do.
 * The `error:` lines name the commands' stderr and are checked by
 * tests/oracle/check_patches.py, which runs the real binary.
 *
 * Hostile cases first: the .expect reader refuses what it does not
 * understand, so a typo cannot turn a check into one that always passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "document.h"
#include "engine.h"
#include "findings.h"
#include "input.h"
#include "policy.h"
#include "policyfile.h"
#include "rules.h"

#define RULES_DIR SOURCE_ROOT "/tests/rules"
#define FIXTURES_DIR SOURCE_ROOT "/tests/fixtures/deployments"
/* issue 2: at least 30 realistic Deployments */
#define FIXTURES_MIN 30
#define PATH_CAP 1024
#define EXPECT_ERR_CAP 256
#define BUG_CAP 1024

/* ------------------------------------------------------------ problems */

/* Failures of one test, collected so every resource is freed before the
 * test fails (a longjmp out of cmocka would leak them). */
struct problems {
    char text[8192];
    size_t len;
    size_t count;
};

static void problem(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct problems *p, const char *fmt, ...)
{
    va_list ap;
    int n;

    p->count++;
    if (p->len + 4 >= sizeof(p->text))
        return;
    p->text[p->len++] = '\n';
    p->text[p->len++] = ' ';
    p->text[p->len++] = ' ';
    va_start(ap, fmt);
    n = vsnprintf(p->text + p->len, sizeof(p->text) - p->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        p->len += (size_t)n < sizeof(p->text) - p->len ? (size_t)n : sizeof(p->text) - p->len - 1;
}

static void problems_report(const struct problems *p, const char *what)
{
    if (p->count)
        fail_msg("%s: %zu problem%s:%s", what, p->count, p->count == 1 ? "" : "s", p->text);
}

/* -------------------------------------------------------------- .expect */

/* action index in the sets below */
enum { ACT_WARN = 0, ACT_ENFORCE = 1, ACT_COUNT };

struct expect {
    /* policy file, resolved against the .expect's folder; "" = default */
    char policy[PATH_CAP];
    int check_exit;
    int mutate_exit;
    /* -1 when not given */
    long objects;
    long skipped;
    bool violation[RULE_COUNT][ACT_COUNT];
    bool remains[RULE_COUNT][ACT_COUNT];
    bool used[RULE_COUNT];
    bool refused[RULE_COUNT];
    long unknown;
    /* the "# engine bug:" comment, if any, shown beside a failure */
    char bug[BUG_CAP];
};

/* A non-negative decimal integer below 1000000, the whole of s[0..len). */
static int small_number(const char *s, size_t len, long *out)
{
    long v = 0;

    if (len == 0 || len > 6)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r'))
        (*len)--;
}

/* "RULE enforce|warn" -> id and action index. */
static int rule_and_action(const char *v, size_t len, enum rule_id *id, int *act)
{
    const char *sp = memchr(v, ' ', len);
    const char *a;
    size_t alen;

    if (!sp)
        return -1;
    if (rules_find(v, (size_t)(sp - v), id) != 0)
        return -1;
    a = sp + 1;
    alen = len - (size_t)(a - v);
    trim(&a, &alen);
    if (alen == 7 && memcmp(a, "enforce", 7) == 0)
        *act = ACT_ENFORCE;
    else if (alen == 4 && memcmp(a, "warn", 4) == 0)
        *act = ACT_WARN;
    else
        return -1;
    return 0;
}

/* Reads an .expect (text[0..len), need not be NUL-terminated; dir is the
 * folder policy paths are relative to):
 *   file    ::= ( line "\n" )*
 *   line    ::= "" | "#" any* | key ":" " "* value
 * Keys: policy, check-exit, mutate-exit, objects, skipped, exempt-unknown
 * (once each), violation, remains, exempt-used, exempt-refused, error (any
 * number). check-exit and mutate-exit are required. 0, or -1 with err. */
static int expect_parse(const char *text, size_t len, const char *dir, struct expect *e,
                        char *err, size_t errcap)
{
    static const char *const once[] = {"policy",  "check-exit",     "mutate-exit",
                                       "objects", "skipped",        "exempt-unknown"};
    bool seen[sizeof(once) / sizeof(once[0])] = {false};
    size_t pos = 0;
    int line = 0;

    memset(e, 0, sizeof(*e));
    e->check_exit = -1;
    e->mutate_exit = -1;
    e->objects = -1;
    e->skipped = -1;
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        const char *colon, *key, *v;
        size_t klen, vlen;
        long num;

        pos += n + (nl ? 1 : 0);
        line++;
        if (memchr(s, '\0', n)) {
            snprintf(err, errcap, "line %d: NUL byte", line);
            return -1;
        }
        trim(&s, &n);
        if (n == 0)
            continue;
        if (s[0] == '#') {
            const char *c = s + 1;
            size_t clen = n - 1;
            trim(&c, &clen);
            if (clen >= 11 && strncmp(c, "engine bug:", 11) == 0)
                snprintf(e->bug, sizeof(e->bug), "%.*s", (int)clen, c);
            continue;
        }
        colon = memchr(s, ':', n);
        if (!colon) {
            snprintf(err, errcap, "line %d: expected KEY: VALUE", line);
            return -1;
        }
        key = s;
        klen = (size_t)(colon - s);
        trim(&key, &klen);
        v = colon + 1;
        vlen = n - (size_t)(v - s);
        trim(&v, &vlen);
        for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
            if (strlen(once[i]) == klen && memcmp(once[i], key, klen) == 0) {
                if (seen[i]) {
                    snprintf(err, errcap, "line %d: %s given twice", line, once[i]);
                    return -1;
                }
                seen[i] = true;
            }
        }
#define KEY(k) (klen == strlen(k) && memcmp(key, k, klen) == 0)
        if (KEY("policy")) {
            if (vlen == 0 || strlen(dir) + 1 + vlen >= sizeof(e->policy)) {
                snprintf(err, errcap, "line %d: bad policy path", line);
                return -1;
            }
            snprintf(e->policy, sizeof(e->policy), "%s/%.*s", dir, (int)vlen, v);
        } else if (KEY("check-exit") || KEY("mutate-exit")) {
            if (small_number(v, vlen, &num) != 0 || num > 2) {
                snprintf(err, errcap, "line %d: an exit code is 0, 1 or 2", line);
                return -1;
            }
            if (KEY("check-exit"))
                e->check_exit = (int)num;
            else
                e->mutate_exit = (int)num;
        } else if (KEY("objects") || KEY("skipped") || KEY("exempt-unknown")) {
            if (small_number(v, vlen, &num) != 0) {
                snprintf(err, errcap, "line %d: expected a count", line);
                return -1;
            }
            if (KEY("objects"))
                e->objects = num;
            else if (KEY("skipped"))
                e->skipped = num;
            else
                e->unknown = num;
        } else if (KEY("violation") || KEY("remains")) {
            enum rule_id id;
            int act;
            if (rule_and_action(v, vlen, &id, &act) != 0) {
                snprintf(err, errcap, "line %d: expected RULE-ID enforce|warn", line);
                return -1;
            }
            if (KEY("violation"))
                e->violation[id][act] = true;
            else
                e->remains[id][act] = true;
        } else if (KEY("exempt-used") || KEY("exempt-refused")) {
            enum rule_id id;
            if (rules_find(v, vlen, &id) != 0) {
                snprintf(err, errcap, "line %d: no rule id", line);
                return -1;
            }
            if (KEY("exempt-used"))
                e->used[id] = true;
            else
                e->refused[id] = true;
        } else if (KEY("error")) {
            /* stderr text: checked by the oracle against the binary */
            if (vlen == 0) {
                snprintf(err, errcap, "line %d: empty error text", line);
                return -1;
            }
        } else {
            snprintf(err, errcap, "line %d: unknown key '%.*s'", line, (int)(klen > 40 ? 40 : klen),
                     key);
            return -1;
        }
#undef KEY
    }
    if (e->check_exit < 0 || e->mutate_exit < 0) {
        snprintf(err, errcap, "check-exit and mutate-exit are required");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- files */

static bool is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads and parses path into set. 0, or -1 with d filled. */
static int load(const char *path, struct document_set *set, struct diag *d)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(set, 0, sizeof(*set));
    diag_clear(d);
    if (input_read(path, &text, &len, d) != 0)
        return -1;
    rc = document_parse(path, text, len, set, d);
    free(text);
    return rc;
}

/* The single Deployment of a rules/ file, or NULL (problem recorded). */
static const cJSON *load_one(const char *path, struct document_set *set, struct problems *pr)
{
    struct diag d;

    if (load(path, set, &d) != 0) {
        problem(pr, "%s: %s (line %d)", path, d.message, d.line);
        return NULL;
    }
    if (set->count != 1) {
        problem(pr, "%s: %zu documents, expected one Deployment", path, set->count);
        return NULL;
    }
    return set->docs[0].root;
}

/* Sorted names of the entries of dir that `keep` accepts (caller frees
 * each and the array). */
static char **list_dir(const char *dir, bool (*keep)(const char *dir, const char *name),
                       size_t *count)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;

    *count = 0;
    if (!dp)
        return NULL;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.' || !keep(dir, de->d_name))
            continue;
        if (n == cap) {
            char **grown;
            cap = cap ? cap * 2 : 64;
            grown = realloc(names, cap * sizeof(*names));
            if (!grown)
                break;
            names = grown;
        }
        names[n] = strdup(de->d_name);
        if (!names[n])
            break;
        n++;
    }
    closedir(dp);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    *count = n;
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static bool keep_subdir(const char *dir, const char *name)
{
    char path[PATH_CAP];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return is_dir(path);
}

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);

    return n > s && strcmp(name + n - s, suffix) == 0;
}

static bool keep_manifest(const char *dir, const char *name)
{
    (void)dir;
    return has_suffix(name, ".yaml") || has_suffix(name, ".yml") || has_suffix(name, ".json");
}

/* --------------------------------------------------------------- engine */

static size_t count_rule(const struct findings *f, enum rule_id id)
{
    size_t n = 0;

    for (size_t i = 0; i < f->count; i++)
        if (f->items[i].rule == id)
            n++;
    return n;
}

/* Which rules f violates (any action). */
static void rules_of(const struct findings *f, bool out[RULE_COUNT])
{
    memset(out, 0, sizeof(bool) * RULE_COUNT);
    for (size_t i = 0; i < f->count; i++)
        out[f->items[i].rule] = true;
}

/* Validates obj into f (initialised here; caller frees). 0 or -1. */
static int validate(const struct policy *p, const cJSON *obj, struct findings *f,
                    struct problems *pr, const char *what)
{
    struct diag d;

    findings_init(f);
    diag_clear(&d);
    if (engine_validate(p, obj, f, &d) != 0) {
        problem(pr, "%s: engine_validate failed: %s at %s", what, d.message, d.pointer);
        return -1;
    }
    return 0;
}

/* The violations as text, for messages. */
static void describe(const struct findings *f, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < f->count && len + 1 < cap; i++) {
        int n = snprintf(buf + len, cap - len, "%s%s (%s)", i ? ", " : "",
                         rules_get(f->items[i].rule)->name, f->items[i].pointer);
        if (n < 0)
            break;
        len += (size_t)n < cap - len ? (size_t)n : cap - len - 1;
    }
    if (!f->count)
        snprintf(buf, cap, "none");
}

/* ----------------------------------------------------------- the tables */

/* the .expect reader: hostile and malformed input first, then what is
 * accepted */
static const struct {
    const char *text;
    /* NULL: accepted; else a piece of the error */
    const char *error;
} expect_cases[] = {
    {"", "required"},
    {"\n\n# only comments\n", "required"},
    {"check-exit: 1\n", "required"},
    {"mutate-exit: 0\n", "required"},
    {"check-exit 1\nmutate-exit: 0\n", "KEY: VALUE"},
    {"check-exit: one\nmutate-exit: 0\n", "exit code"},
    {"check-exit: 3\nmutate-exit: 0\n", "exit code"},
    {"check-exit: -1\nmutate-exit: 0\n", "exit code"},
    {"check-exit: 99999999999999999999\nmutate-exit: 0\n", "exit code"},
    {"check-exit: \nmutate-exit: 0\n", "exit code"},
    {"check-exit: 1\ncheck-exit: 0\nmutate-exit: 0\n", "twice"},
    {"check-exit: 1\nmutate-exit: 0\nbogus: 1\n", "unknown key"},
    {"check-exit: 1\nmutate-exit: 0\nViolation: image-tag enforce\n", "unknown key"},
    {"check-exit: 1\nmutate-exit: 0\nvi\xc3\xb6lation: image-tag enforce\n", "unknown key"},
    {"check-exit: 1\nmutate-exit: 0\nviolation: image-tag\n", "RULE-ID"},
    {"check-exit: 1\nmutate-exit: 0\nviolation: image-tags enforce\n", "RULE-ID"},
    {"check-exit: 1\nmutate-exit: 0\nviolation: image-tag off\n", "RULE-ID"},
    {"check-exit: 1\nmutate-exit: 0\nviolation: image-tag Enforce\n", "RULE-ID"},
    {"check-exit: 1\nmutate-exit: 0\nremains: ~1/0 warn\n", "RULE-ID"},
    {"check-exit: 1\nmutate-exit: 0\nexempt-used: replica-minimum\n", "no rule id"},
    {"check-exit: 1\nmutate-exit: 0\nexempt-unknown: many\n", "count"},
    {"check-exit: 1\nmutate-exit: 0\nobjects: 1\nobjects: 2\n", "twice"},
    {"check-exit: 1\nmutate-exit: 0\nerror:\n", "empty error"},
    {"check-exit: 1\nmutate-exit: 0\npolicy:\n", "policy"},
    /* accepted */
    {"check-exit: 0\nmutate-exit: 0\n", NULL},
    {"check-exit: 1\r\nmutate-exit: 0\r\nviolation: image-tag enforce\r\n", NULL},
    {"  # engine bug: something\ncheck-exit: 2\nmutate-exit: 2\nerror: x.yaml:3: what\n", NULL},
    {"check-exit: 1\nmutate-exit: 0\nviolation:   pod-anti-affinity   warn  \nremains: pod-anti-affinity warn",
     NULL},
};

static void test_expect_reader(void **state)
{
    struct expect *e = malloc(sizeof(*e));
    char err[EXPECT_ERR_CAP];

    (void)state;
    assert_non_null(e);
    for (size_t i = 0; i < sizeof(expect_cases) / sizeof(expect_cases[0]); i++) {
        const char *t = expect_cases[i].text;
        int rc;

        err[0] = '\0';
        rc = expect_parse(t, strlen(t), "/fixtures", e, err, sizeof(err));
        if (expect_cases[i].error) {
            if (rc == 0 || !strstr(err, expect_cases[i].error)) {
                free(e);
                fail_msg("case %zu: expected an error with '%s', got rc %d '%s'", i,
                         expect_cases[i].error, rc, err);
            }
        } else if (rc != 0) {
            free(e);
            fail_msg("case %zu: refused: %s", i, err);
        }
    }

    /* what an accepted file says */
    {
        static const char t[] = "# engine bug: the thing\npolicy: ../policies/strict.yaml\n"
                                "check-exit: 1\nmutate-exit: 0\nobjects: 2\nskipped: 3\n"
                                "violation: image-tag enforce\nviolation: pod-anti-affinity warn\n"
                                "remains: image-tag enforce\nexempt-used: replicas-minimum\n"
                                "exempt-refused: pss-host-path\nexempt-unknown: 4\n";
        int rc = expect_parse(t, sizeof(t) - 1, "/f", e, err, sizeof(err));
        bool ok = rc == 0 && e->check_exit == 1 && e->mutate_exit == 0 && e->objects == 2 &&
                  e->skipped == 3 && e->unknown == 4 &&
                  strcmp(e->policy, "/f/../policies/strict.yaml") == 0 &&
                  strcmp(e->bug, "engine bug: the thing") == 0 &&
                  e->violation[RULE_IMAGE_TAG][ACT_ENFORCE] &&
                  !e->violation[RULE_IMAGE_TAG][ACT_WARN] &&
                  e->violation[RULE_POD_ANTI_AFFINITY][ACT_WARN] &&
                  e->remains[RULE_IMAGE_TAG][ACT_ENFORCE] &&
                  !e->remains[RULE_POD_ANTI_AFFINITY][ACT_WARN] &&
                  e->used[RULE_REPLICAS_MINIMUM] && e->refused[RULE_PSS_HOST_PATH] &&
                  !e->used[RULE_PSS_HOST_PATH];
        free(e);
        if (!ok)
            fail_msg("accepted .expect read wrongly (rc %d: %s)", rc, err);
    }
}

/* --------------------------------------------------- rules: the folders */

static void test_every_rule_has_a_folder(void **state)
{
    struct problems pr = {0};
    static const char *const files[] = {"pass.yaml", "fail.yaml", "mutated.yaml"};

    (void)state;
    for (size_t i = 0; i < RULE_COUNT; i++) {
        const char *name = rules_get((enum rule_id)i)->name;
        char path[PATH_CAP];

        for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
            snprintf(path, sizeof(path), "%s/%s/%s", RULES_DIR, name, files[k]);
            if (!is_file(path))
                problem(&pr, "rule %s has no %s (a rule without tests)", name, path);
        }
    }
    problems_report(&pr, "tests/rules");
}

static void test_every_folder_is_a_rule(void **state)
{
    struct problems pr = {0};
    size_t n;
    char **names = list_dir(RULES_DIR, keep_subdir, &n);

    (void)state;
    if (!names)
        fail_msg("cannot list %s", RULES_DIR);
    for (size_t i = 0; i < n; i++) {
        enum rule_id id;
        if (rules_find(names[i], strlen(names[i]), &id) != 0)
            problem(&pr, "tests/rules/%s names no rule id in src/rules.c", names[i]);
    }
    if (n != RULE_COUNT)
        problem(&pr, "%zu folders for %d rules", n, (int)RULE_COUNT);
    free_names(names, n);
    problems_report(&pr, "tests/rules");
}

/* One rule's folder; state points at its enum rule_id. */
static void test_rule_folder(void **state)
{
    const enum rule_id id = *(const enum rule_id *)*state;
    const struct rule *r = rules_get(id);
    struct problems pr = {0};
    struct policy p;
    struct document_set pass_set = {0}, fail_set = {0}, in_set = {0}, want_set = {0};
    const cJSON *pass, *fail, *in, *want;
    struct findings f;
    struct mutation m = {0}, again = {0}, of_fail = {0};
    struct diag d;
    char path[PATH_CAP], text[2048];
    bool has_input;

    policy_default(&p);
    snprintf(path, sizeof(path), "%s/%s/pass.yaml", RULES_DIR, r->name);
    pass = load_one(path, &pass_set, &pr);
    snprintf(path, sizeof(path), "%s/%s/fail.yaml", RULES_DIR, r->name);
    fail = load_one(path, &fail_set, &pr);
    snprintf(path, sizeof(path), "%s/%s/input.yaml", RULES_DIR, r->name);
    has_input = is_file(path);
    in = has_input ? load_one(path, &in_set, &pr) : fail;
    snprintf(path, sizeof(path), "%s/%s/mutated.yaml", RULES_DIR, r->name);
    want = load_one(path, &want_set, &pr);
    if (!pass || !fail || !in || !want)
        goto done;
    if (!engine_selects(&p, pass) || !engine_selects(&p, fail) || !engine_selects(&p, in) ||
        !engine_selects(&p, want)) {
        problem(&pr, "every file must be a Deployment the default policy selects");
        goto done;
    }

    if (validate(&p, pass, &f, &pr, "pass.yaml") == 0 && count_rule(&f, id) != 0) {
        describe(&f, text, sizeof(text));
        problem(&pr, "pass.yaml violates %s: %s", r->name, text);
    }
    findings_free(&f);
    if (validate(&p, fail, &f, &pr, "fail.yaml") == 0 && count_rule(&f, id) == 0) {
        describe(&f, text, sizeof(text));
        problem(&pr, "fail.yaml does not violate %s (it reports: %s)", r->name, text);
    }
    findings_free(&f);

    /* mutation of the input is exactly mutated.yaml */
    diag_clear(&d);
    if (engine_mutate(&p, in, &m, &d) != 0) {
        problem(&pr, "engine_mutate(%s) failed: %s", has_input ? "input.yaml" : "fail.yaml",
                d.message);
        goto done;
    }
    if (!cJSON_Compare(m.result, want, true)) {
        char *got = cJSON_Print(m.result);
        problem(&pr, "mutating %s does not give mutated.yaml; it gives:\n%s",
                has_input ? "input.yaml" : "fail.yaml", got ? got : "(out of memory)");
        cJSON_free(got);
    }
    /* idempotence: mutated.yaml needs nothing more */
    diag_clear(&d);
    if (engine_mutate(&p, want, &again, &d) != 0) {
        problem(&pr, "engine_mutate(mutated.yaml) failed: %s", d.message);
    } else if (cJSON_GetArraySize(again.ops) != 0) {
        char *ops = cJSON_PrintUnformatted(again.ops);
        problem(&pr, "mutating mutated.yaml again adds %s", ops ? ops : "(out of memory)");
        cJSON_free(ops);
    }

    /* fixed by mutation, or not */
    if (validate(&p, want, &f, &pr, "mutated.yaml") == 0) {
        bool fixes = r->mutate && !has_input;
        struct findings before;
        bool had[RULE_COUNT], has[RULE_COUNT];

        if (fixes && count_rule(&f, id) != 0) {
            describe(&f, text, sizeof(text));
            problem(&pr, "mutated.yaml still violates %s, which mutation adds: %s", r->name, text);
        }
        if (!r->mutate && count_rule(&f, id) == 0)
            problem(&pr, "mutated.yaml no longer violates %s, which has no mutation: "
                         "fail.yaml must still fail after mutation", r->name);
        if (has_input && count_rule(&f, id) != 0)
            problem(&pr, "mutated.yaml (from input.yaml) violates %s", r->name);
        /* mutation never creates a violation its input did not have */
        if (validate(&p, in, &before, &pr, "input") == 0) {
            rules_of(&before, had);
            rules_of(&f, has);
            for (size_t i = 0; i < RULE_COUNT; i++)
                if (has[i] && !had[i])
                    problem(&pr, "mutation created a violation of %s", rules_get((enum rule_id)i)->name);
        }
        findings_free(&before);
    }
    findings_free(&f);

    /* with input.yaml, fail.yaml's violation is a value the user wrote:
     * mutation leaves it */
    if (has_input) {
        diag_clear(&d);
        if (engine_mutate(&p, fail, &of_fail, &d) != 0) {
            problem(&pr, "engine_mutate(fail.yaml) failed: %s", d.message);
        } else if (validate(&p, of_fail.result, &f, &pr, "mutated fail.yaml") == 0 &&
                   count_rule(&f, id) == 0) {
            problem(&pr, "fail.yaml no longer violates %s after mutation, but it is a value "
                         "the user wrote",
                    r->name);
        }
        findings_free(&f);
    }

done:
    mutation_free(&m);
    mutation_free(&again);
    mutation_free(&of_fail);
    document_set_free(&pass_set);
    document_set_free(&fail_set);
    document_set_free(&in_set);
    document_set_free(&want_set);
    problems_report(&pr, r->name);
}

/* ------------------------------------------------------------- fixtures */

/* What the engine makes of one fixture, the way check and mutate see it. */
struct outcome {
    bool input_error;
    long objects;
    long skipped;
    bool violation[RULE_COUNT][ACT_COUNT];
    bool remains[RULE_COUNT][ACT_COUNT];
    bool used[RULE_COUNT];
    bool refused[RULE_COUNT];
    long unknown;
    bool any_enforce;
};

static void record(const struct findings *f, bool set[RULE_COUNT][ACT_COUNT], bool *enforce)
{
    for (size_t i = 0; i < f->count; i++) {
        int act = f->items[i].action == RULE_ENFORCE ? ACT_ENFORCE : ACT_WARN;
        set[f->items[i].rule][act] = true;
        if (enforce && act == ACT_ENFORCE)
            *enforce = true;
    }
}

/* A List as check and mutate expand it: kind ending in "List" with items
 * a list. */
static bool is_list(const cJSON *obj)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
    size_t n;

    if (!cJSON_IsString(kind))
        return false;
    n = strlen(kind->valuestring);
    return n >= 4 && strcmp(kind->valuestring + n - 4, "List") == 0 &&
           cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(obj, "items"));
}

static void judge_object(const struct policy *p, const cJSON *obj, const char *where,
                         struct outcome *o, struct problems *pr)
{
    struct findings f, after;
    struct mutation m = {0}, again = {0};
    struct diag d;

    if (!cJSON_IsObject(obj)) {
        o->input_error = true;
        return;
    }
    if (!engine_selects(p, obj)) {
        o->skipped++;
        return;
    }
    findings_init(&f);
    diag_clear(&d);
    if (engine_validate(p, obj, &f, &d) != 0) {
        findings_free(&f);
        o->input_error = true;
        /* engine_mutate must refuse it the same way */
        diag_clear(&d);
        if (engine_mutate(p, obj, &m, &d) == 0)
            problem(pr, "%s: engine_validate refuses the object but engine_mutate accepts it", where);
        mutation_free(&m);
        return;
    }
    o->objects++;
    record(&f, o->violation, &o->any_enforce);
    for (size_t i = 0; i < RULE_COUNT; i++) {
        o->used[i] |= f.used[i];
        o->refused[i] |= f.refused[i];
    }
    o->unknown += (long)f.unknown_exemptions;
    findings_free(&f);

    diag_clear(&d);
    if (engine_mutate(p, obj, &m, &d) != 0) {
        problem(pr, "%s: engine_mutate failed where engine_validate did not: %s", where, d.message);
        mutation_free(&m);
        return;
    }
    findings_init(&after);
    diag_clear(&d);
    if (engine_validate(p, m.result, &after, &d) != 0)
        problem(pr, "%s: the mutated object is refused: %s", where, d.message);
    else
        record(&after, o->remains, NULL);
    findings_free(&after);
    diag_clear(&d);
    if (engine_mutate(p, m.result, &again, &d) != 0) {
        problem(pr, "%s: mutating the mutated object fails: %s", where, d.message);
    } else if (cJSON_GetArraySize(again.ops) != 0) {
        char *ops = cJSON_PrintUnformatted(again.ops);
        problem(pr, "%s: mutating the mutated object again adds %s", where,
                ops ? ops : "(out of memory)");
        cJSON_free(ops);
    }
    mutation_free(&again);
    mutation_free(&m);
}

static void compare_sets(struct problems *pr, const char *what, bool got[RULE_COUNT][ACT_COUNT],
                         bool want[RULE_COUNT][ACT_COUNT])
{
    static const char *const act_name[ACT_COUNT] = {"warn", "enforce"};

    for (size_t i = 0; i < RULE_COUNT; i++)
        for (int a = 0; a < ACT_COUNT; a++) {
            if (got[i][a] && !want[i][a])
                problem(pr, "%s: unexpected %s %s", what, rules_get((enum rule_id)i)->name,
                        act_name[a]);
            else if (!got[i][a] && want[i][a])
                problem(pr, "%s: missing %s %s", what, rules_get((enum rule_id)i)->name,
                        act_name[a]);
        }
}

/* One fixture; state points at its file name (in FIXTURES_DIR). */
static void test_fixture(void **state)
{
    const char *name = *state;
    struct problems pr = {0};
    struct expect *e = calloc(1, sizeof(*e));
    struct outcome *o = calloc(1, sizeof(*o));
    struct document_set set = {0};
    struct policy p;
    struct diag d;
    char path[PATH_CAP], base[PATH_CAP], err[EXPECT_ERR_CAP];
    char *text = NULL;
    size_t len = 0;
    const char *dot;
    int check_exit, mutate_exit;
    bool parse_error = false;

    if (!e || !o) {
        free(e);
        free(o);
        fail_msg("out of memory");
    }
    dot = strrchr(name, '.');
    snprintf(base, sizeof(base), "%.*s", (int)(dot - name), name);
    if (snprintf(path, sizeof(path), "%s/%s.expect", FIXTURES_DIR, base) >= (int)sizeof(path)) {
        problem(&pr, "path too long");
        goto done;
    }
    diag_clear(&d);
    if (input_read(path, &text, &len, &d) != 0) {
        problem(&pr, "no expectation file %s.expect", base);
        goto done;
    }
    if (expect_parse(text, len, FIXTURES_DIR, e, err, sizeof(err)) != 0) {
        problem(&pr, "%s.expect: %s", base, err);
        goto done;
    }
    diag_clear(&d);
    if (policyfile_load(e->policy[0] ? e->policy : NULL, &p, &d) != 0) {
        problem(&pr, "policy %s: %s", e->policy, d.message);
        goto done;
    }

    snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
    if (load(path, &set, &d) != 0)
        parse_error = true;
    for (size_t i = 0; !parse_error && i < set.count; i++) {
        const cJSON *root = set.docs[i].root;
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");
        char where[PATH_CAP + 32];

        snprintf(where, sizeof(where), "%s document %zu", name, i);
        if (cJSON_IsString(kind) && strcmp(kind->valuestring, "List") == 0 && items &&
            !cJSON_IsArray(items) && !cJSON_IsNull(items)) {
            o->input_error = true;
            continue;
        }
        if (!is_list(root)) {
            judge_object(&p, root, where, o, &pr);
            continue;
        }
        cJSON_ArrayForEach(items, cJSON_GetObjectItemCaseSensitive(root, "items"))
            judge_object(&p, items, where, o, &pr);
    }

    check_exit = parse_error || o->input_error ? 2 : o->any_enforce ? 1 : 0;
    mutate_exit = parse_error || o->input_error ? 2 : 0;
    if (check_exit != e->check_exit)
        problem(&pr, "check exit %d, expected %d%s%s", check_exit, e->check_exit,
                parse_error ? ": " : "", parse_error ? d.message : "");
    if (mutate_exit != e->mutate_exit)
        problem(&pr, "mutate exit %d, expected %d", mutate_exit, e->mutate_exit);
    if (check_exit != 2) {
        if (e->objects >= 0 && o->objects != e->objects)
            problem(&pr, "%ld objects checked, expected %ld", o->objects, e->objects);
        if (e->skipped >= 0 && o->skipped != e->skipped)
            problem(&pr, "%ld objects skipped, expected %ld", o->skipped, e->skipped);
        compare_sets(&pr, "violation", o->violation, e->violation);
        compare_sets(&pr, "after mutation", o->remains, e->remains);
        for (size_t i = 0; i < RULE_COUNT; i++) {
            const char *rn = rules_get((enum rule_id)i)->name;
            if (o->used[i] != e->used[i])
                problem(&pr, "exemption %s %s used", rn, o->used[i] ? "is" : "is not");
            if (o->refused[i] != e->refused[i])
                problem(&pr, "exemption %s %s refused", rn, o->refused[i] ? "is" : "is not");
            /* mutation never creates a violation of a rule the input did
             * not violate */
            if ((o->remains[i][ACT_WARN] || o->remains[i][ACT_ENFORCE]) &&
                !o->violation[i][ACT_WARN] && !o->violation[i][ACT_ENFORCE])
                problem(&pr, "mutation created a violation of %s", rn);
        }
        if (o->unknown != e->unknown)
            problem(&pr, "%ld unknown exemptions, expected %ld", o->unknown, e->unknown);
    }
    if (pr.count && e->bug[0])
        problem(&pr, "(known: %s)", e->bug);

done:
    free(text);
    document_set_free(&set);
    free(e);
    free(o);
    problems_report(&pr, name);
}

static void test_enough_fixtures(void **state)
{
    size_t n;
    char **names = list_dir(FIXTURES_DIR, keep_manifest, &n);

    (void)state;
    free_names(names, n);
    if (n < FIXTURES_MIN)
        fail_msg("%zu fixtures in %s, at least %d required", n, FIXTURES_DIR, FIXTURES_MIN);
}

/* Every NAME.expect has its manifest. */
static bool keep_expect(const char *dir, const char *name)
{
    (void)dir;
    return has_suffix(name, ".expect");
}

static void test_no_orphan_expect(void **state)
{
    struct problems pr = {0};
    size_t n;
    char **names = list_dir(FIXTURES_DIR, keep_expect, &n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        static const char *const exts[] = {".yaml", ".yml", ".json"};
        size_t blen = strlen(names[i]) - strlen(".expect");
        bool found = false;

        for (size_t k = 0; k < sizeof(exts) / sizeof(exts[0]); k++) {
            char path[PATH_CAP];
            snprintf(path, sizeof(path), "%s/%.*s%s", FIXTURES_DIR, (int)blen, names[i], exts[k]);
            found |= is_file(path);
        }
        if (!found)
            problem(&pr, "%s has no manifest beside it", names[i]);
    }
    free_names(names, n);
    problems_report(&pr, "fixtures");
}

int main(void)
{
    static enum rule_id ids[RULE_COUNT];
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_expect_reader),
        cmocka_unit_test(test_every_rule_has_a_folder),
        cmocka_unit_test(test_every_folder_is_a_rule),
        cmocka_unit_test(test_enough_fixtures),
        cmocka_unit_test(test_no_orphan_expect),
    };
    const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    struct CMUnitTest *tests;
    char **fixtures;
    size_t nfixtures, n = 0;
    int rc;

    fixtures = list_dir(FIXTURES_DIR, keep_manifest, &nfixtures);
    tests = calloc(nfixed + RULE_COUNT + nfixtures, sizeof(*tests));
    if (!tests) {
        free_names(fixtures, nfixtures);
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < nfixed; i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < RULE_COUNT; i++) {
        ids[i] = (enum rule_id)i;
        tests[n].name = rules_get(ids[i])->name;
        tests[n].test_func = test_rule_folder;
        tests[n].initial_state = &ids[i];
        n++;
    }
    for (size_t i = 0; i < nfixtures; i++) {
        tests[n].name = fixtures[i];
        tests[n].test_func = test_fixture;
        tests[n].initial_state = fixtures[i];
        n++;
    }
    rc = _cmocka_run_group_tests("rules", tests, n, NULL, NULL);
    free(tests);
    free_names(fixtures, nfixtures);
    return rc;
}
