/*
 * kind_router.c: the router node (pipelit-engine.md 4.2): sets the route
 * from the state without calling a model (Pipelit's router never did).
 */
#include <stdlib.h>

#include "nodes/condition.h"
#include "nodes/kind_util.h"
#include "nodes/kinds.h"

static enum step
router_run(struct node_ctx *ctx)
{
	char *route = NULL;
	if (condition_route(ctx, COND_MISSING_EMPTY, &route) != 0)
		return STEP_FAILED;
	json_t *result = json_pack("{s:s, s:s}", "_route", route, "route", route);
	free(route);
	return kind_done(ctx, result);
}

const struct node_kind node_kind_router = {
	.name = "router",
	.check_config = condition_check,
	.run = router_run,
	.runs_inline = 1,
};
