/*
 * credentials.c: /api/v1/credentials/... (pipelit-api.md 3.9).
 *
 * Every route needs FIELD_ENCRYPTION_KEY (a 503 without it) and is scoped:
 * a normal user sees only their own credentials, another user's is a 404.
 * Secrets leave only masked.  There is no message gateway in this
 * project: gateway credentials are stored, but test/ says so and
 * activate/deactivate answer 502.  test/ also checks a SearXNG tool
 * credential (llm/search_probe.h), which Pipelit's did not.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api/create.h"
#include "http/answer.h"
#include "http/field_key.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "llm/probe.h"
#include "llm/search_probe.h"
#include "util/secret_mask.h"
#include "model/credential.h"
#include "net/outbound.h"
#include "net/slots.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define NOT_FOUND "Credential not found."
#define LLM_NOT_FOUND "LLM credential not found."
#define GATEWAY_NOT_FOUND "Gateway credential not found."
#define NO_GATEWAY "no message gateway is configured"
#define HEADERS_MAX 64
#define HEADER_VALUE_MAX 8192
#define JSON_DETAIL_MAX (64 * 1024)

static int64_t
scope_of(const struct req *r)
{
	return r->user.is_admin ? CRED_ANY_OWNER : r->user.id;
}

static int
answer_db_error(struct req *r, struct db *db, int rc)
{
	if (rc == CRED_BAD_KEY)
		return resp_field_key_mismatch(r);
	return resp_db_error(r, db, "credentials");
}

/* --- rendering -------------------------------------------------------------- */

static void
copy_key(json_t *dst, json_t *src, const char *key)
{
	json_t *v = json_object_get(src, key);
	json_object_set_new(dst, key, v ? json_incref(v) : json_string(""));
}

static void
set_masked(json_t *dst, json_t *src, const char *key, int empty_stays_empty)
{
	const char *clear = json_string_value(json_object_get(src, key));
	if (empty_stays_empty && (clear == NULL || *clear == '\0')) {
		json_object_set_new(dst, key, json_string(""));
		return;
	}
	char *mask = secret_mask(clear ? clear : "");
	json_object_set_new(dst, key, json_string(mask));
	free(mask);
}

/* custom_headers with every value masked: headers often carry keys. */
static json_t *
masked_headers(json_t *headers)
{
	json_t *out = json_object(), *value;
	const char *name;
	json_object_foreach(headers, name, value) {
		char *mask = secret_mask(json_string_value(value) ? json_string_value(value) : "");
		json_object_set_new(out, name, json_string(mask));
		free(mask);
	}
	return out;
}

/* The detail of CredentialOut: the type's keys in the spec's order, secrets masked. */
static json_t *
detail_out(const struct credential *c)
{
	json_t *d = c->detail, *out = json_object();
	if (json_object_size(d) == 0)
		return out;
	const char *type = c->credential_type;
	if (strcmp(type, "llm") == 0) {
		copy_key(out, d, "provider_type");
		set_masked(out, d, "api_key", 0);
		copy_key(out, d, "base_url");
		copy_key(out, d, "organization_id");
		json_object_set_new(out, "custom_headers",
				    masked_headers(json_object_get(d, "custom_headers")));
	} else if (strcmp(type, "gateway") == 0) {
		copy_key(out, d, "gateway_credential_id");
		copy_key(out, d, "adapter_type");
	} else if (strcmp(type, "git") == 0) {
		copy_key(out, d, "provider");
		copy_key(out, d, "credential_type");
		copy_key(out, d, "username");
		const char *ssh = json_string_value(json_object_get(d, "ssh_private_key"));
		/* A private key shows no characters at all, not even a few. */
		json_object_set_new(out, "ssh_private_key", json_string(ssh && *ssh ? "****" : ""));
		set_masked(out, d, "access_token", 1);
	} else if (strcmp(type, "tool") == 0) {
		copy_key(out, d, "tool_type");
		copy_key(out, d, "config");
		copy_key(out, d, "is_preferred");
	}
	return out;
}

