/*
 * pycoerce.h: Python's conversions of JSON values, as Pipelit's rule
 * operators and nodes apply them.  Whitespace means ASCII whitespace
 * (Python also strips Unicode spaces such as U+00A0 around a number; such
 * spaces do not occur in the numbers people type into a rule).
 */
#ifndef PIPELIT_NODES_PYCOERCE_H
#define PIPELIT_NODES_PYCOERCE_H

#include <stddef.h>

#include <jansson.h>

/* float(v): numbers and bools as numbers, strings as float() parses them
 * (surrounding whitespace, '_' between digits, inf/infinity/nan in any
 * case).  0 with *out, or -1 where float() raises (None, lists, dicts,
 * other text). */
int py_float(const json_t *v, double *out);
/* int(v): bools, integers, floats truncated toward zero, strings of
 * decimal digits (sign, whitespace, '_' between digits).  0 with *out, or
 * -1 where int() raises ("3.0", "", None, inf).  Values beyond long long
 * are clamped: callers only compare them with lengths. */
int py_int(const json_t *v, long long *out);
/* bool(v): None, false, 0, 0.0, "", [], {} are false. */
int py_truthy(const json_t *v);
/* a == b (1 == 1.0 == True, "a" != 1; lists and dicts element by
 * element).  NULL counts as None. */
int py_equal(const json_t *a, const json_t *b);
/* Pipelit's _to_bool: bools as they are, strings true when their
 * lowercase is "true", "1" or "yes", anything else by truthiness. */
int py_to_bool(const json_t *v);
/* len() of a UTF-8 string: its code points. */
size_t py_len_utf8(const char *s, size_t n);

#endif
