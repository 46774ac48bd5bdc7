/* Fuzz target: quantity_parse on arbitrary bytes. Beyond "no crash", it
 * checks the invariants the header promises: a parsed value is normalised,
 * formats to text that parses back to the same value, compares equal to
 * itself, and two values compare antisymmetrically; a rejected input gets a
 * message that quotes it and leaves *out untouched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static int parse(const uint8_t *data, size_t size, struct quantity *q)
{
    struct quantity before;
    struct diag d;
    int rc;

    memset(q, 0x5a, sizeof(*q));
    memcpy(&before, q, sizeof(before));
    diag_clear(&d);
    rc = quantity_parse((const char *)data, size, q, "/fuzz", &d);
    check(rc == 0 || rc == -1);
    if (rc < 0) {
        check(strncmp(d.message, "invalid quantity \"", 18) == 0);
        check(strcmp(d.pointer, "/fuzz") == 0);
        check(memcmp(q, &before, sizeof(before)) == 0);
        return -1;
    }
    check(d.message[0] == '\0');
    if (q->sign == 0) {
        check(q->digits[0] == '\0');
    } else {
        size_t n = strnlen(q->digits, sizeof(q->digits));

        check(q->sign == 1 || q->sign == -1);
        check(n > 0 && n <= QUANTITY_DIGITS_MAX);
        check(q->digits[0] >= '1' && q->digits[0] <= '9');
        check(q->digits[n - 1] != '0');
        /* nothing finer than 1n survives parsing */
        check(q->exponent >= -9);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct quantity a, b, c;
    struct diag d;
    char buf[2048];
    size_t half = size / 2;

    if (parse(data, size, &a) == 0) {
        check(quantity_cmp(&a, &a) == 0);
        quantity_format(&a, buf, sizeof(buf));
        if (strlen(buf) <= QUANTITY_TEXT_MAX) {
            diag_clear(&d);
            check(quantity_parse(buf, strlen(buf), &c, NULL, &d) == 0);
            check(quantity_cmp(&a, &c) == 0);
            check(a.sign == c.sign && a.exponent == c.exponent);
            check(strcmp(a.digits, c.digits) == 0);
        }
        /* formatting into a tiny buffer is cut, never overrun */
        quantity_format(&a, buf, 3);
        check(strlen(buf) <= 2);
    }
    /* two halves: comparison is antisymmetric */
    if (parse(data, half, &b) == 0 && parse(data + half, size - half, &c) == 0) {
        int x = quantity_cmp(&b, &c);
        int y = quantity_cmp(&c, &b);

        check((x > 0) == (y < 0) && (x == 0) == (y == 0));
    }
    return 0;
}