static json_t *
credential_out(const struct credential *c)
{
	json_t *out = json_object();
	json_object_set_new(out, "id", json_integer(c->id));
	json_object_set_new(out, "name", json_string(c->name));
	json_object_set_new(out, "credential_type", json_string(c->credential_type));
	json_object_set_new(out, "detail", detail_out(c));
	json_object_set_new(out, "created_at", time_db_to_json_or_text(c->created_at));
	json_object_set_new(out, "updated_at", time_db_to_json_or_text(c->updated_at));
	return out;
}

/* --- validation ---------------------------------------------------------------- */

/* Moves src's items into dst, each loc [where, field] becoming
 * [where, parent, field] (or [where, parent, index] for list items). */
static void
move_items(struct validator *dst, struct validator *src, const char *parent, int as_index)
{
	json_t *items = v_take(src), *item;
	size_t i;
	json_array_foreach(items, i, item) {
		json_t *old = json_object_get(item, "loc");
		json_t *loc = json_array();
		json_array_append(loc, json_array_get(old, 0));
		json_array_append_new(loc, json_string(parent));
		for (size_t k = 1; k < json_array_size(old); k++) {
			json_t *part = json_array_get(old, k);
			if (as_index && json_is_string(part))
				json_array_append_new(loc, json_integer(atoll(json_string_value(part))));
			else
				json_array_append(loc, part);
		}
		json_object_set_new(item, "loc", loc);
		if (dst->errors == NULL)
			dst->errors = json_array();
		json_array_append(dst->errors, item);
	}
	json_decref(items);
}

static int
has_ctl_or_colon(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ':')
			return 1;
	return 0;
}

/* custom_headers: names to string values, each fit to send as an HTTP header. */
static void
check_headers(struct validator *v, json_t *headers)
{
	const char *name;
	json_t *value;
	if (json_object_size(headers) > HEADERS_MAX) {
		v_add(v, V_BODY, "custom_headers", "value_error",
		      "Value error, at most 64 custom headers", json_incref(headers),
		      json_pack("{s:{}}", "error"));
		return;
	}
	json_object_foreach(headers, name, value) {
		const char *s = json_string_value(value);
		if (s == NULL) {
			v_add(v, V_BODY, "custom_headers", "string_type",
			      "Input should be a valid string", json_incref(value), NULL);
		} else if (*name == '\0' || has_ctl_or_colon(name) || strpbrk(s, "\r\n") ||
			   strlen(s) > HEADER_VALUE_MAX) {
			v_add(v, V_BODY, "custom_headers", "value_error",
			      "Value error, custom headers need a name without ':' or control "
			      "characters and a value without line breaks",
			      json_incref(headers), json_pack("{s:{}}", "error"));
			return;
		}
	}
}

static void
check_json_size(struct validator *v, const char *key, json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT);
	if (text != NULL && strlen(text) > JSON_DETAIL_MAX)
		v_add(v, V_BODY, key, "value_error", "Value error, the object is too large",
		      json_incref(value), json_pack("{s:{}}", "error"));
	free(text);
}

/* Validates one detail key into clean (a coerced copy). */
static void
check_field(struct validator *v, json_t *detail, const struct cred_field *f, json_t *clean)
{
	const char *s;
	json_t *obj;
	int b;
	switch (f->kind) {
	case CRED_TEXT:
	case CRED_SECRET:
	case CRED_UNSTORED:
		if (v_string(v, detail, f->key, 0, 0, f->max_chars, &s) == 1)
			json_object_set_new(clean, f->key, json_string(s));
		break;
	case CRED_JSON:
	case CRED_UNSTORED_JSON:
	case CRED_HEADERS:
		if (v_object(v, detail, f->key, 0, &obj) != 1)
			break;
		size_t before = v->errors ? json_array_size(v->errors) : 0;
		if (f->kind == CRED_HEADERS)
			check_headers(v, obj);
		else
			check_json_size(v, f->key, obj);
		if ((v->errors ? json_array_size(v->errors) : 0) == before)
			json_object_set(clean, f->key, obj);
		break;
	case CRED_BOOL:
		if (v_bool(v, detail, f->key, 0, &b) == 1)
			json_object_set_new(clean, f->key, json_boolean(b));
		break;
	}
}

