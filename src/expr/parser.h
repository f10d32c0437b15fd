/*
 * parser.h: a template's text into a tree (ast.h), or an error with the
 * offset where it was found.  Unknown filters and tests are parse errors,
 * as in Jinja, so a typo fails even in a branch that is never taken.
 */
#ifndef PIPELIT_EXPR_PARSER_H
#define PIPELIT_EXPR_PARSER_H

#include <stddef.h>

#include "expr/ast.h"
#include "expr/expr.h"

/* The tree of the n bytes of src (an N_BODY; the caller frees it with
 * node_free), or NULL with *err filled (message and offset). */
struct node *parse_template(const char *src, size_t n, const struct expr_limits *lim,
			    struct expr_error *err);

#endif
