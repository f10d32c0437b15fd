/*
 * test_agent_summary.c: compacting by summary (nodes/agent_summary.c):
 * which messages are summarised, the summary message, and the thread as
 * the model sees it once summaries are in it.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "nodes/agent.h"
#include "nodes/agent_summary.h"

static json_t *
msg(const char *type, const char *id, const char *text)
{
	return json_pack("{s:s, s:{s:s, s:s}}", "type", type, "data", "content", text, "id", id);
}

static const char *
id_at(const json_t *messages, size_t i)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(messages, i), "data"),
						 "id"));
}

/* fallback, then n exchanges of about 104 + 5 tokens: h1 a1 h2 a2 ... */
static json_t *
conversation(int n)
{
	char big[401], id[16];
	memset(big, 'x', 400);
	big[400] = '\0';
	json_t *c = json_array();
	json_array_append_new(c, msg("human", "system_prompt_fallback", "[System instructions]"));
	for (int i = 1; i <= n; i++) {
		snprintf(id, sizeof id, "h%d", i);
		json_array_append_new(c, msg("human", id, big));
		snprintf(id, sizeof id, "a%d", i);
		json_array_append_new(c, msg("ai", id, "ok"));
	}
	return c;
}

static void
test_pick(void)
{
	json_t *c = conversation(4);             /* about 445 tokens */
	unsigned char pick[9];
	is_int(agent_summary_pick(c, 1000, 2000, 3, pick), 0, "under the trigger: nothing");
	is_int(agent_summary_pick(c, 300, 2000, 4, pick), 4, "past it: the four oldest messages");
	ok(!pick[0], "never the system prompt's fallback");
	ok(pick[1] && pick[4] && !pick[5] && !pick[8], "h1..a2 go, h3 on stays (keep 4)");
	is_int(agent_summary_pick(c, 300, 250, 20, pick), 4,
	       "trimming's budget cuts the kept tail further");
	ok(pick[4] && !pick[5], "to what fits 250 tokens");

	json_t *s = agent_summary_message("they talked", "s1", c, pick, "2026-01-01T00:00:00+00:00");
	ok(agent_is_summary(s), "the summary is recognised");
	json_t *req = agent_summary_request(c, pick, 100000);
	const char *text = json_string_value(json_object_get(json_object_get(json_array_get(req, 0),
									     "data"), "content"));
	ok(text && strstr(text, "User: xxxx") && strstr(text, "Assistant: ok"),
	   "the request holds the picked messages as a transcript");
	json_decref(req);
	req = agent_summary_request(c, pick, 120);
	text = json_string_value(json_object_get(json_object_get(json_array_get(req, 0), "data"),
						 "content"));
	ok(text && agent_text_tokens(text) <= 130 && strstr(text, "oldest part left out"),
	   "a transcript too long is cut from its oldest part");
	json_decref(req);

	/* The thread once stored: h1..a2, h3, a3, the summary, h4, a4. */
	json_t *thread = json_array();
	for (size_t i = 1; i < json_array_size(c); i++) {
		if (i == 7)
			json_array_append(thread, s);
		json_array_append(thread, json_array_get(c, i));
	}
	json_t *view = agent_thread_view(thread);
	is_int(json_array_size(view), 5, "the view: the summary and what it does not cover");
	is_str(id_at(view, 0), "s1", "the summary first");
	is_str(id_at(view, 1), "h3", "then the kept messages in order");
	is_str(id_at(view, 4), "a4", "up to the newest");

	/* Only the summary is old: nothing new to summarise. */
	json_t *again = json_array();
	json_array_append(again, s);
	for (size_t i = 1; i < json_array_size(view); i++)
		json_array_append(again, json_array_get(view, i));
	unsigned char p2[8];
	is_int(agent_summary_pick(again, 10, 2000, 4, p2), 0,
	       "a summary alone before the kept messages is not summarised again");
	is_int(agent_summary_pick(again, 10, 2000, 2, p2), 2, "newer messages past keep are");
	ok(p2[0], "with the earlier summary folded in");
	json_t *s2 = agent_summary_message("more", "s2", again, p2, "2026-01-01T00:00:01+00:00");
	json_array_append(thread, s2);
	json_decref(view);
	view = agent_thread_view(thread);
	is_str(id_at(view, 0), "s2", "the newest summary replaces the older one");
	is_str(id_at(view, 1), "h4", "and what either covers is left out");
	is_int(json_array_size(view), 3, "s2, h4, a4");
	json_decref(view);
	json_decref(s2);
	json_decref(again);
	json_decref(thread);
	json_decref(s);
	json_decref(c);
}

int
main(void)
{
	test_pick();
	return done_testing();
}
