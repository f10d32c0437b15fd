/*
 * chat_history.c: GET and DELETE /api/v1/workflows/{slug}/chat/history
 * (pipelit-api.md 3.8; doc/memory.md): the caller's conversation with a
 * workflow, the thread "<user_profile_id>:<workflow_id>" of the
 * conversation store.  Reading never creates the store's file; a thread
 * that is missing or cannot be read is an empty history, as in Pipelit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "checkpoints/cstore.h"
#include "db/db.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "llm/llm.h"
#include "model/workflow.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define NOT_FOUND "Workflow not found."
#define BAD_BEFORE "Invalid 'before' datetime format. Use ISO 8601 (e.g. 2026-01-01T00:00:00Z)."
#define DELETE_FAILED "Failed to delete chat history."
#define THREAD_ID_MAX 48
#define DEFAULT_LIMIT 10
/* The id the agent gives its copy of the system prompt (pipelit-engine.md
 * 4.2): instructions, not something the user said. */
#define SYSTEM_PROMPT_ID "system_prompt_fallback"

/* The caller's thread with the workflow of the path: 0, or -1 answered. */
static int
thread_of(struct req *r, struct db *db, char out[THREAD_ID_MAX])
{
	struct workflow wf;
	int rc = workflow_get(db, req_param(r, "slug"),
			      r->user.is_admin ? WF_ANY_OWNER : r->user.id, &wf);
	if (rc == WF_NOT_FOUND)
		return resp_error(r, 404, NOT_FOUND), -1;
	if (rc != WF_OK)
		return resp_db_error(r, db, "chat history"), -1;
	snprintf(out, THREAD_ID_MAX, "%lld:%lld", (long long)r->user.id, (long long)wf.id);
	workflow_free(&wf);
	return 0;
}

/*
 * A message's time as the API writes it: additional_kwargs.timestamp
 * (a "+00:00" suffix written "Z"), else response_metadata.created (epoch
 * seconds), else NULL (the caller then uses the previous message's).
 */
static char *
message_time(const json_t *data)
{
	const char *ts = json_string_value(
		json_object_get(json_object_get(data, "additional_kwargs"), "timestamp"));
	if (ts != NULL && *ts != '\0') {
		size_t n = strlen(ts);
		if (n > 6 && strcmp(ts + n - 6, "+00:00") == 0)
			return xasprintf("%.*sZ", (int)(n - 6), ts);
		return xstrdup(ts);
	}
	json_t *created = json_object_get(json_object_get(data, "response_metadata"), "created");
	if (json_is_number(created)) {
		char db_time[TIME_DB_LEN], iso[TIME_ISO_LEN];
		time_epoch_to_db((int64_t)json_number_value(created), db_time);
		if (time_db_to_iso(db_time, iso) == 0)
			return xstrdup(iso);
	}
	return NULL;
}

/* ISO-8601 text as microseconds since the epoch: 0, or -1 when it is not. */
static int
iso_to_us(const char *s, int64_t *us)
{
	int64_t epoch;
	if (s == NULL || time_iso_parse(s, &epoch) != 0)
		return -1;
	/* time_iso_parse keeps whole seconds: the fraction, if any, is read
	 * here, so "strictly earlier" holds within a second too. */
	int64_t frac = 0;
	const char *t = strpbrk(s, "Tt ");
	const char *dot = t ? strchr(t, '.') : NULL;
	if (dot != NULL) {
		int digits = 0;
		for (const char *p = dot + 1; *p >= '0' && *p <= '9'; p++)
			if (digits < 6) {
				frac = frac * 10 + (*p - '0');
				digits++;
			}
		for (; digits < 6; digits++)
			frac *= 10;
	}
	*us = epoch * 1000000 + frac;
	return 0;
}

/* The thread's messages as the history shows them: human messages as
 * "user", AI messages with text as "assistant", nothing else.  The text is
 * what the model reads (llm_message_text(): text blocks joined with a
 * line break). */
