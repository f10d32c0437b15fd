/* render.c: running a parsed template's statements into text, and the
 * public entry point expr_render(). */
#include "expr/expr.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "expr/ast.h"
#include "expr/eval.h"
#include "expr/parser.h"
#include "expr/pystr.h"
#include "expr/strbuf.h"
#include "expr/value.h"
#include "util/xalloc.h"

struct expr_limits
expr_limits_default(void)
{
	struct expr_limits lim = {
		.max_template = EXPR_DEFAULT_MAX_TEMPLATE,
		.max_output = EXPR_DEFAULT_MAX_OUTPUT,
		.max_depth = EXPR_DEFAULT_MAX_DEPTH,
		.max_steps = EXPR_DEFAULT_MAX_STEPS,
	};
	return lim;
}

bool
expr_is_template(const char *s, size_t n)
{
	return s != NULL && n >= 2 && memmem(s, n, "{{", 2) != NULL;
}

static int run_body(struct expr_ctx *c, const struct node *body, struct strbuf *out);

static bool
emit(struct expr_ctx *c, size_t offset, struct strbuf *out, const char *s, size_t n)
{
	if (!strbuf_append(out, s, n)) {
		ctx_fits(c, offset, SIZE_MAX);
		return false;
	}
	return true;
}

static int
run_output(struct expr_ctx *c, const struct node *n, struct strbuf *out)
{
	json_t *v;
	if (eval_defined(c, n->a, &v) != EV_OK)
		return EV_ERR;
	bool ok = py_str_append(out, v);
	json_decref(v);
	if (!ok) {
		ctx_fits(c, n->offset, SIZE_MAX);
		return EV_ERR;
	}
	return EV_OK;
}

static int
run_if(struct expr_ctx *c, const struct node *n, struct strbuf *out)
{
	for (size_t i = 0; i + 1 < n->nkids; i += 2) {
		json_t *v;
		if (eval_defined(c, n->kids[i], &v) != EV_OK)
			return EV_ERR;
		bool yes = value_truthy(v);
		json_decref(v);
		if (yes)
			return run_body(c, n->kids[i + 1], out);
	}
	return n->c ? run_body(c, n->c, out) : EV_OK;
}

/* Sets the loop's targets in the scope's variables: one name, or two
 * unpacked from a pair (for k, v in d.items()). */
static int
bind_targets(struct expr_ctx *c, const struct node *n, json_t *vars, json_t *item)
{
	if (n->name2 == NULL) {
		json_object_set(vars, n->name, item);
		return EV_OK;
	}
	if (!json_is_array(item) || json_array_size(item) != 2)
		return ctx_fail(c, n->offset, "cannot unpack %s into 2 loop variables",
				json_is_array(item) ? "a list of another length" : value_type_name(item));
	json_object_set(vars, n->name, json_array_get(item, 0));
	json_object_set(vars, n->name2, json_array_get(item, 1));
	return EV_OK;
}

static json_t *
loop_object(size_t i, size_t n)
{
	return json_pack("{sI sI sb sb sI sI sI}", "index", (json_int_t)i + 1, "index0", (json_int_t)i,
			 "first", i == 0, "last", i + 1 == n, "length", (json_int_t)n, "revindex",
			 (json_int_t)(n - i), "revindex0", (json_int_t)(n - i - 1));
}

static int
run_for(struct expr_ctx *c, const struct node *n, struct strbuf *out)
{
	json_t *seq, *items;
	if (eval_defined(c, n->a, &seq) != EV_OK)
		return EV_ERR;
	/* The items: a list's, a dict's keys, a string's characters. */
	if (json_is_array(seq)) {
		items = json_incref(seq);
	} else if (json_is_object(seq)) {
		items = json_array();
		const char *key;
		json_t *v;
		json_object_foreach(seq, key, v) json_array_append_new(items, json_string_nocheck(key));
	} else if (json_is_string(seq)) {
		items = json_array();
		const char *s = json_string_value(seq);
		size_t len = json_string_length(seq), i = 0, cl;
		while (i < len) {
			utf8_next(s + i, len - i, &cl);
			json_array_append_new(items, str_value(s + i, cl));
			i += cl;
		}
	} else {
		int r = ctx_fail(c, n->a->offset, "'%s' object is not iterable", value_type_name(seq));
		json_decref(seq);
		return r;
	}
	json_decref(seq);
	if (!ctx_step(c, n->offset, json_array_size(items))) {
		json_decref(items);
		return EV_ERR;
	}

	struct scope scope = {.vars = json_object(), .parent = c->scope};
	c->scope = &scope;
	int r = EV_OK;
	/* "for x in xs if cond": the filter runs first, so loop.length and
	 * loop.last count only the items kept. */
	if (n->d) {
		json_t *kept = json_array();
		size_t i;
		json_t *item;
		json_array_foreach(items, i, item) {
			json_t *v;
			if ((r = bind_targets(c, n, scope.vars, item)) != EV_OK ||
			    (r = eval_defined(c, n->d, &v)) != EV_OK)
				break;
			if (value_truthy(v))
				json_array_append(kept, item);
			json_decref(v);
		}
		json_decref(items);
		items = kept;
	}
	size_t count = json_array_size(items);
	for (size_t i = 0; r == EV_OK && i < count; i++) {
		if (!ctx_step(c, n->offset, 1)) {
			r = EV_ERR;
			break;
		}
		/* Each pass starts from a fresh scope: a {% set %} in the body
		 * lasts until the end of its pass, so no pass builds on the last. */
		json_object_clear(scope.vars);
		json_object_set_new(scope.vars, "loop", loop_object(i, count));
		if ((r = bind_targets(c, n, scope.vars, json_array_get(items, i))) != EV_OK)
			break;
		r = run_body(c, n->b, out);
	}
	c->scope = scope.parent;
	json_decref(scope.vars);
	json_decref(items);
	if (r == EV_OK && count == 0 && n->c)
		r = run_body(c, n->c, out);
	return r;
}

