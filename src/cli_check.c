/* check: manifests in, a report of every violation out. Reads each file,
 * expands Lists, validates every selected Deployment as written (no
 * mutation) and renders one report on stdout; diagnostics and the count of
 * objects go to stderr. */
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
#include "report.h"

#define CHECK_USAGE "usage: django-admission check [--policy F] [-o text|json|junit|sarif] FILE|-..."

struct check_run {
    const struct policy *policy;
    struct report report;
    /* input errors reported on stderr; any makes the exit code 2 */
    size_t errors;
};

/* Reports an input error about the object at prefix of doc: d->pointer
 * (relative to the object) becomes a pointer into the document, and the line
 * is where that pointer (or its nearest existing ancestor) is. */
static void input_error(struct check_run *run, const char *file, const struct document *doc,
                        const char *prefix, struct diag *d)
{
    manifest_locate(d, file, doc, prefix);
    cli_print_diag(d);
    run->errors++;
}

/* Judges one object at prefix ("" for a document root, "/items/N" for a
 * List item) of doc. */
static void check_object(struct check_run *run, const char *file, const struct document *doc,
                         const cJSON *obj, const char *prefix)
{
    struct findings f;
    struct report_object *ro;
    const cJSON *meta;
    const char *name;
    struct diag d;
    int line = prefix[0] ? document_line(doc, prefix) : doc->line;

    diag_clear(&d);
    if (manifest_object(obj, &d) < 0) {
        input_error(run, file, doc, prefix, &d);
        return;
    }
    if (!engine_selects(run->policy, obj)) {
        run->report.skipped++;
        return;
    }
    findings_init(&f);
    if (engine_validate(run->policy, obj, &f, &d) < 0) {
        findings_free(&f);
        input_error(run, file, doc, prefix, &d);
        return;
    }
    ro = report_add(&run->report);
    if (!ro) {
        findings_free(&f);
        diag_set(&d, NULL, "out of memory");
        input_error(run, file, doc, prefix, &d);
        return;
    }
    findings_free(&ro->findings);
    ro->findings = f;
    snprintf(ro->file, sizeof(ro->file), "%s", file);
    ro->line = line;
    meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    name = manifest_string(meta, "name");
    snprintf(ro->kind, sizeof(ro->kind), "%s", manifest_string(obj, "kind"));
    snprintf(ro->namespace_, sizeof(ro->namespace_), "%s", manifest_string(meta, "namespace"));
    snprintf(ro->name, sizeof(ro->name), "%s",
             name[0] ? name : manifest_string(meta, "generateName"));
    /* without the table every violation is reported at the object's line */
    ro->lines = calloc(f.count ? f.count : 1, sizeof(*ro->lines));
    if (!ro->lines)
        return;
    for (size_t i = 0; i < f.count; i++) {
        char full[MANIFEST_POINTER_MAX];
        int n = snprintf(full, sizeof(full), "%s%s", prefix, f.items[i].pointer);
        ro->lines[i] = n > 0 && (size_t)n < sizeof(full) ? document_line(doc, full) : line;
    }
}

static void check_document(struct check_run *run, const char *file, const struct document *doc)
{
    cJSON *items, *item;
    struct diag d;
    size_t i = 0;

    diag_clear(&d);
    if (manifest_items(doc->root, &items, &d) < 0) {
        input_error(run, file, doc, "", &d);
        return;
    }
    if (!items) {
        check_object(run, file, doc, doc->root, "");
        return;
    }
    cJSON_ArrayForEach(item, items)
    {
        char prefix[MANIFEST_PREFIX_MAX];
        snprintf(prefix, sizeof(prefix), "/items/%zu", i++);
        check_object(run, file, doc, item, prefix);
    }
}

static void check_file(struct check_run *run, const char *file)
{
    struct document_set set = {0};
    char *text = NULL;
    size_t len = 0;
    struct diag d;

    diag_clear(&d);
    if (input_read(file, &text, &len, &d) < 0) {
        cli_print_diag(&d);
        run->errors++;
        return;
    }
    run->report.files++;
    if (document_parse(file, text, len, &set, &d) < 0) {
        cli_print_diag(&d);
        run->errors++;
        free(text);
        return;
    }
    for (size_t i = 0; i < set.count; i++)
        check_document(run, file, &set.docs[i]);
    document_set_free(&set);
    free(text);
}

static int write_all(const char *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        perror("django-admission check: writing the report");
        return -1;
    }
    return 0;
}

/* see cli.h */
int cli_check(int argc, char **argv)
{
    enum report_format format = REPORT_TEXT;
    const char *policy_path = NULL;
    const char **files;
    size_t nfiles = 0;
    bool only_files = false, have_format = false, have_stdin = false;
    struct policy policy;
    struct check_run run = {0};
    struct diag d;
    char *out;
    size_t out_len = 0;
    int rc;

    files = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*files));
    if (!files) {
        fprintf(stderr, "django-admission check: out of memory\n");
        return EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        bool is_policy = false;
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            if (strcmp(a, "-") == 0) {
                if (have_stdin) {
                    free(files);
                    return cli_usage_error("check", CHECK_USAGE, "standard input given more than once:", "-");
                }
                have_stdin = true;
            }
            files[nfiles++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_files = true;
            continue;
        }
        switch (cli_read_option(argc, argv, &i, &value)) {
        case CLI_MISSING_VALUE:
            free(files);
            return cli_usage_error("check", CHECK_USAGE, "missing value for", a);
        case CLI_UNKNOWN:
            free(files);
            return cli_usage_error("check", CHECK_USAGE, "unknown option", a);
        case CLI_POLICY:
            is_policy = true;
            break;
        case CLI_OUTPUT:
            break;
        }
        if (is_policy) {
            if (policy_path || !value[0]) {
                free(files);
                return cli_usage_error("check", CHECK_USAGE, policy_path ? "--policy given twice:" : "empty --policy",
                                   policy_path ? value : NULL);
            }
            policy_path = value;
        } else {
            if (have_format) {
                free(files);
                return cli_usage_error("check", CHECK_USAGE, "output format given twice:", value);
            }
            if (report_format_parse(value, &format) < 0) {
                free(files);
                return cli_usage_error("check", CHECK_USAGE, "unknown output format (expected text, json, junit or sarif)",
                                   value);
            }
            have_format = true;
        }
    }
    if (nfiles == 0) {
        free(files);
        return cli_usage_error("check", CHECK_USAGE, "no input files (use - for standard input)", NULL);
    }

    diag_clear(&d);
    if (policyfile_load(policy_path, &policy, &d) < 0) {
        cli_print_diag(&d);
        free(files);
        return EXIT_USAGE;
    }
    run.policy = &policy;
    report_init(&run.report);
    for (size_t i = 0; i < nfiles; i++)
        check_file(&run, files[i]);
    free(files);

    out = report_render(&run.report, format, DA_VERSION, &out_len);
    if (!out) {
        fprintf(stderr, "django-admission check: out of memory rendering the report\n");
        report_free(&run.report);
        return EXIT_USAGE;
    }
    rc = report_count_action(&run.report, RULE_ENFORCE) ? EXIT_VIOLATIONS : EXIT_COMPLIANT;
    if (write_all(out, out_len) < 0)
        run.errors++;
    free(out);
    fprintf(stderr, "django-admission check: %zu objects checked, %zu skipped", run.report.count,
            run.report.skipped);
    if (run.errors)
        fprintf(stderr, ", %zu input error%s", run.errors, run.errors == 1 ? "" : "s");
    fprintf(stderr, "\n");
    report_free(&run.report);
    return run.errors ? EXIT_USAGE : rc;
}
