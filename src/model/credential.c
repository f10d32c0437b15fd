/* credential.c: see credential.h. */
#include "credential.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define SECRET_MAX 16384
#define SSH_KEY_MAX 65536

const char *const credential_types[] = { "git", "llm", "gateway", "tool", NULL };

/*
 * Per type, the stored fields come in the order of the columns of the
 * type's INSERT below (after base_credentials_id, and after
 * gateway_credential_id for gateways); unstored ones come last.
 */
static const struct cred_field fields[] = {
	{ "llm", "provider_type", CRED_TEXT, 30, "openai_compatible",
	  "UPDATE llm_credentials SET provider_type = ? WHERE base_credentials_id = ?", NULL },
	{ "llm", "api_key", CRED_SECRET, SECRET_MAX, "",
	  "UPDATE llm_credentials SET api_key = ? WHERE base_credentials_id = ?",
	  "llm_credentials.api_key" },
	{ "llm", "base_url", CRED_TEXT, 500, "",
	  "UPDATE llm_credentials SET base_url = ? WHERE base_credentials_id = ?", NULL },
	{ "llm", "organization_id", CRED_TEXT, 255, "",
	  "UPDATE llm_credentials SET organization_id = ? WHERE base_credentials_id = ?", NULL },
	{ "llm", "custom_headers", CRED_HEADERS, 0, "{}",
	  "UPDATE llm_credentials SET custom_headers = ? WHERE base_credentials_id = ?",
	  "llm_credentials.custom_headers" },

	{ "gateway", "adapter_type", CRED_TEXT, 50, "",
	  "UPDATE gateway_credentials SET adapter_type = ? WHERE base_credentials_id = ?", NULL },
	{ "gateway", "token", CRED_UNSTORED, SECRET_MAX, "", NULL, NULL },
	{ "gateway", "config", CRED_UNSTORED_JSON, 0, "{}", NULL, NULL },

	{ "git", "provider", CRED_TEXT, 20, "github",
	  "UPDATE git_credentials SET provider = ? WHERE base_credentials_id = ?", NULL },
	{ "git", "credential_type", CRED_TEXT, 20, "token",
	  "UPDATE git_credentials SET credential_type = ? WHERE base_credentials_id = ?", NULL },
	{ "git", "ssh_private_key", CRED_SECRET, SSH_KEY_MAX, "",
	  "UPDATE git_credentials SET ssh_private_key = ? WHERE base_credentials_id = ?",
	  "git_credentials.ssh_private_key" },
	{ "git", "access_token", CRED_SECRET, SECRET_MAX, "",
	  "UPDATE git_credentials SET access_token = ? WHERE base_credentials_id = ?",
	  "git_credentials.access_token" },
	{ "git", "username", CRED_TEXT, 255, "",
	  "UPDATE git_credentials SET username = ? WHERE base_credentials_id = ?", NULL },
	{ "git", "webhook_secret", CRED_SECRET, 255, "",
	  "UPDATE git_credentials SET webhook_secret = ? WHERE base_credentials_id = ?",
	  "git_credentials.webhook_secret" },

	{ "tool", "tool_type", CRED_TEXT, 20, "api",
	  "UPDATE tool_credentials SET tool_type = ? WHERE base_credentials_id = ?", NULL },
	{ "tool", "config", CRED_JSON, 0, "{}",
	  "UPDATE tool_credentials SET config = ? WHERE base_credentials_id = ?", NULL },
	{ "tool", "is_preferred", CRED_BOOL, 0, "false",
	  "UPDATE tool_credentials SET is_preferred = ? WHERE base_credentials_id = ?", NULL },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct cred_table {
	const char *type;
	const char *insert_sql;
	int name_first;          /* gateway_credential_id = the credential's name */
};

static const struct cred_table tables[] = {
	{ "llm", "INSERT INTO llm_credentials (base_credentials_id, provider_type, api_key, "
		 "base_url, organization_id, custom_headers) VALUES (?, ?, ?, ?, ?, ?)", 0 },
	{ "gateway", "INSERT INTO gateway_credentials (base_credentials_id, "
		     "gateway_credential_id, adapter_type) VALUES (?, ?, ?)", 1 },
	{ "git", "INSERT INTO git_credentials (base_credentials_id, provider, credential_type, "
		 "ssh_private_key, access_token, username, webhook_secret) "
		 "VALUES (?, ?, ?, ?, ?, ?, ?)", 0 },
	{ "tool", "INSERT INTO tool_credentials (base_credentials_id, tool_type, config, "
		  "is_preferred) VALUES (?, ?, ?, ?)", 0 },
};

const struct cred_field *
credential_fields(const char *type, size_t *n)
{
	const struct cred_field *first = NULL;
	*n = 0;
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].type, type) != 0)
			continue;
		if (first == NULL)
			first = &fields[i];
		(*n)++;
	}
	return first;
}

