/* Fuzz target: manifest text, the input `check` and `mutate` read from CI.
 * document_parse must either refuse it with a message or give documents
 * whose line table is sorted, names only nodes that exist, and has a line
 * for the root; and every document must survive a round trip through
 * yamlout (what `mutate` prints) and back unchanged — reading back what we
 * print is what a user's pipeline does next. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "document.h"
#include "jsonptr.h"
#include "yamlout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_lines(const struct document *doc)
{
    check(doc->root != NULL && doc->line >= 1);
    check(document_line(doc, "") >= 1);
    for (size_t i = 0; i < doc->lines_count; i++) {
        check(doc->lines[i].line >= 1);
        check(jsonptr_get(doc->root, doc->lines[i].pointer) != NULL);
        if (i > 0)
            check(strcmp(doc->lines[i - 1].pointer, doc->lines[i].pointer) < 0);
    }
}

/* yamlout's text reads back as the same tree (allocation failures aside). */
static void check_round_trip(const cJSON *root)
{
    struct document_set again = {0};
    struct diag d;
    size_t len;
    char *text, *a, *b;

    diag_clear(&d);
    text = yamlout_emit(root, &len, &d);
    check(text != NULL || d.message[0] != '\0');
    if (!text)
        return;
    check(document_parse("round-trip", text, len, &again, &d) == 0);
    check(again.count == 1);
    a = cJSON_PrintUnformatted(root);
    b = cJSON_PrintUnformatted(again.docs[0].root);
    if (a && b)
        check(strcmp(a, b) == 0);
    cJSON_free(a);
    cJSON_free(b);
    document_set_free(&again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct document_set set = {0};
    struct diag d;

    diag_clear(&d);
    if (document_parse("fuzz.yaml", (const char *)data, size, &set, &d) != 0) {
        check(d.message[0] != '\0' && set.count == 0 && set.docs == NULL);
        return 0;
    }
    for (size_t i = 0; i < set.count; i++) {
        check_lines(&set.docs[i]);
        check_round_trip(set.docs[i].root);
    }
    document_set_free(&set);
    return 0;
}
