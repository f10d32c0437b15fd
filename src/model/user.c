/* user.c: see user.h.  The only SQL for user_profiles. */
#include "user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "model/schedule.h"
#include "model/api_key.h"
#include "model/mfa_grant.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define USER_COLUMNS "id, username, role, mfa_enabled"

/* The columns of UserOut, key_count last. */
#define USER_OUT_SELECT                                                                   \
	"SELECT u.id, u.username, u.role, u.first_name, u.last_name, u.created_at, "      \
	"u.mfa_enabled, (SELECT COUNT(*) FROM api_keys k WHERE k.user_id = u.id "       \
	"AND k.is_active = TRUE) FROM user_profiles u "

static void
user_from_row(struct db_stmt *st, struct user *out)
{
	const char *name = db_column_text(st, 1), *role = db_column_text(st, 2);
	out->id = db_column_int64(st, 0);
	snprintf(out->username, sizeof(out->username), "%s", name ? name : "");
	snprintf(out->role, sizeof(out->role), "%s", role ? role : "normal");
	out->mfa_enabled = db_column_bool(st, 3);
	out->is_admin = strcmp(out->role, "admin") == 0;
}

/* Steps a lookup prepared with USER_COLUMNS first: 0, 1 no row, -1 error. */
static int
fetch_user(struct db_stmt *st, struct user *out, char **password_hash)
{
	int rc = db_step(st);
	if (rc == DB_ROW) {
		user_from_row(st, out);
		if (password_hash) {
			const char *h = db_column_text(st, 4);
			*password_hash = xstrdup(h ? h : "");
		}
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int
user_find_by_id(struct db *db, int64_t id, struct user *out)
{
	struct db_stmt *st = db_prepare(db, "SELECT " USER_COLUMNS
					    " FROM user_profiles WHERE id = ? AND is_active = TRUE");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	return fetch_user(st, out, NULL);
}

int
user_find_by_username(struct db *db, const char *username, struct user *out)
{
	struct db_stmt *st = db_prepare(db, "SELECT " USER_COLUMNS
					    " FROM user_profiles WHERE username = ? AND is_active = TRUE");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, username, -1);
	return fetch_user(st, out, NULL);
}

int
user_find_login(struct db *db, const char *username, struct user *out, char **password_hash)
{
	struct db_stmt *st = db_prepare(db, "SELECT " USER_COLUMNS
					    ", password_hash FROM user_profiles "
					    "WHERE username = ? AND is_active = TRUE");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, username, -1);
	*password_hash = NULL;
	return fetch_user(st, out, password_hash);
}

static json_t *
user_out_from_row(struct db_stmt *st)
{
	const char *first = db_column_text(st, 3), *last = db_column_text(st, 4);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:b, s:I}", "id",
			 (json_int_t)db_column_int64(st, 0), "username", db_column_text(st, 1),
			 "role", db_column_text(st, 2), "first_name", first ? first : "",
			 "last_name", last ? last : "", "created_at",
			 time_db_to_json(db_column_text(st, 5)), "mfa_enabled",
			 db_column_bool(st, 6), "key_count", (json_int_t)db_column_int64(st, 7));
}

json_t *
user_to_json(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, USER_OUT_SELECT "WHERE u.id = ? AND u.is_active = TRUE");
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, id);
	json_t *out = db_step(st) == DB_ROW ? user_out_from_row(st) : NULL;
	db_reset(st);
	return out;
}

json_t *
user_list_json(struct db *db, int64_t offset, int64_t limit)
{
	int64_t total;
	if (db_query_int64(db, "SELECT COUNT(*) FROM user_profiles WHERE is_active = TRUE",
			   &total) != 0)
		return NULL;
	struct db_stmt *st = db_prepare(db, USER_OUT_SELECT "WHERE u.is_active = TRUE "
					    "ORDER BY u.id LIMIT ? OFFSET ?");
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, limit);
	db_bind_int64(st, 2, offset);
	json_t *users = json_array();
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(users, user_out_from_row(st));
	db_reset(st);
	if (rc == DB_ERROR) {
		json_decref(users);
		return NULL;
	}
	return json_pack("{s:o, s:I}", "users", users, "total", (json_int_t)total);
}

int
user_count(struct db *db, int64_t *n)
{
	return db_query_int64(db, "SELECT COUNT(*) FROM user_profiles", n) == 0 ? 0 : -1;
}

int
user_create(struct db *db, const struct user_new *u, int64_t *id)
{
	char created[TIME_DB_LEN];
	time_now_db(created);
	struct db_stmt *st = db_prepare(db, "INSERT INTO user_profiles (username, password_hash, "
					    "role, first_name, last_name, created_at) "
					    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, u->username, -1);
	db_bind_text(st, 2, u->password_hash, -1);
	db_bind_text(st, 3, u->role, -1);
	db_bind_text(st, 4, u->first_name ? u->first_name : "", -1);
	db_bind_text(st, 5, u->last_name ? u->last_name : "", -1);
	db_bind_text(st, 6, created, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_column_int64(st, 0);
		while ((rc = db_step(st)) == DB_ROW)
			;
	}
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	return db_error_kind(db) == DB_ERR_UNIQUE ? 1 : -1;
}

