/* workspace.c: see workspace.h. */
#include "workspace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/workspace_dir.h"
#include "model/workspace_env.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define WS_SELECT \
	"SELECT id, user_profile_id, name, path, allow_network, env_vars, created_at " \
	"FROM workspaces "

void
workspace_free(struct workspace *w)
{
	if (w == NULL)
		return;
	free(w->name);
	free(w->path);
	json_decref(w->env_vars);
	memset(w, 0, sizeof(*w));
}

static int
env_result(int rc)
{
	return rc == WSENV_NO_KEY ? WS_NO_KEY : rc == WSENV_BAD_KEY ? WS_BAD_KEY : WS_OK;
}

/* with_env 0: the variables are not read (env_vars is left NULL). */
static int
read_row(struct db_stmt *st, const struct field_keyring *ring, int with_env, struct workspace *w)
{
	memset(w, 0, sizeof(*w));
	w->id = db_column_int64(st, 0);
	w->user_profile_id = db_column_int64(st, 1);
	w->name = xstrdup(db_column_text(st, 2) ? db_column_text(st, 2) : "");
	w->path = xstrdup(db_column_text(st, 3) ? db_column_text(st, 3) : "");
	w->allow_network = db_column_bool(st, 4);
	snprintf(w->created_at, sizeof(w->created_at), "%s",
		 db_column_text(st, 6) ? db_column_text(st, 6) : "");
	if (!with_env)
		return WS_OK;
	int rc = env_result(wsenv_open(ring, w->id, db_column_text(st, 5), &w->env_vars));
	if (rc != WS_OK)
		workspace_free(w);
	return rc;
}

static int
get_one(struct db *db, const struct field_keyring *ring, int with_env, int64_t id, int64_t owner,
	struct workspace *out)
{
	struct db_stmt *st = db_prepare(db, WS_SELECT "WHERE id = ? AND user_profile_id = ?");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, owner);
	int step = db_step(st);
	int rc = step == DB_ROW ? read_row(st, ring, with_env, out) :
		 step == DB_DONE ? WS_NOT_FOUND : WS_DB_ERROR;
	db_reset(st);
	return rc;
}

int
workspace_get(struct db *db, const struct field_keyring *ring, int64_t id, int64_t owner,
	      struct workspace *out)
{
	return get_one(db, ring, 1, id, owner, out);
}

int
workspace_find(struct db *db, int64_t id, int64_t owner, struct workspace *out)
{
	return get_one(db, NULL, 0, id, owner, out);
}

static void
free_items(struct workspace *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		workspace_free(&items[i]);
	free(items);
}

static int
read_page(struct db *db, const struct field_keyring *ring, int64_t owner, int64_t limit,
	  int64_t offset, struct workspace **items, size_t *n)
{
	struct db_stmt *st = db_prepare(db, WS_SELECT "WHERE user_profile_id = ? "
						      "ORDER BY id LIMIT ? OFFSET ?");
	if (st == NULL)
		return WS_DB_ERROR;
	db_bind_int64(st, 1, owner);
	db_bind_int64(st, 2, limit);
	db_bind_int64(st, 3, offset);
	size_t cap = 0;
	int rc = WS_OK, step = DB_DONE;
	while (rc == WS_OK && (step = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*items = xrealloc(*items, cap * sizeof(**items));
		}
		rc = read_row(st, ring, 1, &(*items)[*n]);
		if (rc == WS_OK)
			(*n)++;
	}
	if (rc == WS_OK && step == DB_ERROR)
		rc = WS_DB_ERROR;
	db_reset(st);
	return rc;
}

static int
count_of(struct db *db, int64_t owner, int64_t *total)
{
	struct db_stmt *st = db_prepare(db, "SELECT COUNT(*) FROM workspaces WHERE user_profile_id = ?");
	if (st == NULL)
		return WS_DB_ERROR;
	db_bind_int64(st, 1, owner);
	int rc = db_step(st) == DB_ROW ? WS_OK : WS_DB_ERROR;
	if (rc == WS_OK)
		*total = db_column_int64(st, 0);
	db_reset(st);
	return rc;
}

