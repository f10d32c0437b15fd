/* webhook.c: see webhook.h. */
#include "webhook.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Where a sealed secret is bound: its column (and the row's node_pk). */
#define SECRET_WHERE "webhook_paths.secret"

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

enum webhook_secret_change
webhook_secret_take(json_t *extra_config, char **secret)
{
	*secret = NULL;
	const char *s = json_string_value(json_object_get(extra_config, "secret"));
	if (s == NULL || s[0] == '\0') {
		json_object_del(extra_config, "secret");
		return WEBHOOK_SECRET_NONE;
	}
	if (strcmp(s, WEBHOOK_SECRET_MASK) == 0)
		return WEBHOOK_SECRET_KEEP;
	*secret = xstrdup(s);
	json_object_set_new(extra_config, "secret", json_string(WEBHOOK_SECRET_MASK));
	return WEBHOOK_SECRET_SET;
}

/* The node that has path (0 when none), or -1. */
static int64_t
path_owner(struct db *db, const char *path)
{
	struct db_stmt *st = db_prepare(db, "SELECT node_pk FROM webhook_paths WHERE path = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, path, -1);
	int rc = db_step(st);
	int64_t pk = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc == DB_ERROR ? -1 : pk;
}

/* node_pk's stored row: 1 with *sealed (malloc'd, NULL for none), 0 when
 * it has no row, -1. */
static int
stored_row(struct db *db, int64_t node_pk, char **sealed)
{
	*sealed = NULL;
	struct db_stmt *st = db_prepare(db, "SELECT secret FROM webhook_paths WHERE node_pk = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, node_pk);
	int rc = db_step(st);
	if (rc == DB_ROW && !db_column_is_null(st, 0))
		*sealed = xstrdup(db_column_text(st, 0));
	db_reset(st);
	return rc == DB_ERROR ? -1 : rc == DB_ROW;
}

/* The sealed value the row will hold (malloc'd or NULL), by the change. */
static int
secret_to_store(const struct field_keyring *ring, int64_t node_pk,
		enum webhook_secret_change change, const char *secret, char *stored, char **out)
{
	*out = NULL;
	if (change == WEBHOOK_SECRET_NONE)
		return WEBHOOK_OK;
	if (change == WEBHOOK_SECRET_KEEP) {
		if (stored == NULL)
			return WEBHOOK_NO_SECRET;
		*out = xstrdup(stored);
		return WEBHOOK_OK;
	}
	if (ring == NULL)
		return WEBHOOK_NEEDS_KEY;
	*out = field_seal(ring, SECRET_WHERE, node_pk, secret);
	return *out != NULL ? WEBHOOK_OK : WEBHOOK_NEEDS_KEY;
}

/* Runs sql, whose one parameter is node_pk, for its effect. */
static int
run_for_node(struct db *db, const char *sql, int64_t node_pk)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return WEBHOOK_DB_ERROR;
	db_bind_int64(st, 1, node_pk);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? WEBHOOK_OK : WEBHOOK_DB_ERROR;
}

/* The path and the secret are the workflow's too: a process that keeps
 * a webhook's target checks it by the revision (model/webhook_cache.h),
 * so a new secret must move it even where the node's config row, which
 * only shows the mask, is left as it was. */
static int
move_revision(struct db *db, int64_t node_pk)
{
	return run_for_node(db, "UPDATE workflows SET revision = revision + 1 "
			    "WHERE id = (SELECT workflow_id FROM workflow_nodes WHERE id = ?)", node_pk);
}

static int
write_row(struct db *db, int exists, int64_t node_pk, const char *path, const char *sealed)
{
	struct db_stmt *st = db_prepare(db, exists
		? "UPDATE webhook_paths SET path = ?, secret = ? WHERE node_pk = ?"
		: "INSERT INTO webhook_paths (path, secret, node_pk) VALUES (?, ?, ?)");
	if (st == NULL)
		return WEBHOOK_DB_ERROR;
	db_bind_text(st, 1, path, -1);
	if (sealed != NULL)
		db_bind_text(st, 2, sealed, -1);
	else
		db_bind_null(st, 2);
	db_bind_int64(st, 3, node_pk);
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_DONE)
		return move_revision(db, node_pk);
	/* Another transaction took the path after our look (PostgreSQL's
	 * READ COMMITTED): the primary key says so. */
	if (db_error_kind(db) == DB_ERR_UNIQUE)
		return WEBHOOK_PATH_TAKEN;
	return WEBHOOK_DB_ERROR;
}

