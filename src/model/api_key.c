/* api_key.c: see api_key.h.  The only SQL for api_keys. */
#include "api_key.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "model/user.h"
#include "util/log.h"
#include "util/timefmt.h"

/* A key is marked used at most this often (seconds). */
#define LAST_USED_GRANULARITY 60

static const char SQL_AUTH[] =
	"SELECT k.id, k.is_active, k.expires_at, k.last_used_at, "
	"u.id, u.username, u.role, u.mfa_enabled, u.is_active, k.is_session, k.created_at "
	"FROM api_keys k LEFT JOIN user_profiles u ON u.id = k.user_id "
	"WHERE k.key_hash = ?";

static const char SQL_TOUCH[] =
	"UPDATE api_keys SET last_used_at = ? "
	"WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)";

/* True when a stored expiry lies at or before now (naive values are UTC). */
static int
is_expired(const char *expires_at, int64_t now)
{
	int64_t epoch;
	int micros;
	if (expires_at == NULL)
		return 0;
	if (time_db_to_epoch(expires_at, &epoch, &micros) != 0)
		return 1;   /* an unreadable expiry is not trusted */
	return epoch < now || (epoch == now && micros == 0);
}

/* How stale last_used_at may get: a minute, or a quarter of the idle limit
 * when that is shorter, so the mark never makes a used session look idle. */
static int64_t
touch_granularity(int64_t idle_seconds)
{
	int64_t g = idle_seconds / 4;
	return g < 1 ? 1 : g > LAST_USED_GRANULARITY ? LAST_USED_GRANULARITY : g;
}

static int
needs_touch(const char *last_used_at, int64_t now, int64_t granularity)
{
	int64_t epoch;
	if (last_used_at == NULL || time_db_to_epoch(last_used_at, &epoch, NULL) != 0)
		return 1;
	return epoch <= now - granularity;
}

/* A session key whose last use (or its login, before any use) lies
 * idle_seconds or more in the past. */
static int
session_is_idle(const char *last_used_at, const char *created_at, int64_t now,
		int64_t idle_seconds)
{
	int64_t epoch;
	const char *last = last_used_at != NULL ? last_used_at : created_at;
	if (last == NULL || time_db_to_epoch(last, &epoch, NULL) != 0)
		return 1;   /* an unreadable time is not trusted */
	return now - epoch >= idle_seconds;
}

/* Best effort: a failure to record the use never fails the request.  0
 * when the mark was written, -1 when not. */
static int
touch_key(struct db *db, int64_t key_id, int64_t now, int64_t granularity)
{
	char stamp[TIME_DB_LEN], cutoff[TIME_DB_LEN];
	time_now_db(stamp);
	time_epoch_to_db(now - granularity, cutoff);
	struct db_stmt *st = db_prepare(db, SQL_TOUCH);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, stamp, -1);
	db_bind_int64(st, 2, key_id);
	db_bind_text(st, 3, cutoff, -1);
	int rc = db_step(st);
	if (rc == DB_ERROR)
		log_warn("api key %lld: last_used_at not updated: %s", (long long)key_id,
			 db_errmsg(db));
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

/* Until when (epoch seconds) the row's verdict stands unread, but for a
 * revocation: its expiry, and the next mark of its use, which the idle
 * limit of a session comes after (touch_granularity).  0 when the
 * verdict must be read every time. */
static int64_t
verdict_until(const char *expires_at, int64_t marked_at, int64_t granularity)
{
	int64_t until = marked_at + granularity, epoch;
	if (expires_at != NULL) {
		if (time_db_to_epoch(expires_at, &epoch, NULL) != 0)
			return 0;
		if (epoch < until)
			until = epoch;
	}
	return until;
}

static void
copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

