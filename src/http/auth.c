/* auth.c: see auth.h.  This runs before every protected request, so it
 * allocates nothing and asks the database one indexed question. */
#include "auth.h"

#include <strings.h>
#include <time.h>

#include "crypto/crypto.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "model/api_key.h"
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

int
auth_require(struct req *r, enum auth_level level)
{
	const char *token = bearer_token(r->authorization);
	if (token == NULL)
		return unauthorized(r, "Not authenticated");
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return -1;
	char hash[API_KEY_HASH_HEX_LEN + 1];
	api_key_hash(token, hash);
	struct api_key_caller caller = { -1, 0 };
	enum api_key_status status = api_key_authenticate(db, hash, (int64_t)time(NULL),
							  r->cfg->session_idle_seconds, &r->user,
							  &caller);
	if (status == API_KEY_DB_ERROR) {
		resp_db_error(r, db, "authentication");
		return -1;
	}
	if (status != API_KEY_OK)
		return unauthorized(r, status_detail(status));
	r->has_user = 1;
	r->key_id = caller.key_id;
	r->key_is_session = caller.is_session;
	if (level == AUTH_ADMIN && !r->user.is_admin) {
		resp_error(r, 403, "Admin access required.");
		return -1;
	}
	return 0;
}
