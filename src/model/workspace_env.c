/* workspace_env.c: see workspace_env.h. */
#include "workspace_env.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "util/secret_mask.h"
#include "util/progress.h"
#include "util/xalloc.h"

#define BATCH_ROWS 500

/* Where a variable's value is bound: its column and its key. */
static char *
bound_place(const char *key)
{
	return xasprintf("workspaces.env_vars.%s", key);
}

static const char *
value_of(json_t *var)
{
	return json_string_value(json_object_get(var, "value"));
}

static const char *
key_of(json_t *var)
{
	const char *k = json_string_value(json_object_get(var, "key"));
	return k ? k : "";
}

/* A stored element as the API shows it: every key present, null where unset. */
static json_t *
normalised(json_t *var)
{
	static const char *const keys[] = { "key", "value", "credential_id", "credential_field" };
	json_t *out = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(var, keys[i]);
		json_object_set_new(out, keys[i], v ? json_incref(v) : json_null());
	}
	json_t *source = json_object_get(var, "source");
	json_object_set_new(out, "source", json_is_string(source) ? json_incref(source)
								: json_string("raw"));
	return out;
}

int
wsenv_open(const struct field_keyring *ring, int64_t id, const char *stored, json_t **clear)
{
	*clear = json_array();
	json_t *list = stored ? json_loads(stored, 0, NULL) : NULL;
	if (!json_is_array(list)) {
		json_decref(list);
		return WSENV_OK;   /* '[]', or nothing this project wrote */
	}
	size_t i;
	json_t *var;
	json_array_foreach(list, i, var) {
		if (!json_is_object(var))
			continue;
		json_t *out = normalised(var);
		const char *value = value_of(var);
		if (value != NULL && field_is_sealed(value)) {
			char *where = bound_place(key_of(var)), *plain = NULL;
			int rc = ring == NULL ? WSENV_NO_KEY :
				 field_open(ring, where, id, value, &plain) == 0 ? WSENV_OK :
										 WSENV_BAD_KEY;
			free(where);
			if (rc != WSENV_OK) {
				json_decref(out);
				json_decref(list);
				json_decref(*clear);
				*clear = NULL;
				return rc;
			}
			json_object_set_new(out, "value", json_string(plain));
			explicit_bzero(plain, strlen(plain));
			free(plain);
		}
		json_array_append_new(*clear, out);
	}
	json_decref(list);
	return WSENV_OK;
}

int
wsenv_seal(const struct field_keyring *ring, int64_t id, json_t *clear, char **stored)
{
	*stored = NULL;
	json_t *list = json_array();
	size_t i;
	json_t *var;
	json_array_foreach(clear, i, var) {
		json_t *out = normalised(var);
		const char *value = value_of(var);
		if (value != NULL && *value != '\0') {
			if (ring == NULL) {
				json_decref(out);
				json_decref(list);
				return WSENV_NO_KEY;
			}
			char *where = bound_place(key_of(var));
			char *sealed = field_seal(ring, where, id, value);
			free(where);
			json_object_set_new(out, "value", json_string(sealed));
			free(sealed);
		}
		json_array_append_new(list, out);
	}
	*stored = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return WSENV_OK;
}

json_t *
wsenv_masked(json_t *clear)
{
	json_t *list = json_array();
	size_t i;
	json_t *var;
	json_array_foreach(clear, i, var) {
		json_t *out = normalised(var);
		const char *value = value_of(var);
		if (value != NULL && *value != '\0') {
			char *mask = secret_mask(value);
			json_object_set_new(out, "value", json_string(mask));
			free(mask);
		}
		json_array_append_new(list, out);
	}
	return list;
}

int
wsenv_looks_masked(const char *value)
{
	if (value == NULL || strncmp(value, "****", 4) != 0)
		return 0;
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)value + 4; *p; p++)
		chars += (*p & 0xc0) != 0x80;
	return chars == 0 || chars == 4;
}

/* The clear value stored under key, or NULL. */
static const char *
stored_value(json_t *stored, const char *key)
{
	size_t i;
	json_t *var;
	json_array_foreach(stored, i, var)
		if (strcmp(key_of(var), key) == 0)
			return value_of(var);
	return NULL;
}

