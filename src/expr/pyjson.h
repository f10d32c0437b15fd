/*
 * pyjson.h: JSON text as Jinja's tojson filter writes it: Python's
 * json.dumps(value, sort_keys=True, indent=...) (", " and ": " between
 * items, non-ASCII as \uXXXX, floats as Python's repr), with <, >, & and '
 * written as \u003c, \u003e, \u0026, \u0027 so the text is safe in HTML.
 */
#ifndef PIPELIT_EXPR_PYJSON_H
#define PIPELIT_EXPR_PYJSON_H

#include <stdbool.h>

#include <jansson.h>

#include "expr/strbuf.h"

/* indent < 0: on one line.  False when the buffer's cap was reached. */
bool py_json_dumps_append(struct strbuf *b, const json_t *v, int indent);

#endif