enum api_key_status
api_key_authenticate(struct db *db, const char *hash_hex, int64_t now,
		     int64_t session_idle_seconds, struct user *user,
		     struct api_key_caller *caller, int64_t *stands_until)
{
	int64_t granularity = touch_granularity(session_idle_seconds);
	struct db_stmt *st = db_prepare(db, SQL_AUTH);
	if (st == NULL)
		return API_KEY_DB_ERROR;
	db_bind_text(st, 1, hash_hex, -1);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? API_KEY_UNKNOWN : API_KEY_DB_ERROR;
	}
	enum api_key_status status = API_KEY_OK;
	int64_t key_id = db_column_int64(st, 0), marked_at = 0;
	int touch = 0;
	if (stands_until != NULL)
		*stands_until = 0;
	if (!db_column_bool(st, 1))
		status = API_KEY_REVOKED;
	else if (is_expired(db_column_text(st, 2), now))
		status = API_KEY_EXPIRED;
	else if (db_column_is_null(st, 4) || !db_column_bool(st, 8))
		status = API_KEY_NO_USER;
	else if (db_column_bool(st, 9) &&
		 session_is_idle(db_column_text(st, 3), db_column_text(st, 10), now,
				 session_idle_seconds))
		status = API_KEY_EXPIRED;
	else {
		touch = needs_touch(db_column_text(st, 3), now, granularity);
		if (touch || time_db_to_epoch(db_column_text(st, 3), &marked_at, NULL) != 0)
			marked_at = now;
		if (stands_until != NULL)
			*stands_until = verdict_until(db_column_text(st, 2), marked_at, granularity);
		caller->key_id = key_id;
		caller->is_session = db_column_bool(st, 9);
		user->id = db_column_int64(st, 4);
		copy_text(user->username, sizeof(user->username), db_column_text(st, 5));
		copy_text(user->role, sizeof(user->role), db_column_text(st, 6));
		user->mfa_enabled = db_column_bool(st, 7);
		user->is_admin = strcmp(user->role, "admin") == 0;
	}
	db_reset(st);
	if (touch && touch_key(db, key_id, now, granularity) != 0 && stands_until != NULL)
		*stands_until = 0;   /* not marked: read it again next time */
	return status;
}

int
api_key_still_stands(struct db *db, const char *hash_hex, int64_t user_id, const char *role)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 WHERE " API_KEY_STILL_STANDS_SQL);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, hash_hex, -1);
	db_bind_int64(st, 2, user_id);
	db_bind_text(st, 3, role, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

/* APIKeyOut from a row of SQL_LIST's columns. */
static json_t *
key_row_to_json(struct db_stmt *st)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:b}", "id",
			 (json_int_t)db_column_int64(st, 0), "name", db_column_text(st, 1),
			 "prefix", db_column_text(st, 2), "created_at",
			 time_db_to_json(db_column_text(st, 3)), "last_used_at",
			 time_db_to_json(db_column_text(st, 4)), "expires_at",
			 time_db_to_json(db_column_text(st, 5)), "is_active",
			 db_column_bool(st, 6));
}

json_t *
api_key_list_json(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, name, prefix, created_at, last_used_at, "
					    "expires_at, is_active FROM api_keys WHERE user_id = ? "
					    "ORDER BY created_at DESC, id DESC");
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, user_id);
	json_t *list = json_array();
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(list, key_row_to_json(st));
	db_reset(st);
	if (rc == DB_ERROR) {
		json_decref(list);
		return NULL;
	}
	return list;
}

/* Runs an INSERT ... RETURNING id to completion; the id, or -1. */
static int64_t
insert_returning_id(struct db_stmt *st)
{
	int64_t id = -1;
	if (db_step(st) == DB_ROW) {
		id = db_column_int64(st, 0);
		while (db_step(st) == DB_ROW)
			;
	}
	db_reset(st);
	return id;
}

json_t *
api_key_create(struct db *db, int64_t user_id, const char *name, int64_t expires_at,
	       char token[API_KEY_TOKEN_LEN + 1])
{
	char hash[API_KEY_HASH_HEX_LEN + 1], prefix[API_KEY_PREFIX_LEN + 1];
	char created[TIME_DB_LEN], expires[TIME_DB_LEN];
	api_key_generate(token, hash);
	snprintf(prefix, sizeof(prefix), "%s", token);
	time_now_db(created);
	if (expires_at >= 0)
		time_epoch_to_db(expires_at, expires);
	struct db_stmt *st = db_prepare(db, "INSERT INTO api_keys (user_id, key_hash, name, "
					    "prefix, created_at, expires_at, is_active) "
					    "VALUES (?, ?, ?, ?, ?, ?, TRUE) RETURNING id");
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, hash, -1);
	db_bind_text(st, 3, name, -1);
	db_bind_text(st, 4, prefix, -1);
	db_bind_text(st, 5, created, -1);
	db_bind_text(st, 6, expires_at >= 0 ? expires : NULL, -1);
	int64_t id = insert_returning_id(st);
	if (id < 0)
		return NULL;
	return json_pack("{s:I, s:s, s:s, s:o, s:n, s:o, s:b, s:s}", "id", (json_int_t)id,
			 "name", name, "prefix", prefix, "created_at", time_db_to_json(created),
			 "last_used_at", "expires_at",
			 expires_at >= 0 ? time_db_to_json(expires) : json_null(), "is_active", 1,
			 "key", token);
}

