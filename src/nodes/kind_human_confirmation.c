/*
 * kind_human_confirmation.c: the human_confirmation node (pipelit-engine.md
 * 4.5, engine side 2.10).
 *
 * The engine interrupts before this node (interrupt_before is forced on
 * it) and runs it once a human answered, with ctx->resume =
 * {"action": "confirm"|"cancel", "input": text}.  An explicit action
 * decides; without one, the input confirms when its lowercase is yes,
 * confirm, true, y or 1 (Pipelit's rule for a typed answer).  The answer
 * given back is the input, else the action.  Run without an answer (no
 * interrupt happened) it routes "cancelled" and shows its prompt.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr/pystr.h"
#include "nodes/kind_util.h"
#include "nodes/kinds.h"

#define DEFAULT_PROMPT "Please confirm to proceed."

static int
typed_yes(const char *s)
{
	static const char *const yes[] = { "yes", "confirm", "true", "y", "1" };
	for (size_t i = 0; s != NULL && i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	return 0;
}

static enum step
confirmation_run(struct node_ctx *ctx)
{
	if (ctx->resume == NULL) {
		const char *prompt = cfg_str(ctx->extra_config, "prompt", DEFAULT_PROMPT);
		return kind_done(ctx, json_pack("{s:s, s:b, s:n, s:s}", "_route", "cancelled",
						"confirmed", 0, "user_response", "prompt", prompt));
	}
	const char *action = json_string_value(json_object_get(ctx->resume, "action"));
	const json_t *input = json_object_get(ctx->resume, "input");
	if (input != NULL && json_is_null(input))
		input = NULL;
	int confirmed = 0;
	if (action != NULL && strcmp(action, "confirm") == 0) {
		confirmed = 1;
	} else if (action != NULL && strcmp(action, "cancel") == 0) {
		confirmed = 0;
	} else if (input != NULL) {
		char *text = py_str(input); /* Pipelit: str(answer).lower() */
		confirmed = typed_yes(text);
		free(text);
	}
	json_t *response = input ? json_incref((json_t *)input)
			   : action ? json_string(action)
				    : json_null();
	return kind_done(ctx, json_pack("{s:s, s:b, s:o}", "_route",
					confirmed ? "confirmed" : "cancelled", "confirmed", confirmed,
					"user_response", response));
}

static int
confirmation_check(const json_t *extra, char **msg)
{
	return check_string(extra, "prompt", msg);
}

const struct node_kind node_kind_human_confirmation = {
	.name = "human_confirmation",
	.check_config = confirmation_check,
	.run = confirmation_run,
};
