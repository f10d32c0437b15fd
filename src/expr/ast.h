/*
 * ast.h: the parsed template.  A tree of nodes, each owning its children,
 * names and constant; node_free() releases a whole tree.  The parser bounds
 * the tree's height (expr_limits.max_depth), so walking it recursively is
 * bounded too.
 */
#ifndef PIPELIT_EXPR_AST_H
#define PIPELIT_EXPR_AST_H

#include <stddef.h>

#include <jansson.h>

#include "expr/lexer.h"

enum node_kind {
	/* statements */
	N_BODY,	  /* kids: statements in order */
	N_TEXT,	  /* text: start/len in the template */
	N_OUTPUT, /* a: the expression printed by {{ }} */
	N_IF,	  /* kids: test, body, test, body... (if and each elif); c: else body or NULL */
	N_FOR,	  /* name (and name2): targets, a: iterable, d: filter, b: body, c: else */
	N_SET,	  /* name: target, a: value */
	/* expressions */
	N_CONST,   /* value */
	N_NAME,	   /* name */
	N_ATTR,	   /* a.name */
	N_ITEM,	   /* a[b] */
	N_SLICE,   /* a[kids[0]:kids[1]:kids[2]], absent parts NULL */
	N_LIST,	   /* kids */
	N_DICT,	   /* kids: key, value, key, value... */
	N_COND,	   /* a if b else c (c may be NULL) */
	N_AND,	   /* a and b */
	N_OR,	   /* a or b */
	N_NOT,	   /* not a */
	N_NEG,	   /* -a */
	N_POS,	   /* +a */
	N_BINOP,   /* a op b */
	N_COMPARE, /* kids[0] ops[0] kids[1] ops[1] kids[2]... */
	N_FILTER,  /* a | name(args) */
	N_TEST,	   /* a is [not] name(args); negate */
	N_CALL,	   /* a(args) */
};

struct node {
	enum node_kind kind;
	size_t offset;	 /* where it is in the template */
	unsigned height; /* 1 + the tallest child's height */
	enum tok_op op;	 /* N_BINOP */
	enum tok_op *ops; /* N_COMPARE: nkids - 1 operators */
	int negate;	 /* N_TEST */
	json_t *value;	 /* N_CONST */
	char *name;	 /* N_NAME, N_ATTR, N_FILTER, N_TEST, N_SET, N_FOR */
	char *name2;	 /* N_FOR's second target */
	const char *text; /* N_TEXT, into the template */
	size_t text_len;
	struct node *a, *b, *c, *d;
	struct node **kids; /* N_BODY, N_LIST, N_DICT, N_COMPARE, N_SLICE; args otherwise */
	size_t nkids;
	char **kwnames;	    /* keyword arguments of N_FILTER, N_TEST, N_CALL */
	struct node **kwvals;
	size_t nkw;
};

struct node *node_new(enum node_kind kind, size_t offset);
/* Appends a child to kids (NULL allowed). */
void node_add_kid(struct node *n, struct node *kid);
void node_add_kwarg(struct node *n, char *name, struct node *value);
/* Sets n->height from its children. */
void node_measure(struct node *n);
void node_free(struct node *n);

#endif
