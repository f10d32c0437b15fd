/*
 * agent_summary.h: compacting an agent's context by summary
 * (extra_config.compacting "summarize", pipelit-engine.md 7.5;
 * doc/agents.md "Summarising").
 *
 * When the context (thread and input) grows past compacting_trigger % of
 * the model's window, the oldest messages, all but the newest
 * compacting_keep (and all that trimming would drop), are summarised by
 * one model call and replaced by one "system" message holding the
 * summary.  The summary lists the ids of the messages it replaces
 * (data.additional_kwargs.summary_of) and joins the memory thread like
 * any other message; the thread keeps the messages themselves (the chat
 * history still shows them), and agent_thread_view() leaves out what a
 * summary covers, so the next turn starts from the summary and does not
 * summarise the same messages again.  A later summary covers the earlier
 * one (it is among the oldest messages), so one summary is ever sent.
 *
 * Pure: no I/O.
 */
#ifndef PIPELIT_NODES_AGENT_SUMMARY_H
#define PIPELIT_NODES_AGENT_SUMMARY_H

#include <stddef.h>

#include <jansson.h>

#define AGENT_COMPACTING_TRIGGER_DEFAULT 70   /* % of the context window */
#define AGENT_COMPACTING_KEEP_DEFAULT 20      /* messages kept as they are */

/* 1 when m is a summary made by compacting. */
int agent_is_summary(const json_t *m);

/* The thread as the model sees it (new reference): the newest summary
 * first, then, in order, every message that no summary of the thread
 * covers; the older summaries are left out (the newest covers them). */
json_t *agent_thread_view(const json_t *thread);

/*
 * Which messages of context to summarise, when its estimate passes
 * trigger_tokens: pick[i] is set for each (pick has room for every
 * message).  Kept: the newest keep messages, cut further to what trimming
 * to budget_tokens keeps, from a human message on; the system prompt's
 * fallback message and system messages other than summaries.  Returns
 * how many picked messages are not earlier summaries: 0 means nothing new
 * to summarise (the context then is only trimmed).
 */
size_t agent_summary_pick(const json_t *context, long trigger_tokens, long budget_tokens,
			  int keep, unsigned char *pick);

/* The system prompt of the summary call. */
const char *agent_summary_prompt(void);

/* The summary call's messages (new reference): one human message holding
 * the picked messages as a transcript, its oldest part cut when it would
 * pass max_tokens (estimated). */
json_t *agent_summary_request(const json_t *context, const unsigned char *pick, long max_tokens);

/* The summary message (new reference): type "system", id, the summary's
 * text under a fixed heading, the ids of the picked messages in
 * additional_kwargs.summary_of and timestamp (ISO 8601) there too. */
json_t *agent_summary_message(const char *text, const char *id, const json_t *context,
			      const unsigned char *pick, const char *timestamp);

#endif
