/* agent_summary.c: compacting by summary (agent_summary.h). */
#include "nodes/agent_summary.h"

#include <stdlib.h>
#include <string.h>

#include "expr/strbuf.h"
#include "llm/llm.h"
#include "nodes/agent.h"
#include "util/xalloc.h"

#define SUMMARY_OF "summary_of"
#define SUMMARY_HEADING "Summary of the earlier conversation (its messages were condensed " \
			"to save room):\n"
#define FALLBACK_ID "system_prompt_fallback"

static const char *
type_of(const json_t *m)
{
	const char *t = json_string_value(json_object_get(m, "type"));
	return t ? t : "";
}

static const json_t *
data_of(const json_t *m)
{
	return json_object_get(m, "data");
}

static const char *
id_of(const json_t *m)
{
	return json_string_value(json_object_get(data_of(m), "id"));
}

int
agent_is_summary(const json_t *m)
{
	return strcmp(type_of(m), "system") == 0 &&
	       json_is_array(json_object_get(json_object_get(data_of(m), "additional_kwargs"),
					     SUMMARY_OF));
}

/* 1 when some summary of thread lists id. */
static int
covered(const json_t *thread, const char *id)
{
	size_t i, k;
	const json_t *m, *listed;
	if (id == NULL)
		return 0;
	json_array_foreach(thread, i, m) {
		if (!agent_is_summary(m))
			continue;
		json_array_foreach(json_object_get(json_object_get(data_of(m), "additional_kwargs"),
						   SUMMARY_OF), k, listed) {
			const char *s = json_string_value(listed);
			if (s && strcmp(s, id) == 0)
				return 1;
		}
	}
	return 0;
}

json_t *
agent_thread_view(const json_t *thread)
{
	json_t *out = json_array();
	const json_t *newest = NULL;
	size_t i;
	const json_t *m;
	json_array_foreach(thread, i, m)
		if (agent_is_summary(m))
			newest = m;
	if (newest)
		json_array_append(out, (json_t *)newest);
	json_array_foreach(thread, i, m)
		if (!agent_is_summary(m) && !covered(thread, id_of(m)))
			json_array_append(out, (json_t *)m);
	return out;
}

/* Kept whatever happens: instructions, not conversation. */
static int
never_summarised(const json_t *m)
{
	const char *id = id_of(m);
	if (id && strcmp(id, FALLBACK_ID) == 0)
		return 1;
	return strcmp(type_of(m), "system") == 0 && !agent_is_summary(m);
}

size_t
agent_summary_pick(const json_t *context, long trigger_tokens, long budget_tokens, int keep,
		   unsigned char *pick)
{
	size_t n = json_array_size(context);
	memset(pick, 0, n ? n : 1);
	if (agent_estimate_tokens(context, NULL, NULL) <= trigger_tokens)
		return 0;
	/* The kept tail: the newest keep messages, and no more than trimming
	 * would keep. */
	size_t first = (size_t)keep < n ? n - (size_t)keep : 0;
	unsigned char *trim = xcalloc(n ? n : 1, 1);
	agent_trim_keep(context, budget_tokens, trim);
	size_t trimmed_first = n;
	for (size_t i = 0; i < n && trimmed_first == n; i++)
		if (trim[i] && !never_summarised(json_array_get(context, i)) &&
		    !agent_is_summary(json_array_get(context, i)))
			trimmed_first = i;
	free(trim);
	if (trimmed_first > first)
		first = trimmed_first;
	/* It starts at a human message, as a trimmed context does: the next
	 * one, else the one before (trimming then cuts what does not fit). */
	size_t start = first;
	while (first < n && strcmp(type_of(json_array_get(context, first)), "human") != 0)
		first++;
	while (first == n && start > 0) {
		if (strcmp(type_of(json_array_get(context, --start)), "human") == 0)
			first = start;
	}
	if (first == n)
		return 0;                    /* nothing human: nothing to carry on from */
	size_t fresh = 0;
	for (size_t i = 0; i < first; i++) {
		const json_t *m = json_array_get(context, i);
		if (never_summarised(m))
			continue;
		pick[i] = 1;
		if (!agent_is_summary(m))
			fresh++;
	}
	return fresh;
}

