/*
 * agent_tools.h: one tool round of an agent: the tool calls of the model's
 * last answer, run together (pipelit-engine.md 7.3).
 *
 * Pure tools (calculator, get_datetime) and memory tools answer at once;
 * HTTP tools (http_request, web_search) are sent on the executor's loop
 * under the outbound policy and the round waits for them.  Every call
 * gets an answer for the model: a failure is an "Error: ..." text, never a
 * failed node.  Each call shows as node_status events of its tool node
 * (running, then success or failed) with is_tool_call set.
 */
#ifndef PIPELIT_NODES_AGENT_TOOLS_H
#define PIPELIT_NODES_AGENT_TOOLS_H

#include <stdint.h>

#include <jansson.h>

#include "nodes/agent.h"

struct tool_round;

/* Starts the calls of ai_message (an "ai" message with tool_calls and an
 * id).  Never NULL. */
struct tool_round *tool_round_start(struct node_ctx *ctx, const struct agent_setup *setup,
				    const json_t *ai_message);
/* 1 when every call has its answer. */
int tool_round_done(const struct tool_round *r);
/* The calls made. */
long tool_round_invocations(const struct tool_round *r);
/* Appends a "tool" message per call, in the order of the calls, to
 * messages, each with an id made of the answer's. */
void tool_round_append_results(struct tool_round *r, json_t *messages);
/* Aborts what is in flight and frees everything; NULL is fine. */
void tool_round_free(struct tool_round *r);

#endif
