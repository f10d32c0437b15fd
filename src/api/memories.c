/*
 * memories.c: /api/v1/memories/... (pipelit-api.md 3.11; doc/memory.md),
 * every route admin only (the route table says so): the facts, episodes,
 * procedures and memory users of the main database, and the checkpoints
 * of the conversation store, listed newest first and batch-deleted.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "checkpoints/cstore.h"
#include "db/db.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/memory_list.h"
#include "util/log.h"
#include "util/xalloc.h"

static int
answer_page(struct req *r, json_t *items, int64_t total)
{
	return resp_json(r, 200, json_pack("{s:o, s:I}", "items", items, "total",
					   (json_int_t)total));
}

static int
list(struct req *r, enum memory_kind kind, const char *filter1, const char *filter2)
{
	struct db *db = req_db_or_answer(r);
	int64_t limit, offset, total = 0;
	if (db == NULL || req_query_page(r, &limit, &offset) != 0)
		return 0;
	json_t *items = memory_list(db, kind, filter1 ? req_query(r, filter1) : NULL,
				    filter2 ? req_query(r, filter2) : NULL, limit, offset, &total);
	if (items == NULL)
		return resp_db_error(r, db, "memories");
	return answer_page(r, items, total);
}

int
memories_facts_list(struct req *r)
{
	return list(r, MEMORY_FACTS, "scope", "fact_type");
}

int
memories_episodes_list(struct req *r)
{
	return list(r, MEMORY_EPISODES, "agent_id", NULL);
}

int
memories_procedures_list(struct req *r)
{
	return list(r, MEMORY_PROCEDURES, "agent_id", NULL);
}

int
memories_users_list(struct req *r)
{
	return list(r, MEMORY_USERS, NULL, NULL);
}

/*
 * A list of strings at field: required ({ids}) or optional (null and
 * absent are no list).  *out borrows the strings from body (NULL-ended,
 * malloc'd; the caller frees the array).
 */
static void
check_strings(struct validator *v, json_t *body, const char *field, int required,
	      const char ***out, size_t *n)
{
	json_t *list = json_object_get(body, field);
	*out = NULL;
	*n = 0;
	if (list == NULL || json_is_null(list)) {
		if (required)
			v_add(v, V_BODY, field, list ? "list_type" : "missing",
			      list ? "Input should be a valid list" : "Field required",
			      json_incref(list ? list : body), NULL);
		return;
	}
	if (!json_is_array(list)) {
		v_add(v, V_BODY, field, "list_type", "Input should be a valid list",
		      json_incref(list), NULL);
		return;
	}
	*out = xcalloc(json_array_size(list) + 1, sizeof(**out));
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		if (!json_is_string(s)) {
			json_t *loc = json_pack("[s, s, I]", "body", field, (json_int_t)i);
			json_t *item = json_pack("{s:s, s:o, s:s, s:O}", "type", "string_type", "loc",
						 loc, "msg", "Input should be a valid string", "input", s);
			if (v->errors == NULL)
				v->errors = json_array();
			json_array_append_new(v->errors, item);
			continue;
		}
		(*out)[(*n)++] = json_string_value(s);
	}
}

static int
batch_delete(struct req *r, enum memory_kind kind)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	const char **ids = NULL;
	size_t n = 0;
	v_init(&v, body);
	if (v_body_object(&v, body) == 1)
		check_strings(&v, body, "ids", 1, &ids, &n);
	if (v_failed(&v)) {
		free(ids);
		return resp_invalid(r, &v);
	}
	v_free(&v);
	int rc = memory_delete_many(db, kind, ids, n);
	free(ids);
	if (rc != 0)
		return resp_db_error(r, db, "memories");
	return resp_empty(r, 204);
}

int
memories_facts_batch_delete(struct req *r)
{
	return batch_delete(r, MEMORY_FACTS);
}

int
memories_episodes_batch_delete(struct req *r)
{
	return batch_delete(r, MEMORY_EPISODES);
}

int
memories_procedures_batch_delete(struct req *r)
{
	return batch_delete(r, MEMORY_PROCEDURES);
}

int
memories_users_batch_delete(struct req *r)
{
	return batch_delete(r, MEMORY_USERS);
}

/* A failure of the checkpoint store: by its database's error class, or a
 * logged 500 when it was not the database's (the file could not be made). */
int
api_cstore_failed(struct req *r, struct cstore *cs, const char *err, const char *detail)
{
	struct db *failed = cstore_failed_db(cs);
	if (failed != NULL)
		return resp_db_error(r, failed, "checkpoint store");
	log_error("checkpoint store: %s", err ? err : "unknown error");
	return resp_error(r, 500, detail);
}

int
memories_checkpoints_list(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	int64_t limit, offset, total = 0;
	if (db == NULL || req_query_page(r, &limit, &offset) != 0)
		return 0;
	struct cstore *cs = cstore_open(r->cfg, db);
	json_t *items = NULL;
	char *err = NULL;
	int rc = cstore_checkpoints_list(cs, req_query(r, "thread_id"), limit, offset, &items,
					 &total, &err);
	rc = rc == 0 ? answer_page(r, items, total)
		     : api_cstore_failed(r, cs, err, "Failed to list checkpoints.");
	free(err);
	cstore_close(cs);
	return rc;
}

int
memories_checkpoints_batch_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	const char **threads = NULL, **checkpoints = NULL;
	size_t nt = 0, nc = 0;
	v_init(&v, body);
	if (v_body_object(&v, body) == 1) {
		check_strings(&v, body, "thread_ids", 0, &threads, &nt);
		check_strings(&v, body, "checkpoint_ids", 0, &checkpoints, &nc);
	}
	if (v_failed(&v)) {
		free(threads);
		free(checkpoints);
		return resp_invalid(r, &v);
	}
	v_free(&v);
	struct cstore *cs = cstore_open(r->cfg, db);
	char *err = NULL;
	int rc = cstore_delete_many(cs, threads, nt, checkpoints, nc, &err);
	rc = rc == 0 ? resp_empty(r, 204)
		     : api_cstore_failed(r, cs, err, "Failed to delete checkpoints.");
	free(err);
	free(threads);
	free(checkpoints);
	cstore_close(cs);
	return rc;
}

/* Test-only (PIPELIT_TEST_ROUTES=1): appends {messages, source?, step?} to
 * thread_id through the store, as an agent with conversation memory
 * would, so the end-to-end tests can read, list and delete a thread. */
int
api_test_checkpoint_append(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	const char *thread = json_string_value(json_object_get(body, "thread_id"));
	const char *source = json_string_value(json_object_get(body, "source"));
	json_t *step = json_object_get(body, "step");
	if (thread == NULL)
		return resp_error(r, 422, "thread_id is required");
	struct cstore *cs = cstore_open(r->cfg, db);
	char *err = NULL;
	int rc = cstore_thread_append(cs, thread, json_object_get(body, "messages"),
				      source ? source : "loop",
				      json_is_integer(step) ? (int)json_integer_value(step) : 1, &err);
	if (rc != 0 && cstore_failed_db(cs) == NULL)
		rc = resp_error(r, 422, err ? err : "bad messages");
	else
		rc = rc == 0 ? resp_empty(r, 204) : api_cstore_failed(r, cs, err, "append failed");
	free(err);
	cstore_close(cs);
	return rc;
}
