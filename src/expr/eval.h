/*
 * eval.h: evaluating expressions of the tree to JSON values, with the
 * render's limits counted as it goes.  An undefined value (a missing name,
 * key or index) is its own outcome, EV_UNDEF, so that only the places that
 * accept it (the default filter, the defined tests) let it through;
 * everywhere else it becomes the error Jinja's strict mode raises.
 */
#ifndef PIPELIT_EXPR_EVAL_H
#define PIPELIT_EXPR_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "expr/ast.h"
#include "expr/expr.h"

enum ev { EV_OK, EV_UNDEF, EV_ERR };

/* Variables set by {% set %} and for loops, innermost first. */
struct scope {
	json_t *vars; /* an object, owned */
	struct scope *parent;
};

struct expr_ctx {
	const struct expr_limits *lim;
	const json_t *globals; /* the caller's variables (not owned) */
	struct scope *scope;
	unsigned long steps;
	bool failed;
	struct expr_error *err;
	/* Why the last EV_UNDEF was undefined, and where. */
	char undef_msg[200];
	size_t undef_offset;
};

/* Records the error at offset (the first one wins) and returns EV_ERR. */
int ctx_fail(struct expr_ctx *c, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Records an undefined outcome and returns EV_UNDEF. */
int ctx_undef(struct expr_ctx *c, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Counts n steps; false (with the error) past max_steps. */
bool ctx_step(struct expr_ctx *c, size_t offset, unsigned long n);
/* Is a string of n bytes within max_output?  Else the error. */
bool ctx_fits(struct expr_ctx *c, size_t offset, size_t n);
/* Counts the making of a string of n bytes: a step per 64 bytes, so that
 * the strings a render builds (and keeps, in variables) are bounded in
 * total, not only one by one. */
bool ctx_made(struct expr_ctx *c, size_t offset, size_t n);
/* The error for the last EV_UNDEF. */
int ctx_undef_error(struct expr_ctx *c);

/* *out gets a new reference on EV_OK. */
int eval(struct expr_ctx *c, const struct node *n, json_t **out);
/* eval, with EV_UNDEF turned into its error. */
int eval_defined(struct expr_ctx *c, const struct node *n, json_t **out);

/* Looks a name up in the scopes, then the globals (borrowed, or NULL). */
json_t *ctx_lookup(const struct expr_ctx *c, const char *name);
/* obj.name / obj[name] as Jinja reads them: a dict's key, a list's index
 * for a name of digits.  Borrowed or NULL. */
json_t *value_getattr(const json_t *obj, const char *name);
/* "'dict object' has no attribute 'x'" for messages. */
void describe_missing_attr(char *buf, size_t size, const json_t *obj, const char *name);

#endif
