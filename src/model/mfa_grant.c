/* mfa_grant.c: see mfa_grant.h.  The only SQL for mfa_login_grants. */
#include "mfa_grant.h"

#include "db/db.h"

static int
run_done(struct db_stmt *st)
{
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

int
mfa_grant_issue(struct db *db, int64_t user_id, const char *client_addr, int64_t now,
		int64_t expires_at, char token[MFA_GRANT_TOKEN_LEN + 1])
{
	char hash[API_KEY_HASH_HEX_LEN + 1];
	api_key_generate(token, hash);
	struct db_stmt *st = db_prepare(db, "DELETE FROM mfa_login_grants WHERE expires_at <= ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	if (run_done(st) != 0)
		return -1;
	st = db_prepare(db, "INSERT INTO mfa_login_grants (user_id, token_hash, client_addr, "
			    "expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
			    "token_hash = excluded.token_hash, client_addr = excluded.client_addr, "
			    "expires_at = excluded.expires_at");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, hash, -1);
	db_bind_text(st, 3, client_addr, -1);
	db_bind_int64(st, 4, expires_at);
	return run_done(st);
}

int
mfa_grant_find_by_token(struct db *db, const char *token, int64_t now, int64_t *user_id)
{
	char hash[API_KEY_HASH_HEX_LEN + 1];
	api_key_hash(token, hash);
	struct db_stmt *st = db_prepare(db, "SELECT user_id FROM mfa_login_grants "
					    "WHERE token_hash = ? AND expires_at > ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, hash, -1);
	db_bind_int64(st, 2, now);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*user_id = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int
mfa_grant_find_for_user(struct db *db, int64_t user_id, const char *client_addr, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM mfa_login_grants WHERE user_id = ? "
					    "AND client_addr = ? AND expires_at > ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_text(st, 2, client_addr, -1);
	db_bind_int64(st, 3, now);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int
mfa_grant_drop(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM mfa_login_grants WHERE user_id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	return run_done(st);
}