/* Ends the transaction of user_create_first: the result, or the commit's failure. */
static int
finish(struct db *db, int rc)
{
	if (rc != 0) {
		/* A concurrent setup that won shows up as a unique violation. */
		int kind = db_error_kind(db);
		db_rollback(db);
		return rc == 1 || kind == DB_ERR_UNIQUE ? 1 : -1;
	}
	if (db_commit(db) != 0)
		return db_error_kind(db) == DB_ERR_UNIQUE ? 1 : -1;
	return 0;
}

/*
 * Inside a write transaction: makes decisions over the whole table (is
 * there any user, is there another admin) safe against a concurrent
 * transaction deciding the same.  SQLite's BEGIN IMMEDIATE already holds
 * the one write lock; PostgreSQL needs a table lock that conflicts with
 * itself and with inserts.
 */
static int
lock_users_table(struct db *db)
{
	if (db_backend_of(db) != DB_POSTGRES)
		return 0;
	return db_exec(db, "LOCK TABLE user_profiles IN SHARE ROW EXCLUSIVE MODE");
}

int
user_create_first(struct db *db, const struct user_new *u, int64_t session_max_seconds,
		  int64_t *id, char token[API_KEY_TOKEN_LEN + 1])
{
	if (db_begin_write(db) != 0)
		return -1;
	int64_t n;
	if (lock_users_table(db) != 0 || user_count(db, &n) != 0)
		return finish(db, -1);
	if (n > 0)
		return finish(db, 1);
	int rc = user_create(db, u, id);
	if (rc != 0)
		return finish(db, rc);
	return finish(db, api_key_rotate_session(db, *id, session_max_seconds, token));
}

/* 1 when changing the role of this admin to normal would leave no admin. */
static int
would_remove_last_admin(struct db *db, int64_t id, const char *new_role, int *result)
{
	*result = 0;
	if (new_role == NULL || strcmp(new_role, "admin") == 0)
		return 0;
	struct db_stmt *st = db_prepare(db, "SELECT COUNT(*) FROM user_profiles "
					    "WHERE role = 'admin' AND is_active = TRUE AND id <> ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	int64_t others = -1;
	if (db_step(st) == DB_ROW)
		others = db_column_int64(st, 0);
	db_reset(st);
	if (others < 0)
		return -1;
	*result = others == 0;
	return 0;
}

static int
apply_changes(struct db *db, int64_t id, const struct user_changes *c)
{
	struct db_stmt *st = db_prepare(db, "UPDATE user_profiles SET "
					    "password_hash = COALESCE(CAST(? AS TEXT), password_hash), "
					    "role = COALESCE(CAST(? AS TEXT), role), "
					    "first_name = COALESCE(CAST(? AS TEXT), first_name), "
					    "last_name = COALESCE(CAST(? AS TEXT), last_name) "
					    "WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, c->password_hash, -1);
	db_bind_text(st, 2, c->role, -1);
	db_bind_text(st, 3, c->first_name, -1);
	db_bind_text(st, 4, c->last_name, -1);
	db_bind_int64(st, 5, id);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

static int end_access_after_password_change(struct db *db, int64_t id,
					    const struct user_changes *c);

int
user_update(struct db *db, int64_t id, const struct user_changes *c)
{
	if (db_begin_write(db) != 0)
		return -1;
	struct user u;
	int rc = c->role != NULL ? lock_users_table(db) : 0;
	if (rc == 0)
		rc = user_find_by_id(db, id, &u);
	int last_admin = 0;
	if (rc == 0 && u.is_admin)
		rc = would_remove_last_admin(db, id, c->role, &last_admin);
	if (rc == 0 && last_admin)
		rc = 2;
	if (rc == 0)
		rc = apply_changes(db, id, c);
	if (rc == 0 && c->password_hash != NULL)
		rc = end_access_after_password_change(db, id, c);
	if (rc != 0) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db) == 0 ? 0 : -1;
}

/* In user_update's transaction: what a new password ends. */
static int
end_access_after_password_change(struct db *db, int64_t id, const struct user_changes *c)
{
	if (c->revoke_named_keys)
		return api_key_revoke_all_but(db, id, c->keep_key_id) == 0 ? 0 : -1;
	if (c->end_sessions)
		return api_key_revoke_sessions(db, id, c->keep_key_id) == 0 ? 0 : -1;
	return 0;
}

int
user_owner_is_active(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT is_active FROM user_profiles WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	int rc = db_step(st);
	int active = rc == DB_ROW ? db_column_bool(st, 0) : 0;
	db_reset(st);
	return rc == DB_ERROR ? -1 : active;
}

static int
deactivate(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, "UPDATE user_profiles SET is_active = FALSE "
					    "WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_ERROR || api_key_revoke_all(db, id) != 0 || mfa_grant_drop(db, id) != 0)
		return -1;
	return 0;
}

int
user_delete(struct db *db, int64_t id)
{
	if (db_begin_write(db) != 0)
		return -1;
	struct user u;
	int rc = lock_users_table(db);
	if (rc == 0)
		rc = user_find_by_id(db, id, &u);
	int last_admin = 0;
	if (rc == 0 && u.is_admin)
		rc = would_remove_last_admin(db, id, "normal", &last_admin);
	if (rc == 0 && last_admin)
		rc = 2;
	if (rc == 0)
		rc = deactivate(db, id);
	if (rc == 0 && schedule_delete_for_user(db, id) != SCHED_OK)
		rc = -1;                /* a deleted user's schedules stop */
	if (rc != 0) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db) == 0 ? 0 : -1;
}