int
webhook_save(struct db *db, const struct field_keyring *ring, int64_t node_pk,
	     const char *path, enum webhook_secret_change change, const char *secret)
{
	int64_t holder = path_owner(db, path);
	if (holder < 0)
		return WEBHOOK_DB_ERROR;
	if (holder != 0 && holder != node_pk)
		return WEBHOOK_PATH_TAKEN;
	char *stored;
	int exists = stored_row(db, node_pk, &stored);
	if (exists < 0)
		return WEBHOOK_DB_ERROR;
	char *sealed;
	int rc = secret_to_store(ring, node_pk, change, secret, stored, &sealed);
	free(stored);
	if (rc == WEBHOOK_OK)
		rc = write_row(db, exists, node_pk, path, sealed);
	free(sealed);
	return rc;
}

int
webhook_forget(struct db *db, int64_t node_pk)
{
	return run_for_node(db, "DELETE FROM webhook_paths WHERE node_pk = ?", node_pk);
}

/* --- lookup ------------------------------------------------------------------------ */

#define SELECT_TARGET                                                                    \
	"SELECT p.node_pk, p.secret, n.node_id, n.workflow_id, w.slug, w.owner_id, "     \
	"w.is_active, u.is_active, c.is_active, c.extra_config, w.revision "            \
	"FROM webhook_paths p JOIN workflow_nodes n ON n.id = p.node_pk "               \
	"JOIN workflows w ON w.id = n.workflow_id "                                     \
	"JOIN user_profiles u ON u.id = w.owner_id "                                    \
	"LEFT JOIN component_configs c ON c.id = n.component_config_id "                \
	"WHERE p.path = ?"

/* The row's columns into out; the secret (sealed) and the config text
 * into their own malloc'd strings. */
static void
read_target(struct db_stmt *st, struct webhook_target *out, char **sealed, char **config)
{
	out->node_pk = db_column_int64(st, 0);
	*sealed = db_column_is_null(st, 1) ? NULL : xstrdup(db_column_text(st, 1));
	out->node_id = xstrdup(db_column_text(st, 2) ? db_column_text(st, 2) : "");
	out->workflow_id = db_column_int64(st, 3);
	out->workflow_slug = xstrdup(db_column_text(st, 4) ? db_column_text(st, 4) : "");
	out->owner_id = db_column_int64(st, 5);
	out->workflow_active = db_column_bool(st, 6);
	out->owner_active = db_column_bool(st, 7);
	out->trigger_active = db_column_is_null(st, 8) || db_column_bool(st, 8);
	*config = xstrdup(db_column_text(st, 9) ? db_column_text(st, 9) : "{}");
	out->revision = db_column_int64(st, 10);
}

/* The stored config parsed, with the secret opened in place of the mask. */
static int
open_config(const struct field_keyring *ring, struct webhook_target *out, const char *sealed,
	    const char *text)
{
	json_t *extra = json_loads(text, 0, NULL);
	int rc = extra != NULL ? webhook_config_parse(extra, &out->config, NULL) : -1;
	json_decref(extra);
	if (rc != 0) {
		log_error("webhook_paths: the config of node %lld is not a valid trigger_webhook "
			  "config", (long long)out->node_pk);
		return WEBHOOK_DB_ERROR;
	}
	wipe_free(out->config.secret);
	out->config.secret = NULL;
	if (sealed == NULL)
		return WEBHOOK_OK;
	if (ring == NULL || field_open(ring, SECRET_WHERE, out->node_pk, sealed,
				       &out->config.secret) != 0)
		return WEBHOOK_KEY_MISMATCH;
	return WEBHOOK_OK;
}

int
webhook_find(struct db *db, const struct field_keyring *ring, const char *path,
	     struct webhook_target *out)
{
	memset(out, 0, sizeof(*out));
	struct db_stmt *st = db_prepare(db, SELECT_TARGET);
	if (st == NULL)
		return db_abandon(db);
	db_bind_text(st, 1, path, -1);
	int rc = db_step(st);
	char *sealed = NULL, *config = NULL;
	if (rc == DB_ROW)
		read_target(st, out, &sealed, &config);
	db_reset(st);
	if (rc != DB_ROW) {
		webhook_target_free(out);
		return rc == DB_DONE ? WEBHOOK_NOT_FOUND : db_abandon(db);
	}
	rc = open_config(ring, out, sealed, config);
	free(sealed);
	free(config);
	if (rc != WEBHOOK_OK)
		webhook_target_free(out);
	return rc;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
webhook_target_copy(struct webhook_target *to, const struct webhook_target *from)
{
	*to = *from;
	to->node_id = dup_or_null(from->node_id);
	to->workflow_slug = dup_or_null(from->workflow_slug);
	to->config.path = dup_or_null(from->config.path);
	to->config.secret = dup_or_null(from->config.secret);
	to->config.signature_header = dup_or_null(from->config.signature_header);
	to->config.respond_with = dup_or_null(from->config.respond_with);
}

void
webhook_target_free(struct webhook_target *t)
{
	free(t->node_id);
	free(t->workflow_slug);
	webhook_config_free(&t->config);
	memset(t, 0, sizeof(*t));
}
