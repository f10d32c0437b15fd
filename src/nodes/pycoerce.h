/*
 * pycoerce.h: Python's conversions of JSON values, as Pipelit's rule
 * operators and nodes apply them.  Truthiness, == and len() are
 * expr/value.h's (value_truthy, value_equal, utf8_count).  Whitespace
 * means ASCII whitespace here (Python also strips Unicode spaces such as
 * U+00A0 around a number; they do not occur in numbers typed into rules).
 */
#ifndef PIPELIT_NODES_PYCOERCE_H
#define PIPELIT_NODES_PYCOERCE_H

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
/* Pipelit's _to_bool: bools as they are, strings true when their
 * lowercase is "true", "1" or "yes", anything else by truthiness. */
int py_to_bool(const json_t *v);

#endif