static const struct cred_table *
table_of(const char *type)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(tables[i].type, type) == 0)
			return &tables[i];
	return NULL;
}

void
credential_free(struct credential *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->credential_type);
	json_decref(c->detail);
	memset(c, 0, sizeof(*c));
}

/* --- reading ------------------------------------------------------------- */

#define CRED_SELECT \
	"SELECT c.id, c.user_profile_id, c.name, c.credential_type, c.created_at, " \
	"c.updated_at, " \
	"l.id, l.provider_type, l.api_key, l.base_url, l.organization_id, l.custom_headers, " \
	"g.id, g.gateway_credential_id, g.adapter_type, " \
	"t.id, t.provider, t.credential_type, t.ssh_private_key, t.access_token, " \
	"t.username, t.webhook_secret, " \
	"o.id, o.tool_type, o.config, o.is_preferred " \
	"FROM credentials c " \
	"LEFT JOIN llm_credentials l ON l.base_credentials_id = c.id " \
	"LEFT JOIN gateway_credentials g ON g.base_credentials_id = c.id " \
	"LEFT JOIN git_credentials t ON t.base_credentials_id = c.id " \
	"LEFT JOIN tool_credentials o ON o.base_credentials_id = c.id "

#define CRED_SCOPE "(CAST(? AS BIGINT) = 0 OR c.user_profile_id = ?)"

/* Where each detail key sits in a CRED_SELECT row. */
struct detail_column {
	const char *type;
	int id_col;              /* the detail row's id: NULL when it is missing */
	const char *key;
	int col;
	enum cred_field_kind kind;
	const char *where;       /* secrets: table.column, bound into the ciphertext */
};

static const struct detail_column detail_columns[] = {
	{ "llm", 6, "provider_type", 7, CRED_TEXT, NULL },
	{ "llm", 6, "api_key", 8, CRED_SECRET, "llm_credentials.api_key" },
	{ "llm", 6, "base_url", 9, CRED_TEXT, NULL },
	{ "llm", 6, "organization_id", 10, CRED_TEXT, NULL },
	{ "llm", 6, "custom_headers", 11, CRED_HEADERS, "llm_credentials.custom_headers" },
	{ "gateway", 12, "gateway_credential_id", 13, CRED_TEXT, NULL },
	{ "gateway", 12, "adapter_type", 14, CRED_TEXT, NULL },
	{ "git", 15, "provider", 16, CRED_TEXT, NULL },
	{ "git", 15, "credential_type", 17, CRED_TEXT, NULL },
	{ "git", 15, "ssh_private_key", 18, CRED_SECRET, "git_credentials.ssh_private_key" },
	{ "git", 15, "access_token", 19, CRED_SECRET, "git_credentials.access_token" },
	{ "git", 15, "username", 20, CRED_TEXT, NULL },
	{ "git", 15, "webhook_secret", 21, CRED_SECRET, "git_credentials.webhook_secret" },
	{ "tool", 22, "tool_type", 23, CRED_TEXT, NULL },
	{ "tool", 22, "config", 24, CRED_JSON, NULL },
	{ "tool", 22, "is_preferred", 25, CRED_BOOL, NULL },
};