/*
 * The "detail" of a body for type: a new object with only the type's
 * keys, coerced, or NULL when detail is absent or null.  Errors go to v
 * with locs under "detail".  Unknown keys are ignored, as for any body.
 */
static json_t *
check_detail(struct validator *v, json_t *body, const char *type)
{
	json_t *detail = NULL;
	if (v_object(v, body, "detail", 0, &detail) != 1)
		return NULL;
	size_t n = 0;
	const struct cred_field *f = type ? credential_fields(type, &n) : NULL;
	struct validator dv;
	v_init(&dv, detail);
	json_t *clean = json_object();
	for (size_t i = 0; f != NULL && i < n; i++)
		check_field(&dv, detail, &f[i], clean);
	move_items(v, &dv, "detail", 0);
	v_free(&dv);
	return clean;
}

/*
 * An update of an LLM credential against what is stored (security review,
 * finding 12):
 * - a new base_url needs the api_key again in the same request, or the
 *   server would send the stored key to a host of the caller's choosing;
 * - a custom header sent back as its mask (what GET answered) keeps the
 *   stored value, so a client that echoes the detail loses nothing.
 */
static void
check_llm_change(struct validator *v, json_t *detail, json_t *stored)
{
	const char *url = json_string_value(json_object_get(detail, "base_url"));
	const char *old = json_string_value(json_object_get(stored, "base_url"));
	if (url != NULL && old != NULL && strcmp(url, old) != 0 &&
	    json_object_get(detail, "api_key") == NULL)
		v_add(v, V_BODY, "detail", "missing",
		      "Field required: changing base_url requires api_key in the same request, "
		      "so the stored key is never sent to a new host",
		      json_incref(detail), NULL);
	json_t *headers = json_object_get(detail, "custom_headers");
	json_t *kept = json_object_get(stored, "custom_headers");
	const char *name;
	json_t *value;
	json_object_foreach(headers, name, value) {
		const char *was = json_string_value(json_object_get(kept, name));
		if (was == NULL)
			continue;
		char *mask = secret_mask(was);
		if (strcmp(json_string_value(value), mask) == 0)
			json_object_set_new(headers, name, json_string(was));
		free(mask);
	}
}

static int
path_id(struct req *r, struct validator *v, int64_t *id)
{
	return v_path_int(v, "credential_id", req_param(r, "credential_id"), id);
}

/* --- common preamble ---------------------------------------------------------- */

/* The key and the database for a credentials request; 0, or -1 when the
 * request has been answered. */
static int
begin(struct req *r, const struct field_keyring **key, struct db **db)
{
	*key = req_field_key(r);
	if (*key == NULL)
		return -1;
	*db = req_db_or_answer(r);
	return *db == NULL ? -1 : 0;
}

/* Loads the credential named by the path, answering 422/404/503/500 when it
 * cannot; 0 when *c is filled (the caller frees it). */
static int
load_from_path(struct req *r, const struct field_keyring *key, struct db *db, struct credential *c)
{
	int64_t id = 0;
	if (req_path_int(r, "credential_id", &id) != 0)
		return -1;
	int rc = credential_get(db, key, id, scope_of(r), c);
	if (rc == CRED_NOT_FOUND)
		return resp_error(r, 404, NOT_FOUND), -1;
	if (rc != CRED_OK)
		return answer_db_error(r, db, rc), -1;
	return 0;
}