static int
run_set(struct expr_ctx *c, const struct node *n)
{
	json_t *v;
	if (eval_defined(c, n->a, &v) != EV_OK)
		return EV_ERR;
	json_object_set_new(c->scope->vars, n->name, v);
	return EV_OK;
}

static int
run_body(struct expr_ctx *c, const struct node *body, struct strbuf *out)
{
	if (body == NULL)
		return EV_OK;
	for (size_t i = 0; i < body->nkids; i++) {
		const struct node *n = body->kids[i];
		if (!ctx_step(c, n->offset, 1))
			return EV_ERR;
		int r = EV_OK;
		switch (n->kind) {
		case N_TEXT:
			r = emit(c, n->offset, out, n->text, n->text_len) ? EV_OK : EV_ERR;
			break;
		case N_OUTPUT:
			r = run_output(c, n, out);
			break;
		case N_IF:
			r = run_if(c, n, out);
			break;
		case N_FOR:
			r = run_for(c, n, out);
			break;
		case N_SET:
			r = run_set(c, n);
			break;
		default:
			r = ctx_fail(c, n->offset, "not a statement");
		}
		if (r != EV_OK)
			return EV_ERR;
	}
	return EV_OK;
}

/* Line and column (1-based, bytes) of offset in the template; the message
 * made valid UTF-8 (a name cut short in it could end mid-character), so
 * that it can go into JSON. */
static void
locate(struct expr_error *err, const char *tmpl, size_t n)
{
	size_t mlen = strnlen(err->message, sizeof err->message - 1), i = 0, len;
	while (i < mlen) {
		unsigned long cp = utf8_next(err->message + i, mlen - i, &len);
		if (len == 1 && cp >= 0x80)
			err->message[i] = '?';
		i += len;
	}
	size_t off = err->offset < n ? err->offset : n;
	unsigned line = 1;
	size_t line_start = 0;
	for (size_t k = 0; k < off; k++)
		if (tmpl[k] == '\n') {
			line++;
			line_start = k + 1;
		}
	err->offset = off;
	err->line = line;
	err->column = (unsigned)(off - line_start + 1);
}

int
expr_render(const char *tmpl, size_t n, const json_t *vars, const struct expr_limits *lim,
	    char **out, size_t *out_len, struct expr_error *err)
{
	struct expr_limits defaults = expr_limits_default();
	if (lim == NULL)
		lim = &defaults;
	*out = NULL;
	*out_len = 0;
	memset(err, 0, sizeof *err);
	if (!expr_is_template(tmpl, n)) {
		*out = xmalloc(n + 1);
		if (n)
			memcpy(*out, tmpl, n);
		(*out)[n] = '\0';
		*out_len = n;
		return 0;
	}
	if (n > lim->max_template) {
		snprintf(err->message, sizeof err->message, "template exceeds %zu bytes",
			 lim->max_template);
		err->offset = lim->max_template;
		locate(err, tmpl, n);
		return -1;
	}
	struct node *tree = parse_template(tmpl, n, lim, err);
	if (tree == NULL) {
		locate(err, tmpl, n);
		return -1;
	}
	struct scope top = {.vars = json_object(), .parent = NULL};
	struct expr_ctx c = {.lim = lim, .globals = vars, .scope = &top, .err = err};
	struct strbuf b;
	strbuf_init(&b, lim->max_output);
	int r = run_body(&c, tree, &b);
	json_decref(top.vars);
	node_free(tree);
	if (r != EV_OK || c.failed) {
		if (!c.failed)
			snprintf(err->message, sizeof err->message, "render failed");
		strbuf_free(&b);
		locate(err, tmpl, n);
		return -1;
	}
	*out_len = b.len;
	*out = strbuf_take(&b);
	return 0;
}