int
workspace_list(struct db *db, const struct field_keyring *ring, int64_t owner, int64_t limit,
	       int64_t offset, struct workspace **items, size_t *n, int64_t *total)
{
	*items = NULL;
	*n = 0;
	/* One read transaction, so the total and the page agree. */
	if (db_begin(db) != 0)
		return db_abandon(db);
	int rc = count_of(db, owner, total);
	if (rc == WS_OK)
		rc = read_page(db, ring, owner, limit, offset, items, n);
	if (rc == WS_DB_ERROR)
		db_abandon(db);
	else if (db_commit(db) != 0 && rc == WS_OK)
		rc = db_abandon(db);
	if (rc != WS_OK) {
		free_items(*items, *n);
		*items = NULL;
		*n = 0;
	}
	return rc;
}

/* --- creating ---------------------------------------------------------------------- */

/* 1 when a row has column = value, 0 when none, -1 on error. */
static int
taken(struct db *db, const char *sql, const char *value)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, value, -1);
	int step = db_step(st);
	db_reset(st);
	return step == DB_ROW ? 1 : step == DB_DONE ? 0 : -1;
}

static int
insert_row(struct db *db, int64_t owner, const char *name, const char *path, int allow_network,
	   int64_t *id)
{
	char now[TIME_DB_LEN];
	time_now_db(now);
	struct db_stmt *st = db_prepare(db, "INSERT INTO workspaces (name, path, allow_network, "
					    "env_vars, created_at, user_profile_id) "
					    "VALUES (?, ?, ?, '[]', ?, ?) RETURNING id");
	if (st == NULL)
		return WS_DB_ERROR;
	db_bind_text(st, 1, name, -1);
	db_bind_text(st, 2, path, -1);
	db_bind_bool(st, 3, allow_network);
	db_bind_text(st, 4, now, -1);
	db_bind_int64(st, 5, owner);
	int step = db_step(st);
	if (step == DB_ROW) {
		*id = db_column_int64(st, 0);
		while (db_step(st) == DB_ROW)
			;
	}
	db_reset(st);
	if (step == DB_ROW)
		return WS_OK;
	/* Another request took the name or the path since it was looked at. */
	return db_error_kind(db) == DB_ERR_UNIQUE ? WS_NAME_TAKEN : WS_DB_ERROR;
}

static int
write_env(struct db *db, const struct field_keyring *ring, int64_t id, json_t *env_vars)
{
	char *stored = NULL;
	int rc = env_result(wsenv_seal(ring, id, env_vars, &stored));
	if (rc != WS_OK)
		return rc;
	struct db_stmt *st = db_prepare(db, "UPDATE workspaces SET env_vars = ? WHERE id = ?");
	if (st == NULL) {
		free(stored);
		return WS_DB_ERROR;
	}
	db_bind_text(st, 1, stored, -1);
	db_bind_int64(st, 2, id);
	rc = db_step(st) == DB_DONE ? WS_OK : WS_DB_ERROR;
	db_reset(st);
	free(stored);
	return rc;
}

static int
dir_result(int rc, const char *what, const char *path)
{
	switch (rc) {
	case WSDIR_OK:
		return WS_OK;
	case WSDIR_OUTSIDE:
		return WS_OUTSIDE;
	case WSDIR_NOT_EMPTY:
		return WS_DIR_NOT_EMPTY;
	default:
		log_error("workspaces: cannot %s %s: %s", what, path, strerror(errno));
		return WS_DIR_FAILED;
	}
}

