/*
 * filters.h: the filters (x | name(args)) and tests (x is name(args)) of
 * the expression language.  The parser asks whether a name exists; the
 * evaluator applies it to evaluated arguments.
 */
#ifndef PIPELIT_EXPR_FILTERS_H
#define PIPELIT_EXPR_FILTERS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "expr/ast.h"
#include "expr/eval.h"

bool filter_known(const char *name);
bool test_known(const char *name);

/* Applies filter name to in (NULL: undefined, which only default accepts)
 * with nargs positional arguments and nkw keyword ones (all borrowed).
 * *out gets a new reference on EV_OK; first, last, min and max give
 * EV_UNDEF for an empty sequence, as Jinja does.  Also serves the string
 * methods (s.upper(), s.split(",")...). */
int filter_call(struct expr_ctx *c, size_t offset, const char *name, json_t *in, json_t **args,
		size_t nargs, char **kwnames, json_t **kwargs, size_t nkw, json_t **out);
/* The filter of node n (N_FILTER). */
int filter_apply(struct expr_ctx *c, const struct node *n, json_t *in, json_t **args,
		 json_t **kwargs, json_t **out);
/* The test of node n (N_TEST); *result before "is not" negation. */
int test_apply(struct expr_ctx *c, const struct node *n, json_t *in, json_t **args,
	       json_t **kwargs, bool *result);
/* The named test on a value, for select and selectattr ("equalto", ">"...);
 * in NULL is undefined. */
int test_by_name(struct expr_ctx *c, size_t offset, const char *name, json_t *in, json_t **args,
		 size_t nargs, bool *result);

#endif
