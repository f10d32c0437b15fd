/*
 * pystr.h: Python's str() and repr() of a JSON value, the way Pipelit
 * renders values into text: None, True/False, 1.0, 'x', {'a': [1, None]}.
 *
 * str() of a string is the string itself; of anything else it is repr().
 * Inside lists and objects every value is shown by repr(), so strings are
 * quoted there.  Floats print as Python's repr does (the shortest text that
 * reads back to the same double: 0.1, 1.0, 1e+16, 1e-05).  Object keys keep
 * jansson's order, which is the order they were parsed or inserted in, as
 * a Python dict does.
 *
 * The returned strings are malloc'd; the caller frees them.  A string that
 * holds a NUL byte is cut there by py_str() (a C string cannot hold it);
 * the _append forms keep every byte.
 */
#ifndef PIPELIT_EXPR_PYSTR_H
#define PIPELIT_EXPR_PYSTR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "expr/strbuf.h"

/* str(v).  NULL v (an absent value) prints as None. */
char *py_str(const json_t *v);
/* repr(v). */
char *py_repr(const json_t *v);

/* The same, appended to a buffer; false when the buffer's cap was reached
 * (what was appended so far stays). */
bool py_str_append(struct strbuf *b, const json_t *v);
bool py_repr_append(struct strbuf *b, const json_t *v);
/* repr() of the n bytes of UTF-8 text s: quoted and escaped as Python does. */
bool py_repr_string_append(struct strbuf *b, const char *s, size_t n);

/* repr() of a double into out (at most 32 bytes with the NUL). */
#define PY_FLOAT_REPR_SIZE 32
void py_float_repr(double d, char out[PY_FLOAT_REPR_SIZE]);

#endif
