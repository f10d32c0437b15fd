/* login_throttle.c: see login_throttle.h.  The only SQL for login_throttle. */
#include "login_throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/config.h"
#include "util/xalloc.h"

#define SCOPE_PAIR "account_address"
#define SCOPE_ACCOUNT "account"
#define SCOPE_ADDRESS "address"

void
login_limits_from_config(const struct config *cfg, struct login_limits *out)
{
	out->max_pair = cfg->login_max_failures;
	out->max_account = cfg->login_account_max_failures;
	out->max_address = cfg->login_address_max_failures;
	out->backoff_seconds = cfg->login_backoff_seconds;
	out->backoff_max_seconds = cfg->login_backoff_max_seconds;
	out->forget_seconds = cfg->login_forget_seconds;
}

void
login_subject_init(struct login_subject *s, const char *username, const char *address)
{
	api_key_hash(username, s->account);
	api_key_hash(address, s->address);
	/* The address first: it holds no newline, so the pair is unambiguous. */
	char *pair = xasprintf("%s\n%s", address, username);
	api_key_hash(pair, s->pair);
	free(pair);
}

int64_t
login_backoff_seconds(const struct login_limits *lim, int64_t limit, int64_t failures)
{
	if (failures < limit)
		return 0;
	int64_t over = failures - limit, wait = lim->backoff_seconds;
	while (over-- > 0 && wait < lim->backoff_max_seconds)
		wait *= 2;
	return wait < lim->backoff_max_seconds ? wait : lim->backoff_max_seconds;
}

int64_t
login_throttle_wait(struct db *db, const struct login_subject *s, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "SELECT MAX(blocked_until) FROM login_throttle "
					    "WHERE (scope = ? AND subject = ?) "
					    "OR (scope = ? AND subject = ?) "
					    "OR (scope = ? AND subject = ?)");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, SCOPE_PAIR, -1);
	db_bind_text(st, 2, s->pair, -1);
	db_bind_text(st, 3, SCOPE_ACCOUNT, -1);
	db_bind_text(st, 4, s->account, -1);
	db_bind_text(st, 5, SCOPE_ADDRESS, -1);
	db_bind_text(st, 6, s->address, -1);
	int rc = db_step(st);
	int64_t until = rc == DB_ROW && !db_column_is_null(st, 0) ? db_column_int64(st, 0) : 0;
	db_reset(st);
	if (rc == DB_ERROR)
		return -1;
	return until > now ? until - now : 0;
}

/* Counts one failure of one counter and blocks it when over its limit. */
static int
count_failure(struct db *db, const struct login_limits *lim, const char *scope,
	      const char *subject, int64_t limit, int64_t now)
{
	struct db_stmt *st = db_prepare(
		db, "INSERT INTO login_throttle (scope, subject, failures, last_failure_at) "
		    "VALUES (?, ?, 1, ?) ON CONFLICT (scope, subject) DO UPDATE SET "
		    "failures = CASE WHEN login_throttle.last_failure_at < ? THEN 1 "
		    "ELSE login_throttle.failures + 1 END, "
		    "last_failure_at = excluded.last_failure_at RETURNING failures");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, scope, -1);
	db_bind_text(st, 2, subject, -1);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, now - lim->forget_seconds);
	int64_t failures = -1;
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		failures = db_column_int64(st, 0);
	db_reset(st);
	if (rc == DB_ERROR || failures < 0)
		return -1;
	int64_t wait = login_backoff_seconds(lim, limit, failures);
	if (wait == 0)
		return 0;
	st = db_prepare(db, "UPDATE login_throttle SET blocked_until = ? "
			    "WHERE scope = ? AND subject = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now + wait);
	db_bind_text(st, 2, scope, -1);
	db_bind_text(st, 3, subject, -1);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

/* Counters nobody has failed for a long time, and no longer blocking. */
static int
forget_old(struct db *db, const struct login_limits *lim, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM login_throttle "
					    "WHERE last_failure_at < ? AND blocked_until < ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now - lim->forget_seconds);
	db_bind_int64(st, 2, now);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

static int
fail_all(struct db *db, const struct login_limits *lim, const struct login_subject *s,
	 int64_t now)
{
	if (count_failure(db, lim, SCOPE_PAIR, s->pair, lim->max_pair, now) != 0 ||
	    count_failure(db, lim, SCOPE_ACCOUNT, s->account, lim->max_account, now) != 0 ||
	    count_failure(db, lim, SCOPE_ADDRESS, s->address, lim->max_address, now) != 0)
		return -1;
	return forget_old(db, lim, now);
}

int
login_throttle_fail(struct db *db, const struct login_limits *lim,
		    const struct login_subject *s, int64_t now)
{
	if (db_in_transaction(db))
		return fail_all(db, lim, s, now);
	if (db_begin_write(db) != 0)
		return -1;
	if (fail_all(db, lim, s, now) != 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db);
}

int
login_throttle_succeed(struct db *db, const struct login_subject *s)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM login_throttle "
					    "WHERE scope = ? AND subject = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, SCOPE_PAIR, -1);
	db_bind_text(st, 2, s->pair, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}
