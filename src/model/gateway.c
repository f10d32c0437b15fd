/* gateway.c: see gateway.h. */
#include "gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/xalloc.h"

static char *
dup_column(struct db_stmt *st, int col)
{
	const char *s = db_column_text(st, col);
	return s ? xstrdup(s) : NULL;
}

/* Runs st (bound) to its end: 0 or DB_FAILED. */
static int
run(struct db_stmt *st)
{
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : DB_FAILED;
}

/* --- the outbox ------------------------------------------------------------- */

int
outbox_add(struct db *db, const char *execution_id, const char *credential_id,
	   const char *chat_id, const char *text, int64_t now_ms)
{
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return db_abandon(db);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO gateway_outbox (execution_id, credential_id, chat_id, text, due_ms, "
		"created_ms) VALUES (?, ?, ?, ?, ?, ?)");
	int rc = DB_FAILED;
	if (st != NULL) {
		if (execution_id)
			db_bind_text(st, 1, execution_id, -1);
		else
			db_bind_null(st, 1);
		db_bind_text(st, 2, credential_id, -1);
		db_bind_text(st, 3, chat_id, -1);
		db_bind_text(st, 4, text, -1);
		db_bind_int64(st, 5, now_ms);
		db_bind_int64(st, 6, now_ms);
		rc = run(st);
	}
	if (!own)
		return rc;
	if (rc != 0 || db_commit(db) != 0)
		return db_abandon(db);
	return 0;
}

void
outbox_msg_clear(struct outbox_msg *m)
{
	free(m->credential_id);
	free(m->chat_id);
	free(m->text);
	memset(m, 0, sizeof *m);
}

/* The earliest due row, taken: as the job claim (model/job.c), one row by
 * its index; PostgreSQL skips a row another executor is claiming. */
#define CLAIM_SQL(lock) \
	"UPDATE gateway_outbox SET lease_owner = ?, due_ms = ?, attempts = attempts + 1 " \
	"WHERE id = (SELECT id FROM gateway_outbox WHERE due_ms <= ? ORDER BY due_ms, id " \
	"LIMIT 1" lock ") RETURNING id, execution_id, credential_id, chat_id, text, attempts"

static int claim_one(struct db *db, const char *owner, int64_t now_ms, int64_t lease_ms,
		     struct outbox_msg *out);

int
outbox_claim(struct db *db, const char *owner, int64_t now_ms, int64_t lease_ms,
	     struct outbox_msg *out)
{
	memset(out, 0, sizeof *out);
	/* Not durable, as a job's claim: a claim lost to a power cut only
	 * means the message is claimed again. */
	if (db_set_commit_durable(db, 0) != 0)
		return DB_FAILED;
	int rc = claim_one(db, owner, now_ms, lease_ms, out);
	db_set_commit_durable(db, 1);
	return rc;
}

static int
claim_one(struct db *db, const char *owner, int64_t now_ms, int64_t lease_ms,
	  struct outbox_msg *out)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	struct db_stmt *st = db_prepare(db, db_backend_of(db) == DB_POSTGRES
					    ? CLAIM_SQL(" FOR UPDATE SKIP LOCKED") : CLAIM_SQL(""));
	if (st == NULL)
		return db_abandon(db);
	db_bind_text(st, 1, owner, -1);
	db_bind_int64(st, 2, now_ms + lease_ms);
	db_bind_int64(st, 3, now_ms);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		out->id = db_column_int64(st, 0);
		const char *eid = db_column_text(st, 1);
		snprintf(out->execution_id, sizeof out->execution_id, "%s", eid ? eid : "");
		out->credential_id = dup_column(st, 2);
		out->chat_id = dup_column(st, 3);
		out->text = dup_column(st, 4);
		out->attempt = (int)db_column_int64(st, 5);
	}
	db_reset(st);
	if (rc == DB_ERROR) {
		outbox_msg_clear(out);
		return db_abandon(db);
	}
	if (rc != DB_ROW) {
		db_rollback(db);
		return 1;
	}
	if (db_commit(db) != 0) {
		outbox_msg_clear(out);
		return db_abandon(db);
	}
	return 0;
}

/* Runs one change to a claimed row in a short write transaction of its
 * own.  Not durable: a change lost to a power cut sends a message again,
 * which at-least-once allows. */