const char *
agent_summary_prompt(void)
{
	return "You condense conversations between a user and an assistant so that the assistant "
	       "can carry on without the full text. Write a summary of the transcript you are "
	       "given: the user's goals, requests and preferences; facts, names, figures and "
	       "decisions; what tools returned that still matters; questions still open. Leave "
	       "out greetings and small talk. Write in the language of the conversation, in "
	       "short plain sentences or bullet points, with no preamble. A part marked "
	       "\"Earlier summary\" condenses what came before: fold it in.";
}

/* One message as a transcript entry. */
static void
put_entry(struct strbuf *b, const json_t *m)
{
	char *text = llm_message_text(m);
	const char *type = type_of(m);
	if (b->len > 0)
		strbuf_puts(b, "\n\n");
	if (agent_is_summary(m)) {
		const char *t = text;
		if (strncmp(t, SUMMARY_HEADING, strlen(SUMMARY_HEADING)) == 0)
			t += strlen(SUMMARY_HEADING);
		strbuf_printf(b, "Earlier summary: %s", t);
	} else if (strcmp(type, "human") == 0) {
		strbuf_printf(b, "User: %s", text);
	} else if (strcmp(type, "ai") == 0) {
		strbuf_printf(b, "Assistant: %s", text);
		size_t i;
		const json_t *call;
		json_array_foreach(json_object_get(data_of(m), "tool_calls"), i, call) {
			char *args = json_dumps(json_object_get(call, "args"),
						JSON_COMPACT | JSON_ENCODE_ANY);
			strbuf_printf(b, "\n(called tool %s with %s)",
				      json_string_value(json_object_get(call, "name")) ?: "?",
				      args ? args : "{}");
			free(args);
		}
	} else if (strcmp(type, "tool") == 0) {
		strbuf_printf(b, "Tool result: %s", text);
	} else {
		strbuf_printf(b, "%s: %s", type, text);
	}
	free(text);
}

/* Where to cut text so that what follows is at most max_tokens
 * (agent_text_tokens' count: a quarter for an ASCII byte, one for any
 * other character), at a character's start. */
static size_t
cut_for(const char *text, size_t len, long max_tokens)
{
	long quarters = 0, limit = max_tokens * 4;
	size_t at = len;
	while (at > 0) {
		unsigned char c = (unsigned char)text[at - 1];
		if (c < 0x80)
			quarters += 1;
		else if ((c & 0xC0) != 0x80)
			quarters += 4;
		if (quarters > limit)
			break;
		at--;
	}
	while (at < len && ((unsigned char)text[at] & 0xC0) == 0x80)
		at++;
	return at;
}

json_t *
agent_summary_request(const json_t *context, const unsigned char *pick, long max_tokens)
{
	struct strbuf b;
	strbuf_init(&b, 0);
	size_t i;
	const json_t *m;
	json_array_foreach(context, i, m)
		if (pick[i])
			put_entry(&b, m);
	size_t len = b.len;
	char *transcript = strbuf_take(&b);
	static const char intro[] = "Summarise this conversation:\n\n";
	long room = max_tokens - agent_text_tokens(intro) - 8;
	size_t at = cut_for(transcript, len, room > 0 ? room : 0);
	char *text = xasprintf("%s%s%s", intro, at > 0 ? "[... the oldest part left out]\n" : "",
			       transcript + at);
	free(transcript);
	json_t *out = json_pack("[{s:s, s:{s:s, s:s}}]", "type", "human", "data", "content", text,
				"id", "summary_request");
	free(text);
	return out;
}

json_t *
agent_summary_message(const char *text, const char *id, const json_t *context,
		      const unsigned char *pick, const char *timestamp)
{
	json_t *ids = json_array();
	size_t i;
	const json_t *m;
	json_array_foreach(context, i, m)
		if (pick[i] && id_of(m))
			json_array_append_new(ids, json_string(id_of(m)));
	char *content = xasprintf("%s%s", SUMMARY_HEADING, text);
	json_t *out = json_pack("{s:s, s:{s:s, s:s, s:{s:o, s:s}}}", "type", "system", "data",
				"content", content, "id", id, "additional_kwargs", SUMMARY_OF, ids,
				"timestamp", timestamp);
	free(content);
	return out;
}
