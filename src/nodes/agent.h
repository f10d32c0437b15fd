/*
 * agent.h: the agent node's parts (kind_agent.c is the kind).
 *
 * An agent run is a loop of model calls and tool rounds
 * (pipelit-engine.md 4.2, 7.3) that waits on I/O between its steps:
 *
 *   setup -> [reserve budget -> model call (streamed) -> settle budget
 *             -> checkpoint -> tool round -> checkpoint]* -> result
 *
 * Every model answer and every tool result is checkpointed in the main
 * database (node_services.checkpoint_save), so a run that lost its
 * executor continues, as its next attempt, from the last checkpoint and
 * never repeats a message.
 */
#ifndef PIPELIT_NODES_AGENT_H
#define PIPELIT_NODES_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "llm/llm.h"
#include "nodes/node_kind.h"

#define AGENT_MAX_STEPS_DEFAULT 25   /* graph steps: a model call and a tool round each count one */

/* A tool wired to the agent (an edge labelled "tool" or "memory"). */
struct agent_tool {
	const char *node_id;         /* the tool node's, borrowed from the snapshot */
	const char *type;            /* its component_type, borrowed */
	const json_t *node;          /* its NodeOut, borrowed */
	const json_t *extra_config;  /* borrowed ({} when none) */
	json_t *definition;          /* {name, description, parameters}, owned */
	const char *name;            /* definition.name */
};

/* What the agent's model and tools are, read from the snapshot. */
struct agent_setup {
	json_t *credential;          /* the LLM credential's detail (owned; secrets in clear) */
	struct llm_provider provider;    /* borrowed from credential */
	struct llm_settings settings;    /* model borrowed from the ai_model node */
	int max_retries;             /* the client's, from the ai_model node (default 2) */
	long timeout_ms;             /* per model call */
	struct agent_tool *tools;
	size_t n_tools;
	json_t *tool_definitions;    /* [definition...] (owned), or NULL without tools */
	int max_steps;
	long context_window;         /* tokens */
	int streaming;               /* stream answers (default on) */
	/* extra_config.compacting "summarize" (agent_summary.h): on, past
	 * trigger % of the window, keeping the newest keep messages */
	int summarize;
	int compacting_trigger;
	int compacting_keep;
};

/* Reads the ai_model linked by the agent's "llm" edge, its credential
 * (through services) and the tools wired to it.  0, or -1 after
 * node_fail() (a missing model is a readable error). */
int agent_setup_read(struct node_ctx *ctx, struct agent_setup *out);
void agent_setup_clear(struct agent_setup *s);

/* The tool called name, or NULL. */
const struct agent_tool *agent_tool_named(const struct agent_setup *s, const char *name);

/* The messages the agent starts from (new reference): the input template
 * as one human message, or state.messages; without tools, tool messages
 * and AI messages carrying tool calls are left out; with a system prompt,
 * the fallback human message (fixed id "system_prompt_fallback") first. */
json_t *agent_input_messages(const struct node_ctx *ctx, const char *system_prompt,
			     int has_tools);

/* Keeps the newest messages of input that fit budget_tokens (new
 * reference; pipelit-engine.md 7.5): a system message is always kept, the
 * kept span starts at a human message, no message is split. */
json_t *agent_trim(const json_t *input, long budget_tokens);
/* The same as flags: keep[i] is set for each message kept (keep has room
 * for every message of input). */
void agent_trim_keep(const json_t *input, long budget_tokens, unsigned char *keep);

/* An estimate of the tokens a request carries: about four characters a
 * token plus a few per message. */
long agent_estimate_tokens(const json_t *messages, const char *system, const json_t *tools);
/* The same for one message, and for a text alone. */
long agent_message_tokens(const json_t *m);
long agent_text_tokens(const char *text);

#endif
