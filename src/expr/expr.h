/*
 * expr.h: Pipelit's template language, a subset of Jinja2 (doc/expressions.md).
 *
 * A template is rendered against an object of variables into a string.  A
 * string without "{{" is returned as it is (Pipelit renders nothing else:
 * a template of only {% %} tags stays as written).  Values print as
 * Python's str() does (expr/pystr.h).  Undefined names are errors, except
 * under the default filter and the defined/undefined tests.
 *
 * Everything a template can make the renderer do is bounded by
 * struct expr_limits; a template that passes a limit fails like any other
 * error.  A failed render produces no output: the caller keeps the
 * original text, as Pipelit does, and logs the error.
 *
 * Pure: no I/O, no globals; safe to call from any number of threads.
 */
#ifndef PIPELIT_EXPR_EXPR_H
#define PIPELIT_EXPR_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct expr_limits {
	size_t max_template;	  /* bytes of template text */
	size_t max_output;	  /* bytes of output, and of any string built on the way */
	unsigned max_depth;	  /* nesting of expressions and of {% %} blocks */
	unsigned long max_steps;  /* evaluation steps: expressions evaluated, loop
				     iterations, list elements made */
};

#define EXPR_DEFAULT_MAX_TEMPLATE (256u * 1024)
#define EXPR_DEFAULT_MAX_OUTPUT (1024u * 1024)
#define EXPR_DEFAULT_MAX_DEPTH 64u
#define EXPR_DEFAULT_MAX_STEPS 1000000ul

/* The defaults above. */
struct expr_limits expr_limits_default(void);

struct expr_error {
	char message[256];
	size_t offset;	 /* byte offset in the template where it happened */
	unsigned line;	 /* 1-based */
	unsigned column; /* 1-based, in bytes */
};

/* True when s (n bytes) would be rendered: it contains "{{". */
bool expr_is_template(const char *s, size_t n);

/*
 * Renders the n bytes of tmpl with vars (an object, or NULL for none) under
 * lim (NULL: the defaults).  On success returns 0 and sets *out (malloc'd,
 * NUL-terminated; the caller frees) and *out_len; a string that is not a
 * template (expr_is_template) comes back as a copy.  On failure returns -1,
 * fills *err and leaves *out NULL.
 */
int expr_render(const char *tmpl, size_t n, const json_t *vars, const struct expr_limits *lim,
		char **out, size_t *out_len, struct expr_error *err);

/* True when expr_resolve_tree would render a string of value: one of its
 * strings, at any depth it descends to, is a template. */
bool expr_tree_has_template(const json_t *value);

/*
 * A deep copy of value in which every string, at any depth of objects and
 * arrays, that is a template is replaced by its rendering.  A string whose
 * render fails stays as it was, and when errors (an array) is given an
 * object {"path": "$.a[0]", "message": "...", "offset": N, "line": N,
 * "column": N} is appended to it.  Non-strings are copied unchanged.  Never
 * NULL for a non-NULL value (NULL value: NULL).  The caller owns the result.
 */
json_t *expr_resolve_tree(const json_t *value, const json_t *vars, const struct expr_limits *lim,
			  json_t *errors);

#endif
