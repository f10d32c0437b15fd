/* parser.c: recursive descent over the lexer's tokens, following Jinja's
 * grammar and operator precedence (lowest first): x if c else y, or, and,
 * not, comparisons, + -, ~, * / // %, **, unary - +, then primaries with
 * .attr, [item], (call), | filter and "is" test. */
#include "expr/parser.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/filters.h"
#include "util/xalloc.h"

struct parser {
	struct lexer lx;
	struct token cur;
	struct token peek; /* valid when has_peek */
	bool has_peek;
	const struct expr_limits *lim;
	unsigned depth; /* current recursion: nested expressions and blocks */
	bool failed;
	struct expr_error *err;
};

static void
fail(struct parser *p, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
fail(struct parser *p, size_t offset, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
	va_end(ap);
	p->err->offset = offset;
}

static void
fetch(struct parser *p, struct token *t)
{
	lexer_next(&p->lx, t);
	if (t->kind == T_ERROR)
		fail(p, t->offset, "%s", p->lx.message);
}

static void
advance(struct parser *p)
{
	token_free(&p->cur);
	if (p->has_peek) {
		p->cur = p->peek;
		p->has_peek = false;
	} else {
		fetch(p, &p->cur);
	}
}

static const struct token *
peek(struct parser *p)
{
	if (!p->has_peek) {
		fetch(p, &p->peek);
		p->has_peek = true;
	}
	return &p->peek;
}

static bool
at_op(const struct parser *p, enum tok_op op)
{
	return p->cur.kind == T_OP && p->cur.op == op;
}

static bool
at_name(const struct parser *p, const char *word)
{
	return token_is_name(&p->cur, word);
}

static const char *
describe(const struct token *t)
{
	switch (t->kind) {
	case T_EOF: return "end of template";
	case T_VAR_END: return "'}}'";
	case T_BLOCK_END: return "'%}'";
	case T_VAR_BEGIN: return "'{{'";
	case T_BLOCK_BEGIN: return "'{%'";
	case T_NAME: return "a name";
	case T_STRING: return "a string";
	case T_INT: case T_FLOAT: return "a number";
	case T_OP: return "an operator";
	default: return "text";
	}
}

static bool
expect_op(struct parser *p, enum tok_op op, const char *what)
{
	if (p->failed)
		return false;
	if (!at_op(p, op)) {
		fail(p, p->cur.offset, "expected '%s', got %s", what, describe(&p->cur));
		return false;
	}
	advance(p);
	return true;
}

/* Enters one level of nesting; false (with the error) past max_depth. */
static bool
enter(struct parser *p)
{
	if (++p->depth > p->lim->max_depth) {
		fail(p, p->cur.offset, "template nesting exceeds %u levels", p->lim->max_depth);
		return false;
	}
	return true;
}

/* Measures n and checks its height: a long chain (a + b + c ...) is as
 * deep as nested parentheses for whoever walks the tree. */
static struct node *
finish(struct parser *p, struct node *n)
{
	if (n == NULL)
		return NULL;
	node_measure(n);
	if (n->height > p->lim->max_depth)
		fail(p, n->offset, "template nesting exceeds %u levels", p->lim->max_depth);
	if (p->failed) {
		node_free(n);
		return NULL;
	}
	return n;
}

static char *
take_name(struct parser *p)
{
	char *s = xstrndup(p->cur.start, p->cur.len);
	advance(p);
	return s;
}

static struct node *parse_expr(struct parser *p);
static struct node *parse_or(struct parser *p);
static struct node *parse_unary(struct parser *p, bool with_filter);
static struct node *parse_primary(struct parser *p);
static struct node *parse_postfix(struct parser *p, struct node *n);

/* ( args ) after the '(' has been seen: positional, then name=value. */
static void
parse_args(struct parser *p, struct node *n)
{
	advance(p); /* ( */
	while (!p->failed && !at_op(p, OP_RPAREN)) {
		if (n->nkids + n->nkw > 0 && !expect_op(p, OP_COMMA, ","))
			return;
		if (at_op(p, OP_RPAREN))
			break;
		if (p->cur.kind == T_NAME && peek(p)->kind == T_OP && peek(p)->op == OP_ASSIGN) {
			char *name = take_name(p);
			advance(p); /* = */
			struct node *v = parse_expr(p);
			node_add_kwarg(n, name, v);
		} else {
			if (n->nkw > 0) {
				fail(p, p->cur.offset, "positional argument after a keyword argument");
				return;
			}
			node_add_kid(n, parse_expr(p));
		}
	}
	expect_op(p, OP_RPAREN, ")");
}

static struct node *
parse_filters(struct parser *p, struct node *n)
{
	while (!p->failed && n) {
		if (at_op(p, OP_PIPE)) {
			advance(p);
			if (p->cur.kind != T_NAME) {
				fail(p, p->cur.offset, "expected a filter name after '|'");
				break;
			}
			struct node *f = node_new(N_FILTER, p->cur.offset);
			f->name = take_name(p);
			f->a = n;
			n = f;
			if (!filter_known(f->name)) {
				fail(p, f->offset, "no filter named '%s'", f->name);
				break;
			}
			if (at_op(p, OP_LPAREN))
				parse_args(p, f);
		} else if (at_name(p, "is")) {
			struct node *t = node_new(N_TEST, p->cur.offset);
			advance(p);
			t->a = n;
			n = t;
			if (at_name(p, "not")) {
				t->negate = 1;
				advance(p);
			}
			if (p->cur.kind != T_NAME) {
				fail(p, p->cur.offset, "expected a test name after 'is'");
				break;
			}
			t->name = take_name(p);
			if (!test_known(t->name)) {
				fail(p, t->offset, "no test named '%s'", t->name);
				break;
			}
			if (at_op(p, OP_LPAREN)) {
				parse_args(p, t);
			} else if ((p->cur.kind == T_NAME || p->cur.kind == T_STRING || p->cur.kind == T_INT ||
				    p->cur.kind == T_FLOAT || at_op(p, OP_LBRACKET) || at_op(p, OP_LBRACE)) &&
				   !at_name(p, "else") && !at_name(p, "or") && !at_name(p, "and")) {
				/* Jinja's one-argument form: x is divisibleby 3 */
				if (enter(p))
					node_add_kid(t, parse_postfix(p, parse_primary(p)));
				p->depth--;
			}
		} else {
			break;
		}
		n = finish(p, n);
	}
	if (p->failed) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *
parse_primary(struct parser *p)
{
	if (p->failed)
		return NULL;
	struct token *t = &p->cur;
	struct node *n = NULL;
	switch (t->kind) {
	case T_NAME: {
		static const struct {
			const char *word;
			int type; /* 0 null, 1 true, 2 false */
		} consts[] = {{"none", 0}, {"None", 0}, {"true", 1}, {"True", 1}, {"false", 2}, {"False", 2}};
		for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
			if (token_is_name(t, consts[i].word)) {
				n = node_new(N_CONST, t->offset);
				n->value = consts[i].type == 0 ? json_null()
					   : consts[i].type == 1 ? json_true()
								 : json_false();
				advance(p);
				return n;
			}
		n = node_new(N_NAME, t->offset);
		n->name = take_name(p);
		return n;
	}
	case T_STRING: {
		/* Adjacent literals join, as in Python: 'a' "b" is 'ab'. */
		n = node_new(N_CONST, t->offset);
		char *s = t->sval;
		size_t len = t->slen;
		t->sval = NULL;
		advance(p);
		while (!p->failed && p->cur.kind == T_STRING) {
			s = xrealloc(s, len + p->cur.slen + 1);
			memcpy(s + len, p->cur.sval, p->cur.slen + 1);
			len += p->cur.slen;
			advance(p);
		}
		n->value = json_stringn_nocheck(s, len);
		free(s);
		return n;
	}
	case T_INT:
		n = node_new(N_CONST, t->offset);
		n->value = json_integer(t->ival);
		advance(p);
		return n;
	case T_FLOAT:
		n = node_new(N_CONST, t->offset);
		n->value = json_real(t->fval);
		advance(p);
		return n;
	case T_OP:
		break;
	default:
		fail(p, t->offset, "expected an expression, got %s", describe(t));
		return NULL;
	}
	size_t offset = t->offset;
	if (at_op(p, OP_LPAREN)) {
		advance(p);
		if (at_op(p, OP_RPAREN)) { /* () is an empty tuple */
			advance(p);
			return node_new(N_LIST, offset);
		}
		n = parse_expr(p);
		if (at_op(p, OP_COMMA)) { /* a tuple: a list here */
			struct node *l = node_new(N_LIST, offset);
			node_add_kid(l, n);
			while (!p->failed && at_op(p, OP_COMMA)) {
				advance(p);
				if (at_op(p, OP_RPAREN))
					break;
				node_add_kid(l, parse_expr(p));
			}
			n = l;
		}
		if (!expect_op(p, OP_RPAREN, ")")) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	if (at_op(p, OP_LBRACKET)) {
		advance(p);
		n = node_new(N_LIST, offset);
		while (!p->failed && !at_op(p, OP_RBRACKET)) {
			if (n->nkids > 0 && !expect_op(p, OP_COMMA, ","))
				break;
			if (at_op(p, OP_RBRACKET))
				break;
			node_add_kid(n, parse_expr(p));
		}
		expect_op(p, OP_RBRACKET, "]");
		return n;
	}
	if (at_op(p, OP_LBRACE)) {
		advance(p);
		n = node_new(N_DICT, offset);
		while (!p->failed && !at_op(p, OP_RBRACE)) {
			if (n->nkids > 0 && !expect_op(p, OP_COMMA, ","))
				break;
			if (at_op(p, OP_RBRACE))
				break;
			node_add_kid(n, parse_expr(p));
			if (!expect_op(p, OP_COLON, ":"))
				break;
			node_add_kid(n, parse_expr(p));
		}
		expect_op(p, OP_RBRACE, "}");
		return n;
	}
	fail(p, offset, "unexpected operator");
	return NULL;
}

static struct node *
parse_subscript(struct parser *p, struct node *target, size_t offset)
{
	advance(p); /* [ */
	struct node *parts[3] = {NULL, NULL, NULL};
	int nparts = 1;
	for (;;) {
		if (!at_op(p, OP_COLON) && !at_op(p, OP_RBRACKET))
			parts[nparts - 1] = parse_expr(p);
		if (p->failed || !at_op(p, OP_COLON) || nparts == 3)
			break;
		advance(p);
		nparts++;
	}
	struct node *n;
	if (nparts == 1) {
		n = node_new(N_ITEM, offset);
		n->a = target;
		n->b = parts[0];
		if (n->b == NULL)
			fail(p, p->cur.offset, "expected an index");
	} else {
		n = node_new(N_SLICE, offset);
		n->a = target;
		for (int i = 0; i < 3; i++)
			node_add_kid(n, parts[i]);
	}
	expect_op(p, OP_RBRACKET, "]");
	return n;
}

static struct node *
parse_postfix(struct parser *p, struct node *n)
{
	while (!p->failed && n) {
		size_t offset = p->cur.offset;
		if (at_op(p, OP_DOT)) {
			advance(p);
			struct node *a;
			if (p->cur.kind == T_NAME) {
				a = node_new(N_ATTR, offset);
				a->name = take_name(p);
			} else if (p->cur.kind == T_INT) {
				/* a.0 is a[0] */
				a = node_new(N_ITEM, offset);
				a->b = node_new(N_CONST, p->cur.offset);
				a->b->value = json_integer(p->cur.ival);
				advance(p);
			} else {
				fail(p, p->cur.offset, "expected a name after '.'");
				break;
			}
			a->a = n;
			n = a;
		} else if (at_op(p, OP_LBRACKET)) {
			n = parse_subscript(p, n, offset);
		} else if (at_op(p, OP_LPAREN)) {
			struct node *c = node_new(N_CALL, offset);
			c->a = n;
			n = c;
			parse_args(p, c);
		} else {
			break;
		}
		n = finish(p, n);
	}
	if (p->failed) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *
parse_unary(struct parser *p, bool with_filter)
{
	struct node *n;
	size_t offset = p->cur.offset;
	if (at_op(p, OP_SUB) || at_op(p, OP_ADD)) {
		/* - - - x recurses: each sign is a level. */
		if (!enter(p)) {
			p->depth--;
			return NULL;
		}
		n = node_new(at_op(p, OP_SUB) ? N_NEG : N_POS, offset);
		advance(p);
		n->a = parse_unary(p, false);
		n = finish(p, n);
		p->depth--;
	} else {
		n = parse_postfix(p, parse_primary(p));
	}
	if (with_filter)
		n = parse_filters(p, n);
	return n;
}

static struct node *
binop(struct parser *p, struct node *left, enum tok_op op, struct node *right, size_t offset)
{
	struct node *n = node_new(N_BINOP, offset);
	n->op = op;
	n->a = left;
	n->b = right;
	return finish(p, n);
}

static struct node *
parse_pow(struct parser *p)
{
	struct node *n = parse_unary(p, true);
	while (!p->failed && at_op(p, OP_POW)) {
		size_t offset = p->cur.offset;
		advance(p);
		n = binop(p, n, OP_POW, parse_unary(p, true), offset);
	}
	return n;
}

static struct node *
parse_math2(struct parser *p)
{
	struct node *n = parse_pow(p);
	while (!p->failed && (at_op(p, OP_MUL) || at_op(p, OP_DIV) || at_op(p, OP_FLOORDIV) ||
			      at_op(p, OP_MOD))) {
		enum tok_op op = p->cur.op;
		size_t offset = p->cur.offset;
		advance(p);
		n = binop(p, n, op, parse_pow(p), offset);
	}
	return n;
}

static struct node *
parse_concat(struct parser *p)
{
	struct node *n = parse_math2(p);
	while (!p->failed && at_op(p, OP_TILDE)) {
		size_t offset = p->cur.offset;
		advance(p);
		n = binop(p, n, OP_TILDE, parse_math2(p), offset);
	}
	return n;
}

static struct node *
parse_math1(struct parser *p)
{
	struct node *n = parse_concat(p);
	while (!p->failed && (at_op(p, OP_ADD) || at_op(p, OP_SUB))) {
		enum tok_op op = p->cur.op;
		size_t offset = p->cur.offset;
		advance(p);
		n = binop(p, n, op, parse_concat(p), offset);
	}
	return n;
}

static bool
compare_op(struct parser *p, enum tok_op *op)
{
	if (p->cur.kind == T_OP) {
		switch (p->cur.op) {
		case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
			*op = p->cur.op;
			advance(p);
			return true;
		default:
			return false;
		}
	}
	if (at_name(p, "in")) {
		*op = OP_IN;
		advance(p);
		return true;
	}
	if (at_name(p, "not") && token_is_name(peek(p), "in")) {
		*op = OP_NOT_IN;
		advance(p);
		advance(p);
		return true;
	}
	return false;
}

static struct node *
parse_compare(struct parser *p)
{
	struct node *first = parse_math1(p);
	enum tok_op op;
	struct node *n = NULL;
	while (!p->failed && first) {
		size_t offset = p->cur.offset;
		if (!compare_op(p, &op))
			break;
		if (n == NULL) {
			n = node_new(N_COMPARE, offset);
			node_add_kid(n, first);
		}
		n->ops = xrealloc(n->ops, n->nkids * sizeof *n->ops);
		n->ops[n->nkids - 1] = op;
		node_add_kid(n, parse_math1(p));
	}
	if (n == NULL)
		return first;
	return finish(p, n);
}

static struct node *
parse_not(struct parser *p)
{
	if (at_name(p, "not")) {
		if (!enter(p)) {
			p->depth--;
			return NULL;
		}
		struct node *n = node_new(N_NOT, p->cur.offset);
		advance(p);
		n->a = parse_not(p);
		p->depth--;
		return finish(p, n);
	}
	return parse_compare(p);
}

static struct node *
parse_and(struct parser *p)
{
	struct node *n = parse_not(p);
	while (!p->failed && at_name(p, "and")) {
		struct node *a = node_new(N_AND, p->cur.offset);
		advance(p);
		a->a = n;
		a->b = parse_not(p);
		n = finish(p, a);
	}
	return n;
}

static struct node *
parse_or(struct parser *p)
{
	struct node *n = parse_and(p);
	while (!p->failed && at_name(p, "or")) {
		struct node *o = node_new(N_OR, p->cur.offset);
		advance(p);
		o->a = n;
		o->b = parse_and(p);
		n = finish(p, o);
	}
	return n;
}

static struct node *
parse_expr(struct parser *p)
{
	if (!enter(p)) {
		p->depth--;
		return NULL;
	}
	struct node *n = parse_or(p);
	while (!p->failed && at_name(p, "if")) {
		struct node *c = node_new(N_COND, p->cur.offset);
		advance(p);
		c->a = n;
		c->b = parse_or(p);
		if (at_name(p, "else")) {
			advance(p);
			c->c = parse_expr(p);
		}
		n = finish(p, c);
	}
	p->depth--;
	if (p->failed) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* --- statements ------------------------------------------------------------ */

static struct node *parse_body(struct parser *p, const char *const *stops, char **stopped);

static void
expect_block_end(struct parser *p, const char *tag)
{
	if (p->failed)
		return;
	if (p->cur.kind != T_BLOCK_END) {
		fail(p, p->cur.offset, "expected '%%}' to end '%s', got %s", tag, describe(&p->cur));
		return;
	}
	advance(p);
}

static struct node *
parse_if(struct parser *p, size_t offset)
{
	static const char *const stops[] = {"elif", "else", "endif", NULL};
	static const char *const end_only[] = {"endif", NULL};
	struct node *n = node_new(N_IF, offset);
	char *stopped = NULL;
	for (;;) {
		node_add_kid(n, parse_expr(p));
		expect_block_end(p, "if");
		node_add_kid(n, parse_body(p, stops, &stopped));
		if (p->failed)
			break;
		if (strcmp(stopped, "elif") == 0) {
			free(stopped);
			stopped = NULL;
			continue;
		}
		if (strcmp(stopped, "else") == 0) {
			free(stopped);
			stopped = NULL;
			expect_block_end(p, "else");
			n->c = parse_body(p, end_only, &stopped);
			if (p->failed)
				break;
		}
		expect_block_end(p, "endif");
		break;
	}
	free(stopped);
	return finish(p, n);
}

static struct node *
parse_for(struct parser *p, size_t offset)
{
	static const char *const stops[] = {"else", "endfor", NULL};
	static const char *const end_only[] = {"endfor", NULL};
	struct node *n = node_new(N_FOR, offset);
	if (p->cur.kind != T_NAME) {
		fail(p, p->cur.offset, "expected a loop variable after 'for'");
		return finish(p, n);
	}
	n->name = take_name(p);
	if (at_op(p, OP_COMMA)) {
		advance(p);
		if (p->cur.kind != T_NAME) {
			fail(p, p->cur.offset, "expected a second loop variable");
			return finish(p, n);
		}
		n->name2 = take_name(p);
	}
	if (!at_name(p, "in")) {
		fail(p, p->cur.offset, "expected 'in' in the for loop");
		return finish(p, n);
	}
	advance(p);
	/* Not parse_expr: "for x in xs if c" filters, it is no conditional. */
	n->a = parse_or(p);
	if (!p->failed && at_name(p, "if")) {
		advance(p);
		n->d = parse_or(p);
	}
	expect_block_end(p, "for");
	char *stopped = NULL;
	n->b = parse_body(p, stops, &stopped);
	if (!p->failed && strcmp(stopped, "else") == 0) {
		free(stopped);
		stopped = NULL;
		expect_block_end(p, "else");
		n->c = parse_body(p, end_only, &stopped);
	}
	free(stopped);
	expect_block_end(p, "endfor");
	return finish(p, n);
}

static struct node *
parse_set(struct parser *p, size_t offset)
{
	struct node *n = node_new(N_SET, offset);
	if (p->cur.kind != T_NAME) {
		fail(p, p->cur.offset, "expected a variable name after 'set'");
		return finish(p, n);
	}
	n->name = take_name(p);
	if (expect_op(p, OP_ASSIGN, "="))
		n->a = parse_expr(p);
	expect_block_end(p, "set");
	return finish(p, n);
}

/*
 * Statements up to the end of the template (stops NULL) or up to one of the
 * tags in stops: then *stopped gets that tag's name (malloc'd) and the
 * tokens "{% name" have been read.
 */
static struct node *
parse_body(struct parser *p, const char *const *stops, char **stopped)
{
	struct node *body = node_new(N_BODY, p->cur.offset);
	if (!enter(p)) {
		p->depth--;
		node_free(body);
		return NULL;
	}
	while (!p->failed) {
		struct token *t = &p->cur;
		if (t->kind == T_EOF) {
			if (stops) {
				/* The last stop is the block's end tag. */
				size_t last = 0;
				while (stops[last + 1])
					last++;
				fail(p, t->offset, "unexpected end of template, expected '{%% %s %%}'",
				     stops[last]);
			}
			break;
		}
		if (t->kind == T_TEXT) {
			struct node *n = node_new(N_TEXT, t->offset);
			n->text = t->start;
			n->text_len = t->len;
			node_add_kid(body, n);
			advance(p);
			continue;
		}
		if (t->kind == T_VAR_BEGIN) {
			struct node *n = node_new(N_OUTPUT, t->offset);
			advance(p);
			n->a = parse_expr(p);
			if (!p->failed && p->cur.kind != T_VAR_END)
				fail(p, p->cur.offset, "expected '}}', got %s", describe(&p->cur));
			advance(p);
			node_add_kid(body, finish(p, n));
			continue;
		}
		if (t->kind != T_BLOCK_BEGIN) {
			fail(p, t->offset, "unexpected %s", describe(t));
			break;
		}
		size_t offset = t->offset;
		advance(p);
		if (p->cur.kind != T_NAME) {
			fail(p, p->cur.offset, "expected a tag name after '{%%'");
			break;
		}
		bool stop = false;
		for (size_t i = 0; stops && stops[i]; i++)
			if (token_is_name(&p->cur, stops[i])) {
				*stopped = xstrdup(stops[i]);
				stop = true;
			}
		if (stop) {
			advance(p);
			break;
		}
		if (at_name(p, "if")) {
			advance(p);
			node_add_kid(body, parse_if(p, offset));
		} else if (at_name(p, "for")) {
			advance(p);
			node_add_kid(body, parse_for(p, offset));
		} else if (at_name(p, "set")) {
			advance(p);
			node_add_kid(body, parse_set(p, offset));
		} else {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(p->cur.len < 40 ? p->cur.len : 40),
				 p->cur.start);
			fail(p, p->cur.offset, "unknown or unexpected tag '%s'", name);
		}
	}
	p->depth--;
	return finish(p, body);
}

struct node *
parse_template(const char *src, size_t n, const struct expr_limits *lim, struct expr_error *err)
{
	struct parser p;
	memset(&p, 0, sizeof p);
	p.lim = lim;
	p.err = err;
	lexer_init(&p.lx, src, n);
	fetch(&p, &p.cur);
	struct node *body = parse_body(&p, NULL, NULL);
	token_free(&p.cur);
	if (p.has_peek)
		token_free(&p.peek);
	if (p.failed) {
		node_free(body);
		return NULL;
	}
	return body;
}