/* The create's steps inside a write transaction. */
static int
create_in_transaction(struct db *db, const struct field_keyring *ring, const char *root,
		      int64_t owner, const char *name, const char *dir, int allow_network,
		      json_t *env_vars, int64_t *id, int *dir_created)
{
	char *path = wsdir_path(root, dir);
	int rc, t = taken(db, "SELECT 1 FROM workspaces WHERE name = ?", name);
	if (t == 0)
		t = taken(db, "SELECT 1 FROM workspaces WHERE path = ?", path) == 1 ? 2 : 0;
	rc = t < 0 ? WS_DB_ERROR : t == 1 ? WS_NAME_TAKEN : t == 2 ? WS_PATH_TAKEN : WS_OK;
	if (rc == WS_OK)
		rc = insert_row(db, owner, name, path, allow_network, id);
	if (rc == WS_OK && env_vars != NULL && json_array_size(env_vars) > 0)
		rc = write_env(db, ring, *id, env_vars);
	/* The directory last: nothing to take back when the row cannot be. */
	if (rc == WS_OK)
		rc = dir_result(wsdir_create(root, dir, 0, dir_created), "create", path);
	if (rc != WS_OK && *dir_created) {
		wsdir_remove(root, dir);
		*dir_created = 0;
	}
	free(path);
	return rc;
}

int
workspace_create(struct db *db, const struct field_keyring *ring, const char *root, int64_t owner,
		 const char *name, const char *dir, int allow_network, json_t *env_vars,
		 int64_t *id, int *dir_created)
{
	*dir_created = 0;
	/* Inside a caller's transaction (a create that renders its answer
	 * before committing) the caller commits. */
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return db_abandon(db);
	int rc = create_in_transaction(db, ring, root, owner, name, dir, allow_network, env_vars,
				       id, dir_created);
	if (rc == WS_DB_ERROR)
		return db_abandon(db);
	if (own && rc != WS_OK)
		db_rollback(db);
	else if (own && db_commit(db) != 0)
		rc = db_abandon(db);
	if (own && rc != WS_OK && *dir_created) {
		wsdir_remove(root, dir);
		*dir_created = 0;
	}
	return rc;
}

/* --- updating and deleting ----------------------------------------------------------- */

int
workspace_update(struct db *db, const struct field_keyring *ring, int64_t id, int64_t owner,
		 int allow_network, json_t *env_vars)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	struct db_stmt *st = db_prepare(db, "UPDATE workspaces SET allow_network = "
					    "CASE WHEN CAST(? AS INTEGER) < 0 THEN allow_network "
					    "ELSE CAST(? AS INTEGER) = 1 END "
					    "WHERE id = ? AND user_profile_id = ?");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, allow_network);
	db_bind_int64(st, 2, allow_network);
	db_bind_int64(st, 3, id);
	db_bind_int64(st, 4, owner);
	int step = db_step(st);
	int64_t changed = step == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	if (step != DB_DONE)
		return db_abandon(db);
	if (changed == 0) {
		db_rollback(db);
		return WS_NOT_FOUND;
	}
	int rc = env_vars != NULL ? write_env(db, ring, id, env_vars) : WS_OK;
	if (rc == WS_DB_ERROR)
		return db_abandon(db);
	if (rc != WS_OK) {
		db_rollback(db);
		return rc;
	}
	if (db_commit(db) != 0)
		return db_abandon(db);
	return WS_OK;
}

/* The name and path of one of owner's workspaces (malloc'd). */
static int
name_and_path(struct db *db, int64_t id, int64_t owner, char **name, char **path)
{
	struct db_stmt *st = db_prepare(db, "SELECT name, path FROM workspaces "
					    "WHERE id = ? AND user_profile_id = ?");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, owner);
	int step = db_step(st);
	if (step == DB_ROW) {
		*name = xstrdup(db_column_text(st, 0) ? db_column_text(st, 0) : "");
		*path = xstrdup(db_column_text(st, 1) ? db_column_text(st, 1) : "");
	}
	db_reset(st);
	return step == DB_ROW ? WS_OK : step == DB_DONE ? WS_NOT_FOUND : db_abandon(db);
}

static int
delete_row(struct db *db, int64_t id, int64_t owner)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	struct db_stmt *st = db_prepare(db, "DELETE FROM workspaces WHERE id = ? AND "
					    "user_profile_id = ? AND name <> 'default'");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, owner);
	int step = db_step(st);
	int64_t changed = step == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	if (step != DB_DONE)
		return db_abandon(db);
	if (db_commit(db) != 0)
		return db_abandon(db);
	return changed ? WS_OK : WS_NOT_FOUND;
}

