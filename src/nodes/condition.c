/* condition.c: the condition_field / condition_expression routing. */
#include <stdlib.h>
#include <string.h>

#include "expr/pystr.h"
#include "nodes/condition.h"
#include "nodes/kind_util.h"
#include "nodes/state_path.h"
#include "util/xalloc.h"

/* str() of the value at a path, as the two kinds render a miss. */
static char *
path_text(const json_t *state, const char *path, enum cond_missing missing)
{
	const json_t *v = state_path_get(state, path);
	if (missing == COND_MISSING_EMPTY && (v == NULL || json_is_null(v)))
		return xstrdup("");
	return py_str(v ? v : json_null());
}

/* s without surrounding whitespace and, with quotes, without surrounding
 * ' and " characters (Python's strip() then strip("'\"")): malloc'd. */
static char *
trimmed(const char *s, size_t n, int quotes)
{
	while (n > 0 && strchr(" \t\n\r\f\v", *s)) {
		s++;
		n--;
	}
	while (n > 0 && strchr(" \t\n\r\f\v", s[n - 1]))
		n--;
	while (quotes && n > 0 && (*s == '\'' || *s == '"')) {
		s++;
		n--;
	}
	while (quotes && n > 0 && (s[n - 1] == '\'' || s[n - 1] == '"'))
		n--;
	return xstrndup(s, n);
}

int
condition_route(struct node_ctx *ctx, enum cond_missing missing, char **route)
{
	const json_t *expr = cfg_get(ctx->extra_config, "condition_expression");
	if (expr != NULL && !json_is_string(expr)) {
		kind_bad_config(ctx, "condition_expression must be a string");
		return -1;
	}
	const char *e = json_string_value(expr);
	if (e != NULL && e[0] != '\0') {
		const char *eq = strstr(e, "==");
		if (eq == NULL) {
			char *path = trimmed(e, strlen(e), 0);
			*route = path_text(ctx->state, path, missing);
			free(path);
			return 0;
		}
		/* "path == 'v'": v when the path's str() equals it, else "". */
		char *path = trimmed(e, (size_t)(eq - e), 0);
		char *want = trimmed(eq + 2, strlen(eq + 2), 1);
		char *got = path_text(ctx->state, path, missing);
		*route = strcmp(got, want) == 0 ? want : xstrdup("");
		if (*route != want)
			free(want);
		free(got);
		free(path);
		return 0;
	}
	const json_t *field = cfg_get(ctx->extra_config, "condition_field");
	if (field != NULL && !json_is_string(field)) {
		kind_bad_config(ctx, "condition_field must be a string");
		return -1;
	}
	/* A top-level key of the state, not a path; missing gives "". */
	const json_t *v = json_object_get(ctx->state, field ? json_string_value(field) : "route");
	*route = v == NULL ? xstrdup("") : py_str(v);
	return 0;
}

int
condition_check(const json_t *extra, char **msg)
{
	if (check_string(extra, "condition_field", msg) != 0)
		return -1;
	return check_string(extra, "condition_expression", msg);
}
