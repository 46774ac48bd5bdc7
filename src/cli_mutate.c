/* mutate: manifests in, the same manifests with what the policy adds out
 * (YAML, JSON, or one RFC 6902 patch per object). Everything is read and
 * mutated before anything is printed, so an input error leaves stdout
 * empty. What was added is summarised on stderr. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "document.h"
#include "engine.h"
#include "input.h"
#include "manifest.h"
#include "policyfile.h"
#include "yamlout.h"

#define MUTATE_USAGE "usage: django-admission mutate [--policy F] [-o yaml|json|patch] FILE|-"

enum mutate_format { MUTATE_YAML, MUTATE_JSON, MUTATE_PATCH };

/* What the run produced so far; printed only when every object succeeded. */
struct mutate_run {
    const struct policy *policy;
    const char *file;
    /* one compact RFC 6902 array per object, newline-terminated */
    FILE *patches;
    char *patches_text;
    size_t patches_len;
    /* one "FILE:LINE Deployment ns/name: added ..." line per op */
    FILE *summaries;
    char *summaries_text;
    size_t summaries_len;
};

/* Mutates obj (at prefix of doc) when the policy selects it: *result is
 * then the mutated copy (caller frees), else NULL. Records the object's
 * patch line and summaries. 0, or -1 with d filled and located. */
static int mutate_object(struct mutate_run *run, const struct document *doc, const char *prefix,
                         const cJSON *obj, cJSON **result, struct diag *d)
{
    struct mutation m = {0};
    const cJSON *meta;
    const char *ns, *name;
    char *ops;
    int line = prefix[0] ? document_line(doc, prefix) : doc->line;

    *result = NULL;
    if (manifest_object(obj, d) < 0) {
        manifest_locate(d, run->file, doc, prefix);
        return -1;
    }
    if (!engine_selects(run->policy, obj)) {
        fputs("[]\n", run->patches);
        return 0;
    }
    if (engine_mutate(run->policy, obj, &m, d) < 0) {
        manifest_locate(d, run->file, doc, prefix);
        return -1;
    }
    ops = cJSON_PrintUnformatted(m.ops);
    if (!ops) {
        mutation_free(&m);
        diag_set(d, NULL, "out of memory");
        diag_locate(d, run->file, line);
        return -1;
    }
    fprintf(run->patches, "%s\n", ops);
    cJSON_free(ops);
    meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    ns = manifest_string(meta, "namespace");
    name = manifest_string(meta, "name");
    for (size_t i = 0; i < m.count; i++) {
        fprintf(run->summaries, "%s:%d %s %s%s%s: %s\n", run->file, line,
                manifest_string(obj, "kind"), ns, ns[0] ? "/" : "", name, m.summaries[i]);
    }
    *result = m.result;
    m.result = NULL;
    mutation_free(&m);
    return 0;
}

static int mutate_document(struct mutate_run *run, struct document *doc, struct diag *d)
{
    cJSON *items, *result;
    size_t i = 0;

    if (manifest_items(doc->root, &items, d) < 0) {
        manifest_locate(d, run->file, doc, "");
        return -1;
    }
    if (!items) {
        if (mutate_object(run, doc, "", doc->root, &result, d) < 0)
            return -1;
        if (result) {
            cJSON_Delete(doc->root);
            doc->root = result;
        }
        return 0;
    }
    for (cJSON *item = items->child; item; i++) {
        char prefix[MANIFEST_PREFIX_MAX];
        cJSON *next = item->next;
        snprintf(prefix, sizeof(prefix), "/items/%zu", i);
        if (mutate_object(run, doc, prefix, item, &result, d) < 0)
            return -1;
        /* the replaced item is freed by cJSON */
        if (result && !cJSON_ReplaceItemViaPointer(items, item, result)) {
            cJSON_Delete(result);
            diag_set(d, NULL, "out of memory");
            manifest_locate(d, run->file, doc, prefix);
            return -1;
        }
        item = next;
    }
    return 0;
}

/* -o json: the only document as it is, or every object (List items
 * flattened) in one v1 List. Caller frees with cJSON_free. */
static char *render_json(const struct document_set *set)
{
    cJSON *list, *items;
    char *out = NULL;

    if (set->count == 1)
        return cJSON_Print(set->docs[0].root);
    list = cJSON_CreateObject();
    if (!list)
        return NULL;
    if (!cJSON_AddStringToObject(list, "apiVersion", "v1") ||
        !cJSON_AddStringToObject(list, "kind", "List"))
        goto out;
    items = cJSON_AddArrayToObject(list, "items");
    if (!items)
        goto out;
    for (size_t i = 0; i < set->count; i++) {
        const cJSON *root = set->docs[i].root;
        if (!manifest_is_list(root)) {
            if (!cJSON_AddItemReferenceToArray(items, (cJSON *)root))
                goto out;
            continue;
        }
        const cJSON *item;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(root, "items"))
        {
            if (!cJSON_AddItemReferenceToArray(items, (cJSON *)item))
                goto out;
        }
    }
    out = cJSON_Print(list);
out:
    cJSON_Delete(list);
    return out;
}

/* Renders the mutated documents into stdout_text (caller frees). -1 with d
 * filled on failure. */
