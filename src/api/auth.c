/* auth.c: /api/v1/auth/: login, logout, who am I, and the first-run setup. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "db/db.h"
#include "http/answer.h"
#include "http/password_gate.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "util/log.h"
#include "crypto/crypto.h"
#include "model/api_key.h"
#include "model/mfa_grant.h"
#include "model/user.h"
#include "password_check.h"
#include "util/config.h"

#define PASSWORD_MIN 8

static int
answer_key(struct req *r, const char *token)
{
	return resp_json(r, 200, json_pack("{s:s, s:b}", "key", token, "requires_mfa", 0));
}

static const struct password_refusal login_refusal = { 401, "Invalid credentials.", "login" };

/* The password step passed for an MFA user: no key yet, but a grant the
 * code step needs (model/mfa_grant.h), and its token for clients that
 * carry it.  Pipelit's answer plus "mfa_token". */
static int
answer_mfa_required(struct req *r, struct db *db, const struct user *u,
		    const struct client_addr *client)
{
	char token[MFA_GRANT_TOKEN_LEN + 1];
	int64_t now = (int64_t)time(NULL);
	if (mfa_grant_issue(db, u->id, client->text, now, now + r->cfg->mfa_grant_seconds,
			    token) != 0)
		return resp_db_error(r, db, "login: mfa grant");
	json_t *body = json_pack("{s:s, s:b, s:s}", "key", "", "requires_mfa", 1, "mfa_token",
				 token);
	sodium_memzero(token, sizeof(token));
	return resp_json(r, 200, body);
}

int
api_auth_token(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	const char *username = NULL, *password = NULL;
	if (v_body_object(&v, body) > 0) {
		v_string(&v, body, "username", 1, 0, 0, &username);
		v_string(&v, body, "password", 1, 0, 0, &password);
	}
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct user u;
	struct client_addr client;
	if (password_check(r, db, username, password, &login_refusal, &u, &client) != 0)
		return 0;
	if (u.mfa_enabled)
		return answer_mfa_required(r, db, &u, &client);
	char token[API_KEY_TOKEN_LEN + 1];
	if (api_key_rotate_session(db, u.id, r->cfg->session_max_seconds, token) != 0)
		return resp_db_error(r, db, "login: session key");
	log_info("user %lld logged in from %s", (long long)u.id, client.text);
	int rc = answer_key(r, token);
	sodium_memzero(token, sizeof(token));
	return rc;
}

/* Ends the session the request came with.  A named API key is not a
 * session: it is revoked with DELETE /users/me/keys/{id}, never by a
 * logout that a script may send without thinking. */
int
api_auth_logout(struct req *r)
{
	if (!r->key_is_session)
		return resp_error(r, 400, "Not a session key: revoke an API key with "
					  "DELETE /api/v1/users/me/keys/{key_id}.");
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	if (api_key_end_session(db, r->key_id) < 0)
		return resp_db_error(r, db, "logout");
	log_info("user %lld logged out", (long long)r->user.id);
	return resp_empty(r, 204);
}

int
api_auth_me(struct req *r)
{
	return resp_json(r, 200, json_pack("{s:s, s:b}", "username", r->user.username,
					   "mfa_enabled", r->user.mfa_enabled));
}

int
api_auth_setup_status(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	int64_t n;
	if (user_count(db, &n) != 0)
		return resp_db_error(r, db, "setup-status");
	return resp_json(r, 200, json_pack("{s:b, s:n}", "needs_setup", n == 0, "environment"));
}

/* The optional settings the old setup wizard took; checked, not stored
 * (the configuration lives in the environment and .env). */
static void
validate_setup_extras(struct validator *v, json_t *body)
{
	static const char *const levels[] = { "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL",
					      NULL };
	static const char *const optional[] = { "sandbox_mode", "database_url", "redis_url",
						"platform_base_url" };
	const char *s;
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		v_string(v, body, optional[i], 0, 0, 0, &s);
	v_literal(v, body, "log_level", 0, levels, &s);
}

/* 0 when no user exists yet, 1 when one does, -1 on error.  A cheap
 * early answer: the decision that counts is made again in the insert's
 * transaction. */
static int
setup_done(struct db *db)
{
	int64_t n;
	if (user_count(db, &n) != 0)
		return -1;
	return n > 0;
}

int
api_auth_setup(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	struct user_new u = { .role = "admin" };
	const char *password = NULL;
	if (v_body_object(&v, body) > 0) {
		v_string(&v, body, "username", 1, 1, USER_NAME_MAX, &u.username);
		v_string(&v, body, "password", 1, PASSWORD_MIN, 0, &password);
		validate_setup_extras(&v, body);
	}
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	int rc = setup_done(db);
	if (rc < 0)
		return resp_db_error(r, db, "setup");
	if (rc > 0)
		return resp_error(r, 409, "Setup already completed.");
	char *hash;   /* owned here */
	int hashed = password_gate_hash(r, password, &hash);
	if (hashed != 0)
		return hashed > 0 ? 0 : resp_error(r, 500, "Internal Server Error");
	u.password_hash = hash;
	int64_t id;
	char token[API_KEY_TOKEN_LEN + 1];
	rc = user_create_first(db, &u, r->cfg->session_max_seconds, &id, token);
	free(hash);
	if (rc < 0)
		return resp_db_error(r, db, "setup");
	if (rc > 0)
		return resp_error(r, 409, "Setup already completed.");
	log_info("setup: first admin user %lld created", (long long)id);
	return answer_key(r, token);
}
