/*
 * node_kind.c: the registry of the node kinds the engine runs, and the
 * helpers every kind shares.
 *
 * Triggers are not here (the engine handles a trigger node itself: its
 * output is the payload), nor are sub-components (ai_model, tools,
 * output_parser, skill: never run as a step), nor kinds not built yet
 * (agent, categorizer, code, ...): node_kind_find gives NULL for them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nodes/kinds.h"
#include "nodes/node_kind.h"

static const struct node_kind *const kinds[] = {
	&node_kind_switch,
	&node_kind_router,
	&node_kind_filter,
	&node_kind_merge,
	&node_kind_loop,
	&node_kind_wait,
	&node_kind_assertion,
	&node_kind_human_confirmation,
	&node_kind_reply_chat,
	&node_kind_identify_user,
	&node_kind_agent,
	&node_kind_categorizer,
	&node_kind_extractor,
	&node_kind_workflow,
};

const struct node_kind *
node_kind_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

enum step
node_fail(struct node_ctx *ctx, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
	snprintf(ctx->error_code, sizeof(ctx->error_code), "%s", code ? code : "error");
	return STEP_FAILED;
}