static int render(const struct document_set *set, enum mutate_format format,
                  const struct mutate_run *run, char **text, size_t *len, struct diag *d)
{
    char *s;
    FILE *f;

    if (format == MUTATE_PATCH) {
        s = malloc(run->patches_len + 1);
        if (!s)
            return diag_set(d, NULL, "out of memory");
        memcpy(s, run->patches_text, run->patches_len + 1);
        *text = s;
        *len = run->patches_len;
        return 0;
    }
    if (format == MUTATE_JSON) {
        char *j = render_json(set);
        if (!j)
            return diag_set(d, NULL, "out of memory rendering JSON");
        size_t n = strlen(j);
        s = malloc(n + 2);
        if (!s) {
            cJSON_free(j);
            return diag_set(d, NULL, "out of memory rendering JSON");
        }
        memcpy(s, j, n);
        s[n] = '\n';
        s[n + 1] = '\0';
        cJSON_free(j);
        *text = s;
        *len = n + 1;
        return 0;
    }
    s = NULL;
    f = open_memstream(&s, len);
    if (!f)
        return diag_set(d, NULL, "out of memory rendering YAML");
    for (size_t i = 0; i < set->count; i++) {
        size_t n = 0;
        char *y = yamlout_emit(set->docs[i].root, &n, d);
        if (!y) {
            fclose(f);
            free(s);
            return -1;
        }
        fwrite(y, 1, n, f);
        free(y);
    }
    if (ferror(f)) {
        fclose(f);
        free(s);
        return diag_set(d, NULL, "out of memory rendering YAML");
    }
    if (fclose(f) != 0) {
        free(s);
        return diag_set(d, NULL, "out of memory rendering YAML");
    }
    *text = s;
    return 0;
}

static int parse_format(const char *text, enum mutate_format *out)
{
    if (strcmp(text, "yaml") == 0)
        *out = MUTATE_YAML;
    else if (strcmp(text, "json") == 0)
        *out = MUTATE_JSON;
    else if (strcmp(text, "patch") == 0)
        *out = MUTATE_PATCH;
    else
        return -1;
    return 0;
}

/* Closes the memory streams; -1 if writing to either failed. */
static int close_streams(struct mutate_run *run)
{
    int rc = 0;

    if (run->patches) {
        if (ferror(run->patches))
            rc = -1;
        if (fclose(run->patches) != 0)
            rc = -1;
        run->patches = NULL;
    }
    if (run->summaries) {
        if (ferror(run->summaries))
            rc = -1;
        if (fclose(run->summaries) != 0)
            rc = -1;
        run->summaries = NULL;
    }
    return rc;
}

/* see cli.h */
int cli_mutate(int argc, char **argv)
{
    enum mutate_format format = MUTATE_YAML;
    const char *policy_path = NULL, *file = NULL;
    bool only_files = false, have_format = false;
    struct policy policy;
    struct mutate_run run = {0};
    struct document_set set = {0};
    struct diag d;
    char *text = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    int rc = EXIT_USAGE;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        bool is_policy = false;
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            if (file)
                return cli_usage_error("mutate", MUTATE_USAGE, "mutate takes exactly one input; extra", a);
            file = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_files = true;
            continue;
        }
        switch (cli_read_option(argc, argv, &i, &value)) {
        case CLI_MISSING_VALUE:
            return cli_usage_error("mutate", MUTATE_USAGE, "missing value for", a);
        case CLI_UNKNOWN:
            return cli_usage_error("mutate", MUTATE_USAGE, "unknown option", a);
        case CLI_POLICY:
            is_policy = true;
            break;
        case CLI_OUTPUT:
            break;
        }
        if (is_policy) {
            if (policy_path)
                return cli_usage_error("mutate", MUTATE_USAGE, "--policy given twice:", value);
            if (!value[0])
                return cli_usage_error("mutate", MUTATE_USAGE, "empty --policy", NULL);
            policy_path = value;
        } else {
            if (have_format)
                return cli_usage_error("mutate", MUTATE_USAGE, "output format given twice:", value);
            if (parse_format(value, &format) < 0)
                return cli_usage_error("mutate", MUTATE_USAGE, "unknown output format (expected yaml, json or patch)", value);
            have_format = true;
        }
    }
    if (!file)
        return cli_usage_error("mutate", MUTATE_USAGE, "no input file (use - for standard input)", NULL);

    diag_clear(&d);
    if (policyfile_load(policy_path, &policy, &d) < 0) {
        cli_print_diag(&d);
        return EXIT_USAGE;
    }
    run.policy = &policy;
    run.file = file;
    run.patches = open_memstream(&run.patches_text, &run.patches_len);
    run.summaries = open_memstream(&run.summaries_text, &run.summaries_len);
    if (!run.patches || !run.summaries) {
        fprintf(stderr, "django-admission mutate: out of memory\n");
        goto out;
    }
    if (input_read(file, &text, &len, &d) < 0 ||
        document_parse(file, text, len, &set, &d) < 0) {
        cli_print_diag(&d);
        goto out;
    }
    for (size_t i = 0; i < set.count; i++) {
        if (mutate_document(&run, &set.docs[i], &d) < 0) {
            cli_print_diag(&d);
            goto out;
        }
    }
    if (close_streams(&run) < 0) {
        fprintf(stderr, "django-admission mutate: out of memory\n");
        goto out;
    }
    if (render(&set, format, &run, &out, &out_len, &d) < 0) {
        diag_locate(&d, file, 0);
        cli_print_diag(&d);
        goto out;
    }
    if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0) {
        perror("django-admission mutate: writing the output");
        goto out;
    }
    fwrite(run.summaries_text, 1, run.summaries_len, stderr);
    rc = EXIT_COMPLIANT;
out:
    close_streams(&run);
    free(run.patches_text);
    free(run.summaries_text);
    free(out);
    document_set_free(&set);
    free(text);
    return rc;
}