static json_t *
text_value(const char *s)
{
	json_t *v = json_string(s ? s : "");
	return v ? v : json_string("");
}

/* The clear text of a stored secret of credential id; NULL when it does
 * not open under ring (unknown key, or moved from another place). */
static char *
open_secret(const struct field_keyring *ring, const char *where, int64_t id, const char *stored)
{
	char *plain = NULL;
	if (ring == NULL || field_open(ring, where, id, stored, &plain) != 0)
		return NULL;
	return plain;
}

static json_t *
secret_value(const struct field_keyring *ring, const char *where, int64_t id, const char *stored)
{
	if (stored == NULL || *stored == '\0')
		return json_string("");
	char *plain = open_secret(ring, where, id, stored);
	if (plain == NULL)
		return NULL;
	json_t *v = text_value(plain);
	explicit_bzero(plain, strlen(plain));
	free(plain);
	return v;
}

static json_t *
json_column(const char *text)
{
	json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	return v ? v : json_object();
}

/* custom_headers: sealed like a secret; a value still in clear (written
 * before headers were encrypted, until the start-up data step converts
 * it) reads as it is. */
static json_t *
headers_value(const struct field_keyring *ring, const char *where, int64_t id, const char *stored)
{
	if (!field_is_sealed(stored))
		return json_column(stored);
	char *plain = open_secret(ring, where, id, stored);
	if (plain == NULL)
		return NULL;
	json_t *v = json_column(plain);
	explicit_bzero(plain, strlen(plain));
	free(plain);
	return v;
}

static int
read_detail(struct db_stmt *st, const struct field_keyring *ring, int64_t id, const char *type,
	    json_t **out)
{
	json_t *detail = json_object();
	for (size_t i = 0; i < sizeof(detail_columns) / sizeof(detail_columns[0]); i++) {
		const struct detail_column *dc = &detail_columns[i];
		if (strcmp(dc->type, type) != 0 || db_column_is_null(st, dc->id_col))
			continue;
		const char *text = db_column_text(st, dc->col);
		json_t *v;
		switch (dc->kind) {
		case CRED_SECRET:
		case CRED_HEADERS:
			v = dc->kind == CRED_SECRET ? secret_value(ring, dc->where, id, text) :
						      headers_value(ring, dc->where, id, text);
			if (v == NULL) {
				json_decref(detail);
				return CRED_BAD_KEY;
			}
			break;
		case CRED_JSON:
			v = json_column(text);
			break;
		case CRED_BOOL:
			v = json_boolean(db_column_bool(st, dc->col));
			break;
		default:
			v = text_value(text);
			break;
		}
		json_object_set_new(detail, dc->key, v);
	}
	*out = detail;
	return CRED_OK;
}

static void
copy_time(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int
read_row(struct db_stmt *st, const struct field_keyring *key, struct credential *c)
{
	memset(c, 0, sizeof(*c));
	c->id = db_column_int64(st, 0);
	c->user_profile_id = db_column_int64(st, 1);
	c->name = xstrdup(db_column_text(st, 2) ? db_column_text(st, 2) : "");
	c->credential_type = xstrdup(db_column_text(st, 3) ? db_column_text(st, 3) : "");
	copy_time(c->created_at, sizeof(c->created_at), db_column_text(st, 4));
	copy_time(c->updated_at, sizeof(c->updated_at), db_column_text(st, 5));
	int rc = read_detail(st, key, c->id, c->credential_type, &c->detail);
	if (rc != CRED_OK)
		credential_free(c);
	return rc;
}

static void
bind_scope(struct db_stmt *st, int idx, int64_t owner)
{
	db_bind_int64(st, idx, owner);
	db_bind_int64(st, idx + 1, owner);
}

int
credential_get(struct db *db, const struct field_keyring *key, int64_t id, int64_t owner,
	       struct credential *out)
{
	struct db_stmt *st = db_prepare(db, CRED_SELECT "WHERE c.id = ? AND " CRED_SCOPE);
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, id);
	bind_scope(st, 2, owner);
	int step = db_step(st);
	int rc = step == DB_ROW ? read_row(st, key, out) :
		 step == DB_DONE ? CRED_NOT_FOUND : CRED_DB_ERROR;
	db_reset(st);
	return rc;
}