static int
answer_credential(struct req *r, int status, struct db *db, const struct field_keyring *key,
		  int64_t id)
{
	struct credential c;
	int rc = credential_get(db, key, id, scope_of(r), &c);
	if (rc == CRED_NOT_FOUND)
		return resp_error(r, 404, NOT_FOUND);
	if (rc != CRED_OK)
		return answer_db_error(r, db, rc);
	json_t *out = credential_out(&c);
	credential_free(&c);
	return resp_json(r, status, out);
}

/* --- handlers ---------------------------------------------------------------------- */

int
credentials_list(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	if (begin(r, &key, &db) != 0)
		return 0;
	int64_t limit, offset;
	if (req_query_page(r, &limit, &offset) != 0)
		return 0;
	struct credential *items;
	size_t n;
	int64_t total;
	int rc = credential_list(db, key, scope_of(r), limit, offset, &items, &n, &total);
	if (rc != CRED_OK)
		return answer_db_error(r, db, rc);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(list, credential_out(&items[i]));
		credential_free(&items[i]);
	}
	free(items);
	return resp_json(r, 200, json_pack("{s:o, s:I}", "items", list, "total", (json_int_t)total));
}

struct create_args {
	struct req *r;
	const struct field_keyring *key;
	const char *name, *type;
	json_t *detail;
};

/* In the create's transaction: the credential, and its CredentialOut. */
static int
create_and_render(struct db *db, void *arg, struct idem_answer *out)
{
	struct create_args *a = arg;
	int64_t id = 0;
	int rc = credential_create(db, a->key, a->r->user.id, a->name, a->type, a->detail, &id);
	struct credential c;
	if (rc == CRED_OK)
		rc = credential_get(db, a->key, id, a->r->user.id, &c);
	if (rc != CRED_OK)
		return rc == CRED_NOT_FOUND ? CRED_DB_ERROR : rc;
	json_t *body = credential_out(&c);
	credential_free(&c);
	out->status = 201;
	out->body = jw_dump(body, &out->len);
	json_decref(body);
	return CRED_OK;
}

static int
answer_create_failure(struct req *r, struct db *db, int rc, void *arg)
{
	return answer_db_error(r, db, rc);
}

int
credentials_create(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	if (begin(r, &key, &db) != 0)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	const char *name = NULL, *type = NULL;
	v_init(&v, body);
	v_body_object(&v, body);
	v_string(&v, body, "name", 1, 0, CRED_NAME_MAX, &name);
	v_literal(&v, body, "credential_type", 1, credential_types, &type);
	json_t *detail = check_detail(&v, body, type);
	if (v_failed(&v)) {
		json_decref(detail);
		int rc = resp_invalid(r, &v);
		v_free(&v);
		return rc;
	}
	v_free(&v);
	static const struct create_ops ops = { create_and_render, answer_create_failure, NULL };
	struct create_args a = { r, key, name, type, detail };
	int rc = api_create(r, db, &ops, &a);
	json_decref(detail);
	return rc;
}

int
credentials_get(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	struct credential c;
	if (begin(r, &key, &db) != 0 || load_from_path(r, key, db, &c) != 0)
		return 0;
	json_t *out = credential_out(&c);
	credential_free(&c);
	return resp_json(r, 200, out);
}

int
credentials_update(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	if (begin(r, &key, &db) != 0)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	int64_t id = 0;
	const char *name = NULL;
	v_init(&v, body);
	path_id(r, &v, &id);
	v_body_object(&v, body);
	v_string(&v, body, "name", 0, 0, CRED_NAME_MAX, &name);
	/* The detail keys allowed depend on the stored type. */
	char type[32] = "";
	struct credential stored = { 0 };
	if (!v_failed(&v)) {
		int rc = credential_get(db, key, id, scope_of(r), &stored);
		if (rc == CRED_NOT_FOUND || rc == CRED_OK)
			snprintf(type, sizeof(type), "%s", rc == CRED_OK ? stored.credential_type : "");
		else {
			v_free(&v);
			return answer_db_error(r, db, rc);
		}
	}
	json_t *detail = check_detail(&v, body, *type ? type : NULL);
	if (detail != NULL && stored.detail != NULL)
		check_llm_change(&v, detail, stored.detail);
	credential_free(&stored);
	if (v_failed(&v)) {
		json_decref(detail);
		int rc = resp_invalid(r, &v);
		v_free(&v);
		return rc;
	}
	v_free(&v);
	int rc = *type ? credential_update(db, key, id, scope_of(r), name, detail) : CRED_NOT_FOUND;
	json_decref(detail);
	if (rc == CRED_NOT_FOUND)
		return resp_error(r, 404, NOT_FOUND);
	if (rc != CRED_OK)
		return answer_db_error(r, db, rc);
	return answer_credential(r, 200, db, key, id);
}

