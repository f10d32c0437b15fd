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

#include "util/utf8.h"

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
