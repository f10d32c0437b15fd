/* users.c: /api/v1/users/: self-service (/users/me...) for every user,
 * administration of users and their keys for admins. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api/create.h"
#include "db/db.h"
#include "http/answer.h"
#include "http/password_gate.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "crypto/crypto.h"
#include "model/api_key.h"
#include "model/user.h"
#include "password_check.h"

#define PASSWORD_MIN 8
#define PERSON_NAME_MAX 150

static const char *const roles[] = { "admin", "normal", NULL };

/* ---- shared answers ---------------------------------------------------- */

static int
answer_user(struct req *r, struct db *db, int64_t id)
{
	json_t *out = user_to_json(db, id);
	if (out == NULL)
		return resp_db_error(r, db, "user");
	return resp_json(r, 200, out);
}

/* 0 when the user exists, otherwise answered (404 or 500). */
static int
require_user(struct req *r, struct db *db, int64_t id)
{
	struct user u;
	int rc = user_find_by_id(db, id, &u);
	if (rc < 0)
		return resp_db_error(r, db, "user lookup"), -1;
	if (rc > 0)
		return resp_error(r, 404, "User not found."), -1;
	return 0;
}

/* ---- user changes ------------------------------------------------------- */

/* The fields a PATCH may carry.  password_hash is set by hash_password()
 * and owned by the struct. */
struct user_patch {
	const char *password;
	const char *current_password;   /* /users/me: proof for a new password */
	struct user_changes changes;
	char *password_hash;
};

static void
validate_patch(struct validator *v, json_t *body, int with_role, struct user_patch *p)
{
	memset(p, 0, sizeof(*p));
	p->changes.keep_key_id = -1;
	v_string(v, body, "password", 0, PASSWORD_MIN, 0, &p->password);
	v_string(v, body, "first_name", 0, 0, PERSON_NAME_MAX, &p->changes.first_name);
	v_string(v, body, "last_name", 0, 0, PERSON_NAME_MAX, &p->changes.last_name);
	if (with_role)
		v_literal(v, body, "role", 0, roles, &p->changes.role);
}

/* Argon2id before any transaction opens: it takes a while.  0, 1 when the
 * request has been answered (no password slot free), -1 on failure. */
static int
hash_password(struct req *r, struct user_patch *p)
{
	if (p->password == NULL)
		return 0;
	int rc = password_gate_hash(r, p->password, &p->password_hash);
	p->changes.password_hash = p->password_hash;
	return rc;
}

/* Applies a validated patch and answers UserOut. */
static int
apply_patch(struct req *r, struct db *db, int64_t id, struct user_patch *p)
{
	int hashed = hash_password(r, p);
	if (hashed > 0)
		return 0;
	if (hashed < 0)
		return resp_error(r, 500, "Internal Server Error");
	int rc = user_update(db, id, &p->changes);
	free(p->password_hash);
	p->password_hash = NULL;
	switch (rc) {
	case 0:
		return answer_user(r, db, id);
	case 1:
		return resp_error(r, 404, "User not found.");
	case 2:
		return resp_error(r, 409, "Cannot demote the last admin user.");
	default:
		return resp_db_error(r, db, "user update");
	}
}

/* ---- keys --------------------------------------------------------------- */

struct key_request {
	const char *name;
	int64_t expires_at;   /* epoch seconds, -1 for none */
};

static void
validate_key_request(struct validator *v, json_t *body, struct key_request *k)
{
	k->name = NULL;
	k->expires_at = -1;
	v_string(v, body, "name", 1, 0, API_KEY_NAME_MAX, &k->name);
	v_datetime(v, body, "expires_at", 0, &k->expires_at);
}

struct key_create_args {
	int64_t user_id;
	const struct key_request *k;
};

/* In the create's transaction: the key and its APIKeyCreatedOut.  The
 * secret is shown once and never stored, so a replay of the request's
 * Idempotency-Key answers 409 naming the key instead (doc/errors.md). */