int
credentials_delete(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	if (begin(r, &key, &db) != 0)
		return 0;
	int64_t id = 0;
	if (req_path_int(r, "credential_id", &id) != 0)
		return 0;
	int rc = credential_delete(db, id, scope_of(r));
	if (rc == CRED_NOT_FOUND)
		return resp_error(r, 404, NOT_FOUND);
	if (rc != CRED_OK)
		return answer_db_error(r, db, rc);
	return resp_empty(r, 204);
}

/* ids: a required list of integers (lax: "5" counts). *out is malloc'd. */
static void
check_ids(struct validator *v, json_t *body, int64_t **out, size_t *n)
{
	json_t *ids = json_is_object(body) ? json_object_get(body, "ids") : NULL;
	*out = NULL;
	*n = 0;
	if (ids == NULL) {
		v_add(v, V_BODY, "ids", "missing", "Field required", json_incref(body), NULL);
		return;
	}
	if (!json_is_array(ids)) {
		v_add(v, V_BODY, "ids", "list_type", "Input should be a valid list",
		      json_incref(ids), NULL);
		return;
	}
	*out = xcalloc(json_array_size(ids) + 1, sizeof(**out));
	struct validator iv;
	v_init(&iv, ids);
	size_t i;
	json_t *elem;
	json_array_foreach(ids, i, elem) {
		char index[24];
		snprintf(index, sizeof(index), "%zu", i);
		json_t *wrap = json_pack("{s:O}", index, elem);
		if (v_int(&iv, wrap, index, 1, &(*out)[*n]) == 1)
			(*n)++;
		json_decref(wrap);
	}
	move_items(v, &iv, "ids", 1);
	v_free(&iv);
}

int
credentials_batch_delete(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	if (begin(r, &key, &db) != 0)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	int64_t *ids;
	size_t n;
	v_init(&v, body);
	check_ids(&v, body, &ids, &n);
	if (v_failed(&v)) {
		free(ids);
		int rc = resp_invalid(r, &v);
		v_free(&v);
		return rc;
	}
	v_free(&v);
	int rc = credential_delete_many(db, ids, n, scope_of(r));
	free(ids);
	if (rc != CRED_OK)
		return answer_db_error(r, db, rc);
	return resp_empty(r, 204);
}

static void
provider_of(const struct credential *c, struct llm_provider *p)
{
	json_t *d = c->detail;
	p->provider_type = json_string_value(json_object_get(d, "provider_type"));
	p->api_key = json_string_value(json_object_get(d, "api_key"));
	p->base_url = json_string_value(json_object_get(d, "base_url"));
	p->organization_id = json_string_value(json_object_get(d, "organization_id"));
	p->custom_headers = json_object_get(d, "custom_headers");
}

static int
is_type(const struct credential *c, const char *type)
{
	return strcmp(c->credential_type, type) == 0;
}

/*
 * A probe of the provider: at most outbound_per_user in flight for one
 * user across the pool (429 beyond, so probes cannot take every
 * responder), under the outbound policy and its total deadline.  Returns
 * the probe's answer, or NULL when the request has been answered.
 */
