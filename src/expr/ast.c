/* ast.c: making, measuring and freeing template nodes. */
#include "expr/ast.h"

#include <stdlib.h>

#include "util/xalloc.h"

struct node *
node_new(enum node_kind kind, size_t offset)
{
	struct node *n = xcalloc(1, sizeof *n);
	n->kind = kind;
	n->offset = offset;
	n->height = 1;
	return n;
}

void
node_add_kid(struct node *n, struct node *kid)
{
	n->kids = xrealloc(n->kids, (n->nkids + 1) * sizeof *n->kids);
	n->kids[n->nkids++] = kid;
}

void
node_add_kwarg(struct node *n, char *name, struct node *value)
{
	n->kwnames = xrealloc(n->kwnames, (n->nkw + 1) * sizeof *n->kwnames);
	n->kwvals = xrealloc(n->kwvals, (n->nkw + 1) * sizeof *n->kwvals);
	n->kwnames[n->nkw] = name;
	n->kwvals[n->nkw] = value;
	n->nkw++;
}

static void
taller(unsigned *h, const struct node *kid)
{
	if (kid && kid->height + 1 > *h)
		*h = kid->height + 1;
}

void
node_measure(struct node *n)
{
	unsigned h = 1;
	taller(&h, n->a);
	taller(&h, n->b);
	taller(&h, n->c);
	taller(&h, n->d);
	for (size_t i = 0; i < n->nkids; i++)
		taller(&h, n->kids[i]);
	for (size_t i = 0; i < n->nkw; i++)
		taller(&h, n->kwvals[i]);
	n->height = h;
}

void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	node_free(n->a);
	node_free(n->b);
	node_free(n->c);
	node_free(n->d);
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->nkw; i++) {
		free(n->kwnames[i]);
		node_free(n->kwvals[i]);
	}
	free(n->kwnames);
	free(n->kwvals);
	free(n->ops);
	free(n->name);
	free(n->name2);
	json_decref(n->value);
	free(n);
}