static int
count_in_scope(struct db *db, int64_t owner, int64_t *total)
{
	struct db_stmt *st = db_prepare(db, "SELECT COUNT(*) FROM credentials c WHERE " CRED_SCOPE);
	if (st == NULL)
		return CRED_DB_ERROR;
	bind_scope(st, 1, owner);
	int rc = db_step(st) == DB_ROW ? CRED_OK : CRED_DB_ERROR;
	if (rc == CRED_OK)
		*total = db_column_int64(st, 0);
	db_reset(st);
	return rc;
}

static void
free_items(struct credential *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		credential_free(&items[i]);
	free(items);
}

static int
read_page(struct db *db, const struct field_keyring *key, int64_t owner, int64_t limit,
	  int64_t offset, struct credential **items, size_t *n)
{
	struct db_stmt *st = db_prepare(db, CRED_SELECT "WHERE " CRED_SCOPE
					    " ORDER BY c.id LIMIT ? OFFSET ?");
	if (st == NULL)
		return CRED_DB_ERROR;
	bind_scope(st, 1, owner);
	db_bind_int64(st, 3, limit);
	db_bind_int64(st, 4, offset);
	size_t cap = 0;
	int rc = CRED_OK, step;
	while (rc == CRED_OK && (step = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*items = xrealloc(*items, cap * sizeof(**items));
		}
		rc = read_row(st, key, &(*items)[*n]);
		if (rc == CRED_OK)
			(*n)++;
	}
	if (rc == CRED_OK && step == DB_ERROR)
		rc = CRED_DB_ERROR;
	db_reset(st);
	return rc;
}

int
credential_list(struct db *db, const struct field_keyring *key, int64_t owner, int64_t limit,
		int64_t offset, struct credential **items, size_t *n, int64_t *total)
{
	*items = NULL;
	*n = 0;
	/* One read transaction, so the total and the page agree. */
	if (db_begin(db) != 0)
		return db_abandon(db);
	int rc = count_in_scope(db, owner, total);
	if (rc == CRED_OK)
		rc = read_page(db, key, owner, limit, offset, items, n);
	if (rc == CRED_DB_ERROR)
		db_abandon(db);
	else if (db_commit(db) != 0 && rc == CRED_OK)
		rc = db_abandon(db);
	if (rc != CRED_OK) {
		free_items(*items, *n);
		*items = NULL;
		*n = 0;
	}
	return rc;
}

/* --- writing ------------------------------------------------------------- */

/* Binds a detail value (or the field's default) of credential id at idx.
 * Returns 0, or -1 when a secret cannot be encrypted. */
static int
bind_field(struct db_stmt *st, int idx, const struct cred_field *f, json_t *value,
	   const struct field_keyring *ring, int64_t id)
{
	switch (f->kind) {
	case CRED_SECRET: {
		const char *plain = value ? json_string_value(value) : f->def;
		if (plain == NULL || *plain == '\0')
			return db_bind_text(st, idx, "", -1), 0;
		char *stored = ring ? field_seal(ring, f->where, id, plain) : NULL;
		if (stored == NULL)
			return -1;
		db_bind_text(st, idx, stored, -1);
		free(stored);
		return 0;
	}
	case CRED_HEADERS: {
		/* Headers often carry keys: sealed like a secret. */
		char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		char *stored = ring ? field_seal(ring, f->where, id, text ? text : f->def) : NULL;
		if (text != NULL)
			explicit_bzero(text, strlen(text));
		free(text);
		if (stored == NULL)
			return -1;
		db_bind_text(st, idx, stored, -1);
		free(stored);
		return 0;
	}
	case CRED_JSON: {
		char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		db_bind_text(st, idx, text ? text : f->def, -1);
		free(text);
		return 0;
	}
	case CRED_BOOL:
		db_bind_bool(st, idx, value ? json_is_true(value) : strcmp(f->def, "true") == 0);
		return 0;
	default: {
		const char *s = value ? json_string_value(value) : NULL;
		db_bind_text(st, idx, s ? s : f->def, -1);
		return 0;
	}
	}
}

