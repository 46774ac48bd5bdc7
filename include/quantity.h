/* quantity: Kubernetes resource quantities ("500m", "1Gi", "0.5", "1e3"),
 * parsed and compared exactly as k8s.io/apimachinery resource.Quantity does.
 *
 * Grammar (from apimachinery's quantity.go):
 *   quantity        ::= signedNumber suffix
 *   signedNumber    ::= number | sign number
 *   sign            ::= "+" | "-"
 *   number          ::= digits | digits "." digits | digits "." | "." digits
 *   suffix          ::= binarySI | decimalExponent | decimalSI
 *   binarySI        ::= "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
 *   decimalSI       ::= "n" | "u" | "m" | "" | "k" | "M" | "G" | "T" | "P" | "E"
 *   decimalExponent ::= ("e" | "E") signedNumber   (an integer exponent)
 * No spaces anywhere. Like Kubernetes, a non-zero value below 1n is rounded
 * up (away from zero) to a multiple of 1n, and binary-SI values are capped
 * at 2^63-1.
 *
 * The value is held exactly as a decimal: sign * digits * 10^exponent, so
 * "0.5" equals "500m" and "1Gi" (1073741824) is larger than "1G".
 * This module knows nothing of cJSON; callers pass the string they read. */
#ifndef DJANGO_ADMISSION_QUANTITY_H
#define DJANGO_ADMISSION_QUANTITY_H

#include <stddef.h>

#include "diag.h"

/* longest accepted quantity string; longer input is an error, not truncated */
#define QUANTITY_TEXT_MAX 64
/* significant decimal digits kept; enough for any accepted string */
#define QUANTITY_DIGITS_MAX 96

struct quantity {
    /* -1, 0 or +1; 0 means the value is zero and digits is empty */
    int sign;
    /* significant digits, most significant first, no leading or trailing
     * zeros, as ASCII '0'..'9', NUL-terminated */
    char digits[QUANTITY_DIGITS_MAX + 1];
    /* value = sign * digits * 10^exponent */
    int exponent;
};

/* Parses text[0..len) into *out. On failure returns -1 and fills d with a
 * message that quotes the input and names what is wrong, using `field` (a
 * JSON pointer such as "/spec/template/spec/containers/0/resources/limits/cpu",
 * may be NULL) as the diag pointer. *out is written only on success. */
int quantity_parse(const char *text, size_t len, struct quantity *out,
                   const char *field, struct diag *d);

/* Returns <0, 0, >0 as a is less than, equal to, greater than b. */
int quantity_cmp(const struct quantity *a, const struct quantity *b);

/* Writes the value in canonical decimal form without suffix ("0.5",
 * "1073741824", "-0.001") into buf (NUL-terminated, truncated to cap) and
 * returns buf. For messages and tests. */
const char *quantity_format(const struct quantity *q, char *buf, size_t cap);

#endif
