/*
 * kind_reply_chat.c: the reply_chat node (pipelit-engine.md 4.5): the
 * workflow's answer.  The message is config.system_prompt, else
 * extra_config.message (both already rendered); _output makes it
 * state.output, so the execution's final output is {"output": message}.
 * Successors still run.
 */
#include "nodes/kind_util.h"
#include "nodes/kinds.h"

static enum step
reply_chat_run(struct node_ctx *ctx)
{
	const json_t *config = json_object_get(ctx->node, "config");
	const char *prompt = json_string_value(json_object_get(config, "system_prompt"));
	const char *message = prompt && prompt[0] ? prompt : cfg_str(ctx->extra_config, "message", "");
	return kind_done(ctx, json_pack("{s:s, s:s}", "output", message, "_output", message));
}

static int
reply_chat_check(const json_t *extra, char **msg)
{
	return check_string(extra, "message", msg);
}

const struct node_kind node_kind_reply_chat = {
	.name = "reply_chat",
	.check_config = reply_chat_check,
	.run = reply_chat_run,
	.runs_inline = 1,
};
