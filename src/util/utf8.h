/*
 * utf8.h: UTF-8 for the expression language, masks and excerpts.
 *
 * Two readings: the lenient one (utf8_next and what is built on it) takes
 * a malformed byte as a character of its own, for text that is valid by
 * construction (jansson's strings) or where going on matters more than
 * rejecting; the strict one (utf8_seq_len, utf8_valid) refuses overlong
 * forms, surrogates and code points past U+10FFFF.
 */
#ifndef PIPELIT_UTIL_UTF8_H
#define PIPELIT_UTIL_UTF8_H

#include <stddef.h>

/* Decodes one code point at s (n > 0 bytes left); *len gets its length,
 * 1 for a malformed byte (returned as itself). */
unsigned long utf8_next(const char *s, size_t n, size_t *len);
/* Number of code points in n bytes of UTF-8. */
size_t utf8_count(const char *s, size_t n);
/* Byte offset of code point number index (index <= count). */
size_t utf8_offset(const char *s, size_t n, size_t index);
/* Appends code point cp as UTF-8 to out (at least 4 bytes); returns bytes. */
size_t utf8_encode(unsigned long cp, char *out);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);
/* 1 when all of s is valid UTF-8. */
int utf8_valid(const char *s);

#endif
