/*
 * mfa.c: /api/v1/auth/mfa/..., TOTP two-factor login (pipelit-api.md
 * section 3.2).  Setting up, verifying, disabling and logging in need
 * FIELD_ENCRYPTION_KEY (the secret is stored encrypted); status and reset
 * do not, so a user can always be let back in from the server itself.
 */
#include "api.h"

#include <fcgiapp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/answer.h"
#include "http/field_key.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/mfa.h"
#include "util/log.h"
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

/* The body's six-digit "code" (and "username" when asked for), or 422. */
static int
read_code_body(struct req *r, const char **username, const char **code)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	if (username != NULL)
		v_string(&v, body, "username", 1, 0, 0, username);
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
		break;
	}
	return -1;
}

static int
verify_or_disable(struct req *r, enum mfa_purpose purpose)
{
	const char *code;
	if (read_code_body(r, NULL, &code) != 0)
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

int
api_mfa_login_verify(struct req *r)
{
	const char *username, *code;
	if (read_code_body(r, &username, &code) != 0)
		return 0;
	const struct field_keyring *key = req_field_key(r);
	if (key == NULL)
		return 0;
	struct mfa_attempt a = { .purpose = MFA_FOR_LOGIN, .username = username, .code = code };
	enum mfa_result res = check_code(r, key, &a);
	switch (res) {
	case MFA_OK: {
		json_t *body = json_pack("{s:s, s:b}", "key", a.session_token, "requires_mfa", 0);
		sodium_memzero(a.session_token, sizeof(a.session_token));
		return resp_json(r, 200, body);
	}
	case MFA_NO_USER:
	case MFA_NOT_SET_UP:
		return resp_error(r, 401, "Invalid credentials.");
	case MFA_BAD_CODE:
		return resp_error(r, 401, INVALID_CODE);
	case MFA_KEY_MISMATCH:
		return resp_field_key_mismatch(r);
	case MFA_DB_ERROR:
		return answer_db_failure(r);
	default:
		return -1;
	}
}

static int
client_is_loopback(struct req *r)
{
	const char *addr = FCGX_GetParam("REMOTE_ADDR", r->fcgi->envp);
	return addr != NULL && (strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0);
}

int
api_mfa_reset(struct req *r)
{
	if (!client_is_loopback(r))
		return resp_error(r, 403, "MFA reset only allowed from localhost.");
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	if (mfa_clear(db, r->user.id) != 0)
		return -1;
	log_info("MFA reset for user %lld from loopback", (long long)r->user.id);
	return resp_json(r, 200, json_pack("{s:b}", "mfa_enabled", 0));
}
