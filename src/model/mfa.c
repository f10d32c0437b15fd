/* mfa.c: see mfa.h. */
#include "mfa.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "model/api_key.h"
#include "model/mfa_grant.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

void
mfa_limits_from_config(const struct config *cfg, struct mfa_limits *out)
{
	out->window_seconds = cfg->mfa_rate_window_seconds;
	out->max_attempts = cfg->mfa_rate_max_attempts;
	out->lockout_threshold = cfg->mfa_lockout_threshold;
	out->lockout_seconds = cfg->mfa_lockout_seconds;
	out->session_max_seconds = cfg->session_max_seconds;
}

/* A user's MFA columns. */
struct mfa_row {
	int64_t user_id;
	int enabled;
	int active;            /* the user is not deleted */
	char *username;        /* owned */
	char *secret_enc;      /* owned; NULL when none */
	int64_t next_step;     /* totp_last_used_at: the lowest step still accepted; 0 = any */
};

struct throttle {
	int64_t window_started_at;
	int64_t attempts;
	int64_t failures;
	int64_t locked_until;
};

#define MFA_COLUMNS                                                                      \
	"SELECT id, totp_secret, mfa_enabled, totp_last_used_at, is_active, username "  \
	"FROM user_profiles "

/* Runs a prepared MFA_COLUMNS query: 0 found, 1 none, -1 error. */
static int
read_mfa_row(struct db_stmt *st, struct mfa_row *out)
{
	memset(out, 0, sizeof(*out));
	int rc = db_step(st);
	if (rc == DB_ROW) {
		const char *secret = db_column_text(st, 1);
		out->user_id = db_column_int64(st, 0);
		out->secret_enc = secret && *secret ? xstrdup(secret) : NULL;
		out->enabled = db_column_bool(st, 2);
		out->next_step = db_column_is_null(st, 3) ? 0 : db_column_int64(st, 3);
		out->active = db_column_bool(st, 4);
		const char *name = db_column_text(st, 5);
		out->username = xstrdup(name ? name : "");
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

static int
load_mfa_row(struct db *db, int64_t user_id, struct mfa_row *out)
{
	struct db_stmt *st = db_prepare(db, MFA_COLUMNS "WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	return read_mfa_row(st, out);
}

static int
find_user_id(struct db *db, const char *username, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM user_profiles "
					    "WHERE username = ? AND is_active = TRUE");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, username, -1);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*id = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

/* The user a login code is for, through the grant its password step left:
 * 0 with *user_id, 1 no live grant (or no such user), -1 error. */
static int
resolve_login_grant(struct db *db, const struct mfa_attempt *a, int64_t *user_id)
{
	if (a->grant_token != NULL)
		return mfa_grant_find_by_token(db, a->grant_token, a->now, user_id);
	int rc = find_user_id(db, a->username, user_id);
	if (rc != 0)
		return rc;
	return mfa_grant_find_for_user(db, *user_id, a->client_addr, a->now);
}

/* Loads the row the attempt is about: 0, or the result to answer. */
static enum mfa_result
load_attempt_row(struct db *db, const struct mfa_attempt *a, struct mfa_row *row)
{
	int64_t id = a->user_id;
	if (a->purpose == MFA_FOR_LOGIN) {
		int rc = resolve_login_grant(db, a, &id);
		if (rc != 0)
			return rc > 0 ? MFA_NO_GRANT : MFA_DB_ERROR;
	}
	int rc = load_mfa_row(db, id, row);
	if (rc != 0)
		return rc > 0 ? (a->purpose == MFA_FOR_LOGIN ? MFA_NO_GRANT : MFA_NO_USER)
			      : MFA_DB_ERROR;
	/* A token names its user; a username sent beside it must agree. */
	if (a->purpose == MFA_FOR_LOGIN &&
	    (!row->active || (a->username != NULL && strcmp(a->username, row->username) != 0)))
		return MFA_NO_GRANT;
	return MFA_OK;
}

static enum mfa_result
check_preconditions(enum mfa_purpose purpose, const struct mfa_row *row)
{
	switch (purpose) {
	case MFA_FOR_ENABLE:
		if (row->enabled)
			return MFA_ALREADY_ENABLED;
		return row->secret_enc ? MFA_OK : MFA_NOT_SET_UP;
	case MFA_FOR_DISABLE:
		if (!row->enabled)
			return MFA_NOT_ENABLED;
		return MFA_OK;
	case MFA_FOR_LOGIN:
		return row->enabled && row->secret_enc ? MFA_OK : MFA_NOT_SET_UP;
	}
	return MFA_DB_ERROR;
}

static int
load_throttle(struct db *db, int64_t user_id, struct throttle *t)
{
	memset(t, 0, sizeof(*t));
	struct db_stmt *st = db_prepare(db, "SELECT window_started_at, attempts_in_window, "
					    "consecutive_failures, locked_until "
					    "FROM auth_throttle WHERE user_id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		t->window_started_at = db_column_int64(st, 0);
		t->attempts = db_column_int64(st, 1);
		t->failures = db_column_int64(st, 2);
		t->locked_until = db_column_int64(st, 3);
	}
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

static int
save_throttle(struct db *db, int64_t user_id, const struct throttle *t)
{
	struct db_stmt *st = db_prepare(
		db, "INSERT INTO auth_throttle (user_id, window_started_at, attempts_in_window, "
		    "consecutive_failures, locked_until) VALUES (?, ?, ?, ?, ?) "
		    "ON CONFLICT (user_id) DO UPDATE SET "
		    "window_started_at = excluded.window_started_at, "
		    "attempts_in_window = excluded.attempts_in_window, "
		    "consecutive_failures = excluded.consecutive_failures, "
		    "locked_until = excluded.locked_until");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_int64(st, 2, t->window_started_at);
	db_bind_int64(st, 3, t->attempts);
	db_bind_int64(st, 4, t->failures);
	db_bind_int64(st, 5, t->locked_until);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* Counts one attempt; 0 when it may not be checked at all (locked out, or
 * the window's attempts are used up). */
static int
throttle_admit(struct throttle *t, const struct mfa_limits *lim, int64_t now)
{
	if (t->locked_until > now)
		return 0;
	if (now < t->window_started_at || now - t->window_started_at >= lim->window_seconds) {
		t->window_started_at = now;
		t->attempts = 0;
	}
	if (t->attempts >= lim->max_attempts)
		return 0;
	t->attempts++;
	return 1;
}

static void
throttle_record(struct throttle *t, const struct mfa_limits *lim, int64_t now, int success)
{
	if (success) {
		t->failures = 0;
		return;
	}
	if (++t->failures >= lim->lockout_threshold) {
		t->locked_until = now + lim->lockout_seconds;
		t->failures = 0;
		log_warn("TOTP: too many wrong codes; code checks locked for %lld s",
			    (long long)lim->lockout_seconds);
	}
}

/* The code's step when it is right and not replayed, else -1. */
static int64_t
accepted_step(const struct field_keyring *key, const struct mfa_row *row,
	      const char *code, int64_t now, int *key_mismatch)
{
	char *secret = NULL;
	*key_mismatch = 0;
	if (field_open(key, MFA_SECRET_COLUMN, row->user_id, row->secret_enc, &secret) != 0) {
		*key_mismatch = 1;
		return -1;
	}
	int64_t step = totp_match(secret, code, now);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	/* Replay guard: a step at or before the last one accepted is spent. */
	if (step < 0 || step + 1 <= row->next_step)
		return -1;
	return step;
}

static int
set_user_mfa(struct db *db, int64_t user_id, int enabled, int64_t next_step)
{
	struct db_stmt *st = db_prepare(db, "UPDATE user_profiles SET mfa_enabled = ?, "
					    "totp_last_used_at = ? WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_bool(st, 1, enabled);
	db_bind_int64(st, 2, next_step);
	db_bind_int64(st, 3, user_id);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

static int
apply_success(struct db *db, const struct mfa_limits *lim, struct mfa_attempt *a,
	      const struct mfa_row *row, int64_t step)
{
	switch (a->purpose) {
	case MFA_FOR_ENABLE:
		return set_user_mfa(db, row->user_id, 1, step + 1);
	case MFA_FOR_DISABLE:
		return mfa_clear(db, row->user_id);
	case MFA_FOR_LOGIN:
		if (set_user_mfa(db, row->user_id, 1, step + 1) != 0 ||
		    mfa_grant_drop(db, row->user_id) != 0)
			return -1;
		return api_key_rotate_session(db, row->user_id, lim->session_max_seconds,
					      a->session_token);
	}
	return -1;
}

/* The body of mfa_check_code, inside its transaction: 1 commits, 0 rolls back. */
static int
check_in_transaction(struct db *db, const struct mfa_limits *lim,
		     const struct field_keyring *key, struct mfa_attempt *a,
		     struct mfa_row *row, enum mfa_result *result)
{
	if ((*result = load_attempt_row(db, a, row)) != MFA_OK)
		return 0;
	if ((*result = check_preconditions(a->purpose, row)) != MFA_OK)
		return 0;
	if (row->secret_enc == NULL) {
		*result = MFA_BAD_CODE;    /* enabled without a secret: no code can match */
		return 0;
	}

	struct throttle t;
	if (load_throttle(db, row->user_id, &t) != 0) {
		*result = MFA_DB_ERROR;
		return 0;
	}
	if (!throttle_admit(&t, lim, a->now)) {
		*result = MFA_BAD_CODE;
		return save_throttle(db, row->user_id, &t) == 0;
	}
	int mismatch;
	int64_t step = accepted_step(key, row, a->code, a->now, &mismatch);
	if (mismatch) {
		*result = MFA_KEY_MISMATCH;
		return 0;
	}
	throttle_record(&t, lim, a->now, step >= 0);
	if (save_throttle(db, row->user_id, &t) != 0 ||
	    (step >= 0 && apply_success(db, lim, a, row, step) != 0)) {
		*result = MFA_DB_ERROR;
		return 0;
	}
	*result = step >= 0 ? MFA_OK : MFA_BAD_CODE;
	return 1;
}

enum mfa_result
mfa_check_code(struct db *db, const struct mfa_limits *lim,
	       const struct field_keyring *key, struct mfa_attempt *a)
{
	a->session_token[0] = '\0';
	if (db_begin_write(db) != 0)
		return MFA_DB_ERROR;
	struct mfa_row row = { 0 };
	enum mfa_result result;
	int commit = check_in_transaction(db, lim, key, a, &row, &result);
	free(row.secret_enc);
	free(row.username);
	if (!commit) {
		db_rollback(db);
		return result;
	}
	if (db_commit(db) != 0) {
		db_abandon(db);
		sodium_memzero(a->session_token, sizeof(a->session_token));
		return MFA_DB_ERROR;
	}
	return result;
}

int
mfa_store_secret(struct db *db, int64_t user_id, const char *encrypted_secret)
{
	struct db_stmt *st = db_prepare(db, "UPDATE user_profiles SET totp_secret = ?, "
					    "totp_last_used_at = NULL "
					    "WHERE id = ? AND mfa_enabled = FALSE");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, encrypted_secret, -1);
	db_bind_int64(st, 2, user_id);
	int rc = db_step(st);
	int64_t changed = rc == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	if (rc != DB_DONE)
		return -1;
	return changed > 0 ? 0 : 1;
}

static int
clear_statements(struct db *db, int64_t user_id)
{
	static const char *const sql[] = {
		"UPDATE user_profiles SET totp_secret = NULL, mfa_enabled = FALSE, "
		"totp_last_used_at = NULL WHERE id = ?",
		"DELETE FROM auth_throttle WHERE user_id = ?",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		struct db_stmt *st = db_prepare(db, sql[i]);
		if (st == NULL)
			return -1;
		db_bind_int64(st, 1, user_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return -1;
	}
	return 0;
}

int
mfa_clear(struct db *db, int64_t user_id)
{
	if (db_in_transaction(db))
		return clear_statements(db, user_id);
	if (db_begin_write(db) != 0)
		return -1;
	if (clear_statements(db, user_id) != 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db);
}
