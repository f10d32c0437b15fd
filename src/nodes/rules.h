/*
 * rules.h: the rule lists of switch, assertion and filter:
 * [{id, field, operator = "equals", value = ""}, ...].
 */
#ifndef PIPELIT_NODES_RULES_H
#define PIPELIT_NODES_RULES_H

#include <jansson.h>

#include "nodes/node_kind.h"
#include "nodes/operators.h"

/* One rule read from its object (borrowed from it). */
struct rule {
	const json_t *id;        /* NULL when absent */
	const char *field;       /* "" when absent */
	const char *operator;    /* "equals" when absent */
	const struct op *op;     /* NULL: unknown operator */
	const json_t *value;     /* NULL when absent (the operators take "") */
};

/* Reads rule; -1 (the node fails with bad_config) when it is not an
 * object or its field or operator is not a string. */
int rule_read(struct node_ctx *ctx, const json_t *rule, size_t index, struct rule *out);

/* extra_config.rules: NULL when absent, null or empty; -1 with the node
 * failed when present but not a list. */
int rules_get(struct node_ctx *ctx, const json_t **rules);

/* check_config of a rules list.  need_id: every rule routes by its id
 * (switch).  Unknown operators are refused, regular expressions compiled
 * and length values checked. */
int rules_check(const json_t *extra, int need_id, char **msg);

#endif