long
wsenv_keep_masked(json_t *sent, json_t *stored)
{
	size_t i;
	json_t *var;
	json_array_foreach(sent, i, var) {
		const char *value = value_of(var);
		if (!wsenv_looks_masked(value))
			continue;
		const char *was = stored_value(stored, key_of(var));
		char *mask = was && *was ? secret_mask(was) : NULL;
		int same = mask != NULL && strcmp(mask, value) == 0;
		free(mask);
		if (!same)
			return (long)i;
		json_object_set_new(var, "value", json_string(was));
	}
	return -1;
}

/* --- key rotation ------------------------------------------------------------------ */

struct env_row {
	int64_t id;
	char *stored;
};

static int
read_rows(struct db *db, int64_t after, struct env_row *rows, size_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, env_vars FROM workspaces WHERE id > ? "
					    "ORDER BY id LIMIT 500");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, after);
	int rc;
	*n = 0;
	while ((rc = db_step(st)) == DB_ROW && *n < BATCH_ROWS) {
		rows[*n].id = db_column_int64(st, 0);
		rows[*n].stored = xstrdup(db_column_text(st, 1) ? db_column_text(st, 1) : "[]");
		(*n)++;
	}
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

static int
write_row(struct db *db, int64_t id, const char *stored)
{
	struct db_stmt *st = db_prepare(db, "UPDATE workspaces SET env_vars = ? WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, stored, -1);
	db_bind_int64(st, 2, id);
	int rc = db_step(st) == DB_DONE ? 0 : -1;
	db_reset(st);
	return rc;
}

/* Seals again the values of one row that are not under the ring's first
 * key; the number sealed, or -1 with *err set. */
static long
reseal_row(struct db *db, const struct field_keyring *ring, const struct env_row *row, char **err)
{
	json_t *list = json_loads(row->stored, 0, NULL);
	long n = 0;
	size_t i;
	json_t *var;
	json_array_foreach(list, i, var) {
		const char *value = value_of(var);
		if (value == NULL || !field_is_sealed(value) || field_is_current(ring, value))
			continue;
		char *where = bound_place(key_of(var)), *plain = NULL;
		if (field_open(ring, where, row->id, value, &plain) != 0) {
			*err = xasprintf("workspaces.env_vars of id %lld (variable %s) does not decrypt "
					 "with FIELD_ENCRYPTION_KEY or FIELD_ENCRYPTION_KEY_OLD (or was "
					 "moved from another row); nothing was changed",
					 (long long)row->id, key_of(var));
			free(where);
			json_decref(list);
			return -1;
		}
		char *sealed = field_seal(ring, where, row->id, plain);
		explicit_bzero(plain, strlen(plain));
		free(plain);
		free(where);
		json_object_set_new(var, "value", json_string(sealed));
		free(sealed);
		n++;
	}
	if (n > 0) {
		char *text = json_dumps(list, JSON_COMPACT);
		int rc = write_row(db, row->id, text);
		free(text);
		if (rc != 0) {
			*err = xasprintf("cannot update workspaces.env_vars of id %lld: %s",
					 (long long)row->id, db_errmsg(db));
			n = -1;
		}
	}
	json_decref(list);
	return n;
}

long
wsenv_reseal(struct db *db, const struct field_keyring *ring, struct progress *progress,
	     char **err)
{
	progress_stage(progress, "workspaces.env_vars");
	struct env_row *rows = xcalloc(BATCH_ROWS, sizeof(*rows));
	long total = 0;
	int64_t after = 0;
	for (;;) {
		size_t n = 0;
		if (read_rows(db, after, rows, &n) != 0) {
			*err = xasprintf("cannot read workspaces.env_vars: %s", db_errmsg(db));
			total = -1;
		}
		for (size_t i = 0; i < n; i++) {
			long k = total < 0 ? 0 : reseal_row(db, ring, &rows[i], err);
			if (k < 0)
				total = -1;
			else if (total >= 0)
				total += k;
		}
		for (size_t i = 0; i < n; i++)
			free(rows[i].stored);
		if (total < 0 || n == 0)
			break;
		progress_add(progress, (int64_t)n);
		after = rows[n - 1].id;
	}
	free(rows);
	return total;
}

int64_t
wsenv_count_rows(struct db *db)
{
	int64_t n = 0;
	return db_query_int64(db, "SELECT count(*) FROM workspaces", &n) == 0 ? n : 0;
}