static int
create_key_and_render(struct db *db, void *arg, struct idem_answer *out)
{
	struct key_create_args *a = arg;
	char token[API_KEY_TOKEN_LEN + 1];
	json_t *key = api_key_create(db, a->user_id, a->k->name, a->k->expires_at, token);
	if (key == NULL)
		return DB_FAILED;
	json_int_t id = json_integer_value(json_object_get(key, "id"));
	out->status = 201;
	out->body = jw_dump(key, &out->len);
	json_decref(key);
	out->replay_status = 409;
	char *detail = xasprintf("This Idempotency-Key already created API key %lld (\"%s\"); its "
				 "secret was shown once and is not stored.", (long long)id, a->k->name);
	json_t *replay = json_pack("{s:s}", "detail", detail);
	free(detail);
	out->replay_body = replay ? jw_dump(replay, NULL) : NULL;
	json_decref(replay);
	return 0;
}

static int
answer_key_failure(struct req *r, struct db *db, int rc, void *arg)
{
	return resp_db_error(r, db, "api key create");
}

static int
create_key(struct req *r, struct db *db, int64_t user_id, const struct key_request *k)
{
	if (k->expires_at >= 0 && k->expires_at <= (int64_t)time(NULL))
		return resp_error(r, 400, "expires_at must be in the future.");
	static const struct create_ops ops = { create_key_and_render, answer_key_failure, NULL };
	struct key_create_args a = { user_id, k };
	return api_create(r, db, &ops, &a);
}

static int
list_keys(struct req *r, struct db *db, int64_t user_id)
{
	json_t *list = api_key_list_json(db, user_id);
	if (list == NULL)
		return resp_db_error(r, db, "api key list");
	return resp_json(r, 200, list);
}

static int
revoke_key(struct req *r, struct db *db, int64_t user_id, int64_t key_id)
{
	int rc = api_key_revoke(db, user_id, key_id);
	if (rc < 0)
		return resp_db_error(r, db, "api key revoke");
	if (rc > 0)
		return resp_error(r, 404, "API key not found.");
	return resp_empty(r, 204);
}

/* ---- self-service -------------------------------------------------------- */

int
api_users_me_get(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	return db ? answer_user(r, db, r->user.id) : 0;
}

static const struct password_refusal change_refusal = {
	400, "Current password is incorrect.", "password change"
};

/*
 * A new password needs the current one (a session left open on a shared
 * machine must not be enough to take the account over), and ends the
 * user's other sessions; the caller's own key and the named API keys stay.
 * The check is throttled like a login.
 */
int
api_users_me_patch(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	struct user_patch p = { 0 };
	if (v_body_object(&v, body) > 0) {
		validate_patch(&v, body, 0, &p);
		v_string(&v, body, "current_password", p.password != NULL, 0, 0,
			 &p.current_password);
	}
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	if (p.password != NULL) {
		struct user u;
		struct client_addr client;
		if (password_check(r, db, r->user.username, p.current_password, &change_refusal, &u,
				   &client) != 0)
			return 0;
		p.changes.end_sessions = 1;
		p.changes.keep_key_id = r->key_id;
	}
	return apply_patch(r, db, r->user.id, &p);
}

int
api_users_me_keys_list(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	return db ? list_keys(r, db, r->user.id) : 0;
}

int
api_users_me_keys_create(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	struct key_request k = { 0 };
	if (v_body_object(&v, body) > 0)
		validate_key_request(&v, body, &k);
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct db *db = req_db_or_answer(r);
	return db ? create_key(r, db, r->user.id, &k) : 0;
}

int
api_users_me_keys_delete(struct req *r)
{
	int64_t key_id = 0;
	if (req_path_int(r, "key_id", &key_id) != 0)
		return 0;
	struct db *db = req_db_or_answer(r);
	return db ? revoke_key(r, db, r->user.id, key_id) : 0;
}

/* ---- administration ---------------------------------------------------- */

