/*
 * mfa.c: /api/v1/auth/mfa/..., TOTP two-factor login (pipelit-api.md
 * section 3.2).  Setting up, verifying, disabling and logging in need
 * FIELD_ENCRYPTION_KEY (the secret is stored encrypted); status and reset
 * do not, so a user can always be let back in from the server itself.
 * The code step of a login needs the grant its password step left
 * (model/mfa_grant.h): a code alone never logs anyone in.
 */
#include "api.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/answer.h"
#include "http/field_key.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "http/client_addr.h"
#include "model/mfa.h"
#include "model/mfa_grant.h"
#include "password_check.h"
#include "util/log.h"
#include "util/log_sanitize.h"
#include "util/xalloc.h"

#define INVALID_CODE "Invalid TOTP code."

/* The otpauth:// label carries the username, percent-encoded (RFC 3986). */
static char *
provisioning_uri(const char *username, const char *secret)
{
	static const char hexdigits[] = "0123456789ABCDEF";
	char *label = xmalloc(strlen(username) * 3 + 1);
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)username; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			label[o++] = (char)*p;
		} else {
			label[o++] = '%';
			label[o++] = hexdigits[*p >> 4];
			label[o++] = hexdigits[*p & 15];
		}
	}
	label[o] = '\0';
	char *uri = xasprintf("otpauth://totp/Pipelit:%s?secret=%s&issuer=Pipelit", label, secret);
	free(label);
	return uri;
}

int
api_mfa_setup(struct req *r)
{
	if (r->user.mfa_enabled)
		return resp_error(r, 400, "MFA is already enabled.");
	const struct field_keyring *key = req_field_key(r);
	if (key == NULL)
		return 0;
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;

	char secret[TOTP_SECRET_B32_LEN + 1];
	totp_new_secret(secret);
	char *stored = field_seal(key, MFA_SECRET_COLUMN, r->user.id, secret);
	int rc = mfa_store_secret(db, r->user.id, stored);
	free(stored);
	if (rc != 0) {
		sodium_memzero(secret, sizeof(secret));
		return rc > 0 ? resp_error(r, 400, "MFA is already enabled.") : -1;
	}
	char *uri = provisioning_uri(r->user.username, secret);
	json_t *body = json_pack("{s:s, s:s}", "secret", secret, "provisioning_uri", uri);
	sodium_memzero(secret, sizeof(secret));
	free(uri);
	return resp_json(r, 200, body);
}

/* The body's six-digit "code", or 422. */
static int
read_code_body(struct req *r, const char **code)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	v_digits(&v, body, "code", 1, 6, code);
	if (v_failed(&v)) {
		resp_invalid(r, &v);
		return -1;
	}
	v_free(&v);
	return 0;
}

static enum mfa_result
check_code(struct req *r, const struct field_keyring *key, struct mfa_attempt *a)
{
	struct db *db = req_db(r);
	if (db == NULL)
		return MFA_DB_ERROR;
	struct mfa_limits lim;
	mfa_limits_from_config(r->cfg, &lim);
	a->now = (int64_t)time(NULL);
	return mfa_check_code(db, &lim, key, a);
}

/* A check that failed in the database, answered by its class (503 for a
 * busy database, ...): http/answer.h. */
static int
answer_db_failure(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	return db == NULL ? 0 : resp_db_error(r, db, "mfa");
}

/* The answers verify/ and disable/ share; -2 when the result is MFA_OK. */
static int
answer_failure(struct req *r, enum mfa_result res)
{
	switch (res) {
	case MFA_OK:
		return -2;
	case MFA_BAD_CODE:
		return resp_error(r, 400, INVALID_CODE);
	case MFA_ALREADY_ENABLED:
		return resp_error(r, 400, "MFA is already enabled.");
	case MFA_NOT_SET_UP:
		return resp_error(r, 400, "Call /mfa/setup/ first.");
	case MFA_NOT_ENABLED:
		return resp_error(r, 400, "MFA is not enabled.");
	case MFA_KEY_MISMATCH:
		return resp_field_key_mismatch(r);
	case MFA_DB_ERROR:
		return answer_db_failure(r);
	case MFA_NO_USER:
	case MFA_NO_GRANT:
		break;
	}
	return -1;
}