static json_t *
run_probe(struct req *r, const struct credential *c,
	  json_t *(*probe)(const struct credential *, const struct probe_limits *))
{
	char *err = NULL;
	struct outbound_policy policy;
	if (outbound_policy_parse(r->cfg->outbound_allow, &policy, &err) != 0) {
		/* config_load() checked it; this cannot happen. */
		free(err);
		resp_error(r, 500, "Internal Server Error");
		return NULL;
	}
	char *dir = xasprintf("%s/locks/outbound", r->cfg->data_dir);
	char owner[32];
	snprintf(owner, sizeof(owner), "user-%" PRId64, r->user.id);
	int slot = slot_take(dir, owner, (int)r->cfg->outbound_per_user);
	free(dir);
	if (slot == SLOT_BUSY) {
		outbound_policy_free(&policy);
		resp_add_header(r, "Retry-After", "1");
		resp_error(r, 429, "Too many provider requests in progress for this user; retry "
				   "when one has finished");
		return NULL;
	}
	struct probe_limits lim = { &policy, r->cfg->provider_timeout_seconds };
	json_t *out = probe(c, &lim);
	slot_release(slot);
	outbound_policy_free(&policy);
	return out;
}

static json_t *
test_llm(const struct credential *c, const struct probe_limits *lim)
{
	struct llm_provider p;
	provider_of(c, &p);
	return llm_probe_test(&p, lim);
}

static json_t *
list_models(const struct credential *c, const struct probe_limits *lim)
{
	struct llm_provider p;
	provider_of(c, &p);
	return llm_probe_models(&p, lim);
}

static json_t *
test_searxng(const struct credential *c, const struct probe_limits *lim)
{
	json_t *config = json_object_get(c->detail, "config");
	return searxng_probe_test(json_string_value(json_object_get(config, "url")), lim);
}

static int
is_searxng(const struct credential *c)
{
	const char *t = json_string_value(json_object_get(c->detail, "tool_type"));
	return is_type(c, "tool") && t != NULL && strcmp(t, "searxng") == 0;
}

int
credentials_test(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	struct credential c;
	if (begin(r, &key, &db) != 0 || load_from_path(r, key, db, &c) != 0)
		return 0;
	json_t *out;
	if (is_type(&c, "gateway")) {
		out = json_pack("{s:b, s:s, s:n}", "ok", 0, "error", NO_GATEWAY, "detail");
	} else if (is_searxng(&c)) {
		out = run_probe(r, &c, test_searxng);
	} else if (!is_type(&c, "llm") || json_object_size(c.detail) == 0) {
		credential_free(&c);
		return resp_error(r, 404, LLM_NOT_FOUND);
	} else {
		out = run_probe(r, &c, test_llm);
	}
	credential_free(&c);
	return out ? resp_json(r, 200, out) : 0;
}

int
credentials_models(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	struct credential c;
	if (begin(r, &key, &db) != 0 || load_from_path(r, key, db, &c) != 0)
		return 0;
	if (!is_type(&c, "llm") || json_object_size(c.detail) == 0) {
		credential_free(&c);
		return resp_error(r, 404, LLM_NOT_FOUND);
	}
	json_t *models = run_probe(r, &c, list_models);
	credential_free(&c);
	return models ? resp_json(r, 200, models) : 0;
}

/* activate/ and deactivate/ proxy to a message gateway, which this project
 * does not have. */
int
credentials_gateway_toggle(struct req *r)
{
	const struct field_keyring *key;
	struct db *db;
	struct credential c;
	if (begin(r, &key, &db) != 0)
		return 0;
	int64_t id = 0;
	if (req_path_int(r, "credential_id", &id) != 0)
		return 0;
	int rc = credential_get(db, key, id, scope_of(r), &c);
	if (rc == CRED_NOT_FOUND)
		return resp_error(r, 404, GATEWAY_NOT_FOUND);
	if (rc != CRED_OK)
		return answer_db_error(r, db, rc);
	int gateway = is_type(&c, "gateway");
	credential_free(&c);
	if (!gateway)
		return resp_error(r, 404, GATEWAY_NOT_FOUND);
	return resp_error(r, 502, NO_GATEWAY);
}
