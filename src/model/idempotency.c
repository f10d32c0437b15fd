/* idempotency.c: see idempotency.h. */
#include "idempotency.h"

#include <stdlib.h>
#include <string.h>

#include "model/start_cache.h"
#include "util/xalloc.h"

void
idem_answer_free(struct idem_answer *a)
{
	free(a->body);
	free(a->replay_body);
	memset(a, 0, sizeof(*a));
}

enum lookup_result { KEY_UNUSED, KEY_SAME_REQUEST, KEY_OTHER_REQUEST };

/* What the key was used for within the retention; fills out on
 * KEY_SAME_REQUEST.  -1 when the database failed. */
static int
lookup(struct db *db, const struct idem_request *rq, struct idem_answer *out)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT request_hash, status, body FROM idempotency_keys "
		"WHERE user_id = ? AND idem_key = ? AND created_at >= ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, rq->user_id);
	db_bind_text(st, 2, rq->key, -1);
	db_bind_int64(st, 3, rq->now - IDEM_RETENTION_SECONDS);
	int rc = db_step(st);
	int result = KEY_UNUSED;
	if (rc == DB_ERROR) {
		result = -1;
	} else if (rc == DB_ROW) {
		const char *hash = db_column_text(st, 0);
		if (hash == NULL || strcmp(hash, rq->request_hash) != 0) {
			result = KEY_OTHER_REQUEST;
		} else {
			result = KEY_SAME_REQUEST;
			out->status = (int)db_column_int64(st, 1);
			size_t len;
			const char *body = db_column_text_n(st, 2, &len);
			out->body = xmalloc(len + 1);
			memcpy(out->body, body ? body : "", len);
			out->body[len] = '\0';
			out->len = len;
		}
	}
	db_reset(st);
	return result;
}

/*
 * Claims the key for this request before the create runs: the row goes in
 * first (its answer filled in by fill() before the commit), so a concurrent
 * request with the key waits on it (PostgreSQL's unique index; SQLite's
 * write lock) and then finds it, instead of creating a second object.
 * Records past the retention are cleared first, so the table stays small
 * without a timer and an expired record of the key makes room.
 */
static int
claim(struct db *db, const struct idem_request *rq)
{
	if (idem_prune(db, rq->now) < 0)
		return -1;
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, body, created_at) "
		"VALUES (?, ?, ?, 0, '', ?)");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, rq->user_id);
	db_bind_text(st, 2, rq->key, -1);
	db_bind_text(st, 3, rq->request_hash, -1);
	db_bind_int64(st, 4, rq->now);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* Stores the answer a replay of the key gets. */
static int
fill(struct db *db, const struct idem_request *rq, const struct idem_answer *a)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE idempotency_keys SET status = ?, body = ? WHERE user_id = ? AND idem_key = ?");
	if (st == NULL)
		return -1;
	int replay_own = a->replay_status != 0;
	db_bind_int64(st, 1, replay_own ? a->replay_status : a->status);
	if (replay_own)
		db_bind_text(st, 2, a->replay_body ? a->replay_body : "{}", -1);
	else
		db_bind_text(st, 2, a->body ? a->body : "{}", a->body ? (ptrdiff_t)a->len : 2);
	db_bind_int64(st, 3, rq->user_id);
	db_bind_text(st, 4, rq->key, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

static enum idem_outcome
outcome_of_lookup(int found)
{
	return found == KEY_SAME_REQUEST ? IDEM_REPLAYED : IDEM_KEY_REUSED;
}

/* The key was claimed by a request that committed while we waited:
 * ours is undone, and its answer is ours. */
static enum idem_outcome
answer_as_replay(struct db *db, const struct idem_request *rq, struct idem_answer *out)
{
	db_rollback(db);
	int found = lookup(db, rq, out);
	if (found < 0 || found == KEY_UNUSED)
		return db_abandon(db);
	return outcome_of_lookup(found);
}

/* One transaction of idem_create; *again when it must run once more. */
static enum idem_outcome
create_in_transaction(struct db *db, const struct idem_request *rq, idem_create_fn fn, void *arg,
		      struct idem_answer *out, int *create_rc, int attempt, int *again)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	/* Again under the write lock: another request with the key may have
	 * committed since. */
	int found = rq->key ? lookup(db, rq, out) : KEY_UNUSED;
	if (found < 0)
		return db_abandon(db);
	if (found != KEY_UNUSED) {
		db_rollback(db);
		return outcome_of_lookup(found);
	}
	if (rq->key && claim(db, rq) != 0)
		return db_error_kind(db) == DB_ERR_UNIQUE ? answer_as_replay(db, rq, out)
							  : db_abandon(db);
	out->attempt = attempt;
	out->may_be_stale = 0;
	int rc = fn(db, arg, out);
	if (rc != 0) {
		*again = attempt == 0 && start_cache_was_stale(db, rc, out->may_be_stale);
		if (db_in_transaction(db))
			db_rollback(db);
		idem_answer_free(out);
		*create_rc = rc;
		return IDEM_CREATE_FAILED;
	}
	if ((rq->key && fill(db, rq, out) != 0) || db_commit(db) != 0) {
		/* On PostgreSQL the create's last statements travel with these
		 * round trips: their failure shows here. */
		*again = attempt == 0 && start_cache_was_stale(db, DB_FAILED, out->may_be_stale);
		idem_answer_free(out);
		return db_abandon(db);
	}
	return IDEM_CREATED;
}

enum idem_outcome
idem_create(struct db *db, const struct idem_request *rq, idem_create_fn fn, void *arg,
	    struct idem_answer *out, int *create_rc)
{
	memset(out, 0, sizeof(*out));
	*create_rc = 0;
	if (rq->key == NULL && rq->standalone) {
		int rc = fn(db, arg, out);
		if (rc == 0)
			return IDEM_CREATED;
		idem_answer_free(out);
		*create_rc = rc;
		return IDEM_CREATE_FAILED;
	}
	/* A replay needs no write lock: look first, outside a transaction. */
	int found = rq->key ? lookup(db, rq, out) : KEY_UNUSED;
	if (found < 0)
		return db_abandon(db);
	if (found != KEY_UNUSED)
		return outcome_of_lookup(found);
	for (int attempt = 0;; attempt++) {
		int again = 0;
		int rc = create_in_transaction(db, rq, fn, arg, out, create_rc, attempt, &again);
		if (!again)
			return rc;
	}
}

int64_t
idem_prune(struct db *db, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM idempotency_keys WHERE created_at < ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now - IDEM_RETENTION_SECONDS);
	int rc = db_step(st);
	int64_t n = rc == DB_DONE ? db_changes(st) : -1;
	db_reset(st);
	return n;
}