int
workspace_delete(struct db *db, const char *root, int64_t id, int64_t owner)
{
	char *name = NULL, *path = NULL;
	int rc = name_and_path(db, id, owner, &name, &path);
	if (rc == WS_OK && strcmp(name, WS_DEFAULT_NAME) == 0)
		rc = WS_IS_DEFAULT;
	char *dir = NULL;
	/* The directory first: when it cannot go, the workspace stays and the
	 * caller hears why, rather than a row gone and its files left. */
	if (rc == WS_OK && wsdir_name_of_path(root, path, &dir) == WSDIR_OK)
		rc = dir_result(wsdir_remove(root, dir), "remove", path);
	else if (rc == WS_OK)
		log_warn("workspaces: %s is not under %s; the row is deleted, the directory left",
			 path, root);
	if (rc == WS_OK)
		rc = delete_row(db, id, owner);
	free(dir);
	free(name);
	free(path);
	return rc;
}

/* The directory name of w under root, or WS_OUTSIDE. */
static int
dir_of(const struct workspace *w, const char *root, char **dir)
{
	return wsdir_name_of_path(root, w->path, dir) == WSDIR_OK ? WS_OK : WS_OUTSIDE;
}

int
workspace_reset_dir(const struct workspace *w, const char *root)
{
	char *dir = NULL;
	int rc = dir_of(w, root, &dir);
	if (rc == WS_OK)
		rc = dir_result(wsdir_reset(root, dir), "reset", w->path);
	free(dir);
	return rc;
}

int
workspace_reset_rootfs(const struct workspace *w, const char *root)
{
	char *dir = NULL;
	int rc = dir_of(w, root, &dir);
	if (rc == WS_OK)
		rc = dir_result(wsdir_remove_entry(root, dir, ".rootfs"), "clear the rootfs of",
				w->path);
	free(dir);
	return rc;
}

/* --- the default workspace --------------------------------------------------------- */

int
workspace_ensure_default(struct db *db, const char *root)
{
	int64_t n = 0, first = 0;
	int rc = db_query_int64(db, "SELECT count(*) FROM workspaces WHERE name = 'default'", &n);
	if (rc != 0)
		return db_abandon(db);
	if (n > 0)
		return WS_OK;
	rc = db_query_int64(db, "SELECT id FROM user_profiles WHERE is_active = TRUE "
			    "ORDER BY id LIMIT 1", &first);
	if (rc < 0)
		return db_abandon(db);
	if (rc == 1)
		return WS_OK;   /* no user yet */
	char *path = wsdir_path(root, WS_DEFAULT_NAME);
	char now[TIME_DB_LEN];
	time_now_db(now);
	if (db_begin_write(db) != 0) {
		free(path);
		return db_abandon(db);
	}
	struct db_stmt *st = db_prepare(db, "INSERT INTO workspaces (name, path, allow_network, "
					    "env_vars, created_at, user_profile_id) "
					    "VALUES ('default', ?, FALSE, '[]', ?, ?) "
					    "ON CONFLICT (name) DO NOTHING");
	int step = DB_ERROR;
	int64_t added = 0;
	if (st != NULL) {
		db_bind_text(st, 1, path, -1);
		db_bind_text(st, 2, now, -1);
		db_bind_int64(st, 3, first);
		step = db_step(st);
		added = step == DB_DONE ? db_changes(st) : 0;
		db_reset(st);
	}
	if (step != DB_DONE) {
		free(path);
		return db_abandon(db);
	}
	int created = 0;
	/* An existing directory is Pipelit's default one: taken as it is. */
	rc = added ? dir_result(wsdir_create(root, WS_DEFAULT_NAME, 1, &created), "create", path) :
		     WS_OK;
	free(path);
	if (rc != WS_OK) {
		db_rollback(db);
		return rc;
	}
	if (db_commit(db) != 0)
		return db_abandon(db);
	return WS_OK;
}
