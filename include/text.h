/* text: the small text work that messages about user input need, done one
 * way for every module: naming a JSON value's type, reading UTF-8, cutting
 * a string on a character boundary, and quoting or clipping user text so a
 * message stays one readable, bounded line whatever the input holds.
 *
 * Pure: no I/O, no allocation, no globals. Every function takes
 * <pointer, length> and never reads past the length (the text need not be
 * NUL-terminated, and may contain NUL bytes); every output buffer is
 * caller-provided and always NUL-terminated when cap > 0.
 *
 * UTF-8 here is RFC 3629, section 4: a well-formed sequence is
 *   00-7F | C2-DF 80-BF | E0 A0-BF 80-BF | E1-EC 80-BF 80-BF | ED 80-9F 80-BF
 *   | EE-EF 80-BF 80-BF | F0 90-BF 80-BF 80-BF | F1-F3 80-BF 80-BF 80-BF
 *   | F4 80-8F 80-BF 80-BF
 * so overlong forms (C0, C1, E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and
 * anything above U+10FFFF (F4 90-BF, F5-FF) are not characters, nor is a
 * sequence cut short by the end of the text. */
#ifndef DJANGO_ADMISSION_TEXT_H
#define DJANGO_ADMISSION_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* how many bytes of a user string a message quotes */
#define TEXT_QUOTE_MAX 64
/* a text_quote buffer that max never outgrows: every byte may become
 * "\xNN", plus two quotes, "..." and the NUL */
#define TEXT_QUOTE_SIZE(max) (4 * (size_t)(max) + 6)
/* a text_clip buffer for max: the kept bytes, "..." and the NUL */
#define TEXT_CLIP_SIZE(max) ((size_t)(max) + 4)

/* The type of a JSON value as a developer writing YAML says it: "object",
 * "list", "string", "number", "boolean" or "null". NULL and items parsing
 * never produces (cJSON_Invalid, cJSON_Raw) read "null". Static string. */
const char *text_json_type(const cJSON *item);

/* The same with its article, for "X is %s, expected ...": "an object",
 * "a list", "a string", "a number", "a boolean", "null". Static string. */
const char *text_json_type_article(const cJSON *item);

/* Length (1 to 4) of the well-formed UTF-8 sequence at s[0..len), or 0 when
 * s[0] starts none (a continuation byte, C0, C1, F5-FF, a bad or missing
 * continuation) or len is 0. */
size_t text_utf8_sequence(const char *s, size_t len);

/* True when all of s[0..len) is well-formed UTF-8 (true for len 0). */
bool text_utf8_valid(const char *s, size_t len);

/* Decodes the sequence at s[0..len) into *cp and returns its length; a byte
 * that starts no well-formed sequence decodes as U+FFFD with length 1, so a
 * caller always advances. Returns 0 (and U+FFFD) only when len is 0. */
size_t text_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Length of the longest prefix of s[0..len) with no control byte (00-1F,
 * 7F): len when there is none. Bytes 80-FF (UTF-8) are not control bytes. */
size_t text_controls_free(const char *s, size_t len);

/* Length of the longest prefix of s[0..len) that is at most max bytes and
 * does not end inside a UTF-8 sequence: len when len <= max, else max
 * backed up over the continuation bytes (10xxxxxx) that start the part left
 * out. A sequence has at most 3 of them, so past 3 the input is not UTF-8
 * and is cut at max where it falls. */
size_t text_utf8_prefix(const char *s, size_t len, size_t max);

/* Writes s[0..len) escaped for a message into out, without quotes: '"' and
 * '\' get a backslash, control bytes (00-1F, 7F) and every byte that starts
 * no well-formed UTF-8 sequence become "\xNN" (lower-case hex), well-formed
 * characters are copied. With ascii, every byte from 80 up becomes "\xNN"
 * too (for text whose grammar is ASCII, so the bytes a message names by
 * offset are visible). Characters that start before s[max] are written
 * whole; writing also stops at the first piece that would not fit in cap
 * with its NUL (cap 0: out is left untouched). Returns the count of input
 * bytes written: less than len when the text was cut. */
size_t text_escape(const char *s, size_t len, size_t max, bool ascii, char *out, size_t cap);

/* Writes s[0..len) into out as a double-quoted string for a message,
 * escaped as text_escape does (not ascii), at most max bytes of it; when
 * the text is cut, "..." follows the closing quote: "abc"... . cap of
 * TEXT_QUOTE_SIZE(max) always holds the result; a smaller cap cuts the text
 * earlier, and below 6 (the room for `""...` and the NUL) out is "".
 * Returns out. */
const char *text_quote(const char *s, size_t len, size_t max, char *out, size_t cap);

/* Copies s[0..len) into out for a one-line message without escaping it:
 * control bytes (00-1F, 7F) become '?', and when len > max the copy is cut
 * at text_utf8_prefix(s, len, max) and ends in "...". cap of
 * TEXT_CLIP_SIZE(max) always holds the result; a smaller cap lowers max to
 * cap - 4, and below 4 out is "". out may be s itself (in place). Returns
 * out. */
const char *text_clip(const char *s, size_t len, size_t max, char *out, size_t cap);

/* room for any long long in decimal: sign, 19 digits */
#define TEXT_INT_SIZE 24

/* Writes v in decimal, without printf (hot paths build JSON and summaries
 * with it), at the END of digits[TEXT_INT_SIZE]; returns where the text
 * starts and sets *len. Not NUL-terminated. */
const char *text_int(long long v, char digits[TEXT_INT_SIZE], size_t *len);

#endif
