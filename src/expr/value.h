/*
 * value.h: Python semantics on JSON values, as the expression language
 * needs them: truthiness, equality, ordering, numbers (bool counts as an
 * int, as in Python), type names for messages, and UTF-8 text by code
 * points (length, slicing, case).  Nothing here allocates beyond what a
 * returned value owns.
 */
#ifndef PIPELIT_EXPR_VALUE_H
#define PIPELIT_EXPR_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Python's type name of v: NoneType, bool, int, float, str, list, dict. */
const char *value_type_name(const json_t *v);
/* bool(v). */
bool value_truthy(const json_t *v);
/* v == w (1 == 1.0 == True, lists and dicts by content).  depth bounds the
 * recursion; past it values compare unequal. */
bool value_equal(const json_t *v, const json_t *w);
/* Sets *cmp to <0, 0, >0 when v and w are ordered as Python orders them
 * (numbers, strings, lists of those); false when Python would raise
 * TypeError. */
bool value_order(const json_t *v, const json_t *w, int *cmp);
/* A number (int, float or bool)? */
bool value_is_number(const json_t *v);
/* An int or a bool (an int in Python)? */
bool value_is_int(const json_t *v);
json_int_t value_int(const json_t *v);
double value_number(const json_t *v);

/* A new string value holding n bytes of s (not checked: the language only
 * ever joins and slices valid UTF-8 at code point boundaries). */
json_t *str_value(const char *s, size_t n);
/* Number of code points in n bytes of UTF-8. */
size_t utf8_count(const char *s, size_t n);
/* Byte offset of code point number index (index <= count). */
size_t utf8_offset(const char *s, size_t n, size_t index);
/* Appends code point cp as UTF-8 to out (at least 4 bytes); returns bytes. */
size_t utf8_encode(unsigned long cp, char *out);
/* Decodes one code point at s (n > 0 bytes left); *len gets its length,
 * 1 for a malformed byte (returned as itself). */
unsigned long utf8_next(const char *s, size_t n, size_t *len);

/* Upper and lower case of a code point: ASCII, Latin-1, Greek and
 * Cyrillic; others are returned unchanged. */
unsigned long cp_upper(unsigned long cp);
unsigned long cp_lower(unsigned long cp);
/* Python's str.isspace() for the common spaces. */
bool cp_isspace(unsigned long cp);

/* Depth of v (a scalar is 0, [] is 1), counted no further than cap; *visits
 * is increased by the values looked at. */
size_t value_depth(const json_t *v, size_t cap, unsigned long *visits);

#endif