static int
verify_or_disable(struct req *r, enum mfa_purpose purpose)
{
	const char *code;
	if (read_code_body(r, &code) != 0)
		return 0;
	const struct field_keyring *key = req_field_key(r);
	if (key == NULL)
		return 0;
	struct mfa_attempt a = { .purpose = purpose, .user_id = r->user.id, .code = code };
	int rc = answer_failure(r, check_code(r, key, &a));
	if (rc != -2)
		return rc;
	return resp_json(r, 200, json_pack("{s:b}", "mfa_enabled", purpose == MFA_FOR_ENABLE));
}

int
api_mfa_verify(struct req *r)
{
	return verify_or_disable(r, MFA_FOR_ENABLE);
}

int
api_mfa_disable(struct req *r)
{
	return verify_or_disable(r, MFA_FOR_DISABLE);
}

int
api_mfa_status(struct req *r)
{
	return resp_json(r, 200, json_pack("{s:b}", "mfa_enabled", r->user.mfa_enabled));
}

/* The body of login-verify: {username, code} as Pipelit's frontend sends
 * it, or {mfa_token, code} (username optional then).  0, or -1 after the 422. */
static int
read_login_verify_body(struct req *r, struct mfa_attempt *a)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	if (v_body_object(&v, body) > 0) {
		v_string(&v, body, "mfa_token", 0, 1, MFA_GRANT_TOKEN_LEN * 2, &a->grant_token);
		v_string(&v, body, "username", a->grant_token == NULL, 0, 0, &a->username);
		v_digits(&v, body, "code", 1, 6, &a->code);
	}
	if (v_failed(&v)) {
		resp_invalid(r, &v);
		return -1;
	}
	v_free(&v);
	return 0;
}

int
api_mfa_login_verify(struct req *r)
{
	struct mfa_attempt a = { .purpose = MFA_FOR_LOGIN };
	if (read_login_verify_body(r, &a) != 0)
		return 0;
	const struct field_keyring *key = req_field_key(r);
	if (key == NULL)
		return 0;
	struct client_addr client;
	client_addr_of(r, &client);
	a.client_addr = client.text;
	enum mfa_result res = check_code(r, key, &a);
	switch (res) {
	case MFA_OK: {
		json_t *body = json_pack("{s:s, s:b}", "key", a.session_token, "requires_mfa", 0);
		sodium_memzero(a.session_token, sizeof(a.session_token));
		log_info("login with a TOTP code from %s", client.text);
		return resp_json(r, 200, body);
	}
	case MFA_NO_GRANT:
	case MFA_NO_USER:
	case MFA_NOT_SET_UP:
		/* No password step, no check: the same answer for every name,
		 * with MFA or without, and nothing counted against anyone. */
		return resp_error(r, 401, "Invalid credentials.");
	case MFA_BAD_CODE: {
		char name[LOG_SANITIZE_BUF];
		log_sanitize(a.username ? a.username : "(mfa_token)", name);
		log_warn("login failed: wrong TOTP code for user \"%s\" from %s", name,
			 client.text);
		return resp_error(r, 401, INVALID_CODE);
	}
	case MFA_KEY_MISMATCH:
		return resp_field_key_mismatch(r);
	case MFA_DB_ERROR:
		return answer_db_failure(r);
	default:
		return -1;
	}
}

static const struct password_refusal reset_refusal = { 400, "Invalid password.", "MFA reset" };

/* Loopback only, and with the account's password: a stolen session key
 * alone cannot turn the second factor off, even on the server itself. */
int
api_mfa_reset(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	const char *password = NULL;
	if (v_body_object(&v, body) > 0)
		v_string(&v, body, "password", 1, 0, 0, &password);
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct client_addr client;
	client_addr_of(r, &client);
	if (!client_addr_is_loopback(&client))
		return resp_error(r, 403, "MFA reset only allowed from localhost.");
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct user u;
	if (password_check(r, db, r->user.username, password, &reset_refusal, &u, &client) != 0)
		return 0;
	if (mfa_clear(db, r->user.id) != 0)
		return resp_db_error(r, db, "mfa reset");
	log_info("MFA reset for user %lld from loopback", (long long)r->user.id);
	return resp_json(r, 200, json_pack("{s:b}", "mfa_enabled", 0));
}
