/* resolve.c: rendering every template string inside a JSON value, as the
 * engine does to a node's system_prompt and extra_config before each run. */
#include "expr/expr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/strbuf.h"
#include "util/xalloc.h"

/* Nesting of the value being copied: jansson parses at most 2048 levels;
 * anything deeper is copied by json_deep_copy without rendering. */
#define RESOLVE_MAX_DEPTH 2048

static void
add_error(json_t *errors, const struct strbuf *path, const struct expr_error *err)
{
	if (errors == NULL)
		return;
	json_array_append_new(errors, json_pack("{s:s, s:s, s:I, s:I, s:I}", "path",
						path->data ? path->data : "$", "message", err->message,
						"offset", (json_int_t)err->offset, "line",
						(json_int_t)err->line, "column", (json_int_t)err->column));
}

static json_t *
resolve_at(const json_t *value, const json_t *vars, const struct expr_limits *lim, json_t *errors,
	   struct strbuf *path, int depth)
{
	size_t mark = path->len;
	if (depth > RESOLVE_MAX_DEPTH)
		return json_deep_copy(value);
	switch (json_typeof(value)) {
	case JSON_STRING: {
		const char *s = json_string_value(value);
		size_t n = json_string_length(value);
		if (!expr_is_template(s, n))
			return json_copy((json_t *)value);
		char *out;
		size_t out_len;
		struct expr_error err;
		if (expr_render(s, n, vars, lim, &out, &out_len, &err) != 0) {
			add_error(errors, path, &err);
			return json_copy((json_t *)value);
		}
		/* A rendering is made of the template's text and of JSON strings,
		 * so it is valid UTF-8; checked all the same, as a JSON string
		 * must be. */
		json_t *r = json_stringn(out, out_len);
		free(out);
		if (r == NULL) {
			snprintf(err.message, sizeof err.message, "rendering is not valid UTF-8");
			err.offset = 0;
			err.line = err.column = 1;
			add_error(errors, path, &err);
			return json_copy((json_t *)value);
		}
		return r;
	}
	case JSON_ARRAY: {
		json_t *copy = json_array();
		size_t i;
		json_t *item;
		json_array_foreach(value, i, item) {
			strbuf_printf(path, "[%zu]", i);
			json_array_append_new(copy, resolve_at(item, vars, lim, errors, path, depth + 1));
			path->len = mark;
			if (path->data)
				path->data[mark] = '\0';
		}
		return copy;
	}
	case JSON_OBJECT: {
		json_t *copy = json_object();
		const char *key;
		json_t *item;
		json_object_foreach((json_t *)value, key, item) {
			strbuf_printf(path, ".%s", key);
			json_object_set_new(copy, key, resolve_at(item, vars, lim, errors, path, depth + 1));
			path->len = mark;
			if (path->data)
				path->data[mark] = '\0';
		}
		return copy;
	}
	default:
		return json_copy((json_t *)value);
	}
}

static bool
has_template_at(const json_t *value, int depth)
{
	if (depth > RESOLVE_MAX_DEPTH)
		return false;        /* resolve_at copies it unrendered */
	const char *key;
	size_t i;
	json_t *item;
	switch (json_typeof(value)) {
	case JSON_STRING:
		return expr_is_template(json_string_value(value), json_string_length(value));
	case JSON_ARRAY:
		json_array_foreach(value, i, item)
			if (has_template_at(item, depth + 1))
				return true;
		return false;
	case JSON_OBJECT:
		json_object_foreach((json_t *)value, key, item)
			if (has_template_at(item, depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

bool
expr_tree_has_template(const json_t *value)
{
	return value != NULL && has_template_at(value, 0);
}

json_t *
expr_resolve_tree(const json_t *value, const json_t *vars, const struct expr_limits *lim,
		  json_t *errors)
{
	if (value == NULL)
		return NULL;
	struct strbuf path;
	strbuf_init(&path, 0);
	strbuf_puts(&path, "$");
	json_t *r = resolve_at(value, vars, lim, errors, &path, 0);
	strbuf_free(&path);
	return r;
}
