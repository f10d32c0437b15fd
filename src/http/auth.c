/* auth.c: see auth.h.  This runs before every protected request, so it
 * allocates nothing and asks the database one indexed question (none for
 * a kept key). */
#include "auth.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto/crypto.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "model/api_key.h"
#include "model/key_cache.h"
#include "util/config.h"
#include "util/log.h"

static int
unauthorized(struct req *r, const char *detail)
{
	resp_add_header(r, "WWW-Authenticate", "Bearer");
	resp_error(r, 401, detail);
	return -1;
}

/* The credential of "Bearer <token>" (scheme in any case), or NULL when
 * the header is missing, empty or of another scheme. */
static const char *
bearer_token(const char *header)
{
	if (header == NULL || strncasecmp(header, "bearer ", 7) != 0)
		return NULL;
	const char *token = header + 7;
	return *token != '\0' ? token : NULL;
}

static const char *
status_detail(enum api_key_status status)
{
	switch (status) {
	case API_KEY_REVOKED:
		return "API key has been revoked.";
	case API_KEY_EXPIRED:
		return "API key has expired.";
	case API_KEY_NO_USER:
		return "User not found.";
	default:
		return "Invalid or missing API key.";
	}
}

/* The request has a user (r->user, set already) who came with caller's key. */
static void
set_caller(struct req *r, const struct api_key_caller *caller)
{
	r->has_user = 1;
	r->key_id = caller->key_id;
	r->key_is_session = caller->is_session;
}

/* level AUTH_USER_KEPT: the request goes ahead on the kept key of this
 * hash, if there is one still in its time; 1 when it does. */
static int
use_kept(struct req *r, const char *hash, int64_t now)
{
	const struct kept_key *k = key_cache_find(hash, now);
	if (k == NULL)
		return 0;
	r->user = k->user;
	set_caller(r, &k->caller);
	r->key_unconfirmed = 1;
	memcpy(r->key_hash, hash, sizeof r->key_hash);
	r->extra_len_at_auth = r->extra_len;
	return 1;
}

int
auth_require(struct req *r, enum auth_level level)
{
	const char *token = bearer_token(r->authorization);
	if (token == NULL)
		return unauthorized(r, "Not authenticated");
	char hash[API_KEY_HASH_HEX_LEN + 1];
	api_key_hash(token, hash);
	int64_t now = (int64_t)time(NULL);
	if (level == AUTH_USER_KEPT && use_kept(r, hash, now))
		return 0;
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return -1;
	struct kept_key kept = { .caller = { -1, 0 } };
	enum api_key_status status = api_key_authenticate(db, hash, now,
							  r->cfg->session_idle_seconds, &r->user,
							  &kept.caller, &kept.until);
	if (status == API_KEY_DB_ERROR) {
		resp_db_error(r, db, "authentication");
		return -1;
	}
	if (status != API_KEY_OK)
		return unauthorized(r, status_detail(status));
	set_caller(r, &kept.caller);
	if (level == AUTH_USER_KEPT && now < kept.until) {
		memcpy(kept.hash, hash, sizeof kept.hash);
		kept.user = r->user;
		key_cache_put(&kept);
	}
	if (level == AUTH_ADMIN && !r->user.is_admin) {
		resp_error(r, 403, "Admin access required.");
		return -1;
	}
	return 0;
}

void
auth_kept_key_confirmed(struct req *r)
{
	r->key_unconfirmed = 0;
}

int
auth_confirm_kept(struct req *r)
{
	if (!r->key_unconfirmed)
		return 0;
	r->key_unconfirmed = 0;
	key_cache_forget(r->key_hash);
	return auth_require(r, AUTH_USER);
}

int
auth_answer_may_go(struct req *r)
{
	if (!r->key_unconfirmed)
		return 1;
	/* A refusal of the key is answered with the headers the request had
	 * when it was authenticated, not with the ones meant for this answer. */
	size_t answer_len = r->extra_len;
	r->extra_len = r->extra_len_at_auth;
	if (auth_confirm_kept(r) != 0)
		return 0;
	r->extra_len = answer_len;
	return 1;
}