static int
is_stored(const struct cred_field *f)
{
	return f->update_sql != NULL;
}

static int
insert_base(struct db *db, int64_t owner, const char *name, const char *type, int64_t *id)
{
	char now[TIME_DB_LEN];
	time_now_db(now);
	struct db_stmt *st = db_prepare(db, "INSERT INTO credentials (user_profile_id, name, "
					    "credential_type, created_at, updated_at) "
					    "VALUES (?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, owner);
	db_bind_text(st, 2, name, -1);
	db_bind_text(st, 3, type, -1);
	db_bind_text(st, 4, now, -1);
	db_bind_text(st, 5, now, -1);
	int rc = db_step(st) == DB_ROW ? 0 : -1;
	if (rc == 0) {
		*id = db_column_int64(st, 0);
		while (db_step(st) == DB_ROW)
			;
	}
	db_reset(st);
	return rc;
}

static int
insert_detail(struct db *db, const struct field_keyring *key, int64_t id, const char *name,
	      const char *type, json_t *detail)
{
	const struct cred_table *t = table_of(type);
	size_t n;
	const struct cred_field *f = credential_fields(type, &n);
	struct db_stmt *st = db_prepare(db, t->insert_sql);
	if (st == NULL)
		return CRED_DB_ERROR;
	int idx = 1;
	db_bind_int64(st, idx++, id);
	if (t->name_first)
		db_bind_text(st, idx++, name, -1);
	for (size_t i = 0; i < n; i++) {
		if (!is_stored(&f[i]))
			continue;
		if (bind_field(st, idx++, &f[i], json_object_get(detail, f[i].key), key, id) != 0) {
			db_reset(st);
			log_error("credentials: a secret could not be encrypted");
			return CRED_BAD_KEY;
		}
	}
	int rc = db_step(st) == DB_DONE ? CRED_OK : CRED_DB_ERROR;
	db_reset(st);
	return rc;
}

int
credential_create(struct db *db, const struct field_keyring *key, int64_t owner, const char *name,
		  const char *type, json_t *detail, int64_t *id)
{
	if (table_of(type) == NULL)
		return CRED_DB_ERROR;
	/* Inside a caller's transaction (a create that renders its answer
	 * before committing) the caller commits. */
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return db_abandon(db);
	if (insert_base(db, owner, name, type, id) != 0)
		return db_abandon(db);
	int rc = insert_detail(db, key, *id, name, type, detail);
	if (rc == CRED_BAD_KEY) {
		db_rollback(db);
		return rc;
	}
	if (rc != CRED_OK)
		return db_abandon(db);
	if (own && db_commit(db) != 0)
		return db_abandon(db);
	return CRED_OK;
}

/* The type of a credential in scope, copied into type; CRED_NOT_FOUND when
 * there is none. */
static int
type_in_scope(struct db *db, int64_t id, int64_t owner, char *type, size_t size)
{
	struct db_stmt *st = db_prepare(db, "SELECT c.credential_type FROM credentials c "
					    "WHERE c.id = ? AND " CRED_SCOPE);
	if (st == NULL)
		return CRED_DB_ERROR;
	db_bind_int64(st, 1, id);
	bind_scope(st, 2, owner);
	int step = db_step(st);
	if (step == DB_ROW)
		snprintf(type, size, "%s", db_column_text(st, 0) ? db_column_text(st, 0) : "");
	db_reset(st);
	return step == DB_ROW ? CRED_OK : step == DB_DONE ? CRED_NOT_FOUND : CRED_DB_ERROR;
}

static int
touch_base(struct db *db, int64_t id, const char *name)
{
	char now[TIME_DB_LEN];
	time_now_db(now);
	struct db_stmt *st = db_prepare(db, "UPDATE credentials SET name = COALESCE(CAST(? AS TEXT), "
					    "name), updated_at = ? WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name, -1);
	db_bind_text(st, 2, now, -1);
	db_bind_int64(st, 3, id);
	int rc = db_step(st) == DB_DONE ? 0 : -1;
	db_reset(st);
	return rc;
}

static int
update_detail(struct db *db, const struct field_keyring *key, int64_t id, const char *type,
	      json_t *detail)
{
	size_t n;
	const struct cred_field *f = credential_fields(type, &n);
	for (size_t i = 0; f != NULL && i < n; i++) {
		json_t *value = json_object_get(detail, f[i].key);
		if (value == NULL || !is_stored(&f[i]))
			continue;
		struct db_stmt *st = db_prepare(db, f[i].update_sql);
		if (st == NULL)
			return CRED_DB_ERROR;
		if (bind_field(st, 1, &f[i], value, key, id) != 0) {
			db_reset(st);
			return CRED_BAD_KEY;
		}
		db_bind_int64(st, 2, id);
		int rc = db_step(st) == DB_DONE ? CRED_OK : CRED_DB_ERROR;
		db_reset(st);
		if (rc != CRED_OK)
			return rc;
	}
	return CRED_OK;
}

int
credential_update(struct db *db, const struct field_keyring *key, int64_t id, int64_t owner,
		  const char *name, json_t *detail)
{
	char type[32];
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	int rc = type_in_scope(db, id, owner, type, sizeof(type));
	if (rc == CRED_NOT_FOUND) {
		db_rollback(db);
		return rc;
	}
	if (rc != CRED_OK || touch_base(db, id, name) != 0)
		return db_abandon(db);
	rc = detail ? update_detail(db, key, id, type, detail) : CRED_OK;
	if (rc == CRED_BAD_KEY) {
		db_rollback(db);
		return rc;
	}
	if (rc != CRED_OK)
		return db_abandon(db);
	if (db_commit(db) != 0)
		return db_abandon(db);
	return CRED_OK;
}

/* Deletes one credential in scope (its detail row goes with it, by the
 * foreign key); CRED_NOT_FOUND when there was none. */
static int
delete_one(struct db *db, int64_t id, int64_t owner)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM credentials WHERE id = ? AND "
					    "(CAST(? AS BIGINT) = 0 OR user_profile_id = ?)");
	if (st == NULL)
		return CRED_DB_ERROR;
	db_bind_int64(st, 1, id);
	bind_scope(st, 2, owner);
	int rc = db_step(st) == DB_DONE ? CRED_OK : CRED_DB_ERROR;
	if (rc == CRED_OK && db_changes(st) == 0)
		rc = CRED_NOT_FOUND;
	db_reset(st);
	return rc;
}

int
credential_delete(struct db *db, int64_t id, int64_t owner)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	int rc = delete_one(db, id, owner);
	if (rc == CRED_DB_ERROR)
		return db_abandon(db);
	if (db_commit(db) != 0)
		return db_abandon(db);
	return rc;
}

int
credential_delete_many(struct db *db, const int64_t *ids, size_t n, int64_t owner)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	for (size_t i = 0; i < n; i++)
		if (delete_one(db, ids[i], owner) == CRED_DB_ERROR)
			return db_abandon(db);
	if (db_commit(db) != 0)
		return db_abandon(db);
	return CRED_OK;
}