static json_t *
history_of(const json_t *messages)
{
	json_t *out = json_array();
	char *previous = NULL;
	size_t i;
	json_t *m;
	json_array_foreach(messages, i, m) {
		const char *type = json_string_value(json_object_get(m, "type"));
		json_t *data = json_object_get(m, "data");
		char *ts = message_time(data);
		if (ts == NULL && previous != NULL)
			ts = xstrdup(previous);
		if (ts != NULL) {
			free(previous);
			previous = xstrdup(ts);
		}
		const char *id = json_string_value(json_object_get(data, "id"));
		const char *role = NULL;
		char *text = NULL;
		if (type != NULL && strcmp(type, "human") == 0 &&
		    !(id != NULL && strcmp(id, SYSTEM_PROMPT_ID) == 0)) {
			role = "user";
			text = llm_message_text(m);
		} else if (type != NULL && strcmp(type, "ai") == 0) {
			text = llm_message_text(m);
			role = *text != '\0' ? "assistant" : NULL;
		}
		if (role != NULL)
			json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "role", role, "text",
							     text, "timestamp",
							     ts ? json_string(ts) : json_null()));
		free(text);
		free(ts);
	}
	free(previous);
	return out;
}

/* Keeps the messages strictly earlier than before (those without a time stay). */
static json_t *
earlier_than(json_t *history, int64_t before_us)
{
	json_t *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(history, i, m) {
		int64_t us;
		const char *ts = json_string_value(json_object_get(m, "timestamp"));
		if (ts == NULL || iso_to_us(ts, &us) != 0 || us < before_us)
			json_array_append(out, m);
	}
	json_decref(history);
	return out;
}

int
chat_history_get(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct validator v;
	int64_t limit = DEFAULT_LIMIT;
	v_init(&v, NULL);
	/* 0 is every message (Pipelit: any limit <= 0); a negative limit is a
	 * 422 like on every list route (DESIGN.md, "Values"). */
	v_query_int(&v, "limit", req_query(r, "limit"), 0, 1000, &limit);
	if (v_failed(&v))
		return resp_invalid(r, &v);
	v_free(&v);
	const char *before = req_query(r, "before");
	int64_t before_us = 0;
	if (before != NULL && iso_to_us(before, &before_us) != 0)
		return resp_error(r, 400, BAD_BEFORE);
	char thread[THREAD_ID_MAX];
	if (thread_of(r, db, thread) != 0)
		return 0;

	struct cstore *cs = cstore_open(r->cfg, db);
	char *err = NULL;
	json_t *messages = cstore_thread_load(cs, thread, 0, &err);
	if (messages == NULL) {
		/* Pipelit answers an unreadable thread as an empty one. */
		log_warn("chat history of thread %s: %s", thread, err ? err : "unknown error");
		messages = json_array();
	}
	free(err);
	cstore_close(cs);

	json_t *history = history_of(messages);
	json_decref(messages);
	if (before != NULL)
		history = earlier_than(history, before_us);
	size_t n = json_array_size(history);
	int has_more = limit > 0 && (int64_t)n > limit;
	if (has_more) {
		json_t *last = json_array();
		for (size_t i = n - (size_t)limit; i < n; i++)
			json_array_append(last, json_array_get(history, i));
		json_decref(history);
		history = last;
	}
	return resp_json(r, 200, json_pack("{s:o, s:s, s:b}", "messages", history, "thread_id",
					   thread, "has_more", has_more));
}

int
chat_history_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	char thread[THREAD_ID_MAX];
	if (thread_of(r, db, thread) != 0)
		return 0;
	struct cstore *cs = cstore_open(r->cfg, db);
	char *err = NULL;
	int rc = cstore_thread_delete(cs, thread, &err) == 0
			 ? resp_empty(r, 204) : api_cstore_failed(r, cs, err, DELETE_FAILED);
	free(err);
	cstore_close(cs);
	return rc;
}