static int
change_claimed(struct db *db, const char *sql, int64_t id, const char *owner, int64_t due_ms)
{
	if (db_set_commit_durable(db, 0) != 0 || db_begin_write(db) != 0)
		return db_abandon(db);
	struct db_stmt *st = db_prepare(db, sql);
	int rc = DB_FAILED;
	if (st != NULL) {
		int i = 1;
		if (due_ms >= 0)
			db_bind_int64(st, i++, due_ms);
		db_bind_int64(st, i++, id);
		db_bind_text(st, i, owner, -1);
		rc = run(st);
	}
	if (rc != 0 || db_commit(db) != 0)
		rc = db_abandon(db);
	db_set_commit_durable(db, 1);
	return rc;
}

int
outbox_delete(struct db *db, int64_t id, const char *owner)
{
	return change_claimed(db, "DELETE FROM gateway_outbox WHERE id = ? AND lease_owner = ?",
			      id, owner, -1);
}

int
outbox_retry(struct db *db, int64_t id, const char *owner, int64_t due_ms)
{
	return change_claimed(db, "UPDATE gateway_outbox SET due_ms = ?, lease_owner = NULL "
			      "WHERE id = ? AND lease_owner = ?", id, owner, due_ms);
}

int
outbox_give_back(struct db *db, const char *owner, int64_t due_ms)
{
	struct db_stmt *st = db_prepare(db, "UPDATE gateway_outbox SET due_ms = ?, "
				       "lease_owner = NULL WHERE lease_owner = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, due_ms);
	db_bind_text(st, 2, owner, -1);
	return run(st);
}

int
outbox_next_due(struct db *db, int64_t *due_ms)
{
	/* 0 with *due_ms, 1 when nothing waits, DB_FAILED: db_query_int64's own results. */
	return db_query_int64(db,
		"SELECT due_ms FROM gateway_outbox ORDER BY due_ms LIMIT 1", due_ms);
}

/* --- people writing through the gateway --------------------------------------- */

/* 1 found (*id set), 0 none, DB_FAILED. */
static int
profile_find(struct db *db, const char *external_id, int64_t *id)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id FROM user_profiles WHERE external_user_id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, external_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*id = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : DB_FAILED;
}

/* Inserts the profile unless a row with its external id or username is
 * there already (two first messages at once: one insert wins). */
static int
profile_insert(struct db *db, const char *external_id, const char *username,
	       const char *display_name)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO user_profiles (username, password_hash, first_name, external_user_id) "
		"VALUES (?, '', ?, ?) ON CONFLICT DO NOTHING");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, username, -1);
	db_bind_text(st, 2, display_name ? display_name : "", -1);
	db_bind_text(st, 3, external_id, -1);
	return run(st);
}

int
gateway_profile(struct db *db, const char *external_id, const char *display_name, int64_t *id)
{
	int rc = profile_find(db, external_id, id);
	/* The readable username when it fits and is free; else one nobody
	 * can have chosen. */
	for (int round = 0; rc == 0 && round < 2; round++) {
		char hex[33];
		crypto_random_hex(hex, 16);
		char *username = round == 0 && strlen(external_id) <= 140
			? xasprintf("gateway:%s", external_id) : xasprintf("gateway:%s", hex);
		rc = profile_insert(db, external_id, username, display_name);
		free(username);
		if (rc == 0)
			rc = profile_find(db, external_id, id);
	}
	return rc == 1 ? 0 : DB_FAILED;
}

/* --- confirmation commands -------------------------------------------------------- */

void
gateway_task_clear(struct gateway_task *t)
{
	free(t->chat_id);
	free(t->credential_id);
	memset(t, 0, sizeof *t);
}

int
gateway_task_find(struct db *db, const char *task_id, struct gateway_task *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_prepare(db,
		"SELECT execution_id, chat_id, credential_id FROM pending_tasks WHERE task_id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, task_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		const char *eid = db_column_text(st, 0);
		snprintf(out->execution_id, sizeof out->execution_id, "%s", eid ? eid : "");
		out->chat_id = dup_column(st, 1);
		out->credential_id = dup_column(st, 2);
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : DB_FAILED;
}