int
api_users_create(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	struct user_new u = { .role = "normal" };
	const char *password = NULL;
	if (v_body_object(&v, body) > 0) {
		v_string(&v, body, "username", 1, 1, USER_NAME_MAX, &u.username);
		v_string(&v, body, "password", 1, PASSWORD_MIN, 0, &password);
		v_literal(&v, body, "role", 0, roles, &u.role);
		v_string(&v, body, "first_name", 0, 0, PERSON_NAME_MAX, &u.first_name);
		v_string(&v, body, "last_name", 0, 0, PERSON_NAME_MAX, &u.last_name);
	}
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	char *hash;   /* owned here */
	int hashed = password_gate_hash(r, password, &hash);
	if (hashed != 0)
		return hashed > 0 ? 0 : resp_error(r, 500, "Internal Server Error");
	u.password_hash = hash;
	int64_t id = 0;
	int rc = user_create(db, &u, &id);
	free(hash);
	if (rc > 0)
		return resp_error(r, 409, "Username already exists.");
	if (rc < 0)
		return resp_db_error(r, db, "user create");
	json_t *out = user_to_json(db, id);
	if (out == NULL)
		return resp_db_error(r, db, "user create");
	log_info("user %lld created by user %lld", (long long)id, (long long)r->user.id);
	return resp_json(r, 201, out);
}

int
api_users_list(struct req *r)
{
	int64_t offset, limit;
	if (req_query_page(r, &limit, &offset) != 0)
		return 0;
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *out = user_list_json(db, offset, limit);
	if (out == NULL)
		return resp_db_error(r, db, "user list");
	return resp_json(r, 200, out);
}

/* Parses {user_id} into v; the caller checks v_failed(). */
static int64_t
path_user_id(struct req *r, struct validator *v)
{
	int64_t id = 0;
	v_path_int(v, "user_id", req_param(r, "user_id"), &id);
	return id;
}

int
api_users_get(struct req *r)
{
	int64_t id = 0;
	if (req_path_int(r, "user_id", &id) != 0)
		return 0;
	struct db *db = req_db_or_answer(r);
	if (db == NULL || require_user(r, db, id) != 0)
		return 0;
	return answer_user(r, db, id);
}

int
api_users_patch(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	int64_t id = path_user_id(r, &v);
	struct user_patch p = { 0 };
	if (v_body_object(&v, body) > 0)
		validate_patch(&v, body, 1, &p);
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct db *db = req_db_or_answer(r);
	if (db == NULL || require_user(r, db, id) != 0)
		return 0;
	if (p.password != NULL) {
		/* An admin reset: the account may be compromised, so every session
		 * and every named key of the user ends (the admin's own key stays
		 * when they reset their own password here). */
		p.changes.end_sessions = 1;
		p.changes.revoke_named_keys = 1;
		p.changes.keep_key_id = id == r->user.id ? r->key_id : -1;
	}
	return apply_patch(r, db, id, &p);
}

int
api_users_delete(struct req *r)
{
	int64_t id = 0;
	if (req_path_int(r, "user_id", &id) != 0)
		return 0;
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	switch (user_delete(db, id)) {
	case 0:
		break;
	case 1:
		return resp_error(r, 404, "User not found.");
	case 2:
		return resp_error(r, 409, "Cannot delete the last admin user.");
	default:
		return resp_db_error(r, db, "user delete");
	}
	log_info("user %lld deleted by user %lld", (long long)id, (long long)r->user.id);
	return resp_empty(r, 204);
}

int
api_users_keys_create(struct req *r)
{
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	int64_t id = path_user_id(r, &v);
	struct key_request k = { 0 };
	if (v_body_object(&v, body) > 0)
		validate_key_request(&v, body, &k);
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct db *db = req_db_or_answer(r);
	if (db == NULL || require_user(r, db, id) != 0)
		return 0;
	return create_key(r, db, id, &k);
}

int
api_users_keys_list(struct req *r)
{
	int64_t id = 0;
	if (req_path_int(r, "user_id", &id) != 0)
		return 0;
	struct db *db = req_db_or_answer(r);
	if (db == NULL || require_user(r, db, id) != 0)
		return 0;
	return list_keys(r, db, id);
}

int
api_users_keys_delete(struct req *r)
{
	struct validator v;
	v_init(&v, NULL);
	int64_t id = path_user_id(r, &v), key_id = 0;
	v_path_int(&v, "key_id", req_param(r, "key_id"), &key_id);
	if (v_failed(&v))
		return resp_invalid(r, &v);
	struct db *db = req_db_or_answer(r);
	if (db == NULL || require_user(r, db, id) != 0)
		return 0;
	return revoke_key(r, db, id, key_id);
}