/* Deactivates the keys an UPDATE selects by up to two ids.  Returns the
 * number of keys changed, or -1 on a database error. */
static int64_t
deactivate(struct db *db, const char *where, int nids, int64_t id1, int64_t id2)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE api_keys SET is_active = FALSE WHERE %s", where);
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id1);
	if (nids > 1)
		db_bind_int64(st, 2, id2);
	int rc = db_step(st);
	int64_t changed = rc == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	return rc == DB_ERROR ? -1 : changed;
}

int
api_key_revoke(struct db *db, int64_t user_id, int64_t key_id)
{
	int64_t n = deactivate(db, "id = ? AND user_id = ?", 2, key_id, user_id);
	return n < 0 ? -1 : n > 0 ? 0 : 1;
}

int
api_key_revoke_all(struct db *db, int64_t user_id)
{
	return deactivate(db, "user_id = ?", 1, user_id, 0) < 0 ? -1 : 0;
}

int
api_key_revoke_all_but(struct db *db, int64_t user_id, int64_t keep_key_id)
{
	return deactivate(db, "user_id = ? AND id <> ?", 2, user_id, keep_key_id) < 0 ? -1 : 0;
}

int
api_key_revoke_sessions(struct db *db, int64_t user_id, int64_t keep_key_id)
{
	return deactivate(db, "user_id = ? AND is_session = TRUE AND id <> ?", 2, user_id,
			  keep_key_id) < 0 ? -1 : 0;
}

int
api_key_end_session(struct db *db, int64_t key_id)
{
	int64_t n = deactivate(db, "id = ? AND is_session = TRUE", 1, key_id, 0);
	return n < 0 ? -1 : n > 0 ? 0 : 1;
}

/* The columns a login gives the session key: its token, and a lifetime
 * that starts now. */
struct session_row {
	const char *hash, *prefix;
	char created[TIME_DB_LEN], expires[TIME_DB_LEN];
};

/* Inside a transaction: new token and lifetime for the session key.
 * 1 updated, 0 the user has none, -1 error. */
static int
refresh_session_row(struct db *db, int64_t user_id, const struct session_row *k)
{
	struct db_stmt *st = db_prepare(db, "UPDATE api_keys SET key_hash = ?, prefix = ?, "
					    "is_active = TRUE, created_at = ?, expires_at = ?, "
					    "last_used_at = NULL WHERE id = (SELECT MIN(id) FROM "
					    "api_keys WHERE user_id = ? AND is_session = TRUE)");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, k->hash, -1);
	db_bind_text(st, 2, k->prefix, -1);
	db_bind_text(st, 3, k->created, -1);
	db_bind_text(st, 4, k->expires, -1);
	db_bind_int64(st, 5, user_id);
	int rc = db_step(st);
	int64_t changed = rc == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	if (rc == DB_ERROR)
		return -1;
	return changed > 0;
}

static int
insert_session_row(struct db *db, int64_t user_id, const struct session_row *k)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO api_keys (user_id, key_hash, name, "
					    "prefix, created_at, expires_at, is_active, is_session) "
					    "VALUES (?, ?, ?, ?, ?, ?, TRUE, TRUE) RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, k->hash, -1);
	db_bind_text(st, 3, API_KEY_SESSION_NAME, -1);
	db_bind_text(st, 4, k->prefix, -1);
	db_bind_text(st, 5, k->created, -1);
	db_bind_text(st, 6, k->expires, -1);
	return insert_returning_id(st) < 0 ? -1 : 0;
}

int
api_key_rotate_session(struct db *db, int64_t user_id, int64_t max_seconds,
		       char token[API_KEY_TOKEN_LEN + 1])
{
	char hash[API_KEY_HASH_HEX_LEN + 1], prefix[API_KEY_PREFIX_LEN + 1];
	api_key_generate(token, hash);
	snprintf(prefix, sizeof(prefix), "%s", token);
	struct session_row k = { .hash = hash, .prefix = prefix };
	time_now_db(k.created);
	int64_t now;
	time_db_to_epoch(k.created, &now, NULL);
	time_epoch_to_db(now + max_seconds, k.expires);
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return -1;
	int rc = refresh_session_row(db, user_id, &k);
	if (rc == 0)
		rc = insert_session_row(db, user_id, &k);
	if (!own)
		return rc < 0 ? -1 : 0;
	if (rc < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db) == 0 ? 0 : -1;
}
