/* node_config.c: see node_config.h. */
#include "node_config.h"

#include <stdlib.h>

#include "nodes/node_kind.h"
#include "util/xalloc.h"

int
node_config_check(const char *type, const json_t *extra_config, struct config_problem *why)
{
	if (node_type_check_config(type, extra_config, why) != 0)
		return -1;
	const struct node_kind *kind = node_kind_find(type);
	char *msg = NULL;
	if (kind == NULL || kind->check_config == NULL || kind->check_config(extra_config, &msg) == 0)
		return 0;
	why->field = NULL;
	why->message = msg != NULL ? msg : xstrdup("Invalid configuration for this node kind");
	return -1;
}
